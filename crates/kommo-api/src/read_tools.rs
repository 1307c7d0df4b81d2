//! The data API's resources as read-only MCP tools (`KOMMO_DATA_*`), for agents: one tool per
//! resource, whose inputs are generated from the resource's parameter table in `params` (the
//! one that drives the HTTP parsing and the OpenAPI document), whose arguments are parsed by
//! that resource's own parser, and whose rows are the same store reads the HTTP handlers
//! serve, byte for byte. No tool makes a Kommo request.
//!
//! `kommo-mcp` lists and calls them through [`kommo_mcp::ReadTools`]; over HTTP (`/mcp`) each
//! call reads as the credentials' grant the guard in `actions` resolved, over stdio as
//! [`stdio_access`]. [`authorize_read`] is the one place a call is allowed before any row
//! is read: the `read` scope check of credential scopes belongs there.

use std::fmt::Write as _;
use std::sync::{Arc, LazyLock};

use kommo_mcp::{InvalidArgument, ReadAccess, ReadError, ReadFuture, ReadTool, ReadTools};
use kommo_store::query::{Grant, JsonPage};
use kommo_store::{Integration, Store};
use serde_json::{Map, Value, json};
use tokio::sync::Semaphore;

use crate::error::ApiError;
use crate::params::{self, Kind, MAX_IDS, MAX_TEXT, ParamSpec, TASK_ENTITY_TYPES};

/// Rows a page when `limit` is not given: a page a model can take in whole.
pub const DEFAULT_LIMIT: u32 = 50;
/// The largest `limit` of a tool; larger numbers are clamped to it.
pub const MAX_LIMIT: u32 = 100;
/// The argument that carries a previous result's `next_page` (in place of `page`).
pub const CURSOR: &str = "cursor";

/// Which store read a tool runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    Leads,
    Contacts,
    Companies,
    Tasks,
    Pipelines,
    Users,
    LeadStatusChanges,
    LeadStages,
    Funnel,
}

/// One resource of the data API as a tool.
#[derive(Debug)]
struct Resource {
    tool: &'static str,
    title: &'static str,
    /// The HTTP route, whose OpenAPI summary and description say what the data is.
    path: &'static str,
    table: &'static [ParamSpec],
    read: Read,
    /// The live action that lists the same things from Kommo, if there is one.
    live: Option<&'static str>,
}

const RESOURCES: [Resource; 9] = [
    Resource {
        tool: "KOMMO_DATA_LEADS",
        title: "Leads (synced copy)",
        path: "/v1/kommo/leads",
        table: params::LEADS,
        read: Read::Leads,
        live: Some("KOMMO_LIST_LEADS"),
    },
    Resource {
        tool: "KOMMO_DATA_CONTACTS",
        title: "Contacts (synced copy)",
        path: "/v1/kommo/contacts",
        table: params::CONTACTS,
        read: Read::Contacts,
        live: Some("KOMMO_LIST_CONTACTS"),
    },
    Resource {
        tool: "KOMMO_DATA_COMPANIES",
        title: "Companies (synced copy)",
        path: "/v1/kommo/companies",
        table: params::COMPANIES,
        read: Read::Companies,
        live: Some("KOMMO_LIST_COMPANIES"),
    },
    Resource {
        tool: "KOMMO_DATA_TASKS",
        title: "Tasks (synced copy)",
        path: "/v1/kommo/tasks",
        table: params::TASKS,
        read: Read::Tasks,
        live: Some("KOMMO_LIST_TASKS"),
    },
    Resource {
        tool: "KOMMO_DATA_PIPELINES",
        title: "Pipelines and stages (synced copy)",
        path: "/v1/kommo/pipelines",
        table: params::PIPELINES,
        read: Read::Pipelines,
        live: Some("KOMMO_LIST_LEADS_PIPELINES"),
    },
    Resource {
        tool: "KOMMO_DATA_USERS",
        title: "Users (synced copy)",
        path: "/v1/kommo/users",
        table: params::USERS,
        read: Read::Users,
        live: None,
    },
    Resource {
        tool: "KOMMO_DATA_LEAD_STATUS_CHANGES",
        title: "Lead status changes (synced copy)",
        path: "/v1/kommo/lead-status-changes",
        table: params::LEAD_STATUS_CHANGES,
        read: Read::LeadStatusChanges,
        live: None,
    },
    Resource {
        tool: "KOMMO_DATA_LEAD_STAGES",
        title: "Lead stage history (synced copy)",
        path: "/v1/kommo/lead-stages",
        table: params::LEAD_STAGES,
        read: Read::LeadStages,
        live: None,
    },
    Resource {
        tool: "KOMMO_DATA_FUNNEL",
        title: "Pipeline funnel (synced copy)",
        path: "/v1/kommo/funnel",
        table: params::FUNNEL,
        read: Read::Funnel,
        live: None,
    },
];

/// The tools as listed, built once from the parameter tables and the OpenAPI document.
static TOOLS: LazyLock<Vec<ReadTool>> = LazyLock::new(|| {
    let api = crate::openapi_document();
    RESOURCES
        .iter()
        .map(|resource| {
            let operation = api
                .paths
                .paths
                .get(resource.path)
                .and_then(|item| item.get.as_ref());
            let summary = operation.and_then(|op| op.summary.as_deref());
            let details = operation.and_then(|op| op.description.as_deref());
            ReadTool {
                name: resource.tool.to_owned(),
                title: resource.title.to_owned(),
                description: description(resource, summary, details),
                input_schema: input_schema(resource.table),
            }
        })
        .collect()
});

/// Every read tool, as listed to MCP clients.
pub fn tools() -> &'static [ReadTool] {
    &TOOLS
}

/// What the data is (the HTTP route's own documentation), how fresh it is, how it pages, and
/// how it differs from the live actions.
fn description(resource: &Resource, summary: Option<&str>, details: Option<&str>) -> String {
    let mut text = String::new();
    if let Some(summary) = summary {
        text.push_str(summary.trim_end_matches('.'));
        text.push_str(". ");
    }
    if let Some(details) = details {
        text.push_str(&details.replace('\n', " "));
        text.push(' ');
    }
    let _ = write!(
        text,
        "\n\nReads kommo-data's synced copy of this Kommo account (the rows of the data API's \
         GET {}, same filters): no request to Kommo, no rate limit, fast. It is as fresh as the \
         last sync: every result carries `last_synced_at` (RFC 3339; null if the account never \
         synced). ",
        resource.path
    );
    match resource.live {
        Some(live) => {
            let _ = write!(
                text,
                "Prefer it to the live action {live}, which asks Kommo itself (slow, \
                 rate-limited); use that only for changes newer than `last_synced_at`. "
            );
        }
        None => text.push_str("No live action lists this; only the synced copy has it. "),
    }
    if resource.read == Read::Funnel {
        text.push_str(
            "Answers the summary, not rows: {\"data\": {\"pipeline_id\", \"stages\", \"totals\", ...}, \
             \"last_synced_at\"}.",
        );
    } else {
        let _ = write!(
            text,
            "Answers {{\"data\": [rows], \"next_page\", \"last_synced_at\"}}, `limit` rows a page \
             (default {DEFAULT_LIMIT}, at most {MAX_LIMIT}); for the next page call again with the \
             same arguments and `{CURSOR}` set to `next_page` (null after the last page)."
        );
    }
    text
}

/// The name a table entry has as a tool argument: tenancy comes from the session, and the
/// page from the cursor.
fn argument_name(spec: &ParamSpec) -> Option<&'static str> {
    match spec.kind {
        Kind::Workspace | Kind::Organization | Kind::Integrations => None,
        Kind::Page => Some(CURSOR),
        _ => Some(spec.name),
    }
}

/// The JSON Schema of one table's arguments.
fn input_schema(table: &[ParamSpec]) -> Map<String, Value> {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for spec in table {
        let Some(name) = argument_name(spec) else {
            continue;
        };
        if spec.kind == Kind::RequiredId {
            required.push(Value::String(name.to_owned()));
        }
        properties.insert(name.to_owned(), property(spec));
    }
    let mut schema = Map::new();
    schema.insert("type".to_owned(), json!("object"));
    schema.insert("properties".to_owned(), Value::Object(properties));
    if !required.is_empty() {
        schema.insert("required".to_owned(), Value::Array(required));
    }
    schema.insert("additionalProperties".to_owned(), json!(false));
    schema
}

/// One argument's schema, by its kind, with its table description.
fn property(spec: &ParamSpec) -> Value {
    let described = |mut schema: Value, description: String| {
        schema["description"] = Value::String(description);
        schema
    };
    let text = spec.description.to_owned();
    match spec.kind {
        Kind::Ids => described(
            json!({"anyOf": [
                {"type": "integer", "minimum": 0},
                {"type": "array", "items": {"type": "integer", "minimum": 0}, "maxItems": MAX_IDS},
            ]}),
            format!(
                "{} One id or an array of ids, meaning any of them.",
                text.replace(" (comma-separated list)", "")
            ),
        ),
        Kind::Text | Kind::Email | Kind::Phone => {
            described(json!({"type": "string", "maxLength": MAX_TEXT}), text)
        }
        Kind::TimeStart | Kind::TimeEnd => described(
            json!({"type": "string"}),
            format!("{text} E.g. 2026-01-01T00:00:00Z or 2026-01-01."),
        ),
        Kind::Integer => described(json!({"type": "integer"}), text),
        Kind::RequiredId => described(json!({"type": "integer", "minimum": 1}), text),
        Kind::Bool => described(json!({"type": "boolean"}), text),
        Kind::Deleted => described(json!({"enum": [false, true, "any"]}), text),
        Kind::EntityTypes => described(
            json!({"anyOf": [
                {"type": "string", "enum": TASK_ENTITY_TYPES},
                {"type": "array", "items": {"type": "string", "enum": TASK_ENTITY_TYPES}},
            ]}),
            text,
        ),
        Kind::OrderBy(columns) => described(json!({"type": "string", "enum": columns}), text),
        Kind::Direction => described(json!({"type": "string", "enum": ["asc", "desc"]}), text),
        Kind::Limit => described(
            json!({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}),
            format!(
                "Rows a page, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}); larger numbers are clamped to {MAX_LIMIT}."
            ),
        ),
        Kind::Page => described(
            json!({"type": "string"}),
            "The `next_page` of the previous result, to read the page after it; send the same \
             other arguments. Leave it out for the first page."
                .to_owned(),
        ),
        // Never an argument (see `argument_name`).
        Kind::Workspace | Kind::Organization | Kind::Integrations => described(json!({}), text),
    }
}

/// The arguments as the resource's query string (its parser's input), without the page; and
/// the page the cursor asks for.
#[derive(Debug, PartialEq, Eq)]
struct Request {
    /// `workspaceId=...&integrationId=...&<filters>&limit=...`, in table order.
    query: String,
    page: u32,
}

fn to_request(
    resource: &Resource,
    args: &Map<String, Value>,
    access: &ReadAccess,
) -> Result<Request, ReadError> {
    let mut invalid = Vec::new();
    for name in args.keys() {
        if !resource
            .table
            .iter()
            .any(|spec| argument_name(spec) == Some(name.as_str()))
        {
            invalid.push(InvalidArgument {
                name: shorten(name),
                reason: unknown_reason(name, resource.table),
            });
        }
    }
    let mut query = format!(
        "workspaceId={}&integrationId={}",
        encode(&access.workspace_id),
        encode(&access.integration_id)
    );
    let mut cursor = None;
    for spec in resource.table {
        let Some(name) = argument_name(spec) else {
            continue;
        };
        let value = args.get(name).filter(|v| !v.is_null());
        if spec.kind == Kind::Page {
            cursor = value;
            continue;
        }
        let text = match (spec.kind, value) {
            (Kind::Limit, None) => Ok(Some(DEFAULT_LIMIT.to_string())),
            (_, None) => Ok(None),
            (kind, Some(value)) => argument_text(kind, value),
        };
        match text {
            Ok(Some(text)) => {
                let _ = write!(query, "&{}={}", spec.name, encode(&text));
            }
            Ok(None) => {}
            Err(reason) => invalid.push(InvalidArgument {
                name: name.to_owned(),
                reason,
            }),
        }
    }
    let page = match cursor {
        None => Ok(1),
        Some(Value::String(cursor)) => page_of(cursor, &query).ok_or_else(|| {
            "not the `next_page` of a call with these arguments: send it back with the same \
             other arguments, or leave `cursor` out to start from the first page"
                .to_owned()
        }),
        Some(_) => Err("expected the `next_page` string of a previous result".to_owned()),
    };
    let page = page.unwrap_or_else(|reason| {
        invalid.push(InvalidArgument {
            name: CURSOR.to_owned(),
            reason,
        });
        1
    });
    if invalid.is_empty() {
        Ok(Request { query, page })
    } else {
        Err(ReadError::InvalidInput(invalid))
    }
}

/// One argument as the query parameter's text (`None`: absent), or why it cannot be.
fn argument_text(kind: Kind, value: &Value) -> Result<Option<String>, String> {
    let expected = |what: &str| format!("expected {what}, got {}", shorten(&value.to_string()));
    match (kind, value) {
        // Strings go to the resource's parser, which checks them as the HTTP API does.
        (_, Value::String(text)) if kind != Kind::Limit => Ok(Some(text.clone())),
        (Kind::Ids, Value::Number(n)) if n.is_u64() => Ok(Some(n.to_string())),
        (Kind::Ids, Value::Array(items)) => items
            .iter()
            .map(|item| item.as_u64().map(|id| id.to_string()))
            .collect::<Option<Vec<_>>>()
            .map(|ids| Some(ids.join(",")))
            .ok_or_else(|| expected("a Kommo id (a whole number) or an array of them")),
        (Kind::Ids, _) => Err(expected("a Kommo id (a whole number) or an array of them")),
        (Kind::Integer | Kind::RequiredId, Value::Number(n)) if n.is_i64() || n.is_u64() => {
            Ok(Some(n.to_string()))
        }
        (Kind::Integer | Kind::RequiredId, _) => Err(expected("a whole number")),
        (Kind::Phone, Value::Number(n)) if n.is_u64() => Ok(Some(n.to_string())),
        (Kind::Bool | Kind::Deleted, Value::Bool(b)) => Ok(Some(b.to_string())),
        (Kind::Bool, _) => Err(expected("true or false")),
        (Kind::Deleted, _) => Err(expected("false, true or \"any\"")),
        (Kind::EntityTypes, Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .map(|types| Some(types.join(",")))
            .ok_or_else(|| {
                expected(&format!(
                    "one of {} or an array of them",
                    TASK_ENTITY_TYPES.join(", ")
                ))
            }),
        (Kind::EntityTypes, _) => Err(expected(&format!(
            "one of {} or an array of them",
            TASK_ENTITY_TYPES.join(", ")
        ))),
        (Kind::Limit, Value::Number(n)) if n.is_i64() || n.is_u64() => {
            let wanted = n.as_i64().unwrap_or(i64::MAX);
            Ok(Some(wanted.clamp(1, i64::from(MAX_LIMIT)).to_string()))
        }
        (Kind::Limit, _) => Err(expected(&format!("a whole number from 1 to {MAX_LIMIT}"))),
        _ => Err(expected("a string")),
    }
}

/// The cursor of page `page` of `query`: the page number and a fingerprint of the arguments,
/// so a cursor sent with other filters (whose page numbers mean other rows) is refused.
fn cursor_of(page: u32, query: &str) -> String {
    format!("{page}-{:016x}", fingerprint(query))
}

fn page_of(cursor: &str, query: &str) -> Option<u32> {
    let (page, print) = cursor.split_once('-')?;
    let page: u32 = page.parse().ok()?;
    (page >= 2 && print == format!("{:016x}", fingerprint(query))).then_some(page)
}

/// FNV-1a: stable across builds and processes, unlike std's hasher.
fn fingerprint(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

fn shorten(text: &str) -> String {
    const KEEP: usize = 60;
    if text.chars().count() <= KEEP {
        text.to_owned()
    } else {
        format!("{}...", text.chars().take(KEEP).collect::<String>())
    }
}

fn unknown_reason(name: &str, table: &[ParamSpec]) -> String {
    if table
        .iter()
        .any(|spec| argument_name(spec).is_none() && spec.name == name)
    {
        return "the session's workspace and integration are the ones read; leave it out"
            .to_owned();
    }
    let accepted: Vec<&str> = table.iter().filter_map(argument_name).collect();
    let hint = accepted
        .iter()
        .find(|accepted| accepted.eq_ignore_ascii_case(name))
        .map(|accepted| format!(" (did you mean {accepted}?)"))
        .or_else(|| {
            (name == "page").then(|| format!(" (pass a result's `next_page` as `{CURSOR}`)"))
        })
        .unwrap_or_default();
    format!("unknown argument{hint}; accepted: {}", accepted.join(", "))
}

/// The parser's or the store's refusal, named as the tool's arguments.
fn read_error(error: ApiError) -> ReadError {
    match error {
        ApiError::BadRequest { invalid_params, .. } => ReadError::InvalidInput(
            invalid_params
                .into_iter()
                .map(|param| InvalidArgument {
                    name: if param.name == "page" {
                        CURSOR.to_owned()
                    } else {
                        param.name
                    },
                    reason: param.reason,
                })
                .collect(),
        ),
        ApiError::Forbidden { detail } => ReadError::Refused(detail),
        ApiError::Unauthorized | ApiError::RateLimited { .. } => {
            ReadError::Refused(error.to_string())
        }
        ApiError::NotFound { detail } => ReadError::NotFound(detail),
        ApiError::Unavailable { detail } => ReadError::Unavailable(detail),
        ApiError::Internal { error_id } => ReadError::Unavailable(format!("error id {error_id}")),
    }
}

/// The one place a read tool call is allowed or refused before any row is read. Today a
/// call needs what a data API request needs: a grant of the session's workspace (the store
/// checks the grant again on every read). When credentials get scopes, the `read` scope
/// check goes here.
fn authorize_read(access: &ReadAccess) -> Result<(), ReadError> {
    if access.grant.workspace_ids.contains(&access.workspace_id) {
        Ok(())
    } else {
        Err(ReadError::Refused(format!(
            "these credentials are not granted workspace {:?}",
            access.workspace_id
        )))
    }
}

/// What the stdio server (`kommo-data mcp`) reads as: whoever runs it holds the database and
/// its key, so it needs no credentials; it reads its integration's workspace, and in it only
/// that integration's rows.
pub fn stdio_access(integration: &Integration) -> ReadAccess {
    ReadAccess {
        grant: Grant {
            client_id: format!("stdio:{}", integration.id),
            organization_id: integration.organization_id.clone(),
            workspace_ids: vec![integration.workspace_id.clone()],
            requests_per_minute: 0,
        },
        workspace_id: integration.workspace_id.clone(),
        integration_id: integration.id.clone(),
    }
}

/// The read tools over a store.
#[derive(Debug, Clone)]
pub struct DataTools {
    store: Store,
    /// Shared with the HTTP handlers when both serve, so tools wait their turn like requests.
    turns: Option<Arc<Semaphore>>,
}

impl DataTools {
    /// Read tools over `store`, reads unlimited but by the store's pool (stdio).
    pub fn new(store: Store) -> Self {
        Self { store, turns: None }
    }

    /// Read tools taking turns with the HTTP handlers' reads.
    pub(crate) fn taking_turns(store: Store, turns: Arc<Semaphore>) -> Self {
        Self {
            store,
            turns: Some(turns),
        }
    }

    async fn run(
        &self,
        name: &str,
        args: Map<String, Value>,
        access: &ReadAccess,
    ) -> Result<String, ReadError> {
        let Some(resource) = RESOURCES.iter().find(|r| r.tool == name) else {
            return Err(ReadError::NotFound(format!(
                "there is no read tool {name:?}"
            )));
        };
        authorize_read(access)?;
        let request = to_request(resource, &args, access)?;
        let _turn = match &self.turns {
            Some(turns) => turns.clone().acquire_owned().await.ok(),
            None => None,
        };
        let last_synced_at = self
            .store
            .last_successful_sync(&access.integration_id)
            .await
            .map_err(|error| read_error(error.into()))?
            .and_then(kommo_store::unix_millis_to_rfc3339);
        let query = format!("{}&page={}", request.query, request.page);
        let grant = &access.grant;
        let store = &self.store;
        let parse_error = read_error;
        let store_error = |error: kommo_store::StoreError| read_error(error.into());
        let page = match resource.read {
            Read::Leads => {
                let q = params::leads(Some(&query)).map_err(parse_error)?;
                store.leads_json(grant, &q).await.map_err(store_error)?
            }
            Read::Contacts => {
                let q = params::contacts(Some(&query)).map_err(parse_error)?;
                store.contacts_json(grant, &q).await.map_err(store_error)?
            }
            Read::Companies => {
                let q = params::companies(Some(&query)).map_err(parse_error)?;
                store.companies_json(grant, &q).await.map_err(store_error)?
            }
            Read::Tasks => {
                let q = params::tasks(Some(&query)).map_err(parse_error)?;
                store.tasks_json(grant, &q).await.map_err(store_error)?
            }
            Read::Pipelines => {
                let q = params::pipelines(Some(&query)).map_err(parse_error)?;
                store.pipelines_json(grant, &q).await.map_err(store_error)?
            }
            Read::Users => {
                let q = params::users(Some(&query)).map_err(parse_error)?;
                store.users_json(grant, &q).await.map_err(store_error)?
            }
            Read::LeadStatusChanges => {
                let q = params::lead_status_changes(Some(&query)).map_err(parse_error)?;
                store
                    .lead_status_changes_json(grant, &q)
                    .await
                    .map_err(store_error)?
            }
            Read::LeadStages => {
                let q = params::lead_stages(Some(&query)).map_err(parse_error)?;
                store
                    .lead_stages_json(grant, &q)
                    .await
                    .map_err(store_error)?
            }
            Read::Funnel => {
                // The funnel's table has no page: its query is the arguments alone.
                let q = params::funnel(Some(&request.query)).map_err(parse_error)?;
                let funnel = store.funnel(grant, &q).await.map_err(store_error)?;
                return render_summary(&funnel, last_synced_at.as_deref());
            }
        };
        render_page(&page, &request.query, last_synced_at.as_deref())
    }
}

/// A failure to write a result: logged under an error id, which the tool error repeats.
fn unreadable(error: &(dyn std::error::Error + 'static)) -> ReadError {
    read_error(ApiError::internal(error))
}

/// `{"data": <the summary, as the HTTP API serves it>, "last_synced_at"}`.
fn render_summary(
    summary: &impl serde::Serialize,
    last_synced_at: Option<&str>,
) -> Result<String, ReadError> {
    let mut out = b"{\"data\":".to_vec();
    serde_json::to_writer(&mut out, summary).map_err(|e| unreadable(&e))?;
    out.extend_from_slice(b",\"last_synced_at\":");
    serde_json::to_writer(&mut out, &last_synced_at).map_err(|e| unreadable(&e))?;
    out.push(b'}');
    String::from_utf8(out).map_err(|e| unreadable(&e))
}

/// `{"data": <the store's rows, as the HTTP API serves them>, "next_page", "last_synced_at"}`.
fn render_page(
    page: &JsonPage,
    query: &str,
    last_synced_at: Option<&str>,
) -> Result<String, ReadError> {
    let next_page = page
        .has_next_page
        .then(|| cursor_of(page.page.saturating_add(1), query));
    let mut out = Vec::with_capacity(page.rows.len() + 128);
    out.extend_from_slice(b"{\"data\":");
    out.extend_from_slice(&page.rows);
    out.extend_from_slice(b",\"next_page\":");
    serde_json::to_writer(&mut out, &next_page).map_err(|e| unreadable(&e))?;
    out.extend_from_slice(b",\"last_synced_at\":");
    serde_json::to_writer(&mut out, &last_synced_at).map_err(|e| unreadable(&e))?;
    out.push(b'}');
    String::from_utf8(out).map_err(|e| unreadable(&e))
}

impl ReadTools for DataTools {
    fn tools(&self) -> &[ReadTool] {
        tools()
    }

    fn call<'a>(
        &'a self,
        name: &'a str,
        args: Map<String, Value>,
        access: &'a ReadAccess,
    ) -> ReadFuture<'a> {
        Box::pin(self.run(name, args, access))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access() -> ReadAccess {
        ReadAccess {
            grant: Grant {
                client_id: "kd_1".into(),
                organization_id: "o".into(),
                workspace_ids: vec!["ws".into()],
                requests_per_minute: 0,
            },
            workspace_id: "ws".into(),
            integration_id: "int-1".into(),
        }
    }

    fn resource(tool: &str) -> &'static Resource {
        RESOURCES.iter().find(|r| r.tool == tool).unwrap()
    }

    fn args(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    fn invalid(error: ReadError) -> Vec<String> {
        match error {
            ReadError::InvalidInput(args) => args.into_iter().map(|a| a.name).collect(),
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn one_tool_per_documented_resource_with_its_table_as_inputs() {
        let api = crate::openapi_document();
        let documented: Vec<&String> = api
            .paths
            .paths
            .keys()
            .filter(|path| path.starts_with("/v1/kommo/") && !path.contains("actions"))
            .collect();
        assert_eq!(documented.len(), RESOURCES.len(), "{documented:?}");
        for (tool, resource) in tools().iter().zip(&RESOURCES) {
            assert!(documented.contains(&&resource.path.to_owned()));
            assert!(
                kommo_actions::Catalog::get(&tool.name).is_none(),
                "{} is also an action",
                tool.name
            );
            let properties = tool.input_schema["properties"].as_object().unwrap();
            let expected: Vec<&str> = resource.table.iter().filter_map(argument_name).collect();
            let listed: Vec<&str> = properties.keys().map(String::as_str).collect();
            let mut sorted = expected.clone();
            sorted.sort_unstable();
            assert_eq!(listed, sorted, "{}", tool.name);
            assert!(!listed.contains(&"workspaceId") && !listed.contains(&"page"));
            for property in properties.values() {
                assert!(
                    property["description"]
                        .as_str()
                        .is_some_and(|d| !d.is_empty())
                );
            }
            assert!(tool.description.contains("last_synced_at"), "{}", tool.name);
            assert!(tool.description.len() > 200, "{}", tool.name);
        }
        let funnel = &tools()[8];
        assert_eq!(funnel.input_schema["required"], json!(["pipelineId"]));
        assert!(funnel.description.contains("summary, not rows"));
        assert!(tools()[0].description.contains("KOMMO_LIST_LEADS"));
    }

    /// A valid argument of every kind of every table reaches the resource's parser, which
    /// accepts it: no argument a schema offers is refused or ignored.
    #[test]
    fn every_argument_a_schema_offers_parses() {
        fn sample(kind: Kind) -> Value {
            match kind {
                Kind::Ids => json!([1, 2]),
                Kind::Text | Kind::Email => json!("a"),
                Kind::Phone => json!("+55 11 9999-0000"),
                Kind::TimeStart => json!("2026-01-01"),
                Kind::TimeEnd => json!("2026-01-02T00:00:00Z"),
                Kind::Integer => json!(-1),
                Kind::RequiredId => json!(7),
                Kind::Bool => json!(true),
                Kind::Deleted => json!("any"),
                Kind::EntityTypes => json!(["leads", "companies"]),
                Kind::Limit => json!(1000),
                Kind::OrderBy(columns) => json!(columns[0]),
                Kind::Direction => json!("asc"),
                Kind::Page | Kind::Workspace | Kind::Organization | Kind::Integrations => {
                    Value::Null
                }
            }
        }
        for resource in &RESOURCES {
            let all: Map<String, Value> = resource
                .table
                .iter()
                .filter_map(|spec| Some((argument_name(spec)?.to_owned(), sample(spec.kind))))
                .filter(|(_, v)| !v.is_null())
                .collect();
            let request = to_request(resource, &all, &access()).unwrap();
            let query = format!("{}&page={}", request.query, request.page);
            let parsed = match resource.read {
                Read::Leads => params::leads(Some(&query)).map(|_| ()),
                Read::Contacts => params::contacts(Some(&query)).map(|_| ()),
                Read::Companies => params::companies(Some(&query)).map(|_| ()),
                Read::Tasks => params::tasks(Some(&query)).map(|_| ()),
                Read::Pipelines => params::pipelines(Some(&query)).map(|_| ()),
                Read::Users => params::users(Some(&query)).map(|_| ()),
                Read::LeadStatusChanges => params::lead_status_changes(Some(&query)).map(|_| ()),
                Read::LeadStages => params::lead_stages(Some(&query)).map(|_| ()),
                Read::Funnel => params::funnel(Some(&request.query)).map(|_| ()),
            };
            parsed.unwrap_or_else(|e| panic!("{}: {query}: {e:?}", resource.tool));
        }
    }

    #[test]
    fn arguments_become_the_resource_query() {
        let leads = resource("KOMMO_DATA_LEADS");
        let request = to_request(
            leads,
            &args(json!({"statusId": [142, 143], "tagName": "a,b c", "isDeleted": true, "limit": 500})),
            &access(),
        )
        .unwrap();
        assert_eq!(
            request.query,
            "workspaceId=ws&integrationId=int-1&statusId=142%2C143&tagName=a%2Cb%20c&isDeleted=true&limit=100"
        );
        assert_eq!(request.page, 1);
        let q = params::leads(Some(&request.query)).unwrap();
        assert_eq!(q.filter.tag_name.as_deref(), Some("a,b c"));
        assert_eq!(q.scope.integration_ids, vec!["int-1".to_owned()]);
        let default = to_request(leads, &Map::new(), &access()).unwrap();
        assert!(default.query.ends_with("&limit=50"), "{}", default.query);
    }

    #[test]
    fn the_cursor_is_bound_to_the_arguments() {
        let leads = resource("KOMMO_DATA_LEADS");
        let first = to_request(leads, &args(json!({"pipelineId": 7})), &access()).unwrap();
        let cursor = cursor_of(3, &first.query);
        let third = to_request(
            leads,
            &args(json!({"pipelineId": 7, "cursor": cursor})),
            &access(),
        )
        .unwrap();
        assert_eq!(third.page, 3);
        for bad in [
            json!({"pipelineId": 8, "cursor": cursor}),
            json!({"pipelineId": 7, "limit": 10, "cursor": cursor}),
            json!({"pipelineId": 7, "cursor": "3"}),
            json!({"pipelineId": 7, "cursor": 3}),
        ] {
            assert_eq!(
                invalid(to_request(leads, &args(bad.clone()), &access()).unwrap_err()),
                ["cursor"],
                "{bad}"
            );
        }
    }

    #[test]
    fn wrong_arguments_are_named() {
        let leads = resource("KOMMO_DATA_LEADS");
        let error = to_request(
            leads,
            &args(json!({"statusID": 1, "workspaceId": "x", "page": 2, "pipelineId": "x"})),
            &access(),
        )
        .unwrap_err();
        let message = error.to_string();
        assert!(message.contains("did you mean statusId?"), "{message}");
        assert!(message.contains("`cursor`"), "{message}");
        let mut names = invalid(error);
        names.sort();
        assert_eq!(names, ["page", "statusID", "workspaceId"]);
        // A wrong value of the right type is the parser's to name, as for HTTP.
        let request = to_request(leads, &args(json!({"statusId": "x"})), &access()).unwrap();
        let parsed = read_error(params::leads(Some(&request.query)).unwrap_err());
        assert_eq!(invalid(parsed), ["statusId"]);
        for (value, field) in [
            (json!({"statusId": [1, -2]}), "statusId"),
            (json!({"isDeleted": 1}), "isDeleted"),
            (json!({"limit": "ten"}), "limit"),
            (json!({"createdStart": 5}), "createdStart"),
        ] {
            assert_eq!(
                invalid(to_request(leads, &args(value), &access()).unwrap_err()),
                [field]
            );
        }
    }

    #[test]
    fn a_grant_without_the_workspace_is_refused() {
        let mut other = access();
        other.workspace_id = "ws-other".into();
        assert!(matches!(authorize_read(&other), Err(ReadError::Refused(_))));
        assert!(authorize_read(&access()).is_ok());
    }
}
