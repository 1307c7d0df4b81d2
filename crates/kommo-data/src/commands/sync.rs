//! `kommo-data sync`: sync integrations once (all, or those named), keep them current on an
//! interval (`--watch`), or work as one of several lease-holding workers (`--worker`);
//! `kommo-data sync status` shows each integration's last runs, counts, lag and errors.

use std::time::Duration;

use anyhow::Context as _;
use kommo_store::{Integration, RunStatus, Store, SyncRun};
use kommo_sync::{RoundResult, RunSummary, Scheduler, SyncOptions, WorkerConfig};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::admin::{integration_json, millis};
use super::common::{DatabaseArgs, FullPassArgs, cancel_on_signal, init_logging};
use super::progress::Renderer;

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct SyncArgs {
    #[command(subcommand)]
    command: Option<SyncCommand>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, clap::Subcommand)]
pub(crate) enum SyncCommand {
    /// Each integration's last runs, stored counts, lag and errors.
    Status(StatusArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct RunArgs {
    /// Sync only this integration (repeat for several); all when omitted.
    #[arg(long = "integration", value_name = "ID", conflicts_with = "worker")]
    integrations: Vec<String>,
    /// Keep syncing on an interval until stopped (SIGINT / SIGTERM).
    #[arg(long, conflicts_with = "worker")]
    watch: bool,
    /// Work as one of several processes sharing the integrations through leases in the
    /// database (each integration synced by one worker at a time), until stopped.
    #[arg(long)]
    worker: bool,
    /// Seconds between rounds (`--watch`), or the least time between two runs of one
    /// integration (`--worker`).
    #[arg(long, default_value_t = 300, env = "KOMMO_DATA_SYNC_INTERVAL_SECS")]
    interval_secs: u64,
    /// This worker's name in the leases (default: host name and process id).
    #[arg(long, requires = "worker")]
    worker_id: Option<String>,
    /// How long a worker's claim lasts without renewal: a dead worker's integrations are
    /// taken over after this.
    #[arg(long, default_value_t = 60, requires = "worker")]
    lease_secs: u64,
    /// Integrations a worker syncs at once.
    #[arg(long, default_value_t = 4, requires = "worker")]
    max_concurrent: usize,
    /// Read everything again instead of only what changed since the checkpoints.
    #[arg(long)]
    full: bool,
    #[command(flatten)]
    full_pass: FullPassArgs,
    /// How far before its checkpoint an incremental run starts again, in seconds.
    #[arg(long, default_value_t = 300)]
    overlap_secs: u64,
    /// Print one JSON object with the results (no progress bars); with `--watch`, one
    /// JSON object per line for each finished run.
    #[arg(long)]
    json: bool,
    /// Log JSON lines instead of text.
    #[arg(long)]
    log_json: bool,
    #[command(flatten)]
    database: DatabaseArgs,
}

#[derive(Debug, clap::Args)]
pub(crate) struct StatusArgs {
    /// Only this integration (repeat for several).
    #[arg(long = "integration", value_name = "ID")]
    integrations: Vec<String>,
    /// Runs shown per integration.
    #[arg(long, default_value_t = 5)]
    runs: u32,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    database: DatabaseArgs,
}

pub(crate) async fn run(args: SyncArgs) -> anyhow::Result<()> {
    match args.command {
        Some(SyncCommand::Status(status_args)) => status(status_args).await,
        None => sync(args.run).await,
    }
}

async fn sync(args: RunArgs) -> anyhow::Result<()> {
    init_logging(args.log_json);
    let store = args.database.open().await?;
    let cancel = CancellationToken::new();
    tokio::spawn(cancel_on_signal(
        cancel.clone(),
        "stopping: the page being written commits, then the runs stop",
    ));
    let options = SyncOptions {
        overlap: Duration::from_secs(args.overlap_secs),
        full: args.full,
        full_every: args.full_pass.full_every(),
        cancel: cancel.clone(),
        ..SyncOptions::default()
    };
    let renderer = Renderer::start(args.json);
    let mut scheduler = Scheduler::new(store.clone(), options)
        .with_progress(renderer.progress())
        .interval(Duration::from_secs(args.interval_secs.max(1)));
    if !args.integrations.is_empty() {
        scheduler = scheduler.only(args.integrations.clone());
    }

    let outcome = if args.worker {
        let worker_id = args.worker_id.clone().unwrap_or_else(default_worker_id);
        let config = WorkerConfig {
            lease: Duration::from_secs(args.lease_secs.max(3)),
            max_concurrent: args.max_concurrent.max(1),
            ..WorkerConfig::new(worker_id.clone())
        };
        tracing::info!(worker = %worker_id, lease_secs = args.lease_secs, "sync worker started; stop with Ctrl-C");
        let finished = scheduler.run_worker(&config, cancel).await;
        finished
            .map(|runs| {
                tracing::info!(worker = %worker_id, runs, "sync worker stopped");
            })
            .map_err(anyhow::Error::from)
    } else if args.watch {
        tracing::info!(
            interval_secs = args.interval_secs,
            "syncing on an interval; stop with Ctrl-C"
        );
        let json = args.json;
        scheduler
            .run_until(cancel, |results| {
                if json {
                    println!("{}", round_json(results));
                }
            })
            .await
            .map_err(anyhow::Error::from)
    } else {
        match scheduler.run_once().await {
            Ok(results) => {
                if args.json {
                    println!("{}", round_json(&results));
                } else {
                    print_round(&results);
                }
                let failed = results.iter().filter(|(_, r)| r.is_err()).count();
                if failed > 0 {
                    Err(anyhow::anyhow!(
                        "{failed} of {} integrations failed to sync (see above, or `kommo-data sync status`)",
                        results.len()
                    ))
                } else {
                    Ok(())
                }
            }
            Err(error) => Err(error.into()),
        }
    };
    // The scheduler holds the renderer's sender: drop it so the renderer sees the end.
    drop(scheduler);
    renderer.finish().await;
    store.close().await;
    outcome
}

fn default_worker_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default();
    let host = if host.is_empty() {
        "worker".to_owned()
    } else {
        host
    };
    format!("{host}-{}", std::process::id())
}

fn summary_json(summary: &RunSummary) -> Value {
    json!({
        "run_id": summary.run_id,
        "kind": summary.kind.as_str(),
        "leads": summary.leads.rows,
        "contacts": summary.contacts.rows,
        "deleted_leads_flagged": summary.deleted_leads.flagged,
        "deleted_contacts_flagged": summary.deleted_contacts.flagged,
        "companies": summary.companies.rows,
        "deleted_companies_flagged": summary.deleted_companies.flagged,
        "tasks": summary.tasks.rows,
        "deleted_tasks_flagged": summary.deleted_tasks.flagged,
        "pipeline_rows": summary.pipeline_rows,
        "users": summary.users,
        "relinked_leads": summary.relinked_leads,
        "relinked_contacts": summary.relinked_contacts,
        "relinked_companies": summary.relinked_companies,
        "requests": summary.requests,
        "rate_limited": summary.rate_limited,
        "seconds": summary.elapsed.as_secs_f64(),
        "warnings": summary.warnings,
    })
}

fn round_json(results: &[RoundResult]) -> Value {
    let runs: Vec<Value> = results
        .iter()
        .map(|(id, result)| match result {
            Ok(summary) => {
                let mut value = summary_json(summary);
                value["integration_id"] = json!(id);
                value["ok"] = json!(true);
                value
            }
            Err(error) => json!({"integration_id": id, "ok": false, "error": error.to_string()}),
        })
        .collect();
    json!({ "ok": results.iter().all(|(_, r)| r.is_ok()), "runs": runs })
}

fn print_round(results: &[RoundResult]) {
    if results.is_empty() {
        println!("no integrations to sync; `kommo-data integration add` connects one");
    }
    for (id, result) in results {
        match result {
            Ok(s) => println!(
                "{id}: {} sync ok: {} leads, {} contacts, {} companies, {} tasks, {} deleted flagged, {} pipeline rows, {} users, {} new status changes; {} requests, {} 429s, {:.1}s",
                s.kind.as_str(),
                s.leads.rows,
                s.contacts.rows,
                s.companies.rows,
                s.tasks.rows,
                s.deleted_leads.flagged
                    + s.deleted_contacts.flagged
                    + s.deleted_companies.flagged
                    + s.deleted_tasks.flagged,
                s.pipeline_rows,
                s.users,
                s.lead_events.flagged,
                s.requests,
                s.rate_limited,
                s.elapsed.as_secs_f64()
            ),
            Err(error) => println!("{id}: FAILED: {error}"),
        }
        if let Ok(s) = result {
            for warning in &s.warnings {
                println!("{id}: warning: {warning}");
            }
        }
    }
}

async fn status(args: StatusArgs) -> anyhow::Result<()> {
    let store = args.database.open().await?;
    let all = store
        .integrations()
        .await
        .context("could not list the integrations")?;
    if let Some(missing) = args
        .integrations
        .iter()
        .find(|id| !all.iter().any(|i| &&i.id == id))
    {
        anyhow::bail!("integration {missing} does not exist");
    }
    let selected: Vec<&Integration> = all
        .iter()
        .filter(|i| args.integrations.is_empty() || args.integrations.contains(&i.id))
        .collect();
    let now = chrono::Utc::now().timestamp_millis();
    let mut reports = Vec::new();
    for integration in selected {
        reports.push(report(&store, integration, args.runs, now).await?);
    }
    store.close().await;
    if args.json {
        println!("{}", json!({ "integrations": reports }));
        return Ok(());
    }
    if reports.is_empty() {
        println!("no integrations; `kommo-data integration add` connects one");
    }
    for r in &reports {
        print_report(r);
    }
    Ok(())
}

async fn report(
    store: &Store,
    integration: &Integration,
    limit: u32,
    now: i64,
) -> anyhow::Result<Value> {
    let id = integration.id.as_str();
    let runs = store
        .runs(id, limit.max(1))
        .await
        .context("could not read the run history")?;
    let counts = store
        .counts(id)
        .await
        .context("could not count the stored rows")?;
    let last_ok = store
        .runs(id, 200)
        .await
        .context("could not read the run history")?
        .into_iter()
        .find(|r| r.status == RunStatus::Ok);
    let mut streams = serde_json::Map::new();
    for stream in kommo_sync::CHECKPOINT_STREAMS {
        if let Some(c) = store
            .checkpoint(id, stream)
            .await
            .context("could not read a checkpoint")?
        {
            // The stays' derivation keeps a watermark of write times (ms), not of Kommo's.
            let cursor = if stream == kommo_sync::lead_history::STAGES_STREAM {
                kommo_store::unix_millis_to_rfc3339(c.cursor_updated_at)
            } else {
                kommo_store::unix_seconds_to_rfc3339(c.cursor_updated_at)
            };
            streams.insert(
                stream.to_owned(),
                json!({
                    "cursor_updated_at": cursor,
                    "full_sync_done": c.full_sync_done,
                }),
            );
        }
    }
    let mut value = integration_json(integration);
    value["counts"] = json!({
        "leads": counts.leads,
        "deleted_leads": counts.deleted_leads,
        "contacts": counts.contacts,
        "deleted_contacts": counts.deleted_contacts,
        "companies": counts.companies,
        "deleted_companies": counts.deleted_companies,
        "tasks": counts.tasks,
        "deleted_tasks": counts.deleted_tasks,
        "pipeline_rows": counts.pipeline_rows,
        "users": counts.users,
        "lead_status_changes": counts.lead_status_changes,
        "lead_stages": counts.lead_stages,
    });
    // The store is complete up to the start of the last successful run.
    value["lag_seconds"] = json!(
        last_ok
            .as_ref()
            .map(|r| (now - r.started_at).max(0) / 1_000)
    );
    value["last_success_at"] = json!(last_ok.as_ref().and_then(|r| millis(r.started_at)));
    value["last_error"] = json!(
        runs.iter()
            .find(|r| r.status == RunStatus::Failed)
            .and_then(|r| r.error.clone())
    );
    value["lease_owner"] = json!(integration.lease_owner);
    value["streams"] = Value::Object(streams);
    value["runs"] = Value::Array(runs.iter().map(run_json).collect());
    Ok(value)
}

fn run_json(run: &SyncRun) -> Value {
    json!({
        "id": run.id,
        "kind": run.kind,
        "status": match run.status { RunStatus::Ok => "ok", RunStatus::Failed => "failed", RunStatus::Running => "running" },
        "started_at": millis(run.started_at),
        "finished_at": run.finished_at.and_then(millis),
        "seconds": run.finished_at.map(|f| (f - run.started_at) as f64 / 1_000.0),
        "leads_written": run.leads_written,
        "contacts_written": run.contacts_written,
        "pipelines_written": run.pipelines_written,
        "users_written": run.users_written,
        "deleted_marked": run.deleted_marked,
        "requests": run.requests,
        "error": run.error,
    })
}

fn print_report(r: &Value) {
    let text = |v: &Value| match v {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    println!(
        "{} ({}, workspace {})",
        text(&r["id"]),
        text(&r["base_url"]),
        text(&r["workspace_id"])
    );
    let c = &r["counts"];
    println!(
        "  stored: {} leads (+{} deleted), {} contacts (+{} deleted), {} companies (+{} deleted), {} tasks (+{} deleted), {} pipeline rows, {} users",
        text(&c["leads"]),
        text(&c["deleted_leads"]),
        text(&c["contacts"]),
        text(&c["deleted_contacts"]),
        text(&c["companies"]),
        text(&c["deleted_companies"]),
        text(&c["tasks"]),
        text(&c["deleted_tasks"]),
        text(&c["pipeline_rows"]),
        text(&c["users"])
    );
    match &r["lag_seconds"] {
        Value::Null => println!("  never synced successfully"),
        lag => println!(
            "  current as of {} ({}s ago)",
            text(&r["last_success_at"]),
            text(lag)
        ),
    }
    if !r["lease_owner"].is_null() {
        println!("  being synced by worker {}", text(&r["lease_owner"]));
    }
    if let Value::Array(runs) = &r["runs"] {
        for run in runs {
            println!(
                "  run {:>5} {:<11} {:<7} {}  {} leads, {} contacts, {} requests, {}s{}",
                text(&run["id"]),
                text(&run["kind"]),
                text(&run["status"]),
                text(&run["started_at"]),
                text(&run["leads_written"]),
                text(&run["contacts_written"]),
                text(&run["requests"]),
                run["seconds"]
                    .as_f64()
                    .map_or_else(|| "-".to_owned(), |s| format!("{s:.1}")),
                run["error"]
                    .as_str()
                    .map(|e| format!("\n        error: {e}"))
                    .unwrap_or_default()
            );
        }
    }
}
