//! Pipeline status (stage) actions: list a pipeline's stages, and add, edit and delete one.

use kommo_model::StatusRequest;
use schemars::JsonSchema;
use serde::Deserialize;

use kommo::ListQuery;
use kommo_model::query::StatusFilter;
use serde_json::{Value, json};

use crate::action::{Action, ActionKind, Done};
use crate::actions::echo_request_id;
use crate::common::{
    StatusColor, StatusDescriptionInput, check_descriptions, descriptions_to_wire,
};
use crate::context::ActionContext;
use crate::failure::{Failure, Fields};
use crate::input::{CheckInput, InputError};
use crate::write_through;

/// A status is found by its pipeline and its own id: a 404 may be about either.
const EITHER_ID: &str = "`pipeline_id` or `status_id`";

fn check_editable(status_id: i64) -> Result<(), InputError> {
    if status_id == kommo_model::SYSTEM_STATUS_WON || status_id == kommo_model::SYSTEM_STATUS_LOST {
        return Err(InputError::field(
            "status_id",
            format!(
                "{status_id} is a system status (Closed - won / Closed - lost) that every pipeline keeps"
            ),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// KOMMO_LIST_PIPELINE_STAGES

pub(crate) struct ListPipelineStages;

impl Action for ListPipelineStages {
    const NAME: &'static str = "KOMMO_LIST_PIPELINE_STAGES";
    const TITLE: &'static str = "List Kommo Pipeline Stages";
    const DESCRIPTION: &'static str = "Action to list stages of a pipeline in kommo crm. Returns `data.statuses` \
        (id, name, sort, color, type: 1 for Incoming leads, 0 otherwise) in Kommo's order.";
    const KIND: ActionKind = ActionKind::Read;
    type Input = ListPipelineStagesInput;

    async fn execute(input: ListPipelineStagesInput, ctx: &ActionContext) -> Result<Done, Failure> {
        let statuses = ctx
            .client()
            .statuses(input.pipeline_id)
            .await
            .map_err(Failure::kommo(Fields::id("pipeline_id")))?;
        // Every pipeline has at least its system stages: none means no such pipeline.
        if statuses.is_empty() {
            return Err(Failure::missing(
                "pipeline",
                input.pipeline_id,
                "pipeline_id",
            ));
        }
        // Descriptions only when asked for: they are long texts an agent rarely needs.
        let with_description = input.with_description.unwrap_or(false);
        let statuses: Vec<Value> = statuses
            .iter()
            .map(|status| {
                let mut value = serde_json::to_value(status).unwrap_or(Value::Null);
                if !with_description && let Some(object) = value.as_object_mut() {
                    object.remove("descriptions");
                }
                value
            })
            .collect();
        Ok(Done::data(
            json!({ "pipeline_id": input.pipeline_id, "statuses": statuses }),
        ))
    }
}

/// Whose stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListPipelineStagesInput {
    /// Pipeline ID
    pub(crate) pipeline_id: i64,
    /// Whether to include stage description in the response
    #[serde(default)]
    pub(crate) with_description: Option<bool>,
}

impl CheckInput for ListPipelineStagesInput {}

// ---------------------------------------------------------------------------------------
// KOMMO_CREATE_PIPELINE_STATUS

pub(crate) struct CreatePipelineStatus;

impl Action for CreatePipelineStatus {
    const NAME: &'static str = "KOMMO_CREATE_PIPELINE_STATUS";
    const TITLE: &'static str = "Create Kommo Pipeline Stage";
    const DESCRIPTION: &'static str = "Action to add a stage (status) to a lead pipeline in kommo crm \
        (administrators only; at most 100 stages per pipeline, system stages included). Returns `data.status`.";
    const KIND: ActionKind = ActionKind::Create;
    type Input = CreatePipelineStatusInput;

    async fn execute(
        input: CreatePipelineStatusInput,
        ctx: &ActionContext,
    ) -> Result<Done, Failure> {
        let added = ctx
            .client()
            .add_statuses(input.pipeline_id, vec![input.to_request()])
            .await
            .map_err(Failure::kommo(Fields::id("pipeline_id")))?;
        let [status] = added.as_slice() else {
            return Err(Failure::Unexpected {
                detail: format!("adding one status returned {} results", added.len()),
            });
        };
        let warning = write_through::pipelines(ctx).await;
        Ok(Done::with_warning(
            json!({ "status": echo_request_id(status, input.request_id.as_deref()) }),
            warning,
        ))
    }
}

/// The stage to add.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreatePipelineStatusInput {
    /// ID of the pipeline to add the stage to
    pub(crate) pipeline_id: i64,
    /// Status name
    #[schemars(length(min = 1))]
    pub(crate) name: String,
    /// Status sorting
    pub(crate) sort: i64,
    /// Status color
    #[serde(default)]
    pub(crate) color: Option<StatusColor>,
    /// Status descriptions, at most one per user level
    #[serde(default)]
    #[schemars(length(max = 3))]
    pub(crate) descriptions: Option<Vec<StatusDescriptionInput>>,
    /// The field will be returned unchanged in the response and will not be saved
    #[serde(default)]
    pub(crate) request_id: Option<String>,
}

impl CheckInput for CreatePipelineStatusInput {
    fn check(&self) -> Result<(), InputError> {
        check_descriptions(self.descriptions.as_deref(), "descriptions")
    }
}

impl CreatePipelineStatusInput {
    pub(crate) fn to_request(&self) -> StatusRequest {
        StatusRequest {
            name: Some(self.name.clone()),
            sort: Some(self.sort),
            color: self.color.as_ref().map(|c| c.as_str().to_owned()),
            descriptions: descriptions_to_wire(self.descriptions.as_deref()),
            request_id: self.request_id.clone(),
            ..StatusRequest::default()
        }
    }
}

// ---------------------------------------------------------------------------------------
// KOMMO_UPDATE_PIPELINE_STATUS

pub(crate) struct UpdatePipelineStatus;

impl Action for UpdatePipelineStatus {
    const NAME: &'static str = "KOMMO_UPDATE_PIPELINE_STATUS";
    const TITLE: &'static str = "Update Kommo Pipeline Stage";
    const DESCRIPTION: &'static str = "Action to edit a stage (status) of a lead pipeline in kommo crm \
        (administrators only). Changes only the fields given and returns `data.status` as Kommo now has it.";
    const KIND: ActionKind = ActionKind::Update;
    type Input = UpdatePipelineStatusInput;

    async fn execute(
        input: UpdatePipelineStatusInput,
        ctx: &ActionContext,
    ) -> Result<Done, Failure> {
        let status = ctx
            .client()
            .update_status(input.pipeline_id, input.status_id, input.to_request())
            .await
            .map_err(Failure::kommo(Fields::id("status_id").lookup(EITHER_ID)))?;
        let warning = write_through::pipelines(ctx).await;
        Ok(Done::with_warning(json!({ "status": status }), warning))
    }
}

/// The stage to edit and the fields to change.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdatePipelineStatusInput {
    /// ID of the pipeline the stage is in
    pub(crate) pipeline_id: i64,
    /// Status ID
    pub(crate) status_id: i64,
    /// Status name
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub(crate) name: Option<String>,
    /// Status sorting
    #[serde(default)]
    pub(crate) sort: Option<i64>,
    /// Status color
    #[serde(default)]
    pub(crate) color: Option<StatusColor>,
    /// Status descriptions, at most one per user level
    #[serde(default)]
    #[schemars(length(max = 3))]
    pub(crate) descriptions: Option<Vec<StatusDescriptionInput>>,
}

impl CheckInput for UpdatePipelineStatusInput {
    fn check(&self) -> Result<(), InputError> {
        if self.name.is_none()
            && self.sort.is_none()
            && self.color.is_none()
            && self.descriptions.is_none()
        {
            return Err(InputError::whole(
                "nothing to update: give at least one of `name`, `sort`, `color`, `descriptions`",
            ));
        }
        check_descriptions(self.descriptions.as_deref(), "descriptions")
    }
}

impl UpdatePipelineStatusInput {
    pub(crate) fn to_request(&self) -> StatusRequest {
        StatusRequest {
            name: self.name.clone(),
            sort: self.sort,
            color: self.color.as_ref().map(|c| c.as_str().to_owned()),
            descriptions: descriptions_to_wire(self.descriptions.as_deref()),
            ..StatusRequest::default()
        }
    }
}

// ---------------------------------------------------------------------------------------
// KOMMO_DELETE_PIPELINE_STATUS

pub(crate) struct DeletePipelineStatus;

impl Action for DeletePipelineStatus {
    const NAME: &'static str = "KOMMO_DELETE_PIPELINE_STATUS";
    const TITLE: &'static str = "Delete Kommo Pipeline Stage";
    const DESCRIPTION: &'static str = "Action to delete a stage (status) from a lead pipeline in kommo crm \
        (administrators only). Kommo moves the leads of the deleted stage to the pipeline's first stage. The \
        system stages 142 and 143 cannot be deleted. Returns `data.deleted_status_id`.";
    const KIND: ActionKind = ActionKind::Delete;
    type Input = DeletePipelineStatusInput;

    async fn execute(
        input: DeletePipelineStatusInput,
        ctx: &ActionContext,
    ) -> Result<Done, Failure> {
        let (pipeline_id, status_id) = (input.pipeline_id, input.status_id);
        let fields = Fields::id("status_id").lookup(EITHER_ID);
        if ctx
            .client()
            .status(pipeline_id, status_id)
            .await
            .map_err(Failure::kommo(fields))?
            .is_none()
        {
            return Err(Failure::missing(
                "status in that pipeline",
                status_id,
                "status_id",
            ));
        }
        // Kommo moves the stage's leads to the pipeline's first stage: note which, so their
        // stored rows can follow.
        let moved: Vec<i64> = if ctx.integration_id().is_some() {
            let query = ListQuery::new().limit(250).filter(|f| {
                f.statuses = vec![StatusFilter {
                    pipeline_id,
                    status_id,
                }]
            });
            ctx.client()
                .leads(query)
                .collect_all()
                .await
                .map_err(Failure::kommo(fields))?
                .iter()
                .map(|l| l.id)
                .collect()
        } else {
            Vec::new()
        };
        ctx.client()
            .delete_status(pipeline_id, status_id)
            .await
            .map_err(Failure::kommo(fields))?;
        if ctx
            .client()
            .status(pipeline_id, status_id)
            .await
            .map_err(Failure::kommo(fields))?
            .is_some()
        {
            return Err(Failure::Unexpected {
                detail: format!(
                    "Kommo accepted the delete, but status {status_id} is still in pipeline {pipeline_id}"
                ),
            });
        }
        let pipelines_note = write_through::pipelines(ctx).await;
        let (_, leads_note) = write_through::refresh_leads(ctx, &moved).await;
        let warning = match (pipelines_note, leads_note) {
            (Some(a), Some(b)) => Some(format!("{a}; {b}")),
            (a, b) => a.or(b),
        };
        Ok(Done::with_warning(
            json!({ "deleted_status_id": status_id, "pipeline_id": pipeline_id, "moved_leads": moved.len() }),
            warning,
        ))
    }
}

/// The stage to delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeletePipelineStatusInput {
    /// ID of the pipeline the stage is in
    pub(crate) pipeline_id: i64,
    /// Status ID
    pub(crate) status_id: i64,
}

impl CheckInput for DeletePipelineStatusInput {
    fn check(&self) -> Result<(), InputError> {
        check_editable(self.status_id)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::input::{parse, schema_for};

    #[test]
    fn create_status_with_descriptions() {
        let schema = schema_for::<CreatePipelineStatusInput>();
        assert_eq!(schema["required"], json!(["pipeline_id", "name", "sort"]));
        let input: CreatePipelineStatusInput = parse(
            &json!({"pipeline_id": 1, "name": "Qualified", "sort": 30, "color": "#c1e0ff",
                    "descriptions": [{"level": "newbie", "description": "Call them"}]}),
            &schema,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(input.to_request()).unwrap(),
            json!({"name": "Qualified", "sort": 30, "color": "#c1e0ff", "descriptions": [{"level": "newbie", "description": "Call them"}]})
        );
        let error = parse::<CreatePipelineStatusInput>(
            &json!({"pipeline_id": 1, "name": "Q", "sort": 30,
                    "descriptions": [{"level": "master", "description": "a"}, {"level": "master", "description": "b"}]}),
            &schema,
        )
        .unwrap_err();
        assert_eq!(error.field.as_deref(), Some("descriptions[1].level"));
        let long = "x".repeat(1001);
        let error = parse::<CreatePipelineStatusInput>(
            &json!({"pipeline_id": 1, "name": "Q", "sort": 30, "descriptions": [{"level": "master", "description": long}]}),
            &schema,
        )
        .unwrap_err();
        assert_eq!(
            error.field.as_deref(),
            Some("descriptions[0].description"),
            "{error}"
        );
    }

    #[test]
    fn system_statuses_cannot_be_deleted() {
        let schema = schema_for::<DeletePipelineStatusInput>();
        let error = parse::<DeletePipelineStatusInput>(
            &json!({"pipeline_id": 1, "status_id": 142}),
            &schema,
        )
        .unwrap_err();
        assert_eq!(error.field.as_deref(), Some("status_id"));
    }
}
