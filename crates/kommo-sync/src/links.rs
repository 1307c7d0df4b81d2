//! Keeping both sides of the lead–contact links true.
//!
//! Kommo shows one relation from two sides: a lead's `_embedded.contacts` and a contact's
//! `_embedded.leads`. Linking or unlinking a contact and a lead, deleting or restoring one,
//! changes what the *other* side shows without changing that side's `updated_at` (Kommo's
//! docs do not say which side a link change stamps, if any), so an incremental run that only
//! reads changed rows would leave `leads_ids` / `contacts_ids` stale. The run keeps a log of
//! the links it read (leads and contacts it wrote, with the leads a written contact listed
//! before and lists no more; leads and contacts found deleted); afterwards the rows whose
//! stored side disagrees are read again by id and rewritten. The cost follows the number of
//! changed links, not the account's size. A link change that stamps neither side is seen by
//! neither stream and waits for the next full pass.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, PoisonError};

use kommo_store::query::{
    ContactFilter, ContactsQuery, Deleted, Grant, LeadFilter, LeadsQuery, PageRequest, Scope,
};
use kommo_store::rows::RowTenancy;
use kommo_store::{Store, StoreError};

use crate::error::SyncError;
use crate::flatten::FlattenContext;
use crate::options::PAGE_SIZE;
use crate::stream::RunContext;
use crate::{contacts, leads};

/// Ids per store query.
const CHUNK: usize = 500;

/// The links a run read, when it reads only changes (a full pass reads every contact after
/// every lead, which needs no repair).
#[derive(Debug, Default)]
pub(crate) struct LinkLog {
    enabled: bool,
    inner: Mutex<Logged>,
}

#[derive(Debug, Default)]
struct Logged {
    lead_contacts: HashMap<i64, Vec<i64>>,
    contact_leads: HashMap<i64, Vec<i64>>,
    /// Leads a written contact listed in its stored row and lists no more: their stored
    /// `contacts_ids` may still name it.
    contact_dropped: HashMap<i64, Vec<i64>>,
    deleted_leads: BTreeSet<i64>,
    deleted_contacts: BTreeSet<i64>,
}

impl LinkLog {
    pub(crate) fn new(enabled: bool) -> Self {
        Self {
            enabled,
            inner: Mutex::default(),
        }
    }

    fn with(&self, f: impl FnOnce(&mut Logged)) {
        if self.enabled {
            f(&mut self.inner.lock().unwrap_or_else(PoisonError::into_inner));
        }
    }

    pub(crate) fn leads<'a>(&self, items: impl Iterator<Item = &'a kommo_model::Lead>) {
        self.with(|l| {
            for lead in items {
                l.lead_contacts.insert(
                    lead.id,
                    lead.embedded.contacts.iter().map(|c| c.id).collect(),
                );
            }
        });
    }

    /// Whether this run keeps a log (only incremental runs do).
    pub(crate) fn enabled(&self) -> bool {
        self.enabled
    }

    /// Logs a page of contacts about to be written; `stored` holds the leads their stored
    /// rows list now (see [`stored_contact_leads`]), before the write replaces them.
    pub(crate) fn contacts<'a>(
        &self,
        items: impl Iterator<Item = &'a kommo_model::Contact>,
        stored: &HashMap<i64, Vec<i64>>,
    ) {
        self.with(|l| {
            for contact in items {
                let leads: Vec<i64> = contact.embedded.leads.iter().map(|x| x.id).collect();
                let dropped: Vec<i64> = stored
                    .get(&contact.id)
                    .into_iter()
                    .flatten()
                    .filter(|lead| !leads.contains(lead))
                    .copied()
                    .collect();
                if !dropped.is_empty() {
                    l.contact_dropped
                        .entry(contact.id)
                        .or_default()
                        .extend(dropped);
                }
                l.contact_leads.insert(contact.id, leads);
            }
        });
    }

    pub(crate) fn deleted_leads(&self, ids: impl Iterator<Item = i64>) {
        self.with(|l| l.deleted_leads.extend(ids));
    }

    pub(crate) fn deleted_contacts(&self, ids: impl Iterator<Item = i64>) {
        self.with(|l| l.deleted_contacts.extend(ids));
    }

    fn take(&self) -> Logged {
        std::mem::take(&mut self.inner.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// What a repair rewrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Repaired {
    pub(crate) leads: u64,
    pub(crate) contacts: u64,
}

fn parse_ids(list: Option<&str>) -> Vec<i64> {
    list.map(|l| {
        l.split(',')
            .filter_map(|id| id.trim().parse().ok())
            .collect()
    })
    .unwrap_or_default()
}

/// The leads the stored rows of `contact_ids` list (deleted contacts included), before a
/// write replaces them: one indexed read per 500 contacts, in incremental runs only.
pub(crate) async fn stored_contact_leads(
    store: &Store,
    tenancy: &RowTenancy,
    contact_ids: &[i64],
) -> Result<HashMap<i64, Vec<i64>>, StoreError> {
    StoredSide::new(store, tenancy).contacts(contact_ids).await
}

struct StoredSide<'a> {
    store: &'a Store,
    grant: Grant,
    scope: Scope,
}

impl<'a> StoredSide<'a> {
    /// Reads of this integration's own rows, through the data API's queries.
    fn new(store: &'a Store, t: &RowTenancy) -> Self {
        Self {
            store,
            grant: Grant {
                client_id: "kommo-sync".to_owned(),
                organization_id: t.organization_id.clone(),
                workspace_ids: vec![t.workspace_id.clone()],
                requests_per_minute: 0,
            },
            scope: Scope {
                workspace_id: t.workspace_id.clone(),
                organization_id: Some(t.organization_id.clone()),
                integration_ids: vec![t.integration_id.clone()],
            },
        }
    }

    /// Stored contacts (any state) by id: their `leads_ids`.
    async fn contacts(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<i64>>, StoreError> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(CHUNK) {
            let filter = ContactFilter {
                contact_id: chunk.to_vec(),
                deleted: Deleted::Any,
                ..ContactFilter::default()
            };
            self.contacts_where(filter, &mut out).await?;
        }
        Ok(out)
    }

    /// Stored live contacts linked to any of `lead_ids`: their `leads_ids`.
    async fn contacts_linked_to(
        &self,
        lead_ids: &[i64],
    ) -> Result<HashMap<i64, Vec<i64>>, StoreError> {
        let mut out = HashMap::new();
        for chunk in lead_ids.chunks(CHUNK) {
            let filter = ContactFilter {
                lead_id: chunk.to_vec(),
                ..ContactFilter::default()
            };
            self.contacts_where(filter, &mut out).await?;
        }
        Ok(out)
    }

    async fn contacts_where(
        &self,
        filter: ContactFilter,
        out: &mut HashMap<i64, Vec<i64>>,
    ) -> Result<(), StoreError> {
        let mut page = 1;
        loop {
            let query = ContactsQuery {
                scope: self.scope.clone(),
                filter: filter.clone(),
                order: None,
                page: PageRequest {
                    page,
                    limit: CHUNK as u32,
                },
            };
            let found = self.store.contacts(&self.grant, &query).await?;
            out.extend(
                found
                    .rows
                    .into_iter()
                    .map(|r| (r.contact_id, parse_ids(r.leads_ids.as_deref()))),
            );
            if !found.has_next_page {
                return Ok(());
            }
            page += 1;
        }
    }

    /// Stored live leads by id: their `contacts_ids`.
    async fn leads(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<i64>>, StoreError> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(CHUNK) {
            let query = LeadsQuery {
                scope: self.scope.clone(),
                filter: LeadFilter {
                    lead_id: chunk.to_vec(),
                    ..LeadFilter::default()
                },
                order: None,
                page: PageRequest {
                    page: 1,
                    limit: CHUNK as u32,
                },
            };
            let found = self.store.leads(&self.grant, &query).await?;
            out.extend(
                found
                    .rows
                    .into_iter()
                    .map(|r| (r.lead_id, parse_ids(r.contacts_ids.as_deref()))),
            );
        }
        Ok(out)
    }
}

fn read_error(source: StoreError) -> SyncError {
    SyncError::store("reading stored links")(source)
}

/// Rewrites the rows whose stored links disagree with what the run read.
pub(crate) async fn repair(ctx: &RunContext<'_>, log: &LinkLog) -> Result<Repaired, SyncError> {
    let logged = log.take();
    if logged.lead_contacts.is_empty()
        && logged.contact_leads.is_empty()
        && logged.deleted_leads.is_empty()
        && logged.deleted_contacts.is_empty()
    {
        return Ok(Repaired::default());
    }
    let t = ctx.tenancy;
    let stored = StoredSide::new(ctx.store, t);

    let mut contacts_to_read = BTreeSet::new();
    // A contact a changed lead names must list that lead.
    let named: Vec<i64> = logged
        .lead_contacts
        .values()
        .flatten()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let stored_contacts = stored.contacts(&named).await.map_err(read_error)?;
    for (lead, contacts) in &logged.lead_contacts {
        for contact in contacts {
            if stored_contacts
                .get(contact)
                .is_none_or(|leads| !leads.contains(lead))
            {
                contacts_to_read.insert(*contact);
            }
        }
    }
    // A contact that lists a changed lead which no longer names it, or a deleted lead.
    let changed: Vec<i64> = logged
        .lead_contacts
        .keys()
        .chain(logged.deleted_leads.iter())
        .copied()
        .collect();
    for (contact, leads) in stored
        .contacts_linked_to(&changed)
        .await
        .map_err(read_error)?
    {
        let stale = leads.iter().any(|lead| {
            logged.deleted_leads.contains(lead)
                || logged
                    .lead_contacts
                    .get(lead)
                    .is_some_and(|names| !names.contains(&contact))
        });
        if stale {
            contacts_to_read.insert(contact);
        }
    }

    let mut leads_to_read = BTreeSet::new();
    // A lead a changed contact lists must name that contact.
    let listed: Vec<i64> = logged
        .contact_leads
        .values()
        .flatten()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let stored_leads = stored.leads(&listed).await.map_err(read_error)?;
    for (contact, leads) in &logged.contact_leads {
        for lead in leads {
            if stored_leads
                .get(lead)
                .is_none_or(|contacts| !contacts.contains(contact))
            {
                leads_to_read.insert(*lead);
            }
        }
    }
    // A lead a changed contact no longer lists must not name it (an unlink stamped on the
    // contact's side only).
    let dropped: Vec<i64> = logged
        .contact_dropped
        .values()
        .flatten()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for (lead, contacts) in stored.leads(&dropped).await.map_err(read_error)? {
        let stale = contacts.iter().any(|contact| {
            logged
                .contact_dropped
                .get(contact)
                .is_some_and(|leads| leads.contains(&lead))
                && logged
                    .contact_leads
                    .get(contact)
                    .is_none_or(|leads| !leads.contains(&lead))
        });
        if stale {
            leads_to_read.insert(lead);
        }
    }
    // Leads that named a contact now deleted (from the deleted contact's stored links).
    let deleted: Vec<i64> = logged.deleted_contacts.iter().copied().collect();
    let linked: Vec<i64> = stored
        .contacts(&deleted)
        .await
        .map_err(read_error)?
        .into_values()
        .flatten()
        .collect();
    for (lead, contacts) in stored.leads(&linked).await.map_err(read_error)? {
        if contacts.iter().any(|c| logged.deleted_contacts.contains(c)) {
            leads_to_read.insert(lead);
        }
    }

    let mut repaired = Repaired::default();
    let flatten = FlattenContext {
        tenancy: ctx.tenancy,
        inserted_at: chrono::Utc::now().timestamp_millis(),
        dictionaries: ctx.dictionaries,
    };
    let ids: Vec<i64> = contacts_to_read.into_iter().collect();
    for chunk in ids.chunks(PAGE_SIZE as usize) {
        let query = contacts::flatten::CONTACT_WITH
            .into_iter()
            .fold(
                kommo::ContactsQuery::new().ids(chunk.iter().copied()),
                kommo::ContactsQuery::with,
            )
            .limit(PAGE_SIZE);
        let found = ctx
            .client
            .contacts(query)
            .collect_all()
            .await
            .map_err(SyncError::kommo("contacts (links)"))?;
        let rows: Vec<_> = found
            .iter()
            .map(|c| contacts::flatten::contact_row(c, &flatten))
            .collect();
        ctx.store
            .write_contacts(ctx.tenancy, &rows, None)
            .await
            .map_err(SyncError::store("writing contacts"))?;
        repaired.contacts += rows.len() as u64;
    }
    let ids: Vec<i64> = leads_to_read.into_iter().collect();
    for chunk in ids.chunks(PAGE_SIZE as usize) {
        let query = leads::flatten::LEAD_WITH
            .into_iter()
            .fold(
                kommo::LeadsQuery::new().ids(chunk.iter().copied()),
                kommo::LeadsQuery::with,
            )
            .limit(PAGE_SIZE);
        let found = ctx
            .client
            .leads(query)
            .collect_all()
            .await
            .map_err(SyncError::kommo("leads (links)"))?;
        let rows: Vec<_> = found
            .iter()
            .map(|l| leads::flatten::lead_row(l, &flatten))
            .collect();
        ctx.store
            .write_leads(ctx.tenancy, &rows, None)
            .await
            .map_err(SyncError::store("writing leads"))?;
        repaired.leads += rows.len() as u64;
    }
    if repaired != Repaired::default() {
        tracing::debug!(integration = %t.integration_id, ?repaired, "rewrote rows whose links changed on the other side");
    }
    Ok(repaired)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_lists_parse_back() {
        assert_eq!(parse_ids(Some("406322,406330")), vec![406322, 406330]);
        assert_eq!(parse_ids(None), Vec::<i64>::new());
    }

    #[test]
    fn a_disabled_log_keeps_nothing() {
        let log = LinkLog::new(false);
        log.deleted_leads([1, 2].into_iter());
        assert!(log.take().deleted_leads.is_empty());
        let log = LinkLog::new(true);
        log.deleted_leads([1, 2].into_iter());
        assert_eq!(log.take().deleted_leads.len(), 2);
    }
}
