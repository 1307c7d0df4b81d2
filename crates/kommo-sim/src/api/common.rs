//! What the areas of the API share: the caller, response shapes (HAL, problem documents,
//! 204), list requests and their pages and links, batch bodies, and the answers to writes.
//! Imports no area: every area may use it, none depends on another through it.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kommo_model::query::{DEFAULT_LIMIT, ListQuery, MAX_LIMIT};
use kommo_model::{
    AddedEntity, BatchResponse, Collection, Entity, Link, Links, Problem, ValidationErrors,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::mutate::{Item, ItemErrors, Rejection, request_id};
use crate::render::LeadWith;
use crate::select::{DeletedRow, FieldFilter, Slice, Walk, field_filters, order_of};
use crate::shape::{ReadShape, Shaped};
use crate::state::SimState;
use crate::store::{Account, Kind};

/// The authenticated user of a request, put in its extensions by the gate.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Caller {
    pub(crate) user_id: u32,
}

// ---- responses ----------------------------------------------------------------------------

/// A problem document (`application/problem+json`).
pub(crate) fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    problem_doc(Problem::new(status.as_u16(), title, detail))
}

pub(crate) fn problem_doc(problem: Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::BAD_REQUEST);
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body,
    )
        .into_response()
}

pub(crate) fn bad_request(detail: &str) -> Response {
    problem(StatusCode::BAD_REQUEST, "Bad Request", detail)
}

/// A 200 with what a path names, or 404 when the account does not have it.
pub(crate) fn found<T: Serialize>(value: Option<T>, what: &str) -> Response {
    match value {
        Some(value) => hal(&value),
        None => not_found(what),
    }
}

/// 404 for what a path names and the account does not have.
pub(crate) fn not_found(what: &str) -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "Not Found",
        &format!("{what} not found"),
    )
}

/// A 200 with a HAL body, serialised straight into one buffer.
pub(crate) fn hal<T: Serialize>(value: &T) -> Response {
    hal_status(StatusCode::OK, value)
}

pub(crate) fn hal_status<T: Serialize>(status: StatusCode, value: &T) -> Response {
    let mut buf = Vec::with_capacity(4096);
    match serde_json::to_writer(&mut buf, value) {
        Ok(()) => {
            let mut response = Response::new(Body::from(buf));
            *response.status_mut() = status;
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/hal+json"),
            );
            response
        }
        Err(e) => problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
            &e.to_string(),
        ),
    }
}

/// A 200 with a HAL body in Kommo's read shape (`crate::shape`): the keys the shared wire
/// types leave out but Kommo sends on reads put back.
pub(crate) fn hal_read<T: Serialize>(value: &T, base: &str) -> Response {
    let shape = ReadShape {
        base,
        with: LeadWith::default(),
    };
    hal_status(StatusCode::OK, &Shaped::new(value, shape))
}

/// A 200 with an already serialised HAL body.
pub(crate) fn hal_bytes(body: impl Into<Body>) -> Response {
    let mut response = Response::new(body.into());
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/hal+json"),
    );
    response
}

/// 204 with an empty body and no content type: no entities.
pub(crate) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// `http://host[:port]` as the client addressed us, for absolute `_links`.
pub(crate) fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("http");
    format!("{scheme}://{host}")
}

// ---- lists -------------------------------------------------------------------------------

/// A parsed list request: the query, page and limit, and the raw pairs for the links.
#[derive(Debug)]
pub(crate) struct ListRequest {
    pub(crate) query: ListQuery,
    pub(crate) page: u32,
    pub(crate) limit: u32,
    /// Raw `key=value` parts other than page and limit, as sent.
    rest: Vec<String>,
}

impl ListRequest {
    pub(crate) fn offset(&self) -> usize {
        (self.page as usize - 1) * self.limit as usize
    }

    /// The part of the list this request asks for.
    pub(crate) fn slice(&self) -> Slice {
        Slice {
            offset: self.offset(),
            limit: self.limit as usize,
        }
    }

    /// `_links` of a page: `self`, `next` only when another page exists, `prev` from page 2.
    pub(crate) fn links(&self, base: &str, path: &str, has_next: bool) -> Links {
        let href = |page: u32| {
            let mut query = self.rest.join("&");
            if !query.is_empty() {
                query.push('&');
            }
            format!("{base}{path}?{query}page={page}&limit={}", self.limit)
        };
        Links {
            self_: Some(Link {
                href: href(self.page),
            }),
            next: has_next.then(|| Link {
                href: href(self.page + 1),
            }),
            prev: (self.page > 1).then(|| Link {
                href: href(self.page - 1),
            }),
            first: None,
        }
    }
}

/// Reads a list query; bad values give the 400 problem to answer with.
pub(crate) fn list_request(raw: Option<&str>) -> Result<ListRequest, Response> {
    let raw = raw.unwrap_or("");
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.as_bytes())
        .into_owned()
        .collect();
    let query = ListQuery::from_pairs(pairs).map_err(|e| bad_request(&e.to_string()))?;
    let page = query.page.unwrap_or(1);
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if page == 0 {
        return Err(bad_request("page must be a positive integer, got 0"));
    }
    if limit == 0 || limit > MAX_LIMIT {
        return Err(bad_request(&format!(
            "limit must be between 1 and {MAX_LIMIT}, got {limit}"
        )));
    }
    let rest = raw
        .split('&')
        .filter(|part| !part.is_empty())
        .filter(|part| {
            let key = part.split('=').next().unwrap_or("");
            key != "page" && key != "limit"
        })
        .map(str::to_owned)
        .collect();
    Ok(ListRequest {
        query,
        page,
        limit,
        rest,
    })
}

/// Reads a list of leads, contacts or companies: the request, how it walks the index and its
/// custom field filters; or the 400 to answer.
pub(crate) fn entity_list_request(
    raw: Option<&str>,
) -> Result<(ListRequest, Walk, Vec<FieldFilter>), Response> {
    let req = list_request(raw)?;
    let (order, desc) = order_of(&req.query, &[]).map_err(|e| bad_request(&e))?;
    let fields = field_filters(&req.query).map_err(|e| bad_request(&e))?;
    let walk = Walk::new(order, desc, &req.query);
    Ok((req, walk, fields))
}

/// Which kind's custom fields or tags a path is about.
pub(crate) fn kind_in(path: &str) -> Kind {
    if path.starts_with("/api/v4/contacts") {
        Kind::Contacts
    } else if path.starts_with("/api/v4/companies") {
        Kind::Companies
    } else {
        Kind::Leads
    }
}

/// A page of a list selected with one row more than it shows (`found` rows); 204 when
/// nothing was found.
fn page<T: Entity + Serialize>(
    req: &ListRequest,
    base: &str,
    path: &str,
    found: usize,
    items: Vec<T>,
) -> Response {
    if found == 0 {
        return no_content();
    }
    hal(&Collection {
        page: Some(req.page),
        page_count: None,
        total_items: None,
        links: req.links(base, path, found > req.limit as usize),
        items,
    })
}

/// A page of rows selected one more than it shows, each rendered by `render`; 204 when
/// nothing was found.
pub(crate) fn rendered_page<R, T: Entity + Serialize>(
    req: &ListRequest,
    base: &str,
    path: &str,
    rows: &[R],
    render: impl Fn(&R) -> T,
) -> Response {
    let items = rows.iter().take(req.limit as usize).map(render).collect();
    page(req, base, path, rows.len(), items)
}

/// Which counts a small list's pages carry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Counts {
    pub(crate) total_items: bool,
    pub(crate) page_count: bool,
}

/// `GET` of a small in-memory list at `path`: every row `select` picks from the account,
/// cut into the page asked for; 204 when the page is empty.
pub(crate) fn small_list<T: Entity + Serialize + Clone>(
    state: &SimState,
    headers: &HeaderMap,
    raw: Option<&str>,
    path: &str,
    counts: Counts,
    select: impl FnOnce(&Account, &ListQuery, &str) -> Vec<T>,
) -> Response {
    let req = match list_request(raw) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let base = base_url(headers);
    let all = select(&state.inner.account.read(), &req.query, &base);
    page_of(&req, &base, path, &all, counts)
}

/// A page of a small in-memory list; 204 when empty.
fn page_of<T: Entity + Serialize + Clone>(
    req: &ListRequest,
    base: &str,
    path: &str,
    all: &[T],
    counts: Counts,
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
        page_count: counts
            .page_count
            .then(|| all.len().div_ceil(req.limit as usize) as u32),
        total_items: counts.total_items.then_some(all.len() as u64),
        links: req.links(base, path, has_next),
        items: rows,
    })
}

/// A `with=only_deleted` page.
#[derive(Debug, Serialize)]
struct DeletedPage {
    #[serde(rename = "_page")]
    page: u32,
    #[serde(rename = "_links")]
    links: Links,
    #[serde(rename = "_embedded")]
    embedded: std::collections::BTreeMap<&'static str, Vec<DeletedRow>>,
}

/// A `with=only_deleted` page of rows selected one more than it shows; 204 when empty.
pub(crate) fn deleted_page(
    req: &ListRequest,
    base: &str,
    path: &str,
    noun: &'static str,
    mut rows: Vec<DeletedRow>,
) -> Response {
    if rows.is_empty() {
        return no_content();
    }
    let has_next = rows.len() > req.limit as usize;
    rows.truncate(req.limit as usize);
    hal(&DeletedPage {
        page: req.page,
        links: req.links(base, path, has_next),
        embedded: [(noun, rows)].into_iter().collect(),
    })
}

/// `GET /api/v4/contacts` or `/companies` (`kind`): a page of live entities, each rendered
/// by `render` in Kommo's read shape; with `with=only_deleted`, their deleted rows.
pub(crate) fn entity_list<T: Entity + Serialize>(
    state: &SimState,
    headers: &HeaderMap,
    raw: Option<&str>,
    kind: Kind,
    render: impl Fn(&Account, u32, &ListQuery, &str) -> Option<T>,
) -> Response {
    let (req, walk, fields) = match entity_list_request(raw) {
        Ok(list) => list,
        Err(e) => return e,
    };
    let base = base_url(headers);
    let path = format!("/api/v4/{}", kind.path());
    let acc = state.inner.account.read();
    if req.query.has_with("only_deleted") {
        let rows = acc.deleted_entities(kind, &req.query, walk, req.slice());
        drop(acc);
        return deleted_page(&req, &base, &path, kind.path(), rows);
    }
    let ids = acc.select_entities(kind, &req.query, walk, &fields, req.slice());
    if ids.is_empty() {
        return no_content();
    }
    let links = req.links(&base, &path, ids.len() > req.limit as usize);
    let items: Vec<T> = ids
        .iter()
        .take(req.limit as usize)
        .filter_map(|id| render(&acc, *id, &req.query, &base))
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

/// `GET /api/v4/contacts/{id}` or `/companies/{id}`: the entity `render` finds live, in
/// Kommo's read shape; 204 when there is none.
pub(crate) fn entity_get<T: Serialize>(
    state: &SimState,
    headers: &HeaderMap,
    id: &str,
    raw: Option<&str>,
    render: impl Fn(&Account, u32, &ListQuery, &str) -> Option<T>,
) -> Response {
    let Ok(id) = id.parse::<u32>() else {
        return problem(StatusCode::NOT_FOUND, "Not Found", "Id must be an integer");
    };
    let req = match list_request(raw) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let base = base_url(headers);
    let acc = state.inner.account.read();
    match render(&acc, id, &req.query, &base) {
        Some(entity) => hal_read(&entity, &base),
        None => no_content(),
    }
}

// ---- writes ------------------------------------------------------------------------------

/// Reads a JSON body into `T`, or the 400 problem to answer with.
pub(crate) fn json_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, Response> {
    serde_json::from_slice(body)
        .map_err(|e| bad_request(&format!("Request body is not valid: {e}")))
}

/// 400 with `validation-errors`, one entry per failing item.
pub(crate) fn validation_failed(items: Vec<(String, ItemErrors)>) -> Response {
    let mut problem = Problem::new(400, "Bad Request", "Request validation failed");
    problem.validation_errors = items
        .into_iter()
        .filter(|(_, e)| !e.errors.is_empty())
        .map(|(request_id, e)| ValidationErrors {
            request_id,
            errors: e.errors,
        })
        .collect();
    problem_doc(problem)
}

/// Too many items, or not an array: a plain 400.
pub(crate) fn batch_shape(detail: &str) -> Response {
    problem_doc(Problem::new(
        StatusCode::BAD_REQUEST.as_u16(),
        "Bad Request",
        detail,
    ))
}

pub(crate) const MAX_BATCH: usize = 250;

/// Reads a batch body: a JSON array of `T`, at most `max` items; a wrong item type gives a
/// validation error tied to its index.
pub(crate) fn batch<T: DeserializeOwned>(body: &[u8], max: usize) -> Result<Vec<T>, Response> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| batch_shape(&format!("Request body is not valid JSON: {e}")))?;
    let Value::Array(items) = value else {
        return Err(batch_shape("Request body must be a JSON array of entities"));
    };
    if items.is_empty() {
        return Err(batch_shape("Request body must not be empty"));
    }
    if items.len() > max {
        return Err(batch_shape(&format!(
            "Too many entities in one request: {} (at most {max})",
            items.len()
        )));
    }
    let mut out = Vec::with_capacity(items.len());
    let mut failed = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let request_id = item
            .get("request_id")
            .and_then(Value::as_str)
            .map_or_else(|| i.to_string(), str::to_owned);
        match serde_json::from_value::<T>(item) {
            Ok(v) => out.push(v),
            Err(e) => {
                let mut errors = ItemErrors::default();
                errors.push("InvalidType", "", e.to_string());
                failed.push((request_id, errors));
            }
        }
    }
    if failed.is_empty() {
        Ok(out)
    } else {
        Err(validation_failed(failed))
    }
}

/// The answer to a write that changed nothing.
pub(crate) fn rejected(rejection: Rejection) -> Response {
    match rejection {
        Rejection::Invalid(items) => validation_failed(items),
        Rejection::NotFound(what) => not_found(what),
        Rejection::Refused(detail) => bad_request(detail),
    }
}

/// `_links.self` of an entity.
fn entity_links(base: &str, noun: &str, id: u32) -> Links {
    Links::to_self(format!("{base}/api/v4/{noun}/{id}"))
}

fn batch_answer(base: &str, noun: &str, out: Vec<AddedEntity>) -> Response {
    hal(&BatchResponse {
        links: Some(Links::to_self(format!("{base}/api/v4/{noun}"))),
        embedded: [(noun.to_owned(), out)].into_iter().collect(),
    })
}

/// How an update is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// `PATCH /api/v4/{noun}`: every item, with its `request_id` as given.
    Each,
    /// `PATCH /api/v4/{noun}/{id}`: the one entity alone, without a `request_id`.
    Alone,
    /// The same, echoing the `request_id` the body gave (tasks do).
    AloneEchoed,
}

/// `POST /api/v4/{noun}`: a batch body of `I` added by `add` (an `Account` method of the
/// mutation layer); each new entity's id, its item's `request_id` (its position when it gave
/// none) and its link.
pub(crate) fn add_batch<I: Item + DeserializeOwned>(
    state: &SimState,
    caller: Caller,
    headers: &HeaderMap,
    body: &[u8],
    noun: &str,
    add: impl FnOnce(&mut Account, &[I], u32) -> Result<Vec<u32>, Rejection>,
) -> Response {
    let items: Vec<I> = match batch(body, MAX_BATCH) {
        Ok(items) => items,
        Err(e) => return e,
    };
    let base = base_url(headers);
    let written = add(&mut state.inner.account.write(), &items, caller.user_id);
    match written {
        Ok(ids) => {
            let out = ids
                .into_iter()
                .zip(&items)
                .enumerate()
                .map(|(i, (id, item))| AddedEntity {
                    id: i64::from(id),
                    request_id: Some(request_id(item.request_id(), i)),
                    updated_at: None,
                    links: Some(entity_links(&base, noun, id)),
                })
                .collect();
            batch_answer(&base, noun, out)
        }
        Err(r) => rejected(r),
    }
}

/// `PATCH /api/v4/{noun}[/{id}]`: items updated by `update` (an `Account` method of the
/// mutation layer); each entity's id, `request_id`, new `updated_at` and link, as `answer`
/// says.
pub(crate) fn update_items<I: Item>(
    state: &SimState,
    caller: Caller,
    headers: &HeaderMap,
    items: &[I],
    noun: &str,
    answer: Answer,
    update: impl FnOnce(&mut Account, &[I], u32) -> Result<Vec<(u32, u32)>, Rejection>,
) -> Response {
    let base = base_url(headers);
    let written = match update(&mut state.inner.account.write(), items, caller.user_id) {
        Ok(written) => written,
        Err(r) => return rejected(r),
    };
    let mut out: Vec<AddedEntity> = written
        .into_iter()
        .zip(items)
        .map(|((id, at), item)| AddedEntity {
            id: i64::from(id),
            request_id: match answer {
                Answer::Alone => None,
                _ => item.request_id().cloned(),
            },
            updated_at: Some(i64::from(at)),
            links: Some(entity_links(&base, noun, id)),
        })
        .collect();
    if answer == Answer::Each {
        return batch_answer(&base, noun, out);
    }
    match out.pop() {
        Some(one) => hal(&one),
        None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// `PATCH /api/v4/{noun}`: a batch body of `I` updated by `update`, answered item by item.
pub(crate) fn update_batch<I: Item + DeserializeOwned>(
    state: &SimState,
    caller: Caller,
    headers: &HeaderMap,
    body: &[u8],
    noun: &str,
    update: impl FnOnce(&mut Account, &[I], u32) -> Result<Vec<(u32, u32)>, Rejection>,
) -> Response {
    match batch::<I>(body, MAX_BATCH) {
        Ok(items) => update_items(state, caller, headers, &items, noun, Answer::Each, update),
        Err(e) => e,
    }
}

/// `PATCH /api/v4/{noun}/{id}` of contacts and companies: the body, an object, is checked as
/// a batch of one with the path's id and answered alone. A path id that is no number makes
/// it a batch update, as Kommo does.
pub(crate) fn update_one_as_batch<I: Item + DeserializeOwned>(
    state: &SimState,
    caller: Caller,
    headers: &HeaderMap,
    id: &str,
    body: &[u8],
    noun: &str,
    update: impl FnOnce(&mut Account, &[I], u32) -> Result<Vec<(u32, u32)>, Rejection>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return update_batch(state, caller, headers, body, noun, update);
    };
    let mut value: Value = match json_body(body) {
        Ok(value) => value,
        Err(e) => return e,
    };
    if let Some(map) = value.as_object_mut() {
        map.insert("id".to_owned(), Value::from(id));
    }
    let one = serde_json::to_vec(&[value]).unwrap_or_default();
    match batch::<I>(&one, MAX_BATCH) {
        Ok(items) => update_items(state, caller, headers, &items, noun, Answer::Alone, update),
        Err(e) => e,
    }
}
