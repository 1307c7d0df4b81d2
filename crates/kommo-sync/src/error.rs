//! Why a sync run failed: each variant names the stage and carries the cause's own message,
//! so the run history says what happened without a log dive.

use kommo_store::StoreError;

/// A failed sync run (or scheduler step).
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Kommo refused or failed a request: the message says which stage and what to do.
    #[error("{stage}: {source}")]
    Kommo {
        stage: &'static str,
        #[source]
        source: kommo::Error,
    },
    /// The store failed; rows of earlier pages stay committed with their checkpoint.
    #[error("{action}: {}", chain(source))]
    Store {
        action: &'static str,
        #[source]
        source: StoreError,
    },
    /// The integration's stored settings cannot make a Kommo client.
    #[error("integration {integration_id} cannot be used: {source}")]
    Client {
        integration_id: String,
        #[source]
        source: kommo::Error,
    },
    #[error("integration {0} does not exist; `kommo-data integration add` creates it")]
    UnknownIntegration(String),
    /// Stopped on request between pages; everything committed stays, the next run resumes.
    #[error(
        "stopped before the run finished ({0}); the next run resumes from the last committed page"
    )]
    Cancelled(&'static str),
    /// Another worker took over this integration's lease (this worker was too slow to renew).
    #[error(
        "the sync lease of integration {0} was lost to another worker; this worker stopped syncing it"
    )]
    LeaseLost(String),
    /// A sync task ended abnormally (a bug); the other integrations were not affected.
    #[error("the sync task of integration {integration_id} ended abnormally: {detail}")]
    TaskFailed {
        integration_id: String,
        detail: String,
    },
}

/// An error and its causes, `a: b: c`, so a recorded message says what the driver said.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl SyncError {
    pub(crate) fn kommo(stage: &'static str) -> impl FnOnce(kommo::Error) -> SyncError {
        move |source| SyncError::Kommo { stage, source }
    }

    pub(crate) fn store(action: &'static str) -> impl FnOnce(StoreError) -> SyncError {
        move |source| SyncError::Store { action, source }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("database error")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn recorded_messages_carry_every_cause() {
        let error = Outer(std::io::Error::other("disk I/O error"));
        assert_eq!(chain(&error), "database error: disk I/O error");
    }
}
