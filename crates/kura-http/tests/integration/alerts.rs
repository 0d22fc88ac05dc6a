//! Leak tracing, canary-hit reports, alerts, alert rules, honey records and the alert webhook, through the
//! router (no socket) on real vaults; the webhook posts to a listener in the test.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use kura::principal::{Kind, Principal, Role};
use kura::vault::exports::{Export, ExportSpec, Format as FileFormat};
use kura::Vault;
use kura_http::api::{ApiState, VaultTokens};
use kura_http::Hooks;
use secrecy::ExposeSecret;
use serde_json::{json, Value};

use crate::api::{bare_vault, config, custodian, req, World, C};
use crate::support::assert_error;

const FIELDS: &[&str] =
    &["user_name", "user_name_kana", "mobile", "email", "company", "company_postal_code", "company_address"];

fn pools() -> String {
    let phones: Vec<String> = (0..30).map(|i| format!("\"090-0000-{:04}\"", 2000 + i)).collect();
    let mut s = format!("phones = [{}]\n\n[email]\ndomains = [\"mail.canary-example.jp\"]\n", phones.join(", "));
    for i in 0..30 {
        s.push_str(&format!(
            "\n[[mail_drop]]\npostal_code = \"100-0005\"\naddress = \"東京都千代田区丸の内1-2-{} 丸の内ビル {}号室\"\n",
            i + 1,
            300 + i
        ));
    }
    s
}

/// A service account with roles and companies, and an API token with `scopes`.
fn service(vault: &Vault, name: &str, role: Role, companies: &[String], scopes: &[&str]) -> String {
    let p = Principal::new(name, Kind::Service, [role].into(), None, companies.iter().cloned().collect()).unwrap();
    vault.add_principal(&custodian(), &p).unwrap();
    let scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
    vault.issue_token(&custodian(), name, scopes, kura::store::now() + 3600).unwrap().expose_secret().to_owned()
}

/// One company's staff in a vault with canary pools; `n` supervisors (`lead-0`, …) each downloaded one export
/// of that company, approved by another; a security officer and an operator hold tokens.
struct Leaks {
    dir: tempfile::TempDir,
    vault: Arc<Vault>,
    officer: String,
    operator: String,
    leads: Vec<String>,
    exports: Vec<(Export, Vec<Vec<String>>)>,
}

impl Leaks {
    fn new(n: usize) -> Leaks {
        let (dir, vault) = bare_vault();
        vault.create_collection(&custodian(), kura::schema::builtin(C).unwrap()).unwrap();
        let mut csv = Vec::new();
        let params = kura::generate::CorporateParams { companies: 12, employees: 400, seed: 21 };
        kura::generate::corporate(&params, &mut csv, &mut |_| {}).unwrap();
        let company = {
            let mut r = csv::Reader::from_reader(&csv[..]);
            let at = r.headers().unwrap().iter().position(|h| h == "company").unwrap();
            r.records().next().unwrap().unwrap()[at].to_owned()
        };
        let parsed = kura::import::parse("t.csv", &csv, &vault.schema(C).unwrap(), kura::import::Encoding::Auto);
        vault.write(&custodian(), C, parsed.unwrap().rows, &mut |_| {}).unwrap();
        vault.set_canary_pools(&custodian(), &pools()).unwrap();
        let company = [company];
        service(&vault, "approver", Role::Supervisor, &company, &["exports:approve"]);
        let officer = service(&vault, "officer", Role::SecurityOfficer, &[], &["audit:read"]);
        let operator = service(&vault, "desk", Role::Operator, &company, &["records:read", "audit:read"]);
        let approver = vault.access("approver", "ORDER-9", "test").unwrap();
        let mut leads = Vec::new();
        let mut exports = Vec::new();
        for i in 0..n {
            let name = format!("lead-{i}");
            leads.push(service(&vault, &name, Role::Supervisor, &company, &["exports:request", "records:read"]));
            let lead = vault.access(&name, "ORDER-9", "test").unwrap();
            let spec = ExportSpec {
                collection: C.to_owned(),
                companies: company.iter().cloned().collect(),
                departments: BTreeSet::new(),
                records: Default::default(),
                fields: FIELDS.iter().map(|f| (*f).to_owned()).collect(),
                format: FileFormat::CsvUtf8,
                recipient: format!("desk {i}"),
                expires_at: kura::store::now() + 3600,
                max_downloads: 1,
                dispose_within_days: 7,
                canaries: 1,
            };
            let e = vault.request_export(&lead, &spec).unwrap();
            vault.decide_export(&approver, &e.id, true, "").unwrap();
            let file = vault.export_file(&lead, &e.id, &kura::render::Options::default()).unwrap();
            let mut r = csv::Reader::from_reader(&file.bytes[..]);
            let table = r.records().map(|x| x.unwrap().iter().map(str::to_owned).collect()).collect();
            let officer = vault.access("officer", "ORDER-9", "test").unwrap();
            let e = vault.exports(&officer).unwrap().into_iter().find(|x| x.id == e.id).unwrap();
            exports.push((e, table));
        }
        vault.create_signer(dir.path()).unwrap();
        Leaks { dir, vault, officer, operator, leads, exports }
    }

    fn app(&self) -> Router {
        let state = ApiState::new(Arc::clone(&self.vault), Some(self.dir.path().to_owned()));
        kura_http::app(kura_http::api::routes(state), &config(), Hooks::new(VaultTokens(Arc::clone(&self.vault))))
    }

    /// The canary phones of export `i`, canonical (E.164).
    fn canary_phones(&self, i: usize) -> Vec<String> {
        self.exports[i]
            .0
            .canaries
            .iter()
            .flat_map(|k| k.contacts.iter().filter(|c| c.kind == kura::canary::ContactKind::Phone))
            .map(|c| c.canonical.clone())
            .collect()
    }

    /// Rows of export `i` that are real people, not canaries.
    fn real_rows(&self, i: usize) -> Vec<Vec<String>> {
        let canaries = self.canary_phones(i);
        let phone = |r: &Vec<String>| kura::normalize::canonical(kura::schema::FieldType::Phone, &r[2]).unwrap();
        self.exports[i].1.iter().filter(|r| !canaries.contains(&phone(r).as_str().to_owned())).cloned().collect()
    }
}

fn csv_of(rows: &[Vec<String>]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(FIELDS).unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

#[tokio::test]
async fn a_leak_posted_by_a_security_officer_names_its_export_with_proofs_that_check() {
    let l = Leaks::new(4);
    let app = l.app();
    let guilty = 2;
    let leaked: Vec<Vec<String>> = l.real_rows(guilty).into_iter().take(14).collect();
    let input = csv_of(&leaked);
    let path = format!("/v1/collections/{C}/trace");
    let body = json!({"input": input, "format": "csv"});

    let r = req("POST", &path).token(&l.officer).purpose("INC-1").json(body.clone()).send(&app).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let report = &r.json["report"];
    assert_eq!(report["finding"], "accused", "{}", r.json["markdown"]);
    assert_eq!(report["accused"], json!([l.exports[guilty].0.id]), "{}", r.json["markdown"]);
    assert_eq!(report["linked"], 14);
    assert_eq!(report["candidates"][0]["requester"], format!("lead-{guilty}"));
    assert!(r.json["markdown"].as_str().unwrap().starts_with("# Leak trace"), "{}", r.text);
    // Proofs of every step of the accused export and of the trace itself, against the checkpoint just signed.
    let steps = report["steps"].as_array().unwrap();
    assert!(!steps.is_empty());
    let proofs = r.json["proofs"].as_array().unwrap();
    assert_eq!(proofs.len(), steps.len() + 1, "{}", r.text);
    let verifier = l.vault.signer(l.dir.path()).unwrap().verifier();
    let checkpoint = r.json["checkpoint"].as_str().unwrap();
    let mut proven = BTreeSet::new();
    for p in proofs {
        let proof: kura::audit::proof::Proof = serde_json::from_value(p.clone()).unwrap();
        kura::audit::proof::check(&proof, &verifier).unwrap();
        assert_eq!(proof.checkpoint, checkpoint);
        proven.insert(proof.index);
    }
    assert!(proven.contains(&report["trace_entry"].as_u64().unwrap()));
    assert!(steps.iter().all(|st| proven.contains(&st["seq"].as_u64().unwrap())));
    // Nothing of the leak comes back.
    for row in &leaked {
        assert!(!r.text.contains(&row[0]) && !r.text.contains(&row[2]) && !r.text.contains(&row[3]), "{row:?}");
    }

    // Operators may not trace (refused before the leak is read); garbage is a 400 that does not quote it.
    let r = req("POST", &path).token(&l.operator).purpose("INC-1").json(body).send(&app).await;
    assert_error(&r, 403, "denied");
    let garbage = "{\"name\": \"Tanaka Hanako 090-1234-5678\", \"x\": [1,";
    for format in ["json", "auto"] {
        let r = req("POST", &path)
            .token(&l.officer)
            .purpose("INC-1")
            .json(json!({"input": garbage, "format": format}))
            .send(&app)
            .await;
        assert_error(&r, 400, "invalid_input");
        assert!(!r.text.contains("Tanaka") && !r.text.contains("090-1234"), "{}", r.text);
    }
    let r = req("POST", &path).token(&l.officer).purpose("INC-1").json(json!({"input": "\u{0}\u{1}"})).send(&app).await;
    assert_error(&r, 400, "invalid_input");
    let r = req("POST", &path)
        .token(&l.officer)
        .purpose("INC-1")
        .json(json!({"input": input, "epsilon": 1.5}))
        .send(&app)
        .await;
    assert_error(&r, 400, "invalid_trace");
    // The trace route takes leaks up to 8 MiB (the server's default limit is 64 KiB).
    let big = format!("{{\"x\": \"{}\"", "a".repeat(200 * 1024));
    let r = req("POST", &path).token(&l.officer).purpose("INC-1").json(json!({"input": big, "format": "json"}));
    assert_error(&r.send(&app).await, 400, "invalid_input");
    let huge = json!({"input": "a".repeat(kura_http::api::TRACE_BODY_LIMIT_BYTES)});
    assert_error(
        &req("POST", &path).token(&l.officer).purpose("INC-1").json(huge).send(&app).await,
        413,
        "body_too_large",
    );
    let r = req("POST", "/v1/collections/nope/trace").token(&l.officer).purpose("INC-1").json(json!({"input": input}));
    assert_error(&r.send(&app).await, 404, "not_found");
}

#[tokio::test]
async fn a_canary_hit_names_the_export_raises_an_alert_and_suspends_the_requester() {
    let l = Leaks::new(2);
    let app = l.app();
    // The canary's phone as a caller-id display writes it: +81, spaces, no trunk zero.
    let e164 = l.canary_phones(1).remove(0);
    let digits = e164.strip_prefix("+81").unwrap();
    let spoken = format!("+81 {} {} {}", &digits[..2], &digits[2..6], &digits[6..]);
    let hit = json!({"contact": spoken, "channel": "phone", "note": "PBX-77"});
    let r = req("POST", "/v1/canary-hits").token(&l.officer).purpose("INC-2").json(hit).send(&app).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["export"], l.exports[1].0.id);
    assert_eq!(r.json["requester"], "lead-1");
    assert_eq!(r.json["approver"], "approver");
    assert_eq!(
        (r.json["alert"]["rule"].as_str(), r.json["alert"]["suspended"].as_bool()),
        (Some("canary_hit"), Some(true))
    );

    let alerts = req("GET", "/v1/alerts").token(&l.officer).purpose("INC-2").send(&app).await;
    assert_eq!(alerts.status, 200, "{}", alerts.text);
    assert!(
        alerts.json.as_array().unwrap().iter().any(|a| a["rule"] == "canary_hit"
            && a["principal"] == "lead-1"
            && a["export"] == l.exports[1].0.id
            && a["severity"] == "critical"),
        "{}",
        alerts.text
    );
    // The requester is suspended at once; the other lead is not.
    let r = req("GET", "/v1/exports").token(&l.leads[1]).purpose("ORDER-9").send(&app).await;
    assert!(matches!(r.status.as_u16(), 401 | 403), "{}", r.text);
    let r = req("GET", "/v1/exports").token(&l.leads[0]).purpose("ORDER-9").send(&app).await;
    assert_eq!(r.status, 200, "{}", r.text);

    // A number that is no canary's: 404, without repeating it. Operators may not report or list.
    let other = json!({"contact": "+81 90 9876 5432", "channel": "phone"});
    let r = req("POST", "/v1/canary-hits").token(&l.officer).purpose("INC-2").json(other.clone()).send(&app).await;
    assert_error(&r, 404, "not_found");
    assert!(!r.text.contains("9876"), "{}", r.text);
    let r = req("POST", "/v1/canary-hits").token(&l.operator).purpose("INC-2").json(other).send(&app).await;
    assert_error(&r, 403, "denied");
    assert_error(&req("GET", "/v1/alerts").token(&l.operator).purpose("INC-2").send(&app).await, 403, "denied");
    let bad = json!({"contact": "x", "channel": "phone", "note": "two\nlines"});
    let r = req("POST", "/v1/canary-hits").token(&l.officer).purpose("INC-2").json(bad).send(&app).await;
    assert_error(&r, 400, "invalid_request");
}

#[tokio::test]
async fn alert_rules_round_trip_and_invalid_rules_are_refused_without_echo() {
    let w = World::new();
    let app = w.app(&config());
    let admin = w.service("admin", Role::Administrator, &[], &["principals:admin"]);
    let officer = w.service("officer", Role::SecurityOfficer, &[], &["audit:read", "principals:admin"]);
    let r = req("GET", "/v1/alerts/rules").token(&officer).purpose("SEC-1").send(&app).await;
    assert_eq!((r.status.as_u16(), r.json["rules"].as_str()), (200, Some("")), "{}", r.text);
    let rules = "[off_hours]\nenabled = false\n\n[denied_burst]\ncount = 3\n";
    let r =
        req("PUT", "/v1/alerts/rules").token(&admin).purpose("SEC-1").json(json!({"rules": rules})).send(&app).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = req("GET", "/v1/alerts/rules").token(&officer).purpose("SEC-1").send(&app).await;
    assert_eq!((r.status.as_u16(), r.json["rules"].as_str()), (200, Some(rules)), "{}", r.text);

    for bad in ["[off_hours]\nenabled = \"secret-value\"\n", "[nope-secret]\n", "[read_rate]\nper_minute = 0\n"] {
        let r = req("PUT", "/v1/alerts/rules").token(&admin).purpose("SEC-1").json(json!({"rules": bad})).send(&app);
        let r = r.await;
        assert_error(&r, 400, "invalid_rules");
        assert!(!r.text.contains("secret"), "{}", r.text);
    }
    let r = req("GET", "/v1/alerts/rules").token(&officer).purpose("SEC-1").send(&app).await;
    assert_eq!(r.json["rules"].as_str(), Some(rules), "refused rules change nothing");
    // Operators neither read nor change them.
    let desk = w.service("desk", Role::Operator, &[w.company(w.a)], &["records:read"]);
    assert_error(&req("GET", "/v1/alerts/rules").token(&desk).purpose("SEC-1").send(&app).await, 403, "denied");
    let r = req("PUT", "/v1/alerts/rules").token(&desk).purpose("SEC-1").json(json!({"rules": ""})).send(&app).await;
    assert_error(&r, 403, "denied");
}

#[tokio::test]
async fn administrators_plant_honey_and_operators_may_not() {
    let w = World::new();
    let app = w.app(&config());
    w.vault.set_canary_pools(&custodian(), &pools()).unwrap();
    // Honey records are written through the normal write path: the token needs `records:write` too.
    let admin = w.service("admin", Role::Administrator, &[], &["principals:admin", "records:write"]);
    let desk = w.service("desk", Role::Operator, &[w.company(w.a)], &["records:read", "records:write"]);
    let path = format!("/v1/collections/{C}/honey");
    // An administrator whose token may not write records: the honey rows are refused.
    let readonly = w.service("admin-2", Role::Administrator, &[], &["principals:admin"]);
    let r = req("POST", &path).token(&readonly).purpose("SEC-2").json(json!({"count": 1})).send(&app).await;
    assert_error(&r, 403, "denied");
    let r = req("POST", &path).token(&admin).purpose("SEC-2").json(json!({"count": 3})).send(&app).await;
    assert_eq!((r.status.as_u16(), r.json["planted"].as_u64()), (201, Some(3)), "{}", r.text);
    assert_eq!(w.vault.count(C).unwrap(), w.ids.len() as u64 + 3);
    let r = req("POST", &path).token(&desk).purpose("SEC-2").json(json!({"count": 3})).send(&app).await;
    assert_error(&r, 403, "denied");
    let r = req("POST", &path).token(&admin).purpose("SEC-2").json(json!({"count": 0})).send(&app).await;
    assert_error(&r, 400, "invalid_request");
    let r = req("POST", "/v1/collections/nope/honey").token(&admin).purpose("SEC-2").json(json!({"count": 1}));
    assert_error(&r.send(&app).await, 404, "not_found");
}

/// A listener that answers 204 to every request and hands over (method, content type, body).
pub async fn listener() -> (std::net::SocketAddr, tokio::sync::mpsc::UnboundedReceiver<(String, String, Vec<u8>)>) {
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = tcp.accept().await else { return };
            let tx = tx.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request: http::Request<hyper::body::Incoming>| {
                    let tx = tx.clone();
                    async move {
                        let method = request.method().to_string();
                        let ct = request.headers().get("content-type").and_then(|v| v.to_str().ok());
                        let ct = ct.unwrap_or("").to_owned();
                        let body = request.into_body().collect().await?.to_bytes().to_vec();
                        let _ = tx.send((method, ct, body));
                        let response = http::Response::builder().status(204).body(Full::new(Bytes::new()));
                        Ok::<_, hyper::Error>(response.unwrap())
                    }
                });
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
            });
        }
    });
    (addr, rx)
}

#[tokio::test]
async fn alerts_are_posted_to_the_webhook_once_without_personal_values() {
    let w = World::new();
    let (addr, mut received) = listener().await;
    let url = format!("http://{addr}/hooks/kura");
    let config = kura_http::Config { alert_webhook: Some(url.clone()), ..config() };
    config.validate().unwrap();
    assert!(kura_http::webhook::register_configured(&w.vault, &config).unwrap());
    let app = w.app(&config);
    // Only the denied-burst rule, at three refusals.
    let rules = "[off_hours]\nenabled = false\n[read_rate]\nenabled = false\n[own_history]\nenabled = false\n\
                 [team_baseline]\nenabled = false\n[denied_burst]\ncount = 3\n";
    w.vault.set_alert_rules(&custodian(), rules).unwrap();
    let desk_b = w.service("desk-b", Role::Operator, &[w.company(w.b)], &["records:read"]);
    for _ in 0..3 {
        assert_error(&req("GET", &w.record(w.a)).token(&desk_b).purpose("T-1").send(&app).await, 403, "denied");
    }
    let (method, ct, body) = tokio::time::timeout(Duration::from_secs(10), received.recv()).await.unwrap().unwrap();
    assert_eq!((method.as_str(), ct.as_str()), ("POST", "application/json"));
    let alert: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (alert["rule"].as_str(), alert["principal"].as_str()),
        (Some("denied_burst"), Some("desk-b")),
        "{alert}"
    );
    let text = String::from_utf8(body).unwrap();
    w.assert_clean(&text, w.a);
    w.assert_clean(&text, w.b);
    // Exactly one.
    assert!(tokio::time::timeout(Duration::from_millis(1500), received.recv()).await.is_err());
}
