//! Test support for this crate and the crates above it: a [`Store`] on a fresh SQLite file,
//! or on a fresh Postgres schema when `KOMMO_DATA_TEST_POSTGRES_URL` is set, so tests can
//! run in parallel on one Postgres database without seeing each other's rows; and, with the
//! `testing` feature, `Store::all_lead_rows` & co. (every stored row of an integration,
//! without a grant).
//!
//! Compiled with the `testing` feature (the dev-dependencies of the crates whose tests use
//! it) or the `bench` feature (the benchmarks' scratch stores), never into the library
//! otherwise.

use std::path::PathBuf;

use sqlx::Connection as _;
use sqlx::postgres::PgConnection;

use crate::{Keys, Store, StoreError};

#[cfg(feature = "testing")]
mod stored;

/// The environment variable naming the Postgres database tests may use.
pub const POSTGRES_URL_VAR: &str = "KOMMO_DATA_TEST_POSTGRES_URL";

/// Says on the terminal that the calling test skipped its Postgres part, past the test
/// harness's output capture (which takes only the `print!` family), so that a run without
/// Postgres shows what it did not prove instead of passing as "ok" in silence.
pub fn announce_postgres_skip() {
    use std::io::Write as _;
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    // Nothing to do when the terminal is gone.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED on Postgres: {test} ({POSTGRES_URL_VAR} is not set)"
    );
}

/// A store made for one test. Call [`TestStore::cleanup`] at the end to remove its file or schema.
#[derive(Debug)]
pub struct TestStore {
    pub store: Store,
    /// The URL the store was opened with (another `Store::connect` on it sees the same data).
    pub url: String,
    /// The keys the store was opened with.
    pub keys: Keys,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    File(PathBuf),
    Schema { admin_url: String, schema: String },
}

impl TestStore {
    /// A store on a new SQLite file in the temporary directory.
    pub async fn sqlite(keys: Keys) -> Result<TestStore, StoreError> {
        let path = std::env::temp_dir().join(format!(
            "kommo-store-test-{}.sqlite",
            uuid::Uuid::new_v4().simple()
        ));
        let url = path.to_string_lossy().into_owned();
        let store = Store::connect(&url, keys.clone()).await?;
        Ok(TestStore {
            store,
            url,
            keys,
            cleanup: Cleanup::File(path),
        })
    }

    /// A store on a new schema of the database in `KOMMO_DATA_TEST_POSTGRES_URL`, or `None`
    /// when the variable is not set.
    pub async fn postgres(keys: Keys) -> Result<Option<TestStore>, StoreError> {
        let Ok(admin_url) = std::env::var(POSTGRES_URL_VAR) else {
            return Ok(None);
        };
        let schema = format!("test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&admin_url).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut admin)
            .await?;
        admin.close().await?;
        let separator = if admin_url.contains('?') { '&' } else { '?' };
        let url = format!("{admin_url}{separator}options=-c%20search_path%3D{schema}");
        let store = Store::connect(&url, keys.clone()).await?;
        Ok(Some(TestStore {
            store,
            url,
            keys,
            cleanup: Cleanup::Schema { admin_url, schema },
        }))
    }

    /// Closes the store and removes its file or schema.
    pub async fn cleanup(self) -> Result<(), StoreError> {
        self.store.close().await;
        match self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut name = path.clone().into_os_string();
                    name.push(suffix);
                    let _ = std::fs::remove_file(PathBuf::from(name));
                }
            }
            Cleanup::Schema { admin_url, schema } => {
                let mut admin = PgConnection::connect(&admin_url).await?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                    .execute(&mut admin)
                    .await?;
                admin.close().await?;
            }
        }
        Ok(())
    }
}
