//! The sync engine's writes: round trips, idempotent upserts, atomic checkpoints, deletions,
//! replaced sets, dictionaries, runs. Each test runs on SQLite and on Postgres when configured.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod common;

use common::*;
use kommo_store::query::{Deleted, LeadFilter, LeadsQuery};
use kommo_store::rows::{ContactRow, LeadRow, PipelineRow, UserRow};
use kommo_store::testing::TestStore;
use kommo_store::{
    Backend, Checkpoint, DeletedRef, EntityKind, RunOutcome, RunStatus, Store, StoreError,
};
use sqlx::Connection as _;

fn blank_lead(r: &mut LeadRow) {
    r.document_id.clear();
    r.inserted_at = 0;
}

fn blank_contact(r: &mut ContactRow) {
    r.document_id.clear();
    r.inserted_at = 0;
}

fn checkpoint(integration: &str, stream: &str, cursor: i64) -> Checkpoint {
    Checkpoint {
        integration_id: integration.into(),
        stream: stream.into(),
        cursor_updated_at: cursor,
        cursor_id: cursor + 1,
        full_sync_done: cursor > 100,
        extra: Some(format!("{{\"page\":{cursor}}}")),
    }
}

/// Runs raw SQL beside the store (test set-up only: fault injection).
async fn raw(t: &TestStore, sql: &str) {
    match t.store.backend() {
        Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect_with(
                &sqlx::sqlite::SqliteConnectOptions::new().filename(&t.url),
            )
            .await
            .unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&mut c)
                .await
                .unwrap();
        }
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(&t.url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&mut c)
                .await
                .unwrap();
        }
    }
}

async fn migrations_run_once_and_reopen_cleanly(t: &TestStore) {
    // A second connect on the same database finds the schema current and changes nothing.
    let again = Store::connect(&t.url, keys()).await.unwrap();
    again.create_organization("o", "O").await.unwrap();
    assert_eq!(t.store.organizations().await.unwrap().len(), 1);
    again.close().await;
    let table = "_sqlx_migrations";
    let versions: Vec<i64> = match t.store.backend() {
        Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect_with(
                &sqlx::sqlite::SqliteConnectOptions::new().filename(&t.url),
            )
            .await
            .unwrap();
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT version FROM {table} ORDER BY version"
            )))
            .fetch_all(&mut c)
            .await
            .unwrap()
        }
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(&t.url).await.unwrap();
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT version FROM {table} ORDER BY version"
            )))
            .fetch_all(&mut c)
            .await
            .unwrap()
        }
    };
    assert_eq!(versions, kommo_store::migration_versions(Backend::Sqlite));
    assert_eq!(versions, kommo_store::migration_versions(Backend::Postgres));
}

async fn leads_round_trip_with_tags_and_stamps(t: &TestStore) {
    let s = &t.store;
    setup_tenancy(s).await;
    let ten = tenancy("org-a", "ws-a1", "int-a1");
    let rows: Vec<LeadRow> = (1..=600).map(|id| lead(&ten, id)).collect();
    s.write_leads(&ten, &rows, None).await.unwrap();
    let stored = s.all_lead_rows("int-a1").await.unwrap();
    assert_eq!(stored.len(), 600);
    for (want, got) in rows.iter().zip(&stored) {
        assert_eq!(
            written(got, blank_lead),
            written(want, blank_lead),
            "lead {}",
            want.lead_id
        );
        assert_eq!(
            got.document_id,
            kommo_store::document_id("int-a1", "lead", &[want.lead_id])
        );
        assert!(got.inserted_at > 0);
    }
    let counts = s.counts("int-a1").await.unwrap();
    assert_eq!((counts.leads, counts.deleted_leads), (600, 0));
    s.analyze().await.unwrap();
    assert_eq!(s.all_lead_rows("int-a1").await.unwrap().len(), 600);
    assert_eq!(s.counts("int-a1b").await.unwrap().leads, 0);
}

async fn contacts_round_trip_with_side_lists(t: &TestStore) {
    let s = &t.store;
    setup_tenancy(s).await;
    let ten = tenancy("org-a", "ws-a1", "int-a1");
    let rows: Vec<ContactRow> = (1..=300).map(|id| contact(&ten, id)).collect();
    s.write_contacts(&ten, &rows, Some(&checkpoint("int-a1", "contacts", 5)))
        .await
        .unwrap();
    let stored = s.all_contact_rows("int-a1").await.unwrap();
    assert_eq!(stored.len(), 300);
    for (want, got) in rows.iter().zip(&stored) {
        assert_eq!(written(got, blank_contact), written(want, blank_contact));
    }
    assert_eq!(
        s.checkpoint("int-a1", "contacts").await.unwrap(),
        Some(checkpoint("int-a1", "contacts", 5))
    );
    assert_eq!(s.counts("int-a1").await.unwrap().contacts, 300);
}

async fn upserts_are_idempotent_and_never_go_back_in_time(t: &TestStore) {
    let s = &t.store;
    setup_tenancy(s).await;
    let ten = tenancy("org-a", "ws-a1", "int-a1");
    let rows: Vec<LeadRow> = (1..=50).map(|id| lead(&ten, id)).collect();
    s.write_leads(&ten, &rows, None).await.unwrap();
    let first = s.all_lead_rows("int-a1").await.unwrap();
    s.write_leads(&ten, &rows, None).await.unwrap();
    let second = s.all_lead_rows("int-a1").await.unwrap();
    assert_eq!(second.len(), 50);
    let strip = |rows: &[LeadRow]| {
        rows.iter()
            .map(|r| written(r, |r| r.inserted_at = 0))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        strip(&first),
        strip(&second),
        "same page twice: same rows, same document ids"
    );

    // Newer data wins, tags are replaced, a duplicate id within a page keeps the last copy.
    let mut newer = lead(&ten, 7);
    newer.updated_at = newer.updated_at.map(|u| u + 10);
    newer.price = Some(1);
    newer.tag_list = vec![];
    let mut newest = newer.clone();
    newest.price = Some(2);
    s.write_leads(&ten, &[newer, newest], None).await.unwrap();
    let got = s
        .all_lead_rows("int-a1")
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.lead_id == 7)
        .unwrap();
    assert_eq!(got.price, Some(2));
    assert!(got.tag_list.is_empty());

    // Older data (a stale page from an overlap window) changes nothing.
    let mut stale = lead(&ten, 7);
    stale.price = Some(999);
    s.write_leads(&ten, &[stale], None).await.unwrap();
    let got = s
        .all_lead_rows("int-a1")
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.lead_id == 7)
        .unwrap();
    assert_eq!(got.price, Some(2));
}

async fn a_failed_write_leaves_neither_rows_nor_checkpoint(t: &TestStore) {
    let s = &t.store;
    setup_tenancy(s).await;
    let ten = tenancy("org-a", "ws-a1", "int-a1");
    // Make saving the checkpoint of stream "boom" fail, after the rows were written in the
    // same transaction.
    match s.backend() {
        Backend::Sqlite => {
            raw(
                t,
                "CREATE TRIGGER fail_boom BEFORE INSERT ON checkpoints WHEN NEW.stream = 'boom' \
                 BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
            )
            .await
        }
        Backend::Postgres => {
            raw(
                t,
                "CREATE FUNCTION fail_boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 IF NEW.stream = 'boom' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$; \
                 CREATE TRIGGER fail_boom BEFORE INSERT ON checkpoints FOR EACH ROW EXECUTE FUNCTION fail_boom();",
            )
            .await
        }
    }
    let rows: Vec<LeadRow> = (1..=300).map(|id| lead(&ten, id)).collect();
    let error = s
        .write_leads(&ten, &rows, Some(&checkpoint("int-a1", "boom", 9)))
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Database(_)), "{error:?}");
    assert!(
        !error.to_string().contains("INSERT"),
        "no SQL in the message: {error}"
    );
    assert_eq!(s.counts("int-a1").await.unwrap().leads, 0);
    assert!(s.all_lead_rows("int-a1").await.unwrap().is_empty());
    assert_eq!(s.checkpoint("int-a1", "boom").await.unwrap(), None);

    let contacts: Vec<ContactRow> = (1..=10).map(|id| contact(&ten, id)).collect();
    assert!(
        s.write_contacts(&ten, &contacts, Some(&checkpoint("int-a1", "boom", 9)))
            .await
            .is_err()
    );
    assert_eq!(s.counts("int-a1").await.unwrap().contacts, 0);

    // The same rows with a checkpoint that saves: both land.
    s.write_leads(&ten, &rows, Some(&checkpoint("int-a1", "leads", 9)))
        .await
        .unwrap();
    assert_eq!(s.counts("int-a1").await.unwrap().leads, 300);
    assert_eq!(
        s.checkpoint("int-a1", "leads").await.unwrap(),
        Some(checkpoint("int-a1", "leads", 9))
    );
    s.save_checkpoint(&checkpoint("int-a1", "leads", 200))
        .await
        .unwrap();
    assert!(
        s.checkpoint("int-a1", "leads")
            .await
            .unwrap()
            .unwrap()
            .full_sync_done
    );
}

async fn rows_cannot_be_filed_under_another_tenancy(t: &TestStore) {
    let s = &t.store;
    setup_tenancy(s).await;
    let wrong = tenancy("org-a", "ws-a2", "int-a1");
    let error = s
        .write_leads(&wrong, &[lead(&wrong, 1)], None)
        .await
        .unwrap_err();
    assert!(
        matches!(error, StoreError::InvalidInput { .. }),
        "{error:?}"
    );
    let unknown = tenancy("org-a", "ws-a1", "int-zz");
    assert!(matches!(
        s.write_leads(&unknown, &[], None).await.unwrap_err(),
        StoreError::NotFound { .. }
    ));
    let ten = tenancy("org-a", "ws-a1", "int-a1");
    let other = checkpoint("int-a2", "leads", 1);
    assert!(matches!(
        s.write_leads(&ten, &[], Some(&other)).await.unwrap_err(),
        StoreError::InvalidInput { .. }
    ));
}

async fn deletions_are_flagged_not_dropped(t: &TestStore) {
    let s = &t.store;
    setup_tenancy(s).await;
    let ten = tenancy("org-a", "ws-a1", "int-a1");
    let rows: Vec<LeadRow> = (1..=20).map(|id| lead(&ten, id)).collect();
    s.write_leads(&ten, &rows, None).await.unwrap();
    let gone = [
        DeletedRef {
            id: 3,
            updated_at: BASE + 9_000_000,
        },
        DeletedRef {
            id: 4,
            updated_at: BASE,
        },
        DeletedRef {
            id: 999,
            updated_at: BASE,
        },
    ];
    let flagged = s
        .mark_deleted(
            &ten,
            EntityKind::Lead,
            &gone,
            Some(&checkpoint("int-a1", "leads:deleted", 1)),
        )
        .await
        .unwrap();
    assert_eq!(
        flagged, 3,
        "3 and 4 flagged, the unknown 999 stored deleted"
    );
    assert_eq!(
        s.mark_deleted(&ten, EntityKind::Lead, &gone, None)
            .await
            .unwrap(),
        0,
        "already flagged"
    );
    let counts = s.counts("int-a1").await.unwrap();
    assert_eq!((counts.leads, counts.deleted_leads), (18, 3));
    let all = s.all_lead_rows("int-a1").await.unwrap();
    // A lead created and deleted between two syncs: only what `with=only_deleted` says.
    let unknown = all.iter().find(|r| r.lead_id == 999).unwrap();
    assert!(unknown.is_deleted);
    assert_eq!(unknown.updated_at, Some(BASE));
    assert_eq!((unknown.pipeline_id, unknown.status_id), (0, 0));
    assert_eq!(
        (
            unknown.lead_name.as_deref(),
            unknown.created_at,
            unknown.price
        ),
        (None, None, None)
    );
    assert_eq!(
        unknown.document_id,
        kommo_store::document_id("int-a1", "lead", &[999])
    );
    assert_eq!(unknown.tenancy, ten);
    let three = all.iter().find(|r| r.lead_id == 3).unwrap();
    assert!(three.is_deleted);
    assert_eq!(
        three.updated_at,
        Some(BASE + 9_000_000),
        "deletion time is later: it becomes updated_at"
    );
    let four = all.iter().find(|r| r.lead_id == 4).unwrap();
    assert_eq!(
        four.updated_at,
        lead(&ten, 4).updated_at,
        "an earlier deletion time keeps updated_at"
    );
    assert!(
        s.checkpoint("int-a1", "leads:deleted")
            .await
            .unwrap()
            .is_some()
    );

    // A stale page cannot resurrect lead 3; the data API hides deleted leads unless asked.
    s.write_leads(&ten, &[lead(&ten, 3)], None).await.unwrap();
    let g = grant(&["ws-a1"]);
    let query = |deleted| LeadsQuery {
        scope: kommo_store::query::Scope {
            integration_ids: vec!["int-a1".into()],
            ..scope("ws-a1")
        },
        filter: LeadFilter {
            deleted,
            ..Default::default()
        },
        order: None,
        page: page(1, 100),
    };
    let ids =
        |p: kommo_store::query::Page<LeadRow>| p.rows.iter().map(|r| r.lead_id).collect::<Vec<_>>();
    let live = ids(s.leads(&g, &query(Deleted::Live)).await.unwrap());
    assert_eq!(live.len(), 18);
    assert!(!live.contains(&3) && !live.contains(&4));
    let mut only = ids(s.leads(&g, &query(Deleted::Only)).await.unwrap());
    only.sort();
    assert_eq!(only, [3, 4, 999]);
    assert_eq!(
        ids(s.leads(&g, &query(Deleted::Any)).await.unwrap()).len(),
        21
    );

    let contacts: Vec<ContactRow> = (1..=5).map(|id| contact(&ten, id)).collect();
    s.write_contacts(&ten, &contacts, None).await.unwrap();
    assert_eq!(
        s.mark_deleted(
            &ten,
            EntityKind::Contact,
            &[
                DeletedRef {
                    id: 2,
                    updated_at: BASE
                },
                DeletedRef {
                    id: 77,
                    updated_at: BASE + 5
                },
                DeletedRef {
                    id: 77,
                    updated_at: BASE + 6
                },
            ],
            None
        )
        .await
        .unwrap(),
        2,
        "a repeated id is written once, its last copy"
    );
    let counts = s.counts("int-a1").await.unwrap();
    assert_eq!((counts.contacts, counts.deleted_contacts), (4, 2));
    let contacts = s.all_contact_rows("int-a1").await.unwrap();
    let unknown = contacts.iter().find(|r| r.contact_id == 77).unwrap();
    assert!(unknown.is_deleted && !unknown.is_unsorted);
    assert_eq!(unknown.updated_at, Some(BASE + 6));
    assert_eq!(
        (
            unknown.contact_name.as_deref(),
            unknown.leads_ids.as_deref()
        ),
        (None, None)
    );
    let stored = contacts.iter().find(|r| r.contact_id == 2).unwrap();
    assert!(stored.is_deleted);
    assert_eq!(
        stored.contact_name,
        contact(&ten, 2).contact_name,
        "a stored row keeps its data"
    );
}

fn pipeline_row(
    ten: &kommo_store::rows::RowTenancy,
    pipeline: i64,
    status: i64,
    sort: i64,
) -> PipelineRow {
    PipelineRow {
        pipeline_id: pipeline,
        pipeline_name: format!("Pipeline {pipeline}"),
        pipeline_sort: pipeline % 3,
        status_id: status,
        status_name: format!("Status {status}"),
        sort,
        is_editable: !(142..=143).contains(&status),
        color: if status == 142 {
            "#ccff66".into()
        } else {
            "#99ccff".into()
        },
        status_type: i64::from(sort == 10),
        tenancy: ten.clone(),
        document_id: String::new(),
        inserted_at: 0,
        is_main: pipeline == 1,
        is_archive: false,
    }
}

fn user_row(ten: &kommo_store::rows::RowTenancy, id: i64) -> UserRow {
    UserRow {
        user_id: id,
        user_name: Some(format!("User {id}")),
        email: Some(format!("User{id}@Example.com")),
        lang: Some("en".into()),
        is_admin: id == 1,
        is_free: false,
        is_active: id != 3,
        group_id: Some(id % 2),
        group_name: Some("Group".into()),
        role_id: if id % 2 == 0 { Some(7) } else { None },
        role_name: None,
        rights: Some("{\"leads\":{\"view\":\"A\"}}".into()),
        tenancy: ten.clone(),
        document_id: String::new(),
        inserted_at: 0,
    }
}

async fn pipelines_and_users_are_replaced_as_a_set(t: &TestStore) {
    let s = &t.store;
    setup_tenancy(s).await;
    let ten = tenancy("org-a", "ws-a1", "int-a1");
    let first: Vec<PipelineRow> = [1, 2]
        .iter()
        .flat_map(|p| {
            [(10, 10), (20, 20), (142, 10000), (143, 11000)]
                .map(|(st, so)| pipeline_row(&ten, *p, st + p * 100, so))
        })
        .collect();
    s.replace_pipelines(&ten, &first).await.unwrap();
    assert_eq!(s.counts("int-a1").await.unwrap().pipeline_rows, 8);
    let second: Vec<PipelineRow> = first
        .iter()
        .filter(|r| r.pipeline_id == 2)
        .cloned()
        .collect();
    s.replace_pipelines(&ten, &second).await.unwrap();
    let stored = s.all_pipeline_rows("int-a1").await.unwrap();
    assert_eq!(stored.len(), 4);
    assert!(stored.iter().all(|r| r.pipeline_id == 2));
    assert_eq!(
        stored[0].document_id,
        kommo_store::document_id("int-a1", "pipeline", &[2, stored[0].status_id])
    );

    let users: Vec<UserRow> = (1..=4).map(|id| user_row(&ten, id)).collect();
    s.replace_users(&ten, &users).await.unwrap();
    s.replace_users(&ten, &users[1..]).await.unwrap();
    let stored = s.all_user_rows("int-a1").await.unwrap();
    assert_eq!(
        stored.iter().map(|u| u.user_id).collect::<Vec<_>>(),
        [2, 3, 4]
    );
    assert_eq!(
        written(&stored[0], |u| {
            u.document_id.clear();
            u.inserted_at = 0
        }),
        users[1]
    );
}

async fn dictionaries_and_runs_are_kept(t: &TestStore) {
    let s = &t.store;
    setup_tenancy(s).await;
    assert_eq!(s.dictionary("int-a1", "loss_reasons").await.unwrap(), None);
    s.save_dictionary("int-a1", "loss_reasons", "[{\"id\":1,\"name\":\"Price\"}]")
        .await
        .unwrap();
    s.save_dictionary("int-a1", "loss_reasons", "[{\"id\":2,\"name\":\"Timing\"}]")
        .await
        .unwrap();
    assert_eq!(
        s.dictionary("int-a1", "loss_reasons")
            .await
            .unwrap()
            .as_deref(),
        Some("[{\"id\":2,\"name\":\"Timing\"}]")
    );
    assert!(matches!(
        s.save_dictionary("nope", "tags", "[]").await.unwrap_err(),
        StoreError::NotFound { .. }
    ));

    let first = s.begin_run("int-a1", "full").await.unwrap();
    let second = s.begin_run("int-a1", "incremental").await.unwrap();
    let outcome = RunOutcome {
        status: RunStatus::Failed,
        leads_written: 250,
        contacts_written: 3,
        pipelines_written: 8,
        users_written: 2,
        deleted_marked: 1,
        requests: 12,
        error: Some("rate limited".into()),
    };
    s.finish_run(first, &outcome).await.unwrap();
    let runs = s.runs("int-a1", 10).await.unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].id, second);
    assert_eq!(runs[0].status, RunStatus::Running);
    assert_eq!(runs[1].status, RunStatus::Failed);
    assert_eq!((runs[1].leads_written, runs[1].requests), (250, 12));
    assert_eq!(runs[1].error.as_deref(), Some("rate limited"));
    assert!(runs[1].finished_at.is_some());
    assert_eq!(s.runs("int-a1", 1).await.unwrap().len(), 1);
    // The newest run of the kind, finished or not, failed or not.
    let started = |run: i64| {
        let runs = runs.clone();
        runs.into_iter().find(|r| r.id == run).map(|r| r.started_at)
    };
    assert_eq!(
        s.last_run_started("int-a1", "full").await.unwrap(),
        started(first)
    );
    assert_eq!(
        s.last_run_started("int-a1", "incremental").await.unwrap(),
        started(second)
    );
    assert_eq!(s.last_run_started("int-a1", "other").await.unwrap(), None);
    assert_eq!(s.last_run_started("int-a2", "full").await.unwrap(), None);
    assert!(matches!(
        s.finish_run(987_654, &outcome).await.unwrap_err(),
        StoreError::NotFound { .. }
    ));
}

on_both!(
    migrations_run_once_and_reopen_cleanly,
    leads_round_trip_with_tags_and_stamps,
    contacts_round_trip_with_side_lists,
    upserts_are_idempotent_and_never_go_back_in_time,
    a_failed_write_leaves_neither_rows_nor_checkpoint,
    rows_cannot_be_filed_under_another_tenancy,
    deletions_are_flagged_not_dropped,
    pipelines_and_users_are_replaced_as_a_set,
    dictionaries_and_runs_are_kept,
);

/// The SQLite URL forms `Store::connect` accepts all open a working store, creating the file.
#[tokio::test]
async fn sqlite_url_forms_open_working_stores() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nested-name.sqlite");
    let urls = [
        "sqlite::memory:".to_owned(),
        format!("sqlite://{}", file.display()),
        dir.path().join("bare.sqlite").display().to_string(),
    ];
    for url in urls {
        let store = Store::connect(&url, keys()).await.unwrap();
        assert_eq!(store.backend(), Backend::Sqlite);
        setup_tenancy(&store).await;
        let ten = tenancy("org-a", "ws-a1", "int-a1");
        store
            .write_leads(&ten, &[lead(&ten, 1), lead(&ten, 2)], None)
            .await
            .unwrap();
        let g = grant(&["ws-a1"]);
        let q = LeadsQuery {
            scope: scope("ws-a1"),
            filter: LeadFilter::default(),
            order: None,
            page: page(1, 10),
        };
        assert_eq!(store.leads(&g, &q).await.unwrap().rows.len(), 2, "{url}");
        store.close().await;
    }
    assert!(file.exists());
    assert!(dir.path().join("bare.sqlite").exists());
    assert!(Store::connect("", keys()).await.is_err());
}
