//! `kommo-data`: the command line that runs the simulator, sync, data API and MCP server.
//!
//! This is the composition root: it parses arguments, sets up logging, wires the library
//! crates together and turns their typed errors into messages for a person (anyhow).

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the command line talks to its user on stdout and stderr"
)]

mod commands;

use clap::Parser;

#[derive(Debug, Parser)]
#[command(
    name = "kommo-data",
    version,
    about = "Kommo CRM sync, data API and agent actions, self-hosted."
)]
struct Cli {
    #[command(subcommand)]
    command: commands::Command,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match commands::run(cli.command).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
