//! Leads: one record each from its own stream, spread over the pipelines' stages (older
//! leads more often closed), most with a contact and some with a company.

use kommo_model::{LossReason, Source};

use super::{COMPANY_BASE, CONTACT_BASE, DAY, History, LEAD_BASE, packed_tags, spread};
use crate::rng::{Rng, stream};
use crate::store::{ContactRec, LeadRec, PRICE_BY_ROBOT, PipelineRec, StatusRec};

/// What leads refer to.
pub(super) struct Refs<'a> {
    pub(super) pipelines: &'a [PipelineRec],
    pub(super) contacts: &'a [ContactRec],
    pub(super) companies: u32,
    pub(super) loss_reasons: &'a [LossReason],
    pub(super) sources: &'a [Source],
    pub(super) tag_count: usize,
}

pub(super) fn leads(h: &History<'_>, count: u32, refs: &Refs<'_>) -> Vec<LeadRec> {
    let pipelines = refs.pipelines;
    let n_contacts = refs.contacts.len() as u32;
    let n_companies = refs.companies;
    let mut leads = Vec::with_capacity(count as usize);
    for i in 0..count {
        let id = LEAD_BASE + i;
        let mut r = Rng::new(h.seed, stream::LEAD, u64::from(id));
        let created = spread(i, count, h.start, &mut r);
        let age = h.anchor - i64::from(created);
        let p = if pipelines.len() == 1 || r.percent(60) {
            0
        } else {
            1 + r.index(pipelines.len() - 1)
        };
        let pipeline = &pipelines[p];
        let closed = r.percent((15 + age / DAY / 8).min(85) as u64);
        let status_id = if closed {
            if r.percent(40) { 142 } else { 143 }
        } else {
            let open: Vec<&StatusRec> = pipeline
                .statuses
                .iter()
                .filter(|s| s.id != 142 && s.id != 143)
                .collect();
            // Earlier stages hold more leads; the incoming stage only when it is on.
            let weights: Vec<u32> = open
                .iter()
                .enumerate()
                .map(|(n, s)| {
                    if s.kind == 1 {
                        if pipeline.is_unsorted_on { 6 } else { 0 }
                    } else {
                        40 / (n as u32 + 1) + 4
                    }
                })
                .collect();
            open[r.weighted(&weights)].id
        };
        let closed_at = if closed {
            created + r.range(3_600, age.clamp(3_601, 90 * DAY)) as u32
        } else {
            0
        };
        let last = created.max(closed_at);
        let updated = last + r.range(0, (h.anchor - i64::from(last)).clamp(1, 30 * DAY)) as u32;
        let price = if r.percent(12) {
            0
        } else {
            let v = 10f64.powf(2.0 + 3.0 * r.unit()) as u32;
            v - v % 10
        };
        let responsible = *r.pick(h.active_users);
        let contact_id = if n_contacts > 0 && r.percent(85) {
            CONTACT_BASE + r.below(u64::from(n_contacts)) as u32
        } else {
            0
        };
        let contact_company = if contact_id != 0 {
            refs.contacts[(contact_id - CONTACT_BASE) as usize].company_id
        } else {
            0
        };
        let company_id = if contact_company != 0 && r.percent(70) {
            contact_company
        } else if n_companies > 0 && r.percent(10) {
            COMPANY_BASE + r.below(u64::from(n_companies)) as u32
        } else {
            0
        };
        let loss_reason_id = if status_id == 143 && r.percent(75) {
            r.pick(refs.loss_reasons).id as u32
        } else {
            0
        };
        let source_id = if r.percent(35) {
            r.pick(refs.sources).id as u32
        } else {
            0
        };
        leads.push(LeadRec {
            id,
            created_at: created,
            updated_at: updated,
            closed_at,
            closest_task_at: 0,
            price,
            status_id,
            pipeline_id: pipeline.id,
            responsible,
            created_by: if r.percent(10) { 0 } else { responsible },
            updated_by: if r.percent(15) { 0 } else { responsible },
            loss_reason_id,
            source_id,
            company_id,
            contact_id,
            tags: packed_tags::<3>(&mut r, refs.tag_count, &[45, 30, 18, 7]),
            flags: if r.percent(5) { PRICE_BY_ROBOT } else { 0 },
        });
    }
    leads
}
