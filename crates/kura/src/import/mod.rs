//! CSV import.
//!
//! Files may be UTF-8 (with or without BOM) or Shift_JIS / CP932 as Japanese Excel writes it; the encoding is
//! detected unless given. The header must name schema fields (any order, optional fields may be missing);
//! an unknown column or a card security code column refuses the whole file. Every row is validated before
//! anything is written, and by default one bad row means nothing is written (all or nothing). With
//! `skip_invalid` the good rows are written and the bad ones are returned as rejects, with their reasons.
//!
//! Error messages name the file, line, column and reason, never the value (it is personal data).

use std::path::Path;

use rayon::prelude::*;

use crate::schema::{self, Schema};
use crate::vault::{input, Values};

/// The text encoding of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    /// UTF-8 if the bytes are valid UTF-8, else Shift_JIS (CP932).
    #[default]
    Auto,
    /// UTF-8, with or without BOM.
    Utf8,
    /// Shift_JIS as written by Japanese Excel (CP932 / Windows-31J).
    ShiftJis,
}

impl std::str::FromStr for Encoding {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
            "auto" => Ok(Encoding::Auto),
            "utf8" => Ok(Encoding::Utf8),
            "shiftjis" | "sjis" | "cp932" | "windows31j" => Ok(Encoding::ShiftJis),
            _ => Err(format!("unknown encoding `{s}` (use auto, utf-8 or shift_jis)")),
        }
    }
}

/// A whole-file problem: nothing was imported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Cannot read the file.
    #[error("cannot read `{file}`: {source}")]
    Io {
        /// File.
        file: String,
        /// Cause.
        source: std::io::Error,
    },
    /// Bytes are not valid in the encoding.
    #[error("{file}:{line}: not valid {encoding} text (save the file as CSV UTF-8, or pass `--encoding shift_jis` for Excel's Japanese CSV)")]
    Encoding {
        /// File.
        file: String,
        /// Line of the first bad byte.
        line: u64,
        /// Expected encoding.
        encoding: &'static str,
    },
    /// UTF-16 files.
    #[error("{file}: UTF-16 text is not supported; save it as \"CSV UTF-8\"")]
    Utf16 {
        /// File.
        file: String,
    },
    /// The file has no header row.
    #[error("{file}: the file is empty (a header row naming the fields is required)")]
    Empty {
        /// File.
        file: String,
    },
    /// A column is not a schema field. Only header names that look like identifiers are repeated: a file
    /// without a header row would otherwise print a person's values.
    #[error("{file}:1: column {column} is not a field of collection `{collection}` (fields: {fields}); is the header row missing?")]
    UnknownColumn {
        /// File.
        file: String,
        /// Column.
        column: String,
        /// Collection.
        collection: String,
        /// Known fields.
        fields: String,
    },
    /// A security code column.
    #[error("{file}:1: column `{column}` holds card security codes; kura never stores them — remove the column")]
    SecurityCode {
        /// File.
        file: String,
        /// Column.
        column: String,
    },
    /// A column appears twice.
    #[error("{file}:1: column `{column}` appears twice")]
    DuplicateColumn {
        /// File.
        file: String,
        /// Column.
        column: String,
    },
    /// A required column is missing.
    #[error("{file}:1: required column `{column}` is missing")]
    MissingColumn {
        /// File.
        file: String,
        /// Column.
        column: String,
    },
    /// Malformed CSV.
    #[error("{file}:{line}: malformed CSV: {reason}")]
    Csv {
        /// File.
        file: String,
        /// Line.
        line: u64,
        /// Why.
        reason: String,
    },
    /// Rows failed validation (and `skip_invalid` was not set).
    #[error("{} invalid row(s); nothing was imported. First problems:\n{}", .0.len(), .0.iter().take(20).map(|r| format!("  {r}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Reject>),
}

/// A row that was refused, with every reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// File name.
    pub file: String,
    /// Line number (1 = header).
    pub line: u64,
    /// The column and reason for each problem.
    pub problems: Vec<input::Problem>,
}

impl std::fmt::Display for Reject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.problems.iter().map(|p| format!("column `{}`: {}", p.field, p.reason)).collect();
        write!(f, "{}:{}: {}", self.file, self.line, parts.join("; "))
    }
}

/// A parsed and validated file.
#[derive(Debug)]
pub struct Parsed {
    /// Good rows.
    pub rows: Vec<Values>,
    /// Line numbers of the good rows.
    pub lines: Vec<u64>,
    /// Bad rows.
    pub rejects: Vec<Reject>,
    /// The encoding that was used.
    pub encoding: &'static str,
}

fn line_of(bytes: &[u8], offset: usize) -> u64 {
    bytes.iter().take(offset).filter(|b| **b == b'\n').count() as u64 + 1
}

/// Decodes file bytes to text.
pub fn decode(file: &str, bytes: &[u8], encoding: Encoding) -> Result<(String, &'static str), Error> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(Error::Utf16 { file: file.to_owned() });
    }
    let utf8 = |b: &[u8]| -> Result<String, Error> {
        let b = b.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(b);
        std::str::from_utf8(b).map(str::to_owned).map_err(|e| Error::Encoding {
            file: file.to_owned(),
            line: line_of(b, e.valid_up_to()),
            encoding: "UTF-8",
        })
    };
    let sjis = |b: &[u8]| -> Result<String, Error> {
        let (text, _, had_errors) = encoding_rs::SHIFT_JIS.decode(b);
        if had_errors {
            let line = text.lines().position(|l| l.contains('\u{FFFD}')).map_or(1, |p| p as u64 + 1);
            return Err(Error::Encoding { file: file.to_owned(), line, encoding: "Shift_JIS" });
        }
        Ok(text.into_owned())
    };
    match encoding {
        Encoding::Utf8 => Ok((utf8(bytes)?, "UTF-8")),
        Encoding::ShiftJis => Ok((sjis(bytes)?, "Shift_JIS")),
        Encoding::Auto => match utf8(bytes) {
            Ok(t) => Ok((t, "UTF-8")),
            Err(utf8_err) => sjis(bytes).map(|t| (t, "Shift_JIS")).map_err(|_| utf8_err),
        },
    }
}

/// A column's name for an error message: the name if it looks like a field name, else its position.
fn column_label(name: &str, position: usize) -> String {
    let plain = !name.is_empty()
        && name.len() <= 40
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !name.chars().all(|c| c.is_ascii_digit() || c == '-');
    if plain {
        format!("`{name}`")
    } else {
        format!("{position}")
    }
}

/// Reads, decodes, parses and validates a CSV file against a schema. Nothing is written.
pub fn read(path: &Path, schema: &Schema, encoding: Encoding) -> Result<Parsed, Error> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| Error::Io { file: file.clone(), source })?;
    parse(&file, &bytes, schema, encoding)
}

/// Parses and validates CSV bytes against a schema. Nothing is written.
pub fn parse(file: &str, bytes: &[u8], schema: &Schema, encoding: Encoding) -> Result<Parsed, Error> {
    let (text, encoding) = decode(file, bytes, encoding)?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(text.as_bytes());
    let csv_err = |e: csv::Error| Error::Csv {
        file: file.to_owned(),
        line: e.position().map_or(1, |p| p.line()),
        reason: match e.kind() {
            csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                format!("row has {len} fields, the header has {expected_len}")
            }
            csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".to_owned(),
            _ => "cannot parse the row (check quoting)".to_owned(),
        },
    };
    let headers = reader.headers().map_err(csv_err)?.clone();
    if headers.is_empty() || headers.iter().all(|h| h.trim().is_empty()) {
        return Err(Error::Empty { file: file.to_owned() });
    }
    // Map columns to schema positions.
    let mut columns: Vec<usize> = Vec::with_capacity(headers.len());
    for h in headers.iter() {
        let name = h.trim();
        if schema::is_security_code_name(name) {
            return Err(Error::SecurityCode { file: file.to_owned(), column: name.to_owned() });
        }
        let pos = schema.position(name).ok_or_else(|| Error::UnknownColumn {
            file: file.to_owned(),
            column: column_label(name, columns.len() + 1),
            collection: schema.name.clone(),
            fields: schema.fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", "),
        })?;
        if columns.contains(&pos) {
            return Err(Error::DuplicateColumn { file: file.to_owned(), column: name.to_owned() });
        }
        columns.push(pos);
    }
    for (pos, f) in schema.fields.iter().enumerate() {
        if f.required && f.derived_from.is_none() && !columns.contains(&pos) {
            return Err(Error::MissingColumn { file: file.to_owned(), column: f.name.clone() });
        }
    }
    let mut records = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(csv_err)?;
        let line = rec.position().map_or(0, |p| p.line());
        records.push((line, rec));
    }
    let n = schema.fields.len();
    let results: Vec<(u64, Result<Values, Vec<input::Problem>>)> = records
        .par_iter()
        .map(|(line, rec)| {
            let mut raw: Vec<Option<&str>> = vec![None; n];
            for (value, pos) in rec.iter().zip(columns.iter()) {
                if let Some(slot) = raw.get_mut(*pos) {
                    *slot = Some(value);
                }
            }
            (*line, input::validate(schema, &raw))
        })
        .collect();
    let mut parsed =
        Parsed { rows: Vec::with_capacity(results.len()), lines: Vec::new(), rejects: Vec::new(), encoding };
    for (line, r) in results {
        match r {
            Ok(v) => {
                parsed.rows.push(v);
                parsed.lines.push(line);
            }
            Err(problems) => parsed.rejects.push(Reject { file: file.to_owned(), line, problems }),
        }
    }
    Ok(parsed)
}

/// Writes rejected rows, with their reasons, as CSV (`line,column,reason`). Values are not copied.
pub fn write_rejects(path: &Path, rejects: &[Reject]) -> std::io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(["line", "column", "reason"])?;
    for r in rejects {
        for p in &r.problems {
            w.write_record([r.line.to_string().as_str(), p.field.as_str(), p.reason.as_str()])?;
        }
    }
    w.flush()
}
