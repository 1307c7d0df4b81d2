//! The subcommands, one module each.

pub(crate) mod bench;
pub(crate) mod sim;

#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Run the Kommo simulator: a Kommo-compatible API v4 server with a generated account.
    Sim(sim::SimArgs),
    /// Measure the simulator, the client, sync and the data API, and print the figures.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

pub(crate) async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Sim(args) => sim::run(args).await,
        Command::Bench(command) => bench::run(command).await,
    }
}
