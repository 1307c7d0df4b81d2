//! Changes to the account that keep records, indexes, link tables and the event log in step;
//! shared by the API's writes, background activity and the control surface.

use crate::store::{Account, DELETED, EventKind, EventValue, Extra, Kind, LeadRec};

/// A lead's status is one of the closed ones.
pub(crate) fn is_closed(status: u32) -> bool {
    status == 142 || status == 143
}

impl Account {
    /// Sets `updated_at`/`updated_by`, keeping the order index in step.
    pub(crate) fn touch_lead(&mut self, id: u32, by: u32, at: u32) {
        let Some(pos) = self.leads.pos(id) else {
            return;
        };
        let rec = &mut self.leads.recs[pos];
        let old = rec.updated_at;
        rec.updated_at = at;
        rec.updated_by = by;
        if rec.flags & DELETED == 0 {
            self.leads.index.touch(id, old, at);
        }
    }

    /// Adds a lead record (its `id` already allocated), links and a `lead_added` event.
    pub(crate) fn insert_lead(&mut self, rec: LeadRec, extra: Option<Extra>) {
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
        self.push_event(
            EventKind::LeadAdded,
            "lead",
            id,
            rec.created_by,
            rec.created_at,
            EventValue::None,
            EventValue::None,
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
        let Some(rec) = self.leads.get_mut(id) else {
            return false;
        };
        if rec.flags & DELETED != 0 {
            return false;
        }
        let (created, old) = (rec.created_at, rec.updated_at);
        rec.flags |= DELETED;
        rec.updated_at = at;
        rec.updated_by = by;
        self.leads.index.mark_deleted(id, created, old);
        self.push_event(
            EventKind::LeadDeleted,
            "lead",
            id,
            by,
            at,
            EventValue::None,
            EventValue::None,
        );
        true
    }

    pub(crate) fn restore_lead(&mut self, id: u32, by: u32, at: u32) -> bool {
        let Some(rec) = self.leads.get_mut(id) else {
            return false;
        };
        if rec.flags & DELETED == 0 {
            return false;
        }
        rec.flags &= !DELETED;
        rec.updated_at = at;
        rec.updated_by = by;
        let created = rec.created_at;
        self.leads.index.mark_restored(id, created, at);
        self.push_event(
            EventKind::LeadRestored,
            "lead",
            id,
            by,
            at,
            EventValue::None,
            EventValue::None,
        );
        true
    }

    pub(crate) fn delete_contact(&mut self, id: u32, by: u32, at: u32) -> bool {
        let Some(rec) = self.contacts.get_mut(id) else {
            return false;
        };
        if rec.flags & DELETED != 0 {
            return false;
        }
        let (created, old) = (rec.created_at, rec.updated_at);
        rec.flags |= DELETED;
        rec.updated_at = at;
        rec.updated_by = by;
        self.contacts.index.mark_deleted(id, created, old);
        self.push_event(
            EventKind::ContactDeleted,
            "contact",
            id,
            by,
            at,
            EventValue::None,
            EventValue::None,
        );
        true
    }

    pub(crate) fn restore_contact(&mut self, id: u32, by: u32, at: u32) -> bool {
        let Some(rec) = self.contacts.get_mut(id) else {
            return false;
        };
        if rec.flags & DELETED == 0 {
            return false;
        }
        rec.flags &= !DELETED;
        rec.updated_at = at;
        rec.updated_by = by;
        let created = rec.created_at;
        self.contacts.index.mark_restored(id, created, at);
        self.push_event(
            EventKind::ContactRestored,
            "contact",
            id,
            by,
            at,
            EventValue::None,
            EventValue::None,
        );
        true
    }

    pub(crate) fn touch_contact(&mut self, id: u32, by: u32, at: u32) {
        let Some(pos) = self.contacts.pos(id) else {
            return;
        };
        let rec = &mut self.contacts.recs[pos];
        let old = rec.updated_at;
        rec.updated_at = at;
        rec.updated_by = by;
        if rec.flags & DELETED == 0 {
            self.contacts.index.touch(id, old, at);
        }
    }

    pub(crate) fn touch_company(&mut self, id: u32, by: u32, at: u32) {
        let Some(pos) = self.companies.pos(id) else {
            return;
        };
        let rec = &mut self.companies.recs[pos];
        let old = rec.updated_at;
        rec.updated_at = at;
        rec.updated_by = by;
        if rec.flags & DELETED == 0 {
            self.companies.index.touch(id, old, at);
        }
    }

    /// The writable side table of an entity.
    pub(crate) fn extra_mut(&mut self, kind: Kind, id: u32) -> &mut Extra {
        match kind {
            Kind::Leads => self.leads.extra.entry(id).or_default(),
            Kind::Contacts => self.contacts.extra.entry(id).or_default(),
            Kind::Companies => self.companies.extra.entry(id).or_default(),
        }
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
        let main_id = list.iter().find(|(_, m)| *m).map_or(0, |(c, _)| *c);
        if let Some(rec) = self.leads.get_mut(lead) {
            rec.contact_id = main_id;
        }
        self.extra_mut(Kind::Leads, lead).contacts = Some(list);
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
        let main_id = list.iter().find(|(_, m)| *m).map_or(0, |(c, _)| *c);
        if let Some(rec) = self.leads.get_mut(lead) {
            rec.contact_id = main_id;
        }
        self.extra_mut(Kind::Leads, lead).contacts = Some(list);
        if let Some(pos) = self.contacts.pos(contact) {
            self.contact_leads.remove(pos as u32, lead);
        }
        true
    }

    /// Links a company to a lead (a lead has at most one company).
    pub(crate) fn link_lead_company(&mut self, lead: u32, company: u32) {
        let Some(rec) = self.leads.get_mut(lead) else {
            return;
        };
        let old = rec.company_id;
        rec.company_id = company;
        if old != 0
            && old != company
            && let Some(pos) = self.companies.pos(old)
        {
            self.company_leads.remove(pos as u32, lead);
        }
        if let Some(pos) = self.companies.pos(company) {
            self.company_leads.add(pos as u32, lead);
        }
    }

    /// Links a contact to a company (a contact has at most one company).
    pub(crate) fn link_contact_company(&mut self, contact: u32, company: u32) {
        let Some(rec) = self.contacts.get_mut(contact) else {
            return;
        };
        let old = rec.company_id;
        rec.company_id = company;
        if old != 0
            && old != company
            && let Some(pos) = self.companies.pos(old)
        {
            self.company_contacts.remove(pos as u32, contact);
        }
        if let Some(pos) = self.companies.pos(company) {
            self.company_contacts.add(pos as u32, contact);
        }
    }
}
