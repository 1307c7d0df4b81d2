//! Tasks: `GET`, `POST` and `PATCH /api/v4/tasks[/{id}]`.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use kommo_model::TaskRequest;

use crate::api::common::{
    Answer, Caller, add_batch, bad_request, base_url, hal, json_body, list_request, no_content,
    rendered_page, update_batch, update_items,
};
use crate::select::task_order;
use crate::state::SimState;
use crate::store::Account;

pub(crate) async fn list(
    State(state): State<SimState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let req = match list_request(raw.as_deref()) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let order = match task_order(&req.query) {
        Ok(order) => order,
        Err(e) => return bad_request(&e),
    };
    let base = base_url(&headers);
    let acc = state.inner.account.read();
    let rows = acc.select_tasks(&req.query, order, req.slice());
    rendered_page(&req, &base, "/api/v4/tasks", &rows, |t| {
        acc.task_model(t, &base)
    })
}

pub(crate) async fn get_one(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let base = base_url(&headers);
    let acc = state.inner.account.read();
    match id.parse::<u32>().ok().and_then(|id| acc.tasks.get(id)) {
        Some(t) => hal(&acc.task_model(t, &base)),
        None => no_content(),
    }
}

pub(crate) async fn add(
    State(state): State<SimState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    add_batch(&state, caller, &headers, &body, "tasks", Account::add_tasks)
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
        "tasks",
        Account::update_tasks,
    )
}

/// `PATCH /api/v4/tasks/{id}`: one object, answered alone with the `request_id` it gave; a
/// path id that is no number makes it a batch update.
pub(crate) async fn update_one(
    State(state): State<SimState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return update_batch(
            &state,
            caller,
            &headers,
            &body,
            "tasks",
            Account::update_tasks,
        );
    };
    let mut task: TaskRequest = match json_body(&body) {
        Ok(task) => task,
        Err(e) => return e,
    };
    task.id = Some(id);
    update_items(
        &state,
        caller,
        &headers,
        &[task],
        "tasks",
        Answer::AloneEchoed,
        Account::update_tasks,
    )
}
