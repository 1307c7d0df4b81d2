//! The read side: which records a list shows. `order`, `filter[...]` and `query` of a list
//! request, paged through the sorted indexes, and `with=only_deleted` rows; one file per
//! area with lists of its own, what they share here. Knows no HTTP: the api parses a request
//! into these inputs and renders what they select.

use kommo_model::query::{Direction, ListQuery, Range};
use serde::Serialize;

use crate::index::{Index, OrderBy};
use crate::store::{Account, Kind, Row, Table};

mod dictionaries;
mod entities;
mod events;
mod leads;
mod tasks;

pub(crate) use events::events_order;
pub(crate) use tasks::task_order;

/// The part of a list a request asks for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slice {
    pub(crate) offset: usize,
    pub(crate) limit: usize,
}

impl Slice {
    /// Rows to select: one more than the page shows, to tell whether another page exists.
    pub(crate) fn take(self) -> usize {
        self.limit + 1
    }
}

/// `order[field]=asc|desc`, id ascending when absent; what is wrong with it otherwise.
pub(crate) fn order_of(query: &ListQuery, extra: &[&str]) -> Result<(OrderBy, bool), String> {
    let Some(order) = &query.order else {
        return Ok((OrderBy::Id, false));
    };
    let desc = order.direction == Direction::Desc;
    match order.field.as_str() {
        "id" => Ok((OrderBy::Id, desc)),
        "created_at" => Ok((OrderBy::CreatedAt, desc)),
        "updated_at" => Ok((OrderBy::UpdatedAt, desc)),
        other if extra.contains(&other) => Ok((OrderBy::Id, desc)),
        other => Err(format!(
            "order[{other}] is not supported; sort by created_at, updated_at or id"
        )),
    }
}

/// `filter[custom_fields_values][FIELD_ID][]=value` or `[from]`/`[to]`.
#[derive(Debug, Clone)]
pub(crate) struct FieldFilter {
    field_id: i64,
    values: Vec<String>,
    range: Option<Range>,
}

pub(crate) fn field_filters(query: &ListQuery) -> Result<Vec<FieldFilter>, String> {
    let mut out: Vec<FieldFilter> = Vec::new();
    for (path, value) in &query.filter.other {
        let Some(rest) = path.strip_prefix("[custom_fields_values][") else {
            continue;
        };
        let (id, tail) = rest.split_once(']').unwrap_or((rest, ""));
        let field_id: i64 = id
            .parse()
            .map_err(|_| format!("filter{path}: field id must be an integer"))?;
        let at = match out.iter().position(|f| f.field_id == field_id) {
            Some(at) => at,
            None => {
                out.push(FieldFilter {
                    field_id,
                    values: Vec::new(),
                    range: None,
                });
                out.len() - 1
            }
        };
        let filter = &mut out[at];
        let number = || {
            value
                .parse::<i64>()
                .map_err(|_| format!("filter{path} must be an integer"))
        };
        match tail {
            "[from]" => filter.range.get_or_insert_with(Range::default).from = Some(number()?),
            "[to]" => filter.range.get_or_insert_with(Range::default).to = Some(number()?),
            _ => filter.values.push(value.clone()),
        }
    }
    Ok(out)
}

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Account {
    /// Whether an entity's custom field values pass every field filter.
    pub(crate) fn fields_match(&self, kind: Kind, id: u32, filters: &[FieldFilter]) -> bool {
        if filters.is_empty() {
            return true;
        }
        let values = self.field_values(kind, id).unwrap_or_default();
        filters.iter().all(|f| {
            let Some(field) = values.iter().find(|v| v.field_id == Some(f.field_id)) else {
                return false;
            };
            let vals = field.values.as_deref().unwrap_or(&[]);
            let by_value = f.values.is_empty()
                || vals.iter().any(|v| {
                    f.values.iter().any(|want| {
                        v.enum_id.is_some_and(|e| e.to_string() == *want)
                            || v.value
                                .as_ref()
                                .is_some_and(|x| value_text(x).eq_ignore_ascii_case(want))
                    })
                });
            let by_range = f.range.is_none_or(|r| {
                vals.iter().any(|v| {
                    v.value
                        .as_ref()
                        .and_then(|x| value_text(x).parse::<i64>().ok())
                        .is_some_and(|n| r.contains(n))
                })
            });
            by_value && by_range
        })
    }

    /// Whether any custom field value contains `needle` (already lowercase).
    pub(crate) fn fields_contain(&self, kind: Kind, id: u32, needle: &str) -> bool {
        self.field_values(kind, id).is_some_and(|values| {
            values
                .iter()
                .flat_map(|f| f.values.iter().flatten())
                .any(|v| {
                    v.value.as_ref().is_some_and(|x| {
                        let text = value_text(x).to_lowercase();
                        text.contains(needle)
                            || (digits(&text).len() >= 5
                                && digits(&text).contains(&digits(needle))
                                && !digits(needle).is_empty())
                    })
                })
        })
    }
}

pub(crate) fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

pub(crate) fn in_list(list: &[i64], value: u32) -> bool {
    list.is_empty() || list.contains(&i64::from(value))
}

pub(crate) fn in_range(range: Option<Range>, value: u32) -> bool {
    range.is_none_or(|r| r.contains(i64::from(value)))
}

/// Like `in_range`, where 0 means "no value" and never matches a range.
pub(crate) fn in_range_opt(range: Option<Range>, value: u32) -> bool {
    range.is_none_or(|r| value != 0 && r.contains(i64::from(value)))
}

/// How a list walks an index: the order, and the range on the order's own field (consumed
/// from the filters so it needs no per-row check).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Walk {
    pub(crate) order: OrderBy,
    pub(crate) desc: bool,
    pub(crate) range: Option<Range>,
    pub(crate) consumed_created: bool,
    pub(crate) consumed_updated: bool,
}

impl Walk {
    pub(crate) fn new(order: OrderBy, desc: bool, query: &ListQuery) -> Self {
        let f = &query.filter;
        match order {
            OrderBy::UpdatedAt if f.updated_at.is_some() => Self {
                order,
                desc,
                range: f.updated_at,
                consumed_created: false,
                consumed_updated: true,
            },
            OrderBy::CreatedAt if f.created_at.is_some() => Self {
                order,
                desc,
                range: f.created_at,
                consumed_created: true,
                consumed_updated: false,
            },
            _ => Self {
                order,
                desc,
                range: None,
                consumed_created: false,
                consumed_updated: false,
            },
        }
    }
}

/// One page of live ids (limit + 1 of them, to tell whether more exist).
///
/// `key` gives (created_at, updated_at) of a live id, for sorting an explicit id list.
pub(crate) fn select(
    index: &Index,
    walk: Walk,
    slice: Slice,
    ids: &[i64],
    keep: Option<&dyn Fn(u32) -> bool>,
    key: &dyn Fn(u32) -> Option<(u32, u32)>,
) -> Vec<u32> {
    if ids.is_empty() {
        return index.page(
            walk.order,
            walk.desc,
            walk.range,
            slice.offset,
            slice.take(),
            keep,
        );
    }
    // An explicit id list: look each up, then sort the few survivors.
    let mut rows: Vec<(u32, u32, u32)> = ids
        .iter()
        .filter_map(|id| u32::try_from(*id).ok())
        .filter_map(|id| key(id).map(|(c, u)| (id, c, u)))
        .filter(|(id, c, u)| {
            walk.range.is_none_or(|r| {
                let v = if walk.order == OrderBy::CreatedAt {
                    *c
                } else {
                    *u
                };
                r.contains(i64::from(v))
            }) && keep.is_none_or(|k| k(*id))
        })
        .collect();
    rows.sort_unstable_by_key(|(id, c, u)| match walk.order {
        OrderBy::Id => (*id, 0),
        OrderBy::CreatedAt => (*c, *id),
        OrderBy::UpdatedAt => (*u, *id),
    });
    rows.dedup_by_key(|r| r.0);
    if walk.desc {
        rows.reverse();
    }
    rows.into_iter()
        .skip(slice.offset)
        .take(slice.take())
        .map(|r| r.0)
        .collect()
}

/// One page of the rows `keep` passes, in the order the rows are in (or the reverse);
/// limit + 1 of them.
fn in_order<'a, T>(
    rows: &'a [T],
    desc: bool,
    keep: impl FnMut(&&'a T) -> bool,
    slice: Slice,
) -> Vec<&'a T> {
    fn page<'a, T: 'a>(
        rows: impl Iterator<Item = &'a T>,
        keep: impl FnMut(&&'a T) -> bool,
        slice: Slice,
    ) -> Vec<&'a T> {
        rows.filter(keep)
            .skip(slice.offset)
            .take(slice.take())
            .collect()
    }
    if desc {
        page(rows.iter().rev(), keep, slice)
    } else {
        page(rows.iter(), keep, slice)
    }
}

/// A `with=only_deleted` row: only what Kommo sends for a deleted, restorable entity.
#[derive(Debug, Serialize)]
pub(crate) struct DeletedRow {
    pub(crate) id: i64,
    pub(crate) updated_at: i64,
    pub(crate) is_deleted: bool,
}

impl<R: Row> Table<R> {
    /// The deleted rows of a list, by id (or by `updated_at` when so ordered), filtered by
    /// id and `updated_at`; limit + 1 of them.
    pub(crate) fn deleted_rows(
        &self,
        query: &ListQuery,
        walk: Walk,
        slice: Slice,
    ) -> Vec<DeletedRow> {
        let f = &query.filter;
        let updated = |id: u32| self.get(id).map_or(0, Row::updated_at);
        let mut rows: Vec<(u32, u32)> = self
            .index
            .deleted
            .iter()
            .copied()
            .filter(|id| in_list(&f.id, *id))
            .map(|id| (id, updated(id)))
            .filter(|(_, u)| in_range(f.updated_at, *u))
            .collect();
        if walk.order == OrderBy::UpdatedAt {
            rows.sort_unstable_by_key(|(id, u)| (*u, *id));
        }
        if walk.desc {
            rows.reverse();
        }
        rows.into_iter()
            .skip(slice.offset)
            .take(slice.take())
            .map(|(id, u)| DeletedRow {
                id: i64::from(id),
                updated_at: i64::from(u),
                is_deleted: true,
            })
            .collect()
    }
}
