//! A sync process for the tests that kill processes (crash safety, token rotation, workers):
//! the same library calls `kommo-data sync` makes, without the rest of the binary.
//!
//! ```text
//! kommo-sync-process once <integration-id>
//! kommo-sync-process worker <worker-id> <lease-ms> <max-concurrent>
//! ```
//! The database and key come from `KOMMO_SYNC_DATABASE_URL` and `KOMMO_SYNC_KEY` (base64).
//! `once` prints the run's summary as one JSON line; errors go to stderr with exit code 1.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line helper reports on stdout and stderr"
)]

use std::time::Duration;

use kommo_store::{Keys, Store};
use kommo_sync::{Scheduler, SyncOptions, WorkerConfig, sync_integration};
use tokio_util::sync::CancellationToken;

fn fail(message: impl std::fmt::Display) -> ! {
    eprintln!("kommo-sync-process: {message}");
    std::process::exit(1)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let url = std::env::var("KOMMO_SYNC_DATABASE_URL")
        .unwrap_or_else(|_| fail("KOMMO_SYNC_DATABASE_URL is not set"));
    let key = std::env::var("KOMMO_SYNC_KEY").unwrap_or_else(|_| fail("KOMMO_SYNC_KEY is not set"));
    let keys = Keys::from_base64(&key).unwrap_or_else(|e| fail(e));
    let store = Store::connect(&url, keys).await.unwrap_or_else(|e| fail(e));
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["once", id] => {
            let integration = store
                .integration(id)
                .await
                .unwrap_or_else(|e| fail(e))
                .unwrap_or_else(|| fail("no such integration"));
            match sync_integration(
                &store,
                &integration,
                &SyncOptions::default(),
                &kommo_sync::Progress::none(),
            )
            .await
            {
                Ok(summary) => println!(
                    "{{\"kind\":\"{}\",\"leads\":{},\"contacts\":{},\"requests\":{}}}",
                    summary.kind.as_str(),
                    summary.leads.rows,
                    summary.contacts.rows,
                    summary.requests
                ),
                Err(error) => fail(error),
            }
        }
        ["worker", worker_id, lease_ms, concurrent] => {
            let lease = Duration::from_millis(lease_ms.parse().unwrap_or_else(|e| fail(e)));
            let config = WorkerConfig {
                lease,
                max_concurrent: concurrent.parse().unwrap_or_else(|e| fail(e)),
                poll: Duration::from_millis(200),
                ..WorkerConfig::new(*worker_id)
            };
            let cancel = CancellationToken::new();
            let stop = cancel.clone();
            tokio::spawn(async move {
                let _ = tokio::signal::ctrl_c().await;
                stop.cancel();
            });
            // Each integration once: the interval outlasts the test.
            let scheduler =
                Scheduler::new(store, SyncOptions::default()).interval(Duration::from_secs(3_600));
            if let Err(error) = scheduler.run_worker(&config, cancel).await {
                fail(error);
            }
        }
        _ => fail(
            "usage: kommo-sync-process once <integration-id> | worker <worker-id> <lease-ms> <max-concurrent>",
        ),
    }
}
