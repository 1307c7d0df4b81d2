//! `POST /api/v4/leads/complex`: leads added with a new contact and company each, or merged
//! into an existing contact (and its open lead) when the contact's phone or e-mail is known.

use kommo_model::{ComplexAddResult, LeadRequest};

use super::companies::CompanyPlan;
use super::contacts::{ContactPlan, dup_keys};
use super::leads::LeadPlan;
use super::{Rejection, check_all, is_closed, request_id};
use crate::store::{Account, DELETED};

struct ComplexPlan {
    lead: LeadPlan,
    /// The new contact, and the existing one it duplicates, if any.
    contact: Option<(ContactPlan, Option<u32>)>,
    company: Option<CompanyPlan>,
}

impl Account {
    /// Adds every item or none: for each, the lead, contact and company it ended up with.
    pub(crate) fn add_complex(
        &mut self,
        items: &[LeadRequest],
        user: u32,
    ) -> Result<Vec<ComplexAddResult>, Rejection> {
        self.ensure_dup_index();
        let plans = check_all(items, |item, errors| {
            let lead = self.plan_lead(item, None, true, errors);
            let embedded = item.embedded.as_ref();
            let contact = embedded
                .and_then(|e| e.contacts.as_ref())
                .and_then(|c| c.first())
                .map(|c| {
                    let plan = self.plan_contact(c, "_embedded.contacts.0.", true, errors);
                    let duplicate = dup_keys(&plan.fields)
                        .iter()
                        .find_map(|k| self.dup_index.as_ref().and_then(|d| d.get(k).copied()));
                    (plan, duplicate)
                });
            let company = embedded
                .and_then(|e| e.companies.as_ref())
                .and_then(|c| c.first())
                .map(|c| self.plan_company(c, "_embedded.companies.0.", true, errors));
            ComplexPlan {
                lead,
                contact,
                company,
            }
        })?;
        let now = self.write_now();
        Ok(plans
            .into_iter()
            .enumerate()
            .map(|(i, plan)| {
                let rid = request_id(items[i].request_id.as_ref(), i);
                self.apply_complex(plan, rid, user, now)
            })
            .collect())
    }

    fn apply_complex(
        &mut self,
        plan: ComplexPlan,
        rid: String,
        user: u32,
        now: u32,
    ) -> ComplexAddResult {
        let mut merged = false;
        let (contact_id, existing_lead) = match plan.contact {
            Some((_, Some(existing))) => {
                merged = true;
                let pos = self.contacts.pos(existing).unwrap_or(usize::MAX) as u32;
                let lead = self
                    .contact_leads
                    .get(pos)
                    .iter()
                    .copied()
                    .filter(|id| {
                        self.leads
                            .get(*id)
                            .is_some_and(|l| l.flags & DELETED == 0 && !is_closed(l.status_id))
                    })
                    .max();
                (Some(existing), lead)
            }
            Some((contact, None)) => (Some(self.create_contact(contact, user, now)), None),
            None => (None, None),
        };
        let contact_company = contact_id
            .and_then(|c| self.contacts.get(c))
            .map(|c| c.company_id)
            .filter(|c| *c != 0);
        let company_id = match (plan.company, contact_company, merged) {
            (Some(_), Some(existing), true) => Some(existing),
            (Some(company), _, _) => Some(self.create_company(company, user, now)),
            (None, existing, _) => existing,
        };
        if let (Some(contact), Some(company), false) = (contact_id, company_id, merged) {
            self.link_contact_company(contact, company);
        }
        let lead_id = match existing_lead {
            Some(lead) => {
                let mut update = plan.lead;
                update.stage = None;
                self.update_lead(lead, update, user, now);
                lead
            }
            None => {
                let mut lead = plan.lead;
                if let Some(c) = contact_id {
                    lead.contacts = vec![(c, true)];
                }
                lead.company = company_id;
                self.create_lead(lead, user, now)
            }
        };
        if let Some(c) = contact_id {
            self.link_lead_contact(lead_id, c, true);
        }
        if let Some(company) = company_id {
            self.link_lead_company(lead_id, company);
        }
        ComplexAddResult {
            id: i64::from(lead_id),
            contact_id: contact_id.map(i64::from),
            company_id: company_id.map(i64::from),
            request_id: vec![rid],
            merged,
        }
    }
}
