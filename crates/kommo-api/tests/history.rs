//! The funnel history's resources over HTTP (`lead-status-changes`, `lead-stages`, `funnel`):
//! filters against the written rows, paging, orders, errors, tenancy and hostile input, on
//! SQLite and Postgres. What the rows hold after a sync is proven against the simulator in
//! `kommo-sync/tests/history.rs`; here the store is written directly so every case is known.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod common;

use std::collections::BTreeSet;

use axum::http::StatusCode;
use common::{BASE, ORG_A, ORG_B, WS, WS_A_OTHER, WS_B, World, tenancy};
use kommo_api::params::{self, Kind, ParamSpec};
use kommo_store::rows::{LeadStatusChangeRow, RowTenancy};
use kommo_store::{LeadStay, unix_seconds_to_rfc3339};
use serde_json::Value;

const LEADS: i64 = 60;
const WON: i64 = 142;
const LOST: i64 = 143;

/// One lead's path in pipeline 10: (status, entered_at), and whether it is deleted.
fn path(i: i64) -> (Vec<(i64, i64)>, bool) {
    let created = BASE + i * 3_600;
    let mut at = created;
    let mut out = vec![(101, at)];
    if i % 5 != 0 {
        at += (i % 4 + 1) * 3_600;
        out.push((102, at));
    }
    match i % 3 {
        0 => {
            at += (i % 6 + 1) * 7_200;
            out.push((WON, at));
        }
        1 => {
            at += (i % 6 + 1) * 7_200;
            out.push((LOST, at));
        }
        _ => {}
    }
    (out, i == 7)
}

fn stays_of(i: i64) -> Vec<LeadStay> {
    let (path, deleted) = path(i);
    let last = path[path.len() - 1];
    path.iter()
        .enumerate()
        .map(|(n, &(status, entered))| LeadStay {
            lead_id: i,
            pipeline_id: 10,
            status_id: status,
            pipeline_name: Some("Sales".into()),
            status_name: Some(format!("S{status}")),
            entered_at: entered,
            left_at: path
                .get(n + 1)
                .map(|p| p.1)
                .or(deleted.then_some(entered + 60)),
            next: path.get(n + 1).map(|p| (10, p.0)),
            lead_created_at: path[0].1,
            lead_status_id: last.0,
            lead_closed_at: (last.0 == WON || last.0 == LOST).then_some(last.1),
            lead_is_deleted: deleted,
        })
        .collect()
}

fn changes_of(t: &RowTenancy, i: i64) -> Vec<LeadStatusChangeRow> {
    let (path, _) = path(i);
    path.windows(2)
        .map(|w| LeadStatusChangeRow {
            event_id: format!("ev-{i:03}-{}", w[1].0),
            lead_id: i,
            pipeline_id_before: Some(10),
            status_id_before: Some(w[0].0),
            pipeline_id_after: 10,
            status_id_after: w[1].0,
            pipeline_name_before: Some("Sales".into()),
            status_name_before: Some(format!("S{}", w[0].0)),
            pipeline_name_after: Some("Sales".into()),
            status_name_after: Some(format!("S{}", w[1].0)),
            changed_at: w[1].1,
            changed_by: Some(i % 3),
            tenancy: t.clone(),
            document_id: String::new(),
            inserted_at: 0,
        })
        .collect()
}

/// Writes the same histories for an integration of each workspace.
async fn seed(w: &World) {
    for t in [
        tenancy(ORG_A, WS, "int_a1"),
        tenancy(ORG_A, WS_A_OTHER, "int_a3"),
        tenancy(ORG_B, WS_B, "int_b1"),
    ] {
        let changes: Vec<_> = (1..=LEADS).flat_map(|i| changes_of(&t, i)).collect();
        w.store
            .write_lead_events(&t, &changes, &[], None)
            .await
            .unwrap();
        // Written twice: events are de-duplicated by id.
        let again = w
            .store
            .write_lead_events(&t, &changes, &[], None)
            .await
            .unwrap();
        assert_eq!(again, 0);
        let ids: Vec<i64> = (1..=LEADS).collect();
        let stays: Vec<_> = ids.iter().flat_map(|&i| stays_of(i)).collect();
        w.store
            .replace_lead_stages(&t, &ids, &stays, None)
            .await
            .unwrap();
    }
}

fn time(t: i64) -> String {
    unix_seconds_to_rfc3339(t).unwrap()
}

fn keys(rows: &[Value], field: &str) -> Vec<String> {
    rows.iter()
        .map(|r| r[field].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn status_change_filters_and_paging(w: &World) {
    seed(w).await;
    let all: Vec<LeadStatusChangeRow> = (1..=LEADS)
        .flat_map(|i| changes_of(&tenancy(ORG_A, WS, "int_a1"), i))
        .collect();
    let expect = |keep: &dyn Fn(&LeadStatusChangeRow) -> bool| -> BTreeSet<String> {
        all.iter()
            .filter(|c| keep(c))
            .map(|c| c.event_id.clone())
            .collect()
    };
    let t0 = BASE + 20 * 3_600;
    let t1 = BASE + 40 * 3_600;
    let cases: Vec<(String, BTreeSet<String>)> = vec![
        (String::new(), expect(&|_| true)),
        (
            "&leadId=3,4,5".into(),
            expect(&|c| (3..=5).contains(&c.lead_id)),
        ),
        (
            "&statusId=142".into(),
            expect(&|c| c.status_id_after == WON),
        ),
        ("&pipelineId=10".into(), expect(&|_| true)),
        ("&pipelineId=20".into(), BTreeSet::new()),
        ("&changedBy=0".into(), expect(&|c| c.changed_by == Some(0))),
        (
            format!("&changedStart={}&changedEnd={}", time(t0), time(t1)),
            expect(&|c| c.changed_at >= t0 && c.changed_at <= t1),
        ),
        ("&integrationId=int_a2".into(), BTreeSet::new()),
    ];
    for (filter, want) in cases {
        let uri = format!("/v1/kommo/lead-status-changes?workspaceId={WS}{filter}");
        let rows = w.all_pages(&w.a, &uri, 7).await;
        let got = keys(&rows, "event_id");
        let unique: BTreeSet<String> = got.iter().cloned().collect();
        assert_eq!(unique.len(), got.len(), "{uri}: a row served twice");
        assert_eq!(unique, want, "{uri}");
        for row in &rows {
            assert_eq!(row["workspace_id"], WS);
            assert_eq!(row["organization_id"], ORG_A);
        }
    }
    // Default order: newest first; and every order column both ways.
    let rows = w
        .all_pages(
            &w.a,
            &format!("/v1/kommo/lead-status-changes?workspaceId={WS}"),
            500,
        )
        .await;
    let changed = keys(&rows, "changed_at");
    let mut sorted = changed.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(changed, sorted);
    for column in ["changed_at", "lead_id", "inserted_at"] {
        for direction in ["asc", "desc"] {
            let uri = format!(
                "/v1/kommo/lead-status-changes?workspaceId={WS}&orderBy={column}&orderDirection={direction}"
            );
            let rows = w.all_pages(&w.a, &uri, 13).await;
            assert_eq!(rows.len(), all.len(), "{uri}");
            let values: Vec<i64> = rows
                .iter()
                .map(|r| match &r[column] {
                    Value::String(s) => s.parse().unwrap_or_else(|_| {
                        chrono::DateTime::parse_from_rfc3339(s)
                            .unwrap()
                            .timestamp_millis()
                    }),
                    other => panic!("{column}: {other}"),
                })
                .collect();
            let mut sorted = values.clone();
            sorted.sort_unstable();
            if direction == "desc" {
                sorted.reverse();
            }
            assert_eq!(values, sorted, "{uri}");
        }
    }
    // The published form of one row.
    let row = &w
        .ok(&format!(
            "/v1/kommo/lead-status-changes?workspaceId={WS}&leadId=3&statusId=142"
        ))
        .await["data"][0];
    assert_eq!(row["event_id"], "ev-003-142");
    assert_eq!(row["lead_id"], "3");
    assert_eq!(row["status_id_before"], "102");
    assert_eq!(row["status_name_after"], "S142");
    assert_eq!(row["changed_by"], "0");
    assert!(row["changed_at"].as_str().unwrap().ends_with(".000Z"));
    assert_eq!(row["document_id"].as_str().unwrap().len(), 36);
}

async fn stage_filters_and_paging(w: &World) {
    seed(w).await;
    let all: Vec<LeadStay> = (1..=LEADS).flat_map(stays_of).collect();
    let key = |s: &LeadStay| format!("{}@{}", s.lead_id, time(s.entered_at));
    let expect = |keep: &dyn Fn(&LeadStay) -> bool| -> BTreeSet<String> {
        all.iter().filter(|s| keep(s)).map(key).collect()
    };
    let t0 = BASE + 10 * 3_600;
    let cases: Vec<(String, BTreeSet<String>)> = vec![
        (String::new(), expect(&|_| true)),
        (
            "&leadId=7,8".into(),
            expect(&|s| s.lead_id == 7 || s.lead_id == 8),
        ),
        ("&statusId=102".into(), expect(&|s| s.status_id == 102)),
        ("&pipelineId=10".into(), expect(&|_| true)),
        ("&isCurrent=true".into(), expect(&|s| s.left_at.is_none())),
        ("&isCurrent=false".into(), expect(&|s| s.left_at.is_some())),
        (
            format!("&enteredStart={}", time(t0)),
            expect(&|s| s.entered_at >= t0),
        ),
    ];
    for (filter, want) in cases {
        let uri = format!("/v1/kommo/lead-stages?workspaceId={WS}{filter}");
        let rows = w.all_pages(&w.a, &uri, 9).await;
        let got: Vec<String> = rows
            .iter()
            .map(|r| {
                format!(
                    "{}@{}",
                    r["lead_id"].as_str().unwrap(),
                    r["entered_at"].as_str().unwrap()
                )
            })
            .collect();
        let unique: BTreeSet<String> = got.iter().cloned().collect();
        assert_eq!(unique.len(), got.len(), "{uri}: a row served twice");
        assert_eq!(unique, want, "{uri}");
    }
    // A finished stay's length is left minus entered; an open one's counts up to now.
    let rows = w
        .all_pages(
            &w.a,
            &format!("/v1/kommo/lead-stages?workspaceId={WS}&leadId=3"),
            10,
        )
        .await;
    let now = chrono::Utc::now().timestamp();
    for row in rows {
        let entered = chrono::DateTime::parse_from_rfc3339(row["entered_at"].as_str().unwrap())
            .unwrap()
            .timestamp();
        let seconds = row["seconds_in_stage"].as_i64().unwrap();
        match row["left_at"].as_str() {
            Some(left) => {
                let left = chrono::DateTime::parse_from_rfc3339(left)
                    .unwrap()
                    .timestamp();
                assert_eq!(seconds, left - entered);
                assert!(row["next_status_id"].is_string());
            }
            None => {
                assert!((now - entered - seconds).abs() <= 5, "{row}");
                assert!(row["next_status_id"].is_null());
            }
        }
    }
    for column in ["entered_at", "lead_id", "left_at", "inserted_at"] {
        let uri =
            format!("/v1/kommo/lead-stages?workspaceId={WS}&orderBy={column}&orderDirection=asc");
        assert_eq!(w.all_pages(&w.a, &uri, 50).await.len(), all.len(), "{uri}");
    }
}

/// The funnel of pipeline 10, worked out from the written paths.
fn expected_funnel(created: (i64, i64)) -> Value {
    let cohort: Vec<i64> = (1..=LEADS)
        .filter(|&i| {
            let c = BASE + i * 3_600;
            c >= created.0 && c <= created.1 && !path(i).1
        })
        .collect();
    let stages = [(101, 10), (102, 20), (WON, 10000)];
    let rank = |s: i64| stages.iter().position(|x| x.0 == s);
    let furthest: Vec<Option<usize>> = cohort
        .iter()
        .map(|&i| path(i).0.iter().filter_map(|p| rank(p.0)).max())
        .collect();
    let nearest = |mut v: Vec<i64>, p: usize| -> Option<f64> {
        v.sort_unstable();
        (!v.is_empty()).then(|| v[(p * v.len()).div_ceil(100) - 1] as f64 / 3600.0)
    };
    let mut out = Vec::new();
    let mut previous: Option<i64> = None;
    for (k, &(status, sort)) in stages.iter().enumerate() {
        let durations: Vec<i64> = cohort
            .iter()
            .flat_map(|&i| {
                let p = path(i).0;
                p.windows(2)
                    .filter(|w| w[0].0 == status)
                    .map(|w| w[1].1 - w[0].1)
                    .collect::<Vec<_>>()
            })
            .collect();
        let entered = cohort
            .iter()
            .filter(|&&i| path(i).0.iter().any(|p| p.0 == status))
            .count() as i64;
        let reached = furthest
            .iter()
            .filter(|f| f.is_some_and(|f| f >= k))
            .count() as i64;
        let current = cohort
            .iter()
            .filter(|&&i| path(i).0.last().unwrap().0 == status)
            .count() as i64;
        let lost_from = cohort
            .iter()
            .filter(|&&i| {
                path(i)
                    .0
                    .windows(2)
                    .any(|w| w[0].0 == status && w[1].0 == LOST)
            })
            .count() as i64;
        let status_name = ["Incoming", "Qualified", "Won"][k];
        out.push(serde_json::json!({
            "status_id": status.to_string(),
            "status_name": status_name,
            "sort": sort,
            "entered": entered,
            "reached": reached,
            "conversion_from_previous": previous.filter(|p| *p > 0).map(|p| reached as f64 / p as f64),
            "current": current,
            "lost_from": lost_from,
            "median_hours_in_stage": nearest(durations.clone(), 50),
            "p75_hours_in_stage": nearest(durations.clone(), 75),
            "p90_hours_in_stage": nearest(durations, 90),
        }));
        previous = Some(reached);
    }
    let last = |i: i64| *path(i).0.last().unwrap();
    let won = cohort.iter().filter(|&&i| last(i).0 == WON).count() as i64;
    let lost = cohort.iter().filter(|&&i| last(i).0 == LOST).count() as i64;
    let to_close: Vec<i64> = cohort
        .iter()
        .filter(|&&i| last(i).0 >= WON)
        .map(|&i| last(i).1 - BASE - i * 3_600)
        .collect();
    let median_days = {
        let mut v = to_close;
        v.sort_unstable();
        (!v.is_empty()).then(|| v[v.len().div_ceil(2) - 1] as f64 / 86_400.0)
    };
    let leads = cohort.len() as i64;
    serde_json::json!({
        "pipeline_id": "10",
        "pipeline_name": "Sales",
        "workspace_id": WS,
        "stages": out,
        "totals": {
            "leads": leads, "won": won, "lost": lost, "open": leads - won - lost,
            "win_rate": (won + lost > 0).then(|| won as f64 / (won + lost) as f64),
            "median_days_to_close": median_days,
        },
    })
}

/// Numbers rounded to 9 decimals: JSON floats read back need not be bit-exact.
fn rounded(v: &Value) -> Value {
    match v {
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => serde_json::json!((f * 1e9).round() / 1e9),
            _ => v.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(rounded).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), rounded(v))).collect())
        }
        other => other.clone(),
    }
}

async fn funnel_of_cohorts(w: &World) {
    seed(w).await;
    for (range, query) in [
        ((i64::MIN, i64::MAX), String::new()),
        (
            (BASE + 10 * 3_600, BASE + 40 * 3_600),
            format!(
                "&createdStart={}&createdEnd={}",
                time(BASE + 10 * 3_600),
                time(BASE + 40 * 3_600)
            ),
        ),
    ] {
        let got = w
            .ok(&format!(
                "/v1/kommo/funnel?workspaceId={WS}&pipelineId=10{query}"
            ))
            .await;
        assert_eq!(rounded(&got), rounded(&expected_funnel(range)), "{query}");
        let reached: Vec<i64> = got["stages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["reached"].as_i64().unwrap())
            .collect();
        assert!(
            reached.windows(2).all(|w| w[0] >= w[1]),
            "never increasing: {reached:?}"
        );
    }
    // An empty cohort: zeros and nulls, not an error.
    let empty = w
        .ok(&format!(
            "/v1/kommo/funnel?workspaceId={WS}&pipelineId=10&createdStart=2030-01-01"
        ))
        .await;
    assert_eq!(empty["totals"]["leads"], 0);
    assert!(empty["totals"]["win_rate"].is_null());
    // A pipeline the workspace does not have (org B's, another workspace's, none) is a 404.
    for (creds, ws, pipeline) in [(&w.a, WS, 99), (&w.a_all, WS_A_OTHER, 20_000)] {
        let (s, h, b) = w
            .get(
                Some(creds),
                &format!("/v1/kommo/funnel?workspaceId={ws}&pipelineId={pipeline}"),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
        assert_eq!(h["content-type"], "application/problem+json");
    }
    // Org B's credentials cannot ask about workspace_123 at all.
    let (s, _, _) = w
        .get(
            Some(&w.b),
            &format!("/v1/kommo/funnel?workspaceId={WS}&pipelineId=10"),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

async fn errors_name_the_parameter(w: &World) {
    for (uri, name) in [
        ("/v1/kommo/funnel?workspaceId=workspace_123", "pipelineId"),
        (
            "/v1/kommo/funnel?workspaceId=workspace_123&pipelineId=1,2",
            "pipelineId",
        ),
        (
            "/v1/kommo/funnel?workspaceId=workspace_123&pipelineId=x",
            "pipelineId",
        ),
        ("/v1/kommo/funnel?pipelineId=10", "workspaceId"),
        (
            "/v1/kommo/funnel?workspaceId=workspace_123&pipelineId=10&createdStart=yesterday",
            "createdStart",
        ),
        (
            "/v1/kommo/lead-stages?workspaceId=workspace_123&isCurrent=maybe",
            "isCurrent",
        ),
        (
            "/v1/kommo/lead-stages?workspaceId=workspace_123&orderBy=seconds",
            "orderBy",
        ),
        (
            "/v1/kommo/lead-status-changes?workspaceId=workspace_123&changedBy=me",
            "changedBy",
        ),
        (
            "/v1/kommo/lead-status-changes?workspaceId=workspace_123&changedStart=2026-02-01&changedEnd=2026-01-01",
            "changedStart",
        ),
    ] {
        let (s, h, b) = w.get(Some(&w.a), uri).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}: {b}");
        assert_eq!(h["content-type"], "application/problem+json");
        assert!(
            b.to_string().contains(name),
            "{uri}: {b} should name {name}"
        );
    }
}

/// Every parameter of the three resources, given hostile values: 200, 400, 403 or 404
/// (a funnel of a pipeline that does not exist), never a 500; and tenancy holds.
async fn hostile_input_and_tenancy(w: &World) {
    seed(w).await;
    let tables: [(&str, &[ParamSpec]); 3] = [
        ("lead-status-changes", params::LEAD_STATUS_CHANGES),
        ("lead-stages", params::LEAD_STAGES),
        ("funnel", params::FUNNEL),
    ];
    let values = [
        "'",
        "1; DROP TABLE lead_stages; --",
        "é🚀",
        "\u{0}",
        "9999999999999999999999",
        "-1",
        "1,",
        "%",
    ];
    for (resource, table) in tables {
        for spec in table {
            for value in values {
                let encoded: String = url_escape(value);
                let uri = if spec.kind == Kind::Workspace {
                    format!("/v1/kommo/{resource}?workspaceId={encoded}&pipelineId=10")
                } else {
                    format!(
                        "/v1/kommo/{resource}?workspaceId={WS}&pipelineId=10&{}={encoded}",
                        spec.name
                    )
                    .replace("pipelineId=10&pipelineId", "pipelineId")
                };
                let uri = if resource == "funnel" {
                    uri
                } else {
                    uri.replace("&pipelineId=10", "")
                };
                let (s, _, b) = w.get(Some(&w.a), &uri).await;
                assert!(
                    matches!(
                        s,
                        StatusCode::OK
                            | StatusCode::BAD_REQUEST
                            | StatusCode::FORBIDDEN
                            | StatusCode::NOT_FOUND
                    ),
                    "{uri}: {s} {b}"
                );
            }
        }
        // Rows of another organization or workspace are never served.
        if resource != "funnel" {
            for creds in [&w.b, &w.a] {
                let (s, _, b) = w
                    .get(
                        Some(creds),
                        &format!("/v1/kommo/{resource}?workspaceId={WS_B}&limit=5000"),
                    )
                    .await;
                if std::ptr::eq(creds, &w.b) {
                    assert_eq!(s, StatusCode::OK);
                    assert!(
                        b["data"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .all(|r| r["organization_id"] == ORG_B)
                    );
                } else {
                    assert_eq!(s, StatusCode::FORBIDDEN);
                }
            }
        }
    }
}

fn url_escape(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn openapi_lists_the_history_resources(w: &World) {
    let doc = w.ok("/openapi.json").await;
    for path in [
        "/v1/kommo/lead-status-changes",
        "/v1/kommo/lead-stages",
        "/v1/kommo/funnel",
    ] {
        let op = &doc["paths"][path]["get"];
        assert!(op.is_object(), "{path} is documented");
        assert!(!op["parameters"].as_array().unwrap().is_empty(), "{path}");
    }
    let funnel = doc["paths"]["/v1/kommo/funnel"]["get"]["description"]
        .as_str()
        .unwrap();
    assert!(
        funnel.contains("nearest-rank"),
        "the funnel's definitions are documented"
    );
    let pipeline = doc["paths"]["/v1/kommo/funnel"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "pipelineId")
        .unwrap()
        .clone();
    assert_eq!(pipeline["required"], true);
}

on_both!(
    status_change_filters_and_paging,
    stage_filters_and_paging,
    funnel_of_cohorts,
    errors_name_the_parameter,
    hostile_input_and_tenancy,
    openapi_lists_the_history_resources,
);
