//! Companies: `GET`, `POST` and `PATCH /api/v4/companies[/{id}]`.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;

use crate::api::common::{
    Caller, add_batch, entity_get, entity_list, update_batch, update_one_as_batch,
};
use crate::state::SimState;
use crate::store::{Account, DELETED, Kind};

pub(crate) async fn list(
    State(state): State<SimState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    entity_list(
        &state,
        &headers,
        raw.as_deref(),
        Kind::Companies,
        |acc, id, query, base| {
            let rec = acc.companies.get(id)?;
            Some(acc.company_model(
                rec,
                query.has_with("leads"),
                query.has_with("contacts"),
                base,
            ))
        },
    )
}

pub(crate) async fn get_one(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    entity_get(
        &state,
        &headers,
        &id,
        raw.as_deref(),
        |acc, id, query, base| {
            let rec = acc.companies.get(id).filter(|c| c.flags & DELETED == 0)?;
            Some(acc.company_model(
                rec,
                query.has_with("leads"),
                query.has_with("contacts"),
                base,
            ))
        },
    )
}

pub(crate) async fn add(
    State(state): State<SimState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    add_batch(
        &state,
        caller,
        &headers,
        &body,
        "companies",
        Account::add_companies,
    )
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
        "companies",
        Account::update_companies,
    )
}

pub(crate) async fn update_one(
    State(state): State<SimState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    update_one_as_batch(
        &state,
        caller,
        &headers,
        &id,
        &body,
        "companies",
        Account::update_companies,
    )
}
