//! Tenancy, credentials, encrypted secrets and leases, on SQLite and (when configured) Postgres.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::*;
use kommo_store::query::*;
use kommo_store::rows::LeadRow;
use kommo_store::testing::TestStore;
use kommo_store::{
    Backend, ExposeSecret as _, IntegrationAuth, Keys, NewIntegration, SecretString, Store,
    StoreError, StoredTokens,
};
use sqlx::Connection as _;

/// Every byte column of a table, as stored (to check that no secret is there in clear).
async fn raw_bytes(t: &TestStore, sql: &str) -> Vec<Vec<u8>> {
    match t.store.backend() {
        Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect_with(
                &sqlx::sqlite::SqliteConnectOptions::new().filename(&t.url),
            )
            .await
            .unwrap();
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
                .fetch_all(&mut c)
                .await
                .unwrap()
        }
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(&t.url).await.unwrap();
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
                .fetch_all(&mut c)
                .await
                .unwrap()
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn other_tenants_rows_are_unreachable(t: &TestStore) {
    let s = &t.store;
    setup_tenancy(s).await;
    for t in [
        tenancy("org-a", "ws-a1", "int-a1"),
        tenancy("org-a", "ws-a2", "int-a2"),
        tenancy("org-b", "ws-b1", "int-b1"),
    ] {
        let rows: Vec<LeadRow> = (1..=20).map(|id| lead(&t, id)).collect();
        s.write_leads(&t, &rows, None).await.unwrap();
    }
    let g = grant(&["ws-a1"]);
    let q = |scope: Scope, filter: LeadFilter| LeadsQuery {
        scope,
        filter,
        order: None,
        page: page(1, 1000),
    };
    // The granted workspace: its own rows only, whatever the filters.
    let all = LeadFilter {
        deleted: Deleted::Any,
        ..LeadFilter::default()
    };
    let p = s.leads(&g, &q(scope("ws-a1"), all.clone())).await.unwrap();
    assert_eq!(p.rows.len(), 20);
    assert!(
        p.rows
            .iter()
            .all(|r| r.tenancy.workspace_id == "ws-a1" && r.tenancy.organization_id == "org-a")
    );
    let by_tag = s
        .leads(
            &g,
            &q(
                scope("ws-a1"),
                LeadFilter {
                    tag_name: Some("VIP".into()),
                    ..all.clone()
                },
            ),
        )
        .await
        .unwrap();
    assert!(
        !by_tag.rows.is_empty()
            && by_tag
                .rows
                .iter()
                .all(|r| r.tenancy.integration_id == "int-a1")
    );

    let not_granted =
        |r: Result<Page<LeadRow>, StoreError>| matches!(r, Err(StoreError::NotGranted { .. }));
    // Another workspace of the same organization, not granted.
    assert!(not_granted(
        s.leads(&g, &q(scope("ws-a2"), all.clone())).await
    ));
    // Another organization's workspace.
    assert!(not_granted(
        s.leads(&g, &q(scope("ws-b1"), all.clone())).await
    ));
    // The right workspace but another organization named.
    let wrong_org = Scope {
        organization_id: Some("org-b".into()),
        ..scope("ws-a1")
    };
    assert!(not_granted(s.leads(&g, &q(wrong_org, all.clone())).await));
    // An integration of another workspace or organization.
    for foreign in ["int-a2", "int-b1", "int-none"] {
        let scope = Scope {
            integration_ids: vec!["int-a1".into(), foreign.into()],
            ..scope("ws-a1")
        };
        assert!(
            not_granted(s.leads(&g, &q(scope, all.clone())).await),
            "{foreign}"
        );
    }
    let error = s
        .leads(&g, &q(scope("ws-b1"), all.clone()))
        .await
        .unwrap_err();
    assert_eq!(error.to_string(), "not granted: workspace ws-b1");
    // The same checks guard the other resources.
    let pq = PipelinesQuery {
        scope: scope("ws-b1"),
        filter: PipelineFilter::default(),
        order: None,
        page: page(1, 10),
    };
    assert!(matches!(
        s.pipelines(&g, &pq).await,
        Err(StoreError::NotGranted { .. })
    ));
    let uq = UsersQuery {
        scope: scope("ws-a2"),
        filter: UserFilter::default(),
        order: None,
        page: page(1, 10),
    };
    assert!(matches!(
        s.users(&g, &uq).await,
        Err(StoreError::NotGranted { .. })
    ));
    let cq = ContactsQuery {
        scope: scope("ws-b1"),
        filter: ContactFilter::default(),
        order: None,
        page: page(1, 10),
    };
    assert!(matches!(
        s.contacts(&g, &cq).await,
        Err(StoreError::NotGranted { .. })
    ));
    // Naming the organization and the integration that are granted works.
    let named = Scope {
        organization_id: Some("org-a".into()),
        integration_ids: vec!["int-a1".into()],
        ..scope("ws-a1")
    };
    assert_eq!(s.leads(&g, &q(named, all)).await.unwrap().rows.len(), 20);
}

async fn tenancy_records_are_validated(t: &TestStore) {
    let s = &t.store;
    setup_tenancy(s).await;
    assert!(matches!(
        s.create_organization("org-a", "again").await.unwrap_err(),
        StoreError::Conflict { .. }
    ));
    assert!(matches!(
        s.create_workspace("org-zz", "ws-x", "X").await.unwrap_err(),
        StoreError::NotFound { .. }
    ));
    assert!(matches!(
        s.create_workspace("org-a", "ws-a1", "dup")
            .await
            .unwrap_err(),
        StoreError::Conflict { .. }
    ));
    assert!(matches!(
        s.create_organization("", "empty").await.unwrap_err(),
        StoreError::InvalidInput { .. }
    ));
    let new = |id: &str, ws: &str, url: &str| NewIntegration {
        id: id.into(),
        workspace_id: ws.into(),
        base_url: url.into(),
        auth: IntegrationAuth::LongLivedToken(SecretString::from("t")),
        rate_limit_per_second: 7,
    };
    assert!(matches!(
        s.create_integration(new("int-a1", "ws-a1", "https://x"))
            .await
            .unwrap_err(),
        StoreError::Conflict { .. }
    ));
    assert!(matches!(
        s.create_integration(new("i", "ws-zz", "https://x"))
            .await
            .unwrap_err(),
        StoreError::NotFound { .. }
    ));
    assert!(matches!(
        s.create_integration(new("i", "ws-a1", "not a url"))
            .await
            .unwrap_err(),
        StoreError::InvalidInput { .. }
    ));
    let listed: Vec<String> = s
        .integrations()
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(listed, ["int-a1", "int-a1b", "int-a2", "int-b1"]);
    let one = s.integration("int-b1").await.unwrap().unwrap();
    assert_eq!(
        (one.organization_id.as_str(), one.workspace_id.as_str()),
        ("org-b", "ws-b1")
    );
    assert_eq!(one.base_url, "https://int-b1.kommo.example");
    assert!(s.integration("nope").await.unwrap().is_none());
    assert_eq!(s.workspaces().await.unwrap().len(), 3);
}

async fn credentials_authenticate_only_with_the_right_secret(t: &TestStore) {
    let s = &t.store;
    setup_tenancy(s).await;
    let creds = s
        .create_credentials("org-a", &["ws-a1".into(), "ws-a2".into()], 120)
        .await
        .unwrap();
    let secret = creds.client_secret.expose_secret().to_owned();
    assert!(secret.len() >= 43, "a 256-bit secret");
    let g = s
        .authenticate(&creds.client_id, &secret)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(g.organization_id, "org-a");
    assert_eq!(g.workspace_ids, ["ws-a1", "ws-a2"]);
    assert_eq!(g.requests_per_minute, 120);
    assert_eq!(g.client_id, creds.client_id);

    let mut wrong = secret.clone();
    wrong.replace_range(0..1, if wrong.starts_with('A') { "B" } else { "A" });
    assert_eq!(
        s.authenticate(&creds.client_id, &wrong).await.unwrap(),
        None
    );
    assert_eq!(s.authenticate(&creds.client_id, "").await.unwrap(), None);
    assert_eq!(s.authenticate("kd_unknown", &secret).await.unwrap(), None);
    // Secrets are bound to their client id.
    let other = s
        .create_credentials("org-a", &["ws-a1".into()], 0)
        .await
        .unwrap();
    assert_eq!(
        s.authenticate(&other.client_id, &secret).await.unwrap(),
        None
    );

    // Only a keyed hash is stored; another master key cannot verify it.
    for stored in raw_bytes(t, "SELECT secret_hash FROM credentials").await {
        assert_eq!(stored.len(), 32);
        assert!(!contains(&stored, secret.as_bytes()));
    }
    let other_keys = Store::connect(&t.url, Keys::generate()).await.unwrap();
    assert_eq!(
        other_keys
            .authenticate(&creds.client_id, &secret)
            .await
            .unwrap(),
        None
    );
    other_keys.close().await;

    // Grants are limited to the organization's own workspaces.
    let error = s
        .create_credentials("org-a", &["ws-b1".into()], 0)
        .await
        .unwrap_err();
    assert!(
        matches!(error, StoreError::InvalidInput { .. }),
        "{error:?}"
    );
    assert!(matches!(
        s.create_credentials("org-zz", &[], 0).await.unwrap_err(),
        StoreError::NotFound { .. }
    ));
    assert!(s.delete_credentials(&creds.client_id).await.unwrap());
    assert_eq!(
        s.authenticate(&creds.client_id, &secret).await.unwrap(),
        None
    );
    assert!(!s.delete_credentials(&creds.client_id).await.unwrap());
}

async fn tokens_are_encrypted_at_rest(t: &TestStore) {
    let s = &t.store;
    setup_tenancy(s).await;
    s.create_integration(NewIntegration {
        id: "int-oauth".into(),
        workspace_id: "ws-a1".into(),
        base_url: "https://oauth.kommo.example".into(),
        auth: IntegrationAuth::OAuth {
            client_id: "kommo-client".into(),
            client_secret: SecretString::from("oauth-client-secret-123456"),
            redirect_uri: "https://app.example/callback".into(),
        },
        rate_limit_per_second: 7,
    })
    .await
    .unwrap();
    assert!(s.load_oauth_tokens("int-oauth").await.unwrap().is_none());
    let tokens = StoredTokens {
        access_token: SecretString::from("access-token-abcdefghijklmnop"),
        refresh_token: SecretString::from("refresh-token-qrstuvwxyz0123"),
        expires_at: 1_800_000_000,
    };
    s.save_oauth_tokens("int-oauth", &tokens).await.unwrap();
    let loaded = s.load_oauth_tokens("int-oauth").await.unwrap().unwrap();
    assert_eq!(
        loaded.access_token.expose_secret(),
        "access-token-abcdefghijklmnop"
    );
    assert_eq!(
        loaded.refresh_token.expose_secret(),
        "refresh-token-qrstuvwxyz0123"
    );
    assert_eq!(loaded.expires_at, 1_800_000_000);
    assert!(
        !format!("{loaded:?}").contains("access-token"),
        "Debug is redacted"
    );

    // Rotation replaces the pair.
    let rotated = StoredTokens {
        refresh_token: SecretString::from("refresh-token-rotated-000000"),
        ..tokens
    };
    s.save_oauth_tokens("int-oauth", &rotated).await.unwrap();
    let loaded = s.load_oauth_tokens("int-oauth").await.unwrap().unwrap();
    assert_eq!(
        loaded.refresh_token.expose_secret(),
        "refresh-token-rotated-000000"
    );
    assert!(matches!(
        s.save_oauth_tokens("nope", &rotated).await.unwrap_err(),
        StoreError::NotFound { .. }
    ));

    let integration = s.integration("int-oauth").await.unwrap().unwrap();
    match integration.auth {
        IntegrationAuth::OAuth {
            client_id,
            client_secret,
            redirect_uri,
        } => {
            assert_eq!(client_id, "kommo-client");
            assert_eq!(client_secret.expose_secret(), "oauth-client-secret-123456");
            assert_eq!(redirect_uri, "https://app.example/callback");
        }
        other => panic!("expected OAuth, got {other:?}"),
    }
    match s.integration("int-a1").await.unwrap().unwrap().auth {
        IntegrationAuth::LongLivedToken(token) => {
            assert_eq!(token.expose_secret(), "token-of-int-a1")
        }
        other => panic!("expected a long-lived token, got {other:?}"),
    }

    // No secret appears in clear in the table.
    let stored = raw_bytes(
        t,
        "SELECT access_token FROM integrations WHERE id = 'int-oauth'",
    )
    .await;
    let stored_refresh = raw_bytes(
        t,
        "SELECT refresh_token FROM integrations WHERE id = 'int-oauth'",
    )
    .await;
    let stored_secret = raw_bytes(
        t,
        "SELECT oauth_client_secret FROM integrations WHERE id = 'int-oauth'",
    )
    .await;
    let stored_token = raw_bytes(
        t,
        "SELECT long_lived_token FROM integrations WHERE id = 'int-a1'",
    )
    .await;
    assert!(!contains(&stored[0], b"access-token"));
    assert!(!contains(&stored_refresh[0], b"refresh-token"));
    assert!(!contains(&stored_secret[0], b"oauth-client-secret"));
    assert!(!contains(&stored_token[0], b"token-of-int-a1"));

    // The wrong master key cannot read them, and says so without leaking anything.
    let other_keys = Store::connect(&t.url, Keys::generate()).await.unwrap();
    let error = other_keys.load_oauth_tokens("int-oauth").await.unwrap_err();
    assert!(matches!(error, StoreError::Crypto(_)), "{error:?}");
    assert!(!error.to_string().contains("access-token"));
    other_keys.close().await;
    // The same master key, loaded from its base64 form, reads them back.
    let same_keys = Store::connect(&t.url, Keys::from_base64(&t.keys.to_base64()).unwrap())
        .await
        .unwrap();
    let loaded = same_keys
        .load_oauth_tokens("int-oauth")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        loaded.access_token.expose_secret(),
        "access-token-abcdefghijklmnop"
    );
    same_keys.close().await;
}

async fn leases_are_exclusive_and_expire(t: &TestStore) {
    let s = &t.store;
    setup_tenancy(s).await;
    let hour = Duration::from_secs(3_600);
    // Four integrations: four claims get four different ones, the fifth gets nothing.
    let mut held = HashSet::new();
    for worker in ["w1", "w2", "w3", "w4"] {
        let claimed = s
            .claim_integration(worker, hour, Duration::ZERO)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(claimed.lease_owner.as_deref(), Some(worker));
        assert!(held.insert(claimed.id));
    }
    assert!(
        s.claim_integration("w5", hour, Duration::ZERO)
            .await
            .unwrap()
            .is_none()
    );

    let int_a1 = s.integration("int-a1").await.unwrap().unwrap();
    let owner = int_a1.lease_owner.clone().unwrap();
    assert!(s.renew_lease("int-a1", &owner, hour).await.unwrap());
    assert!(!s.renew_lease("int-a1", "intruder", hour).await.unwrap());
    s.release_lease("int-a1", "intruder").await.unwrap();
    assert_eq!(
        s.integration("int-a1")
            .await
            .unwrap()
            .unwrap()
            .lease_owner
            .as_deref(),
        Some(owner.as_str())
    );

    // Released: synced just now, so not claimable again within the interval, then claimable.
    s.release_lease("int-a1", &owner).await.unwrap();
    let released = s.integration("int-a1").await.unwrap().unwrap();
    assert!(released.lease_owner.is_none() && released.last_sync_at.is_some());
    assert!(
        s.claim_integration("w5", hour, hour)
            .await
            .unwrap()
            .is_none()
    );
    let again = s
        .claim_integration("w5", hour, Duration::ZERO)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.id, "int-a1");

    // An expired lease is taken over, and the old owner can no longer renew it.
    s.release_lease("int-a1", "w5").await.unwrap();
    let short = s
        .claim_integration("w6", Duration::from_millis(1), Duration::ZERO)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(short.id, "int-a1");
    tokio::time::sleep(Duration::from_millis(20)).await;
    let taken = s
        .claim_integration("w7", hour, Duration::ZERO)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(taken.id, "int-a1");
    assert!(!s.renew_lease("int-a1", "w6", hour).await.unwrap());
    assert!(s.renew_lease("int-a1", "w7", hour).await.unwrap());
}

async fn concurrent_claims_never_share_an_integration(t: &TestStore) {
    let s = &t.store;
    setup_tenancy(s).await;
    for i in 0..12 {
        s.create_integration(NewIntegration {
            id: format!("extra-{i:02}"),
            workspace_id: "ws-a1".into(),
            base_url: "https://extra.kommo.example".into(),
            auth: IntegrationAuth::LongLivedToken(SecretString::from("t")),
            rate_limit_per_second: 7,
        })
        .await
        .unwrap();
    }
    // Two stores on one database stand for two worker processes.
    let second = Store::connect(&t.url, t.keys.clone()).await.unwrap();
    let mut tasks = Vec::new();
    for w in 0..8 {
        let store = if w % 2 == 0 {
            s.clone()
        } else {
            second.clone()
        };
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            while let Some(i) = store
                .claim_integration(
                    &format!("worker-{w}"),
                    Duration::from_secs(600),
                    Duration::ZERO,
                )
                .await
                .unwrap()
            {
                mine.push(i.id);
            }
            mine
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let distinct: HashSet<&String> = all.iter().collect();
    assert_eq!(all.len(), 16, "every integration claimed once: {all:?}");
    assert_eq!(distinct.len(), 16);
    second.close().await;
}

on_both!(
    other_tenants_rows_are_unreachable,
    tenancy_records_are_validated,
    credentials_authenticate_only_with_the_right_secret,
    tokens_are_encrypted_at_rest,
    leases_are_exclusive_and_expire,
    concurrent_claims_never_share_an_integration,
);
