//! The smaller areas: users and roles, custom field definitions, tags, loss reasons, sources,
//! events, the account, and tasks.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use kommo_model::{
    Account as AccountModel, AccountEmbedded, AddedEntity, BatchResponse, Collection,
    DatetimeSettings, Entity, Links, TagRequest, TaskRequest, TaskType, UsersGroup,
};
use serde::Serialize;

use crate::api::filter::in_list;
use crate::api::lead_write::write_now;
use crate::api::validate::{ItemErrors, MAX_BATCH, batch, validation_failed};
use crate::http::{
    Caller, ListRequest, base_url, hal, json_body, list_request, no_content, problem,
};
use crate::render::event_id;
use crate::state::SimState;
use crate::store::{EventKind, EventValue, Kind, TaskExtra, TaskRec};

fn not_found(what: &str) -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "Not Found",
        &format!("{what} not found"),
    )
}

/// A page of a small in-memory list; 204 when empty.
fn page_of<T: Entity + Serialize + Clone>(
    req: &ListRequest,
    base: &str,
    path: &str,
    all: &[T],
    total: bool,
    page_count: bool,
) -> Response {
    let rows: Vec<T> = all
        .iter()
        .skip(req.offset())
        .take(req.limit as usize)
        .cloned()
        .collect();
    if rows.is_empty() {
        return no_content();
    }
    let has_next = all.len() > req.offset() + rows.len();
    hal(&Collection {
        page: Some(req.page),
        page_count: page_count.then(|| all.len().div_ceil(req.limit as usize) as u32),
        total_items: total.then_some(all.len() as u64),
        links: req.links(base, path, has_next),
        items: rows,
    })
}

macro_rules! list_req {
    ($raw:expr) => {
        match list_request($raw.as_deref()) {
            Ok(r) => r,
            Err(e) => return e,
        }
    };
}

// ---- users and roles ----------------------------------------------------------------------------

pub(crate) async fn users(
    State(state): State<SimState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let req = list_req!(raw);
    let base = base_url(&headers);
    let acc = state.inner.account.read();
    let (role, group) = (req.query.has_with("role"), req.query.has_with("group"));
    let all: Vec<_> = acc
        .users
        .iter()
        .filter(|u| in_list(&req.query.filter.id, u.id))
        .map(|u| acc.user_model(u, role, group, &base))
        .collect();
    page_of(&req, &base, "/api/v4/users", &all, true, true)
}

pub(crate) async fn user(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let req = list_req!(raw);
    let base = base_url(&headers);
    let acc = state.inner.account.read();
    match id.parse::<u32>().ok().and_then(|id| acc.user(id)) {
        Some(u) => hal(&acc.user_model(
            u,
            req.query.has_with("role"),
            req.query.has_with("group"),
            &base,
        )),
        None => not_found("User"),
    }
}

pub(crate) async fn roles(
    State(state): State<SimState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let req = list_req!(raw);
    let base = base_url(&headers);
    let acc = state.inner.account.read();
    page_of(&req, &base, "/api/v4/roles", &acc.roles, true, true)
}

// ---- custom fields, tags ------------------------------------------------------------------------

fn kind_in(uri: &str) -> Kind {
    if uri.starts_with("/api/v4/contacts") {
        Kind::Contacts
    } else if uri.starts_with("/api/v4/companies") {
        Kind::Companies
    } else {
        Kind::Leads
    }
}

pub(crate) async fn custom_fields(
    State(state): State<SimState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Response {
    let req = list_req!(raw);
    let kind = kind_in(uri.path());
    let base = base_url(&headers);
    let acc = state.inner.account.read();
    let types = req
        .query
        .filter
        .other
        .iter()
        .filter(|(k, _)| k.starts_with("[type]"))
        .map(|(_, v)| v.clone())
        .collect::<Vec<_>>();
    let all: Vec<_> = acc
        .fields(kind)
        .iter()
        .filter(|f| {
            in_list(&req.query.filter.id, f.def.id as u32)
                && (types.is_empty() || types.contains(&f.def.field_type))
        })
        .map(|f| f.def.clone())
        .collect();
    page_of(
        &req,
        &base,
        &format!("/api/v4/{}/custom_fields", kind.path()),
        &all,
        true,
        true,
    )
}

pub(crate) async fn custom_field(
    State(state): State<SimState>,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
) -> Response {
    let kind = kind_in(uri.path());
    let acc = state.inner.account.read();
    match id
        .parse::<i64>()
        .ok()
        .and_then(|id| acc.fields(kind).iter().find(|f| f.def.id == id))
    {
        Some(f) => hal(&f.def),
        None => not_found("Custom field"),
    }
}

pub(crate) async fn tags(
    State(state): State<SimState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Response {
    let req = list_req!(raw);
    let kind = kind_in(uri.path());
    let base = base_url(&headers);
    let acc = state.inner.account.read();
    let f = &req.query.filter;
    let needle = req.query.query.as_ref().map(|q| q.to_lowercase());
    let all: Vec<_> = acc
        .kind_tags(kind)
        .iter()
        .filter(|t| f.id.is_empty() || f.id.contains(&t.id))
        .filter(|t| f.name.is_empty() || f.name.iter().any(|n| n.eq_ignore_ascii_case(&t.name)))
        .filter(|t| {
            needle
                .as_ref()
                .is_none_or(|n| t.name.to_lowercase().contains(n.as_str()))
        })
        .cloned()
        .collect();
    page_of(
        &req,
        &base,
        &format!("/api/v4/{}/tags", kind.path()),
        &all,
        false,
        false,
    )
}

pub(crate) async fn add_tags(
    State(state): State<SimState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    body: Bytes,
) -> Response {
    let items: Vec<TagRequest> = match batch(&body, MAX_BATCH) {
        Ok(i) => i,
        Err(e) => return e,
    };
    let kind = kind_in(uri.path());
    let base = base_url(&headers);
    let mut acc = state.inner.account.write();
    let mut failed = Vec::new();
    for (i, t) in items.iter().enumerate() {
        let mut errors = ItemErrors::default();
        if t.name.trim().is_empty() {
            errors.push("NotBlank", "name", "This value should not be blank.");
        }
        if acc
            .kind_tags(kind)
            .iter()
            .any(|x| x.name.eq_ignore_ascii_case(&t.name))
        {
            errors.push("Duplicate", "name", "A tag with this name already exists.");
        }
        if !errors.errors.is_empty() {
            failed.push((
                t.request_id.clone().unwrap_or_else(|| i.to_string()),
                errors,
            ));
        }
    }
    if !failed.is_empty() {
        return validation_failed(failed);
    }
    let mut out = Vec::new();
    for (i, t) in items.into_iter().enumerate() {
        let color = t.color.map(|c| c.trim_start_matches('#').to_uppercase());
        let id = acc.create_tag(kind, &t.name, color.clone());
        out.push(kommo_model::Tag {
            id,
            name: t.name,
            color,
            request_id: Some(t.request_id.unwrap_or_else(|| i.to_string())),
        });
    }
    drop(acc);
    hal(&Collection {
        page: None,
        page_count: None,
        total_items: Some(out.len() as u64),
        links: Links::to_self(format!("{base}/api/v4/{}/tags", kind.path())),
        items: out,
    })
}

// ---- loss reasons, sources ----------------------------------------------------------------------

pub(crate) async fn loss_reasons(
    State(state): State<SimState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let req = list_req!(raw);
    let base = base_url(&headers);
    let acc = state.inner.account.read();
    page_of(
        &req,
        &base,
        "/api/v4/leads/loss_reasons",
        &acc.loss_reasons,
        true,
        false,
    )
}

pub(crate) async fn loss_reason(State(state): State<SimState>, Path(id): Path<String>) -> Response {
    let acc = state.inner.account.read();
    match id
        .parse::<i64>()
        .ok()
        .and_then(|id| acc.loss_reasons.iter().find(|r| r.id == id))
    {
        Some(r) => hal(r),
        None => not_found("Loss reason"),
    }
}

pub(crate) async fn sources(
    State(state): State<SimState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let req = list_req!(raw);
    let base = base_url(&headers);
    let acc = state.inner.account.read();
    let ext = &req.query.filter.external_id;
    let all: Vec<_> = acc
        .sources
        .iter()
        .filter(|s| ext.is_empty() || s.external_id.as_ref().is_some_and(|e| ext.contains(e)))
        .cloned()
        .collect();
    page_of(&req, &base, "/api/v4/sources", &all, true, false)
}

pub(crate) async fn source(State(state): State<SimState>, Path(id): Path<String>) -> Response {
    let acc = state.inner.account.read();
    match id
        .parse::<i64>()
        .ok()
        .and_then(|id| acc.sources.iter().find(|s| s.id == id))
    {
        Some(s) => hal(s),
        None => not_found("Source"),
    }
}

// ---- events -------------------------------------------------------------------------------------

pub(crate) async fn events(
    State(state): State<SimState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let req = list_req!(raw);
    let base = base_url(&headers);
    let q = &req.query;
    let f = &q.filter;
    let desc = match &q.order {
        None => true,
        Some(o) if o.field == "created_at" || o.field == "id" => {
            o.direction == kommo_model::query::Direction::Desc
        }
        Some(o) => {
            return crate::http::bad_request(&format!(
                "order[{}] is not supported; sort by created_at or id",
                o.field
            ));
        }
    };
    let ids: Vec<String> = f
        .other
        .iter()
        .filter(|(k, _)| k.starts_with("[id]"))
        .map(|(_, v)| v.clone())
        .collect();
    let types: Vec<String> = f
        .event_type
        .iter()
        .flat_map(|t| t.split(',').map(str::to_owned))
        .collect();
    let entities: Vec<&str> = f
        .entity_type
        .iter()
        .map(|e| e.trim_end_matches('s'))
        .map(|e| if e == "companie" { "company" } else { e })
        .collect();
    let acc = state.inner.account.read();
    let keep = |e: &&crate::store::EventRec| {
        f.created_at
            .is_none_or(|r| r.contains(i64::from(e.created_at)))
            && (types.is_empty() || types.iter().any(|t| t == e.kind.wire()))
            && (entities.is_empty() || entities.contains(&e.entity_type))
            && (f.entity_id.is_empty() || f.entity_id.contains(&i64::from(e.entity_id)))
            && (f.created_by.is_empty() || f.created_by.contains(&i64::from(e.created_by)))
            && (ids.is_empty() || ids.contains(&event_id(e)))
    };
    // The log is in time order: narrow by created_at first.
    let from = f.created_at.and_then(|r| r.from).map_or(0, |from| {
        acc.events
            .partition_point(|e| i64::from(e.created_at) < from)
    });
    let slice = &acc.events[from..];
    let take = req.limit as usize + 1;
    let rows: Vec<&crate::store::EventRec> = if desc {
        slice
            .iter()
            .rev()
            .filter(keep)
            .skip(req.offset())
            .take(take)
            .collect()
    } else {
        slice
            .iter()
            .filter(keep)
            .skip(req.offset())
            .take(take)
            .collect()
    };
    if rows.is_empty() {
        return no_content();
    }
    let has_next = rows.len() > req.limit as usize;
    let items: Vec<_> = rows
        .into_iter()
        .take(req.limit as usize)
        .map(|e| acc.event_model(e, &base))
        .collect();
    drop(acc);
    hal(&Collection {
        page: Some(req.page),
        page_count: None,
        total_items: None,
        links: req.links(&base, "/api/v4/events", has_next),
        items,
    })
}

pub(crate) async fn event(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let base = base_url(&headers);
    let acc = state.inner.account.read();
    match acc.events.iter().find(|e| event_id(e) == id) {
        Some(e) => hal(&acc.event_model(e, &base)),
        None => no_content(),
    }
}

#[derive(Debug, Clone, Serialize)]
struct EventType {
    key: &'static str,
    #[serde(rename = "type")]
    kind: u32,
    lang: &'static str,
}

impl Entity for EventType {
    const COLLECTION: &'static str = "events_types";
}

pub(crate) async fn event_types(headers: HeaderMap) -> Response {
    let base = base_url(&headers);
    let items: Vec<EventType> = EventKind::ALL
        .iter()
        .enumerate()
        .map(|(i, k)| EventType {
            key: k.wire(),
            kind: i as u32 + 1,
            lang: k.wire(),
        })
        .collect();
    hal(&Collection {
        page: None,
        page_count: None,
        total_items: None,
        links: Links::to_self(format!("{base}/api/v4/events/types")),
        items,
    })
}

// ---- account ------------------------------------------------------------------------------------

pub(crate) async fn account(
    State(state): State<SimState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let req = list_req!(raw);
    let base = base_url(&headers);
    let acc = state.inner.account.read();
    let with = |v: &str| req.query.has_with(v);
    let embedded =
        (with("users_groups") || with("task_types") || with("amojo_rights")).then(|| {
            AccountEmbedded {
                users_groups: with("users_groups").then(|| {
                    acc.groups
                        .iter()
                        .map(|g| UsersGroup {
                            id: g.id,
                            name: g.name.clone(),
                            uuid: None,
                        })
                        .collect()
                }),
                task_types: with("task_types").then(|| {
                    vec![
                        TaskType {
                            id: 1,
                            name: "Follow-up".into(),
                            color: None,
                            icon_id: None,
                            code: Some("FOLLOW_UP".into()),
                        },
                        TaskType {
                            id: 2,
                            name: "Meeting".into(),
                            color: None,
                            icon_id: None,
                            code: Some("MEETING".into()),
                        },
                        TaskType {
                            id: 3,
                            name: "Send a proposal".into(),
                            color: Some("#ffce5a".into()),
                            icon_id: Some(5),
                            code: None,
                        },
                    ]
                }),
                amojo_rights: with("amojo_rights")
                    .then(|| serde_json::json!({"can_direct": true, "can_create_groups": true})),
            }
        });
    let model = AccountModel {
        id: acc.id,
        name: acc.name.clone(),
        subdomain: acc.subdomain.clone(),
        created_at: acc.created_at,
        created_by: 0,
        updated_at: acc.created_at,
        updated_by: 0,
        current_user_id: i64::from(caller.user_id),
        country: "BR".into(),
        currency: "BRL".into(),
        currency_symbol: "R$".into(),
        customers_mode: "disabled".into(),
        is_unsorted_on: true,
        mobile_feature_version: 0,
        is_loss_reason_enabled: true,
        is_helpbot_enabled: false,
        is_technical_account: false,
        contact_name_display_order: 1,
        amojo_id: with("amojo_id").then(|| {
            format!(
                "{:08x}-sim0-4000-8000-{:012x}",
                acc.id,
                acc.seed & 0xFFFF_FFFF_FFFF
            )
        }),
        version: with("version").then_some(11),
        datetime_settings: with("datetime_settings").then(|| DatetimeSettings {
            date_pattern: "d.m.Y H:i".into(),
            short_date_pattern: "d.m.Y".into(),
            short_time_pattern: "H:i".into(),
            date_format: "d.m.Y".into(),
            time_format: "H:i:s".into(),
            timezone: "America/Sao_Paulo".into(),
            timezone_offset: "-03:00".into(),
        }),
        links: Some(Links::to_self(format!("{base}/api/v4/account"))),
        embedded,
    };
    drop(acc);
    hal(&model)
}

// ---- tasks --------------------------------------------------------------------------------------

fn entity_code(t: &str) -> Option<u8> {
    match t {
        "leads" | "lead" => Some(1),
        "contacts" | "contact" => Some(2),
        "companies" | "company" => Some(3),
        _ => None,
    }
}

pub(crate) async fn tasks(
    State(state): State<SimState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let req = list_req!(raw);
    let base = base_url(&headers);
    let q = &req.query;
    let f = &q.filter;
    let (field, desc) = match &q.order {
        None => ("id", false),
        Some(o)
            if ["id", "created_at", "complete_till", "updated_at"].contains(&o.field.as_str()) =>
        {
            (
                o.field.as_str(),
                o.direction == kommo_model::query::Direction::Desc,
            )
        }
        Some(o) => {
            return crate::http::bad_request(&format!(
                "order[{}] is not supported; sort by created_at, complete_till or id",
                o.field
            ));
        }
    };
    let entity_types: Vec<u8> = f
        .entity_type
        .iter()
        .filter_map(|t| entity_code(t))
        .collect();
    let acc = state.inner.account.read();
    let keep = |t: &&TaskRec| {
        in_list(&f.id, t.id)
            && in_list(&f.responsible_user_id, t.responsible)
            && f.is_completed.is_none_or(|c| c == t.completed)
            && (f.task_type.is_empty() || f.task_type.contains(&i64::from(t.task_type)))
            && (entity_types.is_empty() || entity_types.contains(&t.entity_type))
            && in_list(&f.entity_id, t.entity_id)
            && f.updated_at
                .is_none_or(|r| r.contains(i64::from(t.updated_at)))
            && f.created_at
                .is_none_or(|r| r.contains(i64::from(t.created_at)))
    };
    let take = req.limit as usize + 1;
    let rows: Vec<&TaskRec> = if field == "id" {
        if desc {
            acc.tasks
                .recs
                .iter()
                .rev()
                .filter(keep)
                .skip(req.offset())
                .take(take)
                .collect()
        } else {
            acc.tasks
                .recs
                .iter()
                .filter(keep)
                .skip(req.offset())
                .take(take)
                .collect()
        }
    } else {
        let mut all: Vec<&TaskRec> = acc.tasks.recs.iter().filter(keep).collect();
        all.sort_by_key(|t| match field {
            "created_at" => (t.created_at, t.id),
            "updated_at" => (t.updated_at, t.id),
            _ => (t.complete_till, t.id),
        });
        if desc {
            all.reverse();
        }
        all.into_iter().skip(req.offset()).take(take).collect()
    };
    if rows.is_empty() {
        return no_content();
    }
    let has_next = rows.len() > req.limit as usize;
    let items: Vec<_> = rows
        .into_iter()
        .take(req.limit as usize)
        .map(|t| acc.task_model(t, &base))
        .collect();
    drop(acc);
    hal(&Collection {
        page: Some(req.page),
        page_count: None,
        total_items: None,
        links: req.links(&base, "/api/v4/tasks", has_next),
        items,
    })
}

pub(crate) async fn task(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let base = base_url(&headers);
    let acc = state.inner.account.read();
    match id.parse::<u32>().ok().and_then(|id| acc.tasks.get(id)) {
        Some(t) => hal(&acc.task_model(t, &base)),
        None => no_content(),
    }
}

fn check_task(acc: &crate::store::Account, t: &TaskRequest, adding: bool, errors: &mut ItemErrors) {
    if adding {
        if t.text.as_deref().is_none_or(str::is_empty) {
            errors.push("NotBlank", "text", "This value should not be blank.");
        }
        if t.complete_till.is_none() {
            errors.push(
                "NotBlank",
                "complete_till",
                "This value should not be blank.",
            );
        }
    }
    if let Some(kind) = &t.entity_type {
        match entity_code(kind) {
            None => errors.push(
                "NotSupportedChoice",
                "entity_type",
                "The value you selected is not a valid choice.",
            ),
            Some(code) => {
                let id = t.entity_id.and_then(|i| u32::try_from(i).ok()).unwrap_or(0);
                let exists = match code {
                    1 => acc.leads.get(id).is_some(),
                    2 => acc.contacts.get(id).is_some(),
                    _ => acc.companies.get(id).is_some(),
                };
                if !exists {
                    errors.push("NotFound", "entity_id", "Entity not found");
                }
            }
        }
    }
    if let Some(r) = t.responsible_user_id
        && u32::try_from(r).ok().and_then(|r| acc.user(r)).is_none()
    {
        errors.push(
            "NotSupportedChoice",
            "responsible_user_id",
            "User not found",
        );
    }
    if let Some(tt) = t.task_type_id
        && !(1..=3).contains(&tt)
    {
        errors.push("NotSupportedChoice", "task_type_id", "Task type not found");
    }
}

pub(crate) async fn add_tasks(
    State(state): State<SimState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let items: Vec<TaskRequest> = match batch(&body, MAX_BATCH) {
        Ok(i) => i,
        Err(e) => return e,
    };
    let base = base_url(&headers);
    let mut acc = state.inner.account.write();
    let mut failed = Vec::new();
    for (i, t) in items.iter().enumerate() {
        let mut errors = ItemErrors::default();
        check_task(&acc, t, true, &mut errors);
        if !errors.errors.is_empty() {
            failed.push((
                t.request_id.clone().unwrap_or_else(|| i.to_string()),
                errors,
            ));
        }
    }
    if !failed.is_empty() {
        return validation_failed(failed);
    }
    let now = write_now(&acc);
    let mut out = Vec::new();
    for (i, t) in items.into_iter().enumerate() {
        let id = acc.tasks.alloc_id();
        let rec = TaskRec {
            id,
            created_at: t.created_at.map_or(now, |v| v as u32),
            updated_at: t.updated_at.map_or(now, |v| v as u32),
            complete_till: t.complete_till.unwrap_or(0) as u32,
            responsible: t.responsible_user_id.map_or(caller.user_id, |v| v as u32),
            created_by: t.created_by.map_or(caller.user_id, |v| v as u32),
            updated_by: caller.user_id,
            entity_id: t.entity_id.unwrap_or(0) as u32,
            entity_type: t.entity_type.as_deref().and_then(entity_code).unwrap_or(0),
            task_type: t.task_type_id.unwrap_or(1) as u8,
            completed: t.is_completed.unwrap_or(false),
            duration: t.duration.unwrap_or(0) as u32,
        };
        acc.tasks.recs.push(rec);
        acc.tasks.index.insert(id, rec.created_at, rec.updated_at);
        acc.task_extra.insert(
            id,
            TaskExtra {
                text: t.text,
                result: t.result.map(|r| r.text),
            },
        );
        if rec.entity_type == 1
            && !rec.completed
            && let Some(l) = acc.leads.get_mut(rec.entity_id)
            && (l.closest_task_at == 0 || l.closest_task_at > rec.complete_till)
        {
            l.closest_task_at = rec.complete_till;
        }
        acc.push_event(
            EventKind::TaskAdded,
            "task",
            id,
            caller.user_id,
            now,
            EventValue::None,
            EventValue::None,
        );
        out.push(AddedEntity {
            id: i64::from(id),
            request_id: Some(t.request_id.unwrap_or_else(|| i.to_string())),
            updated_at: None,
            links: Some(Links::to_self(format!("{base}/api/v4/tasks/{id}"))),
        });
    }
    drop(acc);
    hal(&BatchResponse {
        links: Some(Links::to_self(format!("{base}/api/v4/tasks"))),
        embedded: [("tasks".to_owned(), out)].into_iter().collect(),
    })
}

pub(crate) async fn update_tasks(
    State(state): State<SimState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    body: Bytes,
) -> Response {
    let single: Option<i64> = uri.path().rsplit('/').next().and_then(|s| s.parse().ok());
    let items: Vec<TaskRequest> = match single {
        Some(id) => match json_body::<TaskRequest>(&body) {
            Ok(mut t) => {
                t.id = Some(id);
                vec![t]
            }
            Err(e) => return e,
        },
        None => match batch(&body, MAX_BATCH) {
            Ok(i) => i,
            Err(e) => return e,
        },
    };
    let base = base_url(&headers);
    let mut acc = state.inner.account.write();
    let mut failed = Vec::new();
    for (i, t) in items.iter().enumerate() {
        let mut errors = ItemErrors::default();
        if t.id
            .and_then(|id| u32::try_from(id).ok())
            .and_then(|id| acc.tasks.get(id))
            .is_none()
        {
            errors.push("NotFound", "id", "Task not found");
        }
        check_task(&acc, t, false, &mut errors);
        if !errors.errors.is_empty() {
            failed.push((
                t.request_id.clone().unwrap_or_else(|| i.to_string()),
                errors,
            ));
        }
    }
    if !failed.is_empty() {
        return validation_failed(failed);
    }
    let now = write_now(&acc);
    let mut out = Vec::new();
    for t in items {
        let id = t.id.unwrap_or(0) as u32;
        let mut completed_now = false;
        if let Some(rec) = acc.tasks.get_mut(id) {
            if let Some(c) = t.complete_till {
                rec.complete_till = c as u32;
            }
            if let Some(r) = t.responsible_user_id {
                rec.responsible = r as u32;
            }
            if let Some(tt) = t.task_type_id {
                rec.task_type = tt as u8;
            }
            if let Some(d) = t.duration {
                rec.duration = d as u32;
            }
            if let Some(done) = t.is_completed {
                completed_now = done && !rec.completed;
                rec.completed = done;
            }
            let old = rec.updated_at;
            rec.updated_at = t.updated_at.map_or(now, |v| v as u32);
            rec.updated_by = caller.user_id;
            let new = rec.updated_at;
            acc.tasks.index.touch(id, old, new);
        }
        let extra = acc.task_extra.entry(id).or_default();
        if let Some(text) = t.text {
            extra.text = Some(text);
        }
        if let Some(result) = t.result {
            extra.result = Some(result.text);
        }
        if completed_now {
            acc.push_event(
                EventKind::TaskCompleted,
                "task",
                id,
                caller.user_id,
                now,
                EventValue::None,
                EventValue::None,
            );
        }
        let updated = acc.tasks.get(id).map_or(now, |r| r.updated_at);
        out.push(AddedEntity {
            id: i64::from(id),
            request_id: t.request_id,
            updated_at: Some(i64::from(updated)),
            links: Some(Links::to_self(format!("{base}/api/v4/tasks/{id}"))),
        });
    }
    drop(acc);
    if single.is_some()
        && let Some(one) = out.pop()
    {
        return hal(&one);
    }
    hal(&BatchResponse {
        links: Some(Links::to_self(format!("{base}/api/v4/tasks"))),
        embedded: [("tasks".to_owned(), out)].into_iter().collect(),
    })
}
