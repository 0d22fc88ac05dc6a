//! Character-level building blocks shared by every kind: NFKC with invisible characters removed, trimming,
//! character classes (kanji, kana, dashes) and kanji numerals.
//!
//! Guarantees: [`prepare`] returns NFKC text (full-width Latin and digits become ASCII, half-width kana
//! become full-width, `㈱` becomes `(株)`) with variation selectors and zero-width characters removed,
//! without leading or trailing white space and without control characters other than white space.
//! Nothing here allocates more than the one output vector.

use unicode_normalization::UnicodeNormalization;

use super::Error;
use crate::schema::FieldType;

/// NFKC-normalises `raw`, drops invisible characters and trims white space.
///
/// # Errors
/// [`Error::Empty`] when nothing is left, [`Error::Invalid`] when a control character other than white
/// space is present.
pub(super) fn prepare(kind: FieldType, raw: &str) -> Result<Vec<char>, Error> {
    let mut v: Vec<char> = if raw.is_ascii() {
        // NFKC is the identity on ASCII; skip the decomposition machinery for the common case.
        raw.trim().chars().collect()
    } else {
        let mut removed = false;
        let v: Vec<char> = raw
            .nfkc()
            .filter(|&c| {
                let invisible = is_invisible(c);
                removed |= invisible;
                !invisible
            })
            .collect();
        // A variation selector between `ケ` and a voiced mark kept them apart; now they meet.
        if removed && v.iter().any(|&c| unicode_normalization::char::is_combining_mark(c)) {
            v.iter().collect::<String>().nfc().collect()
        } else {
            v
        }
    };
    trim(&mut v);
    if v.is_empty() {
        return Err(Error::Empty { kind });
    }
    if v.iter().any(|&c| c.is_control() && !c.is_whitespace()) {
        return Err(Error::Invalid { kind, reason: "contains a control character" });
    }
    Ok(v)
}

/// Composes again after characters were deleted: removing the space in `ケ ﾞ` leaves `ケ` and a combining
/// voiced mark side by side, which NFKC would have written `ゲ`. Free unless a combining mark is present.
pub(super) fn recompose(s: String) -> String {
    if s.chars().any(unicode_normalization::char::is_combining_mark) {
        s.nfc().collect()
    } else {
        s
    }
}

/// Removes leading and trailing white space in place.
pub(super) fn trim(v: &mut Vec<char>) {
    let end = v.iter().rposition(|c| !c.is_whitespace()).map_or(0, |i| i + 1);
    v.truncate(end);
    let start = v.iter().position(|c| !c.is_whitespace()).unwrap_or(v.len());
    v.drain(..start);
}

/// Variation selectors (IVS/SVS), zero-width characters, the byte-order mark and the soft hyphen: they
/// change how a character is drawn or nothing at all, never which value is meant.
pub(super) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{FE00}'..='\u{FE0F}'
            | '\u{E0100}'..='\u{E01EF}'
            | '\u{180B}'..='\u{180D}'
            | '\u{180F}'
            | '\u{200B}'..='\u{200D}'
            | '\u{2060}'
            | '\u{FEFF}'
            | '\u{00AD}'
    )
}

/// Hyphens, dashes, minus signs and box-drawing lines that people type between numbers. The katakana
/// long-vowel mark `ー` is not included: it is a dash only after a digit, which callers decide.
pub(super) fn is_dash(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}'
            ..='\u{2015}'
                | '\u{2043}'
                | '\u{2212}'
                | '\u{2500}'
                | '\u{2501}'
                | '\u{2E3A}'
                | '\u{2E3B}'
                | '\u{FE58}'
                | '\u{FE63}'
                | '\u{FF0D}'
    )
}

/// CJK ideographs, including the iteration mark `々` and the numeral `〇`.
pub(super) fn is_kanji(c: char) -> bool {
    matches!(
        c,
        '\u{3400}'..='\u{4DBF}'
            | '\u{4E00}'..='\u{9FFF}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{20000}'..='\u{3FFFF}'
            | '々'
            | '〆'
            | '〇'
    )
}

/// Hiragana letters and iteration marks.
pub(super) fn is_hiragana(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{3096}' | 'ゝ' | 'ゞ')
}

/// Full-width katakana letters and iteration marks (not the long-vowel mark).
pub(super) fn is_katakana(c: char) -> bool {
    matches!(c, '\u{30A1}'..='\u{30FA}' | 'ヽ' | 'ヾ')
}

/// Hiragana, katakana or the long-vowel mark.
pub(super) fn is_kana(c: char) -> bool {
    is_hiragana(c) || is_katakana(c) || c == 'ー'
}

/// The katakana letter for a hiragana letter; other characters unchanged.
pub(super) fn to_katakana(c: char) -> char {
    match c {
        '\u{3041}'..='\u{3096}' | 'ゝ' | 'ゞ' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
        _ => c,
    }
}

/// The value of a kanji digit `〇一二…九`.
pub(super) fn kanji_digit(c: char) -> Option<u32> {
    Some(match c {
        '〇' | '零' => 0,
        '一' => 1,
        '二' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

/// A kanji digit or one of the units `十百千`.
pub(super) fn is_kanji_numeral(c: char) -> bool {
    kanji_digit(c).is_some() || matches!(c, '十' | '百' | '千')
}

/// The value of a run of kanji numerals, written either with units (`二十二`, `千九百九十九`, `百〇一`) or
/// positionally (`二〇二`). `None` when the run is malformed (`十十`, `二二十`) or longer than five digits.
pub(super) fn kanji_number(run: &[char]) -> Option<u32> {
    if run.is_empty() {
        return None;
    }
    if run.iter().any(|c| matches!(c, '十' | '百' | '千')) {
        let mut total = 0;
        let mut digit: Option<u32> = None;
        let mut last_unit = u32::MAX;
        for &c in run {
            let unit = match c {
                '十' => 10,
                '百' => 100,
                '千' => 1000,
                _ => {
                    let d = kanji_digit(c)?;
                    // 〇 inside a unit number is a filler (百〇一 = 101).
                    if d != 0 {
                        if digit.is_some() {
                            return None;
                        }
                        digit = Some(d);
                    }
                    continue;
                }
            };
            if unit >= last_unit {
                return None;
            }
            total += digit.take().unwrap_or(1) * unit;
            last_unit = unit;
        }
        Some(total + digit.unwrap_or(0))
    } else {
        if run.len() > 5 {
            return None;
        }
        run.iter().try_fold(0, |acc, &c| Some(acc * 10 + kanji_digit(c)?))
    }
}

/// Appends the decimal digits of `n`.
pub(super) fn push_decimal(out: &mut Vec<char>, n: u32) {
    let start = out.len();
    let mut n = n;
    loop {
        out.push(char::from_digit(n % 10, 10).unwrap_or('0'));
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if let Some(digits) = out.get_mut(start..) {
        digits.reverse();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    fn num(s: &str) -> Option<u32> {
        kanji_number(&s.chars().collect::<Vec<_>>())
    }

    #[test]
    fn kanji_numbers() {
        assert_eq!(num("一"), Some(1));
        assert_eq!(num("十"), Some(10));
        assert_eq!(num("十一"), Some(11));
        assert_eq!(num("二十二"), Some(22));
        assert_eq!(num("三十七"), Some(37));
        assert_eq!(num("百"), Some(100));
        assert_eq!(num("百〇一"), Some(101));
        assert_eq!(num("千九百九十九"), Some(1999));
        assert_eq!(num("二〇二"), Some(202));
        assert_eq!(num("一〇一"), Some(101));
        assert_eq!(num("十十"), None);
        assert_eq!(num("二二十"), None);
        assert_eq!(num("十百"), None);
        assert_eq!(num("一二三四五六"), None);
        assert_eq!(num(""), None);
    }

    #[test]
    fn prepare_normalises_and_trims() {
        let v = prepare(FieldType::Identifier, "\u{3000}ＡＢＣ１２３\u{200B} ").unwrap();
        assert_eq!(v.iter().collect::<String>(), "ABC123");
        let v = prepare(FieldType::Identifier, "葛\u{E0100}飾").unwrap();
        assert_eq!(v.iter().collect::<String>(), "葛飾");
        assert!(matches!(prepare(FieldType::Identifier, " \u{3000}\t"), Err(Error::Empty { .. })));
        assert!(matches!(prepare(FieldType::Identifier, "a\u{7}b"), Err(Error::Invalid { .. })));
    }

    #[test]
    fn recompose_after_deletion() {
        assert_eq!(recompose("ケ\u{3099}和".to_owned()), "ゲ和");
        assert_eq!(recompose("abc".to_owned()), "abc");
    }

    #[test]
    fn decimal_and_kana() {
        let mut v = Vec::new();
        push_decimal(&mut v, 1204);
        push_decimal(&mut v, 0);
        assert_eq!(v.iter().collect::<String>(), "12040");
        assert_eq!(to_katakana('あ'), 'ア');
        assert_eq!(to_katakana('ゔ'), 'ヴ');
        assert_eq!(to_katakana('ゞ'), 'ヾ');
        assert_eq!(to_katakana('ア'), 'ア');
    }
}
