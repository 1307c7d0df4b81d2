//! `kommo-data sim`: serve a generated Kommo account until stopped.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anyhow::Context as _;

use super::common::shutdown_signal;
use kommo_sim::{AccountSize, Activity, Faults, Lockout, SimConfig, Simulator};

/// Run the Kommo simulator: a Kommo-compatible API v4 server with a generated account.
#[derive(Debug, clap::Args)]
pub(crate) struct SimArgs {
    /// Port to listen on (0 = any free port).
    #[arg(long, default_value_t = 8089, env = "KOMMO_SIM_PORT")]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Seed of the generated account: same seed, same account, byte for byte.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Number of leads; the other sizes follow realistic proportions unless given.
    #[arg(long, default_value_t = 1_000)]
    leads: u32,
    #[arg(long)]
    contacts: Option<u32>,
    #[arg(long)]
    companies: Option<u32>,
    #[arg(long)]
    tasks: Option<u32>,
    #[arg(long)]
    users: Option<u32>,
    /// Pipelines (1 to 50).
    #[arg(long)]
    pipelines: Option<u32>,
    /// Requests per second per token (0 = unlimited).
    #[arg(long, default_value_t = 7)]
    rate_limit: u32,
    /// Requests per second for the whole account (0 = unlimited).
    #[arg(long, default_value_t = 50)]
    account_rate_limit: u32,
    /// Lock the account out (403 on everything) after repeated 429s, as
    /// VIOLATIONS/WITHIN_SECS/LASTS_SECS, e.g. `10/60/300`; `--lockout` alone means that.
    #[arg(long, num_args = 0..=1, default_missing_value = "10/60/300")]
    lockout: Option<String>,
    /// Share (0..1) of API requests that fail with 500, 502, 503 or 504.
    #[arg(long, default_value_t = 0.0)]
    fault_rate: f64,
    /// Latency added to every API request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Share (0..1) of API requests answered 429 whatever the limits (a 429 storm).
    #[arg(long, default_value_t = 0.0)]
    rate_429: f64,
    /// Lifetime of OAuth access tokens, in seconds.
    #[arg(long, default_value_t = 86_400)]
    token_ttl: u64,
    /// Background changes per second (create, update, move, delete, restore); 0 = none.
    #[arg(long, default_value_t = 0.0)]
    activity: f64,
    /// The account's subdomain.
    #[arg(long, default_value = "simulated")]
    subdomain: String,
    /// Print exactly one JSON object `{"base_url", "access_token"}` on stdout.
    #[arg(long)]
    json: bool,
}

fn parse_lockout(spec: &str) -> anyhow::Result<Lockout> {
    let parts: Vec<&str> = spec.split('/').collect();
    let [violations, within, lasts] = parts.as_slice() else {
        anyhow::bail!("--lockout must be VIOLATIONS/WITHIN_SECS/LASTS_SECS, got {spec:?}");
    };
    Ok(Lockout {
        violations: violations.parse().context("--lockout violations")?,
        within: Duration::from_secs(within.parse().context("--lockout within")?),
        lasts: Duration::from_secs(lasts.parse().context("--lockout lasts")?),
    })
}

fn config(args: &SimArgs) -> anyhow::Result<SimConfig> {
    let mut size = AccountSize::for_leads(args.leads);
    size.contacts = args.contacts.unwrap_or(size.contacts);
    size.companies = args.companies.unwrap_or(size.companies);
    size.tasks = args.tasks.unwrap_or(size.tasks);
    size.users = args.users.unwrap_or(size.users).max(1);
    size.pipelines = args.pipelines.unwrap_or(size.pipelines);
    Ok(SimConfig {
        seed: args.seed,
        size,
        rate_limit_per_token: args.rate_limit,
        rate_limit_per_account: args.account_rate_limit,
        lockout: args.lockout.as_deref().map(parse_lockout).transpose()?,
        access_token_ttl: Duration::from_secs(args.token_ttl),
        subdomain: args.subdomain.clone(),
        ..SimConfig::default()
    })
}

pub(crate) async fn run(args: SimArgs) -> anyhow::Result<()> {
    init_logging();
    let config = config(&args)?;
    let addr = SocketAddr::new(args.host, args.port);
    let started = std::time::Instant::now();
    let sim = Simulator::start_on(config, addr)
        .await
        .context("starting the simulator")?;
    tracing::info!(
        leads = args.leads,
        seed = args.seed,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "account generated"
    );
    if args.fault_rate > 0.0 || args.latency_ms > 0 || args.rate_429 > 0.0 {
        sim.control().set_faults(Faults {
            error_rate: args.fault_rate,
            latency_ms: args.latency_ms,
            rate_429: args.rate_429,
            ..Faults::default()
        });
    }
    if args.activity > 0.0 {
        sim.control()
            .start_activity(Activity::per_second(args.activity));
    }
    let base_url = sim.base_url();
    let token = sim.access_token();
    if args.json {
        // Written by hand to keep the documented key order (serde_json sorts map keys).
        let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
        println!(
            "{{\"base_url\":{},\"access_token\":{}}}",
            quote(&base_url),
            quote(&token)
        );
    } else {
        let app = sim.oauth_app();
        println!(
            "Kommo simulator serving {} leads (seed {})",
            args.leads, args.seed
        );
        println!();
        println!("  base URL      {base_url}");
        println!("  API           {base_url}/api/v4/leads");
        println!("  access token  {token}");
        println!();
        println!("  OAuth app     client_id     {}", app.client_id);
        println!("                client_secret {}", app.client_secret);
        println!("                redirect_uri  {}", app.redirect_uri);
        println!("  get a code    curl -s -X POST {base_url}/_sim/oauth/code");
        println!(
            "  exchange it   POST {base_url}/oauth2/access_token with grant_type=authorization_code"
        );
        println!(
            "  control       {base_url}/_sim/counters, /_sim/faults, /_sim/activity, /_sim/reset"
        );
        println!();
        println!("Ctrl-C to stop.");
    }
    use std::io::Write as _;
    std::io::stdout().flush().ok();
    shutdown_signal().await;
    tracing::info!("stopping");
    sim.shutdown().await;
    Ok(())
}

fn init_logging() {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .try_init();
}
