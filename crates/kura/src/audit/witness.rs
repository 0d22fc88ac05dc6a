//! Witnesses: copies of signed checkpoints kept somewhere other than the database.
//!
//! `kura audit witness --dir DIR` verifies the newest checkpoint's signature, checks with a consistency proof
//! that it extends the last checkpoint the witness saw, and only then records it. A rewritten or forked log
//! is refused and the witness keeps the last good checkpoint, which `kura audit verify` compares against.

use std::fs;
use std::path::{Path, PathBuf};

use super::checkpoint::Checkpoint;
use super::merkle;
use super::note::Verifier;
use super::signer::write_atomic;
use super::store::{LogStore, StoreNodes};

/// File holding the newest checkpoint a witness accepted.
pub const LATEST: &str = "checkpoint";
/// Append-only history of accepted checkpoints.
pub const HISTORY: &str = "checkpoints.log";
/// The verifier key the witness pinned at first use.
pub const VERIFIER: &str = "verifier.pub";

/// What the witness did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// First checkpoint recorded.
    First(u64),
    /// Newer checkpoint recorded after checking consistency.
    Advanced {
        /// Previous size.
        from: u64,
        /// New size.
        to: u64,
    },
    /// Nothing new.
    Unchanged(u64),
}

/// The witness refused or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// File error.
    #[error("witness directory `{path}`: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// No checkpoint to witness.
    #[error("the log has no signed checkpoint yet (run `kura audit checkpoint`)")]
    NoCheckpoint,
    /// Signature or format.
    #[error("checkpoint does not verify: {0}")]
    Signature(String),
    /// Older than what the witness holds.
    #[error("the log's checkpoint (size {new}) is older than the witnessed one (size {old}): the log was rolled back")]
    Rollback {
        /// Witnessed size.
        old: u64,
        /// Offered size.
        new: u64,
    },
    /// Not an extension.
    #[error("the log's checkpoint (size {new}) is not consistent with the witnessed one (size {old}): the log was rewritten or forked ({reason})")]
    Fork {
        /// Witnessed size.
        old: u64,
        /// Offered size.
        new: u64,
        /// Why.
        reason: String,
    },
    /// Storage.
    #[error(transparent)]
    Store(#[from] super::store::Error),
}

/// The checkpoint a witness directory holds, verified.
pub fn latest(dir: &Path, verifier: &Verifier) -> Result<Option<Checkpoint>, Error> {
    let path = dir.join(LATEST);
    match fs::read_to_string(&path) {
        Ok(text) => Checkpoint::open(&text, verifier).map(Some).map_err(|e| Error::Signature(e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Io { path, source }),
    }
}

/// Checks the log's newest checkpoint against the witness in `dir` and records it.
pub fn witness(dir: &Path, verifier: &Verifier, log: &dyn LogStore) -> Result<Outcome, Error> {
    fs::create_dir_all(dir).map_err(|source| Error::Io { path: dir.to_owned(), source })?;
    // The witness pins the verifier key it first saw: a swapped key is refused, not trusted.
    let pinned = dir.join(VERIFIER);
    let key = verifier.to_key_string();
    match fs::read_to_string(&pinned) {
        Ok(old) if old.trim() == key => {}
        Ok(_) => {
            return Err(Error::Signature("the verifier key differs from the one this witness first saw".to_owned()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            write_atomic(&pinned, format!("{key}\n").as_bytes())
                .map_err(|source| Error::Io { path: pinned.clone(), source })?;
        }
        Err(source) => return Err(Error::Io { path: pinned, source }),
    }
    let (_, note) = log.checkpoints()?.into_iter().max_by_key(|(s, _)| *s).ok_or(Error::NoCheckpoint)?;
    let new = Checkpoint::open(&note, verifier).map_err(|e| Error::Signature(e.to_string()))?;
    let outcome = match latest(dir, verifier)? {
        None => Outcome::First(new.size),
        Some(old) => {
            let fork = |reason: String| Error::Fork { old: old.size, new: new.size, reason };
            if new.size < old.size {
                return Err(Error::Rollback { old: old.size, new: new.size });
            }
            if new.size == old.size {
                if new.root != old.root {
                    return Err(fork("same size, different root".to_owned()));
                }
                check_live(log, &new)?;
                return Ok(Outcome::Unchanged(new.size));
            }
            if old.size == 0 {
                return record(dir, &note, Outcome::Advanced { from: 0, to: new.size });
            }
            let proof =
                merkle::consistency_proof(&StoreNodes(log), old.size, new.size).map_err(|e| fork(e.to_string()))?;
            merkle::verify_consistency(old.size, new.size, &proof, &old.root, &new.root)
                .map_err(|e| fork(e.to_string()))?;
            Outcome::Advanced { from: old.size, to: new.size }
        }
    };
    check_live(log, &new)?;
    record(dir, &note, outcome)
}

/// The live log must still extend the checkpoint: a history rewritten after the last signature shows here,
/// even before anyone asks for a new signature.
fn check_live(log: &dyn LogStore, cp: &Checkpoint) -> Result<(), Error> {
    let size = log.size()?;
    let fork = |reason: String| Error::Fork { old: cp.size, new: size, reason };
    if size < cp.size {
        return Err(Error::Rollback { old: cp.size, new: size });
    }
    let nodes = StoreNodes(log);
    let live_root = merkle::root(&nodes, size).map_err(|e| fork(e.to_string()))?;
    if size == cp.size {
        return if live_root == cp.root { Ok(()) } else { Err(fork("same size, different root".to_owned())) };
    }
    if cp.size == 0 {
        return Ok(());
    }
    let proof = merkle::consistency_proof(&nodes, cp.size, size).map_err(|e| fork(e.to_string()))?;
    merkle::verify_consistency(cp.size, size, &proof, &cp.root, &live_root).map_err(|e| fork(e.to_string()))
}

fn record(dir: &Path, note: &str, outcome: Outcome) -> Result<Outcome, Error> {
    let path = dir.join(LATEST);
    write_atomic(&path, note.as_bytes()).map_err(|source| Error::Io { path: path.clone(), source })?;
    let hist = dir.join(HISTORY);
    let mut f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&hist)
        .map_err(|source| Error::Io { path: hist.clone(), source })?;
    std::io::Write::write_all(&mut f, format!("{note}\n").as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|source| Error::Io { path: hist, source })?;
    Ok(outcome)
}
