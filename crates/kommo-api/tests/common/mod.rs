//! The world the API tests run in: two organizations with workspaces, integrations,
//! credentials and rows written straight into the store, and helpers to call the router.
#![allow(
    dead_code,
    reason = "each test binary uses a different part of the fixtures"
)]

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use kommo_api::AppState;
use kommo_store::rows::{ContactRow, LeadRow, PipelineRow, RowTag, RowTenancy, UserRow};
use kommo_store::testing::TestStore;
use kommo_store::{ExposeSecret as _, IntegrationAuth, NewIntegration, SecretString, Store};
use serde_json::Value;
use tower::ServiceExt as _;

/// Runs `async fn $name(w: &World)` on a fresh SQLite file and, when
/// `KOMMO_DATA_TEST_POSTGRES_URL` is set, on a fresh Postgres schema.
#[macro_export]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let t = kommo_store::testing::TestStore::sqlite(kommo_store::Keys::generate()).await.unwrap();
                let world = $crate::common::World::seed(&t).await;
                super::$name(&world).await;
                drop(world);
                t.cleanup().await.unwrap();
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                match kommo_store::testing::TestStore::postgres(kommo_store::Keys::generate()).await.unwrap() {
                    Some(t) => {
                        let world = $crate::common::World::seed(&t).await;
                        super::$name(&world).await;
                        drop(world);
                        t.cleanup().await.unwrap();
                    }
                    None => kommo_store::testing::announce_postgres_skip(),
                }
            }
        }
    )*};
}

/// 2026-01-01T00:00:00Z.
pub(crate) const BASE: i64 = 1_767_225_600;

/// The workspace of the published example requests.
pub(crate) const WS: &str = "workspace_123";
pub(crate) const ORG_A: &str = "org_a";
pub(crate) const ORG_B: &str = "org_b";
/// Another workspace of org A, not granted to `a`.
pub(crate) const WS_A_OTHER: &str = "ws_a_other";
pub(crate) const WS_B: &str = "ws_b";

/// API credentials: (client id, secret).
#[derive(Debug, Clone)]
pub(crate) struct Creds {
    pub(crate) id: String,
    pub(crate) secret: String,
}

/// Everything a test needs: the router, credentials, and the rows as written (the oracle).
#[derive(Debug)]
pub(crate) struct World {
    pub(crate) store: Store,
    pub(crate) app: Router,
    /// org A, granted `workspace_123` only.
    pub(crate) a: Creds,
    /// org A, granted both of its workspaces.
    pub(crate) a_all: Creds,
    /// org B, granted `ws_b`.
    pub(crate) b: Creds,
    /// org A, `workspace_123`, 3 requests a minute.
    pub(crate) limited: Creds,
    pub(crate) leads: Vec<LeadRow>,
    pub(crate) contacts: Vec<ContactRow>,
    pub(crate) pipelines: Vec<PipelineRow>,
    pub(crate) users: Vec<UserRow>,
}

pub(crate) fn tenancy(org: &str, ws: &str, integration: &str) -> RowTenancy {
    RowTenancy {
        organization_id: org.into(),
        workspace_id: ws.into(),
        integration_id: integration.into(),
    }
}

impl World {
    /// org_a { workspace_123 { int_a1, int_a2 }, ws_a_other { int_a3 } }, org_b { ws_b { int_b1 } };
    /// int_b1 holds the same Kommo ids as int_a1, so a leak would be visible.
    pub(crate) async fn seed(t: &TestStore) -> World {
        let store = t.store.clone();
        store.create_organization(ORG_A, "Org A").await.unwrap();
        store.create_organization(ORG_B, "Org B").await.unwrap();
        store.create_workspace(ORG_A, WS, "Main").await.unwrap();
        store
            .create_workspace(ORG_A, WS_A_OTHER, "Other")
            .await
            .unwrap();
        store.create_workspace(ORG_B, WS_B, "B").await.unwrap();
        for (id, ws) in [
            ("int_a1", WS),
            ("int_a2", WS),
            ("int_a3", WS_A_OTHER),
            ("int_b1", WS_B),
        ] {
            store
                .create_integration(NewIntegration {
                    id: id.into(),
                    workspace_id: ws.into(),
                    base_url: format!("http://{id}.invalid"),
                    auth: IntegrationAuth::LongLivedToken(SecretString::from(format!(
                        "token-{id}"
                    ))),
                    rate_limit_per_second: 7,
                })
                .await
                .unwrap();
        }
        let creds = |org: &'static str, ws: &[&str], rpm: u32| {
            let store = store.clone();
            let ws: Vec<String> = ws.iter().map(|w| (*w).to_owned()).collect();
            async move {
                let c = store.create_credentials(org, &ws, rpm).await.unwrap();
                Creds {
                    id: c.client_id,
                    secret: c.client_secret.expose_secret().to_owned(),
                }
            }
        };
        let a = creds(ORG_A, &[WS], 0).await;
        let a_all = creds(ORG_A, &[WS, WS_A_OTHER], 0).await;
        let b = creds(ORG_B, &[WS_B], 0).await;
        let limited = creds(ORG_A, &[WS], 3).await;

        let mut leads = Vec::new();
        let mut contacts = Vec::new();
        let mut pipelines = Vec::new();
        let mut users = Vec::new();
        for (t, lead_ids, contact_ids, user_ids) in [
            (tenancy(ORG_A, WS, "int_a1"), 1..=160, 1..=50, 1..=5),
            (
                tenancy(ORG_A, WS, "int_a2"),
                1001..=1040,
                1001..=1010,
                11..=12,
            ),
            (tenancy(ORG_A, WS_A_OTHER, "int_a3"), 1..=20, 1..=5, 1..=2),
            (tenancy(ORG_B, WS_B, "int_b1"), 1..=160, 1..=50, 1..=5),
        ] {
            let l: Vec<LeadRow> = lead_ids.map(|id| lead(&t, id)).collect();
            store.write_leads(&t, &l, None).await.unwrap();
            let c: Vec<ContactRow> = contact_ids.map(|id| contact(&t, id)).collect();
            store.write_contacts(&t, &c, None).await.unwrap();
            let p = pipeline_rows(&t);
            store.replace_pipelines(&t, &p).await.unwrap();
            let u: Vec<UserRow> = user_ids.map(|id| user(&t, id)).collect();
            store.replace_users(&t, &u).await.unwrap();
            leads.extend(l);
            contacts.extend(c);
            pipelines.extend(p);
            users.extend(u);
        }
        let app = kommo_api::app(AppState::new(store.clone()));
        World {
            store,
            app,
            a,
            a_all,
            b,
            limited,
            leads,
            contacts,
            pipelines,
            users,
        }
    }

    /// GET `uri` with these credentials; the status, headers and JSON body.
    pub(crate) async fn get(
        &self,
        creds: Option<&Creds>,
        uri: &str,
    ) -> (StatusCode, HeaderMap, Value) {
        let mut request = Request::get(uri);
        if let Some(c) = creds {
            request = request
                .header("x-client-id", &c.id)
                .header("x-client-secret", &c.secret);
        }
        send(&self.app, request.body(Body::empty()).unwrap()).await
    }

    /// GET as `a`, expecting a 200; the body.
    pub(crate) async fn ok(&self, uri: &str) -> Value {
        let (status, _, body) = self.get(Some(&self.a), uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        body
    }

    /// Every page of `uri` (which must not set `page`) with `limit`, as one list of rows,
    /// checking the page metadata on the way.
    pub(crate) async fn all_pages(&self, creds: &Creds, uri: &str, limit: u32) -> Vec<Value> {
        let mut rows = Vec::new();
        for page in 1.. {
            let (status, _, body) = self
                .get(Some(creds), &format!("{uri}&page={page}&limit={limit}"))
                .await;
            assert_eq!(status, StatusCode::OK, "{uri}: {body}");
            let data = body["data"].as_array().unwrap();
            assert!(data.len() <= limit as usize);
            assert_eq!(body["meta"]["page"], page);
            assert_eq!(body["meta"]["limit"], limit);
            assert_eq!(body["meta"]["hasPreviousPage"], page > 1);
            let more = body["meta"]["hasNextPage"].as_bool().unwrap();
            if more {
                assert_eq!(data.len(), limit as usize, "a page before the last is full");
            }
            rows.extend(data.iter().cloned());
            if !more {
                break;
            }
        }
        rows
    }
}

/// Sends one request to the router (no socket); status, headers and body as JSON
/// (`Value::String` holding the text when it is not JSON).
pub(crate) async fn send(app: &Router, request: Request<Body>) -> (StatusCode, HeaderMap, Value) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 64 << 20)
        .await
        .unwrap();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, headers, body)
}

/// The tags a seed row gets, by a small pattern: none, one, two with a comma in a name and
/// no color, Unicode.
pub(crate) fn tags_for(id: i64) -> Vec<RowTag> {
    let hot = RowTag {
        id: 1,
        name: "hot".into(),
        color: Some("#FF0000".into()),
    };
    let comma = RowTag {
        id: 2,
        name: "a,b".into(),
        color: None,
    };
    let unicode = RowTag {
        id: 3,
        name: "été 🚀".into(),
        color: Some("#0000FF".into()),
    };
    match id % 5 {
        0 => vec![],
        1 => vec![hot],
        2 => vec![comma, hot],
        3 => vec![unicode, comma],
        _ => vec![hot, unicode],
    }
}

fn join<T>(items: &[T], f: impl Fn(&T) -> String) -> Option<String> {
    if items.is_empty() {
        None
    } else {
        Some(items.iter().map(f).collect::<Vec<_>>().join(","))
    }
}

fn tag_json(tags: &[RowTag]) -> Option<String> {
    if tags.is_empty() {
        return None;
    }
    let list: Vec<Value> = tags
        .iter()
        .map(|t| serde_json::json!({"id": t.id, "name": t.name, "color": t.color}))
        .collect();
    Some(Value::Array(list).to_string())
}

/// A deterministic lead. Pairs of consecutive ids share `created_at` (ties broken by id);
/// every 23rd has no `created_at`; every 17th is deleted in Kommo.
pub(crate) fn lead(t: &RowTenancy, id: i64) -> LeadRow {
    let tags = tags_for(id);
    let status_id = [101, 102, 142, 143][(id % 4) as usize];
    let created_at = if id % 23 == 0 {
        None
    } else {
        Some(BASE + (id / 2) * 15_000)
    };
    LeadRow {
        lead_id: id,
        lead_name: Some(format!("Lead {id}")),
        status_id,
        price: Some(id * 100),
        responsible_user_id: Some([1, 2, 3][((id / 3) % 3) as usize]),
        group_id: Some(id % 2),
        pipeline_id: if id % 3 == 0 { 20 } else { 10 },
        loss_reason_id: (status_id == 143).then_some(7),
        created_by: Some(1),
        updated_by: Some(2),
        created_at,
        updated_at: Some(BASE + 100_000 + (id % 7) * 86_400 + id),
        closed_at: (status_id >= 142).then_some(BASE + 200_000 + id * 10),
        closest_task_at: None,
        is_deleted: id % 17 == 0,
        custom_fields_values: Some(format!(
            r#"[{{"field_id":5,"values":[{{"value":"{id}"}}]}}]"#
        )),
        score: None,
        account_id: Some(31_000_000),
        labor_cost: None,
        source_id: Some(3),
        source_name: Some("Website".into()),
        tags: tag_json(&tags),
        contacts_ids: Some(format!("{id},{}", id + 1)),
        loss_reason: (status_id == 143).then(|| "Too expensive".to_owned()),
        tag_id: join(&tags, |t| t.id.to_string()),
        tag_name: join(&tags, |t| t.name.clone()),
        tag_color: join(&tags, |t| t.color.clone().unwrap_or_default()),
        tag_id_first: tags.first().map(|t| t.id.to_string()),
        tag_name_first: tags.first().map(|t| t.name.clone()),
        tag_color_first: tags.first().and_then(|t| t.color.clone()),
        tenancy: t.clone(),
        document_id: kommo_store::document_id(&t.integration_id, "lead", &[id]),
        inserted_at: 0,
        company_id: Some(id % 4),
        status_name: Some(format!("Status {status_id}")),
        pipeline_name: Some("Sales".into()),
        tag_list: tags,
    }
}

/// A deterministic contact with one or two emails (mixed case) and a formatted phone.
pub(crate) fn contact(t: &RowTenancy, id: i64) -> ContactRow {
    let tags = tags_for(id + 1);
    let mut emails = vec![format!("Person{id}@Example.com")];
    if id % 2 == 0 {
        emails.push(format!("alt{id}@example.org"));
    }
    let phones = vec![format!("+55 (11) 9999-{id:04}")];
    let lead_ids = vec![id, id + 1];
    ContactRow {
        contact_id: id,
        contact_name: Some(format!("Person {id}")),
        first_name: Some("Person".into()),
        last_name: Some(id.to_string()),
        responsible_user_id: Some([1, 2][(id % 2) as usize]),
        group_id: Some(0),
        created_by: Some(1),
        updated_by: Some(1),
        created_at: Some(BASE + id * 20_000),
        updated_at: Some(BASE + 500_000 + id),
        closest_task_at: None,
        is_deleted: id % 13 == 0,
        is_unsorted: false,
        custom_fields_values: None,
        account_id: Some(31_000_000),
        email: emails.first().cloned(),
        phone: phones.first().cloned(),
        emails: Some(emails.join(",")),
        phones: Some(phones.join(",")),
        company_id: Some(id % 3),
        leads_ids: join(&lead_ids, ToString::to_string),
        tags: tag_json(&tags),
        tag_id: join(&tags, |t| t.id.to_string()),
        tag_name: join(&tags, |t| t.name.clone()),
        tag_color: join(&tags, |t| t.color.clone().unwrap_or_default()),
        tag_id_first: tags.first().map(|t| t.id.to_string()),
        tag_name_first: tags.first().map(|t| t.name.clone()),
        tag_color_first: tags.first().and_then(|t| t.color.clone()),
        tenancy: t.clone(),
        document_id: kommo_store::document_id(&t.integration_id, "contact", &[id]),
        inserted_at: 0,
        tag_list: tags,
        email_list: emails,
        phone_list: phones,
        lead_id_list: lead_ids,
    }
}

/// Two pipelines, each with two own statuses and the system statuses 142 and 143.
pub(crate) fn pipeline_rows(t: &RowTenancy) -> Vec<PipelineRow> {
    let mut rows = Vec::new();
    for (pipeline_id, name, pipeline_sort) in [(10, "Sales", 1), (20, "Partners, Resellers", 2)] {
        for (status_id, status_name, sort, color, status_type) in [
            (101, "Incoming", 10, "#c1c1c1", 1),
            (102, "Qualified", 20, "#fffeb2", 0),
            (142, "Won", 10000, "#CCFF66", 0),
            (143, "Lost", 11000, "#D5D8DB", 0),
        ] {
            rows.push(PipelineRow {
                pipeline_id,
                pipeline_name: name.into(),
                pipeline_sort,
                status_id,
                status_name: status_name.into(),
                sort,
                is_editable: status_id < 142,
                color: color.into(),
                status_type,
                tenancy: t.clone(),
                document_id: kommo_store::document_id(
                    &t.integration_id,
                    "pipeline",
                    &[pipeline_id, status_id],
                ),
                inserted_at: 0,
                is_main: pipeline_id == 10,
                is_archive: false,
            });
        }
    }
    rows
}

pub(crate) fn user(t: &RowTenancy, id: i64) -> UserRow {
    UserRow {
        user_id: id,
        user_name: Some(format!("User {id}")),
        email: Some(format!("User{id}@Example.com")),
        lang: Some("en".into()),
        is_admin: id == 1,
        is_free: false,
        is_active: id % 5 != 0,
        group_id: Some(id % 2),
        group_name: Some(format!("Group {}", id % 2)),
        role_id: Some(id % 3),
        role_name: Some(format!("Role {}", id % 3)),
        rights: Some(r#"{"leads":{"view":"A"}}"#.into()),
        tenancy: t.clone(),
        document_id: kommo_store::document_id(&t.integration_id, "user", &[id]),
        inserted_at: 0,
    }
}

/// `field` of each row, as strings.
pub(crate) fn column(rows: &[Value], field: &str) -> Vec<String> {
    rows.iter()
        .map(|r| {
            r[field]
                .as_str()
                .map_or_else(|| r[field].to_string(), str::to_owned)
        })
        .collect()
}
