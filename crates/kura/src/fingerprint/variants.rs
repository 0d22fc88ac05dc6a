//! Equivalent notations of a stored value, split into independent binary *channels*.
//!
//! [`template`] parses a stored value into a [`Template`]: the parts that never change (kanji, kana, house
//! numbers, street names) and a list of [`Channel`]s, each a choice between two notations that
//! [`crate::normalize::canonical`] maps to the same canonical form. [`Template::render`] writes the value
//! with one symbol per channel. A channel whose symbol does not matter for the other symbols chosen (the
//! `番`/`号` style when `丁目` is written as a hyphen) is *inactive*: both symbols render the same text.
//!
//! Only separators, digit width, spacing, letter case and legal-form abbreviations change; the characters
//! of a name are never touched (no kanji is replaced, no kana is changed in a Japanese-script name).
//!
//! Every channel has a natural prior: the share of real data written with symbol 1. Where the generated
//! datasets ([`crate::generate`]) contain both forms the prior is their frequency (a test recounts it);
//! where they contain one form only, the prior is fixed here and documented on the channel.

use crate::normalize::{PREFECTURES, STATES};
use crate::schema::FieldType;

/// Channels whose rarer symbol is less common than this carry no code bits (see [`Channel::embedded`]).
pub const MIN_MINORITY: f64 = 0.1;

/// One binary notation choice. Symbol `true` is the form named in the variant's documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Channel {
    /// Japanese address: a space after the prefecture (`東京都 中央区…`). Documented prior 0.15.
    AddrPrefSpace,
    /// Japanese address: a space before the house number (`築地 1-1-1`). Documented prior 0.15.
    AddrHouseSpace,
    /// Japanese address: `1丁目…` rather than `1-…`. Generated prior 0.65.
    AddrChome,
    /// Japanese address, after `丁目`: `1番1号` rather than `1-1`. Generated prior 0.615.
    AddrBanGo,
    /// Japanese address without `丁目`: `721番地3` / `721番3号` rather than `721-3`. Generated prior 0.53.
    AddrBanchi,
    /// Japanese address, kanji form without `丁目`: `721番地3` rather than `721番3号`. Generated prior 0.67.
    AddrBanchiStyle,
    /// Japanese address: full-width digits and dashes (`１－２－３`, `５Ｆ`). Documented prior 0.25.
    AddrWidth,
    /// Japanese address: `ー` as the dash between numbers. Documented prior 0.03 (not embedded).
    AddrLongDash,
    /// Japanese address: a space before the building name. Documented prior 0.8.
    AddrBuildingSpace,
    /// Japanese address: floor written `階` rather than `F`. Generated prior 0.45.
    AddrFloor,
    /// Japanese address: room written `101号室` rather than `101`. Generated prior 0.43.
    AddrRoom,
    /// Postal code: `〒` in front. Documented prior 0.2.
    PostalMark,
    /// Postal code: `NNN-NNNN` rather than `NNNNNNN`. Documented prior 0.85.
    PostalHyphen,
    /// Postal code: full-width digits. Documented prior 0.15.
    PostalWidth,
    /// Japanese phone: separated groups rather than `09012345678`. Documented prior 0.8.
    PhoneSeparated,
    /// Japanese phone, separated: spaces rather than hyphens. Documented prior 0.12.
    PhoneSpace,
    /// Japanese phone: full-width digits. Documented prior 0.15.
    PhoneWidth,
    /// Japanese phone: `+81 90-…`. Documented prior 0.03 (not embedded).
    PhoneIntl,
    /// US phone: `+14155550100` rather than separated. Generated prior 0.15.
    UsPhoneCompact,
    /// US phone, separated: `+1 (415) 555-0100` rather than `+1 415-555-0100`. Generated prior 0.12.
    UsPhoneParens,
    /// Organisation: `(株)` rather than `株式会社` (also `(有)`, `(同)`). Documented prior 0.25.
    OrgAbbrev,
    /// Organisation, abbreviated: full-width brackets `（株）`. Documented prior 0.5.
    OrgWideBrackets,
    /// Japanese-script name: a space between family and given name. Documented prior 0.7.
    NameSpace,
    /// Japanese-script name, spaced: the ideographic space `　`. Documented prior 0.5.
    NameWideSpace,
    /// Kana reading: a space between family and given name. Documented prior 0.7.
    KanaSpace,
    /// Kana reading, spaced: the ideographic space. Documented prior 0.5.
    KanaWideSpace,
    /// Kana reading: hiragana rather than katakana. Documented prior 0.2.
    KanaHiragana,
    /// Romaji name: all upper case. Documented prior 0.25.
    RomajiUpper,
    /// Romaji name: `Family, Given` rather than `Given Family`. Documented prior 0.15.
    RomajiFamilyFirst,
    /// Date: `/` rather than `-`. Documented prior 0.4.
    DateSlash,
    /// Date: no zero padding (`1980/1/2`). Documented prior 0.25.
    DateUnpadded,
    /// Date: Japanese era (`昭和55年1月2日`). Prior 0: offered, never written, because the datasets mix
    /// Japanese and US people and an era date on a US customer would stand out.
    DateWareki,
    /// E-mail: upper-case domain. Documented prior 0.02 (not embedded).
    EmailDomainUpper,
    /// US address: street suffix spelled out (`Avenue`). Documented prior 0.25.
    UsSuffixLong,
    /// US address, abbreviated suffix: with a dot (`Ave.`). Documented prior 0.2.
    UsSuffixDot,
    /// US address: unit as `#5` rather than `Apt 5`. Generated prior 0.19.
    UsUnitHash,
    /// US address: all upper case. Documented prior 0.15.
    UsUpper,
    /// US address: state name spelled out. Documented prior 0.1.
    UsStateName,
    /// US address: no commas. Documented prior 0.12.
    UsNoCommas,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 39] = [
        Channel::AddrPrefSpace,
        Channel::AddrHouseSpace,
        Channel::AddrChome,
        Channel::AddrBanGo,
        Channel::AddrBanchi,
        Channel::AddrBanchiStyle,
        Channel::AddrWidth,
        Channel::AddrLongDash,
        Channel::AddrBuildingSpace,
        Channel::AddrFloor,
        Channel::AddrRoom,
        Channel::PostalMark,
        Channel::PostalHyphen,
        Channel::PostalWidth,
        Channel::PhoneSeparated,
        Channel::PhoneSpace,
        Channel::PhoneWidth,
        Channel::PhoneIntl,
        Channel::UsPhoneCompact,
        Channel::UsPhoneParens,
        Channel::OrgAbbrev,
        Channel::OrgWideBrackets,
        Channel::NameSpace,
        Channel::NameWideSpace,
        Channel::KanaSpace,
        Channel::KanaWideSpace,
        Channel::KanaHiragana,
        Channel::RomajiUpper,
        Channel::RomajiFamilyFirst,
        Channel::DateSlash,
        Channel::DateUnpadded,
        Channel::DateWareki,
        Channel::EmailDomainUpper,
        Channel::UsSuffixLong,
        Channel::UsSuffixDot,
        Channel::UsUnitHash,
        Channel::UsUpper,
        Channel::UsStateName,
        Channel::UsNoCommas,
    ];

    /// A stable name, part of the code position's key: renaming a channel changes every position.
    pub fn name(self) -> &'static str {
        match self {
            Channel::AddrPrefSpace => "addr.pref_space",
            Channel::AddrHouseSpace => "addr.house_space",
            Channel::AddrChome => "addr.chome",
            Channel::AddrBanGo => "addr.ban_go",
            Channel::AddrBanchi => "addr.banchi",
            Channel::AddrBanchiStyle => "addr.banchi_style",
            Channel::AddrWidth => "addr.width",
            Channel::AddrLongDash => "addr.long_dash",
            Channel::AddrBuildingSpace => "addr.building_space",
            Channel::AddrFloor => "addr.floor",
            Channel::AddrRoom => "addr.room",
            Channel::PostalMark => "postal.mark",
            Channel::PostalHyphen => "postal.hyphen",
            Channel::PostalWidth => "postal.width",
            Channel::PhoneSeparated => "phone.separated",
            Channel::PhoneSpace => "phone.space",
            Channel::PhoneWidth => "phone.width",
            Channel::PhoneIntl => "phone.intl",
            Channel::UsPhoneCompact => "us_phone.compact",
            Channel::UsPhoneParens => "us_phone.parens",
            Channel::OrgAbbrev => "org.abbrev",
            Channel::OrgWideBrackets => "org.wide_brackets",
            Channel::NameSpace => "name.space",
            Channel::NameWideSpace => "name.wide_space",
            Channel::KanaSpace => "kana.space",
            Channel::KanaWideSpace => "kana.wide_space",
            Channel::KanaHiragana => "kana.hiragana",
            Channel::RomajiUpper => "romaji.upper",
            Channel::RomajiFamilyFirst => "romaji.family_first",
            Channel::DateSlash => "date.slash",
            Channel::DateUnpadded => "date.unpadded",
            Channel::DateWareki => "date.wareki",
            Channel::EmailDomainUpper => "email.domain_upper",
            Channel::UsSuffixLong => "us_addr.suffix_long",
            Channel::UsSuffixDot => "us_addr.suffix_dot",
            Channel::UsUnitHash => "us_addr.unit_hash",
            Channel::UsUpper => "us_addr.upper",
            Channel::UsStateName => "us_addr.state_name",
            Channel::UsNoCommas => "us_addr.no_commas",
        }
    }

    /// The natural share of symbol 1 (see each variant).
    pub fn prior(self) -> f64 {
        match self {
            Channel::AddrPrefSpace | Channel::AddrHouseSpace | Channel::PostalWidth | Channel::PhoneWidth => 0.15,
            Channel::AddrChome => 0.65,
            Channel::AddrBanGo => 0.615,
            Channel::AddrBanchi => 0.53,
            Channel::AddrBanchiStyle => 0.67,
            Channel::AddrWidth | Channel::OrgAbbrev | Channel::RomajiUpper | Channel::DateUnpadded => 0.25,
            Channel::UsSuffixLong => 0.25,
            Channel::AddrLongDash | Channel::PhoneIntl => 0.03,
            Channel::AddrBuildingSpace | Channel::PhoneSeparated => 0.8,
            Channel::AddrFloor => 0.45,
            Channel::AddrRoom => 0.43,
            Channel::PostalMark | Channel::KanaHiragana | Channel::UsSuffixDot => 0.2,
            Channel::PostalHyphen => 0.85,
            Channel::PhoneSpace | Channel::UsPhoneParens | Channel::UsNoCommas => 0.12,
            Channel::UsPhoneCompact | Channel::RomajiFamilyFirst | Channel::UsUpper => 0.15,
            Channel::OrgWideBrackets | Channel::NameWideSpace | Channel::KanaWideSpace => 0.5,
            Channel::NameSpace | Channel::KanaSpace => 0.7,
            Channel::DateSlash => 0.4,
            Channel::DateWareki => 0.0,
            Channel::EmailDomainUpper => 0.02,
            Channel::UsUnitHash => 0.19,
            Channel::UsStateName => 0.1,
        }
    }

    /// Whether the channel carries code bits: its rarer symbol has a natural share of at least
    /// [`MIN_MINORITY`]. Other channels are written at their prior from a key shared by every export, so
    /// they look natural and say nothing about the export.
    pub fn embedded(self) -> bool {
        let q = self.prior();
        q.min(1.0 - q) >= MIN_MINORITY
    }
}

/// A stored value taken apart into fixed text and channels.
#[derive(Debug, Clone)]
pub struct Template {
    channels: Vec<Channel>,
    form: Form,
}

#[derive(Debug, Clone)]
enum Form {
    JpAddress(JpAddress),
    JpPostal(String),
    JpPhone(Vec<String>),
    UsPhone([String; 3]),
    Org { name: String, abbrev: &'static str, full: &'static str, before: bool },
    Spaced { family: String, given: String, kana: bool },
    Romaji { given: String, family: String },
    Date { y: u32, m: u32, d: u32 },
    Email { local: String, domain: String },
    UsAddress(UsAddress),
}

#[derive(Debug, Clone)]
struct JpAddress {
    pref: String,
    head: String,
    house: House,
    /// Whitespace between the house number and the building (kept as written when not a channel).
    gap: String,
    building: String,
    room: Option<Room>,
}

#[derive(Debug, Clone)]
enum House {
    Chome3([String; 3]),
    Chome2([String; 2]),
    Banchi2([String; 2]),
}

#[derive(Debug, Clone)]
struct Room {
    gap: String,
    digits: String,
    suffix: RoomSuffix,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RoomSuffix {
    Floor,
    Room,
    Go,
}

#[derive(Debug, Clone)]
struct UsAddress {
    number: String,
    street: Vec<String>,
    suffix: Option<(&'static str, &'static str)>,
    /// A word that is kept as written in place of a suffix from the table (`Way`).
    other_suffix: Option<String>,
    unit: Option<UsUnit>,
    city: String,
    state: (&'static str, &'static str),
    zip: String,
}

#[derive(Debug, Clone)]
enum UsUnit {
    /// `Apt 5` or `#5`: equivalent.
    Apt(String),
    /// Any other designator (`Unit 5`), kept.
    Other(String, String),
}

/// Street suffixes: (abbreviation as generated, spelled out). All map to the abbreviation in USPS form.
const US_SUFFIXES: &[(&str, &str)] = &[
    ("St", "Street"),
    ("Ave", "Avenue"),
    ("Rd", "Road"),
    ("Dr", "Drive"),
    ("Ln", "Lane"),
    ("Blvd", "Boulevard"),
    ("Ct", "Court"),
    ("Pl", "Place"),
    ("Ter", "Terrace"),
    ("Pkwy", "Parkway"),
    ("Cir", "Circle"),
];

const LEGAL_FORMS: &[(&str, &str)] = &[("株式会社", "株"), ("有限会社", "有"), ("合同会社", "同")];

/// The template of `stored` as a value of type `kind`, or `None` when it has no equivalent notations this
/// module knows (or does not look like what the parser expects; the value is then written as stored).
pub fn template(kind: FieldType, stored: &str) -> Option<Template> {
    let (channels, form) = match kind {
        FieldType::JpAddress => jp_address(stored)?,
        FieldType::PostalCode => jp_postal(stored)?,
        FieldType::Phone => phone(stored)?,
        FieldType::Organisation => organisation(stored)?,
        FieldType::PersonNameJa => spaced(stored, false)?,
        FieldType::Kana => spaced(stored, true)?,
        FieldType::PersonNameRomaji => romaji(stored)?,
        FieldType::Date => date(stored)?,
        FieldType::Email => email(stored)?,
        FieldType::UsAddress => us_address(stored)?,
        _ => return None,
    };
    Some(Template { channels, form })
}

impl Template {
    /// The channels of this value, in the order [`Template::render`] expects their symbols.
    pub fn channels(&self) -> &[Channel] {
        &self.channels
    }

    /// The value written with `symbols[i]` for `channels()[i]`; missing symbols count as `false`.
    pub fn render(&self, symbols: &[bool]) -> String {
        let s =
            |c: Channel| self.channels.iter().position(|&x| x == c).and_then(|i| symbols.get(i)).copied() == Some(true);
        match &self.form {
            Form::JpAddress(a) => render_jp_address(a, &s),
            Form::JpPostal(d) => {
                let mut out = String::new();
                if s(Channel::PostalMark) {
                    out.push('〒');
                }
                let wide = s(Channel::PostalWidth);
                for (i, c) in d.chars().enumerate() {
                    if i == 3 && s(Channel::PostalHyphen) {
                        out.push(if wide { '－' } else { '-' });
                    }
                    out.push(width(c, wide));
                }
                out
            }
            Form::JpPhone(groups) => {
                let wide = s(Channel::PhoneWidth);
                let sep = match (s(Channel::PhoneSeparated), s(Channel::PhoneSpace)) {
                    (false, _) => "",
                    (true, true) => " ",
                    (true, false) if wide => "－",
                    (true, false) => "-",
                };
                let mut out = String::new();
                let intl = s(Channel::PhoneIntl);
                if intl {
                    out.push_str("+81");
                    out.push_str(if sep.is_empty() { "" } else { " " });
                }
                for (i, g) in groups.iter().enumerate() {
                    if i > 0 {
                        out.push_str(sep);
                    }
                    let g = if i == 0 && intl { g.strip_prefix('0').unwrap_or(g) } else { g };
                    out.extend(g.chars().map(|c| width(c, wide)));
                }
                out
            }
            Form::UsPhone([a, b, c]) => {
                if s(Channel::UsPhoneCompact) {
                    format!("+1{a}{b}{c}")
                } else if s(Channel::UsPhoneParens) {
                    format!("+1 ({a}) {b}-{c}")
                } else {
                    format!("+1 {a}-{b}-{c}")
                }
            }
            Form::Org { name, abbrev, full, before } => {
                let legal = if !s(Channel::OrgAbbrev) {
                    (*full).to_owned()
                } else if s(Channel::OrgWideBrackets) {
                    format!("（{abbrev}）")
                } else {
                    format!("({abbrev})")
                };
                if *before {
                    format!("{legal}{name}")
                } else {
                    format!("{name}{legal}")
                }
            }
            Form::Spaced { family, given, kana } => {
                let (space, wide, script) = if *kana {
                    (Channel::KanaSpace, Channel::KanaWideSpace, s(Channel::KanaHiragana))
                } else {
                    (Channel::NameSpace, Channel::NameWideSpace, false)
                };
                let sep = match (s(space), s(wide)) {
                    (false, _) => "",
                    (true, true) => "\u{3000}",
                    (true, false) => " ",
                };
                let conv = |t: &str| -> String {
                    if !*kana {
                        return t.to_owned();
                    }
                    t.chars().map(|c| if script { to_hiragana(c) } else { to_katakana(c) }).collect()
                };
                format!("{}{sep}{}", conv(family), conv(given))
            }
            Form::Romaji { given, family } => {
                let out = if s(Channel::RomajiFamilyFirst) {
                    format!("{family}, {given}")
                } else {
                    format!("{given} {family}")
                };
                if s(Channel::RomajiUpper) {
                    out.to_ascii_uppercase()
                } else {
                    out
                }
            }
            Form::Date { y, m, d } => {
                if s(Channel::DateWareki) {
                    if let Some(w) = wareki(*y, *m, *d) {
                        return w;
                    }
                }
                let sep = if s(Channel::DateSlash) { '/' } else { '-' };
                if s(Channel::DateUnpadded) {
                    format!("{y:04}{sep}{m}{sep}{d}")
                } else {
                    format!("{y:04}{sep}{m:02}{sep}{d:02}")
                }
            }
            Form::Email { local, domain } => {
                let domain = if s(Channel::EmailDomainUpper) { domain.to_ascii_uppercase() } else { domain.clone() };
                format!("{local}@{domain}")
            }
            Form::UsAddress(a) => render_us_address(a, &s),
        }
    }
}

fn width(c: char, wide: bool) -> char {
    if !wide {
        return c;
    }
    match c {
        '0'..='9' | 'A'..='Z' | 'a'..='z' => char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap_or(c),
        '-' => '－',
        _ => c,
    }
}

fn to_hiragana(c: char) -> char {
    match c {
        '\u{30A1}'..='\u{30F6}' => char::from_u32(c as u32 - 0x60).unwrap_or(c),
        _ => c,
    }
}

fn to_katakana(c: char) -> char {
    match c {
        '\u{3041}'..='\u{3096}' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
        _ => c,
    }
}

/// ASCII digits of a run of ASCII or full-width digits.
fn ascii_digit(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        '０'..='９' => char::from_u32(c as u32 - 0xFF10 + 0x30),
        _ => None,
    }
}

fn is_dash(c: char) -> bool {
    matches!(c, '-' | '－' | 'ー' | '‐' | '−' | '‑' | '–' | '—' | '―' | '─')
}

fn is_kanji_numeral(c: char) -> bool {
    matches!(c, '〇' | '一' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十' | '百' | '千' | '零')
}

// ---- Japanese addresses ----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sep {
    Chome,
    Banchi,
    Ban,
    Go,
    Dash,
}

fn jp_address(stored: &str) -> Option<(Vec<Channel>, Form)> {
    let chars: Vec<char> = stored.trim().chars().collect();
    let first_digit = chars.iter().position(|&c| ascii_digit(c).is_some())?;
    let (head, rest) = chars.split_at_checked(first_digit)?;
    let head_trimmed_len = head.iter().rposition(|c| !c.is_whitespace()).map_or(0, |i| i + 1);
    let head_text: String = head.get(..head_trimmed_len)?.iter().collect();
    if head_text.is_empty() || head_text.starts_with('〒') {
        return None;
    }
    let head_had_space = head_trimmed_len < head.len();
    // Numbers and separators.
    let mut nums: Vec<String> = Vec::new();
    let mut seps: Vec<Sep> = Vec::new();
    let mut i = 0;
    loop {
        let mut n = String::new();
        while let Some(d) = rest.get(i).copied().and_then(ascii_digit) {
            n.push(d);
            i += 1;
        }
        if n.is_empty() {
            return None;
        }
        nums.push(n);
        let (sep, len) = match rest.get(i..).unwrap_or_default() {
            ['丁', '目', ..] => (Sep::Chome, 2),
            ['番', '地', ..] => (Sep::Banchi, 2),
            ['番', '町' | '丁', ..] => return None,
            ['番', ..] => (Sep::Ban, 1),
            ['号', '室' | '棟' | '館' | '線' | '車' | '機', ..] => return None,
            ['号', ..] => (Sep::Go, 1),
            [c, d, ..] if is_dash(*c) && ascii_digit(*d).is_some() => (Sep::Dash, 1),
            _ => break,
        };
        i += len;
        seps.push(sep);
        if rest.get(i).is_none_or(|&c| ascii_digit(c).is_none()) {
            break;
        }
    }
    let house = match (nums.as_slice(), seps.as_slice()) {
        ([a, b, c], [Sep::Chome, Sep::Ban, Sep::Go] | [Sep::Chome, Sep::Ban] | [Sep::Dash, Sep::Dash])
        | ([a, b, c], [Sep::Chome, Sep::Dash]) => House::Chome3([a.clone(), b.clone(), c.clone()]),
        ([a, b], [Sep::Chome]) => House::Chome2([a.clone(), b.clone()]),
        ([a, b], [Sep::Banchi] | [Sep::Dash] | [Sep::Ban, Sep::Go]) => House::Banchi2([a.clone(), b.clone()]),
        _ => return None,
    };
    let after = rest.get(i..).unwrap_or_default();
    let gap_len = after.iter().take_while(|c| c.is_whitespace()).count();
    let gap: String = after.get(..gap_len)?.iter().collect();
    let body: Vec<char> = after.get(gap_len..)?.to_vec();
    if gap.is_empty() && !body.is_empty() {
        // Text glued to the house number (`1-1-1号棟`, `1-1-1ビル`): keep this simple, no channels.
        return None;
    }
    let (building, room) = split_room(&body);

    let mut channels = Vec::new();
    let pref = PREFECTURES.iter().find(|p| head_text.starts_with(**p) && head_text.len() > p.len());
    let (pref, head) = match pref {
        Some(p) if !head_text.chars().any(char::is_whitespace) => {
            channels.push(Channel::AddrPrefSpace);
            ((*p).to_owned(), head_text.get(p.len()..)?.to_owned())
        }
        _ => (String::new(), head_text.clone()),
    };
    let head_ends_numeral = head.chars().last().is_some_and(is_kanji_numeral);
    if !head_had_space && !head_ends_numeral {
        channels.push(Channel::AddrHouseSpace);
    } else if head_had_space {
        return None;
    }
    match house {
        House::Chome3(_) => channels.extend([Channel::AddrChome, Channel::AddrBanGo]),
        House::Chome2(_) => channels.push(Channel::AddrChome),
        House::Banchi2(_) => channels.extend([Channel::AddrBanchi, Channel::AddrBanchiStyle]),
    }
    channels.push(Channel::AddrWidth);
    channels.push(Channel::AddrLongDash);
    let safe_start = building.first().is_some_and(|&c| {
        ascii_digit(c).is_none() && !is_kanji_numeral(c) && !is_dash(c) && !matches!(c, '#' | '＃' | 'の' | 'ノ' | '之')
    });
    if !gap.is_empty() && safe_start {
        channels.push(Channel::AddrBuildingSpace);
    }
    match room.as_ref().map(|r| r.suffix) {
        Some(RoomSuffix::Floor) => channels.push(Channel::AddrFloor),
        Some(RoomSuffix::Room) => channels.push(Channel::AddrRoom),
        _ => {}
    }
    let form = JpAddress { pref, head, house, gap, building: building.iter().collect(), room };
    Some((channels, Form::JpAddress(form)))
}

/// Splits `名前 101号室`, `ビル 5F`, `ハイツ 203` into the name and the trailing room or floor.
fn split_room(body: &[char]) -> (Vec<char>, Option<Room>) {
    let none = (body.to_vec(), None);
    let (stem, suffix) = match body {
        [stem @ .., '号', '室'] => (stem, RoomSuffix::Room),
        [stem @ .., '階' | 'F'] => (stem, RoomSuffix::Floor),
        [stem @ .., '号'] => (stem, RoomSuffix::Go),
        _ => (body, RoomSuffix::Room),
    };
    let digits = stem.iter().rev().take_while(|c| c.is_ascii_digit()).count();
    let Some(before_digits) = stem.len().checked_sub(digits) else { return none };
    let Some(name_and_gap) = stem.get(..before_digits) else { return none };
    let gap = name_and_gap.iter().rev().take_while(|c| c.is_whitespace()).count();
    let name_len = name_and_gap.len().saturating_sub(gap);
    if digits == 0 || gap == 0 || name_len == 0 {
        return none;
    }
    let (Some(name), Some(gap_chars), Some(digit_chars)) =
        (body.get(..name_len), name_and_gap.get(name_len..), stem.get(before_digits..))
    else {
        return none;
    };
    let room = Room { gap: gap_chars.iter().collect(), digits: digit_chars.iter().collect(), suffix };
    (name.to_vec(), Some(room))
}

fn render_jp_address(a: &JpAddress, s: &dyn Fn(Channel) -> bool) -> String {
    let wide = s(Channel::AddrWidth);
    let dash = if s(Channel::AddrLongDash) {
        "ー"
    } else if wide {
        "－"
    } else {
        "-"
    };
    let num = |n: &str| -> String { n.chars().map(|c| width(c, wide)).collect() };
    let mut out = String::with_capacity(64);
    out.push_str(&a.pref);
    if !a.pref.is_empty() && s(Channel::AddrPrefSpace) {
        out.push(' ');
    }
    out.push_str(&a.head);
    if s(Channel::AddrHouseSpace) {
        out.push(' ');
    }
    match &a.house {
        House::Chome3([x, y, z]) => {
            if !s(Channel::AddrChome) {
                out.push_str(&format!("{}{dash}{}{dash}{}", num(x), num(y), num(z)));
            } else if s(Channel::AddrBanGo) {
                out.push_str(&format!("{}丁目{}番{}号", num(x), num(y), num(z)));
            } else {
                out.push_str(&format!("{}丁目{}{dash}{}", num(x), num(y), num(z)));
            }
        }
        House::Chome2([x, y]) => {
            if s(Channel::AddrChome) {
                out.push_str(&format!("{}丁目{}", num(x), num(y)));
            } else {
                out.push_str(&format!("{}{dash}{}", num(x), num(y)));
            }
        }
        House::Banchi2([x, y]) => {
            if !s(Channel::AddrBanchi) {
                out.push_str(&format!("{}{dash}{}", num(x), num(y)));
            } else if s(Channel::AddrBanchiStyle) {
                out.push_str(&format!("{}番地{}", num(x), num(y)));
            } else {
                out.push_str(&format!("{}番{}号", num(x), num(y)));
            }
        }
    }
    if a.building.is_empty() && a.room.is_none() {
        return out;
    }
    if building_space_offered(a) {
        if s(Channel::AddrBuildingSpace) {
            out.push(' ');
        }
    } else {
        out.push_str(&a.gap);
    }
    out.push_str(&a.building);
    if let Some(r) = &a.room {
        out.push_str(&r.gap);
        out.push_str(&num(&r.digits));
        match r.suffix {
            RoomSuffix::Floor if s(Channel::AddrFloor) => out.push('階'),
            RoomSuffix::Floor => out.push(width('F', wide)),
            RoomSuffix::Room if s(Channel::AddrRoom) => out.push_str("号室"),
            RoomSuffix::Room => {}
            RoomSuffix::Go => out.push('号'),
        }
    }
    out
}

fn building_space_offered(a: &JpAddress) -> bool {
    !a.gap.is_empty()
        && a.building.chars().next().is_some_and(|c| {
            ascii_digit(c).is_none()
                && !is_kanji_numeral(c)
                && !is_dash(c)
                && !matches!(c, '#' | '＃' | 'の' | 'ノ' | '之')
        })
}

// ---- postal codes, phones ----

fn jp_postal(stored: &str) -> Option<(Vec<Channel>, Form)> {
    let t = stored.trim();
    let t = t.strip_prefix('〒').unwrap_or(t).trim();
    let mut digits = String::new();
    for (i, c) in t.chars().enumerate() {
        match ascii_digit(c) {
            Some(d) => digits.push(d),
            None if i == 3 && is_dash(c) => {}
            None => return None,
        }
    }
    (digits.len() == 7)
        .then(|| (vec![Channel::PostalMark, Channel::PostalHyphen, Channel::PostalWidth], Form::JpPostal(digits)))
}

fn phone(stored: &str) -> Option<(Vec<Channel>, Form)> {
    let t = stored.trim();
    if let Some(us) = t.strip_prefix("+1") {
        let digits: String = us.chars().filter(char::is_ascii_digit).collect();
        if digits.len() != 10 || !us.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')')) {
            return None;
        }
        let (a, rest) = digits.split_at_checked(3)?;
        let (b, c) = rest.split_at_checked(3)?;
        return Some((
            vec![Channel::UsPhoneCompact, Channel::UsPhoneParens],
            Form::UsPhone([a.to_owned(), b.to_owned(), c.to_owned()]),
        ));
    }
    let groups: Vec<String> = t.split('-').map(str::to_owned).collect();
    let total: usize = groups.iter().map(String::len).sum();
    let ok = groups.len() == 3
        && groups.iter().all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit()))
        && t.starts_with('0')
        && !t.starts_with("00")
        && (total == 10 || total == 11);
    ok.then(|| {
        (
            vec![Channel::PhoneSeparated, Channel::PhoneSpace, Channel::PhoneWidth, Channel::PhoneIntl],
            Form::JpPhone(groups),
        )
    })
}

// ---- organisations, names ----

fn organisation(stored: &str) -> Option<(Vec<Channel>, Form)> {
    let t = stored.trim();
    for &(full, abbrev) in LEGAL_FORMS {
        let forms = [full.to_owned(), format!("({abbrev})"), format!("（{abbrev}）")];
        for f in &forms {
            let (name, before) = if let Some(n) = t.strip_prefix(f.as_str()) {
                (n, true)
            } else if let Some(n) = t.strip_suffix(f.as_str()) {
                (n, false)
            } else {
                continue;
            };
            if name.trim().is_empty() || name.contains(['(', ')', '（', '）']) || name.contains(full) {
                return None;
            }
            return Some((
                vec![Channel::OrgAbbrev, Channel::OrgWideBrackets],
                Form::Org { name: name.to_owned(), abbrev, full, before },
            ));
        }
    }
    None
}

fn spaced(stored: &str, kana: bool) -> Option<(Vec<Channel>, Form)> {
    let t = stored.trim();
    let mut parts = t.split([' ', '\u{3000}']).filter(|p| !p.is_empty());
    let (family, given) = (parts.next()?, parts.next()?);
    if parts.next().is_some() || family.chars().chain(given.chars()).any(char::is_whitespace) {
        return None;
    }
    let channels = if kana {
        let all_kana =
            |p: &str| p.chars().all(|c| matches!(c, '\u{30A1}'..='\u{30F6}' | '\u{3041}'..='\u{3096}' | 'ー'));
        if !all_kana(family) || !all_kana(given) {
            return None;
        }
        vec![Channel::KanaSpace, Channel::KanaWideSpace, Channel::KanaHiragana]
    } else {
        vec![Channel::NameSpace, Channel::NameWideSpace]
    };
    Some((channels, Form::Spaced { family: family.to_owned(), given: given.to_owned(), kana }))
}

fn romaji(stored: &str) -> Option<(Vec<Channel>, Form)> {
    let mut words = stored.split_ascii_whitespace();
    let (given, family) = (words.next()?, words.next()?);
    let ok = |w: &str| w.bytes().all(|b| b.is_ascii_alphabetic() || b == b'\'' || b == b'-');
    if words.next().is_some() || !ok(given) || !ok(family) {
        return None;
    }
    Some((
        vec![Channel::RomajiUpper, Channel::RomajiFamilyFirst],
        Form::Romaji { given: given.to_owned(), family: family.to_owned() },
    ))
}

// ---- dates, e-mail ----

fn date(stored: &str) -> Option<(Vec<Channel>, Form)> {
    let iso = crate::normalize::canonical(FieldType::Date, stored).ok()?;
    let mut it = iso.split('-').map(|p| p.parse::<u32>().ok());
    let (y, m, d) = (it.next()??, it.next()??, it.next()??);
    let mut channels = vec![Channel::DateSlash, Channel::DateUnpadded];
    if wareki(y, m, d).is_some() {
        channels.push(Channel::DateWareki);
    }
    Some((channels, Form::Date { y, m, d }))
}

/// `昭和55年1月2日`, `平成元年1月8日`.
fn wareki(y: u32, m: u32, d: u32) -> Option<String> {
    const ERAS: [(&str, u32, (u32, u32, u32)); 5] = [
        ("令和", 2019, (2019, 5, 1)),
        ("平成", 1989, (1989, 1, 8)),
        ("昭和", 1926, (1926, 12, 25)),
        ("大正", 1912, (1912, 7, 30)),
        ("明治", 1868, (1868, 1, 1)),
    ];
    let (name, first, _) = ERAS.iter().find(|(_, _, start)| (y, m, d) >= *start)?;
    let n = y - first + 1;
    let year = if n == 1 { "元".to_owned() } else { n.to_string() };
    Some(format!("{name}{year}年{m}月{d}日"))
}

fn email(stored: &str) -> Option<(Vec<Channel>, Form)> {
    let (local, domain) = stored.trim().split_once('@')?;
    if local.is_empty() || !domain.is_ascii() || domain.contains('@') || domain.is_empty() {
        return None;
    }
    Some((
        vec![Channel::EmailDomainUpper],
        Form::Email { local: local.to_owned(), domain: domain.to_ascii_lowercase() },
    ))
}

// ---- US addresses ----

fn us_address(stored: &str) -> Option<(Vec<Channel>, Form)> {
    let parts: Vec<&str> = stored.trim().split(", ").collect();
    let [street, city, last] = parts.as_slice() else { return None };
    let mut tail = last.split_ascii_whitespace();
    let (code, zip) = (tail.next()?, tail.next()?);
    if tail.next().is_some() || zip.len() != 5 || !zip.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let state = *STATES.iter().find(|(_, c)| *c == code)?;
    if city.is_empty() || !city.bytes().all(|b| b.is_ascii_alphabetic() || b == b' ' || b == b'.') {
        return None;
    }
    let mut words: Vec<&str> = street.split_ascii_whitespace().collect();
    let number = words.first().copied().filter(|n| n.bytes().all(|b| b.is_ascii_digit()))?;
    let unit = match words.as_slice() {
        [.., w] if w.starts_with('#') => {
            let u = w.get(1..)?.to_owned();
            words.pop();
            Some(UsUnit::Apt(u))
        }
        [.., "Apt", u] => {
            let u = (*u).to_owned();
            words.truncate(words.len() - 2);
            Some(UsUnit::Apt(u))
        }
        [.., d, u] if matches!(*d, "Unit" | "Ste" | "Suite" | "Fl" | "Rm") => {
            let (d, u) = ((*d).to_owned(), (*u).to_owned());
            words.truncate(words.len() - 2);
            Some(UsUnit::Other(d, u))
        }
        _ => None,
    };
    if let Some(UsUnit::Apt(u) | UsUnit::Other(_, u)) = &unit {
        if u.is_empty() || !u.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
    }
    let last_word = *words.last()?;
    if words.len() < 3 || !words.iter().all(|w| w.bytes().all(|b| b.is_ascii_alphanumeric())) {
        return None;
    }
    let suffix = US_SUFFIXES.iter().find(|(a, _)| *a == last_word).copied();
    let street_words: Vec<String> = words.get(1..words.len() - 1)?.iter().map(|w| (*w).to_owned()).collect();
    let mut channels = Vec::new();
    if suffix.is_some() {
        channels.extend([Channel::UsSuffixLong, Channel::UsSuffixDot]);
    }
    if matches!(unit, Some(UsUnit::Apt(_))) {
        channels.push(Channel::UsUnitHash);
    }
    channels.extend([Channel::UsUpper, Channel::UsStateName, Channel::UsNoCommas]);
    let other_suffix = if suffix.is_none() { Some(last_word.to_owned()) } else { None };
    Some((
        channels,
        Form::UsAddress(UsAddress {
            number: number.to_owned(),
            street: street_words,
            suffix,
            other_suffix,
            unit,
            city: (*city).to_owned(),
            state,
            zip: zip.to_owned(),
        }),
    ))
}

fn title_case(upper: &str) -> String {
    upper
        .split(' ')
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(f) => f.to_string() + &cs.as_str().to_ascii_lowercase(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn render_us_address(a: &UsAddress, s: &dyn Fn(Channel) -> bool) -> String {
    let mut street = a.number.clone();
    for w in &a.street {
        street.push(' ');
        street.push_str(w);
    }
    match (a.suffix, &a.other_suffix) {
        (Some((abbr, long)), _) => {
            street.push(' ');
            if s(Channel::UsSuffixLong) {
                street.push_str(long);
            } else {
                street.push_str(abbr);
                if s(Channel::UsSuffixDot) {
                    street.push('.');
                }
            }
        }
        (None, Some(w)) => {
            street.push(' ');
            street.push_str(w);
        }
        (None, None) => {}
    }
    match &a.unit {
        Some(UsUnit::Apt(u)) if s(Channel::UsUnitHash) => street.push_str(&format!(" #{u}")),
        Some(UsUnit::Apt(u)) => street.push_str(&format!(" Apt {u}")),
        Some(UsUnit::Other(d, u)) => street.push_str(&format!(" {d} {u}")),
        None => {}
    }
    let state = if s(Channel::UsStateName) { title_case(a.state.0) } else { a.state.1.to_owned() };
    let sep = if s(Channel::UsNoCommas) { " " } else { ", " };
    let out = format!("{street}{sep}{}{sep}{state} {}", a.city, a.zip);
    if s(Channel::UsUpper) {
        out.to_ascii_uppercase()
    } else {
        out
    }
}

/// Every rendering of `t`, one per combination of symbols (at most 2^channels; templates have at most 9).
pub fn all_renderings(t: &Template) -> impl Iterator<Item = (Vec<bool>, String)> + '_ {
    let k = t.channels.len();
    (0u32..(1u32 << k)).map(move |bits| {
        let symbols: Vec<bool> = (0..k).map(|i| bits >> i & 1 == 1).collect();
        let text = t.render(&symbols);
        (symbols, text)
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use crate::normalize::canonical;

    fn check(kind: FieldType, stored: &str, expect_channels: usize) {
        let t = template(kind, stored).unwrap_or_else(|| panic!("no template for {stored}"));
        assert_eq!(t.channels().len(), expect_channels, "{stored}: {:?}", t.channels());
        let want = canonical(kind, stored).unwrap();
        for (sym, text) in all_renderings(&t) {
            assert_eq!(canonical(kind, &text).unwrap(), want, "{stored} → {text} ({sym:?})");
        }
    }

    #[test]
    fn examples_normalise_to_the_stored_value() {
        check(FieldType::JpAddress, "東京都中央区築地2丁目4番1号 東和ビル 5F", 8);
        check(FieldType::JpAddress, "北海道札幌市中央区北三条西6-1-2 グリーンマンション 301号室", 8);
        check(FieldType::JpAddress, "京都府舞鶴市北吸721番地3", 6);
        check(FieldType::JpAddress, "京都府舞鶴市北吸721-3 桜ハイツ 203", 8);
        check(FieldType::PostalCode, "104-0045", 3);
        check(FieldType::Phone, "090-1234-5678", 4);
        check(FieldType::Phone, "+1 (415) 555-0100", 2);
        check(FieldType::Organisation, "株式会社サンプル商事", 2);
        check(FieldType::Organisation, "サンプル合同会社", 2);
        check(FieldType::PersonNameJa, "髙橋 邊", 2);
        check(FieldType::Kana, "タカハシ ヴァン", 3);
        check(FieldType::PersonNameRomaji, "Mary O'Brien", 2);
        check(FieldType::Date, "1980-01-02", 3);
        check(FieldType::Email, "taro@Example.co.jp", 1);
        check(FieldType::UsAddress, "1234 N Maple Ave Apt 5, Springfield, IL 62704", 6);
        check(FieldType::UsAddress, "12 Elm Way Unit 3, Austin, TX 78701", 3);
    }

    #[test]
    fn names_keep_their_characters() {
        let t = template(FieldType::PersonNameJa, "髙橋 邊").unwrap();
        for (_, text) in all_renderings(&t) {
            let kept: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            assert_eq!(kept, "髙橋邊");
        }
    }

    #[test]
    fn wareki_dates() {
        assert_eq!(wareki(1989, 1, 8).unwrap(), "平成元年1月8日");
        assert_eq!(wareki(1980, 1, 2).unwrap(), "昭和55年1月2日");
        assert!(wareki(1800, 1, 1).is_none());
    }
}
