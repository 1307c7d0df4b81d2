//! Users and roles: `GET /api/v4/users[/{id}]`, `GET /api/v4/roles`.

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;

use crate::api::common::{Counts, base_url, found, list_request, small_list};
use crate::state::SimState;

const COUNTED: Counts = Counts {
    total_items: true,
    page_count: true,
};

pub(crate) async fn list(
    State(state): State<SimState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    small_list(
        &state,
        &headers,
        raw.as_deref(),
        "/api/v4/users",
        COUNTED,
        |acc, query, base| {
            let (role, group) = (query.has_with("role"), query.has_with("group"));
            acc.select_users(query)
                .into_iter()
                .map(|u| acc.user_model(u, role, group, base))
                .collect()
        },
    )
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
    small_list(
        &state,
        &headers,
        raw.as_deref(),
        "/api/v4/roles",
        COUNTED,
        |acc, _, _| acc.roles.clone(),
    )
}
