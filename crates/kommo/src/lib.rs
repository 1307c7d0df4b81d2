//! The Kommo API v4 client: auth, rate limit, retries, pagination, batching.
//!
//! ```no_run
//! # async fn example() -> Result<(), kommo::Error> {
//! use futures::TryStreamExt;
//! use kommo::{Client, Direction, EntityOrder, LeadsQuery, RateLimiter};
//!
//! // One limiter per integration on an account, shared by every client of it.
//! let limiter = RateLimiter::default();
//! let client = Client::builder("https://example.kommo.com").long_lived_token("...").rate_limiter(limiter.clone()).build()?;
//! let mut pages = client.leads(LeadsQuery::new().order(EntityOrder::UpdatedAt, Direction::Asc).updated_between(Some(1_700_000_000), None));
//! while let Some(page) = pages.try_next().await? {
//!     for lead in page.items { let _ = lead.id; }
//! }
//! # Ok(()) }
//! ```
//!
//! Every request goes through the shared [`RateLimiter`] (7 per sliding second by default,
//! no bursts), is retried when that is safe (see [`client`]'s notes), and fails with a typed
//! [`Error`] whose message says what to do.

mod api;
mod auth;
mod batch;
pub mod client;
mod config;
mod error;
mod limiter;
mod page;
pub mod query;

pub use auth::{
    Credentials, MemoryTokenStore, OAuthApp, StoreFuture, TokenPair, TokenStore, TokenStoreError,
};
pub use client::{Client, ClientBuilder};
pub use config::{COMPLEX_ADD_MAX, ClientConfig, DEFAULT_BATCH_SIZE, RetryPolicy};
pub use error::{Applied, Error, ValidationError};
pub use kommo_model as model;
pub use limiter::{DEFAULT_PER_SECOND, LimiterStats, RateLimiter, RateLimiterConfig};
pub use page::{Page, Pages};
pub use query::{
    AccountWith, CompaniesQuery, CompanyWith, ContactWith, ContactsQuery, Direction, EntityOrder,
    EntityType, EventWith, EventsQuery, LeadWith, LeadsQuery, ListQuery, TaskOrder, TasksQuery,
    UserWith, UsersQuery,
};
pub use secrecy::{ExposeSecret, SecretString};
