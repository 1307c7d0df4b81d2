//! One thin layer over the two databases: pools, transactions, and binding of one argument
//! list to either driver. SQL is written once with `?` placeholders; Postgres gets `$n`.

use std::borrow::Cow;
use std::sync::Arc;

use sqlx::postgres::{PgArguments, PgPool, PgRow};
use sqlx::sqlite::{SqliteArguments, SqlitePool, SqliteRow};
use sqlx::{Arguments as _, AssertSqlSafe, FromRow, Postgres, Sqlite, Transaction};

use crate::error::StoreError;
use crate::paging::PagedQuery;
use crate::pg_read::PgPages;
use crate::resources::PageRow;
use crate::sqlite_read::{Columns, SqliteReaders};

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// One bound value.
#[derive(Debug, Clone)]
pub(crate) enum Arg<'a> {
    Int(Option<i64>),
    Text(Option<Cow<'a, str>>),
    Bool(bool),
    Bytes(Option<Vec<u8>>),
}

impl<'a> Arg<'a> {
    pub(crate) fn int(value: i64) -> Self {
        Arg::Int(Some(value))
    }
    pub(crate) fn str(value: &'a str) -> Self {
        Arg::Text(Some(Cow::Borrowed(value)))
    }
    pub(crate) fn opt_str(value: Option<&'a str>) -> Self {
        Arg::Text(value.map(Cow::Borrowed))
    }
    pub(crate) fn string(value: String) -> Self {
        Arg::Text(Some(Cow::Owned(value)))
    }
    pub(crate) fn into_owned(self) -> Arg<'static> {
        match self {
            Arg::Int(v) => Arg::Int(v),
            Arg::Text(v) => Arg::Text(v.map(|text| Cow::Owned(text.into_owned()))),
            Arg::Bool(v) => Arg::Bool(v),
            Arg::Bytes(v) => Arg::Bytes(v),
        }
    }
}

/// Rows that decode from both drivers (anything deriving `sqlx::FromRow` with portable types).
pub(crate) trait Record:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}
impl<T> Record for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

/// The pools. SQLite has one writer connection (SQLite admits one writer at a time; queueing
/// in the pool is cheaper than `SQLITE_BUSY` retries) and several readers, which WAL lets
/// run beside the writer; the data API's pages are read by `pages` (none for an in-memory
/// database, which only its own connection can see).
#[derive(Debug, Clone)]
pub(crate) enum Db {
    Sqlite {
        writer: SqlitePool,
        reader: SqlitePool,
        pages: Option<Arc<SqliteReaders>>,
        /// Checkpoints the WAL of a file database (see `wal`).
        checkpointer: Option<Arc<crate::wal::Checkpointer>>,
    },
    Postgres {
        pool: PgPool,
        pages: Arc<PgPages>,
    },
}

/// Rewrites `?` placeholders as `$1, $2, ...`. The SQL of this crate never has a `?` inside
/// a literal, so no quoting has to be tracked.
pub(crate) fn pg_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + sql.len() / 8);
    let mut n = 0u32;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

fn sqlite_args(args: Vec<Arg<'_>>) -> Result<SqliteArguments, sqlx::Error> {
    let mut out = SqliteArguments::default();
    for arg in args {
        let added = match arg {
            Arg::Int(v) => out.add(v),
            Arg::Text(v) => out.add(v),
            Arg::Bool(v) => out.add(v),
            Arg::Bytes(v) => out.add(v),
        };
        added.map_err(sqlx::Error::Encode)?;
    }
    Ok(out)
}

pub(crate) fn pg_args(args: Vec<Arg<'_>>) -> Result<PgArguments, sqlx::Error> {
    let mut out = PgArguments::default();
    for arg in args {
        let added = match arg {
            Arg::Int(v) => out.add(v),
            Arg::Text(v) => out.add(v.as_deref()),
            Arg::Bool(v) => out.add(v),
            Arg::Bytes(v) => out.add(v),
        };
        added.map_err(sqlx::Error::Encode)?;
    }
    Ok(out)
}

macro_rules! run_sqlite {
    ($method:ident, $exec:expr, $sql:expr, $args:expr) => {
        sqlx::query_as_with::<Sqlite, _, _>(AssertSqlSafe($sql.to_owned()), sqlite_args($args)?)
            .$method($exec)
            .await
    };
}
macro_rules! run_pg {
    ($method:ident, $exec:expr, $sql:expr, $args:expr) => {
        sqlx::query_as_with::<Postgres, _, _>(AssertSqlSafe(pg_placeholders($sql)), pg_args($args)?)
            .$method($exec)
            .await
    };
}
macro_rules! exec_sqlite {
    ($exec:expr, $sql:expr, $args:expr) => {
        sqlx::query_with::<Sqlite, _>(AssertSqlSafe($sql.to_owned()), sqlite_args($args)?)
            .execute($exec)
            .await
            .map(|r| r.rows_affected())
    };
}
macro_rules! exec_pg {
    ($exec:expr, $sql:expr, $args:expr) => {
        sqlx::query_with::<Postgres, _>(AssertSqlSafe(pg_placeholders($sql)), pg_args($args)?)
            .execute($exec)
            .await
            .map(|r| r.rows_affected())
    };
}

impl Db {
    pub(crate) fn backend(&self) -> Backend {
        match self {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres { .. } => Backend::Postgres,
        }
    }

    /// Starts a write transaction. On SQLite it is `BEGIN IMMEDIATE`: the write lock is taken
    /// up front, so a transaction that reads before it writes cannot deadlock with another
    /// process's writer (it waits on `busy_timeout` instead).
    pub(crate) async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite { writer, .. } => Tx::Sqlite(writer.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres { pool, .. } => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Starts a transaction for the sync engine's rows. On Postgres its commit does not wait
    /// for the WAL flush (`synchronous_commit = off`): a crash may lose the last moments of
    /// commits, but each lost commit takes its checkpoint with it, so the sync resumes from
    /// an earlier checkpoint and fetches those rows again; nothing is lost or duplicated.
    /// (SQLite's `synchronous = NORMAL` in WAL mode makes the same trade.) Its statements are
    /// planned for their values each time (`plan_cache_mode = force_custom_plan`): a generic
    /// plan cached while a table was nearly empty (the first batches of stays, say) is a
    /// sequential scan, which Postgres would keep using, a second a batch, once the table is
    /// large and until its statistics are refreshed (never, without autovacuum).
    pub(crate) async fn begin_sync_write(&self) -> Result<Tx, sqlx::Error> {
        let mut tx = self.begin().await?;
        if let Tx::Postgres(pg) = &mut tx {
            sqlx::raw_sql(
                "SET LOCAL synchronous_commit = off; SET LOCAL plan_cache_mode = force_custom_plan",
            )
            .execute(&mut **pg)
            .await?;
        }
        Ok(tx)
    }

    /// A read outside any transaction (SQLite: on a reader connection).
    pub(crate) async fn fetch_all<T: Record>(
        &self,
        sql: &str,
        args: Vec<Arg<'_>>,
    ) -> Result<Vec<T>, sqlx::Error> {
        match self {
            Db::Sqlite { reader, .. } => run_sqlite!(fetch_all, reader, sql, args),
            Db::Postgres { pool, .. } => run_pg!(fetch_all, pool, sql, args),
        }
    }

    /// A read of the data API: on SQLite by the page readers when there are any.
    pub(crate) async fn fetch_rows<T: Record + PageRow>(
        &self,
        sql: &str,
        args: Vec<Arg<'_>>,
    ) -> Result<Vec<T>, StoreError> {
        match self {
            Db::Sqlite {
                pages: Some(pages), ..
            } => pages
                .fetch_all(sql, args)
                .await
                .map_err(StoreError::SqliteRead),
            _ => Ok(self.fetch_all(sql, args).await?),
        }
    }

    /// A summary of the data API: every row of `sql` folded into `state` as it is read,
    /// never collected (SQLite: by the page readers when there are any, decoding with
    /// `decode_sqlite`; otherwise streamed through sqlx).
    pub(crate) async fn fold_rows<T: Record + 'static, S: Send + 'static>(
        &self,
        sql: &str,
        args: Vec<Arg<'_>>,
        mut state: S,
        decode_sqlite: fn(&mut Columns<'_, '_>) -> Result<T, rusqlite::Error>,
        step: fn(&mut S, T),
    ) -> Result<S, StoreError> {
        use futures::TryStreamExt as _;
        match self {
            Db::Sqlite {
                pages: Some(pages), ..
            } => pages
                .fold(sql, args, state, decode_sqlite, step)
                .await
                .map_err(StoreError::SqliteRead),
            Db::Sqlite { reader, .. } => {
                let mut rows = sqlx::query_as_with::<Sqlite, T, _>(
                    AssertSqlSafe(sql.to_owned()),
                    sqlite_args(args)?,
                )
                .fetch(reader);
                while let Some(row) = rows.try_next().await? {
                    step(&mut state, row);
                }
                Ok(state)
            }
            Db::Postgres { pool, .. } => {
                let mut rows = sqlx::query_as_with::<Postgres, T, _>(
                    AssertSqlSafe(pg_placeholders(sql)),
                    pg_args(args)?,
                )
                .fetch(pool);
                while let Some(row) = rows.try_next().await? {
                    step(&mut state, row);
                }
                Ok(state)
            }
        }
    }

    /// A page of the data API (its rows and the next one, if any).
    pub(crate) async fn fetch_page<T: Record + PageRow>(
        &self,
        query: &PagedQuery<'_>,
    ) -> Result<Vec<T>, StoreError> {
        match self {
            Db::Sqlite {
                pages: Some(pages), ..
            } => pages
                .fetch_page(query)
                .await
                .map_err(StoreError::SqliteRead),
            Db::Postgres { pool, pages } => Ok(pages.fetch_page(pool, query).await?),
            Db::Sqlite { pages: None, .. } => Ok(self
                .fetch_all(&query.offset_statement(false), query.offset_args())
                .await?),
        }
    }

    /// A page of the data API as the text of a JSON array of its rows, and whether a next
    /// page exists. The page readers of both databases write the JSON from the columns; an
    /// in-memory SQLite database's rows are decoded and serialised (the same text: see
    /// `json`).
    pub(crate) async fn fetch_page_json<T: Record + PageRow + serde::Serialize>(
        &self,
        query: &PagedQuery<'_>,
    ) -> Result<(Vec<u8>, bool), StoreError> {
        match self {
            Db::Sqlite {
                pages: Some(pages), ..
            } => pages
                .fetch_page_json::<T>(query)
                .await
                .map_err(StoreError::SqliteRead),
            Db::Postgres { pool, pages } => Ok(pages.fetch_page_json::<T>(pool, query).await?),
            Db::Sqlite { pages: None, .. } => {
                let mut rows: Vec<T> = self.fetch_page(query).await?;
                let limit = usize::try_from(query.limit).unwrap_or(usize::MAX);
                let has_next = rows.len() > limit;
                rows.truncate(limit);
                let json = serde_json::to_vec(&rows).map_err(StoreError::Json)?;
                Ok((json, has_next))
            }
        }
    }

    pub(crate) async fn fetch_optional<T: Record>(
        &self,
        sql: &str,
        args: Vec<Arg<'_>>,
    ) -> Result<Option<T>, sqlx::Error> {
        match self {
            Db::Sqlite { reader, .. } => run_sqlite!(fetch_optional, reader, sql, args),
            Db::Postgres { pool, .. } => run_pg!(fetch_optional, pool, sql, args),
        }
    }

    /// A single write statement in its own transaction (SQLite: on the writer connection).
    pub(crate) async fn execute(&self, sql: &str, args: Vec<Arg<'_>>) -> Result<u64, sqlx::Error> {
        match self {
            Db::Sqlite { writer, .. } => exec_sqlite!(writer, sql, args),
            Db::Postgres { pool, .. } => exec_pg!(pool, sql, args),
        }
    }

    /// A single write statement that returns rows (`... RETURNING`).
    pub(crate) async fn write_fetch_optional<T: Record>(
        &self,
        sql: &str,
        args: Vec<Arg<'_>>,
    ) -> Result<Option<T>, sqlx::Error> {
        match self {
            Db::Sqlite { writer, .. } => run_sqlite!(fetch_optional, writer, sql, args),
            Db::Postgres { pool, .. } => run_pg!(fetch_optional, pool, sql, args),
        }
    }
}

/// An open write transaction; dropped without `commit` it rolls back.
#[derive(Debug)]
pub(crate) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub(crate) async fn execute(
        &mut self,
        sql: &str,
        args: Vec<Arg<'_>>,
    ) -> Result<u64, sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => exec_sqlite!(&mut **tx, sql, args),
            Tx::Postgres(tx) => exec_pg!(&mut **tx, sql, args),
        }
    }

    pub(crate) async fn fetch_all<T: Record>(
        &mut self,
        sql: &str,
        args: Vec<Arg<'_>>,
    ) -> Result<Vec<T>, sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => run_sqlite!(fetch_all, &mut **tx, sql, args),
            Tx::Postgres(tx) => run_pg!(fetch_all, &mut **tx, sql, args),
        }
    }

    pub(crate) async fn fetch_optional<T: Record>(
        &mut self,
        sql: &str,
        args: Vec<Arg<'_>>,
    ) -> Result<Option<T>, sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => run_sqlite!(fetch_optional, &mut **tx, sql, args),
            Tx::Postgres(tx) => run_pg!(fetch_optional, &mut **tx, sql, args),
        }
    }

    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }
}

/// `(?, ?, ?), (?, ?, ?)`: `rows` groups of `width` placeholders.
pub(crate) fn values_groups(rows: usize, width: usize) -> String {
    let mut group = String::with_capacity(width * 3 + 2);
    group.push('(');
    for i in 0..width {
        if i > 0 {
            group.push_str(", ");
        }
        group.push('?');
    }
    group.push(')');
    let mut out = String::with_capacity(rows * (group.len() + 2));
    for i in 0..rows {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&group);
    }
    out
}

/// `?, ?, ?` for an `IN (...)` list.
pub(crate) fn placeholders(n: usize) -> String {
    let mut out = String::with_capacity(n * 3);
    for i in 0..n {
        if i > 0 {
            out.push_str(", ");
        }
        out.push('?');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_placeholders_are_numbered_in_order() {
        assert_eq!(
            pg_placeholders("a = ? AND b IN (?, ?)"),
            "a = $1 AND b IN ($2, $3)"
        );
        assert_eq!(values_groups(2, 2), "(?, ?), (?, ?)");
        assert_eq!(placeholders(3), "?, ?, ?");
    }
}
