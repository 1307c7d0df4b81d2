//! Shared set-up of the action tests: a simulated Kommo account and an action context on it.

#![allow(
    dead_code,
    reason = "each test file uses a different part of the helpers"
)]

use kommo::{Client, ClientConfig, RetryPolicy};
use kommo_actions::{ActionContext, Catalog, Envelope};
use kommo_sim::{RunningSimulator, SimConfig, Simulator};
use serde_json::Value;

/// A small account without rate limits (tests about limits set their own).
pub(crate) async fn simulator() -> RunningSimulator {
    Simulator::start(SimConfig::unlimited().with_leads(60))
        .await
        .expect("simulator starts")
}

/// A client that gives up after one attempt, so a refused request surfaces at once.
pub(crate) fn client(sim: &RunningSimulator) -> Client {
    let config = ClientConfig {
        retry: RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        },
        ..ClientConfig::default()
    };
    Client::builder(sim.base_url())
        .long_lived_token(sim.access_token())
        .config(config)
        .build()
        .expect("client builds")
}

pub(crate) fn context(sim: &RunningSimulator) -> ActionContext {
    ActionContext::new(client(sim))
}

/// A context whose client is not held to Kommo's 7 requests a second, for tests that make
/// hundreds of calls to an unlimited simulator.
pub(crate) fn fast_context(sim: &RunningSimulator) -> ActionContext {
    let config = ClientConfig {
        retry: RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        },
        ..ClientConfig::default()
    };
    let limiter = kommo::RateLimiter::new(std::num::NonZeroU32::new(1_000).expect("non-zero"));
    let client = Client::builder(sim.base_url())
        .long_lived_token(sim.access_token())
        .config(config)
        .rate_limiter(limiter)
        .build()
        .expect("client builds");
    ActionContext::new(client)
}

/// Runs an action whose input is valid; panics on a schema refusal.
pub(crate) async fn run(ctx: &ActionContext, name: &str, input: Value) -> Envelope {
    match Catalog::execute(name, &input, ctx).await {
        Ok(envelope) => envelope,
        Err(error) => panic!("{name} refused {input}: {error}"),
    }
}

/// Runs an action that must succeed; returns its data.
pub(crate) async fn ok(ctx: &ActionContext, name: &str, input: Value) -> Value {
    let envelope = run(ctx, name, input.clone()).await;
    assert!(
        envelope.successful,
        "{name} {input} failed: {:?}",
        envelope.error
    );
    assert_eq!(envelope.error, None, "{name}: unexpected note");
    envelope.data.expect("data on success")
}

/// Runs an action that Kommo must refuse; returns the error text.
pub(crate) async fn refused(ctx: &ActionContext, name: &str, input: Value) -> String {
    let envelope = run(ctx, name, input.clone()).await;
    assert!(
        !envelope.successful,
        "{name} {input} should have failed: {:?}",
        envelope.data
    );
    assert_eq!(envelope.data, None);
    envelope.error.expect("error on failure")
}

/// The main pipeline's id and one of its ordinary (editable) stages.
pub(crate) async fn main_pipeline(ctx: &ActionContext) -> (i64, i64) {
    let data = ok(ctx, "KOMMO_LIST_LEADS_PIPELINES", serde_json::json!({})).await;
    let pipelines = data["pipelines"].as_array().expect("pipelines");
    let main = pipelines
        .iter()
        .find(|p| p["is_main"] == true)
        .expect("a main pipeline");
    let stage = main["_embedded"]["statuses"]
        .as_array()
        .expect("statuses")
        .iter()
        .find(|s| s["is_editable"] == true)
        .expect("an editable stage");
    (
        main["id"].as_i64().expect("id"),
        stage["id"].as_i64().expect("id"),
    )
}

pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
