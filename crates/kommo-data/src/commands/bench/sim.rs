//! `kommo-data bench sim`: how fast the simulator generates a large account and serves pages.
//!
//! Figures: time and peak memory (VmHWM, plus RSS growth) to generate a 1M-lead account, and
//! 250-lead pages per second served unthrottled over real HTTP on loopback by a few
//! concurrent reqwest connections for a fixed time, with the machine's core count.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use kommo_sim::{SimConfig, SimState, Simulator};

#[derive(Debug, clap::Args)]
pub(crate) struct SimBenchArgs {
    /// Leads in the generated account.
    #[arg(long, default_value_t = 1_000_000)]
    leads: u32,
    /// Seconds to fetch pages for.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent connections fetching pages.
    #[arg(long, default_value_t = 4)]
    connections: usize,
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

fn mib(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

pub(crate) async fn run(args: SimBenchArgs) -> anyhow::Result<()> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("kommo-sim benchmark on {cores} cores");

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

    // 2. Serving 250-lead pages over loopback HTTP.
    let sim = Simulator::start(SimConfig::unlimited().with_leads(args.leads))
        .await
        .context("starting the simulator")?;
    let base = sim.base_url();
    let token = sim.access_token();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .build()?;
    let pages_total = (args.leads as u64).div_ceil(250).max(1);
    let stop = Arc::new(AtomicBool::new(false));
    let pages = Arc::new(AtomicU64::new(0));
    let bytes = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..args.connections {
        let (client, base, token) = (client.clone(), base.clone(), token.clone());
        let (stop, pages, bytes, errors) =
            (stop.clone(), pages.clone(), bytes.clone(), errors.clone());
        workers.push(tokio::spawn(async move {
            let mut page = 1 + worker as u64 * 997 % pages_total;
            while !stop.load(Ordering::Relaxed) {
                let url = format!("{base}/api/v4/leads?limit=250&page={page}");
                match client.get(&url).bearer_auth(&token).send().await {
                    Ok(response) if response.status().is_success() => {
                        match response.bytes().await {
                            Ok(body) => {
                                pages.fetch_add(1, Ordering::Relaxed);
                                bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
                            }
                            Err(_) => {
                                errors.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
                page = page % pages_total + 1;
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        let _ = w.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let pages = pages.load(Ordering::Relaxed);
    let bytes = bytes.load(Ordering::Relaxed);
    println!(
        "serve: {} 250-lead pages in {:.1} s over {} connections = {:.0} pages/s, {:.1} MB/s ({:.0} KB per page), {} errors",
        pages,
        elapsed,
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
    sim.shutdown().await;
    Ok(())
}
