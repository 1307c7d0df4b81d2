//! Background activity: the account changes while clients read it (create, update, move
//! between stages, delete, restore), at a given rate, on its own thread. Each change is a
//! call into the mutation layer (`crate::mutate`), the same the API's writes make.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::config::Activity;
use crate::mutate::is_closed;
use crate::rng::{Rng, stream};
use crate::state::{Shared, SimState, unix_now};
use crate::store::{Account, LeadRec};

#[derive(Debug)]
pub(crate) struct ActivityHandle {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ActivityHandle {
    pub(crate) fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

pub(crate) fn start(state: &SimState, activity: Activity) -> ActivityHandle {
    let stop = Arc::new(AtomicBool::new(false));
    let weak: Weak<Shared> = Arc::downgrade(&state.inner);
    let flag = stop.clone();
    let thread = std::thread::Builder::new()
        .name("kommo-sim-activity".to_owned())
        .spawn(move || run(&weak, &flag, &activity))
        .ok();
    ActivityHandle { stop, thread }
}

fn run(state: &Weak<Shared>, stop: &AtomicBool, activity: &Activity) {
    let rate = activity.per_second.max(0.0);
    if rate == 0.0 {
        return;
    }
    let tick = Duration::from_secs_f64((1.0 / rate).max(0.01));
    let started = Instant::now();
    let mut done: u64 = 0;
    let mut rng = Rng::new(unix_now() as u64, stream::ACTIVITY, 0);
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(tick);
        let Some(shared) = state.upgrade() else {
            return;
        };
        let due = (started.elapsed().as_secs_f64() * rate) as u64;
        let mut account = shared.account.write();
        while done < due {
            step(&mut account, activity, &mut rng);
            done += 1;
        }
    }
}

/// One change, drawn by the activity's weights.
pub(crate) fn step(acc: &mut Account, activity: &Activity, rng: &mut Rng) {
    let weights = [
        activity.create,
        activity.update,
        activity.move_stage,
        activity.delete,
        activity.restore,
    ];
    if weights.iter().all(|w| *w == 0) {
        return;
    }
    let now = acc.write_now();
    let by = acc
        .users
        .get(rng.index(acc.users.len().max(1)))
        .map_or(0, |u| u.id);
    let live = acc.leads.index.live.len();
    match rng.weighted(&weights) {
        0 => create(acc, rng, by, now),
        1 if live > 0 => {
            let id = acc.leads.index.live[rng.index(live)];
            if acc.leads.get(id).is_some() {
                let price = (rng.range(1, 1000) * 100) as u32;
                acc.set_lead_price(id, price, by, now);
                acc.touch_lead(id, by, now);
            }
        }
        2 if live > 0 => {
            let id = acc.leads.index.live[rng.index(live)];
            let Some(rec) = acc.leads.get(id).copied() else {
                return;
            };
            let Some(pipeline) = acc.pipeline(rec.pipeline_id) else {
                return;
            };
            let stages: Vec<u32> = pipeline
                .statuses
                .iter()
                .filter(|s| s.kind == 0)
                .map(|s| s.id)
                .collect();
            let next = if is_closed(rec.status_id) || rng.percent(30) {
                stages[rng.index(stages.len())]
            } else {
                let at = stages.iter().position(|s| *s == rec.status_id).unwrap_or(0);
                stages.get(at + 1).copied().unwrap_or(142)
            };
            acc.move_lead(id, rec.pipeline_id, next, by, now);
        }
        3 if live > 0 => {
            let id = acc.leads.index.live[rng.index(live)];
            acc.delete_lead(id, by, now);
        }
        4 => {
            let deleted = acc.leads.index.deleted.len();
            if deleted > 0 {
                let id = acc.leads.index.deleted[rng.index(deleted)];
                acc.restore_lead(id, by, now);
            }
        }
        _ => create(acc, rng, by, now),
    }
}

fn create(acc: &mut Account, rng: &mut Rng, by: u32, now: u32) {
    let Some(pipeline) = acc.main_pipeline() else {
        return;
    };
    let (pipeline_id, status_id) = (pipeline.id, pipeline.first_stage());
    let contacts = acc.contacts.index.live.len();
    let contact_id = if contacts > 0 && rng.percent(70) {
        acc.contacts.index.live[rng.index(contacts)]
    } else {
        0
    };
    let rec = LeadRec {
        created_at: now,
        updated_at: now,
        status_id,
        pipeline_id,
        price: (rng.range(1, 500) * 100) as u32,
        responsible: by,
        created_by: by,
        updated_by: by,
        contact_id,
        ..LeadRec::default()
    };
    acc.add_lead_record(rec);
}
