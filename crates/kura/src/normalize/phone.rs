//! Phone numbers, canonically in E.164 (`+819012345678`).
//!
//! Accepted notation: digits (full width too), spaces, hyphens and every other dash, brackets and dots, and
//! a leading `+`. A trunk prefix written `(0)` after a country code is dropped (`+44 (0)20 7946 0000`).
//!
//! - With `+81`, or without `+` at all, the number is Japanese: its national form starts with `0` and a
//!   non-zero digit, and has 11 digits for mobile, IP and machine numbers (`020 050 060 070 080 090` and
//!   `0800`) and 10 for everything else (landlines, `0120`, `0570`). `+81 90-1234-5678`,
//!   `+81 (0)90-1234-5678`, `(090)1234-5678` and `090-1234-5678` all give `+819012345678`.
//! - A national number starting with `010`, Japan's international call prefix, is an international number.
//! - With another country code the digits are kept as E.164: 7 to 15 digits, 11 for `+1`.
//!
//! Service numbers (`110`, `#8000`) and extensions are rejected: they do not identify a person.

use super::{chars, Error};
use crate::schema::FieldType;

const KIND: FieldType = FieldType::Phone;

fn invalid(reason: &'static str) -> Error {
    Error::Invalid { kind: KIND, reason }
}

pub(super) fn canonical(raw: &str) -> Result<String, Error> {
    let src = chars::prepare(KIND, raw)?;
    let mut digits = String::with_capacity(16);
    let mut plus = false;
    let mut rest = src.as_slice();
    if let ['+', tail @ ..] = rest {
        plus = true;
        rest = tail;
    }
    while let Some((&c, tail)) = rest.split_first() {
        match rest {
            // `+44 (0)20…`: the bracketed trunk prefix is not dialled from abroad.
            ['(', '0', ')', after @ ..] if plus => {
                rest = after;
                continue;
            }
            _ => {}
        }
        match c {
            '0'..='9' => digits.push(c),
            '(' | ')' | '.' | 'ー' => {}
            _ if c.is_whitespace() || chars::is_dash(c) => {}
            '+' => return Err(invalid("`+` is allowed only at the start")),
            _ => return Err(invalid("expected digits, spaces, hyphens or brackets")),
        }
        rest = tail;
    }
    if digits.is_empty() {
        return Err(invalid("expected digits"));
    }
    if plus {
        international(&digits)
    } else if let Some(after_prefix) = digits.strip_prefix("010") {
        international(after_prefix)
    } else {
        japanese(&digits)
    }
}

/// E.164 from the digits after `+`.
fn international(digits: &str) -> Result<String, Error> {
    if let Some(national) = digits.strip_prefix("81") {
        // `+81 90…` and `+81 090…` are both written; the national form always starts with 0.
        let national = national.strip_prefix('0').unwrap_or(national);
        let mut n = String::with_capacity(national.len() + 1);
        n.push('0');
        n.push_str(national);
        return japanese(&n);
    }
    if digits.starts_with('0') {
        return Err(invalid("a country code cannot start with 0"));
    }
    let len = digits.len();
    if digits.starts_with('1') && len != 11 {
        return Err(invalid("expected 11 digits after +1"));
    }
    if !(7..=15).contains(&len) {
        return Err(invalid("expected 7 to 15 digits after the country code's +"));
    }
    let mut out = String::with_capacity(len + 1);
    out.push('+');
    out.push_str(digits);
    Ok(out)
}

/// E.164 from a Japanese national number (leading `0` included).
fn japanese(national: &str) -> Result<String, Error> {
    let Some(rest) = national.strip_prefix('0') else {
        return Err(invalid("a number without a country code must start with 0"));
    };
    if rest.starts_with('0') {
        return Err(invalid("a Japanese number cannot start with 00"));
    }
    let eleven = ["20", "50", "60", "70", "80", "90", "800"].iter().any(|p| rest.starts_with(p));
    match (national.len(), eleven) {
        (11, true) | (10, false) => {}
        (10, true) => return Err(invalid("mobile, IP and 0800 numbers have 11 digits")),
        (11, false) => return Err(invalid("landline and 0120 numbers have 10 digits")),
        _ => return Err(invalid("expected 10 or 11 digits")),
    }
    let mut out = String::with_capacity(rest.len() + 3);
    out.push_str("+81");
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    fn same(group: &[&str]) {
        let first = canonical(group[0]).unwrap();
        for raw in group {
            assert_eq!(canonical(raw).unwrap(), first, "{raw} vs {}", group[0]);
        }
    }

    fn reason(raw: &str) -> &'static str {
        match canonical(raw) {
            Err(Error::Invalid { reason, .. }) => reason,
            other => panic!("{raw}: {other:?}"),
        }
    }

    #[test]
    fn japanese_mobile() {
        same(&[
            "+81 90-1234-5678",
            "+81-90-1234-5678",
            "+819012345678",
            "+81 (0)90-1234-5678",
            "+81 090 1234 5678",
            "(090)1234-5678",
            "090-1234-5678",
            "09012345678",
            "０９０－１２３４－５６７８",
            "090ー1234ー5678",
            "090.1234.5678",
            "090 1234 5678",
            "010-81-90-1234-5678",
        ]);
        assert_eq!(canonical("090-1234-5678").unwrap(), "+819012345678");
    }

    #[test]
    fn japanese_landline_and_special() {
        same(&["03-1234-5678", "(03)1234-5678", "+81 3 1234 5678", "0312345678"]);
        assert_eq!(canonical("03-1234-5678").unwrap(), "+81312345678");
        assert_eq!(canonical("0120-123-456").unwrap(), "+81120123456");
        assert_eq!(canonical("0800-123-4567").unwrap(), "+818001234567");
        assert_eq!(canonical("050-1234-5678").unwrap(), "+815012345678");
        assert_ne!(canonical("03-1234-5678").unwrap(), canonical("06-1234-5678").unwrap());
    }

    #[test]
    fn other_countries() {
        same(&["+1 (415) 555-0100", "+1-415-555-0100", "+14155550100", "010 1 415 555 0100"]);
        same(&["+44 (0)20 7946 0000", "+44 20 7946 0000"]);
        assert_eq!(canonical("+44 (0)20 7946 0000").unwrap(), "+442079460000");
    }

    #[test]
    fn rejections() {
        assert_eq!(reason("090-123-456"), "expected 10 or 11 digits");
        assert_eq!(reason("090-1234-56789"), "expected 10 or 11 digits");
        assert_eq!(reason("03-1234-56789"), "landline and 0120 numbers have 10 digits");
        assert_eq!(reason("0901234567"), "mobile, IP and 0800 numbers have 11 digits");
        assert_eq!(reason("90-1234-5678"), "a number without a country code must start with 0");
        assert_eq!(reason("0037-12-3456"), "a Japanese number cannot start with 00");
        assert_eq!(reason("110"), "a number without a country code must start with 0");
        assert_eq!(reason("0110"), "expected 10 or 11 digits");
        assert_eq!(reason("+1 415 555 010"), "expected 11 digits after +1");
        assert_eq!(reason("+44 12"), "expected 7 to 15 digits after the country code's +");
        assert_eq!(reason("+0 12345678"), "a country code cannot start with 0");
        assert_eq!(reason("090-1234-5678 ext 12"), "expected digits, spaces, hyphens or brackets");
        assert_eq!(reason("090+1234"), "`+` is allowed only at the start");
        assert_eq!(reason("+81 3 1234 567"), "expected 10 or 11 digits");
        assert_eq!(reason("()"), "expected digits");
    }
}
