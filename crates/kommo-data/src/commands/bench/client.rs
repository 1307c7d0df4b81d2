//! `kommo-data bench client`: reads every lead of a simulated account through the `kommo`
//! client at Kommo's real limit, and reports requests against the floor, 429s, time and
//! throughput against the 7 × 250 leads/s ceiling.

use std::collections::HashSet;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures::TryStreamExt as _;
use kommo::{Client, ClientConfig, LeadsQuery, RateLimiter, RateLimiterConfig};
use kommo_sim::{SimConfig, Simulator};

#[derive(Debug, clap::Args)]
pub(crate) struct ClientBenchArgs {
    /// Leads in the simulated account.
    #[arg(long, default_value_t = 100_000)]
    leads: u32,
    /// Requests per sliding second, for both the simulator's per-token limit and the client.
    #[arg(long, default_value_t = 7)]
    per_second: u32,
    /// The client's guard added to each one-second window, in milliseconds.
    #[arg(long)]
    guard_ms: Option<u64>,
    /// Seed of the generated account.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

pub(crate) async fn run(args: ClientBenchArgs) -> anyhow::Result<()> {
    let per_second = NonZeroU32::new(args.per_second).context("--per-second must be at least 1")?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let config = SimConfig {
        rate_limit_per_token: args.per_second,
        ..SimConfig::default()
            .with_leads(args.leads)
            .with_seed(args.seed)
    };
    println!(
        "kommo client benchmark on {cores} cores: {} leads, simulator limits {}/s per token and {}/s per account (sliding one-second windows)",
        args.leads, config.rate_limit_per_token, config.rate_limit_per_account
    );
    let generating = Instant::now();
    let sim = Simulator::start(config)
        .await
        .context("starting the simulator")?;
    println!(
        "simulator ready in {:.1} s at {}",
        generating.elapsed().as_secs_f64(),
        sim.base_url()
    );

    let mut limiter_config = RateLimiterConfig {
        per_second,
        ..RateLimiterConfig::default()
    };
    if let Some(guard) = args.guard_ms {
        limiter_config.window_guard = Duration::from_millis(guard);
    }
    let limiter = RateLimiter::with_config(limiter_config);
    let client = Client::builder(sim.base_url())
        .long_lived_token(sim.access_token())
        .rate_limiter(limiter.clone())
        .config(ClientConfig::default())
        .build()
        .context("building the client")?;
    let page_size = client.config().page_size;

    sim.control().reset_counters();
    let started = Instant::now();
    let mut pages = client.leads(LeadsQuery::new());
    let mut ids = HashSet::with_capacity(args.leads as usize);
    let mut page_count = 0u64;
    let mut slowest = Duration::ZERO;
    let mut last = Instant::now();
    while let Some(page) = pages.try_next().await.context("reading leads")? {
        page_count += 1;
        ids.extend(page.items.iter().map(|lead| lead.id));
        slowest = slowest.max(last.elapsed());
        last = Instant::now();
    }
    let elapsed = started.elapsed();
    let counters = sim.control().counters();
    let stats = limiter.stats();

    let expected = sim.control().lead_count();
    let floor = (expected as u64).div_ceil(u64::from(page_size)).max(1);
    let leads_per_second = ids.len() as f64 / elapsed.as_secs_f64();
    let ceiling = f64::from(args.per_second) * f64::from(page_size);
    let pacer_ceiling = f64::from(page_size) / limiter.period().as_secs_f64();
    println!(
        "leads read: {} distinct of {expected} live, in {page_count} pages",
        ids.len()
    );
    println!(
        "requests: {} seen by the simulator ({} permits used by the client) vs a floor of {floor} ({} pages of {page_size}); {} over the floor",
        counters.total,
        stats.permits,
        floor,
        counters.total.saturating_sub(floor)
    );
    println!(
        "429s received: {} (simulator counters); 5xx: {}; 401: {}",
        counters.rate_limited, counters.server_errors, counters.unauthorized
    );
    println!(
        "elapsed: {:.2} s; slowest gap between two pages {:.0} ms",
        elapsed.as_secs_f64(),
        slowest.as_secs_f64() * 1e3
    );
    println!(
        "pacer: shortest time from an answer to the permit {} later {}; {} permit(s) booked again (late wake-up or window full of unanswered requests)",
        args.per_second,
        stats.tightest_window.map_or_else(
            || "n/a".to_owned(),
            |d| format!("{:.1} ms", d.as_secs_f64() * 1e3)
        ),
        stats.rebooked
    );
    println!(
        "throughput: {leads_per_second:.0} leads/s = {:.1}% of the {ceiling:.0} leads/s ceiling ({} req/s × {page_size}); the pacer's own ceiling is {pacer_ceiling:.0} leads/s (spacing {:.1} ms = (1 s + {} ms guard) / {})",
        100.0 * leads_per_second / ceiling,
        args.per_second,
        limiter.period().as_secs_f64() * 1e3,
        limiter.config().window_guard.as_millis(),
        args.per_second,
    );
    sim.shutdown().await;
    anyhow::ensure!(
        ids.len() == expected,
        "read {} distinct leads, the account has {expected}",
        ids.len()
    );
    anyhow::ensure!(
        counters.rate_limited == 0,
        "the simulator answered {} requests with 429",
        counters.rate_limited
    );
    Ok(())
}
