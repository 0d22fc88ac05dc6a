//! Storage: one trait, two real backends.
//!
//! - [`sqlite::SqliteStore`] — the embedded default: a vault directory with `vault.db` (ciphertexts and
//!   blind-index tokens) and `keyring.db` (wrapped keys), both in WAL mode with full fsync on commit.
//! - [`postgres::PgStore`] — the scale-out backend, selected by a `postgres://` URL.
//!
//! The store knows bytes, not meaning: it never sees a key or a plaintext value, and it knows nothing of
//! schemas or policy. Every multi-row change is atomic: an import either lands whole or not at all.

pub mod postgres;
pub mod sqlite;

use crate::crypto::Token;
use crate::id::{CollectionId, RecordId};

/// A storage operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// SQLite reported an error.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL reported an error.
    #[error("postgresql: {0}")]
    Postgres(#[from] ::postgres::Error),
    /// File system error.
    #[error("cannot use `{path}`: {source}")]
    Io {
        /// The path.
        path: std::path::PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The database holds something kura did not write.
    #[error("database is damaged or not a kura vault: {0}")]
    Corrupt(&'static str),
    /// A collection with that name exists.
    #[error("collection `{0}` already exists")]
    CollectionExists(String),
    /// The database was written by a newer kura.
    #[error("database schema version {found} is newer than this kura supports ({supported}); upgrade kura")]
    TooNew {
        /// Found.
        found: i64,
        /// Supported.
        supported: i64,
    },
    /// Another writer changed the same records at the same time.
    #[error("records changed while this write was running (a concurrent import, update or erasure); nothing was written, retry")]
    Conflict,
    /// A principal with that name exists.
    #[error("principal `{0}` already exists")]
    PrincipalExists(String),
    /// A lock was poisoned by a panic in another thread.
    #[error("storage connection is unusable after an earlier failure")]
    Poisoned,
}

/// A collection as stored.
#[derive(Debug, Clone)]
pub struct CollectionRow {
    /// Id.
    pub id: CollectionId,
    /// Name.
    pub name: String,
    /// The schema as TOML text.
    pub schema: String,
}

/// A wrapped collection key.
#[derive(Debug, Clone)]
pub struct DataKey {
    /// What it is for (`subject-wrap`, `blind-index`, `token`).
    pub purpose: String,
    /// Version, counting from 1.
    pub version: u32,
    /// The key wrapped by the key provider.
    pub wrapped: Vec<u8>,
}

/// A wrapped subject key.
#[derive(Debug, Clone)]
pub struct SubjectKey {
    /// The record (data subject).
    pub record: RecordId,
    /// Version of the subject-wrapping key it is wrapped under.
    pub version: u32,
    /// Wrapped key.
    pub wrapped: Vec<u8>,
}

/// A record as stored.
#[derive(Debug, Clone)]
pub struct StoredRecord {
    /// Id.
    pub id: RecordId,
    /// Version of the record's subject key.
    pub key_version: u32,
    /// Sealed fields (see `vault::codec`).
    pub fields: Vec<u8>,
    /// Blind-index entries: field position and token.
    pub tokens: Vec<(u8, Token)>,
}

/// One record to insert or replace.
#[derive(Debug, Clone)]
pub struct RecordWrite {
    /// Id.
    pub id: RecordId,
    /// Blind-index token of the external id.
    pub ext_token: Token,
    /// Version of the record's subject key.
    pub key_version: u32,
    /// Sealed fields.
    pub fields: Vec<u8>,
    /// Blind-index entries.
    pub tokens: Vec<(u8, Token)>,
    /// The wrapped subject key, for a new record.
    pub new_subject_key: Option<SubjectKey>,
}

/// What an erasure did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Erased {
    /// The subject key, the record and its index entries were destroyed now.
    Now,
    /// The record had already been erased, at this Unix time.
    Before(i64),
    /// No such record.
    Unknown,
}

/// Encodes blind-index entries for the `tokens` column.
pub fn encode_tokens(tokens: &[(u8, Token)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(tokens.len() * 17);
    for (f, t) in tokens {
        out.push(*f);
        out.extend_from_slice(t);
    }
    out
}

/// Decodes the `tokens` column.
pub fn decode_tokens(b: &[u8]) -> Result<Vec<(u8, Token)>, Error> {
    if !b.len().is_multiple_of(17) {
        return Err(Error::Corrupt("index token list has a bad length"));
    }
    Ok(b.chunks_exact(17)
        .filter_map(|c| {
            let (f, t) = c.split_first()?;
            Some((*f, Token::try_from(t).ok()?))
        })
        .collect())
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// The storage interface every backend implements.
pub trait Store: Send + Sync + std::fmt::Debug {
    /// `sqlite` or `postgresql`.
    fn backend(&self) -> &'static str;
    /// A metadata value.
    fn meta(&self, key: &str) -> Result<Option<String>, Error>;
    /// Sets a metadata value.
    fn set_meta(&self, key: &str, value: &str) -> Result<(), Error>;
    /// Creates a collection with its wrapped keys.
    fn create_collection(&self, name: &str, schema: &str, keys: &[DataKey]) -> Result<CollectionId, Error>;
    /// All collections.
    fn collections(&self) -> Result<Vec<CollectionRow>, Error>;
    /// The wrapped keys of a collection.
    fn data_keys(&self, collection: &str) -> Result<Vec<DataKey>, Error>;
    /// The records that hold these external-id tokens.
    fn by_external(&self, c: CollectionId, tokens: &[Token]) -> Result<Vec<(Token, RecordId)>, Error>;
    /// Wrapped subject keys of these records (missing ones are left out).
    fn subject_keys(&self, ids: &[RecordId]) -> Result<Vec<SubjectKey>, Error>;
    /// Inserts or replaces records atomically. `progress` is told how many were written so far.
    fn write(&self, c: CollectionId, records: &[RecordWrite], progress: &mut dyn FnMut(u64)) -> Result<(), Error>;
    /// One record.
    fn record(&self, c: CollectionId, id: RecordId) -> Result<Option<StoredRecord>, Error>;
    /// The stored records among `ids` (bulk reads for exports; missing ids are left out, order is not kept).
    fn records(&self, c: CollectionId, ids: &[RecordId]) -> Result<Vec<StoredRecord>, Error>;
    /// Records whose field `field` has blind-index token `token`.
    fn find(&self, c: CollectionId, field: u8, token: &Token) -> Result<Vec<RecordId>, Error>;
    /// Destroys a subject's key, then their record and index entries, leaving a tombstone.
    fn erase(&self, c: CollectionId, id: RecordId) -> Result<Erased, Error>;
    /// When a record was erased, if it was.
    fn tombstone(&self, c: CollectionId, id: RecordId) -> Result<Option<i64>, Error>;
    /// Re-applies every recorded erasure: destroys any subject key of an erased record (e.g. from a restored
    /// keyring backup) and finishes erasures a crash interrupted. Returns how many keys or records it removed.
    fn reapply_erasures(&self) -> Result<u64, Error>;
    /// The number of live records.
    fn count(&self, c: CollectionId) -> Result<u64, Error>;
    /// Up to `limit` record ids of a collection, in storage order (samples for imitation).
    fn record_ids(&self, c: CollectionId, limit: usize) -> Result<Vec<RecordId>, Error>;
    /// Stores a sealed principal record. With `previous` = `None` the name must be new; otherwise the stored
    /// record must still be exactly `previous` (compare-and-swap), else [`Error::Conflict`].
    fn put_principal(&self, name: &str, sealed: &[u8], previous: Option<&[u8]>) -> Result<(), Error>;
    /// Sets a metadata value only if it has none; returns the value now stored.
    fn init_meta(&self, key: &str, value: &str) -> Result<String, Error>;
    /// A sealed principal record.
    fn principal(&self, name: &str) -> Result<Option<Vec<u8>>, Error>;
    /// All principal names.
    fn principal_names(&self) -> Result<Vec<String>, Error>;
    /// Stores a sealed workflow document: inserts when `previous` is `None` (refusing an existing id with
    /// [`Error::Conflict`]), else replaces it only if it still holds `previous` (compare-and-swap).
    fn put_document(&self, kind: &str, id: &str, sealed: &[u8], previous: Option<&[u8]>) -> Result<(), Error>;
    /// A sealed workflow document.
    fn document(&self, kind: &str, id: &str) -> Result<Option<Vec<u8>>, Error>;
    /// The ids of every document of a kind.
    fn document_ids(&self, kind: &str) -> Result<Vec<String>, Error>;
    /// Opens the access log that belongs to this store (its own connections).
    fn open_log(&self) -> Result<Box<dyn crate::audit::store::LogStore>, crate::audit::store::Error>;
}
