//! What the lists of the account's small dictionaries show: users, custom field
//! definitions, tags and sources, each filtered in memory (they hold tens of rows).

use kommo_model::query::ListQuery;
use kommo_model::{CustomField, Source, Tag};

use super::in_list;
use crate::store::{Account, Kind, UserRec};

impl Account {
    /// Users, by `filter[id]`.
    pub(crate) fn select_users(&self, query: &ListQuery) -> Vec<&UserRec> {
        self.users
            .iter()
            .filter(|u| in_list(&query.filter.id, u.id))
            .collect()
    }

    /// Custom field definitions of a kind, by `filter[id]` and `filter[type][]`.
    pub(crate) fn select_custom_fields(&self, kind: Kind, query: &ListQuery) -> Vec<&CustomField> {
        let types = query
            .filter
            .other
            .iter()
            .filter(|(k, _)| k.starts_with("[type]"))
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>();
        self.fields(kind)
            .iter()
            .filter(|f| {
                in_list(&query.filter.id, f.def.id as u32)
                    && (types.is_empty() || types.contains(&f.def.field_type))
            })
            .map(|f| &f.def)
            .collect()
    }

    /// Tags of a kind, by `filter[id]`, `filter[name]` (any case) and `query` (a part of
    /// the name).
    pub(crate) fn select_tags(&self, kind: Kind, query: &ListQuery) -> Vec<&Tag> {
        let f = &query.filter;
        let needle = query.query.as_ref().map(|q| q.to_lowercase());
        self.kind_tags(kind)
            .iter()
            .filter(|t| f.id.is_empty() || f.id.contains(&t.id))
            .filter(|t| f.name.is_empty() || f.name.iter().any(|n| n.eq_ignore_ascii_case(&t.name)))
            .filter(|t| {
                needle
                    .as_ref()
                    .is_none_or(|n| t.name.to_lowercase().contains(n.as_str()))
            })
            .collect()
    }

    /// Sources, by `filter[external_id]`.
    pub(crate) fn select_sources(&self, query: &ListQuery) -> Vec<&Source> {
        let ext = &query.filter.external_id;
        self.sources
            .iter()
            .filter(|s| ext.is_empty() || s.external_id.as_ref().is_some_and(|e| ext.contains(e)))
            .collect()
    }
}
