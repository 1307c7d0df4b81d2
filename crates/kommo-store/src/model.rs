//! The store's own records: tenancy, integrations and their secrets, checkpoints, sync runs.

use secrecy::SecretString;

/// A customer of this service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: String,
    pub name: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// A group of integrations inside an organization; credentials are granted workspaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// How the service authenticates to one Kommo account.
#[derive(Debug, Clone)]
pub enum IntegrationAuth {
    /// A long-lived token issued in the Kommo account's settings.
    LongLivedToken(SecretString),
    /// An OAuth 2 integration; the token pair is kept with `save_oauth_tokens`.
    OAuth {
        client_id: String,
        client_secret: SecretString,
        redirect_uri: String,
    },
}

/// What `create_integration` needs; the organization is the workspace's.
#[derive(Debug, Clone)]
pub struct NewIntegration {
    pub id: String,
    pub workspace_id: String,
    /// The account's API base, e.g. `https://example.kommo.com` (or the simulator's).
    pub base_url: String,
    pub auth: IntegrationAuth,
    /// Kommo allows about 7 requests a second per integration.
    pub rate_limit_per_second: u32,
}

/// One Kommo account synced into a workspace.
#[derive(Debug, Clone)]
pub struct Integration {
    pub id: String,
    pub organization_id: String,
    pub workspace_id: String,
    pub base_url: String,
    pub auth: IntegrationAuth,
    pub rate_limit_per_second: u32,
    /// Unix milliseconds.
    pub created_at: i64,
    /// The worker holding the sync lease, while it holds it.
    pub lease_owner: Option<String>,
    /// Unix milliseconds.
    pub lease_expires_at: Option<i64>,
    /// When a worker last released its lease (Unix milliseconds).
    pub last_sync_at: Option<i64>,
}

/// An OAuth token pair. `Debug` shows no token.
#[derive(Debug, Clone)]
pub struct StoredTokens {
    pub access_token: SecretString,
    pub refresh_token: SecretString,
    /// Unix seconds.
    pub expires_at: i64,
}

/// Freshly created API credentials: the secret is shown once, only its keyed hash is kept.
#[derive(Debug, Clone)]
pub struct NewCredentials {
    pub client_id: String,
    pub client_secret: SecretString,
}

/// Where a sync stream stopped: rows up to this cursor are committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub integration_id: String,
    /// E.g. `leads`, `contacts`, `leads:deleted`.
    pub stream: String,
    /// Unix seconds of the last committed `updated_at`.
    pub cursor_updated_at: i64,
    /// The Kommo id of the last committed row at that `updated_at`.
    pub cursor_id: i64,
    pub full_sync_done: bool,
    /// Free-form state of the stream (e.g. a page number), as the sync engine wants it.
    pub extra: Option<String>,
}

/// Entities that are soft-deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityKind {
    Lead,
    Contact,
    Company,
    Task,
}

/// A lead or contact Kommo reports deleted, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeletedRef {
    pub id: i64,
    /// Unix seconds of the deletion (becomes the row's `updated_at` if later than it).
    pub updated_at: i64,
}

/// How a sync run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Running,
    Ok,
    Failed,
}

impl RunStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Ok => "ok",
            RunStatus::Failed => "failed",
        }
    }

    pub(crate) fn parse(text: &str) -> RunStatus {
        match text {
            "ok" => RunStatus::Ok,
            "failed" => RunStatus::Failed,
            _ => RunStatus::Running,
        }
    }
}

/// What `finish_run` records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutcome {
    pub status: RunStatus,
    pub leads_written: u64,
    pub contacts_written: u64,
    pub pipelines_written: u64,
    pub users_written: u64,
    pub deleted_marked: u64,
    pub requests: u64,
    pub error: Option<String>,
}

/// One recorded sync run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRun {
    pub id: i64,
    pub integration_id: String,
    /// E.g. `full`, `incremental`.
    pub kind: String,
    pub status: RunStatus,
    /// Unix milliseconds.
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub leads_written: u64,
    pub contacts_written: u64,
    pub pipelines_written: u64,
    pub users_written: u64,
    pub deleted_marked: u64,
    pub requests: u64,
    pub error: Option<String>,
}

/// Stored rows of one integration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EntityCounts {
    /// Live leads (not deleted in Kommo).
    pub leads: u64,
    pub deleted_leads: u64,
    pub contacts: u64,
    pub deleted_contacts: u64,
    /// (pipeline, status) rows.
    pub pipeline_rows: u64,
    pub users: u64,
    /// Real status changes of leads (the funnel history).
    pub lead_status_changes: u64,
    /// Stays of leads in stages.
    pub lead_stages: u64,
    pub companies: u64,
    pub deleted_companies: u64,
    pub tasks: u64,
    pub deleted_tasks: u64,
}
