//! Leases: which worker syncs which integration. A lease is a row lock in time: the owner
//! and an expiry on the integration. A claim takes one integration whose lease is free or
//! expired, in one statement; on Postgres the candidate row is locked `FOR UPDATE SKIP
//! LOCKED` so concurrent claimers pick different integrations instead of queueing, and on
//! SQLite the single writer (`BEGIN IMMEDIATE`) serialises claims. Times come from the
//! caller's clock in Unix milliseconds.

use std::time::Duration;

use crate::db::{Arg, Backend};
use crate::error::StoreError;
use crate::tenancy::IntegrationRecord;
use crate::{Integration, Store, millis, now_millis};

impl Store {
    /// Takes the lease of one integration that nobody holds (or whose lease expired) and
    /// that no worker finished syncing within `not_before_last_sync`; the one synced longest
    /// ago (never synced first) wins. `None` when there is nothing to take.
    pub async fn claim_integration(
        &self,
        worker_id: &str,
        lease: Duration,
        not_before_last_sync: Duration,
    ) -> Result<Option<Integration>, StoreError> {
        if worker_id.is_empty() {
            return Err(StoreError::invalid("worker_id", "must not be empty"));
        }
        let now = now_millis();
        let lock = match self.backend() {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        };
        let order = match self.backend() {
            Backend::Sqlite => "last_sync_at ASC, id ASC",
            Backend::Postgres => "last_sync_at ASC NULLS FIRST, id ASC",
        };
        let sql = format!(
            "UPDATE integrations SET lease_owner = ?, lease_expires_at = ? WHERE id = (\
             SELECT id FROM integrations \
             WHERE (lease_owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at <= ?) \
             AND (last_sync_at IS NULL OR last_sync_at <= ?) \
             ORDER BY {order} LIMIT 1{lock}) \
             AND (lease_owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at <= ?) \
             RETURNING {}",
            IntegrationRecord::columns()
        );
        let row: Option<IntegrationRecord> = self
            .db()
            .write_fetch_optional(
                &sql,
                vec![
                    Arg::str(worker_id),
                    Arg::int(now.saturating_add(millis(lease))),
                    Arg::int(now),
                    Arg::int(now.saturating_sub(millis(not_before_last_sync))),
                    Arg::int(now),
                ],
            )
            .await?;
        row.map(|r| r.decrypt(self)).transpose()
    }

    /// Extends a lease this worker still holds; `false` if it lost it (expired and taken,
    /// or released), in which case the worker must stop syncing that integration.
    pub async fn renew_lease(
        &self,
        integration_id: &str,
        worker_id: &str,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let now = now_millis();
        let changed = self
            .db()
            .execute(
                "UPDATE integrations SET lease_expires_at = ? WHERE id = ? AND lease_owner = ? AND lease_expires_at > ?",
                vec![
                    Arg::int(now.saturating_add(millis(lease))),
                    Arg::str(integration_id),
                    Arg::str(worker_id),
                    Arg::int(now),
                ],
            )
            .await?;
        Ok(changed > 0)
    }

    /// Gives a lease back and records the end of the sync (`last_sync_at`). A lease held by
    /// another worker is left alone.
    pub async fn release_lease(
        &self,
        integration_id: &str,
        worker_id: &str,
    ) -> Result<(), StoreError> {
        self.db()
            .execute(
                "UPDATE integrations SET lease_owner = NULL, lease_expires_at = NULL, last_sync_at = ? \
                 WHERE id = ? AND lease_owner = ?",
                vec![Arg::int(now_millis()), Arg::str(integration_id), Arg::str(worker_id)],
            )
            .await?;
        Ok(())
    }
}
