//! The server-side keys: one master key from configuration, from which the token-encryption
//! key and the credential-hashing key are derived, and the two uses of them.
//!
//! Tokens at rest are XChaCha20-Poly1305 ciphertexts laid out as
//! `key id (1 byte) || nonce (24 bytes) || ciphertext+tag`, with the integration id and the
//! field name as associated data, so a ciphertext copied to another row or column fails to
//! decrypt. Client secrets are kept as HMAC-SHA256(client id, secret) under the hashing key
//! and compared in constant time.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead as _, Generate as _, KeyInit as _, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac as _};
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

use crate::error::StoreError;

type HmacSha256 = Hmac<Sha256>;

/// Version byte in front of every ciphertext: lets a later key rotation tell old from new.
const KEY_ID: u8 = 1;
const NONCE_LEN: usize = 24;

/// The master key and what is derived from it. `Debug` never shows key material.
#[derive(Clone)]
pub struct Keys {
    master: [u8; 32],
    token_key: [u8; 32],
    secret_key: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(..)")
    }
}

impl Keys {
    /// Keys from a base64-encoded (standard or URL-safe alphabet) 32-byte master key.
    pub fn from_base64(encoded: &str) -> Result<Keys, StoreError> {
        let trimmed = encoded.trim();
        let bytes = STANDARD
            .decode(trimmed)
            .or_else(|_| URL_SAFE_NO_PAD.decode(trimmed.trim_end_matches('=')))
            .map_err(|_| StoreError::Crypto("the master key is not valid base64".to_owned()))?;
        let master: [u8; 32] = bytes.try_into().map_err(|bytes: Vec<u8>| {
            StoreError::Crypto(format!(
                "the master key must be 32 bytes, got {}",
                bytes.len()
            ))
        })?;
        Ok(Keys::from_bytes(master))
    }

    /// A fresh random master key.
    pub fn generate() -> Keys {
        Keys::from_bytes(<[u8; 32]>::generate())
    }

    /// The master key as standard base64, for writing to a key file.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.master)
    }

    fn from_bytes(master: [u8; 32]) -> Keys {
        Keys {
            master,
            token_key: derive(&master, b"kommo-data/token-aead/v1"),
            secret_key: derive(&master, b"kommo-data/client-secret-hmac/v1"),
        }
    }

    /// Encrypts `plaintext`, bound to `context` (e.g. `integration:ID:access_token`).
    pub(crate) fn seal(&self, context: &str, plaintext: &str) -> Result<Vec<u8>, StoreError> {
        let cipher = XChaCha20Poly1305::new(&self.token_key.into());
        let nonce = XNonce::generate();
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Crypto("encryption failed".to_owned()))?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(KEY_ID);
        out.extend_from_slice(nonce.as_slice());
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Decrypts what [`Keys::seal`] produced for the same `context`.
    pub(crate) fn open(&self, context: &str, sealed: &[u8]) -> Result<String, StoreError> {
        let Some((&key_id, rest)) = sealed.split_first() else {
            return Err(StoreError::Crypto(format!(
                "empty ciphertext for {context}"
            )));
        };
        if key_id != KEY_ID {
            return Err(StoreError::Crypto(format!(
                "ciphertext for {context} has key id {key_id}, expected {KEY_ID}"
            )));
        }
        if rest.len() < NONCE_LEN {
            return Err(StoreError::Crypto(format!(
                "ciphertext for {context} is truncated"
            )));
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce)
            .map_err(|_| StoreError::Crypto("bad nonce length".to_owned()))?;
        let cipher = XChaCha20Poly1305::new(&self.token_key.into());
        let plain = cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: body,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| {
                StoreError::Crypto(format!(
                    "could not decrypt {context}: wrong master key or tampered data"
                ))
            })?;
        String::from_utf8(plain)
            .map_err(|_| StoreError::Crypto(format!("decrypted {context} is not UTF-8")))
    }

    /// The keyed hash a client secret is stored as.
    pub(crate) fn secret_hash(&self, client_id: &str, secret: &str) -> Vec<u8> {
        let mut mac = hmac_with(&self.secret_key);
        mac.update(client_id.as_bytes());
        mac.update(&[0]);
        mac.update(secret.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// Constant-time comparison of a presented secret with a stored hash.
    pub(crate) fn secret_matches(&self, client_id: &str, secret: &str, stored: &[u8]) -> bool {
        let computed = self.secret_hash(client_id, secret);
        bool::from(computed.as_slice().ct_eq(stored))
    }
}

fn hmac_with(key: &[u8; 32]) -> HmacSha256 {
    // HMAC zero-pads a key shorter than its 64-byte block, so a padded block-sized key is
    // the same key, and taking it cannot fail.
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(key);
    <HmacSha256 as hmac::KeyInit>::new(&block.into())
}

/// HKDF-expand-like derivation: HMAC(master, label || 0x01).
fn derive(master: &[u8; 32], label: &[u8]) -> [u8; 32] {
    let mut mac = hmac_with(master);
    mac.update(label);
    mac.update(&[1]);
    let mut out = [0u8; 32];
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

/// Random bytes as URL-safe base64 without padding (for client ids and secrets).
pub(crate) fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    for chunk in buf.chunks_mut(32) {
        let random = <[u8; 32]>::generate();
        chunk.copy_from_slice(&random[..chunk.len()]);
    }
    URL_SAFE_NO_PAD.encode(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_tokens_round_trip_and_hide_the_plaintext() {
        let keys = Keys::generate();
        let sealed = keys
            .seal("integration:a:access_token", "very-secret-token-value")
            .unwrap();
        assert!(!sealed.windows(10).any(|w| w == b"very-secre"));
        assert_eq!(
            keys.open("integration:a:access_token", &sealed).unwrap(),
            "very-secret-token-value"
        );
        // Bound to its context and its key.
        assert!(keys.open("integration:b:access_token", &sealed).is_err());
        assert!(
            Keys::generate()
                .open("integration:a:access_token", &sealed)
                .is_err()
        );
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(keys.open("integration:a:access_token", &tampered).is_err());
    }

    #[test]
    fn keys_round_trip_through_base64_and_derive_the_same_hashes() {
        let keys = Keys::generate();
        let again = Keys::from_base64(&keys.to_base64()).unwrap();
        assert_eq!(keys.secret_hash("c", "s"), again.secret_hash("c", "s"));
        assert_ne!(keys.secret_hash("c", "s"), keys.secret_hash("c", "t"));
        assert!(keys.secret_matches("c", "s", &again.secret_hash("c", "s")));
        assert!(!keys.secret_matches("c", "s2", &again.secret_hash("c", "s")));
        assert!(Keys::from_base64("too-short").is_err());
        assert_eq!(format!("{keys:?}"), "Keys(..)");
    }
}
