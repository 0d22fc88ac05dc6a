//! The access log from the outside: checkpoints, verification, proofs, witnesses, publishing, questions,
//! and tampering with the database directly, as an administrator with full access could.

use std::path::Path;

use crate::{companies, csv_rows, s, Env};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// A vault with some history: an import, reads, an update, a checkpoint after each command.
fn with_history() -> (Env, Vec<std::collections::HashMap<String, String>>) {
    let env = Env::new();
    env.setup("corporate-mobile");
    let csv = env.path("people.csv");
    env.ok(&["generate", "corporate", "--companies", "3", "--employees", "60", "--seed", "5", "--out", s(&csv)]);
    env.ok(&["import", "corporate-mobile", s(&csv)]);
    let people = csv_rows(&csv);
    let op = env.person("aiko", "operator", &companies(&csv));
    env.use_token(Some(&op));
    for (i, p) in people.iter().take(6).enumerate() {
        env.ok(&["get", "corporate-mobile", &p["employee_id"], "--external-id", "--purpose", &format!("T-{i}")]);
    }
    env.use_token(None);
    *env.reader.borrow_mut() = Some(op);
    (env, people)
}

#[test]
fn log_answers_questions_and_proves_entries() {
    let (env, people) = with_history();
    let out = env.ok(&["audit", "verify"]);
    assert!(out.contains("access log verified") && out.contains("signed checkpoints"), "{out}");

    let auditor = env.person("rin", "auditor", &[]);
    env.use_token(Some(&auditor));
    let who = env.ok(&[
        "audit",
        "who-saw",
        "corporate-mobile",
        &people[2]["employee_id"],
        "--external-id",
        "--purpose",
        "DSR-1",
    ]);
    assert!(who.contains("read") && who.contains("purpose=T-2") && who.contains("create"), "{who}");
    assert!(!who.contains("purpose=T-3"), "another person's read is not listed: {who}");
    assert!(!who.contains(&people[2]["user_name"]), "no personal value in the log");

    let activity = env.ok(&["audit", "activity", "aiko", "--purpose", "AUDIT-1"]);
    assert!(activity.contains("login") && activity.contains("purpose=T-5"), "{activity}");
    assert!(env.ok(&["audit", "activity", "rin", "--purpose", "AUDIT-1"]).contains("who-saw"));
    let none = env.ok(&["audit", "activity", "somebody-else", "--purpose", "AUDIT-1"]);
    assert!(none.contains("no entries"));
    let future = env.ok(&["audit", "activity", "aiko", "--from", "2999-01-01", "--purpose", "AUDIT-1"]);
    assert!(future.contains("no entries"), "{future}");

    // An inclusion proof checks offline with only the verifier key, and fails when altered.
    let proof = env.path("proof.json");
    env.ok(&["audit", "prove", "--entry", "4", "--out", s(&proof)]);
    let verifier = env.vault().join("log-verifier.pub");
    let ok = env.ok(&["audit", "check-proof", s(&proof), "--verifier", s(&verifier)]);
    assert!(ok.starts_with("ok: entry 4"), "{ok}");
    let text = std::fs::read_to_string(&proof).unwrap();
    let forged = env.path("forged.json");
    std::fs::write(&forged, text.replace("\"index\": 4", "\"index\": 3")).unwrap();
    env.fails(&["audit", "check-proof", s(&forged), "--verifier", s(&verifier)], 1);
    let other_key = "kura/other+01234567+AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefgh";
    env.fails(&["audit", "check-proof", s(&proof), "--verifier", other_key], 1);

    // Witness and publish.
    let w = env.path("witness");
    assert!(env.ok(&["audit", "witness", "--dir", s(&w)]).contains("first checkpoint"));
    let op = env.reader.borrow().clone().unwrap();
    env.use_token(Some(&op));
    env.ok(&["get", "corporate-mobile", &people[9]["employee_id"], "--external-id", "--purpose", "T-9"]);
    env.use_token(None);
    assert!(env.ok(&["audit", "witness", "--dir", s(&w)]).contains("consistent with size"));
    assert!(env.ok(&["audit", "verify", "--witness", s(&w)]).contains("1 witness copies"));
    let pubdir = env.path("published");
    let out = env.ok(&["audit", "publish", s(&pubdir)]);
    assert!(out.contains("tiles"), "{out}");
    let checkpoint = std::fs::read_to_string(pubdir.join("checkpoint")).unwrap();
    assert!(checkpoint.starts_with("kura/") && checkpoint.contains("\n\n\u{2014} kura/"), "{checkpoint}");
    let tiles = kura::scan::walk(&pubdir.join("tile")).unwrap();
    assert!(tiles.iter().any(|p| p.to_string_lossy().contains("tile/0/000.p/")), "{tiles:?}");
    assert!(tiles.iter().any(|p| p.to_string_lossy().contains("tile/entries/000.p/")));
    // The published log holds no personal value.
    let needles =
        kura::scan::needles_from_csv(&env.path("people.csv"), &kura::schema::builtin("corporate-mobile").unwrap())
            .unwrap();
    let mut files = tiles;
    files.push(env.vault().join("audit.db"));
    assert!(kura::scan::files(&files, needles).unwrap().hits.is_empty());
}

fn sql(env: &Env, statement: &str) {
    let db = rusqlite::Connection::open(env.vault().join("audit.db")).unwrap();
    db.execute_batch(statement).unwrap();
}

fn tampered(setup: &Env, name: &str, statement: &str) -> (Env, String) {
    let env = Env::new();
    copy_dir(&setup.vault(), &env.vault());
    let _ = name;
    sql(&env, statement);
    let err = env.fails(&["audit", "verify"], 6);
    (env, err)
}

/// The sequence number of the read made for `purpose`.
fn seq_of(env: &Env, purpose: &str) -> i64 {
    let db = rusqlite::Connection::open(env.vault().join("audit.db")).unwrap();
    db.query_row(
        "SELECT seq FROM audit_entry WHERE CAST(data AS TEXT) LIKE ?1 AND CAST(data AS TEXT) LIKE '%\"read\"%'",
        [format!("%\"purpose\":\"{purpose}\"%")],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
fn tampering_is_detected_and_named() {
    let (env, _) = with_history();
    env.ok(&["audit", "verify"]);
    let (t2, t3) = (seq_of(&env, "T-2"), seq_of(&env, "T-3"));
    let changed = format!("UPDATE audit_entry SET data = CAST(replace(CAST(data AS TEXT), '\"T-3\"', '\"T-X\"') AS BLOB) WHERE seq = {t3}");
    let hidden = format!("DELETE FROM audit_subject WHERE seq = {t3}");
    let framed = format!(
        "INSERT INTO audit_subject(commitment, seq) SELECT commitment, {t2} FROM audit_subject WHERE seq = {t3}"
    );
    let (at2, at3) = (format!("first bad index: {t2}"), format!("first bad index: {t3}"));
    let cases: &[(&str, &str, &str)] = &[
        ("changed entry", &changed, &at3),
        ("deleted entry", "DELETE FROM audit_entry WHERE seq = 9", "first bad index: 9"),
        (
            "reordered entries",
            "UPDATE audit_entry SET seq = -1 WHERE seq = 10; UPDATE audit_entry SET seq = 10 WHERE seq = 11; UPDATE audit_entry SET seq = 11 WHERE seq = -1;",
            "first bad index: 10",
        ),
        (
            "inserted entry",
            "INSERT INTO audit_entry(seq, time_ms, principal, data) SELECT (SELECT max(seq) + 1 FROM audit_entry), 0, 'x', data FROM audit_entry WHERE seq = 3",
            "first bad index:",
        ),
        ("changed tree row", "UPDATE audit_node SET hash = zeroblob(32) WHERE level = 1 AND idx = 3", "first bad index: 6"),
        ("deleted tree row", "DELETE FROM audit_node WHERE level = 0 AND idx = 12", "first bad index: 12"),
        ("deleted tail", "DELETE FROM audit_entry WHERE seq >= 20; DELETE FROM audit_subject WHERE seq >= 20; DELETE FROM audit_node WHERE (idx + 1) << level > 20", "first bad index: 20"),
        ("hidden from who-saw", &hidden, &at3),
        ("framed in who-saw", &framed, &at2),
        ("hidden from activity", "UPDATE audit_entry SET principal = 'nobody' WHERE seq = 15", "first bad index: 15"),
        ("forged checkpoint row", "UPDATE audit_checkpoint SET size = size + 1 WHERE size = (SELECT max(size) FROM audit_checkpoint)", "checkpoint row"),
    ];
    for (name, statement, want) in cases {
        let (_, err) = tampered(&env, name, statement);
        assert!(err.contains("verification FAILED") && err.contains(want), "{name}: {err}");
    }
}

/// Rewriting history consistently (entries and the whole tree recomputed) still fails: the signed
/// checkpoints, the signer's own record and the witness hold the old roots, and the signer refuses to sign.
#[test]
fn a_rewritten_history_cannot_be_signed() {
    let (env, _) = with_history();
    let w = env.path("witness");
    env.ok(&["audit", "witness", "--dir", s(&w)]);
    let t2 = seq_of(&env, "T-2");
    let db = rusqlite::Connection::open(env.vault().join("audit.db")).unwrap();
    db.execute(
        "UPDATE audit_entry SET data = CAST(replace(CAST(data AS TEXT), '\"T-2\"', '\"T-Z\"') AS BLOB) WHERE seq = ?1",
        [t2],
    )
    .unwrap();
    let mut leaves = Vec::new();
    {
        let mut stmt = db.prepare("SELECT data FROM audit_entry ORDER BY seq").unwrap();
        let rows = stmt.query_map([], |r| r.get::<_, Vec<u8>>(0)).unwrap();
        for data in rows {
            leaves.push(kura::audit::merkle::leaf_hash(&data.unwrap()));
        }
    }
    db.execute("DELETE FROM audit_node", []).unwrap();
    let mut appender = kura::audit::merkle::Appender::new();
    for n in appender.append(&leaves).unwrap() {
        db.execute(
            "INSERT INTO audit_node(level, idx, hash) VALUES (?1, ?2, ?3)",
            rusqlite::params![n.level, n.index as i64, &n.hash[..]],
        )
        .unwrap();
    }
    drop(db);
    let err = env.fails(&["audit", "verify", "--witness", s(&w)], 6);
    assert!(err.contains("does not match the log"), "{err}");
    let err = env.fails(&["audit", "checkpoint"], 1);
    assert!(err.contains("refusing to sign"), "{err}");
    let err = env.fails(&["audit", "witness", "--dir", s(&w)], 1);
    assert!(err.contains("not consistent") || err.contains("rewritten"), "{err}");
}

/// The signer's anchors: without its state it refuses to sign; a rolled-back state is noticed; a verifier key
/// removed from beside the database does not turn verification into a pass.
#[test]
fn signer_and_verifier_anchors_are_not_optional() {
    let (env, _) = with_history();
    // Verifier key gone: verification cannot pass while signed checkpoints exist.
    let backup = env.path("verifier.bak");
    std::fs::rename(env.vault().join("log-verifier.pub"), &backup).unwrap();
    let err = env.fails(&["audit", "verify"], 6);
    assert!(err.contains("no verifier key"), "{err}");
    std::fs::rename(&backup, env.vault().join("log-verifier.pub")).unwrap();
    env.ok(&["audit", "verify"]);
    // State rolled back to an older copy: refused.
    let state = env.vault().join("log-signer.state");
    let old = std::fs::read(&state).unwrap();
    env.ok(&["audit", "checkpoint"]);
    std::fs::write(&state, &old).unwrap();
    let err = env.fails(&["audit", "checkpoint"], 1);
    assert!(err.contains("rolled back"), "{err}");
    // State gone: refused, and every command says so rather than signing a fresh history.
    std::fs::remove_file(&state).unwrap();
    let err = env.fails(&["audit", "checkpoint"], 1);
    assert!(err.contains("state file") && err.contains("missing"), "{err}");
}
