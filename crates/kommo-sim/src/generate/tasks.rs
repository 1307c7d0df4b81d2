//! Tasks: one record each from its own stream, on a lead, contact or company; each
//! entity's closest open task is set from them.

use super::{COMPANY_BASE, CONTACT_BASE, DAY, History, LEAD_BASE, TASK_BASE, spread};
use crate::rng::{Rng, stream};
use crate::store::{CompanyRec, ContactRec, LeadRec, TaskRec};

pub(super) fn tasks(
    h: &History<'_>,
    count: u32,
    leads: &mut [LeadRec],
    contacts: &mut [ContactRec],
    companies: &mut [CompanyRec],
) -> Vec<TaskRec> {
    let n_leads = leads.len() as u32;
    let n_contacts = contacts.len() as u32;
    let n_companies = companies.len() as u32;
    let mut tasks = Vec::with_capacity(count as usize);
    for i in 0..count {
        let id = TASK_BASE + i;
        let mut r = Rng::new(h.seed, stream::TASK, u64::from(id));
        let created = spread(i, count, h.start, &mut r);
        let (entity_type, entity_id) = match r.below(10) {
            0..=6 if n_leads > 0 => (1u8, LEAD_BASE + r.below(u64::from(n_leads)) as u32),
            7 | 8 if n_contacts > 0 => (2, CONTACT_BASE + r.below(u64::from(n_contacts)) as u32),
            _ if n_companies > 0 => (3, COMPANY_BASE + r.below(u64::from(n_companies)) as u32),
            _ => (0, 0),
        };
        let complete_till = created + r.range(3_600, 14 * DAY) as u32;
        let completed = if i64::from(complete_till) < h.anchor - DAY {
            r.percent(85)
        } else {
            r.percent(5)
        };
        let updated = if completed {
            (i64::from(complete_till) + r.range(0, 2 * DAY)).min(h.anchor) as u32
        } else {
            created
        };
        let task_type = match r.below(100) {
            0..=59 => 1,
            60..=84 => 2,
            _ => 3,
        };
        let responsible = *r.pick(h.active_users);
        tasks.push(TaskRec {
            id,
            created_at: created,
            updated_at: updated.max(created),
            complete_till,
            responsible,
            created_by: if r.percent(20) { 0 } else { responsible },
            updated_by: responsible,
            entity_id,
            entity_type,
            task_type,
            completed,
            duration: if task_type == 2 { 3_600 } else { 0 },
        });
        if !completed {
            let slot = match entity_type {
                1 => leads
                    .get_mut((entity_id - LEAD_BASE) as usize)
                    .map(|l| &mut l.closest_task_at),
                2 => contacts
                    .get_mut((entity_id - CONTACT_BASE) as usize)
                    .map(|c| &mut c.closest_task_at),
                3 => companies
                    .get_mut((entity_id - COMPANY_BASE) as usize)
                    .map(|c| &mut c.closest_task_at),
                _ => None,
            };
            if let Some(slot) = slot
                && (*slot == 0 || *slot > complete_till)
            {
                *slot = complete_till;
            }
        }
    }
    tasks
}
