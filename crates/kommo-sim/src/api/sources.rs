//! Sources: `GET /api/v4/sources[/{id}]`.

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;

use crate::api::common::{base_url, found, list_request, page_of};
use crate::state::SimState;

pub(crate) async fn list(
    State(state): State<SimState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let req = match list_request(raw.as_deref()) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let base = base_url(&headers);
    let acc = state.inner.account.read();
    let all: Vec<_> = acc
        .select_sources(&req.query)
        .into_iter()
        .cloned()
        .collect();
    page_of(&req, &base, "/api/v4/sources", &all, true, false)
}

pub(crate) async fn get_one(State(state): State<SimState>, Path(id): Path<String>) -> Response {
    let acc = state.inner.account.read();
    let id = id.parse::<i64>().ok();
    found(acc.sources.iter().find(|s| Some(s.id) == id), "Source")
}
