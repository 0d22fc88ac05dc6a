//! Identifiers and free text.
//!
//! - Identifier: NFKC (`ＥＭＰ－００４２` = `EMP-0042`), trimmed, runs of white space collapsed to one space.
//!   Case is kept: identifiers from other systems may be case-sensitive.
//! - Free text: NFC and trimmed, nothing else, because its exact content matters and it is never searched.
//!   It has no length limit here; the store decides how much it keeps.

use unicode_normalization::UnicodeNormalization;

use super::{chars, Error};
use crate::schema::FieldType;

/// An opaque identifier.
pub(super) fn identifier(raw: &str) -> Result<String, Error> {
    let src = chars::prepare(FieldType::Identifier, raw)?;
    let mut out = String::with_capacity(src.len());
    let mut space = false;
    for &c in &src {
        if c.is_whitespace() {
            space = true;
        } else {
            if std::mem::take(&mut space) {
                out.push(' ');
            }
            out.push(c);
        }
    }
    Ok(out)
}

/// Free text.
pub(super) fn free_text(raw: &str) -> Result<String, Error> {
    let trimmed = raw.trim_matches(|c: char| c.is_whitespace() || chars::is_invisible(c));
    if trimmed.is_empty() {
        return Err(Error::Empty { kind: FieldType::FreeText });
    }
    Ok(trimmed.nfc().collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    #[test]
    fn identifiers() {
        assert_eq!(identifier(" ＥＭＰ－００４２ ").unwrap(), "EMP-0042");
        assert_eq!(identifier("A  \t B").unwrap(), "A B");
        assert_ne!(identifier("abc").unwrap(), identifier("ABC").unwrap());
    }

    #[test]
    fn free_text_keeps_content() {
        assert_eq!(free_text("  line one\n\n  line two  ").unwrap(), "line one\n\n  line two");
        // NFC composes, but does not fold width.
        assert_eq!(free_text("e\u{301} ＡＢ").unwrap(), "\u{e9} ＡＢ");
        assert!(matches!(free_text(" \u{200B} "), Err(Error::Empty { .. })));
    }
}
