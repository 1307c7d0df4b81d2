//! Exact faults: "the next N requests fail", over `/_sim/faults/next` and in process, counted
//! exactly and independent of timing, limits and the random fault shares.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod common;

use std::time::Duration;

use common::*;
use kommo_sim::{FailNext, Lockout, SimConfig};
use serde_json::{Value, json};

async fn arm(sim: &kommo_sim::RunningSimulator, rule: Value) -> (u16, Value) {
    let response = client()
        .post(format!("{}/_sim/faults/next", sim.base_url()))
        .json(&rule)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn status_of(sim: &kommo_sim::RunningSimulator, path: &str) -> u16 {
    get(sim, path).await.status().as_u16()
}

#[tokio::test]
async fn the_next_n_matching_requests_fail_and_no_others() {
    let sim = start_small(10).await;
    let (status, armed) = arm(
        &sim,
        json!({"count": 2, "path_prefix": "/api/v4/leads", "status": 503}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(armed[0]["count"], 2);

    assert_eq!(
        status_of(&sim, "/api/v4/users").await,
        200,
        "another path is untouched"
    );
    assert_eq!(status_of(&sim, "/api/v4/leads?limit=1").await, 503);
    let left: Value = client()
        .get(format!("{}/_sim/faults/next", sim.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(left[0]["count"], 1, "{left}");
    assert_eq!(
        status_of(&sim, "/api/v4/leads/1").await,
        503,
        "the prefix matches the lead's own path too"
    );
    assert_eq!(status_of(&sim, "/api/v4/leads?limit=1").await, 200, "spent");
    assert!(sim.control().armed_failures().is_empty());

    let counters = sim.control().counters();
    assert_eq!(counters.server_errors, 2);
    assert_eq!(
        counters.requests_with_status("GET", "/api/v4/leads", 503),
        1
    );
    assert_eq!(
        counters.requests_with_status("GET", "/api/v4/leads/{id}", 503),
        1
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn each_status_is_answered_as_kommo_sends_it() {
    let sim = start_small(10).await;
    for status in [500, 502, 503, 504, 429, 401, 403] {
        sim.control().fail_next(FailNext::status(status)).unwrap();
        let response = get(&sim, "/api/v4/leads").await;
        assert_eq!(response.status().as_u16(), status);
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        let body = response.text().await.unwrap();
        match status {
            // nginx's pages, as Kommo's front answers these.
            502 | 503 | 504 | 429 => {
                assert_eq!(content_type, "text/html", "{status}");
                assert!(body.contains(&status.to_string()), "{status}: {body}");
            }
            _ => {
                assert_eq!(content_type, "application/problem+json", "{status}");
                let problem: Value = serde_json::from_str(&body).unwrap();
                assert_eq!(problem["status"], status, "{body}");
            }
        }
        assert_eq!(
            status_of(&sim, "/api/v4/leads").await,
            200,
            "after {status}"
        );
    }
    let counters = sim.control().counters();
    assert_eq!(
        (
            counters.server_errors,
            counters.rate_limited,
            counters.unauthorized,
            counters.forbidden
        ),
        (4, 1, 1, 1)
    );
    assert_eq!(counters.total, 14);
    sim.shutdown().await;
}

#[tokio::test]
async fn malformed_json_is_a_cut_off_hal_body() {
    let sim = start_small(10).await;
    let (status, _) = arm(
        &sim,
        json!({"malformed_json": true, "path_prefix": "/api/v4/contacts"}),
    )
    .await;
    assert_eq!(status, 200);
    let response = get(&sim, "/api/v4/contacts").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/hal+json");
    let body = response.bytes().await.unwrap();
    assert!(serde_json::from_slice::<Value>(&body).is_err());
    let page = get_json(&sim, "/api/v4/contacts").await;
    assert!(!ids(&page, "contacts").is_empty(), "the next one is whole");

    sim.control()
        .fail_next(FailNext::malformed_json().path("/api/v4/contacts"))
        .unwrap();
    sim.control()
        .fail_next(FailNext {
            status: Some(502),
            ..FailNext::malformed_json()
        })
        .unwrap();
    let response = get(&sim, "/api/v4/leads").await;
    assert_eq!(response.status(), 502, "any path, with a chosen status");
    assert!(serde_json::from_slice::<Value>(&response.bytes().await.unwrap()).is_err());
    assert_eq!(
        sim.control().armed_failures().len(),
        1,
        "the contacts rule waits for its path"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn rules_are_served_in_order_and_by_method() {
    let sim = start_small(10).await;
    let control = sim.control();
    control
        .fail_next(FailNext::status(504).path("/api/v4/leads").method("post"))
        .unwrap();
    control.fail_next(FailNext::status(500).times(2)).unwrap();
    control.fail_next(FailNext::status(429)).unwrap();
    // The POST rule does not match a GET: the first GET takes the first "any" rule.
    assert_eq!(status_of(&sim, "/api/v4/leads").await, 500);
    let (status, _) = send(
        &sim,
        reqwest::Method::POST,
        "/api/v4/leads",
        &json!([{"name": "Never written"}]),
    )
    .await;
    assert_eq!(status, 504, "the POST takes the first rule armed for it");
    assert_eq!(control.lead_count(), 10);
    assert_eq!(status_of(&sim, "/api/v4/users").await, 500);
    assert_eq!(status_of(&sim, "/api/v4/users").await, 429);
    assert_eq!(status_of(&sim, "/api/v4/users").await, 200);

    control.fail_next(FailNext::status(503).times(5)).unwrap();
    let cleared = client()
        .delete(format!("{}/_sim/faults/next", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 204);
    assert_eq!(status_of(&sim, "/api/v4/users").await, 200, "disarmed");
    sim.shutdown().await;
}

#[tokio::test]
async fn exact_failures_come_before_lock_out_and_count_towards_it() {
    let sim = start(SimConfig {
        lockout: Some(Lockout {
            violations: 2,
            within: Duration::from_secs(60),
            lasts: Duration::from_secs(60),
        }),
        ..SimConfig::unlimited().with_leads(10)
    })
    .await;
    sim.control()
        .fail_next(FailNext::status(429).times(2))
        .unwrap();
    assert_eq!(status_of(&sim, "/api/v4/leads").await, 429);
    assert_eq!(status_of(&sim, "/api/v4/leads").await, 429);
    assert_eq!(
        status_of(&sim, "/api/v4/leads").await,
        403,
        "two 429s lock the account out"
    );
    sim.control().fail_next(FailNext::status(502)).unwrap();
    assert_eq!(
        status_of(&sim, "/api/v4/leads").await,
        502,
        "served even while locked out"
    );
    assert_eq!(status_of(&sim, "/api/v4/leads").await, 403);

    // Nor does a missing token stop it: the rule answers before auth.
    sim.control().unlock();
    sim.control().fail_next(FailNext::status(503)).unwrap();
    let anonymous = client()
        .get(format!("{}/api/v4/leads", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 503);
    sim.shutdown().await;
}

#[tokio::test]
async fn rules_that_cannot_fail_anything_are_refused() {
    let sim = start_small(10).await;
    for rule in [
        json!({"count": 0}),
        json!({"status": 200}),
        json!({"status": 302}),
        json!({"malformed_json": true, "status": 100}),
        json!({"path_prefix": "api/v4/leads"}),
    ] {
        let (status, problem) = arm(&sim, rule.clone()).await;
        assert_eq!(status, 400, "{rule}: {problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains("fail_next"),
            "{problem}"
        );
    }
    let bad_json = client()
        .post(format!("{}/_sim/faults/next", sim.base_url()))
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status(), 400);
    assert!(sim.control().armed_failures().is_empty());
    // An empty body arms the default: the next request answers 500.
    let empty = client()
        .post(format!("{}/_sim/faults/next", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 200);
    assert_eq!(status_of(&sim, "/api/v4/account").await, 500);
    sim.shutdown().await;
}
