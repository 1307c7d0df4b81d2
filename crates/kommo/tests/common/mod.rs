//! Shared set-up of the integration tests: a simulator on 127.0.0.1:0 and clients for it.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers; each test file uses a part"
)]

use std::num::NonZeroU32;
use std::time::Duration;

use kommo::{Client, ClientConfig, RateLimiter, RetryPolicy};
use kommo_sim::{RunningSimulator, SimConfig, Simulator};

pub(crate) async fn start(config: SimConfig) -> RunningSimulator {
    Simulator::start(config).await.expect("simulator starts")
}

/// Retries that are quick (tests need not wait seconds for a 429) and plentiful (a fault
/// share of 50% must not exhaust them).
pub(crate) fn quick_retries() -> ClientConfig {
    ClientConfig {
        retry: RetryPolicy {
            max_attempts: 20,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(100),
            rate_limited_floor: Duration::from_millis(20),
        },
        ..ClientConfig::default()
    }
}

/// A limiter that never holds a test back (for simulators without rate limits).
pub(crate) fn unthrottled() -> RateLimiter {
    RateLimiter::new(NonZeroU32::new(10_000).unwrap())
}

/// A client with the simulator's long-lived token.
pub(crate) fn client(sim: &RunningSimulator, limiter: RateLimiter, config: ClientConfig) -> Client {
    Client::builder(sim.base_url())
        .long_lived_token(sim.access_token())
        .rate_limiter(limiter)
        .config(config)
        .build()
        .unwrap()
}
