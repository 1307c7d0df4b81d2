//! Helpers shared by the simulator's integration tests: start a server, call it with reqwest.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code"
)]

use kommo_sim::{RunningSimulator, SimConfig, Simulator};
use serde_json::Value;

pub async fn start(config: SimConfig) -> RunningSimulator {
    Simulator::start(config).await.expect("simulator starts")
}

/// An unthrottled account of `leads` leads.
pub async fn start_small(leads: u32) -> RunningSimulator {
    start(SimConfig::unlimited().with_leads(leads)).await
}

pub fn client() -> reqwest::Client {
    reqwest::Client::new()
}

pub async fn get(sim: &RunningSimulator, path: &str) -> reqwest::Response {
    client()
        .get(format!("{}{path}", sim.base_url()))
        .bearer_auth(sim.access_token())
        .send()
        .await
        .unwrap()
}

pub async fn get_json(sim: &RunningSimulator, path: &str) -> Value {
    let response = get(sim, path).await;
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().await.unwrap()
}

pub async fn send(
    sim: &RunningSimulator,
    method: reqwest::Method,
    path: &str,
    body: &Value,
) -> (u16, Value) {
    let response = client()
        .request(method, format!("{}{path}", sim.base_url()))
        .bearer_auth(sim.access_token())
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        },
    )
}

pub fn ids(page: &Value, noun: &str) -> Vec<i64> {
    page["_embedded"][noun]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_i64().unwrap())
        .collect()
}
