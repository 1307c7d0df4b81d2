//! How a run behaves (overlap, full re-sync, client settings, cancellation) and what it did.

use std::time::Duration;

use kommo::ClientConfig;
use tokio_util::sync::CancellationToken;

use crate::connect::Limiters;

/// Kommo's largest page.
pub const PAGE_SIZE: u32 = kommo_model::query::MAX_LIMIT;

/// How far before its checkpoint an incremental run starts again: rows whose `updated_at`
/// became visible late (or that share the checkpoint's second) are read again; upserts make
/// the repeat harmless.
pub const DEFAULT_OVERLAP: Duration = Duration::from_secs(300);

/// How long after the last full pass started a run reads everything again. Incremental runs
/// see what Kommo stamps with a new `updated_at`; this pass catches what it does not (a link
/// change that stamps neither side, a row edited by hand in the store) within a day.
pub const DEFAULT_FULL_EVERY: Duration = Duration::from_secs(24 * 60 * 60);

/// A full run that wrote more rows than this refreshes the database's planner statistics at
/// its end ([`kommo_store::Store::analyze`]): the data API's index choices depend on them,
/// and a first sync changes the tables' sizes by orders of magnitude at once.
pub const DEFAULT_ANALYZE_AFTER_ROWS: u64 = 10_000;

/// Settings of sync runs. Cheap to clone; clones share the limiters and the cancellation.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub overlap: Duration,
    /// Read everything again from the start instead of from the checkpoints.
    pub full: bool,
    /// Read everything again when the integration's last full run started longer ago than
    /// this (`None`: only `full` forces another pass).
    pub full_every: Option<Duration>,
    pub client: ClientConfig,
    /// Stops runs between pages; what was committed stays.
    pub cancel: CancellationToken,
    pub limiters: Limiters,
    /// A full run that wrote more leads and contacts (deleted ones included) than this ends
    /// with [`kommo_store::Store::analyze`]; incremental runs never do (they change the
    /// tables' statistics little, and would pay seconds each time on a large store).
    pub analyze_after_rows: u64,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            overlap: DEFAULT_OVERLAP,
            full: false,
            full_every: Some(DEFAULT_FULL_EVERY),
            client: ClientConfig::default(),
            cancel: CancellationToken::new(),
            limiters: Limiters::new(),
            analyze_after_rows: DEFAULT_ANALYZE_AFTER_ROWS,
        }
    }
}

/// Whether a run started from nothing or from checkpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    /// No complete pass yet, `--full`, or the last full pass started longer ago than
    /// [`SyncOptions::full_every`]: reads every row.
    Full,
    /// Reads what changed since the checkpoints (minus the overlap).
    Incremental,
}

impl RunKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Incremental => "incremental",
        }
    }
}

/// What one stream of a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// Rows received (overlap repeats included) and written.
    pub rows: u64,
    /// Rows newly flagged deleted, or stored deleted when never seen before (deleted streams
    /// only).
    pub flagged: u64,
    pub pages: u64,
}

/// What a successful run did.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    pub integration_id: String,
    pub run_id: i64,
    pub kind: RunKind,
    pub leads: StreamStats,
    pub deleted_leads: StreamStats,
    pub contacts: StreamStats,
    pub deleted_contacts: StreamStats,
    /// Lead events read (`rows`) and new status changes among them (`flagged`).
    pub lead_events: StreamStats,
    /// Leads whose stays were derived again.
    pub restaged_leads: u64,
    pub companies: StreamStats,
    pub deleted_companies: StreamStats,
    pub tasks: StreamStats,
    /// Tasks flagged deleted from the `task_deleted` events read.
    pub deleted_tasks: StreamStats,
    pub pipeline_rows: u64,
    pub users: u64,
    /// Rows read again because a link changed on the other side (see `links`).
    pub relinked_leads: u64,
    pub relinked_contacts: u64,
    /// Companies read again because their links changed on the lead's or contact's side.
    pub relinked_companies: u64,
    /// Requests sent to Kommo (retries included).
    pub requests: u64,
    /// 429 answers received (zero when the limiter does its job).
    pub rate_limited: u64,
    pub elapsed: Duration,
    /// Whether the run ended by refreshing the database's planner statistics (a full run
    /// that wrote more than [`SyncOptions::analyze_after_rows`] rows).
    pub analyzed: bool,
    /// Things that did not stop the run but left something unrefreshed (e.g. users of a
    /// token without admin rights).
    pub warnings: Vec<String>,
}
