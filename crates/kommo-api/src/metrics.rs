//! Prometheus metrics: requests and latency by route and status (a middleware), and rows and
//! sync lag per integration (read from the store when `/metrics` is scraped; row counts are
//! recounted only when a sync run has ended since, see [`RowCounts`]).

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use kommo_store::{EntityCounts, Store, SyncRun};
use parking_lot::Mutex;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::error::ApiError;
use crate::state::AppState;

/// Requests answered, labelled `route` and `status`.
pub const REQUESTS_TOTAL: &str = "kommo_api_requests_total";
/// Time to answer, in seconds, labelled `route` and `status`.
pub const REQUEST_SECONDS: &str = "kommo_api_request_duration_seconds";
/// Stored rows, labelled `integration` and `entity`.
pub const ROWS: &str = "kommo_integration_rows";
/// Seconds since the integration's last successful sync finished, labelled `integration`.
pub const SYNC_LAG_SECONDS: &str = "kommo_integration_sync_lag_seconds";
/// Whether the integration has ever synced successfully (1) or not (0).
pub const SYNCED: &str = "kommo_integration_synced";

const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process-wide Prometheus recorder's handle, installing the recorder on first use.
/// If another recorder was installed first, metrics go to that one and this handle renders
/// an empty (but valid) exposition; a warning says so.
pub fn prometheus() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = match PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(REQUEST_SECONDS.to_owned()), LATENCY_BUCKETS)
            {
                Ok(builder) => builder,
                Err(error) => {
                    tracing::warn!(%error, "latency buckets refused; latency is exported as a summary");
                    PrometheusBuilder::new()
                }
            };
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if let Err(error) = metrics::set_global_recorder(recorder) {
                tracing::warn!(%error, "another metrics recorder is installed; /metrics will not see these metrics");
            }
            handle
        })
        .clone()
}

/// Middleware: counts and times every request by its route template (never the raw path,
/// which would make one series per URL) and status.
pub(crate) async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("route", route), ("status", status)];
    metrics::counter!(REQUESTS_TOTAL, &labels).increment(1);
    metrics::histogram!(REQUEST_SECONDS, &labels).record(started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`: the Prometheus text exposition.
pub(crate) async fn render(State(state): State<AppState>) -> Result<Response, ApiError> {
    let gauges = integration_gauges(&state).await?;
    let handle = state.metrics();
    handle.run_upkeep();
    let mut text = handle.render();
    text.push_str(&gauges);
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(response)
}

/// Counts older than this are taken again even without a new sync run (actions write rows
/// too).
const COUNTS_MAX_AGE: Duration = Duration::from_secs(600);

/// The stored row counts per integration, as last counted. Counting reads every row of an
/// integration (a second per million leads), so a scrape every few seconds would keep a
/// core and the page cache busy; rows change when a sync run writes them, so the counts are
/// taken again only when the integration's newest run differs from the one they were taken
/// after, or after [`COUNTS_MAX_AGE`].
#[derive(Debug, Default)]
pub(crate) struct RowCounts {
    taken: Mutex<HashMap<String, Taken>>,
}

#[derive(Debug, Clone, Copy)]
struct Taken {
    /// The newest run then: (id, finished at).
    after_run: Option<(i64, Option<i64>)>,
    at: Instant,
    counts: EntityCounts,
}

impl RowCounts {
    async fn get(
        &self,
        store: &Store,
        integration_id: &str,
        runs: &[SyncRun],
    ) -> Result<EntityCounts, ApiError> {
        let after_run = runs.first().map(|run| (run.id, run.finished_at));
        let cached = self.taken.lock().get(integration_id).copied();
        if let Some(taken) = cached
            && taken.after_run == after_run
            && taken.at.elapsed() < COUNTS_MAX_AGE
        {
            return Ok(taken.counts);
        }
        let counts = store.counts(integration_id).await?;
        self.taken.lock().insert(
            integration_id.to_owned(),
            Taken {
                after_run,
                at: Instant::now(),
                counts,
            },
        );
        Ok(counts)
    }
}

/// The per-integration gauges in the Prometheus text format, taken from the store at each
/// scrape (so an integration that is removed stops being reported, and the values are this
/// state's own, not whatever another state in the process last recorded).
async fn integration_gauges(state: &AppState) -> Result<String, ApiError> {
    let store = state.store();
    let now = chrono::Utc::now().timestamp_millis();
    let mut rows = Gauge::new(ROWS, "Stored rows per integration and entity.");
    let mut synced = Gauge::new(
        SYNCED,
        "Whether the integration has synced successfully (1) or not yet (0).",
    );
    let mut lag = Gauge::new(
        SYNC_LAG_SECONDS,
        "Seconds since the integration's last successful sync run finished.",
    );
    for integration in store.integrations().await? {
        let id = integration.id.as_str();
        let runs = store.runs(id, 20).await?;
        let counts = state.row_counts().get(store, id, &runs).await?;
        for (entity, count) in [
            ("leads", counts.leads),
            ("deleted_leads", counts.deleted_leads),
            ("contacts", counts.contacts),
            ("deleted_contacts", counts.deleted_contacts),
            ("pipeline_statuses", counts.pipeline_rows),
            ("users", counts.users),
            ("lead_status_changes", counts.lead_status_changes),
            ("lead_stages", counts.lead_stages),
        ] {
            rows.sample(&[("integration", id), ("entity", entity)], count as f64);
        }
        let last_ok = runs
            .iter()
            .filter(|run| run.status == kommo_store::RunStatus::Ok)
            .filter_map(|run| run.finished_at)
            .max();
        synced.sample(
            &[("integration", id)],
            if last_ok.is_some() { 1.0 } else { 0.0 },
        );
        if let Some(finished) = last_ok {
            let seconds = (now - finished).max(0) as f64 / 1000.0;
            lag.sample(&[("integration", id)], seconds);
        }
    }
    Ok([rows, synced, lag].map(Gauge::into_text).concat())
}

/// One gauge family in the Prometheus text exposition format.
struct Gauge {
    name: &'static str,
    text: String,
}

impl Gauge {
    fn new(name: &'static str, help: &str) -> Self {
        Self {
            name,
            text: format!("# HELP {name} {help}\n# TYPE {name} gauge\n"),
        }
    }

    fn sample(&mut self, labels: &[(&str, &str)], value: f64) {
        let text = &mut self.text;
        text.push_str(self.name);
        text.push('{');
        for (n, (label, label_value)) in labels.iter().enumerate() {
            if n > 0 {
                text.push(',');
            }
            text.push_str(label);
            text.push_str("=\"");
            for c in label_value.chars() {
                match c {
                    '\\' => text.push_str("\\\\"),
                    '"' => text.push_str("\\\""),
                    '\n' => text.push_str("\\n"),
                    c => text.push(c),
                }
            }
            text.push('"');
        }
        text.push_str("} ");
        text.push_str(&value.to_string());
        text.push('\n');
    }

    fn into_text(self) -> String {
        self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauges_are_exposition_text_with_escaped_labels() {
        let mut gauge = Gauge::new(ROWS, "Stored rows.");
        gauge.sample(&[("integration", "a\"b\\c\nd"), ("entity", "leads")], 12.0);
        gauge.sample(&[("integration", "plain")], 0.5);
        assert_eq!(
            gauge.into_text(),
            "# HELP kommo_integration_rows Stored rows.\n\
             # TYPE kommo_integration_rows gauge\n\
             kommo_integration_rows{integration=\"a\\\"b\\\\c\\nd\",entity=\"leads\"} 12\n\
             kommo_integration_rows{integration=\"plain\"} 0.5\n"
        );
    }
}
