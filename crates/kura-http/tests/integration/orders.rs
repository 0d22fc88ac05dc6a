//! The service desk's API through the router (no socket): orders taken, assigned, moved and escalated; a
//! person read through an order sees exactly the fields the order's type needs, logged with the order id as
//! purpose; partners read only during their escalation; with orders required, desk staff read only through
//! orders or break-glass, which raises an alert.

use std::collections::BTreeSet;

use kura::audit::Action;
use kura::principal::{Kind, Principal, Role};
use serde_json::{json, Value};

use crate::api::{config, custodian, fields, req, World, C};
use crate::support::assert_error;

/// Only the alerts under test: nothing fires by the clock.
const RULES: &str = "[off_hours]\nenabled = false\n";

/// What a battery shipment needs: a shipping label.
const LABEL: [&str; 3] = ["home_address", "home_postal_code", "user_name"];

/// A principal of `kind` with one role, a team and one company, as stored.
fn principal(name: &str, kind: Kind, role: Role, team: &str, company: &str) -> Principal {
    Principal::new(name, kind, [role].into(), Some(team.to_owned()), [company.to_owned()].into()).unwrap()
}

/// A service account added to the vault, with an API token of `scopes`.
fn service(w: &World, p: &Principal, scopes: &[&str]) -> String {
    w.vault.add_principal(&custodian(), p).unwrap();
    w.token(&p.name, scopes, kura::store::now() + 3600)
}

/// The names of the fields a record reply shows a value of.
fn shown(reply: &crate::support::Reply) -> BTreeSet<String> {
    fields(reply).into_iter().filter(|(_, (_, v))| v.is_some()).map(|(k, _)| k).collect()
}

fn label() -> BTreeSet<String> {
    LABEL.iter().map(|s| (*s).to_owned()).collect()
}

/// Another person of person `a`'s company.
fn colleague(w: &World) -> usize {
    (0..w.people.len()).find(|&i| i != w.a && w.company(i) == w.company(w.a)).unwrap()
}

/// `POST path` with a JSON body as `token`.
async fn post(app: &axum::Router, token: &str, path: &str, body: Value) -> crate::support::Reply {
    req("POST", path).token(token).purpose("DESK-1").json(body).send(app).await
}

/// Takes a battery-shipment order for person `a`, assigns it to `desk-op` of `desk-1` and starts work on it.
async fn open_order(w: &World, app: &axum::Router, op: &str) -> String {
    let path = format!("/v1/collections/{C}/orders");
    let body = json!({"company": w.company(w.a), "type": "battery_shipment", "people": [w.ids[w.a].to_string()]});
    let reply = post(app, op, &path, body).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.json["status"], "received");
    assert_eq!(reply.json["priority"], "normal", "the default priority");
    assert_eq!(reply.json["type"], "battery_shipment");
    assert_eq!(reply.json["collection"], C);
    assert_eq!(reply.json["people"], json!([w.ids[w.a].to_string()]));
    let id = reply.json["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("ORD-"), "{id}");

    let reply =
        post(app, op, &format!("/v1/orders/{id}/assign"), json!({"assignee": "desk-op", "team": "desk-1"})).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!((&reply.json["assignee"], &reply.json["team"]), (&json!("desk-op"), &json!("desk-1")));
    let reply = post(app, op, &format!("/v1/orders/{id}/status"), json!({"status": "in_progress", "note": ""})).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["status"], "in_progress");
    assert_eq!(reply.json["history"][0]["to"], "in_progress");
    id
}

#[tokio::test]
async fn an_operator_reads_a_shipping_label_through_its_open_order_only() {
    let w = World::new();
    w.vault.set_alert_rules(&custodian(), RULES).unwrap();
    let app = w.app(&config());
    let company = w.company(w.a);
    let op_p = principal("desk-op", Kind::Service, Role::Operator, "desk-1", &company);
    let op = service(&w, &op_p, &["records:read", "records:write"]);
    let id = open_order(&w, &app, &op).await;

    // The order is listed and shown; an id that is not one, or is nobody's, is 404 alike.
    let reply = req("GET", "/v1/orders").token(&op).purpose("DESK-1").send(&app).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.json.as_array().unwrap().iter().any(|o| o["id"] == id.as_str()), "{}", reply.text);
    let reply = req("GET", &format!("/v1/orders/{id}")).token(&op).purpose("DESK-1").send(&app).await;
    assert_eq!((reply.status.as_u16(), &reply.json["id"]), (200, &json!(id)), "{}", reply.text);
    for unknown in ["ORD-00000000", "nonsense", "ORD-12x"] {
        let reply = req("GET", &format!("/v1/orders/{unknown}")).token(&op).purpose("DESK-1").send(&app).await;
        assert_error(&reply, 404, "not_found");
    }

    // Through the order: exactly a shipping label, logged with the order id as purpose.
    let person = format!("/v1/orders/{id}/people/{}", w.ids[w.a]);
    let reply = req("GET", &person).token(&op).purpose("DESK-1").send(&app).await;
    assert_eq!(shown(&reply), label(), "{}", reply.text);
    for (name, (_, value)) in fields(&reply) {
        assert_eq!(value.as_ref(), if LABEL.contains(&name.as_str()) { w.people[w.a].get(&name) } else { None });
    }
    let read = w.log().into_iter().rfind(|e| e.action == Action::Read).unwrap();
    assert_eq!((read.purpose.as_str(), read.principal.as_str()), (id.as_str(), "desk-op"));
    assert_eq!(read.fields.iter().cloned().collect::<BTreeSet<_>>(), label());

    // Someone the order is not about: refused, without a word about them.
    let c = colleague(&w);
    let reply =
        req("GET", &format!("/v1/orders/{id}/people/{}", w.ids[c])).token(&op).purpose("DESK-1").send(&app).await;
    assert_error(&reply, 403, "denied");
    w.assert_clean(&reply.text, c);

    // Bodies that do not fit, and moves the order's status does not allow.
    let orders = format!("/v1/collections/{C}/orders");
    let reply =
        post(&app, &op, &orders, json!({"company": company, "type": "battery_shipment", "people": ["x"]})).await;
    assert_error(&reply, 422, "invalid_body");
    let reply = post(&app, &op, &orders, json!({"company": company, "type": "teleport", "people": []})).await;
    assert_error(&reply, 422, "invalid_body");
    assert!(!reply.text.contains("teleport"), "{}", reply.text);
    let other = w.ids[w.b].to_string();
    let reply = post(&app, &op, &orders, json!({"company": company, "type": "repair", "people": [other]})).await;
    assert!(reply.status.is_client_error(), "{}", reply.text);
    assert!(!reply.text.contains(&other), "the record id sent is not repeated: {}", reply.text);
    let reply = post(&app, &op, &format!("/v1/orders/{id}/status"), json!({"status": "in_progress"})).await;
    assert_error(&reply, 409, "conflict");

    // Done: the order reads nothing any more, and nothing moves it.
    let reply = post(&app, &op, &format!("/v1/orders/{id}/status"), json!({"status": "done", "note": "shipped"})).await;
    assert_eq!((reply.status.as_u16(), &reply.json["status"]), (200, &json!("done")), "{}", reply.text);
    assert_error(&req("GET", &person).token(&op).purpose("DESK-1").send(&app).await, 403, "denied");
    let reply = post(&app, &op, &format!("/v1/orders/{id}/assign"), json!({"assignee": null, "team": null})).await;
    assert_error(&reply, 409, "conflict");

    // Orders required (administrators only): desk staff who are people read only through orders…
    let admin = w.session(&app, "admin.person", Role::Administrator).await;
    let reply =
        req("PUT", "/v1/orders/required").token(&op).purpose("ADM-1").json(json!({"required": true})).send(&app).await;
    assert_error(&reply, 403, "denied");
    let reply = req("PUT", "/v1/orders/required")
        .token(&admin)
        .purpose("ADM-1")
        .json(json!({"required": true}))
        .send(&app)
        .await;
    assert_eq!((reply.status.as_u16(), &reply.json), (200, &json!({"required": true})), "{}", reply.text);
    let clerk = w.session_of(&app, &principal("desk.clerk", Kind::Employee, Role::Operator, "desk-1", &company)).await;
    let reply = req("GET", &w.record(w.a)).token(&clerk).purpose("DESK-1").send(&app).await;
    assert_error(&reply, 403, "denied");
    w.assert_clean(&reply.text, w.a);
    // …while a service keeps its policy (the vault's rule: the switch binds people, not systems).
    let reply = req("GET", &w.record(w.a)).token(&op).purpose("DESK-1").send(&app).await;
    assert_eq!(reply.status, 200, "{}", reply.text);

    // Break-glass: a reason that is not one is refused, and services may not break the glass at all.
    let glass = format!("{}/break-glass", w.record(w.a));
    let reply = post(&app, &clerk, &glass, json!({"reason": "urgent", "order": null})).await;
    assert_error(&reply, 422, "invalid_break_glass");
    let reason = "caller reports a stolen phone, order system down";
    let reply = post(&app, &op, &glass, json!({"reason": reason, "order": null})).await;
    assert!(reply.status.is_client_error(), "{}", reply.text);
    let reply = post(&app, &clerk, &glass, json!({"reason": reason, "order": "not an order"})).await;
    assert_error(&reply, 422, "invalid_body");
    let reply = post(&app, &clerk, &glass, json!({"reason": reason, "order": id})).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["id"], w.ids[w.a].to_string());
    assert!(shown(&reply).contains("mobile"), "read under the normal policy: {}", reply.text);

    // The security officers see one break-glass alert, by the clerk.
    let officer = w.session(&app, "sec.officer", Role::SecurityOfficer).await;
    let reply = req("GET", "/v1/alerts").token(&officer).purpose("INC-1").send(&app).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let glass: Vec<&Value> = reply.json.as_array().unwrap().iter().filter(|a| a["rule"] == "break_glass").collect();
    assert_eq!(glass.len(), 1, "{}", reply.text);
    assert_eq!(glass[0]["principal"], "desk.clerk");
    let read = w.log().into_iter().rfind(|e| e.action == Action::Read).unwrap();
    assert!(read.detail.starts_with("BREAK-GLASS"), "{}", read.detail);
    assert!(!read.detail.contains("stolen phone"), "the reason stays out of the published log");
}

#[tokio::test]
async fn a_partner_reads_during_its_escalation_only() {
    let w = World::new();
    w.vault.set_alert_rules(&custodian(), RULES).unwrap();
    let app = w.app(&config());
    let company = w.company(w.a);
    let op = service(
        &w,
        &principal("desk-op", Kind::Service, Role::Operator, "desk-1", &company),
        &["records:read", "records:write"],
    );
    let courier_p = principal("hayate-api", Kind::Service, Role::Operator, "hayate-express", &company);
    let courier = service(&w, &courier_p, &["records:read"]);
    let id = open_order(&w, &app, &op).await;
    let person = format!("/v1/orders/{id}/people/{}", w.ids[w.a]);
    let escalation = format!("/v1/orders/{id}/escalation");

    // Before the escalation the partner reads nothing.
    assert_error(&req("GET", &person).token(&courier).purpose("HX-1").send(&app).await, 403, "denied");

    // Escalation bodies name a team or a partner with its kind, for 1 to 2160 hours.
    let reason = "ship the replacement battery";
    for body in [
        json!({"team": "account-team", "partner": "hayate-express", "partner_kind": "courier", "hours": 4, "reason": reason}),
        json!({"partner": "hayate-express", "hours": 4, "reason": reason}),
        json!({"partner": "hayate-express", "partner_kind": "courier", "hours": 0, "reason": reason}),
        json!({"partner": "hayate-express", "partner_kind": "courier", "hours": 2161, "reason": reason}),
        json!({"partner": "hayate-express", "partner_kind": "drone", "hours": 4, "reason": reason}),
    ] {
        assert_error(&post(&app, &op, &escalation, body).await, 422, "invalid_body");
    }
    let body = json!({"partner": "hayate-express", "partner_kind": "courier", "hours": 4, "reason": reason});
    let reply = post(&app, &op, &escalation, body.clone()).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["status"], "escalated");
    let e = &reply.json["escalation"];
    assert_eq!(
        (&e["partner"], &e["partner_kind"], &e["team"]),
        (&json!("hayate-express"), &json!("courier"), &Value::Null)
    );
    assert!(e["until"].as_i64().unwrap() > e["at"].as_i64().unwrap() + 3 * 3600);
    assert_error(&post(&app, &op, &escalation, body).await, 409, "conflict");

    // During it: the partner's view of a battery shipment is the shipping label.
    let reply = req("GET", &person).token(&courier).purpose("HX-1").send(&app).await;
    assert_eq!(shown(&reply), label(), "{}", reply.text);
    let reply = req("GET", &format!("/v1/orders/{id}")).token(&courier).purpose("HX-1").send(&app).await;
    assert_eq!(reply.status, 200, "{}", reply.text);

    // Ended (a window ends at the earliest a second after it starts): nothing any more.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let reply = req("DELETE", &escalation).token(&op).purpose("DESK-1").send(&app).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.json["escalation"]["until"].as_i64().is_some(), "{}", reply.text);
    assert_error(&req("GET", &person).token(&courier).purpose("HX-1").send(&app).await, 403, "denied");
    assert_error(&req("DELETE", &escalation).token(&op).purpose("DESK-1").send(&app).await, 409, "conflict");
    // The operator still reads through the order it works on.
    let reply = req("GET", &person).token(&op).purpose("DESK-1").send(&app).await;
    assert_eq!(shown(&reply), label(), "{}", reply.text);
}

#[tokio::test]
async fn a_shipping_order_prints_its_labels_as_a_governed_print_job() {
    let w = World::new();
    w.vault.set_alert_rules(&custodian(), RULES).unwrap();
    w.vault
        .set_canary_pools(
            &custodian(),
            "phones = [\"090-0000-3001\"]\n[email]\ndomains = [\"mail.canary-example.jp\"]\n[[mail_drop]]\n\
             postal_code = \"100-0005\"\naddress = \"東京都千代田区丸の内1-2-3 丸の内ビル 301号室\"\n",
        )
        .unwrap();
    let app = w.app(&config());
    let company = w.company(w.a);
    let op_p = principal("desk-op", Kind::Service, Role::Operator, "desk-1", &company);
    let op = service(&w, &op_p, &["records:read", "records:write", "exports:request"]);
    let lead_p = principal("desk-lead", Kind::Service, Role::Supervisor, "desk-1", &company);
    let lead = service(&w, &lead_p, &["exports:approve"]);
    let id = open_order(&w, &app, &op).await;

    // Someone the order is not assigned to gets nothing; a body without a recipient is refused.
    let stranger_p = principal("desk-x", Kind::Service, Role::Operator, "desk-2", &company);
    let stranger = service(&w, &stranger_p, &["records:read", "exports:request"]);
    let labels = format!("/v1/orders/{id}/labels");
    assert_error(&post(&app, &stranger, &labels, json!({"recipient": "courier hayate"})).await, 403, "denied");
    assert_error(&post(&app, &op, &labels, json!({})).await, 422, "invalid_body");
    assert_error(&post(&app, &op, "/v1/orders/ORD-00000000/labels", json!({"recipient": "x"})).await, 404, "not_found");

    // The assignee requests the labels: one label of the order's person, the order's fields, for approval.
    let reply = post(&app, &op, &labels, json!({"recipient": "courier hayate"})).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!((reply.json["state"].as_str(), reply.json["format"].as_str()), (Some("requested"), Some("labels")));
    assert_eq!(reply.json["purpose"], id.as_str());
    assert_eq!(reply.json["fields"], json!(["user_name", "home_postal_code", "home_address"]));
    let job = reply.json["id"].as_str().unwrap().to_owned();

    // A supervisor approves it as shipping work; the operator prints it once, under the order id.
    let reply = req("POST", &format!("/v1/exports/{job}/approve"))
        .token(&lead)
        .purpose("DESK-1")
        .kind("shipping")
        .send(&app)
        .await;
    assert_eq!((reply.status.as_u16(), reply.json["state"].as_str()), (200, Some("approved")), "{}", reply.text);
    let file = format!("/v1/exports/{job}/file");
    let reply = req("GET", &file).token(&op).purpose(&id).kind("shipping").send(&app).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.headers["content-type"], "application/pdf");
    let reply = req("GET", &file).token(&op).purpose(&id).kind("shipping").send(&app).await;
    assert_error(&reply, 403, "denied");
    let download = w.log().into_iter().rfind(|e| e.action == Action::Export && e.detail.contains("download")).unwrap();
    assert_eq!(download.purpose, id, "the print job is downloaded under the order id");

    // An inquiry ships nothing.
    let body = json!({"company": company, "type": "inquiry", "people": [w.ids[w.a].to_string()]});
    let reply = post(&app, &op, &format!("/v1/collections/{C}/orders"), body).await;
    let inquiry = reply.json["id"].as_str().unwrap().to_owned();
    let reply = post(&app, &op, &format!("/v1/orders/{inquiry}/labels"), json!({"recipient": "courier"})).await;
    assert_error(&reply, 422, "invalid_order");
}

#[tokio::test]
async fn a_file_of_orders_is_taken_whole_or_refused_by_line() {
    let w = World::new();
    let app = w.app(&config());
    let company = w.company(w.a);
    let op_p = principal("desk-op", Kind::Service, Role::Operator, "desk-1", &company);
    let op = service(&w, &op_p, &["records:read", "records:write"]);
    let path = format!("/v1/collections/{C}/orders/import");
    let (a, b) = (w.ids[w.a].to_string(), w.ids[w.b].to_string());
    // Person b is of another company: nothing is taken, the line is named, the id is not repeated.
    let csv = format!("company,type,people\n{company},repair,{a}\n{company},repair,{b}\n");
    let reply = post(&app, &op, &path, json!({ "csv": csv })).await;
    assert_error(&reply, 422, "invalid_orders_file");
    assert!(reply.text.contains("line 3"), "{}", reply.text);
    assert!(!reply.text.contains(&b), "{}", reply.text);
    let listed = req("GET", "/v1/orders").token(&op).purpose("DESK-1").send(&app).await;
    assert_eq!(listed.json, json!([]), "nothing was taken");

    let csv = format!("company,type,people,priority\n{company},repair,{a},high\n{company},inquiry,,\n");
    let reply = post(&app, &op, &path, json!({ "csv": csv })).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let taken = reply.json.as_array().unwrap();
    assert_eq!(taken.len(), 2);
    assert_eq!((&taken[0]["type"], &taken[0]["priority"]), (&json!("repair"), &json!("high")));
    assert_eq!(taken[1]["type"], "inquiry");
    let listed = req("GET", "/v1/orders").token(&op).purpose("DESK-1").send(&app).await;
    assert_eq!(listed.json.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn the_desk_report_holds_every_read_against_the_orders() {
    let w = World::new();
    w.vault.set_alert_rules(&custodian(), RULES).unwrap();
    let app = w.app(&config());
    let company = w.company(w.a);
    let op_p = principal("desk-op", Kind::Service, Role::Operator, "desk-1", &company);
    let op = service(&w, &op_p, &["records:read", "records:write"]);
    let id = open_order(&w, &app, &op).await;
    // One read through the order, one plain read outside any order (a finding).
    let reply =
        req("GET", &format!("/v1/orders/{id}/people/{}", w.ids[w.a])).token(&op).purpose("DESK-1").send(&app).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = req("GET", &w.record(w.a)).token(&op).purpose("DESK-1").send(&app).await;
    assert_eq!(reply.status, 200, "{}", reply.text);

    let path = format!("/v1/collections/{C}/desk/report");
    assert_error(&req("GET", &path).token(&op).purpose("DESK-1").send(&app).await, 403, "denied");
    let officer = w.session(&app, "sec.officer", Role::SecurityOfficer).await;
    let reply = req("GET", &path).token(&officer).purpose("AUDIT-1").send(&app).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["summary"]["orders"], 1, "{}", reply.text);
    assert_eq!(reply.json["summary"]["backlog"]["open"], 1, "{}", reply.text);
    let findings = reply.json["reads"]["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "the plain read is the one finding: {}", reply.text);
    assert_eq!(findings[0]["principal"], "desk-op");
    assert!(findings[0]["order"].is_null());
    let shipment = reply.json["reads"]["per_type"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "battery_shipment")
        .cloned()
        .unwrap();
    assert_eq!((shipment["reads"].as_u64(), shipment["findings"].as_u64()), (Some(1), Some(0)), "{shipment}");
    assert!(reply.json["charts"].as_array().unwrap().contains(&json!("findings_per_principal")));
    let chart = format!("/v1/collections/{C}/desk/charts/findings_per_principal");
    let reply = req("GET", &chart).token(&officer).purpose("AUDIT-1").send(&app).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.headers["content-type"], "image/svg+xml");
    assert!(reply.text.starts_with("<svg") || reply.text.starts_with("<?xml"), "{}", reply.text);
    assert!(reply.text.contains("desk-op"));
    let missing = format!("/v1/collections/{C}/desk/charts/nonsense");
    assert_error(&req("GET", &missing).token(&officer).purpose("AUDIT-1").send(&app).await, 404, "not_found");
}
