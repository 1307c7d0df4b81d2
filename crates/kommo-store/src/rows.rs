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

use crate::format::{id_string, opt_id_string, opt_rfc3339, rfc3339_ms};

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
