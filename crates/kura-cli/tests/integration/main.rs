//! End-to-end tests of the `kura` binary: every subcommand as a user runs it, with exit codes and messages.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod audit;
mod crash;
mod exports;
mod incidents;
mod serve;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PASS: &str = "cli test passphrase";

struct Env {
    dir: tempfile::TempDir,
    /// The session or API token later commands sign in with (`KURA_TOKEN`); none: the custodian.
    token: std::cell::RefCell<Option<String>>,
    /// A reader's token a fixture created, for later steps.
    reader: std::cell::RefCell<Option<String>>,
}

impl Env {
    fn new() -> Env {
        Env { dir: tempfile::tempdir().unwrap(), token: Default::default(), reader: Default::default() }
    }

    /// Later commands sign in with `token` (`None`: as the custodian).
    fn use_token(&self, token: Option<&str>) {
        *self.token.borrow_mut() = token.map(str::to_owned);
    }

    /// Creates a service account with `role` assigned to `companies` and returns an API token for it with
    /// `records:read` and `records:write`.
    fn service(&self, name: &str, role: &str, companies: &[String]) -> String {
        let saved = self.token.borrow_mut().take();
        let mut add = vec!["principal", "add", name, "--kind", "service", "--role", role];
        for c in companies {
            add.extend(["--company", c.as_str()]);
        }
        self.ok(&add);
        let token = self.ok(&["principal", "issue-token", name, "--scope", "records:read", "--scope", "records:write"]);
        *self.token.borrow_mut() = saved;
        token.trim().to_owned()
    }

    /// Creates an employee with `role` assigned to `companies` (as the custodian), sets a password, enrols
    /// TOTP, signs in with `kura login` and returns the session token.
    fn person(&self, name: &str, role: &str, companies: &[String]) -> String {
        let saved = self.token.borrow_mut().take();
        let mut add = vec!["principal", "add", name, "--kind", "employee", "--role", role];
        for c in companies {
            add.extend(["--company", c.as_str()]);
        }
        self.ok(&add);
        let run = |args: &[&str], vars: &[(&str, &str)]| {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_kura"));
            cmd.args(args).env("KURA_VAULT", self.vault()).env("KURA_PASSPHRASE", PASS).env_remove("KURA_TOKEN");
            for (k, v) in vars {
                cmd.env(k, v);
            }
            let out = cmd.output().unwrap();
            assert!(out.status.success(), "kura {args:?}: {}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8(out.stdout).unwrap()
        };
        run(&["principal", "set-password", name], &[("KURA_NEW_PASSWORD", "a long enough passphrase")]);
        let uri = run(&["principal", "enroll-totp", name], &[]);
        let secret = uri.trim().split("secret=").nth(1).unwrap().split('&').next().unwrap().to_owned();
        let totp = kura::auth::totp::Totp::new(
            kura::auth::totp::Secret::from_base32(&secrecy::SecretString::from(secret)).unwrap(),
            Default::default(),
            kura::auth::totp::Digits::Six,
        );
        let code = totp.code(kura::auth::totp::step_at(kura::store::now()).unwrap());
        let token =
            run(&["login", name], &[("KURA_PASSWORD", "a long enough passphrase"), ("KURA_TOTP_CODE", code.as_str())]);
        *self.token.borrow_mut() = saved;
        token.trim().to_owned()
    }

    fn vault(&self) -> PathBuf {
        self.dir.path().join("vault")
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn kura(&self, args: &[&str]) -> Output {
        self.kura_with(args, PASS)
    }

    fn kura_with(&self, args: &[&str], pass: &str) -> Output {
        Command::new(env!("CARGO_BIN_EXE_kura"))
            .args(args)
            .env("KURA_VAULT", self.vault())
            .env("KURA_PASSPHRASE", pass)
            .env_remove("KURA_KEY_FILE")
            .env_remove("KURA_PURPOSE")
            .env_remove("KURA_PRINCIPAL")
            .env_remove("KURA_TOKEN")
            .envs(self.token.borrow().as_ref().map(|t| ("KURA_TOKEN", t.clone())))
            .env("NO_COLOR", "1")
            .current_dir(self.dir.path())
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.kura(args);
        assert!(out.status.success(), "kura {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.kura(args);
        assert_eq!(out.status.code(), Some(code), "kura {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stderr).unwrap()
    }

    fn setup(&self, collection: &str) {
        self.ok(&["init"]);
        self.ok(&["collection", "create", "--builtin", collection]);
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The distinct client companies of a generated CSV.
fn companies(path: &Path) -> Vec<String> {
    let mut out: Vec<String> = csv_rows(path).into_iter().map(|r| r["company"].clone()).collect();
    out.sort();
    out.dedup();
    out
}

fn csv_rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    r.records().map(|x| h.iter().cloned().zip(x.unwrap().iter().map(str::to_owned)).collect()).collect()
}

#[test]
fn help_describes_every_command() {
    let env = Env::new();
    let top = env.ok(&["--help"]);
    for cmd in [
        "init",
        "principal",
        "collection",
        "import",
        "get",
        "find",
        "update",
        "erase",
        "generate",
        "scan",
        "demo",
        "bench",
        "incident",
    ] {
        assert!(top.contains(cmd), "`{cmd}` missing from --help");
    }
    assert!(top.contains("KURA_PASSPHRASE"));
    let import = env.ok(&["import", "--help"]);
    assert!(import.contains("--skip-invalid") && import.contains("shift_jis"));
    let get = env.ok(&["get", "--help"]);
    assert!(get.contains("--purpose") && get.contains("--external-id"));
    // A read without a purpose is a usage error.
    env.fails(&["get", "corporate-mobile", "x"], 2);
}

#[test]
fn the_whole_road() {
    let env = Env::new();
    env.setup("corporate-mobile");
    let csv = env.path("people.csv");
    env.ok(&["generate", "corporate", "--companies", "5", "--employees", "400", "--seed", "3", "--out", s(&csv)]);
    let out = env.ok(&["import", "corporate-mobile", s(&csv)]);
    assert!(out.contains("imported 400 rows") && out.contains("400 new"), "{out}");
    // Idempotent.
    let out = env.ok(&["import", "corporate-mobile", s(&csv)]);
    assert!(out.contains("0 new, 400 updated"), "{out}");
    let list = env.ok(&["collection", "list"]);
    assert!(list.contains("corporate-mobile\t400 records"), "{list}");

    // The custodian who loaded the data reads none of it.
    let p = &csv_rows(&csv)[123];
    let err = env.fails(&["get", "corporate-mobile", &p["employee_id"], "--external-id", "--purpose", "T-0"], 4);
    assert!(!err.contains(&p["user_name"]), "{err}");
    let op = env.person("aiko", "operator", &companies(&csv));
    env.use_token(Some(&op));
    let digits: String = p["mobile"].chars().filter(char::is_ascii_digit).collect();
    let intl = format!("+81 ({}) {}-{}", &digits[1..3], &digits[3..7], &digits[7..]);
    let found = env.ok(&["find", "corporate-mobile", "mobile", &intl, "--purpose", "T-1"]);
    assert!(found.contains(&p["user_name"]) && found.contains(&p["email"]), "{found}");

    let json = env.ok(&["get", "corporate-mobile", &p["employee_id"], "--external-id", "--purpose", "T-2", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["user_name"], p["user_name"].as_str());
    let id = v[0]["id"].as_str().unwrap().to_owned();
    let by_id = env.ok(&["get", "corporate-mobile", &id, "--purpose", "T-2"]);
    assert!(by_id.contains(&p["mobile"]));

    env.ok(&["update", "corporate-mobile", &id, "--set", "department=監査室", "--purpose", "T-3"]);
    assert!(env.ok(&["get", "corporate-mobile", &id, "--purpose", "T-4"]).contains("監査室"));
    let err = env.fails(&["update", "corporate-mobile", &id, "--set", "email=nobody", "--purpose", "T-3"], 3);
    assert!(err.contains("`email`") && !err.contains("nobody"), "{err}");

    // Operators do not erase; security officers do.
    let err = env.fails(&["erase", "corporate-mobile", &id, "--purpose", "DSR-1", "--yes"], 7);
    assert!(err.contains("denied"), "{err}");
    let officer = env.person("ken", "security-officer", &[]);
    env.use_token(Some(&officer));
    let erased = env.ok(&["erase", "corporate-mobile", &id, "--purpose", "DSR-1", "--yes"]);
    assert!(erased.contains("subject key destroyed"), "{erased}");
    env.use_token(Some(&op));
    let err = env.fails(&["get", "corporate-mobile", &id, "--purpose", "T-5"], 4);
    assert!(err.contains("erased"), "{err}");
    env.use_token(Some(&officer));
    assert!(env.ok(&["erase", "corporate-mobile", &id, "--purpose", "DSR-1", "--yes"]).contains("already erased"));
    env.fails(&["erase", "corporate-mobile", "00000000-0000-4000-8000-000000000000", "--purpose", "DSR-2", "--yes"], 4);
    // Erasure without confirmation and without a terminal refuses.
    let other = &csv_rows(&csv)[5]["employee_id"];
    env.fails(&["erase", "corporate-mobile", other, "--external-id", "--purpose", "DSR-3"], 1);
    env.use_token(None);

    let scan = env.ok(&["scan", "--values", s(&csv), "--schema", "corporate-mobile"]);
    assert!(scan.contains(": 0 hits"), "{scan}");
    // The scanner is not blind: the CSV itself is full of hits.
    let out = env.kura(&["scan", "--values", s(&csv), "--schema", "corporate-mobile", s(&csv)]);
    assert!(!out.status.success());
}

#[test]
fn bad_input_is_refused_whole_with_reasons() {
    let env = Env::new();
    env.setup("consumer-wireless");
    let header = "customer_id,name,email,phone,card_brand,card_number,card_expiry,birth_date,address,zip";
    let good = "C1,Taro Yamada,taro@example.com,,VISA,4111111111111111,12/27,1980-01-02,\"1 Main St, Springfield, IL 62704\",62704";
    let bad_pan = "C2,Jiro Yamada,jiro@example.com,,VISA,4111111111111112,12/27,1980-01-02,\"1 Main St, Springfield, IL 62704\",62704";
    let f = env.path("bad.csv");
    std::fs::write(&f, format!("{header}\n{good}\n{bad_pan}\n")).unwrap();
    let err = env.fails(&["import", "consumer-wireless", s(&f)], 3);
    assert!(err.contains("bad.csv:3: column `card_number`") && err.contains("nothing was imported"), "{err}");
    assert!(!err.contains("4111111111111112"));
    assert!(env.ok(&["collection", "list"]).contains("0 records"));

    // Skip-invalid imports the good row and writes the reasons.
    let out = env.ok(&["import", "consumer-wireless", s(&f), "--skip-invalid"]);
    assert!(out.contains("skipped 1 invalid rows"), "{out}");
    let rejects = std::fs::read_to_string(env.path("bad.rejects.csv")).unwrap();
    assert!(rejects.contains("3,card_number,") && !rejects.contains("4111111111111112"), "{rejects}");
    assert!(env.ok(&["collection", "list"]).contains("1 records"));

    for (name, body, needle) in [
        ("cvv.csv", format!("{header},cvv\n{good},123\n"), "security codes"),
        ("unknown.csv", format!("{header},colour\n{good},red\n"), "`colour` is not a field"),
        ("ragged.csv", format!("{header}\n{good}\nC3,x\n"), "ragged.csv:3: malformed CSV"),
    ] {
        let p = env.path(name);
        std::fs::write(&p, body).unwrap();
        let err = env.fails(&["import", "consumer-wireless", s(&p)], 3);
        assert!(err.contains(needle), "{name}: {err}");
    }
    let p = env.path("latin1.csv");
    let mut bytes = format!("{header}\n").into_bytes();
    bytes.extend_from_slice(b"C4,J\xe9r\xf4me,x@example.com\n");
    std::fs::write(&p, bytes).unwrap();
    let err = env.fails(&["import", "consumer-wireless", s(&p), "--encoding", "utf-8"], 3);
    assert!(err.contains("latin1.csv:2: not valid UTF-8"), "{err}");
    assert!(env.ok(&["collection", "list"]).contains("1 records"), "nothing more was written");

    // A schema with a security code field is refused.
    let schema = env.path("cvv.toml");
    std::fs::write(&schema, "name = \"cards\"\n[[field]]\nname = \"id\"\ntype = \"identifier\"\nclassification = \"internal\"\nexternal_id = true\n[[field]]\nname = \"card_cvc\"\ntype = \"free_text\"\nclassification = \"payment\"\n").unwrap();
    let err = env.fails(&["collection", "create", "--schema", s(&schema)], 3);
    assert!(err.contains("security code"), "{err}");
}

#[test]
fn wrong_passphrase_and_missing_vault() {
    let env = Env::new();
    env.fails(&["collection", "list"], 1);
    env.setup("corporate-mobile");
    let out = env.kura_with(&["collection", "list"], "not the passphrase");
    assert_eq!(out.status.code(), Some(5));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("wrong passphrase") && err.contains("hint:"), "{err}");
    // init refuses to overwrite.
    env.fails(&["init"], 1);
}

#[test]
fn generate_is_deterministic() {
    let env = Env::new();
    let a = env.ok(&["generate", "consumer", "--count", "50", "--seed", "9"]);
    let b = env.ok(&["generate", "consumer", "--count", "50", "--seed", "9"]);
    let c = env.ok(&["generate", "consumer", "--count", "50", "--seed", "10"]);
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(a.lines().count(), 51);
}

#[test]
fn shift_jis_file_imports() {
    let env = Env::new();
    env.setup("corporate-mobile");
    let text = env.ok(&["generate", "corporate", "--companies", "3", "--employees", "40", "--seed", "4"]);
    let (bytes, _, lossy) = encoding_rs::SHIFT_JIS.encode(&text);
    assert!(!lossy);
    let f = env.path("sjis.csv");
    std::fs::write(&f, &bytes).unwrap();
    let out = env.ok(&["import", "corporate-mobile", s(&f)]);
    assert!(out.contains("imported 40 rows") && out.contains("Shift_JIS"), "{out}");
    let first = text.lines().nth(1).unwrap().split(',').next().unwrap().to_owned();
    let csv = env.path("sjis-utf8.csv");
    std::fs::write(&csv, &text).unwrap();
    let op = env.person("aiko", "operator", &companies(&csv));
    env.use_token(Some(&op));
    let got = env.ok(&["get", "corporate-mobile", &first, "--external-id", "--purpose", "T-9"]);
    let name = text.lines().nth(1).unwrap().split(',').nth(3).unwrap();
    assert!(got.contains(name), "{got}");
}

#[test]
fn principals_from_the_command_line() {
    let env = Env::new();
    env.ok(&["init"]);
    env.ok(&[
        "principal",
        "add",
        "sato",
        "--kind",
        "dispatched",
        "--role",
        "operator",
        "--company",
        "株式会社サンプル",
    ]);
    env.fails(&["principal", "add", "Bad Name", "--kind", "employee", "--role", "operator"], 1);
    env.fails(&["principal", "add", "x", "--kind", "alien", "--role", "operator"], 1);
    let out = Command::new(env!("CARGO_BIN_EXE_kura"))
        .args(["principal", "set-password", "sato"])
        .env("KURA_VAULT", env.vault())
        .env("KURA_PASSPHRASE", PASS)
        .env("KURA_NEW_PASSWORD", "a long enough passphrase")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let uri = env.ok(&["principal", "enroll-totp", "sato"]);
    let secret = uri.trim().split("secret=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    let totp = kura::auth::totp::Totp::new(
        kura::auth::totp::Secret::from_base32(&secrecy::SecretString::from(secret)).unwrap(),
        Default::default(),
        kura::auth::totp::Digits::Six,
    );
    let now = kura::auth::totp::step_at(kura::store::now()).unwrap();
    // A code is accepted once: each successful sign-in needs the next step's code (within the ±1 window).
    let login = |pw: &str, step: u64| {
        let code = totp.code(step);
        Command::new(env!("CARGO_BIN_EXE_kura"))
            .args(["principal", "check-login", "sato"])
            .env("KURA_VAULT", env.vault())
            .env("KURA_PASSPHRASE", PASS)
            .env("KURA_LOGIN_PASSWORD", pw)
            .env("KURA_LOGIN_CODE", code.as_str())
            .output()
            .unwrap()
    };
    let first = login("a long enough passphrase", now);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let bad = login("not the passphrase at all", now + 1);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("sign-in refused"));
    let list = env.ok(&["principal", "list"]);
    assert!(
        list.contains("sato") && list.contains("dispatched") && list.contains("operator") && list.contains("password"),
        "{list}"
    );
    env.ok(&["principal", "add", "crm-sync", "--kind", "service", "--role", "operator"]);
    let token = env.ok(&["principal", "issue-token", "crm-sync", "--scope", "records:read", "--days", "7"]);
    assert!(token.trim().starts_with("kura_"), "{token}");
    env.ok(&["principal", "suspend", "sato"]);
    assert!(env.ok(&["principal", "list"]).contains("SUSPENDED"));
    let suspended = login("a long enough passphrase", now + 1);
    assert!(!suspended.status.success());
    let user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout).unwrap();
    let custodian = format!("custodian:{}", user.trim());
    // Only auditors and security officers query the log.
    env.fails(&["audit", "activity", &custodian, "--purpose", "AUDIT-2"], 7);
    let auditor = env.person("rin", "auditor", &[]);
    env.use_token(Some(&auditor));
    let activity = env.ok(&["audit", "activity", &custodian, "--purpose", "AUDIT-2"]);
    assert!(activity.contains("principal-change") && activity.contains("principal `sato`: suspended"), "{activity}");
    // The auditor manages no principals.
    env.fails(&["principal", "suspend", "crm-sync"], 7);
    assert!(!activity.contains("a long enough passphrase"));
}

#[test]
fn policy_commands() {
    let env = Env::new();
    let cases = concat!(env!("CARGO_MANIFEST_DIR"), "/../../policies/default-tests.toml");
    let out = env.ok(&["policy", "test", cases]);
    assert!(out.contains("0 failed"), "{out}");
    // A policy that lets everyone read everything fails the shipped cases.
    let lax = env.path("lax.cedar");
    std::fs::write(&lax, "permit(principal, action, resource);").unwrap();
    env.ok(&["policy", "validate", s(&lax)]);
    let out = env.kura(&["policy", "test", cases, "--policy", s(&lax)]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAIL an administrator cannot read personal data"));
    let bad = env.path("bad.cedar");
    std::fs::write(&bad, "permit(principal, action, resource) when { resource.colour == \"x\" };").unwrap();
    let err = env.fails(&["policy", "validate", s(&bad)], 1);
    assert!(err.contains("not valid against kura's schema"), "{err}");
    assert!(env.ok(&["policy", "show"]).contains("namespace Kura"));
}

#[test]
fn demo_shows_allowed_masked_and_denied_lookups_by_the_service_desk_staff() {
    let env = Env::new();
    let dir = env.path("demo");
    let out = env.ok(&["--quiet", "demo", "--employees", "2000", "--companies", "12", "--dir", s(&dir)]);
    assert!(out.contains("299 principals created"), "{out}");
    assert!(out.contains("subcontractor staff (委託先)") && out.contains("dispatched staff (派遣)"), "{out}");
    // Allowed: the assigned operator sees the person in the clear, the home address only for shipping.
    let allowed = out.split("== 5.").nth(1).unwrap().split("== 6.").next().unwrap();
    assert!(allowed.contains("→ 1 record(s)") && allowed.contains("(hidden)"), "{allowed}");
    assert!(allowed.contains("purpose kind `shipping`") && !allowed.contains("home_address (hidden)"), "{allowed}");
    // Masked for the investigator, nothing for the other company's subcontractor operator.
    let other = out.split("== 6.").nth(1).unwrap().split("== 7.").next().unwrap();
    assert!(other.contains("security-officer") && other.contains("(masked)"), "{other}");
    assert!(other.contains("contractor") && other.contains("→ 0 record(s)"), "{other}");
    assert!(other.contains("get by record id → denied"), "{other}");
    // The log names both sides.
    let log: Vec<&str> = other.lines().filter(|l| l.trim_start().starts_with('#')).collect();
    assert!(log.iter().any(|l| l.contains(" search ") && l.contains(" allow ")), "{other}");
    assert!(log.iter().filter(|l| l.contains(" deny ")).count() >= 2, "{other}");
    assert!(out.contains("0 hits"), "{out}");
}
