//! Lead status changes (`GET /v1/kommo/lead-status-changes`): the `lead_status_changes`
//! table's columns, the order columns, the page row, the filters as a page statement, and
//! the store's reads of them.

use super::Resource;
use super::filter::{Where, check_page, order_terms};
use super::{bind_tenancy, opt};
use crate::Store;
use crate::db::Arg;
use crate::error::StoreError;
use crate::history::status_change_document_id;
use crate::paging::PagedQuery;
use crate::query::{
    Direction, Grant, JsonPage, LeadStatusChangesQuery, OrderColumn as _, Page, PageRequest,
};
use crate::rows::{LeadStatusChangeRow, RowTenancy};

/// The stored columns of `lead_status_changes`, in the order [`bind`] binds them.
pub(crate) const COLUMNS: &[&str] = &[
    "organization_id",
    "workspace_id",
    "ws",
    "integration_id",
    "event_id",
    "lead_id",
    "pipeline_id_before",
    "status_id_before",
    "pipeline_id_after",
    "status_id_after",
    "pipeline_name_before",
    "status_name_before",
    "pipeline_name_after",
    "status_name_after",
    "changed_at",
    "changed_by",
    "document_id",
    "inserted_at",
];

/// Binds one change's values in the order of [`COLUMNS`]; the store's own `document_id` and
/// `inserted_at` (`now`) replace the row's.
pub(crate) fn bind<'a>(
    args: &mut Vec<Arg<'a>>,
    t: &'a RowTenancy,
    ws: i64,
    r: &'a LeadStatusChangeRow,
    now: i64,
) {
    bind_tenancy(args, t, ws);
    args.extend([
        Arg::str(&r.event_id),
        Arg::int(r.lead_id),
        Arg::Int(r.pipeline_id_before),
        Arg::Int(r.status_id_before),
        Arg::int(r.pipeline_id_after),
        Arg::int(r.status_id_after),
        opt(&r.pipeline_name_before),
        opt(&r.status_name_before),
        opt(&r.pipeline_name_after),
        opt(&r.status_name_after),
        Arg::int(r.changed_at),
        Arg::Int(r.changed_by),
        Arg::string(status_change_document_id(&t.integration_id, &r.event_id)),
        Arg::int(now),
    ]);
}

order_columns!(
    /// Columns a status-change listing can be ordered by; ties broken by time, then storage
    /// order (integer keys: both databases' page readers seek by integer sort keys).
    LeadStatusChangeOrder {
        ChangedAt => "changed_at",
        LeadId => "lead_id",
        InsertedAt => "inserted_at",
    }
    default (ChangedAt, Desc)
);

/// The order without `orderBy`: newest first.
pub(crate) const DEFAULT_ORDER: &[(&str, Direction)] =
    &[("changed_at", Direction::Desc), ("id", Direction::Desc)];

/// What breaks ties after the chosen column.
const TIES: &[&str] = &["changed_at", "id"];

page_row!(LeadStatusChangeRow {
    event_id: Text, lead_id: Id, pipeline_id_before: Id, status_id_before: Id,
    pipeline_id_after: Id, status_id_after: Id, pipeline_name_before: Text,
    status_name_before: Text, pipeline_name_after: Text, status_name_after: Text,
    changed_at: Seconds, changed_by: Id,
    ..tenancy,
    document_id: Text, inserted_at: Millis,
} skip {});

/// The page statement of a status-changes query in the granted workspace `ws`.
fn statement<'q>(
    store: &Store,
    query: &'q LeadStatusChangesQuery,
    ws: i64,
    integrations: Option<&'q [String]>,
    (limit, offset): (i64, i64),
) -> PagedQuery<'q> {
    let f = &query.filter;
    let mut w = Where::new();
    w.tenancy(ws, integrations);
    w.in_ints("lead_id", &f.lead_id);
    w.in_ints("pipeline_id_after", &f.pipeline_id);
    w.in_ints("status_id_after", &f.status_id);
    w.in_ints("changed_by", &f.changed_by);
    w.range("changed_at", &f.changed);
    let primary = query
        .order
        .map(|(order, direction)| (order.column(), direction));
    let terms = order_terms(primary, DEFAULT_ORDER, TIES);
    store.paged_statement::<LeadStatusChangeRow>("lead_status_changes", w, &terms, limit, offset)
}

/// `lead_status_changes` as a [`Resource`].
pub(crate) struct LeadStatusChanges;

impl Resource for LeadStatusChanges {
    type Query = LeadStatusChangesQuery;
    type Row = LeadStatusChangeRow;

    fn page(query: &LeadStatusChangesQuery) -> PageRequest {
        query.page
    }

    async fn paged(
        store: &Store,
        grant: &Grant,
        query: &LeadStatusChangesQuery,
    ) -> Result<PagedQuery<'static>, StoreError> {
        let page = check_page(query.page)?;
        let (ws, integrations) = store.authorize(grant, &query.scope).await?;
        Ok(statement(store, query, ws, integrations.as_deref(), page).into_owned())
    }
}

impl Store {
    /// One page of the status changes of a granted workspace's leads.
    pub async fn lead_status_changes(
        &self,
        grant: &Grant,
        query: &LeadStatusChangesQuery,
    ) -> Result<Page<LeadStatusChangeRow>, StoreError> {
        self.page::<LeadStatusChanges>(grant, query).await
    }

    /// [`Store::lead_status_changes`] as JSON: what the data API serves.
    pub async fn lead_status_changes_json(
        &self,
        grant: &Grant,
        query: &LeadStatusChangesQuery,
    ) -> Result<JsonPage, StoreError> {
        self.page_json::<LeadStatusChanges>(grant, query).await
    }

    /// The database's plan for a status-changes page.
    pub async fn explain_lead_status_changes(
        &self,
        grant: &Grant,
        query: &LeadStatusChangesQuery,
    ) -> Result<String, StoreError> {
        self.page_plan::<LeadStatusChanges>(grant, query).await
    }
}
