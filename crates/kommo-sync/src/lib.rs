//! Turns Kommo accounts into store rows: flattening, full and incremental runs, scheduling.
//!
//! Flattening follows `shared/spec/data-api.md`: one module per synced entity, each with a
//! `flatten.rs` (Kommo object to row) beside the run that fetches and writes it.

pub mod contacts;
pub mod dictionaries;
pub mod flatten;
pub mod leads;
pub mod pipelines;
pub mod users;

pub use contacts::flatten::contact_row;
pub use dictionaries::Dictionaries;
pub use flatten::{FlattenContext, Resource, document_id};
pub use leads::flatten::lead_row;
pub use pipelines::flatten::pipeline_rows;
pub use users::flatten::user_row;
