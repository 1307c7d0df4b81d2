//! Write-through: after a write succeeds in Kommo, the affected rows of the store are
//! refreshed from what Kommo now holds, flattened by the same functions a sync uses, so the
//! data API shows the change on the very next request.
//!
//! A failure here does not undo the write (Kommo already has it): the action still succeeds
//! and says in its `error` note that the local copy lags until the next sync.

use kommo::ListQuery;
use kommo_model::{Contact, Lead, Pipeline};
use kommo_sync::dictionaries::kinds;
use kommo_sync::{
    CONTACT_WITH, Dictionaries, FlattenContext, LEAD_WITH, contact_row, lead_row, pipeline_rows,
};

use crate::context::{ActionContext, Mirror};

/// Kommo's largest page, also the most ids one filter takes here.
const CHUNK: usize = 250;

fn note(what: &str, error: impl std::fmt::Display) -> String {
    format!(
        "the change is saved in Kommo, but the local copy of the {what} could not be refreshed ({error}); the data \
         API shows it after the next sync"
    )
}

async fn dictionaries(mirror: &Mirror) -> Result<Dictionaries, String> {
    Dictionaries::load(&mirror.store, &mirror.tenancy.integration_id)
        .await
        .map_err(|e| e.to_string())
}

/// Stores `leads` (as read from Kommo with [`LEAD_WITH`]). Returns a note when that failed.
pub(crate) async fn leads(ctx: &ActionContext, leads: &[Lead]) -> Option<String> {
    let mirror = ctx.mirror()?;
    if leads.is_empty() {
        return None;
    }
    let result = async {
        let dictionaries = dictionaries(mirror).await?;
        let flatten = FlattenContext {
            tenancy: &mirror.tenancy,
            inserted_at: chrono::Utc::now().timestamp_millis(),
            dictionaries: &dictionaries,
        };
        let rows: Vec<_> = leads.iter().map(|lead| lead_row(lead, &flatten)).collect();
        mirror
            .store
            .write_leads(&mirror.tenancy, &rows, None)
            .await
            .map_err(|e| e.to_string())
    }
    .await;
    result.err().map(|error| note("leads", error))
}

/// Stores `contacts` (as read from Kommo with [`CONTACT_WITH`]). Returns a note when that failed.
pub(crate) async fn contacts(ctx: &ActionContext, contacts: &[Contact]) -> Option<String> {
    let mirror = ctx.mirror()?;
    if contacts.is_empty() {
        return None;
    }
    let result = async {
        let dictionaries = dictionaries(mirror).await?;
        let flatten = FlattenContext {
            tenancy: &mirror.tenancy,
            inserted_at: chrono::Utc::now().timestamp_millis(),
            dictionaries: &dictionaries,
        };
        let rows: Vec<_> = contacts
            .iter()
            .map(|contact| contact_row(contact, &flatten))
            .collect();
        mirror
            .store
            .write_contacts(&mirror.tenancy, &rows, None)
            .await
            .map_err(|e| e.to_string())
    }
    .await;
    result.err().map(|error| note("contacts", error))
}

/// Re-reads every pipeline and replaces the stored ones (and the pipeline names leads are
/// flattened with). Returns a note when that failed.
pub(crate) async fn pipelines(ctx: &ActionContext) -> Option<String> {
    let mirror = ctx.mirror()?;
    let result = async {
        let pipelines: Vec<Pipeline> = ctx.client().pipelines().await.map_err(|e| e.to_string())?;
        let dictionaries = dictionaries(mirror).await?;
        let flatten = FlattenContext {
            tenancy: &mirror.tenancy,
            inserted_at: chrono::Utc::now().timestamp_millis(),
            dictionaries: &dictionaries,
        };
        let rows = pipeline_rows(&pipelines, &flatten);
        mirror
            .store
            .replace_pipelines(&mirror.tenancy, &rows)
            .await
            .map_err(|e| e.to_string())?;
        let json = serde_json::to_string(&pipelines).map_err(|e| e.to_string())?;
        mirror
            .store
            .save_dictionary(&mirror.tenancy.integration_id, kinds::PIPELINES, &json)
            .await
            .map_err(|e| e.to_string())
    }
    .await;
    result.err().map(|error| note("pipelines", error))
}

/// Reads the leads with these ids from Kommo (as a sync would) and stores them. Returns what
/// was read, and a note when reading or storing failed.
pub(crate) async fn refresh_leads(ctx: &ActionContext, ids: &[i64]) -> (Vec<Lead>, Option<String>) {
    let mut all = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let query = ListQuery::new()
            .limit(CHUNK as u32)
            .with(LEAD_WITH.map(|w| w.as_str()))
            .filter(|f| f.id = chunk.to_vec());
        match ctx.client().leads(query).collect_all().await {
            Ok(found) => all.extend(found),
            Err(error) => return (all, Some(note("leads", error))),
        }
    }
    let warning = leads(ctx, &all).await;
    (all, warning)
}

/// Reads the contacts with these ids from Kommo (as a sync would) and stores them.
pub(crate) async fn refresh_contacts(
    ctx: &ActionContext,
    ids: &[i64],
) -> (Vec<Contact>, Option<String>) {
    let mut all = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let query = ListQuery::new()
            .limit(CHUNK as u32)
            .with(CONTACT_WITH.map(|w| w.as_str()))
            .filter(|f| f.id = chunk.to_vec());
        match ctx.client().contacts(query).collect_all().await {
            Ok(found) => all.extend(found),
            Err(error) => return (all, Some(note("contacts", error))),
        }
    }
    let warning = contacts(ctx, &all).await;
    (all, warning)
}
