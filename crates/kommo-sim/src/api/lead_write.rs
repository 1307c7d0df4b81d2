//! Lead writes: `POST /api/v4/leads`, `PATCH /api/v4/leads[/{id}]`, `POST /api/v4/leads/complex`.
//!
//! Every item of a request is checked before anything is written; one bad item rejects the
//! whole request with `validation-errors` tied to its `request_id`.

use std::collections::HashMap;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use kommo_model::{
    AddedEntity, BatchResponse, CompanyRequest, ComplexAddResult, ContactRequest,
    CustomFieldValues, LeadRequest, Links, TagRef,
};

use crate::api::entity_write::{CompanyPlan, ContactPlan};
use crate::api::validate::{ItemErrors, MAX_BATCH, batch, batch_shape, validation_failed};
use crate::http::{Caller, base_url, hal, json_body, problem};
use crate::mutate::is_closed;
use crate::state::{SimState, unix_now};
use crate::store::{Account, DELETED, EventKind, EventValue, Extra, Kind, LeadRec};

/// Write time: the wall clock, never before the generated history's end.
pub(crate) fn write_now(acc: &Account) -> u32 {
    (unix_now() as u32).max(acc.anchor as u32)
}

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

fn timestamp(v: Option<i64>, path: &str, errors: &mut ItemErrors) -> Option<u32> {
    let v = v?;
    match u32::try_from(v) {
        Ok(t) => Some(t),
        Err(_) => {
            errors.push(
                "InvalidType",
                path,
                "This value should be a Unix timestamp.",
            );
            None
        }
    }
}

impl Account {
    fn user_ref(
        &self,
        v: Option<i64>,
        zero_ok: bool,
        path: &str,
        errors: &mut ItemErrors,
    ) -> Option<u32> {
        let v = v?;
        if v == 0 && zero_ok {
            return Some(0);
        }
        match u32::try_from(v).ok().filter(|id| self.user(*id).is_some()) {
            Some(id) => Some(id),
            None => {
                errors.push("NotSupportedChoice", path, "User not found");
                None
            }
        }
    }

    /// Checks one lead of an add (`existing` None) or update, in plain (`_embedded` links by
    /// id) or complex (`_embedded` holds new entities) form.
    pub(crate) fn plan_lead(
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
            if complex && fields.len() > 40 {
                errors.push(
                    "TooManyValues",
                    "custom_fields_values",
                    "At most 40 custom field values per entity.",
                );
            }
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
        let fields: Vec<CustomFieldValues> = plan
            .fields
            .into_iter()
            .filter(|f| f.values.as_ref().is_some_and(|v| !v.is_empty()))
            .collect();
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
    pub(crate) fn update_lead(&mut self, id: u32, plan: LeadPlan, user: u32, now: u32) -> u32 {
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
        if let Some(r) = self.leads.get_mut(id)
            && let Some(price) = plan.price
            && price != r.price
        {
            let before = r.price;
            r.price = price;
            self.push_event(
                EventKind::SaleFieldChanged,
                "lead",
                id,
                by,
                now,
                EventValue::Sale(before),
                EventValue::Sale(price),
            );
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
}

fn request_id(given: Option<&String>, index: usize) -> String {
    given.cloned().unwrap_or_else(|| index.to_string())
}

pub(crate) async fn add(
    State(state): State<SimState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let items: Vec<LeadRequest> = match batch(&body, MAX_BATCH) {
        Ok(items) => items,
        Err(e) => return e,
    };
    let base = base_url(&headers);
    let mut acc = state.inner.account.write();
    let mut plans = Vec::with_capacity(items.len());
    let mut failed = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let rid = request_id(item.request_id.as_ref(), i);
        let mut errors = ItemErrors::default();
        let plan = acc.plan_lead(item, None, false, &mut errors);
        if errors.errors.is_empty() {
            plans.push((rid, plan))
        } else {
            failed.push((rid, errors))
        }
    }
    if !failed.is_empty() {
        return validation_failed(failed);
    }
    let now = write_now(&acc);
    let out: Vec<AddedEntity> = plans
        .into_iter()
        .map(|(rid, plan)| {
            let id = acc.create_lead(plan, caller.user_id, now);
            AddedEntity {
                id: i64::from(id),
                request_id: Some(rid),
                updated_at: None,
                links: Some(Links::to_self(format!("{base}/api/v4/leads/{id}"))),
            }
        })
        .collect();
    drop(acc);
    hal(&BatchResponse {
        links: Some(Links::to_self(format!("{base}/api/v4/leads"))),
        embedded: [("leads".to_owned(), out)].into_iter().collect(),
    })
}

pub(crate) async fn update(
    State(state): State<SimState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let items: Vec<LeadRequest> = match batch(&body, MAX_BATCH) {
        Ok(items) => items,
        Err(e) => return e,
    };
    let base = base_url(&headers);
    let mut acc = state.inner.account.write();
    match plan_updates(&acc, &items) {
        Ok(plans) => {
            let now = write_now(&acc);
            let out: Vec<AddedEntity> = plans
                .into_iter()
                .map(|(id, rid, plan)| {
                    let updated = acc.update_lead(id, plan, caller.user_id, now);
                    AddedEntity {
                        id: i64::from(id),
                        request_id: rid,
                        updated_at: Some(i64::from(updated)),
                        links: Some(Links::to_self(format!("{base}/api/v4/leads/{id}"))),
                    }
                })
                .collect();
            drop(acc);
            hal(&BatchResponse {
                links: Some(Links::to_self(format!("{base}/api/v4/leads"))),
                embedded: [("leads".to_owned(), out)].into_iter().collect(),
            })
        }
        Err(e) => e,
    }
}

type UpdatePlans = Vec<(u32, Option<String>, LeadPlan)>;

fn plan_updates(acc: &Account, items: &[LeadRequest]) -> Result<UpdatePlans, Response> {
    let mut plans = Vec::with_capacity(items.len());
    let mut failed = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let rid = request_id(item.request_id.as_ref(), i);
        let mut errors = ItemErrors::default();
        let existing = item
            .id
            .and_then(|id| u32::try_from(id).ok())
            .and_then(|id| acc.leads.get(id))
            .filter(|l| l.flags & DELETED == 0);
        match existing {
            None => errors.push("NotFound", "id", "Lead not found"),
            Some(rec) => {
                let plan = acc.plan_lead(item, Some(rec), false, &mut errors);
                if errors.errors.is_empty() {
                    plans.push((rec.id, item.request_id.clone(), plan));
                }
            }
        }
        if !errors.errors.is_empty() {
            failed.push((rid, errors));
        }
    }
    if failed.is_empty() {
        Ok(plans)
    } else {
        Err(validation_failed(failed))
    }
}

pub(crate) async fn update_one(
    State(state): State<SimState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return problem(
            StatusCode::NOT_FOUND,
            "Not Found",
            "Lead id must be an integer",
        );
    };
    let mut item: LeadRequest = match json_body(&body) {
        Ok(item) => item,
        Err(e) => return e,
    };
    item.id = Some(id);
    let base = base_url(&headers);
    let mut acc = state.inner.account.write();
    match plan_updates(&acc, std::slice::from_ref(&item)) {
        Ok(mut plans) => {
            let Some((id, _, plan)) = plans.pop() else {
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            };
            let now = write_now(&acc);
            let updated = acc.update_lead(id, plan, caller.user_id, now);
            drop(acc);
            hal(&AddedEntity {
                id: i64::from(id),
                request_id: None,
                updated_at: Some(i64::from(updated)),
                links: Some(Links::to_self(format!("{base}/api/v4/leads/{id}"))),
            })
        }
        Err(e) => e,
    }
}

/// The duplicate-control keys of a contact: its phones (last 10 digits) and e-mails.
pub(crate) fn dup_keys(fields: &[CustomFieldValues]) -> Vec<String> {
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
    /// The phone/e-mail -> contact index behind duplicate control, built on first use.
    pub(crate) fn ensure_dup_index(&mut self) {
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

    pub(crate) fn index_contact_keys(&mut self, id: u32) {
        let keys = dup_keys(&self.field_values(Kind::Contacts, id).unwrap_or_default());
        if let Some(index) = self.dup_index.as_mut() {
            for key in keys {
                index.entry(key).or_insert(id);
            }
        }
    }
}

struct ComplexPlan {
    rid: String,
    lead: LeadPlan,
    contact: Option<(ContactPlan, Option<u32>)>,
    company: Option<CompanyPlan>,
}

pub(crate) async fn complex(
    State(state): State<SimState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Response {
    let items: Vec<LeadRequest> = match batch(&body, usize::MAX) {
        Ok(items) => items,
        Err(e) => return e,
    };
    if items.len() > 50 {
        return batch_shape(&format!(
            "Too many leads in one request: {} (at most 50)",
            items.len()
        ));
    }
    let mut acc = state.inner.account.write();
    acc.ensure_dup_index();
    let mut plans = Vec::new();
    let mut failed = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let rid = request_id(item.request_id.as_ref(), i);
        let mut errors = ItemErrors::default();
        let lead = acc.plan_lead(item, None, true, &mut errors);
        let embedded = item.embedded.as_ref();
        let contact = embedded
            .and_then(|e| e.contacts.as_ref())
            .and_then(|c| c.first())
            .map(|c: &ContactRequest| {
                let plan = acc.plan_contact(c, "_embedded.contacts.0.", true, &mut errors);
                let duplicate = dup_keys(&plan.fields)
                    .iter()
                    .find_map(|k| acc.dup_index.as_ref().and_then(|d| d.get(k).copied()));
                (plan, duplicate)
            });
        let company = embedded
            .and_then(|e| e.companies.as_ref())
            .and_then(|c| c.first())
            .map(|c: &CompanyRequest| {
                acc.plan_company(c, "_embedded.companies.0.", true, &mut errors)
            });
        if errors.errors.is_empty() {
            plans.push(ComplexPlan {
                rid,
                lead,
                contact,
                company,
            });
        } else {
            failed.push((rid, errors));
        }
    }
    if !failed.is_empty() {
        return validation_failed(failed);
    }
    let now = write_now(&acc);
    let user = caller.user_id;
    let mut out = Vec::new();
    for plan in plans {
        let mut merged = false;
        let (contact_id, existing_lead) = match plan.contact {
            Some((_, Some(existing))) => {
                merged = true;
                let pos = acc.contacts.pos(existing).unwrap_or(usize::MAX) as u32;
                let lead = acc
                    .contact_leads
                    .get(pos)
                    .iter()
                    .copied()
                    .filter(|id| {
                        acc.leads
                            .get(*id)
                            .is_some_and(|l| l.flags & DELETED == 0 && !is_closed(l.status_id))
                    })
                    .max();
                (Some(existing), lead)
            }
            Some((contact, None)) => (Some(acc.create_contact(contact, user, now)), None),
            None => (None, None),
        };
        let contact_company = contact_id
            .and_then(|c| acc.contacts.get(c))
            .map(|c| c.company_id)
            .filter(|c| *c != 0);
        let company_id = match (plan.company, contact_company, merged) {
            (Some(_), Some(existing), true) => Some(existing),
            (Some(company), _, _) => Some(acc.create_company(company, user, now)),
            (None, existing, _) => existing,
        };
        if let (Some(contact), Some(company), false) = (contact_id, company_id, merged) {
            acc.link_contact_company(contact, company);
        }
        let lead_id = match existing_lead {
            Some(lead) => {
                let mut update = plan.lead;
                update.stage = None;
                acc.update_lead(lead, update, user, now);
                lead
            }
            None => {
                let mut lead = plan.lead;
                if let Some(c) = contact_id {
                    lead.contacts = vec![(c, true)];
                }
                lead.company = company_id;
                acc.create_lead(lead, user, now)
            }
        };
        if let Some(c) = contact_id {
            acc.link_lead_contact(lead_id, c, true);
        }
        if let Some(company) = company_id {
            acc.link_lead_company(lead_id, company);
        }
        out.push(ComplexAddResult {
            id: i64::from(lead_id),
            contact_id: contact_id.map(i64::from),
            company_id: company_id.map(i64::from),
            request_id: vec![plan.rid],
            merged,
        });
    }
    drop(acc);
    crate::http::hal(&out)
}
