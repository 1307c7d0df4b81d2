//! Schema, migrations and queries for SQLite and PostgreSQL; the only crate that knows SQL.
