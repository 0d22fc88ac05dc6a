//! Principals: the people (employees, dispatched staff, contractors) and service accounts who use kura, with
//! their roles, team and assigned client companies, and their credentials.
//!
//! A principal record is stored sealed (AES-256-GCM-SIV under the vault's authentication key, itself wrapped
//! by the root key), bound to the principal's name: TOTP secrets never sit in the database in the clear, and
//! an administrator with database access cannot grant a role or an assignment by editing a row or copying
//! another principal's record — it no longer opens. (Restoring an older copy of the same principal's record
//! is not detected yet.) Passwords are Argon2id hashes, API tokens are stored as SHA-256 digests, and every change
//! and every login attempt is written to the access log by the vault.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::auth::{lockout, token::StoredToken, totp};

/// What kind of principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Kind {
    /// An employee of the organisation.
    Employee,
    /// Staff dispatched by an agency (派遣).
    Dispatched,
    /// A subcontractor's staff (委託先).
    Contractor,
    /// An application using the API with tokens.
    Service,
}

/// A role: what a principal's job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Role {
    /// Looks up and updates the records of assigned client companies.
    Operator,
    /// Supervises operators and approves exports (four eyes).
    Supervisor,
    /// Reads the access log, never personal data.
    Auditor,
    /// Sets policies, runs leak traces and incident reports.
    SecurityOfficer,
    /// Manages keys, principals and policies; cannot read personal data in the clear.
    Administrator,
}

impl Role {
    /// The role's name, as in policies and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Supervisor => "supervisor",
            Role::Auditor => "auditor",
            Role::SecurityOfficer => "security-officer",
            Role::Administrator => "administrator",
        }
    }
}

impl Kind {
    /// The kind's name, as in policies and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Employee => "employee",
            Kind::Dispatched => "dispatched",
            Kind::Contractor => "contractor",
            Kind::Service => "service",
        }
    }
}

impl std::str::FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        serde_json::from_value(serde_json::Value::String(s.to_owned()))
            .map_err(|_| format!("unknown kind `{s}` (employee, dispatched, contractor, service)"))
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        serde_json::from_value(serde_json::Value::String(s.to_owned()))
            .map_err(|_| format!("unknown role `{s}` (operator, supervisor, auditor, security-officer, administrator)"))
    }
}

/// A principal's enrolled second factor.
#[derive(Clone, Serialize, Deserialize)]
pub struct TotpEnrolment {
    /// The shared secret, base32.
    pub secret: String,
    /// Last accepted time step (replay protection).
    pub last_step: Option<u64>,
}

impl std::fmt::Debug for TotpEnrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpEnrolment").field("last_step", &self.last_step).finish_non_exhaustive()
    }
}

/// A principal and its credentials.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Principal {
    /// Login name: lower-case ASCII letters, digits, `.`, `_`, `-`.
    pub name: String,
    /// Kind.
    pub kind: Kind,
    /// Roles.
    pub roles: BTreeSet<Role>,
    /// Team.
    #[serde(default)]
    pub team: Option<String>,
    /// Client companies this principal is assigned to.
    #[serde(default)]
    pub companies: BTreeSet<String>,
    /// Suspended principals cannot sign in or use tokens.
    #[serde(default)]
    pub suspended: bool,
    /// Argon2id hash in PHC format.
    #[serde(default)]
    pub password: Option<String>,
    /// TOTP enrolment.
    #[serde(default)]
    pub totp: Option<TotpEnrolment>,
    /// API tokens (digests only).
    #[serde(default)]
    pub tokens: Vec<StoredToken>,
    /// Failed-login state.
    #[serde(default)]
    pub lockout: lockout::State,
    /// Version of the record, raised by every administrative change and announced in the access log, so a
    /// restored older copy (say, from before a suspension) is recognised.
    #[serde(default)]
    pub version: u64,
}

impl std::fmt::Debug for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Principal")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("roles", &self.roles)
            .field("team", &self.team)
            .field("companies", &self.companies)
            .field("suspended", &self.suspended)
            .field("password", &self.password.as_ref().map(|_| "<set>"))
            .field("totp", &self.totp.as_ref().map(|_| "<enrolled>"))
            .field("tokens", &self.tokens.len())
            .finish()
    }
}

/// A principal's name or attributes are not acceptable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum Invalid {
    /// Bad name.
    #[error("principal names are 1 to 64 lower-case ASCII letters, digits, `.`, `_` or `-`, starting with a letter")]
    Name,
    /// No role.
    #[error("a principal needs at least one role")]
    NoRole,
    /// Service accounts sign in with tokens only.
    #[error("service accounts authenticate with API tokens, not passwords")]
    ServicePassword,
    /// Separation of duties.
    #[error(
        "administrators and auditors cannot also hold a role that reads personal data (operator, supervisor, security officer)"
    )]
    Duties,
    /// A company name is empty or not a valid organisation name.
    #[error("assigned company names must be non-empty organisation names")]
    Company,
}

/// Canonical forms of assigned company names, as records' scope fields are compared.
pub fn canonical_companies(names: &BTreeSet<String>) -> Result<BTreeSet<String>, Invalid> {
    names
        .iter()
        .map(|n| crate::normalize::canonical(crate::schema::FieldType::Organisation, n).map_err(|_| Invalid::Company))
        .collect()
}

/// Checks a login name.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
}

impl Principal {
    /// A new principal without credentials.
    pub fn new(
        name: &str,
        kind: Kind,
        roles: BTreeSet<Role>,
        team: Option<String>,
        companies: BTreeSet<String>,
    ) -> Result<Principal, Invalid> {
        let p = Principal {
            name: name.to_owned(),
            kind,
            roles,
            team,
            companies: canonical_companies(&companies)?,
            suspended: false,
            password: None,
            totp: None,
            tokens: Vec::new(),
            lockout: lockout::State::default(),
            version: 0,
        };
        p.validate()?;
        Ok(p)
    }

    /// Checks name, roles and separation of duties.
    pub fn validate(&self) -> Result<(), Invalid> {
        if !valid_name(&self.name) {
            return Err(Invalid::Name);
        }
        if self.roles.is_empty() {
            return Err(Invalid::NoRole);
        }
        let reads = [Role::Operator, Role::Supervisor, Role::SecurityOfficer];
        let oversees = self.roles.contains(&Role::Administrator) || self.roles.contains(&Role::Auditor);
        if oversees && reads.iter().any(|r| self.roles.contains(r)) {
            return Err(Invalid::Duties);
        }
        if self.companies.iter().any(String::is_empty) {
            return Err(Invalid::Company);
        }
        Ok(())
    }

    /// The enrolled TOTP, if any.
    pub fn totp(&self) -> Option<Result<totp::Totp, totp::SecretError>> {
        let e = self.totp.as_ref()?;
        Some(
            totp::Secret::from_base32(&secrecy::SecretString::from(e.secret.clone()))
                .map(|s| totp::Totp::new(s, totp::Algorithm::default(), totp::Digits::Six)),
        )
    }

    /// What may be shown about the principal (no credential material).
    pub fn summary(&self) -> Summary {
        Summary {
            name: self.name.clone(),
            kind: self.kind,
            roles: self.roles.clone(),
            team: self.team.clone(),
            companies: self.companies.clone(),
            suspended: self.suspended,
            password: self.password.is_some(),
            totp: self.totp.is_some(),
            tokens: self.tokens.iter().filter(|t| t.revoked_at.is_none()).map(|t| t.id.as_str().to_owned()).collect(),
        }
    }
}

/// A principal without credential material, for listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: Kind,
    /// Roles.
    pub roles: BTreeSet<Role>,
    /// Team.
    pub team: Option<String>,
    /// Assigned client companies.
    pub companies: BTreeSet<String>,
    /// Suspended.
    pub suspended: bool,
    /// Has a password.
    pub password: bool,
    /// Has TOTP.
    pub totp: bool,
    /// Ids of live API tokens.
    pub tokens: Vec<String>,
}
