//! Pipelines and statuses, with Kommo's rules: system statuses 142 / 143 (and incoming leads)
//! in every pipeline, at most 50 pipelines and 100 statuses each, the last pipeline or one
//! holding leads cannot be deleted, deleting a status moves its leads to the first stage.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use kommo_model::{Collection, Links, PipelineRequest, StatusRequest};

use crate::api::lead_write::write_now;
use crate::api::validate::{ItemErrors, batch, validation_failed};
use crate::http::{Caller, bad_request, base_url, hal, json_body, no_content, problem};
use crate::names::STATUS_COLORS;
use crate::state::SimState;
use crate::store::{Account, PipelineRec, StatusRec};

pub(crate) const MAX_PIPELINES: usize = 50;
pub(crate) const MAX_STATUSES: usize = 100;

fn not_found(what: &str) -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "Not Found",
        &format!("{what} not found"),
    )
}

fn color_ok(color: &str) -> bool {
    STATUS_COLORS.iter().any(|c| c.eq_ignore_ascii_case(color))
        || ["#c1c1c1", "#ccff66", "#d5d8db"].contains(&color.to_lowercase().as_str())
}

pub(crate) async fn list(State(state): State<SimState>, headers: HeaderMap) -> Response {
    let base = base_url(&headers);
    let acc = state.inner.account.read();
    let items: Vec<_> = acc
        .pipelines
        .iter()
        .map(|p| acc.pipeline_model(p, &base))
        .collect();
    hal(&Collection {
        page: None,
        page_count: None,
        total_items: Some(items.len() as u64),
        links: Links::to_self(format!("{base}/api/v4/leads/pipelines")),
        items,
    })
}

fn parse_id(id: &str) -> Option<u32> {
    id.parse().ok()
}

pub(crate) async fn get_one(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let base = base_url(&headers);
    let acc = state.inner.account.read();
    match parse_id(&id).and_then(|id| acc.pipeline(id)) {
        Some(p) => hal(&acc.pipeline_model(p, &base)),
        None => not_found("Pipeline"),
    }
}

impl Account {
    fn new_status_id(&mut self) -> u32 {
        let id = self.next_status_id;
        self.next_status_id += 4;
        id
    }

    /// Leads (live or deleted) in a pipeline, optionally in one status.
    pub(crate) fn leads_in(&self, pipeline: u32, status: Option<u32>) -> Vec<u32> {
        self.leads
            .recs
            .iter()
            .filter(|l| l.pipeline_id == pipeline && status.is_none_or(|s| l.status_id == s))
            .map(|l| l.id)
            .collect()
    }
}

pub(crate) async fn add(
    State(state): State<SimState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let items: Vec<PipelineRequest> = match batch(&body, MAX_PIPELINES) {
        Ok(i) => i,
        Err(e) => return e,
    };
    let base = base_url(&headers);
    let mut acc = state.inner.account.write();
    let mut failed = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let rid = item.request_id.clone().unwrap_or_else(|| i.to_string());
        let mut errors = ItemErrors::default();
        if item.name.as_deref().is_none_or(str::is_empty) {
            errors.push("NotBlank", "name", "This value should not be blank.");
        }
        if item.sort.is_none() {
            errors.push("NotBlank", "sort", "This value should not be blank.");
        }
        if item.is_main.is_none() {
            errors.push("NotBlank", "is_main", "This value should not be blank.");
        }
        if item.is_unsorted_on.is_none() {
            errors.push(
                "NotBlank",
                "is_unsorted_on",
                "This value should not be blank.",
            );
        }
        let statuses = item
            .embedded
            .as_ref()
            .map(|e| e.statuses.as_slice())
            .unwrap_or(&[]);
        let custom = statuses
            .iter()
            .filter(|s| !matches!(s.id, Some(142 | 143)))
            .count();
        if custom + 3 > MAX_STATUSES {
            errors.push(
                "LimitExceeded",
                "_embedded.statuses",
                format!("A pipeline has at most {MAX_STATUSES} statuses, system ones included."),
            );
        }
        for (j, s) in statuses.iter().enumerate() {
            if matches!(s.id, Some(id) if id != 142 && id != 143) {
                errors.push(
                    "NotSupportedChoice",
                    format!("_embedded.statuses.{j}.id"),
                    "Only the system statuses 142 and 143 may be named by id.",
                );
            }
            if s.name.as_deref().is_none_or(str::is_empty) {
                errors.push(
                    "NotBlank",
                    format!("_embedded.statuses.{j}.name"),
                    "This value should not be blank.",
                );
            }
            if s.color.as_deref().is_some_and(|c| !color_ok(c)) {
                errors.push(
                    "NotSupportedChoice",
                    format!("_embedded.statuses.{j}.color"),
                    "The value you selected is not a valid choice.",
                );
            }
        }
        if !errors.errors.is_empty() {
            failed.push((rid, errors));
        }
    }
    if acc.pipelines.len() + items.len() > MAX_PIPELINES && failed.is_empty() {
        let mut errors = ItemErrors::default();
        errors.push(
            "LimitExceeded",
            "",
            format!("An account has at most {MAX_PIPELINES} pipelines."),
        );
        failed.push((items.len().saturating_sub(1).to_string(), errors));
    }
    if !failed.is_empty() {
        return validation_failed(failed);
    }
    let mut out = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let id = acc.next_pipeline_id;
        acc.next_pipeline_id += 4_200;
        let is_main = item.is_main.unwrap_or(false);
        if is_main {
            for p in &mut acc.pipelines {
                p.is_main = false;
            }
        }
        let mut statuses = vec![StatusRec {
            id: acc.new_status_id(),
            name: "Incoming leads".to_owned(),
            sort: 10,
            is_editable: false,
            color: "#c1c1c1".to_owned(),
            kind: 1,
            descriptions: None,
        }];
        let mut given: Vec<StatusRequest> = item.embedded.map(|e| e.statuses).unwrap_or_default();
        let mut won = "Closed - won".to_owned();
        let mut lost = "Closed - lost".to_owned();
        given.retain(|s| match s.id {
            Some(142) => {
                won = s.name.clone().unwrap_or(won.clone());
                false
            }
            Some(143) => {
                lost = s.name.clone().unwrap_or(lost.clone());
                false
            }
            _ => true,
        });
        given.sort_by_key(|s| s.sort.unwrap_or(i64::MAX));
        for (n, s) in given.into_iter().enumerate() {
            statuses.push(StatusRec {
                id: acc.new_status_id(),
                name: s.name.unwrap_or_default(),
                sort: 20 + 10 * n as i64,
                is_editable: true,
                color: s.color.unwrap_or_else(|| "#99ccff".to_owned()),
                kind: 0,
                descriptions: s.descriptions,
            });
        }
        statuses.push(StatusRec {
            id: 142,
            name: won,
            sort: 10_000,
            is_editable: false,
            color: "#CCFF66".to_owned(),
            kind: 0,
            descriptions: None,
        });
        statuses.push(StatusRec {
            id: 143,
            name: lost,
            sort: 11_000,
            is_editable: false,
            color: "#D5D8DB".to_owned(),
            kind: 0,
            descriptions: None,
        });
        let rec = PipelineRec {
            id,
            name: item.name.unwrap_or_default(),
            sort: item.sort.unwrap_or(0),
            is_main,
            is_unsorted_on: item.is_unsorted_on.unwrap_or(true),
            is_archive: false,
            statuses,
        };
        let mut model = acc.pipeline_model(&rec, &base);
        model.request_id = Some(item.request_id.unwrap_or_else(|| i.to_string()));
        acc.pipelines.push(rec);
        out.push(model);
    }
    acc.pipelines.sort_by_key(|p| (p.sort, p.id));
    drop(acc);
    hal(&Collection {
        page: None,
        page_count: None,
        total_items: Some(out.len() as u64),
        links: Links::to_self(format!("{base}/api/v4/leads/pipelines")),
        items: out,
    })
}

pub(crate) async fn edit(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let req: PipelineRequest = match json_body(&body) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let base = base_url(&headers);
    let mut acc = state.inner.account.write();
    let Some(pos) = parse_id(&id).and_then(|id| acc.pipelines.iter().position(|p| p.id == id))
    else {
        return not_found("Pipeline");
    };
    if req.name.is_none()
        && req.sort.is_none()
        && req.is_main.is_none()
        && req.is_unsorted_on.is_none()
    {
        return bad_request("At least one of name, sort, is_main, is_unsorted_on must be given");
    }
    if req.name.as_deref() == Some("") {
        let mut errors = ItemErrors::default();
        errors.push("NotBlank", "name", "This value should not be blank.");
        return validation_failed(vec![("0".to_owned(), errors)]);
    }
    if req.is_main == Some(false) && acc.pipelines[pos].is_main {
        return bad_request(
            "The main pipeline cannot be unset; make another pipeline main instead",
        );
    }
    if req.is_main == Some(true) {
        for p in &mut acc.pipelines {
            p.is_main = false;
        }
    }
    let p = &mut acc.pipelines[pos];
    if let Some(name) = req.name {
        p.name = name;
    }
    if let Some(sort) = req.sort {
        p.sort = sort;
    }
    if let Some(main) = req.is_main {
        p.is_main = main;
    }
    if let Some(on) = req.is_unsorted_on {
        p.is_unsorted_on = on;
    }
    let p = acc.pipelines[pos].clone();
    acc.pipelines.sort_by_key(|p| (p.sort, p.id));
    let mut model = acc.pipeline_model(&p, &base);
    model.request_id = Some("0".to_owned());
    drop(acc);
    hal(&model)
}

pub(crate) async fn delete(State(state): State<SimState>, Path(id): Path<String>) -> Response {
    let mut acc = state.inner.account.write();
    let Some(pos) = parse_id(&id).and_then(|id| acc.pipelines.iter().position(|p| p.id == id))
    else {
        return not_found("Pipeline");
    };
    if acc.pipelines.len() == 1 {
        return bad_request("The last pipeline of the account cannot be deleted");
    }
    let pid = acc.pipelines[pos].id;
    if !acc.leads_in(pid, None).is_empty() {
        return bad_request("A pipeline that still has leads cannot be deleted");
    }
    let was_main = acc.pipelines.remove(pos).is_main;
    if was_main && let Some(first) = acc.pipelines.first_mut() {
        first.is_main = true;
    }
    no_content()
}

// ---- statuses ---------------------------------------------------------------------------------

pub(crate) async fn statuses(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(pid): Path<String>,
) -> Response {
    let base = base_url(&headers);
    let acc = state.inner.account.read();
    let Some(p) = parse_id(&pid).and_then(|id| acc.pipeline(id)) else {
        return not_found("Pipeline");
    };
    let items: Vec<_> = acc.pipeline_model(p, &base).embedded.statuses;
    hal(&StatusList::new(&items))
}

/// The statuses list and add envelope: unlike the other collections, Kommo sends no `_links`.
#[derive(Debug, serde::Serialize)]
struct StatusList<'a> {
    #[serde(rename = "_total_items")]
    total_items: usize,
    #[serde(rename = "_embedded")]
    embedded: StatusItems<'a>,
}

#[derive(Debug, serde::Serialize)]
struct StatusItems<'a> {
    statuses: &'a [kommo_model::Status],
}

impl<'a> StatusList<'a> {
    fn new(statuses: &'a [kommo_model::Status]) -> Self {
        Self {
            total_items: statuses.len(),
            embedded: StatusItems { statuses },
        }
    }
}

pub(crate) async fn status(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path((pid, sid)): Path<(String, String)>,
) -> Response {
    let base = base_url(&headers);
    let acc = state.inner.account.read();
    let Some(p) = parse_id(&pid).and_then(|id| acc.pipeline(id)) else {
        return not_found("Pipeline");
    };
    match parse_id(&sid).and_then(|sid| p.statuses.iter().find(|s| s.id == sid)) {
        Some(s) => hal(&acc.status_model(p, s, &base)),
        None => not_found("Status"),
    }
}

pub(crate) async fn add_statuses(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path(pid): Path<String>,
    body: Bytes,
) -> Response {
    let items: Vec<StatusRequest> = match batch(&body, MAX_STATUSES) {
        Ok(i) => i,
        Err(e) => return e,
    };
    let base = base_url(&headers);
    let mut acc = state.inner.account.write();
    let Some(pos) = parse_id(&pid).and_then(|id| acc.pipelines.iter().position(|p| p.id == id))
    else {
        return not_found("Pipeline");
    };
    let mut failed = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let rid = item.request_id.clone().unwrap_or_else(|| i.to_string());
        let mut errors = ItemErrors::default();
        if item.name.as_deref().is_none_or(str::is_empty) {
            errors.push("NotBlank", "name", "This value should not be blank.");
        }
        if item.sort.is_none() {
            errors.push("NotBlank", "sort", "This value should not be blank.");
        }
        if item.color.as_deref().is_some_and(|c| !color_ok(c)) {
            errors.push(
                "NotSupportedChoice",
                "color",
                "The value you selected is not a valid choice.",
            );
        }
        check_descriptions(item.descriptions.as_deref(), &mut errors);
        if !errors.errors.is_empty() {
            failed.push((rid, errors));
        }
    }
    if failed.is_empty() && acc.pipelines[pos].statuses.len() + items.len() > MAX_STATUSES {
        let mut errors = ItemErrors::default();
        errors.push(
            "LimitExceeded",
            "",
            format!("A pipeline has at most {MAX_STATUSES} statuses, system ones included."),
        );
        failed.push((items.len().saturating_sub(1).to_string(), errors));
    }
    if !failed.is_empty() {
        return validation_failed(failed);
    }
    let mut items: Vec<(usize, StatusRequest)> = items.into_iter().enumerate().collect();
    items.sort_by_key(|(_, s)| s.sort.unwrap_or(0));
    let mut next_sort = acc.pipelines[pos]
        .statuses
        .iter()
        .filter(|s| s.id != 142 && s.id != 143)
        .map(|s| s.sort)
        .max()
        .unwrap_or(10)
        + 10;
    let mut out = Vec::new();
    for (i, item) in items {
        let id = acc.new_status_id();
        let rec = StatusRec {
            id,
            name: item.name.unwrap_or_default(),
            sort: next_sort,
            is_editable: true,
            color: item.color.unwrap_or_else(|| "#99ccff".to_owned()),
            kind: 0,
            descriptions: item.descriptions,
        };
        next_sort += 10;
        let p = acc.pipelines[pos].clone();
        let mut model = acc.status_model(&p, &rec, &base);
        model.request_id = Some(item.request_id.unwrap_or_else(|| i.to_string()));
        out.push(model);
        acc.pipelines[pos].statuses.push(rec);
    }
    acc.pipelines[pos].sort_statuses();
    drop(acc);
    hal(&StatusList::new(&out))
}

fn check_descriptions(
    descriptions: Option<&[kommo_model::StatusDescription]>,
    errors: &mut ItemErrors,
) {
    let Some(list) = descriptions else { return };
    if list.len() > 3 {
        errors.push("LimitExceeded", "descriptions", "At most 3 descriptions.");
    }
    let mut seen = Vec::new();
    for (i, d) in list.iter().enumerate() {
        if !["newbie", "candidate", "master"].contains(&d.level.as_str()) {
            errors.push(
                "NotSupportedChoice",
                format!("descriptions.{i}.level"),
                "Level must be newbie, candidate or master.",
            );
        }
        if seen.contains(&d.level) {
            errors.push(
                "Duplicate",
                format!("descriptions.{i}.level"),
                "Each level may be described once.",
            );
        }
        seen.push(d.level.clone());
        if d.description.chars().count() > 1000 {
            errors.push(
                "InvalidLength",
                format!("descriptions.{i}.description"),
                "At most 1000 characters.",
            );
        }
    }
}

pub(crate) async fn edit_status(
    State(state): State<SimState>,
    headers: HeaderMap,
    Path((pid, sid)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let req: StatusRequest = match json_body(&body) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let base = base_url(&headers);
    let mut acc = state.inner.account.write();
    let Some(pos) = parse_id(&pid).and_then(|id| acc.pipelines.iter().position(|p| p.id == id))
    else {
        return not_found("Pipeline");
    };
    let Some(spos) =
        parse_id(&sid).and_then(|sid| acc.pipelines[pos].statuses.iter().position(|s| s.id == sid))
    else {
        return not_found("Status");
    };
    if req.name.is_none() && req.sort.is_none() && req.color.is_none() && req.descriptions.is_none()
    {
        return bad_request("At least one of name, sort, color must be given");
    }
    let mut errors = ItemErrors::default();
    if !acc.pipelines[pos].statuses[spos].is_editable {
        errors.push("NotEditable", "id", "This status cannot be edited.");
    }
    if req.name.as_deref() == Some("") {
        errors.push("NotBlank", "name", "This value should not be blank.");
    }
    if req.color.as_deref().is_some_and(|c| !color_ok(c)) {
        errors.push(
            "NotSupportedChoice",
            "color",
            "The value you selected is not a valid choice.",
        );
    }
    check_descriptions(req.descriptions.as_deref(), &mut errors);
    if !errors.errors.is_empty() {
        return validation_failed(vec![("0".to_owned(), errors)]);
    }
    let s = &mut acc.pipelines[pos].statuses[spos];
    if let Some(name) = req.name {
        s.name = name;
    }
    if let Some(sort) = req.sort {
        s.sort = sort;
    }
    if let Some(color) = req.color {
        s.color = color;
    }
    if let Some(d) = req.descriptions {
        s.descriptions = Some(d);
    }
    let s = s.clone();
    acc.pipelines[pos].sort_statuses();
    let p = acc.pipelines[pos].clone();
    let mut model = acc.status_model(&p, &s, &base);
    model.request_id = Some("0".to_owned());
    drop(acc);
    hal(&model)
}

pub(crate) async fn delete_status(
    State(state): State<SimState>,
    Extension(caller): Extension<Caller>,
    Path((pid, sid)): Path<(String, String)>,
) -> Response {
    let mut acc = state.inner.account.write();
    let Some(pos) = parse_id(&pid).and_then(|id| acc.pipelines.iter().position(|p| p.id == id))
    else {
        return not_found("Pipeline");
    };
    let Some(spos) =
        parse_id(&sid).and_then(|sid| acc.pipelines[pos].statuses.iter().position(|s| s.id == sid))
    else {
        return not_found("Status");
    };
    let status = acc.pipelines[pos].statuses[spos].clone();
    if !status.is_editable {
        return bad_request("System statuses (incoming leads, 142, 143) cannot be deleted");
    }
    let open = acc.pipelines[pos]
        .statuses
        .iter()
        .filter(|s| s.is_editable)
        .count();
    if open <= 1 {
        return bad_request("The last stage of a pipeline cannot be deleted");
    }
    acc.pipelines[pos].statuses.remove(spos);
    let pipeline = acc.pipelines[pos].id;
    let first = acc.pipelines[pos].first_stage();
    let now = write_now(&acc);
    for lead in acc.leads_in(pipeline, Some(status.id)) {
        if acc
            .leads
            .get(lead)
            .is_some_and(|l| l.flags & crate::store::DELETED != 0)
        {
            if let Some(l) = acc.leads.get_mut(lead) {
                l.status_id = first;
            }
        } else {
            acc.move_lead(lead, pipeline, first, caller.user_id, now);
        }
    }
    no_content()
}
