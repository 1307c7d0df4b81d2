//! Small models shared by several entities: links, tags, loss reasons, sources, write results.

use serde::{Deserialize, Serialize};

use crate::de::null_default;
use crate::hal::Entity;

/// A HAL link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub href: String,
}

/// `_links`: `self` always, `next` only when another page exists, `prev` from page 2.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Links {
    #[serde(rename = "self", default, skip_serializing_if = "Option::is_none")]
    pub self_: Option<Link>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<Link>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<Link>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<Link>,
}

impl Links {
    /// Links with only `self`.
    pub fn to_self(href: impl Into<String>) -> Self {
        Self {
            self_: Some(Link { href: href.into() }),
            ..Self::default()
        }
    }
}

/// A tag as attached to an entity: `color` is hex without `#`, or `null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub id: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default)]
    pub color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl Entity for Tag {
    const COLLECTION: &'static str = "tags";
}

/// A tag named in a write: by id or by name (Kommo creates unknown names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Body item of `POST /api/v4/{entity}/tags`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagRequest {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// `_embedded.contacts[]` of a lead or company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedContact {
    pub id: i64,
    #[serde(default)]
    pub is_main: Option<bool>,
}

/// `_embedded.companies[]` of a lead or contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedCompany {
    pub id: i64,
}

/// `_embedded.leads[]` of a contact or company, and other id-only links.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedEntity {
    pub id: i64,
}

/// `GET /api/v4/leads/loss_reasons`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LossReason {
    pub id: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub sort: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub created_at: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub updated_at: i64,
}

impl Entity for LossReason {
    const COLLECTION: &'static str = "loss_reasons";
}

/// `GET /api/v4/sources`: where leads come from (a form, a chat channel, a widget).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub id: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default)]
    pub pipeline_id: Option<i64>,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub default: Option<bool>,
    #[serde(default)]
    pub origin_code: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub services: Vec<serde_json::Value>,
}

impl Entity for Source {
    const COLLECTION: &'static str = "sources";
}

/// One item of a batch `POST` response: the new id and the echoed `request_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddedEntity {
    pub id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
    #[serde(default, rename = "_links", skip_serializing_if = "Option::is_none")]
    pub links: Option<Links>,
}

/// One item of a batch `PATCH` response.
pub type UpdatedEntity = AddedEntity;

/// One item of the `POST /api/v4/leads/complex` response (a plain array, not HAL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplexAddResult {
    pub id: i64,
    #[serde(default)]
    pub contact_id: Option<i64>,
    #[serde(default)]
    pub company_id: Option<i64>,
    /// The request ids merged into this lead: one unless duplicates were found.
    #[serde(default, deserialize_with = "null_default")]
    pub request_id: Vec<String>,
    #[serde(default)]
    pub merged: bool,
}
