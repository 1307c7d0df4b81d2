//! Rate limits, the lock-out, OAuth grants, token expiry and rotation, faults, counters.
//!
//! Time is the simulator's own clock, frozen and moved on by the tests
//! (`Control::freeze_clock` / `advance_clock`), so nothing here depends on how fast the
//! machine runs: "within one second" and "a second later" are exact.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod common;

use std::time::Duration;

use common::*;
use kommo_sim::{Faults, Lockout, SimConfig};
use serde_json::json;

#[tokio::test]
async fn requests_above_the_per_token_limit_get_429() {
    let sim = start(SimConfig {
        rate_limit_per_token: 3,
        rate_limit_per_account: 0,
        ..SimConfig::default().with_leads(10)
    })
    .await;
    sim.control().freeze_clock();
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(get(&sim, "/api/v4/leads?limit=1").await.status().as_u16());
    }
    assert_eq!(&statuses[..3], &[200, 200, 200]);
    assert_eq!(
        &statuses[3..],
        &[429, 429],
        "the 4th and 5th request within one second"
    );
    let counters = sim.control().counters();
    assert_eq!(counters.rate_limited, 2);
    assert_eq!(
        counters.requests_with_status("GET", "/api/v4/leads", 200),
        3
    );
    sim.control().advance_clock(Duration::from_millis(999));
    assert_eq!(
        get(&sim, "/api/v4/leads?limit=1").await.status(),
        429,
        "still the same second"
    );
    sim.control().advance_clock(Duration::from_millis(2));
    assert_eq!(
        get(&sim, "/api/v4/leads?limit=1").await.status(),
        200,
        "the window slides"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn the_account_limit_covers_every_token() {
    let sim = start(SimConfig {
        rate_limit_per_token: 0,
        rate_limit_per_account: 2,
        ..SimConfig::default().with_leads(10)
    })
    .await;
    sim.control().freeze_clock();
    assert_eq!(get(&sim, "/api/v4/leads?limit=1").await.status(), 200);
    assert_eq!(get(&sim, "/api/v4/leads?limit=1").await.status(), 200);
    assert_eq!(get(&sim, "/api/v4/leads?limit=1").await.status(), 429);
    sim.shutdown().await;
}

#[tokio::test]
async fn repeated_violations_lock_the_account_out_with_403() {
    let lockout = Lockout {
        violations: 3,
        within: Duration::from_secs(10),
        lasts: Duration::from_secs(60),
    };
    let sim = start(SimConfig {
        rate_limit_per_token: 1,
        rate_limit_per_account: 0,
        lockout: Some(lockout),
        ..SimConfig::default().with_leads(10)
    })
    .await;
    sim.control().freeze_clock();
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(get(&sim, "/api/v4/leads?limit=1").await.status().as_u16());
    }
    assert_eq!(statuses, vec![200, 429, 429, 429, 403, 403]);
    sim.control().advance_clock(Duration::from_secs(59));
    assert_eq!(
        get(&sim, "/api/v4/leads/pipelines").await.status(),
        403,
        "every request, even after the window"
    );
    assert_eq!(sim.control().counters().forbidden, 3);
    sim.control().advance_clock(Duration::from_secs(2));
    assert_eq!(
        get(&sim, "/api/v4/leads?limit=1").await.status(),
        200,
        "the lock-out lasts its 60 s"
    );
    sim.control().lock_out(Duration::from_secs(60));
    assert_eq!(get(&sim, "/api/v4/leads?limit=1").await.status(), 403);
    sim.control().unlock();
    assert_eq!(get(&sim, "/api/v4/leads?limit=1").await.status(), 200);
    sim.shutdown().await;
}

async fn token_request(
    sim: &kommo_sim::RunningSimulator,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let response = client()
        .post(format!("{}/oauth2/access_token", sim.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn grant(sim: &kommo_sim::RunningSimulator, kind: &str, value: &str) -> serde_json::Value {
    let app = sim.oauth_app();
    let key = if kind == "authorization_code" {
        "code"
    } else {
        "refresh_token"
    };
    json!({"client_id": app.client_id, "client_secret": app.client_secret, "grant_type": kind, key: value, "redirect_uri": app.redirect_uri})
}

#[tokio::test]
async fn oauth_code_exchange_and_single_use_rotating_refresh_tokens() {
    let sim = start_small(10).await;
    let code = sim.issue_auth_code();
    let (status, pair) = token_request(&sim, grant(&sim, "authorization_code", &code)).await;
    assert_eq!(status, 200, "{pair}");
    assert_eq!(pair["token_type"], "Bearer");
    assert_eq!(pair["expires_in"], 86_400);
    let access = pair["access_token"].as_str().unwrap();
    assert_eq!(access.split('.').count(), 3, "a JWT");
    let ok = client()
        .get(format!("{}/api/v4/account", sim.base_url()))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);

    let (status, again) = token_request(&sim, grant(&sim, "authorization_code", &code)).await;
    assert_eq!(
        (status, again["hint"].as_str()),
        (400, Some("Authorization code has been revoked"))
    );

    let first_refresh = pair["refresh_token"].as_str().unwrap().to_owned();
    let (status, rotated) = token_request(&sim, grant(&sim, "refresh_token", &first_refresh)).await;
    assert_eq!(status, 200);
    assert_ne!(rotated["refresh_token"], pair["refresh_token"]);
    let (status, reuse) = token_request(&sim, grant(&sim, "refresh_token", &first_refresh)).await;
    assert_eq!(status, 401);
    assert_eq!(reuse["hint"], "Token has been revoked");
    let (status, _) = token_request(
        &sim,
        grant(
            &sim,
            "refresh_token",
            rotated["refresh_token"].as_str().unwrap(),
        ),
    )
    .await;
    assert_eq!(status, 200, "the rotated token works once");
    let counters = sim.control().counters();
    assert_eq!((counters.tokens_issued, counters.refreshes), (3, 2));
    sim.shutdown().await;
}

#[tokio::test]
async fn access_tokens_expire_by_ttl_and_on_demand() {
    let sim = start(SimConfig {
        access_token_ttl: Duration::from_secs(1),
        ..SimConfig::unlimited().with_leads(5)
    })
    .await;
    sim.control().freeze_clock();
    let (_, pair) = token_request(
        &sim,
        grant(&sim, "authorization_code", &sim.issue_auth_code()),
    )
    .await;
    assert_eq!(pair["expires_in"], 1);
    let access = pair["access_token"].as_str().unwrap().to_owned();
    let call = |token: String| {
        let url = format!("{}/api/v4/leads?limit=1", sim.base_url());
        async move {
            client()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(call(access.clone()).await, 200);
    sim.control().advance_clock(Duration::from_millis(999));
    assert_eq!(call(access.clone()).await, 200, "within its lifetime");
    sim.control().advance_clock(Duration::from_millis(2));
    assert_eq!(call(access).await, 401, "expired by its lifetime");

    sim.control().reseed(SimConfig::unlimited().with_leads(5));
    let (_, pair) = token_request(
        &sim,
        grant(&sim, "authorization_code", &sim.issue_auth_code()),
    )
    .await;
    let access = pair["access_token"].as_str().unwrap().to_owned();
    assert_eq!(call(access.clone()).await, 200);
    let expire = client()
        .post(format!("{}/_sim/tokens/expire", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(expire.status(), 204);
    assert_eq!(call(access).await, 401, "forced expiry");
    assert_eq!(
        call(sim.access_token()).await,
        200,
        "the long-lived token is untouched"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn faults_inject_server_errors_latency_and_429_storms() {
    let sim = start_small(10).await;
    let set = |faults: serde_json::Value| {
        let url = format!("{}/_sim/faults", sim.base_url());
        async move {
            client()
                .put(url)
                .json(&faults)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        set(json!({"error_rate": 1.0, "error_statuses": [503]})).await,
        200
    );
    assert_eq!(get(&sim, "/api/v4/leads").await.status(), 503);
    assert_eq!(set(json!({"rate_429": 1.0})).await, 200);
    assert_eq!(get(&sim, "/api/v4/leads").await.status(), 429);
    assert_eq!(set(json!({"latency_ms": 150})).await, 200);
    let delayed = sim.control().counters().delayed;
    assert_eq!(get(&sim, "/api/v4/leads").await.status(), 200);
    assert_eq!(
        sim.control().counters().delayed,
        delayed + 1,
        "the request was held back"
    );
    sim.control().set_faults(Faults {
        error_rate: 0.5,
        ..Faults::default()
    });
    let mut failures = 0;
    for _ in 0..40 {
        if get(&sim, "/api/v4/leads?limit=1")
            .await
            .status()
            .is_server_error()
        {
            failures += 1;
        }
    }
    assert!((5..=35).contains(&failures), "about half fail: {failures}");
    sim.control().set_faults(Faults {
        lockout_secs: Some(30),
        ..Faults::default()
    });
    assert_eq!(get(&sim, "/api/v4/leads").await.status(), 403);
    let counters: serde_json::Value = client()
        .get(format!("{}/_sim/counters", sim.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(counters["server_errors"].as_u64().unwrap() >= 6);
    assert_eq!(
        client()
            .post(format!("{}/_sim/counters/reset", sim.base_url()))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(sim.control().counters().total, 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn activity_changes_the_account_while_clients_read() {
    let sim = start_small(200).await;
    let before = sim.control().event_count();
    let response = client()
        .post(format!("{}/_sim/activity", sim.base_url()))
        .json(&json!({"per_second": 200}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // Changes keep coming without any request of ours (bounded wait, no timing claim).
    for _ in 0..6_000 {
        if sim.control().event_count() > before + 20 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let response = client()
        .post(format!("{}/_sim/activity", sim.base_url()))
        .json(&json!({"stop": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let after = sim.control().event_count();
    assert!(after > before + 20, "events {before} -> {after}");
    let events = get_json(&sim, "/api/v4/events?limit=250&filter[type]=lead_added,lead_status_changed,lead_deleted,lead_restored,sale_field_changed").await;
    assert!(!events["_embedded"]["events"].as_array().unwrap().is_empty());
    // Stopping waits for the activity's thread to end: nothing changes after the answer.
    let stable = sim.control().event_count();
    assert_eq!(sim.control().event_count(), stable, "stopped");
    assert!(!sim.control().activity_running());
    sim.shutdown().await;
}
