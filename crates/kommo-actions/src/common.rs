//! Input pieces several actions share: tags, custom field values, date ranges, sort
//! directions, status filters, and how they become Kommo's wire types.

use std::borrow::Cow;

use kommo_model::query::{Direction, Range, StatusFilter};
use kommo_model::{CustomFieldValue, CustomFieldValues, TagRef};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::input::InputError;

/// A tag to add or delete. Provide either tag name or ID.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TagInput {
    /// Tag ID
    #[serde(default)]
    pub(crate) id: Option<i64>,
    /// Tag name (Kommo creates a tag it does not know yet)
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub(crate) name: Option<String>,
}

impl TagInput {
    pub(crate) fn check(&self, field: &str) -> Result<(), InputError> {
        if self.id.is_none() && self.name.is_none() {
            return Err(InputError::field(
                field,
                "give the tag's `id` or its `name`",
            ));
        }
        Ok(())
    }

    pub(crate) fn to_wire(&self) -> TagRef {
        TagRef {
            id: self.id,
            name: self.name.clone(),
        }
    }
}

pub(crate) fn check_tags(tags: Option<&[TagInput]>, field: &str) -> Result<(), InputError> {
    for (index, tag) in tags.unwrap_or_default().iter().enumerate() {
        tag.check(&format!("{field}[{index}]"))?;
    }
    Ok(())
}

pub(crate) fn tags_to_wire(tags: Option<&[TagInput]>) -> Option<Vec<TagRef>> {
    tags.map(|tags| tags.iter().map(TagInput::to_wire).collect())
}

/// The values of one custom field. Name the field by `field_id` or by `field_code`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CustomFieldValuesInput {
    /// ID of the custom field (see KOMMO_LIST_CUSTOM_FIELDS)
    #[serde(default)]
    pub(crate) field_id: Option<i64>,
    /// Code of the custom field, for fields that have one (e.g. `PHONE`, `EMAIL`)
    #[serde(default)]
    pub(crate) field_code: Option<String>,
    /// The field's new values; an empty list clears the field
    pub(crate) values: Vec<CustomFieldValueInput>,
}

/// One value of a custom field.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CustomFieldValueInput {
    /// The value: text, number, boolean, or a Unix timestamp for date fields
    #[serde(default)]
    pub(crate) value: Option<Value>,
    /// For select and multiselect fields: the ID of the chosen option
    #[serde(default)]
    pub(crate) enum_id: Option<i64>,
    /// For multitext fields (phones, emails): the kind of value, e.g. `WORK`, `MOB`
    #[serde(default)]
    pub(crate) enum_code: Option<String>,
}

pub(crate) fn check_custom_fields(
    values: Option<&[CustomFieldValuesInput]>,
    field: &str,
) -> Result<(), InputError> {
    for (index, item) in values.unwrap_or_default().iter().enumerate() {
        let at = format!("{field}[{index}]");
        if item.field_id.is_none() && item.field_code.is_none() {
            return Err(InputError::field(
                at,
                "give the custom field's `field_id` or its `field_code`",
            ));
        }
        for (position, value) in item.values.iter().enumerate() {
            if value.value.is_none() && value.enum_id.is_none() && value.enum_code.is_none() {
                return Err(InputError::field(
                    format!("{at}.values[{position}]"),
                    "give a `value`, an `enum_id` or an `enum_code`",
                ));
            }
        }
    }
    Ok(())
}

pub(crate) fn custom_fields_to_wire(
    values: Option<&[CustomFieldValuesInput]>,
) -> Option<Vec<CustomFieldValues>> {
    values.map(|values| {
        values
            .iter()
            .map(|item| CustomFieldValues {
                field_id: item.field_id,
                field_code: item.field_code.clone(),
                // Kommo clears a field when its values are `null`.
                values: (!item.values.is_empty()).then(|| {
                    item.values
                        .iter()
                        .map(|v| CustomFieldValue {
                            value: v.value.clone(),
                            enum_id: v.enum_id,
                            enum_code: v.enum_code.clone(),
                        })
                        .collect()
                }),
                ..CustomFieldValues::default()
            })
            .collect()
    })
}

/// Model for date range filters in Unix timestamp format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DateRange {
    /// Start of the range (Unix timestamp, inclusive)
    #[serde(default)]
    pub(crate) from: Option<i64>,
    /// End of the range (Unix timestamp, inclusive)
    #[serde(default)]
    pub(crate) to: Option<i64>,
}

impl DateRange {
    pub(crate) fn check(&self, field: &str) -> Result<(), InputError> {
        match (self.from, self.to) {
            (None, None) => Err(InputError::field(field, "give `from`, `to` or both")),
            (Some(from), Some(to)) if from > to => Err(InputError::field(
                field,
                format!("`from` ({from}) is after `to` ({to})"),
            )),
            _ => Ok(()),
        }
    }

    pub(crate) fn to_range(self) -> Range {
        Range {
            from: self.from,
            to: self.to,
        }
    }
}

pub(crate) fn check_range(range: Option<&DateRange>, field: &str) -> Result<(), InputError> {
    range.map_or(Ok(()), |range| range.check(field))
}

/// Sort direction: `asc` or `desc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum SortDirection {
    #[serde(alias = "ASC", alias = "Asc")]
    Asc,
    #[serde(alias = "DESC", alias = "Desc")]
    Desc,
}

impl SortDirection {
    pub(crate) fn to_wire(self) -> Direction {
        match self {
            Self::Asc => Direction::Asc,
            Self::Desc => Direction::Desc,
        }
    }
}

/// Picks the one sort field among the `order_by_*` parameters given: Kommo sorts by one field.
pub(crate) fn single_order(
    candidates: &[(&'static str, &'static str, Option<SortDirection>)],
) -> Result<Option<(&'static str, Direction)>, InputError> {
    let given: Vec<_> = candidates
        .iter()
        .filter_map(|(param, field, dir)| dir.map(|d| (*param, *field, d)))
        .collect();
    match given.as_slice() {
        [] => Ok(None),
        [(_, field, direction)] => Ok(Some((field, direction.to_wire()))),
        [(first, ..), (second, ..), ..] => Err(InputError::field(
            *second,
            format!(
                "Kommo sorts by one field at a time: give only one of `{first}` and `{second}`"
            ),
        )),
    }
}

/// Model for status filters in a specific pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatusFilterInput {
    /// Pipeline ID
    pub(crate) pipeline_id: i64,
    /// Stage (status) ID within that pipeline
    pub(crate) status_id: i64,
}

impl StatusFilterInput {
    pub(crate) fn to_wire(self) -> StatusFilter {
        StatusFilter {
            pipeline_id: self.pipeline_id,
            status_id: self.status_id,
        }
    }
}

/// The entity a task is linked to (and the entity types tasks filter on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum TaskEntityType {
    Leads,
    Contacts,
    Companies,
    Customers,
}

impl TaskEntityType {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Leads => "leads",
            Self::Contacts => "contacts",
            Self::Companies => "companies",
            Self::Customers => "customers",
        }
    }
}

/// The entities that carry custom fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum CustomFieldEntity {
    Leads,
    Contacts,
    Companies,
}

impl CustomFieldEntity {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Leads => "leads",
            Self::Contacts => "contacts",
            Self::Companies => "companies",
        }
    }
}

/// The colors Kommo accepts for a pipeline status.
pub(crate) const STATUS_COLORS: [&str; 21] = [
    "#fffeb2", "#fffd7f", "#fff000", "#ffeab2", "#ffdc7f", "#ffce5a", "#ffdbdb", "#ffc8c8",
    "#ff8f92", "#d6eaff", "#c1e0ff", "#98cbff", "#ebffb1", "#deff81", "#87f2c0", "#f9deff",
    "#f3beff", "#ccc8f9", "#eb93ff", "#f2f3f4", "#e6e8ea",
];

/// A status color from Kommo's list of available colors (case does not matter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StatusColor(String);

impl StatusColor {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for StatusColor {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let lower = text.to_ascii_lowercase();
        if STATUS_COLORS.contains(&lower.as_str()) {
            Ok(Self(lower))
        } else {
            Err(serde::de::Error::custom(format!(
                "{text:?} is not one of Kommo's status colors: {}",
                STATUS_COLORS.join(", ")
            )))
        }
    }
}

impl JsonSchema for StatusColor {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "StatusColor".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let schema = json!({
            "type": "string",
            "enum": STATUS_COLORS,
            "description": "Status color, one of Kommo's available colors",
        });
        match schema {
            Value::Object(map) => Schema::from(map),
            _ => Schema::default(),
        }
    }
}

/// The user level a status description is shown to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum DescriptionLevel {
    Newbie,
    Candidate,
    Master,
}

impl DescriptionLevel {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Newbie => "newbie",
            Self::Candidate => "candidate",
            Self::Master => "master",
        }
    }
}

/// A status description for one user level.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatusDescriptionInput {
    /// User level the description is for: newbie, candidate or master
    pub(crate) level: DescriptionLevel,
    /// The description (at most 1000 characters; emojis allowed)
    #[schemars(length(min = 1, max = 1000))]
    pub(crate) description: String,
}

pub(crate) fn check_descriptions(
    descriptions: Option<&[StatusDescriptionInput]>,
    field: &str,
) -> Result<(), InputError> {
    let descriptions = descriptions.unwrap_or_default();
    for (index, description) in descriptions.iter().enumerate() {
        if descriptions[..index]
            .iter()
            .any(|earlier| earlier.level == description.level)
        {
            return Err(InputError::field(
                format!("{field}[{index}].level"),
                format!(
                    "level `{}` is given twice; each level may have one description",
                    description.level.as_str()
                ),
            ));
        }
    }
    Ok(())
}

pub(crate) fn descriptions_to_wire(
    descriptions: Option<&[StatusDescriptionInput]>,
) -> Option<Vec<kommo_model::StatusDescription>> {
    descriptions.map(|descriptions| {
        descriptions
            .iter()
            .map(|d| kommo_model::StatusDescription {
                level: d.level.as_str().to_owned(),
                description: d.description.clone(),
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_clear_the_field() {
        let input = vec![CustomFieldValuesInput {
            field_id: Some(7),
            field_code: None,
            values: vec![],
        }];
        let wire = custom_fields_to_wire(Some(&input)).unwrap();
        assert_eq!(
            serde_json::to_value(&wire).unwrap(),
            json!([{"field_id": 7, "values": null}])
        );
    }

    #[test]
    fn colors_are_checked_and_normalised() {
        let color: StatusColor = serde_json::from_value(json!("#FFFEB2")).unwrap();
        assert_eq!(color.as_str(), "#fffeb2");
        let error = serde_json::from_value::<StatusColor>(json!("red")).unwrap_err();
        assert!(error.to_string().contains("#fffeb2"), "{error}");
    }

    #[test]
    fn only_one_sort_field() {
        let none = single_order(&[("order_by_id", "id", None)]).unwrap();
        assert_eq!(none, None);
        let one = single_order(&[
            ("order_by_id", "id", None),
            (
                "order_by_updated_at",
                "updated_at",
                Some(SortDirection::Asc),
            ),
        ])
        .unwrap();
        assert_eq!(one, Some(("updated_at", Direction::Asc)));
        let error = single_order(&[
            ("order_by_id", "id", Some(SortDirection::Desc)),
            (
                "order_by_updated_at",
                "updated_at",
                Some(SortDirection::Asc),
            ),
        ])
        .unwrap_err();
        assert_eq!(error.field.as_deref(), Some("order_by_updated_at"));
    }

    #[test]
    fn ranges_need_an_end_and_an_order() {
        assert!(
            DateRange {
                from: None,
                to: None
            }
            .check("f")
            .is_err()
        );
        assert!(
            DateRange {
                from: Some(5),
                to: Some(1)
            }
            .check("f")
            .is_err()
        );
        assert!(
            DateRange {
                from: Some(1),
                to: None
            }
            .check("f")
            .is_ok()
        );
    }
}
