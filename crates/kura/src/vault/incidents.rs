//! Incident response in the vault: incidents stored sealed, their exact exposure computed from the access log,
//! the reporting duties and deadlines, the report drafts with their amendment history, and the notice list
//! sent through the governed-export path.
//!
//! # Scope and exposure
//!
//! An incident's [`Scope`] names a collection and any of: a time window, principals, exports, and (for a
//! stolen database) the files of the copy. The exposure is computed from the log, entry by entry:
//!
//! - **did view**: every allowed read, search that returned records, and export manifest (an export's rows went
//!   into a file that was handed out) that is in scope. A manifest of an export in scope counts whenever it was
//!   written; any other entry counts when it falls in the window (if one is given) and is by a principal in scope
//!   — with neither principals nor exports given, by anyone. The incident's own work (its notice list, under the
//!   incident's id as purpose) is left out. Each entry's record commitments are matched against the collection's
//!   records; its fields are the fields it disclosed, in the clear unless its detail says they went out masked
//!   (a field masked for some records of one read and plain for others counts as plain for all of them).
//! - **could have viewed**: the real records the principals in scope (for exports: their requesters) are allowed
//!   to see at least one field of, for support or shipping work, as they were before any suspension. It is
//!   decided with the principals' current assignments and the policy in force now, not as they were during the
//!   window: after a remedy that narrows someone's assignments, the figure shrinks with it.
//! - **stolen database**: with the keys kept apart, the copy's files are scanned for every stored value in its
//!   given and canonical forms (`kura::scan`); a record's field is readable without the keys when its value is
//!   found and no other record holds the same value (a department's name shared by many ties a hit to nobody;
//!   fields classified `internal`, such as the company's name, make nobody exposed on their own). With
//!   the keys taken along, every field of every record is readable. Every real record is in the
//!   copy, so "could have viewed" is all of them and "did view" those with a readable field.
//!
//! Honey records are synthetic: they are counted apart and never as data subjects. So are the canaries of the
//! exports in scope (they are in the files, not in the vault).
//!
//! # Who
//!
//! Security officers open, change and analyse incidents (token scope `audit:read`); auditors read them. Every
//! step is logged; the log names the incident, never a note's text or a statement.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::exports::{Export, ExportError, ExportSpec};
use super::{Access, Loaded, ReadError, Vault};
use crate::audit::{Action, Entry, Outcome};
use crate::id::RecordId;
use crate::incident::{duties, Event, Exposure, Facts, FieldExposure, Scenario, Source, Statements};
use crate::policy::Visibility;
use crate::principal::Role;
use crate::render::document::Document;
use crate::schema::{Classification, FieldType};
use crate::store;

const KIND: &str = "incident";
/// The purpose kind of the notice list's export (the default policy lets security officers export contact
/// fields under an `INC-*` purpose of this kind).
pub const NOTICE_KIND: &str = "incident-notice";
/// The most manual notes one incident keeps.
const MAX_NOTES: usize = 1_000;
/// The longest note or statement, in characters.
const MAX_TEXT: usize = 2_000;

/// Why an incident operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IncidentError {
    /// Not allowed (the refusal is in the log).
    #[error("denied: {0}")]
    Denied(String),
    /// No such incident.
    #[error("no such incident")]
    Unknown,
    /// Bad input.
    #[error("{0}")]
    Invalid(String),
    /// Reading records or the log.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// Storage, documents and exports.
    #[error(transparent)]
    Store(#[from] ExportError),
    /// The copy's files could not be scanned.
    #[error("the copy cannot be scanned: {0}")]
    Scan(String),
}

impl From<super::gate::Denied> for IncidentError {
    fn from(d: super::gate::Denied) -> IncidentError {
        IncidentError::Denied(d.0)
    }
}

impl From<store::Error> for IncidentError {
    fn from(e: store::Error) -> IncidentError {
        IncidentError::Store(e.into())
    }
}

impl From<crate::audit::log::AppendError> for IncidentError {
    fn from(e: crate::audit::log::AppendError) -> IncidentError {
        IncidentError::Read(e.into())
    }
}

impl From<super::AccessError> for IncidentError {
    fn from(e: super::AccessError) -> IncidentError {
        IncidentError::Invalid(e.to_string())
    }
}

/// What an incident covers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// The collections whose people are concerned (at least one; a stolen database usually holds all).
    pub collections: BTreeSet<String>,
    /// The time window (seconds since the epoch, both ends included), if any.
    pub window: Option<(i64, i64)>,
    /// The principals whose accesses are in scope.
    pub principals: BTreeSet<String>,
    /// The exports whose files are in scope (e.g. from a trace).
    pub exports: BTreeSet<String>,
    /// For a stolen database: the files of the copy (database, WAL, backups).
    pub copy: Vec<PathBuf>,
}

/// Where an incident stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Being investigated.
    Open,
    /// A report has gone out; amendments may follow.
    Reported,
    /// The final report is out and the incident is closed.
    Closed,
}

impl Status {
    /// The name used in files and the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Reported => "reported",
            Status::Closed => "closed",
        }
    }
}

/// One version of the report drafts: the amendment history from the first report to the final one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportVersion {
    /// 1 for the first (速報), counting up.
    pub version: u32,
    /// When it was drafted.
    pub at: i64,
    /// By whom.
    pub by: String,
    /// Whether it is the final report (確報).
    pub is_final: bool,
    /// SHA-256 of the facts it was drafted from (hex), so a later version shows whether they changed.
    pub digest: String,
    /// The number of data subjects it reported.
    pub subjects: u64,
    /// The duties it found required (step names).
    pub required: Vec<String>,
    /// The facts it was drafted from, so that the version can be rendered again exactly as it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facts: Option<Facts>,
}

/// One change of an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// When.
    pub at: i64,
    /// Who.
    pub by: String,
    /// What, without the text of notes or statements.
    pub what: String,
}

/// An incident as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    /// Id, e.g. `INC-20261128-3F9A`.
    pub id: String,
    /// A short title (no personal data).
    pub title: String,
    /// Where it stands.
    pub status: Status,
    /// When it was detected (seconds since the epoch).
    pub detected_at: i64,
    /// When the organisation learned of it: the start of every deadline.
    pub learned_at: i64,
    /// The kind of incident.
    pub scenario: Scenario,
    /// Whether it was done with an unauthorised purpose (不正の目的).
    pub unauthorised_purpose: bool,
    /// What it covers.
    pub scope: Scope,
    /// What people have stated (the items kura cannot know).
    pub statements: Statements,
    /// EU data subjects as stated by a person; `None`: counted from phone numbers' country codes.
    pub eu_subjects: Option<u64>,
    /// Manual timeline entries.
    pub notes: Vec<Event>,
    /// The report versions drafted so far.
    pub reports: Vec<ReportVersion>,
    /// Every change.
    pub history: Vec<Change>,
    /// The deadline alerts already raised (`<step>:soon`, `<step>:overdue`).
    pub alerted: BTreeSet<String>,
    /// The facts as last computed (by an exposure, a draft or the deadline check): what the deadline check
    /// goes by between analyses.
    #[serde(default)]
    pub snapshot: Option<Facts>,
    /// Who opened it.
    pub opened_by: String,
    /// When.
    pub opened_at: i64,
}

/// A new incident.
#[derive(Debug, Clone)]
pub struct NewIncident {
    /// A short title (no personal data).
    pub title: String,
    /// When it was detected.
    pub detected_at: i64,
    /// When the organisation learned of it.
    pub learned_at: i64,
    /// The kind of incident.
    pub scenario: Scenario,
    /// Whether it was done with an unauthorised purpose.
    pub unauthorised_purpose: bool,
    /// What it covers.
    pub scope: Scope,
}

/// A change to an incident's facts.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Update {
    /// Replace the statements.
    pub statements: Option<Statements>,
    /// Set whether it was done with an unauthorised purpose.
    pub unauthorised_purpose: Option<bool>,
    /// Set (or, with `Some(None)`, clear) the stated number of EU data subjects.
    pub eu_subjects: Option<Option<u64>>,
    /// Move it.
    pub status: Option<Status>,
}

/// The exposure with the subjects behind it.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The counts, as the duties and the drafts take them.
    pub exposure: Exposure,
    /// The data subjects whose data was read or exported in scope (real records only), sorted.
    pub subjects: Vec<RecordId>,
    /// The records the principals in scope could have viewed (real records only), sorted.
    pub could_have_viewed: Vec<RecordId>,
    /// Per field: the subjects it was exposed for.
    pub by_field: BTreeMap<String, BTreeSet<RecordId>>,
    /// The timeline from the log, oldest first.
    pub timeline: Vec<Event>,
    /// The honey records among the exposed.
    pub honey: Vec<RecordId>,
    /// The exports in scope and those whose files the entries in scope made.
    pub exports: BTreeSet<String>,
    /// The data subjects per collection.
    pub by_collection: BTreeMap<String, Vec<RecordId>>,
}

/// Report drafts of one version.
#[derive(Debug, Clone)]
pub struct Drafts {
    /// The facts they were drafted from.
    pub facts: Facts,
    /// The duties.
    pub assessment: duties::Assessment,
    /// The documents by file stem (`ppc-report`, `gdpr-notification`, `notice-to-individuals`,
    /// `public-statement`).
    pub documents: Vec<(&'static str, Document)>,
}

/// A stated text: bounded, no control characters but line breaks.
fn check_text(what: &str, text: &str) -> Result<(), IncidentError> {
    if text.chars().count() > MAX_TEXT {
        return Err(IncidentError::Invalid(format!("{what} is longer than {MAX_TEXT} characters")));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(IncidentError::Invalid(format!("{what} holds control characters")));
    }
    Ok(())
}

fn check_statements(s: &Statements) -> Result<(), IncidentError> {
    let items = [
        ("the organisation", &s.organisation),
        ("the contact", &s.contact),
        ("the cause", &s.cause),
        ("the secondary damage", &s.secondary_damage),
        ("the response to individuals", &s.response_to_individuals),
        ("the publication", &s.publication),
        ("the prevention", &s.prevention),
        ("the other items", &s.other),
        ("the inquiry desk", &s.inquiry_desk),
    ];
    for (what, text) in items {
        if let Some(t) = text {
            check_text(what, t)?;
        }
    }
    Ok(())
}

/// Which kind of log entry discloses data, and whether it counts.
fn discloses(e: &Entry) -> bool {
    if e.outcome != Outcome::Allow || e.fields.is_empty() {
        return false;
    }
    match e.action {
        Action::Read => true,
        Action::Search => e.detail.contains("records returned"),
        Action::Export => e.detail.contains(": manifest part "),
        _ => false,
    }
}

/// The export an export entry is about (`export `<id>`: …`).
fn export_of(e: &Entry) -> Option<&str> {
    e.detail.strip_prefix("export `").and_then(|rest| rest.split_once('`')).map(|(id, _)| id)
}

/// Calling codes of the EU member states (E.164), for counting EU data subjects by phone number.
const EU_CODES: [&str; 27] = [
    "+43", "+32", "+359", "+385", "+357", "+420", "+45", "+372", "+358", "+33", "+49", "+30", "+36", "+353", "+39",
    "+371", "+370", "+352", "+356", "+31", "+48", "+351", "+40", "+421", "+386", "+34", "+46",
];

fn is_eu_phone(canonical: &str) -> bool {
    EU_CODES.iter().any(|code| canonical.starts_with(code))
}

fn new_id(now: i64) -> String {
    let (y, m, d) = crate::alerts::rules::civil((now + 9 * 3_600).div_euclid(86_400));
    format!("INC-{y:04}{m:02}{d:02}-{:04X}", rand::random::<u16>())
}

fn digest(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

impl Vault {
    fn incident_entry(&self, access: &Access, i: &Incident, outcome: Outcome, detail: String) -> Entry {
        let first = i.scope.collections.iter().next().map(String::as_str);
        let mut e = self.entry(access, Action::Incident, first, outcome);
        for name in &i.scope.collections {
            if let Ok(c) = self.collection(name) {
                e.subjects.push(c.committer.commit_tag("incident", &i.id));
            }
        }
        e.detail = format!("incident {}: {detail}", i.id);
        e
    }

    fn load_incident(&self, id: &str) -> Result<(Incident, Vec<u8>), IncidentError> {
        let (json, sealed) = self.open_document(KIND, id)?.ok_or(IncidentError::Unknown)?;
        let i: Incident =
            serde_json::from_slice(&json).map_err(|_| IncidentError::Invalid(format!("incident `{id}` is damaged")))?;
        if i.id != id {
            return Err(IncidentError::Invalid(format!("incident `{id}` is damaged")));
        }
        Ok((i, sealed))
    }

    /// Stores a changed incident if nobody changed it meanwhile, logging the change first.
    fn save_incident(&self, i: &Incident, previous: &[u8], entry: Entry) -> Result<(), IncidentError> {
        let json = serde_json::to_vec(i).map_err(|e| IncidentError::Invalid(e.to_string()))?;
        let sealed = self.seal_document(KIND, &i.id, &json)?;
        self.log(vec![entry])?;
        match self.store.put_document(KIND, &i.id, &sealed, Some(previous)) {
            Ok(()) => Ok(()),
            Err(store::Error::Conflict) => {
                Err(IncidentError::Invalid("the incident was changed meanwhile; try again".to_owned()))
            }
            Err(e) => Err(e.into()),
        }
    }

    fn require_officer(&self, access: &Access, what: &str) -> Result<(), IncidentError> {
        Ok(self.require_role(access, &[Role::SecurityOfficer], "audit:read", Action::Incident, what)?)
    }

    /// Opens an incident (security officers). Logged.
    pub fn open_incident(&self, access: &Access, new: NewIncident) -> Result<Incident, IncidentError> {
        self.require_officer(access, "opening an incident")?;
        check_text("the title", &new.title)?;
        if new.title.trim().is_empty() || new.title.chars().count() > 200 {
            return Err(IncidentError::Invalid("the title must have 1 to 200 characters".to_owned()));
        }
        if new.detected_at <= 0 || new.learned_at <= 0 {
            return Err(IncidentError::Invalid("the detection and learning times must be set".to_owned()));
        }
        if new.learned_at < new.detected_at {
            return Err(IncidentError::Invalid(
                "the organisation cannot learn of an incident before it is detected".to_owned(),
            ));
        }
        if let Some((from, to)) = new.scope.window {
            if to < from {
                return Err(IncidentError::Invalid("the window ends before it starts".to_owned()));
            }
        }
        if new.scope.collections.is_empty() {
            return Err(IncidentError::Invalid("an incident concerns at least one collection".to_owned()));
        }
        for name in &new.scope.collections {
            self.collection(name)?;
        }
        for p in &new.scope.principals {
            if !super::reference_ok(p) || self.principal(p).is_err() {
                return Err(IncidentError::Invalid(format!("no principal `{p}` to put in scope")));
            }
        }
        for x in &new.scope.exports {
            self.load_export(x).map_err(|_| IncidentError::Invalid(format!("no export `{x}`")))?;
        }
        let is_stolen = matches!(new.scenario, Scenario::StolenDatabase { .. });
        if is_stolen && new.scope.copy.is_empty() {
            return Err(IncidentError::Invalid("a stolen database needs the files of the copy".to_owned()));
        }
        let now = store::now();
        for _ in 0..8 {
            let id = new_id(now);
            let i = Incident {
                id: id.clone(),
                title: new.title.trim().to_owned(),
                status: Status::Open,
                detected_at: new.detected_at,
                learned_at: new.learned_at,
                scenario: new.scenario,
                unauthorised_purpose: new.unauthorised_purpose,
                scope: new.scope.clone(),
                statements: Statements::default(),
                eu_subjects: None,
                notes: Vec::new(),
                reports: Vec::new(),
                history: vec![Change { at: now, by: access.principal().to_owned(), what: "opened".to_owned() }],
                alerted: BTreeSet::new(),
                snapshot: None,
                opened_by: access.principal().to_owned(),
                opened_at: now,
            };
            let json = serde_json::to_vec(&i).map_err(|e| IncidentError::Invalid(e.to_string()))?;
            let sealed = self.seal_document(KIND, &id, &json)?;
            let entry = self.incident_entry(
                access,
                &i,
                Outcome::Allow,
                format!("opened ({} principals, {} exports in scope)", i.scope.principals.len(), i.scope.exports.len()),
            );
            match self.store.put_document(KIND, &id, &sealed, None) {
                Ok(()) => {
                    self.log(vec![entry])?;
                    return Ok(i);
                }
                Err(store::Error::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(IncidentError::Invalid("no free incident number; try again".to_owned()))
    }

    /// An incident (security officers and auditors).
    pub fn incident(&self, access: &Access, id: &str) -> Result<Incident, IncidentError> {
        self.require_role(
            access,
            &[Role::SecurityOfficer, Role::Auditor],
            "audit:read",
            Action::Incident,
            "reading incidents",
        )?;
        let (i, _) = self.load_incident(id)?;
        let entry = self.incident_entry(access, &i, Outcome::Allow, "read".to_owned());
        self.log(vec![entry])?;
        Ok(i)
    }

    /// Every incident, oldest first (security officers and auditors).
    pub fn incidents(&self, access: &Access) -> Result<Vec<Incident>, IncidentError> {
        self.require_role(
            access,
            &[Role::SecurityOfficer, Role::Auditor],
            "audit:read",
            Action::Incident,
            "reading incidents",
        )?;
        let mut out = Vec::new();
        for id in self.store.document_ids(KIND)? {
            out.push(self.load_incident(&id)?.0);
        }
        out.sort_by(|a, b| (a.opened_at, &a.id).cmp(&(b.opened_at, &b.id)));
        let mut e = self.entry(access, Action::Incident, None, Outcome::Allow);
        e.detail = format!("incidents listed ({})", out.len());
        self.log(vec![e])?;
        Ok(out)
    }

    /// Changes an incident's facts (security officers). Logged, without the statements' text.
    pub fn update_incident(&self, access: &Access, id: &str, update: Update) -> Result<Incident, IncidentError> {
        self.require_officer(access, "changing an incident")?;
        if let Some(s) = &update.statements {
            check_statements(s)?;
        }
        let (mut i, sealed) = self.load_incident(id)?;
        let mut what = Vec::new();
        if let Some(s) = update.statements {
            i.statements = s;
            what.push("statements replaced".to_owned());
        }
        if update.unauthorised_purpose.is_some() || update.eu_subjects.is_some() {
            // The deadline check re-computes the facts on its next round.
            i.snapshot = None;
        }
        if let Some(u) = update.unauthorised_purpose {
            i.unauthorised_purpose = u;
            what.push(format!("unauthorised purpose: {u}"));
        }
        if let Some(eu) = update.eu_subjects {
            i.eu_subjects = eu;
            what.push(format!("EU subjects stated: {}", eu.map_or("counted".to_owned(), |n| n.to_string())));
        }
        if let Some(s) = update.status {
            if i.status == Status::Closed && s != Status::Closed {
                what.push("reopened".to_owned());
            }
            i.status = s;
            what.push(format!("status {}", s.as_str()));
        }
        if what.is_empty() {
            return Err(IncidentError::Invalid("nothing to change".to_owned()));
        }
        let what = what.join("; ");
        i.history.push(Change { at: store::now(), by: access.principal().to_owned(), what: what.clone() });
        let entry = self.incident_entry(access, &i, Outcome::Allow, what);
        self.save_incident(&i, &sealed, entry)?;
        Ok(i)
    }

    /// Adds a manual timeline entry (security officers). The text is kept sealed; the log says a note was
    /// added.
    pub fn note_incident(&self, access: &Access, id: &str, at: i64, text: &str) -> Result<Incident, IncidentError> {
        self.require_officer(access, "adding to an incident's timeline")?;
        check_text("the note", text)?;
        if text.trim().is_empty() {
            return Err(IncidentError::Invalid("the note is empty".to_owned()));
        }
        let (mut i, sealed) = self.load_incident(id)?;
        if i.notes.len() >= MAX_NOTES {
            return Err(IncidentError::Invalid(format!("an incident keeps at most {MAX_NOTES} notes")));
        }
        i.notes.push(Event { at, source: Source::Manual, text: text.trim().to_owned() });
        i.notes.sort_by_key(|e| e.at);
        i.history.push(Change { at: store::now(), by: access.principal().to_owned(), what: "note added".to_owned() });
        let entry = self.incident_entry(access, &i, Outcome::Allow, "timeline note added".to_owned());
        self.save_incident(&i, &sealed, entry)?;
        Ok(i)
    }

    /// Computes an incident's exposure from the log (security officers; see the module docs). Logged with the
    /// counts, before the analysis is returned.
    pub fn incident_exposure(&self, access: &Access, id: &str) -> Result<Analysis, IncidentError> {
        self.require_officer(access, "computing an incident's exposure")?;
        let (mut i, sealed) = self.load_incident(id)?;
        let analysis = self.analyse(&i)?;
        i.snapshot = Some(self.facts_of(&i, &analysis));
        let x = &analysis.exposure;
        let entry = self.incident_entry(
            access,
            &i,
            Outcome::Allow,
            format!(
                "exposure computed: {} subjects did view, {} could have viewed, {} fields, {} honey, {} canaries",
                x.subjects,
                x.could_have_viewed,
                x.fields.len(),
                x.honey,
                x.canaries
            ),
        );
        self.save_incident(&i, &sealed, entry)?;
        Ok(analysis)
    }

    /// The analysis of every collection in scope, merged. With more than one collection, field names are
    /// qualified by their collection (`consumer-wireless.card_number`).
    fn analyse(&self, i: &Incident) -> Result<Analysis, IncidentError> {
        let qualify = i.scope.collections.len() > 1;
        let mut parts = Vec::new();
        for name in &i.scope.collections {
            parts.push((name.clone(), self.analyse_in(i, name, qualify)?));
        }
        let mut merged = Analysis {
            exposure: Exposure::default(),
            subjects: Vec::new(),
            could_have_viewed: Vec::new(),
            by_field: BTreeMap::new(),
            timeline: Vec::new(),
            honey: Vec::new(),
            exports: BTreeSet::new(),
            by_collection: BTreeMap::new(),
        };
        let mut by_company: BTreeMap<String, u64> = BTreeMap::new();
        let mut by_class: BTreeMap<u8, (Classification, u64)> = BTreeMap::new();
        let mut seen_events: HashSet<(i64, String)> = HashSet::new();
        let mut eu = 0u64;
        for (name, a) in parts {
            let x = a.exposure;
            merged.exposure.subjects += x.subjects;
            merged.exposure.could_have_viewed += x.could_have_viewed;
            for (company, n) in x.by_company {
                *by_company.entry(company).or_default() += n;
            }
            for (class, n) in x.by_class {
                by_class.entry(class_rank(class)).or_insert((class, 0)).1 += n;
            }
            merged.exposure.fields.extend(x.fields);
            eu += x.eu_subjects;
            merged.exposure.readable_without_keys.extend(x.readable_without_keys);
            merged.exposure.honey += x.honey;
            merged.exposure.canaries += x.canaries;
            merged.by_collection.insert(name, a.subjects.clone());
            merged.subjects.extend(a.subjects);
            merged.could_have_viewed.extend(a.could_have_viewed);
            merged.by_field.extend(a.by_field);
            // Events not tied to one collection (alerts, an export's history) come once.
            merged.timeline.extend(a.timeline.into_iter().filter(|e| seen_events.insert((e.at, e.text.clone()))));
            merged.honey.extend(a.honey);
            merged.exports.extend(a.exports);
        }
        let mut by_company: Vec<(String, u64)> = by_company.into_iter().collect();
        by_company.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        merged.exposure.by_company = by_company;
        merged.exposure.by_class = by_class.into_values().collect();
        merged.exposure.eu_subjects = i.eu_subjects.unwrap_or(eu);
        if matches!(i.scenario, Scenario::StolenDatabase { .. }) {
            // Every canary the organisation registered is in the copy, whichever collection it imitates.
            merged.exposure.canaries = self.canary_registry().map(|r| r.len() as u64).unwrap_or(0);
        }
        merged.subjects.sort();
        merged.could_have_viewed.sort();
        merged.timeline.sort_by_key(|e| e.at);
        Ok(merged)
    }

    fn analyse_in(&self, i: &Incident, collection: &str, qualify: bool) -> Result<Analysis, IncidentError> {
        let c = self.collection(collection)?;
        let label = |name: &str| if qualify { format!("{collection}.{name}") } else { name.to_owned() };
        let ids = self.store.record_ids(c.id, usize::MAX)?;
        let honey_ids = self.honey_records(collection)?;
        let by_commitment: HashMap<String, RecordId> = ids.iter().map(|r| (c.committer.commit(*r), *r)).collect();
        let real: Vec<RecordId> = ids.iter().copied().filter(|r| !honey_ids.contains(r)).collect();
        let mut timeline = Vec::new();
        let mut exposed: BTreeMap<RecordId, BTreeMap<String, bool>> = BTreeMap::new();
        let mut exports_seen: BTreeSet<String> = BTreeSet::new();
        let mut principals_seen: BTreeSet<String> = BTreeSet::new();

        let (could, stolen) = match i.scenario {
            Scenario::StolenDatabase { keys_separate } => {
                // Keys taken with the copy: everything in it is readable. Kept apart: what the scan finds.
                let readable: Vec<(RecordId, String)> = if keys_separate {
                    self.readable_in_copy(&c, &i.scope.copy)?
                } else {
                    ids.iter().flat_map(|r| c.schema.fields.iter().map(move |f| (*r, f.name.clone()))).collect()
                };
                let mut fields: BTreeSet<String> = BTreeSet::new();
                // A company name or an office address found in the copy is not a person's data on its own
                // (it is shared by everyone at that company): only personal fields make someone exposed.
                let personal =
                    |f: &str| c.schema.field(f).is_some_and(|d| d.classification != Classification::Internal);
                for (r, f) in readable.into_iter().filter(|(_, f)| personal(f)) {
                    fields.insert(label(&f));
                    exposed.entry(r).or_default().insert(f, true);
                }
                timeline.push(Event {
                    at: i.detected_at,
                    source: Source::Log,
                    text: if keys_separate {
                        format!(
                            "copy of the database scanned ({} files): {} fields of `{collection}` readable without \
                             the keys",
                            i.scope.copy.len(),
                            fields.len()
                        )
                    } else {
                        format!("the keys were taken with the copy: every field of every record of `{collection}` is readable")
                    },
                });
                (real.clone(), Some(fields.into_iter().collect::<Vec<_>>()))
            }
            _ => {
                self.scan_log(
                    i,
                    &c,
                    &by_commitment,
                    &mut exposed,
                    &mut timeline,
                    &mut exports_seen,
                    &mut principals_seen,
                )?;
                let mut who: BTreeSet<String> = i.scope.principals.clone();
                for x in i.scope.exports.iter().chain(&exports_seen) {
                    if let Ok((e, _)) = self.load_export(x) {
                        who.insert(e.requester);
                    }
                }
                if who.is_empty() {
                    who = principals_seen.clone();
                }
                (self.could_have_viewed(&c, &real, &who)?, None)
            }
        };

        let mut honey = Vec::new();
        let mut by_field: BTreeMap<String, BTreeSet<RecordId>> = BTreeMap::new();
        let mut plain: BTreeMap<String, u64> = BTreeMap::new();
        let mut subjects = Vec::new();
        for (r, fields) in &exposed {
            if honey_ids.contains(r) {
                honey.push(*r);
                continue;
            }
            subjects.push(*r);
            for (f, clear) in fields {
                by_field.entry(label(f)).or_default().insert(*r);
                if *clear {
                    *plain.entry(label(f)).or_default() += 1;
                }
            }
        }
        // Companies and EU phone numbers of the exposed, decrypted for counting only.
        let scope_pos = c.schema.fields.iter().position(|f| f.scope);
        let phone_pos: Vec<usize> =
            c.schema.fields.iter().enumerate().filter(|(_, f)| f.kind == FieldType::Phone).map(|(p, _)| p).collect();
        let mut wanted = vec![Visibility::Hidden; c.schema.fields.len()];
        for p in scope_pos.iter().chain(&phone_pos) {
            if let Some(w) = wanted.get_mut(*p) {
                *w = Visibility::Plain;
            }
        }
        let mut by_company: BTreeMap<String, u64> = BTreeMap::new();
        let mut eu = 0u64;
        for chunk in subjects.chunks(500) {
            for rec in self.reveal_many_with(&c, chunk, &wanted)? {
                let company = scope_pos
                    .and_then(|p| rec.fields.get(p))
                    .and_then(|f| f.value.as_ref())
                    .map(|v| v.expose().to_owned())
                    .unwrap_or_else(|| "(none)".to_owned());
                *by_company.entry(company).or_default() += 1;
                let eu_phone = phone_pos.iter().any(|p| {
                    rec.fields.get(*p).and_then(|f| f.value.as_ref()).is_some_and(|v| {
                        crate::normalize::canonical(FieldType::Phone, v.expose()).is_ok_and(|c| is_eu_phone(c.as_str()))
                    })
                });
                if eu_phone {
                    eu += 1;
                }
            }
        }
        let mut by_company: Vec<(String, u64)> = by_company.into_iter().collect();
        by_company.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut by_class: BTreeMap<u8, (Classification, BTreeSet<RecordId>)> = BTreeMap::new();
        let mut fields = Vec::new();
        for f in &c.schema.fields {
            let name = label(&f.name);
            let Some(set) = by_field.get(&name) else { continue };
            let class = by_class.entry(class_rank(f.classification)).or_insert((f.classification, BTreeSet::new()));
            class.1.extend(set.iter().copied());
            fields.push(FieldExposure {
                name: name.clone(),
                kind: Some(f.kind),
                classification: f.classification,
                subjects: set.len() as u64,
                plain: plain.get(&name).copied().unwrap_or(0),
            });
        }
        // The canaries of this collection's exports in scope (a stolen copy's are counted once, when merged).
        let canaries: u64 = match stolen {
            Some(_) => 0,
            None => i
                .scope
                .exports
                .iter()
                .chain(&exports_seen)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .filter_map(|x| self.load_export(x).ok())
                .filter(|(e, _)| e.spec.collection == collection)
                .map(|(e, _)| e.canaries.len() as u64)
                .sum(),
        };
        let honey_count = match stolen {
            Some(_) => honey_ids.len() as u64,
            None => honey.len() as u64,
        };
        let exposure = Exposure {
            subjects: subjects.len() as u64,
            could_have_viewed: could.len() as u64,
            by_company,
            by_class: by_class.into_values().map(|(c, s)| (c, s.len() as u64)).collect(),
            fields,
            eu_subjects: i.eu_subjects.unwrap_or(eu),
            readable_without_keys: stolen.unwrap_or_default(),
            honey: honey_count,
            canaries,
        };
        timeline.sort_by_key(|e| e.at);
        let exports: BTreeSet<String> = i
            .scope
            .exports
            .iter()
            .chain(&exports_seen)
            .filter(|x| self.load_export(x).is_ok_and(|(e, _)| e.spec.collection == collection))
            .cloned()
            .collect();
        Ok(Analysis {
            exposure,
            subjects,
            could_have_viewed: could,
            by_field,
            timeline,
            honey,
            exports,
            by_collection: BTreeMap::new(),
        })
    }

    /// Walks the log for the entries in scope: what they disclosed, and the timeline.
    #[expect(clippy::too_many_arguments, reason = "one private step of `analyse`, filling its tallies")]
    fn scan_log(
        &self,
        i: &Incident,
        c: &Loaded,
        by_commitment: &HashMap<String, RecordId>,
        exposed: &mut BTreeMap<RecordId, BTreeMap<String, bool>>,
        timeline: &mut Vec<Event>,
        exports_seen: &mut BTreeSet<String>,
        principals_seen: &mut BTreeSet<String>,
    ) -> Result<(), IncidentError> {
        let in_window = |e: &Entry| {
            i.scope.window.is_none_or(|(from, to)| {
                let t = e.time_ms / 1000;
                t >= from && t <= to
            })
        };
        let everyone = i.scope.principals.is_empty() && i.scope.exports.is_empty();
        let export_tags: HashSet<String> =
            i.scope.exports.iter().map(|x| c.committer.commit_tag("export", x)).collect();
        let principal_tags: HashSet<String> = i.scope.principals.iter().map(|p| c.committer.commit_name(p)).collect();
        // Per principal: first and last disclosure, entries, people.
        let mut activity: BTreeMap<String, Activity> = BTreeMap::new();
        let log = self.log.store();
        let size = log.size().map_err(|e| ReadError::Audit(e.to_string()))?;
        let mut at = 0u64;
        while at < size {
            let batch = log.entries(at, 10_000).map_err(|e| ReadError::Audit(e.to_string()))?;
            if batch.is_empty() {
                break;
            }
            for (seq, data) in batch {
                at = seq + 1;
                let e = Entry::from_leaf(&data).map_err(|e| ReadError::Audit(e.to_string()))?;
                let of_export = e.subjects.iter().any(|s| export_tags.contains(s));
                let by_principal = i.scope.principals.contains(&e.principal);
                // The export's own history, and alerts or changes naming a principal in scope.
                if of_export && e.action == Action::Export && !e.detail.contains(": manifest part ") {
                    timeline.push(Event {
                        at: e.time_ms / 1000,
                        source: Source::Log,
                        text: format!("#{seq} {} by {}: {}", e.action.as_str(), e.principal, e.detail),
                    });
                }
                if e.action == Action::Trace && of_export {
                    timeline.push(Event {
                        at: e.time_ms / 1000,
                        source: Source::Log,
                        text: format!("#{seq} leak traced by {}", e.principal),
                    });
                }
                let names_principal = e.subjects.iter().any(|s| principal_tags.contains(s))
                    || i.scope.principals.iter().any(|p| e.detail.contains(&format!("`{p}`")));
                if matches!(e.action, Action::Alert | Action::PrincipalChange) && (names_principal || of_export) {
                    timeline.push(Event {
                        at: e.time_ms / 1000,
                        source: Source::Log,
                        text: format!("#{seq} {} by {}: {}", e.action.as_str(), e.principal, e.detail),
                    });
                }
                // The incident's own work (its notice list) is not part of it.
                if e.collection.as_deref() != Some(c.schema.name.as_str()) || !discloses(&e) || e.purpose == i.id {
                    continue;
                }
                // An export in scope counts whenever its file was made; everything else within the window.
                let manifest_in_scope = e.action == Action::Export && of_export;
                if !(manifest_in_scope || ((everyone || by_principal) && in_window(&e))) {
                    continue;
                }
                if e.action == Action::Export {
                    if let Some(x) = export_of(&e) {
                        exports_seen.insert(x.to_owned());
                    }
                }
                principals_seen.insert(e.principal.clone());
                let masked: HashSet<&str> = super::masked_in_detail(&e.detail).into_iter().collect();
                let mut people = 0u64;
                let slot = activity.entry(e.principal.clone()).or_insert_with(|| Activity::new(seq));
                for s in &e.subjects {
                    let Some(r) = by_commitment.get(s) else { continue };
                    people += 1;
                    slot.people.insert(*r);
                    let fields = exposed.entry(*r).or_default();
                    for f in &e.fields {
                        if c.schema.field(f).is_none() {
                            continue;
                        }
                        let clear = !masked.contains(f.as_str());
                        let v = fields.entry(f.clone()).or_insert(false);
                        *v |= clear;
                    }
                }
                if people > 0 {
                    let t = e.time_ms / 1000;
                    slot.first = slot.first.min(t);
                    slot.last = slot.last.max(t);
                    slot.entries += 1;
                    slot.first_seq = slot.first_seq.min(seq);
                    slot.last_seq = slot.last_seq.max(seq);
                }
            }
        }
        let place = if i.scope.collections.len() > 1 { format!(" in `{}`", c.schema.name) } else { String::new() };
        for (who, Activity { first, last, entries, people, first_seq: s0, last_seq: s1 }) in activity {
            if entries == 0 {
                continue;
            }
            timeline.push(Event {
                at: first,
                source: Source::Log,
                text: format!(
                    "{who}: first of {entries} disclosures in scope{place} (log #{s0}–#{s1}), {} people in all",
                    people.len()
                ),
            });
            timeline.push(Event {
                at: last,
                source: Source::Log,
                text: format!("{who}: last disclosure in scope (log #{s1})"),
            });
        }
        Ok(())
    }

    /// The real records of which `who` could see at least one field, for support or shipping work, as they
    /// were before any suspension.
    fn could_have_viewed(
        &self,
        c: &Loaded,
        real: &[RecordId],
        who: &BTreeSet<String>,
    ) -> Result<Vec<RecordId>, IncidentError> {
        let mut accesses = Vec::new();
        for name in who {
            let Ok(mut summary) = self.principal(name) else { continue };
            summary.suspended = false;
            for kind in ["support", "shipping"] {
                let a = Access::new(summary.clone(), "INCIDENT-REVIEW", "kura")?.with_kind(kind)?;
                accesses.push(a);
            }
        }
        if accesses.is_empty() {
            return Ok(Vec::new());
        }
        let policy = self.active_policy().map_err(|e| IncidentError::Invalid(e.to_string()))?;
        let scope_pos = c.schema.fields.iter().position(|f| f.scope);
        let mut wanted = vec![Visibility::Hidden; c.schema.fields.len()];
        if let Some(w) = scope_pos.and_then(|p| wanted.get_mut(p)) {
            *w = Visibility::Plain;
        }
        let mut out = Vec::new();
        let mut decided: HashMap<String, bool> = HashMap::new();
        for chunk in real.chunks(500) {
            for rec in self.reveal_many_with(c, chunk, &wanted)? {
                let company = scope_pos
                    .and_then(|p| rec.fields.get(p))
                    .and_then(|f| f.value.as_ref())
                    .and_then(|v| {
                        crate::normalize::canonical(FieldType::Organisation, v.expose()).ok().map(|c| c.to_string())
                    })
                    .unwrap_or_default();
                let any = *decided.entry(company.clone()).or_insert_with(|| {
                    accesses.iter().any(|a| policy.views(a, c, &company).iter().any(|v| *v != Visibility::Hidden))
                });
                if any {
                    out.push(rec.id);
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// The (record, field) pairs of `c` whose stored value, as given or canonical, is found in the copy's files
    /// and is that record's alone.
    fn readable_in_copy(&self, c: &Loaded, copy: &[PathBuf]) -> Result<Vec<(RecordId, String)>, IncidentError> {
        let ids = self.store.record_ids(c.id, usize::MAX)?;
        // Each distinct value with every (record, field) holding it.
        let mut owners: HashMap<String, Vec<(RecordId, usize)>> = HashMap::new();
        for chunk in ids.chunks(500) {
            for rec in self.reveal_many(c, chunk)? {
                for (p, f) in rec.fields.iter().enumerate() {
                    let Some(v) = f.value.as_ref() else { continue };
                    let v = v.expose();
                    let mut forms = vec![v.to_owned()];
                    if let Ok(canonical) = crate::normalize::canonical(f.kind, v) {
                        if canonical.as_str() != v {
                            forms.push(canonical.as_str().to_owned());
                        }
                    }
                    // Short values (a one-digit room, `M`) would match anywhere and prove nothing.
                    for form in forms.into_iter().filter(|n| n.len() >= crate::scan::MIN_NEEDLE) {
                        owners.entry(form).or_default().push((rec.id, p));
                    }
                }
            }
        }
        // The scan numbers its needles after sorting them (they are distinct here).
        let mut needles: Vec<String> = owners.keys().cloned().collect();
        needles.sort_unstable();
        let report =
            crate::scan::files(copy, needles.iter().cloned()).map_err(|e| IncidentError::Scan(e.to_string()))?;
        let mut found: BTreeSet<(RecordId, usize)> = BTreeSet::new();
        // A value many people share (a department's name, a common surname and given name) found in the copy
        // says nothing about whose data it is: only a value held by one record ties a hit to a person.
        for hit in &report.hits {
            if let Some([holder]) = needles.get(hit.needle).and_then(|n| owners.get(n)).map(Vec::as_slice) {
                found.insert(*holder);
            }
        }
        Ok(found.into_iter().filter_map(|(r, p)| c.schema.fields.get(p).map(|f| (r, f.name.clone()))).collect())
    }

    /// The facts of an incident as the duties and drafts take them, with the analysis behind them
    /// (security officers). Logged like [`Vault::incident_exposure`].
    pub fn incident_facts(&self, access: &Access, id: &str) -> Result<(Facts, Analysis), IncidentError> {
        let analysis = self.incident_exposure(access, id)?;
        let (i, _) = self.load_incident(id)?;
        Ok((self.facts_of(&i, &analysis), analysis))
    }

    fn facts_of(&self, i: &Incident, a: &Analysis) -> Facts {
        let mut timeline = a.timeline.clone();
        timeline.push(Event { at: i.detected_at, source: Source::Log, text: "incident detected".to_owned() });
        timeline.push(Event {
            at: i.learned_at,
            source: Source::Log,
            text: "the organisation learned of the incident".to_owned(),
        });
        timeline.extend(i.notes.iter().cloned());
        timeline.sort_by_key(|e| e.at);
        let mut principals: BTreeSet<String> = i.scope.principals.clone();
        let mut exports = a.exports.clone();
        exports.retain(|x| self.load_export(x).is_ok());
        for x in &exports {
            if let Ok((e, _)) = self.load_export(x) {
                principals.insert(e.requester);
            }
        }
        let version = u32::try_from(i.reports.len()).unwrap_or(u32::MAX).saturating_add(1);
        Facts {
            id: i.id.clone(),
            title: i.title.clone(),
            detected_at: i.detected_at,
            learned_at: i.learned_at,
            scenario: i.scenario,
            unauthorised_purpose: i.unauthorised_purpose,
            principals: principals.into_iter().collect(),
            exports: exports.into_iter().collect(),
            window: i.scope.window,
            exposure: a.exposure.clone(),
            timeline,
            statements: i.statements.clone(),
            version,
            is_final: false,
        }
    }

    /// Drafts the reports of an incident as a new version (security officers): the facts and duties now, the
    /// documents, and an entry in the amendment history (the final one, `is_final`, closes nothing by itself;
    /// move the incident to `closed` when it is sent). Logged.
    pub fn draft_incident_reports(&self, access: &Access, id: &str, is_final: bool) -> Result<Drafts, IncidentError> {
        let (mut facts, analysis) = self.incident_facts(access, id)?;
        let (mut i, sealed) = self.load_incident(id)?;
        if i.reports.last().is_some_and(|r| r.is_final) && !is_final {
            return Err(IncidentError::Invalid("the final report is drafted; amend it as final".to_owned()));
        }
        facts.is_final = is_final;
        let assessment = duties::assess(&facts);
        let documents = crate::incident::drafts::all(&facts, &assessment);
        let json = serde_json::to_vec(&facts).map_err(|e| IncidentError::Invalid(e.to_string()))?;
        let now = store::now();
        let version = ReportVersion {
            version: facts.version,
            at: now,
            by: access.principal().to_owned(),
            is_final,
            digest: digest(&json),
            subjects: analysis.exposure.subjects,
            required: assessment.required().map(|d| step_name(d.step)).collect(),
            facts: Some(facts.clone()),
        };
        let changed = i.reports.last().is_none_or(|r| r.digest != version.digest);
        i.reports.push(version);
        if i.status == Status::Open {
            i.status = Status::Reported;
        }
        let what = format!(
            "report drafts v{} ({}){}",
            facts.version,
            if is_final { "final" } else { "preliminary" },
            if changed { "" } else { ", facts unchanged" }
        );
        i.history.push(Change { at: now, by: access.principal().to_owned(), what: what.clone() });
        let entry = self.incident_entry(access, &i, Outcome::Allow, what);
        self.save_incident(&i, &sealed, entry)?;
        Ok(Drafts { facts, assessment, documents })
    }

    /// The drafts of a recorded version (the latest when `version` is `None`), rebuilt from the facts it was
    /// drafted from, so that what was reported can be shown again exactly (security officers and auditors).
    /// Logged.
    pub fn incident_report_version(
        &self,
        access: &Access,
        id: &str,
        version: Option<u32>,
    ) -> Result<Drafts, IncidentError> {
        self.require_role(
            access,
            &[Role::SecurityOfficer, Role::Auditor],
            "audit:read",
            Action::Incident,
            "reading incident reports",
        )?;
        let (i, _) = self.load_incident(id)?;
        let found = match version {
            Some(v) => i.reports.iter().find(|r| r.version == v),
            None => i.reports.last(),
        };
        let Some(r) = found else {
            return Err(IncidentError::Invalid(match version {
                Some(v) => format!("incident {id} has no report version {v}"),
                None => format!("incident {id} has no report drafted yet"),
            }));
        };
        let facts = r
            .facts
            .clone()
            .ok_or_else(|| IncidentError::Invalid(format!("report version {} kept no facts", r.version)))?;
        let assessment = duties::assess(&facts);
        let documents = crate::incident::drafts::all(&facts, &assessment);
        let entry = self.incident_entry(access, &i, Outcome::Allow, format!("report drafts v{} read", r.version));
        self.log(vec![entry])?;
        Ok(Drafts { facts, assessment, documents })
    }

    /// Requests the notice list — the contact fields `fields` of every data subject of the incident in
    /// `collection` — as a
    /// governed export (security officers; the purpose is the incident id, kind [`NOTICE_KIND`]): fingerprinted,
    /// with canaries, approved by a second security officer or a supervisor, downloaded once, disposal
    /// attested. Logged.
    pub fn request_notice_list(
        &self,
        access: &Access,
        id: &str,
        collection: &str,
        fields: Vec<String>,
        format: super::exports::Format,
        recipient: &str,
    ) -> Result<Export, IncidentError> {
        let analysis = self.incident_exposure(access, id)?;
        let (i, _) = self.load_incident(id)?;
        if !i.scope.collections.contains(collection) {
            return Err(IncidentError::Invalid(format!("the incident does not concern `{collection}`")));
        }
        let people = analysis.by_collection.get(collection).cloned().unwrap_or_default();
        if people.is_empty() {
            return Err(IncidentError::Invalid(format!(
                "the incident concerns nobody in `{collection}`; there is no one to notify"
            )));
        }
        let companies: BTreeSet<String> = analysis
            .exposure
            .by_company
            .iter()
            .map(|(c, _)| c.clone())
            .filter(|c| c != "(none)")
            .filter_map(|c| crate::normalize::canonical(FieldType::Organisation, &c).ok().map(|c| c.to_string()))
            .collect();
        let bound = access.clone().with_purpose(&i.id)?.with_kind(NOTICE_KIND)?;
        let spec = ExportSpec {
            collection: collection.to_owned(),
            companies,
            departments: BTreeSet::new(),
            records: people.iter().copied().collect(),
            fields,
            format,
            recipient: recipient.to_owned(),
            expires_at: store::now() + 7 * 86_400,
            max_downloads: 1,
            dispose_within_days: 30,
            canaries: 1,
        };
        let export = self.request_export_for(&bound, &spec, Some(&i.id))?;
        let entry = self.incident_entry(
            access,
            &i,
            Outcome::Allow,
            format!("notice list of {} people requested as export `{}`", people.len(), export.id),
        );
        self.log(vec![entry])?;
        Ok(export)
    }

    /// Why a notice list may not be approved: its incident is gone, closed, or the list names someone the
    /// incident does not concern (re-computed now). `None` for an export that is no notice list.
    pub(super) fn notice_list_mismatch(&self, e: &Export) -> Option<String> {
        let id = e.notice_for.as_deref()?;
        let Ok((i, _)) = self.load_incident(id) else { return Some(format!("the incident `{id}` is gone")) };
        if i.status == Status::Closed || e.purpose != i.id {
            return Some("the notice list's incident is closed or not its purpose".to_owned());
        }
        match self.analyse(&i) {
            Ok(a) => {
                let concerned: BTreeSet<RecordId> = a.subjects.into_iter().collect();
                if e.spec.records.is_empty() || !e.spec.records.is_subset(&concerned) {
                    Some("the notice list names people the incident does not concern".to_owned())
                } else {
                    None
                }
            }
            Err(err) => Some(format!("the incident's exposure cannot be computed: {err}")),
        }
    }

    /// Raises a deadline alert for every required duty of every open incident that is due within a day or
    /// overdue, once per duty and kind. The vault's own task, not a principal's: it returns no personal data,
    /// only the alerts raised now (`kura serve` runs it every five minutes, `kura incident deadlines` once).
    pub fn check_incident_deadlines(&self, now: i64) -> Result<Vec<super::alerts::Alert>, IncidentError> {
        let mut raised = Vec::new();
        let mut failed = 0usize;
        // One incident that cannot be checked (its copy's files gone, say) does not stop the others.
        for id in self.store.document_ids(KIND)? {
            match self.check_deadlines_of(&id, now) {
                Ok(mut a) => raised.append(&mut a),
                Err(e) => {
                    failed += 1;
                    tracing::error!(incident = %id, error = %e, "incident deadlines not checked");
                }
            }
        }
        if failed > 0 && raised.is_empty() {
            return Err(IncidentError::Invalid(format!("the deadlines of {failed} incident(s) could not be checked")));
        }
        Ok(raised)
    }

    fn check_deadlines_of(&self, id: &str, now: i64) -> Result<Vec<super::alerts::Alert>, IncidentError> {
        let mut raised = Vec::new();
        let (mut i, sealed) = self.load_incident(id)?;
        if i.status == Status::Closed {
            return Ok(raised);
        }
        // The facts as last computed; an incident nobody has analysed yet is analysed once here, so that
        // its first deadline (the preliminary report) is watched too.
        let fresh = i.snapshot.is_none();
        let mut facts = match i.snapshot.clone() {
            Some(f) => f,
            None => {
                let analysis = self.analyse(&i)?;
                let f = self.facts_of(&i, &analysis);
                i.snapshot = Some(f.clone());
                f
            }
        };
        facts.is_final = i.reports.last().is_some_and(|r| r.is_final);
        let assessment = duties::assess(&facts);
        let mut new_marks = Vec::new();
        for d in assessment.required() {
            let Some(due) = d.due_at else { continue };
            let step = step_name(d.step);
            // A drafted version stands for the report sent (the drafts are what is sent).
            let sent = match d.step {
                duties::Step::AppiPreliminary => !i.reports.is_empty(),
                duties::Step::AppiFinal => i.reports.iter().any(|r| r.is_final),
                _ => false,
            };
            if sent {
                continue;
            }
            let kind = if now > due {
                "overdue"
            } else if due - now <= 86_400 {
                "soon"
            } else {
                continue;
            };
            let mark = format!("{step}:{kind}");
            if i.alerted.contains(&mark) {
                continue;
            }
            let alert = crate::alerts::rules::Alert {
                rule: crate::alerts::rules::Rule::IncidentDeadline,
                severity: if kind == "overdue" {
                    crate::alerts::rules::Severity::Critical
                } else {
                    crate::alerts::rules::Severity::High
                },
                principal: i.opened_by.clone(),
                at: now,
                detail: format!(
                    "incident {}: {} ({}) is {} (due {})",
                    i.id,
                    d.label.en,
                    d.regime.en(),
                    if kind == "overdue" { "overdue" } else { "due within a day" },
                    crate::incident::drafts::jst_en(due)
                ),
                suspend: false,
            };
            let a = self.raise(alert, None).map_err(|e| IncidentError::Invalid(e.to_string()))?;
            raised.push(a);
            new_marks.push(mark);
        }
        if fresh || !new_marks.is_empty() {
            let detail = if new_marks.is_empty() {
                "facts analysed for the deadline check".to_owned()
            } else {
                format!("{} deadline alert(s) raised", new_marks.len())
            };
            i.alerted.extend(new_marks);
            let system = self.system_access("INCIDENT-DEADLINES")?;
            let entry = self.incident_entry(&system, &i, Outcome::Allow, detail);
            self.save_incident(&i, &sealed, entry)?;
        }
        Ok(raised)
    }
}

/// One principal's disclosures in scope, for the timeline.
struct Activity {
    first: i64,
    last: i64,
    entries: u64,
    people: BTreeSet<RecordId>,
    first_seq: u64,
    last_seq: u64,
}

impl Activity {
    fn new(seq: u64) -> Activity {
        Activity { first: i64::MAX, last: i64::MIN, entries: 0, people: BTreeSet::new(), first_seq: seq, last_seq: seq }
    }
}

/// A duty step's name as in JSON (`appi_preliminary`).
fn step_name(step: duties::Step) -> String {
    serde_json::to_value(step).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_else(|| format!("{step:?}"))
}

fn class_rank(c: Classification) -> u8 {
    match c {
        Classification::Payment => 0,
        Classification::Sensitive => 1,
        Classification::Personal => 2,
        _ => 3,
    }
}
