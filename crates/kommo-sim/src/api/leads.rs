//! `GET /api/v4/leads` and `GET /api/v4/leads/{id}`.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use crate::api::filter::{
    DeletedPage, Walk, deleted_rows, field_filters, in_list, in_range, in_range_opt, order_of,
    select,
};
use crate::fast::PageCtx;
use crate::http::{base_url, hal, hal_bytes, list_request, no_content, problem};
use crate::render::LeadWith;
use crate::state::SimState;
use crate::store::{DELETED, Kind};

pub(crate) async fn list(
    State(state): State<SimState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let req = match list_request(raw.as_deref()) {
        Ok(req) => req,
        Err(e) => return e,
    };
    let (order, desc) = match order_of(&req.query, &[]) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let fields = match field_filters(&req.query) {
        Ok(f) => f,
        Err(e) => return e,
    };
    let base = base_url(&headers);
    let walk = Walk::new(order, desc, &req.query);
    let acc = state.inner.account.read();
    let q = &req.query;
    let f = &q.filter;

    if q.has_with("only_deleted") {
        let rows = deleted_rows(&acc.leads.index.deleted, &req, walk, &|id| {
            acc.leads.get(id).map_or(0, |l| l.updated_at)
        });
        drop(acc);
        if rows.is_empty() {
            return no_content();
        }
        let has_next = rows.len() > req.limit as usize;
        let mut rows = rows;
        rows.truncate(req.limit as usize);
        return hal(&DeletedPage {
            page: req.page,
            links: req.links(&base, "/api/v4/leads", has_next),
            embedded: [("leads", rows)].into_iter().collect(),
        });
    }

    let needle = q.query.as_ref().map(|s| s.to_lowercase());
    let names: Vec<String> = f.name.iter().map(|n| n.to_lowercase()).collect();
    let filtered = !names.is_empty()
        || f.price.is_some()
        || !f.statuses.is_empty()
        || !f.pipeline_id.is_empty()
        || !f.created_by.is_empty()
        || !f.updated_by.is_empty()
        || !f.responsible_user_id.is_empty()
        || (f.created_at.is_some() && !walk.consumed_created)
        || (f.updated_at.is_some() && !walk.consumed_updated)
        || f.closed_at.is_some()
        || f.closest_task_at.is_some()
        || needle.is_some()
        || !fields.is_empty();
    let keep = |id: u32| -> bool {
        let Some(l) = acc.leads.get(id) else {
            return false;
        };
        f.price.is_none_or(|r| r.contains(i64::from(l.price)))
            && (f.statuses.is_empty()
                || f.statuses.iter().any(|s| {
                    s.status_id == i64::from(l.status_id)
                        && (s.pipeline_id == 0 || s.pipeline_id == i64::from(l.pipeline_id))
                }))
            && in_list(&f.pipeline_id, l.pipeline_id)
            && in_list(&f.created_by, l.created_by)
            && in_list(&f.updated_by, l.updated_by)
            && in_list(&f.responsible_user_id, l.responsible)
            && (walk.consumed_created || in_range(f.created_at, l.created_at))
            && (walk.consumed_updated || in_range(f.updated_at, l.updated_at))
            && in_range_opt(f.closed_at, l.closed_at)
            && in_range_opt(f.closest_task_at, l.closest_task_at)
            && (names.is_empty() || {
                let name = acc.lead_name(id).to_lowercase();
                names.contains(&name)
            })
            && acc.fields_match(Kind::Leads, id, &fields)
            && needle.as_ref().is_none_or(|needle| {
                acc.lead_name(id).to_lowercase().contains(needle.as_str())
                    || id.to_string() == *needle
                    || acc.fields_contain(Kind::Leads, id, needle)
            })
    };
    let key = |id: u32| {
        acc.leads
            .get(id)
            .filter(|l| l.flags & DELETED == 0)
            .map(|l| (l.created_at, l.updated_at))
    };
    let ids = select(
        &acc.leads.index,
        walk,
        &req,
        &f.id,
        if filtered { Some(&keep) } else { None },
        &key,
    );
    if ids.is_empty() {
        return no_content();
    }
    let has_next = ids.len() > req.limit as usize;
    let with = LeadWith::from(&q.with);
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
        return problem(
            StatusCode::NOT_FOUND,
            "Not Found",
            "Lead id must be an integer",
        );
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
