//! The account (`GET /api/v4/account`) and the parts its `with` values add.

use serde::{Deserialize, Serialize};

use crate::common::Links;
use crate::de::null_default;

/// The Kommo account the token belongs to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub id: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub subdomain: String,
    #[serde(default, deserialize_with = "null_default")]
    pub created_at: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub created_by: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub updated_at: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub updated_by: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub current_user_id: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub country: String,
    #[serde(default, deserialize_with = "null_default")]
    pub currency: String,
    #[serde(default, deserialize_with = "null_default")]
    pub currency_symbol: String,
    #[serde(default, deserialize_with = "null_default")]
    pub customers_mode: String,
    #[serde(default, deserialize_with = "null_default")]
    pub is_unsorted_on: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub mobile_feature_version: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub is_loss_reason_enabled: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub is_helpbot_enabled: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub is_technical_account: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub contact_name_display_order: i64,
    /// With `with=amojo_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amojo_id: Option<String>,
    /// With `with=version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// With `with=datetime_settings`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datetime_settings: Option<DatetimeSettings>,
    #[serde(rename = "_links", default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Links>,
    #[serde(rename = "_embedded", default, skip_serializing_if = "Option::is_none")]
    pub embedded: Option<AccountEmbedded>,
}

/// `_embedded` of the account: users' groups and task types, each with its `with` value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountEmbedded {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users_groups: Option<Vec<UsersGroup>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_types: Option<Vec<TaskType>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amojo_rights: Option<serde_json::Value>,
}

/// A users' group as listed on the account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersGroup {
    pub id: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
}

/// A task type (1 = follow-up, 2 = meeting, others custom).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskType {
    pub id: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default)]
    pub color: Option<String>,
    #[serde(default)]
    pub icon_id: Option<i64>,
    #[serde(default)]
    pub code: Option<String>,
}

/// The account's date and time formats and time zone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatetimeSettings {
    #[serde(default, deserialize_with = "null_default")]
    pub date_pattern: String,
    #[serde(default, deserialize_with = "null_default")]
    pub short_date_pattern: String,
    #[serde(default, deserialize_with = "null_default")]
    pub short_time_pattern: String,
    #[serde(default, deserialize_with = "null_default")]
    pub date_format: String,
    #[serde(default, deserialize_with = "null_default")]
    pub time_format: String,
    #[serde(default, deserialize_with = "null_default")]
    pub timezone: String,
    #[serde(default, deserialize_with = "null_default")]
    pub timezone_offset: String,
}
