//! RFC 4648 base32 (alphabet `A`–`Z`, `2`–`7`): the encoding of TOTP secrets in `otpauth://` URIs and of
//! API token ids.
//!
//! Encoding writes upper case, with or without `=` padding. Decoding accepts either case and optional padding,
//! and is otherwise strict: a character outside the alphabet, an impossible length, misplaced padding or
//! non-zero trailing bits is an error, so every byte string has exactly one unpadded upper-case encoding
//! (property-tested). Errors name positions, never the text, because the text is usually a secret.
//!
//! Output buffers are allocated at their exact final size, so encoding or decoding a secret into a
//! zeroising buffer leaves no reallocated copy behind.

/// Decoding base32 failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A character outside the base32 alphabet.
    #[error("invalid base32 character at position {0}")]
    Character(usize),
    /// No byte string encodes to this many characters.
    #[error("invalid base32 length")]
    Length,
    /// Padding that is not the exact `=` run completing the last group.
    #[error("invalid base32 padding")]
    Padding,
    /// The unused low bits of the last character are not zero (a non-canonical encoding).
    #[error("base32 text has non-zero trailing bits")]
    TrailingBits,
}

/// The character for a 5-bit value.
fn symbol(value: u8) -> char {
    let v = value & 0x1f;
    if v < 26 {
        char::from(b'A' + v)
    } else {
        char::from(b'2' + (v - 26))
    }
}

/// The 5-bit value of a character, either case.
fn value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a'),
        b'2'..=b'7' => Some(c - b'2' + 26),
        _ => None,
    }
}

/// Whether `c` is in the upper-case alphabet that [`encode`] writes.
pub(crate) fn is_canonical_symbol(c: u8) -> bool {
    matches!(c, b'A'..=b'Z' | b'2'..=b'7')
}

/// The base32 character for the low five bits of `value` (used to draw random ids).
pub(crate) fn symbol_for(value: u8) -> char {
    symbol(value)
}

/// The length of the encoding of `len` bytes.
pub fn encoded_len(len: usize, pad: bool) -> usize {
    if pad {
        len.div_ceil(5).saturating_mul(8)
    } else {
        len.saturating_mul(8).div_ceil(5)
    }
}

/// Encodes `data` in upper case, with `=` padding to a multiple of eight characters if `pad`.
pub fn encode(data: &[u8], pad: bool) -> String {
    let mut out = String::with_capacity(encoded_len(data.len(), pad));
    for chunk in data.chunks(5) {
        // Up to 40 bits, left-aligned in a 40-bit group.
        let group = chunk.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)) << (8 * (5 - chunk.len()));
        let symbols = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            if i < symbols {
                let shift = 35 - 5 * i;
                out.push(symbol(((group >> shift) & 0x1f) as u8));
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes base32 text (either case, padding optional).
pub fn decode(text: &str) -> Result<Vec<u8>, DecodeError> {
    let unpadded = text.trim_end_matches('=');
    let pad = text.len() - unpadded.len();
    if unpadded.contains('=') {
        return Err(DecodeError::Padding);
    }
    let rem = unpadded.len() % 8;
    // 1, 3 and 6 leftover characters carry 5, 15 and 30 bits: no whole number of bytes ends that way.
    if matches!(rem, 1 | 3 | 6) {
        return Err(DecodeError::Length);
    }
    if pad != 0 && pad != (8 - rem) % 8 {
        return Err(DecodeError::Padding);
    }
    let mut out = Vec::with_capacity(unpadded.len() * 5 / 8);
    let mut acc: u32 = 0;
    let mut bits: u32 = 0;
    for (i, c) in unpadded.bytes().enumerate() {
        let v = value(c).ok_or(DecodeError::Character(i))?;
        acc = (acc << 5) | u32::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if acc != 0 {
        return Err(DecodeError::TrailingBits);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

    use super::*;
    use proptest::prelude::*;

    /// RFC 4648 section 10 test vectors.
    const RFC4648: [(&str, &str); 7] = [
        ("", ""),
        ("f", "MY======"),
        ("fo", "MZXQ===="),
        ("foo", "MZXW6==="),
        ("foob", "MZXW6YQ="),
        ("fooba", "MZXW6YTB"),
        ("foobar", "MZXW6YTBOI======"),
    ];

    #[test]
    fn rfc4648_vectors() {
        for (plain, encoded) in RFC4648 {
            assert_eq!(encode(plain.as_bytes(), true), encoded, "encode {plain:?}");
            assert_eq!(encode(plain.as_bytes(), false), encoded.trim_end_matches('='), "encode unpadded {plain:?}");
            assert_eq!(decode(encoded).unwrap(), plain.as_bytes(), "decode {encoded:?}");
            assert_eq!(decode(encoded.trim_end_matches('=')).unwrap(), plain.as_bytes());
            assert_eq!(decode(&encoded.to_lowercase()).unwrap(), plain.as_bytes());
        }
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(decode("MY1"), Err(DecodeError::Length));
        assert_eq!(decode("M"), Err(DecodeError::Length));
        assert_eq!(decode("MZXW6Y"), Err(DecodeError::Length));
        assert_eq!(decode("MZ0Q"), Err(DecodeError::Character(2)));
        assert_eq!(decode("MZXQ 234"), Err(DecodeError::Character(4)));
        assert_eq!(decode("MZXQ==="), Err(DecodeError::Padding), "one '=' short");
        assert_eq!(decode("MZXQ====="), Err(DecodeError::Padding), "one '=' too many");
        assert_eq!(decode("MZXW6YTB========"), Err(DecodeError::Padding), "a whole group of padding");
        assert_eq!(decode("MY==MY======"), Err(DecodeError::Padding), "padding in the middle");
        // "MZ" carries 10 bits for one byte; the last two must be zero ("MY" is the canonical form of "f").
        assert_eq!(decode("MZ"), Err(DecodeError::TrailingBits));
        assert_eq!(decode("MZXR"), Err(DecodeError::TrailingBits));
    }

    #[test]
    fn error_messages_do_not_echo_input() {
        let err = decode("SECRETSECRET!").unwrap_err();
        assert!(!err.to_string().contains("SECRET"), "{err}");
    }

    proptest! {
        #[test]
        fn round_trip(data in proptest::collection::vec(any::<u8>(), 0..80), pad in any::<bool>()) {
            let text = encode(&data, pad);
            prop_assert_eq!(text.len(), encoded_len(data.len(), pad));
            prop_assert!(text.bytes().all(|c| is_canonical_symbol(c) || c == b'='));
            prop_assert_eq!(decode(&text).unwrap(), data.clone());
            prop_assert_eq!(decode(&text.to_lowercase()).unwrap(), data);
        }

        #[test]
        fn canonical(text in "[A-Z2-7]{0,40}") {
            // Whatever decodes re-encodes to the same text: one encoding per byte string.
            if let Ok(data) = decode(&text) {
                prop_assert_eq!(encode(&data, false), text);
            }
        }
    }
}
