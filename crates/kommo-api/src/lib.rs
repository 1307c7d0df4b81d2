//! The data API v1 and the actions over HTTP: routing, auth, problem documents, OpenAPI.
//!
//! [`app`] builds the whole HTTP surface as an axum `Router` (tests drive it without a
//! socket); [`serve`] runs it on a listener until a cancellation token fires, letting
//! in-flight requests finish.
//!
//! Reading order: `params` (query string → store query, one table per resource), `error`
//! (the one error type, RFC 9457 bodies), `auth` (credentials and request budgets),
//! `resources` (the handlers), `read_tools` (the same resources as MCP tools), `openapi`,
//! `metrics`.

pub mod actions;
pub mod auth;
pub mod error;
pub mod metrics;
mod openapi;
pub mod params;
pub mod read_tools;
pub mod resources;
mod state;

use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use tokio_util::sync::CancellationToken;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

pub use actions::ActionsConfig;
pub use error::{ApiError, InvalidParam, PROBLEM_JSON, Problem};
pub use state::AppState;

/// The routes that appear in `/openapi.json`. The actions' routes merge in here
/// (`.merge(actions::router())`), so they are documented the same way.
fn documented_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(resources::leads))
        .routes(routes!(resources::contacts))
        .routes(routes!(resources::companies))
        .routes(routes!(resources::tasks))
        .routes(routes!(resources::pipelines))
        .routes(routes!(resources::users))
        .routes(routes!(resources::lead_status_changes))
        .routes(routes!(resources::lead_stages))
        .routes(routes!(resources::funnel))
        .merge(actions::router())
}

/// The OpenAPI 3.1 document served at `/openapi.json`.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let (_, api) = documented_routes().split_for_parts();
    openapi::complete(api)
}

/// The whole HTTP surface: the data API, `/openapi.json`, `/docs`, `/healthz`, `/metrics`.
pub fn app(state: AppState) -> Router {
    let (routes, api) = documented_routes().split_for_parts();
    let api = openapi::complete(api);
    Router::new()
        .merge(routes)
        .merge(SwaggerUi::new("/docs").url("/openapi.json", api))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::render))
        .nest_service("/mcp", actions::mcp(&state))
        .fallback(not_found)
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::custom(panic_response))
        .with_state(state)
}

/// Serves `app` on `listener` until `shutdown` is cancelled; requests already being answered
/// then finish before this returns.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}

#[derive(Debug, Serialize)]
struct Health {
    status: &'static str,
    database: &'static str,
}

/// `GET /healthz`: 200 when the database answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> Result<axum::Json<Health>, ApiError> {
    let store = state.store();
    match store.organizations().await {
        Ok(_) => {
            let database = match store.backend() {
                kommo_store::Backend::Sqlite => "sqlite",
                kommo_store::Backend::Postgres => "postgres",
            };
            Ok(axum::Json(Health {
                status: "ok",
                database,
            }))
        }
        Err(error) => {
            tracing::error!(error = %error, source = ?std::error::Error::source(&error).map(ToString::to_string), "health check failed");
            Err(ApiError::Unavailable {
                detail: "the database is not answering".to_owned(),
            })
        }
    }
}

async fn not_found(OriginalUri(uri): OriginalUri) -> ApiError {
    let mut path = uri.path().to_owned();
    path.truncate(200);
    ApiError::NotFound {
        detail: format!("no resource at {path}"),
    }
}

fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    #[derive(Debug, thiserror::Error)]
    #[error("a request handler panicked")]
    struct Panicked;
    ApiError::internal(&Panicked).into_response()
}
