//! The per-integration request pacer, shared by every client of one Kommo integration on one
//! account: smooth spacing under a sliding one-second window, a pause for the whole account
//! after a 429, and a lock-out that stops every call after Kommo blocks the account.
//!
//! Kommo (and the simulator) count requests over a *sliding* second. A token bucket of 7/s
//! with a burst of 7 can put 8 requests in one sliding second at a refill boundary, and even
//! a burst of 1 with a period of exactly 1/7 s puts the 1st and the 8th request exactly 1 s
//! apart, so a millisecond of network jitter turns that into a 429. So the spacing here is
//! `(1 s + guard) / rate`: any 8 consecutive requests span more than 1 s + guard.
//!
//! Permits are handed out by reservation (each caller books the next free slot and sleeps
//! until it), which is first-come first-served and wakes each waiter exactly once. A caller
//! dropped while waiting leaves its slot unused, which only under-uses the budget.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use tokio::time::Instant;

/// Kommo's documented limit per integration.
pub const DEFAULT_PER_SECOND: NonZeroU32 = match NonZeroU32::new(7) {
    Some(rate) => rate,
    None => NonZeroU32::MIN,
};

/// How a [`RateLimiter`] paces and when it stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimiterConfig {
    /// Requests per sliding second.
    pub per_second: NonZeroU32,
    /// Extra time added to each one-second window, so that jitter between the moment a
    /// permit is granted and the moment the request reaches Kommo cannot squeeze one more
    /// request into a sliding second.
    pub window_guard: Duration,
    /// How long every call is held back after Kommo blocks the account.
    pub lockout_cooldown: Duration,
    /// A 403 within this long after a 429 is read as a block caused by the 429s.
    pub lockout_detection: Duration,
}

impl Default for RateLimiterConfig {
    fn default() -> Self {
        Self {
            per_second: DEFAULT_PER_SECOND,
            window_guard: Duration::from_millis(30),
            lockout_cooldown: Duration::from_secs(15 * 60),
            lockout_detection: Duration::from_secs(10 * 60),
        }
    }
}

/// Counters of one limiter, for benchmarks and logs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LimiterStats {
    /// Permits handed out: requests sent, retries included.
    pub permits: u64,
    /// 429 responses reported to this limiter.
    pub rate_limited: u64,
    /// Times the account was locked out.
    pub lockouts: u64,
}

/// The shared request budget of one integration on one Kommo account.
///
/// Cheap to clone (an `Arc`): give a clone to every [`crate::Client`] built for the same
/// integration and account, and they share the pace, the 429 pause and the lock-out.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    config: RateLimiterConfig,
    period: Duration,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    next_free: Option<Instant>,
    paused_until: Option<Instant>,
    locked_until: Option<(Instant, DateTime<Utc>)>,
    last_rate_limited: Option<Instant>,
    stats: LimiterStats,
}

impl Default for RateLimiter {
    fn default() -> Self {
        Self::with_config(RateLimiterConfig::default())
    }
}

impl RateLimiter {
    /// A limiter for `per_second` requests per sliding second, other settings default.
    pub fn new(per_second: NonZeroU32) -> Self {
        Self::with_config(RateLimiterConfig {
            per_second,
            ..RateLimiterConfig::default()
        })
    }

    pub fn with_config(config: RateLimiterConfig) -> Self {
        // Rounded up by a nanosecond so that `rate` periods never add up to less than the window.
        let period = (Duration::from_secs(1) + config.window_guard) / config.per_second.get()
            + Duration::from_nanos(1);
        Self {
            shared: Arc::new(Shared {
                config,
                period,
                state: Mutex::new(State::default()),
            }),
        }
    }

    pub fn config(&self) -> &RateLimiterConfig {
        &self.shared.config
    }

    /// The spacing between two permits.
    pub fn period(&self) -> Duration {
        self.shared.period
    }

    pub fn stats(&self) -> LimiterStats {
        self.shared.state.lock().stats
    }

    /// When the account is locked out, until when.
    pub fn locked_until(&self) -> Option<DateTime<Utc>> {
        let state = self.shared.state.lock();
        state
            .locked_until
            .filter(|(until, _)| Instant::now() < *until)
            .map(|(_, wall)| wall)
    }

    /// Waits for the next permit. Fails at once, and again after waking, while the account
    /// is locked out.
    pub(crate) async fn acquire(&self) -> Result<(), DateTime<Utc>> {
        loop {
            let slot = self
                .shared
                .state
                .lock()
                .reserve(Instant::now(), self.shared.period)?;
            tokio::time::sleep_until(slot).await;
            let mut state = self.shared.state.lock();
            let now = Instant::now();
            if let Some((until, wall)) = state.locked_until
                && now < until
            {
                return Err(wall);
            }
            // A 429 arrived while this caller slept: book a slot after the pause instead.
            if state.paused_until.is_some_and(|paused| paused > now) {
                continue;
            }
            state.stats.permits += 1;
            return Ok(());
        }
    }

    /// A 429: hold every caller of this limiter back for `pause`.
    pub(crate) fn note_rate_limited(&self, pause: Duration) {
        let mut state = self.shared.state.lock();
        let now = Instant::now();
        let until = now + pause;
        state.paused_until = Some(
            state
                .paused_until
                .map_or(until, |current| current.max(until)),
        );
        state.last_rate_limited = Some(now);
        state.stats.rate_limited += 1;
    }

    /// Whether a 429 was seen recently enough for a 403 to mean "blocked for the 429s".
    pub(crate) fn recently_rate_limited(&self) -> bool {
        let state = self.shared.state.lock();
        state
            .last_rate_limited
            .is_some_and(|at| at.elapsed() <= self.shared.config.lockout_detection)
    }

    /// Kommo blocked the account: stop every call until the cool-down has passed.
    pub(crate) fn lock_out(&self) -> DateTime<Utc> {
        let cooldown = self.shared.config.lockout_cooldown;
        let wall =
            Utc::now() + chrono::Duration::from_std(cooldown).unwrap_or(chrono::Duration::MAX);
        let mut state = self.shared.state.lock();
        let now = Instant::now();
        let until = now
            .checked_add(cooldown)
            .unwrap_or(now + Duration::from_secs(86_400 * 365));
        state.locked_until = Some((until, wall));
        state.stats.lockouts += 1;
        wall
    }
}

impl State {
    /// Books the next slot at or after `now`: after the previous slot plus one period, and
    /// after any 429 pause.
    fn reserve(&mut self, now: Instant, period: Duration) -> Result<Instant, DateTime<Utc>> {
        if let Some((until, wall)) = self.locked_until {
            if now < until {
                return Err(wall);
            }
            self.locked_until = None;
        }
        let mut slot = now;
        if let Some(next) = self.next_free {
            slot = slot.max(next);
        }
        if let Some(paused) = self.paused_until {
            slot = slot.max(paused);
        }
        self.next_free = Some(slot + period);
        Ok(slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The largest number of slots inside any window of `window` (closed at both ends, the
    /// strictest reading of "one sliding second").
    fn max_in_window(slots: &[Instant], window: Duration) -> usize {
        (0..slots.len())
            .map(|i| {
                slots[i..]
                    .iter()
                    .take_while(|s| **s - slots[i] <= window)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn never_more_than_rate_in_a_sliding_second() {
        for rate in [1u32, 5, 7, 15, 50] {
            let limiter = RateLimiter::new(NonZeroU32::new(rate).unwrap());
            let mut state = State::default();
            let start = Instant::now();
            let mut slots = Vec::new();
            // A burst of 100 callers at once, then callers trickling in at odd moments.
            for _ in 0..100 {
                slots.push(state.reserve(start, limiter.period()).unwrap());
            }
            let mut now = *slots.last().unwrap();
            for i in 0..200u64 {
                now += Duration::from_millis((i * 37) % 160);
                let slot = state.reserve(now, limiter.period()).unwrap();
                now = slot;
                slots.push(slot);
            }
            // Never above the rate, and the guard costs at most one request per window.
            let most = max_in_window(&slots, Duration::from_secs(1));
            assert!(
                most <= rate as usize && most + 1 >= rate as usize,
                "rate {rate}: {most} in one second"
            );
            // Even with the guard's worth of jitter, the window holds no more than the rate.
            assert!(
                max_in_window(&slots, Duration::from_secs(1) + Duration::from_millis(29))
                    <= rate as usize
            );
        }
    }

    #[test]
    fn a_plain_one_seventh_period_would_allow_eight() {
        // Why the guard exists: spacing of exactly 1/7 s puts 8 requests in a closed second.
        let mut state = State::default();
        let start = Instant::now();
        let slots: Vec<_> = (0..8)
            .map(|_| state.reserve(start, Duration::from_secs(1) / 7).unwrap())
            .collect();
        assert_eq!(max_in_window(&slots, Duration::from_secs(1)), 8);
    }

    #[test]
    fn pause_after_429_delays_every_caller() {
        let limiter = RateLimiter::default();
        limiter.note_rate_limited(Duration::from_secs(2));
        let now = Instant::now();
        let slot = limiter
            .shared
            .state
            .lock()
            .reserve(now, limiter.period())
            .unwrap();
        assert!(slot >= now + Duration::from_millis(1990));
        assert!(limiter.recently_rate_limited());
        assert_eq!(limiter.stats().rate_limited, 1);
    }

    #[test]
    fn lock_out_refuses_until_cooldown_then_clears() {
        let limiter = RateLimiter::with_config(RateLimiterConfig {
            lockout_cooldown: Duration::from_secs(60),
            ..RateLimiterConfig::default()
        });
        let wall = limiter.lock_out();
        assert_eq!(limiter.locked_until(), Some(wall));
        let now = Instant::now();
        let mut state = limiter.shared.state.lock();
        assert_eq!(state.reserve(now, limiter.period()), Err(wall));
        assert!(
            state
                .reserve(now + Duration::from_secs(61), limiter.period())
                .is_ok()
        );
        assert!(state.locked_until.is_none());
    }

    #[tokio::test]
    async fn acquire_fails_fast_when_locked() {
        let limiter = RateLimiter::default();
        let wall = limiter.lock_out();
        assert_eq!(limiter.acquire().await, Err(wall));
        assert_eq!(limiter.stats().permits, 0);
    }
}
