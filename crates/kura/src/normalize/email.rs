//! E-mail addresses.
//!
//! NFKC (so `ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ` is `taro@example.jp`), trimmed, domain lower-cased. The local part keeps
//! its case: RFC 5321 lets a server treat `Taro` and `taro` as different mailboxes, and provider-specific
//! rules (dots and `+tags` at Gmail) are not applied because they do not hold elsewhere.
//!
//! Guarantees: the result has exactly one `@`, a non-empty local part, and a domain with at least one dot,
//! no empty label, and no white space anywhere.

use super::{chars, Error};
use crate::schema::FieldType;

const KIND: FieldType = FieldType::Email;

fn invalid(reason: &'static str) -> Error {
    Error::Invalid { kind: KIND, reason }
}

pub(super) fn canonical(raw: &str) -> Result<String, Error> {
    let src = chars::prepare(KIND, raw)?;
    if src.iter().any(|c| c.is_whitespace()) {
        return Err(invalid("must not contain spaces"));
    }
    let Some(at) = src.iter().position(|&c| c == '@') else {
        return Err(invalid("expected an `@`"));
    };
    let (local, domain) = src.split_at_checked(at).unwrap_or((&[], &[]));
    let domain = domain.get(1..).unwrap_or_default();
    if domain.contains(&'@') {
        return Err(invalid("expected exactly one `@`"));
    }
    if local.is_empty() {
        return Err(invalid("the part before `@` is empty"));
    }
    if domain.is_empty() {
        return Err(invalid("the domain after `@` is empty"));
    }
    if !domain.contains(&'.') {
        return Err(invalid("the domain must contain a dot"));
    }
    if domain.split(|&c| c == '.').any(<[char]>::is_empty) {
        return Err(invalid("the domain has an empty label"));
    }
    let mut out = String::with_capacity(src.len() + 4);
    out.extend(local.iter());
    out.push('@');
    for &c in domain {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    fn reason(raw: &str) -> &'static str {
        match canonical(raw) {
            Err(Error::Invalid { reason, .. }) => reason,
            other => panic!("{raw}: {other:?}"),
        }
    }

    #[test]
    fn variants() {
        for raw in [
            "Taro.Yamada@Example.JP",
            " Taro.Yamada@example.jp ",
            "Ｔａｒｏ．Ｙａｍａｄａ＠ｅｘａｍｐｌｅ．ｊｐ",
            "Taro.Yamada@EXAMPLE.jp",
        ] {
            assert_eq!(canonical(raw).unwrap(), "Taro.Yamada@example.jp", "{raw}");
        }
        assert_ne!(canonical("Taro@example.jp").unwrap(), canonical("taro@example.jp").unwrap());
        assert_eq!(canonical("user@ÉXAMPLE.com").unwrap(), "user@éxample.com");
        assert_eq!(canonical("a+tag@sub.example.co.jp").unwrap(), "a+tag@sub.example.co.jp");
    }

    #[test]
    fn rejections() {
        assert_eq!(reason("taro.example.jp"), "expected an `@`");
        assert_eq!(reason("taro@@example.jp"), "expected exactly one `@`");
        assert_eq!(reason("taro@example@jp"), "expected exactly one `@`");
        assert_eq!(reason("@example.jp"), "the part before `@` is empty");
        assert_eq!(reason("taro@"), "the domain after `@` is empty");
        assert_eq!(reason("taro@localhost"), "the domain must contain a dot");
        assert_eq!(reason("taro@example..jp"), "the domain has an empty label");
        assert_eq!(reason("taro@.example.jp"), "the domain has an empty label");
        assert_eq!(reason("taro@example.jp."), "the domain has an empty label");
        assert_eq!(reason("taro yamada@example.jp"), "must not contain spaces");
        assert_eq!(reason("taro@exa　mple.jp"), "must not contain spaces");
    }
}
