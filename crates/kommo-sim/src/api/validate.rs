//! Checking write bodies item by item, so a bad item rejects its whole request with
//! `validation-errors` tied to its `request_id`, and normalising custom field values.

use axum::http::StatusCode;
use axum::response::Response;
use kommo_model::{
    CustomFieldValue, CustomFieldValues, FieldError, Problem, TagRef, ValidationErrors,
};
use serde_json::Value;

use crate::http::problem_doc;
use crate::store::{Account, FieldKind, Kind};

/// The errors of one batch item.
#[derive(Debug, Default)]
pub(crate) struct ItemErrors {
    pub(crate) errors: Vec<FieldError>,
}

impl ItemErrors {
    pub(crate) fn push(&mut self, code: &str, path: impl Into<String>, detail: impl Into<String>) {
        self.errors.push(FieldError {
            code: code.to_owned(),
            path: path.into(),
            detail: detail.into(),
        });
    }
}

/// 400 with `validation-errors`, one entry per failing item.
pub(crate) fn validation_failed(items: Vec<(String, ItemErrors)>) -> Response {
    let mut problem = Problem::new(400, "Bad Request", "Request validation failed");
    problem.validation_errors = items
        .into_iter()
        .filter(|(_, e)| !e.errors.is_empty())
        .map(|(request_id, e)| ValidationErrors {
            request_id,
            errors: e.errors,
        })
        .collect();
    problem_doc(problem)
}

/// Too many items, or not an array: a plain 400.
pub(crate) fn batch_shape(detail: &str) -> Response {
    problem_doc(Problem::new(
        StatusCode::BAD_REQUEST.as_u16(),
        "Bad Request",
        detail,
    ))
}

pub(crate) const MAX_BATCH: usize = 250;

/// Reads a batch body: a JSON array of `T`, at most `max` items; a wrong item type gives a
/// validation error tied to its index.
pub(crate) fn batch<T: serde::de::DeserializeOwned>(
    body: &[u8],
    max: usize,
) -> Result<Vec<T>, Response> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| batch_shape(&format!("Request body is not valid JSON: {e}")))?;
    let Value::Array(items) = value else {
        return Err(batch_shape("Request body must be a JSON array of entities"));
    };
    if items.is_empty() {
        return Err(batch_shape("Request body must not be empty"));
    }
    if items.len() > max {
        return Err(batch_shape(&format!(
            "Too many entities in one request: {} (at most {max})",
            items.len()
        )));
    }
    let mut out = Vec::with_capacity(items.len());
    let mut failed = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let request_id = item
            .get("request_id")
            .and_then(Value::as_str)
            .map_or_else(|| i.to_string(), str::to_owned);
        match serde_json::from_value::<T>(item) {
            Ok(v) => out.push(v),
            Err(e) => {
                let mut errors = ItemErrors::default();
                errors.push("InvalidType", "", e.to_string());
                failed.push((request_id, errors));
            }
        }
    }
    if failed.is_empty() {
        Ok(out)
    } else {
        Err(validation_failed(failed))
    }
}

fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn date_value(v: &Value) -> Option<i64> {
    as_i64(v).or_else(|| {
        v.as_str()
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|d| d.timestamp())
    })
}

impl Account {
    /// Checks custom field values and returns them normalised as Kommo would echo them
    /// (`field_name`, `field_type`, enum ids and labels filled in). `values: null` clears.
    pub(crate) fn check_fields(
        &self,
        kind: Kind,
        fields: &[CustomFieldValues],
        prefix: &str,
        errors: &mut ItemErrors,
    ) -> Vec<CustomFieldValues> {
        let mut out = Vec::new();
        for (i, item) in fields.iter().enumerate() {
            let path = format!("{prefix}custom_fields_values.{i}");
            let def = match (item.field_id, item.field_code.as_deref()) {
                (Some(id), _) => self.fields(kind).iter().find(|f| f.def.id == id),
                (None, Some(code)) => self
                    .fields(kind)
                    .iter()
                    .find(|f| f.def.code.as_deref() == Some(code)),
                (None, None) => None,
            };
            let Some(def) = def else {
                let which = if item.field_id.is_some() || item.field_code.is_none() {
                    "field_id"
                } else {
                    "field_code"
                };
                errors.push(
                    "NotSupportedChoice",
                    format!("{path}.{which}"),
                    "The value you selected is not a valid choice.",
                );
                continue;
            };
            let Some(values) = &item.values else {
                out.push(CustomFieldValues {
                    field_id: Some(def.def.id),
                    values: None,
                    ..Default::default()
                });
                continue;
            };
            let enums = def.def.enums.as_deref().unwrap_or(&[]);
            let mut normal = Vec::new();
            for (j, v) in values.iter().enumerate() {
                let vpath = format!("{path}.values.{j}");
                let value = v.value.as_ref();
                match def.kind {
                    FieldKind::Select | FieldKind::Multiselect => {
                        let found = match (v.enum_id, value) {
                            (Some(id), _) => enums.iter().find(|e| e.id == id),
                            (None, Some(Value::String(label))) => {
                                enums.iter().find(|e| e.value.eq_ignore_ascii_case(label))
                            }
                            _ => None,
                        };
                        match found {
                            Some(e) => normal.push(CustomFieldValue {
                                value: Some(Value::String(e.value.clone())),
                                enum_id: Some(e.id),
                                enum_code: None,
                            }),
                            None => errors.push(
                                "NotSupportedChoice",
                                format!("{vpath}.enum_id"),
                                "The value you selected is not a valid choice.",
                            ),
                        }
                    }
                    FieldKind::Multitext => {
                        let Some(text) = value.and_then(Value::as_str).filter(|t| !t.is_empty())
                        else {
                            errors.push(
                                "InvalidType",
                                format!("{vpath}.value"),
                                "This value should be a non-empty string.",
                            );
                            continue;
                        };
                        let e = match (v.enum_id, v.enum_code.as_deref()) {
                            (Some(id), _) => enums.iter().find(|e| e.id == id),
                            (None, Some(code)) => enums.iter().find(|e| e.value == code),
                            (None, None) => enums.first(),
                        };
                        match e {
                            Some(e) => normal.push(CustomFieldValue {
                                value: Some(Value::String(text.to_owned())),
                                enum_id: Some(e.id),
                                enum_code: Some(e.value.clone()),
                            }),
                            None => errors.push(
                                "NotSupportedChoice",
                                format!("{vpath}.enum_code"),
                                "The value you selected is not a valid choice.",
                            ),
                        }
                    }
                    FieldKind::Numeric => match value
                        .and_then(as_i64)
                        .or_else(|| value.and_then(Value::as_f64).map(|f| f as i64))
                    {
                        Some(_) => normal.push(CustomFieldValue {
                            value: value.map(|v| {
                                Value::String(match v {
                                    Value::String(s) => s.clone(),
                                    other => other.to_string(),
                                })
                            }),
                            ..Default::default()
                        }),
                        None => errors.push(
                            "InvalidType",
                            format!("{vpath}.value"),
                            "This value should be a number.",
                        ),
                    },
                    FieldKind::Checkbox => match value {
                        Some(Value::Bool(b)) => normal.push(CustomFieldValue {
                            value: Some(Value::Bool(*b)),
                            ..Default::default()
                        }),
                        Some(v) if as_i64(v).is_some_and(|n| n == 0 || n == 1) => {
                            normal.push(CustomFieldValue {
                                value: Some(Value::Bool(as_i64(v) == Some(1))),
                                ..Default::default()
                            })
                        }
                        _ => errors.push(
                            "InvalidType",
                            format!("{vpath}.value"),
                            "This value should be of type bool.",
                        ),
                    },
                    FieldKind::Date => match value.and_then(date_value) {
                        Some(ts) => normal.push(CustomFieldValue {
                            value: Some(Value::from(ts)),
                            ..Default::default()
                        }),
                        None => errors.push(
                            "InvalidType",
                            format!("{vpath}.value"),
                            "This value should be a Unix timestamp or an RFC 3339 date.",
                        ),
                    },
                    FieldKind::Text | FieldKind::Textarea | FieldKind::Url => match value {
                        Some(Value::String(s)) if !s.is_empty() => normal.push(CustomFieldValue {
                            value: Some(Value::String(s.clone())),
                            ..Default::default()
                        }),
                        Some(Value::Number(n)) => normal.push(CustomFieldValue {
                            value: Some(Value::String(n.to_string())),
                            ..Default::default()
                        }),
                        _ => errors.push(
                            "InvalidType",
                            format!("{vpath}.value"),
                            "This value should be a non-empty string.",
                        ),
                    },
                }
            }
            out.push(CustomFieldValues {
                field_id: Some(def.def.id),
                field_name: Some(def.def.name.clone()),
                field_code: def.def.code.clone(),
                field_type: Some(def.kind.wire().to_owned()),
                values: Some(normal),
                is_computed: Some(false),
            });
        }
        out
    }

    /// Applies checked field values on top of an entity's current ones: a listed field's
    /// values replace its old ones; `values: null` clears the field.
    pub(crate) fn apply_fields(&mut self, kind: Kind, id: u32, changes: Vec<CustomFieldValues>) {
        if changes.is_empty() {
            return;
        }
        let mut current = self.field_values(kind, id).unwrap_or_default();
        for change in changes {
            current.retain(|f| f.field_id != change.field_id);
            if change.values.as_ref().is_some_and(|v| !v.is_empty()) {
                current.push(change);
            }
        }
        let order: Vec<i64> = self.fields(kind).iter().map(|f| f.def.id).collect();
        current.sort_by_key(|f| order.iter().position(|id| Some(*id) == f.field_id));
        self.extra_mut(kind, id).fields = Some(current);
    }

    /// Checks tag references: an id must exist in the kind's dictionary; a name may be new.
    pub(crate) fn check_tags(
        &self,
        kind: Kind,
        tags: &[TagRef],
        path: &str,
        errors: &mut ItemErrors,
    ) {
        for (i, tag) in tags.iter().enumerate() {
            match (tag.id, tag.name.as_deref()) {
                (Some(id), _) if !self.kind_tags(kind).iter().any(|t| t.id == id) => {
                    errors.push(
                        "NotSupportedChoice",
                        format!("{path}.{i}.id"),
                        "Tag not found",
                    );
                }
                (None, None) | (None, Some("")) => errors.push(
                    "NotBlank",
                    format!("{path}.{i}"),
                    "Either a tag id or a name is required",
                ),
                _ => {}
            }
        }
    }

    /// Tag ids for references, creating unknown names in the dictionary.
    pub(crate) fn resolve_tags(&mut self, kind: Kind, tags: &[TagRef]) -> Vec<i64> {
        let mut out = Vec::new();
        for tag in tags {
            let id = match (tag.id, tag.name.as_deref()) {
                (Some(id), _) => id,
                (None, Some(name)) => match self
                    .kind_tags(kind)
                    .iter()
                    .find(|t| t.name.eq_ignore_ascii_case(name))
                {
                    Some(t) => t.id,
                    None => self.create_tag(kind, name, None),
                },
                (None, None) => continue,
            };
            if !out.contains(&id) {
                out.push(id);
            }
        }
        out
    }

    pub(crate) fn create_tag(&mut self, kind: Kind, name: &str, color: Option<String>) -> i64 {
        let id = self.next_tag_id;
        self.next_tag_id += 1;
        self.tags[kind as usize].push(kommo_model::Tag {
            id,
            name: name.to_owned(),
            color,
            request_id: None,
        });
        id
    }

    /// The tag ids currently on an entity.
    pub(crate) fn tag_ids(&self, kind: Kind, id: u32, packed: &[u16]) -> Vec<i64> {
        self.entity_tags(kind, id, packed)
            .iter()
            .map(|t| t.id)
            .collect()
    }
}
