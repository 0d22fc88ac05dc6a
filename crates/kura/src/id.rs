//! Identifiers as newtypes, so a record id is never confused with a collection id or a string.

use std::fmt;
use std::str::FromStr;

/// A record's id: a random 128-bit value, shown as a UUID. Carries no personal information.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordId(pub [u8; 16]);

impl RecordId {
    /// A fresh random id.
    pub fn generate() -> RecordId {
        RecordId(*uuid::Uuid::new_v4().as_bytes())
    }

    /// From stored bytes.
    pub fn from_slice(b: &[u8]) -> Option<RecordId> {
        b.try_into().ok().map(RecordId)
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        uuid::Uuid::from_bytes(self.0).hyphenated().fmt(f)
    }
}

impl fmt::Debug for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordId({self})")
    }
}

/// A string is not a record id. The string is not repeated: a mistyped id may be a personal value.
#[derive(Debug, thiserror::Error)]
#[error("not a record id (expected a UUID such as 1869c78b-8ba9-4b49-b0ad-6f10d40f29c1; use --external-id for an external id)")]
pub struct ParseRecordIdError;

impl FromStr for RecordId {
    type Err = ParseRecordIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        uuid::Uuid::parse_str(s.trim()).map(|u| RecordId(*u.as_bytes())).map_err(|_| ParseRecordIdError)
    }
}

/// A collection's id within one vault's store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CollectionId(pub i64);

impl serde::Serialize for RecordId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for RecordId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<RecordId, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(|_| serde::de::Error::custom("a record id is a UUID"))
    }
}
