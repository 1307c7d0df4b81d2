//! OAuth against the simulator: code exchange, refresh before expiry and after a 401, one
//! refresh for many concurrent calls, the rotated pair saved before use, revoked grants.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use kommo::{
    Client, ClientConfig, Error, ExposeSecret, LeadsQuery, MemoryTokenStore, OAuthApp,
    SecretString, StoreFuture, TokenPair, TokenStore, TokenStoreError,
};
use kommo_sim::{Control, RunningSimulator, SimConfig};
use parking_lot::Mutex;

fn app(sim: &RunningSimulator) -> OAuthApp {
    let app = sim.oauth_app();
    OAuthApp {
        client_id: app.client_id,
        client_secret: SecretString::from(app.client_secret),
        redirect_uri: app.redirect_uri,
    }
}

fn oauth_client(
    sim: &RunningSimulator,
    store: Arc<dyn TokenStore>,
    config: ClientConfig,
) -> Client {
    Client::builder(sim.base_url())
        .oauth(app(sim), store)
        .rate_limiter(common::unthrottled())
        .config(config)
        .build()
        .unwrap()
}

fn leads_read(control: &Control) -> u64 {
    control
        .counters()
        .requests_with_status("GET", "/api/v4/leads", 200)
}

fn grants(control: &Control) -> u64 {
    control
        .counters()
        .requests_to("POST", "/oauth2/access_token")
}

#[tokio::test]
async fn the_code_exchange_saves_the_pair_and_the_client_uses_it() {
    let sim = common::start(SimConfig::unlimited().with_leads(20)).await;
    let store = Arc::new(MemoryTokenStore::new(None));
    let client = oauth_client(&sim, store.clone(), common::quick_retries());
    let error = client
        .leads(LeadsQuery::new())
        .collect_all()
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::ReauthorizationRequired { .. }),
        "{error}"
    );
    assert_eq!(
        sim.control().counters().total,
        0,
        "nothing is sent without a pair"
    );

    let pair = client.exchange_code(&sim.issue_auth_code()).await.unwrap();
    let stored = store.get().expect("the pair was saved");
    assert_eq!(
        stored.access_token.expose_secret(),
        pair.access_token.expose_secret()
    );
    assert!(pair.expires_at > chrono::Utc::now() + chrono::Duration::hours(23));
    assert_eq!(
        client
            .leads(LeadsQuery::new())
            .collect_all()
            .await
            .unwrap()
            .len(),
        20
    );
    assert_eq!(sim.control().counters().tokens_issued, 1);

    // A code is single-use: a second exchange is refused with a re-authorization message.
    let again = client.exchange_code("not-a-code").await.unwrap_err();
    assert!(
        matches!(again, Error::ReauthorizationRequired { .. }),
        "{again}"
    );
}

#[tokio::test]
async fn an_expired_access_token_is_refreshed_before_use() {
    let sim = common::start(SimConfig {
        access_token_ttl: Duration::from_secs(1),
        ..SimConfig::unlimited().with_leads(20)
    })
    .await;
    let store = Arc::new(MemoryTokenStore::new(None));
    let config = ClientConfig {
        refresh_skew: Duration::ZERO,
        ..common::quick_retries()
    };
    let client = oauth_client(&sim, store.clone(), config);
    let first = client.exchange_code(&sim.issue_auth_code()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    client
        .lead(sim.control().lead_ids()[0], &[])
        .await
        .unwrap()
        .expect("lead");
    let counters = sim.control().counters();
    assert_eq!(counters.refreshes, 1);
    assert_eq!(counters.unauthorized, 0, "the expired token was never sent");
    assert_ne!(
        store.get().unwrap().refresh_token.expose_secret(),
        first.refresh_token.expose_secret()
    );
}

#[tokio::test]
async fn a_401_triggers_one_refresh_and_one_retry() {
    let sim = common::start(SimConfig::unlimited().with_leads(20)).await;
    let client = oauth_client(
        &sim,
        Arc::new(MemoryTokenStore::new(None)),
        common::quick_retries(),
    );
    client.exchange_code(&sim.issue_auth_code()).await.unwrap();
    sim.control().expire_access_tokens();
    assert_eq!(
        client
            .leads(LeadsQuery::new())
            .collect_all()
            .await
            .unwrap()
            .len(),
        20
    );
    let counters = sim.control().counters();
    assert_eq!((counters.unauthorized, counters.refreshes), (1, 1));
    assert_eq!(client.refresh_count(), 1);
}

#[tokio::test]
async fn twenty_concurrent_calls_share_a_single_refresh() {
    let sim = common::start(SimConfig::unlimited().with_leads(50)).await;
    let client = oauth_client(
        &sim,
        Arc::new(MemoryTokenStore::new(None)),
        common::quick_retries(),
    );
    client.exchange_code(&sim.issue_auth_code()).await.unwrap();
    sim.control().expire_access_tokens();
    let ids = sim.control().lead_ids();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let client = client.clone();
            let id = ids[i];
            tokio::spawn(async move { client.lead(id, &[]).await })
        })
        .collect();
    for (i, task) in tasks.into_iter().enumerate() {
        assert_eq!(task.await.unwrap().unwrap().expect("lead").id, ids[i]);
    }
    let counters = sim.control().counters();
    assert_eq!(counters.refreshes, 1, "{counters:?}");
    assert_eq!(
        grants(sim.control()),
        2,
        "one code exchange and one refresh"
    );
    assert_eq!(client.refresh_count(), 1);
}

/// Records, at each save, how many lead reads had already succeeded: a pair saved before
/// use was saved while that number was still the one of the previous pair.
struct RecordingStore {
    control: Control,
    inner: MemoryTokenStore,
    saves: Mutex<Vec<(String, u64)>>,
    fail: AtomicBool,
}

impl TokenStore for RecordingStore {
    fn load(&self) -> StoreFuture<'_, Option<TokenPair>> {
        self.inner.load()
    }

    fn save<'a>(&'a self, pair: &'a TokenPair) -> StoreFuture<'a, ()> {
        if self.fail.load(Ordering::SeqCst) {
            return Box::pin(async { Err(TokenStoreError::new("the vault is sealed")) });
        }
        self.saves.lock().push((
            pair.access_token.expose_secret().to_owned(),
            leads_read(&self.control),
        ));
        self.inner.save(pair)
    }
}

fn recording(sim: &RunningSimulator) -> Arc<RecordingStore> {
    Arc::new(RecordingStore {
        control: sim.control().clone(),
        inner: MemoryTokenStore::new(None),
        saves: Mutex::new(Vec::new()),
        fail: AtomicBool::new(false),
    })
}

#[tokio::test]
async fn the_rotated_pair_is_saved_before_it_is_used() {
    let sim = common::start(SimConfig::unlimited().with_leads(20)).await;
    let store = recording(&sim);
    let client = oauth_client(&sim, store.clone(), common::quick_retries());
    client.exchange_code(&sim.issue_auth_code()).await.unwrap();
    client.leads(LeadsQuery::new()).collect_all().await.unwrap();
    sim.control().expire_access_tokens();
    client.leads(LeadsQuery::new()).collect_all().await.unwrap();
    let saves = store.saves.lock().clone();
    assert_eq!(saves.len(), 2);
    // Saved with one successful read behind it (the old pair's); the second read, which
    // could only succeed with the new pair, came after.
    assert_eq!(saves[1].1, 1);
    assert_eq!(leads_read(sim.control()), 2);
    assert_eq!(
        store.inner.get().unwrap().access_token.expose_secret(),
        saves[1].0
    );
}

#[tokio::test]
async fn a_failed_save_fails_the_call_and_the_unsaved_pair_is_never_sent() {
    let sim = common::start(SimConfig::unlimited().with_leads(20)).await;
    let store = recording(&sim);
    let client = oauth_client(&sim, store.clone(), common::quick_retries());
    client.exchange_code(&sim.issue_auth_code()).await.unwrap();
    sim.control().expire_access_tokens();
    store.fail.store(true, Ordering::SeqCst);
    let error = client
        .leads(LeadsQuery::new())
        .collect_all()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::TokenStore { action: "save", .. }),
        "{error}"
    );
    assert_eq!(
        leads_read(sim.control()),
        0,
        "no read succeeded: the new pair was not sent"
    );
    assert_eq!(sim.control().counters().refreshes, 1);

    // Once the store works again the pending pair is saved, then used: no second refresh
    // (which would have been refused, the old refresh token being dead).
    store.fail.store(false, Ordering::SeqCst);
    assert_eq!(
        client
            .leads(LeadsQuery::new())
            .collect_all()
            .await
            .unwrap()
            .len(),
        20
    );
    assert_eq!(sim.control().counters().refreshes, 1);
    assert_eq!(store.saves.lock().len(), 2);
}

#[tokio::test]
async fn a_revoked_refresh_token_requires_reauthorization() {
    let sim = common::start(SimConfig::unlimited().with_leads(20)).await;
    let store = Arc::new(MemoryTokenStore::new(None));
    let client = oauth_client(&sim, store.clone(), common::quick_retries());
    client.exchange_code(&sim.issue_auth_code()).await.unwrap();
    sim.control().revoke_refresh_tokens();
    sim.control().expire_access_tokens();
    let error = client
        .leads(LeadsQuery::new())
        .collect_all()
        .await
        .unwrap_err();
    let Error::ReauthorizationRequired { reason } = &error else {
        panic!("expected re-authorization, got {error}")
    };
    assert!(reason.contains("Token has been revoked"), "{reason}");
    assert!(error.to_string().contains("grant access again"));
    assert!(!error.is_retryable());

    // Known dead: the next call fails without asking Kommo again.
    let grants_before = grants(sim.control());
    assert!(matches!(
        client.leads(LeadsQuery::new()).collect_all().await,
        Err(Error::ReauthorizationRequired { .. })
    ));
    assert_eq!(grants(sim.control()), grants_before);

    // A new authorization brings the client back.
    client.exchange_code(&sim.issue_auth_code()).await.unwrap();
    assert_eq!(
        client
            .leads(LeadsQuery::new())
            .collect_all()
            .await
            .unwrap()
            .len(),
        20
    );
}

#[tokio::test]
async fn a_rotation_by_another_holder_is_adopted_through_the_shared_store_or_revokes_a_stale_copy()
{
    let sim = common::start(SimConfig::unlimited().with_leads(20)).await;
    let shared_store = Arc::new(MemoryTokenStore::new(None));
    let first = oauth_client(&sim, shared_store.clone(), common::quick_retries());
    first.exchange_code(&sim.issue_auth_code()).await.unwrap();
    // Two more holders of the same pair: one reads the shared store, one a private copy.
    let sharing = oauth_client(&sim, shared_store.clone(), common::quick_retries());
    let stale = oauth_client(
        &sim,
        Arc::new(MemoryTokenStore::new(shared_store.get())),
        common::quick_retries(),
    );
    sharing
        .leads(LeadsQuery::new())
        .collect_all()
        .await
        .unwrap();
    stale.leads(LeadsQuery::new()).collect_all().await.unwrap();

    first.refresh_now().await.unwrap();

    // The stale copy refreshes with a dead token: the grant is revoked for it.
    let error = stale.refresh_now().await.unwrap_err();
    assert!(
        matches!(&error, Error::ReauthorizationRequired { reason } if reason.contains("revoked")),
        "{error}"
    );
    // The sharing client finds the rotated pair in the store and takes it without a grant.
    let before = grants(sim.control());
    let adopted = sharing.refresh_now().await.unwrap();
    assert_eq!(grants(sim.control()), before);
    assert_eq!(
        adopted.access_token.expose_secret(),
        shared_store.get().unwrap().access_token.expose_secret()
    );
    assert_eq!(
        sharing
            .leads(LeadsQuery::new())
            .collect_all()
            .await
            .unwrap()
            .len(),
        20
    );
}
