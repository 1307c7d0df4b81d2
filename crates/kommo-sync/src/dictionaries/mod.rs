//! Dictionaries, refreshed at the start of every run so rows carry current names: pipelines
//! and statuses, loss reasons, sources, lead, contact and company tags, lead and contact
//! custom field definitions, the account's task types. Each is also saved in the store as Kommo's JSON, for readers that need names
//! or field definitions without calling Kommo (`Dictionaries::load`).

pub mod flatten;

pub use flatten::Dictionaries;

use kommo::{AccountWith, Client, EntityType, ListQuery};
use kommo_model::{CustomField, LossReason, Pipeline, Source, Tag, TaskType};
use kommo_store::Store;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::SyncError;
use crate::options::PAGE_SIZE;

/// The `kind` under which each dictionary is saved.
pub mod kinds {
    pub const PIPELINES: &str = "pipelines";
    pub const LOSS_REASONS: &str = "loss_reasons";
    pub const SOURCES: &str = "sources";
    pub const LEAD_TAGS: &str = "leads_tags";
    pub const CONTACT_TAGS: &str = "contacts_tags";
    pub const LEAD_CUSTOM_FIELDS: &str = "leads_custom_fields";
    pub const CONTACT_CUSTOM_FIELDS: &str = "contacts_custom_fields";
    pub const COMPANY_TAGS: &str = "companies_tags";
    pub const TASK_TYPES: &str = "task_types";
}

/// What a refresh fetched.
#[derive(Debug, Clone)]
pub(crate) struct Fetched {
    pub(crate) dictionaries: Dictionaries,
    pub(crate) pipelines: Vec<Pipeline>,
    pub(crate) warnings: Vec<String>,
    /// Items fetched, all dictionaries together.
    pub(crate) items: u64,
}

/// A dictionary Kommo may refuse to this token (rights) or not have (feature off): the run
/// goes on without its names instead of failing.
fn optional<T>(
    what: &str,
    result: Result<Vec<T>, kommo::Error>,
    warnings: &mut Vec<String>,
) -> Result<Vec<T>, SyncError> {
    match result {
        Ok(items) => Ok(items),
        Err(error @ (kommo::Error::Forbidden { .. } | kommo::Error::NotFound { .. })) => {
            tracing::warn!(%error, "{what} not available; rows will carry no names from it");
            warnings.push(format!("{what} not refreshed: {error}"));
            Ok(Vec::new())
        }
        Err(source) => Err(SyncError::Kommo {
            stage: "dictionaries",
            source,
        }),
    }
}

/// Fetches every dictionary and saves each in the store.
pub(crate) async fn refresh(
    client: &Client,
    store: &Store,
    integration_id: &str,
) -> Result<Fetched, SyncError> {
    let mut warnings = Vec::new();
    let all = || ListQuery::new().limit(PAGE_SIZE);
    let pipelines = client
        .pipelines()
        .await
        .map_err(SyncError::kommo("pipelines"))?;
    let loss_reasons = optional(
        "loss reasons",
        client.loss_reasons().collect_all().await,
        &mut warnings,
    )?;
    let sources = optional("sources", client.sources().await, &mut warnings)?;
    let lead_tags = optional(
        "lead tags",
        client.tags(EntityType::Leads, all()).collect_all().await,
        &mut warnings,
    )?;
    let contact_tags = optional(
        "contact tags",
        client.tags(EntityType::Contacts, all()).collect_all().await,
        &mut warnings,
    )?;
    let company_tags = optional(
        "company tags",
        client
            .tags(EntityType::Companies, all())
            .collect_all()
            .await,
        &mut warnings,
    )?;
    // Task types are the account's (`GET /api/v4/account?with=task_types`); the predefined
    // ones (1 follow-up, 2 meeting) are listed there too.
    let task_types = optional(
        "task types",
        client
            .account(&[AccountWith::TaskTypes])
            .await
            .map(|a| a.embedded.and_then(|e| e.task_types).unwrap_or_default()),
        &mut warnings,
    )?;
    let lead_fields = optional(
        "lead custom fields",
        client.custom_fields(EntityType::Leads).collect_all().await,
        &mut warnings,
    )?;
    let contact_fields = optional(
        "contact custom fields",
        client
            .custom_fields(EntityType::Contacts)
            .collect_all()
            .await,
        &mut warnings,
    )?;

    save(store, integration_id, kinds::PIPELINES, &pipelines).await?;
    save(store, integration_id, kinds::LOSS_REASONS, &loss_reasons).await?;
    save(store, integration_id, kinds::SOURCES, &sources).await?;
    save(store, integration_id, kinds::LEAD_TAGS, &lead_tags).await?;
    save(store, integration_id, kinds::CONTACT_TAGS, &contact_tags).await?;
    save(store, integration_id, kinds::COMPANY_TAGS, &company_tags).await?;
    save(store, integration_id, kinds::TASK_TYPES, &task_types).await?;
    save(
        store,
        integration_id,
        kinds::LEAD_CUSTOM_FIELDS,
        &lead_fields,
    )
    .await?;
    save(
        store,
        integration_id,
        kinds::CONTACT_CUSTOM_FIELDS,
        &contact_fields,
    )
    .await?;

    let mut dictionaries = Dictionaries::new();
    dictionaries.set_pipelines(&pipelines);
    dictionaries.set_loss_reasons(&loss_reasons);
    dictionaries.set_sources(&sources);
    dictionaries.set_lead_tags(&lead_tags);
    dictionaries.set_contact_tags(&contact_tags);
    dictionaries.set_company_tags(&company_tags);
    dictionaries.set_task_types(&task_types);
    let items = [
        pipelines.len(),
        loss_reasons.len(),
        sources.len(),
        lead_tags.len(),
        contact_tags.len(),
        company_tags.len(),
        task_types.len(),
        lead_fields.len(),
        contact_fields.len(),
    ]
    .iter()
    .sum::<usize>() as u64;
    Ok(Fetched {
        dictionaries,
        pipelines,
        warnings,
        items,
    })
}

async fn save<T: Serialize>(
    store: &Store,
    integration_id: &str,
    kind: &str,
    items: &[T],
) -> Result<(), SyncError> {
    let json = serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned());
    store
        .save_dictionary(integration_id, kind, &json)
        .await
        .map_err(SyncError::store("saving a dictionary"))
}

async fn load<T: DeserializeOwned>(
    store: &Store,
    integration_id: &str,
    kind: &str,
) -> Result<Vec<T>, SyncError> {
    let Some(json) = store
        .dictionary(integration_id, kind)
        .await
        .map_err(SyncError::store("reading a dictionary"))?
    else {
        return Ok(Vec::new());
    };
    // A dictionary saved by another version that no longer parses only costs names.
    Ok(serde_json::from_str(&json).unwrap_or_else(|error| {
        tracing::warn!(%error, kind, integration_id, "a stored dictionary could not be read; ignoring it");
        Vec::new()
    }))
}

impl Dictionaries {
    /// The dictionaries saved by the integration's last run (empty before the first).
    pub async fn load(store: &Store, integration_id: &str) -> Result<Dictionaries, SyncError> {
        let mut d = Dictionaries::new();
        d.set_pipelines(&load::<Pipeline>(store, integration_id, kinds::PIPELINES).await?);
        d.set_loss_reasons(&load::<LossReason>(store, integration_id, kinds::LOSS_REASONS).await?);
        d.set_sources(&load::<Source>(store, integration_id, kinds::SOURCES).await?);
        d.set_lead_tags(&load::<Tag>(store, integration_id, kinds::LEAD_TAGS).await?);
        d.set_contact_tags(&load::<Tag>(store, integration_id, kinds::CONTACT_TAGS).await?);
        d.set_company_tags(&load::<Tag>(store, integration_id, kinds::COMPANY_TAGS).await?);
        d.set_task_types(&load::<TaskType>(store, integration_id, kinds::TASK_TYPES).await?);
        Ok(d)
    }

    /// The stored custom field definitions of leads or contacts.
    pub async fn load_custom_fields(
        store: &Store,
        integration_id: &str,
        contacts: bool,
    ) -> Result<Vec<CustomField>, SyncError> {
        let kind = if contacts {
            kinds::CONTACT_CUSTOM_FIELDS
        } else {
            kinds::LEAD_CUSTOM_FIELDS
        };
        load(store, integration_id, kind).await
    }
}
