//! `kommo-data bench ...`: benchmarks that print their figures with the machine's context.

pub(crate) mod sim;

#[derive(Debug, clap::Subcommand)]
pub(crate) enum BenchCommand {
    /// The simulator: generating a 1M-lead account, and 250-lead pages served per second.
    Sim(sim::SimBenchArgs),
}

pub(crate) async fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Sim(args) => sim::run(args).await,
    }
}
