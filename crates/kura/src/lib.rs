//! kura — a personal-data vault.
//!
//! Personal data is stored encrypted field by field under per-person keys, found through keyed blind indexes
//! over normalised values, and read only through the [`vault::Vault`] gateway. The crate is laid out by domain:
//!
//! - [`schema`] — collections and typed fields;
//! - [`normalize`] — canonical forms of Japanese and US personal data;
//! - [`crypto`], [`card`], [`keys`] — field encryption, blind indexes, FF1 card tokens, the key hierarchy;
//! - [`store`] — the storage trait with SQLite and PostgreSQL backends (bytes only, no meaning);
//! - [`vault`] — the one handle every face calls;
//! - [`audit`] — the tamper-evident access log every read passes through (RFC 6962 Merkle tree, signed
//!   checkpoints, witnesses, tlog-tiles);
//! - [`import`] — CSV import (UTF-8 and Shift_JIS), all or nothing;
//! - [`generate`] — deterministic synthetic data;
//! - [`mask`] — masked forms per field type (card BIN + last four, family name only, address to city level…);
//! - [`auth`] — password hashes, TOTP, API tokens, lockout (authentication primitives, wired up with principals
//!   next).
#![forbid(unsafe_code)]

pub mod alerts;
pub mod audit;
pub mod auth;
pub mod canary;
pub mod card;
pub mod crypto;
pub mod desk;
pub mod fingerprint;
pub mod generate;
pub mod id;
pub mod import;
pub mod incident;
pub mod keys;
pub mod mask;
pub mod normalize;
pub mod policy;
pub mod principal;
pub mod render;
pub mod scan;
pub mod schema;
pub mod store;
pub mod trace;
pub mod vault;

pub use id::{CollectionId, RecordId};
pub use vault::{Access, Vault};
