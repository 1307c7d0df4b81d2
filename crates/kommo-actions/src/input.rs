//! From caller JSON to a typed action input: the JSON Schema an action publishes, and the
//! checks that refuse input breaking it before anything reaches Kommo.
//!
//! The schema and the parser come from the same Rust type: serde rejects wrong types, missing
//! required fields and unknown fields; the bounds the schema declares (`minimum`, `maxItems`,
//! ...) are then checked by walking the generated schema itself, so the published limits and
//! the enforced ones cannot drift apart; rules that span fields live in [`CheckInput`].

use std::fmt;

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Why an input was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InputError {
    /// The offending field as a path into the input (`contacts[0].first_name`), or `None`
    /// when the input as a whole is wrong (not an object).
    pub field: Option<String>,
    /// What was wrong and what was expected.
    pub problem: String,
}

impl InputError {
    pub(crate) fn field(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            field: Some(field.into()),
            problem: problem.into(),
        }
    }

    pub(crate) fn whole(problem: impl Into<String>) -> Self {
        Self {
            field: None,
            problem: problem.into(),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "invalid input field `{field}`: {}", self.problem),
            None => write!(f, "invalid input: {}", self.problem),
        }
    }
}

/// Rules of an input that a JSON Schema does not express (one of two fields, at least one
/// field to change, ...). Checked after the schema's own rules.
pub(crate) trait CheckInput {
    fn check(&self) -> Result<(), InputError> {
        Ok(())
    }
}

/// The JSON Schema of an action input: draft 2020-12, subschemas inlined (tool-calling models
/// read a flat schema best), always an object at the top.
pub(crate) fn schema_for<T: JsonSchema>() -> Value {
    let schema = SchemaSettings::draft2020_12()
        .with(|settings| settings.inline_subschemas = true)
        .into_generator()
        .into_root_schema_for::<T>();
    let mut value = schema.to_value();
    if let Some(object) = value.as_object_mut() {
        // `title` is the Rust type's name and `$schema` confuses some tool-calling clients;
        // neither helps a caller.
        object.remove("title");
        object.remove("$schema");
        object
            .entry("properties")
            .or_insert_with(|| Value::Object(Map::new()));
    }
    value
}

/// Reads `input` as `T`, then applies the schema's bounds and `T`'s own rules.
///
/// A missing or `null` input counts as `{}`, so actions without parameters accept both.
pub(crate) fn parse<T>(input: &Value, schema: &Value) -> Result<T, InputError>
where
    T: DeserializeOwned + CheckInput,
{
    let empty = Value::Object(Map::new());
    let input = if input.is_null() { &empty } else { input };
    if !input.is_object() {
        return Err(InputError::whole(format!(
            "expected a JSON object with the action's parameters, got {}",
            kind(input)
        )));
    }
    let parsed: T = serde_path_to_error::deserialize(input).map_err(|error| from_serde(&error))?;
    check_bounds(schema, input, "")?;
    parsed.check()?;
    Ok(parsed)
}

fn from_serde(error: &serde_path_to_error::Error<serde_json::Error>) -> InputError {
    let path = error.path().to_string();
    let parent = if path == "." { String::new() } else { path };
    let message = error.inner().to_string();
    // serde reports a missing or unknown field at its parent; name the field itself.
    if let Some(name) = backticked_after(&message, "missing field ") {
        return InputError::field(join(&parent, name), "this field is required");
    }
    if let Some(name) = backticked_after(&message, "unknown field ") {
        let expected = message.split_once(", ").map_or("", |(_, rest)| rest);
        let problem = if expected.is_empty() {
            "this action has no such parameter".to_owned()
        } else {
            format!("this action has no such parameter; {expected}")
        };
        // The path already ends at the unknown key.
        let field = if parent == name || parent.ends_with(&format!(".{name}")) {
            parent
        } else {
            join(&parent, name)
        };
        return InputError::field(field, problem);
    }
    let message = plain_types(&strip_position(&message));
    if parent.is_empty() {
        InputError::whole(message)
    } else {
        InputError::field(parent, message)
    }
}

fn backticked_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = message.strip_prefix(prefix)?.strip_prefix('`')?;
    rest.split_once('`').map(|(name, _)| name)
}

/// serde_json appends " at line 1 column 9" when reading text; a path is more useful.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// serde names Rust types ("expected i64"); callers think in JSON.
fn plain_types(message: &str) -> String {
    const NAMES: [(&str, &str); 7] = [
        ("expected i64", "expected an integer"),
        ("expected u64", "expected a non-negative integer"),
        ("expected u32", "expected a non-negative integer"),
        ("expected u8", "expected a non-negative integer"),
        ("expected f64", "expected a number"),
        ("expected a boolean", "expected true or false"),
        ("expected a sequence", "expected an array"),
    ];
    let mut out = message.to_owned();
    for (rust, json) in NAMES {
        out = out.replace(rust, json);
    }
    out.replace("expected struct ", "expected an object ")
}

fn join(parent: &str, field: &str) -> String {
    if parent.is_empty() {
        field.to_owned()
    } else {
        format!("{parent}.{field}")
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Applies `minimum`, `maximum`, `minLength`, `maxLength`, `minItems` and `maxItems` of
/// `schema` to `value`, recursing into properties, array items and `anyOf` alternatives.
fn check_bounds(schema: &Value, value: &Value, path: &str) -> Result<(), InputError> {
    let Some(schema) = schema.as_object() else {
        return Ok(());
    };
    if let Some(alternatives) = schema.get("anyOf").and_then(Value::as_array) {
        for alternative in alternatives {
            if type_matches(alternative, value) {
                check_bounds(alternative, value, path)?;
            }
        }
    }
    let at = |problem: String| {
        if path.is_empty() {
            InputError::whole(problem)
        } else {
            InputError::field(path, problem)
        }
    };
    match value {
        Value::Number(number) => {
            if let Some(n) = number.as_f64() {
                if let Some(min) = schema.get("minimum").and_then(Value::as_f64)
                    && n < min
                {
                    return Err(at(format!("must be at least {min}, got {number}")));
                }
                if let Some(max) = schema.get("maximum").and_then(Value::as_f64)
                    && n > max
                {
                    return Err(at(format!("must be at most {max}, got {number}")));
                }
            }
        }
        Value::String(text) => {
            let length = text.chars().count() as u64;
            if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
                && length < min
            {
                return Err(at(format!(
                    "must have at least {min} character(s), got {length}"
                )));
            }
            if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
                && length > max
            {
                return Err(at(format!(
                    "must have at most {max} characters, got {length}"
                )));
            }
        }
        Value::Array(items) => {
            let count = items.len() as u64;
            if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
                && count < min
            {
                return Err(at(format!("must hold at least {min} item(s), got {count}")));
            }
            if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
                && count > max
            {
                return Err(at(format!("must hold at most {max} items, got {count}")));
            }
            if let Some(item_schema) = schema.get("items") {
                for (index, item) in items.iter().enumerate() {
                    check_bounds(item_schema, item, &format!("{path}[{index}]"))?;
                }
            }
        }
        Value::Object(fields) => {
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                for (name, field_value) in fields {
                    if let Some(field_schema) = properties.get(name) {
                        check_bounds(field_schema, field_value, &join(path, name))?;
                    }
                }
            }
        }
        Value::Null | Value::Bool(_) => {}
    }
    Ok(())
}

/// Whether `value` is of one of the JSON types `schema` names (or `schema` names none).
fn type_matches(schema: &Value, value: &Value) -> bool {
    let name = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let accepts = |t: &str| t == name || (t == "number" && name == "integer");
    match schema.get("type") {
        None => true,
        Some(Value::String(t)) => accepts(t),
        Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).any(accepts),
        Some(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct Item {
        /// Item name
        #[schemars(length(min = 1))]
        name: String,
    }

    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        /// Number of entities to return (max 250)
        #[serde(default)]
        #[schemars(range(min = 1, max = 250))]
        limit: Option<u32>,
        #[schemars(length(min = 1, max = 2))]
        items: Vec<Item>,
    }

    impl CheckInput for Sample {}

    fn parse_sample(input: Value) -> Result<Sample, InputError> {
        parse::<Sample>(&input, &schema_for::<Sample>())
    }

    #[test]
    fn schema_is_a_flat_object_with_bounds_and_required_fields() {
        let schema = schema_for::<Sample>();
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["required"], json!(["items"]));
        assert_eq!(schema["additionalProperties"], false);
        assert_eq!(schema["properties"]["items"]["maxItems"], 2);
        assert_eq!(
            schema["properties"]["items"]["items"]["properties"]["name"]["type"],
            "string"
        );
        assert!(schema.get("$defs").is_none(), "{schema}");
        assert!(schema.get("$schema").is_none());
    }

    #[test]
    fn missing_and_unknown_fields_are_named() {
        let error = parse_sample(json!({})).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("items"));
        assert!(error.to_string().contains("required"), "{error}");

        let error = parse_sample(json!({"items": [{"nmae": "x"}]})).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("items[0].nmae"), "{error}");
        assert!(error.problem.contains("`name`"), "{error}");

        let error = parse_sample(json!({"items": [{}]})).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("items[0].name"), "{error}");
    }

    #[test]
    fn wrong_types_name_the_field_and_the_expected_type() {
        let error = parse_sample(json!({"items": [], "limit": "ten"})).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("limit"));
        assert!(error.problem.contains("invalid type"), "{error}");
        assert!(
            error.problem.ends_with("expected a non-negative integer"),
            "{error}"
        );
        let error = parse_sample(json!(["not", "an", "object"])).unwrap_err();
        assert_eq!(error.field, None);
        assert!(error.problem.contains("an array"), "{error}");
    }

    #[test]
    fn schema_bounds_are_enforced() {
        let error = parse_sample(json!({"items": [{"name": "a"}], "limit": 251})).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("limit"));
        assert!(error.problem.contains("at most 250"), "{error}");
        let error = parse_sample(json!({"items": []})).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("items"));
        let error = parse_sample(json!({"items": [{"name": ""}]})).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("items[0].name"));
        let ok = parse_sample(json!({"items": [{"name": "a"}], "limit": 250})).unwrap();
        assert_eq!(ok.limit, Some(250));
        assert_eq!(ok.items[0].name, "a");
    }

    #[test]
    fn null_input_means_no_parameters() {
        #[derive(Debug, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        struct Nothing {}
        impl CheckInput for Nothing {}
        let schema = schema_for::<Nothing>();
        assert_eq!(schema["properties"], json!({}));
        assert!(parse::<Nothing>(&Value::Null, &schema).is_ok());
        assert!(parse::<Nothing>(&json!({"x": 1}), &schema).is_err());
    }
}
