//! Company changes: checking a company write into a plan, adding and updating companies, and
//! the links of leads and contacts to their company.

use kommo_model::{CompanyRequest, CustomFieldValues, TagRef};

use super::fields::{check_field_count, non_empty};
use super::{ItemErrors, Rejection, loose_timestamp};
use crate::index::Links;
use crate::store::{Account, CompanyRec, EventKind, Extra, Kind, Table};

/// A checked company write, with every reference resolved.
#[derive(Debug, Default)]
pub(crate) struct CompanyPlan {
    pub(crate) name: Option<String>,
    pub(crate) responsible: Option<u32>,
    pub(crate) created_by: Option<u32>,
    pub(crate) created_at: Option<u32>,
    pub(crate) updated_at: Option<u32>,
    pub(crate) fields: Vec<CustomFieldValues>,
    pub(crate) tags: Option<Vec<TagRef>>,
}

/// Moves `item` from company `old`'s row of a link table to company `new`'s.
fn relink(companies: &Table<CompanyRec>, links: &mut Links, item: u32, old: u32, new: u32) {
    if old != 0
        && old != new
        && let Some(pos) = companies.pos(old)
    {
        links.remove(pos as u32, item);
    }
    if let Some(pos) = companies.pos(new) {
        links.add(pos as u32, item);
    }
}

impl Account {
    /// `POST /api/v4/companies`: adds every item or none; the new ids in item order.
    pub(crate) fn add_companies(
        &mut self,
        items: &[CompanyRequest],
        user: u32,
    ) -> Result<Vec<u32>, Rejection> {
        self.add_all(
            items,
            user,
            |acc, item, errors| acc.plan_company(item, "", false, errors),
            Self::create_company,
        )
    }

    /// `PATCH /api/v4/companies[/{id}]`: updates every item or none; each company's id and
    /// new `updated_at`, in item order.
    pub(crate) fn update_companies(
        &mut self,
        items: &[CompanyRequest],
        user: u32,
    ) -> Result<Vec<(u32, u32)>, Rejection> {
        self.update_all(
            items,
            user,
            "Entity not found",
            |acc, id| acc.companies.is_live(id),
            |acc, _, item, errors| acc.plan_company(item, "", false, errors),
            Self::update_company,
        )
    }

    /// Checks one company of an add or update; `prefix` places its errors inside a complex
    /// lead.
    pub(super) fn plan_company(
        &self,
        c: &CompanyRequest,
        prefix: &str,
        complex: bool,
        errors: &mut ItemErrors,
    ) -> CompanyPlan {
        let fields = c.custom_fields_values.as_deref().unwrap_or(&[]);
        check_field_count(fields, prefix, complex, errors);
        let tags = self.plan_entity_tags(
            Kind::Companies,
            c.embedded.as_ref(),
            c.tags_to_add.as_ref(),
            prefix,
            errors,
        );
        CompanyPlan {
            name: c.name.clone(),
            responsible: self.user_ref(
                c.responsible_user_id,
                true,
                &format!("{prefix}responsible_user_id"),
                errors,
            ),
            created_by: self.user_ref(c.created_by, true, &format!("{prefix}created_by"), errors),
            created_at: loose_timestamp(c.created_at),
            updated_at: loose_timestamp(c.updated_at),
            fields: self.check_fields(Kind::Companies, fields, prefix, errors),
            tags,
        }
    }

    /// Creates a checked company; returns its id.
    pub(super) fn create_company(&mut self, plan: CompanyPlan, user: u32, now: u32) -> u32 {
        let id = self.companies.alloc_id();
        let created = plan.created_at.unwrap_or(now);
        let rec = CompanyRec {
            id,
            created_at: created,
            updated_at: plan.updated_at.unwrap_or(now).max(created),
            closest_task_at: 0,
            responsible: plan.responsible.filter(|r| *r != 0).unwrap_or(user),
            created_by: plan.created_by.unwrap_or(user),
            updated_by: user,
            tags: [0; 2],
            flags: 0,
        };
        let tags = plan
            .tags
            .as_ref()
            .map(|t| self.resolve_tags(Kind::Companies, t))
            .unwrap_or_default();
        self.companies.recs.push(rec);
        self.companies.extra.insert(
            id,
            Extra {
                name: Some(plan.name.unwrap_or_else(|| format!("Company #{id}"))),
                fields: Some(non_empty(plan.fields)),
                tags: Some(tags),
                ..Extra::default()
            },
        );
        self.companies
            .index
            .insert(id, rec.created_at, rec.updated_at);
        self.record(
            EventKind::CompanyAdded,
            "company",
            id,
            rec.created_by,
            created,
        );
        id
    }

    /// Applies a checked update; returns the new `updated_at`.
    fn update_company(&mut self, id: u32, plan: CompanyPlan, user: u32, now: u32) -> u32 {
        let Some(rec) = self.companies.get(id).copied() else {
            return now;
        };
        if let Some(name) = plan.name {
            self.extra_mut(Kind::Companies, id).name = Some(name);
        }
        if let Some(r) = plan.responsible.filter(|r| *r != 0)
            && let Some(c) = self.companies.get_mut(id)
        {
            c.responsible = r;
        }
        self.apply_fields(Kind::Companies, id, plan.fields);
        if let Some(tags) = plan.tags {
            let ids = self.resolve_tags(Kind::Companies, &tags);
            self.extra_mut(Kind::Companies, id).tags = Some(ids);
        }
        let at = plan.updated_at.unwrap_or(now).max(rec.created_at);
        self.companies.touch(id, user, at);
        at
    }

    /// Links a company to a lead (a lead has at most one company).
    pub(super) fn link_lead_company(&mut self, lead: u32, company: u32) {
        let Some(rec) = self.leads.get_mut(lead) else {
            return;
        };
        let old = rec.company_id;
        rec.company_id = company;
        relink(&self.companies, &mut self.company_leads, lead, old, company);
    }

    /// Links a contact to a company (a contact has at most one company).
    pub(super) fn link_contact_company(&mut self, contact: u32, company: u32) {
        let Some(rec) = self.contacts.get_mut(contact) else {
            return;
        };
        let old = rec.company_id;
        rec.company_id = company;
        relink(
            &self.companies,
            &mut self.company_contacts,
            contact,
            old,
            company,
        );
    }

    pub(crate) fn touch_company(&mut self, id: u32, by: u32, at: u32) {
        self.companies.touch(id, by, at);
    }

    /// Deletes a company (restorable, listed by `with=only_deleted`), logging
    /// `company_deleted`; false when there is no such live company.
    pub(crate) fn delete_company(&mut self, id: u32, by: u32, at: u32) -> bool {
        let deleted = self.companies.delete(id, by, at);
        if deleted {
            self.record(EventKind::CompanyDeleted, "company", id, by, at);
        }
        deleted
    }

    pub(crate) fn restore_company(&mut self, id: u32, by: u32, at: u32) -> bool {
        let restored = self.companies.restore(id, by, at);
        if restored {
            self.record(EventKind::CompanyRestored, "company", id, by, at);
        }
        restored
    }
}
