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
//! until it), which is first-come first-served and wakes each waiter once. A caller dropped
//! while waiting leaves its slot unused, which only under-uses the budget.
//!
//! Spacing alone is not enough: a timer that fires late (a busy machine) sends one request
//! late while the following ones keep their slots, and the window closes up again. So the
//! limiter also keeps the times permits were really granted, and grants a permit only when
//! the `rate`-th previous one is at least 1 s + guard old.

use std::collections::VecDeque;
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
    /// The shortest time in which `rate + 1` permits were granted (always more than 1 s +
    /// guard); `None` until that many were.
    pub tightest_window: Option<Duration>,
    /// Permits that woke too late to keep their slot and were rebooked to keep the window.
    pub rebooked: u64,
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
    /// When the last `rate` permits were granted, oldest first.
    granted: VecDeque<Instant>,
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
        let rules = self.rules();
        loop {
            let slot = self.shared.state.lock().reserve(Instant::now(), &rules)?;
            tokio::time::sleep_until(slot).await;
            match self.shared.state.lock().grant(Instant::now(), &rules) {
                Grant::Granted => return Ok(()),
                Grant::Locked(wall) => return Err(wall),
                Grant::Again => {}
            }
        }
    }

    fn rules(&self) -> Rules {
        Rules {
            rate: self.shared.config.per_second.get() as usize,
            period: self.shared.period,
            window: Duration::from_secs(1) + self.shared.config.window_guard,
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

/// The pacing rules of one limiter.
#[derive(Debug, Clone, Copy)]
struct Rules {
    rate: usize,
    period: Duration,
    /// One second plus the guard: no `rate + 1` permits within it.
    window: Duration,
}

#[derive(Debug, PartialEq, Eq)]
enum Grant {
    Granted,
    /// Paused by a 429, or the window is still full: book again.
    Again,
    Locked(DateTime<Utc>),
}

impl State {
    fn lock_check(&mut self, now: Instant) -> Result<(), DateTime<Utc>> {
        if let Some((until, wall)) = self.locked_until {
            if now < until {
                return Err(wall);
            }
            self.locked_until = None;
        }
        Ok(())
    }

    /// The earliest moment the window allows another permit.
    fn window_opens(&self, rules: &Rules) -> Option<Instant> {
        if self.granted.len() < rules.rate {
            return None;
        }
        self.granted.front().map(|oldest| *oldest + rules.window)
    }

    /// Books the next slot at or after `now`: one period after the previous slot, after any
    /// 429 pause, and once the window of real grants has room.
    fn reserve(&mut self, now: Instant, rules: &Rules) -> Result<Instant, DateTime<Utc>> {
        self.lock_check(now)?;
        let mut slot = now;
        for floor in [self.next_free, self.paused_until, self.window_opens(rules)]
            .into_iter()
            .flatten()
        {
            slot = slot.max(floor);
        }
        self.next_free = Some(slot + rules.period);
        Ok(slot)
    }

    /// Grants the permit booked for now, unless a lock-out, a pause or a late wake-up (which
    /// would crowd the window) came in between.
    fn grant(&mut self, now: Instant, rules: &Rules) -> Grant {
        if let Err(wall) = self.lock_check(now) {
            return Grant::Locked(wall);
        }
        if self.paused_until.is_some_and(|paused| paused > now) {
            return Grant::Again;
        }
        if self.window_opens(rules).is_some_and(|opens| opens > now) {
            self.stats.rebooked += 1;
            return Grant::Again;
        }
        if self.granted.len() >= rules.rate
            && let Some(oldest) = self.granted.pop_front()
        {
            let span = now - oldest;
            self.stats.tightest_window =
                Some(self.stats.tightest_window.map_or(span, |t| t.min(span)));
        }
        self.granted.push_back(now);
        self.stats.permits += 1;
        Grant::Granted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The largest number of instants inside any window of `window` (closed at both ends, the
    /// strictest reading of "one sliding second").
    fn max_in_window(times: &[Instant], window: Duration) -> usize {
        (0..times.len())
            .map(|i| {
                times[i..]
                    .iter()
                    .take_while(|t| **t - times[i] <= window)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    /// Drives the state machine like `acquire` does, with a wake-up `lateness(i)` after each
    /// booked slot; returns the grant times.
    fn drive(
        limiter: &RateLimiter,
        arrivals: &[Instant],
        lateness: impl Fn(usize) -> Duration,
    ) -> Vec<Instant> {
        let rules = limiter.rules();
        let mut state = State::default();
        let mut granted = Vec::new();
        let mut wake = 0;
        for arrival in arrivals {
            let mut now = (*arrival).max(granted.last().copied().unwrap_or(*arrival));
            loop {
                let slot = state.reserve(now, &rules).unwrap();
                now = slot + lateness(wake);
                wake += 1;
                if state.grant(now, &rules) == Grant::Granted {
                    granted.push(now);
                    break;
                }
            }
        }
        granted
    }

    #[test]
    fn never_more_than_rate_in_a_sliding_second() {
        for rate in [1u32, 5, 7, 15, 50] {
            let limiter = RateLimiter::new(NonZeroU32::new(rate).unwrap());
            let start = Instant::now();
            // A burst of 100 callers at once, then callers trickling in at odd moments.
            let mut arrivals = vec![start; 100];
            arrivals
                .extend((0..200u64).map(|i| start + Duration::from_millis(i * 37 % 160 + i * 100)));
            let granted = drive(&limiter, &arrivals, |_| Duration::ZERO);
            // Never above the rate, and the guard costs at most one request per window.
            let most = max_in_window(&granted, Duration::from_secs(1));
            assert!(
                most <= rate as usize && most + 1 >= rate as usize,
                "rate {rate}: {most} in one second"
            );
            // Even with the guard's worth of jitter, the window holds no more than the rate.
            assert!(max_in_window(&granted, Duration::from_millis(1_029)) <= rate as usize);
        }
    }

    #[test]
    fn late_wake_ups_do_not_crowd_the_window() {
        // Every fifth wake-up is 80 ms late: with spacing alone, the late request and the
        // seventh after it (on time) would land less than a second apart.
        let limiter = RateLimiter::default();
        let start = Instant::now();
        let granted = drive(&limiter, &vec![start; 300], |i| {
            if i % 5 == 0 {
                Duration::from_millis(80)
            } else {
                Duration::ZERO
            }
        });
        assert_eq!(granted.len(), 300);
        assert!(max_in_window(&granted, Duration::from_millis(1_029)) <= 7);
        let rules = limiter.rules();
        assert!(granted.windows(8).all(|w| w[7] - w[0] >= rules.window));
    }

    #[test]
    fn a_plain_one_seventh_period_would_allow_eight() {
        // Why the guard exists: spacing of exactly 1/7 s puts 8 requests in a closed second.
        let start = Instant::now();
        let slots: Vec<_> = (0..8u32)
            .map(|i| start + Duration::from_secs(1) / 7 * i)
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
            .reserve(now, &limiter.rules())
            .unwrap();
        assert!(slot >= now + Duration::from_millis(1_990));
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
        let rules = limiter.rules();
        let now = Instant::now();
        let mut state = limiter.shared.state.lock();
        assert_eq!(state.reserve(now, &rules), Err(wall));
        assert_eq!(state.grant(now, &rules), Grant::Locked(wall));
        assert!(state.reserve(now + Duration::from_secs(61), &rules).is_ok());
        assert!(state.locked_until.is_none());
    }

    #[tokio::test]
    async fn acquire_grants_and_fails_fast_when_locked() {
        let limiter = RateLimiter::default();
        limiter.acquire().await.unwrap();
        assert_eq!(limiter.stats().permits, 1);
        let wall = limiter.lock_out();
        assert_eq!(limiter.acquire().await, Err(wall));
        assert_eq!(limiter.stats().permits, 1);
    }
}
