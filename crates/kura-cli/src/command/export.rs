//! `kura export`: governed exports and print jobs.

use anyhow::Result;
use kura::vault::exports::{Export, ExportSpec, Format};

use crate::cli::{ExportCmd, ExportFormatArg, Global, PurposeArg};
use crate::open;

fn format(f: ExportFormatArg) -> Format {
    match f {
        ExportFormatArg::CsvUtf8 => Format::CsvUtf8,
        ExportFormatArg::CsvShiftJis => Format::CsvShiftJis,
        ExportFormatArg::Xlsx => Format::Xlsx,
        ExportFormatArg::Labels => Format::Labels,
    }
}

fn show(e: &Export) {
    println!(
        "{}  {:<9} {:<16} requested by {:<14} {} companies, {} fields, {:?}, to `{}`, expires {}, downloads {}/{}{}",
        e.id,
        format!("{:?}", e.state).to_lowercase(),
        e.spec.collection,
        e.requester,
        e.spec.companies.len(),
        e.spec.fields.len(),
        e.spec.format,
        e.spec.recipient,
        e.spec.expires_at,
        e.downloads.len(),
        e.spec.max_downloads,
        e.decided_by.as_ref().map(|d| format!(", decided by {d}")).unwrap_or_default(),
    );
}

/// A new file readable by its owner only; an existing file is never replaced.
fn create_new(path: &std::path::Path) -> Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot create `{}` (kura never overwrites a file): {e}", path.display()))
}

fn session(g: &Global, p: &PurposeArg) -> Result<open::Session> {
    open::open_for(g, &p.purpose, &p.purpose_kind)
}

pub fn run(g: &Global, c: ExportCmd) -> Result<()> {
    match c {
        ExportCmd::Request {
            collection,
            companies,
            departments,
            records,
            fields,
            format: f,
            recipient,
            expires_days,
            downloads,
            dispose_days,
            canaries,
            purpose,
        } => {
            let spec = ExportSpec {
                collection,
                companies: companies.into_iter().collect(),
                departments: departments.into_iter().collect(),
                records: records
                    .iter()
                    .map(|r| r.parse().map_err(|_| anyhow::anyhow!("`{r}` is not a record id (a UUID)")))
                    .collect::<Result<_>>()?,
                fields,
                format: format(f),
                recipient,
                expires_at: kura::store::now() + expires_days.clamp(0, 365) * 86_400,
                max_downloads: downloads,
                dispose_within_days: dispose_days,
                canaries,
            };
            let s = session(g, &purpose)?;
            let e = s.vault.request_export(&s.access, &spec)?;
            println!("{}", e.id);
            eprintln!("requested; a supervisor other than you approves it with `kura export approve {}`", e.id);
            s.close()
        }
        ExportCmd::Approve { id, purpose } => {
            let s = session(g, &purpose)?;
            show(&s.vault.decide_export(&s.access, &id, true, "")?);
            s.close()
        }
        ExportCmd::Deny { id, reason, purpose } => {
            let s = session(g, &purpose)?;
            show(&s.vault.decide_export(&s.access, &id, false, &reason)?);
            s.close()
        }
        ExportCmd::Download { id, out, font, purpose } => {
            let mut options = kura::render::Options::default();
            if let Some(font) = font {
                options.labels.font = font;
            }
            let s = session(g, &purpose)?;
            // The file is created before the download counts, so a path that cannot be written costs nothing.
            let path = match out {
                Some(p) => p,
                None => {
                    let e = s.vault.exports(&s.access)?.into_iter().find(|e| e.id == id);
                    let ext = match e.map(|e| e.spec.format) {
                        Some(Format::Xlsx) => "xlsx",
                        Some(Format::Labels) => "pdf",
                        _ => "csv",
                    };
                    std::path::PathBuf::from(format!("export-{id}.{ext}"))
                }
            };
            let mut f = create_new(&path)?;
            let file = match s.vault.export_file(&s.access, &id, &options) {
                Ok(file) => file,
                Err(e) => {
                    drop(f);
                    let _ = std::fs::remove_file(&path);
                    return Err(e.into());
                }
            };
            std::io::Write::write_all(&mut f, &file.bytes)?;
            f.sync_all()?;
            println!("{}", path.display());
            eprintln!(
                "{} records, sha256 {} (in the access log); download {} of {}; attest disposal with `kura export dispose {id}`",
                file.records,
                file.digest,
                file.export.downloads.len(),
                file.export.spec.max_downloads
            );
            s.close()
        }
        ExportCmd::Dispose { id, purpose } => {
            let s = session(g, &purpose)?;
            show(&s.vault.attest_disposal(&s.access, &id)?);
            s.close()
        }
        ExportCmd::List { json, purpose } => {
            let s = session(g, &purpose)?;
            let all = s.vault.exports(&s.access)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else if all.is_empty() {
                println!("no exports");
            }
            if !json {
                all.iter().for_each(show);
            }
            s.close()
        }
        ExportCmd::Pools { file } => {
            let text =
                std::fs::read_to_string(&file).map_err(|e| anyhow::anyhow!("cannot read `{}`: {e}", file.display()))?;
            let s = open::open(g, "canary pools")?;
            s.vault.set_canary_pools(&s.access, &text)?;
            println!("canary pools set from `{}`", file.display());
            s.close()
        }
        ExportCmd::Overdue { purpose } => {
            let s = session(g, &purpose)?;
            let overdue = s.vault.overdue_disposals(&s.access, kura::store::now())?;
            if overdue.is_empty() {
                println!("no disposal is overdue");
            }
            overdue.iter().for_each(show);
            s.close()
        }
    }
}
