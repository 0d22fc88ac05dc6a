//! `kura import`: CSV into a collection, all or nothing unless `--skip-invalid`.

use anyhow::{Context, Result};
use kura::import::{self, Encoding};
use kura::vault::WriteError;

use crate::cli::{EncodingArg, Global, ImportArgs};
use crate::{open, progress};

pub fn run(g: &Global, a: &ImportArgs) -> Result<()> {
    let session = open::open(g, "import")?;
    let vault = &session.vault;
    let schema = vault.schema(&a.collection)?;
    let encoding = match a.encoding {
        EncodingArg::Auto => Encoding::Auto,
        EncodingArg::Utf8 => Encoding::Utf8,
        EncodingArg::ShiftJis => Encoding::ShiftJis,
    };
    let spinner = progress::bar(0, "validating", g.quiet);
    spinner.enable_steady_tick(std::time::Duration::from_millis(200));
    let parsed = import::read(&a.file, &schema, encoding)?;
    spinner.finish_and_clear();
    if !parsed.rejects.is_empty() && !a.skip_invalid {
        return Err(import::Error::Invalid(parsed.rejects).into());
    }
    let lines = parsed.lines.clone();
    let total = parsed.rows.len() as u64;
    let pb = progress::bar(total, "encrypting", g.quiet);
    let summary =
        vault.write(&session.access, &a.collection, parsed.rows, &mut |n| pb.set_position(n)).map_err(|e| match e {
            WriteError::DuplicateExternal(x, y) => anyhow::anyhow!(
                "{}: lines {} and {} have the same external id; nothing was imported",
                a.file.display(),
                lines.get(x.saturating_sub(1)).copied().unwrap_or(0),
                lines.get(y.saturating_sub(1)).copied().unwrap_or(0)
            ),
            other => other.into(),
        })?;
    pb.finish_and_clear();
    println!(
        "imported {} rows from {} ({}) into `{}`: {} new, {} updated",
        total,
        a.file.display(),
        parsed.encoding,
        a.collection,
        summary.inserted,
        summary.updated
    );
    if !parsed.rejects.is_empty() {
        let path = a.rejects.clone().unwrap_or_else(|| a.file.with_extension("rejects.csv"));
        import::write_rejects(&path, &parsed.rejects)
            .with_context(|| format!("cannot write rejects to `{}`", path.display()))?;
        println!("skipped {} invalid rows; reasons in {}", parsed.rejects.len(), path.display());
    }
    session.close()
}
