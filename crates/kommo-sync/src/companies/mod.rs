//! Companies: the live stream (by `updated_at`, with their contacts and leads) and the deleted
//! stream (`with=only_deleted`), the same way as contacts.
//!
//! A company's `contacts_ids` / `leads_ids` are what Kommo lists on the company when it is
//! read. Deleting, restoring or relinking a lead or contact changes that list without
//! stamping the company, so after the streams [`relink`] asks the store which companies'
//! links disagree with the stored leads and contacts, and reads just those again by id. A
//! change neither side's stored row shows waits for the next full pass.

pub mod flatten;

use kommo::{CompaniesQuery, CompanyWith, Direction, EntityOrder, Page};
use kommo_model::Company;
use kommo_store::{Checkpoint, DeletedRef, EntityKind, StoreError};

use crate::cursor::Position;
use crate::error::SyncError;
use crate::flatten::FlattenContext;
use crate::options::PAGE_SIZE;
use crate::progress::Entity;
use crate::stream::{Feed, RunContext, Sink, WriteContext, first_page};

/// The checkpoint streams of companies.
pub const STREAM: &str = "companies";
pub const DELETED_STREAM: &str = "companies:deleted";

fn query(position: Position) -> CompaniesQuery {
    let query = CompaniesQuery::new()
        .order(EntityOrder::UpdatedAt, Direction::Asc)
        .limit(PAGE_SIZE)
        .page(position.page);
    match position.from {
        Some(from) => query.updated_between(Some(from), None),
        None => query,
    }
}

pub(crate) struct CompaniesFeed<'a> {
    pub(crate) ctx: RunContext<'a>,
}

impl Feed for CompaniesFeed<'_> {
    type Item = Company;
    type Sink = CompaniesSink;
    const ENTITY: Entity = Entity::Companies;
    const STREAM: &'static str = STREAM;

    async fn fetch(&self, position: Position) -> Result<Option<Page<Company>>, kommo::Error> {
        first_page(
            self.ctx.client.companies(
                flatten::COMPANY_WITH
                    .into_iter()
                    .fold(query(position), CompaniesQuery::with),
            ),
        )
        .await
    }

    fn key(item: &Company) -> (i64, i64) {
        (item.id, item.updated_at)
    }

    fn sink(&self) -> CompaniesSink {
        CompaniesSink(self.ctx.write.clone())
    }
}

pub(crate) struct DeletedCompaniesFeed<'a> {
    pub(crate) ctx: RunContext<'a>,
}

impl Feed for DeletedCompaniesFeed<'_> {
    type Item = Company;
    type Sink = DeletedCompaniesSink;
    const ENTITY: Entity = Entity::DeletedCompanies;
    const STREAM: &'static str = DELETED_STREAM;

    async fn fetch(&self, position: Position) -> Result<Option<Page<Company>>, kommo::Error> {
        first_page(
            self.ctx
                .client
                .companies(query(position).with(CompanyWith::OnlyDeleted)),
        )
        .await
    }

    fn key(item: &Company) -> (i64, i64) {
        (item.id, item.updated_at)
    }

    fn sink(&self) -> DeletedCompaniesSink {
        DeletedCompaniesSink(self.ctx.write.clone())
    }
}

/// Flattens and upserts company pages.
pub(crate) struct CompaniesSink(WriteContext);

impl Sink<Company> for CompaniesSink {
    async fn write(&self, items: Vec<Company>, checkpoint: Checkpoint) -> Result<u64, StoreError> {
        let w = &self.0;
        let flatten = FlattenContext {
            tenancy: &w.tenancy,
            inserted_at: chrono::Utc::now().timestamp_millis(),
            dictionaries: &w.dictionaries,
        };
        let rows: Vec<_> = items
            .iter()
            .map(|c| flatten::company_row(c, &flatten))
            .collect();
        drop(items);
        w.store
            .write_companies(&w.tenancy, &rows, Some(&checkpoint))
            .await?;
        Ok(0)
    }
}

/// Flags the companies of `with=only_deleted` pages, storing those never seen as deleted rows.
pub(crate) struct DeletedCompaniesSink(WriteContext);

impl Sink<Company> for DeletedCompaniesSink {
    async fn write(&self, items: Vec<Company>, checkpoint: Checkpoint) -> Result<u64, StoreError> {
        let w = &self.0;
        let deleted: Vec<DeletedRef> = items
            .iter()
            .map(|c| DeletedRef {
                id: c.id,
                updated_at: c.updated_at,
            })
            .collect();
        w.store
            .mark_deleted(&w.tenancy, EntityKind::Company, &deleted, Some(&checkpoint))
            .await
    }
}

/// Reads again, by id, the companies whose stored links disagree with the stored leads and
/// contacts (see the module doc), and rewrites them. Returns how many were rewritten.
pub(crate) async fn relink(ctx: &RunContext<'_>) -> Result<u64, SyncError> {
    let stale = ctx
        .store
        .companies_with_stale_links(&ctx.tenancy.integration_id)
        .await
        .map_err(SyncError::store("finding companies with stale links"))?;
    let mut written = 0;
    for chunk in stale.chunks(PAGE_SIZE as usize) {
        let query = flatten::COMPANY_WITH.into_iter().fold(
            CompaniesQuery::new()
                .ids(chunk.iter().copied())
                .limit(PAGE_SIZE),
            CompaniesQuery::with,
        );
        let items = ctx
            .client
            .companies(query)
            .collect_all()
            .await
            .map_err(SyncError::kommo("companies"))?;
        let flatten = FlattenContext {
            tenancy: ctx.tenancy,
            inserted_at: chrono::Utc::now().timestamp_millis(),
            dictionaries: ctx.dictionaries,
        };
        let rows: Vec<_> = items
            .iter()
            .map(|c| flatten::company_row(c, &flatten))
            .collect();
        ctx.store
            .write_companies(ctx.tenancy, &rows, None)
            .await
            .map_err(SyncError::store("writing companies"))?;
        written += rows.len() as u64;
    }
    Ok(written)
}
