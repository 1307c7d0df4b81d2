//! Flattening rules every entity shares: tags, id lists, custom fields as JSON text, document ids.

use std::collections::HashMap;

use kommo_model::{CustomFieldValue, CustomFieldValues, Tag};
use kommo_store::rows::{RowTag, RowTenancy};
use serde::Serialize;

/// The resources whose rows carry a `document_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Leads,
    Contacts,
    Companies,
    Tasks,
    Pipelines,
    Users,
}

impl Resource {
    /// The resource's name in the document id derivation.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Leads => "lead",
            Self::Contacts => "contact",
            Self::Companies => "company",
            Self::Tasks => "task",
            Self::Pipelines => "pipeline",
            Self::Users => "user",
        }
    }
}

/// The stable id of a row: UUID v5 of (integration id, resource, Kommo id[, status id]).
/// The store derives the same id on write ([`kommo_store::document_id`], the one
/// definition), so a flattened row and its stored copy agree.
pub fn document_id(
    integration_id: &str,
    resource: Resource,
    kommo_id: i64,
    status_id: Option<i64>,
) -> String {
    match status_id {
        Some(status_id) => {
            kommo_store::document_id(integration_id, resource.as_str(), &[kommo_id, status_id])
        }
        None => kommo_store::document_id(integration_id, resource.as_str(), &[kommo_id]),
    }
}

/// What every row of one integration's run shares.
#[derive(Debug, Clone)]
pub struct FlattenContext<'a> {
    pub tenancy: &'a RowTenancy,
    /// Unix milliseconds: the rows' `inserted_at`.
    pub inserted_at: i64,
    pub dictionaries: &'a crate::dictionaries::Dictionaries,
}

/// The tag columns of a lead or contact row.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct TagColumns {
    pub(crate) tags: Option<String>,
    pub(crate) tag_id: Option<String>,
    pub(crate) tag_name: Option<String>,
    pub(crate) tag_color: Option<String>,
    pub(crate) tag_id_first: Option<String>,
    pub(crate) tag_name_first: Option<String>,
    pub(crate) tag_color_first: Option<String>,
    pub(crate) list: Vec<RowTag>,
}

#[derive(Serialize)]
struct TagJson<'a> {
    id: i64,
    name: &'a str,
    color: Option<&'a str>,
}

/// Tags in Kommo's order. An embedded tag without a color takes the color from the synced
/// tag dictionary, because some list responses omit it while the dictionary has it.
pub(crate) fn tag_columns(tags: &[Tag], dictionary: &HashMap<i64, Tag>) -> TagColumns {
    if tags.is_empty() {
        return TagColumns::default();
    }
    let list: Vec<RowTag> = tags
        .iter()
        .map(|tag| {
            let known = dictionary.get(&tag.id);
            let name = if tag.name.is_empty() {
                known.map(|k| k.name.clone()).unwrap_or_default()
            } else {
                tag.name.clone()
            };
            let color = tag
                .color
                .clone()
                .filter(|c| !c.is_empty())
                .or_else(|| known.and_then(|k| k.color.clone()));
            RowTag {
                id: tag.id,
                name,
                color,
            }
        })
        .collect();
    let json: Vec<TagJson<'_>> = list
        .iter()
        .map(|t| TagJson {
            id: t.id,
            name: &t.name,
            color: t.color.as_deref(),
        })
        .collect();
    let first = &list[0];
    TagColumns {
        tags: Some(compact_json(&json)),
        tag_id: Some(join(list.iter().map(|t| t.id.to_string()))),
        tag_name: Some(join(list.iter().map(|t| t.name.clone()))),
        tag_color: Some(join(
            list.iter().map(|t| t.color.clone().unwrap_or_default()),
        )),
        tag_id_first: Some(first.id.to_string()),
        tag_name_first: Some(first.name.clone()),
        tag_color_first: first.color.clone(),
        list,
    }
}

/// Items joined with commas, or `None` when there are none.
pub(crate) fn id_list(ids: impl IntoIterator<Item = i64>) -> Option<String> {
    let text = join(ids.into_iter().map(|id| id.to_string()));
    if text.is_empty() { None } else { Some(text) }
}

fn join(items: impl Iterator<Item = String>) -> String {
    let mut out = String::new();
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&item);
    }
    out
}

/// One field of `custom_fields_values` in Kommo's own shape: every key Kommo sends, `null`
/// included, so the text reads back as the API returned it.
#[derive(Serialize)]
struct FieldJson<'a> {
    field_id: Option<i64>,
    field_name: Option<&'a str>,
    field_code: Option<&'a str>,
    field_type: Option<&'a str>,
    values: Option<&'a [CustomFieldValue]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_computed: Option<bool>,
}

/// `custom_fields_values` as compact JSON text; `None` when Kommo has none.
pub(crate) fn custom_fields_json(fields: Option<&[CustomFieldValues]>) -> Option<String> {
    let fields = fields.filter(|f| !f.is_empty())?;
    let out: Vec<FieldJson<'_>> = fields
        .iter()
        .map(|f| FieldJson {
            field_id: f.field_id,
            field_name: f.field_name.as_deref(),
            field_code: f.field_code.as_deref(),
            field_type: f.field_type.as_deref(),
            values: f.values.as_deref(),
            is_computed: f.is_computed,
        })
        .collect();
    Some(compact_json(&out))
}

/// Every value of the fields with this `field_code` (`PHONE`, `EMAIL`), as text, in order.
pub(crate) fn field_values_by_code(
    fields: Option<&[CustomFieldValues]>,
    code: &str,
) -> Vec<String> {
    let Some(fields) = fields else {
        return Vec::new();
    };
    fields
        .iter()
        .filter(|f| {
            f.field_code
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case(code))
        })
        .flat_map(|f| f.values.iter().flatten())
        .filter_map(|v| match v.value.as_ref()? {
            serde_json::Value::String(s) => Some(s.trim().to_owned()),
            serde_json::Value::Null => None,
            other => Some(other.to_string()),
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// Serialises a value made only of strings, numbers, booleans and lists: this cannot fail,
/// but a failure must not lose the row, so it degrades to `null` text.
pub(crate) fn compact_json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// An empty Kommo string as `None`: Kommo writes `""` and `null` interchangeably for names.
pub(crate) fn non_empty(text: &str) -> Option<String> {
    if text.is_empty() {
        None
    } else {
        Some(text.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(id: i64, name: &str, color: Option<&str>) -> Tag {
        Tag {
            id,
            name: name.into(),
            color: color.map(Into::into),
            request_id: None,
        }
    }

    #[test]
    fn document_ids_are_stable_and_distinct() {
        let a = document_id("acme", Resource::Leads, 152462, None);
        assert_eq!(a, document_id("acme", Resource::Leads, 152462, None));
        assert_eq!(uuid::Uuid::parse_str(&a).unwrap().get_version_num(), 5);
        assert_ne!(a, document_id("acme", Resource::Contacts, 152462, None));
        assert_ne!(a, document_id("other", Resource::Leads, 152462, None));
        assert_ne!(
            document_id("acme", Resource::Pipelines, 1, Some(142)),
            document_id("acme", Resource::Pipelines, 1, Some(143))
        );
        // The store's derivation, so stored and flattened rows agree.
        assert_eq!(a, kommo_store::document_id("acme", "lead", &[152462]));
    }

    #[test]
    fn tags_keep_order_and_colorless_tags_leave_empty_items() {
        let cols = tag_columns(
            &[
                tag(5, "VIP", Some("FFCE5A")),
                tag(2164, "Ex", None),
                tag(7, "a,b", Some("00FF00")),
            ],
            &HashMap::new(),
        );
        assert_eq!(
            cols.tags.as_deref(),
            Some(
                r#"[{"id":5,"name":"VIP","color":"FFCE5A"},{"id":2164,"name":"Ex","color":null},{"id":7,"name":"a,b","color":"00FF00"}]"#
            )
        );
        assert_eq!(cols.tag_id.as_deref(), Some("5,2164,7"));
        assert_eq!(cols.tag_name.as_deref(), Some("VIP,Ex,a,b"));
        assert_eq!(cols.tag_color.as_deref(), Some("FFCE5A,,00FF00"));
        assert_eq!(cols.tag_id_first.as_deref(), Some("5"));
        assert_eq!(cols.tag_name_first.as_deref(), Some("VIP"));
        assert_eq!(cols.tag_color_first.as_deref(), Some("FFCE5A"));
        assert_eq!(cols.list.len(), 3);
    }

    #[test]
    fn no_tags_means_null_columns() {
        assert_eq!(tag_columns(&[], &HashMap::new()), TagColumns::default());
    }

    #[test]
    fn missing_tag_color_comes_from_the_dictionary() {
        let dictionary = HashMap::from([(9, tag(9, "Hot", Some("FF0000")))]);
        let cols = tag_columns(&[tag(9, "Hot", None)], &dictionary);
        assert_eq!(cols.tag_color_first.as_deref(), Some("FF0000"));
        assert_eq!(
            cols.tags.as_deref(),
            Some(r#"[{"id":9,"name":"Hot","color":"FF0000"}]"#)
        );
    }

    #[test]
    fn custom_fields_render_as_kommo_sends_them() {
        let fields: Vec<CustomFieldValues> = serde_json::from_str(
            r#"[{"field_id":1,"field_name":"Phone","field_code":"PHONE","field_type":"multitext",
                 "values":[{"value":"+55 11 9999-0000","enum_id":3,"enum_code":"WORK"},{"value":"+1 555"}]},
                {"field_id":2,"field_name":"Sale","field_code":null,"field_type":"checkbox","values":[{"value":true}],"is_computed":false}]"#,
        )
        .unwrap();
        assert_eq!(
            custom_fields_json(Some(&fields)).as_deref(),
            Some(concat!(
                r#"[{"field_id":1,"field_name":"Phone","field_code":"PHONE","field_type":"multitext","#,
                r#""values":[{"value":"+55 11 9999-0000","enum_id":3,"enum_code":"WORK"},{"value":"+1 555"}]},"#,
                r#"{"field_id":2,"field_name":"Sale","field_code":null,"field_type":"checkbox","values":[{"value":true}],"is_computed":false}]"#
            ))
        );
        assert_eq!(
            field_values_by_code(Some(&fields), "PHONE"),
            vec!["+55 11 9999-0000", "+1 555"]
        );
        assert!(field_values_by_code(Some(&fields), "EMAIL").is_empty());
        assert_eq!(custom_fields_json(Some(&[])), None);
        assert_eq!(custom_fields_json(None), None);
    }

    #[test]
    fn id_lists_are_comma_separated_or_null() {
        assert_eq!(id_list([406322, 406330]).as_deref(), Some("406322,406330"));
        assert_eq!(id_list([]), None);
    }
}
