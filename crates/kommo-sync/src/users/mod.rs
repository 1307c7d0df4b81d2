//! Users (with their roles and groups): replaced as a whole each run. Kommo lists users to
//! admins only; a token without that right leaves the stored users as they were, with a
//! warning on the run, rather than failing the whole sync.

pub mod flatten;

use kommo::UsersQuery;

use crate::error::SyncError;
use crate::flatten::FlattenContext;
use crate::options::PAGE_SIZE;
use crate::stream::RunContext;

/// Fetches and writes the users; returns how many, or `None` (and a warning) when the
/// token may not list them.
pub(crate) async fn sync(
    ctx: &RunContext<'_>,
    warnings: &mut Vec<String>,
) -> Result<Option<u64>, SyncError> {
    let query = flatten::USER_WITH
        .into_iter()
        .fold(UsersQuery::new(), UsersQuery::with)
        .limit(PAGE_SIZE);
    let users = match ctx.client.users(query).collect_all().await {
        Ok(users) => users,
        Err(error @ kommo::Error::Forbidden { .. }) => {
            tracing::warn!(%error, "users not refreshed");
            warnings.push(format!("users not refreshed: {error}"));
            return Ok(None);
        }
        Err(source) => {
            return Err(SyncError::Kommo {
                stage: "users",
                source,
            });
        }
    };
    let flatten = FlattenContext {
        tenancy: ctx.tenancy,
        inserted_at: chrono::Utc::now().timestamp_millis(),
        dictionaries: ctx.dictionaries,
    };
    let rows: Vec<_> = users
        .iter()
        .map(|u| flatten::user_row(u, &flatten))
        .collect();
    ctx.store
        .replace_users(ctx.tenancy, &rows)
        .await
        .map_err(SyncError::store("writing users"))?;
    Ok(Some(rows.len() as u64))
}
