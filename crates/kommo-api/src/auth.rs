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
        let grant = state
            .store()
            .authenticate(client_id, secret)
            .await
            .map_err(ApiError::from)?;
        let Some(grant) = grant else {
            tracing::debug!(client_id, "rejected credentials");
            return Err(ApiError::Unauthorized);
        };
        state
            .budgets()
            .spend(&grant.client_id, grant.requests_per_minute, Instant::now())?;
        Ok(Caller { grant })
    }
}

/// Token buckets, one per client id: a full minute's budget can be spent at once, and it
/// refills continuously at `requests_per_minute / 60` a second. Only authenticated client ids
/// get a bucket, so the map is bounded by the number of issued credentials.
#[derive(Debug, Default)]
pub struct Budgets {
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Budgets {
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
    fn zero_means_unlimited() {
        let budgets = Budgets::default();
        let now = Instant::now();
        for _ in 0..10_000 {
            budgets.spend("a", 0, now).unwrap();
        }
    }
}
