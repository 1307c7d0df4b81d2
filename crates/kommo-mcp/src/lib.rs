//! MCP adapter: one tool per action, and the host's read tools, over stdio and streamable
//! HTTP.
//!
//! The action tools are the action catalog itself: each action is a tool of the same name
//! whose input schema is the action's JSON Schema; a call runs `Catalog::execute` and
//! answers the envelope `{data, error, successful}` as JSON text (and as structured content),
//! flagged `isError` when not successful.
//!
//! The read tools ([`ReadTools`]) read the service's local copy and make no Kommo request:
//! the host describes them (the API crate, from the data API's parameter tables) and runs
//! them; this crate lists them (annotated read-only), hands each call its caller's
//! [`ReadAccess`] and answers the host's JSON text, or a tool error naming the arguments.
//!
//! Nothing here knows a business rule; this crate is the only one that imports the MCP SDK
//! (`rmcp`).
//!
//! - stdio ([`serve_stdio`]): one process per desktop agent, acting on one integration.
//! - streamable HTTP ([`http_router`]): mounted at `/mcp` by the API server, whose auth layer
//!   resolves the caller's integration and puts its [`ActionContext`](kommo_actions::ActionContext) and [`ReadAccess`] into
//!   each request's extensions before the request reaches this service.

mod config;
mod read;
mod server;

use std::sync::Arc;

use rmcp::ServiceExt as _;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

pub use config::{
    INTEGRATION_HEADER, StdioClientConfig, WORKSPACE_HEADER, client_config_json,
    http_client_config, stdio_client_config,
};
pub use read::{InvalidArgument, ReadAccess, ReadError, ReadFuture, ReadTool, ReadTools};
pub use server::KommoServer;

/// Why an MCP server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum McpError {
    #[error("the MCP session could not start: {detail}")]
    Start { detail: String },
    #[error("the MCP server stopped unexpectedly: {detail}")]
    Stopped { detail: String },
}

/// Serves `server` (the catalog on one integration's [`ActionContext`](kommo_actions::ActionContext), and its read tools)
/// over stdin/stdout until the client disconnects or `shutdown` fires. Stdout carries only
/// protocol messages: log to stderr.
pub async fn serve_stdio(server: KommoServer, shutdown: CancellationToken) -> Result<(), McpError> {
    let running = server
        .serve_with_ct(rmcp::transport::stdio(), shutdown)
        .await
        .map_err(|error| McpError::Start {
            detail: error.to_string(),
        })?;
    let reason = running.waiting().await.map_err(|error| McpError::Stopped {
        detail: error.to_string(),
    })?;
    tracing::info!(?reason, "MCP stdio session ended");
    Ok(())
}

/// How the streamable HTTP endpoint is exposed.
#[derive(Debug, Clone, Default)]
pub struct HttpOptions {
    /// Host names (or `host:port`) the endpoint answers to. Empty keeps the SDK's default,
    /// loopback only, which protects a server on a laptop against DNS rebinding; a deployment
    /// behind a public name must list that name. `["*"]` accepts any `Host`.
    pub allowed_hosts: Vec<String>,
    /// Ends open sessions and streams when cancelled.
    pub shutdown: CancellationToken,
    /// Read tools served beside the actions; each call reads as the [`ReadAccess`] in its
    /// request's extensions.
    pub reads: Option<Arc<dyn ReadTools>>,
}

/// The streamable HTTP MCP endpoint as a router to nest at `/mcp`.
///
/// Every request must carry the [`ActionContext`](kommo_actions::ActionContext) of the caller's integration (and, with read
/// tools, its [`ReadAccess`]) in its extensions (the host's auth layer puts them there); a
/// tool call without one is answered with a tool error saying which headers select the
/// integration.
pub fn http_router(options: HttpOptions) -> axum::Router {
    let mut config =
        StreamableHttpServerConfig::default().with_cancellation_token(options.shutdown);
    if options.allowed_hosts.iter().any(|host| host == "*") {
        config = config.disable_allowed_hosts();
    } else if !options.allowed_hosts.is_empty() {
        config = config.with_allowed_hosts(options.allowed_hosts);
    }
    let reads = options.reads;
    let service: StreamableHttpService<KommoServer, LocalSessionManager> =
        StreamableHttpService::new(
            move || {
                let server = KommoServer::per_request();
                Ok(match &reads {
                    Some(tools) => server.with_reads(tools.clone(), None),
                    None => server,
                })
            },
            Arc::new(LocalSessionManager::default()),
            config,
        );
    axum::Router::new().fallback_service(service)
}
