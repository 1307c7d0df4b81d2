//! The actions, one file per Kommo entity; each action is an input type, its `Action`
//! declaration and its `execute`.

pub(crate) mod companies;
pub(crate) mod contacts;
pub(crate) mod custom_fields;
pub(crate) mod leads;
pub(crate) mod pipelines;
pub(crate) mod statuses;
pub(crate) mod tasks;

use futures::TryStreamExt as _;
use kommo::Pages;
use kommo_model::query::{DEFAULT_LIMIT, ListQuery};
use serde::Serialize;
use serde_json::{Value, json};

use crate::action::Done;
use crate::failure::{Failure, Fields};

/// One page of a list, as the list actions return it: the items under `key`, and where the
/// next page is (`next_page` is `null` on the last one, so a caller never asks past the end).
///
/// Kommo answers a page past the end with 204 and no body; that is an empty page here, not
/// an error.
pub(crate) async fn one_page<T>(
    query: ListQuery,
    list: impl FnOnce(ListQuery) -> Pages<T>,
    key: &str,
) -> Result<Done, Failure>
where
    T: Serialize + Send + 'static,
{
    let mut query = query;
    let page = *query.page.get_or_insert(1);
    // Kommo's own default; the client would otherwise ask for its largest page.
    let limit = *query.limit.get_or_insert(DEFAULT_LIMIT);
    let mut pages = list(query);
    let found = pages
        .try_next()
        .await
        .map_err(Failure::kommo(Fields::NONE))?;
    let (items, has_next) = match found {
        Some(found) => (found.items, found.has_next),
        None => (Vec::new(), false),
    };
    let next_page = if has_next { page.checked_add(1) } else { None };
    Ok(Done::data(
        json!({ key: items, "page": page, "limit": limit, "next_page": next_page }),
    ))
}

/// `value` as JSON with the caller's `request_id` added, as Kommo's write answers echo it.
pub(crate) fn echo_request_id<T: Serialize>(value: &T, request_id: Option<&str>) -> Value {
    let mut value = serde_json::to_value(value).unwrap_or(Value::Null);
    if let (Some(request_id), Some(object)) = (request_id, value.as_object_mut()) {
        object.insert(
            "request_id".to_owned(),
            Value::String(request_id.to_owned()),
        );
    }
    value
}

/// The id Kommo gave the only item of a one-item add.
pub(crate) fn single_id(added: &[kommo_model::AddedEntity], what: &str) -> Result<i64, Failure> {
    match added {
        [one] => Ok(one.id),
        other => Err(Failure::Unexpected {
            detail: format!("adding one {what} returned {} results", other.len()),
        }),
    }
}
