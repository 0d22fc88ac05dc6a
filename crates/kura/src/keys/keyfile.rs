//! The default key provider: a local key file holding a random 256-bit root key, encrypted under a key
//! derived from a passphrase with Argon2id.
//!
//! The file is JSON (format `kura-key-file/1`): KDF parameters and salt, and the root key sealed with
//! AES-256-GCM-SIV whose associated data binds the format, the vault id and the KDF parameters, so
//! weakening the parameters in the file makes it fail to open. It is written with mode 0600 and never
//! overwritten. A wrong passphrase and a damaged file give the same error, by design.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::{Error as KeyError, KeyProvider};
use crate::crypto::{self, SecretKey};

const FORMAT: &str = "kura-key-file/1";

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl Default for KdfParams {
    /// RFC 9106's second recommended option (64 MiB, 3 passes), one lane.
    fn default() -> Self {
        KdfParams { m_kib: 64 * 1024, t: 3, p: 1 }
    }
}

impl KdfParams {
    /// Cheap parameters for tests only: a passphrase protected with these is easy to brute-force.
    pub fn dangerous_for_tests() -> Self {
        KdfParams { m_kib: 64, t: 1, p: 1 }
    }
}

/// Opening or creating a key file failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// File system error.
    #[error("cannot access key file `{path}`: {source}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Refusing to overwrite.
    #[error("key file `{0}` already exists; kura never overwrites a key file")]
    Exists(PathBuf),
    /// Not a key file.
    #[error("`{0}` is not a kura key file")]
    Format(PathBuf),
    /// Wrong passphrase or damaged file.
    #[error("wrong passphrase, or the key file `{0}` is damaged")]
    Passphrase(PathBuf),
    /// Too weak a passphrase.
    #[error("passphrase is too short: use at least 12 characters")]
    WeakPassphrase,
    /// KDF parameters outside the accepted range (a hostile file could demand terabytes of memory).
    #[error("key file `{0}` asks for Argon2 parameters outside the accepted range")]
    Parameters(PathBuf),
    /// KDF failure.
    #[error("key derivation failed: {0}")]
    Kdf(String),
}

#[derive(Serialize, Deserialize)]
struct FileV1 {
    format: String,
    vault_id: String,
    kdf: KdfParams,
    salt: String,
    sealed_root: String,
}

/// A root key unlocked from a key file.
pub struct KeyFile {
    root: SecretKey,
    vault_id: String,
    path: PathBuf,
}

impl std::fmt::Debug for KeyFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyFile").field("path", &self.path).field("vault_id", &self.vault_id).finish_non_exhaustive()
    }
}

fn derive(passphrase: &SecretString, salt: &[u8], p: KdfParams) -> Result<SecretKey, Error> {
    let params = argon2::Params::new(p.m_kib, p.t, p.p, Some(32)).map_err(|e| Error::Kdf(e.to_string()))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = zeroize::Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(passphrase.expose_secret().as_bytes(), salt, &mut *out)
        .map_err(|e| Error::Kdf(e.to_string()))?;
    Ok(SecretKey::from_bytes(*out))
}

fn ad(vault_id: &str, p: KdfParams) -> Vec<u8> {
    crypto::context(
        "kura/key-file",
        &[FORMAT.as_bytes(), vault_id.as_bytes(), &p.m_kib.to_be_bytes(), &p.t.to_be_bytes(), &p.p.to_be_bytes()],
    )
}

impl KeyFile {
    /// Creates a new key file with a fresh random root key. Fails if the file exists.
    pub fn create(path: &Path, vault_id: &str, passphrase: &SecretString, kdf: KdfParams) -> Result<KeyFile, Error> {
        if passphrase.expose_secret().chars().count() < 12 {
            return Err(Error::WeakPassphrase);
        }
        let io = |source| Error::Io { path: path.to_owned(), source };
        let mut salt = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        let kek = derive(passphrase, &salt, kdf)?;
        let root = SecretKey::generate();
        let sealed = crypto::seal(&kek, &ad(vault_id, kdf), root.expose()).map_err(|e| Error::Kdf(e.to_string()))?;
        let file = FileV1 {
            format: FORMAT.to_owned(),
            vault_id: vault_id.to_owned(),
            kdf,
            salt: B64.encode(salt),
            sealed_root: B64.encode(sealed),
        };
        let text = serde_json::to_string_pretty(&file).map_err(|e| io(std::io::Error::other(e)))?;
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Error::Exists(path.to_owned())
            } else {
                io(e)
            }
        })?;
        f.write_all(text.as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
        // The directory entry must be durable too, before anything is encrypted under this key.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
        }
        Ok(KeyFile { root, vault_id: vault_id.to_owned(), path: path.to_owned() })
    }

    /// Opens a key file with its passphrase.
    pub fn open(path: &Path, passphrase: &SecretString) -> Result<KeyFile, Error> {
        let text = fs::read_to_string(path).map_err(|source| Error::Io { path: path.to_owned(), source })?;
        let file: FileV1 = serde_json::from_str(&text).map_err(|_| Error::Format(path.to_owned()))?;
        if file.format != FORMAT {
            return Err(Error::Format(path.to_owned()));
        }
        let salt = B64.decode(&file.salt).map_err(|_| Error::Format(path.to_owned()))?;
        let sealed = B64.decode(&file.sealed_root).map_err(|_| Error::Format(path.to_owned()))?;
        let k = file.kdf;
        if !(8..=4 * 1024 * 1024).contains(&k.m_kib) || !(1..=64).contains(&k.t) || !(1..=16).contains(&k.p) {
            return Err(Error::Parameters(path.to_owned()));
        }
        let kek = derive(passphrase, &salt, file.kdf)?;
        let root = crypto::open(&kek, &ad(&file.vault_id, file.kdf), &sealed)
            .ok()
            .and_then(|pt| SecretKey::from_slice(&pt))
            .ok_or_else(|| Error::Passphrase(path.to_owned()))?;
        Ok(KeyFile { root, vault_id: file.vault_id, path: path.to_owned() })
    }

    /// The vault this key file belongs to.
    pub fn vault_id(&self) -> &str {
        &self.vault_id
    }
}

fn wrap_ad(label: &str) -> Vec<u8> {
    crypto::context("kura/wrap", &[label.as_bytes()])
}

impl KeyProvider for KeyFile {
    fn wrap(&self, label: &str, key: &SecretKey) -> Result<Vec<u8>, KeyError> {
        crypto::seal(&self.root, &wrap_ad(label), key.expose()).map_err(|e| KeyError::Unavailable(e.to_string()))
    }

    fn unwrap(&self, label: &str, wrapped: &[u8]) -> Result<SecretKey, KeyError> {
        crypto::open(&self.root, &wrap_ad(label), wrapped)
            .ok()
            .and_then(|pt| SecretKey::from_slice(&pt))
            .ok_or(KeyError::Unwrap)
    }

    fn describe(&self) -> String {
        format!("key file {}", self.path.display())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    fn pass(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[test]
    fn create_open_wrap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("root.key");
        let kf =
            KeyFile::create(&path, "v1", &pass("correct horse battery"), KdfParams::dangerous_for_tests()).unwrap();
        let dk = SecretKey::generate();
        let wrapped = kf.wrap("c/data/1", &dk).unwrap();
        let again = KeyFile::open(&path, &pass("correct horse battery")).unwrap();
        assert_eq!(again.unwrap("c/data/1", &wrapped).unwrap(), dk);
        assert!(again.unwrap("c/index/1", &wrapped).is_err(), "label is bound");
        assert!(matches!(KeyFile::open(&path, &pass("wrong horse battery")), Err(Error::Passphrase(_))));
        assert!(matches!(
            KeyFile::create(&path, "v1", &pass("correct horse battery"), KdfParams::dangerous_for_tests()),
            Err(Error::Exists(_))
        ));
        assert!(matches!(
            KeyFile::create(&dir.path().join("x"), "v1", &pass("short"), KdfParams::dangerous_for_tests()),
            Err(Error::WeakPassphrase)
        ));
        // The file never holds the root key or the passphrase in the clear.
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("correct horse"));
        assert!(!format!("{again:?}").contains(&hex::encode(again.root.expose())));
    }

    #[test]
    fn weakened_parameters_do_not_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("root.key");
        KeyFile::create(&path, "v1", &pass("correct horse battery"), KdfParams { m_kib: 128, t: 2, p: 1 }).unwrap();
        let text = std::fs::read_to_string(&path).unwrap().replace("\"t\": 2", "\"t\": 1");
        std::fs::write(&path, text).unwrap();
        assert!(matches!(KeyFile::open(&path, &pass("correct horse battery")), Err(Error::Passphrase(_))));
    }
}
