//! A [`Document`] as a PDF to print and sign; the layout is described at [`to_pdf`].

use std::path::Path;

use pdf_writer::types::TextRenderingMode;
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use super::super::font::{self, deflate, Font};
use super::{fill_label, Block, Document, Inline};

/// Why a document could not be rendered as PDF.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The font is missing or unusable.
    #[error("font `{path}`: {reason}")]
    Font {
        /// The font file's path.
        path: String,
        /// What is wrong, with a hint at the fix.
        reason: String,
    },
    /// The font has no glyph for a character of the title.
    #[error("the title has a character the font has no glyph for")]
    UnprintableTitle,
    /// The font has no glyph for a character of a block.
    #[error("block {block} (a {kind}) has a character the font has no glyph for")]
    Unprintable {
        /// 1-based number of the block, the title not counted.
        block: usize,
        /// `heading`, `paragraph`, `list` or `table`.
        kind: &'static str,
    },
}

impl From<font::Problem> for Error {
    fn from(problem: font::Problem) -> Self {
        Error::Font { path: problem.path, reason: problem.reason }
    }
}

const MM: f32 = 72.0 / 25.4;
const PAGE_WIDTH: f32 = 210.0 * MM;
const PAGE_HEIGHT: f32 = 297.0 * MM;
const MARGIN: f32 = 20.0 * MM;
const TOP: f32 = PAGE_HEIGHT - MARGIN;
const TEXT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
/// Type sizes in points.
const TITLE_PT: f32 = 18.0;
const HEADING_PT: [f32; 3] = [14.0, 12.5, 11.5];
const BODY_PT: f32 = 10.5;
const TABLE_PT: f32 = 9.5;
const FOOTER_PT: f32 = 9.0;
/// Line height as a multiple of the type size.
const LEADING: f32 = 1.6;
const TABLE_LEADING: f32 = 1.45;
const HEADING_LEADING: f32 = 1.35;
/// Space inside a table cell, in points.
const CELL_PAD: f32 = 3.5;
/// The share of the text width that the first column of a two-column table gets.
const KEY_COLUMN: f32 = 0.3;
/// Stroke width for emboldened text, as a share of the type size.
const BOLD_STROKE: f32 = 0.03;
const FONT_KEY: Name<'static> = Name(b"F1");

/// Characters a line must not start with.
const NO_START: &str = concat!(
    "、。，．・：；？！‼⁇ー―‐～）」』】〕〉》］｝〙〗ゝゞヽヾ々",
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ",
    ",.:;!?)]}%",
);
/// Characters a line must not end with.
const NO_END: &str = "（「『【〔〈《［｛〘〖([{";

/// How a character is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Bold,
    /// A blank: emboldened, on a yellow box.
    Fill,
}

type Line = Vec<(char, Style)>;

/// Renders `doc` as an A4 PDF set in the font at `font` (a TrueType or OpenType file with Japanese glyphs,
/// such as [`crate::render::labels::DEFAULT_FONT`]; the first face of a collection).
///
/// # Layout
///
/// A4 portrait with 20 mm margins. The title is set at 18 pt over a rule, headings at 14, 12.5 and 11.5 pt,
/// body text at 10.5 pt with 1.6 line spacing, tables at 9.5 pt. There is one font and no bold face, so
/// headings, table headers, [`Inline::Strong`] and blanks are emboldened by stroking the glyph outlines.
///
/// Lines are wrapped to the text width: at any character between Japanese (CJK) characters, at spaces
/// between Latin words (a word longer than the line is cut), and never before a closing mark such as `、`,
/// `。`, `）` or `」`, nor after an opening one (a simple 禁則 rule). A line break in the text starts a new
/// line. Lists are bulleted and indented. A table spans the text width; a two-column "item / content" table
/// gives its first column 30 %, wider tables share the width equally. Cell text wraps inside its cell; a row
/// that does not fit on the page moves to the next one (a row taller than a page is split between pages),
/// and the header row is repeated on every page the table runs over. A heading is kept with the first lines
/// of what follows it. Each page carries `n / N` at the bottom.
///
/// A blank ([`Inline::Fill`]) is printed in brackets, `【要記入: …】` or `[TO FILL: …]`, on a light yellow box
/// with an amber frame, so that it shows on screen and in black-and-white print alike.
///
/// # Font and text
///
/// Text is set in the TrueType or OpenType font given (IPAex Gothic, [`crate::render::labels::DEFAULT_FONT`],
/// as for labels), embedded as a subset with a `ToUnicode` map, so that the text can be searched,
/// copied and extracted (`pdftotext`). A character the font has no glyph for is refused with
/// [`Error::Unprintable`], naming the block but not its text, never printed as a blank box. The PDF's
/// `/Info` carries the title and its catalog the language (`/Lang`); there is no date and no random id, so
/// the same document gives the same bytes.
pub fn to_pdf(doc: &Document, font: &Path) -> Result<Vec<u8>, Error> {
    let data = font::load(font)?;
    let mut face = Font::new(&data, 0, font)?;
    check(doc, &face)?;
    let pages = layout(doc, &face);
    write(doc, &mut face, font, &pages)
}

/// Refuses a document with a character the font cannot show, naming the block.
fn check(doc: &Document, font: &Font<'_>) -> Result<(), Error> {
    let ja = doc.japanese();
    let printable = |text: &str| text.chars().all(|c| c.is_control() || font.has(c));
    let line = |l: &[Inline]| l.iter().all(|i| printable(&piece(i, ja).0));
    if !printable(&doc.title) {
        return Err(Error::UnprintableTitle);
    }
    for (i, block) in doc.blocks.iter().enumerate() {
        let (ok, kind) = match block {
            Block::Heading(_, text) => (printable(text), "heading"),
            Block::Paragraph(l) => (line(l), "paragraph"),
            Block::List(items) => (items.iter().all(|l| line(l)), "list"),
            Block::Table { header, rows } => {
                (header.iter().all(|h| printable(h)) && rows.iter().flatten().all(|l| line(l)), "table")
            }
        };
        if !ok {
            return Err(Error::Unprintable { block: i + 1, kind });
        }
    }
    Ok(())
}

/// The text an inline piece prints and its style.
fn piece(inline: &Inline, ja: bool) -> (String, Style) {
    match inline {
        Inline::Text(t) => (t.clone(), Style::Plain),
        Inline::Strong(t) => (t.clone(), Style::Bold),
        Inline::Fill(what) => (fill_label(ja, &what.replace(['\r', '\n'], " ")), Style::Fill),
    }
}

/// Characters with their styles; CR LF and CR as LF, other control characters as spaces.
fn styled(pieces: impl IntoIterator<Item = (String, Style)>) -> Line {
    let mut out = Vec::new();
    for (text, style) in pieces {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        out.extend(text.chars().map(|c| (if c != '\n' && c.is_control() { ' ' } else { c }, style)));
    }
    out
}

fn inline_line(line: &[Inline], ja: bool) -> Line {
    styled(line.iter().map(|i| piece(i, ja)))
}

/// Text all in one style, on one line.
fn plain(text: &str, style: Style) -> Line {
    styled([(text.replace(['\r', '\n'], " "), style)])
}

fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{2E80}'..='\u{9FFF}'
        | '\u{AC00}'..='\u{D7AF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{FE30}'..='\u{FE4F}'
        | '\u{FF00}'..='\u{FFEF}'
        | '\u{20000}'..='\u{3FFFF}')
}

/// What a line can be broken around.
enum Cluster {
    /// Characters that stay on one line: a Latin word, a CJK character with the closing marks after it or
    /// the opening marks before it.
    Word(Line),
    /// A space: a break opportunity, dropped at a line's start and end.
    Space((char, Style)),
    /// A line break in the text.
    Break,
}

fn clusters(text: &[(char, Style)]) -> Vec<Cluster> {
    let mut out: Vec<Cluster> = Vec::new();
    for &(c, style) in text {
        if c == '\n' {
            out.push(Cluster::Break);
        } else if c.is_whitespace() {
            out.push(Cluster::Space((c, style)));
        } else if let Some(Cluster::Word(word)) = out.last_mut() {
            let p = word.last().map_or(' ', |&(p, _)| p);
            if NO_END.contains(p) || NO_START.contains(c) || (!is_cjk(p) && !is_cjk(c)) {
                word.push((c, style));
            } else {
                out.push(Cluster::Word(vec![(c, style)]));
            }
        } else {
            out.push(Cluster::Word(vec![(c, style)]));
        }
    }
    out
}

/// Breaks `text` into lines no wider than `width` points at `size`.
fn wrap(font: &Font<'_>, text: &[(char, Style)], size: f32, width: f32) -> Vec<Line> {
    let advance = |c: char| font.advance(c) * size;
    let mut lines = Vec::new();
    let (mut line, mut w): (Line, f32) = (Vec::new(), 0.0);
    let mut space: Option<(char, Style)> = None;
    for cluster in clusters(text) {
        match cluster {
            Cluster::Break => {
                lines.push(std::mem::take(&mut line));
                (w, space) = (0.0, None);
            }
            Cluster::Space(s) => {
                if !line.is_empty() && space.is_none() {
                    space = Some(s);
                }
            }
            Cluster::Word(word) => {
                let ww: f32 = word.iter().map(|&(c, _)| advance(c)).sum();
                let sw = space.map_or(0.0, |(c, _)| advance(c));
                if !line.is_empty() && w + sw + ww > width {
                    lines.push(std::mem::take(&mut line));
                    (w, space) = (0.0, None);
                }
                if let Some(s) = space.take() {
                    line.push(s);
                    w += sw;
                }
                if ww <= width {
                    line.extend(word);
                    w += ww;
                    continue;
                }
                // Longer than a line: cut it where it overflows.
                for (c, style) in word {
                    let a = advance(c);
                    if w + a > width && !line.is_empty() {
                        lines.push(std::mem::take(&mut line));
                        w = 0.0;
                    }
                    line.push((c, style));
                    w += a;
                }
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// A drawing operation on a page, in points from the bottom left.
#[derive(Debug)]
enum Op {
    /// Text on a baseline.
    Text { x: f32, y: f32, size: f32, bold: bool, text: String },
    /// A blank's box behind its text.
    Mark { x: f32, y: f32, w: f32, h: f32 },
    /// A table header cell's background.
    Shade { x: f32, y: f32, w: f32, h: f32 },
    /// A table cell's border.
    Frame { x: f32, y: f32, w: f32, h: f32 },
    /// A horizontal rule.
    Rule { x: f32, y: f32, w: f32 },
}

/// Pages being filled from the top down.
struct Layout<'f, 'a> {
    font: &'f Font<'a>,
    done: Vec<Vec<Op>>,
    page: Vec<Op>,
    /// The top of the free space on the page.
    y: f32,
    /// Nothing is on the page yet.
    fresh: bool,
}

impl<'f, 'a> Layout<'f, 'a> {
    fn new(font: &'f Font<'a>) -> Self {
        Layout { font, done: Vec::new(), page: Vec::new(), y: TOP, fresh: true }
    }

    fn new_page(&mut self) {
        self.done.push(std::mem::take(&mut self.page));
        (self.y, self.fresh) = (TOP, true);
    }

    fn room(&self) -> f32 {
        self.y - MARGIN
    }

    /// Starts a new page unless `height` fits on this one (or this one is empty: it would not fit anywhere).
    fn ensure(&mut self, height: f32) {
        if height > self.room() + 0.01 && !self.fresh {
            self.new_page();
        }
    }

    /// Vertical space, dropped at the top of a page.
    fn gap(&mut self, height: f32) {
        if !self.fresh {
            self.y -= height;
        }
    }

    /// Draws `line` in a line box whose top is `top`, starting at `x`.
    fn draw(&mut self, x: f32, top: f32, line: &[(char, Style)], size: f32, leading: f32) {
        self.fresh = false;
        let (ascent, descent) = (self.font.ascent(), self.font.descent());
        let half_leading = (size * leading - (ascent - descent) * size) / 2.0;
        let baseline = top - half_leading - ascent * size;
        let mut x = x;
        let mut rest = line;
        while let Some(&(_, style)) = rest.first() {
            let n = rest.iter().take_while(|&&(_, s)| s == style).count();
            let (run, after) = rest.split_at(n);
            rest = after;
            let text: String = run.iter().map(|&(c, _)| c).collect();
            let w = self.font.width(&text, size);
            if style == Style::Fill {
                let (y0, y1) = (baseline + descent * size - 1.0, baseline + ascent * size + 1.0);
                self.page.push(Op::Mark { x: x - 0.5, y: y0, w: w + 1.0, h: y1 - y0 });
            }
            self.page.push(Op::Text { x, y: baseline, size, bold: style != Style::Plain, text });
            x += w;
        }
    }

    /// Lines of text flowing down the page, the first one after an optional bullet.
    fn lines(&mut self, lines: &[Line], x: f32, size: f32, leading: f32, bullet: Option<(f32, &Line)>) {
        let height = size * leading;
        for (i, line) in lines.iter().enumerate() {
            self.ensure(height);
            let top = self.y;
            if let (0, Some((bx, b))) = (i, bullet) {
                self.draw(bx, top, b, size, leading);
            }
            self.draw(x, top, line, size, leading);
            self.y -= height;
        }
    }

    fn title(&mut self, title: &str) {
        let lines = wrap(self.font, &plain(title, Style::Bold), TITLE_PT, TEXT_WIDTH);
        self.lines(&lines, MARGIN, TITLE_PT, HEADING_LEADING, None);
        self.y -= 3.0;
        self.page.push(Op::Rule { x: MARGIN, y: self.y, w: TEXT_WIDTH });
        self.fresh = false;
        self.y -= BODY_PT;
    }

    fn heading(&mut self, level: u8, text: &str) {
        let size = HEADING_PT.get(usize::from(level.clamp(1, 3)) - 1).copied().unwrap_or(BODY_PT);
        let lines = wrap(self.font, &plain(text, Style::Bold), size, TEXT_WIDTH);
        self.gap(size * 0.7);
        // Kept with the first two lines of what follows.
        self.ensure(lines.len() as f32 * size * HEADING_LEADING + 2.0 * BODY_PT * LEADING);
        self.lines(&lines, MARGIN, size, HEADING_LEADING, None);
        self.y -= size * 0.25;
    }

    fn paragraph(&mut self, text: &[(char, Style)]) {
        let lines = wrap(self.font, text, BODY_PT, TEXT_WIDTH);
        self.lines(&lines, MARGIN, BODY_PT, LEADING, None);
        self.gap(BODY_PT * 0.6);
    }

    fn list(&mut self, items: &[Line]) {
        let bullet = ['•', '・', '-'].into_iter().find(|&c| self.font.has(c)).unwrap_or('-');
        let bullet = vec![(bullet, Style::Plain)];
        let indent = BODY_PT * 1.4;
        for item in items {
            let lines = wrap(self.font, item, BODY_PT, TEXT_WIDTH - indent);
            self.lines(&lines, MARGIN + indent, BODY_PT, LEADING, Some((MARGIN + BODY_PT * 0.3, &bullet)));
            self.y -= BODY_PT * 0.15;
        }
        self.gap(BODY_PT * 0.45);
    }

    fn table(&mut self, header: &[String], rows: &[Vec<Line>]) {
        let columns = rows.iter().map(Vec::len).chain([header.len()]).max().unwrap_or(0);
        if columns == 0 {
            return;
        }
        let widths: Vec<f32> = if columns == 2 {
            vec![TEXT_WIDTH * KEY_COLUMN, TEXT_WIDTH * (1.0 - KEY_COLUMN)]
        } else {
            vec![TEXT_WIDTH / columns as f32; columns]
        };
        let xs: Vec<f32> = widths.iter().scan(MARGIN, |x, w| Some(std::mem::replace(x, *x + w))).collect();
        let cells = |row: &[Line], style: Option<Style>| -> Vec<Vec<Line>> {
            (0..columns)
                .map(|i| {
                    let mut text = row.get(i).cloned().unwrap_or_default();
                    if let Some(style) = style {
                        text.iter_mut().for_each(|(_, s)| *s = style);
                    }
                    wrap(self.font, &text, TABLE_PT, widths.get(i).copied().unwrap_or(0.0) - 2.0 * CELL_PAD)
                })
                .collect()
        };
        let header_lines: Vec<Line> = header.iter().map(|h| plain(h, Style::Bold)).collect();
        let header = (!header.is_empty()).then(|| cells(&header_lines, Some(Style::Bold)));
        let body: Vec<Vec<Vec<Line>>> = rows.iter().map(|r| cells(r, None)).collect();

        let line_height = TABLE_PT * TABLE_LEADING;
        let count = |row: &[Vec<Line>]| row.iter().map(Vec::len).max().unwrap_or(0).max(1);
        let height = |lines: usize| lines as f32 * line_height + 2.0 * CELL_PAD;
        let header_height = header.as_deref().map_or(0.0, |h| height(count(h)));

        self.gap(BODY_PT * 0.3);
        self.ensure(header_height + body.first().map_or(0.0, |r| height(count(r))));
        let geometry = (xs.as_slice(), widths.as_slice());
        if let Some(h) = &header {
            self.row(geometry, h, 0, count(h), true);
        }
        for row in &body {
            let total = count(row);
            let mut from = 0;
            let mut after_header = false;
            while from < total {
                let fits = ((self.room() - 2.0 * CELL_PAD) / line_height + 0.01).floor().max(0.0) as usize;
                let rest = total - from;
                let fits_a_page = height(rest) + header_height <= TOP - MARGIN;
                let take = if fits >= rest {
                    rest
                } else if !after_header && (fits_a_page || fits == 0) {
                    0
                } else {
                    // Taller than a page: split, at least one line per page so that the table ends.
                    fits.max(1)
                };
                if take > 0 {
                    self.row(geometry, row, from, from + take, false);
                    from += take;
                }
                if from < total {
                    self.new_page();
                    if let Some(h) = &header {
                        self.row(geometry, h, 0, count(h), true);
                    }
                    after_header = true;
                }
            }
        }
        self.gap(BODY_PT * 0.8);
    }

    /// Draws lines `from..to` of a table row's cells at the top of the free space.
    fn row(&mut self, (xs, widths): (&[f32], &[f32]), cells: &[Vec<Line>], from: usize, to: usize, shade: bool) {
        let line_height = TABLE_PT * TABLE_LEADING;
        let h = (to - from).max(1) as f32 * line_height + 2.0 * CELL_PAD;
        let top = self.y;
        for ((&x, &w), lines) in xs.iter().zip(widths).zip(cells) {
            if shade {
                self.page.push(Op::Shade { x, y: top - h, w, h });
            }
            for (k, line) in lines.iter().enumerate().skip(from).take(to - from) {
                let line_top = top - CELL_PAD - (k - from) as f32 * line_height;
                self.draw(x + CELL_PAD, line_top, line, TABLE_PT, TABLE_LEADING);
            }
            self.page.push(Op::Frame { x, y: top - h, w, h });
        }
        self.fresh = false;
        self.y -= h;
    }

    fn finish(mut self) -> Vec<Vec<Op>> {
        self.done.push(self.page);
        self.done
    }
}

/// Lays `doc` out on pages.
fn layout(doc: &Document, font: &Font<'_>) -> Vec<Vec<Op>> {
    let ja = doc.japanese();
    let mut layout = Layout::new(font);
    layout.title(&doc.title);
    for block in &doc.blocks {
        match block {
            Block::Heading(level, text) => layout.heading(*level, text),
            Block::Paragraph(line) => layout.paragraph(&inline_line(line, ja)),
            Block::List(items) => {
                let items: Vec<Line> = items.iter().map(|l| inline_line(l, ja)).collect();
                layout.list(&items);
            }
            Block::Table { header, rows } => {
                let rows: Vec<Vec<Line>> =
                    rows.iter().map(|r| r.iter().map(|c| inline_line(c, ja)).collect()).collect();
                layout.table(header, &rows);
            }
        }
    }
    layout.finish()
}

/// Writes the pages, the page numbers, the catalog with `/Lang`, `/Info` with the title, and the font.
fn write(doc: &Document, font: &mut Font<'_>, path: &Path, pages: &[Vec<Op>]) -> Result<Vec<u8>, Error> {
    let mut pdf = Pdf::new();
    let mut next = 1;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let (catalog, tree, info) = (alloc(), alloc(), alloc());
    let fonts = [alloc(), alloc(), alloc(), alloc(), alloc()];
    let [type0, ..] = fonts;
    let total = pages.len();
    let mut page_refs = Vec::with_capacity(total);
    for (n, ops) in pages.iter().enumerate() {
        let mut content = Content::new();
        for op in ops {
            match op {
                Op::Text { x, y, size, bold, text } => {
                    let glyphs = font.encode(text);
                    content.begin_text().set_font(FONT_KEY, *size).set_fill_gray(0.0);
                    if *bold {
                        content
                            .set_text_rendering_mode(TextRenderingMode::FillStroke)
                            .set_stroke_gray(0.0)
                            .set_line_width(size * BOLD_STROKE);
                    } else {
                        content.set_text_rendering_mode(TextRenderingMode::Fill);
                    }
                    content.set_text_matrix([1.0, 0.0, 0.0, 1.0, *x, *y]).show(Str(&glyphs)).end_text();
                }
                Op::Mark { x, y, w, h } => {
                    content
                        .set_fill_rgb(1.0, 0.95, 0.6)
                        .set_stroke_rgb(0.8, 0.55, 0.0)
                        .set_line_width(0.6)
                        .rect(*x, *y, *w, *h)
                        .fill_nonzero_and_stroke();
                }
                Op::Shade { x, y, w, h } => {
                    content.set_fill_gray(0.9).rect(*x, *y, *w, *h).fill_nonzero();
                }
                Op::Frame { x, y, w, h } => {
                    content.set_stroke_gray(0.45).set_line_width(0.5).rect(*x, *y, *w, *h).stroke();
                }
                Op::Rule { x, y, w } => {
                    content.set_stroke_gray(0.3).set_line_width(0.8).move_to(*x, *y).line_to(x + w, *y).stroke();
                }
            }
        }
        let number = format!("{} / {total}", n + 1);
        let glyphs = font.encode(&number);
        let x = (PAGE_WIDTH - font.width(&number, FOOTER_PT)) / 2.0;
        content
            .begin_text()
            .set_font(FONT_KEY, FOOTER_PT)
            .set_fill_gray(0.3)
            .set_text_rendering_mode(TextRenderingMode::Fill)
            .set_text_matrix([1.0, 0.0, 0.0, 1.0, x, 10.0 * MM])
            .show(Str(&glyphs))
            .end_text();

        let (page, contents) = (alloc(), alloc());
        pdf.stream(contents, &deflate(&content.finish())).filter(Filter::FlateDecode);
        let mut page_dict = pdf.page(page);
        page_dict.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT)).parent(tree).contents(contents);
        page_dict.resources().fonts().pair(FONT_KEY, type0);
        page_dict.finish();
        page_refs.push(page);
    }
    let mut cat = pdf.catalog(catalog);
    cat.pages(tree).lang(TextStr(doc.lang.trim()));
    cat.viewer_preferences().display_doc_title(true);
    cat.finish();
    pdf.pages(tree).kids(page_refs.iter().copied()).count(i32::try_from(total).unwrap_or(i32::MAX));
    pdf.document_info(info).title(TextStr(&doc.title)).creator(TextStr("kura"));
    font.embed(&mut pdf, "KURADC", path, fonts)?;
    Ok(pdf.finish())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

    use std::path::PathBuf;
    use std::process::Command;

    use super::super::super::labels::DEFAULT_FONT;
    use super::super::super::tests::{dark_pixels, pdf_tools, pixels};
    use super::*;

    fn text(s: &str) -> Vec<Inline> {
        vec![Inline::Text(s.into())]
    }

    /// A report of a few pages: long paragraphs, a list, a 40-row table, blanks.
    fn report() -> Document {
        let long = "当社は、2024年5月1日、顧客管理システムに対する不正アクセスにより、個人データが漏えいした\
                    おそれがあることを確認しました。Unauthorized access was detected by the monitoring system and \
                    the affected server was isolated within the hour. 現在、外部の専門機関と連携し、影響の範囲と\
                    原因の調査を進めています（調査は継続中です）。「再発防止策」については、決定次第お知らせします。";
        let mut blocks = vec![
            Block::Heading(1, "事案の概要".into()),
            Block::Paragraph(vec![
                Inline::Text(long.into()),
                Inline::Text("原因: ".into()),
                Inline::Fill("原因の詳細".into()),
                Inline::Text("。".into()),
            ]),
            Block::Paragraph(text(&long.repeat(3))),
            Block::Heading(2, "漏えいした項目".into()),
            Block::List(vec![
                text("氏名、住所、電話番号"),
                vec![Inline::Strong("メールアドレス".into()), Inline::Text("（暗号化されていないもの）".into())],
                vec![Inline::Text("その他: ".into()), Inline::Fill("その他の項目".into())],
            ]),
            Block::Heading(1, "対象となる本人".into()),
        ];
        let rows = (1..=40)
            .map(|i| {
                let content = if i % 7 == 0 {
                    vec![Inline::Fill(format!("第{i}項の内容"))]
                } else {
                    text(&format!(
                        "第{i}項: 東京都千代田区千代田一丁目の顧客 {i} 名、{}",
                        "詳細な説明文。".repeat(i % 5)
                    ))
                };
                vec![text(&format!("項目{i}")), content]
            })
            .collect();
        blocks.push(Block::Table { header: vec!["項目".into(), "内容".into()], rows });
        blocks.push(Block::Heading(1, "連絡先".into()));
        blocks.push(Block::Paragraph(vec![Inline::Text("担当: ".into()), Inline::Fill("担当者の氏名".into())]));
        Document { title: "個人データの漏えい等に関する報告".into(), lang: "ja".into(), blocks }
    }

    fn squash(s: &str) -> String {
        s.chars().filter(|c| !c.is_whitespace()).collect()
    }

    #[test]
    fn pdf_report_renders_and_reads_back() {
        if !pdf_tools(false) {
            return;
        }
        let doc = report();
        let font = Path::new(DEFAULT_FONT);
        let bytes = to_pdf(&doc, font).unwrap();
        // `KURA_KEEP_REPORT_PDF=/tmp/report.pdf` keeps the report, to look at it.
        if let Some(keep) = std::env::var_os("KURA_KEEP_REPORT_PDF") {
            std::fs::write(keep, &bytes).unwrap();
        }
        assert!(bytes.starts_with(b"%PDF-"));
        assert_eq!(bytes, to_pdf(&doc, font).unwrap(), "the same document gives the same bytes");
        assert!(bytes.len() < 150_000, "the font must be subset: {} bytes", bytes.len());
        let raw = String::from_utf8_lossy(&bytes);
        assert!(raw.contains("/Lang (ja)") && raw.contains("/Title") && raw.contains("KURADC+"), "{raw:.2000}");
        assert!(!raw.contains("/CreationDate") && !raw.contains("/ID"));

        if !pdf_tools(true) {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let pdf = dir.path().join("report.pdf");
        std::fs::write(&pdf, &bytes).unwrap();
        let out = Command::new("pdftotext").args(["-enc", "UTF-8"]).arg(&pdf).arg("-").output().unwrap();
        assert!(out.status.success(), "pdftotext: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout).unwrap();
        // pdftotext ends every page with a form feed.
        let pages: Vec<&str> = text.split('\u{c}').filter(|p| !p.trim().is_empty()).collect();
        let n = pages.len();
        assert!(n >= 3, "{n} pages");
        for (i, page) in pages.iter().enumerate() {
            assert!(squash(page).contains(&format!("{}/{n}", i + 1)), "page {}: {page}", i + 1);
        }
        let all = squash(&text);
        for heading in ["個人データの漏えい等に関する報告", "事案の概要", "漏えいした項目", "対象となる本人", "連絡先"]
        {
            assert!(all.contains(heading), "{heading} missing");
        }
        for fill in ["【要記入:原因の詳細】", "【要記入:第35項の内容】", "【要記入:担当者の氏名】"]
        {
            assert!(all.contains(fill), "{fill} missing");
        }
        assert!(all.contains("項目40"));
        // The table runs over a page: its header is repeated.
        assert!(pages.iter().filter(|p| squash(p).contains("項目内容")).count() >= 2, "{text}");
        // No line starts with a closing mark.
        for line in text.lines() {
            assert!(!line.starts_with(['、', '。', '）', '」']), "`{line}`");
        }

        // Page 1 renders with ink on it and a yellow blank.
        let gray = Command::new("pdftoppm")
            .args(["-gray", "-r", "50", "-f", "1", "-l", "1"])
            .arg(&pdf)
            .arg(dir.path().join("g"))
            .output()
            .unwrap();
        assert!(gray.status.success() && gray.stderr.is_empty(), "{}", String::from_utf8_lossy(&gray.stderr));
        let pgm = std::fs::read(dir.path().join(format!("g-{}.pgm", if n >= 10 { "01" } else { "1" }))).unwrap();
        assert!(dark_pixels(&pgm) > 2000, "page 1 is nearly blank: {}", dark_pixels(&pgm));
        let color = Command::new("pdftoppm")
            .args(["-r", "50", "-f", "1", "-l", "1"])
            .arg(&pdf)
            .arg(dir.path().join("c"))
            .output()
            .unwrap();
        assert!(color.status.success());
        let ppm = std::fs::read(dir.path().join(format!("c-{}.ppm", if n >= 10 { "01" } else { "1" }))).unwrap();
        let yellow = pixels(&ppm).chunks(3).filter(|p| p[0] > 220 && p[1] > 200 && p[2] < 190).count();
        assert!(yellow > 50, "no yellow blank on page 1: {yellow}");
        let png = Command::new("pdftoppm")
            .args(["-png", "-r", "50", "-f", "1", "-l", "1"])
            .arg(&pdf)
            .arg(dir.path().join("p"))
            .output()
            .unwrap();
        assert!(png.status.success());
    }

    #[test]
    fn pdf_blanks_in_english() {
        if !pdf_tools(true) {
            return;
        }
        let doc = Document {
            title: "Personal data breach notification".into(),
            lang: "en".into(),
            blocks: vec![Block::Paragraph(vec![Inline::Text("DPO: ".into()), Inline::Fill("contact".into())])],
        };
        let dir = tempfile::tempdir().unwrap();
        let pdf = dir.path().join("en.pdf");
        std::fs::write(&pdf, to_pdf(&doc, Path::new(DEFAULT_FONT)).unwrap()).unwrap();
        let out = Command::new("pdftotext").args(["-enc", "UTF-8"]).arg(&pdf).arg("-").output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("DPO: [TO FILL: contact]") && squash(&text).ends_with("1/1"), "{text}");
    }

    #[test]
    fn unprintable_characters_are_refused_by_block() {
        if !pdf_tools(false) {
            return;
        }
        let font = Path::new(DEFAULT_FONT);
        let mut doc = report();
        doc.blocks[2] = Block::Paragraph(text("秘密の値\u{10FFFD}"));
        let err = to_pdf(&doc, font).unwrap_err();
        assert!(matches!(err, Error::Unprintable { block: 3, kind: "paragraph" }), "{err}");
        assert_eq!(err.to_string(), "block 3 (a paragraph) has a character the font has no glyph for");

        let mut doc = report();
        if let Block::Table { rows, .. } = &mut doc.blocks[6] {
            rows[10][1] = vec![Inline::Fill("絵文字😀".into())];
        }
        assert!(matches!(to_pdf(&doc, font), Err(Error::Unprintable { block: 7, kind: "table" })));

        doc.title = "😀".into();
        assert!(matches!(to_pdf(&doc, font), Err(Error::UnprintableTitle)));
    }

    #[test]
    fn missing_font_is_named() {
        let err = to_pdf(&report(), &PathBuf::from("/nonexistent/font.ttf")).unwrap_err();
        assert!(matches!(err, Error::Font { .. }));
        assert!(err.to_string().starts_with("font `/nonexistent/font.ttf`: not found; install"), "{err}");
    }

    fn lines_of(font: &Font<'_>, s: &str, width: f32) -> Vec<String> {
        wrap(font, &styled([(s.to_owned(), Style::Plain)]), 10.0, width)
            .iter()
            .map(|l| l.iter().map(|&(c, _)| c).collect())
            .collect()
    }

    #[test]
    fn wrapping_keeps_closing_marks_and_words() {
        if !pdf_tools(false) {
            return;
        }
        let data = std::fs::read(DEFAULT_FONT).unwrap();
        let font = Font::new(&data, 0, Path::new(DEFAULT_FONT)).unwrap();
        // Five full-width characters fit a line of 50 pt at 10 pt; the `。` goes down with the last one.
        assert_eq!(lines_of(&font, "あいうえお。かき", 50.0), ["あいうえ", "お。かき"]);
        assert_eq!(lines_of(&font, "あいう「えお", 40.0), ["あいう", "「えお"]);
        // Latin text breaks at spaces; a space does not start or end a line.
        let width = font.width("hello world", 10.0) + 1.0;
        assert_eq!(lines_of(&font, "hello world again", width), ["hello world", "again"]);
        // A word longer than the line is cut; line breaks in the text are kept.
        assert_eq!(lines_of(&font, "mmmmmmmmmm", font.width("mmmm", 10.0) + 0.1), ["mmmm", "mmmm", "mm"]);
        assert_eq!(lines_of(&font, "a\nb", 100.0), ["a", "b"]);
    }

    #[test]
    fn rows_taller_than_a_page_are_split() {
        if !pdf_tools(false) {
            return;
        }
        let doc = Document {
            title: "t".into(),
            lang: "ja".into(),
            blocks: vec![Block::Table {
                header: vec!["項目".into(), "内容".into(), "備考".into()],
                rows: vec![vec![text("a"), text(&"長い説明文。".repeat(600)), text("b")]],
            }],
        };
        let data = std::fs::read(DEFAULT_FONT).unwrap();
        let font = Font::new(&data, 0, Path::new(DEFAULT_FONT)).unwrap();
        let pages = layout(&doc, &font);
        assert!(pages.len() >= 3, "{} pages", pages.len());
        assert!(to_pdf(&doc, Path::new(DEFAULT_FONT)).unwrap().starts_with(b"%PDF-"));
    }
}
