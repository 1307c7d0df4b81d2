//! The simulator's shared state: the account behind a read-write lock, tokens, rate-limit
//! windows, counters and faults, each behind its own small lock.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};

use crate::config::{FailNext, Faults, OAuthApp, SimConfig};
use crate::rng::{Rng, stream, token_string};
use crate::store::Account;

/// Unix seconds now.
pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The simulator's monotonic clock, by which rate windows, lock-outs and token lifetimes
/// pass: the machine's, unless a test froze it, after which it moves only when told, so a
/// test can say "within one second" or "a second later" exactly, however busy the machine.
#[derive(Debug, Default)]
pub(crate) struct Clock {
    frozen: Mutex<Option<Instant>>,
}

impl Clock {
    pub(crate) fn now(&self) -> Instant {
        self.frozen.lock().unwrap_or_else(Instant::now)
    }

    pub(crate) fn freeze(&self) {
        self.frozen.lock().get_or_insert_with(Instant::now);
    }

    /// Moves a frozen clock on by `by` (freezing it first if it runs).
    pub(crate) fn advance(&self, by: Duration) {
        let mut frozen = self.frozen.lock();
        *frozen = Some(frozen.unwrap_or_else(Instant::now) + by);
    }
}

/// Everything a simulator serves from. Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct SimState {
    pub(crate) inner: Arc<Shared>,
}

impl std::fmt::Debug for SimState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimState")
            .field("subdomain", &self.inner.config.read().subdomain)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Shared {
    pub(crate) account: RwLock<Account>,
    pub(crate) config: RwLock<SimConfig>,
    pub(crate) auth: Mutex<Auth>,
    pub(crate) limiter: Mutex<Limiter>,
    pub(crate) counters: Mutex<CounterState>,
    pub(crate) faults: RwLock<Arc<Faults>>,
    /// Exact failures still to serve, in the order they were armed.
    pub(crate) fail_next: Mutex<Vec<FailNext>>,
    /// Whether `fail_next` holds anything: spares every request the lock while none is armed.
    pub(crate) fail_next_armed: AtomicBool,
    pub(crate) activity: Mutex<Option<crate::activity::ActivityHandle>>,
    pub(crate) request_seq: AtomicU64,
    pub(crate) oauth_app: OAuthApp,
    pub(crate) ready_token: String,
    /// `host:port` the server listens on, for the tokens' `api_domain`.
    pub(crate) api_domain: RwLock<String>,
    pub(crate) buffers: Arc<crate::buffers::Buffers>,
    pub(crate) clock: Clock,
    /// When the server started: arrival times are told from here.
    pub(crate) started: Instant,
}

/// How many arrival times are kept: enough for any test, bounded for long benchmarks.
pub(crate) const MAX_ARRIVALS: usize = 100_000;

impl SimState {
    /// Generates the account and registers an admin's long-lived token and the OAuth app.
    pub fn new(config: SimConfig) -> Self {
        let account = crate::generate::generate(&config);
        let admin = account.admin_id();
        let mut rng = Rng::new(config.seed, stream::TOKEN, 0);
        let oauth_app = OAuthApp {
            client_id: format!(
                "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
                rng.next_u64() as u32,
                rng.next_u64() as u16,
                rng.below(0x1000),
                rng.below(0x1000),
                rng.next_u64() & 0xFFFF_FFFF_FFFF
            ),
            client_secret: token_string(&mut rng, 64),
            redirect_uri: "http://localhost/oauth/callback".to_owned(),
        };
        let mut auth = Auth::default();
        let started = Instant::now();
        let ready_token = auth.issue_access(
            &config,
            &oauth_app,
            admin,
            TokenKind::LongLived,
            "127.0.0.1",
            started,
        );
        auth.tokens_issued = 0;
        let inner = Shared {
            account: RwLock::new(account),
            config: RwLock::new(config),
            auth: Mutex::new(auth),
            limiter: Mutex::new(Limiter::default()),
            counters: Mutex::new(CounterState::default()),
            faults: RwLock::new(Arc::new(Faults::default())),
            fail_next: Mutex::new(Vec::new()),
            fail_next_armed: AtomicBool::new(false),
            activity: Mutex::new(None),
            request_seq: AtomicU64::new(0),
            oauth_app,
            ready_token,
            api_domain: RwLock::new("127.0.0.1".to_owned()),
            buffers: Arc::default(),
            clock: Clock::default(),
            started,
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    pub(crate) fn next_seq(&self) -> u64 {
        self.inner.request_seq.fetch_add(1, Ordering::Relaxed)
    }

    /// Arms an exact failure after the ones already armed.
    pub(crate) fn arm_failure(&self, rule: FailNext) {
        let mut rules = self.inner.fail_next.lock();
        rules.push(rule);
        self.inner.fail_next_armed.store(true, Ordering::Release);
    }

    /// The armed failures, with what is left of each.
    pub(crate) fn armed_failures(&self) -> Vec<FailNext> {
        self.inner.fail_next.lock().clone()
    }

    pub(crate) fn clear_failures(&self) {
        let mut rules = self.inner.fail_next.lock();
        rules.clear();
        self.inner.fail_next_armed.store(false, Ordering::Release);
    }

    /// Consumes one failure of the first armed rule matching this request, if any.
    pub(crate) fn take_failure(&self, method: &str, path: &str) -> Option<FailNext> {
        if !self.inner.fail_next_armed.load(Ordering::Acquire) {
            return None;
        }
        let mut rules = self.inner.fail_next.lock();
        let at = rules.iter().position(|r| r.matches(method, path))?;
        let taken = rules[at].clone();
        rules[at].count = rules[at].count.saturating_sub(1);
        if rules[at].count == 0 {
            rules.remove(at);
        }
        self.inner
            .fail_next_armed
            .store(!rules.is_empty(), Ordering::Release);
        Some(taken)
    }
}

// ---- auth ---------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    LongLived,
    OAuth,
}

#[derive(Debug, Clone)]
pub(crate) struct AccessToken {
    pub(crate) user_id: u32,
    pub(crate) expires_at: Instant,
    pub(crate) kind: TokenKind,
}

#[derive(Debug, Clone)]
pub(crate) struct RefreshToken {
    pub(crate) user_id: u32,
    pub(crate) used: bool,
    pub(crate) expires_at: Instant,
}

#[derive(Debug, Clone)]
pub(crate) struct AuthCode {
    pub(crate) user_id: u32,
    pub(crate) expires_at: Instant,
    pub(crate) used: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Auth {
    pub(crate) access: HashMap<String, AccessToken>,
    pub(crate) refresh: HashMap<String, RefreshToken>,
    pub(crate) codes: HashMap<String, AuthCode>,
    pub(crate) tokens_issued: u64,
    pub(crate) refreshes: u64,
    counter: u64,
}

/// Refresh tokens live three months, authorization codes twenty minutes.
pub(crate) const REFRESH_TTL: Duration = Duration::from_secs(90 * 86_400);
pub(crate) const CODE_TTL: Duration = Duration::from_secs(20 * 60);
/// Long-lived tokens: five years, the longest Kommo offers.
const LONG_LIVED_TTL: Duration = Duration::from_secs(5 * 365 * 86_400);

fn b64url(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(data.len() * 4 / 3 + 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

impl Auth {
    fn entropy(&mut self, seed: u64) -> Rng {
        self.counter += 1;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Rng::new(seed ^ nanos, stream::TOKEN, self.counter)
    }

    /// A JWT-shaped access token (clients read `exp` and `api_domain` from it).
    pub(crate) fn issue_access(
        &mut self,
        config: &SimConfig,
        app: &OAuthApp,
        user_id: u32,
        kind: TokenKind,
        api_domain: &str,
        issued: Instant,
    ) -> String {
        let ttl = match kind {
            TokenKind::LongLived => LONG_LIVED_TTL,
            TokenKind::OAuth => config.access_token_ttl,
        };
        let mut rng = self.entropy(config.seed);
        let now = unix_now();
        let header = b64url(br#"{"typ":"JWT","alg":"RS256"}"#);
        let payload = serde_json::json!({
            "aud": app.client_id,
            "jti": token_string(&mut rng, 32),
            "iat": now,
            "nbf": now,
            "exp": now + ttl.as_secs() as i64,
            "sub": user_id.to_string(),
            "grant_type": "",
            "account_id": 0,
            "base_domain": "kommo.com",
            "version": 2,
            "scopes": ["crm", "notifications"],
            "api_domain": api_domain,
            "hash_uuid": token_string(&mut rng, 16),
        });
        let body = b64url(payload.to_string().as_bytes());
        let signature = token_string(&mut rng, 86);
        let token = format!("{header}.{body}.{signature}");
        self.access.insert(
            token.clone(),
            AccessToken {
                user_id,
                expires_at: issued + ttl,
                kind,
            },
        );
        self.tokens_issued += 1;
        token
    }

    pub(crate) fn issue_refresh(&mut self, seed: u64, user_id: u32, now: Instant) -> String {
        let mut rng = self.entropy(seed);
        let token = format!("def50200{}", token_string(&mut rng, 120));
        self.refresh.insert(
            token.clone(),
            RefreshToken {
                user_id,
                used: false,
                expires_at: now + REFRESH_TTL,
            },
        );
        token
    }

    pub(crate) fn issue_code(&mut self, seed: u64, user_id: u32, now: Instant) -> String {
        let mut rng = self.entropy(seed);
        let code = format!("def50200{}", token_string(&mut rng, 80));
        self.codes.insert(
            code.clone(),
            AuthCode {
                user_id,
                expires_at: now + CODE_TTL,
                used: false,
            },
        );
        code
    }

    /// The user behind a valid access token.
    pub(crate) fn check(&self, token: &str, now: Instant) -> Option<u32> {
        self.access
            .get(token)
            .filter(|t| t.expires_at > now)
            .map(|t| t.user_id)
    }

    /// Expires every OAuth access token now (long-lived tokens are untouched).
    pub(crate) fn expire_oauth(&mut self, now: Instant) {
        for token in self
            .access
            .values_mut()
            .filter(|t| t.kind == TokenKind::OAuth)
        {
            token.expires_at = now;
        }
    }

    pub(crate) fn revoke_refresh(&mut self) {
        for token in self.refresh.values_mut() {
            token.used = true;
        }
    }
}

// ---- rate limits ----------------------------------------------------------------------------

#[derive(Debug, Default)]
pub(crate) struct Limiter {
    per_token: HashMap<String, VecDeque<Instant>>,
    account: VecDeque<Instant>,
    violations: VecDeque<Instant>,
    pub(crate) locked_until: Option<Instant>,
    /// When each admitted request arrived (the pace a client kept, as Kommo sees it), kept
    /// under the lock every request takes anyway; the first [`MAX_ARRIVALS`] only.
    pub(crate) arrivals: Vec<Instant>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Pass,
    TooMany,
    Locked,
}

const WINDOW: Duration = Duration::from_secs(1);

fn trim(window: &mut VecDeque<Instant>, now: Instant) {
    while window
        .front()
        .is_some_and(|t| now.duration_since(*t) >= WINDOW)
    {
        window.pop_front();
    }
}

impl Limiter {
    pub(crate) fn locked(&self, now: Instant) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }

    /// Admits a request of `token` or says why not. Only admitted requests fill the windows.
    pub(crate) fn admit(&mut self, token: &str, config: &SimConfig, now: Instant) -> Verdict {
        if self.locked(now) {
            return Verdict::Locked;
        }
        let per_token = config.rate_limit_per_token as usize;
        let per_account = config.rate_limit_per_account as usize;
        if per_token == 0 && per_account == 0 {
            self.arrived(now);
            return Verdict::Pass;
        }
        trim(&mut self.account, now);
        let over_account = per_account > 0 && self.account.len() >= per_account;
        let window = self.per_token.entry(token.to_owned()).or_default();
        trim(window, now);
        let over_token = per_token > 0 && window.len() >= per_token;
        if over_account || over_token {
            self.violation(config, now);
            return Verdict::TooMany;
        }
        window.push_back(now);
        self.account.push_back(now);
        self.arrived(now);
        Verdict::Pass
    }

    fn arrived(&mut self, now: Instant) {
        if self.arrivals.len() < MAX_ARRIVALS {
            self.arrivals.push(now);
        }
    }

    /// Counts a 429 towards the lock-out.
    pub(crate) fn violation(&mut self, config: &SimConfig, now: Instant) {
        let Some(lockout) = config.lockout else {
            return;
        };
        self.violations.push_back(now);
        while self
            .violations
            .front()
            .is_some_and(|t| now.duration_since(*t) > lockout.within)
        {
            self.violations.pop_front();
        }
        if self.violations.len() >= lockout.violations.max(1) as usize {
            self.locked_until = Some(now + lockout.lasts);
            self.violations.clear();
        }
    }

    pub(crate) fn reset(&mut self) {
        *self = Self::default();
    }
}

// ---- counters -------------------------------------------------------------------------------

#[derive(Debug, Default)]
pub(crate) struct CounterState {
    pub(crate) by_endpoint: HashMap<(String, String, u16), u64>,
    pub(crate) delayed: u64,
}

/// What the simulator has served since the last reset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Requests to `/api/v4` and `/oauth2`, whatever their outcome.
    pub total: u64,
    /// One row per (method, endpoint template, status), sorted.
    pub requests: Vec<EndpointCount>,
    /// 429 answers.
    pub rate_limited: u64,
    /// 403 answers (lock-out).
    pub forbidden: u64,
    /// 401 answers.
    pub unauthorized: u64,
    /// 5xx answers.
    pub server_errors: u64,
    /// Access tokens issued through OAuth (both grants).
    pub tokens_issued: u64,
    /// Successful refresh-token grants.
    pub refreshes: u64,
    /// Requests held back by injected latency (`Faults::latency_ms`).
    pub delayed: u64,
}

/// Requests of one endpoint answered with one status.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EndpointCount {
    pub method: String,
    /// The route template, e.g. `/api/v4/leads/{id}`.
    pub endpoint: String,
    pub status: u16,
    pub count: u64,
}

impl Counters {
    /// Requests to `method endpoint` with any status.
    pub fn requests_to(&self, method: &str, endpoint: &str) -> u64 {
        self.requests
            .iter()
            .filter(|r| r.method == method && r.endpoint == endpoint)
            .map(|r| r.count)
            .sum()
    }

    /// Requests to `method endpoint` answered with `status`.
    pub fn requests_with_status(&self, method: &str, endpoint: &str, status: u16) -> u64 {
        self.requests
            .iter()
            .filter(|r| r.method == method && r.endpoint == endpoint && r.status == status)
            .map(|r| r.count)
            .sum()
    }

    /// Requests answered with `status`, whatever the endpoint.
    pub fn with_status(&self, status: u16) -> u64 {
        self.requests
            .iter()
            .filter(|r| r.status == status)
            .map(|r| r.count)
            .sum()
    }
}

impl SimState {
    pub(crate) fn count(&self, method: &str, endpoint: &str, status: u16) {
        let mut counters = self.inner.counters.lock();
        // Look up without allocating on the hot path.
        if let Some(n) = counters
            .by_endpoint
            .iter_mut()
            .find(|((m, e, s), _)| *s == status && m == method && e == endpoint)
            .map(|(_, n)| n)
        {
            *n += 1;
            return;
        }
        counters
            .by_endpoint
            .insert((method.to_owned(), endpoint.to_owned(), status), 1);
    }

    pub(crate) fn counters(&self) -> Counters {
        let counters = self.inner.counters.lock();
        let delayed = counters.delayed;
        let mut requests: Vec<EndpointCount> = counters
            .by_endpoint
            .iter()
            .map(|((method, endpoint, status), count)| EndpointCount {
                method: method.clone(),
                endpoint: endpoint.clone(),
                status: *status,
                count: *count,
            })
            .collect();
        drop(counters);
        requests.sort();
        let sum = |pred: &dyn Fn(u16) -> bool| {
            requests
                .iter()
                .filter(|r| pred(r.status))
                .map(|r| r.count)
                .sum()
        };
        let auth = self.inner.auth.lock();
        Counters {
            total: sum(&|_| true),
            rate_limited: sum(&|s| s == 429),
            forbidden: sum(&|s| s == 403),
            unauthorized: sum(&|s| s == 401),
            server_errors: sum(&|s| s >= 500),
            tokens_issued: auth.tokens_issued,
            refreshes: auth.refreshes,
            delayed,
            requests,
        }
    }

    pub(crate) fn reset_counters(&self) {
        let mut counters = self.inner.counters.lock();
        counters.by_endpoint.clear();
        counters.delayed = 0;
        drop(counters);
        self.inner.limiter.lock().arrivals.clear();
        let mut auth = self.inner.auth.lock();
        auth.tokens_issued = 0;
        auth.refreshes = 0;
    }
}
