//! Schema, migrations and queries for SQLite and PostgreSQL; the only crate that knows SQL.
//!
//! [`Store`] is the whole interface: tenancy and credentials, the sync engine's writes
//! (each call one transaction, checkpoints committed with the rows they cover), leases for
//! workers, and the data API's reads, which enforce the caller's [`query::Grant`] here.
//!
//! Where things are: `resources/` has one module per served resource (its columns, order
//! columns, page row, statement and reads); `paging` and `json` are the driver-neutral halves
//! of a page read, `sqlite_read` and `pg_read` the drivers' halves; `write` the sync writes,
//! `tenancy` and `lease` the store's own records, `operator` the operator-level counts.
//! Test and benchmark helpers are behind the `testing` and `bench` features.

#[cfg(feature = "bench")]
pub mod bench;
mod db;
mod error;
mod format;
mod history;
mod json;
mod keys;
mod lease;
mod model;
mod normalize;
mod operator;
mod paging;
mod pg_read;
pub mod query;
mod resources;
pub mod rows;
mod sqlite_read;
mod tenancy;
#[cfg(any(test, feature = "testing", feature = "bench"))]
pub mod testing;
mod wal;
mod write;

use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub use db::Backend;
pub use error::StoreError;
pub use format::{unix_millis_to_rfc3339, unix_seconds_to_rfc3339};
pub use history::{LeadHistory, LeadLifeEvent, LeadState, LeadStay, LifeKind, StatusMove};
pub use keys::Keys;
pub use model::{
    Checkpoint, DeletedRef, EntityCounts, EntityKind, Integration, IntegrationAuth, NewCredentials,
    NewIntegration, Organization, RunOutcome, RunStatus, StoredTokens, SyncRun, Workspace,
};
pub use secrecy::{ExposeSecret, SecretString};

use db::Db;
use sqlite_read::SqliteReaders;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The versions of the embedded migrations, per dialect (they must be identical).
pub fn migration_versions(backend: Backend) -> Vec<i64> {
    let migrator = match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    };
    migrator.iter().map(|m| m.version).collect()
}

/// The store: a handle on the database pools and the keys. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    keys: Keys,
    /// Workspace id -> its integer key. Keys never change once assigned (workspaces are
    /// never deleted), so a cached key is never stale.
    workspace_keys: std::sync::RwLock<std::collections::HashMap<String, i64>>,
    /// How tag filters were joined lately (see `resources::tags::SideModes`).
    side_modes: resources::tags::SideModes,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

/// Readers of a SQLite file: WAL lets them run beside the single writer. The data API's
/// pages have their own readers (see `sqlite_read`); these serve everything else.
const SQLITE_READERS: u32 = 4;
/// Page cache of each of those readers, in KiB (SQLite's negative `cache_size`).
const SQLITE_READER_CACHE_KIB: u32 = 8 * 1024;
/// Connections reading the data API's pages: a few per core keep the cores busy while one
/// waits on the disk. Measured on 2 cores (`bench api`, 8 client connections): 4 readers
/// 1,960 req/s at 90 MiB peak RSS, 6 readers 2,160 at 120 MiB, 8 readers 2,250 at 180 MiB
/// (each reader's page cache and its thread's allocator arena).
const SQLITE_PAGE_READERS: usize = 6;
const POSTGRES_CONNECTIONS: u32 = 16;

impl Store {
    /// Opens the database and brings its schema up to date.
    ///
    /// `url` is `postgres://...` / `postgresql://...`, or SQLite: `sqlite://path`,
    /// `sqlite:path`, `sqlite::memory:`, or a bare file path. A SQLite file is created if
    /// missing and runs in WAL mode with a busy timeout and foreign keys on.
    pub async fn connect(url: &str, keys: Keys) -> Result<Store, StoreError> {
        let db = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(POSTGRES_CONNECTIONS)
                .acquire_timeout(Duration::from_secs(30))
                .connect(url)
                .await?;
            POSTGRES_MIGRATIONS
                .run(&pool)
                .await
                .map_err(StoreError::Migration)?;
            Db::Postgres {
                pool,
                pages: Default::default(),
            }
        } else {
            open_sqlite(url).await?
        };
        Ok(Store {
            inner: Arc::new(Inner {
                db,
                keys,
                workspace_keys: Default::default(),
                side_modes: Default::default(),
            }),
        })
    }

    /// Which database this store runs on.
    pub fn backend(&self) -> Backend {
        self.inner.db.backend()
    }

    pub(crate) fn db(&self) -> &Db {
        &self.inner.db
    }

    pub(crate) fn keys(&self) -> &Keys {
        &self.inner.keys
    }

    /// The integer key of a workspace, `None` if it does not exist.
    pub(crate) async fn workspace_key(
        &self,
        workspace_id: &str,
    ) -> Result<Option<i64>, StoreError> {
        if let Ok(cache) = self.inner.workspace_keys.read()
            && let Some(key) = cache.get(workspace_id)
        {
            return Ok(Some(*key));
        }
        #[derive(sqlx::FromRow)]
        struct Record {
            key: i64,
        }
        let row: Option<Record> = self
            .db()
            .fetch_optional(
                "SELECT key FROM workspaces WHERE id = ?",
                vec![db::Arg::str(workspace_id)],
            )
            .await?;
        if let Some(row) = &row
            && let Ok(mut cache) = self.inner.workspace_keys.write()
        {
            cache.insert(workspace_id.to_owned(), row.key);
        }
        Ok(row.map(|r| r.key))
    }

    /// Refreshes the planner's statistics. Worth calling after a large sync: SQLite in
    /// particular chooses between the per-filter indexes from these statistics (`ANALYZE`,
    /// a few seconds per million leads, during which other writes wait; reads go on). On
    /// Postgres it is `VACUUM (ANALYZE)` of the row tables: the vacuum marks freshly written
    /// pages all-visible, without which the paging subqueries' index-only scans still visit
    /// the table (autovacuum gets there too, later).
    pub async fn analyze(&self) -> Result<(), StoreError> {
        let sql = match self.backend() {
            Backend::Sqlite => "ANALYZE",
            Backend::Postgres => {
                "VACUUM (ANALYZE) leads, lead_tags, contacts, contact_tags, contact_emails, contact_phones, \
                 contact_leads, pipelines, users, companies, company_tags, company_emails, company_phones, \
                 company_contacts, company_leads, tasks, lead_status_changes, lead_life_events, lead_stages"
            }
        };
        self.db().execute(sql, vec![]).await?;
        Ok(())
    }

    /// Closes the pools (waits for connections in use to be returned).
    pub async fn close(&self) {
        match &self.inner.db {
            Db::Sqlite {
                writer,
                reader,
                checkpointer,
                ..
            } => {
                if let Some(checkpointer) = checkpointer {
                    checkpointer.stop();
                }
                reader.close().await;
                writer.close().await;
            }
            Db::Postgres { pool, .. } => pool.close().await,
        }
    }
}

async fn open_sqlite(url: &str) -> Result<Db, StoreError> {
    let options = if url.starts_with("sqlite:") {
        SqliteConnectOptions::from_str(url)?
    } else if url.is_empty() {
        return Err(StoreError::invalid(
            "database URL",
            "empty; expected a SQLite path or a postgres:// URL",
        ));
    } else {
        SqliteConnectOptions::new().filename(url)
    };
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    let options = options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true)
        .pragma("cache_size", "-65536")
        .pragma("temp_store", "memory")
        // No memory-mapped I/O: mapped pages count towards the process's resident memory
        // (a 1M-lead sync showed 1.1 GB RSS, of which 120 MB its own), and the page cache
        // above holds what the writer touches again.
        .pragma("mmap_size", "0")
        // Checkpoint every 64 MiB of WAL rather than 4 MiB: each page of an index's hot end is
        // rewritten by many consecutive write transactions, and is copied to the database
        // once per checkpoint, so rarer checkpoints write far less. (On a file database a
        // background connection does most of the copying: see `wal`.)
        .pragma("wal_autocheckpoint", "16384")
        .pragma("journal_size_limit", "67108864");
    if in_memory {
        // One connection that never closes: an in-memory database lives only as long as
        // its last connection, and shared-cache readers would hit table locks anyway.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        SQLITE_MIGRATIONS
            .run(&pool)
            .await
            .map_err(StoreError::Migration)?;
        return Ok(Db::Sqlite {
            writer: pool.clone(),
            reader: pool,
            pages: None,
            checkpointer: None,
        });
    }
    let writer = SqlitePoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(60))
        .connect_with(options.clone())
        .await?;
    SQLITE_MIGRATIONS
        .run(&writer)
        .await
        .map_err(StoreError::Migration)?;
    let pages = SqliteReaders::new(options.get_filename().to_owned(), SQLITE_PAGE_READERS);
    let checkpointer = Arc::new(wal::Checkpointer::start(options.get_filename().to_owned()));
    // The readers' page caches are small, as the page readers' are: the OS page cache holds
    // the file once for every connection, and each connection's cache is memory of its own
    // (at the writer's 64 MiB, the stays' derivation, which reads every lead's history
    // through these, took a 100k-lead sync from 116 to 269 MiB). Their temporary b-trees
    // (the sync's whole-account DISTINCT and UNION reads) spill to a file past the cache
    // rather than growing in memory with the account.
    let reader = SqlitePoolOptions::new()
        .max_connections(SQLITE_READERS)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(
            options
                .pragma("cache_size", format!("-{SQLITE_READER_CACHE_KIB}"))
                .pragma("temp_store", "file"),
        )
        .await?;
    Ok(Db::Sqlite {
        writer,
        reader,
        pages: Some(pages),
        checkpointer: Some(checkpointer),
    })
}

/// The stable `document_id` of a row: a UUID v5 of the integration, the resource and the
/// Kommo id(s), so the same object always gets the same id, on any machine.
/// `resource` is `lead`, `contact`, `pipeline` (ids: pipeline, status) or `user`.
pub fn document_id(integration_id: &str, resource: &str, ids: &[i64]) -> String {
    // A fixed namespace for this project (a v4 UUID generated once).
    const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6f1c_2a3e_9b7d_4c55_8e21_5d0a_7b3f_c419);
    let mut name = String::with_capacity(integration_id.len() + resource.len() + 24);
    name.push_str(integration_id);
    name.push('/');
    name.push_str(resource);
    for id in ids {
        name.push('/');
        name.push_str(&id.to_string());
    }
    uuid::Uuid::new_v5(&NAMESPACE, name.as_bytes()).to_string()
}

pub(crate) fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub(crate) fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_ids_are_stable_and_distinct() {
        let a = document_id("int-1", "lead", &[42]);
        assert_eq!(a, document_id("int-1", "lead", &[42]));
        assert_ne!(a, document_id("int-2", "lead", &[42]));
        assert_ne!(a, document_id("int-1", "contact", &[42]));
        assert_ne!(
            document_id("int-1", "pipeline", &[1, 142]),
            document_id("int-1", "pipeline", &[1, 143])
        );
    }

    #[test]
    fn both_dialects_have_the_same_migration_versions() {
        let sqlite = migration_versions(Backend::Sqlite);
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, migration_versions(Backend::Postgres));
    }
}
