//! Lead changes: checking a lead write into a plan, adding and updating leads, their price,
//! stage, deletion and restoration, and their links to contacts.

use kommo_model::{CustomFieldValues, LeadRequest, TagRef};

use super::fields::{check_field_count, non_empty};
use super::{ItemErrors, Rejection, is_closed, timestamp};
use crate::store::{Account, DELETED, EventKind, EventValue, Extra, Kind, LeadRec};

/// A checked lead write, with every reference resolved.
#[derive(Debug, Default)]
pub(crate) struct LeadPlan {
    pub(crate) name: Option<String>,
    pub(crate) price: Option<u32>,
    /// (pipeline, status) when the write sets or implies one.
    pub(crate) stage: Option<(u32, u32)>,
    pub(crate) responsible: Option<u32>,
    pub(crate) created_by: Option<u32>,
    pub(crate) updated_by: Option<u32>,
    pub(crate) created_at: Option<u32>,
    pub(crate) updated_at: Option<u32>,
    pub(crate) closed_at: Option<u32>,
    pub(crate) loss_reason: Option<u32>,
    pub(crate) source: Option<u32>,
    pub(crate) fields: Vec<CustomFieldValues>,
    pub(crate) tags: Option<Vec<TagRef>>,
    pub(crate) tags_add: Vec<TagRef>,
    pub(crate) tags_delete: Vec<TagRef>,
    pub(crate) contacts: Vec<(u32, bool)>,
    pub(crate) company: Option<u32>,
}

impl Account {
    /// `POST /api/v4/leads`: adds every item or none; the new ids in item order.
    pub(crate) fn add_leads(
        &mut self,
        items: &[LeadRequest],
        user: u32,
    ) -> Result<Vec<u32>, Rejection> {
        self.add_all(
            items,
            user,
            |acc, item, errors| acc.plan_lead(item, None, false, errors),
            Self::create_lead,
        )
    }

    /// `PATCH /api/v4/leads[/{id}]`: updates every item or none; each lead's id and new
    /// `updated_at`, in item order.
    pub(crate) fn update_leads(
        &mut self,
        items: &[LeadRequest],
        user: u32,
    ) -> Result<Vec<(u32, u32)>, Rejection> {
        self.update_all(
            items,
            user,
            "Lead not found",
            |acc, id| acc.leads.is_live(id),
            |acc, id, item, errors| acc.plan_lead(item, acc.leads.get(id), false, errors),
            Self::update_lead,
        )
    }

    /// Checks one lead of an add (`existing` None) or update, in plain (`_embedded` links by
    /// id) or complex (`_embedded` holds new entities) form.
    pub(super) fn plan_lead(
        &self,
        item: &LeadRequest,
        existing: Option<&LeadRec>,
        complex: bool,
        errors: &mut ItemErrors,
    ) -> LeadPlan {
        let mut plan = LeadPlan::default();
        if let Some(name) = &item.name {
            if name.chars().count() > 255 {
                errors.push(
                    "InvalidLength",
                    "name",
                    "This value is too long. It should have 255 characters or less.",
                );
            }
            plan.name = Some(name.clone());
        }
        if let Some(price) = item.price {
            match u32::try_from(price) {
                Ok(p) => plan.price = Some(p),
                Err(_) => errors.push(
                    "InvalidValue",
                    "price",
                    "This value should be between 0 and 4294967295.",
                ),
            }
        }
        let pipeline = match item.pipeline_id {
            Some(pid) => match u32::try_from(pid).ok().and_then(|p| self.pipeline(p)) {
                Some(p) => Some(p),
                None => {
                    errors.push(
                        "NotSupportedChoice",
                        "pipeline_id",
                        "The value you selected is not a valid choice.",
                    );
                    return plan;
                }
            },
            None => None,
        };
        // The source may choose the pipeline when none is given.
        if let Some(source) = item.embedded.as_ref().and_then(|e| e.source.as_ref()) {
            match self
                .sources
                .iter()
                .find(|s| s.external_id.as_deref() == Some(source.external_id.as_str()))
            {
                Some(s) => plan.source = Some(s.id as u32),
                None => errors.push(
                    "NotSupportedChoice",
                    "_embedded.source.external_id",
                    "Source not found",
                ),
            }
        }
        let source_pipeline = plan
            .source
            .and_then(|s| self.sources.iter().find(|x| x.id == i64::from(s)))
            .and_then(|s| s.pipeline_id)
            .and_then(|p| self.pipeline(p as u32));
        match item.status_id {
            Some(sid) => {
                let sid = u32::try_from(sid).unwrap_or(0);
                let target = pipeline
                    .or_else(|| {
                        // A status id names its pipeline, except the shared system ones.
                        let owners: Vec<_> = self
                            .pipelines
                            .iter()
                            .filter(|p| p.statuses.iter().any(|s| s.id == sid))
                            .collect();
                        if owners.len() == 1 && !is_closed(sid) {
                            Some(owners[0])
                        } else {
                            None
                        }
                    })
                    .or_else(|| existing.and_then(|l| self.pipeline(l.pipeline_id)))
                    .or(source_pipeline)
                    .or_else(|| self.main_pipeline());
                match target.filter(|p| p.statuses.iter().any(|s| s.id == sid)) {
                    Some(p) => plan.stage = Some((p.id, sid)),
                    None => errors.push(
                        "NotSupportedChoice",
                        "status_id",
                        "The value you selected is not a valid choice.",
                    ),
                }
            }
            None => {
                if let Some(p) = pipeline {
                    if existing.is_none_or(|l| l.pipeline_id != p.id) {
                        plan.stage = Some((p.id, p.first_stage()));
                    }
                } else if existing.is_none() {
                    let p = source_pipeline.or_else(|| self.main_pipeline());
                    plan.stage = p.map(|p| (p.id, p.first_stage()));
                }
            }
        }
        plan.responsible = self.user_ref(
            item.responsible_user_id,
            false,
            "responsible_user_id",
            errors,
        );
        plan.created_by = self.user_ref(item.created_by, true, "created_by", errors);
        plan.updated_by = self.user_ref(item.updated_by, true, "updated_by", errors);
        plan.created_at = timestamp(item.created_at, "created_at", errors);
        plan.updated_at = timestamp(item.updated_at, "updated_at", errors);
        plan.closed_at = timestamp(item.closed_at, "closed_at", errors);
        if let Some(reason) = item.loss_reason_id {
            if reason == 0 {
                plan.loss_reason = Some(0);
            } else if self.loss_reasons.iter().any(|r| r.id == reason) {
                plan.loss_reason = Some(reason as u32);
            } else {
                errors.push(
                    "NotSupportedChoice",
                    "loss_reason_id",
                    "Loss reason not found",
                );
            }
        }
        if let Some(fields) = &item.custom_fields_values {
            check_field_count(fields, "", complex, errors);
            plan.fields = self.check_fields(Kind::Leads, fields, "", errors);
        }
        if let Some(embedded) = &item.embedded {
            if let Some(tags) = &embedded.tags {
                self.check_tags(Kind::Leads, tags, "_embedded.tags", errors);
                plan.tags = Some(tags.clone());
            }
            if complex {
                if embedded.contacts.as_ref().is_some_and(|c| c.len() > 1) {
                    errors.push(
                        "TooManyEntities",
                        "_embedded.contacts",
                        "At most one contact per lead.",
                    );
                }
                if embedded.companies.as_ref().is_some_and(|c| c.len() > 1) {
                    errors.push(
                        "TooManyEntities",
                        "_embedded.companies",
                        "At most one company per lead.",
                    );
                }
            } else {
                for (i, c) in embedded.contacts.iter().flatten().enumerate() {
                    match c.id.and_then(|id| u32::try_from(id).ok()).filter(|id| {
                        self.contacts
                            .get(*id)
                            .is_some_and(|r| r.flags & DELETED == 0)
                    }) {
                        Some(id) => plan.contacts.push((id, c.is_main.unwrap_or(i == 0))),
                        None => errors.push(
                            "NotSupportedChoice",
                            format!("_embedded.contacts.{i}.id"),
                            "Contact not found",
                        ),
                    }
                }
                let companies = embedded.companies.as_deref().unwrap_or(&[]);
                if companies.len() > 1 {
                    errors.push(
                        "TooManyEntities",
                        "_embedded.companies",
                        "A lead has at most one company.",
                    );
                }
                if let Some(c) = companies.first() {
                    match c
                        .id
                        .and_then(|id| u32::try_from(id).ok())
                        .filter(|id| self.companies.get(*id).is_some())
                    {
                        Some(id) => plan.company = Some(id),
                        None => errors.push(
                            "NotSupportedChoice",
                            "_embedded.companies.0.id",
                            "Company not found",
                        ),
                    }
                }
            }
        }
        if let Some(tags) = &item.tags_to_add {
            self.check_tags(Kind::Leads, tags, "tags_to_add", errors);
            plan.tags_add = tags.clone();
        }
        if let Some(tags) = &item.tags_to_delete {
            plan.tags_delete = tags.clone();
        }
        plan
    }

    /// Creates a checked lead; returns its id.
    pub(crate) fn create_lead(&mut self, plan: LeadPlan, user: u32, now: u32) -> u32 {
        let id = self.leads.alloc_id();
        let (pipeline_id, status_id) = plan
            .stage
            .or_else(|| self.main_pipeline().map(|p| (p.id, p.first_stage())))
            .unwrap_or((0, 142));
        let created_at = plan.created_at.unwrap_or(now);
        let closed = is_closed(status_id);
        let mut tags = match &plan.tags {
            Some(t) => self.resolve_tags(Kind::Leads, t),
            None => Vec::new(),
        };
        if plan.tags.is_none() {
            tags = self.resolve_tags(Kind::Leads, &plan.tags_add);
        }
        let main = plan
            .contacts
            .iter()
            .find(|(_, m)| *m)
            .or(plan.contacts.first())
            .map_or(0, |(c, _)| *c);
        let rec = LeadRec {
            id,
            created_at,
            updated_at: plan.updated_at.unwrap_or(now).max(created_at),
            closed_at: if closed {
                plan.closed_at.unwrap_or(now)
            } else {
                0
            },
            closest_task_at: 0,
            price: plan.price.unwrap_or(0),
            status_id,
            pipeline_id,
            responsible: plan.responsible.unwrap_or(user),
            created_by: plan.created_by.unwrap_or(user),
            updated_by: plan.updated_by.unwrap_or(user),
            loss_reason_id: if status_id == 143 {
                plan.loss_reason.unwrap_or(0)
            } else {
                0
            },
            source_id: plan.source.unwrap_or(0),
            company_id: plan.company.unwrap_or(0),
            contact_id: main,
            tags: [0; 3],
            flags: 0,
        };
        let fields = non_empty(plan.fields);
        let contacts = (!plan.contacts.is_empty()).then(|| {
            let mut list = plan.contacts.clone();
            let main_seen = list.iter().any(|(_, m)| *m);
            if !main_seen && let Some(first) = list.first_mut() {
                first.1 = true;
            }
            list
        });
        let extra = Extra {
            name: Some(plan.name.unwrap_or_else(|| format!("Lead #{id}"))),
            fields: Some(fields),
            tags: Some(tags),
            contacts,
            ..Extra::default()
        };
        self.insert_lead(rec, Some(extra));
        id
    }

    /// Applies a checked update; returns the new `updated_at`.
    pub(super) fn update_lead(&mut self, id: u32, plan: LeadPlan, user: u32, now: u32) -> u32 {
        let Some(rec) = self.leads.get(id).copied() else {
            return now;
        };
        let by = plan.updated_by.unwrap_or(user);
        if let Some(name) = plan.name {
            let before = self.lead_name(id);
            if before != name {
                self.extra_mut(Kind::Leads, id).name = Some(name.clone());
                self.push_event(
                    EventKind::NameFieldChanged,
                    "lead",
                    id,
                    by,
                    now,
                    EventValue::Name(before.into()),
                    EventValue::Name(name.into()),
                );
            }
        }
        if let Some((pipeline, status)) = plan.stage {
            self.move_lead(id, pipeline, status, by, now);
        }
        if let Some(price) = plan.price
            && self.leads.get(id).is_some_and(|r| r.price != price)
        {
            self.set_lead_price(id, price, by, now);
        }
        if let Some(r) = self.leads.get_mut(id)
            && let Some(resp) = plan.responsible
            && resp != r.responsible
        {
            let before = r.responsible;
            r.responsible = resp;
            self.push_event(
                EventKind::ResponsibleChanged,
                "lead",
                id,
                by,
                now,
                EventValue::Responsible(before),
                EventValue::Responsible(resp),
            );
        }
        if let Some(r) = self.leads.get_mut(id) {
            if let Some(reason) = plan.loss_reason {
                r.loss_reason_id = reason;
            }
            if let Some(closed) = plan.closed_at
                && is_closed(r.status_id)
            {
                r.closed_at = closed;
            }
            if let Some(source) = plan.source {
                r.source_id = source;
            }
            if let Some(created_by) = plan.created_by {
                r.created_by = created_by;
            }
        }
        if let Some(created) = plan.created_at
            && let Some(r) = self.leads.get_mut(id)
        {
            let old = r.created_at;
            r.created_at = created;
            self.leads.index.recreate(id, old, created);
        }
        if !plan.fields.is_empty() {
            self.apply_fields(Kind::Leads, id, plan.fields);
            self.push_event(
                EventKind::CustomFieldValueChanged,
                "lead",
                id,
                by,
                now,
                EventValue::None,
                EventValue::None,
            );
        }
        if plan.tags.is_some() || !plan.tags_add.is_empty() || !plan.tags_delete.is_empty() {
            let mut ids = match &plan.tags {
                Some(t) => self.resolve_tags(Kind::Leads, t),
                None => self.tag_ids(Kind::Leads, id, &rec.tags),
            };
            if plan.tags.is_none() {
                for tag in self.resolve_tags(Kind::Leads, &plan.tags_add) {
                    if !ids.contains(&tag) {
                        ids.push(tag);
                        let name = self
                            .kind_tags(Kind::Leads)
                            .iter()
                            .find(|t| t.id == tag)
                            .map(|t| t.name.clone())
                            .unwrap_or_default();
                        self.push_event(
                            EventKind::TagAdded,
                            "lead",
                            id,
                            by,
                            now,
                            EventValue::None,
                            EventValue::Tag(name.into()),
                        );
                    }
                }
                let dict = self.kind_tags(Kind::Leads).clone();
                ids.retain(|t| {
                    !plan.tags_delete.iter().any(|d| {
                        d.id == Some(*t)
                            || d.name.as_ref().is_some_and(|n| {
                                dict.iter()
                                    .any(|x| x.id == *t && x.name.eq_ignore_ascii_case(n))
                            })
                    })
                });
            }
            self.extra_mut(Kind::Leads, id).tags = Some(ids);
        }
        for (contact, main) in plan.contacts {
            self.link_lead_contact(id, contact, main);
        }
        if let Some(company) = plan.company {
            self.link_lead_company(id, company);
        }
        let at = plan.updated_at.unwrap_or(now);
        self.touch_lead(id, by, at);
        at
    }

    /// Sets a lead's price, recording the change (the caller stamps the edit).
    pub(crate) fn set_lead_price(&mut self, id: u32, price: u32, by: u32, at: u32) {
        let Some(rec) = self.leads.get_mut(id) else {
            return;
        };
        let before = rec.price;
        rec.price = price;
        self.push_event(
            EventKind::SaleFieldChanged,
            "lead",
            id,
            by,
            at,
            EventValue::Sale(before),
            EventValue::Sale(price),
        );
    }

    /// Sets `updated_at`/`updated_by`, keeping the order index in step.
    pub(crate) fn touch_lead(&mut self, id: u32, by: u32, at: u32) {
        self.leads.touch(id, by, at);
    }

    /// Adds a lead made whole elsewhere (background activity draws them), under a new id.
    pub(crate) fn add_lead_record(&mut self, mut rec: LeadRec) {
        rec.id = self.leads.alloc_id();
        self.insert_lead(rec, None);
    }

    /// Adds a lead record (its `id` already allocated), links and a `lead_added` event.
    fn insert_lead(&mut self, rec: LeadRec, extra: Option<Extra>) {
        let id = rec.id;
        let contacts: Vec<u32> = match extra.as_ref().and_then(|e| e.contacts.as_ref()) {
            Some(list) => list.iter().map(|(c, _)| *c).collect(),
            None => (rec.contact_id != 0)
                .then_some(rec.contact_id)
                .into_iter()
                .collect(),
        };
        match self.leads.recs.last() {
            Some(last) if last.id > id => {
                let at = self.leads.recs.partition_point(|r| r.id < id);
                self.leads.recs.insert(at, rec);
            }
            _ => self.leads.recs.push(rec),
        }
        if let Some(extra) = extra {
            self.leads.extra.insert(id, extra);
        }
        self.leads.index.insert(id, rec.created_at, rec.updated_at);
        for contact in contacts {
            if let Some(pos) = self.contacts.pos(contact) {
                self.contact_leads.add(pos as u32, id);
            }
        }
        if rec.company_id != 0
            && let Some(pos) = self.companies.pos(rec.company_id)
        {
            self.company_leads.add(pos as u32, id);
        }
        // The stage the lead was created in, as `lead_status_changed` values carry stages.
        self.push_event(
            EventKind::LeadAdded,
            "lead",
            id,
            rec.created_by,
            rec.created_at,
            EventValue::None,
            EventValue::Status {
                status_id: rec.status_id,
                pipeline_id: rec.pipeline_id,
            },
        );
    }

    /// Moves a lead to a stage (and pipeline): closes or reopens it, emits the status event.
    pub(crate) fn move_lead(
        &mut self,
        id: u32,
        pipeline_id: u32,
        status_id: u32,
        by: u32,
        at: u32,
    ) -> bool {
        let Some(rec) = self.leads.get_mut(id) else {
            return false;
        };
        if rec.flags & DELETED != 0 {
            return false;
        }
        let before = EventValue::Status {
            status_id: rec.status_id,
            pipeline_id: rec.pipeline_id,
        };
        if rec.status_id == status_id && rec.pipeline_id == pipeline_id {
            return true;
        }
        if is_closed(status_id) && !is_closed(rec.status_id) {
            rec.closed_at = at;
        } else if !is_closed(status_id) {
            rec.closed_at = 0;
            rec.loss_reason_id = 0;
        }
        rec.status_id = status_id;
        rec.pipeline_id = pipeline_id;
        self.touch_lead(id, by, at);
        self.push_event(
            EventKind::LeadStatusChanged,
            "lead",
            id,
            by,
            at,
            before,
            EventValue::Status {
                status_id,
                pipeline_id,
            },
        );
        true
    }

    /// Deletes a lead, keeping it restorable (`with=only_deleted`).
    pub(crate) fn delete_lead(&mut self, id: u32, by: u32, at: u32) -> bool {
        let deleted = self.leads.delete(id, by, at);
        if deleted {
            self.record(EventKind::LeadDeleted, "lead", id, by, at);
        }
        deleted
    }

    pub(crate) fn restore_lead(&mut self, id: u32, by: u32, at: u32) -> bool {
        let restored = self.leads.restore(id, by, at);
        if restored {
            self.record(EventKind::LeadRestored, "lead", id, by, at);
        }
        restored
    }

    /// Links a contact to a lead (as main or not), in both directions.
    pub(crate) fn link_lead_contact(&mut self, lead: u32, contact: u32, main: bool) {
        let Some(rec) = self.leads.get(lead).copied() else {
            return;
        };
        let mut list = self.lead_contacts(&rec);
        if main {
            for item in &mut list {
                item.1 = false;
            }
        }
        match list.iter_mut().find(|(c, _)| *c == contact) {
            Some(item) => item.1 = main || item.1,
            None => list.push((contact, main || list.is_empty())),
        }
        self.set_lead_contacts(lead, list);
        if let Some(pos) = self.contacts.pos(contact) {
            self.contact_leads.add(pos as u32, lead);
        }
    }

    /// Unlinks a contact from a lead, in both directions; when it was the main contact, the
    /// first one left becomes main. False when they were not linked.
    pub(crate) fn unlink_lead_contact(&mut self, lead: u32, contact: u32) -> bool {
        let Some(rec) = self.leads.get(lead).copied() else {
            return false;
        };
        let mut list = self.lead_contacts(&rec);
        let before = list.len();
        list.retain(|(c, _)| *c != contact);
        if list.len() == before {
            return false;
        }
        if !list.iter().any(|(_, main)| *main)
            && let Some(first) = list.first_mut()
        {
            first.1 = true;
        }
        self.set_lead_contacts(lead, list);
        if let Some(pos) = self.contacts.pos(contact) {
            self.contact_leads.remove(pos as u32, lead);
        }
        true
    }

    /// A lead's whole contact list; its record keeps the main one.
    fn set_lead_contacts(&mut self, lead: u32, list: Vec<(u32, bool)>) {
        let main_id = list.iter().find(|(_, m)| *m).map_or(0, |(c, _)| *c);
        if let Some(rec) = self.leads.get_mut(lead) {
            rec.contact_id = main_id;
        }
        self.extra_mut(Kind::Leads, lead).contacts = Some(list);
    }
}
