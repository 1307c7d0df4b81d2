//! Which events `GET /api/v4/events` shows: its filters, newest first unless asked otherwise.

use kommo_model::query::{Direction, ListQuery};

use super::{Slice, in_order};
use crate::render::event_id;
use crate::store::{Account, EventRec};

/// Whether an event list runs newest first (the default); what is wrong with its
/// `order[...]` otherwise.
pub(crate) fn events_order(query: &ListQuery) -> Result<bool, String> {
    match &query.order {
        None => Ok(true),
        Some(o) if o.field == "created_at" || o.field == "id" => Ok(o.direction == Direction::Desc),
        Some(o) => Err(format!(
            "order[{}] is not supported; sort by created_at or id",
            o.field
        )),
    }
}

impl Account {
    /// One page of events (limit + 1 of them, to tell whether more exist).
    pub(crate) fn select_events(
        &self,
        query: &ListQuery,
        desc: bool,
        slice: Slice,
    ) -> Vec<&EventRec> {
        let f = &query.filter;
        let ids: Vec<String> = f
            .other
            .iter()
            .filter(|(k, _)| k.starts_with("[id]"))
            .map(|(_, v)| v.clone())
            .collect();
        let types: Vec<String> = f
            .event_type
            .iter()
            .flat_map(|t| t.split(',').map(str::to_owned))
            .collect();
        let entities: Vec<&str> = f
            .entity_type
            .iter()
            .map(|e| e.trim_end_matches('s'))
            .map(|e| if e == "companie" { "company" } else { e })
            .collect();
        let keep = |e: &&EventRec| {
            f.created_at
                .is_none_or(|r| r.contains(i64::from(e.created_at)))
                && (types.is_empty() || types.iter().any(|t| t == e.kind.wire()))
                && (entities.is_empty() || entities.contains(&e.entity_type))
                && (f.entity_id.is_empty() || f.entity_id.contains(&i64::from(e.entity_id)))
                && (f.created_by.is_empty() || f.created_by.contains(&i64::from(e.created_by)))
                && (ids.is_empty() || ids.contains(&event_id(e)))
        };
        // The log is in time order: narrow by created_at first.
        let from = f.created_at.and_then(|r| r.from).map_or(0, |from| {
            self.events
                .partition_point(|e| i64::from(e.created_at) < from)
        });
        in_order(&self.events[from..], desc, keep, slice)
    }
}
