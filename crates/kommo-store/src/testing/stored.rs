//! Every stored row of an integration, without a grant and with the side lists filled: for
//! tests that compare a sync's result with its source. Not a data API read (those take a
//! `Grant`); compiled only with the `testing` feature.

use crate::Store;
use crate::db::Arg;
use crate::error::StoreError;
use crate::resources::{companies, contacts, leads, pipelines, tasks, users};
use crate::rows::{
    CompanyRow, ContactRow, LeadRow, LeadStageRow, LeadStatusChangeRow, PipelineRow, RowTag,
    TaskRow, UserRow,
};

/// `id, <columns>`: every stored column (the decoders ignore `ws`).
fn select(columns: &[&str]) -> String {
    let mut out = String::from("id");
    for c in columns {
        out.push_str(", ");
        out.push_str(c);
    }
    out
}

impl Store {
    /// Every stored lead of an integration (deleted ones too), by lead id, with `tag_list`
    /// filled.
    pub async fn all_lead_rows(&self, integration_id: &str) -> Result<Vec<LeadRow>, StoreError> {
        let sql = format!(
            "SELECT {} FROM leads WHERE integration_id = ? ORDER BY lead_id",
            select(leads::COLUMNS)
        );
        let mut rows: Vec<LeadRow> = self
            .db()
            .fetch_all(&sql, vec![Arg::str(integration_id)])
            .await?;
        let tags: Vec<SideTag> = self
            .db()
            .fetch_all(
                "SELECT l.lead_id AS parent, t.position, t.tag_id, t.name, t.color FROM lead_tags t \
                 JOIN leads l ON l.id = t.lead_ref WHERE l.integration_id = ? ORDER BY l.lead_id, t.position",
                vec![Arg::str(integration_id)],
            )
            .await?;
        let (id, parent) = (|r: &LeadRow| r.lead_id, |t: &SideTag| t.parent);
        attach(&mut rows, tags, id, parent, |r, t| {
            r.tag_list.push(t.into_tag())
        });
        Ok(rows)
    }

    /// Every stored contact of an integration, by contact id, with the side lists filled
    /// (emails and phones as they were given).
    pub async fn all_contact_rows(
        &self,
        integration_id: &str,
    ) -> Result<Vec<ContactRow>, StoreError> {
        let sql = format!(
            "SELECT {} FROM contacts WHERE integration_id = ? ORDER BY contact_id",
            select(contacts::COLUMNS)
        );
        let mut rows: Vec<ContactRow> = self
            .db()
            .fetch_all(&sql, vec![Arg::str(integration_id)])
            .await?;
        let args = || vec![Arg::str(integration_id)];
        let tags: Vec<SideTag> = self
            .db()
            .fetch_all(
                "SELECT c.contact_id AS parent, t.position, t.tag_id, t.name, t.color FROM contact_tags t \
                 JOIN contacts c ON c.id = t.contact_ref WHERE c.integration_id = ? ORDER BY c.contact_id, t.position",
                args(),
            )
            .await?;
        let emails: Vec<SideText> = self
            .db()
            .fetch_all(
                "SELECT c.contact_id AS parent, s.value FROM contact_emails s \
                 JOIN contacts c ON c.id = s.contact_ref WHERE c.integration_id = ? ORDER BY c.contact_id, s.position",
                args(),
            )
            .await?;
        let phones: Vec<SideText> = self
            .db()
            .fetch_all(
                "SELECT c.contact_id AS parent, s.value FROM contact_phones s \
                 JOIN contacts c ON c.id = s.contact_ref WHERE c.integration_id = ? ORDER BY c.contact_id, s.position",
                args(),
            )
            .await?;
        let links: Vec<SideInt> = self
            .db()
            .fetch_all(
                "SELECT c.contact_id AS parent, s.lead_id AS value FROM contact_leads s \
                 JOIN contacts c ON c.id = s.contact_ref WHERE c.integration_id = ? ORDER BY c.contact_id, s.position",
                args(),
            )
            .await?;
        let id = |r: &ContactRow| r.contact_id;
        let tag = |t: &SideTag| t.parent;
        let text = |s: &SideText| s.parent;
        attach(&mut rows, tags, id, tag, |r, t| {
            r.tag_list.push(t.into_tag())
        });
        attach(&mut rows, emails, id, text, |r, e| {
            r.email_list.push(e.value)
        });
        attach(&mut rows, phones, id, text, |r, p| {
            r.phone_list.push(p.value)
        });
        let link = |s: &SideInt| s.parent;
        attach(&mut rows, links, id, link, |r, l| {
            r.lead_id_list.push(l.value)
        });
        Ok(rows)
    }

    /// Every stored company of an integration, by company id, with the side lists filled
    /// (emails and phones as they were given).
    pub async fn all_company_rows(
        &self,
        integration_id: &str,
    ) -> Result<Vec<CompanyRow>, StoreError> {
        let sql = format!(
            "SELECT {} FROM companies WHERE integration_id = ? ORDER BY company_id",
            select(companies::COLUMNS)
        );
        let mut rows: Vec<CompanyRow> = self
            .db()
            .fetch_all(&sql, vec![Arg::str(integration_id)])
            .await?;
        let args = || vec![Arg::str(integration_id)];
        let side = |table: &str, value: &str| {
            format!(
                "SELECT c.company_id AS parent, s.{value} AS value FROM {table} s \
                 JOIN companies c ON c.id = s.company_ref WHERE c.integration_id = ? \
                 ORDER BY c.company_id, s.position"
            )
        };
        let tags: Vec<SideTag> = self
            .db()
            .fetch_all(
                "SELECT c.company_id AS parent, t.position, t.tag_id, t.name, t.color FROM company_tags t \
                 JOIN companies c ON c.id = t.company_ref WHERE c.integration_id = ? ORDER BY c.company_id, t.position",
                args(),
            )
            .await?;
        let emails: Vec<SideText> = self
            .db()
            .fetch_all(&side("company_emails", "value"), args())
            .await?;
        let phones: Vec<SideText> = self
            .db()
            .fetch_all(&side("company_phones", "value"), args())
            .await?;
        let contacts: Vec<SideInt> = self
            .db()
            .fetch_all(&side("company_contacts", "contact_id"), args())
            .await?;
        let leads: Vec<SideInt> = self
            .db()
            .fetch_all(&side("company_leads", "lead_id"), args())
            .await?;
        let id = |r: &CompanyRow| r.company_id;
        let tag = |t: &SideTag| t.parent;
        let text = |s: &SideText| s.parent;
        let link = |s: &SideInt| s.parent;
        attach(&mut rows, tags, id, tag, |r, t| {
            r.tag_list.push(t.into_tag())
        });
        attach(&mut rows, emails, id, text, |r, e| {
            r.email_list.push(e.value)
        });
        attach(&mut rows, phones, id, text, |r, p| {
            r.phone_list.push(p.value)
        });
        attach(&mut rows, contacts, id, link, |r, c| {
            r.contact_id_list.push(c.value)
        });
        attach(&mut rows, leads, id, link, |r, l| {
            r.lead_id_list.push(l.value)
        });
        Ok(rows)
    }

    /// Every stored task of an integration (deleted ones too), by task id.
    pub async fn all_task_rows(&self, integration_id: &str) -> Result<Vec<TaskRow>, StoreError> {
        let sql = format!(
            "SELECT {} FROM tasks WHERE integration_id = ? ORDER BY task_id",
            select(tasks::COLUMNS)
        );
        Ok(self
            .db()
            .fetch_all(&sql, vec![Arg::str(integration_id)])
            .await?)
    }

    /// Every stored (pipeline, status) row of an integration, in the default order.
    pub async fn all_pipeline_rows(
        &self,
        integration_id: &str,
    ) -> Result<Vec<PipelineRow>, StoreError> {
        let sql = format!(
            "SELECT {} FROM pipelines WHERE integration_id = ? ORDER BY pipeline_sort, pipeline_id, sort, status_id",
            select(pipelines::COLUMNS)
        );
        Ok(self
            .db()
            .fetch_all(&sql, vec![Arg::str(integration_id)])
            .await?)
    }

    /// Every stored user of an integration, by user id.
    pub async fn all_user_rows(&self, integration_id: &str) -> Result<Vec<UserRow>, StoreError> {
        let sql = format!(
            "SELECT {} FROM users WHERE integration_id = ? ORDER BY user_id",
            select(users::COLUMNS)
        );
        Ok(self
            .db()
            .fetch_all(&sql, vec![Arg::str(integration_id)])
            .await?)
    }

    /// Every stored status change of an integration's leads, by lead, time and event id.
    pub async fn all_lead_status_change_rows(
        &self,
        integration_id: &str,
    ) -> Result<Vec<LeadStatusChangeRow>, StoreError> {
        Ok(self
            .db()
            .fetch_all(
                "SELECT * FROM lead_status_changes WHERE integration_id = ? \
                 ORDER BY lead_id, changed_at, event_id",
                vec![Arg::str(integration_id)],
            )
            .await?)
    }

    /// Every stored stay of an integration's leads, by lead and entry time.
    pub async fn all_lead_stage_rows(
        &self,
        integration_id: &str,
    ) -> Result<Vec<LeadStageRow>, StoreError> {
        Ok(self
            .db()
            .fetch_all(
                "SELECT * FROM lead_stages_served WHERE integration_id = ? \
                 ORDER BY lead_id, entered_at, id",
                vec![Arg::str(integration_id)],
            )
            .await?)
    }
}

/// Hands each side row to its parent row: `rows` (by `id`) and `side` (by `parent`) are
/// both sorted by the parent's Kommo id; side rows of no listed parent are dropped.
fn attach<R, S>(
    rows: &mut [R],
    side: Vec<S>,
    id: impl Fn(&R) -> i64,
    parent: impl Fn(&S) -> i64,
    mut add: impl FnMut(&mut R, S),
) {
    let mut side = side.into_iter().peekable();
    for row in rows {
        let id = id(row);
        while let Some(s) = side.next_if(|s| parent(s) <= id) {
            if parent(&s) == id {
                add(row, s);
            }
        }
    }
}

#[derive(sqlx::FromRow)]
struct SideTag {
    parent: i64,
    tag_id: i64,
    name: String,
    color: Option<String>,
}

impl SideTag {
    fn into_tag(self) -> RowTag {
        RowTag {
            id: self.tag_id,
            name: self.name,
            color: self.color,
        }
    }
}

#[derive(sqlx::FromRow)]
struct SideText {
    parent: i64,
    value: String,
}

#[derive(sqlx::FromRow)]
struct SideInt {
    parent: i64,
    value: i64,
}
