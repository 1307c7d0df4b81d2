//! Metrics through the `metrics` facade; whoever installs a recorder (the `/metrics`
//! endpoint) exposes them. All carry the integration id as the `integration` label.

use crate::progress::Entity;

/// Rows written to the store (`entity`: leads, contacts, deleted leads, ...).
pub const ROWS_WRITTEN: &str = "kommo_sync_rows_written_total";
/// Requests sent to Kommo, retries included.
pub const REQUESTS: &str = "kommo_sync_requests_total";
/// 429 answers from Kommo.
pub const RATE_LIMITED: &str = "kommo_sync_rate_limited_total";
/// Runs by `status` (`ok` or `failed`).
pub const RUNS: &str = "kommo_sync_runs_total";
/// Seconds a run took.
pub const RUN_SECONDS: &str = "kommo_sync_run_duration_seconds";
/// How old the stored copy may be: seconds since the start of the last successful run.
pub const LAG_SECONDS: &str = "kommo_sync_lag_seconds";
/// Unix time of the start of the last successful run.
pub const LAST_SUCCESS: &str = "kommo_sync_last_success_timestamp_seconds";

pub(crate) fn rows_written(integration_id: &str, entity: Entity, rows: u64) {
    metrics::counter!(ROWS_WRITTEN, "integration" => integration_id.to_owned(), "entity" => entity.as_str()).increment(rows);
}

pub(crate) fn run_finished(
    integration_id: &str,
    ok: bool,
    requests: u64,
    rate_limited: u64,
    seconds: f64,
) {
    let id = integration_id.to_owned();
    metrics::counter!(REQUESTS, "integration" => id.clone()).increment(requests);
    metrics::counter!(RATE_LIMITED, "integration" => id.clone()).increment(rate_limited);
    metrics::counter!(RUNS, "integration" => id.clone(), "status" => if ok { "ok" } else { "failed" }).increment(1);
    metrics::histogram!(RUN_SECONDS, "integration" => id).record(seconds);
}

/// After a successful run that started at `started_at` (Unix seconds).
pub(crate) fn run_succeeded(integration_id: &str, started_at: i64) {
    let now = chrono::Utc::now().timestamp();
    metrics::gauge!(LAST_SUCCESS, "integration" => integration_id.to_owned())
        .set(started_at as f64);
    metrics::gauge!(LAG_SECONDS, "integration" => integration_id.to_owned())
        .set((now - started_at).max(0) as f64);
}
