//! Pipeline and status rules from Kommo's reference page.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod common;

use common::*;
use reqwest::Method;
use serde_json::json;

fn status_ids(p: &serde_json::Value) -> Vec<i64> {
    p["_embedded"]["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn every_pipeline_has_the_system_statuses() {
    let sim = start_small(200).await;
    let list = get_json(&sim, "/api/v4/leads/pipelines").await;
    let pipelines = list["_embedded"]["pipelines"].as_array().unwrap();
    assert_eq!(list["_total_items"], pipelines.len());
    assert_eq!(pipelines.iter().filter(|p| p["is_main"] == true).count(), 1);
    for p in pipelines {
        let ids = status_ids(p);
        assert!(ids.contains(&142) && ids.contains(&143), "{ids:?}");
    }
    let (status, body) = send(&sim, Method::POST, "/api/v4/leads/pipelines", &json!([{"name": "Extra", "sort": 20, "is_main": false, "is_unsorted_on": true, "request_id": "123", "_embedded": {"statuses": [{"id": 142, "name": "Won custom"}, {"name": "Initial contact", "sort": 10, "color": "#fffeb2"}]}}])).await;
    assert_eq!(status, 200, "{body}");
    let added = &body["_embedded"]["pipelines"][0];
    assert_eq!(added["request_id"], "123");
    let statuses = added["_embedded"]["statuses"].as_array().unwrap();
    assert_eq!(statuses.len(), 4, "incoming, the given stage, 142, 143");
    assert_eq!(statuses[0]["type"], 1);
    assert_eq!(
        statuses.iter().find(|s| s["id"] == 142).unwrap()["name"],
        "Won custom"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn at_most_50_pipelines_and_100_statuses() {
    let sim = start_small(10).await;
    let existing = get_json(&sim, "/api/v4/leads/pipelines").await["_total_items"]
        .as_u64()
        .unwrap() as usize;
    let many: Vec<_> = (0..(51 - existing)).map(|i| json!({"name": format!("P{i}"), "sort": 100 + i, "is_main": false, "is_unsorted_on": false})).collect();
    let (status, _) = send(&sim, Method::POST, "/api/v4/leads/pipelines", &json!(many)).await;
    assert_eq!(status, 400);
    assert_eq!(
        get_json(&sim, "/api/v4/leads/pipelines").await["_total_items"]
            .as_u64()
            .unwrap() as usize,
        existing,
        "none added"
    );
    let fine: Vec<_> = (0..(50 - existing)).map(|i| json!({"name": format!("P{i}"), "sort": 100 + i, "is_main": false, "is_unsorted_on": false})).collect();
    assert_eq!(
        send(&sim, Method::POST, "/api/v4/leads/pipelines", &json!(fine))
            .await
            .0,
        200
    );

    let pipeline =
        get_json(&sim, "/api/v4/leads/pipelines").await["_embedded"]["pipelines"][0]["id"]
            .as_i64()
            .unwrap();
    let path = format!("/api/v4/leads/pipelines/{pipeline}/statuses");
    let count = get_json(&sim, &path).await["_total_items"]
        .as_u64()
        .unwrap() as usize;
    let too_many: Vec<_> = (0..(101 - count))
        .map(|i| json!({"name": format!("S{i}"), "sort": 100 + i}))
        .collect();
    assert_eq!(
        send(&sim, Method::POST, &path, &json!(too_many)).await.0,
        400
    );
    let (status, body) = send(&sim, Method::POST, &path, &json!([{"name": "New status", "sort": 100, "color": "#fffeb2"}, {"name": "New status 2", "sort": 200, "request_id": "x"}])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["_embedded"]["statuses"][1]["request_id"], "x");
    assert_eq!(
        send(&sim, Method::POST, &path, &json!([{"name": "no sort"}]))
            .await
            .0,
        400
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn the_last_pipeline_and_one_with_leads_cannot_be_deleted() {
    let sim = start_small(50).await;
    let list = get_json(&sim, "/api/v4/leads/pipelines").await;
    let with_leads = list["_embedded"]["pipelines"][0]["id"].as_i64().unwrap();
    let (status, _) = send(
        &sim,
        Method::DELETE,
        &format!("/api/v4/leads/pipelines/{with_leads}"),
        &json!(null),
    )
    .await;
    assert_eq!(status, 400, "holds leads");
    let (_, body) = send(
        &sim,
        Method::POST,
        "/api/v4/leads/pipelines",
        &json!([{"name": "Empty", "sort": 9, "is_main": false, "is_unsorted_on": false}]),
    )
    .await;
    let empty = body["_embedded"]["pipelines"][0]["id"].as_i64().unwrap();
    let (status, body) = send(
        &sim,
        Method::DELETE,
        &format!("/api/v4/leads/pipelines/{empty}"),
        &json!(null),
    )
    .await;
    assert_eq!((status, body), (204, serde_json::Value::Null));
    assert_eq!(
        get(&sim, &format!("/api/v4/leads/pipelines/{empty}"))
            .await
            .status(),
        404
    );

    let one = start(kommo_sim::SimConfig {
        size: kommo_sim::AccountSize {
            leads: 0,
            pipelines: 1,
            ..kommo_sim::AccountSize::for_leads(0)
        },
        ..kommo_sim::SimConfig::unlimited()
    })
    .await;
    let only = get_json(&one, "/api/v4/leads/pipelines").await["_embedded"]["pipelines"][0]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        send(
            &one,
            Method::DELETE,
            &format!("/api/v4/leads/pipelines/{only}"),
            &json!(null)
        )
        .await
        .0,
        400,
        "the last pipeline"
    );
    one.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn deleting_a_status_moves_its_leads_to_the_first_stage() {
    let sim = start_small(300).await;
    let main = get_json(&sim, "/api/v4/leads/pipelines").await["_embedded"]["pipelines"][0].clone();
    let pid = main["id"].as_i64().unwrap();
    let stages: Vec<i64> = main["_embedded"]["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["type"] == 0 && s["is_editable"] == true)
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    let (first, victim) = (stages[0], stages[1]);
    let in_victim = get_json(&sim, &format!("/api/v4/leads?limit=250&filter[statuses][0][pipeline_id]={pid}&filter[statuses][0][status_id]={victim}")).await;
    let moved = ids(&in_victim, "leads");
    assert!(!moved.is_empty());
    let (status, _) = send(
        &sim,
        Method::DELETE,
        &format!("/api/v4/leads/pipelines/{pid}/statuses/{victim}"),
        &json!(null),
    )
    .await;
    assert_eq!(status, 204);
    for id in &moved {
        assert_eq!(sim.control().lead(*id).unwrap().status_id, first);
    }
    assert_eq!(
        send(
            &sim,
            Method::DELETE,
            &format!("/api/v4/leads/pipelines/{pid}/statuses/142"),
            &json!(null)
        )
        .await
        .0,
        400,
        "system status"
    );
    let (status, edited) = send(
        &sim,
        Method::PATCH,
        &format!("/api/v4/leads/pipelines/{pid}/statuses/{first}"),
        &json!({"name": "New status name", "color": "#c1e0ff"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(edited["name"], "New status name");
    assert_eq!(
        send(
            &sim,
            Method::PATCH,
            &format!("/api/v4/leads/pipelines/{pid}/statuses/{first}"),
            &json!({"color": "#123456"})
        )
        .await
        .0,
        400
    );
    let (status, edited) = send(
        &sim,
        Method::PATCH,
        &format!("/api/v4/leads/pipelines/{pid}"),
        &json!({"name": "New pipeline name", "sort": 100}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(edited["name"], "New pipeline name");
    sim.shutdown().await;
}
