//! Task changes: adding and updating tasks, with the closest open task of a lead and the
//! `task_added` / `task_completed` / `task_deleted` events kept in step.

use kommo_model::TaskRequest;

use super::{ItemErrors, Rejection, check_all};
use crate::store::{Account, EventKind, TaskExtra, TaskRec, task_entity_code};

impl Account {
    /// `POST /api/v4/tasks`: adds every item or none; the new ids in item order.
    pub(crate) fn add_tasks(
        &mut self,
        items: &[TaskRequest],
        user: u32,
    ) -> Result<Vec<u32>, Rejection> {
        self.add_all(
            items,
            user,
            |acc, t, errors| {
                acc.check_task(t, true, errors);
                t
            },
            |acc, t, user, now| acc.create_task(t, user, now),
        )
    }

    /// `PATCH /api/v4/tasks[/{id}]`: updates every item or none; each task's id and new
    /// `updated_at`, in item order.
    pub(crate) fn update_tasks(
        &mut self,
        items: &[TaskRequest],
        user: u32,
    ) -> Result<Vec<(u32, u32)>, Rejection> {
        check_all(items, |t, errors| {
            if t.id
                .and_then(|id| u32::try_from(id).ok())
                .and_then(|id| self.tasks.get(id))
                .is_none()
            {
                errors.push("NotFound", "id", "Task not found");
            }
            self.check_task(t, false, errors);
        })?;
        let now = self.write_now();
        Ok(items
            .iter()
            .map(|t| {
                let id = t.id.unwrap_or(0) as u32;
                (id, self.update_task(id, t, user, now))
            })
            .collect())
    }

    fn check_task(&self, t: &TaskRequest, adding: bool, errors: &mut ItemErrors) {
        if adding {
            if t.text.as_deref().is_none_or(str::is_empty) {
                errors.push("NotBlank", "text", "This value should not be blank.");
            }
            if t.complete_till.is_none() {
                errors.push(
                    "NotBlank",
                    "complete_till",
                    "This value should not be blank.",
                );
            }
        }
        if let Some(kind) = &t.entity_type {
            match task_entity_code(kind) {
                None => errors.push(
                    "NotSupportedChoice",
                    "entity_type",
                    "The value you selected is not a valid choice.",
                ),
                Some(code) => {
                    let id = t.entity_id.and_then(|i| u32::try_from(i).ok()).unwrap_or(0);
                    let exists = match code {
                        1 => self.leads.get(id).is_some(),
                        2 => self.contacts.get(id).is_some(),
                        _ => self.companies.get(id).is_some(),
                    };
                    if !exists {
                        errors.push("NotFound", "entity_id", "Entity not found");
                    }
                }
            }
        }
        if let Some(r) = t.responsible_user_id
            && u32::try_from(r).ok().and_then(|r| self.user(r)).is_none()
        {
            errors.push(
                "NotSupportedChoice",
                "responsible_user_id",
                "User not found",
            );
        }
        if let Some(tt) = t.task_type_id
            && !(1..=3).contains(&tt)
        {
            errors.push("NotSupportedChoice", "task_type_id", "Task type not found");
        }
    }

    /// Creates a checked task; returns its id.
    fn create_task(&mut self, t: &TaskRequest, user: u32, now: u32) -> u32 {
        let id = self.tasks.alloc_id();
        let rec = TaskRec {
            id,
            created_at: t.created_at.map_or(now, |v| v as u32),
            updated_at: t.updated_at.map_or(now, |v| v as u32),
            complete_till: t.complete_till.unwrap_or(0) as u32,
            responsible: t.responsible_user_id.map_or(user, |v| v as u32),
            created_by: t.created_by.map_or(user, |v| v as u32),
            updated_by: user,
            entity_id: t.entity_id.unwrap_or(0) as u32,
            entity_type: t
                .entity_type
                .as_deref()
                .and_then(task_entity_code)
                .unwrap_or(0),
            task_type: t.task_type_id.unwrap_or(1) as u8,
            completed: t.is_completed.unwrap_or(false),
            duration: t.duration.unwrap_or(0) as u32,
        };
        self.tasks.recs.push(rec);
        self.tasks.index.insert(id, rec.created_at, rec.updated_at);
        self.task_extra.insert(
            id,
            TaskExtra {
                text: t.text.clone(),
                result: t.result.as_ref().map(|r| r.text.clone()),
            },
        );
        if rec.entity_type == 1
            && !rec.completed
            && let Some(l) = self.leads.get_mut(rec.entity_id)
            && (l.closest_task_at == 0 || l.closest_task_at > rec.complete_till)
        {
            l.closest_task_at = rec.complete_till;
        }
        self.record(EventKind::TaskAdded, "task", id, user, now);
        id
    }

    /// Applies a checked update; returns the new `updated_at`.
    fn update_task(&mut self, id: u32, t: &TaskRequest, user: u32, now: u32) -> u32 {
        let mut completed_now = false;
        if let Some(rec) = self.tasks.get_mut(id) {
            if let Some(c) = t.complete_till {
                rec.complete_till = c as u32;
            }
            if let Some(r) = t.responsible_user_id {
                rec.responsible = r as u32;
            }
            if let Some(tt) = t.task_type_id {
                rec.task_type = tt as u8;
            }
            if let Some(d) = t.duration {
                rec.duration = d as u32;
            }
            if let Some(done) = t.is_completed {
                completed_now = done && !rec.completed;
                rec.completed = done;
            }
            let old = rec.updated_at;
            rec.updated_at = t.updated_at.map_or(now, |v| v as u32);
            rec.updated_by = user;
            let new = rec.updated_at;
            self.tasks.index.touch(id, old, new);
        }
        let extra = self.task_extra.entry(id).or_default();
        if let Some(text) = &t.text {
            extra.text = Some(text.clone());
        }
        if let Some(result) = &t.result {
            extra.result = Some(result.text.clone());
        }
        if completed_now {
            self.record(EventKind::TaskCompleted, "task", id, user, now);
        }
        self.tasks.get(id).map_or(now, |r| r.updated_at)
    }

    /// Deletes a task. Kommo keeps no deleted tasks to list (tasks have no
    /// `with=only_deleted`): it leaves every list and read, and only the `task_deleted` event
    /// it logs tells of it. False when there is no such task.
    pub(crate) fn delete_task(&mut self, id: u32, by: u32, at: u32) -> bool {
        let Some(pos) = self.tasks.pos(id) else {
            return false;
        };
        let rec = self.tasks.recs.remove(pos);
        self.tasks
            .index
            .remove_live(id, rec.created_at, rec.updated_at);
        self.task_extra.remove(&id);
        self.record(EventKind::TaskDeleted, "task", id, by, at);
        true
    }

    /// Stamps a task's `updated_at` (and `updated_by`), as any edit of it does.
    pub(crate) fn touch_task(&mut self, id: u32, by: u32, at: u32) -> bool {
        let Some(rec) = self.tasks.get_mut(id) else {
            return false;
        };
        let old = rec.updated_at;
        rec.updated_at = at;
        rec.updated_by = by;
        self.tasks.index.touch(id, old, at);
        true
    }
}
