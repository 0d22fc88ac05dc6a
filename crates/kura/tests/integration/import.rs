//! CSV import: encodings, header checks, row validation with file/line/column, all or nothing.

use kura::import::{self, Encoding, Error};

use crate::support::{access, backends, corporate_csv};

fn schema(name: &str) -> kura::schema::Schema {
    kura::schema::builtin(name).unwrap()
}

const HEADER: &str = "customer_id,name,email,phone,card_brand,card_number,card_expiry,birth_date,address,zip";

fn consumer(rows: &[&str]) -> Vec<u8> {
    let mut s = String::from(HEADER);
    s.push('\n');
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s.into_bytes()
}

const GOOD: &str = "C1,Taro Yamada,taro@example.com,+1 415-555-0100,VISA,4111 1111 1111 1111,12/27,1980-01-02,\"1 Main St, Springfield, IL 62704\",62704";

#[test]
fn each_bad_value_is_named_by_line_and_column_without_the_value() {
    let cases = [
        ("C2,Hanako Sato,hanako@example.com,,VISA,4111111111111112,12/27,1980-01-02,\"1 Main St, Springfield, IL 62704\",62704", "card_number", "Luhn"),
        ("C3,Hanako Sato,hanako@example.com,,VISA,41111,12/27,1980-01-02,\"1 Main St, Springfield, IL 62704\",62704", "card_number", "digits"),
        ("C4,Hanako Sato,hanako.example.com,,VISA,4111111111111111,12/27,1980-01-02,\"1 Main St, Springfield, IL 62704\",62704", "email", ""),
        ("C5,Hanako Sato,hanako@example.com,,VISA,4111111111111111,12/27,1980-02-30,\"1 Main St, Springfield, IL 62704\",62704", "birth_date", ""),
        ("C6,Hanako Sato,hanako@example.com,,MASTERCARD,4111111111111111,12/27,1980-01-02,\"1 Main St, Springfield, IL 62704\",62704", "card_brand", "BIN"),
        ("C7,,hanako@example.com,,VISA,4111111111111111,12/27,1980-01-02,\"1 Main St, Springfield, IL 62704\",62704", "name", "required"),
    ];
    for (row, column, reason) in cases {
        let csv = consumer(&[GOOD, row]);
        let parsed = import::parse("in.csv", &csv, &schema("consumer-wireless"), Encoding::Auto).unwrap();
        assert_eq!(parsed.rows.len(), 1);
        assert_eq!(parsed.rejects.len(), 1, "{row}");
        let r = &parsed.rejects[0];
        assert_eq!(r.line, 3);
        assert_eq!(r.problems[0].field, column, "{row}");
        assert!(r.problems[0].reason.contains(reason), "{}", r.problems[0].reason);
        let text = r.to_string();
        assert!(text.starts_with("in.csv:3: column `"), "{text}");
        for secret in ["4111111111111112", "hanako.example.com", "1980-02-30", "41111"] {
            assert!(!text.contains(secret), "value echoed in `{text}`");
        }
    }
}

#[test]
fn whole_file_problems() {
    let s = schema("consumer-wireless");
    let err = |bytes: &[u8], enc| import::parse("f.csv", bytes, &s, enc).unwrap_err();
    assert!(matches!(
        err(format!("{HEADER},favourite_colour\n").as_bytes(), Encoding::Auto),
        Error::UnknownColumn { .. }
    ));
    assert!(matches!(err(format!("{HEADER},cvv\n").as_bytes(), Encoding::Auto), Error::SecurityCode { .. }));
    assert!(matches!(err(b"customer_id,name,name\n", Encoding::Auto), Error::DuplicateColumn { .. }));
    assert!(matches!(err(b"customer_id,name\n", Encoding::Auto), Error::MissingColumn { .. }));
    assert!(matches!(err(b"", Encoding::Auto), Error::Empty { .. }));
    let ragged = consumer(&[GOOD, "C9,only,three"]);
    match err(&ragged, Encoding::Auto) {
        Error::Csv { line, .. } => assert_eq!(line, 3),
        other => panic!("{other}"),
    }
    // Invalid UTF-8 when UTF-8 is demanded: the line is named.
    let mut bad = consumer(&[GOOD]);
    bad.extend_from_slice(b"C2,\xff\xfe\xfd,x@example.com\n");
    match err(&bad, Encoding::Utf8) {
        Error::Encoding { line, .. } => assert_eq!(line, 3),
        other => panic!("{other}"),
    }
    assert!(matches!(err(&[0xFF, 0xFE, b'a', 0], Encoding::Auto), Error::Utf16 { .. }));
}

#[test]
fn utf8_bom_and_shift_jis_read_the_same() {
    let csv = corporate_csv(30, 2);
    let text = String::from_utf8(csv.clone()).unwrap();
    let (sjis, _, lossy) = encoding_rs::SHIFT_JIS.encode(&text);
    assert!(!lossy, "generated data must be representable in Shift_JIS");
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(&csv);
    let s = schema("corporate-mobile");
    let a = import::parse("a.csv", &csv, &s, Encoding::Auto).unwrap();
    let b = import::parse("b.csv", &bom, &s, Encoding::Auto).unwrap();
    let c = import::parse("c.csv", &sjis, &s, Encoding::Auto).unwrap();
    let d = import::parse("d.csv", &sjis, &s, Encoding::ShiftJis).unwrap();
    assert_eq!(c.encoding, "Shift_JIS");
    assert_eq!(a.encoding, "UTF-8");
    for other in [&b, &c, &d] {
        assert_eq!(other.rows.len(), 30);
        for (x, y) in a.rows.iter().zip(other.rows.iter()) {
            assert_eq!(x.values, y.values);
        }
    }
    // Shift_JIS bytes read as UTF-8 on demand: refused, not garbled.
    assert!(matches!(import::parse("c.csv", &sjis, &s, Encoding::Utf8), Err(Error::Encoding { .. })));
}

#[test]
fn duplicate_external_ids_in_one_file_write_nothing() {
    for fx in backends() {
        let vault = fx.create();
        vault.create_collection(&access(), schema("consumer-wireless")).unwrap();
        let csv = consumer(&[GOOD, &GOOD.replace("taro@", "jiro@")]);
        let parsed = import::parse("d.csv", &csv, &schema("consumer-wireless"), Encoding::Auto).unwrap();
        let err = vault.write(&access(), "consumer-wireless", parsed.rows, &mut |_| {}).unwrap_err();
        assert!(matches!(err, kura::vault::WriteError::DuplicateExternal(1, 2)), "{err}");
        assert_eq!(vault.count("consumer-wireless").unwrap(), 0);
        let _ = access();
    }
}
