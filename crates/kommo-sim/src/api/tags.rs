//! Tags: `GET` and `POST /api/v4/{leads,contacts,companies}/tags`.

use axum::body::Bytes;
use axum::extract::{OriginalUri, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use kommo_model::{Collection, Links, TagRequest};

use crate::api::common::{
    MAX_BATCH, base_url, batch, hal, kind_in, list_request, page_of, rejected,
};
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
        .select_tags(kind, &req.query)
        .into_iter()
        .cloned()
        .collect();
    page_of(
        &req,
        &base,
        &format!("/api/v4/{}/tags", kind.path()),
        &all,
        false,
        false,
    )
}

pub(crate) async fn add(
    State(state): State<SimState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    body: Bytes,
) -> Response {
    let items: Vec<TagRequest> = match batch(&body, MAX_BATCH) {
        Ok(i) => i,
        Err(e) => return e,
    };
    let kind = kind_in(uri.path());
    let base = base_url(&headers);
    let added = state.inner.account.write().add_tags(kind, &items);
    match added {
        Ok(out) => hal(&Collection {
            page: None,
            page_count: None,
            total_items: Some(out.len() as u64),
            links: Links::to_self(format!("{base}/api/v4/{}/tags", kind.path())),
            items: out,
        }),
        Err(r) => rejected(r),
    }
}
