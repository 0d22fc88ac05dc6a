//! Decrypted personal values.
//!
//! A [`Plain`] exists only after the vault decrypted a field for an access that passed the gateway; it is
//! zeroised on drop and its `Debug` never shows the value, so a stray `{:?}` in a log line cannot leak it.

use zeroize::Zeroizing;

/// A personal value in the clear. Zeroised on drop, redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Plain(Zeroizing<String>);

impl Plain {
    /// Wraps a value.
    pub fn new(s: String) -> Plain {
        Plain(Zeroizing::new(s))
    }

    /// The value. Callers must not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Plain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Plain(<{} chars redacted>)", self.0.chars().count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts() {
        let p = Plain::new("山田太郎".to_owned());
        assert_eq!(format!("{p:?}"), "Plain(<4 chars redacted>)");
        assert_eq!(p.expose(), "山田太郎");
    }
}
