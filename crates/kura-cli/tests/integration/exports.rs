//! `kura export` from the command line: four eyes, refusals with exit code 7, the list.

use crate::{companies, s, Env};

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn exports_are_requested_approved_by_another_and_listed() {
    let env = Env::new();
    env.setup("corporate-mobile");
    let csv = env.path("people.csv");
    env.ok(&["generate", "corporate", "--companies", "3", "--employees", "30", "--seed", "2", "--out", s(&csv)]);
    env.ok(&["import", "corporate-mobile", s(&csv)]);
    let pools = env.path("pools.toml");
    std::fs::write(
        &pools,
        "phones = [\"090-0000-2001\", \"090-0000-2002\"]\n[email]\ndomains = [\"mail.canary-example.jp\"]\n\
         [[mail_drop]]\npostal_code = \"100-0005\"\naddress = \"東京都千代田区丸の内1-2-3 丸の内ビル 301号室\"\n",
    )
    .unwrap();
    env.ok(&["export", "pools", s(&pools)]);
    let company = companies(&csv).remove(0);
    let lead = env.person("lead", "supervisor", std::slice::from_ref(&company));
    let second = env.person("second", "supervisor", std::slice::from_ref(&company));
    let operator = env.person("op", "operator", std::slice::from_ref(&company));
    let request = |purpose: &str| {
        vec![
            "export".to_owned(),
            "request".to_owned(),
            "--collection".to_owned(),
            "corporate-mobile".to_owned(),
            "--company".to_owned(),
            company.clone(),
            "--field".to_owned(),
            "user_name".to_owned(),
            "--field".to_owned(),
            "company_address".to_owned(),
            "--recipient".to_owned(),
            "print-shop-1".to_owned(),
            "--purpose".to_owned(),
            purpose.to_owned(),
        ]
    };
    // Operators do not export.
    env.use_token(Some(&operator));
    let err = env.fails(&refs(&request("MAIL-1")), 7);
    assert!(err.contains("denied"), "{err}");
    // A supervisor requests; they cannot approve it themselves; another supervisor does.
    env.use_token(Some(&lead));
    let id = env.ok(&refs(&request("MAIL-2"))).trim().to_owned();
    env.fails(&["export", "approve", &id, "--purpose", "MAIL-2"], 7);
    env.use_token(Some(&second));
    let approved = env.ok(&["export", "approve", &id, "--purpose", "MAIL-2"]);
    assert!(approved.contains("approved") && approved.contains("decided by second"), "{approved}");
    let list = env.ok(&["export", "list", "--purpose", "MAIL-3"]);
    assert!(list.contains(&id), "{list}");
    // Only the requester downloads; the file never replaces another; the second download is refused.
    let out = env.path("labels.csv");
    env.fails(&["export", "download", &id, "--out", s(&out), "--purpose", "MAIL-2"], 7);
    assert!(!out.exists(), "a refused download leaves no file");
    env.use_token(Some(&lead));
    let printed = env.ok(&["export", "download", &id, "--out", s(&out), "--purpose", "MAIL-2"]);
    assert_eq!(printed.trim(), s(&out));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("\u{feff}user_name,company_address"), "{text}");
    let expected = crate::csv_rows(&csv).iter().filter(|r| r["company"] == company).count();
    assert_eq!(text.lines().count(), expected + 2, "the company's people, one canary and the header");
    let again = env.path("again.csv");
    env.fails(&["export", "download", &id, "--out", s(&again), "--purpose", "MAIL-2"], 7);
    env.fails(&["export", "download", &id, "--out", s(&out), "--purpose", "MAIL-2"], 1);
    env.ok(&["export", "dispose", &id, "--purpose", "MAIL-2"]);
    env.use_token(Some(&second));
    env.use_token(Some(&operator));
    assert!(env.ok(&["export", "list", "--purpose", "MAIL-3"]).contains("no exports"));
    // Bad input is a usage or input error, never a half-made request.
    env.use_token(Some(&lead));
    let mut bad = request("MAIL-4");
    bad.extend(["--field".to_owned(), "colour".to_owned()]);
    env.fails(&refs(&bad), 3);
    env.use_token(None);
}
