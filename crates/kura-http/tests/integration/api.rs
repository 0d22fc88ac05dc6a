//! The vault's API through the router (no socket), on a real vault under the default policy: records shown per
//! field as the policy decides, clean refusals of bad bodies, tokens and sessions that stop working at once
//! when revoked, expired, suspended or ended, principals, policy and audit routes, the log of every access,
//! and the per-principal rate limit.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::Router;
use http::Request;
use kura::audit::{Action, Entry, Outcome};
use kura::auth::totp::{step_at, Digits, Secret, Totp};
use kura::principal::{Kind, Principal, Role};
use kura::{Access, RecordId, Vault};
use kura_http::api::{ApiState, VaultTokens};
use kura_http::{Config, Hooks};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

use crate::support::{assert_error, call, Reply};

pub const C: &str = "corporate-mobile";
const PASSWORD: &str = "a long enough passphrase";

/// Generous limits and no token cache: a revocation or suspension takes effect at the next request.
pub fn config() -> Config {
    Config { auth_cache_ttl_secs: 0, rate_limit_per_second: 10_000, rate_limit_burst: 10_000, ..Config::default() }
}

pub fn custodian() -> Access {
    Access::custodian("tester", "SETUP-1", "test").unwrap()
}

/// A vault on SQLite under the default policy, with no collection yet.
pub fn bare_vault() -> (tempfile::TempDir, Arc<Vault>) {
    use kura::keys::keyfile::{KdfParams, KeyFile};
    let dir = tempfile::tempdir().unwrap();
    let pass = SecretString::from("integration test passphrase".to_owned());
    let keys = KeyFile::create(&dir.path().join("root.key"), "test", &pass, KdfParams::dangerous_for_tests()).unwrap();
    let store = kura::store::sqlite::SqliteStore::open(&dir.path().join("vault"), true).unwrap();
    let vault = Vault::create(Box::new(store), Box::new(keys)).unwrap();
    (dir, Arc::new(vault))
}

/// A person as generated: field name → value as stored.
pub type Person = BTreeMap<String, String>;

/// A vault with generated employees of several client companies, and the people it holds.
pub struct World {
    pub dir: tempfile::TempDir,
    pub vault: Arc<Vault>,
    pub people: Vec<Person>,
    pub ids: Vec<RecordId>,
    /// A person with a home address; their company is "A".
    pub a: usize,
    /// A person of another company, "B".
    pub b: usize,
}

impl World {
    pub fn new() -> World {
        let (dir, vault) = bare_vault();
        vault.create_collection(&custodian(), kura::schema::builtin(C).unwrap()).unwrap();
        let mut csv = Vec::new();
        let params = kura::generate::CorporateParams { companies: 4, employees: 24, seed: 7 };
        kura::generate::corporate(&params, &mut csv, &mut |_| {}).unwrap();
        let schema = vault.schema(C).unwrap();
        let parsed = kura::import::parse("t.csv", &csv, &schema, kura::import::Encoding::Auto).unwrap();
        assert!(parsed.rejects.is_empty());
        let people: Vec<Person> = parsed
            .rows
            .iter()
            .map(|row| {
                schema
                    .fields
                    .iter()
                    .zip(&row.values)
                    .filter_map(|(f, v)| v.as_ref().map(|v| (f.name.clone(), v.expose().to_owned())))
                    .collect()
            })
            .collect();
        let ids = vault.write(&custodian(), C, parsed.rows, &mut |_| {}).unwrap().ids;
        let a = people.iter().position(|p| p.contains_key("home_address")).unwrap();
        let b = people.iter().position(|p| p["company"] != people[a]["company"]).unwrap();
        World { dir, vault, people, ids, a, b }
    }

    pub fn app(&self, config: &Config) -> Router {
        let state = ApiState::new(Arc::clone(&self.vault), Some(self.dir.path().to_owned()));
        kura_http::app(kura_http::api::routes(state), config, Hooks::new(VaultTokens(Arc::clone(&self.vault))))
    }

    pub fn company(&self, i: usize) -> String {
        self.people[i]["company"].clone()
    }

    pub fn record(&self, i: usize) -> String {
        format!("/v1/collections/{C}/records/{}", self.ids[i])
    }

    /// A service account with one role, assigned to `companies`, and an API token with `scopes`.
    pub fn service(&self, name: &str, role: Role, companies: &[String], scopes: &[&str]) -> String {
        let p = Principal::new(name, Kind::Service, [role].into(), None, companies.iter().cloned().collect()).unwrap();
        self.vault.add_principal(&custodian(), &p).unwrap();
        self.token(name, scopes, kura::store::now() + 3600)
    }

    pub fn token(&self, name: &str, scopes: &[&str], expires_at: i64) -> String {
        let scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        self.vault.issue_token(&custodian(), name, scopes, expires_at).unwrap().expose_secret().to_owned()
    }

    /// An employee with one role, a password and an enrolled authenticator.
    fn person(&self, name: &str, role: Role) -> Totp {
        self.enrolled(&Principal::new(name, Kind::Employee, [role].into(), None, BTreeSet::new()).unwrap())
    }

    /// A person (any kind but a service) added with a password and an enrolled authenticator.
    fn enrolled(&self, p: &Principal) -> Totp {
        self.vault.add_principal(&custodian(), p).unwrap();
        self.vault.set_password(&custodian(), &p.name, &SecretString::from(PASSWORD.to_owned())).unwrap();
        let uri = self.vault.enroll_totp(&custodian(), &p.name, "kura").unwrap();
        let secret = uri.expose_secret().split("secret=").nth(1).unwrap().split('&').next().unwrap().to_owned();
        Totp::new(Secret::from_base32(&SecretString::from(secret)).unwrap(), Default::default(), Digits::Six)
    }

    /// An employee with one role, signed in through `POST /v1/sessions`; returns the session token.
    pub async fn session(&self, app: &Router, name: &str, role: Role) -> String {
        let totp = self.person(name, role);
        signed_in(app, name, &totp).await
    }

    /// A person as given (team, companies), signed in through `POST /v1/sessions`; returns the session token.
    pub async fn session_of(&self, app: &Router, p: &Principal) -> String {
        let totp = self.enrolled(p);
        signed_in(app, &p.name, &totp).await
    }

    /// The values of person `i` that are personal (never to appear in an error or a log entry).
    pub fn personal(&self, i: usize) -> Vec<String> {
        ["employee_id", "user_name", "user_name_kana", "mobile", "email", "home_address"]
            .iter()
            .filter_map(|f| self.people[i].get(*f).cloned())
            .collect()
    }

    /// Checks that no personal value of person `i` appears in `text`.
    pub fn assert_clean(&self, text: &str, i: usize) {
        for v in self.personal(i) {
            assert!(!text.contains(&v), "`{v}` appears in {text}");
        }
    }

    /// Every entry of the access log, oldest first.
    pub fn log(&self) -> Vec<Entry> {
        let store = self.vault.audit_log().store();
        let size = store.size().unwrap();
        store.entries(0, size).unwrap().into_iter().map(|(_, data)| Entry::from_leaf(&data).unwrap()).collect()
    }
}

/// The authenticator's code now.
fn code(totp: &Totp) -> String {
    totp.code(step_at(kura::store::now()).unwrap()).as_str().to_owned()
}

/// Signs `name` in with the test password and the authenticator's code; returns the session token.
async fn signed_in(app: &Router, name: &str, totp: &Totp) -> String {
    let reply = sign_in(app, name, PASSWORD, &code(totp)).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.json["principal"], name);
    reply.json["token"].as_str().unwrap().to_owned()
}

async fn sign_in(app: &Router, name: &str, password: &str, code: &str) -> Reply {
    req("POST", "/v1/sessions").json(json!({"name": name, "password": password, "code": code})).send(app).await
}

/// A request to the API.
pub struct Req {
    builder: http::request::Builder,
    body: Body,
}

pub fn req(method: &str, path: &str) -> Req {
    Req { builder: Request::builder().method(method).uri(path), body: Body::empty() }
}

impl Req {
    fn header(mut self, name: &str, value: &str) -> Req {
        self.builder = self.builder.header(name, value);
        self
    }
    pub fn token(self, token: &str) -> Req {
        self.header("authorization", &format!("Bearer {token}"))
    }
    pub fn purpose(self, purpose: &str) -> Req {
        self.header("kura-purpose", purpose)
    }
    pub fn kind(self, kind: &str) -> Req {
        self.header("kura-purpose-kind", kind)
    }
    pub fn json(self, body: Value) -> Req {
        self.raw("application/json", body.to_string())
    }
    fn raw(mut self, content_type: &str, body: impl Into<Body>) -> Req {
        self.builder = self.builder.header("content-type", content_type);
        self.body = body.into();
        self
    }
    pub async fn send(self, app: &Router) -> Reply {
        call(app, self.builder.body(self.body).unwrap()).await
    }
}

/// Field name → (`shown`, value) of a record reply.
pub fn fields(reply: &Reply) -> BTreeMap<String, (String, Option<String>)> {
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json["fields"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), (v["shown"].as_str().unwrap().to_owned(), v["value"].as_str().map(str::to_owned))))
        .collect()
}

#[tokio::test]
async fn a_record_is_shown_field_by_field_as_the_policy_decides() {
    let w = World::new();
    let app = w.app(&config());
    let desk_a = w.service("desk-a", Role::Operator, &[w.company(w.a)], &["records:read", "records:write"]);
    let desk_b = w.service("desk-b", Role::Operator, &[w.company(w.b)], &["records:read", "records:write"]);
    let officer = w.session(&app, "sec.officer", Role::SecurityOfficer).await;
    let admin = w.session(&app, "admin.person", Role::Administrator).await;
    let person = &w.people[w.a];
    let path = w.record(w.a);

    // The assigned operator: every field plain except the home address, which only shipping work sees.
    let support = fields(&req("GET", &path).token(&desk_a).purpose("T-100").send(&app).await);
    assert_eq!(support.len(), w.vault.schema(C).unwrap().fields.len());
    for (name, (shown, value)) in &support {
        if name.starts_with("home_") {
            assert_eq!((shown.as_str(), value), ("hidden", &None), "{name}");
        } else {
            assert_eq!(shown, "plain", "{name}");
            assert_eq!(value.as_ref(), person.get(name), "{name}");
        }
    }
    let shipping = fields(&req("GET", &path).token(&desk_a).purpose("ORDER-7").kind("shipping").send(&app).await);
    assert_eq!(shipping["home_address"], ("plain".to_owned(), Some(person["home_address"].clone())));

    // Another company's operator: refused, and the refusal says nothing about the person.
    let reply = req("GET", &path).token(&desk_b).purpose("T-101").send(&app).await;
    assert_error(&reply, 403, "denied");
    w.assert_clean(&reply.text, w.a);

    // A security officer sees masked values only.
    let masked = fields(&req("GET", &path).token(&officer).purpose("INC-1").send(&app).await);
    assert!(masked.values().all(|(shown, _)| shown == "masked" || shown == "hidden"), "{masked:?}");
    assert_eq!(masked["user_name"].0, "masked");
    assert_ne!(masked["user_name"].1.as_ref(), Some(&person["user_name"]));
    assert_eq!(masked["home_address"], ("hidden".to_owned(), None));
    w.assert_clean(&serde_json::to_string(&masked).unwrap(), w.a);

    // An administrator never reads personal data.
    let reply = req("GET", &path).token(&admin).purpose("ADM-1").send(&app).await;
    assert_error(&reply, 403, "denied");
    w.assert_clean(&reply.text, w.a);

    // No purpose, no access; a malformed kind is refused before the vault is asked.
    assert_error(&req("GET", &path).token(&desk_a).send(&app).await, 400, "missing_purpose");
    assert_error(
        &req("GET", &path).token(&desk_a).purpose("T-1").kind("Ship!").send(&app).await,
        400,
        "invalid_purpose",
    );
    // Unknown records and collections are 404, a bad card view 400.
    let unknown = format!("/v1/collections/{C}/records/{}", RecordId::generate());
    assert_error(&req("GET", &unknown).token(&desk_a).purpose("T-1").send(&app).await, 404, "not_found");
    assert_error(
        &req("GET", "/v1/collections/nope/records/x").token(&desk_a).purpose("T-1").send(&app).await,
        404,
        "not_found",
    );
    let bad_view = format!("{path}?card=clear");
    assert_error(&req("GET", &bad_view).token(&desk_a).purpose("T-1").send(&app).await, 400, "invalid_query");

    // Every read above is in the log, with its purpose; refusals as `deny`, and no value in any entry.
    let reads: Vec<(String, String, Outcome)> =
        w.log().into_iter().filter(|e| e.action == Action::Read).map(|e| (e.principal, e.purpose, e.outcome)).collect();
    for want in [
        ("desk-a", "T-100", Outcome::Allow),
        ("desk-a", "ORDER-7", Outcome::Allow),
        ("desk-b", "T-101", Outcome::Deny),
        ("sec.officer", "INC-1", Outcome::Allow),
        ("admin.person", "ADM-1", Outcome::Deny),
    ] {
        assert!(reads.iter().any(|(p, r, o)| (p.as_str(), r.as_str(), *o) == want), "{want:?} not logged: {reads:?}");
    }
    let shipped = w.log().into_iter().find(|e| e.purpose == "ORDER-7").unwrap();
    assert!(shipped.fields.contains(&"home_address".to_owned()), "{:?}", shipped.fields);
    for e in w.log() {
        w.assert_clean(&String::from_utf8_lossy(&e.to_leaf().unwrap()), w.a);
    }
}

#[tokio::test]
async fn a_search_finds_other_notations_and_withholds_other_companies() {
    let w = World::new();
    let app = w.app(&config());
    let desk_a = w.service("desk-a", Role::Operator, &[w.company(w.a)], &["records:read"]);
    let desk_b = w.service("desk-b", Role::Operator, &[w.company(w.b)], &["records:read"]);
    let mobile = &w.people[w.a]["mobile"];
    let digits: String = mobile.chars().filter(char::is_ascii_digit).collect();
    let other = match digits.strip_prefix('0') {
        Some(rest) => format!("+81 {rest}"),
        None => format!("0{}", digits.get(2..).unwrap()),
    };
    assert_ne!(&other, mobile);
    let search = format!("/v1/collections/{C}/search");
    let body = json!({"field": "mobile", "value": other});

    let reply = req("POST", &search).token(&desk_a).purpose("T-200").json(body.clone()).send(&app).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let found = reply.json["records"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{}", reply.text);
    assert_eq!(found[0]["id"], w.ids[w.a].to_string());
    assert_eq!(found[0]["fields"]["mobile"]["value"].as_str(), Some(mobile.as_str()));

    // Another company's operator learns nothing, not even that the number exists; the log says deny.
    let reply = req("POST", &search).token(&desk_b).purpose("T-201").json(body.clone()).send(&app).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json, json!({"records": []}));
    let e = w.log().into_iter().rev().find(|e| e.action == Action::Search).unwrap();
    assert_eq!((e.principal.as_str(), e.outcome, e.subjects.len()), ("desk-b", Outcome::Deny, 1));

    // A field that cannot be searched, or a limit out of range, is the caller's mistake.
    let reply = req("POST", &search)
        .token(&desk_a)
        .purpose("T-1")
        .json(json!({"field": "department", "value": "x"}))
        .send(&app)
        .await;
    assert_error(&reply, 422, "invalid_query");
    let reply = req("POST", &search)
        .token(&desk_a)
        .purpose("T-1")
        .json(json!({"field": "mobile", "value": other, "limit": 0}))
        .send(&app)
        .await;
    assert_error(&reply, 422, "invalid_body");
    w.assert_clean(&reply.text, w.a);
}

#[tokio::test]
async fn records_are_created_updated_and_erased() {
    let w = World::new();
    let app = w.app(&config());
    let desk_a = w.service("desk-a", Role::Operator, &[w.company(w.a)], &["records:read", "records:write"]);
    let officer = w.session(&app, "sec.officer", Role::SecurityOfficer).await;
    let path = w.record(w.a);

    // Update by the assigned operator, then read back.
    let reply = req("PATCH", &path)
        .token(&desk_a)
        .purpose("T-300")
        .json(json!({"set": {"department": "総務部"}}))
        .send(&app)
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    let after = fields(&req("GET", &path).token(&desk_a).purpose("T-300").send(&app).await);
    assert_eq!(after["department"].1.as_deref(), Some("総務部"));
    let reply = req("PATCH", &path).token(&desk_a).purpose("T-300").json(json!({"set": {}})).send(&app).await;
    assert_error(&reply, 422, "invalid_body");
    let secret = "SECRET-090-9999";
    let reply =
        req("PATCH", &path).token(&desk_a).purpose("T-300").json(json!({"set": {"mobile": secret}})).send(&app).await;
    assert_error(&reply, 422, "invalid_values");
    assert!(!reply.text.contains(secret), "{}", reply.text);
    w.assert_clean(&reply.text, w.a);
    let reader = w.service("reader-a", Role::Operator, &[w.company(w.a)], &["records:read"]);
    let reply = req("PATCH", &path)
        .token(&reader)
        .purpose("T-300")
        .json(json!({"set": {"department": "x部"}}))
        .send(&app)
        .await;
    assert_error(&reply, 403, "denied");

    // Erasure by a security officer; afterwards the record is gone for everyone, and erasing again says so.
    let reply = req("DELETE", &path).token(&officer).purpose("ERASE-1").send(&app).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["erased_now"], true);
    assert_eq!(reply.json["id"], w.ids[w.a].to_string());
    let reply = req("GET", &path).token(&desk_a).purpose("T-301").send(&app).await;
    assert_error(&reply, 410, "erased");
    w.assert_clean(&reply.text, w.a);
    let again = req("DELETE", &path).token(&officer).purpose("ERASE-1").send(&app).await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.json["erased_now"], false);
    // The operator may not erase.
    let reply = req("DELETE", &w.record(w.b)).token(&desk_a).purpose("ERASE-2").send(&app).await;
    assert_error(&reply, 403, "denied");

    // Create: a new employee of company A, from a template person of that company.
    let create = format!("/v1/collections/{C}/records");
    let mut values: BTreeMap<String, String> = w.people[w.a].clone();
    values.insert("employee_id".to_owned(), "C999-999999".to_owned());
    let reply = req("POST", &create).token(&desk_a).purpose("T-302").json(json!({"values": values})).send(&app).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.json["created"], true);
    let id = reply.json["id"].as_str().unwrap().to_owned();
    let created = fields(&req("GET", &format!("{create}/{id}")).token(&desk_a).purpose("T-302").send(&app).await);
    assert_eq!(created["employee_id"].1.as_deref(), Some("C999-999999"));

    // An invalid value is named by field, never echoed.
    let secret_mobile = "SECRET-090-1234";
    let mut bad = values.clone();
    bad.insert("mobile".to_owned(), secret_mobile.to_owned());
    bad.insert("employee_id".to_owned(), "C999-999998".to_owned());
    let reply = req("POST", &create).token(&desk_a).purpose("T-303").json(json!({"values": bad})).send(&app).await;
    assert_error(&reply, 422, "invalid_values");
    assert!(reply.text.contains("mobile"), "{}", reply.text);
    assert!(!reply.text.contains(secret_mobile), "{}", reply.text);
    w.assert_clean(&reply.text, w.a);
    // An unknown field is refused, without echoing its name (it may be a value typed in the wrong box).
    let mut unknown = values.clone();
    unknown.insert("090-5555-0000".to_owned(), "x".to_owned());
    let reply = req("POST", &create).token(&desk_a).purpose("T-304").json(json!({"values": unknown})).send(&app).await;
    assert_error(&reply, 422, "invalid_values");
    assert!(!reply.text.contains("090-5555-0000"), "{}", reply.text);
    // Without `records:write` the token cannot create.
    let reply = req("POST", &create).token(&reader).purpose("T-305").json(json!({"values": values})).send(&app).await;
    assert_error(&reply, 403, "forbidden");

    // The log holds the update, both erasure attempts and the create.
    let log = w.log();
    let has = |p: &str, a: Action, o: Outcome| log.iter().any(|e| e.principal == p && e.action == a && e.outcome == o);
    assert!(has("desk-a", Action::Update, Outcome::Allow));
    assert!(has("sec.officer", Action::Erase, Outcome::Allow));
    assert!(has("desk-a", Action::Erase, Outcome::Deny));
    assert!(has("desk-a", Action::Create, Outcome::Allow));
}

#[tokio::test]
async fn api_bodies_that_do_not_fit_are_4xx_never_5xx() {
    let w = World::new();
    let small = Config { body_limit_bytes: 512, ..config() };
    let app = w.app(&small);
    let desk_a = w.service("desk-a", Role::Operator, &[w.company(w.a)], &["records:read", "records:write"]);
    let mobile = w.people[w.a]["mobile"].clone();
    let search = format!("/v1/collections/{C}/search");
    let send = |content_type: &'static str, body: String| {
        req("POST", &search).token(&desk_a).purpose("T-400").raw(content_type, body).send(&app)
    };
    let mut replies = Vec::new();

    let reply = send("application/json", format!(r#"{{"field": "mobile", "value": "{mobile}""#)).await;
    assert_error(&reply, 400, "malformed_json");
    replies.push(reply);
    for body in [
        json!({"field": "mobile", "value": mobile, "limit": "many"}),
        json!({"field": "mobile", "value": 9012345678_u64}),
        json!({"field": "mobile", "value": mobile, "phone": mobile}),
        json!({"field": "mobile"}),
        json!([mobile]),
    ] {
        let reply = send("application/json", body.to_string()).await;
        assert_error(&reply, 422, "invalid_body");
        replies.push(reply);
    }
    let big = json!({"field": "mobile", "value": mobile.repeat(100)}).to_string();
    let reply = send("application/json", big).await;
    assert_error(&reply, 413, "body_too_large");
    replies.push(reply);
    let reply = send("text/plain", json!({"field": "mobile", "value": mobile}).to_string()).await;
    assert_error(&reply, 415, "unsupported_media_type");
    replies.push(reply);
    // The same on routes taking other bodies.
    let patch = req("PATCH", &w.record(w.a)).token(&desk_a).purpose("T-401");
    let reply = patch.json(json!({"set": {"mobile": 1}})).send(&app).await;
    assert_error(&reply, 422, "invalid_body");
    replies.push(reply);
    let reply = sign_in(&app, "x", "y", "z").await;
    assert_error(&reply, 401, "unauthorized");
    let reply = req("POST", "/v1/sessions").raw("application/json", r#"{"name": "x", "password": "#).send(&app).await;
    assert_error(&reply, 400, "malformed_json");
    replies.push(reply);
    let reply = req("PUT", "/v1/policy").token(&desk_a).purpose("T-402").json(json!({"policy": "x"})).send(&app).await;
    assert_error(&reply, 422, "invalid_body");
    replies.push(reply);
    for reply in replies {
        assert!(reply.status.is_client_error(), "{}", reply.text);
        w.assert_clean(&reply.text, w.a);
    }
}

#[tokio::test]
async fn tokens_stop_working_when_revoked_expired_or_suspended() {
    let w = World::new();
    let app = w.app(&config());
    let admin = w.session(&app, "admin.person", Role::Administrator).await;
    let company = [w.company(w.a)];
    let path = w.record(w.a);
    let read = |token: String| {
        let app = app.clone();
        let path = path.clone();
        async move { req("GET", &path).token(&token).purpose("T-500").send(&app).await }
    };

    // No token, or a token that is not one.
    let reply = req("GET", &path).purpose("T-500").send(&app).await;
    assert_error(&reply, 401, "unauthorized");
    assert!(reply.header("www-authenticate").starts_with("Bearer"));
    assert_error(&read("kura_nothing_here".to_owned()).await, 401, "unauthorized");

    // Revoked by an administrator through the API.
    let token = w.service("desk-r", Role::Operator, &company, &["records:read"]);
    assert_eq!(read(token.clone()).await.status, 200);
    let shown = req("GET", "/v1/principals/desk-r").token(&admin).purpose("ADM-2").send(&app).await;
    assert_eq!(shown.status, 200, "{}", shown.text);
    let id = shown.json["tokens"][0].as_str().unwrap().to_owned();
    assert!(token.contains(&id), "the token id is part of the token");
    let reply =
        req("DELETE", &format!("/v1/principals/desk-r/tokens/{id}")).token(&admin).purpose("ADM-2").send(&app).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    assert_error(&read(token).await, 401, "unauthorized");

    // Revoked through the vault.
    let token = w.service("desk-v", Role::Operator, &company, &["records:read"]);
    assert_eq!(read(token.clone()).await.status, 200);
    let id = w.vault.principal("desk-v").unwrap().tokens[0].clone();
    w.vault.revoke_token(&custodian(), "desk-v", &id).unwrap();
    assert_error(&read(token).await, 401, "unauthorized");

    // Expired.
    let p = Principal::new("desk-e", Kind::Service, [Role::Operator].into(), None, company.iter().cloned().collect())
        .unwrap();
    w.vault.add_principal(&custodian(), &p).unwrap();
    let expires = kura::store::now() + 2;
    let token = w.token("desk-e", &["records:read"], expires);
    assert_eq!(read(token.clone()).await.status, 200);
    while kura::store::now() < expires {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_error(&read(token).await, 401, "unauthorized");

    // Suspended through the API: its token stops working at once, and resuming restores it.
    let token = w.service("desk-s", Role::Operator, &company, &["records:read"]);
    assert_eq!(read(token.clone()).await.status, 200);
    let reply = req("POST", "/v1/principals/desk-s/suspend").token(&admin).purpose("ADM-3").send(&app).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    assert_error(&read(token.clone()).await, 401, "unauthorized");
    let reply = req("POST", "/v1/principals/desk-s/resume").token(&admin).purpose("ADM-3").send(&app).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    assert_eq!(read(token).await.status, 200);

    // A token without `records:read` reads nothing, whatever the policy would allow; the refusal is logged.
    let writer = w.service("desk-w", Role::Operator, &company, &["records:write"]);
    let reply = read(writer).await;
    assert_error(&reply, 403, "denied");
    assert!(reply.text.contains("records:read"), "{}", reply.text);
    w.assert_clean(&reply.text, w.a);

    // Every refused token check is a logged sign-in refusal.
    let refusals = w
        .log()
        .into_iter()
        .filter(|e| e.action == Action::Login && e.outcome == Outcome::Deny)
        .map(|e| e.principal)
        .collect::<Vec<_>>();
    for who in ["desk-r", "desk-v", "desk-e", "desk-s"] {
        assert!(refusals.iter().any(|p| p == who), "{who}: {refusals:?}");
    }
}

#[tokio::test]
async fn sessions_lock_out_after_failures_and_end_when_signed_out() {
    let w = World::new();
    let app = w.app(&config());

    // Repeated failures lock the person out: afterwards even the right password and code are refused.
    let totp = w.person("kei.tanaka", Role::Operator);
    for _ in 0..6 {
        let reply = sign_in(&app, "kei.tanaka", "wrong wrong wrong", "000000").await;
        assert_error(&reply, 401, "unauthorized");
    }
    let reply = sign_in(&app, "kei.tanaka", PASSWORD, &code(&totp)).await;
    assert_error(&reply, 401, "unauthorized");
    assert!(!reply.text.contains("lock"), "a refusal does not say why: {}", reply.text);
    assert!(w.log().iter().any(|e| e.principal == "kei.tanaka" && e.detail == "locked out"));
    // An unknown name is refused the same way.
    let unknown = sign_in(&app, "nobody", PASSWORD, "123456").await;
    assert_error(&unknown, 401, "unauthorized");
    assert_eq!(unknown.json["error"]["message"], reply.json["error"]["message"]);

    // A session works until it is ended, then never again.
    let officer = w.session(&app, "sec.officer", Role::SecurityOfficer).await;
    let path = w.record(w.a);
    assert_eq!(req("GET", &path).token(&officer).purpose("INC-2").send(&app).await.status, 200);
    let reply = req("DELETE", "/v1/sessions").token(&officer).send(&app).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    assert_error(&req("GET", &path).token(&officer).purpose("INC-2").send(&app).await, 401, "unauthorized");
    assert_error(&req("DELETE", "/v1/sessions").token(&officer).send(&app).await, 401, "unauthorized");
    assert!(w.log().iter().any(|e| e.principal == "sec.officer" && e.detail.contains("ended")));
}

#[tokio::test]
async fn principals_are_managed_by_administrators_only() {
    let w = World::new();
    let app = w.app(&config());
    let admin = w.session(&app, "admin.person", Role::Administrator).await;
    let desk_a = w.service("desk-a", Role::Operator, &[w.company(w.a)], &["records:read", "records:write"]);
    // An operator holding the administration scope is still refused by the vault.
    let rogue = w.service("desk-rogue", Role::Operator, &[w.company(w.a)], &["principals:admin"]);
    let new = json!({"name": "yui.ito", "kind": "employee", "roles": ["operator"], "team": "desk",
        "companies": [w.company(w.a)]});

    let reply = req("POST", "/v1/principals").token(&admin).purpose("ADM-4").json(new.clone()).send(&app).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.json["name"], "yui.ito");
    assert_eq!(reply.json["roles"], json!(["operator"]));
    assert_eq!((reply.json["password"].as_bool(), reply.json["totp"].as_bool()), (Some(false), Some(false)));
    let again = req("POST", "/v1/principals").token(&admin).purpose("ADM-4").json(new.clone()).send(&app).await;
    assert_error(&again, 409, "conflict");
    let other = json!({"name": "ren.mori", "kind": "employee", "roles": ["operator"]});
    let reply = req("POST", "/v1/principals").token(&desk_a).purpose("T-600").json(other.clone()).send(&app).await;
    assert_error(&reply, 403, "forbidden");
    let reply = req("POST", "/v1/principals").token(&rogue).purpose("T-600").json(other.clone()).send(&app).await;
    assert_error(&reply, 403, "denied");
    assert!(w.vault.principal("ren.mori").is_err());
    let bad = json!({"name": "Ren Mori!", "kind": "employee", "roles": ["operator"]});
    let reply = req("POST", "/v1/principals").token(&admin).purpose("ADM-4").json(bad).send(&app).await;
    assert_error(&reply, 422, "invalid_principal");
    let bad = json!({"name": "ren.mori", "kind": "employee", "roles": ["overlord"]});
    let reply = req("POST", "/v1/principals").token(&admin).purpose("ADM-4").json(bad).send(&app).await;
    assert_error(&reply, 422, "invalid_principal");

    // Credentials: a password, a TOTP enrolment (shown once), a token for services only.
    let reply = req("PUT", "/v1/principals/yui.ito/password")
        .token(&admin)
        .purpose("ADM-5")
        .json(json!({"password": "short"}))
        .send(&app)
        .await;
    assert_error(&reply, 422, "invalid_principal");
    assert!(!reply.text.contains("short\""), "{}", reply.text);
    let reply = req("PUT", "/v1/principals/yui.ito/password")
        .token(&admin)
        .purpose("ADM-5")
        .json(json!({"password": PASSWORD}))
        .send(&app)
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    let reply = req("POST", "/v1/principals/yui.ito/totp").token(&admin).purpose("ADM-5").send(&app).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert!(reply.json["uri"].as_str().unwrap().starts_with("otpauth://totp/"));
    let reply = req("POST", "/v1/principals/yui.ito/tokens")
        .token(&admin)
        .purpose("ADM-5")
        .json(json!({"scopes": ["records:read"], "days": 1}))
        .send(&app)
        .await;
    assert_error(&reply, 422, "invalid_principal");
    let reply = req("POST", "/v1/principals/desk-a/tokens")
        .token(&admin)
        .purpose("ADM-5")
        .json(json!({"scopes": ["records:read"], "days": 1}))
        .send(&app)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let issued = reply.json["token"].as_str().unwrap().to_owned();
    assert_eq!(req("GET", &w.record(w.a)).token(&issued).purpose("T-601").send(&app).await.status, 200);
    let reply = req("POST", "/v1/principals/desk-a/tokens")
        .token(&admin)
        .purpose("ADM-5")
        .json(json!({"scopes": ["records:read"], "days": 0}))
        .send(&app)
        .await;
    assert_error(&reply, 422, "invalid_body");
    let missing = req("POST", "/v1/principals/nobody/suspend").token(&admin).purpose("ADM-5").send(&app).await;
    assert_error(&missing, 404, "not_found");

    // Reading principals: administrators yes, operators no.
    let list = req("GET", "/v1/principals").token(&admin).purpose("ADM-6").send(&app).await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert!(list.json.as_array().unwrap().iter().any(|p| p["name"] == "yui.ito"));
    assert!(!list.text.contains(&issued), "tokens are never shown again");
    assert_error(&req("GET", "/v1/principals").token(&desk_a).purpose("T-602").send(&app).await, 403, "denied");

    // Every change and every refusal is in the log.
    let log = w.log();
    let changes: Vec<(&str, Outcome)> =
        log.iter().filter(|e| e.action == Action::PrincipalChange).map(|e| (e.principal.as_str(), e.outcome)).collect();
    assert!(changes.contains(&("admin.person", Outcome::Allow)), "{changes:?}");
    assert!(changes.contains(&("desk-rogue", Outcome::Deny)), "{changes:?}");
}

#[tokio::test]
async fn policy_changes_are_validated_and_take_effect_at_once() {
    let w = World::new();
    let app = w.app(&config());
    let admin = w.session(&app, "admin.person", Role::Administrator).await;
    let desk_a = w.service("desk-a", Role::Operator, &[w.company(w.a)], &["records:read"]);
    let path = w.record(w.a);
    assert_eq!(fields(&req("GET", &path).token(&desk_a).purpose("T-700").send(&app).await)["user_name"].0, "plain");

    let reply = req("GET", "/v1/policy").token(&admin).purpose("ADM-7").send(&app).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["version"], 0);
    assert_eq!(reply.json["text"], kura::policy::DEFAULT_POLICY);

    let invalid = "permit (principal, action, resource) when { resource.nope };";
    let reply = req("PUT", "/v1/policy").token(&admin).purpose("ADM-7").json(json!({"text": invalid})).send(&app).await;
    assert_error(&reply, 422, "invalid_policy");
    let stricter = format!(
        "{}\n@id(\"names-masked\")\nforbid (principal, action == Kura::Action::\"read_plain\", resource) when {{ resource.type == \"person_name_ja\" }};\n",
        kura::policy::DEFAULT_POLICY
    );
    let body = json!({"text": stricter});
    let reply = req("PUT", "/v1/policy").token(&desk_a).purpose("T-701").json(body.clone()).send(&app).await;
    assert_error(&reply, 403, "forbidden");
    let reply = req("PUT", "/v1/policy").token(&admin).purpose("ADM-7").json(body).send(&app).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["version"], 1);

    // The next read is decided by version 1.
    let after = fields(&req("GET", &path).token(&desk_a).purpose("T-702").send(&app).await);
    assert_eq!(after["user_name"].0, "masked");
    assert_ne!(after["user_name"].1.as_ref(), Some(&w.people[w.a]["user_name"]));
    assert_eq!(after["mobile"].0, "plain");
    let reply = req("GET", "/v1/policy").token(&admin).purpose("ADM-7").send(&app).await;
    assert_eq!((reply.json["version"].as_u64(), reply.json["text"].as_str()), (Some(1), Some(stricter.as_str())));
    let history = req("GET", "/v1/policy/versions").token(&admin).purpose("ADM-7").send(&app).await;
    assert_eq!(history.status, 200, "{}", history.text);
    assert_eq!(history.json.as_array().unwrap().len(), 1);
    assert!(w.log().iter().any(|e| e.action == Action::PolicyChange && e.detail.contains("version 1")));
}

#[tokio::test]
async fn auditors_see_who_accessed_a_record_and_get_proofs_that_check() {
    let w = World::new();
    let app = w.app(&config());
    let desk_a = w.service("desk-a", Role::Operator, &[w.company(w.a)], &["records:read"]);
    let desk_b = w.service("desk-b", Role::Operator, &[w.company(w.b)], &["records:read"]);
    let auditor = w.session(&app, "audit.person", Role::Auditor).await;
    let path = w.record(w.a);
    assert_eq!(req("GET", &path).token(&desk_a).purpose("T-800").send(&app).await.status, 200);
    assert_error(&req("GET", &path).token(&desk_b).purpose("T-801").send(&app).await, 403, "denied");

    // Who accessed the person: the allowed read and the refused one; operators may not ask.
    let accesses = format!("{path}/accesses");
    let reply = req("GET", &accesses).token(&auditor).purpose("AUD-1").send(&app).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let entries = reply.json.as_array().unwrap();
    let deny = entries
        .iter()
        .find(|e| e["principal"] == "desk-b" && e["action"] == "read" && e["outcome"] == "deny")
        .unwrap_or_else(|| panic!("no deny entry: {}", reply.text));
    assert_eq!(deny["purpose"], "T-801");
    assert!(entries.iter().any(|e| e["principal"] == "desk-a" && e["outcome"] == "allow"), "{}", reply.text);
    w.assert_clean(&reply.text, w.a);
    assert_error(&req("GET", &accesses).token(&desk_a).purpose("T-802").send(&app).await, 403, "denied");
    let activity = req("GET", "/v1/principals/desk-b/activity").token(&auditor).purpose("AUD-1").send(&app).await;
    assert_eq!(activity.status, 200, "{}", activity.text);
    assert!(activity.json.as_array().unwrap().iter().any(|e| e["outcome"] == "deny"), "{}", activity.text);

    // No checkpoint yet: no proof.
    let seq = deny["seq"].as_u64().unwrap();
    let proof_path = format!("/v1/audit/entries/{seq}/proof");
    assert_error(&req("GET", &proof_path).token(&auditor).purpose("AUD-2").send(&app).await, 404, "not_found");
    assert_error(&req("GET", "/v1/audit/checkpoint").token(&auditor).send(&app).await, 404, "not_found");

    // Without a signer the server cannot sign.
    let reply = req("POST", "/v1/audit/checkpoint").token(&auditor).purpose("AUD-2").send(&app).await;
    assert_error(&reply, 503, "unavailable");

    // Signed through the API, the checkpoint covers the deny entry; the proof checks with the verifier key.
    let signer = w.vault.create_signer(w.dir.path()).unwrap();
    let reply = req("POST", "/v1/audit/checkpoint").token(&auditor).purpose("AUD-2").send(&app).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let size = reply.json["size"].as_u64().unwrap();
    assert!(size > seq);
    let newest = req("GET", "/v1/audit/checkpoint").token(&desk_a).send(&app).await;
    assert_eq!((newest.status.as_u16(), newest.json["size"].as_u64()), (200, Some(size)));
    let reply = req("GET", &proof_path).token(&auditor).purpose("AUD-3").send(&app).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let proof: kura::audit::proof::Proof = serde_json::from_value(reply.json.clone()).unwrap();
    assert_eq!((proof.index, proof.tree_size), (seq, size));
    let checkpoint = kura::audit::proof::check(&proof, &signer.verifier()).unwrap();
    assert_eq!(checkpoint.size, size);
    assert!(proof.entry.contains("deny"), "{}", proof.entry);
    w.assert_clean(&reply.text, w.a);
    // A tampered proof does not check.
    let mut forged = proof.clone();
    forged.entry = forged.entry.replace("deny", "allow");
    assert!(kura::audit::proof::check(&forged, &signer.verifier()).is_err());
    // Entries after the checkpoint are not covered; operators get no proofs.
    let late = format!("/v1/audit/entries/{}/proof", size + 100);
    assert_error(&req("GET", &late).token(&auditor).purpose("AUD-3").send(&app).await, 404, "not_found");
    assert_error(&req("GET", &proof_path).token(&desk_a).purpose("T-803").send(&app).await, 403, "denied");
    assert_error(&req("POST", "/v1/audit/checkpoint").token(&desk_a).purpose("T-803").send(&app).await, 403, "denied");
}

#[tokio::test]
async fn the_rate_limit_counts_per_principal() {
    let w = World::new();
    let app = w.app(&Config { rate_limit_per_second: 1, rate_limit_burst: 2, ..config() });
    let desk_a = w.service("desk-a", Role::Operator, &[w.company(w.a)], &["records:read"]);
    let desk_b = w.service("desk-b", Role::Operator, &[w.company(w.b)], &["records:read"]);
    let path = w.record(w.a);
    for _ in 0..2 {
        assert_eq!(req("GET", &path).token(&desk_a).purpose("T-900").send(&app).await.status, 200);
    }
    let reply = req("GET", &path).token(&desk_a).purpose("T-900").send(&app).await;
    assert_error(&reply, 429, "rate_limited");
    assert!(reply.header("retry-after").parse::<u64>().unwrap() >= 1, "{:?}", reply.headers);
    w.assert_clean(&reply.text, w.a);
    let collections = req("GET", "/v1/collections").token(&desk_b).send(&app).await;
    assert_eq!(collections.status, 200, "another principal has its own budget: {}", collections.text);
    assert_eq!(collections.json[0]["name"], C);
    // A refused request reads nothing: two reads by desk-a are logged, not three.
    let reads = w.log().iter().filter(|e| e.action == Action::Read && e.principal == "desk-a").count();
    assert_eq!(reads, 2);
}

#[tokio::test]
async fn exports_go_through_four_eyes_and_the_file_matches_its_logged_digest() {
    let w = World::new();
    let app = w.app(&config());
    let company = w.company(w.a);
    let scopes = ["exports:request", "exports:approve", "records:read"];
    let lead = w.service("lead", Role::Supervisor, std::slice::from_ref(&company), &scopes);
    let second = w.service("second", Role::Supervisor, std::slice::from_ref(&company), &scopes);
    let operator = w.service("desk", Role::Operator, std::slice::from_ref(&company), &scopes);
    w.vault
        .set_canary_pools(
            &custodian(),
            "phones = [\"090-0000-3001\"]\n[email]\ndomains = [\"mail.canary-example.jp\"]\n[[mail_drop]]\n\
             postal_code = \"100-0005\"\naddress = \"東京都千代田区丸の内1-2-3 丸の内ビル 301号室\"\n",
        )
        .unwrap();
    let body = json!({
        "collection": C, "companies": [company], "fields": ["user_name", "mobile"], "format": "csv-utf8",
        "recipient": "desk-1", "expires_days": 2, "max_downloads": 1, "dispose_within_days": 7
    });
    // Operators do not export; a bad format is refused before anything.
    let r = req("POST", "/v1/exports").token(&operator).purpose("MAIL-1").json(body.clone()).send(&app).await;
    assert_eq!((r.status.as_u16(), r.json["error"]["code"].as_str()), (403, Some("denied")));
    let mut bad = body.clone();
    bad["format"] = json!("docx");
    let r = req("POST", "/v1/exports").token(&lead).purpose("MAIL-1").json(bad).send(&app).await;
    assert_eq!(r.status, 422, "{}", r.text);
    let r = req("POST", "/v1/exports").token(&lead).purpose("MAIL-1").json(body).send(&app).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json["id"].as_str().unwrap().to_owned();
    // The requester cannot approve; another supervisor does; only the requester downloads, once.
    let approve = format!("/v1/exports/{id}/approve");
    let r = req("POST", &approve).token(&lead).purpose("MAIL-1").send(&app).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = req("POST", &approve).token(&second).purpose("MAIL-1").send(&app).await;
    assert_eq!((r.status.as_u16(), r.json["state"].as_str()), (200, Some("approved")), "{}", r.text);
    let file = format!("/v1/exports/{id}/file");
    let r = req("GET", &file).token(&second).purpose("MAIL-1").send(&app).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = req("GET", &file).token(&lead).purpose("MAIL-1").send(&app).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let expected = w.people.iter().filter(|p| p["company"] == company).count();
    assert_eq!(r.text.lines().count(), expected + 2, "the people, one canary and the header: {}", r.text);
    use sha2::Digest;
    let digest = format!("{:x}", sha2::Sha256::digest(r.text.as_bytes()));
    assert!(w.log().iter().any(|e| e.detail.contains(&format!("file sha256 {digest}"))));
    let r = req("GET", &file).token(&lead).purpose("MAIL-1").send(&app).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = req("POST", &format!("/v1/exports/{id}/disposal")).token(&lead).purpose("MAIL-1").send(&app).await;
    assert_eq!((r.status.as_u16(), r.json["state"].as_str()), (200, Some("disposed")), "{}", r.text);
}
