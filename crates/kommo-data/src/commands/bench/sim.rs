//! `kommo-data bench sim`: how fast the simulator generates a large account and serves pages.
//!
//! Figures: time and peak memory (VmHWM, plus RSS growth) to generate a 1M-lead account, and
//! 250-lead pages per second served unthrottled over real HTTP on loopback to a few concurrent
//! reqwest connections for a fixed time, twice: a raw client that only reads the bytes, and one
//! that parses every page into `Collection<Lead>` as a real client does. The simulator runs on
//! its own runtime threads, so the CPU time it spends per page is reported apart from the
//! client's; with the machine's core count and load average, since both share the machine.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use kommo_model::{Collection, Lead};
use kommo_sim::{SimConfig, SimState, Simulator};

/// The simulator's runtime threads, told apart in `/proc/self/task/*/comm`.
const SERVER_THREAD: &str = "kommo-sim-srv";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Client {
    /// Read each body's bytes and nothing more.
    Raw,
    /// Parse each body into `Collection<Lead>`.
    Parse,
    /// Raw, then parse.
    Both,
}

#[derive(Debug, clap::Args)]
pub(crate) struct SimBenchArgs {
    /// Leads in the generated account.
    #[arg(long, default_value_t = 1_000_000)]
    leads: u32,
    /// Seconds to fetch pages for, per client kind.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent connections fetching pages.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// What the client does with each page.
    #[arg(long, value_enum, default_value_t = Client::Both)]
    client: Client,
    /// `with` of the list requests, e.g. `contacts,loss_reason,source_id`.
    #[arg(long)]
    with: Option<String>,
}

/// A field of `/proc/self/status` in kB (Linux only; 0 elsewhere).
fn proc_status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// CPU seconds (user + system) of this process's threads: (all, the simulator's).
/// Linux only, in clock ticks of 1/100 s; (0, 0) elsewhere.
fn cpu_seconds() -> (f64, f64) {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return (0.0, 0.0);
    };
    let (mut all, mut server) = (0.0, 0.0);
    for task in tasks.flatten() {
        let path = task.path().join("stat");
        let Some((name, seconds)) = path.to_str().and_then(super::proc_stat) else {
            continue;
        };
        all += seconds;
        if name.contains(SERVER_THREAD) {
            server += seconds;
        }
    }
    (all, server)
}

fn mib(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

pub(crate) async fn run(args: SimBenchArgs) -> anyhow::Result<()> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "kommo-sim benchmark on {cores} cores, load average {}",
        load_average()
    );

    // 1. Generation.
    let rss_before = proc_status_kb("VmRSS:");
    let config = SimConfig::unlimited().with_leads(args.leads);
    let size = config.size;
    let started = Instant::now();
    let state = tokio::task::spawn_blocking(move || SimState::new(config))
        .await
        .context("generating")?;
    let generated = started.elapsed();
    let rss_after = proc_status_kb("VmRSS:");
    let hwm = proc_status_kb("VmHWM:");
    println!(
        "generate: {} leads, {} contacts, {} companies, {} tasks in {:.2} s; peak memory (VmHWM) {:.0} MiB, RSS growth {:.0} MiB",
        size.leads,
        size.contacts,
        size.companies,
        size.tasks,
        generated.as_secs_f64(),
        mib(hwm),
        mib(rss_after.saturating_sub(rss_before)),
    );
    drop(state);

    // 2. Serving 250-lead pages over loopback HTTP, from the simulator's own threads.
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .thread_name(SERVER_THREAD)
        .enable_all()
        .build()
        .context("starting the simulator's runtime")?;
    let leads = args.leads;
    let sim = server
        .spawn(async move { Simulator::start(SimConfig::unlimited().with_leads(leads)).await })
        .await
        .context("starting the simulator")?
        .context("starting the simulator")?;
    println!(
        "serving: RSS {:.0} MiB with the account loaded",
        mib(proc_status_kb("VmRSS:"))
    );
    let kinds: &[Client] = match args.client {
        Client::Both => &[Client::Raw, Client::Parse],
        Client::Raw => &[Client::Raw],
        Client::Parse => &[Client::Parse],
    };
    for kind in kinds {
        serve(&args, cores, &sim.base_url(), &sim.access_token(), *kind).await?;
    }
    println!(
        "memory: peak (VmHWM) {:.0} MiB, RSS now {:.0} MiB",
        mib(proc_status_kb("VmHWM:")),
        mib(proc_status_kb("VmRSS:"))
    );
    server
        .spawn(sim.shutdown())
        .await
        .context("stopping the simulator")?;
    server.shutdown_background();
    Ok(())
}

async fn serve(
    args: &SimBenchArgs,
    cores: usize,
    base: &str,
    token: &str,
    kind: Client,
) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .build()?;
    let pages_total = u64::from(args.leads).div_ceil(250).max(1);
    let with = args
        .with
        .as_deref()
        .map(|w| format!("&with={w}"))
        .unwrap_or_default();
    let stop = Arc::new(AtomicBool::new(false));
    let pages = Arc::new(AtomicU64::new(0));
    let bytes = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let load_before = load_average();
    let (cpu_before, server_before) = cpu_seconds();
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..args.connections {
        let (client, token) = (client.clone(), token.to_owned());
        let prefix = format!("{base}/api/v4/leads?limit=250{with}&page=");
        let (stop, pages, bytes, errors) =
            (stop.clone(), pages.clone(), bytes.clone(), errors.clone());
        workers.push(tokio::spawn(async move {
            let mut page = 1 + worker as u64 * 997 % pages_total;
            while !stop.load(Ordering::Relaxed) {
                let url = format!("{prefix}{page}");
                page = page % pages_total + 1;
                let read = match client.get(&url).bearer_auth(&token).send().await {
                    Ok(response) if response.status().is_success() => {
                        read_page(response, kind).await
                    }
                    _ => None,
                };
                match read {
                    Some(n) => {
                        pages.fetch_add(1, Ordering::Relaxed);
                        bytes.fetch_add(n, Ordering::Relaxed);
                    }
                    None => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        let _ = w.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let (cpu_after, server_after) = cpu_seconds();
    let pages = pages.load(Ordering::Relaxed);
    let bytes = bytes.load(Ordering::Relaxed);
    let per_page_ms = |seconds: f64| {
        if pages > 0 {
            seconds * 1e3 / pages as f64
        } else {
            0.0
        }
    };
    let server_ms = per_page_ms(server_after - server_before);
    let total_ms = per_page_ms(cpu_after - cpu_before);
    let label = match kind {
        Client::Raw => "raw client (reads bytes)",
        _ => "parsing client (Collection<Lead>)",
    };
    println!(
        "serve, {label}: {pages} 250-lead pages in {elapsed:.1} s over {} connections = {:.0} pages/s, {:.1} MB/s ({:.0} KB per page), {} errors",
        args.connections,
        pages as f64 / elapsed,
        bytes as f64 / elapsed / 1e6,
        if pages > 0 {
            bytes as f64 / pages as f64 / 1e3
        } else {
            0.0
        },
        errors.load(Ordering::Relaxed),
    );
    println!(
        "  CPU per page: simulator {server_ms:.3} ms, simulator and client together {total_ms:.3} ms (the simulator's own bound on {cores} cores: {:.0} pages/s); load average {load_before} before, {} after",
        if server_ms > 0.0 {
            1e3 * cores as f64 / server_ms
        } else {
            0.0
        },
        load_average(),
    );
    Ok(())
}

/// Reads one page; its size in bytes, or `None` when it could not be read (or parsed).
async fn read_page(mut response: reqwest::Response, kind: Client) -> Option<u64> {
    match kind {
        Client::Parse => {
            let body = response.bytes().await.ok()?;
            let page: Collection<Lead> = serde_json::from_slice(&body).ok()?;
            (!page.items.is_empty()).then_some(body.len() as u64)
        }
        _ => {
            // Chunk by chunk: no copy into one buffer.
            let mut n = 0u64;
            while let Some(chunk) = response.chunk().await.ok()? {
                n += chunk.len() as u64;
            }
            Some(n)
        }
    }
}
