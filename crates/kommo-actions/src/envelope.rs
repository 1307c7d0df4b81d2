//! The one result shape of every action, on every surface: `{data, error, successful}`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What an action returns.
///
/// `error` is written for the caller to act on: it names the offending input field, carries
/// Kommo's own validation messages, or says when the rate limit allows a retry. It never holds
/// a stack trace or a token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Envelope {
    /// Data from the action execution (`null` when it did not run to the end).
    pub data: Option<Value>,
    /// Error if any occurred during the execution of the action.
    pub error: Option<String>,
    /// Whether or not the action execution was successful or not.
    pub successful: bool,
}

impl Envelope {
    pub fn success(data: Value) -> Self {
        Self {
            data: Some(data),
            error: None,
            successful: true,
        }
    }

    pub fn failure(error: impl Into<String>) -> Self {
        Self {
            data: None,
            error: Some(error.into()),
            successful: false,
        }
    }

    /// The action did its work in Kommo, but something after it (refreshing the local store)
    /// did not: the data is real, the note says what is stale.
    pub fn success_with_warning(data: Value, warning: impl Into<String>) -> Self {
        Self {
            data: Some(data),
            error: Some(warning.into()),
            successful: true,
        }
    }

    /// The envelope as a JSON value.
    pub fn to_value(&self) -> Value {
        serde_json::json!({ "data": self.data, "error": self.error, "successful": self.successful })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_present_even_when_null() {
        let value = Envelope::failure("field `name`: missing").to_value();
        assert_eq!(
            value,
            serde_json::json!({"data": null, "error": "field `name`: missing", "successful": false})
        );
        let text = serde_json::to_string(&Envelope::success(serde_json::json!({"id": 1}))).unwrap();
        assert_eq!(text, r#"{"data":{"id":1},"error":null,"successful":true}"#);
    }
}
