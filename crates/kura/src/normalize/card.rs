//! Payment card number, expiry and brand.
//!
//! - Number: the digits only, spaces and hyphens removed, 12 to 19 digits. The Luhn check belongs to the
//!   tokeniser, which must also accept test numbers.
//! - Expiry: `YYYY-MM` from `12/27`, `12/2027`, `2027-12`, `2027/12`, `1227`, `122027`, `202712`,
//!   `2027年12月`; two-digit years are 20YY; month 1–12.
//! - Brand: one of `VISA MASTERCARD AMEX JCB DINERS DISCOVER UNIONPAY`, from the usual spellings in English
//!   and Japanese (`Master Card`, `American Express`, `アメックス`, `銀聯`, …). The schema derives the brand
//!   from the card number; this only normalises a brand column that is imported.

use super::{chars, Error};
use crate::schema::FieldType;

fn invalid(kind: FieldType, reason: &'static str) -> Error {
    Error::Invalid { kind, reason }
}

/// A card number (PAN).
pub(super) fn number(raw: &str) -> Result<String, Error> {
    let kind = FieldType::CardNumber;
    let src = chars::prepare(kind, raw)?;
    let mut out = String::with_capacity(19);
    for &c in &src {
        if c.is_ascii_digit() {
            out.push(c);
        } else if !(c.is_whitespace() || chars::is_dash(c)) {
            return Err(invalid(kind, "expected digits, spaces or hyphens"));
        }
    }
    if !(12..=19).contains(&out.len()) {
        return Err(invalid(kind, "expected 12 to 19 digits"));
    }
    Ok(out)
}

/// A card expiry month.
pub(super) fn expiry(raw: &str) -> Result<String, Error> {
    let kind = FieldType::CardExpiry;
    const FORMAT: &str = "expected an expiry such as 12/27, 12/2027 or 2027-12";
    let src = chars::prepare(kind, raw)?;
    // Up to two groups of digits; 年 and 月 act as separators.
    let mut groups: [(u32, usize); 2] = [(0, 0); 2];
    let mut count = 0;
    let mut in_group = false;
    for &c in &src {
        if let Some(d) = c.to_digit(10).filter(|_| c.is_ascii_digit()) {
            if !in_group {
                count += 1;
                in_group = true;
            }
            let g = groups.get_mut(count - 1).ok_or(invalid(kind, FORMAT))?;
            if g.1 >= 6 {
                return Err(invalid(kind, FORMAT));
            }
            *g = (g.0 * 10 + d, g.1 + 1);
        } else if c.is_whitespace() || chars::is_dash(c) || matches!(c, '/' | '.' | '年' | '月') {
            in_group = false;
        } else {
            return Err(invalid(kind, FORMAT));
        }
    }
    let [a, b] = groups;
    let (year, month) = match (count, a, b) {
        (1, (v, 4), _) => (2000 + v % 100, v / 100),
        // YYYYMM when it starts with a plausible century, MMYYYY otherwise: the two never overlap because a
        // month cannot start with 19 or 20.
        (1, (v, 6), _) if matches!(v / 10000, 19 | 20) => (v / 100, v % 100),
        (1, (v, 6), _) => (v % 10000, v / 10000),
        (2, (y, 4), (m, 1 | 2)) => (y, m),
        (2, (m, 1 | 2), (y, 2)) => (2000 + y, m),
        (2, (m, 1 | 2), (y, 4)) => (y, m),
        _ => return Err(invalid(kind, FORMAT)),
    };
    if !(1..=12).contains(&month) {
        return Err(invalid(kind, "month out of range"));
    }
    if !(1900..=2999).contains(&year) {
        return Err(invalid(kind, "year out of range"));
    }
    Ok(format!("{year:04}-{month:02}"))
}

/// A card brand.
pub(super) fn brand(raw: &str) -> Result<String, Error> {
    let kind = FieldType::CardBrand;
    let src = chars::prepare(kind, raw)?;
    let key: String = src
        .iter()
        .filter(|&&c| !(c.is_whitespace() || chars::is_dash(c) || matches!(c, '.' | '・' | '\'' | '&' | '_')))
        .map(char::to_ascii_uppercase)
        .collect();
    let brand = match key.as_str() {
        "VISA" | "ビザ" => "VISA",
        "MASTERCARD" | "MASTER" | "MC" | "マスター" | "マスターカード" => "MASTERCARD",
        "AMEX" | "AMERICANEXPRESS" | "AMERICANEXPRESSCARD" | "アメックス" | "アメリカンエキスプレス" => {
            "AMEX"
        }
        "JCB" | "ジェーシービー" => "JCB",
        "DINERS" | "DINERSCLUB" | "DINERSCLUBINTERNATIONAL" | "ダイナース" | "ダイナースクラブ" => {
            "DINERS"
        }
        "DISCOVER" | "DISCOVERCARD" | "ディスカバー" => "DISCOVER",
        "UNIONPAY" | "CHINAUNIONPAY" | "CUP" | "銀聯" | "银联" | "ユニオンペイ" | "銀聯カード" => {
            "UNIONPAY"
        }
        _ => return Err(invalid(kind, "unknown card brand")),
    };
    Ok(brand.to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    fn all(f: fn(&str) -> Result<String, Error>, expected: &str, group: &[&str]) {
        for raw in group {
            assert_eq!(f(raw).unwrap_or_else(|e| panic!("{raw}: {e}")), expected, "{raw}");
        }
    }

    fn reason(f: fn(&str) -> Result<String, Error>, raw: &str) -> &'static str {
        match f(raw) {
            Err(Error::Invalid { reason, .. }) => reason,
            other => panic!("{raw}: {other:?}"),
        }
    }

    #[test]
    fn numbers() {
        all(
            number,
            "4111111111111111",
            &[
                "4111 1111 1111 1111",
                "4111-1111-1111-1111",
                "4111111111111111",
                "４１１１　１１１１　１１１１　１１１１",
            ],
        );
        all(number, "378282246310005", &["3782 822463 10005"]);
        assert_eq!(reason(number, "4111 1111 111"), "expected 12 to 19 digits");
        assert_eq!(reason(number, "4111 1111 1111 1111 1111"), "expected 12 to 19 digits");
        assert_eq!(reason(number, "4111/1111/1111/1111"), "expected digits, spaces or hyphens");
    }

    #[test]
    fn expiries() {
        all(
            expiry,
            "2027-12",
            &[
                "12/27",
                "12/2027",
                "2027-12",
                "2027/12",
                "1227",
                "122027",
                "202712",
                "12 / 27",
                "１２／２７",
                "2027年12月",
                "12-27",
            ],
        );
        all(expiry, "2030-01", &["1/30", "01/30", "0130", "2030-1", "012030"]);
        assert_eq!(reason(expiry, "13/27"), "month out of range");
        assert_eq!(reason(expiry, "00/27"), "month out of range");
        assert_eq!(reason(expiry, "1327"), "month out of range");
        for raw in ["12", "12/27/01", "122", "12/2", "12/202", "27-12-2027", "Dec 27", "1234567"] {
            assert!(matches!(expiry(raw), Err(Error::Invalid { .. })), "{raw}");
        }
    }

    #[test]
    fn brands() {
        all(brand, "VISA", &["Visa", "VISA", " visa ", "ＶＩＳＡ", "ビザ"]);
        all(brand, "MASTERCARD", &["MasterCard", "Master Card", "master-card", "MC", "マスターカード"]);
        all(brand, "AMEX", &["American Express", "AMEX", "Amex", "アメックス", "アメリカン・エキスプレス"]);
        all(brand, "JCB", &["jcb", "ＪＣＢ"]);
        all(brand, "DINERS", &["Diners Club", "Diners", "ダイナースクラブ"]);
        all(brand, "DISCOVER", &["Discover"]);
        all(brand, "UNIONPAY", &["UnionPay", "China UnionPay", "銀聯"]);
        assert_eq!(reason(brand, "Maestro"), "unknown card brand");
    }
}
