//! The tamper-evident access log.
//!
//! Every read, search, write, erasure, export, print, login and administrative action is appended as an
//! [`Entry`] to an RFC 6962 Merkle tree ([`merkle`]) **before** any data is returned: if the entry cannot be
//! made durable, the operation fails and returns nothing ([`Log::append`] blocks until the entry is committed;
//! concurrent appends share one commit — group commit).
//!
//! Entries carry no personal value. Where an entry refers to a person it holds a keyed [`Commitment`] to the
//! record id (an HMAC under the collection's audit key), so the published log reveals nothing about who was
//! accessed to anyone without the key, and erasing a person never requires touching the log.
//!
//! Outsiders verify the log with standard tools: signed checkpoints are C2SP `tlog-checkpoint`s in the
//! `signed-note` format with Ed25519 ([`note`], [`checkpoint`]), the signer refuses to sign a tree that is
//! not consistent with the last one it signed ([`signer`]), witnesses keep copies elsewhere ([`witness`]),
//! and the whole log can be published as C2SP `tlog-tiles` ([`tiles`], [`publish`]).

pub mod checkpoint;
pub mod log;
pub mod merkle;
pub mod note;
pub mod proof;
pub mod publish;
pub mod signer;
pub mod store;
pub mod tiles;
pub mod verify;
pub mod witness;

use serde::{Deserialize, Serialize};

pub use self::log::Log;
use crate::crypto::SecretKey;
use crate::id::RecordId;

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Action {
    /// Records were read (decrypted for a caller).
    Read,
    /// An exact-match search.
    Search,
    /// Records were created (import).
    Create,
    /// Records were changed.
    Update,
    /// A person was erased.
    Erase,
    /// A bulk export.
    Export,
    /// A print job.
    Print,
    /// Someone unlocked the vault (key file and passphrase) or signed in.
    Login,
    /// A policy changed.
    PolicyChange,
    /// Keys were created, rotated or destroyed (including a new collection's keys).
    KeyChange,
    /// The access log itself was queried.
    LogAccess,
    /// A card token was turned back into a card number.
    Detokenise,
    /// A principal was created or changed (roles, assignments, suspension, credentials).
    PrincipalChange,
    /// A leak was traced back to exports and people.
    Trace,
    /// An alert was raised (anomaly rule, honey record, canary hit) or handled.
    Alert,
    /// A service-desk order was created or changed.
    Order,
    /// An incident was opened, analysed, changed or reported on.
    Incident,
}

impl Action {
    /// The name used in entries.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Search => "search",
            Action::Create => "create",
            Action::Update => "update",
            Action::Erase => "erase",
            Action::Export => "export",
            Action::Print => "print",
            Action::Login => "login",
            Action::PolicyChange => "policy-change",
            Action::KeyChange => "key-change",
            Action::LogAccess => "log-access",
            Action::Detokenise => "detokenise",
            Action::PrincipalChange => "principal-change",
            Action::Trace => "trace",
            Action::Alert => "alert",
            Action::Order => "order",
            Action::Incident => "incident",
        }
    }
}

/// How it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Outcome {
    /// Allowed and done (for reads: the data is about to be returned).
    Allow,
    /// Refused by policy.
    Deny,
    /// Allowed but failed (not found, erased, damaged, storage error).
    Fail,
}

/// A keyed commitment to a record id: `HMAC-SHA-256(audit key of the collection, record id)`, 128 bits,
/// URL-safe base64 without padding. Without the key it reveals nothing; with it, "who saw this person?"
/// is a lookup.
pub type Commitment = String;

/// Computes commitments for one collection.
#[derive(Clone)]
pub struct Committer {
    index: crate::crypto::BlindIndex,
}

impl std::fmt::Debug for Committer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Committer(..)")
    }
}

impl Committer {
    /// A committer under a collection's audit key.
    pub fn new(key: &SecretKey) -> Result<Committer, crate::crypto::Error> {
        Ok(Committer { index: crate::crypto::BlindIndex::new(key, "kura/audit-subject")? })
    }

    /// The commitment to a principal (under the vault's authentication key), naming principal changes in
    /// the log.
    pub fn commit_name(&self, name: &str) -> Commitment {
        self.commit_tag("principal", name)
    }

    /// The commitment to a named object of kind `kind` (`export`, `alert`): every log entry about it names
    /// it, so its history is one subject-index lookup.
    pub fn commit_tag(&self, kind: &str, name: &str) -> Commitment {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.index.token(&format!("{kind}:{name}")))
    }

    /// The commitment to one record.
    pub fn commit(&self, id: RecordId) -> Commitment {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.index.token(&id.to_string()))
    }
}

/// One access-log entry. Serialised as JSON (fields in this order) to form the Merkle leaf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Position in the log (the Merkle leaf index), from 0.
    pub seq: u64,
    /// Unix time in milliseconds.
    pub time_ms: i64,
    /// Who (a staff member, contractor or service account — not a data subject).
    pub principal: String,
    /// What.
    pub action: Action,
    /// The collection, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection: Option<String>,
    /// Commitments to the records involved.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<Commitment>,
    /// The fields involved (names, never values).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    /// Why (ticket or order number).
    pub purpose: String,
    /// How it ended.
    pub outcome: Outcome,
    /// From where (CLI user@host, or client address).
    pub origin: String,
    /// Request id shared by all entries of one operation.
    pub request: String,
    /// Counts and reasons, never personal values.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// The most subjects one entry lists; larger operations write several entries with the same request id.
pub const MAX_SUBJECTS: usize = 1000;

impl Entry {
    /// An upper bound of the length of [`Entry::to_leaf`], without serialising.
    pub fn to_leaf_bound(&self) -> usize {
        // JSON escapes a byte as at most six (`\u001f`); keys, numbers, quotes and commas stay under 512.
        let strings = self.principal.len()
            + self.collection.as_ref().map_or(0, String::len)
            + self.subjects.iter().map(|s| s.len() + 3).sum::<usize>()
            + self.fields.iter().map(|s| s.len() + 3).sum::<usize>()
            + self.purpose.len()
            + self.origin.len()
            + self.request.len()
            + self.detail.len();
        512 + 6 * strings
    }

    /// The leaf data: the entry as JSON.
    pub fn to_leaf(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(self)
    }

    /// Parses leaf data.
    pub fn from_leaf(data: &[u8]) -> Result<Entry, serde_json::Error> {
        serde_json::from_slice(data)
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// A new request id.
pub fn request_id() -> String {
    // The thread's CSPRNG (seeded from the OS), not a system call per request.
    uuid::Builder::from_random_bytes(rand::random::<[u8; 16]>()).into_uuid().to_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use proptest::prelude::*;

    fn any_text() -> impl Strategy<Value = String> {
        // Control characters (escaped six-fold), quotes, backslashes, multi-byte characters.
        proptest::collection::vec(
            prop_oneof![Just('\u{1}'), Just('"'), Just('\\'), Just('a'), Just('日'), Just('\u{1f600}')],
            0..200,
        )
        .prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #[test]
        fn the_leaf_bound_is_never_below_the_leaf(
            principal in any_text(), purpose in any_text(), detail in any_text(),
            fields in proptest::collection::vec(any_text(), 0..5),
            subjects in proptest::collection::vec(any_text(), 0..5),
            seq in any::<u64>(), time_ms in any::<i64>(),
        ) {
            let e = Entry {
                seq, time_ms, principal, action: Action::PrincipalChange, collection: Some("c".to_owned()),
                subjects, fields, purpose, outcome: Outcome::Deny, origin: "o".to_owned(),
                request: request_id(), detail,
            };
            prop_assert!(e.to_leaf().unwrap().len() <= e.to_leaf_bound());
        }
    }

    #[test]
    fn request_ids_are_random_v4_uuids() {
        let (a, b) = (request_id(), request_id());
        assert_ne!(a, b);
        let u = uuid::Uuid::parse_str(&a).unwrap();
        assert_eq!(u.get_version_num(), 4);
    }
}
