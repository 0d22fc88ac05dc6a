//! `kura generate`: synthetic data as CSV.

use std::io::Write;

use anyhow::{Context, Result};
use kura::generate;

use crate::cli::{GenerateCmd, Global};
use crate::progress;

pub fn run(g: &Global, c: GenerateCmd) -> Result<()> {
    let (out, total) = match &c {
        GenerateCmd::Corporate { out, employees, .. } => (out.clone(), *employees as u64),
        GenerateCmd::Consumer { out, count, .. } => (out.clone(), *count as u64),
    };
    let sink: Box<dyn Write> = match &out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("cannot create `{}`", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let pb = progress::bar(total, "generating", g.quiet || out.is_none());
    let mut tick = |n: u64| pb.set_position(n);
    let summary = match c {
        GenerateCmd::Corporate { companies, employees, seed, .. } => {
            generate::corporate(&generate::CorporateParams { companies, employees, seed }, sink, &mut tick)?
        }
        GenerateCmd::Consumer { count, seed, .. } => {
            generate::consumer(&generate::ConsumerParams { count, seed }, sink, &mut tick)?
        }
    };
    pb.finish_and_clear();
    if let Some(path) = out {
        eprintln!("wrote {} rows to {}", summary.rows, path.display());
    }
    Ok(())
}
