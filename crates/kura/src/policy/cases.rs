//! Policy test cases, run like unit tests: `kura policy test FILE`.
//!
//! A case names a principal, an action on one field of one record, a purpose, and the expected outcome
//! (`plain`, `masked` or `hidden` for reads; `allow` or `deny` for update, erase and export).

use std::collections::BTreeSet;

use serde::Deserialize;

use super::{Act, FieldRef, Policy, Purpose, Visibility};
use crate::principal::{Kind, Role, Summary};
use crate::schema;

/// A file of cases.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    /// The cases.
    #[serde(rename = "case")]
    pub cases: Vec<Case>,
}

/// The principal of a case.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Who {
    /// Kind.
    pub kind: Kind,
    /// Roles.
    pub roles: BTreeSet<Role>,
    /// Assigned companies.
    #[serde(default)]
    pub companies: BTreeSet<String>,
    /// Suspended.
    #[serde(default)]
    pub suspended: bool,
}

/// One case.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// What the case checks, in words.
    pub name: String,
    /// Who.
    pub principal: Who,
    /// `read`, `create`, `update`, `erase` or `export`.
    pub action: String,
    /// A shipped collection.
    pub collection: String,
    /// A field of it.
    pub field: String,
    /// The record's client company.
    #[serde(default)]
    pub company: String,
    /// Purpose reference ("" for none).
    #[serde(default)]
    pub purpose: String,
    /// Purpose kind.
    #[serde(default = "support")]
    pub purpose_kind: String,
    /// `plain`, `masked`, `hidden`, `allow` or `deny`.
    pub expect: String,
}

fn support() -> String {
    "support".to_owned()
}

/// The outcome of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Case name.
    pub name: String,
    /// Expected.
    pub expected: String,
    /// Got (or why the case could not run).
    pub got: String,
}

impl Outcome {
    /// Whether it passed.
    pub fn passed(&self) -> bool {
        self.expected == self.got
    }
}

/// A suite could not be read.
#[derive(Debug, thiserror::Error)]
#[error("policy test file is not valid: {0}")]
pub struct SuiteError(String);

impl Suite {
    /// Parses a TOML suite.
    pub fn from_toml(text: &str) -> Result<Suite, SuiteError> {
        toml::from_str(text).map_err(|e| SuiteError(e.message().to_owned()))
    }

    /// Runs every case against `policy`.
    pub fn run(&self, policy: &Policy) -> Vec<Outcome> {
        self.cases.iter().map(|c| run_case(policy, c)).collect()
    }
}

fn run_case(policy: &Policy, c: &Case) -> Outcome {
    let mut out = Outcome { name: c.name.clone(), expected: c.expect.clone(), got: String::new() };
    let Some(sch) = schema::builtin(&c.collection) else {
        out.got = format!("error: unknown collection `{}`", c.collection);
        return out;
    };
    let Some(field) = sch.field(&c.field) else {
        out.got = format!("error: collection `{}` has no field `{}`", c.collection, c.field);
        return out;
    };
    let who = Summary {
        name: "case".to_owned(),
        kind: c.principal.kind,
        roles: c.principal.roles.clone(),
        team: None,
        companies: c.principal.companies.clone(),
        suspended: c.principal.suspended,
        password: true,
        totp: false,
        tokens: Vec::new(),
    };
    let f = FieldRef {
        collection: &c.collection,
        name: &field.name,
        kind: field.kind,
        classification: field.classification,
        company: &c.company,
        home: field.home,
    };
    let why = Purpose { reference: &c.purpose, kind: &c.purpose_kind, order: None };
    let act = match c.action.as_str() {
        "read" => None,
        "create" => Some(Act::Create),
        "update" => Some(Act::Update),
        "erase" => Some(Act::Erase),
        "export" => Some(Act::Export),
        other => {
            out.got = format!("error: unknown action `{other}`");
            return out;
        }
    };
    out.got = match act {
        None => match policy.visibility(&who, &f, &why) {
            Visibility::Plain => "plain",
            Visibility::Masked => "masked",
            Visibility::Hidden => "hidden",
        }
        .to_owned(),
        Some(a) => if policy.allows(&who, a, &f, &why) { "allow" } else { "deny" }.to_owned(),
    };
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    #[test]
    fn shipped_cases_pass_and_a_wrong_expectation_fails() {
        let suite = Suite::from_toml(include_str!("../../../../policies/default-tests.toml")).unwrap();
        let policy = Policy::default_policy().unwrap();
        let results = suite.run(&policy);
        assert!(results.len() >= 12);
        let failed: Vec<&Outcome> = results.iter().filter(|o| !o.passed()).collect();
        assert!(failed.is_empty(), "{failed:?}");
        // The runner can fail: flip one expectation.
        let text = include_str!("../../../../policies/default-tests.toml").replacen(
            "expect = \"plain\"",
            "expect = \"hidden\"",
            1,
        );
        let flipped = Suite::from_toml(&text).unwrap().run(&policy);
        assert_eq!(flipped.iter().filter(|o| !o.passed()).count(), 1);
        assert!(Suite::from_toml("[[case]]\nname = 1").is_err());
    }
}
