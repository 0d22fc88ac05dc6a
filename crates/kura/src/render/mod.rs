//! Rendering exported rows into files: CSV (UTF-8 with BOM, or Shift_JIS/CP932), XLSX and PDF mailing labels.
//!
//! The input is a header (field names) and rows of optional strings that the caller has already decrypted and
//! fingerprinted; this module does not change a value, it only writes it down. Every writer also returns the
//! SHA-256 [`Digest`] of the bytes it wrote, which the export's manifest records. Output is deterministic: the
//! same rows, format and options give the same bytes, so a file can be rendered again and checked against its
//! manifest.
//!
//! # Formats
//!
//! - [`Format::CsvUtf8`]: RFC 4180 CSV, UTF-8 with a byte-order mark (so that Excel does not guess the
//!   encoding), CRLF line ends, a header line, empty field for a missing value.
//! - [`Format::CsvShiftJis`]: the same in Shift_JIS as Japanese Excel reads and writes it (CP932 / Windows-31J,
//!   including the NEC and IBM extensions, e.g. `①`, `㈱`, `髙`), without BOM. A value with a character CP932
//!   cannot hold (e.g. `𠮷`, emoji, accented Latin; also `¥`, `‾` and U+2212 `−`, which the encoder would write
//!   as `\`, `~` and `－`) is refused with [`Error::Unrepresentable`], naming the row and column but never the
//!   value; nothing is replaced silently, because a `?` in an address would make the file quietly wrong. A
//!   Shift_JIS file therefore reads back to exactly the values given.
//! - [`Format::Xlsx`]: one worksheet `export`, the header in bold and frozen, every value a text cell (postal
//!   codes and phone numbers keep their leading zeros; a value starting with `=` stays text and is never a
//!   formula).
//! - [`Format::Labels`]: a print job of mailing labels, see [`labels`] for the sheet layout and the font.
//!
//! CSV files are not guarded against spreadsheet formula injection (a value starting with `=`, `+`, `-` or
//! `@`): prefixing a quote would change the value and break its canonical form. Values come from validated
//! vault fields; where a free-text field may hold such a value, prefer XLSX.
//!
//! # Errors
//!
//! Messages name the row (1-based, the header not counted) and the column, never a value: the values are
//! personal data.

pub mod csv;
pub mod document;
mod font;
pub mod labels;
pub mod xlsx;

use std::fmt;
use std::io::{self, Write};

use sha2::{Digest as _, Sha256};

/// A file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// CSV, UTF-8 with BOM.
    CsvUtf8,
    /// CSV, Shift_JIS/CP932 (what Japanese Excel opens).
    CsvShiftJis,
    /// An Excel workbook.
    Xlsx,
    /// PDF mailing labels (a print job).
    Labels,
}

impl Format {
    /// The usual file name extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::CsvUtf8 | Format::CsvShiftJis => "csv",
            Format::Xlsx => "xlsx",
            Format::Labels => "pdf",
        }
    }

    /// The media type to send the file with.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::CsvUtf8 => "text/csv; charset=utf-8",
            Format::CsvShiftJis => "text/csv; charset=shift_jis",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Labels => "application/pdf",
        }
    }
}

/// What to render: field names and rows of values (`None` is a missing value).
#[derive(Clone, Copy)]
pub struct Table<'a> {
    /// Field names, one per column.
    pub header: &'a [String],
    /// Rows, each as wide as the header.
    pub rows: &'a [Vec<Option<String>>],
}

impl fmt::Debug for Table<'_> {
    // The rows are personal data: only their shape is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Table").field("header", &self.header).field("rows", &self.rows.len()).finish()
    }
}

impl<'a> Table<'a> {
    /// A table; [`render`] checks that every row is as wide as the header.
    pub fn new(header: &'a [String], rows: &'a [Vec<Option<String>>]) -> Self {
        Table { header, rows }
    }

    /// The name of column `index`, for error messages.
    fn column_name(&self, index: usize) -> String {
        self.header.get(index).cloned().unwrap_or_else(|| format!("#{}", index + 1))
    }

    fn check_widths(&self) -> Result<(), Error> {
        for (i, row) in self.rows.iter().enumerate() {
            if row.len() != self.header.len() {
                return Err(Error::RowWidth { row: i + 1, expected: self.header.len(), found: row.len() });
            }
        }
        Ok(())
    }
}

/// Options that only some formats read.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Creation time written into an XLSX file's document properties, in Unix seconds (the export's creation
    /// time, say). `None` writes 2000-01-01 00:00 UTC. Either way the file does not depend on the clock.
    pub created: Option<i64>,
    /// Label sheet, font and columns for [`Format::Labels`].
    pub labels: labels::Options,
}

/// The SHA-256 digest of a rendered file. Displays as lowercase hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digest(pub [u8; 32]);

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

/// A rendered file and its digest.
#[derive(Clone)]
pub struct Rendered {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// SHA-256 of `bytes`.
    pub digest: Digest,
}

impl fmt::Debug for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rendered").field("len", &self.bytes.len()).field("digest", &self.digest).finish()
    }
}

/// Why a file could not be rendered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A row is not as wide as the header.
    #[error("row {row} has {found} fields, the header has {expected}")]
    RowWidth {
        /// 1-based row number, the header not counted.
        row: usize,
        /// Fields in the header.
        expected: usize,
        /// Fields in the row.
        found: usize,
    },
    /// A value has a character the target encoding cannot hold.
    #[error("row {row}, column `{column}`: the value has a character that Shift_JIS (CP932) cannot hold")]
    Unrepresentable {
        /// 1-based row number, the header not counted.
        row: usize,
        /// Column name.
        column: String,
    },
    /// A header name has a character the target encoding cannot hold.
    #[error("column `{column}`: the name has a character that Shift_JIS (CP932) cannot hold")]
    UnrepresentableHeader {
        /// Column name.
        column: String,
    },
    /// The workbook has more rows than a worksheet can hold, or a value is longer than a cell can hold.
    #[error("{0}")]
    Xlsx(String),
    /// The label font is missing or unusable.
    #[error("label font `{path}`: {reason}")]
    Font {
        /// The font file's path.
        path: String,
        /// What is wrong, with a hint at the fix.
        reason: String,
    },
    /// The font has no glyph for a character of a value.
    #[error("row {row}, column `{column}`: the label font has no glyph for a character of the value")]
    Unprintable {
        /// 1-based row number, the header not counted.
        row: usize,
        /// Column name.
        column: String,
    },
    /// A label's text does not fit on the label even at the smallest type size.
    #[error("row {row}: the label's text does not fit on a label even at the smallest type size")]
    LabelOverflow {
        /// 1-based row number, the header not counted.
        row: usize,
    },
    /// A column the labels need is not in the header.
    #[error("labels need the column `{column}`, which the export does not have")]
    LabelColumn {
        /// The missing column.
        column: String,
    },
    /// The label sheet's dimensions are unusable.
    #[error("label sheet: {0}")]
    Sheet(String),
    /// Writing the output failed.
    #[error("writing the file: {0}")]
    Io(#[from] io::Error),
}

/// Renders `table` as `format` into memory.
pub fn render(format: Format, table: Table<'_>, options: &Options) -> Result<Rendered, Error> {
    let mut bytes = Vec::new();
    let digest = write(format, table, options, &mut bytes)?;
    Ok(Rendered { bytes, digest })
}

/// Renders `table` as `format` into `out` and returns the digest of what was written. On error, part of the
/// file may have been written: the caller discards it.
pub fn write<W: Write>(format: Format, table: Table<'_>, options: &Options, out: W) -> Result<Digest, Error> {
    table.check_widths()?;
    let mut out = Hashing::new(out);
    match format {
        Format::CsvUtf8 => csv::write_utf8(table, &mut out)?,
        Format::CsvShiftJis => csv::write_shift_jis(table, &mut out)?,
        Format::Xlsx => out.write_all(&xlsx::render(table, options.created)?)?,
        Format::Labels => out.write_all(&labels::render(table, &options.labels)?)?,
    }
    out.flush()?;
    Ok(out.finish())
}

/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Hashing<W> {
    fn new(inner: W) -> Self {
        Hashing { inner, hash: Sha256::new() }
    }

    fn finish(self) -> Digest {
        Digest(self.hash.finalize().into())
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(buf.get(..n).unwrap_or(buf));
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

    use super::*;

    pub(super) fn table(header: &[&str], rows: &[&[Option<&str>]]) -> (Vec<String>, Vec<Vec<Option<String>>>) {
        (
            header.iter().map(|s| (*s).to_owned()).collect(),
            rows.iter().map(|r| r.iter().map(|v| v.map(str::to_owned)).collect()).collect(),
        )
    }

    /// Whether the PDF tests can run: the font (Debian `fonts-ipaexfont`) and, with `poppler`, poppler's
    /// `pdftoppm`/`pdftotext` (Debian `poppler-utils`) are installed. When they are not, the test fails if
    /// `KURA_TEST_REQUIRE_PDF=1` (CI sets it) and is skipped with a note otherwise.
    pub(super) fn pdf_tools(poppler: bool) -> bool {
        let font = std::path::Path::new(labels::DEFAULT_FONT).exists();
        let poppler_there = !poppler
            || ["pdftoppm", "pdftotext"].iter().all(|t| {
                std::process::Command::new(t)
                    .arg("-v")
                    .output()
                    .is_ok_and(|o| o.status.success() || !o.stderr.is_empty())
            });
        if font && poppler_there {
            return true;
        }
        let missing = format!(
            "{}{}",
            if font { "" } else { "the font (Debian package fonts-ipaexfont) " },
            if poppler_there { "" } else { "poppler (Debian package poppler-utils)" }
        );
        if std::env::var("KURA_TEST_REQUIRE_PDF").is_ok_and(|v| v == "1") {
            panic!("KURA_TEST_REQUIRE_PDF=1 but {missing} is missing");
        }
        eprintln!("note: PDF test skipped, {missing} is missing (apt-get install fonts-ipaexfont poppler-utils)");
        false
    }

    /// Dark pixels in a binary PGM (P5, 8-bit) as `pdftoppm -gray` writes it.
    pub(super) fn dark_pixels(pgm: &[u8]) -> usize {
        pixels(pgm).iter().filter(|&&p| p < 128).count()
    }

    /// The pixel bytes of a binary PGM or PPM (P5 gray or P6 RGB, 8-bit), as `pdftoppm` writes them.
    pub(super) fn pixels(pgm: &[u8]) -> &[u8] {
        // Header: "P5\n<w> <h>\n255\n"; the three whitespace-separated tokens after the magic end it.
        assert!(pgm.starts_with(b"P5") || pgm.starts_with(b"P6"), "not a binary PGM or PPM");
        let mut fields = 0;
        let mut i = 2;
        while fields < 3 {
            while pgm[i].is_ascii_whitespace() {
                i += 1;
            }
            while !pgm[i].is_ascii_whitespace() {
                i += 1;
            }
            fields += 1;
        }
        &pgm[i + 1..]
    }

    #[test]
    fn digest_is_sha256_of_the_bytes() {
        let (h, r) = table(&["a"], &[&[Some("x")]]);
        let out = render(Format::CsvUtf8, Table::new(&h, &r), &Options::default()).unwrap();
        assert_eq!(out.digest.0, <[u8; 32]>::from(Sha256::digest(&out.bytes)));
        assert_eq!(out.digest.to_string().len(), 64);
    }

    #[test]
    fn ragged_rows_are_refused() {
        let (h, r) = table(&["a", "b"], &[&[Some("x"), None], &[Some("y")]]);
        let err = render(Format::CsvUtf8, Table::new(&h, &r), &Options::default()).unwrap_err();
        assert!(matches!(err, Error::RowWidth { row: 2, expected: 2, found: 1 }), "{err}");
    }
}
