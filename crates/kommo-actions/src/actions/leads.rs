//! Lead actions: create, update, get, list, and the complex add of a lead with its contact
//! and company.

use kommo_model::query::ListQuery;
use kommo_model::{CompanyRequest, ContactRequest, LeadEmbeddedRequest, LeadRequest};
use kommo_sync::LEAD_WITH;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use crate::action::{Action, ActionKind, Done};
use crate::actions::companies::CompanyFields;
use crate::actions::contacts::ContactFields;
use crate::actions::{echo_request_id, one_page, single_id};
use crate::common::{
    CustomFieldValuesInput, DateRange, SortDirection, StatusFilterInput, TagInput,
    check_custom_fields, check_range, check_tags, custom_fields_to_wire, single_order,
    tags_to_wire,
};
use crate::context::ActionContext;
use crate::failure::{Failure, Fields};
use crate::input::{CheckInput, InputError};
use crate::write_through;

// ---------------------------------------------------------------------------------------
// KOMMO_CREATE_LEAD

pub(crate) struct CreateLead;

impl Action for CreateLead {
    const NAME: &'static str = "KOMMO_CREATE_LEAD";
    const TITLE: &'static str = "Create Kommo Lead";
    const DESCRIPTION: &'static str = "Action to create one or more leads in kommo crm. Creates one lead from the \
        given fields and returns it as Kommo stored it (`data.lead`), with its new `id`.";
    const KIND: ActionKind = ActionKind::Create;
    type Input = CreateLeadInput;

    async fn execute(input: CreateLeadInput, ctx: &ActionContext) -> Result<Done, Failure> {
        let added = ctx
            .client()
            .add_leads(vec![input.to_request()])
            .await
            .map_err(Failure::kommo(Fields::NONE))?;
        let id = single_id(&added, "lead")?;
        Ok(written_lead(ctx, id, None).await)
    }
}

/// The lead as Kommo now has it (read as a sync reads it) and stored through; when it cannot
/// be read back, its id and a note.
async fn written_lead(ctx: &ActionContext, id: i64, request_id: Option<&str>) -> Done {
    match ctx.client().lead(id, &LEAD_WITH).await {
        Ok(Some(lead)) => {
            let warning = write_through::leads(ctx, std::slice::from_ref(&lead)).await;
            Done::with_warning(
                json!({ "lead": echo_request_id(&lead, request_id) }),
                warning,
            )
        }
        Ok(None) => Done::with_warning(
            json!({ "lead": echo_request_id(&json!({ "id": id }), request_id) }),
            Some(format!(
                "the lead {id} was saved in Kommo but could not be read back; the data API shows it after the next sync"
            )),
        ),
        Err(error) => Done::with_warning(
            json!({ "lead": echo_request_id(&json!({ "id": id }), request_id) }),
            Some(format!(
                "the lead {id} was saved in Kommo but could not be read back ({}); the data API shows it after the next sync",
                Failure::kommo(Fields::NONE)(error).message()
            )),
        ),
    }
}

/// A lead to create.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateLeadInput {
    /// Lead name
    #[schemars(length(min = 1))]
    pub(crate) name: String,
    /// Lead sale
    #[serde(default)]
    pub(crate) price: Option<i64>,
    /// Lead closure date (Unix Timestamp)
    #[serde(default)]
    pub(crate) closed_at: Option<i64>,
    /// Stage ID the lead is added to. The first stage of the main pipeline by default
    #[serde(default)]
    pub(crate) status_id: Option<i64>,
    /// Lead creation date (Unix Timestamp)
    #[serde(default)]
    pub(crate) created_at: Option<i64>,
    /// The ID of the user creating the lead. When passing 0, lead will be created by robot
    #[serde(default)]
    pub(crate) created_by: Option<i64>,
    /// Lead update date (Unix Timestamp)
    #[serde(default)]
    pub(crate) updated_at: Option<i64>,
    /// The ID of the user updating the lead. When passing 0, lead will be updated by robot
    #[serde(default)]
    pub(crate) updated_by: Option<i64>,
    /// Pipeline ID the lead is added to
    #[serde(default)]
    pub(crate) pipeline_id: Option<i64>,
    /// Array of tags to add. Provide either tag name or ID
    #[serde(default)]
    pub(crate) tags_to_add: Option<Vec<TagInput>>,
    /// Lead loss reason ID
    #[serde(default)]
    pub(crate) loss_reason_id: Option<i64>,
    /// Array of tags to delete. Provide either tag name or ID
    #[serde(default)]
    pub(crate) tags_to_delete: Option<Vec<TagInput>>,
    /// Lead responsible user ID
    #[serde(default)]
    pub(crate) responsible_user_id: Option<i64>,
    /// An array of the current lead custom fields' values
    #[serde(default)]
    pub(crate) custom_fields_values: Option<Vec<CustomFieldValuesInput>>,
}

impl CheckInput for CreateLeadInput {
    fn check(&self) -> Result<(), InputError> {
        check_tags(self.tags_to_add.as_deref(), "tags_to_add")?;
        check_tags(self.tags_to_delete.as_deref(), "tags_to_delete")?;
        check_custom_fields(self.custom_fields_values.as_deref(), "custom_fields_values")
    }
}

impl CreateLeadInput {
    pub(crate) fn to_request(&self) -> LeadRequest {
        LeadRequest {
            name: Some(self.name.clone()),
            price: self.price,
            closed_at: self.closed_at,
            status_id: self.status_id,
            created_at: self.created_at,
            created_by: self.created_by,
            updated_at: self.updated_at,
            updated_by: self.updated_by,
            pipeline_id: self.pipeline_id,
            tags_to_add: tags_to_wire(self.tags_to_add.as_deref()),
            loss_reason_id: self.loss_reason_id,
            tags_to_delete: tags_to_wire(self.tags_to_delete.as_deref()),
            responsible_user_id: self.responsible_user_id,
            custom_fields_values: custom_fields_to_wire(self.custom_fields_values.as_deref()),
            ..LeadRequest::default()
        }
    }
}

// ---------------------------------------------------------------------------------------
// KOMMO_UPDATE_LEAD

pub(crate) struct UpdateLead;

impl Action for UpdateLead {
    const NAME: &'static str = "KOMMO_UPDATE_LEAD";
    const TITLE: &'static str = "Update Kommo Lead";
    const DESCRIPTION: &'static str = "Action to update a lead in kommo crm. Changes only the fields given (move it \
        to another stage with `status_id` and `pipeline_id`) and returns the lead as Kommo now has it (`data.lead`).";
    const KIND: ActionKind = ActionKind::Update;
    type Input = UpdateLeadInput;

    async fn execute(input: UpdateLeadInput, ctx: &ActionContext) -> Result<Done, Failure> {
        ctx.client()
            .update_lead(input.id, input.to_request())
            .await
            .map_err(Failure::kommo(Fields::id("id")))?;
        Ok(written_lead(ctx, input.id, input.request_id.as_deref()).await)
    }
}

/// The lead to update and the fields to change.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateLeadInput {
    /// Lead ID
    pub(crate) id: i64,
    /// Lead name
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub(crate) name: Option<String>,
    /// Lead sale
    #[serde(default)]
    pub(crate) price: Option<i64>,
    /// Lead closure date (Unix Timestamp)
    #[serde(default)]
    pub(crate) closed_at: Option<i64>,
    /// Stage ID the lead is added to, the first stage of the main pipeline by default
    #[serde(default)]
    pub(crate) status_id: Option<i64>,
    /// Lead creation date (Unix Timestamp)
    #[serde(default)]
    pub(crate) created_at: Option<i64>,
    /// The ID of the user creating the lead. When passing 0, lead will be created by robot
    #[serde(default)]
    pub(crate) created_by: Option<i64>,
    /// Field that will be returned unchanged in the response
    #[serde(default)]
    pub(crate) request_id: Option<String>,
    /// Lead update date (Unix Timestamp)
    #[serde(default)]
    pub(crate) updated_at: Option<i64>,
    /// The ID of the user updating the lead. When passing 0, lead will be updated by robot
    #[serde(default)]
    pub(crate) updated_by: Option<i64>,
    /// Pipeline ID the lead is added to
    #[serde(default)]
    pub(crate) pipeline_id: Option<i64>,
    /// Array of tags to add. Provide either tag name or ID
    #[serde(default)]
    pub(crate) tags_to_add: Option<Vec<TagInput>>,
    /// Lead loss reason ID
    #[serde(default)]
    pub(crate) loss_reason_id: Option<i64>,
    /// Array of tags to delete. Provide either tag name or ID
    #[serde(default)]
    pub(crate) tags_to_delete: Option<Vec<TagInput>>,
    /// Lead responsible user ID
    #[serde(default)]
    pub(crate) responsible_user_id: Option<i64>,
    /// An array of the current lead custom fields' values
    #[serde(default)]
    pub(crate) custom_fields_values: Option<Vec<CustomFieldValuesInput>>,
}

impl CheckInput for UpdateLeadInput {
    fn check(&self) -> Result<(), InputError> {
        let changes = [
            self.name.is_some(),
            self.price.is_some(),
            self.closed_at.is_some(),
            self.status_id.is_some(),
            self.created_at.is_some(),
            self.created_by.is_some(),
            self.updated_at.is_some(),
            self.updated_by.is_some(),
            self.pipeline_id.is_some(),
            self.tags_to_add.is_some(),
            self.loss_reason_id.is_some(),
            self.tags_to_delete.is_some(),
            self.responsible_user_id.is_some(),
            self.custom_fields_values.is_some(),
        ];
        if !changes.contains(&true) {
            return Err(InputError::whole(
                "nothing to update: give at least one field to change besides `id` (e.g. `name`, `price`, `status_id`)",
            ));
        }
        check_tags(self.tags_to_add.as_deref(), "tags_to_add")?;
        check_tags(self.tags_to_delete.as_deref(), "tags_to_delete")?;
        check_custom_fields(self.custom_fields_values.as_deref(), "custom_fields_values")
    }
}

impl UpdateLeadInput {
    pub(crate) fn to_request(&self) -> LeadRequest {
        LeadRequest {
            id: Some(self.id),
            name: self.name.clone(),
            price: self.price,
            closed_at: self.closed_at,
            status_id: self.status_id,
            created_at: self.created_at,
            created_by: self.created_by,
            request_id: self.request_id.clone(),
            updated_at: self.updated_at,
            updated_by: self.updated_by,
            pipeline_id: self.pipeline_id,
            tags_to_add: tags_to_wire(self.tags_to_add.as_deref()),
            loss_reason_id: self.loss_reason_id,
            tags_to_delete: tags_to_wire(self.tags_to_delete.as_deref()),
            responsible_user_id: self.responsible_user_id,
            custom_fields_values: custom_fields_to_wire(self.custom_fields_values.as_deref()),
            ..LeadRequest::default()
        }
    }
}

// ---------------------------------------------------------------------------------------
// KOMMO_GET_LEAD

pub(crate) struct GetLead;

impl Action for GetLead {
    const NAME: &'static str = "KOMMO_GET_LEAD";
    const TITLE: &'static str = "Get Kommo Lead";
    const DESCRIPTION: &'static str = "Action to get one lead of kommo crm by its ID, with optional related data \
        (`with_params`). Returns `data.lead`; an unknown ID is an error naming it.";
    const KIND: ActionKind = ActionKind::Read;
    type Input = GetLeadInput;

    async fn execute(input: GetLeadInput, ctx: &ActionContext) -> Result<Done, Failure> {
        let with: Vec<kommo::LeadWith> = input
            .with_params
            .iter()
            .flatten()
            .map(|w| w.to_client())
            .collect();
        match ctx
            .client()
            .lead(input.id, &with)
            .await
            .map_err(Failure::kommo(Fields::id("id")))?
        {
            Some(lead) => Ok(Done::data(json!({ "lead": lead }))),
            None => Err(Failure::missing("lead", input.id, "id")),
        }
    }
}

/// The lead to read.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GetLeadInput {
    /// Lead ID
    pub(crate) id: i64,
    /// Additional data to include in response (contacts, only_deleted, loss_reason, is_price_modified_by_robot, catalog_elements, source_id)
    #[serde(default)]
    pub(crate) with_params: Option<Vec<LeadWith>>,
}

impl CheckInput for GetLeadInput {}

/// Related data a lead read can include.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum LeadWith {
    Contacts,
    OnlyDeleted,
    LossReason,
    IsPriceModifiedByRobot,
    CatalogElements,
    SourceId,
}

impl LeadWith {
    fn to_client(self) -> kommo::LeadWith {
        match self {
            Self::Contacts => kommo::LeadWith::Contacts,
            Self::OnlyDeleted => kommo::LeadWith::OnlyDeleted,
            Self::LossReason => kommo::LeadWith::LossReason,
            Self::IsPriceModifiedByRobot => kommo::LeadWith::IsPriceModifiedByRobot,
            Self::CatalogElements => kommo::LeadWith::CatalogElements,
            Self::SourceId => kommo::LeadWith::SourceId,
        }
    }
}

// ---------------------------------------------------------------------------------------
// KOMMO_LIST_LEADS

pub(crate) struct ListLeads;

impl Action for ListLeads {
    const NAME: &'static str = "KOMMO_LIST_LEADS";
    const TITLE: &'static str = "List Kommo Leads";
    const DESCRIPTION: &'static str = "Action to list leads in kommo crm. Returns one page (`data.leads`) with \
        `data.page`, `data.limit` and `data.next_page` (null on the last page); filters combine with AND.";
    const KIND: ActionKind = ActionKind::Read;
    type Input = ListLeadsInput;

    async fn execute(input: ListLeadsInput, ctx: &ActionContext) -> Result<Done, Failure> {
        let query = input.to_query().map_err(|e| Failure::Unexpected {
            detail: e.to_string(),
        })?;
        one_page(query, |q| ctx.client().leads(q), "leads").await
    }
}

/// Which leads, in which order, which page.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListLeadsInput {
    /// Page number for pagination
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub(crate) page: Option<u32>,
    /// Number of entities to return (max 250)
    #[serde(default)]
    #[schemars(range(min = 1, max = 250))]
    pub(crate) limit: Option<u32>,
    /// Search query (searches through filled fields of the entity)
    #[serde(default)]
    pub(crate) query: Option<String>,
    /// Filter by lead IDs
    #[serde(default)]
    pub(crate) filter_ids: Option<Vec<i64>>,
    /// Sort by id (asc/desc)
    #[serde(default)]
    pub(crate) order_by_id: Option<SortDirection>,
    /// Additional data to include in response (contacts, only_deleted, loss_reason, is_price_modified_by_robot, catalog_elements, source_id)
    #[serde(default)]
    pub(crate) with_params: Option<Vec<LeadWith>>,
    /// Filter by lead names
    #[serde(default)]
    pub(crate) filter_names: Option<Vec<String>>,
    /// Filter by lead price
    #[serde(default)]
    pub(crate) filter_price: Option<i64>,
    /// Model for status filters in a specific pipeline.
    #[serde(default)]
    pub(crate) filter_status: Option<StatusFilterInput>,
    /// Model for date range filters in Unix timestamp format.
    #[serde(default)]
    pub(crate) filter_closed_at: Option<DateRange>,
    /// Model for date range filters in Unix timestamp format.
    #[serde(default)]
    pub(crate) filter_created_at: Option<DateRange>,
    /// Filter by IDs of users who created the leads
    #[serde(default)]
    pub(crate) filter_created_by: Option<Vec<i64>>,
    /// Model for date range filters in Unix timestamp format.
    #[serde(default)]
    pub(crate) filter_updated_at: Option<DateRange>,
    /// Filter by IDs of users who last updated the leads
    #[serde(default)]
    pub(crate) filter_updated_by: Option<Vec<i64>>,
    /// Filter by pipeline IDs
    #[serde(default)]
    pub(crate) filter_pipeline_ids: Option<Vec<i64>>,
    /// Sort by created_at (asc/desc)
    #[serde(default)]
    pub(crate) order_by_created_at: Option<SortDirection>,
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

impl ListLeadsInput {
    fn order(&self) -> Result<Option<(&'static str, kommo_model::query::Direction)>, InputError> {
        single_order(&[
            ("order_by_id", "id", self.order_by_id),
            (
                "order_by_created_at",
                "created_at",
                self.order_by_created_at,
            ),
            (
                "order_by_updated_at",
                "updated_at",
                self.order_by_updated_at,
            ),
        ])
    }

    /// The Kommo list query these parameters mean.
    pub(crate) fn to_query(&self) -> Result<ListQuery, InputError> {
        let mut query = ListQuery::new();
        query.page = self.page;
        query.limit = self.limit;
        query.query = self.query.clone().filter(|q| !q.is_empty());
        query.with = self
            .with_params
            .iter()
            .flatten()
            .map(|w| w.to_client().as_str().to_owned())
            .collect();
        if let Some((field, direction)) = self.order()? {
            query = query.order(field, direction);
        }
        let f = &mut query.filter;
        f.id = self.filter_ids.clone().unwrap_or_default();
        f.name = self.filter_names.clone().unwrap_or_default();
        f.price = self.filter_price.map(|p| kommo_model::query::Range {
            from: Some(p),
            to: Some(p),
        });
        f.statuses = self
            .filter_status
            .map(StatusFilterInput::to_wire)
            .into_iter()
            .collect();
        f.closed_at = self.filter_closed_at.map(DateRange::to_range);
        f.created_at = self.filter_created_at.map(DateRange::to_range);
        f.created_by = self.filter_created_by.clone().unwrap_or_default();
        f.updated_at = self.filter_updated_at.map(DateRange::to_range);
        f.updated_by = self.filter_updated_by.clone().unwrap_or_default();
        f.pipeline_id = self.filter_pipeline_ids.clone().unwrap_or_default();
        f.closest_task_at = self.filter_closest_task_at.map(DateRange::to_range);
        f.responsible_user_id = self.filter_responsible_user_ids.clone().unwrap_or_default();
        Ok(query)
    }
}

impl CheckInput for ListLeadsInput {
    fn check(&self) -> Result<(), InputError> {
        check_range(self.filter_closed_at.as_ref(), "filter_closed_at")?;
        check_range(self.filter_created_at.as_ref(), "filter_created_at")?;
        check_range(self.filter_updated_at.as_ref(), "filter_updated_at")?;
        check_range(
            self.filter_closest_task_at.as_ref(),
            "filter_closest_task_at",
        )?;
        self.order().map(drop)
    }
}

// ---------------------------------------------------------------------------------------
// KOMMO_ADD_LEADS_COMPLEX

pub(crate) struct AddLeadsComplex;

/// Kommo's `_embedded` paths of a complex add, as this action's input names them.
const COMPLEX_FIELDS: Fields = Fields::items("leads").renamed(&[
    ("_embedded.contacts[0]", "contact"),
    ("_embedded.companies[0]", "company"),
    ("_embedded.tags", "tags"),
]);

impl Action for AddLeadsComplex {
    const NAME: &'static str = "KOMMO_ADD_LEADS_COMPLEX";
    const TITLE: &'static str = "Add Kommo Leads with Contact and Company";
    const DESCRIPTION: &'static str = "Action to add leads together with their contact and company in one call \
        (Kommo's complex add; up to 50 leads, each with at most one new contact and one new company, which are \
        linked together). Kommo's duplicate control may merge a lead into an existing one: `merged` says so. \
        Returns `data.leads` with each lead's `id`, `contact_id`, `company_id`, `request_id` and `merged`.";
    const KIND: ActionKind = ActionKind::Create;
    type Input = AddLeadsComplexInput;

    async fn execute(input: AddLeadsComplexInput, ctx: &ActionContext) -> Result<Done, Failure> {
        let requests = input
            .leads
            .iter()
            .map(ComplexLeadInput::to_request)
            .collect();
        let results = ctx
            .client()
            .add_leads_complex(requests)
            .await
            .map_err(Failure::kommo(COMPLEX_FIELDS))?;
        let lead_ids: Vec<i64> = results.iter().map(|r| r.id).collect();
        let contact_ids: Vec<i64> = results.iter().filter_map(|r| r.contact_id).collect();
        let (_, lead_note) = write_through::refresh_leads(ctx, &lead_ids).await;
        let (_, contact_note) = write_through::refresh_contacts(ctx, &contact_ids).await;
        // The client numbers items by their input index; give back the caller's own ids.
        let leads: Vec<_> = results
            .iter()
            .map(|r| {
                let inputs: Vec<usize> = r
                    .request_id
                    .iter()
                    .filter_map(|id| id.parse().ok())
                    .collect();
                let request_ids: Vec<&str> = inputs
                    .iter()
                    .filter_map(|&i| input.leads.get(i)?.request_id.as_deref())
                    .collect();
                json!({
                    "id": r.id,
                    "contact_id": r.contact_id,
                    "company_id": r.company_id,
                    "merged": r.merged,
                    "inputs": inputs,
                    "request_id": request_ids,
                })
            })
            .collect();
        let warning = match (lead_note, contact_note) {
            (Some(a), Some(b)) => Some(format!("{a}; {b}")),
            (a, b) => a.or(b),
        };
        Ok(Done::with_warning(json!({ "leads": leads }), warning))
    }
}

/// The leads to add, each with its contact and company.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddLeadsComplexInput {
    /// The leads to add (1 to 50)
    #[schemars(length(min = 1, max = 50))]
    pub(crate) leads: Vec<ComplexLeadInput>,
}

/// One lead of a complex add.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ComplexLeadInput {
    /// Lead name
    #[serde(default)]
    pub(crate) name: Option<String>,
    /// Lead price
    #[serde(default)]
    pub(crate) price: Option<i64>,
    /// ID of the stage the lead is added to, the first stage of the main pipeline by default
    #[serde(default)]
    pub(crate) status_id: Option<i64>,
    /// ID of the pipeline the lead is added to
    #[serde(default)]
    pub(crate) pipeline_id: Option<i64>,
    /// Id of the user who created the lead
    #[serde(default)]
    pub(crate) created_by: Option<i64>,
    /// Id of the user who updated the lead
    #[serde(default)]
    pub(crate) updated_by: Option<i64>,
    /// The time and date the lead was created in the format of Unix Timestamp
    #[serde(default)]
    pub(crate) created_at: Option<i64>,
    /// The time and date the lead was updated in the format of Unix Timestamp
    #[serde(default)]
    pub(crate) updated_at: Option<i64>,
    /// Lead closure date in the format of Unix Timestamp
    #[serde(default)]
    pub(crate) closed_at: Option<i64>,
    /// Lead loss reason ID
    #[serde(default)]
    pub(crate) loss_reason_id: Option<i64>,
    /// Lead responsible user ID
    #[serde(default)]
    pub(crate) responsible_user_id: Option<i64>,
    /// Custom field values of the lead (at most 40)
    #[serde(default)]
    #[schemars(length(max = 40))]
    pub(crate) custom_fields_values: Option<Vec<CustomFieldValuesInput>>,
    /// Tags of the lead. Provide either tag name or ID
    #[serde(default)]
    pub(crate) tags: Option<Vec<TagInput>>,
    /// The contact to create and link to the lead
    #[serde(default)]
    pub(crate) contact: Option<ContactFields>,
    /// The company to create and link to the lead (and to its contact)
    #[serde(default)]
    pub(crate) company: Option<CompanyFields>,
    /// Field that will be returned unchanged in the response
    #[serde(default)]
    pub(crate) request_id: Option<String>,
}

impl CheckInput for AddLeadsComplexInput {
    fn check(&self) -> Result<(), InputError> {
        for (index, lead) in self.leads.iter().enumerate() {
            let at = format!("leads[{index}]");
            check_tags(lead.tags.as_deref(), &format!("{at}.tags"))?;
            check_custom_fields(
                lead.custom_fields_values.as_deref(),
                &format!("{at}.custom_fields_values"),
            )?;
            if let Some(contact) = &lead.contact {
                contact.check_at(&format!("{at}.contact"))?;
            }
            if let Some(company) = &lead.company {
                company.check_at(&format!("{at}.company"))?;
            }
        }
        Ok(())
    }
}

impl ComplexLeadInput {
    pub(crate) fn to_request(&self) -> LeadRequest {
        let contacts: Option<Vec<ContactRequest>> =
            self.contact.as_ref().map(|c| vec![c.to_request()]);
        let companies: Option<Vec<CompanyRequest>> =
            self.company.as_ref().map(|c| vec![c.to_request()]);
        let tags = tags_to_wire(self.tags.as_deref());
        let embedded = (contacts.is_some() || companies.is_some() || tags.is_some()).then(|| {
            LeadEmbeddedRequest {
                tags,
                contacts,
                companies,
                ..LeadEmbeddedRequest::default()
            }
        });
        LeadRequest {
            name: self.name.clone(),
            price: self.price,
            status_id: self.status_id,
            pipeline_id: self.pipeline_id,
            created_by: self.created_by,
            updated_by: self.updated_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
            closed_at: self.closed_at,
            loss_reason_id: self.loss_reason_id,
            responsible_user_id: self.responsible_user_id,
            custom_fields_values: custom_fields_to_wire(self.custom_fields_values.as_deref()),
            embedded,
            request_id: self.request_id.clone(),
            ..LeadRequest::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use kommo_model::query::{Direction, Range, StatusFilter};
    use serde_json::json;

    use super::*;
    use crate::input::{parse, schema_for};

    fn parse_input<T: serde::de::DeserializeOwned + JsonSchema + CheckInput>(
        value: serde_json::Value,
    ) -> Result<T, InputError> {
        parse::<T>(&value, &schema_for::<T>())
    }

    #[test]
    fn create_lead_schema_matches_the_catalog() {
        let schema = schema_for::<CreateLeadInput>();
        assert_eq!(schema["required"], json!(["name"]));
        let properties = schema["properties"].as_object().unwrap();
        let mut names: Vec<_> = properties.keys().cloned().collect();
        names.sort();
        assert_eq!(
            names,
            [
                "closed_at",
                "created_at",
                "created_by",
                "custom_fields_values",
                "loss_reason_id",
                "name",
                "pipeline_id",
                "price",
                "responsible_user_id",
                "status_id",
                "tags_to_add",
                "tags_to_delete",
                "updated_at",
                "updated_by"
            ]
        );
        assert_eq!(properties["name"]["description"], "Lead name");
        assert_eq!(properties["price"]["description"], "Lead sale");
    }

    #[test]
    fn list_filters_map_to_kommo_query() {
        let input: ListLeadsInput = parse_input(json!({
            "page": 2, "limit": 10, "query": "Maria",
            "filter_ids": [1, 2], "filter_names": ["A"], "filter_price": 500,
            "filter_status": {"pipeline_id": 7, "status_id": 142},
            "filter_created_at": {"from": 100, "to": 200}, "filter_updated_at": {"from": 300},
            "filter_closed_at": {"to": 400}, "filter_closest_task_at": {"from": 1, "to": 2},
            "filter_created_by": [5], "filter_updated_by": [6], "filter_pipeline_ids": [7, 8],
            "filter_responsible_user_ids": [9], "order_by_updated_at": "desc",
            "with_params": ["contacts", "loss_reason"]
        }))
        .unwrap();
        let query = input.to_query().unwrap();
        assert_eq!(query.page, Some(2));
        assert_eq!(query.limit, Some(10));
        assert_eq!(query.query.as_deref(), Some("Maria"));
        assert_eq!(query.with, ["contacts", "loss_reason"]);
        let order = query.order.clone().unwrap();
        assert_eq!(
            (order.field.as_str(), order.direction),
            ("updated_at", Direction::Desc)
        );
        let f = &query.filter;
        assert_eq!(f.id, [1, 2]);
        assert_eq!(f.name, ["A"]);
        assert_eq!(
            f.price,
            Some(Range {
                from: Some(500),
                to: Some(500)
            })
        );
        assert_eq!(
            f.statuses,
            [StatusFilter {
                pipeline_id: 7,
                status_id: 142
            }]
        );
        assert_eq!(
            f.created_at,
            Some(Range {
                from: Some(100),
                to: Some(200)
            })
        );
        assert_eq!(
            f.updated_at,
            Some(Range {
                from: Some(300),
                to: None
            })
        );
        assert_eq!(
            f.closed_at,
            Some(Range {
                from: None,
                to: Some(400)
            })
        );
        assert_eq!(
            f.closest_task_at,
            Some(Range {
                from: Some(1),
                to: Some(2)
            })
        );
        assert_eq!(
            (f.created_by.clone(), f.updated_by.clone()),
            (vec![5], vec![6])
        );
        assert_eq!(f.pipeline_id, [7, 8]);
        assert_eq!(f.responsible_user_id, [9]);
        let pairs = query.to_pairs();
        assert!(
            pairs.contains(&(
                "filter[statuses][0][status_id]".to_owned(),
                "142".to_owned()
            )),
            "{pairs:?}"
        );
    }

    #[test]
    fn list_input_errors_name_the_field() {
        let error = parse_input::<ListLeadsInput>(json!({"limit": 500})).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("limit"));
        let error =
            parse_input::<ListLeadsInput>(json!({"with_params": ["everything"]})).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("with_params[0]"), "{error}");
        let error = parse_input::<ListLeadsInput>(json!({"filter_status": {"pipeline_id": 1}}))
            .unwrap_err();
        assert_eq!(error.field.as_deref(), Some("filter_status.status_id"));
        let error = parse_input::<ListLeadsInput>(
            json!({"order_by_id": "asc", "order_by_created_at": "desc"}),
        )
        .unwrap_err();
        assert_eq!(error.field.as_deref(), Some("order_by_created_at"));
        let error =
            parse_input::<ListLeadsInput>(json!({"filter_created_at": {"from": 9, "to": 1}}))
                .unwrap_err();
        assert_eq!(error.field.as_deref(), Some("filter_created_at"));
    }

    #[test]
    fn update_needs_something_to_change() {
        let error = parse_input::<UpdateLeadInput>(json!({"id": 5})).unwrap_err();
        assert!(error.problem.contains("nothing to update"), "{error}");
        let input: UpdateLeadInput =
            parse_input(json!({"id": 5, "status_id": 142, "tags_to_add": [{"name": "vip"}]}))
                .unwrap();
        let request = serde_json::to_value(input.to_request()).unwrap();
        assert_eq!(
            request,
            json!({"id": 5, "status_id": 142, "tags_to_add": [{"name": "vip"}]})
        );
        let error =
            parse_input::<UpdateLeadInput>(json!({"id": 5, "tags_to_add": [{}]})).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("tags_to_add[0]"));
    }

    #[test]
    fn complex_lead_embeds_its_contact_and_company() {
        let input: AddLeadsComplexInput = parse_input(json!({"leads": [{
            "name": "Deal", "price": 10, "request_id": "a",
            "contact": {"first_name": "Ana", "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": "+55 11", "enum_code": "WORK"}]}]},
            "company": {"name": "Acme"}
        }]}))
        .unwrap();
        let request = serde_json::to_value(input.leads[0].to_request()).unwrap();
        assert_eq!(
            request,
            json!({"name": "Deal", "price": 10, "request_id": "a", "_embedded": {
                "contacts": [{"first_name": "Ana", "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": "+55 11", "enum_code": "WORK"}]}]}],
                "companies": [{"name": "Acme"}]
            }})
        );
        let too_many: Vec<_> = (0..51).map(|i| json!({"name": format!("L{i}")})).collect();
        let error = parse_input::<AddLeadsComplexInput>(json!({"leads": too_many})).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("leads"));
    }
}
