//! Masking: what a principal sees of a field when a policy decides it is *masked* rather than plain or hidden.
//!
//! The library applies [`mask`] before a value leaves the vault; clients never receive the clear value to mask
//! it themselves. Each field type keeps the part a masked view is for (enough to confirm "is this the right
//! customer?" over the phone) and nothing more:
//!
//! | kind | kept | example |
//! |---|---|---|
//! | `card_number` | first six and last four, grouped as printed | `4111 11•• •••• 1111`, `3782 82•••• •0005` |
//! | `person_name_ja`, `kana` | family name (before the first space), `＊` per character of the rest | `山田 ＊＊`, `ヤマダ ＊＊＊` |
//! | `person_name_romaji` | family name, other words as initials | `T. YAMADA`, `YAMADA, T.` |
//! | `jp_address` | prefecture and municipality (with 郡, and the ward of a designated city) | `東京都千代田区`, `大阪府大阪市北区` |
//! | `us_address` | city, state, first three ZIP digits | `Springfield, IL 627**` |
//! | `postal_code` | first three digits | `100-****`, `627**` |
//! | `phone` | last four digits, separators and a leading `+` | `***-****-5678`, `+* ***-***-0123` |
//! | `email` | first character of the local part, the domain | `t**********@example.co.jp` |
//! | `date` | the Western year, in ISO shape | `1980-**-**` |
//! | `identifier` | last four characters | `*****0042` |
//! | `card_expiry` | nothing | `**/**` |
//! | `free_text` | nothing | `[masked]` |
//! | `organisation`, `department`, `card_brand` | everything: not personal on their own | `株式会社サンプル` |
//!
//! A value that cannot be parsed for its kind is replaced by a fixed placeholder (`***`, `＊＊＊` for Japanese
//! names and addresses, `****-**-**` for dates), as is any value longer than
//! [`normalize::MAX_INPUT_BYTES`], which the vault never stores.
//!
//! Guarantees, checked by property tests: [`mask`] never panics; a masked card number contains no digit but
//! its first six and last four; a masked phone number contains no digit but its last four; a masked e-mail
//! address shows at most the first character of the local part; a masked Japanese or kana name shows no
//! character of the given name; a masked romaji name shows no given name beyond its initial, where capitals
//! or a comma say which word is the family name (`Yamada Taro` is read in Western order); a masked Japanese
//! address is a piece of the address as written, since parsing only ever cuts it short, down to the
//! prefecture alone when the municipality cannot be found. Working copies of the value are zeroised.

use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use crate::card::Pan;
use crate::normalize;
use crate::normalize::{PREFECTURES, STATES};
use crate::schema::FieldType;

/// Placeholder for a value that cannot be parsed.
const MALFORMED: &str = "***";
/// Placeholder for a Japanese name or address that cannot be parsed.
const MALFORMED_JA: &str = "＊＊＊";
/// Stands for each character of a masked Japanese or kana given name.
const JA_STAR: char = '＊';
/// More stars than this in an e-mail local part would only tell its length.
const MAX_EMAIL_STARS: usize = 10;

/// The masked form of `value`, a value of type `kind`.
///
/// Never fails: a value that cannot be parsed for its kind gives a fixed placeholder that reveals nothing
/// about it.
pub fn mask(kind: FieldType, value: &str) -> String {
    let shown = match kind {
        // Not personal on their own; a policy that wants them hidden says `hidden`.
        FieldType::Organisation | FieldType::Department | FieldType::CardBrand => return value.to_owned(),
        FieldType::FreeText | FieldType::CardExpiry => None,
        _ if value.len() > normalize::MAX_INPUT_BYTES => None,
        FieldType::CardNumber => card(value),
        FieldType::PersonNameJa | FieldType::Kana => ja_name(value),
        FieldType::PersonNameRomaji => romaji_name(value),
        FieldType::JpAddress => jp_address(value),
        FieldType::UsAddress => us_address(value),
        FieldType::PostalCode => postal_code(value),
        FieldType::Phone => phone(value),
        FieldType::Email => email(value),
        FieldType::Date => date(value),
        FieldType::Identifier => identifier(value),
    };
    shown.unwrap_or_else(|| placeholder(kind).to_owned())
}

/// What a value of `kind` is shown as when nothing of it can be kept.
fn placeholder(kind: FieldType) -> &'static str {
    match kind {
        FieldType::PersonNameJa | FieldType::Kana | FieldType::JpAddress => MALFORMED_JA,
        FieldType::Date => "****-**-**",
        FieldType::CardExpiry => "**/**",
        FieldType::FreeText => "[masked]",
        FieldType::Identifier
        | FieldType::PersonNameRomaji
        | FieldType::Email
        | FieldType::Phone
        | FieldType::UsAddress
        | FieldType::PostalCode
        | FieldType::Organisation
        | FieldType::Department
        | FieldType::CardNumber
        | FieldType::CardBrand => MALFORMED,
    }
}

/// NFKC (full-width digits, letters and `＠` become ASCII, half-width kana full-width), trimmed, in a buffer
/// that is wiped when dropped.
fn nfkc(value: &str) -> Zeroizing<String> {
    Zeroizing::new(value.trim().nfkc().collect())
}

/// Variation selectors, zero-width characters, the byte-order mark and the soft hyphen: they change how a
/// character is drawn or nothing at all, so they do not count as characters of a name.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{FE00}'..='\u{FE0F}'
            | '\u{E0100}'..='\u{E01EF}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200D}'
            | '\u{2060}'
            | '\u{FEFF}'
            | '\u{00AD}'
    )
}

/// A character that belongs to the one before it: a combining mark (a voiced mark written apart, an accent)
/// or an invisible one.
fn is_attached(c: char) -> bool {
    unicode_normalization::char::is_combining_mark(c) || is_invisible(c)
}

// ---------------------------------------------------------------------------------------------- cards

/// BIN and last four of a valid card number. The vault stores only numbers that pass [`Pan::parse`], so
/// sharing it keeps the masked form identical to the one the card view shows.
fn card(value: &str) -> Option<String> {
    Pan::parse(value).ok().map(|pan| pan.masked())
}

// ---------------------------------------------------------------------------------------------- names

/// Japanese and kana names: the family name as written, then `＊` for each character of the given name.
///
/// The family name is everything before the first space (half- or full-width). Without a space the split is
/// unknown, so only the first character is kept. Characters are counted after NFKC, so a half-width voiced
/// mark (`ﾀﾞ`) or a variation selector does not add a star.
fn ja_name(value: &str) -> Option<String> {
    let v = value.trim();
    let (family, sep, given) = match v.char_indices().find(|&(_, c)| c.is_whitespace()) {
        Some((i, sep)) => (v.get(..i)?, Some(sep), v.get(i + sep.len_utf8()..)?),
        None => {
            // The first character with its combining and invisible marks (`葛󠄀`, `か゛`).
            let mut chars = v.char_indices();
            chars.next()?;
            let end = chars.find(|&(_, c)| !is_attached(c)).map_or(v.len(), |(i, _)| i);
            (v.get(..end)?, None, v.get(end..)?)
        }
    };
    let mut out = String::with_capacity(family.len() + given.len() * 3 + 3);
    out.push_str(family);
    out.extend(sep);
    let mut stars = 0usize;
    for c in given.nfkc().filter(|&c| !is_attached(c)) {
        if c.is_whitespace() {
            out.push(c);
        } else {
            out.push(JA_STAR);
            stars += 1;
        }
    }
    // A given name of marks only (a lone `ﾞ`) still shows that something was masked.
    if stars == 0 && !given.is_empty() {
        out.push(JA_STAR);
    }
    Some(out)
}

/// Word separators in a romaji name besides white space: `Taro.YAMADA`, `J.R.R. TOLKIEN`, `Taro・YAMADA`.
fn is_romaji_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '.' | '・' | '·' | '_')
}

/// A word written in capitals (`YAMADA`, `O'BRIEN`): the family name in `Taro YAMADA`. One letter is an
/// initial, not a name.
fn is_upper_word(word: &str) -> bool {
    let mut letters = word.chars().filter(|c| c.is_alphabetic());
    letters.clone().nth(1).is_some() && letters.all(char::is_uppercase)
}

/// `Taro` → `T.`; a word without letters or digits (a stray `&`) is dropped.
fn initial(word: &str) -> Option<String> {
    word.chars().find(|c| c.is_alphanumeric()).map(|c| format!("{c}."))
}

/// Latin-script names: the family name as written, every other word as its initial.
///
/// The family name is the part before a comma (`YAMADA, Taro`), else the words written in capitals when
/// some word is not (`Taro YAMADA`, `Mary Ann VAN DYKE`), else the last word (`Taro Yamada`). A single word
/// is kept: it is in the family name's place.
///
/// Limit: `Yamada Taro`, family name first with neither capitals nor a comma, keeps `Taro`. Word order alone
/// does not say which word is the family name, and Western order is the more common in Latin script.
fn romaji_name(value: &str) -> Option<String> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    let initials = |s: &str| -> Vec<String> { s.split(is_romaji_separator).filter_map(initial).collect() };
    if let Some((family, given)) = v.split_once([',', '，', '、']) {
        let family = family.trim();
        let given = initials(given);
        return Some(match (family.is_empty(), given.is_empty()) {
            (true, true) => return None,
            (true, false) => given.join(" "),
            (false, true) => family.to_owned(),
            (false, false) => format!("{family}, {}", given.join(" ")),
        });
    }
    let words: Vec<&str> = v.split(is_romaji_separator).filter(|w| !w.is_empty()).collect();
    let upper = words.iter().filter(|w| is_upper_word(w)).count();
    let keep = |i: usize, w: &str| -> bool {
        if upper > 0 && upper < words.len() {
            is_upper_word(w)
        } else {
            i + 1 == words.len()
        }
    };
    let out: Vec<String> = words
        .iter()
        .enumerate()
        .filter_map(|(i, w)| if keep(i, w) { Some((*w).to_owned()) } else { initial(w) })
        .collect();
    (!out.is_empty()).then(|| out.join(" "))
}

// ------------------------------------------------------------------------------------------ addresses

/// The 20 designated cities (政令指定都市), whose wards belong to the city level.
#[rustfmt::skip]
static DESIGNATED_CITIES: [&str; 20] = [
    "札幌市", "仙台市", "さいたま市", "千葉市", "横浜市", "川崎市", "相模原市", "新潟市", "静岡市", "浜松市",
    "名古屋市", "京都市", "大阪市", "堺市", "神戸市", "岡山市", "広島市", "北九州市", "福岡市", "熊本市",
];

/// Tokyo's 23 special wards, recognised without `東京都` in front.
#[rustfmt::skip]
static TOKYO_WARDS: [&str; 23] = [
    "千代田区", "中央区", "港区", "新宿区", "文京区", "台東区", "墨田区", "江東区", "品川区", "目黒区", "大田区",
    "世田谷区", "渋谷区", "中野区", "杉並区", "豊島区", "北区", "荒川区", "板橋区", "練馬区", "足立区", "葛飾区",
    "江戸川区",
];

/// Municipalities with `市 区 町 村` inside the name (`四日市市`, `東村山市`); the first such character would
/// otherwise end them early. A name that starts with one (`市川市`, `町田市`, `村上市`) needs no entry.
#[rustfmt::skip]
static INNER_SUFFIX: [&str; 15] = [
    "四日市市", "廿日市市", "野々市市", "上市町", "余市町", "十日町市", "大町市", "大町町", "田村市", "羽村市",
    "大村市", "東村山市", "武蔵村山市", "玉村町", "中村区",
];

/// Longest municipality name before its `市 区 町 村` (`かすみがうら`, `いちき串木野`).
const MAX_MUNICIPALITY_NAME: usize = 8;
/// Longest ward name before `区`.
const MAX_WARD_NAME: usize = 4;

fn is_kanji(c: char) -> bool {
    matches!(
        c,
        '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{3FFFF}' | '々' | '〆'
    )
}

/// A character of a place name: kanji, kana (including `ヶ` and `ー`).
fn is_place_char(c: char) -> bool {
    is_kanji(c) || matches!(c, '\u{3041}'..='\u{3096}' | '\u{30A1}'..='\u{30FA}' | 'ー' | 'ゝ' | 'ゞ' | 'ヽ' | 'ヾ')
}

/// The place name at the start of `s` ending in one of `suffixes`, suffix included: at least one character
/// of name, at most `max`, place characters only.
fn place<'a>(s: &'a str, suffixes: &[char], max: usize) -> Option<&'a str> {
    if let Some(known) =
        INNER_SUFFIX.iter().find(|n| s.starts_with(**n) && n.chars().last().is_some_and(|c| suffixes.contains(&c)))
    {
        return s.get(..known.len());
    }
    for (n, (i, c)) in s.char_indices().enumerate().take(max + 1) {
        if !is_place_char(c) {
            return None;
        }
        if n >= 1 && suffixes.contains(&c) {
            return s.get(..i + c.len_utf8());
        }
    }
    None
}

/// A county (`虻田郡`) at the start of `s`: one to four kanji before `郡`. `郡山市`, `大和郡山市`, `小郡市` and
/// `郡上市` are cities, and a `市` in front of `郡` is normally a city followed by a town (`鹿児島市郡元`) except
/// in 余市郡 and 高市郡.
fn county(s: &str) -> Option<&str> {
    let (i, _) = s.char_indices().take(5).find(|&(_, c)| c == '郡')?;
    let name = s.get(..i)?;
    let city_like = name.chars().any(|c| matches!(c, '市' | '区' | '町' | '都' | '道' | '府' | '県'));
    if name.is_empty() || !name.chars().all(is_kanji) || (city_like && !matches!(name, "余市" | "高市")) {
        return None;
    }
    let after = s.get(i + '郡'.len_utf8()..)?;
    if after.starts_with('市') || after.starts_with("山市") {
        return None;
    }
    s.get(..i + '郡'.len_utf8())
}

/// The municipality at the start of `s`: `郡` + town or village, a city (with its ward if it is a designated
/// city), a Tokyo ward, a town or a village. A county without a town after it gives nothing rather than
/// falling through to the generic rule, which would cut `余市郡` at `余市`.
fn municipality(s: &str) -> Option<String> {
    if let Some(c) = county(s) {
        let town = place(s.get(c.len()..)?, &['町', '村'], MAX_MUNICIPALITY_NAME)?;
        return Some(format!("{c}{town}"));
    }
    let m = place(s, &['市', '区', '町', '村'], MAX_MUNICIPALITY_NAME)?;
    let ward = if DESIGNATED_CITIES.contains(&m) {
        s.get(m.len()..).and_then(|rest| place(rest, &['区'], MAX_WARD_NAME))
    } else {
        None
    };
    Some(format!("{m}{}", ward.unwrap_or_default()))
}

/// Japanese addresses: prefecture and municipality, without spaces; the prefecture alone when the
/// municipality cannot be told apart from the rest. Without a prefecture only a designated city or a Tokyo
/// ward is recognised, so that a town name (`神田神保町`) is never mistaken for a municipality.
///
/// Limit: an address that omits its municipality but names a town ending in `町` or `村` right after the
/// prefecture (`東京都神保町1-1`) shows that town, since without a list of municipalities it looks like one.
fn jp_address(value: &str) -> Option<String> {
    let s: Zeroizing<String> =
        Zeroizing::new(nfkc(value).chars().filter(|&c| !c.is_whitespace() && !is_invisible(c)).collect());
    // A postal code in front: `〒100-0005`, `100-0005`.
    let s = s.trim_start_matches(
        |c: char| matches!(c, '〒' | '0'..='9' | '-' | 'ー' | '\u{2010}'..='\u{2015}' | '\u{2212}'),
    );
    let s = s.strip_prefix("日本国").or_else(|| s.strip_prefix("日本")).unwrap_or(s);
    match PREFECTURES.iter().find(|p| s.starts_with(**p)) {
        Some(pref) => {
            let rest = s.get(pref.len()..).unwrap_or_default();
            Some(format!("{pref}{}", municipality(rest).unwrap_or_default()))
        }
        None => {
            let m = municipality(s)?;
            let known = DESIGNATED_CITIES.iter().any(|k| m.starts_with(k)) || TOKYO_WARDS.contains(&m.as_str());
            known.then_some(m)
        }
    }
}

/// Words that end a street or unit, never a city: a "city" ending in one is the street line.
#[rustfmt::skip]
static STREET_WORDS: &[&str] = &[
    "ALY", "APT", "AVE", "AVENUE", "BLDG", "BLVD", "BOULEVARD", "BOX", "CIR", "CIRCLE", "COURT", "CT", "DR",
    "DRIVE", "FL", "FLOOR", "HWY", "HIGHWAY", "LANE", "LN", "PKWY", "PL", "PLACE", "RD", "RM", "ROAD", "STE",
    "ST", "STREET", "SUITE", "TER", "TERRACE", "TRL", "UNIT", "WAY",
];

/// Upper case without dots: `D.C.` → `DC`, `U.S.A.` → `USA`.
fn us_word(w: &str) -> String {
    w.chars().filter(|&c| c != '.').flat_map(char::to_uppercase).collect()
}

fn is_country(words: &[&str]) -> bool {
    let joined: Vec<String> = words.iter().map(|w| us_word(w)).collect();
    matches!(joined.join(" ").as_str(), "US" | "USA" | "UNITED STATES" | "UNITED STATES OF AMERICA")
}

/// `62704`, `62704-1234` or `627041234`: the first three digits.
fn zip3(w: &str) -> Option<&str> {
    let digits = w.chars().filter(char::is_ascii_digit).count();
    let shape = match w.find('-') {
        Some(5) => w.len() == 10 && digits == 9,
        Some(_) => false,
        None => digits == w.len() && (digits == 5 || digits == 9),
    };
    if shape {
        w.get(..3)
    } else {
        None
    }
}

/// The state at the end of `words`: its code and how many words it took.
fn state(words: &[&str]) -> Option<(&'static str, usize)> {
    for n in (1..=3).rev() {
        let Some(tail) = words.len().checked_sub(n).and_then(|start| words.get(start..)) else { continue };
        let name: Vec<String> = tail.iter().map(|w| us_word(w)).collect();
        let name = name.join(" ");
        if let Some(&(_, code)) = STATES.iter().find(|&&(s, code)| s == name || (n == 1 && code == name)) {
            return Some((code, n));
        }
    }
    None
}

/// A plausible city: letters, spaces, `.`, `'` and `-`, at most four words, not ending in a street word.
fn is_city(words: &[&str]) -> bool {
    !words.is_empty()
        && words.len() <= 4
        && words.iter().all(|w| w.chars().all(|c| c.is_alphabetic() || matches!(c, '.' | '\'' | '’' | '-')))
        && words.last().is_some_and(|w| !STREET_WORDS.contains(&us_word(w).as_str()))
}

/// US addresses: `City, ST 627**`. The city is the comma-separated part before the state (or the words
/// before the state in the last part, when an earlier part holds the street); without commas the city cannot
/// be told from the street and is left out.
fn us_address(value: &str) -> Option<String> {
    let s = nfkc(value);
    let mut parts: Vec<Vec<&str>> =
        s.split([',', ';']).map(|p| p.split_whitespace().collect::<Vec<_>>()).filter(|p| !p.is_empty()).collect();
    if parts.last().is_some_and(|p| is_country(p)) {
        parts.pop();
    }
    let mut last = parts.pop()?;
    if last.len() > 1 && last.last().is_some_and(|w| is_country(&[*w])) {
        last.pop();
    }
    let zip = last.last().and_then(|w| zip3(w));
    if zip.is_some() {
        last.pop();
        if last.is_empty() {
            last = parts.pop().unwrap_or_default();
        }
    }
    let zip = zip.map(|z| format!("{z}**"));
    let Some((code, n)) = state(&last) else { return zip };
    last.truncate(last.len().saturating_sub(n));
    let city = if last.is_empty() {
        parts.last().filter(|p| is_city(p)).map(|p| p.join(" "))
    } else {
        // The last part held city and state, so the street must be in an earlier part.
        (!parts.is_empty() && is_city(&last)).then(|| last.join(" "))
    };
    let mut out = String::with_capacity(32);
    if let Some(city) = city {
        out.push_str(&city);
        out.push_str(", ");
    }
    out.push_str(code);
    if let Some(zip) = zip {
        out.push(' ');
        out.push_str(&zip);
    }
    Some(out)
}

/// Japanese `100-****`, US `627**` or `627**-****`, from the canonical form.
fn postal_code(value: &str) -> Option<String> {
    let canonical = Zeroizing::new(normalize::canonical(FieldType::PostalCode, value).ok()?);
    Some(canonical.chars().enumerate().map(|(i, c)| if i >= 3 && c.is_ascii_digit() { '*' } else { c }).collect())
}

// ------------------------------------------------------------------------------------- numbers, dates

/// Fewer digits than this are not a phone number, and keeping four of them would show nearly all.
const MIN_PHONE_DIGITS: usize = 7;

/// Phone numbers: the last four digits; every other digit becomes `*`, separators and a leading `+` stay.
fn phone(value: &str) -> Option<String> {
    let s = nfkc(value);
    let digits = s.chars().filter(char::is_ascii_digit).count();
    if digits < MIN_PHONE_DIGITS {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    let mut seen = 0usize;
    for (i, c) in s.chars().enumerate() {
        match c {
            '0'..='9' => {
                seen += 1;
                out.push(if seen + 4 > digits { c } else { '*' });
            }
            '+' if i == 0 => out.push('+'),
            '-' | '(' | ')' | '.' | '/' | 'ー' | '\u{2010}'..='\u{2015}' | '\u{2212}' => out.push(c),
            _ if c.is_whitespace() => out.push(c),
            _ => return None,
        }
    }
    Some(out)
}

/// E-mail addresses: the first character of the local part, one `*` for each further character up to ten,
/// and the domain.
fn email(value: &str) -> Option<String> {
    let s = nfkc(value);
    let (local, domain) = s.rsplit_once('@')?;
    let labels_ok = domain.split('.').count() >= 2 && domain.split('.').all(|l| !l.is_empty());
    if s.chars().any(char::is_whitespace) || !labels_ok {
        return None;
    }
    let mut chars = local.chars();
    let first = chars.next()?;
    let stars = chars.filter(|&c| !is_attached(c)).count().min(MAX_EMAIL_STARS);
    let mut out = String::with_capacity(domain.len() + stars + 8);
    out.push(first);
    out.extend(std::iter::repeat_n('*', stars));
    out.push('@');
    out.push_str(domain);
    Some(out)
}

/// Dates: the Western year of any notation [`normalize`] accepts (`1980/1/2`, `昭和55年1月2日`).
fn date(value: &str) -> Option<String> {
    let canonical = Zeroizing::new(normalize::canonical(FieldType::Date, value).ok()?);
    let (year, _) = canonical.split_once('-')?;
    Some(format!("{year}-**-**"))
}

/// Identifiers: the last four characters, `*` for each one before. Four characters or fewer are hidden
/// entirely, since keeping four would keep them all.
fn identifier(value: &str) -> Option<String> {
    let v = value.trim();
    let n = v.chars().count();
    if n <= 4 {
        return None;
    }
    let hidden = n.saturating_sub(4);
    let mut out: String = std::iter::repeat_n('*', hidden).collect();
    out.extend(v.chars().skip(hidden));
    Some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use proptest::prelude::*;

    use super::*;

    fn check(kind: FieldType, cases: &[(&str, &str)]) {
        for &(input, expected) in cases {
            assert_eq!(mask(kind, input), expected, "{kind:?} of {input:?}");
        }
    }

    #[test]
    fn card_number_keeps_bin_and_last_four_grouped_as_printed() {
        check(
            FieldType::CardNumber,
            &[
                ("4111 1111 1111 1111", "4111 11•• •••• 1111"),
                ("4111-1111-1111-1111", "4111 11•• •••• 1111"),
                ("4111111111111111", "4111 11•• •••• 1111"),
                ("４１１１ １１１１ １１１１ １１１１", "4111 11•• •••• 1111"),
                // AmEx 4-6-5, Diners 4-6-4, JCB and Mastercard in fours.
                ("378282246310005", "3782 82•••• •0005"),
                ("3782-822463-10005", "3782 82•••• •0005"),
                ("30569309025904", "3056 93•••• 5904"),
                ("3530 1113 3330 0000", "3530 11•• •••• 0000"),
                ("5555 5555 5555 4444", "5555 55•• •••• 4444"),
                // Not a card number the vault would store: nothing is shown.
                ("4111 1111 1111 1112", "***"),
                ("4111 1111", "***"),
                ("4111/1111/1111/1111", "***"),
                ("", "***"),
            ],
        );
    }

    #[test]
    fn japanese_name_keeps_the_family_name() {
        check(
            FieldType::PersonNameJa,
            &[
                ("山田 太郎", "山田 ＊＊"),
                ("山田　太郎", "山田　＊＊"),
                ("  山田 太郎 ", "山田 ＊＊"),
                ("長谷川 まゆみ", "長谷川 ＊＊＊"),
                // Without a space the split is unknown: the first character only.
                ("山田太郎", "山＊＊＊"),
                ("山", "山"),
                // Regression (proptest): a given name of marks only still shows a star.
                ("山 ﾞ", "山 ＊"),
                // A variation selector stays with its character and is not a character of its own.
                ("葛\u{E0100}城 花子", "葛\u{E0100}城 ＊＊"),
                ("葛\u{E0100}城花子", "葛\u{E0100}＊＊＊"),
                ("髙橋 邊\u{E0101}", "髙橋 ＊"),
                ("Smith John", "Smith ＊＊＊＊"),
                ("", "＊＊＊"),
                ("\u{3000}", "＊＊＊"),
            ],
        );
    }

    #[test]
    fn kana_name_keeps_the_family_name() {
        check(
            FieldType::Kana,
            &[
                ("ヤマダ タロウ", "ヤマダ ＊＊＊"),
                ("やまだ　たろう", "やまだ　＊＊＊"),
                // Half-width voiced marks belong to their kana.
                ("ﾔﾏﾀﾞ ｼﾞﾛｳ", "ﾔﾏﾀﾞ ＊＊＊"),
                ("ヤマダタロウ", "ヤ＊＊＊＊＊"),
                ("", "＊＊＊"),
            ],
        );
    }

    #[test]
    fn romaji_name_keeps_the_family_name_and_initials() {
        check(
            FieldType::PersonNameRomaji,
            &[
                ("Taro YAMADA", "T. YAMADA"),
                ("YAMADA Taro", "YAMADA T."),
                ("YAMADA, Taro", "YAMADA, T."),
                ("Yamada, Taro", "Yamada, T."),
                ("Yamada，Taro", "Yamada, T."),
                ("Taro Yamada", "T. Yamada"),
                ("TARO YAMADA", "T. YAMADA"),
                ("Tarō YAMADA", "T. YAMADA"),
                ("Taro.YAMADA", "T. YAMADA"),
                ("John Fitzgerald KENNEDY", "J. F. KENNEDY"),
                ("Mary Ann VAN DYKE", "M. A. VAN DYKE"),
                ("Jean-Luc PICARD", "J. PICARD"),
                ("J. R. R. TOLKIEN", "J. R. R. TOLKIEN"),
                ("Barack Hussein Obama", "B. H. Obama"),
                ("SMITH, John Paul", "SMITH, J. P."),
                ("Yamada", "Yamada"),
                ("  ", "***"),
                (", ", "***"),
            ],
        );
    }

    #[test]
    fn jp_address_keeps_prefecture_and_municipality() {
        check(
            FieldType::JpAddress,
            &[
                ("東京都千代田区丸の内1-1-1 丸の内ビル101", "東京都千代田区"),
                ("〒100-0005 東京都千代田区丸の内１丁目１番１号", "東京都千代田区"),
                ("東京都　港区　芝公園４－２－８", "東京都港区"),
                ("神奈川県鎌倉市由比ガ浜1-1", "神奈川県鎌倉市"),
                // Designated cities keep their ward.
                ("大阪府大阪市北区梅田1丁目1番1号", "大阪府大阪市北区"),
                ("北海道札幌市中央区北1条西2丁目", "北海道札幌市中央区"),
                ("埼玉県さいたま市浦和区高砂3-15-1", "埼玉県さいたま市浦和区"),
                ("愛知県名古屋市中村区名駅1-1-4", "愛知県名古屋市中村区"),
                ("京都府京都市中京区寺町通御池上る上本能寺前町488", "京都府京都市中京区"),
                ("大阪府堺市堺区南瓦町3-1", "大阪府堺市堺区"),
                // Counties with their town or village.
                ("北海道虻田郡ニセコ町字富士見1", "北海道虻田郡ニセコ町"),
                ("北海道余市郡余市町黒川町1-1", "北海道余市郡余市町"),
                ("東京都西多摩郡瑞穂町大字箱根ケ崎2335", "東京都西多摩郡瑞穂町"),
                ("沖縄県国頭郡東村字平良804", "沖縄県国頭郡東村"),
                ("山形県西村山郡河北町谷地甲", "山形県西村山郡河北町"),
                // 市 区 町 村 inside a name, and 郡 inside a city's name.
                ("三重県四日市市諏訪町1-5", "三重県四日市市"),
                ("東京都東村山市本町1-2-3", "東京都東村山市"),
                ("新潟県十日町市千歳町3-3", "新潟県十日町市"),
                ("千葉県市川市市川1-1-1", "千葉県市川市"),
                ("青森県八戸市市川町字桔梗野", "青森県八戸市"),
                ("東京都町田市森野2-2-22", "東京都町田市"),
                ("福島県郡山市朝日1-23-7", "福島県郡山市"),
                ("奈良県大和郡山市北郡山町248-4", "奈良県大和郡山市"),
                ("鹿児島県鹿児島市郡元1-21-24", "鹿児島県鹿児島市"),
                ("茨城県つくば市研究学園1-1-1", "茨城県つくば市"),
                // Municipality not found: the prefecture only.
                ("東京都丸の内1-1-1", "東京都"),
                ("北海道虻田郡", "北海道"),
                ("東京都", "東京都"),
                // Without a prefecture only a designated city or a Tokyo ward is recognised.
                ("大阪市北区梅田1-1", "大阪市北区"),
                ("千代田区丸の内1-1", "千代田区"),
                ("神田神保町1-1", "＊＊＊"),
                ("丸の内1-1-1", "＊＊＊"),
                ("1-1-1 Marunouchi, Tokyo", "＊＊＊"),
                ("", "＊＊＊"),
            ],
        );
    }

    #[test]
    fn us_address_keeps_city_state_and_zip3() {
        check(
            FieldType::UsAddress,
            &[
                ("123 Main St, Apt 5, Springfield, IL 62704", "Springfield, IL 627**"),
                ("1600 Pennsylvania Avenue NW, Washington, DC 20500", "Washington, DC 205**"),
                ("350 Fifth Avenue, New York, New York 10118-0110, USA", "New York, NY 101**"),
                ("1 Infinite Loop, Cupertino CA 95014", "Cupertino, CA 950**"),
                ("PO Box 123, Springfield, IL, 62704", "Springfield, IL 627**"),
                ("123 Main St, Springfield, Illinois", "Springfield, IL"),
                ("500 Market St., St. Louis, mo 63101 U.S.A.", "St. Louis, MO 631**"),
                ("１２３ Ｍａｉｎ Ｓｔ， Ｓａｎ Ｆｒａｎｃｉｓｃｏ， ＣＡ ９４１０５", "San Francisco, CA 941**"),
                ("Springfield, IL 62704", "Springfield, IL 627**"),
                // Without commas the city cannot be told from the street.
                ("123 Main St Springfield IL 62704", "IL 627**"),
                // The street is never taken for a city.
                ("123 Main Street, IL 62704", "IL 627**"),
                ("Main Street, IL 62704", "IL 627**"),
                ("123 Main St, 62704", "627**"),
                ("東京都千代田区丸の内1-1-1", "***"),
                ("", "***"),
            ],
        );
    }

    #[test]
    fn postal_code_keeps_three_digits() {
        check(
            FieldType::PostalCode,
            &[
                ("100-0001", "100-****"),
                ("〒１００－０００１", "100-****"),
                ("1000001", "100-****"),
                ("62704", "627**"),
                ("62704-1234", "627**-****"),
                ("1234", "***"),
                ("ABC-DEFG", "***"),
            ],
        );
    }

    #[test]
    fn phone_keeps_the_last_four_digits_and_separators() {
        check(
            FieldType::Phone,
            &[
                ("090-1234-5678", "***-****-5678"),
                ("09012345678", "*******5678"),
                ("０９０－１２３４－５６７８", "***-****-5678"),
                ("(03) 1234-5678", "(**) ****-5678"),
                ("+81 90-1234-5678", "+** **-****-5678"),
                ("+1 415-555-0123", "+* ***-***-0123"),
                ("+1 (415) 555.0123", "+* (***) ***.0123"),
                // Too short to be a phone number, an extension, a `+` inside: nothing is shown.
                ("110", "***"),
                ("12-3456", "***"),
                ("555-0123", "***-0123"),
                ("090-1234-5678 ext. 12", "***"),
                ("090+1234-5678", "***"),
                ("", "***"),
            ],
        );
    }

    #[test]
    fn email_keeps_first_character_and_domain() {
        check(
            FieldType::Email,
            &[
                ("taro.yamada@example.co.jp", "t**********@example.co.jp"),
                ("john.smith@gmail.com", "j*********@gmail.com"),
                ("a@example.com", "a@example.com"),
                ("averyveryverylonglocalpart@example.com", "a**********@example.com"),
                ("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", "t***@example.jp"),
                ("山田太郎@例え.jp", "山***@例え.jp"),
                ("\"a@b\"@example.com", "\"****@example.com"),
                ("no-at-sign", "***"),
                ("@example.com", "***"),
                ("taro@localhost", "***"),
                ("taro@example..jp", "***"),
                ("taro yamada@example.jp", "***"),
                ("", "***"),
            ],
        );
    }

    #[test]
    fn date_keeps_the_year() {
        check(
            FieldType::Date,
            &[
                ("1980-01-02", "1980-**-**"),
                ("1980/1/2", "1980-**-**"),
                ("1980年1月2日", "1980-**-**"),
                ("昭和55年1月2日", "1980-**-**"),
                ("S55.1.2", "1980-**-**"),
                ("平成元年1月8日", "1989-**-**"),
                ("１９８０－０１－０２", "1980-**-**"),
                ("1980-02-30", "****-**-**"),
                ("01/02/1980", "****-**-**"),
                ("yesterday", "****-**-**"),
            ],
        );
    }

    #[test]
    fn identifier_keeps_the_last_four_characters() {
        check(
            FieldType::Identifier,
            &[
                ("EMP-00042", "*****0042"),
                (" CUST-123456 ", "*******3456"),
                ("社員番号１２３４５", "*****２３４５"),
                ("A123", "***"),
                ("", "***"),
            ],
        );
    }

    #[test]
    fn organisation_department_and_brand_are_shown_card_expiry_and_free_text_are_not() {
        check(FieldType::Organisation, &[("株式会社サンプル", "株式会社サンプル"), ("Acme Corp.", "Acme Corp.")]);
        check(FieldType::Department, &[("営業部 第一課", "営業部 第一課"), ("Sales", "Sales")]);
        check(FieldType::CardBrand, &[("VISA", "VISA"), ("JCB", "JCB")]);
        check(FieldType::CardExpiry, &[("12/27", "**/**"), ("2027-12", "**/**"), ("", "**/**")]);
        check(
            FieldType::FreeText,
            &[("来週電話する", "[masked]"), ("call back Tuesday", "[masked]"), ("", "[masked]")],
        );
    }

    #[test]
    fn overlong_values_give_the_placeholder() {
        let long = format!("{}@example.com", "a".repeat(normalize::MAX_INPUT_BYTES));
        assert_eq!(mask(FieldType::Email, &long), "***");
        let long_name = format!("山田 {}", "太".repeat(normalize::MAX_INPUT_BYTES));
        assert_eq!(mask(FieldType::PersonNameJa, &long_name), "＊＊＊");
        assert_eq!(mask(FieldType::FreeText, &long), "[masked]");
    }

    /// A value that fits no kind's format: the kinds that parse show none of it, the others only what their
    /// rule keeps.
    #[test]
    fn unparseable_values_show_only_what_the_rule_keeps() {
        let secret = "秘密SECRET9876";
        for kind in FieldType::ALL {
            let out = mask(kind, secret);
            match kind {
                FieldType::Organisation | FieldType::Department | FieldType::CardBrand => assert_eq!(out, secret),
                FieldType::PersonNameJa | FieldType::Kana => assert_eq!(out, "秘＊＊＊＊＊＊＊＊＊＊＊"),
                FieldType::PersonNameRomaji => assert_eq!(out, secret),
                FieldType::Identifier => assert_eq!(out, "********9876"),
                _ => {
                    assert!(
                        !out.contains("SECRET") && !out.contains("秘密") && !out.contains("9876"),
                        "{kind:?}: {out}"
                    )
                }
            }
        }
    }

    // ------------------------------------------------------------------------------ property tests

    /// A Luhn-valid card number of `len` digits starting with `body`.
    fn luhn_complete(mut body: Vec<u8>) -> String {
        body.push(0);
        let last = body.len() - 1;
        for d in 0..10u8 {
            body[last] = d;
            let digits: Vec<u8> = body.iter().map(|d| b'0' + d).collect();
            if crate::card::luhn_valid(&digits) {
                return String::from_utf8(digits).unwrap();
            }
        }
        unreachable!("one check digit always fits")
    }

    /// Writes `digits` with a separator (none, space, hyphen) chosen per gap.
    fn with_separators(digits: &str, seps: &[u8], choices: &[&str]) -> String {
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 {
                out.push_str(choices[seps[i % seps.len()] as usize % choices.len()]);
            }
            out.push(c);
        }
        out
    }

    fn ascii_digits(s: &str) -> String {
        s.chars().filter(char::is_ascii_digit).collect()
    }

    fn kanji() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop::sample::select(&['山', '田', '佐', '藤', '髙', '橋', '渡', '邊', '斎', '葛'][..]),
            1..4,
        )
        .prop_map(|v| v.into_iter().collect())
    }

    fn given_ja() -> impl Strategy<Value = String> {
        let chars = &['太', '郎', '花', '子', 'ゆ', 'み', 'ナ', 'オ', 'ﾀ', 'ﾛ', 'ｳ', 'ﾞ', '々', 'ー', '・'][..];
        prop::collection::vec(prop::sample::select(chars), 1..6).prop_map(|v| v.into_iter().collect())
    }

    /// Inputs built from pieces that steer every parser into its branches, plus arbitrary characters.
    #[rustfmt::skip]
    const PIECES: &[&str] = &[
        "東京都", "大阪府", "北海道", "大阪市", "北区", "市", "区", "町", "村", "郡", "余市", "四日市市", "中村区",
        "〒", "100-0001", "1-1-1", "丁目", " ", "\u{3000}", ",", "，", "@", "＠", ".", "+", "-", "(", ")", "/",
        "0", "4111", "1111", "62704", "IL", "New York", "USA", "Main St", "Taro", "YAMADA", "山田", "太郎",
        "ﾀﾞ", "\u{3099}", "\u{E0100}", "\u{200B}", "昭和", "年", "月", "日", "1980", "＊", "*", "•", "é", "\u{0301}",
    ];

    fn pieces() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(PIECES), 0..12).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// A masked card number shows the first six and last four digits and nothing in between.
        #[test]
        fn card_shows_only_bin_and_last_four(
            body in prop::collection::vec(0u8..10, 11..=18),
            seps in prop::collection::vec(any::<u8>(), 1..8),
        ) {
            let pan = luhn_complete(body);
            let n = pan.len();
            let written = with_separators(&pan, &seps, &["", " ", "-"]);
            let out = mask(FieldType::CardNumber, &written);
            prop_assert_eq!(ascii_digits(&out), format!("{}{}", &pan[..6], &pan[n - 4..]));
            prop_assert_eq!(out.chars().filter(|&c| c == '•').count(), n - 10);
        }

        /// A masked phone number shows its last four digits and no other digit; `+` and separators stay.
        #[test]
        fn phone_shows_only_the_last_four_digits(
            digits in "[0-9]{7,15}",
            plus in any::<bool>(),
            seps in prop::collection::vec(any::<u8>(), 1..8),
        ) {
            let written = format!("{}{}", if plus { "+" } else { "" }, with_separators(&digits, &seps, &["", " ", "-", "."]));
            let out = mask(FieldType::Phone, &written);
            prop_assert_eq!(ascii_digits(&out), &digits[digits.len() - 4..]);
            prop_assert_eq!(out.chars().filter(|&c| c == '*').count(), digits.len() - 4);
            prop_assert_eq!(out.starts_with('+'), plus);
            prop_assert_eq!(out.chars().count(), written.chars().count());
        }

        /// A masked e-mail address shows the local part's first character, stars, and the domain.
        #[test]
        fn email_shows_only_the_first_character_of_the_local_part(
            local in "[a-zA-Z0-9][a-zA-Z0-9._%+-]{0,40}",
            domain in "[a-z0-9-]{1,12}(\\.[a-z]{2,6}){1,2}",
        ) {
            let out = mask(FieldType::Email, &format!("{local}@{domain}"));
            let stars = (local.len() - 1).min(MAX_EMAIL_STARS);
            prop_assert_eq!(out, format!("{}{}@{domain}", &local[..1], "*".repeat(stars)));
        }

        /// A masked Japanese or kana name shows the family name and no character of the given name.
        #[test]
        fn ja_name_shows_no_character_of_the_given_name(
            family in kanji(),
            given in given_ja(),
            wide in any::<bool>(),
            kind in prop::sample::select(&[FieldType::PersonNameJa, FieldType::Kana][..]),
        ) {
            let sep = if wide { '\u{3000}' } else { ' ' };
            let out = mask(kind, &format!("{family}{sep}{given}"));
            let prefix = format!("{family}{sep}");
            prop_assert!(out.starts_with(&prefix), "{}", out);
            let rest = &out[prefix.len()..];
            prop_assert!(!rest.is_empty() && rest.chars().all(|c| c == JA_STAR), "{}", out);
            prop_assert!(given.chars().all(|g| !rest.contains(g)));

            // Without a space only the first character is shown.
            let out = mask(kind, &format!("{family}{given}"));
            let first = family.chars().next().unwrap();
            prop_assert!(out.starts_with(first));
            prop_assert!(out.chars().skip(1).all(|c| c == JA_STAR), "{}", out);
        }

        /// A masked romaji name shows the family name and only the initials of the given names.
        #[test]
        fn romaji_name_shows_only_initials_of_given_names(
            given in "[A-Z][a-z]{2,9}",
            middle in prop::option::of("[A-Z][a-z]{2,9}"),
            family in "[A-Z]{2,10}",
            style in 0u8..3,
        ) {
            let family_cap = format!("{}{}", &family[..1], family[1..].to_lowercase());
            let givens: Vec<&str> = std::iter::once(given.as_str()).chain(middle.as_deref()).collect();
            let initials: Vec<String> = givens.iter().map(|g| format!("{}.", &g[..1])).collect();
            let (input, expected) = match style {
                0 => (format!("{} {family}", givens.join(" ")), format!("{} {family}", initials.join(" "))),
                1 => (format!("{family}, {}", givens.join(" ")), format!("{family}, {}", initials.join(" "))),
                _ => {
                    prop_assume!(givens.iter().all(|g| !family_cap.contains(g)));
                    (format!("{} {family_cap}", givens.join(" ")), format!("{} {family_cap}", initials.join(" ")))
                }
            };
            let out = mask(FieldType::PersonNameRomaji, &input);
            prop_assert_eq!(&out, &expected);
            for g in &givens {
                prop_assert!(!out.contains(g));
            }
        }

        /// No input makes [`mask`] panic, and the digit and character guarantees hold for any input, not
        /// only well-formed ones.
        #[test]
        fn any_input_is_masked_without_panic(built in pieces(), arbitrary in "\\PC{0,40}") {
            for raw in [built.as_str(), arbitrary.as_str()] {
                for kind in FieldType::ALL {
                    let out = mask(kind, raw);
                    prop_assert!(!out.is_empty() || raw.is_empty(), "{:?} of {:?}", kind, raw);
                }
                prop_assert!(ascii_digits(&mask(FieldType::CardNumber, raw)).len() <= 10);
                let phone = mask(FieldType::Phone, raw);
                prop_assert!(ascii_digits(&phone).len() <= 4, "{} of {:?}", phone, raw);
                let email = mask(FieldType::Email, raw);
                if email != MALFORMED {
                    let (local, _) = email.rsplit_once('@').unwrap();
                    prop_assert!(local.chars().skip(1).all(|c| c == '*'), "{} of {:?}", email, raw);
                }
                // An address is only ever cut short: what is shown is a piece of what was written.
                let address = mask(FieldType::JpAddress, raw);
                let written: String =
                    raw.nfkc().filter(|&c| !c.is_whitespace() && !is_invisible(c)).collect();
                prop_assert!(address == MALFORMED_JA || written.contains(&address), "{} of {:?}", address, raw);
            }
        }
    }
}
