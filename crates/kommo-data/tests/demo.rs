//! The README's first command as a newcomer runs it: `kommo-data demo` starts the simulator,
//! syncs it into a fresh SQLite file, serves the data API, and prints curl commands with real
//! credentials; every printed command must answer 200 with rows, and SIGTERM must stop the
//! whole demo cleanly.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// One printed `curl -s 'URL' -H 'x-client-id: ID' -H 'x-client-secret: SECRET'` line.
#[derive(Debug)]
struct Printed {
    url: String,
    client_id: String,
    secret: String,
}

fn parse_curl(line: &str) -> Option<Printed> {
    let rest = line.trim().strip_prefix("curl -s '")?;
    let (url, rest) = rest.split_once('\'')?;
    let header = |name: &str| {
        let start = rest.find(&format!("-H '{name}: "))? + name.len() + 6;
        let end = rest[start..].find('\'')? + start;
        Some(rest[start..end].to_owned())
    };
    Some(Printed {
        url: url.to_owned(),
        client_id: header("x-client-id")?,
        secret: header("x-client-secret")?,
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_prints_working_requests_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut demo = Command::new(env!("CARGO_BIN_EXE_kommo-data"))
        .args(["demo", "--leads", "400", "--port"])
        .arg(free_port().to_string())
        .arg("--dir")
        .arg(dir.path().join("demo"))
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();

    // Read stdout on a thread until the demo says it is ready.
    let stdout = demo.stdout.take().unwrap();
    let (lines_tx, lines_rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut printed = Vec::new();
    let mut transcript = String::new();
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let line = lines_rx
            .recv_timeout(remaining)
            .unwrap_or_else(|e| panic!("demo not ready ({e}); it printed:\n{transcript}"));
        transcript.push_str(&line);
        transcript.push('\n');
        if let Some(curl) = parse_curl(&line) {
            printed.push(curl);
        }
        if line.contains("Ctrl-C stops everything.") {
            break;
        }
    }

    // Leads of a pipeline in a date range, pipelines, a contact by email, users.
    let paths: Vec<&str> = printed
        .iter()
        .map(|p| p.url.split('?').next().unwrap_or(""))
        .collect();
    for resource in ["leads", "pipelines", "contacts", "users"] {
        assert!(
            paths
                .iter()
                .any(|p| p.ends_with(&format!("/v1/kommo/{resource}"))),
            "no {resource} example in:\n{transcript}"
        );
    }
    let client = reqwest::Client::new();
    for p in &printed {
        let response = client
            .get(&p.url)
            .header("x-client-id", &p.client_id)
            .header("x-client-secret", &p.secret)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", p.url);
        let body: serde_json::Value =
            serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        // A page's rows, or the funnel's stages.
        let rows = body["data"]
            .as_array()
            .or_else(|| body["stages"].as_array())
            .map_or(0, Vec::len);
        assert!(rows > 0, "{} returned no rows: {body}", p.url);
    }
    // The credentials are real: a wrong secret is refused.
    let first = &printed[0];
    let refused = client
        .get(&first.url)
        .header("x-client-id", &first.client_id)
        .header("x-client-secret", "wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);

    let pid = demo.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let stopped_by = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = demo.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > stopped_by {
            demo.kill().ok();
            panic!("the demo did not stop within 30 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "demo exited with {status}");
}
