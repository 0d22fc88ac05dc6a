//! `kura policy`: show, validate and test Cedar policies (no vault needed); set a vault's policy and list its
//! versions.

use anyhow::{bail, Context, Result};
use kura::policy::cases::Suite;
use kura::policy::{Policy, DEFAULT_POLICY, SCHEMA};

use crate::cli::{Global, PolicyCmd};
use crate::open;

fn load(path: &std::path::Path) -> Result<Policy> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    Policy::from_text(&text).with_context(|| format!("policy `{}` refused", path.display()))
}

pub fn run(g: &Global, c: PolicyCmd) -> Result<()> {
    match c {
        PolicyCmd::Show { active: false } => {
            println!("// ---- schema ----\n{SCHEMA}\n// ---- default policy ----\n{DEFAULT_POLICY}");
        }
        PolicyCmd::Show { active: true } => {
            let session = open::open(g, "policy show")?;
            let active = session.vault.active_policy()?;
            let text = if active.version == 0 {
                DEFAULT_POLICY.to_owned()
            } else {
                let all = session.vault.policy_history(&session.access)?;
                all.into_iter().find(|v| v.version == active.version).map(|v| v.text).unwrap_or_default()
            };
            println!("// version {} (sha256 {})\n{text}", active.version, active.digest);
            session.close()?;
        }
        PolicyCmd::Set { file } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read `{}`", file.display()))?;
            // Refused before the vault is opened when it does not validate.
            Policy::from_text(&text).with_context(|| format!("policy `{}` refused", file.display()))?;
            let session = open::open(g, "policy change")?;
            let n = session.vault.set_policy(&session.access, &text)?;
            println!("policy version {n} is in force (from `{}`)", file.display());
            session.close()?;
        }
        PolicyCmd::History => {
            let session = open::open(g, "policy history")?;
            let active = session.vault.active_policy()?.version;
            println!("v0  (default policy shipped with kura){}", if active == 0 { "  ← active" } else { "" });
            for v in session.vault.policy_history(&session.access)? {
                let mark = if v.version == active { "  ← active" } else { "" };
                println!("v{:<3} sha256 {}{mark}", v.version, v.digest);
            }
            session.close()?;
        }
        PolicyCmd::Validate { file } => {
            load(&file)?;
            println!("`{}` is valid against kura's schema", file.display());
        }
        PolicyCmd::Test { file, policy } => {
            let policy = match policy {
                Some(p) => load(&p)?,
                None => Policy::default_policy()?,
            };
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read `{}`", file.display()))?;
            let suite = Suite::from_toml(&text)?;
            let results = suite.run(&policy);
            let failed = results.iter().filter(|o| !o.passed()).count();
            for o in &results {
                let mark = if o.passed() { "ok  " } else { "FAIL" };
                println!("{mark} {} (expected {}, got {})", o.name, o.expected, o.got);
            }
            println!("{} cases, {} passed, {failed} failed", results.len(), results.len() - failed);
            if failed > 0 {
                bail!("{failed} policy test case(s) failed");
            }
        }
    }
    Ok(())
}
