//! Custom field definitions (`/api/v4/{entity}/custom_fields`) and the values entities carry.

use serde::{Deserialize, Serialize};

use crate::de::null_default;
use crate::hal::Entity;

/// One field's values on an entity (`custom_fields_values[]`); also the write form, where
/// `field_id` or `field_code` names the field and `values: null` clears it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomFieldValues {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_type: Option<String>,
    pub values: Option<Vec<CustomFieldValue>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_computed: Option<bool>,
}

/// One value: text, number, boolean or timestamp in `value`; selects also carry `enum_id`,
/// multitext fields (PHONE, EMAIL) an `enum_code` such as `WORK`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomFieldValue {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enum_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enum_code: Option<String>,
}

/// A custom field definition.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomField {
    pub id: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub sort: i64,
    /// `text`, `numeric`, `select`, `multitext`, ... (a string on the wire, whatever the
    /// reference tables say).
    #[serde(rename = "type", default, deserialize_with = "null_default")]
    pub field_type: String,
    #[serde(default, deserialize_with = "null_default")]
    pub entity_type: String,
    #[serde(default, deserialize_with = "null_default")]
    pub is_predefined: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub is_deletable: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub is_visible: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub is_required: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub is_api_only: bool,
    #[serde(default)]
    pub group_id: Option<String>,
    #[serde(default)]
    pub required_statuses: Option<Vec<RequiredStatus>>,
    #[serde(default)]
    pub enums: Option<Vec<CustomFieldEnum>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<i64>,
}

impl Entity for CustomField {
    const COLLECTION: &'static str = "custom_fields";
}

/// An option of a select, multiselect or multitext field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomFieldEnum {
    pub id: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub value: String,
    #[serde(default, deserialize_with = "null_default")]
    pub sort: i64,
}

/// A stage in which a field must be filled.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequiredStatus {
    pub status_id: i64,
    pub pipeline_id: i64,
}
