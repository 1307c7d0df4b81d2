//! The resources of the data API. Each handler parses its query in one call, asks the store
//! in one call (which enforces the caller's grant), and renders the page (or, for the
//! funnel, the summary).

use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use kommo_store::query::JsonPage;
use kommo_store::rows::{
    CompanyRow, ContactRow, Funnel, LeadRow, LeadStageRow, LeadStatusChangeRow, PipelineRow,
    TaskRow, UserRow,
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::params;
use crate::state::AppState;

/// One page of rows: the response's schema (the body itself is written by `render`, in this
/// field order).
#[derive(Debug, Serialize, ToSchema)]
pub struct PageBody<T> {
    /// The rows of this page, in the requested (or default) order; empty past the last page.
    pub data: Vec<T>,
    pub meta: PageMeta,
}

/// Where this page is.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PageMeta {
    /// The page number, from 1.
    #[schema(example = 1)]
    pub page: u32,
    /// The page size after clamping to 1..5000.
    #[schema(example = 100)]
    pub limit: u32,
    /// Whether another page follows this one.
    pub has_next_page: bool,
    /// Whether this is not the first page.
    pub has_previous_page: bool,
}

/// A page the store wrote as JSON, in the envelope `PageBody` describes: `{"data": [...],
/// "meta": {...}}`.
fn render(page: JsonPage) -> Result<Response, ApiError> {
    let meta = PageMeta {
        page: page.page,
        limit: page.limit,
        has_next_page: page.has_next_page,
        has_previous_page: page.has_previous_page,
    };
    let mut bytes = Vec::with_capacity(page.rows.len() + 128);
    bytes.extend_from_slice(b"{\"data\":");
    bytes.extend_from_slice(&page.rows);
    bytes.extend_from_slice(b",\"meta\":");
    serde_json::to_writer(&mut bytes, &meta).map_err(|error| ApiError::internal(&error))?;
    bytes.push(b'}');
    let mut response = bytes.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

/// Leads.
///
/// One row per lead. Default order: `created_at` desc, then `lead_id` desc. Besides the
/// published fields, each row carries `company_id` (the linked company), `status_name` and
/// `pipeline_name`. Deleted leads are kept, flagged `is_deleted`, and returned only with
/// `isDeleted=true` or `isDeleted=any`.
#[utoipa::path(
    get,
    path = "/v1/kommo/leads",
    tag = "kommo",
    operation_id = "listLeads",
    responses((status = 200, description = "One page of leads.", body = PageBody<LeadRow>)),
    security(("clientId" = [], "clientSecret" = []))
)]
pub(crate) async fn leads(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let query = params::leads(query.as_deref())?;
    let _turn = state.read_turn().await;
    render(state.store().leads_json(&caller.grant, &query).await?)
}

/// Contacts.
///
/// One row per contact. Default order: `created_at` desc, then `contact_id` desc. `email` and
/// `phone` hold the first value of the contact's EMAIL and PHONE fields, `emails` and `phones`
/// all of them, comma-separated.
#[utoipa::path(
    get,
    path = "/v1/kommo/contacts",
    tag = "kommo",
    operation_id = "listContacts",
    responses((status = 200, description = "One page of contacts.", body = PageBody<ContactRow>)),
    security(("clientId" = [], "clientSecret" = []))
)]
pub(crate) async fn contacts(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let query = params::contacts(query.as_deref())?;
    let _turn = state.read_turn().await;
    render(state.store().contacts_json(&caller.grant, &query).await?)
}

/// Companies.
///
/// One row per company. Default order: `created_at` desc, then `company_id` desc. Filters and
/// fields follow contacts: `email` and `phone` hold the first value of the company's EMAIL and
/// PHONE fields, `emails` and `phones` all of them; `contacts_ids` and `leads_ids` are the
/// linked contacts and leads. Deleted companies are kept, flagged `is_deleted`, and returned
/// only with `isDeleted=true` or `isDeleted=any`.
#[utoipa::path(
    get,
    path = "/v1/kommo/companies",
    tag = "kommo",
    operation_id = "listCompanies",
    responses((status = 200, description = "One page of companies.", body = PageBody<CompanyRow>)),
    security(("clientId" = [], "clientSecret" = []))
)]
pub(crate) async fn companies(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let query = params::companies(query.as_deref())?;
    let _turn = state.read_turn().await;
    render(state.store().companies_json(&caller.grant, &query).await?)
}

/// Tasks.
///
/// One row per task. Default order: `created_at` desc, then `task_id` desc. `task_type_name`
/// is the task type's name from the account's task types; `result_text` the result given on
/// completion. Tasks deleted in Kommo are kept, flagged `is_deleted`, and returned only with
/// `isDeleted=true` or `isDeleted=any`.
#[utoipa::path(
    get,
    path = "/v1/kommo/tasks",
    tag = "kommo",
    operation_id = "listTasks",
    responses((status = 200, description = "One page of tasks.", body = PageBody<TaskRow>)),
    security(("clientId" = [], "clientSecret" = []))
)]
pub(crate) async fn tasks(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let query = params::tasks(query.as_deref())?;
    let _turn = state.read_turn().await;
    render(state.store().tasks_json(&caller.grant, &query).await?)
}

/// Pipelines and their statuses.
///
/// One row per (pipeline, status); the system statuses 142 (won) and 143 (lost) appear once in
/// every pipeline. Default order: `pipeline_sort`, `pipeline_id`, `sort`, `status_id`, all
/// ascending. `sort`, `color` and `type` (filters and fields) are the status's; `type` is a
/// number (1: the incoming-leads stage, 0: any other). Extra fields: `is_main` (the
/// account's main pipeline) and `is_archive` (an archived pipeline).
#[utoipa::path(
    get,
    path = "/v1/kommo/pipelines",
    tag = "kommo",
    operation_id = "listPipelines",
    responses((status = 200, description = "One page of (pipeline, status) rows.", body = PageBody<PipelineRow>)),
    security(("clientId" = [], "clientSecret" = []))
)]
pub(crate) async fn pipelines(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let query = params::pipelines(query.as_deref())?;
    let _turn = state.read_turn().await;
    render(state.store().pipelines_json(&caller.grant, &query).await?)
}

/// Users.
///
/// One row per Kommo user of the account. Default order: `user_id` asc. `rights` is Kommo's
/// rights object as JSON text.
#[utoipa::path(
    get,
    path = "/v1/kommo/users",
    tag = "kommo",
    operation_id = "listUsers",
    responses((status = 200, description = "One page of users.", body = PageBody<UserRow>)),
    security(("clientId" = [], "clientSecret" = []))
)]
pub(crate) async fn users(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let query = params::users(query.as_deref())?;
    let _turn = state.read_turn().await;
    render(state.store().users_json(&caller.grant, &query).await?)
}

/// Lead status changes.
///
/// One row per real change of a lead's status, from Kommo's `lead_status_changed` events (a
/// change whose before equals its after is not one). `pipeline_id_before`/`status_id_before`
/// are `null` when Kommo's event has no before. Names are the pipelines' and statuses' at
/// the time the event was synced. Default order: `changed_at` desc.
/// Filters on pipeline and status match the stage after the change.
#[utoipa::path(
    get,
    path = "/v1/kommo/lead-status-changes",
    tag = "kommo",
    operation_id = "listLeadStatusChanges",
    responses((status = 200, description = "One page of status changes.", body = PageBody<LeadStatusChangeRow>)),
    security(("clientId" = [], "clientSecret" = []))
)]
pub(crate) async fn lead_status_changes(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let query = params::lead_status_changes(query.as_deref())?;
    let _turn = state.read_turn().await;
    render(
        state
            .store()
            .lead_status_changes_json(&caller.grant, &query)
            .await?,
    )
}

/// Lead stages: every stay of a lead in a stage.
///
/// A lead's stays tile its life with no gap and no overlap: the first begins at the lead's
/// `created_at` (in the stage its first known change left: when Kommo no longer lists the
/// start of a history, the earliest change's "before" stage), each change ends one stay and
/// begins the next (moves between pipelines alike), and the last is open (`left_at` null,
/// `seconds_in_stage` counting up to now) unless the lead is deleted, when it ends at the
/// deletion (a restored lead's stay goes on). Where Kommo's events miss a lead's latest move,
/// the last stay begins at the lead's `updated_at`. Default order: `entered_at` desc, then
/// `lead_id` desc.
#[utoipa::path(
    get,
    path = "/v1/kommo/lead-stages",
    tag = "kommo",
    operation_id = "listLeadStages",
    responses((status = 200, description = "One page of stays.", body = PageBody<LeadStageRow>)),
    security(("clientId" = [], "clientSecret" = []))
)]
pub(crate) async fn lead_stages(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let query = params::lead_stages(query.as_deref())?;
    let _turn = state.read_turn().await;
    render(
        state
            .store()
            .lead_stages_json(&caller.grant, &query)
            .await?,
    )
}

/// The funnel of a pipeline for a cohort of leads.
///
/// The cohort: leads, not deleted, created in `createdStart`..`createdEnd` (every lead
/// without a range), that were ever in the pipeline. `stages` are the pipeline's in its sort
/// order, lost (143) left out and won (142) last. For each stage: `entered`, leads of the
/// cohort ever in it; `reached`, leads in it or in any later stage, won included, lost not
/// (the classic funnel: never increasing down the list); `conversion_from_previous`,
/// `reached` over the previous stage's (`null` for the first, or after a stage no lead
/// reached); `current`, leads in it now; `lost_from`, leads that went from it straight to
/// lost; `median_hours_in_stage`, `p75_hours_in_stage`, `p90_hours_in_stage` over the
/// finished stays of the cohort's leads in it (nearest-rank percentiles: the smallest value
/// with at least that share of values at or below it; `null` when no stay has finished).
/// `totals`, by each lead's status now: `leads`, `won` (142), `lost` (143), `open` (the
/// rest), `win_rate` = won / (won + lost) (`null` when none is closed), and
/// `median_days_to_close` (nearest-rank median of `closed_at - created_at` over won and lost
/// leads, in days).
#[utoipa::path(
    get,
    path = "/v1/kommo/funnel",
    tag = "kommo",
    operation_id = "getFunnel",
    responses((status = 200, description = "The funnel.", body = Funnel)),
    security(("clientId" = [], "clientSecret" = []))
)]
pub(crate) async fn funnel(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let query = params::funnel(query.as_deref())?;
    let _turn = state.read_turn().await;
    let funnel = state.store().funnel(&caller.grant, &query).await?;
    Ok(axum::Json(funnel).into_response())
}
