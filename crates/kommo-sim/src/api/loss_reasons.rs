//! Loss reasons: `GET /api/v4/leads/loss_reasons[/{id}]`.

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;

use crate::api::common::{Counts, found, small_list};
use crate::state::SimState;

pub(crate) async fn list(
    State(state): State<SimState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let counts = Counts {
        total_items: true,
        page_count: false,
    };
    small_list(
        &state,
        &headers,
        raw.as_deref(),
        "/api/v4/leads/loss_reasons",
        counts,
        |acc, _, _| acc.loss_reasons.clone(),
    )
}

pub(crate) async fn get_one(State(state): State<SimState>, Path(id): Path<String>) -> Response {
    let acc = state.inner.account.read();
    let id = id.parse::<i64>().ok();
    found(
        acc.loss_reasons.iter().find(|r| Some(r.id) == id),
        "Loss reason",
    )
}
