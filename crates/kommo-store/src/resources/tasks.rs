//! Tasks (`GET /v1/kommo/tasks`): the `tasks` table's columns, the order columns, the page
//! row, the filters as a page statement, and the store's reads of them.

use super::Resource;
use super::filter::{Where, check_page, order_terms};
use super::{bind_tenancy, opt};
use crate::db::Arg;
use crate::error::StoreError;
use crate::paging::PagedQuery;
use crate::query::{Direction, Grant, JsonPage, OrderColumn as _, Page, PageRequest, TasksQuery};
use crate::rows::{RowTenancy, TaskRow};
use crate::{Store, document_id};

/// The stored columns of `tasks`, in the order [`bind`] binds them.
pub(crate) const COLUMNS: &[&str] = &[
    "organization_id",
    "workspace_id",
    "ws",
    "integration_id",
    "task_id",
    "entity_type",
    "entity_id",
    "responsible_user_id",
    "group_id",
    "task_type_id",
    "task_type_name",
    "text",
    "duration",
    "complete_till",
    "is_completed",
    "result_text",
    "created_by",
    "updated_by",
    "created_at",
    "updated_at",
    "is_deleted",
    "document_id",
    "inserted_at",
];

/// Binds one task's values in the order of [`COLUMNS`]; the store's own `document_id` and
/// `inserted_at` (`now`) replace the row's.
pub(crate) fn bind<'a>(
    args: &mut Vec<Arg<'a>>,
    t: &'a RowTenancy,
    ws: i64,
    r: &'a TaskRow,
    now: i64,
) {
    bind_tenancy(args, t, ws);
    args.extend([
        Arg::int(r.task_id),
        opt(&r.entity_type),
        Arg::Int(r.entity_id),
        Arg::Int(r.responsible_user_id),
        Arg::Int(r.group_id),
        Arg::Int(r.task_type_id),
        opt(&r.task_type_name),
        opt(&r.text),
        Arg::Int(r.duration),
        Arg::Int(r.complete_till),
        Arg::Bool(r.is_completed),
        opt(&r.result_text),
        Arg::Int(r.created_by),
        Arg::Int(r.updated_by),
        Arg::Int(r.created_at),
        Arg::Int(r.updated_at),
        Arg::Bool(r.is_deleted),
        Arg::string(document_id(&t.integration_id, "task", &[r.task_id])),
        Arg::int(now),
    ]);
}

order_columns!(
    /// Columns a tasks listing can be ordered by; ties are always broken by the task id.
    TaskOrder {
        CreatedAt => "created_at",
        UpdatedAt => "updated_at",
        CompleteTill => "complete_till",
        InsertedAt => "inserted_at",
        TaskId => "task_id",
        EntityId => "entity_id",
        ResponsibleUserId => "responsible_user_id",
    }
    default (CreatedAt, Desc)
);

/// The order without `orderBy`.
pub(crate) const DEFAULT_ORDER: &[(&str, Direction)] = &[
    ("created_at", Direction::Desc),
    ("task_id", Direction::Desc),
    ("id", Direction::Desc),
];

/// What breaks ties after the chosen column: the Kommo id, then the row id.
const TIES: &[&str] = &["task_id", "id"];

page_row!(TaskRow {
    task_id: Id, entity_type: Text, entity_id: Id, responsible_user_id: Id, group_id: Id,
    task_type_id: Id, task_type_name: Text, text: Text, duration: Int, complete_till: Seconds,
    is_completed: Bool, result_text: Text, created_by: Id, updated_by: Id, created_at: Seconds,
    updated_at: Seconds, is_deleted: Bool,
    ..tenancy,
    document_id: Text, inserted_at: Millis,
} skip {});

/// The page statement of a tasks query in the granted workspace `ws`.
fn statement<'q>(
    store: &Store,
    query: &'q TasksQuery,
    ws: i64,
    integrations: Option<&'q [String]>,
) -> Result<PagedQuery<'q>, StoreError> {
    let (limit, offset) = check_page(query.page)?;
    let f = &query.filter;
    let mut w = Where::new();
    w.tenancy(ws, integrations);
    w.deleted(f.deleted);
    w.in_ints("task_id", &f.task_id);
    if !f.entity_type.is_empty() {
        w.in_strs("entity_type", &f.entity_type);
    }
    w.in_ints("entity_id", &f.entity_id);
    w.in_ints("responsible_user_id", &f.responsible_user_id);
    w.in_ints("task_type_id", &f.task_type_id);
    if let Some(completed) = f.is_completed {
        w.eq_bool("is_completed", completed);
    }
    w.range("complete_till", &f.complete_till);
    w.range("created_at", &f.created);
    w.range("updated_at", &f.last_modified);
    let primary = query
        .order
        .map(|(order, direction)| (order.column(), direction));
    let terms = order_terms(primary, DEFAULT_ORDER, TIES);
    Ok(store.paged_statement::<TaskRow>("tasks", w, &terms, limit, offset))
}

/// `tasks` as a [`Resource`].
pub(crate) struct Tasks;

impl Resource for Tasks {
    type Query = TasksQuery;
    type Row = TaskRow;

    fn page(query: &TasksQuery) -> PageRequest {
        query.page
    }

    async fn paged(
        store: &Store,
        grant: &Grant,
        query: &TasksQuery,
    ) -> Result<PagedQuery<'static>, StoreError> {
        let (ws, integrations) = store.authorize(grant, &query.scope).await?;
        let paged = statement(store, query, ws, integrations.as_deref())?;
        Ok(paged.into_owned())
    }
}

impl Store {
    /// One page of tasks of a granted workspace.
    pub async fn tasks(
        &self,
        grant: &Grant,
        query: &TasksQuery,
    ) -> Result<Page<TaskRow>, StoreError> {
        self.page::<Tasks>(grant, query).await
    }

    /// [`Store::tasks`] as JSON: what the data API serves.
    pub async fn tasks_json(
        &self,
        grant: &Grant,
        query: &TasksQuery,
    ) -> Result<JsonPage, StoreError> {
        self.page_json::<Tasks>(grant, query).await
    }

    /// The plan the database chooses for a tasks query.
    pub async fn explain_tasks(
        &self,
        grant: &Grant,
        query: &TasksQuery,
    ) -> Result<String, StoreError> {
        self.page_plan::<Tasks>(grant, query).await
    }
}
