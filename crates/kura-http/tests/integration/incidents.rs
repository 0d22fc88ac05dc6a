//! Incident response through the router (no socket) on a real vault: an export incident opened from a governed
//! export, its exposure exactly the export's people, the APPI duties, report drafts as versions and as PDF, the
//! notice list as a governed export, clean refusals, and the deadline check reaching the alert webhook.

use std::time::Duration;

use axum::Router;
use kura::principal::Role;
use serde_json::{json, Value};

use crate::alerts::listener;
use crate::api::{config, custodian, req, World, C};
use crate::support::assert_error;

const DAY: i64 = 86_400;

/// A governed export of company A's staff (requested, approved by a second supervisor, downloaded once, so its
/// manifest is in the log); returns its id.
async fn leaked_export(w: &World, app: &Router) -> String {
    let company = w.company(w.a);
    let scopes = ["exports:request", "exports:approve", "records:read"];
    let lead = w.service("lead", Role::Supervisor, std::slice::from_ref(&company), &scopes);
    let second = w.service("second", Role::Supervisor, std::slice::from_ref(&company), &scopes);
    w.vault
        .set_canary_pools(
            &custodian(),
            "phones = [\"090-0000-3001\", \"090-0000-3002\"]\n[email]\ndomains = [\"mail.canary-example.jp\"]\n\
             [[mail_drop]]\npostal_code = \"100-0005\"\naddress = \"東京都千代田区丸の内1-2-3 丸の内ビル 301号室\"\n",
        )
        .unwrap();
    let body = json!({
        "collection": C, "companies": [company], "fields": ["user_name", "mobile"], "format": "csv-utf8",
        "recipient": "desk-1", "expires_days": 2, "max_downloads": 1, "dispose_within_days": 7
    });
    let r = req("POST", "/v1/exports").token(&lead).purpose("MAIL-1").json(body).send(app).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json["id"].as_str().unwrap().to_owned();
    let r = req("POST", &format!("/v1/exports/{id}/approve")).token(&second).purpose("MAIL-1").send(app).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = req("GET", &format!("/v1/exports/{id}/file")).token(&lead).purpose("MAIL-1").send(app).await;
    assert_eq!(r.status, 200, "{}", r.text);
    id
}

fn duty<'a>(assessment: &'a Value, step: &str) -> &'a Value {
    assessment["duties"].as_array().unwrap().iter().find(|d| d["step"] == step).unwrap()
}

#[tokio::test]
async fn an_export_incident_from_exposure_to_final_report_and_notice_list() {
    let w = World::new();
    let app = w.app(&config());
    let export = leaked_export(&w, &app).await;
    let officer = w.session(&app, "sec.officer", Role::SecurityOfficer).await;
    let now = kura::store::now();

    let open = json!({
        "title": "Customer list found on a file-sharing site", "collections": [C],
        "detected_at": now - 3_600, "learned_at": now - 1_800, "scenario": "export",
        "unauthorised_purpose": true, "exports": [export]
    });
    let r = req("POST", "/v1/incidents").token(&officer).purpose("SEC-1").json(open).send(&app).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!((r.json["status"].as_str(), r.json["scenario"].as_str()), (Some("open"), Some("export")));
    let id = r.json["id"].as_str().unwrap().to_owned();
    let base = format!("/v1/incidents/{id}");

    let r = req("GET", "/v1/incidents").token(&officer).purpose("SEC-1").send(&app).await;
    assert_eq!((r.status.as_u16(), r.json.as_array().map(Vec::len)), (200, Some(1)), "{}", r.text);
    let r = req("GET", &base).token(&officer).purpose("SEC-1").send(&app).await;
    assert_eq!((r.status.as_u16(), r.json["exports"][0].as_str()), (200, Some(export.as_str())), "{}", r.text);

    // Exactly the export's people: company A's staff, by record id; the canary is counted apart.
    let r = req("GET", &format!("{base}/exposure")).token(&officer).purpose("SEC-1").send(&app).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let company = w.company(w.a);
    let mut expected: Vec<String> =
        w.people.iter().zip(&w.ids).filter(|(p, _)| p["company"] == company).map(|(_, id)| id.to_string()).collect();
    expected.sort();
    let subjects: Vec<String> =
        r.json["subjects"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect();
    assert_eq!(subjects, expected);
    let x = &r.json["exposure"];
    assert_eq!(x["subjects"].as_u64(), Some(expected.len() as u64), "{x}");
    assert_eq!(x["canaries"].as_u64(), Some(1), "{x}");
    assert_eq!(x["by_company"][0]["name"].as_str(), Some(company.as_str()), "{x}");
    let fields: Vec<&str> = x["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(fields, ["user_name", "mobile"]);
    assert!(!r.json["timeline"].as_array().unwrap().is_empty());
    w.assert_clean(&r.text, w.a);

    // An unauthorised purpose: the APPI preliminary report is required, due within five days of learning.
    let r = req("GET", &format!("{base}/duties")).token(&officer).purpose("SEC-1").send(&app).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let pre = duty(&r.json, "appi_preliminary");
    assert_eq!(pre["required"], true, "{pre}");
    assert!(pre["grounds"].as_array().unwrap().contains(&json!("unauthorised_purpose")), "{pre}");
    assert_eq!(pre["overdue"], false);
    let left = pre["remaining_secs"].as_i64().unwrap();
    assert!(left > 0 && left <= 5 * DAY, "{pre}");
    assert_eq!(duty(&r.json, "pci_notification")["required"], false);

    // No draft yet: no PDF.
    let pdf = format!("{base}/reports/ppc-report.pdf");
    assert_error(&req("GET", &pdf).token(&officer).purpose("SEC-1").send(&app).await, 404, "not_found");

    // Statements, a note, then the preliminary report (version 1) and the final one (version 2).
    let change = json!({"statements": {"organisation": "Example KK", "cause": "an export left the office"}});
    let r = req("PATCH", &base).token(&officer).purpose("SEC-1").json(change).send(&app).await;
    assert_eq!((r.status.as_u16(), r.json["statements"]["cause"].as_str()), (200, Some("an export left the office")));
    let r = req("PATCH", &base).token(&officer).purpose("SEC-1").json(json!({"eu_subjects": null})).send(&app).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let note = json!({"at": now - 600, "text": "the hosting provider took the file down"});
    let r = req("POST", &format!("{base}/notes")).token(&officer).purpose("SEC-1").json(note).send(&app).await;
    assert_eq!((r.status.as_u16(), r.json["notes"][0]["source"].as_str()), (201, Some("manual")), "{}", r.text);

    let reports = format!("{base}/reports");
    let r = req("POST", &reports).token(&officer).purpose("SEC-1").json(json!({"final": false})).send(&app).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!((r.json["version"].as_u64(), r.json["final"].as_bool()), (Some(1), Some(false)));
    let r = req("POST", &reports).token(&officer).purpose("SEC-1").json(json!({"final": true})).send(&app).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!((r.json["version"].as_u64(), r.json["final"].as_bool()), (Some(2), Some(true)));
    let ppc = r.json["documents"].as_array().unwrap().iter().find(|d| d["name"] == "ppc-report").unwrap();
    let markdown = ppc["markdown"].as_str().unwrap();
    for item in kura::incident::drafts::PPC_ITEMS {
        assert!(markdown.contains(item), "`{item}` missing");
    }
    assert!(ppc["html"].as_str().unwrap().starts_with("<!DOCTYPE html>"), "{}", ppc["html"]);
    assert_eq!(duty(&r.json["duties"], "appi_final")["required"], true);
    w.assert_clean(&r.text, w.a);
    let r = req("GET", &base).token(&officer).purpose("SEC-1").send(&app).await;
    let versions: Vec<u64> =
        r.json["reports"].as_array().unwrap().iter().map(|v| v["version"].as_u64().unwrap()).collect();
    assert_eq!((versions, r.json["status"].as_str()), (vec![1, 2], Some("reported")));

    // The PDF of the latest version, drafted again without adding a version.
    let r = req("GET", &pdf).token(&officer).purpose("SEC-1").send(&app).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.header("content-type"), "application/pdf");
    assert!(r.text.starts_with("%PDF"));
    assert!(r.header("content-disposition").contains("ppc-report-v2.pdf"));
    let r = req("GET", &base).token(&officer).purpose("SEC-1").send(&app).await;
    assert_eq!(r.json["reports"].as_array().map(Vec::len), Some(2));
    let r = req("GET", &format!("{base}/reports/ppc-report.docx")).token(&officer).purpose("SEC-1").send(&app).await;
    assert_error(&r, 404, "not_found");

    // The notice list: a governed export of the data subjects' contact fields, under the incident id.
    let body = json!({"fields": ["user_name", "email"], "format": "csv-utf8", "recipient": "mailing-house"});
    let r = req("POST", &format!("{base}/notice-list")).token(&officer).purpose("SEC-1").json(body).send(&app).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!((r.json["state"].as_str(), r.json["purpose"].as_str()), (Some("requested"), Some(id.as_str())));

    // Closed; an auditor reads it but computes nothing.
    let r = req("PATCH", &base).token(&officer).purpose("SEC-1").json(json!({"status": "closed"})).send(&app).await;
    assert_eq!((r.status.as_u16(), r.json["status"].as_str()), (200, Some("closed")), "{}", r.text);
    let auditor = w.service("audit-svc", Role::Auditor, &[], &["audit:read"]);
    let r = req("GET", &base).token(&auditor).purpose("AUD-1").send(&app).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_error(
        &req("GET", &format!("{base}/exposure")).token(&auditor).purpose("AUD-1").send(&app).await,
        403,
        "denied",
    );
}

#[tokio::test]
async fn incidents_refuse_operators_unknown_ids_and_bad_bodies_without_echo() {
    let w = World::new();
    let app = w.app(&config());
    let officer = w.session(&app, "sec.officer", Role::SecurityOfficer).await;
    let operator = w.service("desk", Role::Operator, &[w.company(w.a)], &["records:read", "audit:read"]);
    let now = kura::store::now();
    let valid = json!({"title": "Lost laptop", "collections": [C], "detected_at": now, "learned_at": now,
                       "scenario": "access", "principals": ["desk"]});

    // An operator: refused, and logged, before anything else.
    let r = req("POST", "/v1/incidents").token(&operator).purpose("T-1").json(valid.clone()).send(&app).await;
    assert_error(&r, 403, "denied");
    assert_error(&req("GET", "/v1/incidents").token(&operator).purpose("T-1").send(&app).await, 403, "denied");
    let mut stolen = valid.clone();
    stolen["scenario"] = json!("stolen_database");
    let r = req("POST", "/v1/incidents").token(&operator).purpose("T-1").json(stolen.clone()).send(&app).await;
    assert_error(&r, 403, "denied");

    // Unknown and malformed ids: 404.
    for path in ["/v1/incidents/INC-20000101-0000", "/v1/incidents/nope", "/v1/incidents/INC-20000101-0000/duties"] {
        assert_error(&req("GET", path).token(&officer).purpose("SEC-1").send(&app).await, 404, "not_found");
    }

    // A stolen database is opened with the CLI, where the copy's files are.
    let r = req("POST", "/v1/incidents").token(&officer).purpose("SEC-1").json(stolen).send(&app).await;
    assert_error(&r, 422, "invalid_incident");
    assert!(
        r.json["error"]["message"].as_str().unwrap().contains("kura incident open --scenario stolen-database"),
        "{}",
        r.text
    );

    // Bad bodies: 422, and nothing typed comes back.
    let secret = w.people[w.a]["mobile"].clone();
    let mut wrong_type = valid.clone();
    wrong_type["detected_at"] = json!(secret);
    let mut unknown = valid.clone();
    unknown[secret.as_str()] = json!(1);
    let mut empty_title = valid.clone();
    empty_title["title"] = json!("   ");
    let mut backwards = valid.clone();
    backwards["window"] = json!({"from": now, "to": now - 1});
    let mut keys = valid.clone();
    keys["keys_separate"] = json!(true);
    for (body, code) in [
        (wrong_type, "invalid_body"),
        (unknown, "invalid_body"),
        (empty_title, "invalid_incident"),
        (backwards, "invalid_incident"),
        (keys, "invalid_incident"),
    ] {
        let r = req("POST", "/v1/incidents").token(&officer).purpose("SEC-1").json(body).send(&app).await;
        assert_error(&r, 422, code);
        assert!(!r.text.contains(&secret), "{}", r.text);
    }
    let r = req("POST", "/v1/incidents").token(&officer).purpose("SEC-1").json(valid).send(&app).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let base = format!("/v1/incidents/{}", r.json["id"].as_str().unwrap());
    let r = req("PATCH", &base).token(&officer).purpose("SEC-1").json(json!({})).send(&app).await;
    assert_error(&r, 422, "invalid_incident");
    let r = req("PATCH", &base).token(&officer).purpose("SEC-1").json(json!({"status": secret})).send(&app).await;
    assert_error(&r, 422, "invalid_body");
    assert!(!r.text.contains(&secret), "{}", r.text);
    let note = json!({"at": now, "text": format!("{secret}\u{7}")});
    let r = req("POST", &format!("{base}/notes")).token(&officer).purpose("SEC-1").json(note).send(&app).await;
    assert_error(&r, 422, "invalid_incident");
    assert!(!r.text.contains(&secret), "{}", r.text);
    let r = req("POST", &format!("{base}/notice-list"))
        .token(&officer)
        .purpose("SEC-1")
        .json(json!({"fields": ["email"], "format": "docx", "recipient": "mailing-house"}))
        .send(&app)
        .await;
    assert_error(&r, 422, "invalid_body");
    // Nobody's data was read in scope: there is no one to notify.
    let r = req("POST", &format!("{base}/notice-list"))
        .token(&officer)
        .purpose("SEC-1")
        .json(json!({"fields": ["email"], "format": "csv-utf8", "recipient": "mailing-house"}))
        .send(&app)
        .await;
    assert_error(&r, 422, "invalid_incident");
    // The log names the incident, never a note's text.
    assert!(w.log().iter().all(|e| !e.detail.contains(&secret)));
}

#[tokio::test]
async fn overdue_deadlines_reach_the_alert_webhook() {
    let w = World::new();
    let (addr, mut received) = listener().await;
    let config = kura_http::Config { alert_webhook: Some(format!("http://{addr}/hooks/kura")), ..config() };
    assert!(kura_http::webhook::register_configured(&w.vault, &config).unwrap());
    let app = w.app(&config);
    let export = leaked_export(&w, &app).await;
    let officer = w.session(&app, "sec.officer", Role::SecurityOfficer).await;
    // Learned of 70 days ago, preliminary report drafted: the final report (60 days, for an unauthorised
    // purpose) is overdue.
    let now = kura::store::now();
    let open = json!({"title": "Old leak", "collections": [C], "detected_at": now - 71 * DAY,
                      "learned_at": now - 70 * DAY, "scenario": "export", "unauthorised_purpose": true,
                      "exports": [export]});
    let r = req("POST", "/v1/incidents").token(&officer).purpose("SEC-1").json(open).send(&app).await;
    let id = r.json["id"].as_str().unwrap().to_owned();
    let r = req("POST", &format!("/v1/incidents/{id}/reports")).token(&officer).purpose("SEC-1").json(json!({}));
    assert_eq!(r.send(&app).await.status, 201);

    let task = tokio::spawn(kura_http::api::watch_deadlines(w.vault.clone(), Duration::from_millis(50)));
    let alert = loop {
        let (_, _, body) = tokio::time::timeout(Duration::from_secs(10), received.recv()).await.unwrap().unwrap();
        let alert: Value = serde_json::from_slice(&body).unwrap();
        if alert["rule"] == "incident_deadline" {
            break alert;
        }
    };
    assert!(alert["detail"].as_str().unwrap().contains(&id), "{alert}");
    assert_eq!(alert["severity"], "critical", "{alert}");
    // Once per duty: later rounds raise nothing more for it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    task.abort();
    let r = req("GET", &format!("/v1/incidents/{id}")).token(&officer).purpose("SEC-1").send(&app).await;
    assert!(r.json["alerted"].as_array().unwrap().contains(&json!("appi_final:overdue")), "{}", r.text);
    let r = req("GET", "/v1/alerts").token(&officer).purpose("SEC-1").send(&app).await;
    let deadline_alerts =
        r.json.as_array().unwrap().iter().filter(|a| a["detail"].as_str().unwrap().contains(&id)).count();
    assert_eq!(deadline_alerts, 1);
}
