//! `kommo-data bench sync`: the sync engine's figures.
//!
//! 1. A full sync of a 100k-lead account at Kommo's real limit (7 requests a second): leads/s
//!    against the 7 × 250 ceiling, 429s seen by the simulator, requests against the floor.
//! 2. Unthrottled: leads/s through fetch, flatten and upsert, into SQLite and Postgres, and
//!    the process's peak memory at 100k and at 1M leads (it must not grow with the account).
//! 3. An incremental run at 7 requests a second after 1,000 status changes in the 1M-lead
//!    account: the pages of the leads and of the events they made, and the stays derived again.
//!
//! Each simulator runs in its own process (`kommo-data sim`), so this process's memory and
//! CPU are the sync engine's and the store's alone.

use std::num::NonZeroU32;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Context as _;
use kommo::{LeadsQuery, RateLimiter};
use kommo_model::LeadRequest;
use kommo_store::testing::TestStore;
use kommo_store::{Integration, IntegrationAuth, Keys, NewIntegration, SecretString, Store};
use kommo_sync::{Entity, Progress, ProgressEvent, RunSummary, SyncOptions, sync_integration};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

/// The client rate used for "unthrottled" runs: far above what the machine can serve.
const UNTHROTTLED: u32 = 10_000;
const PAGE: u64 = 250;

#[derive(Debug, clap::Args)]
pub(crate) struct SyncBenchArgs {
    /// Leads of the account in parts 1 and 2.
    #[arg(long, default_value_t = 100_000)]
    leads: u32,
    /// Leads of the large account in parts 2 and 3.
    #[arg(long, default_value_t = 1_000_000)]
    big_leads: u32,
    /// Changes before the incremental run of part 3.
    #[arg(long, default_value_t = 1_000)]
    changes: u32,
    /// Also measure Postgres at this URL (rows go under fresh `bench-*` ids). Without it,
    /// `KOMMO_DATA_TEST_POSTGRES_URL` is used when set (a fresh schema, dropped afterwards).
    #[arg(long)]
    postgres: Option<String>,
    /// Skip part 1 (it takes about two minutes at 7 requests a second).
    #[arg(long)]
    skip_throttled: bool,
    /// Skip the 1M-lead account (parts 2b and 3).
    #[arg(long)]
    skip_big: bool,
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

/// A simulator in a child process.
struct SimProcess {
    child: Child,
    base_url: String,
    token: String,
}

impl SimProcess {
    async fn start(leads: u32, rate: u32, seed: u64) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("locating this executable")?;
        let mut child = Command::new(exe)
            .args([
                "sim",
                "--port",
                "0",
                "--json",
                "--leads",
                &leads.to_string(),
                "--seed",
                &seed.to_string(),
            ])
            .args([
                "--rate-limit",
                &rate.to_string(),
                "--account-rate-limit",
                &if rate == 0 { 0 } else { 50 }.to_string(),
            ])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("starting `kommo-data sim`")?;
        let stdout = child.stdout.take().context("the simulator's stdout")?;
        let line = BufReader::new(stdout)
            .lines()
            .next_line()
            .await?
            .context("the simulator exited before it was ready")?;
        let ready: Value = serde_json::from_str(&line)
            .with_context(|| format!("unexpected simulator output {line:?}"))?;
        let text = |key: &str| {
            ready[key]
                .as_str()
                .map(str::to_owned)
                .with_context(|| format!("no {key} in {line}"))
        };
        Ok(Self {
            base_url: text("base_url")?,
            token: text("access_token")?,
            child,
        })
    }

    async fn control(&self, path: &str) -> anyhow::Result<Value> {
        let url = format!("{}/_sim{path}", self.base_url);
        Ok(reqwest::get(&url).await?.error_for_status()?.json().await?)
    }

    async fn reset_counters(&self) -> anyhow::Result<()> {
        reqwest::Client::new()
            .post(format!("{}/_sim/counters/reset", self.base_url))
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }

    async fn stop(mut self) {
        drop(self.child.kill().await);
    }
}

/// A `/proc/self/status` field in MiB.
fn status_mib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Samples this process's memory while a run goes: the peak resident set, and the peak of
/// its anonymous part (heap and stacks: what the engine and the store's caches hold). The
/// rest is file-backed: pages of the SQLite file the store maps into memory, which the
/// kernel drops under pressure.
struct MemorySampler {
    stop: tokio_util::sync::CancellationToken,
    task: tokio::task::JoinHandle<(f64, f64)>,
}

impl MemorySampler {
    fn start() -> Self {
        // Linux: writing 5 resets VmHWM, so the peak covers this run only.
        drop(std::fs::write("/proc/self/clear_refs", "5"));
        let stop = tokio_util::sync::CancellationToken::new();
        let token = stop.clone();
        let task = tokio::spawn(async move {
            let mut anon: f64 = 0.0;
            loop {
                anon = anon.max(status_mib("RssAnon:").unwrap_or(0.0));
                tokio::select! {
                    () = token.cancelled() => break,
                    () = tokio::time::sleep(std::time::Duration::from_millis(50)) => {}
                }
            }
            (status_mib("VmHWM:").unwrap_or(0.0), anon)
        });
        Self { stop, task }
    }

    async fn finish(self) -> String {
        self.stop.cancel();
        match self.task.await {
            Ok((peak, anon)) if peak > 0.0 => {
                format!("peak RSS {peak:.0} MiB, of which anonymous {anon:.0} MiB")
            }
            _ => "peak RSS unknown (no /proc)".to_owned(),
        }
    }
}

async fn integration(
    store: &Store,
    id: &str,
    sim: &SimProcess,
    rate: u32,
) -> anyhow::Result<Integration> {
    let org = format!("{id}-org");
    let ws = format!("{id}-ws");
    store.create_organization(&org, "Benchmark").await?;
    store.create_workspace(&org, &ws, "Benchmark").await?;
    Ok(store
        .create_integration(NewIntegration {
            id: id.to_owned(),
            workspace_id: ws,
            base_url: sim.base_url.clone(),
            auth: IntegrationAuth::LongLivedToken(SecretString::from(sim.token.clone())),
            rate_limit_per_second: rate,
        })
        .await?)
}

/// One stream's own figures within a run, from its progress events.
#[derive(Debug, Clone, Copy, Default)]
struct StreamFigures {
    rows: u64,
    pages: u64,
    seconds: f64,
}

impl StreamFigures {
    fn rate(&self) -> f64 {
        self.rows as f64 / self.seconds.max(1e-9)
    }
}

/// A run with the leads stream's and the lead events stream's own figures, and how long
/// deriving the stays took.
struct Measured {
    summary: RunSummary,
    leads: StreamFigures,
    events: StreamFigures,
    stays: StreamFigures,
}

async fn measured_run(
    store: &Store,
    integration: &Integration,
    options: &SyncOptions,
) -> anyhow::Result<Measured> {
    let figures: Arc<Mutex<[StreamFigures; 3]>> = Arc::default();
    let seen = figures.clone();
    let progress = Progress::callback(move |event| {
        if let ProgressEvent::EntityDone(p) = event
            && let Some(slot) = [Entity::Leads, Entity::LeadEvents, Entity::LeadStages]
                .iter()
                .position(|e| *e == p.entity)
            && let Ok(mut f) = seen.lock()
        {
            f[slot] = StreamFigures {
                rows: p.rows,
                pages: p.pages,
                seconds: p.elapsed.as_secs_f64(),
            };
        }
    });
    let summary = sync_integration(store, integration, options, &progress).await?;
    let [leads, events, stays] = *figures
        .lock()
        .map_err(|_| anyhow::anyhow!("progress lock poisoned"))?;
    Ok(Measured {
        summary,
        leads,
        events,
        stays,
    })
}

fn pages(n: u64) -> u64 {
    n.div_ceil(PAGE).max(1)
}

pub(crate) async fn run(args: SyncBenchArgs) -> anyhow::Result<()> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let profile = if cfg!(debug_assertions) {
        "debug build: figures are far below release"
    } else {
        "release build"
    };
    println!(
        "kommo-data sync benchmark: {cores} cores, {profile}; simulators run in child processes"
    );

    if !args.skip_throttled {
        throttled(&args).await?;
    }
    unthrottled(&args).await?;
    Ok(())
}

/// Part 1: a full sync at Kommo's real limit.
async fn throttled(args: &SyncBenchArgs) -> anyhow::Result<()> {
    println!(
        "\n1. full sync of {} leads at 7 requests/s (simulator limits 7/s per token, 50/s per account)",
        args.leads
    );
    let sim = SimProcess::start(args.leads, 7, args.seed).await?;
    let sizes = sim.control("").await?;
    let test = TestStore::sqlite(Keys::generate()).await?;
    let integration = integration(&test.store, "bench-throttled", &sim, 7).await?;
    sim.reset_counters().await?;
    let m = measured_run(&test.store, &integration, &SyncOptions::default()).await?;
    let counters = sim.control("/counters").await?;
    let live = sizes["leads"].as_u64().unwrap_or(0);
    let contacts = sizes["contacts"].as_u64().unwrap_or(0);
    let deleted = sizes["deleted_leads"].as_u64().unwrap_or(0);
    let deleted_contacts = sizes["deleted_contacts"].as_u64().unwrap_or(0);
    let rate = m.leads.rate();
    let ceiling = 7.0 * PAGE as f64;
    let s = &m.summary;
    let companies = sizes["companies"].as_u64().unwrap_or(0);
    let tasks = sizes["tasks"].as_u64().unwrap_or(0);
    // The floor: every stream's pages at 250 a page (the lead events' as many as the events
    // the run received), plus the dictionaries (pipelines, loss reasons, sources, two tag
    // lists, two field lists, users: one page each here). The deleted companies' and tasks'
    // streams are not in it: their pages depend on what the account deleted.
    let floor = pages(live)
        + pages(deleted)
        + pages(contacts)
        + pages(deleted_contacts)
        + pages(companies)
        + pages(tasks)
        + pages(m.events.rows)
        + 8;
    println!(
        "   leads stream: {} leads in {:.1} s = {:.0} leads/s = {:.1}% of the {:.0} leads/s ceiling (target >= 95%)",
        m.leads.rows,
        m.leads.seconds,
        rate,
        100.0 * rate / ceiling,
        ceiling
    );
    // A page of events costs a request like a page of leads: the same ceiling, in pages.
    let events_pages_per_second = m.events.pages as f64 / m.events.seconds.max(1e-9);
    println!(
        "   lead events stream: {} events in {} pages in {:.1} s = {:.2} pages/s = {:.1}% of the 7 pages/s ceiling (target >= 95%); stays of {} leads derived in {:.1} s",
        m.events.rows,
        m.events.pages,
        m.events.seconds,
        events_pages_per_second,
        100.0 * events_pages_per_second / 7.0,
        m.stays.rows,
        m.stays.seconds
    );
    println!(
        "   429s: {} at the simulator, {} seen by the client",
        counters["rate_limited"].as_u64().unwrap_or(0),
        s.rate_limited
    );
    println!(
        "   requests: leads stream {} pages for {} live leads (floor {}); whole run {} requests (floor {}: {} leads, {} contacts, {} companies, {} tasks, {} lead events, {} deleted pages, 8 dictionaries) in {:.1} s",
        s.leads.pages,
        live,
        pages(live),
        s.requests,
        floor,
        pages(live),
        pages(contacts),
        pages(companies),
        pages(tasks),
        pages(m.events.rows),
        pages(deleted) + pages(deleted_contacts),
        s.elapsed.as_secs_f64()
    );
    test.cleanup().await?;
    sim.stop().await;
    Ok(())
}

/// Part 2 (and 3 on the big account).
async fn unthrottled(args: &SyncBenchArgs) -> anyhow::Result<()> {
    println!("\n2. unthrottled: fetch, flatten and upsert (client and simulator limits off)");
    let sim = SimProcess::start(args.leads, 0, args.seed).await?;
    let (rate, cpu) = engine_alone(&sim).await?;
    println!(
        "   without a store: {} leads fetched, parsed and flattened at {rate:.0} leads/s ({cpu:.0} leads per CPU second of this process)",
        args.leads
    );
    let sqlite = TestStore::sqlite(Keys::generate()).await?;
    let (rate, peak) = full_unthrottled(&sqlite.store, "bench-sqlite", &sim).await?;
    println!(
        "   SQLite:   {} leads at {rate:.0} leads/s (target >= 30,000), {peak}",
        args.leads
    );
    sqlite.cleanup().await?;

    let pg_env = TestStore::postgres(Keys::generate()).await?;
    let postgres = match (&args.postgres, pg_env) {
        (Some(url), env) => {
            if let Some(t) = env {
                t.cleanup().await?;
            }
            Some((
                Store::connect(url, Keys::generate())
                    .await
                    .context("connecting to --postgres")?,
                None,
            ))
        }
        (None, Some(t)) => Some((t.store.clone(), Some(t))),
        (None, None) => None,
    };
    match postgres {
        Some((store, test)) => {
            let id = format!("bench-pg-{}", std::process::id());
            let (rate, peak) = full_unthrottled(&store, &id, &sim).await?;
            println!(
                "   Postgres: {} leads at {rate:.0} leads/s (target >= 15,000), {peak}",
                args.leads
            );
            match test {
                Some(t) => t.cleanup().await?,
                None => store.close().await,
            }
        }
        None => println!(
            "   Postgres: skipped (give --postgres URL or set KOMMO_DATA_TEST_POSTGRES_URL)"
        ),
    }
    sim.stop().await;

    if args.skip_big {
        return Ok(());
    }
    println!(
        "   generating a {}-lead account in a simulator process ...",
        args.big_leads
    );
    let big = SimProcess::start(args.big_leads, 0, args.seed).await?;
    let test = TestStore::sqlite(Keys::generate()).await?;
    let started = Instant::now();
    let (rate, peak) = full_unthrottled(&test.store, "bench-big", &big).await?;
    println!(
        "   SQLite:   {} leads at {rate:.0} leads/s, {peak} (full run {:.0} s); memory must not grow with the account",
        args.big_leads,
        started.elapsed().as_secs_f64()
    );
    incremental(args, &test.store, &big).await?;
    test.cleanup().await?;
    big.stop().await;
    Ok(())
}

/// CPU seconds this process has used (user + system); 0 without `/proc`.
fn cpu_seconds() -> f64 {
    super::proc_stat("/proc/self/stat").map_or(0.0, |(_, seconds)| seconds)
}

/// The engine's side alone: every lead read as the sync reads it (same query, 250 a page)
/// and flattened, nothing stored; (leads/s, leads per CPU second of this process).
async fn engine_alone(sim: &SimProcess) -> anyhow::Result<(f64, f64)> {
    use futures::TryStreamExt as _;
    let client = kommo::Client::builder(sim.base_url.clone())
        .long_lived_token(sim.token.clone())
        .rate_limiter(RateLimiter::new(
            NonZeroU32::new(UNTHROTTLED).unwrap_or(NonZeroU32::MIN),
        ))
        .build()?;
    let tenancy = kommo_store::rows::RowTenancy {
        integration_id: "engine".to_owned(),
        workspace_id: "engine".to_owned(),
        organization_id: "engine".to_owned(),
    };
    let dictionaries = kommo_sync::Dictionaries::new();
    let ctx = kommo_sync::FlattenContext {
        tenancy: &tenancy,
        inserted_at: 0,
        dictionaries: &dictionaries,
    };
    let query = LeadsQuery::new()
        .order(kommo::EntityOrder::UpdatedAt, kommo::Direction::Asc)
        .with(kommo::LeadWith::Contacts)
        .with(kommo::LeadWith::LossReason)
        .with(kommo::LeadWith::SourceId)
        .limit(PAGE as u32);
    let started = Instant::now();
    let cpu = cpu_seconds();
    let mut pages = client.leads(query);
    let mut leads = 0u64;
    while let Some(page) = pages.try_next().await? {
        for lead in &page.items {
            std::hint::black_box(kommo_sync::lead_row(lead, &ctx));
        }
        leads += page.items.len() as u64;
    }
    let elapsed = started.elapsed().as_secs_f64();
    Ok((
        leads as f64 / elapsed,
        leads as f64 / (cpu_seconds() - cpu).max(1e-9),
    ))
}

/// A full unthrottled run; (leads/s of the leads stream, peak RSS during the run).
async fn full_unthrottled(
    store: &Store,
    id: &str,
    sim: &SimProcess,
) -> anyhow::Result<(f64, String)> {
    let integration = integration(store, id, sim, UNTHROTTLED).await?;
    let memory = MemorySampler::start();
    let m = measured_run(store, &integration, &SyncOptions::default()).await;
    let peak = memory.finish().await;
    let m = m?;
    Ok((m.leads.rate(), peak))
}

/// Part 3: changes through Kommo's API, then an incremental run at 7 requests a second.
async fn incremental(args: &SyncBenchArgs, store: &Store, sim: &SimProcess) -> anyhow::Result<()> {
    println!(
        "\n3. incremental run after {} status changes in the {}-lead account, at 7 requests/s",
        args.changes, args.big_leads
    );
    let client = kommo::Client::builder(sim.base_url.clone())
        .long_lived_token(sim.token.clone())
        .rate_limiter(RateLimiter::new(
            NonZeroU32::new(UNTHROTTLED).unwrap_or(NonZeroU32::MIN),
        ))
        .build()?;
    // Leads spread over the account: a page every few thousand leads. Each open lead moves
    // to the next open stage of its pipeline (a closed one is reopened in its pipeline's
    // first open stage): one status change, one event, per lead.
    let pipelines = client.pipelines().await.context("reading the pipelines")?;
    let wanted = args.changes as usize;
    let stride = (u64::from(args.big_leads) / PAGE / (wanted as u64).div_ceil(PAGE).max(1)).max(1);
    let mut updates: Vec<LeadRequest> = Vec::with_capacity(wanted);
    let mut page = 1u32;
    while updates.len() < wanted {
        let Some(leads) = lead_page(&client, page).await? else {
            break;
        };
        for (id, pipeline_id, status_id) in leads {
            if updates.len() == wanted {
                break;
            }
            if let Some(next) = next_open_stage(&pipelines, pipeline_id, status_id) {
                updates.push(LeadRequest {
                    id: Some(id),
                    status_id: Some(next),
                    pipeline_id: Some(pipeline_id),
                    ..LeadRequest::default()
                });
            }
        }
        page = page.saturating_add(u32::try_from(stride).unwrap_or(u32::MAX));
    }
    let changed = updates.len();
    client
        .update_leads(updates)
        .await
        .context("changing leads' stages through the API")?;
    println!("   moved {changed} leads to another stage through PATCH /api/v4/leads");
    // A pass reads events up to two seconds before it starts (later ones may still be
    // committing at Kommo), so the run waits for them to fall inside its window.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;

    let integration = store
        .integration("bench-big")
        .await?
        .context("the big integration")?;
    let options = SyncOptions::default();
    options
        .limiters
        .pin(&integration.id, RateLimiter::new(kommo::DEFAULT_PER_SECOND));
    let m = measured_run(store, &integration, &options).await?;
    let s = &m.summary;
    println!(
        "   {} run: {} leads read in {} pages, {} lead events in {} pages ({} new status changes), stays of {} leads derived again in {:.1} s; {} requests in total, {:.1} s ({} 429s)",
        s.kind.as_str(),
        s.leads.rows,
        s.leads.pages,
        s.lead_events.rows,
        s.lead_events.pages,
        s.lead_events.flagged,
        s.restaged_leads,
        m.stays.seconds,
        s.requests,
        s.elapsed.as_secs_f64(),
        s.rate_limited
    );
    Ok(())
}

/// The stage a lead in `status_id` moves to: the next open stage of its pipeline, or the
/// first open one when it is closed or in the last.
fn next_open_stage(
    pipelines: &[kommo_model::Pipeline],
    pipeline_id: i64,
    status_id: i64,
) -> Option<i64> {
    let pipeline = pipelines.iter().find(|p| p.id == pipeline_id)?;
    let mut open: Vec<&kommo_model::Status> = pipeline
        .embedded
        .statuses
        .iter()
        .filter(|s| s.id != 142 && s.id != 143)
        .collect();
    open.sort_by_key(|s| s.sort);
    let at = open.iter().position(|s| s.id == status_id);
    let next = match at {
        Some(i) if i + 1 < open.len() => open[i + 1],
        _ => *open.first()?,
    };
    (next.id != status_id).then_some(next.id)
}

/// The (id, pipeline, stage) of each lead of one page of the leads list.
async fn lead_page(
    client: &kommo::Client,
    page: u32,
) -> anyhow::Result<Option<Vec<(i64, i64, i64)>>> {
    use futures::StreamExt as _;
    let mut pages = client.leads(LeadsQuery::new().limit(PAGE as u32).page(page));
    Ok(pages.next().await.transpose()?.map(|p| {
        p.items
            .iter()
            .map(|l| (l.id, l.pipeline_id, l.status_id))
            .collect()
    }))
}
