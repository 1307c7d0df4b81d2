//! Custom field definitions: `GET /api/v4/{leads,contacts,companies}/custom_fields[/{id}]`.

use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;

use crate::api::common::{base_url, found, kind_in, list_request, page_of};
use crate::state::SimState;

pub(crate) async fn list(
    State(state): State<SimState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Response {
    let req = match list_request(raw.as_deref()) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let kind = kind_in(uri.path());
    let base = base_url(&headers);
    let acc = state.inner.account.read();
    let all: Vec<_> = acc
        .select_custom_fields(kind, &req.query)
        .into_iter()
        .cloned()
        .collect();
    page_of(
        &req,
        &base,
        &format!("/api/v4/{}/custom_fields", kind.path()),
        &all,
        true,
        true,
    )
}

pub(crate) async fn get_one(
    State(state): State<SimState>,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
) -> Response {
    let kind = kind_in(uri.path());
    let acc = state.inner.account.read();
    let id = id.parse::<i64>().ok();
    found(
        acc.fields(kind)
            .iter()
            .find(|f| Some(f.def.id) == id)
            .map(|f| &f.def),
        "Custom field",
    )
}
