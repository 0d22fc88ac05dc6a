//! The checkpoint signer.
//!
//! The Ed25519 signing key lives outside the database: in `log-signer.key` beside the vault configuration,
//! wrapped by the key provider's root key (an HSM later). The signer keeps its own record of the last
//! checkpoint it signed (`log-signer.state`) and refuses to sign a tree that is not an append-only extension
//! of it — so whoever rewrites the database can never obtain a valid signature for the rewritten history.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::checkpoint::Checkpoint;
use super::merkle;
use super::note;
use super::store::{LogStore, StoreNodes};
use crate::crypto::SecretKey;
use crate::keys::KeyProvider;

/// The signer's key file name.
pub const KEY_FILE: &str = "log-signer.key";
/// The signer's state file name.
pub const STATE_FILE: &str = "log-signer.state";
/// The public verifier key, for auditors and witnesses.
pub const VERIFIER_FILE: &str = "log-verifier.pub";

/// Signing failed or was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// File error.
    #[error("cannot use `{path}`: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// Malformed key or state file.
    #[error("`{0}` is damaged or not a kura log signer file")]
    Format(PathBuf),
    /// The key provider cannot unwrap the signing key.
    #[error("the log signing key does not open under this vault's root key")]
    Key,
    /// The tree is not an extension of what was signed before.
    #[error("refusing to sign: the log of size {size} is not consistent with the checkpoint of size {signed} signed before ({reason}); the log was rewritten")]
    Inconsistent {
        /// Current size.
        size: u64,
        /// Last signed size.
        signed: u64,
        /// Why.
        reason: String,
    },
    /// The signer's own record of what it signed is gone.
    #[error("the signer's state file `{0}` is missing: without it the signer cannot tell a rewritten log from the real one; restore it from backup")]
    StateMissing(PathBuf),
    /// No signing key (created only with the vault).
    #[error("no log signing key at `{0}` (it is created by `kura init`; restore it from backup)")]
    KeyMissing(PathBuf),
    /// A stored checkpoint signed by this key is newer than the state: the state was rolled back.
    #[error("refusing to sign: this key signed a checkpoint of size {stored} but the signer's state says {state}; the state file was rolled back")]
    StateRolledBack {
        /// Newest validly signed stored checkpoint.
        stored: u64,
        /// Size in the state file.
        state: u64,
    },
    /// Log storage.
    #[error(transparent)]
    Store(#[from] super::store::Error),
    /// Tree computation.
    #[error(transparent)]
    Merkle(#[from] merkle::Error),
    /// Note or checkpoint encoding.
    #[error("cannot sign: {0}")]
    Note(String),
}

#[derive(Serialize, Deserialize)]
struct KeyFileV1 {
    format: String,
    origin: String,
    verifier: String,
    wrapped_seed: String,
}

#[derive(Serialize, Deserialize)]
struct StateV1 {
    size: u64,
    root: String,
}

/// A checkpoint signer with its state.
pub struct Signer {
    signer: note::Signer,
    origin: String,
    dir: PathBuf,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").field("origin", &self.origin).finish_non_exhaustive()
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io { path: path.to_owned(), source }
}

/// Writes a file atomically (temporary file, fsync, rename, fsync of the directory).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), std::io::Error> {
    // A name of its own per writer: two processes never share a temporary file.
    let tmp = path.with_extension(format!("tmp-{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()));
    {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

const LABEL: &str = "audit/log-signer";

impl Signer {
    /// Creates the signing key for log `origin` in `dir` (once, with the vault), wrapped by `keys`, publishes
    /// the verifier key and starts the state at the empty tree.
    pub fn create(dir: &Path, origin: &str, keys: &dyn KeyProvider) -> Result<Signer, Error> {
        let path = dir.join(KEY_FILE);
        if path.exists() {
            return Err(Error::Io {
                path,
                source: std::io::Error::new(std::io::ErrorKind::AlreadyExists, "a log signing key exists already"),
            });
        }
        let signer = note::Signer::generate(origin).map_err(|e| Error::Note(e.to_string()))?;
        let seed = seed_of(&signer)?;
        let wrapped = keys.wrap(LABEL, &seed).map_err(|_| Error::Key)?;
        let file = KeyFileV1 {
            format: "kura-log-signer/1".to_owned(),
            origin: origin.to_owned(),
            verifier: signer.verifier().to_key_string(),
            wrapped_seed: B64.encode(wrapped),
        };
        let text = serde_json::to_string_pretty(&file).map_err(|e| Error::Note(e.to_string()))?;
        write_atomic(&path, text.as_bytes()).map_err(io(&path))?;
        let vpath = dir.join(VERIFIER_FILE);
        write_atomic(&vpath, format!("{}\n", file.verifier).as_bytes()).map_err(io(&vpath))?;
        let state = StateV1 { size: 0, root: B64.encode(merkle::EMPTY_ROOT) };
        let spath = dir.join(STATE_FILE);
        let text = serde_json::to_string(&state).map_err(|e| Error::Note(e.to_string()))?;
        write_atomic(&spath, text.as_bytes()).map_err(io(&spath))?;
        Ok(Signer { signer, origin: origin.to_owned(), dir: dir.to_owned() })
    }

    /// Opens the signer in `dir`.
    pub fn open(dir: &Path, keys: &dyn KeyProvider) -> Result<Signer, Error> {
        let path = dir.join(KEY_FILE);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Error::KeyMissing(path)),
            Err(e) => return Err(io(&path)(e)),
        };
        let file: KeyFileV1 = serde_json::from_str(&text).map_err(|_| Error::Format(path.clone()))?;
        let wrapped = B64.decode(&file.wrapped_seed).map_err(|_| Error::Format(path.clone()))?;
        let seed = keys.unwrap(LABEL, &wrapped).map_err(|_| Error::Key)?;
        let key_string = zeroize::Zeroizing::new(format!(
            "PRIVATE+KEY+{}+{}+{}",
            file.origin,
            file.verifier.split('+').nth(1).unwrap_or(""),
            B64.encode([&[1u8][..], seed.expose()].concat())
        ));
        let signer = note::Signer::from_key_string(&key_string).map_err(|_| Error::Format(path.clone()))?;
        if signer.verifier().to_key_string() != file.verifier {
            return Err(Error::Format(path));
        }
        Ok(Signer { signer, origin: file.origin, dir: dir.to_owned() })
    }

    /// The verifier key (public).
    pub fn verifier(&self) -> note::Verifier {
        self.signer.verifier()
    }

    /// The log's origin line.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The last checkpoint this signer signed: (size, root). Missing state is an error, never "nothing signed".
    pub fn last_signed(&self) -> Result<(u64, merkle::Hash), Error> {
        let path = self.dir.join(STATE_FILE);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Error::StateMissing(path)),
            Err(e) => return Err(io(&path)(e)),
        };
        let state: StateV1 = serde_json::from_str(&text).map_err(|_| Error::Format(path.clone()))?;
        let root = B64.decode(&state.root).ok().and_then(|r| merkle::Hash::try_from(r.as_slice()).ok());
        Ok((state.size, root.ok_or(Error::Format(path))?))
    }

    /// Signs the log's current tree head if it extends the last signed one; stores and returns the note.
    pub fn sign(&self, log: &dyn LogStore) -> Result<(Checkpoint, String), Error> {
        // One signer at a time: read state, check, sign and write state under an exclusive lock.
        let lock_path = self.dir.join("log-signer.lock");
        let lock =
            fs::OpenOptions::new().create(true).truncate(false).write(true).open(&lock_path).map_err(io(&lock_path))?;
        lock.lock().map_err(io(&lock_path))?;
        let size = log.size()?;
        let nodes = StoreNodes(log);
        let root = merkle::root(&nodes, size)?;
        let (signed, signed_root) = self.last_signed()?;
        // A checkpoint this key signed that is newer than the state means the state was rolled back.
        let verifier = self.verifier();
        // Only rows claiming to be newer than the state need a signature check (one per command otherwise
        // grows with the log's history); a row whose size column lies is caught by `kura audit verify`.
        let newest_stored = log
            .checkpoints()?
            .iter()
            .filter(|(row_size, _)| *row_size > signed)
            .filter_map(|(_, note)| Checkpoint::open(note, &verifier).ok())
            .map(|cp| cp.size)
            .max()
            .unwrap_or(0);
        if newest_stored > signed {
            return Err(Error::StateRolledBack { stored: newest_stored, state: signed });
        }
        {
            let refuse = |reason: String| Error::Inconsistent { size, signed, reason };
            if size < signed {
                return Err(refuse("it is smaller".to_owned()));
            }
            if size == signed {
                if root != signed_root {
                    return Err(refuse("same size, different root".to_owned()));
                }
            } else if signed > 0 {
                let proof = merkle::consistency_proof(&nodes, signed, size)?;
                merkle::verify_consistency(signed, size, &proof, &signed_root, &root)
                    .map_err(|e| refuse(e.to_string()))?;
            }
        }
        let cp = Checkpoint::new(self.origin.clone(), size, root);
        let note = cp.sign(&self.signer).map_err(|e| Error::Note(e.to_string()))?;
        let state = StateV1 { size, root: B64.encode(root) };
        let path = self.dir.join(STATE_FILE);
        let text = serde_json::to_string(&state).map_err(|e| Error::Note(e.to_string()))?;
        write_atomic(&path, text.as_bytes()).map_err(io(&path))?;
        log.put_checkpoint(size, &note)?;
        Ok((cp, note))
    }
}

fn seed_of(signer: &note::Signer) -> Result<SecretKey, Error> {
    // The signer key string is `PRIVATE+KEY+<name>+<id>+<base64(0x01 ‖ seed)>`.
    let s = signer.to_key_string();
    let b64 = s.splitn(5, '+').nth(4).unwrap_or("");
    let bytes = zeroize::Zeroizing::new(B64.decode(b64).map_err(|e| Error::Note(e.to_string()))?);
    bytes.get(1..).and_then(SecretKey::from_slice).ok_or_else(|| Error::Note("unexpected signer key".to_owned()))
}
