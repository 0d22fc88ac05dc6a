//! Documents for people to read and sign: the incident report drafts (the regulator's report, the GDPR
//! notification, the notice to individuals, the public statement), written once as a small [`Document`] model
//! and rendered as Markdown, HTML and PDF.
//!
//! The model has no styling: headings, paragraphs, lists, two-column "item / content" tables and
//! [`Inline::Fill`] — a blank a person must fill in because kura cannot know it (the cause as the
//! organisation understands it, the contact person, the measures decided). Every renderer makes a blank
//! impossible to overlook, so that a draft is never sent with a gap nobody noticed.
//!
//! # Renderers
//!
//! - [`to_markdown`]: CommonMark (with GitHub's pipe tables). Text is escaped, so that nothing in it can
//!   become markup: a `*`, `|`, `<` or `#` in a value shows as itself.
//! - [`to_html`]: one self-contained HTML5 file with an inline stylesheet for screen and A4 print, and a
//!   Content-Security-Policy that forbids scripts and every outside resource; all text is escaped.
//! - [`to_pdf`]: A4 portrait, set in a Japanese TrueType or OpenType font that is embedded as a subset, with
//!   wrapped paragraphs, tables that run over pages and page numbers.
//!
//! A blank is written `【要記入: …】` when the document's language is Japanese (`lang` starting with `ja`) and
//! `[TO FILL: …]` otherwise, in bold in Markdown, highlighted in HTML and on a yellow box in the PDF. Every
//! renderer is deterministic: the same document gives the same bytes.

mod html;
mod markdown;
mod pdf;

pub use html::to_html;
pub use markdown::to_markdown;
pub use pdf::{to_pdf, Error};

/// A document: a title, the language it is written in and its blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The title (the first heading; the PDF's and HTML's title).
    pub title: String,
    /// The language as a BCP 47 tag (`ja`, `en`): HTML `lang`, PDF `/Lang`, and the wording of blanks.
    pub lang: String,
    /// The content, in order.
    pub blocks: Vec<Block>,
}

impl Document {
    /// What the blanks ask for, in the order they appear (title and headings hold no blanks). A draft with
    /// blanks left is not ready to send.
    pub fn fills(&self) -> Vec<&str> {
        fn line(l: &[Inline]) -> Vec<&str> {
            l.iter().filter_map(|i| if let Inline::Fill(what) = i { Some(what.as_str()) } else { None }).collect()
        }
        let mut out = Vec::new();
        for block in &self.blocks {
            match block {
                Block::Heading(..) => {}
                Block::Paragraph(l) => out.extend(line(l)),
                Block::List(items) => out.extend(items.iter().flat_map(|l| line(l))),
                Block::Table { rows, .. } => out.extend(rows.iter().flatten().flat_map(|l| line(l))),
            }
        }
        out
    }

    /// Whether blanks are worded in Japanese.
    fn japanese(&self) -> bool {
        japanese(&self.lang)
    }
}

/// Whether a BCP 47 tag is Japanese (`ja`, `ja-JP`; not `jam`, which is another language).
fn japanese(lang: &str) -> bool {
    let lang = lang.trim().to_ascii_lowercase();
    lang == "ja" || lang.starts_with("ja-") || lang.starts_with("ja_")
}

/// What a blank is written between: `【要記入: ` … `】` in Japanese, `[TO FILL: ` … `]` otherwise.
fn fill_marks(japanese: bool) -> (&'static str, &'static str) {
    if japanese {
        ("【要記入: ", "】")
    } else {
        ("[TO FILL: ", "]")
    }
}

/// How a blank asking for `what` reads.
fn fill_label(japanese: bool, what: &str) -> String {
    let (open, close) = fill_marks(japanese);
    format!("{open}{what}{close}")
}

/// A block of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A heading: level 1 (a section) to 3.
    Heading(u8, String),
    /// A paragraph of inline pieces.
    Paragraph(Vec<Inline>),
    /// A bulleted list; each item is a line of inline pieces.
    List(Vec<Vec<Inline>>),
    /// A table: the header cells, then rows of cells; each cell is a line of inline pieces.
    Table {
        /// Column headings.
        header: Vec<String>,
        /// Rows.
        rows: Vec<Vec<Vec<Inline>>>,
    },
}

/// A piece of a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    /// Text as it is (renderers escape it).
    Text(String),
    /// Text in bold.
    Strong(String),
    /// A blank for a person to fill in, with what belongs there (e.g. `原因の詳細` / `contact of the DPO`).
    Fill(String),
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

    use super::*;

    /// A short document with every kind of block, in `lang`.
    pub(super) fn sample(lang: &str) -> Document {
        Document {
            title: "個人データの漏えい等報告".into(),
            lang: lang.into(),
            blocks: vec![
                Block::Heading(1, "事案の概要".into()),
                Block::Paragraph(vec![
                    Inline::Text("発覚日: ".into()),
                    Inline::Strong("2024年5月1日".into()),
                    Inline::Text("。原因: ".into()),
                    Inline::Fill("原因の詳細".into()),
                ]),
                Block::List(vec![
                    vec![Inline::Text("氏名".into())],
                    vec![Inline::Text("住所".into()), Inline::Fill("その他の項目".into())],
                ]),
                Block::Table {
                    header: vec!["項目".into(), "内容".into()],
                    rows: vec![
                        vec![vec![Inline::Text("件数".into())], vec![Inline::Text("1,234人".into())]],
                        vec![vec![Inline::Text("連絡先".into())], vec![Inline::Fill("担当者".into())]],
                    ],
                },
            ],
        }
    }

    #[test]
    fn fills_are_listed_in_order() {
        assert_eq!(sample("ja").fills(), ["原因の詳細", "その他の項目", "担当者"]);
    }

    #[test]
    fn blanks_are_worded_by_language() {
        assert!(japanese("ja") && japanese("ja-JP") && japanese("JA"));
        assert!(!japanese("en") && !japanese("jam") && !japanese(""));
        assert_eq!(fill_label(true, "x"), "【要記入: x】");
        assert_eq!(fill_label(false, "x"), "[TO FILL: x]");
    }
}
