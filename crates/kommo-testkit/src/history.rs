//! The funnel history's oracle: every status change, every stay and the funnel of a cohort,
//! worked out from the simulator's event log and lead records (its ground truth, through
//! `Control`) by the definitions the data API documents, and compared with the store.
//!
//! This is a second, independent reading of those definitions: it never calls the sync
//! engine's derivation of stays, and the simulator's log is complete where it matters (every
//! move it makes records its event), so the stays here follow the moves alone.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use kommo_model::Lead;
use kommo_sim::RunningSimulator;
use kommo_store::query::{FunnelQuery, Grant, Scope, TimeRange};
use kommo_store::{Integration, Store};
use serde_json::{Map, Value, json};

use crate::oracle::{Truth, compare, id, opt_id, published, row, tenancy, time};

const WON: i64 = 142;
const LOST: i64 = 143;

/// One stay as the definitions give it.
#[derive(Debug, Clone, PartialEq)]
pub struct Stay {
    pub lead_id: i64,
    pub stage: (i64, i64),
    pub entered: i64,
    pub left: Option<i64>,
    pub next: Option<(i64, i64)>,
}

/// What the oracle knows of the account's leads and their paths.
#[derive(Debug)]
pub struct History {
    /// Every lead the simulator holds, deleted ones included.
    pub leads: BTreeMap<i64, Lead>,
    /// Expected `lead-status-changes` rows by event id.
    pub changes: BTreeMap<String, Map<String, Value>>,
    /// Each lead's stays in order.
    pub stays: BTreeMap<i64, Vec<Stay>>,
}

/// A status change: when, from which stage (if Kommo says), to which.
type Move = (i64, Option<(i64, i64)>, (i64, i64));

/// `(pipeline_id, status_id)` of a `lead_status_changed` value as the simulator writes it.
fn stage_of(value: &Value) -> Option<(i64, i64)> {
    let status = value.get(0)?.get("lead_status")?;
    Some((
        status.get("pipeline_id")?.as_i64()?,
        status.get("id")?.as_i64()?,
    ))
}

impl History {
    /// Reads the simulator's truth.
    pub fn of(sim: &RunningSimulator, truth: &Truth, integration: &Integration) -> Self {
        let control = sim.control();
        let mut leads = BTreeMap::new();
        for lead_id in control
            .lead_ids()
            .into_iter()
            .chain(control.deleted_lead_ids())
        {
            if let Some(lead) = control.lead(lead_id) {
                leads.insert(lead_id, lead);
            }
        }
        let mut changes = BTreeMap::new();
        let mut moves: HashMap<i64, Vec<Move>> = HashMap::new();
        let mut deleted_at: HashMap<i64, i64> = HashMap::new();
        for e in control.lead_events() {
            match e.kind.as_str() {
                "lead_status_changed" => {
                    let Some(after) = stage_of(&e.value_after) else {
                        continue;
                    };
                    let before = stage_of(&e.value_before);
                    if before == Some(after) {
                        continue;
                    }
                    moves
                        .entry(e.entity_id)
                        .or_default()
                        .push((e.created_at, before, after));
                    let name = |stage: Option<(i64, i64)>| {
                        (
                            json!(stage.and_then(|s| truth.pipeline_names.get(&s.0))),
                            json!(stage.and_then(|s| truth.status_names.get(&s))),
                        )
                    };
                    let (pb, sb) = name(before);
                    let (pa, sa) = name(Some(after));
                    let mut out = row([
                        ("event_id", json!(e.id)),
                        ("lead_id", id(e.entity_id)),
                        ("pipeline_id_before", opt_id(before.map(|b| b.0))),
                        ("status_id_before", opt_id(before.map(|b| b.1))),
                        ("pipeline_id_after", id(after.0)),
                        ("status_id_after", id(after.1)),
                        ("pipeline_name_before", pb),
                        ("status_name_before", sb),
                        ("pipeline_name_after", pa),
                        ("status_name_after", sa),
                        ("changed_at", time(e.created_at)),
                        ("changed_by", id(e.created_by)),
                    ]);
                    out.extend(row(tenancy(integration)));
                    changes.insert(e.id.clone(), out);
                }
                "lead_deleted" => {
                    deleted_at.insert(e.entity_id, e.created_at);
                }
                _ => {}
            }
        }

        // Stays: from created_at in the first change's before stage (the lead's own stage
        // without changes); each change into another stage ends one and begins the next; a
        // deleted lead's last stay ends at its deletion.
        let mut stays = BTreeMap::new();
        for (lead_id, lead) in &leads {
            let list = moves.remove(lead_id).unwrap_or_default();
            let start = list
                .first()
                .map_or((lead.pipeline_id, lead.status_id), |m| m.1.unwrap_or(m.2));
            let mut path = vec![(start, lead.created_at)];
            for (at, _, after) in list {
                let (current, entered) = path[path.len() - 1];
                if after != current {
                    path.push((after, at.max(entered)));
                }
            }
            let end = lead
                .is_deleted
                .then(|| deleted_at.get(lead_id).copied().unwrap_or(lead.updated_at));
            let out: Vec<Stay> = path
                .iter()
                .enumerate()
                .map(|(i, &(stage, entered))| Stay {
                    lead_id: *lead_id,
                    stage,
                    entered,
                    left: path.get(i + 1).map(|n| n.1).or(end.map(|d| d.max(entered))),
                    next: path.get(i + 1).map(|n| n.0),
                })
                .collect();
            stays.insert(*lead_id, out);
        }
        Self {
            leads,
            changes,
            stays,
        }
    }
}

/// Checks the store's status changes and stays of `integration` equal the simulator's
/// truth: every row, none missing, none extra. Returns (changes, stays) compared.
pub async fn assert_history_matches(
    store: &Store,
    integration: &Integration,
    sim: &RunningSimulator,
) -> (usize, usize) {
    let truth = Truth::of(sim.control());
    let history = History::of(sim, &truth, integration);
    let mut problems = Vec::new();
    let mut document_ids = BTreeSet::new();
    let id_of = integration.id.as_str();

    let stored: Vec<_> = store
        .all_lead_status_change_rows(id_of)
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.event_id.clone(),
                published(r, &mut document_ids, &mut problems),
            )
        })
        .collect();
    let changes = history.changes.len();
    compare(
        "status change",
        history.changes.clone(),
        stored,
        &mut problems,
    );

    let before = chrono::Utc::now().timestamp();
    let rows = store.all_lead_stage_rows(id_of).await.unwrap();
    let after = chrono::Utc::now().timestamp();
    let mut expected = BTreeMap::new();
    for list in history.stays.values() {
        for (n, s) in list.iter().enumerate() {
            let mut out = row([
                ("lead_id", id(s.lead_id)),
                ("pipeline_id", id(s.stage.0)),
                ("status_id", id(s.stage.1)),
                ("pipeline_name", json!(truth.pipeline_names.get(&s.stage.0))),
                ("status_name", json!(truth.status_names.get(&s.stage))),
                ("entered_at", time(s.entered)),
                ("left_at", s.left.map_or(Value::Null, time)),
                ("next_pipeline_id", opt_id(s.next.map(|x| x.0))),
                ("next_status_id", opt_id(s.next.map(|x| x.1))),
            ]);
            out.extend(row(tenancy(integration)));
            expected.insert(format!("{}#{n}", s.lead_id), out);
        }
    }
    let count = expected.len();
    let mut stored = Vec::new();
    let mut nth: HashMap<i64, usize> = HashMap::new();
    for r in &rows {
        let n = nth.entry(r.lead_id).or_default();
        let key = format!("{}#{n}", r.lead_id);
        *n += 1;
        // The length of an open stay counts up to the moment of the read.
        let seconds = r.seconds_in_stage;
        match r.left_at {
            Some(left) if seconds != left - r.entered_at => problems.push(format!(
                "stay {key}: seconds_in_stage {seconds}, not left_at - entered_at"
            )),
            None if seconds < before - r.entered_at || seconds > after - r.entered_at => problems
                .push(format!(
                    "stay {key}: seconds_in_stage {seconds} is not up to now"
                )),
            _ => {}
        }
        let mut map = published(r, &mut document_ids, &mut problems);
        map.remove("seconds_in_stage");
        stored.push((key, map));
    }
    compare("stay", expected, stored, &mut problems);
    assert!(
        problems.is_empty(),
        "{} differences between the store and the account's history:\n{}",
        problems.len(),
        problems.join("\n")
    );
    (changes, count)
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[i64], p: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    Some(sorted[rank - 1])
}

/// The funnel the definitions give for `pipeline_id` and the cohort created in `created`
/// (Unix seconds, inclusive), as the JSON the API serves.
pub fn expected_funnel(
    history: &History,
    truth: &Truth,
    workspace_id: &str,
    pipeline_id: i64,
    created: (Option<i64>, Option<i64>),
) -> Value {
    let pipeline = truth
        .pipelines
        .iter()
        .find(|p| p.id == pipeline_id)
        .expect("a pipeline of the account");
    let mut statuses: Vec<_> = pipeline
        .embedded
        .statuses
        .iter()
        .filter(|s| s.id != LOST)
        .collect();
    statuses.sort_by_key(|s| (s.id == WON, s.sort, s.id));
    let rank: HashMap<i64, usize> = statuses
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id, i))
        .collect();
    let in_range = |t: i64| created.0.is_none_or(|a| t >= a) && created.1.is_none_or(|b| t <= b);
    let cohort: Vec<(&Lead, Vec<&Stay>)> = history
        .leads
        .values()
        .filter(|l| !l.is_deleted && in_range(l.created_at))
        .filter_map(|l| {
            let here: Vec<&Stay> = history.stays[&l.id]
                .iter()
                .filter(|s| s.stage.0 == pipeline_id)
                .collect();
            (!here.is_empty()).then_some((l, here))
        })
        .collect();
    let furthest: Vec<Option<usize>> = cohort
        .iter()
        .map(|(_, here)| {
            here.iter()
                .filter_map(|s| rank.get(&s.stage.1).copied())
                .max()
        })
        .collect();
    let mut stages = Vec::new();
    let mut previous: Option<i64> = None;
    for (i, status) in statuses.iter().enumerate() {
        let with = |keep: &dyn Fn(&Stay) -> bool| {
            cohort
                .iter()
                .filter(|(_, here)| here.iter().any(|s| s.stage.1 == status.id && keep(s)))
                .count() as i64
        };
        let reached = furthest
            .iter()
            .filter(|f| f.is_some_and(|f| f >= i))
            .count() as i64;
        let mut durations: Vec<i64> = cohort
            .iter()
            .flat_map(|(_, here)| here.iter())
            .filter(|s| s.stage.1 == status.id)
            .filter_map(|s| s.left.map(|left| left - s.entered))
            .collect();
        durations.sort_unstable();
        let hours = |p| percentile(&durations, p).map(|d| d as f64 / 3600.0);
        stages.push(json!({
            "status_id": status.id.to_string(),
            "status_name": status.name,
            "sort": status.sort,
            "entered": with(&|_| true),
            "reached": reached,
            "conversion_from_previous": previous.filter(|p| *p > 0).map(|p| reached as f64 / p as f64),
            "current": with(&|s| s.left.is_none()),
            "lost_from": with(&|s| s.next.is_some_and(|n| n.1 == LOST)),
            "median_hours_in_stage": hours(50),
            "p75_hours_in_stage": hours(75),
            "p90_hours_in_stage": hours(90),
        }));
        previous = Some(reached);
    }
    let leads = cohort.len() as i64;
    let won = cohort.iter().filter(|(l, _)| l.status_id == WON).count() as i64;
    let lost = cohort.iter().filter(|(l, _)| l.status_id == LOST).count() as i64;
    let mut to_close: Vec<i64> = cohort
        .iter()
        .filter(|(l, _)| l.status_id == WON || l.status_id == LOST)
        .filter_map(|(l, _)| l.closed_at.map(|c| c - l.created_at))
        .collect();
    to_close.sort_unstable();
    json!({
        "pipeline_id": pipeline_id.to_string(),
        "pipeline_name": pipeline.name,
        "workspace_id": workspace_id,
        "stages": stages,
        "totals": {
            "leads": leads,
            "won": won,
            "lost": lost,
            "open": leads - won - lost,
            "win_rate": (won + lost > 0).then(|| won as f64 / (won + lost) as f64),
            "median_days_to_close": percentile(&to_close, 50).map(|d| d as f64 / 86_400.0),
        },
    })
}

/// Numbers equal within float noise (rates and hours are divisions).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * x.abs().max(1.0),
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Checks the store's funnel of `pipeline_id` for leads created in `created` (Unix seconds)
/// equals the definitions applied to the simulator's truth; returns the cohort's size.
pub async fn assert_funnel_matches(
    store: &Store,
    grant: &Grant,
    integration: &Integration,
    sim: &RunningSimulator,
    pipeline_id: i64,
    created: (Option<i64>, Option<i64>),
) -> i64 {
    let truth = Truth::of(sim.control());
    let history = History::of(sim, &truth, integration);
    let want = expected_funnel(
        &history,
        &truth,
        &integration.workspace_id,
        pipeline_id,
        created,
    );
    let at = |t: Option<i64>| t.and_then(|t| chrono::DateTime::from_timestamp(t, 0));
    let query = FunnelQuery {
        scope: Scope {
            workspace_id: integration.workspace_id.clone(),
            organization_id: None,
            integration_ids: vec![integration.id.clone()],
        },
        pipeline_id,
        created: TimeRange {
            start: at(created.0),
            end: at(created.1),
        },
    };
    let got = serde_json::to_value(store.funnel(grant, &query).await.unwrap()).unwrap();
    assert!(
        same(&want, &got),
        "funnel of pipeline {pipeline_id} for {created:?} differs:\nexpected {want:#}\nstored   {got:#}"
    );
    want["totals"]["leads"].as_i64().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[5], 90), Some(5));
        assert_eq!(percentile(&[1, 2, 3, 4], 50), Some(2));
        assert_eq!(percentile(&[1, 2, 3, 4], 75), Some(3));
        assert_eq!(percentile(&(1..=10).collect::<Vec<_>>(), 90), Some(9));
    }
}
