//! `kura scan`: look at the vault's files as a thief would, for plaintext values from a CSV.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use kura::schema::Schema;

use crate::cli::{Global, ScanArgs};

pub fn schema_arg(s: &str) -> Result<Schema> {
    if let Some(schema) = kura::schema::builtin(s) {
        return Ok(schema);
    }
    let text =
        std::fs::read_to_string(s).with_context(|| format!("`{s}` is neither a shipped schema nor a readable file"))?;
    Ok(Schema::from_toml(&text)?)
}

pub fn run(g: &Global, a: &ScanArgs) -> Result<()> {
    let schema = schema_arg(&a.schema)?;
    let roots: Vec<PathBuf> = if a.paths.is_empty() { vec![g.vault.clone()] } else { a.paths.clone() };
    let mut files = Vec::new();
    for r in &roots {
        if r.is_dir() {
            files.extend(kura::scan::walk(r)?);
        } else {
            files.push(r.clone());
        }
    }
    let needles = kura::scan::needles_from_csv(&a.values, &schema)?;
    let report = kura::scan::files(&files, needles)?;
    let bytes: u64 = report.files.iter().map(|(_, n)| n).sum();
    println!(
        "scanned {} files ({:.1} MB) for {} distinct plaintext values (as given and normalised): {} hits",
        report.files.len(),
        bytes as f64 / 1e6,
        report.needles,
        report.hits.len()
    );
    for h in report.hits.iter().take(20) {
        println!("  hit: {} at byte {}", h.file.display(), h.offset);
    }
    if !report.hits.is_empty() {
        bail!("{} plaintext values found", report.hits.len());
    }
    Ok(())
}
