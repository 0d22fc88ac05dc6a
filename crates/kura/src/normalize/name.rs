//! Personal names: in Japanese script, in kana, and in Latin script (romaji).
//!
//! - Japanese (`person_name_ja`): NFKC, every space and `・` removed, variant kanji folded with the general
//!   table (`髙`/`高`, `邊`/`邉`/`辺`, `齋`/`齊`/`斎`/`斉`, `﨑`/`崎`, …): `髙橋　邊` = `高橋辺`. Kana are kept as
//!   written; hiragana and katakana spellings of a given name are different names.
//! - Kana (`kana`): katakana, full width, no spaces or `・`; hiragana become katakana and half-width kana
//!   full-width (`ﾔﾏﾀﾞ ﾀﾛｳ` = `やまだ たろう` = `ヤマダタロウ`); a dash, tilde or `ｰ` after a kana is the
//!   long-vowel mark `ー`. Anything that is not kana is rejected. Small kana stay small (`フア` ≠ `ファ`).
//! - Romaji (`person_name_romaji`): diacritics removed (`Ō` → `o`), lower case, commas, dots, hyphens and
//!   `・` separate words, apostrophes are dropped (`O'Brien` = `obrien`), and the words are sorted and joined
//!   by one space, so order markers do not matter: `YAMADA, Taro` = `Taro YAMADA` = `yamada taro` →
//!   `taro yamada`. Spelling systems are not reconciled (`Ohno`, `Ono`, `Oono` stay different).

use unicode_normalization::UnicodeNormalization;

use super::chars::{self, is_kana};
use super::{variant, Error};
use crate::schema::FieldType;

/// A person's name in Japanese script.
pub(super) fn ja(raw: &str) -> Result<String, Error> {
    let kind = FieldType::PersonNameJa;
    let src = chars::prepare(kind, raw)?;
    let out =
        chars::recompose(src.iter().filter(|&&c| !c.is_whitespace() && c != '・').map(|&c| variant::fold(c)).collect());
    if out.is_empty() {
        return Err(Error::Invalid { kind, reason: "expected a name, found only separators" });
    }
    Ok(out)
}

/// A reading in kana.
pub(super) fn kana(raw: &str) -> Result<String, Error> {
    let kind = FieldType::Kana;
    let src = chars::prepare(kind, raw)?;
    let mut out = String::with_capacity(src.len() * 3);
    let mut prev_kana = false;
    for &c in &src {
        if c.is_whitespace() || c == '・' {
            prev_kana = false;
            continue;
        }
        let long_vowel = c == 'ー' || chars::is_dash(c) || matches!(c, '~' | '〜' | '～');
        let c = if long_vowel {
            if !prev_kana {
                return Err(Error::Invalid { kind, reason: "a long-vowel mark must follow a kana" });
            }
            'ー'
        } else if is_kana(c) {
            chars::to_katakana(c)
        } else {
            return Err(Error::Invalid { kind, reason: "expected kana only" });
        };
        out.push(c);
        prev_kana = true;
    }
    if out.is_empty() {
        return Err(Error::Invalid { kind, reason: "expected kana, found only separators" });
    }
    Ok(out)
}

/// A person's name in Latin script.
pub(super) fn romaji(raw: &str) -> Result<String, Error> {
    let kind = FieldType::PersonNameRomaji;
    if raw.chars().all(|c| c.is_whitespace() || chars::is_invisible(c)) {
        return Err(Error::Empty { kind });
    }
    // NFKD splits `Ō` into `O` and a combining macron, which is then dropped.
    let mut letters = String::with_capacity(raw.len());
    let mut push = |c: char| -> Result<(), Error> {
        match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' => letters.push(c.to_ascii_lowercase()),
            '\'' | '’' | '‘' | '`' | '´' => {}
            ',' | '.' | '・' | '_' | '/' | '=' => letters.push(' '),
            'ß' => letters.push_str("ss"),
            'æ' | 'Æ' => letters.push_str("ae"),
            'œ' | 'Œ' => letters.push_str("oe"),
            'ø' | 'Ø' => letters.push('o'),
            'ł' | 'Ł' => letters.push('l'),
            'đ' | 'Đ' => letters.push('d'),
            'ı' => letters.push('i'),
            'þ' | 'Þ' => letters.push_str("th"),
            _ if c.is_whitespace() || chars::is_dash(c) => letters.push(' '),
            _ if unicode_normalization::char::is_combining_mark(c) || chars::is_invisible(c) => {}
            _ => return Err(Error::Invalid { kind, reason: "expected Latin letters" }),
        }
        Ok(())
    };
    if raw.is_ascii() {
        raw.chars().try_for_each(&mut push)?;
    } else {
        raw.nfkd().try_for_each(&mut push)?;
    }
    let mut words: Vec<&str> = letters.split(' ').filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        return Err(Error::Invalid { kind, reason: "expected a name, found only separators" });
    }
    words.sort_unstable();
    Ok(words.join(" "))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    fn same(f: fn(&str) -> Result<String, Error>, group: &[&str]) {
        let first = f(group[0]).unwrap();
        for raw in group {
            assert_eq!(f(raw).unwrap(), first, "{raw} vs {}", group[0]);
        }
    }

    #[test]
    fn ja_names() {
        same(ja, &["山田 太郎", "山田　太郎", "山田太郎", " 山田太郎 ", "山田\u{3000}\u{3000}太郎"]);
        same(ja, &["髙橋邊", "高橋辺", "高橋邉", "髙橋　邊"]);
        same(ja, &["齋藤", "齊藤", "斎藤", "斉藤"]);
        same(ja, &["山﨑", "山崎"]);
        same(ja, &["渡邊", "渡辺", "渡邉"]);
        same(ja, &["𠮷野", "吉野"]);
        same(ja, &["葛\u{E0100}西", "葛西"]);
        same(ja, &["ジョン・スミス", "ジョン スミス", "ｼﾞｮﾝ ｽﾐｽ"]);
        assert_eq!(ja("髙橋　邊").unwrap(), "高橋辺");
        assert_ne!(ja("克己").unwrap(), ja("克巳").unwrap());
        assert_ne!(ja("山田花子").unwrap(), ja("山田はなこ").unwrap());
        assert!(matches!(ja("・"), Err(Error::Invalid { .. })));
    }

    #[test]
    fn kana_readings() {
        same(kana, &["ヤマダ タロウ", "やまだ たろう", "ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダタロウ", "やまだ　タロウ"]);
        same(kana, &["サトー", "さとー", "ｻﾄｰ", "サト-", "サト−", "サト～", "サト—"]);
        same(kana, &["ヴァイオリン", "ゔぁいおりん", "ｳﾞｧｲｵﾘﾝ"]);
        assert_eq!(kana("ﾔﾏﾀﾞ ﾀﾛｳ").unwrap(), "ヤマダタロウ");
        assert_ne!(kana("フア").unwrap(), kana("ファ").unwrap());
        assert_ne!(kana("サト").unwrap(), kana("サトー").unwrap());
        assert!(matches!(kana("山田"), Err(Error::Invalid { .. })));
        assert!(matches!(kana("yamada"), Err(Error::Invalid { .. })));
        assert!(matches!(kana("ーア"), Err(Error::Invalid { .. })));
        assert!(matches!(kana("・ "), Err(Error::Invalid { .. })));
    }

    #[test]
    fn romaji_names() {
        same(
            romaji,
            &["YAMADA, Taro", "Taro YAMADA", "yamada taro", "Taro  Yamada", "ＹＡＭＡＤＡ　Ｔａｒｏ", "Yamada,Taro"],
        );
        same(romaji, &["Ōno Tarō", "ONO TARO", "Ono Taro", "Óno Tàrō"]);
        same(romaji, &["O'Brien Mary", "Mary OBrien", "mary o’brien"]);
        same(romaji, &["Jean-Luc Picard", "Picard, Jean Luc"]);
        same(romaji, &["Müller Jürgen", "Jurgen Muller"]);
        assert_eq!(romaji("YAMADA, Taro").unwrap(), "taro yamada");
        assert_eq!(romaji("Straße Anna").unwrap(), "anna strasse");
        assert_ne!(romaji("Taro Yamada").unwrap(), romaji("Taro Yamamoto").unwrap());
        assert_ne!(romaji("Ohno Taro").unwrap(), romaji("Ono Taro").unwrap());
        assert!(matches!(romaji("山田 太郎"), Err(Error::Invalid { .. })));
        assert!(matches!(romaji(", ."), Err(Error::Invalid { .. })));
        assert!(matches!(romaji("  "), Err(Error::Empty { .. })));
    }
}
