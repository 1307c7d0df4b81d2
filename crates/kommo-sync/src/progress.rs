//! Progress events: the engine never prints; it reports what it does to whoever listens (the
//! command line draws bars or logs lines, a server may ignore them).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

/// What a run is working on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    Dictionaries,
    Pipelines,
    Users,
    Leads,
    DeletedLeads,
    Contacts,
    DeletedContacts,
    /// Lead events (status changes, added, deleted, restored) for the funnel history.
    LeadEvents,
    /// The stays derived from them (no Kommo requests).
    LeadStages,
    Companies,
    DeletedCompanies,
    Tasks,
    DeletedTasks,
}

impl Entity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dictionaries => "dictionaries",
            Self::Pipelines => "pipelines",
            Self::Users => "users",
            Self::Leads => "leads",
            Self::DeletedLeads => "deleted leads",
            Self::Contacts => "contacts",
            Self::DeletedContacts => "deleted contacts",
            Self::LeadEvents => "lead events",
            Self::LeadStages => "lead stages",
            Self::Companies => "companies",
            Self::DeletedCompanies => "deleted companies",
            Self::Tasks => "tasks",
            Self::DeletedTasks => "deleted tasks",
        }
    }
}

/// Where an entity's stream of one run stands.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityProgress {
    pub integration_id: String,
    pub entity: Entity,
    /// Rows received from Kommo so far in this run.
    pub rows: u64,
    /// Pages (requests) so far.
    pub pages: u64,
    pub elapsed: Duration,
    pub rows_per_second: f64,
    /// Kommo gives no totals for leads and contacts: estimated from how far the scan has
    /// come through time, `None` until that says something.
    pub estimated_total: Option<u64>,
}

/// One progress report.
#[derive(Debug, Clone, PartialEq)]
pub enum ProgressEvent {
    RunStarted {
        integration_id: String,
        run_id: i64,
        kind: crate::RunKind,
    },
    /// A page of `entity` was committed.
    Page(EntityProgress),
    /// `entity` is done for this run.
    EntityDone(EntityProgress),
    RunFinished {
        integration_id: String,
        ok: bool,
        message: String,
    },
}

impl ProgressEvent {
    pub fn integration_id(&self) -> &str {
        match self {
            Self::RunStarted { integration_id, .. } | Self::RunFinished { integration_id, .. } => {
                integration_id
            }
            Self::Page(p) | Self::EntityDone(p) => &p.integration_id,
        }
    }
}

type Callback = Arc<dyn Fn(ProgressEvent) + Send + Sync>;

/// A progress listener: nothing, a callback, or a channel. Cheap to clone.
#[derive(Clone, Default)]
pub struct Progress {
    callback: Option<Callback>,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress")
            .field("listening", &self.callback.is_some())
            .finish()
    }
}

impl Progress {
    /// Nobody listens.
    pub fn none() -> Self {
        Self::default()
    }

    /// Calls `f` with every event, on the sync task: it must return quickly.
    pub fn callback(f: impl Fn(ProgressEvent) + Send + Sync + 'static) -> Self {
        Self {
            callback: Some(Arc::new(f)),
        }
    }

    /// Events on an unbounded channel (they are small and few: one per page).
    pub fn channel() -> (Self, mpsc::UnboundedReceiver<ProgressEvent>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Self::callback(move |event| drop(tx.send(event))), rx)
    }

    pub(crate) fn emit(&self, event: ProgressEvent) {
        if let Some(callback) = &self.callback {
            callback(event);
        }
    }
}
