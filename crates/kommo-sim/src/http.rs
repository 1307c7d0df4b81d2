//! The router and what every request goes through: counting, faults, lock-out, bearer auth and
//! rate limits; plus the response helpers (HAL, problem documents, 204, paging links).

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use kommo_model::query::{DEFAULT_LIMIT, ListQuery, MAX_LIMIT};
use kommo_model::{Link, Links, Problem};
use serde::Serialize;

use crate::config::FailNext;
use crate::render::LeadWith;
use crate::rng::{Rng, stream};
use crate::shape::{ReadShape, Shaped};
use crate::state::{SimState, Verdict};

/// The whole simulator as an axum router: `/api/v4/*`, `/oauth2/*` and the `/_sim/*` control
/// surface. Testable without a socket (`tower::ServiceExt::oneshot`).
pub fn app(state: SimState) -> Router {
    let api = crate::api::routes()
        .route("/oauth2/access_token", post(crate::oauth::access_token))
        .route(
            "/oauth2/account/current/subdomain",
            get(crate::oauth::current_subdomain),
        )
        .layer(middleware::from_fn_with_state(state.clone(), gate));
    api.merge(crate::control::routes())
        .fallback(not_found)
        .with_state(state)
}

async fn not_found() -> Response {
    problem(StatusCode::NOT_FOUND, "Not Found", "Unknown route")
}

/// The authenticated user of a request, put in its extensions by the gate.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Caller {
    pub(crate) user_id: u32,
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
    }
    let now = Instant::now();
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
            .and_then(|t| state.inner.auth.lock().check(t));
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
pub(crate) fn too_many() -> Response {
    html(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests")
}

/// The lock-out after repeated violations: 403 for every request.
pub(crate) fn blocked() -> Response {
    html(StatusCode::FORBIDDEN, "Forbidden")
}

fn server_error(status: StatusCode) -> Response {
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        problem(status, "Internal Server Error", "Internal Server Error")
    } else {
        html(status, status.canonical_reason().unwrap_or("Error"))
    }
}

/// A problem document (`application/problem+json`).
pub(crate) fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    problem_doc(Problem::new(status.as_u16(), title, detail))
}

pub(crate) fn problem_doc(problem: Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::BAD_REQUEST);
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body,
    )
        .into_response()
}

pub(crate) fn bad_request(detail: &str) -> Response {
    problem(StatusCode::BAD_REQUEST, "Bad Request", detail)
}

/// A 200 with a HAL body, serialised straight into one buffer.
pub(crate) fn hal<T: Serialize>(value: &T) -> Response {
    hal_status(StatusCode::OK, value)
}

pub(crate) fn hal_status<T: Serialize>(status: StatusCode, value: &T) -> Response {
    let mut buf = Vec::with_capacity(4096);
    match serde_json::to_writer(&mut buf, value) {
        Ok(()) => {
            let mut response = Response::new(Body::from(buf));
            *response.status_mut() = status;
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/hal+json"),
            );
            response
        }
        Err(e) => problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
            &e.to_string(),
        ),
    }
}

/// A 200 with a HAL body in Kommo's read shape (`crate::shape`): the keys the shared wire
/// types leave out but Kommo sends on reads put back.
pub(crate) fn hal_read<T: Serialize>(value: &T, base: &str) -> Response {
    let shape = ReadShape {
        base,
        with: LeadWith::default(),
    };
    hal_status(StatusCode::OK, &Shaped::new(value, shape))
}

/// A 200 with an already serialised HAL body.
pub(crate) fn hal_bytes(body: impl Into<Body>) -> Response {
    let mut response = Response::new(body.into());
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/hal+json"),
    );
    response
}

/// 204 with an empty body and no content type: no entities.
pub(crate) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// `http://host[:port]` as the client addressed us, for absolute `_links`.
pub(crate) fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("http");
    format!("{scheme}://{host}")
}

/// A parsed list request: the query, page and limit, and the raw pairs for the links.
#[derive(Debug)]
pub(crate) struct ListRequest {
    pub(crate) query: ListQuery,
    pub(crate) page: u32,
    pub(crate) limit: u32,
    /// Raw `key=value` parts other than page and limit, as sent.
    rest: Vec<String>,
}

impl ListRequest {
    pub(crate) fn offset(&self) -> usize {
        (self.page as usize - 1) * self.limit as usize
    }

    /// `_links` of a page: `self`, `next` only when another page exists, `prev` from page 2.
    pub(crate) fn links(&self, base: &str, path: &str, has_next: bool) -> Links {
        let href = |page: u32| {
            let mut query = self.rest.join("&");
            if !query.is_empty() {
                query.push('&');
            }
            format!("{base}{path}?{query}page={page}&limit={}", self.limit)
        };
        Links {
            self_: Some(Link {
                href: href(self.page),
            }),
            next: has_next.then(|| Link {
                href: href(self.page + 1),
            }),
            prev: (self.page > 1).then(|| Link {
                href: href(self.page - 1),
            }),
            first: None,
        }
    }
}

/// Reads a list query; bad values give the 400 problem to answer with.
pub(crate) fn list_request(raw: Option<&str>) -> Result<ListRequest, Response> {
    let raw = raw.unwrap_or("");
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.as_bytes())
        .into_owned()
        .collect();
    let query = ListQuery::from_pairs(pairs).map_err(|e| bad_request(&e.to_string()))?;
    let page = query.page.unwrap_or(1);
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if page == 0 {
        return Err(bad_request("page must be a positive integer, got 0"));
    }
    if limit == 0 || limit > MAX_LIMIT {
        return Err(bad_request(&format!(
            "limit must be between 1 and {MAX_LIMIT}, got {limit}"
        )));
    }
    let rest = raw
        .split('&')
        .filter(|part| !part.is_empty())
        .filter(|part| {
            let key = part.split('=').next().unwrap_or("");
            key != "page" && key != "limit"
        })
        .map(str::to_owned)
        .collect();
    Ok(ListRequest {
        query,
        page,
        limit,
        rest,
    })
}

/// Reads a JSON body into `T`, or the 400 problem to answer with.
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Response> {
    serde_json::from_slice(body)
        .map_err(|e| bad_request(&format!("Request body is not valid: {e}")))
}
