//! Scale-out: three `kommo-data sync --worker` processes share twelve integrations through
//! store leases; one worker is killed in the middle of its runs; its integrations are taken
//! over once its leases expire, every integration ends complete and equal to its account,
//! and no simulator answered a single 429 at Kommo's 7 requests a second. On Postgres when
//! `KOMMO_DATA_TEST_POSTGRES_URL` is set (the deployment this is for), else on SQLite.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]
#![allow(
    clippy::print_stderr,
    reason = "the test reports which database it ran on"
)]

use kommo_testkit as common;

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use kommo_sim::{SimConfig, Simulator};
use kommo_store::testing::TestStore;
use kommo_store::{Keys, RunStatus};

fn worker(test: &TestStore, name: &str) -> Child {
    common::kommo_data(env!("CARGO_BIN_EXE_kommo-data"), test)
        .args([
            "sync",
            "--worker",
            "--worker-id",
            name,
            "--max-concurrent",
            "4",
            "--json",
        ])
        // A 3 s lease, so a dead worker's integrations wait at most that long; each
        // integration once, as the interval outlasts the test.
        .args(["--lease-secs", "3", "--interval-secs", "3600"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_twelve_integrations_one_killed() {
    let test = match TestStore::postgres(Keys::generate()).await.unwrap() {
        Some(pg) => pg,
        None => {
            kommo_store::testing::announce_postgres_skip();
            TestStore::sqlite(Keys::generate()).await.unwrap()
        }
    };
    let store = &test.store;
    let mut sims = Vec::new();
    let mut integrations = Vec::new();
    for i in 0..12 {
        // Kommo's real limits: each full sync takes a few seconds of paced requests.
        let sim = Simulator::start(SimConfig::default().with_leads(2_000).with_seed(200 + i))
            .await
            .unwrap();
        integrations.push(common::integration(store, &format!("acct-{i:02}"), &sim).await);
        sims.push(sim);
    }

    let mut workers = [
        worker(&test, "w1"),
        worker(&test, "w2"),
        worker(&test, "w3"),
    ];
    // Kill w1 once it holds leases and has started writing.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let held = store
            .integrations()
            .await
            .unwrap()
            .iter()
            .filter(|i| i.lease_owner.as_deref() == Some("w1"))
            .count();
        let mut writing = false;
        for integration in store
            .integrations()
            .await
            .unwrap()
            .iter()
            .filter(|i| i.lease_owner.as_deref() == Some("w1"))
        {
            writing |= store
                .checkpoint(&integration.id, "leads")
                .await
                .unwrap()
                .is_some();
        }
        if held > 0 && writing {
            break;
        }
        assert!(Instant::now() < deadline, "w1 never took an integration");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let orphaned: Vec<String> = store
        .integrations()
        .await
        .unwrap()
        .into_iter()
        .filter(|i| i.lease_owner.as_deref() == Some("w1"))
        .map(|i| i.id)
        .collect();
    assert!(!orphaned.is_empty(), "w1 held leases when it was killed");
    workers[0].kill().unwrap();
    workers[0].wait().unwrap();
    let killed_at = chrono::Utc::now().timestamp_millis();

    // Every integration ends with a successful run and complete streams.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let mut done = 0;
        for integration in &integrations {
            let ok = store
                .runs(&integration.id, 5)
                .await
                .unwrap()
                .iter()
                .any(|r| r.status == RunStatus::Ok);
            let complete = store
                .checkpoint(&integration.id, "contacts:deleted")
                .await
                .unwrap()
                .is_some_and(|c| c.full_sync_done);
            done += usize::from(ok && complete);
        }
        if done == integrations.len() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {done} of 12 integrations completed"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    for w in workers.iter_mut().skip(1) {
        w.kill().unwrap();
        w.wait().unwrap();
    }

    // The orphaned integrations were taken over: the killed worker's run stays as it was
    // left, and a run started after the kill (so by a survivor) finished them.
    for id in &orphaned {
        let runs = store.runs(id, 5).await.unwrap();
        assert!(
            runs.iter()
                .any(|r| r.status == RunStatus::Running && r.started_at < killed_at),
            "{id}: the killed worker's run stays as it was left: {runs:?}"
        );
        assert!(
            runs.iter()
                .any(|r| r.status == RunStatus::Ok && r.started_at >= killed_at),
            "{id}: no survivor finished it after the kill: {runs:?}"
        );
    }
    for (sim, integration) in sims.iter().zip(&integrations) {
        // Twelve simulators, three workers and the database saturate this machine's two
        // cores, so requests reach the simulators late by varying amounts; the pacer holds
        // each request's place in the window until it is answered, so none crowds a second.
        let counters = sim.control().counters();
        assert_eq!(
            counters.rate_limited, 0,
            "{}: 429s (orphaned: {orphaned:?}): {counters:?}",
            integration.id
        );
        common::assert_store_matches(store, integration, sim).await;
    }
    eprintln!(
        "{} integrations taken over from the killed worker",
        orphaned.len()
    );
    test.cleanup().await.unwrap();
}
