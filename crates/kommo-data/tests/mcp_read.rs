//! The read tools (`KOMMO_DATA_*`) end to end with the MCP SDK's own client, over both
//! transports: the real `kommo-data mcp` binary on stdio, and `/mcp` of a real server on a
//! socket, both reading a store the real `kommo-data sync` filled from a simulated account.
//! Every tool is listed with its schema; a filter of each kind, paging to the end and the
//! funnel's summary answer what the data API answers for the same filters; wrong arguments
//! are tool errors naming the field; credentials without the workspace are refused; and the
//! simulator counts no request through the whole session.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use std::collections::HashMap;

use kommo_api::AppState;
use kommo_sim::{RunningSimulator, SimConfig, Simulator};
use kommo_store::ExposeSecret as _;
use kommo_store::testing::TestStore;
use reqwest::header::{HeaderName, HeaderValue};
use rmcp::ServiceExt as _;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;

const BINARY: &str = env!("CARGO_BIN_EXE_kommo-data");
const INTEGRATION: &str = "kommo-1";

type Client = RunningService<rmcp::RoleClient, ()>;

/// The data API on a socket, with credentials granted the integration's workspace.
struct Api {
    base: String,
    http: reqwest::Client,
    id: String,
    secret: String,
}

impl Api {
    /// `GET path` with `args` as query parameters (arrays as comma-separated lists) in the
    /// session's workspace and integration.
    async fn get(&self, path: &str, args: &Map<String, Value>) -> Value {
        let mut query: Vec<(String, String)> = vec![
            ("workspaceId".into(), kommo_testkit::WORKSPACE.into()),
            ("integrationId".into(), INTEGRATION.into()),
        ];
        for (name, value) in args {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Array(items) => items
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join(","),
                other => other.to_string(),
            };
            query.push((name.clone(), text));
        }
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header("x-client-id", &self.id)
            .header("x-client-secret", &self.secret)
            .query(&query)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path} {query:?}");
        response.json().await.unwrap()
    }
}

async fn call(client: &Client, tool: &str, args: Value) -> CallToolResult {
    client
        .call_tool(
            CallToolRequestParams::new(tool.to_owned())
                .with_arguments(args.as_object().unwrap().clone()),
        )
        .await
        .unwrap()
}

/// The result's structured content, which must be the same JSON as its text.
fn answer(result: &CallToolResult) -> Value {
    let text: Value = serde_json::from_str(&result.content[0].as_text().unwrap().text).unwrap();
    assert_eq!(result.structured_content.as_ref(), Some(&text));
    text
}

/// Open stays count `seconds_in_stage` up to now, so two reads a second apart differ there.
fn settled(mut rows: Value) -> Value {
    for row in rows.as_array_mut().into_iter().flatten() {
        if row.get("left_at").is_some_and(Value::is_null)
            && let Some(row) = row.as_object_mut()
        {
            row.remove("seconds_in_stage");
        }
    }
    rows
}

/// Pages `tool` with `args` to the end, checking each page against the data API's page of
/// the same filters, limit and number; the rows of every page.
async fn read_all(client: &Client, api: &Api, tool: &str, path: &str, args: Value) -> Vec<Value> {
    let mut args = args.as_object().unwrap().clone();
    let limit = args.get("limit").and_then(Value::as_u64).unwrap_or(50);
    let mut rows = Vec::new();
    for page in 1.. {
        assert!(page < 200, "{tool}: the pages never end");
        let result = call(client, tool, Value::Object(args.clone())).await;
        assert_eq!(result.is_error, Some(false), "{tool} {args:?}: {result:?}");
        let got = answer(&result);
        assert!(
            got["last_synced_at"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z')),
            "{got}"
        );
        let mut http_args = args.clone();
        http_args.remove("cursor");
        http_args.insert("limit".into(), json!(limit));
        http_args.insert("page".into(), json!(page));
        let expected = api.get(path, &http_args).await;
        assert_eq!(
            settled(got["data"].clone()),
            settled(expected["data"].clone()),
            "{tool} page {page} {args:?}"
        );
        let data = got["data"].as_array().unwrap();
        assert!(data.len() as u64 <= limit);
        rows.extend(data.iter().cloned());
        match &got["next_page"] {
            Value::Null => {
                assert_eq!(expected["meta"]["hasNextPage"], false);
                break;
            }
            Value::String(cursor) => {
                assert_eq!(expected["meta"]["hasNextPage"], true);
                args.insert("cursor".into(), json!(cursor));
            }
            other => panic!("next_page {other}"),
        }
    }
    rows
}

fn first_str<'a>(rows: &'a [Value], field: &str) -> &'a str {
    rows.iter()
        .find_map(|row| row[field].as_str().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| panic!("no row has a {field}"))
}

/// Everything a session checks, the same on both transports.
async fn session(client: &Client, api: &Api, sim: &RunningSimulator, transport: &str) {
    let before = sim.control().counters().total;

    // Every read tool, with its schema and read-only hints, beside the actions.
    let tools = client.list_all_tools().await.unwrap();
    assert_eq!(
        tools.len(),
        kommo_api::read_tools::tools().len() + kommo_actions::Catalog::list().len()
    );
    for info in kommo_api::read_tools::tools() {
        let tool = tools
            .iter()
            .find(|t| t.name == info.name)
            .unwrap_or_else(|| panic!("{transport}: {} missing", info.name));
        assert_eq!(*tool.input_schema, info.input_schema, "{}", info.name);
        assert_eq!(tool.description.as_deref(), Some(info.description.as_str()));
        let hints = tool.annotations.as_ref().unwrap();
        assert_eq!(hints.read_only_hint, Some(true));
        assert_eq!(hints.open_world_hint, Some(false));
    }

    // Paging to the end, with no filter and with each kind of filter.
    let leads = read_all(
        client,
        api,
        "KOMMO_DATA_LEADS",
        "/v1/kommo/leads",
        json!({"limit": 17}),
    )
    .await;
    assert!(leads.len() > 40, "{transport}: {} leads", leads.len());
    let default_page = answer(&call(client, "KOMMO_DATA_LEADS", json!({})).await);
    assert_eq!(
        default_page["data"].as_array().unwrap().len(),
        50,
        "the default limit"
    );
    let capped = answer(&call(client, "KOMMO_DATA_LEADS", json!({"limit": 5000})).await);
    assert_eq!(
        capped["data"].as_array().unwrap().len(),
        leads.len().min(100)
    );

    let pipelines = read_all(
        client,
        api,
        "KOMMO_DATA_PIPELINES",
        "/v1/kommo/pipelines",
        json!({}),
    )
    .await;
    let pipeline_id: i64 = pipelines[0]["pipeline_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let status_ids: Vec<i64> = pipelines
        .iter()
        .filter(|p| p["pipeline_id"] == pipelines[0]["pipeline_id"])
        .take(3)
        .map(|p| p["status_id"].as_str().unwrap().parse().unwrap())
        .collect();
    let mut created: Vec<&str> = leads
        .iter()
        .filter_map(|l| l["created_at"].as_str())
        .collect();
    created.sort_unstable();
    let middle = created[created.len() / 2];
    let tag = first_str(&leads, "tag_name_first");

    let filtered = [
        // Ids (one and a list), time range, deleted, order.
        (
            "KOMMO_DATA_LEADS",
            "/v1/kommo/leads",
            json!({"statusId": status_ids, "limit": 7}),
        ),
        (
            "KOMMO_DATA_LEADS",
            "/v1/kommo/leads",
            json!({"pipelineId": pipeline_id, "limit": 30}),
        ),
        (
            "KOMMO_DATA_LEADS",
            "/v1/kommo/leads",
            json!({"createdStart": "2000-01-01", "createdEnd": middle, "limit": 20}),
        ),
        (
            "KOMMO_DATA_LEADS",
            "/v1/kommo/leads",
            json!({"isDeleted": "any", "orderBy": "updated_at", "orderDirection": "asc", "limit": 40}),
        ),
        // Text.
        (
            "KOMMO_DATA_LEADS",
            "/v1/kommo/leads",
            json!({"tagName": tag}),
        ),
        (
            "KOMMO_DATA_PIPELINES",
            "/v1/kommo/pipelines",
            json!({"statusName": first_str(&pipelines, "status_name")}),
        ),
        // Integer.
        (
            "KOMMO_DATA_PIPELINES",
            "/v1/kommo/pipelines",
            json!({"type": 0, "limit": 4}),
        ),
    ];
    for (tool, path, args) in filtered {
        let rows = read_all(client, api, tool, path, args.clone()).await;
        assert!(!rows.is_empty(), "{transport}: {tool} {args} found nothing");
    }

    let contacts = read_all(
        client,
        api,
        "KOMMO_DATA_CONTACTS",
        "/v1/kommo/contacts",
        json!({"limit": 25}),
    )
    .await;
    let email = first_str(&contacts, "email");
    let phone = first_str(&contacts, "phone");
    let users = read_all(
        client,
        api,
        "KOMMO_DATA_USERS",
        "/v1/kommo/users",
        json!({}),
    )
    .await;
    let companies = read_all(
        client,
        api,
        "KOMMO_DATA_COMPANIES",
        "/v1/kommo/companies",
        json!({"limit": 10}),
    )
    .await;
    let company_ids: Vec<i64> = companies
        .iter()
        .take(3)
        .map(|c| c["company_id"].as_str().unwrap().parse().unwrap())
        .collect();
    let filtered = [
        // Email and phone.
        (
            "KOMMO_DATA_CONTACTS",
            "/v1/kommo/contacts",
            json!({"email": email.to_uppercase()}),
        ),
        (
            "KOMMO_DATA_CONTACTS",
            "/v1/kommo/contacts",
            json!({"phone": phone}),
        ),
        (
            "KOMMO_DATA_USERS",
            "/v1/kommo/users",
            json!({"email": first_str(&users, "email")}),
        ),
        // Booleans and entity types.
        (
            "KOMMO_DATA_USERS",
            "/v1/kommo/users",
            json!({"isActive": true}),
        ),
        (
            "KOMMO_DATA_TASKS",
            "/v1/kommo/tasks",
            json!({"entityType": ["leads", "contacts"], "limit": 15}),
        ),
        (
            "KOMMO_DATA_TASKS",
            "/v1/kommo/tasks",
            json!({"isDeleted": "any", "orderBy": "complete_till"}),
        ),
        (
            "KOMMO_DATA_COMPANIES",
            "/v1/kommo/companies",
            json!({"companyId": company_ids}),
        ),
        // The funnel history's rows.
        (
            "KOMMO_DATA_LEAD_STATUS_CHANGES",
            "/v1/kommo/lead-status-changes",
            json!({"changedStart": "2000-01-01", "limit": 25}),
        ),
        (
            "KOMMO_DATA_LEAD_STAGES",
            "/v1/kommo/lead-stages",
            json!({"pipelineId": [pipeline_id], "limit": 30}),
        ),
        (
            "KOMMO_DATA_LEAD_STAGES",
            "/v1/kommo/lead-stages",
            json!({"isCurrent": true, "limit": 50}),
        ),
    ];
    for (tool, path, args) in filtered {
        let rows = read_all(client, api, tool, path, args.clone()).await;
        assert!(!rows.is_empty(), "{transport}: {tool} {args} found nothing");
    }

    // The funnel answers its summary, the data API's.
    let args = json!({"pipelineId": pipeline_id, "createdStart": "2000-01-01"});
    let result = call(client, "KOMMO_DATA_FUNNEL", args.clone()).await;
    assert_eq!(result.is_error, Some(false), "{result:?}");
    let funnel = answer(&result);
    assert!(funnel.get("next_page").is_none());
    assert!(funnel["last_synced_at"].is_string());
    let expected = api.get("/v1/kommo/funnel", args.as_object().unwrap()).await;
    assert_eq!(funnel["data"], expected, "{transport}");
    assert!(
        funnel["data"]["stages"]
            .as_array()
            .is_some_and(|s| !s.is_empty())
    );

    // Wrong arguments: a tool error naming the field, whatever the kind of mistake.
    for (tool, args, field) in [
        ("KOMMO_DATA_LEADS", json!({"statusId": "won"}), "statusId"),
        ("KOMMO_DATA_LEADS", json!({"statusId": [1.5]}), "statusId"),
        ("KOMMO_DATA_LEADS", json!({"pipelineID": 1}), "pipelineID"),
        (
            "KOMMO_DATA_LEADS",
            json!({"createdStart": "yesterday"}),
            "createdStart",
        ),
        (
            "KOMMO_DATA_LEADS",
            json!({"cursor": "2-0000000000000000"}),
            "cursor",
        ),
        ("KOMMO_DATA_USERS", json!({"isActive": "yes"}), "isActive"),
        (
            "KOMMO_DATA_TASKS",
            json!({"entityType": "deals"}),
            "entityType",
        ),
        ("KOMMO_DATA_FUNNEL", json!({}), "pipelineId"),
    ] {
        let result = call(client, tool, args.clone()).await;
        assert_eq!(result.is_error, Some(true), "{tool} {args}");
        let error = answer(&result);
        assert_eq!(
            error["invalid_params"][0]["name"], field,
            "{tool} {args}: {error}"
        );
        assert!(
            error["error"]
                .as_str()
                .unwrap()
                .contains(&format!("`{field}`")),
            "{error}"
        );
    }
    let missing = answer(
        &call(
            client,
            "KOMMO_DATA_FUNNEL",
            json!({"pipelineId": 999_999_999}),
        )
        .await,
    );
    assert!(
        missing["error"].as_str().unwrap().contains("999999999"),
        "{missing}"
    );

    assert_eq!(
        sim.control().counters().total,
        before,
        "{transport}: the read tools asked Kommo"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_tools_over_stdio_and_http_serve_the_data_api_rows_without_kommo() {
    for (_backend, test) in kommo_testkit::stores().await {
        run(&test).await;
        test.cleanup().await.unwrap();
    }
}

async fn run(test: &TestStore) {
    let sim = Simulator::start(SimConfig::unlimited().with_leads(120).with_seed(18))
        .await
        .unwrap();
    let store = &test.store;
    kommo_testkit::integration(store, INTEGRATION, &sim).await;
    let synced = kommo_testkit::kommo_data(BINARY, test)
        .args(["sync", "--integration", INTEGRATION])
        .output()
        .unwrap();
    assert!(
        synced.status.success(),
        "{}",
        String::from_utf8_lossy(&synced.stderr)
    );
    store
        .create_workspace(kommo_testkit::ORG, "ws-2", "Another")
        .await
        .unwrap();
    let mine = store
        .create_credentials(
            kommo_testkit::ORG,
            &[kommo_testkit::WORKSPACE.to_owned()],
            0,
        )
        .await
        .unwrap();
    let elsewhere = store
        .create_credentials(kommo_testkit::ORG, &["ws-2".to_owned()], 0)
        .await
        .unwrap();

    let shutdown = CancellationToken::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(kommo_api::serve(
        listener,
        kommo_api::app(AppState::new(store.clone())),
        shutdown.clone(),
    ));
    let api = Api {
        base: base.clone(),
        http: reqwest::Client::new(),
        id: mine.client_id.clone(),
        secret: mine.client_secret.expose_secret().to_owned(),
    };

    // stdio: the binary, launched as an agent launches it, on the test's database.
    let std_command = kommo_testkit::kommo_data(BINARY, test);
    let mut command = tokio::process::Command::from(std_command);
    command
        .args(["mcp", "--integration", INTEGRATION])
        .env("RUST_LOG", "warn");
    let client = ().serve(TokioChildProcess::new(command).unwrap()).await.unwrap();
    session(&client, &api, &sim, "stdio").await;
    client.cancel().await.unwrap();

    // Streamable HTTP: `/mcp` behind the data API's credentials.
    let connect = |id: &str, secret: &str| {
        let headers: HashMap<HeaderName, HeaderValue> = [
            ("x-client-id", id),
            ("x-client-secret", secret),
            ("x-workspace-id", kommo_testkit::WORKSPACE),
            ("x-integration-id", INTEGRATION),
        ]
        .into_iter()
        .map(|(k, v)| {
            (
                HeaderName::from_static(k),
                HeaderValue::from_str(v).unwrap(),
            )
        })
        .collect();
        let config = StreamableHttpClientTransportConfig::with_uri(format!("{base}/mcp"))
            .custom_headers(headers);
        ().serve(StreamableHttpClientTransport::from_config(config))
    };
    let client = connect(&api.id, &api.secret).await.unwrap();
    session(&client, &api, &sim, "http").await;
    client.cancel().await.unwrap();

    // Credentials without the workspace are refused before any tool is reached.
    let refused = connect(
        &elsewhere.client_id,
        elsewhere.client_secret.expose_secret(),
    )
    .await;
    assert!(
        refused.is_err(),
        "credentials of another workspace connected"
    );
    let status = api
        .http
        .post(format!("{base}/mcp"))
        .header("x-client-id", &elsewhere.client_id)
        .header("x-client-secret", elsewhere.client_secret.expose_secret())
        .header("x-workspace-id", kommo_testkit::WORKSPACE)
        .header("x-integration-id", INTEGRATION)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 403);
    shutdown.cancel();
}
