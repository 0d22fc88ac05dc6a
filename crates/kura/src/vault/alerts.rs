//! Alerts in the vault: the anomaly rules watch every log entry as it is written, honey records trip on any
//! touch, canary contact points on any report; each alert is stored sealed, logged, handed to the alert
//! sinks (the server's webhook) and, where the rule says so, suspends the principal at once.
//!
//! - **Where events come from.** `Vault::log` passes every entry it appended to
//!   `Vault::watch`: reads, searches, export manifests, refusals (denied bursts), downloads refused after
//!   expiry. The detector ([`crate::alerts::rules`]) lives in the process: a long-running `kura serve` sees
//!   the whole stream of its own requests; a one-shot CLI command only its own.
//! - **Honey records** ([`Vault::plant_honey`]) are synthetic people written into the live vault through the
//!   normal write path, imitating real rows, with contact points from the canary pools (registered as the
//!   export `honey:<collection>:<time>`, so exports leave them out and a letter or call to them is a canary
//!   hit). Which records are honey is sealed under the vault's key; an entry that reads, finds or exports one
//!   raises an alert. No legitimate work touches them: no order names them and no export includes them.
//! - **Canary hits** ([`Vault::canary_hit`]): mail, a call or an e-mail reached a canary contact point; the
//!   registry names the export at once, and its requester is the principal of the alert.
//! - **Alerts are never lost silently**: if storing or logging one fails, the failure goes to `tracing` at
//!   error level; the operation that triggered it has already been logged and is not undone.

use std::collections::{BTreeSet, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::exports::ExportError;
use super::{Access, ReadError, Vault};
use crate::alerts::rules::{self, Detector, Event, EventKind, Rule, Severity};
use crate::audit::{self, Action, Entry, Outcome};
use crate::id::RecordId;
use crate::principal::Role;
use crate::store;

const KIND: &str = "alert";
const CONFIG_KIND: &str = "alert-config";
const CONFIG_ID: &str = "rules";
const HONEY_KIND: &str = "honey";
/// How long a process trusts its copy of the honey set and the rules before re-reading them.
const REFRESH: Duration = Duration::from_secs(1);
/// The name alerts, automatic suspensions and honey planting are logged under.
pub const SYSTEM: &str = "kura-alerts";
/// Export ids of honey batches start with this.
pub const HONEY_PREFIX: &str = "honey:";

/// A stored alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Its id.
    pub id: String,
    /// The rule that fired.
    pub rule: Rule,
    /// How serious.
    pub severity: Severity,
    /// The principal it is about (for a canary hit, the export's requester).
    pub principal: String,
    /// When (seconds since the epoch).
    pub at: i64,
    /// What happened: counts, limits, times, export ids; never a personal value.
    pub detail: String,
    /// Whether the principal was suspended because of it.
    pub suspended: bool,
    /// The export, for canary hits.
    pub export: Option<String>,
    /// A note for the reviewers that may hold free text (a break-glass reason): kept in the sealed alert only,
    /// never written to the log.
    #[serde(default)]
    pub note: Option<String>,
}

/// Something that wants every alert as it is raised (the server's webhook).
pub type Sink = Arc<dyn Fn(&Alert) + Send + Sync>;

/// What happened to a canary hit report.
#[derive(Debug, Clone, Serialize)]
pub struct CanaryHit {
    /// The canary whose contact point was reached.
    pub canary: String,
    /// The export it was placed in (or the honey batch).
    pub export: String,
    /// Which kind of contact point (phone, e-mail, mail drop, card).
    pub contact: String,
    /// The export's requester and approver, when it is an export.
    pub requester: Option<String>,
    /// Who approved it.
    pub approver: Option<String>,
    /// The alert raised.
    pub alert: Alert,
}

/// Why an alert operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AlertError {
    /// Not allowed (the refusal is in the log).
    #[error("denied: {0}")]
    Denied(String),
    /// Bad input.
    #[error("{0}")]
    Invalid(String),
    /// The reported contact point is no canary's.
    #[error("no canary or honey record holds that contact point")]
    NotCanary,
    /// Reading, writing or the log failed.
    #[error(transparent)]
    Export(#[from] ExportError),
}

impl From<super::gate::Denied> for AlertError {
    fn from(d: super::gate::Denied) -> AlertError {
        AlertError::Denied(d.0)
    }
}

impl From<ReadError> for AlertError {
    fn from(e: ReadError) -> AlertError {
        AlertError::Export(e.into())
    }
}

impl From<store::Error> for AlertError {
    fn from(e: store::Error) -> AlertError {
        AlertError::Export(e.into())
    }
}

impl From<audit::log::AppendError> for AlertError {
    fn from(e: audit::log::AppendError) -> AlertError {
        AlertError::Export(e.into())
    }
}

/// The per-process watch: detector, honey set, sinks.
#[derive(Default)]
pub(crate) struct Watch {
    detector: Mutex<Option<(Detector, String)>>,
    honey: Mutex<Option<(Instant, Arc<HashSet<audit::Commitment>>)>>,
    config_checked: Mutex<Option<Instant>>,
    sinks: Mutex<Vec<Sink>>,
}

fn touches_data(action: Action) -> bool {
    matches!(
        action,
        Action::Read | Action::Search | Action::Export | Action::Detokenise | Action::Update | Action::Erase
    )
}

impl Vault {
    pub(super) fn system_access(&self, purpose: &str) -> Result<Access, ReadError> {
        Access::custodian(SYSTEM, purpose, "kura").map_err(|e| ReadError::Audit(e.to_string()))
    }

    /// Registers a sink that receives every alert this process raises.
    pub fn on_alert(&self, sink: Sink) {
        if let Ok(mut s) = self.watch.sinks.lock() {
            s.push(sink);
        }
    }

    /// The anomaly rules in force (TOML; empty when the defaults are): administrators, security officers and
    /// auditors; the read is logged.
    pub fn alert_rules(&self, access: &Access) -> Result<String, AlertError> {
        self.require_role(
            access,
            &[Role::Administrator, Role::SecurityOfficer, Role::Auditor],
            "audit:read",
            Action::LogAccess,
            "reading the alert rules",
        )?;
        let mut e = self.entry(access, Action::LogAccess, None, Outcome::Allow);
        e.detail = "alert rules read".to_owned();
        self.log(vec![e])?;
        Ok(self.stored_rules()?)
    }

    fn stored_rules(&self) -> Result<String, ExportError> {
        Ok(match self.open_document(CONFIG_KIND, CONFIG_ID)? {
            Some((b, _)) => {
                String::from_utf8(b).map_err(|_| ExportError::State("the alert rules are damaged".to_owned()))?
            }
            None => String::new(),
        })
    }

    /// Replaces the anomaly rules (administrators and security officers); validated first, logged.
    pub fn set_alert_rules(&self, access: &Access, toml: &str) -> Result<(), AlertError> {
        self.require_role(
            access,
            &[Role::Administrator, Role::SecurityOfficer],
            "principals:admin",
            Action::Alert,
            "setting alert rules",
        )?;
        rules::Config::from_toml(toml).map_err(|e| AlertError::Invalid(e.to_string()))?;
        let mut e = self.entry(access, Action::Alert, None, Outcome::Allow);
        e.detail = "alert rules replaced".to_owned();
        self.log(vec![e])?;
        let sealed = self.seal_document(CONFIG_KIND, CONFIG_ID, toml.as_bytes())?;
        for _ in 0..8 {
            let previous = self.store.document(CONFIG_KIND, CONFIG_ID)?;
            match self.store.put_document(CONFIG_KIND, CONFIG_ID, &sealed, previous.as_deref()) {
                Err(store::Error::Conflict) => continue,
                other => {
                    other?;
                    if let Ok(mut c) = self.watch.config_checked.lock() {
                        *c = None;
                    }
                    return Ok(());
                }
            }
        }
        Err(AlertError::Invalid("too many concurrent changes; try again".to_owned()))
    }

    /// Keeps the detector's rules current (re-read at most once a second; a new text starts a new detector).
    fn refresh_detector(&self) {
        let due = self.watch.config_checked.lock().map(|c| c.is_none_or(|t| t.elapsed() >= REFRESH)).unwrap_or(false);
        if !due {
            return;
        }
        let text = match self.stored_rules() {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(error = %e, "alert rules cannot be read; the previous rules stay in force");
                return;
            }
        };
        if let Ok(mut c) = self.watch.config_checked.lock() {
            *c = Some(Instant::now());
        }
        let Ok(mut d) = self.watch.detector.lock() else { return };
        if d.as_ref().is_some_and(|(_, t)| *t == text) {
            return;
        }
        match rules::Config::from_toml(&text) {
            Ok(config) => *d = Some((Detector::new(config), text)),
            Err(e) if d.is_some() => {
                tracing::error!(error = %e, "stored alert rules are invalid; the previous rules stay in force");
            }
            Err(e) => {
                tracing::error!(error = %e, "stored alert rules are invalid; the default rules are in force");
                *d = Some((Detector::new(rules::Config::default()), text));
            }
        }
    }

    /// The commitments of every honey record (cached for a second).
    fn honey_set(&self) -> Arc<HashSet<audit::Commitment>> {
        if let Ok(h) = self.watch.honey.lock() {
            if let Some((at, set)) = h.as_ref() {
                if at.elapsed() < REFRESH {
                    return Arc::clone(set);
                }
            }
        }
        let mut set = HashSet::new();
        match self.store.document_ids(HONEY_KIND) {
            Ok(ids) => {
                for collection in ids {
                    let Ok(c) = self.collection(&collection) else { continue };
                    match self.honey_records(&collection) {
                        Ok(records) => set.extend(records.iter().map(|r| c.committer.commit(*r))),
                        Err(e) => tracing::error!(error = %e, "honey records cannot be read"),
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "honey records cannot be listed"),
        }
        let set = Arc::new(set);
        if let Ok(mut h) = self.watch.honey.lock() {
            *h = Some((Instant::now(), Arc::clone(&set)));
        }
        set
    }

    pub(super) fn honey_records(&self, collection: &str) -> Result<BTreeSet<RecordId>, ExportError> {
        let Some((bytes, _)) = self.open_document(HONEY_KIND, collection)? else { return Ok(BTreeSet::new()) };
        let ids: Vec<String> =
            serde_json::from_slice(&bytes).map_err(|_| ExportError::State("the honey list is damaged".to_owned()))?;
        ids.iter().map(|s| s.parse().map_err(|_| ExportError::State("the honey list is damaged".to_owned()))).collect()
    }

    /// Runs the anomaly rules and the honey check over entries just appended, and raises what fires.
    pub(super) fn watch(&self, entries: &[Entry]) {
        let relevant: Vec<&Entry> = entries.iter().filter(|e| e.action != Action::Alert).collect();
        if relevant.is_empty() {
            return;
        }
        self.refresh_detector();
        let honey = self.honey_set();
        let now = store::now();
        let mut alerts = Vec::new();
        for e in relevant {
            let team = self.summaries.lock().ok().and_then(|m| m.get(&e.principal).and_then(|(s, _)| s.team.clone()));
            let mut events = Vec::new();
            // A refused request returned nothing (a suspended principal's next attempt, a withheld match): the
            // honey record tripped on the touch that did.
            let returned = e.outcome != Outcome::Deny;
            if returned && touches_data(e.action) && !honey.is_empty() && e.subjects.iter().any(|s| honey.contains(s)) {
                events.push(EventKind::Honey);
            }
            let records = e.subjects.len() as u32;
            let kind = match e.action {
                Action::Read | Action::Detokenise => EventKind::Read,
                Action::Search => EventKind::Search,
                // Approved exports are governed by four eyes, expiry and disposal; they do not count as reads.
                Action::Export if e.outcome == Outcome::Deny && e.detail.contains("the export has expired") => {
                    EventKind::Download { expired: true }
                }
                _ => EventKind::Other,
            };
            events.push(kind);
            let Ok(mut d) = self.watch.detector.lock() else { continue };
            let Some((detector, _)) = d.as_mut() else { continue };
            for kind in events {
                // The honey event is the tripwire; the records are counted once, by the read event.
                let records = match kind {
                    EventKind::Honey => 0,
                    _ => records,
                };
                let event = Event {
                    at: now,
                    principal: e.principal.clone(),
                    team: team.clone(),
                    kind,
                    denied: e.outcome == Outcome::Deny,
                    records,
                };
                alerts.extend(detector.observe(&event));
            }
        }
        for a in alerts {
            if let Err(err) = self.raise(a, None) {
                tracing::error!(error = %err, "an alert could not be stored or logged");
            }
        }
    }

    /// Stores, logs and hands out one alert; suspends its principal if the rule says so.
    pub(super) fn raise(&self, a: rules::Alert, export: Option<String>) -> Result<Alert, AlertError> {
        self.raise_noted(a, export, None)
    }

    /// [`Vault::raise`] with a note kept in the sealed alert only.
    pub(super) fn raise_noted(
        &self,
        a: rules::Alert,
        export: Option<String>,
        note: Option<String>,
    ) -> Result<Alert, AlertError> {
        let id = format!("alert-{}-{}", a.at, hex::encode(rand::random::<[u8; 4]>()));
        let system = self.system_access(&id)?;
        let mut suspended = false;
        let is_person = !a.principal.starts_with("custodian:") && a.principal != SYSTEM;
        if a.suspend && is_person {
            match self.change_principal(&system, &a.principal, super::principals::Change::Suspend) {
                Ok(()) => suspended = true,
                Err(e) => tracing::error!(error = %e, "the principal named by an alert could not be suspended"),
            }
        }
        let alert = Alert {
            id: id.clone(),
            rule: a.rule,
            severity: a.severity,
            principal: a.principal,
            at: a.at,
            detail: a.detail,
            suspended,
            export,
            note,
        };
        let mut e = self.entry(&system, Action::Alert, None, Outcome::Fail);
        e.detail = format!(
            "ALERT {id}: {} ({:?}) for `{}`: {}{}",
            serde_json::to_value(alert.rule).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
            alert.severity,
            alert.principal,
            alert.detail,
            if suspended { "; principal suspended" } else { "" }
        );
        self.log(vec![e])?;
        let json = serde_json::to_vec(&alert).map_err(|e| AlertError::Invalid(e.to_string()))?;
        let sealed = self.seal_document(KIND, &id, &json)?;
        self.store.put_document(KIND, &id, &sealed, None)?;
        let sinks: Vec<Sink> = self.watch.sinks.lock().map(|s| s.clone()).unwrap_or_default();
        for sink in sinks {
            sink(&alert);
        }
        Ok(alert)
    }

    /// Every stored alert, newest first (security officers and auditors); the query is logged.
    pub fn alerts(&self, access: &Access) -> Result<Vec<Alert>, AlertError> {
        self.require_role(
            access,
            &[Role::SecurityOfficer, Role::Auditor],
            "audit:read",
            Action::LogAccess,
            "listing alerts",
        )?;
        let mut e = self.entry(access, Action::LogAccess, None, Outcome::Allow);
        e.detail = "alerts listed".to_owned();
        self.log(vec![e])?;
        let mut out = Vec::new();
        for id in self.store.document_ids(KIND)? {
            let Some((bytes, _)) = self.open_document(KIND, &id)? else { continue };
            let a: Alert =
                serde_json::from_slice(&bytes).map_err(|_| AlertError::Invalid(format!("alert `{id}` is damaged")))?;
            if a.id != id {
                return Err(AlertError::Invalid(format!("alert `{id}` is damaged")));
            }
            out.push(a);
        }
        out.sort_by(|a, b| b.at.cmp(&a.at).then(b.id.cmp(&a.id)));
        Ok(out)
    }

    /// A report that mail, a call or an e-mail reached `contact` (any notation): names the canary's export at
    /// once and raises an alert against its requester (security officers, or a service with `audit:read`
    /// acting for one). A honey record's contact point raises a honey alert: the data left the vault.
    pub fn canary_hit(
        &self,
        access: &Access,
        contact: &str,
        channel: &str,
        note: &str,
    ) -> Result<CanaryHit, AlertError> {
        self.require_role(access, &[Role::SecurityOfficer], "audit:read", Action::Alert, "reporting a canary hit")?;
        if channel.len() > 64 || note.len() > 512 || note.contains(['\n', '\r']) {
            return Err(AlertError::Invalid(
                "the channel is at most 64 and the note at most 512 characters, one line".to_owned(),
            ));
        }
        let registry = self.canary_registry()?;
        let Some(hit) = registry.lookup(contact) else {
            let mut e = self.entry(access, Action::Alert, None, Outcome::Fail);
            e.detail = format!("canary hit reported via {channel}: no canary holds the contact point");
            self.log(vec![e])?;
            return Err(AlertError::NotCanary);
        };
        let canary = hit.canary.as_str().to_owned();
        let export = hit.export.as_str().to_owned();
        let kind = hit.kind.as_str().to_owned();
        let honey = export.starts_with(HONEY_PREFIX);
        let (requester, approver) = if honey {
            (None, None)
        } else {
            match self.load_export(&export) {
                Ok((e, _)) => (Some(e.requester), e.decided_by),
                Err(_) => (None, None),
            }
        };
        let mut e = self.entry(access, Action::Alert, None, Outcome::Allow);
        e.detail = format!("canary hit reported via {channel}: canary `{canary}` of `{export}` ({kind}); {note}");
        if let Ok((x, _)) = self.load_export(&export) {
            if let Ok(c) = self.collection(&x.spec.collection) {
                e.subjects.push(c.committer.commit_tag("export", &export));
            }
        }
        self.log(vec![e])?;
        self.refresh_detector();
        let principal = requester.clone().unwrap_or_else(|| "(outside kura: a copy of the vault's data)".to_owned());
        let event = Event {
            at: store::now(),
            principal,
            team: None,
            kind: if honey { EventKind::Honey } else { EventKind::CanaryHit { export: export.clone() } },
            denied: false,
            records: 1,
        };
        let fired = match self.watch.detector.lock() {
            Ok(mut d) => d.as_mut().map(|(det, _)| det.observe(&event)).unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        let mut raised = None;
        for a in fired {
            let mut a = a;
            if honey {
                a.detail =
                    format!("a honey record's {kind} was contacted via {channel}: the vault's data is outside it");
                a.suspend = false;
            }
            raised = Some(self.raise(a, Some(export.clone()))?);
        }
        let alert = raised.ok_or_else(|| AlertError::Invalid("the canary rule raised no alert".to_owned()))?;
        Ok(CanaryHit { canary, export, contact: kind, requester, approver, alert })
    }

    /// Plants `n` honey records in `collection` (administrators): synthetic people imitating the real rows,
    /// with contact points from the canary pools, written through the normal path. Returns how many.
    pub fn plant_honey(&self, access: &Access, collection: &str, n: usize) -> Result<usize, AlertError> {
        self.require_role(access, &[Role::Administrator], "principals:admin", Action::Alert, "planting honey records")?;
        if n == 0 || n > crate::canary::MAX_PER_EXPORT {
            return Err(AlertError::Invalid(format!(
                "plant 1 to {} honey records at a time",
                crate::canary::MAX_PER_EXPORT
            )));
        }
        let c = self.collection(collection)?;
        let pools = self.canary_pools()?;
        // The rows to imitate: the first records of the collection (all companies, as stored).
        let sample = self.sample_rows(&c, 2_000)?;
        if sample.is_empty() {
            return Err(AlertError::Invalid("the collection holds no records to imitate".to_owned()));
        }
        let batch = crate::canary::ExportId::new(format!(
            "{HONEY_PREFIX}{collection}:{}:{}",
            store::now(),
            hex::encode(rand::random::<[u8; 4]>())
        ));
        let secret: [u8; 32] = rand::random();
        let req =
            crate::canary::Request { schema: &c.schema, export: &batch, count: n, secret: &secret, rows: &sample };
        let canaries = self.make_and_register(&pools, &req)?;
        let rows: Vec<super::input::Values> = canaries
            .iter()
            .map(|k| {
                let raw: Vec<Option<&str>> = k.row.iter().map(|v| (!v.is_empty()).then_some(v.as_str())).collect();
                super::input::validate(&c.schema, &raw).map_err(|p| {
                    AlertError::Invalid(format!(
                        "a honey row is invalid: {}",
                        p.first().map(ToString::to_string).unwrap_or_default()
                    ))
                })
            })
            .collect::<Result<_, _>>()?;
        let written = self.write(access, collection, rows, &mut |_| {}).map_err(|e| match e {
            super::WriteError::Read(ReadError::Denied(why)) => AlertError::Denied(why),
            other => AlertError::Invalid(other.to_string()),
        })?;
        for _ in 0..8 {
            let previous = self.store.document(HONEY_KIND, collection)?;
            let mut all = self.honey_records(collection)?;
            all.extend(written.ids.iter().copied());
            let list: Vec<String> = all.iter().map(ToString::to_string).collect();
            let json = serde_json::to_vec(&list).map_err(|e| AlertError::Invalid(e.to_string()))?;
            let sealed = self.seal_document(HONEY_KIND, collection, &json)?;
            match self.store.put_document(HONEY_KIND, collection, &sealed, previous.as_deref()) {
                Ok(()) => {
                    if let Ok(mut h) = self.watch.honey.lock() {
                        *h = None;
                    }
                    let mut e = self.entry(access, Action::Alert, Some(collection), Outcome::Allow);
                    e.detail = format!("{} honey records planted", written.ids.len());
                    self.log(vec![e])?;
                    return Ok(written.ids.len());
                }
                Err(store::Error::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AlertError::Invalid("too many concurrent changes; try again".to_owned()))
    }

    /// Up to `limit` rows of a collection by schema position, decrypted for imitation only.
    fn sample_rows(&self, c: &super::Loaded, limit: usize) -> Result<Vec<crate::canary::Row>, ExportError> {
        let mut out = Vec::new();
        for id in self.store.record_ids(c.id, limit)? {
            let r = self.reveal_all(c, id)?;
            out.push(
                r.fields.iter().map(|f| f.value.as_ref().map(|v| v.expose().to_owned()).unwrap_or_default()).collect(),
            );
        }
        Ok(out)
    }
}
