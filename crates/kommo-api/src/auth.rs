//! Who is calling: the `x-client-id` / `x-client-secret` extractor, and the per-credential
//! request budget that answers 429 with `Retry-After` once it is spent.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use kommo_store::query::Grant;
use parking_lot::Mutex;

use crate::error::ApiError;
use crate::state::AppState;

/// The header carrying the client id.
pub const CLIENT_ID_HEADER: &str = "x-client-id";
/// The header carrying the client secret.
pub const CLIENT_SECRET_HEADER: &str = "x-client-secret";

/// Longer header values are not credentials we issued; refusing them early keeps a 10 kB
/// header from reaching the database.
const MAX_CREDENTIAL_LEN: usize = 256;

/// An authenticated caller that still had request budget.
#[derive(Debug, Clone)]
pub struct Caller {
    pub grant: Grant,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::trim)
                .filter(|value| !value.is_empty() && value.len() <= MAX_CREDENTIAL_LEN)
        };
        // Both halves are checked the same way whichever is missing or wrong, and the
        // answer never says which it was.
        let (Some(client_id), Some(secret)) =
            (header(CLIENT_ID_HEADER), header(CLIENT_SECRET_HEADER))
        else {
            return Err(ApiError::Unauthorized);
        };
        let now = Instant::now();
        let grant = match state.budgets().cached_grant(client_id, secret, now) {
            Some(grant) => grant,
            None => {
                let grant = state
                    .store()
                    .authenticate(client_id, secret)
                    .await
                    .map_err(ApiError::from)?;
                let Some(grant) = grant else {
                    tracing::debug!(client_id, "rejected credentials");
                    return Err(ApiError::Unauthorized);
                };
                state.budgets().remember_grant(secret, &grant, now);
                grant
            }
        };
        state
            .budgets()
            .spend(&grant.client_id, grant.requests_per_minute, now)?;
        Ok(Caller { grant })
    }
}

/// How long a verified grant is reused without asking the store again: revoked credentials
/// or changed grants take effect within this time.
pub const GRANT_CACHE_TTL: Duration = Duration::from_secs(5);

/// What the API remembers per set of credentials, in memory:
///
/// - Request budgets: token buckets, one per client id. A full minute's budget can be spent at
///   once, and it refills continuously at `requests_per_minute / 60` a second.
/// - Recently verified grants, for [`GRANT_CACHE_TTL`], so a busy client costs one keyed-hash
///   check in the store every few seconds rather than on every request. A hit needs the same
///   secret (compared in constant time); anything else goes to the store.
///
/// Only authenticated client ids get entries, so both maps are bounded by the number of
/// issued credentials.
#[derive(Default)]
pub struct Budgets {
    buckets: Mutex<HashMap<String, Bucket>>,
    verified: Mutex<HashMap<String, Verified>>,
}

impl std::fmt::Debug for Budgets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the cached secrets.
        f.debug_struct("Budgets")
            .field("clients", &self.buckets.lock().len())
            .field("verified", &self.verified.lock().len())
            .finish()
    }
}

struct Verified {
    secret: Vec<u8>,
    grant: Grant,
    at: Instant,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Budgets {
    /// The grant verified for these credentials within [`GRANT_CACHE_TTL`], if the secret is
    /// the same one.
    pub(crate) fn cached_grant(
        &self,
        client_id: &str,
        secret: &str,
        now: Instant,
    ) -> Option<Grant> {
        let verified = self.verified.lock();
        let entry = verified.get(client_id)?;
        let fresh = now.saturating_duration_since(entry.at) < GRANT_CACHE_TTL;
        (fresh && constant_time_eq(&entry.secret, secret.as_bytes())).then(|| entry.grant.clone())
    }

    pub(crate) fn remember_grant(&self, secret: &str, grant: &Grant, now: Instant) {
        let mut verified = self.verified.lock();
        if verified.len() >= 10_000 {
            verified.retain(|_, entry| now.saturating_duration_since(entry.at) < GRANT_CACHE_TTL);
        }
        verified.insert(
            grant.client_id.clone(),
            Verified {
                secret: secret.as_bytes().to_vec(),
                grant: grant.clone(),
                at: now,
            },
        );
    }

    /// Takes one request from the client's budget, or says how long until one is available.
    pub(crate) fn spend(
        &self,
        client_id: &str,
        per_minute: u32,
        now: Instant,
    ) -> Result<(), ApiError> {
        if per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(per_minute);
        let per_second = capacity / 60.0;
        let mut buckets = self.buckets.lock();
        let bucket = match buckets.get_mut(client_id) {
            Some(bucket) => bucket,
            None => buckets.entry(client_id.to_owned()).or_insert(Bucket {
                tokens: capacity,
                updated: now,
            }),
        };
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        // A budget lowered since the last request takes effect at once.
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        let wait = Duration::from_secs_f64((1.0 - bucket.tokens) / per_second);
        let retry_after_secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        Err(ApiError::RateLimited {
            per_minute,
            retry_after_secs: retry_after_secs.max(1),
        })
    }
}

/// Equal length and bytes, in time that depends only on the length.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minute_of_budget_then_429_with_the_wait() {
        let budgets = Budgets::default();
        let start = Instant::now();
        for _ in 0..3 {
            budgets.spend("a", 3, start).unwrap();
        }
        match budgets.spend("a", 3, start) {
            Err(ApiError::RateLimited {
                retry_after_secs,
                per_minute: 3,
            }) => assert_eq!(retry_after_secs, 20),
            other => panic!("expected 429, got {other:?}"),
        }
        // Another client has its own budget.
        budgets.spend("b", 3, start).unwrap();
        // 20 s later one request is available again, and only one.
        let later = start + Duration::from_secs(20);
        budgets.spend("a", 3, later).unwrap();
        assert!(budgets.spend("a", 3, later).is_err());
    }

    #[test]
    fn verified_grants_are_reused_only_with_the_same_secret_and_while_fresh() {
        let budgets = Budgets::default();
        let grant = Grant {
            client_id: "kd_1".into(),
            organization_id: "o".into(),
            workspace_ids: vec!["w".into()],
            requests_per_minute: 0,
        };
        let now = Instant::now();
        budgets.remember_grant("s3cret", &grant, now);
        assert_eq!(
            budgets.cached_grant("kd_1", "s3cret", now),
            Some(grant.clone())
        );
        assert_eq!(budgets.cached_grant("kd_1", "s3creT", now), None);
        assert_eq!(budgets.cached_grant("kd_1", "s3cret-longer", now), None);
        assert_eq!(budgets.cached_grant("kd_2", "s3cret", now), None);
        assert_eq!(
            budgets.cached_grant("kd_1", "s3cret", now + GRANT_CACHE_TTL),
            None
        );
        assert!(!format!("{budgets:?}").contains("s3cret"));
    }

    #[test]
    fn zero_means_unlimited() {
        let budgets = Budgets::default();
        let now = Instant::now();
        for _ in 0..10_000 {
            budgets.spend("a", 0, now).unwrap();
        }
    }
}
