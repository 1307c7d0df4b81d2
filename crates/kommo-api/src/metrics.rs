//! Prometheus metrics: requests and latency by route and status (a middleware), and rows and
//! sync lag per integration (read from the store when `/metrics` is scraped).

use std::sync::OnceLock;
use std::time::Instant;

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
    refresh_integration_gauges(&state).await?;
    let handle = state.metrics();
    handle.run_upkeep();
    let mut response = handle.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(response)
}

async fn refresh_integration_gauges(state: &AppState) -> Result<(), ApiError> {
    let store = state.store();
    let now = chrono::Utc::now().timestamp_millis();
    for integration in store.integrations().await? {
        let id = integration.id;
        let counts = store.counts(&id).await?;
        let entities = [
            ("leads", counts.leads),
            ("deleted_leads", counts.deleted_leads),
            ("contacts", counts.contacts),
            ("deleted_contacts", counts.deleted_contacts),
            ("pipeline_statuses", counts.pipeline_rows),
            ("users", counts.users),
        ];
        for (entity, count) in entities {
            metrics::gauge!(ROWS, "integration" => id.clone(), "entity" => entity)
                .set(count as f64);
        }
        let runs = store.runs(&id, 20).await?;
        let last_ok = runs
            .iter()
            .filter(|run| run.status == kommo_store::RunStatus::Ok)
            .filter_map(|run| run.finished_at)
            .max();
        metrics::gauge!(SYNCED, "integration" => id.clone()).set(if last_ok.is_some() {
            1.0
        } else {
            0.0
        });
        if let Some(finished) = last_ok {
            let lag = (now - finished).max(0) as f64 / 1000.0;
            metrics::gauge!(SYNC_LAG_SECONDS, "integration" => id).set(lag);
        }
    }
    Ok(())
}
