//! The one error type of the store boundary.
//!
//! The variants the data API turns into responses (`NotGranted`, `Conflict`, `NotFound`,
//! `InvalidInput`) carry only what the caller supplied; database failures keep the driver's
//! error as their source (for logs) and never put SQL text into their `Display`.

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The grant does not cover what was asked for (a workspace, organization or integration).
    #[error("not granted: {what}")]
    NotGranted { what: String },
    /// Something with this identity already exists.
    #[error("{what} already exists")]
    Conflict { what: String },
    /// Something the call refers to does not exist.
    #[error("{what} was not found")]
    NotFound { what: String },
    /// A value the caller passed is not acceptable.
    #[error("invalid {field}: {reason}")]
    InvalidInput { field: String, reason: String },
    /// The database failed; the source has the driver's message.
    #[error("database error")]
    Database(#[source] sqlx::Error),
    /// A data API read on SQLite failed; the source has SQLite's message.
    #[error("database error")]
    SqliteRead(#[source] rusqlite::Error),
    /// Rows could not be written as JSON.
    #[error("rows could not be written as JSON")]
    Json(#[source] serde_json::Error),
    /// Encryption, decryption or key handling failed.
    #[error("cryptography error: {0}")]
    Crypto(String),
    /// The schema could not be brought up to date.
    #[error("database migration failed")]
    Migration(#[source] sqlx::migrate::MigrateError),
}

impl StoreError {
    pub(crate) fn invalid(field: &str, reason: impl Into<String>) -> Self {
        StoreError::InvalidInput {
            field: field.to_owned(),
            reason: reason.into(),
        }
    }

    pub(crate) fn not_found(what: impl Into<String>) -> Self {
        StoreError::NotFound { what: what.into() }
    }

    pub(crate) fn not_granted(what: impl Into<String>) -> Self {
        StoreError::NotGranted { what: what.into() }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        StoreError::Database(error)
    }
}

/// Turns a unique-key violation into `Conflict { what }`, any other error into `Database`.
pub(crate) fn conflict_or(error: sqlx::Error, what: impl FnOnce() -> String) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict { what: what() }
        }
        _ => StoreError::Database(error),
    }
}
