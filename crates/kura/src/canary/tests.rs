#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use super::*;
use crate::generate::{self, ConsumerParams, CorporateParams};
use crate::schema;

fn csv_rows(bytes: &[u8]) -> Vec<Row> {
    let mut reader = csv::Reader::from_reader(bytes);
    reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect()
}

fn corporate_rows(companies: usize, employees: usize, seed: u64) -> Vec<Row> {
    let mut out = Vec::new();
    generate::corporate(&CorporateParams { companies, employees, seed }, &mut out, &mut |_| {}).unwrap();
    csv_rows(&out)
}

fn consumer_rows(count: usize, seed: u64) -> Vec<Row> {
    let mut out = Vec::new();
    generate::consumer(&ConsumerParams { count, seed }, &mut out, &mut |_| {}).unwrap();
    csv_rows(&out)
}

fn corporate_schema() -> Schema {
    schema::builtin("corporate-mobile").unwrap()
}

fn consumer_schema() -> Schema {
    schema::builtin("consumer-wireless").unwrap()
}

/// A pools file with `phones` Japanese mobile numbers, 100 US numbers, `jp_drops` Japanese mail drops spread
/// over the generator's towns (so all 47 prefectures), `us_drops` US ones, a canary domain and BINs.
fn pools_toml(phones: usize, jp_drops: usize, us_drops: usize) -> String {
    let mut t = String::from("phones = [\n");
    for k in 0..phones {
        let _ = writeln!(t, "  \"080-{:04}-{:04}\",", 1000 + k / 10_000, k % 10_000);
    }
    for k in 0..us_drops.min(100) {
        let _ = writeln!(t, "  \"+1 415-555-01{k:02}\",");
    }
    t.push_str("]\n[email]\ndomains = [\"mail.canary-example.jp\"]\n[card]\nbins = [\"49999912\", \"51999912\"]\n");
    let towns = data::JP_RESIDENTIAL_TOWNS;
    let mut seen = HashSet::new();
    let mut k = 0usize;
    while seen.len() < jp_drops {
        let town = towns[k % towns.len()];
        let n = k / towns.len() + 1;
        let address = if town.chome > 0 {
            format!("{}{}{}{}-{}-{}", town.prefecture, town.city, town.town, 1, n, 7)
        } else {
            format!("{}{}{}{}-{}", town.prefecture, town.city, town.town, 100 + n, 3)
        };
        k += 1;
        if !seen.insert(normalize::canonical(FieldType::JpAddress, &address).unwrap()) {
            continue;
        }
        let _ = writeln!(t, "[[mail_drop]]\npostal_code = \"{}\"\naddress = \"{address}\"", town.postal_code);
    }
    for k in 0..us_drops {
        let city = data::US_CITIES[k % data::US_CITIES.len()];
        let zip = city.zips[0];
        let _ = writeln!(
            t,
            "[[mail_drop]]\ncountry = \"us\"\npostal_code = \"{zip}\"\naddress = \"{} Main St, {}, {} {zip}\"",
            100 + k,
            city.city,
            city.state
        );
    }
    t
}

fn pools(phones: usize, jp_drops: usize, us_drops: usize) -> Pools {
    Pools::from_toml(&pools_toml(phones, jp_drops, us_drops)).unwrap()
}

fn request<'a>(
    schema: &'a Schema,
    export: &'a ExportId,
    count: usize,
    secret: &'a [u8],
    rows: &'a [Row],
) -> Request<'a> {
    Request { schema, export, count, secret, rows }
}

fn validates(schema: &Schema, row: &Row) {
    let raw: Vec<Option<&str>> = row.iter().map(|v| Some(v.as_str())).collect();
    if let Err(p) = crate::vault::input::validate(schema, &raw) {
        panic!("{p:?} for {row:?}");
    }
}

#[test]
fn corporate_canaries_validate_like_real_rows_and_look_like_them() {
    let schema = corporate_schema();
    let rows = corporate_rows(12, 1_500, 3);
    let pools = pools(500, 500, 0);
    let export = ExportId::new("exp-1");
    let canaries = make(&pools, &Registry::new(), &request(&schema, &export, 50, b"secret", &rows)).unwrap();
    assert_eq!(canaries.len(), 50);
    let real_ids: HashSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    let companies: HashSet<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    for c in &canaries {
        validates(&schema, &c.row);
        let r = &c.row;
        // Same id format and company prefix as the real rows of the company; no collision.
        assert!(!real_ids.contains(r[0].as_str()), "{}", r[0]);
        let prefix = &r[0][..5];
        assert!(rows.iter().any(|real| real[1] == r[1] && real[0].starts_with(prefix)), "{}", r[0]);
        assert_eq!(r[0].len(), 11);
        assert!(companies.contains(r[1].as_str()));
        assert_eq!(r[3].split(' ').count(), 2, "{}", r[3]);
        assert!(r[4].chars().all(|c| c == ' ' || ('\u{30A1}'..='\u{30FC}').contains(&c)), "{}", r[4]);
        assert!(r[5].starts_with("080-") && r[5].len() == 13, "{}", r[5]);
        assert!(r[6].ends_with("@mail.canary-example.jp"), "{}", r[6]);
        assert_eq!(r[9].is_empty(), r[10].is_empty());
        let kinds: HashSet<ContactKind> = c.contacts.iter().map(|c| c.kind).collect();
        assert!(kinds.contains(&ContactKind::Phone) && kinds.contains(&ContactKind::Email));
        assert_eq!(kinds.contains(&ContactKind::MailDrop), !r[10].is_empty());
    }
    // The first canary always carries a mail-drop home address.
    assert!(!canaries[0].row[10].is_empty());
}

#[test]
fn email_local_parts_follow_the_company_convention() {
    let schema = corporate_schema();
    let rows = corporate_rows(20, 2_000, 5);
    let export = ExportId::new("exp-mail");
    let canaries = make(&pools(300, 300, 0), &Registry::new(), &request(&schema, &export, 200, b"k", &rows)).unwrap();
    let shape = |email: &str| {
        let local = email.split('@').next().unwrap();
        let sep = local.chars().find(|c| matches!(c, '.' | '-' | '_'));
        (sep, local.ends_with(|c: char| c.is_ascii_digit()) && sep == Some('.') && local.find('.') == Some(1))
    };
    let mut matched = 0;
    for c in &canaries {
        let company_shapes: HashSet<_> = rows.iter().filter(|r| r[1] == c.row[1]).map(|r| shape(&r[6])).collect();
        matched += usize::from(company_shapes.contains(&shape(&c.row[6])));
    }
    assert!(matched >= 190, "{matched} of 200 follow their company's convention");
}

#[test]
fn consumer_canaries_validate_and_carry_never_issued_cards() {
    let schema = consumer_schema();
    let rows = consumer_rows(1_000, 2);
    let pools = pools(10, 0, 200);
    let export = ExportId::new("exp-c");
    let canaries = make(&pools, &Registry::new(), &request(&schema, &export, 40, b"s", &rows)).unwrap();
    for c in &canaries {
        validates(&schema, &c.row);
        let digits: String = c.row[5].chars().filter(char::is_ascii_digit).collect();
        assert!(digits.starts_with("49999912") || digits.starts_with("51999912"), "{}", c.row[5]);
        assert!(card::luhn_valid(digits.as_bytes()));
        assert!(c.contacts.iter().any(|k| k.kind == ContactKind::Card && k.canonical == digits));
        assert!(c.row[8].contains("Main St"), "{}", c.row[8]);
        assert!(c.row[2].ends_with("@mail.canary-example.jp"));
        if !c.row[3].is_empty() {
            assert!(c.row[3].starts_with("+1 415-555-01"), "{}", c.row[3]);
        }
        assert_eq!(c.row[0].len(), rows[0][0].len(), "{}", c.row[0]);
    }
}

#[test]
fn zero_canaries_are_refused_and_so_is_an_empty_registration() {
    let schema = corporate_schema();
    let rows = corporate_rows(3, 50, 1);
    let export = ExportId::new("e");
    let e = make(&pools(5, 5, 0), &Registry::new(), &request(&schema, &export, 0, b"s", &rows)).unwrap_err();
    assert_eq!(e, MakeError::NoCanaries);
    assert_eq!(e.to_string(), "an export needs at least one canary, got 0");
    assert_eq!(Registry::new().register(&export, &[]).unwrap_err(), RegisterError::NoCanaries(export.clone()));
    let e = make(&pools(5, 5, 0), &Registry::new(), &request(&schema, &export, 1, b"s", &[])).unwrap_err();
    assert_eq!(e, MakeError::NoRows);
}

#[test]
fn unique_across_1000_exports_until_a_pool_runs_out() {
    let schema = corporate_schema();
    let rows = corporate_rows(8, 100, 7);
    // Every canary takes a phone; 1,800 phones last for 900 exports of two canaries.
    let pools = pools(1_800, 2_400, 0);
    let mut registry = Registry::new();
    let mut contacts: HashMap<String, usize> = HashMap::new();
    let mut ids = HashSet::new();
    let mut exhausted_at = None;
    for i in 0..1_000 {
        let export = ExportId::new(format!("exp-{i:04}"));
        match make(&pools, &registry, &request(&schema, &export, 2, format!("secret {i}").as_bytes(), &rows)) {
            Ok(canaries) => {
                for c in &canaries {
                    assert!(ids.insert(c.id.clone()));
                    for k in &c.contacts {
                        assert_eq!(contacts.insert(k.canonical.clone(), i), None, "reused in export {i}");
                    }
                }
                registry.register(&export, &canaries).unwrap();
                assert_eq!(registry.canaries_of(&export).len(), 2);
            }
            Err(e) => {
                assert_eq!(e, MakeError::Exhausted { pool: "phones" });
                assert!(e.to_string().contains("`phones`"), "{e}");
                exhausted_at = Some(i);
                break;
            }
        }
    }
    assert_eq!(exhausted_at, Some(900));
    assert_eq!(registry.len(), 1_800);
    // Every canary is registered to exactly the export it was made for.
    for (canonical, export) in &contacts {
        let hit = registry.lookup_canonical(canonical).unwrap();
        assert_eq!(hit.export.as_str(), format!("exp-{export:04}"));
    }
}

#[test]
fn registration_refuses_reuse_and_a_second_registration() {
    let schema = corporate_schema();
    let rows = corporate_rows(3, 100, 1);
    let pools = pools(10, 10, 0);
    let (a, b) = (ExportId::new("a"), ExportId::new("b"));
    let mut registry = Registry::new();
    let canaries = make(&pools, &registry, &request(&schema, &a, 2, b"s", &rows)).unwrap();
    registry.register(&a, &canaries).unwrap();
    assert_eq!(registry.register(&a, &canaries).unwrap_err(), RegisterError::ExportTaken(a.clone()));
    assert!(matches!(registry.register(&b, &canaries).unwrap_err(), RegisterError::CanaryTaken(_)));
    let mut copy = canaries.clone();
    copy[0].id = CanaryId("cn-other".to_owned());
    copy.truncate(1);
    let e = registry.register(&b, &copy).unwrap_err();
    assert!(matches!(&e, RegisterError::ContactTaken { export, .. } if *export == a), "{e}");
    assert_eq!(make(&pools, &registry, &request(&schema, &a, 1, b"s", &rows)).unwrap_err(), MakeError::ExportTaken(a));
}

#[test]
fn lookup_by_contact_point_in_another_notation_finds_the_export() {
    let schema = corporate_schema();
    let rows: Vec<Row> = corporate_rows(3, 60, 2);
    let pools = Pools::from_toml(
        "phones = [\"090-1234-5678\"]\n[email]\ndomains = [\"canary.example.jp\"]\n\
         [[mail_drop]]\npostal_code = \"100-0005\"\naddress = \"東京都千代田区丸の内1-2-3 丸の内ビル 301号室\"",
    )
    .unwrap();
    let export = ExportId::new("exp-42");
    let mut registry = Registry::new();
    let canaries = make(&pools, &registry, &request(&schema, &export, 1, b"s", &rows)).unwrap();
    registry.register(&export, &canaries).unwrap();
    let canary = &canaries[0];

    for raw in ["+81 90-1234-5678", "０９０（１２３４）５６７８", "090 1234 5678"] {
        let hit = registry.lookup(raw).unwrap();
        assert_eq!((hit.export, hit.kind, hit.canary), (&export, ContactKind::Phone, &canary.id), "{raw}");
    }
    let hit = registry.lookup("東京都千代田区丸の内一丁目２番３号　丸の内ビル３０１号室").unwrap();
    assert_eq!((hit.export, hit.kind), (&export, ContactKind::MailDrop));
    let email = &canary.row[6];
    let (local, domain) = email.split_once('@').unwrap();
    let hit = registry.lookup(&format!("{local}@{}", domain.to_uppercase())).unwrap();
    assert_eq!((hit.export, hit.kind), (&export, ContactKind::Email));

    assert!(registry.lookup("090-0000-0000").is_none());
    assert!(registry.is_canary_contact("+819012345678"));
    assert!(!registry.is_canary_contact(&normalize::canonical(FieldType::Phone, &rows[0][5]).unwrap()));

    // The registry survives a round trip through JSON, indexes included.
    let json = serde_json::to_string(&registry).unwrap();
    let back: Registry = serde_json::from_str(&json).unwrap();
    assert_eq!(back, registry);
    assert_eq!(back.lookup("+81 90 1234 5678").unwrap().export, &export);
    assert_eq!(back.export_of(&canary.id), Some(&export));
}

#[test]
fn placement_is_random_but_deterministic_per_secret() {
    let real: Vec<u32> = (0..1_000).collect();
    let canaries: Vec<u32> = (10_000..10_005).collect();
    let export = ExportId::new("exp");
    let place = |secret: &[u8]| interleave(real.clone(), canaries.clone(), &mut placement_rng(secret, &export));
    let a = place(b"one");
    assert_eq!(a, place(b"one"));
    assert_ne!(a, place(b"two"));
    assert_eq!(a.len(), 1_005);
    // Real rows keep their order; every canary is there once.
    let kept: Vec<u32> = a.iter().copied().filter(|&x| x < 10_000).collect();
    assert_eq!(kept, real);
    let mut placed: Vec<u32> = a.iter().copied().filter(|&x| x >= 10_000).collect();
    placed.sort_unstable();
    assert_eq!(placed, canaries);
    // Over many secrets the positions spread over the whole file: mean near the middle, both halves used.
    let positions: Vec<usize> = (0..400u32)
        .flat_map(|s| {
            let out = place(&s.to_le_bytes());
            out.iter().enumerate().filter(|(_, &x)| x >= 10_000).map(|(i, _)| i).collect::<Vec<_>>()
        })
        .collect();
    let mean = positions.iter().sum::<usize>() as f64 / positions.len() as f64;
    assert!((452.0..552.0).contains(&mean), "mean position {mean}");
    assert!(positions.iter().any(|&p| p < 50) && positions.iter().any(|&p| p > 955));
    // Edge cases.
    assert_eq!(interleave(Vec::new(), vec![1], &mut placement_rng(b"x", &export)), [1]);
    assert_eq!(interleave(vec![1, 2], Vec::new(), &mut placement_rng(b"x", &export)), [1, 2]);
}

#[test]
fn make_is_deterministic_per_secret() {
    let schema = corporate_schema();
    let rows = corporate_rows(5, 300, 4);
    let pools = pools(100, 100, 0);
    let export = ExportId::new("exp");
    let run = |secret: &[u8]| make(&pools, &Registry::new(), &request(&schema, &export, 5, secret, &rows)).unwrap();
    assert_eq!(run(b"a"), run(b"a"));
    assert_ne!(run(b"a"), run(b"b"));
}

/// Share of each key among `items`.
fn shares<'a>(items: impl Iterator<Item = &'a str>) -> HashMap<&'a str, f64> {
    let mut counts: HashMap<&str, f64> = HashMap::new();
    let mut total = 0.0;
    for i in items {
        *counts.entry(i).or_default() += 1.0;
        total += 1.0;
    }
    counts.values_mut().for_each(|v| *v /= total);
    counts
}

fn assert_close(name: &str, real: &HashMap<&str, f64>, canary: &HashMap<&str, f64>, tolerance: f64) {
    for key in real.keys().chain(canary.keys()) {
        let (r, c) = (real.get(key).copied().unwrap_or(0.0), canary.get(key).copied().unwrap_or(0.0));
        assert!((r - c).abs() <= tolerance, "{name} `{key}`: real {r:.3}, canaries {c:.3}");
    }
}

#[test]
fn distributions_resemble_the_real_rows() {
    let schema = corporate_schema();
    let rows = corporate_rows(20, 4_000, 11);
    let pools = pools(1_000, 1_000, 0);
    let export = ExportId::new("exp-dist");
    let canaries = make(&pools, &Registry::new(), &request(&schema, &export, 1_000, b"d", &rows)).unwrap();
    let canary_rows: Vec<&Row> = canaries.iter().map(|c| &c.row).collect();

    let real = shares(rows.iter().map(|r| r[1].as_str()));
    let fake = shares(canary_rows.iter().map(|r| r[1].as_str()));
    assert_close("company", &real, &fake, 0.04);

    let lengths = |rs: &mut dyn Iterator<Item = &Row>| -> Vec<String> {
        rs.map(|r| r[3].chars().filter(|c| *c != ' ').count().min(6).to_string()).collect()
    };
    let (real_len, fake_len) = (lengths(&mut rows.iter()), lengths(&mut canary_rows.iter().copied()));
    assert_close(
        "name length",
        &shares(real_len.iter().map(String::as_str)),
        &shares(fake_len.iter().map(String::as_str)),
        0.05,
    );

    let kana_len = |r: &Row| r[4].chars().filter(|c| *c != ' ').count().min(9).to_string();
    let (real_kana, fake_kana): (Vec<String>, Vec<String>) =
        (rows.iter().map(kana_len).collect(), canary_rows.iter().map(|r| kana_len(r)).collect());
    assert_close(
        "kana length",
        &shares(real_kana.iter().map(String::as_str)),
        &shares(fake_kana.iter().map(String::as_str)),
        0.05,
    );
    assert!(canary_rows.iter().all(|r| !r[4].is_empty()));

    let homes = |rs: &mut dyn Iterator<Item = &Row>| -> Vec<&'static str> {
        rs.filter_map(|r| pool::prefecture_of(&r[10])).collect()
    };
    let (real_pref, fake_pref) = (homes(&mut rows.iter()), homes(&mut canary_rows.iter().copied()));
    let real_home = real_pref.len() as f64 / rows.len() as f64;
    let fake_home = fake_pref.len() as f64 / canary_rows.len() as f64;
    assert!((real_home - fake_home).abs() < 0.05, "home share real {real_home:.3}, canaries {fake_home:.3}");
    assert_close("prefecture", &shares(real_pref.into_iter()), &shares(fake_pref.into_iter()), 0.04);

    let depts =
        |rs: &mut dyn Iterator<Item = &Row>| -> Vec<String> { rs.map(|r| format!("{}/{}", r[1], r[2])).collect() };
    let (real_d, fake_d) = (depts(&mut rows.iter()), depts(&mut canary_rows.iter().copied()));
    assert_close(
        "department",
        &shares(real_d.iter().map(String::as_str)),
        &shares(fake_d.iter().map(String::as_str)),
        0.03,
    );
}
