//! The published Japanese address variant corpus in `testdata/jp-address/` (from the MIT-licensed
//! YuukiToriyama/japanese-address-parser, see the README and SOURCE there).
//!
//! Every row names its place by (prefecture, city, town, rest). Rows naming the same place must give one
//! canonical form, and different places must never share one. Rows that need a town master list to
//! agree are listed in [`KNOWN_EXCEPTIONS`] with the reason; the test fails when a listed row starts
//! passing or an unlisted row starts failing, so the list is always exact.
//!
//! Current result: 264 rows under 160 keys (158 places: two places appear under two keys, see
//! [`SAME_PLACE_TWO_KEYS`]); all 264 rows handled, 0 need a master list, 0 collisions between places.
//! Rows with a county omitted (`北海道ニセコ町`) agree because the county is dropped from every form, not
//! restored. Rows that differ only in a variant or place-name spelling agree through the tables in
//! `variant.rs`, several of whose entries were added for this corpus (`塩竈/塩釜`, `鍛冶/鍛治`, `辰己/辰巳`,
//! `氷飽/氷鉋`, `斑目/班目`, `花脊/花背`, `擽/櫟`, `爾/迩`): a spelling variant the tables do not know would
//! still need its entry.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::canonical;
use crate::schema::FieldType;

/// Rows that do not reach their place's canonical form without a master list: (address, reason).
const KNOWN_EXCEPTIONS: &[(&str, &str)] = &[];

/// Canonical forms shared by two keys that name one place: the corpus writes the expected `rest` column in
/// hyphen notation in one file and with 番地/番/号 in another. (canonical form, reason)
const SAME_PLACE_TWO_KEYS: &[(&str, &str)] = &[
    ("岐阜県岐阜市薮田南2-1-1", "rest `1-1` (県庁所在地) and `1番1号` (類似する町名候補) are one place"),
    (
        "青森県田舎館村田舎館字中辻123-1",
        "rest `字中辻123-1` (郡が省略) and `字中辻123番地1` (異字体旧字体) are one place",
    ),
];

type Key = [String; 4];

fn read_corpus() -> Vec<(String, Key)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/jp-address");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 12, "expected the 12 corpus files");
    let mut rows = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("address,prefecture,city,town,rest"), "{}", file.display());
        for line in lines {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split(',').collect();
            assert_eq!(fields.len(), 5, "{}: {line}", file.display());
            let key = [fields[1], fields[2], fields[3], fields[4]].map(str::to_owned);
            rows.push((fields[0].to_owned(), key));
        }
    }
    rows
}

#[test]
fn corpus_variants_agree_and_places_do_not_collide() {
    let rows = read_corpus();
    let mut places: BTreeMap<Key, Vec<(String, String)>> = BTreeMap::new();
    for (address, key) in rows.iter().cloned() {
        let canon = canonical(FieldType::JpAddress, &address).unwrap_or_else(|e| format!("<error: {e}>"));
        places.entry(key).or_default().push((address, canon));
    }

    // A place's canonical form is the one most of its rows give; the others are unhandled.
    let mut unhandled: BTreeSet<&str> = BTreeSet::new();
    let mut owners: BTreeMap<&str, BTreeSet<&Key>> = BTreeMap::new();
    for (key, members) in &places {
        let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, canon) in members {
            *votes.entry(canon).or_default() += 1;
        }
        let majority = members.iter().map(|(_, c)| c.as_str()).max_by_key(|c| votes[c]).unwrap();
        for (address, canon) in members {
            if canon != majority {
                unhandled.insert(address);
            }
            owners.entry(canon).or_default().insert(key);
        }
    }
    let same_place: BTreeSet<&str> = SAME_PLACE_TWO_KEYS.iter().map(|&(c, _)| c).collect();
    let shared: BTreeSet<&str> = owners.iter().filter(|(_, keys)| keys.len() > 1).map(|(&c, _)| c).collect();
    let collisions: Vec<_> = owners.iter().filter(|(c, keys)| keys.len() > 1 && !same_place.contains(*c)).collect();
    let stale_same_place: Vec<_> = same_place.difference(&shared).collect();

    let expected: BTreeSet<&str> = KNOWN_EXCEPTIONS.iter().map(|&(a, _)| a).collect();
    let newly_failing: Vec<_> = unhandled.difference(&expected).collect();
    let newly_passing: Vec<_> = expected.difference(&unhandled).collect();
    println!(
        "jp-address corpus: {} rows under {} keys; {} handled, {} need a master list (known exceptions), \
         {} collisions, {} places with two keys",
        rows.len(),
        places.len(),
        rows.len() - unhandled.len(),
        unhandled.len(),
        collisions.len(),
        shared.len() - collisions.len()
    );
    for (address, reason) in KNOWN_EXCEPTIONS {
        println!("  exception: {address}: {reason}");
    }
    let detail = |address: &str| {
        let (key, members) = places.iter().find(|(_, m)| m.iter().any(|(a, _)| a == address)).unwrap();
        format!("{address} in {key:?}: {members:?}")
    };
    assert!(
        newly_failing.is_empty(),
        "rows that no longer reach their place's form:\n{}",
        newly_failing.iter().map(|a| detail(a)).collect::<Vec<_>>().join("\n")
    );
    assert!(newly_passing.is_empty(), "known exceptions that now pass; remove them from the list: {newly_passing:?}");
    assert!(collisions.is_empty(), "different places share a canonical form: {collisions:#?}");
    assert!(stale_same_place.is_empty(), "no longer shared by two keys; remove from the list: {stale_same_place:?}");
}

#[test]
fn known_exceptions_have_reasons_and_exist() {
    let rows = read_corpus();
    for (address, reason) in KNOWN_EXCEPTIONS {
        assert!(!reason.is_empty());
        assert!(rows.iter().any(|(a, _)| a == address), "{address} is not in the corpus");
    }
}
