//! Principals and sign-in on every backend: sealed records, password + TOTP, lockout, suspension, tokens,
//! and a log entry for every change and every attempt.

use std::collections::BTreeSet;

use kura::auth::totp::{step_at, Digits, Secret, Totp};
use kura::principal::{Kind, Principal, Role};
use kura::vault::principals::{AuthError, Change, PrincipalError};
use secrecy::{ExposeSecret, SecretString};

use crate::support::{access, backends};

fn person(name: &str, roles: &[Role]) -> Principal {
    Principal::new(
        name,
        Kind::Dispatched,
        roles.iter().copied().collect(),
        Some("desk-2".to_owned()),
        ["株式会社サンプル".to_owned()].into_iter().collect(),
    )
    .unwrap()
}

fn pw(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

fn totp_of(uri: &SecretString) -> Totp {
    let secret = uri.expose_secret().split("secret=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    Totp::new(Secret::from_base32(&SecretString::from(secret)).unwrap(), Default::default(), Digits::Six)
}

#[test]
fn principals_sign_in_with_password_totp_and_lockout() {
    for fx in backends() {
        let vault = fx.create();
        let admin = access();
        let right = pw("correct horse battery staple");
        vault.add_principal(&admin, &person("hanako.sato", &[Role::Operator])).unwrap();
        assert!(matches!(
            vault.add_principal(&admin, &person("hanako.sato", &[Role::Operator])),
            Err(PrincipalError::Store(kura::store::Error::PrincipalExists(_)))
        ));
        for roles in [[Role::Administrator, Role::Operator], [Role::Auditor, Role::Supervisor]] {
            let p = Principal::new("x", Kind::Employee, roles.into_iter().collect(), None, BTreeSet::new());
            assert!(matches!(p, Err(kura::principal::Invalid::Duties)));
        }
        let empty_company =
            Principal::new("x", Kind::Employee, [Role::Operator].into(), None, [String::new()].into_iter().collect());
        assert!(matches!(empty_company, Err(kura::principal::Invalid::Company)));
        assert!(matches!(vault.set_password(&admin, "hanako.sato", &pw("short")), Err(PrincipalError::Password(_))));
        vault.set_password(&admin, "hanako.sato", &right).unwrap();
        // People need a second factor: the password alone is refused.
        assert!(matches!(vault.authenticate("hanako.sato", &right, None, "10.0.0.7"), Err(AuthError::Refused)));
        assert!(matches!(vault.authenticate("nobody", &right, None, "10.0.0.7"), Err(AuthError::Refused)));

        let totp = totp_of(&vault.enroll_totp(&admin, "hanako.sato", "kura").unwrap());
        let now = kura::store::now();
        let code = totp.code(step_at(now).unwrap());
        let ok = vault.authenticate("hanako.sato", &right, Some(&code), "x").unwrap();
        assert_eq!(ok.roles, [Role::Operator].into_iter().collect());
        // The same code cannot be replayed, and a wrong password fails with a right code.
        assert!(matches!(vault.authenticate("hanako.sato", &right, Some(&code), "x"), Err(AuthError::Refused)));

        // Lockout after repeated failures, even for the right password and a fresh code afterwards.
        for _ in 0..6 {
            let _ = vault.authenticate("hanako.sato", &pw("guess guess guess"), Some("000000"), "x");
        }
        let fresh = totp.code(step_at(now + 30).unwrap());
        assert!(matches!(vault.authenticate("hanako.sato", &right, Some(&fresh), "x"), Err(AuthError::Refused)));
        let attempts = vault.activity(&admin, "hanako.sato", 0, i64::MAX).unwrap();
        assert!(attempts.iter().any(|e| e.detail == "locked out"), "{attempts:?}");
        assert!(attempts.iter().filter(|e| e.outcome == kura::audit::Outcome::Deny).count() >= 8, "{attempts:?}");
        assert!(attempts.iter().any(|e| e.outcome == kura::audit::Outcome::Allow));

        // Suspension: refused like any other failure; resuming restores access.
        vault.add_principal(&admin, &person("taro", &[Role::Supervisor])).unwrap();
        vault.set_password(&admin, "taro", &pw("another long passphrase")).unwrap();
        let taro = totp_of(&vault.enroll_totp(&admin, "taro", "kura").unwrap());
        vault.change_principal(&admin, "taro", Change::Suspend).unwrap();
        let c1 = taro.code(step_at(now).unwrap());
        assert!(matches!(
            vault.authenticate("taro", &pw("another long passphrase"), Some(&c1), "x"),
            Err(AuthError::Refused)
        ));
        vault.change_principal(&admin, "taro", Change::Resume).unwrap();
        let c2 = taro.code(step_at(now + 30).unwrap());
        vault.authenticate("taro", &pw("another long passphrase"), Some(&c2), "x").unwrap();

        // Every change is in the log; no secret is.
        let log = vault.activity(&admin, "tester", 0, i64::MAX).unwrap();
        assert!(log.iter().filter(|e| e.action == kura::audit::Action::PrincipalChange).count() >= 7, "{log:?}");
        assert!(!format!("{log:?}").contains("correct horse"));
        let listed = vault.principals().unwrap();
        assert_eq!(listed.len(), 2);
        assert!(!format!("{listed:?}").contains("correct horse"));
    }
}

#[test]
fn service_tokens_expire_and_revoke() {
    for fx in backends() {
        let vault = fx.create();
        let admin = access();
        let svc = Principal::new("crm-sync", Kind::Service, [Role::Operator].into(), None, BTreeSet::new()).unwrap();
        vault.add_principal(&admin, &svc).unwrap();
        assert!(matches!(
            vault.set_password(&admin, "crm-sync", &pw("service accounts have none")),
            Err(PrincipalError::Invalid(_))
        ));
        let now = kura::store::now();
        let t = vault.issue_token(&admin, "crm-sync", vec!["records:read".into()], now + 3600).unwrap();
        let (who, scopes) = vault.authenticate_token(t.expose_secret(), "10.1.1.1").unwrap();
        assert_eq!((who.name.as_str(), scopes), ("crm-sync", vec!["records:read".to_owned()]));
        assert!(vault.issue_token(&admin, "crm-sync", vec!["root:everything".into()], now + 60).is_err());
        vault.add_principal(&admin, &person("hana", &[Role::Operator])).unwrap();
        assert!(vault.issue_token(&admin, "hana", vec![], now + 60).is_err(), "people do not get tokens");
        let expired = vault.issue_token(&admin, "crm-sync", vec![], now - 1).unwrap();
        assert!(vault.authenticate_token(expired.expose_secret(), "10.1.1.1").is_err());
        let id = t.expose_secret().split('_').nth(1).unwrap().to_owned();
        vault.revoke_token(&admin, "crm-sync", &id).unwrap();
        assert!(vault.authenticate_token(t.expose_secret(), "10.1.1.1").is_err());
        assert!(vault.authenticate_token("kura_nonsense", "10.1.1.1").is_err());
        vault.change_principal(&admin, "crm-sync", Change::Suspend).unwrap();
        let t2 = vault.issue_token(&admin, "crm-sync", vec![], now + 60).unwrap();
        assert!(vault.authenticate_token(t2.expose_secret(), "10.1.1.1").is_err(), "suspended");
        // The token is never stored: not in the database files, not in the log.
        drop(vault);
        if fx.backend == "sqlite" {
            let files = kura::scan::walk(&fx.vault_dir()).unwrap();
            let secret_part = t.expose_secret().rsplit('_').next().unwrap().to_owned();
            assert!(kura::scan::files(&files, [t.expose_secret().to_owned(), secret_part]).unwrap().hits.is_empty());
        }
    }
}

/// Granting a role by editing the database does not work: a record copied onto another name does not open.
#[test]
fn principal_records_cannot_be_edited_in_the_database() {
    let fx = backends().remove(0);
    let vault = fx.create();
    vault.add_principal(&access(), &person("jiro", &[Role::Operator])).unwrap();
    vault.add_principal(&access(), &person("chief", &[Role::SecurityOfficer])).unwrap();
    drop(vault);
    let db = rusqlite::Connection::open(fx.vault_dir().join("vault.db")).unwrap();
    db.execute(
        "UPDATE principal SET sealed = (SELECT sealed FROM principal WHERE name = 'chief') WHERE name = 'jiro'",
        [],
    )
    .unwrap();
    drop(db);
    let vault = fx.open();
    assert!(matches!(vault.principal("jiro"), Err(PrincipalError::Sealed(_))));
    assert_eq!(vault.principal("chief").unwrap().roles, [Role::SecurityOfficer].into_iter().collect());
}

/// Concurrent sign-in attempts never lose a failure count or reuse a code.
#[test]
fn concurrent_sign_ins_do_not_lose_updates() {
    let fx = backends().remove(0);
    let vault = fx.create();
    vault.add_principal(&access(), &person("kei", &[Role::Operator])).unwrap();
    vault.set_password(&access(), "kei", &pw("a long enough passphrase")).unwrap();
    let totp = totp_of(&vault.enroll_totp(&access(), "kei", "kura").unwrap());
    let code = totp.code(step_at(kura::store::now()).unwrap());
    let successes = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                if vault.authenticate("kei", &pw("a long enough passphrase"), Some(&code), "x").is_ok() {
                    successes.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
            });
        }
    });
    assert_eq!(successes.into_inner(), 1, "one code, one sign-in");
}
