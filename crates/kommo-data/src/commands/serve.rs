//! `kommo-data serve`: the data API and, in the same process, the sync scheduler for every
//! integration, until SIGINT or SIGTERM.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anyhow::Context as _;
use kommo_store::Store;
use kommo_sync::{Scheduler, SyncOptions};
use tokio_util::sync::CancellationToken;

use super::common::{DatabaseArgs, FullPassArgs, cancel_on_signal, init_logging, redact_url};

/// Serve the data API (and sync every integration in the background).
#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// Port to listen on (0 = any free port).
    #[arg(long, default_value_t = 8080, env = "KOMMO_DATA_PORT")]
    port: u16,
    /// Address to listen on; `0.0.0.0` to accept connections from other machines.
    #[arg(long, default_value = "127.0.0.1", env = "KOMMO_DATA_HOST")]
    host: IpAddr,
    #[command(flatten)]
    database: DatabaseArgs,
    /// Do not run the sync scheduler in this process (e.g. when `sync --worker` processes do).
    #[arg(long)]
    no_sync: bool,
    /// A host name `/mcp` answers to besides loopback (repeatable; `*` for any). MCP's
    /// Host check guards against DNS rebinding, so list the names clients really use.
    #[arg(long = "mcp-allowed-host", value_name = "HOST")]
    mcp_allowed_host: Vec<String>,
    /// Seconds between the starts of two sync rounds over all integrations.
    #[arg(long, default_value_t = 300, env = "KOMMO_DATA_SYNC_INTERVAL_SECS")]
    sync_interval_secs: u64,
    #[command(flatten)]
    full_pass: FullPassArgs,
    /// Data API queries run at once; more wait their turn (0 = as many as the database pool
    /// allows). On small machines a few at a time answer more per second.
    #[arg(long, default_value_t = 0, env = "KOMMO_DATA_MAX_CONCURRENT_READS")]
    max_concurrent_reads: usize,
    /// Seconds to wait on shutdown for a running sync to reach the end of its page (it may
    /// be waiting out Kommo's retries); after that the page in flight is rolled back.
    #[arg(long, default_value_t = 20)]
    shutdown_grace_secs: u64,
    /// Log JSON lines instead of text.
    #[arg(long)]
    log_json: bool,
}

pub(crate) async fn run(args: ServeArgs) -> anyhow::Result<()> {
    init_logging(args.log_json);
    let store = args.database.open().await?;
    let addr = SocketAddr::new(args.host, args.port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("could not listen on {addr}"))?;
    let local = listener.local_addr().context("reading the bound address")?;
    let shutdown = CancellationToken::new();
    tokio::spawn(cancel_on_signal(
        shutdown.clone(),
        "shutting down: finishing in-flight requests",
    ));

    // Actions and sync runs of one integration share one rate limiter, so together they
    // stay within Kommo's limit.
    let limiters = kommo_sync::Limiters::new();
    let sync = if args.no_sync {
        tracing::info!("sync scheduler off (--no-sync)");
        None
    } else {
        let interval = Duration::from_secs(args.sync_interval_secs.max(1));
        Some(spawn_scheduler(
            store.clone(),
            interval,
            args.full_pass.full_every(),
            shutdown.child_token(),
            limiters.clone(),
        ))
    };

    tracing::info!(
        addr = %local,
        database = %redact_url(&args.database.database),
        "data API listening: /v1/kommo/{{leads,contacts,pipelines,users}}, /docs, /openapi.json, /healthz, /metrics"
    );
    let app = kommo_api::app(
        kommo_api::AppState::new(store.clone())
            .with_max_concurrent_reads(args.max_concurrent_reads)
            .with_actions(kommo_api::ActionsConfig {
                mcp_allowed_hosts: args.mcp_allowed_host.clone(),
                limiters,
                shutdown: shutdown.clone(),
                ..kommo_api::ActionsConfig::default()
            }),
    );
    let served = kommo_api::serve(listener, app, shutdown.clone()).await;
    shutdown.cancel();
    if let Some(mut sync) = sync {
        tracing::info!("waiting for the running sync page to commit");
        let grace = Duration::from_secs(args.shutdown_grace_secs);
        match tokio::time::timeout(grace, &mut sync).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(error))) => {
                tracing::error!(error = %error, "the sync scheduler stopped with an error")
            }
            Ok(Err(error)) => tracing::error!(error = %error, "the sync scheduler panicked"),
            Err(_) => {
                // Dropping the run rolls back the transaction of the page it was writing;
                // the checkpoint still marks the last committed page, so nothing is lost.
                tracing::warn!(
                    grace_secs = grace.as_secs(),
                    "sync did not stop in time; abandoning the page in flight"
                );
                sync.abort();
                drop(sync.await);
            }
        }
    }
    store.close().await;
    served.context("the HTTP server failed")?;
    tracing::info!("stopped");
    Ok(())
}

/// Runs sync rounds over every integration every `interval` until `cancel` fires; a run in
/// progress stops between pages, so the page being written commits or rolls back whole.
pub(crate) fn spawn_scheduler(
    store: Store,
    interval: Duration,
    full_every: Option<Duration>,
    cancel: CancellationToken,
    limiters: kommo_sync::Limiters,
) -> tokio::task::JoinHandle<Result<(), kommo_sync::SyncError>> {
    // Installs the process-wide metrics recorder before the first run reports anything.
    drop(kommo_api::metrics::prometheus());
    let options = SyncOptions {
        full_every,
        cancel: cancel.clone(),
        limiters,
        ..SyncOptions::default()
    };
    let scheduler = Scheduler::new(store, options).interval(interval);
    tokio::spawn(async move {
        scheduler
            .run_until(cancel, |results| {
                for (integration_id, result) in results {
                    match result {
                        Ok(summary) => tracing::info!(
                            integration_id,
                            kind = summary.kind.as_str(),
                            leads = summary.leads.rows,
                            contacts = summary.contacts.rows,
                            requests = summary.requests,
                            elapsed_ms =
                                u64::try_from(summary.elapsed.as_millis()).unwrap_or(u64::MAX),
                            "sync run finished"
                        ),
                        Err(error) => {
                            tracing::warn!(integration_id, error = %error, "sync run failed")
                        }
                    }
                }
            })
            .await
    })
}
