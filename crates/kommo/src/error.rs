//! The client's error type: what went wrong talking to Kommo, and what the caller can do.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::auth::TokenStoreError;

/// One invalid field of one item of a batch write, as Kommo reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// The item's position in the caller's input, when the `request_id` could be tied to one.
    pub index: Option<usize>,
    /// The `request_id` Kommo echoed (the client sends the input index).
    pub request_id: String,
    /// The field, e.g. `custom_fields_values.0.field_id`.
    pub path: String,
    /// Kommo's error code, e.g. `NotSupportedChoice`.
    pub code: String,
    pub detail: String,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index {
            Some(index) => write!(f, "item {index}")?,
            None => write!(f, "request_id {:?}", self.request_id)?,
        }
        write!(f, " field `{}`: {} ({})", self.path, self.detail, self.code)
    }
}

/// An item of a batch that Kommo wrote before the batch failed further on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// The item's position in the caller's input.
    pub index: usize,
    /// The id Kommo gave (add) or confirmed (update).
    pub id: i64,
}

/// Everything that can go wrong in a call to Kommo.
///
/// Each message says what happened and what to do next. [`Error::is_retryable`] tells
/// whether the same call may succeed later without any change.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The access token was refused and cannot be renewed by this client.
    #[error("{endpoint}: Kommo refused the access token (401: {detail}); {remedy}")]
    Unauthorized {
        endpoint: String,
        detail: String,
        remedy: &'static str,
    },

    /// The OAuth grant is gone (refresh token revoked, used twice or expired; code rejected;
    /// nothing stored): only a person can fix it, by authorizing the integration again.
    #[error(
        "the Kommo integration must be re-authorized: {reason}; an account administrator has to \
         open the integration in Kommo (Settings > Integrations) and grant access again, then \
         exchange the new authorization code"
    )]
    ReauthorizationRequired { reason: String },

    /// 403 that is not a lock-out: missing rights (admin-only endpoints) or a blocked IP.
    #[error(
        "{endpoint}: Kommo refused the request (403: {detail}); the user behind the token lacks \
         the rights for it (some endpoints are admin-only) or this IP is not allowed"
    )]
    Forbidden { endpoint: String, detail: String },

    /// Kommo blocked the account's API access after rate-limit violations. Every call for
    /// the account fails with this, without reaching Kommo, until `until`.
    #[error(
        "Kommo has blocked API access for this account (403 after rate-limit violations); \
         every call is held back until {until} to let the block expire; lower the request rate \
         and, if the block persists, contact Kommo support"
    )]
    LockedOut { until: DateTime<Utc> },

    /// Still 429 after every allowed attempt.
    #[error(
        "{endpoint}: still rate limited (429) after {attempts} attempt(s); other integrations may \
         be using the account's shared request budget: lower this client's rate or retry later"
    )]
    RateLimited {
        endpoint: String,
        attempts: u32,
        retry_after: Option<Duration>,
    },

    /// Kommo rejected items of a batch write field by field. Nothing of the rejected request
    /// was written; `applied` lists the items of earlier requests of the same call that were.
    #[error("{endpoint}: Kommo rejected the data: {}; fix these fields and resend the items that were not applied{}", summarize(.errors), applied_note(.applied))]
    Validation {
        endpoint: String,
        errors: Vec<ValidationError>,
        applied: Vec<Applied>,
    },

    /// 400 or 422 without field errors: a malformed request.
    #[error("{endpoint}: Kommo rejected the request ({status}: {detail}); check its parameters")]
    BadRequest {
        endpoint: String,
        status: u16,
        detail: String,
    },

    #[error("{endpoint}: not found (404: {detail}); check the id and the base URL")]
    NotFound { endpoint: String, detail: String },

    #[error(
        "{endpoint}: the account's Kommo subscription has ended (402): writes are blocked until \
         it is renewed"
    )]
    PaymentRequired { endpoint: String },

    /// A 5xx. When `may_have_applied` is set the call was a write that may have taken effect
    /// and was deliberately not retried.
    #[error("{endpoint}: Kommo failed with HTTP {status} after {attempts} attempt(s); {}", if *.may_have_applied { "the write may or may not have been applied and was not repeated: check before sending it again" } else { "retry later" })]
    Server {
        endpoint: String,
        status: u16,
        attempts: u32,
        may_have_applied: bool,
    },

    #[error("{endpoint}: no answer from Kommo within the timeout after {attempts} attempt(s); {}", if *.may_have_applied { "the write may or may not have been applied and was not repeated: check before sending it again" } else { "retry later or raise the timeout" })]
    Timeout {
        endpoint: String,
        attempts: u32,
        may_have_applied: bool,
    },

    #[error("{endpoint}: could not talk to Kommo: {source}; check the base URL and the network")]
    Transport {
        endpoint: String,
        #[source]
        source: reqwest::Error,
    },

    #[error("{endpoint}: unexpected response from Kommo: {detail}")]
    Decode { endpoint: String, detail: String },

    #[error("{endpoint}: unexpected HTTP {status} from Kommo: {detail}")]
    UnexpectedStatus {
        endpoint: String,
        status: u16,
        detail: String,
    },

    /// The token store failed. After a refresh, the new pair was not used (and is kept in
    /// memory to be saved again on the next call), because an unsaved pair would be lost
    /// with the process while the old refresh token is already dead.
    #[error("could not {action} the Kommo OAuth tokens: {source}; fix the token store and retry")]
    TokenStore {
        action: &'static str,
        #[source]
        source: TokenStoreError,
    },

    /// A batch failed after some of its requests were written.
    #[error("{} item(s) were written before the batch failed (see `applied`): {source}", .applied.len())]
    PartiallyApplied {
        applied: Vec<Applied>,
        #[source]
        source: Box<Error>,
    },

    /// The caller's input cannot be sent as it is (e.g. an update without an id).
    #[error("invalid input for {endpoint}: {detail}")]
    InvalidInput { endpoint: String, detail: String },

    #[error("invalid Kommo client configuration: {detail}")]
    InvalidConfig { detail: String },

    #[error("could not encode the request body for {endpoint}: {detail}")]
    Encode { endpoint: String, detail: String },
}

impl Error {
    /// Whether the same call may succeed later without any change (a transient failure).
    ///
    /// For writes, check `may_have_applied` on [`Error::Server`] and [`Error::Timeout`]
    /// before repeating one.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RateLimited { .. }
            | Self::Server { .. }
            | Self::Timeout { .. }
            | Self::Transport { .. } => true,
            Self::PartiallyApplied { source, .. } => source.is_retryable(),
            _ => false,
        }
    }

    /// The field errors of a rejected batch, also when wrapped.
    pub fn validation_errors(&self) -> Option<&[ValidationError]> {
        match self {
            Self::Validation { errors, .. } => Some(errors),
            Self::PartiallyApplied { source, .. } => source.validation_errors(),
            _ => None,
        }
    }
}

fn summarize(errors: &[ValidationError]) -> String {
    const SHOWN: usize = 5;
    let mut out = errors
        .iter()
        .take(SHOWN)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    if errors.len() > SHOWN {
        out.push_str(&format!("; and {} more", errors.len() - SHOWN));
    }
    if out.is_empty() {
        out.push_str("no field named");
    }
    out
}

fn applied_note(applied: &[Applied]) -> String {
    if applied.is_empty() {
        String::new()
    } else {
        format!(
            " ({} item(s) of earlier requests were written, see `applied`)",
            applied.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_message_names_item_and_field() {
        let error = Error::Validation {
            endpoint: "POST /api/v4/leads".into(),
            errors: vec![ValidationError {
                index: Some(3),
                request_id: "3".into(),
                path: "custom_fields_values.0.field_id".into(),
                code: "NotSupportedChoice".into(),
                detail: "The value you selected is not a valid choice.".into(),
            }],
            applied: vec![Applied { index: 0, id: 10 }],
        };
        let text = error.to_string();
        assert!(
            text.contains("item 3 field `custom_fields_values.0.field_id`"),
            "{text}"
        );
        assert!(
            text.contains("1 item(s) of earlier requests were written"),
            "{text}"
        );
        assert!(!error.is_retryable());
        assert_eq!(error.validation_errors().map(<[_]>::len), Some(1));
    }

    #[test]
    fn retryable_classification() {
        let server = Error::Server {
            endpoint: "GET /x".into(),
            status: 503,
            attempts: 5,
            may_have_applied: false,
        };
        assert!(server.is_retryable());
        let locked = Error::LockedOut { until: Utc::now() };
        assert!(!locked.is_retryable());
        let wrapped = Error::PartiallyApplied {
            applied: vec![],
            source: Box::new(server),
        };
        assert!(wrapped.is_retryable());
        let reauth = Error::ReauthorizationRequired {
            reason: "Token has been revoked".into(),
        };
        assert!(reauth.to_string().contains("grant access again"));
    }
}
