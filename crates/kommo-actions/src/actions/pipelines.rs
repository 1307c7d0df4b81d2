//! Pipeline actions: list the lead pipelines, and add, edit and delete a pipeline.

use kommo_model::{PipelineEmbeddedRequest, PipelineRequest, StatusRequest};
use schemars::JsonSchema;
use serde::Deserialize;

use serde_json::json;

use crate::action::{Action, ActionKind, Done};
use crate::actions::echo_request_id;
use crate::common::StatusColor;
use crate::context::ActionContext;
use crate::failure::{Failure, Fields};
use crate::input::{CheckInput, InputError};
use crate::write_through;

// ---------------------------------------------------------------------------------------
// KOMMO_LIST_LEADS_PIPELINES

pub(crate) struct ListLeadsPipelines;

impl Action for ListLeadsPipelines {
    const NAME: &'static str = "KOMMO_LIST_LEADS_PIPELINES";
    const TITLE: &'static str = "List Kommo Lead Pipelines";
    const DESCRIPTION: &'static str = "Action to list lead pipelines in kommo crm. Returns every pipeline with its \
        stages (`data.pipelines[]._embedded.statuses`); 142 is Closed - won and 143 Closed - lost in every pipeline.";
    const KIND: ActionKind = ActionKind::Read;
    type Input = NoInput;

    async fn execute(_: NoInput, ctx: &ActionContext) -> Result<Done, Failure> {
        let pipelines = ctx
            .client()
            .pipelines()
            .await
            .map_err(Failure::kommo(Fields::NONE))?;
        Ok(Done::data(json!({ "pipelines": pipelines })))
    }
}

/// This action takes no parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoInput {}

impl CheckInput for NoInput {}

// ---------------------------------------------------------------------------------------
// KOMMO_CREATE_PIPELINE

pub(crate) struct CreatePipeline;

impl Action for CreatePipeline {
    const NAME: &'static str = "KOMMO_CREATE_PIPELINE";
    const TITLE: &'static str = "Create Kommo Pipeline";
    const DESCRIPTION: &'static str = "Action to add a lead pipeline to the kommo account (administrators only; at \
        most 50 pipelines per account). Kommo adds the system stages Incoming leads, Closed - won (142) and Closed - \
        lost (143); `statuses` adds stages and may rename 142 and 143. Returns `data.pipeline` with its stages.";
    const KIND: ActionKind = ActionKind::Create;
    type Input = CreatePipelineInput;

    async fn execute(input: CreatePipelineInput, ctx: &ActionContext) -> Result<Done, Failure> {
        let fields = Fields::NONE.renamed(&[("_embedded.statuses", "statuses")]);
        let added = ctx
            .client()
            .add_pipelines(vec![input.to_request()])
            .await
            .map_err(Failure::kommo(fields))?;
        let [pipeline] = added.as_slice() else {
            return Err(Failure::Unexpected {
                detail: format!("adding one pipeline returned {} results", added.len()),
            });
        };
        let warning = write_through::pipelines(ctx).await;
        Ok(Done::with_warning(
            json!({ "pipeline": echo_request_id(pipeline, input.request_id.as_deref()) }),
            warning,
        ))
    }
}

/// A stage of a new pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewPipelineStatus {
    /// Only to rename a system stage: 142 (Closed - won) or 143 (Closed - lost)
    #[serde(default)]
    pub(crate) id: Option<i64>,
    /// Status name
    #[schemars(length(min = 1))]
    pub(crate) name: String,
    /// Status sorting
    #[serde(default)]
    pub(crate) sort: Option<i64>,
    /// Status color
    #[serde(default)]
    pub(crate) color: Option<StatusColor>,
}

/// The pipeline to add.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreatePipelineInput {
    /// Pipeline name
    #[schemars(length(min = 1))]
    pub(crate) name: String,
    /// Pipeline sorting
    pub(crate) sort: i64,
    /// Defines whether the pipeline is main for the account
    pub(crate) is_main: bool,
    /// Defines whether Incoming Leads are enabled
    pub(crate) is_unsorted_on: bool,
    /// Pipeline statuses (stages) to create; names for the system statuses 142 and 143 may be given
    #[serde(default)]
    #[schemars(length(max = 97))]
    pub(crate) statuses: Option<Vec<NewPipelineStatus>>,
    /// The field that will be returned unchanged in the response and will not be saved
    #[serde(default)]
    pub(crate) request_id: Option<String>,
}

impl CheckInput for CreatePipelineInput {
    fn check(&self) -> Result<(), InputError> {
        for (index, status) in self.statuses.iter().flatten().enumerate() {
            if let Some(id) = status.id
                && id != kommo_model::SYSTEM_STATUS_WON
                && id != kommo_model::SYSTEM_STATUS_LOST
            {
                return Err(InputError::field(
                    format!("statuses[{index}].id"),
                    format!(
                        "only the system statuses 142 and 143 can be named by id in a new pipeline, got {id}"
                    ),
                ));
            }
            if status.id.is_none() && status.sort.is_none() {
                return Err(InputError::field(
                    format!("statuses[{index}].sort"),
                    "a new stage needs a `sort`",
                ));
            }
        }
        Ok(())
    }
}

impl CreatePipelineInput {
    pub(crate) fn to_request(&self) -> PipelineRequest {
        PipelineRequest {
            name: Some(self.name.clone()),
            sort: Some(self.sort),
            is_main: Some(self.is_main),
            is_unsorted_on: Some(self.is_unsorted_on),
            request_id: self.request_id.clone(),
            embedded: self
                .statuses
                .as_ref()
                .map(|statuses| PipelineEmbeddedRequest {
                    statuses: statuses
                        .iter()
                        .map(|s| StatusRequest {
                            id: s.id,
                            name: Some(s.name.clone()),
                            sort: s.sort,
                            color: s.color.as_ref().map(|c| c.as_str().to_owned()),
                            ..StatusRequest::default()
                        })
                        .collect(),
                }),
        }
    }
}

// ---------------------------------------------------------------------------------------
// KOMMO_UPDATE_PIPELINE

pub(crate) struct UpdatePipeline;

impl Action for UpdatePipeline {
    const NAME: &'static str = "KOMMO_UPDATE_PIPELINE";
    const TITLE: &'static str = "Update Kommo Pipeline";
    const DESCRIPTION: &'static str = "Action to edit a lead pipeline in kommo crm (administrators only). Changes \
        only the fields given and returns `data.pipeline` as Kommo now has it.";
    const KIND: ActionKind = ActionKind::Update;
    type Input = UpdatePipelineInput;

    async fn execute(input: UpdatePipelineInput, ctx: &ActionContext) -> Result<Done, Failure> {
        let pipeline = ctx
            .client()
            .update_pipeline(input.pipeline_id, input.to_request())
            .await
            .map_err(Failure::kommo(Fields::id("pipeline_id")))?;
        let warning = write_through::pipelines(ctx).await;
        Ok(Done::with_warning(json!({ "pipeline": pipeline }), warning))
    }
}

/// The pipeline to edit and the fields to change.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdatePipelineInput {
    /// Pipeline ID
    pub(crate) pipeline_id: i64,
    /// Pipeline name
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub(crate) name: Option<String>,
    /// Pipeline sorting
    #[serde(default)]
    pub(crate) sort: Option<i64>,
    /// Defines whether the pipeline is main for the account
    #[serde(default)]
    pub(crate) is_main: Option<bool>,
    /// Defines whether Incoming Leads are enabled
    #[serde(default)]
    pub(crate) is_unsorted_on: Option<bool>,
}

impl CheckInput for UpdatePipelineInput {
    fn check(&self) -> Result<(), InputError> {
        if self.name.is_none()
            && self.sort.is_none()
            && self.is_main.is_none()
            && self.is_unsorted_on.is_none()
        {
            return Err(InputError::whole(
                "nothing to update: give at least one of `name`, `sort`, `is_main`, `is_unsorted_on`",
            ));
        }
        Ok(())
    }
}

impl UpdatePipelineInput {
    pub(crate) fn to_request(&self) -> PipelineRequest {
        PipelineRequest {
            name: self.name.clone(),
            sort: self.sort,
            is_main: self.is_main,
            is_unsorted_on: self.is_unsorted_on,
            ..PipelineRequest::default()
        }
    }
}

// ---------------------------------------------------------------------------------------
// KOMMO_DELETE_PIPELINE

pub(crate) struct DeletePipeline;

impl Action for DeletePipeline {
    const NAME: &'static str = "KOMMO_DELETE_PIPELINE";
    const TITLE: &'static str = "Delete Kommo Pipeline";
    const DESCRIPTION: &'static str = "Action to delete a lead pipeline from the kommo account (administrators only). \
        Kommo refuses to delete the account's last pipeline or a pipeline that still holds leads: move them first \
        with KOMMO_UPDATE_LEAD. Returns `data.deleted_pipeline_id`.";
    const KIND: ActionKind = ActionKind::Delete;
    type Input = DeletePipelineInput;

    async fn execute(input: DeletePipelineInput, ctx: &ActionContext) -> Result<Done, Failure> {
        let id = input.pipeline_id;
        let fields = Fields::id("pipeline_id");
        // Kommo answers a delete of an unknown id in more than one way; asking first gives
        // the caller one clear answer.
        if ctx
            .client()
            .pipeline(id)
            .await
            .map_err(Failure::kommo(fields))?
            .is_none()
        {
            return Err(Failure::missing("pipeline", id, "pipeline_id"));
        }
        ctx.client()
            .delete_pipeline(id)
            .await
            .map_err(Failure::kommo(fields))?;
        // A delete is reported only once Kommo no longer has the pipeline.
        if ctx
            .client()
            .pipeline(id)
            .await
            .map_err(Failure::kommo(fields))?
            .is_some()
        {
            return Err(Failure::Unexpected {
                detail: format!("Kommo accepted the delete, but pipeline {id} is still there"),
            });
        }
        let warning = write_through::pipelines(ctx).await;
        Ok(Done::with_warning(
            json!({ "deleted_pipeline_id": id }),
            warning,
        ))
    }
}

/// The pipeline to delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeletePipelineInput {
    /// Pipeline ID
    pub(crate) pipeline_id: i64,
}

impl CheckInput for DeletePipelineInput {}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::input::{parse, schema_for};

    #[test]
    fn create_pipeline_follows_kommo_mandatory_fields() {
        let schema = schema_for::<CreatePipelineInput>();
        assert_eq!(
            schema["required"],
            json!(["name", "sort", "is_main", "is_unsorted_on"])
        );
        let input: CreatePipelineInput = parse(
            &json!({"name": "B2B", "sort": 20, "is_main": false, "is_unsorted_on": true,
                    "statuses": [{"id": 142, "name": "Won!"}, {"name": "First call", "sort": 10, "color": "#fffeb2"}]}),
            &schema,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(input.to_request()).unwrap(),
            json!({"name": "B2B", "sort": 20, "is_main": false, "is_unsorted_on": true, "_embedded": {"statuses": [
                {"id": 142, "name": "Won!"}, {"name": "First call", "sort": 10, "color": "#fffeb2"}]}})
        );
        let error = parse::<CreatePipelineInput>(
            &json!({"name": "B2B", "sort": 20, "is_main": false, "is_unsorted_on": true, "statuses": [{"id": 7, "name": "x"}]}),
            &schema,
        )
        .unwrap_err();
        assert_eq!(error.field.as_deref(), Some("statuses[0].id"));
        let error = parse::<CreatePipelineInput>(
            &json!({"name": "B2B", "sort": 20, "is_main": false, "is_unsorted_on": true, "statuses": [{"name": "x", "sort": 1, "color": "blue"}]}),
            &schema,
        )
        .unwrap_err();
        assert_eq!(error.field.as_deref(), Some("statuses[0].color"), "{error}");
    }

    #[test]
    fn no_input_accepts_nothing_else() {
        let schema = schema_for::<NoInput>();
        assert_eq!(schema["type"], "object");
        assert!(parse::<NoInput>(&json!({}), &schema).is_ok());
        let error = parse::<NoInput>(&json!({"page": 1}), &schema).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("page"));
    }

    #[test]
    fn update_pipeline_needs_a_change() {
        let schema = schema_for::<UpdatePipelineInput>();
        assert!(parse::<UpdatePipelineInput>(&json!({"pipeline_id": 1}), &schema).is_err());
        let input: UpdatePipelineInput =
            parse(&json!({"pipeline_id": 1, "name": "New"}), &schema).unwrap();
        assert_eq!(
            serde_json::to_value(input.to_request()).unwrap(),
            json!({"name": "New"})
        );
    }
}
