//! The HAL envelope of every Kommo list response: `_page`, `_links`, `_embedded.{noun}`.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::common::Links;

/// A Kommo entity that appears in lists under `_embedded.{COLLECTION}`.
pub trait Entity {
    /// The key under `_embedded` (`leads`, `contacts`, `statuses`, ...).
    const COLLECTION: &'static str;
}

/// One page of a Kommo list.
///
/// Leads, contacts and companies carry no total; small dictionaries (pipelines, loss
/// reasons, sources) carry `_total_items`; users also carry `_page_count`.
#[derive(Debug, Clone, PartialEq)]
pub struct Collection<T> {
    pub page: Option<u32>,
    pub page_count: Option<u32>,
    pub total_items: Option<u64>,
    pub links: Links,
    pub items: Vec<T>,
}

impl<T> Collection<T> {
    /// Whether Kommo says another page exists (`_links.next` present).
    pub fn has_next(&self) -> bool {
        self.links.next.is_some()
    }
}

impl<T> Default for Collection<T> {
    fn default() -> Self {
        Self {
            page: None,
            page_count: None,
            total_items: None,
            links: Links::default(),
            items: Vec::new(),
        }
    }
}

impl<T: Entity + Serialize> Serialize for Collection<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Embedded<'a, T>(&'a [T]);
        impl<T: Entity + Serialize> Serialize for Embedded<'_, T> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry(T::COLLECTION, self.0)?;
                map.end()
            }
        }
        let mut map = serializer.serialize_map(None)?;
        if let Some(total) = self.total_items {
            map.serialize_entry("_total_items", &total)?;
        }
        if let Some(page) = self.page {
            map.serialize_entry("_page", &page)?;
        }
        if let Some(count) = self.page_count {
            map.serialize_entry("_page_count", &count)?;
        }
        map.serialize_entry("_links", &self.links)?;
        map.serialize_entry("_embedded", &Embedded(&self.items))?;
        map.end()
    }
}

impl<'de, T: Entity + Deserialize<'de>> Deserialize<'de> for Collection<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EnvelopeVisitor<T>(PhantomData<T>);
        impl<'de, T: Entity + Deserialize<'de>> Visitor<'de> for EnvelopeVisitor<T> {
            type Value = Collection<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a Kommo HAL collection with _embedded.{}", T::COLLECTION)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Collection::default();
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match key.as_ref() {
                        "_page" => out.page = map.next_value()?,
                        "_page_count" => out.page_count = map.next_value()?,
                        "_total_items" => out.total_items = map.next_value()?,
                        "_links" => {
                            out.links = map.next_value::<Option<Links>>()?.unwrap_or_default()
                        }
                        "_embedded" => out.items = map.next_value::<EmbeddedItems<T>>()?.0,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(out)
            }
        }
        deserializer.deserialize_map(EnvelopeVisitor(PhantomData))
    }
}

/// `_embedded`: the entry named `T::COLLECTION`; any other entry is ignored.
struct EmbeddedItems<T>(Vec<T>);

impl<'de, T: Entity + Deserialize<'de>> Deserialize<'de> for EmbeddedItems<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EmbeddedVisitor<T>(PhantomData<T>);
        impl<'de, T: Entity + Deserialize<'de>> Visitor<'de> for EmbeddedVisitor<T> {
            type Value = EmbeddedItems<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "an object holding the list {}", T::COLLECTION)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if key == T::COLLECTION {
                        items = map.next_value::<Option<Vec<T>>>()?.unwrap_or_default();
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(EmbeddedItems(items))
            }
            // PHP renders an empty `_embedded` as `[]`.
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(EmbeddedItems(Vec::new()))
            }
        }
        deserializer.deserialize_any(EmbeddedVisitor(PhantomData))
    }
}

/// The body of a batch write response: `_embedded.{noun}` holds one result per item.
///
/// The noun is whatever the endpoint writes, so any single entry of `_embedded` is accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchResponse<T> {
    #[serde(rename = "_links", default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Links>,
    #[serde(rename = "_embedded")]
    pub embedded: std::collections::BTreeMap<String, Vec<T>>,
}

impl<T> BatchResponse<T> {
    /// Every item, whatever the key.
    pub fn into_items(self) -> Vec<T> {
        self.embedded.into_values().flatten().collect()
    }
}
