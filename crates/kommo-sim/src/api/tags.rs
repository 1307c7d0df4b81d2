//! Tags: `GET` and `POST /api/v4/{leads,contacts,companies}/tags`.

use axum::body::Bytes;
use axum::extract::{OriginalUri, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use kommo_model::{Collection, Links, TagRequest};

use crate::api::common::{Counts, MAX_BATCH, base_url, batch, hal, kind_in, rejected, small_list};
use crate::state::SimState;

pub(crate) async fn list(
    State(state): State<SimState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Response {
    let kind = kind_in(uri.path());
    let counts = Counts {
        total_items: false,
        page_count: false,
    };
    small_list(
        &state,
        &headers,
        raw.as_deref(),
        &format!("/api/v4/{}/tags", kind.path()),
        counts,
        |acc, query, _| acc.select_tags(kind, query).into_iter().cloned().collect(),
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
