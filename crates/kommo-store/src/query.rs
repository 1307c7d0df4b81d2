//! What the data API may ask of the store: who is asking (a [`Grant`]), which rows, in which
//! order, which page. The store turns these into SQL for either database and enforces the
//! grant itself, so no caller can forget to.

use chrono::{DateTime, Utc};

pub use crate::resources::companies::CompanyOrder;
pub use crate::resources::contacts::ContactOrder;
pub use crate::resources::lead_stages::LeadStageOrder;
pub use crate::resources::lead_status_changes::LeadStatusChangeOrder;
pub use crate::resources::leads::LeadOrder;
pub use crate::resources::pipelines::PipelineOrder;
pub use crate::resources::tasks::TaskOrder;
pub use crate::resources::users::UserOrder;

/// What a set of API credentials may read: one organization, some of its workspaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub client_id: String,
    pub organization_id: String,
    pub workspace_ids: Vec<String>,
    /// Requests a minute; 0 means unlimited.
    pub requests_per_minute: u32,
}

/// Narrows a query to one workspace of the grant, and optionally to one organization or
/// some integrations within it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub workspace_id: String,
    pub organization_id: Option<String>,
    pub integration_ids: Vec<String>,
}

/// An inclusive time range; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

impl TimeRange {
    pub fn is_open(&self) -> bool {
        self.start.is_none() && self.end.is_none()
    }
}

/// Which rows by their `is_deleted` flag.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Deleted {
    /// Only rows not deleted in Kommo (the default).
    #[default]
    Live,
    Only,
    Any,
}

/// Sort direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Direction {
    Asc,
    #[default]
    Desc,
}

/// The columns a listing can be ordered by, each resource's from one list in its module of
/// the store: the names `orderBy` accepts (the API's parameter table and OpenAPI take them
/// from here), each value's column, and the order without `orderBy`.
pub trait OrderColumn: Copy + Sized + 'static {
    /// Every column name, in the documented order.
    const COLUMNS: &'static [&'static str];
    /// The first column of the default order and its direction: what `orderDirection` alone
    /// turns.
    const DEFAULT: (Self, Direction);
    /// The column this value orders by.
    fn column(self) -> &'static str;
    /// The value ordering by `name` (exactly as in [`OrderColumn::COLUMNS`]).
    fn from_column(name: &str) -> Option<Self>;
}

/// A page request: `page` from 1, `limit` already clamped by the caller's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u32,
    pub limit: u32,
}

/// One page of rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub page: u32,
    pub limit: u32,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

/// One page of rows, already written as JSON: the form the data API serves, produced without
/// building the row structs where the database allows it.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPage {
    /// The text of a JSON array of the page's rows, each the JSON form of its row type.
    pub rows: Vec<u8>,
    pub page: u32,
    pub limit: u32,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

/// Filters of `GET /v1/kommo/leads`. Id lists mean "any of"; empty means no filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeadFilter {
    pub lead_id: Vec<i64>,
    pub status_id: Vec<i64>,
    pub pipeline_id: Vec<i64>,
    pub responsible_user_id: Vec<i64>,
    pub group_id: Vec<i64>,
    pub loss_reason_id: Vec<i64>,
    /// The lead has any tag with one of these ids.
    pub tag_id: Vec<i64>,
    /// The lead has any tag with exactly this name (never split on commas).
    pub tag_name: Option<String>,
    pub tag_color: Option<String>,
    /// The lead's first tag has one of these ids.
    pub tag_id_first: Vec<i64>,
    pub tag_name_first: Option<String>,
    pub tag_color_first: Option<String>,
    pub created: TimeRange,
    pub last_modified: TimeRange,
    pub closed: TimeRange,
    pub deleted: Deleted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadsQuery {
    pub scope: Scope,
    pub filter: LeadFilter,
    /// `None`: `created_at` desc, then lead id desc.
    pub order: Option<(LeadOrder, Direction)>,
    pub page: PageRequest,
}

/// Filters of `GET /v1/kommo/contacts`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactFilter {
    pub contact_id: Vec<i64>,
    pub responsible_user_id: Vec<i64>,
    pub group_id: Vec<i64>,
    pub company_id: Vec<i64>,
    /// The contact is linked to any of these leads.
    pub lead_id: Vec<i64>,
    /// Any of the contact's emails, case-insensitively.
    pub email: Option<String>,
    /// Any of the contact's phones, compared on digits only.
    pub phone: Option<String>,
    pub tag_id: Vec<i64>,
    pub tag_name: Option<String>,
    pub tag_color: Option<String>,
    pub tag_id_first: Vec<i64>,
    pub tag_name_first: Option<String>,
    pub tag_color_first: Option<String>,
    pub created: TimeRange,
    pub last_modified: TimeRange,
    pub deleted: Deleted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactsQuery {
    pub scope: Scope,
    pub filter: ContactFilter,
    /// `None`: `created_at` desc, then contact id desc.
    pub order: Option<(ContactOrder, Direction)>,
    pub page: PageRequest,
}

/// Filters of `GET /v1/kommo/pipelines`; names match exactly, `sort`, `color` and `type`
/// filter on the status's values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PipelineFilter {
    pub pipeline_name: Option<String>,
    pub pipeline_id: Vec<i64>,
    pub status_id: Vec<i64>,
    pub status_name: Option<String>,
    pub sort: Option<i64>,
    pub color: Option<String>,
    pub status_type: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelinesQuery {
    pub scope: Scope,
    pub filter: PipelineFilter,
    /// `None`: `pipeline_sort`, pipeline id, `sort`, status id, all ascending.
    pub order: Option<(PipelineOrder, Direction)>,
    pub page: PageRequest,
}

/// Filters of `GET /v1/kommo/users`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    pub user_id: Vec<i64>,
    /// Case-insensitive.
    pub email: Option<String>,
    pub group_id: Vec<i64>,
    pub role_id: Vec<i64>,
    pub is_active: Option<bool>,
    pub is_admin: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsersQuery {
    pub scope: Scope,
    pub filter: UserFilter,
    /// `None`: user id ascending.
    pub order: Option<(UserOrder, Direction)>,
    pub page: PageRequest,
}

/// Filters of `GET /v1/kommo/lead-status-changes`. `pipeline_id` and `status_id` are the
/// stage the lead moved to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeadStatusChangeFilter {
    pub lead_id: Vec<i64>,
    pub pipeline_id: Vec<i64>,
    pub status_id: Vec<i64>,
    pub changed: TimeRange,
    pub changed_by: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadStatusChangesQuery {
    pub scope: Scope,
    pub filter: LeadStatusChangeFilter,
    /// `None`: `changed_at` desc.
    pub order: Option<(LeadStatusChangeOrder, Direction)>,
    pub page: PageRequest,
}

/// Filters of `GET /v1/kommo/lead-stages`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeadStageFilter {
    pub lead_id: Vec<i64>,
    pub pipeline_id: Vec<i64>,
    pub status_id: Vec<i64>,
    pub entered: TimeRange,
    /// `true`: stays still open (`left_at` null); `false`: finished ones.
    pub is_current: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadStagesQuery {
    pub scope: Scope,
    pub filter: LeadStageFilter,
    /// `None`: `entered_at` desc, then lead id desc.
    pub order: Option<(LeadStageOrder, Direction)>,
    pub page: PageRequest,
}

/// `GET /v1/kommo/funnel`: one pipeline, the cohort of leads created in `created`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunnelQuery {
    pub scope: Scope,
    pub pipeline_id: i64,
    pub created: TimeRange,
}

/// Filters of `GET /v1/kommo/companies`: the contacts resource's, for a company.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompanyFilter {
    pub company_id: Vec<i64>,
    /// The company's name, exactly (never split on commas).
    pub company_name: Option<String>,
    pub responsible_user_id: Vec<i64>,
    pub group_id: Vec<i64>,
    /// The company is linked to any of these contacts.
    pub contact_id: Vec<i64>,
    /// The company is linked to any of these leads.
    pub lead_id: Vec<i64>,
    /// Any of the company's emails, case-insensitively.
    pub email: Option<String>,
    /// Any of the company's phones, compared on digits only.
    pub phone: Option<String>,
    pub tag_id: Vec<i64>,
    pub tag_name: Option<String>,
    pub tag_color: Option<String>,
    pub tag_id_first: Vec<i64>,
    pub tag_name_first: Option<String>,
    pub tag_color_first: Option<String>,
    pub created: TimeRange,
    pub last_modified: TimeRange,
    pub deleted: Deleted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompaniesQuery {
    pub scope: Scope,
    pub filter: CompanyFilter,
    /// `None`: `created_at` desc, then company id desc.
    pub order: Option<(CompanyOrder, Direction)>,
    pub page: PageRequest,
}

/// Filters of `GET /v1/kommo/tasks`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskFilter {
    pub task_id: Vec<i64>,
    /// `leads`, `contacts`, `companies` or `customers`, any of them.
    pub entity_type: Vec<String>,
    pub entity_id: Vec<i64>,
    pub responsible_user_id: Vec<i64>,
    pub task_type_id: Vec<i64>,
    pub is_completed: Option<bool>,
    pub complete_till: TimeRange,
    pub created: TimeRange,
    pub last_modified: TimeRange,
    pub deleted: Deleted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TasksQuery {
    pub scope: Scope,
    pub filter: TaskFilter,
    /// `None`: `created_at` desc, then task id desc.
    pub order: Option<(TaskOrder, Direction)>,
    pub page: PageRequest,
}
