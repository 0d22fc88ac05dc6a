//! CSV writers: UTF-8 with BOM, and Shift_JIS/CP932 as Japanese Excel reads it.
//!
//! Both use CRLF line ends, quote a field only when it holds a quote, a comma or a line break, and write a
//! missing value as an empty field. Shift_JIS is encoded field by field before the CSV writer sees it: every
//! CP932 trail byte is at least 0x40, so no encoded character can be mistaken for a quote, a comma or a line
//! break, and a value CP932 cannot hold is caught with its row and column. Every file written reads back to
//! exactly the values given.

use std::borrow::Cow;
use std::io::Write;

use encoding_rs::SHIFT_JIS;

use super::{Error, Table};

const BOM: &[u8] = b"\xEF\xBB\xBF";

fn writer<W: Write>(out: W) -> ::csv::Writer<W> {
    ::csv::WriterBuilder::new().terminator(::csv::Terminator::CRLF).from_writer(out)
}

/// Writes `table` as UTF-8 CSV with a byte-order mark.
pub fn write_utf8<W: Write>(table: Table<'_>, mut out: W) -> Result<(), Error> {
    out.write_all(BOM)?;
    let mut w = writer(out);
    w.write_record(table.header).map_err(std::io::Error::from)?;
    for row in table.rows {
        w.write_record(row.iter().map(|v| v.as_deref().unwrap_or(""))).map_err(std::io::Error::from)?;
    }
    w.flush()?;
    Ok(())
}

/// Writes `table` as Shift_JIS (CP932) CSV. A value with a character CP932 cannot hold is refused with
/// [`Error::Unrepresentable`].
pub fn write_shift_jis<W: Write>(table: Table<'_>, out: W) -> Result<(), Error> {
    let mut w = writer(out);
    let mut header = Vec::with_capacity(table.header.len());
    for name in table.header {
        header.push(encode(name).ok_or_else(|| Error::UnrepresentableHeader { column: name.clone() })?);
    }
    w.write_record(&header).map_err(std::io::Error::from)?;
    let mut fields: Vec<Cow<'_, [u8]>> = Vec::with_capacity(table.header.len());
    for (r, row) in table.rows.iter().enumerate() {
        fields.clear();
        for (c, value) in row.iter().enumerate() {
            let value = value.as_deref().unwrap_or("");
            let bytes =
                encode(value).ok_or_else(|| Error::Unrepresentable { row: r + 1, column: table.column_name(c) })?;
            fields.push(bytes);
        }
        w.write_record(&fields).map_err(std::io::Error::from)?;
    }
    w.flush()?;
    Ok(())
}

/// Characters the Shift_JIS encoder writes as another character's bytes (`¥` as `\\`, `‾` as `~`, `−` U+2212 as
/// `－` U+FF0D): the file would read back different, so they are refused like unmappable ones.
const LOSSY: &[char] = &['\u{A5}', '\u{203E}', '\u{2212}'];

/// `s` in CP932, or `None` if it has a character CP932 cannot hold as itself. (encoding_rs's `Shift_JIS` is
/// the WHATWG one, which is CP932: NEC and IBM extensions included.)
fn encode(s: &str) -> Option<Cow<'_, [u8]>> {
    let (bytes, _, unmappable) = SHIFT_JIS.encode(s);
    (!unmappable && !s.contains(LOSSY)).then_some(bytes)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

    use super::super::tests::table;
    use super::super::{render, Format, Options};
    use super::*;

    fn sample() -> (Vec<String>, Vec<Vec<Option<String>>>) {
        table(
            &["employee_id", "company", "user_name", "company_postal_code", "company_address", "note"],
            &[
                &[
                    Some("000123"),
                    Some("株式会社テスト商事"),
                    Some("髙橋 一郎"),
                    Some("100-0001"),
                    Some("東京都千代田区千代田１－１　ＡＢＣビル３Ｆ"),
                    Some("comma, \"quote\"\r\nnew line ①㈱～－"),
                ],
                &[
                    Some("000124"),
                    None,
                    Some("山田　花子"),
                    Some("0600001"),
                    Some("北海道札幌市中央区北一条西2-1"),
                    Some(""),
                ],
                &[Some("=1+1"), Some("（株）ｶﾅ"), Some("佐藤 次郎"), None, None, Some("\\100 ~ ～ －")],
            ],
        )
    }

    /// Parses CSV bytes (already decoded to UTF-8) back into header and rows, empty fields as `None`.
    fn parse(text: &str) -> (Vec<String>, Vec<Vec<Option<String>>>) {
        let mut r = ::csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
        let header = r.headers().unwrap().iter().map(str::to_owned).collect();
        let rows = r
            .records()
            .map(|rec| rec.unwrap().iter().map(|f| (!f.is_empty()).then(|| f.to_owned())).collect())
            .collect();
        (header, rows)
    }

    /// The rows as they come back: an empty string and a missing value are the same in CSV.
    fn as_read(rows: &[Vec<Option<String>>]) -> Vec<Vec<Option<String>>> {
        rows.iter().map(|r| r.iter().map(|v| v.clone().filter(|s| !s.is_empty())).collect()).collect()
    }

    #[test]
    fn utf8_round_trips_with_bom_and_crlf() {
        let (h, rows) = sample();
        let out = render(Format::CsvUtf8, Table::new(&h, &rows), &Options::default()).unwrap();
        assert!(out.bytes.starts_with(BOM));
        assert!(out.bytes.windows(2).any(|w| w == b"\r\n"));
        let text = std::str::from_utf8(&out.bytes[BOM.len()..]).unwrap();
        let (header, back) = parse(text);
        assert_eq!(header, h);
        assert_eq!(back, as_read(&rows));
    }

    #[test]
    fn shift_jis_round_trips() {
        let (h, rows) = sample();
        let out = render(Format::CsvShiftJis, Table::new(&h, &rows), &Options::default()).unwrap();
        assert!(!out.bytes.starts_with(BOM));
        assert!(std::str::from_utf8(&out.bytes).is_err(), "the file must really be Shift_JIS");
        let (text, _, bad) = SHIFT_JIS.decode(&out.bytes);
        assert!(!bad);
        let (header, back) = parse(&text);
        assert_eq!(header, h);
        assert_eq!(back, as_read(&rows));
    }

    #[test]
    fn shift_jis_refuses_what_cp932_cannot_hold_naming_row_and_column_not_value() {
        let (h, mut rows) = sample();
        rows[1][4] = Some("東京都𠮷野町".to_owned());
        let err = render(Format::CsvShiftJis, Table::new(&h, &rows), &Options::default()).unwrap_err();
        assert!(matches!(&err, Error::Unrepresentable { row: 2, column } if column == "company_address"), "{err}");
        let msg = err.to_string();
        assert!(msg.contains("row 2") && msg.contains("`company_address`"), "{msg}");
        assert!(!msg.contains("𠮷") && !msg.contains("東京"), "the message must not show the value: {msg}");

        for bad in ["café", "😀", "\u{301C}"] {
            rows[1][4] = Some(bad.to_owned());
            assert!(render(Format::CsvShiftJis, Table::new(&h, &rows), &Options::default()).is_err(), "{bad}");
        }
        // UTF-8 takes anything.
        assert!(render(Format::CsvUtf8, Table::new(&h, &rows), &Options::default()).is_ok());
    }

    #[test]
    fn shift_jis_refuses_characters_it_would_write_as_others() {
        // U+2212 would be written as U+FF0D, `¥` as `\\`, `‾` as `~`: the file would not read back the same.
        let h = vec!["phone".to_owned()];
        for lossy in ["03\u{2212}1234", "\u{A5}100", "a\u{203E}"] {
            let rows = vec![vec![Some(lossy.to_owned())]];
            let err = render(Format::CsvShiftJis, Table::new(&h, &rows), &Options::default()).unwrap_err();
            assert!(matches!(err, Error::Unrepresentable { row: 1, .. }), "{lossy}");
        }
    }

    #[test]
    fn output_is_deterministic() {
        let (h, rows) = sample();
        for f in [Format::CsvUtf8, Format::Xlsx] {
            let a = render(f, Table::new(&h, &rows), &Options::default()).unwrap();
            let b = render(f, Table::new(&h, &rows), &Options::default()).unwrap();
            assert_eq!(a.digest, b.digest, "{f:?}");
        }
    }
}
