//! The catalog: every action by name, with its description and input JSON Schema.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;

use serde::Serialize;
use serde_json::Value;

use crate::action::{Action, ActionKind};
use crate::actions::{companies, contacts, custom_fields, leads, pipelines, statuses, tasks};
use crate::context::ActionContext;
use crate::envelope::Envelope;
use crate::input::{InputError, parse, schema_for};

/// An action as callers discover it.
#[derive(Debug, Clone, Serialize)]
pub struct ActionInfo {
    /// The catalog name, e.g. `KOMMO_CREATE_LEAD`.
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub kind: ActionKind,
    /// The JSON Schema (draft 2020-12) of the action's input, generated from the Rust type
    /// that parses it.
    pub input_schema: Value,
}

type CheckFn = fn(&Value, &Value) -> Result<(), InputError>;
type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
type RunFn = for<'a> fn(
    &'a Value,
    &'a Value,
    &'a ActionContext,
) -> BoxFuture<'a, Result<Envelope, InputError>>;

struct Entry {
    info: ActionInfo,
    check: CheckFn,
    run: RunFn,
}

fn entry<A: Action>() -> Entry {
    Entry {
        info: ActionInfo {
            name: A::NAME,
            title: A::TITLE,
            description: A::DESCRIPTION,
            kind: A::KIND,
            input_schema: schema_for::<A::Input>(),
        },
        check: check_input::<A>,
        run: run_action::<A>,
    }
}

fn check_input<A: Action>(input: &Value, schema: &Value) -> Result<(), InputError> {
    parse::<A::Input>(input, schema).map(drop)
}

fn run_action<'a, A: Action>(
    input: &'a Value,
    schema: &'a Value,
    ctx: &'a ActionContext,
) -> BoxFuture<'a, Result<Envelope, InputError>> {
    Box::pin(async move {
        let input = parse::<A::Input>(input, schema)?;
        let started = std::time::Instant::now();
        let outcome = A::execute(input, ctx).await;
        let elapsed_ms = started.elapsed().as_millis();
        Ok(match outcome {
            Ok(done) => {
                tracing::info!(
                    action = A::NAME,
                    elapsed_ms,
                    stale_store = done.warning.is_some(),
                    "action succeeded"
                );
                match done.warning {
                    Some(warning) => Envelope::success_with_warning(done.data, warning),
                    None => Envelope::success(done.data),
                }
            }
            Err(failure) => {
                let message = failure.message();
                tracing::info!(action = A::NAME, elapsed_ms, error = %message, "action refused or failed");
                Envelope::failure(message)
            }
        })
    })
}

fn entries() -> &'static [Entry] {
    static ENTRIES: OnceLock<Vec<Entry>> = OnceLock::new();
    ENTRIES.get_or_init(|| {
        vec![
            // The catalog's fifteen, in its order.
            entry::<companies::CreateCompany>(),
            entry::<contacts::CreateContact>(),
            entry::<leads::CreateLead>(),
            entry::<tasks::CreateTask>(),
            entry::<companies::ListCompanies>(),
            entry::<contacts::ListContacts>(),
            entry::<custom_fields::ListCustomFields>(),
            entry::<leads::ListLeads>(),
            entry::<pipelines::ListLeadsPipelines>(),
            entry::<statuses::ListPipelineStages>(),
            entry::<tasks::ListTasks>(),
            entry::<companies::UpdateCompany>(),
            entry::<contacts::UpdateContact>(),
            entry::<leads::UpdateLead>(),
            entry::<tasks::UpdateTask>(),
            // Every other documented lead, pipeline and status method.
            entry::<leads::GetLead>(),
            entry::<leads::AddLeadsComplex>(),
            entry::<pipelines::CreatePipeline>(),
            entry::<pipelines::UpdatePipeline>(),
            entry::<pipelines::DeletePipeline>(),
            entry::<statuses::CreatePipelineStatus>(),
            entry::<statuses::UpdatePipelineStatus>(),
            entry::<statuses::DeletePipelineStatus>(),
        ]
    })
}

fn find(name: &str) -> Option<&'static Entry> {
    entries().iter().find(|entry| entry.info.name == name)
}

/// The action catalog.
#[derive(Debug, Clone, Copy, Default)]
pub struct Catalog;

impl Catalog {
    /// Every action, the catalog's fifteen first.
    pub fn list() -> impl ExactSizeIterator<Item = &'static ActionInfo> {
        entries().iter().map(|entry| &entry.info)
    }

    /// The action of that name.
    pub fn get(name: &str) -> Option<&'static ActionInfo> {
        find(name).map(|entry| &entry.info)
    }

    /// Checks `input` against the action's schema and rules without running it, so a caller
    /// can refuse bad input before it has a Kommo client at hand.
    pub fn validate(name: &str, input: &Value) -> Result<(), CatalogError> {
        let entry = find(name).ok_or_else(|| CatalogError::UnknownAction {
            name: name.to_owned(),
        })?;
        (entry.check)(input, &entry.info.input_schema).map_err(CatalogError::InvalidInput)
    }

    /// Runs the action `name` with `input` (a JSON object of its parameters) against `ctx`.
    ///
    /// `Ok` whenever the action ran, also when Kommo refused it (`successful: false` and
    /// Kommo's reasons in `error`). `Err` when there is no such action, or when the input
    /// breaks the action's schema: then nothing was sent to Kommo.
    pub async fn execute(
        name: &str,
        input: &Value,
        ctx: &ActionContext,
    ) -> Result<Envelope, CatalogError> {
        let entry = find(name).ok_or_else(|| CatalogError::UnknownAction {
            name: name.to_owned(),
        })?;
        (entry.run)(input, &entry.info.input_schema, ctx)
            .await
            .map_err(CatalogError::InvalidInput)
    }
}

impl CatalogError {
    /// The envelope a caller gets for this error: `successful: false`, the reason in `error`.
    pub fn to_envelope(&self) -> Envelope {
        Envelope::failure(self.to_string())
    }
}

/// Why the catalog did not run an action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error("there is no action named {name:?}; list the actions to see their names")]
    UnknownAction { name: String },
    /// Refused before anything reached Kommo.
    #[error(transparent)]
    InvalidInput(InputError),
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const CATALOG: [&str; 15] = [
        "KOMMO_CREATE_COMPANY",
        "KOMMO_CREATE_CONTACT",
        "KOMMO_CREATE_LEAD",
        "KOMMO_CREATE_TASK",
        "KOMMO_LIST_COMPANIES",
        "KOMMO_LIST_CONTACTS",
        "KOMMO_LIST_CUSTOM_FIELDS",
        "KOMMO_LIST_LEADS",
        "KOMMO_LIST_LEADS_PIPELINES",
        "KOMMO_LIST_PIPELINE_STAGES",
        "KOMMO_LIST_TASKS",
        "KOMMO_UPDATE_COMPANY",
        "KOMMO_UPDATE_CONTACT",
        "KOMMO_UPDATE_LEAD",
        "KOMMO_UPDATE_TASK",
    ];

    /// Every parameter of the catalog with its type and required flag, as the seed lists them.
    /// `object[]` and `array` are arrays; `integer[]` and `string[]` arrays of that type.
    /// (parameter, type, required)
    type Parameter = (&'static str, &'static str, bool);
    const PARAMETERS: &[(&str, &[Parameter])] = &[
        (
            "KOMMO_CREATE_COMPANY",
            &[
                ("name", "string", true),
                ("created_at", "integer", false),
                ("created_by", "integer", false),
                ("request_id", "string", false),
                ("updated_at", "integer", false),
                ("updated_by", "integer", false),
                ("tags_to_add", "object[]", false),
                ("responsible_user_id", "integer", false),
                ("custom_fields_values", "object[]", false),
            ],
        ),
        ("KOMMO_CREATE_CONTACT", &[("contacts", "object[]", true)]),
        (
            "KOMMO_CREATE_LEAD",
            &[
                ("name", "string", true),
                ("price", "integer", false),
                ("closed_at", "integer", false),
                ("status_id", "integer", false),
                ("created_at", "integer", false),
                ("created_by", "integer", false),
                ("updated_at", "integer", false),
                ("updated_by", "integer", false),
                ("pipeline_id", "integer", false),
                ("tags_to_add", "object[]", false),
                ("loss_reason_id", "integer", false),
                ("tags_to_delete", "object[]", false),
                ("responsible_user_id", "integer", false),
                ("custom_fields_values", "object[]", false),
            ],
        ),
        (
            "KOMMO_CREATE_TASK",
            &[
                ("text", "string", true),
                ("duration", "integer", false),
                ("entity_id", "integer", false),
                ("created_at", "integer", false),
                ("created_by", "integer", false),
                ("updated_at", "integer", false),
                ("updated_by", "integer", false),
                ("entity_type", "string", false),
                ("task_type_id", "integer", false),
                ("complete_till", "integer", false),
                ("responsible_user_id", "integer", false),
            ],
        ),
        (
            "KOMMO_LIST_COMPANIES",
            &[
                ("page", "integer", false),
                ("limit", "integer", false),
                ("order", "object", false),
                ("query", "string", false),
                ("filter", "object", false),
                ("with_params", "string[]", false),
            ],
        ),
        (
            "KOMMO_LIST_CONTACTS",
            &[
                ("page", "integer", false),
                ("limit", "integer", false),
                ("query", "string", false),
                ("filter_ids", "integer[]", false),
                ("order_by_id", "string", false),
                ("with_params", "string[]", false),
                ("filter_names", "string[]", false),
                ("filter_created_at", "integer", false),
                ("filter_created_by", "integer[]", false),
                ("filter_updated_at", "object", false),
                ("filter_updated_by", "integer[]", false),
                ("order_by_updated_at", "string", false),
                ("filter_closest_task_at", "object", false),
                ("filter_responsible_user_ids", "integer[]", false),
            ],
        ),
        (
            "KOMMO_LIST_CUSTOM_FIELDS",
            &[("entity_type", "string", true)],
        ),
        (
            "KOMMO_LIST_LEADS",
            &[
                ("page", "integer", false),
                ("limit", "integer", false),
                ("query", "string", false),
                ("filter_ids", "integer[]", false),
                ("order_by_id", "string", false),
                ("with_params", "string[]", false),
                ("filter_names", "string[]", false),
                ("filter_price", "integer", false),
                ("filter_status", "object", false),
                ("filter_closed_at", "object", false),
                ("filter_created_at", "object", false),
                ("filter_created_by", "integer[]", false),
                ("filter_updated_at", "object", false),
                ("filter_updated_by", "integer[]", false),
                ("filter_pipeline_ids", "integer[]", false),
                ("order_by_created_at", "string", false),
                ("order_by_updated_at", "string", false),
                ("filter_closest_task_at", "object", false),
                ("filter_responsible_user_ids", "integer[]", false),
            ],
        ),
        ("KOMMO_LIST_LEADS_PIPELINES", &[]),
        (
            "KOMMO_LIST_PIPELINE_STAGES",
            &[
                ("pipeline_id", "integer", true),
                ("with_description", "boolean", false),
            ],
        ),
        (
            "KOMMO_LIST_TASKS",
            &[
                ("page", "integer", false),
                ("limit", "integer", false),
                ("filter_ids", "integer[]", false),
                ("order_by_id", "string", false),
                ("filter_entity_ids", "integer[]", false),
                ("filter_task_types", "integer[]", false),
                ("filter_updated_at", "object", false),
                ("filter_entity_type", "string", false),
                ("filter_is_completed", "integer", false),
                ("order_by_created_at", "string", false),
                ("order_by_complete_till", "string", false),
                ("filter_responsible_user_ids", "integer[]", false),
            ],
        ),
        (
            "KOMMO_UPDATE_COMPANY",
            &[
                ("name", "string", false),
                ("company_id", "integer", true),
                ("created_at", "integer", false),
                ("created_by", "integer", false),
                ("request_id", "string", false),
                ("updated_at", "integer", false),
                ("updated_by", "integer", false),
                ("tags_to_add", "object[]", false),
                ("responsible_user_id", "integer", false),
                ("custom_fields_values", "object[]", false),
            ],
        ),
        (
            "KOMMO_UPDATE_CONTACT",
            &[
                ("id", "integer", true),
                ("name", "string", false),
                ("last_name", "string", false),
                ("created_at", "integer", false),
                ("created_by", "integer", false),
                ("first_name", "string", false),
                ("request_id", "string", false),
                ("updated_at", "integer", false),
                ("updated_by", "integer", false),
                ("responsible_user_id", "integer", false),
                ("custom_fields_values", "array", false),
            ],
        ),
        (
            "KOMMO_UPDATE_LEAD",
            &[
                ("id", "integer", true),
                ("name", "string", false),
                ("price", "integer", false),
                ("closed_at", "integer", false),
                ("status_id", "integer", false),
                ("created_at", "integer", false),
                ("created_by", "integer", false),
                ("request_id", "string", false),
                ("updated_at", "integer", false),
                ("updated_by", "integer", false),
                ("pipeline_id", "integer", false),
                ("tags_to_add", "object[]", false),
                ("loss_reason_id", "integer", false),
                ("tags_to_delete", "object[]", false),
                ("responsible_user_id", "integer", false),
                ("custom_fields_values", "array", false),
            ],
        ),
        (
            "KOMMO_UPDATE_TASK",
            &[
                ("id", "integer", true),
                ("text", "string", false),
                ("result", "object", false),
                ("duration", "integer", false),
                ("entity_id", "integer", false),
                ("entity_type", "string", false),
                ("is_completed", "boolean", false),
                ("task_type_id", "integer", false),
                ("complete_till", "integer", false),
                ("responsible_user_id", "integer", false),
            ],
        ),
    ];

    /// The JSON type a property schema accepts besides `null`, with `[]` for arrays.
    fn type_of(schema: &Value) -> String {
        let base = |schema: &Value| -> Option<String> {
            match &schema["type"] {
                Value::String(t) => Some(t.clone()),
                Value::Array(types) => types
                    .iter()
                    .filter_map(Value::as_str)
                    .find(|t| *t != "null")
                    .map(str::to_owned),
                _ => schema["anyOf"]
                    .as_array()
                    .and_then(|alts| alts.iter().find(|a| a["type"] != "null"))
                    .and_then(|a| a["type"].as_str().map(str::to_owned)),
            }
        };
        let kind = base(schema).unwrap_or_default();
        if kind == "array" {
            let items = &schema["items"];
            return format!("{}[]", base(items).unwrap_or_default());
        }
        kind
    }

    #[test]
    fn the_catalog_fifteen_come_first_then_the_extras() {
        let names: Vec<_> = Catalog::list().map(|a| a.name).collect();
        assert_eq!(&names[..15], CATALOG);
        for extra in [
            "KOMMO_GET_LEAD",
            "KOMMO_ADD_LEADS_COMPLEX",
            "KOMMO_CREATE_PIPELINE",
            "KOMMO_UPDATE_PIPELINE",
            "KOMMO_DELETE_PIPELINE",
            "KOMMO_CREATE_PIPELINE_STATUS",
            "KOMMO_UPDATE_PIPELINE_STATUS",
            "KOMMO_DELETE_PIPELINE_STATUS",
        ] {
            assert!(names.contains(&extra), "{extra} missing");
        }
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "duplicate names");
    }

    #[test]
    fn every_catalog_parameter_has_its_name_type_and_required_flag() {
        for (action, parameters) in PARAMETERS {
            let info = Catalog::get(action).unwrap();
            let schema = &info.input_schema;
            assert_eq!(schema["type"], "object", "{action}");
            let properties = schema["properties"].as_object().unwrap();
            let mut expected_names: Vec<_> = parameters.iter().map(|p| p.0).collect();
            let mut actual_names: Vec<_> = properties.keys().map(String::as_str).collect();
            expected_names.sort_unstable();
            actual_names.sort_unstable();
            assert_eq!(actual_names, expected_names, "{action}: parameter names");
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for (name, kind, is_required) in *parameters {
                let actual = type_of(&properties[*name]);
                let expected = match *kind {
                    "object[]" | "array" => "object[]",
                    other => other,
                };
                assert_eq!(actual, expected, "{action}.{name}: type");
                assert_eq!(
                    required.contains(name),
                    *is_required,
                    "{action}.{name}: required flag"
                );
                assert!(
                    properties[*name]["description"].is_string(),
                    "{action}.{name}: description"
                );
            }
        }
    }

    #[test]
    fn every_action_has_a_description_and_an_object_schema() {
        for info in Catalog::list() {
            assert!(info.description.len() > 20, "{}", info.name);
            assert_eq!(info.input_schema["type"], "object", "{}", info.name);
            assert_eq!(
                info.input_schema["additionalProperties"], false,
                "{}",
                info.name
            );
            assert!(
                !info.input_schema.to_string().contains("$ref"),
                "{}: {}",
                info.name,
                info.input_schema
            );
        }
    }

    #[test]
    fn validate_refuses_unknown_actions_and_bad_input() {
        assert_eq!(
            Catalog::validate("KOMMO_FLY", &json!({})),
            Err(CatalogError::UnknownAction {
                name: "KOMMO_FLY".into()
            })
        );
        let Err(CatalogError::InvalidInput(error)) =
            Catalog::validate("KOMMO_CREATE_LEAD", &json!({"price": 5}))
        else {
            panic!("expected invalid input");
        };
        assert_eq!(error.field.as_deref(), Some("name"));
        let Err(CatalogError::InvalidInput(error)) =
            Catalog::validate("KOMMO_CREATE_LEAD", &json!({"name": "x", "price": "5"}))
        else {
            panic!("expected invalid input");
        };
        assert_eq!(error.field.as_deref(), Some("price"));
        assert_eq!(
            Catalog::validate("KOMMO_LIST_LEADS_PIPELINES", &Value::Null),
            Ok(())
        );
    }
}
