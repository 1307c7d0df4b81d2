//! Tasks: the live stream and the deleted stream, each walked page by page under one
//! `from` (see [`Scan::Pages`]), because Kommo's task and event lists cannot be sorted by the
//! time they filter on.
//!
//! - Live tasks: `GET /api/v4/tasks?filter[updated_at][from]=…&order[id]=asc`. Kommo sorts
//!   tasks by `created_at`, `complete_till` or `id` only, so the stream cannot restart from
//!   the last `updated_at` seen as leads do; it walks the pages of one id-ordered list. A task
//!   updated during the walk keeps its place (ids do not move), a new one lands at the end.
//! - Deleted tasks: Kommo has no `with=only_deleted` for tasks, and a deleted task simply
//!   leaves the list. Deletions are read from the events log instead:
//!   `GET /api/v4/events?filter[type]=task_deleted&filter[entity]=task&filter[created_at][from]=…`
//!   (newest first, the only order Kommo documents for events; a deletion logged during the
//!   walk shifts later pages by one, which repeats a row and never skips one). Each event's
//!   `entity_id` is flagged deleted at the event's time, with a deleted row stored for a
//!   task never seen.
//!
//! Either stream's checkpoint keeps the `from` of the walk until the walk ends, then moves to
//! the newest time it saw: a crash mid-walk repeats the walk (upserts are idempotent), never
//! skips. A task deleted in the middle of a live walk shifts the later pages back by one and
//! may hide one task from it until the next run that reads it (its next change, or the next
//! full pass).

pub mod flatten;

use kommo::{Direction, EventsQuery, Page, TaskOrder, TasksQuery};
use kommo_model::{Event, Task};
use kommo_store::{Checkpoint, DeletedRef, EntityKind, StoreError};

use crate::cursor::Position;
use crate::flatten::FlattenContext;
use crate::options::PAGE_SIZE;
use crate::progress::Entity;
use crate::stream::{Feed, RunContext, Scan, Sink, WriteContext, first_page};

/// The checkpoint streams of tasks.
pub const STREAM: &str = "tasks";
pub const DELETED_STREAM: &str = "tasks:deleted";

/// The event type Kommo logs for a deleted task.
const TASK_DELETED: &str = "task_deleted";

pub(crate) struct TasksFeed<'a> {
    pub(crate) ctx: RunContext<'a>,
}

impl Feed for TasksFeed<'_> {
    type Item = Task;
    type Sink = TasksSink;
    const ENTITY: Entity = Entity::Tasks;
    const STREAM: &'static str = STREAM;
    const SCAN: Scan = Scan::Pages;

    async fn fetch(&self, position: Position) -> Result<Option<Page<Task>>, kommo::Error> {
        let query = TasksQuery::new()
            .order(TaskOrder::Id, Direction::Asc)
            .limit(PAGE_SIZE)
            .page(position.page);
        let query = match position.from {
            Some(from) => query.updated_between(Some(from), None),
            None => query,
        };
        first_page(self.ctx.client.tasks(query)).await
    }

    fn key(item: &Task) -> (i64, i64) {
        (item.id, item.updated_at)
    }

    fn sink(&self) -> TasksSink {
        TasksSink(self.ctx.write.clone())
    }
}

pub(crate) struct DeletedTasksFeed<'a> {
    pub(crate) ctx: RunContext<'a>,
}

impl Feed for DeletedTasksFeed<'_> {
    type Item = Event;
    type Sink = DeletedTasksSink;
    const ENTITY: Entity = Entity::DeletedTasks;
    const STREAM: &'static str = DELETED_STREAM;
    const SCAN: Scan = Scan::Pages;

    async fn fetch(&self, position: Position) -> Result<Option<Page<Event>>, kommo::Error> {
        let query = EventsQuery::new()
            .types([TASK_DELETED])
            .entities(["task"])
            .limit(PAGE_SIZE)
            .page(position.page);
        let query = match position.from {
            Some(from) => query.created_between(Some(from), None),
            None => query,
        };
        first_page(self.ctx.client.events(query)).await
    }

    /// The deleted task's id, and when it was deleted.
    fn key(item: &Event) -> (i64, i64) {
        (item.entity_id, item.created_at)
    }

    fn sink(&self) -> DeletedTasksSink {
        DeletedTasksSink(self.ctx.write.clone())
    }
}

/// Flattens and upserts task pages.
pub(crate) struct TasksSink(WriteContext);

impl Sink<Task> for TasksSink {
    async fn write(&self, items: Vec<Task>, checkpoint: Checkpoint) -> Result<u64, StoreError> {
        let w = &self.0;
        let flatten = FlattenContext {
            tenancy: &w.tenancy,
            inserted_at: chrono::Utc::now().timestamp_millis(),
            dictionaries: &w.dictionaries,
        };
        let rows: Vec<_> = items
            .iter()
            .map(|t| flatten::task_row(t, &flatten))
            .collect();
        w.store
            .write_tasks(&w.tenancy, &rows, Some(&checkpoint))
            .await?;
        Ok(0)
    }
}

/// Flags the tasks of `task_deleted` events, storing those never seen as deleted rows.
pub(crate) struct DeletedTasksSink(WriteContext);

impl Sink<Event> for DeletedTasksSink {
    async fn write(&self, items: Vec<Event>, checkpoint: Checkpoint) -> Result<u64, StoreError> {
        let w = &self.0;
        let deleted: Vec<DeletedRef> = items
            .iter()
            .filter(|e| e.kind == TASK_DELETED && e.entity_id > 0)
            .map(|e| DeletedRef {
                id: e.entity_id,
                updated_at: e.created_at,
            })
            .collect();
        w.store
            .mark_deleted(&w.tenancy, EntityKind::Task, &deleted, Some(&checkpoint))
            .await
    }
}
