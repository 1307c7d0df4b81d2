//! A lead's stays in stages, derived from what the store holds of it: its row and its
//! events. The rules (the API's documentation repeats them):
//!
//! - The first stay begins at the lead's `created_at` (its row's; without a row, its
//!   `lead_added` event's time, else its first event's), in the stage the first status
//!   change left; without changes, in the stage its `lead_added` event names, else its
//!   row's. So a history whose start Kommo no longer lists begins with the earliest known
//!   "before" stage at `created_at`.
//! - Each status change ends the current stay at its time and begins one in its "after"
//!   stage (moves between pipelines alike). A change into the stage the lead is already in
//!   ends nothing.
//! - When the lead's row is live, strictly newer than its last change and shows another
//!   stage (Kommo's events missed the move), the last stay ends at the row's `updated_at`
//!   and one begins in the row's stage. (A deleted row's stage may be stale: a deletion
//!   moves its `updated_at`, not its stage.)
//! - A lead deleted now (its row says so, or its last life event is `lead_deleted`) has its
//!   last stay end at the deletion; a restored lead's stay goes on (the trash is no stage).
//! - Times never run backwards: a change timed before the current stay began is taken at
//!   that stay's beginning (a stay of zero seconds).

use kommo_store::{LeadHistory, LeadStay, LifeKind};

use crate::dictionaries::Dictionaries;

/// Kommo's won and lost statuses.
const CLOSED: [i64; 2] = [142, 143];

/// The stays of one lead, in order; empty when nothing says which stage it was ever in.
pub fn stays(history: &LeadHistory, names: &Dictionaries) -> Vec<LeadStay> {
    let lead = history.lead;
    let first_event_at = history
        .moves
        .iter()
        .map(|m| m.at)
        .chain(history.life.iter().map(|l| l.at))
        .min();
    let added_at = history
        .life
        .iter()
        .find(|l| l.kind == LifeKind::Added)
        .map(|l| l.at);
    let Some(created) = lead
        .and_then(|l| l.created_at)
        .or(added_at)
        .or(first_event_at)
    else {
        return Vec::new();
    };
    let added_in = history
        .life
        .iter()
        .find(|l| l.kind == LifeKind::Added)
        .and_then(|l| l.stage);
    // A row stored from a deletion alone has pipeline 0: Kommo's "none", not a stage.
    let row_stage = lead
        .filter(|l| l.pipeline_id != 0)
        .map(|l| (l.pipeline_id, l.status_id));
    let start = match history.moves.first() {
        Some(first) => first.before.unwrap_or(first.after),
        None => match added_in.or(row_stage) {
            Some(stage) => stage,
            None => return Vec::new(),
        },
    };

    // (stage, entered_at) in order.
    let mut path: Vec<((i64, i64), i64)> = vec![(start, created)];
    for m in &history.moves {
        let (current, entered) = path[path.len() - 1];
        if m.after != current {
            path.push((m.after, m.at.max(entered)));
        }
    }
    let last_move_at = history.moves.last().map(|m| m.at);
    if let (Some(l), Some(row_stage)) = (lead, row_stage) {
        let (current, entered) = path[path.len() - 1];
        let row_newer = match (l.updated_at, last_move_at) {
            (Some(updated), Some(moved)) => updated > moved,
            (_, None) => true,
            (None, Some(_)) => false,
        };
        if row_stage != current && row_newer && !l.is_deleted {
            let at = l.updated_at.unwrap_or(entered).max(entered);
            path.push((row_stage, at));
        }
    }

    let deleted_at = deletion(history);
    let (final_stage, final_entered) = path[path.len() - 1];
    let lead_status_id = final_stage.1;
    let lead_closed_at = if !CLOSED.contains(&lead_status_id) {
        None
    } else {
        match lead {
            Some(l) if (l.pipeline_id, l.status_id) == final_stage && l.closed_at.is_some() => {
                l.closed_at
            }
            _ => Some(final_entered),
        }
    };
    let mut out = Vec::with_capacity(path.len());
    for (i, &((pipeline_id, status_id), entered_at)) in path.iter().enumerate() {
        let next = path.get(i + 1);
        let left_at = match next {
            Some(&(_, at)) => Some(at),
            None => deleted_at.map(|d| d.max(entered_at)),
        };
        out.push(LeadStay {
            lead_id: history.lead_id,
            pipeline_id,
            status_id,
            pipeline_name: names.pipeline(pipeline_id).map(str::to_owned),
            status_name: names.status(pipeline_id, status_id).map(str::to_owned),
            entered_at,
            left_at,
            next: next.map(|&(stage, _)| stage),
            lead_created_at: created,
            lead_status_id,
            lead_closed_at,
            lead_is_deleted: deleted_at.is_some(),
        });
    }
    out
}

/// When the lead was deleted, if it is deleted now.
fn deletion(history: &LeadHistory) -> Option<i64> {
    let last_life = history
        .life
        .iter()
        .rev()
        .find(|l| l.kind != LifeKind::Added);
    let deleted_by_events = last_life
        .filter(|l| l.kind == LifeKind::Deleted)
        .map(|l| l.at);
    match history.lead {
        Some(l) if l.is_deleted => deleted_by_events.or(l.updated_at).or(Some(0)),
        Some(_) => None,
        None => deleted_by_events,
    }
}

#[cfg(test)]
mod tests {
    use kommo_store::{LeadLifeEvent, LeadState, StatusMove};

    use super::*;

    fn lead(created: i64, updated: i64, stage: (i64, i64)) -> LeadState {
        LeadState {
            lead_id: 7,
            created_at: Some(created),
            updated_at: Some(updated),
            closed_at: None,
            pipeline_id: stage.0,
            status_id: stage.1,
            is_deleted: false,
        }
    }

    fn mv(at: i64, before: Option<(i64, i64)>, after: (i64, i64)) -> StatusMove {
        StatusMove {
            event_id: format!("e{at}"),
            at,
            before,
            after,
        }
    }

    fn life(at: i64, kind: LifeKind) -> LeadLifeEvent {
        LeadLifeEvent {
            event_id: format!("l{at}"),
            lead_id: 7,
            kind,
            at,
            stage: None,
        }
    }

    fn history(
        lead: Option<LeadState>,
        moves: Vec<StatusMove>,
        life: Vec<LeadLifeEvent>,
    ) -> LeadHistory {
        LeadHistory {
            lead_id: 7,
            lead,
            moves,
            life,
        }
    }

    /// (stage, entered, left) of each stay.
    fn tiles(h: &LeadHistory) -> Vec<((i64, i64), i64, Option<i64>)> {
        stays(h, &Dictionaries::default())
            .iter()
            .map(|s| ((s.pipeline_id, s.status_id), s.entered_at, s.left_at))
            .collect()
    }

    #[test]
    fn a_lead_without_changes_stays_where_it_is_since_creation() {
        let h = history(Some(lead(100, 150, (1, 10))), vec![], vec![]);
        assert_eq!(tiles(&h), vec![((1, 10), 100, None)]);
    }

    #[test]
    fn changes_tile_the_life_from_creation() {
        let h = history(
            Some(lead(100, 400, (1, 142))),
            vec![
                mv(200, Some((1, 10)), (1, 11)),
                mv(300, Some((1, 11)), (1, 142)),
            ],
            vec![],
        );
        let s = stays(&h, &Dictionaries::default());
        assert_eq!(
            tiles(&h),
            vec![
                ((1, 10), 100, Some(200)),
                ((1, 11), 200, Some(300)),
                ((1, 142), 300, None)
            ]
        );
        assert_eq!(s[0].next, Some((1, 11)));
        assert_eq!(s[2].next, None);
        assert_eq!(s[2].lead_status_id, 142);
        assert_eq!(s[2].lead_closed_at, Some(300));
    }

    #[test]
    fn a_history_missing_its_start_begins_with_the_earliest_before_at_creation() {
        let h = history(
            Some(lead(100, 500, (2, 21))),
            vec![mv(400, Some((1, 12)), (2, 21))],
            vec![],
        );
        assert_eq!(
            tiles(&h),
            vec![((1, 12), 100, Some(400)), ((2, 21), 400, None)]
        );
    }

    #[test]
    fn a_change_into_the_current_stage_ends_nothing() {
        let h = history(
            Some(lead(100, 500, (1, 11))),
            vec![
                mv(200, Some((1, 10)), (1, 11)),
                mv(300, Some((1, 99)), (1, 11)),
            ],
            vec![],
        );
        assert_eq!(
            tiles(&h),
            vec![((1, 10), 100, Some(200)), ((1, 11), 200, None)]
        );
    }

    #[test]
    fn a_deleted_lead_ends_at_its_deletion_and_a_restored_one_goes_on() {
        let mut row = lead(100, 900, (1, 10));
        row.is_deleted = true;
        let deleted = history(
            Some(row),
            vec![],
            vec![life(100, LifeKind::Added), life(600, LifeKind::Deleted)],
        );
        let s = stays(&deleted, &Dictionaries::default());
        assert_eq!(tiles(&deleted), vec![((1, 10), 100, Some(600))]);
        assert!(s[0].lead_is_deleted);

        let restored = history(
            Some(lead(100, 900, (1, 10))),
            vec![],
            vec![life(600, LifeKind::Deleted), life(700, LifeKind::Restored)],
        );
        assert_eq!(tiles(&restored), vec![((1, 10), 100, None)]);
    }

    #[test]
    fn a_lead_only_its_events_know() {
        let h = history(
            None,
            vec![mv(300, Some((1, 10)), (1, 143))],
            vec![life(200, LifeKind::Added)],
        );
        assert_eq!(
            tiles(&h),
            vec![((1, 10), 200, Some(300)), ((1, 143), 300, None)]
        );
        let deleted = history(
            None,
            vec![mv(300, Some((1, 10)), (1, 11))],
            vec![life(200, LifeKind::Added), life(400, LifeKind::Deleted)],
        );
        assert_eq!(
            tiles(&deleted),
            vec![((1, 10), 200, Some(300)), ((1, 11), 300, Some(400))]
        );
        assert!(tiles(&history(None, vec![], vec![life(1, LifeKind::Added)])).is_empty());
    }

    #[test]
    fn a_newer_row_in_another_stage_adds_the_move_the_events_missed() {
        let h = history(
            Some(lead(100, 800, (1, 12))),
            vec![mv(200, Some((1, 10)), (1, 11))],
            vec![],
        );
        assert_eq!(
            tiles(&h),
            vec![
                ((1, 10), 100, Some(200)),
                ((1, 11), 200, Some(800)),
                ((1, 12), 800, None)
            ]
        );
        // A deleted row is not trusted for its stage.
        let mut deleted_row = lead(100, 800, (1, 12));
        deleted_row.is_deleted = true;
        let deleted = history(
            Some(deleted_row),
            vec![mv(200, Some((1, 10)), (1, 11))],
            vec![life(800, LifeKind::Deleted)],
        );
        assert_eq!(
            tiles(&deleted),
            vec![((1, 10), 100, Some(200)), ((1, 11), 200, Some(800))]
        );
        // An older row is not trusted over newer events.
        let stale = history(
            Some(lead(100, 150, (1, 10))),
            vec![mv(200, Some((1, 10)), (1, 11))],
            vec![],
        );
        assert_eq!(
            tiles(&stale),
            vec![((1, 10), 100, Some(200)), ((1, 11), 200, None)]
        );
    }

    #[test]
    fn times_never_run_backwards() {
        let h = history(
            Some(lead(500, 900, (1, 11))),
            vec![mv(400, Some((1, 10)), (1, 11))],
            vec![],
        );
        assert_eq!(
            tiles(&h),
            vec![((1, 10), 500, Some(500)), ((1, 11), 500, None)]
        );
    }
}
