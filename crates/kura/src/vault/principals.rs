//! Principals and authentication, on the vault: every change and every sign-in attempt is logged, and records
//! are sealed under the vault's authentication key (wrapped by the root key) so they cannot be edited in the
//! database.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};

use super::{Access, Vault};
use crate::audit::log::AppendError;
use crate::audit::{Action, Outcome};
use crate::auth::{lockout, password, token, totp};
use crate::crypto::{self, SecretKey};
use crate::principal::{Invalid, Kind, Principal, Summary, TotpEnrolment};
use crate::store;

const META_AUTH_KEY: &str = "auth_key";
const AUTH_KEY_LABEL: &str = "vault/principal-records";

/// Managing principals failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrincipalError {
    /// Invalid attributes.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// No such principal.
    #[error("no principal `{0}`")]
    Unknown(String),
    /// Weak or oversize password.
    #[error(transparent)]
    Password(#[from] password::PolicyError),
    /// The stored record does not open: altered in the database, or another vault's.
    #[error("principal record `{0}` does not open under this vault's key (altered in the database?)")]
    Sealed(String),
    /// Storage.
    #[error(transparent)]
    Store(#[from] store::Error),
    /// Keys.
    #[error(transparent)]
    Keys(#[from] crate::keys::Error),
    /// The log refused the entry; nothing changed.
    #[error(transparent)]
    Log(#[from] AppendError),
    /// Hashing or encoding failed.
    #[error("credential processing failed: {0}")]
    Credential(String),
}

/// Why a sign-in was refused. Deliberately coarse: it does not say which factor was wrong or whether the
/// principal exists.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// Wrong name, password, code or token.
    #[error("sign-in refused: wrong name, password, code or token")]
    Refused,
    /// Too many failures.
    #[error("sign-in refused: too many failed attempts; locked until {0} (Unix time)")]
    Locked(i64),
    /// Suspended.
    #[error("sign-in refused: this principal is suspended")]
    Suspended,
    /// Storage, keys or log.
    #[error(transparent)]
    Principal(#[from] PrincipalError),
}

/// A change to a principal.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Change {
    /// Suspend: no sign-in, no token use.
    Suspend,
    /// Lift a suspension (and a lockout).
    Resume,
    /// Replace the assigned client companies.
    Companies(std::collections::BTreeSet<String>),
    /// Replace the roles.
    Roles(std::collections::BTreeSet<crate::principal::Role>),
}

impl Vault {
    /// The authentication key, created on first use.
    fn auth_key(&self) -> Result<SecretKey, PrincipalError> {
        if let Some(w) = self.store.meta(META_AUTH_KEY)? {
            let wrapped = B64.decode(w).map_err(|_| PrincipalError::Sealed("(vault key)".to_owned()))?;
            return Ok(self.keys.unwrap(AUTH_KEY_LABEL, &wrapped)?);
        }
        let key = SecretKey::generate();
        let wrapped = self.keys.wrap(AUTH_KEY_LABEL, &key)?;
        self.store.set_meta(META_AUTH_KEY, &B64.encode(wrapped))?;
        Ok(key)
    }

    fn seal_principal(&self, p: &Principal) -> Result<Vec<u8>, PrincipalError> {
        let json =
            zeroize::Zeroizing::new(serde_json::to_vec(p).map_err(|e| PrincipalError::Credential(e.to_string()))?);
        let ad = crypto::context("kura/principal/v1", &[p.name.as_bytes()]);
        crypto::seal(&self.auth_key()?, &ad, &json).map_err(|e| PrincipalError::Credential(e.to_string()))
    }

    fn load_principal(&self, name: &str) -> Result<Option<Principal>, PrincipalError> {
        let Some(sealed) = self.store.principal(name)? else { return Ok(None) };
        let ad = crypto::context("kura/principal/v1", &[name.as_bytes()]);
        let json =
            crypto::open(&self.auth_key()?, &ad, &sealed).map_err(|_| PrincipalError::Sealed(name.to_owned()))?;
        let p: Principal = serde_json::from_slice(&json).map_err(|_| PrincipalError::Sealed(name.to_owned()))?;
        if p.name != name {
            return Err(PrincipalError::Sealed(name.to_owned()));
        }
        Ok(Some(p))
    }

    fn principal_entry(&self, access: &Access, name: &str, detail: String) -> crate::audit::Entry {
        let mut e = self.entry(access, Action::PrincipalChange, None, Outcome::Allow);
        e.detail = format!("principal `{name}`: {detail}");
        e
    }

    /// Creates a principal (no credentials yet).
    pub fn add_principal(&self, access: &Access, p: &Principal) -> Result<(), PrincipalError> {
        p.validate()?;
        let detail = format!(
            "created ({:?}, roles {:?}, {} companies)",
            p.kind,
            p.roles.iter().collect::<Vec<_>>(),
            p.companies.len()
        );
        self.log(vec![self.principal_entry(access, &p.name, detail)])?;
        self.store.put_principal(&p.name, &self.seal_principal(p)?, true)?;
        Ok(())
    }

    /// A principal's attributes (no credential material).
    pub fn principal(&self, name: &str) -> Result<Summary, PrincipalError> {
        Ok(self.load_principal(name)?.ok_or_else(|| PrincipalError::Unknown(name.to_owned()))?.summary())
    }

    /// All principals (no credential material).
    pub fn principals(&self) -> Result<Vec<Summary>, PrincipalError> {
        let mut out = Vec::new();
        for name in self.store.principal_names()? {
            if let Some(p) = self.load_principal(&name)? {
                out.push(p.summary());
            }
        }
        Ok(out)
    }

    fn modify(
        &self,
        access: &Access,
        name: &str,
        detail: String,
        f: impl FnOnce(&mut Principal) -> Result<(), PrincipalError>,
    ) -> Result<(), PrincipalError> {
        let mut p = self.load_principal(name)?.ok_or_else(|| PrincipalError::Unknown(name.to_owned()))?;
        f(&mut p)?;
        p.validate()?;
        self.log(vec![self.principal_entry(access, name, detail)])?;
        self.store.put_principal(name, &self.seal_principal(&p)?, false)?;
        Ok(())
    }

    /// Changes a principal.
    pub fn change_principal(&self, access: &Access, name: &str, change: Change) -> Result<(), PrincipalError> {
        let detail = match &change {
            Change::Suspend => "suspended".to_owned(),
            Change::Resume => "resumed".to_owned(),
            Change::Companies(c) => format!("assigned to {} companies", c.len()),
            Change::Roles(r) => format!("roles set to {:?}", r.iter().collect::<Vec<_>>()),
        };
        self.modify(access, name, detail, |p| {
            match change {
                Change::Suspend => p.suspended = true,
                Change::Resume => {
                    p.suspended = false;
                    p.lockout = lockout::State::default();
                }
                Change::Companies(c) => p.companies = c,
                Change::Roles(r) => p.roles = r,
            }
            Ok(())
        })
    }

    /// Sets a principal's password (Argon2id).
    pub fn set_password(&self, access: &Access, name: &str, new: &SecretString) -> Result<(), PrincipalError> {
        password::check_policy(new)?;
        let phc = password::hash(new).map_err(|e| PrincipalError::Credential(e.to_string()))?;
        self.modify(access, name, "password set".to_owned(), |p| {
            if p.kind == Kind::Service {
                return Err(Invalid::ServicePassword.into());
            }
            p.password = Some(phc);
            Ok(())
        })
    }

    /// Enrols a new TOTP secret; returns the `otpauth://` URI to show once (as a QR code or text).
    pub fn enroll_totp(&self, access: &Access, name: &str, issuer: &str) -> Result<SecretString, PrincipalError> {
        let secret = totp::Secret::generate();
        let b32 = secret.to_base32();
        let uri = totp::Totp::new(secret, totp::Algorithm::default(), totp::Digits::Six)
            .provisioning_uri(issuer, name)
            .map_err(|e| PrincipalError::Credential(e.to_string()))?;
        self.modify(access, name, "TOTP enrolled".to_owned(), |p| {
            p.totp = Some(TotpEnrolment { secret: b32.expose_secret().to_owned(), last_step: None });
            Ok(())
        })?;
        Ok(uri)
    }

    /// Issues an API token; the returned plaintext is shown once and never stored.
    pub fn issue_token(
        &self,
        access: &Access,
        name: &str,
        scopes: Vec<String>,
        expires_at: i64,
    ) -> Result<SecretString, PrincipalError> {
        let (plain, stored) = token::issue(scopes, expires_at);
        let detail = format!("API token `{}` issued, expires {expires_at}", stored.id.as_str());
        self.modify(access, name, detail, |p| {
            p.tokens.push(stored);
            Ok(())
        })?;
        Ok(plain)
    }

    /// Revokes an API token.
    pub fn revoke_token(&self, access: &Access, name: &str, id: &str) -> Result<(), PrincipalError> {
        let now = store::now();
        self.modify(access, name, format!("API token `{id}` revoked"), |p| {
            let t = p
                .tokens
                .iter_mut()
                .find(|t| t.id.as_str() == id)
                .ok_or_else(|| PrincipalError::Unknown(id.to_owned()))?;
            t.revoke(now);
            Ok(())
        })
    }

    fn login_entry(&self, name: &str, origin: &str, outcome: Outcome, detail: &str) -> Result<(), AppendError> {
        let who = if crate::principal::valid_name(name) { name } else { "(invalid name)" };
        let access = Access::new(who, "sign-in", origin).or_else(|_| Access::new(who, "sign-in", "unknown"));
        let Ok(access) = access else { return Err(AppendError("invalid sign-in origin".to_owned())) };
        let mut e = self.entry(&access, Action::Login, None, outcome);
        e.detail = detail.to_owned();
        self.log(vec![e]).map(|_| ())
    }

    /// Signs a person in with password and (when enrolled) a TOTP code. Lockout after repeated failures;
    /// every attempt is logged. Returns the principal's attributes.
    pub fn authenticate(
        &self,
        name: &str,
        pass: &SecretString,
        code: Option<&str>,
        origin: &str,
    ) -> Result<Summary, AuthError> {
        let now = store::now();
        let Some(mut p) = self.load_principal(name)? else {
            // Same work as for a real account, so timing does not reveal which names exist.
            let _ = password::Hasher::new(password::Params::default()).map(|h| h.verify_absent(pass));
            self.login_entry(name, origin, Outcome::Deny, "unknown principal").map_err(PrincipalError::from)?;
            return Err(AuthError::Refused);
        };
        if let lockout::Decision::Deny { until } = lockout::check(&p.lockout, now) {
            self.login_entry(name, origin, Outcome::Deny, "locked out").map_err(PrincipalError::from)?;
            return Err(AuthError::Locked(until));
        }
        let password_ok = match &p.password {
            Some(phc) => password::verify(pass, phc).unwrap_or(false),
            None => false,
        };
        let code_ok = match (p.totp(), code) {
            (None, _) => Ok(None),
            (Some(Ok(t)), Some(c)) => {
                let last = p.totp.as_ref().and_then(|e| e.last_step);
                t.verify(c, now, last).map(Some).map_err(|_| ())
            }
            _ => Err(()),
        };
        let ok = password_ok && code_ok.is_ok();
        if ok && p.suspended {
            self.login_entry(name, origin, Outcome::Deny, "suspended").map_err(PrincipalError::from)?;
            return Err(AuthError::Suspended);
        }
        if ok {
            p.lockout = lockout::record_success(&p.lockout, now);
            if let (Ok(Some(step)), Some(e)) = (code_ok, p.totp.as_mut()) {
                e.last_step = Some(step);
            }
            self.login_entry(name, origin, Outcome::Allow, "password and second factor accepted")
                .map_err(PrincipalError::from)?;
        } else {
            p.lockout = lockout::record_failure(&p.lockout, now);
            self.login_entry(name, origin, Outcome::Deny, "wrong credentials").map_err(PrincipalError::from)?;
        }
        self.store.put_principal(name, &self.seal_principal(&p)?, false).map_err(PrincipalError::from)?;
        if ok {
            Ok(p.summary())
        } else {
            Err(AuthError::Refused)
        }
    }

    /// Authenticates a service by API token. Every attempt is logged.
    pub fn authenticate_token(&self, presented: &str, origin: &str) -> Result<Summary, AuthError> {
        let now = store::now();
        let id = token::lookup_id(presented).map_err(|_| AuthError::Refused);
        let found = match &id {
            Ok(id) => {
                let mut hit = None;
                for name in self.store.principal_names().map_err(PrincipalError::from)? {
                    if let Some(p) = self.load_principal(&name)? {
                        if p.tokens.iter().any(|t| t.id == *id) {
                            hit = Some(p);
                            break;
                        }
                    }
                }
                hit
            }
            Err(_) => None,
        };
        let Some(p) = found else {
            self.login_entry("(token)", origin, Outcome::Deny, "unknown or malformed token")
                .map_err(PrincipalError::from)?;
            return Err(AuthError::Refused);
        };
        let verdict =
            p.tokens.iter().find(|t| id.as_ref().is_ok_and(|i| t.id == *i)).map(|t| token::verify(presented, t, now));
        match verdict {
            Some(Ok(())) if !p.suspended => {
                self.login_entry(&p.name, origin, Outcome::Allow, "API token accepted")
                    .map_err(PrincipalError::from)?;
                Ok(p.summary())
            }
            Some(Ok(())) => {
                self.login_entry(&p.name, origin, Outcome::Deny, "suspended").map_err(PrincipalError::from)?;
                Err(AuthError::Suspended)
            }
            Some(Err(e)) => {
                self.login_entry(&p.name, origin, Outcome::Deny, &format!("token refused: {e}"))
                    .map_err(PrincipalError::from)?;
                Err(AuthError::Refused)
            }
            None => Err(AuthError::Refused),
        }
    }
}
