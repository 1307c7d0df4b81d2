//! The funnel history's writes and the sync's reads of it: lead events (status changes and
//! the added / deleted / restored events of a lead's life), and the stays derived from them.
//!
//! Events are immutable and read in overlapping windows, so they are inserted once by
//! (integration, event id) and never updated. Stays are derived (by the sync engine, from
//! [`LeadHistory`]) and replaced whole per lead, so deriving them again is always safe.

use crate::db::{Arg, placeholders, values_groups};
use crate::error::StoreError;
use crate::model::Checkpoint;
use std::collections::HashMap;

use crate::resources::{lead_stages, lead_status_changes};
use crate::rows::{LeadStatusChangeRow, RowTenancy};
use crate::write::{check_checkpoint, check_tenancy, write_checkpoint};
use crate::{Store, document_id, now_millis};

/// Ids per `IN (...)` list and rows per INSERT: far below both databases' parameter limits.
const CHUNK: usize = 500;

/// The kind of a lead's life event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LifeKind {
    /// `lead_added`: when the lead began.
    Added,
    /// `lead_deleted`: the lead went to the trash.
    Deleted,
    /// `lead_restored`: it came back.
    Restored,
}

impl LifeKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Added => "added",
            Self::Deleted => "deleted",
            Self::Restored => "restored",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "added" => Some(Self::Added),
            "deleted" => Some(Self::Deleted),
            "restored" => Some(Self::Restored),
            _ => None,
        }
    }
}

/// A `lead_added`, `lead_deleted` or `lead_restored` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadLifeEvent {
    pub event_id: String,
    pub lead_id: i64,
    pub kind: LifeKind,
    /// Unix seconds.
    pub at: i64,
    /// `(pipeline, status)` the lead was created in, when a `lead_added` event says.
    pub stage: Option<(i64, i64)>,
}

/// A lead as its row stands, for deriving its stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct LeadState {
    pub lead_id: i64,
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub pipeline_id: i64,
    pub status_id: i64,
    pub is_deleted: bool,
}

/// One stored status change, for deriving stays: `(pipeline, status)` pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMove {
    pub event_id: String,
    pub at: i64,
    pub before: Option<(i64, i64)>,
    pub after: (i64, i64),
}

/// Everything stored about one lead's path: its row (if the leads stream has seen it), its
/// status changes and its life events, each in time order (ties by event id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadHistory {
    pub lead_id: i64,
    pub lead: Option<LeadState>,
    pub moves: Vec<StatusMove>,
    pub life: Vec<LeadLifeEvent>,
}

/// One stay of a lead in a stage, as the sync derived it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadStay {
    pub lead_id: i64,
    pub pipeline_id: i64,
    pub status_id: i64,
    pub pipeline_name: Option<String>,
    pub status_name: Option<String>,
    /// Unix seconds.
    pub entered_at: i64,
    pub left_at: Option<i64>,
    /// `(pipeline, status)` the lead went to next.
    pub next: Option<(i64, i64)>,
    /// The lead's `created_at`: the funnel's cohort key.
    pub lead_created_at: i64,
    /// The lead as it stands: its status now, when it closed, whether it is deleted.
    pub lead_status_id: i64,
    pub lead_closed_at: Option<i64>,
    pub lead_is_deleted: bool,
}

#[derive(sqlx::FromRow)]
struct MoveRecord {
    lead_id: i64,
    event_id: String,
    changed_at: i64,
    pipeline_id_before: Option<i64>,
    status_id_before: Option<i64>,
    pipeline_id_after: i64,
    status_id_after: i64,
}

#[derive(sqlx::FromRow)]
struct LifeRecord {
    lead_id: i64,
    event_id: String,
    kind: String,
    at: i64,
    pipeline_id: Option<i64>,
    status_id: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct LeadRef {
    lead_id: i64,
}

impl Store {
    /// Stores a page of lead events and the checkpoint covering them in one transaction.
    /// An event already stored (same integration and event id) is skipped. Returns how many
    /// status changes were new.
    pub async fn write_lead_events(
        &self,
        tenancy: &RowTenancy,
        changes: &[LeadStatusChangeRow],
        life: &[LeadLifeEvent],
        checkpoint: Option<&Checkpoint>,
    ) -> Result<u64, StoreError> {
        check_checkpoint(tenancy, checkpoint)?;
        let now = now_millis();
        let mut tx = self.db().begin_sync_write().await?;
        let ws = check_tenancy(&mut tx, tenancy).await?;
        let mut inserted = 0;
        let columns = lead_status_changes::COLUMNS;
        for chunk in changes.chunks(CHUNK / 2) {
            let sql = format!(
                "INSERT INTO lead_status_changes ({}) VALUES {} ON CONFLICT (integration_id, event_id) DO NOTHING",
                columns.join(", "),
                values_groups(chunk.len(), columns.len())
            );
            let mut args = Vec::with_capacity(chunk.len() * columns.len());
            for row in chunk {
                lead_status_changes::bind(&mut args, tenancy, ws, row, now);
            }
            inserted += tx.execute(&sql, args).await?;
        }
        for chunk in life.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO lead_life_events (integration_id, event_id, lead_id, kind, at, pipeline_id, status_id, inserted_at) \
                 VALUES {} ON CONFLICT (integration_id, event_id) DO NOTHING",
                values_groups(chunk.len(), 8)
            );
            let mut args = Vec::with_capacity(chunk.len() * 8);
            for e in chunk {
                args.extend([
                    Arg::str(&tenancy.integration_id),
                    Arg::str(&e.event_id),
                    Arg::int(e.lead_id),
                    Arg::str(e.kind.as_str()),
                    Arg::int(e.at),
                    Arg::Int(e.stage.map(|s| s.0)),
                    Arg::Int(e.stage.map(|s| s.1)),
                    Arg::int(now),
                ]);
            }
            tx.execute(&sql, args).await?;
        }
        if let Some(checkpoint) = checkpoint {
            write_checkpoint(&mut tx, checkpoint).await?;
        }
        tx.commit().await?;
        Ok(inserted)
    }

    /// The leads of an integration whose stays may have changed since `since` (Unix ms):
    /// their row, a status change or a life event was written after it. Sorted, distinct.
    pub async fn leads_to_restage(
        &self,
        integration_id: &str,
        since: i64,
    ) -> Result<Vec<i64>, StoreError> {
        // UNION: the database de-duplicates, so a full derivation (every lead, and every
        // one of its several events) hands over each lead id once, in order.
        let select = |table: &str| {
            format!("SELECT lead_id FROM {table} WHERE integration_id = ? AND inserted_at > ?")
        };
        let rows: Vec<LeadRef> = self
            .db()
            .fetch_all(
                &format!(
                    "{} UNION {} UNION {} ORDER BY lead_id",
                    select("leads"),
                    select("lead_status_changes"),
                    select("lead_life_events")
                ),
                (0..3)
                    .flat_map(|_| [Arg::str(integration_id), Arg::int(since)])
                    .collect(),
            )
            .await?;
        Ok(rows.into_iter().map(|r| r.lead_id).collect())
    }

    /// What is stored about the given leads' paths, one entry per id asked (in that order).
    pub async fn lead_histories(
        &self,
        integration_id: &str,
        lead_ids: &[i64],
    ) -> Result<Vec<LeadHistory>, StoreError> {
        let mut out = Vec::with_capacity(lead_ids.len());
        for chunk in lead_ids.chunks(CHUNK) {
            let mut args = vec![Arg::str(integration_id)];
            args.extend(chunk.iter().map(|id| Arg::int(*id)));
            let list = placeholders(chunk.len());
            let leads: Vec<LeadState> = self
                .db()
                .fetch_all(
                    &format!(
                        "SELECT lead_id, created_at, updated_at, closed_at, pipeline_id, status_id, is_deleted \
                         FROM leads WHERE integration_id = ? AND lead_id IN ({list})"
                    ),
                    args.clone(),
                )
                .await?;
            let moves: Vec<MoveRecord> = self
                .db()
                .fetch_all(
                    &format!(
                        "SELECT lead_id, event_id, changed_at, pipeline_id_before, status_id_before, \
                         pipeline_id_after, status_id_after FROM lead_status_changes \
                         WHERE integration_id = ? AND lead_id IN ({list}) ORDER BY lead_id, changed_at, event_id"
                    ),
                    args.clone(),
                )
                .await?;
            let life: Vec<LifeRecord> = self
                .db()
                .fetch_all(
                    &format!(
                        "SELECT lead_id, event_id, kind, at, pipeline_id, status_id FROM lead_life_events \
                         WHERE integration_id = ? AND lead_id IN ({list}) ORDER BY lead_id, at, event_id"
                    ),
                    args,
                )
                .await?;
            let first = out.len();
            let slots: HashMap<i64, usize> = chunk
                .iter()
                .enumerate()
                .map(|(i, id)| (*id, first + i))
                .collect();
            let rows: HashMap<i64, LeadState> = leads.into_iter().map(|l| (l.lead_id, l)).collect();
            out.extend(chunk.iter().map(|&lead_id| LeadHistory {
                lead_id,
                lead: rows.get(&lead_id).copied(),
                moves: Vec::new(),
                life: Vec::new(),
            }));
            for m in moves {
                if let Some(&i) = slots.get(&m.lead_id) {
                    out[i].moves.push(StatusMove {
                        event_id: m.event_id,
                        at: m.changed_at,
                        before: m.pipeline_id_before.zip(m.status_id_before),
                        after: (m.pipeline_id_after, m.status_id_after),
                    });
                }
            }
            for e in life {
                let Some(kind) = LifeKind::parse(&e.kind) else {
                    continue;
                };
                if let Some(&i) = slots.get(&e.lead_id) {
                    out[i].life.push(LeadLifeEvent {
                        event_id: e.event_id,
                        lead_id: e.lead_id,
                        kind,
                        at: e.at,
                        stage: e.pipeline_id.zip(e.status_id),
                    });
                }
            }
        }
        Ok(out)
    }

    /// Replaces the stays of `lead_ids` with `stays` (and saves `checkpoint`) in one
    /// transaction: afterwards each of those leads has exactly its stays in `stays`.
    pub async fn replace_lead_stages(
        &self,
        tenancy: &RowTenancy,
        lead_ids: &[i64],
        stays: &[LeadStay],
        checkpoint: Option<&Checkpoint>,
    ) -> Result<(), StoreError> {
        check_checkpoint(tenancy, checkpoint)?;
        let now = now_millis();
        let mut tx = self.db().begin_sync_write().await?;
        let ws = check_tenancy(&mut tx, tenancy).await?;
        for chunk in lead_ids.chunks(CHUNK) {
            let mut args = vec![Arg::str(&tenancy.integration_id)];
            args.extend(chunk.iter().map(|id| Arg::int(*id)));
            tx.execute(
                &format!(
                    "DELETE FROM lead_stages WHERE integration_id = ? AND lead_id IN ({})",
                    placeholders(chunk.len())
                ),
                args,
            )
            .await?;
        }
        let columns = lead_stages::COLUMNS;
        for chunk in stays.chunks(CHUNK / 2) {
            let sql = format!(
                "INSERT INTO lead_stages ({}) VALUES {}",
                columns.join(", "),
                values_groups(chunk.len(), columns.len())
            );
            let mut args = Vec::with_capacity(chunk.len() * columns.len());
            for stay in chunk {
                lead_stages::bind(&mut args, tenancy, ws, stay, now);
            }
            tx.execute(&sql, args).await?;
        }
        if let Some(checkpoint) = checkpoint {
            write_checkpoint(&mut tx, checkpoint).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// The `document_id` of a status change: stable per (integration, event).
pub(crate) fn status_change_document_id(integration_id: &str, event_id: &str) -> String {
    // Event ids are text; their bytes, read as numbers, name the change.
    let ids: Vec<i64> = event_id.bytes().map(i64::from).collect();
    document_id(integration_id, "lead_status_change", &ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn life_kinds_round_trip() {
        for kind in [LifeKind::Added, LifeKind::Deleted, LifeKind::Restored] {
            assert_eq!(LifeKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(LifeKind::parse("moved"), None);
    }

    #[test]
    fn status_change_document_ids_differ_by_event() {
        let a = status_change_document_id("int-1", "01abc");
        assert_eq!(a, status_change_document_id("int-1", "01abc"));
        assert_ne!(a, status_change_document_id("int-1", "01abd"));
        assert_ne!(a, status_change_document_id("int-2", "01abc"));
    }
}
