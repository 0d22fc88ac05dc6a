//! Forensic scan: looks for plaintext personal values in files, as someone who stole the database files would.
//!
//! Used by `kura demo` and by the stolen-files test to show that database files, WAL files and anything else
//! the vault wrote contain no personal value in the clear, in the form it was given or in its canonical form.

use std::path::{Path, PathBuf};

use aho_corasick::AhoCorasick;

/// Needles shorter than this many bytes are skipped: they would match by chance.
pub const MIN_NEEDLE: usize = 6;

/// One plaintext value found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The file.
    pub file: PathBuf,
    /// Byte offset.
    pub offset: u64,
    /// Index of the needle that matched (the value itself is not repeated here).
    pub needle: usize,
}

/// Result of a scan.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Files scanned.
    pub files: Vec<(PathBuf, u64)>,
    /// Distinct needles searched for.
    pub needles: usize,
    /// Matches.
    pub hits: Vec<Hit>,
}

/// Scan failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// File error.
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// Automaton construction failed.
    #[error("cannot build the search automaton: {0}")]
    Build(String),
}

/// Searches every file for every needle (values of at least [`MIN_NEEDLE`] bytes; duplicates removed).
pub fn files(paths: &[PathBuf], needles: impl IntoIterator<Item = String>) -> Result<Report, Error> {
    let mut list: Vec<String> = needles.into_iter().filter(|n| n.len() >= MIN_NEEDLE).collect();
    list.sort_unstable();
    list.dedup();
    let ac = AhoCorasick::new(&list).map_err(|e| Error::Build(e.to_string()))?;
    let mut report = Report { needles: list.len(), ..Report::default() };
    for path in paths {
        let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.clone(), source })?;
        report.files.push((path.clone(), bytes.len() as u64));
        for m in ac.find_overlapping_iter(&bytes) {
            report.hits.push(Hit { file: path.clone(), offset: m.start() as u64, needle: m.pattern().as_usize() });
        }
    }
    Ok(report)
}

/// The values of a CSV file as needles: every non-empty cell as given, and its canonical form for the field's
/// type (columns that are not schema fields are taken as given).
pub fn needles_from_csv(path: &Path, schema: &crate::schema::Schema) -> Result<Vec<String>, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.to_owned(), source })?;
    let (text, _) = crate::import::decode(&path.display().to_string(), &bytes, crate::import::Encoding::Auto)
        .map_err(|e| Error::Io { path: path.to_owned(), source: std::io::Error::other(e.to_string()) })?;
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let kinds: Vec<Option<crate::schema::FieldType>> = reader
        .headers()
        .map(|h| h.iter().map(|name| schema.field(name.trim()).map(|f| f.kind)).collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for rec in reader.records().flatten() {
        for (cell, kind) in rec.iter().zip(kinds.iter().chain(std::iter::repeat(&None))) {
            let cell = cell.trim();
            if cell.is_empty() {
                continue;
            }
            out.push(cell.to_owned());
            if let Some(kind) = kind {
                if let Ok(c) = crate::normalize::canonical(*kind, cell) {
                    out.push(c);
                }
            }
        }
    }
    Ok(out)
}

/// Every regular file under `dir` (recursively).
pub fn walk(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Io { path: dir.to_owned(), source })?;
    for e in entries {
        let e = e.map_err(|source| Error::Io { path: dir.to_owned(), source })?;
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p)?);
        } else if p.is_file() {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn finds_planted_value() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.bin");
        std::fs::write(&p, "xxxx東京都千代田区yyyy".as_bytes()).unwrap();
        let r = files(&[p], ["東京都千代田区".to_owned(), "short".to_owned(), "absent-value".to_owned()]).unwrap();
        assert_eq!(r.needles, 2);
        assert_eq!(r.hits.len(), 1);
        assert_eq!(r.hits[0].offset, 4);
    }
}
