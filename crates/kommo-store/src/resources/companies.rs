//! Companies (`GET /v1/kommo/companies`): the `companies` table's columns, the order columns,
//! the page row, the filters as a page statement, and the store's reads of them. Shaped like
//! contacts: emails and phones from the EMAIL / PHONE fields, tags, and the linked contacts
//! and leads in side tables for the "any of" filters.

use super::Resource;
use super::filter::{Side, SideMode, Where, check_page, order_terms};
use super::{bind_tenancy, opt, tags};
use crate::db::Arg;
use crate::error::StoreError;
use crate::normalize;
use crate::paging::PagedQuery;
use crate::query::{
    CompaniesQuery, CompanyFilter, Direction, Grant, JsonPage, OrderColumn as _, Page, PageRequest,
};
use crate::rows::{CompanyRow, RowTenancy};
use crate::{Store, document_id};

/// The stored columns of `companies`, in the order [`bind`] binds them.
pub(crate) const COLUMNS: &[&str] = &[
    "organization_id",
    "workspace_id",
    "ws",
    "integration_id",
    "company_id",
    "company_name",
    "responsible_user_id",
    "group_id",
    "created_by",
    "updated_by",
    "created_at",
    "updated_at",
    "closest_task_at",
    "is_deleted",
    "custom_fields_values",
    "account_id",
    "email",
    "phone",
    "emails",
    "phones",
    "contacts_ids",
    "leads_ids",
    "tags",
    "tag_id",
    "tag_name",
    "tag_color",
    "tag_id_first",
    "tag_name_first",
    "tag_color_first",
    "document_id",
    "inserted_at",
];

/// Binds one company's values in the order of [`COLUMNS`]; the store's own `document_id` and
/// `inserted_at` (`now`) replace the row's.
pub(crate) fn bind<'a>(
    args: &mut Vec<Arg<'a>>,
    t: &'a RowTenancy,
    ws: i64,
    r: &'a CompanyRow,
    now: i64,
) {
    bind_tenancy(args, t, ws);
    args.extend([
        Arg::int(r.company_id),
        opt(&r.company_name),
        Arg::Int(r.responsible_user_id),
        Arg::Int(r.group_id),
        Arg::Int(r.created_by),
        Arg::Int(r.updated_by),
        Arg::Int(r.created_at),
        Arg::Int(r.updated_at),
        Arg::Int(r.closest_task_at),
        Arg::Bool(r.is_deleted),
        opt(&r.custom_fields_values),
        Arg::Int(r.account_id),
        opt(&r.email),
        opt(&r.phone),
        opt(&r.emails),
        opt(&r.phones),
        opt(&r.contacts_ids),
        opt(&r.leads_ids),
        opt(&r.tags),
        opt(&r.tag_id),
        opt(&r.tag_name),
        opt(&r.tag_color),
        opt(&r.tag_id_first),
        opt(&r.tag_name_first),
        opt(&r.tag_color_first),
        Arg::string(document_id(&t.integration_id, "company", &[r.company_id])),
        Arg::int(now),
    ]);
}

/// The side tables of a company, each by its `company_ref`.
pub(crate) const TAGS: Side<'static> = side("company_tags");
pub(crate) const EMAILS: Side<'static> = side("company_emails");
pub(crate) const PHONES: Side<'static> = side("company_phones");
pub(crate) const CONTACTS: Side<'static> = side("company_contacts");
pub(crate) const LEADS: Side<'static> = side("company_leads");

const fn side(side: &'static str) -> Side<'static> {
    Side {
        table: "companies",
        side,
        parent: "company_ref",
    }
}

order_columns!(
    /// Columns a companies listing can be ordered by; ties are always broken by the company id.
    CompanyOrder {
        CreatedAt => "created_at",
        UpdatedAt => "updated_at",
        ClosestTaskAt => "closest_task_at",
        InsertedAt => "inserted_at",
        CompanyId => "company_id",
        ResponsibleUserId => "responsible_user_id",
    }
    default (CreatedAt, Desc)
);

/// The order without `orderBy`.
pub(crate) const DEFAULT_ORDER: &[(&str, Direction)] = &[
    ("created_at", Direction::Desc),
    ("company_id", Direction::Desc),
    ("id", Direction::Desc),
];

/// What breaks ties after the chosen column: the Kommo id, then the row id.
const TIES: &[&str] = &["company_id", "id"];

page_row!(CompanyRow {
    company_id: Id, company_name: Text,
    responsible_user_id: Id, group_id: Id, created_by: Id, updated_by: Id, created_at: Seconds,
    updated_at: Seconds, closest_task_at: Seconds, is_deleted: Bool,
    custom_fields_values: Text, account_id: Id, email: Text, phone: Text, emails: Text,
    phones: Text, contacts_ids: Text, leads_ids: Text, tags: Text, tag_id: Text, tag_name: Text,
    tag_color: Text, tag_id_first: Text, tag_name_first: Text, tag_color_first: Text,
    ..tenancy,
    document_id: Text, inserted_at: Millis,
} skip { tag_list, email_list, phone_list, contact_id_list, lead_id_list });

fn tag_filter(f: &CompanyFilter) -> tags::TagFilter<'_> {
    tags::TagFilter {
        tag_id: &f.tag_id,
        tag_name: f.tag_name.as_deref(),
        tag_color: f.tag_color.as_deref(),
        tag_id_first: &f.tag_id_first,
        tag_name_first: f.tag_name_first.as_deref(),
        tag_color_first: f.tag_color_first.as_deref(),
    }
}

/// The page statement of a companies query in the granted workspace `ws`.
fn statement<'q>(
    store: &Store,
    query: &'q CompaniesQuery,
    ws: i64,
    integrations: Option<&'q [String]>,
    modes: &[SideMode],
) -> Result<PagedQuery<'q>, StoreError> {
    let (limit, offset) = check_page(query.page)?;
    let f = &query.filter;
    let mut w = Where::new();
    w.tenancy(ws, integrations);
    w.deleted(f.deleted);
    w.in_ints("company_id", &f.company_id);
    if let Some(name) = &f.company_name {
        w.eq_str("company_name", name);
    }
    w.in_ints("responsible_user_id", &f.responsible_user_id);
    w.in_ints("group_id", &f.group_id);
    w.range("created_at", &f.created);
    w.range("updated_at", &f.last_modified);
    if !f.contact_id.is_empty() {
        let mut inner = Where::new();
        inner.in_ints("s.contact_id", &f.contact_id);
        w.side(CONTACTS, ws, inner, SideMode::In);
    }
    if !f.lead_id.is_empty() {
        let mut inner = Where::new();
        inner.in_ints("s.lead_id", &f.lead_id);
        w.side(LEADS, ws, inner, SideMode::In);
    }
    if let Some(email) = &f.email {
        let mut inner = Where::new();
        inner.cond(
            "s.email = ?".to_owned(),
            Arg::string(normalize::email(email)),
        );
        w.side(EMAILS, ws, inner, SideMode::In);
    }
    if let Some(phone) = &f.phone {
        let mut inner = Where::new();
        inner.cond(
            "s.digits = ?".to_owned(),
            Arg::string(normalize::phone(phone)),
        );
        w.side(PHONES, ws, inner, SideMode::In);
    }
    tags::conditions(&mut w, TAGS, ws, tag_filter(f), modes);
    let primary = query
        .order
        .map(|(order, direction)| (order.column(), direction));
    let terms = order_terms(primary, DEFAULT_ORDER, TIES);
    Ok(store.paged_statement::<CompanyRow>("companies", w, &terms, limit, offset))
}

/// `companies` as a [`Resource`].
pub(crate) struct Companies;

impl Resource for Companies {
    type Query = CompaniesQuery;
    type Row = CompanyRow;

    fn page(query: &CompaniesQuery) -> PageRequest {
        query.page
    }

    async fn paged(
        store: &Store,
        grant: &Grant,
        query: &CompaniesQuery,
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
    /// One page of companies of a granted workspace.
    pub async fn companies(
        &self,
        grant: &Grant,
        query: &CompaniesQuery,
    ) -> Result<Page<CompanyRow>, StoreError> {
        self.page::<Companies>(grant, query).await
    }

    /// [`Store::companies`] as JSON: what the data API serves.
    pub async fn companies_json(
        &self,
        grant: &Grant,
        query: &CompaniesQuery,
    ) -> Result<JsonPage, StoreError> {
        self.page_json::<Companies>(grant, query).await
    }

    /// The plan the database chooses for a companies query.
    pub async fn explain_companies(
        &self,
        grant: &Grant,
        query: &CompaniesQuery,
    ) -> Result<String, StoreError> {
        self.page_plan::<Companies>(grant, query).await
    }
}
