//! `kura policy`: show, validate and test Cedar policies. Needs no vault.

use anyhow::{bail, Context, Result};
use kura::policy::cases::Suite;
use kura::policy::{Policy, DEFAULT_POLICY, SCHEMA};

use crate::cli::PolicyCmd;

fn load(path: &std::path::Path) -> Result<Policy> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    Policy::from_text(&text).with_context(|| format!("policy `{}` refused", path.display()))
}

pub fn run(c: PolicyCmd) -> Result<()> {
    match c {
        PolicyCmd::Show => {
            println!("// ---- schema ----\n{SCHEMA}\n// ---- default policy ----\n{DEFAULT_POLICY}");
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
