//! A [`Document`] as one self-contained HTML5 file.
//!
//! The file needs nothing outside itself: the stylesheet is inline, and a Content-Security-Policy
//! (`default-src 'none'; style-src 'unsafe-inline'`) forbids scripts, frames, images and every outside
//! resource, so that even a value that slipped through escaping could not run or call home. All text is
//! escaped (`&`, `<`, `>`, `"`, `'`).

use super::{fill_label, Block, Document, Inline};
// Escaping as for the desk's SVG charts: `&`, `<`, `>`, `"`, `'` as references, stray control characters
// replaced.
use crate::desk::report::escape;

/// Screen and print: A4 with 20 mm margins, a readable measure on screen, tables with borders, blanks
/// highlighted and outlined (the outline survives printing in black and white).
const STYLE: &str = "\
@page { size: A4; margin: 20mm; }
html { font-family: \"IPAexGothic\", \"Hiragino Sans\", \"Noto Sans CJK JP\", \"Yu Gothic\", sans-serif; \
font-size: 10.5pt; line-height: 1.7; color: #111; }
body { max-width: 48em; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.6em; border-bottom: 1px solid #444; padding-bottom: .2em; }
h2 { font-size: 1.3em; margin-top: 1.6em; }
h3 { font-size: 1.1em; margin-top: 1.3em; }
h4, h5, h6 { font-size: 1em; }
h1, h2, h3, h4, h5, h6 { line-height: 1.4; page-break-after: avoid; break-after: avoid; }
table { border-collapse: collapse; width: 100%; margin: .8em 0; }
th, td { border: 1px solid #888; padding: .3em .5em; text-align: left; vertical-align: top; }
th { background: #eee; }
table.kv td:first-child { width: 30%; }
tr { page-break-inside: avoid; break-inside: avoid; }
mark.fill { background: #fff3a0; border: 1px solid #c90; padding: 0 .2em; color: #000; font-weight: bold; }
@media print { body { max-width: none; margin: 0; padding: 0; } }
";

/// Renders `doc` as an HTML5 file: `lang`, UTF-8, a title, the inline stylesheet, a script-forbidding
/// Content-Security-Policy, and blanks as `<mark class="fill">`.
pub fn to_html(doc: &Document) -> String {
    let ja = doc.japanese();
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n");
    out.push_str(&format!("<html lang=\"{}\">\n<head>\n", escape(doc.lang.trim())));
    out.push_str("<meta charset=\"utf-8\">\n");
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n",
    );
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!("<title>{}</title>\n", escape(&doc.title)));
    out.push_str(&format!("<style>\n{STYLE}</style>\n</head>\n<body>\n"));
    out.push_str(&format!("<h1>{}</h1>\n", escape(&doc.title)));
    for block in &doc.blocks {
        match block {
            Block::Heading(level, text) => {
                let h = (*level).clamp(1, 5) + 1;
                out.push_str(&format!("<h{h}>{}</h{h}>\n", escape(text)));
            }
            Block::Paragraph(line) => out.push_str(&format!("<p>{}</p>\n", inline(line, ja))),
            Block::List(items) => {
                out.push_str("<ul>\n");
                for item in items {
                    out.push_str(&format!("<li>{}</li>\n", inline(item, ja)));
                }
                out.push_str("</ul>\n");
            }
            Block::Table { header, rows } => {
                let width = rows.iter().map(Vec::len).chain([header.len()]).max().unwrap_or(0);
                out.push_str(if width == 2 { "<table class=\"kv\">\n" } else { "<table>\n" });
                if !header.is_empty() {
                    out.push_str("<thead>\n<tr>");
                    for i in 0..width {
                        out.push_str(&format!("<th>{}</th>", header.get(i).map(|h| escape(h)).unwrap_or_default()));
                    }
                    out.push_str("</tr>\n</thead>\n");
                }
                out.push_str("<tbody>\n");
                for row in rows {
                    out.push_str("<tr>");
                    for i in 0..width {
                        out.push_str(&format!("<td>{}</td>", row.get(i).map(|c| inline(c, ja)).unwrap_or_default()));
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</tbody>\n</table>\n");
            }
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// A line of inline pieces; line breaks in the text as `<br>`.
fn inline(line: &[Inline], ja: bool) -> String {
    let mut out = String::new();
    for piece in line {
        match piece {
            Inline::Text(text) => out.push_str(&escape(text)),
            Inline::Strong(text) => out.push_str(&format!("<strong>{}</strong>", escape(text))),
            Inline::Fill(what) => {
                out.push_str(&format!("<mark class=\"fill\">{}</mark>", escape(&fill_label(ja, what))));
            }
        }
    }
    out.replace("\r\n", "\n").replace('\r', "\n").replace('\n', "<br>\n")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

    use super::super::tests::sample;
    use super::*;

    #[test]
    fn html_is_self_contained_and_has_every_block() {
        let html = to_html(&sample("ja"));
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"ja\">\n"), "{html}");
        assert!(html.contains("<meta charset=\"utf-8\">"));
        assert!(html.contains("content=\"default-src 'none'; style-src 'unsafe-inline'\""));
        assert!(html.contains("<title>個人データの漏えい等報告</title>"));
        assert!(html.contains("@page { size: A4; margin: 20mm; }"));
        assert!(html.contains("<h1>個人データの漏えい等報告</h1>\n<h2>事案の概要</h2>"), "{html}");
        assert!(html.contains(
            "<p>発覚日: <strong>2024年5月1日</strong>。原因: <mark class=\"fill\">【要記入: 原因の詳細】</mark></p>"
        ));
        assert!(html.contains("<ul>\n<li>氏名</li>\n<li>住所<mark class=\"fill\">【要記入: その他の項目】</mark></li>"));
        assert!(html.contains("<table class=\"kv\">\n<thead>\n<tr><th>項目</th><th>内容</th></tr>"), "{html}");
        assert!(html.contains("<tr><td>件数</td><td>1,234人</td></tr>"));
        assert!(html.contains("<td><mark class=\"fill\">【要記入: 担当者】</mark></td>"));
        assert!(!html.contains("<script") && !html.contains("src=") && !html.contains("href="));
        assert!(html.ends_with("</body>\n</html>\n"));
    }

    #[test]
    fn html_escapes_all_text() {
        let evil = "<script>alert('x')</script> a|b **c** & \"q\"";
        let doc = Document {
            title: "<b>t</b>".into(),
            lang: "en\"><script>".into(),
            blocks: vec![
                Block::Heading(1, evil.into()),
                Block::Paragraph(vec![Inline::Text(evil.into()), Inline::Text("\nnext".into())]),
                Block::List(vec![vec![Inline::Strong(evil.into())]]),
                Block::Table {
                    header: vec![evil.into()],
                    rows: vec![vec![vec![Inline::Text(evil.into())], vec![Inline::Fill(evil.into())]]],
                },
            ],
        };
        let html = to_html(&doc);
        let escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; a|b **c** &amp; &quot;q&quot;";
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("<html lang=\"en&quot;&gt;&lt;script&gt;\">"));
        assert!(html.contains("<title>&lt;b&gt;t&lt;/b&gt;</title>"));
        assert!(html.contains(&format!("<h2>{escaped}</h2>")));
        assert!(html.contains(&format!("<p>{escaped}<br>\nnext</p>")));
        assert!(html.contains(&format!("<li><strong>{escaped}</strong></li>")));
        assert!(html.contains(&format!("<th>{escaped}</th><th></th>")), "{html}");
        assert!(html.contains(&format!("<mark class=\"fill\">[TO FILL: {escaped}]</mark>")));
        assert!(!html.contains("要記入"));
    }
}
