//! `kura trace`: from a leak to the export and the people it came from, with evidence an outsider can check.

use std::io::Read;

use anyhow::{Context, Result};
use kura::trace::parse::{self, Format};
use kura::vault::trace::{Finding, Options};

use crate::cli::{Global, LeakFormatArg, TraceArgs};
use crate::open;

fn format(f: LeakFormatArg) -> Format {
    match f {
        LeakFormatArg::Auto => Format::Auto,
        LeakFormatArg::Csv => Format::Csv,
        LeakFormatArg::Tsv => Format::Tsv,
        LeakFormatArg::Json => Format::Json,
        LeakFormatArg::Dump => Format::SqlDump,
        LeakFormatArg::Text => Format::Text,
    }
}

/// A new file readable by its owner only; an existing file is never replaced.
fn write_new(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create `{}` (kura never overwrites a file)", path.display()))?;
    std::io::Write::write_all(&mut f, bytes)?;
    f.sync_all()?;
    Ok(())
}

pub fn run(g: &Global, a: TraceArgs) -> Result<()> {
    let mut input = Vec::new();
    if a.input.as_os_str() == "-" {
        std::io::stdin().read_to_end(&mut input).context("cannot read standard input")?;
    } else {
        input = std::fs::read(&a.input).with_context(|| format!("cannot read `{}`", a.input.display()))?;
    }
    // Parsed before the vault is opened: bad input costs no passphrase and no log entry.
    let parsed = parse::parse_report(&input, format(a.format)).context("the leak could not be read")?;
    input.fill(0);
    for target in [&a.json, &a.markdown].into_iter().flatten() {
        anyhow::ensure!(!target.exists(), "`{}` exists (kura never overwrites a file)", target.display());
    }
    let s = open::open_for(g, &a.purpose.purpose, &a.purpose.purpose_kind)?;
    let options = Options { epsilon: a.epsilon, ..Options::default() };
    let report = s.vault.trace(&s.access, &a.collection, &parsed.rows, options)?;

    // Evidence an outsider can check: every entry about the accused export, and the trace itself, proven
    // against a checkpoint signed now.
    let mut proofs = Vec::new();
    let mut checkpoint = None;
    if a.json.is_some() {
        match s.vault.signer(&g.vault) {
            Ok(signer) => {
                let (_, note) = signer.sign(s.vault.audit_log().store())?;
                checkpoint = Some(note);
                let seqs = report.steps.iter().map(|st| st.seq).chain(std::iter::once(report.trace_entry));
                for seq in seqs {
                    proofs.push(kura::audit::proof::prove(s.vault.audit_log().store(), seq)?);
                }
            }
            Err(e) => eprintln!("warning: no inclusion proofs: the checkpoint signer cannot be opened ({e})"),
        }
    }
    if let Some(path) = &a.json {
        let doc = serde_json::json!({ "report": &report, "checkpoint": checkpoint, "proofs": proofs });
        write_new(path, serde_json::to_string_pretty(&doc)?.as_bytes())?;
        eprintln!("JSON report with {} inclusion proofs: {}", proofs.len(), path.display());
    }
    let markdown = report.to_markdown();
    match &a.markdown {
        Some(path) => {
            write_new(path, markdown.as_bytes())?;
            eprintln!("Markdown report: {}", path.display());
        }
        None if a.json.is_none() => print!("{markdown}"),
        None => {}
    }
    match report.finding {
        Finding::Accused => {
            for c in report.candidates.iter().filter(|c| c.accused) {
                println!(
                    "accused: export {} requested by {} approved by {} ({}; p(innocent) <= {:.1e})",
                    c.export,
                    c.requester,
                    c.approver.as_deref().unwrap_or("-"),
                    report.basis,
                    c.false_accusation
                );
            }
        }
        Finding::NotAttributable => {
            println!("not attributable: {} ({} candidate exports)", report.basis, report.candidates.len());
        }
    }
    if parsed.skipped > 0 {
        eprintln!("{} blocks of the input held nothing recognisable and were skipped", parsed.skipped);
    }
    s.close()
}
