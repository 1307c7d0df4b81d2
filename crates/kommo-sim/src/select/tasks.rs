//! Which tasks `GET /api/v4/tasks` shows: its filters and orders.

use kommo_model::query::{Direction, ListQuery};

use super::{Slice, in_list, in_order};
use crate::store::{Account, TaskRec, task_entity_code};

/// What a task list is sorted by (then by id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TaskOrder {
    Id,
    CreatedAt,
    UpdatedAt,
    CompleteTill,
}

/// `order[field]=asc|desc` of a task list, id ascending when absent; what is wrong with it
/// otherwise.
pub(crate) fn task_order(query: &ListQuery) -> Result<(TaskOrder, bool), String> {
    let Some(o) = &query.order else {
        return Ok((TaskOrder::Id, false));
    };
    let order = match o.field.as_str() {
        "id" => TaskOrder::Id,
        "created_at" => TaskOrder::CreatedAt,
        "updated_at" => TaskOrder::UpdatedAt,
        "complete_till" => TaskOrder::CompleteTill,
        other => {
            return Err(format!(
                "order[{other}] is not supported; sort by created_at, complete_till or id"
            ));
        }
    };
    Ok((order, o.direction == Direction::Desc))
}

impl Account {
    /// One page of tasks (limit + 1 of them, to tell whether more exist).
    pub(crate) fn select_tasks(
        &self,
        query: &ListQuery,
        (order, desc): (TaskOrder, bool),
        slice: Slice,
    ) -> Vec<&TaskRec> {
        let f = &query.filter;
        let entity_types: Vec<u8> = f
            .entity_type
            .iter()
            .filter_map(|t| task_entity_code(t))
            .collect();
        let keep = |t: &&TaskRec| {
            in_list(&f.id, t.id)
                && in_list(&f.responsible_user_id, t.responsible)
                && f.is_completed.is_none_or(|c| c == t.completed)
                && (f.task_type.is_empty() || f.task_type.contains(&i64::from(t.task_type)))
                && (entity_types.is_empty() || entity_types.contains(&t.entity_type))
                && in_list(&f.entity_id, t.entity_id)
                && f.updated_at
                    .is_none_or(|r| r.contains(i64::from(t.updated_at)))
                && f.created_at
                    .is_none_or(|r| r.contains(i64::from(t.created_at)))
        };
        let recs = &self.tasks.recs;
        if order == TaskOrder::Id {
            // Records are in id order already: no sort, and only one page is looked at.
            return in_order(recs, desc, keep, slice);
        }
        let mut all: Vec<&TaskRec> = recs.iter().filter(keep).collect();
        all.sort_by_key(|t| match order {
            TaskOrder::CreatedAt => (t.created_at, t.id),
            TaskOrder::UpdatedAt => (t.updated_at, t.id),
            _ => (t.complete_till, t.id),
        });
        if desc {
            all.reverse();
        }
        all.into_iter()
            .skip(slice.offset)
            .take(slice.take())
            .collect()
    }
}
