//! The data API's Postgres page reads, starting from page boundaries remembered per database
//! snapshot (see `paging` for why, `sqlite_read` for the SQLite counterpart).
//!
//! A boundary is only valid for the data it was read from. Postgres tells exactly that: each
//! page statement also selects `pg_current_snapshot()`, the snapshot the statement read under,
//! and two statements under textually equal snapshots saw the same committed transactions,
//! hence the same rows. Boundaries are kept for one snapshot at a time, shared by the whole
//! pool; a keyset read whose own snapshot differs from the boundary's is discarded and the
//! page is read by OFFSET. Any write to the cluster (a sync page, another application)
//! starts a new snapshot, so the memory pays off between writes and costs one extra column
//! otherwise.

use parking_lot::Mutex;
use sqlx::postgres::{PgPool, PgRow};
use sqlx::{AssertSqlSafe, Decode, Postgres, Row as _, Type, ValueRef as _};

use crate::db::{Arg, Record, pg_args, pg_placeholders};
use crate::json::{Cell, Cells, JsonArray, Kind, WriteJson};
use crate::paging::{PageStarts, PagedQuery, page_starts};

/// The boundary memory of one Postgres pool.
#[derive(Debug, Default)]
pub(crate) struct PgPages {
    memory: Mutex<Memory>,
}

#[derive(Debug, Default)]
struct Memory {
    /// The snapshot (`pg_current_snapshot()::text`) every boundary below was read under.
    snapshot: String,
    /// Where served pages start, per query shape (statement and arguments, as text).
    boundaries: PageStarts<String, Vec<i64>>,
    /// Pages answered from a boundary (for tests).
    keyset_pages: u64,
}

/// Rows of one page statement, with the sort keys where pages start and the snapshot.
struct Fetched {
    rows: Vec<PgRow>,
    first_key: Option<Vec<i64>>,
    next_key: Option<Vec<i64>>,
    snapshot: Option<String>,
}

impl PgPages {
    /// One page (its rows plus the one after, if any), decoded.
    pub(crate) async fn fetch_page<T: Record>(
        &self,
        pool: &PgPool,
        query: &PagedQuery<'_>,
    ) -> Result<Vec<T>, sqlx::Error> {
        let rows = self.fetch_page_rows(pool, query).await?;
        rows.iter().map(T::from_row).collect()
    }

    /// One page as the text of a JSON array of its rows (see `json`), and whether a next
    /// page exists.
    pub(crate) async fn fetch_page_json<T: WriteJson>(
        &self,
        pool: &PgPool,
        query: &PagedQuery<'_>,
    ) -> Result<(Vec<u8>, bool), sqlx::Error> {
        let rows = self.fetch_page_rows(pool, query).await?;
        let limit = usize::try_from(query.limit).unwrap_or(usize::MAX);
        let mut json = JsonArray::with_rows(rows.len().min(limit));
        for row in rows.iter().take(limit) {
            json.push::<T, _>(row)?;
        }
        Ok((json.finish(), rows.len() > limit))
    }

    /// The page's rows as Postgres sent them: by keyset from a remembered boundary of the
    /// same snapshot, else by OFFSET.
    async fn fetch_page_rows(
        &self,
        pool: &PgPool,
        query: &PagedQuery<'_>,
    ) -> Result<Vec<PgRow>, sqlx::Error> {
        let offset_sql = query.offset_statement(true);
        let shape = format!("{offset_sql}\n{:?}", query.args);
        let keyset_sql = query.keyset_statement();
        let start = keyset_sql
            .as_ref()
            .and_then(|_| self.start(&shape, query.offset));
        if let (Some(sql), Some((at, key, snapshot))) = (&keyset_sql, start) {
            let mut args = query.args.clone();
            args.extend(key.into_iter().map(Arg::int));
            args.push(Arg::int(query.limit + 1));
            args.push(Arg::int(query.offset - at));
            let fetched = fetch(pool, sql, args, query).await?;
            // Short: the end of the listing, or rows with a NULL leading sort column, which
            // the keyset comparison leaves out. Another snapshot: the boundary may be stale.
            // Either way OFFSET decides.
            let full = i64::try_from(fetched.rows.len()).is_ok_and(|n| n > query.limit);
            if full && fetched.snapshot.as_deref() == Some(snapshot.as_str()) {
                self.memory.lock().keyset_pages += 1;
                self.remember(shape, query, &fetched);
                return Ok(fetched.rows);
            }
        }
        let fetched = fetch(pool, &offset_sql, query.offset_args(), query).await?;
        if keyset_sql.is_some() {
            self.remember(shape, query, &fetched);
        }
        Ok(fetched.rows)
    }

    /// The nearest remembered boundary at or before `offset`, with its snapshot.
    fn start(&self, shape: &str, offset: i64) -> Option<(i64, Vec<i64>, String)> {
        let memory = self.memory.lock();
        let (at, key) = memory.boundaries.nearest(shape, offset)?;
        Some((at, key, memory.snapshot.clone()))
    }

    /// Remembers where this page and the next one start (see `paging::page_starts`), under
    /// the page's snapshot.
    fn remember(&self, shape: String, query: &PagedQuery<'_>, fetched: &Fetched) {
        let Some(snapshot) = &fetched.snapshot else {
            return;
        };
        let mut new = page_starts(
            query.offset,
            query.limit,
            &fetched.first_key,
            &fetched.next_key,
            |_| true,
        )
        .peekable();
        if new.peek().is_none() {
            return;
        }
        let mut memory = self.memory.lock();
        if memory.snapshot != *snapshot || memory.boundaries.is_full() {
            memory.boundaries.forget();
            memory.snapshot.clone_from(snapshot);
        }
        memory.boundaries.remember(shape, new);
    }

    #[cfg(test)]
    fn keyset_pages(&self) -> u64 {
        self.memory.lock().keyset_pages
    }
}

/// Runs a page statement (its columns: the row's, the sort terms', the snapshot) and reads
/// the sort keys where pages start (first row, the row after the page; `None` when a key has
/// a NULL, which the row-value comparison cannot start from) and the snapshot.
async fn fetch(
    pool: &PgPool,
    sql: &str,
    args: Vec<Arg<'_>>,
    query: &PagedQuery<'_>,
) -> Result<Fetched, sqlx::Error> {
    let rows: Vec<PgRow> = sqlx::query_with(AssertSqlSafe(pg_placeholders(sql)), pg_args(args)?)
        .fetch_all(pool)
        .await?;
    let limit = usize::try_from(query.limit).unwrap_or(usize::MAX);
    let key_start = query.columns.len();
    let key_at = |row: &PgRow| -> Result<Option<Vec<i64>>, sqlx::Error> {
        (key_start..key_start + query.order.len())
            .map(|i| row.try_get::<Option<i64>, _>(i))
            .collect::<Result<Option<Vec<i64>>, _>>()
    };
    let (first_key, snapshot) = match rows.first() {
        Some(row) => (
            key_at(row)?,
            Some(row.try_get(key_start + query.order.len())?),
        ),
        None => (None, None),
    };
    let next_key = match rows.get(limit) {
        Some(row) => key_at(row)?,
        None => None,
    };
    Ok(Fetched {
        rows,
        first_key,
        next_key,
        snapshot,
    })
}

impl Cells for PgRow {
    type Error = sqlx::Error;
    fn cell(&self, column: usize, kind: Kind) -> Result<Cell<'_>, sqlx::Error> {
        let value = self.try_get_raw(column)?;
        if value.is_null() {
            return Ok(Cell::Null);
        }
        let type_info = value.type_info().into_owned();
        let decoded = match kind {
            Kind::Text if <&str as Type<Postgres>>::compatible(&type_info) => {
                <&str as Decode<Postgres>>::decode(value).map(Cell::Text)
            }
            Kind::Bool if <bool as Type<Postgres>>::compatible(&type_info) => {
                <bool as Decode<Postgres>>::decode(value).map(|v| Cell::Int(i64::from(v)))
            }
            Kind::Id | Kind::Int | Kind::Seconds | Kind::Millis
                if <i64 as Type<Postgres>>::compatible(&type_info) =>
            {
                <i64 as Decode<Postgres>>::decode(value).map(Cell::Int)
            }
            _ => Err(format!("a {type_info} column cannot be published as {kind:?}").into()),
        };
        decoded.map_err(|source| sqlx::Error::ColumnDecode {
            index: column.to_string(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

    use super::*;
    use crate::db::Backend;
    use crate::query::Direction;

    #[derive(Debug, sqlx::FromRow)]
    struct Id {
        id: i64,
    }

    /// A fresh schema with rows 1..=60 sorted by `n` (ties: n = id / 2) and a NULL tail, or
    /// `None` without a test database.
    async fn pool() -> Option<(crate::testing::TestStore, PgPool)> {
        let store = crate::testing::TestStore::postgres(crate::Keys::generate())
            .await
            .unwrap()?;
        let pool = PgPool::connect(&store.url).await.unwrap();
        sqlx::raw_sql("CREATE TABLE t (id BIGINT PRIMARY KEY, ws BIGINT NOT NULL, n BIGINT)")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::raw_sql(
            "INSERT INTO t SELECT i, 1, CASE WHEN i <= 55 THEN i / 2 END \
             FROM generate_series(1, 60) AS i",
        )
        .execute(&pool)
        .await
        .unwrap();
        Some((store, pool))
    }

    async fn page(pages: &PgPages, pool: &PgPool, offset: i64) -> Vec<i64> {
        let query = PagedQuery {
            table: "t",
            columns: &["id"],
            filter: "ws = ?".to_owned(),
            args: vec![Arg::int(1)],
            order: vec![("n", Direction::Desc), ("id", Direction::Desc)],
            limit: 10,
            offset,
            backend: Backend::Postgres,
        };
        let rows: Vec<Id> = pages.fetch_page(pool, &query).await.unwrap();
        rows.iter().map(|r| r.id).collect()
    }

    #[tokio::test]
    async fn cells_read_each_kind_and_name_a_mismatched_column() {
        let Some((store, pool)) = pool().await else {
            crate::testing::announce_postgres_skip();
            return;
        };
        let row: PgRow = sqlx::query("SELECT 'a\"b'::text, 7::bigint, true, NULL::bigint")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(row.cell(0, Kind::Text).unwrap(), Cell::Text("a\"b"));
        assert_eq!(row.cell(1, Kind::Id).unwrap(), Cell::Int(7));
        assert_eq!(row.cell(2, Kind::Bool).unwrap(), Cell::Int(1));
        assert_eq!(row.cell(3, Kind::Seconds).unwrap(), Cell::Null);
        let error = row.cell(0, Kind::Id).unwrap_err().to_string();
        assert!(error.contains('0') && error.contains("TEXT"), "{error}");
        assert!(row.cell(1, Kind::Text).is_err());
        pool.close().await;
        store.cleanup().await.unwrap();
    }

    #[tokio::test]
    async fn remembered_boundaries_give_the_offset_rows_until_a_write() {
        let Some((store, pool)) = pool().await else {
            crate::testing::announce_postgres_skip();
            return;
        };
        let offsets = [0, 10, 20, 30, 40, 50];
        let plain = PgPages::default();
        let mut expected = Vec::new();
        for offset in offsets {
            // A memory that is forgotten before each page reads by OFFSET alone.
            *plain.memory.lock() = Memory::default();
            expected.push(page(&plain, &pool, offset).await);
        }
        assert_eq!(plain.keyset_pages(), 0);

        // Snapshots are cluster-wide: a write anywhere in the cluster (another test) during
        // a crawl rightly costs keyset pages. The counts are asserted for a quiet crawl.
        let mut quiet = None;
        for _attempt in 0..10 {
            let pages = PgPages::default();
            let snapshot = || pages.memory.lock().snapshot.clone();
            let mut snapshots = Vec::new();
            for _pass in 0..2 {
                for (offset, rows) in offsets.iter().zip(&expected) {
                    assert_eq!(&page(&pages, &pool, *offset).await, rows, "offset {offset}");
                    snapshots.push(snapshot());
                }
            }
            if snapshots.iter().all(|s| *s == snapshots[0]) {
                quiet = Some(pages);
                break;
            }
        }
        let Some(pages) = quiet else {
            panic!("the cluster never stayed quiet for a crawl");
        };
        // Each page after the first started where the one before ended, but the last, which
        // reaches the NULL tail (short by keyset, so read again by OFFSET); twice.
        assert_eq!(pages.keyset_pages(), 8);

        // A write is a new snapshot: the boundaries are not used for the changed data.
        sqlx::raw_sql("INSERT INTO t VALUES (100, 1, 1000)")
            .execute(&pool)
            .await
            .unwrap();
        let after = page(&pages, &pool, 10).await;
        assert_eq!(pages.keyset_pages(), 8, "a stale boundary was used");
        // The new row sorts first, so everything moved down by one.
        assert_eq!(after[0], expected[0][9]);
        pool.close().await;
        store.cleanup().await.unwrap();
    }
}
