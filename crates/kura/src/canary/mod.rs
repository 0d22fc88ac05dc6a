//! Canary records: synthetic people placed in every export, whose contact points reach the organisation.
//!
//! When a list leaks and someone uses it — a fake "campaign" letter, a call, an e-mail, a card payment — a
//! canary's contact point receives it, and the [`Registry`] says which export the list came from. Three parts:
//!
//! - [`Pools`] — the contact points the organisation controls, from TOML: mail-drop postal addresses, phone
//!   numbers, canary e-mail domains and never-issued card BINs. Every entry is checked with the normaliser.
//! - [`make`] — the canaries of one export, imitating the export's real rows; [`interleave`] places them at
//!   random positions.
//! - [`Registry`] — canary → export, and contact point (any notation) → canary; also the exclusion list for the
//!   organisation's own mailings ([`Registry::is_canary_contact`]).
//!
//! # How a canary imitates the real rows
//! Each canary starts from a *template*: a real row of the export chosen at random, so company, department,
//! head-office address, card expiry and birth year follow the export's own distribution (and the canary's
//! company is always one present in the export). Over that, the canary gets its own:
//! - **external id** in the template's format: the same prefix (`C017-`) and a trailing number of the same
//!   width within (or just past) the range the export's ids of that prefix use, never one of them;
//! - **name** (kanji and kana, or romaji) from the tables behind [`crate::generate`], written with the same
//!   separator as the template's name;
//! - **phone** from the phone pool (only if the template has a phone, so the share of rows with phones stays);
//! - **e-mail**: an alias on a canary domain. The issue demands that contact points come from the pools, so
//!   the domain is always a canary domain, even for employees whose real colleagues share their company's
//!   domain; to blend in, the *local part* follows the template's convention (`t.sato4512`, `taro.sato`,
//!   `sato-t`, `taro_sato`, `johnsmith42`, …). A careful reader who compares domains within a company can spot
//!   this; registering look-alike domains per client and listing them in the pool is the mitigation;
//! - **home address and postal code** (fields marked `home`) from the mail-drop pool, preferring a drop in the
//!   template's prefecture so that the prefecture distribution follows the real rows as far as the pool's
//!   spread allows. A canary has a home address when its template does, and the first canary of an export
//!   always has one when any real row has one: mail to homes is what the incident's leak was used for;
//! - **card number** in a pool BIN of the template's brand when the pool has one, Luhn-valid, grouped like
//!   the template's. The pool's BINs must be ranges the organisation's issuer confirms are never issued
//!   (there is no industry-wide reserved range; well-known test numbers would give canaries away);
//! - **birth date**: the template's year, a random month and day.
//!
//! Other fields are copied from the template, except free text, which is left empty unless required.
//! Every canary row passes [`crate::vault::input::validate`] with the schema; [`make`] checks it.
//!
//! # Guarantees
//! - At least one canary per export ([`MakeError::NoCanaries`], [`RegisterError::NoCanaries`]).
//! - A contact point is used by at most one canary ever: [`make`] draws only points the registry does not
//!   hold and [`Registry::register`] refuses reuse; an exhausted pool is an error naming the pool.
//! - Deterministic: the same pools, registry, rows, export id and secret give the same canaries and the same
//!   placement; different secrets give different ones. All randomness is ChaCha20 keyed by
//!   HMAC-SHA256(secret, purpose ‖ export id).
//!
//! # Limits
//! Ids are checked only against the rows passed in: pass every row of the export (or check the vault with
//! [`crate::Vault::by_external_id`]) to rule out a collision with a record outside it.

mod pool;
mod registry;

use std::collections::HashSet;
use std::fmt;

use hmac::{Hmac, Mac};
use rand::distributions::WeightedIndex;
use rand::prelude::Distribution;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

pub use self::pool::{Country, MailDrop, Phone, PoolError, Pools};
pub use self::registry::{Contact, Hit, RegisterError, Registration, Registry};
use crate::card::{self, Pan};
use crate::generate::data::{self, JpName, UsName};
use crate::normalize;
use crate::schema::{Field, FieldType, Schema};

/// A row by schema position: one string per field of the schema, empty for an absent value.
pub type Row = Vec<String>;

/// The most canaries one export can carry.
pub const MAX_PER_EXPORT: usize = 1_000;

/// An export's id, as the export workflow names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ExportId(String);

impl ExportId {
    /// Wraps an export id.
    pub fn new(id: impl Into<String>) -> ExportId {
        ExportId(id.into())
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ExportId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A canary's id: `cn-` and 16 hex digits, derived from the export's secret. Carries no personal data.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CanaryId(String);

impl CanaryId {
    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CanaryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The kind of a canary's contact point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ContactKind {
    /// A phone number from the phone pool.
    Phone,
    /// An alias on a canary e-mail domain.
    Email,
    /// A mail-drop postal address.
    MailDrop,
    /// A card number in a never-issued BIN.
    Card,
}

impl ContactKind {
    /// The name used in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            ContactKind::Phone => "phone number",
            ContactKind::Email => "e-mail address",
            ContactKind::MailDrop => "mail-drop address",
            ContactKind::Card => "card number",
        }
    }
}

/// One synthetic person for one export.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Canary {
    /// Its id, listed in the export's manifest.
    pub id: CanaryId,
    /// The row, by schema position, in the same notations as real rows.
    pub row: Row,
    /// Its contact points, canonical.
    pub contacts: Vec<Contact>,
}

/// What [`make`] needs to know about the export.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The collection's schema; rows are by its field positions.
    pub schema: &'a Schema,
    /// The export the canaries are for.
    pub export: &'a ExportId,
    /// How many canaries (1 to [`MAX_PER_EXPORT`]).
    pub count: usize,
    /// The export's secret; keys every random choice.
    pub secret: &'a [u8],
    /// Real rows of the export, by schema position: the canaries imitate them. Pass all of them, so that ids
    /// cannot collide.
    pub rows: &'a [Row],
}

/// Why no canaries were made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum MakeError {
    /// Zero canaries asked for.
    #[error("an export needs at least one canary, got 0")]
    NoCanaries,
    /// Too many canaries asked for.
    #[error("at most {max} canaries per export, got `{got}`")]
    TooMany {
        /// Asked for.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// No real rows to imitate.
    #[error("canaries imitate the export's rows, but the export has none")]
    NoRows,
    /// A real row has the wrong number of fields.
    #[error("row {row} has {got} fields, the schema has {expected}")]
    RowShape {
        /// 0-based row number.
        row: usize,
        /// Fields in the row.
        got: usize,
        /// Fields in the schema.
        expected: usize,
    },
    /// The export already has canaries in the registry.
    #[error("export `{0}` already has registered canaries")]
    ExportTaken(ExportId),
    /// A pool has no unused entry left (or none that fits the schema).
    #[error("the canary pool `{pool}` is exhausted: every entry is registered to an export; add entries")]
    Exhausted {
        /// The pool, as named in the pools file.
        pool: &'static str,
    },
    /// A generated row failed validation (a bug, or a pool entry the schema's field type refuses).
    #[error("a canary row is invalid: {0}")]
    Invalid(String),
}

type HmacSha256 = Hmac<Sha256>;

/// A ChaCha20 generator keyed by the export's secret, for one purpose.
pub fn keyed_rng(secret: &[u8], purpose: &str, export: &ExportId) -> ChaCha20Rng {
    let mut seed = [0u8; 32];
    if let Ok(mut mac) = HmacSha256::new_from_slice(secret) {
        mac.update(b"kura canary ");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(export.as_str().as_bytes());
        seed.copy_from_slice(&mac.finalize().into_bytes());
    }
    ChaCha20Rng::from_seed(seed)
}

/// The generator [`interleave`] should use for an export: keyed by its secret, separate from [`make`]'s.
pub fn placement_rng(secret: &[u8], export: &ExportId) -> ChaCha20Rng {
    keyed_rng(secret, "placement", export)
}

/// Places `canaries` among `real` rows at uniformly random positions; real rows keep their order.
pub fn interleave<T>(real: Vec<T>, canaries: Vec<T>, rng: &mut impl Rng) -> Vec<T> {
    let total = real.len() + canaries.len();
    let mut positions = rand::seq::index::sample(rng, total, canaries.len()).into_vec();
    positions.sort_unstable();
    let mut positions = positions.into_iter().peekable();
    let mut real = real.into_iter();
    let mut canaries = canaries.into_iter();
    let mut out = Vec::with_capacity(total);
    for i in 0..total {
        let next = if positions.next_if_eq(&i).is_some() { canaries.next() } else { real.next() };
        out.extend(next);
    }
    out
}

/// Makes the canaries of one export from the pools, drawing only contact points the registry does not hold.
/// The canaries are not registered: call [`Registry::register`] once the export is committed.
///
/// # Errors
/// See [`MakeError`]; in particular [`MakeError::Exhausted`] names the pool that ran out.
pub fn make(pools: &Pools, registry: &Registry, req: &Request<'_>) -> Result<Vec<Canary>, MakeError> {
    if req.count == 0 {
        return Err(MakeError::NoCanaries);
    }
    if req.count > MAX_PER_EXPORT {
        return Err(MakeError::TooMany { got: req.count, max: MAX_PER_EXPORT });
    }
    if req.rows.is_empty() {
        return Err(MakeError::NoRows);
    }
    let expected = req.schema.fields.len();
    if let Some((row, r)) = req.rows.iter().enumerate().find(|(_, r)| r.len() != expected) {
        return Err(MakeError::RowShape { row, got: r.len(), expected });
    }
    if !registry.canaries_of(req.export).is_empty() {
        return Err(MakeError::ExportTaken(req.export.clone()));
    }
    let mut maker = Maker::new(pools, registry, req);
    let mut out = Vec::with_capacity(req.count);
    for i in 0..req.count {
        let canary = maker.canary(i == 0)?;
        let raw: Vec<Option<&str>> = canary.row.iter().map(|v| Some(v.as_str())).collect();
        if let Err(problems) = crate::vault::input::validate(req.schema, &raw) {
            let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
            return Err(MakeError::Invalid(text.join("; ")));
        }
        out.push(canary);
    }
    Ok(out)
}

/// A weighted table sampled with `WeightedIndex`.
struct Table<T: Copy + 'static> {
    items: &'static [T],
    index: Option<WeightedIndex<u32>>,
}

impl<T: Copy + Default + 'static> Table<T> {
    fn new(items: &'static [T], weight: impl Fn(&T) -> u32) -> Self {
        Table { items, index: WeightedIndex::new(items.iter().map(weight)).ok() }
    }

    fn sample(&self, rng: &mut ChaCha20Rng) -> T {
        self.index.as_ref().and_then(|ix| self.items.get(ix.sample(rng)).copied()).unwrap_or_default()
    }
}

/// A generated person's name parts.
struct Person {
    /// Kanji surname and given name (Japanese people only).
    kanji: Option<(&'static str, &'static str)>,
    /// Katakana readings (Japanese people only).
    kana: Option<(&'static str, &'static str)>,
    /// Latin-script given name and surname, as written in names.
    latin: (String, String),
}

struct Maker<'a> {
    pools: &'a Pools,
    registry: &'a Registry,
    req: &'a Request<'a>,
    rng: ChaCha20Rng,
    surnames: Table<JpName>,
    male: Table<JpName>,
    female: Table<JpName>,
    us_surnames: Table<UsName>,
    us_male: Table<UsName>,
    us_female: Table<UsName>,
    /// Pool entries no export holds yet; entries are removed as this batch takes them.
    phones: Vec<&'a Phone>,
    drops: Vec<&'a MailDrop>,
    /// Contact points and ids used by this batch.
    used: HashSet<String>,
    /// External ids of the real rows, canonical.
    real_ids: HashSet<String>,
    external_id: Option<usize>,
    japanese: bool,
    any_home: bool,
}

impl<'a> Maker<'a> {
    fn new(pools: &'a Pools, registry: &'a Registry, req: &'a Request<'a>) -> Self {
        let schema = req.schema;
        let external_id = schema.fields.iter().position(|f| f.external_id);
        let real_ids = external_id
            .map(|p| {
                req.rows
                    .iter()
                    .filter_map(|r| r.get(p))
                    .filter_map(|v| normalize::canonical(FieldType::Identifier, v).ok())
                    .collect()
            })
            .unwrap_or_default();
        let any_home = req.rows.iter().any(|r| home_address(schema, r).is_some());
        Maker {
            pools,
            registry,
            req,
            rng: keyed_rng(req.secret, "make", req.export),
            surnames: Table::new(data::JP_SURNAMES, |n| n.weight),
            male: Table::new(data::JP_MALE_NAMES, |n| n.weight),
            female: Table::new(data::JP_FEMALE_NAMES, |n| n.weight),
            us_surnames: Table::new(data::US_SURNAMES, |n| n.weight),
            us_male: Table::new(data::US_MALE_NAMES, |n| n.weight),
            us_female: Table::new(data::US_FEMALE_NAMES, |n| n.weight),
            phones: pools.phones.iter().filter(|p| !registry.is_canary_contact(&p.canonical)).collect(),
            drops: pools.mail_drops.iter().filter(|d| !registry.is_canary_contact(&d.canonical)).collect(),
            used: HashSet::new(),
            real_ids,
            external_id,
            japanese: schema.fields.iter().any(|f| f.kind == FieldType::PersonNameJa),
            any_home,
        }
    }

    fn free(&self, canonical: &str) -> bool {
        !self.registry.is_canary_contact(canonical) && !self.used.contains(canonical)
    }

    fn person(&mut self) -> Person {
        let rng = &mut self.rng;
        if self.japanese {
            let surname = self.surnames.sample(rng);
            let given = if rng.gen_range(0..100u32) < 58 { self.male.sample(rng) } else { self.female.sample(rng) };
            Person {
                kanji: Some((surname.kanji, given.kanji)),
                kana: Some((surname.kana, given.kana)),
                latin: (capitalise(given.romaji), capitalise(surname.romaji)),
            }
        } else {
            let given = if rng.gen_bool(0.5) { self.us_male.sample(rng) } else { self.us_female.sample(rng) };
            let surname = self.us_surnames.sample(rng);
            Person { kanji: None, kana: None, latin: (given.name.to_owned(), surname.name.to_owned()) }
        }
    }

    fn canary(&mut self, first: bool) -> Result<Canary, MakeError> {
        let req = self.req;
        let schema = req.schema;
        let template_at = self.rng.gen_range(0..req.rows.len());
        let template = req.rows.get(template_at).ok_or(MakeError::NoRows)?;
        let person = self.person();
        let mut id_bytes = [0u8; 8];
        self.rng.fill(&mut id_bytes);
        let id = CanaryId(format!("cn-{}", hex::encode(id_bytes)));

        let mut row: Row = vec![String::new(); schema.fields.len()];
        let mut contacts = Vec::new();

        // The external id first: the e-mail convention may use its number.
        let mut id_number = None;
        if let Some(pos) = self.external_id {
            let (value, number) = self.external_id(template, pos)?;
            id_number = number;
            set(&mut row, pos, value);
        }

        // One mail drop per canary, shared by its home address and home postal code fields.
        let wants_home = home_address(schema, template).is_some() || (first && self.any_home);
        let drop = if wants_home { self.mail_drop(schema, template)? } else { None };
        if let Some(d) = drop {
            contacts.push(Contact { kind: ContactKind::MailDrop, canonical: d.canonical.clone() });
            self.used.insert(d.canonical.clone());
        }

        for (pos, field) in schema.fields.iter().enumerate() {
            let given = template.get(pos).map(|s| s.trim()).unwrap_or_default();
            let value = match field.kind {
                _ if Some(pos) == self.external_id => continue,
                FieldType::PersonNameJa => match person.kanji {
                    Some((s, g)) => format!("{s}{}{g}", separator(given)),
                    None => given.to_owned(),
                },
                FieldType::Kana => match person.kana {
                    Some((s, g)) => format!("{s}{}{g}", separator(given)),
                    None => given.to_owned(),
                },
                FieldType::PersonNameRomaji => {
                    let (g, s) = &person.latin;
                    if given.chars().next().is_some_and(char::is_uppercase) && given.contains(',') {
                        format!("{}, {g}", s.to_uppercase())
                    } else {
                        format!("{g} {s}")
                    }
                }
                FieldType::Phone if given.is_empty() => String::new(),
                FieldType::Phone => {
                    let phone = self.phone(given)?;
                    contacts.push(Contact { kind: ContactKind::Phone, canonical: phone.canonical.clone() });
                    self.used.insert(phone.canonical.clone());
                    phone.written.clone()
                }
                FieldType::Email if given.is_empty() && !field.required => String::new(),
                FieldType::Email => {
                    let (written, canonical) = self.email(given, &person, id_number, template, schema)?;
                    contacts.push(Contact { kind: ContactKind::Email, canonical: canonical.clone() });
                    self.used.insert(canonical);
                    written
                }
                FieldType::JpAddress | FieldType::UsAddress if field.home => {
                    drop.map(|d| d.address.clone()).unwrap_or_default()
                }
                FieldType::PostalCode if field.home => drop.map(|d| d.postal_code.clone()).unwrap_or_default(),
                FieldType::CardNumber if given.is_empty() => String::new(),
                FieldType::CardNumber => {
                    let (written, digits) = self.card(given)?;
                    contacts.push(Contact { kind: ContactKind::Card, canonical: digits.clone() });
                    self.used.insert(digits);
                    written
                }
                // Derived from the card number below.
                FieldType::CardBrand => continue,
                FieldType::Date if !given.is_empty() => self.date(given),
                FieldType::FreeText if !field.required => String::new(),
                _ => given.to_owned(),
            };
            set(&mut row, pos, value);
        }
        fill_card_brands(schema, template, &mut row);
        Ok(Canary { id, row, contacts })
    }

    /// An id in the template's format that no real row and no earlier canary of this batch uses, and its
    /// trailing number.
    fn external_id(&mut self, template: &Row, pos: usize) -> Result<(String, Option<u64>), MakeError> {
        let given = template.get(pos).map(|s| s.trim()).unwrap_or_default();
        let digits = given.bytes().rev().take_while(u8::is_ascii_digit).count();
        let (prefix, _) = given.split_at_checked(given.len() - digits).unwrap_or((given, ""));
        let width = digits.clamp(1, 18) as u32;
        let ceiling = 10u64.pow(width) - 1;
        // The range the export's ids with this prefix and width use.
        let numbers: Vec<u64> = self
            .req
            .rows
            .iter()
            .filter_map(|r| r.get(pos))
            .filter_map(|v| v.trim().strip_prefix(prefix))
            .filter(|n| n.len() == digits && n.bytes().all(|b| b.is_ascii_digit()))
            .filter_map(|n| n.parse().ok())
            .collect();
        let low = numbers.iter().copied().min().unwrap_or(0);
        let high = numbers.iter().copied().max().unwrap_or(0);
        let stride = (high - low) / (numbers.len() as u64).max(1);
        let top = high.saturating_add(stride.max(1) * 10).min(ceiling);
        for _ in 0..256 {
            let n = self.rng.gen_range(low..=top.max(low));
            let id = format!("{prefix}{n:0w$}", w = width as usize);
            let canonical = normalize::canonical(FieldType::Identifier, &id).unwrap_or_else(|_| id.clone());
            if !self.real_ids.contains(&canonical) && self.used.insert(format!("id:{canonical}")) {
                return Ok((id, Some(n)));
            }
        }
        Err(MakeError::Exhausted { pool: "external ids" })
    }

    /// An unused mail drop for the schema's home address type, preferring the template's prefecture.
    fn mail_drop(&mut self, schema: &Schema, template: &Row) -> Result<Option<&'a MailDrop>, MakeError> {
        let Some(kind) = schema.fields.iter().find(|f| f.home && is_address(f)).map(|f| f.kind) else {
            return Ok(None);
        };
        let prefecture = home_address(schema, template).and_then(pool::prefecture_of);
        let free: Vec<&'a MailDrop> = self.drops.iter().copied().filter(|d| d.country.address_type() == kind).collect();
        let near: Vec<&'a MailDrop> =
            free.iter().copied().filter(|d| prefecture.is_some() && d.prefecture == prefecture).collect();
        let choice = if near.is_empty() { &free } else { &near };
        let Some(&drop) = choice.get(self.rng.gen_range(0..choice.len().max(1))) else {
            return Err(MakeError::Exhausted { pool: "mail_drop" });
        };
        self.drops.retain(|d| !std::ptr::eq(*d, drop));
        Ok(Some(drop))
    }

    /// An unused pool number, from the template's country when the pool has one.
    fn phone(&mut self, template: &str) -> Result<&'a Phone, MakeError> {
        let country = normalize::canonical(FieldType::Phone, template)
            .ok()
            .map(|c| if c.starts_with("+81") { "+81" } else { "+1" }.to_owned());
        let same: Vec<&'a Phone> = self
            .phones
            .iter()
            .copied()
            .filter(|p| country.as_deref().is_some_and(|c| p.canonical.starts_with(c)))
            .collect();
        let choice = if same.is_empty() { &self.phones } else { &same };
        let Some(&phone) = choice.get(self.rng.gen_range(0..choice.len().max(1))) else {
            return Err(MakeError::Exhausted { pool: "phones" });
        };
        self.phones.retain(|p| !std::ptr::eq(*p, phone));
        Ok(phone)
    }

    /// An alias on a canary domain whose local part follows the template's convention.
    fn email(
        &mut self,
        template: &str,
        person: &Person,
        id_number: Option<u64>,
        template_row: &Row,
        schema: &Schema,
    ) -> Result<(String, String), MakeError> {
        let Some(domain) = self.pick_domain() else {
            return Err(MakeError::Exhausted { pool: "email.domains" });
        };
        let local = template.split('@').next().unwrap_or_default().to_ascii_lowercase();
        let template_id_number = schema
            .fields
            .iter()
            .position(|f| f.external_id)
            .and_then(|p| template_row.get(p))
            .and_then(|id| trailing_number(id));
        let given = ascii_lower(&person.latin.0);
        let surname = ascii_lower(&person.latin.1);
        let initial = given.get(..1).unwrap_or("x");
        let digits = local.bytes().rev().take_while(u8::is_ascii_digit).count();
        let stem = local.get(..local.len() - digits).unwrap_or(&local);
        let suffix = if digits == 0 {
            String::new()
        } else if template_id_number.is_some() && trailing_number(&local) == template_id_number {
            // `t.sato4512`: the number is the employee number.
            id_number.map(|n| n.to_string()).unwrap_or_default()
        } else {
            let low = 10u64.pow(digits.saturating_sub(1) as u32);
            self.rng.gen_range(low..low * 10).to_string()
        };
        let surname_first = |a: &str| {
            data::JP_SURNAMES.iter().any(|n| n.romaji == a)
                || data::US_SURNAMES.iter().any(|n| n.name.eq_ignore_ascii_case(a))
        };
        let base = if let Some((a, b)) = stem.split_once('.') {
            let third = b.split_once('.').map(|(_, t)| t);
            if a.len() == 1 {
                format!("{initial}.{surname}")
            } else if surname_first(a) && !surname_first(b) {
                format!("{surname}.{given}")
            } else if third.is_some() {
                format!("{given}.{surname}.")
            } else {
                format!("{given}.{surname}")
            }
        } else if let Some((_, b)) = stem.split_once('-') {
            if b.len() == 1 {
                format!("{surname}-{initial}")
            } else {
                format!("{given}-{surname}")
            }
        } else if stem.contains('_') {
            format!("{given}_{surname}")
        } else if stem.len() <= 2 {
            given.clone()
        } else if surname_first(stem.get(..stem.len() - 1).unwrap_or_default()) {
            format!("{surname}{initial}")
        } else {
            format!("{given}{surname}")
        };
        for attempt in 0..64u32 {
            let extra = if attempt == 0 { String::new() } else { (attempt + 1).to_string() };
            let written = format!("{base}{suffix}{extra}@{domain}");
            let Ok(canonical) = normalize::canonical(FieldType::Email, &written) else { break };
            if self.free(&canonical) {
                return Ok((written, canonical));
            }
        }
        Err(MakeError::Exhausted { pool: "email.domains" })
    }

    fn pick_domain(&mut self) -> Option<&'a str> {
        let pools: &'a Pools = self.pools;
        if pools.email_domains.is_empty() {
            return None;
        }
        let at = self.rng.gen_range(0..pools.email_domains.len());
        pools.email_domains.get(at).map(String::as_str)
    }

    /// A Luhn-valid number in a pool BIN (of the template's brand if possible), grouped like the template.
    fn card(&mut self, template: &str) -> Result<(String, String), MakeError> {
        let brand = Pan::parse(template).map(|p| p.brand()).ok();
        let pools: &'a Pools = self.pools;
        let same: Vec<&'a String> =
            pools.card_bins.iter().filter(|b| brand.is_some_and(|br| card::brand_of(b) == br)).collect();
        let all: Vec<&'a String> = pools.card_bins.iter().collect();
        let choice = if same.is_empty() { &all } else { &same };
        if choice.is_empty() {
            return Err(MakeError::Exhausted { pool: "card.bins" });
        }
        for _ in 0..256 {
            let Some(bin) = choice.get(self.rng.gen_range(0..choice.len())) else { break };
            let length = if card::brand_of(bin) == card::Brand::Amex { 15 } else { 16 };
            let mut digits: String = bin.to_string();
            while digits.len() + 1 < length {
                digits.push(char::from(b'0' + self.rng.gen_range(0..10u8)));
            }
            let Some(check) = (b'0'..=b'9').find(|&c| {
                let mut candidate = digits.clone().into_bytes();
                candidate.push(c);
                card::luhn_valid(&candidate)
            }) else {
                break;
            };
            digits.push(char::from(check));
            if !self.free(&digits) {
                continue;
            }
            let written = group_like(template, &digits);
            return Ok((written, digits));
        }
        Err(MakeError::Exhausted { pool: "card.bins" })
    }

    /// The template's year with a random month and day, written `YYYY-MM-DD`.
    fn date(&mut self, template: &str) -> String {
        let year = normalize::canonical(FieldType::Date, template)
            .ok()
            .and_then(|c| c.get(..4).map(str::to_owned))
            .unwrap_or_else(|| "1980".to_owned());
        let month = self.rng.gen_range(1..=12u32);
        let day = self.rng.gen_range(1..=28u32);
        format!("{year}-{month:02}-{day:02}")
    }
}

fn set(row: &mut Row, pos: usize, value: String) {
    if let Some(slot) = row.get_mut(pos) {
        *slot = value;
    }
}

fn is_address(f: &Field) -> bool {
    matches!(f.kind, FieldType::JpAddress | FieldType::UsAddress)
}

/// The row's home address, if the schema has one and the row fills it.
fn home_address<'r>(schema: &Schema, row: &'r Row) -> Option<&'r str> {
    schema
        .fields
        .iter()
        .zip(row)
        .find(|(f, _)| f.home && is_address(f))
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// The separator between family and given name in the template: a space, an ideographic space or none.
fn separator(template: &str) -> &'static str {
    if template.contains('\u{3000}') {
        "\u{3000}"
    } else if template.contains(' ') {
        " "
    } else {
        ""
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn ascii_lower(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

fn trailing_number(s: &str) -> Option<u64> {
    let digits = s.bytes().rev().take_while(u8::is_ascii_digit).count();
    s.get(s.len() - digits..).filter(|d| !d.is_empty()).and_then(|d| d.parse().ok())
}

/// `digits` grouped like `template`: in fours (4-6-5 for 15 digits) with the template's separator, or plain.
fn group_like(template: &str, digits: &str) -> String {
    let Some(sep) = template.chars().find(|c| !c.is_ascii_digit()) else {
        return digits.to_owned();
    };
    let breaks: &[usize] = if digits.len() == 15 { &[4, 10] } else { &[4, 8, 12] };
    let mut out = String::with_capacity(digits.len() + 4);
    for (i, c) in digits.chars().enumerate() {
        if breaks.contains(&i) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// Card brand fields, from the canary's card number, in the template's notation style.
fn fill_card_brands(schema: &Schema, template: &Row, row: &mut Row) {
    for (pos, field) in schema.fields.iter().enumerate() {
        if field.kind != FieldType::CardBrand {
            continue;
        }
        let given = template.get(pos).map(|s| s.trim()).unwrap_or_default();
        let source = field.derived_from.as_deref().and_then(|s| schema.position(s));
        let brand = source.and_then(|p| row.get(p)).and_then(|v| Pan::parse(v).ok()).map(|p| p.brand());
        let value = match brand {
            Some(b) if !given.is_empty() => brand_name(b, given),
            _ => String::new(),
        };
        set(row, pos, value);
    }
}

/// How leaked lists write brands (`Visa`, `American Express`), upper case if the template is.
fn brand_name(brand: card::Brand, template: &str) -> String {
    let name = match brand {
        card::Brand::Visa => "Visa",
        card::Brand::Mastercard => "Mastercard",
        card::Brand::Amex => "American Express",
        card::Brand::Jcb => "JCB",
        card::Brand::Diners => "Diners Club",
        card::Brand::Discover => "Discover",
        card::Brand::UnionPay => "UnionPay",
        _ => brand.as_str(),
    };
    if template.chars().any(char::is_lowercase) {
        name.to_owned()
    } else {
        name.to_uppercase()
    }
}

#[cfg(test)]
mod tests;
