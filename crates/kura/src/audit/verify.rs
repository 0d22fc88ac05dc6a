//! Full verification of the access log, as an auditor runs it.
//!
//! Recomputes every leaf hash from the stored entries and every stored tree node from its children, checks
//! every stored checkpoint's signature and root, compares the signer's own record and witness copies, and
//! on failure names the first entry (or tree row, or checkpoint) that does not match. Streams the log in
//! chunks, so memory stays flat; leaf hashing runs on all cores.

use std::path::PathBuf;

use rayon::prelude::*;

use super::checkpoint::Checkpoint;
use super::merkle::{self, Hash};
use super::note::Verifier;
use super::store::{LogStore, StoreNodes};
use super::witness;

const CHUNK: u64 = 65_536;

/// A subject commitment as fixed bytes (22 base64url characters): compared and sorted like the string, without
/// an allocation per row.
type Key = [u8; 22];

fn key(c: &str) -> Option<Key> {
    c.as_bytes().try_into().ok()
}

/// The parts of an entry verification compares with the indexed columns, borrowed from the leaf data.
#[derive(serde::Deserialize)]
struct Head<'a> {
    seq: u64,
    time_ms: i64,
    #[serde(borrow)]
    principal: std::borrow::Cow<'a, str>,
    #[serde(default, borrow)]
    subjects: Vec<std::borrow::Cow<'a, str>>,
}

/// What was checked.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Entries checked.
    pub entries: u64,
    /// Tree rows checked.
    pub nodes: u64,
    /// Signed checkpoints checked.
    pub checkpoints: usize,
    /// Witness copies compared.
    pub witnesses: usize,
    /// Root of the whole log.
    pub root: Hash,
}

/// The first thing that does not match.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{what}")]
pub struct Failure {
    /// The first entry index affected, when it can be named.
    pub index: Option<u64>,
    /// What is wrong.
    pub what: String,
}

fn fail(index: u64, what: String) -> Failure {
    Failure { index: Some(index), what: format!("entry {index}: {what}") }
}

fn storage(e: impl std::fmt::Display) -> Failure {
    Failure { index: None, what: format!("cannot read the log: {e}") }
}

/// Inputs besides the log.
#[derive(Debug, Default)]
pub struct Options<'a> {
    /// Verifier key of the checkpoint signer.
    pub verifier: Option<&'a Verifier>,
    /// The signer's own record of the last checkpoint it signed.
    pub signer_state: Option<(u64, Hash)>,
    /// Witness directories.
    pub witnesses: Vec<PathBuf>,
}

/// Verifies the whole log, in one read snapshot (appends by others meanwhile are not seen). `progress` is told
/// how many entries were checked.
pub fn verify(log: &dyn LogStore, opts: &Options<'_>, progress: &mut dyn FnMut(u64)) -> Result<Report, Failure> {
    log.begin_snapshot().map_err(storage)?;
    let result = verify_snapshot(log, opts, progress);
    let ended = log.end_snapshot().map_err(storage);
    let report = result?;
    ended?;
    Ok(report)
}

fn verify_snapshot(log: &dyn LogStore, opts: &Options<'_>, progress: &mut dyn FnMut(u64)) -> Result<Report, Failure> {
    let size = log.size().map_err(storage)?;
    let checkpoints = log.checkpoints().map_err(storage)?;
    if opts.verifier.is_none() && (!checkpoints.is_empty() || !opts.witnesses.is_empty()) {
        return Err(Failure {
            index: None,
            what: "the log has signed checkpoints (or witnesses were named) but no verifier key was given: signatures cannot be checked".to_owned(),
        });
    }
    let mut report = Report::default();
    // 1. Entries against stored leaves, in order. The next chunk is read while this one is hashed.
    type Chunk = (Vec<super::store::StoredEntry>, Vec<merkle::Node>);
    let fetch = |from: u64| -> Result<Chunk, Failure> {
        Ok((log.entry_rows(from, CHUNK).map_err(storage)?, log.node_level(0, from, CHUNK).map_err(storage)?))
    };
    // Every (commitment, seq) the entries name, to compare with the subject index afterwards.
    let mut expected_subjects: Vec<(Key, u64)> = Vec::new();
    let mut at = 0u64;
    let mut next = if size > 0 { Some(fetch(0)?) } else { None };
    while let Some((entries, leaves)) = next.take() {
        if entries.is_empty() {
            return Err(fail(at, "missing (deleted)".to_owned()));
        }
        let following = at + entries.len() as u64;
        let (hashed, fetched) = rayon::join(
            || -> Vec<Result<(Hash, Vec<Key>), Failure>> {
                entries
                    .par_iter()
                    .enumerate()
                    .map(|(i, row)| {
                        let want = at + i as u64;
                        if row.seq != want {
                            return Err(fail(want, "missing (deleted, or the log was reordered)".to_owned()));
                        }
                        let e: Head<'_> = serde_json::from_slice(&row.data)
                            .map_err(|_| fail(want, "is not a valid entry".to_owned()))?;
                        if e.seq != want {
                            return Err(fail(want, format!("holds sequence number {} (moved or reordered)", e.seq)));
                        }
                        // The indexed columns answer "what did this principal do?": they must say what the entry says.
                        if e.principal != row.principal || e.time_ms != row.time_ms {
                            return Err(fail(want, "its principal or time column was altered".to_owned()));
                        }
                        let subjects = e
                            .subjects
                            .iter()
                            .map(|c| {
                                key(c).ok_or_else(|| fail(want, "names a malformed subject commitment".to_owned()))
                            })
                            .collect::<Result<Vec<Key>, Failure>>()?;
                        Ok((merkle::leaf_hash(&row.data), subjects))
                    })
                    .collect()
            },
            || if following < size { Some(fetch(following)) } else { None },
        );
        for (i, h) in hashed.into_iter().enumerate() {
            let index = at + i as u64;
            let (h, subjects) = h?;
            expected_subjects.extend(subjects.into_iter().map(|c| (c, index)));
            match leaves.get(i) {
                Some(n) if n.index == index && n.hash == h => {}
                Some(n) if n.index == index => {
                    return Err(fail(index, "does not match its tree leaf (entry or tree row altered)".to_owned()))
                }
                _ => return Err(fail(index, "has no tree leaf (tree row deleted)".to_owned())),
            }
        }
        at = following;
        report.entries = at;
        report.nodes += entries.len() as u64;
        progress(at);
        next = fetched.transpose()?;
    }
    // 2. Every higher node from its two children, level by level (hashed on all cores).
    let mut level = 1u8;
    while level < 64 && (size >> level) > 0 {
        let count = size >> level;
        let mut i = 0u64;
        while i < count {
            let parents = log.node_level(level, i, CHUNK).map_err(storage)?;
            let children = log.node_level(level - 1, 2 * i, 2 * CHUNK).map_err(storage)?;
            let n = parents.len().min(usize::try_from(count - i).unwrap_or(usize::MAX));
            if n == 0 {
                return Err(fail(i << level, format!("tree row at level {level} is missing")));
            }
            let bad = parents.par_iter().take(n).enumerate().find_first(|(k, p)| {
                let idx = i + *k as u64;
                match (children.get(2 * k), children.get(2 * k + 1)) {
                    (Some(l), Some(r)) => {
                        p.index != idx
                            || l.index != 2 * idx
                            || r.index != 2 * idx + 1
                            || merkle::node_hash(&l.hash, &r.hash) != p.hash
                    }
                    _ => true,
                }
            });
            if let Some((k, _)) = bad {
                let idx = i + k as u64;
                return Err(fail(
                    idx << level,
                    format!("tree row at level {level}, index {idx} does not match its children"),
                ));
            }
            report.nodes += n as u64;
            i += n as u64;
        }
        level += 1;
    }
    // 3. No extra rows beyond the tree.
    for l in 0..64u8 {
        if let Some(extra) = log.node_level(l, size >> l, 1).map_err(storage)?.first() {
            return Err(fail(
                extra.index << l,
                format!("extra tree row at level {l}, index {} (inserted)", extra.index),
            ));
        }
        if (size >> l) == 0 {
            break;
        }
    }
    // 4. The subject index ("who saw this person?") holds exactly the pairs the entries name.
    expected_subjects.sort_unstable();
    expected_subjects.dedup();
    let mut k = 0usize;
    let mut after: Option<(String, u64)> = None;
    loop {
        let rows = log.subject_rows(after.as_ref().map(|(c, s)| (c.as_str(), *s)), CHUNK).map_err(storage)?;
        let Some(last) = rows.last().cloned() else { break };
        for (c, seq) in rows {
            let row = (
                key(&c).ok_or_else(|| fail(seq, "a malformed subject index row naming it was inserted".to_owned()))?,
                seq,
            );
            match expected_subjects.get(k) {
                Some(want) if *want == row => k += 1,
                Some(want) if *want < row => {
                    return Err(fail(want.1, "its subject index row was deleted (who-saw would hide it)".to_owned()))
                }
                _ => return Err(fail(row.1, "a subject index row naming it was inserted".to_owned())),
            }
        }
        after = Some(last);
    }
    if let Some(want) = expected_subjects.get(k) {
        return Err(fail(want.1, "its subject index row was deleted (who-saw would hide it)".to_owned()));
    }
    let nodes = StoreNodes(log);
    let root_at = |s: u64| merkle::root(&nodes, s).map_err(storage);
    report.root = root_at(size)?;
    // 4. Signed checkpoints.
    let mut last_good = 0u64;
    for (cp_size, note) in checkpoints {
        let cp = match opts.verifier {
            Some(v) => Checkpoint::open(&note, v).map_err(|e| Failure {
                index: None,
                what: format!("checkpoint of size {cp_size}: signature does not verify ({e})"),
            })?,
            None => {
                let body = note.split("\n\n").next().unwrap_or("").to_owned() + "\n";
                Checkpoint::parse(&body)
                    .map_err(|e| Failure { index: None, what: format!("checkpoint of size {cp_size}: {e}") })?
            }
        };
        if cp.size != cp_size {
            return Err(Failure {
                index: None,
                what: format!("checkpoint row of size {cp_size} holds a checkpoint of size {}", cp.size),
            });
        }
        check_root(cp.size, &cp.root, size, &root_at, last_good, "signed checkpoint")?;
        last_good = last_good.max(cp.size);
        report.checkpoints += 1;
    }
    // 5. The signer's record and the witnesses.
    if let Some((s, r)) = opts.signer_state {
        check_root(s, &r, size, &root_at, last_good, "the signer's last signed checkpoint")?;
    }
    if let Some(v) = opts.verifier {
        for dir in &opts.witnesses {
            match witness::latest(dir, v) {
                Ok(Some(cp)) => {
                    check_root(cp.size, &cp.root, size, &root_at, last_good, "the witness copy")?;
                    report.witnesses += 1;
                }
                Ok(None) => {}
                Err(e) => return Err(Failure { index: None, what: format!("witness `{}`: {e}", dir.display()) }),
            }
        }
    }
    Ok(report)
}

fn check_root(
    cp_size: u64,
    cp_root: &Hash,
    size: u64,
    root_at: &dyn Fn(u64) -> Result<Hash, Failure>,
    last_good: u64,
    what: &str,
) -> Result<(), Failure> {
    if cp_size > size {
        return Err(Failure {
            index: Some(size),
            what: format!("{what} covers {cp_size} entries but the log has only {size}: entries from index {size} on were deleted"),
        });
    }
    if cp_size > 0 && root_at(cp_size)? != *cp_root {
        return Err(Failure {
            index: Some(last_good),
            what: format!(
                "{what} of size {cp_size} does not match the log: an entry in [{last_good}, {cp_size}) was changed, deleted or inserted and the tree rebuilt"
            ),
        });
    }
    Ok(())
}
