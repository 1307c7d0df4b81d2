//! The funnel history: lead events from `GET /api/v4/events` (the stream), and the stays
//! derived from them and the lead rows (after every run's streams).
//!
//! Events are immutable, and Kommo lists them newest first by default, so the stream does
//! not chase a moving end as the `updated_at` streams do: each pass reads one fixed window
//! of `created_at` (from the last pass's end less the overlap, or everything on a full
//! pass, up to two seconds ago), page after page while Kommo's answer links a next page.
//! Events newer than the window cannot shift its pages; they are the next pass's. Each page
//! commits with a checkpoint holding the window and the next page, so a crash resumes the
//! same window at that page; what overlaps is de-duplicated by event id.

pub mod flatten;
pub mod stays;

use kommo::{EventsQuery, ListQuery};
use kommo_store::Checkpoint;
use serde::{Deserialize, Serialize};

use crate::error::SyncError;
use crate::flatten::FlattenContext;
use crate::options::{PAGE_SIZE, StreamStats};
use crate::progress::{Entity, EntityProgress, ProgressEvent};
use crate::stream::RunContext;
use flatten::{EVENT_TYPES, LeadEvent};

/// The checkpoint stream of lead events.
pub const STREAM: &str = "lead-events";
/// The checkpoint of the stays' derivation: its cursor is the `inserted_at` (Unix ms) up to
/// which every written lead and event has had its stays derived.
pub const STAGES_STREAM: &str = "lead-stages";

/// Leads whose stays are derived and replaced in one transaction.
const STAGE_BATCH: usize = 500;
/// How far the stays' watermark stays behind the derivation's start: a write stamped just
/// before the start but committed after the read is derived again next time (deriving
/// twice is harmless).
const STAGE_OVERLAP_MS: i64 = 60_000;
/// The window ends this far before now: events of the current second may still arrive.
const WINDOW_LAG_SECONDS: i64 = 2;

/// A window being read: stored in the checkpoint's `extra` while a pass is under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Window {
    /// `filter[created_at][from]`; `None` on a full pass.
    from: Option<i64>,
    to: i64,
    /// The next page to read.
    page: u32,
}

fn window_of(checkpoint: &Checkpoint) -> Option<Window> {
    checkpoint
        .extra
        .as_deref()
        .and_then(|extra| serde_json::from_str(extra).ok())
}

fn query(window: Window) -> ListQuery {
    EventsQuery::new()
        .types(EVENT_TYPES)
        .entities(["lead"])
        .created_between(window.from, Some(window.to))
        .limit(PAGE_SIZE)
        .page(window.page)
        .into()
}

/// Reads the lead events of the window the checkpoint says (resuming one under way, or a
/// new one), committing each page with its checkpoint.
pub(crate) async fn sync_events(
    ctx: &RunContext<'_>,
    stats: &mut StreamStats,
) -> Result<(), SyncError> {
    use futures::StreamExt as _;
    let integration_id = ctx.tenancy.integration_id.as_str();
    let previous = ctx
        .store
        .checkpoint(integration_id, STREAM)
        .await
        .map_err(SyncError::store("reading a checkpoint"))?;
    let overlap = i64::try_from(ctx.options.overlap.as_secs()).unwrap_or(i64::MAX);
    let now = chrono::Utc::now().timestamp();
    let new_window = |from: Option<i64>| Window {
        from,
        to: now - WINDOW_LAG_SECONDS,
        page: 1,
    };
    let (mut window, mut checkpoint) = match previous {
        Some(c) => {
            let under_way = window_of(&c);
            let window = match under_way {
                // A full pass under way goes on; an incremental one gives way to a full.
                Some(w) if !ctx.options.full || w.from.is_none() => w,
                _ if ctx.options.full || c.cursor_updated_at == 0 => new_window(None),
                _ => new_window(Some(c.cursor_updated_at.saturating_sub(overlap).max(0))),
            };
            (window, c)
        }
        None => (
            new_window(None),
            Checkpoint {
                integration_id: integration_id.to_owned(),
                stream: STREAM.to_owned(),
                cursor_updated_at: 0,
                cursor_id: 0,
                full_sync_done: false,
                extra: None,
            },
        ),
    };

    let started = std::time::Instant::now();
    let mut received: u64 = 0;
    loop {
        let mut pages = ctx.client.events(query(window));
        let fetched = tokio::select! {
            biased;
            () = ctx.options.cancel.cancelled() => return Err(SyncError::Cancelled("shutdown requested")),
            page = pages.next() => page,
        };
        let page = fetched
            .transpose()
            .map_err(SyncError::kommo(Entity::LeadEvents.as_str()))?;
        stats.pages += 1;
        let Some(page) = page.filter(|p| !p.items.is_empty()) else {
            break;
        };
        let flatten = FlattenContext {
            tenancy: ctx.tenancy,
            inserted_at: chrono::Utc::now().timestamp_millis(),
            dictionaries: ctx.dictionaries,
        };
        let mut changes = Vec::new();
        let mut life = Vec::new();
        for event in &page.items {
            match flatten::lead_event(event, &flatten) {
                Some(LeadEvent::Change(row)) => changes.push(*row),
                Some(LeadEvent::Life(e)) => life.push(e),
                None => {}
            }
        }
        received += page.items.len() as u64;
        window.page += 1;
        checkpoint.extra = serde_json::to_string(&window).ok();
        let new = ctx
            .store
            .write_lead_events(ctx.tenancy, &changes, &life, Some(&checkpoint))
            .await
            .map_err(SyncError::store("writing lead events"))?;
        stats.rows += page.items.len() as u64;
        stats.flagged += new;
        crate::metrics::rows_written(integration_id, Entity::LeadEvents, new);
        ctx.progress.emit(ProgressEvent::Page(progress(
            integration_id,
            received,
            stats.pages,
            started,
        )));
        if !page.has_next {
            break;
        }
    }
    // The window is read: the next pass starts from its end.
    let done = Checkpoint {
        cursor_updated_at: window.to,
        full_sync_done: true,
        extra: None,
        ..checkpoint
    };
    ctx.store
        .save_checkpoint(&done)
        .await
        .map_err(SyncError::store("saving a checkpoint"))?;
    ctx.progress.emit(ProgressEvent::EntityDone(EntityProgress {
        estimated_total: Some(received),
        ..progress(integration_id, received, stats.pages, started)
    }));
    Ok(())
}

fn progress(
    integration_id: &str,
    rows: u64,
    pages: u64,
    started: std::time::Instant,
) -> EntityProgress {
    let elapsed = started.elapsed();
    EntityProgress {
        integration_id: integration_id.to_owned(),
        entity: Entity::LeadEvents,
        rows,
        pages,
        elapsed,
        rows_per_second: if elapsed.as_secs_f64() > 0.0 {
            rows as f64 / elapsed.as_secs_f64()
        } else {
            0.0
        },
        estimated_total: None,
    }
}

/// Derives again the stays of every lead whose row or events were written since the last
/// derivation (all of them on a full run), in batches; returns how many leads. Makes no
/// Kommo request.
pub(crate) async fn derive_stages(ctx: &RunContext<'_>) -> Result<u64, SyncError> {
    let integration_id = ctx.tenancy.integration_id.as_str();
    let previous = ctx
        .store
        .checkpoint(integration_id, STAGES_STREAM)
        .await
        .map_err(SyncError::store("reading a checkpoint"))?;
    let since = match &previous {
        Some(c) if !ctx.options.full => c.cursor_updated_at,
        _ => 0,
    };
    let started = chrono::Utc::now().timestamp_millis();
    let ids = ctx
        .store
        .leads_to_restage(integration_id, since)
        .await
        .map_err(SyncError::store("finding leads to derive stages for"))?;
    for chunk in ids.chunks(STAGE_BATCH) {
        if ctx.options.cancel.is_cancelled() {
            return Err(SyncError::Cancelled("shutdown requested"));
        }
        let histories = ctx
            .store
            .lead_histories(integration_id, chunk)
            .await
            .map_err(SyncError::store("reading lead histories"))?;
        let all: Vec<_> = histories
            .iter()
            .flat_map(|h| stays::stays(h, ctx.dictionaries))
            .collect();
        ctx.store
            .replace_lead_stages(ctx.tenancy, chunk, &all, None)
            .await
            .map_err(SyncError::store("writing lead stages"))?;
    }
    let done = Checkpoint {
        integration_id: integration_id.to_owned(),
        stream: STAGES_STREAM.to_owned(),
        cursor_updated_at: started - STAGE_OVERLAP_MS,
        cursor_id: 0,
        full_sync_done: true,
        extra: None,
    };
    ctx.store
        .save_checkpoint(&done)
        .await
        .map_err(SyncError::store("saving a checkpoint"))?;
    Ok(ids.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_survives_its_checkpoint() {
        let w = Window {
            from: Some(1_700_000_000),
            to: 1_700_000_600,
            page: 7,
        };
        let c = Checkpoint {
            integration_id: "i".into(),
            stream: STREAM.into(),
            cursor_updated_at: 0,
            cursor_id: 0,
            full_sync_done: false,
            extra: serde_json::to_string(&w).ok(),
        };
        assert_eq!(window_of(&c), Some(w));
        assert_eq!(
            window_of(&Checkpoint {
                extra: None,
                ..c.clone()
            }),
            None
        );
        assert_eq!(
            window_of(&Checkpoint {
                extra: Some("garbage".into()),
                ..c
            }),
            None
        );
    }

    #[test]
    fn the_query_asks_for_lead_events_of_the_window() {
        let q = query(Window {
            from: Some(10),
            to: 20,
            page: 3,
        });
        let rendered = q.to_pairs();
        let has = |k: &str, v: &str| rendered.iter().any(|(a, b)| a == k && b == v);
        assert!(has("filter[created_at][from]", "10"), "{rendered:?}");
        assert!(has("filter[created_at][to]", "20"), "{rendered:?}");
        assert!(has("page", "3"), "{rendered:?}");
        assert!(has("filter[entity][0]", "lead"), "{rendered:?}");
    }
}
