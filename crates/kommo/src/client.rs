//! The client: configuration, and the one request loop every call goes through (auth, rate
//! limit, retries with backoff, 401 refresh, 429 pause, 403 lock-out, error mapping).
//!
//! What is retried, and why:
//! - 429: always, for every method. Kommo refuses the request before doing anything, so a
//!   retry cannot apply a write twice. The whole account pauses (shared limiter), not only
//!   the request, and `Retry-After` is honoured.
//! - A connection that could not be established: always; nothing reached Kommo.
//! - 5xx and timeouts: for reads (GET) and for PATCH, which sets absolute values and so
//!   ends in the same state when applied twice. Not for POST (an add applied twice makes
//!   two entities) nor DELETE (a repeat of a delete that went through fails), nor for
//!   the OAuth token endpoint (a repeated refresh would send an already-rotated token).
//!   Those fail with `may_have_applied: true` so the caller can check first.
//! - A 504 on a batch write is returned to the batch layer, which halves the batch and
//!   sends the halves, as Kommo's documentation advises for gateway timeouts.
//! - 401: one refresh and one retry with OAuth; final with a long-lived token.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use kommo_model::{Problem, TokenGrant, TokenResponse};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::{debug, warn};

use crate::auth::{Credentials, GrantSender, OAuthState, TokenPair};
use crate::config::{ClientConfig, parse_retry_after};
use crate::error::{Error, ValidationError};
use crate::limiter::RateLimiter;

/// A Kommo API v4 client for one account. Cheap to clone; clones share everything.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    base: String,
    config: ClientConfig,
    limiter: RateLimiter,
    auth: Auth,
}

#[derive(Debug)]
enum Auth {
    LongLived(SecretString),
    OAuth(Box<OAuthState>),
}

/// Builds a [`Client`].
#[derive(Debug)]
pub struct ClientBuilder {
    base_url: String,
    credentials: Option<Credentials>,
    config: ClientConfig,
    limiter: Option<RateLimiter>,
}

impl ClientBuilder {
    /// A long-lived token (private integrations).
    pub fn long_lived_token(mut self, token: impl Into<String>) -> Self {
        self.credentials = Some(Credentials::LongLived(SecretString::from(token.into())));
        self
    }

    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// OAuth 2.0: the pair is read from `store`, and every rotated pair is saved there first.
    pub fn oauth(
        mut self,
        app: crate::auth::OAuthApp,
        store: Arc<dyn crate::auth::TokenStore>,
    ) -> Self {
        self.credentials = Some(Credentials::OAuth { app, store });
        self
    }

    pub fn config(mut self, config: ClientConfig) -> Self {
        self.config = config;
        self
    }

    /// The limiter shared by every client of this integration on this account. Without
    /// one, the client gets its own at Kommo's default 7 requests per second.
    pub fn rate_limiter(mut self, limiter: RateLimiter) -> Self {
        self.limiter = Some(limiter);
        self
    }

    pub fn build(self) -> Result<Client, Error> {
        self.config.validate()?;
        let base = self.base_url.trim().trim_end_matches('/').to_owned();
        let parsed = reqwest::Url::parse(&base).map_err(|e| Error::InvalidConfig {
            detail: format!(
                "base URL {base:?} is not a URL ({e}); expected e.g. https://subdomain.kommo.com"
            ),
        })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(Error::InvalidConfig {
                detail: format!(
                    "base URL {base:?} must be http(s)://host[:port], e.g. https://subdomain.kommo.com"
                ),
            });
        }
        if parsed.query().is_some() {
            return Err(Error::InvalidConfig {
                detail: format!("base URL {base:?} must not carry a query"),
            });
        }
        let credentials = self.credentials.ok_or_else(|| Error::InvalidConfig {
            detail: "no credentials: call long_lived_token(..) or oauth(..) on the builder"
                .to_owned(),
        })?;
        let http = reqwest::Client::builder()
            .timeout(self.config.timeout)
            .connect_timeout(self.config.connect_timeout)
            .user_agent(self.config.user_agent.clone())
            // Kommo never redirects the API; following one would send the token elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::InvalidConfig {
                detail: format!("could not build the HTTP client: {e}"),
            })?;
        let auth = match credentials {
            Credentials::LongLived(token) => Auth::LongLived(token),
            Credentials::OAuth { app, store } => Auth::OAuth(Box::new(OAuthState::new(
                app,
                store,
                self.config.refresh_skew,
            ))),
        };
        let limiter = self.limiter.unwrap_or_default();
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                config: self.config,
                limiter,
                auth,
            }),
        })
    }
}

/// What a call may retry after a failure (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// GET.
    Read,
    /// PATCH of one entity.
    IdempotentWrite,
    /// PATCH of a batch: as above, except that a 504 goes back to the batch layer.
    IdempotentBatch,
    /// POST or DELETE of one thing.
    Write,
    /// POST of a batch: a 504 goes back to the batch layer.
    Batch,
}

impl Retry {
    fn retries_server_error(self, status: u16) -> bool {
        match self {
            Self::Read | Self::IdempotentWrite => true,
            Self::IdempotentBatch => status != 504,
            Self::Write | Self::Batch => false,
        }
    }

    fn retries_timeout(self) -> bool {
        matches!(
            self,
            Self::Read | Self::IdempotentWrite | Self::IdempotentBatch
        )
    }

    fn may_have_applied(self) -> bool {
        self != Self::Read
    }
}

/// One request as the loop sends it (possibly several times).
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) body: Option<Bytes>,
    pub(crate) retry: Retry,
}

impl Call {
    pub(crate) fn get(path: impl Into<String>, query: Vec<(String, String)>) -> Self {
        Self {
            method: Method::GET,
            path: path.into(),
            query,
            body: None,
            retry: Retry::Read,
        }
    }

    pub(crate) fn endpoint(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// The raw answer of one attempt.
struct Raw {
    status: StatusCode,
    retry_after: Option<Duration>,
    body: Bytes,
}

enum AttemptFailure {
    Locked(chrono::DateTime<Utc>),
    Http(reqwest::Error),
}

impl Client {
    /// A builder for the account at `base_url`: the full base, e.g. `https://sub.kommo.com`
    /// (older accounts live on `https://sub.amocrm.com`), or a simulator's
    /// `http://127.0.0.1:PORT`.
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.into(),
            credentials: None,
            config: ClientConfig::default(),
            limiter: None,
        }
    }

    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    pub fn rate_limiter(&self) -> &RateLimiter {
        &self.inner.limiter
    }

    /// OAuth refreshes this client performed (0 with a long-lived token).
    pub fn refresh_count(&self) -> u64 {
        match &self.inner.auth {
            Auth::OAuth(state) => state.refresh_count(),
            Auth::LongLived(_) => 0,
        }
    }

    /// Exchanges an authorization code (from the redirect after the user granted access) for
    /// a token pair, saves it to the token store, and starts using it.
    pub async fn exchange_code(&self, code: &str) -> Result<TokenPair, Error> {
        match &self.inner.auth {
            Auth::OAuth(state) => state.exchange_code(code, &*self.inner).await,
            Auth::LongLived(_) => Err(not_oauth("exchange an authorization code")),
        }
    }

    /// Refreshes the OAuth pair now. Refresh tokens die after three months unused, so an
    /// idle integration should call this regularly (e.g. weekly).
    pub async fn refresh_now(&self) -> Result<TokenPair, Error> {
        match &self.inner.auth {
            Auth::OAuth(state) => state.force_refresh(&*self.inner).await,
            Auth::LongLived(_) => Err(not_oauth("refresh")),
        }
    }

    /// Sends `call`; `None` for 204 No Content or an empty body.
    pub(crate) async fn execute(&self, call: &Call) -> Result<Option<Bytes>, Error> {
        self.inner.execute(call).await
    }

    /// GET and decode; `None` on 204.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        path: String,
        query: Vec<(String, String)>,
    ) -> Result<Option<T>, Error> {
        let call = Call::get(path, query);
        match self.execute(&call).await? {
            Some(body) => decode(&call.endpoint(), &body).map(Some),
            None => Ok(None),
        }
    }

    /// GET one entity by id: `None` when Kommo answers 204 (its answer for a missing lead) or 404.
    pub(crate) async fn get_one<T: DeserializeOwned>(
        &self,
        path: String,
        query: Vec<(String, String)>,
    ) -> Result<Option<T>, Error> {
        match self.get_json(path, query).await {
            Err(Error::NotFound { .. }) => Ok(None),
            other => other,
        }
    }

    /// Sends a JSON body and decodes the JSON answer.
    pub(crate) async fn send_json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: String,
        body: &B,
        retry: Retry,
    ) -> Result<T, Error> {
        let body = encode(body, &format!("{method} {path}"))?;
        let call = Call {
            method,
            path,
            query: Vec::new(),
            body: Some(body),
            retry,
        };
        self.send_call(&call).await
    }

    /// Sends `call` and decodes its JSON answer; an empty answer is a decode error.
    pub(crate) async fn send_call<T: DeserializeOwned>(&self, call: &Call) -> Result<T, Error> {
        match self.execute(call).await? {
            Some(body) => decode(&call.endpoint(), &body),
            None => Err(Error::Decode {
                endpoint: call.endpoint(),
                detail: "empty body where a JSON document was expected".to_owned(),
            }),
        }
    }

    /// DELETE; Kommo answers 204.
    pub(crate) async fn delete(&self, path: String) -> Result<(), Error> {
        let call = Call {
            method: Method::DELETE,
            path,
            query: Vec::new(),
            body: None,
            retry: Retry::Write,
        };
        self.execute(&call).await.map(drop)
    }
}

fn not_oauth(what: &str) -> Error {
    Error::InvalidConfig {
        detail: format!("cannot {what}: this client uses a long-lived token, not OAuth"),
    }
}

pub(crate) fn encode<B: Serialize + ?Sized>(body: &B, endpoint: &str) -> Result<Bytes, Error> {
    serde_json::to_vec(body)
        .map(Bytes::from)
        .map_err(|e| Error::Encode {
            endpoint: endpoint.to_owned(),
            detail: e.to_string(),
        })
}

pub(crate) fn decode<T: DeserializeOwned>(endpoint: &str, body: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|e| Error::Decode {
        endpoint: endpoint.to_owned(),
        detail: format!("{e}; body starts with {:?}", snippet(body)),
    })
}

/// The start of a body for an error message (never used for token responses).
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text.chars().take(200).collect();
    if text.chars().count() > 200 {
        out.push('…');
    }
    out
}

impl Inner {
    async fn token(&self) -> Result<SecretString, Error> {
        match &self.auth {
            Auth::LongLived(token) => Ok(token.clone()),
            Auth::OAuth(state) => state.access_token(self).await,
        }
    }

    async fn attempt(
        &self,
        call: &Call,
        token: Option<&SecretString>,
    ) -> Result<Raw, AttemptFailure> {
        let permit = self
            .limiter
            .acquire()
            .await
            .map_err(AttemptFailure::Locked)?;
        let url = format!("{}{}", self.base, call.path);
        let mut request = self.http.request(call.method.clone(), url);
        if !call.query.is_empty() {
            request = request.query(&call.query);
        }
        if let Some(token) = token {
            let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
                .unwrap_or_else(|_| HeaderValue::from_static("Bearer invalid-token-characters"));
            value.set_sensitive(true);
            request = request.header(AUTHORIZATION, value);
        }
        if let Some(body) = &call.body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let response = request.send().await;
        // Answered (or failed): Kommo counted the request, if at all, before this moment.
        drop(permit);
        let response = response.map_err(AttemptFailure::Http)?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, Utc::now()));
        let body = response.bytes().await.map_err(AttemptFailure::Http)?;
        Ok(Raw {
            status,
            retry_after,
            body,
        })
    }

    async fn execute(&self, call: &Call) -> Result<Option<Bytes>, Error> {
        let endpoint = call.endpoint();
        let policy = &self.config.retry;
        let mut attempt = 0u32;
        let mut refreshed = false;
        loop {
            attempt += 1;
            let token = self.token().await?;
            let raw = match self.attempt(call, Some(&token)).await {
                Ok(raw) => raw,
                Err(AttemptFailure::Locked(until)) => return Err(Error::LockedOut { until }),
                Err(AttemptFailure::Http(error)) => {
                    let retryable =
                        error.is_connect() || (error.is_timeout() && call.retry.retries_timeout());
                    if retryable && attempt < policy.max_attempts {
                        let delay = policy.delay(attempt);
                        warn!(%endpoint, attempt, ?delay, error = %error, "request failed: retrying");
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    return Err(transport_error(endpoint, attempt, call.retry, error));
                }
            };
            let status = raw.status.as_u16();
            debug!(%endpoint, status, attempt, "Kommo answered");
            match status {
                200..=299 => return Ok(Some(raw.body).filter(|b| status != 204 && !b.is_empty())),
                401 => {
                    let detail = problem_detail(&raw.body);
                    match &self.auth {
                        Auth::OAuth(state) if !refreshed => {
                            refreshed = true;
                            state.after_unauthorized(&token, self).await?;
                            // The retry after a refresh is not counted against the budget.
                            attempt -= 1;
                            continue;
                        }
                        Auth::OAuth(_) => {
                            return Err(Error::Unauthorized {
                                endpoint,
                                detail,
                                remedy: "the token was refused again right after a refresh: the account may have withdrawn access; re-authorize the integration",
                            });
                        }
                        Auth::LongLived(_) => {
                            return Err(Error::Unauthorized {
                                endpoint,
                                detail,
                                remedy: "the long-lived token has expired or was revoked: create a new one in the integration's \"Keys and scopes\" tab",
                            });
                        }
                    }
                }
                429 => {
                    let pause = policy.rate_limited_delay(attempt, raw.retry_after);
                    self.limiter
                        .note_rate_limited(pause.unwrap_or(policy.rate_limited_floor));
                    match pause {
                        Some(pause) if attempt < policy.max_attempts => {
                            warn!(%endpoint, attempt, ?pause, "rate limited (429): pausing the account, then retrying");
                            continue;
                        }
                        _ => {
                            return Err(Error::RateLimited {
                                endpoint,
                                attempts: attempt,
                                retry_after: raw.retry_after,
                            });
                        }
                    }
                }
                403 if self.is_lockout(&raw.body) => {
                    let until = self.limiter.lock_out();
                    warn!(%endpoint, %until, "Kommo blocked the account (403 after 429s): holding every call back");
                    return Err(Error::LockedOut { until });
                }
                500..=599
                    if call.retry.retries_server_error(status) && attempt < policy.max_attempts =>
                {
                    let delay = raw
                        .retry_after
                        .filter(|d| *d <= policy.max_delay)
                        .unwrap_or_else(|| policy.delay(attempt));
                    warn!(%endpoint, status, attempt, ?delay, "server error: retrying");
                    tokio::time::sleep(delay).await;
                }
                500..=599 => {
                    return Err(Error::Server {
                        endpoint,
                        status,
                        attempts: attempt,
                        may_have_applied: call.retry.may_have_applied(),
                    });
                }
                _ => return Err(status_error(endpoint, status, &raw.body)),
            }
        }
    }

    /// A 403 is a lock-out when it follows 429s, or when it is not one of Kommo's problem
    /// documents (the block page is not JSON); a rights 403 is a problem document.
    fn is_lockout(&self, body: &[u8]) -> bool {
        self.limiter.recently_rate_limited() || serde_json::from_slice::<Problem>(body).is_err()
    }

    /// `POST /oauth2/access_token`. Only 429s and failed connections are retried: a grant that
    /// reached Kommo may have rotated the pair, and repeating it would revoke the grant.
    async fn grant(&self, grant: &TokenGrant) -> Result<TokenResponse, Error> {
        let endpoint = "POST /oauth2/access_token".to_owned();
        let call = Call {
            method: Method::POST,
            path: "/oauth2/access_token".to_owned(),
            query: Vec::new(),
            body: Some(encode(grant, &endpoint)?),
            retry: Retry::Write,
        };
        let policy = &self.config.retry;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let raw = match self.attempt(&call, None).await {
                Ok(raw) => raw,
                Err(AttemptFailure::Locked(until)) => return Err(Error::LockedOut { until }),
                Err(AttemptFailure::Http(error))
                    if error.is_connect() && attempt < policy.max_attempts =>
                {
                    tokio::time::sleep(policy.delay(attempt)).await;
                    continue;
                }
                Err(AttemptFailure::Http(error)) => {
                    return Err(transport_error(endpoint, attempt, Retry::Write, error));
                }
            };
            let status = raw.status.as_u16();
            match status {
                200..=299 => {
                    // Never echo this body into an error: it holds the tokens.
                    return serde_json::from_slice::<TokenResponse>(&raw.body).map_err(|e| Error::Decode {
                        endpoint,
                        detail: format!("the token response is not {{token_type, expires_in, access_token, refresh_token}}: {e}"),
                    });
                }
                429 => {
                    let pause = policy.rate_limited_delay(attempt, raw.retry_after);
                    self.limiter
                        .note_rate_limited(pause.unwrap_or(policy.rate_limited_floor));
                    if pause.is_some() && attempt < policy.max_attempts {
                        continue;
                    }
                    return Err(Error::RateLimited {
                        endpoint,
                        attempts: attempt,
                        retry_after: raw.retry_after,
                    });
                }
                400 | 401 | 403 => {
                    let problem: Problem = serde_json::from_slice(&raw.body).unwrap_or_default();
                    let reason = problem
                        .hint
                        .filter(|h| !h.is_empty())
                        .or_else(|| Some(problem.detail).filter(|d| !d.is_empty()))
                        .unwrap_or_else(|| format!("the token endpoint answered HTTP {status}"));
                    return Err(Error::ReauthorizationRequired {
                        reason: format!("Kommo refused the grant: {reason}"),
                    });
                }
                500..=599 => {
                    return Err(Error::Server {
                        endpoint,
                        status,
                        attempts: attempt,
                        may_have_applied: true,
                    });
                }
                _ => return Err(status_error(endpoint, status, &raw.body)),
            }
        }
    }
}

impl GrantSender for Inner {
    async fn send_grant(&self, grant: TokenGrant) -> Result<TokenResponse, Error> {
        self.grant(&grant).await
    }
}

fn transport_error(endpoint: String, attempts: u32, retry: Retry, error: reqwest::Error) -> Error {
    if error.is_timeout() {
        Error::Timeout {
            endpoint,
            attempts,
            may_have_applied: retry.may_have_applied(),
        }
    } else {
        Error::Transport {
            endpoint,
            source: error,
        }
    }
}

/// A problem document's `detail` (or title), or the start of a non-JSON body.
fn problem_detail(body: &[u8]) -> String {
    match serde_json::from_slice::<Problem>(body) {
        Ok(problem) if !problem.detail.is_empty() => problem.detail,
        Ok(problem) if !problem.title.is_empty() => problem.title,
        _ if body.is_empty() => "no details given".to_owned(),
        _ => snippet(body),
    }
}

/// The error for a final non-success status other than 401, 429 and 5xx.
pub(crate) fn status_error(endpoint: String, status: u16, body: &[u8]) -> Error {
    let problem = serde_json::from_slice::<Problem>(body).ok();
    let detail = problem_detail(body);
    match status {
        400 | 422 => {
            let errors: Vec<ValidationError> = problem
                .map(|p| {
                    p.validation_errors
                        .into_iter()
                        .flat_map(|item| {
                            let index = item.request_id.trim().parse::<usize>().ok();
                            item.errors.into_iter().map(move |e| ValidationError {
                                index,
                                request_id: item.request_id.clone(),
                                path: e.path,
                                code: e.code,
                                detail: e.detail,
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            if errors.is_empty() {
                Error::BadRequest {
                    endpoint,
                    status,
                    detail,
                }
            } else {
                Error::Validation {
                    endpoint,
                    errors,
                    applied: Vec::new(),
                }
            }
        }
        402 => Error::PaymentRequired { endpoint },
        403 => Error::Forbidden { endpoint, detail },
        404 => Error::NotFound { endpoint, detail },
        _ => Error::UnexpectedStatus {
            endpoint,
            status,
            detail,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_are_mapped_field_by_field() {
        let body = br#"{"title":"Bad Request","type":"https://httpstatus.es/400","status":400,"detail":"Request validation failed",
            "validation-errors":[{"request_id":"7","errors":[
                {"code":"NotSupportedChoice","path":"custom_fields_values.0.field_id","detail":"The value you selected is not a valid choice."},
                {"code":"InvalidType","path":"price","detail":"This value should be of type int."}]},
              {"request_id":"9","errors":[{"code":"NotBlank","path":"name","detail":"This value should not be blank."}]}]}"#;
        let Error::Validation { errors, .. } = status_error("POST /api/v4/leads".into(), 400, body)
        else {
            panic!("expected a validation error");
        };
        assert_eq!(errors.len(), 3);
        assert_eq!(errors[0].index, Some(7));
        assert_eq!(errors[0].path, "custom_fields_values.0.field_id");
        assert_eq!(errors[0].code, "NotSupportedChoice");
        assert_eq!(errors[1].path, "price");
        assert_eq!(
            (
                errors[2].index,
                errors[2].request_id.as_str(),
                errors[2].code.as_str()
            ),
            (Some(9), "9", "NotBlank")
        );
    }

    #[test]
    fn statuses_map_to_typed_errors() {
        let problem = br#"{"title":"Not Found","type":"https://httpstatus.es/404","status":404,"detail":"Loss reason not found"}"#;
        assert!(
            matches!(status_error("GET /x".into(), 404, problem), Error::NotFound { detail, .. } if detail == "Loss reason not found")
        );
        assert!(matches!(
            status_error(
                "GET /x".into(),
                400,
                br#"{"title":"Bad Request","status":400,"detail":"limit too big"}"#
            ),
            Error::BadRequest { status: 400, .. }
        ));
        assert!(matches!(
            status_error("POST /x".into(), 402, b""),
            Error::PaymentRequired { .. }
        ));
        assert!(matches!(
            status_error("GET /x".into(), 403, b"{}"),
            Error::Forbidden { .. }
        ));
        assert!(
            matches!(status_error("GET /x".into(), 418, b"<html>teapot</html>"), Error::UnexpectedStatus { status: 418, detail, .. } if detail.contains("teapot"))
        );
    }

    #[test]
    fn retry_rules_per_kind() {
        assert!(
            Retry::Read.retries_server_error(504)
                && Retry::Read.retries_timeout()
                && !Retry::Read.may_have_applied()
        );
        assert!(Retry::IdempotentWrite.retries_server_error(500));
        assert!(
            Retry::IdempotentBatch.retries_server_error(503)
                && !Retry::IdempotentBatch.retries_server_error(504)
        );
        assert!(!Retry::Write.retries_server_error(503) && !Retry::Write.retries_timeout());
        assert!(!Retry::Batch.retries_server_error(504) && Retry::Batch.may_have_applied());
    }

    #[test]
    fn builder_checks_base_url_and_credentials() {
        assert!(matches!(
            Client::builder("sub.kommo.com")
                .long_lived_token("t")
                .build(),
            Err(Error::InvalidConfig { .. })
        ));
        assert!(matches!(
            Client::builder("ftp://sub.kommo.com")
                .long_lived_token("t")
                .build(),
            Err(Error::InvalidConfig { .. })
        ));
        assert!(matches!(
            Client::builder("https://sub.kommo.com").build(),
            Err(Error::InvalidConfig { .. })
        ));
        let client = Client::builder("https://sub.kommo.com/")
            .long_lived_token("t")
            .build()
            .unwrap();
        assert_eq!(client.base_url(), "https://sub.kommo.com");
        assert!(!format!("{client:?}").contains("\"t\""));
    }
}
