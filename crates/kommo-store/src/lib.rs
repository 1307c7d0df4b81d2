//! Schema, migrations and queries for SQLite and PostgreSQL; the only crate that knows SQL.

mod format;
pub mod query;
pub mod rows;

pub use format::{unix_millis_to_rfc3339, unix_seconds_to_rfc3339};
