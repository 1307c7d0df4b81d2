//! Contacts: one record each from its own stream; two in five work for a company.

use super::{COMPANY_BASE, CONTACT_BASE, DAY, History, packed_tags, spread};
use crate::rng::{Rng, stream};
use crate::store::ContactRec;

pub(super) fn contacts(
    h: &History<'_>,
    count: u32,
    companies: u32,
    tag_count: usize,
) -> Vec<ContactRec> {
    let mut contacts = Vec::with_capacity(count as usize);
    for i in 0..count {
        let id = CONTACT_BASE + i;
        let mut r = Rng::new(h.seed, stream::CONTACT, u64::from(id));
        let created = spread(i, count, h.start, &mut r);
        let updated =
            created + r.range(0, (h.anchor - i64::from(created)).clamp(1, 90 * DAY)) as u32;
        let responsible = *r.pick(h.active_users);
        let company_id = if companies > 0 && r.percent(40) {
            COMPANY_BASE + r.below(u64::from(companies)) as u32
        } else {
            0
        };
        contacts.push(ContactRec {
            id,
            created_at: created,
            updated_at: updated,
            closest_task_at: 0,
            responsible,
            created_by: if r.percent(10) { 0 } else { responsible },
            updated_by: if r.percent(15) { 0 } else { responsible },
            company_id,
            tags: packed_tags::<2>(&mut r, tag_count, &[65, 28, 7]),
            flags: 0,
        });
    }
    contacts
}
