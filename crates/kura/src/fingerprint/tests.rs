//! Tests over the generated datasets: canonical-form preservation, natural frequencies, decoding.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::BTreeMap;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use unicode_normalization::UnicodeNormalization;

use super::decode::{self, Evidence, Leaked, Transform, Verdict};
use super::variants::{self, Channel};
use super::*;
use crate::generate::{self, ConsumerParams, CorporateParams, CONSUMER_COLUMNS, CORPORATE_COLUMNS};

/// One generated row: its record id and (field, type, value) triples.
struct Row {
    record: RecordId,
    fields: Vec<(&'static str, FieldType, String)>,
}

fn corporate_kind(column: &str) -> FieldType {
    match column {
        "employee_id" => FieldType::Identifier,
        "company" => FieldType::Organisation,
        "department" => FieldType::Department,
        "user_name" => FieldType::PersonNameJa,
        "user_name_kana" => FieldType::Kana,
        "mobile" => FieldType::Phone,
        "email" => FieldType::Email,
        "company_postal_code" | "home_postal_code" => FieldType::PostalCode,
        "company_address" | "home_address" => FieldType::JpAddress,
        other => panic!("{other}"),
    }
}

fn consumer_kind(column: &str) -> FieldType {
    match column {
        "customer_id" => FieldType::Identifier,
        "name" => FieldType::PersonNameRomaji,
        "email" => FieldType::Email,
        "phone" => FieldType::Phone,
        "card_brand" => FieldType::CardBrand,
        "card_number" => FieldType::CardNumber,
        "card_expiry" => FieldType::CardExpiry,
        "birth_date" => FieldType::Date,
        "address" => FieldType::UsAddress,
        "zip" => FieldType::PostalCode,
        other => panic!("{other}"),
    }
}

fn rows(csv_bytes: &[u8], columns: &'static [&'static str], kind: fn(&str) -> FieldType, salt: u8) -> Vec<Row> {
    let mut reader = csv::Reader::from_reader(csv_bytes);
    reader
        .records()
        .enumerate()
        .map(|(i, r)| {
            let r = r.unwrap();
            let mut id = [salt; 16];
            id[..8].copy_from_slice(&(i as u64).to_be_bytes());
            let fields = columns
                .iter()
                .zip(r.iter())
                .filter(|(_, v)| !v.is_empty())
                .map(|(&c, v)| (c, kind(c), v.to_owned()))
                .collect();
            Row { record: RecordId(id), fields }
        })
        .collect()
}

fn corporate_rows(n: usize) -> Vec<Row> {
    corporate_rows_of(25, n)
}

fn corporate_rows_of(companies: usize, n: usize) -> Vec<Row> {
    let mut out = Vec::new();
    generate::corporate(&CorporateParams { companies, employees: n, seed: 11 }, &mut out, &mut |_| {}).unwrap();
    rows(&out, CORPORATE_COLUMNS, corporate_kind, 1)
}

fn consumer_rows(n: usize) -> Vec<Row> {
    let mut out = Vec::new();
    generate::consumer(&ConsumerParams { count: n, seed: 12 }, &mut out, &mut |_| {}).unwrap();
    rows(&out, CONSUMER_COLUMNS, consumer_kind, 2)
}

fn key() -> SecretKey {
    SecretKey::from_bytes([42u8; 32])
}

fn fingerprinters(n: usize) -> Vec<Fingerprinter> {
    let code = Code::new(&key()).unwrap();
    (0..n).map(|i| Fingerprinter::with_code(code.clone(), ExportId::new(format!("EXP-{i:05}")))).collect()
}

/// Every rendering of every field of a few thousand generated rows normalises to the stored value's
/// canonical form: 100%, counted over all symbol combinations, not only the ones an export picks.
#[test]
fn every_variant_keeps_the_canonical_form() {
    let mut checked = 0usize;
    let mut with_template: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for row in corporate_rows(1_000).iter().chain(&consumer_rows(1_000)) {
        for (field, kind, value) in &row.fields {
            let entry = with_template.entry(field).or_default();
            entry.1 += 1;
            let Some(t) = variants::template(*kind, value) else { continue };
            entry.0 += 1;
            let want = normalize::canonical(*kind, value).unwrap();
            for (symbols, text) in variants::all_renderings(&t) {
                assert_eq!(
                    normalize::canonical(*kind, &text).ok().as_deref(),
                    Some(want.as_str()),
                    "{field}: {value} → {text} {symbols:?}"
                );
                checked += 1;
            }
        }
    }
    eprintln!("{checked} renderings checked; values with channels per field: {with_template:?}");
    // Every field that has notations gets a template for (nearly) every value.
    for field in ["company", "user_name", "user_name_kana", "mobile", "company_postal_code", "name", "birth_date"] {
        let (t, n) = with_template[field];
        assert_eq!(t, n, "{field}");
    }
    for field in ["company_address", "home_address", "address", "phone"] {
        let (t, n) = with_template[field];
        assert!(t * 100 >= n * 90, "{field}: {t}/{n}");
    }
}

/// The channels where the generated data has more than one form: their documented priors are the
/// generated data's own frequencies.
#[test]
fn priors_match_the_generated_data() {
    let mut counts: BTreeMap<Channel, (usize, usize)> = BTreeMap::new();
    // Company names and addresses repeat on every employee's row: count each distinct value once.
    let mut seen = std::collections::HashSet::new();
    for row in corporate_rows_of(600, 3_000).iter().chain(&consumer_rows(3_000)) {
        for (field, kind, value) in &row.fields {
            if !seen.insert((*field, value.clone())) {
                continue;
            }
            let Some(t) = variants::template(*kind, value) else { continue };
            for (&c, s) in t.channels().iter().zip(decode::read_symbols(&t, value, Transform::default())) {
                if let Some(s) = s {
                    let e = counts.entry(c).or_default();
                    e.0 += usize::from(s);
                    e.1 += 1;
                }
            }
        }
    }
    let generated = [
        Channel::AddrChome,
        Channel::AddrBanGo,
        Channel::AddrBanchi,
        Channel::AddrBanchiStyle,
        Channel::AddrFloor,
        Channel::AddrRoom,
        Channel::UsPhoneCompact,
        Channel::UsPhoneParens,
        Channel::UsUnitHash,
    ];
    for c in generated {
        let (ones, n) = counts[&c];
        let freq = ones as f64 / n as f64;
        eprintln!("{}: generated {freq:.3} over {n}, prior {}", c.name(), c.prior());
    }
    for c in generated {
        let (ones, n) = counts[&c];
        let freq = ones as f64 / n as f64;
        assert!(n >= 100, "{}: {n}", c.name());
        assert!((freq - c.prior()).abs() < 0.05, "{}: generated {freq:.3}, prior {}", c.name(), c.prior());
    }
}

/// Symbol frequencies in one export's output stay within a tolerance of each channel's prior.
#[test]
fn fingerprinted_frequencies_look_natural() {
    let fp = &fingerprinters(1)[0];
    let mut counts: BTreeMap<Channel, (usize, usize)> = BTreeMap::new();
    let mut fallbacks = 0;
    for row in corporate_rows(1_500).iter().chain(&consumer_rows(1_500)) {
        for (field, kind, value) in &row.fields {
            let Some(t) = variants::template(*kind, value) else { continue };
            let out = fp.render(&row.record, field, *kind, value);
            if out == *value {
                fallbacks += usize::from(t.channels().iter().any(|&c| fp.symbol(&row.record, field, c)));
            }
            for (&c, s) in t.channels().iter().zip(decode::read_symbols(&t, &out, Transform::default())) {
                if let Some(s) = s {
                    let e = counts.entry(c).or_default();
                    e.0 += usize::from(s);
                    e.1 += 1;
                }
            }
        }
    }
    let _ = fallbacks;
    for (c, (ones, n)) in counts {
        let freq = ones as f64 / n as f64;
        let q = c.prior();
        // Three standard deviations of a binomial share, at least 0.03.
        let tol = (3.0 * (q * (1.0 - q) / n as f64).sqrt()).max(0.03);
        eprintln!("{}: {freq:.3} over {n}, prior {q}", c.name());
        assert!((freq - q).abs() <= tol, "{}: {freq:.3} over {n}, prior {q}", c.name());
    }
}

/// Leaks `k` rows of export `leaker`'s rendering, optionally after NFKC and white-space collapsing.
fn leak_rows<'a>(
    rows: &'a [Row],
    pick: &[usize],
    render: impl Fn(&Row, &str, FieldType, &str) -> String,
    attack: fn(&str) -> String,
    texts: &'a mut Vec<String>,
) -> Vec<Leaked<'a>> {
    texts.clear();
    let mut meta = Vec::new();
    for &i in pick {
        let row = &rows[i];
        for (field, kind, value) in &row.fields {
            texts.push(attack(&render(row, field, *kind, value)));
            meta.push((row.record, *field, *kind, value.as_str()));
        }
    }
    meta.into_iter()
        .zip(texts.iter())
        .map(|((record, field, kind, stored), text)| Leaked { record, field, kind, stored, text })
        .collect()
}

fn clean(s: &str) -> String {
    s.to_owned()
}

fn nfkc_collapse(s: &str) -> String {
    s.nfkc().collect::<String>().split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Clean copies and NFKC + collapsed copies of 14 rows identify the export among 1,000 candidates, with
/// no other candidate above the threshold.
#[test]
fn fourteen_rows_identify_the_export_among_a_thousand() {
    let candidates = fingerprinters(1_000);
    let code = candidates[0].code().clone();
    let corporate = corporate_rows(600);
    let consumer = consumer_rows(600);
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let mut texts = Vec::new();
    for (trial, (data, attack)) in [
        (&corporate, clean as fn(&str) -> String),
        (&corporate, nfkc_collapse),
        (&consumer, clean),
        (&consumer, nfkc_collapse),
    ]
    .into_iter()
    .enumerate()
    {
        let leaker = rng.gen_range(0..candidates.len());
        let fp = &candidates[leaker];
        let pick: Vec<usize> = (0..data.len()).collect::<Vec<_>>().choose_multiple(&mut rng, 14).copied().collect();
        let leak = leak_rows(data, &pick, |r, f, k, v| fp.render(&r.record, f, k, v), attack, &mut texts);
        let evidence = Evidence::read(&code, &leak);
        let verdict = decode::judge(&evidence, &candidates, tardos::DEFAULT_EPSILON);
        let Verdict::Accused { export, score, threshold, ranking } = verdict else {
            panic!("trial {trial}: not attributed: {verdict:?}");
        };
        eprintln!(
            "trial {trial}: {} positions ({:?}), score {score:.1}, threshold {threshold:.1}, runner-up {:.1}",
            evidence.len(),
            evidence.transform,
            ranking[1].score
        );
        assert_eq!(&export, fp.export(), "trial {trial}");
        assert!(ranking[1].score < threshold, "trial {trial}: an innocent reached the threshold");
    }
}

/// Two colluders mixing their copies value by value: one of them is accused, no innocent is.
#[test]
fn two_colluders_mixing_values() {
    let candidates = fingerprinters(1_000);
    let code = candidates[0].code().clone();
    let corporate = corporate_rows(600);
    let mut rng = ChaCha20Rng::seed_from_u64(21);
    let (a, b) = (&candidates[17], &candidates[503]);
    let pick: Vec<usize> = (0..corporate.len()).collect::<Vec<_>>().choose_multiple(&mut rng, 40).copied().collect();
    let coin = std::cell::RefCell::new(ChaCha20Rng::seed_from_u64(22));
    let mut texts = Vec::new();
    let leak = leak_rows(
        &corporate,
        &pick,
        |r, f, k, v| {
            let who = if coin.borrow_mut().gen::<bool>() { a } else { b };
            who.render(&r.record, f, k, v)
        },
        nfkc_collapse,
        &mut texts,
    );
    let evidence = Evidence::read(&code, &leak);
    let verdict = decode::judge(&evidence, &candidates, tardos::DEFAULT_EPSILON);
    let Verdict::Accused { export, threshold, ranking, .. } = verdict else {
        panic!("not attributed: {verdict:?}");
    };
    eprintln!(
        "collusion: {} positions, threshold {threshold:.1}, top {:?}",
        evidence.len(),
        &ranking[..3].iter().map(|r| (r.export.as_str(), r.score)).collect::<Vec<_>>()
    );
    assert!(export == *a.export() || export == *b.export());
    for r in &ranking {
        if r.score >= threshold {
            assert!(r.export == *a.export() || r.export == *b.export(), "innocent {} accused", r.export);
        }
    }
}

/// Values retyped into the canonical form carry nothing; a leak of only such values is not attributable.
#[test]
fn fully_normalised_leak_is_not_attributable() {
    let candidates = fingerprinters(50);
    let code = candidates[0].code().clone();
    let corporate = corporate_rows(100);
    let mut texts = Vec::new();
    let pick: Vec<usize> = (0..14).collect();
    let fp = &candidates[3];
    let leak = leak_rows(
        &corporate,
        &pick,
        |r, f, k, v| normalize::canonical(k, &fp.render(&r.record, f, k, v)).unwrap(),
        clean,
        &mut texts,
    );
    let verdict = decode::trace(&code, &leak, &candidates, tardos::DEFAULT_EPSILON);
    assert!(matches!(verdict, Verdict::NotAttributable { .. }), "{verdict:?}");
}

#[test]
fn render_is_deterministic_per_export_and_differs_between_exports() {
    let fps = fingerprinters(2);
    let rows = corporate_rows(50);
    let mut differ = 0;
    for row in &rows {
        for (field, kind, value) in &row.fields {
            let a = fps[0].render(&row.record, field, *kind, value);
            assert_eq!(a, fps[0].render(&row.record, field, *kind, value));
            differ += usize::from(a != fps[1].render(&row.record, field, *kind, value));
        }
    }
    assert!(differ > 50, "{differ}");
}
