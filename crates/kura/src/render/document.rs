//! Documents for people to read and sign: the incident report drafts (the regulator's report, the GDPR
//! notification, the notice to individuals, the public statement), written once as a small [`Document`] model
//! and rendered as Markdown, HTML and PDF.
//!
//! The model has no styling: headings, paragraphs, lists, two-column "item / content" tables and
//! [`Inline::Fill`] — a blank a person must fill in because kura cannot know it (the cause as the
//! organisation understands it, the contact person, the measures decided). Every renderer makes a blank
//! impossible to overlook, so that a draft is never sent with a gap nobody noticed.

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
