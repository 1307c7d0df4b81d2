//! Leads: the live stream (by `updated_at`, flattened and upserted) and the deleted stream
//! (`with=only_deleted`, flagged `is_deleted`; a lead never stored, created and deleted
//! between two runs, is stored as a deleted row of what Kommo lists: id and deletion time).
//! A restored lead comes back through the live stream (restoring changes its `updated_at`),
//! and its upsert clears the flag.

pub mod flatten;

use kommo::{Direction, EntityOrder, LeadsQuery, Page};
use kommo_model::Lead;
use kommo_store::{Checkpoint, DeletedRef, EntityKind, StoreError};

use crate::cursor::Position;
use crate::flatten::FlattenContext;
use crate::options::PAGE_SIZE;
use crate::progress::Entity;
use crate::stream::{Feed, RunContext, Sink, WriteContext};

/// The checkpoint streams of leads.
pub const STREAM: &str = "leads";
pub const DELETED_STREAM: &str = "leads:deleted";

fn query(position: Position) -> LeadsQuery {
    let query = LeadsQuery::new()
        .order(EntityOrder::UpdatedAt, Direction::Asc)
        .limit(PAGE_SIZE)
        .page(position.page);
    match position.from {
        Some(from) => query.updated_between(Some(from), None),
        None => query,
    }
}

async fn first_page(pages: kommo::Pages<Lead>) -> Result<Option<Page<Lead>>, kommo::Error> {
    use futures::StreamExt as _;
    let mut pages = pages;
    pages.next().await.transpose()
}

pub(crate) struct LeadsFeed<'a> {
    pub(crate) ctx: RunContext<'a>,
}

impl Feed for LeadsFeed<'_> {
    type Item = Lead;
    type Sink = LeadsSink;
    const ENTITY: Entity = Entity::Leads;
    const STREAM: &'static str = STREAM;

    async fn fetch(&self, position: Position) -> Result<Option<Page<Lead>>, kommo::Error> {
        let query = flatten::LEAD_WITH
            .into_iter()
            .fold(query(position), LeadsQuery::with);
        first_page(self.ctx.client.leads(query)).await
    }

    fn key(item: &Lead) -> (i64, i64) {
        (item.id, item.updated_at)
    }

    fn sink(&self) -> LeadsSink {
        LeadsSink(self.ctx.write.clone())
    }
}

pub(crate) struct DeletedLeadsFeed<'a> {
    pub(crate) ctx: RunContext<'a>,
}

impl Feed for DeletedLeadsFeed<'_> {
    type Item = Lead;
    type Sink = DeletedLeadsSink;
    const ENTITY: Entity = Entity::DeletedLeads;
    const STREAM: &'static str = DELETED_STREAM;

    async fn fetch(&self, position: Position) -> Result<Option<Page<Lead>>, kommo::Error> {
        first_page(self.ctx.client.deleted_leads(query(position))).await
    }

    fn key(item: &Lead) -> (i64, i64) {
        (item.id, item.updated_at)
    }

    fn sink(&self) -> DeletedLeadsSink {
        DeletedLeadsSink(self.ctx.write.clone())
    }
}

/// Flattens and upserts lead pages.
pub(crate) struct LeadsSink(WriteContext);

impl Sink<Lead> for LeadsSink {
    async fn write(&self, items: Vec<Lead>, checkpoint: Checkpoint) -> Result<u64, StoreError> {
        let w = &self.0;
        let flatten = FlattenContext {
            tenancy: &w.tenancy,
            inserted_at: chrono::Utc::now().timestamp_millis(),
            dictionaries: &w.dictionaries,
        };
        w.links.leads(items.iter());
        let rows: Vec<_> = items
            .iter()
            .map(|lead| flatten::lead_row(lead, &flatten))
            .collect();
        drop(items);
        w.store
            .write_leads(&w.tenancy, &rows, Some(&checkpoint))
            .await?;
        Ok(0)
    }
}

/// Flags the leads of `with=only_deleted` pages, storing those never seen as deleted rows.
pub(crate) struct DeletedLeadsSink(WriteContext);

impl Sink<Lead> for DeletedLeadsSink {
    async fn write(&self, items: Vec<Lead>, checkpoint: Checkpoint) -> Result<u64, StoreError> {
        let w = &self.0;
        w.links.deleted_leads(items.iter().map(|l| l.id));
        let deleted: Vec<DeletedRef> = items
            .iter()
            .map(|l| DeletedRef {
                id: l.id,
                updated_at: l.updated_at,
            })
            .collect();
        w.store
            .mark_deleted(&w.tenancy, EntityKind::Lead, &deleted, Some(&checkpoint))
            .await
    }
}
