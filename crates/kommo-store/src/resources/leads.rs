//! Leads (`GET /v1/kommo/leads`): the `leads` table's columns, the order columns, the page
//! row, the filters as a page statement, and the store's reads of them.

use super::Resource;
use super::filter::{Side, SideMode, Where, check_page, order_terms};
use super::{bind_tenancy, opt, tags};
use crate::db::Arg;
use crate::error::StoreError;
use crate::paging::PagedQuery;
use crate::query::{
    Direction, Grant, JsonPage, LeadFilter, LeadsQuery, OrderColumn as _, Page, PageRequest,
};
use crate::rows::{LeadRow, RowTenancy};
use crate::{Store, document_id};

/// The stored columns of `leads`, in the order [`bind`] binds them.
pub(crate) const COLUMNS: &[&str] = &[
    "organization_id",
    "workspace_id",
    "ws",
    "integration_id",
    "lead_id",
    "lead_name",
    "status_id",
    "price",
    "responsible_user_id",
    "group_id",
    "pipeline_id",
    "loss_reason_id",
    "created_by",
    "updated_by",
    "created_at",
    "updated_at",
    "closed_at",
    "closest_task_at",
    "is_deleted",
    "custom_fields_values",
    "score",
    "account_id",
    "labor_cost",
    "source_id",
    "source_name",
    "tags",
    "contacts_ids",
    "loss_reason",
    "tag_id",
    "tag_name",
    "tag_color",
    "tag_id_first",
    "tag_name_first",
    "tag_color_first",
    "document_id",
    "inserted_at",
    "company_id",
    "status_name",
    "pipeline_name",
];

/// Binds one lead's values in the order of [`COLUMNS`]; the store's own `document_id` and
/// `inserted_at` (`now`) replace the row's.
pub(crate) fn bind<'a>(
    args: &mut Vec<Arg<'a>>,
    t: &'a RowTenancy,
    ws: i64,
    r: &'a LeadRow,
    now: i64,
) {
    bind_tenancy(args, t, ws);
    args.extend([
        Arg::int(r.lead_id),
        opt(&r.lead_name),
        Arg::int(r.status_id),
        Arg::Int(r.price),
        Arg::Int(r.responsible_user_id),
        Arg::Int(r.group_id),
        Arg::int(r.pipeline_id),
        Arg::Int(r.loss_reason_id),
        Arg::Int(r.created_by),
        Arg::Int(r.updated_by),
        Arg::Int(r.created_at),
        Arg::Int(r.updated_at),
        Arg::Int(r.closed_at),
        Arg::Int(r.closest_task_at),
        Arg::Bool(r.is_deleted),
        opt(&r.custom_fields_values),
        opt(&r.score),
        Arg::Int(r.account_id),
        Arg::Int(r.labor_cost),
        Arg::Int(r.source_id),
        opt(&r.source_name),
        opt(&r.tags),
        opt(&r.contacts_ids),
        opt(&r.loss_reason),
        opt(&r.tag_id),
        opt(&r.tag_name),
        opt(&r.tag_color),
        opt(&r.tag_id_first),
        opt(&r.tag_name_first),
        opt(&r.tag_color_first),
        Arg::string(document_id(&t.integration_id, "lead", &[r.lead_id])),
        Arg::int(now),
        Arg::Int(r.company_id),
        opt(&r.status_name),
        opt(&r.pipeline_name),
    ]);
}

/// The tags of a lead, by `lead_tags.lead_ref`.
pub(crate) const TAGS: Side<'static> = Side {
    table: "leads",
    side: "lead_tags",
    parent: "lead_ref",
};

order_columns!(
    /// Columns a leads listing can be ordered by; ties are always broken by the lead id.
    LeadOrder {
        CreatedAt => "created_at",
        UpdatedAt => "updated_at",
        ClosedAt => "closed_at",
        ClosestTaskAt => "closest_task_at",
        InsertedAt => "inserted_at",
        LeadId => "lead_id",
        StatusId => "status_id",
        PipelineId => "pipeline_id",
        ResponsibleUserId => "responsible_user_id",
    }
    default (CreatedAt, Desc)
);

/// The order without `orderBy`.
pub(crate) const DEFAULT_ORDER: &[(&str, Direction)] = &[
    ("created_at", Direction::Desc),
    ("lead_id", Direction::Desc),
    ("id", Direction::Desc),
];

/// What breaks ties after the chosen column: the Kommo id, then the row id (two integrations
/// of a workspace may share Kommo ids).
const TIES: &[&str] = &["lead_id", "id"];

page_row!(LeadRow {
    lead_id: Id, lead_name: Text, status_id: Id, price: Int, responsible_user_id: Id,
    group_id: Id, pipeline_id: Id, loss_reason_id: Id, created_by: Id, updated_by: Id,
    created_at: Seconds, updated_at: Seconds, closed_at: Seconds, closest_task_at: Seconds,
    is_deleted: Bool, custom_fields_values: Text, score: Text, account_id: Id, labor_cost: Int,
    source_id: Id, source_name: Text, tags: Text, contacts_ids: Text, loss_reason: Text,
    tag_id: Text, tag_name: Text, tag_color: Text, tag_id_first: Text, tag_name_first: Text,
    tag_color_first: Text,
    ..tenancy,
    document_id: Text, inserted_at: Millis, company_id: Id, status_name: Text,
    pipeline_name: Text,
} skip { tag_list });

fn tag_filter(f: &LeadFilter) -> tags::TagFilter<'_> {
    tags::TagFilter {
        tag_id: &f.tag_id,
        tag_name: f.tag_name.as_deref(),
        tag_color: f.tag_color.as_deref(),
        tag_id_first: &f.tag_id_first,
        tag_name_first: f.tag_name_first.as_deref(),
        tag_color_first: f.tag_color_first.as_deref(),
    }
}

/// The page statement of a leads query in the granted workspace `ws`.
fn statement<'q>(
    store: &Store,
    query: &'q LeadsQuery,
    ws: i64,
    integrations: Option<&'q [String]>,
    modes: &[SideMode],
) -> Result<PagedQuery<'q>, StoreError> {
    let (limit, offset) = check_page(query.page)?;
    let f = &query.filter;
    let mut w = Where::new();
    w.tenancy(ws, integrations);
    w.deleted(f.deleted);
    w.in_ints("lead_id", &f.lead_id);
    w.in_ints("status_id", &f.status_id);
    w.in_ints("pipeline_id", &f.pipeline_id);
    w.in_ints("responsible_user_id", &f.responsible_user_id);
    w.in_ints("group_id", &f.group_id);
    w.in_ints("loss_reason_id", &f.loss_reason_id);
    w.range("created_at", &f.created);
    w.range("updated_at", &f.last_modified);
    w.range("closed_at", &f.closed);
    tags::conditions(&mut w, TAGS, ws, tag_filter(f), modes);
    let primary = query
        .order
        .map(|(order, direction)| (order.column(), direction));
    let terms = order_terms(primary, DEFAULT_ORDER, TIES);
    Ok(store.paged_statement::<LeadRow>("leads", w, &terms, limit, offset))
}

/// `leads` as a [`Resource`].
pub(crate) struct Leads;

impl Resource for Leads {
    type Query = LeadsQuery;
    type Row = LeadRow;

    fn page(query: &LeadsQuery) -> PageRequest {
        query.page
    }

    async fn paged(
        store: &Store,
        grant: &Grant,
        query: &LeadsQuery,
    ) -> Result<PagedQuery<'static>, StoreError> {
        let (ws, integrations) = store.authorize(grant, &query.scope).await?;
        let modes = store
            .side_modes(TAGS, ws, tag_filter(&query.filter))
            .await?;
        let paged = statement(store, query, ws, integrations.as_deref(), &modes)?;
        Ok(paged.into_owned())
    }
}

impl Store {
    /// One page of leads of a granted workspace.
    pub async fn leads(
        &self,
        grant: &Grant,
        query: &LeadsQuery,
    ) -> Result<Page<LeadRow>, StoreError> {
        self.page::<Leads>(grant, query).await
    }

    /// [`Store::leads`] as JSON: what the data API serves.
    pub async fn leads_json(
        &self,
        grant: &Grant,
        query: &LeadsQuery,
    ) -> Result<JsonPage, StoreError> {
        self.page_json::<Leads>(grant, query).await
    }

    /// The plan the database chooses for a leads query (SQLite's `EXPLAIN QUERY PLAN`,
    /// Postgres's `EXPLAIN`), for checking which indexes serve it.
    pub async fn explain_leads(
        &self,
        grant: &Grant,
        query: &LeadsQuery,
    ) -> Result<String, StoreError> {
        self.page_plan::<Leads>(grant, query).await
    }
}
