//! Notation fingerprints: every export writes each value in its own choice of equivalent notations, so
//! that a leaked copy can be traced back to the export it came from.
//!
//! A value such as `東京都中央区築地2丁目4番1号 東和ビル 5F` can be written many ways that all mean the
//! same thing (`築地２－４－１`, `東京都 中央区…`, `5階`). [`variants`] splits each field type's notations
//! into binary *channels*; [`Fingerprinter::render`] picks every channel's symbol from a collusion-resistant
//! code ([`tardos`]) keyed by the export; [`decode`] reads the symbols back from a leak and scores the
//! candidate exports.
//!
//! ## Channels and priors
//!
//! | field type | channels (symbol 1 first) | prior of symbol 1 |
//! |---|---|---|
//! | `jp_address` | space after prefecture; space before house number | 0.15; 0.15 (documented) |
//! | | `1丁目…` / `1-…`; after `丁目`: `1番1号` / `1-1` | 0.65; 0.615 (generated data) |
//! | | without `丁目`: `721番地3`, `721番3号` / `721-3`; `番地` / `番…号` | 0.53; 0.67 (generated) |
//! | | full-width / ASCII digits and dashes | 0.25 (documented) |
//! | | `ー` / `-` as dash | 0.03 (documented, not embedded) |
//! | | space / none before the building | 0.8 (documented) |
//! | | floor `階` / `F`; room `号室` / bare | 0.45; 0.43 (generated) |
//! | `postal_code` (Japan) | `〒` prefix; hyphen; full-width | 0.2; 0.85; 0.15 (documented) |
//! | `phone` (Japan) | separated / `09012345678`; spaces / hyphens; full-width; `+81` | 0.8; 0.12; 0.15; 0.03 |
//! | `phone` (US) | `+14155550100`; `(415)` | 0.15; 0.12 (generated) |
//! | `organisation` | `(株)` / `株式会社` (also 有限, 合同); `（株）` / `(株)` | 0.25; 0.5 (documented) |
//! | `person_name_ja` | spaced / none; `　` / ` ` | 0.7; 0.5 (documented) |
//! | `kana` | spaced; ideographic space; hiragana / katakana | 0.7; 0.5; 0.2 (documented) |
//! | `person_name_romaji` | upper case; `Family, Given` | 0.25; 0.15 (documented) |
//! | `date` | `/`; unpadded; 和暦 | 0.4; 0.25; 0 (documented) |
//! | `email` | upper-case domain | 0.02 (documented, not embedded) |
//! | `us_address` | `Avenue`; `Ave.`; `#5` / `Apt 5`; upper case; state name; no commas | 0.25; 0.2; 0.19; 0.15; 0.1; 0.12 |
//!
//! "Generated" priors are the frequencies of the forms in [`crate::generate`]'s output (a test recounts
//! them); "documented" priors are fixed where the generated data has one form only.
//!
//! **Natural frequencies.** A channel carries code bits only when its rarer symbol has a prior of at least
//! [`variants::MIN_MINORITY`] (10%): a 2% form cannot carry a 50/50 code without standing out. The biases
//! of embedded channels are drawn from the arcsine density *centred on the prior* ([`tardos`]), so every
//! export's symbol frequencies match the prior. Channels below the floor are written at their prior from
//! a key shared by all exports: they look natural and carry nothing.
//!
//! ## Code parameters
//!
//! Binary symmetric Tardos code; bias cutoff [`tardos::CUTOFF`] = 0.02; positions derived by HMAC-SHA-256
//! from (record id, field name, channel) under the generation key, so the code is as long as the data and
//! nothing per position is stored; an export is its id and a 32-byte secret derived from the generation
//! key. Registry cost per export: its id. Scoring costs one AES-256 block per candidate and position.
//!
//! ## Threshold
//!
//! For each trace, the Chernoff bound with the trace's own biases and symbols (see [`tardos::threshold`]):
//! `Z = min_λ (Σ ln E[exp(λ g_i)] + ln(n/ε)) / λ`, with `n` candidates and `ε` = 1e-6 by default. Any
//! innocent's score has mean 0 and variance `m` (the number of observed positions) whatever the attack,
//! because its codeword is independent of the leak.
//!
//! ## Guarantees and limits
//!
//! - [`Fingerprinter::render`] only returns text whose canonical form equals the stored value's (it falls
//!   back to the stored text if a rendering ever did not; the property test finds no such case).
//! - Characters of names are never changed; only spacing, width, case, separators and legal-form
//!   abbreviations.
//! - NFKC erases the width channels and whitespace collapsing the full/half space choice; the decoder
//!   detects both and treats those channels as erased. Full normalisation of an address or phone (the
//!   canonical form) erases everything in that field.
//! - Values shared by many records (a company's name and address) get their own symbols in every row, as
//!   if each row were typed separately; an exporter that wants one notation per company can pass the
//!   company's record id as `record` for those columns.
//! - With about 10 surviving positions per row, one leaker is identified from 14 rows; two colluders
//!   mixing rows need more (see the tests).

pub mod decode;
pub mod tardos;
pub mod variants;

use hmac::Mac;
use zeroize::Zeroize;

use crate::crypto::{self, SecretKey};
use crate::normalize;
use crate::schema::FieldType;
use crate::RecordId;
use tardos::Prf;

pub use decode::{Leaked, Verdict};
pub use variants::Channel;

/// An export's id, as registered in the export manifest.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExportId(String);

impl ExportId {
    /// Wraps an export id.
    pub fn new(id: impl Into<String>) -> ExportId {
        ExportId(id.into())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ExportId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The code generation shared by all exports: where each (record, field, channel) sits in the code and
/// each position's bias. Derived from the registry's secret key.
#[derive(Debug, Clone)]
pub struct Code {
    positions: Prf,
    biases: Prf,
    common: Prf,
    exports: Prf,
}

impl Code {
    /// The code generation of the registry key `key`.
    ///
    /// # Errors
    /// If key derivation fails (never expected).
    pub fn new(key: &SecretKey) -> Result<Code, crypto::Error> {
        Ok(Code {
            positions: Prf::new(&key.derive(b"kura/fingerprint/v2/positions")?),
            biases: Prf::new(&key.derive(b"kura/fingerprint/v2/biases")?),
            common: Prf::new(&key.derive(b"kura/fingerprint/v2/common")?),
            exports: Prf::new(&key.derive(b"kura/fingerprint/v2/exports")?),
        })
    }

    /// The code position of one channel of one field of one record.
    pub fn position(&self, record: &RecordId, field: &str, channel: Channel) -> u64 {
        let mut mac = self.positions.mac();
        mac.update(&record.0);
        mac.update(&(field.len() as u64).to_be_bytes());
        mac.update(field.as_bytes());
        mac.update(channel.name().as_bytes());
        let out = mac.finalize().into_bytes();
        let mut b = [0u8; 8];
        for (d, s) in b.iter_mut().zip(out.iter()) {
            *d = *s;
        }
        u64::from_be_bytes(b)
    }

    /// The bias of `position` on `channel`.
    pub fn bias(&self, position: u64, channel: Channel) -> f64 {
        tardos::bias(self.biases.uniform(position), channel.prior())
    }

    /// The symbol every export writes on a channel that carries no code bits: drawn at the channel's prior.
    fn common_symbol(&self, position: u64, channel: Channel) -> bool {
        self.common.uniform(position) < channel.prior()
    }

    fn export_prf(&self, export: &ExportId) -> Prf {
        let mut mac = self.exports.mac();
        mac.update(export.as_str().as_bytes());
        let out = mac.finalize().into_bytes();
        let mut b = [0u8; 32];
        for (d, s) in b.iter_mut().zip(out.iter()) {
            *d = *s;
        }
        let prf = Prf::new(&SecretKey::from_bytes(b));
        b.zeroize();
        prf
    }
}

/// Writes the values of one export with that export's notation fingerprint.
#[derive(Debug, Clone)]
pub struct Fingerprinter {
    code: Code,
    export: ExportId,
    secret: Prf,
}

impl Fingerprinter {
    /// The fingerprinter of export `export` under the registry key `key`.
    ///
    /// # Errors
    /// If key derivation fails (never expected).
    pub fn new(key: &SecretKey, export: ExportId) -> Result<Fingerprinter, crypto::Error> {
        Ok(Fingerprinter::with_code(Code::new(key)?, export))
    }

    /// The fingerprinter of `export` in an already derived code generation (cheap: one HMAC).
    pub fn with_code(code: Code, export: ExportId) -> Fingerprinter {
        let secret = code.export_prf(&export);
        Fingerprinter { code, export, secret }
    }

    /// The export this fingerprinter writes.
    pub fn export(&self) -> &ExportId {
        &self.export
    }

    /// The code generation.
    pub fn code(&self) -> &Code {
        &self.code
    }

    /// This export's codeword bit at `position` with bias `bias`.
    pub fn bit(&self, position: u64, bias: f64) -> bool {
        self.secret.uniform(position) < bias
    }

    /// The symbol this export writes on `channel` of (`record`, `field`).
    pub fn symbol(&self, record: &RecordId, field: &str, channel: Channel) -> bool {
        let position = self.code.position(record, field, channel);
        if channel.embedded() {
            self.bit(position, self.code.bias(position, channel))
        } else {
            self.code.common_symbol(position, channel)
        }
    }

    /// `stored` (a value of type `kind` in field `field` of `record`) written in this export's notation.
    /// The result always has the same canonical form as `stored`; a value without equivalent notations,
    /// or one that does not normalise, is returned as stored.
    pub fn render(&self, record: &RecordId, field: &str, kind: FieldType, stored: &str) -> String {
        let Some(t) = variants::template(kind, stored) else {
            return stored.to_owned();
        };
        let symbols: Vec<bool> = t.channels().iter().map(|&c| self.symbol(record, field, c)).collect();
        let out = t.render(&symbols);
        match (normalize::canonical(kind, &out), normalize::canonical(kind, stored)) {
            (Ok(a), Ok(b)) if a == b => out,
            _ => stored.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests;
