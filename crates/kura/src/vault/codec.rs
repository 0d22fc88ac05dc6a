//! The byte layout of a record's sealed fields: for each present field, its schema position (1 byte), the
//! sealed length (4 bytes, little endian) and the sealed bytes. Absent fields take no space.

/// A field blob could not be decoded.
#[derive(Debug, thiserror::Error)]
#[error("stored record is damaged (field list cannot be decoded)")]
pub struct Damaged;

/// Appends one sealed field.
pub fn push(out: &mut Vec<u8>, pos: u8, sealed: &[u8]) {
    out.push(pos);
    out.extend_from_slice(&(sealed.len() as u32).to_le_bytes());
    out.extend_from_slice(sealed);
}

/// Splits a blob into (position, sealed bytes).
pub fn split(mut b: &[u8]) -> Result<Vec<(u8, &[u8])>, Damaged> {
    let mut out = Vec::new();
    while let Some((&pos, rest)) = b.split_first() {
        let (len, rest) = rest.split_at_checked(4).ok_or(Damaged)?;
        let len = u32::from_le_bytes(len.try_into().map_err(|_| Damaged)?) as usize;
        let (sealed, rest) = rest.split_at_checked(len).ok_or(Damaged)?;
        out.push((pos, sealed));
        b = rest;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn round_trip_and_truncation() {
        let mut b = Vec::new();
        push(&mut b, 3, b"abc");
        push(&mut b, 7, b"");
        assert_eq!(split(&b).unwrap(), vec![(3u8, &b"abc"[..]), (7u8, &b""[..])]);
        assert!(split(&b[..b.len() - 1]).is_err());
        assert!(split(&b[..6]).is_err());
    }
}
