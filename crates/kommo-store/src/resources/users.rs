//! Users (`GET /v1/kommo/users`): the `users` table's columns, the order columns, the page
//! row, the filters as a page statement, and the store's reads of them.

use super::Resource;
use super::filter::{Where, check_page, order_terms};
use super::{bind_tenancy, opt};
use crate::db::Arg;
use crate::error::StoreError;
use crate::normalize;
use crate::paging::PagedQuery;
use crate::query::{Direction, Grant, JsonPage, OrderColumn as _, Page, PageRequest, UsersQuery};
use crate::rows::{RowTenancy, UserRow};
use crate::{Store, document_id};

/// The stored columns of `users`, in the order [`bind`] binds them.
pub(crate) const COLUMNS: &[&str] = &[
    "organization_id",
    "workspace_id",
    "ws",
    "integration_id",
    "user_id",
    "user_name",
    "email",
    "lang",
    "is_admin",
    "is_free",
    "is_active",
    "group_id",
    "group_name",
    "role_id",
    "role_name",
    "rights",
    "document_id",
    "inserted_at",
];

/// Binds one user's values in the order of [`COLUMNS`]; the store's own `document_id` and
/// `inserted_at` (`now`) replace the row's.
pub(crate) fn bind<'a>(
    args: &mut Vec<Arg<'a>>,
    t: &'a RowTenancy,
    ws: i64,
    r: &'a UserRow,
    now: i64,
) {
    bind_tenancy(args, t, ws);
    args.extend([
        Arg::int(r.user_id),
        opt(&r.user_name),
        opt(&r.email),
        opt(&r.lang),
        Arg::Bool(r.is_admin),
        Arg::Bool(r.is_free),
        Arg::Bool(r.is_active),
        Arg::Int(r.group_id),
        opt(&r.group_name),
        Arg::Int(r.role_id),
        opt(&r.role_name),
        opt(&r.rights),
        Arg::string(document_id(&t.integration_id, "user", &[r.user_id])),
        Arg::int(now),
    ]);
}

order_columns!(
    /// Columns a users listing can be ordered by; ties broken by user id.
    UserOrder {
        UserId => "user_id",
        GroupId => "group_id",
        RoleId => "role_id",
        InsertedAt => "inserted_at",
    }
    default (UserId, Asc)
);

/// The order without `orderBy`.
pub(crate) const DEFAULT_ORDER: &[(&str, Direction)] =
    &[("user_id", Direction::Asc), ("id", Direction::Asc)];

/// What breaks ties after the chosen column.
const TIES: &[&str] = &["user_id", "id"];

page_row!(UserRow {
    user_id: Id, user_name: Text, email: Text, lang: Text, is_admin: Bool, is_free: Bool,
    is_active: Bool, group_id: Id, group_name: Text, role_id: Id, role_name: Text, rights: Text,
    ..tenancy,
    document_id: Text, inserted_at: Millis,
} skip {});

/// The page statement of a users query in the granted workspace `ws`.
fn statement<'q>(
    store: &Store,
    query: &'q UsersQuery,
    ws: i64,
    integrations: Option<&'q [String]>,
    (limit, offset): (i64, i64),
) -> PagedQuery<'q> {
    let f = &query.filter;
    let mut w = Where::new();
    w.tenancy(ws, integrations);
    w.in_ints("user_id", &f.user_id);
    if let Some(email) = &f.email {
        w.cond(
            "LOWER(email) = ?".to_owned(),
            Arg::string(normalize::email(email)),
        );
    }
    w.in_ints("group_id", &f.group_id);
    w.in_ints("role_id", &f.role_id);
    if let Some(active) = f.is_active {
        w.eq_bool("is_active", active);
    }
    if let Some(admin) = f.is_admin {
        w.eq_bool("is_admin", admin);
    }
    let primary = query
        .order
        .map(|(order, direction)| (order.column(), direction));
    let terms = order_terms(primary, DEFAULT_ORDER, TIES);
    store.paged_statement::<UserRow>("users", w, &terms, limit, offset)
}

/// `users` as a [`Resource`].
pub(crate) struct Users;

impl Resource for Users {
    type Query = UsersQuery;
    type Row = UserRow;

    fn page(query: &UsersQuery) -> PageRequest {
        query.page
    }

    async fn paged(
        store: &Store,
        grant: &Grant,
        query: &UsersQuery,
    ) -> Result<PagedQuery<'static>, StoreError> {
        let page = check_page(query.page)?;
        let (ws, integrations) = store.authorize(grant, &query.scope).await?;
        Ok(statement(store, query, ws, integrations.as_deref(), page).into_owned())
    }
}

impl Store {
    /// One page of users of a granted workspace.
    pub async fn users(
        &self,
        grant: &Grant,
        query: &UsersQuery,
    ) -> Result<Page<UserRow>, StoreError> {
        self.page::<Users>(grant, query).await
    }

    /// [`Store::users`] as JSON: what the data API serves.
    pub async fn users_json(
        &self,
        grant: &Grant,
        query: &UsersQuery,
    ) -> Result<JsonPage, StoreError> {
        self.page_json::<Users>(grant, query).await
    }
}
