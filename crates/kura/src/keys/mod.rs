//! The key hierarchy and key providers.
//!
//! ```text
//! root key ── held by a KeyProvider (passphrase-protected key file; later PKCS#11 HSM, cloud KMS)
//!   └─ wraps each collection's keys (stored wrapped in the keyring):
//!        subject-wrapping key (versioned) ── wraps one key per data subject (record)
//!        blind-index key                  ── HMAC keys per field
//!        tokenisation key                 ── FF1 for card numbers
//!   subject key ── encrypts that person's fields (AES-256-GCM-SIV)
//! ```
//! Keys never sit in a database in the clear. A subject key lives only in the keyring, wrapped; destroying it
//! (crypto-shredding) makes the person's ciphertexts unreadable in every copy of the data, backups included.
//! The provider only ever sees wrap and unwrap requests, so an HSM or KMS can keep the root key inside itself.

pub mod keyfile;

use crate::crypto::SecretKey;

/// A wrapped key could not be produced or opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The wrapped key did not authenticate under the root key.
    #[error("a wrapped key does not open under this vault's root key (wrong key file, or the keyring was altered)")]
    Unwrap,
    /// The provider is unavailable.
    #[error("key provider unavailable: {0}")]
    Unavailable(String),
}

/// Something that holds a root key and wraps and unwraps data keys with it.
///
/// `label` names what the key is for (collection, purpose, version) and is bound into the wrapping, so a wrapped
/// key copied to another slot fails to unwrap.
pub trait KeyProvider: Send + Sync + std::fmt::Debug {
    /// Wraps `key` for the slot `label`.
    fn wrap(&self, label: &str, key: &SecretKey) -> Result<Vec<u8>, Error>;
    /// Unwraps a key wrapped for `label`.
    fn unwrap(&self, label: &str, wrapped: &[u8]) -> Result<SecretKey, Error>;
    /// A short description for status output (never secret).
    fn describe(&self) -> String;
}
