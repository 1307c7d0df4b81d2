//! `kommo-data mcp` end to end: the real binary launched the way a desktop agent launches it
//! (from the printed client configuration), driven by the MCP SDK's own client over stdio.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use kommo_actions::Catalog;
use kommo_sim::{SimConfig, Simulator};
use kommo_store::{IntegrationAuth, Keys, NewIntegration, SecretString, Store};
use rmcp::ServiceExt as _;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::{ConfigureCommandExt as _, TokioChildProcess};
use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_kommo-data");

/// A database with one integration on `base_url`, and its key file.
async fn database(dir: &std::path::Path, base_url: &str, token: &str) -> (String, String) {
    let keys = Keys::generate();
    let key_file = dir.join("kommo.key");
    std::fs::write(&key_file, keys.to_base64()).unwrap();
    let db = dir.join("kommo.sqlite").to_string_lossy().into_owned();
    let store = Store::connect(&db, keys).await.unwrap();
    store.create_organization("acme", "Acme").await.unwrap();
    store
        .create_workspace("acme", "sales", "Sales")
        .await
        .unwrap();
    store
        .create_integration(NewIntegration {
            id: "acme-kommo".to_owned(),
            workspace_id: "sales".to_owned(),
            base_url: base_url.to_owned(),
            auth: IntegrationAuth::LongLivedToken(SecretString::from(token.to_owned())),
            rate_limit_per_second: 7,
        })
        .await
        .unwrap();
    store.close().await;
    (db, key_file.to_string_lossy().into_owned())
}

#[tokio::test]
async fn the_printed_configuration_launches_a_working_stdio_server() {
    let sim = Simulator::start(SimConfig::unlimited().with_leads(30))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (db, key_file) = database(dir.path(), &sim.base_url(), &sim.access_token()).await;

    // Exactly what a user pastes into the agent's settings.
    let config = kommo_mcp::stdio_client_config(&kommo_mcp::StdioClientConfig {
        binary: BINARY,
        database: &db,
        integration_id: "acme-kommo",
        secret_key_file: Some(&key_file),
    });
    let server = &config["mcpServers"]["kommo"];
    let args: Vec<String> = server["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    let env: Vec<(String, String)> = server["env"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    let command =
        tokio::process::Command::new(server["command"].as_str().unwrap()).configure(|cmd| {
            cmd.args(&args)
                .envs(env.clone())
                .env("RUST_LOG", "warn")
                .current_dir(std::env::temp_dir());
        });
    let client =
        ().serve(TokioChildProcess::new(command).unwrap())
            .await
            .expect("initialize over stdio");
    assert_eq!(
        client
            .peer_info()
            .unwrap()
            .server_info
            .as_ref()
            .map(|i| i.name.as_str()),
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
            info.input_schema
        );
        assert!(
            tool.description
                .as_deref()
                .is_some_and(|d| d.starts_with("Action to")),
            "{}",
            info.name
        );
    }

    let args = |v: Value| v.as_object().unwrap().clone();
    let result = client
        .call_tool(
            CallToolRequestParams::new("KOMMO_CREATE_LEAD")
                .with_arguments(args(json!({"name": "Desktop agent lead", "price": 12}))),
        )
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(false));
    let envelope: Value = serde_json::from_str(&result.content[0].as_text().unwrap().text).unwrap();
    let id = envelope["data"]["lead"]["id"].as_i64().unwrap();
    assert_eq!(sim.control().lead(id).unwrap().name, "Desktop agent lead");

    let result = client
        .call_tool(
            CallToolRequestParams::new("KOMMO_UPDATE_LEAD")
                .with_arguments(args(json!({"id": id, "status_id": 31_337}))),
        )
        .await
        .unwrap();
    assert_eq!(
        result.is_error,
        Some(true),
        "Kommo refused: flagged as an error"
    );
    let envelope: Value = serde_json::from_str(&result.content[0].as_text().unwrap().text).unwrap();
    assert_eq!(envelope["successful"], false);
    assert!(
        envelope["error"]
            .as_str()
            .unwrap()
            .contains("field `status_id`"),
        "{envelope}"
    );
    client.cancel().await.unwrap();

    // The binary wrote the new lead through to its database.
    let store = Store::connect(
        &db,
        Keys::from_base64(std::fs::read_to_string(&key_file).unwrap().trim()).unwrap(),
    )
    .await
    .unwrap();
    let rows = store.all_lead_rows("acme-kommo").await.unwrap();
    assert!(
        rows.iter()
            .any(|r| r.lead_id == id && r.lead_name.as_deref() == Some("Desktop agent lead"))
    );
    store.close().await;
}

#[tokio::test]
async fn without_its_key_or_integration_the_command_says_why() {
    let sim = Simulator::start(SimConfig::unlimited().with_leads(5))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (db, key_file) = database(dir.path(), &sim.base_url(), &sim.access_token()).await;
    let missing_key = dir.path().join("nope.key");
    let output = tokio::process::Command::new(BINARY)
        .args([
            "mcp",
            "--integration",
            "acme-kommo",
            "--database",
            &db,
            "--secret-key-file",
        ])
        .arg(&missing_key)
        .env_remove("KOMMO_DATA_SECRET_KEY")
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("master key file"), "{stderr}");
    assert!(
        !missing_key.exists(),
        "no new key is made: it could not decrypt the stored tokens"
    );

    let output = tokio::process::Command::new(BINARY)
        .args([
            "mcp",
            "--integration",
            "nobody",
            "--database",
            &db,
            "--secret-key-file",
            &key_file,
        ])
        .env_remove("KOMMO_DATA_SECRET_KEY")
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no integration \"nobody\""));
}
