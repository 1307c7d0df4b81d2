//! An OAuth integration's token pair lives in the store: the Kommo client saves every rotated
//! pair there (encrypted) before using it, so a process killed right after a refresh still
//! finds the live refresh token on its next start.

use chrono::{DateTime, Utc};
use kommo::{StoreFuture, TokenPair, TokenStore, TokenStoreError};
use kommo_store::{ExposeSecret as _, SecretString, Store, StoredTokens};

/// [`TokenStore`] backed by `Store::{load,save}_oauth_tokens` for one integration.
#[derive(Debug, Clone)]
pub struct StoreTokenStore {
    store: Store,
    integration_id: String,
}

impl StoreTokenStore {
    pub fn new(store: Store, integration_id: impl Into<String>) -> Self {
        Self {
            store,
            integration_id: integration_id.into(),
        }
    }
}

impl TokenStore for StoreTokenStore {
    fn load(&self) -> StoreFuture<'_, Option<TokenPair>> {
        Box::pin(async move {
            let stored = self
                .store
                .load_oauth_tokens(&self.integration_id)
                .await
                .map_err(|e| {
                    TokenStoreError::with_source(
                        format!("loading the tokens of integration {}", self.integration_id),
                        e,
                    )
                })?;
            Ok(stored.map(|t| TokenPair {
                access_token: SecretString::from(t.access_token.expose_secret().to_owned()),
                refresh_token: SecretString::from(t.refresh_token.expose_secret().to_owned()),
                expires_at: DateTime::<Utc>::from_timestamp(t.expires_at, 0)
                    .unwrap_or(DateTime::<Utc>::UNIX_EPOCH),
            }))
        })
    }

    fn save<'a>(&'a self, pair: &'a TokenPair) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let tokens = StoredTokens {
                access_token: SecretString::from(pair.access_token.expose_secret().to_owned()),
                refresh_token: SecretString::from(pair.refresh_token.expose_secret().to_owned()),
                expires_at: pair.expires_at.timestamp(),
            };
            self.store
                .save_oauth_tokens(&self.integration_id, &tokens)
                .await
                .map_err(|e| {
                    TokenStoreError::with_source(
                        format!("saving the tokens of integration {}", self.integration_id),
                        e,
                    )
                })
        })
    }
}
