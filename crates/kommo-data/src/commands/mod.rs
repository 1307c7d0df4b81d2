//! The subcommands, one module each.

pub(crate) mod admin;
pub(crate) mod bench;
pub(crate) mod common;
pub(crate) mod demo;
pub(crate) mod mcp;
pub(crate) mod progress;
pub(crate) mod serve;
pub(crate) mod sim;
pub(crate) mod sync;

#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Everything in one command: a simulated Kommo account, a full sync into a fresh SQLite
    /// file, and the data API on localhost with ready-to-paste requests.
    Demo(demo::DemoArgs),
    /// Serve the data API, and sync every integration in the same process.
    Serve(serve::ServeArgs),
    /// Run the Kommo simulator: a Kommo-compatible API v4 server with a generated account.
    Sim(sim::SimArgs),
    /// Serve the Kommo actions, and read tools over the synced copy, as an MCP server on
    /// stdin/stdout, for desktop agents.
    Mcp(mcp::McpArgs),
    /// Measure the simulator, the client, sync and the data API, and print the figures.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Sync integrations into the database: once, on an interval (--watch), or as a worker;
    /// `sync status` shows their runs, counts and lag.
    Sync(sync::SyncArgs),
    /// Organizations: `org create`.
    #[command(subcommand)]
    Org(admin::OrgCommand),
    /// Workspaces: `workspace create`.
    #[command(subcommand)]
    Workspace(admin::WorkspaceCommand),
    /// Kommo accounts: `integration add`.
    #[command(subcommand)]
    Integration(admin::IntegrationCommand),
    /// Data API credentials: `credentials create`.
    #[command(subcommand)]
    Credentials(admin::CredentialsCommand),
}

pub(crate) async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Demo(args) => demo::run(args).await,
        Command::Serve(args) => serve::run(args).await,
        Command::Sim(args) => sim::run(args).await,
        Command::Mcp(args) => mcp::run(args).await,
        Command::Bench(command) => bench::run(command).await,
        Command::Sync(args) => sync::run(args).await,
        Command::Org(command) => admin::org(command).await,
        Command::Workspace(command) => admin::workspace(command).await,
        Command::Integration(command) => admin::integration(command).await,
        Command::Credentials(command) => admin::credentials(command).await,
    }
}
