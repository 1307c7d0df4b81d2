//! The funnel (`GET /v1/kommo/funnel`): a pipeline's stages for a cohort of leads, computed
//! by the database from `lead_stages` (its cohort index holds every column read, a lead's
//! stays side by side), so only the summary leaves it. Definitions: [`crate::rows::Funnel`].

use super::filter::Where;
use crate::Store;
use crate::error::StoreError;
use crate::query::{FunnelQuery, Grant};
use crate::rows::{Funnel, FunnelStage, FunnelTotals};

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

#[derive(sqlx::FromRow)]
struct Furthest {
    r: i64,
    s: i64,
    n: i64,
}

#[derive(sqlx::FromRow)]
struct PerStage {
    status_id: i64,
    entered: i64,
    current: i64,
    lost_from: i64,
}

#[derive(sqlx::FromRow)]
struct Rank {
    status_id: i64,
    n: i64,
    rn: i64,
    d: i64,
}

#[derive(sqlx::FromRow)]
struct Median {
    d: i64,
}

/// The nearest-rank position of percentile `p` (1-100) among `n` sorted values, from 1.
fn nearest_rank(p: i64, n: i64) -> i64 {
    (p * n + 99) / 100
}

/// The percentile positions as SQL over a window's `n` (integer division in both dialects).
fn rank_sql(p: i64) -> String {
    format!("({p} * n + 99) / 100")
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

        let cohort = || {
            let mut w = Where::new();
            w.tenancy(ws, integrations);
            w.eq_int("pipeline_id", query.pipeline_id);
            w.range("lead_created_at", &query.created);
            w.eq_bool("lead_is_deleted", false);
            w.into_parts()
        };
        // A stay's rank: its stage's position; -1 for lost and stages no longer in the pipeline.
        let rank_case = {
            let mut case = String::from("CASE status_id");
            for (i, d) in stages.iter().enumerate() {
                case.push_str(&format!(" WHEN {} THEN {i}", d.status_id));
            }
            case.push_str(" ELSE -1 END");
            case
        };
        let per_lead = "lead_created_at, lead_id, integration_id";

        let (filter, args) = cohort();
        let furthest: Vec<Furthest> = self
            .db()
            .fetch_all(
                &format!(
                    "SELECT r, s, COUNT(*) AS n FROM (SELECT CAST(MAX({rank_case}) AS BIGINT) AS r, MAX(lead_status_id) AS s \
                     FROM lead_stages WHERE {filter} GROUP BY {per_lead}) t GROUP BY r, s"
                ),
                args,
            )
            .await?;

        let (filter, args) = cohort();
        let per_stage: Vec<PerStage> = self
            .db()
            .fetch_all(
                &format!(
                    "SELECT status_id, COUNT(*) AS entered, CAST(SUM(cur) AS BIGINT) AS current, CAST(SUM(lost) AS BIGINT) AS lost_from FROM (\
                     SELECT status_id, MAX(CASE WHEN left_at IS NULL THEN 1 ELSE 0 END) AS cur, \
                     MAX(CASE WHEN next_status_id = {LOST} THEN 1 ELSE 0 END) AS lost \
                     FROM lead_stages WHERE {filter} GROUP BY {per_lead}, status_id) t GROUP BY status_id"
                ),
                args,
            )
            .await?;

        let (filter, args) = cohort();
        let ranks: Vec<Rank> = self
            .db()
            .fetch_all(
                &format!(
                    "SELECT status_id, n, rn, d FROM (SELECT status_id, left_at - entered_at AS d, \
                     ROW_NUMBER() OVER (PARTITION BY status_id ORDER BY left_at - entered_at) AS rn, \
                     COUNT(*) OVER (PARTITION BY status_id) AS n \
                     FROM lead_stages WHERE {filter} AND left_at IS NOT NULL) t \
                     WHERE rn = {} OR rn = {} OR rn = {}",
                    rank_sql(50),
                    rank_sql(75),
                    rank_sql(90)
                ),
                args,
            )
            .await?;

        let (filter, args) = cohort();
        let medians: Vec<Median> = self
            .db()
            .fetch_all(
                &format!(
                    "SELECT d FROM (SELECT d, ROW_NUMBER() OVER (ORDER BY d) AS rn, COUNT(*) OVER () AS n FROM (\
                     SELECT MAX(lead_closed_at) - MAX(lead_created_at) AS d FROM lead_stages \
                     WHERE {filter} AND lead_status_id IN ({WON}, {LOST}) AND lead_closed_at IS NOT NULL \
                     GROUP BY {per_lead}) c) t WHERE rn = {}",
                    rank_sql(50)
                ),
                args,
            )
            .await?;

        let totals = totals(&furthest, medians.first().map(|m| m.d));
        let hours = |status: i64, p: i64| {
            ranks
                .iter()
                .find(|r| r.status_id == status && r.rn == nearest_rank(p, r.n))
                .map(|r| r.d as f64 / 3600.0)
        };
        let mut out: Vec<FunnelStage> = Vec::with_capacity(stages.len());
        for (i, d) in stages.iter().enumerate() {
            let i = i as i64;
            let reached: i64 = furthest.iter().filter(|f| f.r >= i).map(|f| f.n).sum();
            let here = per_stage.iter().find(|p| p.status_id == d.status_id);
            let conversion_from_previous = out
                .last()
                .filter(|prev| prev.reached > 0)
                .map(|prev| reached as f64 / prev.reached as f64);
            out.push(FunnelStage {
                status_id: d.status_id,
                status_name: d.status_name.clone(),
                sort: d.sort,
                entered: here.map_or(0, |p| p.entered),
                reached,
                conversion_from_previous,
                current: here.map_or(0, |p| p.current),
                lost_from: here.map_or(0, |p| p.lost_from),
                median_hours_in_stage: hours(d.status_id, 50),
                p75_hours_in_stage: hours(d.status_id, 75),
                p90_hours_in_stage: hours(d.status_id, 90),
            });
        }
        Ok(Funnel {
            pipeline_id: query.pipeline_id,
            pipeline_name,
            workspace_id: query.scope.workspace_id.clone(),
            stages: out,
            totals,
        })
    }
}

/// The cohort's totals from its leads' (furthest rank, current status) counts.
fn totals(furthest: &[Furthest], median_close_seconds: Option<i64>) -> FunnelTotals {
    let count = |keep: &dyn Fn(&Furthest) -> bool| -> i64 {
        furthest.iter().filter(|f| keep(f)).map(|f| f.n).sum()
    };
    let leads = count(&|_| true);
    let won = count(&|f| f.s == WON);
    let lost = count(&|f| f.s == LOST);
    FunnelTotals {
        leads,
        won,
        lost,
        open: leads - won - lost,
        win_rate: (won + lost > 0).then(|| won as f64 / (won + lost) as f64),
        median_days_to_close: median_close_seconds.map(|d| d as f64 / 86_400.0),
    }
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
    }

    #[test]
    fn totals_split_the_cohort_by_current_status() {
        let furthest = [
            Furthest { r: 0, s: 10, n: 5 },
            Furthest { r: 2, s: WON, n: 3 },
            Furthest {
                r: -1,
                s: LOST,
                n: 2,
            },
        ];
        let t = totals(&furthest, Some(86_400 * 3));
        assert_eq!((t.leads, t.won, t.lost, t.open), (10, 3, 2, 5));
        assert_eq!(t.win_rate, Some(0.6));
        assert_eq!(t.median_days_to_close, Some(3.0));
        assert_eq!(totals(&[], None).win_rate, None);
    }
}
