//! The Kommo action catalog: typed inputs with JSON Schemas, executed through the client, written through to the store.
//!
//! Every action is one Rust input type: serde parses it, schemars describes it, and the
//! same type feeds the Kommo request, so the published schema and the executed behaviour
//! are one definition. Callers reach the catalog through [`Catalog`]; the HTTP server and
//! the MCP server are thin adapters over it.

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
