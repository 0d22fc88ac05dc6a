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

pub mod alerts;
pub mod canaries;
pub mod codec;
pub mod desk;
pub mod exports;
pub mod gate;
pub mod incidents;
pub mod input;
pub mod principals;
pub mod trace;
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
use crate::policy::{Act, Visibility};
use crate::principal::{Kind, Role, Summary};
use crate::schema::{self, FieldType, Schema};
use crate::store::{self, DataKey, Erased, RecordWrite, Store, SubjectKey};

const PURPOSE_WRAP: &str = "subject-wrap";
const PURPOSE_INDEX: &str = "blind-index";
const PURPOSE_TOKEN: &str = "token";
const PURPOSE_AUDIT: &str = "audit";

/// Who is asking and why: an authenticated principal (its attributes as stored when the access began), the
/// purpose (a ticket or order number) and its kind, where the request came from, and — for API tokens — the
/// token's scopes. Every read states a purpose.
///
/// The library trusts its faces to have authenticated the principal: the CLI and the HTTP server build an
/// `Access` only after a sign-in or a token check ([`Vault::access`] loads the principal's current record).
#[derive(Debug, Clone)]
pub struct Access {
    who: Arc<Summary>,
    scopes: Option<Arc<[String]>>,
    purpose: String,
    purpose_kind: String,
    origin: String,
    request: String,
    /// The service-desk order the access goes through, as the policy's `context.order`.
    order: Option<Arc<crate::policy::OrderContext>>,
    /// Everything a policy decision depends on besides the resource: the key of cached decisions.
    decision_key: String,
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
    /// The purpose kind is malformed.
    #[error("purpose kind must be 1 to 32 lower-case letters or `-` (for example `support` or `shipping`)")]
    Kind,
}

/// The purpose kind when none is named.
pub const DEFAULT_PURPOSE_KIND: &str = "support";

fn reference_ok(s: &str) -> bool {
    !s.trim().is_empty() && s.len() <= 200 && s.chars().all(|c| c.is_ascii_alphanumeric() || " -_.:/#@()".contains(c))
}

impl Access {
    /// An access by the authenticated principal `who` for `purpose`, from `origin` (CLI user@host, or client
    /// address). The purpose kind is [`DEFAULT_PURPOSE_KIND`] until [`Access::with_kind`] names another.
    pub fn new(who: impl Into<Arc<Summary>>, purpose: &str, origin: &str) -> Result<Access, AccessError> {
        let who = who.into();
        // Purposes, principals and origins go into the published log: a reference, not free text.
        if purpose.trim().is_empty() {
            return Err(AccessError::NoPurpose);
        }
        if !reference_ok(purpose) {
            return Err(AccessError::Malformed("purpose"));
        }
        if !reference_ok(&who.name) {
            return Err(AccessError::Malformed("principal"));
        }
        if !reference_ok(origin) {
            return Err(AccessError::Malformed("origin"));
        }
        let mut a = Access {
            who,
            scopes: None,
            purpose: purpose.trim().to_owned(),
            purpose_kind: DEFAULT_PURPOSE_KIND.to_owned(),
            origin: origin.to_owned(),
            request: audit::request_id(),
            order: None,
            decision_key: String::new(),
        };
        a.rekey();
        Ok(a)
    }

    /// The holder of the root key and its passphrase, acting without a sign-in (`kura init`, the first
    /// administrator, key and policy administration). An administrator: it manages principals, policies and
    /// keys, loads records, and never reads personal data. Logged as `custodian:LOGIN`.
    pub fn custodian(login: &str, purpose: &str, origin: &str) -> Result<Access, AccessError> {
        let who = Summary {
            name: format!("custodian:{login}"),
            kind: Kind::Employee,
            roles: [Role::Administrator].into_iter().collect(),
            team: None,
            companies: std::collections::BTreeSet::new(),
            suspended: false,
            password: false,
            totp: false,
            tokens: Vec::new(),
        };
        Access::new(who, purpose, origin)
    }

    /// An access that can do nothing but be logged: the name as claimed at a sign-in.
    pub(crate) fn claimed(name: &str, purpose: &str, origin: &str) -> Result<Access, AccessError> {
        let who = Summary {
            name: name.to_owned(),
            kind: Kind::Service,
            roles: std::collections::BTreeSet::new(),
            team: None,
            companies: std::collections::BTreeSet::new(),
            suspended: true,
            password: false,
            totp: false,
            tokens: Vec::new(),
        };
        Access::new(who, purpose, origin).map(|a| a.with_scopes(Vec::new()))
    }

    /// The same access for another purpose (a reference such as an order id).
    pub fn with_purpose(mut self, purpose: &str) -> Result<Access, AccessError> {
        if purpose.trim().is_empty() {
            return Err(AccessError::NoPurpose);
        }
        if !reference_ok(purpose) {
            return Err(AccessError::Malformed("purpose"));
        }
        purpose.trim().clone_into(&mut self.purpose);
        self.rekey();
        Ok(self)
    }

    /// The same access for another kind of work (e.g. `shipping`, which home addresses need).
    pub fn with_kind(mut self, kind: &str) -> Result<Access, AccessError> {
        if kind.is_empty() || kind.len() > 32 || !kind.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
            return Err(AccessError::Kind);
        }
        kind.clone_into(&mut self.purpose_kind);
        self.rekey();
        Ok(self)
    }

    /// The same access bound to a service-desk order (the policies see it as `context.order`).
    pub(crate) fn with_order(mut self, order: crate::policy::OrderContext) -> Access {
        self.order = Some(Arc::new(order));
        self.rekey();
        self
    }

    /// The same access limited to an API token's scopes (see [`principals::SCOPES`]).
    pub fn with_scopes(mut self, scopes: Vec<String>) -> Access {
        self.scopes = Some(scopes.into());
        self
    }

    /// The decision-cache key: a digest of every attribute a decision depends on besides the resource, each
    /// length-prefixed so no two attribute sets share a key.
    fn rekey(&mut self) {
        use sha2::Digest;
        let w = &self.who;
        let mut h = sha2::Sha256::new();
        let mut put = |part: &str| {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        };
        put(&w.name);
        put(w.kind.as_str());
        put(if w.suspended { "suspended" } else { "active" });
        put(&self.purpose);
        put(&self.purpose_kind);
        match &self.order {
            None => put("no order"),
            Some(o) => {
                put("order");
                for part in [&o.id, &o.kind, &o.company, &o.status, &o.priority, &o.partner] {
                    put(part);
                }
                put(&format!("{}/{}/{}", o.assigned, o.escalated, o.people));
            }
        }
        put(&w.roles.len().to_string());
        for r in &w.roles {
            put(r.as_str());
        }
        for c in &w.companies {
            put(c);
        }
        self.decision_key = hex::encode(h.finalize());
    }

    /// Whether the access carries `scope` (accesses not made with an API token carry every scope).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.as_ref().is_none_or(|s| s.iter().any(|x| x == scope))
    }

    /// Who.
    pub fn principal(&self) -> &str {
        &self.who.name
    }
    /// The principal's attributes as used for decisions.
    pub fn who(&self) -> &Summary {
        &self.who
    }
    /// Why.
    pub fn purpose(&self) -> &str {
        &self.purpose
    }
    /// What kind of work.
    pub fn purpose_kind(&self) -> &str {
        &self.purpose_kind
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
    /// The stored policy cannot be loaded (fail closed: nothing is decided without it).
    #[error("the stored access policy cannot be loaded: {0}")]
    Policy(String),
}

impl From<crate::policy::PolicyError> for OpenError {
    fn from(e: crate::policy::PolicyError) -> OpenError {
        OpenError::Policy(e.to_string())
    }
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
    /// The caller may not create collections.
    #[error("denied: {0}")]
    Denied(String),
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
    /// The policy does not allow it (the refusal is in the log).
    #[error("denied: {0}")]
    Denied(String),
}

impl From<gate::Denied> for ReadError {
    fn from(d: gate::Denied) -> ReadError {
        ReadError::Denied(d.0)
    }
}

impl From<gate::PolicyChangeError> for ReadError {
    fn from(e: gate::PolicyChangeError) -> ReadError {
        ReadError::Denied(format!("no decision possible: {e}"))
    }
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
    /// The value, if present and not hidden from the caller.
    pub value: Option<Plain>,
    /// How the policy let the caller see it (`Hidden`: `value` is `None` whatever is stored).
    pub shown: Visibility,
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteSummary {
    /// New records.
    pub inserted: u64,
    /// Records replaced (same external id).
    pub updated: u64,
    /// The record of each row, in row order.
    pub ids: Vec<RecordId>,
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
        ReadError::Denied(why) => format!("denied: {why}"),
        _ => "failed".to_owned(),
    }
}

/// Whether `name` can be the principal of a log entry: a principal's login name, the custodian, or the
/// placeholders of refused sign-ins.
fn loggable_principal(name: &str) -> bool {
    let login = |s: &str| {
        !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    };
    crate::principal::valid_name(name)
        || name.strip_prefix("custodian:").is_some_and(login)
        || matches!(name, "(unknown)" | "(invalid-name)")
}

/// How a failed access is logged: a policy refusal is a `deny`, anything else a `fail`.
fn failure_outcome(err: &ReadError) -> Outcome {
    if matches!(err, ReadError::Denied(_)) {
        Outcome::Deny
    } else {
        Outcome::Fail
    }
}

/// Whether a disclosed field went out masked: masked by the policy, or a card number shown other than in
/// full (masked or as its token).
fn went_masked(f: &FieldValue, view: CardView) -> bool {
    f.value.is_some() && (f.shown == Visibility::Masked || (f.kind == FieldType::CardNumber && view != CardView::Full))
}

/// The log detail of a read: which disclosed fields were masked (incident exposure counts the rest as seen
/// in the clear).
pub(crate) fn masked_detail(r: &Record, view: CardView) -> String {
    let masked: Vec<&str> = r.fields.iter().filter(|f| went_masked(f, view)).map(|f| f.name.as_str()).collect();
    if masked.is_empty() {
        String::new()
    } else {
        format!("masked: {}", masked.join(", "))
    }
}

/// The fields several records disclosed masked: those every record that disclosed them disclosed masked.
fn masked_over<'a>(c: &'a Loaded, records: &[Record], view: CardView) -> Vec<&'a str> {
    c.schema
        .fields
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            let shown: Vec<&FieldValue> =
                records.iter().filter_map(|r| r.fields.get(*i)).filter(|f| f.value.is_some()).collect();
            !shown.is_empty() && shown.iter().all(|f| went_masked(f, view))
        })
        .map(|(_, f)| f.name.as_str())
        .collect()
}

/// The fields a read's log detail names as masked (see [`masked_detail`]).
pub(crate) fn masked_in_detail(detail: &str) -> Vec<&str> {
    detail
        .split("; ")
        .find_map(|part| part.strip_prefix("masked: "))
        .map(|list| list.split(", ").collect())
        .unwrap_or_default()
}

/// A stored record with its subject key unwrapped; nothing decrypted.
struct Unsealed {
    id: RecordId,
    key: SecretKey,
    key_version: u32,
    fields: Vec<u8>,
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
    gate: gate::Gate,
    auth_key: std::sync::OnceLock<SecretKey>,
    /// The newest record version seen or announced per principal (see `principals::check_version`).
    principal_versions: std::sync::Mutex<HashMap<String, u64>>,
    /// Principals' attributes as loaded by [`Vault::access`], with when.
    summaries: std::sync::Mutex<HashMap<String, (Arc<Summary>, std::time::Instant)>>,
    /// Anomaly rules, honey set and alert sinks of this process.
    watch: alerts::Watch,
    /// The canary registry and pools as this process last read them.
    canaries: canaries::Shared,
    /// The desk settings as this process last read them.
    desk: desk::Cache,
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
        Vault::assemble(store, keys)
    }

    /// A handle on `store` under the default policy, before collections and the stored policy are loaded.
    fn assemble(store: Box<dyn Store>, keys: Box<dyn KeyProvider>) -> Result<Vault, OpenError> {
        let log = audit::Log::new(store.open_log()?);
        let gate = gate::Gate::new(gate::Active::default_policy()?);
        Ok(Vault {
            store,
            keys,
            collections: RwLock::new(HashMap::new()),
            log,
            gate,
            auth_key: Default::default(),
            principal_versions: Default::default(),
            summaries: Default::default(),
            watch: Default::default(),
            canaries: Default::default(),
            desk: Default::default(),
        })
    }

    /// Opens an existing vault; fails if the key provider does not hold this vault's root key.
    pub fn open(store: Box<dyn Store>, keys: Box<dyn KeyProvider>) -> Result<Vault, OpenError> {
        let check = store.meta(META_CHECK)?.ok_or(OpenError::NotAVault)?;
        let check = B64.decode(check).map_err(|_| OpenError::WrongKey)?;
        keys.unwrap("vault/check", &check).map_err(|_| OpenError::WrongKey)?;
        let mut vault = Vault::assemble(store, keys)?;
        vault.gate = gate::Gate::new(vault.initial_gate().map_err(|e| OpenError::Policy(e.to_string()))?);
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
            principal: access.who.name.clone(),
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
    /// Appends entries to the access log, then runs the anomaly rules and the honey check over them.
    fn log(&self, entries: Vec<Entry>) -> Result<Vec<u64>, AppendError> {
        let watched = entries.iter().any(|e| e.action != Action::Alert).then(|| entries.clone());
        let seqs = self.log.append(entries)?;
        if let Some(entries) = watched {
            self.watch(&entries);
        }
        Ok(seqs)
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
        self.require_log_reader(access, "querying the access log")?;
        let commitment = self.commitment(collection, id)?;
        let mut e = self.entry(access, Action::LogAccess, Some(collection), Outcome::Allow);
        e.subjects = vec![commitment.clone()];
        e.detail = "who-saw".to_owned();
        self.log(vec![e])?;
        let seqs = self.log.store().by_subject(&commitment).map_err(|e| ReadError::Audit(e.to_string()))?;
        // The index only points: every entry must itself name the person (an inserted index row frames nobody).
        self.entries_at(&seqs, &|e| e.subjects.contains(&commitment))
    }

    /// Refuses (and logs the refusal) unless `access` is an auditor or security officer with `audit:read`.
    fn require_log_reader(&self, access: &Access, what: &str) -> Result<(), gate::Denied> {
        self.require_role(access, &[Role::Auditor, Role::SecurityOfficer], "audit:read", Action::LogAccess, what)
    }

    /// Checks that `access` may read the access log (auditors and security officers) and logs the access,
    /// described by `what` (e.g. `inclusion proof of entry 42`).
    pub fn log_access(&self, access: &Access, what: &str) -> Result<(), ReadError> {
        self.require_log_reader(access, "reading the access log")?;
        let mut e = self.entry(access, Action::LogAccess, None, Outcome::Allow);
        e.detail = what.to_owned();
        self.log(vec![e])?;
        Ok(())
    }

    /// "Who saw this person?" for a person named by external id: auditors and security officers identify the
    /// record without reading any of it (only the opaque record id comes back).
    pub fn who_saw_external(
        &self,
        access: &Access,
        collection: &str,
        external_id: &str,
    ) -> Result<(RecordId, Vec<Entry>), ReadError> {
        self.require_log_reader(access, "querying the access log")?;
        let c = self.collection(collection)?;
        let name = c.schema.fields.get(c.schema.external_id_position()).map(|f| f.name.clone()).unwrap_or_default();
        let id = self
            .lookup_ids(collection, &name, external_id)?
            .first()
            .copied()
            .ok_or_else(|| ReadError::UnknownExternalId(collection.to_owned()))?;
        Ok((id, self.who_saw(access, collection, id)?))
    }

    /// "What did this principal do?" within `[from_ms, to_ms)`. The query itself is logged.
    pub fn activity(
        &self,
        access: &Access,
        principal: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<Entry>, ReadError> {
        self.require_log_reader(access, "querying the access log")?;
        // Only a name that can appear as a principal goes into the log: anything typed here is kept forever.
        if !loggable_principal(principal) {
            return Err(ReadError::Query {
                field: "principal".to_owned(),
                reason: "not a principal name (lower-case login names, or `custodian:LOGIN`)".to_owned(),
            });
        }
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
        self.require_role(
            access,
            &[Role::Administrator],
            "principals:admin",
            Action::KeyChange,
            "creating a collection",
        )
        .map_err(|d| CollectionError::Denied(d.0))?;
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
        self.authorise_create(access, &c, &rows)?;
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
        Ok(WriteSummary {
            inserted: writes.len() as u64 - updated,
            updated,
            ids: writes.iter().map(|w| w.id).collect(),
        })
    }

    /// Refuses a write unless the policy lets `access` create every field of every row, for the row's company.
    /// A refusal is logged and names the first refused row (never a value).
    fn authorise_create(&self, access: &Access, c: &Loaded, rows: &[Values]) -> Result<(), WriteError> {
        let scope = c.schema.fields.iter().position(|f| f.scope);
        let refused = (|| {
            Vault::require_scope(access, "records:write")?;
            let policy = self.active_policy()?;
            for (i, row) in rows.iter().enumerate() {
                let company = scope
                    .and_then(|p| row.canonical.get(p))
                    .and_then(|v| v.as_ref())
                    .map(|v| v.expose())
                    .unwrap_or_default();
                let allowed = policy.allowed(access, Act::Create, c, company);
                if let Some((f, _)) = c.schema.fields.iter().zip(allowed.iter()).find(|(_, a)| !**a) {
                    return Err(ReadError::Denied(format!(
                        "the policy does not let `{}` create field `{}` (row {})",
                        access.principal(),
                        f.name,
                        i + 1
                    )));
                }
            }
            Ok(())
        })();
        if let Err(err) = refused {
            let mut e = self.entry(access, Action::Create, Some(&c.schema.name), Outcome::Deny);
            e.detail = read_failure(&err);
            self.log(vec![e])?;
            return Err(err.into());
        }
        Ok(())
    }

    /// A stored record with its subject key unwrapped; nothing decrypted yet.
    fn unseal(&self, c: &Loaded, id: RecordId) -> Result<Unsealed, ReadError> {
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
        Ok(Unsealed { id, key, key_version: stored.key_version, fields: stored.fields })
    }

    /// One field's stored text, decrypted for the vault's own use (a decision, a check), never handed out.
    fn field_text(c: &Loaded, u: &Unsealed, pos: usize) -> Result<Option<zeroize::Zeroizing<String>>, ReadError> {
        let id = u.id;
        for (p, sealed) in codec::split(&u.fields).map_err(|_| ReadError::Damaged(id))? {
            if p as usize != pos {
                continue;
            }
            let field = c.schema.fields.get(pos).ok_or(ReadError::Damaged(id))?;
            let pt = crypto::open(&u.key, &c.field_ad(id, field, u.key_version), sealed)
                .map_err(|_| ReadError::Undecryptable(id))?;
            return Ok(Some(zeroize::Zeroizing::new(
                String::from_utf8(pt.to_vec()).map_err(|_| ReadError::Damaged(id))?,
            )));
        }
        Ok(None)
    }

    /// The record's client company (canonical form of the scope field), or "" when it has none.
    fn company_of(c: &Loaded, u: &Unsealed) -> Result<String, ReadError> {
        let Some(pos) = c.schema.fields.iter().position(|f| f.scope) else { return Ok(String::new()) };
        let kind = c.schema.fields.get(pos).map(|f| f.kind).unwrap_or(FieldType::Organisation);
        Ok(Vault::field_text(c, u, pos)?
            .and_then(|t| normalize::canonical(kind, &t).ok())
            .map(|t| t.to_string())
            .unwrap_or_default())
    }

    /// Decrypts the fields `views` lets out, masking where it says so. Callers log before handing it out.
    fn disclose(c: &Loaded, u: &Unsealed, views: &[Visibility], view: CardView) -> Result<Record, ReadError> {
        let id = u.id;
        let mut values: Vec<Option<Plain>> = vec![None; c.schema.fields.len()];
        for (pos, sealed) in codec::split(&u.fields).map_err(|_| ReadError::Damaged(id))? {
            let shown = views.get(pos as usize).copied().unwrap_or(Visibility::Hidden);
            if shown == Visibility::Hidden {
                continue;
            }
            let field = c.schema.fields.get(pos as usize).ok_or(ReadError::Damaged(id))?;
            let pt = crypto::open(&u.key, &c.field_ad(id, field, u.key_version), sealed)
                .map_err(|_| ReadError::Undecryptable(id))?;
            let text = zeroize::Zeroizing::new(String::from_utf8(pt.to_vec()).map_err(|_| ReadError::Damaged(id))?);
            let out = if field.kind == FieldType::CardNumber {
                let pan = Pan::parse(&text).map_err(|_| ReadError::Damaged(id))?;
                match (shown, view) {
                    (Visibility::Plain, CardView::Full) => text.to_string(),
                    (Visibility::Plain, CardView::Token) => {
                        c.tokenizer.tokenise(&pan).map_err(|_| ReadError::Damaged(id))?
                    }
                    _ => pan.masked(),
                }
            } else if shown == Visibility::Masked {
                crate::mask::mask(field.kind, &text)
            } else {
                text.to_string()
            };
            if let Some(slot) = values.get_mut(pos as usize) {
                *slot = Some(Plain::new(out));
            }
        }
        Ok(Record {
            id,
            fields: c
                .schema
                .fields
                .iter()
                .zip(values)
                .zip(views.iter().copied().chain(std::iter::repeat(Visibility::Hidden)))
                .map(|((f, value), shown)| FieldValue { name: f.name.clone(), kind: f.kind, value, shown })
                .collect(),
        })
    }

    /// Decrypts a whole record for the vault's own use (an update's current values, an index re-check).
    /// Many records at once, for the vault's own bulk work (exports): two queries per chunk instead of two per
    /// record; the keys are unwrapped and the fields decrypted in parallel. In the order of `ids`.
    fn reveal_many(&self, c: &Loaded, ids: &[RecordId]) -> Result<Vec<Record>, ReadError> {
        self.reveal_many_with(c, ids, &vec![Visibility::Plain; c.schema.fields.len()])
    }

    /// [`Vault::reveal_many`] decrypting only the fields `views` does not hide.
    fn reveal_many_with(&self, c: &Loaded, ids: &[RecordId], views: &[Visibility]) -> Result<Vec<Record>, ReadError> {
        use rayon::prelude::*;
        let mut stored: HashMap<RecordId, store::StoredRecord> =
            self.store.records(c.id, ids)?.into_iter().map(|r| (r.id, r)).collect();
        let mut keys: HashMap<RecordId, store::SubjectKey> =
            self.store.subject_keys(ids)?.into_iter().map(|k| (k.record, k)).collect();
        let mut raw = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(r) = stored.remove(id) else {
                return Err(if self.store.tombstone(c.id, *id)?.is_some() {
                    ReadError::Erased(*id)
                } else {
                    ReadError::NotFound(*id)
                });
            };
            raw.push((r, keys.remove(id)));
        }
        raw.into_par_iter()
            .map(|(r, key)| {
                let key = key.and_then(|k| c.unwrap_subject(&k)).ok_or(ReadError::Undecryptable(r.id))?;
                let u = Unsealed { id: r.id, key, key_version: r.key_version, fields: r.fields };
                Vault::disclose(c, &u, views, CardView::Full)
            })
            .collect()
    }

    fn reveal_all(&self, c: &Loaded, id: RecordId) -> Result<Record, ReadError> {
        let u = self.unseal(c, id)?;
        let all = vec![Visibility::Plain; c.schema.fields.len()];
        Vault::disclose(c, &u, &all, CardView::Full)
    }

    fn require_scope(access: &Access, scope: &str) -> Result<(), ReadError> {
        if access.has_scope(scope) {
            Ok(())
        } else {
            Err(ReadError::Denied(format!("this token lacks the scope `{scope}`")))
        }
    }

    /// Reads one record as the policy lets `access` see it: authorised per field before anything is
    /// decrypted for the caller.
    fn read_one(&self, access: &Access, c: &Loaded, id: RecordId, view: CardView) -> Result<Record, ReadError> {
        Vault::require_scope(access, "records:read")?;
        let u = self.unseal(c, id)?;
        let company = Vault::company_of(c, &u)?;
        let views = self.active_policy()?.views(access, c, &company);
        if views.iter().all(|v| *v == Visibility::Hidden) {
            return Err(ReadError::Denied(format!(
                "the policy shows `{}` no field of this record for purpose kind `{}`",
                access.principal(),
                access.purpose_kind()
            )));
        }
        Vault::disclose(c, &u, &views, view)
    }

    fn outcome_of<T>(result: &Result<T, ReadError>) -> Outcome {
        match result {
            Ok(_) => Outcome::Allow,
            Err(err) => failure_outcome(err),
        }
    }

    /// Reads one record: each field plain, masked or hidden as the active policy decides for `access`.
    /// A record of which nothing may be shown is refused ([`ReadError::Denied`]). Logged either way, before
    /// anything is returned.
    pub fn get(&self, access: &Access, collection: &str, id: RecordId, view: CardView) -> Result<Record, ReadError> {
        let c = self.collection(collection)?;
        let result = self.check_unbound_read(access).and_then(|()| self.read_one(access, &c, id, view));
        let mut e = self.entry(access, Action::Read, Some(collection), Vault::outcome_of(&result));
        e.subjects = vec![c.committer.commit(id)];
        match &result {
            Ok(r) => {
                e.fields = r.fields.iter().filter(|f| f.value.is_some()).map(|f| f.name.clone()).collect();
                e.detail = masked_detail(r, view);
            }
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
        let records: Result<Vec<Record>, ReadError> = self
            .check_unbound_read(access)
            .and_then(|()| ids.iter().map(|id| self.read_one(access, &c, *id, view)).collect());
        let mut e = self.entry(access, Action::Read, Some(collection), Vault::outcome_of(&records));
        e.subjects = ids.iter().map(|id| c.committer.commit(*id)).collect();
        e.fields = match &records {
            Ok(r) => {
                let mut seen = vec![false; c.schema.fields.len()];
                for f in r.iter().flat_map(|r| r.fields.iter().enumerate()) {
                    if f.1.value.is_some() {
                        if let Some(s) = seen.get_mut(f.0) {
                            *s = true;
                        }
                    }
                }
                c.schema.fields.iter().zip(seen).filter(|(_, s)| *s).map(|(f, _)| f.name.clone()).collect()
            }
            Err(_) => Vec::new(),
        };
        e.detail = match &records {
            Ok(r) => {
                let masked = masked_over(&c, r, view);
                if masked.is_empty() {
                    format!("{} records read", r.len())
                } else {
                    format!("{} records read; masked: {}", r.len(), masked.join(", "))
                }
            }
            Err(err) => read_failure(err),
        };
        self.log(vec![e])?;
        records
    }

    /// Whether the searched field of a record may be seen by `access` (a search must not confirm a value the
    /// caller could not read).
    fn may_search(&self, access: &Access, c: &Loaded, pos: usize, id: RecordId) -> Result<bool, ReadError> {
        let u = self.unseal(c, id)?;
        let company = Vault::company_of(c, &u)?;
        let views = self.active_policy()?.views(access, c, &company);
        Ok(views.get(pos).is_some_and(|v| *v != Visibility::Hidden))
    }

    /// The log entries of a search: every returned id is named (large results take several entries), and
    /// matches the policy withheld are named in a `deny` entry.
    fn search_entries(
        &self,
        access: &Access,
        c: &Loaded,
        field: &str,
        returned: &[RecordId],
        withheld: &[RecordId],
        what: &str,
    ) -> Vec<Entry> {
        let mut e = self.entry(access, Action::Search, Some(&c.schema.name), Outcome::Allow);
        e.fields = vec![field.to_owned()];
        e.detail = format!("exact match on `{field}`: {} {what} returned", returned.len());
        let mut entries = Vec::new();
        for chunk in returned.chunks(audit::MAX_SUBJECTS) {
            let mut part = e.clone();
            part.subjects = chunk.iter().map(|id| c.committer.commit(*id)).collect();
            entries.push(part);
        }
        if entries.is_empty() && withheld.is_empty() {
            entries.push(e.clone());
        }
        for chunk in withheld.chunks(audit::MAX_SUBJECTS) {
            let mut part = e.clone();
            part.outcome = Outcome::Deny;
            part.detail = format!("exact match on `{field}`: {} matches withheld by the policy", chunk.len());
            part.subjects = chunk.iter().map(|id| c.committer.commit(*id)).collect();
            entries.push(part);
        }
        entries
    }

    /// The record ids whose `field` equals `query` after normalisation, found through the blind index; only
    /// records whose `field` the policy lets `access` see are returned.
    pub fn find_ids(
        &self,
        access: &Access,
        collection: &str,
        field: &str,
        query: &str,
    ) -> Result<Vec<RecordId>, ReadError> {
        let c = self.collection(collection)?;
        let mut withheld = Vec::new();
        let result = Vault::require_scope(access, "records:read").and_then(|()| {
            let ids = self.lookup_ids(collection, field, query)?;
            let pos = c.schema.position(field).unwrap_or(0);
            let mut out = Vec::new();
            for id in ids {
                if self.may_search(access, &c, pos, id)? {
                    out.push(id);
                } else {
                    withheld.push(id);
                }
            }
            Ok(out)
        });
        // Only names the schema knows go into the log (a value typed in the field position must not).
        let field = if c.schema.field(field).is_some() { field } else { "(unknown field)" };
        let entries = match &result {
            Ok(ids) => self.search_entries(access, &c, field, ids, &withheld, "record ids"),
            Err(err) => {
                let mut e = self.entry(access, Action::Search, Some(collection), Vault::outcome_of(&result));
                e.fields = vec![field.to_owned()];
                e.detail = read_failure(err);
                vec![e]
            }
        };
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

    /// Finds records by exact match on a searchable field and reads them (at most `limit`), each shown as the
    /// policy decides; matches whose searched field the caller may not see are withheld (and logged so).
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
        let mut withheld: Vec<RecordId> = Vec::new();
        let result = self
            .check_unbound_read(access)
            .and_then(|()| self.find_records(access, &c, field, query, limit, view, &mut touched, &mut withheld));
        let field = if c.schema.field(field).is_some() { field } else { "(unknown field)" };
        let entries = match &result {
            Ok(out) => {
                let ids: Vec<RecordId> = out.iter().map(|r| r.id).collect();
                let mut entries = self.search_entries(access, &c, field, &ids, &withheld, "records");
                for (e, chunk) in entries.iter_mut().zip(out.chunks(audit::MAX_SUBJECTS)) {
                    e.fields = c
                        .schema
                        .fields
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| chunk.iter().any(|r| r.fields.get(*i).is_some_and(|f| f.value.is_some())))
                        .map(|(_, f)| f.name.clone())
                        .collect();
                    let masked = masked_over(&c, chunk, view);
                    if !masked.is_empty() {
                        e.detail = format!("{}; masked: {}", e.detail, masked.join(", "));
                    }
                }
                entries
            }
            Err(err) => {
                // Even a failure names the records it touched: an error can carry a record id.
                let mut e = self.entry(access, Action::Search, Some(collection), Vault::outcome_of(&result));
                e.subjects = touched.iter().map(|id| c.committer.commit(*id)).collect();
                e.fields = vec![field.to_owned()];
                e.detail = read_failure(err);
                vec![e]
            }
        };
        // No log, no data.
        self.log(entries)?;
        result
    }

    #[expect(clippy::too_many_arguments, reason = "one private step of `find`")]
    fn find_records(
        &self,
        access: &Access,
        c: &Loaded,
        field: &str,
        query: &str,
        limit: usize,
        view: CardView,
        touched: &mut Vec<RecordId>,
        withheld: &mut Vec<RecordId>,
    ) -> Result<Vec<Record>, ReadError> {
        Vault::require_scope(access, "records:read")?;
        let ids = self.lookup_ids(&c.schema.name, field, query)?;
        let pos = c.schema.position(field).unwrap_or(0);
        let kind = c.schema.fields.get(pos).map(|f| f.kind).unwrap_or(FieldType::FreeText);
        let want =
            canonical_query(kind, query).map_err(|reason| ReadError::Query { field: field.to_owned(), reason })?;
        let policy = self.active_policy()?;
        let mut out = Vec::new();
        for id in ids {
            if out.len() >= limit.min(audit::MAX_SUBJECTS) {
                break;
            }
            touched.push(id);
            let u = self.unseal(c, id)?;
            // The index is only a pointer: an entry edited in the database must not hand out another person.
            let matches = Vault::field_text(c, &u, pos)?
                .and_then(|v| canonical_query(kind, &v).ok())
                .is_some_and(|c| bool::from(subtle::ConstantTimeEq::ct_eq(c.as_bytes(), want.as_bytes())));
            if !matches {
                continue;
            }
            let company = Vault::company_of(c, &u)?;
            let views = policy.views(access, c, &company);
            if views.get(pos).is_none_or(|v| *v == Visibility::Hidden) {
                withheld.push(id);
                continue;
            }
            out.push(Vault::disclose(c, &u, &views, view)?);
        }
        Ok(out)
    }

    /// The card number behind an FF1 token of this collection, for callers the policy shows card numbers in
    /// full (`read_plain` on the card field for the card holder's company; nobody under the default policy).
    pub fn detokenise(&self, access: &Access, collection: &str, token: &str) -> Result<Plain, ReadError> {
        let c = self.collection(collection)?;
        let mut holders = Vec::new();
        let result = Vault::require_scope(access, "records:read").and_then(|()| {
            let pan = c
                .tokenizer
                .detokenise(token)
                .map_err(|e| ReadError::Query { field: "token".to_owned(), reason: e.to_string() })?;
            let mut allowed = false;
            let policy = self.active_policy()?;
            for (pos, f) in c.schema.fields.iter().enumerate().filter(|(_, f)| f.kind == FieldType::CardNumber) {
                let ids = if f.indexed() { self.lookup_ids(collection, &f.name, pan.digits())? } else { Vec::new() };
                holders.extend(ids.iter().take(audit::MAX_SUBJECTS).copied());
                // The holder's company decides; a card of nobody known is judged as a record without one.
                let company = match ids.first() {
                    Some(id) => Vault::company_of(&c, &self.unseal(&c, *id)?)?,
                    None => String::new(),
                };
                allowed |= policy.views(access, &c, &company).get(pos) == Some(&Visibility::Plain);
            }
            if !allowed {
                return Err(ReadError::Denied(format!(
                    "the policy does not show `{}` full card numbers",
                    access.principal()
                )));
            }
            Ok(pan)
        });
        let mut e = self.entry(access, Action::Detokenise, Some(collection), Vault::outcome_of(&result));
        e.detail = match &result {
            Ok(_) => "card token detokenised".to_owned(),
            Err(err) => read_failure(err),
        };
        // Name the card holder when the card number is searchable, so "who saw this person?" shows it.
        e.subjects = holders.iter().take(audit::MAX_SUBJECTS).map(|id| c.committer.commit(*id)).collect();
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
                if matches!(err, WriteError::Read(ReadError::Denied(_))) {
                    e.outcome = Outcome::Deny;
                }
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
        Vault::require_scope(access, "records:write")?;
        let current = self.reveal_all(c, id)?;
        let mut raw: Vec<Option<String>> =
            current.fields.iter().map(|f| f.value.as_ref().map(|v| v.expose().to_owned())).collect();
        for (name, value) in changes {
            if let Some(slot) = c.schema.position(name).and_then(|p| raw.get_mut(p)) {
                *slot = value.clone();
            }
        }
        let borrowed: Vec<Option<&str>> = raw.iter().map(|v| v.as_deref()).collect();
        let values = input::validate(&c.schema, &borrowed).map_err(WriteError::Invalid)?;
        // Authorised on the record's company, and on the new one when the change moves the record.
        let policy = self.active_policy().map_err(ReadError::from)?;
        let scope = c.schema.fields.iter().position(|f| f.scope);
        let old_company = scope
            .and_then(|p| current.fields.get(p))
            .and_then(|f| f.value.as_ref())
            .and_then(|v| normalize::canonical(FieldType::Organisation, v.expose()).ok())
            .map(|v| v.to_string())
            .unwrap_or_default();
        let new_company = scope
            .and_then(|p| values.canonical.get(p))
            .and_then(|v| v.as_ref())
            .map(|v| v.expose().to_owned())
            .unwrap_or_default();
        for company in [&old_company, &new_company] {
            let allowed = policy.allowed(access, Act::Update, c, company);
            for (name, _) in changes {
                let pos = c.schema.position(name).unwrap_or(usize::MAX);
                if allowed.get(pos) != Some(&true) {
                    return Err(ReadError::Denied(format!(
                        "the policy does not let `{}` change `{name}` of this record",
                        access.principal()
                    ))
                    .into());
                }
            }
        }
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
        // Authorised on every field of the record, for its company ("" once it is gone).
        let decision = Vault::require_scope(access, "records:erase").and_then(|()| {
            let company = match self.unseal(&c, id) {
                Ok(u) => Vault::company_of(&c, &u)?,
                Err(ReadError::NotFound(_) | ReadError::Erased(_) | ReadError::Undecryptable(_)) => String::new(),
                Err(e) => return Err(e),
            };
            if self.active_policy()?.allowed(access, Act::Erase, &c, &company).iter().all(|a| *a) {
                Ok(())
            } else {
                Err(ReadError::Denied(format!("the policy does not let `{}` erase this record", access.principal())))
            }
        });
        if let Err(err) = decision {
            let mut e = self.entry(access, Action::Erase, Some(collection), failure_outcome(&err));
            e.subjects = vec![c.committer.commit(id)];
            e.detail = read_failure(&err);
            self.log(vec![e])?;
            return Err(err.into());
        }
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
