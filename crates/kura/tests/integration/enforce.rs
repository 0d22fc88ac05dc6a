//! The policy enforced on the vault's own read, search, write and erase paths, on every backend: per field
//! plain, masked or hidden; refusals logged as `deny`; policy versions validated, sealed and logged.

use std::collections::BTreeSet;

use kura::audit::{Action, Outcome};
use kura::policy::{FieldRef, Policy, Purpose, Visibility};
use kura::principal::{Kind, Principal, Role, Summary};
use kura::vault::gate::PolicyChangeError;
use kura::vault::principals::{AuthError, PrincipalError};
use kura::vault::{CardView, ReadError, WriteError};
use kura::{Access, Vault};
use secrecy::SecretString;

use crate::support::{backends, corporate_csv, custodian, rows, Fixture};

const C: &str = "corporate-mobile";

/// A vault under the default policy, with `n` generated employees loaded by the custodian.
fn loaded(fx: &Fixture, n: usize) -> (Vault, Vec<std::collections::HashMap<String, String>>) {
    let vault = fx.create_default();
    let csv = corporate_csv(n, 11);
    vault.create_collection(&custodian(), kura::schema::builtin(C).unwrap()).unwrap();
    let parsed = kura::import::parse("t.csv", &csv, &vault.schema(C).unwrap(), kura::import::Encoding::Auto).unwrap();
    vault.write(&custodian(), C, parsed.rows, &mut |_| {}).unwrap();
    (vault, rows(&csv))
}

fn summary(name: &str, kind: Kind, role: Role, companies: &[&str]) -> Summary {
    Summary {
        name: name.to_owned(),
        kind,
        roles: [role].into_iter().collect(),
        team: None,
        companies: kura::principal::canonical_companies(&companies.iter().map(|c| (*c).to_owned()).collect()).unwrap(),
        suspended: false,
        password: true,
        totp: true,
        tokens: Vec::new(),
    }
}

fn as_(who: Summary, purpose: &str, kind: &str) -> Access {
    Access::new(who, purpose, "test").unwrap().with_kind(kind).unwrap()
}

/// The newest log entry of the access itself (alerts the anomaly rules raise after it are skipped: this matrix
/// makes bursts of refusals on purpose).
fn last(vault: &Vault) -> kura::audit::Entry {
    let log = vault.audit_log().store();
    let size = log.size().unwrap();
    let entries = log.entries(size.saturating_sub(5), 5).unwrap();
    entries
        .into_iter()
        .rev()
        .map(|(_, data)| kura::audit::Entry::from_leaf(&data).unwrap())
        .find(|e| e.action != Action::Alert && !e.principal.contains(kura::vault::alerts::SYSTEM))
        .unwrap()
}

/// Every role × kind × own/other company × purpose kind, reading a real record through the vault: each field
/// is shown exactly as the default policy decides (itself checked against an independent oracle in the
/// policy's unit tests), masked values are the masking of the stored value, hidden ones carry nothing, and a
/// record with nothing to show is refused and logged as `deny`.
#[test]
fn reads_follow_the_policy_field_by_field() {
    let fx = backends().into_iter().next().unwrap();
    let (vault, people) = loaded(&fx, 40);
    let p = &people[5];
    let own = p["company"].clone();
    let other = people.iter().map(|r| r["company"].clone()).find(|c| *c != own).unwrap();
    // Ground truth: the record's own operator on shipping work sees every field of this schema in the clear.
    let reader = as_(summary("truth", Kind::Employee, Role::Operator, &[&own]), "T-0", "shipping");
    let id = vault.by_external_id(&reader, C, &p["employee_id"]).unwrap();
    let truth = vault.get(&reader, C, id, CardView::Full).unwrap();
    assert!(truth.fields.iter().all(|f| f.shown == Visibility::Plain));
    let policy = Policy::default_policy().unwrap();
    let schema = vault.schema(C).unwrap();
    let company = kura::normalize::canonical(kura::schema::FieldType::Organisation, &own).unwrap();
    let (mut plain, mut masked, mut denied, mut checked) = (0, 0, 0, 0);
    for role in [Role::Operator, Role::Supervisor, Role::Auditor, Role::SecurityOfficer, Role::Administrator] {
        for kind in [Kind::Employee, Kind::Dispatched, Kind::Contractor, Kind::Service] {
            for assigned in [own.as_str(), other.as_str()] {
                for pk in ["support", "shipping"] {
                    let who = summary("reader", kind, role, &[assigned]);
                    let want: Vec<Visibility> = schema
                        .fields
                        .iter()
                        .map(|f| {
                            let fr = FieldRef {
                                collection: C,
                                name: &f.name,
                                kind: f.kind,
                                classification: f.classification,
                                company: &company,
                                home: f.home,
                            };
                            policy.visibility(&who, &fr, &Purpose { reference: "T-1", kind: pk, order: None })
                        })
                        .collect();
                    let got = vault.get(&as_(who.clone(), "T-1", pk), C, id, CardView::Full);
                    checked += 1;
                    if want.iter().all(|v| *v == Visibility::Hidden) {
                        assert!(matches!(got, Err(ReadError::Denied(_))), "{role:?}/{kind:?}/{pk}: {got:?}");
                        let e = last(&vault);
                        assert_eq!((e.action, e.outcome), (Action::Read, Outcome::Deny));
                        denied += 1;
                        continue;
                    }
                    let got = got.unwrap();
                    for ((f, want), t) in got.fields.iter().zip(&want).zip(&truth.fields) {
                        assert_eq!(f.shown, *want, "{role:?}/{kind:?}/{pk} {}", f.name);
                        let stored = t.value.as_ref().map(|v| v.expose().to_owned());
                        let shown = f.value.as_ref().map(|v| v.expose().to_owned());
                        match want {
                            Visibility::Hidden => assert_eq!(shown, None, "{}", f.name),
                            Visibility::Plain => {
                                assert_eq!(shown, stored, "{}", f.name);
                                plain += 1;
                            }
                            Visibility::Masked => {
                                let expect = stored.map(|s| kura::mask::mask(f.kind, &s));
                                assert_eq!(shown, expect, "{}", f.name);
                                masked += 1;
                            }
                        }
                    }
                    // The log names exactly the fields that left the vault.
                    let e = last(&vault);
                    let out: Vec<String> =
                        got.fields.iter().filter(|f| f.value.is_some()).map(|f| f.name.clone()).collect();
                    assert_eq!(e.fields, out);
                }
            }
        }
    }
    assert_eq!(checked, 5 * 4 * 2 * 2);
    assert!(plain > 0 && masked > 0 && denied > 0, "{plain} {masked} {denied}");
}

#[test]
fn searches_withhold_what_the_caller_cannot_see_and_say_so_in_the_log() {
    for fx in backends() {
        let (vault, people) = loaded(&fx, 30);
        let p = &people[2];
        let own = p["company"].clone();
        let other = people.iter().map(|r| r["company"].clone()).find(|c| *c != own).unwrap();
        let mine = as_(summary("op-a", Kind::Employee, Role::Operator, &[&own]), "T-9", "support");
        let theirs = as_(summary("op-b", Kind::Contractor, Role::Operator, &[&other]), "T-9", "support");
        let found = vault.find(&mine, C, "mobile", &p["mobile"], 10, CardView::Masked).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].value("user_name"), Some(p["user_name"].as_str()));
        // Another company's operator learns nothing, not even that the number exists; the log says deny.
        let none = vault.find(&theirs, C, "mobile", &p["mobile"], 10, CardView::Masked).unwrap();
        assert!(none.is_empty());
        let e = last(&vault);
        assert_eq!((e.action, e.outcome, e.subjects.len()), (Action::Search, Outcome::Deny, 1));
        assert!(vault.find_ids(&theirs, C, "mobile", &p["mobile"]).unwrap().is_empty());
        assert!(matches!(vault.by_external_id(&theirs, C, &p["employee_id"]), Err(ReadError::UnknownExternalId(_))));
    }
}

#[test]
fn writes_updates_erasures_and_detokenising_are_authorised() {
    for fx in backends() {
        let (vault, people) = loaded(&fx, 20);
        let p = &people[1];
        let own = p["company"].clone();
        let other = people.iter().map(|r| r["company"].clone()).find(|c| *c != own).unwrap();
        let op = as_(summary("op-a", Kind::Employee, Role::Operator, &[&own]), "T-1", "support");
        let stranger = as_(summary("op-b", Kind::Employee, Role::Operator, &[&other]), "T-1", "support");
        let officer = as_(summary("so", Kind::Employee, Role::SecurityOfficer, &[]), "INC-1", "investigation");
        let id = vault.by_external_id(&op, C, &p["employee_id"]).unwrap();
        // Update: own company yes; another company's operator no; moving the record to another company no.
        vault.update(&op, C, id, &[("department".to_owned(), Some("総務部".to_owned()))]).unwrap();
        let err = vault.update(&stranger, C, id, &[("department".to_owned(), Some("x部".to_owned()))]).unwrap_err();
        assert!(matches!(err, WriteError::Read(ReadError::Denied(_))), "{err:?}");
        assert_eq!(last(&vault).outcome, Outcome::Deny);
        let err = vault.update(&op, C, id, &[("company".to_owned(), Some(other.clone()))]).unwrap_err();
        assert!(matches!(err, WriteError::Read(ReadError::Denied(_))), "{err:?}");
        assert_eq!(vault.get(&op, C, id, CardView::Masked).unwrap().value("department"), Some("総務部"));
        // Import: an operator loads rows of their own company only; nothing is written otherwise.
        let csv = corporate_csv(3, 99);
        let parsed =
            kura::import::parse("n.csv", &csv, &vault.schema(C).unwrap(), kura::import::Encoding::Auto).unwrap();
        let before = vault.count(C).unwrap();
        assert!(matches!(vault.write(&op, C, parsed.rows, &mut |_| {}), Err(WriteError::Read(ReadError::Denied(_)))));
        assert_eq!(vault.count(C).unwrap(), before);
        // Card numbers are never shown in full under the default policy: detokenising is refused and logged.
        let auditor = as_(summary("au", Kind::Employee, Role::Auditor, &[]), "AUD-1", "support");
        assert!(matches!(vault.detokenise(&op, C, "4111111111111111"), Err(ReadError::Denied(_))));
        assert_eq!(last(&vault).action, Action::Detokenise);
        // Erasure: operators no, security officers yes; auditors read the log but no data.
        assert!(matches!(vault.erase(&op, C, id), Err(kura::vault::EraseError::Read(ReadError::Denied(_)))));
        assert!(matches!(vault.get(&auditor, C, id, CardView::Masked), Err(ReadError::Denied(_))));
        assert!(vault.who_saw(&auditor, C, id).unwrap().len() >= 3);
        assert!(matches!(vault.who_saw(&op, C, id), Err(ReadError::Denied(_))));
        vault.erase(&officer, C, id).unwrap();
        assert!(matches!(vault.get(&op, C, id, CardView::Masked), Err(ReadError::Erased(_))));
    }
}

#[test]
fn tokens_scopes_suspension_and_purpose_limit_every_access() {
    for fx in backends() {
        let (vault, people) = loaded(&fx, 10);
        let p = &people[0];
        let own = p["company"].clone();
        let admin = custodian();
        let svc =
            Principal::new("desk-app", Kind::Service, [Role::Operator].into(), None, [own.clone()].into()).unwrap();
        vault.add_principal(&admin, &svc).unwrap();
        let token =
            vault.issue_token(&admin, "desk-app", vec!["audit:read".to_owned()], kura::store::now() + 600).unwrap();
        let (who, scopes) = vault.authenticate_token(secrecy::ExposeSecret::expose_secret(&token), "t").unwrap();
        let a = Access::new(who, "T-2", "t").unwrap().with_scopes(scopes);
        // The token lacks `records:read`: refused, whatever the policy would allow.
        assert!(matches!(vault.find_ids(&a, C, "employee_id", &p["employee_id"]), Err(ReadError::Denied(_))));
        // The access carries the principal as stored: once suspended, nothing.
        let live = vault.access("desk-app", "T-3", "t").unwrap();
        assert_eq!(vault.find_ids(&live, C, "employee_id", &p["employee_id"]).unwrap().len(), 1);
        vault.change_principal(&admin, "desk-app", kura::vault::principals::Change::Suspend).unwrap();
        let suspended = vault.access("desk-app", "T-3", "t").unwrap();
        assert!(vault.find_ids(&suspended, C, "employee_id", &p["employee_id"]).unwrap().is_empty());
        assert!(matches!(
            vault.authenticate_token(secrecy::ExposeSecret::expose_secret(&token), "t"),
            Err(AuthError::Refused)
        ));
        // No purpose, no access.
        assert!(matches!(
            vault.access("desk-app", " ", "t"),
            Err(PrincipalError::Access(kura::vault::AccessError::NoPurpose))
        ));
        // Only administrators manage principals; the refusal is logged.
        let op = as_(summary("op-a", Kind::Employee, Role::Operator, &[&own]), "T-1", "support");
        let x = Principal::new("x", Kind::Employee, [Role::Operator].into(), None, BTreeSet::new()).unwrap();
        assert!(matches!(vault.add_principal(&op, &x), Err(PrincipalError::Denied(_))));
        let e = last(&vault);
        assert_eq!((e.action, e.outcome, e.principal.as_str()), (Action::PrincipalChange, Outcome::Deny, "op-a"));
    }
}

#[test]
fn people_get_sessions_after_password_and_totp() {
    let fx = backends().into_iter().next().unwrap();
    let (vault, _) = loaded(&fx, 5);
    let admin = custodian();
    let p = Principal::new("kei", Kind::Employee, [Role::Operator].into(), None, BTreeSet::new()).unwrap();
    vault.add_principal(&admin, &p).unwrap();
    let pass = SecretString::from("a long enough passphrase".to_owned());
    vault.set_password(&admin, "kei", &pass).unwrap();
    let uri = vault.enroll_totp(&admin, "kei", "kura").unwrap();
    let secret = secrecy::ExposeSecret::expose_secret(&uri)
        .split("secret=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let totp = kura::auth::totp::Totp::new(
        kura::auth::totp::Secret::from_base32(&SecretString::from(secret)).unwrap(),
        Default::default(),
        kura::auth::totp::Digits::Six,
    );
    let code = totp.code(kura::auth::totp::step_at(kura::store::now()).unwrap());
    let (who, token) = vault.start_session("kei", &pass, Some(&code), "t", 3600).unwrap();
    assert_eq!(who.name, "kei");
    let t = secrecy::ExposeSecret::expose_secret(&token).to_owned();
    let (again, scopes) = vault.authenticate_token(&t, "t").unwrap();
    assert_eq!(again.name, "kei");
    assert!(scopes.iter().any(|s| s == "records:read"));
    // A person cannot be issued an API token by hand, and an ended session is refused.
    assert!(vault.issue_token(&admin, "kei", vec![], kura::store::now() + 60).is_err());
    vault.end_session(&t, "t").unwrap();
    assert!(matches!(vault.authenticate_token(&t, "t"), Err(AuthError::Refused)));
}

#[test]
fn policy_versions_are_validated_sealed_logged_and_picked_up() {
    for fx in backends() {
        let (vault, people) = loaded(&fx, 10);
        let p = &people[3];
        let own = p["company"].clone();
        let op = as_(summary("op-a", Kind::Employee, Role::Operator, &[&own]), "T-1", "support");
        let id = vault.by_external_id(&op, C, &p["employee_id"]).unwrap();
        assert_eq!(vault.get(&op, C, id, CardView::Masked).unwrap().value("user_name"), Some(p["user_name"].as_str()));
        // Invalid policies never take effect.
        assert!(matches!(
            vault.set_policy(&custodian(), "permit (principal, action, resource) when { resource.nope };"),
            Err(PolicyChangeError::Invalid(_))
        ));
        assert!(matches!(vault.set_policy(&op, kura::policy::DEFAULT_POLICY), Err(PolicyChangeError::Denied(_))));
        assert_eq!(vault.active_policy().unwrap().version, 0);
        // Version 1: operators see names masked only.
        let stricter = format!(
            "{}\n@id(\"names-masked\")\nforbid (principal, action == Kura::Action::\"read_plain\", resource) when {{ resource.type == \"person_name_ja\" }};\n",
            kura::policy::DEFAULT_POLICY
        );
        assert_eq!(vault.set_policy(&custodian(), &stricter).unwrap(), 1);
        let e = last(&vault);
        assert_eq!(e.action, Action::PolicyChange);
        assert!(e.detail.contains("version 1"), "{}", e.detail);
        let r = vault.get(&op, C, id, CardView::Masked).unwrap();
        assert_ne!(r.value("user_name"), Some(p["user_name"].as_str()));
        assert_eq!(r.fields.iter().find(|f| f.name == "user_name").unwrap().shown, Visibility::Masked);
        // Another process opening the vault uses version 1; the history holds it.
        drop(vault);
        let vault = fx.open();
        assert_eq!(vault.active_policy().unwrap().version, 1);
        let auditor = as_(summary("au", Kind::Employee, Role::Auditor, &[]), "AUD-1", "support");
        let history = vault.policy_history(&auditor).unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].text, stricter);
        drop(vault);
        // A policy edited in the database does not open: the vault refuses to decide anything.
        if fx.backend == "sqlite" {
            let db = rusqlite::Connection::open(fx.vault_dir().join("vault.db")).unwrap();
            db.execute("UPDATE meta SET value = 'AAAA' || substr(value, 5) WHERE key = 'policy/v1'", []).unwrap();
            drop(db);
            let keys = kura::keys::keyfile::KeyFile::open(&fx.key_path(), &crate::support::pass()).unwrap();
            assert!(matches!(Vault::open(fx.store(), Box::new(keys)), Err(kura::vault::OpenError::Policy(_))));
        }
    }
}

/// A principal record restored from before a change (a suspension) is recognised: the log announced a newer
/// version, so the old copy is refused on every path — access, sign-in, token.
#[test]
fn an_older_principal_record_restored_in_the_database_is_refused() {
    let fx = backends().into_iter().next().unwrap();
    let (vault, _) = loaded(&fx, 5);
    let admin = custodian();
    let svc = Principal::new("crm-sync", Kind::Service, [Role::Operator].into(), None, BTreeSet::new()).unwrap();
    vault.add_principal(&admin, &svc).unwrap();
    let token =
        vault.issue_token(&admin, "crm-sync", vec!["records:read".to_owned()], kura::store::now() + 600).unwrap();
    let db_path = fx.vault_dir().join("vault.db");
    let before: Vec<u8> = rusqlite::Connection::open(&db_path)
        .unwrap()
        .query_row("SELECT sealed FROM principal WHERE name = 'crm-sync'", [], |r| r.get(0))
        .unwrap();
    vault.change_principal(&admin, "crm-sync", kura::vault::principals::Change::Suspend).unwrap();
    drop(vault);
    rusqlite::Connection::open(&db_path)
        .unwrap()
        .execute("UPDATE principal SET sealed = ?1 WHERE name = 'crm-sync'", [&before])
        .unwrap();
    let vault = fx.open();
    assert!(matches!(vault.access("crm-sync", "T-1", "t"), Err(PrincipalError::RolledBack(_))));
    assert!(vault.authenticate_token(secrecy::ExposeSecret::expose_secret(&token), "t").is_err());
    // Other principals are unaffected.
    let other = Principal::new("billing", Kind::Service, [Role::Operator].into(), None, BTreeSet::new()).unwrap();
    vault.add_principal(&admin, &other).unwrap();
    assert_eq!(vault.access("billing", "T-1", "t").unwrap().principal(), "billing");
}
