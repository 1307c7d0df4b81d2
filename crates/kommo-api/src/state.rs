//! What every handler shares: the store, the request budgets and the metrics handle.

use std::sync::Arc;

use kommo_store::Store;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::auth::Budgets;

/// The state of the HTTP app. Cheap to clone; new shared things (the actions' executor, ...)
/// become new fields of `Inner` with a `with_...` builder, so existing callers keep compiling.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    budgets: Budgets,
    metrics: PrometheusHandle,
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
            }),
        }
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
}
