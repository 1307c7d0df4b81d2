//! Client settings (timeouts, user agent, page and batch sizes) and the retry policy.

use std::time::Duration;

use kommo_model::query::MAX_LIMIT;

use crate::error::Error;

/// Kommo's recommended number of entities per write request.
pub const DEFAULT_BATCH_SIZE: usize = 50;
/// The most leads `POST /api/v4/leads/complex` takes in one request.
pub const COMPLEX_ADD_MAX: usize = 50;

/// How the client talks to one Kommo account.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The whole request, body included.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub user_agent: String,
    /// Entities per list page (1..=250); Kommo's own default is 50, the client asks for 250
    /// so that reading an account takes as few requests as possible.
    pub page_size: u32,
    /// Entities per write request (1..=250); Kommo recommends at most 50.
    pub batch_size: usize,
    pub retry: RetryPolicy,
    /// An access token this close to its expiry is refreshed before use.
    pub refresh_skew: Duration,
    /// Whether a 504 on a batch write halves the batch and sends the halves, as Kommo's
    /// documentation advises.
    pub split_on_504: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            user_agent: concat!("kommo-data/", env!("CARGO_PKG_VERSION")).to_owned(),
            page_size: MAX_LIMIT,
            batch_size: DEFAULT_BATCH_SIZE,
            retry: RetryPolicy::default(),
            refresh_skew: Duration::from_secs(60),
            split_on_504: true,
        }
    }
}

impl ClientConfig {
    pub(crate) fn validate(&self) -> Result<(), Error> {
        let invalid = |detail: String| Err(Error::InvalidConfig { detail });
        if self.page_size == 0 || self.page_size > MAX_LIMIT {
            return invalid(format!(
                "page_size must be 1..={MAX_LIMIT}, got {}",
                self.page_size
            ));
        }
        if self.batch_size == 0 || self.batch_size > 250 {
            return invalid(format!(
                "batch_size must be 1..=250, got {}",
                self.batch_size
            ));
        }
        if self.retry.max_attempts == 0 {
            return invalid("retry.max_attempts must be at least 1 (1 = no retry)".to_owned());
        }
        if self.retry.base_delay.is_zero() || self.retry.base_delay > self.retry.max_delay {
            return invalid(format!(
                "retry.base_delay must be positive and at most retry.max_delay ({:?} > {:?})",
                self.retry.base_delay, self.retry.max_delay
            ));
        }
        Ok(())
    }
}

/// Bounded exponential backoff with jitter for 429s, 5xx and timeouts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included.
    pub max_attempts: u32,
    /// The delay before the first retry, doubled for each further one.
    pub base_delay: Duration,
    /// No computed delay exceeds this; a `Retry-After` longer than this ends the retries.
    pub max_delay: Duration,
    /// The shortest wait after a 429: Kommo counts requests over one second.
    pub rate_limited_floor: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            rate_limited_floor: Duration::from_secs(1),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1`, after `attempt` (1-based) failed attempts:
    /// `base * 2^(attempt-1)`, capped at `max_delay`, then "equal jitter" (a uniform draw in
    /// the upper half) so that clients hit by the same failure do not retry in lockstep.
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self.ceiling(attempt);
        let half = ceiling / 2;
        let spread = u64::try_from((ceiling - half).as_millis()).unwrap_or(u64::MAX);
        half + Duration::from_millis(rand::random_range(0..=spread))
    }

    /// The wait after a 429: at least the floor, and the server's `Retry-After` if it gave
    /// one. `None` when the server asks for longer than `max_delay`: the caller gives up.
    pub fn rate_limited_delay(
        &self,
        attempt: u32,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        match retry_after {
            Some(wait) if wait > self.max_delay => None,
            Some(wait) => Some(wait.max(self.rate_limited_floor)),
            None => Some(self.delay(attempt).max(self.rate_limited_floor)),
        }
    }

    fn ceiling(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(20);
        self.base_delay
            .saturating_mul(1 << exponent)
            .min(self.max_delay)
    }
}

/// Reads `Retry-After`: delay-seconds or an HTTP date.
pub(crate) fn parse_retry_after(
    value: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (at.with_timezone(&chrono::Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_within_bounds() {
        let policy = RetryPolicy::default();
        for attempt in 1..=30 {
            let ceiling = policy
                .base_delay
                .saturating_mul(1 << (attempt - 1).min(20))
                .min(policy.max_delay);
            for _ in 0..50 {
                let delay = policy.delay(attempt);
                assert!(
                    delay >= ceiling / 2 && delay <= ceiling,
                    "attempt {attempt}: {delay:?} not in [{:?}, {ceiling:?}]",
                    ceiling / 2
                );
                assert!(delay <= policy.max_delay);
            }
        }
        assert_eq!(policy.ceiling(1), Duration::from_millis(500));
        assert_eq!(policy.ceiling(3), Duration::from_secs(2));
        assert_eq!(policy.ceiling(40), Duration::from_secs(30));
    }

    #[test]
    fn rate_limited_delay_honours_floor_and_retry_after() {
        let policy = RetryPolicy::default();
        for _ in 0..50 {
            assert!(policy.rate_limited_delay(1, None).unwrap() >= Duration::from_secs(1));
        }
        assert_eq!(
            policy.rate_limited_delay(1, Some(Duration::from_secs(7))),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            policy.rate_limited_delay(1, Some(Duration::ZERO)),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            policy.rate_limited_delay(1, Some(Duration::from_secs(3600))),
            None
        );
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = chrono::DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(parse_retry_after(" 5 ", now), Some(Duration::from_secs(5)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn config_rejects_out_of_range_sizes() {
        let config = ClientConfig {
            page_size: 251,
            ..ClientConfig::default()
        };
        assert!(matches!(
            config.validate(),
            Err(Error::InvalidConfig { .. })
        ));
        let config = ClientConfig {
            batch_size: 0,
            ..ClientConfig::default()
        };
        assert!(matches!(
            config.validate(),
            Err(Error::InvalidConfig { .. })
        ));
        assert!(ClientConfig::default().validate().is_ok());
    }
}
