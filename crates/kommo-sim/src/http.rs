//! The router and what every request goes through: counting, faults, lock-out, bearer auth and
//! rate limits. The answers themselves come from the areas of `crate::api` and the control
//! surface.

use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

use crate::api::common::{Caller, hal_bytes, problem};
use crate::config::FailNext;
use crate::rng::{Rng, stream};
use crate::state::{SimState, Verdict};

/// The whole simulator as an axum router: `/api/v4/*`, `/oauth2/*` and the `/_sim/*` control
/// surface. Testable without a socket (`tower::ServiceExt::oneshot`).
pub fn app(state: SimState) -> Router {
    let api = crate::api::routes().layer(middleware::from_fn_with_state(state.clone(), gate));
    api.merge(crate::control::routes())
        .fallback(not_found)
        .with_state(state)
}

async fn not_found() -> Response {
    problem(StatusCode::NOT_FOUND, "Not Found", "Unknown route")
}

async fn gate(State(state): State<SimState>, mut req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_owned();
    let endpoint = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned());
    let response = admit(&state, &mut req, &endpoint).await;
    let response = match response {
        Some(early) => early,
        None => next.run(req).await,
    };
    state.count(&method, &endpoint, response.status().as_u16());
    response
}

/// Runs the checks in Kommo's order; `Some` answers the request early.
async fn admit(state: &SimState, req: &mut Request, endpoint: &str) -> Option<Response> {
    let faults = state.inner.faults.read().clone();
    let seq = state.next_seq();
    let mut rng = Rng::new(state.inner.config.read().seed, stream::FAULT, seq);
    if faults.latency_ms > 0 || faults.latency_jitter_ms > 0 {
        let jitter = if faults.latency_jitter_ms > 0 {
            rng.below(faults.latency_jitter_ms + 1)
        } else {
            0
        };
        tokio::time::sleep(Duration::from_millis(faults.latency_ms + jitter)).await;
        state.inner.counters.lock().delayed += 1;
    }
    let now = state.inner.clock.now();
    // Exact failures come before every other check, so that "the next request fails" holds
    // whatever the token, the limits or the shares of random faults.
    if let Some(rule) = state.take_failure(req.method().as_str(), req.uri().path()) {
        return Some(scheduled_failure(state, &rule, now));
    }
    if state.inner.limiter.lock().locked(now) {
        return Some(blocked());
    }
    let is_oauth = endpoint.starts_with("/oauth2");
    if !is_oauth {
        let token = bearer(req.headers());
        let user = token
            .as_deref()
            .and_then(|t| state.inner.auth.lock().check(t, now));
        let Some(user_id) = user else {
            return Some(problem(
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                "Unauthorized",
            ));
        };
        req.extensions_mut().insert(Caller { user_id });
        let config = state.inner.config.read().clone();
        let verdict =
            state
                .inner
                .limiter
                .lock()
                .admit(token.as_deref().unwrap_or(""), &config, now);
        match verdict {
            Verdict::Pass => {}
            Verdict::TooMany => return Some(too_many()),
            Verdict::Locked => return Some(blocked()),
        }
        if faults.rate_429 > 0.0 && rng.unit() < faults.rate_429 {
            state.inner.limiter.lock().violation(&config, now);
            return Some(too_many());
        }
    }
    if faults.error_rate > 0.0 && rng.unit() < faults.error_rate {
        let statuses: &[u16] = if faults.error_statuses.is_empty() {
            &[500, 502, 503, 504]
        } else {
            &faults.error_statuses
        };
        let status =
            StatusCode::from_u16(*rng.pick(statuses)).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return Some(server_error(status));
    }
    None
}

/// The answer of an armed `FailNext` rule, shaped as Kommo sends that status.
fn scheduled_failure(state: &SimState, rule: &FailNext, now: Instant) -> Response {
    let status = StatusCode::from_u16(rule.answer_status()).unwrap_or(StatusCode::OK);
    if rule.malformed_json {
        // A page cut off mid-value, as a dropped connection behind a proxy leaves it.
        let mut response = hal_bytes(
            r#"{"_page":1,"_links":{"self":{"href":"/api/v4/leads?page=1"}},"_embedded":{"leads":[{"id":1,"name":"Cut of"#,
        );
        *response.status_mut() = status;
        return response;
    }
    match status {
        StatusCode::TOO_MANY_REQUESTS => {
            let config = state.inner.config.read().clone();
            state.inner.limiter.lock().violation(&config, now);
            too_many()
        }
        StatusCode::UNAUTHORIZED => problem(status, "Unauthorized", "Unauthorized"),
        StatusCode::FORBIDDEN => problem(
            status,
            "Forbidden",
            "The user does not have the rights for this request",
        ),
        s if s.is_server_error() => server_error(s),
        s => problem(
            s,
            s.canonical_reason().unwrap_or("Error"),
            "Injected failure",
        ),
    }
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

fn html(status: StatusCode, text: &str) -> Response {
    let body = format!(
        "<html>\r\n<head><title>{code} {text}</title></head>\r\n<body>\r\n<center><h1>{code} {text}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
        code = status.as_u16()
    );
    (status, [(header::CONTENT_TYPE, "text/html")], body).into_response()
}

/// Kommo's 429: an nginx HTML page, no Retry-After.
fn too_many() -> Response {
    html(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests")
}

/// The lock-out after repeated violations: 403 for every request.
fn blocked() -> Response {
    html(StatusCode::FORBIDDEN, "Forbidden")
}

fn server_error(status: StatusCode) -> Response {
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        problem(status, "Internal Server Error", "Internal Server Error")
    } else {
        html(status, status.canonical_reason().unwrap_or("Error"))
    }
}
