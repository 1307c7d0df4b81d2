//! Sync runs against the simulator: full then incremental, deletions and restores, rows
//! changing during a run, bulk edits within one second; the store must equal the account.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use kommo_testkit as common;

use std::sync::{Arc, Mutex};

use kommo_sim::{Activity, SimConfig, Simulator};
use kommo_sync::{Entity, Progress, ProgressEvent, RunKind, SyncOptions, sync_integration};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_then_incremental_equals_the_account() {
    for (db, test) in common::stores().await {
        // Kommo's real limits, so that "no 429" below means something.
        let sim = Simulator::start(SimConfig::default().with_leads(3_000).with_seed(7))
            .await
            .unwrap();
        let store = &test.store;
        let integration = common::integration(store, &format!("full-{db}"), &sim).await;
        let options = SyncOptions::default();

        let first = sync_integration(store, &integration, &options, &Progress::none())
            .await
            .unwrap();
        assert_eq!(first.kind, RunKind::Full, "{db}");
        assert!(
            first.leads.rows >= 3_000 - sim.control().deleted_lead_count() as u64,
            "{db}: {first:?}"
        );
        assert_eq!(first.rate_limited, 0, "{db}: {first:?}");
        assert_eq!(sim.control().counters().rate_limited, 0, "{db}");
        let live = common::assert_store_matches(store, &integration, &sim).await;
        assert!(live > 2_000, "{db}: {live} live leads compared");

        // Creates, updates, stage moves, deletions and restores, then an incremental run.
        let activity = Activity {
            per_second: 1.0,
            create: 3,
            update: 4,
            move_stage: 3,
            delete: 2,
            restore: 1,
        };
        sim.control().run_activity_steps(&activity, 400, 99);
        let second = sync_integration(store, &integration, &options, &Progress::none())
            .await
            .unwrap();
        assert_eq!(second.kind, RunKind::Incremental, "{db}");
        // About 350 changed leads, all in one second: a few pages, not the whole account again.
        let live_pages = (live as u64).div_ceil(250);
        assert!(
            first.leads.pages >= live_pages && first.leads.pages <= live_pages + 2,
            "{db}: {first:?}"
        );
        assert!(second.leads.pages <= 3, "{db}: {second:?}");
        assert!(
            second.requests < first.requests,
            "{db}: incremental {} requests vs full {}",
            second.requests,
            first.requests
        );
        common::assert_store_matches(store, &integration, &sim).await;

        let runs = store.runs(&integration.id, 10).await.unwrap();
        assert_eq!(runs.len(), 2);
        assert!(
            runs.iter()
                .all(|r| r.status == kommo_store::RunStatus::Ok && r.error.is_none()),
            "{runs:?}"
        );
        test.cleanup().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_leads_are_flagged_and_restored_ones_unflagged() {
    let sim = Simulator::start(SimConfig::unlimited().with_leads(500).with_seed(3))
        .await
        .unwrap();
    for (db, test) in common::stores().await {
        let store = &test.store;
        let integration = common::integration(store, &format!("del-{db}"), &sim).await;
        let options = SyncOptions::default();
        sync_integration(store, &integration, &options, &Progress::none())
            .await
            .unwrap();
        let ids = sim.control().lead_ids();
        let (gone, back) = (ids[10], ids[20]);
        assert!(sim.control().delete_lead(gone) && sim.control().delete_lead(back));
        let summary = sync_integration(store, &integration, &options, &Progress::none())
            .await
            .unwrap();
        assert_eq!(summary.deleted_leads.flagged, 2, "{db}: {summary:?}");
        let flagged = |rows: &[kommo_store::rows::LeadRow], id: i64| {
            rows.iter().find(|r| r.lead_id == id).map(|r| r.is_deleted)
        };
        let rows = store.all_lead_rows(&integration.id).await.unwrap();
        assert_eq!(
            (flagged(&rows, gone), flagged(&rows, back)),
            (Some(true), Some(true)),
            "{db}"
        );

        // Kommo stamps the restore a second later at least once the clock moves; wait for it
        // so the restore is newer than the deletion, as it is in the real service.
        tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
        assert!(sim.control().restore_lead(back));
        sync_integration(store, &integration, &options, &Progress::none())
            .await
            .unwrap();
        let rows = store.all_lead_rows(&integration.id).await.unwrap();
        assert_eq!(
            (flagged(&rows, gone), flagged(&rows, back)),
            (Some(true), Some(false)),
            "{db}"
        );
        let counts = store.counts(&integration.id).await.unwrap();
        assert!(counts.deleted_leads >= 1, "{db}: {counts:?}");
        common::assert_store_matches(store, &integration, &sim).await;
        test.cleanup().await.unwrap();
    }
}

/// A lead and a contact created and deleted between two runs were never stored live: the
/// deleted streams store them as deleted rows, with what `with=only_deleted` says of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_created_and_deleted_between_runs_are_stored_deleted() {
    let sim = Simulator::start(SimConfig::unlimited().with_leads(300).with_seed(12))
        .await
        .unwrap();
    let kommo = common::api_client(&sim);
    // Deleted before any run: a full pass stores them deleted too.
    let early = sim.control().lead_ids()[7];
    assert!(sim.control().delete_lead(early));
    for (db, test) in common::stores().await {
        let store = &test.store;
        let integration = common::integration(store, &format!("ephemeral-{db}"), &sim).await;
        let options = SyncOptions::default();
        sync_integration(store, &integration, &options, &Progress::none())
            .await
            .unwrap();
        let counts = store.counts(&integration.id).await.unwrap();
        assert_eq!(
            (counts.deleted_leads, counts.deleted_contacts),
            (
                sim.control().deleted_lead_ids().len() as u64,
                sim.control().deleted_contact_ids().len() as u64
            ),
            "{db}: {counts:?}"
        );
        assert!(counts.deleted_leads >= 1, "{db}");

        let lead = kommo
            .add_leads(vec![kommo_model::LeadRequest {
                name: Some(format!("Ephemeral lead {db}")),
                ..Default::default()
            }])
            .await
            .unwrap()[0]
            .id;
        let contact = kommo
            .add_contacts(vec![kommo_model::ContactRequest {
                name: Some(format!("Ephemeral contact {db}")),
                ..Default::default()
            }])
            .await
            .unwrap()[0]
            .id;
        assert!(sim.control().delete_lead(lead) && sim.control().delete_contact(contact));

        let summary = sync_integration(store, &integration, &options, &Progress::none())
            .await
            .unwrap();
        assert_eq!(summary.kind, RunKind::Incremental, "{db}");
        assert_eq!(
            (
                summary.deleted_leads.flagged,
                summary.deleted_contacts.flagged
            ),
            (1, 1),
            "{db}: {summary:?}"
        );
        let rows = store.all_lead_rows(&integration.id).await.unwrap();
        let row = rows.iter().find(|r| r.lead_id == lead).expect("stored");
        assert!(row.is_deleted, "{db}");
        assert_eq!(
            row.updated_at,
            Some(sim.control().lead(lead).unwrap().updated_at),
            "{db}: the deletion time"
        );
        assert_eq!(row.lead_name, None, "{db}: Kommo told only id and time");
        let contacts = store.all_contact_rows(&integration.id).await.unwrap();
        let row = contacts
            .iter()
            .find(|r| r.contact_id == contact)
            .expect("stored");
        assert!(row.is_deleted, "{db}");
        common::assert_store_matches(store, &integration, &sim).await;

        // Nothing new: the next run flags nothing again.
        let again = sync_integration(store, &integration, &options, &Progress::none())
            .await
            .unwrap();
        assert_eq!(
            (again.deleted_leads.flagged, again.deleted_contacts.flagged),
            (0, 0),
            "{db}: {again:?}"
        );
        test.cleanup().await.unwrap();
    }
}

/// Leads change all through a full run: every lead whose last change came before the leads
/// stream finished must be stored in its final state, and nothing may be missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_changing_during_a_run_are_not_skipped() {
    let sim = Simulator::start(SimConfig::unlimited().with_leads(6_000).with_seed(11))
        .await
        .unwrap();
    let test = kommo_store::testing::TestStore::sqlite(kommo_store::Keys::generate())
        .await
        .unwrap();
    let store = &test.store;
    let integration = common::integration(store, "moving", &sim).await;
    // Slow the scan down so that many changes land in the middle of it.
    sim.control().set_faults(kommo_sim::Faults {
        latency_ms: 30,
        ..Default::default()
    });
    sim.control().start_activity(Activity {
        per_second: 150.0,
        create: 2,
        update: 6,
        move_stage: 3,
        delete: 0,
        restore: 0,
    });
    let leads_done: Arc<Mutex<Option<i64>>> = Arc::default();
    let seen = leads_done.clone();
    let progress = Progress::callback(move |event| {
        if let ProgressEvent::EntityDone(p) = event
            && p.entity == Entity::Leads
        {
            *seen.lock().unwrap() = Some(chrono::Utc::now().timestamp());
        }
    });
    let summary = sync_integration(store, &integration, &SyncOptions::default(), &progress)
        .await
        .unwrap();
    sim.control().stop_activity();
    sim.control().set_faults(kommo_sim::Faults::default());
    let done = leads_done
        .lock()
        .unwrap()
        .expect("the leads stream finished");

    let dictionaries = kommo_sync::Dictionaries::load(store, &integration.id)
        .await
        .unwrap();
    let tenancy = kommo_sync::tenancy_of(&integration);
    let ctx = kommo_sync::FlattenContext {
        tenancy: &tenancy,
        inserted_at: 0,
        dictionaries: &dictionaries,
    };
    let stored: std::collections::HashMap<i64, kommo_store::rows::LeadRow> = store
        .all_lead_rows(&integration.id)
        .await
        .unwrap()
        .into_iter()
        .map(|mut r| {
            r.inserted_at = 0;
            (r.lead_id, r)
        })
        .collect();
    let mut settled = 0;
    let mut changed_during_run = 0;
    for id in sim.control().lead_ids() {
        let lead = sim.control().lead(id).unwrap();
        // Changes within the last second before the end may or may not have been served.
        if lead.updated_at >= done - 1 {
            continue;
        }
        settled += 1;
        if lead.updated_at > chrono::Utc::now().timestamp() - summary.elapsed.as_secs() as i64 - 2 {
            changed_during_run += 1;
        }
        let want = kommo_sync::lead_row(&lead, &ctx);
        assert_eq!(
            stored.get(&id),
            Some(&want),
            "lead {id} (updated_at {}) is missing or stale",
            lead.updated_at
        );
    }
    // Activity goes on through the lead events after the leads stream, touching more leads
    // after `done`; most of the 6,000 still settle before it.
    assert!(settled > 4_000, "{settled}");
    assert!(
        changed_during_run > 100,
        "the run must overlap real changes: {changed_during_run}"
    );
    test.cleanup().await.unwrap();
}

/// A bulk edit gives hundreds of leads one `updated_at` second: more than a page of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_edit_within_one_second_is_read_completely() {
    let sim = Simulator::start(SimConfig::unlimited().with_leads(2_000).with_seed(5))
        .await
        .unwrap();
    let test = kommo_store::testing::TestStore::sqlite(kommo_store::Keys::generate())
        .await
        .unwrap();
    let store = &test.store;
    let integration = common::integration(store, "bulk", &sim).await;
    sync_integration(
        store,
        &integration,
        &SyncOptions::default(),
        &Progress::none(),
    )
    .await
    .unwrap();
    let only_updates = Activity {
        per_second: 1.0,
        create: 0,
        update: 1,
        move_stage: 1,
        delete: 0,
        restore: 0,
    };
    sim.control().run_activity_steps(&only_updates, 900, 1);
    let mut per_second = std::collections::HashMap::<i64, usize>::new();
    for id in sim.control().lead_ids() {
        *per_second
            .entry(sim.control().lead(id).unwrap().updated_at)
            .or_default() += 1;
    }
    assert!(
        per_second.values().any(|n| *n > 250),
        "the edit must put more than a page in one second"
    );
    let summary = sync_integration(
        store,
        &integration,
        &SyncOptions::default(),
        &Progress::none(),
    )
    .await
    .unwrap();
    assert_eq!(summary.kind, RunKind::Incremental);
    common::assert_store_matches(store, &integration, &sim).await;
    test.cleanup().await.unwrap();
}

/// Planner statistics are refreshed at the end of a full run that wrote more rows than the
/// threshold, and only then: not after a smaller full run, nor after any incremental run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_full_runs_refresh_planner_statistics() {
    let sim = Simulator::start(SimConfig::unlimited().with_leads(300).with_seed(13))
        .await
        .unwrap();
    for (db, test) in common::stores().await {
        let store = &test.store;
        let integration = common::integration(store, &format!("analyze-{db}"), &sim).await;
        let finished: Arc<Mutex<Vec<String>>> = Arc::default();
        let seen = finished.clone();
        let progress = Progress::callback(move |event| {
            if let ProgressEvent::RunFinished { message, .. } = event {
                seen.lock().unwrap().push(message);
            }
        });
        let last_message = || finished.lock().unwrap().last().cloned().unwrap();

        // About 540 rows: below the default threshold.
        let first = sync_integration(store, &integration, &SyncOptions::default(), &progress)
            .await
            .unwrap();
        assert_eq!(first.kind, RunKind::Full, "{db}");
        assert!(
            first.leads.rows + first.contacts.rows > 500,
            "{db}: {first:?}"
        );
        assert!(!first.analyzed, "{db}: a small full run: {first:?}");
        assert!(!last_message().contains("statistics"), "{db}");

        let low = SyncOptions {
            analyze_after_rows: 500,
            ..SyncOptions::default()
        };
        let full = sync_integration(
            store,
            &integration,
            &SyncOptions {
                full: true,
                ..low.clone()
            },
            &progress,
        )
        .await
        .unwrap();
        assert_eq!(full.kind, RunKind::Full, "{db}");
        assert!(full.analyzed, "{db}: {full:?}");
        assert!(full.warnings.is_empty(), "{db}: {:?}", full.warnings);
        assert!(
            last_message().ends_with("; planner statistics refreshed"),
            "{db}: {}",
            last_message()
        );

        // An incremental run above the threshold still leaves the statistics alone.
        sim.control().run_activity_steps(
            &Activity {
                per_second: 1.0,
                create: 1,
                update: 0,
                move_stage: 0,
                delete: 0,
                restore: 0,
            },
            600,
            5,
        );
        let incremental = sync_integration(store, &integration, &low, &progress)
            .await
            .unwrap();
        assert_eq!(incremental.kind, RunKind::Incremental, "{db}");
        assert!(incremental.leads.rows > 500, "{db}: {incremental:?}");
        assert!(!incremental.analyzed, "{db}: {incremental:?}");
        common::assert_store_matches(store, &integration, &sim).await;
        test.cleanup().await.unwrap();
    }
}

/// Incremental runs read what Kommo stamped with a new `updated_at`; anything else that went
/// stale (here a stored row changed behind the engine's back) waits for the next full pass,
/// which a run starts by itself once the last one is `full_every` old.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_pass_is_due_every_full_every_and_repairs_what_increments_miss() {
    let sim = Simulator::start(SimConfig::unlimited().with_leads(600).with_seed(21))
        .await
        .unwrap();
    for (db, test) in common::stores().await {
        let store = &test.store;
        let integration = common::integration(store, &format!("periodic-{db}"), &sim).await;
        let hourly = SyncOptions {
            full_every: Some(std::time::Duration::from_secs(3600)),
            ..SyncOptions::default()
        };
        let integration = &integration;
        let run = |options: SyncOptions| async move {
            sync_integration(store, integration, &options, &Progress::none())
                .await
                .unwrap()
        };
        assert_eq!(run(hourly.clone()).await.kind, RunKind::Full, "{db}");

        // The least recently updated lead, changed in the store only.
        let mut rows = store.all_lead_rows(&integration.id).await.unwrap();
        rows.sort_by_key(|r| r.updated_at);
        let mut stale = rows[0].clone();
        let name = stale.lead_name.clone();
        stale.lead_name = Some("changed behind the engine's back".into());
        let tenancy = kommo_sync::tenancy_of(integration);
        store
            .write_leads(&tenancy, std::slice::from_ref(&stale), None)
            .await
            .unwrap();
        let stored_name = |rows: Vec<kommo_store::rows::LeadRow>| {
            rows.into_iter()
                .find(|r| r.lead_id == stale.lead_id)
                .and_then(|r| r.lead_name)
        };

        assert_eq!(run(hourly.clone()).await.kind, RunKind::Incremental, "{db}");
        assert_eq!(
            stored_name(store.all_lead_rows(&integration.id).await.unwrap()),
            stale.lead_name,
            "{db}: an incremental run does not read the unchanged lead"
        );

        let due = SyncOptions {
            full_every: Some(std::time::Duration::ZERO),
            ..SyncOptions::default()
        };
        assert_eq!(run(due).await.kind, RunKind::Full, "{db}");
        assert_eq!(
            stored_name(store.all_lead_rows(&integration.id).await.unwrap()),
            name,
            "{db}"
        );
        common::assert_store_matches(store, integration, &sim).await;

        // The pass just started: not due again within the hour, nor ever without full_every.
        assert_eq!(run(hourly).await.kind, RunKind::Incremental, "{db}");
        let never = SyncOptions {
            full_every: None,
            ..SyncOptions::default()
        };
        assert_eq!(run(never).await.kind, RunKind::Incremental, "{db}");
        test.cleanup().await.unwrap();
    }
}

/// Companies and tasks, full then incremental: a company deleted and later restored, a lead
/// of a company deleted (the company's `leads_ids` changes without its `updated_at`), tasks
/// changed, added, deleted, and one created and deleted between two runs; after each run the
/// store equals the account (the oracle compares every company and task field by field).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn companies_and_tasks_full_then_incremental_with_deletions() {
    let sim = Simulator::start(SimConfig::unlimited().with_leads(800).with_seed(21))
        .await
        .unwrap();
    let kommo = common::api_client(&sim);
    for (db, test) in common::stores().await {
        let store = &test.store;
        let integration = common::integration(store, &format!("ct-{db}"), &sim).await;
        let options = SyncOptions::default();
        let first = sync_integration(store, &integration, &options, &Progress::none())
            .await
            .unwrap();
        assert_eq!(first.kind, RunKind::Full, "{db}");
        let control = sim.control();
        assert_eq!(
            first.companies.rows,
            control.company_ids().len() as u64,
            "{db}: {first:?}"
        );
        assert!(first.tasks.rows > 0, "{db}: {first:?}");
        common::assert_store_matches(store, &integration, &sim).await;

        // A company deleted, another touched; a lead that belongs to a company deleted.
        let companies = control.company_ids();
        let (gone, touched) = (companies[3], companies[5]);
        assert!(control.delete_company(gone) && control.touch_company(touched));
        let lead_of_company = control
            .lead_ids()
            .into_iter()
            .find(|id| {
                control.lead(*id).is_some_and(|l| {
                    l.embedded
                        .companies
                        .first()
                        .is_some_and(|c| c.id != gone && c.id != touched)
                })
            })
            .expect("a lead linked to a company");
        assert!(control.delete_lead(lead_of_company));
        // Tasks: two deleted, one touched, one added, one added and deleted at once.
        let tasks = control.task_ids();
        assert!(control.delete_task(tasks[0]) && control.delete_task(tasks[4]));
        assert!(control.touch_task(tasks[8]));
        let added = kommo
            .add_tasks(vec![
                kommo_model::TaskRequest {
                    text: Some(format!("Call back {db}")),
                    complete_till: Some(2_000_000_000),
                    // Of a company: the simulator moves a lead's `closest_task_at` for a new
                    // task without stamping the lead, which is the leads stream's business.
                    entity_type: Some("companies".into()),
                    entity_id: Some(touched),
                    ..Default::default()
                },
                kommo_model::TaskRequest {
                    text: Some(format!("Short-lived {db}")),
                    complete_till: Some(2_000_000_000),
                    ..Default::default()
                },
            ])
            .await
            .unwrap();
        assert!(control.delete_task(added[1].id));

        let second = sync_integration(store, &integration, &options, &Progress::none())
            .await
            .unwrap();
        assert_eq!(second.kind, RunKind::Incremental, "{db}");
        assert_eq!(second.deleted_companies.flagged, 1, "{db}: {second:?}");
        assert_eq!(second.deleted_tasks.flagged, 3, "{db}: {second:?}");
        assert!(second.relinked_companies >= 1, "{db}: {second:?}");
        assert!(second.tasks.rows < first.tasks.rows, "{db}: {second:?}");
        common::assert_store_matches(store, &integration, &sim).await;
        let rows = store.all_task_rows(&integration.id).await.unwrap();
        let ephemeral = rows.iter().find(|r| r.task_id == added[1].id).unwrap();
        assert!(ephemeral.is_deleted && ephemeral.text.is_none(), "{db}");

        // The company restored: its live row comes back through the live stream.
        assert!(control.restore_company(gone));
        let third = sync_integration(store, &integration, &options, &Progress::none())
            .await
            .unwrap();
        assert_eq!(
            (third.deleted_companies.flagged, third.deleted_tasks.flagged),
            (0, 0),
            "{db}: {third:?}"
        );
        common::assert_store_matches(store, &integration, &sim).await;
        let counts = store.counts(&integration.id).await.unwrap();
        assert_eq!(
            (counts.companies, counts.deleted_tasks),
            (
                control.company_ids().len() as u64,
                control.deleted_task_ids().len() as u64
            ),
            "{db}: {counts:?}"
        );
        test.cleanup().await.unwrap();
    }
}
