//! `kommo-data demo`: everything working in one command. A simulated Kommo account, a fresh
//! SQLite database with an organization, workspace, integration and API credentials, a full
//! sync with progress bars, and the data API on localhost with ready-to-paste requests.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use kommo_sim::{AccountSize, SimConfig, Simulator};
use kommo_store::query::{
    ContactFilter, ContactsQuery, Grant, LeadFilter, LeadsQuery, PageRequest, PipelineFilter,
    PipelinesQuery, Scope,
};
use kommo_store::{ExposeSecret as _, IntegrationAuth, Keys, NewIntegration, SecretString, Store};
use kommo_sync::{Entity, Progress, ProgressEvent, SyncOptions};
use tokio_util::sync::CancellationToken;

use super::common::cancel_on_signal;

const ORGANIZATION: &str = "demo-org";
const WORKSPACE: &str = "demo";
const INTEGRATION: &str = "demo-kommo";

/// Run everything locally: a simulated Kommo account, a full sync and the data API.
#[derive(Debug, clap::Args)]
pub(crate) struct DemoArgs {
    /// Leads in the simulated Kommo account (contacts, companies and users follow).
    #[arg(long, default_value_t = 20_000)]
    leads: u32,
    /// Port of the data API; when it is taken, a free one is used (and printed).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Directory for the demo's database and key; its database is recreated on every run.
    #[arg(long, default_value = "kommo-demo")]
    dir: PathBuf,
    /// Requests a second the simulated Kommo account allows per token. Kommo allows about 7
    /// per integration, and so does the demo by default: the full sync of 20k leads then takes
    /// about half a minute, as it would against a real account.
    #[arg(long, default_value_t = 7)]
    kommo_rate_limit: u32,
    /// Seed of the generated account: the same seed gives the same account.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

pub(crate) async fn run(args: DemoArgs) -> anyhow::Result<()> {
    init_quiet_logging();
    // Installed before the sync so its metrics reach /metrics too.
    drop(kommo_api::metrics::prometheus());
    let started = Instant::now();
    let shutdown = CancellationToken::new();
    tokio::spawn(cancel_on_signal(
        shutdown.clone(),
        "shutting down: finishing in-flight requests",
    ));

    println!("kommo-data demo");
    println!();
    let rate = args.kommo_rate_limit.max(1);
    let size = AccountSize::for_leads(args.leads);
    println!(
        "1. Simulated Kommo account: {} leads, {} contacts, {} users, {} pipelines; {rate} requests/s allowed{}",
        size.leads,
        size.contacts,
        size.users,
        size.pipelines,
        if rate == 7 { " (as Kommo)" } else { "" }
    );
    let config = SimConfig {
        seed: args.seed,
        size,
        rate_limit_per_token: rate,
        rate_limit_per_account: rate.max(50),
        ..SimConfig::default()
    };
    let sim = Simulator::start(config)
        .await
        .context("starting the simulator")?;
    println!("   serving at {}", sim.base_url());

    let database = fresh_database_path(&args.dir)?;
    let keys = Keys::generate();
    write_key_file(&args.dir.join("demo.key"), &keys.to_base64())?;
    let store = Store::connect(&database.to_string_lossy(), keys)
        .await
        .with_context(|| format!("creating the database {}", database.display()))?;
    println!();
    println!("2. Fresh SQLite database: {}", database.display());
    store
        .create_organization(ORGANIZATION, "Demo organization")
        .await?;
    store
        .create_workspace(ORGANIZATION, WORKSPACE, "Demo workspace")
        .await?;
    let integration = store
        .create_integration(NewIntegration {
            id: INTEGRATION.to_owned(),
            workspace_id: WORKSPACE.to_owned(),
            base_url: sim.base_url(),
            auth: IntegrationAuth::LongLivedToken(SecretString::from(sim.access_token())),
            rate_limit_per_second: rate,
        })
        .await?;
    let credentials = store
        .create_credentials(ORGANIZATION, &[WORKSPACE.to_owned()], 1_200)
        .await?;
    let client_id = credentials.client_id.clone();
    let client_secret = credentials.client_secret.expose_secret().to_owned();
    println!(
        "   organization {ORGANIZATION}, workspace {WORKSPACE}, integration {INTEGRATION}, API credentials {client_id}"
    );

    println!();
    println!("3. Full sync from the simulated account:");
    let synced = sync_with_bars(&store, &integration, shutdown.clone()).await;
    if shutdown.is_cancelled() {
        println!("Interrupted.");
        store.close().await;
        sim.shutdown().await;
        return Ok(());
    }
    let summary = synced?;
    println!(
        "   {} leads, {} contacts, {} pipeline statuses, {} users in {:.1} s ({} requests)",
        summary.leads.rows,
        summary.contacts.rows,
        summary.pipeline_rows,
        summary.users,
        summary.elapsed.as_secs_f64(),
        summary.requests
    );

    let listener = bind_api(args.port).await?;
    let addr = listener.local_addr().context("reading the API's address")?;
    let app = kommo_api::app(kommo_api::AppState::new(store.clone()));
    let server = tokio::spawn(kommo_api::serve(listener, app, shutdown.clone()));

    let grant = store
        .authenticate(&client_id, &client_secret)
        .await?
        .context("the demo's own credentials were refused")?;
    let examples = Examples::find(&store, &grant).await?;
    print_ready(
        addr,
        &client_id,
        &client_secret,
        &examples,
        started.elapsed(),
    );

    shutdown.cancelled().await;
    println!();
    println!("Stopping: finishing in-flight requests...");
    match server.await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => eprintln!("the API server stopped with an error: {error}"),
        Err(error) => eprintln!("the API server task failed: {error}"),
    }
    sim.shutdown().await;
    store.close().await;
    println!(
        "Stopped. The database stays in {} (key: {}).",
        database.display(),
        args.dir.join("demo.key").display()
    );
    Ok(())
}

/// Warnings only, so log lines do not tear the progress bars; `RUST_LOG` overrides.
fn init_quiet_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    drop(
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .try_init(),
    );
}

/// `<dir>/demo.sqlite`, with any database of an earlier run removed.
fn fresh_database_path(dir: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("demo.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.clone().into_os_string();
        name.push(suffix);
        match std::fs::remove_file(&name) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                return Err(error)
                    .with_context(|| format!("removing {}", PathBuf::from(name).display()));
            }
        }
    }
    Ok(path)
}

/// The key that opens the demo's database later (`serve --database ... --secret-key-file ...`).
fn write_key_file(path: &Path, key: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    writeln!(file, "{key}").with_context(|| format!("writing {}", path.display()))
}

/// Runs one full sync, drawing a bar per entity from the engine's progress events.
async fn sync_with_bars(
    store: &Store,
    integration: &kommo_store::Integration,
    cancel: CancellationToken,
) -> anyhow::Result<kommo_sync::RunSummary> {
    let (progress, mut events) = Progress::channel();
    let bars = MultiProgress::new();
    let drawer = tokio::spawn(async move {
        let mut by_entity: HashMap<Entity, ProgressBar> = HashMap::new();
        let style = ProgressStyle::with_template("   {prefix:>17} {bar:30} {pos:>7}/{len:7} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        let spinner = ProgressStyle::with_template("   {prefix:>17} {spinner} {pos:>7} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        while let Some(event) = events.recv().await {
            let (p, done) = match event {
                ProgressEvent::Page(p) => (p, false),
                ProgressEvent::EntityDone(p) => (p, true),
                _ => continue,
            };
            let bar = by_entity.entry(p.entity).or_insert_with(|| {
                let bar = bars.add(ProgressBar::no_length());
                bar.set_prefix(p.entity.as_str());
                bar.enable_steady_tick(Duration::from_millis(120));
                bar
            });
            match p.estimated_total {
                Some(total) if !done => {
                    bar.set_style(style.clone());
                    bar.set_length(total.max(p.rows));
                }
                _ => bar.set_style(if done { style.clone() } else { spinner.clone() }),
            }
            bar.set_position(p.rows);
            bar.set_message(format!("rows, {:.0}/s", p.rows_per_second));
            if done {
                bar.set_length(p.rows);
                bar.finish_with_message(format!("rows in {:.1} s", p.elapsed.as_secs_f64()));
            }
        }
    });
    let options = SyncOptions {
        cancel,
        full: true,
        ..SyncOptions::default()
    };
    let result = kommo_sync::sync_integration(store, integration, &options, &progress).await;
    drop(progress);
    drop(drawer.await);
    Ok(result?)
}

/// The API on `port`, or on a free port when it is taken.
async fn bind_api(port: u16) -> anyhow::Result<tokio::net::TcpListener> {
    match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => Ok(listener),
        Err(error) if port != 0 => {
            eprintln!("   port {port} is not available ({error}); using a free port instead");
            tokio::net::TcpListener::bind(("127.0.0.1", 0))
                .await
                .context("binding a free port")
        }
        Err(error) => Err(error).context("binding a free port"),
    }
}

/// Values from the synced data that make the printed requests return rows.
#[derive(Debug)]
struct Examples {
    pipeline_id: Option<i64>,
    pipeline_name: Option<String>,
    /// (start, end) dates of a range with leads of that pipeline.
    created_range: Option<(String, String)>,
    email: Option<String>,
}

impl Examples {
    async fn find(store: &Store, grant: &Grant) -> anyhow::Result<Self> {
        let scope = Scope {
            workspace_id: WORKSPACE.to_owned(),
            organization_id: None,
            integration_ids: Vec::new(),
        };
        let one = PageRequest { page: 1, limit: 1 };
        let pipelines = store
            .pipelines(
                grant,
                &PipelinesQuery {
                    scope: scope.clone(),
                    filter: PipelineFilter::default(),
                    order: None,
                    page: PageRequest { page: 1, limit: 50 },
                },
            )
            .await?;
        let main = pipelines
            .rows
            .iter()
            .find(|p| p.is_main)
            .or(pipelines.rows.first());
        let pipeline_id = main.map(|p| p.pipeline_id);
        let pipeline_name = main.map(|p| p.pipeline_name.clone());
        let mut created_range = None;
        if let Some(pipeline_id) = pipeline_id {
            let newest = store
                .leads(
                    grant,
                    &LeadsQuery {
                        scope: scope.clone(),
                        filter: LeadFilter {
                            pipeline_id: vec![pipeline_id],
                            ..LeadFilter::default()
                        },
                        order: None,
                        page: one,
                    },
                )
                .await?;
            if let Some(end) = newest
                .rows
                .first()
                .and_then(|l| l.created_at)
                .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            {
                let start = end - chrono::Duration::days(30);
                created_range = Some((
                    start.format("%Y-%m-%d").to_string(),
                    end.format("%Y-%m-%d").to_string(),
                ));
            }
        }
        let contacts = store
            .contacts(
                grant,
                &ContactsQuery {
                    scope,
                    filter: ContactFilter::default(),
                    order: None,
                    page: PageRequest {
                        page: 1,
                        limit: 100,
                    },
                },
            )
            .await?;
        let email = contacts.rows.iter().find_map(|c| c.email.clone());
        Ok(Self {
            pipeline_id,
            pipeline_name,
            created_range,
            email,
        })
    }
}

fn print_ready(
    addr: SocketAddr,
    client_id: &str,
    secret: &str,
    examples: &Examples,
    elapsed: Duration,
) {
    let base = format!("http://{addr}");
    let auth = format!("-H 'x-client-id: {client_id}' -H 'x-client-secret: {secret}'");
    println!();
    println!(
        "4. The data API is serving at {base} (ready after {:.0} s)",
        elapsed.as_secs_f64()
    );
    println!();
    if let (Some(pipeline_id), Some((start, end))) = (examples.pipeline_id, &examples.created_range)
    {
        let name = examples.pipeline_name.as_deref().unwrap_or("?");
        println!("   Leads of the pipeline \"{name}\" created {start} to {end}:");
        println!(
            "   curl -s '{base}/v1/kommo/leads?workspaceId={WORKSPACE}&pipelineId={pipeline_id}&createdStart={start}&createdEnd={end}&limit=5' {auth}"
        );
        println!();
    }
    if let Some(pipeline_id) = examples.pipeline_id {
        let name = examples.pipeline_name.as_deref().unwrap_or("?");
        println!("   The funnel of \"{name}\": reached, conversion and time in each stage:");
        println!(
            "   curl -s '{base}/v1/kommo/funnel?workspaceId={WORKSPACE}&pipelineId={pipeline_id}' {auth}"
        );
        println!();
        println!("   Every stay of a lead in a stage of it, latest first:");
        println!(
            "   curl -s '{base}/v1/kommo/lead-stages?workspaceId={WORKSPACE}&pipelineId={pipeline_id}&limit=5' {auth}"
        );
        println!();
    }
    println!("   Pipelines and their statuses:");
    println!("   curl -s '{base}/v1/kommo/pipelines?workspaceId={WORKSPACE}' {auth}");
    println!();
    if let Some(email) = &examples.email {
        println!("   A contact by email:");
        println!(
            "   curl -s '{base}/v1/kommo/contacts?workspaceId={WORKSPACE}&email={}' {auth}",
            encode_query_value(email)
        );
        println!();
    }
    println!("   Users:");
    println!("   curl -s '{base}/v1/kommo/users?workspaceId={WORKSPACE}' {auth}");
    println!();
    println!(
        "   Interactive docs: {base}/docs/   OpenAPI: {base}/openapi.json   Metrics: {base}/metrics"
    );
    println!();
    println!("{}", mcp_connection_help(&base, client_id, secret));
    println!();
    println!("Ctrl-C stops everything.");
}

/// How to connect an MCP client to this demo: the `mcpServers` block for the `/mcp` endpoint
/// of the server just started, with the demo's credentials, workspace and integration.
fn mcp_connection_help(api_base_url: &str, client_id: &str, client_secret: &str) -> String {
    let config = kommo_mcp::http_client_config(
        &format!("{api_base_url}/mcp"),
        client_id,
        client_secret,
        WORKSPACE,
        INTEGRATION,
    );
    let json = serde_json::to_string_pretty(&config).unwrap_or_else(|_| config.to_string());
    let indented: Vec<String> = json.lines().map(|line| format!("   {line}")).collect();
    format!(
        "   MCP: add this to your MCP client's configuration (e.g. Claude Desktop's mcpServers) to let an\n   \
         agent read the synced copy (KOMMO_DATA_* tools, no Kommo request) and act on the simulated\n   \
         account through the server's /mcp endpoint:\n{}",
        indented.join("\n")
    )
}

/// Percent-encodes a value for a query string (everything but unreserved characters).
fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
