//! Reading a leak into rows of classified values.
//!
//! [`parse`] turns what leaked (a CSV or TSV file, JSON, a database dump of some other system's table, or
//! free text typed off letters or pasted from a web page) into [`Row`]s, one per person, of [`Value`]s, each
//! classified by [`FieldType`]. The vault links the rows to its records through blind indexes over
//! [`canonical`] forms, and decodes the notation fingerprint from the exact text.
//!
//! Guarantees:
//! - **Text is evidence.** A value's text is exactly what the input held, after trimming surrounding white
//!   space and removing a label (`氏名:`, `TEL`, `E-mail:`) or an honorific (`様`, `殿`, `御中`, `さん`,
//!   `Mr.`, `Ms.`, `Mrs.`, `Dr.`). Full-width digits, dashes, spacing and `丁目` versus hyphen notation are
//!   kept. A `〒` before a postal code is part of the postal code's text. Two joins are the only places
//!   where text is put together: a US street line and its `City, ST ZIP` line become one
//!   [`FieldType::UsAddress`] joined by `", "`, and a building line after a Japanese address is appended to
//!   it with one space (the same for `street`/`city`/`state` columns of a table, joined by `", "`).
//! - **Every value is valid for its kind**: [`canonical`] accepts it. The one exception is a US phone number
//!   written nationally (`(415) 555-0100`): it is classified [`FieldType::Phone`] although [`canonical`]
//!   reads numbers without a `+` as Japanese; the linker has to put `+1` in front.
//! - **Errors never contain input text**, which is personal data: only line and column numbers, counts and
//!   limits.
//! - **Bounded.** Input above [`MAX_INPUT_BYTES`] (64 MiB) or with more than [`MAX_ROWS`] rows (one million)
//!   is refused.
//!
//! How values are classified:
//! - Column headers, JSON keys, dump column names and text labels are mapped by name (kura's own field
//!   names, common Japanese and English headers; see `header_hint`). A named column's cell that its name's
//!   type does not accept is classified by content instead, or dropped.
//! - A column whose header is not recognised (or a file without a header row) takes the type that more
//!   than half of its non-empty cells (among the first thousand) classify as by content; without such a
//!   majority the column is dropped. Timestamps (`created`, `updated_at`, `登録日`) are dropped by name.
//! - Identifier columns (`id`, `employee_id`, `社員番号`, …) are kept as [`FieldType::Identifier`] because the
//!   vault indexes external ids; notes and remarks (`備考`, `memo`) and card security codes are dropped. An
//!   identifier is never guessed from content.
//! - A row in which nothing classifies is skipped and counted ([`Parsed::skipped`]).
//!
//! Formats:
//! - CSV and TSV: UTF-8 with or without BOM, or Shift_JIS (CP932) when the bytes are not UTF-8. The first
//!   record is a header when at least half of its cells are recognised names and none looks like data.
//! - JSON: an array of objects, an object holding one array of objects (or a single object, one row), or
//!   JSON Lines. Nested objects are flattened: the label is the dotted path (`address.zip`) and the name is
//!   mapped by its last part; arrays of scalars give one value per element; `null` and booleans are
//!   ignored; numbers keep their JSON text.
//! - Database dumps: `INSERT INTO t (cols) VALUES (…), (…);` (single-quoted strings with `''` and MySQL
//!   backslash escapes, `NULL`, numbers; other expressions are ignored) and PostgreSQL `COPY t (cols) FROM
//!   stdin;` blocks (tab-separated, `\N` for NULL, backslash escapes, ended by `\.`). Each table is
//!   classified on its own; other statements are skipped.
//! - Free text: one person per block; blocks are separated by blank lines or by a line of only dashes or
//!   `=`. Fields may come in any order, with or without labels.
//!
//! Limits: backslash escapes in quoted dump strings are read the MySQL way, also in a PostgreSQL dump
//! (where `standard_conforming_strings` keeps them literal); a 5- or 9-digit number in an unnamed column
//! reads as a US ZIP code; a department is split from its company only when a space separates them; a
//! Japanese name is recognised in free text by its script (kanji and kana, at most 10 characters, at most
//! half of them hiragana), so a short line of kanji without a label can be taken for a name; `street`,
//! `city` and `state` columns are joined only when a row has exactly one street.

use std::collections::HashMap;

use crate::normalize::{canonical, STATES};
use crate::schema::{is_security_code_name, FieldType};

/// Largest input accepted, in bytes (64 MiB).
pub const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;
/// Most rows (records, objects, tuples or text blocks) accepted in one input.
pub const MAX_ROWS: usize = 1_000_000;

/// The layout of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Format {
    /// Sniff the format from the content.
    #[default]
    Auto,
    /// Comma-separated values.
    Csv,
    /// Tab-separated values.
    Tsv,
    /// A JSON array of objects, an object with one array of objects, or JSON Lines.
    Json,
    /// SQL `INSERT` statements and PostgreSQL `COPY … FROM stdin` blocks.
    SqlDump,
    /// Free text, one person per block.
    Text,
}

/// One person as found in the leak.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 1-based line where the person starts.
    pub line: usize,
    /// The classified values, in input order.
    pub values: Vec<Value>,
}

/// One classified value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    /// What the value is.
    pub kind: FieldType,
    /// The column header, JSON key path, dump column or text label it came with, if any.
    pub label: Option<String>,
    /// The text exactly as it appeared (trimmed; label and honorific removed).
    pub text: String,
}

/// The result of [`parse_report`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Parsed {
    /// The format that was read (the sniffed one for [`Format::Auto`]).
    pub format: Format,
    /// The rows in which at least one value classified.
    pub rows: Vec<Row>,
    /// Rows (records, objects, tuples or blocks) in which nothing classified.
    pub skipped: usize,
}

/// Why a leak could not be read. Messages hold positions and counts only, never input text.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// Nothing but white space.
    #[error("the input is empty")]
    Empty,
    /// Above [`MAX_INPUT_BYTES`].
    #[error("the input is larger than {max} bytes")]
    TooLarge {
        /// The limit in bytes.
        max: usize,
    },
    /// More than [`MAX_ROWS`] rows.
    #[error("the input has more than {max} rows")]
    TooManyRows {
        /// The limit.
        max: usize,
    },
    /// NUL bytes or mostly control characters: not text.
    #[error("the input is binary data, not text (first offending line {line})")]
    Binary {
        /// 1-based line of the first NUL byte or control character.
        line: usize,
    },
    /// Neither UTF-8 nor Shift_JIS.
    #[error("the input is neither UTF-8 nor Shift_JIS text")]
    Encoding,
    /// JSON syntax error.
    #[error("malformed JSON at line {line}, column {column}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// CSV or TSV syntax error.
    #[error("malformed CSV at line {line}")]
    Csv {
        /// 1-based line.
        line: usize,
    },
    /// Database dump syntax error.
    #[error("malformed database dump at line {line}: {reason}")]
    Dump {
        /// 1-based line.
        line: usize,
        /// What is wrong, as a fixed message.
        reason: &'static str,
    },
    /// Not one value in the input classified.
    #[error("no person recognised ({skipped} rows without a recognisable value)")]
    NoPerson {
        /// Rows read in which nothing classified.
        skipped: usize,
    },
}

/// Reads a leak into rows of classified values. Rows where nothing classified are dropped; use
/// [`parse_report`] to count them.
///
/// # Errors
/// See [`ParseError`]: empty, too large, binary or undecodable input, a syntax error in the chosen format
/// (with its line), or no person recognised at all.
pub fn parse(input: &[u8], format: Format) -> Result<Vec<Row>, ParseError> {
    parse_report(input, format).map(|p| p.rows)
}

/// Like [`parse`], and also says which format was read and how many rows were skipped.
///
/// # Errors
/// As [`parse`].
pub fn parse_report(input: &[u8], format: Format) -> Result<Parsed, ParseError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(ParseError::TooLarge { max: MAX_INPUT_BYTES });
    }
    let text = decode(input)?;
    if text.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}').is_empty() {
        return Err(ParseError::Empty);
    }
    let format = match format {
        Format::Auto => sniff(&text),
        f => f,
    };
    let (rows, skipped) = match format {
        Format::Csv | Format::Auto => classify_table(&read_delimited(&text, b',')?),
        Format::Tsv => classify_table(&read_delimited(&text, b'\t')?),
        Format::Json => json::read(&text)?,
        Format::SqlDump => dump::read(&text)?,
        Format::Text => read_text(&text)?,
    };
    if rows.is_empty() {
        return Err(ParseError::NoPerson { skipped });
    }
    let format = if format == Format::Auto { Format::Csv } else { format };
    Ok(Parsed { format, rows, skipped })
}

// ---------------------------------------------------------------------------------------------------------
// Decoding and sniffing

/// 1-based line of byte `offset` in `bytes`.
fn line_at(bytes: &[u8], offset: usize) -> usize {
    bytes.get(..offset).unwrap_or(bytes).iter().filter(|&&b| b == b'\n').count() + 1
}

fn decode(input: &[u8]) -> Result<String, ParseError> {
    if let Some(nul) = input.iter().position(|&b| b == 0) {
        return Err(ParseError::Binary { line: line_at(input, nul) });
    }
    let text = match std::str::from_utf8(input) {
        Ok(s) => s.strip_prefix('\u{feff}').unwrap_or(s).to_owned(),
        Err(_) => {
            let (s, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(input);
            if had_errors {
                return Err(ParseError::Encoding);
            }
            s.into_owned()
        }
    };
    let is_control = |c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{c}');
    let controls = text.chars().filter(|&c| is_control(c)).count();
    // A stray control character (an old `^Z` end-of-file mark) is tolerated; many are not text.
    if controls > 8 && controls * 100 > text.chars().count() {
        let first = text.find(is_control).unwrap_or(0);
        return Err(ParseError::Binary { line: line_at(text.as_bytes(), first) });
    }
    Ok(text)
}

fn sniff(text: &str) -> Format {
    let start = text.trim_start();
    if start.starts_with('[') || start.starts_with('{') {
        return Format::Json;
    }
    let upper = text.to_ascii_uppercase();
    if upper.lines().map(str::trim_start).any(|l| {
        l.starts_with("INSERT INTO")
            || l.starts_with("INSERT IGNORE INTO")
            || (l.starts_with("COPY ") && l.contains("FROM STDIN"))
    }) {
        return Format::SqlDump;
    }
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
    if first.contains('\t') {
        return Format::Tsv;
    }
    if let Ok(records) = read_delimited(text, b',') {
        let width = records.first().map_or(0, |r| r.cells.len());
        if width >= 2 && records.iter().all(|r| r.cells.len() == width) {
            let (rows, _) = classify_table(&records);
            if !rows.is_empty() {
                return Format::Csv;
            }
        }
    }
    Format::Text
}

// ---------------------------------------------------------------------------------------------------------
// Tables: CSV, TSV, and the columns of JSON and dumps

/// One record of a table: its line and its cells as (column, text).
#[derive(Debug, Clone)]
struct Record {
    line: usize,
    cells: Vec<(usize, String)>,
}

fn read_delimited(text: &str, delimiter: u8) -> Result<Vec<Record>, ParseError> {
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut records = Vec::new();
    for result in reader.records() {
        let record = result.map_err(|e| ParseError::Csv {
            line: e.position().map_or(0, |p| usize::try_from(p.line()).unwrap_or(usize::MAX)),
        })?;
        if records.len() >= MAX_ROWS {
            return Err(ParseError::TooManyRows { max: MAX_ROWS });
        }
        let line = record.position().map_or(0, |p| usize::try_from(p.line()).unwrap_or(usize::MAX));
        let cells = record.iter().map(str::to_owned).enumerate().collect();
        records.push(Record { line, cells });
    }
    Ok(records)
}

/// A headerless CSV table: the first record may be a header row.
fn classify_table(records: &[Record]) -> (Vec<Row>, usize) {
    let Some(first) = records.first() else {
        return (Vec::new(), 0);
    };
    let nonempty: Vec<&str> = first.cells.iter().map(|(_, c)| trim(c)).filter(|c| !c.is_empty()).collect();
    let recognised = nonempty.iter().filter(|c| header_hint(c).is_some()).count();
    let looks_like_data = nonempty.iter().any(|c| {
        matches!(guess(c), Some(FieldType::Email | FieldType::Phone | FieldType::Date | FieldType::PostalCode))
    });
    if recognised >= 1 && recognised * 2 >= nonempty.len() && !looks_like_data {
        let width = first.cells.iter().map(|(i, _)| i + 1).max().unwrap_or(0);
        let mut headers = vec![None; width];
        for (i, c) in &first.cells {
            if let Some(h) = headers.get_mut(*i) {
                *h = Some(trim(c).to_owned()).filter(|c| !c.is_empty());
            }
        }
        classify_columns(&headers, records.get(1..).unwrap_or_default())
    } else {
        classify_columns(&[], records)
    }
}

/// What a column or label name says about its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Hint {
    /// Exactly this kind.
    Kind(FieldType),
    /// A person's name: Japanese script or romaji, by content.
    Name,
    /// A postal address: Japanese or US, by content.
    Address,
    /// The city of a US address kept in its own column.
    City,
    /// The state of a US address kept in its own column.
    State,
    /// Nothing personal or nothing to keep (notes, card security codes).
    Skip,
}

/// Classifies the records of a table whose columns are named by `headers` (missing or `None` entries are
/// unnamed columns).
fn classify_columns(headers: &[Option<String>], records: &[Record]) -> (Vec<Row>, usize) {
    let width = records.iter().flat_map(|r| r.cells.iter().map(|(i, _)| i + 1)).max().unwrap_or(0).max(headers.len());
    let mut hints: Vec<Option<Hint>> =
        (0..width).map(|i| headers.get(i).and_then(|h| h.as_deref()).and_then(header_hint)).collect();
    // Unnamed columns take the majority type of their cells.
    let mut samples: Vec<Vec<&str>> = vec![Vec::new(); width];
    for (col, cell) in records.iter().flat_map(|r| &r.cells) {
        let cell = trim(cell);
        if let Some(sample) = samples.get_mut(*col).filter(|s| s.len() < MAJORITY_SAMPLE && !cell.is_empty()) {
            sample.push(cell);
        }
    }
    for (hint, sample) in hints.iter_mut().zip(samples) {
        if hint.is_none() {
            *hint = column_majority(sample);
        }
    }
    let mut rows = Vec::new();
    let mut skipped = 0;
    for record in records {
        let mut values = Vec::new();
        let mut city = None;
        let mut state = None;
        for (col, cell) in &record.cells {
            let hint = hints.get(*col).copied().flatten();
            let label = headers.get(*col).cloned().flatten();
            match hint {
                None | Some(Hint::Skip) => {}
                Some(Hint::City) => city = Some(trim(cell)).filter(|c| !c.is_empty()),
                Some(Hint::State) => state = Some(trim(cell)).filter(|c| !c.is_empty()),
                Some(h) => {
                    if let Some((kind, text)) = classify(Some(h), cell) {
                        values.push(Value { kind, label, text });
                    }
                }
            }
        }
        join_us_columns(&mut values, city, state);
        if values.is_empty() {
            if record.cells.iter().any(|(_, c)| !trim(c).is_empty()) {
                skipped += 1;
            }
        } else {
            rows.push(Row { line: record.line, values });
        }
    }
    (rows, skipped)
}

/// `street`, `city`, `state` (and the ZIP) columns become one US address, as a letter writes it.
fn join_us_columns(values: &mut [Value], city: Option<&str>, state: Option<&str>) {
    if city.is_none() && state.is_none() {
        return;
    }
    let zip = values
        .iter()
        .find(|v| v.kind == FieldType::PostalCode && v.text.chars().filter(char::is_ascii_digit).count() != 7)
        .map(|v| v.text.clone());
    let mut streets = values.iter_mut().filter(|v| v.kind == FieldType::UsAddress);
    let (Some(street), None) = (streets.next(), streets.next()) else {
        return;
    };
    let mut joined = street.text.clone();
    for part in [city, state].into_iter().flatten() {
        joined.push_str(", ");
        joined.push_str(part);
    }
    if let Some(zip) = zip {
        joined.push(' ');
        joined.push_str(&zip);
    }
    if canonical(FieldType::UsAddress, &joined).is_ok() {
        street.text = joined;
    }
}

/// Non-empty cells of an unnamed column that are classified to find its type.
const MAJORITY_SAMPLE: usize = 1_000;

/// The type most of the (non-empty, trimmed) cells classify as, if more than half do.
fn column_majority(cells: Vec<&str>) -> Option<Hint> {
    let mut counts: HashMap<Hint, usize> = HashMap::new();
    let total = cells.len();
    for cell in cells {
        let (stripped, _) = strip_honorific(cell);
        let hint = match guess(cell).or_else(|| guess(stripped)) {
            Some(FieldType::PersonNameJa | FieldType::PersonNameRomaji) => Hint::Name,
            Some(FieldType::JpAddress | FieldType::UsAddress) => Hint::Address,
            Some(kind) => Hint::Kind(kind),
            None => continue,
        };
        *counts.entry(hint).or_default() += 1;
    }
    let (hint, n) = counts.into_iter().max_by_key(|&(h, n)| (n, hint_rank(h)))?;
    (n * 2 > total).then_some(hint)
}

/// A stable tie-break between equally frequent column types.
fn hint_rank(h: Hint) -> usize {
    match h {
        Hint::Kind(k) => FieldType::ALL.iter().position(|&x| x == k).unwrap_or(0) + 10,
        Hint::Name => 1,
        Hint::Address => 2,
        Hint::City => 3,
        Hint::State => 4,
        Hint::Skip => 0,
    }
}

// ---------------------------------------------------------------------------------------------------------
// Names of columns and labels

/// A header or label folded for matching: full-width ASCII to ASCII, lower case, without spaces and
/// punctuation.
fn header_key(h: &str) -> String {
    h.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .filter(|c| {
            !c.is_whitespace()
                && !matches!(
                    c,
                    '_' | '-' | '.' | '・' | ':' | '：' | '*' | '※' | '"' | '\'' | '`' | '(' | ')' | '（' | '）'
                )
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// What a column header, JSON key, dump column or text label says about its values.
fn header_hint(name: &str) -> Option<Hint> {
    use FieldType as F;
    // JSON paths are mapped by their last part first.
    if let Some((_, last)) = name.rsplit_once('.') {
        if let Some(h) = header_hint(last) {
            return Some(h);
        }
    }
    if is_security_code_name(name) {
        return Some(Hint::Skip);
    }
    let k = header_key(name);
    let k = k.as_str();
    if k.is_empty() {
        return None;
    }
    let exact = match k {
        "id" | "no" | "番号" | "uid" | "uuid" | "code" => Some(Hint::Kind(F::Identifier)),
        "〒" | "zip" | "zip4" | "postal" => Some(Hint::Kind(F::PostalCode)),
        "name" | "fullname" | "氏名" | "名前" | "お名前" | "宛名" | "姓名" | "漢字氏名" => {
            Some(Hint::Name)
        }
        "romaji" | "ローマ字" | "英字氏名" | "氏名英字" | "氏名ローマ字" => {
            Some(Hint::Kind(F::PersonNameRomaji))
        }
        "tel" | "fax" | "cell" => Some(Hint::Kind(F::Phone)),
        "mail" | "email" => Some(Hint::Kind(F::Email)),
        "exp" | "expiry" => Some(Hint::Kind(F::CardExpiry)),
        "card" | "pan" => Some(Hint::Kind(F::CardNumber)),
        "brand" | "cardbrand" => Some(Hint::Kind(F::CardBrand)),
        "city" | "town" | "市区町村" => Some(Hint::City),
        "state" | "st" => Some(Hint::State),
        "所属" | "部門" | "division" | "section" | "dept" => Some(Hint::Kind(F::Department)),
        "勤務先" | "会社" | "employer" => Some(Hint::Kind(F::Organisation)),
        "dob" | "birth" | "birthday" | "誕生日" | "生年月日" => Some(Hint::Kind(F::Date)),
        _ => None,
    };
    if exact.is_some() {
        return exact;
    }
    let has = |words: &[&str]| words.iter().any(|w| k.contains(w));
    let skip = [
        "note",
        "memo",
        "remark",
        "comment",
        "備考",
        "メモ",
        "コメント",
        "password",
        "パスワード",
        "created",
        "updated",
        "modified",
        "timestamp",
        "登録日",
        "更新日",
        "作成日",
    ];
    let hint = if has(&skip) {
        Hint::Skip
    } else if has(&["kana", "カナ", "かな", "フリガナ", "ふりがな", "よみ", "ヨミ", "furigana", "reading"])
    {
        Hint::Kind(F::Kana)
    } else if has(&["postal", "postcode", "zip", "郵便", "〒"]) {
        Hint::Kind(F::PostalCode)
    } else if has(&["mail", "メール"]) {
        Hint::Kind(F::Email)
    } else if has(&["phone", "tel", "mobile", "電話", "携帯", "fax"]) {
        Hint::Kind(F::Phone)
    } else if has(&["address", "addr", "street", "住所", "所在地", "送付先", "届け先", "配送先"]) {
        Hint::Address
    } else if has(&["birth", "生年月日", "誕生"]) {
        Hint::Kind(F::Date)
    } else if has(&["expir", "有効期限"]) {
        Hint::Kind(F::CardExpiry)
    } else if has(&["cardnumber", "cardno", "カード番号", "creditcard"]) {
        Hint::Kind(F::CardNumber)
    } else if has(&["department", "部署", "部門", "所属部"]) {
        Hint::Kind(F::Department)
    } else if has(&["company", "organisation", "organization", "employer", "会社", "勤務先", "法人", "企業", "団体"])
    {
        Hint::Kind(F::Organisation)
    } else if has(&["name", "氏名", "名前", "宛名"]) {
        Hint::Name
    } else if k.ends_with("id")
        || k.ends_with("番号")
        || k.ends_with("no")
        || k.ends_with("コード")
        || k.ends_with("code")
    {
        Hint::Kind(F::Identifier)
    } else {
        return None;
    };
    Some(hint)
}

// ---------------------------------------------------------------------------------------------------------
// Classifying one value

fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || matches!(c, '\u{feff}' | '\u{200b}'))
}

fn valid(kind: FieldType, text: &str) -> bool {
    canonical(kind, text).is_ok()
}

/// The kind and text of one cell or line, using `hint` first and the content otherwise.
fn classify(hint: Option<Hint>, raw: &str) -> Option<(FieldType, String)> {
    let text = trim(raw);
    if text.is_empty() || hint == Some(Hint::Skip) {
        return None;
    }
    let (stripped, honorific) = strip_honorific(text);
    let hinted = match hint {
        Some(Hint::Kind(k @ (FieldType::PersonNameJa | FieldType::PersonNameRomaji | FieldType::Kana))) => {
            valid(k, stripped).then_some((k, stripped))
        }
        Some(Hint::Kind(k)) => valid(k, text).then_some((k, text)),
        Some(Hint::Name) => name_kind(stripped).map(|k| (k, stripped)),
        Some(Hint::Address) => address_kind(text).map(|k| (k, text)),
        Some(Hint::City | Hint::State | Hint::Skip) | None => None,
    };
    if let Some((k, t)) = hinted {
        return Some((k, t.to_owned()));
    }
    match honorific {
        Some(Honorific::Person) => {
            if let Some(k) = name_kind(stripped).filter(|_| !has_org_marker(stripped)) {
                return Some((k, stripped.to_owned()));
            }
        }
        Some(Honorific::Organisation) => {
            let k = if looks_department(stripped) && !has_org_marker(stripped) {
                FieldType::Department
            } else {
                FieldType::Organisation
            };
            if valid(k, stripped) {
                return Some((k, stripped.to_owned()));
            }
        }
        None => {}
    }
    guess(text).map(|k| (k, text.to_owned()))
}

/// A name in Latin letters is romaji, anything else Japanese script.
fn name_kind(text: &str) -> Option<FieldType> {
    let latin = text.chars().any(|c| c.is_ascii_alphabetic() || ('\u{FF21}'..='\u{FF5A}').contains(&c));
    let kind = if latin { FieldType::PersonNameRomaji } else { FieldType::PersonNameJa };
    (valid(kind, text) && !text.chars().any(|c| c.is_ascii_digit() || c == '@')).then_some(kind)
}

/// A Japanese address if it holds Japanese script, a US address otherwise.
fn address_kind(text: &str) -> Option<FieldType> {
    let kind = if text.chars().any(is_cjk) { FieldType::JpAddress } else { FieldType::UsAddress };
    valid(kind, text).then_some(kind)
}

/// What a value is, judged from its text alone. Never [`FieldType::Identifier`] or free text.
fn guess(text: &str) -> Option<FieldType> {
    use FieldType as F;
    let text = trim(text);
    if text.is_empty() {
        return None;
    }
    let digits =
        text.chars().filter(char::is_ascii_digit).count() + text.chars().filter(|c| ('０'..='９').contains(c)).count();
    if text.contains('@') || text.contains('＠') {
        return valid(F::Email, text).then_some(F::Email);
    }
    if (13..=19).contains(&digits) && luhn(text) && valid(F::CardNumber, text) {
        return Some(F::CardNumber);
    }
    if valid(F::Date, text) || english_date(text).is_some() {
        return Some(F::Date);
    }
    if digits >= 10 && looks_phone(text) {
        return Some(F::Phone);
    }
    if valid(F::PostalCode, text) {
        return Some(F::PostalCode);
    }
    if digits >= 3 && text.contains('/') && valid(F::CardExpiry, text) {
        return Some(F::CardExpiry);
    }
    if digits == 0 && valid(F::Kana, text) {
        return Some(F::Kana);
    }
    if looks_jp_address(text) && valid(F::JpAddress, text) {
        return Some(F::JpAddress);
    }
    if looks_us_address(text) && valid(F::UsAddress, text) {
        return Some(F::UsAddress);
    }
    if has_org_marker(text) && valid(F::Organisation, text) {
        return Some(F::Organisation);
    }
    if looks_department(text) && valid(F::Department, text) {
        return Some(F::Department);
    }
    if looks_romaji_name(text) && valid(F::PersonNameRomaji, text) {
        return Some(F::PersonNameRomaji);
    }
    if looks_ja_name(text) && valid(F::PersonNameJa, text) {
        return Some(F::PersonNameJa);
    }
    None
}

fn is_kanji(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FFFF}' | '々' | '〆' | 'ヶ')
}

fn is_kana(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{309F}' | '\u{30A0}'..='\u{30FF}' | '\u{FF66}'..='\u{FF9F}')
}

fn is_cjk(c: char) -> bool {
    is_kanji(c) || is_kana(c) || matches!(c, '〒' | '丁' | '\u{3000}'..='\u{303F}')
}

/// The Luhn check over the digits of `text`.
fn luhn(text: &str) -> bool {
    let digits: Vec<u32> = text.chars().filter_map(|c| c.to_digit(10)).collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                if d * 2 > 9 {
                    d * 2 - 9
                } else {
                    d * 2
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A phone number `canonical` accepts, or a US number written without `+1` (`(415) 555-0100`).
fn looks_phone(text: &str) -> bool {
    if valid(FieldType::Phone, text) {
        return true;
    }
    if !text.chars().all(|c| c.is_ascii_digit() || c.is_whitespace() || matches!(c, '(' | ')' | '-' | '.' | '+')) {
        return false;
    }
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let national = match digits.len() {
        10 => digits.as_str(),
        11 => match digits.strip_prefix('1') {
            Some(rest) => rest,
            None => return false,
        },
        _ => return false,
    };
    national.starts_with(|c: char| ('2'..='9').contains(&c)) && valid(FieldType::Phone, &format!("+1 {national}"))
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// `April 1, 1985`, `Apr. 1st 1985` or `1 April 1985` as an ISO date that `canonical` accepts.
fn english_date(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .map(|w| w.trim_end_matches('.').to_ascii_lowercase())
        .collect();
    let month = |w: &str| MONTHS.iter().position(|m| w.len() >= 3 && m.starts_with(w));
    let day = |w: &str| {
        let w = w.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        w.parse::<u32>().ok().filter(|d| (1..=31).contains(d))
    };
    let year = |w: &str| w.parse::<u32>().ok().filter(|_| w.len() == 4);
    let (m, d, y) = match words.as_slice() {
        [a, b, c] => match (month(a), month(b)) {
            (Some(m), _) => (m, day(b)?, year(c)?),
            (None, Some(m)) => (m, day(a)?, year(c)?),
            _ => return None,
        },
        _ => return None,
    };
    let iso = format!("{y:04}-{:02}-{d:02}", m + 1);
    valid(FieldType::Date, &iso).then_some(iso)
}

/// A leading postal code (`〒104-0045`, `104-0045`) and the rest.
fn strip_leading_postal(text: &str) -> &str {
    if let Some((_, rest)) = split_postal(text) {
        return rest;
    }
    text
}

fn looks_jp_address(text: &str) -> bool {
    let body = strip_leading_postal(text);
    if !body.chars().any(is_cjk) {
        return false;
    }
    if crate::normalize::PREFECTURES.iter().any(|p| body.starts_with(p)) {
        return true;
    }
    let municipality = body.chars().any(|c| matches!(c, '市' | '区' | '町' | '村' | '郡'));
    let number = body.chars().any(|c| c.is_ascii_digit() || ('０'..='９').contains(&c))
        || body.contains("丁目")
        || body.contains("番地");
    municipality && number && !has_org_marker(body)
}

fn looks_us_address(text: &str) -> bool {
    if text.chars().any(is_cjk) {
        return false;
    }
    let words: Vec<&str> = text.split(|c: char| c.is_whitespace() || c == ',').filter(|w| !w.is_empty()).collect();
    let alpha_word = words.iter().any(|w| w.len() >= 2 && w.chars().all(|c| c.is_alphabetic() || c == '.'));
    // A house number and a street type (or unit), so that `2 items` is not an address.
    let street_word = words.iter().skip(1).any(|w| {
        let w = w.trim_end_matches('.').to_ascii_lowercase();
        STREET_WORDS.contains(&w.as_str()) || w.starts_with('#')
    });
    let numbered_street =
        words.first().is_some_and(|w| w.starts_with(|c: char| c.is_ascii_digit())) && alpha_word && street_word;
    let po_box = {
        let folded: String = text.chars().filter(|c| c.is_ascii_alphabetic()).collect::<String>().to_ascii_uppercase();
        folded.starts_with("POBOX") || folded.starts_with("POSTOFFICEBOX")
    };
    numbered_street || po_box || city_line(text)
}

/// Street types and unit designators that mark a line as a street address.
const STREET_WORDS: [&str; 44] = [
    "st",
    "street",
    "ave",
    "av",
    "avenue",
    "rd",
    "road",
    "blvd",
    "boulevard",
    "dr",
    "drive",
    "ln",
    "lane",
    "way",
    "ct",
    "court",
    "pl",
    "place",
    "pkwy",
    "parkway",
    "hwy",
    "highway",
    "ter",
    "terrace",
    "cir",
    "circle",
    "sq",
    "square",
    "trl",
    "trail",
    "apt",
    "apartment",
    "ste",
    "suite",
    "unit",
    "broadway",
    "plaza",
    "plz",
    "loop",
    "row",
    "aly",
    "alley",
    "fl",
    "floor",
];

/// `City, ST 12345` (or a state name): the last line of a US address.
fn city_line(text: &str) -> bool {
    let Some((city, rest)) = text.rsplit_once(',') else {
        return false;
    };
    let city = trim(city);
    if city.is_empty() || !city.chars().all(|c| c.is_alphabetic() || c.is_whitespace() || matches!(c, '.' | '\'' | '-'))
    {
        return false;
    }
    let words: Vec<&str> = rest.split_whitespace().collect();
    let Some((zip, state)) = words.split_last() else {
        return false;
    };
    let zip_ok = {
        let d: String = zip.chars().filter(char::is_ascii_digit).collect();
        (d.len() == 5 || d.len() == 9) && zip.chars().all(|c| c.is_ascii_digit() || c == '-')
    };
    let state = state.join(" ").to_ascii_uppercase();
    zip_ok && STATES.iter().any(|(name, code)| *name == state || *code == state)
}

const ORG_MARKERS: [&str; 22] = [
    "株式会社",
    "有限会社",
    "合同会社",
    "合資会社",
    "合名会社",
    "法人",
    "(株)",
    "（株）",
    "㈱",
    "㍿",
    "(有)",
    "（有）",
    "㈲",
    "(同)",
    "（同）",
    "組合",
    "協会",
    "財団",
    "社団",
    "(社)",
    "㈳",
    "㈶",
];
const ORG_WORDS: [&str; 14] = [
    "inc",
    "llc",
    "ltd",
    "co",
    "corp",
    "corporation",
    "company",
    "gmbh",
    "plc",
    "llp",
    "limited",
    "incorporated",
    "kk",
    "l.l.c",
];

fn has_org_marker(text: &str) -> bool {
    if ORG_MARKERS.iter().any(|m| text.contains(m)) {
        return true;
    }
    text.split(|c: char| c.is_whitespace() || c == ',')
        .map(|w| w.trim_end_matches('.').to_ascii_lowercase())
        .any(|w| ORG_WORDS.contains(&w.as_str()))
}

const DEPT_SUFFIXES: [&str; 14] =
    ["部", "課", "室", "係", "グループ", "センター", "チーム", "支店", "営業所", "事業所", "支社", "本社", "局", "班"];

fn looks_department(text: &str) -> bool {
    let text = trim(text);
    if text.chars().count() > 40 || text.contains('@') {
        return false;
    }
    if text.chars().any(is_cjk) {
        return DEPT_SUFFIXES.iter().any(|s| text.ends_with(s)) && text.chars().count() >= 2;
    }
    text.split_whitespace()
        .map(str::to_ascii_lowercase)
        .any(|w| matches!(w.trim_end_matches('.'), "department" | "dept" | "division" | "section"))
}

fn looks_romaji_name(text: &str) -> bool {
    let words: Vec<&str> = text.split(|c: char| c.is_whitespace() || c == ',').filter(|w| !w.is_empty()).collect();
    (2..=4).contains(&words.len())
        && words.iter().all(|w| {
            let mut cs = w.chars();
            cs.next().is_some_and(|c| c.is_uppercase() && c.is_alphabetic())
                && cs.all(|c| c.is_alphabetic() || matches!(c, '\'' | '’' | '-' | '.'))
        })
}

fn looks_ja_name(text: &str) -> bool {
    let letters = text.chars().filter(|c| !c.is_whitespace() && *c != '・').count();
    let hiragana = text.chars().filter(|c| ('\u{3041}'..='\u{309F}').contains(c)).count();
    // Names are short and mostly kanji; a sentence has many hiragana.
    (2..=10).contains(&letters)
        && hiragana * 2 <= letters
        && text.chars().any(is_kanji)
        && text.chars().all(|c| is_kanji(c) || is_kana(c) || c.is_whitespace() || c == '・' || c == 'ー')
}

/// Which honorific was removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Honorific {
    /// `様`, `殿`, `さん`, `Mr.`, …: a person.
    Person,
    /// `御中`: an organisation or one of its departments.
    Organisation,
}

/// `text` without a trailing Japanese or leading English honorific.
fn strip_honorific(text: &str) -> (&str, Option<Honorific>) {
    for (suffix, kind) in [
        ("御中", Honorific::Organisation),
        ("様", Honorific::Person),
        ("殿", Honorific::Person),
        ("さん", Honorific::Person),
    ] {
        if let Some(rest) = text.strip_suffix(suffix) {
            let rest = trim(rest);
            if !rest.is_empty() {
                return (rest, Some(kind));
            }
        }
    }
    for prefix in ["Mr.", "Mrs.", "Ms.", "Miss", "Dr.", "Mx.", "Prof.", "Mr", "Mrs", "Ms", "Dr"] {
        let Some(head) = text.get(..prefix.len()) else { continue };
        if head.eq_ignore_ascii_case(prefix) {
            let rest = text.get(prefix.len()..).unwrap_or_default();
            if rest.starts_with(char::is_whitespace) || prefix.ends_with('.') {
                let rest = trim(rest);
                if !rest.is_empty() {
                    return (rest, Some(Honorific::Person));
                }
            }
        }
    }
    (text, None)
}

/// Byte ranges of the runs of white space in `s`.
fn whitespace_runs(s: &str) -> Vec<(usize, usize)> {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (i, c) in s.char_indices() {
        if c.is_whitespace() {
            match runs.last_mut() {
                Some(last) if last.1 == i => last.1 = i + c.len_utf8(),
                _ => runs.push((i, i + c.len_utf8())),
            }
        }
    }
    runs
}

/// A Japanese postal code at the start of `text` (with its `〒`, if any) and the rest of the line.
fn split_postal(text: &str) -> Option<(&str, &str)> {
    let marked = text.starts_with('〒');
    let jp_shape = |s: &str| {
        s.chars().filter(|c| c.is_ascii_digit() || ('０'..='９').contains(c)).count() == 7
            && s.chars().any(|c| !(c.is_ascii_digit() || ('０'..='９').contains(&c)))
    };
    let ends = whitespace_runs(text).into_iter().take(3).chain(std::iter::once((text.len(), text.len())));
    let mut best = None;
    for (head_end, rest_start) in ends {
        let head = text.get(..head_end)?;
        if (marked || jp_shape(head)) && valid(FieldType::PostalCode, head) {
            best = Some((head, trim(text.get(rest_start..)?)));
        }
    }
    best
}

/// `株式会社サンプル 営業部` as an organisation and a department.
fn split_org_dept(text: &str) -> Option<(&str, &str)> {
    whitespace_runs(text).into_iter().find_map(|(a, b)| {
        let org = text.get(..a)?;
        let dept = text.get(b..)?;
        (has_org_marker(org)
            && !has_org_marker(dept)
            && looks_department(dept)
            && valid(FieldType::Organisation, org)
            && valid(FieldType::Department, dept))
        .then_some((org, dept))
    })
}

fn looks_building(text: &str) -> bool {
    ["ビル", "マンション", "ハイツ", "コーポ", "レジデンス", "アパート", "タワー", "荘", "号室", "階", "棟", "Ｆ"]
        .iter()
        .any(|m| text.contains(m))
        || text.ends_with('F')
}

// ---------------------------------------------------------------------------------------------------------
// Free text

/// Labels that may start a line of free text, longest first where one is a prefix of another.
const LABELS: [&str; 57] = [
    "お名前",
    "氏名",
    "名前",
    "宛名",
    "フリガナ",
    "ふりがな",
    "よみがな",
    "カナ",
    "自宅住所",
    "勤務先住所",
    "会社住所",
    "ご住所",
    "住所",
    "所在地",
    "郵便番号",
    "携帯電話番号",
    "携帯電話",
    "携帯番号",
    "携帯",
    "電話番号",
    "電話",
    "ＴＥＬ",
    "TEL",
    "FAX",
    "メールアドレス",
    "Eメール",
    "メール",
    "E-mail",
    "Email",
    "Mail",
    "会社名",
    "勤務先",
    "会社",
    "部署名",
    "部署",
    "所属",
    "生年月日",
    "誕生日",
    "Full name",
    "Name",
    "Address",
    "Telephone",
    "Phone",
    "Mobile",
    "Cell",
    "Company",
    "Organization",
    "Organisation",
    "Department",
    "Date of birth",
    "Birth date",
    "Birthday",
    "DOB",
    "ZIP code",
    "Zip",
    "Postal code",
    "Employer",
];

/// A label at the start of `line`: the label as written, and the rest.
fn strip_label(line: &str) -> Option<(&str, &str)> {
    for label in LABELS {
        let Some(head) = line.get(..label.len()) else { continue };
        if !head.eq_ignore_ascii_case(label) {
            continue;
        }
        let after = line.get(label.len()..).unwrap_or_default();
        let spaced = trim(after);
        let rest = if let Some(r) = spaced.strip_prefix([':', '：']) {
            trim(r)
        } else if after.starts_with(char::is_whitespace) {
            spaced
        } else if label.is_ascii() && after.starts_with('.') {
            trim(after.get(1..).unwrap_or_default())
        } else if matches!(header_hint(label), Some(Hint::Kind(FieldType::Phone)))
            && after.starts_with(|c: char| c.is_ascii_digit() || ('０'..='９').contains(&c) || matches!(c, '(' | '+'))
        {
            after
        } else {
            continue;
        };
        return Some((head, rest));
    }
    None
}

fn is_separator_line(line: &str) -> bool {
    let t = trim(line);
    t.is_empty()
        || (t.chars().count() >= 3
            && t.chars().all(|c| matches!(c, '-' | '=' | '－' | '＝' | '―' | '─' | '━' | '_' | '*')))
}

fn read_text(text: &str) -> Result<(Vec<Row>, usize), ParseError> {
    let mut rows = Vec::new();
    let mut skipped = 0;
    let mut block: Option<Block> = None;
    let mut finish = |block: Option<Block>, rows: &mut Vec<Row>| -> Result<(), ParseError> {
        if let Some(b) = block {
            if b.values.is_empty() {
                skipped += 1;
            } else {
                if rows.len() >= MAX_ROWS {
                    return Err(ParseError::TooManyRows { max: MAX_ROWS });
                }
                rows.push(Row { line: b.line, values: b.values });
            }
        }
        Ok(())
    };
    for (i, line) in text.lines().enumerate() {
        if is_separator_line(line) {
            finish(block.take(), &mut rows)?;
            continue;
        }
        block.get_or_insert_with(|| Block::new(i + 1)).line(trim(line));
    }
    finish(block.take(), &mut rows)?;
    Ok((rows, skipped))
}

/// The person being read from a block of free text.
#[derive(Debug)]
struct Block {
    line: usize,
    values: Vec<Value>,
    /// A label on a line of its own, for the next line.
    pending: Option<String>,
    /// Index of a US street line waiting for its `City, ST ZIP` line.
    street: Option<usize>,
}

impl Block {
    fn new(line: usize) -> Block {
        Block { line, values: Vec::new(), pending: None, street: None }
    }

    fn push(&mut self, kind: FieldType, label: Option<String>, text: &str) {
        self.values.push(Value { kind, label, text: text.to_owned() });
    }

    fn line(&mut self, line: &str) {
        let (label, rest) = match strip_label(line) {
            Some((label, rest)) => (Some(label.to_owned()), rest),
            None => (self.pending.take(), line),
        };
        if rest.is_empty() {
            self.pending = label;
            return;
        }
        let hint = label.as_deref().and_then(header_hint);
        let street = self.street.take();

        // `〒104-0045 東京都…`: a postal code and an address on one line.
        if let Some((postal, address)) = split_postal(rest) {
            if address.is_empty() || looks_jp_address(address) || rest.starts_with('〒') {
                let address_kind = address_kind(address);
                let postal_label = if hint == Some(Hint::Kind(FieldType::PostalCode)) { label.clone() } else { None };
                self.push(FieldType::PostalCode, postal_label, postal);
                if let Some(kind) = address_kind.filter(|_| !address.is_empty()) {
                    let address_label = if hint == Some(Hint::Address) { label } else { None };
                    self.push(kind, address_label, address);
                }
                return;
            }
        }
        // `Springfield, IL 62704` after `1234 Elm Street`.
        if let Some(i) = street.filter(|_| city_line(rest)) {
            if let Some(v) = self.values.get_mut(i) {
                let joined = format!("{}, {rest}", v.text);
                if valid(FieldType::UsAddress, &joined) {
                    v.text = joined;
                    return;
                }
            }
        }
        // `株式会社サンプル 営業部`.
        if matches!(hint, None | Some(Hint::Kind(FieldType::Organisation))) {
            if let Some((org, dept)) = split_org_dept(rest) {
                self.push(FieldType::Organisation, label, org);
                self.push(FieldType::Department, None, dept);
                return;
            }
        }
        let classified = classify(hint, rest);
        // A building on the line after a Japanese address belongs to it.
        if hint.is_none()
            && looks_building(rest)
            && !matches!(classified, Some((FieldType::Phone | FieldType::Email | FieldType::JpAddress, _)))
        {
            if let Some(last) = self.values.last_mut().filter(|v| v.kind == FieldType::JpAddress) {
                let joined = format!("{} {rest}", last.text);
                if valid(FieldType::JpAddress, &joined) {
                    last.text = joined;
                    return;
                }
            }
        }
        if let Some((kind, text)) = classified {
            if kind == FieldType::UsAddress && !city_line(&text) {
                self.street = Some(self.values.len());
            }
            self.values.push(Value { kind, label, text });
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// JSON

mod json {
    use serde_json::Value as Json;

    use super::{classify_columns, ParseError, Record, Row, MAX_ROWS};

    /// Deepest nesting that is flattened; deeper values are ignored.
    const MAX_DEPTH: usize = 16;

    pub(super) fn read(text: &str) -> Result<(Vec<Row>, usize), ParseError> {
        let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Json>();
        let mut values = Vec::new();
        let mut start = 0;
        while let Some(item) = stream.next() {
            let value = item.map_err(|e| ParseError::Json { line: e.line(), column: e.column() })?;
            let begin = skip_ws(text, start);
            values.push((begin, value));
            start = stream.byte_offset();
            if values.len() > MAX_ROWS {
                return Err(ParseError::TooManyRows { max: MAX_ROWS });
            }
        }
        // Each object becomes (start offset, flattened (path, text) pairs).
        let mut objects: Vec<(usize, Json)> = Vec::new();
        if let [(begin, single)] = values.as_slice() {
            match single {
                Json::Array(items) => {
                    let starts = element_starts(text, *begin, 1);
                    push_elements(&mut objects, items, &starts, *begin);
                }
                Json::Object(map) => {
                    let arrays: Vec<&Vec<Json>> =
                        map.values().filter_map(|v| v.as_array()).filter(|a| a.iter().any(Json::is_object)).collect();
                    match arrays.as_slice() {
                        [items] => {
                            let starts = element_starts(text, *begin, 2);
                            push_elements(&mut objects, items, &starts, *begin);
                        }
                        _ => objects.push((*begin, single.clone())),
                    }
                }
                _ => {}
            }
        } else {
            objects = values.into_iter().filter(|(_, v)| v.is_object()).collect();
        }
        if objects.len() > MAX_ROWS {
            return Err(ParseError::TooManyRows { max: MAX_ROWS });
        }
        let mut columns: Vec<String> = Vec::new();
        let mut records = Vec::with_capacity(objects.len());
        for (offset, object) in &objects {
            let mut pairs = Vec::new();
            flatten(object, "", &mut pairs, 0);
            let cells = pairs
                .into_iter()
                .map(|(path, text)| {
                    let col = match columns.iter().position(|c| *c == path) {
                        Some(i) => i,
                        None => {
                            columns.push(path);
                            columns.len() - 1
                        }
                    };
                    (col, text)
                })
                .collect();
            records.push(Record { line: super::line_at(text.as_bytes(), *offset), cells });
        }
        let headers: Vec<Option<String>> = columns.into_iter().map(Some).collect();
        Ok(classify_columns(&headers, &records))
    }

    fn push_elements(out: &mut Vec<(usize, Json)>, items: &[Json], starts: &[usize], fallback: usize) {
        let exact = starts.len() == items.iter().filter(|v| v.is_object()).count();
        for (i, item) in items.iter().filter(|v| v.is_object()).enumerate() {
            let at = if exact { starts.get(i).copied().unwrap_or(fallback) } else { fallback };
            out.push((at, item.clone()));
        }
    }

    fn skip_ws(text: &str, from: usize) -> usize {
        let rest = text.get(from..).unwrap_or_default();
        from + (rest.len() - rest.trim_start().len())
    }

    /// Byte offsets of the objects that are elements of an array nested `depth` containers deep, counting
    /// the container at `from` as depth 1.
    fn element_starts(text: &str, from: usize, depth: usize) -> Vec<usize> {
        let mut starts = Vec::new();
        let mut stack: Vec<u8> = Vec::new();
        let mut in_string = false;
        let mut escaped = false;
        for (i, &b) in text.as_bytes().iter().enumerate().skip(from) {
            if in_string {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_string = false;
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'{' | b'[' => {
                    if b == b'{' && stack.len() == depth && stack.last() == Some(&b'[') {
                        starts.push(i);
                    }
                    stack.push(b);
                }
                b'}' | b']' => {
                    stack.pop();
                    if stack.is_empty() {
                        break;
                    }
                }
                _ => {}
            }
        }
        starts
    }

    fn flatten(value: &Json, path: &str, out: &mut Vec<(String, String)>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match value {
            Json::String(s) => out.push((path.to_owned(), s.clone())),
            Json::Number(n) => out.push((path.to_owned(), n.to_string())),
            Json::Array(items) => items.iter().for_each(|v| flatten(v, path, out, depth + 1)),
            Json::Object(map) => {
                for (key, v) in map {
                    let p = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                    flatten(v, &p, out, depth + 1);
                }
            }
            Json::Bool(_) | Json::Null => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Database dumps

mod dump {
    use super::{classify_columns, ParseError, Record, Row, MAX_ROWS};

    /// One table's rows, as far as the dump named its columns.
    #[derive(Debug)]
    struct Table {
        name: String,
        columns: Vec<String>,
        records: Vec<Record>,
    }

    struct Scanner<'a> {
        s: &'a str,
        b: &'a [u8],
        pos: usize,
        newlines: Vec<usize>,
    }

    fn error(line: usize, reason: &'static str) -> ParseError {
        ParseError::Dump { line, reason }
    }

    impl<'a> Scanner<'a> {
        fn line(&self, pos: usize) -> usize {
            self.newlines.partition_point(|&nl| nl < pos) + 1
        }

        fn peek(&self) -> Option<u8> {
            self.b.get(self.pos).copied()
        }

        fn at(&self, i: usize) -> Option<u8> {
            self.b.get(self.pos + i).copied()
        }

        fn skip_ws(&mut self) {
            loop {
                match (self.peek(), self.at(1)) {
                    (Some(c), _) if c.is_ascii_whitespace() => self.pos += 1,
                    (Some(b'-'), Some(b'-')) | (Some(b'#'), _) => {
                        while self.peek().is_some_and(|c| c != b'\n') {
                            self.pos += 1;
                        }
                    }
                    (Some(b'/'), Some(b'*')) => {
                        self.pos += 2;
                        while self.peek().is_some() && !(self.peek() == Some(b'*') && self.at(1) == Some(b'/')) {
                            self.pos += 1;
                        }
                        self.pos = (self.pos + 2).min(self.b.len());
                    }
                    _ => return,
                }
            }
        }

        /// A keyword (case-insensitive), consumed if present.
        fn keyword(&mut self, word: &str) -> bool {
            self.skip_ws();
            let end = self.pos + word.len();
            let matches = self.b.get(self.pos..end).is_some_and(|w| w.eq_ignore_ascii_case(word.as_bytes()))
                && !self.b.get(end).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_');
            if matches {
                self.pos = end;
            }
            matches
        }

        /// An identifier, possibly quoted and qualified (`public."users"`), without its quotes.
        fn ident(&mut self) -> Option<String> {
            self.skip_ws();
            let mut out = String::new();
            loop {
                match self.peek()? {
                    q @ (b'"' | b'`' | b'[') => {
                        let close = if q == b'[' { b']' } else { q };
                        let start = self.pos + 1;
                        let len = self.b.get(start..)?.iter().position(|&c| c == close)?;
                        out.push_str(self.s.get(start..start + len)?);
                        self.pos = start + len + 1;
                    }
                    c if c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80 => {
                        let start = self.pos;
                        while self
                            .peek()
                            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80)
                        {
                            self.pos += 1;
                        }
                        out.push_str(self.s.get(start..self.pos)?);
                    }
                    _ => return None,
                }
                if self.peek() == Some(b'.') {
                    out.push('.');
                    self.pos += 1;
                } else {
                    return Some(out);
                }
            }
        }

        /// `(a, b, c)`.
        fn column_list(&mut self) -> Result<Vec<String>, ParseError> {
            self.skip_ws();
            if self.peek() != Some(b'(') {
                return Ok(Vec::new());
            }
            let start = self.line(self.pos);
            self.pos += 1;
            let mut columns = Vec::new();
            loop {
                let name = self.ident().ok_or_else(|| error(start, "malformed column list"))?;
                columns.push(name);
                self.skip_ws();
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b')') => {
                        self.pos += 1;
                        return Ok(columns);
                    }
                    _ => return Err(error(start, "malformed column list")),
                }
            }
        }

        /// Skips to just after the next `;` outside quotes.
        fn skip_statement(&mut self) -> Result<(), ParseError> {
            let start = self.line(self.pos);
            while let Some(c) = self.peek() {
                match c {
                    b';' => {
                        self.pos += 1;
                        return Ok(());
                    }
                    b'\'' | b'"' | b'`' => {
                        self.string(c).ok_or_else(|| error(start, "unterminated quoted text"))?;
                    }
                    b'$' => {
                        // PostgreSQL dollar quoting: `$tag$ … $tag$`.
                        let rest = self.b.get(self.pos + 1..).unwrap_or_default();
                        match rest.iter().position(|&c| c == b'$') {
                            Some(n)
                                if rest
                                    .get(..n)
                                    .is_some_and(|t| t.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')) =>
                            {
                                let tag = self.b.get(self.pos..self.pos + n + 2).unwrap_or_default().to_vec();
                                let body = self.pos + n + 2;
                                let end = self
                                    .b
                                    .get(body..)
                                    .and_then(|b| b.windows(tag.len()).position(|w| w == tag.as_slice()));
                                let end = end.ok_or_else(|| error(start, "unterminated dollar-quoted text"))?;
                                self.pos = body + end + tag.len();
                            }
                            _ => self.pos += 1,
                        }
                    }
                    b'-' if self.at(1) == Some(b'-') => self.skip_ws(),
                    b'/' if self.at(1) == Some(b'*') => self.skip_ws(),
                    _ => self.pos += 1,
                }
            }
            Ok(())
        }

        /// A quoted string starting at the current quote, with `''` and backslash escapes.
        fn string(&mut self, quote: u8) -> Option<String> {
            self.pos += 1;
            let mut out = String::new();
            let mut run = self.pos;
            loop {
                let c = self.peek()?;
                if c == quote {
                    out.push_str(self.s.get(run..self.pos)?);
                    if self.at(1) == Some(quote) {
                        out.push(quote as char);
                        self.pos += 2;
                        run = self.pos;
                        continue;
                    }
                    self.pos += 1;
                    return Some(out);
                }
                if c == b'\\' {
                    let escaped = match self.at(1)? {
                        b'n' => Some('\n'),
                        b't' => Some('\t'),
                        b'r' => Some('\r'),
                        b'0' => Some('\0'),
                        b'\\' => Some('\\'),
                        b'\'' => Some('\''),
                        b'"' => Some('"'),
                        _ => None,
                    };
                    if let Some(e) = escaped {
                        out.push_str(self.s.get(run..self.pos)?);
                        out.push(e);
                        self.pos += 2;
                        run = self.pos;
                        continue;
                    }
                }
                self.pos += 1;
            }
        }

        /// One value of a tuple: `Some(text)` for strings and numbers, `None` for `NULL` and expressions.
        fn value(&mut self, tuple_line: usize) -> Result<Option<String>, ParseError> {
            self.skip_ws();
            let mut result = None;
            match (self.peek(), self.at(1)) {
                (Some(b'\''), _) => {
                    let line = self.line(self.pos);
                    result = Some(self.string(b'\'').ok_or_else(|| error(line, "unterminated string"))?);
                }
                (Some(b'E' | b'e' | b'N' | b'n'), Some(b'\'')) => {
                    self.pos += 1;
                    let line = self.line(self.pos);
                    result = Some(self.string(b'\'').ok_or_else(|| error(line, "unterminated string"))?);
                }
                _ => {}
            }
            // Whatever follows (a cast such as `::date`, or an unquoted token) up to `,` or `)` at depth 0.
            let start = self.pos;
            let mut depth = 0usize;
            loop {
                match self.peek() {
                    None => return Err(error(tuple_line, "unterminated values list")),
                    Some(b'\'') => {
                        let line = self.line(self.pos);
                        self.string(b'\'').ok_or_else(|| error(line, "unterminated string"))?;
                    }
                    Some(b'(') => {
                        depth += 1;
                        self.pos += 1;
                    }
                    Some(b')') if depth > 0 => {
                        depth -= 1;
                        self.pos += 1;
                    }
                    Some(b',' | b')') => break,
                    Some(_) => self.pos += 1,
                }
            }
            if result.is_none() {
                let token = self.s.get(start..self.pos).unwrap_or_default().trim();
                let numeric = !token.is_empty()
                    && token.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.'))
                    && token.chars().any(|c| c.is_ascii_digit());
                if numeric {
                    result = Some(token.to_owned());
                }
            }
            Ok(result)
        }

        /// After `INSERT`: `INTO t (cols) VALUES (…), (…);`.
        fn insert(&mut self, tables: &mut Vec<Table>, rows: &mut usize) -> Result<(), ParseError> {
            let start = self.line(self.pos);
            self.keyword("IGNORE");
            if !self.keyword("INTO") {
                return self.skip_statement();
            }
            let name = self.ident().ok_or_else(|| error(start, "expected a table name"))?;
            let columns = self.column_list()?;
            if !self.keyword("VALUES") {
                return self.skip_statement();
            }
            let table = table_index(tables, name, columns);
            loop {
                self.skip_ws();
                if self.peek() != Some(b'(') {
                    return Err(error(self.line(self.pos), "expected `(` to start a row of values"));
                }
                let line = self.line(self.pos);
                self.pos += 1;
                let mut cells = Vec::new();
                let mut col = 0;
                loop {
                    if let Some(v) = self.value(line)? {
                        cells.push((col, v));
                    }
                    col += 1;
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        _ => {
                            self.pos += 1;
                            break;
                        }
                    }
                }
                push_record(tables, table, Record { line, cells }, rows)?;
                self.skip_ws();
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b';') => {
                        self.pos += 1;
                        return Ok(());
                    }
                    None => return Ok(()),
                    // `ON CONFLICT …`, `ON DUPLICATE KEY …`, `RETURNING …`.
                    Some(_) => return self.skip_statement(),
                }
            }
        }

        /// After `COPY`: `t (cols) FROM stdin;`, then tab-separated lines up to `\.`.
        fn copy(&mut self, tables: &mut Vec<Table>, rows: &mut usize) -> Result<(), ParseError> {
            let start = self.line(self.pos);
            let name = self.ident().ok_or_else(|| error(start, "expected a table name"))?;
            let columns = self.column_list()?;
            if !(self.keyword("FROM") && self.keyword("STDIN")) {
                return self.skip_statement();
            }
            self.skip_statement()?;
            // The data starts on the next line.
            while let Some(c) = self.peek() {
                self.pos += 1;
                if c == b'\n' {
                    break;
                }
            }
            let table = table_index(tables, name, columns);
            loop {
                if self.pos >= self.b.len() {
                    return Err(error(start, "copy data not terminated by `\\.`"));
                }
                let line_start = self.pos;
                let len = self.b.get(line_start..).and_then(|b| b.iter().position(|&c| c == b'\n'));
                let line_end = len.map_or(self.b.len(), |n| line_start + n);
                self.pos = (line_end + 1).min(self.b.len()).max(line_end);
                let text = self.s.get(line_start..line_end).unwrap_or_default();
                let text = text.strip_suffix('\r').unwrap_or(text);
                if text == "\\." {
                    return Ok(());
                }
                let cells = text
                    .split('\t')
                    .enumerate()
                    .filter(|(_, f)| *f != "\\N")
                    .map(|(i, f)| (i, unescape_copy(f)))
                    .collect();
                push_record(tables, table, Record { line: self.line(line_start), cells }, rows)?;
            }
        }
    }

    fn unescape_copy(field: &str) -> String {
        let mut out = String::with_capacity(field.len());
        let mut chars = field.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('b') => out.push('\u{8}'),
                Some('f') => out.push('\u{c}'),
                Some('v') => out.push('\u{b}'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        }
        out
    }

    fn table_index(tables: &mut Vec<Table>, name: String, columns: Vec<String>) -> usize {
        match tables.iter().position(|t| t.name == name && t.columns == columns) {
            Some(i) => i,
            None => {
                tables.push(Table { name, columns, records: Vec::new() });
                tables.len() - 1
            }
        }
    }

    fn push_record(tables: &mut [Table], table: usize, record: Record, rows: &mut usize) -> Result<(), ParseError> {
        *rows += 1;
        if *rows > MAX_ROWS {
            return Err(ParseError::TooManyRows { max: MAX_ROWS });
        }
        if let Some(t) = tables.get_mut(table) {
            t.records.push(record);
        }
        Ok(())
    }

    pub(super) fn read(text: &str) -> Result<(Vec<Row>, usize), ParseError> {
        let mut sc = Scanner {
            s: text,
            b: text.as_bytes(),
            pos: 0,
            newlines: text.bytes().enumerate().filter(|&(_, c)| c == b'\n').map(|(i, _)| i).collect(),
        };
        let mut tables = Vec::new();
        let mut rows = 0usize;
        loop {
            sc.skip_ws();
            if sc.peek().is_none() {
                break;
            }
            if sc.keyword("INSERT") {
                sc.insert(&mut tables, &mut rows)?;
            } else if sc.keyword("COPY") {
                sc.copy(&mut tables, &mut rows)?;
            } else {
                sc.skip_statement()?;
            }
        }
        let mut out = Vec::new();
        let mut skipped = 0;
        for table in tables {
            let headers: Vec<Option<String>> = table.columns.into_iter().map(Some).collect();
            let (rows, s) = classify_columns(&headers, &table.records);
            out.extend(rows);
            skipped += s;
        }
        out.sort_by_key(|r| r.line);
        Ok((out, skipped))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use FieldType as F;

    /// (kind, text) of every value of every row.
    fn kinds(rows: &[Row]) -> Vec<Vec<(FieldType, &str)>> {
        rows.iter().map(|r| r.values.iter().map(|v| (v.kind, v.text.as_str())).collect()).collect()
    }

    fn ok(input: &str, format: Format) -> Parsed {
        parse_report(input.as_bytes(), format).unwrap_or_else(|e| panic!("{e}"))
    }

    const JP_CSV: &str = "氏名,フリガナ,電話番号,メールアドレス,郵便番号,住所,備考\n\
        山田 太郎,ヤマダ タロウ,０９０－１２３４－５６７８,taro@example.co.jp,〒104-0045,東京都中央区築地２丁目４番１号,VIP\n\
        佐藤 花子 様,さとう はなこ,03-1234-5678,hanako@example.jp,1500001,東京都渋谷区神宮前1-2-3,\n";

    fn jp_expected() -> Vec<Vec<(FieldType, &'static str)>> {
        vec![
            vec![
                (F::PersonNameJa, "山田 太郎"),
                (F::Kana, "ヤマダ タロウ"),
                (F::Phone, "０９０－１２３４－５６７８"),
                (F::Email, "taro@example.co.jp"),
                (F::PostalCode, "〒104-0045"),
                (F::JpAddress, "東京都中央区築地２丁目４番１号"),
            ],
            vec![
                (F::PersonNameJa, "佐藤 花子"),
                (F::Kana, "さとう はなこ"),
                (F::Phone, "03-1234-5678"),
                (F::Email, "hanako@example.jp"),
                (F::PostalCode, "1500001"),
                (F::JpAddress, "東京都渋谷区神宮前1-2-3"),
            ],
        ]
    }

    #[test]
    fn csv_with_japanese_headers() {
        let p = ok(JP_CSV, Format::Csv);
        assert_eq!(kinds(&p.rows), jp_expected());
        assert_eq!(p.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3]);
        assert_eq!(p.rows[0].values[0].label.as_deref(), Some("氏名"));
        assert_eq!(p.rows[0].values[5].label.as_deref(), Some("住所"));
        assert_eq!(p.skipped, 0);
        assert_eq!(ok(JP_CSV, Format::Auto).format, Format::Csv);
    }

    #[test]
    fn csv_in_shift_jis_and_with_bom() {
        let (sjis, _, unmappable) = encoding_rs::SHIFT_JIS.encode(JP_CSV);
        assert!(!unmappable);
        assert!(std::str::from_utf8(&sjis).is_err(), "the test needs bytes that are not UTF-8");
        let rows = parse(&sjis, Format::Auto).unwrap();
        assert_eq!(kinds(&rows), jp_expected());

        let mut bom = "\u{feff}".as_bytes().to_vec();
        bom.extend_from_slice(JP_CSV.as_bytes());
        let rows = parse(&bom, Format::Auto).unwrap();
        assert_eq!(kinds(&rows), jp_expected());
        assert_eq!(rows[0].values[0].label.as_deref(), Some("氏名"), "the BOM is not part of the first header");
    }

    #[test]
    fn tsv_with_english_headers() {
        let input = "Full Name\tE-mail\tPhone\tStreet\tCity\tState\tZip\tBirth Date\tNotes\n\
                     John Smith\tjohn.smith@example.com\t+1 415-555-0100\t1234 Elm Street Apt 5\tSpringfield\tIL\t62704\tApril 1, 1985\tcalled twice\n";
        let p = ok(input, Format::Auto);
        assert_eq!(p.format, Format::Tsv);
        assert_eq!(
            kinds(&p.rows),
            vec![vec![
                (F::PersonNameRomaji, "John Smith"),
                (F::Email, "john.smith@example.com"),
                (F::Phone, "+1 415-555-0100"),
                (F::UsAddress, "1234 Elm Street Apt 5, Springfield, IL 62704"),
                (F::PostalCode, "62704"),
                (F::Date, "April 1, 1985"),
            ]]
        );
        assert_eq!(
            canonical(F::UsAddress, &p.rows[0].values[3].text).unwrap(),
            "1234 ELM ST APT 5 SPRINGFIELD IL 62704"
        );
    }

    #[test]
    fn headerless_csv_is_classified_by_content() {
        let input = "E001,鈴木 一郎,090-1111-2222,ichiro@example.jp,1980/4/1,メモ\n\
                     E002,高橋 二郎,080-3333-4444,jiro@example.jp,昭和60年4月1日,\n\
                     E003,田中 三郎,070-5555-6666,saburo@example.jp,1985年4月1日,ok\n";
        let p = ok(input, Format::Auto);
        assert_eq!(p.format, Format::Csv);
        assert_eq!(
            kinds(&p.rows),
            vec![
                vec![
                    (F::PersonNameJa, "鈴木 一郎"),
                    (F::Phone, "090-1111-2222"),
                    (F::Email, "ichiro@example.jp"),
                    (F::Date, "1980/4/1")
                ],
                vec![
                    (F::PersonNameJa, "高橋 二郎"),
                    (F::Phone, "080-3333-4444"),
                    (F::Email, "jiro@example.jp"),
                    (F::Date, "昭和60年4月1日")
                ],
                vec![
                    (F::PersonNameJa, "田中 三郎"),
                    (F::Phone, "070-5555-6666"),
                    (F::Email, "saburo@example.jp"),
                    (F::Date, "1985年4月1日")
                ],
            ]
        );
        assert_eq!(p.rows[0].line, 1);
        assert!(p.rows.iter().flat_map(|r| &r.values).all(|v| v.label.is_none()));
    }

    /// Every value the corporate generator writes comes back with its schema type and its exact text.
    #[test]
    fn generated_corporate_round_trip() {
        let schema =
            crate::schema::Schema::from_toml(include_str!("../../../../schemas/corporate-mobile.toml")).unwrap();
        let mut csv = Vec::new();
        crate::generate::corporate(
            &crate::generate::CorporateParams { companies: 4, employees: 200, seed: 7 },
            &mut csv,
            &mut |_| {},
        )
        .unwrap();
        let rows = parse(&csv, Format::Auto).unwrap();
        let mut reader = ::csv::Reader::from_reader(csv.as_slice());
        let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
        let records: Vec<::csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), records.len());
        let mut checked = 0;
        for (row, record) in rows.iter().zip(&records) {
            let expected: Vec<(FieldType, Option<String>, String)> = header
                .iter()
                .zip(record.iter())
                .filter(|(_, cell)| !cell.is_empty())
                .map(|(h, cell)| {
                    let field = schema.fields.iter().find(|f| f.name == *h).unwrap();
                    (field.kind, Some(h.clone()), cell.to_owned())
                })
                .collect();
            let got: Vec<(FieldType, Option<String>, String)> =
                row.values.iter().map(|v| (v.kind, v.label.clone(), v.text.clone())).collect();
            assert_eq!(got, expected, "line {}", row.line);
            checked += got.len();
        }
        assert!(checked > 200 * 8, "{checked}");
    }

    #[test]
    fn generated_consumer_round_trip() {
        let schema =
            crate::schema::Schema::from_toml(include_str!("../../../../schemas/consumer-wireless.toml")).unwrap();
        let mut csv = Vec::new();
        crate::generate::consumer(&crate::generate::ConsumerParams { count: 100, seed: 3 }, &mut csv, &mut |_| {})
            .unwrap();
        let rows = parse(&csv, Format::Csv).unwrap();
        let mut reader = ::csv::Reader::from_reader(csv.as_slice());
        let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
        for (row, record) in rows.iter().zip(reader.records().map(Result::unwrap)) {
            let expected: Vec<(FieldType, String)> = header
                .iter()
                .zip(record.iter())
                .filter(|(_, cell)| !cell.is_empty())
                .map(|(h, cell)| (schema.fields.iter().find(|f| f.name == *h).unwrap().kind, cell.to_owned()))
                .collect();
            let got: Vec<(FieldType, String)> = row.values.iter().map(|v| (v.kind, v.text.clone())).collect();
            assert_eq!(got, expected, "line {}", row.line);
        }
    }

    #[test]
    fn json_array_nested_and_lines() {
        let input = r#"[
  {"id": 1, "name": "山田 太郎", "contact": {"tel": "090-1234-5678", "mail": "taro@example.co.jp"},
   "active": true, "note": null},
  {"id": 2,
   "name": "Hanako Sato", "zip": "100-0001", "address": "東京都千代田区千代田１－１"}
]"#;
        let p = ok(input, Format::Auto);
        assert_eq!(p.format, Format::Json);
        assert_eq!(
            kinds(&p.rows),
            vec![
                vec![
                    (F::Identifier, "1"),
                    (F::PersonNameJa, "山田 太郎"),
                    (F::Phone, "090-1234-5678"),
                    (F::Email, "taro@example.co.jp")
                ],
                vec![
                    (F::Identifier, "2"),
                    (F::PersonNameRomaji, "Hanako Sato"),
                    (F::PostalCode, "100-0001"),
                    (F::JpAddress, "東京都千代田区千代田１－１")
                ],
            ]
        );
        assert_eq!(p.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 4]);
        assert_eq!(p.rows[0].values[2].label.as_deref(), Some("contact.tel"));

        let wrapped = r#"{"count": 1, "users": [{"email": "a@example.com", "phone": "03-1234-5678"}]}"#;
        assert_eq!(
            kinds(&ok(wrapped, Format::Json).rows),
            vec![vec![(F::Email, "a@example.com"), (F::Phone, "03-1234-5678")]]
        );

        let lines = "{\"email\": \"a@example.com\"}\n{\"email\": \"b@example.com\", \"full_name\": \"Bob Jones\"}\n\n{\"x\": 1}\n";
        let p = ok(lines, Format::Auto);
        assert_eq!(
            kinds(&p.rows),
            vec![
                vec![(F::Email, "a@example.com")],
                vec![(F::Email, "b@example.com"), (F::PersonNameRomaji, "Bob Jones")]
            ]
        );
        assert_eq!(p.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(p.skipped, 1);
    }

    #[test]
    fn pg_dump_copy() {
        let input = "--\n-- PostgreSQL database dump\n--\nSET statement_timeout = 0;\n\
            CREATE TABLE public.customers (\n    id integer NOT NULL,\n    full_name text,\n    email text\n);\n\
            COPY public.customers (id, full_name, tel, email, memo) FROM stdin;\n\
            1\t山田 太郎\t090-1234-5678\ttaro@example.co.jp\tline\\none\n\
            2\tO'Brien Mary\t\\N\tmary@example.com\t\\N\n\
            \\.\n\nSELECT pg_catalog.setval('public.customers_id_seq', 2, true);\n";
        let p = ok(input, Format::Auto);
        assert_eq!(p.format, Format::SqlDump);
        assert_eq!(
            kinds(&p.rows),
            vec![
                vec![
                    (F::Identifier, "1"),
                    (F::PersonNameJa, "山田 太郎"),
                    (F::Phone, "090-1234-5678"),
                    (F::Email, "taro@example.co.jp")
                ],
                vec![(F::Identifier, "2"), (F::PersonNameRomaji, "O'Brien Mary"), (F::Email, "mary@example.com")],
            ]
        );
        assert_eq!(p.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [11, 12]);
        assert_eq!(p.rows[0].values[2].label.as_deref(), Some("tel"));
    }

    #[test]
    fn sql_insert() {
        let input = "INSERT INTO `users` (`user_id`, `name`, `address`, `zip`, `created`) VALUES\n\
            (10, 'Patrick O''Neil', '350 Fifth Avenue, New York, NY 10118', '10118', now()),\n\
            (11, 'Jane Doe', NULL, '94105', '2020-01-01'::date);\n\
            INSERT INTO users VALUES (12, 'x');\n\
            INSERT INTO \"orders\" (\"order_no\", \"mail\") VALUES (7, 'it\\'s@example.com');\n";
        let p = ok(input, Format::Auto);
        assert_eq!(p.format, Format::SqlDump);
        assert_eq!(
            kinds(&p.rows),
            vec![
                vec![
                    (F::Identifier, "10"),
                    (F::PersonNameRomaji, "Patrick O'Neil"),
                    (F::UsAddress, "350 Fifth Avenue, New York, NY 10118"),
                    (F::PostalCode, "10118")
                ],
                vec![(F::Identifier, "11"), (F::PersonNameRomaji, "Jane Doe"), (F::PostalCode, "94105")],
                vec![(F::Identifier, "7"), (F::Email, "it's@example.com")],
            ]
        );
        assert_eq!(p.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3, 5]);
        assert_eq!(p.skipped, 1, "the unnamed table's row has nothing personal");
    }

    #[test]
    fn japanese_free_text() {
        let input = "〒104-0045 東京都中央区築地２丁目４番１号 東和ビル５Ｆ\n\
                     株式会社サンプル 営業部\n\
                     山田 太郎 様\n\
                     090-1234-5678\n\
                     \n\
                     氏名：佐藤 花子\n\
                     フリガナ: サトウ ハナコ\n\
                     住所：〒５３０－０００１　大阪府大阪市北区梅田１丁目１－３\n\
                     大阪ハイツ２０３号室\n\
                     TEL 06-1234-5678\n\
                     E-mail：hanako@example.jp\n\
                     生年月日：昭和60年4月1日\n\
                     ----\n\
                     （株）テスト商事 御中\n\
                     ご注文ありがとうございました\n";
        let p = ok(input, Format::Auto);
        assert_eq!(p.format, Format::Text);
        assert_eq!(
            kinds(&p.rows),
            vec![
                vec![
                    (F::PostalCode, "〒104-0045"),
                    (F::JpAddress, "東京都中央区築地２丁目４番１号 東和ビル５Ｆ"),
                    (F::Organisation, "株式会社サンプル"),
                    (F::Department, "営業部"),
                    (F::PersonNameJa, "山田 太郎"),
                    (F::Phone, "090-1234-5678"),
                ],
                vec![
                    (F::PersonNameJa, "佐藤 花子"),
                    (F::Kana, "サトウ ハナコ"),
                    (F::PostalCode, "〒５３０－０００１"),
                    (F::JpAddress, "大阪府大阪市北区梅田１丁目１－３ 大阪ハイツ２０３号室"),
                    (F::Phone, "06-1234-5678"),
                    (F::Email, "hanako@example.jp"),
                    (F::Date, "昭和60年4月1日"),
                ],
                vec![(F::Organisation, "（株）テスト商事")],
            ]
        );
        assert_eq!(p.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [1, 6, 14]);
        let labels: Vec<Option<&str>> = p.rows[1].values.iter().map(|v| v.label.as_deref()).collect();
        assert_eq!(
            labels,
            [Some("氏名"), Some("フリガナ"), None, Some("住所"), Some("TEL"), Some("E-mail"), Some("生年月日")]
        );
    }

    #[test]
    fn english_free_text() {
        let input = "Mr. John Smith\n\
                     1234 Elm Street Apt 5\n\
                     Springfield, IL 62704\n\
                     (415) 555-0100\n\
                     john.smith@example.com\n\
                     \n\
                     ======\n\
                     Name: Dr. Mary Jones\n\
                     Acme Inc.\n\
                     Phone: +1 212-555-0123\n\
                     Birthday: April 1, 1985\n\
                     \n\
                     Thank you for your business.\n";
        let p = ok(input, Format::Auto);
        assert_eq!(p.format, Format::Text);
        assert_eq!(
            kinds(&p.rows),
            vec![
                vec![
                    (F::PersonNameRomaji, "John Smith"),
                    (F::UsAddress, "1234 Elm Street Apt 5, Springfield, IL 62704"),
                    (F::Phone, "(415) 555-0100"),
                    (F::Email, "john.smith@example.com"),
                ],
                vec![
                    (F::PersonNameRomaji, "Mary Jones"),
                    (F::Organisation, "Acme Inc."),
                    (F::Phone, "+1 212-555-0123"),
                    (F::Date, "April 1, 1985"),
                ],
            ]
        );
        assert_eq!(p.skipped, 1);
        assert!(valid(F::UsAddress, &p.rows[0].values[1].text));
    }

    fn assert_no_input(err: &ParseError, input: &[u8]) {
        let msg = err.to_string();
        let text = String::from_utf8_lossy(input);
        for part in text.split(|c: char| !c.is_alphanumeric()).filter(|p| p.chars().count() >= 4) {
            assert!(!msg.contains(part), "`{msg}` echoes `{part}`");
        }
        assert!(msg.starts_with(|c: char| c.is_lowercase()), "{msg}");
        assert!(!msg.ends_with('.'));
    }

    #[test]
    fn garbage_is_refused_without_echoing_it() {
        use rand::{RngCore, SeedableRng};
        let mut random = vec![0u8; 4096];
        rand_chacha::ChaCha20Rng::seed_from_u64(9).fill_bytes(&mut random);
        let err = parse(&random, Format::Auto).unwrap_err();
        assert!(matches!(err, ParseError::Binary { .. } | ParseError::Encoding), "{err:?}");
        assert_no_input(&err, &random);

        let nul = b"name,email\nSecretName,secret@example.com\n\0\0\0";
        let err = parse(nul, Format::Csv).unwrap_err();
        assert!(matches!(err, ParseError::Binary { line: 3 }), "{err:?}");
        assert_no_input(&err, nul);

        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0";
        assert!(matches!(parse(png, Format::Auto), Err(ParseError::Binary { .. })));

        let controls: String = "\u{1}\u{2}\u{3}Secretvalue\u{4}\u{5}\u{6}\u{7}\u{8}\u{e}\u{f}".repeat(4);
        let err = parse(controls.as_bytes(), Format::Text).unwrap_err();
        assert!(matches!(err, ParseError::Binary { line: 1 }), "{err:?}");

        let not_sjis = b"name\n\x82\xff\x82\xff\n";
        assert!(matches!(parse(not_sjis, Format::Csv), Err(ParseError::Encoding)));

        for empty in [&b""[..], b"  \n\t\n", "\u{feff}".as_bytes()] {
            assert!(matches!(parse(empty, Format::Auto), Err(ParseError::Empty)));
        }

        let bad_json = b"[\n  {\"name\": \"Secretname Hidden\"},\n  {\"email\": \"secret@example.com\" \"x\"}\n]";
        let err = parse(bad_json, Format::Auto).unwrap_err();
        assert!(matches!(err, ParseError::Json { line: 3, .. }), "{err:?}");
        assert_no_input(&err, bad_json);

        let bad_dump = b"INSERT INTO t (name) VALUES\n('Secretname Hidden'),\n('Hiddenvalue secret);\n";
        let err = parse(bad_dump, Format::Auto).unwrap_err();
        assert!(matches!(err, ParseError::Dump { line: 3, .. }), "{err:?}");
        assert_no_input(&err, bad_dump);

        let unterminated_copy = b"COPY t (email) FROM stdin;\nsecret@example.com\n";
        let err = parse(unterminated_copy, Format::SqlDump).unwrap_err();
        assert!(matches!(err, ParseError::Dump { line: 1, .. }), "{err:?}");
        assert_no_input(&err, unterminated_copy);

        let bad_csv = b"name,email\n\"Secretname Hidden\",a@example.com\nx,\"unterminated\xff";
        assert!(matches!(parse(bad_csv, Format::Csv), Err(ParseError::Encoding)));

        let nobody = b"hello there\n\nnothing personal here\n";
        let err = parse(nobody, Format::Auto).unwrap_err();
        assert!(matches!(err, ParseError::NoPerson { skipped: 2 }), "{err:?}");
        assert_no_input(&err, nobody);
    }

    #[test]
    fn too_large_is_refused_before_reading() {
        let big = vec![b'a'; MAX_INPUT_BYTES + 1];
        let err = parse(&big, Format::Auto).unwrap_err();
        assert!(matches!(err, ParseError::TooLarge { max: MAX_INPUT_BYTES }), "{err:?}");
    }

    /// A CSV whose header names the columns wins over content: a `phone` column of fixed-line numbers,
    /// a `note` column of e-mail addresses (dropped), an unnamed column without majority (dropped).
    #[test]
    fn headers_decide_and_unclassifiable_columns_drop() {
        let input = "phone,note,misc\n03-1234-5678,a@example.com,x\n06-1234-5678,b@example.com,東京都港区芝公園4-2-8\n";
        let p = ok(input, Format::Csv);
        assert_eq!(kinds(&p.rows), vec![vec![(F::Phone, "03-1234-5678")], vec![(F::Phone, "06-1234-5678")]]);
    }

    proptest::proptest! {
        /// Whatever the input, parsing returns (no panic), and every value it returns is accepted by
        /// `canonical` for its kind (a US phone number without `+1` is the documented exception).
        #[test]
        fn never_panics_and_values_are_valid(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "山田 太郎", "様", "〒104-0045", "東京都中央区築地1-1-1", "\n", "\n\n", ",", "\t", "\"", "'", "(",
                ")", ";", "INSERT INTO t (name, email) VALUES ", "COPY t (a) FROM stdin;\n", "\\.", "\\N",
                "[", "]", "{", "}", ":", "\"email\"", "a@example.com", "090-1234-5678", "TEL", "氏名：", "Mr. ",
                "John Smith", "1234 Elm St", "Springfield, IL 62704", "株式会社サンプル 営業部", "ヤマダ", "ｱ",
                "１２３", "\u{3000}", "-----", "\r\n", "NULL", "E'", "$$", "--", "/*",
            ]), 0..40),
            format in proptest::sample::select(vec![
                Format::Auto, Format::Csv, Format::Tsv, Format::Json, Format::SqlDump, Format::Text,
            ]),
        ) {
            let input = parts.concat();
            if let Ok(rows) = parse(input.as_bytes(), format) {
                for v in rows.iter().flat_map(|r| &r.values) {
                    proptest::prop_assert!(
                        valid(v.kind, &v.text) || (v.kind == F::Phone && looks_phone(&v.text)),
                        "{:?} {:?}", v.kind, v.text
                    );
                    proptest::prop_assert_eq!(v.text.as_str(), trim(&v.text));
                }
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = parse(&bytes, Format::Auto);
            let _ = parse(&bytes, Format::SqlDump);
            let _ = parse(&bytes, Format::Json);
        }
    }

    #[test]
    fn honorifics_and_labels() {
        assert_eq!(guess("2 items"), None);
        assert_eq!(guess("1600 Pennsylvania Ave NW"), Some(F::UsAddress));
        assert_eq!(strip_honorific("山田 太郎 様"), ("山田 太郎", Some(Honorific::Person)));
        assert_eq!(strip_honorific("山田太郎殿"), ("山田太郎", Some(Honorific::Person)));
        assert_eq!(strip_honorific("Mrs. Ann Lee"), ("Ann Lee", Some(Honorific::Person)));
        assert_eq!(strip_honorific("Mark Twain"), ("Mark Twain", None));
        assert_eq!(strip_label("電話：03-1234-5678"), Some(("電話", "03-1234-5678")));
        assert_eq!(strip_label("TEL090-1234-5678"), Some(("TEL", "090-1234-5678")));
        assert_eq!(strip_label("会社員です"), None);
        assert_eq!(split_postal("〒 104 0045 東京都中央区"), Some(("〒 104 0045", "東京都中央区")));
        assert_eq!(english_date("1 April 1985").as_deref(), Some("1985-04-01"));
        assert_eq!(english_date("Feb 30, 1985"), None);
    }
}
