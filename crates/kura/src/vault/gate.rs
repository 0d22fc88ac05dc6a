//! The gate: every decision about personal data goes through the active Cedar policy, per action and per
//! field; every other privileged act (principals, policies, collections, log queries) needs a role.
//!
//! The active policy is versioned. Each version is stored sealed under the vault's authentication key (so it
//! cannot be edited in the database), validated against kura's schema before it takes effect, and announced
//! in the access log (version and SHA-256 of its text) before it is stored. Version 0 is the default policy.
//! A long-running process picks up a newer version within [`REFRESH`].
//!
//! Decisions depend only on the principal's attributes, the purpose, the collection, the field and the
//! record's client company, so they are cached per combination; a new policy version starts with empty caches.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use sha2::Digest;

use super::principals::PrincipalError;
use super::{Access, Loaded, Vault};
use crate::audit::log::AppendError;
use crate::audit::{Action, Outcome};
use crate::crypto;
use crate::policy::{Act, FieldRef, Policy, PolicyError, Purpose, Visibility};
use crate::principal::Role;
use crate::store;

/// How often a process looks for a newer policy version.
pub const REFRESH: Duration = Duration::from_secs(1);
const META_VERSION: &str = "policy_version";
const CACHE_LIMIT: usize = 16_384;

/// The policy in force.
#[derive(Debug)]
pub struct Active {
    /// Version (0: the default policy, never stored).
    pub version: u64,
    /// SHA-256 of the policy text, hex.
    pub digest: String,
    /// The validated policy.
    pub policy: Policy,
    views: Mutex<HashMap<String, Arc<[Visibility]>>>,
    acts: Mutex<HashMap<String, Arc<[bool]>>>,
}

impl Active {
    fn new(version: u64, text: &str) -> Result<Active, PolicyError> {
        Ok(Active {
            version,
            digest: hex::encode(sha2::Sha256::digest(text.as_bytes())),
            policy: Policy::from_text(text)?,
            views: Mutex::new(HashMap::new()),
            acts: Mutex::new(HashMap::new()),
        })
    }

    /// The default policy (version 0).
    pub(crate) fn default_policy() -> Result<Active, PolicyError> {
        Active::new(0, crate::policy::DEFAULT_POLICY)
    }

    fn field_refs<'a>(c: &'a Loaded, company: &'a str) -> impl Iterator<Item = FieldRef<'a>> {
        c.schema.fields.iter().map(move |f| FieldRef {
            collection: &c.schema.name,
            name: &f.name,
            kind: f.kind,
            classification: f.classification,
            company,
            home: f.home,
        })
    }

    /// How each field of a record of `company` in `c` may be shown to `access`, in schema order.
    pub(super) fn views(&self, access: &Access, c: &Loaded, company: &str) -> Arc<[Visibility]> {
        let key = format!("{}\u{1f}{}\u{1f}{company}", access.decision_key, c.schema.name);
        if let Some(v) = self.views.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return v;
        }
        let why = Purpose { reference: &access.purpose, kind: &access.purpose_kind, order: access.order.as_deref() };
        let v: Arc<[Visibility]> =
            Active::field_refs(c, company).map(|f| self.policy.visibility(&access.who, &f, &why)).collect();
        if let Ok(mut m) = self.views.lock() {
            if m.len() >= CACHE_LIMIT {
                m.clear();
            }
            m.insert(key, v.clone());
        }
        v
    }

    /// Like [`Active::views`], but decided only for the fields marked in `wanted` (the others are hidden):
    /// reads through an order ask the policy about the order's fields only.
    pub(super) fn views_for(&self, access: &Access, c: &Loaded, company: &str, wanted: &[bool]) -> Arc<[Visibility]> {
        let mask: String = wanted.iter().map(|w| if *w { '1' } else { '0' }).collect();
        let key = format!("{}\u{1f}{}\u{1f}{company}\u{1f}{mask}", access.decision_key, c.schema.name);
        if let Some(v) = self.views.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return v;
        }
        let why = Purpose { reference: &access.purpose, kind: &access.purpose_kind, order: access.order.as_deref() };
        let v: Arc<[Visibility]> = Active::field_refs(c, company)
            .zip(wanted.iter().chain(std::iter::repeat(&false)))
            .map(|(f, w)| if *w { self.policy.visibility(&access.who, &f, &why) } else { Visibility::Hidden })
            .collect();
        if let Ok(mut m) = self.views.lock() {
            if m.len() >= CACHE_LIMIT {
                m.clear();
            }
            m.insert(key, v.clone());
        }
        v
    }

    /// Whether `access` may do `act` on each field of a record of `company` in `c`, in schema order.
    pub(super) fn allowed(&self, access: &Access, act: Act, c: &Loaded, company: &str) -> Arc<[bool]> {
        let key = format!("{}\u{1f}{}\u{1f}{company}\u{1f}{act:?}", access.decision_key, c.schema.name);
        if let Some(v) = self.acts.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return v;
        }
        let why = Purpose { reference: &access.purpose, kind: &access.purpose_kind, order: access.order.as_deref() };
        let v: Arc<[bool]> =
            Active::field_refs(c, company).map(|f| self.policy.allows(&access.who, act, &f, &why)).collect();
        if let Ok(mut m) = self.acts.lock() {
            if m.len() >= CACHE_LIMIT {
                m.clear();
            }
            m.insert(key, v.clone());
        }
        v
    }
}

/// The active policy and when the store was last asked for a newer one.
#[derive(Debug)]
pub(crate) struct Gate {
    active: RwLock<Arc<Active>>,
    checked: Mutex<Instant>,
}

impl Gate {
    pub(crate) fn new(active: Active) -> Gate {
        Gate { active: RwLock::new(Arc::new(active)), checked: Mutex::new(Instant::now()) }
    }
}

/// A stored policy version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersion {
    /// Version number (1, 2, …).
    pub version: u64,
    /// SHA-256 of the text, hex.
    pub digest: String,
    /// The Cedar text.
    pub text: String,
}

/// A policy change or query failed; the active policy is unchanged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyChangeError {
    /// The policy does not parse or validate.
    #[error(transparent)]
    Invalid(#[from] PolicyError),
    /// The caller may not do this.
    #[error("{0}")]
    Denied(String),
    /// A stored version does not open: altered in the database, or another vault's.
    #[error("stored policy version {0} does not open under this vault's key (altered in the database?)")]
    Sealed(u64),
    /// Another process stored the same version first.
    #[error("another policy change was stored at the same time; nothing changed, try again")]
    Conflict,
    /// Storage.
    #[error(transparent)]
    Store(#[from] store::Error),
    /// Keys and principal records.
    #[error(transparent)]
    Principal(#[from] PrincipalError),
    /// The log refused the entry; nothing changed.
    #[error(transparent)]
    Log(#[from] AppendError),
}

fn version_key(n: u64) -> String {
    format!("policy/v{n}")
}

fn policy_ad(n: u64) -> Vec<u8> {
    crypto::context("kura/policy/v1", &[&n.to_be_bytes()])
}

impl Vault {
    /// The highest stored policy version (0 when only the default exists). A crash between storing a
    /// version and moving the pointer is repaired by looking past the pointer.
    fn stored_policy_version(&self) -> Result<u64, store::Error> {
        let mut n: u64 = self.store.meta(META_VERSION)?.and_then(|v| v.parse().ok()).unwrap_or(0);
        while self.store.meta(&version_key(n + 1))?.is_some() {
            n += 1;
        }
        Ok(n)
    }

    fn stored_policy(&self, n: u64) -> Result<PolicyVersion, PolicyChangeError> {
        let sealed = self.store.meta(&version_key(n))?.ok_or(PolicyChangeError::Sealed(n))?;
        let sealed = B64.decode(sealed).map_err(|_| PolicyChangeError::Sealed(n))?;
        let text = crypto::open(&self.auth_key()?, &policy_ad(n), &sealed).map_err(|_| PolicyChangeError::Sealed(n))?;
        let text = String::from_utf8(text.to_vec()).map_err(|_| PolicyChangeError::Sealed(n))?;
        Ok(PolicyVersion { version: n, digest: hex::encode(sha2::Sha256::digest(text.as_bytes())), text })
    }

    /// The policy in force at `n` (0: the default).
    fn active_at(&self, n: u64) -> Result<Active, PolicyChangeError> {
        if n == 0 {
            return Ok(Active::new(0, crate::policy::DEFAULT_POLICY)?);
        }
        Ok(Active::new(n, &self.stored_policy(n)?.text)?)
    }

    /// Loads the stored policy at open.
    pub(crate) fn initial_gate(&self) -> Result<Active, PolicyChangeError> {
        self.active_at(self.stored_policy_version()?)
    }

    /// The policy in force (a newer stored version is picked up within [`REFRESH`]). A stored version that
    /// does not open stops every decision: fail closed.
    pub fn active_policy(&self) -> Result<Arc<Active>, PolicyChangeError> {
        let due = self.gate.checked.lock().map(|mut t| {
            let due = t.elapsed() >= REFRESH;
            if due {
                *t = Instant::now();
            }
            due
        });
        let current = self.gate.active.read().map(|a| a.clone()).map_err(|_| PolicyChangeError::Sealed(0))?;
        if !matches!(due, Ok(false)) {
            let n = self.stored_policy_version()?;
            if n != current.version {
                let fresh = Arc::new(self.active_at(n)?);
                if let Ok(mut a) = self.gate.active.write() {
                    *a = fresh.clone();
                }
                return Ok(fresh);
            }
        }
        Ok(current)
    }

    /// Refuses unless `access` holds one of `roles`, is not suspended and carries `scope`; a refusal is
    /// logged (as `action`) with `what`.
    pub(crate) fn require_role(
        &self,
        access: &Access,
        roles: &[Role],
        scope: &str,
        action: Action,
        what: &str,
    ) -> Result<(), Denied> {
        let who = access.who();
        let has_role = roles.iter().any(|r| who.roles.contains(r));
        let reason = if who.suspended {
            Some("the principal is suspended".to_owned())
        } else if !has_role {
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            Some(format!("{what} needs the role {}", names.join(" or ")))
        } else if !access.has_scope(scope) {
            Some(format!("{what} needs a token with the scope `{scope}`"))
        } else {
            None
        };
        let Some(reason) = reason else { return Ok(()) };
        let mut e = self.entry(access, action, None, Outcome::Deny);
        e.detail = format!("denied: {reason}");
        self.log(vec![e]).map_err(|e| Denied(e.to_string()))?;
        Err(Denied(format!("`{}` may not do this: {reason}", access.principal())))
    }

    /// Replaces the policy: validated against kura's schema, announced in the log, stored sealed as the next
    /// version. Administrators only. Returns the new version.
    pub fn set_policy(&self, access: &Access, text: &str) -> Result<u64, PolicyChangeError> {
        self.require_role(
            access,
            &[Role::Administrator],
            "principals:admin",
            Action::PolicyChange,
            "changing the policy",
        )
        .map_err(|d| PolicyChangeError::Denied(d.0))?;
        let active = Active::new(0, text)?;
        let n = self.stored_policy_version()? + 1;
        let mut e = self.entry(access, Action::PolicyChange, None, Outcome::Allow);
        e.detail = format!("policy version {n} (sha256 {}) takes effect", active.digest);
        self.log(vec![e])?;
        let sealed = B64.encode(
            crypto::seal(&self.auth_key()?, &policy_ad(n), text.as_bytes())
                .map_err(|e| PrincipalError::Credential(e.to_string()))?,
        );
        let stored = self.store.init_meta(&version_key(n), &sealed)?;
        if stored != sealed {
            let mut e = self.entry(access, Action::PolicyChange, None, Outcome::Fail);
            e.detail = format!("policy version {n}: another change was stored first; nothing changed");
            self.log(vec![e])?;
            return Err(PolicyChangeError::Conflict);
        }
        self.store.set_meta(META_VERSION, &n.to_string())?;
        let fresh = Arc::new(Active { version: n, ..active });
        if let Ok(mut a) = self.gate.active.write() {
            *a = fresh;
        }
        Ok(n)
    }

    /// Every stored policy version, oldest first (version 0, the default, is [`crate::policy::DEFAULT_POLICY`]).
    /// Administrators, auditors and security officers.
    pub fn policy_history(&self, access: &Access) -> Result<Vec<PolicyVersion>, PolicyChangeError> {
        self.require_role(
            access,
            &[Role::Administrator, Role::Auditor, Role::SecurityOfficer],
            "audit:read",
            Action::LogAccess,
            "reading policy history",
        )
        .map_err(|d| PolicyChangeError::Denied(d.0))?;
        let n = self.stored_policy_version()?;
        (1..=n).map(|v| self.stored_policy(v)).collect()
    }
}

/// A refusal, with its reason (never a value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied(pub String);
