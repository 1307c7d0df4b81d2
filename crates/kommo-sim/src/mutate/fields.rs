//! Custom field values of writes: checked and normalised as Kommo echoes them, then applied
//! on top of an entity's current values.

use kommo_model::{CustomFieldValue, CustomFieldValues};
use serde_json::Value;

use super::ItemErrors;
use crate::store::{Account, FieldKind, Kind};

/// The values that set something: an empty or null list clears a field, and a new entity
/// does not keep it at all.
pub(super) fn non_empty(fields: Vec<CustomFieldValues>) -> Vec<CustomFieldValues> {
    fields
        .into_iter()
        .filter(|f| f.values.as_ref().is_some_and(|v| !v.is_empty()))
        .collect()
}

/// Complex adds take at most 40 custom field values per entity.
pub(super) fn check_field_count(
    fields: &[CustomFieldValues],
    prefix: &str,
    complex: bool,
    errors: &mut ItemErrors,
) {
    if complex && fields.len() > 40 {
        errors.push(
            "TooManyValues",
            format!("{prefix}custom_fields_values"),
            "At most 40 custom field values per entity.",
        );
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
    pub(super) fn check_fields(
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
    pub(super) fn apply_fields(&mut self, kind: Kind, id: u32, changes: Vec<CustomFieldValues>) {
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
}
