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

/// One rate limiter per integration, for the life of the process. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Limiters {
    inner: Arc<Mutex<HashMap<String, (u32, RateLimiter)>>>,
}

impl Limiters {
    pub fn new() -> Self {
        Self::default()
    }

    /// The integration's limiter at its configured rate (Kommo's 7 a second when unset).
    pub fn for_integration(&self, integration: &Integration) -> RateLimiter {
        let rate = integration.rate_limit_per_second;
        let mut map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        match map.get(&integration.id) {
            Some((known, limiter)) if *known == rate => limiter.clone(),
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
