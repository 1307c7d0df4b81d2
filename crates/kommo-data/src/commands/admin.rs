//! Admin commands: organizations, workspaces, integrations (a Kommo account with its token or
//! OAuth grant) and API credentials. Scriptable: with `--json` each prints exactly one JSON
//! object on stdout and nothing else.

use std::sync::Arc;

use anyhow::Context as _;
use kommo::{MemoryTokenStore, OAuthApp};
use kommo_store::{
    ExposeSecret as _, Integration, IntegrationAuth, NewIntegration, SecretString, StoredTokens,
};
use serde_json::json;

use super::common::DatabaseArgs;

#[derive(Debug, clap::Subcommand)]
pub(crate) enum OrgCommand {
    /// Create an organization (a customer of this service).
    Create(OrgCreateArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct OrgCreateArgs {
    #[arg(long)]
    id: String,
    #[arg(long)]
    name: String,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    database: DatabaseArgs,
}

#[derive(Debug, clap::Subcommand)]
pub(crate) enum WorkspaceCommand {
    /// Create a workspace in an organization; credentials are granted workspaces.
    Create(WorkspaceCreateArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct WorkspaceCreateArgs {
    /// The organization it belongs to.
    #[arg(long)]
    org: String,
    #[arg(long)]
    id: String,
    #[arg(long)]
    name: String,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    database: DatabaseArgs,
}

#[derive(Debug, clap::Subcommand)]
pub(crate) enum IntegrationCommand {
    /// Connect a Kommo account to a workspace, with a long-lived token or an OAuth code.
    Add(IntegrationAddArgs),
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("where").required(true).args(["base_url", "subdomain"])))]
#[command(group(clap::ArgGroup::new("auth").required(true).args(["access_token", "code"])))]
pub(crate) struct IntegrationAddArgs {
    #[arg(long)]
    workspace: String,
    #[arg(long)]
    id: String,
    /// The account's API base, e.g. `https://example.kommo.com` (or a simulator's URL).
    #[arg(long)]
    base_url: Option<String>,
    /// The account's subdomain: the base URL is then `https://{subdomain}.kommo.com`.
    #[arg(long)]
    subdomain: Option<String>,
    /// A long-lived token (private integrations).
    #[arg(long, env = "KOMMO_ACCESS_TOKEN", hide_env_values = true)]
    access_token: Option<String>,
    /// OAuth: the integration's client id (with --client-secret, --redirect-uri and --code).
    #[arg(long, requires_all = ["client_secret", "redirect_uri", "code"])]
    client_id: Option<String>,
    #[arg(long, env = "KOMMO_CLIENT_SECRET", hide_env_values = true)]
    client_secret: Option<String>,
    #[arg(long)]
    redirect_uri: Option<String>,
    /// OAuth: the authorization code from Kommo's redirect (valid 20 minutes, single use).
    #[arg(long, requires = "client_id")]
    code: Option<String>,
    /// Requests a second to this account (Kommo allows 7 per integration).
    #[arg(long, default_value_t = 7)]
    rate_limit: u32,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    database: DatabaseArgs,
}

#[derive(Debug, clap::Subcommand)]
pub(crate) enum CredentialsCommand {
    /// Create data API credentials for an organization, granted some of its workspaces.
    Create(CredentialsCreateArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct CredentialsCreateArgs {
    #[arg(long)]
    org: String,
    /// Comma-separated workspace ids.
    #[arg(long, value_delimiter = ',', required = true)]
    workspaces: Vec<String>,
    /// Request budget per minute (0 = unlimited).
    #[arg(long, default_value_t = 1_200)]
    requests_per_minute: u32,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    database: DatabaseArgs,
}

pub(crate) async fn org(command: OrgCommand) -> anyhow::Result<()> {
    let OrgCommand::Create(args) = command;
    let store = args.database.open().await?;
    let org = store
        .create_organization(&args.id, &args.name)
        .await
        .context("could not create the organization")?;
    store.close().await;
    if args.json {
        println!(
            "{}",
            json!({"id": org.id, "name": org.name, "created_at": millis(org.created_at)})
        );
    } else {
        println!("organization {} ({}) created", org.id, org.name);
    }
    Ok(())
}

pub(crate) async fn workspace(command: WorkspaceCommand) -> anyhow::Result<()> {
    let WorkspaceCommand::Create(args) = command;
    let store = args.database.open().await?;
    let ws = store
        .create_workspace(&args.org, &args.id, &args.name)
        .await
        .context("could not create the workspace")?;
    store.close().await;
    if args.json {
        println!(
            "{}",
            json!({"id": ws.id, "organization_id": ws.organization_id, "name": ws.name, "created_at": millis(ws.created_at)})
        );
    } else {
        println!(
            "workspace {} ({}) created in organization {}",
            ws.id, ws.name, ws.organization_id
        );
    }
    Ok(())
}

pub(crate) async fn integration(command: IntegrationCommand) -> anyhow::Result<()> {
    let IntegrationCommand::Add(args) = command;
    let base_url = match (&args.base_url, &args.subdomain) {
        (Some(url), _) => url.trim_end_matches('/').to_owned(),
        (None, Some(sub)) => format!("https://{sub}.kommo.com"),
        (None, None) => anyhow::bail!("give --base-url or --subdomain"),
    };
    let store = args.database.open().await?;
    let (auth, tokens) = match (&args.access_token, &args.client_id) {
        (Some(token), _) => (
            IntegrationAuth::LongLivedToken(SecretString::from(token.clone())),
            None,
        ),
        (None, Some(client_id)) => {
            let (Some(secret), Some(redirect_uri), Some(code)) =
                (&args.client_secret, &args.redirect_uri, &args.code)
            else {
                anyhow::bail!(
                    "OAuth needs --client-id, --client-secret, --redirect-uri and --code"
                );
            };
            let app = OAuthApp {
                client_id: client_id.clone(),
                client_secret: SecretString::from(secret.clone()),
                redirect_uri: redirect_uri.clone(),
            };
            // Exchange first: an integration is stored only once Kommo granted access, and the
            // pair goes into the store with it.
            let memory = Arc::new(MemoryTokenStore::new(None));
            let client = kommo::Client::builder(base_url.clone())
                .oauth(app, memory)
                .build()
                .context("invalid Kommo base URL")?;
            let pair = client
                .exchange_code(code)
                .await
                .context("Kommo did not accept the authorization code")?;
            let tokens = StoredTokens {
                access_token: SecretString::from(pair.access_token.expose_secret().to_owned()),
                refresh_token: SecretString::from(pair.refresh_token.expose_secret().to_owned()),
                expires_at: pair.expires_at.timestamp(),
            };
            let auth = IntegrationAuth::OAuth {
                client_id: client_id.clone(),
                client_secret: SecretString::from(secret.clone()),
                redirect_uri: redirect_uri.clone(),
            };
            (auth, Some(tokens))
        }
        (None, None) => anyhow::bail!(
            "give --access-token, or --client-id with --client-secret, --redirect-uri and --code"
        ),
    };
    let integration = store
        .create_integration(NewIntegration {
            id: args.id.clone(),
            workspace_id: args.workspace.clone(),
            base_url,
            auth,
            rate_limit_per_second: args.rate_limit,
        })
        .await
        .context("could not create the integration")?;
    if let Some(tokens) = tokens {
        store
            .save_oauth_tokens(&integration.id, &tokens)
            .await
            .context("could not save the OAuth tokens")?;
    }
    store.close().await;
    if args.json {
        println!("{}", integration_json(&integration));
    } else {
        println!(
            "integration {} added to workspace {} ({}, {}, {} requests/s); `kommo-data sync --integration {}` syncs it",
            integration.id,
            integration.workspace_id,
            integration.base_url,
            auth_kind(&integration),
            integration.rate_limit_per_second,
            integration.id
        );
    }
    Ok(())
}

pub(crate) async fn credentials(command: CredentialsCommand) -> anyhow::Result<()> {
    let CredentialsCommand::Create(args) = command;
    let store = args.database.open().await?;
    let created = store
        .create_credentials(&args.org, &args.workspaces, args.requests_per_minute)
        .await
        .context("could not create the credentials")?;
    store.close().await;
    let secret = created.client_secret.expose_secret();
    if args.json {
        println!(
            "{}",
            json!({
                "client_id": created.client_id,
                "client_secret": secret,
                "organization_id": args.org,
                "workspace_ids": args.workspaces,
                "requests_per_minute": args.requests_per_minute,
            })
        );
    } else {
        println!("client_id:     {}", created.client_id);
        println!("client_secret: {secret}");
        println!("The secret is shown only now; only a keyed hash of it is stored.");
        println!("Send both as the x-client-id and x-client-secret headers.");
    }
    Ok(())
}

fn auth_kind(integration: &Integration) -> &'static str {
    match integration.auth {
        IntegrationAuth::LongLivedToken(_) => "long_lived_token",
        IntegrationAuth::OAuth { .. } => "oauth",
    }
}

/// An integration as JSON: never a token or a secret.
pub(crate) fn integration_json(integration: &Integration) -> serde_json::Value {
    json!({
        "id": integration.id,
        "workspace_id": integration.workspace_id,
        "organization_id": integration.organization_id,
        "base_url": integration.base_url,
        "auth": auth_kind(integration),
        "rate_limit_per_second": integration.rate_limit_per_second,
        "created_at": millis(integration.created_at),
    })
}

/// Unix milliseconds as RFC 3339, or null.
pub(crate) fn millis(ms: i64) -> Option<String> {
    kommo_store::unix_millis_to_rfc3339(ms)
}
