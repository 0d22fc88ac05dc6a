//! `kura incident` from the command line: an operator's reads become an incident whose exposure matches what
//! was read, report drafts are written as new files version after version, and nothing is overwritten.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;

use crate::{companies, csv_rows, s, Env};

#[test]
fn incident_from_reads_to_report_drafts() {
    let env = Env::new();
    env.setup("corporate-mobile");
    let csv = env.path("people.csv");
    env.ok(&["generate", "corporate", "--companies", "3", "--employees", "30", "--seed", "5", "--out", s(&csv)]);
    env.ok(&["import", "corporate-mobile", s(&csv)]);
    let company = companies(&csv).remove(0);
    let of_company: Vec<_> = csv_rows(&csv).into_iter().filter(|r| r["company"] == company).collect();
    assert!(of_company.len() >= 4, "the fixture needs four people in one company");

    // The insider reads four people of their company.
    let op = env.person("op", "operator", std::slice::from_ref(&company));
    env.use_token(Some(&op));
    let mut read = BTreeSet::new();
    for p in &of_company[..4] {
        let json =
            env.ok(&["get", "corporate-mobile", &p["employee_id"], "--external-id", "--purpose", "T-1", "--json"]);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        read.insert(v[0]["id"].as_str().unwrap().to_owned());
    }
    // Operators handle no incidents.
    let err = env.fails(&["incident", "list", "--purpose", "INC-CASE-1"], 7);
    assert!(err.contains("denied") && err.contains("hint:"), "{err}");

    let officer = env.person("sec", "security-officer", &[]);
    env.use_token(Some(&officer));
    let id = env
        .ok(&[
            "incident",
            "open",
            "--collection",
            "corporate-mobile",
            "--title",
            "an operator copied customer records",
            "--principal",
            "op",
            "--detected-at",
            "2026-11-28 10:00",
            "--learned-at",
            "2026-11-28T02:00:00Z",
            "--unauthorised",
            "--purpose",
            "INC-CASE-1",
        ])
        .trim()
        .to_owned();
    assert!(id.starts_with("INC-"), "{id}");
    assert!(env.ok(&["incident", "list", "--purpose", "INC-CASE-1"]).contains(&id));
    env.fails(&["incident", "show", "INC-20000101-0000"], 4);
    env.fails(
        &[
            "incident",
            "open",
            "--collection",
            "corporate-mobile",
            "--title",
            "x",
            "--learned-at",
            "soon",
            "--purpose",
            "P",
        ],
        1,
    );

    // Did view: exactly the four read; could have viewed: everyone of the operator's company.
    let subjects = env.path("subjects.txt");
    let json = env.ok(&["incident", "exposure", &id, "--json", "--subjects", s(&subjects)]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let x = &v["exposure"];
    assert_eq!(x["subjects"], 4, "{json}");
    assert_eq!(x["could_have_viewed"], of_company.len() as u64, "{json}");
    assert_eq!(x["by_company"][0][1], 4, "{json}");
    assert_eq!((x["honey"].as_u64(), x["canaries"].as_u64()), (Some(0), Some(0)));
    let name = x["fields"].as_array().unwrap().iter().find(|f| f["name"] == "user_name").unwrap();
    assert_eq!((name["subjects"].as_u64(), name["plain"].as_u64()), (Some(4), Some(4)), "{json}");
    let listed: BTreeSet<String> = std::fs::read_to_string(&subjects).unwrap().lines().map(str::to_owned).collect();
    assert_eq!(listed, read);
    assert_eq!(std::fs::metadata(&subjects).unwrap().permissions().mode() & 0o777, 0o600);
    for p in &of_company {
        assert!(!json.contains(&p["user_name"]), "no personal value in the exposure");
    }
    let text = env.ok(&["incident", "exposure", &id]);
    assert!(text.contains("did view:          4 people") && text.contains("user_name"), "{text}");
    // The subjects file is never overwritten.
    env.fails(&["incident", "exposure", &id, "--subjects", s(&subjects)], 1);

    // An unauthorised purpose: the APPI reports are required, the final one within 60 days.
    let duties = env.ok(&["incident", "duties", &id]);
    assert!(duties.contains("preliminary report to the PPC") && duties.contains("required: yes"), "{duties}");
    assert!(duties.contains("within 60 days"), "{duties}");

    let statements = env.path("statements.toml");
    std::fs::write(&statements, "organisation = \"株式会社サンプル通信\"\ncause = \"業務外の閲覧\"\n").unwrap();
    let state = env.ok(&["incident", "state", &id, "--statements", s(&statements), "--eu", "0"]);
    assert!(state.contains("statements present: organisation, cause"), "{state}");
    let unknown = env.path("unknown.toml");
    std::fs::write(&unknown, "colour = \"red\"\n").unwrap();
    let err = env.fails(&["incident", "state", &id, "--statements", s(&unknown)], 1);
    assert!(err.contains("colour"), "{err}");
    env.ok(&["incident", "note", &id, "--at", "2026-11-28 09:30", "--text", "異常な閲覧のアラートを受信"]);

    // Report drafts in three formats, as version 1 and then 2.
    let out = env.path("drafts");
    let report = env.ok(&["incident", "report", &id, "--out", s(&out), "--format", "md,html,pdf"]);
    assert!(report.contains("blanks left to fill") && report.contains("required duties:"), "{report}");
    for stem in ["ppc-report", "notice-to-individuals", "public-statement"] {
        for ext in ["md", "html", "pdf"] {
            let f = out.join(format!("{id}-v1-{stem}.{ext}"));
            assert!(f.is_file(), "{} missing: {report}", f.display());
            assert_eq!(std::fs::metadata(&f).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
    assert!(!out.join(format!("{id}-v1-gdpr-notification.md")).exists(), "no EU data subjects");
    let pdf = std::fs::read(out.join(format!("{id}-v1-ppc-report.pdf"))).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let md = std::fs::read_to_string(out.join(format!("{id}-v1-ppc-report.md"))).unwrap();
    for item in kura::incident::drafts::PPC_ITEMS {
        assert!(md.contains(item), "`{item}` missing from the PPC report");
    }
    assert!(md.contains("株式会社サンプル通信"), "the stated organisation is in the draft");
    let names: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "no temporary file left: {names:?}");

    env.ok(&["incident", "report", &id, "--out", s(&out), "--format", "md"]);
    assert!(out.join(format!("{id}-v2-ppc-report.md")).is_file());
    // A file in the way of version 3 is never overwritten, and costs no version.
    let blocker = out.join(format!("{id}-v3-ppc-report.md"));
    std::fs::write(&blocker, "mine").unwrap();
    let err = env.fails(&["incident", "report", &id, "--out", s(&out), "--format", "md"], 1);
    assert!(err.contains("never overwrites"), "{err}");
    assert_eq!(std::fs::read_to_string(&blocker).unwrap(), "mine");
    let show = env.ok(&["incident", "show", &id]);
    assert!(show.contains("report versions (2)") && show.contains("statements absent:"), "{show}");
    assert!(show.contains("2026-11-28 11:00 JST"), "learned at 02:00 UTC: {show}");

    // The notice list goes the governed-export way: another security officer approves, the requester downloads.
    env.use_token(None);
    let pools = env.path("pools.toml");
    std::fs::write(
        &pools,
        "phones = [\"090-0000-2001\", \"090-0000-2002\"]\n[email]\ndomains = [\"mail.canary-example.jp\"]\n\
         [[mail_drop]]\npostal_code = \"100-0005\"\naddress = \"東京都千代田区丸の内1-2-3 丸の内ビル 301号室\"\n",
    )
    .unwrap();
    env.ok(&["export", "pools", s(&pools)]);
    let second = env.person("sec2", "security-officer", &[]);
    env.use_token(Some(&officer));
    let notice = env.kura(&[
        "incident",
        "notice-list",
        &id,
        "--field",
        "user_name",
        "--field",
        "email",
        "--recipient",
        "mailing-house",
    ]);
    assert!(notice.status.success(), "{}", String::from_utf8_lossy(&notice.stderr));
    let export = String::from_utf8(notice.stdout).unwrap().trim().to_owned();
    assert!(String::from_utf8_lossy(&notice.stderr).contains("kura export approve"));
    let kind = ["--purpose", id.as_str(), "--purpose-kind", "incident-notice"];
    env.use_token(Some(&second));
    env.ok(&[&["export", "approve", export.as_str()][..], &kind[..]].concat());
    env.use_token(Some(&officer));
    let list = env.path("notice.csv");
    env.ok(&[&["export", "download", export.as_str(), "--out", s(&list)][..], &kind[..]].concat());
    let rows = std::fs::read_to_string(&list).unwrap();
    assert_eq!(rows.lines().count(), 4 + 1 + 1, "the four people, a canary and the header: {rows}");

    // A stolen copy of this vault's own files with the keys kept apart: nothing readable, hence exempt.
    let stolen = env.kura(&[
        "incident",
        "open",
        "--collection",
        "corporate-mobile",
        "--title",
        "backup disk lost",
        "--scenario",
        "stolen-database",
        "--keys-separate",
        "--purpose",
        "INC-CASE-2",
    ]);
    let err = String::from_utf8_lossy(&stolen.stderr);
    assert!(stolen.status.success() && err.contains("this vault's own directory"), "{err}");
    assert!(err.contains("the key file"), "the default key file is inside the vault directory: {err}");
    let stolen = String::from_utf8(stolen.stdout).unwrap().trim().to_owned();
    let v: serde_json::Value = serde_json::from_str(&env.ok(&["incident", "exposure", &stolen, "--json"])).unwrap();
    assert_eq!(v["exposure"]["readable_without_keys"], serde_json::json!([]), "{v}");
    assert_eq!(v["exposure"]["subjects"], 0, "{v}");
    assert_eq!(v["exposure"]["could_have_viewed"], 30, "{v}");
    let duties = env.ok(&["incident", "duties", &stolen]);
    assert!(duties.contains("exemption: the data taken is encrypted") && !duties.contains("required: yes"), "{duties}");

    // The deadlines run from a fixed date, so whether an alert is due depends on today; either way each alert
    // is raised once.
    env.ok(&["incident", "deadlines", "--purpose", "INC-CASE-1"]);
    let again = env.ok(&["incident", "deadlines", "--purpose", "INC-CASE-1"]);
    assert!(again.contains("no deadline alert raised"), "{again}");
    env.use_token(None);
}
