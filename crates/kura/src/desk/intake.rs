//! Orders arriving as a CSV file (a client company's batch, or the desk's own spreadsheet).
//!
//! # Format
//!
//! A header line, then one order per line. UTF-8 (with or without BOM) or Shift_JIS as Japanese Excel writes
//! it. Columns, in any order, by their English or Japanese name:
//!
//! | column | 列名 | required | value |
//! |---|---|---|---|
//! | `company` | `会社` | yes | the client company, as in principals' assigned companies (any notation; it is normalised) |
//! | `type` | `種別` | yes | `new_line`, `device_change`, `repair`, `battery_shipment`, `cancellation`, `address_change`, `inquiry` |
//! | `people` | `対象者` | yes | the record ids (UUIDs) of the people concerned, separated by `;` or spaces; may be empty for an inquiry |
//! | `priority` | `優先度` | no | `low`, `normal` (the default when empty or absent), `high`, `urgent` |
//!
//! Any other column is an error, not silently dropped: a client who sends a `notes` column full of names
//! must learn that kura did not keep it, and a file meant for another system must not half-load. Empty lines
//! are skipped.
//!
//! # Errors
//!
//! Every problem of the whole file is reported at once, by line and column name, never by value: a cell may
//! hold personal data the client put in the wrong column. A file with any error yields no order.

use std::collections::BTreeSet;

use crate::id::RecordId;

use super::order::{OrderType, Priority};

/// The most orders one file may hold.
pub const MAX_ROWS: usize = 10_000;
/// The most people one order may name.
pub const MAX_PEOPLE: usize = 1_000;

/// One order as read from the file, not yet taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intake {
    /// The file's line the order is on (1 is the header).
    pub line: u64,
    /// The client company as written (the vault normalises it).
    pub company: String,
    /// Order type.
    pub kind: OrderType,
    /// Priority.
    pub priority: Priority,
    /// The people (records) it concerns.
    pub people: Vec<RecordId>,
}

/// One problem in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file's line (1 is the header; 0 when it concerns the whole file).
    pub line: u64,
    /// What is wrong, naming the column, never the value.
    pub message: String,
}

/// Why a file of orders was refused: every problem found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} problem(s) in the orders file, nothing taken: {}", problems.len(), summary(problems))]
pub struct IntakeError {
    /// The problems, in file order.
    pub problems: Vec<Problem>,
}

fn summary(problems: &[Problem]) -> String {
    let mut parts: Vec<String> = problems
        .iter()
        .take(5)
        .map(|p| if p.line == 0 { p.message.clone() } else { format!("line {}: {}", p.line, p.message) })
        .collect();
    if problems.len() > 5 {
        parts.push(format!("and {} more", problems.len() - 5));
    }
    parts.join("; ")
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Column {
    Company,
    Type,
    People,
    Priority,
}

impl Column {
    fn named(header: &str) -> Option<Column> {
        match header.trim().to_lowercase().as_str() {
            "company" | "会社" | "会社名" => Some(Column::Company),
            "type" | "種別" => Some(Column::Type),
            "people" | "対象者" => Some(Column::People),
            "priority" | "優先度" => Some(Column::Priority),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Column::Company => "company",
            Column::Type => "type",
            Column::People => "people",
            Column::Priority => "priority",
        }
    }
}

fn decode(bytes: &[u8]) -> Result<String, IntakeError> {
    crate::import::decode("orders", bytes, crate::import::Encoding::Auto).map(|(text, _)| text).map_err(|e| {
        let line = match e {
            crate::import::Error::Encoding { line, .. } => line,
            _ => 0,
        };
        IntakeError { problems: vec![Problem { line, message: "the file is neither UTF-8 nor Shift_JIS".to_owned() }] }
    })
}

/// Reads a file of orders. See the module docs for the format; any problem refuses the whole file.
pub fn parse(bytes: &[u8]) -> Result<Vec<Intake>, IntakeError> {
    let text = decode(bytes)?;
    let refuse = |line: u64, message: String| IntakeError { problems: vec![Problem { line, message }] };
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|_| refuse(1, "the header line is not CSV".to_owned()))?.clone();
    let mut columns = Vec::new();
    let mut problems = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        match Column::named(h) {
            Some(c) if columns.contains(&Some(c)) => {
                problems.push(Problem { line: 1, message: format!("column {} repeats `{}`", i + 1, c.name()) });
                columns.push(None);
            }
            Some(c) => columns.push(Some(c)),
            None => {
                problems.push(Problem {
                    line: 1,
                    message: format!(
                        "column {} is not an order column (company, type, people, priority; or 会社, 種別, 対象者, 優先度)",
                        i + 1
                    ),
                });
                columns.push(None);
            }
        }
    }
    for required in [Column::Company, Column::Type, Column::People] {
        if !columns.contains(&Some(required)) {
            problems.push(Problem { line: 1, message: format!("the column `{}` is missing", required.name()) });
        }
    }
    if !problems.is_empty() {
        return Err(IntakeError { problems });
    }
    let mut out = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| line_at(&text, p.byte()));
                problems.push(Problem { line, message: "the line is not CSV".to_owned() });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| line_at(&text, p.byte()));
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if out.len() + problems.len() >= MAX_ROWS {
            problems.push(Problem { line, message: format!("more than {MAX_ROWS} orders in one file") });
            break;
        }
        if record.len() != columns.len() {
            problems.push(Problem {
                line,
                message: format!("{} cells where the header has {}", record.len(), columns.len()),
            });
            continue;
        }
        match row(line, &columns, &record) {
            Ok(intake) => out.push(intake),
            Err(mut p) => problems.append(&mut p),
        }
    }
    if !problems.is_empty() {
        return Err(IntakeError { problems });
    }
    if out.is_empty() {
        return Err(refuse(0, "the file holds no orders".to_owned()));
    }
    Ok(out)
}

/// The line a record starting at a byte offset is on. The CSV reader's own line count, and its offset, fall
/// before the empty lines it skips, so those are stepped over first.
fn line_at(text: &str, byte: u64) -> u64 {
    let bytes = text.as_bytes();
    let mut end = usize::try_from(byte).unwrap_or(usize::MAX).min(bytes.len());
    while bytes.get(end).is_some_and(|b| *b == b'\n' || *b == b'\r') {
        end += 1;
    }
    bytes.iter().take(end).filter(|b| **b == b'\n').count() as u64 + 1
}

fn row(line: u64, columns: &[Option<Column>], record: &csv::StringRecord) -> Result<Intake, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut bad = |message: String| problems.push(Problem { line, message });
    let (mut company, mut kind, mut people, mut priority) = (None, None, Vec::new(), Priority::Normal);
    let mut unreadable = false;
    for (column, cell) in columns.iter().zip(record.iter()) {
        let cell = cell.trim();
        match column {
            Some(Column::Company) if cell.is_empty() => bad("`company` is empty".to_owned()),
            Some(Column::Company) => company = Some(cell.to_owned()),
            Some(Column::Type) => match OrderType::parse(cell) {
                Some(k) => kind = Some(k),
                None => bad("`type` is not an order type".to_owned()),
            },
            Some(Column::Priority) if cell.is_empty() => {}
            Some(Column::Priority) => match Priority::ALL.into_iter().find(|p| p.as_str() == cell) {
                Some(p) => priority = p,
                None => bad("`priority` is not low, normal, high or urgent".to_owned()),
            },
            Some(Column::People) => {
                let mut seen = BTreeSet::new();
                for part in cell.split(|c: char| c == ';' || c.is_whitespace()).filter(|p| !p.is_empty()) {
                    match part.parse::<RecordId>() {
                        Ok(id) if seen.insert(id) => people.push(id),
                        Ok(_) => {}
                        Err(_) => {
                            bad("`people` holds something that is not a record id".to_owned());
                            unreadable = true;
                            break;
                        }
                    }
                }
                if people.len() > MAX_PEOPLE {
                    bad(format!("`people` names more than {MAX_PEOPLE} people"));
                }
            }
            None => {}
        }
    }
    if let Some(k) = kind {
        if people.is_empty() && !unreadable && k != OrderType::Inquiry {
            bad(format!("`people` is empty; a {} order is about someone", k.as_str()));
        }
    }
    match (company, kind) {
        (Some(company), Some(kind)) if problems.is_empty() => Ok(Intake { line, company, kind, priority, people }),
        _ => Err(problems),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const A: &str = "00000000-0000-4000-8000-000000000001";
    const B: &str = "00000000-0000-4000-8000-000000000002";

    #[test]
    fn reads_orders_in_english_or_japanese_columns_and_either_encoding() {
        let text = format!(
            "type,company,people,priority\nbattery_shipment,株式会社サンプル,{A};{B},urgent\n\ninquiry,㈱サンプル,,\n"
        );
        let orders = parse(text.as_bytes()).unwrap();
        assert_eq!(orders.len(), 2);
        assert_eq!(orders[0].kind, OrderType::BatteryShipment);
        assert_eq!(orders[0].priority, Priority::Urgent);
        assert_eq!(orders[0].people, vec![A.parse().unwrap(), B.parse().unwrap()]);
        assert_eq!((orders[0].line, orders[1].line), (2, 4));
        assert_eq!((orders[1].kind, orders[1].priority), (OrderType::Inquiry, Priority::Normal));
        assert!(orders[1].people.is_empty());

        let ja = format!("会社,種別,対象者\n株式会社サンプル,repair,{A} {A}\n");
        let (sjis, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&ja);
        assert!(!unmappable);
        let orders = parse(&sjis).unwrap();
        assert_eq!(orders[0].company, "株式会社サンプル");
        assert_eq!(orders[0].people, vec![A.parse().unwrap()], "a person named twice is one person");
    }

    #[test]
    fn every_problem_is_reported_by_line_and_column_never_by_value() {
        let secret = "山田太郎";
        let text = format!(
            "company,type,people\n\
             株式会社サンプル,teleport,{A}\n\
             株式会社サンプル,repair,{secret}\n\
             ,repair,{A}\n\
             株式会社サンプル,repair,\n\
             株式会社サンプル,repair\n"
        );
        let err = parse(text.as_bytes()).unwrap_err();
        let lines: Vec<u64> = err.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 5, 6], "{err}");
        let message = err.to_string();
        assert!(!message.contains(secret) && !message.contains("teleport"), "{message}");
        assert!(message.contains("line 3: `people` holds something that is not a record id"), "{message}");
    }

    #[test]
    fn unknown_or_missing_columns_refuse_the_file() {
        let err = parse(format!("company,type,people,notes\nX,repair,{A},山田様\n").as_bytes()).unwrap_err();
        assert_eq!(err.problems.len(), 1);
        assert!(err.problems[0].message.starts_with("column 4 is not an order column"), "{err}");
        assert!(!err.to_string().contains("notes"), "header cells may be personal data too: {err}");
        let err = parse(b"company,people\nX,\n").unwrap_err();
        assert!(err.to_string().contains("the column `type` is missing"), "{err}");
        let err = parse(b"company,type,people\n").unwrap_err();
        assert!(err.to_string().contains("no orders"), "{err}");
        let err = parse(&[0x82, 0xA0, 0xFF, 0xFF, b'\n']).unwrap_err();
        assert!(err.to_string().contains("neither UTF-8 nor Shift_JIS"), "{err}");
    }
}
