//! Limits and failures against the simulator: the 7 req/s pace with no 429, 429 storms, 5xx,
//! timeouts, lock-out, refused long-lived tokens.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod common;

use std::time::Duration;

use kommo::{Client, ClientConfig, Error, LeadsQuery, RateLimiter, RateLimiterConfig, RetryPolicy};
use kommo_sim::{FailNext, Faults, Lockout, SimConfig};

#[tokio::test]
async fn three_clients_sharing_a_limiter_read_at_7_per_second_without_a_429() {
    // Kommo's real limits: 7 per sliding second per token, 50 per account.
    let sim = common::start(SimConfig::default().with_leads(1_000)).await;
    let limiter = RateLimiter::default();
    let clients: Vec<Client> = (0..3)
        .map(|_| common::client(&sim, limiter.clone(), ClientConfig::default()))
        .collect();
    let reads = clients
        .iter()
        .map(|c| c.leads(LeadsQuery::new().limit(100)).collect_all());
    let results = futures::future::join_all(reads).await;
    for leads in results {
        assert_eq!(leads.unwrap().len(), sim.control().lead_count());
    }
    let counters = sim.control().counters();
    assert_eq!(
        counters.rate_limited, 0,
        "the simulator answered 429: {counters:?}"
    );
    assert_eq!(counters.total, 30);
    assert_eq!(limiter.stats().permits, 30);
    assert_eq!(limiter.stats().rate_limited, 0);

    // The pace, as the simulator saw the requests arrive: never eight in one second, and
    // close to the seven a second allowed (a limiter that waited far longer than it must
    // would read the account too slowly). The band's floor leaves room for a busy machine.
    let arrivals = sim.control().arrivals();
    assert_eq!(arrivals.len(), 30);
    for window in arrivals.windows(8) {
        assert!(
            window[7] - window[0] > Duration::from_secs(1),
            "eight requests within {:?}",
            window[7] - window[0]
        );
    }
    let span = (arrivals[29] - arrivals[0]).as_secs_f64();
    let per_second = 29.0 / span;
    assert!(
        (4.0..=7.0).contains(&per_second),
        "{per_second:.2} requests a second over {span:.2} s"
    );
}

#[tokio::test]
async fn a_429_storm_is_retried_until_every_page_is_read() {
    let sim = common::start(SimConfig::unlimited().with_leads(1_000)).await;
    sim.control().set_faults(Faults {
        rate_429: 0.5,
        ..Faults::default()
    });
    let limiter = common::unthrottled();
    let client = common::client(&sim, limiter.clone(), common::quick_retries());
    let leads = client
        .leads(LeadsQuery::new().limit(100))
        .collect_all()
        .await
        .unwrap();
    assert_eq!(leads.len(), sim.control().lead_count());
    let counters = sim.control().counters();
    assert!(
        counters.rate_limited > 0,
        "the storm produced no 429: {counters:?}"
    );
    assert_eq!(limiter.stats().rate_limited, counters.rate_limited);
    assert_eq!(
        counters.requests_with_status("GET", "/api/v4/leads", 200),
        10
    );
}

#[tokio::test]
async fn rate_limited_after_the_last_attempt_is_a_typed_error() {
    let sim = common::start(SimConfig::unlimited().with_leads(10)).await;
    sim.control().set_faults(Faults {
        rate_429: 1.0,
        ..Faults::default()
    });
    let config = ClientConfig {
        retry: RetryPolicy {
            max_attempts: 3,
            ..common::quick_retries().retry
        },
        ..ClientConfig::default()
    };
    let client = common::client(&sim, common::unthrottled(), config);
    let error = client
        .leads(LeadsQuery::new())
        .collect_all()
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::RateLimited { attempts: 3, .. }),
        "{error}"
    );
    assert!(error.is_retryable());
    assert_eq!(sim.control().counters().rate_limited, 3);
}

#[tokio::test]
async fn server_errors_on_reads_are_retried() {
    let sim = common::start(SimConfig::unlimited().with_leads(1_000)).await;
    // The first page fails four times in a row, once with each 5xx Kommo answers.
    for status in [500, 502, 503, 504] {
        sim.control()
            .fail_next(FailNext::status(status).path("/api/v4/leads").method("GET"))
            .unwrap();
    }
    let client = common::client(&sim, common::unthrottled(), common::quick_retries());
    let leads = client
        .leads(LeadsQuery::new().limit(100))
        .collect_all()
        .await
        .unwrap();
    assert_eq!(leads.len(), sim.control().lead_count());
    let counters = sim.control().counters();
    assert_eq!(counters.server_errors, 4, "{counters:?}");
    assert_eq!(
        counters.requests_with_status("GET", "/api/v4/leads", 200),
        10
    );
    assert_eq!(counters.total, 14);
}

#[tokio::test]
async fn reads_that_time_out_are_retried_then_reported() {
    let sim = common::start(SimConfig::unlimited().with_leads(10)).await;
    sim.control().set_faults(Faults {
        latency_ms: 2_000,
        ..Faults::default()
    });
    let config = ClientConfig {
        timeout: Duration::from_millis(100),
        retry: RetryPolicy {
            max_attempts: 2,
            ..common::quick_retries().retry
        },
        ..ClientConfig::default()
    };
    let client = common::client(&sim, common::unthrottled(), config);
    let error = client
        .leads(LeadsQuery::new())
        .collect_all()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                attempts: 2,
                may_have_applied: false,
                ..
            }
        ),
        "{error}"
    );
}

fn locking_limiter() -> RateLimiter {
    RateLimiter::with_config(RateLimiterConfig {
        lockout_cooldown: Duration::from_secs(300),
        ..RateLimiterConfig::default()
    })
}

#[tokio::test]
async fn a_lock_out_after_429s_stops_every_call_for_the_account() {
    let config = SimConfig {
        lockout: Some(Lockout {
            violations: 3,
            within: Duration::from_secs(60),
            lasts: Duration::from_secs(300),
        }),
        ..SimConfig::unlimited().with_leads(10)
    };
    let sim = common::start(config).await;
    sim.control().set_faults(Faults {
        rate_429: 1.0,
        ..Faults::default()
    });
    let limiter = locking_limiter();
    let client = common::client(&sim, limiter.clone(), common::quick_retries());
    let error = client
        .leads(LeadsQuery::new())
        .collect_all()
        .await
        .unwrap_err();
    let Error::LockedOut { until } = error else {
        panic!("expected a lock-out, got {error}")
    };
    assert!(until > chrono::Utc::now() + chrono::Duration::seconds(290));
    assert!(error_message_mentions_block(&Error::LockedOut { until }));
    let seen = sim.control().counters();
    assert_eq!((seen.rate_limited, seen.forbidden), (3, 1));

    // The storm is over, but no call for this account reaches Kommo, from any client of it.
    sim.control().set_faults(Faults::default());
    let other = common::client(&sim, limiter.clone(), common::quick_retries());
    assert!(matches!(
        client.lead(1, &[]).await,
        Err(Error::LockedOut { .. })
    ));
    assert!(matches!(
        other.leads(LeadsQuery::new()).collect_all().await,
        Err(Error::LockedOut { .. })
    ));
    assert_eq!(sim.control().counters().total, seen.total);
    assert_eq!(limiter.locked_until(), Some(until));
}

fn error_message_mentions_block(error: &Error) -> bool {
    let text = error.to_string();
    text.contains("blocked") && text.contains("lower the request rate")
}

#[tokio::test]
async fn a_lock_out_without_prior_429s_is_recognised_by_kommo_block_page() {
    let sim = common::start(SimConfig::unlimited().with_leads(10)).await;
    sim.control().lock_out(Duration::from_secs(300));
    let client = common::client(&sim, locking_limiter(), common::quick_retries());
    assert!(matches!(
        client.leads(LeadsQuery::new()).collect_all().await,
        Err(Error::LockedOut { .. })
    ));
    assert!(matches!(
        client.leads(LeadsQuery::new()).collect_all().await,
        Err(Error::LockedOut { .. })
    ));
    assert_eq!(sim.control().counters().total, 1);
}

#[tokio::test]
async fn a_refused_long_lived_token_is_final() {
    let sim = common::start(SimConfig::unlimited().with_leads(10)).await;
    let client = Client::builder(sim.base_url())
        .long_lived_token("not-a-real-token")
        .rate_limiter(common::unthrottled())
        .build()
        .unwrap();
    let error = client
        .leads(LeadsQuery::new())
        .collect_all()
        .await
        .unwrap_err();
    assert!(matches!(&error, Error::Unauthorized { .. }), "{error}");
    assert!(error.to_string().contains("Keys and scopes"));
    assert!(!error.is_retryable());
    let counters = sim.control().counters();
    assert_eq!((counters.total, counters.unauthorized), (1, 1));
}
