//! Credentials: long-lived tokens, and OAuth 2.0 with single-flight refresh and a
//! [`TokenStore`] that receives every rotated pair before it is used.
//!
//! Kommo refresh tokens are single-use: the moment a refresh succeeds, the old refresh token
//! is dead. Two refreshes racing with the same token, or a new pair lost before it was
//! saved, leave the integration unusable until a person re-authorizes it. Hence: one refresh
//! at a time per account (a tokio mutex that concurrent callers wait on and then reuse the
//! result of), the store written before the pair is used, and no pair used if that write
//! fails.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use kommo_model::{TokenGrant, TokenResponse};
use secrecy::{ExposeSecret, SecretString};
use tracing::{debug, info, warn};

use crate::error::Error;

/// An access token and the refresh token that renews it.
#[derive(Clone)]
pub struct TokenPair {
    pub access_token: SecretString,
    pub refresh_token: SecretString,
    /// When Kommo stops accepting the access token.
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenPair")
            .field("access_token", &"[REDACTED]")
            .field("refresh_token", &"[REDACTED]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl TokenPair {
    pub fn new(
        access_token: impl Into<String>,
        refresh_token: impl Into<String>,
        expires_at: DateTime<Utc>,
    ) -> Self {
        Self {
            access_token: SecretString::from(access_token.into()),
            refresh_token: SecretString::from(refresh_token.into()),
            expires_at,
        }
    }

    /// The pair of a token response received at `received_at`.
    pub fn from_response(response: &TokenResponse, received_at: DateTime<Utc>) -> Self {
        Self {
            access_token: SecretString::from(response.access_token.clone()),
            refresh_token: SecretString::from(response.refresh_token.clone()),
            expires_at: received_at + chrono::Duration::seconds(response.expires_in.max(0)),
        }
    }

    /// Whether the access token expires within `skew` of `now`.
    pub fn expires_within(&self, skew: std::time::Duration, now: DateTime<Utc>) -> bool {
        let skew = chrono::Duration::from_std(skew).unwrap_or(chrono::Duration::MAX);
        now.checked_add_signed(skew)
            .is_none_or(|limit| limit >= self.expires_at)
    }

    fn same_refresh(&self, other: &TokenPair) -> bool {
        self.refresh_token.expose_secret() == other.refresh_token.expose_secret()
    }
}

/// An OAuth integration's credentials, from its settings in Kommo.
#[derive(Debug, Clone)]
pub struct OAuthApp {
    pub client_id: String,
    pub client_secret: SecretString,
    pub redirect_uri: String,
}

/// A token store failure, with what the store was doing.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct TokenStoreError {
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl TokenStoreError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }

    pub fn with_source(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }
}

/// The future a [`TokenStore`] returns: boxed so that the trait stays object-safe.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, TokenStoreError>> + Send + 'a>>;

/// Where an account's OAuth pair lives between calls and processes.
///
/// `save` must be durable when it returns `Ok`: the client uses a rotated pair only after
/// that, because the previous refresh token is already dead.
pub trait TokenStore: Send + Sync {
    fn load(&self) -> StoreFuture<'_, Option<TokenPair>>;
    fn save<'a>(&'a self, pair: &'a TokenPair) -> StoreFuture<'a, ()>;
}

/// A [`TokenStore`] in memory: for tests, and for processes that get their pair elsewhere.
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    pair: parking_lot::Mutex<Option<TokenPair>>,
}

impl MemoryTokenStore {
    pub fn new(pair: Option<TokenPair>) -> Self {
        Self {
            pair: parking_lot::Mutex::new(pair),
        }
    }

    pub fn get(&self) -> Option<TokenPair> {
        self.pair.lock().clone()
    }
}

impl TokenStore for MemoryTokenStore {
    fn load(&self) -> StoreFuture<'_, Option<TokenPair>> {
        let pair = self.pair.lock().clone();
        Box::pin(async move { Ok(pair) })
    }

    fn save<'a>(&'a self, pair: &'a TokenPair) -> StoreFuture<'a, ()> {
        *self.pair.lock() = Some(pair.clone());
        Box::pin(async { Ok(()) })
    }
}

/// How a client proves who it is.
#[derive(Clone)]
pub enum Credentials {
    /// A long-lived token of a private integration: no refresh; a 401 is final.
    LongLived(SecretString),
    /// OAuth 2.0: the pair comes from (and rotated pairs go to) `store`.
    OAuth {
        app: OAuthApp,
        store: Arc<dyn TokenStore>,
    },
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LongLived(_) => f.write_str("Credentials::LongLived([REDACTED])"),
            Self::OAuth { app, .. } => f
                .debug_struct("Credentials::OAuth")
                .field("client_id", &app.client_id)
                .finish_non_exhaustive(),
        }
    }
}

/// Sends a grant to `POST /oauth2/access_token`. The client implements it over HTTP; tests
/// substitute a fake.
pub(crate) trait GrantSender: Send + Sync {
    fn send_grant(
        &self,
        grant: TokenGrant,
    ) -> impl Future<Output = Result<TokenResponse, Error>> + Send;
}

/// The live OAuth state of one account.
pub(crate) struct OAuthState {
    app: OAuthApp,
    store: Arc<dyn TokenStore>,
    refresh_skew: std::time::Duration,
    slot: tokio::sync::Mutex<Slot>,
    refreshes: std::sync::atomic::AtomicU64,
}

impl fmt::Debug for OAuthState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthState")
            .field("client_id", &self.app.client_id)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Slot {
    /// The pair in use: always one the store has accepted.
    current: Option<TokenPair>,
    /// A rotated pair whose save failed: saved (then used) on the next call.
    unsaved: Option<TokenPair>,
    /// Why the grant is known dead, and the refresh token that died.
    revoked: Option<(String, SecretString)>,
}

impl OAuthState {
    pub(crate) fn new(
        app: OAuthApp,
        store: Arc<dyn TokenStore>,
        refresh_skew: std::time::Duration,
    ) -> Self {
        Self {
            app,
            store,
            refresh_skew,
            slot: tokio::sync::Mutex::new(Slot::default()),
            refreshes: 0.into(),
        }
    }

    /// Refreshes performed by this client (successful grants), for tests and logs.
    pub(crate) fn refresh_count(&self) -> u64 {
        self.refreshes.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A valid access token, refreshing first if it expires soon.
    pub(crate) async fn access_token(
        &self,
        sender: &impl GrantSender,
    ) -> Result<SecretString, Error> {
        let mut slot = self.slot.lock().await;
        self.ready(&mut slot).await?;
        let needs_refresh = slot
            .current
            .as_ref()
            .is_some_and(|pair| pair.expires_within(self.refresh_skew, Utc::now()));
        if needs_refresh {
            debug!("access token expires soon: refreshing before use");
            self.refresh_locked(&mut slot, sender).await?;
        }
        current_access(&slot)
    }

    /// Kommo refused `used` (401): refresh once, unless another caller already replaced it.
    pub(crate) async fn after_unauthorized(
        &self,
        used: &SecretString,
        sender: &impl GrantSender,
    ) -> Result<SecretString, Error> {
        let mut slot = self.slot.lock().await;
        self.ready(&mut slot).await?;
        let still_current = slot
            .current
            .as_ref()
            .is_some_and(|pair| pair.access_token.expose_secret() == used.expose_secret());
        if still_current {
            info!("Kommo refused the access token: refreshing once");
            self.refresh_locked(&mut slot, sender).await?;
        }
        current_access(&slot)
    }

    /// Refreshes now, whatever the expiry: keeps an idle grant alive (refresh tokens die
    /// after three months unused).
    pub(crate) async fn force_refresh(
        &self,
        sender: &impl GrantSender,
    ) -> Result<TokenPair, Error> {
        let mut slot = self.slot.lock().await;
        self.ready(&mut slot).await?;
        self.refresh_locked(&mut slot, sender).await?;
        slot.current.clone().ok_or_else(no_pair)
    }

    /// Exchanges an authorization code for a pair, saves it, then starts using it.
    pub(crate) async fn exchange_code(
        &self,
        code: &str,
        sender: &impl GrantSender,
    ) -> Result<TokenPair, Error> {
        let mut slot = self.slot.lock().await;
        let grant = TokenGrant::AuthorizationCode {
            client_id: self.app.client_id.clone(),
            client_secret: self.app.client_secret.expose_secret().to_owned(),
            code: code.to_owned(),
            redirect_uri: self.app.redirect_uri.clone(),
        };
        let response = sender.send_grant(grant).await?;
        let pair = TokenPair::from_response(&response, Utc::now());
        slot.unsaved = None;
        slot.revoked = None;
        self.save_then_use(&mut slot, pair).await?;
        slot.current.clone().ok_or_else(no_pair)
    }

    /// Loads the pair if none is held, saves a pending one, and fails fast on a dead grant
    /// unless the store now holds a different (re-authorized) pair.
    async fn ready(&self, slot: &mut Slot) -> Result<(), Error> {
        if let Some(pending) = slot.unsaved.take() {
            self.save_then_use(slot, pending).await?;
        }
        if let Some((reason, dead)) = &slot.revoked {
            let stored = self.load().await?;
            match stored {
                Some(pair) if pair.refresh_token.expose_secret() != dead.expose_secret() => {
                    info!("the token store holds a new pair: using it");
                    slot.revoked = None;
                    slot.current = Some(pair);
                }
                _ => {
                    return Err(Error::ReauthorizationRequired {
                        reason: reason.clone(),
                    });
                }
            }
        }
        if slot.current.is_none() {
            slot.current = self.load().await?;
        }
        if slot.current.is_none() {
            return Err(Error::ReauthorizationRequired {
                reason: "the token store holds no token pair for this account yet".to_owned(),
            });
        }
        Ok(())
    }

    async fn refresh_locked(
        &self,
        slot: &mut Slot,
        sender: &impl GrantSender,
    ) -> Result<(), Error> {
        let Some(current) = slot.current.clone() else {
            return Err(no_pair());
        };
        // Another process sharing the store may have rotated the pair already; refreshing
        // with the old token now would revoke the whole grant.
        if let Some(stored) = self.load().await?
            && !stored.same_refresh(&current)
            && !stored.expires_within(self.refresh_skew, Utc::now())
        {
            info!("the token store holds a newer pair: using it instead of refreshing");
            slot.current = Some(stored);
            return Ok(());
        }
        let grant = TokenGrant::RefreshToken {
            client_id: self.app.client_id.clone(),
            client_secret: self.app.client_secret.expose_secret().to_owned(),
            refresh_token: current.refresh_token.expose_secret().to_owned(),
            redirect_uri: self.app.redirect_uri.clone(),
        };
        let response = match sender.send_grant(grant).await {
            Ok(response) => response,
            Err(Error::ReauthorizationRequired { reason }) => {
                warn!(%reason, "Kommo refused the refresh token: the integration must be re-authorized");
                slot.current = None;
                slot.revoked = Some((reason.clone(), current.refresh_token.clone()));
                return Err(Error::ReauthorizationRequired { reason });
            }
            Err(other) => return Err(other),
        };
        self.refreshes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let pair = TokenPair::from_response(&response, Utc::now());
        // The old refresh token is dead from here on: the held pair goes either way.
        slot.current = None;
        self.save_then_use(slot, pair).await
    }

    async fn save_then_use(&self, slot: &mut Slot, pair: TokenPair) -> Result<(), Error> {
        match self.store.save(&pair).await {
            Ok(()) => {
                slot.current = Some(pair);
                Ok(())
            }
            Err(source) => {
                warn!(error = %source, "could not save the rotated token pair: not using it; will save it again on the next call");
                slot.current = None;
                slot.unsaved = Some(pair);
                Err(Error::TokenStore {
                    action: "save",
                    source,
                })
            }
        }
    }

    async fn load(&self) -> Result<Option<TokenPair>, Error> {
        self.store.load().await.map_err(|source| Error::TokenStore {
            action: "load",
            source,
        })
    }
}

fn current_access(slot: &Slot) -> Result<SecretString, Error> {
    slot.current
        .as_ref()
        .map(|pair| pair.access_token.clone())
        .ok_or_else(no_pair)
}

fn no_pair() -> Error {
    Error::ReauthorizationRequired {
        reason: "no usable token pair is held for this account".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    /// Records the order of events: grants sent, pairs saved, tokens handed out.
    #[derive(Default)]
    struct Journal(parking_lot::Mutex<Vec<String>>);

    impl Journal {
        fn push(&self, entry: String) {
            self.0.lock().push(entry);
        }
        fn entries(&self) -> Vec<String> {
            self.0.lock().clone()
        }
    }

    struct FakeKommo {
        journal: Arc<Journal>,
        issued: AtomicU64,
        revoke: bool,
    }

    impl GrantSender for FakeKommo {
        async fn send_grant(&self, grant: TokenGrant) -> Result<TokenResponse, Error> {
            // Let concurrent callers pile up on the mutex while the "request" is in flight.
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            if self.revoke {
                return Err(Error::ReauthorizationRequired {
                    reason: "Token has been revoked".into(),
                });
            }
            let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
            let kind = match grant {
                TokenGrant::AuthorizationCode { .. } => "code",
                TokenGrant::RefreshToken { .. } => "refresh",
            };
            self.journal.push(format!("grant:{kind}:{n}"));
            Ok(TokenResponse {
                token_type: "Bearer".into(),
                expires_in: 86_400,
                server_time: None,
                access_token: format!("access-{n}"),
                refresh_token: format!("refresh-{n}"),
            })
        }
    }

    struct JournalStore {
        journal: Arc<Journal>,
        inner: MemoryTokenStore,
        fail_saves: parking_lot::Mutex<u32>,
    }

    impl TokenStore for JournalStore {
        fn load(&self) -> StoreFuture<'_, Option<TokenPair>> {
            self.inner.load()
        }
        fn save<'a>(&'a self, pair: &'a TokenPair) -> StoreFuture<'a, ()> {
            let mut fails = self.fail_saves.lock();
            if *fails > 0 {
                *fails -= 1;
                self.journal.push("save-failed".into());
                return Box::pin(async { Err(TokenStoreError::new("disk full")) });
            }
            self.journal
                .push(format!("saved:{}", pair.access_token.expose_secret()));
            self.inner.save(pair)
        }
    }

    fn setup(
        initial: Option<TokenPair>,
        fail_saves: u32,
        revoke: bool,
    ) -> (
        Arc<OAuthState>,
        Arc<FakeKommo>,
        Arc<Journal>,
        Arc<JournalStore>,
    ) {
        let journal = Arc::new(Journal::default());
        let store = Arc::new(JournalStore {
            journal: journal.clone(),
            inner: MemoryTokenStore::new(initial),
            fail_saves: parking_lot::Mutex::new(fail_saves),
        });
        let app = OAuthApp {
            client_id: "id".into(),
            client_secret: SecretString::from("secret".to_owned()),
            redirect_uri: "https://example.test/cb".into(),
        };
        let state = Arc::new(OAuthState::new(
            app,
            store.clone(),
            std::time::Duration::from_secs(60),
        ));
        let kommo = Arc::new(FakeKommo {
            journal: journal.clone(),
            issued: AtomicU64::new(0),
            revoke,
        });
        (state, kommo, journal, store)
    }

    fn expired() -> TokenPair {
        TokenPair::new(
            "access-0",
            "refresh-0",
            Utc::now() - chrono::Duration::seconds(5),
        )
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_refresh() {
        let (state, kommo, journal, _) = setup(Some(expired()), 0, false);
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (state, kommo) = (state.clone(), kommo.clone());
            tasks.push(tokio::spawn(async move {
                state
                    .access_token(&*kommo)
                    .await
                    .map(|t| t.expose_secret().to_owned())
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap(), "access-1");
        }
        assert_eq!(kommo.issued.load(Ordering::SeqCst), 1);
        assert_eq!(journal.entries(), vec!["grant:refresh:1", "saved:access-1"]);
        assert_eq!(state.refresh_count(), 1);
    }

    #[tokio::test]
    async fn unauthorized_refreshes_once_for_all_holders_of_the_old_token() {
        let fresh = TokenPair::new(
            "access-0",
            "refresh-0",
            Utc::now() + chrono::Duration::hours(1),
        );
        let (state, kommo, _, _) = setup(Some(fresh), 0, false);
        let old = state.access_token(&*kommo).await.unwrap();
        let first = state.after_unauthorized(&old, &*kommo).await.unwrap();
        let second = state.after_unauthorized(&old, &*kommo).await.unwrap();
        assert_eq!(first.expose_secret(), "access-1");
        assert_eq!(second.expose_secret(), "access-1");
        assert_eq!(kommo.issued.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn failed_save_means_the_pair_is_not_used_until_saved() {
        let (state, kommo, journal, store) = setup(Some(expired()), 1, false);
        let error = state.access_token(&*kommo).await.unwrap_err();
        assert!(
            matches!(error, Error::TokenStore { action: "save", .. }),
            "{error}"
        );
        // The store still holds the dead pair; nothing was handed out.
        assert_eq!(
            store.inner.get().unwrap().access_token.expose_secret(),
            "access-0"
        );
        // Next call: the pending pair is saved first, then used, without a second refresh.
        let token = state.access_token(&*kommo).await.unwrap();
        assert_eq!(token.expose_secret(), "access-1");
        assert_eq!(
            journal.entries(),
            vec!["grant:refresh:1", "save-failed", "saved:access-1"]
        );
    }

    #[tokio::test]
    async fn revoked_refresh_token_requires_reauthorization_and_fails_fast() {
        let (state, kommo, _, store) = setup(Some(expired()), 0, true);
        let error = state.access_token(&*kommo).await.unwrap_err();
        assert!(
            matches!(&error, Error::ReauthorizationRequired { reason } if reason.contains("revoked")),
            "{error}"
        );
        assert!(matches!(
            state.access_token(&*kommo).await,
            Err(Error::ReauthorizationRequired { .. })
        ));
        // Re-authorized elsewhere: the new stored pair is picked up.
        store
            .inner
            .save(&TokenPair::new(
                "access-new",
                "refresh-new",
                Utc::now() + chrono::Duration::hours(1),
            ))
            .await
            .unwrap();
        assert_eq!(
            state.access_token(&*kommo).await.unwrap().expose_secret(),
            "access-new"
        );
    }

    #[tokio::test]
    async fn newer_pair_in_store_is_adopted_instead_of_refreshing() {
        let (state, kommo, _, store) = setup(Some(expired()), 0, false);
        // Load the expired pair, then another process rotates it.
        {
            let mut slot = state.slot.lock().await;
            state.ready(&mut slot).await.unwrap();
        }
        store
            .inner
            .save(&TokenPair::new(
                "access-other",
                "refresh-other",
                Utc::now() + chrono::Duration::hours(1),
            ))
            .await
            .unwrap();
        assert_eq!(
            state.access_token(&*kommo).await.unwrap().expose_secret(),
            "access-other"
        );
        assert_eq!(kommo.issued.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn empty_store_asks_for_authorization_and_code_exchange_saves_first() {
        let (state, kommo, journal, _) = setup(None, 0, false);
        assert!(matches!(
            state.access_token(&*kommo).await,
            Err(Error::ReauthorizationRequired { .. })
        ));
        let pair = state.exchange_code("code", &*kommo).await.unwrap();
        assert_eq!(pair.access_token.expose_secret(), "access-1");
        assert_eq!(journal.entries(), vec!["grant:code:1", "saved:access-1"]);
        assert_eq!(
            state.access_token(&*kommo).await.unwrap().expose_secret(),
            "access-1"
        );
    }

    #[test]
    fn debug_never_shows_tokens() {
        let pair = TokenPair::new("sekrit-access", "sekrit-refresh", Utc::now());
        let text = format!(
            "{pair:?} {:?}",
            Credentials::LongLived(SecretString::from("sekrit-ll".to_owned()))
        );
        assert!(!text.contains("sekrit"), "{text}");
    }
}
