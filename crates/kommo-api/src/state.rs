//! What every handler shares: the store, the request budgets and the metrics handle.

use std::sync::Arc;

use kommo_store::Store;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::actions::{Actions, ActionsConfig};
use crate::auth::Budgets;

/// The state of the HTTP app. Cheap to clone; new shared things (the actions' executor, ...)
/// become new fields of `Inner` with a `with_...` builder, so existing callers keep compiling.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
    /// Data API reads allowed to run at once (the rest wait their turn here, in order).
    reads: Arc<tokio::sync::Semaphore>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    budgets: Budgets,
    metrics: PrometheusHandle,
    row_counts: crate::metrics::RowCounts,
    actions: Actions,
}

impl AppState {
    /// State over `store`, recording metrics into the process-wide Prometheus recorder
    /// (installed on first use, see [`crate::metrics::prometheus`]).
    pub fn new(store: Store) -> Self {
        Self::with_metrics(store, crate::metrics::prometheus())
    }

    /// State over `store`, rendering `/metrics` from `metrics`.
    pub fn with_metrics(store: Store, metrics: PrometheusHandle) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                budgets: Budgets::default(),
                metrics,
                row_counts: Default::default(),
                actions: Actions::new(ActionsConfig::default()),
            }),
            reads: Arc::new(tokio::sync::Semaphore::new(
                tokio::sync::Semaphore::MAX_PERMITS,
            )),
        }
    }

    /// Runs the actions (HTTP and `/mcp`) with `config`. Call it before the state is shared:
    /// on a shared state it starts from fresh request budgets.
    pub fn with_actions(self, config: ActionsConfig) -> Self {
        match Arc::try_unwrap(self.inner) {
            Ok(mut inner) => {
                inner.actions = Actions::new(config);
                Self {
                    inner: Arc::new(inner),
                    reads: self.reads,
                }
            }
            Err(shared) => Self {
                inner: Arc::new(Inner {
                    store: shared.store.clone(),
                    budgets: Budgets::default(),
                    metrics: shared.metrics.clone(),
                    row_counts: Default::default(),
                    actions: Actions::new(config),
                }),
                reads: self.reads,
            },
        }
    }

    /// At most `reads` data API queries run at once (0: no limit but the store's pool).
    /// On a machine with few cores, a handful of queries at a time finishes more per second
    /// than many that contend for the same cores and locks.
    pub fn with_max_concurrent_reads(mut self, reads: usize) -> Self {
        let permits = if reads == 0 {
            tokio::sync::Semaphore::MAX_PERMITS
        } else {
            reads
        };
        self.reads = Arc::new(tokio::sync::Semaphore::new(permits));
        self
    }

    /// Waits for a turn to read; the turn ends when the permit is dropped.
    pub(crate) async fn read_turn(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        // The semaphore is never closed, so this is always `Some`.
        self.reads.clone().acquire_owned().await.ok()
    }

    /// The turns themselves, for readers outside the handlers (the MCP read tools).
    pub(crate) fn read_turns(&self) -> Arc<tokio::sync::Semaphore> {
        self.reads.clone()
    }

    /// The store every read goes through.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub(crate) fn budgets(&self) -> &Budgets {
        &self.inner.budgets
    }

    pub(crate) fn metrics(&self) -> &PrometheusHandle {
        &self.inner.metrics
    }

    pub(crate) fn row_counts(&self) -> &crate::metrics::RowCounts {
        &self.inner.row_counts
    }

    pub(crate) fn actions(&self) -> &Actions {
        &self.inner.actions
    }
}
