//! One test over a real socket: the served app answers HTTP clients, and stops when told.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod common;

use common::{WS, World};
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_on_a_socket_and_shuts_down() {
    let t = kommo_store::testing::TestStore::sqlite(kommo_store::Keys::generate())
        .await
        .unwrap();
    let world = World::seed(&t).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(kommo_api::serve(
        listener,
        world.app.clone(),
        shutdown.clone(),
    ));

    let client = reqwest::Client::new();
    let response = client
        .get(format!(
            "http://{addr}/v1/kommo/leads?workspaceId={WS}&limit=5&statusId=142"
        ))
        .header("x-client-id", &world.a.id)
        .header("x-client-secret", &world.a.secret)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["data"].as_array().unwrap().len(), 5);
    assert!(
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|row| row["status_id"] == "142")
    );

    let response = client
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    shutdown.cancel();
    server.await.unwrap().unwrap();
    let refused = reqwest::Client::new()
        .get(format!("http://{addr}/healthz"))
        .send()
        .await;
    assert!(refused.is_err(), "the listener is closed after shutdown");
    drop(world);
    t.cleanup().await.unwrap();
}

/// With one read at a time, concurrent clients all get their answers (they queue, never fail).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_limit_queues_requests_without_failing_them() {
    let t = kommo_store::testing::TestStore::sqlite(kommo_store::Keys::generate())
        .await
        .unwrap();
    let world = World::seed(&t).await;
    let app =
        kommo_api::app(kommo_api::AppState::new(world.store.clone()).with_max_concurrent_reads(1));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(kommo_api::serve(listener, app, shutdown.clone()));
    let mut clients = Vec::new();
    for i in 0..12 {
        let (id, secret) = (world.a.id.clone(), world.a.secret.clone());
        clients.push(tokio::spawn(async move {
            let resource = ["leads", "contacts", "pipelines", "users"][i % 4];
            let response = reqwest::Client::new()
                .get(format!(
                    "http://{addr}/v1/kommo/{resource}?workspaceId={WS}&limit=50"
                ))
                .header("x-client-id", id)
                .header("x-client-secret", secret)
                .send()
                .await
                .unwrap();
            response.status()
        }));
    }
    for client in clients {
        assert_eq!(client.await.unwrap(), 200);
    }
    shutdown.cancel();
    server.await.unwrap().unwrap();
    drop(world);
    t.cleanup().await.unwrap();
}
