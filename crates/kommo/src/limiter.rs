//! The per-integration request pacer, shared by every client of one Kommo integration on one
//! account: smooth spacing under a sliding one-second window, a pause for the whole account
//! after a 429, and a lock-out that stops every call after Kommo blocks the account.
//!
//! Kommo (and the simulator) count requests over a *sliding* second, at the moment each one
//! reaches them. A token bucket of 7/s with a burst of 7 can put 8 requests in one sliding
//! second at a refill boundary, and even a burst of 1 with a period of exactly 1/7 s puts the
//! 1st and the 8th request exactly 1 s apart. So permits are spaced `(1 s + guard) / rate`.
//!
//! Spacing the *sends* is not enough either: the moment a request reaches Kommo trails its send
//! by a delay that varies (network, a busy server, a busy machine). An early request that
//! arrives late and a later one that arrives on time land closer than they were sent, and eight
//! can meet in one of Kommo's seconds although no eight were sent in one. So each permit keeps
//! its place in the window until its request has been *answered*, and a new permit is granted
//! only when the `rate`-th previous request was answered at least 1 s + guard ago. Whatever
//! reached Kommo was counted there before its answer left, so any `rate + 1` requests arrive
//! more than a second apart, with no assumption about delays. The cost is the answer time of
//! one request per window (a few per cent against the simulator; requests in flight at once
//! are still paced only by the spacing).
//!
//! Permits are handed out by reservation (each caller books the next free slot and sleeps
//! until it), which is first-come first-served and wakes each waiter once. A caller dropped
//! while waiting leaves its slot unused, which only under-uses the budget.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use tokio::sync::Notify;
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
    /// Extra time added to each one-second window, a margin for clocks that are not the
    /// one this process reads (Kommo's own).
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
    /// The shortest time between the answer to a request and the grant of the `rate`-th
    /// permit after it (never less than 1 s + guard); `None` until that many were granted.
    pub tightest_window: Option<Duration>,
    /// Permits that woke too late to keep their slot, or found the window still full of
    /// unanswered requests, and were booked again.
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
    /// Woken when a request is answered, for callers waiting on the window.
    answered: Notify,
}

/// One of the last `rate` permits.
#[derive(Debug, Clone, Copy)]
struct Sent {
    seq: u64,
    /// When its request was answered; `None` while it is in flight.
    answered: Option<Instant>,
}

#[derive(Debug, Default)]
struct State {
    /// The last `rate` permits, oldest first.
    recent: VecDeque<Sent>,
    next_seq: u64,
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
                answered: Notify::new(),
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
    /// is locked out. The permit holds its place in the window until it is dropped: drop it
    /// when the request has been answered (or has failed).
    pub(crate) async fn acquire(&self) -> Result<Permit, DateTime<Utc>> {
        let rules = self.rules();
        loop {
            // Registered before the window is looked at, so an answer in between is not missed.
            let answered = self.shared.answered.notified();
            let mut answered = std::pin::pin!(answered);
            answered.as_mut().enable();
            let booking = self.shared.state.lock().reserve(Instant::now(), &rules)?;
            let Booking::At(slot) = booking else {
                answered.await;
                continue;
            };
            tokio::time::sleep_until(slot).await;
            match self.shared.state.lock().grant(Instant::now(), &rules) {
                Grant::Granted(seq) => {
                    return Ok(Permit {
                        limiter: self.clone(),
                        seq,
                    });
                }
                Grant::Locked(wall) => return Err(wall),
                Grant::Again => {}
            }
        }
    }

    fn answered(&self, seq: u64) {
        let now = Instant::now();
        let mut state = self.shared.state.lock();
        if let Some(sent) = state.recent.iter_mut().find(|s| s.seq == seq) {
            sent.answered = Some(now);
        }
        drop(state);
        self.shared.answered.notify_waiters();
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

/// The right to send one request; its place in the window is fixed when it is dropped,
/// which should be when the request has been answered.
#[derive(Debug)]
#[must_use = "a permit is held until its request is answered"]
pub(crate) struct Permit {
    limiter: RateLimiter,
    seq: u64,
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.limiter.answered(self.seq);
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

/// When a caller may try for a permit.
#[derive(Debug, PartialEq, Eq)]
enum Booking {
    At(Instant),
    /// The window is full of requests still in flight: wait for an answer.
    AfterAnswer,
}

/// When the window has room for another permit.
#[derive(Debug, PartialEq, Eq)]
enum Window {
    Open,
    OpensAt(Instant),
    /// Its oldest request is still in flight.
    Full,
}

#[derive(Debug, PartialEq, Eq)]
enum Grant {
    /// With the permit's sequence number.
    Granted(u64),
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

    /// When the window of the last `rate` permits has room for another.
    fn window(&self, rules: &Rules) -> Window {
        if self.recent.len() < rules.rate {
            return Window::Open;
        }
        match self.recent.front().map(|oldest| oldest.answered) {
            None => Window::Open,
            Some(None) => Window::Full,
            Some(Some(answered)) => Window::OpensAt(answered + rules.window),
        }
    }

    /// Books the next slot at or after `now`: one period after the previous slot, after any
    /// 429 pause, and once the window has room.
    fn reserve(&mut self, now: Instant, rules: &Rules) -> Result<Booking, DateTime<Utc>> {
        self.lock_check(now)?;
        let opens = match self.window(rules) {
            Window::Full => return Ok(Booking::AfterAnswer),
            Window::Open => None,
            Window::OpensAt(at) => Some(at),
        };
        let mut slot = now;
        for floor in [self.next_free, self.paused_until, opens]
            .into_iter()
            .flatten()
        {
            slot = slot.max(floor);
        }
        self.next_free = Some(slot + rules.period);
        Ok(Booking::At(slot))
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
        match self.window(rules) {
            Window::Open => {}
            Window::OpensAt(opens) if opens <= now => {}
            Window::OpensAt(_) | Window::Full => {
                self.stats.rebooked += 1;
                return Grant::Again;
            }
        }
        if self.recent.len() >= rules.rate
            && let Some(Sent {
                answered: Some(answered),
                ..
            }) = self.recent.pop_front()
        {
            let span = now - answered;
            self.stats.tightest_window =
                Some(self.stats.tightest_window.map_or(span, |t| t.min(span)));
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.recent.push_back(Sent {
            seq,
            answered: None,
        });
        self.stats.permits += 1;
        Grant::Granted(seq)
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
    /// booked slot and each request answered `answer_after(i)` after its grant; returns the
    /// grant times.
    fn drive_answered(
        limiter: &RateLimiter,
        callers: &[Instant],
        lateness: impl Fn(usize) -> Duration,
        answer_after: impl Fn(usize) -> Duration,
    ) -> Vec<Instant> {
        let rules = limiter.rules();
        let mut state = State::default();
        let mut granted = Vec::new();
        // (answer time, permit) of requests in flight.
        let mut in_flight: Vec<(Instant, u64)> = Vec::new();
        let mut wake = 0;
        for caller in callers {
            let mut now = (*caller).max(granted.last().copied().unwrap_or(*caller));
            loop {
                in_flight.retain(|(at, seq)| {
                    let done = *at <= now;
                    if done && let Some(sent) = state.recent.iter_mut().find(|s| s.seq == *seq) {
                        sent.answered = Some(*at);
                    }
                    !done
                });
                match state.reserve(now, &rules).unwrap() {
                    Booking::AfterAnswer => {
                        now = in_flight.iter().map(|(at, _)| *at).min().unwrap();
                        continue;
                    }
                    Booking::At(slot) => now = slot + lateness(wake),
                }
                wake += 1;
                if let Grant::Granted(seq) = state.grant(now, &rules) {
                    in_flight.push((now + answer_after(granted.len()), seq));
                    granted.push(now);
                    break;
                }
            }
        }
        granted
    }

    /// [`drive_answered`] with every request answered the moment it is sent.
    fn drive(
        limiter: &RateLimiter,
        callers: &[Instant],
        lateness: impl Fn(usize) -> Duration,
    ) -> Vec<Instant> {
        drive_answered(limiter, callers, lateness, |_| Duration::ZERO)
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
    fn arrivals_stay_within_the_rate_whatever_their_delays() {
        // Each request reaches the server after a delay of 0 to 300 ms (a busy machine) and is
        // answered 5 ms after it arrived. Sends alone may crowd together at the server; the
        // arrivals, which Kommo counts, never put eight in one second.
        let limiter = RateLimiter::default();
        let delay = |i: usize| Duration::from_millis((i as u64 * 7_919) % 301);
        let start = Instant::now();
        let granted = drive_answered(
            &limiter,
            &vec![start; 400],
            |_| Duration::ZERO,
            |i| delay(i) + Duration::from_millis(5),
        );
        let mut arrivals: Vec<Instant> = granted
            .iter()
            .enumerate()
            .map(|(i, sent)| *sent + delay(i))
            .collect();
        arrivals.sort();
        assert!(max_in_window(&arrivals, Duration::from_secs(1)) <= 7);
        // Not much slower than the spacing allows: the answer times cost about 2% here.
        let span = *granted.last().unwrap() - granted[0];
        let per_second = (granted.len() - 1) as f64 / span.as_secs_f64();
        assert!(per_second > 5.0, "{per_second:.2} permits a second");
    }

    #[test]
    fn sends_spaced_by_the_rate_alone_would_put_eight_in_a_second_at_the_server() {
        // Why permits wait for answers: with the window counted from the sends, a late arrival
        // followed by on-time ones crowds Kommo's second.
        let start = Instant::now();
        let period = Duration::from_millis(1_030) / 7;
        let sends: Vec<Instant> = (0..8u32).map(|i| start + period * i).collect();
        let mut arrivals: Vec<Instant> = sends
            .iter()
            .enumerate()
            .map(|(i, t)| {
                *t + if i == 0 {
                    Duration::from_millis(60)
                } else {
                    Duration::ZERO
                }
            })
            .collect();
        arrivals.sort();
        assert_eq!(max_in_window(&sends, Duration::from_secs(1)), 7);
        assert_eq!(max_in_window(&arrivals, Duration::from_secs(1)), 8);
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
        let booking = limiter
            .shared
            .state
            .lock()
            .reserve(now, &limiter.rules())
            .unwrap();
        let Booking::At(slot) = booking else {
            panic!("nothing is in flight: {booking:?}")
        };
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
        drop(limiter.acquire().await.unwrap());
        assert_eq!(limiter.stats().permits, 1);
        let wall = limiter.lock_out();
        assert_eq!(limiter.acquire().await.err(), Some(wall));
        assert_eq!(limiter.stats().permits, 1);
    }

    #[test]
    fn a_full_window_of_unanswered_requests_books_nothing_until_an_answer() {
        let limiter = RateLimiter::default();
        let rules = limiter.rules();
        let mut state = State::default();
        let mut now = Instant::now();
        let mut seqs = Vec::new();
        for _ in 0..7 {
            let Ok(Booking::At(slot)) = state.reserve(now, &rules) else {
                panic!("the window has room")
            };
            now = slot;
            let Grant::Granted(seq) = state.grant(now, &rules) else {
                panic!("granted at its slot")
            };
            seqs.push(seq);
        }
        // However long nothing is answered, nothing more is booked.
        let later = now + Duration::from_secs(3_600);
        assert_eq!(state.reserve(later, &rules), Ok(Booking::AfterAnswer));
        assert_eq!(state.grant(later, &rules), Grant::Again);
        // The oldest answered: the window opens one window after that answer.
        state.recent[0].answered = Some(later);
        assert_eq!(
            state.reserve(later, &rules),
            Ok(Booking::At(later + rules.window))
        );
    }

    #[tokio::test]
    async fn a_waiting_caller_is_woken_by_an_answer() {
        let limiter = RateLimiter::default();
        let mut held = Vec::new();
        for _ in 0..7 {
            held.push(limiter.acquire().await.unwrap());
        }
        let waiting = tokio::spawn({
            let limiter = limiter.clone();
            async move { limiter.acquire().await.map(drop) }
        });
        for _ in 0..50 {
            tokio::task::yield_now().await;
        }
        assert!(!waiting.is_finished(), "seven requests are in flight");
        assert_eq!(limiter.stats().permits, 7);
        drop(held.remove(0));
        waiting.await.unwrap().unwrap();
        assert_eq!(limiter.stats().permits, 8);
    }
}
