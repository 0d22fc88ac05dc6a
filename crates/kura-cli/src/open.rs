//! Finding and unlocking the vault: its configuration file, the key file and the passphrase.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use kura::keys::keyfile::{KdfParams, KeyFile};
use kura::store::{postgres::PgStore, sqlite::SqliteStore, Store};
use kura::Vault;
use secrecy::{ExposeSecret, SecretString};

use crate::cli::Global;

/// Name of the configuration file inside the vault directory.
pub const CONFIG: &str = "kura.toml";

/// The vault directory's configuration (no secrets).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Config {
    /// `sqlite` or a `postgres://` URL (without password; give it with PGPASSWORD or a .pgpass file).
    pub database: String,
    /// The key file.
    pub key_file: PathBuf,
}

pub fn read_config(dir: &Path) -> Result<Config> {
    let path = dir.join(CONFIG);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("no vault at `{}` (run `kura init`, or pass `--vault DIR`)", dir.display()))?;
    toml::from_str(&text).with_context(|| format!("`{}` is not a valid vault configuration", path.display()))
}

pub fn store(dir: &Path, database: &str, create: bool) -> Result<Box<dyn Store>> {
    if database == "sqlite" {
        Ok(Box::new(SqliteStore::open(dir, create)?))
    } else if database.starts_with("postgres://") || database.starts_with("postgresql://") {
        Ok(Box::new(PgStore::open(database).context("cannot open the PostgreSQL database")?))
    } else {
        bail!("unknown database `{database}`: use `sqlite` or a `postgres://` URL")
    }
}

/// The passphrase from `KURA_PASSPHRASE`, or a prompt (asked twice when `confirm`).
pub fn passphrase(confirm: bool) -> Result<SecretString> {
    if let Ok(p) = std::env::var("KURA_PASSPHRASE") {
        return Ok(SecretString::from(p));
    }
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        bail!("no passphrase: set KURA_PASSPHRASE or run kura in a terminal");
    }
    let p = rpassword::prompt_password("kura passphrase: ")?;
    if confirm {
        let again = zeroize::Zeroizing::new(rpassword::prompt_password("repeat passphrase: ")?);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(p.as_bytes(), again.as_bytes())) {
            bail!("the passphrases differ");
        }
    }
    Ok(SecretString::from(p))
}

/// Creates a vault directory, its key file and its database.
pub fn init(global: &Global, database: Option<&str>, kdf: KdfParams, pass: &SecretString) -> Result<Vault> {
    let dir = &global.vault;
    if dir.join(CONFIG).exists() {
        bail!("a vault already exists at `{}`", dir.display());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let database = database.unwrap_or("sqlite").to_owned();
    if database.contains('@')
        && database.split("://").nth(1).and_then(|r| r.split('@').next()).is_some_and(|u| u.contains(':'))
    {
        bail!(
            "do not put a password in the database URL (it would be stored in kura.toml); use PGPASSWORD or ~/.pgpass"
        );
    }
    let key_file = global.key_file.clone().unwrap_or_else(|| dir.join("root.key"));
    let vault_id = uuid::Uuid::new_v4().to_string();
    let store = store(dir, &database, true)?;
    let keys = KeyFile::create(&key_file, &vault_id, pass, kdf)?;
    let vault = Vault::create(store, Box::new(keys))?;
    let config = Config { database, key_file };
    std::fs::write(dir.join(CONFIG), toml::to_string(&config)?)?;
    Ok(vault)
}

/// An unlocked vault for one command: the login is logged when it opens, and a checkpoint of the access log
/// is signed when the command finishes.
pub struct Session {
    pub vault: Vault,
    pub access: kura::Access,
    dir: PathBuf,
}

impl Session {
    /// Signs a checkpoint of the access log (the signer refuses if the log was rewritten).
    pub fn close(self) -> Result<()> {
        let signer = self.vault.signer(&self.dir)?;
        signer.sign(self.vault.audit_log().store())?;
        Ok(())
    }
}

/// Opens the vault named by the global options, for `purpose` (kind `support`), and signs in.
pub fn open(global: &Global, purpose: &str) -> Result<Session> {
    open_for(global, purpose, kura::vault::DEFAULT_PURPOSE_KIND)
}

/// Opens the vault named by the global options and signs in, for `purpose` of kind `kind`:
///
/// - with `KURA_TOKEN` set: as the principal owning that token (a service's API token, or a person's session
///   token from `kura login`), limited to its scopes;
/// - with `--as NAME`: as that person, with password (`KURA_PASSWORD` or a prompt) and TOTP code
///   (`KURA_TOTP_CODE` or a prompt);
/// - otherwise: as the custodian (the holder of the key file and passphrase), an administrator who manages
///   principals, policies and collections and loads data, but reads no personal data.
///
/// Every sign-in, accepted or refused, is in the access log.
pub fn open_for(global: &Global, purpose: &str, kind: &str) -> Result<Session> {
    let config = read_config(&global.vault)?;
    let key_file = global.key_file.clone().unwrap_or(config.key_file);
    let origin = origin();
    // Checked before the passphrase is asked for.
    kura::Access::custodian(&whoami(), purpose, &origin)?.with_kind(kind)?;
    let pass = passphrase(false)?;
    let keys = KeyFile::open(&key_file, &pass)?;
    let store = store(&global.vault, &config.database, false)?;
    let vault = Vault::open(store, Box::new(keys))?;
    let access = sign_in(&vault, global, purpose, &origin)?.with_kind(kind)?;
    Ok(Session { vault, access, dir: global.vault.clone() })
}

fn sign_in(vault: &Vault, global: &Global, purpose: &str, origin: &str) -> Result<kura::Access> {
    if let Ok(token) = std::env::var("KURA_TOKEN") {
        let (who, scopes) = vault.authenticate_token(token.trim(), origin)?;
        return Ok(kura::Access::new(who, purpose, origin)?.with_scopes(scopes));
    }
    if let Some(name) = &global.sign_in_as {
        let pass = secret("KURA_PASSWORD", &format!("password for {name}: "))?;
        let code = secret("KURA_TOTP_CODE", "authenticator code: ")?;
        let who = vault.authenticate(name, &pass, Some(code.expose_secret().trim()), origin)?;
        return Ok(kura::Access::new(who, purpose, origin)?);
    }
    let access = kura::Access::custodian(&whoami(), purpose, origin)?;
    vault.login(&access, "key file unlocked (custodian)")?;
    Ok(access)
}

/// A secret from the environment variable `env`, or a prompt at the terminal.
pub fn secret(env: &str, prompt: &str) -> Result<SecretString> {
    if let Ok(v) = std::env::var(env) {
        return Ok(SecretString::from(v));
    }
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        bail!("no {}: set {env} or run kura in a terminal", prompt.trim_end_matches([':', ' ']));
    }
    Ok(SecretString::from(rpassword::prompt_password(prompt)?))
}

/// Where CLI requests come from: `cli:USER@HOST`.
pub fn origin() -> String {
    let user = whoami();
    let host = std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_owned()).unwrap_or_default();
    format!("cli:{user}@{host}")
}

/// The login name of the person at this terminal: the name of the process's real user id in `/etc/passwd`
/// (not `$USER`, which anyone can set).
fn whoami() -> String {
    let uid = std::fs::read_to_string("/proc/self/status").ok().and_then(|s| {
        s.lines().find_map(|l| l.strip_prefix("Uid:").and_then(|r| r.split_whitespace().next().map(str::to_owned)))
    });
    let Some(uid) = uid else { return "unknown".to_owned() };
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|p| {
            p.lines().find_map(|l| {
                let mut it = l.split(':');
                let name = it.next()?;
                (it.nth(1)? == uid).then(|| name.to_owned())
            })
        })
        .unwrap_or_else(|| format!("uid-{uid}"))
}

/// The custodian's access context (the holder of the key file at this terminal), for `purpose`.
pub fn custodian(purpose: &str) -> Result<kura::Access> {
    Ok(kura::Access::custodian(&whoami(), purpose, &origin())?)
}
