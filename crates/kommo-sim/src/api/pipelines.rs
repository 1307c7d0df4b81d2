//! Pipelines and their statuses: `/api/v4/leads/pipelines[/{id}[/statuses[/{status}]]]`.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use kommo_model::{Collection, Links, PipelineRequest, Status, StatusRequest};

use crate::api::common::{
    Caller, base_url, batch, found, hal, json_body, no_content, not_found, rejected,
};
use crate::mutate::pipelines::{MAX_PIPELINES, MAX_STATUSES};
use crate::mutate::request_id;
use crate::state::SimState;

/// A path id; `None` when it is no number, which names nothing.
fn path_id(id: &str) -> Option<u32> {
    id.parse().ok()
}

/// The statuses list and add envelope: unlike the other collections, Kommo sends no `_links`.
#[derive(Debug, serde::Serialize)]
struct StatusList<'a> {
    #[serde(rename = "_total_items")]
    total_items: usize,
    #[serde(rename = "_embedded")]
    embedded: StatusItems<'a>,
}

#[derive(Debug, serde::Serialize)]
struct StatusItems<'a> {
    statuses: &'a [Status],
}

impl<'a> StatusList<'a> {
    fn new(statuses: &'a [Status]) -> Self {
        Self {
            total_items: statuses.len(),
            embedded: StatusItems { statuses },
        }
    }
}

fn pipeline_list<T: kommo_model::Entity + serde::Serialize>(base: &str, items: Vec<T>) -> Response {
    hal(&Collection {
        page: None,
        page_count: None,
        total_items: Some(items.len() as u64),
        links: Links::to_self(format!("{base}/api/v4/leads/pipelines")),
        items,
    })
}

pub(crate) async fn list(State(state): State<SimState>, headers: HeaderMap) -> Response {
    let base = base_url(&headers);
    let acc = state.inner.account.read();
    let items: Vec<_> = acc
        .pipelines
        .iter()
        .map(|p| acc.pipeline_model(p, &base))
        .collect();
    pipeline_list(&base, items)
}

pub(crate) async fn get_one(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let base = base_url(&headers);
    let acc = state.inner.account.read();
    found(
        path_id(&id)
            .and_then(|id| acc.pipeline(id))
            .map(|p| acc.pipeline_model(p, &base)),
        "Pipeline",
    )
}

pub(crate) async fn add(
    State(state): State<SimState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let items: Vec<PipelineRequest> = match batch(&body, MAX_PIPELINES) {
        Ok(i) => i,
        Err(e) => return e,
    };
    let base = base_url(&headers);
    let mut acc = state.inner.account.write();
    let added = match acc.add_pipelines(&items) {
        Ok(added) => added,
        Err(r) => return rejected(r),
    };
    let out: Vec<_> = added
        .iter()
        .zip(&items)
        .enumerate()
        .map(|(i, (rec, item))| {
            let mut model = acc.pipeline_model(rec, &base);
            model.request_id = Some(request_id(item.request_id.as_ref(), i));
            model
        })
        .collect();
    drop(acc);
    pipeline_list(&base, out)
}

pub(crate) async fn edit(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let req: PipelineRequest = match json_body(&body) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let base = base_url(&headers);
    let mut acc = state.inner.account.write();
    match acc.edit_pipeline(path_id(&id), &req) {
        Ok(p) => {
            let mut model = acc.pipeline_model(&p, &base);
            model.request_id = Some("0".to_owned());
            drop(acc);
            hal(&model)
        }
        Err(r) => rejected(r),
    }
}

pub(crate) async fn delete(State(state): State<SimState>, Path(id): Path<String>) -> Response {
    match state.inner.account.write().delete_pipeline(path_id(&id)) {
        Ok(()) => no_content(),
        Err(r) => rejected(r),
    }
}

pub(crate) async fn statuses(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(pid): Path<String>,
) -> Response {
    let base = base_url(&headers);
    let acc = state.inner.account.read();
    let Some(p) = path_id(&pid).and_then(|id| acc.pipeline(id)) else {
        return not_found("Pipeline");
    };
    let items: Vec<_> = acc.pipeline_model(p, &base).embedded.statuses;
    hal(&StatusList::new(&items))
}

pub(crate) async fn status(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path((pid, sid)): Path<(String, String)>,
) -> Response {
    let base = base_url(&headers);
    let acc = state.inner.account.read();
    let Some(p) = path_id(&pid).and_then(|id| acc.pipeline(id)) else {
        return not_found("Pipeline");
    };
    found(
        path_id(&sid)
            .and_then(|sid| p.statuses.iter().find(|s| s.id == sid))
            .map(|s| acc.status_model(p, s, &base)),
        "Status",
    )
}

pub(crate) async fn add_statuses(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(pid): Path<String>,
    body: Bytes,
) -> Response {
    let items: Vec<StatusRequest> = match batch(&body, MAX_STATUSES) {
        Ok(i) => i,
        Err(e) => return e,
    };
    let base = base_url(&headers);
    let mut acc = state.inner.account.write();
    let (pipeline, added) = match acc.add_statuses(path_id(&pid), &items) {
        Ok(added) => added,
        Err(r) => return rejected(r),
    };
    let out: Vec<_> = added
        .iter()
        .map(|(i, rec)| {
            let mut model = acc.status_model(&pipeline, rec, &base);
            model.request_id = Some(request_id(items[*i].request_id.as_ref(), *i));
            model
        })
        .collect();
    drop(acc);
    hal(&StatusList::new(&out))
}

pub(crate) async fn edit_status(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path((pid, sid)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let req: StatusRequest = match json_body(&body) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let base = base_url(&headers);
    let mut acc = state.inner.account.write();
    match acc.edit_status(path_id(&pid), path_id(&sid), &req) {
        Ok((p, s)) => {
            let mut model = acc.status_model(&p, &s, &base);
            model.request_id = Some("0".to_owned());
            drop(acc);
            hal(&model)
        }
        Err(r) => rejected(r),
    }
}

pub(crate) async fn delete_status(
    State(state): State<SimState>,
    Extension(caller): Extension<Caller>,
    Path((pid, sid)): Path<(String, String)>,
) -> Response {
    let deleted =
        state
            .inner
            .account
            .write()
            .delete_status(path_id(&pid), path_id(&sid), caller.user_id);
    match deleted {
        Ok(()) => no_content(),
        Err(r) => rejected(r),
    }
}
