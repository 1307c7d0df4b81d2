//! Users of the account (`GET /api/v4/users?with=role,group`), with their roles and groups.

use serde::{Deserialize, Serialize};

use crate::common::Links;
use crate::de::{null_default, one_or_many};
use crate::hal::Entity;

/// A user of the Kommo account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_default")]
    pub email: String,
    #[serde(default, deserialize_with = "null_default")]
    pub lang: String,
    #[serde(default, deserialize_with = "null_default")]
    pub rights: UserRights,
    #[serde(rename = "_links", default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Links>,
    #[serde(rename = "_embedded", default, deserialize_with = "null_default")]
    pub embedded: UserEmbedded,
}

impl Entity for User {
    const COLLECTION: &'static str = "users";
}

/// A user's rights. The flags and ids are typed; the per-entity rights matrix is kept as it
/// came, so it can be stored and served as Kommo's own JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserRights {
    #[serde(default, deserialize_with = "null_default")]
    pub is_admin: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub is_free: bool,
    #[serde(default, deserialize_with = "null_default")]
    pub is_active: bool,
    #[serde(default)]
    pub group_id: Option<i64>,
    #[serde(default)]
    pub role_id: Option<i64>,
    /// `leads`, `contacts`, `companies`, `tasks`, `mail_access`, `status_rights`, ...
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// `_embedded` of a user: present with `with=role` and `with=group`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserEmbedded {
    #[serde(default, deserialize_with = "one_or_many")]
    pub roles: Vec<Role>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub groups: Vec<Group>,
}

/// A role (`GET /api/v4/roles`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Role {
    pub id: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rights: Option<serde_json::Value>,
}

impl Entity for Role {
    const COLLECTION: &'static str = "roles";
}

/// A users' group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: i64,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
}
