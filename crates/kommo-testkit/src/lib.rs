//! Test support shared by the integration tests of the crates above the store: stores on
//! both databases, integrations pointing at simulators, and the oracle that checks a store
//! against the simulator's ground truth ([`oracle`]).
//!
//! Only ever a dev-dependency: nothing here is part of the product.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test support: a set-up that fails is a failed test, said where it happened"
)]

pub mod history;
pub mod oracle;

use kommo_sim::RunningSimulator;
use kommo_store::testing::{TestStore, announce_postgres_skip};
use kommo_store::{Integration, IntegrationAuth, Keys, NewIntegration, SecretString, Store};

pub use history::{assert_funnel_matches, assert_history_matches};
pub use oracle::assert_store_matches;

pub const ORG: &str = "org-1";
pub const WORKSPACE: &str = "ws-1";

/// A SQLite store, and a Postgres one when `KOMMO_DATA_TEST_POSTGRES_URL` is set (else the
/// skip is announced on the terminal, past the harness's capture).
pub async fn stores() -> Vec<(&'static str, TestStore)> {
    let mut out = vec![("sqlite", TestStore::sqlite(Keys::generate()).await.unwrap())];
    match TestStore::postgres(Keys::generate()).await.unwrap() {
        Some(pg) => out.push(("postgres", pg)),
        None => announce_postgres_skip(),
    }
    out
}

/// The organization and workspace every test integration lives in.
pub async fn tenancy(store: &Store) {
    if store
        .organizations()
        .await
        .unwrap()
        .iter()
        .all(|o| o.id != ORG)
    {
        store.create_organization(ORG, "Org").await.unwrap();
        store
            .create_workspace(ORG, WORKSPACE, "Workspace")
            .await
            .unwrap();
    }
}

/// An integration syncing `sim` with its ready long-lived token, at Kommo's 7 requests a
/// second.
pub async fn integration(store: &Store, id: &str, sim: &RunningSimulator) -> Integration {
    integration_at(store, id, &sim.base_url(), &sim.access_token()).await
}

pub async fn integration_at(store: &Store, id: &str, base_url: &str, token: &str) -> Integration {
    tenancy(store).await;
    store
        .create_integration(NewIntegration {
            id: id.to_owned(),
            workspace_id: WORKSPACE.to_owned(),
            base_url: base_url.to_owned(),
            auth: IntegrationAuth::LongLivedToken(SecretString::from(token.to_owned())),
            rate_limit_per_second: 7,
        })
        .await
        .unwrap()
}

/// Far above anything a test sends, and small enough that the limiter's window stays small.
const NO_LIMIT: std::num::NonZeroU32 = match std::num::NonZeroU32::new(10_000) {
    Some(rate) => rate,
    None => std::num::NonZeroU32::MIN,
};

/// A client of `sim` with no rate limit, for a test's own reads and writes (never the
/// client under test).
pub fn api_client(sim: &RunningSimulator) -> kommo::Client {
    kommo::Client::builder(sim.base_url())
        .long_lived_token(sim.access_token())
        .rate_limiter(kommo::RateLimiter::new(NO_LIMIT))
        .build()
        .unwrap()
}

/// A command running the `kommo-data` binary at `binary` on `test`'s database and key,
/// quiet (no log, no progress bars with `--json`).
pub fn kommo_data(binary: &str, test: &TestStore) -> std::process::Command {
    let mut command = std::process::Command::new(binary);
    command
        .env("KOMMO_DATA_DATABASE_URL", &test.url)
        .env("KOMMO_DATA_SECRET_KEY", test.keys.to_base64())
        .env("RUST_LOG", "off");
    command
}
