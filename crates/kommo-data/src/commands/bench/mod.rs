//! `kommo-data bench ...`: benchmarks that print their figures with the machine's context.

pub(crate) mod api;
pub(crate) mod client;
pub(crate) mod sim;
pub(crate) mod sync;

#[derive(Debug, clap::Subcommand)]
pub(crate) enum BenchCommand {
    /// The data API: 1M leads, the query mix at limit=100 under load; requests/s, p50/p99, peak RSS.
    Api(api::ApiBenchArgs),
    /// The simulator: generating a 1M-lead account, and 250-lead pages served per second.
    Sim(sim::SimBenchArgs),
    /// The Kommo client: every lead of a simulated account read at 7 req/s, 429s, requests used.
    Client(client::ClientBenchArgs),
    /// Sync: a 100k-lead full sync at 7 req/s, unthrottled leads/s into SQLite and Postgres,
    /// peak memory at 100k and 1M leads, an incremental run after 1,000 changes.
    Sync(sync::SyncBenchArgs),
}

pub(crate) async fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Api(args) => api::run(args).await,
        BenchCommand::Sim(args) => sim::run(args).await,
        BenchCommand::Client(args) => client::run(args).await,
        BenchCommand::Sync(args) => sync::run(args).await,
    }
}

/// A process's or thread's `/proc/.../stat`: the text up to the end of its command name
/// (which is in parentheses and may hold spaces), and the user plus system CPU seconds it
/// has used (fields 14 and 15, in USER_HZ ticks: 100 a second on Linux). `None` without
/// `/proc`.
fn proc_stat(path: &str) -> Option<(String, f64)> {
    let stat = std::fs::read_to_string(path).ok()?;
    let (head, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<u64>().ok();
    Some((head.to_owned(), (ticks(11)? + ticks(12)?) as f64 / 100.0))
}
