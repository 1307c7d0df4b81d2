//! Pipelines and their stages: the main one with five, the others with three to six.

use crate::names;
use crate::rng::Rng;
use crate::store::{PipelineRec, StatusRec};

pub(super) struct Pipelines {
    pub(super) pipelines: Vec<PipelineRec>,
    /// Where ids of pipelines and statuses added later continue.
    pub(super) next_status_id: u32,
    pub(super) next_pipeline_id: u32,
}

/// `count` pipelines (1 to 50), drawn from the account stream.
pub(super) fn pipelines(count: u32, rng: &mut Rng) -> Pipelines {
    let mut next_status_id = 58_000_000 + (rng.below(1_000_000) as u32) * 4;
    let mut next_pipeline_id = 6_900_000 + rng.below(90_000) as u32 * 10;
    let mut pipelines = Vec::new();
    for p in 0..count.clamp(1, 50) {
        let id = next_pipeline_id;
        next_pipeline_id += 4_200;
        let main = p == 0;
        let mut statuses = vec![StatusRec::incoming(next_status_id)];
        next_status_id += 4;
        let stages = if main { 5 } else { 3 + rng.below(4) as usize };
        let offset = if main {
            0
        } else {
            rng.index(names::STAGE_NAMES.len())
        };
        for s in 0..stages {
            statuses.push(StatusRec {
                id: next_status_id,
                name: names::STAGE_NAMES[(offset + s) % names::STAGE_NAMES.len()].to_owned(),
                sort: 20 + 10 * s as i64,
                is_editable: true,
                color: (*rng.pick(names::STATUS_COLORS)).to_owned(),
                kind: 0,
                descriptions: None,
            });
            next_status_id += 4;
        }
        statuses.push(StatusRec::closed(142, None));
        statuses.push(StatusRec::closed(143, None));
        pipelines.push(PipelineRec {
            id,
            name: if main {
                "Pipeline".to_owned()
            } else {
                names::PIPELINE_NAMES[p as usize % names::PIPELINE_NAMES.len()].to_owned()
            },
            sort: i64::from(p) + 1,
            is_main: main,
            is_unsorted_on: main || rng.percent(70),
            is_archive: false,
            statuses,
        });
    }
    Pipelines {
        pipelines,
        next_status_id,
        next_pipeline_id,
    }
}
