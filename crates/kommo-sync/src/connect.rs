//! A Kommo client for a stored integration, with the integration's own rate limiter.
//!
//! Limiters live in a registry shared by every run of the process: back-to-back runs of one
//! integration (watch mode, the scheduler) then share one sliding window instead of each
//! starting a fresh one and together exceeding the limit at the boundary.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};

use kommo::{Client, ClientConfig, OAuthApp, RateLimiter};
use kommo_store::{ExposeSecret as _, Integration, IntegrationAuth, Store};

use crate::tokens::StoreTokenStore;

/// The rate recorded for a pinned limiter: never a configured one.
const PINNED: u32 = u32::MAX;

/// One rate limiter per integration, for the life of the process. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Limiters {
    inner: Arc<Mutex<HashMap<String, (u32, RateLimiter)>>>,
}

impl Limiters {
    pub fn new() -> Self {
        Self::default()
    }

    /// Uses `limiter` for `integration_id` from now on, whatever its stored rate: to share
    /// one budget with other clients of the same integration in this process (actions
    /// next to the sync in `serve`), or to pace a run differently (benchmarks).
    pub fn pin(&self, integration_id: &str, limiter: RateLimiter) {
        let mut map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        map.insert(integration_id.to_owned(), (PINNED, limiter));
    }

    /// The integration's limiter at its configured rate (Kommo's 7 a second when unset).
    pub fn for_integration(&self, integration: &Integration) -> RateLimiter {
        let rate = integration.rate_limit_per_second;
        let mut map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        match map.get(&integration.id) {
            Some((known, limiter)) if *known == rate || *known == PINNED => limiter.clone(),
            _ => {
                let limiter =
                    RateLimiter::new(NonZeroU32::new(rate).unwrap_or(kommo::DEFAULT_PER_SECOND));
                map.insert(integration.id.clone(), (rate, limiter.clone()));
                limiter
            }
        }
    }
}

/// A client for `integration`: its long-lived token, or its OAuth app with the token pair
/// kept in `store`.
pub fn client_for(
    store: &Store,
    integration: &Integration,
    limiter: RateLimiter,
    config: ClientConfig,
) -> Result<Client, kommo::Error> {
    let builder = Client::builder(integration.base_url.clone())
        .config(config)
        .rate_limiter(limiter);
    let builder = match &integration.auth {
        IntegrationAuth::LongLivedToken(token) => builder.long_lived_token(token.expose_secret()),
        IntegrationAuth::OAuth {
            client_id,
            client_secret,
            redirect_uri,
        } => builder.oauth(
            OAuthApp {
                client_id: client_id.clone(),
                client_secret: client_secret.clone(),
                redirect_uri: redirect_uri.clone(),
            },
            Arc::new(StoreTokenStore::new(store.clone(), integration.id.clone())),
        ),
    };
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn integration(rate: u32) -> Integration {
        Integration {
            id: "i".into(),
            organization_id: "o".into(),
            workspace_id: "w".into(),
            base_url: "http://127.0.0.1:1".into(),
            auth: IntegrationAuth::LongLivedToken(kommo_store::SecretString::from("t".to_owned())),
            rate_limit_per_second: rate,
            created_at: 0,
            lease_owner: None,
            lease_expires_at: None,
            last_sync_at: None,
        }
    }

    #[test]
    fn the_limiter_follows_the_rate_unless_pinned() {
        let limiters = Limiters::new();
        assert_eq!(
            limiters
                .for_integration(&integration(7))
                .config()
                .per_second
                .get(),
            7
        );
        let b = limiters.for_integration(&integration(3));
        assert_eq!(b.config().per_second.get(), 3);
        limiters.pin("i", RateLimiter::new(NonZeroU32::MIN));
        assert_eq!(
            limiters
                .for_integration(&integration(9))
                .config()
                .per_second
                .get(),
            1
        );
    }
}
