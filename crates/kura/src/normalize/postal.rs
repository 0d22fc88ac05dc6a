//! Postal codes: Japanese `NNN-NNNN`, US ZIP `NNNNN` and ZIP+4 `NNNNN-NNNN`.
//!
//! `〒100-0001`, `1000001`, `１００－０００１`, `100ー0001` and `〒 100 0001` give `100-0001`; `94105` stays;
//! `94105-1234`, `941051234` and `94105 1234` give `94105-1234`. The country follows from the number of
//! digits (7 Japan, 5 or 9 US), and a separator is accepted only where the country puts it.

use super::{chars, Error};
use crate::schema::FieldType;

const KIND: FieldType = FieldType::PostalCode;
const FORMAT: &str = "expected a Japanese (NNN-NNNN) or US (NNNNN or NNNNN-NNNN) postal code";

pub(super) fn canonical(raw: &str) -> Result<String, Error> {
    let src = chars::prepare(KIND, raw)?;
    let rest = match src.as_slice() {
        ['〒', rest @ ..] => rest,
        all => all,
    };
    let mut digits = String::with_capacity(10);
    // Where the one separator stood, counted in digits before it.
    let mut separator_at: Option<usize> = None;
    let mut pending_separator = false;
    for &c in rest {
        if c.is_ascii_digit() {
            if std::mem::take(&mut pending_separator) {
                if separator_at.is_some() {
                    return Err(Error::Invalid { kind: KIND, reason: FORMAT });
                }
                separator_at = Some(digits.len());
            }
            digits.push(c);
        } else if (c.is_whitespace() || chars::is_dash(c) || c == 'ー') && !digits.is_empty() {
            pending_separator = true;
        } else if !c.is_whitespace() {
            return Err(Error::Invalid { kind: KIND, reason: FORMAT });
        }
    }
    let mut out = String::with_capacity(10);
    let (head, tail) = match (digits.len(), separator_at) {
        (7, None | Some(3)) => digits.split_at_checked(3),
        (5, None) => Some((digits.as_str(), "")),
        (9, None | Some(5)) => digits.split_at_checked(5),
        (7 | 9, Some(_)) => return Err(Error::Invalid { kind: KIND, reason: "separator in the wrong place" }),
        _ => None,
    }
    .ok_or(Error::Invalid { kind: KIND, reason: FORMAT })?;
    out.push_str(head);
    if !tail.is_empty() {
        out.push('-');
        out.push_str(tail);
    }
    Ok(out)
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
    fn japanese() {
        all(
            "100-0001",
            &[
                "〒100-0001",
                "1000001",
                "１００－０００１",
                "100ー0001",
                "〒 100 0001",
                "100−0001",
                "〒１００ー０００１",
                " 100-0001 ",
            ],
        );
    }

    #[test]
    fn us() {
        all("94105", &["94105", " 94105 "]);
        all("94105-1234", &["94105-1234", "941051234", "94105 1234", "９４１０５－１２３４"]);
    }

    #[test]
    fn rejections() {
        for raw in [
            "100-00001",
            "10-00001",
            "1234",
            "123456",
            "12345678",
            "1000-001",
            "9410-51234",
            "100-0001-2",
            "〒",
            "ABC-DEFG",
            "100_0001",
            "-1000001",
        ] {
            assert!(matches!(canonical(raw), Err(Error::Invalid { .. }) | Err(Error::Empty { .. })), "{raw}");
        }
        assert_ne!(canonical("1000001").unwrap(), canonical("1000002").unwrap());
    }
}
