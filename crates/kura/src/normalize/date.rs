//! Calendar dates, canonically ISO 8601 `YYYY-MM-DD`.
//!
//! Western notation: `1980-01-02`, `1980/1/2`, `1980.1.2`, `1980年1月2日`, `19800102` (the year has four
//! digits; two-digit years are ambiguous and rejected). Japanese era (和暦) notation: `昭和55年1月2日`,
//! `S55.1.2`, `S55/1/2`, `s55-1-2`, `平成元年1月8日`, `H1.1.8`, `令和5年…`, `R5…`, `大正`/`T`, `明治`/`M`,
//! and the one-character era signs (`㍼`, `㍻`, `㋿`, via NFKC). Numbers may be written in kanji
//! (`昭和五十五年一月二日`) and spaces are ignored.
//!
//! Guarantees: the date exists in the Gregorian calendar (month 1–12, the month's length, 29 February
//! only in leap years), and an era date lies inside its era: 明治 1868-01-01..=1912-07-29, 大正
//! 1912-07-30..=1926-12-24, 昭和 1926-12-25..=1989-01-07, 平成 1989-01-08..=2019-04-30, 令和 from
//! 2019-05-01. (明治 dates before 1873 were lunar-calendar dates; they are taken as written.)

use super::chars::{self, is_kanji_numeral};
use super::Error;
use crate::schema::FieldType;

const KIND: FieldType = FieldType::Date;

fn invalid(reason: &'static str) -> Error {
    Error::Invalid { kind: KIND, reason }
}

const FORMAT: &str = "expected a date such as 1980-01-02, 1980年1月2日 or 昭和55年1月2日";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Era {
    Meiji,
    Taisho,
    Showa,
    Heisei,
    Reiwa,
}

impl Era {
    /// The Western year of the era's first year, and its first and last day.
    fn bounds(self) -> (u32, (u32, u32, u32), (u32, u32, u32)) {
        match self {
            Era::Meiji => (1868, (1868, 1, 1), (1912, 7, 29)),
            Era::Taisho => (1912, (1912, 7, 30), (1926, 12, 24)),
            Era::Showa => (1926, (1926, 12, 25), (1989, 1, 7)),
            Era::Heisei => (1989, (1989, 1, 8), (2019, 4, 30)),
            Era::Reiwa => (2019, (2019, 5, 1), (9999, 12, 31)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    /// A number and how many digits it was written with (kanji numerals count their decimal digits).
    Num(u32, usize),
    Era(Era),
    /// `-`, `/`, `.`, `年`, `月` or `日`.
    Sep(char),
}

fn tokenize(src: &[char]) -> Result<Vec<Tok>, Error> {
    let mut toks = Vec::with_capacity(8);
    let mut rest = src;
    while let Some((&c, tail)) = rest.split_first() {
        let (tok, used) = match rest {
            ['明', '治', ..] => (Tok::Era(Era::Meiji), 2),
            ['大', '正', ..] => (Tok::Era(Era::Taisho), 2),
            ['昭', '和', ..] => (Tok::Era(Era::Showa), 2),
            ['平', '成', ..] => (Tok::Era(Era::Heisei), 2),
            ['令', '和', ..] => (Tok::Era(Era::Reiwa), 2),
            _ if c.is_whitespace() => {
                rest = tail;
                continue;
            }
            _ if c.is_ascii_digit() => {
                let n = rest.iter().take_while(|c| c.is_ascii_digit()).count();
                if n > 8 {
                    return Err(invalid(FORMAT));
                }
                let v = rest.iter().take(n).fold(0, |acc, c| acc * 10 + c.to_digit(10).unwrap_or(0));
                (Tok::Num(v, n), n)
            }
            _ if is_kanji_numeral(c) => {
                let n = rest.iter().take_while(|&&c| is_kanji_numeral(c)).count();
                let v = chars::kanji_number(rest.get(..n).unwrap_or_default()).ok_or_else(|| invalid(FORMAT))?;
                (Tok::Num(v, decimal_len(v)), n)
            }
            // 元年: the first year of an era.
            ['元', ..] if matches!(toks.last(), Some(Tok::Era(_))) => (Tok::Num(1, 1), 1),
            ['M' | 'm', ..] if toks.is_empty() => (Tok::Era(Era::Meiji), 1),
            ['T' | 't', ..] if toks.is_empty() => (Tok::Era(Era::Taisho), 1),
            ['S' | 's', ..] if toks.is_empty() => (Tok::Era(Era::Showa), 1),
            ['H' | 'h', ..] if toks.is_empty() => (Tok::Era(Era::Heisei), 1),
            ['R' | 'r', ..] if toks.is_empty() => (Tok::Era(Era::Reiwa), 1),
            ['/' | '.' | '年' | '月' | '日', ..] => (Tok::Sep(c), 1),
            _ if chars::is_dash(c) => (Tok::Sep('-'), 1),
            _ => return Err(invalid(FORMAT)),
        };
        toks.push(tok);
        rest = rest.get(used..).unwrap_or_default();
    }
    Ok(toks)
}

fn decimal_len(v: u32) -> usize {
    v.checked_ilog10().map_or(1, |l| l as usize + 1)
}

/// Separators that may join year, month and day: the same punctuation twice, or 年 and 月.
fn separators_match(a: char, b: char) -> bool {
    a == b && matches!(a, '-' | '/' | '.') || (a, b) == ('年', '月')
}

pub(super) fn canonical(raw: &str) -> Result<String, Error> {
    let src = chars::prepare(KIND, raw)?;
    let toks = tokenize(&src)?;
    // A trailing 日 is allowed only after 年…月….
    let toks = match toks.as_slice() {
        [head @ .., Tok::Sep('月'), Tok::Num(..), Tok::Sep('日')] => toks.get(..head.len() + 2).unwrap_or_default(),
        all => all,
    };
    let (y, m, d) = match toks {
        [Tok::Num(v, 8)] => (v / 10000, v / 100 % 100, v % 100),
        [Tok::Num(y, 4), Tok::Sep(a), Tok::Num(m, 1 | 2), Tok::Sep(b), Tok::Num(d, 1 | 2)]
            if separators_match(*a, *b) =>
        {
            if *y == 0 {
                return Err(invalid("year out of range"));
            }
            (*y, *m, *d)
        }
        [Tok::Era(era), Tok::Num(ey, 1 | 2), Tok::Sep(a), Tok::Num(m, 1 | 2), Tok::Sep(b), Tok::Num(d, 1 | 2)]
            if separators_match(*a, *b) =>
        {
            return era_date(*era, *ey, *m, *d);
        }
        _ => return Err(invalid(FORMAT)),
    };
    check_day(y, m, d)?;
    Ok(format!("{y:04}-{m:02}-{d:02}"))
}

fn era_date(era: Era, era_year: u32, m: u32, d: u32) -> Result<String, Error> {
    if era_year == 0 {
        return Err(invalid("era year out of range"));
    }
    let (first_year, start, end) = era.bounds();
    let y = first_year + era_year - 1;
    check_day(y, m, d)?;
    if (y, m, d) < start {
        return Err(invalid("date is before the start of its era"));
    }
    if (y, m, d) > end {
        return Err(invalid("date is after the end of its era"));
    }
    Ok(format!("{y:04}-{m:02}-{d:02}"))
}

fn is_leap(y: u32) -> bool {
    y.is_multiple_of(4) && (!y.is_multiple_of(100) || y.is_multiple_of(400))
}

fn check_day(y: u32, m: u32, d: u32) -> Result<(), Error> {
    if y == 0 || y > 9999 {
        return Err(invalid("year out of range"));
    }
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => return Err(invalid("month out of range")),
    };
    if d == 0 || d > days {
        return Err(invalid("day out of range"));
    }
    Ok(())
}

/// Western year of an era year; for tests that render dates in both notations.
#[cfg(test)]
pub(super) fn era_of(y: u32, m: u32, d: u32) -> Option<(&'static str, char, u32)> {
    [
        (Era::Reiwa, "令和", 'R'),
        (Era::Heisei, "平成", 'H'),
        (Era::Showa, "昭和", 'S'),
        (Era::Taisho, "大正", 'T'),
        (Era::Meiji, "明治", 'M'),
    ]
    .into_iter()
    .find(|(era, ..)| {
        let (_, start, end) = era.bounds();
        start <= (y, m, d) && (y, m, d) <= end
    })
    .map(|(era, name, letter)| (name, letter, y - era.bounds().0 + 1))
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

    fn reason(raw: &str) -> &'static str {
        match canonical(raw) {
            Err(Error::Invalid { reason, .. }) => reason,
            other => panic!("{raw}: {other:?}"),
        }
    }

    #[test]
    fn western() {
        all(
            "1980-01-02",
            &[
                "1980-01-02",
                "1980/1/2",
                "1980.1.2",
                "1980年1月2日",
                "1980年01月02日",
                "1980 年 1 月 2 日",
                "19800102",
                "１９８０／０１／０２",
                "1980−01−02",
                "1980年1月2",
                "千九百八十年一月二日",
            ],
        );
        all("2024-02-29", &["2024-02-29", "2024/2/29"]);
        all("2000-02-29", &["2000-02-29"]);
    }

    #[test]
    fn japanese_eras() {
        all(
            "1980-01-02",
            &[
                "昭和55年1月2日",
                "S55.1.2",
                "S55/1/2",
                "s55-1-2",
                "Ｓ５５．１．２",
                "昭和五十五年一月二日",
                "㍼55年1月2日",
                "昭和 55年 1月 2日",
            ],
        );
        all("1989-01-08", &["平成元年1月8日", "H1.1.8", "H01.01.08", "平成1年1月8日", "㍻元年1月8日"]);
        all("1989-01-07", &["昭和64年1月7日", "S64.1.7"]);
        all("2019-05-01", &["令和元年5月1日", "R1.5.1", "㋿元年5月1日"]);
        all("2023-04-01", &["令和5年4月1日", "R5.4.1", "r5/4/1"]);
        all("2019-04-30", &["平成31年4月30日", "H31.4.30"]);
        all("1912-07-30", &["大正元年7月30日", "T1.7.30"]);
        all("1926-12-24", &["大正15年12月24日"]);
        all("1926-12-25", &["昭和元年12月25日"]);
        all("1900-01-01", &["明治33年1月1日", "M33.1.1"]);
        all("1868-01-01", &["明治元年1月1日"]);
        all("1912-07-29", &["明治45年7月29日"]);
    }

    #[test]
    fn calendar_is_checked() {
        assert_eq!(reason("2023-02-29"), "day out of range");
        assert_eq!(reason("1900-02-29"), "day out of range");
        assert_eq!(reason("2023-04-31"), "day out of range");
        assert_eq!(reason("2023-13-01"), "month out of range");
        assert_eq!(reason("2023-00-10"), "month out of range");
        assert_eq!(reason("2023-01-00"), "day out of range");
        assert_eq!(reason("20230230"), "day out of range");
        assert_eq!(reason("0000-01-01"), "year out of range");
        assert_eq!(reason("平成5年2月29日"), "day out of range");
    }

    #[test]
    fn era_bounds_are_checked() {
        assert_eq!(reason("昭和65年1月1日"), "date is after the end of its era");
        assert_eq!(reason("昭和64年1月8日"), "date is after the end of its era");
        assert_eq!(reason("平成元年1月7日"), "date is before the start of its era");
        assert_eq!(reason("平成31年5月1日"), "date is after the end of its era");
        assert_eq!(reason("令和元年4月30日"), "date is before the start of its era");
        assert_eq!(reason("大正元年7月29日"), "date is before the start of its era");
        assert_eq!(reason("大正15年12月25日"), "date is after the end of its era");
        assert_eq!(reason("昭和元年12月24日"), "date is before the start of its era");
        assert_eq!(reason("明治45年7月30日"), "date is after the end of its era");
        assert_eq!(reason("平成0年1月1日"), "era year out of range");
    }

    #[test]
    fn formats_are_checked() {
        for raw in [
            "80/1/2",
            "1980/1-2",
            "1980-1",
            "1980年1月",
            "1980年1/2",
            "2日1980",
            "1980-01-02T00:00",
            "S55",
            "X55.1.2",
            "1980-001-02",
            "123456789",
            "元年1月1日",
            "1980年1月2日日",
        ] {
            assert_eq!(reason(raw), FORMAT, "{raw}");
        }
    }

    #[test]
    fn era_of_matches_bounds() {
        assert_eq!(era_of(1989, 1, 7), Some(("昭和", 'S', 64)));
        assert_eq!(era_of(1989, 1, 8), Some(("平成", 'H', 1)));
        assert_eq!(era_of(1867, 12, 31), None);
    }
}
