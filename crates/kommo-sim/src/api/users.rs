//! Users and roles: `GET /api/v4/users[/{id}]`, `GET /api/v4/roles`.

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
    let (role, group) = (req.query.has_with("role"), req.query.has_with("group"));
    let all: Vec<_> = acc
        .select_users(&req.query)
        .into_iter()
        .map(|u| acc.user_model(u, role, group, &base))
        .collect();
    page_of(&req, &base, "/api/v4/users", &all, true, true)
}

pub(crate) async fn get_one(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let req = match list_request(raw.as_deref()) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let base = base_url(&headers);
    let acc = state.inner.account.read();
    let (role, group) = (req.query.has_with("role"), req.query.has_with("group"));
    found(
        id.parse::<u32>()
            .ok()
            .and_then(|id| acc.user(id))
            .map(|u| acc.user_model(u, role, group, &base)),
        "User",
    )
}

pub(crate) async fn roles(
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
    page_of(&req, &base, "/api/v4/roles", &acc.roles, true, true)
}
