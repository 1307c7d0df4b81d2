//! A Kommo-compatible API v4 server for tests, demos, benchmarks and development.
//!
//! `kommo-sim` serves a generated, realistic Kommo account over HTTP with the same endpoints,
//! HAL envelopes, errors, limits and quirks as the real API, so a client written against
//! Kommo's documentation works against it unchanged given its base URL and a token.
//!
//! ```no_run
//! # async fn demo() -> Result<(), kommo_sim::SimError> {
//! use kommo_sim::{SimConfig, Simulator};
//! let sim = Simulator::start(SimConfig::default().with_leads(5_000)).await?;
//! let url = format!("{}/api/v4/leads?limit=250", sim.base_url());
//! let token = sim.access_token(); // Authorization: Bearer <token>
//! # let _ = (url, token);
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # The account
//!
//! Generated from `SimConfig::seed`: the same seed gives the same account, byte for byte
//! (the history ends at `SimConfig::anchor` and spans the two years before). Pipelines with
//! stages and the system statuses 142 / 143, users with groups and roles, leads, contacts,
//! companies and tasks with tags (with colours), loss reasons, sources, and custom fields of
//! the common types (text, numeric, select, multiselect, checkbox, date, url, and multitext
//! PHONE / EMAIL on contacts and companies), with Portuguese, Spanish and English names.
//! Records are compact; names and custom field values are derived from (seed, id) when
//! rendered, so a million-lead account takes seconds and a few hundred megabytes.
//!
//! # Shapes and speed
//!
//! Responses carry the keys Kommo's reads send, key for key with the documented examples,
//! including those the shared `kommo_model` types leave out so that writes never send them:
//! `field_code: null`, `source_id: null` and empty `_embedded.contacts` / `loss_reason` /
//! `catalog_elements` when the request's `with` asked for them, `_links.self` on embedded
//! contacts, companies and loss reasons; the statuses list has no `_links`.
//! Lead pages, the hot path, are written straight into a reused buffer from per-account
//! fragments and the compact draws behind each generated value (byte for byte what the
//! model serialises to): on a 2-core machine a 250-lead page costs the server about 0.2 ms of
//! CPU (`kommo-data bench sim`).
//!
//! # Auth and limits
//!
//! Every `/api/v4` request needs `Authorization: Bearer <token>` (401 otherwise).
//! [`RunningSimulator::access_token`] is a ready long-lived token of the admin. OAuth:
//! [`RunningSimulator::issue_auth_code`] (or `POST /_sim/oauth/code`) gives what Kommo's
//! redirect carries; `POST /oauth2/access_token` exchanges it (`authorization_code`) and
//! refreshes (`refresh_token`). Refresh tokens are single-use and rotate: reusing one gives
//! 401 with `hint: "Token has been revoked"`. Access tokens expire after
//! `SimConfig::access_token_ttl`. Rate limits: a sliding one-second window per token and per
//! account, 429 beyond (an nginx HTML page, as Kommo sends); with `SimConfig::lockout`,
//! repeated 429s block the account: 403 to every request for a while.
//!
//! # Control surface (`/_sim/`, JSON, no auth)
//!
//! | method and path | what it does |
//! |---|---|
//! | `GET /_sim` | sizes of the account (leads, deleted leads, contacts, events, ...) |
//! | `GET /_sim/counters` | [`Counters`]: requests by method, endpoint template and status; 429s, 403s, 401s, 5xx, tokens issued, refreshes |
//! | `POST /_sim/counters/reset` | zeroes the counters |
//! | `POST /_sim/reset` | regenerates the account; body: a (partial) [`SimConfig`] as JSON, or empty for the current one |
//! | `GET /_sim/config` | the config, the OAuth app and the ready token |
//! | `GET` / `PUT /_sim/faults` | read / set [`Faults`]: share of 5xx, added latency, 429 storms, lock-out |
//! | `POST /_sim/faults/next` | fails exactly the next matching request(s): body [`FailNext`], e.g. `{"count": 2, "path_prefix": "/api/v4/leads", "method": "GET", "status": 503}` or `{"malformed_json": true}`; answers the rules armed |
//! | `GET` / `DELETE /_sim/faults/next` | the exact failures still armed, with their counts left / disarms them |
//! | `POST /_sim/tokens/expire` | every OAuth access token expires now |
//! | `POST /_sim/tokens/revoke` | every refresh token is revoked |
//! | `POST /_sim/activity` | starts background changes: body [`Activity`], e.g. `{"per_second": 20}`; `{"stop": true}` or `per_second: 0` stops |
//! | `DELETE /_sim/activity` | stops background changes |
//! | `POST /_sim/oauth/code` | issues an authorization code: `{"code", "referer", "client_id", "redirect_uri", "expires_in"}` |
//! | `POST` / `DELETE /_sim/lockout` | blocks the account now (`{"secs": N}`) / lifts the block |
//! | `POST /_sim/leads/{id}/delete`, `/restore` | deletes (restorably) or restores a lead |
//!
//! [`Control`] offers the same operations in process.
//!
//! # Faults
//!
//! Two kinds. [`Faults`] are shares and delays for every request (`error_rate`, `rate_429`,
//! latency), drawn from the seed and the request's sequence number: good for storms and soak
//! runs. [`FailNext`] is exact: "the next N requests (to this path prefix, with this method)
//! answer this status, or a cut-off JSON body", served before any other check (lock-out,
//! auth, limits, random faults) and counted like any other answer, so a test can fail one
//! particular request and assert on what the client did next:
//!
//! ```no_run
//! # async fn demo(sim: kommo_sim::RunningSimulator) -> Result<(), kommo_sim::SimError> {
//! use kommo_sim::FailNext;
//! sim.control().fail_next(FailNext::status(504).path("/api/v4/leads").method("POST"))?;
//! sim.control().fail_next(FailNext::malformed_json().path("/api/v4/contacts"))?;
//! # Ok(()) }
//! ```

#![allow(
    clippy::result_large_err,
    reason = "request parsers answer early with the ready error Response"
)]

mod activity;
mod api;
mod buffers;
mod config;
mod control;
mod fast;
mod generate;
mod http;
mod index;
mod mutate;
mod names;
mod render;
mod rng;
mod select;
mod shape;
mod state;
mod store;

use std::net::SocketAddr;
use std::time::Duration;

use axum::serve::ListenerExt as _;

pub use config::{
    AccountSize, Activity, DEFAULT_ANCHOR, FailNext, Faults, Lockout, OAuthApp, SimConfig, SimError,
};
pub use control::Control;
pub use http::app;
pub use state::{Counters, EndpointCount, SimState};

/// Starts simulators.
#[derive(Debug)]
pub struct Simulator;

impl Simulator {
    /// Generates the account and serves it on `127.0.0.1` on a free port.
    pub async fn start(config: SimConfig) -> Result<RunningSimulator, SimError> {
        Self::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Generates the account and serves it on `addr`.
    pub async fn start_on(
        config: SimConfig,
        addr: SocketAddr,
    ) -> Result<RunningSimulator, SimError> {
        if !(1..=50).contains(&config.size.pipelines) {
            return Err(SimError::Config(format!(
                "pipelines must be between 1 and 50, got {}",
                config.size.pipelines
            )));
        }
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| SimError::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| SimError::Bind { addr, source })?;
        let state = tokio::task::spawn_blocking(move || SimState::new(config))
            .await
            .map_err(|e| SimError::Config(format!("generating the account failed: {e}")))?;
        *state.inner.api_domain.write() = local.to_string();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let router = app(state.clone());
        // Responses go out as headers plus one large body: never hold a last partial
        // segment back for an ACK (Nagle).
        let listener = listener.tap_io(|stream| {
            if let Err(error) = stream.set_nodelay(true) {
                tracing::debug!(%error, "could not set TCP_NODELAY");
            }
        });
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, router).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            if let Err(error) = served.await {
                tracing::warn!(%error, "simulator server stopped with an error");
            }
        });
        tracing::debug!(addr = %local, "kommo simulator listening");
        Ok(RunningSimulator {
            addr: local,
            control: Control::new(state),
            shutdown: Some(tx),
            task: Some(task),
        })
    }
}

/// A simulator serving on a socket. Dropping it stops the server too.
#[derive(Debug)]
pub struct RunningSimulator {
    addr: SocketAddr,
    control: Control,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl RunningSimulator {
    /// `http://127.0.0.1:PORT`: no trailing slash, no `/api/v4`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A ready long-lived token of an admin user.
    pub fn access_token(&self) -> String {
        self.control.access_token()
    }

    pub fn oauth_app(&self) -> OAuthApp {
        self.control.oauth_app()
    }

    /// What Kommo's redirect would carry: valid 20 minutes, single use.
    pub fn issue_auth_code(&self) -> String {
        self.control.issue_auth_code()
    }

    pub fn control(&self) -> &Control {
        &self.control
    }

    /// Stops background activity and the server, letting in-flight requests finish.
    pub async fn shutdown(mut self) {
        self.control.stop_activity();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.control.state().inner.activity.lock().take() {
            handle.stop();
        }
    }
}
