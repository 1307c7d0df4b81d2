//! Company actions: create, update, list.

use kommo_model::CompanyRequest;
use kommo_model::query::ListQuery;
use schemars::JsonSchema;
use serde::Deserialize;

use serde_json::json;

use crate::action::{Action, ActionKind, Done};
use crate::actions::{echo_request_id, one_page, single_id};
use crate::common::{
    CustomFieldValuesInput, DateRange, SortDirection, TagInput, check_custom_fields, check_range,
    check_tags, custom_fields_to_wire, tags_to_wire,
};
use crate::context::ActionContext;
use crate::failure::{Failure, Fields};
use crate::input::{CheckInput, InputError};

/// The fields of a company to create (also the company of a complex lead add).
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CompanyFields {
    /// Company name
    #[schemars(length(min = 1))]
    pub(crate) name: String,
    /// Company creation date (Unix Timestamp)
    #[serde(default)]
    pub(crate) created_at: Option<i64>,
    /// ID of the user who created the company
    #[serde(default)]
    pub(crate) created_by: Option<i64>,
    /// This field will be returned unchanged in the response
    #[serde(default)]
    pub(crate) request_id: Option<String>,
    /// Company update date (Unix Timestamp)
    #[serde(default)]
    pub(crate) updated_at: Option<i64>,
    /// ID of the user who last updated the company
    #[serde(default)]
    pub(crate) updated_by: Option<i64>,
    /// Array of tags to add. Provide either tag name or ID
    #[serde(default)]
    pub(crate) tags_to_add: Option<Vec<TagInput>>,
    /// Company responsible user ID
    #[serde(default)]
    pub(crate) responsible_user_id: Option<i64>,
    /// An array of the current company custom fields' values
    #[serde(default)]
    pub(crate) custom_fields_values: Option<Vec<CustomFieldValuesInput>>,
}

impl CompanyFields {
    pub(crate) fn check_at(&self, at: &str) -> Result<(), InputError> {
        let prefix = if at.is_empty() {
            String::new()
        } else {
            format!("{at}.")
        };
        check_tags(self.tags_to_add.as_deref(), &format!("{prefix}tags_to_add"))?;
        check_custom_fields(
            self.custom_fields_values.as_deref(),
            &format!("{prefix}custom_fields_values"),
        )
    }

    pub(crate) fn to_request(&self) -> CompanyRequest {
        CompanyRequest {
            name: Some(self.name.clone()),
            created_at: self.created_at,
            created_by: self.created_by,
            request_id: self.request_id.clone(),
            updated_at: self.updated_at,
            updated_by: self.updated_by,
            tags_to_add: tags_to_wire(self.tags_to_add.as_deref()),
            responsible_user_id: self.responsible_user_id,
            custom_fields_values: custom_fields_to_wire(self.custom_fields_values.as_deref()),
            ..CompanyRequest::default()
        }
    }
}

// ---------------------------------------------------------------------------------------
// KOMMO_CREATE_COMPANY

pub(crate) struct CreateCompany;

impl Action for CreateCompany {
    const NAME: &'static str = "KOMMO_CREATE_COMPANY";
    const TITLE: &'static str = "Create Kommo Companies";
    const DESCRIPTION: &'static str = "Action to add one or more companies into the kommo account. Creates one \
        company from the given fields and returns it as Kommo stored it (`data.company`), with its new `id`.";
    const KIND: ActionKind = ActionKind::Create;
    type Input = CompanyFields;

    async fn execute(input: CompanyFields, ctx: &ActionContext) -> Result<Done, Failure> {
        let added = ctx
            .client()
            .add_companies(vec![input.to_request()])
            .await
            .map_err(Failure::kommo(Fields::NONE))?;
        let id = single_id(&added, "company")?;
        Ok(read_back(ctx, id, input.request_id.as_deref()).await)
    }
}

/// The company as Kommo now has it; its id and a note when it cannot be read back.
async fn read_back(ctx: &ActionContext, id: i64, request_id: Option<&str>) -> Done {
    match ctx.client().company(id, &[]).await {
        Ok(Some(company)) => {
            Done::data(json!({ "company": echo_request_id(&company, request_id) }))
        }
        Ok(None) => Done::with_warning(
            json!({ "company": echo_request_id(&json!({ "id": id }), request_id) }),
            Some(format!(
                "the company {id} was saved in Kommo but could not be read back"
            )),
        ),
        Err(error) => Done::with_warning(
            json!({ "company": echo_request_id(&json!({ "id": id }), request_id) }),
            Some(format!(
                "the company {id} was saved in Kommo but could not be read back: {}",
                Failure::kommo(Fields::NONE)(error).message()
            )),
        ),
    }
}

impl CheckInput for CompanyFields {
    fn check(&self) -> Result<(), InputError> {
        self.check_at("")
    }
}

// ---------------------------------------------------------------------------------------
// KOMMO_UPDATE_COMPANY

pub(crate) struct UpdateCompany;

impl Action for UpdateCompany {
    const NAME: &'static str = "KOMMO_UPDATE_COMPANY";
    const TITLE: &'static str = "Update Kommo Company";
    const DESCRIPTION: &'static str = "Action to update a single company in kommo crm. Changes only the fields \
        given and returns the company as Kommo now has it (`data.company`).";
    const KIND: ActionKind = ActionKind::Update;
    type Input = UpdateCompanyInput;

    async fn execute(input: UpdateCompanyInput, ctx: &ActionContext) -> Result<Done, Failure> {
        ctx.client()
            .update_company(input.company_id, input.to_request())
            .await
            .map_err(Failure::kommo(Fields::id("company_id")))?;
        Ok(read_back(ctx, input.company_id, input.request_id.as_deref()).await)
    }
}

/// The company to update and the fields to change.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateCompanyInput {
    /// Company name
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub(crate) name: Option<String>,
    /// ID of the company to update
    pub(crate) company_id: i64,
    /// Company creation date (Unix Timestamp)
    #[serde(default)]
    pub(crate) created_at: Option<i64>,
    /// ID of the user who created the company
    #[serde(default)]
    pub(crate) created_by: Option<i64>,
    /// This field will be returned unchanged in the response
    #[serde(default)]
    pub(crate) request_id: Option<String>,
    /// Company update date (Unix Timestamp)
    #[serde(default)]
    pub(crate) updated_at: Option<i64>,
    /// ID of the user who last updated the company
    #[serde(default)]
    pub(crate) updated_by: Option<i64>,
    /// Array of tags to add. Provide either tag name or ID
    #[serde(default)]
    pub(crate) tags_to_add: Option<Vec<TagInput>>,
    /// Company responsible user ID
    #[serde(default)]
    pub(crate) responsible_user_id: Option<i64>,
    /// An array of the current company custom fields' values
    #[serde(default)]
    pub(crate) custom_fields_values: Option<Vec<CustomFieldValuesInput>>,
}

impl CheckInput for UpdateCompanyInput {
    fn check(&self) -> Result<(), InputError> {
        let changes = [
            self.name.is_some(),
            self.created_at.is_some(),
            self.created_by.is_some(),
            self.updated_at.is_some(),
            self.updated_by.is_some(),
            self.tags_to_add.is_some(),
            self.responsible_user_id.is_some(),
            self.custom_fields_values.is_some(),
        ];
        if !changes.contains(&true) {
            return Err(InputError::whole(
                "nothing to update: give at least one field to change besides `company_id` (e.g. `name`)",
            ));
        }
        check_tags(self.tags_to_add.as_deref(), "tags_to_add")?;
        check_custom_fields(self.custom_fields_values.as_deref(), "custom_fields_values")
    }
}

impl UpdateCompanyInput {
    pub(crate) fn to_request(&self) -> CompanyRequest {
        CompanyRequest {
            id: Some(self.company_id),
            name: self.name.clone(),
            created_at: self.created_at,
            created_by: self.created_by,
            request_id: self.request_id.clone(),
            updated_at: self.updated_at,
            updated_by: self.updated_by,
            tags_to_add: tags_to_wire(self.tags_to_add.as_deref()),
            responsible_user_id: self.responsible_user_id,
            custom_fields_values: custom_fields_to_wire(self.custom_fields_values.as_deref()),
            ..CompanyRequest::default()
        }
    }
}

// ---------------------------------------------------------------------------------------
// KOMMO_LIST_COMPANIES

pub(crate) struct ListCompanies;

impl Action for ListCompanies {
    const NAME: &'static str = "KOMMO_LIST_COMPANIES";
    const TITLE: &'static str = "List Kommo Companies";
    const DESCRIPTION: &'static str = "Action to list kommo companies with various filter options. Returns one page \
        (`data.companies`) with `data.page`, `data.limit` and `data.next_page` (null on the last page).";
    const KIND: ActionKind = ActionKind::Read;
    type Input = ListCompaniesInput;

    async fn execute(input: ListCompaniesInput, ctx: &ActionContext) -> Result<Done, Failure> {
        one_page(input.to_query(), |q| ctx.client().companies(q), "companies").await
    }
}

/// Related data a company list can include.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CompanyWith {
    Leads,
    Contacts,
    CatalogElements,
}

impl CompanyWith {
    fn as_str(self) -> &'static str {
        match self {
            Self::Leads => "leads",
            Self::Contacts => "contacts",
            Self::CatalogElements => "catalog_elements",
        }
    }
}

/// The fields companies can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CompanyOrderField {
    UpdatedAt,
    Id,
}

/// Sorting options. Example: {'field': 'updated_at', 'direction': 'asc'}
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CompanyOrder {
    /// Field to sort by: updated_at or id
    pub(crate) field: CompanyOrderField,
    /// Sort direction: asc or desc
    pub(crate) direction: SortDirection,
}

/// Filter parameters for companies.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CompanyFilter {
    /// Filter by company IDs
    #[serde(default)]
    pub(crate) id: Option<Vec<i64>>,
    /// Filter by company names
    #[serde(default)]
    pub(crate) name: Option<Vec<String>>,
    /// Model for date range filters in Unix timestamp format.
    #[serde(default)]
    pub(crate) created_at: Option<DateRange>,
    /// Model for date range filters in Unix timestamp format.
    #[serde(default)]
    pub(crate) updated_at: Option<DateRange>,
    /// Model for date range filters in Unix timestamp format.
    #[serde(default)]
    pub(crate) closest_task_at: Option<DateRange>,
    /// Filter by IDs of users who created the companies
    #[serde(default)]
    pub(crate) created_by: Option<Vec<i64>>,
    /// Filter by IDs of users who last updated the companies
    #[serde(default)]
    pub(crate) updated_by: Option<Vec<i64>>,
    /// Filter by responsible user IDs
    #[serde(default)]
    pub(crate) responsible_user_id: Option<Vec<i64>>,
}

/// Which companies, in which order, which page.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListCompaniesInput {
    /// Page of response
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub(crate) page: Option<u32>,
    /// Number of entities to return (max 250)
    #[serde(default)]
    #[schemars(range(min = 1, max = 250))]
    pub(crate) limit: Option<u32>,
    /// Sorting options. Example: {'field': 'updated_at', 'direction': 'asc'}
    #[serde(default)]
    pub(crate) order: Option<CompanyOrder>,
    /// Search query (searches through custom fields values)
    #[serde(default)]
    pub(crate) query: Option<String>,
    /// Filter parameters for companies
    #[serde(default)]
    pub(crate) filter: Option<CompanyFilter>,
    /// Additional data to include in response (leads, contacts, catalog_elements)
    #[serde(default)]
    pub(crate) with_params: Option<Vec<CompanyWith>>,
}

impl CheckInput for ListCompaniesInput {
    fn check(&self) -> Result<(), InputError> {
        if let Some(filter) = &self.filter {
            check_range(filter.created_at.as_ref(), "filter.created_at")?;
            check_range(filter.updated_at.as_ref(), "filter.updated_at")?;
            check_range(filter.closest_task_at.as_ref(), "filter.closest_task_at")?;
        }
        Ok(())
    }
}

impl ListCompaniesInput {
    pub(crate) fn to_query(&self) -> ListQuery {
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
        if let Some(order) = self.order {
            let field = match order.field {
                CompanyOrderField::UpdatedAt => "updated_at",
                CompanyOrderField::Id => "id",
            };
            query = query.order(field, order.direction.to_wire());
        }
        if let Some(filter) = &self.filter {
            let f = &mut query.filter;
            f.id = filter.id.clone().unwrap_or_default();
            f.name = filter.name.clone().unwrap_or_default();
            f.created_at = filter.created_at.map(DateRange::to_range);
            f.updated_at = filter.updated_at.map(DateRange::to_range);
            f.closest_task_at = filter.closest_task_at.map(DateRange::to_range);
            f.created_by = filter.created_by.clone().unwrap_or_default();
            f.updated_by = filter.updated_by.clone().unwrap_or_default();
            f.responsible_user_id = filter.responsible_user_id.clone().unwrap_or_default();
        }
        query
    }
}

#[cfg(test)]
mod tests {
    use kommo_model::query::{Direction, Range};
    use serde_json::json;

    use super::*;
    use crate::input::{parse, schema_for};

    #[test]
    fn update_company_is_keyed_by_company_id() {
        let schema = schema_for::<UpdateCompanyInput>();
        assert_eq!(schema["required"], json!(["company_id"]));
        let input: UpdateCompanyInput =
            parse(&json!({"company_id": 4, "name": "Acme"}), &schema).unwrap();
        assert_eq!(
            serde_json::to_value(input.to_request()).unwrap(),
            json!({"id": 4, "name": "Acme"})
        );
    }

    #[test]
    fn list_companies_order_and_filter() {
        let schema = schema_for::<ListCompaniesInput>();
        let input: ListCompaniesInput = parse(
            &json!({"order": {"field": "updated_at", "direction": "asc"}, "filter": {"id": [1], "updated_at": {"from": 5}}, "with_params": ["contacts"]}),
            &schema,
        )
        .unwrap();
        let query = input.to_query();
        let order = query.order.unwrap();
        assert_eq!(
            (order.field.as_str(), order.direction),
            ("updated_at", Direction::Asc)
        );
        assert_eq!(query.filter.id, [1]);
        assert_eq!(
            query.filter.updated_at,
            Some(Range {
                from: Some(5),
                to: None
            })
        );
        let error = parse::<ListCompaniesInput>(
            &json!({"order": {"field": "name", "direction": "asc"}}),
            &schema,
        )
        .unwrap_err();
        assert_eq!(error.field.as_deref(), Some("order.field"), "{error}");
    }
}
