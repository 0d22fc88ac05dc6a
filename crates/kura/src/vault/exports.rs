//! Governed exports: every bulk copy of personal data is requested with a purpose, approved by a second
//! person, downloaded a limited number of times until it expires, and its disposal attested; every step is in
//! the access log, and each download's manifest (records, file digest) is committed to the log before the
//! file leaves the vault.
//!
//! An export request is a workflow document sealed under the vault's authentication key and changed by
//! compare-and-swap (`Store::put_document`), so it cannot be edited in the database and concurrent steps
//! never overwrite each other.
//!
//! Who may do what: requesting needs the policy's `export` on every requested field for every selected client
//! company (so contractors and dispatched staff never export under the default policy); approving needs the
//! supervisor role, someone other than the requester, and the same `export` decisions for the approver;
//! downloading and attesting disposal are the requester's, and a download is decided again at that moment.

use std::collections::BTreeSet;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::principals::PrincipalError;
use super::{Access, Loaded, ReadError, Vault};
use crate::audit::{self, Action, Outcome};
use crate::crypto;
use crate::id::RecordId;
use crate::normalize;
use crate::policy::Act;
use crate::principal::Role;
use crate::schema::FieldType;
use crate::store;

/// The document kind of export requests.
const KIND: &str = "export";

/// File formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// CSV, UTF-8 with BOM.
    CsvUtf8,
    /// CSV, Shift_JIS/CP932 (what Japanese Excel opens).
    CsvShiftJis,
    /// Excel workbook.
    Xlsx,
    /// PDF mailing labels (a print job).
    Labels,
}

/// What an export request asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportSpec {
    /// Collection.
    pub collection: String,
    /// Client companies whose records are selected (at least one).
    pub companies: BTreeSet<String>,
    /// Departments to keep (empty: all).
    #[serde(default)]
    pub departments: BTreeSet<String>,
    /// Records to keep, by id (empty: all of the selected companies and departments); a shipping label for
    /// one order's people, say.
    #[serde(default)]
    pub records: BTreeSet<RecordId>,
    /// Fields, in output order.
    pub fields: Vec<String>,
    /// File format.
    pub format: Format,
    /// Who receives it (a reference: a team, a partner, a print shop; never personal data).
    pub recipient: String,
    /// Unix time after which it cannot be downloaded.
    pub expires_at: i64,
    /// How many times it may be downloaded (1 to 10).
    pub max_downloads: u32,
    /// Days after expiry by which disposal must be attested.
    pub dispose_within_days: u32,
    /// Canary records mixed into the file (1 to 20).
    #[serde(default = "one")]
    pub canaries: u32,
}

fn one() -> u32 {
    1
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// Waiting for a second person.
    Requested,
    /// Approved: downloadable until it expires or runs out of downloads.
    Approved,
    /// Denied.
    Denied,
    /// Its holder attested that every copy was destroyed.
    Disposed,
}

/// One download.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Download {
    /// Who.
    pub by: String,
    /// When (Unix seconds).
    pub at: i64,
    /// Records in the file.
    pub records: usize,
    /// SHA-256 of the file, hex.
    pub digest: String,
}

/// An export request and its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Export {
    /// Id.
    pub id: String,
    /// What was asked for.
    pub spec: ExportSpec,
    /// Who asked.
    pub requester: String,
    /// Why (ticket or order reference).
    pub purpose: String,
    /// What kind of work.
    pub purpose_kind: String,
    /// When (Unix seconds).
    pub requested_at: i64,
    /// Where it stands.
    pub state: State,
    /// Who approved or denied it.
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<i64>,
    /// Why it was denied (a reference, no personal data).
    #[serde(default)]
    pub reason: String,
    /// Every download.
    #[serde(default)]
    pub downloads: Vec<Download>,
    /// When disposal was attested.
    pub disposed_at: Option<i64>,
    /// The export's own canaries (synthetic people registered to it at approval), mixed into every download.
    #[serde(default)]
    pub canaries: Vec<crate::canary::Canary>,
    /// For an incident's notice list: the incident. Set only by [`Vault::request_notice_list`]; an export
    /// requested any other way cannot be one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice_for: Option<String>,
}

impl Export {
    /// When disposal must be attested by.
    pub fn dispose_by(&self) -> i64 {
        self.spec.expires_at + i64::from(self.spec.dispose_within_days) * 86_400
    }

    /// Whether disposal is overdue at `now`: approved and downloaded at least once, past the deadline, not
    /// attested.
    pub fn disposal_overdue(&self, now: i64) -> bool {
        self.state == State::Approved && !self.downloads.is_empty() && now > self.dispose_by()
    }
}

/// One exported row: the requested fields' values in order.
type Row = Vec<Option<super::Plain>>;

/// A downloaded export file.
#[derive(Clone)]
pub struct ExportFile {
    /// The export after this download was counted.
    pub export: Export,
    /// The file.
    pub bytes: Vec<u8>,
    /// SHA-256 of the file, hex (as in the manifest).
    pub digest: String,
    /// File name extension (`csv`, `xlsx`, `pdf`).
    pub extension: &'static str,
    /// Media type.
    pub media_type: &'static str,
    /// Records in the file.
    pub records: usize,
}

impl std::fmt::Debug for ExportFile {
    // The bytes are personal data.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportFile")
            .field("export", &self.export.id)
            .field("len", &self.bytes.len())
            .field("digest", &self.digest)
            .field("records", &self.records)
            .finish()
    }
}

/// An export step was refused or failed; nothing changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The request is not valid.
    #[error("export request is not valid: {0}")]
    Invalid(String),
    /// The policy, a role or the workflow does not allow it (the refusal is in the log).
    #[error("denied: {0}")]
    Denied(String),
    /// No such export.
    #[error("no such export")]
    Unknown,
    /// The export is past its expiry, out of downloads, or in a state that does not allow the step.
    #[error("{0}")]
    State(String),
    /// Reading records failed.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// Keys, storage or the log.
    #[error(transparent)]
    Principal(#[from] PrincipalError),
    /// Storage.
    #[error(transparent)]
    Store(#[from] store::Error),
    /// The rows could not be written in the export's format (the message names row and column, no value).
    #[error(transparent)]
    Render(crate::render::Error),
    /// The log refused the entry; nothing changed.
    #[error(transparent)]
    Log(#[from] audit::log::AppendError),
}

impl From<super::gate::Denied> for ExportError {
    fn from(d: super::gate::Denied) -> ExportError {
        ExportError::Denied(d.0)
    }
}

fn ad(id: &str) -> Vec<u8> {
    doc_ad(KIND, id)
}

/// A workflow document's plaintext and its sealed bytes.
pub(super) type Opened = (Vec<u8>, Vec<u8>);

fn doc_ad(kind: &str, id: &str) -> Vec<u8> {
    crypto::context("kura/document/v1", &[kind.as_bytes(), id.as_bytes()])
}

/// The document kind of the canary pools and registry.
pub(super) const CANARY_KIND: &str = "canary";
const POOLS_ID: &str = "pools";

impl Vault {
    /// Seals a workflow document (canaries, alerts, desk) under the vault's authentication key, bound to its
    /// kind and id.
    pub(super) fn seal_document(&self, kind: &str, id: &str, bytes: &[u8]) -> Result<Vec<u8>, ExportError> {
        crypto::seal(&self.auth_key()?, &doc_ad(kind, id), bytes).map_err(|e| ExportError::Invalid(e.to_string()))
    }

    /// A stored workflow document: its plaintext and its sealed bytes (for compare-and-swap); refused if it
    /// was altered or moved in the database.
    pub(super) fn open_document(&self, kind: &str, id: &str) -> Result<Option<Opened>, ExportError> {
        let Some(sealed) = self.store.document(kind, id)? else { return Ok(None) };
        let plain = crypto::open(&self.auth_key()?, &doc_ad(kind, id), &sealed).map_err(|_| {
            ExportError::State(format!("the {kind} document `{id}` does not open (altered in the database?)"))
        })?;
        Ok(Some((plain.to_vec(), sealed)))
    }

    fn seal_export(&self, e: &Export) -> Result<Vec<u8>, ExportError> {
        let json = zeroize::Zeroizing::new(serde_json::to_vec(e).map_err(|err| ExportError::Invalid(err.to_string()))?);
        crypto::seal(&self.auth_key()?, &ad(&e.id), &json).map_err(|err| ExportError::Invalid(err.to_string()))
    }

    pub(crate) fn load_export(&self, id: &str) -> Result<(Export, Vec<u8>), ExportError> {
        let sealed = self.store.document(KIND, id)?.ok_or(ExportError::Unknown)?;
        let json = crypto::open(&self.auth_key()?, &ad(id), &sealed)
            .map_err(|_| ExportError::State(format!("export `{id}` does not open (altered in the database?)")))?;
        let e: Export =
            serde_json::from_slice(&json).map_err(|_| ExportError::State(format!("export `{id}` is damaged")))?;
        if e.id != id {
            return Err(ExportError::State(format!("export `{id}` is damaged")));
        }
        Ok((e, sealed))
    }

    fn export_entry(&self, access: &Access, e: &Export, outcome: Outcome, detail: String) -> audit::Entry {
        let mut entry = self.entry(access, Action::Export, Some(&e.spec.collection), outcome);
        // Every step names the export itself, so its whole history is one index lookup (tracing, audits).
        if let Ok(c) = self.collection(&e.spec.collection) {
            entry.subjects.push(c.committer.commit_tag("export", &e.id));
        }
        entry.fields = e.spec.fields.clone();
        entry.detail = format!("export `{}`: {detail}", e.id);
        entry
    }

    /// Logs a refusal of a step on `e` and returns it as an error.
    fn refuse_export(&self, access: &Access, e: &Export, why: String) -> ExportError {
        let entry = self.export_entry(access, e, Outcome::Deny, format!("refused: {why}"));
        match self.log(vec![entry]) {
            Ok(_) => ExportError::Denied(why),
            Err(err) => err.into(),
        }
    }

    /// Whether the policy lets `access` export every requested field for every selected company.
    fn may_export(&self, access: &Access, c: &Loaded, spec: &ExportSpec) -> Result<Option<String>, ExportError> {
        let policy = self.active_policy().map_err(ReadError::from)?;
        for company in &spec.companies {
            let allowed = policy.allowed(access, Act::Export, c, company);
            for name in &spec.fields {
                let pos = c.schema.position(name).unwrap_or(usize::MAX);
                if allowed.get(pos) != Some(&true) {
                    return Ok(Some(format!("the policy does not let `{}` export `{name}`", access.principal())));
                }
            }
        }
        Ok(None)
    }

    fn check_spec(&self, spec: &ExportSpec) -> Result<(std::sync::Arc<Loaded>, ExportSpec), ExportError> {
        let c = self.collection(&spec.collection)?;
        let mut spec = spec.clone();
        if spec.companies.is_empty() {
            return Err(ExportError::Invalid("select at least one client company".to_owned()));
        }
        if spec.records.len() > 100_000 {
            return Err(ExportError::Invalid("select at most 100,000 records by id".to_owned()));
        }
        if !c.schema.fields.iter().any(|f| f.scope) {
            return Err(ExportError::Invalid("the collection has no client-company field to select by".to_owned()));
        }
        spec.companies = crate::principal::canonical_companies(&spec.companies)
            .map_err(|_| ExportError::Invalid("a company name is not a valid organisation name".to_owned()))?;
        spec.departments = spec
            .departments
            .iter()
            .map(|d| normalize::canonical(FieldType::Department, d).map(|c| c.to_string()))
            .collect::<Result<_, _>>()
            .map_err(|_| ExportError::Invalid("a department name is not valid".to_owned()))?;
        if spec.fields.is_empty() {
            return Err(ExportError::Invalid("name at least one field".to_owned()));
        }
        let mut seen = BTreeSet::new();
        for f in &spec.fields {
            if c.schema.field(f).is_none() {
                return Err(ExportError::Invalid("a requested field is not in the collection".to_owned()));
            }
            if !seen.insert(f) {
                return Err(ExportError::Invalid(format!("field `{f}` is requested twice")));
            }
        }
        if !super::reference_ok(&spec.recipient) {
            return Err(ExportError::Invalid(
                "the recipient must be a reference (ASCII letters, digits, spaces, `- _ . : / # @ ( )`)".to_owned(),
            ));
        }
        let now = store::now();
        if spec.expires_at <= now || spec.expires_at > now + 90 * 86_400 {
            return Err(ExportError::Invalid("expiry must be in the future and within 90 days".to_owned()));
        }
        if !(1..=10).contains(&spec.max_downloads) {
            return Err(ExportError::Invalid("downloads must be 1 to 10".to_owned()));
        }
        if !(1..=20).contains(&spec.canaries) {
            return Err(ExportError::Invalid("canaries must be 1 to 20 per export".to_owned()));
        }
        if !(1..=90).contains(&spec.dispose_within_days) {
            return Err(ExportError::Invalid("disposal must be due within 1 to 90 days of expiry".to_owned()));
        }
        Ok((c, spec))
    }

    /// Requests an export. Decided by the policy (`export` on every field for every selected company); the
    /// request is logged with its fields, companies count, format, recipient and expiry.
    pub fn request_export(&self, access: &Access, spec: &ExportSpec) -> Result<Export, ExportError> {
        if access.purpose_kind() == super::incidents::NOTICE_KIND {
            return Err(ExportError::Invalid(
                "an incident's notice list is requested through the incident (`kura incident notice-list`)".to_owned(),
            ));
        }
        self.request_export_for(access, spec, None)
    }

    /// [`Vault::request_export`], for an incident's notice list when `notice_for` names the incident.
    pub(super) fn request_export_for(
        &self,
        access: &Access,
        spec: &ExportSpec,
        notice_for: Option<&str>,
    ) -> Result<Export, ExportError> {
        let (c, spec) = self.check_spec(spec)?;
        let e = Export {
            id: uuid::Uuid::new_v4().to_string(),
            spec,
            requester: access.principal().to_owned(),
            purpose: access.purpose().to_owned(),
            purpose_kind: access.purpose_kind().to_owned(),
            requested_at: store::now(),
            state: State::Requested,
            decided_by: None,
            decided_at: None,
            reason: String::new(),
            downloads: Vec::new(),
            disposed_at: None,
            canaries: Vec::new(),
            notice_for: notice_for.map(str::to_owned),
        };
        if !access.has_scope("exports:request") {
            return Err(self.refuse_export(access, &e, "this token lacks the scope `exports:request`".to_owned()));
        }
        if let Some(why) = self.may_export(access, &c, &e.spec)? {
            return Err(self.refuse_export(access, &e, why));
        }
        let detail = format!(
            "requested: {} companies, format {:?}, recipient `{}`, expires {}, {} downloads",
            e.spec.companies.len(),
            e.spec.format,
            e.spec.recipient,
            e.spec.expires_at,
            e.spec.max_downloads
        );
        self.log(vec![self.export_entry(access, &e, Outcome::Allow, detail)])?;
        self.store.put_document(KIND, &e.id, &self.seal_export(&e)?, None)?;
        Ok(e)
    }

    /// Applies `step` to the stored export by compare-and-swap; `step` refuses by returning an error.
    fn change_export(
        &self,
        id: &str,
        step: &dyn Fn(&mut Export) -> Result<String, ExportError>,
        access: &Access,
    ) -> Result<Export, ExportError> {
        for _ in 0..8 {
            let (mut e, old) = self.load_export(id)?;
            let detail = step(&mut e)?;
            self.log(vec![self.export_entry(access, &e, Outcome::Allow, detail)])?;
            match self.store.put_document(KIND, id, &self.seal_export(&e)?, Some(&old)) {
                Ok(()) => return Ok(e),
                Err(store::Error::Conflict) => continue,
                Err(err) => return Err(err.into()),
            }
        }
        Err(ExportError::State("too many concurrent changes; try again".to_owned()))
    }

    /// Approves (`approve`) or denies a requested export: a supervisor other than the requester (for an
    /// incident's notice list, also a security officer), whom the policy would let export the same fields of the
    /// same companies.
    pub fn decide_export(&self, access: &Access, id: &str, approve: bool, reason: &str) -> Result<Export, ExportError> {
        let (e, _) = self.load_export(id)?;
        let c = self.collection(&e.spec.collection)?;
        let refusal = if access.principal() == e.requester {
            Some("the requester cannot approve their own export (four eyes)".to_owned())
        } else if access.who().suspended {
            Some("a suspended principal approves nothing".to_owned())
        } else if !(access.who().roles.contains(&Role::Supervisor)
            || (e.notice_for.is_some() && access.who().roles.contains(&Role::SecurityOfficer)))
        {
            Some(
                "approving exports needs the supervisor role (incident notice lists: or a security officer)".to_owned(),
            )
        } else if !access.has_scope("exports:approve") {
            Some("this token lacks the scope `exports:approve`".to_owned())
        } else if e.state != State::Requested {
            Some(format!("the export is {:?}, not waiting for a decision", e.state))
        } else if let Some(why) = self.notice_list_mismatch(&e) {
            Some(why)
        } else {
            self.may_export(access, &c, &e.spec)?
        };
        if let Some(why) = refusal {
            return Err(self.refuse_export(access, &e, why));
        }
        if !reason.is_empty() && !super::reference_ok(reason) {
            return Err(ExportError::Invalid("the reason must be a reference, not free text".to_owned()));
        }
        let canaries = if approve { self.make_canaries(&c, &e)? } else { Vec::new() };
        let who = access.principal().to_owned();
        let reason = reason.to_owned();
        self.change_export(
            id,
            &|e| {
                if e.state != State::Requested {
                    return Err(ExportError::State("the export was decided meanwhile".to_owned()));
                }
                e.canaries.clone_from(&canaries);
                e.state = if approve { State::Approved } else { State::Denied };
                e.decided_by = Some(who.clone());
                e.decided_at = Some(store::now());
                e.reason.clone_from(&reason);
                Ok(if approve {
                    let ids: Vec<&str> = canaries.iter().map(|c| c.id.as_str()).collect();
                    format!("approved; canaries {}", ids.join(", "))
                } else {
                    format!("denied ({reason})")
                })
            },
            access,
        )
    }

    /// Downloads an approved export as a file: the requester only, before expiry, within the download count,
    /// and decided by the policy again now. The rows are rendered in the export's format; the manifest (every
    /// record by commitment, and the file's SHA-256) and the download are in the log before the file is
    /// returned.
    pub fn export_file(
        &self,
        access: &Access,
        id: &str,
        options: &crate::render::Options,
    ) -> Result<ExportFile, ExportError> {
        let (e, _) = self.load_export(id)?;
        let c = self.collection(&e.spec.collection)?;
        let now = store::now();
        let refusal = if access.principal() != e.requester {
            Some("only the requester downloads an export".to_owned())
        } else if e.state != State::Approved {
            Some(format!("the export is {:?}, not approved", e.state))
        } else if now >= e.spec.expires_at {
            Some("the export has expired".to_owned())
        } else if e.downloads.len() >= e.spec.max_downloads as usize {
            Some("the export has no downloads left".to_owned())
        } else {
            self.may_export(access, &c, &e.spec)?
        };
        if let Some(why) = refusal {
            return Err(self.refuse_export(access, &e, why));
        }
        let (ids, rows) = self.select_rows(&c, &e.spec)?;
        // A record whose contact point is a canary's (someone fed a leaked list back into the vault) would
        // make the organisation's own mailing reach a canary drop and raise a false alarm: it is left out.
        let (ids, rows, excluded) = self.without_canary_contacts(&c, &e.spec, ids, rows)?;
        // Every value in a notation chosen by the export's fingerprint code (each normalises to the stored
        // canonical form), the export's canaries at positions keyed by its secret.
        let fields: Vec<(&str, FieldType, usize)> = e
            .spec
            .fields
            .iter()
            .filter_map(|f| c.schema.position(f).and_then(|p| c.schema.fields.get(p).map(|d| (f.as_str(), d.kind, p))))
            .collect();
        let fp =
            crate::fingerprint::Fingerprinter::new(&self.auth_key()?, crate::fingerprint::ExportId::new(e.id.clone()))
                .map_err(|err| ExportError::Invalid(err.to_string()))?;
        let real: Vec<Vec<Option<String>>> = rows
            .par_iter()
            .zip(&ids)
            .map(|(r, id)| {
                r.iter()
                    .zip(&fields)
                    .map(|(v, (name, kind, _))| v.as_ref().map(|p| fp.render(id, name, *kind, p.expose())))
                    .collect()
            })
            .collect();
        let fake: Vec<Vec<Option<String>>> = e
            .canaries
            .iter()
            .map(|k| fields.iter().map(|(_, _, p)| k.row.get(*p).filter(|v| !v.is_empty()).cloned()).collect())
            .collect();
        let export_id = crate::canary::ExportId::new(e.id.clone());
        let secret = self.export_secret(&e.id)?;
        let table_rows = crate::canary::interleave(real, fake, &mut crate::canary::placement_rng(&secret, &export_id));
        let format = match e.spec.format {
            Format::CsvUtf8 => crate::render::Format::CsvUtf8,
            Format::CsvShiftJis => crate::render::Format::CsvShiftJis,
            Format::Xlsx => crate::render::Format::Xlsx,
            Format::Labels => crate::render::Format::Labels,
        };
        let mut options = options.clone();
        options.created = Some(e.requested_at);
        // Labels to people's homes when the job carries home addresses and no office address.
        let has = |f: &str| e.spec.fields.iter().any(|x| x == f);
        let office = crate::render::labels::Columns::corporate_office();
        if options.labels.columns == office && !has("company_address") && has("home_address") {
            options.labels.columns = crate::render::labels::Columns::corporate_home();
        }
        let rendered =
            match crate::render::render(format, crate::render::Table::new(&e.spec.fields, &table_rows), &options) {
                Ok(r) => r,
                Err(err) => {
                    let entry = self.export_entry(access, &e, Outcome::Fail, format!("not rendered: {err}"));
                    self.log(vec![entry])?;
                    return Err(ExportError::Render(err));
                }
            };
        let digest = rendered.digest.to_string();
        // Each manifest entry names the export and up to MAX_SUBJECTS - 1 records.
        let per_entry = audit::MAX_SUBJECTS.saturating_sub(1).max(1);
        let parts = ids.len().div_ceil(per_entry).max(1);
        let mut manifest = Vec::new();
        for (n, chunk) in ids.chunks(per_entry).enumerate() {
            let canaries: Vec<&str> = e.canaries.iter().map(|k| k.id.as_str()).collect();
            let mut detail = format!(
                "manifest part {} of {parts}: {} records, file sha256 {digest}, notation fingerprint v2 keyed by the \
                 export id, canaries {}",
                n + 1,
                chunk.len(),
                canaries.join(", ")
            );
            if excluded > 0 && n == 0 {
                detail.push_str(&format!("; {excluded} records at canary contact points left out"));
            }
            let mut entry = self.export_entry(access, &e, Outcome::Allow, detail);
            entry.subjects.extend(chunk.iter().map(|id| c.committer.commit(*id)));
            manifest.push(entry);
        }
        self.log(manifest)?;
        let who = access.principal().to_owned();
        let count = ids.len();
        let max = e.spec.max_downloads as usize;
        let export = self.change_export(
            id,
            &|e| {
                if e.downloads.len() >= max {
                    return Err(ExportError::State("the export has no downloads left".to_owned()));
                }
                e.downloads.push(Download {
                    by: who.clone(),
                    at: store::now(),
                    records: count,
                    digest: digest.clone(),
                });
                Ok(format!(
                    "download {} of {}: {count} records, file sha256 {digest}",
                    e.downloads.len(),
                    e.spec.max_downloads
                ))
            },
            access,
        )?;
        Ok(ExportFile {
            export,
            bytes: rendered.bytes,
            digest,
            extension: format.extension(),
            media_type: format.media_type(),
            records: count,
        })
    }

    /// `ids` and `rows` without the records whose exported contact points (phone, e-mail, address) are canary
    /// contact points, registered or still in the pools; and how many were left out.
    fn without_canary_contacts(
        &self,
        c: &Loaded,
        spec: &ExportSpec,
        ids: Vec<RecordId>,
        rows: Vec<Row>,
    ) -> Result<(Vec<RecordId>, Vec<Row>, usize), ExportError> {
        let contacts: Vec<(usize, FieldType)> = spec
            .fields
            .iter()
            .enumerate()
            .filter_map(|(i, f)| c.schema.position(f).and_then(|p| c.schema.fields.get(p)).map(|d| (i, d.kind)))
            .filter(|(_, k)| {
                matches!(k, FieldType::Phone | FieldType::Email | FieldType::JpAddress | FieldType::UsAddress)
            })
            .collect();
        if contacts.is_empty() {
            return Ok((ids, rows, 0));
        }
        let pools = self.canary_pools()?;
        let registry = self.canary_registry()?;
        let total = ids.len();
        let (ids, rows): (Vec<RecordId>, Vec<Row>) = ids
            .into_iter()
            .zip(rows)
            .filter(|(_, row)| {
                !contacts.iter().any(|(i, kind)| {
                    row.get(*i)
                        .and_then(|v| v.as_ref())
                        .and_then(|v| normalize::canonical(*kind, v.expose()).ok())
                        .is_some_and(|v| {
                            registry.is_canary_contact(v.as_str()) || pools.is_canary_contact(*kind, v.as_str())
                        })
                })
            })
            .unzip();
        let excluded = total - ids.len();
        Ok((ids, rows, excluded))
    }

    /// The secret keying an export's canaries and their placement (derived from the vault's authentication key).
    fn export_secret(&self, id: &str) -> Result<Vec<u8>, ExportError> {
        use hmac::Mac;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(self.auth_key()?.expose())
            .map_err(|_| ExportError::Invalid("key length".to_owned()))?;
        mac.update(b"kura/export-secret/v1\0");
        mac.update(id.as_bytes());
        Ok(mac.finalize().into_bytes().to_vec())
    }

    /// The organisation's canary contact points (`kura canary pools`); approvals are refused until they exist.
    pub(crate) fn canary_pools(&self) -> Result<std::sync::Arc<crate::canary::Pools>, ExportError> {
        let Some(sealed) = self.store.document(CANARY_KIND, POOLS_ID)? else {
            return Err(ExportError::State(
                "no canary pools are configured: every export carries canaries (see `kura export pools`)".to_owned(),
            ));
        };
        self.cached_pools(&sealed, || {
            let text = crypto::open(&self.auth_key()?, &doc_ad(CANARY_KIND, POOLS_ID), &sealed).map_err(|_| {
                ExportError::State("the canary pools do not open (altered in the database?)".to_owned())
            })?;
            let text = String::from_utf8(text.to_vec())
                .map_err(|_| ExportError::State("the canary pools are damaged".to_owned()))?;
            crate::canary::Pools::from_toml(&text).map_err(|e| ExportError::Invalid(e.to_string()))
        })
    }

    /// Sets the organisation's canary contact points from TOML (administrators); validated first, logged.
    pub fn set_canary_pools(&self, access: &Access, text: &str) -> Result<(), ExportError> {
        self.require_role(
            access,
            &[Role::Administrator],
            "principals:admin",
            Action::KeyChange,
            "setting canary pools",
        )?;
        crate::canary::Pools::from_toml(text).map_err(|e| ExportError::Invalid(e.to_string()))?;
        let mut entry = self.entry(access, Action::KeyChange, None, Outcome::Allow);
        entry.detail = "canary pools replaced".to_owned();
        self.log(vec![entry])?;
        let sealed = crypto::seal(&self.auth_key()?, &doc_ad(CANARY_KIND, POOLS_ID), text.as_bytes())
            .map_err(|e| ExportError::Invalid(e.to_string()))?;
        for _ in 0..8 {
            let previous = self.store.document(CANARY_KIND, POOLS_ID)?;
            match self.store.put_document(CANARY_KIND, POOLS_ID, &sealed, previous.as_deref()) {
                Err(store::Error::Conflict) => continue,
                other => return Ok(other?),
            }
        }
        Err(ExportError::State("too many concurrent changes; try again".to_owned()))
    }

    /// Makes and registers an export's canaries (at approval): imitating its real rows, on contact points no
    /// other export uses.
    fn make_canaries(&self, c: &Loaded, e: &Export) -> Result<Vec<crate::canary::Canary>, ExportError> {
        let pools = self.canary_pools()?;
        let all: Vec<String> = c.schema.fields.iter().map(|f| f.name.clone()).collect();
        let (_, full) = self.select_rows(c, &ExportSpec { fields: all, ..e.spec.clone() })?;
        let rows: Vec<crate::canary::Row> = full
            .iter()
            .map(|r| r.iter().map(|v| v.as_ref().map(|p| p.expose().to_owned()).unwrap_or_default()).collect())
            .collect();
        if rows.is_empty() {
            return Err(ExportError::State("the selection holds no records".to_owned()));
        }
        let secret = self.export_secret(&e.id)?;
        let export = crate::canary::ExportId::new(e.id.clone());
        let req = crate::canary::Request {
            schema: &c.schema,
            export: &export,
            count: e.spec.canaries as usize,
            secret: &secret,
            rows: &rows,
        };
        self.make_and_register(&pools, &req)
    }

    /// The records and values of an export: the selected companies' records (found through the scope field's
    /// blind index), filtered by department, the requested fields in order. Records are decrypted in
    /// parallel; the order is the index's, company by company.
    fn select_rows(&self, c: &Loaded, spec: &ExportSpec) -> Result<(Vec<RecordId>, Vec<Row>), ExportError> {
        use rayon::prelude::*;
        let scope_pos = c.schema.fields.iter().position(|f| f.scope);
        let scope = scope_pos.and_then(|p| c.schema.fields.get(p)).map(|f| f.name.clone()).unwrap_or_default();
        let dept = c.schema.fields.iter().position(|f| f.kind == FieldType::Department);
        let positions: Vec<usize> = spec.fields.iter().filter_map(|f| c.schema.position(f)).collect();
        let mut candidates = Vec::new();
        for company in &spec.companies {
            candidates.extend(
                self.lookup_ids(&c.schema.name, &scope, company)?
                    .into_iter()
                    .filter(|id| spec.records.is_empty() || spec.records.contains(id))
                    .map(|id| (id, company)),
            );
        }
        let mut chosen: Vec<Option<(RecordId, Row)>> = Vec::with_capacity(candidates.len());
        for chunk in candidates.chunks(4096) {
            let ids: Vec<RecordId> = chunk.iter().map(|(id, _)| *id).collect();
            let records = self.reveal_many(c, &ids)?;
            chosen.par_extend(records.into_par_iter().zip(chunk.par_iter()).map(|(r, (id, company))| {
                // The index is only a pointer: a row edited into it must not carry another company's person
                // into the file.
                let own = scope_pos
                    .and_then(|p| r.fields.get(p))
                    .and_then(|f| f.value.as_ref())
                    .and_then(|v| normalize::canonical(FieldType::Organisation, v.expose()).ok())
                    .is_some_and(|v| v.as_str() == company.as_str());
                if !own {
                    return None;
                }
                if !spec.departments.is_empty() {
                    let d = dept
                        .and_then(|p| r.fields.get(p))
                        .and_then(|f| f.value.as_ref())
                        .and_then(|v| normalize::canonical(FieldType::Department, v.expose()).ok());
                    if !d.is_some_and(|d| spec.departments.contains(d.as_str())) {
                        return None;
                    }
                }
                let row = positions.iter().map(|p| r.fields.get(*p).and_then(|f| f.value.clone())).collect();
                Some((*id, row))
            }));
        }
        Ok(chosen.into_iter().flatten().unzip())
    }

    /// Attests that every copy of a downloaded export was destroyed (its requester).
    pub fn attest_disposal(&self, access: &Access, id: &str) -> Result<Export, ExportError> {
        let (e, _) = self.load_export(id)?;
        if access.principal() != e.requester {
            return Err(self.refuse_export(access, &e, "only the holder attests disposal".to_owned()));
        }
        self.change_export(
            id,
            &|e| {
                if e.state != State::Approved {
                    return Err(ExportError::State(format!("the export is {:?}, nothing to dispose of", e.state)));
                }
                e.state = State::Disposed;
                e.disposed_at = Some(store::now());
                Ok("disposal attested".to_owned())
            },
            access,
        )
    }

    /// Every export (supervisors, security officers, auditors, administrators) or the caller's own.
    pub fn exports(&self, access: &Access) -> Result<Vec<Export>, ExportError> {
        let all = [Role::Supervisor, Role::SecurityOfficer, Role::Auditor, Role::Administrator]
            .iter()
            .any(|r| access.who().roles.contains(r));
        let mut out = Vec::new();
        for id in self.store.document_ids(KIND)? {
            let (e, _) = self.load_export(&id)?;
            if all || e.requester == access.principal() {
                out.push(e);
            }
        }
        Ok(out)
    }

    /// Exports whose disposal is overdue at `now`; each is logged as an alert (security officers, auditors).
    pub fn overdue_disposals(&self, access: &Access, now: i64) -> Result<Vec<Export>, ExportError> {
        self.require_role(
            access,
            &[Role::SecurityOfficer, Role::Auditor],
            "audit:read",
            Action::Export,
            "checking export disposals",
        )?;
        let overdue: Vec<Export> = self.exports(access)?.into_iter().filter(|e| e.disposal_overdue(now)).collect();
        let alerts: Vec<audit::Entry> = overdue
            .iter()
            .map(|e| {
                let mut entry = self.export_entry(
                    access,
                    e,
                    Outcome::Fail,
                    format!("ALERT disposal overdue since {} (holder `{}`)", e.dispose_by(), e.requester),
                );
                entry.fields.clear();
                entry
            })
            .collect();
        self.log(alerts)?;
        Ok(overdue)
    }
}
