//! The sync engine's writes. Each public call is one transaction: the rows, their side rows
//! (tags, emails, phones, links) and the checkpoint that covers them commit together or not
//! at all, so a crash at any instant resumes from a checkpoint that matches the data.
//!
//! Upserts are keyed by (integration, Kommo id) and guarded by `updated_at`: a row whose
//! stored `updated_at` is newer than the incoming one is left alone (a stale page fetched
//! during an overlap window cannot undo a newer write or a deletion); equal or newer data,
//! or rows without `updated_at`, overwrite. Writing the same page twice changes nothing but
//! `inserted_at`.

use std::collections::HashMap;

use crate::db::{Arg, Tx, placeholders, values_groups};
use crate::error::StoreError;
use crate::model::{Checkpoint, DeletedRef, EntityKind, RunOutcome, RunStatus, SyncRun};
use crate::normalize;
use crate::resources::{bind_tenancy, companies, contacts, leads, opt, pipelines, tasks, users};
use crate::rows::{
    CompanyRow, ContactRow, LeadRow, PipelineRow, RowTag, RowTenancy, TaskRow, UserRow,
};
use crate::{Store, document_id, now_millis};

/// Rows per multi-row INSERT: 250 leads x 38 columns stays far below both databases'
/// bound-parameter limits, and a fixed size lets the driver reuse the prepared statement.
const ROWS_PER_STATEMENT: usize = 250;
/// Side rows (4 to 6 columns) per INSERT.
const SIDE_ROWS_PER_STATEMENT: usize = 1000;

/// `INSERT INTO t (cols) VALUES ... ON CONFLICT (key) DO UPDATE SET ... WHERE <fresher> RETURNING id, <kommo id>`.
fn upsert_sql(table: &str, columns: &[&str], key: &[&str], kommo_id: &str, rows: usize) -> String {
    let mut sql = format!(
        "INSERT INTO {table} ({}) VALUES {}",
        columns.join(", "),
        values_groups(rows, columns.len())
    );
    sql.push_str(&format!(" ON CONFLICT ({}) DO UPDATE SET ", key.join(", ")));
    let updates: Vec<String> = columns
        .iter()
        .filter(|c| !key.contains(c))
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    sql.push_str(&updates.join(", "));
    sql.push_str(&format!(
        " WHERE {table}.updated_at IS NULL OR excluded.updated_at IS NULL OR excluded.updated_at >= {table}.updated_at \
         RETURNING id, {kommo_id} AS kommo_id"
    ));
    sql
}

fn insert_sql(table: &str, columns: &[&str], rows: usize) -> String {
    format!(
        "INSERT INTO {table} ({}) VALUES {}",
        columns.join(", "),
        values_groups(rows, columns.len())
    )
}

#[derive(sqlx::FromRow)]
struct Upserted {
    id: i64,
    kommo_id: i64,
}

#[derive(sqlx::FromRow)]
struct TenancyRecord {
    organization_id: String,
    workspace_id: String,
    key: i64,
}

/// The rows of a page with the same Kommo id twice keep only the last copy: a multi-row
/// upsert may not touch one row twice (Postgres refuses), and the last copy is the newest read.
fn last_copies<T, K: std::hash::Hash + Eq>(rows: &[T], id: impl Fn(&T) -> K) -> Vec<&T> {
    let mut last: HashMap<K, usize> = HashMap::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        last.insert(id(row), i);
    }
    if last.len() == rows.len() {
        return rows.iter().collect();
    }
    rows.iter()
        .enumerate()
        .filter(|(i, row)| last.get(&id(row)) == Some(i))
        .map(|(_, row)| row)
        .collect()
}

/// Checks that the tenancy is the integration's own: rows can never be filed under a
/// workspace or organization other than the one their integration belongs to. Returns the
/// workspace's integer key.
pub(crate) async fn check_tenancy(tx: &mut Tx, tenancy: &RowTenancy) -> Result<i64, StoreError> {
    let found: Option<TenancyRecord> = tx
        .fetch_optional(
            "SELECT i.organization_id, i.workspace_id, w.key FROM integrations i \
             JOIN workspaces w ON w.id = i.workspace_id WHERE i.id = ?",
            vec![Arg::str(&tenancy.integration_id)],
        )
        .await?;
    let Some(found) = found else {
        return Err(StoreError::not_found(format!(
            "integration {}",
            tenancy.integration_id
        )));
    };
    if found.organization_id != tenancy.organization_id
        || found.workspace_id != tenancy.workspace_id
    {
        return Err(StoreError::invalid(
            "tenancy",
            format!(
                "integration {} belongs to workspace {} of organization {}, not workspace {} of organization {}",
                tenancy.integration_id,
                found.workspace_id,
                found.organization_id,
                tenancy.workspace_id,
                tenancy.organization_id
            ),
        ));
    }
    Ok(found.key)
}

pub(crate) async fn write_checkpoint(
    tx: &mut Tx,
    checkpoint: &Checkpoint,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO checkpoints (integration_id, stream, cursor_updated_at, cursor_id, full_sync_done, extra, saved_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (integration_id, stream) DO UPDATE SET \
         cursor_updated_at = excluded.cursor_updated_at, cursor_id = excluded.cursor_id, \
         full_sync_done = excluded.full_sync_done, extra = excluded.extra, saved_at = excluded.saved_at",
        vec![
            Arg::str(&checkpoint.integration_id),
            Arg::str(&checkpoint.stream),
            Arg::int(checkpoint.cursor_updated_at),
            Arg::int(checkpoint.cursor_id),
            Arg::Bool(checkpoint.full_sync_done),
            opt(&checkpoint.extra),
            Arg::int(now_millis()),
        ],
    )
    .await?;
    Ok(())
}

pub(crate) fn check_checkpoint(
    tenancy: &RowTenancy,
    checkpoint: Option<&Checkpoint>,
) -> Result<(), StoreError> {
    match checkpoint {
        Some(c) if c.integration_id != tenancy.integration_id => Err(StoreError::invalid(
            "checkpoint",
            format!(
                "checkpoint of integration {} written with rows of {}",
                c.integration_id, tenancy.integration_id
            ),
        )),
        _ => Ok(()),
    }
}

/// Replaces the side rows of the given parent rows: delete theirs, insert the new ones.
async fn replace_side_rows(
    tx: &mut Tx,
    table: &str,
    parent_column: &str,
    columns: &[&str],
    parents: &[i64],
    rows: Vec<Vec<Arg<'_>>>,
) -> Result<(), StoreError> {
    if !parents.is_empty() {
        let sql = format!(
            "DELETE FROM {table} WHERE {parent_column} IN ({})",
            placeholders(parents.len())
        );
        tx.execute(&sql, parents.iter().map(|id| Arg::int(*id)).collect())
            .await?;
    }
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Arg<'_>>> = rows.by_ref().take(SIDE_ROWS_PER_STATEMENT).collect();
        let sql = insert_sql(table, columns, chunk.len());
        tx.execute(&sql, chunk.into_iter().flatten().collect())
            .await?;
    }
    Ok(())
}

fn tag_rows<'a>(side: &mut Vec<Vec<Arg<'a>>>, parent: i64, ws: i64, tags: &'a [RowTag]) {
    for (position, tag) in tags.iter().enumerate() {
        side.push(vec![
            Arg::int(parent),
            Arg::int(ws),
            Arg::int(position_arg(position)),
            Arg::int(tag.id),
            Arg::str(&tag.name),
            opt(&tag.color),
        ]);
    }
}

const TAG_COLUMNS_LEAD: &[&str] = &["lead_ref", "ws", "position", "tag_id", "name", "color"];
const TAG_COLUMNS_CONTACT: &[&str] = &["contact_ref", "ws", "position", "tag_id", "name", "color"];
const TAG_COLUMNS_COMPANY: &[&str] = &["company_ref", "ws", "position", "tag_id", "name", "color"];

/// Side rows of texts as given and as the filters compare them (`normalized`).
fn text_rows<'a>(
    side: &mut Vec<Vec<Arg<'a>>>,
    parent: i64,
    ws: i64,
    values: &'a [String],
    normalized: fn(&str) -> String,
) {
    for (position, value) in values.iter().enumerate() {
        side.push(vec![
            Arg::int(parent),
            Arg::int(ws),
            Arg::int(position_arg(position)),
            Arg::str(value),
            Arg::string(normalized(value)),
        ]);
    }
}

/// Side rows of linked ids, in Kommo's order.
fn id_rows<'a>(side: &mut Vec<Vec<Arg<'a>>>, parent: i64, ws: i64, ids: &[i64]) {
    for (position, id) in ids.iter().enumerate() {
        side.push(vec![
            Arg::int(parent),
            Arg::int(ws),
            Arg::int(position_arg(position)),
            Arg::int(*id),
        ]);
    }
}

fn position_arg(position: usize) -> i64 {
    i64::try_from(position).unwrap_or(i64::MAX)
}

impl Store {
    /// Upserts a page of leads (and their tags), and the checkpoint covering them, in one
    /// transaction. Idempotent by (integration, lead id).
    pub async fn write_leads(
        &self,
        tenancy: &RowTenancy,
        rows: &[LeadRow],
        checkpoint: Option<&Checkpoint>,
    ) -> Result<(), StoreError> {
        check_checkpoint(tenancy, checkpoint)?;
        let rows = last_copies(rows, |r| r.lead_id);
        let now = now_millis();
        let mut tx = self.db().begin_sync_write().await?;
        let ws = check_tenancy(&mut tx, tenancy).await?;
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let sql = upsert_sql(
                "leads",
                leads::COLUMNS,
                &["integration_id", "lead_id"],
                "lead_id",
                chunk.len(),
            );
            let mut args = Vec::with_capacity(chunk.len() * leads::COLUMNS.len());
            for row in chunk {
                leads::bind(&mut args, tenancy, ws, row, now);
            }
            let written: Vec<Upserted> = tx.fetch_all(&sql, args).await?;
            let by_id: HashMap<i64, &LeadRow> = chunk.iter().map(|r| (r.lead_id, *r)).collect();
            let mut side = Vec::new();
            let mut parents = Vec::with_capacity(written.len());
            for w in &written {
                parents.push(w.id);
                if let Some(row) = by_id.get(&w.kommo_id) {
                    tag_rows(&mut side, w.id, ws, &row.tag_list);
                }
            }
            replace_side_rows(
                &mut tx,
                "lead_tags",
                "lead_ref",
                TAG_COLUMNS_LEAD,
                &parents,
                side,
            )
            .await?;
        }
        if let Some(checkpoint) = checkpoint {
            write_checkpoint(&mut tx, checkpoint).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Upserts a page of contacts (with their tags, emails, phones and lead links), and the
    /// checkpoint covering them, in one transaction.
    pub async fn write_contacts(
        &self,
        tenancy: &RowTenancy,
        rows: &[ContactRow],
        checkpoint: Option<&Checkpoint>,
    ) -> Result<(), StoreError> {
        check_checkpoint(tenancy, checkpoint)?;
        let rows = last_copies(rows, |r| r.contact_id);
        let now = now_millis();
        let mut tx = self.db().begin_sync_write().await?;
        let ws = check_tenancy(&mut tx, tenancy).await?;
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let sql = upsert_sql(
                "contacts",
                contacts::COLUMNS,
                &["integration_id", "contact_id"],
                "contact_id",
                chunk.len(),
            );
            let mut args = Vec::with_capacity(chunk.len() * contacts::COLUMNS.len());
            for row in chunk {
                contacts::bind(&mut args, tenancy, ws, row, now);
            }
            let written: Vec<Upserted> = tx.fetch_all(&sql, args).await?;
            let by_id: HashMap<i64, &ContactRow> =
                chunk.iter().map(|r| (r.contact_id, *r)).collect();
            let parents: Vec<i64> = written.iter().map(|w| w.id).collect();
            let (mut tags, mut emails, mut phones, mut links) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for w in &written {
                let Some(row) = by_id.get(&w.kommo_id) else {
                    continue;
                };
                tag_rows(&mut tags, w.id, ws, &row.tag_list);
                for (position, email) in row.email_list.iter().enumerate() {
                    emails.push(vec![
                        Arg::int(w.id),
                        Arg::int(ws),
                        Arg::int(position_arg(position)),
                        Arg::str(email),
                        Arg::string(normalize::email(email)),
                    ]);
                }
                for (position, phone) in row.phone_list.iter().enumerate() {
                    phones.push(vec![
                        Arg::int(w.id),
                        Arg::int(ws),
                        Arg::int(position_arg(position)),
                        Arg::str(phone),
                        Arg::string(normalize::phone(phone)),
                    ]);
                }
                for (position, lead_id) in row.lead_id_list.iter().enumerate() {
                    links.push(vec![
                        Arg::int(w.id),
                        Arg::int(ws),
                        Arg::int(position_arg(position)),
                        Arg::int(*lead_id),
                    ]);
                }
            }
            replace_side_rows(
                &mut tx,
                "contact_tags",
                "contact_ref",
                TAG_COLUMNS_CONTACT,
                &parents,
                tags,
            )
            .await?;
            replace_side_rows(
                &mut tx,
                "contact_emails",
                "contact_ref",
                &["contact_ref", "ws", "position", "value", "email"],
                &parents,
                emails,
            )
            .await?;
            replace_side_rows(
                &mut tx,
                "contact_phones",
                "contact_ref",
                &["contact_ref", "ws", "position", "value", "digits"],
                &parents,
                phones,
            )
            .await?;
            replace_side_rows(
                &mut tx,
                "contact_leads",
                "contact_ref",
                &["contact_ref", "ws", "position", "lead_id"],
                &parents,
                links,
            )
            .await?;
        }
        if let Some(checkpoint) = checkpoint {
            write_checkpoint(&mut tx, checkpoint).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Upserts a page of companies (with their tags, emails, phones and contact and lead
    /// links), and the checkpoint covering them, in one transaction.
    pub async fn write_companies(
        &self,
        tenancy: &RowTenancy,
        rows: &[CompanyRow],
        checkpoint: Option<&Checkpoint>,
    ) -> Result<(), StoreError> {
        check_checkpoint(tenancy, checkpoint)?;
        let rows = last_copies(rows, |r| r.company_id);
        let now = now_millis();
        let mut tx = self.db().begin_sync_write().await?;
        let ws = check_tenancy(&mut tx, tenancy).await?;
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let sql = upsert_sql(
                "companies",
                companies::COLUMNS,
                &["integration_id", "company_id"],
                "company_id",
                chunk.len(),
            );
            let mut args = Vec::with_capacity(chunk.len() * companies::COLUMNS.len());
            for row in chunk {
                companies::bind(&mut args, tenancy, ws, row, now);
            }
            let written: Vec<Upserted> = tx.fetch_all(&sql, args).await?;
            let by_id: HashMap<i64, &CompanyRow> =
                chunk.iter().map(|r| (r.company_id, *r)).collect();
            let parents: Vec<i64> = written.iter().map(|w| w.id).collect();
            let (mut tags, mut emails, mut phones, mut contacts, mut leads) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for w in &written {
                let Some(row) = by_id.get(&w.kommo_id) else {
                    continue;
                };
                tag_rows(&mut tags, w.id, ws, &row.tag_list);
                text_rows(&mut emails, w.id, ws, &row.email_list, normalize::email);
                text_rows(&mut phones, w.id, ws, &row.phone_list, normalize::phone);
                id_rows(&mut contacts, w.id, ws, &row.contact_id_list);
                id_rows(&mut leads, w.id, ws, &row.lead_id_list);
            }
            let sides = [
                ("company_tags", TAG_COLUMNS_COMPANY, tags),
                (
                    "company_emails",
                    &["company_ref", "ws", "position", "value", "email"][..],
                    emails,
                ),
                (
                    "company_phones",
                    &["company_ref", "ws", "position", "value", "digits"][..],
                    phones,
                ),
                (
                    "company_contacts",
                    &["company_ref", "ws", "position", "contact_id"][..],
                    contacts,
                ),
                (
                    "company_leads",
                    &["company_ref", "ws", "position", "lead_id"][..],
                    leads,
                ),
            ];
            for (table, columns, side) in sides {
                replace_side_rows(&mut tx, table, "company_ref", columns, &parents, side).await?;
            }
        }
        if let Some(checkpoint) = checkpoint {
            write_checkpoint(&mut tx, checkpoint).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Upserts a page of tasks, and the checkpoint covering them, in one transaction.
    pub async fn write_tasks(
        &self,
        tenancy: &RowTenancy,
        rows: &[TaskRow],
        checkpoint: Option<&Checkpoint>,
    ) -> Result<(), StoreError> {
        check_checkpoint(tenancy, checkpoint)?;
        let rows = last_copies(rows, |r| r.task_id);
        let now = now_millis();
        let mut tx = self.db().begin_sync_write().await?;
        let ws = check_tenancy(&mut tx, tenancy).await?;
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let sql = upsert_sql(
                "tasks",
                tasks::COLUMNS,
                &["integration_id", "task_id"],
                "task_id",
                chunk.len(),
            );
            let mut args = Vec::with_capacity(chunk.len() * tasks::COLUMNS.len());
            for row in chunk {
                tasks::bind(&mut args, tenancy, ws, row, now);
            }
            let _: Vec<Upserted> = tx.fetch_all(&sql, args).await?;
        }
        if let Some(checkpoint) = checkpoint {
            write_checkpoint(&mut tx, checkpoint).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Replaces the integration's pipelines: afterwards exactly `rows` are stored for it.
    pub async fn replace_pipelines(
        &self,
        tenancy: &RowTenancy,
        rows: &[PipelineRow],
    ) -> Result<(), StoreError> {
        let rows = last_copies(rows, |r| (r.pipeline_id, r.status_id));
        let now = now_millis();
        let mut tx = self.db().begin_sync_write().await?;
        let ws = check_tenancy(&mut tx, tenancy).await?;
        tx.execute(
            "DELETE FROM pipelines WHERE integration_id = ?",
            vec![Arg::str(&tenancy.integration_id)],
        )
        .await?;
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let mut args = Vec::with_capacity(chunk.len() * pipelines::COLUMNS.len());
            for row in chunk {
                pipelines::bind(&mut args, tenancy, ws, row, now);
            }
            tx.execute(
                &insert_sql("pipelines", pipelines::COLUMNS, chunk.len()),
                args,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Replaces the integration's users: afterwards exactly `rows` are stored for it.
    pub async fn replace_users(
        &self,
        tenancy: &RowTenancy,
        rows: &[UserRow],
    ) -> Result<(), StoreError> {
        let rows = last_copies(rows, |r| r.user_id);
        let now = now_millis();
        let mut tx = self.db().begin_sync_write().await?;
        let ws = check_tenancy(&mut tx, tenancy).await?;
        tx.execute(
            "DELETE FROM users WHERE integration_id = ?",
            vec![Arg::str(&tenancy.integration_id)],
        )
        .await?;
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let mut args = Vec::with_capacity(chunk.len() * users::COLUMNS.len());
            for row in chunk {
                users::bind(&mut args, tenancy, ws, row, now);
            }
            tx.execute(&insert_sql("users", users::COLUMNS, chunk.len()), args)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Flags leads, contacts, companies or tasks deleted in Kommo (`is_deleted = true`; their `updated_at`
    /// becomes the deletion time when that is later), with the checkpoint, in one transaction.
    /// A stored row keeps the rest of its columns, so its history stays. An id never stored
    /// (created and deleted between two syncs) is inserted as a deleted row holding what
    /// Kommo's `with=only_deleted` tells of it: the id and the deletion time; every other
    /// column is NULL, and a lead's NOT NULL `pipeline_id` / `status_id` are 0, Kommo's "none"
    /// (live-only reads, the default, never see these rows). Returns how many rows were
    /// flagged or inserted; rows already flagged are left alone.
    pub async fn mark_deleted(
        &self,
        tenancy: &RowTenancy,
        entity: EntityKind,
        deleted: &[DeletedRef],
        checkpoint: Option<&Checkpoint>,
    ) -> Result<u64, StoreError> {
        check_checkpoint(tenancy, checkpoint)?;
        // The NOT NULL columns Kommo's answer leaves without a value, and what they hold.
        let (table, id_column, resource, columns, fixed): (_, _, _, &[&str], Vec<Arg<'_>>) =
            match entity {
                EntityKind::Lead => (
                    "leads",
                    "lead_id",
                    "lead",
                    &["pipeline_id", "status_id"],
                    vec![Arg::int(0), Arg::int(0)],
                ),
                EntityKind::Contact => (
                    "contacts",
                    "contact_id",
                    "contact",
                    &["is_unsorted"],
                    vec![Arg::Bool(false)],
                ),
                EntityKind::Company => ("companies", "company_id", "company", &[], Vec::new()),
                EntityKind::Task => (
                    "tasks",
                    "task_id",
                    "task",
                    &["is_completed"],
                    vec![Arg::Bool(false)],
                ),
            };
        let mut all_columns = vec![
            "organization_id",
            "workspace_id",
            "ws",
            "integration_id",
            id_column,
            "updated_at",
            "is_deleted",
            "document_id",
            "inserted_at",
        ];
        all_columns.extend_from_slice(columns);
        let deleted = last_copies(deleted, |d| d.id);
        let now = now_millis();
        let mut tx = self.db().begin_sync_write().await?;
        let ws = check_tenancy(&mut tx, tenancy).await?;
        let mut flagged = 0;
        for chunk in deleted.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO {table} ({}) VALUES {} \
                 ON CONFLICT (integration_id, {id_column}) DO UPDATE SET \
                 is_deleted = excluded.is_deleted, inserted_at = excluded.inserted_at, \
                 updated_at = CASE WHEN {table}.updated_at IS NULL OR {table}.updated_at < excluded.updated_at \
                 THEN excluded.updated_at ELSE {table}.updated_at END \
                 WHERE {table}.is_deleted = ?",
                all_columns.join(", "),
                values_groups(chunk.len(), all_columns.len())
            );
            let mut args = Vec::with_capacity(chunk.len() * all_columns.len() + 1);
            for d in chunk {
                bind_tenancy(&mut args, tenancy, ws);
                args.extend([
                    Arg::int(d.id),
                    Arg::int(d.updated_at),
                    Arg::Bool(true),
                    Arg::string(document_id(&tenancy.integration_id, resource, &[d.id])),
                    Arg::int(now),
                ]);
                args.extend(fixed.iter().cloned());
            }
            args.push(Arg::Bool(false));
            flagged += tx.execute(&sql, args).await?;
        }
        if let Some(checkpoint) = checkpoint {
            write_checkpoint(&mut tx, checkpoint).await?;
        }
        tx.commit().await?;
        Ok(flagged)
    }

    /// The live companies of an integration whose stored links disagree with the stored
    /// leads and contacts: a company listing a lead (contact) that is stored deleted or
    /// linked to another company, or a live lead (contact) naming a company that does not
    /// list it. Kommo shows these links from both sides and a change on one side does not
    /// stamp the company, so the sync reads these companies again. Only rows both sides know
    /// are compared. Company ids, ascending.
    pub async fn companies_with_stale_links(
        &self,
        integration_id: &str,
    ) -> Result<Vec<i64>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Stale {
            company_id: i64,
        }
        let mut ids = Vec::new();
        for (side, other, id_column) in [
            ("company_leads", "leads", "lead_id"),
            ("company_contacts", "contacts", "contact_id"),
        ] {
            // Listed by the company, but the other row is deleted or names another company.
            let listed = format!(
                "SELECT DISTINCT c.company_id FROM companies c \
                 JOIN {side} s ON s.company_ref = c.id \
                 JOIN {other} o ON o.integration_id = c.integration_id AND o.{id_column} = s.{id_column} \
                 WHERE c.integration_id = ? AND c.is_deleted = ? \
                 AND (o.is_deleted = ? OR o.company_id IS NULL OR o.company_id <> c.company_id)"
            );
            let rows: Vec<Stale> = self
                .db()
                .fetch_all(
                    &listed,
                    vec![Arg::str(integration_id), Arg::Bool(false), Arg::Bool(true)],
                )
                .await?;
            ids.extend(rows.into_iter().map(|r| r.company_id));
            // A live row names the company, which does not list it.
            let unlisted = format!(
                "SELECT DISTINCT c.company_id FROM {other} o \
                 JOIN companies c ON c.integration_id = o.integration_id AND c.company_id = o.company_id \
                 WHERE o.integration_id = ? AND o.is_deleted = ? AND c.is_deleted = ? \
                 AND NOT EXISTS (SELECT 1 FROM {side} s WHERE s.company_ref = c.id AND s.{id_column} = o.{id_column})"
            );
            let rows: Vec<Stale> = self
                .db()
                .fetch_all(
                    &unlisted,
                    vec![Arg::str(integration_id), Arg::Bool(false), Arg::Bool(false)],
                )
                .await?;
            ids.extend(rows.into_iter().map(|r| r.company_id));
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// The last committed checkpoint of a stream.
    pub async fn checkpoint(
        &self,
        integration_id: &str,
        stream: &str,
    ) -> Result<Option<Checkpoint>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Record {
            cursor_updated_at: i64,
            cursor_id: i64,
            full_sync_done: bool,
            extra: Option<String>,
        }
        let row: Option<Record> = self
            .db()
            .fetch_optional(
                "SELECT cursor_updated_at, cursor_id, full_sync_done, extra FROM checkpoints \
                 WHERE integration_id = ? AND stream = ?",
                vec![Arg::str(integration_id), Arg::str(stream)],
            )
            .await?;
        Ok(row.map(|r| Checkpoint {
            integration_id: integration_id.to_owned(),
            stream: stream.to_owned(),
            cursor_updated_at: r.cursor_updated_at,
            cursor_id: r.cursor_id,
            full_sync_done: r.full_sync_done,
            extra: r.extra,
        }))
    }

    /// Saves a checkpoint on its own (e.g. a stream that found nothing new).
    pub async fn save_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        let mut tx = self.db().begin().await?;
        write_checkpoint(&mut tx, checkpoint)
            .await
            .map_err(|e| match e {
                StoreError::Database(sqlx::Error::Database(db))
                    if db.is_foreign_key_violation() =>
                {
                    StoreError::not_found(format!("integration {}", checkpoint.integration_id))
                }
                other => other,
            })?;
        tx.commit().await?;
        Ok(())
    }

    /// Keeps a synced dictionary (loss reasons, sources, tags, custom field definitions...) as JSON text.
    pub async fn save_dictionary(
        &self,
        integration_id: &str,
        kind: &str,
        json: &str,
    ) -> Result<(), StoreError> {
        self.db()
            .execute(
                "INSERT INTO dictionaries (integration_id, kind, body, saved_at) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (integration_id, kind) DO UPDATE SET body = excluded.body, saved_at = excluded.saved_at",
                vec![Arg::str(integration_id), Arg::str(kind), Arg::str(json), Arg::int(now_millis())],
            )
            .await
            .map_err(|e| match e {
                sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                    StoreError::not_found(format!("integration {integration_id}"))
                }
                other => StoreError::Database(other),
            })?;
        Ok(())
    }

    pub async fn dictionary(
        &self,
        integration_id: &str,
        kind: &str,
    ) -> Result<Option<String>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Record {
            body: String,
        }
        let row: Option<Record> = self
            .db()
            .fetch_optional(
                "SELECT body FROM dictionaries WHERE integration_id = ? AND kind = ?",
                vec![Arg::str(integration_id), Arg::str(kind)],
            )
            .await?;
        Ok(row.map(|r| r.body))
    }

    /// Records the start of a sync run; returns its id for `finish_run`.
    pub async fn begin_run(&self, integration_id: &str, kind: &str) -> Result<i64, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Record {
            id: i64,
        }
        let row: Option<Record> = self
            .db()
            .write_fetch_optional(
                "INSERT INTO sync_runs (integration_id, kind, status, started_at) VALUES (?, ?, ?, ?) RETURNING id",
                vec![Arg::str(integration_id), Arg::str(kind), Arg::str(RunStatus::Running.as_str()), Arg::int(now_millis())],
            )
            .await
            .map_err(|e| match e {
                sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                    StoreError::not_found(format!("integration {integration_id}"))
                }
                other => StoreError::Database(other),
            })?;
        row.map(|r| r.id)
            .ok_or_else(|| StoreError::not_found(format!("the new run of {integration_id}")))
    }

    /// Records how a run ended.
    pub async fn finish_run(&self, run_id: i64, outcome: &RunOutcome) -> Result<(), StoreError> {
        let count = |n: u64| Arg::int(i64::try_from(n).unwrap_or(i64::MAX));
        let changed = self
            .db()
            .execute(
                "UPDATE sync_runs SET status = ?, finished_at = ?, leads_written = ?, contacts_written = ?, \
                 pipelines_written = ?, users_written = ?, deleted_marked = ?, requests = ?, error = ? WHERE id = ?",
                vec![
                    Arg::str(outcome.status.as_str()),
                    Arg::int(now_millis()),
                    count(outcome.leads_written),
                    count(outcome.contacts_written),
                    count(outcome.pipelines_written),
                    count(outcome.users_written),
                    count(outcome.deleted_marked),
                    count(outcome.requests),
                    opt(&outcome.error),
                    Arg::int(run_id),
                ],
            )
            .await?;
        if changed == 0 {
            return Err(StoreError::not_found(format!("sync run {run_id}")));
        }
        Ok(())
    }

    /// The integration's most recent runs, newest first.
    pub async fn runs(&self, integration_id: &str, limit: u32) -> Result<Vec<SyncRun>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Record {
            id: i64,
            kind: String,
            status: String,
            started_at: i64,
            finished_at: Option<i64>,
            leads_written: i64,
            contacts_written: i64,
            pipelines_written: i64,
            users_written: i64,
            deleted_marked: i64,
            requests: i64,
            error: Option<String>,
        }
        let rows: Vec<Record> = self
            .db()
            .fetch_all(
                "SELECT id, kind, status, started_at, finished_at, leads_written, contacts_written, \
                 pipelines_written, users_written, deleted_marked, requests, error FROM sync_runs \
                 WHERE integration_id = ? ORDER BY id DESC LIMIT ?",
                vec![Arg::str(integration_id), Arg::int(i64::from(limit))],
            )
            .await?;
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        Ok(rows
            .into_iter()
            .map(|r| SyncRun {
                id: r.id,
                integration_id: integration_id.to_owned(),
                kind: r.kind,
                status: RunStatus::parse(&r.status),
                started_at: r.started_at,
                finished_at: r.finished_at,
                leads_written: n(r.leads_written),
                contacts_written: n(r.contacts_written),
                pipelines_written: n(r.pipelines_written),
                users_written: n(r.users_written),
                deleted_marked: n(r.deleted_marked),
                requests: n(r.requests),
                error: r.error,
            })
            .collect())
    }

    /// When the integration's newest run of `kind` (e.g. `full`) started, whatever its
    /// outcome, in Unix milliseconds; `None` if there never was one.
    pub async fn last_run_started(
        &self,
        integration_id: &str,
        kind: &str,
    ) -> Result<Option<i64>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Record {
            started_at: Option<i64>,
        }
        let row: Option<Record> = self
            .db()
            .fetch_optional(
                "SELECT MAX(started_at) AS started_at FROM sync_runs \
                 WHERE integration_id = ? AND kind = ?",
                vec![Arg::str(integration_id), Arg::str(kind)],
            )
            .await?;
        Ok(row.and_then(|r| r.started_at))
    }

    /// When the integration's newest successful sync run finished, in Unix milliseconds;
    /// `None` if none ever did. How fresh its rows are, for the read tools' results.
    pub async fn last_successful_sync(
        &self,
        integration_id: &str,
    ) -> Result<Option<i64>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Record {
            finished_at: Option<i64>,
        }
        let row: Option<Record> = self
            .db()
            .fetch_optional(
                "SELECT MAX(finished_at) AS finished_at FROM sync_runs \
                 WHERE integration_id = ? AND status = ?",
                vec![Arg::str(integration_id), Arg::str(RunStatus::Ok.as_str())],
            )
            .await?;
        Ok(row.and_then(|r| r.finished_at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_ids_in_a_page_keep_the_last_copy() {
        let rows = [(1, "a"), (2, "b"), (1, "c")];
        let kept: Vec<_> = last_copies(&rows, |r| r.0)
            .into_iter()
            .map(|r| r.1)
            .collect();
        assert_eq!(kept, ["b", "c"]);
    }

    #[test]
    fn upsert_updates_everything_but_the_key() {
        let sql = upsert_sql(
            "leads",
            &["integration_id", "lead_id", "price"],
            &["integration_id", "lead_id"],
            "lead_id",
            2,
        );
        assert!(sql.contains("VALUES (?, ?, ?), (?, ?, ?) ON CONFLICT (integration_id, lead_id) DO UPDATE SET price = excluded.price WHERE"));
        assert!(sql.ends_with("RETURNING id, lead_id AS kommo_id"));
    }
}
