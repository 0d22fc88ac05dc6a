//! A [`Document`] as CommonMark with pipe tables.
//!
//! Text is escaped so that it cannot become markup: the characters that open inline markup (`\`, `` ` ``,
//! `*`, `_`, `[`, `]`, `<`, `>`, `|`, `~`, `&`, `#`) are always backslash-escaped, and those that start a
//! block only where a line starts (`-`, `+`, `=`, a number followed by `.` or `)`). A line break inside text
//! is a hard line break (`\` at the end of the line), so a value can neither end its paragraph nor start a
//! new block.

use super::{fill_marks, Block, Document, Inline};

/// Renders `doc` as CommonMark: `# title`, headings one level below the title, paragraphs, `- ` lists, pipe
/// tables, `**strong**`, and blanks in bold as `【要記入: …】` (Japanese) or `[TO FILL: …]`.
pub fn to_markdown(doc: &Document) -> String {
    let ja = doc.japanese();
    let mut out = format!("# {}\n", escape(&one_line(&doc.title)));
    for block in &doc.blocks {
        out.push('\n');
        match block {
            Block::Heading(level, text) => {
                let hashes = "#".repeat(usize::from((*level).clamp(1, 5)) + 1);
                out.push_str(&format!("{hashes} {}\n", escape(&one_line(text))));
            }
            Block::Paragraph(line) => {
                out.push_str(&inline(line, ja, "\\\n"));
                out.push('\n');
            }
            Block::List(items) => {
                for item in items {
                    // Continuation lines are indented to stay in the item.
                    out.push_str(&format!("- {}\n", inline(item, ja, "\\\n  ")));
                }
            }
            Block::Table { header, rows } => {
                let width = rows.iter().map(Vec::len).chain([header.len(), 1]).max().unwrap_or(1);
                let cell = |text: String| text.replace('\n', "<br>");
                let mut line = |cells: Vec<String>| {
                    out.push('|');
                    for i in 0..width {
                        let text = cells.get(i).map_or("", String::as_str);
                        out.push_str(&format!(" {text} |"));
                    }
                    out.push('\n');
                };
                line(header.iter().map(|h| cell(escape(&one_line(h)))).collect());
                line(vec!["---".to_owned(); width]);
                for row in rows {
                    line(row.iter().map(|c| cell(inline(c, ja, "\n"))).collect());
                }
            }
        }
    }
    out
}

/// A line of inline pieces; a line break in the text becomes `newline`.
fn inline(line: &[Inline], ja: bool, newline: &str) -> String {
    let mut out = String::new();
    for piece in line {
        match piece {
            Inline::Text(text) => out.push_str(&escape(text)),
            Inline::Strong(text) => out.push_str(&strong(&escape(text))),
            Inline::Fill(what) => {
                // The brackets are written as they are (no link can be defined in an escaped document, so
                // `[TO FILL: …]` stays text), which keeps the marker easy to search for.
                let (open, close) = fill_marks(ja);
                out.push_str(&format!("**{open}{}{close}**", escape(&one_line(what))));
            }
        }
    }
    // Escaping ran piece by piece: a piece after a line break is not at the start of its line as far as
    // `escape` knew, so line starts are escaped once more over the whole line.
    let out = escape_line_starts(&out);
    out.split('\n').collect::<Vec<_>>().join(newline)
}

/// `**text**`, with surrounding spaces outside the markers (CommonMark does not open `** x`).
fn strong(text: &str) -> String {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return text.to_owned();
    }
    let start = text.len() - text.trim_start().len();
    let end = text.trim_end().len();
    format!("{}**{trimmed}**{}", text.get(..start).unwrap_or(""), text.get(end..).unwrap_or(""))
}

/// Line breaks (CR LF, CR) as LF; other control characters as spaces.
fn clean(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .map(|c| if c != '\n' && c.is_control() { ' ' } else { c })
        .collect()
}

/// `text` on one line (for headings and header cells).
fn one_line(text: &str) -> String {
    clean(text).split('\n').map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

/// Backslash-escapes the characters that open inline markup, and those that start a block at a line start.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in clean(text).chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#') {
            out.push('\\');
        }
        out.push(c);
    }
    escape_line_starts(&out)
}

/// Leading blanks dropped and the block-starting characters escaped at the start of every line.
fn escape_line_starts(text: &str) -> String {
    let mut lines = Vec::new();
    for line in text.split('\n') {
        let line = line.trim_start_matches([' ', '\t']);
        let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let (number, rest) = line.split_at(digits);
        let escaped = if matches!(line.chars().next(), Some('-' | '+' | '=')) {
            format!("\\{line}")
        } else if digits > 0 && (rest.starts_with('.') || rest.starts_with(')')) {
            format!("{number}\\{rest}")
        } else {
            line.to_owned()
        };
        lines.push(escaped);
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

    use super::super::tests::sample;
    use super::*;

    #[test]
    fn markdown_has_every_block() {
        let md = to_markdown(&sample("ja"));
        assert!(md.starts_with("# 個人データの漏えい等報告\n"), "{md}");
        assert!(md.contains("\n## 事案の概要\n"), "{md}");
        assert!(md.contains("発覚日: **2024年5月1日**。原因: **【要記入: 原因の詳細】**\n"), "{md}");
        assert!(md.contains("\n- 氏名\n- 住所**【要記入: その他の項目】**\n"), "{md}");
        assert!(md.contains("\n| 項目 | 内容 |\n| --- | --- |\n| 件数 | 1,234人 |\n"), "{md}");
        assert!(md.contains("| 連絡先 | **【要記入: 担当者】** |\n"), "{md}");
        assert!(!md.contains("TO FILL"));
    }

    #[test]
    fn markdown_blanks_in_english() {
        let mut doc = sample("en");
        doc.blocks = vec![Block::Paragraph(vec![Inline::Fill("contact of the DPO".into())])];
        let md = to_markdown(&doc);
        assert!(md.contains("**[TO FILL: contact of the DPO]**"), "{md}");
        assert!(!md.contains("要記入"));
    }

    #[test]
    fn markdown_text_cannot_inject_markup() {
        let evil = "<script>alert(1)</script> a|b **bold** [x](http://e) `c` _u_ #h &amp;";
        let doc = Document {
            title: "# T *t*".into(),
            lang: "en".into(),
            blocks: vec![
                Block::Heading(2, "Heading #".into()),
                Block::Paragraph(vec![Inline::Text(evil.into())]),
                Block::Paragraph(vec![Inline::Text("line\n- not a list\n1. not a list\n\n# not a heading".into())]),
                Block::List(vec![vec![Inline::Strong(" strong ".into()), Inline::Text("x\n===".into())]]),
                Block::Table {
                    header: vec!["a|b".into(), "c".into()],
                    rows: vec![vec![vec![Inline::Text("x|y\nz".into())], vec![Inline::Fill("a]b".into())]]],
                },
            ],
        };
        let md = to_markdown(&doc);
        assert!(md.starts_with("# \\# T \\*t\\*\n"), "{md}");
        assert!(md.contains("### Heading \\#\n"), "{md}");
        assert!(
            md.contains(
                "\\<script\\>alert(1)\\</script\\> a\\|b \\*\\*bold\\*\\* \\[x\\](http://e) \\`c\\` \\_u\\_ \\#h \\&amp;"
            ),
            "{md}"
        );
        assert!(!md.contains("<script>") && !md.contains(" **bold**"));
        // A line break is a hard break; no line of the paragraph starts a block.
        assert!(md.contains("line\\\n\\- not a list\\\n1\\. not a list\\\n\\\n\\# not a heading\n"), "{md}");
        assert!(md.contains("- **strong** x\\\n  \\===\n"), "{md}");
        assert!(md.contains("| a\\|b | c |\n| --- | --- |\n| x\\|y<br>z | **[TO FILL: a\\]b]** |\n"), "{md}");
    }

    #[test]
    fn ragged_tables_are_padded() {
        let doc = Document {
            title: "t".into(),
            lang: "en".into(),
            blocks: vec![Block::Table { header: vec!["a".into()], rows: vec![vec![vec![], vec![]]] }],
        };
        assert!(to_markdown(&doc).ends_with("| a |  |\n| --- | --- |\n|  |  |\n"));
    }
}
