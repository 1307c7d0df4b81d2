//! A Kommo task as a `tasks` row of the data API.

use kommo_model::Task;
use kommo_store::rows::TaskRow;

use crate::flatten::{FlattenContext, Resource, document_id, non_empty};

/// Flattens one task: `task_type_name` from the account's task types, `result_text` from the
/// result given when it was completed; a task of no entity has `entity_type` / `entity_id`
/// `null`.
pub fn task_row(task: &Task, ctx: &FlattenContext<'_>) -> TaskRow {
    TaskRow {
        task_id: task.id,
        entity_type: task.entity_type.as_deref().and_then(non_empty),
        entity_id: task.entity_id.filter(|id| *id != 0),
        responsible_user_id: Some(task.responsible_user_id),
        group_id: Some(task.group_id),
        task_type_id: Some(task.task_type_id),
        task_type_name: ctx
            .dictionaries
            .task_type(task.task_type_id)
            .map(str::to_owned),
        text: non_empty(&task.text),
        duration: Some(task.duration),
        complete_till: Some(task.complete_till),
        is_completed: task.is_completed,
        result_text: task.result.as_ref().and_then(|r| non_empty(&r.text)),
        created_by: Some(task.created_by),
        updated_by: Some(task.updated_by),
        created_at: Some(task.created_at),
        updated_at: Some(task.updated_at),
        is_deleted: false,
        tenancy: ctx.tenancy.clone(),
        document_id: document_id(&ctx.tenancy.integration_id, Resource::Tasks, task.id, None),
        inserted_at: ctx.inserted_at,
    }
}
