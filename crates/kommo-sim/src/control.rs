//! The control surface: in process (`Control`) and over HTTP under `/_sim/`, the same
//! operations: counters, reseed, faults (random shares and exact next-request failures),
//! token expiry, activity, OAuth codes, lead inspection.

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use kommo_model::{
    Company, Contact, Event, Lead, LossReason, Pipeline, Source, Tag, Task, TaskType, User,
};
use serde_json::{Value, json};

use crate::api::common::bad_request;
use crate::config::{Activity, FailNext, Faults, OAuthApp, SimConfig, SimError};
use crate::render::LeadWith;
use crate::state::{Counters, SimState};

/// In-process control of a running simulator: the same operations as `/_sim/*`.
#[derive(Debug, Clone)]
pub struct Control {
    state: SimState,
}

impl Control {
    pub fn new(state: SimState) -> Self {
        Self { state }
    }

    pub fn state(&self) -> &SimState {
        &self.state
    }

    /// Requests by endpoint, method and status; 429s, 403s, tokens issued, refreshes.
    pub fn counters(&self) -> Counters {
        self.state.counters()
    }

    pub fn reset_counters(&self) {
        self.state.reset_counters();
    }

    pub fn set_faults(&self, faults: Faults) {
        if let Some(secs) = faults.lockout_secs {
            self.lock_out(Duration::from_secs(secs));
        }
        *self.state.inner.faults.write() = std::sync::Arc::new(faults);
    }

    pub fn faults(&self) -> Faults {
        (**self.state.inner.faults.read()).clone()
    }

    /// Fails exactly the next `rule.count` requests matching the rule (after those already
    /// armed for them), independent of timing and of the random faults.
    pub fn fail_next(&self, rule: FailNext) -> Result<(), SimError> {
        rule.check()?;
        self.state.arm_failure(rule);
        Ok(())
    }

    /// The exact failures still armed, each with the count it has left.
    pub fn armed_failures(&self) -> Vec<FailNext> {
        self.state.armed_failures()
    }

    /// Disarms every exact failure not yet served.
    pub fn clear_failures(&self) {
        self.state.clear_failures();
    }

    /// Every access token issued through OAuth expires now (the ready long-lived token stays).
    pub fn expire_access_tokens(&self) {
        let now = self.state.inner.clock.now();
        self.state.inner.auth.lock().expire_oauth(now);
    }

    /// Every refresh token issued so far is revoked: using one gives 401 "Token has been revoked".
    pub fn revoke_refresh_tokens(&self) {
        self.state.inner.auth.lock().revoke_refresh();
    }

    /// Starts (or replaces) background activity.
    pub fn start_activity(&self, activity: Activity) {
        self.stop_activity();
        let handle = crate::activity::start(&self.state, activity);
        *self.state.inner.activity.lock() = Some(handle);
    }

    pub fn stop_activity(&self) {
        let handle = self.state.inner.activity.lock().take();
        if let Some(handle) = handle {
            handle.stop();
        }
    }

    /// Applies `count` activity steps at once, synchronously (deterministic for a given seed).
    pub fn run_activity_steps(&self, activity: &Activity, count: u32, seed: u64) {
        let mut rng = crate::rng::Rng::new(seed, crate::rng::stream::ACTIVITY, 1);
        let mut acc = self.state.inner.account.write();
        for _ in 0..count {
            crate::activity::step(&mut acc, activity, &mut rng);
        }
    }

    /// Regenerates the account from `config` (limits and token lifetime too). Tokens stay valid.
    pub fn reseed(&self, config: SimConfig) {
        let account = crate::generate::generate(&config);
        *self.state.inner.account.write() = account;
        *self.state.inner.config.write() = config;
        self.state.inner.limiter.lock().reset();
    }

    pub fn config(&self) -> SimConfig {
        self.state.inner.config.read().clone()
    }

    /// Changes the rate limits in place (0 = unlimited).
    pub fn set_rate_limits(&self, per_token: u32, per_account: u32) {
        let mut config = self.state.inner.config.write();
        config.rate_limit_per_token = per_token;
        config.rate_limit_per_account = per_account;
    }

    /// Blocks the account now: 403 on every request for `lasts`.
    pub fn lock_out(&self, lasts: Duration) {
        let now = self.state.inner.clock.now();
        self.state.inner.limiter.lock().locked_until = Some(now + lasts);
    }

    /// Lifts a lock-out and clears the rate-limit windows.
    pub fn unlock(&self) {
        self.state.inner.limiter.lock().reset();
    }

    pub fn oauth_app(&self) -> OAuthApp {
        self.state.inner.oauth_app.clone()
    }

    /// A long-lived token of the account's admin.
    pub fn access_token(&self) -> String {
        self.state.inner.ready_token.clone()
    }

    /// An authorization code, as Kommo's redirect would carry it: valid 20 minutes, single use.
    pub fn issue_auth_code(&self) -> String {
        let (seed, admin) = (
            self.state.inner.config.read().seed,
            self.state.inner.account.read().admin_id(),
        );
        let now = self.state.inner.clock.now();
        self.state.inner.auth.lock().issue_code(seed, admin, now)
    }

    /// Live (not deleted) leads.
    pub fn lead_count(&self) -> usize {
        self.state.inner.account.read().leads.index.live.len()
    }

    /// Deleted, restorable leads.
    pub fn deleted_lead_count(&self) -> usize {
        self.state.inner.account.read().leads.index.deleted.len()
    }

    pub fn contact_count(&self) -> usize {
        self.state.inner.account.read().contacts.index.live.len()
    }

    /// Live lead ids, ascending.
    pub fn lead_ids(&self) -> Vec<i64> {
        self.state
            .inner
            .account
            .read()
            .leads
            .index
            .live
            .iter()
            .map(|id| i64::from(*id))
            .collect()
    }

    /// Deleted, restorable lead ids (what `with=only_deleted` lists), ascending.
    pub fn deleted_lead_ids(&self) -> Vec<i64> {
        let acc = self.state.inner.account.read();
        let mut ids: Vec<i64> = acc
            .leads
            .index
            .deleted
            .iter()
            .map(|id| i64::from(*id))
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Deleted, restorable contact ids, ascending.
    pub fn deleted_contact_ids(&self) -> Vec<i64> {
        let acc = self.state.inner.account.read();
        let mut ids: Vec<i64> = acc
            .contacts
            .index
            .deleted
            .iter()
            .map(|id| i64::from(*id))
            .collect();
        ids.sort_unstable();
        ids
    }

    /// A lead as `GET /api/v4/leads/{id}?with=contacts,loss_reason,source_id` shows it, deleted
    /// ones included (with `is_deleted: true`).
    pub fn lead(&self, id: i64) -> Option<Lead> {
        let acc = self.state.inner.account.read();
        let rec = acc.leads.get(u32::try_from(id).ok()?)?;
        let with = LeadWith {
            contacts: true,
            loss_reason: true,
            source_id: true,
            price_by_robot: false,
            catalog_elements: false,
        };
        Some(acc.lead_model(rec, with, "http://localhost"))
    }

    pub fn contact(&self, id: i64) -> Option<Contact> {
        let acc = self.state.inner.account.read();
        let rec = acc.contacts.get(u32::try_from(id).ok()?)?;
        Some(acc.contact_model(rec, true, "http://localhost"))
    }

    /// Deletes a lead (restorable); false when there is no such live lead.
    pub fn delete_lead(&self, id: i64) -> bool {
        let mut acc = self.state.inner.account.write();
        let by = acc.admin_id();
        let at = now(&acc);
        u32::try_from(id).is_ok_and(|id| acc.delete_lead(id, by, at))
    }

    pub fn restore_lead(&self, id: i64) -> bool {
        let mut acc = self.state.inner.account.write();
        let by = acc.admin_id();
        let at = now(&acc);
        u32::try_from(id).is_ok_and(|id| acc.restore_lead(id, by, at))
    }

    pub fn delete_contact(&self, id: i64) -> bool {
        let mut acc = self.state.inner.account.write();
        let by = acc.admin_id();
        let at = now(&acc);
        u32::try_from(id).is_ok_and(|id| acc.delete_contact(id, by, at))
    }

    pub fn restore_contact(&self, id: i64) -> bool {
        let mut acc = self.state.inner.account.write();
        let by = acc.admin_id();
        let at = now(&acc);
        u32::try_from(id).is_ok_and(|id| acc.restore_contact(id, by, at))
    }

    /// Links a contact to a lead (both sides show it), changing neither side's `updated_at`:
    /// which side Kommo stamps for a link change is not documented, so a test says it with
    /// [`Control::touch_lead`] / [`Control::touch_contact`]. False when either is unknown.
    pub fn link_lead_contact(&self, lead: i64, contact: i64, main: bool) -> bool {
        let mut acc = self.state.inner.account.write();
        let (Ok(lead), Ok(contact)) = (u32::try_from(lead), u32::try_from(contact)) else {
            return false;
        };
        if acc.leads.get(lead).is_none() || acc.contacts.get(contact).is_none() {
            return false;
        }
        acc.link_lead_contact(lead, contact, main);
        true
    }

    /// Unlinks a contact from a lead (both sides stop showing it), changing neither side's
    /// `updated_at` (see [`Control::link_lead_contact`]). False when they were not linked.
    pub fn unlink_lead_contact(&self, lead: i64, contact: i64) -> bool {
        let mut acc = self.state.inner.account.write();
        let (Ok(lead), Ok(contact)) = (u32::try_from(lead), u32::try_from(contact)) else {
            return false;
        };
        acc.unlink_lead_contact(lead, contact)
    }

    /// Stamps a live lead's `updated_at` (and `updated_by`) now, as any edit of it does.
    pub fn touch_lead(&self, id: i64) -> bool {
        let mut acc = self.state.inner.account.write();
        let by = acc.admin_id();
        let at = now(&acc);
        let Ok(id) = u32::try_from(id) else {
            return false;
        };
        if acc
            .leads
            .get(id)
            .is_none_or(|l| l.flags & crate::store::DELETED != 0)
        {
            return false;
        }
        acc.touch_lead(id, by, at);
        true
    }

    /// Stamps a live contact's `updated_at` (and `updated_by`) now, as any edit of it does.
    pub fn touch_contact(&self, id: i64) -> bool {
        let mut acc = self.state.inner.account.write();
        let by = acc.admin_id();
        let at = now(&acc);
        let Ok(id) = u32::try_from(id) else {
            return false;
        };
        if acc
            .contacts
            .get(id)
            .is_none_or(|c| c.flags & crate::store::DELETED != 0)
        {
            return false;
        }
        acc.touch_contact(id, by, at);
        true
    }

    /// Moves a live lead to a status of its pipeline (or of `pipeline_id`).
    pub fn move_lead(&self, id: i64, pipeline_id: Option<i64>, status_id: i64) -> bool {
        let mut acc = self.state.inner.account.write();
        let by = acc.admin_id();
        let at = now(&acc);
        let (Ok(id), Ok(status)) = (u32::try_from(id), u32::try_from(status_id)) else {
            return false;
        };
        let Some(rec) = acc.leads.get(id).copied() else {
            return false;
        };
        let pipeline = pipeline_id
            .and_then(|p| u32::try_from(p).ok())
            .unwrap_or(rec.pipeline_id);
        let known = acc
            .pipeline(pipeline)
            .is_some_and(|p| p.statuses.iter().any(|s| s.id == status));
        known && acc.move_lead(id, pipeline, status, by, at)
    }

    /// Events in the log.
    pub fn event_count(&self) -> usize {
        self.state.inner.account.read().events.len()
    }

    /// The events of leads in the log, oldest first, as `GET /api/v4/events` shows them:
    /// the ground truth of every lead's path through the stages.
    pub fn lead_events(&self) -> Vec<Event> {
        let acc = self.state.inner.account.read();
        acc.events
            .iter()
            .filter(|e| e.entity_type == "lead")
            .map(|e| acc.event_model(e, "http://localhost"))
            .collect()
    }

    /// Freezes the simulator's clock (rate windows, lock-outs, token lifetimes): from now on
    /// it moves only by [`Control::advance_clock`].
    pub fn freeze_clock(&self) {
        self.state.inner.clock.freeze();
    }

    /// Moves the simulator's clock on (freezing it first if it runs).
    pub fn advance_clock(&self, by: Duration) {
        self.state.inner.clock.advance(by);
    }

    /// When each API request that passed the rate limits arrived, since the server started,
    /// in arrival order (cleared with the counters): the pace a client kept, as Kommo sees it.
    pub fn arrivals(&self) -> Vec<Duration> {
        let started = self.state.inner.started;
        let mut arrivals: Vec<Duration> = self
            .state
            .inner
            .limiter
            .lock()
            .arrivals
            .iter()
            .map(|at| at.saturating_duration_since(started))
            .collect();
        // Requests handled at once may be recorded a little out of order.
        arrivals.sort_unstable();
        arrivals
    }

    /// Whether background activity is running.
    pub fn activity_running(&self) -> bool {
        self.state.inner.activity.lock().is_some()
    }

    // ---- ground truth, for tests that check what a client made of the account -------------

    /// Live contact ids, ascending.
    pub fn contact_ids(&self) -> Vec<i64> {
        let acc = self.state.inner.account.read();
        let mut ids: Vec<i64> = acc
            .contacts
            .index
            .live
            .iter()
            .map(|id| i64::from(*id))
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Every pipeline with its statuses, as `GET /api/v4/leads/pipelines` shows them.
    pub fn pipelines(&self) -> Vec<Pipeline> {
        let acc = self.state.inner.account.read();
        acc.pipelines
            .iter()
            .map(|p| acc.pipeline_model(p, "http://localhost"))
            .collect()
    }

    /// Every user with its role and group, as `GET /api/v4/users?with=role,group` shows them.
    pub fn users(&self) -> Vec<User> {
        let acc = self.state.inner.account.read();
        acc.users
            .iter()
            .map(|u| acc.user_model(u, true, true, "http://localhost"))
            .collect()
    }

    pub fn loss_reasons(&self) -> Vec<LossReason> {
        self.state.inner.account.read().loss_reasons.clone()
    }

    pub fn sources(&self) -> Vec<Source> {
        self.state.inner.account.read().sources.clone()
    }

    /// The leads' tag dictionary (`GET /api/v4/leads/tags`), with each tag's color.
    pub fn lead_tags(&self) -> Vec<Tag> {
        self.state.inner.account.read().tags[crate::store::Kind::Leads as usize].clone()
    }

    /// The contacts' tag dictionary (`GET /api/v4/contacts/tags`).
    pub fn contact_tags(&self) -> Vec<Tag> {
        self.state.inner.account.read().tags[crate::store::Kind::Contacts as usize].clone()
    }

    /// Live company ids, ascending.
    pub fn company_ids(&self) -> Vec<i64> {
        let acc = self.state.inner.account.read();
        let mut ids: Vec<i64> = acc
            .companies
            .index
            .live
            .iter()
            .map(|id| i64::from(*id))
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Deleted, restorable company ids (what `with=only_deleted` lists), ascending.
    pub fn deleted_company_ids(&self) -> Vec<i64> {
        let acc = self.state.inner.account.read();
        let mut ids: Vec<i64> = acc
            .companies
            .index
            .deleted
            .iter()
            .map(|id| i64::from(*id))
            .collect();
        ids.sort_unstable();
        ids
    }

    /// A company as `GET /api/v4/companies/{id}?with=contacts,leads` shows it, deleted ones
    /// included (with `is_deleted: true`).
    pub fn company(&self, id: i64) -> Option<Company> {
        let acc = self.state.inner.account.read();
        let rec = acc.companies.get(u32::try_from(id).ok()?)?;
        Some(acc.company_model(rec, true, true, "http://localhost"))
    }

    /// The companies' tag dictionary (`GET /api/v4/companies/tags`).
    pub fn company_tags(&self) -> Vec<Tag> {
        self.state.inner.account.read().tags[crate::store::Kind::Companies as usize].clone()
    }

    /// Deletes a company (restorable); false when there is no such live company.
    pub fn delete_company(&self, id: i64) -> bool {
        let mut acc = self.state.inner.account.write();
        let by = acc.admin_id();
        let at = now(&acc);
        u32::try_from(id).is_ok_and(|id| acc.delete_company(id, by, at))
    }

    pub fn restore_company(&self, id: i64) -> bool {
        let mut acc = self.state.inner.account.write();
        let by = acc.admin_id();
        let at = now(&acc);
        u32::try_from(id).is_ok_and(|id| acc.restore_company(id, by, at))
    }

    /// Stamps a live company's `updated_at` (and `updated_by`) now, as any edit of it does.
    pub fn touch_company(&self, id: i64) -> bool {
        let mut acc = self.state.inner.account.write();
        let by = acc.admin_id();
        let at = now(&acc);
        let Ok(id) = u32::try_from(id) else {
            return false;
        };
        if acc
            .companies
            .get(id)
            .is_none_or(|c| c.flags & crate::store::DELETED != 0)
        {
            return false;
        }
        acc.touch_company(id, by, at);
        true
    }

    /// Task ids, ascending (Kommo keeps no deleted tasks).
    pub fn task_ids(&self) -> Vec<i64> {
        let acc = self.state.inner.account.read();
        acc.tasks.recs.iter().map(|t| i64::from(t.id)).collect()
    }

    /// A task as `GET /api/v4/tasks/{id}` shows it.
    pub fn task(&self, id: i64) -> Option<Task> {
        let acc = self.state.inner.account.read();
        let rec = acc.tasks.get(u32::try_from(id).ok()?)?;
        Some(acc.task_model(rec, "http://localhost"))
    }

    /// The account's task types (`GET /api/v4/account?with=task_types`).
    pub fn task_types(&self) -> Vec<TaskType> {
        let acc = self.state.inner.account.read();
        let query = kommo_model::query::ListQuery::new().with(["task_types"]);
        acc.account_model(acc.admin_id(), &query, "http://localhost")
            .embedded
            .and_then(|e| e.task_types)
            .unwrap_or_default()
    }

    /// Ids of deleted tasks (each logged by a `task_deleted` event), ascending.
    pub fn deleted_task_ids(&self) -> Vec<i64> {
        let acc = self.state.inner.account.read();
        let mut ids: Vec<i64> = acc
            .events
            .iter()
            .filter(|e| e.kind == crate::store::EventKind::TaskDeleted)
            .map(|e| i64::from(e.entity_id))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Deletes a task, logging `task_deleted`; false when there is no such task.
    pub fn delete_task(&self, id: i64) -> bool {
        let mut acc = self.state.inner.account.write();
        let by = acc.admin_id();
        let at = now(&acc);
        u32::try_from(id).is_ok_and(|id| acc.delete_task(id, by, at))
    }

    /// Stamps a task's `updated_at` (and `updated_by`) now, as any edit of it does.
    pub fn touch_task(&self, id: i64) -> bool {
        let mut acc = self.state.inner.account.write();
        let by = acc.admin_id();
        let at = now(&acc);
        u32::try_from(id).is_ok_and(|id| acc.touch_task(id, by, at))
    }

    fn summary(&self) -> Value {
        let acc = self.state.inner.account.read();
        json!({
            "account_id": acc.id,
            "subdomain": acc.subdomain,
            "leads": acc.leads.index.live.len(),
            "deleted_leads": acc.leads.index.deleted.len(),
            "contacts": acc.contacts.index.live.len(),
            "deleted_contacts": acc.contacts.index.deleted.len(),
            "companies": acc.companies.index.live.len(),
            "tasks": acc.tasks.recs.len(),
            "users": acc.users.len(),
            "pipelines": acc.pipelines.len(),
            "events": acc.events.len(),
        })
    }
}

/// Write time, the same as the API's writes take.
fn now(acc: &crate::store::Account) -> u32 {
    acc.write_now()
}

fn json_response(status: StatusCode, value: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => (
            status,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn parse_or_default<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, Response> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| bad_request(&format!("invalid JSON: {e}")))
}

pub(crate) fn routes() -> Router<SimState> {
    Router::new()
        .route("/_sim", get(summary))
        .route("/_sim/counters", get(counters))
        .route("/_sim/counters/reset", post(reset_counters))
        .route("/_sim/reset", post(reset))
        .route("/_sim/config", get(config))
        .route("/_sim/faults", get(get_faults).put(put_faults))
        .route(
            "/_sim/faults/next",
            get(armed_failures).post(fail_next).delete(clear_failures),
        )
        .route("/_sim/tokens/expire", post(expire_tokens))
        .route("/_sim/tokens/revoke", post(revoke_tokens))
        .route("/_sim/activity", post(activity).delete(stop_activity))
        .route("/_sim/oauth/code", post(oauth_code))
        .route("/_sim/lockout", post(lockout).delete(unlock))
        .route("/_sim/leads/{id}/delete", post(delete_lead))
        .route("/_sim/leads/{id}/restore", post(restore_lead))
}

fn control(state: &SimState) -> Control {
    Control::new(state.clone())
}

async fn summary(State(state): State<SimState>) -> Response {
    json_response(StatusCode::OK, &control(&state).summary())
}

async fn counters(State(state): State<SimState>) -> Response {
    json_response(StatusCode::OK, &state.counters())
}

async fn reset_counters(State(state): State<SimState>) -> Response {
    state.reset_counters();
    StatusCode::NO_CONTENT.into_response()
}

/// Body: a (partial) `SimConfig`; empty means "the current one again".
async fn reset(State(state): State<SimState>, body: Bytes) -> Response {
    let control = control(&state);
    let config = if body.iter().all(u8::is_ascii_whitespace) {
        control.config()
    } else {
        match serde_json::from_slice::<SimConfig>(&body) {
            Ok(c) => c,
            Err(e) => return bad_request(&format!("invalid config: {e}")),
        }
    };
    let result = tokio::task::spawn_blocking(move || {
        control.reseed(config);
        control.summary()
    })
    .await;
    match result {
        Ok(summary) => json_response(StatusCode::OK, &summary),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn config(State(state): State<SimState>) -> Response {
    let c = control(&state);
    json_response(
        StatusCode::OK,
        &json!({"config": c.config(), "oauth_app": c.oauth_app(), "access_token": c.access_token()}),
    )
}

async fn get_faults(State(state): State<SimState>) -> Response {
    json_response(StatusCode::OK, &control(&state).faults())
}

async fn put_faults(State(state): State<SimState>, body: Bytes) -> Response {
    match parse_or_default::<Faults>(&body) {
        Ok(faults) => {
            control(&state).set_faults(faults.clone());
            json_response(StatusCode::OK, &faults)
        }
        Err(e) => e,
    }
}

/// Body: a [`FailNext`] (`{"count": 2, "path_prefix": "/api/v4/leads", "status": 503}`; empty:
/// the next request answers 500). Answers the rules now armed.
async fn fail_next(State(state): State<SimState>, body: Bytes) -> Response {
    let rule = match parse_or_default::<FailNext>(&body) {
        Ok(rule) => rule,
        Err(e) => return e,
    };
    let c = control(&state);
    match c.fail_next(rule) {
        Ok(()) => json_response(StatusCode::OK, &c.armed_failures()),
        Err(e) => bad_request(&e.to_string()),
    }
}

async fn armed_failures(State(state): State<SimState>) -> Response {
    json_response(StatusCode::OK, &control(&state).armed_failures())
}

async fn clear_failures(State(state): State<SimState>) -> Response {
    control(&state).clear_failures();
    StatusCode::NO_CONTENT.into_response()
}

async fn expire_tokens(State(state): State<SimState>) -> Response {
    control(&state).expire_access_tokens();
    StatusCode::NO_CONTENT.into_response()
}

async fn revoke_tokens(State(state): State<SimState>) -> Response {
    control(&state).revoke_refresh_tokens();
    StatusCode::NO_CONTENT.into_response()
}

/// Body: an `Activity` (`{"per_second": 10}`, weights optional); `per_second: 0` or
/// `{"stop": true}` stops it.
async fn activity(State(state): State<SimState>, body: Bytes) -> Response {
    let value: Value = match parse_or_default(&body) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let c = control(&state);
    if value.get("stop").and_then(Value::as_bool) == Some(true) {
        c.stop_activity();
        return json_response(StatusCode::OK, &json!({"running": false}));
    }
    let activity: Activity = if value.is_null() {
        Activity::default()
    } else {
        match serde_json::from_value(value) {
            Ok(a) => a,
            Err(e) => return bad_request(&format!("invalid activity: {e}")),
        }
    };
    if activity.per_second <= 0.0 {
        c.stop_activity();
        return json_response(StatusCode::OK, &json!({"running": false}));
    }
    c.start_activity(activity.clone());
    json_response(
        StatusCode::OK,
        &json!({"running": true, "activity": activity}),
    )
}

async fn stop_activity(State(state): State<SimState>) -> Response {
    control(&state).stop_activity();
    json_response(StatusCode::OK, &json!({"running": false}))
}

async fn oauth_code(State(state): State<SimState>) -> Response {
    let c = control(&state);
    let app = c.oauth_app();
    let subdomain = c.config().subdomain;
    json_response(
        StatusCode::OK,
        &json!({
            "code": c.issue_auth_code(),
            "referer": format!("{subdomain}.kommo.com"),
            "client_id": app.client_id,
            "redirect_uri": app.redirect_uri,
            "expires_in": crate::state::CODE_TTL.as_secs(),
        }),
    )
}

/// Body: `{"secs": N}` (default 60).
async fn lockout(State(state): State<SimState>, body: Bytes) -> Response {
    let value: Value = match parse_or_default(&body) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let secs = value.get("secs").and_then(Value::as_u64).unwrap_or(60);
    control(&state).lock_out(Duration::from_secs(secs));
    StatusCode::NO_CONTENT.into_response()
}

async fn unlock(State(state): State<SimState>) -> Response {
    control(&state).unlock();
    StatusCode::NO_CONTENT.into_response()
}

async fn delete_lead(State(state): State<SimState>, Path(id): Path<i64>) -> Response {
    if control(&state).delete_lead(id) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
    .into_response()
}

async fn restore_lead(State(state): State<SimState>, Path(id): Path<i64>) -> Response {
    if control(&state).restore_lead(id) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
    .into_response()
}
