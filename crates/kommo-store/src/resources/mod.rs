//! The data API's resources, one module each in the same shape, and what they share.
//!
//! A resource module (`leads`, `contacts`, `companies`, `tasks`, `pipelines`, `users`,
//! `lead_status_changes`, `lead_stages`) holds, in this order:
//! - `COLUMNS`, its table's stored columns, and `bind`, which binds a row's values in that
//!   order, side by side (the sync writes of `write` use both; a count that differs fails
//!   every write);
//! - its order enum, from `order_columns!`: the one place the column names `orderBy` accepts
//!   are spelled (the API's parameter table and OpenAPI derive them);
//! - its page row, from `page_row!`: the columns a page selects, the SQLite decoder and the
//!   JSON writer, from one field list;
//! - `statement`: its filters as the page statement for either database (a `PagedQuery`);
//! - its [`Resource`] implementation (how a query becomes its statement, after the grant
//!   check), and its public `Store` reads through it, each taking the caller's `Grant`:
//!   `<resource>` (decoded rows), `<resource>_json` (what the API serves), and for leads and
//!   contacts `explain_<resource>`.
//!
//! Adding a resource is adding such a file, its row type in `rows`, its filter and query in
//! `query`, and its tables in the migrations.
//!
//! `funnel` is the one summary: no rows, the funnel of a pipeline's cohort from `lead_stages`.
//!
//! Shared: `filter` (WHERE clauses, time bounds, sort terms, page checks), `tags` (the tag
//! filters of leads and contacts, joined `IN` or `EXISTS`), and here the grant check, the
//! page fetches and the plans every read goes through.

use crate::Store;
use crate::db::{Arg, Backend, Record};
use crate::error::StoreError;
use crate::paging::PagedQuery;
use crate::query::{Direction, Grant, JsonPage, Page, PageRequest, Scope};
use crate::rows::RowTenancy;
use crate::sqlite_read::Columns;

/// Defines a resource's order enum from one list of its variants and their columns, with
/// [`crate::query::OrderColumn`]: the accepted names, the mapping both ways and the default.
/// The match is exhaustive, so every variant has a column.
macro_rules! order_columns {
    (
        $(#[$meta:meta])*
        $name:ident { $($variant:ident => $column:literal),+ $(,)? }
        default ($default:ident, $direction:ident)
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($variant),+
        }

        impl $crate::query::OrderColumn for $name {
            const COLUMNS: &'static [&'static str] = &[$($column),+];
            const DEFAULT: (Self, $crate::query::Direction) =
                (Self::$default, $crate::query::Direction::$direction);

            fn column(self) -> &'static str {
                match self {
                    $(Self::$variant => $column),+
                }
            }

            fn from_column(name: &str) -> Option<Self> {
                match name {
                    $($column => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

/// Implements [`PageRow`] and [`crate::json::WriteJson`] for a published row type from one
/// list of its fields in declaration order (each column named like its field), each with how
/// it is published ([`crate::json::Kind`]) and, if renamed, its JSON name; `..tenancy` marks
/// where the flattened tenancy fields stand. The selected columns, the decoder and the JSON
/// writer cannot disagree on order, and the decoder's struct expression names every field, so
/// the list cannot miss one. The `skip` fields (side lists the data API leaves empty) start
/// empty.
macro_rules! page_row {
    (@name $field:ident) => { stringify!($field) };
    (@name $field:ident $name:literal) => { $name };
    ($row:ident {
        $($field:ident $(as $name:literal)?: $kind:ident),+ ,
        ..tenancy,
        $($after:ident $(as $after_name:literal)?: $after_kind:ident),+ $(,)?
    } skip { $($skip:ident),* $(,)? }) => {
        impl $crate::resources::PageRow for $row {
            const COLUMNS: &'static [&'static str] = &[
                $(stringify!($field),)+
                "integration_id",
                "workspace_id",
                "organization_id",
                $(stringify!($after),)+
            ];
            fn from_sqlite(
                c: &mut $crate::sqlite_read::Columns<'_, '_>,
            ) -> Result<Self, rusqlite::Error> {
                // Struct expressions evaluate their fields in the order written.
                Ok($row {
                    $($field: c.take()?,)+
                    tenancy: $crate::rows::RowTenancy {
                        integration_id: c.take()?,
                        workspace_id: c.take()?,
                        organization_id: c.take()?,
                    },
                    $($after: c.take()?,)+
                    $($skip: Vec::new(),)*
                })
            }
        }

        impl $crate::json::WriteJson for $row {
            fn write_json<R: $crate::json::Cells>(
                row: &R,
                out: &mut Vec<u8>,
            ) -> Result<(), R::Error> {
                use $crate::json::{Kind, write_field};
                let at = &mut 0;
                out.push(b'{');
                $(write_field(row, out, at, page_row!(@name $field $($name)?), Kind::$kind)?;)+
                write_field(row, out, at, "integration_id", Kind::Text)?;
                write_field(row, out, at, "workspace_id", Kind::Text)?;
                write_field(row, out, at, "organization_id", Kind::Text)?;
                $(write_field(row, out, at, page_row!(@name $after $($after_name)?), Kind::$after_kind)?;)+
                out.push(b'}');
                Ok(())
            }
        }
    };
}

pub(crate) mod companies;
pub(crate) mod contacts;
pub(crate) mod filter;
pub(crate) mod funnel;
pub(crate) mod lead_stages;
pub(crate) mod lead_status_changes;
pub(crate) mod leads;
pub(crate) mod pipelines;
pub(crate) mod tags;
pub(crate) mod tasks;
pub(crate) mod users;

/// A row type a page can be read as: decoded by the SQLite page readers, or written as JSON
/// from either database's columns (see `json`).
pub(crate) trait PageRow: crate::json::WriteJson + Send + 'static {
    /// The columns to select, in the order [`PageRow::from_sqlite`] reads them.
    const COLUMNS: &'static [&'static str];
    fn from_sqlite(c: &mut Columns<'_, '_>) -> Result<Self, rusqlite::Error>
    where
        Self: Sized;
}

/// A served resource, for the reads every resource has (`Store::page`, `page_json`,
/// `page_plan`): its query and row types, and how a query becomes its page statement.
pub(crate) trait Resource {
    type Query: Sync;
    type Row: Record + PageRow + serde::Serialize;

    /// The page a query asks for.
    fn page(query: &Self::Query) -> PageRequest;

    /// The query's page statement, once the caller's grant allows it.
    fn paged(
        store: &Store,
        grant: &Grant,
        query: &Self::Query,
    ) -> impl Future<Output = Result<PagedQuery<'static>, StoreError>> + Send;
}

/// Binds the tenancy columns every table starts with: `organization_id`, `workspace_id`,
/// `ws`, `integration_id`.
pub(crate) fn bind_tenancy<'a>(args: &mut Vec<Arg<'a>>, t: &'a RowTenancy, ws: i64) {
    args.push(Arg::str(&t.organization_id));
    args.push(Arg::str(&t.workspace_id));
    args.push(Arg::int(ws));
    args.push(Arg::str(&t.integration_id));
}

/// `Some(value)` as text, `None` as NULL.
pub(crate) fn opt(value: &Option<String>) -> Arg<'_> {
    Arg::opt_str(value.as_deref())
}

impl Store {
    /// Checks the scope against the grant. Returns the workspace's integer key and the
    /// integration ids rows must be narrowed to (`None` when the scope covers every
    /// integration of the workspace).
    pub(crate) async fn authorize(
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

    /// The page statement of `table` for rows of type `T`.
    pub(crate) fn paged_statement<'q, T: PageRow>(
        &self,
        table: &'static str,
        w: filter::Where<'q>,
        terms: &[(&'static str, Direction)],
        limit: i64,
        offset: i64,
    ) -> PagedQuery<'q> {
        let (filter, args) = w.into_parts();
        PagedQuery {
            table,
            columns: T::COLUMNS,
            filter,
            args,
            order: terms.to_vec(),
            limit,
            offset,
            backend: self.backend(),
        }
    }

    /// One page of a resource, decoded.
    pub(crate) async fn page<R: Resource>(
        &self,
        grant: &Grant,
        query: &R::Query,
    ) -> Result<Page<R::Row>, StoreError> {
        let paged = R::paged(self, grant, query).await?;
        let rows: Vec<R::Row> = self.db().fetch_page(&paged).await?;
        Ok(filter::into_page(rows, R::page(query)))
    }

    /// One page of a resource, as JSON.
    pub(crate) async fn page_json<R: Resource>(
        &self,
        grant: &Grant,
        query: &R::Query,
    ) -> Result<JsonPage, StoreError> {
        let paged = R::paged(self, grant, query).await?;
        let (rows, has_next_page) = self.db().fetch_page_json::<R::Row>(&paged).await?;
        let page = R::page(query);
        Ok(JsonPage {
            rows,
            page: page.page,
            limit: page.limit,
            has_next_page,
            has_previous_page: page.page > 1,
        })
    }

    /// The database's plan for a resource's page.
    pub(crate) async fn page_plan<R: Resource>(
        &self,
        grant: &Grant,
        query: &R::Query,
    ) -> Result<String, StoreError> {
        let paged = R::paged(self, grant, query).await?;
        self.explain(&paged).await
    }

    /// The database's plan for a page statement (SQLite's `EXPLAIN QUERY PLAN`, Postgres's
    /// `EXPLAIN`), for checking which indexes serve it.
    async fn explain(&self, paged: &PagedQuery<'_>) -> Result<String, StoreError> {
        let sql = paged.offset_statement(false);
        let args = paged.offset_args();
        let lines: Vec<String> = match self.backend() {
            Backend::Sqlite => {
                let rows: Vec<SqlitePlanLine> = self
                    .db()
                    .fetch_all(&format!("EXPLAIN QUERY PLAN {sql}"), args)
                    .await?;
                rows.into_iter().map(|r| r.detail).collect()
            }
            Backend::Postgres => {
                let rows: Vec<PostgresPlanLine> =
                    self.db().fetch_all(&format!("EXPLAIN {sql}"), args).await?;
                rows.into_iter().map(|r| r.line).collect()
            }
        };
        Ok(lines.join("\n"))
    }
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

#[cfg(test)]
mod tests {
    use super::filter::order_terms;
    use crate::query::{
        CompanyOrder, ContactOrder, LeadOrder, LeadStageOrder, LeadStatusChangeOrder, OrderColumn,
        PipelineOrder, TaskOrder, UserOrder,
    };

    /// Without `orderBy`, `orderDirection` alone turns the default order's first column (what
    /// the API passes as `DEFAULT` with the direction); the resource's default terms must
    /// start with that column in that direction.
    fn default_starts_with_default_column<O: OrderColumn>(
        default: &[(&'static str, crate::query::Direction)],
    ) {
        let (column, direction) = O::DEFAULT;
        assert_eq!(default.first(), Some(&(column.column(), direction)));
        assert_eq!(
            order_terms(None, default, &[]),
            default,
            "no order: the default terms"
        );
        for name in O::COLUMNS {
            let order = O::from_column(name).map(OrderColumn::column);
            assert_eq!(order, Some(*name));
        }
    }

    #[test]
    fn orders_round_trip_and_defaults_agree() {
        default_starts_with_default_column::<LeadOrder>(super::leads::DEFAULT_ORDER);
        default_starts_with_default_column::<ContactOrder>(super::contacts::DEFAULT_ORDER);
        default_starts_with_default_column::<PipelineOrder>(super::pipelines::DEFAULT_ORDER);
        default_starts_with_default_column::<UserOrder>(super::users::DEFAULT_ORDER);
        default_starts_with_default_column::<LeadStatusChangeOrder>(
            super::lead_status_changes::DEFAULT_ORDER,
        );
        default_starts_with_default_column::<LeadStageOrder>(super::lead_stages::DEFAULT_ORDER);
        default_starts_with_default_column::<CompanyOrder>(super::companies::DEFAULT_ORDER);
        default_starts_with_default_column::<TaskOrder>(super::tasks::DEFAULT_ORDER);
    }
}
