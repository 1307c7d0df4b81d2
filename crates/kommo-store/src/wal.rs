//! SQLite's WAL checkpoints, mostly moved off the writer onto a background thread.
//!
//! The connection whose commit takes the WAL past `wal_autocheckpoint` pages copies the WAL
//! into the database file and syncs it, inside that commit: during a sync, the one writer
//! stops for the copy while the fetch pipeline waits on it. Here a separate connection runs a
//! PASSIVE checkpoint every [`INTERVAL`], which copies the frames written so far beside the
//! writer, on the other core. The writer keeps its threshold: a PASSIVE checkpoint never
//! catches up with a writer that never pauses, and only a checkpoint that has copied every
//! frame lets the next transaction start the WAL over; so the writer's own checkpoint, now
//! left with the last moments' frames, still bounds the WAL (and the memory and read time
//! that grow with it). Without that a 1M-lead sync grew the WAL without end.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use tokio::sync::Notify;

/// How often the WAL is checkpointed. At full sync speed the WAL grows by ~10-20 MB a second.
const INTERVAL: Duration = Duration::from_millis(500);

/// The background checkpointer of one database file; stops when dropped.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    stop: Arc<Notify>,
}

impl Checkpointer {
    /// Starts checkpointing `path` on the current tokio runtime.
    pub(crate) fn start(path: PathBuf) -> Self {
        let stop = Arc::new(Notify::new());
        let stopped = Arc::clone(&stop);
        tokio::spawn(async move {
            let mut connection = None;
            loop {
                tokio::select! {
                    () = stopped.notified() => break,
                    () = tokio::time::sleep(INTERVAL) => {}
                }
                let path = path.clone();
                let run = tokio::task::spawn_blocking(move || {
                    let result = checkpoint(&mut connection, &path);
                    (connection, result)
                })
                .await;
                match run {
                    Ok((kept, result)) => {
                        connection = kept;
                        if let Err(error) = result {
                            // Busy (another checkpoint is running) or a closed file: the
                            // next round tries again.
                            tracing::debug!(%error, "WAL checkpoint skipped");
                            connection = None;
                        }
                    }
                    Err(_) => break,
                }
            }
        });
        Checkpointer { stop }
    }

    pub(crate) fn stop(&self) {
        self.stop.notify_one();
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn checkpoint(connection: &mut Option<Connection>, path: &Path) -> Result<(), rusqlite::Error> {
    let connection = match connection {
        Some(connection) => connection,
        None => {
            let opened = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            opened.busy_timeout(Duration::from_millis(100))?;
            connection.insert(opened)
        }
    };
    connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
}
