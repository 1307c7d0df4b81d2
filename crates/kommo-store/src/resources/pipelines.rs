//! Pipelines and their statuses (`GET /v1/kommo/pipelines`): the `pipelines` table's columns,
//! the order columns, the page row, the filters as a page statement, and the store's reads.

use super::Resource;
use super::bind_tenancy;
use super::filter::{Where, check_page, order_terms};
use crate::db::Arg;
use crate::error::StoreError;
use crate::paging::PagedQuery;
use crate::query::{
    Direction, Grant, JsonPage, OrderColumn as _, Page, PageRequest, PipelinesQuery,
};
use crate::rows::{PipelineRow, RowTenancy};
use crate::{Store, document_id};

/// The stored columns of `pipelines`, in the order [`bind`] binds them.
pub(crate) const COLUMNS: &[&str] = &[
    "organization_id",
    "workspace_id",
    "ws",
    "integration_id",
    "pipeline_id",
    "pipeline_name",
    "pipeline_sort",
    "status_id",
    "status_name",
    "sort",
    "is_editable",
    "color",
    "status_type",
    "document_id",
    "inserted_at",
    "is_main",
    "is_archive",
];

/// Binds one (pipeline, status) row's values in the order of [`COLUMNS`]; the store's own
/// `document_id` and `inserted_at` (`now`) replace the row's.
pub(crate) fn bind<'a>(
    args: &mut Vec<Arg<'a>>,
    t: &'a RowTenancy,
    ws: i64,
    r: &'a PipelineRow,
    now: i64,
) {
    bind_tenancy(args, t, ws);
    args.extend([
        Arg::int(r.pipeline_id),
        Arg::str(&r.pipeline_name),
        Arg::int(r.pipeline_sort),
        Arg::int(r.status_id),
        Arg::str(&r.status_name),
        Arg::int(r.sort),
        Arg::Bool(r.is_editable),
        Arg::str(&r.color),
        Arg::int(r.status_type),
        Arg::string(document_id(
            &t.integration_id,
            "pipeline",
            &[r.pipeline_id, r.status_id],
        )),
        Arg::int(now),
        Arg::Bool(r.is_main),
        Arg::Bool(r.is_archive),
    ]);
}

order_columns!(
    /// Columns a pipelines listing can be ordered by; ties broken by pipeline id, then status id.
    PipelineOrder {
        PipelineSort => "pipeline_sort",
        PipelineId => "pipeline_id",
        Sort => "sort",
        StatusId => "status_id",
        InsertedAt => "inserted_at",
    }
    default (PipelineSort, Asc)
);

/// The order without `orderBy`: as Kommo shows pipelines and their statuses.
pub(crate) const DEFAULT_ORDER: &[(&str, Direction)] = &[
    ("pipeline_sort", Direction::Asc),
    ("pipeline_id", Direction::Asc),
    ("sort", Direction::Asc),
    ("status_id", Direction::Asc),
    ("id", Direction::Asc),
];

/// What breaks ties after the chosen column.
const TIES: &[&str] = &["pipeline_id", "status_id", "id"];

page_row!(PipelineRow {
    pipeline_id: Id, pipeline_name: Text, pipeline_sort: Int, status_id: Id, status_name: Text,
    sort: Int, is_editable: Bool, color: Text, status_type as "type": Int,
    ..tenancy,
    document_id: Text, inserted_at: Millis, is_main: Bool, is_archive: Bool,
} skip {});

/// The page statement of a pipelines query in the granted workspace `ws`.
fn statement<'q>(
    store: &Store,
    query: &'q PipelinesQuery,
    ws: i64,
    integrations: Option<&'q [String]>,
    (limit, offset): (i64, i64),
) -> PagedQuery<'q> {
    let f = &query.filter;
    let mut w = Where::new();
    w.tenancy(ws, integrations);
    if let Some(name) = &f.pipeline_name {
        w.eq_str("pipeline_name", name);
    }
    w.in_ints("pipeline_id", &f.pipeline_id);
    w.in_ints("status_id", &f.status_id);
    if let Some(name) = &f.status_name {
        w.eq_str("status_name", name);
    }
    if let Some(sort) = f.sort {
        w.eq_int("sort", sort);
    }
    if let Some(color) = &f.color {
        w.eq_str("color", color);
    }
    if let Some(status_type) = f.status_type {
        w.eq_int("status_type", status_type);
    }
    let primary = query
        .order
        .map(|(order, direction)| (order.column(), direction));
    let terms = order_terms(primary, DEFAULT_ORDER, TIES);
    store.paged_statement::<PipelineRow>("pipelines", w, &terms, limit, offset)
}

/// `pipelines` as a [`Resource`].
pub(crate) struct Pipelines;

impl Resource for Pipelines {
    type Query = PipelinesQuery;
    type Row = PipelineRow;

    fn page(query: &PipelinesQuery) -> PageRequest {
        query.page
    }

    async fn paged(
        store: &Store,
        grant: &Grant,
        query: &PipelinesQuery,
    ) -> Result<PagedQuery<'static>, StoreError> {
        let page = check_page(query.page)?;
        let (ws, integrations) = store.authorize(grant, &query.scope).await?;
        Ok(statement(store, query, ws, integrations.as_deref(), page).into_owned())
    }
}

impl Store {
    /// One page of (pipeline, status) rows of a granted workspace.
    pub async fn pipelines(
        &self,
        grant: &Grant,
        query: &PipelinesQuery,
    ) -> Result<Page<PipelineRow>, StoreError> {
        self.page::<Pipelines>(grant, query).await
    }

    /// [`Store::pipelines`] as JSON: what the data API serves.
    pub async fn pipelines_json(
        &self,
        grant: &Grant,
        query: &PipelinesQuery,
    ) -> Result<JsonPage, StoreError> {
        self.page_json::<Pipelines>(grant, query).await
    }
}
