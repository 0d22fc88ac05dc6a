//! Inclusion proofs a third party checks offline: one entry, its RFC 6962 audit path, and the signed
//! checkpoint it leads to. Made by `kura audit prove` and the HTTP API; checked by `kura audit check-proof`.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::checkpoint::Checkpoint;
use super::merkle;
use super::note::Verifier;
use super::store::{LogStore, StoreNodes};

/// A proof that one entry is in the log at a signed tree size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    /// The log's origin (`kura/<vault id>`).
    pub log: String,
    /// The entry's index.
    pub index: u64,
    /// The tree size of the checkpoint.
    pub tree_size: u64,
    /// RFC 6962 leaf hash of the entry, base64.
    pub leaf_hash: String,
    /// The entry as stored (JSON; no personal values).
    pub entry: String,
    /// The audit path, base64 hashes from the leaf up.
    pub inclusion_proof: Vec<String>,
    /// The signed checkpoint (C2SP signed note).
    pub checkpoint: String,
}

/// A proof could not be made or does not check.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Nothing is signed yet.
    #[error("no signed checkpoint yet (run `kura audit checkpoint`)")]
    NoCheckpoint,
    /// The entry is newer than the newest checkpoint.
    #[error("entry {0} is not covered by the newest checkpoint (size {1}); sign a newer checkpoint first")]
    NotCovered(u64, u64),
    /// Storage.
    #[error(transparent)]
    Store(#[from] super::store::Error),
    /// Tree.
    #[error(transparent)]
    Merkle(#[from] merkle::Error),
    /// The checkpoint does not parse or its signature does not verify.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    /// The proof does not hold.
    #[error("{0}")]
    Invalid(&'static str),
}

/// The newest signed checkpoint: its tree size and signed note.
pub fn newest_checkpoint(log: &dyn LogStore) -> Result<(u64, String), Error> {
    log.checkpoints()?.into_iter().max_by_key(|(s, _)| *s).ok_or(Error::NoCheckpoint)
}

/// A proof that entry `index` is in the tree of the newest signed checkpoint.
pub fn prove(log: &dyn LogStore, index: u64) -> Result<Proof, Error> {
    let (size, note) = newest_checkpoint(log)?;
    if index >= size {
        return Err(Error::NotCovered(index, size));
    }
    let data = log
        .entries(index, 1)?
        .into_iter()
        .next()
        .filter(|(s, _)| *s == index)
        .ok_or(Error::Invalid("entry missing"))?
        .1;
    let path = merkle::inclusion_proof(&StoreNodes(log), index, size)?;
    let body = note.split("\n\n").next().unwrap_or("").to_owned() + "\n";
    let cp = Checkpoint::parse(&body).map_err(|e| Error::Checkpoint(e.to_string()))?;
    Ok(Proof {
        log: cp.origin,
        index,
        tree_size: size,
        leaf_hash: B64.encode(merkle::leaf_hash(&data)),
        entry: String::from_utf8(data).map_err(|_| Error::Invalid("entry is not UTF-8"))?,
        inclusion_proof: path.iter().map(|h| B64.encode(h)).collect(),
        checkpoint: note,
    })
}

/// Checks a proof against the log's verifier key; returns the checkpoint it leads to.
pub fn check(p: &Proof, verifier: &Verifier) -> Result<Checkpoint, Error> {
    let cp = Checkpoint::open(&p.checkpoint, verifier).map_err(|e| Error::Checkpoint(e.to_string()))?;
    if cp.size != p.tree_size {
        return Err(Error::Invalid("the proof's tree size is not the checkpoint's"));
    }
    let leaf = merkle::leaf_hash(p.entry.as_bytes());
    if B64.encode(leaf) != p.leaf_hash {
        return Err(Error::Invalid("the entry does not hash to the stated leaf hash"));
    }
    let path: Vec<Vec<u8>> = p
        .inclusion_proof
        .iter()
        .map(|h| B64.decode(h))
        .collect::<Result<_, _>>()
        .map_err(|_| Error::Invalid("an audit path hash is not base64"))?;
    merkle::verify_inclusion(&leaf, p.index, p.tree_size, &path, &cp.root)
        .map_err(|_| Error::Invalid("inclusion proof does not verify"))?;
    Ok(cp)
}
