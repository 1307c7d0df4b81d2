//! Many integrations in one process: each keeps to its own rate limit (no 429 at Kommo's 7
//! requests a second), and one failing (unreachable, 401, 403 lock-out, malformed JSON) is
//! recorded in its run history with a clear message while the others finish, and nothing
//! stored before is lost.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use kommo_testkit as common;

use std::time::Duration;

use kommo_sim::{SimConfig, Simulator};
use kommo_store::RunStatus;
use kommo_sync::{Progress, Scheduler, SyncError, SyncOptions, sync_integration};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// A server that answers every request with a 200 whose JSON is cut off.
async fn malformed_json_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let body = r#"{"_total_items":1,"_embedded":{"pipelines":[{"id":1,"name":"#;
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/hal+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integrations_run_in_parallel_within_their_limits_and_fail_alone() {
    // Four healthy accounts at Kommo's real limits (7 per sliding second per token), sharing
    // this 2-core machine with five syncs and their databases, so requests reach them late by
    // varying amounts: the clients' pacing must still never put eight in one of their seconds.
    let mut healthy = Vec::new();
    for seed in 0..4 {
        let config = SimConfig::default().with_leads(1_500).with_seed(100 + seed);
        healthy.push(Simulator::start(config).await.unwrap());
    }
    let locked = Simulator::start(SimConfig::unlimited().with_leads(400).with_seed(7))
        .await
        .unwrap();
    let malformed = malformed_json_server().await;

    for (db, test) in common::stores().await {
        let store = &test.store;
        let mut ok_ids = Vec::new();
        for (i, sim) in healthy.iter().enumerate() {
            let integration = common::integration(store, &format!("ok-{i}-{db}"), sim).await;
            ok_ids.push(integration);
        }
        // Synced once while healthy, then locked out: what it stored must survive.
        let locked_integration = common::integration(store, &format!("locked-{db}"), &locked).await;
        sync_integration(
            store,
            &locked_integration,
            &SyncOptions::default(),
            &Progress::none(),
        )
        .await
        .unwrap();
        let stored_before = store.all_lead_rows(&locked_integration.id).await.unwrap();
        let counts_before = store.counts(&locked_integration.id).await.unwrap();
        assert!(counts_before.leads > 300);
        locked.control().lock_out(Duration::from_secs(3_600));

        let unreachable = common::integration_at(
            store,
            &format!("unreachable-{db}"),
            "http://127.0.0.1:1",
            "token",
        )
        .await;
        let refused = common::integration_at(
            store,
            &format!("refused-{db}"),
            &healthy[0].base_url(),
            "not-a-valid-token",
        )
        .await;
        let garbled =
            common::integration_at(store, &format!("garbled-{db}"), &malformed, "token").await;

        for sim in &healthy {
            sim.control().reset_counters();
        }
        let mut options = SyncOptions::default();
        // Fail fast on the unreachable host; the healthy ones never need a retry.
        options.client.retry.max_attempts = 2;
        options.client.retry.base_delay = Duration::from_millis(50);
        let results = Scheduler::new(store.clone(), options)
            .run_once()
            .await
            .unwrap();
        assert_eq!(results.len(), 8, "{db}");

        for (sim, integration) in healthy.iter().zip(&ok_ids) {
            let (_, result) = results
                .iter()
                .find(|(id, _)| *id == integration.id)
                .unwrap();
            let summary = result
                .as_ref()
                .unwrap_or_else(|e| panic!("{db}: {} failed: {e}", integration.id));
            assert_eq!(summary.rate_limited, 0, "{db}: {summary:?}");
            assert_eq!(
                sim.control().counters().rate_limited,
                0,
                "{db}: the simulator answered 429s"
            );
            common::assert_store_matches(store, integration, sim).await;
        }

        let failed = |id: &str| -> String {
            let (_, result) = results.iter().find(|(r, _)| r == id).unwrap();
            match result {
                Err(error) => error.to_string(),
                Ok(summary) => panic!("{id} should have failed: {summary:?}"),
            }
        };
        let message = failed(&unreachable.id);
        assert!(
            message.contains("could not talk to Kommo"),
            "{db}: {message}"
        );
        let message = failed(&refused.id);
        assert!(message.contains("401"), "{db}: {message}");
        let message = failed(&locked_integration.id);
        assert!(message.contains("blocked"), "{db}: {message}");
        let message = failed(&garbled.id);
        assert!(message.contains("unexpected response"), "{db}: {message}");

        // Each failure is in its run history, with the same message.
        for integration in [&unreachable, &refused, &locked_integration, &garbled] {
            let runs = store.runs(&integration.id, 1).await.unwrap();
            assert_eq!(runs[0].status, RunStatus::Failed, "{db}: {runs:?}");
            let recorded = runs[0].error.clone().unwrap();
            assert!(
                !recorded.is_empty() && !recorded.contains("token\""),
                "{db}: {recorded}"
            );
            assert_eq!(
                Some(recorded),
                results
                    .iter()
                    .find(|(id, _)| *id == integration.id)
                    .and_then(|(_, r)| r.as_ref().err().map(SyncError::to_string))
            );
        }
        assert_eq!(
            store.counts(&locked_integration.id).await.unwrap(),
            counts_before,
            "{db}"
        );
        assert_eq!(
            store.all_lead_rows(&locked_integration.id).await.unwrap(),
            stored_before,
            "{db}"
        );
        locked.control().unlock();
        test.cleanup().await.unwrap();
    }
}
