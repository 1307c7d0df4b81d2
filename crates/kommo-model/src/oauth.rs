//! OAuth 2.0 token grants (`POST /oauth2/access_token`).

use serde::{Deserialize, Serialize};

/// The body of a token request: an authorization-code exchange or a refresh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "grant_type", rename_all = "snake_case")]
pub enum TokenGrant {
    AuthorizationCode {
        client_id: String,
        client_secret: String,
        code: String,
        redirect_uri: String,
    },
    RefreshToken {
        client_id: String,
        client_secret: String,
        refresh_token: String,
        redirect_uri: String,
    },
}

/// A granted token pair. The refresh token is single-use: the previous one is dead as soon
/// as this response is sent.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    pub token_type: String,
    /// Seconds the access token lives (86,400 on Kommo).
    pub expires_in: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_time: Option<i64>,
    pub access_token: String,
    pub refresh_token: String,
}

impl std::fmt::Debug for TokenResponse {
    // Tokens must never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("server_time", &self.server_time)
            .finish_non_exhaustive()
    }
}
