//! What an action runs against: a Kommo client for one account, and (optionally) the store
//! that mirrors it, so that changes are written through before the action returns.

use kommo::{Client, ClientConfig};
use kommo_store::rows::RowTenancy;
use kommo_store::{Integration, Store};
use kommo_sync::connect::{Limiters, client_for};

/// The Kommo account an action acts on. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ActionContext {
    client: Client,
    mirror: Option<Mirror>,
}

/// The store rows of one integration, refreshed after each write.
#[derive(Debug, Clone)]
pub(crate) struct Mirror {
    pub(crate) store: Store,
    pub(crate) tenancy: RowTenancy,
}

impl ActionContext {
    /// Actions through `client` only: nothing is written to a store.
    pub fn new(client: Client) -> Self {
        Self {
            client,
            mirror: None,
        }
    }

    /// Also refresh `integration`'s rows in `store` after every successful write.
    ///
    /// `client` must talk to `integration`'s Kommo account.
    pub fn with_store(client: Client, store: Store, integration: &Integration) -> Self {
        let tenancy = RowTenancy {
            integration_id: integration.id.clone(),
            workspace_id: integration.workspace_id.clone(),
            organization_id: integration.organization_id.clone(),
        };
        Self {
            client,
            mirror: Some(Mirror { store, tenancy }),
        }
    }

    /// The usual set-up: a client for the stored `integration` (its token or OAuth pair, its
    /// rate limiter from `limiters`, shared with sync runs of the same process) that writes
    /// through to `store`.
    pub fn for_integration(
        store: &Store,
        integration: &Integration,
        limiters: &Limiters,
        config: ClientConfig,
    ) -> Result<Self, kommo::Error> {
        let client = client_for(
            store,
            integration,
            limiters.for_integration(integration),
            config,
        )?;
        Ok(Self::with_store(client, store.clone(), integration))
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The integration whose rows are written through, if any.
    pub fn integration_id(&self) -> Option<&str> {
        self.mirror
            .as_ref()
            .map(|m| m.tenancy.integration_id.as_str())
    }

    pub(crate) fn mirror(&self) -> Option<&Mirror> {
        self.mirror.as_ref()
    }
}
