//! OAuth integrations: an access token expiring in the middle of a run is refreshed and the
//! run goes on; a process killed right after a refresh leaves a pair the next run can use,
//! because the rotated pair is saved in the store before it is used.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use kommo_testkit as common;

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use kommo_sim::{Faults, RunningSimulator, SimConfig, Simulator};
use kommo_store::{
    ExposeSecret as _, Integration, IntegrationAuth, NewIntegration, SecretString, Store,
};
use kommo_sync::{Entity, Progress, ProgressEvent, SyncOptions, client_for, sync_integration};

/// An OAuth integration for `sim`, authorized with a fresh code (the pair lands in the store).
async fn oauth_integration(store: &Store, id: &str, sim: &RunningSimulator) -> Integration {
    common::tenancy(store).await;
    let app = sim.oauth_app();
    let integration = store
        .create_integration(NewIntegration {
            id: id.to_owned(),
            workspace_id: common::WORKSPACE.to_owned(),
            base_url: sim.base_url(),
            auth: IntegrationAuth::OAuth {
                client_id: app.client_id,
                client_secret: SecretString::from(app.client_secret),
                redirect_uri: app.redirect_uri,
            },
            rate_limit_per_second: 7,
        })
        .await
        .unwrap();
    let client = client_for(
        store,
        &integration,
        kommo::RateLimiter::default(),
        kommo::ClientConfig::default(),
    )
    .unwrap();
    client.exchange_code(&sim.issue_auth_code()).await.unwrap();
    assert!(
        store.load_oauth_tokens(id).await.unwrap().is_some(),
        "the exchanged pair is stored"
    );
    integration
}

async fn access_token(store: &Store, id: &str) -> String {
    store
        .load_oauth_tokens(id)
        .await
        .unwrap()
        .unwrap()
        .access_token
        .expose_secret()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_access_token_expiring_mid_run_is_refreshed_and_the_run_continues() {
    let sim = Simulator::start(SimConfig::unlimited().with_leads(3_000).with_seed(8))
        .await
        .unwrap();
    sim.control().set_faults(Faults {
        latency_ms: 10,
        ..Faults::default()
    });
    for (db, test) in common::stores().await {
        let store = &test.store;
        let id = format!("oauth-{db}");
        let integration = oauth_integration(store, &id, &sim).await;
        let before = access_token(store, &id).await;
        let refreshes = sim.control().counters().refreshes;

        let control = sim.control().clone();
        let expired = Arc::new(AtomicBool::new(false));
        let flag = expired.clone();
        let progress = Progress::callback(move |event| {
            if let ProgressEvent::Page(p) = &event
                && p.entity == Entity::Leads
                && !flag.swap(true, Ordering::SeqCst)
            {
                control.expire_access_tokens();
            }
        });
        let summary = sync_integration(store, &integration, &SyncOptions::default(), &progress)
            .await
            .unwrap();
        assert!(
            expired.load(Ordering::SeqCst),
            "{db}: the token was expired during the leads stream"
        );
        assert!(
            sim.control().counters().refreshes > refreshes,
            "{db}: the client refreshed"
        );
        assert!(
            summary.leads.rows > 2_000,
            "{db}: the run went on after the refresh: {summary:?}"
        );
        assert_ne!(
            access_token(store, &id).await,
            before,
            "{db}: the rotated pair was saved"
        );
        common::assert_store_matches(store, &integration, &sim).await;

        // The next run uses the saved pair.
        sync_integration(
            store,
            &integration,
            &SyncOptions::default(),
            &Progress::none(),
        )
        .await
        .unwrap();
        test.cleanup().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_right_after_a_refresh_leaves_a_usable_pair() {
    let sim = Simulator::start(SimConfig::unlimited().with_leads(6_000).with_seed(9))
        .await
        .unwrap();
    sim.control().set_faults(Faults {
        latency_ms: 40,
        ..Faults::default()
    });
    for (db, test) in common::stores().await {
        let store = &test.store;
        let id = format!("oauth-kill-{db}");
        let integration = oauth_integration(store, &id, &sim).await;
        let process = || {
            let mut command = common::kommo_data(env!("CARGO_BIN_EXE_kommo-data"), &test);
            command
                .args(["sync", "--integration", &id, "--json"])
                .stdout(Stdio::null())
                .stderr(Stdio::piped());
            command
        };
        let mut child = process().spawn().unwrap();
        // Wait for the leads stream to be under way, then expire the access token.
        let deadline = Instant::now() + Duration::from_secs(120);
        while store
            .checkpoint(&id, "leads")
            .await
            .unwrap()
            .is_none_or(|c| c.cursor_updated_at == 0)
        {
            assert!(
                Instant::now() < deadline && child.try_wait().unwrap().is_none(),
                "{db}: the run did not start"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let before = access_token(store, &id).await;
        sim.control().expire_access_tokens();
        // Kill the process the moment the rotated pair is in the store.
        while access_token(store, &id).await == before {
            assert!(
                Instant::now() < deadline && child.try_wait().unwrap().is_none(),
                "{db}: no refresh was saved"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(
            store
                .checkpoint(&id, "contacts")
                .await
                .unwrap()
                .is_none_or(|c| !c.full_sync_done),
            "{db}: killed mid-run"
        );

        let out = process().output().unwrap();
        assert!(
            out.status.success(),
            "{db}: the next run failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let runs = store.runs(&id, 10).await.unwrap();
        assert_eq!(runs[0].status, kommo_store::RunStatus::Ok, "{db}: {runs:?}");
        common::assert_store_matches(store, &integration, &sim).await;
        test.cleanup().await.unwrap();
    }
}
