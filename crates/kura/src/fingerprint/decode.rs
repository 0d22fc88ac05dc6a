//! Reading a fingerprint back from leaked values and accusing an export.
//!
//! Each leaked value is linked (by the tracer) to a vault record, field and stored value. The decoder
//! rebuilds the value's [`Template`](super::variants::Template), renders every combination of symbols and
//! keeps those that match the leaked text. A channel is *read* when all matching renderings agree on its
//! symbol, and *erased* otherwise: when the leaker's tooling normalised it away (NFKC made digits
//! half-width, white space was collapsed), when the text was retyped or fully normalised (nothing
//! matches), or when the channel is inactive in that value.
//!
//! NFKC and white-space collapsing are detected over the whole leak: if no leaked value changes under
//! NFKC (or under collapsing), every rendering is compared after the same transformation, so a width
//! channel reads as erased instead of as a false "half-width". Erasing is always safe: it only lowers the
//! guilty score, never an innocent's.
//!
//! A position observed twice (the same record leaked twice) counts once; two different readings of one
//! position erase it.

use std::collections::BTreeMap;

use unicode_normalization::UnicodeNormalization;

use super::tardos::{self, Observed};
use super::variants::{self, Channel};
use super::{Code, ExportId, Fingerprinter};
use crate::schema::FieldType;
use crate::RecordId;

/// One leaked value linked to the vault record it copies.
#[derive(Debug, Clone, Copy)]
pub struct Leaked<'a> {
    /// The record the value belongs to.
    pub record: RecordId,
    /// The field's name in its collection.
    pub field: &'a str,
    /// The field's type.
    pub kind: FieldType,
    /// The value as stored in the vault.
    pub stored: &'a str,
    /// The value as it appears in the leak.
    pub text: &'a str,
}

/// What the leaker's tooling did to the whole leak, as far as the decoder can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Transform {
    /// No value changes under NFKC: full-width forms, if there were any, are gone.
    pub nfkc: bool,
    /// No value has runs of white space or an ideographic space.
    pub collapsed: bool,
}

impl Transform {
    fn apply(self, s: &str) -> String {
        let s: String = if self.nfkc { s.nfkc().collect() } else { s.to_owned() };
        if self.collapsed {
            s.split_whitespace().collect::<Vec<_>>().join(" ")
        } else {
            s
        }
    }
}

/// The code positions read from a leak.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    positions: Vec<u64>,
    observed: Vec<Observed>,
    /// The transformation detected on the leak.
    pub transform: Transform,
    /// Leaked values with a template (at least one embedded channel could have been read).
    pub values: usize,
    /// Channel readings that were erased (normalised away, retyped, inactive or conflicting).
    pub erased: usize,
}

impl Evidence {
    /// Reads every embedded channel of every leaked value.
    pub fn read(code: &Code, leak: &[Leaked<'_>]) -> Evidence {
        let transform = detect(leak);
        let mut by_position: BTreeMap<u64, Option<Observed>> = BTreeMap::new();
        let mut values = 0;
        let mut erased = 0;
        for l in leak {
            let Some(t) = variants::template(l.kind, l.stored) else { continue };
            values += 1;
            let symbols = read_symbols(&t, l.text, transform);
            for (&channel, symbol) in t.channels().iter().zip(symbols) {
                if !channel.embedded() {
                    continue;
                }
                let Some(symbol) = symbol else {
                    erased += 1;
                    continue;
                };
                let position = code.position(&l.record, l.field, channel);
                let o = Observed { bias: code.bias(position, channel), symbol };
                by_position
                    .entry(position)
                    .and_modify(|prev| {
                        if prev.is_some_and(|p| p.symbol != symbol) {
                            *prev = None;
                        }
                    })
                    .or_insert(Some(o));
            }
        }
        let (positions, observed) = by_position.into_iter().filter_map(|(p, o)| Some((p, o?))).unzip();
        Evidence { positions, observed, transform, values, erased }
    }

    /// Number of code positions read.
    pub fn len(&self) -> usize {
        self.observed.len()
    }

    /// Whether nothing could be read.
    pub fn is_empty(&self) -> bool {
        self.observed.is_empty()
    }

    /// The observations, in position order.
    pub fn observed(&self) -> &[Observed] {
        &self.observed
    }

    /// The accusation threshold for `candidates` exports and false-accusation probability `epsilon`.
    pub fn threshold(&self, candidates: usize, epsilon: f64) -> f64 {
        tardos::threshold(&self.observed, candidates, epsilon)
    }

    /// The bound on the probability that any of `candidates` innocent exports scores `score` or more.
    pub fn p_value(&self, score: f64, candidates: usize) -> f64 {
        tardos::Bound::new(&self.observed).p_value(score, candidates)
    }

    /// The accusation score of one export.
    pub fn score(&self, export: &Fingerprinter) -> f64 {
        tardos::score(&self.observed, self.positions.iter().zip(&self.observed).map(|(&p, o)| export.bit(p, o.bias)))
    }
}

/// Detects NFKC and white-space collapsing over the whole leak.
pub fn detect(leak: &[Leaked<'_>]) -> Transform {
    let nfkc = leak.iter().all(|l| l.text.nfkc().eq(l.text.chars()));
    let collapsed =
        leak.iter().all(|l| !l.text.contains('\u{3000}') && !l.text.contains("  ") && l.text.trim() == l.text);
    Transform { nfkc, collapsed }
}

/// The symbol of each channel of `t` in `text`, or `None` where it cannot be told.
pub fn read_symbols(t: &variants::Template, text: &str, transform: Transform) -> Vec<Option<bool>> {
    let target = transform.apply(text.trim());
    let mut agreed: Vec<Option<Option<bool>>> = vec![None; t.channels().len()];
    for (symbols, rendered) in variants::all_renderings(t) {
        if transform.apply(&rendered) != target {
            continue;
        }
        for (slot, s) in agreed.iter_mut().zip(symbols) {
            *slot = match *slot {
                None => Some(Some(s)),
                Some(Some(prev)) if prev == s => Some(Some(s)),
                Some(_) => Some(None),
            };
        }
    }
    agreed.into_iter().map(Option::flatten).collect()
}

/// One candidate's score.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    /// The export.
    pub export: ExportId,
    /// Its accusation score.
    pub score: f64,
}

/// Why a leak could not be attributed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// No code position could be read from the leak.
    NoEvidence,
    /// No candidate scored above the threshold.
    BelowThreshold,
}

/// The outcome of a trace.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// `export` scored above the threshold; `ranking` lists every candidate, best first (others above the
    /// threshold are accused too: colluders).
    Accused {
        /// The highest-scoring export.
        export: ExportId,
        /// Its score.
        score: f64,
        /// The threshold it exceeded.
        threshold: f64,
        /// Every candidate, best first.
        ranking: Vec<Ranked>,
    },
    /// Nobody can be accused at the requested confidence.
    NotAttributable {
        /// Why.
        reason: Reason,
        /// Every candidate, best first.
        candidates: Vec<Ranked>,
    },
}

/// Scores every candidate against the leak and accuses the best one if it exceeds the threshold for
/// `candidates.len()` candidates and false-accusation probability `epsilon`.
pub fn trace(code: &Code, leak: &[Leaked<'_>], candidates: &[Fingerprinter], epsilon: f64) -> Verdict {
    let evidence = Evidence::read(code, leak);
    judge(&evidence, candidates, epsilon)
}

/// The verdict for evidence already read.
pub fn judge(evidence: &Evidence, candidates: &[Fingerprinter], epsilon: f64) -> Verdict {
    let mut ranking: Vec<Ranked> =
        candidates.iter().map(|c| Ranked { export: c.export().clone(), score: evidence.score(c) }).collect();
    ranking.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.export.cmp(&b.export)));
    if evidence.is_empty() {
        return Verdict::NotAttributable { reason: Reason::NoEvidence, candidates: ranking };
    }
    let threshold = evidence.threshold(candidates.len(), epsilon);
    match ranking.first() {
        Some(best) if best.score >= threshold => {
            Verdict::Accused { export: best.export.clone(), score: best.score, threshold, ranking }
        }
        _ => Verdict::NotAttributable { reason: Reason::BelowThreshold, candidates: ranking },
    }
}

/// Channels of a leak that survive, per channel, for reports: (channel, read, erased).
pub fn survival(leak: &[Leaked<'_>]) -> Vec<(Channel, usize, usize)> {
    let transform = detect(leak);
    let mut counts: BTreeMap<Channel, (usize, usize)> = BTreeMap::new();
    for l in leak {
        let Some(t) = variants::template(l.kind, l.stored) else { continue };
        for (&c, s) in t.channels().iter().zip(read_symbols(&t, l.text, transform)) {
            let e = counts.entry(c).or_default();
            if s.is_some() {
                e.0 += 1;
            } else {
                e.1 += 1;
            }
        }
    }
    counts.into_iter().map(|(c, (r, e))| (c, r, e)).collect()
}
