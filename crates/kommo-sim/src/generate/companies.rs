//! Companies: one record each from its own stream.

use super::{COMPANY_BASE, DAY, History, packed_tags, spread};
use crate::rng::{Rng, stream};
use crate::store::CompanyRec;

pub(super) fn companies(h: &History<'_>, count: u32, tag_count: usize) -> Vec<CompanyRec> {
    let mut companies = Vec::with_capacity(count as usize);
    for i in 0..count {
        let id = COMPANY_BASE + i;
        let mut r = Rng::new(h.seed, stream::COMPANY, u64::from(id));
        let created = spread(i, count, h.start, &mut r);
        let updated =
            created + r.range(0, (h.anchor - i64::from(created)).clamp(1, 120 * DAY)) as u32;
        let responsible = *r.pick(h.active_users);
        companies.push(CompanyRec {
            id,
            created_at: created,
            updated_at: updated,
            closest_task_at: 0,
            responsible,
            created_by: if r.percent(10) { 0 } else { responsible },
            updated_by: if r.percent(15) { 0 } else { responsible },
            tags: packed_tags::<2>(&mut r, tag_count, &[60, 30, 10]),
            flags: 0,
        });
    }
    companies
}
