//! The actions over HTTP and MCP on a running server, acting on a simulated Kommo account:
//! the catalog listing, running an action (200 / 400 / 401 / 403 / 404), write-through seen
//! by the data API on the next request, and MCP end to end with the SDK's own client.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use std::collections::HashMap;

use axum::http::{HeaderName, HeaderValue};
use kommo_actions::{Catalog, ClientConfig};
use kommo_api::{ActionsConfig, AppState};
use kommo_sim::{RunningSimulator, SimConfig, Simulator};
use kommo_store::testing::TestStore;
use kommo_store::{ExposeSecret as _, IntegrationAuth, Keys, NewIntegration, SecretString, Store};
use rmcp::ServiceExt as _;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

const WS: &str = "ws-sales";
const INTEGRATION: &str = "acme-kommo";

/// A server on a socket, in front of a store with one integration on a simulator.
struct Server {
    base: String,
    http: reqwest::Client,
    sim: RunningSimulator,
    store: Store,
    /// Granted `ws-sales`.
    id: String,
    secret: String,
    /// Another organization's credentials, granted only its own workspace.
    other_id: String,
    other_secret: String,
    shutdown: CancellationToken,
    _test: TestStore,
}

impl Server {
    async fn start() -> Server {
        let sim = Simulator::start(SimConfig::unlimited().with_leads(40))
            .await
            .unwrap();
        let test = TestStore::sqlite(Keys::generate()).await.unwrap();
        let store = test.store.clone();
        store.create_organization("acme", "Acme").await.unwrap();
        store.create_workspace("acme", WS, "Sales").await.unwrap();
        store
            .create_workspace("acme", "ws-other", "Other")
            .await
            .unwrap();
        store.create_organization("rival", "Rival").await.unwrap();
        store
            .create_workspace("rival", "ws-rival", "Rival")
            .await
            .unwrap();
        for (id, workspace) in [
            (INTEGRATION, WS),
            ("acme-other", "ws-other"),
            ("rival-kommo", "ws-rival"),
        ] {
            store
                .create_integration(NewIntegration {
                    id: id.to_owned(),
                    workspace_id: workspace.to_owned(),
                    base_url: sim.base_url(),
                    auth: IntegrationAuth::LongLivedToken(SecretString::from(sim.access_token())),
                    rate_limit_per_second: 50,
                })
                .await
                .unwrap();
        }
        let mine = store
            .create_credentials("acme", &[WS.to_owned()], 0)
            .await
            .unwrap();
        let rival = store
            .create_credentials("rival", &["ws-rival".to_owned()], 0)
            .await
            .unwrap();
        let shutdown = CancellationToken::new();
        let state = AppState::new(store.clone()).with_actions(ActionsConfig {
            client: ClientConfig::default(),
            shutdown: shutdown.clone(),
            ..ActionsConfig::default()
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(kommo_api::serve(
            listener,
            kommo_api::app(state),
            shutdown.clone(),
        ));
        Server {
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
            sim,
            store,
            id: mine.client_id,
            secret: mine.client_secret.expose_secret().to_owned(),
            other_id: rival.client_id,
            other_secret: rival.client_secret.expose_secret().to_owned(),
            shutdown,
            _test: test,
        }
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{}{path}", self.base))
            .header("x-client-id", &self.id)
            .header("x-client-secret", &self.secret)
    }

    async fn action(&self, name: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}/v1/kommo/actions/{name}", self.base))
            .header("x-client-id", &self.id)
            .header("x-client-secret", &self.secret)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    async fn run(&self, name: &str, input: Value) -> (u16, Value) {
        self.action(
            name,
            json!({"workspaceId": WS, "integrationId": INTEGRATION, "input": input}),
        )
        .await
    }

    /// An MCP client over streamable HTTP with these headers.
    async fn mcp(
        &self,
        headers: &[(&'static str, &str)],
    ) -> Result<rmcp::service::RunningService<rmcp::RoleClient, ()>, String> {
        let headers: HashMap<HeaderName, HeaderValue> = headers
            .iter()
            .map(|(k, v)| {
                (
                    HeaderName::from_static(k),
                    HeaderValue::from_str(v).unwrap(),
                )
            })
            .collect();
        let config = StreamableHttpClientTransportConfig::with_uri(format!("{}/mcp", self.base))
            .custom_headers(headers);
        ().serve(StreamableHttpClientTransport::from_config(config))
            .await
            .map_err(|e| e.to_string())
    }

    /// An MCP `initialize` POSTed by hand with `headers`, for the status and body the SDK
    /// client hides behind its error.
    async fn raw_initialize(&self, headers: &[(&'static str, &str)]) -> (u16, Value) {
        let mut request = self
            .http
            .post(format!("{}/mcp", self.base))
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request
            .body(r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

#[tokio::test]
async fn the_catalog_is_listed_with_schemas_behind_the_credentials() {
    let server = Server::start().await;
    let anonymous = server
        .http
        .get(format!("{}/v1/kommo/actions", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let response = server.get("/v1/kommo/actions").send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let actions = body["data"].as_array().unwrap();
    assert_eq!(actions.len(), Catalog::list().len());
    for (listed, info) in actions.iter().zip(Catalog::list()) {
        assert_eq!(listed["name"], info.name);
        assert_eq!(listed["description"], info.description);
        assert_eq!(listed["input_schema"], info.input_schema);
    }
    let create = actions
        .iter()
        .find(|a| a["name"] == "KOMMO_CREATE_LEAD")
        .unwrap();
    assert_eq!(create["input_schema"]["required"], json!(["name"]));
    assert_eq!(create["kind"], "create");

    let openapi: Value = server
        .http
        .get(format!("{}/openapi.json", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        openapi["paths"]["/v1/kommo/actions/{name}"]["post"].is_object(),
        "documented in OpenAPI"
    );
}

#[tokio::test]
async fn an_action_runs_and_the_data_api_shows_it_on_the_next_request() {
    let server = Server::start().await;
    let (status, body) = server
        .run(
            "KOMMO_CREATE_LEAD",
            json!({"name": "Agent lead", "price": 777, "tags_to_add": [{"name": "mcp"}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["successful"], true);
    assert_eq!(body["error"], Value::Null);
    let id = body["data"]["lead"]["id"].as_i64().unwrap();

    // No sync ran: the row is there because the action wrote it through.
    let page: Value = server
        .get(&format!("/v1/kommo/leads?workspaceId={WS}&leadId={id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rows = page["data"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{page}");
    assert_eq!(rows[0]["lead_id"], id.to_string());
    assert_eq!(rows[0]["lead_name"], "Agent lead");
    assert_eq!(rows[0]["price"], 777);
    assert_eq!(rows[0]["tag_name"], "mcp");
    assert_eq!(rows[0]["integration_id"], INTEGRATION);

    let (status, body) = server
        .run("KOMMO_UPDATE_LEAD", json!({"id": id, "price": 800}))
        .await;
    assert_eq!((status, &body["successful"]), (200, &json!(true)), "{body}");
    let page: Value = server
        .get(&format!("/v1/kommo/leads?workspaceId={WS}&leadId={id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["data"][0]["price"], 800);
    assert_eq!(
        server.store.all_lead_rows(INTEGRATION).await.unwrap().len(),
        1
    );
}

#[tokio::test]
async fn refusals_have_their_status_and_an_envelope() {
    let server = Server::start().await;
    let before = server.sim.control().counters().total;

    // The input breaks the schema: 400, nothing sent to Kommo.
    let (status, body) = server.run("KOMMO_CREATE_LEAD", json!({"price": 10})).await;
    assert_eq!(status, 400);
    assert_eq!(body["successful"], false);
    assert_eq!(body["data"], Value::Null);
    assert!(body["error"].as_str().unwrap().contains("`name`"), "{body}");
    let (status, body) = server
        .run("KOMMO_CREATE_LEAD", json!({"name": "x", "price": "a lot"}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"],
        "invalid input field `price`: invalid type: string \"a lot\", expected an integer"
    );
    let (status, body) = server.run("KOMMO_LIST_LEADS", json!({"limit": 1000})).await;
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap().contains("`limit`"),
        "{body}"
    );
    // The body itself is wrong: a problem document naming it, not an envelope.
    let (status, body) = server
        .action("KOMMO_LIST_LEADS", json!({"integrationId": INTEGRATION}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["status"], 400, "{body}");
    assert_eq!(body["invalid_params"][0]["name"], "body", "{body}");
    assert!(
        body["invalid_params"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("workspaceId"),
        "{body}"
    );
    assert!(body.get("successful").is_none(), "{body}");
    let not_json = server
        .http
        .post(format!("{}/v1/kommo/actions/KOMMO_LIST_LEADS", server.base))
        .header("x-client-id", &server.id)
        .header("x-client-secret", &server.secret)
        .body("workspaceId=ws")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);
    assert_eq!(
        not_json.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(
        server.sim.control().counters().total,
        before,
        "nothing reached Kommo"
    );

    // Unknown action: a 404 problem document naming it.
    let (status, body) = server.run("KOMMO_DELETE_LEAD", json!({"id": 1})).await;
    assert_eq!(status, 404);
    assert_eq!(body["status"], 404, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("KOMMO_DELETE_LEAD"),
        "{body}"
    );

    // Kommo refuses: the action ran, so 200 with `successful: false` and Kommo's reasons.
    let (status, body) = server
        .run(
            "KOMMO_CREATE_LEAD",
            json!({"name": "x", "status_id": 999_999}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["successful"], false);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("field `status_id`"),
        "{body}"
    );
    let (status, body) = server
        .run("KOMMO_GET_LEAD", json!({"id": 999_999_999}))
        .await;
    assert_eq!((status, &body["successful"]), (200, &json!(false)));

    // Credentials: missing is 401; a workspace or integration not granted is 403.
    let anonymous = server
        .http
        .post(format!("{}/v1/kommo/actions/KOMMO_LIST_LEADS", server.base))
        .json(&json!({"workspaceId": WS, "integrationId": INTEGRATION, "input": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    for (workspace, integration) in [
        ("ws-other", "acme-other"),
        (WS, "acme-other"),
        (WS, "rival-kommo"),
        (WS, "nope"),
    ] {
        let response = server
            .http
            .post(format!("{}/v1/kommo/actions/KOMMO_LIST_LEADS", server.base))
            .header("x-client-id", &server.id)
            .header("x-client-secret", &server.secret)
            .json(&json!({"workspaceId": workspace, "integrationId": integration, "input": {}}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{workspace}/{integration}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
    }
    let rival = server
        .http
        .post(format!("{}/v1/kommo/actions/KOMMO_LIST_LEADS", server.base))
        .header("x-client-id", &server.other_id)
        .header("x-client-secret", &server.other_secret)
        .json(&json!({"workspaceId": WS, "integrationId": INTEGRATION, "input": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(rival.status(), 403);
}

#[tokio::test]
async fn mcp_over_http_end_to_end_with_the_sdk_client() {
    let server = Server::start().await;
    let headers = [
        ("x-client-id", server.id.as_str()),
        ("x-client-secret", server.secret.as_str()),
        ("x-workspace-id", WS),
        ("x-integration-id", INTEGRATION),
    ];
    let client = server.mcp(&headers).await.expect("initialize");
    let info = client.peer_info().expect("the server introduced itself");
    assert_eq!(
        info.server_info.as_ref().map(|i| i.name.as_str()),
        Some("kommo-data")
    );

    let tools = client.list_all_tools().await.unwrap();
    // The actions, and the read tools over the synced copy (`mcp_read.rs` tests those).
    assert_eq!(
        tools.len(),
        Catalog::list().len() + kommo_api::read_tools::tools().len()
    );
    for info in Catalog::list() {
        let tool = tools
            .iter()
            .find(|t| t.name == info.name)
            .unwrap_or_else(|| panic!("{} missing", info.name));
        assert_eq!(
            Value::Object((*tool.input_schema).clone()),
            info.input_schema,
            "{}",
            info.name
        );
    }

    let args = |v: Value| v.as_object().unwrap().clone();
    let result = client
        .call_tool(
            CallToolRequestParams::new("KOMMO_CREATE_LEAD")
                .with_arguments(args(json!({"name": "Lead from MCP", "price": 5}))),
        )
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(false));
    let envelope: Value =
        serde_json::from_str(result.content[0].as_text().unwrap().text.as_str()).unwrap();
    assert_eq!(envelope["successful"], true);
    let id = envelope["data"]["lead"]["id"].as_i64().unwrap();
    assert_eq!(server.sim.control().lead(id).unwrap().name, "Lead from MCP");
    assert!(
        server
            .store
            .all_lead_rows(INTEGRATION)
            .await
            .unwrap()
            .iter()
            .any(|r| r.lead_id == id),
        "written through"
    );

    // Kommo refuses: flagged as an error, the envelope says why.
    let result = client
        .call_tool(
            CallToolRequestParams::new("KOMMO_GET_LEAD")
                .with_arguments(args(json!({"id": 999_999_999}))),
        )
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(true));
    let envelope: Value =
        serde_json::from_str(result.content[0].as_text().unwrap().text.as_str()).unwrap();
    assert_eq!(envelope["successful"], false);
    assert!(
        envelope["error"]
            .as_str()
            .unwrap()
            .contains("input field `id`"),
        "{envelope}"
    );
    // Bad arguments are a tool error too, naming the field.
    let result = client
        .call_tool(
            CallToolRequestParams::new("KOMMO_LIST_LEADS")
                .with_arguments(args(json!({"limit": "all"}))),
        )
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(true));
    assert!(
        result.content[0]
            .as_text()
            .unwrap()
            .text
            .contains("`limit`")
    );
    client.cancel().await.unwrap();

    // The same credentials guard /mcp: none is a 401, an integration outside the grant a
    // 403, each a problem document; the SDK client fails to connect on both.
    let anonymous = [("x-workspace-id", WS), ("x-integration-id", INTEGRATION)];
    let (status, problem) = server.raw_initialize(&anonymous).await;
    assert_eq!(
        (status, &problem["status"]),
        (401, &json!(401)),
        "{problem}"
    );
    assert!(server.mcp(&anonymous).await.is_err());
    let outside = [
        ("x-client-id", server.id.as_str()),
        ("x-client-secret", server.secret.as_str()),
        ("x-workspace-id", "ws-other"),
        ("x-integration-id", "acme-other"),
    ];
    let (status, problem) = server.raw_initialize(&outside).await;
    assert_eq!(
        (status, &problem["status"]),
        (403, &json!(403)),
        "{problem}"
    );
    assert!(server.mcp(&outside).await.is_err());
    let raw = server
        .http
        .post(format!("{}/mcp", server.base))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 401);
}

#[tokio::test]
async fn mcp_refuses_foreign_host_headers_unless_allowed() {
    let server = Server::start().await;
    let request = |host: &str| {
        server
            .http
            .post(format!("{}/mcp", server.base))
            .header("host", host)
            .header("x-client-id", &server.id)
            .header("x-client-secret", &server.secret)
            .header("x-workspace-id", WS)
            .header("x-integration-id", INTEGRATION)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#)
            .send()
    };
    assert_eq!(
        request("evil.example").await.unwrap().status(),
        403,
        "DNS rebinding guard on by default"
    );
    assert_eq!(request("localhost").await.unwrap().status(), 200);

    // A deployment behind a public name lists it.
    let state = AppState::new(server.store.clone()).with_actions(ActionsConfig {
        mcp_allowed_hosts: vec!["crm.example.com".to_owned()],
        ..ActionsConfig::default()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = CancellationToken::new();
    tokio::spawn(kommo_api::serve(
        listener,
        kommo_api::app(state),
        stop.clone(),
    ));
    let response = server
        .http
        .post(format!("http://{addr}/mcp"))
        .header("host", "crm.example.com")
        .header("x-client-id", &server.id)
        .header("x-client-secret", &server.secret)
        .header("x-workspace-id", WS)
        .header("x-integration-id", INTEGRATION)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    stop.cancel();
}
