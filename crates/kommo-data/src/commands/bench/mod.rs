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
