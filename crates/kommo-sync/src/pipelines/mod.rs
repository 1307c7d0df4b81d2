//! Pipelines and statuses: replaced as a whole each run (one row per pipeline and status),
//! from the pipelines the dictionaries refresh already fetched.

pub mod flatten;

use kommo_model::Pipeline;

use crate::error::SyncError;
use crate::flatten::FlattenContext;
use crate::stream::RunContext;

/// Writes the pipeline rows; returns how many.
pub(crate) async fn write(ctx: &RunContext<'_>, pipelines: &[Pipeline]) -> Result<u64, SyncError> {
    let flatten = FlattenContext {
        tenancy: ctx.tenancy,
        inserted_at: chrono::Utc::now().timestamp_millis(),
        dictionaries: ctx.dictionaries,
    };
    let rows = flatten::pipeline_rows(pipelines, &flatten);
    ctx.store
        .replace_pipelines(ctx.tenancy, &rows)
        .await
        .map_err(SyncError::store("writing pipelines"))?;
    Ok(rows.len() as u64)
}
