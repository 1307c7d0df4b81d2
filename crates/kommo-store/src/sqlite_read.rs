//! The data API's SQLite reads on plain `rusqlite` connections, each on a thread of its own.
//!
//! sqlx runs each SQLite connection on its own thread and hands every result row across a
//! channel to the async caller; on a page of 100 rows those hand-offs (and the per-column
//! copies behind them) cost more than the query. Here a whole page is read in one blocking
//! call: one thread hop per page. Both libraries link the same SQLite (`libsqlite3-sys`), so
//! these readers see the file exactly as sqlx's writer leaves it (WAL, same pragmas).
//!
//! Only the data API's reads come here; everything else stays on sqlx. Each connection
//! remembers where the pages it served start, for keyset reads of the same and next pages
//! (see `paging`).
//!
//! Each connection lives on one dedicated thread, which takes reads from a shared queue. On
//! tokio's blocking pool a connection ran on whichever thread was free, so its page cache was
//! allocated in one glibc arena and freed in another, and every arena ended up holding pieces
//! of every cache: `serve` peaked at 190 MiB under load at 1M leads, against 115 MiB when
//! `MALLOC_ARENA_MAX=2` confined it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OpenFlags, Row};

use crate::db::Arg;
use crate::json::{Cell, Cells, JsonArray, Kind};
use crate::paging::{PageStarts, PagedQuery, page_starts};
use crate::resources::PageRow;

/// Prepared statements kept per connection. A page query's text depends on which filters
/// are present (and on the length of id lists), so the data API produces a few dozen
/// distinct statements in steady use.
const STATEMENT_CACHE: usize = 128;

/// Page cache per reader connection, in KiB (SQLite's negative `cache_size`). Small on
/// purpose: the OS page cache holds the file once for all connections, and the server's
/// memory stays bounded by readers x this.
const READER_CACHE_KIB: u32 = 8 * 1024;

/// A pool of read-only connections to one SQLite file, each on its own thread.
pub(crate) struct SqliteReaders {
    path: PathBuf,
    /// Reads waiting for a connection; each reader thread takes the next one. Dropping the
    /// pool drops the sender, which ends the threads.
    jobs: std::sync::mpsc::Sender<Job>,
}

/// One read, run on a reader thread with its connection (or why the connection could not
/// be opened).
type Job = Box<dyn FnOnce(Result<&mut Reader, rusqlite::Error>) + Send>;

/// One connection and the page boundaries it has seen (see `paging`).
struct Reader {
    connection: Connection,
    /// `PRAGMA data_version` when `boundaries` were recorded: it changes on this connection
    /// whenever another connection (or process) commits, so a boundary is only used while
    /// the data it was read from is unchanged.
    data_version: i64,
    /// Where the pages this connection served start.
    boundaries: PageStarts<Shape, Vec<Value>>,
    /// Statement texts by number, so that a shape holds a number, not a kilobyte of SQL.
    statements: HashMap<String, usize>,
    /// Pages answered from a boundary (for tests and debugging).
    keyset_pages: u64,
}

/// A page query without its limit and offset: its statement's number in
/// [`Reader::statements`] and its arguments, as text.
type Shape = (usize, String);

impl std::fmt::Debug for SqliteReaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteReaders")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteReaders {
    /// The pool, with `connections` reader threads (each opens its connection on first use).
    pub(crate) fn new(path: PathBuf, connections: usize) -> Arc<Self> {
        let (sender, queue) = std::sync::mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let readers = Arc::new(SqliteReaders { path, jobs: sender });
        for n in 0..connections.max(1) {
            let queue = Arc::clone(&queue);
            let path = readers.path.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("sqlite-reader-{n}"))
                .spawn(move || reader_thread(&path, &queue));
            if let Err(error) = spawned {
                // Fewer threads only means fewer reads at once; none at all fails every read.
                tracing::warn!(%error, "could not start a SQLite reader thread");
            }
        }
        readers
    }

    /// Runs `sql` with `args` and decodes every row, on a connection of the pool.
    pub(crate) async fn fetch_all<T: PageRow>(
        self: &Arc<Self>,
        sql: &str,
        args: Vec<Arg<'_>>,
    ) -> Result<Vec<T>, rusqlite::Error> {
        let params: Vec<Value> = args.into_iter().map(owned_value).collect();
        let sql = sql.to_owned();
        self.with_reader(move |reader| {
            let mut statement = reader.connection.prepare_cached(&sql)?;
            let mut rows = statement.query(rusqlite::params_from_iter(&params))?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(T::from_sqlite(&mut Columns { row, next: 0 })?);
            }
            Ok(out)
        })
        .await
    }

    /// Runs `sql` with `args` and folds every row into `state` as it is read, on a
    /// connection of the pool: a summary computed here reads its rows once and never holds
    /// them all.
    pub(crate) async fn fold<T: 'static, S: Send + 'static>(
        self: &Arc<Self>,
        sql: &str,
        args: Vec<Arg<'_>>,
        mut state: S,
        decode: fn(&mut Columns<'_, '_>) -> Result<T, rusqlite::Error>,
        step: fn(&mut S, T),
    ) -> Result<S, rusqlite::Error> {
        let params: Vec<Value> = args.into_iter().map(owned_value).collect();
        let sql = sql.to_owned();
        self.with_reader(move |reader| {
            let mut statement = reader.connection.prepare_cached(&sql)?;
            let mut rows = statement.query(rusqlite::params_from_iter(&params))?;
            while let Some(row) = rows.next()? {
                step(&mut state, decode(&mut Columns { row, next: 0 })?);
            }
            Ok(state)
        })
        .await
    }

    /// One page (its rows plus the one after, if any), starting from a remembered boundary
    /// when this connection has one at or before the page for unchanged data.
    pub(crate) async fn fetch_page<T: PageRow>(
        self: &Arc<Self>,
        query: &PagedQuery<'_>,
    ) -> Result<Vec<T>, rusqlite::Error> {
        let page = PageStatements::new(query);
        self.with_reader(move |reader| Ok(reader.page::<Vec<T>>(&page)?.out))
            .await
    }

    /// One page written as a JSON array of rows (see `json`), without the row after it;
    /// also says whether that row exists.
    pub(crate) async fn fetch_page_json<T: PageRow>(
        self: &Arc<Self>,
        query: &PagedQuery<'_>,
    ) -> Result<(Vec<u8>, bool), rusqlite::Error> {
        let page = PageStatements::new(query);
        self.with_reader(move |reader| {
            let fetched = reader.page::<JsonRows<T>>(&page)?;
            let has_next = i64::try_from(fetched.count).is_ok_and(|n| n > page.limit);
            Ok((fetched.out.json.finish(), has_next))
        })
        .await
    }

    async fn with_reader<R: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&mut Reader) -> Result<R, rusqlite::Error> + Send + 'static,
    ) -> Result<R, rusqlite::Error> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |reader| {
            // The caller may have gone (a closed connection): its answer is simply dropped.
            drop(answer.send(reader.and_then(work)));
        });
        if self.jobs.send(job).is_err() {
            // Every reader thread is gone (none could be started).
            return Err(rusqlite::Error::InvalidQuery);
        }
        // A read that panicked dropped its answer: an error, not a panic here.
        answered.await.unwrap_or(Err(rusqlite::Error::InvalidQuery))
    }

    #[cfg(test)]
    fn open(&self) -> Result<Reader, rusqlite::Error> {
        open_reader(&self.path)
    }
}

/// A reader thread: takes reads from the queue until the pool is dropped, on a connection
/// opened at its first read (and again after a read that panicked).
fn reader_thread(path: &std::path::Path, queue: &Mutex<std::sync::mpsc::Receiver<Job>>) {
    let mut reader: Option<Reader> = None;
    loop {
        let next = queue.lock().recv();
        let Ok(job) = next else {
            return;
        };
        let opened = match reader.take() {
            Some(open) => Ok(open),
            None => open_reader(path),
        };
        match opened {
            Ok(mut open) => {
                let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    job(Ok(&mut open));
                }));
                // After a panic the connection may be mid-transaction: the next read opens
                // a fresh one.
                if ran.is_ok() {
                    reader = Some(open);
                }
            }
            Err(error) => {
                drop(std::panic::catch_unwind(std::panic::AssertUnwindSafe(
                    || {
                        job(Err(error));
                    },
                )));
            }
        }
    }
}

/// Opens one reader connection on `path`.
fn open_reader(path: &std::path::Path) -> Result<Reader, rusqlite::Error> {
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )?;
    connection.busy_timeout(Duration::from_secs(10))?;
    // `query_only`: these connections can never write, whatever SQL reaches them.
    // No `mmap_size`: mapped pages count towards the server's resident memory once per
    // connection; reads through the OS page cache cost a copy, not more memory.
    connection.execute_batch(&format!(
        "PRAGMA query_only = ON; PRAGMA cache_size = -{READER_CACHE_KIB}; \
         PRAGMA temp_store = MEMORY; PRAGMA mmap_size = 0;"
    ))?;
    // The query planner stability guarantee: a plan never depends on bound values.
    // Without it SQLite marks a statement whose plan might (LIMIT / OFFSET values, for
    // one) to be compiled again whenever those values change, which made the statement
    // cache worthless for pages (~9% of serve's CPU went to re-preparing). The plans of
    // these statements come from their shape and indexes, not from values.
    connection.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(Reader {
        connection,
        data_version: -1,
        boundaries: PageStarts::default(),
        statements: HashMap::new(),
        keyset_pages: 0,
    })
}

/// Rows allocated up front for a page (the API clamps `limit` to 5,000).
const MAX_PREALLOCATED_ROWS: usize = 5_001;

/// A page's rows, with the sort keys of its first row and of the row after it.
struct Fetched<O> {
    out: O,
    /// Rows read, the one after the page included.
    count: usize,
    first_key: Option<Vec<Value>>,
    next_key: Option<Vec<Value>>,
}

/// Where a page's rows go as they are read: decoded into row structs, or written as JSON.
pub(crate) trait PageOut: Send + 'static + Sized {
    type Row: PageRow;
    fn with_rows(rows: usize) -> Self;
    /// Takes the row at `index` of a statement that reads `limit + 1` rows.
    fn add(&mut self, row: &Row<'_>, index: usize, limit: usize) -> Result<(), rusqlite::Error>;
}

impl<T: PageRow> PageOut for Vec<T> {
    type Row = T;
    fn with_rows(rows: usize) -> Self {
        Vec::with_capacity(rows)
    }
    fn add(&mut self, row: &Row<'_>, _index: usize, _limit: usize) -> Result<(), rusqlite::Error> {
        self.push(T::from_sqlite(&mut Columns { row, next: 0 })?);
        Ok(())
    }
}

/// A page as the text of a JSON array; the row after the page is not written.
pub(crate) struct JsonRows<T> {
    json: JsonArray,
    row: std::marker::PhantomData<fn() -> T>,
}

impl<T: PageRow> PageOut for JsonRows<T> {
    type Row = T;
    fn with_rows(rows: usize) -> Self {
        JsonRows {
            json: JsonArray::with_rows(rows),
            row: std::marker::PhantomData,
        }
    }
    fn add(&mut self, row: &Row<'_>, index: usize, limit: usize) -> Result<(), rusqlite::Error> {
        if index < limit {
            self.json.push::<T, _>(row)?;
        }
        Ok(())
    }
}

/// A page read prepared for the blocking thread: owned text and values.
struct PageStatements {
    offset_sql: String,
    keyset_sql: Option<String>,
    filter_args: Vec<Value>,
    key_columns: usize,
    limit: i64,
    offset: i64,
}

impl PageStatements {
    fn new(query: &PagedQuery<'_>) -> Self {
        PageStatements {
            offset_sql: query.offset_statement(true),
            keyset_sql: query.keyset_statement(),
            filter_args: query.args.iter().cloned().map(owned_value).collect(),
            key_columns: query.order.len(),
            limit: query.limit,
            offset: query.offset,
        }
    }
}

impl Reader {
    /// A page in one read transaction, so that the data version it checks and the rows it
    /// reads come from the same snapshot (a commit between them would otherwise go unseen).
    fn page<O: PageOut>(&mut self, page: &PageStatements) -> Result<Fetched<O>, rusqlite::Error> {
        self.connection.prepare_cached("BEGIN")?.execute([])?;
        let rows = self.page_in_snapshot(page);
        // Nothing was written: COMMIT only ends the read transaction.
        let ended = self
            .connection
            .prepare_cached("COMMIT")
            .and_then(|mut commit| commit.execute([]));
        if !self.connection.is_autocommit() {
            // The connection goes back to the pool: never inside a transaction.
            self.connection.execute_batch("ROLLBACK")?;
        }
        let rows = rows?;
        ended?;
        Ok(rows)
    }

    fn page_in_snapshot<O: PageOut>(
        &mut self,
        page: &PageStatements,
    ) -> Result<Fetched<O>, rusqlite::Error> {
        let data_version: i64 = self
            .connection
            .prepare_cached("PRAGMA data_version")?
            .query_row([], |row| row.get(0))?;
        if data_version != self.data_version || self.boundaries.is_full() {
            self.forget();
            self.data_version = data_version;
        }
        let statement = match self.statements.get(&page.offset_sql) {
            Some(number) => *number,
            None => {
                let number = self.statements.len();
                self.statements.insert(page.offset_sql.clone(), number);
                number
            }
        };
        let shape = (statement, format!("{:?}", page.filter_args));
        let start = self.boundaries.nearest(&shape, page.offset);
        let fetched = match (&page.keyset_sql, start) {
            (Some(sql), Some((at, key))) => {
                let mut params = page.filter_args.clone();
                params.extend(key);
                params.push(Value::Integer(page.limit + 1));
                params.push(Value::Integer(page.offset - at));
                let fetched = self.rows::<O>(sql, &params, page)?;
                // Short: the end of the listing, or (descending) rows with a NULL leading
                // sort column, which the keyset comparison leaves out. OFFSET decides.
                let full = i64::try_from(fetched.count).is_ok_and(|n| n > page.limit);
                self.keyset_pages += u64::from(full);
                full.then_some(fetched)
            }
            _ => None,
        };
        let fetched = match fetched {
            Some(fetched) => fetched,
            None => {
                let mut params = page.filter_args.clone();
                params.push(Value::Integer(page.limit + 1));
                params.push(Value::Integer(page.offset));
                self.rows::<O>(&page.offset_sql, &params, page)?
            }
        };
        if page.keyset_sql.is_some() {
            self.remember(shape, page, &fetched);
        }
        Ok(fetched)
    }

    /// Runs a page statement. The sort keys are read only where a page starts: the first
    /// row and the one after the page.
    fn rows<O: PageOut>(
        &self,
        sql: &str,
        params: &[Value],
        page: &PageStatements,
    ) -> Result<Fetched<O>, rusqlite::Error> {
        let mut statement = self.connection.prepare_cached(sql)?;
        let mut rows = statement.query(rusqlite::params_from_iter(params))?;
        let limit = usize::try_from(page.limit).unwrap_or(usize::MAX);
        let mut out = Fetched {
            out: O::with_rows(limit.saturating_add(1).min(MAX_PREALLOCATED_ROWS)),
            count: 0,
            first_key: None,
            next_key: None,
        };
        // The sort terms' columns follow the row's.
        let key_start = O::Row::COLUMNS.len();
        while let Some(row) = rows.next()? {
            let index = out.count;
            out.out.add(row, index, limit)?;
            if index == 0 || index == limit {
                let key = (key_start..key_start + page.key_columns)
                    .map(|i| row.get::<_, Value>(i))
                    .collect::<Result<Vec<_>, _>>()?;
                if index == 0 {
                    out.first_key = Some(key);
                } else {
                    out.next_key = Some(key);
                }
            }
            out.count += 1;
        }
        Ok(out)
    }

    fn forget(&mut self) {
        self.boundaries.forget();
        self.statements.clear();
    }

    /// Remembers where this page and the next one start (see `paging::page_starts`).
    fn remember<O>(&mut self, shape: Shape, page: &PageStatements, fetched: &Fetched<O>) {
        let usable = |key: &Vec<Value>| !key.iter().any(|v| matches!(v, Value::Null));
        let mut new = page_starts(
            page.offset,
            page.limit,
            &fetched.first_key,
            &fetched.next_key,
            usable,
        )
        .peekable();
        if new.peek().is_none() {
            return;
        }
        self.boundaries.remember(shape, new);
    }
}

fn owned_value(arg: Arg<'_>) -> Value {
    match arg {
        Arg::Int(Some(v)) => Value::Integer(v),
        Arg::Text(Some(v)) => Value::Text(v.into_owned()),
        Arg::Bool(v) => Value::Integer(i64::from(v)),
        Arg::Bytes(Some(v)) => Value::Blob(v),
        Arg::Int(None) | Arg::Text(None) | Arg::Bytes(None) => Value::Null,
    }
}

/// Reads a row's columns in order: a type's decoder and its [`PageRow::COLUMNS`] list the
/// columns in the same order, so no column is looked up by name.
pub(crate) struct Columns<'r, 's> {
    row: &'r Row<'s>,
    next: usize,
}

impl Columns<'_, '_> {
    pub(crate) fn take<T: rusqlite::types::FromSql>(&mut self) -> Result<T, rusqlite::Error> {
        let value = self.row.get(self.next);
        self.next += 1;
        value
    }
}

impl Cells for Row<'_> {
    type Error = rusqlite::Error;
    fn cell(&self, column: usize, kind: Kind) -> Result<Cell<'_>, rusqlite::Error> {
        match (kind, self.get_ref(column)?) {
            (_, ValueRef::Null) => Ok(Cell::Null),
            (Kind::Text, ValueRef::Text(bytes)) => std::str::from_utf8(bytes)
                .map(Cell::Text)
                .map_err(|error| rusqlite::Error::Utf8Error(column, error)),
            (
                Kind::Id | Kind::Int | Kind::Bool | Kind::Seconds | Kind::Millis,
                ValueRef::Integer(v),
            ) => Ok(Cell::Int(v)),
            (_, other) => Err(rusqlite::Error::InvalidColumnType(
                column,
                format!("{kind:?}"),
                other.data_type(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

    use super::*;
    use crate::db::Backend;
    use crate::json::{self, WriteJson};
    use crate::query::Direction;

    struct Id(i64);

    impl PageRow for Id {
        const COLUMNS: &'static [&'static str] = &["id"];
        fn from_sqlite(c: &mut Columns<'_, '_>) -> Result<Self, rusqlite::Error> {
            Ok(Id(c.take()?))
        }
    }

    impl WriteJson for Id {
        fn write_json<R: Cells>(row: &R, out: &mut Vec<u8>) -> Result<(), R::Error> {
            json::write_field(row, out, &mut 0, "id", Kind::Int)
        }
    }

    /// Rows 1..=60 sorted by `n` (ties: n = id / 2) with a NULL tail, in a temporary file.
    fn readers() -> (tempfile::TempDir, Arc<SqliteReaders>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pages.sqlite");
        let setup = Connection::open(&path).unwrap();
        setup
            .execute_batch(
                "PRAGMA journal_mode = WAL; \
                 CREATE TABLE t (id INTEGER PRIMARY KEY, ws INTEGER NOT NULL, n INTEGER);",
            )
            .unwrap();
        for id in 1..=60_i64 {
            let n = (id <= 55).then_some(id / 2);
            setup
                .execute("INSERT INTO t (id, ws, n) VALUES (?1, 1, ?2)", (id, n))
                .unwrap();
        }
        (dir, SqliteReaders::new(path, 1))
    }

    fn page(reader: &mut Reader, offset: i64) -> Vec<i64> {
        let query = PagedQuery {
            table: "t",
            columns: Id::COLUMNS,
            filter: "ws = ?".to_owned(),
            args: vec![Arg::int(1)],
            order: vec![("n", Direction::Desc), ("id", Direction::Desc)],
            limit: 10,
            offset,
            backend: Backend::Sqlite,
        };
        let rows = reader
            .page::<Vec<Id>>(&PageStatements::new(&query))
            .unwrap()
            .out;
        rows.iter().map(|r| r.0).collect()
    }

    /// The rows OFFSET gives, on a reader that remembers nothing.
    fn by_offset(offset: i64) -> Vec<i64> {
        let (_dir, fresh) = readers();
        let mut plain = fresh.open().unwrap();
        let rows = page(&mut plain, offset);
        assert_eq!(plain.keyset_pages, 0);
        rows
    }

    #[test]
    fn remembered_boundaries_give_the_offset_rows() {
        let (_dir, readers) = readers();
        let mut reader = readers.open().unwrap();
        let offsets = [0, 10, 20, 30, 40, 50];
        for offset in offsets {
            assert_eq!(
                page(&mut reader, offset),
                by_offset(offset),
                "crawl, offset {offset}"
            );
        }
        // Each page after the first started where the one before it ended, except the last
        // one, which reaches the NULL tail (short by keyset, so read again by OFFSET).
        assert_eq!(reader.keyset_pages, 4);
        for offset in offsets {
            assert_eq!(
                page(&mut reader, offset),
                by_offset(offset),
                "again, offset {offset}"
            );
        }
        // Again: the same four (the first page is read by OFFSET 0, which costs nothing).
        assert_eq!(reader.keyset_pages, 4 + 4);
        // A page between boundaries starts from the nearest one before it.
        let before = reader.keyset_pages;
        assert_eq!(page(&mut reader, 25), by_offset(25));
        assert_eq!(reader.keyset_pages, before + 1);
    }

    #[test]
    fn a_commit_elsewhere_forgets_the_boundaries() {
        let (dir, readers) = readers();
        let mut reader = readers.open().unwrap();
        let first = page(&mut reader, 0);
        page(&mut reader, 10);
        let writer = Connection::open(dir.path().join("pages.sqlite")).unwrap();
        writer
            .execute("INSERT INTO t (id, ws, n) VALUES (100, 1, 1000)", ())
            .unwrap();
        let keyset_before = reader.keyset_pages;
        let after = page(&mut reader, 10);
        assert_eq!(
            reader.keyset_pages, keyset_before,
            "a stale boundary was used"
        );
        // The new row sorts first, so everything moved down by one.
        assert_eq!(after[0], first[9]);
    }
}
