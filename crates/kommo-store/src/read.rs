//! The data API's reads. The grant is checked first; every statement then starts from
//! `ws = <the granted workspace's key>`, so no filter can reach another tenant's rows.
//!
//! Paging uses OFFSET, in a subquery that selects only row ids (`SELECT id ... ORDER BY ...
//! LIMIT n+1 OFFSET k`): with the indexes of the migrations that subquery is answered from
//! one index alone, and only the page's rows are read from the table.

use chrono::{DateTime, Timelike as _, Utc};

use crate::Store;
use crate::db::{Arg, Backend, placeholders};
use crate::error::StoreError;
use crate::model::EntityCounts;
use crate::paging::PagedQuery;
use crate::query::{
    ContactFilter, ContactOrder, ContactsQuery, Deleted, Direction, Grant, JsonPage, LeadFilter,
    LeadOrder, LeadsQuery, Page, PageRequest, PipelineOrder, PipelinesQuery, Scope, TimeRange,
    UserOrder, UsersQuery,
};
use crate::rows::{ContactRow, LeadRow, PipelineRow, RowTag, UserRow};
use crate::sqlite_read::{Count, PageRow};
use crate::write::{
    CONTACT_COLUMNS, LEAD_COLUMNS, PIPELINE_COLUMNS, USER_COLUMNS, normalize_email, normalize_phone,
};

/// A WHERE clause under construction: conditions with `?` and their arguments, in order.
struct Where<'a> {
    conds: Vec<String>,
    args: Vec<Arg<'a>>,
}

impl<'a> Where<'a> {
    fn new() -> Self {
        Where {
            conds: Vec::new(),
            args: Vec::new(),
        }
    }

    fn eq_str(&mut self, column: &str, value: &'a str) {
        self.conds.push(format!("{column} = ?"));
        self.args.push(Arg::str(value));
    }

    fn eq_int(&mut self, column: &str, value: i64) {
        self.conds.push(format!("{column} = ?"));
        self.args.push(Arg::int(value));
    }

    fn eq_bool(&mut self, column: &str, value: bool) {
        self.conds.push(format!("{column} = ?"));
        self.args.push(Arg::Bool(value));
    }

    fn in_ints(&mut self, column: &str, values: &[i64]) {
        match values {
            [] => {}
            [one] => self.eq_int(column, *one),
            many => {
                self.conds
                    .push(format!("{column} IN ({})", placeholders(many.len())));
                self.args.extend(many.iter().map(|v| Arg::int(*v)));
            }
        }
    }

    fn in_strs(&mut self, column: &str, values: &'a [String]) {
        self.conds
            .push(format!("{column} IN ({})", placeholders(values.len())));
        self.args.extend(values.iter().map(|v| Arg::str(v)));
    }

    fn range(&mut self, column: &str, range: &TimeRange) {
        if let Some(start) = range.start {
            self.conds.push(format!("{column} >= ?"));
            self.args.push(Arg::int(start_seconds(start)));
        }
        if let Some(end) = range.end {
            self.conds.push(format!("{column} <= ?"));
            self.args.push(Arg::int(end.timestamp()));
        }
    }

    fn deleted(&mut self, deleted: Deleted) {
        match deleted {
            Deleted::Live => self.eq_bool("is_deleted", false),
            Deleted::Only => self.eq_bool("is_deleted", true),
            Deleted::Any => {}
        }
    }

    /// A condition on a side table (`s`), as `id IN (SELECT s.<parent> FROM <side> s WHERE
    /// s.ws = ? AND <inner>)` or as `EXISTS (SELECT 1 FROM <side> s WHERE s.<parent> =
    /// <table>.id AND <inner>)`; see [`SideMode`].
    fn side(
        &mut self,
        table: &str,
        side: &str,
        parent: &str,
        ws: i64,
        inner: Where<'a>,
        mode: SideMode,
    ) {
        match mode {
            SideMode::In => {
                let mut conds = vec!["s.ws = ?".to_owned()];
                conds.extend(inner.conds);
                self.conds.push(format!(
                    "id IN (SELECT s.{parent} FROM {side} s WHERE {})",
                    conds.join(" AND ")
                ));
                self.args.push(Arg::int(ws));
            }
            SideMode::Exists => {
                let mut conds = vec![format!("s.{parent} = {table}.id")];
                conds.extend(inner.conds);
                self.conds.push(format!(
                    "EXISTS (SELECT 1 FROM {side} s WHERE {})",
                    conds.join(" AND ")
                ));
            }
        }
        self.args.extend(inner.args);
    }

    fn sql(&self) -> String {
        self.conds.join(" AND ")
    }
}

/// Kommo times are whole seconds: an inclusive start with a fraction begins at the next second.
fn start_seconds(start: DateTime<Utc>) -> i64 {
    let seconds = start.timestamp();
    if start.nanosecond() > 0 {
        seconds.saturating_add(1)
    } else {
        seconds
    }
}

/// The tag filters shared by leads and contacts.
struct TagFilter<'f> {
    tag_id: &'f [i64],
    tag_name: Option<&'f str>,
    tag_color: Option<&'f str>,
    tag_id_first: &'f [i64],
    tag_name_first: Option<&'f str>,
    tag_color_first: Option<&'f str>,
}

/// How a side-table filter is joined. SQLite follows the form it is given: `IN` builds the set
/// of matching parents and sorts them (fast when few match), `EXISTS` walks the ordered index
/// of the parent table and probes the side table per row, stopping at the page's end (fast
/// when many match). The store counts matches up to [`COMMON_SIDE_ROWS`] to choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SideMode {
    In,
    Exists,
}

const COMMON_SIDE_ROWS: i64 = 10_000;

/// The side modes chosen lately, per condition. Counting up to [`COMMON_SIDE_ROWS`] costs
/// more than the page read it decides (a third of a millisecond for a common tag), and the
/// answer changes only as the data does; a stale answer makes a read slower, never wrong.
/// So it is kept for a minute.
#[derive(Debug, Default)]
pub(crate) struct SideModes {
    known: parking_lot::Mutex<std::collections::HashMap<String, (SideMode, std::time::Instant)>>,
}

impl SideModes {
    const FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(60);
    const MAX_KNOWN: usize = 10_000;

    fn get(&self, key: &str) -> Option<SideMode> {
        let known = self.known.lock();
        let (mode, at) = known.get(key)?;
        (at.elapsed() < Self::FRESH_FOR).then_some(*mode)
    }

    fn insert(&self, key: String, mode: SideMode) {
        let mut known = self.known.lock();
        if known.len() >= Self::MAX_KNOWN {
            known.retain(|_, (_, at)| at.elapsed() < Self::FRESH_FOR);
            if known.len() >= Self::MAX_KNOWN {
                known.clear();
            }
        }
        known.insert(key, (mode, std::time::Instant::now()));
    }
}

/// The side-table conditions of the tag filters, in a fixed order.
fn tag_side_conditions<'a>(f: &TagFilter<'a>) -> Vec<Where<'a>> {
    let mut out = Vec::new();
    let mut add = |build: &dyn Fn(&mut Where<'a>), first: bool| {
        let mut inner = Where::new();
        build(&mut inner);
        if first {
            inner.eq_int("s.position", 0);
        }
        out.push(inner);
    };
    if !f.tag_id.is_empty() {
        add(&|w| w.in_ints("s.tag_id", f.tag_id), false);
    }
    if let Some(name) = f.tag_name {
        add(&|w| w.eq_str("s.name", name), false);
    }
    if let Some(color) = f.tag_color {
        add(&|w| w.eq_str("s.color", color), false);
    }
    if !f.tag_id_first.is_empty() {
        add(&|w| w.in_ints("s.tag_id", f.tag_id_first), true);
    }
    if let Some(name) = f.tag_name_first {
        add(&|w| w.eq_str("s.name", name), true);
    }
    if let Some(color) = f.tag_color_first {
        add(&|w| w.eq_str("s.color", color), true);
    }
    out
}

fn tag_conditions<'a>(
    w: &mut Where<'a>,
    table: &str,
    side: &str,
    parent: &str,
    ws: i64,
    f: TagFilter<'a>,
    modes: &[SideMode],
) {
    for (i, inner) in tag_side_conditions(&f).into_iter().enumerate() {
        w.side(
            table,
            side,
            parent,
            ws,
            inner,
            modes.get(i).copied().unwrap_or(SideMode::In),
        );
    }
}

fn lead_tags(f: &LeadFilter) -> TagFilter<'_> {
    TagFilter {
        tag_id: &f.tag_id,
        tag_name: f.tag_name.as_deref(),
        tag_color: f.tag_color.as_deref(),
        tag_id_first: &f.tag_id_first,
        tag_name_first: f.tag_name_first.as_deref(),
        tag_color_first: f.tag_color_first.as_deref(),
    }
}

fn contact_tags(f: &ContactFilter) -> TagFilter<'_> {
    TagFilter {
        tag_id: &f.tag_id,
        tag_name: f.tag_name.as_deref(),
        tag_color: f.tag_color.as_deref(),
        tag_id_first: &f.tag_id_first,
        tag_name_first: f.tag_name_first.as_deref(),
        tag_color_first: f.tag_color_first.as_deref(),
    }
}

/// The sort terms: the chosen column, then the tie-breakers in the same direction.
fn order_terms(
    primary: Option<(&'static str, Direction)>,
    default: &[(&'static str, Direction)],
    ties: &[&'static str],
) -> Vec<(&'static str, Direction)> {
    match primary {
        None => default.to_vec(),
        Some((column, direction)) => {
            let mut terms = vec![(column, direction)];
            terms.extend(
                ties.iter()
                    .filter(|t| **t != column)
                    .map(|t| (*t, direction)),
            );
            terms
        }
    }
}

fn check_page(page: PageRequest) -> Result<(i64, i64), StoreError> {
    if page.page == 0 {
        return Err(StoreError::invalid("page", "pages start at 1"));
    }
    if page.limit == 0 {
        return Err(StoreError::invalid("limit", "must be at least 1"));
    }
    let offset = (i64::from(page.page) - 1) * i64::from(page.limit);
    Ok((i64::from(page.limit), offset))
}

fn into_page<T>(mut rows: Vec<T>, page: PageRequest) -> Page<T> {
    let limit = usize::try_from(page.limit).unwrap_or(usize::MAX);
    let has_next_page = rows.len() > limit;
    rows.truncate(limit);
    Page {
        rows,
        page: page.page,
        limit: page.limit,
        has_next_page,
        has_previous_page: page.page > 1,
    }
}

fn columns(list: &[&str]) -> String {
    let mut out = String::from("id");
    for c in list {
        out.push_str(", ");
        out.push_str(c);
    }
    out
}

impl Store {
    /// Checks the scope against the grant. Returns the workspace's integer key and the
    /// integration ids rows must be narrowed to (`None` when the scope covers every
    /// integration of the workspace).
    async fn authorize(
        &self,
        grant: &Grant,
        scope: &Scope,
    ) -> Result<(i64, Option<Vec<String>>), StoreError> {
        if !grant.workspace_ids.iter().any(|w| w == &scope.workspace_id) {
            return Err(StoreError::not_granted(format!(
                "workspace {}",
                scope.workspace_id
            )));
        }
        if let Some(org) = &scope.organization_id
            && org != &grant.organization_id
        {
            return Err(StoreError::not_granted(format!("organization {org}")));
        }
        let Some(ws) = self.workspace_key(&scope.workspace_id).await? else {
            return Err(StoreError::not_found(format!(
                "workspace {}",
                scope.workspace_id
            )));
        };
        if scope.integration_ids.is_empty() {
            return Ok((ws, None));
        }
        let all = self.workspace_integration_ids(&scope.workspace_id).await?;
        if let Some(foreign) = scope.integration_ids.iter().find(|i| !all.contains(i)) {
            return Err(StoreError::not_granted(format!("integration {foreign}")));
        }
        if all.iter().all(|i| scope.integration_ids.contains(i)) {
            return Ok((ws, None));
        }
        let mut ids = scope.integration_ids.clone();
        ids.sort();
        ids.dedup();
        Ok((ws, Some(ids)))
    }

    /// One page of leads of a granted workspace.
    pub async fn leads(
        &self,
        grant: &Grant,
        query: &LeadsQuery,
    ) -> Result<Page<LeadRow>, StoreError> {
        let paged = self.leads_paged(grant, query).await?;
        self.fetch_page(&paged, query.page).await
    }

    /// [`Store::leads`] as JSON: what the data API serves.
    pub async fn leads_json(
        &self,
        grant: &Grant,
        query: &LeadsQuery,
    ) -> Result<JsonPage, StoreError> {
        let paged = self.leads_paged(grant, query).await?;
        self.fetch_page_json::<LeadRow>(&paged, query.page).await
    }

    async fn leads_paged(
        &self,
        grant: &Grant,
        query: &LeadsQuery,
    ) -> Result<PagedQuery<'static>, StoreError> {
        let (ws, integrations) = self.authorize(grant, &query.scope).await?;
        let modes = self
            .side_modes("lead_tags", ws, lead_tags(&query.filter))
            .await?;
        let paged = self.leads_statement(query, ws, integrations.as_deref(), &modes)?;
        Ok(paged.into_owned())
    }

    /// The plan the database chooses for a leads query (SQLite's `EXPLAIN QUERY PLAN`,
    /// Postgres's `EXPLAIN`), for checking which indexes serve it.
    pub async fn explain_leads(
        &self,
        grant: &Grant,
        query: &LeadsQuery,
    ) -> Result<String, StoreError> {
        let (ws, integrations) = self.authorize(grant, &query.scope).await?;
        let modes = self
            .side_modes("lead_tags", ws, lead_tags(&query.filter))
            .await?;
        let paged = self.leads_statement(query, ws, integrations.as_deref(), &modes)?;
        explain(self, &paged.offset_statement(false), paged.offset_args()).await
    }

    fn leads_statement<'q>(
        &self,
        query: &'q LeadsQuery,
        ws: i64,
        integrations: Option<&'q [String]>,
        modes: &[SideMode],
    ) -> Result<PagedQuery<'q>, StoreError> {
        let (limit, offset) = check_page(query.page)?;
        let f = &query.filter;
        let mut w = Where::new();
        w.eq_int("ws", ws);
        if let Some(ids) = integrations {
            w.in_strs("integration_id", ids);
        }
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
        tag_conditions(
            &mut w,
            "leads",
            "lead_tags",
            "lead_ref",
            ws,
            lead_tags(f),
            modes,
        );
        let primary = query.order.map(|(order, direction)| {
            let column = match order {
                LeadOrder::CreatedAt => "created_at",
                LeadOrder::UpdatedAt => "updated_at",
                LeadOrder::ClosedAt => "closed_at",
                LeadOrder::ClosestTaskAt => "closest_task_at",
                LeadOrder::InsertedAt => "inserted_at",
                LeadOrder::LeadId => "lead_id",
                LeadOrder::StatusId => "status_id",
                LeadOrder::PipelineId => "pipeline_id",
                LeadOrder::ResponsibleUserId => "responsible_user_id",
            };
            (column, direction)
        });
        let terms = order_terms(
            primary,
            &[
                ("created_at", Direction::Desc),
                ("lead_id", Direction::Desc),
                ("id", Direction::Desc),
            ],
            &["lead_id", "id"],
        );
        Ok(self.paged_statement::<LeadRow>("leads", w, &terms, limit, offset))
    }

    /// One page of contacts of a granted workspace.
    pub async fn contacts(
        &self,
        grant: &Grant,
        query: &ContactsQuery,
    ) -> Result<Page<ContactRow>, StoreError> {
        let paged = self.contacts_paged(grant, query).await?;
        self.fetch_page(&paged, query.page).await
    }

    /// [`Store::contacts`] as JSON: what the data API serves.
    pub async fn contacts_json(
        &self,
        grant: &Grant,
        query: &ContactsQuery,
    ) -> Result<JsonPage, StoreError> {
        let paged = self.contacts_paged(grant, query).await?;
        self.fetch_page_json::<ContactRow>(&paged, query.page).await
    }

    async fn contacts_paged(
        &self,
        grant: &Grant,
        query: &ContactsQuery,
    ) -> Result<PagedQuery<'static>, StoreError> {
        let (ws, integrations) = self.authorize(grant, &query.scope).await?;
        let modes = self
            .side_modes("contact_tags", ws, contact_tags(&query.filter))
            .await?;
        let paged = self.contacts_statement(query, ws, integrations.as_deref(), &modes)?;
        Ok(paged.into_owned())
    }

    /// The plan the database chooses for a contacts query.
    pub async fn explain_contacts(
        &self,
        grant: &Grant,
        query: &ContactsQuery,
    ) -> Result<String, StoreError> {
        let (ws, integrations) = self.authorize(grant, &query.scope).await?;
        let modes = self
            .side_modes("contact_tags", ws, contact_tags(&query.filter))
            .await?;
        let paged = self.contacts_statement(query, ws, integrations.as_deref(), &modes)?;
        explain(self, &paged.offset_statement(false), paged.offset_args()).await
    }

    fn contacts_statement<'q>(
        &self,
        query: &'q ContactsQuery,
        ws: i64,
        integrations: Option<&'q [String]>,
        modes: &[SideMode],
    ) -> Result<PagedQuery<'q>, StoreError> {
        let (limit, offset) = check_page(query.page)?;
        let f = &query.filter;
        let mut w = Where::new();
        w.eq_int("ws", ws);
        if let Some(ids) = integrations {
            w.in_strs("integration_id", ids);
        }
        w.deleted(f.deleted);
        w.in_ints("contact_id", &f.contact_id);
        w.in_ints("responsible_user_id", &f.responsible_user_id);
        w.in_ints("group_id", &f.group_id);
        w.in_ints("company_id", &f.company_id);
        w.range("created_at", &f.created);
        w.range("updated_at", &f.last_modified);
        if !f.lead_id.is_empty() {
            let mut inner = Where::new();
            inner.in_ints("s.lead_id", &f.lead_id);
            w.side(
                "contacts",
                "contact_leads",
                "contact_ref",
                ws,
                inner,
                SideMode::In,
            );
        }
        if let Some(email) = &f.email {
            let mut inner = Where::new();
            inner.conds.push("s.email = ?".to_owned());
            inner.args.push(Arg::string(normalize_email(email)));
            w.side(
                "contacts",
                "contact_emails",
                "contact_ref",
                ws,
                inner,
                SideMode::In,
            );
        }
        if let Some(phone) = &f.phone {
            let mut inner = Where::new();
            inner.conds.push("s.digits = ?".to_owned());
            inner.args.push(Arg::string(normalize_phone(phone)));
            w.side(
                "contacts",
                "contact_phones",
                "contact_ref",
                ws,
                inner,
                SideMode::In,
            );
        }
        tag_conditions(
            &mut w,
            "contacts",
            "contact_tags",
            "contact_ref",
            ws,
            contact_tags(f),
            modes,
        );
        let primary = query.order.map(|(order, direction)| {
            let column = match order {
                ContactOrder::CreatedAt => "created_at",
                ContactOrder::UpdatedAt => "updated_at",
                ContactOrder::ClosestTaskAt => "closest_task_at",
                ContactOrder::InsertedAt => "inserted_at",
                ContactOrder::ContactId => "contact_id",
                ContactOrder::ResponsibleUserId => "responsible_user_id",
                ContactOrder::CompanyId => "company_id",
            };
            (column, direction)
        });
        let terms = order_terms(
            primary,
            &[
                ("created_at", Direction::Desc),
                ("contact_id", Direction::Desc),
                ("id", Direction::Desc),
            ],
            &["contact_id", "id"],
        );
        Ok(self.paged_statement::<ContactRow>("contacts", w, &terms, limit, offset))
    }

    /// One page of (pipeline, status) rows of a granted workspace.
    pub async fn pipelines(
        &self,
        grant: &Grant,
        query: &PipelinesQuery,
    ) -> Result<Page<PipelineRow>, StoreError> {
        let paged = self.pipelines_paged(grant, query).await?;
        self.fetch_page(&paged, query.page).await
    }

    /// [`Store::pipelines`] as JSON: what the data API serves.
    pub async fn pipelines_json(
        &self,
        grant: &Grant,
        query: &PipelinesQuery,
    ) -> Result<JsonPage, StoreError> {
        let paged = self.pipelines_paged(grant, query).await?;
        self.fetch_page_json::<PipelineRow>(&paged, query.page)
            .await
    }

    async fn pipelines_paged(
        &self,
        grant: &Grant,
        query: &PipelinesQuery,
    ) -> Result<PagedQuery<'static>, StoreError> {
        let (limit, offset) = check_page(query.page)?;
        let (ws, integrations) = self.authorize(grant, &query.scope).await?;
        let f = &query.filter;
        let mut w = Where::new();
        w.eq_int("ws", ws);
        if let Some(ids) = &integrations {
            w.in_strs("integration_id", ids);
        }
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
        let primary = query.order.map(|(order, direction)| {
            let column = match order {
                PipelineOrder::PipelineSort => "pipeline_sort",
                PipelineOrder::PipelineId => "pipeline_id",
                PipelineOrder::Sort => "sort",
                PipelineOrder::StatusId => "status_id",
                PipelineOrder::InsertedAt => "inserted_at",
            };
            (column, direction)
        });
        let terms = order_terms(
            primary,
            &[
                ("pipeline_sort", Direction::Asc),
                ("pipeline_id", Direction::Asc),
                ("sort", Direction::Asc),
                ("status_id", Direction::Asc),
                ("id", Direction::Asc),
            ],
            &["pipeline_id", "status_id", "id"],
        );
        let paged = self.paged_statement::<PipelineRow>("pipelines", w, &terms, limit, offset);
        Ok(paged.into_owned())
    }

    /// One page of users of a granted workspace.
    pub async fn users(
        &self,
        grant: &Grant,
        query: &UsersQuery,
    ) -> Result<Page<UserRow>, StoreError> {
        let paged = self.users_paged(grant, query).await?;
        self.fetch_page(&paged, query.page).await
    }

    /// [`Store::users`] as JSON: what the data API serves.
    pub async fn users_json(
        &self,
        grant: &Grant,
        query: &UsersQuery,
    ) -> Result<JsonPage, StoreError> {
        let paged = self.users_paged(grant, query).await?;
        self.fetch_page_json::<UserRow>(&paged, query.page).await
    }

    async fn users_paged(
        &self,
        grant: &Grant,
        query: &UsersQuery,
    ) -> Result<PagedQuery<'static>, StoreError> {
        let (limit, offset) = check_page(query.page)?;
        let (ws, integrations) = self.authorize(grant, &query.scope).await?;
        let f = &query.filter;
        let mut w = Where::new();
        w.eq_int("ws", ws);
        if let Some(ids) = &integrations {
            w.in_strs("integration_id", ids);
        }
        w.in_ints("user_id", &f.user_id);
        if let Some(email) = &f.email {
            w.conds.push("LOWER(email) = ?".to_owned());
            w.args.push(Arg::string(email.trim().to_lowercase()));
        }
        w.in_ints("group_id", &f.group_id);
        w.in_ints("role_id", &f.role_id);
        if let Some(active) = f.is_active {
            w.eq_bool("is_active", active);
        }
        if let Some(admin) = f.is_admin {
            w.eq_bool("is_admin", admin);
        }
        let primary = query.order.map(|(order, direction)| {
            let column = match order {
                UserOrder::UserId => "user_id",
                UserOrder::GroupId => "group_id",
                UserOrder::RoleId => "role_id",
                UserOrder::InsertedAt => "inserted_at",
            };
            (column, direction)
        });
        let terms = order_terms(
            primary,
            &[("user_id", Direction::Asc), ("id", Direction::Asc)],
            &["user_id", "id"],
        );
        let paged = self.paged_statement::<UserRow>("users", w, &terms, limit, offset);
        Ok(paged.into_owned())
    }

    /// For each tag condition, whether it matches many rows of the workspace (then `EXISTS`)
    /// or few (`IN`): counts its side rows, stopping at [`COMMON_SIDE_ROWS`].
    async fn side_modes(
        &self,
        side: &str,
        ws: i64,
        tags: TagFilter<'_>,
    ) -> Result<Vec<SideMode>, StoreError> {
        let mut modes = Vec::new();
        for inner in tag_side_conditions(&tags) {
            let sql = format!(
                "SELECT COUNT(*) AS n FROM (SELECT 1 FROM {side} s WHERE s.ws = ? AND {} LIMIT {COMMON_SIDE_ROWS}) probe",
                inner.sql()
            );
            let mut args = vec![Arg::int(ws)];
            args.extend(inner.args);
            let key = format!("{sql}\u{0}{args:?}");
            if let Some(mode) = self.inner.side_modes.get(&key) {
                modes.push(mode);
                continue;
            }
            let count: Vec<Count> = self.db().fetch_rows(&sql, args).await?;
            let common = count.first().is_some_and(|c| c.n >= COMMON_SIDE_ROWS);
            let mode = if common {
                SideMode::Exists
            } else {
                SideMode::In
            };
            self.inner.side_modes.insert(key, mode);
            modes.push(mode);
        }
        Ok(modes)
    }

    fn paged_statement<'q, T: PageRow>(
        &self,
        table: &'static str,
        w: Where<'q>,
        terms: &[(&'static str, Direction)],
        limit: i64,
        offset: i64,
    ) -> PagedQuery<'q> {
        PagedQuery {
            table,
            columns: T::COLUMNS,
            filter: w.sql(),
            args: w.args,
            order: terms.to_vec(),
            limit,
            offset,
            backend: self.backend(),
        }
    }

    async fn fetch_page<T: crate::db::Record + PageRow>(
        &self,
        query: &PagedQuery<'_>,
        page: PageRequest,
    ) -> Result<Page<T>, StoreError> {
        let rows: Vec<T> = self.db().fetch_page(query).await?;
        Ok(into_page(rows, page))
    }

    async fn fetch_page_json<T: crate::db::Record + PageRow + serde::Serialize>(
        &self,
        query: &PagedQuery<'_>,
        page: PageRequest,
    ) -> Result<JsonPage, StoreError> {
        let (rows, has_next_page) = self.db().fetch_page_json::<T>(query).await?;
        Ok(JsonPage {
            rows,
            page: page.page,
            limit: page.limit,
            has_next_page,
            has_previous_page: page.page > 1,
        })
    }

    /// Every stored lead of an integration (deleted ones too), by lead id, with `tag_list`
    /// filled: for comparing a sync's result with its source.
    pub async fn all_lead_rows(&self, integration_id: &str) -> Result<Vec<LeadRow>, StoreError> {
        let sql = format!(
            "SELECT {} FROM leads WHERE integration_id = ? ORDER BY lead_id",
            columns(LEAD_COLUMNS)
        );
        let mut rows: Vec<LeadRow> = self
            .db()
            .fetch_all(&sql, vec![Arg::str(integration_id)])
            .await?;
        let tags: Vec<SideTag> = self
            .db()
            .fetch_all(
                "SELECT l.lead_id AS parent, t.position, t.tag_id, t.name, t.color FROM lead_tags t \
                 JOIN leads l ON l.id = t.lead_ref WHERE l.integration_id = ? ORDER BY l.lead_id, t.position",
                vec![Arg::str(integration_id)],
            )
            .await?;
        let mut tags = tags.into_iter().peekable();
        for row in &mut rows {
            while let Some(tag) = tags.next_if(|t| t.parent <= row.lead_id) {
                if tag.parent == row.lead_id {
                    row.tag_list.push(RowTag {
                        id: tag.tag_id,
                        name: tag.name,
                        color: tag.color,
                    });
                }
            }
        }
        Ok(rows)
    }

    /// Every stored contact of an integration, by contact id, with the side lists filled
    /// (emails and phones as they were given).
    pub async fn all_contact_rows(
        &self,
        integration_id: &str,
    ) -> Result<Vec<ContactRow>, StoreError> {
        let sql = format!(
            "SELECT {} FROM contacts WHERE integration_id = ? ORDER BY contact_id",
            columns(CONTACT_COLUMNS)
        );
        let mut rows: Vec<ContactRow> = self
            .db()
            .fetch_all(&sql, vec![Arg::str(integration_id)])
            .await?;
        let args = || vec![Arg::str(integration_id)];
        let tags: Vec<SideTag> = self
            .db()
            .fetch_all(
                "SELECT c.contact_id AS parent, t.position, t.tag_id, t.name, t.color FROM contact_tags t \
                 JOIN contacts c ON c.id = t.contact_ref WHERE c.integration_id = ? ORDER BY c.contact_id, t.position",
                args(),
            )
            .await?;
        let emails: Vec<SideText> = self
            .db()
            .fetch_all(
                "SELECT c.contact_id AS parent, s.value FROM contact_emails s \
                 JOIN contacts c ON c.id = s.contact_ref WHERE c.integration_id = ? ORDER BY c.contact_id, s.position",
                args(),
            )
            .await?;
        let phones: Vec<SideText> = self
            .db()
            .fetch_all(
                "SELECT c.contact_id AS parent, s.value FROM contact_phones s \
                 JOIN contacts c ON c.id = s.contact_ref WHERE c.integration_id = ? ORDER BY c.contact_id, s.position",
                args(),
            )
            .await?;
        let links: Vec<SideInt> = self
            .db()
            .fetch_all(
                "SELECT c.contact_id AS parent, s.lead_id AS value FROM contact_leads s \
                 JOIN contacts c ON c.id = s.contact_ref WHERE c.integration_id = ? ORDER BY c.contact_id, s.position",
                args(),
            )
            .await?;
        let (mut tags, mut emails, mut phones, mut links) = (
            tags.into_iter().peekable(),
            emails.into_iter().peekable(),
            phones.into_iter().peekable(),
            links.into_iter().peekable(),
        );
        for row in &mut rows {
            let id = row.contact_id;
            while let Some(t) = tags.next_if(|t| t.parent <= id) {
                if t.parent == id {
                    row.tag_list.push(RowTag {
                        id: t.tag_id,
                        name: t.name,
                        color: t.color,
                    });
                }
            }
            while let Some(e) = emails.next_if(|e| e.parent <= id) {
                if e.parent == id {
                    row.email_list.push(e.value);
                }
            }
            while let Some(p) = phones.next_if(|p| p.parent <= id) {
                if p.parent == id {
                    row.phone_list.push(p.value);
                }
            }
            while let Some(l) = links.next_if(|l| l.parent <= id) {
                if l.parent == id {
                    row.lead_id_list.push(l.value);
                }
            }
        }
        Ok(rows)
    }

    /// Every stored (pipeline, status) row of an integration, in the default order.
    pub async fn all_pipeline_rows(
        &self,
        integration_id: &str,
    ) -> Result<Vec<PipelineRow>, StoreError> {
        let sql = format!(
            "SELECT {} FROM pipelines WHERE integration_id = ? ORDER BY pipeline_sort, pipeline_id, sort, status_id",
            columns(PIPELINE_COLUMNS)
        );
        Ok(self
            .db()
            .fetch_all(&sql, vec![Arg::str(integration_id)])
            .await?)
    }

    /// Every stored user of an integration, by user id.
    pub async fn all_user_rows(&self, integration_id: &str) -> Result<Vec<UserRow>, StoreError> {
        let sql = format!(
            "SELECT {} FROM users WHERE integration_id = ? ORDER BY user_id",
            columns(USER_COLUMNS)
        );
        Ok(self
            .db()
            .fetch_all(&sql, vec![Arg::str(integration_id)])
            .await?)
    }

    /// How many rows an integration has stored, per entity.
    pub async fn counts(&self, integration_id: &str) -> Result<EntityCounts, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Record {
            leads: i64,
            deleted_leads: i64,
            contacts: i64,
            deleted_contacts: i64,
            pipeline_rows: i64,
            users: i64,
        }
        let live = "is_deleted = ?";
        let sql = format!(
            "SELECT \
             (SELECT COUNT(*) FROM leads WHERE integration_id = ? AND {live}) AS leads, \
             (SELECT COUNT(*) FROM leads WHERE integration_id = ? AND {live}) AS deleted_leads, \
             (SELECT COUNT(*) FROM contacts WHERE integration_id = ? AND {live}) AS contacts, \
             (SELECT COUNT(*) FROM contacts WHERE integration_id = ? AND {live}) AS deleted_contacts, \
             (SELECT COUNT(*) FROM pipelines WHERE integration_id = ?) AS pipeline_rows, \
             (SELECT COUNT(*) FROM users WHERE integration_id = ?) AS users"
        );
        let id = || Arg::str(integration_id);
        let args = vec![
            id(),
            Arg::Bool(false),
            id(),
            Arg::Bool(true),
            id(),
            Arg::Bool(false),
            id(),
            Arg::Bool(true),
            id(),
            id(),
        ];
        let row: Option<Record> = self.db().fetch_optional(&sql, args).await?;
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        Ok(row.map_or_else(EntityCounts::default, |r| EntityCounts {
            leads: n(r.leads),
            deleted_leads: n(r.deleted_leads),
            contacts: n(r.contacts),
            deleted_contacts: n(r.deleted_contacts),
            pipeline_rows: n(r.pipeline_rows),
            users: n(r.users),
        }))
    }
}

#[derive(sqlx::FromRow)]
struct SideTag {
    parent: i64,
    tag_id: i64,
    name: String,
    color: Option<String>,
}

#[derive(sqlx::FromRow)]
struct SideText {
    parent: i64,
    value: String,
}

#[derive(sqlx::FromRow)]
struct SideInt {
    parent: i64,
    value: i64,
}

#[derive(sqlx::FromRow)]
struct SqlitePlanLine {
    detail: String,
}

#[derive(sqlx::FromRow)]
struct PostgresPlanLine {
    #[sqlx(rename = "QUERY PLAN")]
    line: String,
}

async fn explain(store: &Store, sql: &str, args: Vec<Arg<'_>>) -> Result<String, StoreError> {
    let lines: Vec<String> = match store.backend() {
        Backend::Sqlite => {
            let rows: Vec<SqlitePlanLine> = store
                .db()
                .fetch_all(&format!("EXPLAIN QUERY PLAN {sql}"), args)
                .await?;
            rows.into_iter().map(|r| r.detail).collect()
        }
        Backend::Postgres => {
            let rows: Vec<PostgresPlanLine> = store
                .db()
                .fetch_all(&format!("EXPLAIN {sql}"), args)
                .await?;
            rows.into_iter().map(|r| r.line).collect()
        }
    };
    Ok(lines.join("\n"))
}
