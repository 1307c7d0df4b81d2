//! `kommo-data bench api`: the data API under load. Seeds 1M synthetic leads (and contacts)
//! into one workspace straight through the store, runs `kommo-data serve` as a child process,
//! drives it with a keep-alive HTTP load generator on this machine, and prints requests/s,
//! latency percentiles per query and the server's peak memory, for SQLite and Postgres.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use kommo_store::rows::{ContactRow, LeadRow, RowTenancy};
use kommo_store::{
    ExposeSecret as _, IntegrationAuth, Keys, NewIntegration, SecretString, Store, StoreError,
};
use rand::{RngExt as _, SeedableRng as _};

const ORGANIZATION: &str = "bench-api";
const WORKSPACE: &str = "bench-api";
const INTEGRATION: &str = "bench-api";
/// 2024-01-01, where the store's synthetic rows begin (they span two years).
const SYNTHETIC_BASE: i64 = 1_704_067_200;
const TAGS: [&str; 8] = [
    "VIP", "cold", "hot", "partner", "webinar", "referral", "expo", "retarget",
];

/// The data API under load: 1M leads, the published query mix, SQLite and Postgres.
#[derive(Debug, clap::Args)]
pub(crate) struct ApiBenchArgs {
    /// Leads in the benchmark workspace.
    #[arg(long, default_value_t = 1_000_000)]
    leads: u64,
    /// Contacts in the benchmark workspace (the email query reads them).
    #[arg(long, default_value_t = 200_000)]
    contacts: u64,
    /// Concurrent keep-alive connections of the load generator.
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Seconds of measured load per database.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Seconds of load before measuring (warms caches and connections).
    #[arg(long, default_value_t = 3)]
    warmup_seconds: u64,
    /// Keeps the SQLite database between runs, so it is seeded once.
    #[arg(long, default_value = "kommo-bench-api")]
    dir: PathBuf,
    /// Which queries of the mix to send, by number (1 = pipeline and created range, 2 = status
    /// list, 3 = tag name, 4 = page 500, 5 = contact by email; the funnel history: 6 = the
    /// funnel of one pipeline for one quarter, 7 = a page of one status's lead stages, 8 = a
    /// page of one pipeline's status changes in 30 days); 1 to 5 by default.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 2, 3, 4, 5])]
    queries: Vec<usize>,
    /// Passed to `serve --max-concurrent-reads` (0 = no limit but the database pool).
    #[arg(long, default_value_t = 0)]
    max_concurrent_reads: usize,
    /// Skip SQLite.
    #[arg(long)]
    no_sqlite: bool,
    /// Skip Postgres. Otherwise Postgres is measured when KOMMO_DATA_TEST_POSTGRES_URL is set,
    /// in a fresh schema that is dropped afterwards (unless `--keep-postgres`).
    #[arg(long)]
    no_postgres: bool,
    /// Keep the fresh Postgres schema and print its URL, for `--postgres-url` next time.
    #[arg(long)]
    keep_postgres: bool,
    /// Measure Postgres at this URL (e.g. a schema kept by `--keep-postgres`); seeded if needed.
    #[arg(long)]
    postgres_url: Option<String>,
}

pub(crate) async fn run(args: ApiBenchArgs) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    drop(
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .try_init(),
    );
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    println!("kommo-data bench api");
    println!(
        "  machine: {cores} cores; server and load generator share them. Load generator: {} keep-alive HTTP/1.1 \
         connections (reqwest/hyper, one tokio task each, closed loop), {} s warm-up, {} s measured, limit=100.",
        args.connections, args.warmup_seconds, args.seconds
    );
    println!(
        "  data: {} leads and {} contacts in one workspace (kommo_store::bench synthetic rows: 10 pipelines, 0-3 tags, two years; \
         about five status changes a lead, with the stays they tile).",
        args.leads, args.contacts
    );
    println!(
        "  query mix, in turn: one pipeline in a 60-day created range; a status list; a tag name; page 500 of the \
         unfiltered listing; a contact by email (values drawn at random per request)."
    );
    let mut reports = Vec::new();
    if !args.no_sqlite {
        std::fs::create_dir_all(&args.dir)
            .with_context(|| format!("creating {}", args.dir.display()))?;
        let key_path = args.dir.join("bench.key");
        let keys = read_or_create_key(&key_path)?;
        let database = args.dir.join("bench.sqlite").to_string_lossy().into_owned();
        let store = Store::connect(&database, keys)
            .await
            .context("opening the SQLite benchmark database")?;
        let report = measure("SQLite", &store, &database, &key_path, &args).await;
        store.close().await;
        reports.push(report?);
    }
    if !args.no_postgres {
        let keys = Keys::generate();
        let key_path = args.dir.join("bench-postgres.key");
        std::fs::create_dir_all(&args.dir)
            .with_context(|| format!("creating {}", args.dir.display()))?;
        write_key(&key_path, &keys.to_base64())?;
        if let Some(url) = &args.postgres_url {
            let key_path = args.dir.join("bench-postgres-kept.key");
            let keys = read_or_create_key(&key_path)?;
            let store = Store::connect(url, keys)
                .await
                .context("opening Postgres")?;
            let report = measure("Postgres", &store, url, &key_path, &args).await;
            store.close().await;
            reports.push(report?);
        } else {
            match kommo_store::testing::TestStore::postgres(keys)
                .await
                .context("opening Postgres")?
            {
                Some(t) => {
                    let report = measure("Postgres", &t.store, &t.url, &key_path, &args).await;
                    if args.keep_postgres {
                        std::fs::copy(&key_path, args.dir.join("bench-postgres-kept.key"))
                            .context("keeping the Postgres key")?;
                        println!("  kept: --postgres-url '{}'", t.url);
                    } else {
                        t.cleanup().await.context("dropping the benchmark schema")?;
                    }
                    reports.push(report?);
                }
                None => println!(
                    "\nPostgres: skipped (set KOMMO_DATA_TEST_POSTGRES_URL to measure it)."
                ),
            }
        }
    }
    println!();
    println!("Summary (limit=100, {} connections):", args.connections);
    for r in &reports {
        println!(
            "  {:<8} {:>7.0} requests/s  p50 {:>6.2} ms  p99 {:>6.2} ms  errors {}  serve peak RSS {}",
            r.database,
            r.requests_per_second,
            r.p50.as_secs_f64() * 1e3,
            r.p99.as_secs_f64() * 1e3,
            r.errors,
            r.peak_rss_kib.map_or_else(
                || "unknown".to_owned(),
                |k| format!("{:.0} MiB", k as f64 / 1024.0)
            ),
        );
    }
    Ok(())
}

#[derive(Debug)]
struct Report {
    database: &'static str,
    requests_per_second: f64,
    p50: Duration,
    p99: Duration,
    errors: u64,
    peak_rss_kib: Option<u64>,
}

async fn measure(
    database: &'static str,
    store: &Store,
    url: &str,
    key_path: &Path,
    args: &ApiBenchArgs,
) -> anyhow::Result<Report> {
    println!();
    println!("{database}:");
    let tenancy = seed(store, args.leads, args.contacts).await?;
    let credentials = store
        .create_credentials(
            &tenancy.organization_id,
            std::slice::from_ref(&tenancy.workspace_id),
            0,
        )
        .await?;
    let client_id = credentials.client_id.clone();
    let secret = credentials.client_secret.expose_secret().to_owned();

    let port = free_port()?;
    let exe = current_exe()?;
    let mut server = tokio::process::Command::new(exe)
        .args([
            "serve",
            "--no-sync",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--database",
            url,
        ])
        .arg("--max-concurrent-reads")
        .arg(args.max_concurrent_reads.to_string())
        .arg("--secret-key-file")
        .arg(key_path)
        .env("RUST_LOG", "warn")
        .env_remove("KOMMO_DATA_SECRET_KEY")
        .stdout(Stdio::null())
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting kommo-data serve")?;
    let pid = server.id().context("the server exited at once")?;
    let base = format!("http://127.0.0.1:{port}");
    wait_healthy(&base).await?;
    println!(
        "  serve (pid {pid}) is up; RSS at start {}",
        rss_line(pid, "VmRSS:")
    );

    // Serve's CPU time over the measured window (from the end of the warm-up): per request,
    // the figure that does not move with this host's speed the way requests/s does.
    let warmup = Duration::from_secs(args.warmup_seconds);
    let cpu_at_start = tokio::spawn(async move {
        tokio::time::sleep(warmup).await;
        cpu_seconds(pid)
    });
    let load = generate_load(&base, &client_id, &secret, args).await;
    let cpu_at_end = cpu_seconds(pid);
    let serve_cpu = match (cpu_at_start.await.ok().flatten(), cpu_at_end) {
        (Some(start), Some(end)) => Some(end - start),
        _ => None,
    };
    let peak_rss_kib = read_status_kib(pid, "VmHWM:");
    let stop = tokio::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .await;
    if stop.is_err()
        || tokio::time::timeout(Duration::from_secs(20), server.wait())
            .await
            .is_err()
    {
        server.kill().await.ok();
    }
    let load = load?;

    println!(
        "  {:<34} {:>9} {:>9} {:>9} {:>9} {:>7}",
        "query", "requests", "p50 ms", "p99 ms", "max ms", "rows"
    );
    for (kind, stats) in QUERY_NAMES.iter().zip(&load.per_kind) {
        if stats.latencies.is_empty() {
            continue;
        }
        println!(
            "  {:<34} {:>9} {:>9.2} {:>9.2} {:>9.2} {:>7.1}",
            kind,
            stats.latencies.len(),
            percentile_sorted(&stats.latencies, 0.50).as_secs_f64() * 1e3,
            percentile_sorted(&stats.latencies, 0.99).as_secs_f64() * 1e3,
            percentile_sorted(&stats.latencies, 1.0).as_secs_f64() * 1e3,
            stats.rows as f64 / stats.latencies.len().max(1) as f64,
        );
    }
    let mut all: Vec<Duration> = load
        .per_kind
        .iter()
        .flat_map(|s| s.latencies.iter().copied())
        .collect();
    all.sort_unstable();
    let requests = all.len() as u64;
    let rps = requests as f64 / load.elapsed.as_secs_f64();
    let report = Report {
        database,
        requests_per_second: rps,
        p50: percentile_sorted(&all, 0.50),
        p99: percentile_sorted(&all, 0.99),
        errors: load.errors,
        peak_rss_kib,
    };
    println!(
        "  all: {requests} requests in {:.1} s = {rps:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms, {} errors; \
         serve peak RSS {}",
        load.elapsed.as_secs_f64(),
        report.p50.as_secs_f64() * 1e3,
        report.p99.as_secs_f64() * 1e3,
        load.errors,
        peak_rss_kib.map_or_else(
            || "unknown".to_owned(),
            |k| format!("{:.1} MiB", k as f64 / 1024.0)
        ),
    );
    if let Some(cpu) = serve_cpu.filter(|_| requests > 0) {
        println!(
            "  serve CPU: {:.0}% of a core, {:.3} ms per request",
            cpu / load.elapsed.as_secs_f64() * 100.0,
            cpu * 1e3 / requests as f64
        );
    }
    Ok(report)
}

/// This executable; when it was replaced on disk since it started (a rebuild), the new one
/// at the same path.
fn current_exe() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("finding the kommo-data executable")?;
    let text = exe.to_string_lossy();
    Ok(match text.strip_suffix(" (deleted)") {
        Some(path) => PathBuf::from(path),
        None => exe,
    })
}

/// Creates the benchmark's tenancy (once) and writes the synthetic rows it lacks.
async fn seed(store: &Store, leads: u64, contacts: u64) -> anyhow::Result<RowTenancy> {
    ignore_conflict(
        store
            .create_organization(ORGANIZATION, "API benchmark")
            .await
            .map(drop),
    )?;
    ignore_conflict(
        store
            .create_workspace(ORGANIZATION, WORKSPACE, "API benchmark")
            .await
            .map(drop),
    )?;
    ignore_conflict(
        store
            .create_integration(NewIntegration {
                id: INTEGRATION.to_owned(),
                workspace_id: WORKSPACE.to_owned(),
                base_url: "http://bench.invalid".to_owned(),
                auth: IntegrationAuth::LongLivedToken(SecretString::from("bench")),
                rate_limit_per_second: 7,
            })
            .await
            .map(drop),
    )?;
    let tenancy = RowTenancy {
        integration_id: INTEGRATION.to_owned(),
        workspace_id: WORKSPACE.to_owned(),
        organization_id: ORGANIZATION.to_owned(),
    };
    let counts = store.counts(INTEGRATION).await?;
    if counts.leads + counts.deleted_leads >= leads
        && counts.contacts + counts.deleted_contacts >= contacts
    {
        println!(
            "  reusing {} leads and {} contacts already in the database",
            counts.leads, counts.contacts
        );
        if counts.lead_stages == 0 {
            seed_history(store, &tenancy, leads).await?;
        } else {
            println!(
                "  reusing {} status changes and {} stays",
                counts.lead_status_changes, counts.lead_stages
            );
        }
        return Ok(tenancy);
    }
    let started = Instant::now();
    const PAGE: u64 = 1_000;
    let mut next = 1u64;
    while next <= leads {
        let end = (next + PAGE - 1).min(leads);
        let rows: Vec<LeadRow> = (next..=end)
            .map(|id| kommo_store::bench::synthetic_lead(&tenancy, id_of(id)))
            .collect();
        store.write_leads(&tenancy, &rows, None).await?;
        if end.is_multiple_of(100_000) || end == leads {
            println!(
                "  seeded {end} leads ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
        }
        next = end + 1;
    }
    let mut next = 1u64;
    while next <= contacts {
        let end = (next + PAGE - 1).min(contacts);
        let rows: Vec<ContactRow> = (next..=end)
            .map(|id| kommo_store::bench::synthetic_contact(&tenancy, id_of(id)))
            .collect();
        store.write_contacts(&tenancy, &rows, None).await?;
        next = end + 1;
    }
    println!(
        "  seeded {leads} leads and {contacts} contacts in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    seed_history(store, &tenancy, leads).await?;
    Ok(tenancy)
}

/// Writes the synthetic leads' pipelines, status changes and stays (about five changes a
/// lead), then refreshes the planner statistics.
async fn seed_history(store: &Store, tenancy: &RowTenancy, leads: u64) -> anyhow::Result<()> {
    let started = Instant::now();
    store
        .replace_pipelines(tenancy, &kommo_store::bench::synthetic_pipelines(tenancy))
        .await?;
    const PAGE: u64 = 1_000;
    let mut next = 1u64;
    let mut changes_written = 0usize;
    while next <= leads {
        let end = (next + PAGE - 1).min(leads);
        let ids: Vec<i64> = (next..=end).map(id_of).collect();
        let mut changes = Vec::new();
        let mut stays = Vec::new();
        for &id in &ids {
            let lead = kommo_store::bench::synthetic_lead(tenancy, id);
            let (c, s) = kommo_store::bench::synthetic_history(&lead);
            changes.extend(c);
            stays.extend(s);
        }
        changes_written += changes.len();
        store
            .write_lead_events(tenancy, &changes, &[], None)
            .await?;
        store
            .replace_lead_stages(tenancy, &ids, &stays, None)
            .await?;
        if end.is_multiple_of(100_000) || end == leads {
            println!(
                "  seeded the history of {end} leads: {changes_written} status changes ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
        }
        next = end + 1;
    }
    store.analyze().await?;
    Ok(())
}

fn id_of(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn ignore_conflict(result: Result<(), StoreError>) -> Result<(), StoreError> {
    match result {
        Err(StoreError::Conflict { .. }) => Ok(()),
        other => other,
    }
}

fn read_or_create_key(path: &Path) -> anyhow::Result<Keys> {
    match std::fs::read_to_string(path) {
        Ok(text) => Keys::from_base64(text.trim())
            .with_context(|| format!("{} holds no key", path.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let keys = Keys::generate();
            write_key(path, &keys.to_base64())?;
            Ok(keys)
        }
        Err(error) => Err(error).with_context(|| format!("reading {}", path.display())),
    }
}

fn write_key(path: &Path, key: &str) -> anyhow::Result<()> {
    std::fs::write(path, format!("{key}\n")).with_context(|| format!("writing {}", path.display()))
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr().context("finding a free port")?.port())
}

async fn wait_healthy(base: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(response) = client.get(format!("{base}/healthz")).send().await
            && response.status().is_success()
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            anyhow::bail!("kommo-data serve did not become healthy within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

const QUERY_NAMES: [&str; 8] = [
    "one pipeline, 60-day created range",
    "a status list",
    "a tag name",
    "page 500, no filter",
    "a contact by email",
    "funnel: one pipeline, one quarter",
    "lead-stages: one status, 100 rows",
    "lead-status-changes: pipeline, 30 d",
];

#[derive(Debug, Default)]
struct KindStats {
    latencies: Vec<Duration>,
    rows: u64,
}

#[derive(Debug)]
struct Load {
    per_kind: Vec<KindStats>,
    errors: u64,
    elapsed: Duration,
}

/// The request of `kind`, with values drawn from `rng` so no two requests need be the same.
fn request_path(kind: usize, rng: &mut rand::rngs::SmallRng, contacts: u64) -> String {
    let ws = WORKSPACE;
    let date = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    };
    match kind {
        0 => {
            let pipeline = 1000 + rng.random_range(0..10);
            let day = rng.random_range(0..(2 * 365 - 60));
            let start = SYNTHETIC_BASE + day * 86_400;
            format!(
                "/v1/kommo/leads?workspaceId={ws}&pipelineId={pipeline}&createdStart={}&createdEnd={}&limit=100",
                date(start),
                date(start + 59 * 86_400)
            )
        }
        1 => {
            let lists = ["142,143", "142", "10032,10045", "10011,10012,10013"];
            let list = lists[rng.random_range(0..lists.len())];
            format!("/v1/kommo/leads?workspaceId={ws}&statusId={list}&limit=100")
        }
        2 => {
            let tag = TAGS[rng.random_range(0..TAGS.len())];
            format!("/v1/kommo/leads?workspaceId={ws}&tagName={tag}&limit=100")
        }
        3 => format!("/v1/kommo/leads?workspaceId={ws}&page=500&limit=100"),
        5 => {
            let pipeline = 1000 + rng.random_range(0..10);
            let day = rng.random_range(0..(2 * 365 - 91));
            let start = SYNTHETIC_BASE + day * 86_400;
            format!(
                "/v1/kommo/funnel?workspaceId={ws}&pipelineId={pipeline}&createdStart={}&createdEnd={}",
                date(start),
                date(start + 90 * 86_400)
            )
        }
        6 => {
            let pipeline = 1000 + rng.random_range(0..10);
            let status = pipeline * 10 + rng.random_range(2..10);
            let page = rng.random_range(1..=20);
            format!(
                "/v1/kommo/lead-stages?workspaceId={ws}&statusId={status}&page={page}&limit=100"
            )
        }
        7 => {
            let pipeline = 1000 + rng.random_range(0..10);
            let day = rng.random_range(0..(2 * 365 - 30));
            let start = SYNTHETIC_BASE + day * 86_400;
            format!(
                "/v1/kommo/lead-status-changes?workspaceId={ws}&pipelineId={pipeline}&changedStart={}&changedEnd={}&limit=100",
                date(start),
                date(start + 29 * 86_400)
            )
        }
        4 => {
            let id = rng.random_range(1..=contacts.max(1));
            format!("/v1/kommo/contacts?workspaceId={ws}&email=person{id}%40example.com&limit=100")
        }
        _ => format!("/v1/kommo/leads?workspaceId={ws}&limit=100"),
    }
}

async fn generate_load(
    base: &str,
    client_id: &str,
    secret: &str,
    args: &ApiBenchArgs,
) -> anyhow::Result<Load> {
    let warmup = Duration::from_secs(args.warmup_seconds);
    let measured = Duration::from_secs(args.seconds.max(1));
    let started = Instant::now();
    let measure_from = started + warmup;
    let deadline = measure_from + measured;
    let kinds: Vec<usize> = args
        .queries
        .iter()
        .filter(|q| (1..=QUERY_NAMES.len()).contains(q))
        .map(|q| q - 1)
        .collect();
    anyhow::ensure!(
        !kinds.is_empty(),
        "--queries must name at least one of 1 to {}",
        QUERY_NAMES.len()
    );
    let mut tasks = Vec::with_capacity(args.connections);
    for connection in 0..args.connections.max(1) {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .http1_only()
            .tcp_nodelay(true)
            .timeout(Duration::from_secs(30))
            .build()
            .context("building the HTTP client")?;
        let base = base.to_owned();
        let client_id = client_id.to_owned();
        let secret = secret.to_owned();
        let contacts = args.contacts;
        let kinds = kinds.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = rand::rngs::SmallRng::seed_from_u64(connection as u64);
            let mut per_kind: Vec<KindStats> = (0..QUERY_NAMES.len())
                .map(|_| KindStats::default())
                .collect();
            let mut errors = 0u64;
            let mut turn = connection;
            loop {
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                let kind = kinds[turn % kinds.len()];
                turn += 1;
                let url = format!("{base}{}", request_path(kind, &mut rng, contacts));
                let sent = Instant::now();
                let result = client
                    .get(&url)
                    .header("x-client-id", &client_id)
                    .header("x-client-secret", &secret)
                    .send()
                    .await;
                let ok = match result {
                    Ok(response) if response.status().is_success() => {
                        match response.bytes().await {
                            Ok(body) => Some(count_rows(&body)),
                            Err(_) => None,
                        }
                    }
                    Ok(_) | Err(_) => None,
                };
                let latency = sent.elapsed();
                if sent >= measure_from && Instant::now() <= deadline {
                    match ok {
                        Some(rows) => {
                            per_kind[kind].latencies.push(latency);
                            per_kind[kind].rows += rows;
                        }
                        None => errors += 1,
                    }
                }
            }
            (per_kind, errors)
        }));
    }
    let mut per_kind: Vec<KindStats> = (0..QUERY_NAMES.len())
        .map(|_| KindStats::default())
        .collect();
    let mut errors = 0;
    for task in tasks {
        let (kinds, task_errors) = task.await.context("a load generator task failed")?;
        errors += task_errors;
        for (total, part) in per_kind.iter_mut().zip(kinds) {
            total.latencies.extend(part.latencies);
            total.rows += part.rows;
        }
    }
    for stats in &mut per_kind {
        stats.latencies.sort_unstable();
    }
    Ok(Load {
        per_kind,
        errors,
        elapsed: measured,
    })
}

/// Rows in a page body: the number of `document_id` keys. A SIMD substring search: the load
/// generator shares the cores with the server, so what it spends per response is taken from
/// the figures (parsing each 140 kB page as JSON, or a naive byte-window scan, costs more than
/// the server spends producing it).
fn count_rows(body: &[u8]) -> u64 {
    memchr::memmem::find_iter(body, b"\"document_id\"").count() as u64
}

fn percentile_sorted(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// User plus system CPU seconds of a process so far.
fn cpu_seconds(pid: u32) -> Option<f64> {
    super::proc_stat(&format!("/proc/{pid}/stat")).map(|(_, seconds)| seconds)
}

fn read_status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn rss_line(pid: u32, field: &str) -> String {
    read_status_kib(pid, field).map_or_else(
        || "unknown".to_owned(),
        |k| format!("{:.1} MiB", k as f64 / 1024.0),
    )
}
