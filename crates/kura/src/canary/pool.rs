//! The contact points the organisation controls, read from TOML.
//!
//! ```toml
//! phones = ["090-1234-0001", "+81 80 5555 0002"]   # numbers the organisation owns
//!
//! [email]
//! domains = ["mail.canary-example.jp"]              # aliases are generated on these domains
//!
//! [card]
//! bins = ["49999912"]                               # BINs the issuer confirms are never issued
//!
//! [[mail_drop]]
//! postal_code = "100-0005"
//! address = "東京都千代田区丸の内1-2-3 丸の内ビル 301号室"
//!
//! [[mail_drop]]
//! country = "us"                                    # default "jp"
//! postal_code = "94105"
//! address = "123 Main St Apt 5, San Francisco, CA 94105"
//! ```
//!
//! Every entry is checked with the normaliser for its field type when the file is read, and two entries that
//! normalise to the same value are refused (they would be one contact point handed out twice). Errors name
//! the key (`phones[3]`, `mail_drop[0].postal_code`), never the value.

use std::collections::HashMap;

use serde::Deserialize;

use crate::card;
use crate::normalize::{self, PREFECTURES};
use crate::schema::FieldType;

/// Why a pools file was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PoolError {
    /// Not TOML, or a key that is unknown or of the wrong type (the message names it).
    #[error("cannot read the canary pools: {0}")]
    Toml(#[from] toml::de::Error),
    /// One entry is malformed.
    #[error("canary pools: `{key}`: {reason}")]
    Entry {
        /// Where, e.g. `phones[3]`.
        key: String,
        /// What is wrong, without the value.
        reason: String,
    },
    /// Two entries are the same contact point.
    #[error("canary pools: `{key}` is the same contact point as `{first}`")]
    Duplicate {
        /// The later entry.
        key: String,
        /// The earlier one.
        first: String,
    },
}

/// The country of a mail-drop address, which decides the address field type it can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Country {
    /// A Japanese address (`jp_address`), postal code `NNN-NNNN`.
    #[default]
    Jp,
    /// A US address (`us_address`), ZIP or ZIP+4.
    Us,
}

impl Country {
    /// The address field type of this country.
    pub fn address_type(self) -> FieldType {
        match self {
            Country::Jp => FieldType::JpAddress,
            Country::Us => FieldType::UsAddress,
        }
    }
}

/// A postal address where mail reaches the organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailDrop {
    /// Japanese or US.
    pub country: Country,
    /// As written in the file.
    pub postal_code: String,
    /// As written in the file.
    pub address: String,
    /// The address's canonical form (the registry key).
    pub canonical: String,
    /// The prefecture, for Japanese addresses.
    pub prefecture: Option<&'static str>,
}

/// A phone number the organisation owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone {
    /// As written in rows: `090-1234-5678` for Japanese numbers, `+1 415-555-0100` for US numbers.
    pub written: String,
    /// E.164 (the registry key).
    pub canonical: String,
}

/// The organisation's canary pools, validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pools {
    /// Mail-drop addresses, in file order.
    pub mail_drops: Vec<MailDrop>,
    /// Phone numbers, in file order.
    pub phones: Vec<Phone>,
    /// Canary e-mail domains, lower case.
    pub email_domains: Vec<String>,
    /// Never-issued card BINs (6 to 8 digits).
    pub card_bins: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    phones: Vec<String>,
    #[serde(default)]
    email: Option<EmailFile>,
    #[serde(default)]
    card: Option<CardFile>,
    #[serde(default)]
    mail_drop: Vec<MailDropFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailFile {
    domains: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CardFile {
    bins: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MailDropFile {
    #[serde(default)]
    country: Country,
    postal_code: String,
    address: String,
}

fn entry(key: String, reason: impl ToString) -> PoolError {
    PoolError::Entry { key, reason: reason.to_string() }
}

/// Remembers canonical forms and refuses the second entry with the same one.
#[derive(Default)]
struct Seen(HashMap<String, String>);

impl Seen {
    fn insert(&mut self, canonical: &str, key: &str) -> Result<(), PoolError> {
        if let Some(first) = self.0.get(canonical) {
            return Err(PoolError::Duplicate { key: key.to_owned(), first: first.clone() });
        }
        self.0.insert(canonical.to_owned(), key.to_owned());
        Ok(())
    }
}

impl Pools {
    /// Whether a contact point, in canonical form ([`crate::normalize::canonical`] of its type), is one of
    /// the organisation's canary contact points: a mail drop, a canary phone number, or an e-mail address
    /// on a canary domain. Together with [`super::Registry::is_canary_contact`], the exclusion list for the
    /// organisation's own mailings.
    pub fn is_canary_contact(&self, kind: FieldType, canonical: &str) -> bool {
        match kind {
            FieldType::JpAddress | FieldType::UsAddress => self.mail_drops.iter().any(|d| d.canonical == canonical),
            FieldType::Phone => self.phones.iter().any(|p| p.canonical == canonical),
            FieldType::Email => canonical.rsplit_once('@').is_some_and(|(_, domain)| {
                let domain = domain.to_ascii_lowercase();
                self.email_domains.iter().any(|d| domain == *d || domain.ends_with(&format!(".{d}")))
            }),
            _ => false,
        }
    }

    /// Reads and validates a pools file.
    ///
    /// # Errors
    /// [`PoolError::Toml`] for syntax errors and unknown keys, [`PoolError::Entry`] for an entry the normaliser
    /// refuses, [`PoolError::Duplicate`] for two entries that are the same contact point.
    pub fn from_toml(text: &str) -> Result<Pools, PoolError> {
        let file: File = toml::from_str(text)?;
        let mut seen = Seen::default();
        let mut pools = Pools::default();

        for (i, raw) in file.phones.iter().enumerate() {
            let key = format!("phones[{i}]");
            let canonical = normalize::canonical(FieldType::Phone, raw).map_err(|e| entry(key.clone(), e))?;
            seen.insert(&canonical, &key)?;
            pools.phones.push(Phone { written: written_phone(&canonical, raw), canonical });
        }

        for (i, domain) in file.email.map(|e| e.domains).unwrap_or_default().iter().enumerate() {
            let key = format!("email.domains[{i}]");
            let domain = domain.trim().to_ascii_lowercase();
            let well_formed = domain.contains('.')
                && !domain.starts_with(['.', '-'])
                && !domain.ends_with(['.', '-'])
                && !domain.contains("..")
                && domain.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
            if !well_formed {
                return Err(entry(key, "expected a domain name such as `canary.example.jp`"));
            }
            normalize::canonical(FieldType::Email, &format!("canary@{domain}")).map_err(|e| entry(key.clone(), e))?;
            seen.insert(&format!("@{domain}"), &key)?;
            pools.email_domains.push(domain);
        }

        for (i, bin) in file.card.map(|c| c.bins).unwrap_or_default().iter().enumerate() {
            let key = format!("card.bins[{i}]");
            let bin = bin.trim();
            if !(6..=8).contains(&bin.len()) || !bin.bytes().all(|b| b.is_ascii_digit()) {
                return Err(entry(key, "expected a BIN of 6 to 8 digits"));
            }
            if card::brand_of(bin) == card::Brand::Unknown {
                return Err(entry(key, "the BIN belongs to no known card brand, so canary cards would stand out"));
            }
            seen.insert(&format!("bin:{bin}"), &key)?;
            pools.card_bins.push(bin.to_owned());
        }

        for (i, drop) in file.mail_drop.iter().enumerate() {
            let key = format!("mail_drop[{i}]");
            let postal = normalize::canonical(FieldType::PostalCode, &drop.postal_code)
                .map_err(|e| entry(format!("{key}.postal_code"), e))?;
            let japanese_code = postal.len() == 8 && postal.as_bytes().get(3) == Some(&b'-');
            if japanese_code != (drop.country == Country::Jp) {
                return Err(entry(format!("{key}.postal_code"), "the postal code is not of the address's country"));
            }
            let canonical = normalize::canonical(drop.country.address_type(), &drop.address)
                .map_err(|e| entry(format!("{key}.address"), e))?;
            seen.insert(&canonical, &key)?;
            let prefecture = match drop.country {
                Country::Jp => prefecture_of(&canonical),
                Country::Us => None,
            };
            pools.mail_drops.push(MailDrop {
                country: drop.country,
                postal_code: drop.postal_code.trim().to_owned(),
                address: drop.address.trim().to_owned(),
                canonical,
                prefecture,
            });
        }
        Ok(pools)
    }
}

/// The prefecture a Japanese address starts with.
pub(crate) fn prefecture_of(address: &str) -> Option<&'static str> {
    let address = address.trim_start();
    PREFECTURES.iter().copied().find(|p| address.starts_with(p))
}

/// How a pool number is written in rows: Japanese numbers in the national form with hyphens (as the real rows
/// of `corporate-mobile` are), US numbers as `+1 NPA-NXX-XXXX`, others as given.
fn written_phone(canonical: &str, raw: &str) -> String {
    if let Some(national) = canonical.strip_prefix("+81") {
        let digits = format!("0{national}");
        let mobile = ["070", "080", "090", "020", "050", "060"].iter().any(|p| digits.starts_with(p));
        if let (true, Some(a), Some(b), Some(c)) =
            (mobile && digits.len() == 11, digits.get(..3), digits.get(3..7), digits.get(7..))
        {
            return format!("{a}-{b}-{c}");
        }
        return digits;
    }
    if let Some(us) = canonical.strip_prefix("+1") {
        if let (Some(a), Some(b), Some(c)) = (us.get(..3), us.get(3..6), us.get(6..)) {
            return format!("+1 {a}-{b}-{c}");
        }
    }
    raw.trim().to_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

    use super::*;

    const GOOD: &str = r#"
phones = ["090-1234-0001", "+81 80 5555 0002", "+1 (415) 555-0100"]

[email]
domains = ["Mail.Canary-Example.JP"]

[card]
bins = ["49999912"]

[[mail_drop]]
postal_code = "100-0005"
address = "東京都千代田区丸の内1-2-3 丸の内ビル 301号室"

[[mail_drop]]
country = "us"
postal_code = "94105"
address = "123 Main St Apt 5, San Francisco, CA 94105"
"#;

    #[test]
    fn reads_and_normalises_every_pool() {
        let p = Pools::from_toml(GOOD).unwrap();
        assert_eq!(p.phones[0].canonical, "+819012340001");
        assert_eq!(p.phones[1].written, "080-5555-0002");
        assert_eq!(p.phones[2].written, "+1 415-555-0100");
        assert_eq!(p.email_domains, ["mail.canary-example.jp"]);
        assert_eq!(p.card_bins, ["49999912"]);
        assert_eq!(p.mail_drops[0].prefecture, Some("東京都"));
        assert_eq!(p.mail_drops[1].country, Country::Us);
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = Pools::from_toml("phone = []").unwrap_err().to_string();
        assert!(e.contains("unknown field `phone`"), "{e}");
        let e = Pools::from_toml(
            "[[mail_drop]]\npostal_code = \"100-0005\"\naddress = \"東京都千代田区丸の内1-2-3\"\nroom = 1",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("unknown field `room`"), "{e}");
    }

    #[test]
    fn bad_entries_are_named_without_their_value() {
        let e = Pools::from_toml(r#"phones = ["090-1234-0001", "12"]"#).unwrap_err().to_string();
        assert!(e.contains("`phones[1]`") && !e.contains("\"12\""), "{e}");
        let e = Pools::from_toml("[[mail_drop]]\npostal_code = \"94105\"\naddress = \"東京都千代田区丸の内1-2-3\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("`mail_drop[0].postal_code`"), "{e}");
        let e = Pools::from_toml("[email]\ndomains = [\"nodot\"]").unwrap_err().to_string();
        assert!(e.contains("`email.domains[0]`"), "{e}");
        let e = Pools::from_toml("[card]\nbins = [\"999999\"]").unwrap_err().to_string();
        assert!(e.contains("`card.bins[0]`"), "{e}");
    }

    #[test]
    fn the_same_contact_point_twice_is_refused_in_any_notation() {
        let e = Pools::from_toml(r#"phones = ["090-1234-0001", "+81 90 1234 0001"]"#).unwrap_err().to_string();
        assert!(e.contains("`phones[1]`") && e.contains("`phones[0]`"), "{e}");
        let e = Pools::from_toml(
            "[[mail_drop]]\npostal_code = \"100-0005\"\naddress = \"東京都千代田区丸の内1-2-3\"\n\
             [[mail_drop]]\npostal_code = \"1000005\"\naddress = \"東京都千代田区丸の内一丁目2番3号\"",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("`mail_drop[1]`"), "{e}");
    }
}
