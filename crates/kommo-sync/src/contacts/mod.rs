//! Contacts: the live stream (by `updated_at`, with their leads) and the deleted stream
//! (`with=only_deleted`), the same way as leads.

pub mod flatten;

use kommo::{ContactWith, ContactsQuery, Direction, EntityOrder, Page};
use kommo_model::Contact;
use kommo_store::{Checkpoint, DeletedRef, EntityKind, StoreError};

use crate::cursor::Position;
use crate::flatten::FlattenContext;
use crate::options::PAGE_SIZE;
use crate::progress::Entity;
use crate::stream::{Feed, RunContext, Sink, WriteContext};

/// The checkpoint streams of contacts.
pub const STREAM: &str = "contacts";
pub const DELETED_STREAM: &str = "contacts:deleted";

fn query(position: Position) -> ContactsQuery {
    let query = ContactsQuery::new()
        .order(EntityOrder::UpdatedAt, Direction::Asc)
        .limit(PAGE_SIZE)
        .page(position.page);
    match position.from {
        Some(from) => query.updated_between(Some(from), None),
        None => query,
    }
}

async fn first_page(pages: kommo::Pages<Contact>) -> Result<Option<Page<Contact>>, kommo::Error> {
    use futures::StreamExt as _;
    let mut pages = pages;
    pages.next().await.transpose()
}

pub(crate) struct ContactsFeed<'a> {
    pub(crate) ctx: RunContext<'a>,
}

impl Feed for ContactsFeed<'_> {
    type Item = Contact;
    type Sink = ContactsSink;
    const ENTITY: Entity = Entity::Contacts;
    const STREAM: &'static str = STREAM;

    async fn fetch(&self, position: Position) -> Result<Option<Page<Contact>>, kommo::Error> {
        first_page(
            self.ctx.client.contacts(
                flatten::CONTACT_WITH
                    .into_iter()
                    .fold(query(position), ContactsQuery::with),
            ),
        )
        .await
    }

    fn key(item: &Contact) -> (i64, i64) {
        (item.id, item.updated_at)
    }

    fn sink(&self) -> ContactsSink {
        ContactsSink(self.ctx.write.clone())
    }
}

pub(crate) struct DeletedContactsFeed<'a> {
    pub(crate) ctx: RunContext<'a>,
}

impl Feed for DeletedContactsFeed<'_> {
    type Item = Contact;
    type Sink = DeletedContactsSink;
    const ENTITY: Entity = Entity::DeletedContacts;
    const STREAM: &'static str = DELETED_STREAM;

    async fn fetch(&self, position: Position) -> Result<Option<Page<Contact>>, kommo::Error> {
        first_page(
            self.ctx
                .client
                .contacts(query(position).with(ContactWith::OnlyDeleted)),
        )
        .await
    }

    fn key(item: &Contact) -> (i64, i64) {
        (item.id, item.updated_at)
    }

    fn sink(&self) -> DeletedContactsSink {
        DeletedContactsSink(self.ctx.write.clone())
    }
}

/// Flattens and upserts contact pages.
pub(crate) struct ContactsSink(WriteContext);

impl Sink<Contact> for ContactsSink {
    async fn write(&self, items: Vec<Contact>, checkpoint: Checkpoint) -> Result<u64, StoreError> {
        let w = &self.0;
        let flatten = FlattenContext {
            tenancy: &w.tenancy,
            inserted_at: chrono::Utc::now().timestamp_millis(),
            dictionaries: &w.dictionaries,
        };
        // What the stored rows list before this write replaces it: an unlink stamped on the
        // contact's side only shows as a lead the contact lists no more.
        let stored = if w.links.enabled() {
            let ids: Vec<i64> = items.iter().map(|c| c.id).collect();
            crate::links::stored_contact_leads(&w.store, &w.tenancy, &ids).await?
        } else {
            Default::default()
        };
        w.links.contacts(items.iter(), &stored);
        let rows: Vec<_> = items
            .iter()
            .map(|c| flatten::contact_row(c, &flatten))
            .collect();
        drop(items);
        w.store
            .write_contacts(&w.tenancy, &rows, Some(&checkpoint))
            .await?;
        Ok(0)
    }
}

/// Flags the contacts of `with=only_deleted` pages, storing those never seen as deleted rows.
pub(crate) struct DeletedContactsSink(WriteContext);

impl Sink<Contact> for DeletedContactsSink {
    async fn write(&self, items: Vec<Contact>, checkpoint: Checkpoint) -> Result<u64, StoreError> {
        let w = &self.0;
        w.links.deleted_contacts(items.iter().map(|c| c.id));
        let deleted: Vec<DeletedRef> = items
            .iter()
            .map(|c| DeletedRef {
                id: c.id,
                updated_at: c.updated_at,
            })
            .collect();
        w.store
            .mark_deleted(&w.tenancy, EntityKind::Contact, &deleted, Some(&checkpoint))
            .await
    }
}
