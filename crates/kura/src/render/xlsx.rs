//! XLSX writer: one worksheet `export`, the header bold and frozen, every value a text cell.
//!
//! Values are written as strings, never as numbers or formulas, so `000123` keeps its zeros and `=1+1` stays
//! text. A missing value is an empty cell. The workbook's creation time comes from the caller, so the same rows
//! give the same bytes.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

use super::{Error, Table};

/// The rows a worksheet holds, header included.
pub const MAX_ROWS: usize = 1_048_576;
/// The characters a cell holds.
pub const MAX_CELL_CHARS: usize = 32_767;

/// Renders `table` as an XLSX workbook. `created` is the creation time in Unix seconds (default 2000-01-01).
pub fn render(table: Table<'_>, created: Option<i64>) -> Result<Vec<u8>, Error> {
    if table.rows.len() >= MAX_ROWS {
        return Err(Error::Xlsx(format!(
            "{} rows do not fit in a worksheet ({} at most, header included)",
            table.rows.len(),
            MAX_ROWS - 1
        )));
    }
    if table.header.len() > 16_384 {
        return Err(Error::Xlsx(format!("{} columns do not fit in a worksheet (16384 at most)", table.header.len())));
    }
    let created = match created {
        Some(t) => ExcelDateTime::from_timestamp(t),
        None => ExcelDateTime::from_ymd(2000, 1, 1),
    }
    .map_err(|_| Error::Xlsx("the creation time is out of range".to_owned()))?;
    let mut book = Workbook::new();
    book.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let sheet = book.add_worksheet();
    sheet.set_name("export").map_err(internal)?;
    let bold = Format::new().set_bold();
    for (c, name) in (0u16..).zip(table.header) {
        sheet.write_string_with_format(0, c, name, &bold).map_err(|e| cell(e, 0, table, c))?;
    }
    sheet.set_freeze_panes(1, 0).map_err(internal)?;
    for (r, row) in (1u32..).zip(table.rows) {
        for (c, value) in (0u16..).zip(row) {
            if let Some(v) = value {
                sheet.write_string(r, c, v).map_err(|e| cell(e, r, table, c))?;
            }
        }
    }
    book.save_to_buffer().map_err(internal)
}

/// An error about one cell: named by row and column, never by value (the writer's own message may quote it).
fn cell(e: XlsxError, row: u32, table: Table<'_>, col: u16) -> Error {
    let column = table.column_name(usize::from(col));
    let what = match e {
        XlsxError::MaxStringLengthExceeded => format!("longer than a cell holds ({MAX_CELL_CHARS} characters)"),
        _ => "cannot be written".to_owned(),
    };
    if row == 0 {
        Error::Xlsx(format!("column name `{column}` {what}"))
    } else {
        Error::Xlsx(format!("row {row}, column `{column}`: the value is {what}"))
    }
}

/// An error that does not come from a value (sheet name, file assembly).
fn internal(e: XlsxError) -> Error {
    Error::Xlsx(format!("the workbook cannot be assembled: {e}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

    use std::io::Cursor;

    use calamine::{Data, Reader, Xlsx};

    use super::super::tests::table;
    use super::super::{render, Format as F, Options};
    use super::*;

    fn sample() -> (Vec<String>, Vec<Vec<Option<String>>>) {
        table(
            &["employee_id", "company", "user_name", "mobile", "company_address", "note"],
            &[
                &[
                    Some("000123"),
                    Some("株式会社テスト商事"),
                    Some("髙橋 一郎"),
                    Some("090-1234-5678"),
                    Some("東京都千代田区千代田１－１"),
                    Some("=HYPERLINK(\"x\")"),
                ],
                &[
                    Some("000124"),
                    None,
                    Some("𠮷田 花子"),
                    Some("09012345678"),
                    Some("大阪府大阪市北区梅田1-2-3"),
                    Some("😀 & <b>"),
                ],
            ],
        )
    }

    fn read_back(bytes: &[u8]) -> Vec<Vec<Option<String>>> {
        let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
        assert_eq!(book.sheet_names(), vec!["export".to_owned()]);
        let range = book.worksheet_range("export").unwrap();
        range
            .rows()
            .map(|row| {
                row.iter()
                    .map(|cell| match cell {
                        Data::Empty => None,
                        Data::String(s) => Some(s.clone()),
                        other => panic!("not a text cell: {other:?}"),
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn xlsx_reads_back_with_calamine() {
        let (h, rows) = sample();
        let out = render(F::Xlsx, Table::new(&h, &rows), &Options::default()).unwrap();
        assert!(out.bytes.starts_with(b"PK"));
        let cells = read_back(&out.bytes);
        assert_eq!(cells[0], h.iter().cloned().map(Some).collect::<Vec<_>>());
        assert_eq!(&cells[1..], &rows[..]);
    }

    #[test]
    fn xlsx_creation_time_comes_from_the_caller() {
        let (h, rows) = sample();
        let opts = |created| Options { created, ..Options::default() };
        let a = render(F::Xlsx, Table::new(&h, &rows), &opts(Some(1_800_000_000))).unwrap();
        let b = render(F::Xlsx, Table::new(&h, &rows), &opts(Some(1_800_000_000))).unwrap();
        let c = render(F::Xlsx, Table::new(&h, &rows), &opts(None)).unwrap();
        assert_eq!(a.digest, b.digest);
        assert_ne!(a.digest, c.digest);
    }

    #[test]
    fn xlsx_too_long_value_names_row_and_column_only() {
        let (h, mut rows) = sample();
        rows[1][4] = Some("長".repeat(MAX_CELL_CHARS + 1));
        let err = render(F::Xlsx, Table::new(&h, &rows), &Options::default()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("row 2") && msg.contains("`company_address`"), "{msg}");
        assert!(!msg.contains('長'), "{msg}");
    }
}
