//! `kura audit`: the access log's checkpoints, verification, proofs, witnesses and questions.

use std::path::Path;

use anyhow::{bail, Context, Result};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use kura::audit::note::Verifier;
use kura::audit::store::{LogStore, PgLog, SqliteLog};
use kura::audit::{merkle, proof, signer, verify, witness, Entry};
use serde::Deserialize;

use crate::cli::{AuditCmd, Global};
use crate::{open, progress};

/// Opens the log alone, without keys: verification and proofs need no passphrase.
fn log_only(g: &Global) -> Result<Box<dyn LogStore>> {
    let config = open::read_config(&g.vault)?;
    if config.database == "sqlite" {
        if !g.vault.join(kura::store::sqlite::VAULT_FILE).exists() {
            bail!("no vault database in `{}`", g.vault.display());
        }
        Ok(Box::new(SqliteLog::open(&g.vault)?))
    } else {
        Ok(Box::new(PgLog::open(&config.database)?))
    }
}

fn verifier_arg(g: &Global, arg: Option<&str>) -> Result<Verifier> {
    let text = match arg {
        Some(a) if Path::new(a).is_file() => std::fs::read_to_string(a)?,
        Some(a) => a.to_owned(),
        None => {
            let p = g.vault.join(signer::VERIFIER_FILE);
            std::fs::read_to_string(&p).with_context(|| {
                format!("no verifier key at `{}` (sign a checkpoint first, or pass --verifier)", p.display())
            })?
        }
    };
    Verifier::from_key_string(text.trim()).context("not a verifier key (expected `name+id+key`)")
}

/// `2026-11-27` → Unix ms at 00:00 UTC.
fn day_ms(s: &str) -> Result<i64> {
    let parts: Vec<i64> = s.split('-').map(str::parse).collect::<Result<_, _>>().context("dates are YYYY-MM-DD")?;
    let [y, m, d] = parts[..] else { bail!("dates are YYYY-MM-DD") };
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        bail!("dates are YYYY-MM-DD");
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Ok((era * 146_097 + doe - 719_468) * 86_400_000)
}

/// Unix ms → `2026-11-27T19:40:00Z`.
fn iso(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

fn print_entries(entries: &[Entry]) {
    if entries.is_empty() {
        println!("no entries");
    }
    for e in entries {
        println!(
            "#{:<8} {}  {:<16} {:<13} {:<5} {:<24} purpose={}{}{}",
            e.seq,
            iso(e.time_ms),
            e.principal,
            e.action.as_str(),
            format!("{:?}", e.outcome).to_lowercase(),
            e.collection.as_deref().unwrap_or("-"),
            e.purpose,
            if e.fields.is_empty() { String::new() } else { format!(" fields={}", e.fields.join(",")) },
            if e.detail.is_empty() { String::new() } else { format!(" ({})", e.detail) },
        );
    }
}

pub fn run(g: &Global, c: AuditCmd) -> Result<()> {
    match c {
        AuditCmd::Checkpoint => {
            let session = open::open(g, "audit checkpoint")?;
            let signer = session.vault.signer(&g.vault)?;
            let (cp, note) = signer.sign(session.vault.audit_log().store())?;
            print!("{note}");
            eprintln!(
                "signed checkpoint of {} entries (verifier key in {})",
                cp.size,
                g.vault.join(signer::VERIFIER_FILE).display()
            );
            Ok(())
        }
        AuditCmd::Verify { witnesses, verifier } => {
            let log = log_only(g)?;
            let _guard = LogAccess::new(g, "audit verify");
            let verifier = verifier_arg(g, verifier.as_deref()).ok();
            let state = read_state(g)?;
            let total = log.size()?;
            let pb = progress::bar(total, "verifying", g.quiet);
            let opts = verify::Options { verifier: verifier.as_ref(), signer_state: state, witnesses };
            let result = verify::verify(&*log, &opts, &mut |n| pb.set_position(n));
            pb.finish_and_clear();
            match result {
                Ok(r) => {
                    println!(
                        "access log verified: {} entries, {} tree rows, {} signed checkpoints, {} witness copies; root {}",
                        r.entries,
                        r.nodes,
                        r.checkpoints,
                        r.witnesses,
                        B64.encode(r.root)
                    );
                    if verifier.is_none() {
                        eprintln!("warning: no verifier key, checkpoint signatures were not checked");
                    }
                    Ok(())
                }
                Err(f) => Err(anyhow::Error::new(LogTampered(f))),
            }
        }
        AuditCmd::Prove { entry, out } => {
            let log = log_only(g)?;
            let _guard = LogAccess::new(g, &format!("audit prove entry {entry}"));
            let p = proof::prove(&*log, entry)?;
            let json = serde_json::to_string_pretty(&p)?;
            match out {
                Some(path) => std::fs::write(&path, json + "\n")?,
                None => println!("{json}"),
            }
            Ok(())
        }
        AuditCmd::CheckProof { file, verifier } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read `{}`", file.display()))?;
            let p: proof::Proof = serde_json::from_str(&text).context("not a kura proof file")?;
            let v = verifier_arg(g, Some(&verifier))?;
            let cp = proof::check(&p, &v)?;
            println!(
                "ok: entry {} is in log `{}` at tree size {} (signed by {})",
                p.index,
                cp.origin,
                cp.size,
                v.name()
            );
            Ok(())
        }
        AuditCmd::Witness { dir } => {
            let log = log_only(g)?;
            let v = verifier_arg(g, None)?;
            match witness::witness(&dir, &v, &*log)? {
                witness::Outcome::First(n) => println!("witnessed the first checkpoint (size {n})"),
                witness::Outcome::Advanced { from, to } => println!("witnessed size {to}: consistent with size {from}"),
                witness::Outcome::Unchanged(n) => println!("nothing new (size {n})"),
            }
            Ok(())
        }
        AuditCmd::Publish { dir } => {
            let log = log_only(g)?;
            let _guard = LogAccess::new(g, "audit publish");
            let (size, note) = newest_checkpoint(&*log)?;
            let s = kura::audit::publish::publish(&*log, &dir, size, &note)?;
            println!(
                "published {} entries to {}: {} tiles, {} entry bundles",
                s.size,
                dir.display(),
                s.tiles,
                s.bundles
            );
            Ok(())
        }
        AuditCmd::WhoSaw { target, purpose } => {
            let session = open::open_for(g, &purpose.purpose, &purpose.purpose_kind)?;
            let entries = if target.external_id {
                session.vault.who_saw_external(&session.access, &target.collection, &target.id)?.1
            } else {
                session.vault.who_saw(&session.access, &target.collection, target.id.parse()?)?
            };
            print_entries(&entries);
            session.close()
        }
        AuditCmd::Activity { principal, from, to, purpose } => {
            let from = from.as_deref().map(day_ms).transpose()?.unwrap_or(i64::MIN);
            let to = to.as_deref().map(day_ms).transpose()?.unwrap_or(i64::MAX);
            let session = open::open_for(g, &purpose.purpose, &purpose.purpose_kind)?;
            let entries = session.vault.activity(&session.access, &principal, from, to)?;
            print_entries(&entries);
            session.close()
        }
    }
}

/// Records a log-access entry for commands that read the log without unlocking the vault (auditors have no
/// passphrase). Appended when the command ends, after any read snapshot is closed.
struct LogAccess {
    log: Option<kura::audit::Log>,
    detail: String,
}

impl LogAccess {
    fn new(g: &Global, detail: &str) -> LogAccess {
        LogAccess { log: log_only(g).ok().map(kura::audit::Log::new), detail: detail.to_owned() }
    }
}

impl Drop for LogAccess {
    fn drop(&mut self) {
        let Some(log) = &self.log else { return };
        let Ok(access) = open::custodian("audit") else { return };
        let entry = Entry {
            seq: 0,
            time_ms: 0,
            principal: access.principal().to_owned(),
            action: kura::audit::Action::LogAccess,
            collection: None,
            subjects: Vec::new(),
            fields: Vec::new(),
            purpose: access.purpose().to_owned(),
            outcome: kura::audit::Outcome::Allow,
            origin: access.origin().to_owned(),
            request: access.request().to_owned(),
            detail: self.detail.clone(),
        };
        if let Err(e) = log.append(vec![entry]) {
            eprintln!("warning: this log access could not be recorded: {e}");
        }
    }
}

fn newest_checkpoint(log: &dyn LogStore) -> Result<(u64, String)> {
    Ok(proof::newest_checkpoint(log)?)
}

fn read_state(g: &Global) -> Result<Option<(u64, merkle::Hash)>> {
    let path = g.vault.join(signer::STATE_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    #[derive(Deserialize)]
    struct State {
        size: u64,
        root: String,
    }
    let s: State = serde_json::from_str(&text).context("signer state is damaged")?;
    let root = B64.decode(&s.root).ok().and_then(|r| merkle::Hash::try_from(r.as_slice()).ok());
    Ok(Some((s.size, root.context("signer state is damaged")?)))
}

/// Verification found tampering (exit code 6).
#[derive(Debug)]
pub struct LogTampered(pub verify::Failure);

impl std::fmt::Display for LogTampered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "access log verification FAILED: {}", self.0)?;
        if let Some(i) = self.0.index {
            write!(f, " [first bad index: {i}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for LogTampered {}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(day_ms("1970-01-01").unwrap(), 0);
        assert_eq!(day_ms("2026-11-27").unwrap(), 1_795_737_600_000);
        assert_eq!(iso(1_795_737_600_000 + 3_723_000), "2026-11-27T01:02:03Z");
        assert!(day_ms("2026-13-01").is_err());
    }
}
