//! Contact changes: checking a contact write into a plan, adding and updating contacts,
//! deleting and restoring them, and the phone / e-mail index behind duplicate control.

use std::collections::HashMap;

use kommo_model::{ContactRequest, CustomFieldValues, TagRef};

use super::fields::{check_field_count, non_empty};
use super::{ItemErrors, Rejection, loose_timestamp};
use crate::store::{Account, ContactRec, EventKind, Extra, Kind, join_name};

/// A checked contact write, with every reference resolved.
#[derive(Debug, Default)]
pub(crate) struct ContactPlan {
    pub(crate) name: Option<String>,
    pub(crate) first_name: Option<String>,
    pub(crate) last_name: Option<String>,
    pub(crate) responsible: Option<u32>,
    pub(crate) created_by: Option<u32>,
    pub(crate) created_at: Option<u32>,
    pub(crate) updated_at: Option<u32>,
    pub(crate) fields: Vec<CustomFieldValues>,
    pub(crate) tags: Option<Vec<TagRef>>,
    pub(crate) company: Option<u32>,
}

/// The duplicate-control keys of a contact: its phones (last 10 digits) and e-mails.
pub(super) fn dup_keys(fields: &[CustomFieldValues]) -> Vec<String> {
    let mut keys = Vec::new();
    for f in fields {
        let code = f.field_code.as_deref().unwrap_or("");
        for v in f.values.iter().flatten() {
            let Some(text) = v.value.as_ref().and_then(|x| x.as_str()) else {
                continue;
            };
            match code {
                "PHONE" => {
                    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
                    if digits.len() >= 6 {
                        keys.push(format!("p:{}", &digits[digits.len().saturating_sub(10)..]));
                    }
                }
                "EMAIL" => keys.push(format!("e:{}", text.trim().to_lowercase())),
                _ => {}
            }
        }
    }
    keys
}

impl Account {
    /// `POST /api/v4/contacts`: adds every item or none; the new ids in item order.
    pub(crate) fn add_contacts(
        &mut self,
        items: &[ContactRequest],
        user: u32,
    ) -> Result<Vec<u32>, Rejection> {
        self.add_all(
            items,
            user,
            |acc, item, errors| acc.plan_contact(item, "", false, errors),
            Self::create_contact,
        )
    }

    /// `PATCH /api/v4/contacts[/{id}]`: updates every item or none; each contact's id and
    /// new `updated_at`, in item order.
    pub(crate) fn update_contacts(
        &mut self,
        items: &[ContactRequest],
        user: u32,
    ) -> Result<Vec<(u32, u32)>, Rejection> {
        self.update_all(
            items,
            user,
            "Entity not found",
            |acc, id| acc.contacts.is_live(id),
            |acc, _, item, errors| acc.plan_contact(item, "", false, errors),
            Self::update_contact,
        )
    }

    /// Checks one contact of an add or update; `prefix` places its errors inside a complex
    /// lead.
    pub(super) fn plan_contact(
        &self,
        c: &ContactRequest,
        prefix: &str,
        complex: bool,
        errors: &mut ItemErrors,
    ) -> ContactPlan {
        let fields = c.custom_fields_values.as_deref().unwrap_or(&[]);
        check_field_count(fields, prefix, complex, errors);
        let tags = self.plan_entity_tags(
            Kind::Contacts,
            c.embedded.as_ref(),
            c.tags_to_add.as_ref(),
            prefix,
            errors,
        );
        let company = c
            .embedded
            .as_ref()
            .and_then(|e| e.get("companies"))
            .and_then(|v| v.get(0))
            .and_then(|v| v.get("id"))
            .and_then(serde_json::Value::as_i64);
        let company = match company {
            Some(id) => {
                let found = u32::try_from(id)
                    .ok()
                    .filter(|id| self.companies.get(*id).is_some());
                if found.is_none() {
                    errors.push(
                        "NotSupportedChoice",
                        format!("{prefix}_embedded.companies.0.id"),
                        "Company not found",
                    );
                }
                found
            }
            None => None,
        };
        ContactPlan {
            name: c.name.clone(),
            first_name: c.first_name.clone(),
            last_name: c.last_name.clone(),
            responsible: self.user_ref(
                c.responsible_user_id,
                true,
                &format!("{prefix}responsible_user_id"),
                errors,
            ),
            created_by: self.user_ref(c.created_by, true, &format!("{prefix}created_by"), errors),
            created_at: loose_timestamp(c.created_at),
            updated_at: loose_timestamp(c.updated_at),
            fields: self.check_fields(Kind::Contacts, fields, prefix, errors),
            tags,
            company,
        }
    }

    /// Creates a checked contact; returns its id.
    pub(super) fn create_contact(&mut self, plan: ContactPlan, user: u32, now: u32) -> u32 {
        let id = self.contacts.alloc_id();
        let created = plan.created_at.unwrap_or(now);
        let rec = ContactRec {
            id,
            created_at: created,
            updated_at: plan.updated_at.unwrap_or(now).max(created),
            closest_task_at: 0,
            responsible: plan.responsible.filter(|r| *r != 0).unwrap_or(user),
            created_by: plan.created_by.unwrap_or(user),
            updated_by: user,
            company_id: 0,
            tags: [0; 2],
            flags: 0,
        };
        let tags = plan
            .tags
            .as_ref()
            .map(|t| self.resolve_tags(Kind::Contacts, t))
            .unwrap_or_default();
        let first = plan.first_name.clone().unwrap_or_default();
        let last = plan.last_name.clone().unwrap_or_default();
        let name = plan
            .name
            .clone()
            .unwrap_or_else(|| join_name(&first, &last));
        self.contacts.recs.push(rec);
        self.contacts.extra.insert(
            id,
            Extra {
                name: Some(name),
                first_name: Some(first),
                last_name: Some(last),
                fields: Some(non_empty(plan.fields)),
                tags: Some(tags),
                contacts: None,
            },
        );
        self.contacts
            .index
            .insert(id, rec.created_at, rec.updated_at);
        if let Some(company) = plan.company {
            self.link_contact_company(id, company);
        }
        self.index_contact_keys(id);
        self.record(
            EventKind::ContactAdded,
            "contact",
            id,
            rec.created_by,
            created,
        );
        id
    }

    /// Applies a checked update; returns the new `updated_at`.
    fn update_contact(&mut self, id: u32, plan: ContactPlan, user: u32, now: u32) -> u32 {
        let Some(rec) = self.contacts.get(id).copied() else {
            return now;
        };
        let (mut name, mut first, mut last) = self.contact_names(id);
        let names_changed =
            plan.name.is_some() || plan.first_name.is_some() || plan.last_name.is_some();
        if let Some(f) = plan.first_name {
            first = f;
        }
        if let Some(l) = plan.last_name {
            last = l;
        }
        if let Some(n) = plan.name {
            name = n;
        } else if names_changed {
            name = join_name(&first, &last);
        }
        if names_changed {
            let extra = self.extra_mut(Kind::Contacts, id);
            extra.name = Some(name);
            extra.first_name = Some(first);
            extra.last_name = Some(last);
        }
        if let Some(r) = plan.responsible.filter(|r| *r != 0)
            && let Some(c) = self.contacts.get_mut(id)
        {
            c.responsible = r;
        }
        self.apply_fields(Kind::Contacts, id, plan.fields);
        if let Some(tags) = plan.tags {
            let ids = self.resolve_tags(Kind::Contacts, &tags);
            self.extra_mut(Kind::Contacts, id).tags = Some(ids);
        }
        if let Some(company) = plan.company {
            self.link_contact_company(id, company);
        }
        self.index_contact_keys(id);
        let at = plan.updated_at.unwrap_or(now).max(rec.created_at);
        self.touch_contact(id, user, at);
        at
    }

    pub(crate) fn touch_contact(&mut self, id: u32, by: u32, at: u32) {
        self.contacts.touch(id, by, at);
    }

    pub(crate) fn delete_contact(&mut self, id: u32, by: u32, at: u32) -> bool {
        let deleted = self.contacts.delete(id, by, at);
        if deleted {
            self.record(EventKind::ContactDeleted, "contact", id, by, at);
        }
        deleted
    }

    pub(crate) fn restore_contact(&mut self, id: u32, by: u32, at: u32) -> bool {
        let restored = self.contacts.restore(id, by, at);
        if restored {
            self.record(EventKind::ContactRestored, "contact", id, by, at);
        }
        restored
    }

    /// The phone/e-mail -> contact index behind duplicate control, built on first use.
    pub(super) fn ensure_dup_index(&mut self) {
        if self.dup_index.is_some() {
            return;
        }
        let mut index = HashMap::new();
        for id in self.contacts.index.live.clone() {
            for key in dup_keys(&self.field_values(Kind::Contacts, id).unwrap_or_default()) {
                index.entry(key).or_insert(id);
            }
        }
        self.dup_index = Some(index);
    }

    fn index_contact_keys(&mut self, id: u32) {
        let keys = dup_keys(&self.field_values(Kind::Contacts, id).unwrap_or_default());
        if let Some(index) = self.dup_index.as_mut() {
            for key in keys {
                index.entry(key).or_insert(id);
            }
        }
    }
}
