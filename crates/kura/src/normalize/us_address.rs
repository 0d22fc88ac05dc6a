//! US postal addresses, in the style of USPS Publication 28.
//!
//! Upper case; `.` and `'` removed (`St.` → `ST`, `P.O.` → `PO`); other punctuation separates words; one
//! space between words; a hyphen survives only between digits (`94105-1234`, `123-45`). Street suffixes,
//! directions and unit designators are abbreviated (`STREET` → `ST`, `AVENUE` → `AVE`, `ROAD` → `RD`,
//! `BOULEVARD` → `BLVD`, `DRIVE` → `DR`, `LANE` → `LN`, `SUITE` → `STE`, `APARTMENT` → `APT`, `NORTH` → `N`,
//! …); `#` is `APT` unless a unit designator precedes it (`STE #200` → `STE 200`); `POST OFFICE BOX` and
//! `P O BOX` are `PO BOX`. A trailing `USA`/`UNITED STATES` is dropped, a ZIP code at the end is written
//! `NNNNN` or `NNNNN-NNNN`, and the state in front of it (or at the end) becomes its two-letter code; only
//! there, so `New York, New York` = `New York, NY` → `NEW YORK NY`.
//!
//! `123 Main Street, Apt. 5, San Francisco, California 94105` → `123 MAIN ST APT 5 SAN FRANCISCO CA 94105`.

use super::{chars, Error};
use crate::schema::FieldType;

const KIND: FieldType = FieldType::UsAddress;

/// Word → USPS abbreviation, sorted by word.
#[rustfmt::skip]
static ABBREVIATIONS: &[(&str, &str)] = &[
    ("ALLEY", "ALY"), ("ANNEX", "ANX"), ("APARTMENT", "APT"), ("ARCADE", "ARC"), ("AV", "AVE"), ("AVEN", "AVE"),
    ("AVENU", "AVE"), ("AVENUE", "AVE"), ("BASEMENT", "BSMT"), ("BEACH", "BCH"), ("BOUL", "BLVD"), ("BOULEVARD", "BLVD"),
    ("BOULV", "BLVD"), ("BRIDGE", "BRG"), ("BUILDING", "BLDG"), ("BYPASS", "BYP"), ("CANYON", "CYN"), ("CAUSEWAY", "CSWY"),
    ("CENTER", "CTR"), ("CENTRE", "CTR"), ("CIRCLE", "CIR"), ("CLIFF", "CLF"), ("COURT", "CT"), ("COVE", "CV"),
    ("CREEK", "CRK"), ("CRESCENT", "CRES"), ("CROSSING", "XING"), ("DEPARTMENT", "DEPT"), ("DRIVE", "DR"), ("DRV", "DR"),
    ("EAST", "E"), ("EXPRESSWAY", "EXPY"), ("EXTENSION", "EXT"), ("FLOOR", "FL"), ("FREEWAY", "FWY"), ("GARDENS", "GDNS"),
    ("GROVE", "GRV"), ("HARBOR", "HBR"), ("HEIGHTS", "HTS"), ("HIGHWAY", "HWY"), ("HOLLOW", "HOLW"), ("ISLAND", "IS"),
    ("JUNCTION", "JCT"), ("LAKE", "LK"), ("LANDING", "LNDG"), ("LANE", "LN"), ("MOUNT", "MT"), ("MOUNTAIN", "MTN"),
    ("NORTH", "N"), ("NORTHEAST", "NE"), ("NORTHWEST", "NW"), ("PARKWAY", "PKWY"), ("PENTHOUSE", "PH"), ("PLACE", "PL"),
    ("PLAZA", "PLZ"), ("POINT", "PT"), ("RIDGE", "RDG"), ("ROAD", "RD"), ("ROOM", "RM"), ("ROUTE", "RTE"),
    ("SOUTH", "S"), ("SOUTHEAST", "SE"), ("SOUTHWEST", "SW"), ("SPRINGS", "SPGS"), ("SQUARE", "SQ"), ("STATION", "STA"),
    ("STR", "ST"), ("STREET", "ST"), ("SUITE", "STE"), ("TERRACE", "TER"), ("TRAIL", "TRL"), ("TURNPIKE", "TPKE"),
    ("VALLEY", "VLY"), ("VIEW", "VW"), ("VILLAGE", "VLG"), ("WEST", "W"),
];

/// State and territory names (words separated by one space) and their codes.
#[rustfmt::skip]
pub(crate) static STATES: &[(&str, &str)] = &[
    ("ALABAMA", "AL"), ("ALASKA", "AK"), ("ARIZONA", "AZ"), ("ARKANSAS", "AR"), ("CALIFORNIA", "CA"),
    ("COLORADO", "CO"), ("CONNECTICUT", "CT"), ("DELAWARE", "DE"), ("FLORIDA", "FL"), ("GEORGIA", "GA"),
    ("HAWAII", "HI"), ("IDAHO", "ID"), ("ILLINOIS", "IL"), ("INDIANA", "IN"), ("IOWA", "IA"),
    ("KANSAS", "KS"), ("KENTUCKY", "KY"), ("LOUISIANA", "LA"), ("MAINE", "ME"), ("MARYLAND", "MD"),
    ("MASSACHUSETTS", "MA"), ("MICHIGAN", "MI"), ("MINNESOTA", "MN"), ("MISSISSIPPI", "MS"), ("MISSOURI", "MO"),
    ("MONTANA", "MT"), ("NEBRASKA", "NE"), ("NEVADA", "NV"), ("NEW HAMPSHIRE", "NH"), ("NEW JERSEY", "NJ"),
    ("NEW MEXICO", "NM"), ("NEW YORK", "NY"), ("NORTH CAROLINA", "NC"), ("NORTH DAKOTA", "ND"), ("OHIO", "OH"),
    ("OKLAHOMA", "OK"), ("OREGON", "OR"), ("PENNSYLVANIA", "PA"), ("RHODE ISLAND", "RI"), ("SOUTH CAROLINA", "SC"),
    ("SOUTH DAKOTA", "SD"), ("TENNESSEE", "TN"), ("TEXAS", "TX"), ("UTAH", "UT"), ("VERMONT", "VT"),
    ("VIRGINIA", "VA"), ("WASHINGTON", "WA"), ("WEST VIRGINIA", "WV"), ("WISCONSIN", "WI"), ("WYOMING", "WY"),
    ("DISTRICT OF COLUMBIA", "DC"), ("PUERTO RICO", "PR"), ("GUAM", "GU"), ("VIRGIN ISLANDS", "VI"), ("AMERICAN SAMOA", "AS"),
    ("NORTHERN MARIANA ISLANDS", "MP"),
];

/// Unit designators after which `#` is redundant.
const UNITS: [&str; 9] = ["APT", "STE", "UNIT", "RM", "FL", "BLDG", "DEPT", "LOT", "SPC"];

fn invalid(reason: &'static str) -> Error {
    Error::Invalid { kind: KIND, reason }
}

pub(super) fn canonical(raw: &str) -> Result<String, Error> {
    let src = chars::prepare(KIND, raw)?;
    let mut buf = String::with_capacity(src.len() + 8);
    for (i, &c) in src.iter().enumerate() {
        let between_digits = || {
            let prev = i.checked_sub(1).and_then(|j| src.get(j));
            prev.is_some_and(char::is_ascii_digit) && src.get(i + 1).is_some_and(char::is_ascii_digit)
        };
        match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' => buf.push(c.to_ascii_uppercase()),
            '.' | '\'' | '’' => {}
            '#' | '&' => {
                buf.push(' ');
                buf.push(c);
                buf.push(' ');
            }
            '/' if between_digits() => buf.push('/'),
            _ if chars::is_dash(c) && between_digits() => buf.push('-'),
            _ if chars::is_dash(c) || c.is_whitespace() || matches!(c, ',' | ';' | ':' | '(' | ')' | '"' | '/') => {
                buf.push(' ');
            }
            // Latin letters with diacritics (`Cañada`); other scripts are not a US address.
            _ if c.is_alphabetic() && (c as u32) < 0x0250 => buf.extend(c.to_uppercase()),
            _ => return Err(invalid("expected Latin letters, digits and punctuation")),
        }
    }
    let mut words: Vec<&str> = buf.split_ascii_whitespace().collect();
    drop_country(&mut words);
    let zip = words.last().and_then(|w| zip(w));
    if zip.is_some() {
        words.pop();
    }
    let state = state(&words);
    if let Some((n, _)) = state {
        words.truncate(words.len() - n);
    }
    if words.is_empty() && zip.is_none() && state.is_none() {
        return Err(invalid("expected an address, found only punctuation"));
    }

    let mut out = String::with_capacity(buf.len());
    let mut push = |w: &str| {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    };
    let mut last: &str = "";
    let mut rest = words.as_slice();
    while let Some((&w, tail)) = rest.split_first() {
        let (word, used) = match rest {
            ["P", "O", "BOX", ..] | ["POST", "OFFICE", "BOX", ..] => ("PO BOX", 3),
            ["#", ..] if UNITS.contains(&last) => ("", 1),
            ["#", ..] => ("APT", 1),
            _ => (abbreviation(w).unwrap_or(w), 1),
        };
        if !word.is_empty() {
            push(word);
            last = word;
        }
        rest = rest.get(used..).unwrap_or(tail);
    }
    if let Some((_, code)) = state {
        push(code);
    }
    if let Some((five, four)) = zip {
        push(five);
        if let Some(four) = four {
            out.push('-');
            out.push_str(four);
        }
    }
    Ok(out)
}

fn abbreviation(word: &str) -> Option<&'static str> {
    ABBREVIATIONS.binary_search_by_key(&word, |&(w, _)| w).ok().and_then(|i| ABBREVIATIONS.get(i)).map(|&(_, a)| a)
}

fn drop_country(words: &mut Vec<&str>) {
    let n = match words.as_slice() {
        [.., "UNITED", "STATES", "OF", "AMERICA"] => 4,
        [.., "UNITED", "STATES"] | [.., "U", "S"] => 2,
        [.., "U", "S", "A"] => 3,
        [.., "USA" | "US"] => 1,
        _ => 0,
    };
    words.truncate(words.len() - n);
}

/// A ZIP or ZIP+4 code, split into its five and four digits.
fn zip(word: &str) -> Option<(&str, Option<&str>)> {
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    match word.len() {
        5 if all_digits(word) => Some((word, None)),
        9 if all_digits(word) => word.split_at_checked(5).map(|(a, b)| (a, Some(b))),
        10 => {
            let (five, dash_four) = word.split_at_checked(5)?;
            let four = dash_four.strip_prefix('-')?;
            (all_digits(five) && all_digits(four)).then_some((five, Some(four)))
        }
        _ => None,
    }
}

/// The state at the end of `words`: how many words it spans and its code. The longest name wins
/// (`WEST VIRGINIA` over `VIRGINIA`).
fn state(words: &[&str]) -> Option<(usize, &'static str)> {
    let mut best: Option<(usize, &'static str)> = None;
    for &(name, code) in STATES {
        let n = name.split(' ').count();
        let Some(tail) = words.len().checked_sub(n).and_then(|start| words.get(start..)) else { continue };
        if name.split(' ').eq(tail.iter().copied()) && best.is_none_or(|(m, _)| n > m) {
            best = Some((n, code));
        }
    }
    if best.is_none() {
        let last = *words.last()?;
        if let Some(&(_, code)) = STATES.iter().find(|&&(_, code)| code == last) {
            return Some((1, code));
        }
        // Armed Forces "states".
        if let Some(&code) = ["AA", "AE", "AP"].iter().find(|&&code| code == last) {
            return Some((1, code));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    fn all(expected: &str, group: &[&str]) {
        for raw in group {
            assert_eq!(canonical(raw).unwrap_or_else(|e| panic!("{raw}: {e}")), expected, "{raw}");
        }
    }

    #[test]
    fn tables_are_sorted() {
        for w in ABBREVIATIONS.windows(2) {
            assert!(w[0].0 < w[1].0, "{}", w[0].0);
        }
    }

    #[test]
    fn streets_units_states() {
        all(
            "123 MAIN ST APT 5 SAN FRANCISCO CA 94105",
            &[
                "123 Main Street, Apt. 5, San Francisco, California 94105",
                "123 MAIN ST APT 5 SAN FRANCISCO CA 94105",
                "123 Main St., #5, San Francisco, CA 94105",
                "123 main street apartment 5 san francisco ca 94105 USA",
                "123  Main  St  Apt #5\nSan Francisco, CA 94105, United States",
                "１２３ Ｍａｉｎ Ｓｔ Ａｐｔ ５, San Francisco, CA 94105",
            ],
        );
        all(
            "500 N MICHIGAN AVE STE 200 CHICAGO IL 60611-1234",
            &[
                "500 North Michigan Avenue, Suite #200, Chicago, Illinois 60611-1234",
                "500 N. Michigan Ave. Ste 200 Chicago IL 606111234",
            ],
        );
        all(
            "1 BROADWAY NEW YORK NY 10004",
            &["1 Broadway, New York, New York 10004", "1 Broadway, New York, NY 10004"],
        );
        all(
            "PO BOX 12 CHARLESTON WV 25301",
            &["P.O. Box 12, Charleston, West Virginia 25301", "Post Office Box 12, Charleston, WV 25301"],
        );
        all(
            "1600 PENNSYLVANIA AVE NW WASHINGTON DC 20500",
            &[
                "1600 Pennsylvania Avenue NW, Washington, D.C. 20500",
                "1600 Pennsylvania Ave. Northwest, Washington, District of Columbia 20500",
            ],
        );
        all("10 ELM RD SPRINGFIELD IL", &["10 Elm Road, Springfield, Illinois"]);
    }

    #[test]
    fn different_addresses_differ() {
        assert_ne!(canonical("123 Main St Apt 5").unwrap(), canonical("123 Main St Apt 6").unwrap());
        assert_ne!(canonical("123 Main St").unwrap(), canonical("123 Main Ave").unwrap());
        assert_ne!(canonical("12-34 Main St").unwrap(), canonical("1234 Main St").unwrap());
    }

    #[test]
    fn rejections() {
        assert!(matches!(canonical("東京都"), Err(Error::Invalid { .. })));
        assert!(matches!(canonical(", . ;"), Err(Error::Invalid { .. })));
    }
}
