//! Turns Kommo accounts into store rows: flattening, full and incremental runs, scheduling.
//!
//! - Flattening follows `shared/spec/data-api.md`: one module per synced entity, each with a
//!   `flatten.rs` (Kommo object to row) beside the run that fetches and writes it.
//! - A run ([`sync_integration`]) refreshes the dictionaries (so rows carry names), then
//!   pipelines and users, then streams leads, contacts, companies and tasks by `updated_at`
//!   from their checkpoints, and their deleted lists. Each page and the checkpoint covering it commit
//!   in one store call, so a crash at any instant loses nothing and repeats nothing twice.
//!   A full run that wrote many rows ends by refreshing the database's planner statistics.
//! - [`Scheduler`] runs many integrations: in parallel, on an interval, or as lease-holding
//!   workers across processes.
//! - The engine never prints: it reports [`ProgressEvent`]s and `metrics`.

pub mod companies;
pub mod connect;
pub mod contacts;
mod cursor;
pub mod dictionaries;
mod error;
pub mod flatten;
pub mod lead_history;
pub mod leads;
mod links;
pub mod metrics;
mod options;
pub mod pipelines;
mod progress;
mod run;
mod scheduler;
mod stream;
pub mod tasks;
pub mod tokens;
pub mod users;

pub use companies::flatten::{COMPANY_WITH, company_row};
pub use connect::{Limiters, client_for};
pub use contacts::flatten::{CONTACT_WITH, contact_row};
pub use dictionaries::Dictionaries;
pub use error::SyncError;
pub use flatten::{FlattenContext, Resource, document_id};
pub use leads::flatten::{LEAD_WITH, lead_row};
pub use options::{
    DEFAULT_ANALYZE_AFTER_ROWS, DEFAULT_FULL_EVERY, DEFAULT_OVERLAP, PAGE_SIZE, RunKind,
    RunSummary, StreamStats, SyncOptions,
};
pub use pipelines::flatten::pipeline_rows;
pub use progress::{Entity, EntityProgress, Progress, ProgressEvent};
pub use run::{sync_integration, tenancy_of};
pub use scheduler::{RoundResult, Scheduler, WorkerConfig};
pub use tasks::flatten::task_row;
pub use tokens::StoreTokenStore;
pub use users::flatten::user_row;

/// Every checkpoint stream a run keeps, as the store names them (`Store::checkpoint`): the
/// live and deleted streams of leads, contacts, companies and tasks, the lead events and the
/// stays' derivation.
pub const CHECKPOINT_STREAMS: [&str; 10] = [
    leads::STREAM,
    leads::DELETED_STREAM,
    contacts::STREAM,
    contacts::DELETED_STREAM,
    lead_history::STREAM,
    lead_history::STAGES_STREAM,
    companies::STREAM,
    companies::DELETED_STREAM,
    tasks::STREAM,
    tasks::DELETED_STREAM,
];
