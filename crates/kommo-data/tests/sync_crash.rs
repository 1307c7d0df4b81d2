//! Crash safety: `kommo-data sync` SIGKILLed at arbitrary moments of a 50,000-lead sync, then
//! restarted, leaves the store equal to the account (the funnel history included): nothing
//! missing, duplicated or stale.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use kommo_testkit as common;

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use kommo_sim::{Activity, SimConfig, Simulator};
use kommo_store::testing::TestStore;

fn spawn_once(test: &TestStore, integration_id: &str) -> Child {
    common::kommo_data(env!("CARGO_BIN_EXE_kommo-data"), test)
        .args(["sync", "--integration", integration_id, "--json"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Where the leads stream stands: (cursor, done), `None` before its first page.
/// Whether a lead events window is being read (its checkpoint names the next page).
async fn events_under_way(test: &TestStore, id: &str) -> bool {
    test.store
        .checkpoint(id, kommo_sync::lead_history::STREAM)
        .await
        .unwrap()
        .is_some_and(|c| c.extra.is_some())
}

async fn leads_position(test: &TestStore, id: &str) -> Option<(i64, i64, bool)> {
    test.store
        .checkpoint(id, "leads")
        .await
        .unwrap()
        .map(|c| (c.cursor_updated_at, c.cursor_id, c.full_sync_done))
}

/// A small deterministic generator for the kill moments (the seed is printed on failure).
struct Moments(u64);

impl Moments {
    fn next_ms(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_moments_then_restart_equals_the_account() {
    let sim = Simulator::start(SimConfig::unlimited().with_leads(30_000).with_seed(21))
        .await
        .unwrap();
    let seed = u64::from(std::process::id()) * 2_654_435_761 + 1;
    let mut moments = Moments(seed);
    for (db, test) in common::stores().await {
        let id = format!("crash-{db}");
        let integration = common::integration(&test.store, &id, &sim).await;

        let started = Instant::now();
        let mut child = spawn_once(&test, &id);
        let mut kills = 0;
        let mut mid_run_kills = 0;
        let mut history_kills = 0;
        let mut rounds = 0;
        loop {
            rounds += 1;
            assert!(rounds < 40, "{db}: the sync never completed (seed {seed})");
            // Every other kill waits until this process has committed a leads page, so some
            // land inside the stream however long the process takes to start (a cold debug
            // binary, a busy database); the others fall at any moment, set-up included.
            if kills < 8 && kills % 2 == 1 {
                let at_spawn = leads_position(&test, &id).await;
                let waiting_since = Instant::now();
                while leads_position(&test, &id).await == at_spawn
                    && child.try_wait().unwrap().is_none()
                    && waiting_since.elapsed() < Duration::from_secs(120)
                {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
            // Two more kills land inside the lead events stream: once a window is under way.
            if (8..10).contains(&kills) {
                let waiting_since = Instant::now();
                while !events_under_way(&test, &id).await
                    && child.try_wait().unwrap().is_none()
                    && waiting_since.elapsed() < Duration::from_secs(300)
                {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
            let wait = match kills {
                0..8 if kills % 2 == 1 => moments.next_ms(300),
                0..8 => 150 + moments.next_ms(2_500),
                8..10 => moments.next_ms(200),
                _ => u64::MAX,
            };
            let deadline = Instant::now() + Duration::from_millis(wait.min(600_000));
            let status = loop {
                if let Some(status) = child.try_wait().unwrap() {
                    break Some(status);
                }
                if Instant::now() >= deadline {
                    break None;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            };
            match status {
                Some(status) if status.success() => break,
                Some(status) => {
                    let out = child.wait_with_output().unwrap();
                    panic!(
                        "{db}: the sync process failed ({status}): {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
                None => {
                    if events_under_way(&test, &id).await {
                        history_kills += 1;
                    }
                    child.kill().unwrap();
                    child.wait().unwrap();
                    kills += 1;
                    let leads = test.store.checkpoint(&id, "leads").await.unwrap();
                    if leads
                        .as_ref()
                        .is_some_and(|c| !c.full_sync_done && c.cursor_updated_at > 0)
                    {
                        mid_run_kills += 1;
                    }
                    // The account keeps changing between crashes.
                    let activity = Activity {
                        per_second: 1.0,
                        create: 3,
                        update: 4,
                        move_stage: 3,
                        delete: 1,
                        restore: 1,
                    };
                    sim.control().run_activity_steps(&activity, 50, kills);
                    child = spawn_once(&test, &id);
                }
            }
        }
        assert!(
            mid_run_kills >= 3,
            "{db}: only {mid_run_kills} of {kills} kills landed inside the leads stream (seed {seed})"
        );
        assert!(
            history_kills >= 1,
            "{db}: no kill landed inside the lead events stream (seed {seed})"
        );
        // Events of the last two seconds before a run are the next run's: one more run,
        // with the account still, reads those of the last activity.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let last = spawn_once(&test, &id).wait_with_output().unwrap();
        assert!(
            last.status.success(),
            "{db}: {}",
            String::from_utf8_lossy(&last.stderr)
        );
        let live = common::assert_store_matches(&test.store, &integration, &sim).await;
        assert!(live > 27_000, "{db}: {live}");
        let (changes, stays) =
            common::assert_history_matches(&test.store, &integration, &sim).await;
        assert!(
            changes > 60_000 && stays > changes,
            "{db}: {changes} changes, {stays} stays"
        );
        eprintln!(
            "{db}: {kills} kills ({mid_run_kills} inside the leads stream, {history_kills} inside the lead events), complete after {:?}",
            started.elapsed()
        );
        test.cleanup().await.unwrap();
    }
}
