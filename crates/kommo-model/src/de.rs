//! Deserialisation helpers for Kommo's loose typing (nulls, numbers as strings, `[]` for `{}`).

use serde::{Deserialize, Deserializer};

/// A missing or `null` value becomes the type's default.
///
/// Kommo sends `null` for fields its reference types as plain `int` (every field of a
/// `with=only_deleted` row, `group_id` of a user without a group), so a strict reader
/// would reject whole pages over one field.
pub(crate) fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// An object, or an array holding zero or more of them (Kommo writes an empty object as `[]`,
/// and the lead's `_embedded.loss_reason` is documented as an object but sent as an array).
pub(crate) fn one_or_many<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany<T> {
        Many(Vec<T>),
        One(T),
        Null(()),
    }
    Ok(match OneOrMany::<T>::deserialize(deserializer)? {
        OneOrMany::Many(items) => items,
        OneOrMany::One(item) => vec![item],
        OneOrMany::Null(()) => Vec::new(),
    })
}

/// An object, or `[]` / `null` meaning "none" (PHP serialises an empty map as an empty list).
pub(crate) fn object_or_empty_list<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ObjectOrList<T> {
        Object(T),
        #[allow(
            dead_code,
            reason = "only matched to accept `[]`; its items are discarded"
        )]
        List(Vec<serde::de::IgnoredAny>),
        Null(()),
    }
    Ok(match ObjectOrList::<T>::deserialize(deserializer)? {
        ObjectOrList::Object(value) => Some(value),
        ObjectOrList::List(_) | ObjectOrList::Null(()) => None,
    })
}
