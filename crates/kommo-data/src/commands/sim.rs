//! `kommo-data sim`: serve a generated Kommo account until stopped.

#[derive(Debug, clap::Args)]
pub(crate) struct SimArgs {}

pub(crate) async fn run(_args: SimArgs) -> anyhow::Result<()> {
    anyhow::bail!("the simulator command is being built")
}
