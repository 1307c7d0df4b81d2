//! What a simulator run is made of: account size, limits, lock-out, token lifetime, faults and
//! background activity. Everything here is plain data, serialisable for the `/_sim/` surface.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The generated history ends here unless configured otherwise (2026-01-01T00:00:00Z), so the
/// same seed gives the same account on any day.
pub const DEFAULT_ANCHOR: i64 = 1_767_225_600;

/// How a simulator run is set up. `SimConfig::default()` is a realistic ~1,000-lead account
/// with Kommo's real limits (7 req/s per token, 50 req/s per account) and 24 h access tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimConfig {
    /// Same seed, same account, byte for byte.
    pub seed: u64,
    pub size: AccountSize,
    /// Requests per sliding second per token; 0 = unlimited.
    pub rate_limit_per_token: u32,
    /// Requests per sliding second for the whole account; 0 = unlimited.
    pub rate_limit_per_account: u32,
    /// Repeated 429s turn into a 403 for every request of the account for a while.
    pub lockout: Option<Lockout>,
    /// Lifetime of access tokens issued through OAuth (`expires_in`).
    #[serde(with = "duration_secs")]
    pub access_token_ttl: Duration,
    /// The account's subdomain (`{subdomain}.kommo.com` in the real service).
    pub subdomain: String,
    /// Unix seconds at which the generated history ends; it spans the two years before.
    pub anchor: i64,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            size: AccountSize::default(),
            rate_limit_per_token: 7,
            rate_limit_per_account: 50,
            lockout: None,
            access_token_ttl: Duration::from_secs(86_400),
            subdomain: "simulated".to_owned(),
            anchor: DEFAULT_ANCHOR,
        }
    }
}

impl SimConfig {
    /// A config with no rate limits at all, for tests and benchmarks that are not about them.
    pub fn unlimited() -> Self {
        Self {
            rate_limit_per_token: 0,
            rate_limit_per_account: 0,
            ..Self::default()
        }
    }

    pub fn with_leads(mut self, leads: u32) -> Self {
        self.size = AccountSize::for_leads(leads);
        self
    }

    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

/// How many of each entity the generator makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountSize {
    pub leads: u32,
    pub contacts: u32,
    pub companies: u32,
    pub tasks: u32,
    pub users: u32,
    pub pipelines: u32,
}

impl AccountSize {
    /// Realistic proportions for an account of `leads` leads: most leads have a contact, a
    /// fifth of contacts work for a known company, about one open or done task per two leads,
    /// a sales team that grows slowly with the account, and a few pipelines.
    pub fn for_leads(leads: u32) -> Self {
        let pipelines = match leads {
            0..=99 => 1,
            100..=9_999 => 3,
            10_000..=499_999 => 4,
            _ => 5,
        };
        Self {
            leads,
            contacts: leads / 5 * 4 + leads % 5,
            companies: leads / 5,
            tasks: leads / 2,
            users: (4 + leads / 2_000).min(60),
            pipelines,
        }
    }
}

impl Default for AccountSize {
    fn default() -> Self {
        Self::for_leads(1_000)
    }
}

/// Lock-out: `violations` 429s within `within` block the account for `lasts` (403 on every
/// request), as Kommo does to integrations that keep exceeding the limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lockout {
    pub violations: u32,
    #[serde(with = "duration_secs")]
    pub within: Duration,
    #[serde(with = "duration_secs")]
    pub lasts: Duration,
}

impl Default for Lockout {
    fn default() -> Self {
        Self {
            violations: 10,
            within: Duration::from_secs(60),
            lasts: Duration::from_secs(300),
        }
    }
}

/// The OAuth integration registered in the simulated account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthApp {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
}

/// Faults injected into `/api/v4` and `/oauth2` requests; all off by default. Switchable at
/// run time (`Control::set_faults`, `PUT /_sim/faults`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Share (0..=1) of requests answered with a server error.
    pub error_rate: f64,
    /// Statuses the failures are drawn from; empty means 500, 502, 503 and 504.
    pub error_statuses: Vec<u16>,
    /// Latency added to every request, in milliseconds.
    pub latency_ms: u64,
    /// Extra random latency, 0..=jitter milliseconds.
    pub latency_jitter_ms: u64,
    /// A 429 storm: share (0..=1) of requests answered 429 whatever the limits.
    pub rate_429: f64,
    /// Lock the account now for this many seconds: 403 on every request.
    pub lockout_secs: Option<u64>,
}

/// An exact fault: the next `count` matching requests fail, whatever the shares in [`Faults`]
/// and however fast they come, so a test can say "this one request fails" and count on it.
/// Armed with `Control::fail_next` or `POST /_sim/faults/next`; rules are matched in the order
/// they were armed, each request consumes at most one failure, a spent rule disappears.
///
/// ```
/// # use kommo_sim::FailNext;
/// // The next two reads of the leads list answer 503; nothing else is touched.
/// let rule = FailNext::status(503).times(2).path("/api/v4/leads").method("GET");
/// # let _ = rule;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FailNext {
    /// How many matching requests fail (at least 1).
    pub count: u32,
    /// Only requests whose path starts with this, e.g. `/api/v4/leads` (which also matches
    /// `/api/v4/leads/12`) or `/oauth2/access_token`; none: any `/api/v4` or `/oauth2` request.
    pub path_prefix: Option<String>,
    /// Only requests with this method (`GET`, `POST`, `PATCH`, ...); none: any method.
    pub method: Option<String>,
    /// The status to answer, as Kommo sends it: 500 a problem document, 502 / 503 / 504
    /// nginx's HTML page, 429 Kommo's HTML page (counted towards a configured lock-out),
    /// 401 the refused-token problem, 403 a rights problem (not a lock-out: that is
    /// `/_sim/lockout`), any other 4xx / 5xx a problem document. Default 500, or 200 with
    /// `malformed_json`.
    pub status: Option<u16>,
    /// Answer with a HAL body cut off mid-value (`application/hal+json`, not parseable).
    pub malformed_json: bool,
}

impl Default for FailNext {
    fn default() -> Self {
        Self {
            count: 1,
            path_prefix: None,
            method: None,
            status: None,
            malformed_json: false,
        }
    }
}

impl FailNext {
    /// The next request answers `status`.
    pub fn status(status: u16) -> Self {
        Self {
            status: Some(status),
            ..Self::default()
        }
    }

    /// The next request answers 200 with a body that is not valid JSON.
    pub fn malformed_json() -> Self {
        Self {
            malformed_json: true,
            ..Self::default()
        }
    }

    /// The next `count` matching requests, not just one.
    pub fn times(mut self, count: u32) -> Self {
        self.count = count;
        self
    }

    /// Only requests whose path starts with `prefix`.
    pub fn path(mut self, prefix: impl Into<String>) -> Self {
        self.path_prefix = Some(prefix.into());
        self
    }

    /// Only requests with `method`.
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }

    /// The status the failures answer with.
    pub fn answer_status(&self) -> u16 {
        self.status
            .unwrap_or(if self.malformed_json { 200 } else { 500 })
    }

    /// Why the rule cannot be armed, if it cannot.
    pub(crate) fn check(&self) -> Result<(), SimError> {
        if self.count == 0 {
            return Err(SimError::Config(
                "fail_next: count must be at least 1".to_owned(),
            ));
        }
        let status = self.answer_status();
        let allowed = if self.malformed_json {
            200..=599
        } else {
            400..=599
        };
        if !allowed.contains(&status) {
            return Err(SimError::Config(format!(
                "fail_next: status must be between {} and {}, got {status}",
                allowed.start(),
                allowed.end()
            )));
        }
        if self
            .path_prefix
            .as_deref()
            .is_some_and(|p| !p.starts_with('/'))
        {
            return Err(SimError::Config(
                "fail_next: path_prefix must start with '/', e.g. /api/v4/leads".to_owned(),
            ));
        }
        Ok(())
    }

    pub(crate) fn matches(&self, method: &str, path: &str) -> bool {
        self.path_prefix
            .as_deref()
            .is_none_or(|prefix| path.starts_with(prefix))
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
    }
}

/// Background changes to the account while clients read it: at `per_second` operations per
/// second, each drawn by weight among create, update, move (stage change), delete, restore.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Activity {
    pub per_second: f64,
    pub create: u32,
    pub update: u32,
    #[serde(rename = "move")]
    pub move_stage: u32,
    pub delete: u32,
    pub restore: u32,
}

impl Default for Activity {
    fn default() -> Self {
        Self {
            per_second: 5.0,
            create: 3,
            update: 4,
            move_stage: 3,
            delete: 1,
            restore: 1,
        }
    }
}

impl Activity {
    pub fn per_second(per_second: f64) -> Self {
        Self {
            per_second,
            ..Self::default()
        }
    }
}

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("invalid simulator configuration: {0}")]
    Config(String),
}

pub(crate) mod duration_secs {
    //! Durations as (fractional) seconds on the wire.
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let secs = f64::deserialize(d)?;
        Duration::try_from_secs_f64(secs).map_err(serde::de::Error::custom)
    }
}
