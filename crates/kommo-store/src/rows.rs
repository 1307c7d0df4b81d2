//! The rows of the data API, one type per resource, exactly as `shared/spec/data-api.md` defines them.
//!
//! A row is stored with native types (ids as integers, Kommo times as Unix seconds) so that
//! filters and orders use indexes, and serialises to the published JSON form: ids as strings,
//! timestamps as RFC 3339 UTC with milliseconds and `Z`, structured data as compact JSON text.
//! Fields marked `#[serde(skip)]` feed side tables (tags, emails, phones, linked leads) that
//! the "any of" filters need; they are not part of the published row. Data API reads leave
//! them empty; `Store::all_lead_rows` / `all_contact_rows` (`testing` feature) fill them from
//! the side tables.
//!
//! On write the store sets `tenancy` from the call's `RowTenancy`, derives `document_id`
//! (see [`crate::document_id`]) and stamps `inserted_at`; the values passed in are ignored.

use serde::Serialize;
use utoipa::ToSchema;

use crate::format::{id_string, opt_id_string, opt_rfc3339, rfc3339, rfc3339_ms};

/// The tenancy every row was synced under, and when it was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema, sqlx::FromRow)]
pub struct RowTenancy {
    pub integration_id: String,
    pub workspace_id: String,
    pub organization_id: String,
}

/// One tag of a lead or contact, in Kommo's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowTag {
    pub id: i64,
    pub name: String,
    pub color: Option<String>,
}

/// One lead.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct LeadRow {
    #[serde(serialize_with = "id_string")]
    #[schema(value_type = String, example = "58141807")]
    pub lead_id: i64,
    pub lead_name: Option<String>,
    #[serde(serialize_with = "id_string")]
    #[schema(value_type = String)]
    pub status_id: i64,
    pub price: Option<i64>,
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub responsible_user_id: Option<i64>,
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub group_id: Option<i64>,
    #[serde(serialize_with = "id_string")]
    #[schema(value_type = String)]
    pub pipeline_id: i64,
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub loss_reason_id: Option<i64>,
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub created_by: Option<i64>,
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub updated_by: Option<i64>,
    /// Unix seconds.
    #[serde(serialize_with = "opt_rfc3339")]
    #[schema(value_type = Option<String>, example = "2026-01-27T12:24:45.000Z")]
    pub created_at: Option<i64>,
    #[serde(serialize_with = "opt_rfc3339")]
    #[schema(value_type = Option<String>)]
    pub updated_at: Option<i64>,
    #[serde(serialize_with = "opt_rfc3339")]
    #[schema(value_type = Option<String>)]
    pub closed_at: Option<i64>,
    #[serde(serialize_with = "opt_rfc3339")]
    #[schema(value_type = Option<String>)]
    pub closest_task_at: Option<i64>,
    pub is_deleted: bool,
    /// Kommo's `custom_fields_values` as compact JSON text, `null` when it has none.
    pub custom_fields_values: Option<String>,
    pub score: Option<String>,
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub account_id: Option<i64>,
    pub labor_cost: Option<i64>,
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub source_id: Option<i64>,
    pub source_name: Option<String>,
    /// JSON array of `{id, name, color}` in Kommo's order, `null` when the lead has none.
    pub tags: Option<String>,
    /// Linked contact ids, comma-separated in Kommo's order.
    pub contacts_ids: Option<String>,
    pub loss_reason: Option<String>,
    pub tag_id: Option<String>,
    pub tag_name: Option<String>,
    pub tag_color: Option<String>,
    pub tag_id_first: Option<String>,
    pub tag_name_first: Option<String>,
    pub tag_color_first: Option<String>,
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub tenancy: RowTenancy,
    pub document_id: String,
    /// Unix milliseconds of the last write by a sync.
    #[serde(serialize_with = "rfc3339_ms")]
    #[schema(value_type = String)]
    pub inserted_at: i64,
    /// Extra: the linked company.
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub company_id: Option<i64>,
    /// Extra: the names of the lead's status and pipeline.
    pub status_name: Option<String>,
    pub pipeline_name: Option<String>,
    #[serde(skip)]
    #[sqlx(skip)]
    pub tag_list: Vec<RowTag>,
}

/// One (pipeline, status) pair: the system statuses 142 and 143 appear in every pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct PipelineRow {
    #[serde(serialize_with = "id_string")]
    #[schema(value_type = String)]
    pub pipeline_id: i64,
    pub pipeline_name: String,
    pub pipeline_sort: i64,
    #[serde(serialize_with = "id_string")]
    #[schema(value_type = String)]
    pub status_id: i64,
    pub status_name: String,
    pub sort: i64,
    pub is_editable: bool,
    pub color: String,
    /// 1 for the incoming-leads stage, 0 otherwise.
    #[serde(rename = "type")]
    pub status_type: i64,
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub tenancy: RowTenancy,
    pub document_id: String,
    #[serde(serialize_with = "rfc3339_ms")]
    #[schema(value_type = String)]
    pub inserted_at: i64,
    pub is_main: bool,
    pub is_archive: bool,
}

/// One contact.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct ContactRow {
    #[serde(serialize_with = "id_string")]
    #[schema(value_type = String)]
    pub contact_id: i64,
    pub contact_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub responsible_user_id: Option<i64>,
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub group_id: Option<i64>,
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub created_by: Option<i64>,
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub updated_by: Option<i64>,
    #[serde(serialize_with = "opt_rfc3339")]
    #[schema(value_type = Option<String>)]
    pub created_at: Option<i64>,
    #[serde(serialize_with = "opt_rfc3339")]
    #[schema(value_type = Option<String>)]
    pub updated_at: Option<i64>,
    #[serde(serialize_with = "opt_rfc3339")]
    #[schema(value_type = Option<String>)]
    pub closest_task_at: Option<i64>,
    pub is_deleted: bool,
    pub is_unsorted: bool,
    pub custom_fields_values: Option<String>,
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub account_id: Option<i64>,
    /// The first value of the EMAIL field; `emails` holds all of them, comma-separated.
    pub email: Option<String>,
    pub phone: Option<String>,
    pub emails: Option<String>,
    pub phones: Option<String>,
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub company_id: Option<i64>,
    pub leads_ids: Option<String>,
    pub tags: Option<String>,
    pub tag_id: Option<String>,
    pub tag_name: Option<String>,
    pub tag_color: Option<String>,
    pub tag_id_first: Option<String>,
    pub tag_name_first: Option<String>,
    pub tag_color_first: Option<String>,
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub tenancy: RowTenancy,
    pub document_id: String,
    #[serde(serialize_with = "rfc3339_ms")]
    #[schema(value_type = String)]
    pub inserted_at: i64,
    #[serde(skip)]
    #[sqlx(skip)]
    pub tag_list: Vec<RowTag>,
    /// Every EMAIL value, as given (matched case-insensitively).
    #[serde(skip)]
    #[sqlx(skip)]
    pub email_list: Vec<String>,
    /// Every PHONE value, as given (matched on its digits).
    #[serde(skip)]
    #[sqlx(skip)]
    pub phone_list: Vec<String>,
    #[serde(skip)]
    #[sqlx(skip)]
    pub lead_id_list: Vec<i64>,
}

/// One Kommo user of the account.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct UserRow {
    #[serde(serialize_with = "id_string")]
    #[schema(value_type = String)]
    pub user_id: i64,
    pub user_name: Option<String>,
    pub email: Option<String>,
    pub lang: Option<String>,
    pub is_admin: bool,
    pub is_free: bool,
    pub is_active: bool,
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub group_id: Option<i64>,
    pub group_name: Option<String>,
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub role_id: Option<i64>,
    pub role_name: Option<String>,
    /// Kommo's rights object as compact JSON text.
    pub rights: Option<String>,
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub tenancy: RowTenancy,
    pub document_id: String,
    #[serde(serialize_with = "rfc3339_ms")]
    #[schema(value_type = String)]
    pub inserted_at: i64,
}

/// One company. Its links are served from both sides: `contacts_ids` and `leads_ids` are the
/// contacts and leads Kommo lists for it (`with=contacts,leads`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct CompanyRow {
    #[serde(serialize_with = "id_string")]
    #[schema(value_type = String)]
    pub company_id: i64,
    pub company_name: Option<String>,
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub responsible_user_id: Option<i64>,
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub group_id: Option<i64>,
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub created_by: Option<i64>,
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub updated_by: Option<i64>,
    #[serde(serialize_with = "opt_rfc3339")]
    #[schema(value_type = Option<String>)]
    pub created_at: Option<i64>,
    #[serde(serialize_with = "opt_rfc3339")]
    #[schema(value_type = Option<String>)]
    pub updated_at: Option<i64>,
    #[serde(serialize_with = "opt_rfc3339")]
    #[schema(value_type = Option<String>)]
    pub closest_task_at: Option<i64>,
    pub is_deleted: bool,
    pub custom_fields_values: Option<String>,
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub account_id: Option<i64>,
    /// The first value of the EMAIL field; `emails` holds all of them, comma-separated.
    pub email: Option<String>,
    pub phone: Option<String>,
    pub emails: Option<String>,
    pub phones: Option<String>,
    /// Linked contact ids, comma-separated in Kommo's order.
    pub contacts_ids: Option<String>,
    /// Linked lead ids, comma-separated in Kommo's order.
    pub leads_ids: Option<String>,
    pub tags: Option<String>,
    pub tag_id: Option<String>,
    pub tag_name: Option<String>,
    pub tag_color: Option<String>,
    pub tag_id_first: Option<String>,
    pub tag_name_first: Option<String>,
    pub tag_color_first: Option<String>,
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub tenancy: RowTenancy,
    pub document_id: String,
    #[serde(serialize_with = "rfc3339_ms")]
    #[schema(value_type = String)]
    pub inserted_at: i64,
    #[serde(skip)]
    #[sqlx(skip)]
    pub tag_list: Vec<RowTag>,
    #[serde(skip)]
    #[sqlx(skip)]
    pub email_list: Vec<String>,
    #[serde(skip)]
    #[sqlx(skip)]
    pub phone_list: Vec<String>,
    #[serde(skip)]
    #[sqlx(skip)]
    pub contact_id_list: Vec<i64>,
    #[serde(skip)]
    #[sqlx(skip)]
    pub lead_id_list: Vec<i64>,
}

/// One task.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct TaskRow {
    #[serde(serialize_with = "id_string")]
    #[schema(value_type = String)]
    pub task_id: i64,
    /// `leads`, `contacts`, `companies` or `customers`; `null` for a task of no entity.
    pub entity_type: Option<String>,
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub entity_id: Option<i64>,
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub responsible_user_id: Option<i64>,
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub group_id: Option<i64>,
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub task_type_id: Option<i64>,
    /// The task type's name from the account's task types.
    pub task_type_name: Option<String>,
    pub text: Option<String>,
    /// Seconds.
    pub duration: Option<i64>,
    #[serde(serialize_with = "opt_rfc3339")]
    #[schema(value_type = Option<String>)]
    pub complete_till: Option<i64>,
    pub is_completed: bool,
    /// The result given when the task was completed, `null` without one.
    pub result_text: Option<String>,
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub created_by: Option<i64>,
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub updated_by: Option<i64>,
    #[serde(serialize_with = "opt_rfc3339")]
    #[schema(value_type = Option<String>)]
    pub created_at: Option<i64>,
    #[serde(serialize_with = "opt_rfc3339")]
    #[schema(value_type = Option<String>)]
    pub updated_at: Option<i64>,
    pub is_deleted: bool,
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub tenancy: RowTenancy,
    pub document_id: String,
    #[serde(serialize_with = "rfc3339_ms")]
    #[schema(value_type = String)]
    pub inserted_at: i64,
}

/// One real change of a lead's status (`GET /v1/kommo/lead-status-changes`): a Kommo
/// `lead_status_changed` event whose before differs from its after.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct LeadStatusChangeRow {
    /// Kommo's event id (a string in Kommo too).
    pub event_id: String,
    #[serde(serialize_with = "id_string")]
    #[schema(value_type = String)]
    pub lead_id: i64,
    /// `null` when Kommo's event has no before (a lead's first status).
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub pipeline_id_before: Option<i64>,
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub status_id_before: Option<i64>,
    #[serde(serialize_with = "id_string")]
    #[schema(value_type = String)]
    pub pipeline_id_after: i64,
    #[serde(serialize_with = "id_string")]
    #[schema(value_type = String)]
    pub status_id_after: i64,
    pub pipeline_name_before: Option<String>,
    pub status_name_before: Option<String>,
    pub pipeline_name_after: Option<String>,
    pub status_name_after: Option<String>,
    /// When the change happened (the event's `created_at`).
    #[serde(serialize_with = "rfc3339")]
    #[schema(value_type = String, example = "2026-01-27T12:24:45.000Z")]
    pub changed_at: i64,
    /// The user who made it; `"0"` for Kommo's robot or the system.
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub changed_by: Option<i64>,
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub tenancy: RowTenancy,
    pub document_id: String,
    #[serde(serialize_with = "rfc3339_ms")]
    #[schema(value_type = String)]
    pub inserted_at: i64,
}

/// One stay of a lead in a stage (`GET /v1/kommo/lead-stages`). A lead's stays tile its
/// life with no gap and no overlap: the first begins at the lead's `created_at`, each ends
/// where the next begins, and the last is open (`left_at` null) unless the lead is deleted.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct LeadStageRow {
    #[serde(serialize_with = "id_string")]
    #[schema(value_type = String)]
    pub lead_id: i64,
    #[serde(serialize_with = "id_string")]
    #[schema(value_type = String)]
    pub pipeline_id: i64,
    #[serde(serialize_with = "id_string")]
    #[schema(value_type = String)]
    pub status_id: i64,
    pub pipeline_name: Option<String>,
    pub status_name: Option<String>,
    #[serde(serialize_with = "rfc3339")]
    #[schema(value_type = String, example = "2026-01-27T12:24:45.000Z")]
    pub entered_at: i64,
    /// `null` while the lead is still in the stage.
    #[serde(serialize_with = "opt_rfc3339")]
    #[schema(value_type = Option<String>)]
    pub left_at: Option<i64>,
    /// `left_at - entered_at`; up to now while the lead is still there.
    pub seconds_in_stage: i64,
    /// Where the lead went next; `null` for the last stay.
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub next_pipeline_id: Option<i64>,
    #[serde(serialize_with = "opt_id_string")]
    #[schema(value_type = Option<String>)]
    pub next_status_id: Option<i64>,
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub tenancy: RowTenancy,
    pub document_id: String,
    #[serde(serialize_with = "rfc3339_ms")]
    #[schema(value_type = String)]
    pub inserted_at: i64,
}

/// The funnel of one pipeline for a cohort of leads (`GET /v1/kommo/funnel`).
///
/// The cohort: the leads (not deleted) created in the asked range that were ever in the
/// pipeline. Stages are the pipeline's, in its sort order, lost (143) left out (it is in
/// the totals and in each stage's `lost_from`) and won (142) last. Percentiles are
/// nearest-rank: the smallest value with at least that share of values at or below it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Funnel {
    #[serde(serialize_with = "id_string")]
    #[schema(value_type = String)]
    pub pipeline_id: i64,
    pub pipeline_name: Option<String>,
    pub workspace_id: String,
    pub stages: Vec<FunnelStage>,
    pub totals: FunnelTotals,
}

/// One stage of a [`Funnel`].
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FunnelStage {
    #[serde(serialize_with = "id_string")]
    #[schema(value_type = String)]
    pub status_id: i64,
    pub status_name: Option<String>,
    /// The stage's sort position in the pipeline.
    pub sort: i64,
    /// Leads of the cohort that were ever in this stage.
    pub entered: i64,
    /// Leads of the cohort that were in this stage or in any later one (won included, lost
    /// not): the classic funnel, never increasing down the list.
    pub reached: i64,
    /// `reached` / the previous stage's `reached`; `null` for the first stage, or when the
    /// previous stage was reached by none.
    pub conversion_from_previous: Option<f64>,
    /// Leads of the cohort in this stage now.
    pub current: i64,
    /// Leads of the cohort that went from this stage straight to lost (143).
    pub lost_from: i64,
    /// Hours in the stage over the finished stays of the cohort's leads (`null` when none
    /// has finished): median, 75th and 90th percentile.
    pub median_hours_in_stage: Option<f64>,
    pub p75_hours_in_stage: Option<f64>,
    pub p90_hours_in_stage: Option<f64>,
}

/// The outcome of a [`Funnel`]'s cohort, by each lead's current status.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FunnelTotals {
    /// Leads in the cohort.
    pub leads: i64,
    /// Of them, now won (142).
    pub won: i64,
    /// Now lost (143).
    pub lost: i64,
    /// Neither.
    pub open: i64,
    /// `won / (won + lost)`; `null` when none is closed.
    pub win_rate: Option<f64>,
    /// Median of `closed_at - created_at` in days over the won and lost leads.
    pub median_days_to_close: Option<f64>,
}
