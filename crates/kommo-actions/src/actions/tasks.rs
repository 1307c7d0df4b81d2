//! Task actions: create, update (complete with a result), list.

use kommo_model::query::ListQuery;
use kommo_model::{TaskRequest, TaskResult};
use schemars::JsonSchema;
use serde::Deserialize;

use serde_json::json;

use crate::action::{Action, ActionKind, Done};
use crate::actions::{one_page, single_id};
use crate::common::{DateRange, SortDirection, TaskEntityType, check_range, single_order};
use crate::context::ActionContext;
use crate::failure::{Failure, Fields};
use crate::input::{CheckInput, InputError};

fn check_link(
    entity_id: Option<i64>,
    entity_type: Option<TaskEntityType>,
) -> Result<(), InputError> {
    match (entity_id, entity_type) {
        (Some(_), None) => Err(InputError::field(
            "entity_type",
            "give `entity_type` with `entity_id`: the type of the linked entity (leads, contacts, companies, customers)",
        )),
        (None, Some(_)) => Err(InputError::field(
            "entity_id",
            "give `entity_id` with `entity_type`: the ID of the linked entity",
        )),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------
// KOMMO_CREATE_TASK

pub(crate) struct CreateTask;

impl Action for CreateTask {
    const NAME: &'static str = "KOMMO_CREATE_TASK";
    const TITLE: &'static str = "Create Kommo Tasks";
    const DESCRIPTION: &'static str = "Action to create a task in kommo crm. Kommo needs a deadline \
        (`complete_till`) for every task. Returns the task as Kommo stored it (`data.task`), with its new `id`.";
    const KIND: ActionKind = ActionKind::Create;
    type Input = CreateTaskInput;

    async fn execute(input: CreateTaskInput, ctx: &ActionContext) -> Result<Done, Failure> {
        let added = ctx
            .client()
            .add_tasks(vec![input.to_request()])
            .await
            .map_err(Failure::kommo(Fields::NONE))?;
        let id = single_id(&added, "task")?;
        Ok(read_back(ctx, id).await)
    }
}

/// The task as Kommo now has it; its id and a note when it cannot be read back.
async fn read_back(ctx: &ActionContext, id: i64) -> Done {
    match ctx.client().task(id).await {
        Ok(Some(task)) => Done::data(json!({ "task": task })),
        Ok(None) => Done::with_warning(
            json!({ "task": { "id": id } }),
            Some(format!(
                "the task {id} was saved in Kommo but could not be read back"
            )),
        ),
        Err(error) => Done::with_warning(
            json!({ "task": { "id": id } }),
            Some(format!(
                "the task {id} was saved in Kommo but could not be read back: {}",
                Failure::kommo(Fields::NONE)(error).message()
            )),
        ),
    }
}

/// The task to create.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateTaskInput {
    /// Task description
    #[schemars(length(min = 1))]
    pub(crate) text: String,
    /// Task duration in seconds
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub(crate) duration: Option<i64>,
    /// ID of the entity the task is linked to
    #[serde(default)]
    pub(crate) entity_id: Option<i64>,
    /// Task creation date in Unix Timestamp format
    #[serde(default)]
    pub(crate) created_at: Option<i64>,
    /// ID of the user who created the task
    #[serde(default)]
    pub(crate) created_by: Option<i64>,
    /// Task edit date in Unix Timestamp format
    #[serde(default)]
    pub(crate) updated_at: Option<i64>,
    /// ID of the user who edited the task last
    #[serde(default)]
    pub(crate) updated_by: Option<i64>,
    /// Type of the entity the task is linked to
    #[serde(default)]
    pub(crate) entity_type: Option<TaskEntityType>,
    /// Task type
    #[serde(default)]
    pub(crate) task_type_id: Option<i64>,
    /// Task deadline date in Unix Timestamp format
    #[serde(default)]
    pub(crate) complete_till: Option<i64>,
    /// Task responsible user ID
    #[serde(default)]
    pub(crate) responsible_user_id: Option<i64>,
}

impl CheckInput for CreateTaskInput {
    fn check(&self) -> Result<(), InputError> {
        check_link(self.entity_id, self.entity_type)
    }
}

impl CreateTaskInput {
    pub(crate) fn to_request(&self) -> TaskRequest {
        TaskRequest {
            text: Some(self.text.clone()),
            duration: self.duration,
            entity_id: self.entity_id,
            created_at: self.created_at,
            created_by: self.created_by,
            updated_at: self.updated_at,
            updated_by: self.updated_by,
            entity_type: self.entity_type.map(|t| t.as_str().to_owned()),
            task_type_id: self.task_type_id,
            complete_till: self.complete_till,
            responsible_user_id: self.responsible_user_id,
            ..TaskRequest::default()
        }
    }
}

// ---------------------------------------------------------------------------------------
// KOMMO_UPDATE_TASK

pub(crate) struct UpdateTask;

impl Action for UpdateTask {
    const NAME: &'static str = "KOMMO_UPDATE_TASK";
    const TITLE: &'static str = "Update Kommo Task";
    const DESCRIPTION: &'static str = "Action to update a task in kommo crm. Changes only the fields given; complete \
        it with `is_completed: true` and a `result`. Returns the task as Kommo now has it (`data.task`).";
    const KIND: ActionKind = ActionKind::Update;
    type Input = UpdateTaskInput;

    async fn execute(input: UpdateTaskInput, ctx: &ActionContext) -> Result<Done, Failure> {
        ctx.client()
            .update_task(input.id, input.to_request())
            .await
            .map_err(Failure::kommo(Fields::id("id")))?;
        Ok(read_back(ctx, input.id).await)
    }
}

/// Model for task result data.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TaskResultInput {
    /// Result text
    #[schemars(length(min = 1))]
    pub(crate) text: String,
}

/// The task to update and the fields to change.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateTaskInput {
    /// Task ID
    pub(crate) id: i64,
    /// Task description
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub(crate) text: Option<String>,
    /// Model for task result data.
    #[serde(default)]
    pub(crate) result: Option<TaskResultInput>,
    /// Task duration in seconds
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub(crate) duration: Option<i64>,
    /// ID of the entity the task is linked to
    #[serde(default)]
    pub(crate) entity_id: Option<i64>,
    /// Type of the entity the task is linked to
    #[serde(default)]
    pub(crate) entity_type: Option<TaskEntityType>,
    /// Defines whether the task is completed
    #[serde(default)]
    pub(crate) is_completed: Option<bool>,
    /// Task type
    #[serde(default)]
    pub(crate) task_type_id: Option<i64>,
    /// Task deadline date in Unix Timestamp format
    #[serde(default)]
    pub(crate) complete_till: Option<i64>,
    /// Task responsible user ID. Current user ID by default
    #[serde(default)]
    pub(crate) responsible_user_id: Option<i64>,
}

impl CheckInput for UpdateTaskInput {
    fn check(&self) -> Result<(), InputError> {
        let changes = [
            self.text.is_some(),
            self.result.is_some(),
            self.duration.is_some(),
            self.entity_id.is_some(),
            self.entity_type.is_some(),
            self.is_completed.is_some(),
            self.task_type_id.is_some(),
            self.complete_till.is_some(),
            self.responsible_user_id.is_some(),
        ];
        if !changes.contains(&true) {
            return Err(InputError::whole(
                "nothing to update: give at least one field to change besides `id` (e.g. `is_completed`, `text`)",
            ));
        }
        check_link(self.entity_id, self.entity_type)
    }
}

impl UpdateTaskInput {
    pub(crate) fn to_request(&self) -> TaskRequest {
        TaskRequest {
            id: Some(self.id),
            text: self.text.clone(),
            result: self.result.as_ref().map(|r| TaskResult {
                text: r.text.clone(),
            }),
            duration: self.duration,
            entity_id: self.entity_id,
            entity_type: self.entity_type.map(|t| t.as_str().to_owned()),
            is_completed: self.is_completed,
            task_type_id: self.task_type_id,
            complete_till: self.complete_till,
            responsible_user_id: self.responsible_user_id,
            ..TaskRequest::default()
        }
    }
}

// ---------------------------------------------------------------------------------------
// KOMMO_LIST_TASKS

pub(crate) struct ListTasks;

impl Action for ListTasks {
    const NAME: &'static str = "KOMMO_LIST_TASKS";
    const TITLE: &'static str = "List Kommo Tasks";
    const DESCRIPTION: &'static str = "Action to list tasks in kommo crm. Returns one page (`data.tasks`) with \
        `data.page`, `data.limit` and `data.next_page` (null on the last page); filters combine with AND.";
    const KIND: ActionKind = ActionKind::Read;
    type Input = ListTasksInput;

    async fn execute(input: ListTasksInput, ctx: &ActionContext) -> Result<Done, Failure> {
        let query = input.to_query().map_err(|e| Failure::Unexpected {
            detail: e.to_string(),
        })?;
        one_page(query, |q| ctx.client().tasks(q), "tasks").await
    }
}

/// Which tasks, in which order, which page.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListTasksInput {
    /// Page number
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub(crate) page: Option<u32>,
    /// Number of entities to return (max 250)
    #[serde(default)]
    #[schemars(range(min = 1, max = 250))]
    pub(crate) limit: Option<u32>,
    /// Filter by task IDs
    #[serde(default)]
    pub(crate) filter_ids: Option<Vec<i64>>,
    /// Sort by id (asc/desc)
    #[serde(default)]
    pub(crate) order_by_id: Option<SortDirection>,
    /// Filter by entity IDs the task is linked to
    #[serde(default)]
    pub(crate) filter_entity_ids: Option<Vec<i64>>,
    /// Filter by task type IDs
    #[serde(default)]
    pub(crate) filter_task_types: Option<Vec<i64>>,
    /// Model for date range filters in Unix timestamp format.
    #[serde(default)]
    pub(crate) filter_updated_at: Option<DateRange>,
    /// Filter by entity type the task is linked to
    #[serde(default)]
    pub(crate) filter_entity_type: Option<TaskEntityType>,
    /// Filter by task status (1 - completed, 0 - open)
    #[serde(default)]
    #[schemars(range(min = 0, max = 1))]
    pub(crate) filter_is_completed: Option<u8>,
    /// Sort by created_at (asc/desc)
    #[serde(default)]
    pub(crate) order_by_created_at: Option<SortDirection>,
    /// Sort by complete_till (asc/desc)
    #[serde(default)]
    pub(crate) order_by_complete_till: Option<SortDirection>,
    /// Filter by task responsible user IDs
    #[serde(default)]
    pub(crate) filter_responsible_user_ids: Option<Vec<i64>>,
}

impl ListTasksInput {
    fn order(&self) -> Result<Option<(&'static str, kommo_model::query::Direction)>, InputError> {
        single_order(&[
            ("order_by_id", "id", self.order_by_id),
            (
                "order_by_created_at",
                "created_at",
                self.order_by_created_at,
            ),
            (
                "order_by_complete_till",
                "complete_till",
                self.order_by_complete_till,
            ),
        ])
    }

    pub(crate) fn to_query(&self) -> Result<ListQuery, InputError> {
        let mut query = ListQuery::new();
        query.page = self.page;
        query.limit = self.limit;
        if let Some((field, direction)) = self.order()? {
            query = query.order(field, direction);
        }
        let f = &mut query.filter;
        f.id = self.filter_ids.clone().unwrap_or_default();
        f.entity_id = self.filter_entity_ids.clone().unwrap_or_default();
        f.task_type = self.filter_task_types.clone().unwrap_or_default();
        f.updated_at = self.filter_updated_at.map(DateRange::to_range);
        f.entity_type = self
            .filter_entity_type
            .map(|t| t.as_str().to_owned())
            .into_iter()
            .collect();
        f.is_completed = self.filter_is_completed.map(|c| c == 1);
        f.responsible_user_id = self.filter_responsible_user_ids.clone().unwrap_or_default();
        Ok(query)
    }
}

impl CheckInput for ListTasksInput {
    fn check(&self) -> Result<(), InputError> {
        check_range(self.filter_updated_at.as_ref(), "filter_updated_at")?;
        self.order().map(drop)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::input::{parse, schema_for};

    #[test]
    fn create_task_requires_text_and_links_both_ways() {
        let schema = schema_for::<CreateTaskInput>();
        assert_eq!(schema["required"], json!(["text"]));
        let kinds = schema["properties"]["entity_type"]["enum"]
            .as_array()
            .unwrap();
        for kind in ["leads", "contacts", "companies", "customers"] {
            assert!(kinds.contains(&json!(kind)), "{kinds:?}");
        }
        let error = parse::<CreateTaskInput>(&json!({"text": "call", "entity_id": 5}), &schema)
            .unwrap_err();
        assert_eq!(error.field.as_deref(), Some("entity_type"));
        let input: CreateTaskInput = parse(
            &json!({"text": "call", "entity_id": 5, "entity_type": "leads", "complete_till": 10}),
            &schema,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(input.to_request()).unwrap(),
            json!({"text": "call", "entity_id": 5, "entity_type": "leads", "complete_till": 10})
        );
    }

    #[test]
    fn list_tasks_filters() {
        let schema = schema_for::<ListTasksInput>();
        let input: ListTasksInput = parse(
            &json!({"filter_is_completed": 0, "filter_entity_type": "contacts", "filter_task_types": [1, 2], "order_by_complete_till": "asc"}),
            &schema,
        )
        .unwrap();
        let query = input.to_query().unwrap();
        assert_eq!(query.filter.is_completed, Some(false));
        assert_eq!(query.filter.entity_type, ["contacts"]);
        assert_eq!(query.filter.task_type, [1, 2]);
        assert_eq!(query.order.unwrap().field, "complete_till");
        let error =
            parse::<ListTasksInput>(&json!({"filter_is_completed": 2}), &schema).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("filter_is_completed"));
    }

    #[test]
    fn completing_a_task_sends_its_result() {
        let schema = schema_for::<UpdateTaskInput>();
        let input: UpdateTaskInput = parse(
            &json!({"id": 9, "is_completed": true, "result": {"text": "done"}}),
            &schema,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(input.to_request()).unwrap(),
            json!({"id": 9, "is_completed": true, "result": {"text": "done"}})
        );
    }
}
