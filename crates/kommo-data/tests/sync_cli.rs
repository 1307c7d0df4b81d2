//! The admin and sync commands as a script uses them: each prints exactly one JSON object
//! with `--json`, `sync` fills the database from a simulated account (long-lived token and
//! OAuth code), `sync status` reports runs, counts and lag, failures exit non-zero.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use std::path::Path;
use std::process::Command;

use kommo_sim::{SimConfig, Simulator};
use serde_json::Value;

/// Runs `kommo-data ARGS --json` against the database in `dir`; returns (success, the one
/// JSON object printed, stderr).
fn run(dir: &Path, args: &[&str]) -> (bool, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kommo-data"))
        .args(args)
        .arg("--json")
        .env("KOMMO_DATA_DATABASE_URL", dir.join("data.sqlite"))
        .env("KOMMO_DATA_SECRET_KEY_FILE", dir.join("data.key"))
        .env_remove("KOMMO_DATA_SECRET_KEY")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        1,
        "{args:?} must print exactly one JSON object, printed: {stdout:?}; stderr: {stderr}"
    );
    let value: Value =
        serde_json::from_str(lines[0]).unwrap_or_else(|e| panic!("{args:?}: {e}: {stdout}"));
    assert!(value.is_object(), "{args:?}: {value}");
    (out.status.success(), value, stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_commands_and_sync_are_scriptable() {
    // Kommo's real limits (7 a second per token; the two integrations have a token each), so
    // that the "no 429" below means something.
    let sim = Simulator::start(SimConfig::default().with_leads(1_500).with_seed(4))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    let (ok, org, _) = run(d, &["org", "create", "--id", "acme", "--name", "Acme Ltda"]);
    assert!(
        ok && org["id"] == "acme" && org["name"] == "Acme Ltda",
        "{org}"
    );
    let (ok, ws, _) = run(
        d,
        &[
            "workspace",
            "create",
            "--org",
            "acme",
            "--id",
            "sales",
            "--name",
            "Sales",
        ],
    );
    assert!(ok && ws["organization_id"] == "acme", "{ws}");

    let url = sim.base_url();
    let token = sim.access_token();
    let (ok, token_integration, _) = run(
        d,
        &[
            "integration",
            "add",
            "--workspace",
            "sales",
            "--id",
            "kommo-a",
            "--base-url",
            &url,
            "--access-token",
            &token,
        ],
    );
    assert!(ok, "{token_integration}");
    assert_eq!(token_integration["auth"], "long_lived_token");
    assert_eq!(token_integration["rate_limit_per_second"], 7);
    assert!(
        !token_integration.to_string().contains(&token),
        "the token is never printed"
    );

    let app = sim.oauth_app();
    let code = sim.issue_auth_code();
    let (ok, oauth_integration, stderr) = run(
        d,
        &[
            "integration",
            "add",
            "--workspace",
            "sales",
            "--id",
            "kommo-b",
            "--base-url",
            &url,
            "--client-id",
            &app.client_id,
            "--client-secret",
            &app.client_secret,
            "--redirect-uri",
            &app.redirect_uri,
            "--code",
            &code,
            "--rate-limit",
            "5",
        ],
    );
    assert!(ok, "{oauth_integration} {stderr}");
    assert_eq!(oauth_integration["auth"], "oauth");
    assert!(!oauth_integration.to_string().contains(&app.client_secret));

    let (ok, credentials, _) = run(
        d,
        &[
            "credentials",
            "create",
            "--org",
            "acme",
            "--workspaces",
            "sales",
        ],
    );
    assert!(ok, "{credentials}");
    assert!(credentials["client_id"].as_str().unwrap().len() > 8);
    assert!(credentials["client_secret"].as_str().unwrap().len() >= 32);
    assert_eq!(credentials["workspace_ids"], serde_json::json!(["sales"]));

    let (ok, first, stderr) = run(d, &["sync"]);
    assert!(ok, "{first} {stderr}");
    assert_eq!(first["ok"], true);
    let runs = first["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    for r in runs {
        assert_eq!(r["kind"], "full", "{r}");
        assert!(r["leads"].as_u64().unwrap() >= 1_400, "{r}");
        assert_eq!(r["rate_limited"], 0, "{r}");
    }
    assert_eq!(
        sim.control().counters().rate_limited,
        0,
        "the simulator answered 429s"
    );

    let (ok, second, _) = run(d, &["sync", "--integration", "kommo-b"]);
    assert!(ok, "{second}");
    assert_eq!(second["runs"].as_array().unwrap().len(), 1);
    assert_eq!(second["runs"][0]["kind"], "incremental");

    let (ok, status, _) = run(d, &["sync", "status"]);
    assert!(ok, "{status}");
    let integrations = status["integrations"].as_array().unwrap();
    assert_eq!(integrations.len(), 2);
    let b = integrations.iter().find(|i| i["id"] == "kommo-b").unwrap();
    assert_eq!(b["runs"].as_array().unwrap().len(), 2);
    assert!(b["counts"]["leads"].as_u64().unwrap() >= 1_400, "{b}");
    assert!(b["lag_seconds"].as_u64().unwrap() < 600, "{b}");
    assert_eq!(b["streams"]["leads"]["full_sync_done"], true);
    assert!(b["last_error"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_integration_exits_non_zero_with_its_reason() {
    let sim = Simulator::start(SimConfig::unlimited().with_leads(200).with_seed(4))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run(d, &["org", "create", "--id", "o", "--name", "O"]);
    run(
        d,
        &[
            "workspace",
            "create",
            "--org",
            "o",
            "--id",
            "w",
            "--name",
            "W",
        ],
    );
    let url = sim.base_url();
    let token = sim.access_token();
    run(
        d,
        &[
            "integration",
            "add",
            "--workspace",
            "w",
            "--id",
            "good",
            "--base-url",
            &url,
            "--access-token",
            &token,
        ],
    );
    run(
        d,
        &[
            "integration",
            "add",
            "--workspace",
            "w",
            "--id",
            "bad",
            "--base-url",
            &url,
            "--access-token",
            "revoked",
        ],
    );

    let (ok, result, _) = run(d, &["sync"]);
    assert!(!ok, "a failed integration makes the command fail: {result}");
    assert_eq!(result["ok"], false);
    let bad = result["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["integration_id"] == "bad")
        .unwrap();
    assert!(bad["error"].as_str().unwrap().contains("401"), "{bad}");
    let good = result["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["integration_id"] == "good")
        .unwrap();
    assert_eq!(good["ok"], true, "{good}");

    let (_, status, _) = run(d, &["sync", "status", "--integration", "bad"]);
    let bad = &status["integrations"][0];
    assert!(bad["last_error"].as_str().unwrap().contains("401"), "{bad}");
    assert!(
        bad["lag_seconds"].is_null(),
        "never synced successfully: {bad}"
    );
    assert_eq!(bad["runs"][0]["status"], "failed");
}
