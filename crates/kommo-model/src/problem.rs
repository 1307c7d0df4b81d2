//! Kommo's error bodies: RFC 7807 problem documents, with `validation-errors` for batch writes.

use serde::{Deserialize, Serialize};

/// An error body (`application/problem+json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    #[serde(default)]
    pub title: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub status: u16,
    #[serde(default)]
    pub detail: String,
    /// OAuth errors: the reason, e.g. `Token has been revoked`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(
        rename = "validation-errors",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub validation_errors: Vec<ValidationErrors>,
}

impl Problem {
    /// A problem with `type` pointing at the status code's description, as Kommo writes it.
    pub fn new(status: u16, title: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            kind: format!("https://httpstatus.es/{status}"),
            status,
            detail: detail.into(),
            hint: None,
            validation_errors: Vec::new(),
        }
    }
}

/// The errors of one item of a batch, tied to it by its `request_id`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationErrors {
    #[serde(default)]
    pub request_id: String,
    #[serde(default)]
    pub errors: Vec<FieldError>,
}

/// One invalid field: `path` such as `custom_fields_values.0.field_id`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub detail: String,
}
