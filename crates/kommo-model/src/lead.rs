//! Leads: the read model of `GET /api/v4/leads` and the write model of add, update and complex add.

use serde::{Deserialize, Serialize};

use crate::common::{LinkedCompany, LinkedContact, Links, LossReason, Tag, TagRef};
use crate::company::CompanyRequest;
use crate::contact::ContactRequest;
use crate::custom_field::CustomFieldValues;
use crate::de::{null_default, one_or_many};
use crate::hal::Entity;

/// A lead as Kommo returns it.
///
/// Rows of `with=only_deleted` carry only `id`, `updated_at` and `is_deleted: true`; every
/// other field then takes its default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Lead {
    pub id: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub price: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub responsible_user_id: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub group_id: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub status_id: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub pipeline_id: i64,
    #[serde(default)]
    pub loss_reason_id: Option<i64>,
    /// Present with `with=source_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_id: Option<i64>,
    #[serde(default, deserialize_with = "null_default")]
    pub created_by: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub updated_by: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub created_at: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub updated_at: i64,
    #[serde(default)]
    pub closed_at: Option<i64>,
    #[serde(default)]
    pub closest_task_at: Option<i64>,
    #[serde(default, deserialize_with = "null_default")]
    pub is_deleted: bool,
    #[serde(default)]
    pub custom_fields_values: Option<Vec<CustomFieldValues>>,
    #[serde(default)]
    pub score: Option<i64>,
    #[serde(default, deserialize_with = "null_default")]
    pub account_id: i64,
    #[serde(default)]
    pub labor_cost: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_price_computed: Option<bool>,
    /// Present with `with=is_price_modified_by_robot`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_price_modified_by_robot: Option<bool>,
    #[serde(rename = "_links", default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Links>,
    #[serde(rename = "_embedded", default, deserialize_with = "null_default")]
    pub embedded: LeadEmbedded,
}

impl Entity for Lead {
    const COLLECTION: &'static str = "leads";
}

/// `_embedded` of a lead.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LeadEmbedded {
    #[serde(default, deserialize_with = "one_or_many")]
    pub tags: Vec<Tag>,
    /// Present with `with=contacts`.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub contacts: Vec<LinkedContact>,
    /// At most one: a lead belongs to at most one company.
    #[serde(default, deserialize_with = "one_or_many")]
    pub companies: Vec<LinkedCompany>,
    /// Present with `with=loss_reason`; documented as an object, sent as an array.
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub loss_reason: Vec<LossReason>,
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub catalog_elements: Vec<serde_json::Value>,
}

/// A lead to add (`POST /api/v4/leads`), update (`PATCH`, with `id`) or add with its contact
/// and company (`POST /api/v4/leads/complex`). Fields left `None` are not sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LeadRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss_reason_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responsible_user_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_fields_values: Option<Vec<CustomFieldValues>>,
    /// Incremental tag changes; ignored by Kommo when `_embedded.tags` is also sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags_to_add: Option<Vec<TagRef>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags_to_delete: Option<Vec<TagRef>>,
    #[serde(rename = "_embedded", default, skip_serializing_if = "Option::is_none")]
    pub embedded: Option<LeadEmbeddedRequest>,
    /// Echoed unchanged in the response, never stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// `_embedded` of a lead write. In a plain add or update, `contacts` and `companies` are
/// links by id; in a complex add they are the full contact and company to create.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LeadEmbeddedRequest {
    /// Replaces the whole tag set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<TagRef>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Vec<ContactRequest>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub companies: Option<Vec<CompanyRequest>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceRef>,
    /// Makes a complex-added lead an incoming (unsorted) one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
}

/// `_embedded.source` of a lead write.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRef {
    pub external_id: String,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}
