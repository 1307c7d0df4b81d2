//! `kommo-data mcp`: the action catalog and the data API's read tools as an MCP server on
//! stdin/stdout, acting on one integration (and reading its rows in the synced copy), for
//! desktop agents (Claude Desktop and the like) that launch it themselves.

use std::sync::Arc;

use anyhow::Context as _;
use kommo_actions::{ActionContext, ClientConfig, Limiters};
use tokio_util::sync::CancellationToken;

use super::common::{DatabaseArgs, init_logging};

#[derive(Debug, clap::Args)]
pub(crate) struct McpArgs {
    /// The integration (Kommo account) every tool acts on.
    #[arg(long, env = "KOMMO_DATA_INTEGRATION")]
    integration: String,
    #[command(flatten)]
    database: DatabaseArgs,
    /// Log as JSON lines (to stderr; stdout carries only the protocol).
    #[arg(long)]
    log_json: bool,
}

pub(crate) async fn run(args: McpArgs) -> anyhow::Result<()> {
    init_logging(args.log_json);
    // A new key would not decrypt the stored tokens: unlike `serve`, never create one here.
    if args.database.secret_key.is_none() && !args.database.secret_key_file.exists() {
        anyhow::bail!(
            "the master key file {} does not exist; point --secret-key-file (or KOMMO_DATA_SECRET_KEY_FILE) at the \
             key file of this database, as an absolute path when an agent launches this command",
            args.database.secret_key_file.display()
        );
    }
    let store = args.database.open().await?;
    let integration = store
        .integration(&args.integration)
        .await
        .context("could not read the integration")?
        .with_context(|| {
            format!(
                "there is no integration {:?} in this database",
                args.integration
            )
        })?;
    let ctx = ActionContext::for_integration(
        &store,
        &integration,
        &Limiters::new(),
        ClientConfig::default(),
    )
    .with_context(|| {
        format!(
            "could not set up a Kommo client for integration {:?}",
            integration.id
        )
    })?;
    // Whoever can run this command holds the database and its key: the read tools read the
    // integration's workspace without credentials (`stdio_access`).
    let reads = kommo_api::read_tools::DataTools::new(store.clone());
    let access = kommo_api::read_tools::stdio_access(&integration);
    let server = kommo_mcp::KommoServer::new(ctx).with_reads(Arc::new(reads), Some(access));
    tracing::info!(integration = %integration.id, "serving the Kommo actions and read tools over MCP on stdio");

    let shutdown = CancellationToken::new();
    tokio::spawn(super::common::cancel_on_signal(
        shutdown.clone(),
        "stopping the MCP server",
    ));
    let served = kommo_mcp::serve_stdio(server, shutdown).await;
    store.close().await;
    served.context("the MCP server failed")
}
