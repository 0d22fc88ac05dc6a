//! Publishing the log as C2SP `tlog-tiles` static files, so standard transparency-log tooling can fetch
//! and verify it: `checkpoint`, `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]` under one directory.
//! Re-publishing writes only what changed; full tiles are immutable and never rewritten.

use std::fs;
use std::path::{Path, PathBuf};

use super::merkle::Nodes;
use super::signer::write_atomic;
use super::store::{LogStore, StoreNodes};
use super::tiles;

/// Publishing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// File error.
    #[error("cannot write `{path}`: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// Storage or tree.
    #[error("cannot read the log: {0}")]
    Log(String),
    /// The checkpoint does not cover the tree being published.
    #[error("the signed checkpoint covers {checkpoint} entries but the log has {size}; sign a checkpoint first")]
    Stale {
        /// Checkpoint size.
        checkpoint: u64,
        /// Log size.
        size: u64,
    },
}

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Tree size published.
    pub size: u64,
    /// Tile files written.
    pub tiles: u64,
    /// Entry bundles written.
    pub bundles: u64,
}

/// Writes the tiles for a tree of `size` entries and the signed checkpoint `note` (which must cover `size`).
pub fn publish(log: &dyn LogStore, dir: &Path, size: u64, note: &str) -> Result<Summary, Error> {
    let body = note.split("\n\n").next().unwrap_or("").to_owned() + "\n";
    let cp = super::checkpoint::Checkpoint::parse(&body).map_err(|e| Error::Log(e.to_string()))?;
    if cp.size != size {
        return Err(Error::Stale { checkpoint: cp.size, size });
    }
    let nodes = StoreNodes(log);
    let mut summary = Summary { size, ..Summary::default() };
    for tile in tiles::plan(size) {
        let path = dir.join(tile.path());
        // Full tiles never change: skip those already published (with their bundle, if a crash came between).
        let bundle_done = tile.entries_path().is_none_or(|p| dir.join(p).exists());
        if tile.is_full() && path.exists() && bundle_done {
            continue;
        }
        let data = tiles::try_tile_hashes(&tile, |level, index| nodes.node(level, index))
            .map_err(|e| Error::Log(e.to_string()))?;
        write(&path, &data)?;
        summary.tiles += 1;
        if let Some(entries_path) = tile.entries_path() {
            let range = tile.nodes();
            let entries = log.entries(range.start, range.end - range.start).map_err(|e| Error::Log(e.to_string()))?;
            let data: Vec<&[u8]> = entries.iter().map(|(_, d)| d.as_slice()).collect();
            let bundle = tiles::bundle(&data).map_err(|e| Error::Log(e.to_string()))?;
            write(&dir.join(entries_path), &bundle)?;
            summary.bundles += 1;
        }
    }
    write(&dir.join(tiles::CHECKPOINT_PATH), note.as_bytes())?;
    Ok(summary)
}

fn write(path: &Path, data: &[u8]) -> Result<(), Error> {
    let io = |source| Error::Io { path: path.to_owned(), source };
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(io)?;
    }
    write_atomic(path, data).map_err(io)
}
