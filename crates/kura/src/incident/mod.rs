//! Incident response: what happened, whose data is out, which duties follow and by when, and the drafts of
//! the reports.
//!
//! - [`Facts`] is everything kura knows about an incident — its scope, the exposure computed from the access
//!   log, the timeline — plus what a person has stated (the cause, the measures). The vault builds it
//!   (`crate::vault::incidents`); this module never reads the vault.
//! - [`duties`] classifies the facts against the reporting rules (APPI and its enforcement rules, GDPR
//!   Art. 33/34, PCI DSS) and computes deadlines.
//! - [`drafts`] writes the report drafts as [`crate::render::document::Document`]s, with what kura cannot
//!   know left as blanks for a person to fill.

pub mod drafts;
pub mod duties;

use serde::{Deserialize, Serialize};

use crate::schema::Classification;

/// What kind of incident it is, which decides what "exposed" means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Scenario {
    /// Personal data was read through the vault by principals in scope (an insider, a stolen token).
    Access,
    /// Exported files left the organisation (e.g. a leak traced to an export).
    Export,
    /// A copy of the database files was taken. What is exposed is what can be read without the keys.
    StolenDatabase {
        /// Whether the keys are kept apart from the database (a key file or HSM elsewhere): the condition of
        /// the "advanced encryption" exemption.
        keys_separate: bool,
    },
}

/// One field's exposure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldExposure {
    /// The field's name in the collection's schema (qualified by the collection when an incident spans several).
    pub name: String,
    /// Its type, which the drafts name it by for readers outside the organisation (`氏名`, `電話番号`).
    #[serde(default)]
    pub kind: Option<crate::schema::FieldType>,
    /// Its classification.
    pub classification: Classification,
    /// How many data subjects had this field read or exported in scope.
    pub subjects: u64,
    /// How many of those saw it in the clear (the rest masked).
    pub plain: u64,
}

/// Whose data is out, as counts (the subject list itself stays in the vault).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exposure {
    /// Data subjects whose personal data was read or exported in scope ("did view").
    pub subjects: u64,
    /// Data subjects the principals in scope were allowed to view under the policies ("could have viewed").
    pub could_have_viewed: u64,
    /// Exposed subjects per client company (canonical company name), largest first.
    pub by_company: Vec<(String, u64)>,
    /// Exposed subjects per field classification: a subject counts under every class of which at least one
    /// field was exposed.
    pub by_class: Vec<(Classification, u64)>,
    /// Per field.
    pub fields: Vec<FieldExposure>,
    /// Exposed subjects who are in the EU (by phone country code or as stated by a person).
    pub eu_subjects: u64,
    /// For a stolen database: the fields readable without the keys (none, if encryption did its job).
    pub readable_without_keys: Vec<String>,
    /// Honey records among the exposed (synthetic people; not data subjects, not counted above).
    pub honey: u64,
    /// Canary records among the exposed (synthetic people; not data subjects, not counted above).
    pub canaries: u64,
}

/// Where a timeline entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The access log (the entry's sequence number is in the text).
    Log,
    /// Written by a person.
    Manual,
}

/// One timeline entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// When (seconds since the epoch, UTC).
    pub at: i64,
    /// Where it comes from.
    pub source: Source,
    /// What happened. Never a personal value.
    pub text: String,
}

/// What a person has stated about an incident: the items kura cannot know. `None` is a blank to fill.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statements {
    /// The organisation reporting (法人名).
    pub organisation: Option<String>,
    /// Who to contact about the incident (name, department, phone, e-mail).
    pub contact: Option<String>,
    /// The cause (原因), beyond what the log shows.
    pub cause: Option<String>,
    /// Secondary damage observed or feared (二次被害又はそのおそれの有無及びその内容).
    pub secondary_damage: Option<String>,
    /// What is being done for the people concerned (本人への対応の実施状況).
    pub response_to_individuals: Option<String>,
    /// Whether and how the incident is made public (公表の実施状況).
    pub publication: Option<String>,
    /// Measures against recurrence (再発防止のための措置).
    pub prevention: Option<String>,
    /// Anything else (その他参考となる事項).
    pub other: Option<String>,
    /// Where the people concerned can ask (the notice's and statement's contact point).
    pub inquiry_desk: Option<String>,
}

/// Everything known about an incident, as the duties and the drafts take it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    /// The incident's id, e.g. `INC-20261128-3F9A`.
    pub id: String,
    /// A short title (no personal data).
    pub title: String,
    /// When it was detected (seconds since the epoch).
    pub detected_at: i64,
    /// When the organisation learned of it (覚知): the start of every deadline.
    pub learned_at: i64,
    /// The kind of incident.
    pub scenario: Scenario,
    /// Whether it was done with an unauthorised purpose (不正の目的: theft, misuse by an insider, an attack).
    pub unauthorised_purpose: bool,
    /// The principals in scope (who read or exported), by name.
    pub principals: Vec<String>,
    /// The exports in scope, by id.
    pub exports: Vec<String>,
    /// The time window in scope (seconds since the epoch), if any.
    pub window: Option<(i64, i64)>,
    /// The exposure computed from the log.
    pub exposure: Exposure,
    /// The timeline, oldest first.
    pub timeline: Vec<Event>,
    /// What a person has stated.
    pub statements: Statements,
    /// The report's version: 1 is the first (速報); each amendment adds one.
    pub version: u32,
    /// Whether this version is the final report (確報).
    pub is_final: bool,
}
