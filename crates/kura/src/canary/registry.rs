//! Which export every canary was placed in, indexed by contact point.
//!
//! The registry is a plain value (serialisable with serde) so that the export workflow can store it wherever
//! it keeps export manifests. It guarantees that a contact point (phone number, e-mail alias, mail-drop
//! address, card number) belongs to at most one canary, and so to at most one export, ever: [`Registry::register`]
//! refuses an export whose canaries reuse one. Contact points are keyed by their canonical form, so a letter,
//! call or e-mail that reaches the organisation in any notation finds its export ([`Registry::lookup`]).

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::{Canary, CanaryId, ContactKind, ExportId};
use crate::card::Pan;
use crate::normalize;
use crate::schema::FieldType;

/// A contact point of a canary, in canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Contact {
    /// What kind of contact point.
    pub kind: ContactKind,
    /// Its canonical form (E.164, e-mail with lower-case domain, canonical address, card digits).
    pub canonical: String,
}

/// One registered canary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// The export the canary was placed in.
    pub export: ExportId,
    /// Its contact points.
    pub contacts: Vec<Contact>,
}

/// A contact point that belongs to a canary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit<'a> {
    /// The canary.
    pub canary: &'a CanaryId,
    /// The export it was placed in.
    pub export: &'a ExportId,
    /// Which of its contact points matched.
    pub kind: ContactKind,
}

/// Why an export's canaries could not be registered. Nothing is registered when an error is returned.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegisterError {
    /// Every export carries at least one canary.
    #[error("export `{0}` has no canaries; every export needs at least one")]
    NoCanaries(ExportId),
    /// The export already has canaries.
    #[error("export `{0}` already has registered canaries")]
    ExportTaken(ExportId),
    /// A canary id is already registered.
    #[error("canary `{0}` is already registered")]
    CanaryTaken(CanaryId),
    /// A contact point already belongs to a canary (of this or another export).
    #[error("a {} of canary `{canary}` is already used by export `{export}`", .kind.as_str())]
    ContactTaken {
        /// The kind of contact point (the value itself is not repeated).
        kind: ContactKind,
        /// The canary being registered.
        canary: CanaryId,
        /// The export that holds it.
        export: ExportId,
    },
}

/// The registry of canaries: canary → export, contact point → canary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Stored", into = "Stored")]
pub struct Registry {
    canaries: BTreeMap<CanaryId, Registration>,
    /// Canonical contact point → canary. Canonical forms of different kinds cannot coincide (E.164 starts
    /// with `+`, e-mail has `@`, card numbers are digits only, addresses have letters), so one map serves all.
    by_contact: HashMap<String, CanaryId>,
    /// Export → its canaries.
    by_export: HashMap<ExportId, Vec<CanaryId>>,
    /// Contact points known to be taken without a registration here (claimed by a concurrent or interrupted
    /// approval): never drawn again. Not stored.
    reserved: HashSet<String>,
}

/// What is stored: the registrations only; the indexes are rebuilt on load.
#[derive(Serialize, Deserialize)]
struct Stored {
    canaries: BTreeMap<CanaryId, Registration>,
}

impl From<Stored> for Registry {
    fn from(stored: Stored) -> Registry {
        let mut registry = Registry::default();
        for (id, registration) in stored.canaries {
            registry.insert(id, registration);
        }
        registry
    }
}

impl From<Registry> for Stored {
    fn from(registry: Registry) -> Stored {
        Stored { canaries: registry.canaries }
    }
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Number of registered canaries.
    pub fn len(&self) -> usize {
        self.canaries.len()
    }

    /// Whether no canary is registered.
    pub fn is_empty(&self) -> bool {
        self.canaries.is_empty()
    }

    /// Registers the canaries of one export, all or nothing.
    ///
    /// # Errors
    /// [`RegisterError::NoCanaries`] for an empty list, [`RegisterError::ExportTaken`] when the export was
    /// registered before, [`RegisterError::CanaryTaken`] / [`RegisterError::ContactTaken`] when a canary id or a
    /// contact point is already in use (also within `canaries`).
    pub fn register(&mut self, export: &ExportId, canaries: &[Canary]) -> Result<(), RegisterError> {
        if canaries.is_empty() {
            return Err(RegisterError::NoCanaries(export.clone()));
        }
        if self.by_export.contains_key(export) {
            return Err(RegisterError::ExportTaken(export.clone()));
        }
        let mut ids = std::collections::HashSet::new();
        let mut contacts = HashMap::new();
        for canary in canaries {
            if self.canaries.contains_key(&canary.id) || !ids.insert(&canary.id) {
                return Err(RegisterError::CanaryTaken(canary.id.clone()));
            }
            for contact in &canary.contacts {
                if let Some(holder) = self.by_contact.get(&contact.canonical) {
                    let held_by = self.canaries.get(holder).map_or_else(|| export.clone(), |r| r.export.clone());
                    return Err(RegisterError::ContactTaken {
                        kind: contact.kind,
                        canary: canary.id.clone(),
                        export: held_by,
                    });
                }
                if contacts.insert(&contact.canonical, ()).is_some() {
                    return Err(RegisterError::ContactTaken {
                        kind: contact.kind,
                        canary: canary.id.clone(),
                        export: export.clone(),
                    });
                }
            }
        }
        for canary in canaries {
            self.insert(canary.id.clone(), Registration { export: export.clone(), contacts: canary.contacts.clone() });
        }
        Ok(())
    }

    fn insert(&mut self, id: CanaryId, registration: Registration) {
        for contact in &registration.contacts {
            self.by_contact.insert(contact.canonical.clone(), id.clone());
        }
        self.by_export.entry(registration.export.clone()).or_default().push(id.clone());
        self.canaries.insert(id, registration);
    }

    /// The export a canary was placed in.
    pub fn export_of(&self, canary: &CanaryId) -> Option<&ExportId> {
        self.canaries.get(canary).map(|r| &r.export)
    }

    /// A canary's registration.
    pub fn registration(&self, canary: &CanaryId) -> Option<&Registration> {
        self.canaries.get(canary)
    }

    /// The canaries of an export.
    pub fn canaries_of(&self, export: &ExportId) -> &[CanaryId] {
        self.by_export.get(export).map_or(&[], Vec::as_slice)
    }

    /// Whether a canonical contact point belongs to a canary: the exclusion list for the organisation's own
    /// mailings, calls and e-mail campaigns. Pass the canonical form (see [`crate::normalize::canonical`]).
    pub fn is_canary_contact(&self, canonical: &str) -> bool {
        self.by_contact.contains_key(canonical) || self.reserved.contains(canonical)
    }

    /// Marks a contact point (canonical form) as taken although no canary here holds it: it was claimed
    /// elsewhere. [`super::make`] never draws it.
    pub fn reserve(&mut self, canonical: &str) {
        self.reserved.insert(canonical.to_owned());
    }

    /// The canary holding a contact point given in canonical form.
    pub fn lookup_canonical(&self, canonical: &str) -> Option<Hit<'_>> {
        let id = self.by_contact.get(canonical)?;
        let registration = self.canaries.get(id)?;
        let kind = registration.contacts.iter().find(|c| c.canonical == canonical)?.kind;
        Some(Hit { canary: id, export: &registration.export, kind })
    }

    /// The canary holding a contact point written in any notation: a phone number, e-mail address, mail-drop
    /// address (Japanese or US) or card number, as it reached the organisation. The basis of `kura canary hit`.
    pub fn lookup(&self, raw: &str) -> Option<Hit<'_>> {
        let kinds = [FieldType::Phone, FieldType::Email, FieldType::JpAddress, FieldType::UsAddress];
        kinds
            .iter()
            .filter_map(|&kind| normalize::canonical(kind, raw).ok())
            .chain(Pan::parse(raw).ok().map(|pan| pan.digits().to_owned()))
            .find_map(|canonical| self.lookup_canonical(&canonical))
    }
}
