//! One sync run of one integration: dictionaries first (so rows resolve names), pipelines,
//! users, then the leads, contacts, companies and tasks streams with their deleted lists,
//! then the lead events and the stays derived from them. The run and its outcome are
//! recorded in the store's run history, failures with their message.

use std::sync::Arc;
use std::time::Instant;

use kommo_store::rows::RowTenancy;
use kommo_store::{Integration, RunOutcome, RunStatus, Store};

use crate::companies::{CompaniesFeed, DeletedCompaniesFeed};
use crate::connect::client_for;
use crate::contacts::{ContactsFeed, DeletedContactsFeed};
use crate::dictionaries;
use crate::error::SyncError;
use crate::leads::{self, DeletedLeadsFeed, LeadsFeed};
use crate::links::{self, LinkLog};
use crate::metrics;
use crate::options::{RunKind, RunSummary, StreamStats, SyncOptions};
use crate::progress::{Entity, EntityProgress, Progress, ProgressEvent};
use crate::stream::{RunContext, WriteContext, run_stream};
use crate::tasks::{DeletedTasksFeed, TasksFeed};
use crate::{lead_history, pipelines, users};

/// The tenancy rows of `integration` are written under.
pub fn tenancy_of(integration: &Integration) -> RowTenancy {
    RowTenancy {
        integration_id: integration.id.clone(),
        workspace_id: integration.workspace_id.clone(),
        organization_id: integration.organization_id.clone(),
    }
}

/// Whether the integration's last full run started more than [`SyncOptions::full_every`]
/// ago. A full run that did not finish counts: the runs after it resume its pass from the
/// checkpoints it left, rather than start it again each time.
async fn full_pass_due(
    store: &Store,
    integration_id: &str,
    options: &SyncOptions,
) -> Result<bool, SyncError> {
    let Some(every) = options.full_every else {
        return Ok(false);
    };
    let last = store
        .last_run_started(integration_id, RunKind::Full.as_str())
        .await
        .map_err(SyncError::store("reading the run history"))?;
    let every_ms = i64::try_from(every.as_millis()).unwrap_or(i64::MAX);
    Ok(last.is_none_or(|started| {
        chrono::Utc::now()
            .timestamp_millis()
            .saturating_sub(started)
            >= every_ms
    }))
}

/// Syncs one integration once: a full pass the first time (resuming an interrupted one) and
/// again every [`SyncOptions::full_every`], incremental otherwise. The run is recorded
/// whatever happens; an error is returned (and recorded) when the run could not finish, with
/// everything committed before it kept.
pub async fn sync_integration(
    store: &Store,
    integration: &Integration,
    options: &SyncOptions,
    progress: &Progress,
) -> Result<RunSummary, SyncError> {
    let id = integration.id.as_str();
    let full_done = store
        .checkpoint(id, leads::STREAM)
        .await
        .map_err(SyncError::store("reading a checkpoint"))?
        .is_some_and(|c| c.full_sync_done);
    let full_due = full_done && !options.full && full_pass_due(store, id, options).await?;
    let periodic;
    let options = if full_due {
        periodic = SyncOptions {
            full: true,
            ..options.clone()
        };
        &periodic
    } else {
        options
    };
    let kind = if full_done && !options.full {
        RunKind::Incremental
    } else {
        RunKind::Full
    };
    let run_id = store
        .begin_run(id, kind.as_str())
        .await
        .map_err(SyncError::store("recording the run"))?;
    progress.emit(ProgressEvent::RunStarted {
        integration_id: id.to_owned(),
        run_id,
        kind,
    });
    let started_at = chrono::Utc::now().timestamp();
    let started = Instant::now();
    let limiter = options.limiters.for_integration(integration);
    let before = limiter.stats();

    let mut summary = RunSummary {
        integration_id: id.to_owned(),
        run_id,
        kind,
        leads: StreamStats::default(),
        deleted_leads: StreamStats::default(),
        contacts: StreamStats::default(),
        deleted_contacts: StreamStats::default(),
        lead_events: StreamStats::default(),
        restaged_leads: 0,
        companies: StreamStats::default(),
        deleted_companies: StreamStats::default(),
        tasks: StreamStats::default(),
        deleted_tasks: StreamStats::default(),
        pipeline_rows: 0,
        users: 0,
        relinked_leads: 0,
        relinked_contacts: 0,
        relinked_companies: 0,
        analyzed: false,
        requests: 0,
        rate_limited: 0,
        elapsed: Default::default(),
        warnings: Vec::new(),
    };
    let result = run_parts(
        store,
        integration,
        options,
        progress,
        limiter.clone(),
        &mut summary,
    )
    .await;
    if result.is_ok() {
        analyze_after_large_full_run(store, options, &mut summary).await;
    }

    let after = limiter.stats();
    summary.requests = after.permits.saturating_sub(before.permits);
    summary.rate_limited = after.rate_limited.saturating_sub(before.rate_limited);
    summary.elapsed = started.elapsed();
    let error = result.as_ref().err().map(ToString::to_string);
    let outcome = RunOutcome {
        status: if result.is_ok() {
            RunStatus::Ok
        } else {
            RunStatus::Failed
        },
        leads_written: summary.leads.rows,
        contacts_written: summary.contacts.rows,
        pipelines_written: summary.pipeline_rows,
        users_written: summary.users,
        deleted_marked: summary.deleted_leads.flagged
            + summary.deleted_contacts.flagged
            + summary.deleted_companies.flagged
            + summary.deleted_tasks.flagged,
        requests: summary.requests,
        error: error.clone(),
    };
    metrics::run_finished(
        id,
        result.is_ok(),
        summary.requests,
        summary.rate_limited,
        summary.elapsed.as_secs_f64(),
    );
    if let Err(e) = &result {
        tracing::warn!(integration = id, run_id, error = %e, "sync run failed");
    } else {
        metrics::run_succeeded(id, started_at);
    }
    let recorded = store
        .finish_run(run_id, &outcome)
        .await
        .map_err(SyncError::store("recording the run's outcome"));
    progress.emit(ProgressEvent::RunFinished {
        integration_id: id.to_owned(),
        ok: result.is_ok(),
        message: error.unwrap_or_else(|| {
            format!(
                "{} run: {} leads, {} contacts, {} companies, {} tasks, {} deleted flagged, {} requests in {:.1}s{}",
                kind.as_str(),
                summary.leads.rows,
                summary.contacts.rows,
                summary.companies.rows,
                summary.tasks.rows,
                outcome.deleted_marked,
                summary.requests,
                summary.elapsed.as_secs_f64(),
                if summary.analyzed {
                    "; planner statistics refreshed"
                } else {
                    ""
                }
            )
        }),
    });
    result?;
    recorded?;
    Ok(summary)
}

async fn run_parts(
    store: &Store,
    integration: &Integration,
    options: &SyncOptions,
    progress: &Progress,
    limiter: kommo::RateLimiter,
    summary: &mut RunSummary,
) -> Result<(), SyncError> {
    let client =
        client_for(store, integration, limiter, options.client.clone()).map_err(|source| {
            SyncError::Client {
                integration_id: integration.id.clone(),
                source,
            }
        })?;
    let tenancy = tenancy_of(integration);
    let step = Instant::now();
    let fetched = dictionaries::refresh(&client, store, &integration.id).await?;
    done(
        progress,
        &integration.id,
        Entity::Dictionaries,
        fetched.items,
        step,
    );
    summary.warnings.extend(fetched.warnings);
    let write = WriteContext {
        store: store.clone(),
        tenancy: tenancy.clone(),
        dictionaries: Arc::new(fetched.dictionaries),
        links: Arc::new(LinkLog::new(summary.kind == RunKind::Incremental)),
    };
    let ctx = RunContext {
        store,
        client: &client,
        tenancy: &tenancy,
        dictionaries: &write.dictionaries,
        options,
        progress,
        write: &write,
    };
    let step = Instant::now();
    summary.pipeline_rows = pipelines::write(&ctx, &fetched.pipelines).await?;
    done(
        progress,
        &integration.id,
        Entity::Pipelines,
        summary.pipeline_rows,
        step,
    );
    let step = Instant::now();
    summary.users = users::sync(&ctx, &mut summary.warnings).await?.unwrap_or(0);
    done(
        progress,
        &integration.id,
        Entity::Users,
        summary.users,
        step,
    );
    run_stream(&LeadsFeed { ctx }, &ctx, &mut summary.leads).await?;
    run_stream(&DeletedLeadsFeed { ctx }, &ctx, &mut summary.deleted_leads).await?;
    run_stream(&ContactsFeed { ctx }, &ctx, &mut summary.contacts).await?;
    run_stream(
        &DeletedContactsFeed { ctx },
        &ctx,
        &mut summary.deleted_contacts,
    )
    .await?;
    let repaired = links::repair(&ctx, &write.links).await?;
    summary.relinked_leads = repaired.leads;
    summary.relinked_contacts = repaired.contacts;
    run_stream(&CompaniesFeed { ctx }, &ctx, &mut summary.companies).await?;
    run_stream(
        &DeletedCompaniesFeed { ctx },
        &ctx,
        &mut summary.deleted_companies,
    )
    .await?;
    summary.relinked_companies = crate::companies::relink(&ctx).await?;
    run_stream(&TasksFeed { ctx }, &ctx, &mut summary.tasks).await?;
    run_stream(&DeletedTasksFeed { ctx }, &ctx, &mut summary.deleted_tasks).await?;
    lead_history::sync_events(&ctx, &mut summary.lead_events).await?;
    let step = Instant::now();
    summary.restaged_leads = lead_history::derive_stages(&ctx).await?;
    done(
        progress,
        &integration.id,
        Entity::LeadStages,
        summary.restaged_leads,
        step,
    );
    Ok(())
}

/// Refreshes the planner statistics after a full run that wrote many rows: a first sync takes
/// the tables from empty to their full size, and the data API's index choices (SQLite picks
/// among the per-filter indexes by these statistics) are only as good as them. A failure
/// leaves a warning, not a failed run: the data is complete, only plans may be slower until
/// the next refresh.
async fn analyze_after_large_full_run(
    store: &Store,
    options: &SyncOptions,
    summary: &mut RunSummary,
) {
    if summary.kind != RunKind::Full {
        return;
    }
    let written = [
        summary.leads,
        summary.deleted_leads,
        summary.contacts,
        summary.deleted_contacts,
    ]
    .iter()
    .map(|s| s.rows)
    .sum::<u64>();
    if written <= options.analyze_after_rows {
        return;
    }
    let started = Instant::now();
    match store.analyze().await {
        Ok(()) => {
            summary.analyzed = true;
            tracing::info!(
                integration = %summary.integration_id,
                rows = written,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "refreshed the planner statistics after a large full run"
            );
        }
        Err(error) => {
            tracing::warn!(integration = %summary.integration_id, %error, "refreshing the planner statistics failed");
            summary.warnings.push(format!(
                "refreshing the database's planner statistics after {written} rows failed: {error}; \
                 queries may choose slower plans until the next large run (or autovacuum) refreshes them"
            ));
        }
    }
}

/// Reports a step that is not a paged stream (one event when it is done).
fn done(progress: &Progress, integration_id: &str, entity: Entity, rows: u64, started: Instant) {
    let elapsed = started.elapsed();
    progress.emit(ProgressEvent::EntityDone(EntityProgress {
        integration_id: integration_id.to_owned(),
        entity,
        rows,
        pages: 1,
        elapsed,
        rows_per_second: if elapsed.as_secs_f64() > 0.0 {
            rows as f64 / elapsed.as_secs_f64()
        } else {
            0.0
        },
        estimated_total: Some(rows),
    }));
}
