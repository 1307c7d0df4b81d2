//! Contact actions: create (one or more), update, list.

use kommo_model::ContactRequest;
use kommo_model::query::{ListQuery, Range};
use schemars::JsonSchema;
use serde::Deserialize;

use serde_json::json;

use crate::action::{Action, ActionKind, Done};
use crate::actions::{echo_request_id, one_page};
use crate::common::{
    CustomFieldValuesInput, DateRange, SortDirection, TagInput, check_custom_fields, check_range,
    check_tags, custom_fields_to_wire, single_order, tags_to_wire,
};
use crate::context::ActionContext;
use crate::failure::{Failure, Fields};
use crate::input::{CheckInput, InputError};
use crate::write_through;

/// The fields of a contact to create (an item of KOMMO_CREATE_CONTACT's `contacts`, or the
/// contact of a complex lead add).
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ContactFields {
    /// Contact full name
    #[serde(default)]
    pub(crate) name: Option<String>,
    /// Contact first name
    #[serde(default)]
    pub(crate) first_name: Option<String>,
    /// Contact last name
    #[serde(default)]
    pub(crate) last_name: Option<String>,
    /// Contact responsible user ID
    #[serde(default)]
    pub(crate) responsible_user_id: Option<i64>,
    /// ID of the user who created the contact
    #[serde(default)]
    pub(crate) created_by: Option<i64>,
    /// ID of the user who updated the contact last
    #[serde(default)]
    pub(crate) updated_by: Option<i64>,
    /// Contact creation date (Unix Timestamp)
    #[serde(default)]
    pub(crate) created_at: Option<i64>,
    /// Contact update date (Unix Timestamp)
    #[serde(default)]
    pub(crate) updated_at: Option<i64>,
    /// An array of the contact custom fields' values (phones and emails are the `PHONE` and `EMAIL` fields)
    #[serde(default)]
    pub(crate) custom_fields_values: Option<Vec<CustomFieldValuesInput>>,
    /// Array of tags to add. Provide either tag name or ID
    #[serde(default)]
    pub(crate) tags_to_add: Option<Vec<TagInput>>,
    /// Field that will be returned unchanged in the response
    #[serde(default)]
    pub(crate) request_id: Option<String>,
}

impl ContactFields {
    pub(crate) fn check_at(&self, at: &str) -> Result<(), InputError> {
        if self.name.is_none() && self.first_name.is_none() && self.last_name.is_none() {
            return Err(InputError::field(
                at,
                "give the contact a `name`, `first_name` or `last_name`",
            ));
        }
        check_tags(self.tags_to_add.as_deref(), &format!("{at}.tags_to_add"))?;
        check_custom_fields(
            self.custom_fields_values.as_deref(),
            &format!("{at}.custom_fields_values"),
        )
    }

    pub(crate) fn to_request(&self) -> ContactRequest {
        ContactRequest {
            name: self.name.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            responsible_user_id: self.responsible_user_id,
            created_by: self.created_by,
            updated_by: self.updated_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
            custom_fields_values: custom_fields_to_wire(self.custom_fields_values.as_deref()),
            tags_to_add: tags_to_wire(self.tags_to_add.as_deref()),
            request_id: self.request_id.clone(),
            ..ContactRequest::default()
        }
    }
}

// ---------------------------------------------------------------------------------------
// KOMMO_CREATE_CONTACT

pub(crate) struct CreateContact;

impl Action for CreateContact {
    const NAME: &'static str = "KOMMO_CREATE_CONTACT";
    const TITLE: &'static str = "Create Kommo Contact";
    const DESCRIPTION: &'static str = "Action to create one or more contacts in kommo crm. Returns the contacts as \
        Kommo stored them (`data.contacts`, in input order), with their new `id`s.";
    const KIND: ActionKind = ActionKind::Create;
    type Input = CreateContactInput;

    async fn execute(input: CreateContactInput, ctx: &ActionContext) -> Result<Done, Failure> {
        let requests = input
            .contacts
            .iter()
            .map(ContactFields::to_request)
            .collect();
        let added = ctx
            .client()
            .add_contacts(requests)
            .await
            .map_err(Failure::kommo(Fields::items("contacts")))?;
        let ids: Vec<i64> = added.iter().map(|a| a.id).collect();
        let (found, warning) = write_through::refresh_contacts(ctx, &ids).await;
        // In input order, with the caller's request ids; a contact that could not be read
        // back is given by its id.
        let contacts: Vec<_> = ids
            .iter()
            .zip(&input.contacts)
            .map(|(id, given)| {
                let request_id = given.request_id.as_deref();
                match found.iter().find(|c| c.id == *id) {
                    Some(contact) => echo_request_id(contact, request_id),
                    None => echo_request_id(&json!({ "id": id }), request_id),
                }
            })
            .collect();
        Ok(Done::with_warning(json!({ "contacts": contacts }), warning))
    }
}

/// The contacts to create.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateContactInput {
    /// List of contacts to create
    #[schemars(length(min = 1, max = 250))]
    pub(crate) contacts: Vec<ContactFields>,
}

impl CheckInput for CreateContactInput {
    fn check(&self) -> Result<(), InputError> {
        for (index, contact) in self.contacts.iter().enumerate() {
            contact.check_at(&format!("contacts[{index}]"))?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// KOMMO_UPDATE_CONTACT

pub(crate) struct UpdateContact;

impl Action for UpdateContact {
    const NAME: &'static str = "KOMMO_UPDATE_CONTACT";
    const TITLE: &'static str = "Update Kommo Contact";
    const DESCRIPTION: &'static str = "Action to update contacts in kommo crm. Changes only the fields given and \
        returns the contact as Kommo now has it (`data.contact`).";
    const KIND: ActionKind = ActionKind::Update;
    type Input = UpdateContactInput;

    async fn execute(input: UpdateContactInput, ctx: &ActionContext) -> Result<Done, Failure> {
        ctx.client()
            .update_contact(input.id, input.to_request())
            .await
            .map_err(Failure::kommo(Fields::id("id")))?;
        let (found, warning) = write_through::refresh_contacts(ctx, &[input.id]).await;
        let contact = match found.first() {
            Some(contact) => echo_request_id(contact, input.request_id.as_deref()),
            None => echo_request_id(&json!({ "id": input.id }), input.request_id.as_deref()),
        };
        Ok(Done::with_warning(json!({ "contact": contact }), warning))
    }
}

/// The contact to update and the fields to change.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateContactInput {
    /// Contact ID
    pub(crate) id: i64,
    /// Contact full name
    #[serde(default)]
    pub(crate) name: Option<String>,
    /// Contact last name
    #[serde(default)]
    pub(crate) last_name: Option<String>,
    /// Contact creation date (Unix Timestamp)
    #[serde(default)]
    pub(crate) created_at: Option<i64>,
    /// ID of the user who created the contact
    #[serde(default)]
    pub(crate) created_by: Option<i64>,
    /// Contact first name
    #[serde(default)]
    pub(crate) first_name: Option<String>,
    /// Field that will be returned unchanged in the response
    #[serde(default)]
    pub(crate) request_id: Option<String>,
    /// Contact update date (Unix Timestamp)
    #[serde(default)]
    pub(crate) updated_at: Option<i64>,
    /// ID of the user who updated the contact last
    #[serde(default)]
    pub(crate) updated_by: Option<i64>,
    /// Contact responsible user ID
    #[serde(default)]
    pub(crate) responsible_user_id: Option<i64>,
    /// An array of the current contact custom fields' values
    #[serde(default)]
    pub(crate) custom_fields_values: Option<Vec<CustomFieldValuesInput>>,
}

impl CheckInput for UpdateContactInput {
    fn check(&self) -> Result<(), InputError> {
        let changes = [
            self.name.is_some(),
            self.last_name.is_some(),
            self.created_at.is_some(),
            self.created_by.is_some(),
            self.first_name.is_some(),
            self.updated_at.is_some(),
            self.updated_by.is_some(),
            self.responsible_user_id.is_some(),
            self.custom_fields_values.is_some(),
        ];
        if !changes.contains(&true) {
            return Err(InputError::whole(
                "nothing to update: give at least one field to change besides `id` (e.g. `name`, `custom_fields_values`)",
            ));
        }
        check_custom_fields(self.custom_fields_values.as_deref(), "custom_fields_values")
    }
}

impl UpdateContactInput {
    pub(crate) fn to_request(&self) -> ContactRequest {
        ContactRequest {
            id: Some(self.id),
            name: self.name.clone(),
            last_name: self.last_name.clone(),
            created_at: self.created_at,
            created_by: self.created_by,
            first_name: self.first_name.clone(),
            request_id: self.request_id.clone(),
            updated_at: self.updated_at,
            updated_by: self.updated_by,
            responsible_user_id: self.responsible_user_id,
            custom_fields_values: custom_fields_to_wire(self.custom_fields_values.as_deref()),
            ..ContactRequest::default()
        }
    }
}

// ---------------------------------------------------------------------------------------
// KOMMO_LIST_CONTACTS

pub(crate) struct ListContacts;

impl Action for ListContacts {
    const NAME: &'static str = "KOMMO_LIST_CONTACTS";
    const TITLE: &'static str = "List Kommo Contacts";
    const DESCRIPTION: &'static str = "Action to list contacts in kommo crm. Returns one page (`data.contacts`) with \
        `data.page`, `data.limit` and `data.next_page` (null on the last page); filters combine with AND.";
    const KIND: ActionKind = ActionKind::Read;
    type Input = ListContactsInput;

    async fn execute(input: ListContactsInput, ctx: &ActionContext) -> Result<Done, Failure> {
        let query = input.to_query().map_err(|e| Failure::Unexpected {
            detail: e.to_string(),
        })?;
        one_page(query, |q| ctx.client().contacts(q), "contacts").await
    }
}

/// Related data a contact list can include.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ContactWith {
    Leads,
    CatalogElements,
}

impl ContactWith {
    fn as_str(self) -> &'static str {
        match self {
            Self::Leads => "leads",
            Self::CatalogElements => "catalog_elements",
        }
    }
}

/// Which contacts, in which order, which page.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListContactsInput {
    /// Page number for pagination
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub(crate) page: Option<u32>,
    /// Number of entities to return (max 250)
    #[serde(default)]
    #[schemars(range(min = 1, max = 250))]
    pub(crate) limit: Option<u32>,
    /// Search query (searches through custom fields values)
    #[serde(default)]
    pub(crate) query: Option<String>,
    /// Filter by contact IDs
    #[serde(default)]
    pub(crate) filter_ids: Option<Vec<i64>>,
    /// Sort by id (asc/desc)
    #[serde(default)]
    pub(crate) order_by_id: Option<SortDirection>,
    /// Additional data to include in response (leads, catalog_elements)
    #[serde(default)]
    pub(crate) with_params: Option<Vec<ContactWith>>,
    /// Filter by contact names
    #[serde(default)]
    pub(crate) filter_names: Option<Vec<String>>,
    /// Filter by creation date (Unix timestamp): contacts created at or after it, as Kommo reads a single date
    #[serde(default)]
    pub(crate) filter_created_at: Option<i64>,
    /// Filter by IDs of users who created the contacts
    #[serde(default)]
    pub(crate) filter_created_by: Option<Vec<i64>>,
    /// Model for date range filters in Unix timestamp format.
    #[serde(default)]
    pub(crate) filter_updated_at: Option<DateRange>,
    /// Filter by IDs of users who last updated the contacts
    #[serde(default)]
    pub(crate) filter_updated_by: Option<Vec<i64>>,
    /// Sort by updated_at (asc/desc)
    #[serde(default)]
    pub(crate) order_by_updated_at: Option<SortDirection>,
    /// Model for date range filters in Unix timestamp format.
    #[serde(default)]
    pub(crate) filter_closest_task_at: Option<DateRange>,
    /// Filter by responsible user IDs
    #[serde(default)]
    pub(crate) filter_responsible_user_ids: Option<Vec<i64>>,
}

impl ListContactsInput {
    fn order(&self) -> Result<Option<(&'static str, kommo_model::query::Direction)>, InputError> {
        single_order(&[
            ("order_by_id", "id", self.order_by_id),
            (
                "order_by_updated_at",
                "updated_at",
                self.order_by_updated_at,
            ),
        ])
    }

    pub(crate) fn to_query(&self) -> Result<ListQuery, InputError> {
        let mut query = ListQuery::new();
        query.page = self.page;
        query.limit = self.limit;
        query.query = self.query.clone().filter(|q| !q.is_empty());
        query.with = self
            .with_params
            .iter()
            .flatten()
            .map(|w| w.as_str().to_owned())
            .collect();
        if let Some((field, direction)) = self.order()? {
            query = query.order(field, direction);
        }
        let f = &mut query.filter;
        f.id = self.filter_ids.clone().unwrap_or_default();
        f.name = self.filter_names.clone().unwrap_or_default();
        f.created_at = self.filter_created_at.map(|from| Range {
            from: Some(from),
            to: None,
        });
        f.created_by = self.filter_created_by.clone().unwrap_or_default();
        f.updated_at = self.filter_updated_at.map(DateRange::to_range);
        f.updated_by = self.filter_updated_by.clone().unwrap_or_default();
        f.closest_task_at = self.filter_closest_task_at.map(DateRange::to_range);
        f.responsible_user_id = self.filter_responsible_user_ids.clone().unwrap_or_default();
        Ok(query)
    }
}

impl CheckInput for ListContactsInput {
    fn check(&self) -> Result<(), InputError> {
        check_range(self.filter_updated_at.as_ref(), "filter_updated_at")?;
        check_range(
            self.filter_closest_task_at.as_ref(),
            "filter_closest_task_at",
        )?;
        self.order().map(drop)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::input::{parse, schema_for};

    #[test]
    fn create_contact_requires_contacts_with_a_name() {
        let schema = schema_for::<CreateContactInput>();
        assert_eq!(schema["required"], json!(["contacts"]));
        assert_eq!(schema["properties"]["contacts"]["type"], "array");
        let error = parse::<CreateContactInput>(
            &json!({"contacts": [{"first_name": "A"}, {"price": 1}]}),
            &schema,
        )
        .unwrap_err();
        assert_eq!(error.field.as_deref(), Some("contacts[1].price"), "{error}");
        let error =
            parse::<CreateContactInput>(&json!({"contacts": [{"request_id": "x"}]}), &schema)
                .unwrap_err();
        assert_eq!(error.field.as_deref(), Some("contacts[0]"));
    }

    #[test]
    fn list_contacts_filters() {
        let schema = schema_for::<ListContactsInput>();
        assert_eq!(
            schema["properties"]["filter_created_at"]["type"],
            json!(["integer", "null"])
        );
        let input: ListContactsInput = parse(
            &json!({"filter_created_at": 100, "filter_updated_at": {"to": 50}, "order_by_id": "asc", "with_params": ["leads"]}),
            &schema,
        )
        .unwrap();
        let query = input.to_query().unwrap();
        assert_eq!(
            query.filter.created_at,
            Some(Range {
                from: Some(100),
                to: None
            })
        );
        assert_eq!(
            query.filter.updated_at,
            Some(Range {
                from: None,
                to: Some(50)
            })
        );
        assert_eq!(query.with, ["leads"]);
        assert_eq!(query.order.unwrap().field, "id");
    }

    #[test]
    fn update_contact_sends_only_given_fields() {
        let schema = schema_for::<UpdateContactInput>();
        assert_eq!(schema["required"], json!(["id"]));
        let input: UpdateContactInput =
            parse(&json!({"id": 3, "first_name": "Ana"}), &schema).unwrap();
        assert_eq!(
            serde_json::to_value(input.to_request()).unwrap(),
            json!({"id": 3, "first_name": "Ana"})
        );
    }
}
