//! `kura principal`: people and service accounts, their roles, assignments and credentials.

use anyhow::{Context, Result};
use kura::principal::{Kind, Principal, Role};
use kura::vault::principals::Change;
use secrecy::{ExposeSecret, SecretString};

use crate::cli::{Global, LoginArgs, PrincipalCmd};
use crate::open;

fn secret_from(env: &str, prompt: &str) -> Result<SecretString> {
    open::secret(env, prompt)
}

/// `kura login NAME`: password and TOTP code, then a session token printed once.
pub fn login(g: &Global, a: &LoginArgs) -> Result<()> {
    let config = open::read_config(&g.vault)?;
    let key_file = g.key_file.clone().unwrap_or(config.key_file);
    let keys = kura::keys::keyfile::KeyFile::open(&key_file, &open::passphrase(false)?)?;
    let vault = kura::Vault::open(open::store(&g.vault, &config.database, false)?, Box::new(keys))?;
    let pass = secret_from("KURA_PASSWORD", &format!("password for {}: ", a.name))?;
    let code = secret_from("KURA_TOTP_CODE", "authenticator code: ")?;
    let hours = a.hours.clamp(1, 12);
    let (who, token) =
        vault.start_session(&a.name, &pass, Some(code.expose_secret().trim()), &open::origin(), hours * 3600)?;
    println!("{}", token.expose_secret());
    eprintln!("signed in as `{}` for {hours} h; pass the token above to later commands as KURA_TOKEN", who.name);
    Ok(())
}

/// `kura logout`: revokes the session token in `KURA_TOKEN`.
pub fn logout(g: &Global) -> Result<()> {
    let token = std::env::var("KURA_TOKEN").context("no session: KURA_TOKEN is not set")?;
    let config = open::read_config(&g.vault)?;
    let key_file = g.key_file.clone().unwrap_or(config.key_file);
    let keys = kura::keys::keyfile::KeyFile::open(&key_file, &open::passphrase(false)?)?;
    let vault = kura::Vault::open(open::store(&g.vault, &config.database, false)?, Box::new(keys))?;
    vault.end_session(token.trim(), &open::origin())?;
    eprintln!("session ended");
    Ok(())
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
