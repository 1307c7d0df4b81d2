//! Tasks: the read model of `GET /api/v4/tasks` and the write model of add and update.

use serde::{Deserialize, Serialize};

use crate::common::Links;
use crate::de::{null_default, object_or_empty_list};
use crate::hal::Entity;

/// A task as Kommo returns it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub created_by: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub updated_by: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub created_at: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub updated_at: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub responsible_user_id: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub group_id: i64,
    #[serde(default)]
    pub entity_id: Option<i64>,
    /// `leads`, `contacts`, `companies` or `customers`.
    #[serde(default)]
    pub entity_type: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub is_completed: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub task_type_id: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub text: String,
    #[serde(default, deserialize_with = "null_default")]
    pub duration: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub complete_till: i64,
    /// `{"text": ...}` once completed with a result; `[]` before.
    #[serde(default, deserialize_with = "object_or_empty_list")]
    pub result: Option<TaskResult>,
    #[serde(default, deserialize_with = "null_default")]
    pub account_id: i64,
    #[serde(rename = "_links", default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Links>,
}

impl Entity for Task {
    const COLLECTION: &'static str = "tasks";
}

/// The result recorded when a task is completed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskResult {
    #[serde(default, deserialize_with = "null_default")]
    pub text: String,
}

/// A task to add (`text` and `complete_till` required) or update (with `id`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complete_till: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_type_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responsible_user_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_completed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<TaskResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}
