//! The event log of a generated account: the last 30 days of its history.

use super::DAY;
use crate::store::{Account, EventKind, EventValue, PipelineRec};

/// The last 30 days of history as events: leads added, and leads closed.
pub(super) fn history(account: &mut Account) {
    let since = (account.anchor - 30 * DAY) as u32;
    let mut pending: Vec<(u32, u8, u32, EventKind, u32, EventValue, EventValue)> = Vec::new();
    for lead in &account.leads.recs {
        if lead.created_at >= since {
            pending.push((
                lead.created_at,
                0,
                lead.id,
                EventKind::LeadAdded,
                lead.created_by,
                EventValue::None,
                EventValue::None,
            ));
        }
        if lead.closed_at >= since && lead.closed_at != 0 {
            let first = account
                .pipeline(lead.pipeline_id)
                .map_or(0, PipelineRec::first_stage);
            pending.push((
                lead.closed_at,
                1,
                lead.id,
                EventKind::LeadStatusChanged,
                lead.responsible,
                EventValue::Status {
                    status_id: first,
                    pipeline_id: lead.pipeline_id,
                },
                EventValue::Status {
                    status_id: lead.status_id,
                    pipeline_id: lead.pipeline_id,
                },
            ));
        }
    }
    pending.sort_by_key(|e| (e.0, e.1, e.2));
    for (at, _, id, kind, by, before, after) in pending {
        account.push_event(kind, "lead", id, by, at, before, after);
    }
}
