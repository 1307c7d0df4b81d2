//! Organizations, workspaces, integrations (with their encrypted secrets) and API credentials.

use secrecy::{ExposeSecret as _, SecretString};

use crate::db::{Arg, placeholders};
use crate::error::{StoreError, conflict_or};
use crate::keys::random_token;
use crate::model::{
    IntegrationAuth, NewCredentials, NewIntegration, Organization, StoredTokens, Workspace,
};
use crate::query::Grant;
use crate::{Integration, Store, now_millis};

const INTEGRATION_COLUMNS: &str = "id, organization_id, workspace_id, base_url, auth_kind, long_lived_token, \
     oauth_client_id, oauth_client_secret, oauth_redirect_uri, rate_limit_per_second, created_at, lease_owner, \
     lease_expires_at, last_sync_at";

#[derive(sqlx::FromRow)]
pub(crate) struct IntegrationRecord {
    id: String,
    organization_id: String,
    workspace_id: String,
    base_url: String,
    auth_kind: String,
    long_lived_token: Option<Vec<u8>>,
    oauth_client_id: Option<String>,
    oauth_client_secret: Option<Vec<u8>>,
    oauth_redirect_uri: Option<String>,
    rate_limit_per_second: i64,
    created_at: i64,
    lease_owner: Option<String>,
    lease_expires_at: Option<i64>,
    last_sync_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct OrganizationRecord {
    id: String,
    name: String,
    created_at: i64,
}

#[derive(sqlx::FromRow)]
struct WorkspaceRecord {
    id: String,
    organization_id: String,
    name: String,
    created_at: i64,
}

#[derive(sqlx::FromRow)]
struct TokenRecord {
    access_token: Option<Vec<u8>>,
    refresh_token: Option<Vec<u8>>,
    token_expires_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct CredentialRecord {
    organization_id: String,
    secret_hash: Vec<u8>,
    requests_per_minute: i64,
}

#[derive(sqlx::FromRow)]
struct IdRecord {
    id: String,
}

fn token_context(integration_id: &str, field: &str) -> String {
    format!("integration:{integration_id}:{field}")
}

fn check_id(field: &str, value: &str) -> Result<(), StoreError> {
    if value.is_empty() || value.len() > 200 || value.chars().any(char::is_control) {
        return Err(StoreError::invalid(
            field,
            "must be 1 to 200 printable characters",
        ));
    }
    Ok(())
}

impl IntegrationRecord {
    pub(crate) fn columns() -> &'static str {
        INTEGRATION_COLUMNS
    }

    pub(crate) fn decrypt(self, store: &Store) -> Result<Integration, StoreError> {
        let keys = store.keys();
        let auth = match self.auth_kind.as_str() {
            "long_lived_token" => {
                let sealed = self.long_lived_token.ok_or_else(|| {
                    StoreError::Crypto(format!(
                        "integration {} has no long-lived token stored",
                        self.id
                    ))
                })?;
                IntegrationAuth::LongLivedToken(SecretString::from(
                    keys.open(&token_context(&self.id, "long_lived_token"), &sealed)?,
                ))
            }
            _ => {
                let secret = match self.oauth_client_secret {
                    Some(sealed) => {
                        keys.open(&token_context(&self.id, "oauth_client_secret"), &sealed)?
                    }
                    None => String::new(),
                };
                IntegrationAuth::OAuth {
                    client_id: self.oauth_client_id.unwrap_or_default(),
                    client_secret: SecretString::from(secret),
                    redirect_uri: self.oauth_redirect_uri.unwrap_or_default(),
                }
            }
        };
        Ok(Integration {
            id: self.id,
            organization_id: self.organization_id,
            workspace_id: self.workspace_id,
            base_url: self.base_url,
            auth,
            rate_limit_per_second: u32::try_from(self.rate_limit_per_second).unwrap_or(u32::MAX),
            created_at: self.created_at,
            lease_owner: self.lease_owner,
            lease_expires_at: self.lease_expires_at,
            last_sync_at: self.last_sync_at,
        })
    }
}

impl Store {
    /// Creates an organization; `Conflict` if the id is taken.
    pub async fn create_organization(
        &self,
        id: &str,
        name: &str,
    ) -> Result<Organization, StoreError> {
        check_id("organization id", id)?;
        let created_at = now_millis();
        self.db()
            .execute(
                "INSERT INTO organizations (id, name, created_at) VALUES (?, ?, ?)",
                vec![Arg::str(id), Arg::str(name), Arg::int(created_at)],
            )
            .await
            .map_err(|e| conflict_or(e, || format!("organization {id}")))?;
        Ok(Organization {
            id: id.to_owned(),
            name: name.to_owned(),
            created_at,
        })
    }

    pub async fn organizations(&self) -> Result<Vec<Organization>, StoreError> {
        let rows: Vec<OrganizationRecord> = self
            .db()
            .fetch_all(
                "SELECT id, name, created_at FROM organizations ORDER BY id",
                vec![],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| Organization {
                id: r.id,
                name: r.name,
                created_at: r.created_at,
            })
            .collect())
    }

    /// Creates a workspace in an existing organization.
    pub async fn create_workspace(
        &self,
        organization_id: &str,
        id: &str,
        name: &str,
    ) -> Result<Workspace, StoreError> {
        check_id("workspace id", id)?;
        let created_at = now_millis();
        let mut tx = self.db().begin().await?;
        let org: Option<IdRecord> = tx
            .fetch_optional(
                "SELECT id FROM organizations WHERE id = ?",
                vec![Arg::str(organization_id)],
            )
            .await?;
        if org.is_none() {
            return Err(StoreError::not_found(format!(
                "organization {organization_id}"
            )));
        }
        tx.execute(
            "INSERT INTO workspaces (id, organization_id, name, created_at, key) \
             VALUES (?, ?, ?, ?, (SELECT COALESCE(MAX(key), 0) + 1 FROM workspaces))",
            vec![
                Arg::str(id),
                Arg::str(organization_id),
                Arg::str(name),
                Arg::int(created_at),
            ],
        )
        .await
        .map_err(|e| conflict_or(e, || format!("workspace {id}")))?;
        tx.commit().await?;
        Ok(Workspace {
            id: id.to_owned(),
            organization_id: organization_id.to_owned(),
            name: name.to_owned(),
            created_at,
        })
    }

    pub async fn workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
        let rows: Vec<WorkspaceRecord> = self
            .db()
            .fetch_all(
                "SELECT id, organization_id, name, created_at FROM workspaces ORDER BY id",
                vec![],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| Workspace {
                id: r.id,
                organization_id: r.organization_id,
                name: r.name,
                created_at: r.created_at,
            })
            .collect())
    }

    /// Registers a Kommo account in a workspace; its secrets are encrypted before they are stored.
    pub async fn create_integration(&self, new: NewIntegration) -> Result<Integration, StoreError> {
        check_id("integration id", &new.id)?;
        if url::Url::parse(&new.base_url).is_err() {
            return Err(StoreError::invalid(
                "base_url",
                format!("expected an absolute URL, got {:?}", new.base_url),
            ));
        }
        if new.rate_limit_per_second == 0 {
            return Err(StoreError::invalid(
                "rate_limit_per_second",
                "must be at least 1",
            ));
        }
        let keys = self.keys();
        let (kind, token, client_id, client_secret, redirect_uri) = match &new.auth {
            IntegrationAuth::LongLivedToken(token) => (
                "long_lived_token",
                Some(keys.seal(
                    &token_context(&new.id, "long_lived_token"),
                    token.expose_secret(),
                )?),
                None,
                None,
                None,
            ),
            IntegrationAuth::OAuth {
                client_id,
                client_secret,
                redirect_uri,
            } => (
                "oauth",
                None,
                Some(client_id.as_str()),
                Some(keys.seal(
                    &token_context(&new.id, "oauth_client_secret"),
                    client_secret.expose_secret(),
                )?),
                Some(redirect_uri.as_str()),
            ),
        };
        let mut tx = self.db().begin().await?;
        let workspace: Option<WorkspaceRecord> = tx
            .fetch_optional(
                "SELECT id, organization_id, name, created_at FROM workspaces WHERE id = ?",
                vec![Arg::str(&new.workspace_id)],
            )
            .await?;
        let Some(workspace) = workspace else {
            return Err(StoreError::not_found(format!(
                "workspace {}",
                new.workspace_id
            )));
        };
        let created_at = now_millis();
        tx.execute(
            "INSERT INTO integrations (id, organization_id, workspace_id, base_url, auth_kind, long_lived_token, \
             oauth_client_id, oauth_client_secret, oauth_redirect_uri, rate_limit_per_second, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                Arg::str(&new.id),
                Arg::str(&workspace.organization_id),
                Arg::str(&workspace.id),
                Arg::str(&new.base_url),
                Arg::str(kind),
                Arg::Bytes(token),
                Arg::opt_str(client_id),
                Arg::Bytes(client_secret),
                Arg::opt_str(redirect_uri),
                Arg::int(i64::from(new.rate_limit_per_second)),
                Arg::int(created_at),
            ],
        )
        .await
        .map_err(|e| conflict_or(e, || format!("integration {}", new.id)))?;
        tx.commit().await?;
        Ok(Integration {
            id: new.id,
            organization_id: workspace.organization_id,
            workspace_id: workspace.id,
            base_url: new.base_url,
            auth: new.auth,
            rate_limit_per_second: new.rate_limit_per_second,
            created_at,
            lease_owner: None,
            lease_expires_at: None,
            last_sync_at: None,
        })
    }

    /// Every integration, by id.
    pub async fn integrations(&self) -> Result<Vec<Integration>, StoreError> {
        let sql = format!("SELECT {INTEGRATION_COLUMNS} FROM integrations ORDER BY id");
        let rows: Vec<IntegrationRecord> = self.db().fetch_all(&sql, vec![]).await?;
        rows.into_iter().map(|r| r.decrypt(self)).collect()
    }

    pub async fn integration(&self, id: &str) -> Result<Option<Integration>, StoreError> {
        let sql = format!("SELECT {INTEGRATION_COLUMNS} FROM integrations WHERE id = ?");
        let row: Option<IntegrationRecord> =
            self.db().fetch_optional(&sql, vec![Arg::str(id)]).await?;
        row.map(|r| r.decrypt(self)).transpose()
    }

    /// Replaces the integration's OAuth token pair (encrypted). Call it with a rotated
    /// refresh token before using the new access token.
    pub async fn save_oauth_tokens(
        &self,
        integration_id: &str,
        tokens: &StoredTokens,
    ) -> Result<(), StoreError> {
        let keys = self.keys();
        let access = keys.seal(
            &token_context(integration_id, "access_token"),
            tokens.access_token.expose_secret(),
        )?;
        let refresh = keys.seal(
            &token_context(integration_id, "refresh_token"),
            tokens.refresh_token.expose_secret(),
        )?;
        let changed = self
            .db()
            .execute(
                "UPDATE integrations SET access_token = ?, refresh_token = ?, token_expires_at = ? WHERE id = ?",
                vec![Arg::Bytes(Some(access)), Arg::Bytes(Some(refresh)), Arg::int(tokens.expires_at), Arg::str(integration_id)],
            )
            .await?;
        if changed == 0 {
            return Err(StoreError::not_found(format!(
                "integration {integration_id}"
            )));
        }
        Ok(())
    }

    /// The integration's OAuth token pair, or `None` if none was saved (or no such integration).
    pub async fn load_oauth_tokens(
        &self,
        integration_id: &str,
    ) -> Result<Option<StoredTokens>, StoreError> {
        let row: Option<TokenRecord> = self
            .db()
            .fetch_optional(
                "SELECT access_token, refresh_token, token_expires_at FROM integrations WHERE id = ?",
                vec![Arg::str(integration_id)],
            )
            .await?;
        let Some(TokenRecord {
            access_token: Some(access),
            refresh_token: Some(refresh),
            token_expires_at,
        }) = row
        else {
            return Ok(None);
        };
        let keys = self.keys();
        Ok(Some(StoredTokens {
            access_token: SecretString::from(
                keys.open(&token_context(integration_id, "access_token"), &access)?,
            ),
            refresh_token: SecretString::from(
                keys.open(&token_context(integration_id, "refresh_token"), &refresh)?,
            ),
            expires_at: token_expires_at.unwrap_or(0),
        }))
    }

    /// Issues API credentials of an organization, granted the given workspaces (all must
    /// belong to it). The secret is returned once and stored only as a keyed hash.
    /// `requests_per_minute` 0 means unlimited.
    pub async fn create_credentials(
        &self,
        organization_id: &str,
        workspace_ids: &[String],
        requests_per_minute: u32,
    ) -> Result<NewCredentials, StoreError> {
        let client_id = format!("kd_{}", random_token(12));
        let secret = random_token(32);
        let hash = self.keys().secret_hash(&client_id, &secret);
        let mut tx = self.db().begin().await?;
        let org: Option<IdRecord> = tx
            .fetch_optional(
                "SELECT id FROM organizations WHERE id = ?",
                vec![Arg::str(organization_id)],
            )
            .await?;
        if org.is_none() {
            return Err(StoreError::not_found(format!(
                "organization {organization_id}"
            )));
        }
        if !workspace_ids.is_empty() {
            let sql = format!(
                "SELECT id FROM workspaces WHERE organization_id = ? AND id IN ({})",
                placeholders(workspace_ids.len())
            );
            let mut args = vec![Arg::str(organization_id)];
            args.extend(workspace_ids.iter().map(|w| Arg::str(w)));
            let found: Vec<IdRecord> = tx.fetch_all(&sql, args).await?;
            if let Some(missing) = workspace_ids
                .iter()
                .find(|w| !found.iter().any(|f| &f.id == *w))
            {
                return Err(StoreError::invalid(
                    "workspace_ids",
                    format!("workspace {missing} does not exist in organization {organization_id}"),
                ));
            }
        }
        tx.execute(
            "INSERT INTO credentials (client_id, organization_id, secret_hash, requests_per_minute, created_at) \
             VALUES (?, ?, ?, ?, ?)",
            vec![
                Arg::str(&client_id),
                Arg::str(organization_id),
                Arg::Bytes(Some(hash)),
                Arg::int(i64::from(requests_per_minute)),
                Arg::int(now_millis()),
            ],
        )
        .await?;
        let mut granted: Vec<&String> = workspace_ids.iter().collect();
        granted.sort();
        granted.dedup();
        for workspace_id in granted {
            tx.execute(
                "INSERT INTO credential_workspaces (client_id, workspace_id) VALUES (?, ?)",
                vec![Arg::str(&client_id), Arg::str(workspace_id)],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(NewCredentials {
            client_id,
            client_secret: SecretString::from(secret),
        })
    }

    /// Removes credentials; `false` if there were none with this id.
    pub async fn delete_credentials(&self, client_id: &str) -> Result<bool, StoreError> {
        let mut tx = self.db().begin().await?;
        tx.execute(
            "DELETE FROM credential_workspaces WHERE client_id = ?",
            vec![Arg::str(client_id)],
        )
        .await?;
        let deleted = tx
            .execute(
                "DELETE FROM credentials WHERE client_id = ?",
                vec![Arg::str(client_id)],
            )
            .await?;
        tx.commit().await?;
        Ok(deleted > 0)
    }

    /// The grant of these credentials, or `None` when the id is unknown or the secret wrong
    /// (the two cases take the same work: the hash is computed and compared in constant time).
    pub async fn authenticate(
        &self,
        client_id: &str,
        client_secret: &str,
    ) -> Result<Option<Grant>, StoreError> {
        let row: Option<CredentialRecord> = self
            .db()
            .fetch_optional(
                "SELECT organization_id, secret_hash, requests_per_minute FROM credentials WHERE client_id = ?",
                vec![Arg::str(client_id)],
            )
            .await?;
        let Some(row) = row else {
            let _ = self
                .keys()
                .secret_matches(client_id, client_secret, &[0u8; 32]);
            return Ok(None);
        };
        if !self
            .keys()
            .secret_matches(client_id, client_secret, &row.secret_hash)
        {
            return Ok(None);
        }
        let workspaces: Vec<IdRecord> = self
            .db()
            .fetch_all(
                "SELECT workspace_id AS id FROM credential_workspaces WHERE client_id = ? ORDER BY workspace_id",
                vec![Arg::str(client_id)],
            )
            .await?;
        Ok(Some(Grant {
            client_id: client_id.to_owned(),
            organization_id: row.organization_id,
            workspace_ids: workspaces.into_iter().map(|w| w.id).collect(),
            requests_per_minute: u32::try_from(row.requests_per_minute).unwrap_or(u32::MAX),
        }))
    }

    /// Ids of the integrations of a workspace.
    pub(crate) async fn workspace_integration_ids(
        &self,
        workspace_id: &str,
    ) -> Result<Vec<String>, StoreError> {
        let rows: Vec<IdRecord> = self
            .db()
            .fetch_all(
                "SELECT id FROM integrations WHERE workspace_id = ? ORDER BY id",
                vec![Arg::str(workspace_id)],
            )
            .await?;
        Ok(rows.into_iter().map(|r| r.id).collect())
    }
}
