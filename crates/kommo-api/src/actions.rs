//! The actions over HTTP (`GET /v1/kommo/actions`, `POST /v1/kommo/actions/{name}`) and the
//! guard of the MCP endpoint at `/mcp`: the data API's credentials, then the integration the
//! call acts on, which must belong to a workspace the credentials are granted.
//!
//! Handlers stay thin: the catalog parses, checks and runs; this module maps its outcomes to
//! HTTP and keeps one Kommo client per integration, so every caller of an integration shares
//! its rate limiter and its OAuth refresh. The action's envelope answers what concerns the
//! action (200 when it ran, 400 when its `input` breaks its schema, as
//! `shared/spec/actions.md` asks); what concerns the request itself (an unknown action, a body
//! that is not the request object, credentials) is a problem document like every other route's.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash as _, Hasher as _};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequestParts as _, Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kommo_actions::{
    ActionContext, ActionKind, Catalog, CatalogError, ClientConfig, Envelope, Limiters,
};
use kommo_store::query::Grant;
use kommo_store::{ExposeSecret as _, Integration, IntegrationAuth};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Caller;
use crate::error::{ApiError, InvalidParam};
use crate::state::AppState;

/// How the actions run in this server.
#[derive(Debug, Clone)]
pub struct ActionsConfig {
    /// Host names `/mcp` answers to (see `kommo_mcp::HttpOptions::allowed_hosts`): empty keeps
    /// loopback only; a deployment behind a public name lists it; `*` accepts any.
    pub mcp_allowed_hosts: Vec<String>,
    /// One rate limiter per integration; share it with sync runs of the same process.
    pub limiters: Limiters,
    /// Timeouts and retries of the Kommo clients.
    pub client: ClientConfig,
    /// Ends open MCP sessions when cancelled.
    pub shutdown: CancellationToken,
}

impl Default for ActionsConfig {
    fn default() -> Self {
        Self {
            mcp_allowed_hosts: Vec::new(),
            limiters: Limiters::new(),
            client: ClientConfig::default(),
            shutdown: CancellationToken::new(),
        }
    }
}

/// The actions' share of the app state: the config, and one context per integration.
#[derive(Debug)]
pub(crate) struct Actions {
    config: ActionsConfig,
    /// By integration id, with a fingerprint of the integration's address and credentials so
    /// that a changed token gets a new client.
    contexts: Mutex<HashMap<String, (u64, ActionContext)>>,
}

impl Actions {
    pub(crate) fn new(config: ActionsConfig) -> Self {
        Self {
            config,
            contexts: Mutex::new(HashMap::new()),
        }
    }

    fn context_for(
        &self,
        state: &AppState,
        integration: &Integration,
    ) -> Result<ActionContext, ApiError> {
        let print = fingerprint(integration);
        let mut contexts = self.contexts.lock();
        if let Some((known, ctx)) = contexts.get(&integration.id)
            && *known == print
        {
            return Ok(ctx.clone());
        }
        let ctx = ActionContext::for_integration(
            state.store(),
            integration,
            &self.config.limiters,
            self.config.client.clone(),
        )
        .map_err(|error| ApiError::internal(&error))?;
        contexts.insert(integration.id.clone(), (print, ctx.clone()));
        Ok(ctx)
    }
}

fn fingerprint(integration: &Integration) -> u64 {
    let mut hasher = DefaultHasher::new();
    integration.base_url.hash(&mut hasher);
    match &integration.auth {
        IntegrationAuth::LongLivedToken(token) => {
            ("token", token.expose_secret()).hash(&mut hasher)
        }
        IntegrationAuth::OAuth {
            client_id,
            redirect_uri,
            ..
        } => ("oauth", client_id, redirect_uri).hash(&mut hasher),
    }
    hasher.finish()
}

/// The integration `integration_id` in `workspace_id`, if `grant` may act on it. Unknown and
/// forbidden look the same, so a caller cannot probe for other tenants' integrations.
async fn authorize(
    state: &AppState,
    grant: &Grant,
    workspace_id: &str,
    integration_id: &str,
) -> Result<Integration, ApiError> {
    if !grant.workspace_ids.iter().any(|w| w == workspace_id) {
        return Err(ApiError::Forbidden {
            detail: format!("these credentials are not granted workspace {workspace_id:?}"),
        });
    }
    match state
        .store()
        .integration(integration_id)
        .await
        .map_err(ApiError::from)?
    {
        Some(integration)
            if integration.workspace_id == workspace_id
                && integration.organization_id == grant.organization_id =>
        {
            Ok(integration)
        }
        _ => Err(ApiError::Forbidden {
            detail: format!(
                "workspace {workspace_id:?} has no integration {integration_id:?} these credentials may use"
            ),
        }),
    }
}

/// The routes, documented in `/openapi.json`.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_actions))
        .routes(routes!(run_action))
}

/// One action of the catalog.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionDoc {
    /// The name to call it by, e.g. `KOMMO_CREATE_LEAD`.
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    /// `read`, `create`, `update` or `delete`.
    #[schema(value_type = String, example = "create")]
    pub kind: ActionKind,
    /// The JSON Schema (draft 2020-12) of the action's `input`.
    #[schema(value_type = Object)]
    pub input_schema: Value,
}

/// `GET /v1/kommo/actions`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionList {
    pub data: Vec<ActionDoc>,
}

/// The body of `POST /v1/kommo/actions/{name}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ActionRequest {
    /// The workspace of the integration; the credentials must be granted it.
    pub workspace_id: String,
    /// The integration (Kommo account) the action acts on.
    pub integration_id: String,
    /// The action's parameters, as its `input_schema` describes them.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub input: Value,
}

/// What every action answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnvelopeDoc {
    /// Data from the action execution; `null` when it did not run to the end.
    #[schema(value_type = Option<Object>)]
    pub data: Option<Value>,
    /// What went wrong, written to act on: the input field, Kommo's validation messages, or
    /// when the rate limit allows a retry.
    pub error: Option<String>,
    pub successful: bool,
}

/// Every action with its description and the JSON Schema of its input.
#[utoipa::path(
    get,
    path = "/v1/kommo/actions",
    tag = "actions",
    operation_id = "listActions",
    responses(
        (status = 200, description = "The catalog", body = ActionList),
        (status = 401, description = "Credentials missing or wrong", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Request budget spent", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("clientId" = [], "clientSecret" = []))
)]
pub(crate) async fn list_actions(_caller: Caller) -> Json<ActionList> {
    let data = Catalog::list()
        .map(|info| ActionDoc {
            name: info.name,
            title: info.title,
            description: info.description,
            kind: info.kind,
            input_schema: info.input_schema.clone(),
        })
        .collect();
    Json(ActionList { data })
}

/// A body that is not `{"workspaceId", "integrationId", "input"}`: a problem naming `body`.
fn unreadable_body(error: &serde_json::Error) -> ApiError {
    ApiError::bad_request(vec![InvalidParam::new(
        "body",
        format!(
            "expected a JSON object {{\"workspaceId\": ..., \"integrationId\": ..., \"input\": {{...}}}}: {}",
            strip_position(&error.to_string())
        ),
    )])
}

fn unknown_action(error: &CatalogError) -> ApiError {
    ApiError::NotFound {
        detail: format!("{error} (GET /v1/kommo/actions)"),
    }
}

fn envelope(status: StatusCode, envelope: &Envelope) -> Response {
    (status, Json(envelope.to_value())).into_response()
}

/// Runs one action on one integration.
///
/// 200 with the envelope whenever the action ran, also when Kommo refused it
/// (`successful: false`, Kommo's reasons in `error`); 400 with the envelope when `input`
/// breaks the action's schema (nothing is sent to Kommo then). Problem documents for the
/// rest: 400 when the body is not the request object, 404 for an unknown action, 401 / 403 as
/// for the data API. A successful create or update is already in the data API when this
/// answers.
#[utoipa::path(
    post,
    path = "/v1/kommo/actions/{name}",
    tag = "actions",
    operation_id = "runAction",
    params(("name" = String, Path, description = "The action, e.g. KOMMO_CREATE_LEAD")),
    request_body = ActionRequest,
    responses(
        (status = 200, description = "The action ran (check `successful`)", body = EnvelopeDoc),
        (status = 400, description = "`input` breaks the action's schema (the envelope), or the body is not the request object (a problem document)", body = EnvelopeDoc),
        (status = 401, description = "Credentials missing or wrong", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The integration is not in a granted workspace", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such action", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Request budget spent", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("clientId" = [], "clientSecret" = []))
)]
pub(crate) async fn run_action(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: ActionRequest =
        serde_json::from_slice(&body).map_err(|error| unreadable_body(&error))?;
    if Catalog::get(&name).is_none() {
        return Err(unknown_action(&CatalogError::UnknownAction { name }));
    }
    let integration = authorize(
        &state,
        &caller.grant,
        &request.workspace_id,
        &request.integration_id,
    )
    .await?;
    // Refused before a client is even built, so nothing can reach Kommo.
    if let Err(error) = Catalog::validate(&name, &request.input) {
        metrics::counter!("kommo_actions_total", "action" => name, "outcome" => "invalid_input")
            .increment(1);
        return Ok(envelope(StatusCode::BAD_REQUEST, &error.to_envelope()));
    }
    let ctx = state.actions().context_for(&state, &integration)?;
    match Catalog::execute(&name, &request.input, &ctx).await {
        Ok(result) => {
            let outcome = if result.successful { "ok" } else { "refused" };
            metrics::counter!("kommo_actions_total", "action" => name, "outcome" => outcome)
                .increment(1);
            Ok(envelope(StatusCode::OK, &result))
        }
        Err(error @ CatalogError::InvalidInput(_)) => {
            Ok(envelope(StatusCode::BAD_REQUEST, &error.to_envelope()))
        }
        Err(error @ CatalogError::UnknownAction { .. }) => Err(unknown_action(&error)),
    }
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// The MCP endpoint, to nest at `/mcp`: every request passes [`mcp_guard`] first.
pub(crate) fn mcp(state: &AppState) -> axum::Router {
    let config = &state.actions().config;
    let reads =
        crate::read_tools::DataTools::taking_turns(state.store().clone(), state.read_turns());
    let options = kommo_mcp::HttpOptions {
        allowed_hosts: config.mcp_allowed_hosts.clone(),
        shutdown: config.shutdown.clone(),
        reads: Some(std::sync::Arc::new(reads)),
    };
    kommo_mcp::http_router(options).layer(axum::middleware::from_fn_with_state(
        state.clone(),
        mcp_guard,
    ))
}

/// Authenticates an MCP request like a data API request, resolves the integration named by
/// the `x-workspace-id` / `x-integration-id` headers (or the `workspaceId` / `integrationId`
/// query parameters, for clients that can only set a URL), and hands its action context and
/// what the read tools read as (the caller's grant, that workspace and integration) to the
/// MCP service in the request's extensions.
async fn mcp_guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let caller = match Caller::from_request_parts(&mut parts, &state).await {
        Ok(caller) => caller,
        Err(error) => return error.into_response(),
    };
    let query: HashMap<String, String> = axum::extract::Query::try_from_uri(&parts.uri)
        .map(|q| q.0)
        .unwrap_or_default();
    let pick = |header: &str, param: &str| {
        parts
            .headers
            .get(header)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .or_else(|| query.get(param).filter(|v| !v.is_empty()).cloned())
    };
    let workspace = pick(kommo_mcp::WORKSPACE_HEADER, "workspaceId");
    let integration = pick(kommo_mcp::INTEGRATION_HEADER, "integrationId");
    let (Some(workspace), Some(integration)) = (workspace, integration) else {
        let mut missing = Vec::new();
        for (header, given) in [
            (
                kommo_mcp::WORKSPACE_HEADER,
                pick(kommo_mcp::WORKSPACE_HEADER, "workspaceId"),
            ),
            (
                kommo_mcp::INTEGRATION_HEADER,
                pick(kommo_mcp::INTEGRATION_HEADER, "integrationId"),
            ),
        ] {
            if given.is_none() {
                missing.push(InvalidParam::new(
                    header,
                    "required: the MCP session acts on this workspace's integration",
                ));
            }
        }
        return ApiError::bad_request(missing).into_response();
    };
    let resolved = match authorize(&state, &caller.grant, &workspace, &integration).await {
        Ok(resolved) => resolved,
        Err(error) => return error.into_response(),
    };
    match state.actions().context_for(&state, &resolved) {
        Ok(ctx) => {
            parts.extensions.insert(ctx);
            parts.extensions.insert(kommo_mcp::ReadAccess {
                grant: caller.grant,
                workspace_id: workspace,
                integration_id: resolved.id,
            });
        }
        Err(error) => return error.into_response(),
    }
    next.run(Request::from_parts(parts, body)).await
}
