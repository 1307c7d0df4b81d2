//! One `updated_at`-ascending stream (leads, contacts, and their deleted lists) from its
//! checkpoint to the end: fetch a page, write it with the checkpoint covering it in one store
//! call, move on (see [`crate::cursor`] for where the next page starts).
//!
//! The write of a page runs while the next page is fetched: the next position depends only
//! on the fetched page, and writes stay in order, so every committed checkpoint still covers
//! exactly the rows committed before it.

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use kommo::Client;
use kommo_store::rows::RowTenancy;
use kommo_store::{Checkpoint, Store, StoreError};

use crate::cursor::{Position, estimate_total, next_position};
use crate::dictionaries::Dictionaries;
use crate::error::SyncError;
use crate::metrics;
use crate::options::{StreamStats, SyncOptions};
use crate::progress::{Entity, EntityProgress, Progress, ProgressEvent};

/// What every part of one run shares.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RunContext<'a> {
    pub(crate) store: &'a Store,
    pub(crate) client: &'a Client,
    pub(crate) tenancy: &'a RowTenancy,
    pub(crate) dictionaries: &'a Dictionaries,
    pub(crate) options: &'a SyncOptions,
    pub(crate) progress: &'a Progress,
    pub(crate) links: &'a crate::links::LinkLog,
}

/// A stream of Kommo items ordered by `updated_at`, and how its pages are stored.
pub(crate) trait Feed: Sync {
    type Item: Send;
    const ENTITY: Entity;
    /// The checkpoint's stream name.
    const STREAM: &'static str;

    /// One page at `position`, `None` when Kommo has nothing there (204).
    fn fetch(
        &self,
        position: Position,
    ) -> impl Future<Output = Result<Option<kommo::Page<Self::Item>>, kommo::Error>> + Send;

    /// `(id, updated_at)`.
    fn key(item: &Self::Item) -> (i64, i64);

    /// Stores a page and `checkpoint` in one transaction; returns rows newly flagged deleted.
    fn write(
        &self,
        items: Vec<Self::Item>,
        checkpoint: Checkpoint,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
}

/// A page's write: (rows written, rows newly flagged deleted).
type PendingWrite<'a> = Pin<Box<dyn Future<Output = Result<(u64, u64), StoreError>> + Send + 'a>>;

/// Runs `feed` from its checkpoint (minus the overlap) to the end, counting into `stats`
/// as pages commit (so a failed run still reports what it wrote).
pub(crate) async fn run_stream<F: Feed>(
    feed: &F,
    ctx: &RunContext<'_>,
    stats: &mut StreamStats,
) -> Result<(), SyncError> {
    let integration_id = ctx.tenancy.integration_id.as_str();
    let previous = ctx
        .store
        .checkpoint(integration_id, F::STREAM)
        .await
        .map_err(SyncError::store("reading a checkpoint"))?;
    let overlap = i64::try_from(ctx.options.overlap.as_secs()).unwrap_or(i64::MAX);
    let (start_from, mut checkpoint) = match previous {
        Some(c) if !ctx.options.full => {
            let from = (c.cursor_updated_at > 0)
                .then(|| c.cursor_updated_at.saturating_sub(overlap).max(0));
            (from, c)
        }
        // A forced full pass keeps `full_sync_done` (an earlier pass did finish) but restarts
        // the cursor, so a crash midway resumes this pass rather than skipping its rest.
        Some(c) => (
            None,
            Checkpoint {
                cursor_updated_at: 0,
                cursor_id: 0,
                ..c
            },
        ),
        None => (
            None,
            Checkpoint {
                integration_id: integration_id.to_owned(),
                stream: F::STREAM.to_owned(),
                cursor_updated_at: 0,
                cursor_id: 0,
                full_sync_done: false,
                extra: None,
            },
        ),
    };

    let started = Instant::now();
    let mut received: u64 = 0;
    let mut pages: u64 = 0;
    let mut scan_start: Option<i64> = start_from;
    let mut position = Position::start(start_from);
    let mut pending: Option<PendingWrite<'_>> = None;
    let mut finished = false;
    let report = |received: u64, pages: u64, last: Option<i64>, scan_start: Option<i64>| {
        let elapsed = started.elapsed();
        let now = chrono::Utc::now().timestamp();
        EntityProgress {
            integration_id: integration_id.to_owned(),
            entity: F::ENTITY,
            rows: received,
            pages,
            elapsed,
            rows_per_second: if elapsed.as_secs_f64() > 0.0 {
                received as f64 / elapsed.as_secs_f64()
            } else {
                0.0
            },
            estimated_total: match (scan_start, last) {
                (Some(first), Some(last)) => estimate_total(received, first, last, now),
                _ => None,
            },
        }
    };

    while !finished {
        let cancel = &ctx.options.cancel;
        let fetch = async {
            tokio::select! {
                biased;
                () = cancel.cancelled() => None,
                page = feed.fetch(position) => Some(page),
            }
        };
        // The previous page's write completes whatever happens to this fetch.
        let (fetched, written) = match pending.take() {
            Some(write) => {
                let (fetched, written) = tokio::join!(fetch, write);
                (fetched, Some(written))
            }
            None => (fetch.await, None),
        };
        if let Some(written) = written {
            let (rows, flagged) = written.map_err(SyncError::store("writing a page"))?;
            stats.rows += rows;
            stats.flagged += flagged;
        }
        let Some(fetched) = fetched else {
            return Err(SyncError::Cancelled("shutdown requested"));
        };
        let page = fetched.map_err(SyncError::kommo(F::ENTITY.as_str()))?;
        stats.pages += 1;
        pages += 1;
        let Some(page) = page.filter(|p| !p.items.is_empty()) else {
            break;
        };
        let (first_id, first_updated) = F::key(&page.items[0]);
        let (last_id, last_updated) = page.items.last().map_or((first_id, first_updated), F::key);
        if scan_start.is_none() {
            scan_start = Some(first_updated);
        }
        let next = next_position(position, last_updated, page.has_next);
        finished = next.is_none();
        if let Some(next) = next {
            position = next;
        }
        let rows = page.items.len() as u64;
        received += rows;
        checkpoint = Checkpoint {
            cursor_updated_at: checkpoint.cursor_updated_at.max(last_updated),
            cursor_id: if last_updated >= checkpoint.cursor_updated_at {
                last_id
            } else {
                checkpoint.cursor_id
            },
            full_sync_done: checkpoint.full_sync_done || finished,
            ..checkpoint
        };
        let write = feed.write(page.items, checkpoint.clone());
        let progress = ctx.progress;
        let event = report(received, pages, Some(last_updated), scan_start);
        pending = Some(Box::pin(async move {
            let flagged = write.await?;
            metrics::rows_written(integration_id, F::ENTITY, rows);
            progress.emit(ProgressEvent::Page(event));
            Ok((rows, flagged))
        }));
    }
    if let Some(write) = pending.take() {
        let (rows, flagged) = write.await.map_err(SyncError::store("writing a page"))?;
        stats.rows += rows;
        stats.flagged += flagged;
    }
    if !checkpoint.full_sync_done {
        // Nothing (more) to read: the pass is complete even if no page said so.
        checkpoint.full_sync_done = true;
        ctx.store
            .save_checkpoint(&checkpoint)
            .await
            .map_err(SyncError::store("saving a checkpoint"))?;
    }
    let done = EntityProgress {
        estimated_total: Some(received),
        ..report(received, pages, None, None)
    };
    ctx.progress.emit(ProgressEvent::EntityDone(done));
    Ok(())
}
