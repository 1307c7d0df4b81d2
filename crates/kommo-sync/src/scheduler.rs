//! Running many integrations: all at once in one process (each with its own rate limiter),
//! on an interval until cancelled, or as one of several workers that share integrations
//! through store leases (one worker per integration at a time; a dead worker's lease
//! expires and another takes over, resuming from the checkpoints).

use std::collections::HashSet;
use std::time::Duration;

use kommo_store::{Integration, Store};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::error::SyncError;
use crate::options::{RunSummary, SyncOptions};
use crate::progress::Progress;
use crate::run::sync_integration;

/// How a worker holds integrations.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Unique among live workers (e.g. host and process id).
    pub worker_id: String,
    /// How long a claim lasts without renewal; a dead worker's integrations wait this long.
    pub lease: Duration,
    /// Integrations synced at once by this worker.
    pub max_concurrent: usize,
    /// How often to look for work when there is none.
    pub poll: Duration,
}

impl WorkerConfig {
    pub fn new(worker_id: impl Into<String>) -> Self {
        Self {
            worker_id: worker_id.into(),
            lease: Duration::from_secs(60),
            max_concurrent: 4,
            poll: Duration::from_secs(2),
        }
    }
}

/// The outcome of one integration's run in a round.
pub type RoundResult = (String, Result<RunSummary, SyncError>);

/// Schedules sync runs. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Scheduler {
    store: Store,
    options: SyncOptions,
    progress: Progress,
    only: Option<Vec<String>>,
    interval: Duration,
}

impl Scheduler {
    pub fn new(store: Store, options: SyncOptions) -> Self {
        Self {
            store,
            options,
            progress: Progress::none(),
            only: None,
            interval: Duration::from_secs(300),
        }
    }

    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = progress;
        self
    }

    /// Only these integrations (all when never called). Workers ignore it: they take
    /// whatever integration is free.
    pub fn only(mut self, integration_ids: Vec<String>) -> Self {
        self.only = Some(integration_ids);
        self
    }

    /// Time between the starts of two rounds (watch mode), or the least time between two
    /// runs of one integration (worker mode).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    async fn integrations(&self) -> Result<Vec<Integration>, SyncError> {
        let all = self
            .store
            .integrations()
            .await
            .map_err(SyncError::store("listing integrations"))?;
        let Some(only) = &self.only else {
            return Ok(all);
        };
        let known: HashSet<&str> = all.iter().map(|i| i.id.as_str()).collect();
        if let Some(missing) = only.iter().find(|id| !known.contains(id.as_str())) {
            return Err(SyncError::UnknownIntegration(missing.clone()));
        }
        Ok(all.into_iter().filter(|i| only.contains(&i.id)).collect())
    }

    /// Syncs every integration once, all in parallel; one failing does not stop the others.
    /// Results in the order of the integrations.
    pub async fn run_once(&self) -> Result<Vec<RoundResult>, SyncError> {
        self.run_round(&self.options).await
    }

    async fn run_round(&self, options: &SyncOptions) -> Result<Vec<RoundResult>, SyncError> {
        let integrations = self.integrations().await?;
        let order: Vec<String> = integrations.iter().map(|i| i.id.clone()).collect();
        let mut tasks = JoinSet::new();
        for integration in integrations {
            let (store, options, progress) =
                (self.store.clone(), options.clone(), self.progress.clone());
            tasks.spawn(async move {
                let result = sync_integration(&store, &integration, &options, &progress).await;
                (integration.id, result)
            });
        }
        let mut results = Vec::with_capacity(order.len());
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(result) => results.push(result),
                Err(error) => tracing::error!(%error, "a sync task ended abnormally"),
            }
        }
        // A task that panicked has no result: report it rather than drop it.
        for id in &order {
            if !results.iter().any(|(done, _)| done == id) {
                let detail = "the task panicked or was aborted; see the log".to_owned();
                results.push((
                    id.clone(),
                    Err(SyncError::TaskFailed {
                        integration_id: id.clone(),
                        detail,
                    }),
                ));
            }
        }
        results.sort_by_key(|(id, _)| order.iter().position(|o| o == id));
        Ok(results)
    }

    /// Keeps every integration current until `cancel` fires: each one is synced, then again
    /// `interval` after the start of its previous run, on its own (a long first sync of one
    /// account does not hold the others back). Integrations added meanwhile are picked up
    /// within a minute. `on_result` sees each finished run (one at a time). A run in
    /// progress stops between pages when `cancel` fires.
    pub async fn run_until(
        &self,
        cancel: CancellationToken,
        mut on_result: impl FnMut(&[RoundResult]),
    ) -> Result<(), SyncError> {
        let options = SyncOptions {
            cancel: cancel.clone(),
            ..self.options.clone()
        };
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<RoundResult>();
        let mut loops: JoinSet<()> = JoinSet::new();
        let mut started: HashSet<String> = HashSet::new();
        let rescan = self.interval.min(Duration::from_secs(60));
        let mut next_scan = tokio::time::Instant::now();
        let mut scanned = false;
        loop {
            if tokio::time::Instant::now() >= next_scan {
                next_scan = tokio::time::Instant::now() + rescan;
                let listed = self.integrations().await;
                match listed {
                    Ok(integrations) => {
                        scanned = true;
                        for integration in integrations {
                            if started.insert(integration.id.clone()) {
                                loops.spawn(self.clone().keep_current(
                                    integration.id,
                                    options.clone(),
                                    tx.clone(),
                                ));
                            }
                        }
                    }
                    // The first scan must work (a wrong --integration is the caller's error);
                    // later a database hiccup only delays picking up new integrations.
                    Err(error) if !scanned => return Err(error),
                    Err(error) => {
                        tracing::warn!(%error, "could not look for new integrations; retrying later")
                    }
                }
            }
            tokio::select! {
                () = cancel.cancelled() => break,
                Some(result) = rx.recv() => on_result(std::slice::from_ref(&result)),
                Some(joined) = loops.join_next(), if !loops.is_empty() => {
                    if let Err(error) = joined {
                        tracing::error!(%error, "an integration's sync loop ended abnormally");
                    }
                }
                () = tokio::time::sleep_until(next_scan) => {}
            }
        }
        drop(tx);
        // Let the runs stop at a page boundary, and report how they ended.
        while let Some(joined) = loops.join_next().await {
            if let Err(error) = joined {
                tracing::error!(%error, "an integration's sync loop ended abnormally");
            }
        }
        while let Ok(result) = rx.try_recv() {
            on_result(std::slice::from_ref(&result));
        }
        Ok(())
    }

    /// One integration's loop for [`Scheduler::run_until`]: sync, wait out the interval,
    /// again; ends on cancellation or when the integration is removed.
    async fn keep_current(
        self,
        integration_id: String,
        options: SyncOptions,
        results: tokio::sync::mpsc::UnboundedSender<RoundResult>,
    ) {
        let cancel = options.cancel.clone();
        while !cancel.is_cancelled() {
            let started = tokio::time::Instant::now();
            // Read it again each time: credentials and rate may have changed.
            let result = match self.store.integration(&integration_id).await {
                Ok(Some(integration)) => {
                    sync_integration(&self.store, &integration, &options, &self.progress).await
                }
                Ok(None) => return,
                Err(source) => Err(SyncError::Store {
                    action: "reading an integration",
                    source,
                }),
            };
            if results.send((integration_id.clone(), result)).is_err() {
                return;
            }
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep_until(started + self.interval) => {}
            }
        }
    }

    /// Works as one of several workers until `cancel` fires: claims integrations whose lease
    /// is free (and that were not synced within `interval`), syncs them while renewing the
    /// lease, and gives them back. Returns how many runs this worker finished.
    pub async fn run_worker(
        &self,
        config: &WorkerConfig,
        cancel: CancellationToken,
    ) -> Result<u64, SyncError> {
        let mut tasks: JoinSet<Result<(), SyncError>> = JoinSet::new();
        let mut finished = 0;
        let max = config.max_concurrent.max(1);
        loop {
            while let Some(joined) = tasks.try_join_next() {
                finished += 1;
                log_worker_result(joined);
            }
            if cancel.is_cancelled() {
                break;
            }
            let claimed = if tasks.len() < max {
                self.store
                    .claim_integration(&config.worker_id, config.lease, self.interval)
                    .await
                    .map_err(SyncError::store("claiming an integration"))?
            } else {
                None
            };
            match claimed {
                Some(integration) => {
                    tasks.spawn(self.clone().leased_run(
                        integration,
                        config.clone(),
                        cancel.child_token(),
                    ));
                }
                None => {
                    self.wait(&mut tasks, &mut finished, config.poll, &cancel)
                        .await
                }
            }
        }
        while let Some(joined) = tasks.join_next().await {
            finished += 1;
            log_worker_result(joined);
        }
        Ok(finished)
    }

    /// Sleeps up to `poll`, waking early when a run finishes or on cancellation.
    async fn wait(
        &self,
        tasks: &mut JoinSet<Result<(), SyncError>>,
        finished: &mut u64,
        poll: Duration,
        cancel: &CancellationToken,
    ) {
        tokio::select! {
            () = cancel.cancelled() => {}
            () = tokio::time::sleep(poll) => {}
            Some(joined) = tasks.join_next(), if !tasks.is_empty() => {
                *finished += 1;
                log_worker_result(joined);
            }
        }
    }

    async fn leased_run(
        self,
        integration: Integration,
        config: WorkerConfig,
        cancel: CancellationToken,
    ) -> Result<(), SyncError> {
        let id = integration.id.clone();
        let options = SyncOptions {
            cancel: cancel.clone(),
            ..self.options.clone()
        };
        // Renew at a third of the lease; losing it stops the run between pages.
        let renew = {
            let (store, id, worker, cancel) = (
                self.store.clone(),
                id.clone(),
                config.worker_id.clone(),
                cancel.clone(),
            );
            let every = config.lease / 3;
            async move {
                loop {
                    tokio::select! {
                        () = cancel.cancelled() => return true,
                        () = tokio::time::sleep(every) => {}
                    }
                    match store.renew_lease(&id, &worker, config.lease).await {
                        Ok(true) => {}
                        Ok(false) => {
                            cancel.cancel();
                            return false;
                        }
                        // A database hiccup: keep the run, try again at the next tick.
                        Err(error) => {
                            tracing::warn!(%error, integration = %id, "could not renew the lease")
                        }
                    }
                }
            }
        };
        let run = async {
            let result =
                sync_integration(&self.store, &integration, &options, &self.progress).await;
            cancel.cancel();
            result
        };
        let (result, kept) = tokio::join!(run, renew);
        if kept {
            self.store
                .release_lease(&id, &config.worker_id)
                .await
                .map_err(SyncError::store("releasing a lease"))?;
        }
        match result {
            Err(SyncError::Cancelled(_)) if !kept => Err(SyncError::LeaseLost(id)),
            other => other.map(drop),
        }
    }
}

fn log_worker_result(joined: Result<Result<(), SyncError>, tokio::task::JoinError>) {
    match joined {
        Ok(Ok(())) => {}
        // The run itself is recorded in the store's history with its message.
        Ok(Err(error)) => tracing::warn!(%error, "a leased sync run failed"),
        Err(error) => tracing::error!(%error, "a leased sync task ended abnormally"),
    }
}
