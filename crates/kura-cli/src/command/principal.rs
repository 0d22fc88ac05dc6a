//! `kura principal`: people and service accounts, their roles, assignments and credentials.

use anyhow::{bail, Context, Result};
use kura::principal::{Kind, Principal, Role};
use kura::vault::principals::Change;
use secrecy::{ExposeSecret, SecretString};

use crate::cli::{Global, PrincipalCmd};
use crate::open;

fn secret_from(env: &str, prompt: &str) -> Result<SecretString> {
    if let Ok(v) = std::env::var(env) {
        return Ok(SecretString::from(v));
    }
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        bail!("no password: set {env} or run in a terminal");
    }
    Ok(SecretString::from(rpassword::prompt_password(prompt)?))
}

pub fn run(g: &Global, c: PrincipalCmd) -> Result<()> {
    let session = open::open(g, "principal administration")?;
    let (vault, access) = (&session.vault, &session.access);
    match c {
        PrincipalCmd::Add { name, kind, roles, team, companies } => {
            let kind: Kind = kind.parse().map_err(anyhow::Error::msg)?;
            let roles =
                roles.iter().map(|r| r.parse::<Role>()).collect::<Result<_, _>>().map_err(anyhow::Error::msg)?;
            let p = Principal::new(&name, kind, roles, team, companies.into_iter().collect())?;
            vault.add_principal(access, &p)?;
            println!("created principal `{name}`");
        }
        PrincipalCmd::List { json } => {
            let all = vault.principals()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else {
                for p in all {
                    println!(
                        "{:<20} {:<11} {:<40} {:>3} companies{}{}{}",
                        p.name,
                        format!("{:?}", p.kind).to_lowercase(),
                        p.roles.iter().map(|r| format!("{r:?}").to_lowercase()).collect::<Vec<_>>().join(","),
                        p.companies.len(),
                        if p.password { " password" } else { "" },
                        if p.totp { " totp" } else { "" },
                        if p.suspended { " SUSPENDED" } else { "" },
                    );
                }
            }
        }
        PrincipalCmd::Suspend { name } => {
            vault.change_principal(access, &name, Change::Suspend)?;
            println!("suspended `{name}`");
        }
        PrincipalCmd::Resume { name } => {
            vault.change_principal(access, &name, Change::Resume)?;
            println!("resumed `{name}`");
        }
        PrincipalCmd::SetPassword { name } => {
            let pass = secret_from("KURA_NEW_PASSWORD", "new password: ")?;
            vault.set_password(access, &name, &pass)?;
            println!("password set for `{name}`");
        }
        PrincipalCmd::EnrollTotp { name } => {
            let uri = vault.enroll_totp(access, &name, "kura")?;
            println!("{}", uri.expose_secret());
            eprintln!("show this once to `{name}` (as a QR code); it is not displayed again");
        }
        PrincipalCmd::IssueToken { name, scopes, days } => {
            let expires = kura::store::now() + days.clamp(1, 3650) * 86_400;
            let token = vault.issue_token(access, &name, scopes, expires)?;
            println!("{}", token.expose_secret());
            eprintln!("store this token now: kura keeps only its hash");
        }
        PrincipalCmd::RevokeToken { name, id } => {
            vault.revoke_token(access, &name, &id)?;
            println!("revoked token `{id}` of `{name}`");
        }
        PrincipalCmd::CheckLogin { name, code } => {
            let pass = secret_from("KURA_LOGIN_PASSWORD", "password: ")?;
            let p =
                vault.authenticate(&name, &pass, code.as_deref(), access.origin()).context("sign-in check failed")?;
            println!("sign-in accepted for `{}` ({} roles)", p.name, p.roles.len());
        }
    }
    session.close()
}
