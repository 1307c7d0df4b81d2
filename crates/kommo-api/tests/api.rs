//! The data API end to end through the router: filters against an oracle computed from the
//! seeded rows, default orders, paging, errors, budgets, tenancy and hostile input, on SQLite
//! and (when configured) Postgres.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    reason = "test code"
)]

mod common;

use std::collections::{BTreeSet, HashSet};

use axum::http::StatusCode;
use common::{BASE, Creds, ORG_A, ORG_B, WS, WS_A_OTHER, WS_B, World, column};
use kommo_api::params::{self, Kind, ParamSpec};
use kommo_store::rows::{ContactRow, LeadRow, PipelineRow, UserRow};
use rand::{RngExt as _, SeedableRng as _};
use serde_json::Value;

/// Percent-encodes everything but unreserved characters.
fn enc(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn ids<T>(rows: &[T], f: impl Fn(&T) -> i64) -> Vec<String> {
    rows.iter().map(|r| f(r).to_string()).collect()
}

/// Sorts like the store: the column (NULLs lowest), then the id, both in `desc` or not.
fn sort_by<T>(rows: &mut [&T], key: impl Fn(&T) -> (Option<i64>, i64), desc: bool) {
    rows.sort_by(|a, b| {
        let ord = key(a).cmp(&key(b));
        if desc { ord.reverse() } else { ord }
    });
}

fn leads_in(w: &World, keep: impl Fn(&LeadRow) -> bool) -> Vec<&LeadRow> {
    w.leads
        .iter()
        .filter(|l| l.tenancy.workspace_id == WS && keep(l))
        .collect()
}

fn default_lead_order(rows: &mut [&LeadRow]) {
    sort_by(rows, |l| (l.created_at, l.lead_id), true);
}

fn live(l: &LeadRow) -> bool {
    !l.is_deleted
}

fn has_tag(l: &LeadRow, f: impl Fn(&kommo_store::rows::RowTag) -> bool) -> bool {
    l.tag_list.iter().any(f)
}

fn first_tag(l: &LeadRow, f: impl Fn(&kommo_store::rows::RowTag) -> bool) -> bool {
    l.tag_list.first().is_some_and(f)
}

/// (query after `workspaceId=workspace_123&`, which leads match).
type LeadCase = (&'static str, Box<dyn Fn(&LeadRow) -> bool>);

fn lead_cases() -> Vec<LeadCase> {
    let jan = |day: i64| BASE + (day - 1) * 86_400;
    vec![
        ("", Box::new(live)),
        (
            "statusId=142,143",
            Box::new(|l| live(l) && [142, 143].contains(&l.status_id)),
        ),
        (
            "statusId=%20101%20",
            Box::new(|l| live(l) && l.status_id == 101),
        ),
        (
            "pipelineId=20",
            Box::new(|l| live(l) && l.pipeline_id == 20),
        ),
        (
            "leadId=1,2,3,17,1001",
            Box::new(|l| live(l) && [1, 2, 3, 17, 1001].contains(&l.lead_id)),
        ),
        (
            "responsibleUserId=1,3",
            Box::new(|l| live(l) && matches!(l.responsible_user_id, Some(1 | 3))),
        ),
        ("groupId=0", Box::new(|l| live(l) && l.group_id == Some(0))),
        (
            "lossReasonId=7",
            Box::new(|l| live(l) && l.loss_reason_id == Some(7)),
        ),
        (
            "tagId=3",
            Box::new(|l| live(l) && has_tag(l, |t| t.id == 3)),
        ),
        (
            "tagId=2,3",
            Box::new(|l| live(l) && has_tag(l, |t| t.id == 2 || t.id == 3)),
        ),
        (
            "tagName=a%2Cb",
            Box::new(|l| live(l) && has_tag(l, |t| t.name == "a,b")),
        ),
        (
            "tagName=%C3%A9t%C3%A9+%F0%9F%9A%80",
            Box::new(|l| live(l) && has_tag(l, |t| t.name == "été 🚀")),
        ),
        ("tagName=HOT", Box::new(|_| false)),
        (
            "tagColor=%23FF0000",
            Box::new(|l| live(l) && has_tag(l, |t| t.color.as_deref() == Some("#FF0000"))),
        ),
        (
            "tagIdFirst=1",
            Box::new(|l| live(l) && first_tag(l, |t| t.id == 1)),
        ),
        (
            "tagNameFirst=hot",
            Box::new(|l| live(l) && first_tag(l, |t| t.name == "hot")),
        ),
        (
            "tagNameFirst=a%2Cb",
            Box::new(|l| live(l) && first_tag(l, |t| t.name == "a,b")),
        ),
        (
            "tagColorFirst=%230000FF",
            Box::new(|l| live(l) && first_tag(l, |t| t.color.as_deref() == Some("#0000FF"))),
        ),
        (
            "createdStart=2026-01-05&createdEnd=2026-01-10",
            Box::new(move |l| live(l) && l.created_at.is_some_and(|c| c >= jan(5) && c < jan(11))),
        ),
        (
            "createdStart=2026-01-05T03:00:00%2B03:00&createdEnd=2026-01-06T00:00:00Z",
            Box::new(move |l| live(l) && l.created_at.is_some_and(|c| c >= jan(5) && c <= jan(6))),
        ),
        (
            // A fraction: the inclusive start is the next whole second.
            "createdStart=2026-01-05T00:00:00.500Z",
            Box::new(move |l| live(l) && l.created_at.is_some_and(|c| c > jan(5))),
        ),
        (
            "createdEnd=2026-01-04T21:00:00-03:00",
            Box::new(move |l| live(l) && l.created_at.is_some_and(|c| c <= jan(5))),
        ),
        (
            "lastModifiedStart=2026-01-03&lastModifiedEnd=2026-01-04",
            Box::new(move |l| live(l) && l.updated_at.is_some_and(|c| c >= jan(3) && c < jan(5))),
        ),
        (
            "closedStart=2026-01-03T08:00:00Z",
            Box::new(move |l| live(l) && l.closed_at.is_some_and(|c| c >= jan(3) + 8 * 3600)),
        ),
        (
            "closedEnd=2026-01-03T08:00:00Z",
            Box::new(move |l| live(l) && l.closed_at.is_some_and(|c| c <= jan(3) + 8 * 3600)),
        ),
        ("isDeleted=true", Box::new(|l| l.is_deleted)),
        ("isDeleted=any", Box::new(|_| true)),
        (
            "isDeleted=false&statusId=101",
            Box::new(|l| live(l) && l.status_id == 101),
        ),
        (
            "integrationId=int_a2",
            Box::new(|l| live(l) && l.tenancy.integration_id == "int_a2"),
        ),
        (
            "integrationId=int_a1,int_a2&organizationId=org_a",
            Box::new(live),
        ),
        (
            "pipelineId=10&statusId=142&tagName=hot&isDeleted=any",
            Box::new(|l| {
                l.pipeline_id == 10 && l.status_id == 142 && has_tag(l, |t| t.name == "hot")
            }),
        ),
        ("leadId=999999", Box::new(|_| false)),
    ]
}

async fn lead_filters_match_the_oracle(w: &World) {
    for (query, keep) in lead_cases() {
        let mut expected = leads_in(w, &keep);
        assert!(
            query.is_empty()
                || expected.len() < leads_in(w, live).len()
                || query.contains("isDeleted")
                || query.starts_with("integrationId=int_a1,int_a2"),
            "{query} should narrow the seed"
        );
        default_lead_order(&mut expected);
        let rows = w
            .all_pages(
                &w.a,
                &format!("/v1/kommo/leads?workspaceId={WS}&{query}"),
                500,
            )
            .await;
        assert_eq!(
            column(&rows, "lead_id"),
            ids(&expected, |l| l.lead_id),
            "{query}"
        );
        for row in &rows {
            assert_eq!(row["workspace_id"], WS);
            assert_eq!(row["organization_id"], ORG_A);
        }
    }
}

async fn leads_render_the_value_conventions(w: &World) {
    let body = w
        .ok(&format!(
            "/v1/kommo/leads?workspaceId={WS}&leadId=3&integrationId=int_a1"
        ))
        .await;
    let row = &body["data"][0];
    let seed = w
        .leads
        .iter()
        .find(|l| l.lead_id == 3 && l.tenancy.integration_id == "int_a1")
        .unwrap();
    assert_eq!(row["lead_id"], "3");
    assert_eq!(row["status_id"], "143");
    assert_eq!(row["price"], 300);
    assert_eq!(row["is_deleted"], false);
    assert_eq!(
        row["created_at"],
        kommo_store::unix_seconds_to_rfc3339(seed.created_at.unwrap()).unwrap()
    );
    assert!(row["created_at"].as_str().unwrap().ends_with(".000Z"));
    assert_eq!(row["closest_task_at"], Value::Null);
    assert_eq!(row["tag_name"], "été 🚀,a,b");
    assert_eq!(row["tag_color"], "#0000FF,");
    assert_eq!(row["tag_name_first"], "été 🚀");
    let tags: Value = serde_json::from_str(row["tags"].as_str().unwrap()).unwrap();
    assert_eq!(tags[1]["name"], "a,b");
    assert_eq!(tags[1]["color"], Value::Null);
    assert_eq!(row["contacts_ids"], "3,4");
    assert_eq!(row["loss_reason"], "Too expensive");
    assert_eq!(row["document_id"], seed.document_id);
    assert_eq!(row["integration_id"], "int_a1");
    assert!(row["inserted_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(row["company_id"], "3");
    assert_eq!(row["status_name"], "Status 143");
    assert_eq!(row["pipeline_name"], "Sales");
}

async fn lead_orders(w: &World) {
    type Key = fn(&LeadRow) -> (Option<i64>, i64);
    let keys: [(&str, Key); 8] = [
        ("created_at", |l| (l.created_at, l.lead_id)),
        ("updated_at", |l| (l.updated_at, l.lead_id)),
        ("closed_at", |l| (l.closed_at, l.lead_id)),
        ("closest_task_at", |l| (l.closest_task_at, l.lead_id)),
        ("lead_id", |l| (Some(l.lead_id), l.lead_id)),
        ("status_id", |l| (Some(l.status_id), l.lead_id)),
        ("pipeline_id", |l| (Some(l.pipeline_id), l.lead_id)),
        ("responsible_user_id", |l| {
            (l.responsible_user_id, l.lead_id)
        }),
    ];
    for (column_name, key) in keys {
        for (direction, desc) in [("asc", false), ("desc", true), ("", true)] {
            let mut expected = leads_in(w, live);
            sort_by(&mut expected, key, desc);
            let uri = format!(
                "/v1/kommo/leads?workspaceId={WS}&orderBy={column_name}&orderDirection={direction}"
            );
            let rows = w.all_pages(&w.a, &uri, 37).await;
            assert_eq!(
                column(&rows, "lead_id"),
                ids(&expected, |l| l.lead_id),
                "{uri}"
            );
        }
    }
    // orderDirection alone applies to the default column.
    let mut expected = leads_in(w, live);
    sort_by(&mut expected, |l| (l.created_at, l.lead_id), false);
    let rows = w
        .all_pages(
            &w.a,
            &format!("/v1/kommo/leads?workspaceId={WS}&orderDirection=asc"),
            500,
        )
        .await;
    assert_eq!(column(&rows, "lead_id"), ids(&expected, |l| l.lead_id));
    // inserted_at is accepted (its values are the store's clock, so only the set is checked).
    let rows = w
        .all_pages(
            &w.a,
            &format!("/v1/kommo/leads?workspaceId={WS}&orderBy=insertedAt"),
            500,
        )
        .await;
    assert_eq!(rows.len(), leads_in(w, live).len());
}

/// Paging through random filters, orders and limits returns each matching row exactly once,
/// in the same order as one big page.
async fn pagination_returns_each_row_once(w: &World) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let cases = lead_cases();
    let orders = [
        "",
        "orderBy=updated_at",
        "orderBy=status_id&orderDirection=asc",
        "orderBy=closed_at",
    ];
    for _ in 0..24 {
        let (query, keep) = &cases[rng.random_range(0..cases.len())];
        let order = orders[rng.random_range(0..orders.len())];
        let limit = [1, 2, 3, 7, 10, 33, 64][rng.random_range(0..7)];
        let uri = format!("/v1/kommo/leads?workspaceId={WS}&{query}&{order}");
        let whole = w.all_pages(&w.a, &uri, 5000).await;
        let paged = w.all_pages(&w.a, &uri, limit).await;
        let paged_ids = column(&paged, "document_id");
        assert_eq!(
            paged_ids,
            column(&whole, "document_id"),
            "{uri} limit {limit}"
        );
        let unique: HashSet<&String> = paged_ids.iter().collect();
        assert_eq!(
            unique.len(),
            paged_ids.len(),
            "{uri} limit {limit}: a row came twice"
        );
        assert_eq!(paged.len(), leads_in(w, keep).len(), "{uri}");
    }
    // Contacts, pipelines and users page the same way.
    for (resource, limit) in [("contacts", 4), ("pipelines", 3), ("users", 2)] {
        let uri = format!("/v1/kommo/{resource}?workspaceId={WS}");
        let whole = w.all_pages(&w.a, &uri, 5000).await;
        let paged = w.all_pages(&w.a, &uri, limit).await;
        assert_eq!(
            column(&paged, "document_id"),
            column(&whole, "document_id"),
            "{resource}"
        );
        assert!(!whole.is_empty());
    }
}

async fn limits_clamp_and_pages_past_the_end_are_empty(w: &World) {
    let live_count = leads_in(w, live).len();
    let body = w
        .ok(&format!("/v1/kommo/leads?workspaceId={WS}&limit=0"))
        .await;
    assert_eq!(body["meta"]["limit"], 1);
    assert_eq!(body["data"].as_array().unwrap().len(), 1);
    assert_eq!(body["meta"]["hasNextPage"], true);
    let body = w
        .ok(&format!("/v1/kommo/leads?workspaceId={WS}&limit=999999"))
        .await;
    assert_eq!(body["meta"]["limit"], 5000);
    assert_eq!(body["data"].as_array().unwrap().len(), live_count);
    let body = w.ok(&format!("/v1/kommo/leads?workspaceId={WS}")).await;
    assert_eq!(body["meta"]["limit"], 500);
    assert_eq!(body["meta"]["page"], 1);
    assert_eq!(body["meta"]["hasPreviousPage"], false);
    let body = w
        .ok(&format!(
            "/v1/kommo/leads?workspaceId={WS}&page=1000&limit=10"
        ))
        .await;
    assert_eq!(body["data"], Value::Array(vec![]));
    assert_eq!(body["meta"]["hasNextPage"], false);
    assert_eq!(body["meta"]["hasPreviousPage"], true);
    let body = w
        .ok(&format!(
            "/v1/kommo/leads?workspaceId={WS}&page=99999999999&limit=99999999999"
        ))
        .await;
    assert_eq!(body["data"], Value::Array(vec![]));
    let (status, _, body) = w
        .get(
            Some(&w.a),
            &format!("/v1/kommo/leads?workspaceId={WS}&limit=ten"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["invalid_params"][0]["name"], "limit");
}

async fn contact_filters_match_the_oracle(w: &World) {
    type Case = (&'static str, Box<dyn Fn(&ContactRow) -> bool>);
    let live = |c: &ContactRow| !c.is_deleted;
    let cases: Vec<Case> = vec![
        ("", Box::new(live)),
        (
            "contactId=1,2,13",
            Box::new(move |c| live(c) && [1, 2].contains(&c.contact_id)),
        ),
        (
            "responsibleUserId=2",
            Box::new(move |c| live(c) && c.responsible_user_id == Some(2)),
        ),
        ("groupId=0", Box::new(live)),
        (
            "companyId=1",
            Box::new(move |c| live(c) && c.company_id == Some(1)),
        ),
        (
            "leadId=5",
            Box::new(move |c| live(c) && c.lead_id_list.contains(&5)),
        ),
        (
            "email=person3%40EXAMPLE.com",
            Box::new(move |c| live(c) && c.contact_id == 3 && c.tenancy.integration_id == "int_a1"),
        ),
        (
            "email=ALT4%40example.org",
            Box::new(move |c| live(c) && c.contact_id == 4 && c.tenancy.integration_id == "int_a1"),
        ),
        ("email=nobody%40example.com", Box::new(|_| false)),
        (
            "phone=%2B55+(11)+9999-0007",
            Box::new(move |c| live(c) && c.contact_id == 7 && c.tenancy.integration_id == "int_a1"),
        ),
        (
            "phone=551199990007",
            Box::new(move |c| live(c) && c.contact_id == 7 && c.tenancy.integration_id == "int_a1"),
        ),
        (
            "tagName=a%2Cb",
            Box::new(move |c| live(c) && c.tag_list.iter().any(|t| t.name == "a,b")),
        ),
        (
            "tagId=3",
            Box::new(move |c| live(c) && c.tag_list.iter().any(|t| t.id == 3)),
        ),
        (
            "tagColor=%23FF0000",
            Box::new(move |c| {
                live(c)
                    && c.tag_list
                        .iter()
                        .any(|t| t.color.as_deref() == Some("#FF0000"))
            }),
        ),
        (
            "tagIdFirst=2",
            Box::new(move |c| live(c) && c.tag_list.first().is_some_and(|t| t.id == 2)),
        ),
        (
            "tagNameFirst=hot",
            Box::new(move |c| live(c) && c.tag_list.first().is_some_and(|t| t.name == "hot")),
        ),
        (
            "tagColorFirst=%23FF0000",
            Box::new(move |c| {
                live(c)
                    && c.tag_list
                        .first()
                        .is_some_and(|t| t.color.as_deref() == Some("#FF0000"))
            }),
        ),
        (
            "createdStart=2026-01-02&createdEnd=2026-01-05",
            Box::new(move |c| {
                live(c)
                    && c.created_at
                        .is_some_and(|t| (BASE + 86_400..BASE + 5 * 86_400).contains(&t))
            }),
        ),
        (
            "lastModifiedStart=2026-01-06T18:53:40Z",
            Box::new(move |c| live(c) && c.updated_at.is_some_and(|t| t >= BASE + 500_020)),
        ),
        (
            "lastModifiedEnd=2026-01-06T18:53:40Z",
            Box::new(move |c| live(c) && c.updated_at.is_some_and(|t| t <= BASE + 500_020)),
        ),
        ("isDeleted=true", Box::new(|c| c.is_deleted)),
        ("isDeleted=any", Box::new(|_| true)),
    ];
    for (query, keep) in cases {
        let mut expected: Vec<&ContactRow> = w
            .contacts
            .iter()
            .filter(|c| c.tenancy.workspace_id == WS && keep(c))
            .collect();
        sort_by(&mut expected, |c| (c.created_at, c.contact_id), true);
        let rows = w
            .all_pages(
                &w.a,
                &format!("/v1/kommo/contacts?workspaceId={WS}&{query}"),
                500,
            )
            .await;
        assert_eq!(
            column(&rows, "contact_id"),
            ids(&expected, |c| c.contact_id),
            "{query}"
        );
    }
    let body = w
        .ok(&format!(
            "/v1/kommo/contacts?workspaceId={WS}&contactId=4&integrationId=int_a1"
        ))
        .await;
    let row = &body["data"][0];
    assert_eq!(row["email"], "Person4@Example.com");
    assert_eq!(row["emails"], "Person4@Example.com,alt4@example.org");
    assert_eq!(row["phone"], "+55 (11) 9999-0004");
    assert_eq!(row["leads_ids"], "4,5");
    assert_eq!(row["company_id"], "1");
    // Orders.
    for (order, key) in [
        (
            "contact_id",
            (|c: &ContactRow| (Some(c.contact_id), c.contact_id))
                as fn(&ContactRow) -> (Option<i64>, i64),
        ),
        ("updated_at", |c| (c.updated_at, c.contact_id)),
        ("company_id", |c| (c.company_id, c.contact_id)),
    ] {
        let mut expected: Vec<&ContactRow> = w
            .contacts
            .iter()
            .filter(|c| c.tenancy.workspace_id == WS && live(c))
            .collect();
        sort_by(&mut expected, key, false);
        let uri = format!("/v1/kommo/contacts?workspaceId={WS}&orderBy={order}&orderDirection=asc");
        let rows = w.all_pages(&w.a, &uri, 9).await;
        assert_eq!(
            column(&rows, "contact_id"),
            ids(&expected, |c| c.contact_id),
            "{uri}"
        );
    }
}

async fn pipeline_filters_match_the_oracle(w: &World) {
    type Case = (&'static str, Box<dyn Fn(&PipelineRow) -> bool>);
    let cases: Vec<Case> = vec![
        ("", Box::new(|_| true)),
        (
            "pipelineName=Partners%2C+Resellers",
            Box::new(|p| p.pipeline_id == 20),
        ),
        ("pipelineName=Partners", Box::new(|_| false)),
        ("pipelineId=10", Box::new(|p| p.pipeline_id == 10)),
        ("statusId=142,143", Box::new(|p| p.status_id >= 142)),
        ("statusName=Won", Box::new(|p| p.status_id == 142)),
        ("sort=20", Box::new(|p| p.sort == 20)),
        ("color=%23CCFF66", Box::new(|p| p.color == "#CCFF66")),
        ("type=1", Box::new(|p| p.status_type == 1)),
        (
            "type=0&pipelineId=20",
            Box::new(|p| p.status_type == 0 && p.pipeline_id == 20),
        ),
        (
            "integrationId=int_a2",
            Box::new(|p| p.tenancy.integration_id == "int_a2"),
        ),
    ];
    for (query, keep) in cases {
        let mut expected: Vec<&PipelineRow> = w
            .pipelines
            .iter()
            .filter(|p| p.tenancy.workspace_id == WS && keep(p))
            .collect();
        expected.sort_by_key(|p| (p.pipeline_sort, p.pipeline_id, p.sort, p.status_id));
        let rows = w
            .all_pages(
                &w.a,
                &format!("/v1/kommo/pipelines?workspaceId={WS}&{query}"),
                500,
            )
            .await;
        let got: Vec<(String, String)> = rows
            .iter()
            .map(|r| {
                (
                    r["pipeline_id"].as_str().unwrap().to_owned(),
                    r["status_id"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let want: Vec<(String, String)> = expected
            .iter()
            .map(|p| (p.pipeline_id.to_string(), p.status_id.to_string()))
            .collect();
        assert_eq!(got.len(), want.len(), "{query}");
        // Two integrations hold the same pipelines: compare as (pipeline, status) in order.
        assert_eq!(got, want, "{query}");
    }
    let body = w
        .ok(&format!(
            "/v1/kommo/pipelines?workspaceId={WS}&statusId=101&pipelineId=10&integrationId=int_a1"
        ))
        .await;
    let row = &body["data"][0];
    assert_eq!(row["type"], 1);
    assert_eq!(row["pipeline_sort"], 1);
    assert_eq!(row["is_main"], true);
    assert_eq!(row["is_archive"], false);
    assert_eq!(row["is_editable"], true);
    let body = w
        .ok(&format!(
            "/v1/kommo/pipelines?workspaceId={WS}&orderBy=status_id&orderDirection=desc&limit=1"
        ))
        .await;
    assert_eq!(body["data"][0]["status_id"], "143");
}

async fn user_filters_match_the_oracle(w: &World) {
    type Case = (&'static str, Box<dyn Fn(&UserRow) -> bool>);
    let cases: Vec<Case> = vec![
        ("", Box::new(|_| true)),
        (
            "userId=1,2,11",
            Box::new(|u| [1, 2, 11].contains(&u.user_id)),
        ),
        ("email=user3%40example.COM", Box::new(|u| u.user_id == 3)),
        ("groupId=1", Box::new(|u| u.group_id == Some(1))),
        ("roleId=0,2", Box::new(|u| matches!(u.role_id, Some(0 | 2)))),
        ("isActive=false", Box::new(|u| !u.is_active)),
        (
            "isActive=true&isAdmin=true",
            Box::new(|u| u.is_active && u.is_admin),
        ),
        ("isAdmin=false", Box::new(|u| !u.is_admin)),
    ];
    for (query, keep) in cases {
        let mut expected: Vec<&UserRow> = w
            .users
            .iter()
            .filter(|u| u.tenancy.workspace_id == WS && keep(u))
            .collect();
        expected.sort_by_key(|u| u.user_id);
        let rows = w
            .all_pages(
                &w.a,
                &format!("/v1/kommo/users?workspaceId={WS}&{query}"),
                500,
            )
            .await;
        assert_eq!(
            column(&rows, "user_id"),
            ids(&expected, |u| u.user_id),
            "{query}"
        );
    }
    let body = w
        .ok(&format!("/v1/kommo/users?workspaceId={WS}&userId=1"))
        .await;
    let row = &body["data"][0];
    assert_eq!(row["is_admin"], true);
    assert_eq!(row["group_id"], "1");
    let rights: Value = serde_json::from_str(row["rights"].as_str().unwrap()).unwrap();
    assert_eq!(rights["leads"]["view"], "A");
    let body = w
        .ok(&format!(
            "/v1/kommo/users?workspaceId={WS}&orderBy=user_id&orderDirection=desc"
        ))
        .await;
    assert_eq!(body["data"][0]["user_id"], "12");
}

fn assert_problem(
    status: StatusCode,
    headers: &axum::http::HeaderMap,
    body: &Value,
    want: StatusCode,
) {
    assert_eq!(status, want, "{body}");
    assert_eq!(headers["content-type"], "application/problem+json");
    assert_eq!(body["status"], want.as_u16());
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .starts_with("urn:kommo-data:problem:")
    );
    assert!(!body["title"].as_str().unwrap().is_empty());
    assert!(!body["detail"].as_str().unwrap().is_empty());
}

async fn errors_are_problem_documents(w: &World) {
    let leads = format!("/v1/kommo/leads?workspaceId={WS}");
    // 400: an unknown parameter, named, with the accepted list.
    let (s, h, b) = w.get(Some(&w.a), &format!("{leads}&pipelineID=5")).await;
    assert_problem(s, &h, &b, StatusCode::BAD_REQUEST);
    assert_eq!(b["invalid_params"][0]["name"], "pipelineID");
    let reason = b["invalid_params"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("pipelineId") && reason.contains("lastModifiedEnd"),
        "{reason}"
    );
    assert!(b["detail"].as_str().unwrap().contains("pipelineID"));
    // 400: workspaceId missing, or empty.
    for uri in [
        "/v1/kommo/leads",
        "/v1/kommo/pipelines?workspaceId=",
        "/v1/kommo/users?statusId",
    ] {
        let (s, h, b) = w.get(Some(&w.a), uri).await;
        assert_problem(s, &h, &b, StatusCode::BAD_REQUEST);
        let names: Vec<&str> = b["invalid_params"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert!(
            names.contains(&"workspaceId") || names.contains(&"statusId"),
            "{uri}: {b}"
        );
    }
    // 400: malformed values, saying what was expected and what came.
    for (query, name) in [
        ("createdStart=yesterday", "createdStart"),
        (
            "createdStart=2026-02-01&createdEnd=2026-01-01",
            "createdStart",
        ),
        ("statusId=won", "statusId"),
        ("isDeleted=maybe", "isDeleted"),
        ("orderBy=price", "orderBy"),
        ("orderDirection=sideways", "orderDirection"),
        ("page=first", "page"),
    ] {
        let (s, h, b) = w.get(Some(&w.a), &format!("{leads}&{query}")).await;
        assert_problem(s, &h, &b, StatusCode::BAD_REQUEST);
        assert_eq!(b["invalid_params"][0]["name"], name, "{query}");
        assert!(
            b["invalid_params"][0]["reason"]
                .as_str()
                .unwrap()
                .contains("expected")
                || query.contains("2026-02"),
            "{b}"
        );
    }
    // 401: one answer whether the id, the secret or both are missing or wrong.
    let wrong_secret = Creds {
        id: w.a.id.clone(),
        secret: w.b.secret.clone(),
    };
    let unknown_id = Creds {
        id: "kd_nobody".into(),
        secret: w.a.secret.clone(),
    };
    let empty = Creds {
        id: w.a.id.clone(),
        secret: String::new(),
    };
    let mut bodies = BTreeSet::new();
    for creds in [None, Some(&wrong_secret), Some(&unknown_id), Some(&empty)] {
        let (s, h, b) = w.get(creds, &leads).await;
        assert_problem(s, &h, &b, StatusCode::UNAUTHORIZED);
        bodies.insert(b.to_string());
    }
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    // Auth comes first: an unauthenticated caller learns nothing about parameters.
    let (s, _, _) = w.get(None, "/v1/kommo/leads?pipelineID=1").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // 403: not granted the workspace, organization or integration.
    for query in [
        format!("workspaceId={WS_A_OTHER}"),
        format!("workspaceId={WS_B}"),
        "workspaceId=nope".to_owned(),
        format!("workspaceId={WS}&organizationId={ORG_B}"),
        format!("workspaceId={WS}&integrationId=int_a3"),
        format!("workspaceId={WS}&integrationId=int_a1,int_b1"),
    ] {
        for resource in [
            "leads",
            "contacts",
            "companies",
            "tasks",
            "pipelines",
            "users",
        ] {
            let (s, h, b) = w
                .get(Some(&w.a), &format!("/v1/kommo/{resource}?{query}"))
                .await;
            assert_problem(s, &h, &b, StatusCode::FORBIDDEN);
        }
    }
    // 404 is a problem document too (customers are not served; companies now are).
    let (s, h, b) = w.get(Some(&w.a), "/v1/kommo/customers?workspaceId=x").await;
    assert_problem(s, &h, &b, StatusCode::NOT_FOUND);
}

async fn the_request_budget_answers_429_with_retry_after(w: &World) {
    let uri = format!("/v1/kommo/pipelines?workspaceId={WS}");
    for _ in 0..3 {
        let (s, _, _) = w.get(Some(&w.limited), &uri).await;
        assert_eq!(s, StatusCode::OK);
    }
    let (s, h, b) = w.get(Some(&w.limited), &uri).await;
    assert_problem(s, &h, &b, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=20).contains(&retry), "{retry}");
    assert_eq!(b["retry_after"], retry);
    // Other credentials are unaffected.
    let (s, _, _) = w.get(Some(&w.a), &uri).await;
    assert_eq!(s, StatusCode::OK);
}

/// Credentials of org B never see org A's rows (and the reverse), whatever the parameters.
async fn tenancy_holds_whatever_the_parameters(w: &World) {
    let workspaces = [WS, WS_A_OTHER, WS_B, ""];
    let orgs = ["", ORG_A, ORG_B];
    let integrations = ["", "int_a1", "int_a3", "int_b1", "int_a1,int_b1"];
    for (creds, own_org) in [(&w.b, ORG_B), (&w.a, ORG_A), (&w.a_all, ORG_A)] {
        for resource in ["leads", "contacts", "pipelines", "users"] {
            for ws in workspaces {
                for org in orgs {
                    for integration in integrations {
                        let uri = format!(
                            "/v1/kommo/{resource}?workspaceId={ws}&organizationId={org}&integrationId={}&isDeleted",
                            enc(integration)
                        );
                        let uri = if resource == "leads" || resource == "contacts" {
                            uri.replace("&isDeleted", "&isDeleted=any")
                        } else {
                            uri.replace("&isDeleted", "")
                        };
                        let (s, _, b) = w.get(Some(creds), &format!("{uri}&limit=5000")).await;
                        match s {
                            StatusCode::OK => {
                                for row in b["data"].as_array().unwrap() {
                                    assert_eq!(row["organization_id"], own_org, "{uri}");
                                    assert_eq!(row["workspace_id"], ws, "{uri}");
                                }
                            }
                            StatusCode::FORBIDDEN | StatusCode::BAD_REQUEST => {}
                            other => panic!("{uri}: {other} {b}"),
                        }
                    }
                }
            }
        }
    }
    // Org A's second credentials see their other workspace, and only its rows.
    let rows = w
        .all_pages(
            &w.a_all,
            &format!("/v1/kommo/leads?workspaceId={WS_A_OTHER}"),
            500,
        )
        .await;
    assert_eq!(
        rows.len(),
        w.leads
            .iter()
            .filter(|l| l.tenancy.workspace_id == WS_A_OTHER && !l.is_deleted)
            .count()
    );
    assert!(rows.iter().all(|r| r["integration_id"] == "int_a3"));
}

fn hostile_values() -> Vec<String> {
    vec![
        "'".into(),
        "' OR '1'='1".into(),
        "1; DROP TABLE leads; --".into(),
        "\") UNION SELECT secret_hash FROM credentials --".into(),
        "%".into(),
        "_".into(),
        "\\".into(),
        "*".into(),
        "1,2'".into(),
        "é🚀\u{202e}漢字".into(),
        "\u{feff}".into(),
        "\0".into(),
        "\n".into(),
        "x".repeat(10_240),
        "1,".repeat(5_000),
        "9".repeat(40),
        "-1".into(),
        "2026-01-01T00:00:00Z' --".into(),
        "NaN".into(),
        "true OR 1=1".into(),
    ]
}

/// Every parameter of every resource, given hostile values, gets 200 or 400, never 500.
async fn hostile_input_never_fails(w: &World) {
    let tables: [(&str, &[ParamSpec]); 4] = [
        ("leads", params::LEADS),
        ("contacts", params::CONTACTS),
        ("pipelines", params::PIPELINES),
        ("users", params::USERS),
    ];
    for (resource, table) in tables {
        for spec in table {
            for value in hostile_values() {
                let uri = if spec.kind == Kind::Workspace {
                    format!("/v1/kommo/{resource}?workspaceId={}", enc(&value))
                } else {
                    format!(
                        "/v1/kommo/{resource}?workspaceId={WS}&{}={}",
                        spec.name,
                        enc(&value)
                    )
                };
                let (s, h, b) = w.get(Some(&w.a), &uri).await;
                // A well-formed tenancy id that is not granted is a 403; nothing is a 500.
                let tenancy = matches!(
                    spec.kind,
                    Kind::Workspace | Kind::Organization | Kind::Integrations
                );
                assert!(
                    s == StatusCode::OK
                        || s == StatusCode::BAD_REQUEST
                        || (tenancy && s == StatusCode::FORBIDDEN),
                    "{resource} {} = {:?}: {s} {b}",
                    spec.name,
                    value.chars().take(40).collect::<String>()
                );
                if s == StatusCode::BAD_REQUEST {
                    assert_eq!(h["content-type"], "application/problem+json");
                }
            }
        }
    }
    // Hostile parameter names and raw, undecodable bytes.
    for query in [
        "%FF=1",
        "a%ZZ=1",
        "workspaceId=%E0%A4",
        "'=1",
        "workspaceId=workspace_123&&&=&",
    ] {
        let (s, _, b) = w.get(Some(&w.a), &format!("/v1/kommo/leads?{query}")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{query}: {b}");
    }
    // Hostile credentials are just wrong credentials.
    for value in hostile_values() {
        if value.contains(['\0', '\n']) {
            continue;
        }
        let creds = Creds {
            id: value.clone(),
            secret: value.clone(),
        };
        let (s, _, _) = w
            .get(Some(&creds), &format!("/v1/kommo/leads?workspaceId={WS}"))
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
}

/// The published reference's example requests, sent verbatim.
async fn the_published_example_requests_return_200(w: &World) {
    for seed in [
        "v4-data-api-kommo-leads.txt",
        "v4-data-api-kommo-pipelines.txt",
    ] {
        let text = std::fs::read_to_string(seed_path(seed)).unwrap();
        let url = text
            .split("--request GET '")
            .nth(1)
            .unwrap()
            .split('\'')
            .next()
            .unwrap();
        let path = url.strip_prefix("https://api.data.v4.marketing").unwrap();
        assert!(
            path.contains("workspaceId=workspace_123&integrationId&"),
            "{path}"
        );
        let (s, _, b) = w.get(Some(&w.a), path).await;
        assert_eq!(s, StatusCode::OK, "{path}: {b}");
        assert_eq!(b["meta"]["page"], 1);
        assert_eq!(b["meta"]["limit"], 500);
        assert!(!b["data"].as_array().unwrap().is_empty(), "{path}");
    }
    // The same style for the two resources the reference lists without detail.
    for path in [
        "/v1/kommo/contacts?workspaceId=workspace_123&integrationId&organizationId&contactId&responsibleUserId&groupId&companyId&leadId&email&phone&tagId&tagName&tagColor&tagIdFirst&tagNameFirst&tagColorFirst&createdStart&createdEnd&lastModifiedStart&lastModifiedEnd&isDeleted&page&limit",
        "/v1/kommo/users?workspaceId=workspace_123&integrationId&organizationId&userId&email&groupId&roleId&isActive&isAdmin&page&limit",
    ] {
        let (s, _, b) = w.get(Some(&w.a), path).await;
        assert_eq!(s, StatusCode::OK, "{path}: {b}");
        assert!(!b["data"].as_array().unwrap().is_empty());
    }
}

/// A published page, from the verbatim copies in `tests/fixtures` (so a clone alone runs
/// the tests; `fixtures_are_the_published_pages` keeps them equal to `shared/seeds`).
fn seed_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn fixtures_are_the_published_pages() {
    let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/seeds");
    if !seeds.is_dir() {
        eprintln!("skipped: ../shared/seeds not found beside the repository");
        return;
    }
    for name in [
        "v4-data-api-kommo-leads.txt",
        "v4-data-api-kommo-pipelines.txt",
    ] {
        assert_eq!(
            std::fs::read(seed_path(name)).unwrap(),
            std::fs::read(seeds.join(name)).unwrap(),
            "tests/fixtures/{name} differs from shared/seeds/{name}"
        );
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The reference's example responses parse, and have exactly our field set (plus our
/// documented extras) with matching JSON types.
async fn the_published_example_responses_match_our_rows(w: &World) {
    let cases = [
        (
            "v4-data-api-kommo-leads.txt",
            "leads",
            &["company_id", "status_name", "pipeline_name"][..],
        ),
        (
            "v4-data-api-kommo-pipelines.txt",
            "pipelines",
            &["is_main", "is_archive"][..],
        ),
    ];
    for (seed, resource, extras) in cases {
        let text = std::fs::read_to_string(seed_path(seed)).unwrap();
        let json = text
            .split("200 - Exemplo 1")
            .nth(1)
            .unwrap()
            .split("Modificado em")
            .next()
            .unwrap();
        let example: Value = serde_json::from_str(json.trim()).unwrap();
        let theirs = example["data"][0].as_object().unwrap();
        let deleted = if resource == "leads" {
            "&isDeleted=any"
        } else {
            ""
        };
        let body = w
            .ok(&format!(
                "/v1/kommo/{resource}?workspaceId={WS}&limit=500{deleted}"
            ))
            .await;
        let meta_keys: BTreeSet<&String> = body["meta"].as_object().unwrap().keys().collect();
        assert_eq!(
            meta_keys,
            example["meta"].as_object().unwrap().keys().collect()
        );
        for ours in body["data"].as_array().unwrap() {
            let ours = ours.as_object().unwrap();
            let our_keys: BTreeSet<&str> = ours.keys().map(String::as_str).collect();
            let their_keys: BTreeSet<&str> = theirs.keys().map(String::as_str).collect();
            let extra: BTreeSet<&str> = our_keys.difference(&their_keys).copied().collect();
            assert!(
                their_keys.is_subset(&our_keys),
                "{resource}: missing {:?}",
                their_keys.difference(&our_keys)
            );
            assert_eq!(extra, extras.iter().copied().collect(), "{resource}");
            for (key, value) in theirs {
                let ours = &ours[key];
                // `type` of pipelines is a number per the contract's value conventions
                // ("money, counts, sort keys, `type`"), a string in the reference's example.
                if resource == "pipelines" && key == "type" {
                    assert!(ours.is_number());
                    continue;
                }
                assert!(
                    ours.is_null() || json_type(ours) == json_type(value),
                    "{resource}.{key}: ours {ours}, theirs {value}"
                );
            }
        }
    }
}

async fn openapi_docs_health_and_metrics(w: &World) {
    let (s, _, api) = w.get(None, "/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    assert!(api["openapi"].as_str().unwrap().starts_with("3.1"));
    let tables: [(&str, &[ParamSpec]); 4] = [
        ("leads", params::LEADS),
        ("contacts", params::CONTACTS),
        ("pipelines", params::PIPELINES),
        ("users", params::USERS),
    ];
    for (resource, table) in tables {
        let op = &api["paths"][format!("/v1/kommo/{resource}")]["get"];
        let documented: Vec<&str> = op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        let accepted: Vec<&str> = table.iter().map(|s| s.name).collect();
        assert_eq!(documented, accepted, "{resource}");
        for status in ["200", "400", "401", "403", "429", "500"] {
            assert!(op["responses"][status].is_object(), "{resource} {status}");
        }
        assert!(op["responses"]["400"]["content"]["application/problem+json"].is_object());
        assert!(op["responses"]["429"]["headers"]["Retry-After"].is_object());
    }
    let schemas = &api["components"]["schemas"];
    for (schema, field) in [
        ("LeadRow", "company_id"),
        ("LeadRow", "status_name"),
        ("LeadRow", "pipeline_name"),
        ("PipelineRow", "is_main"),
        ("PipelineRow", "is_archive"),
    ] {
        let property = property(schemas, schema, field);
        assert!(
            property["description"]
                .as_str()
                .unwrap()
                .starts_with("Extra field"),
            "{schema}.{field}"
        );
    }
    for field in ["lead_id", "tag_name_first", "inserted_at", "created_at"] {
        assert!(
            property(schemas, "LeadRow", field).is_object(),
            "LeadRow.{field}"
        );
    }
    assert!(
        property(schemas, "LeadRow", "created_at")["description"]
            .as_str()
            .unwrap()
            .contains("RFC 3339")
    );
    assert!(property(schemas, "PipelineRow", "type").is_object());
    assert!(schemas["Problem"]["properties"]["invalid_params"].is_object());
    assert!(api["components"]["securitySchemes"]["clientId"].is_object());
    let description = api["info"]["description"].as_str().unwrap();
    assert!(description.contains("counts as absent") && description.contains("Retry-After"));

    // The docs page is Swagger UI served from the binary (no CDN: it works offline) and
    // pointed at this server's own OpenAPI document.
    let (s, _, page) = w.get(None, "/docs/").await;
    assert_eq!(s, StatusCode::OK);
    let page = page.as_str().unwrap();
    for asset in ["swagger-ui-bundle.js", "swagger-initializer.js"] {
        assert!(
            page.contains(&format!("./{asset}")),
            "{asset} not loaded locally: {page}"
        );
        let (s, _, body) = w.get(None, &format!("/docs/{asset}")).await;
        assert_eq!(s, StatusCode::OK, "/docs/{asset}");
        assert!(
            !body.as_str().unwrap_or_default().is_empty(),
            "/docs/{asset}"
        );
    }
    assert!(
        !page.contains("https://"),
        "no asset from elsewhere: {page}"
    );
    let (_, _, initializer) = w.get(None, "/docs/swagger-initializer.js").await;
    assert!(
        initializer.as_str().unwrap().contains("\"/openapi.json\""),
        "{initializer}"
    );

    let (s, _, health) = w.get(None, "/healthz").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(health["status"], "ok");

    w.ok(&format!("/v1/kommo/users?workspaceId={WS}")).await;
    let (s, _, metrics) = w.get(None, "/metrics").await;
    assert_eq!(s, StatusCode::OK);
    let metrics = metrics.as_str().unwrap();
    assert!(
        metrics.contains(r#"kommo_api_requests_total{route="/v1/kommo/users",status="200"}"#),
        "{metrics}"
    );
    assert!(
        metrics.contains("kommo_api_request_duration_seconds_bucket"),
        "{metrics}"
    );
    let stored_leads = |metrics: &str| -> Option<f64> {
        metrics
            .lines()
            .find(|l| {
                l.starts_with("kommo_integration_rows")
                    && l.contains(r#"integration="int_a1""#)
                    && l.contains(r#"entity="leads""#)
            })
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
    };
    let live = w
        .leads
        .iter()
        .filter(|r| r.tenancy.integration_id == "int_a1" && !r.is_deleted)
        .count() as f64;
    assert_eq!(stored_leads(metrics), Some(live), "{metrics}");

    // Counting reads every row: a new count waits for the next sync run to end.
    let mut extra = w
        .leads
        .iter()
        .find(|r| r.tenancy.integration_id == "int_a1" && !r.is_deleted)
        .unwrap()
        .clone();
    extra.lead_id = 900_001;
    w.store
        .write_leads(&extra.tenancy.clone(), &[extra], None)
        .await
        .unwrap();
    let (_, _, metrics) = w.get(None, "/metrics").await;
    assert_eq!(stored_leads(metrics.as_str().unwrap()), Some(live));
    let run = w.store.begin_run("int_a1", "incremental").await.unwrap();
    let outcome = kommo_store::RunOutcome {
        status: kommo_store::RunStatus::Ok,
        leads_written: 1,
        contacts_written: 0,
        pipelines_written: 0,
        users_written: 0,
        deleted_marked: 0,
        requests: 1,
        error: None,
    };
    w.store.finish_run(run, &outcome).await.unwrap();
    let (_, _, metrics) = w.get(None, "/metrics").await;
    assert_eq!(stored_leads(metrics.as_str().unwrap()), Some(live + 1.0));
}

/// A property of a component schema, looking into `allOf` parts.
fn property<'a>(schemas: &'a Value, schema: &str, field: &str) -> &'a Value {
    let schema = &schemas[schema];
    if schema["properties"][field].is_object() {
        return &schema["properties"][field];
    }
    schema["allOf"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|part| &part["properties"][field])
        .find(|p| p.is_object())
        .unwrap_or(&Value::Null)
}

on_both!(
    lead_filters_match_the_oracle,
    leads_render_the_value_conventions,
    lead_orders,
    pagination_returns_each_row_once,
    limits_clamp_and_pages_past_the_end_are_empty,
    contact_filters_match_the_oracle,
    pipeline_filters_match_the_oracle,
    user_filters_match_the_oracle,
    errors_are_problem_documents,
    the_request_budget_answers_429_with_retry_after,
    tenancy_holds_whatever_the_parameters,
    hostile_input_never_fails,
    the_published_example_requests_return_200,
    the_published_example_responses_match_our_rows,
    openapi_docs_health_and_metrics,
);
