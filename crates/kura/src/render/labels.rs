//! PDF mailing labels: a print job is an export whose file is a sheet of address labels.
//!
//! # Layout
//!
//! The default [`Sheet`] is the common Japanese A4 label stock with 12 labels (A4 12面): 2 columns × 6 rows
//! of 86.4 × 42.3 mm labels, 18.6 mm side margins and 21.6 mm top margin, no gaps. Labels fill the sheet
//! row by row, in the order of the rows. Each label holds, from the top, 4 mm inside its edges:
//!
//! - `〒` and the postal code;
//! - the address columns, each wrapped to the label's width;
//! - the company, then the department;
//! - the name followed by `様`, in a larger size.
//!
//! Values are printed as they are (no normalisation: the notation is the export's fingerprint). Lines are
//! wrapped at any character (Japanese addresses have no spaces to break at); a line does not start with a
//! space. When the text does not fit, the type is made smaller, down to 60 %; past that the row is refused with
//! [`Error::LabelOverflow`] rather than printed cut. Which columns feed the label
//! is set by [`Columns`]; the name and the address columns must be in the export, the postal code, company and
//! department are printed when they are.
//!
//! # Font
//!
//! Text is set in IPAex Gothic from the Debian package `fonts-ipaexfont` ([`DEFAULT_FONT`]; install it with
//! `apt-get install fonts-ipaexfont`; `.ci/run` does). Any TrueType or OpenType font with Japanese glyphs
//! can be named in [`Options::font`] instead. The font is embedded as a subset (only the glyphs the labels use,
//! typically a few tens of kilobytes) with a `ToUnicode` map, so that the text can be searched and copied. A
//! character the font has no glyph for is refused with [`Error::Unprintable`],
//! naming the row and column, never printed as a blank box.
//!
//! The PDF carries no date or random id: the same rows give the same bytes.

use std::path::PathBuf;

use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str};

use super::font::{self, deflate, Font};
use super::{Error, Table};

/// IPAex Gothic as the Debian package `fonts-ipaexfont` installs it.
pub const DEFAULT_FONT: &str = "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf";

const MM: f32 = 72.0 / 25.4;
/// Body and name sizes in points, before shrinking to fit.
const BODY_PT: f32 = 10.0;
const NAME_PT: f32 = 13.0;
/// Line height as a multiple of the type size.
const LEADING: f32 = 1.3;
/// The smallest scale text is shrunk to before a label is refused.
const MIN_SCALE: f32 = 0.6;
const HONORIFIC: &str = "\u{3000}様";
const FONT_KEY: Name<'static> = Name(b"F1");

/// Options for a label print job.
#[derive(Debug, Clone)]
pub struct Options {
    /// The font file (TrueType or OpenType with Japanese glyphs).
    pub font: PathBuf,
    /// The face within a font collection (`.ttc`); 0 for a single font.
    pub font_index: u32,
    /// The label sheet.
    pub sheet: Sheet,
    /// Which columns go where on a label.
    pub columns: Columns,
}

impl Default for Options {
    fn default() -> Self {
        Options { font: PathBuf::from(DEFAULT_FONT), font_index: 0, sheet: Sheet::A4_12, columns: Columns::default() }
    }
}

/// A sheet of labels, in millimetres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sheet {
    /// Page width.
    pub page_width: f32,
    /// Page height.
    pub page_height: f32,
    /// Labels across.
    pub columns: u32,
    /// Labels down.
    pub rows: u32,
    /// Label width.
    pub label_width: f32,
    /// Label height.
    pub label_height: f32,
    /// Left edge of the first column.
    pub left: f32,
    /// Top edge of the first row.
    pub top: f32,
    /// Space between columns.
    pub column_gap: f32,
    /// Space between rows.
    pub row_gap: f32,
    /// Space kept free inside each label's edges.
    pub padding: f32,
}

impl Sheet {
    /// A4, 2 × 6 labels of 86.4 × 42.3 mm (the common 12-label stock).
    pub const A4_12: Sheet = Sheet {
        page_width: 210.0,
        page_height: 297.0,
        columns: 2,
        rows: 6,
        label_width: 86.4,
        label_height: 42.3,
        left: 18.6,
        top: 21.6,
        column_gap: 0.0,
        row_gap: 0.0,
        padding: 4.0,
    };

    fn per_page(&self) -> usize {
        usize::try_from(self.columns.saturating_mul(self.rows)).unwrap_or(usize::MAX)
    }

    fn check(&self) -> Result<(), Error> {
        let dims = [
            self.page_width,
            self.page_height,
            self.label_width,
            self.label_height,
            self.left,
            self.top,
            self.column_gap,
            self.row_gap,
            self.padding,
        ];
        if dims.iter().any(|d| !d.is_finite() || *d < 0.0) || self.columns == 0 || self.rows == 0 {
            return Err(Error::Sheet("dimensions must be positive and there must be at least one label".into()));
        }
        let (cols, rows) = (self.columns as f32, self.rows as f32);
        let width = self.left + cols * self.label_width + (cols - 1.0) * self.column_gap;
        let height = self.top + rows * self.label_height + (rows - 1.0) * self.row_gap;
        if width > self.page_width + 0.01 || height > self.page_height + 0.01 {
            return Err(Error::Sheet("the labels do not fit on the page".into()));
        }
        if 2.0 * self.padding >= self.label_width.min(self.label_height) {
            return Err(Error::Sheet("the padding leaves no room on the label".into()));
        }
        Ok(())
    }
}

/// Which columns of the export go where on a label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    /// Postal code, printed after `〒` (skipped if the export has no such column).
    pub postal_code: String,
    /// Address lines, in order (required).
    pub address: Vec<String>,
    /// Company (skipped if absent).
    pub company: String,
    /// Department (skipped if absent).
    pub department: String,
    /// The addressee's name, printed with `様` (required).
    pub name: String,
}

impl Columns {
    /// Mail to employees at their office, from the corporate schema.
    pub fn corporate_office() -> Self {
        Columns {
            postal_code: "company_postal_code".into(),
            address: vec!["company_address".into()],
            company: "company".into(),
            department: "department".into(),
            name: "user_name".into(),
        }
    }

    /// Mail to employees at home, from the corporate schema (no company or department on the label).
    pub fn corporate_home() -> Self {
        Columns {
            postal_code: "home_postal_code".into(),
            address: vec!["home_address".into()],
            company: String::new(),
            department: String::new(),
            name: "user_name".into(),
        }
    }
}

impl Default for Columns {
    fn default() -> Self {
        Columns::corporate_office()
    }
}

/// Column indexes resolved against the header.
struct Resolved {
    postal_code: Option<usize>,
    address: Vec<usize>,
    company: Option<usize>,
    department: Option<usize>,
    name: usize,
}

impl Resolved {
    fn new(columns: &Columns, header: &[String]) -> Result<Self, Error> {
        let find = |name: &str| header.iter().position(|h| h == name);
        let required = |name: &String| find(name).ok_or_else(|| Error::LabelColumn { column: name.clone() });
        if columns.address.is_empty() {
            return Err(Error::LabelColumn { column: "address".into() });
        }
        Ok(Resolved {
            postal_code: find(&columns.postal_code),
            address: columns.address.iter().map(required).collect::<Result<_, _>>()?,
            company: find(&columns.company),
            department: find(&columns.department),
            name: required(&columns.name)?,
        })
    }
}

fn font_error(problem: font::Problem) -> Error {
    Error::Font { path: problem.path, reason: problem.reason }
}

/// One line of a label: its text and type size at full scale.
struct Line {
    text: String,
    size: f32,
}

/// The label's lines before wrapping, checked against the font.
fn label_lines(
    font: &Font<'_>,
    cols: &Resolved,
    table: Table<'_>,
    r: usize,
    row: &[Option<String>],
) -> Result<Vec<Line>, Error> {
    let value = |i: usize| -> Result<Option<String>, Error> {
        let Some(v) = row.get(i).and_then(|v| v.as_deref()).map(clean).filter(|v| !v.trim().is_empty()) else {
            return Ok(None);
        };
        if v.chars().any(|c| c != '\n' && font.glyph(c).is_none()) {
            return Err(Error::Unprintable { row: r + 1, column: table.column_name(i) });
        }
        Ok(Some(v))
    };
    let mut lines = Vec::new();
    let mut push = |text: &str, size: f32| {
        lines.extend(text.split('\n').filter(|l| !l.trim().is_empty()).map(|l| Line { text: l.to_owned(), size }));
    };
    if let Some(pc) = cols.postal_code.map(value).transpose()?.flatten() {
        push(&if pc.starts_with('〒') { pc } else { format!("〒{pc}") }, BODY_PT);
    }
    for &a in &cols.address {
        if let Some(v) = value(a)? {
            push(&v, BODY_PT);
        }
    }
    for c in [cols.company, cols.department].into_iter().flatten() {
        if let Some(v) = value(c)? {
            push(&v, BODY_PT);
        }
    }
    let name = value(cols.name)?.unwrap_or_default();
    push(&format!("{}{HONORIFIC}", name.replace('\n', " ")), NAME_PT);
    Ok(lines)
}

/// Control characters other than line breaks become spaces; CR is dropped.
fn clean(s: &str) -> String {
    s.chars().filter(|&c| c != '\r').map(|c| if c != '\n' && c.is_control() { ' ' } else { c }).collect()
}

/// Breaks `text` into lines no wider than `width` points at `size`.
fn wrap(font: &Font<'_>, text: &str, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let (mut line, mut w) = (String::new(), 0.0);
    for c in text.chars() {
        let a = font.advance(c) * size;
        if w + a > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
            w = 0.0;
            if c.is_whitespace() {
                continue;
            }
        }
        line.push(c);
        w += a;
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Lines laid out on a label: (text, size), shrunk until they fit, or `None`.
fn fit(font: &Font<'_>, lines: &[Line], width: f32, height: f32) -> Option<Vec<(String, f32)>> {
    let mut scale = 1.0;
    while scale >= MIN_SCALE - 1e-3 {
        let laid: Vec<(String, f32)> = lines
            .iter()
            .flat_map(|l| wrap(font, &l.text, l.size * scale, width).into_iter().map(move |t| (t, l.size * scale)))
            .collect();
        let needed: f32 = laid.iter().map(|(_, s)| s * LEADING).sum();
        if needed <= height {
            return Some(laid);
        }
        scale -= 0.05;
    }
    None
}

/// Renders `table` as a PDF of mailing labels.
pub fn render(table: Table<'_>, options: &Options) -> Result<Vec<u8>, Error> {
    let sheet = options.sheet;
    sheet.check()?;
    let cols = Resolved::new(&options.columns, table.header)?;
    let data = font::load(&options.font).map_err(font_error)?;
    let mut font = Font::new(&data, options.font_index, &options.font).map_err(font_error)?;

    let (width, height) =
        ((sheet.label_width - 2.0 * sheet.padding) * MM, (sheet.label_height - 2.0 * sheet.padding) * MM);
    let ascent = font.ascent();
    let mut pdf = Pdf::new();
    let mut next = 1;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let (catalog, tree, type0, cid, descriptor, cmap, file) =
        (alloc(), alloc(), alloc(), alloc(), alloc(), alloc(), alloc());
    let mut pages = Vec::new();
    let chunks: Vec<&[Vec<Option<String>>]> =
        if table.rows.is_empty() { vec![&[]] } else { table.rows.chunks(sheet.per_page()).collect() };
    for (p, chunk) in chunks.into_iter().enumerate() {
        let mut content = Content::new();
        for (i, row) in chunk.iter().enumerate() {
            let r = p * sheet.per_page() + i;
            let lines = label_lines(&font, &cols, table, r, row)?;
            let laid = fit(&font, &lines, width, height).ok_or(Error::LabelOverflow { row: r + 1 })?;
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            let (col, line) = ((i % sheet.columns) as f32, (i / sheet.columns) as f32);
            let x = (sheet.left + col * (sheet.label_width + sheet.column_gap) + sheet.padding) * MM;
            let mut y =
                (sheet.page_height - sheet.top - line * (sheet.label_height + sheet.row_gap) - sheet.padding) * MM;
            content.begin_text();
            let mut first = true;
            for (text, size) in &laid {
                // The first baseline sits one ascent below the top; each next one a line height lower.
                y -= if first { ascent * size } else { size * LEADING };
                first = false;
                let glyphs = font.encode(text);
                content.set_font(FONT_KEY, *size).set_text_matrix([1.0, 0.0, 0.0, 1.0, x, y]).show(Str(&glyphs));
            }
            content.end_text();
        }
        let (page, contents) = (alloc(), alloc());
        pdf.stream(contents, &deflate(&content.finish())).filter(Filter::FlateDecode);
        let mut page_dict = pdf.page(page);
        page_dict
            .media_box(Rect::new(0.0, 0.0, sheet.page_width * MM, sheet.page_height * MM))
            .parent(tree)
            .contents(contents);
        page_dict.resources().fonts().pair(FONT_KEY, type0);
        page_dict.finish();
        pages.push(page);
    }
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(pages.iter().copied()).count(i32::try_from(pages.len()).unwrap_or(i32::MAX));
    font.embed(&mut pdf, "KURALB", &options.font, [type0, cid, descriptor, cmap, file]).map_err(font_error)?;
    Ok(pdf.finish())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

    use std::path::PathBuf;
    use std::process::Command;

    use super::super::tests::{dark_pixels, pdf_tools, table};
    use super::super::{render as render_any, Format, Options as AllOptions};
    use super::*;

    /// Whether the label tests can run: the font and poppler are installed (see [`pdf_tools`]).
    fn tools() -> bool {
        pdf_tools(true)
    }

    const HEADER: &[&str] =
        &["employee_id", "company", "department", "user_name", "company_postal_code", "company_address"];

    fn people(n: usize) -> (Vec<String>, Vec<Vec<Option<String>>>) {
        let base: [[&str; 6]; 4] = [
            [
                "000001",
                "株式会社テスト商事",
                "営業部第一課",
                "髙橋 一郎",
                "100-0001",
                "東京都千代田区千代田１－１　ＡＢＣビル３Ｆ",
            ],
            [
                "000002",
                "（株）サンプル工業",
                "総務部",
                "山田　花子",
                "060-0001",
                "北海道札幌市中央区北一条西二丁目1番地 札幌時計台前ビルディング 十二階 1203号室",
            ],
            ["000003", "合同会社みらい", "", "佐藤 次郎", "〒530-0001", "大阪府大阪市北区梅田1-2-3"],
            ["000004", "有限会社ＡＢＣ", "開発部", "Smith John", "9000001", "沖縄県那覇市泉崎1丁目2番3号"],
        ];
        let rows: Vec<[Option<&str>; 6]> =
            (0..n).map(|i| base[i % base.len()].map(|v| (!v.is_empty()).then_some(v))).collect();
        let rows: Vec<&[Option<&str>]> = rows.iter().map(|r| &r[..]).collect();
        table(HEADER, &rows)
    }

    fn squash(s: &str) -> String {
        s.chars().filter(|c| !c.is_whitespace()).collect()
    }

    #[test]
    fn labels_render_with_japanese_text() {
        if !tools() {
            return;
        }
        let (h, rows) = people(14);
        let out = render_any(Format::Labels, Table::new(&h, &rows), &AllOptions::default()).unwrap();
        assert!(out.bytes.starts_with(b"%PDF-"));
        assert!(out.bytes.len() < 200_000, "the font must be subset: {} bytes", out.bytes.len());
        let dir = tempfile::tempdir().unwrap();
        let pdf = dir.path().join("labels.pdf");
        std::fs::write(&pdf, &out.bytes).unwrap();

        // Renders: two pages (12 + 2 labels), each with ink on it.
        let png =
            Command::new("pdftoppm").args(["-png", "-r", "50"]).arg(&pdf).arg(dir.path().join("p")).output().unwrap();
        assert!(png.status.success(), "pdftoppm: {}", String::from_utf8_lossy(&png.stderr));
        assert!(png.stderr.is_empty(), "pdftoppm complained: {}", String::from_utf8_lossy(&png.stderr));
        for page in ["p-1.png", "p-2.png"] {
            assert!(std::fs::read(dir.path().join(page)).unwrap().starts_with(b"\x89PNG"), "{page}");
        }
        assert!(!dir.path().join("p-3.png").exists());
        let gray =
            Command::new("pdftoppm").args(["-gray", "-r", "50"]).arg(&pdf).arg(dir.path().join("g")).output().unwrap();
        assert!(gray.status.success());
        let first = dark_pixels(&std::fs::read(dir.path().join("g-1.pgm")).unwrap());
        let second = dark_pixels(&std::fs::read(dir.path().join("g-2.pgm")).unwrap());
        assert!(first > 1000 && second > 100 && first > 3 * second, "dark pixels: {first}, {second}");

        // The text comes back, label by label, in row order.
        let text = Command::new("pdftotext").args(["-raw", "-enc", "UTF-8"]).arg(&pdf).arg("-").output().unwrap();
        assert!(text.status.success());
        let text = squash(&String::from_utf8(text.stdout).unwrap());
        let mut at = 0;
        for row in &rows {
            let expected: String = [4, 5, 1, 2, 3]
                .iter()
                .filter_map(|&c| row[c].as_deref())
                .map(|v| if c_is_postal(v) { format!("〒{}", v.trim_start_matches('〒')) } else { v.to_owned() })
                .collect::<Vec<_>>()
                .concat();
            let expected = squash(&format!("{expected}様"));
            let found = text[at..].find(&expected).unwrap_or_else(|| panic!("`{expected}` not in `{}`", &text[at..]));
            at += found + expected.len();
        }
    }

    fn c_is_postal(v: &str) -> bool {
        v.trim_start_matches('〒').chars().all(|c| c.is_ascii_digit() || c == '-')
    }

    #[test]
    fn labels_are_deterministic_and_refuse_what_they_cannot_print() {
        if !tools() {
            return;
        }
        let (h, mut rows) = people(3);
        let opts = AllOptions::default();
        let a = render_any(Format::Labels, Table::new(&h, &rows), &opts).unwrap();
        let b = render_any(Format::Labels, Table::new(&h, &rows), &opts).unwrap();
        assert_eq!(a.digest, b.digest);

        rows[1][3] = Some("山田 😀".to_owned());
        let err = render_any(Format::Labels, Table::new(&h, &rows), &opts).unwrap_err();
        assert!(matches!(&err, Error::Unprintable { row: 2, column } if column == "user_name"), "{err}");
        assert!(!err.to_string().contains("山田"));

        rows[1][3] = Some("山田".to_owned());
        rows[2][5] = Some("東京都千代田区".repeat(100));
        let err = render_any(Format::Labels, Table::new(&h, &rows), &opts).unwrap_err();
        assert!(matches!(err, Error::LabelOverflow { row: 3 }), "{err}");
    }

    #[test]
    fn labels_shrink_long_addresses_to_fit() {
        if !tools() {
            return;
        }
        let (h, mut rows) = people(1);
        rows[0][5] = Some("東京都千代田区".repeat(8));
        assert!(render_any(Format::Labels, Table::new(&h, &rows), &AllOptions::default()).is_ok());
    }

    #[test]
    fn missing_font_says_how_to_install_it() {
        let (h, rows) = people(1);
        let mut opts = AllOptions::default();
        opts.labels.font = PathBuf::from("/nonexistent/ipaexg.ttf");
        let err = render_any(Format::Labels, Table::new(&h, &rows), &opts).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, Error::Font { .. }));
        assert!(msg.contains("/nonexistent/ipaexg.ttf") && msg.contains("fonts-ipaexfont"), "{msg}");
    }

    #[test]
    fn labels_need_name_and_address_columns() {
        let (h, rows) = people(1);
        let mut opts = AllOptions::default();
        opts.labels.columns = Columns::corporate_home();
        let err = render_any(Format::Labels, Table::new(&h, &rows), &opts).unwrap_err();
        assert!(matches!(&err, Error::LabelColumn { column } if column == "home_address"), "{err}");
    }

    #[test]
    fn sheet_must_fit_the_page() {
        let mut sheet = Sheet::A4_12;
        assert!(sheet.check().is_ok());
        sheet.columns = 3;
        assert!(matches!(sheet.check(), Err(Error::Sheet(_))));
        sheet = Sheet::A4_12;
        sheet.padding = 30.0;
        assert!(sheet.check().is_err());
    }
}
