//! Query parameters of the data API: one table of accepted names per resource, and the one
//! place per resource where a query string becomes a store query.
//!
//! The same tables drive the unknown-parameter check, the error messages that list accepted
//! names, and the parameters documented in `/openapi.json`, so the three cannot drift apart.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone as _, Utc};
use kommo_store::query::{
    CompaniesQuery, CompanyFilter, CompanyOrder, ContactFilter, ContactOrder, ContactsQuery,
    Deleted, Direction, FunnelQuery, LeadFilter, LeadOrder, LeadStageFilter, LeadStageOrder,
    LeadStagesQuery, LeadStatusChangeFilter, LeadStatusChangeOrder, LeadStatusChangesQuery,
    LeadsQuery, OrderColumn, PageRequest, PipelineFilter, PipelineOrder, PipelinesQuery, Scope,
    TaskFilter, TaskOrder, TasksQuery, TimeRange, UserFilter, UserOrder, UsersQuery,
};

use crate::error::{ApiError, InvalidParam};

/// `limit` when absent.
pub const DEFAULT_LIMIT: u32 = 500;
/// The largest `limit`; larger numbers are clamped to it.
pub const MAX_LIMIT: u32 = 5000;
/// Most ids one id filter accepts (`statusId=1,2,...`).
pub const MAX_IDS: usize = 1000;
/// Longest value of a text filter, in bytes.
pub const MAX_TEXT: usize = 1000;
/// The entity types a task can belong to, as Kommo names them.
pub const TASK_ENTITY_TYPES: &[&str] = &["leads", "contacts", "companies", "customers"];
/// Longest tenancy id (`workspaceId`, `organizationId`, `integrationId`), in bytes.
pub const MAX_TENANCY_ID: usize = 128;

/// What kind of value a parameter takes; decides its parsing and its OpenAPI schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `workspaceId`: required, one opaque id.
    Workspace,
    /// `organizationId`: one opaque id.
    Organization,
    /// `integrationId`: one opaque id or a comma-separated list.
    Integrations,
    /// One Kommo id or a comma-separated list, meaning any of them.
    Ids,
    /// A string matched exactly, never split on commas.
    Text,
    /// An email, matched case-insensitively.
    Email,
    /// A phone, matched on its digits.
    Phone,
    /// The inclusive start of a time range.
    TimeStart,
    /// The inclusive end of a time range.
    TimeEnd,
    /// A whole number.
    Integer,
    /// Required: one Kommo id (`pipelineId` of the funnel).
    RequiredId,
    /// `true` or `false`.
    Bool,
    /// `false`, `true` or `any`.
    Deleted,
    /// A Kommo entity type a task belongs to ([`TASK_ENTITY_TYPES`]), or a comma-separated
    /// list of them.
    EntityTypes,
    /// The page number, from 1.
    Page,
    /// Rows a page, 1 to 5000.
    Limit,
    /// A column of the resource to order by: the names its store order enum accepts
    /// ([`OrderColumn::COLUMNS`]).
    OrderBy(&'static [&'static str]),
    /// `asc` or `desc`.
    Direction,
}

/// One accepted query parameter.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    pub name: &'static str,
    pub kind: Kind,
    pub description: &'static str,
}

const fn spec(name: &'static str, kind: Kind, description: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        kind,
        description,
    }
}

const WORKSPACE_ID: ParamSpec = spec(
    "workspaceId",
    Kind::Workspace,
    "Required. The workspace to read; the credentials must be granted it (403 otherwise).",
);
const INTEGRATION_ID: ParamSpec = spec(
    "integrationId",
    Kind::Integrations,
    "Only rows synced by this integration (one id or a comma-separated list) of the workspace.",
);
const ORGANIZATION_ID: ParamSpec = spec(
    "organizationId",
    Kind::Organization,
    "Only rows of this organization; it must be the credentials' own (403 otherwise).",
);
const PAGE: ParamSpec = spec(
    "page",
    Kind::Page,
    "Page number from 1 (default 1); numbers below 1 count as 1.",
);
const LIMIT: ParamSpec = spec(
    "limit",
    Kind::Limit,
    "Rows a page, 1 to 5000 (default 500); numbers out of range are clamped to it, anything else is a 400.",
);
const ORDER_DIRECTION: ParamSpec = spec(
    "orderDirection",
    Kind::Direction,
    "`asc` or `desc`. Without `orderBy` it applies to the resource's first default sort column; \
     without it, `orderBy` uses the default order's direction.",
);

const TAG_PARAMS: [ParamSpec; 6] = [
    spec(
        "tagId",
        Kind::Ids,
        "Rows having any tag with one of these ids (comma-separated list).",
    ),
    spec(
        "tagName",
        Kind::Text,
        "Rows having any tag with exactly this name (never split on commas).",
    ),
    spec(
        "tagColor",
        Kind::Text,
        "Rows having any tag with exactly this color (e.g. `#FFCE5A`).",
    ),
    spec(
        "tagIdFirst",
        Kind::Ids,
        "Rows whose first tag has one of these ids.",
    ),
    spec(
        "tagNameFirst",
        Kind::Text,
        "Rows whose first tag has exactly this name.",
    ),
    spec(
        "tagColorFirst",
        Kind::Text,
        "Rows whose first tag has exactly this color.",
    ),
];

const CREATED_START: ParamSpec = spec(
    "createdStart",
    Kind::TimeStart,
    "`created_at` at or after this instant (RFC 3339 or a UTC date).",
);
const CREATED_END: ParamSpec = spec(
    "createdEnd",
    Kind::TimeEnd,
    "`created_at` at or before this instant (a date means its last instant).",
);
const LAST_MODIFIED_START: ParamSpec = spec(
    "lastModifiedStart",
    Kind::TimeStart,
    "`updated_at` at or after this instant.",
);
const LAST_MODIFIED_END: ParamSpec = spec(
    "lastModifiedEnd",
    Kind::TimeEnd,
    "`updated_at` at or before this instant.",
);
const IS_DELETED: ParamSpec = spec(
    "isDeleted",
    Kind::Deleted,
    "`false` (default): live rows only; `true`: only rows deleted in Kommo; `any`: both.",
);

/// Accepted parameters of `GET /v1/kommo/leads`.
pub const LEADS: &[ParamSpec] = &[
    WORKSPACE_ID,
    INTEGRATION_ID,
    ORGANIZATION_ID,
    spec(
        "leadId",
        Kind::Ids,
        "Leads with one of these ids (comma-separated list).",
    ),
    spec(
        "statusId",
        Kind::Ids,
        "Leads in one of these statuses, e.g. `142,143` (won or lost).",
    ),
    spec("pipelineId", Kind::Ids, "Leads in one of these pipelines."),
    spec(
        "responsibleUserId",
        Kind::Ids,
        "Leads of one of these responsible users.",
    ),
    spec("groupId", Kind::Ids, "Leads of one of these user groups."),
    spec(
        "lossReasonId",
        Kind::Ids,
        "Leads with one of these loss reasons.",
    ),
    TAG_PARAMS[0],
    TAG_PARAMS[1],
    TAG_PARAMS[2],
    TAG_PARAMS[3],
    TAG_PARAMS[4],
    TAG_PARAMS[5],
    CREATED_START,
    CREATED_END,
    LAST_MODIFIED_START,
    LAST_MODIFIED_END,
    spec(
        "closedStart",
        Kind::TimeStart,
        "`closed_at` at or after this instant.",
    ),
    spec(
        "closedEnd",
        Kind::TimeEnd,
        "`closed_at` at or before this instant.",
    ),
    IS_DELETED,
    PAGE,
    LIMIT,
    spec(
        "orderBy",
        Kind::OrderBy(LeadOrder::COLUMNS),
        "Sort column; ties are broken by `lead_id`. Default: `created_at` desc, then `lead_id` desc.",
    ),
    ORDER_DIRECTION,
];

/// Accepted parameters of `GET /v1/kommo/contacts`.
pub const CONTACTS: &[ParamSpec] = &[
    WORKSPACE_ID,
    INTEGRATION_ID,
    ORGANIZATION_ID,
    spec("contactId", Kind::Ids, "Contacts with one of these ids."),
    spec(
        "responsibleUserId",
        Kind::Ids,
        "Contacts of one of these responsible users.",
    ),
    spec(
        "groupId",
        Kind::Ids,
        "Contacts of one of these user groups.",
    ),
    spec(
        "companyId",
        Kind::Ids,
        "Contacts linked to one of these companies.",
    ),
    spec(
        "leadId",
        Kind::Ids,
        "Contacts linked to one of these leads.",
    ),
    spec(
        "email",
        Kind::Email,
        "Contacts having this email among theirs, compared case-insensitively.",
    ),
    spec(
        "phone",
        Kind::Phone,
        "Contacts having this phone among theirs, compared on digits only (`+55 (11) 9999-0000` equals `5511999990000`).",
    ),
    TAG_PARAMS[0],
    TAG_PARAMS[1],
    TAG_PARAMS[2],
    TAG_PARAMS[3],
    TAG_PARAMS[4],
    TAG_PARAMS[5],
    CREATED_START,
    CREATED_END,
    LAST_MODIFIED_START,
    LAST_MODIFIED_END,
    IS_DELETED,
    PAGE,
    LIMIT,
    spec(
        "orderBy",
        Kind::OrderBy(ContactOrder::COLUMNS),
        "Sort column; ties are broken by `contact_id`. Default: `created_at` desc, then `contact_id` desc.",
    ),
    ORDER_DIRECTION,
];

/// Accepted parameters of `GET /v1/kommo/companies`: the contacts resource's, for a company.
pub const COMPANIES: &[ParamSpec] = &[
    WORKSPACE_ID,
    INTEGRATION_ID,
    ORGANIZATION_ID,
    spec("companyId", Kind::Ids, "Companies with one of these ids."),
    spec(
        "companyName",
        Kind::Text,
        "Companies with exactly this name (never split on commas).",
    ),
    spec(
        "responsibleUserId",
        Kind::Ids,
        "Companies of one of these responsible users.",
    ),
    spec(
        "groupId",
        Kind::Ids,
        "Companies of one of these user groups.",
    ),
    spec(
        "contactId",
        Kind::Ids,
        "Companies linked to one of these contacts.",
    ),
    spec(
        "leadId",
        Kind::Ids,
        "Companies linked to one of these leads.",
    ),
    spec(
        "email",
        Kind::Email,
        "Companies having this email among theirs, compared case-insensitively.",
    ),
    spec(
        "phone",
        Kind::Phone,
        "Companies having this phone among theirs, compared on digits only (`+55 (11) 9999-0000` equals `5511999990000`).",
    ),
    TAG_PARAMS[0],
    TAG_PARAMS[1],
    TAG_PARAMS[2],
    TAG_PARAMS[3],
    TAG_PARAMS[4],
    TAG_PARAMS[5],
    CREATED_START,
    CREATED_END,
    LAST_MODIFIED_START,
    LAST_MODIFIED_END,
    IS_DELETED,
    PAGE,
    LIMIT,
    spec(
        "orderBy",
        Kind::OrderBy(CompanyOrder::COLUMNS),
        "Sort column; ties are broken by `company_id`. Default: `created_at` desc, then `company_id` desc.",
    ),
    ORDER_DIRECTION,
];

/// Accepted parameters of `GET /v1/kommo/tasks`.
pub const TASKS: &[ParamSpec] = &[
    WORKSPACE_ID,
    INTEGRATION_ID,
    ORGANIZATION_ID,
    spec("taskId", Kind::Ids, "Tasks with one of these ids."),
    spec(
        "entityType",
        Kind::EntityTypes,
        "Tasks of this kind of entity: `leads`, `contacts`, `companies` or `customers` (or a comma-separated list).",
    ),
    spec(
        "entityId",
        Kind::Ids,
        "Tasks of one of these entities (with `entityType` to tell a lead from a contact of the same id).",
    ),
    spec(
        "responsibleUserId",
        Kind::Ids,
        "Tasks of one of these responsible users.",
    ),
    spec(
        "taskTypeId",
        Kind::Ids,
        "Tasks of one of these task types (1: follow-up, 2: meeting, others the account's own).",
    ),
    spec(
        "isCompleted",
        Kind::Bool,
        "`true`: completed tasks only; `false`: open ones only.",
    ),
    spec(
        "completeTillStart",
        Kind::TimeStart,
        "`complete_till` (the deadline) at or after this instant.",
    ),
    spec(
        "completeTillEnd",
        Kind::TimeEnd,
        "`complete_till` (the deadline) at or before this instant.",
    ),
    CREATED_START,
    CREATED_END,
    LAST_MODIFIED_START,
    LAST_MODIFIED_END,
    IS_DELETED,
    PAGE,
    LIMIT,
    spec(
        "orderBy",
        Kind::OrderBy(TaskOrder::COLUMNS),
        "Sort column; ties are broken by `task_id`. Default: `created_at` desc, then `task_id` desc.",
    ),
    ORDER_DIRECTION,
];

/// Accepted parameters of `GET /v1/kommo/pipelines`.
pub const PIPELINES: &[ParamSpec] = &[
    WORKSPACE_ID,
    INTEGRATION_ID,
    ORGANIZATION_ID,
    spec(
        "pipelineName",
        Kind::Text,
        "Pipelines with exactly this name.",
    ),
    spec("pipelineId", Kind::Ids, "Pipelines with one of these ids."),
    spec("statusId", Kind::Ids, "Statuses with one of these ids."),
    spec("statusName", Kind::Text, "Statuses with exactly this name."),
    spec("sort", Kind::Integer, "Statuses with this `sort` value."),
    spec("color", Kind::Text, "Statuses with exactly this color."),
    spec(
        "type",
        Kind::Integer,
        "Statuses of this type (1: the incoming-leads stage, 0: any other).",
    ),
    PAGE,
    LIMIT,
    spec(
        "orderBy",
        Kind::OrderBy(PipelineOrder::COLUMNS),
        "Sort column; ties are broken by pipeline id, then status id. \
         Default: `pipeline_sort`, `pipeline_id`, `sort`, `status_id`, all ascending.",
    ),
    ORDER_DIRECTION,
];

/// Accepted parameters of `GET /v1/kommo/users`.
pub const USERS: &[ParamSpec] = &[
    WORKSPACE_ID,
    INTEGRATION_ID,
    ORGANIZATION_ID,
    spec("userId", Kind::Ids, "Users with one of these ids."),
    spec(
        "email",
        Kind::Email,
        "Users with this email, compared case-insensitively.",
    ),
    spec("groupId", Kind::Ids, "Users in one of these groups."),
    spec("roleId", Kind::Ids, "Users with one of these roles."),
    spec(
        "isActive",
        Kind::Bool,
        "`true`: active users only; `false`: inactive ones only.",
    ),
    spec(
        "isAdmin",
        Kind::Bool,
        "`true`: administrators only; `false`: everyone else.",
    ),
    PAGE,
    LIMIT,
    spec(
        "orderBy",
        Kind::OrderBy(UserOrder::COLUMNS),
        "Sort column; ties are broken by `user_id`. Default: `user_id` asc.",
    ),
    ORDER_DIRECTION,
];

/// Accepted parameters of `GET /v1/kommo/lead-status-changes`.
pub const LEAD_STATUS_CHANGES: &[ParamSpec] = &[
    WORKSPACE_ID,
    INTEGRATION_ID,
    ORGANIZATION_ID,
    spec("leadId", Kind::Ids, "Changes of one of these leads."),
    spec(
        "pipelineId",
        Kind::Ids,
        "Changes into one of these pipelines (the pipeline after the change).",
    ),
    spec(
        "statusId",
        Kind::Ids,
        "Changes into one of these statuses (the status after the change).",
    ),
    spec(
        "changedStart",
        Kind::TimeStart,
        "`changed_at` at or after this instant (RFC 3339 or a UTC date).",
    ),
    spec(
        "changedEnd",
        Kind::TimeEnd,
        "`changed_at` at or before this instant (a date means its last instant).",
    ),
    spec(
        "changedBy",
        Kind::Ids,
        "Changes made by one of these users (`0`: Kommo's robot or the system).",
    ),
    PAGE,
    LIMIT,
    spec(
        "orderBy",
        Kind::OrderBy(LeadStatusChangeOrder::COLUMNS),
        "Sort column; ties are broken by `changed_at`, then the order the changes were stored. \
         Default: `changed_at` desc.",
    ),
    ORDER_DIRECTION,
];

/// Accepted parameters of `GET /v1/kommo/lead-stages`.
pub const LEAD_STAGES: &[ParamSpec] = &[
    WORKSPACE_ID,
    INTEGRATION_ID,
    ORGANIZATION_ID,
    spec("leadId", Kind::Ids, "Stays of one of these leads."),
    spec("pipelineId", Kind::Ids, "Stays in one of these pipelines."),
    spec("statusId", Kind::Ids, "Stays in one of these statuses."),
    spec(
        "enteredStart",
        Kind::TimeStart,
        "`entered_at` at or after this instant (RFC 3339 or a UTC date).",
    ),
    spec(
        "enteredEnd",
        Kind::TimeEnd,
        "`entered_at` at or before this instant (a date means its last instant).",
    ),
    spec(
        "isCurrent",
        Kind::Bool,
        "`true`: only stays the lead is still in (`left_at` null); `false`: only finished ones.",
    ),
    PAGE,
    LIMIT,
    spec(
        "orderBy",
        Kind::OrderBy(LeadStageOrder::COLUMNS),
        "Sort column; ties are broken by `entered_at`, then `lead_id`. \
         Default: `entered_at` desc, then `lead_id` desc.",
    ),
    ORDER_DIRECTION,
];

/// Accepted parameters of `GET /v1/kommo/funnel`.
pub const FUNNEL: &[ParamSpec] = &[
    WORKSPACE_ID,
    INTEGRATION_ID,
    ORGANIZATION_ID,
    spec(
        "pipelineId",
        Kind::RequiredId,
        "Required. The pipeline whose funnel to compute (404 when the workspace has none with this id).",
    ),
    spec(
        "createdStart",
        Kind::TimeStart,
        "The cohort: leads created at or after this instant (RFC 3339 or a UTC date). Without a range, every lead.",
    ),
    spec(
        "createdEnd",
        Kind::TimeEnd,
        "The cohort: leads created at or before this instant (a date means its last instant).",
    ),
];

/// Parses the query string of `GET /v1/kommo/lead-status-changes`.
pub fn lead_status_changes(query: Option<&str>) -> Result<LeadStatusChangesQuery, ApiError> {
    let mut p = Params::parse(query, LEAD_STATUS_CHANGES)?;
    let filter = LeadStatusChangeFilter {
        lead_id: p.ids("leadId"),
        pipeline_id: p.ids("pipelineId"),
        status_id: p.ids("statusId"),
        changed: p.range("changedStart", "changedEnd"),
        changed_by: p.ids("changedBy"),
    };
    let order = p.order::<LeadStatusChangeOrder>();
    let query = LeadStatusChangesQuery {
        scope: p.scope(),
        filter,
        order,
        page: p.page_request(),
    };
    p.finish(query)
}

/// Parses the query string of `GET /v1/kommo/lead-stages`.
pub fn lead_stages(query: Option<&str>) -> Result<LeadStagesQuery, ApiError> {
    let mut p = Params::parse(query, LEAD_STAGES)?;
    let filter = LeadStageFilter {
        lead_id: p.ids("leadId"),
        pipeline_id: p.ids("pipelineId"),
        status_id: p.ids("statusId"),
        entered: p.range("enteredStart", "enteredEnd"),
        is_current: p.boolean("isCurrent"),
    };
    let order = p.order::<LeadStageOrder>();
    let query = LeadStagesQuery {
        scope: p.scope(),
        filter,
        order,
        page: p.page_request(),
    };
    p.finish(query)
}

/// Parses the query string of `GET /v1/kommo/funnel`.
pub fn funnel(query: Option<&str>) -> Result<FunnelQuery, ApiError> {
    let mut p = Params::parse(query, FUNNEL)?;
    let pipeline_id = p.required_id("pipelineId");
    let created = p.range("createdStart", "createdEnd");
    let query = FunnelQuery {
        scope: p.scope(),
        pipeline_id,
        created,
    };
    p.finish(query)
}

/// Parses the query string of `GET /v1/kommo/leads`.
pub fn leads(query: Option<&str>) -> Result<LeadsQuery, ApiError> {
    let mut p = Params::parse(query, LEADS)?;
    let filter = LeadFilter {
        lead_id: p.ids("leadId"),
        status_id: p.ids("statusId"),
        pipeline_id: p.ids("pipelineId"),
        responsible_user_id: p.ids("responsibleUserId"),
        group_id: p.ids("groupId"),
        loss_reason_id: p.ids("lossReasonId"),
        tag_id: p.ids("tagId"),
        tag_name: p.text("tagName"),
        tag_color: p.text("tagColor"),
        tag_id_first: p.ids("tagIdFirst"),
        tag_name_first: p.text("tagNameFirst"),
        tag_color_first: p.text("tagColorFirst"),
        created: p.range("createdStart", "createdEnd"),
        last_modified: p.range("lastModifiedStart", "lastModifiedEnd"),
        closed: p.range("closedStart", "closedEnd"),
        deleted: p.deleted("isDeleted"),
    };
    let order = p.order::<LeadOrder>();
    let query = LeadsQuery {
        scope: p.scope(),
        filter,
        order,
        page: p.page_request(),
    };
    p.finish(query)
}

/// Parses the query string of `GET /v1/kommo/contacts`.
pub fn contacts(query: Option<&str>) -> Result<ContactsQuery, ApiError> {
    let mut p = Params::parse(query, CONTACTS)?;
    let filter = ContactFilter {
        contact_id: p.ids("contactId"),
        responsible_user_id: p.ids("responsibleUserId"),
        group_id: p.ids("groupId"),
        company_id: p.ids("companyId"),
        lead_id: p.ids("leadId"),
        email: p.text("email"),
        phone: p.text("phone"),
        tag_id: p.ids("tagId"),
        tag_name: p.text("tagName"),
        tag_color: p.text("tagColor"),
        tag_id_first: p.ids("tagIdFirst"),
        tag_name_first: p.text("tagNameFirst"),
        tag_color_first: p.text("tagColorFirst"),
        created: p.range("createdStart", "createdEnd"),
        last_modified: p.range("lastModifiedStart", "lastModifiedEnd"),
        deleted: p.deleted("isDeleted"),
    };
    let order = p.order::<ContactOrder>();
    let query = ContactsQuery {
        scope: p.scope(),
        filter,
        order,
        page: p.page_request(),
    };
    p.finish(query)
}

/// Parses the query string of `GET /v1/kommo/companies`.
pub fn companies(query: Option<&str>) -> Result<CompaniesQuery, ApiError> {
    let mut p = Params::parse(query, COMPANIES)?;
    let filter = CompanyFilter {
        company_id: p.ids("companyId"),
        company_name: p.text("companyName"),
        responsible_user_id: p.ids("responsibleUserId"),
        group_id: p.ids("groupId"),
        contact_id: p.ids("contactId"),
        lead_id: p.ids("leadId"),
        email: p.text("email"),
        phone: p.text("phone"),
        tag_id: p.ids("tagId"),
        tag_name: p.text("tagName"),
        tag_color: p.text("tagColor"),
        tag_id_first: p.ids("tagIdFirst"),
        tag_name_first: p.text("tagNameFirst"),
        tag_color_first: p.text("tagColorFirst"),
        created: p.range("createdStart", "createdEnd"),
        last_modified: p.range("lastModifiedStart", "lastModifiedEnd"),
        deleted: p.deleted("isDeleted"),
    };
    let order = p.order::<CompanyOrder>();
    let query = CompaniesQuery {
        scope: p.scope(),
        filter,
        order,
        page: p.page_request(),
    };
    p.finish(query)
}

/// Parses the query string of `GET /v1/kommo/tasks`.
pub fn tasks(query: Option<&str>) -> Result<TasksQuery, ApiError> {
    let mut p = Params::parse(query, TASKS)?;
    let filter = TaskFilter {
        task_id: p.ids("taskId"),
        entity_type: p.entity_types("entityType"),
        entity_id: p.ids("entityId"),
        responsible_user_id: p.ids("responsibleUserId"),
        task_type_id: p.ids("taskTypeId"),
        is_completed: p.boolean("isCompleted"),
        complete_till: p.range("completeTillStart", "completeTillEnd"),
        created: p.range("createdStart", "createdEnd"),
        last_modified: p.range("lastModifiedStart", "lastModifiedEnd"),
        deleted: p.deleted("isDeleted"),
    };
    let order = p.order::<TaskOrder>();
    let query = TasksQuery {
        scope: p.scope(),
        filter,
        order,
        page: p.page_request(),
    };
    p.finish(query)
}

/// Parses the query string of `GET /v1/kommo/pipelines`.
pub fn pipelines(query: Option<&str>) -> Result<PipelinesQuery, ApiError> {
    let mut p = Params::parse(query, PIPELINES)?;
    let filter = PipelineFilter {
        pipeline_name: p.text("pipelineName"),
        pipeline_id: p.ids("pipelineId"),
        status_id: p.ids("statusId"),
        status_name: p.text("statusName"),
        sort: p.integer("sort"),
        color: p.text("color"),
        status_type: p.integer("type"),
    };
    let order = p.order::<PipelineOrder>();
    let query = PipelinesQuery {
        scope: p.scope(),
        filter,
        order,
        page: p.page_request(),
    };
    p.finish(query)
}

/// Parses the query string of `GET /v1/kommo/users`.
pub fn users(query: Option<&str>) -> Result<UsersQuery, ApiError> {
    let mut p = Params::parse(query, USERS)?;
    let filter = UserFilter {
        user_id: p.ids("userId"),
        email: p.text("email"),
        group_id: p.ids("groupId"),
        role_id: p.ids("roleId"),
        is_active: p.boolean("isActive"),
        is_admin: p.boolean("isAdmin"),
    };
    let order = p.order::<UserOrder>();
    let query = UsersQuery {
        scope: p.scope(),
        filter,
        order,
        page: p.page_request(),
    };
    p.finish(query)
}

/// The decoded, known, non-empty parameters of one request, and the problems found so far.
struct Params {
    table: &'static [ParamSpec],
    /// (spec, value, consumed by a getter)
    values: Vec<(&'static ParamSpec, String, bool)>,
    errors: Vec<InvalidParam>,
    /// A name a getter asked for that the table lacks (a bug in the parser).
    unlisted: Option<&'static str>,
}

impl Params {
    /// Decodes the query string; unknown names, undecodable text and repeated parameters
    /// are 400s right away, since nothing else can be trusted after them.
    fn parse(query: Option<&str>, table: &'static [ParamSpec]) -> Result<Self, ApiError> {
        let mut values: Vec<(&'static ParamSpec, String, bool)> = Vec::new();
        let mut errors = Vec::new();
        for pair in query
            .unwrap_or("")
            .split('&')
            .filter(|pair| !pair.is_empty())
        {
            let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            let Some(name) = percent_decode(raw_name) else {
                errors.push(InvalidParam::new(
                    shorten(raw_name),
                    "the parameter name is not valid percent-encoded UTF-8",
                ));
                continue;
            };
            let Some(spec) = table.iter().find(|spec| spec.name == name) else {
                errors.push(InvalidParam::new(
                    shorten(&name),
                    unknown_reason(&name, table),
                ));
                continue;
            };
            let Some(value) = percent_decode(raw_value) else {
                errors.push(InvalidParam::new(
                    spec.name,
                    "the value is not valid percent-encoded UTF-8",
                ));
                continue;
            };
            // An empty value counts as absent: the published example request sends every
            // parameter that way.
            if value.is_empty() {
                continue;
            }
            if values.iter().any(|(seen, _, _)| seen.name == spec.name) {
                let reason = if matches!(spec.kind, Kind::Ids | Kind::Integrations) {
                    "given more than once; send one comma-separated list instead"
                } else {
                    "given more than once; send it once"
                };
                if !errors.iter().any(|e: &InvalidParam| e.name == spec.name) {
                    errors.push(InvalidParam::new(spec.name, reason));
                }
                continue;
            }
            values.push((spec, value, false));
        }
        if errors.is_empty() {
            Ok(Self {
                table,
                values,
                errors,
                unlisted: None,
            })
        } else {
            Err(ApiError::bad_request(errors))
        }
    }

    /// The value of a parameter, marking it consumed. A name its table lacks could never be
    /// sent (unknown names are 400s), so reading one is the parser's mistake: `finish` turns
    /// it into a 500, and `every_name_a_parser_reads_is_in_its_table` fails on it.
    fn take(&mut self, name: &'static str) -> Option<(&'static ParamSpec, String)> {
        let Some(entry) = self
            .values
            .iter_mut()
            .find(|(spec, _, _)| spec.name == name)
        else {
            if self.unlisted.is_none() && !self.table.iter().any(|spec| spec.name == name) {
                self.unlisted = Some(name);
            }
            return None;
        };
        entry.2 = true;
        Some((entry.0, entry.1.clone()))
    }

    fn invalid(&mut self, name: &str, reason: String) {
        self.errors.push(InvalidParam::new(name, reason));
    }

    fn scope(&mut self) -> Scope {
        let workspace_id = match self.take("workspaceId") {
            Some((_, value)) => self.tenancy_id("workspaceId", &value).unwrap_or_default(),
            None => {
                self.invalid(
                    "workspaceId",
                    "is required: the workspace to read, e.g. workspaceId=ws_1".to_owned(),
                );
                String::new()
            }
        };
        let organization_id = match self.take("organizationId") {
            Some((_, value)) => self.tenancy_id("organizationId", &value),
            None => None,
        };
        let integration_ids = match self.take("integrationId") {
            Some((_, value)) => {
                let items: Vec<&str> = value.split(',').map(str::trim).collect();
                if items.len() > MAX_IDS {
                    self.invalid(
                        "integrationId",
                        format!("at most {MAX_IDS} ids, got {}", items.len()),
                    );
                    Vec::new()
                } else {
                    items
                        .into_iter()
                        .filter_map(|item| self.tenancy_id("integrationId", item))
                        .collect()
                }
            }
            None => Vec::new(),
        };
        Scope {
            workspace_id,
            organization_id,
            integration_ids,
        }
    }

    fn tenancy_id(&mut self, name: &str, value: &str) -> Option<String> {
        let valid = !value.is_empty()
            && value.len() <= MAX_TENANCY_ID
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
        if valid {
            Some(value.to_owned())
        } else {
            self.invalid(
                name,
                format!(
                    "expected an id of 1 to {MAX_TENANCY_ID} letters, digits, '-', '_', '.' or ':', got {}",
                    quoted(value)
                ),
            );
            None
        }
    }

    fn ids(&mut self, name: &'static str) -> Vec<i64> {
        let Some((_, value)) = self.take(name) else {
            return Vec::new();
        };
        let items: Vec<&str> = value.split(',').map(str::trim).collect();
        if items.len() > MAX_IDS {
            self.invalid(name, format!("at most {MAX_IDS} ids, got {}", items.len()));
            return Vec::new();
        }
        let mut ids = Vec::with_capacity(items.len());
        for item in items {
            match item.parse::<i64>() {
                Ok(id) if id >= 0 && item.bytes().all(|b| b.is_ascii_digit()) => ids.push(id),
                _ => {
                    self.invalid(
                        name,
                        format!(
                            "expected a Kommo id (a whole number) or a comma-separated list of them, got {}",
                            quoted(&value)
                        ),
                    );
                    return Vec::new();
                }
            }
        }
        ids
    }

    fn text(&mut self, name: &'static str) -> Option<String> {
        let (spec, value) = self.take(name)?;
        if value.len() > MAX_TEXT {
            self.invalid(
                name,
                format!("at most {MAX_TEXT} bytes, got {}", value.len()),
            );
            return None;
        }
        if value.chars().any(char::is_control) {
            self.invalid(name, "control characters are not allowed".to_owned());
            return None;
        }
        if spec.kind == Kind::Phone && !value.bytes().any(|b| b.is_ascii_digit()) {
            self.invalid(
                name,
                format!(
                    "a phone is matched on its digits, and {} has none",
                    quoted(&value)
                ),
            );
            return None;
        }
        Some(value)
    }

    /// Task entity types: one of [`TASK_ENTITY_TYPES`] or a comma-separated list of them.
    fn entity_types(&mut self, name: &'static str) -> Vec<String> {
        let Some((_, value)) = self.take(name) else {
            return Vec::new();
        };
        let mut types: Vec<String> = Vec::new();
        for item in value.split(',').map(str::trim) {
            if !TASK_ENTITY_TYPES.contains(&item) {
                self.invalid(
                    name,
                    format!(
                        "expected one of {} or a comma-separated list of them, got {}",
                        TASK_ENTITY_TYPES.join(", "),
                        quoted(&value)
                    ),
                );
                return Vec::new();
            }
            if !types.iter().any(|t| t == item) {
                types.push(item.to_owned());
            }
        }
        types
    }

    fn integer(&mut self, name: &'static str) -> Option<i64> {
        let (_, value) = self.take(name)?;
        match value.trim().parse::<i64>() {
            Ok(number) => Some(number),
            Err(_) => {
                self.invalid(
                    name,
                    format!("expected a whole number, got {}", quoted(&value)),
                );
                None
            }
        }
    }

    /// One id, required: missing or a list is an error naming the parameter.
    fn required_id(&mut self, name: &'static str) -> i64 {
        let Some((_, value)) = self.take(name) else {
            self.invalid(
                name,
                "is required: one id, e.g. pipelineId=7670334".to_owned(),
            );
            return 0;
        };
        match value.trim().parse::<i64>() {
            Ok(id) if id > 0 => id,
            _ => {
                self.invalid(
                    name,
                    format!("expected one positive id, got {}", quoted(&value)),
                );
                0
            }
        }
    }

    fn boolean(&mut self, name: &'static str) -> Option<bool> {
        let (_, value) = self.take(name)?;
        match value.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => {
                self.invalid(
                    name,
                    format!("expected true or false, got {}", quoted(&value)),
                );
                None
            }
        }
    }

    fn deleted(&mut self, name: &'static str) -> Deleted {
        let Some((_, value)) = self.take(name) else {
            return Deleted::Live;
        };
        match value.trim().to_ascii_lowercase().as_str() {
            "false" | "0" => Deleted::Live,
            "true" | "1" => Deleted::Only,
            "any" => Deleted::Any,
            _ => {
                self.invalid(
                    name,
                    format!("expected false, true or any, got {}", quoted(&value)),
                );
                Deleted::Live
            }
        }
    }

    fn time(&mut self, name: &'static str) -> Option<DateTime<Utc>> {
        let (spec, value) = self.take(name)?;
        let end = spec.kind == Kind::TimeEnd;
        match parse_time(&value, end) {
            Some(time) => Some(time),
            None => {
                self.invalid(
                    name,
                    format!(
                        "expected an RFC 3339 time such as 2026-01-01T00:00:00Z (fraction and offset optional \
                         as in 2026-01-01T03:00:00.5+03:00) or a UTC date such as 2026-01-01, got {}",
                        quoted(&value)
                    ),
                );
                None
            }
        }
    }

    fn range(&mut self, start_name: &'static str, end_name: &'static str) -> TimeRange {
        let start = self.time(start_name);
        let end = self.time(end_name);
        if let (Some(s), Some(e)) = (start, end)
            && s > e
        {
            self.invalid(
                start_name,
                format!(
                    "{start_name} ({}) is after {end_name} ({}); the range would be empty",
                    s.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                    e.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
                ),
            );
        }
        TimeRange { start, end }
    }

    fn number(&mut self, name: &'static str, min: u32, max: u32) -> Option<u32> {
        let (_, value) = self.take(name)?;
        let trimmed = value.trim();
        let (negative, digits) = match trimmed.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            self.invalid(
                name,
                format!(
                    "expected a whole number from {min} to {max}, got {}",
                    quoted(&value)
                ),
            );
            return None;
        }
        // Out-of-range numbers (however many digits) are clamped, as the published API does.
        if negative {
            return Some(min);
        }
        let number = digits.parse::<u64>().unwrap_or(u64::MAX);
        Some(u32::try_from(number).unwrap_or(u32::MAX).clamp(min, max))
    }

    fn page_request(&mut self) -> PageRequest {
        let page = self.number("page", 1, u32::MAX).unwrap_or(1);
        let limit = self.number("limit", 1, MAX_LIMIT).unwrap_or(DEFAULT_LIMIT);
        PageRequest { page, limit }
    }

    /// `orderBy` and `orderDirection`, as one of the columns `T` accepts; `orderDirection`
    /// alone turns the default order's first column.
    fn order<T: OrderColumn>(&mut self) -> Option<(T, Direction)> {
        let (default_column, default_direction) = T::DEFAULT;
        let order_by = self.take("orderBy");
        let direction = self.take("orderDirection");
        let direction = match direction {
            None => None,
            Some((_, value)) => match value.trim().to_ascii_lowercase().as_str() {
                "asc" => Some(Direction::Asc),
                "desc" => Some(Direction::Desc),
                _ => {
                    self.invalid(
                        "orderDirection",
                        format!("expected asc or desc, got {}", quoted(&value)),
                    );
                    None
                }
            },
        };
        match order_by {
            Some((_, value)) => {
                let names = T::COLUMNS;
                let wanted = normalise_column(&value);
                match names
                    .iter()
                    .find(|name| normalise_column(name) == wanted)
                    .and_then(|name| T::from_column(name))
                {
                    Some(col) => Some((col, direction.unwrap_or(default_direction))),
                    None => {
                        self.invalid(
                            "orderBy",
                            format!(
                                "expected one of {}, got {}",
                                names.join(", "),
                                quoted(&value)
                            ),
                        );
                        None
                    }
                }
            }
            None => direction.map(|d| (default_column, d)),
        }
    }

    /// The parsed query, or every problem found; a parameter in the table that no getter read
    /// would be silently ignored, which is the one thing this module exists to prevent.
    fn finish<T>(self, value: T) -> Result<T, ApiError> {
        if let Some((spec, _, _)) = self.values.iter().find(|(_, _, consumed)| !consumed) {
            let cause = UnreadParameter(spec.name);
            return Err(ApiError::internal(&cause));
        }
        if let Some(name) = self.unlisted {
            return Err(ApiError::internal(&UnlistedParameter(name)));
        }
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(ApiError::bad_request(self.errors))
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the accepted parameter {0} was not read by its resource's parser")]
struct UnreadParameter(&'static str);

#[derive(Debug, thiserror::Error)]
#[error("the parser read {0}, which its resource's parameter table does not list")]
struct UnlistedParameter(&'static str);

/// `createdAt`, `created_at` and `CREATED_AT` all name the same column.
fn normalise_column(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn unknown_reason(name: &str, table: &[ParamSpec]) -> String {
    let accepted: Vec<&str> = table.iter().map(|spec| spec.name).collect();
    let hint = table
        .iter()
        .find(|spec| spec.name.eq_ignore_ascii_case(name))
        .map(|spec| format!(" (did you mean {}?)", spec.name))
        .unwrap_or_default();
    format!("unknown parameter{hint}; accepted: {}", accepted.join(", "))
}

/// RFC 3339 with or without fraction, any offset; or a bare date, meaning its first instant
/// as a start and its last as an end (both ends are inclusive).
pub(crate) fn parse_time(value: &str, end: bool) -> Option<DateTime<Utc>> {
    let value = value.trim();
    if value.len() == 10
        && let Ok(date) = NaiveDate::parse_from_str(value, "%Y-%m-%d")
    {
        let time = if end {
            NaiveTime::from_hms_nano_opt(23, 59, 59, 999_999_999)?
        } else {
            NaiveTime::MIN
        };
        return Some(Utc.from_utc_datetime(&date.and_time(time)));
    }
    if let Ok(time) = DateTime::parse_from_rfc3339(value) {
        return Some(time.with_timezone(&Utc));
    }
    // An unencoded `+03:00` arrives as ` 03:00` (a `+` in a query string means a space);
    // read it the way the sender meant it.
    let (date_part, time_part) = value.split_once(['T', 't'])?;
    if time_part.contains(' ') && !time_part.contains('+') {
        let repaired = format!("{date_part}T{}", time_part.replacen(' ', "+", 1));
        return DateTime::parse_from_rfc3339(&repaired)
            .ok()
            .map(|t| t.with_timezone(&Utc));
    }
    None
}

/// Decodes `application/x-www-form-urlencoded` text (`+` is a space); `None` for broken
/// escapes or bytes that are not UTF-8, which a lossy decoder would turn into a different filter.
pub(crate) fn percent_decode(raw: &str) -> Option<String> {
    if !raw.bytes().any(|b| b == b'%' || b == b'+') {
        return Some(raw.to_owned());
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hi = hex_value(*bytes.get(i + 1)?)?;
                let lo = hex_value(*bytes.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// A received value for an error message: quoted, and cut short if it is long.
fn quoted(value: &str) -> String {
    format!("{:?}", shorten(value))
}

fn shorten(value: &str) -> String {
    const KEEP: usize = 60;
    if value.chars().count() <= KEEP {
        value.to_owned()
    } else {
        let head: String = value.chars().take(KEEP).collect();
        format!("{head}... ({} bytes)", value.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reasons(error: ApiError) -> Vec<(String, String)> {
        match error {
            ApiError::BadRequest { invalid_params, .. } => invalid_params
                .into_iter()
                .map(|p| (p.name, p.reason))
                .collect(),
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn the_published_leads_example_parses_with_empty_values_absent() {
        let query = "workspaceId=workspace_123&integrationId&organizationId&leadId&statusId&responsibleUserId&groupId&pipelineId&lossReasonId&tagId&tagName&tagColor&tagIdFirst&tagNameFirst&tagColorFirst&createdStart=2026-01-01T00:00:00Z&createdEnd=2026-01-31T23:59:59Z&lastModifiedStart=2026-01-01T00:00:00Z&lastModifiedEnd=2026-01-31T23:59:59Z&page&limit";
        let q = leads(Some(query)).unwrap();
        assert_eq!(q.scope.workspace_id, "workspace_123");
        assert!(q.scope.integration_ids.is_empty());
        assert_eq!(q.filter.created.start, Some(utc("2026-01-01T00:00:00Z")));
        assert_eq!(q.filter.created.end, Some(utc("2026-01-31T23:59:59Z")));
        assert_eq!(q.filter.status_id, Vec::<i64>::new());
        assert_eq!(
            q.page,
            PageRequest {
                page: 1,
                limit: 500
            }
        );
        assert_eq!(q.order, None);
        assert_eq!(q.filter.deleted, Deleted::Live);
    }

    #[test]
    fn the_published_pipelines_example_parses() {
        let query = "workspaceId=workspace_123&integrationId&organizationId&pipelineName&pipelineId&statusId&statusName&sort&color&type&page&limit";
        let q = pipelines(Some(query)).unwrap();
        assert_eq!(q.filter, PipelineFilter::default());
    }

    #[test]
    fn unknown_parameters_are_named_with_the_accepted_list() {
        let found = reasons(leads(Some("workspaceId=w&pipelineID=5")).unwrap_err());
        assert_eq!(found[0].0, "pipelineID");
        assert!(
            found[0].1.contains("did you mean pipelineId?"),
            "{}",
            found[0].1
        );
        assert!(found[0].1.contains("tagNameFirst"));
        // Even with an empty value, a typo is reported rather than ignored.
        assert_eq!(
            reasons(leads(Some("workspaceId=w&pipelineID")).unwrap_err())[0].0,
            "pipelineID"
        );
    }

    #[test]
    fn workspace_is_required() {
        let found = reasons(leads(Some("statusId=1")).unwrap_err());
        assert_eq!(found[0].0, "workspaceId");
        assert_eq!(reasons(leads(None).unwrap_err())[0].0, "workspaceId");
        assert_eq!(
            reasons(leads(Some("workspaceId=")).unwrap_err())[0].0,
            "workspaceId"
        );
    }

    #[test]
    fn id_filters_take_comma_lists() {
        let q = leads(Some("workspaceId=w&statusId=142,%20143&pipelineId=7")).unwrap();
        assert_eq!(q.filter.status_id, vec![142, 143]);
        assert_eq!(q.filter.pipeline_id, vec![7]);
        for bad in [
            "x",
            "1,,2",
            "1,",
            "-5",
            "1.5",
            "99999999999999999999",
            "%2B1",
        ] {
            let found = reasons(leads(Some(&format!("workspaceId=w&statusId={bad}"))).unwrap_err());
            assert_eq!(found[0].0, "statusId", "{bad}");
        }
        let many = vec!["1"; MAX_IDS + 1].join(",");
        assert!(leads(Some(&format!("workspaceId=w&leadId={many}"))).is_err());
    }

    #[test]
    fn integration_ids_take_comma_lists() {
        let q = leads(Some("workspaceId=w&integrationId=a,b&organizationId=o")).unwrap();
        assert_eq!(
            q.scope.integration_ids,
            vec!["a".to_owned(), "b".to_owned()]
        );
        assert_eq!(q.scope.organization_id.as_deref(), Some("o"));
        assert!(leads(Some("workspaceId=w'%20OR%201=1")).is_err());
    }

    #[test]
    fn time_forms() {
        assert_eq!(
            parse_time("2026-01-01T00:00:00Z", false),
            Some(utc("2026-01-01T00:00:00Z"))
        );
        assert_eq!(
            parse_time("2026-01-01T00:00:00.250Z", false),
            Some(utc("2026-01-01T00:00:00.25Z"))
        );
        assert_eq!(
            parse_time("2026-01-01T03:00:00+03:00", false),
            Some(utc("2026-01-01T00:00:00Z"))
        );
        assert_eq!(
            parse_time("2026-01-01T03:00:00 03:00", false),
            Some(utc("2026-01-01T00:00:00Z"))
        );
        assert_eq!(
            parse_time("2025-12-31T21:00:00-03:00", true),
            Some(utc("2026-01-01T00:00:00Z"))
        );
        assert_eq!(
            parse_time("2026-01-31", false),
            Some(utc("2026-01-31T00:00:00Z"))
        );
        assert_eq!(
            parse_time("2026-01-31", true),
            Some(utc("2026-01-31T23:59:59.999999999Z"))
        );
        for bad in [
            "2026-01-01T00:00:00",
            "2026-13-01",
            "yesterday",
            "2026-1-1",
            "1767225600",
        ] {
            assert_eq!(parse_time(bad, false), None, "{bad}");
        }
    }

    #[test]
    fn a_bare_date_range_is_the_whole_days() {
        let q = leads(Some(
            "workspaceId=w&createdStart=2026-01-01&createdEnd=2026-01-31",
        ))
        .unwrap();
        assert_eq!(q.filter.created.start, Some(utc("2026-01-01T00:00:00Z")));
        assert!(q.filter.created.end.unwrap() > utc("2026-01-31T23:59:59.999Z"));
        assert!(q.filter.created.end.unwrap() < utc("2026-02-01T00:00:00Z"));
        // The same day as start and end is that whole day, not an empty range.
        assert!(
            leads(Some(
                "workspaceId=w&closedStart=2026-01-05&closedEnd=2026-01-05"
            ))
            .is_ok()
        );
    }

    #[test]
    fn start_after_end_is_a_400() {
        let found = reasons(
            leads(Some(
                "workspaceId=w&lastModifiedStart=2026-02-01&lastModifiedEnd=2026-01-01",
            ))
            .unwrap_err(),
        );
        assert_eq!(found[0].0, "lastModifiedStart");
        assert!(found[0].1.contains("after lastModifiedEnd"));
    }

    #[test]
    fn limit_is_clamped_and_must_be_a_number() {
        let page = |q: &str| leads(Some(&format!("workspaceId=w&{q}"))).map(|q| q.page);
        assert_eq!(page("limit=0").unwrap().limit, 1);
        assert_eq!(page("limit=-3").unwrap().limit, 1);
        assert_eq!(page("limit=100000").unwrap().limit, MAX_LIMIT);
        assert_eq!(
            page("limit=99999999999999999999999").unwrap().limit,
            MAX_LIMIT
        );
        assert_eq!(page("limit=100").unwrap().limit, 100);
        assert_eq!(page("page=0").unwrap().page, 1);
        assert_eq!(page("page=3").unwrap().page, 3);
        for bad in ["limit=ten", "limit=1.5", "page=abc", "limit=-"] {
            assert!(page(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn order_by_and_direction() {
        let order = |q: &str| leads(Some(&format!("workspaceId=w&{q}"))).map(|q| q.order);
        assert_eq!(
            order("orderBy=updated_at").unwrap(),
            Some((LeadOrder::UpdatedAt, Direction::Desc))
        );
        assert_eq!(
            order("orderBy=updatedAt&orderDirection=ASC").unwrap(),
            Some((LeadOrder::UpdatedAt, Direction::Asc))
        );
        assert_eq!(
            order("orderDirection=asc").unwrap(),
            Some((LeadOrder::CreatedAt, Direction::Asc))
        );
        assert!(order("orderBy=price").is_err());
        assert!(order("orderDirection=up").is_err());
        let q = users(Some("workspaceId=w&orderBy=role_id")).unwrap();
        assert_eq!(q.order, Some((UserOrder::RoleId, Direction::Asc)));
    }

    #[test]
    fn is_deleted_forms() {
        let deleted = |v: &str| {
            leads(Some(&format!("workspaceId=w&isDeleted={v}"))).map(|q| q.filter.deleted)
        };
        assert_eq!(deleted("false").unwrap(), Deleted::Live);
        assert_eq!(deleted("true").unwrap(), Deleted::Only);
        assert_eq!(deleted("any").unwrap(), Deleted::Any);
        assert!(deleted("maybe").is_err());
    }

    #[test]
    fn names_are_never_split_and_are_decoded() {
        let q = leads(Some(
            "workspaceId=w&tagName=a%2Cb+c&tagNameFirst=%C3%A9t%C3%A9",
        ))
        .unwrap();
        assert_eq!(q.filter.tag_name.as_deref(), Some("a,b c"));
        assert_eq!(q.filter.tag_name_first.as_deref(), Some("été"));
        assert!(leads(Some("workspaceId=w&tagName=%FF")).is_err());
        assert!(leads(Some("workspaceId=w&tagName=%2")).is_err());
        assert!(leads(Some("workspaceId=w&tagName=a%00b")).is_err());
        let long = "x".repeat(MAX_TEXT + 1);
        assert!(leads(Some(&format!("workspaceId=w&tagName={long}"))).is_err());
    }

    #[test]
    fn repeated_parameters_are_refused() {
        let found = reasons(leads(Some("workspaceId=w&statusId=1&statusId=2")).unwrap_err());
        assert!(found[0].1.contains("comma-separated"));
        // An empty repetition is absent, as in the published example.
        assert!(leads(Some("workspaceId=w&page&page=2")).is_ok());
    }

    #[test]
    fn several_problems_are_reported_together() {
        let found =
            reasons(leads(Some("workspaceId=w&statusId=x&limit=y&createdStart=z")).unwrap_err());
        let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
        assert!(
            names.contains(&"statusId")
                && names.contains(&"limit")
                && names.contains(&"createdStart")
        );
    }

    #[test]
    fn contacts_phone_needs_digits_and_users_take_booleans() {
        assert!(contacts(Some("workspaceId=w&phone=abc")).is_err());
        let q = contacts(Some(
            "workspaceId=w&phone=%2B55+(11)+9999-0000&email=A@B.com",
        ))
        .unwrap();
        assert_eq!(q.filter.phone.as_deref(), Some("+55 (11) 9999-0000"));
        assert_eq!(q.filter.email.as_deref(), Some("A@B.com"));
        let q = users(Some("workspaceId=w&isActive=true&isAdmin=0")).unwrap();
        assert_eq!(
            (q.filter.is_active, q.filter.is_admin),
            (Some(true), Some(false))
        );
        assert!(users(Some("workspaceId=w&isActive=yes")).is_err());
        assert!(pipelines(Some("workspaceId=w&sort=first")).is_err());
        assert_eq!(
            pipelines(Some("workspaceId=w&type=1"))
                .unwrap()
                .filter
                .status_type,
            Some(1)
        );
    }

    /// Every accepted parameter is read by its resource's parser: with a valid value for
    /// each, parsing succeeds (an unread one would be a 500).
    #[test]
    fn every_table_entry_is_read() {
        fn sample(kind: Kind) -> &'static str {
            match kind {
                Kind::Workspace | Kind::Organization | Kind::Integrations => "x1",
                Kind::Ids | Kind::Integer | Kind::RequiredId => "1",
                Kind::Text | Kind::Email => "a",
                Kind::Phone => "1",
                Kind::TimeStart => "2026-01-01",
                Kind::TimeEnd => "2026-01-02",
                Kind::Bool | Kind::Deleted => "true",
                Kind::EntityTypes => "leads,companies",
                Kind::Page | Kind::Limit => "2",
                Kind::OrderBy(names) => names[0],
                Kind::Direction => "asc",
            }
        }
        fn all(table: &[ParamSpec]) -> String {
            table
                .iter()
                .map(|s| format!("{}={}", s.name, sample(s.kind)))
                .collect::<Vec<_>>()
                .join("&")
        }
        leads(Some(&all(LEADS))).unwrap();
        contacts(Some(&all(CONTACTS))).unwrap();
        companies(Some(&all(COMPANIES))).unwrap();
        tasks(Some(&all(TASKS))).unwrap();
        pipelines(Some(&all(PIPELINES))).unwrap();
        users(Some(&all(USERS))).unwrap();
        lead_status_changes(Some(&all(LEAD_STATUS_CHANGES))).unwrap();
        lead_stages(Some(&all(LEAD_STAGES))).unwrap();
        funnel(Some(&all(FUNNEL))).unwrap();
    }

    /// The other direction: every name a parser reads is in its table (a parser reads every
    /// name it knows on each request, given or not, and a name outside its table is a 500).
    #[test]
    fn every_name_a_parser_reads_is_in_its_table() {
        let only_the_workspace = Some("workspaceId=w");
        leads(only_the_workspace).unwrap();
        contacts(only_the_workspace).unwrap();
        companies(only_the_workspace).unwrap();
        tasks(only_the_workspace).unwrap();
        pipelines(only_the_workspace).unwrap();
        users(only_the_workspace).unwrap();
        lead_status_changes(only_the_workspace).unwrap();
        lead_stages(only_the_workspace).unwrap();
        funnel(Some("workspaceId=w&pipelineId=1")).unwrap();
        let mut p = Params::parse(only_the_workspace, USERS).unwrap();
        assert_eq!(p.ids("leadId"), Vec::<i64>::new());
        let error = p.finish(()).unwrap_err();
        assert!(
            matches!(error, ApiError::Internal { .. }),
            "a name outside the table is the parser's mistake: {error:?}"
        );
    }
}
