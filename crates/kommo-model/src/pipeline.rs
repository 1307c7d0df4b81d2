//! Lead pipelines and their statuses (stages): `/api/v4/leads/pipelines[/{id}/statuses]`.

use serde::{Deserialize, Serialize};

use crate::common::Links;
use crate::de::{null_default, one_or_many};
use crate::hal::Entity;

/// The system status "Closed - won", present in every pipeline under this id.
pub const SYSTEM_STATUS_WON: i64 = 142;
/// The system status "Closed - lost", present in every pipeline under this id.
pub const SYSTEM_STATUS_LOST: i64 = 143;

/// A pipeline with its statuses.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Pipeline {
    pub id: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub sort: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub is_main: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub is_unsorted_on: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub is_archive: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub account_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(rename = "_links", default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Links>,
    #[serde(rename = "_embedded", default, deserialize_with = "null_default")]
    pub embedded: PipelineEmbedded,
}

impl Entity for Pipeline {
    const COLLECTION: &'static str = "pipelines";
}

/// `_embedded` of a pipeline.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PipelineEmbedded {
    #[serde(default, deserialize_with = "one_or_many")]
    pub statuses: Vec<Status>,
}

/// A pipeline status (stage).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub id: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub sort: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub is_editable: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub pipeline_id: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub color: String,
    /// 1 for the incoming-leads stage, 0 for every other.
    #[serde(rename = "type", default, deserialize_with = "null_default")]
    pub kind: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub account_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub descriptions: Option<Vec<StatusDescription>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(rename = "_links", default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Links>,
}

impl Entity for Status {
    const COLLECTION: &'static str = "statuses";
}

/// A status description for one user level (`newbie`, `candidate`, `master`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusDescription {
    pub level: String,
    pub description: String,
}

/// A pipeline to add (name, sort, is_main, is_unsorted_on required) or edit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PipelineRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_main: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_unsorted_on: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(rename = "_embedded", default, skip_serializing_if = "Option::is_none")]
    pub embedded: Option<PipelineEmbeddedRequest>,
}

/// `_embedded` of a pipeline write: its statuses (names for 142 and 143 may be given).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PipelineEmbeddedRequest {
    #[serde(default, deserialize_with = "one_or_many")]
    pub statuses: Vec<StatusRequest>,
}

/// A status to add (name and sort required) or edit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatusRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub descriptions: Option<Vec<StatusDescription>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}
