//! Which leads a list shows: every filter of `GET /api/v4/leads`, through the sorted indexes.

use kommo_model::query::ListQuery;

use super::{FieldFilter, Slice, Walk, in_list, in_range, in_range_opt, select};
use crate::store::{Account, DELETED, Kind};

impl Account {
    /// One page of live lead ids (limit + 1 of them, to tell whether more exist).
    pub(crate) fn select_leads(
        &self,
        query: &ListQuery,
        walk: Walk,
        fields: &[FieldFilter],
        slice: Slice,
    ) -> Vec<u32> {
        let f = &query.filter;
        let needle = query.query.as_ref().map(|s| s.to_lowercase());
        let names: Vec<String> = f.name.iter().map(|n| n.to_lowercase()).collect();
        let filtered = !names.is_empty()
            || f.price.is_some()
            || !f.statuses.is_empty()
            || !f.pipeline_id.is_empty()
            || !f.created_by.is_empty()
            || !f.updated_by.is_empty()
            || !f.responsible_user_id.is_empty()
            || (f.created_at.is_some() && !walk.consumed_created)
            || (f.updated_at.is_some() && !walk.consumed_updated)
            || f.closed_at.is_some()
            || f.closest_task_at.is_some()
            || needle.is_some()
            || !fields.is_empty();
        let keep = |id: u32| -> bool {
            let Some(l) = self.leads.get(id) else {
                return false;
            };
            f.price.is_none_or(|r| r.contains(i64::from(l.price)))
                && (f.statuses.is_empty()
                    || f.statuses.iter().any(|s| {
                        s.status_id == i64::from(l.status_id)
                            && (s.pipeline_id == 0 || s.pipeline_id == i64::from(l.pipeline_id))
                    }))
                && in_list(&f.pipeline_id, l.pipeline_id)
                && in_list(&f.created_by, l.created_by)
                && in_list(&f.updated_by, l.updated_by)
                && in_list(&f.responsible_user_id, l.responsible)
                && (walk.consumed_created || in_range(f.created_at, l.created_at))
                && (walk.consumed_updated || in_range(f.updated_at, l.updated_at))
                && in_range_opt(f.closed_at, l.closed_at)
                && in_range_opt(f.closest_task_at, l.closest_task_at)
                && (names.is_empty() || {
                    let name = self.lead_name(id).to_lowercase();
                    names.contains(&name)
                })
                && self.fields_match(Kind::Leads, id, fields)
                && needle.as_ref().is_none_or(|needle| {
                    self.lead_name(id).to_lowercase().contains(needle.as_str())
                        || id.to_string() == *needle
                        || self.fields_contain(Kind::Leads, id, needle)
                })
        };
        let key = |id: u32| {
            self.leads
                .get(id)
                .filter(|l| l.flags & DELETED == 0)
                .map(|l| (l.created_at, l.updated_at))
        };
        select(
            &self.leads.index,
            walk,
            slice,
            &f.id,
            if filtered { Some(&keep) } else { None },
            &key,
        )
    }
}
