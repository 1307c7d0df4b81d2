//! The MCP server handler: the catalog's actions as tools, and the host's read tools over
//! the local copy when it has any.

use std::sync::Arc;

use kommo_actions::{ActionContext, ActionInfo, Catalog, CatalogError, Envelope};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::Value;

use crate::config::{INTEGRATION_HEADER, WORKSPACE_HEADER};
use crate::read::{ReadAccess, ReadError, ReadTool, ReadTools};

const INSTRUCTIONS: &str = "Tools that act on one Kommo CRM account: create, update and list leads, contacts, \
companies and tasks; list custom fields; manage pipelines and their stages. Every tool answers \
{\"data\", \"error\", \"successful\"}; when `successful` is false, `error` says which input field was wrong, \
Kommo's own validation messages, or when the rate limit allows a retry. Look ids up first \
(KOMMO_LIST_LEADS_PIPELINES for pipeline and stage ids, KOMMO_LIST_CUSTOM_FIELDS for custom field ids).";

/// Added to the instructions when the read tools are served.
const READ_INSTRUCTIONS: &str = " To look data up, prefer the read-only KOMMO_DATA_* tools: they read this \
service's synced copy of the account (no Kommo request, no rate limit; `last_synced_at` in every result says \
how fresh it is) and page with `next_page`. Use the live KOMMO_LIST_* / KOMMO_GET_* actions only when the data \
must be newer than the last sync.";

/// Serves the action catalog, and the host's read tools if it has any, as MCP tools.
#[derive(Debug, Clone)]
pub struct KommoServer {
    /// The account every call acts on (stdio), or `None` when each HTTP request brings its own.
    fixed: Option<ActionContext>,
    reads: Option<Reads>,
}

/// The read tools, and what they read as when every call reads the same (stdio).
#[derive(Debug, Clone)]
struct Reads {
    tools: Arc<dyn ReadTools>,
    fixed: Option<ReadAccess>,
}

impl KommoServer {
    /// Every call acts on `ctx`.
    pub fn new(ctx: ActionContext) -> Self {
        Self {
            fixed: Some(ctx),
            reads: None,
        }
    }

    /// Each call acts on the [`ActionContext`] found in its HTTP request's extensions.
    pub fn per_request() -> Self {
        Self {
            fixed: None,
            reads: None,
        }
    }

    /// Also serves `tools`, reading as `access`, or, when `None`, as the [`ReadAccess`]
    /// found in each HTTP request's extensions.
    pub fn with_reads(mut self, tools: Arc<dyn ReadTools>, access: Option<ReadAccess>) -> Self {
        self.reads = Some(Reads {
            tools,
            fixed: access,
        });
        self
    }

    fn read_tool(&self, name: &str) -> Option<&ReadTool> {
        self.reads
            .as_ref()
            .and_then(|reads| reads.tools.tools().iter().find(|tool| tool.name == name))
    }

    fn context(&self, request: &RequestContext<RoleServer>) -> Option<ActionContext> {
        if let Some(ctx) = &self.fixed {
            return Some(ctx.clone());
        }
        request
            .extensions
            .get::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<ActionContext>())
            .cloned()
    }

    fn read_access(
        &self,
        reads: &Reads,
        request: &RequestContext<RoleServer>,
    ) -> Option<ReadAccess> {
        if let Some(access) = &reads.fixed {
            return Some(access.clone());
        }
        request
            .extensions
            .get::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<ReadAccess>())
            .cloned()
    }

    async fn call_read(
        &self,
        reads: &Reads,
        name: &str,
        args: serde_json::Map<String, Value>,
        context: &RequestContext<RoleServer>,
    ) -> CallToolResult {
        let Some(access) = self.read_access(reads, context) else {
            return CallToolResult::structured_error(
                ReadError::Refused(format!(
                    "no workspace selected for this session: send the `{WORKSPACE_HEADER}` and \
                     `{INTEGRATION_HEADER}` headers with every request"
                ))
                .to_value(),
            );
        };
        match reads.tools.call(name, args, &access).await {
            Ok(text) => match serde_json::from_str::<Value>(&text) {
                Ok(value) => {
                    // The text as the host wrote it (the data API's bytes), and the same as
                    // structured content.
                    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
                    result.structured_content = Some(value);
                    result
                }
                Err(error) => {
                    tracing::error!(tool = name, error = %error, "a read tool answered text that is not JSON");
                    CallToolResult::structured_error(
                        ReadError::Unavailable("the result was not JSON".to_owned()).to_value(),
                    )
                }
            },
            Err(error) => CallToolResult::structured_error(error.to_value()),
        }
    }
}

/// The MCP tool for one read tool: read-only, idempotent, and closed-world (it reads the
/// local copy, never Kommo).
pub(crate) fn read_tool(info: &ReadTool) -> Tool {
    let annotations = ToolAnnotations::with_title(info.title.clone())
        .read_only(true)
        .destructive(false)
        .idempotent(true)
        .open_world(false);
    Tool::new(
        info.name.clone(),
        info.description.clone(),
        Arc::new(info.input_schema.clone()),
    )
    .with_title(info.title.clone())
    .with_annotations(annotations)
}

/// The MCP tool for one action: same name, same input schema.
pub(crate) fn tool(info: &ActionInfo) -> Tool {
    let schema = match &info.input_schema {
        Value::Object(map) => map.clone(),
        _ => serde_json::Map::new(),
    };
    let annotations = ToolAnnotations::with_title(info.title)
        .read_only(info.kind.is_read_only())
        .destructive(info.kind.is_destructive())
        .idempotent(info.kind.is_idempotent())
        .open_world(true);
    Tool::new(info.name, info.description, Arc::new(schema))
        .with_title(info.title)
        .with_annotations(annotations)
}

fn envelope_result(envelope: &Envelope) -> CallToolResult {
    let value = envelope.to_value();
    if envelope.successful {
        CallToolResult::structured(value)
    } else {
        CallToolResult::structured_error(value)
    }
}

impl ServerHandler for KommoServer {
    fn get_info(&self) -> ServerConfig {
        let instructions = if self.reads.is_some() {
            format!("{INSTRUCTIONS}{READ_INSTRUCTIONS}")
        } else {
            INSTRUCTIONS.to_owned()
        };
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("kommo-data", env!("CARGO_PKG_VERSION"))
                    .with_title("Kommo CRM actions"),
            )
            .with_instructions(instructions)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let reads = self
            .reads
            .iter()
            .flat_map(|reads| reads.tools.tools().iter().map(read_tool));
        Ok(ListToolsResult::with_all_items(
            reads.chain(Catalog::list().map(tool)).collect(),
        ))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.read_tool(name)
            .map(read_tool)
            .or_else(|| Catalog::get(name).map(tool))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let name = request.name.as_ref();
        if let Some(reads) = &self.reads
            && self.read_tool(name).is_some()
        {
            let args = request.arguments.unwrap_or_default();
            return Ok(self.call_read(reads, name, args, &context).await.into());
        }
        if Catalog::get(name).is_none() {
            return Err(ErrorData::invalid_params(
                format!("unknown tool {name:?}; list the tools to see their names"),
                None,
            ));
        }
        let Some(ctx) = self.context(&context) else {
            let envelope = Envelope::failure(format!(
                "no Kommo integration selected for this session: send the `{WORKSPACE_HEADER}` and \
                 `{INTEGRATION_HEADER}` headers with every request"
            ));
            return Ok(envelope_result(&envelope).into());
        };
        let input = Value::Object(request.arguments.unwrap_or_default());
        let envelope = match Catalog::execute(name, &input, &ctx).await {
            Ok(envelope) => envelope,
            // Bad arguments are the model's to fix: a tool error it can read, not a protocol error.
            Err(error @ (CatalogError::InvalidInput(_) | CatalogError::UnknownAction { .. })) => {
                error.to_envelope()
            }
        };
        Ok(envelope_result(&envelope).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_a_tool_with_its_schema_and_hints() {
        let tools: Vec<Tool> = Catalog::list().map(tool).collect();
        assert_eq!(tools.len(), Catalog::list().len());
        for (tool, info) in tools.iter().zip(Catalog::list()) {
            assert_eq!(tool.name, info.name);
            assert_eq!(
                Value::Object((*tool.input_schema).clone()),
                info.input_schema
            );
            let hints = tool.annotations.as_ref().unwrap();
            assert_eq!(hints.read_only_hint, Some(info.kind.is_read_only()));
        }
        let delete = tools
            .iter()
            .find(|t| t.name == "KOMMO_DELETE_PIPELINE")
            .unwrap();
        assert_eq!(
            delete.annotations.as_ref().unwrap().destructive_hint,
            Some(true)
        );
        let create = tools
            .iter()
            .find(|t| t.name == "KOMMO_CREATE_LEAD")
            .unwrap();
        assert_eq!(
            create.annotations.as_ref().unwrap().destructive_hint,
            Some(false)
        );
    }

    #[test]
    fn read_tools_are_listed_read_only_and_closed_world() {
        let mut schema = serde_json::Map::new();
        schema.insert("type".into(), Value::String("object".into()));
        let info = ReadTool {
            name: "KOMMO_DATA_LEADS".into(),
            title: "Leads".into(),
            description: "The synced copy.".into(),
            input_schema: schema.clone(),
        };
        let tool = read_tool(&info);
        assert_eq!(tool.name, "KOMMO_DATA_LEADS");
        assert_eq!(*tool.input_schema, schema);
        let hints = tool.annotations.unwrap();
        assert_eq!(hints.read_only_hint, Some(true));
        assert_eq!(hints.destructive_hint, Some(false));
        assert_eq!(hints.idempotent_hint, Some(true));
        assert_eq!(hints.open_world_hint, Some(false));
    }

    #[test]
    fn a_failed_envelope_is_flagged_as_an_error() {
        let result = envelope_result(&Envelope::failure("field `name`: required"));
        assert_eq!(result.is_error, Some(true));
        let text = serde_json::to_value(&result.content[0]).unwrap();
        let envelope: Value = serde_json::from_str(text["text"].as_str().unwrap()).unwrap();
        assert_eq!(envelope["successful"], false);
        assert_eq!(envelope["error"], "field `name`: required");
        let ok = envelope_result(&Envelope::success(serde_json::json!({"id": 1})));
        assert_eq!(ok.is_error, Some(false));
    }
}
