//! `kommo-data bench ...`: benchmarks that print their figures with the machine's context.

#[derive(Debug, clap::Subcommand)]
pub(crate) enum BenchCommand {}

pub(crate) async fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {}
}
