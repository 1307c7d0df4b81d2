//! The scheduler `serve` runs: every integration kept current on its own interval until a
//! cancellation token fires; a run stopped that way leaves its committed pages and the next
//! run resumes from them.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use kommo_testkit as common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kommo_sim::{Activity, Faults, SimConfig, Simulator};
use kommo_store::RunStatus;
use kommo_store::testing::TestStore;
use kommo_sync::{
    Entity, Progress, ProgressEvent, RoundResult, Scheduler, SyncOptions, sync_integration,
};
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_keeps_each_integration_current_until_cancelled() {
    let a = Simulator::start(SimConfig::unlimited().with_leads(800).with_seed(31))
        .await
        .unwrap();
    let b = Simulator::start(SimConfig::unlimited().with_leads(300).with_seed(32))
        .await
        .unwrap();
    let test = TestStore::sqlite(kommo_store::Keys::generate())
        .await
        .unwrap();
    let store = &test.store;
    let ia = common::integration(store, "watch-a", &a).await;
    let ib = common::integration(store, "watch-b", &b).await;

    // (integration, succeeded, error message).
    let results: Arc<Mutex<Vec<(String, bool, String)>>> = Arc::default();
    let seen = results.clone();
    let cancel = CancellationToken::new();
    let scheduler =
        Scheduler::new(store.clone(), SyncOptions::default()).interval(Duration::from_millis(700));
    let task = tokio::spawn({
        let cancel = cancel.clone();
        async move {
            scheduler
                .run_until(cancel, |done: &[RoundResult]| {
                    let mut seen = seen.lock().unwrap();
                    seen.extend(done.iter().map(|(id, r)| {
                        let error = r.as_ref().err().map(ToString::to_string);
                        (id.clone(), r.is_ok(), error.unwrap_or_default())
                    }));
                })
                .await
        }
    });
    let runs_of = |id: &str| {
        results
            .lock()
            .unwrap()
            .iter()
            .filter(|(i, ok, _)| i == id && *ok)
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while runs_of("watch-a") < 2 || runs_of("watch-b") < 2 {
        assert!(
            Instant::now() < deadline,
            "runs so far: {:?}",
            results.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A change in A shows up at A's next run, without any call from us.
    let before = runs_of("watch-a");
    a.control().run_activity_steps(&Activity::default(), 60, 5);
    while runs_of("watch-a") < before + 2 {
        assert!(Instant::now() < deadline, "A was not synced again");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    cancel.cancel();
    task.await.unwrap().unwrap();
    common::assert_store_matches(store, &ia, &a).await;
    common::assert_store_matches(store, &ib, &b).await;
    // Only runs cut by the cancellation may fail, at most the one in flight per integration.
    let failed: Vec<_> = results
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, ok, _)| !ok)
        .cloned()
        .collect();
    for id in ["watch-a", "watch-b"] {
        assert!(
            failed.iter().filter(|(i, _, _)| i == id).count() <= 1,
            "{failed:?}"
        );
    }
    assert!(
        failed
            .iter()
            .all(|(_, _, error)| error.contains("stopped before the run finished")),
        "{failed:?}"
    );
    test.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_run_keeps_its_pages_and_the_next_one_resumes() {
    let sim = Simulator::start(SimConfig::unlimited().with_leads(5_000).with_seed(33))
        .await
        .unwrap();
    sim.control().set_faults(Faults {
        latency_ms: 40,
        ..Faults::default()
    });
    for (db, test) in common::stores().await {
        let store = &test.store;
        let integration = common::integration(store, &format!("cancel-{db}"), &sim).await;
        let cancel = CancellationToken::new();
        let trigger = cancel.clone();
        let progress = Progress::callback(move |event| {
            if let ProgressEvent::Page(p) = event
                && p.entity == Entity::Leads
                && p.pages >= 3
            {
                trigger.cancel();
            }
        });
        let options = SyncOptions {
            cancel,
            ..SyncOptions::default()
        };
        let error = sync_integration(store, &integration, &options, &progress)
            .await
            .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("stopped before the run finished"),
            "{db}: {error}"
        );
        let run = &store.runs(&integration.id, 1).await.unwrap()[0];
        assert_eq!(run.status, RunStatus::Failed, "{db}");
        assert!(
            run.leads_written >= 500,
            "{db}: the committed pages are counted: {run:?}"
        );
        let checkpoint = store
            .checkpoint(&integration.id, "leads")
            .await
            .unwrap()
            .unwrap();
        assert!(
            checkpoint.cursor_updated_at > 0 && !checkpoint.full_sync_done,
            "{db}: {checkpoint:?}"
        );
        let stored = store.counts(&integration.id).await.unwrap().leads;
        // Rows counted include the few read twice at page boundaries (same second).
        assert!(
            stored <= run.leads_written && stored + 10 >= run.leads_written,
            "{db}: {stored} stored, {} written",
            run.leads_written
        );

        let resumed = sync_integration(
            store,
            &integration,
            &SyncOptions::default(),
            &Progress::none(),
        )
        .await
        .unwrap();
        assert!(
            resumed.leads.rows < 5_000,
            "{db}: resumed from the checkpoint: {resumed:?}"
        );
        common::assert_store_matches(store, &integration, &sim).await;
        test.cleanup().await.unwrap();
    }
}
