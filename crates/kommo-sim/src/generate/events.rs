//! The event log of a generated account: every lead's path through the stages, as Kommo
//! records it (`lead_added` with the stage it was created in, then one `lead_status_changed`
//! per move).
//!
//! Each lead is created in its pipeline's first stage (or its incoming stage), moves forward
//! mostly one stage at a time, sometimes skips one or steps back, now and then starts in
//! another pipeline and is moved over, and, when closed, ends in won (142) or lost (143) at
//! its `closed_at`. Moves fall between `created_at` and `updated_at` (`closed_at` for closed
//! leads), so the log agrees with the records. A lead's path draws from its own stream, so
//! the other entities' draws are untouched. For a few old leads the log lacks the first
//! moves, as an account whose early history Kommo no longer lists.

use super::DAY;
use crate::rng::{Rng, stream};
use crate::store::{Account, EventKind, EventValue, LeadRec, PipelineRec};

/// Leads created longer ago than this may have lost the start of their history.
const OLD: i64 = 365 * DAY;

/// One event before it enters the log: (time, lead, step within the lead's path).
struct Pending {
    at: u32,
    lead: u32,
    step: u16,
    kind: EventKind,
    by: u32,
    before: EventValue,
    after: EventValue,
}

/// Every lead's history, in time order, recorded through the event recorder.
pub(super) fn history(account: &mut Account) {
    let mut pending: Vec<Pending> = Vec::with_capacity(account.leads.recs.len() * 5);
    for lead in &account.leads.recs {
        lead_path(account, lead, &mut pending);
    }
    pending.sort_by_key(|e| (e.at, e.lead, e.step));
    for e in pending {
        account.push_event(e.kind, "lead", e.lead, e.by, e.at, e.before, e.after);
    }
}

/// The open stages of a pipeline in their order (incoming first where there is one).
fn open_stages(p: &PipelineRec) -> Vec<u32> {
    p.statuses
        .iter()
        .filter(|s| s.id != 142 && s.id != 143)
        .map(|s| s.id)
        .collect()
}

/// Appends one lead's events: added, then its moves.
fn lead_path(account: &Account, lead: &LeadRec, out: &mut Vec<Pending>) {
    let mut r = Rng::new(account.seed, stream::LEAD_HISTORY, u64::from(lead.id));
    let Some(pipeline) = account.pipeline(lead.pipeline_id) else {
        return;
    };
    let open = open_stages(pipeline);
    let closed = lead.status_id == 142 || lead.status_id == 143;
    // The stage index the walk ends at (for a closed lead: the last open stage before it closed).
    let target = match open.iter().position(|&s| s == lead.status_id) {
        Some(k) => Some(k),
        None if open.is_empty() => None,
        None => Some(r.index(open.len())),
    };
    let incoming = pipeline
        .statuses
        .first()
        .is_some_and(|s| s.kind == 1 && s.id != 142 && s.id != 143);
    let first_ordinary = usize::from(incoming);
    let start = match target {
        Some(k) if k < first_ordinary || (incoming && r.percent(30)) => 0,
        Some(k) => first_ordinary.min(k),
        None => 0,
    };

    // The stages visited, as (pipeline, status), from the one the lead was created in.
    let mut path: Vec<(u32, u32)> = Vec::new();
    let other: Vec<&PipelineRec> = account
        .pipelines
        .iter()
        .filter(|p| p.id != pipeline.id && !open_stages(p).is_empty())
        .collect();
    if !other.is_empty() && target.is_some() && r.percent(6) {
        let from = *r.pick(&other);
        let stages = open_stages(from);
        let reach = r.index(stages.len().min(3));
        path.extend(stages[..=reach].iter().map(|&s| (from.id, s)));
    }
    if let Some(k) = target {
        let mut at = start;
        path.push((pipeline.id, open[at]));
        let mut steps = 0;
        while at < k && steps < 4 * open.len() {
            steps += 1;
            at = if at > start && r.percent(8) {
                at - 1
            } else if at + 2 <= k && r.percent(15) {
                at + 2
            } else {
                at + 1
            };
            path.push((pipeline.id, open[at]));
        }
        if at != k {
            path.push((pipeline.id, open[k]));
        }
    }
    if closed || target.is_none() {
        path.push((pipeline.id, lead.status_id));
    }

    // Times: created, then the moves in order up to the lead's last change.
    let created = lead.created_at;
    let end = if closed {
        lead.closed_at
    } else {
        lead.updated_at
    };
    let moves = path.len().saturating_sub(1);
    let mut times: Vec<u32> = (0..moves)
        .map(|_| created + r.range(0, i64::from(end.saturating_sub(created)) + 1) as u32)
        .collect();
    times.sort_unstable();
    if closed && let Some(last) = times.last_mut() {
        *last = end;
    }
    let by = |r: &mut Rng| if r.percent(10) { 0 } else { lead.responsible };

    // An old lead whose first moves Kommo no longer lists.
    let lost = if moves >= 2 && account.anchor - i64::from(created) > OLD && r.percent(3) {
        1 + r.index(moves - 1)
    } else {
        0
    };
    if lost == 0
        && let Some(&(pipeline_id, status_id)) = path.first()
    {
        out.push(Pending {
            at: created,
            lead: lead.id,
            step: 0,
            kind: EventKind::LeadAdded,
            by: lead.created_by,
            before: EventValue::None,
            after: EventValue::Status {
                status_id,
                pipeline_id,
            },
        });
    }
    for (i, (pair, at)) in path.windows(2).zip(times).enumerate().skip(lost) {
        let [(bp, bs), (ap, as_)] = [pair[0], pair[1]];
        out.push(Pending {
            at,
            lead: lead.id,
            step: i as u16 + 1,
            kind: EventKind::LeadStatusChanged,
            by: by(&mut r),
            before: EventValue::Status {
                status_id: bs,
                pipeline_id: bp,
            },
            after: EventValue::Status {
                status_id: as_,
                pipeline_id: ap,
            },
        });
    }
}
