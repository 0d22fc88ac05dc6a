//! Organisation and department names.
//!
//! Organisation: NFKC (which turns `㈱` and `（株）` into `(株)` and `㍿` into `株式会社`), every space
//! removed, variant kanji folded, ASCII letters upper-cased, and bracketed abbreviations of the legal form
//! spelled out where they stand: `(株)サンプル` = `株式会社サンプル`, `サンプル(株)` = `サンプル株式会社`. The
//! position is kept on purpose: 前株 and 後株 are different registered names, so `株式会社A` ≠ `A株式会社`.
//! Abbreviations: `(株) (有) (同) (資) (名) (社) (財) (一社) (一財) (公社) (公財) (医) (学) (福) (宗) (特非)
//! (NPO) (独) (協) (税) (弁) (監) (司) (行)`.
//!
//! Department: NFKC, spaces removed, variant kanji folded, ASCII upper-cased.

use super::{chars, variant, Error};
use crate::schema::FieldType;

/// Bracketed abbreviations and the legal form they stand for.
static ABBREVIATIONS: &[(&str, &str)] = &[
    ("NPO", "特定非営利活動法人"),
    ("一社", "一般社団法人"),
    ("一財", "一般財団法人"),
    ("公社", "公益社団法人"),
    ("公財", "公益財団法人"),
    ("医", "医療法人"),
    ("協", "協同組合"),
    ("名", "合名会社"),
    ("同", "合同会社"),
    ("学", "学校法人"),
    ("宗", "宗教法人"),
    ("弁", "弁護士法人"),
    ("有", "有限会社"),
    ("株", "株式会社"),
    ("特非", "特定非営利活動法人"),
    ("独", "独立行政法人"),
    ("監", "監査法人"),
    ("福", "社会福祉法人"),
    ("社", "社団法人"),
    ("税", "税理士法人"),
    ("行", "行政書士法人"),
    ("財", "財団法人"),
    ("司", "司法書士法人"),
    ("資", "合資会社"),
];

fn abbreviation(inner: &str) -> Option<&'static str> {
    ABBREVIATIONS.iter().find(|(a, _)| *a == inner).map(|&(_, full)| full)
}

/// Spaces removed, variant kanji folded, ASCII upper-cased.
fn compact(kind: FieldType, raw: &str) -> Result<String, Error> {
    let src = chars::prepare(kind, raw)?;
    Ok(chars::recompose(
        src.iter().filter(|c| !c.is_whitespace()).map(|&c| variant::fold(c).to_ascii_uppercase()).collect(),
    ))
}

/// An organisation name.
pub(super) fn organisation(raw: &str) -> Result<String, Error> {
    let s = compact(FieldType::Organisation, raw)?;
    if !s.contains('(') {
        return Ok(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut rest = s.as_str();
    while let Some(open) = rest.find('(') {
        let (before, from_open) = rest.split_at_checked(open).unwrap_or((rest, ""));
        out.push_str(before);
        let after_open = from_open.get(1..).unwrap_or_default();
        let expanded = after_open
            .find(')')
            .and_then(|close| Some((abbreviation(after_open.get(..close)?)?, after_open.get(close + 1..)?)));
        match expanded {
            Some((full, after)) => {
                out.push_str(full);
                rest = after;
            }
            None => {
                out.push('(');
                rest = after_open;
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// A department name.
pub(super) fn department(raw: &str) -> Result<String, Error> {
    compact(FieldType::Department, raw)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    fn all(f: fn(&str) -> Result<String, Error>, expected: &str, group: &[&str]) {
        for raw in group {
            assert_eq!(f(raw).unwrap(), expected, "{raw}");
        }
    }

    #[test]
    fn legal_forms_in_place() {
        all(
            organisation,
            "株式会社サンプル",
            &[
                "(株)サンプル",
                "（株）サンプル",
                "㈱サンプル",
                "㍿サンプル",
                "株式会社 サンプル",
                "( 株 ) サンプル",
                "株式会社サンプル",
            ],
        );
        all(organisation, "サンプル株式会社", &["サンプル(株)", "サンプル㈱", "サンプル （株）"]);
        assert_ne!(organisation("株式会社サンプル").unwrap(), organisation("サンプル株式会社").unwrap());
        all(organisation, "有限会社山田商店", &["(有)山田商店", "㈲山田商店"]);
        all(organisation, "合同会社ABC", &["(同)ABC", "合同会社 abc", "(同)ＡＢＣ"]);
        all(organisation, "社団法人日本協会", &["(社)日本協会", "㈳日本協会"]);
        all(organisation, "財団法人日本財団", &["(財)日本財団", "㈶日本財団"]);
        all(organisation, "一般社団法人X", &["(一社)X"]);
        all(organisation, "特定非営利活動法人X", &["(特非)X", "(NPO)X", "(npo)x"]);
    }

    #[test]
    fn other_brackets_and_variants() {
        assert_eq!(organisation("サンプル(東京)").unwrap(), "サンプル(東京)");
        assert_eq!(organisation("サンプル(株").unwrap(), "サンプル(株");
        assert_eq!(organisation("((株))X").unwrap(), "(株式会社)X");
        all(organisation, "高島屋株式会社", &["髙島屋(株)", "高島屋 株式会社"]);
        all(organisation, "NTTドコモ", &["ＮＴＴドコモ", "NTT ドコモ", "ntt ドコモ"]);
    }

    #[test]
    fn departments() {
        all(department, "営業部第一課", &["営業部 第一課", "営業部　第一課", " 営業部第一課 "]);
        all(department, "IT推進部", &["ＩＴ推進部", "IT 推進部", "it推進部"]);
        assert!(matches!(department(" "), Err(Error::Empty { .. })));
    }
}
