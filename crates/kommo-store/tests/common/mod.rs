//! Fixtures shared by the store's integration tests: a tenancy layout, generated rows, and
//! a macro that runs one test body on SQLite and (when configured) on Postgres.
#![allow(
    dead_code,
    reason = "each test binary uses a different part of the fixtures"
)]

use kommo_store::query::{Grant, PageRequest, Scope};
use kommo_store::rows::{ContactRow, LeadRow, RowTag, RowTenancy};
use kommo_store::testing::TestStore;
use kommo_store::{IntegrationAuth, Keys, NewIntegration, SecretString, Store};

/// Runs `async fn $name(t: &TestStore)` on a fresh SQLite file and on a fresh Postgres schema.
#[macro_export]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let t = kommo_store::testing::TestStore::sqlite(kommo_store::Keys::generate()).await.unwrap();
                super::$name(&t).await;
                t.cleanup().await.unwrap();
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                match kommo_store::testing::TestStore::postgres(kommo_store::Keys::generate()).await.unwrap() {
                    Some(t) => {
                        super::$name(&t).await;
                        t.cleanup().await.unwrap();
                    }
                    None => kommo_store::testing::announce_postgres_skip(),
                }
            }
        }
    )*};
}

pub(crate) const BASE: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

pub(crate) fn tenancy(org: &str, ws: &str, integration: &str) -> RowTenancy {
    RowTenancy {
        organization_id: org.into(),
        workspace_id: ws.into(),
        integration_id: integration.into(),
    }
}

/// org-a { ws-a1 { int-a1, int-a1b }, ws-a2 { int-a2 } }, org-b { ws-b1 { int-b1 } }.
pub(crate) async fn setup_tenancy(store: &Store) {
    store.create_organization("org-a", "Org A").await.unwrap();
    store.create_organization("org-b", "Org B").await.unwrap();
    store
        .create_workspace("org-a", "ws-a1", "A1")
        .await
        .unwrap();
    store
        .create_workspace("org-a", "ws-a2", "A2")
        .await
        .unwrap();
    store
        .create_workspace("org-b", "ws-b1", "B1")
        .await
        .unwrap();
    for (id, ws) in [
        ("int-a1", "ws-a1"),
        ("int-a1b", "ws-a1"),
        ("int-a2", "ws-a2"),
        ("int-b1", "ws-b1"),
    ] {
        store
            .create_integration(NewIntegration {
                id: id.into(),
                workspace_id: ws.into(),
                base_url: format!("https://{id}.kommo.example"),
                auth: IntegrationAuth::LongLivedToken(SecretString::from(format!("token-of-{id}"))),
                rate_limit_per_second: 7,
            })
            .await
            .unwrap();
    }
}

pub(crate) fn grant(workspaces: &[&str]) -> Grant {
    Grant {
        client_id: "test".into(),
        organization_id: "org-a".into(),
        workspace_ids: workspaces.iter().map(|w| w.to_string()).collect(),
        requests_per_minute: 0,
    }
}

pub(crate) fn scope(ws: &str) -> Scope {
    Scope {
        workspace_id: ws.into(),
        organization_id: None,
        integration_ids: vec![],
    }
}

pub(crate) fn page(page: u32, limit: u32) -> PageRequest {
    PageRequest { page, limit }
}

const TAGS: [(i64, &str, Option<&str>); 4] = [
    (1, "VIP", Some("#ff0000")),
    (2, "cold, slow", None),
    (3, "hot", Some("#ff0000")),
    (4, "partner", Some("#00ff00")),
];

fn tag(i: usize) -> RowTag {
    let (id, name, color) = TAGS[i];
    RowTag {
        id,
        name: name.into(),
        color: color.map(Into::into),
    }
}

/// A deterministic lead: ids spread over 3 pipelines, 4 statuses, 3 users; every pair of
/// consecutive ids shares a `created_at` so ties are exercised; some fields null.
pub(crate) fn lead(t: &RowTenancy, id: i64) -> LeadRow {
    let tags: Vec<RowTag> = match id % 5 {
        0 => vec![],
        1 => vec![tag(0)],
        2 => vec![tag(1), tag(0)],
        3 => vec![tag(2), tag(3), tag(1)],
        _ => vec![tag(3)],
    };
    let created = if id % 17 == 0 {
        None
    } else {
        Some(BASE + (id / 2) * 3_600)
    };
    LeadRow {
        lead_id: id,
        // Every few names carry what JSON must escape (quotes, backslash, control
        // characters) and non-ASCII text.
        lead_name: Some(if id % 7 == 0 {
            format!("Lead \"{id}\" \\ tab\there\u{1}, Zoë 日本")
        } else {
            format!("Lead {id}")
        }),
        status_id: [142, 143, 1001, 1002][(id % 4) as usize],
        price: if id % 6 == 0 { None } else { Some(id * 100) },
        responsible_user_id: Some(500 + id % 3),
        group_id: Some(id % 2),
        pipeline_id: 10 + id % 3,
        loss_reason_id: if id % 4 == 1 { Some(77) } else { None },
        created_by: Some(500),
        updated_by: Some(501),
        created_at: created,
        updated_at: Some(BASE + 1_000_000 + id * 60),
        closed_at: if id % 4 < 2 {
            Some(BASE + 2_000_000 + id)
        } else {
            None
        },
        closest_task_at: None,
        is_deleted: false,
        custom_fields_values: if id % 2 == 0 {
            Some(format!(
                "[{{\"field_id\":1,\"values\":[{{\"value\":\"{id}\"}}]}}]"
            ))
        } else {
            None
        },
        score: Some(id.to_string()),
        account_id: Some(31_000_000),
        labor_cost: None,
        source_id: Some(9),
        source_name: Some("Website".into()),
        tags: if tags.is_empty() {
            None
        } else {
            Some(format!("{} tags", tags.len()))
        },
        contacts_ids: Some(format!("{},{}", id * 10, id * 10 + 1)),
        loss_reason: None,
        tag_id: tags.first().map(|_| {
            tags.iter()
                .map(|t| t.id.to_string())
                .collect::<Vec<_>>()
                .join(",")
        }),
        tag_name: tags.first().map(|_| {
            tags.iter()
                .map(|t| t.name.clone())
                .collect::<Vec<_>>()
                .join(",")
        }),
        tag_color: None,
        tag_id_first: tags.first().map(|t| t.id.to_string()),
        tag_name_first: tags.first().map(|t| t.name.clone()),
        tag_color_first: tags.first().and_then(|t| t.color.clone()),
        tenancy: t.clone(),
        document_id: String::new(),
        inserted_at: 0,
        company_id: Some(id % 7),
        status_name: Some("Status".into()),
        pipeline_name: Some("Pipeline".into()),
        tag_list: tags,
    }
}

pub(crate) fn contact(t: &RowTenancy, id: i64) -> ContactRow {
    let tags: Vec<RowTag> = match id % 3 {
        0 => vec![],
        1 => vec![tag(0)],
        _ => vec![tag(3), tag(2)],
    };
    ContactRow {
        contact_id: id,
        contact_name: Some(if id % 7 == 0 {
            format!("Contact \"{id}\"\n\\ ünïcode")
        } else {
            format!("Contact {id}")
        }),
        first_name: Some("Ana".into()),
        last_name: Some(format!("N{id}")),
        responsible_user_id: Some(500 + id % 2),
        group_id: Some(0),
        created_by: Some(500),
        updated_by: Some(500),
        created_at: Some(BASE + (id / 2) * 60),
        updated_at: Some(BASE + 500_000 + id),
        closest_task_at: None,
        is_deleted: false,
        is_unsorted: id % 10 == 0,
        custom_fields_values: None,
        account_id: Some(31_000_000),
        email: Some(format!("User{id}@Example.com")),
        phone: Some(format!("+55 (11) 9999-{id:04}")),
        emails: Some(format!("User{id}@Example.com,alt{id}@example.org")),
        phones: Some(format!("+55 (11) 9999-{id:04}")),
        company_id: Some(id % 4),
        leads_ids: Some(format!("{}", id * 2)),
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
        email_list: vec![
            format!("User{id}@Example.com"),
            format!("alt{id}@example.org"),
        ],
        phone_list: vec![format!("+55 (11) 9999-{id:04}")],
        lead_id_list: vec![id * 2, id * 2 + 1],
    }
}

/// A row as the store returns it, compared on what the sync wrote (the store's own stamps
/// `document_id` and `inserted_at` blanked).
pub(crate) fn written<T: Clone>(row: &T, blank: impl Fn(&mut T)) -> T {
    let mut row = row.clone();
    blank(&mut row);
    row
}

pub(crate) fn keys() -> Keys {
    Keys::generate()
}

pub(crate) fn sqlite_or_pg(t: &TestStore) -> &'static str {
    match t.store.backend() {
        kommo_store::Backend::Sqlite => "sqlite",
        kommo_store::Backend::Postgres => "postgres",
    }
}
