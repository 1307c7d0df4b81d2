//! Reading leads: HAL pages, 204 past the end, `_links.next` only when more, limits, filters,
//! ordering, `with`, auth.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod common;

use common::*;

#[tokio::test]
async fn pages_are_hal_and_end_with_204() {
    let sim = start_small(120).await;
    let response = get(&sim, "/api/v4/leads?limit=50").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/hal+json");
    let page: serde_json::Value = response.json().await.unwrap();
    assert_eq!(page["_page"], 1);
    assert_eq!(ids(&page, "leads").len(), 50);
    let next = page["_links"]["next"]["href"].as_str().unwrap();
    assert!(next.starts_with(&sim.base_url()) && next.contains("page=2") && next.contains("limit=50"), "{next}");
    let self_href = page["_links"]["self"]["href"].as_str().unwrap();
    assert!(self_href.starts_with("http://127.0.0.1:"), "{self_href}");

    let last = get_json(&sim, "/api/v4/leads?limit=50&page=3").await;
    assert_eq!(ids(&last, "leads").len(), 20);
    assert!(last["_links"].get("next").is_none(), "no next on the last page");

    let past = get(&sim, "/api/v4/leads?limit=50&page=4").await;
    assert_eq!(past.status(), 204);
    assert!(past.headers().get("content-type").is_none());
    assert!(past.bytes().await.unwrap().is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn bearer_token_is_required() {
    let sim = start_small(10).await;
    let response = client().get(format!("{}/api/v4/leads", sim.base_url())).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], 401);
    let response = client().get(format!("{}/api/v4/leads", sim.base_url())).bearer_auth("nope").send().await.unwrap();
    assert_eq!(response.status(), 401);
    sim.shutdown().await;
}
