//! Custom field action: list the definitions of one entity's custom fields.

use schemars::JsonSchema;
use serde::Deserialize;

use serde_json::json;

use crate::action::{Action, ActionKind, Done};
use crate::common::CustomFieldEntity;
use crate::context::ActionContext;
use crate::failure::{Failure, Fields};
use crate::input::CheckInput;

// ---------------------------------------------------------------------------------------
// KOMMO_LIST_CUSTOM_FIELDS

pub(crate) struct ListCustomFields;

impl Action for ListCustomFields {
    const NAME: &'static str = "KOMMO_LIST_CUSTOM_FIELDS";
    const TITLE: &'static str = "List Kommo Custom Fields";
    const DESCRIPTION: &'static str = "Action to list custom fields in kommo crm. Returns every custom field of \
        the entity type (`data.custom_fields`: id, name, code, type, options in `enums`), all pages included: use \
        the ids in `custom_fields_values` when creating or updating.";
    const KIND: ActionKind = ActionKind::Read;
    type Input = ListCustomFieldsInput;

    async fn execute(input: ListCustomFieldsInput, ctx: &ActionContext) -> Result<Done, Failure> {
        let entity = match input.entity_type {
            CustomFieldEntity::Leads => kommo::EntityType::Leads,
            CustomFieldEntity::Contacts => kommo::EntityType::Contacts,
            CustomFieldEntity::Companies => kommo::EntityType::Companies,
        };
        let fields = ctx
            .client()
            .custom_fields(entity)
            .collect_all()
            .await
            .map_err(Failure::kommo(Fields::NONE))?;
        Ok(Done::data(
            json!({ "entity_type": input.entity_type.as_str(), "custom_fields": fields }),
        ))
    }
}

/// Whose custom fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListCustomFieldsInput {
    /// The type of entity to fetch custom fields for
    pub(crate) entity_type: CustomFieldEntity,
}

impl CheckInput for ListCustomFieldsInput {}
