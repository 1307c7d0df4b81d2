//! Events (`GET /api/v4/events`): the account's change log (`lead_added`, `lead_status_changed`, ...).

use serde::{Deserialize, Serialize};

use crate::de::null_default;
use crate::hal::Entity;

/// One event. Its id is a string, and `entity_type` is singular (`lead`, `contact`, ...).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type", default, deserialize_with = "null_default")]
    pub kind: String,
    #[serde(default, deserialize_with = "null_default")]
    pub entity_id: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub entity_type: String,
    /// 0 for the robot or the system.
    #[serde(default, deserialize_with = "null_default")]
    pub created_by: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub created_at: i64,
    #[serde(default)]
    pub value_after: serde_json::Value,
    #[serde(default)]
    pub value_before: serde_json::Value,
    #[serde(default, deserialize_with = "null_default")]
    pub account_id: i64,
    #[serde(rename = "_embedded", default, skip_serializing_if = "Option::is_none")]
    pub embedded: Option<serde_json::Value>,
}

impl Entity for Event {
    const COLLECTION: &'static str = "events";
}
