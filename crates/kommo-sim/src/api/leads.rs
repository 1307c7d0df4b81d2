//! Leads: `GET /api/v4/leads[/{id}]`, `POST` and `PATCH /api/v4/leads[/{id}]`,
//! `POST /api/v4/leads/complex`.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use kommo_model::LeadRequest;

use crate::api::common::{
    Answer, Caller, add_batch, base_url, batch, batch_shape, deleted_page, entity_list_request,
    hal, hal_bytes, json_body, list_request, no_content, problem, rejected, update_batch,
    update_items,
};
use crate::fast::PageCtx;
use crate::render::LeadWith;
use crate::state::SimState;
use crate::store::{Account, DELETED};

fn bad_id() -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "Not Found",
        "Lead id must be an integer",
    )
}

pub(crate) async fn list(
    State(state): State<SimState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let (req, walk, fields) = match entity_list_request(raw.as_deref()) {
        Ok(list) => list,
        Err(e) => return e,
    };
    let base = base_url(&headers);
    let acc = state.inner.account.read();
    if req.query.has_with("only_deleted") {
        let rows = acc.leads.deleted_rows(&req.query, walk, req.slice());
        drop(acc);
        return deleted_page(&req, &base, "/api/v4/leads", "leads", rows);
    }
    let ids = acc.select_leads(&req.query, walk, &fields, req.slice());
    if ids.is_empty() {
        return no_content();
    }
    let has_next = ids.len() > req.limit as usize;
    let with = LeadWith::from(&req.query.with);
    let shown = &ids[..ids.len().min(req.limit as usize)];
    let links = req.links(&base, "/api/v4/leads", has_next);
    // The hot path: written straight into one buffer (same bytes as `Collection<Lead>`).
    let mut body = state.inner.buffers.take();
    acc.write_lead_page(&mut body, shown, with, &base, req.page, &links);
    drop(acc);
    hal_bytes(state.inner.buffers.body(body))
}

pub(crate) async fn get_one(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let Ok(id) = id.parse::<u32>() else {
        return bad_id();
    };
    let req = match list_request(raw.as_deref()) {
        Ok(req) => req,
        Err(e) => return e,
    };
    let base = base_url(&headers);
    let acc = state.inner.account.read();
    let Some(rec) = acc.leads.get(id).filter(|l| l.flags & DELETED == 0) else {
        return no_content();
    };
    let mut body = Vec::with_capacity(1_500);
    let page = PageCtx::new(&acc, &base);
    acc.write_lead(&mut body, rec, LeadWith::from(&req.query.with), &page);
    drop(acc);
    hal_bytes(body)
}

pub(crate) async fn add(
    State(state): State<SimState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    add_batch(&state, caller, &headers, &body, "leads", Account::add_leads)
}

pub(crate) async fn update(
    State(state): State<SimState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    update_batch(
        &state,
        caller,
        &headers,
        &body,
        "leads",
        Account::update_leads,
    )
}

pub(crate) async fn update_one(
    State(state): State<SimState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return bad_id();
    };
    let mut item: LeadRequest = match json_body(&body) {
        Ok(item) => item,
        Err(e) => return e,
    };
    item.id = Some(id);
    update_items(
        &state,
        caller,
        &headers,
        &[item],
        "leads",
        Answer::Alone,
        Account::update_leads,
    )
}

pub(crate) async fn complex(
    State(state): State<SimState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Response {
    let items: Vec<LeadRequest> = match batch(&body, usize::MAX) {
        Ok(items) => items,
        Err(e) => return e,
    };
    if items.len() > 50 {
        return batch_shape(&format!(
            "Too many leads in one request: {} (at most 50)",
            items.len()
        ));
    }
    let written = state
        .inner
        .account
        .write()
        .add_complex(&items, caller.user_id);
    match written {
        Ok(results) => hal(&results),
        Err(r) => rejected(r),
    }
}
