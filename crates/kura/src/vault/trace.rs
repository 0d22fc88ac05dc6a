//! Tracing a leak back to the export, and the people, it came from.
//!
//! [`Vault::trace`] takes what leaked, already read into rows ([`crate::trace::parse`]), and:
//!
//! 1. **links** each row to a vault record through the blind indexes: every value is looked up in the
//!    searchable fields of its type; a record named by two values, or by one phone number, e-mail address
//!    or identifier that names only it, is the row's record. A typo or a missing field only costs that
//!    value's vote. Linking decrypts the record's values inside the vault; nothing of it is returned.
//! 2. **finds the exports** that contained each linked record: their manifests in the access log name the
//!    record's commitment, so this is the log's subject index, and every membership is itself logged and
//!    provable. The set-membership guilt model ([`crate::trace::guilt`]) ranks them as a baseline.
//! 3. **checks for canaries**: a leaked contact point that is a canary's names its export outright.
//! 4. **decodes the notation fingerprint** ([`crate::fingerprint::decode`]) of every linked value against
//!    every export that contained the records, with the threshold for the requested false-accusation
//!    probability, and states the bound for each accused export.
//!
//! The verdict is *accused* only on a canary or a fingerprint score above the threshold; otherwise the report
//! says "not attributable", why, and lists the candidates with their membership guilt, never as certain.
//! For the accused export, the report lists every log entry about it (request, approval, downloads,
//! disposal); the caller attaches inclusion proofs against a signed checkpoint ([`Report::steps`]).
//!
//! Tracing is a security officer's action (role `security-officer`, scope `audit:read`), and logged before
//! the report is returned: the entry names every linked record, since tracing looked at them.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::exports::ExportError;
use super::{Access, Loaded, ReadError, Vault};
use crate::audit::{self, Action, Entry, Outcome};
use crate::fingerprint::{self, decode, tardos};
use crate::id::RecordId;
use crate::normalize;
use crate::principal::Role;
use crate::schema::FieldType;
use crate::trace::parse;

/// How sure a trace must be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// The largest acceptable probability of accusing an innocent export (default 1e-6).
    pub epsilon: f64,
    /// The guilt model's probability that a leaked record was obtained some other way (default 0.2).
    pub guess: f64,
}

impl Default for Options {
    fn default() -> Options {
        Options { epsilon: tardos::DEFAULT_EPSILON, guess: 0.2 }
    }
}

/// Why a trace could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TraceError {
    /// Not a security officer, or the token lacks `audit:read` (the refusal is in the log).
    #[error("denied: {0}")]
    Denied(String),
    /// Bad options or input.
    #[error("{0}")]
    Invalid(String),
    /// Reading records, keys or the log failed.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The export registry could not be read.
    #[error(transparent)]
    Export(#[from] ExportError),
}

impl From<super::gate::Denied> for TraceError {
    fn from(d: super::gate::Denied) -> TraceError {
        TraceError::Denied(d.0)
    }
}

impl From<audit::log::AppendError> for TraceError {
    fn from(e: audit::log::AppendError) -> TraceError {
        TraceError::Read(ReadError::from(e))
    }
}

/// What was found for one leaked row.
#[derive(Debug, Clone, Serialize)]
pub struct RowEvidence {
    /// The line of the input where the row starts.
    pub line: usize,
    /// The record the row copies, if it could be linked.
    pub record: Option<String>,
    /// Why it could not be linked.
    pub unlinked: Option<String>,
    /// The fields whose leaked values equal the record's (by canonical form).
    pub matched: Vec<String>,
    /// Leaked values that differ from the record's (typos, outdated values, other people's data).
    pub differing: usize,
    /// The exports whose manifests name the record.
    pub exports: Vec<String>,
    /// A canary this row is, and the export it was placed in.
    pub canary: Option<(String, String)>,
    /// Fingerprint code positions read from this row.
    pub positions: usize,
}

/// One candidate export.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    /// The export.
    pub export: String,
    /// Who requested it (and downloaded it).
    pub requester: String,
    /// Who approved it.
    pub approver: Option<String>,
    /// Linked leaked records it contained.
    pub records: usize,
    /// Its canaries present in the leak.
    pub canaries: usize,
    /// Set-membership guilt (Papadimitriou–Garcia-Molina), a baseline, not proof.
    pub guilt: f64,
    /// Fingerprint accusation score.
    pub score: f64,
    /// The bound on the probability that an innocent export scores this high.
    pub false_accusation: f64,
    /// Whether it is accused.
    pub accused: bool,
}

/// The outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Finding {
    /// One or more exports are accused.
    Accused,
    /// Nobody can be accused with the required confidence.
    NotAttributable,
}

/// One log entry about the accused export, to be proven against a signed checkpoint.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// The entry's index in the log.
    pub seq: u64,
    /// When (ms since the epoch).
    pub time_ms: i64,
    /// Who.
    pub principal: String,
    /// How it ended.
    pub outcome: Outcome,
    /// What happened.
    pub detail: String,
}

/// A trace's report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The collection traced against.
    pub collection: String,
    /// The security officer who traced.
    pub by: String,
    /// When (seconds since the epoch).
    pub at: i64,
    /// The false-accusation probability asked for.
    pub epsilon: f64,
    /// Accused or not attributable.
    pub finding: Finding,
    /// The accused exports, strongest first (several when copies were pooled).
    pub accused: Vec<String>,
    /// What the accusation rests on (`canary`, `fingerprint`), or why nobody is accused.
    pub basis: String,
    /// Every candidate export, strongest first.
    pub candidates: Vec<Candidate>,
    /// Leaked rows.
    pub rows: usize,
    /// Rows linked to records.
    pub linked: usize,
    /// Fingerprint code positions read.
    pub positions: usize,
    /// The accusation threshold (score) for this trace.
    pub threshold: f64,
    /// The leak was NFKC-normalised (width channels erased).
    pub nfkc: bool,
    /// White space was collapsed (spacing channels erased).
    pub collapsed: bool,
    /// Per leaked row.
    pub evidence: Vec<RowEvidence>,
    /// Every log entry about the first accused export.
    pub steps: Vec<Step>,
    /// The log entry recording this trace.
    pub trace_entry: u64,
}

/// How many records a looked-up value may name and still vote (a company name names thousands).
const MAX_MATCHES: usize = 20;

fn export_of_manifest(detail: &str) -> Option<&str> {
    let rest = detail.strip_prefix("export `")?;
    let (id, tail) = rest.split_once('`')?;
    tail.starts_with(": manifest part ").then_some(id)
}

struct Linked {
    record: RecordId,
    matched: Vec<String>,
    /// (field name, type, stored, leaked text)
    values: Vec<(String, FieldType, zeroize::Zeroizing<String>, String)>,
    differing: usize,
}

impl Vault {
    /// Traces a leak (see the module documentation). Logged before the report is returned.
    ///
    /// # Errors
    /// [`TraceError::Denied`] unless `access` is a security officer with `audit:read`; read and log errors.
    pub fn trace(
        &self,
        access: &Access,
        collection: &str,
        rows: &[parse::Row],
        options: Options,
    ) -> Result<Report, TraceError> {
        self.require_role(access, &[Role::SecurityOfficer], "audit:read", Action::Trace, "tracing a leak")?;
        let valid = options.epsilon > 0.0 && options.epsilon < 1.0 && (0.0..1.0).contains(&options.guess);
        if !valid {
            return Err(TraceError::Invalid(
                "the false-accusation probability must be in (0, 1) and the guess probability in [0, 1)".to_owned(),
            ));
        }
        let c = self.collection(collection)?;
        let registry = self.canary_registry()?;

        // 1. Canaries and links, row by row.
        let mut evidence = Vec::with_capacity(rows.len());
        let mut linked: Vec<Option<Linked>> = Vec::with_capacity(rows.len());
        for row in rows {
            let canary = row.values.iter().find_map(|v| match v.kind {
                FieldType::Phone
                | FieldType::Email
                | FieldType::JpAddress
                | FieldType::UsAddress
                | FieldType::CardNumber => {
                    registry.lookup(&v.text).map(|h| (h.canary.as_str().to_owned(), h.export.as_str().to_owned()))
                }
                _ => None,
            });
            let link =
                if canary.is_some() { Err("a canary, not a vault record".to_owned()) } else { self.link(&c, row) };
            let link = match link {
                Ok(l) => Some(l),
                Err(why) => {
                    evidence.push(RowEvidence {
                        line: row.line,
                        record: None,
                        unlinked: Some(why),
                        matched: Vec::new(),
                        differing: 0,
                        exports: Vec::new(),
                        canary,
                        positions: 0,
                    });
                    linked.push(None);
                    continue;
                }
            };
            evidence.push(RowEvidence {
                line: row.line,
                record: link.as_ref().map(|l| l.record.to_string()),
                unlinked: None,
                matched: link.as_ref().map(|l| l.matched.clone()).unwrap_or_default(),
                differing: link.as_ref().map_or(0, |l| l.differing),
                exports: Vec::new(),
                canary: None,
                positions: 0,
            });
            linked.push(link);
        }

        // 2. The exports whose manifests name each linked record.
        let mut holders: BTreeMap<RecordId, BTreeSet<String>> = BTreeMap::new();
        for (l, ev) in linked.iter().zip(evidence.iter_mut()) {
            let Some(l) = l else { continue };
            let set = match holders.get(&l.record) {
                Some(s) => s.clone(),
                None => {
                    let s = self.manifests_naming(&c, l.record)?;
                    holders.insert(l.record, s.clone());
                    s
                }
            };
            ev.exports = set.into_iter().collect();
        }
        let mut candidates: BTreeSet<String> = holders.values().flatten().cloned().collect();
        let mut canary_exports: BTreeMap<String, usize> = BTreeMap::new();
        for ev in &evidence {
            if let Some((_, export)) = &ev.canary {
                *canary_exports.entry(export.clone()).or_default() += 1;
                candidates.insert(export.clone());
            }
        }
        let records: Vec<RecordId> = holders.keys().copied().collect();
        let guilt = crate::trace::guilt::guilt(
            &records,
            |r: &RecordId| holders.get(r).map(|s| s.iter().cloned().collect::<Vec<String>>()).unwrap_or_default(),
            options.guess,
        )
        .map_err(|e| TraceError::Invalid(e.to_string()))?
        .agents;

        // 3. The fingerprint of every linked value, against every candidate.
        let code = fingerprint::Code::new(&self.auth_key().map_err(ExportError::from)?)
            .map_err(|e| TraceError::Invalid(e.to_string()))?;
        let mut leak: Vec<decode::Leaked<'_>> = Vec::new();
        let mut row_of: Vec<usize> = Vec::new();
        for (i, l) in linked.iter().enumerate() {
            let Some(l) = l else { continue };
            for (field, kind, stored, text) in &l.values {
                leak.push(decode::Leaked { record: l.record, field, kind: *kind, stored, text });
                row_of.push(i);
            }
        }
        let read = decode::Evidence::read(&code, &leak);
        for (i, ev) in evidence.iter_mut().enumerate() {
            let mine: Vec<decode::Leaked<'_>> =
                leak.iter().zip(&row_of).filter(|(_, r)| **r == i).map(|(l, _)| *l).collect();
            if !mine.is_empty() {
                ev.positions = decode::Evidence::read(&code, &mine).len();
            }
        }
        let printers: Vec<fingerprint::Fingerprinter> = candidates
            .iter()
            .map(|id| fingerprint::Fingerprinter::with_code(code.clone(), fingerprint::ExportId::new(id.clone())))
            .collect();
        let n = printers.len().max(1);
        let threshold = read.threshold(n, options.epsilon);

        // 4. Candidates and verdict.
        let mut out: Vec<Candidate> = Vec::with_capacity(printers.len());
        for fp in &printers {
            let id = fp.export().as_str().to_owned();
            let score = if read.is_empty() { 0.0 } else { read.score(fp) };
            let (requester, approver) = match self.load_export(&id) {
                Ok((e, _)) => (e.requester, e.decided_by),
                Err(_) => ("(unknown export)".to_owned(), None),
            };
            let canaries = canary_exports.get(&id).copied().unwrap_or(0);
            out.push(Candidate {
                records: holders.values().filter(|s| s.contains(&id)).count(),
                canaries,
                guilt: guilt.iter().find(|g| g.agent == id).map_or(0.0, |g| g.probability),
                false_accusation: if canaries > 0 {
                    0.0
                } else if read.is_empty() {
                    1.0
                } else {
                    read.p_value(score, n)
                },
                accused: canaries > 0 || (!read.is_empty() && score >= threshold),
                score,
                requester,
                approver,
                export: id,
            });
        }
        out.sort_by(|a, b| {
            b.accused
                .cmp(&a.accused)
                .then(b.canaries.cmp(&a.canaries))
                .then(b.score.total_cmp(&a.score))
                .then(b.guilt.total_cmp(&a.guilt))
                .then(a.export.cmp(&b.export))
        });
        let accused: Vec<String> = out.iter().filter(|c| c.accused).map(|c| c.export.clone()).collect();
        let linked_count = linked.iter().filter(|l| l.is_some()).count();
        let basis = if !canary_exports.is_empty() {
            "canary".to_owned()
        } else if !accused.is_empty() {
            "fingerprint".to_owned()
        } else if rows.is_empty() {
            "nothing to trace".to_owned()
        } else if linked_count == 0 {
            "no leaked row could be linked to a vault record".to_owned()
        } else if candidates.is_empty() {
            "no export contained the linked records: they left through reads, not an export, or from outside kura"
                .to_owned()
        } else if read.is_empty() {
            "no fingerprint survived in the leak (fully normalised or retyped)".to_owned()
        } else {
            format!(
                "no export's fingerprint score reached the threshold for a false-accusation probability of {:e}",
                options.epsilon
            )
        };
        let finding = if accused.is_empty() { Finding::NotAttributable } else { Finding::Accused };

        // 5. The accused export's history.
        let steps = match accused.first() {
            Some(id) => self.export_steps(&c, id)?,
            None => Vec::new(),
        };

        // 6. The trace itself, logged before anything is returned.
        let mut entry = self.entry(access, Action::Trace, Some(collection), Outcome::Allow);
        entry.detail = format!(
            "trace: {} rows, {linked_count} linked, {} positions; {}",
            rows.len(),
            read.len(),
            match finding {
                Finding::Accused => format!("accused {} ({basis})", accused.join(", ")),
                Finding::NotAttributable => format!("not attributable: {basis}"),
            }
        );
        let mut entries = Vec::new();
        let subjects: Vec<audit::Commitment> = records.iter().map(|r| c.committer.commit(*r)).collect();
        for chunk in subjects.chunks(audit::MAX_SUBJECTS) {
            let mut part = entry.clone();
            part.subjects = chunk.to_vec();
            entries.push(part);
        }
        if entries.is_empty() {
            entries.push(entry);
        }
        let seqs = self.log(entries)?;
        Ok(Report {
            collection: collection.to_owned(),
            by: access.principal().to_owned(),
            at: crate::store::now(),
            epsilon: options.epsilon,
            finding,
            accused,
            basis,
            candidates: out,
            rows: rows.len(),
            linked: linked_count,
            positions: read.len(),
            threshold,
            nfkc: read.transform.nfkc,
            collapsed: read.transform.collapsed,
            evidence,
            steps,
            trace_entry: seqs.first().copied().unwrap_or_default(),
        })
    }

    /// Links one leaked row to a record (see the module documentation), or says why not.
    fn link(&self, c: &Loaded, row: &parse::Row) -> Result<Linked, String> {
        let mut votes: BTreeMap<RecordId, (BTreeSet<String>, bool)> = BTreeMap::new();
        for v in &row.values {
            for (pos, f) in c.schema.fields.iter().enumerate() {
                if f.kind != v.kind || f.scope || c.index.get(pos).is_none_or(Option::is_none) {
                    continue;
                }
                let Some(ids) = self.lookup_leaked(&c.schema.name, &f.name, v.kind, &v.text) else { continue };
                if ids.is_empty() || ids.len() > MAX_MATCHES {
                    continue;
                }
                let unique =
                    ids.len() == 1 && matches!(f.kind, FieldType::Phone | FieldType::Email | FieldType::Identifier);
                for id in ids {
                    let e = votes.entry(id).or_default();
                    e.0.insert(f.name.clone());
                    e.1 |= unique;
                }
            }
        }
        let mut ranked: Vec<(RecordId, usize, bool)> = votes.into_iter().map(|(id, (f, u))| (id, f.len(), u)).collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)));
        let Some(&(record, n, unique)) = ranked.first() else {
            return Err("no value matched a searchable field of any record".to_owned());
        };
        if ranked.get(1).is_some_and(|second| second.1 == n && second.2 == unique) {
            return Err(format!("ambiguous: several records match {n} values"));
        }
        if n < 2 && !unique {
            return Err("only one value matched, and it names several people or is not identifying".to_owned());
        }
        let r = self.reveal_all(c, record).map_err(|e| format!("the matched record cannot be read: {e}"))?;
        let mut matched = Vec::new();
        let mut values = Vec::new();
        let mut differing = 0;
        for v in &row.values {
            let leaked = normalize::canonical(v.kind, &v.text).or_else(|e| {
                if v.kind == FieldType::Phone && !v.text.trim_start().starts_with('+') {
                    normalize::canonical(v.kind, &format!("+1 {}", v.text))
                } else {
                    Err(e)
                }
            });
            let Ok(leaked) = leaked else {
                differing += 1;
                continue;
            };
            let hit = c.schema.fields.iter().zip(&r.fields).find(|(f, stored)| {
                f.kind == v.kind
                    && stored
                        .value
                        .as_ref()
                        .and_then(|s| normalize::canonical(f.kind, s.expose()).ok())
                        .is_some_and(|s| s.as_str() == leaked.as_str())
            });
            match hit {
                Some((f, stored)) => {
                    if let Some(s) = &stored.value {
                        matched.push(f.name.clone());
                        values.push((
                            f.name.clone(),
                            f.kind,
                            zeroize::Zeroizing::new(s.expose().to_owned()),
                            v.text.clone(),
                        ));
                    }
                }
                None => differing += 1,
            }
        }
        Ok(Linked { record, matched, values, differing })
    }

    /// The records whose `field` holds the leaked `text`: a phone number written without its country code that
    /// is not Japanese is tried as a North American one (`(415) 555-0100`), as the parser notes.
    fn lookup_leaked(&self, collection: &str, field: &str, kind: FieldType, text: &str) -> Option<Vec<RecordId>> {
        match self.lookup_ids(collection, field, text) {
            Ok(ids) => Some(ids),
            Err(_) if kind == FieldType::Phone && !text.trim_start().starts_with('+') => {
                self.lookup_ids(collection, field, &format!("+1 {text}")).ok()
            }
            Err(_) => None,
        }
    }

    /// The exports whose manifests name `record` (from the log's subject index).
    fn manifests_naming(&self, c: &Loaded, record: RecordId) -> Result<BTreeSet<String>, ReadError> {
        let commitment = c.committer.commit(record);
        let seqs = self.log.store().by_subject(&commitment).map_err(|e| ReadError::Audit(e.to_string()))?;
        let entries = self.entries_at(&seqs, &|e| e.subjects.contains(&commitment))?;
        Ok(entries
            .iter()
            .filter(|e| e.action == Action::Export && e.outcome == Outcome::Allow)
            .filter_map(|e| export_of_manifest(&e.detail).map(str::to_owned))
            .collect())
    }

    /// Every log entry about an export: request, decision, downloads and manifests, disposal, alerts.
    fn export_steps(&self, c: &Loaded, export: &str) -> Result<Vec<Step>, ReadError> {
        let tag = c.committer.commit_tag("export", export);
        let seqs = self.log.store().by_subject(&tag).map_err(|e| ReadError::Audit(e.to_string()))?;
        let entries: Vec<Entry> = self.entries_at(&seqs, &|e| e.subjects.contains(&tag))?;
        Ok(entries
            .into_iter()
            .map(|e| Step {
                seq: e.seq,
                time_ms: e.time_ms,
                principal: e.principal,
                outcome: e.outcome,
                detail: e.detail,
            })
            .collect())
    }
}

impl Report {
    /// The report as a Markdown document for people: verdict, candidates, evidence per row and the accused
    /// export's history. Holds no personal values (only record ids, export ids, field names and counts).
    pub fn to_markdown(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(s, "# Leak trace — `{}`\n", self.collection);
        let _ = writeln!(s, "Traced by `{}` at {} (log entry {}).\n", self.by, self.at, self.trace_entry);
        match self.finding {
            Finding::Accused => {
                let _ = writeln!(s, "## Finding: accused — {}\n", self.accused.join(", "));
                let _ = writeln!(s, "Basis: **{}**.", self.basis);
                for c in self.candidates.iter().filter(|c| c.accused) {
                    let _ = writeln!(
                        s,
                        "- export `{}`: requested and downloaded by `{}`, approved by `{}`; {} leaked records in it, {} \
                         canaries, fingerprint score {:.1} (threshold {:.1}), probability that an innocent export \
                         scores this high ≤ {:.1e}",
                        c.export,
                        c.requester,
                        c.approver.as_deref().unwrap_or("-"),
                        c.records,
                        c.canaries,
                        c.score,
                        self.threshold,
                        c.false_accusation
                    );
                }
            }
            Finding::NotAttributable => {
                let _ = writeln!(s, "## Finding: not attributable\n");
                let _ = writeln!(s, "Why: {}.\n", self.basis);
                let _ = writeln!(
                    s,
                    "The candidates below held the leaked records; their set-membership guilt is a baseline, not \
                     proof."
                );
            }
        }
        let _ = writeln!(
            s,
            "\n{} rows, {} linked to records; {} fingerprint positions read (NFKC applied: {}, white space collapsed: \
             {}); required false-accusation probability {:e}.\n",
            self.rows, self.linked, self.positions, self.nfkc, self.collapsed, self.epsilon
        );
        let _ = writeln!(s, "## Candidates\n");
        let _ = writeln!(
            s,
            "| export | requester | approver | records | canaries | guilt | score | p(innocent) | accused |"
        );
        let _ = writeln!(s, "|---|---|---|---:|---:|---:|---:|---:|---|");
        for c in &self.candidates {
            let _ = writeln!(
                s,
                "| `{}` | `{}` | `{}` | {} | {} | {:.3} | {:.1} | {:.1e} | {} |",
                c.export,
                c.requester,
                c.approver.as_deref().unwrap_or("-"),
                c.records,
                c.canaries,
                c.guilt,
                c.score,
                c.false_accusation,
                if c.accused { "yes" } else { "no" }
            );
        }
        let _ = writeln!(s, "\n## Evidence per row\n");
        let _ = writeln!(s, "| line | record | matched fields | differing | exports | canary | positions |");
        let _ = writeln!(s, "|---:|---|---|---:|---|---|---:|");
        for e in &self.evidence {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} |",
                e.line,
                e.record
                    .as_deref()
                    .map_or_else(|| format!("— {}", e.unlinked.as_deref().unwrap_or("")), |r| format!("`{r}`")),
                e.matched.join(", "),
                e.differing,
                e.exports.join(", "),
                e.canary.as_ref().map_or_else(String::new, |(c, x)| format!("`{c}` of `{x}`")),
                e.positions
            );
        }
        if !self.steps.is_empty() {
            let _ = writeln!(s, "\n## History of `{}` in the access log\n", self.accused.first().map_or("", |a| a));
            let _ = writeln!(s, "| entry | time (ms) | principal | outcome | what |");
            let _ = writeln!(s, "|---:|---:|---|---|---|");
            for st in &self.steps {
                let _ = writeln!(
                    s,
                    "| {} | {} | `{}` | {:?} | {} |",
                    st.seq,
                    st.time_ms,
                    st.principal,
                    st.outcome,
                    st.detail.replace('|', "\\|")
                );
            }
            let _ = writeln!(
                s,
                "\nEach entry's inclusion proof against a signed checkpoint is attached to the JSON report; check \
                 them with `kura audit check-proof` and the log's verifier key."
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn manifest_details_name_their_export() {
        assert_eq!(super::export_of_manifest("export `x-1`: manifest part 1 of 2: 3 records"), Some("x-1"));
        assert_eq!(super::export_of_manifest("export `x-1`: download 1 of 3"), None);
        assert_eq!(super::export_of_manifest("manifest part 1"), None);
    }
}
