//! Canonical forms of Japanese and US personal data.
//!
//! [`canonical`] maps a typed value to one string such that different notations of the same value give the
//! same string, and different values give different strings. Exact-match search computes its blind indexes
//! over this string, and fingerprinting checks that every notation it writes still normalises to it.
//!
//! Every kind first applies Unicode NFKC (full-width Latin and digits become ASCII, half-width kana become
//! full-width, `㈱` becomes `(株)`), removes variation selectors and zero-width characters, and trims white
//! space; a value that is empty after that is an error. Free text is the exception: it only gets NFC and
//! trimming, because its exact content matters and it is never searched.
//!
//! | kind | canonical form | example |
//! |---|---|---|
//! | `jp_address` | no spaces, variant kanji folded, `郡`/`大字`/leading `字` dropped, numbers in ASCII joined by `-` | `東京都中央区築地1-1-1` |
//! | `person_name_ja` | no spaces or `・`, variant kanji folded | `斎藤太郎` |
//! | `kana` | katakana, no spaces, one long-vowel mark `ー` | `ヤマダタロウ` |
//! | `person_name_romaji` | lower-case ASCII words, sorted, one space apart | `taro yamada` |
//! | `phone` | E.164 | `+819012345678` |
//! | `email` | domain lower-cased, local part kept | `Taro.Yamada@example.jp` |
//! | `date` | ISO 8601 | `1980-01-02` |
//! | `postal_code` | `NNN-NNNN` (Japan), `NNNNN` or `NNNNN-NNNN` (US) | `100-0001` |
//! | `organisation` | `(株)` etc. spelled out in place, no spaces, ASCII upper case | `株式会社サンプル` |
//! | `department` | no spaces, variant kanji folded, ASCII upper case | `営業部第1課` |
//! | `us_address` | upper case, USPS abbreviations, state code, no punctuation | `123 MAIN ST APT 5 SAN FRANCISCO CA 94105` |
//! | `card_number` | digits | `4111111111111111` |
//! | `card_expiry` | `YYYY-MM` | `2027-12` |
//! | `card_brand` | one of `VISA MASTERCARD AMEX JCB DINERS DISCOVER UNIONPAY` | `VISA` |
//! | `identifier` | white space collapsed to one space | `EMP-00042` |
//! | `free_text` | NFC, trimmed | |
//!
//! The submodules document each kind's rules and their limits.
//!
//! Guarantees: the result is a fixed point (`canonical(k, canonical(k, x)?) == canonical(k, x)`, checked by
//! a property test over inputs built to make the rules interact), and error
//! messages never contain the input, only what is wrong with it, because the input is personal data and
//! errors end up in logs. [`Error::Invalid`] carries a `&'static str` reason so that it cannot.

mod card;
mod chars;
mod date;
mod email;
mod jp_address;
mod name;
mod org;
mod phone;
mod postal;
mod text;
mod us_address;
mod variant;

pub(crate) use self::jp_address::PREFECTURES;
pub(crate) use self::us_address::STATES;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod testdata;

use crate::schema::FieldType;

/// Longest accepted input in bytes, for every kind except free text. Real values are far shorter; the
/// limit keeps a malicious import row from costing more than a few microseconds.
pub const MAX_INPUT_BYTES: usize = 4096;

/// Why a value has no canonical form. Messages say what is wrong, never what was typed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Nothing is left after trimming white space and invisible characters.
    #[error("{}: value is empty", .kind.as_str())]
    Empty {
        /// The field type that was being normalised.
        kind: FieldType,
    },
    /// The input is longer than [`MAX_INPUT_BYTES`].
    #[error("{}: value is longer than {max} bytes", .kind.as_str())]
    TooLong {
        /// The field type that was being normalised.
        kind: FieldType,
        /// The limit in bytes.
        max: usize,
    },
    /// The value is malformed for its kind.
    #[error("{}: {reason}", .kind.as_str())]
    Invalid {
        /// The field type that was being normalised.
        kind: FieldType,
        /// What is wrong, as a fixed message.
        reason: &'static str,
    },
}

impl Error {
    /// The field type whose value was rejected.
    pub fn kind(&self) -> FieldType {
        match self {
            Error::Empty { kind } | Error::TooLong { kind, .. } | Error::Invalid { kind, .. } => *kind,
        }
    }
}

/// The canonical form of `raw` as a value of type `kind`.
///
/// # Errors
/// [`Error::Empty`] for a blank value, [`Error::TooLong`] above [`MAX_INPUT_BYTES`], and
/// [`Error::Invalid`] when the value is not a well-formed value of its kind (an impossible date, a phone
/// number of the wrong length, an e-mail address without `@`, …).
pub fn canonical(kind: FieldType, raw: &str) -> Result<String, Error> {
    if kind != FieldType::FreeText && raw.len() > MAX_INPUT_BYTES {
        return Err(Error::TooLong { kind, max: MAX_INPUT_BYTES });
    }
    match kind {
        FieldType::Identifier => text::identifier(raw),
        FieldType::PersonNameJa => name::ja(raw),
        FieldType::PersonNameRomaji => name::romaji(raw),
        FieldType::Kana => name::kana(raw),
        FieldType::Email => email::canonical(raw),
        FieldType::Phone => phone::canonical(raw),
        FieldType::JpAddress => jp_address::canonical(raw),
        FieldType::UsAddress => us_address::canonical(raw),
        FieldType::PostalCode => postal::canonical(raw),
        FieldType::Date => date::canonical(raw),
        FieldType::Organisation => org::organisation(raw),
        FieldType::Department => org::department(raw),
        FieldType::CardNumber => card::number(raw),
        FieldType::CardExpiry => card::expiry(raw),
        FieldType::CardBrand => card::brand(raw),
        FieldType::FreeText => text::free_text(raw),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    const ALL: [FieldType; 16] = FieldType::ALL;

    #[test]
    fn blank_is_empty_for_every_kind() {
        for kind in ALL {
            for blank in ["", "   ", "\u{3000}\t\n", "\u{200B}"] {
                let err = canonical(kind, blank).unwrap_err();
                assert!(matches!(err, Error::Empty { .. }), "{kind:?} {blank:?}: {err}");
                assert_eq!(err.kind(), kind);
            }
        }
    }

    #[test]
    fn too_long_is_rejected_except_free_text() {
        let long = "a".repeat(MAX_INPUT_BYTES + 1);
        for kind in ALL {
            let r = canonical(kind, &long);
            if kind == FieldType::FreeText {
                assert!(r.is_ok());
            } else {
                assert!(matches!(r, Err(Error::TooLong { .. })), "{kind:?}");
            }
        }
    }

    /// Errors end up in logs; they must never echo the personal data that caused them.
    #[test]
    fn errors_never_contain_the_input() {
        let secrets = [
            "山田太郎XYZ@@example",
            "1980-02-30",
            "昭和65年1月1日",
            "090-1234-56789",
            "taro@",
            "1234-5678",
            "13/2027",
            "QWERTY9999",
            "〒",
            "abc\u{7}def",
            "東京都\u{7}",
            "ヤマダ太郎",
            "1234 5678 9012 3456 7890",
        ];
        for kind in ALL {
            for s in secrets {
                if let Err(e) = canonical(kind, s) {
                    let msg = e.to_string();
                    assert!(!msg.contains(s), "{kind:?}: `{msg}` echoes the input");
                    for part in s.split(|c: char| !c.is_alphanumeric()).filter(|p| p.chars().count() >= 3) {
                        assert!(!msg.contains(part), "{kind:?}: `{msg}` echoes `{part}`");
                    }
                    assert_eq!(msg, msg.trim_end_matches('.'), "no trailing period");
                    assert!(!msg.chars().next().unwrap().is_uppercase());
                }
            }
        }
    }

    #[test]
    fn canonical_is_idempotent_on_examples() {
        let examples: &[(FieldType, &str)] = &[
            (FieldType::JpAddress, "〒104-0045 東京都中央区築地１丁目１－１ 築地ビル１０１号室"),
            (FieldType::JpAddress, "北海道札幌市中央区北三条西六丁目1番地"),
            (FieldType::PersonNameJa, "髙橋　邊"),
            (FieldType::Kana, "ﾔﾏﾀﾞ ﾀﾛｰ"),
            (FieldType::PersonNameRomaji, "YAMADA, Tarō"),
            (FieldType::Phone, "(090)1234-5678"),
            (FieldType::Email, "Taro@EXAMPLE.JP"),
            (FieldType::Date, "平成元年1月8日"),
            (FieldType::PostalCode, "〒１００－０００１"),
            (FieldType::Organisation, "㈱サンプル"),
            (FieldType::Department, "営業部 第一課"),
            (FieldType::UsAddress, "123 Main Street, Apt. 5, San Francisco, California 94105"),
            (FieldType::CardNumber, "4111 1111 1111 1111"),
            (FieldType::CardExpiry, "12/27"),
            (FieldType::CardBrand, "Visa"),
            (FieldType::Identifier, " EMP  42 "),
            (FieldType::FreeText, " note "),
        ];
        for &(kind, raw) in examples {
            let once = canonical(kind, raw).unwrap();
            let twice = canonical(kind, &once).unwrap();
            assert_eq!(once, twice, "{kind:?}");
        }
    }
}
