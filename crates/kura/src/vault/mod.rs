//! The vault: the one handle every face (CLI, HTTP API, console) calls.
//!
//! Personal data travels one road. Writes: validate and normalise ([`input`]) → encrypt under the subject's
//! key → store. Reads: check the [`Access`] (who, why) → read ciphertext → decrypt → hand out [`Plain`]
//! values. Plaintext exists only inside [`Plain`], which the vault creates after an access passed the
//! gateway in `Vault::reveal`; the access log (which must be written before data is returned) hooks in there.
//!
//! Key use: each record has its own random subject key, wrapped under the collection's subject-wrapping key
//! (itself wrapped by the key provider's root key). Each field is sealed with AES-256-GCM-SIV under the
//! subject key with associated data binding collection, record id, field name and key version, so a
//! ciphertext moved to another record or field fails to open.

pub mod codec;
pub mod input;
pub mod principals;
pub mod value;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rayon::prelude::*;

pub use self::input::{Problem, Values};
pub use self::value::Plain;
use crate::audit::log::AppendError;
use crate::audit::{self, Action, Entry, Outcome};
use crate::card::{Pan, Tokenizer};
use crate::crypto::{self, BlindIndex, SecretKey, Token};
use crate::id::{CollectionId, RecordId};
use crate::keys::{self, KeyProvider};
use crate::normalize;
use crate::schema::{self, FieldType, Schema};
use crate::store::{self, DataKey, Erased, RecordWrite, Store, SubjectKey};

const PURPOSE_WRAP: &str = "subject-wrap";
const PURPOSE_INDEX: &str = "blind-index";
const PURPOSE_TOKEN: &str = "token";
const PURPOSE_AUDIT: &str = "audit";

/// Who is asking and why. Every read states a purpose (a ticket or order number).
#[derive(Debug, Clone)]
pub struct Access {
    principal: String,
    purpose: String,
    origin: String,
    request: String,
}

/// An access was refused before anything was read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AccessError {
    /// No purpose was given.
    #[error("every access must state its purpose (a ticket or order number), e.g. `--purpose TICKET-123`")]
    NoPurpose,
    /// The purpose or principal is malformed.
    #[error("{0} must be 1 to 200 characters: ASCII letters, digits, spaces and `- _ . : / # @ ( )` (a ticket or order reference, never personal data)")]
    Malformed(&'static str),
}

impl Access {
    /// An access by `principal` for `purpose`, from `origin` (CLI user@host, or client address).
    pub fn new(principal: &str, purpose: &str, origin: &str) -> Result<Access, AccessError> {
        // Purposes, principals and origins go into the published log: a reference, not free text.
        let ok = |s: &str| {
            !s.trim().is_empty()
                && s.len() <= 200
                && s.chars().all(|c| c.is_ascii_alphanumeric() || " -_.:/#@()".contains(c))
        };
        if purpose.trim().is_empty() {
            return Err(AccessError::NoPurpose);
        }
        if !ok(purpose) {
            return Err(AccessError::Malformed("purpose"));
        }
        if !ok(principal) {
            return Err(AccessError::Malformed("principal"));
        }
        if !ok(origin) {
            return Err(AccessError::Malformed("origin"));
        }
        Ok(Access {
            principal: principal.trim().to_owned(),
            purpose: purpose.trim().to_owned(),
            origin: origin.to_owned(),
            request: audit::request_id(),
        })
    }

    /// Who.
    pub fn principal(&self) -> &str {
        &self.principal
    }
    /// Why.
    pub fn purpose(&self) -> &str {
        &self.purpose
    }
    /// From where.
    pub fn origin(&self) -> &str {
        &self.origin
    }
    /// The request id shared by every log entry of this access.
    pub fn request(&self) -> &str {
        &self.request
    }
}

/// Opening or creating a vault failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] store::Error),
    /// The key provider cannot open this vault's keys.
    #[error("the key file does not belong to this vault, or the vault's keyring was altered")]
    WrongKey,
    /// Not initialised.
    #[error("this database is not an initialised kura vault (run `kura init`)")]
    NotAVault,
    /// Already initialised.
    #[error("a kura vault already exists here")]
    Exists,
    /// Key provider failure.
    #[error(transparent)]
    Keys(#[from] keys::Error),
    /// A stored schema is invalid.
    #[error("stored schema of collection `{0}` is invalid")]
    Schema(String),
    /// The access log cannot be opened or written.
    #[error(transparent)]
    Log(#[from] audit::store::Error),
    /// The access log refused an entry.
    #[error(transparent)]
    Append(#[from] AppendError),
}

/// Creating a collection failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CollectionError {
    /// The schema was refused.
    #[error(transparent)]
    Schema(#[from] schema::Error),
    /// Storage failed (including: it already exists).
    #[error(transparent)]
    Store(#[from] store::Error),
    /// Key provider failure.
    #[error(transparent)]
    Keys(#[from] keys::Error),
    /// Card tokeniser could not be set up.
    #[error("card tokenisation key is unusable")]
    Tokenizer,
    /// Key derivation failed.
    #[error(transparent)]
    Crypto(crypto::Error),
    /// The access log refused the entry; nothing was created.
    #[error(transparent)]
    Log(#[from] AppendError),
}

/// A read (get or find) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// No such collection.
    #[error("no collection named `{0}` (see `kura collection list`)")]
    UnknownCollection(String),
    /// No such field.
    #[error("collection `{collection}` has no field `{field}`")]
    UnknownField {
        /// Collection.
        collection: String,
        /// Field.
        field: String,
    },
    /// The field has no blind index.
    #[error("field `{0}` is not searchable (mark it `searchable = true` in the schema)")]
    NotSearchable(String),
    /// The query value is not valid for the field.
    #[error("search value for `{field}` is not valid: {reason}")]
    Query {
        /// Field.
        field: String,
        /// Why.
        reason: String,
    },
    /// No such record.
    #[error("no record `{0}`")]
    NotFound(RecordId),
    /// No record has that external id.
    #[error("no record in `{0}` has that external id")]
    UnknownExternalId(String),
    /// The record was erased.
    #[error("record `{0}` was erased (crypto-shredded); its data no longer exists")]
    Erased(RecordId),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] store::Error),
    /// Keys missing or wrong.
    #[error(
        "record `{0}` cannot be decrypted: its key is missing or does not match (erased, or the database was altered)"
    )]
    Undecryptable(RecordId),
    /// Stored data damaged.
    #[error("record `{0}` is damaged")]
    Damaged(RecordId),
    /// The access log could not record the read: nothing is returned (no log, no data).
    #[error(transparent)]
    Log(#[from] AppendError),
    /// The access log could not be queried.
    #[error("access log: {0}")]
    Audit(String),
}

/// A write (import or update) failed; nothing was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// Read side failure (unknown collection, record, …).
    #[error(transparent)]
    Read(#[from] ReadError),
    /// Invalid values.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Problem>),
    /// The same external id appears twice in one write.
    #[error("external id appears on more than one row (rows {0} and {1})")]
    DuplicateExternal(usize, usize),
    /// Encryption failed (nothing was written).
    #[error(transparent)]
    Crypto(#[from] crypto::Error),
    /// The access log refused the entry; nothing was written.
    #[error(transparent)]
    Log(#[from] AppendError),
    /// The new external id belongs to another record.
    #[error("another record already has that external id")]
    ExternalTaken,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] store::Error),
}

/// An erasure failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EraseError {
    /// Read side failure.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] store::Error),
    /// The access log refused the entry; nothing was erased.
    #[error(transparent)]
    Log(#[from] AppendError),
}

/// How card numbers are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CardView {
    /// `4111 11•• •••• 1111`.
    #[default]
    Masked,
    /// The FF1 token.
    Token,
    /// The full number (detokenised).
    Full,
}

/// A decrypted field.
#[derive(Debug, Clone)]
pub struct FieldValue {
    /// Field name.
    pub name: String,
    /// Field type.
    pub kind: FieldType,
    /// The value, if present.
    pub value: Option<Plain>,
}

/// A decrypted record.
#[derive(Debug, Clone)]
pub struct Record {
    /// Id.
    pub id: RecordId,
    /// Fields in schema order.
    pub fields: Vec<FieldValue>,
}

impl Record {
    /// A field's value by name.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|f| f.name == name).and_then(|f| f.value.as_ref()).map(Plain::expose)
    }
}

/// What a write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteSummary {
    /// New records.
    pub inserted: u64,
    /// Records replaced (same external id).
    pub updated: u64,
}

/// What an erasure did, reported exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EraseReport {
    /// Destroyed now.
    Erased {
        /// Record.
        id: RecordId,
        /// Fields that were stored.
        fields: usize,
        /// Blind-index entries removed.
        index_entries: usize,
    },
    /// Already erased at this Unix time.
    AlreadyErased {
        /// Record.
        id: RecordId,
        /// When.
        at: i64,
    },
}

/// A collection with its keys unwrapped.
struct Loaded {
    id: CollectionId,
    schema: Schema,
    wrap_keys: BTreeMap<u32, SecretKey>,
    current: u32,
    index: Vec<Option<BlindIndex>>,
    tokenizer: Tokenizer,
    committer: audit::Committer,
}

impl Loaded {
    fn current_wrap(&self) -> Option<(u32, &SecretKey)> {
        self.wrap_keys.get(&self.current).map(|k| (self.current, k))
    }

    fn subject_ad(&self, id: RecordId, version: u32) -> Vec<u8> {
        crypto::context("kura/subject/v1", &[self.schema.name.as_bytes(), &id.0, &version.to_be_bytes()])
    }

    fn field_ad(&self, id: RecordId, field: &schema::Field, key_version: u32) -> Vec<u8> {
        crypto::context(
            "kura/field/v1",
            &[
                self.schema.name.as_bytes(),
                &id.0,
                field.name.as_bytes(),
                field.kind.as_str().as_bytes(),
                &key_version.to_be_bytes(),
            ],
        )
    }

    fn unwrap_subject(&self, k: &SubjectKey) -> Option<SecretKey> {
        let wrap = self.wrap_keys.get(&k.version)?;
        let pt = crypto::open(wrap, &self.subject_ad(k.record, k.version), &k.wrapped).ok()?;
        SecretKey::from_slice(&pt)
    }

    fn tokens(&self, values: &Values) -> Vec<(u8, Token)> {
        values
            .canonical
            .iter()
            .enumerate()
            .filter_map(|(pos, c)| {
                let idx = self.index.get(pos)?.as_ref()?;
                Some((pos as u8, idx.token(c.as_ref()?.expose())))
            })
            .collect()
    }

    fn seal_fields(
        &self,
        id: RecordId,
        key: &SecretKey,
        key_version: u32,
        values: &Values,
    ) -> Result<Vec<u8>, crypto::Error> {
        let mut blob = Vec::with_capacity(values.values.len() * 64);
        for (pos, (field, v)) in self.schema.fields.iter().zip(values.values.iter()).enumerate() {
            if let Some(v) = v {
                let sealed = crypto::seal(key, &self.field_ad(id, field, key_version), v.expose().as_bytes())?;
                codec::push(&mut blob, pos as u8, &sealed);
            }
        }
        Ok(blob)
    }
}

/// The wrapping label of a collection key. It binds the exact stored schema text, so a schema edited in the
/// database (say, a card number retyped as an identifier to dodge masking) makes the keys fail to unwrap.
fn label(collection: &str, purpose: &str, version: u32, schema_text: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(schema_text.as_bytes());
    format!("collection/{collection}/{purpose}/v{version}/schema-{}", hex::encode(digest))
}

/// Why a read failed, for the log (no values).
fn read_failure(err: &ReadError) -> String {
    match err {
        ReadError::NotFound(_) => "not found".to_owned(),
        ReadError::Erased(_) => "erased".to_owned(),
        ReadError::Undecryptable(_) => "undecryptable".to_owned(),
        ReadError::Damaged(_) => "damaged".to_owned(),
        ReadError::Query { .. } => "invalid query value".to_owned(),
        ReadError::NotSearchable(_) => "field not searchable".to_owned(),
        _ => "failed".to_owned(),
    }
}

/// The canonical form used for the blind index of a field type.
fn canonical_query(kind: FieldType, value: &str) -> Result<zeroize::Zeroizing<String>, String> {
    let c = if kind == FieldType::CardNumber {
        Pan::parse(value).map(|p| p.digits().to_owned()).map_err(|e| e.to_string())?
    } else {
        normalize::canonical(kind, value).map_err(|e| e.to_string())?
    };
    Ok(zeroize::Zeroizing::new(c))
}

/// The vault.
pub struct Vault {
    store: Box<dyn Store>,
    keys: Box<dyn KeyProvider>,
    collections: RwLock<HashMap<String, Arc<Loaded>>>,
    log: audit::Log,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault").field("store", &self.store).field("keys", &self.keys).finish_non_exhaustive()
    }
}

const META_CHECK: &str = "key_check";

impl Vault {
    /// Initialises a new vault in `store`, bound to the key provider's root key.
    pub fn create(store: Box<dyn Store>, keys: Box<dyn KeyProvider>) -> Result<Vault, OpenError> {
        if store.meta(META_CHECK)?.is_some() {
            return Err(OpenError::Exists);
        }
        let check = keys.wrap("vault/check", &SecretKey::generate())?;
        store.set_meta("format", "kura-vault/1")?;
        store.set_meta("vault_id", &uuid::Uuid::new_v4().to_string())?;
        store.set_meta(META_CHECK, &B64.encode(check))?;
        let log = audit::Log::new(store.open_log()?);
        Ok(Vault { store, keys, collections: RwLock::new(HashMap::new()), log })
    }

    /// Opens an existing vault; fails if the key provider does not hold this vault's root key.
    pub fn open(store: Box<dyn Store>, keys: Box<dyn KeyProvider>) -> Result<Vault, OpenError> {
        let check = store.meta(META_CHECK)?.ok_or(OpenError::NotAVault)?;
        let check = B64.decode(check).map_err(|_| OpenError::WrongKey)?;
        keys.unwrap("vault/check", &check).map_err(|_| OpenError::WrongKey)?;
        let log = audit::Log::new(store.open_log()?);
        let vault = Vault { store, keys, collections: RwLock::new(HashMap::new()), log };
        // Erasures are re-applied at every start: a keyring restored from a backup loses erased keys again,
        // and an erasure a crash interrupted is finished.
        vault.store.reapply_erasures()?;
        for row in vault.store.collections()? {
            let schema = Schema::from_toml(&row.schema).map_err(|_| OpenError::Schema(row.name.clone()))?;
            let loaded = vault.load(row.id, schema, &row.schema).map_err(|e| match e {
                CollectionError::Store(s) => OpenError::Store(s),
                _ => OpenError::WrongKey,
            })?;
            if let Ok(mut map) = vault.collections.write() {
                map.insert(row.name, Arc::new(loaded));
            }
        }
        Ok(vault)
    }

    /// The storage backend's name.
    pub fn backend(&self) -> &'static str {
        self.store.backend()
    }

    /// The key provider's description.
    pub fn key_provider(&self) -> String {
        self.keys.describe()
    }

    fn load(&self, id: CollectionId, schema: Schema, schema_text: &str) -> Result<Loaded, CollectionError> {
        let mut wrap_keys = BTreeMap::new();
        let mut index_key = None;
        let mut token_key = None;
        let mut audit_key = None;
        for k in self.store.data_keys(&schema.name)? {
            let key = self.keys.unwrap(&label(&schema.name, &k.purpose, k.version, schema_text), &k.wrapped)?;
            match k.purpose.as_str() {
                PURPOSE_WRAP => {
                    wrap_keys.insert(k.version, key);
                }
                PURPOSE_INDEX => index_key = Some(key),
                PURPOSE_TOKEN => token_key = Some(key),
                PURPOSE_AUDIT => audit_key = Some(key),
                _ => {}
            }
        }
        let (Some(index_key), Some(token_key), Some(audit_key)) = (index_key, token_key, audit_key) else {
            return Err(CollectionError::Keys(keys::Error::Unwrap));
        };
        let current = wrap_keys.keys().next_back().copied().ok_or(CollectionError::Keys(keys::Error::Unwrap))?;
        let index = schema
            .fields
            .iter()
            .map(|f| f.indexed().then(|| BlindIndex::new(&index_key, &f.name)).transpose())
            .collect::<Result<_, _>>()
            .map_err(CollectionError::Crypto)?;
        let tokenizer = Tokenizer::new(&token_key).map_err(|_| CollectionError::Tokenizer)?;
        let committer = audit::Committer::new(&audit_key).map_err(CollectionError::Crypto)?;
        Ok(Loaded { id, schema, wrap_keys, current, index, tokenizer, committer })
    }

    /// An entry for `access`, to be numbered and timed by the log.
    fn entry(&self, access: &Access, action: Action, collection: Option<&str>, outcome: Outcome) -> Entry {
        Entry {
            seq: 0,
            time_ms: 0,
            principal: access.principal.clone(),
            action,
            collection: collection.map(str::to_owned),
            subjects: Vec::new(),
            fields: Vec::new(),
            purpose: access.purpose.clone(),
            outcome,
            origin: access.origin.clone(),
            request: access.request.clone(),
            detail: String::new(),
        }
    }

    /// Appends entries and waits until they are durable.
    fn log(&self, entries: Vec<Entry>) -> Result<Vec<u64>, AppendError> {
        self.log.append(entries)
    }

    /// Records that `access` unlocked the vault (key file and passphrase, or a sign-in).
    pub fn login(&self, access: &Access, detail: &str) -> Result<(), AppendError> {
        let mut e = self.entry(access, Action::Login, None, Outcome::Allow);
        e.detail = detail.to_owned();
        self.log(vec![e]).map(|_| ())
    }

    /// The access log (proofs, verification, queries).
    pub fn audit_log(&self) -> &audit::Log {
        &self.log
    }

    /// This vault's id (names its log: the checkpoint origin is `kura/<id>`).
    pub fn vault_id(&self) -> Result<String, store::Error> {
        Ok(self.store.meta("vault_id")?.unwrap_or_else(|| "unnamed".to_owned()))
    }

    /// Creates the checkpoint signer (key, verifier key, state) in `dir`; done once, with the vault.
    pub fn create_signer(&self, dir: &std::path::Path) -> Result<audit::signer::Signer, audit::signer::Error> {
        let id = self.vault_id().map_err(|e| audit::signer::Error::Note(e.to_string()))?;
        audit::signer::Signer::create(dir, &format!("kura/{id}"), &*self.keys)
    }

    /// Opens the checkpoint signer whose key file and state live in `dir`.
    pub fn signer(&self, dir: &std::path::Path) -> Result<audit::signer::Signer, audit::signer::Error> {
        audit::signer::Signer::open(dir, &*self.keys)
    }

    /// The commitment to a record of a collection, as the log holds it.
    pub fn commitment(&self, collection: &str, id: RecordId) -> Result<audit::Commitment, ReadError> {
        Ok(self.collection(collection)?.committer.commit(id))
    }

    /// "Who saw this person?": every log entry naming the record. The query itself is logged.
    pub fn who_saw(&self, access: &Access, collection: &str, id: RecordId) -> Result<Vec<Entry>, ReadError> {
        let commitment = self.commitment(collection, id)?;
        let mut e = self.entry(access, Action::LogAccess, Some(collection), Outcome::Allow);
        e.subjects = vec![commitment.clone()];
        e.detail = "who-saw".to_owned();
        self.log(vec![e])?;
        let seqs = self.log.store().by_subject(&commitment).map_err(|e| ReadError::Audit(e.to_string()))?;
        // The index only points: every entry must itself name the person (an inserted index row frames nobody).
        self.entries_at(&seqs, &|e| e.subjects.contains(&commitment))
    }

    /// "What did this principal do?" within `[from_ms, to_ms)`. The query itself is logged.
    pub fn activity(
        &self,
        access: &Access,
        principal: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<Entry>, ReadError> {
        let mut e = self.entry(access, Action::LogAccess, None, Outcome::Allow);
        e.detail = format!("activity of `{principal}`");
        self.log(vec![e])?;
        let seqs =
            self.log.store().by_principal(principal, from_ms, to_ms).map_err(|e| ReadError::Audit(e.to_string()))?;
        self.entries_at(&seqs, &|e| e.principal == principal && e.time_ms >= from_ms && e.time_ms < to_ms)
    }

    /// The entries at `seqs`, each checked against what the index claimed (`check`); a mismatch means the
    /// index or the entry was altered and is reported, not silently skipped.
    fn entries_at(&self, seqs: &[u64], check: &dyn Fn(&Entry) -> bool) -> Result<Vec<Entry>, ReadError> {
        let mut out = Vec::with_capacity(seqs.len());
        for seq in seqs {
            let rows = self.log.store().entries(*seq, 1).map_err(|e| ReadError::Audit(e.to_string()))?;
            let Some((got, data)) = rows.into_iter().next().filter(|(s, _)| s == seq) else {
                return Err(ReadError::Audit(format!(
                    "entry {seq} named by the index is missing; run `kura audit verify`"
                )));
            };
            let e = Entry::from_leaf(&data).map_err(|e| ReadError::Audit(e.to_string()))?;
            if e.seq != got || !check(&e) {
                return Err(ReadError::Audit(format!(
                    "entry {seq} does not match its index row; run `kura audit verify`"
                )));
            }
            out.push(e);
        }
        Ok(out)
    }

    /// Creates a collection from a validated schema, with fresh keys.
    pub fn create_collection(&self, access: &Access, schema: Schema) -> Result<(), CollectionError> {
        schema.validate()?;
        let mut e = self.entry(access, Action::KeyChange, Some(&schema.name), Outcome::Allow);
        e.detail = format!("collection created with fresh keys ({} fields)", schema.fields.len());
        self.log(vec![e])?;
        let text = toml::to_string(&schema).map_err(|e| schema::Error::Syntax(e.to_string()))?;
        let mut keys = Vec::new();
        for purpose in [PURPOSE_WRAP, PURPOSE_INDEX, PURPOSE_TOKEN, PURPOSE_AUDIT] {
            let key = SecretKey::generate();
            let wrapped = self.keys.wrap(&label(&schema.name, purpose, 1, &text), &key)?;
            keys.push(DataKey { purpose: purpose.to_owned(), version: 1, wrapped });
        }
        let id = self.store.create_collection(&schema.name, &text, &keys)?;
        let loaded = self.load(id, schema, &text)?;
        if let Ok(mut map) = self.collections.write() {
            map.insert(loaded.schema.name.clone(), Arc::new(loaded));
        }
        Ok(())
    }

    /// Names and schemas of all collections.
    pub fn collections(&self) -> Vec<Schema> {
        let mut out: Vec<Schema> =
            self.collections.read().map(|m| m.values().map(|l| l.schema.clone()).collect()).unwrap_or_default();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    fn collection(&self, name: &str) -> Result<Arc<Loaded>, ReadError> {
        self.collections
            .read()
            .ok()
            .and_then(|m| m.get(name).cloned())
            .ok_or_else(|| ReadError::UnknownCollection(name.to_owned()))
    }

    /// The schema of a collection.
    pub fn schema(&self, collection: &str) -> Result<Schema, ReadError> {
        Ok(self.collection(collection)?.schema.clone())
    }

    /// The number of live records in a collection.
    pub fn count(&self, collection: &str) -> Result<u64, ReadError> {
        let c = self.collection(collection)?;
        Ok(self.store.count(c.id)?)
    }

    /// Writes validated rows: a row whose external id is already stored replaces that record (same id, same
    /// subject key); others become new records. All or nothing. `progress` is told how many rows were written.
    pub fn write(
        &self,
        access: &Access,
        collection: &str,
        rows: Vec<Values>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<WriteSummary, WriteError> {
        let c = self.collection(collection)?;
        let ext_pos = c.schema.external_id_position();
        let ext_index = c.index.get(ext_pos).and_then(|i| i.as_ref()).ok_or(ReadError::NotSearchable(
            c.schema.fields.get(ext_pos).map(|f| f.name.clone()).unwrap_or_default(),
        ))?;
        let mut ext_tokens = Vec::with_capacity(rows.len());
        let mut seen: HashMap<Token, usize> = HashMap::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            let ext = row.external_id(&c.schema).ok_or_else(|| {
                WriteError::Invalid(vec![Problem {
                    field: c.schema.fields.get(ext_pos).map(|f| f.name.clone()).unwrap_or_default(),
                    reason: "a value is required".to_owned(),
                }])
            })?;
            let t = ext_index.token(ext);
            if let Some(first) = seen.insert(t, i) {
                return Err(WriteError::DuplicateExternal(first + 1, i + 1));
            }
            ext_tokens.push(t);
        }
        let existing: HashMap<Token, RecordId> = self.store.by_external(c.id, &ext_tokens)?.into_iter().collect();
        let existing_ids: Vec<RecordId> = existing.values().copied().collect();
        let mut keys: HashMap<RecordId, (u32, SecretKey)> = HashMap::with_capacity(existing_ids.len());
        for k in self.store.subject_keys(&existing_ids)? {
            let key = c.unwrap_subject(&k).ok_or(ReadError::Undecryptable(k.record))?;
            keys.insert(k.record, (k.version, key));
        }
        let (wrap_version, wrap_key) = c.current_wrap().ok_or(ReadError::Undecryptable(RecordId([0; 16])))?;
        let writes: Vec<Result<RecordWrite, WriteError>> = rows
            .par_iter()
            .zip(ext_tokens.par_iter())
            .map(|(row, ext)| {
                let tokens = c.tokens(row);
                match existing.get(ext) {
                    Some(id) => {
                        let (version, key) = keys.get(id).ok_or(ReadError::Undecryptable(*id))?;
                        Ok(RecordWrite {
                            id: *id,
                            ext_token: *ext,
                            key_version: *version,
                            fields: c.seal_fields(*id, key, *version, row)?,
                            tokens,
                            new_subject_key: None,
                        })
                    }
                    None => {
                        let id = RecordId::generate();
                        let key = SecretKey::generate();
                        let wrapped = crypto::seal(wrap_key, &c.subject_ad(id, wrap_version), key.expose())?;
                        Ok(RecordWrite {
                            id,
                            ext_token: *ext,
                            key_version: wrap_version,
                            fields: c.seal_fields(id, &key, wrap_version, row)?,
                            tokens,
                            new_subject_key: Some(SubjectKey { record: id, version: wrap_version, wrapped }),
                        })
                    }
                }
            })
            .collect();
        let writes: Vec<RecordWrite> = writes.into_iter().collect::<Result<_, _>>()?;
        let updated = writes.iter().filter(|w| w.new_subject_key.is_none()).count() as u64;
        // Logged before anything is stored; a failure afterwards is logged as well.
        let fields: Vec<String> = c.schema.fields.iter().map(|f| f.name.clone()).collect();
        let mut entries = Vec::new();
        for (action, new) in [(Action::Create, true), (Action::Update, false)] {
            let ids: Vec<RecordId> =
                writes.iter().filter(|w| w.new_subject_key.is_some() == new).map(|w| w.id).collect();
            let chunks = ids.len().div_ceil(audit::MAX_SUBJECTS);
            for (n, chunk) in ids.chunks(audit::MAX_SUBJECTS).enumerate() {
                let mut e = self.entry(access, action, Some(collection), Outcome::Allow);
                e.subjects = chunk.iter().map(|id| c.committer.commit(*id)).collect();
                e.fields = fields.clone();
                e.detail = format!("import: {} records (part {} of {chunks})", chunk.len(), n + 1);
                entries.push(e);
            }
        }
        self.log(entries)?;
        if let Err(err) = self.store.write(c.id, &writes, progress) {
            let mut e = self.entry(access, Action::Create, Some(collection), Outcome::Fail);
            e.detail = "import failed; nothing was written".to_owned();
            let _ = self.log(vec![e]);
            return Err(err.into());
        }
        Ok(WriteSummary { inserted: writes.len() as u64 - updated, updated })
    }

    /// Decrypts a record into memory. Callers log the access before any of it leaves the vault.
    fn reveal(&self, c: &Loaded, id: RecordId, view: CardView) -> Result<Record, ReadError> {
        let stored = match self.store.record(c.id, id)? {
            Some(r) => r,
            None if self.store.tombstone(c.id, id)?.is_some() => return Err(ReadError::Erased(id)),
            None => return Err(ReadError::NotFound(id)),
        };
        let key = self
            .store
            .subject_keys(&[id])?
            .first()
            .and_then(|k| c.unwrap_subject(k))
            .ok_or(ReadError::Undecryptable(id))?;
        let mut values: Vec<Option<Plain>> = vec![None; c.schema.fields.len()];
        for (pos, sealed) in codec::split(&stored.fields).map_err(|_| ReadError::Damaged(id))? {
            let field = c.schema.fields.get(pos as usize).ok_or(ReadError::Damaged(id))?;
            let pt = crypto::open(&key, &c.field_ad(id, field, stored.key_version), sealed)
                .map_err(|_| ReadError::Undecryptable(id))?;
            let text = zeroize::Zeroizing::new(String::from_utf8(pt.to_vec()).map_err(|_| ReadError::Damaged(id))?);
            let shown = if field.kind == FieldType::CardNumber {
                let pan = Pan::parse(&text).map_err(|_| ReadError::Damaged(id))?;
                match view {
                    CardView::Masked => pan.masked(),
                    CardView::Token => c.tokenizer.tokenise(&pan).map_err(|_| ReadError::Damaged(id))?,
                    CardView::Full => text.to_string(),
                }
            } else {
                text.to_string()
            };
            if let Some(slot) = values.get_mut(pos as usize) {
                *slot = Some(Plain::new(shown));
            }
        }
        Ok(Record {
            id,
            fields: c
                .schema
                .fields
                .iter()
                .zip(values)
                .map(|(f, value)| FieldValue { name: f.name.clone(), kind: f.kind, value })
                .collect(),
        })
    }

    /// Reads one record.
    pub fn get(&self, access: &Access, collection: &str, id: RecordId, view: CardView) -> Result<Record, ReadError> {
        let c = self.collection(collection)?;
        let result = self.reveal(&c, id, view);
        let outcome = if result.is_ok() { Outcome::Allow } else { Outcome::Fail };
        let mut e = self.entry(access, Action::Read, Some(collection), outcome);
        e.subjects = vec![c.committer.commit(id)];
        match &result {
            Ok(r) => e.fields = r.fields.iter().filter(|f| f.value.is_some()).map(|f| f.name.clone()).collect(),
            Err(err) => e.detail = read_failure(err),
        }
        // No log, no data: the entry is durable before the record is handed out.
        self.log(vec![e])?;
        result
    }

    /// Reads several records under one log entry (at most [`audit::MAX_SUBJECTS`]); all or nothing.
    pub fn get_many(
        &self,
        access: &Access,
        collection: &str,
        ids: &[RecordId],
        view: CardView,
    ) -> Result<Vec<Record>, ReadError> {
        let c = self.collection(collection)?;
        let ids = ids.get(..ids.len().min(audit::MAX_SUBJECTS)).unwrap_or(&[]);
        let records: Result<Vec<Record>, ReadError> = ids.iter().map(|id| self.reveal(&c, *id, view)).collect();
        let mut e = self.entry(
            access,
            Action::Read,
            Some(collection),
            if records.is_ok() { Outcome::Allow } else { Outcome::Fail },
        );
        e.subjects = ids.iter().map(|id| c.committer.commit(*id)).collect();
        e.fields = c.schema.fields.iter().map(|f| f.name.clone()).collect();
        e.detail = match &records {
            Ok(r) => format!("{} records read", r.len()),
            Err(err) => read_failure(err),
        };
        self.log(vec![e])?;
        records
    }

    /// The record ids whose `field` equals `query` after normalisation, found through the blind index without
    /// decrypting anything.
    pub fn find_ids(
        &self,
        access: &Access,
        collection: &str,
        field: &str,
        query: &str,
    ) -> Result<Vec<RecordId>, ReadError> {
        let result = self.lookup_ids(collection, field, query);
        let c = self.collection(collection)?;
        let outcome = if result.is_ok() { Outcome::Allow } else { Outcome::Fail };
        let mut e = self.entry(access, Action::Search, Some(collection), outcome);
        // Only names the schema knows go into the log (a value typed in the field position must not).
        let field = if c.schema.field(field).is_some() { field } else { "(unknown field)" };
        e.fields = vec![field.to_owned()];
        let mut entries = Vec::new();
        match &result {
            Ok(ids) => {
                e.detail = format!("exact match on `{field}`: {} record ids returned", ids.len());
                // Every returned id is named in an entry: large results take several entries.
                for chunk in ids.chunks(audit::MAX_SUBJECTS) {
                    let mut part = e.clone();
                    part.subjects = chunk.iter().map(|id| c.committer.commit(*id)).collect();
                    entries.push(part);
                }
                if entries.is_empty() {
                    entries.push(e);
                }
            }
            Err(err) => {
                e.detail = read_failure(err);
                entries.push(e);
            }
        }
        self.log(entries)?;
        result
    }

    /// Blind-index lookup without logging: for the vault's own checks only, never handed to a caller.
    fn lookup_ids(&self, collection: &str, field: &str, query: &str) -> Result<Vec<RecordId>, ReadError> {
        let c = self.collection(collection)?;
        let pos = c
            .schema
            .position(field)
            .ok_or_else(|| ReadError::UnknownField { collection: collection.to_owned(), field: field.to_owned() })?;
        let f = c.schema.fields.get(pos).ok_or(ReadError::NotSearchable(field.to_owned()))?;
        let idx =
            c.index.get(pos).and_then(|i| i.as_ref()).ok_or_else(|| ReadError::NotSearchable(field.to_owned()))?;
        let canonical =
            canonical_query(f.kind, query).map_err(|reason| ReadError::Query { field: field.to_owned(), reason })?;
        let token = idx.token(canonical.as_str());
        Ok(self.store.find(c.id, pos as u8, &token)?)
    }

    /// Finds records by exact match on a searchable field and reads them (at most `limit`).
    pub fn find(
        &self,
        access: &Access,
        collection: &str,
        field: &str,
        query: &str,
        limit: usize,
        view: CardView,
    ) -> Result<Vec<Record>, ReadError> {
        let c = self.collection(collection)?;
        let mut touched: Vec<RecordId> = Vec::new();
        let result = self.find_records(&c, collection, field, query, limit, view, &mut touched);
        let outcome = if result.is_ok() { Outcome::Allow } else { Outcome::Fail };
        let mut e = self.entry(access, Action::Search, Some(collection), outcome);
        let field = if c.schema.field(field).is_some() { field } else { "(unknown field)" };
        match &result {
            Ok(out) => {
                e.subjects = out.iter().map(|r| c.committer.commit(r.id)).collect();
                e.fields = c.schema.fields.iter().map(|f| f.name.clone()).collect();
                e.detail = format!("exact match on `{field}`: {} records returned", out.len());
            }
            Err(err) => {
                // Even a failure names the records it touched: an error can carry a record id.
                e.subjects = touched.iter().map(|id| c.committer.commit(*id)).collect();
                e.fields = vec![field.to_owned()];
                e.detail = read_failure(err);
            }
        }
        // No log, no data.
        self.log(vec![e])?;
        result
    }

    #[expect(clippy::too_many_arguments, reason = "one private step of `find`")]
    fn find_records(
        &self,
        c: &Loaded,
        collection: &str,
        field: &str,
        query: &str,
        limit: usize,
        view: CardView,
        touched: &mut Vec<RecordId>,
    ) -> Result<Vec<Record>, ReadError> {
        let ids = self.lookup_ids(collection, field, query)?;
        let pos = c.schema.position(field).unwrap_or(0);
        let kind = c.schema.fields.get(pos).map(|f| f.kind).unwrap_or(FieldType::FreeText);
        let want =
            canonical_query(kind, query).map_err(|reason| ReadError::Query { field: field.to_owned(), reason })?;
        let mut out = Vec::new();
        for id in ids.into_iter().take(limit.min(audit::MAX_SUBJECTS)) {
            touched.push(id);
            let r = self.reveal(c, id, CardView::Full)?;
            // The index is only a pointer: an entry edited in the database must not hand out another person.
            let matches = r
                .fields
                .get(pos)
                .and_then(|f| f.value.as_ref())
                .and_then(|v| canonical_query(kind, v.expose()).ok())
                .is_some_and(|c| bool::from(subtle::ConstantTimeEq::ct_eq(c.as_bytes(), want.as_bytes())));
            if matches {
                out.push(if view == CardView::Full { r } else { self.reveal(c, id, view)? });
            }
        }
        Ok(out)
    }

    /// The card number behind an FF1 token of this collection (for callers allowed to see full numbers).
    pub fn detokenise(&self, access: &Access, collection: &str, token: &str) -> Result<Plain, ReadError> {
        let c = self.collection(collection)?;
        let result = c
            .tokenizer
            .detokenise(token)
            .map_err(|e| ReadError::Query { field: "token".to_owned(), reason: e.to_string() });
        let outcome = if result.is_ok() { Outcome::Allow } else { Outcome::Fail };
        let mut e = self.entry(access, Action::Detokenise, Some(collection), outcome);
        e.detail = "card token detokenised".to_owned();
        // Name the card holder when the card number is searchable, so "who saw this person?" shows it.
        if let Ok(pan) = &result {
            for f in c.schema.fields.iter().filter(|f| f.kind == FieldType::CardNumber && f.indexed()) {
                if let Ok(ids) = self.lookup_ids(collection, &f.name, pan.digits()) {
                    e.subjects.extend(ids.iter().take(audit::MAX_SUBJECTS).map(|id| c.committer.commit(*id)));
                }
            }
        }
        self.log(vec![e])?;
        Ok(Plain::new(result?.digits().to_owned()))
    }

    /// The record id for an external id.
    pub fn by_external_id(&self, access: &Access, collection: &str, external_id: &str) -> Result<RecordId, ReadError> {
        let c = self.collection(collection)?;
        let pos = c.schema.external_id_position();
        let name = c.schema.fields.get(pos).map(|f| f.name.clone()).unwrap_or_default();
        self.find_ids(access, collection, &name, external_id)?
            .first()
            .copied()
            .ok_or_else(|| ReadError::UnknownExternalId(collection.to_owned()))
    }

    /// Changes some fields of one record (`None` or empty clears an optional field). Validated like an import.
    pub fn update(
        &self,
        access: &Access,
        collection: &str,
        id: RecordId,
        changes: &[(String, Option<String>)],
    ) -> Result<(), WriteError> {
        let c = self.collection(collection)?;
        let result = self.update_inner(access, &c, collection, id, changes);
        if let Err(err) = &result {
            if !matches!(err, WriteError::Log(_)) {
                // A refused or failed update is on the record too (it decrypted the record to check it).
                let mut e = self.entry(access, Action::Update, Some(collection), Outcome::Fail);
                e.subjects = vec![c.committer.commit(id)];
                e.fields =
                    changes.iter().filter(|(k, _)| c.schema.field(k).is_some()).map(|(k, _)| k.clone()).collect();
                e.detail = match err {
                    WriteError::Invalid(_) => "invalid values".to_owned(),
                    WriteError::ExternalTaken => "external id taken".to_owned(),
                    WriteError::Read(r) => read_failure(r),
                    _ => "update failed; nothing was written".to_owned(),
                };
                self.log(vec![e])?;
            }
        }
        result
    }

    fn update_inner(
        &self,
        access: &Access,
        c: &Loaded,
        collection: &str,
        id: RecordId,
        changes: &[(String, Option<String>)],
    ) -> Result<(), WriteError> {
        for (name, _) in changes {
            if c.schema.position(name).is_none() {
                return Err(ReadError::UnknownField { collection: collection.to_owned(), field: name.clone() }.into());
            }
            if c.schema.field(name).is_some_and(|f| f.derived_from.is_some()) {
                return Err(WriteError::Invalid(vec![Problem {
                    field: name.clone(),
                    reason: "is derived and cannot be set".to_owned(),
                }]));
            }
        }
        let current = self.reveal(c, id, CardView::Full)?;
        let mut raw: Vec<Option<String>> =
            current.fields.iter().map(|f| f.value.as_ref().map(|v| v.expose().to_owned())).collect();
        for (name, value) in changes {
            if let Some(slot) = c.schema.position(name).and_then(|p| raw.get_mut(p)) {
                *slot = value.clone();
            }
        }
        let borrowed: Vec<Option<&str>> = raw.iter().map(|v| v.as_deref()).collect();
        let values = input::validate(&c.schema, &borrowed).map_err(WriteError::Invalid)?;
        let old_ext = current.fields.get(c.schema.external_id_position()).and_then(|f| f.value.as_ref());
        let new_ext = values.values.get(c.schema.external_id_position()).and_then(|v| v.as_ref());
        if old_ext.map(Plain::expose) != new_ext.map(Plain::expose) {
            let name = c.schema.fields.get(c.schema.external_id_position()).map(|f| f.name.clone()).unwrap_or_default();
            let taken = self.lookup_ids(collection, &name, new_ext.map(Plain::expose).unwrap_or(""))?;
            if taken.iter().any(|other| *other != id) {
                return Err(WriteError::ExternalTaken);
            }
        }
        let ext_pos = c.schema.external_id_position();
        let ext_token = c
            .index
            .get(ext_pos)
            .and_then(|i| i.as_ref())
            .zip(values.external_id(&c.schema))
            .map(|(i, e)| i.token(e))
            .ok_or(ReadError::NotSearchable(String::new()))?;
        let k = self.store.subject_keys(&[id])?.into_iter().next().ok_or(ReadError::Undecryptable(id))?;
        let key = c.unwrap_subject(&k).ok_or(ReadError::Undecryptable(id))?;
        let write = RecordWrite {
            id,
            ext_token,
            key_version: k.version,
            fields: c.seal_fields(id, &key, k.version, &values)?,
            tokens: c.tokens(&values),
            new_subject_key: None,
        };
        let mut e = self.entry(access, Action::Update, Some(collection), Outcome::Allow);
        e.subjects = vec![c.committer.commit(id)];
        e.fields = changes.iter().map(|(k, _)| k.clone()).collect();
        self.log(vec![e])?;
        self.store.write(c.id, &[write], &mut |_| {})?;
        Ok(())
    }

    /// Erases one person: destroys their subject key (crypto-shredding), then their record and index entries.
    /// Never silently does nothing: an unknown record is an error, an earlier erasure is reported with its time.
    pub fn erase(&self, access: &Access, collection: &str, id: RecordId) -> Result<EraseReport, EraseError> {
        let c = self.collection(collection)?;
        let mut e = self.entry(access, Action::Erase, Some(collection), Outcome::Allow);
        e.subjects = vec![c.committer.commit(id)];
        e.detail = "crypto-shredding requested".to_owned();
        self.log(vec![e])?;
        let before = self.store.record(c.id, id)?;
        let fields = before.as_ref().map(|r| codec::split(&r.fields).map(|v| v.len()).unwrap_or(0)).unwrap_or(0);
        let index_entries = before.as_ref().map(|r| r.tokens.len()).unwrap_or(0);
        match self.store.erase(c.id, id)? {
            Erased::Now => Ok(EraseReport::Erased { id, fields, index_entries }),
            Erased::Before(at) => Ok(EraseReport::AlreadyErased { id, at }),
            Erased::Unknown => {
                let mut e = self.entry(access, Action::Erase, Some(collection), Outcome::Fail);
                e.subjects = vec![c.committer.commit(id)];
                e.detail = "no such record".to_owned();
                self.log(vec![e])?;
                Err(ReadError::NotFound(id).into())
            }
        }
    }
}
