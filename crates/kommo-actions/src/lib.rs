//! The Kommo action catalog: typed inputs with JSON Schemas, executed through the client, written through to the store.
//!
//! Every action is one Rust input type: serde parses it, schemars describes it, and the
//! same type feeds the Kommo request, so the published schema and the executed behaviour
//! are one definition. Callers reach the catalog through [`Catalog`]; the HTTP server and
//! the MCP server are thin adapters over it.
//!
//! ```no_run
//! # async fn example(store: kommo_store::Store) -> Result<(), Box<dyn std::error::Error>> {
//! use kommo_actions::{ActionContext, Catalog, ClientConfig, Limiters};
//!
//! let integration = store.integration("acme-kommo").await?.ok_or("no such integration")?;
//! let ctx = ActionContext::for_integration(&store, &integration, &Limiters::new(), ClientConfig::default())?;
//! for action in Catalog::list() {
//!     println!("{}: {}", action.name, action.input_schema);
//! }
//! let input = serde_json::json!({"name": "Website chat", "price": 1500});
//! let envelope = Catalog::execute("KOMMO_CREATE_LEAD", &input, &ctx).await?;
//! assert!(envelope.successful, "{:?}", envelope.error);
//! # Ok(()) }
//! ```
//!
//! Reading order: `input` (schemas and checks), `action` (what an action declares),
//! `actions/*` (one file per entity: inputs, their Kommo requests, `execute`), `failure`
//! (errors written for the caller), `write_through`, `catalog`.

mod action;
mod actions;
mod catalog;
mod common;
mod context;
mod envelope;
mod failure;
mod input;
mod write_through;

pub use action::ActionKind;
pub use catalog::{ActionInfo, Catalog, CatalogError};
pub use context::ActionContext;
pub use envelope::Envelope;
pub use input::InputError;
/// What [`ActionContext::for_integration`] takes, re-exported so callers need not depend on
/// the client and sync crates for them.
pub use kommo::ClientConfig;
pub use kommo_sync::Limiters;
