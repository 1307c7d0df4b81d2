//! `GET /v1/kommo/companies` and `GET /v1/kommo/tasks` end to end through the router: every
//! filter against an oracle computed from the rows written, pages that tile the result,
//! tenancy, and hostile input, on SQLite and (when configured) Postgres.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    reason = "test code"
)]

mod common;

use std::collections::HashSet;

use axum::http::StatusCode;
use common::{BASE, ORG_A, ORG_B, WS, WS_B, World, column, tags_for, tenancy};
use kommo_api::params::{self, Kind, ParamSpec};
use kommo_store::rows::{CompanyRow, RowTenancy, TaskRow};

/// A deterministic company: emails and phones like a contact's, tags, linked contacts and leads.
fn company(t: &RowTenancy, id: i64) -> CompanyRow {
    let tags = tags_for(id + 2);
    let emails = vec![
        format!("Office{id}@Example.com"),
        format!("sales{id}@example.org"),
    ];
    let phones = vec![format!("+55 (21) 5555-{id:04}")];
    let (contacts, leads) = (vec![id, id + 100], vec![id * 2]);
    let join = |v: &[i64]| Some(v.iter().map(i64::to_string).collect::<Vec<_>>().join(","));
    CompanyRow {
        company_id: id,
        company_name: Some(format!("Company {}", id % 5)),
        responsible_user_id: Some([1, 2, 3][(id % 3) as usize]),
        group_id: Some(id % 2),
        created_by: Some(1),
        updated_by: Some(1),
        created_at: Some(BASE + id * 10_000),
        updated_at: Some(BASE + 400_000 + id * 7),
        closest_task_at: (id % 4 == 0).then_some(BASE + 900_000),
        is_deleted: id % 11 == 0,
        custom_fields_values: None,
        account_id: Some(31_000_000),
        email: emails.first().cloned(),
        phone: phones.first().cloned(),
        emails: Some(emails.join(",")),
        phones: Some(phones.join(",")),
        contacts_ids: join(&contacts),
        leads_ids: join(&leads),
        tags: None,
        tag_id: None,
        tag_name: None,
        tag_color: None,
        tag_id_first: tags.first().map(|t| t.id.to_string()),
        tag_name_first: tags.first().map(|t| t.name.clone()),
        tag_color_first: tags.first().and_then(|t| t.color.clone()),
        tenancy: t.clone(),
        document_id: String::new(),
        inserted_at: 0,
        tag_list: tags,
        email_list: emails,
        phone_list: phones,
        contact_id_list: contacts,
        lead_id_list: leads,
    }
}

const ENTITY_TYPES: [&str; 4] = ["leads", "contacts", "companies", "customers"];

/// A deterministic task.
fn task(t: &RowTenancy, id: i64) -> TaskRow {
    TaskRow {
        task_id: id,
        entity_type: (id % 5 != 0).then(|| ENTITY_TYPES[(id % 4) as usize].to_owned()),
        entity_id: (id % 5 != 0).then_some(id % 7 + 1),
        responsible_user_id: Some([1, 2][(id % 2) as usize]),
        group_id: Some(0),
        task_type_id: Some(id % 3 + 1),
        task_type_name: Some(["Follow-up", "Meeting", "Send a proposal"][(id % 3) as usize].into()),
        text: Some(format!("Task {id}")),
        duration: Some(id * 60),
        complete_till: Some(BASE + id * 30_000),
        is_completed: id % 3 == 0,
        result_text: (id % 3 == 0).then(|| format!("Done {id}")),
        created_by: Some(1),
        updated_by: Some(2),
        created_at: Some(BASE + id * 5_000),
        updated_at: Some(BASE + 600_000 + id * 3),
        is_deleted: id % 17 == 0,
        tenancy: t.clone(),
        document_id: String::new(),
        inserted_at: 0,
    }
}

/// The rows written for the tests, per resource: int_a1 and int_a2 in `workspace_123`, the
/// same Kommo ids as int_a1 under org B (a leak would show).
async fn seed(w: &World) -> (Vec<CompanyRow>, Vec<TaskRow>) {
    let (mut companies, mut tasks) = (Vec::new(), Vec::new());
    for (t, company_ids, task_ids) in [
        (tenancy(ORG_A, WS, "int_a1"), 1..=40, 1..=90),
        (tenancy(ORG_A, WS, "int_a2"), 501..=510, 501..=520),
        (tenancy(ORG_B, WS_B, "int_b1"), 1..=40, 1..=90),
    ] {
        let c: Vec<CompanyRow> = company_ids.map(|id| company(&t, id)).collect();
        w.store.write_companies(&t, &c, None).await.unwrap();
        let k: Vec<TaskRow> = task_ids.map(|id| task(&t, id)).collect();
        w.store.write_tasks(&t, &k, None).await.unwrap();
        companies.extend(c);
        tasks.extend(k);
    }
    (companies, tasks)
}

/// The ids of `expected` in the default order (created_at desc, then id desc).
fn default_order<T>(mut rows: Vec<&T>, key: impl Fn(&T) -> (Option<i64>, i64)) -> Vec<String> {
    rows.sort_by_key(|r| key(r));
    rows.reverse();
    rows.iter().map(|r| key(r).1.to_string()).collect()
}

type Case<T> = (&'static str, Box<dyn Fn(&T) -> bool>);

async fn company_filters_match_the_oracle(w: &World) {
    let (companies, _) = seed(w).await;
    let live = |c: &CompanyRow| !c.is_deleted;
    let cases: Vec<Case<CompanyRow>> = vec![
        ("", Box::new(live)),
        (
            "companyId=1,2,22",
            Box::new(move |c| live(c) && [1, 2].contains(&c.company_id)),
        ),
        (
            "companyName=Company%203",
            Box::new(move |c| live(c) && c.company_id % 5 == 3),
        ),
        (
            "responsibleUserId=2,3",
            Box::new(move |c| live(c) && c.company_id % 3 != 0),
        ),
        (
            "groupId=1",
            Box::new(move |c| live(c) && c.company_id % 2 == 1),
        ),
        (
            "contactId=105",
            Box::new(move |c| live(c) && c.company_id == 5),
        ),
        (
            "leadId=8,1020",
            Box::new(move |c| live(c) && [4, 510].contains(&c.company_id)),
        ),
        (
            "email=OFFICE7%40example.COM",
            Box::new(move |c| live(c) && c.company_id == 7),
        ),
        (
            "email=sales9%40example.org",
            Box::new(move |c| live(c) && c.company_id == 9),
        ),
        (
            "phone=%2B55+(21)+5555-0012",
            Box::new(move |c| live(c) && c.company_id == 12),
        ),
        (
            "phone=552155550012",
            Box::new(move |c| live(c) && c.company_id == 12),
        ),
        (
            "tagId=3",
            Box::new(move |c| live(c) && c.tag_list.iter().any(|t| t.id == 3)),
        ),
        (
            "tagName=hot",
            Box::new(move |c| live(c) && c.tag_list.iter().any(|t| t.name == "hot")),
        ),
        (
            "tagIdFirst=2",
            Box::new(move |c| live(c) && c.tag_list.first().is_some_and(|t| t.id == 2)),
        ),
        (
            "createdStart=2026-01-02&createdEnd=2026-01-03",
            Box::new(move |c| {
                live(c)
                    && c.created_at
                        .is_some_and(|t| (BASE + 86_400..BASE + 3 * 86_400).contains(&t))
            }),
        ),
        (
            "lastModifiedStart=2026-01-05T15:10:00Z",
            Box::new(move |c| live(c) && c.updated_at.is_some_and(|t| t >= BASE + 400_000 + 200)),
        ),
        ("isDeleted=true", Box::new(|c| c.is_deleted)),
        ("isDeleted=any", Box::new(|_| true)),
    ];
    for (query, keep) in cases {
        let expected = default_order(
            companies
                .iter()
                .filter(|c| c.tenancy.workspace_id == WS && keep(c))
                .collect(),
            |c| (c.created_at, c.company_id),
        );
        let uri = format!("/v1/kommo/companies?workspaceId={WS}&{query}");
        let rows = w.all_pages(&w.a, &uri, 500).await;
        assert_eq!(column(&rows, "company_id"), expected, "{query}");
        assert!(
            !expected.is_empty() || query.contains("nobody"),
            "{query} tests nothing"
        );
    }
    let body = w
        .ok(&format!(
            "/v1/kommo/companies?workspaceId={WS}&companyId=4&integrationId=int_a1"
        ))
        .await;
    let row = &body["data"][0];
    assert_eq!(row["company_id"], "4");
    assert_eq!(row["email"], "Office4@Example.com");
    assert_eq!(row["emails"], "Office4@Example.com,sales4@example.org");
    assert_eq!(row["phone"], "+55 (21) 5555-0004");
    assert_eq!(row["contacts_ids"], "4,104");
    assert_eq!(row["leads_ids"], "8");
    assert_eq!(row["closest_task_at"], "2026-01-11T10:00:00.000Z");
    assert_eq!(row["is_deleted"], false);
    assert_eq!(row["integration_id"], "int_a1");
    assert_eq!(row["organization_id"], ORG_A);
    assert_eq!(row["document_id"].as_str().unwrap().len(), 36);
}

async fn task_filters_match_the_oracle(w: &World) {
    let (_, tasks) = seed(w).await;
    let live = |t: &TaskRow| !t.is_deleted;
    let cases: Vec<Case<TaskRow>> = vec![
        ("", Box::new(live)),
        (
            "taskId=1,2,34",
            Box::new(move |t| live(t) && [1, 2].contains(&t.task_id)),
        ),
        (
            "entityType=contacts",
            Box::new(move |t| live(t) && t.entity_type.as_deref() == Some("contacts")),
        ),
        (
            "entityType=leads,companies",
            Box::new(move |t| {
                live(t) && matches!(t.entity_type.as_deref(), Some("leads" | "companies"))
            }),
        ),
        (
            "entityId=3",
            Box::new(move |t| live(t) && t.entity_id == Some(3)),
        ),
        (
            "responsibleUserId=2",
            Box::new(move |t| live(t) && t.responsible_user_id == Some(2)),
        ),
        (
            "taskTypeId=2,3",
            Box::new(move |t| live(t) && t.task_type_id != Some(1)),
        ),
        (
            "isCompleted=true",
            Box::new(move |t| live(t) && t.is_completed),
        ),
        (
            "isCompleted=false",
            Box::new(move |t| live(t) && !t.is_completed),
        ),
        (
            "completeTillStart=2026-01-05&completeTillEnd=2026-01-10",
            Box::new(move |t| {
                live(t)
                    && t.complete_till
                        .is_some_and(|c| (BASE + 4 * 86_400..BASE + 10 * 86_400).contains(&c))
            }),
        ),
        (
            "createdStart=2026-01-02&createdEnd=2026-01-03",
            Box::new(move |t| {
                live(t)
                    && t.created_at
                        .is_some_and(|c| (BASE + 86_400..BASE + 3 * 86_400).contains(&c))
            }),
        ),
        (
            "lastModifiedEnd=2026-01-07T22:41:00Z",
            Box::new(move |t| live(t) && t.updated_at.is_some_and(|u| u <= BASE + 600_000 + 60)),
        ),
        ("isDeleted=true", Box::new(|t| t.is_deleted)),
        ("isDeleted=any", Box::new(|_| true)),
    ];
    for (query, keep) in cases {
        let expected = default_order(
            tasks
                .iter()
                .filter(|t| t.tenancy.workspace_id == WS && keep(t))
                .collect(),
            |t| (t.created_at, t.task_id),
        );
        let uri = format!("/v1/kommo/tasks?workspaceId={WS}&{query}");
        let rows = w.all_pages(&w.a, &uri, 500).await;
        assert_eq!(column(&rows, "task_id"), expected, "{query}");
        assert!(!expected.is_empty(), "{query} tests nothing");
    }
    let body = w
        .ok(&format!(
            "/v1/kommo/tasks?workspaceId={WS}&taskId=6&integrationId=int_a1"
        ))
        .await;
    let row = &body["data"][0];
    assert_eq!(row["task_id"], "6");
    assert_eq!(row["entity_type"], "companies");
    assert_eq!(row["entity_id"], "7");
    assert_eq!(row["task_type_id"], "1");
    assert_eq!(row["task_type_name"], "Follow-up");
    assert_eq!(row["duration"], 360);
    assert_eq!(row["is_completed"], true);
    assert_eq!(row["result_text"], "Done 6");
    assert_eq!(row["complete_till"], "2026-01-03T02:00:00.000Z");
    // A task of no entity.
    let body = w
        .ok(&format!(
            "/v1/kommo/tasks?workspaceId={WS}&taskId=5&integrationId=int_a1"
        ))
        .await;
    assert_eq!(body["data"][0]["entity_type"], serde_json::Value::Null);
    assert_eq!(body["data"][0]["entity_id"], serde_json::Value::Null);
}

/// Pages of any size tile the result: every row once, in the order of one big page, for
/// each order column.
async fn pages_tile_the_result(w: &World) {
    seed(w).await;
    for (resource, orders) in [
        ("companies", kommo_store::query::CompanyOrder::COLUMNS),
        ("tasks", kommo_store::query::TaskOrder::COLUMNS),
    ] {
        for order in std::iter::once(&"").chain(orders.iter()) {
            for direction in ["asc", "desc"] {
                let uri = format!(
                    "/v1/kommo/{resource}?workspaceId={WS}&isDeleted=any&orderBy={order}&orderDirection={direction}"
                );
                let whole = w.all_pages(&w.a, &uri, 5000).await;
                assert!(whole.len() > 30, "{uri}");
                for limit in [1, 7, 25] {
                    let paged = w.all_pages(&w.a, &uri, limit).await;
                    let ids = column(&paged, "document_id");
                    assert_eq!(ids, column(&whole, "document_id"), "{uri} limit {limit}");
                    let unique: HashSet<&String> = ids.iter().collect();
                    assert_eq!(
                        unique.len(),
                        ids.len(),
                        "{uri} limit {limit}: a row came twice"
                    );
                }
            }
        }
    }
}

use kommo_store::query::OrderColumn as _;

/// Credentials see only their own organization's rows, whatever the parameters; a workspace
/// not granted is a 403.
async fn tenancy_holds(w: &World) {
    seed(w).await;
    for resource in ["companies", "tasks"] {
        for (creds, own_org, own_ws) in [(&w.a, ORG_A, WS), (&w.b, ORG_B, WS_B)] {
            for ws in [WS, WS_B] {
                for integration in ["", "int_a1", "int_b1", "int_a1%2Cint_b1"] {
                    let uri = format!(
                        "/v1/kommo/{resource}?workspaceId={ws}&integrationId={integration}&isDeleted=any&limit=5000"
                    );
                    let (s, _, b) = w.get(Some(creds), &uri).await;
                    match s {
                        StatusCode::OK => {
                            assert_eq!(ws, own_ws, "{uri}: another workspace answered 200");
                            let rows = b["data"].as_array().unwrap();
                            assert!(!rows.is_empty() || !integration.is_empty(), "{uri}");
                            for row in rows {
                                assert_eq!(row["organization_id"], own_org, "{uri}");
                                assert_eq!(row["workspace_id"], ws, "{uri}");
                            }
                        }
                        StatusCode::FORBIDDEN => {
                            assert!(ws != own_ws || !integration.is_empty(), "{uri}")
                        }
                        other => panic!("{uri}: {other} {b}"),
                    }
                }
            }
        }
        let (s, _, _) = w
            .get(None, &format!("/v1/kommo/{resource}?workspaceId={WS}"))
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
}

/// Every parameter, given hostile values, gets 200 or 400 (403 for tenancy ids), never 500;
/// bad values name the parameter.
async fn hostile_input_never_fails(w: &World) {
    seed(w).await;
    let values = [
        "'",
        "' OR '1'='1",
        "1; DROP TABLE tasks; --",
        "%",
        "_",
        "\\",
        "1,2'",
        "é🚀\u{202e}",
        "\0",
        "-1",
        "NaN",
        "leads'",
        "leads,,",
        "9999999999999999999999",
    ];
    let tables: [(&str, &[ParamSpec]); 2] =
        [("companies", params::COMPANIES), ("tasks", params::TASKS)];
    for (resource, table) in tables {
        for spec in table {
            for value in values
                .iter()
                .map(|v| (*v).to_owned())
                .chain(["x".repeat(5_000), "1,".repeat(2_000)])
            {
                let encoded: String = value.bytes().map(|b| format!("%{b:02X}")).collect();
                let uri = if spec.kind == Kind::Workspace {
                    format!("/v1/kommo/{resource}?workspaceId={encoded}")
                } else {
                    format!(
                        "/v1/kommo/{resource}?workspaceId={WS}&{}={encoded}",
                        spec.name
                    )
                };
                let (s, h, b) = w.get(Some(&w.a), &uri).await;
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
                    value.chars().take(30).collect::<String>()
                );
                if s == StatusCode::BAD_REQUEST {
                    assert_eq!(h["content-type"], "application/problem+json");
                }
            }
        }
    }
    // A typo'd entity type and an unknown parameter are 400s naming the parameter.
    for (uri, name) in [
        (
            format!("/v1/kommo/tasks?workspaceId={WS}&entityType=lead"),
            "entityType",
        ),
        (
            format!("/v1/kommo/tasks?workspaceId={WS}&isCompleted=maybe"),
            "isCompleted",
        ),
        (
            format!(
                "/v1/kommo/tasks?workspaceId={WS}&completeTillStart=2026-02-01&completeTillEnd=2026-01-01"
            ),
            "completeTillStart",
        ),
        (
            format!("/v1/kommo/companies?workspaceId={WS}&companyID=1"),
            "companyID",
        ),
        (
            format!("/v1/kommo/companies?workspaceId={WS}&phone=abc"),
            "phone",
        ),
        ("/v1/kommo/companies".to_owned(), "workspaceId"),
    ] {
        let (s, _, b) = w.get(Some(&w.a), &uri).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}: {b}");
        let names: Vec<&str> = b["invalid_params"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert!(names.iter().any(|n| n.starts_with(name)), "{uri}: {b}");
    }
}

/// Both resources are in the OpenAPI document with their parameters and field descriptions.
async fn openapi_lists_both(w: &World) {
    let (s, _, doc) = w.get(None, "/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    for (path, table) in [
        ("/v1/kommo/companies", params::COMPANIES),
        ("/v1/kommo/tasks", params::TASKS),
    ] {
        let parameters = doc["paths"][path]["get"]["parameters"].as_array().unwrap();
        let names: Vec<&str> = parameters
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        let expected: Vec<&str> = table.iter().map(|s| s.name).collect();
        assert_eq!(names, expected, "{path}");
        assert!(
            doc["paths"][path]["get"]["description"]
                .as_str()
                .is_some_and(|d| !d.is_empty())
        );
    }
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["TaskRow"].to_string().contains("task_type_name"));
    assert!(schemas["CompanyRow"].to_string().contains("contacts_ids"));
}

on_both!(
    company_filters_match_the_oracle,
    task_filters_match_the_oracle,
    pages_tile_the_result,
    tenancy_holds,
    hostile_input_never_fails,
    openapi_lists_both,
);
