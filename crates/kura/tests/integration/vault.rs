//! Vault behaviour on every backend: round trips, search by any notation, binding of ciphertexts to their
//! record and field, idempotent import, updates, erasure.

use kura::store::RecordWrite;
use kura::vault::{codec, CardView, EraseReport, ReadError, WriteError};

use crate::support::{access, access_as, backends, consumer_csv, corporate_csv, import, rows};

#[test]
fn round_trip_and_search_by_other_notation() {
    for fx in backends() {
        let vault = fx.create();
        let csv = corporate_csv(300, 11);
        assert_eq!(import(&vault, "corporate-mobile", &csv), 300, "{}", fx.backend);
        let people = rows(&csv);
        let vault = {
            drop(vault);
            fx.open()
        };
        for p in people.iter().step_by(37) {
            let id = vault.by_external_id(&access(), "corporate-mobile", &p["employee_id"]).unwrap();
            let r = vault.get(&access(), "corporate-mobile", id, CardView::Masked).unwrap();
            for (k, v) in p {
                let got = r.value(k).unwrap_or("");
                assert_eq!(got, v.trim(), "{}: field {k}", fx.backend);
            }
            // The same phone typed internationally and with spaces finds the same person.
            let digits: String = p["mobile"].chars().filter(char::is_ascii_digit).collect();
            let intl = format!("+81 {} {}", &digits[1..3], &digits[3..]);
            let found = vault.find_ids(&access(), "corporate-mobile", "mobile", &intl).unwrap();
            assert_eq!(found, vec![id], "{}", fx.backend);
            // Name with different spacing.
            let name = p["user_name"].replace([' ', '\u{3000}'], "");
            assert!(vault.find_ids(&access(), "corporate-mobile", "user_name", &name).unwrap().contains(&id));
        }
        assert!(matches!(
            vault.find_ids(&access(), "corporate-mobile", "department", "営業部"),
            Err(ReadError::NotSearchable(_))
        ));
        assert!(matches!(vault.find_ids(&access(), "nope", "mobile", "1"), Err(ReadError::UnknownCollection(_))));
    }
}

#[test]
fn ciphertext_swapped_between_records_or_fields_fails() {
    for fx in backends() {
        let vault = fx.create();
        let csv = corporate_csv(10, 3);
        import(&vault, "corporate-mobile", &csv);
        let people = rows(&csv);
        let a = vault.by_external_id(&access(), "corporate-mobile", &people[0]["employee_id"]).unwrap();
        let b = vault.by_external_id(&access(), "corporate-mobile", &people[1]["employee_id"]).unwrap();
        drop(vault);
        let store = fx.store();
        let cid = store.collections().unwrap()[0].id;
        let ra = store.record(cid, a).unwrap().unwrap();
        let rb = store.record(cid, b).unwrap().unwrap();
        let ext_a = ra.tokens.iter().find(|(f, _)| *f == 0).unwrap().1;

        // 1. B's sealed fields moved into A's row.
        let moved = RecordWrite {
            id: a,
            ext_token: ext_a,
            key_version: ra.key_version,
            fields: rb.fields.clone(),
            tokens: ra.tokens.clone(),
            new_subject_key: None,
        };
        store.write(cid, &[moved], &mut |_| {}).unwrap();
        let vault = fx.open();
        assert!(matches!(
            vault.get(&access(), "corporate-mobile", a, CardView::Masked),
            Err(ReadError::Undecryptable(_))
        ));
        drop(vault);

        // 2. Two of A's own fields exchanged (user_name ↔ department).
        let parts = codec::split(&ra.fields).unwrap();
        let mut swapped = Vec::new();
        for (pos, sealed) in &parts {
            let pos = match *pos {
                2 => 3,
                3 => 2,
                p => p,
            };
            codec::push(&mut swapped, pos, sealed);
        }
        let w = RecordWrite {
            id: a,
            ext_token: ext_a,
            key_version: ra.key_version,
            fields: swapped,
            tokens: ra.tokens.clone(),
            new_subject_key: None,
        };
        store.write(cid, &[w], &mut |_| {}).unwrap();
        let vault = fx.open();
        assert!(matches!(
            vault.get(&access(), "corporate-mobile", a, CardView::Masked),
            Err(ReadError::Undecryptable(_))
        ));

        // 3. The original bytes put back read fine again: the failure came from the move, not from damage.
        drop(vault);
        let w = RecordWrite {
            id: a,
            ext_token: ext_a,
            key_version: ra.key_version,
            fields: ra.fields.clone(),
            tokens: ra.tokens.clone(),
            new_subject_key: None,
        };
        store.write(cid, &[w], &mut |_| {}).unwrap();
        let vault = fx.open();
        let r = vault.get(&access(), "corporate-mobile", a, CardView::Masked).unwrap();
        assert_eq!(r.value("user_name").unwrap(), people[0]["user_name"]);
        // B is untouched.
        assert_eq!(
            vault.get(&access(), "corporate-mobile", b, CardView::Masked).unwrap().value("mobile").unwrap(),
            people[1]["mobile"]
        );
    }
}

#[test]
fn reimport_updates_instead_of_duplicating() {
    for fx in backends() {
        let vault = fx.create();
        let csv = corporate_csv(50, 5);
        import(&vault, "corporate-mobile", &csv);
        let first = rows(&csv);
        let id0 = vault.by_external_id(&access(), "corporate-mobile", &first[0]["employee_id"]).unwrap();
        // Same file again: nothing new.
        import(&vault, "corporate-mobile", &csv);
        assert_eq!(vault.count("corporate-mobile").unwrap(), 50, "{}", fx.backend);
        // A changed department for the first person, same external id.
        let text = String::from_utf8(csv.clone()).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        lines[1] = lines[1].replacen(&first[0]["department"], "品質保証部", 1);
        let changed = (lines.join("\n") + "\n").into_bytes();
        import(&vault, "corporate-mobile", &changed);
        assert_eq!(vault.count("corporate-mobile").unwrap(), 50);
        let same = vault.by_external_id(&access(), "corporate-mobile", &first[0]["employee_id"]).unwrap();
        assert_eq!(same, id0, "record id is stable across imports");
        let r = vault.get(&access(), "corporate-mobile", id0, CardView::Masked).unwrap();
        assert_eq!(r.value("department").unwrap(), "品質保証部");
    }
}

#[test]
fn update_validates_and_reindexes() {
    for fx in backends() {
        let vault = fx.create();
        let csv = corporate_csv(20, 8);
        import(&vault, "corporate-mobile", &csv);
        let p = &rows(&csv)[4];
        let id = vault.by_external_id(&access(), "corporate-mobile", &p["employee_id"]).unwrap();
        vault.update(&access(), "corporate-mobile", id, &[("mobile".into(), Some("080-9999-0001".into()))]).unwrap();
        assert_eq!(vault.find_ids(&access(), "corporate-mobile", "mobile", "08099990001").unwrap(), vec![id]);
        assert!(
            vault.find_ids(&access(), "corporate-mobile", "mobile", &p["mobile"]).unwrap().is_empty(),
            "old token removed"
        );
        let bad = vault.update(&access(), "corporate-mobile", id, &[("email".into(), Some("not-an-email".into()))]);
        match bad {
            Err(WriteError::Invalid(problems)) => {
                assert_eq!(problems[0].field, "email");
                assert!(!problems[0].reason.contains("not-an-email"), "error must not echo the value");
            }
            other => panic!("expected invalid, got {other:?}"),
        }
        let missing = vault.update(&access(), "corporate-mobile", id, &[("user_name".into(), None)]);
        assert!(matches!(missing, Err(WriteError::Invalid(_))), "required field cannot be cleared");
        let unknown = vault.update(&access(), "corporate-mobile", id, &[("cvv".into(), Some("123".into()))]);
        assert!(unknown.is_err());
        let r = vault.get(&access(), "corporate-mobile", id, CardView::Masked).unwrap();
        assert_eq!(r.value("mobile").unwrap(), "080-9999-0001");
        assert_eq!(r.value("email").unwrap(), p["email"]);
    }
}

#[test]
fn erasure_destroys_one_person_only() {
    for fx in backends() {
        let vault = fx.create();
        let csv = corporate_csv(40, 9);
        import(&vault, "corporate-mobile", &csv);
        let people = rows(&csv);
        let victim = vault.by_external_id(&access(), "corporate-mobile", &people[7]["employee_id"]).unwrap();
        let report = vault.erase(&access(), "corporate-mobile", victim).unwrap();
        let EraseReport::Erased { fields, index_entries, .. } = report else { panic!("not erased: {report:?}") };
        assert!(fields >= 9 && index_entries >= 5, "{fields} {index_entries}");
        assert!(matches!(vault.get(&access(), "corporate-mobile", victim, CardView::Full), Err(ReadError::Erased(_))));
        assert!(vault.find_ids(&access(), "corporate-mobile", "mobile", &people[7]["mobile"]).unwrap().is_empty());
        assert!(matches!(
            vault.by_external_id(&access(), "corporate-mobile", &people[7]["employee_id"]),
            Err(ReadError::UnknownExternalId(_))
        ));
        assert!(matches!(
            vault.erase(&access(), "corporate-mobile", victim).unwrap(),
            EraseReport::AlreadyErased { .. }
        ));
        assert!(vault.erase(&access(), "corporate-mobile", kura::RecordId::generate()).is_err(), "unknown is an error");
        assert_eq!(vault.count("corporate-mobile").unwrap(), 39);
        for (i, p) in people.iter().enumerate().filter(|(i, _)| *i != 7) {
            let id = vault.by_external_id(&access(), "corporate-mobile", &p["employee_id"]).unwrap();
            let r = vault.get(&access(), "corporate-mobile", id, CardView::Masked).unwrap();
            assert_eq!(r.value("user_name").unwrap(), p["user_name"], "person {i} intact");
        }
        let store = fx.store();
        assert!(store.subject_keys(&[victim]).unwrap().is_empty(), "subject key destroyed");
    }
}

/// A backup of the vault database taken before the erasure cannot be read after it: the key is gone.
#[test]
fn erasure_reaches_backups() {
    let fx = crate::support::backends().remove(0);
    let vault = fx.create();
    let csv = corporate_csv(15, 21);
    import(&vault, "corporate-mobile", &csv);
    let people = rows(&csv);
    let victim = vault.by_external_id(&access(), "corporate-mobile", &people[3]["employee_id"]).unwrap();
    let other = vault.by_external_id(&access(), "corporate-mobile", &people[4]["employee_id"]).unwrap();
    drop(vault);
    // Backup of the data file (consistent: no open connections, WAL checkpointed on close).
    let db = fx.vault_dir().join("vault.db");
    let backup = std::fs::read(&db).unwrap();
    let vault = fx.open();
    vault.erase(&access(), "corporate-mobile", victim).unwrap();
    drop(vault);
    // Restore the old data file next to the current keyring.
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(fx.vault_dir().join(format!("vault.db{suffix}")));
    }
    std::fs::write(&db, backup).unwrap();
    let vault = fx.open();
    assert!(matches!(
        vault.get(&access(), "corporate-mobile", victim, CardView::Full),
        Err(ReadError::Undecryptable(_))
    ));
    assert_eq!(
        vault.get(&access(), "corporate-mobile", other, CardView::Full).unwrap().value("mobile").unwrap(),
        people[4]["mobile"]
    );
}

#[test]
fn cards_are_tokenised_masked_and_searchable() {
    for fx in backends() {
        let vault = fx.create();
        let csv = consumer_csv(60, 4);
        import(&vault, "consumer-wireless", &csv);
        for p in rows(&csv).iter().take(10) {
            let id = vault.by_external_id(&access(), "consumer-wireless", &p["customer_id"]).unwrap();
            let pan: String = p["card_number"].chars().filter(char::is_ascii_digit).collect();
            let full = vault.get(&access(), "consumer-wireless", id, CardView::Full).unwrap();
            assert_eq!(full.value("card_number").unwrap(), pan);
            assert_eq!(
                full.value("card_brand").unwrap(),
                p["card_brand"].to_uppercase().replace("AMERICAN EXPRESS", "AMEX")
            );
            let masked = vault.get(&access(), "consumer-wireless", id, CardView::Masked).unwrap();
            let m = masked.value("card_number").unwrap();
            assert!(m.contains('•') && m.ends_with(&pan[pan.len() - 4..]) && m.starts_with(&pan[..4]));
            let token = vault.get(&access(), "consumer-wireless", id, CardView::Token).unwrap();
            let t = token.value("card_number").unwrap();
            assert_eq!(t.len(), pan.len());
            assert_ne!(t, pan);
            assert!(kura::card::luhn_valid(t.as_bytes()));
            assert_eq!(&t[t.len() - 4..], &pan[pan.len() - 4..]);
            // Search by the card number typed with spaces.
            let spaced: String = pan
                .chars()
                .collect::<Vec<_>>()
                .chunks(4)
                .map(|c| c.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join(" ");
            assert_eq!(vault.find_ids(&access(), "consumer-wireless", "card_number", &spaced).unwrap(), vec![id]);
        }
    }
}

#[test]
fn wrong_key_file_cannot_open_the_vault() {
    let fx = crate::support::backends().remove(0);
    drop(fx.create());
    let other = fx.dir.path().join("other.key");
    let keys = kura::keys::keyfile::KeyFile::create(
        &other,
        "x",
        &crate::support::pass(),
        kura::keys::keyfile::KdfParams::dangerous_for_tests(),
    )
    .unwrap();
    assert!(matches!(kura::Vault::open(fx.store(), Box::new(keys)), Err(kura::vault::OpenError::WrongKey)));
}

fn sqlite(fx: &crate::support::Fixture, file: &str) -> rusqlite::Connection {
    rusqlite::Connection::open(fx.vault_dir().join(file)).unwrap()
}

/// Retyping a field in the stored schema (to dodge card masking, say) makes the collection's keys unusable.
#[test]
fn edited_schema_is_refused() {
    let fx = backends().remove(0);
    let vault = fx.create();
    import(&vault, "consumer-wireless", &consumer_csv(5, 1));
    drop(vault);
    let db = sqlite(&fx, "vault.db");
    let n = db
        .execute(
            "UPDATE collection SET schema = replace(schema, 'type = \"email\"', 'type = \"identifier\"')
             WHERE schema LIKE '%type = \"email\"%'",
            [],
        )
        .unwrap();
    assert_eq!(n, 1);
    drop(db);
    let keys = kura::keys::keyfile::KeyFile::open(&fx.key_path(), &crate::support::pass()).unwrap();
    let err = kura::Vault::open(fx.store(), Box::new(keys)).unwrap_err();
    assert!(matches!(err, kura::vault::OpenError::WrongKey), "{err:?}");
}

/// A record copied into another collection (with its key still in the keyring) does not decrypt there.
#[test]
fn ciphertext_moved_between_collections_fails() {
    let fx = backends().remove(0);
    let vault = fx.create();
    let corp = corporate_csv(5, 2);
    import(&vault, "corporate-mobile", &corp);
    import(&vault, "consumer-wireless", &consumer_csv(5, 2));
    let a = vault.by_external_id(&access(), "corporate-mobile", &rows(&corp)[0]["employee_id"]).unwrap();
    drop(vault);
    let db = sqlite(&fx, "vault.db");
    let n = db
        .execute(
            "INSERT INTO record(collection_id, id, ext_token, key_version, fields, tokens, created, updated)
             SELECT (SELECT id FROM collection WHERE name = 'consumer-wireless'), id, randomblob(16), key_version, fields, x'', created, updated
             FROM record WHERE id = ?1",
            [&a.0[..]],
        )
        .unwrap();
    assert_eq!(n, 1);
    drop(db);
    let vault = fx.open();
    assert!(vault.get(&access(), "corporate-mobile", a, CardView::Full).is_ok());
    assert!(matches!(vault.get(&access(), "consumer-wireless", a, CardView::Full), Err(ReadError::Undecryptable(_))));
}

/// A blind-index entry pointed at another person in the database does not hand that person out.
#[test]
fn edited_index_entry_returns_nobody_else() {
    let fx = backends().remove(0);
    let vault = fx.create();
    let csv = corporate_csv(5, 3);
    import(&vault, "corporate-mobile", &csv);
    let people = rows(&csv);
    let x_mobile = people[0]["mobile"].clone();
    assert_eq!(vault.find(&access(), "corporate-mobile", "mobile", &x_mobile, 5, CardView::Masked).unwrap().len(), 1);
    drop(vault);
    let db = sqlite(&fx, "vault.db");
    let y = fx.open().by_external_id(&access(), "corporate-mobile", &people[1]["employee_id"]).unwrap();
    let y_seq: i64 = db.query_row("SELECT seq FROM record WHERE id = ?1", [&y.0[..]], |r| r.get(0)).unwrap();
    // Field 5 is `mobile`: point X's mobile token at Y.
    let n = db
        .execute(
            "UPDATE blind_index SET seq = ?1 WHERE field = 5 AND seq != ?1 AND seq = (SELECT min(seq) FROM record)",
            [y_seq],
        )
        .unwrap();
    assert_eq!(n, 1);
    drop(db);
    let vault = fx.open();
    let found = vault.find(&access(), "corporate-mobile", "mobile", &x_mobile, 5, CardView::Masked).unwrap();
    assert!(found.is_empty(), "index pointed at Y must not return Y for X's number");
}

/// Restoring a keyring backup taken before an erasure does not bring the person back.
#[test]
fn erasure_survives_keyring_restore_and_crash() {
    let fx = backends().remove(0);
    let vault = fx.create();
    let csv = corporate_csv(10, 4);
    import(&vault, "corporate-mobile", &csv);
    let people = rows(&csv);
    let victim = vault.by_external_id(&access(), "corporate-mobile", &people[2]["employee_id"]).unwrap();
    let other = vault.by_external_id(&access(), "corporate-mobile", &people[3]["employee_id"]).unwrap();
    drop(vault);
    let keyring = fx.vault_dir().join("keyring.db");
    let backup = std::fs::read(&keyring).unwrap();
    let vault = fx.open();
    vault.erase(&access(), "corporate-mobile", victim).unwrap();
    drop(vault);
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(fx.vault_dir().join(format!("keyring.db{suffix}")));
    }
    std::fs::write(&keyring, backup).unwrap();
    assert_eq!(fx.store().subject_keys(&[victim]).unwrap().len(), 1, "the backup holds the key");
    let vault = fx.open();
    assert!(fx.store().subject_keys(&[victim]).unwrap().is_empty(), "re-applied at open");
    assert!(matches!(vault.get(&access(), "corporate-mobile", victim, CardView::Full), Err(ReadError::Erased(_))));
    drop(vault);

    // A crash after the pending tombstone was written: the next start finishes the erasure.
    let db = sqlite(&fx, "vault.db");
    db.execute("INSERT INTO tombstone(collection_id, id, erased, done) VALUES (1, ?1, 0, 0)", [&other.0[..]]).unwrap();
    drop(db);
    let vault = fx.open();
    assert!(matches!(vault.get(&access(), "corporate-mobile", other, CardView::Full), Err(ReadError::Erased(_))));
    assert!(vault.find_ids(&access(), "corporate-mobile", "mobile", &people[3]["mobile"]).unwrap().is_empty());
    assert_eq!(vault.count("corporate-mobile").unwrap(), 8);
}

/// No log, no data: when the access log cannot be written, reads return nothing and writes change nothing.
#[test]
fn reads_fail_closed_when_the_log_cannot_be_written() {
    let fx = backends().remove(0);
    let vault = fx.create();
    let csv = corporate_csv(10, 6);
    import(&vault, "corporate-mobile", &csv);
    let people = rows(&csv);
    let id = vault.by_external_id(&access(), "corporate-mobile", &people[0]["employee_id"]).unwrap();
    assert!(vault.get(&access(), "corporate-mobile", id, CardView::Full).is_ok());
    // Break the log underneath the open vault.
    let db = rusqlite::Connection::open(fx.vault_dir().join("audit.db")).unwrap();
    db.execute_batch("DROP TABLE audit_entry").unwrap();
    drop(db);
    assert!(matches!(vault.get(&access(), "corporate-mobile", id, CardView::Full), Err(ReadError::Log(_))));
    assert!(matches!(
        vault.find(&access(), "corporate-mobile", "mobile", &people[0]["mobile"], 5, CardView::Masked),
        Err(ReadError::Log(_))
    ));
    assert!(matches!(
        vault.find_ids(&access(), "corporate-mobile", "mobile", &people[0]["mobile"]),
        Err(ReadError::Log(_))
    ));
    let before = vault.count("corporate-mobile").unwrap();
    assert!(matches!(
        vault.update(&access(), "corporate-mobile", id, &[("department".into(), Some("監査室".into()))]),
        Err(WriteError::Log(_))
    ));
    assert!(matches!(vault.erase(&access(), "corporate-mobile", id), Err(kura::vault::EraseError::Log(_))));
    assert_eq!(vault.count("corporate-mobile").unwrap(), before, "nothing erased");
}

/// Every access leaves an entry naming the person only by a keyed commitment.
#[test]
fn every_access_is_logged_with_commitments() {
    for fx in backends() {
        let vault = fx.create();
        let csv = corporate_csv(20, 7);
        import(&vault, "corporate-mobile", &csv);
        let people = rows(&csv);
        let a = access_as("operator-7", "ORDER-123");
        let id = vault.by_external_id(&a, "corporate-mobile", &people[3]["employee_id"]).unwrap();
        vault.get(&a, "corporate-mobile", id, CardView::Masked).unwrap();
        let other = access_as("operator-8", "ORDER-124");
        vault.find(&other, "corporate-mobile", "mobile", &people[3]["mobile"], 5, CardView::Masked).unwrap();
        let auditor = access_as("auditor", "AUDIT-1");
        let seen = vault.who_saw(&auditor, "corporate-mobile", id).unwrap();
        let actions: Vec<(String, kura::audit::Action)> =
            seen.iter().map(|e| (e.principal.clone(), e.action)).collect();
        assert!(actions.contains(&("operator-7".to_owned(), kura::audit::Action::Read)), "{actions:?}");
        assert!(actions.contains(&("operator-8".to_owned(), kura::audit::Action::Search)), "{actions:?}");
        assert!(actions.iter().any(|(_, a)| *a == kura::audit::Action::Create));
        let c = vault.commitment("corporate-mobile", id).unwrap();
        assert!(seen.iter().all(|e| e.subjects.contains(&c)));
        assert!(!c.contains(&id.to_string()));
        let did = vault.activity(&auditor, "operator-7", 0, i64::MAX).unwrap();
        assert!(did.iter().all(|e| e.principal == "operator-7" && e.purpose == "ORDER-123"));
        assert_eq!(did.len(), 2, "search by external id, then the read");
        // The whole log verifies.
        let report = kura::audit::verify::verify(vault.audit_log().store(), &Default::default(), &mut |_| {}).unwrap();
        assert!(report.entries >= 6, "{report:?}");
    }
}
