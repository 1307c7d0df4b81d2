//! Draws the sync engine's progress: bars on a terminal (entity, rows, rows/s, ETA), plain
//! log lines otherwise (one per entity finished and at most one every few seconds while it
//! runs), so a log file or CI output stays readable.

use std::collections::HashMap;
use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use kommo_sync::{Entity, EntityProgress, Progress, ProgressEvent};
use tokio::task::JoinHandle;

/// How often a running stream is logged without a terminal.
const LOG_EVERY: Duration = Duration::from_secs(5);

/// A running renderer; [`Renderer::finish`] waits for the last events to be drawn.
#[derive(Debug)]
pub(crate) struct Renderer {
    progress: Progress,
    task: JoinHandle<()>,
}

impl Renderer {
    /// Bars when stderr is a terminal and `quiet` is off, log lines otherwise.
    pub(crate) fn start(quiet: bool) -> Self {
        let (progress, mut events) = Progress::channel();
        let bars = !quiet && std::io::stderr().is_terminal();
        let task = tokio::spawn(async move {
            let mut draw = if bars {
                Draw::bars()
            } else {
                Draw::Lines(HashMap::new())
            };
            while let Some(event) = events.recv().await {
                draw.event(event);
            }
        });
        Self { progress, task }
    }

    pub(crate) fn progress(&self) -> Progress {
        self.progress.clone()
    }

    pub(crate) async fn finish(self) {
        drop(self.progress);
        drop(self.task.await);
    }
}

enum Draw {
    Bars(Box<Bars>),
    Lines(HashMap<(String, Entity), Instant>),
}

struct Bars {
    multi: MultiProgress,
    bars: HashMap<(String, Entity), ProgressBar>,
    style: ProgressStyle,
    spinner: ProgressStyle,
}

impl Draw {
    fn bars() -> Self {
        let style = ProgressStyle::with_template(
            "{prefix:>32} {bar:28.cyan/blue} {pos:>9}/{len:9} {msg} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        let spinner = ProgressStyle::with_template("{prefix:>32} {spinner} {pos:>9} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        Self::Bars(Box::new(Bars {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            bars: HashMap::new(),
            style,
            spinner,
        }))
    }

    fn event(&mut self, event: ProgressEvent) {
        match self {
            Self::Bars(b) => match event {
                // Nothing changed in this stream: no bar for it.
                ProgressEvent::Page(p) | ProgressEvent::EntityDone(p)
                    if p.rows == 0 && p.pages <= 1 => {}
                ProgressEvent::Page(p) => {
                    let bar = bar_for(&b.multi, &mut b.bars, &p);
                    match p.estimated_total {
                        Some(total) => {
                            bar.set_style(b.style.clone());
                            bar.set_length(total.max(p.rows));
                        }
                        None => bar.set_style(b.spinner.clone()),
                    }
                    bar.set_position(p.rows);
                    bar.set_message(format!("{:>7.0} rows/s", p.rows_per_second));
                }
                ProgressEvent::EntityDone(p) => {
                    let bar = bar_for(&b.multi, &mut b.bars, &p);
                    bar.set_style(b.style.clone());
                    bar.set_length(p.rows);
                    bar.set_position(p.rows);
                    bar.finish_with_message(format!(
                        "{:>7.0} rows/s in {:.1}s",
                        p.rows_per_second,
                        p.elapsed.as_secs_f64()
                    ));
                }
                ProgressEvent::RunStarted {
                    integration_id,
                    kind,
                    ..
                } => {
                    let _ = b
                        .multi
                        .println(format!("{integration_id}: {} sync started", kind.as_str()));
                }
                ProgressEvent::RunFinished {
                    integration_id,
                    ok,
                    message,
                } => {
                    let mark = if ok { "done" } else { "FAILED" };
                    let _ = b
                        .multi
                        .println(format!("{integration_id}: {mark}: {message}"));
                }
            },
            Self::Lines(last) => match event {
                ProgressEvent::RunStarted {
                    integration_id,
                    run_id,
                    kind,
                } => {
                    tracing::info!(integration = %integration_id, run_id, kind = kind.as_str(), "sync started");
                }
                ProgressEvent::Page(p) => {
                    let key = (p.integration_id.clone(), p.entity);
                    let due = last.get(&key).is_none_or(|at| at.elapsed() >= LOG_EVERY);
                    if due {
                        last.insert(key, Instant::now());
                        log_line(&p, false);
                    }
                }
                ProgressEvent::EntityDone(p) => {
                    last.remove(&(p.integration_id.clone(), p.entity));
                    log_line(&p, true);
                }
                ProgressEvent::RunFinished {
                    integration_id,
                    ok: true,
                    message,
                } => {
                    tracing::info!(integration = %integration_id, "{message}");
                }
                ProgressEvent::RunFinished {
                    integration_id,
                    ok: false,
                    message,
                } => {
                    tracing::warn!(integration = %integration_id, "sync failed: {message}");
                }
            },
        }
    }
}

fn bar_for<'a>(
    multi: &MultiProgress,
    bars: &'a mut HashMap<(String, Entity), ProgressBar>,
    p: &EntityProgress,
) -> &'a ProgressBar {
    bars.entry((p.integration_id.clone(), p.entity))
        .or_insert_with(|| {
            let bar = multi.add(ProgressBar::no_length());
            bar.set_prefix(format!("{} {}", p.integration_id, p.entity.as_str()));
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        })
}

fn log_line(p: &EntityProgress, done: bool) {
    let eta = match (p.estimated_total, done) {
        (Some(total), false) if p.rows_per_second > 0.0 && total > p.rows => {
            format!(", eta {:.0}s", (total - p.rows) as f64 / p.rows_per_second)
        }
        _ => String::new(),
    };
    let total = p
        .estimated_total
        .filter(|_| !done)
        .map(|t| format!(" of ~{t}"))
        .unwrap_or_default();
    tracing::info!(
        integration = %p.integration_id,
        entity = p.entity.as_str(),
        rows = p.rows,
        pages = p.pages,
        "{} {}: {} rows{total}, {:.0} rows/s{eta}",
        if done { "finished" } else { "syncing" },
        p.entity.as_str(),
        p.rows,
        p.rows_per_second
    );
}
