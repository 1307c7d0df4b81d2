//! The OpenAPI 3.1 description: operations come from the handlers' annotations, query
//! parameters from the same tables the parser uses, errors from the one error type.

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Required, ResponseBuilder};
use utoipa::{Modify, OpenApi as _};

use crate::error::{InvalidParam, PROBLEM_JSON, Problem};
use crate::params::{self, Kind, ParamSpec};

/// What the published reference leaves open, and what this implementation decided.
const DESCRIPTION: &str = r#"Read Kommo CRM data synced by kommo-data: leads, contacts, companies, tasks, pipelines and users,
and the funnel over time (lead status changes, lead stages, the funnel of a pipeline),
compatible with the published V4 Marketing "Kommo" data API (field names, types and filter names of
`leads` and `pipelines` are exactly the reference's).

## Authentication
Send `x-client-id` and `x-client-secret` on every request. Missing or wrong credentials are a 401
(the answer never says which half was wrong); credentials not granted the `workspaceId` (or the
`organizationId` / `integrationId`) are a 403. A verified grant is reused for up to 5 seconds, so
revoked credentials or changed grants take effect within that time.

## Request budget
Each set of credentials has a budget of requests a minute (default 1,200; 0 means unlimited). It
can be spent at once and refills continuously (budget / 60 a second). Once spent, requests get a
429 with `Retry-After` (seconds) until a request is available again. Every authenticated request
counts, including those answered 400.

## Parameters
- A parameter with an empty value (`?integrationId&page`) counts as absent.
- An unknown parameter is a 400 naming it and listing the accepted ones (names are case-sensitive;
  a near miss such as `pipelineID` gets a "did you mean" hint). A parameter given twice with values
  is a 400 too: send one comma-separated list instead.
- Id filters take one id or a comma-separated list (at most 1000), meaning any of them; ids are
  whole numbers (`statusId=142,143`). `integrationId` takes a list as well.
- Text filters (names, colors, email, phone) match exactly (email case-insensitively, phone on its
  digits), are never split on commas, may hold any Unicode up to 1000 bytes, and may not hold
  control characters.
- Time filters take RFC 3339 (`2026-01-01T00:00:00Z`, with or without a fraction, any offset) or a
  bare UTC date: as a `*Start` its first instant, as an `*End` its last. Both ends are inclusive; a
  start after its end is a 400. An offset's `+` must be percent-encoded (`%2B`); an unencoded one
  arrives as a space and is read as the `+` it was meant to be.
- `page` starts at 1 (numbers below 1 count as 1); `limit` is 1 to 5000 (default 500); numbers out
  of range are clamped, anything that is not a whole number is a 400.
- `orderBy` takes a field name of the resource (`created_at`, also spelled `createdAt`); ties are
  always broken by the Kommo id, so paging never repeats or skips a row while nothing changes.
  `orderBy` without `orderDirection` keeps the default order's direction (desc for leads,
  contacts, companies and tasks, asc for pipelines and users); `orderDirection` alone reverses the first default sort column.

## Funnel history
Synced from Kommo's events (`lead_added`, `lead_status_changed`, `lead_deleted`, `lead_restored`):
`lead-status-changes` lists every real change of a lead's status, `lead-stages` every stay of a lead
in a stage (a lead's stays tile its life from `created_at`), and `funnel` summarises a pipeline for a
cohort of leads; each operation below gives the exact definitions. The funnel answers a single
object (no paging); a pipeline the workspace does not have is a 404.

## Responses
`{"data": [...], "meta": {"page", "limit", "hasNextPage", "hasPreviousPage"}}`. A page past the
end is a 200 with empty `data`. Ids are strings, money and counts numbers, timestamps RFC 3339 UTC
with milliseconds and `Z` (or `null`), id lists comma-separated strings, structured Kommo data
(`custom_fields_values`, `tags`, `rights`) compact JSON text. Every row carries `integration_id`,
`workspace_id`, `organization_id`, a stable `document_id` (a UUID v5 of integration, resource and
Kommo ids) and `inserted_at` (when a sync last wrote it). Extra fields beyond the reference:
leads have `company_id`, `status_name` and `pipeline_name`; pipelines have `is_main` and `is_archive`.
`companies` and `tasks` are not in the published reference; they follow the same conventions
(companies filter like contacts; tasks have `completeTillStart`/`completeTillEnd` for deadlines).
Deleted tasks are known from Kommo's `task_deleted` events and kept flagged `is_deleted`.

## Errors
RFC 9457 problem documents (`application/problem+json`) with `type`, `title`, `status`, `detail`,
and `invalid_params` (400), `retry_after` (429) or `error_id` (500: quote it when reporting; the
server log has the cause under it, the body never does).
"#;

/// The document's static part; [`document`] completes it with the routes' operations.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    info(title = "kommo-data data API", version = "1", description = DESCRIPTION, license(name = "Apache-2.0")),
    components(schemas(Problem, InvalidParam)),
    tags((name = "kommo", description = "Kommo CRM data, one row per object, filtered and paged.")),
    modifiers(&Security)
)]
pub(crate) struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "clientId",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "x-client-id",
                "The client id of API credentials.",
            ))),
        );
        components.add_security_scheme(
            "clientSecret",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "x-client-secret",
                "The client secret, shown once when the credentials were created.",
            ))),
        );
    }
}

/// The static part of the document.
pub(crate) fn base() -> OpenApi {
    ApiDoc::openapi()
}

/// The data resources' paths and their parameter tables.
const RESOURCES: [(&str, &[ParamSpec]); 9] = [
    ("/v1/kommo/leads", params::LEADS),
    ("/v1/kommo/contacts", params::CONTACTS),
    ("/v1/kommo/companies", params::COMPANIES),
    ("/v1/kommo/tasks", params::TASKS),
    ("/v1/kommo/pipelines", params::PIPELINES),
    ("/v1/kommo/users", params::USERS),
    ("/v1/kommo/lead-status-changes", params::LEAD_STATUS_CHANGES),
    ("/v1/kommo/lead-stages", params::LEAD_STAGES),
    ("/v1/kommo/funnel", params::FUNNEL),
];

/// Adds each data resource's query parameters (from the parser's tables) and error responses.
pub(crate) fn complete(mut api: OpenApi) -> OpenApi {
    for (path, table) in RESOURCES {
        let Some(item) = api.paths.paths.get_mut(path) else {
            continue;
        };
        let Some(operation) = item.get.as_mut() else {
            continue;
        };
        operation.parameters = Some(table.iter().map(|spec| parameter(spec).into()).collect());
        add_error_responses(operation);
    }
    if let Some(components) = api.components.as_mut() {
        for (schema_name, fields) in FIELD_DOCS {
            if let Some(RefOr::T(schema)) = components.schemas.get_mut(*schema_name) {
                describe_fields(schema, fields);
            }
        }
    }
    api
}

/// The JSON meaning of row fields (the row types' own comments describe how they are stored).
const TIMESTAMP: &str =
    "RFC 3339 UTC with milliseconds and `Z` (`2026-01-27T12:24:45.000Z`), or `null`.";
const TAG_LIST: &str = "All of the row's tags, comma-separated in Kommo's order (`null` without tags; a tag \
     without color contributes an empty item). For people and BI tools: a name may hold a comma, programs read `tags`.";
const TAGS_JSON: &str =
    "JSON text: an array of `{id, name, color}` in Kommo's order; `null` without tags.";
const CUSTOM_FIELDS: &str =
    "JSON text: Kommo's `custom_fields_values`; `null` when Kommo has none.";
const COMMON_FIELDS: &[(&str, &str)] = &[
    (
        "integration_id",
        "The integration (one Kommo account) the row was synced by.",
    ),
    ("workspace_id", "The workspace of that integration."),
    ("organization_id", "The organization of that workspace."),
    (
        "document_id",
        "Stable unique id of the row: a UUID v5 of integration, resource and Kommo id(s).",
    ),
    (
        "inserted_at",
        "When a sync last wrote this row (RFC 3339 UTC with milliseconds).",
    ),
];
const LEAD_FIELDS: &[(&str, &str)] = &[
    ("created_at", TIMESTAMP),
    ("updated_at", TIMESTAMP),
    ("closed_at", TIMESTAMP),
    ("closest_task_at", TIMESTAMP),
    ("tags", TAGS_JSON),
    ("custom_fields_values", CUSTOM_FIELDS),
    ("tag_id", TAG_LIST),
    ("tag_name", TAG_LIST),
    ("tag_color", TAG_LIST),
    ("tag_id_first", "The first tag's id."),
    ("tag_name_first", "The first tag's name."),
    ("tag_color_first", "The first tag's color."),
    (
        "contacts_ids",
        "Linked contact ids, comma-separated in Kommo's order; `null` when none.",
    ),
    ("loss_reason", "The loss reason's name."),
    ("source_name", "The source's name."),
    (
        "company_id",
        "Extra field (not in the published reference): the lead's linked company id.",
    ),
    (
        "status_name",
        "Extra field (not in the published reference): the name of the lead's status.",
    ),
    (
        "pipeline_name",
        "Extra field (not in the published reference): the name of the lead's pipeline.",
    ),
];
const CONTACT_FIELDS: &[(&str, &str)] = &[
    ("created_at", TIMESTAMP),
    ("updated_at", TIMESTAMP),
    ("closest_task_at", TIMESTAMP),
    ("email", "The first value of the contact's EMAIL field."),
    ("phone", "The first value of the contact's PHONE field."),
    ("emails", "Every EMAIL value, comma-separated."),
    ("phones", "Every PHONE value, comma-separated."),
    (
        "leads_ids",
        "Linked lead ids, comma-separated; `null` when none.",
    ),
    ("tags", TAGS_JSON),
    ("custom_fields_values", CUSTOM_FIELDS),
    ("tag_id", TAG_LIST),
    ("tag_name", TAG_LIST),
    ("tag_color", TAG_LIST),
];
const COMPANY_FIELDS: &[(&str, &str)] = &[
    ("created_at", TIMESTAMP),
    ("updated_at", TIMESTAMP),
    ("closest_task_at", TIMESTAMP),
    ("email", "The first value of the company's EMAIL field."),
    ("phone", "The first value of the company's PHONE field."),
    ("emails", "Every EMAIL value, comma-separated."),
    ("phones", "Every PHONE value, comma-separated."),
    (
        "contacts_ids",
        "Linked contact ids, comma-separated in Kommo's order; `null` when none.",
    ),
    (
        "leads_ids",
        "Linked lead ids, comma-separated in Kommo's order; `null` when none.",
    ),
    ("tags", TAGS_JSON),
    ("custom_fields_values", CUSTOM_FIELDS),
    ("tag_id", TAG_LIST),
    ("tag_name", TAG_LIST),
    ("tag_color", TAG_LIST),
    ("tag_id_first", "The first tag's id."),
    ("tag_name_first", "The first tag's name."),
    ("tag_color_first", "The first tag's color."),
];
const TASK_FIELDS: &[(&str, &str)] = &[
    (
        "entity_type",
        "The kind of entity the task belongs to: `leads`, `contacts`, `companies` or `customers`; `null` for none.",
    ),
    ("entity_id", "The id of the entity the task belongs to."),
    (
        "task_type_name",
        "The task type's name, from the account's task types (1: follow-up, 2: meeting).",
    ),
    ("text", "The task's text."),
    ("duration", "How long the task takes, in seconds."),
    ("complete_till", TIMESTAMP),
    ("is_completed", "Whether the task is done."),
    (
        "result_text",
        "The result given when the task was completed; `null` without one.",
    ),
    ("created_at", TIMESTAMP),
    ("updated_at", TIMESTAMP),
    (
        "is_deleted",
        "Whether the task was deleted in Kommo (known from its `task_deleted` event).",
    ),
];
const PIPELINE_FIELDS: &[(&str, &str)] = &[
    ("sort", "The status's sort key within its pipeline."),
    ("color", "The status's color."),
    (
        "type",
        "The status's type: 1 for the incoming-leads stage, 0 for any other.",
    ),
    (
        "is_editable",
        "Whether the status can be edited (false for 142 won and 143 lost).",
    ),
    (
        "is_main",
        "Extra field (not in the published reference): whether this is the account's main pipeline.",
    ),
    (
        "is_archive",
        "Extra field (not in the published reference): whether the pipeline is archived.",
    ),
];
const USER_FIELDS: &[(&str, &str)] = &[("rights", "JSON text: Kommo's rights object of the user.")];
const FIELD_DOCS: &[(&str, &[(&str, &str)])] = &[
    ("LeadRow", LEAD_FIELDS),
    ("ContactRow", CONTACT_FIELDS),
    ("CompanyRow", COMPANY_FIELDS),
    ("TaskRow", TASK_FIELDS),
    ("PipelineRow", PIPELINE_FIELDS),
    ("UserRow", USER_FIELDS),
    ("RowTenancy", COMMON_FIELDS),
    ("LeadRow", COMMON_FIELDS),
    ("ContactRow", COMMON_FIELDS),
    ("CompanyRow", COMMON_FIELDS),
    ("TaskRow", COMMON_FIELDS),
    ("PipelineRow", COMMON_FIELDS),
    ("UserRow", COMMON_FIELDS),
];

/// Sets the description of each named property, wherever it sits in the schema (a row type
/// with flattened tenancy is an `allOf`).
fn describe_fields(schema: &mut Schema, fields: &[(&str, &str)]) {
    match schema {
        Schema::Object(object) => {
            for (name, description) in fields {
                if let Some(RefOr::T(Schema::Object(property))) = object.properties.get_mut(*name) {
                    property.description = Some((*description).to_owned());
                }
            }
        }
        Schema::AllOf(all) => {
            for item in &mut all.items {
                if let RefOr::T(inner) = item {
                    describe_fields(inner, fields);
                }
            }
        }
        _ => {}
    }
}

fn parameter(spec: &ParamSpec) -> Parameter {
    let text = || ObjectBuilder::new().schema_type(Type::String);
    let schema = match spec.kind {
        Kind::Workspace | Kind::Organization => text()
            .max_length(Some(params::MAX_TENANCY_ID))
            .pattern(Some("^[A-Za-z0-9_.:-]+$"))
            .examples(["ws_1"]),
        Kind::Integrations => text().pattern(Some("^[A-Za-z0-9_.:-]+(,[A-Za-z0-9_.:-]+)*$")),
        Kind::Ids => text()
            .pattern(Some(r"^\d+( *, *\d+)*$"))
            .examples(["142,143"]),
        Kind::Text | Kind::Phone => text().max_length(Some(params::MAX_TEXT)),
        Kind::Email => text()
            .max_length(Some(params::MAX_TEXT))
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email))),
        Kind::TimeStart => text()
            .description(Some(
                "RFC 3339 date-time, or a date meaning its first instant (UTC)",
            ))
            .examples(["2026-01-01T00:00:00Z"]),
        Kind::TimeEnd => text()
            .description(Some(
                "RFC 3339 date-time, or a date meaning its last instant (UTC)",
            ))
            .examples(["2026-01-31"]),
        Kind::Integer => ObjectBuilder::new().schema_type(Type::Integer),
        Kind::RequiredId => text().pattern(Some(r"^\d+$")).examples(["7670334"]),
        Kind::Bool => ObjectBuilder::new().schema_type(Type::Boolean),
        Kind::EntityTypes => text().pattern(Some(
            "^(leads|contacts|companies|customers)(,(leads|contacts|companies|customers))*$",
        )),
        Kind::Deleted => text()
            .enum_values(Some(["false", "true", "any"]))
            .default(Some("false".into())),
        Kind::Page => ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1))
            .default(Some(1.into())),
        Kind::Limit => ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1))
            .maximum(Some(params::MAX_LIMIT))
            .default(Some(params::DEFAULT_LIMIT.into())),
        Kind::OrderBy(names) => text().enum_values(Some(names.iter().copied())),
        Kind::Direction => text().enum_values(Some(["asc", "desc"])),
    };
    let required = if matches!(spec.kind, Kind::Workspace | Kind::RequiredId) {
        Required::True
    } else {
        Required::False
    };
    ParameterBuilder::new()
        .name(spec.name)
        .parameter_in(ParameterIn::Query)
        .required(required)
        .description(Some(spec.description))
        .schema(Some(schema))
        .build()
}

fn add_error_responses(operation: &mut Operation) {
    let errors = [
        (
            "400",
            "Missing `workspaceId`, an unknown parameter, a malformed value or an empty time range.",
        ),
        ("401", "Credentials missing or wrong."),
        (
            "403",
            "The credentials are not granted this workspace, organization or integration.",
        ),
        (
            "429",
            "The credentials' request budget is spent; `Retry-After` says when to come back.",
        ),
        (
            "500",
            "Internal failure; the body carries an error id that is also in the server log.",
        ),
    ];
    for (status, description) in errors {
        let content = ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build();
        let mut response = ResponseBuilder::new()
            .description(description)
            .content(PROBLEM_JSON, content);
        if status == "429" {
            let seconds = ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .build();
            response = response.header(
                "Retry-After",
                HeaderBuilder::new()
                    .schema(Some(seconds))
                    .description(Some("Seconds until a request is available."))
                    .build(),
            );
        }
        let response = response.build();
        operation
            .responses
            .responses
            .insert(status.to_owned(), response.into());
    }
}
