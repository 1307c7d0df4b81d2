//! The funnel history against the simulator's ground truth: every status change, every stay
//! and the funnel of several cohorts after a full run, and again after incremental runs
//! with activity (moves, creations, deletions, restores), on both databases.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use kommo_testkit as common;

use kommo_sim::{Activity, SimConfig, Simulator};
use kommo_store::query::Grant;
use kommo_sync::{Progress, RunKind, SyncOptions, sync_integration};

const DAY: i64 = 86_400;

fn grant() -> Grant {
    Grant {
        client_id: "test".into(),
        organization_id: common::ORG.into(),
        workspace_ids: vec![common::WORKSPACE.into()],
        requests_per_minute: 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stays_changes_and_funnels_equal_the_account_history() {
    for (db, test) in common::stores().await {
        let sim = Simulator::start(SimConfig::unlimited().with_leads(1_500).with_seed(12))
            .await
            .unwrap();
        let store = &test.store;
        let integration = common::integration(store, &format!("history-{db}"), &sim).await;
        let options = SyncOptions::default();

        let first = sync_integration(store, &integration, &options, &Progress::none())
            .await
            .unwrap();
        assert_eq!(first.kind, RunKind::Full, "{db}");
        let events = sim.control().lead_events().len() as u64;
        assert_eq!(
            first.lead_events.rows, events,
            "{db}: every lead event read once"
        );
        let (changes, stays) = common::assert_history_matches(store, &integration, &sim).await;
        assert!(changes > 2_000, "{db}: {changes} status changes compared");
        assert!(stays > changes, "{db}: {stays} stays compared");

        let pipelines = sim.control().pipelines();
        // The generated history ends at the configuration's anchor.
        let now = sim.control().config().anchor;
        let quarter = (Some(now - 200 * DAY), Some(now - 110 * DAY));
        for pipeline in pipelines.iter().take(2) {
            let all = common::assert_funnel_matches(
                store,
                &grant(),
                &integration,
                &sim,
                pipeline.id,
                (None, None),
            )
            .await;
            assert!(all > 100, "{db}: pipeline {} has {all} leads", pipeline.id);
            let some = common::assert_funnel_matches(
                store,
                &grant(),
                &integration,
                &sim,
                pipeline.id,
                quarter,
            )
            .await;
            assert!(
                some > 0 && some < all,
                "{db}: a quarter's cohort of {some} out of {all}"
            );
            let none = common::assert_funnel_matches(
                store,
                &grant(),
                &integration,
                &sim,
                pipeline.id,
                (Some(chrono::Utc::now().timestamp() + DAY), None),
            )
            .await;
            assert_eq!(none, 0, "{db}");
        }

        // Moves, creations, deletions and restores, then incremental runs.
        let activity = Activity {
            per_second: 1.0,
            create: 3,
            update: 2,
            move_stage: 6,
            delete: 2,
            restore: 1,
        };
        for round in 0..2 {
            sim.control().run_activity_steps(&activity, 300, 40 + round);
            // A window ends two seconds before the run: events of the current seconds are
            // the next run's.
            tokio::time::sleep(std::time::Duration::from_secs(3)).await;
            let next = sync_integration(store, &integration, &options, &Progress::none())
                .await
                .unwrap();
            assert_eq!(next.kind, RunKind::Incremental, "{db}");
            assert!(
                next.lead_events.pages < first.lead_events.pages / 2,
                "{db}: an incremental run reads the recent window only: {next:?}"
            );
            assert!(
                next.lead_events.flagged > 0,
                "{db}: new status changes stored"
            );

            common::assert_history_matches(store, &integration, &sim).await;
            for pipeline in pipelines.iter().take(2) {
                common::assert_funnel_matches(
                    store,
                    &grant(),
                    &integration,
                    &sim,
                    pipeline.id,
                    (None, None),
                )
                .await;
                common::assert_funnel_matches(
                    store,
                    &grant(),
                    &integration,
                    &sim,
                    pipeline.id,
                    quarter,
                )
                .await;
            }
        }
        test.cleanup().await.unwrap();
    }
}
