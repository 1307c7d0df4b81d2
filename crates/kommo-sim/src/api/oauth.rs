//! `POST /oauth2/access_token`: the authorization-code and refresh-token grants, with
//! single-use rotating refresh tokens; and `GET /oauth2/account/current/subdomain`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kommo_model::{Problem, TokenResponse};
use serde_json::{Map, Value};

use crate::api::common::problem_doc;
use crate::state::{SimState, TokenKind, unix_now};

fn oauth_problem(status: StatusCode, hint: &str, detail: &str) -> Response {
    let mut p = Problem::new(status.as_u16(), "Некорректный запрос", detail);
    p.kind = "https://developers.amocrm.ru/v3/errors/OAuthProblemJson".to_owned();
    p.hint = Some(hint.to_owned());
    problem_doc(p)
}

/// The token request's fields, from JSON or a form.
fn fields(headers: &HeaderMap, body: &[u8]) -> Option<Map<String, Value>> {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if form {
        return Some(
            url::form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                .collect(),
        );
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

pub(crate) async fn access_token(
    State(state): State<SimState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(f) = fields(&headers, &body) else {
        return oauth_problem(
            StatusCode::BAD_REQUEST,
            "Request body must be a JSON object",
            "The request is missing a required parameter",
        );
    };
    let text = |k: &str| f.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let app = &state.inner.oauth_app;
    if text("client_id") != app.client_id || text("client_secret") != app.client_secret {
        return oauth_problem(
            StatusCode::UNAUTHORIZED,
            "Client authentication failed",
            "Client authentication failed",
        );
    }
    if text("redirect_uri") != app.redirect_uri {
        return oauth_problem(
            StatusCode::BAD_REQUEST,
            "Redirect URI mismatch",
            "The redirect_uri does not match the integration's",
        );
    }
    let config = state.inner.config.read().clone();
    let api_domain = state.inner.api_domain.read().clone();
    let mut auth = state.inner.auth.lock();
    let now = state.inner.clock.now();
    let user_id = match text("grant_type").as_str() {
        "authorization_code" => {
            let code = text("code");
            match auth.codes.get_mut(&code) {
                None => {
                    return oauth_problem(
                        StatusCode::BAD_REQUEST,
                        "Cannot decrypt the authorization code",
                        "The authorization code is invalid",
                    );
                }
                Some(c) if c.used => {
                    return oauth_problem(
                        StatusCode::BAD_REQUEST,
                        "Authorization code has been revoked",
                        "The authorization code was already used",
                    );
                }
                Some(c) if c.expires_at <= now => {
                    return oauth_problem(
                        StatusCode::BAD_REQUEST,
                        "Authorization code has expired",
                        "The authorization code has expired",
                    );
                }
                Some(c) => {
                    c.used = true;
                    c.user_id
                }
            }
        }
        "refresh_token" => {
            let token = text("refresh_token");
            match auth.refresh.get_mut(&token) {
                None => {
                    return oauth_problem(
                        StatusCode::UNAUTHORIZED,
                        "Cannot decrypt the refresh token",
                        "The refresh token is invalid",
                    );
                }
                Some(r) if r.used => {
                    return oauth_problem(
                        StatusCode::UNAUTHORIZED,
                        "Token has been revoked",
                        "The refresh token has been revoked",
                    );
                }
                Some(r) if r.expires_at <= now => {
                    return oauth_problem(
                        StatusCode::UNAUTHORIZED,
                        "Token has expired",
                        "The refresh token has expired",
                    );
                }
                Some(r) => {
                    r.used = true;
                    let user = r.user_id;
                    auth.refreshes += 1;
                    user
                }
            }
        }
        other => {
            return oauth_problem(
                StatusCode::BAD_REQUEST,
                "Unsupported grant type",
                &format!("The grant type {other:?} is not supported"),
            );
        }
    };
    let access_token = auth.issue_access(&config, app, user_id, TokenKind::OAuth, &api_domain, now);
    let refresh_token = auth.issue_refresh(config.seed, user_id, now);
    drop(auth);
    let response = TokenResponse {
        token_type: "Bearer".to_owned(),
        expires_in: config.access_token_ttl.as_secs() as i64,
        server_time: Some(unix_now()),
        access_token,
        refresh_token,
    };
    match serde_json::to_vec(&response) {
        Ok(body) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Where the account lives, for clients that resolve it from the refresh token.
pub(crate) async fn current_subdomain(
    State(state): State<SimState>,
    headers: HeaderMap,
) -> Response {
    let token = headers
        .get("x-refresh-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !state.inner.auth.lock().refresh.contains_key(token) {
        return oauth_problem(
            StatusCode::UNAUTHORIZED,
            "Cannot decrypt the refresh token",
            "Unknown refresh token",
        );
    }
    let acc = state.inner.account.read();
    let body = serde_json::json!({
        "id": acc.id,
        "subdomain": acc.subdomain,
        "domain": "kommo.com",
        "top_level_domain": "com",
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}
