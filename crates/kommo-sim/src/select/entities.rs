//! Which contacts or companies a list shows: the filters the two lists share, through the
//! sorted indexes.

use kommo_model::query::ListQuery;

use super::{DeletedRow, FieldFilter, Slice, Walk, in_list, in_range, in_range_opt, select};
use crate::store::{Account, DELETED, Kind};

/// What the lists filter on, the same for a contact and a company.
struct Listed {
    created_at: u32,
    updated_at: u32,
    created_by: u32,
    updated_by: u32,
    responsible: u32,
    closest_task_at: u32,
    flags: u8,
}

macro_rules! row {
    ($rec:expr) => {
        Listed {
            created_at: $rec.created_at,
            updated_at: $rec.updated_at,
            created_by: $rec.created_by,
            updated_by: $rec.updated_by,
            responsible: $rec.responsible,
            closest_task_at: $rec.closest_task_at,
            flags: $rec.flags,
        }
    };
}

impl Account {
    fn entity_row(&self, kind: Kind, id: u32) -> Option<Listed> {
        match kind {
            Kind::Companies => self.companies.get(id).map(|c| row!(c)),
            _ => self.contacts.get(id).map(|c| row!(c)),
        }
    }

    fn entity_name(&self, kind: Kind, id: u32) -> String {
        match kind {
            Kind::Companies => self.company_name(id),
            _ => self.contact_names(id).0,
        }
    }

    /// One page of live contact (or, for `Kind::Companies`, company) ids; limit + 1 of them.
    pub(crate) fn select_entities(
        &self,
        kind: Kind,
        query: &ListQuery,
        walk: Walk,
        fields: &[FieldFilter],
        slice: Slice,
    ) -> Vec<u32> {
        let index = match kind {
            Kind::Companies => &self.companies.index,
            _ => &self.contacts.index,
        };
        let f = &query.filter;
        let needle = query.query.as_ref().map(|s| s.to_lowercase());
        let names: Vec<String> = f.name.iter().map(|n| n.to_lowercase()).collect();
        let filtered = !names.is_empty()
            || !f.created_by.is_empty()
            || !f.updated_by.is_empty()
            || !f.responsible_user_id.is_empty()
            || (f.created_at.is_some() && !walk.consumed_created)
            || (f.updated_at.is_some() && !walk.consumed_updated)
            || f.closest_task_at.is_some()
            || needle.is_some()
            || !fields.is_empty();
        let keep = |id: u32| -> bool {
            let Some(r) = self.entity_row(kind, id) else {
                return false;
            };
            in_list(&f.created_by, r.created_by)
                && in_list(&f.updated_by, r.updated_by)
                && in_list(&f.responsible_user_id, r.responsible)
                && (walk.consumed_created || in_range(f.created_at, r.created_at))
                && (walk.consumed_updated || in_range(f.updated_at, r.updated_at))
                && in_range_opt(f.closest_task_at, r.closest_task_at)
                && (names.is_empty() || names.contains(&self.entity_name(kind, id).to_lowercase()))
                && self.fields_match(kind, id, fields)
                && needle.as_ref().is_none_or(|n| {
                    self.entity_name(kind, id)
                        .to_lowercase()
                        .contains(n.as_str())
                        || self.fields_contain(kind, id, n)
                })
        };
        let key = |id: u32| {
            self.entity_row(kind, id)
                .filter(|r| r.flags & DELETED == 0)
                .map(|r| (r.created_at, r.updated_at))
        };
        select(
            index,
            walk,
            slice,
            &f.id,
            if filtered { Some(&keep) } else { None },
            &key,
        )
    }

    /// The deleted rows of a contact (or, for `Kind::Companies`, company) list.
    pub(crate) fn deleted_entities(
        &self,
        kind: Kind,
        query: &ListQuery,
        walk: Walk,
        slice: Slice,
    ) -> Vec<DeletedRow> {
        match kind {
            Kind::Companies => self.companies.deleted_rows(query, walk, slice),
            _ => self.contacts.deleted_rows(query, walk, slice),
        }
    }
}
