//! Japanese postal addresses.
//!
//! The canonical form is the address with every space removed, written the way a hyphen notation would be:
//! `東京都中央区築地1-1-1築地ビル101`. In order:
//!
//! 1. NFKC (full-width digits and letters become ASCII), variation selectors dropped, variant kanji folded
//!    ([`super::variant`]: `藪`/`薮`/`籔`, `溪`/`渓`, `﨑`/`崎`, …, plus place-name spellings such as
//!    `塩竈`/`塩釜`), every dash (`－ ‐ ― ─ ‑ – — −`, and `ー` anywhere but after kana) becomes `-`.
//!    Spaces and punctuation (`、。・()「」`) are dropped, except that a space after a number ends it.
//! 2. `ヶ ヵ ケ が ガ` between two kanji become `ケ` (`稲村ガ崎` = `稲村ヶ崎`); `ノ 之` between two kanji
//!    become `の` (`山ノ内` = `山之内` = `山の内`); between two numbers all three are separators (step 7).
//! 3. A leading postal code (`〒104-0045`, `1040045`, `104-0045 `) is dropped.
//! 4. A county (`虻田郡`) right after the prefecture (or at the start) is dropped when a town or village
//!    (`…町`, `…村`) follows, so `北海道虻田郡ニセコ町` = `北海道ニセコ町`. Cities whose name contains `郡`
//!    (`郡山市`, `大和郡山市`, `小郡市`, `郡上市`) are kept. Town and village names are unique within a
//!    prefecture, so dropping the county loses nothing.
//! 5. `大字` is dropped everywhere, and `字` at the start or right after `市 区 町 村`: both are optional
//!    labels.
//! 6. Kanji numerals become ASCII digits in number positions only: before `丁目 番 番地 号 条 線 地割`,
//!    before `の`/`-` and a number, or after a number and its marker (`一丁目一番一` → `1丁目1番1`). Kanji
//!    numerals that are part of a place name stay (`三の丸`, `四日市`, `八王子`, `九十九里`, `三溪`,
//!    `十日町`); `一番町` and `五条` become `1番町`, `5条` whichever way they are written.
//! 7. After a number, `丁目 番地 番 号 - #`, a space, and `の ノ 之` before another number are separators;
//!    between two numbers they become one `-`, elsewhere they disappear (`築地一丁目1番1号` = `築地1-1-1`,
//!    `88番地10号` = `88-10`). `番町`, `番丁`, `号棟`, `号館`, `号線` are names and stay. `101号室`, `#101`,
//!    `-101` and ` 101` after a building name all become `101`; a room number directly after the house
//!    number joins it (`1-1-1 101号室` = `1-1-1-101`). `5階` becomes `5F`. ASCII letters are upper-cased.
//!
//! The result is a fixed point: every character that is dropped is dropped in step 1, so no later step
//! brings together two characters that an earlier step would have treated differently.
//!
//! Limits, each needing a master list of towns this module does not have: an omitted prefecture, city or
//! `丁目` is not restored (`中央区築地1-1-1` ≠ `東京都中央区築地1-1-1`); `四ツ谷` and `四谷` stay different;
//! and the hyphen notation is as ambiguous as it is on an envelope: `桧原1-2` is both `大字桧原1番地2` and
//! `桧原一丁目2番`. The `testdata` module runs the published variant corpus and counts what is handled.

use unicode_normalization::UnicodeNormalization;

use super::chars::{self, is_kanji, is_kanji_numeral};
use super::{variant, Error};
use crate::schema::FieldType;

const KIND: FieldType = FieldType::JpAddress;

/// The 47 prefectures, used only to find where a county name may start.
#[rustfmt::skip]
pub(crate) static PREFECTURES: [&str; 47] = [
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県", "群馬県", "埼玉県",
    "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県", "岐阜県", "静岡県",
    "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県",
    "広島県", "山口県", "徳島県", "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県", "熊本県", "大分県",
    "宮崎県", "鹿児島県", "沖縄県",
];

pub(super) fn canonical(raw: &str) -> Result<String, Error> {
    let mut input = std::borrow::Cow::Borrowed(raw);
    loop {
        let out = canonical_once(&input)?;
        // An address never starts with a number, so a code that appears only once kanji numerals are
        // converted (`百番百8…` → `100-1008…`) is a postal code too. Running again on the rest keeps the
        // result a fixed point; each round is shorter, and real addresses never take this branch.
        match leading_code_len(&out) {
            Some(n) => input = std::borrow::Cow::Owned(out.get(n..).unwrap_or_default().to_owned()),
            None => return Ok(out),
        }
    }
}

fn canonical_once(raw: &str) -> Result<String, Error> {
    let src = chars::prepare(KIND, raw)?;
    let mut s = fold_chars(&src);
    if s.iter().any(|&c| unicode_normalization::char::is_combining_mark(c)) {
        // Dropped punctuation may have separated a kana from its voiced mark (`カ,ﾞ`).
        s = s.iter().collect::<String>().nfc().collect();
    }
    fold_context(&mut s);
    let s = strip_postal_code(&s)?;
    let s = drop_county(s);
    let s = convert_numerals(&s);
    let out = chars::recompose(render(&s));
    if out.is_empty() {
        return Err(Error::Invalid { kind: KIND, reason: "no address left after removing punctuation" });
    }
    Ok(out)
}

/// Length in bytes of a rendered postal code (`NNN-NNNN` or `NNNNNNN`) at the start of `out`, followed
/// by something other than a number.
fn leading_code_len(out: &str) -> Option<usize> {
    let b = out.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let len = if digits(0..3) && b.get(3) == Some(&b'-') && digits(4..8) {
        8
    } else if digits(0..7) {
        7
    } else {
        return None;
    };
    b.get(len).is_some_and(|&c| !c.is_ascii_digit() && c != b'-').then_some(len)
}

/// ASCII digit or kanji numeral.
fn is_digitish(c: char) -> bool {
    c.is_ascii_digit() || is_kanji_numeral(c)
}

/// Punctuation that carries no meaning in an address; it separates like a space.
fn is_ignorable(c: char) -> bool {
    matches!(
        c,
        ',' | '.' | '、' | '。' | '・' | '(' | ')' | '[' | ']' | '「' | '」' | '『' | '』' | '\'' | '"' | '“' | '”'
    )
}

/// Step 1: dashes, variant kanji, spaces and punctuation. A space survives (as one `' '`) only after a
/// number, where it ends the number (`1-1-1 101`, `一番一 三井ビル`); everywhere else spacing and
/// punctuation carry no meaning. `-` and `#` survive only after a number, where they are separators
/// (`ビル-101` = `ビル101`). Everything that is dropped is dropped here, so that no later step puts two
/// characters side by side that an earlier step would have treated differently: the result is a fixed
/// point of [`canonical`].
fn fold_chars(src: &[char]) -> Vec<char> {
    let mut out: Vec<char> = Vec::with_capacity(src.len());
    let mut space = false;
    for &c in src {
        // `〒` matters only at the start, where [`strip_postal_code`] looks for it.
        if c.is_whitespace() || is_ignorable(c) || (c == '〒' && !out.is_empty()) {
            space = true;
            continue;
        }
        let prev = out.last().copied();
        // `ー` is a long-vowel mark only after kana; anywhere else it is a dash.
        let c = if chars::is_dash(c) || (c == 'ー' && !prev.is_some_and(chars::is_kana)) {
            '-'
        } else {
            variant::fold_address(c)
        };
        if matches!(c, '-' | '#') && !prev.is_some_and(is_digitish) {
            space = true;
            continue;
        }
        // `大字` is an optional label wherever it stands, and so is `字` after a municipality.
        if c == '字' && prev == Some('大') {
            out.pop();
            continue;
        }
        if c == '字' && matches!(prev, Some('市' | '区' | '町' | '村')) {
            continue;
        }
        if std::mem::take(&mut space) && prev.is_some_and(is_digitish) {
            out.push(' ');
        }
        if let Some(p) = prev {
            if let Some((a, b)) = variant::address_pair(p, c) {
                if let Some(last) = out.last_mut() {
                    *last = a;
                }
                out.push(b);
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// Step 2: `ケ` and `の` variants, decided by their neighbours (looking past a space, which is dropped
/// later).
fn fold_context(s: &mut [char]) {
    for i in 0..s.len() {
        let prev = match i.checked_sub(1).and_then(|j| s.get(j)).copied() {
            Some(' ') => i.checked_sub(2).and_then(|j| s.get(j)).copied(),
            p => p,
        };
        let next = match s.get(i + 1).copied() {
            Some(' ') => s.get(i + 2).copied(),
            n => n,
        };
        let Some(c) = s.get_mut(i) else { continue };
        match *c {
            'ヶ' | 'ヵ' | 'ケ' | 'ガ' | 'が' | 'ゕ' | 'ゖ'
                if prev.is_some_and(is_kanji) && next.is_some_and(is_kanji) =>
            {
                *c = 'ケ';
            }
            // Between digits they are separators, which [`render`] handles.
            'ノ' | '之' if prev.is_some_and(is_kanji) && next.is_some_and(is_kanji) => {
                *c = 'の';
            }
            _ => {}
        }
    }
}

/// Step 3: drops `〒` and a postal code at the start.
fn strip_postal_code<'a>(s: &'a [char]) -> Result<&'a [char], Error> {
    let (marked, rest) = match s {
        ['〒', rest @ ..] => (true, rest),
        _ => (false, s),
    };
    let digits = |x: &[char]| x.iter().take_while(|c| c.is_ascii_digit()).count();
    let code_len = match (digits(rest), rest.get(3)) {
        (3, Some('-')) if rest.get(4..).is_some_and(|t| digits(t) == 4) => 8,
        (7, _) => 7,
        _ => 0,
    };
    let skip_separators = |mut x: &'a [char]| {
        while let [' ' | '-' | '#', tail @ ..] = x {
            x = tail;
        }
        x
    };
    let after = skip_separators(rest.get(code_len..).unwrap_or_default());
    // Without 〒, seven leading digits are a postal code only if an address follows; an address never
    // starts with a house number.
    let is_code = code_len > 0 && (marked || after.first().is_some_and(|c| !c.is_ascii_digit()));
    let rest = if is_code { after } else { skip_separators(rest) };
    if rest.is_empty() {
        return Err(Error::Invalid { kind: KIND, reason: "expected an address after the postal code" });
    }
    Ok(rest)
}

/// Length in characters of the prefecture at the start of `s`, or 0. A space (kept after `三` or `千`
/// as after any numeral) does not hide it.
fn prefecture_len(s: &[char]) -> usize {
    'next: for p in PREFECTURES {
        let mut i = 0;
        for c in p.chars() {
            if s.get(i) == Some(&' ') {
                i += 1;
            }
            if s.get(i) != Some(&c) {
                continue 'next;
            }
            i += 1;
        }
        return i;
    }
    0
}

/// Where the county starting at `s` ends (the index after `郡`), if `s` starts with one.
fn county_len(s: &[char]) -> Option<usize> {
    let mut name = ['\0'; 4];
    let mut n = 0;
    let mut k = None;
    for (i, &c) in s.iter().enumerate().take(9) {
        match c {
            ' ' => {}
            '郡' => {
                k = Some(i);
                break;
            }
            _ if n < 4 && is_kanji(c) => {
                if let Some(slot) = name.get_mut(n) {
                    *slot = c;
                }
                n += 1;
            }
            _ => return None,
        }
    }
    let k = k?;
    let name = name.get(..n)?;
    // A county name is one to four kanji. `市` in front of `郡` is normally a city followed by a town
    // starting with 郡 (`鹿児島市郡元`); 余市郡 and 高市郡 are the two counties whose names contain it.
    // `村` does occur in county names (西村山郡, 東村山郡).
    let city_like = name.iter().any(|c| matches!(c, '市' | '区' | '町' | '都' | '道' | '府' | '県'));
    if n == 0 || (city_like && !matches!(name, ['余' | '高', '市'])) {
        return None;
    }
    let after = s.get(k + 1..)?;
    // 小郡市, 大和郡山市: the 郡 belongs to a city name.
    if matches!(after, ['市', ..] | ['山', '市', ..]) {
        return None;
    }
    // The town or village name follows; stop at the first number.
    let town_end = after.iter().take_while(|c| !c.is_ascii_digit()).position(|&c| c == '町' || c == '村')?;
    (town_end >= 1).then_some(k + 1)
}

/// Steps 4 and 5: finds the prefecture and drops counties and a leading `字` around it. Real addresses
/// have at most one of each in the right order; repeating until nothing changes keeps the result a fixed
/// point of [`canonical`] for any input.
fn drop_county(s: &[char]) -> Vec<char> {
    let mut rest = s;
    let mut pref: &[char] = &[];
    loop {
        let len = rest.len();
        if pref.is_empty() {
            while let ['字', tail @ ..] = rest {
                rest = tail;
            }
        }
        while let Some(n) = county_len(rest) {
            rest = rest.get(n..).unwrap_or_default();
        }
        if pref.is_empty() {
            if let Some((p, tail)) = rest.split_at_checked(prefecture_len(rest)) {
                pref = p;
                rest = tail;
            }
        }
        if rest.len() == len {
            break;
        }
    }
    let mut out: Vec<char> = Vec::with_capacity(pref.len() + rest.len());
    out.extend_from_slice(pref);
    out.extend_from_slice(rest);
    out
}

/// A marker after which the preceding number is a 丁目, 番地, 号, 条 … number.
fn starts_with_marker(s: &[char]) -> bool {
    matches!(s, ['丁', '目', ..] | ['番' | '号' | '条' | '線', ..] | ['地', '割', ..])
}

/// Whether a kanji numeral run followed by `after` ends a word: nothing follows, or something that is
/// neither kanji nor kana (a digit, a dash, a space), or a number marker.
fn ends_word(after: &[char]) -> bool {
    after.first().is_none_or(|&c| !(is_kanji(c) || chars::is_kana(c))) || starts_with_marker(after)
}

/// Whether the kanji numeral run between `before` (already converted output) and `after` is a number.
fn number_position(before: &[char], after: &[char]) -> bool {
    let after_space = match after {
        [' ', rest @ ..] => rest,
        _ => after,
    };
    if starts_with_marker(after_space) {
        return true;
    }
    // `一の一`, `一-一-一`, `1の二番地`: a joiner and another number.
    if let ['の' | 'ノ' | '之' | '-', rest @ ..] = after_space {
        let n = rest.iter().take_while(|&&c| is_kanji_numeral(c)).count();
        match rest.get(n..) {
            Some(_) if rest.first().is_some_and(char::is_ascii_digit) => return true,
            Some(tail) if n > 0 && (ends_word(tail) || matches!(tail, ['の' | 'ノ' | '之' | '-', ..])) => {
                return true
            }
            _ => {}
        }
    }
    // After a number and its marker or joiner (`1番地の二`, `1丁目二`), a numeral that ends the word is a
    // number too; one that starts a word (`1-1-1 三井ビル`) is not.
    after_number(before) && ends_word(after)
}

/// Whether `before` ends with a number followed by markers and joiners (`1番地の`, `1 の`, `1丁目`).
fn after_number(before: &[char]) -> bool {
    let mut b = before;
    loop {
        b = match b {
            [rest @ .., 'の' | 'ノ' | '之' | '-' | ' ' | '#' | '番' | '号']
            | [rest @ .., '丁', '目']
            | [rest @ .., '番', '地']
            | [rest @ .., '号', '室'] => rest,
            _ => break,
        };
    }
    b.len() < before.len() && b.last().is_some_and(char::is_ascii_digit)
}

/// Step 6: kanji numerals in number positions become ASCII digits.
fn convert_numerals(s: &[char]) -> Vec<char> {
    let mut out: Vec<char> = Vec::with_capacity(s.len());
    let mut rest = s;
    while let Some((&c, next)) = rest.split_first() {
        if is_kanji_numeral(c) {
            let n = rest.iter().take_while(|&&c| is_kanji_numeral(c)).count();
            let (run, after) = rest.split_at_checked(n).unwrap_or((rest, &[]));
            match chars::kanji_number(run) {
                Some(v) if number_position(&out, after) => chars::push_decimal(&mut out, v),
                _ => out.extend_from_slice(run),
            }
            rest = after;
            continue;
        }
        out.push(c);
        rest = next;
    }
    out
}

/// Step 7: separators between numbers, room and floor notation, ASCII case.
fn render(s: &[char]) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    // The last character written is a digit; separators seen since then are pending.
    let mut after_digit = false;
    let mut separated = false;
    let mut rest = s;
    while let Some((&c, next)) = rest.split_first() {
        if c.is_ascii_digit() {
            if after_digit && separated {
                out.push('-');
            }
            out.push(c);
            after_digit = true;
            separated = false;
            rest = next;
            continue;
        }
        if after_digit {
            let skip = match rest {
                ['丁', '目', ..] | ['番', '地', ..] | ['号', '室', ..] => 2,
                ['番', '町' | '丁', ..] | ['号', '棟' | '館' | '線' | '車' | '機', ..] => 0,
                ['番' | '号', ..] => 1,
                ['の' | 'ノ' | '之', d, ..] if d.is_ascii_digit() => 1,
                ['-' | ' ' | '#', ..] => 1,
                _ => 0,
            };
            if skip > 0 {
                separated = true;
                rest = rest.get(skip..).unwrap_or_default();
                continue;
            }
        }
        let floor = after_digit && c == '階';
        after_digit = false;
        separated = false;
        match c {
            _ if floor => out.push('F'),
            // Only after a kanji numeral that is part of a name (`八 12`): spacing carries no meaning.
            ' ' => {}
            'a'..='z' => out.push(c.to_ascii_uppercase()),
            _ => out.push(c),
        }
        rest = next;
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    fn c(raw: &str) -> String {
        canonical(raw).unwrap_or_else(|e| panic!("{raw}: {e}"))
    }

    fn same(group: &[&str]) {
        let first = c(group[0]);
        for raw in group {
            assert_eq!(c(raw), first, "{raw} vs {}", group[0]);
        }
    }

    #[test]
    fn chome_banchi_go_and_hyphens() {
        same(&[
            "東京都中央区築地1-1-1",
            "東京都中央区築地一丁目1番1号",
            "東京都中央区築地１丁目１－１",
            "東京都中央区築地一丁目一番一号",
            "東京都 中央区 築地 1丁目 1番 1号",
            "東京都中央区築地1丁目1番地1",
            "東京都中央区築地1丁目1番地の1",
            "東京都中央区築地1ー1ー1",
            "東京都中央区築地1‐1‐1",
            "東京都中央区築地1―1―1",
            "東京都中央区築地1─1─1",
            "東京都中央区築地1‑1‑1",
            "東京都中央区築地1–1–1",
            "東京都中央区築地1—1—1",
            "東京都中央区築地1−1−1",
            "東京都中央区築地1の1の1",
            "東京都中央区築地1ノ1ノ1",
            "〒104-0045 東京都中央区築地1-1-1",
            "〒1040045東京都中央区築地1-1-1",
            "104-0045 東京都中央区築地1-1-1",
        ]);
        assert_eq!(c("東京都中央区築地一丁目1番1号"), "東京都中央区築地1-1-1");
    }

    #[test]
    fn numbers_with_units() {
        same(&[
            "京都府京都市東山区本町二十二丁目742",
            "京都府京都市東山区本町22丁目742",
            "京都府京都市東山区本町２２丁目７４２",
        ]);
        same(&[
            "北海道札幌市中央区北三条西六丁目1",
            "北海道札幌市中央区北3条西6-1",
            "北海道札幌市中央区北3条西6丁目1番",
        ]);
        assert_eq!(c("北海道札幌市中央区北三条西六丁目1"), "北海道札幌市中央区北3条西6-1");
        same(&["大分県大分市大手町三丁目百〇一番地", "大分県大分市大手町3-101"]);
        same(&["兵庫県神崎郡神河町吉冨88番地10号", "兵庫県神河町吉富88-10"]);
        same(&["岩手県盛岡市何某第一地割1番地", "岩手県盛岡市何某第1地割1"]);
        same(&[
            "東京都中央区築地一－一－一",
            "東京都中央区築地一の一の一",
            "東京都中央区築地1-1-1",
            "東京都中央区築地一丁目一番地の一",
        ]);
        same(&["東京都中央区築地1 丁目 1 番 1 号", "東京都中央区築地1-1-1"]);
    }

    #[test]
    fn place_name_numerals_are_kept() {
        assert_eq!(c("三重県四日市市諏訪町1-5"), "三重県四日市市諏訪町1-5");
        assert_eq!(c("東京都八王子市元本郷町三丁目24番1号"), "東京都八王子市元本郷町3-24-1");
        assert_eq!(c("千葉県山武郡九十九里町片貝4099"), "千葉県九十九里町片貝4099");
        assert_eq!(c("愛知県名古屋市中区三の丸三丁目1番2号"), "愛知県名古屋市中区三の丸3-1-2");
        assert_eq!(c("新潟県十日町市千歳町三丁目3"), "新潟県十日町市千歳町3-3");
        assert_eq!(c("静岡県浜松市北区三ヶ日町三ヶ日1"), "静岡県浜松市北区三ケ日町三ケ日1");
        same(&["東京都中央区八丁堀一丁目1", "東京都中央区八丁堀1-1"]);
        assert_eq!(c("東京都中央区八丁堀一丁目1"), "東京都中央区八丁堀1-1");
        same(&["愛媛県松山市一番町4-4-2", "愛媛県松山市1番町四丁目4番2号"]);
        same(&["奈良県五條市岡口1丁目3番1号", "奈良県五条市岡口1-3-1"]);
    }

    #[test]
    fn county_is_dropped_but_not_from_city_names() {
        same(&["北海道虻田郡ニセコ町字富士見55番地", "北海道ニセコ町富士見55"]);
        same(&["富山県中新川郡上市町法音寺1", "富山県上市町法音寺1"]);
        assert_eq!(c("福島県郡山市朝日1-23-7"), "福島県郡山市朝日1-23-7");
        assert_eq!(c("奈良県大和郡山市北郡山町248-4"), "奈良県大和郡山市北郡山町248-4");
        assert_eq!(c("福岡県小郡市小郡255-1"), "福岡県小郡市小郡255-1");
        assert_eq!(c("岐阜県郡上市八幡町島谷228"), "岐阜県郡上市八幡町島谷228");
        assert_eq!(c("鹿児島県鹿児島市郡元1丁目21番24号"), "鹿児島県鹿児島市郡元1-21-24");
        assert_eq!(c("郡山市朝日1-23-7"), "郡山市朝日1-23-7");
        same(&["北海道余市郡仁木町銀山2-470", "北海道仁木町銀山2-470"]);
        same(&["奈良県高市郡高取町大字下子島405", "奈良県高取町下子島405"]);
        same(&["山形県西村山郡河北町谷地甲1", "山形県河北町谷地甲1"]);
        assert_eq!(c("東京都東村山市本町1-2-3"), "東京都東村山市本町1-2-3");
        assert_eq!(c("三重県津市広明町13"), "三重県津市広明町13");
        assert_eq!(c("大和郡山市北郡山町248-4"), "大和郡山市北郡山町248-4");
    }

    #[test]
    fn aza_labels_are_dropped() {
        same(&["京都府与謝郡伊根町字日出651", "京都府伊根町日出651"]);
        same(&["東京都西多摩郡日の出町大字平井2780番地", "東京都日の出町平井2780"]);
        same(&["京都府舞鶴市字北吸1044番地", "京都府舞鶴市北吸1044"]);
    }

    #[test]
    fn ke_and_no_variants() {
        same(&[
            "神奈川県鎌倉市稲村ガ崎二丁目8",
            "神奈川県鎌倉市稲村ヶ崎2-8",
            "神奈川県鎌倉市稲村ケ﨑2-8",
            "神奈川県鎌倉市稲村が崎2-8",
            "神奈川県鎌倉市稲村ヵ崎2-8",
        ]);
        same(&["神奈川県鎌倉市山ノ内189", "神奈川県鎌倉市山の内189", "神奈川県鎌倉市山之内189"]);
        // Katakana words keep their ケ and ノ.
        assert_eq!(c("東京都港区ノースケープ1"), "東京都港区ノースケープ1");
    }

    #[test]
    fn variant_kanji_and_selectors() {
        same(&["新潟県小千谷市大字藪川41", "新潟県小千谷市大字薮川41", "新潟県小千谷市大字籔川41"]);
        same(&["東京都葛飾区立石5-13-1", "東京都葛\u{E0100}飾区立石5-13-1", "東京都葛\u{FE00}飾区立石5-13-1"]);
        same(&["宮城県塩竈市海岸通15-1", "宮城県塩釜市海岸通15-1", "宮城県塩竃市海岸通15-1"]);
        same(&["徳島県勝浦郡勝浦町大字三渓字平山14番地1", "徳島県勝浦町三溪字平山14-1"]);
    }

    #[test]
    fn building_and_room() {
        same(&[
            "東京都中央区築地1-1-1 築地ビル101号室",
            "東京都中央区築地1-1-1築地ビル#101",
            "東京都中央区築地1-1-1 築地ビル-101",
            "東京都中央区築地一丁目1番1号 築地ビル 101",
            "東京都中央区築地１－１－１　築地ビル　１０１号室",
            "東京都中央区築地1-1-1築地ビル１０１",
        ]);
        assert_eq!(c("東京都中央区築地1-1-1 築地ビル101号室"), "東京都中央区築地1-1-1築地ビル101");
        same(&[
            "東京都中央区築地1-1-1-101",
            "東京都中央区築地1-1-1 101号室",
            "東京都中央区築地1丁目1番1号#101",
            "東京都中央区築地1-1-1 ＃101",
        ]);
        same(&["東京都中央区築地1-1-1 ビル5階", "東京都中央区築地1-1-1ビル5F", "東京都中央区築地1-1-1ビル5f"]);
        same(&["東京都中央区築地1-1-1 3号棟", "東京都中央区築地1丁目1番1号3号棟"]);
        // A building name starting with a kanji numeral is not a number.
        assert_eq!(c("東京都中央区築地1-1-1 三井ビル"), "東京都中央区築地1-1-1三井ビル");
        same(&[
            "東京都中央区築地1-1-1 三井ビル",
            "東京都中央区築地一丁目一番一 三井ビル",
            "東京都中央区築地一丁目一番一号三井ビル",
        ]);
        assert_eq!(c("東京都中央区築地1-1-1 コーポ"), "東京都中央区築地1-1-1コーポ");
    }

    #[test]
    fn different_addresses_differ() {
        let distinct = [
            "東京都中央区築地1-1-1",
            "東京都中央区築地1-1-2",
            "東京都中央区築地1-11",
            "東京都中央区築地11-1",
            "東京都中央区築地1-1-1-1",
            "東京都中央区築地1-1-11",
            "東京都中央区築地2-1-1",
            "東京都中央区築地1-1-1 101",
            "東京都中央区築地1-1-1101",
            "東京都中央区築地",
            "神奈川県横浜市緑区鴨居町2400",
            "神奈川県横浜市緑区鴨居2丁目21",
            "神奈川県横浜市緑区鴨居2400",
            "福島県郡山市朝日1",
            "福島県山市朝日1",
        ];
        let canon: Vec<String> = distinct.iter().map(|r| c(r)).collect();
        for (i, a) in canon.iter().enumerate() {
            for (j, b) in canon.iter().enumerate() {
                if i != j {
                    assert_ne!(a, b, "{} vs {}", distinct[i], distinct[j]);
                }
            }
        }
    }

    #[test]
    fn rejections() {
        assert!(matches!(canonical("〒104-0045"), Err(Error::Invalid { .. })));
        assert!(matches!(canonical("〒"), Err(Error::Invalid { .. })));
        assert!(matches!(canonical("、。・"), Err(Error::Invalid { .. })));
        assert!(matches!(canonical("　"), Err(Error::Empty { .. })));
    }
}
