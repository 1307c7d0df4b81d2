//! The funnel (`GET /v1/kommo/funnel`): a pipeline's stages for a cohort of leads, from one
//! pass over the cohort's stays in `lead_stages` (its cohort index holds every column read,
//! a lead's stays side by side), folded as they are read so no stay is held longer than its
//! lead. Definitions: [`crate::rows::Funnel`].

use super::filter::Where;
use crate::Store;
use crate::error::StoreError;
use crate::query::{FunnelQuery, Grant};
use crate::rows::{Funnel, FunnelStage, FunnelTotals};
use crate::sqlite_read::Columns;

/// Kommo's fixed won and lost statuses.
const WON: i64 = 142;
const LOST: i64 = 143;

#[derive(sqlx::FromRow)]
struct StageDef {
    status_id: i64,
    status_name: Option<String>,
    sort: i64,
    pipeline_name: Option<String>,
}

/// One stay of the cohort as the funnel reads it: the lead's key and standing, the stay.
#[derive(Debug, sqlx::FromRow)]
struct CohortStay {
    lead_created_at: i64,
    lead_id: i64,
    integration_id: String,
    status_id: i64,
    entered_at: i64,
    left_at: Option<i64>,
    next_status_id: Option<i64>,
    lead_status_id: i64,
    lead_closed_at: Option<i64>,
}

/// The columns of [`CohortStay`], in its fields' order (all in the cohort index).
const COHORT_COLUMNS: &str = "lead_created_at, lead_id, integration_id, status_id, entered_at, \
     left_at, next_status_id, lead_status_id, lead_closed_at";

fn cohort_stay_from_sqlite(c: &mut Columns<'_, '_>) -> Result<CohortStay, rusqlite::Error> {
    Ok(CohortStay {
        lead_created_at: c.take()?,
        lead_id: c.take()?,
        integration_id: c.take()?,
        status_id: c.take()?,
        entered_at: c.take()?,
        left_at: c.take()?,
        next_status_id: c.take()?,
        lead_status_id: c.take()?,
        lead_closed_at: c.take()?,
    })
}

/// What the funnel counts for one stage of the pipeline.
#[derive(Debug, Default)]
struct StageTally {
    entered: i64,
    current: i64,
    lost_from: i64,
    /// Leads whose furthest stage is this one (`reached` sums them from here down).
    furthest: i64,
    /// Lengths of the finished stays, in seconds.
    finished: Vec<i64>,
}

/// The lead whose stays are being read: its key, standing and the stages it was in.
#[derive(Debug)]
struct LeadSoFar {
    created_at: i64,
    lead_id: i64,
    integration_id: String,
    status_id: i64,
    closed_at: Option<i64>,
    /// Furthest position in the funnel order (`None`: none of its stages is there).
    furthest: Option<usize>,
    /// (position, there now, lost from there) per stage it was in, once each.
    visited: Vec<(usize, bool, bool)>,
}

/// The one pass over a cohort's stays, a lead's stays arriving together: per stage tallies,
/// and the totals by each lead's current status.
#[derive(Debug)]
struct CohortFold {
    /// The pipeline's stages in funnel order (open ones, then won), by status id.
    order: Vec<i64>,
    stages: Vec<StageTally>,
    leads: i64,
    won: i64,
    lost: i64,
    /// Seconds from creation to closing, for the closed leads.
    to_close: Vec<i64>,
    lead: Option<LeadSoFar>,
}

impl CohortFold {
    fn new(order: Vec<i64>) -> Self {
        let stages = order.iter().map(|_| StageTally::default()).collect();
        CohortFold {
            order,
            stages,
            leads: 0,
            won: 0,
            lost: 0,
            to_close: Vec::new(),
            lead: None,
        }
    }

    fn step(&mut self, stay: CohortStay) {
        let same_lead = self.lead.as_ref().is_some_and(|l| {
            l.lead_id == stay.lead_id
                && l.created_at == stay.lead_created_at
                && l.integration_id == stay.integration_id
        });
        if !same_lead {
            self.finish_lead();
            self.lead = Some(LeadSoFar {
                created_at: stay.lead_created_at,
                lead_id: stay.lead_id,
                integration_id: stay.integration_id,
                status_id: stay.lead_status_id,
                closed_at: stay.lead_closed_at,
                furthest: None,
                visited: Vec::new(),
            });
        }
        // Lost and stages no longer in the pipeline count for no stage.
        let Some(at) = self.order.iter().position(|s| *s == stay.status_id) else {
            return;
        };
        if let (Some(left), Some(tally)) = (stay.left_at, self.stages.get_mut(at)) {
            tally.finished.push(left - stay.entered_at);
        }
        let Some(lead) = self.lead.as_mut() else {
            return;
        };
        lead.furthest = lead.furthest.max(Some(at));
        let here = stay.left_at.is_none();
        let lost = stay.next_status_id == Some(LOST);
        match lead.visited.iter_mut().find(|v| v.0 == at) {
            Some(v) => {
                v.1 |= here;
                v.2 |= lost;
            }
            None => lead.visited.push((at, here, lost)),
        }
    }

    fn finish_lead(&mut self) {
        let Some(lead) = self.lead.take() else {
            return;
        };
        self.leads += 1;
        match lead.status_id {
            WON => self.won += 1,
            LOST => self.lost += 1,
            _ => {}
        }
        if matches!(lead.status_id, WON | LOST)
            && let Some(closed) = lead.closed_at
        {
            self.to_close.push(closed - lead.created_at);
        }
        if let Some(tally) = lead.furthest.and_then(|at| self.stages.get_mut(at)) {
            tally.furthest += 1;
        }
        for (at, here, lost) in lead.visited {
            if let Some(tally) = self.stages.get_mut(at) {
                tally.entered += 1;
                tally.current += i64::from(here);
                tally.lost_from += i64::from(lost);
            }
        }
    }

    fn totals(&mut self) -> FunnelTotals {
        FunnelTotals {
            leads: self.leads,
            won: self.won,
            lost: self.lost,
            open: self.leads - self.won - self.lost,
            win_rate: (self.won + self.lost > 0)
                .then(|| self.won as f64 / (self.won + self.lost) as f64),
            median_days_to_close: percentile(&mut self.to_close, 50)
                .map(|seconds| seconds as f64 / 86_400.0),
        }
    }
}

/// The nearest-rank position of percentile `p` (1-100) among `n` sorted values, from 1.
fn nearest_rank(p: usize, n: usize) -> usize {
    (p * n).div_ceil(100)
}

/// The value at nearest-rank percentile `p` (1-100) of `values` (which it reorders).
fn percentile(values: &mut [i64], p: usize) -> Option<i64> {
    let rank = nearest_rank(p, values.len()).checked_sub(1)?;
    (rank < values.len()).then(|| *values.select_nth_unstable(rank).1)
}

impl Store {
    /// The funnel of a granted workspace's pipeline for the leads created in `created`.
    pub async fn funnel(&self, grant: &Grant, query: &FunnelQuery) -> Result<Funnel, StoreError> {
        let (ws, integrations) = self.authorize(grant, &query.scope).await?;
        let integrations = integrations.as_deref();

        let mut w = Where::new();
        w.tenancy(ws, integrations);
        w.eq_int("pipeline_id", query.pipeline_id);
        let (filter, args) = w.into_parts();
        let defs: Vec<StageDef> = self
            .db()
            .fetch_all(
                &format!(
                    "SELECT status_id, MIN(status_name) AS status_name, MIN(sort) AS sort, \
                     MIN(pipeline_name) AS pipeline_name FROM pipelines WHERE {filter} \
                     GROUP BY status_id ORDER BY MIN(sort), status_id"
                ),
                args,
            )
            .await?;
        if defs.is_empty() {
            return Err(StoreError::not_found(format!(
                "pipeline {} in workspace {}",
                query.pipeline_id, query.scope.workspace_id
            )));
        }
        let pipeline_name = defs.first().and_then(|d| d.pipeline_name.clone());
        // The stages in order: open ones, then won; lost is reported apart.
        let mut stages: Vec<&StageDef> = defs
            .iter()
            .filter(|d| d.status_id != WON && d.status_id != LOST)
            .collect();
        stages.extend(defs.iter().filter(|d| d.status_id == WON));

        let mut w = Where::new();
        w.tenancy(ws, integrations);
        w.eq_int("pipeline_id", query.pipeline_id);
        w.range("lead_created_at", &query.created);
        w.eq_bool("lead_is_deleted", false);
        let (filter, args) = w.into_parts();
        // In the cohort index's own order, so a lead's stays arrive together without a sort.
        let mut fold = self
            .db()
            .fold_rows(
                &format!(
                    "SELECT {COHORT_COLUMNS} FROM lead_stages WHERE {filter} \
                     ORDER BY lead_created_at, lead_id, integration_id"
                ),
                args,
                CohortFold::new(stages.iter().map(|d| d.status_id).collect()),
                cohort_stay_from_sqlite,
                CohortFold::step,
            )
            .await?;
        fold.finish_lead();
        let totals = fold.totals();
        Ok(Funnel {
            pipeline_id: query.pipeline_id,
            pipeline_name,
            workspace_id: query.scope.workspace_id.clone(),
            stages: funnel_stages(&stages, &mut fold.stages),
            totals,
        })
    }
}

/// The stages of the answer from their tallies: `reached` is the leads whose furthest stage
/// is this one or a later one.
fn funnel_stages(defs: &[&StageDef], tallies: &mut [StageTally]) -> Vec<FunnelStage> {
    let mut reached: Vec<i64> = tallies.iter().map(|t| t.furthest).collect();
    for i in (0..reached.len().saturating_sub(1)).rev() {
        reached[i] += reached[i + 1];
    }
    let hours =
        |values: &mut [i64], p: usize| percentile(values, p).map(|seconds| seconds as f64 / 3600.0);
    let mut out: Vec<FunnelStage> = Vec::with_capacity(defs.len());
    for ((d, tally), reached) in defs.iter().zip(tallies).zip(reached) {
        let conversion_from_previous = out
            .last()
            .filter(|prev| prev.reached > 0)
            .map(|prev| reached as f64 / prev.reached as f64);
        out.push(FunnelStage {
            status_id: d.status_id,
            status_name: d.status_name.clone(),
            sort: d.sort,
            entered: tally.entered,
            reached,
            conversion_from_previous,
            current: tally.current,
            lost_from: tally.lost_from,
            median_hours_in_stage: hours(&mut tally.finished, 50),
            p75_hours_in_stage: hours(&mut tally.finished, 75),
            p90_hours_in_stage: hours(&mut tally.finished, 90),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_is_the_smallest_position_covering_the_share() {
        assert_eq!(nearest_rank(50, 1), 1);
        assert_eq!(nearest_rank(50, 2), 1);
        assert_eq!(nearest_rank(50, 3), 2);
        assert_eq!(nearest_rank(90, 10), 9);
        assert_eq!(nearest_rank(90, 11), 10);
        assert_eq!(nearest_rank(75, 4), 3);
        assert_eq!(percentile(&mut [], 50), None);
        assert_eq!(percentile(&mut [30, 10, 20], 50), Some(20));
        assert_eq!(percentile(&mut [30, 10, 20, 40], 75), Some(30));
    }

    fn stay(lead_id: i64, status_id: i64, left_at: Option<i64>, next: Option<i64>) -> CohortStay {
        CohortStay {
            lead_created_at: 1_000,
            lead_id,
            integration_id: "i".into(),
            status_id,
            entered_at: 1_000,
            left_at,
            next_status_id: next,
            lead_status_id: 0,
            lead_closed_at: None,
        }
    }

    #[test]
    fn one_pass_counts_each_lead_once_per_stage_and_by_its_furthest_stage() {
        let mut fold = CohortFold::new(vec![10, 20, 30, WON]);
        // Lead 1: 10 -> 20 -> 10 -> 20 (there now); lead 2: 10 -> lost; lead 3: 10 -> 30 -> won.
        let won = |s: CohortStay| CohortStay {
            lead_status_id: WON,
            lead_closed_at: Some(1_000 + 86_400),
            ..s
        };
        let lost = |s: CohortStay| CohortStay {
            lead_status_id: LOST,
            ..s
        };
        for s in [
            stay(1, 10, Some(1_100), Some(20)),
            stay(1, 20, Some(1_300), Some(10)),
            stay(1, 10, Some(1_400), Some(20)),
            stay(1, 20, None, None),
            lost(stay(2, 10, Some(1_500), Some(LOST))),
            lost(stay(2, LOST, None, None)),
            won(stay(3, 10, Some(1_200), Some(30))),
            won(stay(3, 30, Some(1_900), Some(WON))),
            won(stay(3, WON, None, None)),
        ] {
            fold.step(s);
        }
        fold.finish_lead();
        let t = fold.totals();
        assert_eq!((t.leads, t.won, t.lost, t.open), (3, 1, 1, 1));
        assert_eq!(t.win_rate, Some(0.5));
        assert_eq!(t.median_days_to_close, Some(1.0));
        let entered: Vec<i64> = fold.stages.iter().map(|s| s.entered).collect();
        assert_eq!(entered, [3, 1, 1, 1]);
        let current: Vec<i64> = fold.stages.iter().map(|s| s.current).collect();
        assert_eq!(current, [0, 1, 0, 1]);
        assert_eq!(fold.stages[0].lost_from, 1);
        let defs: Vec<StageDef> = [10, 20, 30, WON]
            .iter()
            .map(|id| StageDef {
                status_id: *id,
                status_name: None,
                sort: 0,
                pipeline_name: None,
            })
            .collect();
        let refs: Vec<&StageDef> = defs.iter().collect();
        let stages = funnel_stages(&refs, &mut fold.stages);
        let reached: Vec<i64> = stages.iter().map(|s| s.reached).collect();
        // Lead 3 reached won (so every stage); lead 1 got to 20; lead 2 stayed at 10.
        assert_eq!(reached, [3, 2, 1, 1]);
        assert_eq!(stages[1].conversion_from_previous, Some(2.0 / 3.0));
        // Stage 10's finished stays (all entered at 1,000): 100, 400, 500 and 200 seconds;
        // the nearest-rank median is the second smallest.
        assert_eq!(stages[0].median_hours_in_stage, Some(200.0 / 3600.0));
        assert_eq!(stages[0].p90_hours_in_stage, Some(500.0 / 3600.0));
    }
}
