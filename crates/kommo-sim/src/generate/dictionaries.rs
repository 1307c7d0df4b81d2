//! The small dictionaries: loss reasons, sources, and the tags of each kind.

use kommo_model::{LossReason, Source, Tag};

use crate::names;
use crate::rng::Rng;
use crate::store::PipelineRec;

pub(super) fn loss_reasons(start: i64) -> Vec<LossReason> {
    names::LOSS_REASONS
        .iter()
        .enumerate()
        .map(|(i, name)| LossReason {
            id: 15_906_383 + i as i64 * 2,
            name: (*name).to_owned(),
            sort: 100_000 + i as i64 * 1000,
            created_at: start,
            updated_at: start,
        })
        .collect()
}

/// One source per known origin, each feeding a pipeline in turn.
pub(super) fn sources(pipelines: &[PipelineRec]) -> Vec<Source> {
    names::SOURCES
        .iter()
        .enumerate()
        .map(|(i, (name, origin))| Source {
            id: 20_692_839 + i as i64,
            name: (*name).to_owned(),
            pipeline_id: Some(i64::from(pipelines[i % pipelines.len()].id)),
            external_id: Some(format!("{origin}-{}", i + 1)),
            default: Some(i == 0),
            origin_code: Some((*origin).to_owned()),
            services: Vec::new(),
        })
        .collect()
}

/// The tag dictionaries of leads, contacts and companies (colours drawn from the account
/// stream), and the id the next tag added will take.
pub(super) fn tags(rng: &mut Rng) -> ([Vec<Tag>; 3], i64) {
    let mut next_tag_id = 2_164;
    let mut tag_dict = |list: &[&str], rng: &mut Rng| -> Vec<Tag> {
        list.iter()
            .map(|name| {
                let id = next_tag_id;
                next_tag_id += 1;
                let color = rng
                    .percent(70)
                    .then(|| (*rng.pick(names::TAG_COLORS)).to_owned());
                Tag {
                    id,
                    name: (*name).to_owned(),
                    color,
                    request_id: None,
                }
            })
            .collect()
    };
    let tags = [
        tag_dict(names::LEAD_TAGS, rng),
        tag_dict(names::CONTACT_TAGS, rng),
        tag_dict(names::COMPANY_TAGS, rng),
    ];
    (tags, next_tag_id)
}
