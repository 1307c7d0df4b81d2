//! One stream (leads, contacts, companies, tasks, and their deleted lists) from its
//! checkpoint to the end: fetch a page, write it with the checkpoint covering it in one store
//! call, move on (see [`crate::cursor`] for where the next page starts).
//!
//! Fetching and writing overlap: pages go through a short queue to the writer, which commits
//! whatever has queued up (up to [`MAX_BATCH_ROWS`]) in one transaction with the checkpoint
//! of the last page in it. When the store keeps up, that is one page per commit; when it
//! falls behind, commits grow and cost less per row (fewer index pages rewritten per row).
//! The next position depends only on the fetched page, writes stay in order, so every
//! committed checkpoint covers exactly the rows committed before it; the queue bounds memory.

use std::future::Future;
use std::sync::Arc;
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
    pub(crate) write: &'a WriteContext,
}

/// What a writer needs, owned: the writer runs on its own task, so that flattening and
/// the store's work proceed beside the fetching (another core) and never delay a request.
#[derive(Debug, Clone)]
pub(crate) struct WriteContext {
    pub(crate) store: Store,
    pub(crate) tenancy: RowTenancy,
    pub(crate) dictionaries: Arc<Dictionaries>,
    pub(crate) links: Arc<crate::links::LinkLog>,
}

/// Where a stream's pages are written.
pub(crate) trait Sink<T>: Send + 'static {
    /// Stores rows and `checkpoint` in one transaction; returns rows newly flagged (or
    /// stored) deleted.
    fn write(
        &self,
        items: Vec<T>,
        checkpoint: Checkpoint,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
}

/// How a stream finds its next page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scan {
    /// The list is sorted by the time it filters on (`updated_at` ascending): after each page
    /// the scan restarts from the last time seen (see [`crate::cursor`]), and each page's
    /// checkpoint moves to it.
    UpdatedAt,
    /// The list cannot be sorted by that time (tasks, events): the scan walks the page
    /// numbers of one list filtered from `from`. Its pages' checkpoints keep `from` (a crash
    /// repeats the walk rather than skip what a later page held); only when the walk ends does
    /// the checkpoint move to the newest time it saw.
    Pages,
}

/// A stream of Kommo items filtered by a time, and how its pages are stored.
pub(crate) trait Feed: Sync {
    type Item: Send + 'static;
    type Sink: Sink<Self::Item>;
    const ENTITY: Entity;
    /// The checkpoint's stream name.
    const STREAM: &'static str;
    /// How the next page is found.
    const SCAN: Scan = Scan::UpdatedAt;

    /// One page at `position`, `None` when Kommo has nothing there (204).
    fn fetch(
        &self,
        position: Position,
    ) -> impl Future<Output = Result<Option<kommo::Page<Self::Item>>, kommo::Error>> + Send;

    /// `(id, updated_at)`: the time the stream filters on.
    fn key(item: &Self::Item) -> (i64, i64);

    /// The writer of this stream's pages.
    fn sink(&self) -> Self::Sink;
}

/// The first page of a list request, `None` when Kommo answered 204.
pub(crate) async fn first_page<T>(
    mut pages: kommo::Pages<T>,
) -> Result<Option<kommo::Page<T>>, kommo::Error> {
    use futures::StreamExt as _;
    pages.next().await.transpose()
}

/// Pages fetched ahead of the writer, at most: bounds memory to a few thousand rows.
const QUEUE_PAGES: usize = 8;
/// Rows committed in one transaction, at most.
pub(crate) const MAX_BATCH_ROWS: usize = 2_500;

/// A fetched page on its way to the writer.
struct Job<T> {
    items: Vec<T>,
    checkpoint: Checkpoint,
    event: EntityProgress,
}

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
    let (start_from, start_checkpoint) = match previous {
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

    let (queue, mut queued) = tokio::sync::mpsc::channel::<Job<F::Item>>(QUEUE_PAGES);
    let mut pages: u64 = 0;
    let mut received: u64 = 0;
    // The last checkpoint known to be committed.
    let mut last_checkpoint = start_checkpoint.clone();

    // Fetches pages and queues them; returns how the stream ended. Owns the queue, so that
    // when it ends the writer sees the queue close and finishes what was fetched.
    let producer = async {
        let queue = queue;
        let mut checkpoint = start_checkpoint;
        let mut scan_start = start_from;
        let mut position = Position::start(start_from);
        // The newest time a page-walked scan has seen: its checkpoint moves there at the end.
        let mut newest = checkpoint.cursor_updated_at;
        let walked = |checkpoint: Checkpoint, newest: i64| match F::SCAN {
            Scan::UpdatedAt => checkpoint,
            Scan::Pages => Checkpoint {
                cursor_updated_at: checkpoint.cursor_updated_at.max(newest),
                ..checkpoint
            },
        };
        loop {
            let fetched = tokio::select! {
                biased;
                () = ctx.options.cancel.cancelled() => return Err(SyncError::Cancelled("shutdown requested")),
                page = feed.fetch(position) => page,
            };
            let page = fetched.map_err(SyncError::kommo(F::ENTITY.as_str()))?;
            pages += 1;
            let Some(page) = page.filter(|p| !p.items.is_empty()) else {
                return Ok(walked(checkpoint, newest));
            };
            let (first_id, first_updated) = F::key(&page.items[0]);
            let (last_id, last_updated) =
                page.items.last().map_or((first_id, first_updated), F::key);
            if scan_start.is_none() {
                scan_start = Some(first_updated);
            }
            received += page.items.len() as u64;
            let (next, cursor_updated_at, cursor_id) = match F::SCAN {
                Scan::UpdatedAt => (
                    next_position(position, last_updated, page.has_next),
                    checkpoint.cursor_updated_at.max(last_updated),
                    if last_updated >= checkpoint.cursor_updated_at {
                        last_id
                    } else {
                        checkpoint.cursor_id
                    },
                ),
                Scan::Pages => {
                    newest = page
                        .items
                        .iter()
                        .map(|i| F::key(i).1)
                        .fold(newest, i64::max);
                    (
                        page.has_next.then(|| Position {
                            from: position.from,
                            page: position.page.saturating_add(1),
                        }),
                        checkpoint.cursor_updated_at,
                        last_id,
                    )
                }
            };
            checkpoint = Checkpoint {
                cursor_updated_at,
                cursor_id,
                full_sync_done: checkpoint.full_sync_done || next.is_none(),
                ..checkpoint
            };
            let job = Job {
                items: page.items,
                checkpoint: checkpoint.clone(),
                event: report(received, pages, Some(last_updated), scan_start),
            };
            if queue.send(job).await.is_err() {
                // The writer stopped on an error: it reports it.
                return Ok(checkpoint);
            }
            match next {
                Some(next) => position = next,
                None => return Ok(walked(checkpoint, newest)),
            }
        }
    };

    // Commits what has queued up, in order; stops at the first failed write. Its own task.
    let sink = feed.sink();
    let progress = ctx.progress.clone();
    let id = integration_id.to_owned();
    let consumer = tokio::spawn(async move {
        let mut written = StreamStats::default();
        let mut last = None;
        while let Some(first) = queued.recv().await {
            let mut rows = first.items.len();
            let mut batch = vec![first];
            while rows < MAX_BATCH_ROWS {
                match queued.try_recv() {
                    Ok(job) => {
                        rows += job.items.len();
                        batch.push(job);
                    }
                    Err(_) => break,
                }
            }
            let Some(newest) = batch.last() else { continue };
            let checkpoint = newest.checkpoint.clone();
            let mut items = Vec::with_capacity(rows);
            let mut events = Vec::with_capacity(batch.len());
            for job in batch {
                items.extend(job.items);
                events.push(job.event);
            }
            match sink.write(items, checkpoint.clone()).await {
                Ok(flagged) => {
                    written.rows += rows as u64;
                    written.flagged += flagged;
                    last = Some(checkpoint);
                    metrics::rows_written(&id, F::ENTITY, rows as u64);
                    for event in events {
                        progress.emit(ProgressEvent::Page(event));
                    }
                }
                Err(error) => {
                    return (
                        written,
                        last,
                        Err(SyncError::store("writing a page")(error)),
                    );
                }
            }
        }
        (written, last, Ok(()))
    });

    let ended = producer.await;
    let (written, committed, outcome) = match consumer.await {
        Ok(done) => done,
        Err(error) => {
            let detail = format!(
                "the {} writer ended abnormally: {error}",
                F::ENTITY.as_str()
            );
            (
                StreamStats::default(),
                None,
                Err(SyncError::TaskFailed {
                    integration_id: integration_id.to_owned(),
                    detail,
                }),
            )
        }
    };
    stats.rows += written.rows;
    stats.flagged += written.flagged;
    stats.pages += pages;
    outcome?;
    if let Some(committed) = committed {
        last_checkpoint = committed;
    }
    let final_checkpoint = ended?;
    // Nothing (more) to read: the pass is complete even if no page said so (a 204 after a
    // full page, or nothing new at all).
    let complete = Checkpoint {
        full_sync_done: true,
        ..final_checkpoint
    };
    if complete != last_checkpoint {
        ctx.store
            .save_checkpoint(&complete)
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
