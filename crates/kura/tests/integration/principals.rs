//! Principals and sign-in on every backend: sealed records, password + TOTP, lockout, suspension, tokens,
//! and a log entry for every change and every attempt.

use std::collections::BTreeSet;

use kura::principal::{Kind, Principal, Role};
use kura::vault::principals::{AuthError, Change, PrincipalError};
use secrecy::SecretString;

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

#[test]
fn principals_sign_in_with_password_totp_and_lockout() {
    for fx in backends() {
        let vault = fx.create();
        let admin = access();
        vault.add_principal(&admin, &person("hanako.sato", &[Role::Operator])).unwrap();
        assert!(matches!(
            vault.add_principal(&admin, &person("hanako.sato", &[Role::Operator])),
            Err(PrincipalError::Store(kura::store::Error::PrincipalExists(_)))
        ));
        assert!(matches!(
            Principal::new(
                "root",
                Kind::Employee,
                [Role::Administrator, Role::Operator].into_iter().collect(),
                None,
                BTreeSet::new()
            ),
            Err(kura::principal::Invalid::Duties)
        ));
        assert!(matches!(vault.set_password(&admin, "hanako.sato", &pw("short")), Err(PrincipalError::Password(_))));
        vault.set_password(&admin, "hanako.sato", &pw("correct horse battery staple")).unwrap();
        let ok = vault.authenticate("hanako.sato", &pw("correct horse battery staple"), None, "10.0.0.7").unwrap();
        assert_eq!(ok.roles, [Role::Operator].into_iter().collect());
        assert!(matches!(
            vault.authenticate("hanako.sato", &pw("wrong horse battery staple"), None, "10.0.0.7"),
            Err(AuthError::Refused)
        ));
        assert!(matches!(
            vault.authenticate("nobody", &pw("correct horse battery staple"), None, "10.0.0.7"),
            Err(AuthError::Refused)
        ));

        // TOTP: once enrolled, the password alone is refused.
        let uri = vault.enroll_totp(&admin, "hanako.sato", "kura").unwrap();
        use secrecy::ExposeSecret;
        let secret = uri.expose_secret().split("secret=").nth(1).unwrap().split('&').next().unwrap().to_owned();
        let totp = kura::auth::totp::Totp::new(
            kura::auth::totp::Secret::from_base32(&SecretString::from(secret)).unwrap(),
            Default::default(),
            kura::auth::totp::Digits::Six,
        );
        assert!(matches!(
            vault.authenticate("hanako.sato", &pw("correct horse battery staple"), None, "x"),
            Err(AuthError::Refused)
        ));
        let now = kura::store::now();
        let code = totp.code(kura::auth::totp::step_at(now).unwrap());
        vault.authenticate("hanako.sato", &pw("correct horse battery staple"), Some(&code), "x").unwrap();
        // The same code cannot be replayed.
        assert!(matches!(
            vault.authenticate("hanako.sato", &pw("correct horse battery staple"), Some(&code), "x"),
            Err(AuthError::Refused)
        ));

        // Lockout after repeated failures, even for the right password afterwards.
        for _ in 0..6 {
            let _ = vault.authenticate("hanako.sato", &pw("guess guess guess"), Some("000000"), "x");
        }
        let code = totp.code(kura::auth::totp::step_at(now + 30).unwrap());
        assert!(matches!(
            vault.authenticate("hanako.sato", &pw("correct horse battery staple"), Some(&code), "x"),
            Err(AuthError::Locked(_))
        ));

        // Suspension.
        vault.add_principal(&admin, &person("taro", &[Role::Supervisor])).unwrap();
        vault.set_password(&admin, "taro", &pw("another long passphrase")).unwrap();
        vault.change_principal(&admin, "taro", Change::Suspend).unwrap();
        assert!(matches!(
            vault.authenticate("taro", &pw("another long passphrase"), None, "x"),
            Err(AuthError::Suspended)
        ));
        vault.change_principal(&admin, "taro", Change::Resume).unwrap();
        vault.authenticate("taro", &pw("another long passphrase"), None, "x").unwrap();

        // Every change and attempt is in the log.
        let log = vault.activity(&admin, "tester", 0, i64::MAX).unwrap();
        assert!(log.iter().filter(|e| e.action == kura::audit::Action::PrincipalChange).count() >= 6, "{log:?}");
        let attempts = vault.activity(&admin, "hanako.sato", 0, i64::MAX).unwrap();
        assert!(attempts.iter().filter(|e| e.outcome == kura::audit::Outcome::Deny).count() >= 8);
        assert!(attempts.iter().any(|e| e.outcome == kura::audit::Outcome::Allow));
        let listed = vault.principals().unwrap();
        assert_eq!(listed.len(), 2);
        assert!(format!("{listed:?}").find("correct horse").is_none());
    }
}

#[test]
fn service_tokens_expire_and_revoke() {
    for fx in backends() {
        let vault = fx.create();
        let admin = access();
        let svc =
            Principal::new("crm-sync", Kind::Service, [Role::Operator].into_iter().collect(), None, BTreeSet::new())
                .unwrap();
        vault.add_principal(&admin, &svc).unwrap();
        assert!(matches!(
            vault.set_password(&admin, "crm-sync", &pw("service accounts have none")),
            Err(PrincipalError::Invalid(_))
        ));
        use secrecy::ExposeSecret;
        let now = kura::store::now();
        let t = vault.issue_token(&admin, "crm-sync", vec!["records:read".into()], now + 3600).unwrap();
        assert_eq!(vault.authenticate_token(t.expose_secret(), "10.1.1.1").unwrap().name, "crm-sync");
        let expired = vault.issue_token(&admin, "crm-sync", vec![], now - 1).unwrap();
        assert!(vault.authenticate_token(expired.expose_secret(), "10.1.1.1").is_err());
        let id = t.expose_secret().split('_').nth(1).unwrap().to_owned();
        vault.revoke_token(&admin, "crm-sync", &id).unwrap();
        assert!(vault.authenticate_token(t.expose_secret(), "10.1.1.1").is_err());
        assert!(vault.authenticate_token("kura_nonsense", "10.1.1.1").is_err());
        // The token is never stored: not in the database files, not in the log.
        drop(vault);
        if fx.backend == "sqlite" {
            let files = kura::scan::walk(&fx.vault_dir()).unwrap();
            let secret_part = t.expose_secret().rsplit('_').next().unwrap().to_owned();
            assert!(kura::scan::files(&files, [t.expose_secret().to_owned(), secret_part]).unwrap().hits.is_empty());
        }
    }
}

/// Granting a role by editing the database does not work: the record no longer opens.
#[test]
fn principal_records_cannot_be_edited_in_the_database() {
    let fx = backends().remove(0);
    let vault = fx.create();
    vault.add_principal(&access(), &person("jiro", &[Role::Operator])).unwrap();
    vault.add_principal(&access(), &person("chief", &[Role::SecurityOfficer])).unwrap();
    drop(vault);
    let db = rusqlite::Connection::open(fx.vault_dir().join("vault.db")).unwrap();
    // Copy the security officer's sealed record over jiro's.
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
