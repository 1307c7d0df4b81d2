//! Lead stages (`GET /v1/kommo/lead-stages`): the `lead_stages` table's columns (served
//! through the `lead_stages_served` view, which adds `seconds_in_stage`), the order
//! columns, the page row, the filters as a page statement, and the store's reads of them.

use super::Resource;
use super::bind_tenancy;
use super::filter::{Where, check_page, order_terms};
use crate::db::Arg;
use crate::error::StoreError;
use crate::history::LeadStay;
use crate::paging::PagedQuery;
use crate::query::{
    Direction, Grant, JsonPage, LeadStagesQuery, OrderColumn as _, Page, PageRequest,
};
use crate::rows::{LeadStageRow, RowTenancy};
use crate::{Store, document_id};

/// The stored columns of `lead_stages`, in the order [`bind`] binds them.
pub(crate) const COLUMNS: &[&str] = &[
    "organization_id",
    "workspace_id",
    "ws",
    "integration_id",
    "lead_id",
    "pipeline_id",
    "status_id",
    "pipeline_name",
    "status_name",
    "entered_at",
    "left_at",
    "next_pipeline_id",
    "next_status_id",
    "lead_created_at",
    "lead_status_id",
    "lead_closed_at",
    "lead_is_deleted",
    "document_id",
    "inserted_at",
];

/// Binds one stay's values in the order of [`COLUMNS`].
pub(crate) fn bind<'a>(
    args: &mut Vec<Arg<'a>>,
    t: &'a RowTenancy,
    ws: i64,
    s: &'a LeadStay,
    now: i64,
) {
    bind_tenancy(args, t, ws);
    args.extend([
        Arg::int(s.lead_id),
        Arg::int(s.pipeline_id),
        Arg::int(s.status_id),
        Arg::opt_str(s.pipeline_name.as_deref()),
        Arg::opt_str(s.status_name.as_deref()),
        Arg::int(s.entered_at),
        Arg::Int(s.left_at),
        Arg::Int(s.next.map(|n| n.0)),
        Arg::Int(s.next.map(|n| n.1)),
        Arg::int(s.lead_created_at),
        Arg::int(s.lead_status_id),
        Arg::Int(s.lead_closed_at),
        Arg::Bool(s.lead_is_deleted),
        Arg::string(document_id(
            &t.integration_id,
            "lead_stage",
            &[s.lead_id, s.entered_at, s.pipeline_id, s.status_id],
        )),
        Arg::int(now),
    ]);
}

order_columns!(
    /// Columns a stages listing can be ordered by; ties broken by lead id.
    LeadStageOrder {
        EnteredAt => "entered_at",
        LeadId => "lead_id",
        LeftAt => "left_at",
        InsertedAt => "inserted_at",
    }
    default (EnteredAt, Desc)
);

/// The order without `orderBy`: the latest entries first.
pub(crate) const DEFAULT_ORDER: &[(&str, Direction)] = &[
    ("entered_at", Direction::Desc),
    ("lead_id", Direction::Desc),
    ("id", Direction::Desc),
];

/// What breaks ties after the chosen column.
const TIES: &[&str] = &["entered_at", "lead_id", "id"];

page_row!(LeadStageRow {
    lead_id: Id, pipeline_id: Id, status_id: Id, pipeline_name: Text, status_name: Text,
    entered_at: Seconds, left_at: Seconds, seconds_in_stage: Int, next_pipeline_id: Id,
    next_status_id: Id,
    ..tenancy,
    document_id: Text, inserted_at: Millis,
} skip {});

/// The page statement of a stages query in the granted workspace `ws`.
fn statement<'q>(
    store: &Store,
    query: &'q LeadStagesQuery,
    ws: i64,
    integrations: Option<&'q [String]>,
    (limit, offset): (i64, i64),
) -> PagedQuery<'q> {
    let f = &query.filter;
    let mut w = Where::new();
    w.tenancy(ws, integrations);
    w.in_ints("lead_id", &f.lead_id);
    w.in_ints("pipeline_id", &f.pipeline_id);
    w.in_ints("status_id", &f.status_id);
    w.range("entered_at", &f.entered);
    match f.is_current {
        Some(true) => w.raw("left_at IS NULL"),
        Some(false) => w.raw("left_at IS NOT NULL"),
        None => {}
    }
    let primary = query
        .order
        .map(|(order, direction)| (order.column(), direction));
    let terms = order_terms(primary, DEFAULT_ORDER, TIES);
    store.paged_statement::<LeadStageRow>("lead_stages_served", w, &terms, limit, offset)
}

/// `lead_stages` as a [`Resource`].
pub(crate) struct LeadStages;

impl Resource for LeadStages {
    type Query = LeadStagesQuery;
    type Row = LeadStageRow;

    fn page(query: &LeadStagesQuery) -> PageRequest {
        query.page
    }

    async fn paged(
        store: &Store,
        grant: &Grant,
        query: &LeadStagesQuery,
    ) -> Result<PagedQuery<'static>, StoreError> {
        let page = check_page(query.page)?;
        let (ws, integrations) = store.authorize(grant, &query.scope).await?;
        Ok(statement(store, query, ws, integrations.as_deref(), page).into_owned())
    }
}

impl Store {
    /// One page of the stays of a granted workspace's leads.
    pub async fn lead_stages(
        &self,
        grant: &Grant,
        query: &LeadStagesQuery,
    ) -> Result<Page<LeadStageRow>, StoreError> {
        self.page::<LeadStages>(grant, query).await
    }

    /// [`Store::lead_stages`] as JSON: what the data API serves.
    pub async fn lead_stages_json(
        &self,
        grant: &Grant,
        query: &LeadStagesQuery,
    ) -> Result<JsonPage, StoreError> {
        self.page_json::<LeadStages>(grant, query).await
    }

    /// The database's plan for a stages page.
    pub async fn explain_lead_stages(
        &self,
        grant: &Grant,
        query: &LeadStagesQuery,
    ) -> Result<String, StoreError> {
        self.page_plan::<LeadStages>(grant, query).await
    }
}
