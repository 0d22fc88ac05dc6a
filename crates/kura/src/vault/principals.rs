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
use crate::principal::{Invalid, Kind, Principal, Role, Summary, TotpEnrolment};
use crate::store;

const META_AUTH_KEY: &str = "auth_key";
const AUTH_KEY_LABEL: &str = "vault/principal-records";

/// The scopes an API token can carry.
pub const SCOPES: &[&str] = &[
    "records:read",
    "records:write",
    "records:erase",
    "exports:request",
    "exports:approve",
    "audit:read",
    "principals:admin",
];

/// How a principal-change entry announces the record version it leaves: `… [record v7]`.
const VERSION_MARK: &str = "[record v";

/// How long [`Vault::access`] reuses a principal's loaded attributes.
pub const SUMMARY_TTL: std::time::Duration = std::time::Duration::from_secs(2);

/// The scope that marks a person's session token (issued by [`Vault::start_session`], never by hand).
pub const SESSION_SCOPE: &str = "session";

/// The longest a session lasts.
pub const MAX_SESSION_SECS: i64 = 12 * 3600;

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
    /// The principal has no token with that id.
    #[error("the principal has no token with that id")]
    UnknownToken,
    /// Weak or oversize password.
    #[error(transparent)]
    Password(#[from] password::PolicyError),
    /// The stored record does not open: altered in the database, or another vault's.
    #[error("principal record `{0}` does not open under this vault's key (altered in the database?)")]
    Sealed(String),
    /// Storage.
    #[error(transparent)]
    Store(#[from] store::Error),
    /// The stored record is older than the access log says it is: restored from a backup, or rolled back in
    /// the database. Nothing is decided with it.
    #[error("principal record `{0}` is older than the access log says (restored from a backup, or rolled back); run `kura audit verify` and re-apply the changes")]
    RolledBack(String),
    /// Keys.
    #[error(transparent)]
    Keys(#[from] crate::keys::Error),
    /// The log refused the entry; nothing changed.
    #[error(transparent)]
    Log(#[from] AppendError),
    /// Hashing or encoding failed.
    #[error("credential processing failed: {0}")]
    Credential(String),
    /// The caller may not do this (the refusal is in the log).
    #[error("denied: {0}")]
    Denied(String),
    /// The access is malformed.
    #[error(transparent)]
    Access(#[from] super::AccessError),
}

impl From<super::gate::Denied> for PrincipalError {
    fn from(d: super::gate::Denied) -> PrincipalError {
        PrincipalError::Denied(d.0)
    }
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
    /// The authentication key, created on first use and kept unwrapped for the life of the handle.
    pub(super) fn auth_key(&self) -> Result<SecretKey, PrincipalError> {
        if let Some(k) = self.auth_key.get() {
            return Ok(k.clone());
        }
        let key = self.load_auth_key()?;
        Ok(self.auth_key.get_or_init(|| key).clone())
    }

    fn load_auth_key(&self) -> Result<SecretKey, PrincipalError> {
        if let Some(w) = self.store.meta(META_AUTH_KEY)? {
            let wrapped = B64.decode(w).map_err(|_| PrincipalError::Sealed("(vault key)".to_owned()))?;
            return Ok(self.keys.unwrap(AUTH_KEY_LABEL, &wrapped)?);
        }
        // Two processes may get here at once: only one key is ever stored, and both use it.
        let key = SecretKey::generate();
        let wrapped = self.keys.wrap(AUTH_KEY_LABEL, &key)?;
        let stored = self.store.init_meta(META_AUTH_KEY, &B64.encode(wrapped))?;
        let wrapped = B64.decode(stored).map_err(|_| PrincipalError::Sealed("(vault key)".to_owned()))?;
        Ok(self.keys.unwrap(AUTH_KEY_LABEL, &wrapped)?)
    }

    fn seal_principal(&self, p: &Principal) -> Result<Vec<u8>, PrincipalError> {
        let json =
            zeroize::Zeroizing::new(serde_json::to_vec(p).map_err(|e| PrincipalError::Credential(e.to_string()))?);
        let ad = crypto::context("kura/principal/v1", &[p.name.as_bytes()]);
        crypto::seal(&self.auth_key()?, &ad, &json).map_err(|e| PrincipalError::Credential(e.to_string()))
    }

    fn load_principal(&self, name: &str) -> Result<Option<Principal>, PrincipalError> {
        Ok(self.load_sealed(name)?.map(|(p, _)| p))
    }

    /// A principal with the exact stored bytes, for compare-and-swap updates.
    fn load_sealed(&self, name: &str) -> Result<Option<(Principal, Vec<u8>)>, PrincipalError> {
        let Some(sealed) = self.store.principal(name)? else { return Ok(None) };
        let ad = crypto::context("kura/principal/v1", &[name.as_bytes()]);
        let json =
            crypto::open(&self.auth_key()?, &ad, &sealed).map_err(|_| PrincipalError::Sealed(name.to_owned()))?;
        let p: Principal = serde_json::from_slice(&json).map_err(|_| PrincipalError::Sealed(name.to_owned()))?;
        if p.name != name {
            return Err(PrincipalError::Sealed(name.to_owned()));
        }
        self.check_version(&p)?;
        Ok(Some((p, sealed)))
    }

    fn principal_entry(&self, access: &Access, name: &str, detail: String) -> crate::audit::Entry {
        let mut e = self.entry(access, Action::PrincipalChange, None, Outcome::Allow);
        e.detail = format!("principal `{name}`: {detail}");
        e
    }

    /// A principal-change entry that names the principal (by commitment) and the record version it leaves.
    fn versioned_entry(
        &self,
        access: &Access,
        name: &str,
        detail: &str,
        version: u64,
    ) -> Result<crate::audit::Entry, PrincipalError> {
        let mut e = self.principal_entry(access, name, format!("{detail} {VERSION_MARK}{version}]"));
        e.subjects = vec![self.name_committer()?.commit_name(name)];
        Ok(e)
    }

    fn name_committer(&self) -> Result<crate::audit::Committer, PrincipalError> {
        crate::audit::Committer::new(&self.auth_key()?).map_err(|e| PrincipalError::Credential(e.to_string()))
    }

    /// Refuses a record older than the newest version the log announced for it (checked against the log once
    /// per principal and process, then against the newest version this process has seen).
    fn check_version(&self, p: &Principal) -> Result<(), PrincipalError> {
        let known = self.principal_versions.lock().ok().and_then(|m| m.get(&p.name).copied());
        let floor = match known {
            Some(v) => v,
            None => self.logged_version(&p.name)?,
        };
        if p.version < floor {
            return Err(PrincipalError::RolledBack(p.name.clone()));
        }
        if let Ok(mut m) = self.principal_versions.lock() {
            let v = m.entry(p.name.clone()).or_insert(0);
            *v = (*v).max(p.version);
        }
        Ok(())
    }

    /// The record version the newest principal-change entry naming `name` announced (0 when none did).
    fn logged_version(&self, name: &str) -> Result<u64, PrincipalError> {
        let commitment = self.name_committer()?.commit_name(name);
        let log_err = |e: crate::audit::store::Error| PrincipalError::Credential(format!("access log: {e}"));
        let seqs = self.log.store().by_subject(&commitment).map_err(log_err)?;
        for seq in seqs.iter().rev() {
            let Some((_, data)) = self.log.store().entries(*seq, 1).map_err(log_err)?.into_iter().next() else {
                continue;
            };
            let Ok(e) = crate::audit::Entry::from_leaf(&data) else { continue };
            if !e.subjects.contains(&commitment) {
                continue;
            }
            if let Some(v) = e.detail.rsplit_once(VERSION_MARK).and_then(|(_, r)| r.trim_end_matches(']').parse().ok())
            {
                return Ok(v);
            }
        }
        Ok(0)
    }

    /// Refuses unless `access` is an administrator (with the `principals:admin` scope for tokens).
    fn require_admin(&self, access: &Access, what: &str) -> Result<(), PrincipalError> {
        Ok(self.require_role(access, &[Role::Administrator], "principals:admin", Action::PrincipalChange, what)?)
    }

    /// An access by the stored principal `name` (its current roles, companies and suspension), for `purpose`
    /// from `origin`. For faces that have authenticated `name` (a sign-in, a token); unknown names are refused.
    ///
    /// The stored attributes are remembered for [`SUMMARY_TTL`]: a change made through this handle takes
    /// effect at once, a change made by another process (the CLI beside a running server) within that time.
    pub fn access(&self, name: &str, purpose: &str, origin: &str) -> Result<Access, PrincipalError> {
        Ok(Access::new(self.current_summary(name)?, purpose, origin)?)
    }

    fn current_summary(&self, name: &str) -> Result<std::sync::Arc<Summary>, PrincipalError> {
        let cached = self.summaries.lock().ok().and_then(|m| {
            m.get(name).filter(|(_, at)| at.elapsed() < SUMMARY_TTL).map(|(s, _)| std::sync::Arc::clone(s))
        });
        if let Some(s) = cached {
            return Ok(s);
        }
        let s = std::sync::Arc::new(self.principal(name)?);
        if let Ok(mut m) = self.summaries.lock() {
            if m.len() >= 10_000 {
                m.clear();
            }
            m.insert(name.to_owned(), (std::sync::Arc::clone(&s), std::time::Instant::now()));
        }
        Ok(s)
    }

    fn forget_summary(&self, name: &str) {
        if let Ok(mut m) = self.summaries.lock() {
            m.remove(name);
        }
    }

    /// Creates a principal (no credentials yet). Administrators only.
    pub fn add_principal(&self, access: &Access, p: &Principal) -> Result<(), PrincipalError> {
        self.require_admin(access, "creating principals")?;
        p.validate()?;
        let detail = format!(
            "created ({:?}, roles {:?}, {} companies)",
            p.kind,
            p.roles.iter().collect::<Vec<_>>(),
            p.companies.len()
        );
        let mut p = p.clone();
        p.version = 1;
        self.log(vec![self.versioned_entry(access, &p.name, &detail, 1)?])?;
        if let Err(e) = self.store.put_principal(&p.name, &self.seal_principal(&p)?, None) {
            // The existing record (if any) keeps whatever version it had: announce nothing newer.
            let kept = self.load_sealed(&p.name).ok().flatten().map_or(0, |(q, _)| q.version);
            let mut fail = self.versioned_entry(access, &p.name, "creation failed", kept)?;
            fail.outcome = Outcome::Fail;
            self.log(vec![fail])?;
            return Err(e.into());
        }
        if let Ok(mut m) = self.principal_versions.lock() {
            m.insert(p.name.clone(), 1);
        }
        self.forget_summary(&p.name);
        Ok(())
    }

    /// A principal's attributes (no credential material).
    pub fn principal(&self, name: &str) -> Result<Summary, PrincipalError> {
        Ok(self.load_principal(name)?.ok_or_else(|| PrincipalError::Unknown(name.to_owned()))?.summary())
    }

    /// All principals, for administrators, auditors and security officers (a refusal is logged).
    pub fn list_principals(&self, access: &Access) -> Result<Vec<Summary>, PrincipalError> {
        self.require_role(
            access,
            &[Role::Administrator, Role::Auditor, Role::SecurityOfficer],
            "audit:read",
            Action::LogAccess,
            "listing principals",
        )?;
        self.principals()
    }

    /// One principal, for administrators, auditors and security officers (a refusal is logged).
    pub fn show_principal(&self, access: &Access, name: &str) -> Result<Summary, PrincipalError> {
        self.require_role(
            access,
            &[Role::Administrator, Role::Auditor, Role::SecurityOfficer],
            "audit:read",
            Action::LogAccess,
            "reading principals",
        )?;
        self.principal(name)
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
        f: impl Fn(&mut Principal) -> Result<(), PrincipalError>,
    ) -> Result<(), PrincipalError> {
        self.require_admin(access, "changing principals")?;
        // Compare-and-swap: a concurrent change (a sign-in updating lockout state, another administrator)
        // is never overwritten; the change is re-applied to the newer record instead. Each attempt announces
        // the version it would leave before storing it; a failed store announces the version kept.
        for _ in 0..8 {
            let (mut p, old) = self.load_sealed(name)?.ok_or_else(|| PrincipalError::Unknown(name.to_owned()))?;
            let kept = p.version;
            f(&mut p)?;
            p.validate()?;
            p.version = kept + 1;
            self.log(vec![self.versioned_entry(access, name, &detail, p.version)?])?;
            match self.store.put_principal(name, &self.seal_principal(&p)?, Some(&old)) {
                Ok(()) => {
                    if let Ok(mut m) = self.principal_versions.lock() {
                        m.insert(name.to_owned(), p.version);
                    }
                    self.forget_summary(name);
                    return Ok(());
                }
                Err(store::Error::Conflict) => continue,
                Err(e) => {
                    let mut fail = self.versioned_entry(access, name, &format!("{detail}: not stored"), kept)?;
                    fail.outcome = Outcome::Fail;
                    self.log(vec![fail])?;
                    return Err(e.into());
                }
            }
        }
        let kept = self.load_sealed(name)?.map_or(0, |(p, _)| p.version);
        let mut fail =
            self.versioned_entry(access, name, &format!("{detail}: failed, too many concurrent changes"), kept)?;
        fail.outcome = Outcome::Fail;
        self.log(vec![fail])?;
        Err(store::Error::Conflict.into())
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
            match &change {
                Change::Suspend => p.suspended = true,
                Change::Resume => {
                    p.suspended = false;
                    p.lockout = lockout::State::default();
                }
                Change::Companies(c) => p.companies = crate::principal::canonical_companies(c)?,
                Change::Roles(r) => p.roles = r.clone(),
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
            p.password = Some(phc.clone());
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
        for s in &scopes {
            if !SCOPES.contains(&s.as_str()) {
                return Err(PrincipalError::Credential(format!("unknown scope `{s}` (known: {})", SCOPES.join(", "))));
            }
        }
        let (plain, stored) = token::issue(scopes, expires_at);
        let detail = format!("API token `{}` issued, expires {expires_at}", stored.id.as_str());
        self.modify(access, name, detail, |p| {
            // Tokens are for services: people sign in with a password and a second factor.
            if p.kind != Kind::Service {
                return Err(PrincipalError::Credential("API tokens are issued to service accounts only".to_owned()));
            }
            p.tokens.push(stored.clone());
            Ok(())
        })?;
        Ok(plain)
    }

    /// Revokes an API token.
    pub fn revoke_token(&self, access: &Access, name: &str, id: &str) -> Result<(), PrincipalError> {
        let now = store::now();
        self.modify(access, name, format!("API token `{id}` revoked"), |p| {
            let t = p.tokens.iter_mut().find(|t| t.id.as_str() == id).ok_or(PrincipalError::UnknownToken)?;
            t.revoke(now);
            Ok(())
        })
    }

    fn login_entry(&self, name: &str, origin: &str, outcome: Outcome, detail: &str) -> Result<(), AppendError> {
        let who = if crate::principal::valid_name(name) { name } else { "(invalid-name)" };
        let access = Access::claimed(who, "sign-in", origin).or_else(|_| Access::claimed(who, "sign-in", "unknown"));
        let Ok(access) = access else { return Err(AppendError("invalid sign-in origin".to_owned())) };
        let mut e = self.entry(&access, Action::Login, None, outcome);
        e.detail = detail.to_owned();
        self.log(vec![e]).map(|_| ())
    }

    /// Signs a person in with password and TOTP code (both required for people). Lockout after repeated
    /// failures; every attempt is logged; every refusal looks the same to the caller. Returns the principal's
    /// attributes.
    pub fn authenticate(
        &self,
        name: &str,
        pass: &SecretString,
        code: Option<&str>,
        origin: &str,
    ) -> Result<Summary, AuthError> {
        for _ in 0..8 {
            match self.try_authenticate(name, pass, code, origin) {
                Err(AuthError::Principal(PrincipalError::Store(store::Error::Conflict))) => continue,
                other => return other,
            }
        }
        Err(AuthError::Refused)
    }

    /// Signs a person in (password and TOTP code) and issues a session token valid for `ttl_secs` (at most
    /// [`MAX_SESSION_SECS`]): what `kura login` hands to later commands, and what the HTTP API's session
    /// endpoint returns. Expired sessions are pruned from the record. The token is shown once.
    pub fn start_session(
        &self,
        name: &str,
        pass: &SecretString,
        code: Option<&str>,
        origin: &str,
        ttl_secs: i64,
    ) -> Result<(Summary, SecretString), AuthError> {
        let who = self.authenticate(name, pass, code, origin)?;
        let now = store::now();
        let expires = now + ttl_secs.clamp(60, MAX_SESSION_SECS);
        let (plain, stored) = token::issue(vec![SESSION_SCOPE.to_owned()], expires);
        let detail = format!("session `{}` started, expires {expires}", stored.id.as_str());
        for _ in 0..8 {
            let (mut p, old) = self.load_sealed(name)?.ok_or(AuthError::Refused)?;
            p.tokens.retain(|t| !(t.has_scope(SESSION_SCOPE) && (t.expires_at <= now || t.revoked_at.is_some())));
            p.tokens.push(stored.clone());
            match self.store.put_principal(name, &self.seal_principal(&p)?, Some(&old)) {
                Ok(()) => {
                    self.login_entry(name, origin, Outcome::Allow, &detail).map_err(PrincipalError::from)?;
                    return Ok((who, plain));
                }
                Err(store::Error::Conflict) => continue,
                Err(e) => return Err(PrincipalError::from(e).into()),
            }
        }
        Err(PrincipalError::from(store::Error::Conflict).into())
    }

    /// Ends a session: its token is revoked. A person may end their own session; logged.
    pub fn end_session(&self, presented: &str, origin: &str) -> Result<(), AuthError> {
        let (who, _) = self.authenticate_token(presented, origin)?;
        let id = token::lookup_id(presented).map_err(|_| AuthError::Refused)?;
        let now = store::now();
        for _ in 0..8 {
            let (mut p, old) = self.load_sealed(&who.name)?.ok_or(AuthError::Refused)?;
            let Some(t) = p.tokens.iter_mut().find(|t| t.id == id && t.has_scope(SESSION_SCOPE)) else {
                return Err(AuthError::Refused);
            };
            t.revoke(now);
            match self.store.put_principal(&who.name, &self.seal_principal(&p)?, Some(&old)) {
                Ok(()) => {
                    let detail = format!("session `{}` ended", id.as_str());
                    self.login_entry(&who.name, origin, Outcome::Allow, &detail).map_err(PrincipalError::from)?;
                    return Ok(());
                }
                Err(store::Error::Conflict) => continue,
                Err(e) => return Err(PrincipalError::from(e).into()),
            }
        }
        Err(PrincipalError::from(store::Error::Conflict).into())
    }

    fn try_authenticate(
        &self,
        name: &str,
        pass: &SecretString,
        code: Option<&str>,
        origin: &str,
    ) -> Result<Summary, AuthError> {
        let now = store::now();
        let hasher = password::Hasher::new(password::Params::default())
            .map_err(|e| PrincipalError::Credential(e.to_string()))?;
        let Some((mut p, old)) = self.load_sealed(name)? else {
            // Same work as for a real account, so timing does not reveal which names exist; the name as typed
            // is not logged (it may be a password typed into the wrong box).
            let _ = hasher.verify_absent(pass);
            self.login_entry("(unknown)", origin, Outcome::Deny, "unknown principal").map_err(PrincipalError::from)?;
            return Err(AuthError::Refused);
        };
        let password_ok = match &p.password {
            Some(phc) => hasher.verify(pass, phc).unwrap_or(false),
            None => {
                let _ = hasher.verify_absent(pass);
                false
            }
        };
        let locked = matches!(lockout::check(&p.lockout, now), lockout::Decision::Deny { .. });
        // People need both factors; service accounts never sign in with a password.
        let code_ok = match (p.kind, p.totp(), code) {
            (Kind::Service, _, _) => Err(()),
            (_, Some(Ok(t)), Some(c)) => {
                let last = p.totp.as_ref().and_then(|e| e.last_step);
                t.verify(c, now, last).map_err(|_| ())
            }
            _ => Err(()),
        };
        let ok = password_ok && code_ok.is_ok() && !locked && !p.suspended;
        let detail = if locked {
            "locked out"
        } else if p.suspended && password_ok {
            "suspended"
        } else if ok {
            "password and second factor accepted"
        } else {
            "wrong credentials"
        };
        if ok {
            p.lockout = lockout::record_success(&p.lockout, now);
            if let (Ok(step), Some(e)) = (code_ok, p.totp.as_mut()) {
                e.last_step = Some(step);
            }
        } else if !locked {
            p.lockout = lockout::record_failure(&p.lockout, now);
        }
        // The new state (failure count, used TOTP step) is swapped in before the answer: two concurrent
        // attempts cannot both use one code, and failures are never lost.
        self.store.put_principal(name, &self.seal_principal(&p)?, Some(&old)).map_err(PrincipalError::from)?;
        let outcome = if ok { Outcome::Allow } else { Outcome::Deny };
        self.login_entry(name, origin, outcome, detail).map_err(PrincipalError::from)?;
        if ok {
            Ok(p.summary())
        } else {
            Err(AuthError::Refused)
        }
    }

    /// Authenticates a service by API token; returns the service and the token's scopes. Every attempt is
    /// logged and every refusal looks the same.
    pub fn authenticate_token(&self, presented: &str, origin: &str) -> Result<(Summary, Vec<String>), AuthError> {
        let now = store::now();
        let refuse = |detail: &str, who: &str| -> Result<(Summary, Vec<String>), AuthError> {
            self.login_entry(who, origin, Outcome::Deny, detail).map_err(PrincipalError::from)?;
            Err(AuthError::Refused)
        };
        let Ok(id) = token::lookup_id(presented) else { return refuse("malformed token", "(unknown)") };
        let mut found = None;
        for name in self.store.principal_names().map_err(PrincipalError::from)? {
            // One damaged record must not stop every service from signing in.
            if let Ok(Some(p)) = self.load_principal(&name) {
                if let Some(t) = p.tokens.iter().find(|t| t.id == id).cloned() {
                    found = Some((p, t));
                    break;
                }
            }
        }
        let Some((p, t)) = found else { return refuse("unknown token", "(unknown)") };
        let session = t.has_scope(SESSION_SCOPE);
        if p.suspended || (p.kind == Kind::Service) == session {
            return refuse("token of a suspended principal, or of the wrong kind", &p.name);
        }
        if let Err(e) = token::verify(presented, &t, now) {
            return refuse(&format!("token refused: {e}"), &p.name);
        }
        let detail = if session { "session token accepted" } else { "API token accepted" };
        self.login_entry(&p.name, origin, Outcome::Allow, detail).map_err(PrincipalError::from)?;
        // A person's session carries every scope; the policy decides what the person may do.
        let scopes = if session { SCOPES.iter().map(|s| (*s).to_owned()).collect() } else { t.scopes };
        Ok((p.summary(), scopes))
    }
}
