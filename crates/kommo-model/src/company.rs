//! Companies: the read model of `GET /api/v4/companies` and the write model of add and update.

use serde::{Deserialize, Serialize};

use crate::common::{LinkedContact, LinkedEntity, Links, Tag, TagRef};
use crate::custom_field::CustomFieldValues;
use crate::de::{null_default, one_or_many};
use crate::hal::Entity;

/// A company as Kommo returns it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Company {
    pub id: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub responsible_user_id: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub group_id: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub created_by: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub updated_by: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub created_at: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub updated_at: i64,
    #[serde(default)]
    pub closest_task_at: Option<i64>,
    #[serde(default, deserialize_with = "null_default")]
    pub is_deleted: bool,
    #[serde(default)]
    pub custom_fields_values: Option<Vec<CustomFieldValues>>,
    #[serde(default, deserialize_with = "null_default")]
    pub account_id: i64,
    #[serde(rename = "_links", default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Links>,
    #[serde(rename = "_embedded", default, deserialize_with = "null_default")]
    pub embedded: CompanyEmbedded,
}

impl Entity for Company {
    const COLLECTION: &'static str = "companies";
}

/// `_embedded` of a company.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CompanyEmbedded {
    #[serde(default, deserialize_with = "one_or_many")]
    pub tags: Vec<Tag>,
    /// Present with `with=contacts`.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub contacts: Vec<LinkedContact>,
    /// Present with `with=leads`.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub leads: Vec<LinkedEntity>,
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub customers: Vec<LinkedEntity>,
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub catalog_elements: Vec<serde_json::Value>,
}

/// A company to add or update; also the `_embedded.companies[]` item of a lead write.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CompanyRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responsible_user_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_fields_values: Option<Vec<CustomFieldValues>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags_to_add: Option<Vec<TagRef>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags_to_delete: Option<Vec<TagRef>>,
    #[serde(rename = "_embedded", default, skip_serializing_if = "Option::is_none")]
    pub embedded: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}
