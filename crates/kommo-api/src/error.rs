//! The one error type at the HTTP edge, rendered as RFC 9457 problem documents.
//!
//! Every failure a client can see goes through [`ApiError`]; internal failures are logged
//! with an opaque error id that the body repeats, and nothing else about them leaves the process.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One parameter that was wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct InvalidParam {
    /// The query parameter (or header) as the client sent it.
    pub name: String,
    /// What was expected and what was received.
    pub reason: String,
}

impl InvalidParam {
    pub(crate) fn new(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            reason: reason.into(),
        }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A stable URI naming the kind of problem (`urn:kommo-data:problem:...`).
    #[serde(rename = "type")]
    #[schema(example = "urn:kommo-data:problem:invalid-parameters")]
    pub problem_type: &'static str,
    /// A short summary of the kind of problem; the same for every occurrence.
    #[schema(example = "Invalid query parameters")]
    pub title: &'static str,
    /// The HTTP status code.
    #[schema(example = 400)]
    pub status: u16,
    /// What happened this time: what was expected and what was received.
    pub detail: String,
    /// For 400: each offending parameter.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub invalid_params: Vec<InvalidParam>,
    /// For 500: quote it when reporting the problem; the server log has the details under it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_id: Option<String>,
    /// For 429: seconds until the budget allows another request (also in `Retry-After`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

/// Everything the data API can answer other than a success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Missing, unknown or malformed parameters: the client must change the request.
    #[error("{detail}")]
    BadRequest {
        detail: String,
        invalid_params: Vec<InvalidParam>,
    },
    /// Credentials missing or wrong; deliberately never says which half.
    #[error("credentials missing or wrong")]
    Unauthorized,
    /// Valid credentials, but not for this workspace (or organization / integration).
    #[error("{detail}")]
    Forbidden { detail: String },
    /// The credentials' request budget is spent for now.
    #[error("request budget of {per_minute} a minute spent; retry in {retry_after_secs} s")]
    RateLimited {
        per_minute: u32,
        retry_after_secs: u64,
    },
    /// No such route, or nothing of that name (an action).
    #[error("{detail}")]
    NotFound { detail: String },
    /// A dependency (the database) is down; used by `/healthz`.
    #[error("{detail}")]
    Unavailable { detail: String },
    /// Anything else. The cause was logged under `error_id` when this value was made.
    #[error("internal error {error_id}")]
    Internal { error_id: String },
}

impl ApiError {
    pub(crate) fn bad_request(invalid_params: Vec<InvalidParam>) -> Self {
        let detail = match invalid_params.as_slice() {
            [one] => format!("{}: {}", one.name, one.reason),
            many => format!(
                "{} parameters are invalid: {}",
                many.len(),
                many.iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        Self::BadRequest {
            detail,
            invalid_params,
        }
    }

    /// Logs `cause` under a fresh error id and returns the opaque 500 that carries only the id.
    pub fn internal(cause: &(dyn std::error::Error + 'static)) -> Self {
        let error_id = uuid::Uuid::new_v4().to_string();
        tracing::error!(error_id = %error_id, error = %ErrorChain(cause), "internal error");
        Self::Internal { error_id }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem document of this error.
    pub fn problem(&self) -> Problem {
        let status = self.status().as_u16();
        let (problem_type, title) = match self {
            Self::BadRequest { .. } => (
                "urn:kommo-data:problem:invalid-parameters",
                "Invalid query parameters",
            ),
            Self::Unauthorized => (
                "urn:kommo-data:problem:unauthorized",
                "Credentials missing or wrong",
            ),
            Self::Forbidden { .. } => ("urn:kommo-data:problem:forbidden", "Not granted"),
            Self::RateLimited { .. } => (
                "urn:kommo-data:problem:rate-limited",
                "Request budget spent",
            ),
            Self::NotFound { .. } => ("urn:kommo-data:problem:not-found", "Not found"),
            Self::Unavailable { .. } => {
                ("urn:kommo-data:problem:unavailable", "Service unavailable")
            }
            Self::Internal { .. } => ("urn:kommo-data:problem:internal", "Internal error"),
        };
        let detail = match self {
            Self::Unauthorized => {
                "send valid credentials in the x-client-id and x-client-secret headers".to_owned()
            }
            Self::Internal { error_id } => {
                format!("the server failed to answer; quote error id {error_id} when reporting it")
            }
            other => other.to_string(),
        };
        let invalid_params = match self {
            Self::BadRequest { invalid_params, .. } => invalid_params.clone(),
            _ => Vec::new(),
        };
        let error_id = match self {
            Self::Internal { error_id } => Some(error_id.clone()),
            _ => None,
        };
        let retry_after = match self {
            Self::RateLimited {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        };
        Problem {
            problem_type,
            title,
            status,
            detail,
            invalid_params,
            error_id,
            retry_after,
        }
    }
}

impl From<kommo_store::StoreError> for ApiError {
    fn from(error: kommo_store::StoreError) -> Self {
        match error {
            kommo_store::StoreError::NotGranted { .. } => Self::Forbidden {
                detail: error.to_string(),
            },
            // Something the caller named that is not there (a pipeline of the funnel).
            kommo_store::StoreError::NotFound { what } => Self::NotFound {
                detail: format!("{what} does not exist"),
            },
            // Only what the caller sent, e.g. a page the database cannot express.
            kommo_store::StoreError::InvalidInput { field, reason } => {
                Self::bad_request(vec![InvalidParam::new(field, reason)])
            }
            other => Self::internal(&other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        let body = match serde_json::to_vec(&problem) {
            Ok(body) => body,
            // A problem document is plain strings and numbers; this cannot fail, but if it
            // did the client still gets a problem document rather than an empty 500.
            Err(_) => br#"{"type":"urn:kommo-data:problem:internal","title":"Internal error","status":500}"#.to_vec(),
        };
        let mut response = (self.status(), body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        match &self {
            Self::RateLimited {
                retry_after_secs, ..
            } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            Self::Unauthorized => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(r#"ApiKey realm="kommo-data""#),
                );
            }
            _ => {}
        }
        response
    }
}

/// Displays an error with its sources, for the log line of a 500.
struct ErrorChain<'a>(&'a (dyn std::error::Error + 'static));

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_carry_only_an_id() {
        let cause = std::io::Error::other("SELECT * FROM leads failed at /var/lib/db.sqlite");
        let error = ApiError::internal(&cause);
        let problem = serde_json::to_value(error.problem()).unwrap();
        let text = problem.to_string();
        assert!(!text.contains("SELECT"), "{text}");
        assert!(!text.contains("/var/lib"), "{text}");
        assert_eq!(problem["status"], 500);
        let id = problem["error_id"].as_str().unwrap();
        assert!(uuid::Uuid::parse_str(id).is_ok());
        assert!(problem["detail"].as_str().unwrap().contains(id));
    }

    #[test]
    fn one_bad_parameter_is_named_in_the_detail() {
        let error =
            ApiError::bad_request(vec![InvalidParam::new("createdStart", "expected a date")]);
        let problem = error.problem();
        assert_eq!(problem.status, 400);
        assert_eq!(problem.detail, "createdStart: expected a date");
        assert_eq!(problem.invalid_params.len(), 1);
    }

    #[test]
    fn rate_limited_sets_retry_after() {
        let response = ApiError::RateLimited {
            per_minute: 60,
            retry_after_secs: 3,
        }
        .into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "3");
        assert_eq!(response.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
    }
}
