//! Custom field action: list the definitions of one entity's custom fields.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::action::{Action, ActionKind};
use crate::common::CustomFieldEntity;
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
}

/// Whose custom fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListCustomFieldsInput {
    /// The type of entity to fetch custom fields for
    pub(crate) entity_type: CustomFieldEntity,
}

impl CheckInput for ListCustomFieldsInput {}
