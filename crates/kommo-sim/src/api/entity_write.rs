//! Contacts and companies: list, get, add, update (`/api/v4/contacts`, `/api/v4/companies`).

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use kommo_model::{
    AddedEntity, BatchResponse, Collection, CompanyRequest, ContactRequest, CustomFieldValues,
    Links, TagRef,
};

use crate::api::filter::{
    DeletedPage, Walk, deleted_rows, field_filters, in_list, in_range, in_range_opt, order_of,
    select,
};
use crate::api::lead_write::write_now;
use crate::api::validate::{ItemErrors, MAX_BATCH, batch, validation_failed};
use crate::http::{Caller, base_url, hal, hal_read, json_body, list_request, no_content, problem};
use crate::state::SimState;
use crate::store::{Account, CompanyRec, ContactRec, DELETED, EventKind, EventValue, Extra, Kind};

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

fn ts(v: Option<i64>) -> Option<u32> {
    v.and_then(|v| u32::try_from(v).ok())
}

/// Tags of a contact or company write: `_embedded.tags` replaces, `tags_to_add` adds.
fn tags_of(embedded: Option<&serde_json::Value>, add: Option<&Vec<TagRef>>) -> Option<Vec<TagRef>> {
    embedded
        .and_then(|e| e.get("tags"))
        .and_then(|t| serde_json::from_value::<Vec<TagRef>>(t.clone()).ok())
        .or_else(|| add.cloned())
}

impl Account {
    fn check_user(&self, v: Option<i64>, path: &str, errors: &mut ItemErrors) -> Option<u32> {
        let v = v?;
        if v == 0 {
            return Some(0);
        }
        let found = u32::try_from(v).ok().filter(|id| self.user(*id).is_some());
        if found.is_none() {
            errors.push("NotSupportedChoice", path, "User not found");
        }
        found
    }

    pub(crate) fn plan_contact(
        &self,
        c: &ContactRequest,
        prefix: &str,
        complex: bool,
        errors: &mut ItemErrors,
    ) -> ContactPlan {
        let fields = c.custom_fields_values.as_deref().unwrap_or(&[]);
        if complex && fields.len() > 40 {
            errors.push(
                "TooManyValues",
                format!("{prefix}custom_fields_values"),
                "At most 40 custom field values per entity.",
            );
        }
        let tags = tags_of(c.embedded.as_ref(), c.tags_to_add.as_ref());
        if let Some(t) = &tags {
            self.check_tags(
                Kind::Contacts,
                t,
                &format!("{prefix}_embedded.tags"),
                errors,
            );
        }
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
            responsible: self.check_user(
                c.responsible_user_id,
                &format!("{prefix}responsible_user_id"),
                errors,
            ),
            created_by: self.check_user(c.created_by, &format!("{prefix}created_by"), errors),
            created_at: ts(c.created_at),
            updated_at: ts(c.updated_at),
            fields: self.check_fields(Kind::Contacts, fields, prefix, errors),
            tags,
            company,
        }
    }

    pub(crate) fn plan_company(
        &self,
        c: &CompanyRequest,
        prefix: &str,
        complex: bool,
        errors: &mut ItemErrors,
    ) -> CompanyPlan {
        let fields = c.custom_fields_values.as_deref().unwrap_or(&[]);
        if complex && fields.len() > 40 {
            errors.push(
                "TooManyValues",
                format!("{prefix}custom_fields_values"),
                "At most 40 custom field values per entity.",
            );
        }
        let tags = tags_of(c.embedded.as_ref(), c.tags_to_add.as_ref());
        if let Some(t) = &tags {
            self.check_tags(
                Kind::Companies,
                t,
                &format!("{prefix}_embedded.tags"),
                errors,
            );
        }
        CompanyPlan {
            name: c.name.clone(),
            responsible: self.check_user(
                c.responsible_user_id,
                &format!("{prefix}responsible_user_id"),
                errors,
            ),
            created_by: self.check_user(c.created_by, &format!("{prefix}created_by"), errors),
            created_at: ts(c.created_at),
            updated_at: ts(c.updated_at),
            fields: self.check_fields(Kind::Companies, fields, prefix, errors),
            tags,
        }
    }

    pub(crate) fn create_contact(&mut self, plan: ContactPlan, user: u32, now: u32) -> u32 {
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
            .unwrap_or_else(|| crate::store::join_name(&first, &last));
        let fields = plan
            .fields
            .into_iter()
            .filter(|f| f.values.as_ref().is_some_and(|v| !v.is_empty()))
            .collect();
        self.contacts.recs.push(rec);
        self.contacts.extra.insert(
            id,
            Extra {
                name: Some(name),
                first_name: Some(first),
                last_name: Some(last),
                fields: Some(fields),
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
        self.push_event(
            EventKind::ContactAdded,
            "contact",
            id,
            rec.created_by,
            created,
            EventValue::None,
            EventValue::None,
        );
        id
    }

    pub(crate) fn update_contact(
        &mut self,
        id: u32,
        plan: ContactPlan,
        user: u32,
        now: u32,
    ) -> u32 {
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
            name = crate::store::join_name(&first, &last);
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

    pub(crate) fn create_company(&mut self, plan: CompanyPlan, user: u32, now: u32) -> u32 {
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
        let fields = plan
            .fields
            .into_iter()
            .filter(|f| f.values.as_ref().is_some_and(|v| !v.is_empty()))
            .collect();
        self.companies.recs.push(rec);
        self.companies.extra.insert(
            id,
            Extra {
                name: Some(plan.name.unwrap_or_else(|| format!("Company #{id}"))),
                fields: Some(fields),
                tags: Some(tags),
                ..Extra::default()
            },
        );
        self.companies
            .index
            .insert(id, rec.created_at, rec.updated_at);
        self.push_event(
            EventKind::CompanyAdded,
            "company",
            id,
            rec.created_by,
            created,
            EventValue::None,
            EventValue::None,
        );
        id
    }

    pub(crate) fn update_company(
        &mut self,
        id: u32,
        plan: CompanyPlan,
        user: u32,
        now: u32,
    ) -> u32 {
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
        self.touch_company(id, user, at);
        at
    }
}

// ---- handlers -------------------------------------------------------------------------------

fn kind_of(path: &str) -> Kind {
    if path.contains("/companies") {
        Kind::Companies
    } else {
        Kind::Contacts
    }
}

pub(crate) async fn list_contacts(
    state: State<SimState>,
    headers: HeaderMap,
    raw: RawQuery,
) -> Response {
    list(state, headers, raw, Kind::Contacts)
}

pub(crate) async fn list_companies(
    state: State<SimState>,
    headers: HeaderMap,
    raw: RawQuery,
) -> Response {
    list(state, headers, raw, Kind::Companies)
}

fn list(
    State(state): State<SimState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    kind: Kind,
) -> Response {
    let req = match list_request(raw.as_deref()) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let (order, desc) = match order_of(&req.query, &[]) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let fields = match field_filters(&req.query) {
        Ok(f) => f,
        Err(e) => return e,
    };
    let base = base_url(&headers);
    let path = format!("/api/v4/{}", kind.path());
    let walk = Walk::new(order, desc, &req.query);
    let acc = state.inner.account.read();
    let (index, row) = match kind {
        Kind::Companies => (&acc.companies.index, None),
        _ => (&acc.contacts.index, Some(())),
    };
    let _ = row;
    let times = |id: u32| -> Option<(u32, u32, u32, u32, u32, u32, u8)> {
        match kind {
            Kind::Companies => acc.companies.get(id).map(|c| {
                (
                    c.created_at,
                    c.updated_at,
                    c.created_by,
                    c.updated_by,
                    c.responsible,
                    c.closest_task_at,
                    c.flags,
                )
            }),
            _ => acc.contacts.get(id).map(|c| {
                (
                    c.created_at,
                    c.updated_at,
                    c.created_by,
                    c.updated_by,
                    c.responsible,
                    c.closest_task_at,
                    c.flags,
                )
            }),
        }
    };
    if req.query.has_with("only_deleted") {
        let rows = deleted_rows(&index.deleted, &req, walk, &|id| {
            times(id).map_or(0, |t| t.1)
        });
        drop(acc);
        if rows.is_empty() {
            return no_content();
        }
        let has_next = rows.len() > req.limit as usize;
        let mut rows = rows;
        rows.truncate(req.limit as usize);
        return hal(&DeletedPage {
            page: req.page,
            links: req.links(&base, &path, has_next),
            embedded: [(kind.path(), rows)].into_iter().collect(),
        });
    }
    let f = &req.query.filter;
    let needle = req.query.query.as_ref().map(|s| s.to_lowercase());
    let names: Vec<String> = f.name.iter().map(|n| n.to_lowercase()).collect();
    let name_of = |id: u32| match kind {
        Kind::Companies => acc.company_name(id),
        _ => acc.contact_names(id).0,
    };
    let filtered = !names.is_empty()
        || !f.created_by.is_empty()
        || !f.updated_by.is_empty()
        || !f.responsible_user_id.is_empty()
        || (f.created_at.is_some() && !walk.consumed_created)
        || (f.updated_at.is_some() && !walk.consumed_updated)
        || f.closest_task_at.is_some()
        || needle.is_some()
        || !fields.is_empty();
    let keep = |id: u32| -> bool {
        let Some((created, updated, cby, uby, resp, task, _)) = times(id) else {
            return false;
        };
        in_list(&f.created_by, cby)
            && in_list(&f.updated_by, uby)
            && in_list(&f.responsible_user_id, resp)
            && (walk.consumed_created || in_range(f.created_at, created))
            && (walk.consumed_updated || in_range(f.updated_at, updated))
            && in_range_opt(f.closest_task_at, task)
            && (names.is_empty() || names.contains(&name_of(id).to_lowercase()))
            && acc.fields_match(kind, id, &fields)
            && needle.as_ref().is_none_or(|n| {
                name_of(id).to_lowercase().contains(n.as_str()) || acc.fields_contain(kind, id, n)
            })
    };
    let key = |id: u32| times(id).filter(|t| t.6 & DELETED == 0).map(|t| (t.0, t.1));
    let ids = select(
        index,
        walk,
        &req,
        &f.id,
        if filtered { Some(&keep) } else { None },
        &key,
    );
    if ids.is_empty() {
        return no_content();
    }
    let has_next = ids.len() > req.limit as usize;
    let links = req.links(&base, &path, has_next);
    let with_leads = req.query.has_with("leads");
    let with_contacts = req.query.has_with("contacts");
    match kind {
        Kind::Companies => {
            let items: Vec<_> = ids
                .iter()
                .take(req.limit as usize)
                .filter_map(|id| acc.companies.get(*id))
                .map(|r| acc.company_model(r, with_leads, with_contacts, &base))
                .collect();
            drop(acc);
            hal_read(
                &Collection {
                    page: Some(req.page),
                    page_count: None,
                    total_items: None,
                    links,
                    items,
                },
                &base,
            )
        }
        _ => {
            let items: Vec<_> = ids
                .iter()
                .take(req.limit as usize)
                .filter_map(|id| acc.contacts.get(*id))
                .map(|r| acc.contact_model(r, with_leads, &base))
                .collect();
            drop(acc);
            hal_read(
                &Collection {
                    page: Some(req.page),
                    page_count: None,
                    total_items: None,
                    links,
                    items,
                },
                &base,
            )
        }
    }
}

pub(crate) async fn get_one(
    State(state): State<SimState>,
    headers: HeaderMap,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let kind = kind_of(uri.path());
    let Ok(id) = id.parse::<u32>() else {
        return problem(StatusCode::NOT_FOUND, "Not Found", "Id must be an integer");
    };
    let req = match list_request(raw.as_deref()) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let base = base_url(&headers);
    let acc = state.inner.account.read();
    match kind {
        Kind::Companies => match acc.companies.get(id).filter(|c| c.flags & DELETED == 0) {
            Some(rec) => hal_read(
                &acc.company_model(
                    rec,
                    req.query.has_with("leads"),
                    req.query.has_with("contacts"),
                    &base,
                ),
                &base,
            ),
            None => no_content(),
        },
        _ => match acc.contacts.get(id).filter(|c| c.flags & DELETED == 0) {
            Some(rec) => hal_read(
                &acc.contact_model(rec, req.query.has_with("leads"), &base),
                &base,
            ),
            None => no_content(),
        },
    }
}

pub(crate) async fn add(
    State(state): State<SimState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    body: Bytes,
) -> Response {
    let kind = kind_of(uri.path());
    let base = base_url(&headers);
    let mut acc = state.inner.account.write();
    let mut failed = Vec::new();
    let mut out = Vec::new();
    let now = write_now(&acc);
    match kind {
        Kind::Companies => {
            let items: Vec<CompanyRequest> = match batch(&body, MAX_BATCH) {
                Ok(i) => i,
                Err(e) => return e,
            };
            let mut plans = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let rid = item.request_id.clone().unwrap_or_else(|| i.to_string());
                let mut errors = ItemErrors::default();
                let plan = acc.plan_company(item, "", false, &mut errors);
                if errors.errors.is_empty() {
                    plans.push((rid, plan))
                } else {
                    failed.push((rid, errors))
                }
            }
            if !failed.is_empty() {
                return validation_failed(failed);
            }
            for (rid, plan) in plans {
                let id = acc.create_company(plan, caller.user_id, now);
                out.push(AddedEntity {
                    id: i64::from(id),
                    request_id: Some(rid),
                    updated_at: None,
                    links: Some(Links::to_self(format!("{base}/api/v4/companies/{id}"))),
                });
            }
        }
        _ => {
            let items: Vec<ContactRequest> = match batch(&body, MAX_BATCH) {
                Ok(i) => i,
                Err(e) => return e,
            };
            let mut plans = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let rid = item.request_id.clone().unwrap_or_else(|| i.to_string());
                let mut errors = ItemErrors::default();
                let plan = acc.plan_contact(item, "", false, &mut errors);
                if errors.errors.is_empty() {
                    plans.push((rid, plan))
                } else {
                    failed.push((rid, errors))
                }
            }
            if !failed.is_empty() {
                return validation_failed(failed);
            }
            for (rid, plan) in plans {
                let id = acc.create_contact(plan, caller.user_id, now);
                out.push(AddedEntity {
                    id: i64::from(id),
                    request_id: Some(rid),
                    updated_at: None,
                    links: Some(Links::to_self(format!("{base}/api/v4/contacts/{id}"))),
                });
            }
        }
    }
    drop(acc);
    hal(&BatchResponse {
        links: Some(Links::to_self(format!("{base}/api/v4/{}", kind.path()))),
        embedded: [(kind.path().to_owned(), out)].into_iter().collect(),
    })
}

pub(crate) async fn update(
    State(state): State<SimState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    body: Bytes,
) -> Response {
    let kind = kind_of(uri.path());
    // `PATCH /{entity}/{id}` takes one object; `PATCH /{entity}` an array.
    let single: Option<i64> = uri.path().rsplit('/').next().and_then(|s| s.parse().ok());
    let body: Vec<u8> = match single {
        Some(id) => {
            let mut value: serde_json::Value = match json_body(&body) {
                Ok(v) => v,
                Err(e) => return e,
            };
            if let Some(map) = value.as_object_mut() {
                map.insert("id".to_owned(), serde_json::Value::from(id));
            }
            serde_json::to_vec(&[value]).unwrap_or_default()
        }
        None => body.to_vec(),
    };
    let base = base_url(&headers);
    let mut acc = state.inner.account.write();
    let now = write_now(&acc);
    let mut failed = Vec::new();
    let mut out = Vec::new();
    macro_rules! run {
        ($req:ty, $table:ident, $plan:ident, $apply:ident) => {{
            let items: Vec<$req> = match batch(&body, MAX_BATCH) {
                Ok(i) => i,
                Err(e) => return e,
            };
            let mut plans = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let rid = item.request_id.clone().unwrap_or_else(|| i.to_string());
                let mut errors = ItemErrors::default();
                let id = item
                    .id
                    .and_then(|id| u32::try_from(id).ok())
                    .filter(|id| acc.$table.get(*id).is_some_and(|r| r.flags & DELETED == 0));
                match id {
                    None => errors.push("NotFound", "id", "Entity not found"),
                    Some(id) => {
                        let plan = acc.$plan(item, "", false, &mut errors);
                        if errors.errors.is_empty() {
                            plans.push((id, item.request_id.clone(), plan));
                        }
                    }
                }
                if !errors.errors.is_empty() {
                    failed.push((rid, errors));
                }
            }
            if !failed.is_empty() {
                return validation_failed(failed);
            }
            for (id, rid, plan) in plans {
                let at = acc.$apply(id, plan, caller.user_id, now);
                out.push(AddedEntity {
                    id: i64::from(id),
                    request_id: rid,
                    updated_at: Some(i64::from(at)),
                    links: Some(Links::to_self(format!(
                        "{base}/api/v4/{}/{id}",
                        kind.path()
                    ))),
                });
            }
        }};
    }
    match kind {
        Kind::Companies => run!(CompanyRequest, companies, plan_company, update_company),
        _ => run!(ContactRequest, contacts, plan_contact, update_contact),
    }
    drop(acc);
    if single.is_some() {
        return match out.pop() {
            Some(mut one) => {
                one.request_id = None;
                hal(&one)
            }
            None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        };
    }
    hal(&BatchResponse {
        links: Some(Links::to_self(format!("{base}/api/v4/{}", kind.path()))),
        embedded: [(kind.path().to_owned(), out)].into_iter().collect(),
    })
}
