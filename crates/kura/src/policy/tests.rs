//! The default policy against an oracle: every combination of role × kind × action × own/other company ×
//! field × purpose present/absent × purpose kind, with zero unauthorised allows and zero wrong mask levels.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::BTreeSet;

use super::*;
use crate::principal::{Kind, Role};
use crate::schema::builtin;

fn who(role: Role, kind: Kind, suspended: bool) -> Summary {
    Summary {
        name: "p".to_owned(),
        kind,
        roles: [role].into_iter().collect(),
        team: None,
        companies: ["株式会社自社".to_owned()].into_iter().collect::<BTreeSet<_>>(),
        suspended,
        password: true,
        totp: false,
        tokens: Vec::new(),
    }
}

/// The intended policy, written independently of Cedar.
fn oracle_visibility(p: &Summary, f: &FieldRef<'_>, why: &Purpose<'_>) -> Visibility {
    if why.reference.is_empty() || p.suspended {
        return Visibility::Hidden;
    }
    let role = *p.roles.iter().next().unwrap();
    let own = !f.company.is_empty() && p.companies.contains(f.company);
    if f.home && why.kind != "shipping" {
        return Visibility::Hidden;
    }
    if f.classification == Classification::Sensitive && p.kind != Kind::Employee {
        return Visibility::Hidden;
    }
    let plain_ok = matches!(role, Role::Operator | Role::Supervisor) && own && f.kind != FieldType::CardNumber;
    let masked_ok = (matches!(role, Role::Operator | Role::Supervisor) && own)
        || (role == Role::SecurityOfficer && p.kind == Kind::Employee);
    if plain_ok {
        Visibility::Plain
    } else if masked_ok {
        Visibility::Masked
    } else {
        Visibility::Hidden
    }
}

fn oracle_allows(p: &Summary, act: Act, f: &FieldRef<'_>, why: &Purpose<'_>) -> bool {
    if why.reference.is_empty() || p.suspended {
        return false;
    }
    let role = *p.roles.iter().next().unwrap();
    let own = !f.company.is_empty() && p.companies.contains(f.company);
    match act {
        Act::Create => (role == Role::Operator && own) || role == Role::Administrator,
        Act::Update => role == Role::Operator && own,
        Act::Erase => role == Role::SecurityOfficer && p.kind == Kind::Employee,
        Act::Export => {
            let label = role == Role::Operator && why.reference.starts_with("ORD-") && why.kind == "shipping";
            let notice = role == Role::SecurityOfficer
                && p.kind == Kind::Employee
                && why.reference.starts_with("INC-")
                && why.kind == "incident-notice"
                && matches!(f.classification, Classification::Personal | Classification::Internal);
            (((role == Role::Supervisor || label) && own) || notice)
                && matches!(p.kind, Kind::Employee | Kind::Service)
                && !(f.home && why.kind != "shipping")
                && f.kind != FieldType::CardNumber
                && !(f.classification == Classification::Sensitive && p.kind != Kind::Employee)
        }
    }
}

#[test]
fn default_policy_matches_the_intended_matrix() {
    let policy = Policy::default_policy().unwrap();
    let roles = [Role::Operator, Role::Supervisor, Role::Auditor, Role::SecurityOfficer, Role::Administrator];
    let kinds = [Kind::Employee, Kind::Dispatched, Kind::Contractor, Kind::Service];
    let mut fields = Vec::new();
    for name in ["corporate-mobile", "consumer-wireless"] {
        for f in builtin(name).unwrap().fields {
            fields.push((name, f));
        }
    }
    // A sensitive field, to cover the 要配慮 rule.
    let sensitive = crate::schema::Field {
        name: "medical_note".to_owned(),
        kind: FieldType::FreeText,
        classification: Classification::Sensitive,
        searchable: false,
        scope: false,
        home: false,
        external_id: false,
        required: false,
        derived_from: None,
    };
    fields.push(("corporate-mobile", sensitive));
    let mut checked = 0usize;
    let mut unauthorised = 0usize;
    let mut wrong_mask = 0usize;
    for role in roles {
        for kind in kinds {
            for suspended in [false, true] {
                let p = who(role, kind, suspended);
                for (collection, f) in &fields {
                    for company in ["株式会社自社", "株式会社他社", ""] {
                        for reference in ["", "TICKET-1", "ORD-00000001", "INC-20261128-0001"] {
                            for pk in ["support", "shipping", "incident-notice"] {
                                let fr = FieldRef {
                                    collection,
                                    name: &f.name,
                                    kind: f.kind,
                                    classification: f.classification,
                                    company,
                                    home: f.home,
                                };
                                let why = Purpose { reference, kind: pk, order: None };
                                let got = policy.visibility(&p, &fr, &why);
                                let want = oracle_visibility(&p, &fr, &why);
                                if got > want {
                                    unauthorised += 1;
                                }
                                if got != want {
                                    wrong_mask += 1;
                                    eprintln!("{role:?}/{kind:?}/{suspended} {collection}.{} {company} {reference:?} {pk}: got {got:?}, want {want:?}", f.name);
                                }
                                for act in [Act::Create, Act::Update, Act::Erase, Act::Export] {
                                    let got = policy.allows(&p, act, &fr, &why);
                                    let want = oracle_allows(&p, act, &fr, &why);
                                    if got && !want {
                                        unauthorised += 1;
                                    }
                                    if got != want {
                                        wrong_mask += 1;
                                        eprintln!(
                                            "{role:?}/{kind:?} {act:?} {collection}.{}: got {got}, want {want}",
                                            f.name
                                        );
                                    }
                                }
                                checked += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(checked > 5_000, "{checked}");
    assert_eq!(unauthorised, 0, "unauthorised allows");
    assert_eq!(wrong_mask, 0, "wrong decisions");
}

#[test]
fn invalid_policies_are_refused_before_use() {
    assert!(matches!(Policy::from_text("permit(principal, action, resource"), Err(PolicyError::Parse(_))));
    // Valid Cedar, wrong for kura's schema: an attribute that does not exist.
    let bad = r#"permit(principal, action == Kura::Action::"read_plain", resource) when { resource.colour == "red" };"#;
    assert!(matches!(Policy::from_text(bad), Err(PolicyError::Invalid(_))));
    let unknown_action = r#"permit(principal, action == Kura::Action::"teleport", resource);"#;
    assert!(Policy::from_text(unknown_action).is_err());
}

#[test]
fn default_is_deny() {
    let empty = Policy::from_text("").unwrap();
    let p = who(Role::Operator, Kind::Employee, false);
    let f = FieldRef {
        collection: "corporate-mobile",
        name: "mobile",
        kind: FieldType::Phone,
        classification: Classification::Personal,
        company: "株式会社自社",
        home: false,
    };
    assert_eq!(
        empty.visibility(&p, &f, &Purpose { reference: "T-1", kind: "support", order: None }),
        Visibility::Hidden
    );
}
