//! Operator-level reads of synced rows: aggregates for the people who run the service (the
//! `sync status` command, `/metrics`), who hold the database itself. They take no `Grant` and
//! never return a row's contents; the data API's reads, which do, take a `Grant` (see
//! `resources`).

use crate::Store;
use crate::db::Arg;
use crate::error::StoreError;
use crate::model::EntityCounts;

impl Store {
    /// How many rows an integration has stored, per entity. Operator-level: counts only.
    pub async fn counts(&self, integration_id: &str) -> Result<EntityCounts, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Record {
            leads: i64,
            deleted_leads: i64,
            contacts: i64,
            deleted_contacts: i64,
            pipeline_rows: i64,
            users: i64,
            lead_status_changes: i64,
            lead_stages: i64,
            companies: i64,
            deleted_companies: i64,
            tasks: i64,
            deleted_tasks: i64,
        }
        let live = "is_deleted = ?";
        let sql = format!(
            "SELECT \
             (SELECT COUNT(*) FROM leads WHERE integration_id = ? AND {live}) AS leads, \
             (SELECT COUNT(*) FROM leads WHERE integration_id = ? AND {live}) AS deleted_leads, \
             (SELECT COUNT(*) FROM contacts WHERE integration_id = ? AND {live}) AS contacts, \
             (SELECT COUNT(*) FROM contacts WHERE integration_id = ? AND {live}) AS deleted_contacts, \
             (SELECT COUNT(*) FROM pipelines WHERE integration_id = ?) AS pipeline_rows, \
             (SELECT COUNT(*) FROM users WHERE integration_id = ?) AS users, \
             (SELECT COUNT(*) FROM lead_status_changes WHERE integration_id = ?) AS lead_status_changes, \
             (SELECT COUNT(*) FROM lead_stages WHERE integration_id = ?) AS lead_stages, \
             (SELECT COUNT(*) FROM companies WHERE integration_id = ? AND {live}) AS companies, \
             (SELECT COUNT(*) FROM companies WHERE integration_id = ? AND {live}) AS deleted_companies, \
             (SELECT COUNT(*) FROM tasks WHERE integration_id = ? AND {live}) AS tasks, \
             (SELECT COUNT(*) FROM tasks WHERE integration_id = ? AND {live}) AS deleted_tasks"
        );
        let id = || Arg::str(integration_id);
        // In the order of the subqueries above.
        let args = vec![
            id(),
            Arg::Bool(false),
            id(),
            Arg::Bool(true),
            id(),
            Arg::Bool(false),
            id(),
            Arg::Bool(true),
            id(),
            id(),
            id(),
            id(),
            id(),
            Arg::Bool(false),
            id(),
            Arg::Bool(true),
            id(),
            Arg::Bool(false),
            id(),
            Arg::Bool(true),
        ];
        let row: Option<Record> = self.db().fetch_optional(&sql, args).await?;
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        Ok(row.map_or_else(EntityCounts::default, |r| EntityCounts {
            leads: n(r.leads),
            deleted_leads: n(r.deleted_leads),
            contacts: n(r.contacts),
            deleted_contacts: n(r.deleted_contacts),
            pipeline_rows: n(r.pipeline_rows),
            users: n(r.users),
            lead_status_changes: n(r.lead_status_changes),
            lead_stages: n(r.lead_stages),
            companies: n(r.companies),
            deleted_companies: n(r.deleted_companies),
            tasks: n(r.tasks),
            deleted_tasks: n(r.deleted_tasks),
        }))
    }
}
