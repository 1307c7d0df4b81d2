//! Events: `GET /api/v4/events[/{id}]` and `GET /api/v4/events/types`.

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use kommo_model::{Collection, Entity, Links};
use serde::Serialize;

use crate::api::common::{bad_request, base_url, hal, list_request, no_content, rendered_page};
use crate::render::event_id;
use crate::select::events_order;
use crate::state::SimState;
use crate::store::EventKind;

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
    let desc = match events_order(&req.query) {
        Ok(desc) => desc,
        Err(e) => return bad_request(&e),
    };
    let acc = state.inner.account.read();
    let rows = acc.select_events(&req.query, desc, req.slice());
    rendered_page(&req, &base, "/api/v4/events", &rows, |e| {
        acc.event_model(e, &base)
    })
}

pub(crate) async fn get_one(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let base = base_url(&headers);
    let acc = state.inner.account.read();
    match acc.events.iter().find(|e| event_id(e) == id) {
        Some(e) => hal(&acc.event_model(e, &base)),
        None => no_content(),
    }
}

#[derive(Debug, Clone, Serialize)]
struct EventType {
    key: &'static str,
    #[serde(rename = "type")]
    kind: u32,
    lang: &'static str,
}

impl Entity for EventType {
    const COLLECTION: &'static str = "events_types";
}

pub(crate) async fn types(headers: HeaderMap) -> Response {
    let base = base_url(&headers);
    let items: Vec<EventType> = EventKind::ALL
        .iter()
        .enumerate()
        .map(|(i, k)| EventType {
            key: k.wire(),
            kind: i as u32 + 1,
            lang: k.wire(),
        })
        .collect();
    hal(&Collection {
        page: None,
        page_count: None,
        total_items: None,
        links: Links::to_self(format!("{base}/api/v4/events/types")),
        items,
    })
}
