//! Custom field definitions: `GET /api/v4/{leads,contacts,companies}/custom_fields[/{id}]`.

use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;

use crate::api::common::{Counts, found, kind_in, small_list};
use crate::state::SimState;

pub(crate) async fn list(
    State(state): State<SimState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Response {
    let kind = kind_in(uri.path());
    let counts = Counts {
        total_items: true,
        page_count: true,
    };
    small_list(
        &state,
        &headers,
        raw.as_deref(),
        &format!("/api/v4/{}/custom_fields", kind.path()),
        counts,
        |acc, query, _| {
            acc.select_custom_fields(kind, query)
                .into_iter()
                .cloned()
                .collect()
        },
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
