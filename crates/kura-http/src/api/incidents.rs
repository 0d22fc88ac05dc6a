//! Incident response: open an incident, state what kura cannot know, compute its exact exposure from the
//! access log, assess the reporting duties and their deadlines, draft the reports (JSON with Markdown and
//! HTML, or one draft as PDF) and request the notice list as a governed export. Security officers do all of
//! it (token scope `audit:read`); auditors read incidents. The vault decides and logs every step; the log
//! names the incident, never a note's or a statement's text.
//!
//! A stolen database is not opened here: its exposure is what a scan of the copy's files finds, and the
//! server neither receives files nor knows its own store's files (the store may be PostgreSQL, and the vault
//! hides it behind a trait). `kura incident open --scenario stolen-database` on the vault's host does it.
//!
//! [`watch_deadlines`] is the background check a long-running server runs: every required duty of every open
//! incident due within a day, or overdue, raises one alert, which reaches the alert sinks (the webhook) like
//! every other alert.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::IntoResponse;
use http::{header, HeaderValue, StatusCode};
use kura::incident::duties::{self, Assessment, Duty, Text};
use kura::incident::{Event, Exposure, Scenario, Statements};
use kura::principal::Role;
use kura::render::document::Document;
use kura::vault::incidents::{Analysis, Drafts, Incident, NewIncident, Scope, Status, Update};
use kura::Vault;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::alerts::name;
use super::errors::VaultResponses;
use super::exports::ExportOut;
use super::{access, blocking, ApiState, Params, PurposeHeaders};
use crate::auth::{Caller, Purpose};
use crate::error::{AuthResponses, BodyResponses, PurposeResponses};
use crate::{ApiError, Json};

/// How often [`watch_deadlines`] runs under `kura serve`.
pub const DEADLINE_CHECK_EVERY: Duration = Duration::from_secs(5 * 60);

pub(super) fn routes(state: ApiState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(list, open))
        .routes(routes!(show, update))
        .routes(routes!(note))
        .routes(routes!(exposure))
        .routes(routes!(duties_now))
        .routes(routes!(draft))
        .routes(routes!(pdf))
        .routes(routes!(notice_list))
        .with_state(state)
}

/// Checks the deadlines of every open incident now and then every `every`, as the vault itself, until the task
/// is dropped or aborted: each required duty due within a day, or overdue, raises one alert (once per duty
/// and kind), stored and logged by the vault and handed to its alert sinks, so the webhook gets it too.
/// Failures are logged and the next round tries again.
pub async fn watch_deadlines(vault: Arc<Vault>, every: Duration) {
    loop {
        let v = Arc::clone(&vault);
        match tokio::task::spawn_blocking(move || v.check_incident_deadlines(kura::store::now())).await {
            Ok(Ok(raised)) if !raised.is_empty() => {
                tracing::info!(alerts = raised.len(), "incident deadline alerts raised")
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "incident deadlines not checked"),
            Err(_) => tracing::error!("the incident deadline check panicked"),
        }
        tokio::time::sleep(every).await;
    }
}

/// The kind of incident.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScenarioName {
    /// Personal data was read through the vault by principals in scope (an insider, a stolen token).
    Access,
    /// Exported files left the organisation (e.g. a leak traced to an export).
    Export,
    /// A copy of the database files was taken. Refused over HTTP with 422 `invalid_incident`: open it with
    /// `kura incident open --scenario stolen-database` on the vault's host, which scans the copy's files.
    StolenDatabase,
}

/// A time window, both ends included (Unix seconds).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// Start.
    pub from: i64,
    /// End.
    pub to: i64,
}

/// A new incident.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIncidentIn {
    /// A short title (1 to 200 characters; no personal data).
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// The collections whose people are concerned (at least one).
    #[schema(min_items = 1, max_items = 100)]
    pub collections: Vec<String>,
    /// When it was detected (Unix seconds).
    pub detected_at: i64,
    /// When the organisation learned of it (Unix seconds): the start of every deadline.
    pub learned_at: i64,
    /// The kind of incident.
    pub scenario: ScenarioName,
    /// For `stolen_database` only: whether the keys were kept apart from the database.
    #[serde(default)]
    pub keys_separate: Option<bool>,
    /// Whether it was done, or possibly done, with an unauthorised purpose (不正の目的; default false).
    #[serde(default)]
    pub unauthorised_purpose: bool,
    /// The principals whose accesses are in scope.
    #[serde(default)]
    #[schema(max_items = 1000)]
    pub principals: Vec<String>,
    /// The exports whose files are in scope (e.g. from a trace).
    #[serde(default)]
    #[schema(max_items = 1000)]
    pub exports: Vec<String>,
    /// The time window in scope; none: the whole log.
    #[serde(default)]
    pub window: Option<Window>,
}

/// What a person has stated: the items kura cannot know. A missing or null item is a blank in the drafts.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatementsBody {
    /// The organisation reporting (法人名).
    #[schema(max_length = 2000)]
    pub organisation: Option<String>,
    /// Who to contact about the incident.
    #[schema(max_length = 2000)]
    pub contact: Option<String>,
    /// The cause (原因), beyond what the log shows.
    #[schema(max_length = 2000)]
    pub cause: Option<String>,
    /// Secondary damage observed or feared.
    #[schema(max_length = 2000)]
    pub secondary_damage: Option<String>,
    /// What is being done for the people concerned.
    #[schema(max_length = 2000)]
    pub response_to_individuals: Option<String>,
    /// Whether and how the incident is made public.
    #[schema(max_length = 2000)]
    pub publication: Option<String>,
    /// Measures against recurrence.
    #[schema(max_length = 2000)]
    pub prevention: Option<String>,
    /// Anything else.
    #[schema(max_length = 2000)]
    pub other: Option<String>,
    /// Where the people concerned can ask.
    #[schema(max_length = 2000)]
    pub inquiry_desk: Option<String>,
}

impl From<StatementsBody> for Statements {
    fn from(s: StatementsBody) -> Statements {
        Statements {
            organisation: s.organisation,
            contact: s.contact,
            cause: s.cause,
            secondary_damage: s.secondary_damage,
            response_to_individuals: s.response_to_individuals,
            publication: s.publication,
            prevention: s.prevention,
            other: s.other,
            inquiry_desk: s.inquiry_desk,
        }
    }
}

impl From<Statements> for StatementsBody {
    fn from(s: Statements) -> StatementsBody {
        StatementsBody {
            organisation: s.organisation,
            contact: s.contact,
            cause: s.cause,
            secondary_damage: s.secondary_damage,
            response_to_individuals: s.response_to_individuals,
            publication: s.publication,
            prevention: s.prevention,
            other: s.other,
            inquiry_desk: s.inquiry_desk,
        }
    }
}

/// Where an incident stands.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusName {
    /// Being investigated.
    Open,
    /// A report has gone out; amendments may follow.
    Reported,
    /// The final report is out and the incident is closed.
    Closed,
}

impl From<StatusName> for Status {
    fn from(s: StatusName) -> Status {
        match s {
            StatusName::Open => Status::Open,
            StatusName::Reported => Status::Reported,
            StatusName::Closed => Status::Closed,
        }
    }
}

/// A change to an incident's facts: only the fields given change (at least one).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentChange {
    /// Replaces every statement (an item left out becomes a blank again).
    #[serde(default)]
    pub statements: Option<StatementsBody>,
    /// Whether it was done with an unauthorised purpose.
    #[serde(default)]
    pub unauthorised_purpose: Option<bool>,
    /// The number of EU data subjects as stated by a person; null: counted from phone numbers' country codes.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u64>, minimum = 0)]
    pub eu_subjects: Option<Option<u64>>,
    /// Moves it (`closed` once the final report is sent; from `closed`, reopens it).
    #[serde(default)]
    pub status: Option<StatusName>,
}

/// A field that is present, with or without a value (`null`): absent stays `None` through `default`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<u64>>, D::Error> {
    Option::<u64>::deserialize(d).map(Some)
}

/// A manual timeline entry.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteIn {
    /// When it happened (Unix seconds).
    pub at: i64,
    /// What happened (1 to 2000 characters, no control characters but line breaks and tabs).
    #[schema(min_length = 1, max_length = 2000)]
    pub text: String,
}

/// One timeline entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventOut {
    /// When (Unix seconds).
    pub at: i64,
    /// `log` (the access log; the entry's sequence number is in the text) or `manual`.
    pub source: String,
    /// What happened. Never a personal value from the log; a manual note is as written.
    pub text: String,
}

impl From<Event> for EventOut {
    fn from(e: Event) -> EventOut {
        EventOut { at: e.at, source: name(e.source), text: e.text }
    }
}

/// One version of the report drafts.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportVersionOut {
    /// 1 for the first (速報), counting up.
    pub version: u32,
    /// When it was drafted (Unix seconds).
    pub at: i64,
    /// By whom.
    pub by: String,
    /// Whether it is the final report (確報).
    #[serde(rename = "final")]
    pub is_final: bool,
    /// SHA-256 of the facts it was drafted from (hex).
    pub digest: String,
    /// The number of data subjects it reported.
    pub subjects: u64,
    /// The duties it found required (step names).
    pub required: Vec<String>,
}

/// One change of an incident.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeOut {
    /// When (Unix seconds).
    pub at: i64,
    /// Who.
    pub by: String,
    /// What, without the text of notes or statements.
    pub what: String,
}

/// An incident as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentOut {
    /// Id, e.g. `INC-20261128-3F9A`.
    pub id: String,
    /// A short title.
    pub title: String,
    /// `open`, `reported` or `closed`.
    pub status: String,
    /// When it was detected (Unix seconds).
    pub detected_at: i64,
    /// When the organisation learned of it (Unix seconds).
    pub learned_at: i64,
    /// `access`, `export` or `stolen_database`.
    pub scenario: String,
    /// For a stolen database: whether the keys were kept apart.
    pub keys_separate: Option<bool>,
    /// Whether it was done with an unauthorised purpose.
    pub unauthorised_purpose: bool,
    /// The collections whose people are concerned.
    pub collections: Vec<String>,
    /// The time window in scope.
    pub window: Option<Window>,
    /// The principals in scope.
    pub principals: Vec<String>,
    /// The exports in scope.
    pub exports: Vec<String>,
    /// For a stolen database: how many files of the copy were given (their paths stay on the server).
    pub copy_files: usize,
    /// What people have stated.
    pub statements: StatementsBody,
    /// EU data subjects as stated by a person; null: counted from phone numbers.
    pub eu_subjects: Option<u64>,
    /// Manual timeline entries, oldest first.
    pub notes: Vec<EventOut>,
    /// The report versions drafted so far.
    pub reports: Vec<ReportVersionOut>,
    /// Every change, oldest first.
    pub history: Vec<ChangeOut>,
    /// The deadline alerts already raised (`<step>:soon`, `<step>:overdue`).
    pub alerted: Vec<String>,
    /// Who opened it.
    pub opened_by: String,
    /// When (Unix seconds).
    pub opened_at: i64,
}

fn scenario_parts(s: Scenario) -> (String, Option<bool>) {
    match s {
        Scenario::Access => ("access".to_owned(), None),
        Scenario::Export => ("export".to_owned(), None),
        Scenario::StolenDatabase { keys_separate } => ("stolen_database".to_owned(), Some(keys_separate)),
    }
}

impl From<Incident> for IncidentOut {
    fn from(i: Incident) -> IncidentOut {
        let (scenario, keys_separate) = scenario_parts(i.scenario);
        IncidentOut {
            id: i.id,
            title: i.title,
            status: i.status.as_str().to_owned(),
            detected_at: i.detected_at,
            learned_at: i.learned_at,
            scenario,
            keys_separate,
            unauthorised_purpose: i.unauthorised_purpose,
            collections: i.scope.collections.into_iter().collect(),
            window: i.scope.window.map(|(from, to)| Window { from, to }),
            principals: i.scope.principals.into_iter().collect(),
            exports: i.scope.exports.into_iter().collect(),
            copy_files: i.scope.copy.len(),
            statements: i.statements.into(),
            eu_subjects: i.eu_subjects,
            notes: i.notes.into_iter().map(Into::into).collect(),
            reports: i
                .reports
                .into_iter()
                .map(|r| ReportVersionOut {
                    version: r.version,
                    at: r.at,
                    by: r.by,
                    is_final: r.is_final,
                    digest: r.digest,
                    subjects: r.subjects,
                    required: r.required,
                })
                .collect(),
            history: i.history.into_iter().map(|c| ChangeOut { at: c.at, by: c.by, what: c.what }).collect(),
            alerted: i.alerted.into_iter().collect(),
            opened_by: i.opened_by,
            opened_at: i.opened_at,
        }
    }
}

/// A count under a name (a client company, a classification).
#[derive(Debug, Serialize, ToSchema)]
pub struct CountOut {
    /// The name.
    pub name: String,
    /// How many data subjects.
    pub subjects: u64,
}

/// One field's exposure.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldExposureOut {
    /// The field's name in the collection's schema.
    pub name: String,
    /// `internal`, `personal`, `sensitive` or `payment`.
    pub classification: String,
    /// Data subjects who had this field read or exported in scope.
    pub subjects: u64,
    /// How many of those saw it in the clear (the rest masked).
    pub plain: u64,
}

/// Whose data is out, as counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExposureOut {
    /// Data subjects whose personal data was read or exported in scope ("did view").
    pub subjects: u64,
    /// Data subjects the principals in scope were allowed to view ("could have viewed").
    pub could_have_viewed: u64,
    /// Exposed subjects per client company, largest first.
    pub by_company: Vec<CountOut>,
    /// Exposed subjects per field classification.
    pub by_class: Vec<CountOut>,
    /// Per field.
    pub fields: Vec<FieldExposureOut>,
    /// Exposed subjects in the EU (by phone country code, or as stated).
    pub eu_subjects: u64,
    /// For a stolen database: the fields readable without the keys.
    pub readable_without_keys: Vec<String>,
    /// Honey records among the exposed (synthetic; not counted above).
    pub honey: u64,
    /// Canary records among the exposed (synthetic; not counted above).
    pub canaries: u64,
}

impl From<Exposure> for ExposureOut {
    fn from(x: Exposure) -> ExposureOut {
        ExposureOut {
            subjects: x.subjects,
            could_have_viewed: x.could_have_viewed,
            by_company: x.by_company.into_iter().map(|(name, subjects)| CountOut { name, subjects }).collect(),
            by_class: x.by_class.into_iter().map(|(c, subjects)| CountOut { name: name(c), subjects }).collect(),
            fields: x
                .fields
                .into_iter()
                .map(|f| FieldExposureOut {
                    name: f.name,
                    classification: name(f.classification),
                    subjects: f.subjects,
                    plain: f.plain,
                })
                .collect(),
            eu_subjects: x.eu_subjects,
            readable_without_keys: x.readable_without_keys,
            honey: x.honey,
            canaries: x.canaries,
        }
    }
}

/// An incident's exposure computed from the log now.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnalysisOut {
    /// The counts.
    pub exposure: ExposureOut,
    /// The timeline from the log, oldest first.
    pub timeline: Vec<EventOut>,
    /// The record ids (UUIDs) of the data subjects whose data was read or exported in scope, sorted (real
    /// records only; ids, not personal values).
    pub subjects: Vec<String>,
}

impl From<Analysis> for AnalysisOut {
    fn from(a: Analysis) -> AnalysisOut {
        AnalysisOut {
            exposure: a.exposure.into(),
            timeline: a.timeline.into_iter().map(Into::into).collect(),
            subjects: a.subjects.iter().map(ToString::to_string).collect(),
        }
    }
}

/// A text in Japanese and in English.
#[derive(Debug, Serialize, ToSchema)]
pub struct TextOut {
    /// Japanese.
    pub ja: String,
    /// English.
    pub en: String,
}

impl From<Text> for TextOut {
    fn from(t: Text) -> TextOut {
        TextOut { ja: t.ja, en: t.en }
    }
}

/// One step of one regime, with whether it is required, why and by when.
#[derive(Debug, Serialize, ToSchema)]
pub struct DutyOut {
    /// `appi`, `gdpr` or `pci`.
    pub regime: String,
    /// `appi_preliminary`, `appi_final`, `appi_notice`, `gdpr_authority`, `gdpr_subjects` or
    /// `pci_notification`.
    pub step: String,
    /// Whether the step is required.
    pub required: bool,
    /// The grounds that bring the step into play (`sensitive`, `payment`, `unauthorised_purpose`,
    /// `over_thousand`, `eu_subjects`).
    pub grounds: Vec<String>,
    /// When it is due (Unix seconds), if required and the rule fixes a deadline.
    pub due_at: Option<i64>,
    /// Seconds left until then (negative once past it).
    pub remaining_secs: Option<i64>,
    /// Whether it is required and its deadline has passed.
    pub overdue: bool,
    /// The deadline as the rule puts it.
    pub due_text: TextOut,
    /// The legal basis.
    pub basis: String,
    /// A short label.
    pub label: TextOut,
    /// Why the step is, or is not, required.
    pub why: TextOut,
}

/// The reporting duties of an incident's facts at a moment.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentOut {
    /// The moment `remaining_secs` and `overdue` are computed for (Unix seconds).
    pub at: i64,
    /// Every step of every regime, required or not.
    pub duties: Vec<DutyOut>,
    /// The conditions the facts meet.
    pub grounds: Vec<String>,
    /// The exemption that applies (`encrypted`), if any.
    pub exempt: Option<String>,
}

impl AssessmentOut {
    fn new(a: Assessment, now: i64) -> AssessmentOut {
        let duty = |d: Duty| DutyOut {
            regime: name(d.regime),
            step: name(d.step),
            required: d.required,
            remaining_secs: d.remaining(now),
            overdue: d.overdue(now),
            grounds: d.grounds.iter().map(|g| name(*g)).collect(),
            due_at: d.due_at,
            due_text: d.due_text.into(),
            basis: d.basis,
            label: d.label.into(),
            why: d.why.into(),
        };
        AssessmentOut {
            at: now,
            grounds: a.grounds.iter().map(|g| name(*g)).collect(),
            exempt: a.exempt.map(name),
            duties: a.duties.into_iter().map(duty).collect(),
        }
    }
}

/// Which report version to draft.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftIn {
    /// Whether it is the final report (確報); default false (the preliminary report, or an amendment). Once a
    /// final report is drafted, every later version must be final too.
    #[serde(default, rename = "final")]
    pub is_final: bool,
}

/// One draft document.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentOut {
    /// `ppc-report`, `gdpr-notification` (only with data subjects in the EU), `notice-to-individuals` or
    /// `public-statement`; `GET …/reports/{name}.pdf` renders it as PDF.
    pub name: String,
    /// The title.
    pub title: String,
    /// Markdown.
    pub markdown: String,
    /// One self-contained HTML file.
    pub html: String,
    /// What the blanks still ask for, in order: a draft with blanks left is not ready to send.
    pub blanks: Vec<String>,
}

/// A version of the report drafts.
#[derive(Debug, Serialize, ToSchema)]
pub struct DraftsOut {
    /// The version: 1 is the first (速報); each amendment adds one.
    pub version: u32,
    /// Whether it is the final report (確報).
    #[serde(rename = "final")]
    pub is_final: bool,
    /// The drafts.
    pub documents: Vec<DocumentOut>,
    /// The duties of the facts they were drafted from.
    pub duties: AssessmentOut,
}

impl DraftsOut {
    fn new(d: Drafts, now: i64) -> DraftsOut {
        let documents = d
            .documents
            .iter()
            .map(|(stem, doc)| DocumentOut {
                name: (*stem).to_owned(),
                title: doc.title.clone(),
                markdown: kura::render::document::to_markdown(doc),
                html: kura::render::document::to_html(doc),
                blanks: doc.fills().into_iter().map(str::to_owned).collect(),
            })
            .collect();
        DraftsOut {
            version: d.facts.version,
            is_final: d.facts.is_final,
            documents,
            duties: AssessmentOut::new(d.assessment, now),
        }
    }
}

/// The notice list's export.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeListIn {
    /// The collection of the people to notify; needed when the incident concerns more than one.
    #[serde(default)]
    pub collection: Option<String>,
    /// The contact fields to export, in output order.
    #[schema(min_items = 1)]
    pub fields: Vec<String>,
    /// `csv-utf8`, `csv-shift-jis`, `xlsx` or `labels`.
    #[schema(pattern = "^(csv-utf8|csv-shift-jis|xlsx|labels)$")]
    pub format: String,
    /// Who receives it (a reference, e.g. the mailing house).
    pub recipient: String,
}

/// The incident id in the path; one that is not of the form `INC-YYYYMMDD-XXXX` is a 404 like an unknown one.
fn incident_id(p: &Params) -> Result<String, ApiError> {
    let id = p.get("id")?;
    let well_formed = id.len() == 17
        && id.starts_with("INC-")
        && id.char_indices().all(|(i, c)| match i {
            0..=3 => true,
            4..=11 => c.is_ascii_digit(),
            12 => c == '-',
            _ => c.is_ascii_digit() || ('A'..='F').contains(&c),
        });
    if well_formed {
        Ok(id.to_owned())
    } else {
        Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such incident"))
    }
}

fn invalid(message: &'static str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_incident", message)
}

/// Whether the vault would let `a` open an incident (a security officer, not suspended, with `audit:read`).
/// Only decides whether the body is checked here before the vault is asked: the vault decides, and logs,
/// either way.
fn may_open(a: &kura::Access) -> bool {
    let who = a.who();
    who.roles.contains(&Role::SecurityOfficer) && !who.suspended && a.has_scope("audit:read")
}

/// Opens an incident (security officers, token scope `audit:read`). `stolen_database` is refused with 422
/// `invalid_incident`: the copy's files cannot be sent over HTTP; use `kura incident open --scenario stolen-database`. Logged.
#[utoipa::path(post, path = "/v1/incidents", tag = "incidents", params(PurposeHeaders), request_body = NewIncidentIn,
    security(("bearer" = [])),
    responses((status = 201, description = "Opened", body = IncidentOut), AuthResponses, BodyResponses,
        PurposeResponses, VaultResponses))]
async fn open(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    Json(body): Json<NewIncidentIn>,
) -> Result<(StatusCode, Json<IncidentOut>), ApiError> {
    let i = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        let scenario = match body.scenario {
            ScenarioName::Access => Scenario::Access,
            ScenarioName::Export => Scenario::Export,
            ScenarioName::StolenDatabase => {
                Scenario::StolenDatabase { keys_separate: body.keys_separate.unwrap_or(false) }
            }
        };
        // A caller the vault would refuse is refused, and logged, by the vault before the body is judged.
        if may_open(&a) {
            if matches!(body.scenario, ScenarioName::StolenDatabase) {
                return Err(invalid(
                    "a stolen database is opened where the copy's files are: run `kura incident open --scenario stolen-database` on \
                     the vault's host (the HTTP API cannot receive or find the files)",
                ));
            }
            if body.keys_separate.is_some() {
                return Err(invalid("`keys_separate` is for `stolen_database` only"));
            }
        }
        let new = NewIncident {
            title: body.title,
            detected_at: body.detected_at,
            learned_at: body.learned_at,
            scenario,
            unauthorised_purpose: body.unauthorised_purpose,
            scope: Scope {
                collections: body.collections.into_iter().collect(),
                window: body.window.map(|w| (w.from, w.to)),
                principals: body.principals.into_iter().collect(),
                exports: body.exports.into_iter().collect(),
                copy: Vec::new(),
            },
        };
        Ok(s.vault.open_incident(&a, new)?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(i.into())))
}

/// Every incident, oldest first (security officers and auditors).
#[utoipa::path(get, path = "/v1/incidents", tag = "incidents", params(PurposeHeaders), security(("bearer" = [])),
    responses((status = 200, description = "The incidents", body = Vec<IncidentOut>), AuthResponses,
        PurposeResponses, VaultResponses))]
async fn list(State(s): State<ApiState>, caller: Caller, purpose: Purpose) -> Result<Json<Vec<IncidentOut>>, ApiError> {
    let all = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        Ok(s.vault.incidents(&a)?)
    })
    .await?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}

/// An incident (security officers and auditors).
#[utoipa::path(get, path = "/v1/incidents/{id}", tag = "incidents",
    params(("id" = String, Path, description = "Incident id (`INC-20261128-3F9A`)"), PurposeHeaders),
    security(("bearer" = [])),
    responses((status = 200, description = "The incident", body = IncidentOut), AuthResponses, PurposeResponses,
        VaultResponses))]
async fn show(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
) -> Result<Json<IncidentOut>, ApiError> {
    let id = incident_id(&p)?;
    let i = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        Ok(s.vault.incident(&a, &id)?)
    })
    .await?;
    Ok(Json(i.into()))
}

/// Changes an incident's facts (security officers): the statements, the unauthorised purpose, the stated
/// number of EU data subjects, the status. Logged, without the statements' text.
#[utoipa::path(patch, path = "/v1/incidents/{id}", tag = "incidents",
    params(("id" = String, Path, description = "Incident id (`INC-20261128-3F9A`)"), PurposeHeaders),
    request_body = IncidentChange, security(("bearer" = [])),
    responses((status = 200, description = "Changed", body = IncidentOut), AuthResponses, BodyResponses,
        PurposeResponses, VaultResponses))]
async fn update(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
    Json(body): Json<IncidentChange>,
) -> Result<Json<IncidentOut>, ApiError> {
    let id = incident_id(&p)?;
    let mut change = Update::default();
    change.statements = body.statements.map(Into::into);
    change.unauthorised_purpose = body.unauthorised_purpose;
    change.eu_subjects = body.eu_subjects;
    change.status = body.status.map(Into::into);
    let i = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        Ok(s.vault.update_incident(&a, &id, change)?)
    })
    .await?;
    Ok(Json(i.into()))
}

/// Adds a manual timeline entry (security officers). The text is kept sealed; the log says a note was added.
#[utoipa::path(post, path = "/v1/incidents/{id}/notes", tag = "incidents",
    params(("id" = String, Path, description = "Incident id (`INC-20261128-3F9A`)"), PurposeHeaders),
    request_body = NoteIn, security(("bearer" = [])),
    responses((status = 201, description = "Added", body = IncidentOut), AuthResponses, BodyResponses,
        PurposeResponses, VaultResponses))]
async fn note(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
    Json(body): Json<NoteIn>,
) -> Result<(StatusCode, Json<IncidentOut>), ApiError> {
    let id = incident_id(&p)?;
    let i = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        Ok(s.vault.note_incident(&a, &id, body.at, &body.text)?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(i.into())))
}

/// Computes an incident's exposure from the access log now (security officers): the counts, the timeline and
/// the data subjects' record ids. Logged with the counts.
#[utoipa::path(get, path = "/v1/incidents/{id}/exposure", tag = "incidents",
    params(("id" = String, Path, description = "Incident id (`INC-20261128-3F9A`)"), PurposeHeaders),
    security(("bearer" = [])),
    responses((status = 200, description = "The exposure", body = AnalysisOut), AuthResponses, PurposeResponses,
        VaultResponses))]
async fn exposure(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
) -> Result<Json<AnalysisOut>, ApiError> {
    let id = incident_id(&p)?;
    let analysis = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        Ok(s.vault.incident_exposure(&a, &id)?)
    })
    .await?;
    Ok(Json(analysis.into()))
}

/// The reporting duties of an incident's facts now (security officers): every step of APPI, GDPR and PCI DSS,
/// required or not, with the grounds, the deadlines, the seconds left and whether they are overdue. kura does
/// not know whether a report was sent: a deadline says when it is due, not whether it is done. Computing the
/// exposure is logged.
#[utoipa::path(get, path = "/v1/incidents/{id}/duties", tag = "incidents",
    params(("id" = String, Path, description = "Incident id (`INC-20261128-3F9A`)"), PurposeHeaders),
    security(("bearer" = [])),
    responses((status = 200, description = "The assessment", body = AssessmentOut), AuthResponses, PurposeResponses,
        VaultResponses))]
async fn duties_now(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
) -> Result<Json<AssessmentOut>, ApiError> {
    let id = incident_id(&p)?;
    let assessment = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        let (facts, _) = s.vault.incident_facts(&a, &id)?;
        Ok(duties::assess(&facts))
    })
    .await?;
    Ok(Json(AssessmentOut::new(assessment, kura::store::now())))
}

/// Drafts the reports as a new version (security officers): the PPC report, the GDPR notification (with data
/// subjects in the EU), the notice to individuals and the public statement, as Markdown and HTML, with the
/// duties they were drafted from. The version joins the incident's amendment history. Logged.
#[utoipa::path(post, path = "/v1/incidents/{id}/reports", tag = "incidents",
    params(("id" = String, Path, description = "Incident id (`INC-20261128-3F9A`)"), PurposeHeaders),
    request_body = DraftIn, security(("bearer" = [])),
    responses((status = 201, description = "Drafted", body = DraftsOut), AuthResponses, BodyResponses,
        PurposeResponses, VaultResponses))]
async fn draft(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
    Json(body): Json<DraftIn>,
) -> Result<(StatusCode, Json<DraftsOut>), ApiError> {
    let id = incident_id(&p)?;
    let drafts = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        Ok(s.vault.draft_incident_reports(&a, &id, body.is_final)?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(DraftsOut::new(drafts, kura::store::now()))))
}

/// The draft a PDF path names: `<name>.pdf` with a known name.
fn draft_name(p: &Params) -> Result<String, ApiError> {
    const NAMES: [&str; 4] = ["ppc-report", "gdpr-notification", "notice-to-individuals", "public-statement"];
    p.get("name")?
        .strip_suffix(".pdf")
        .filter(|stem| NAMES.contains(stem))
        .map(str::to_owned)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such draft"))
}

/// One draft of the latest report version as PDF (security officers and auditors): A4, set in IPAex Gothic,
/// blanks on a yellow box. It is written from the facts that version was drafted from — exactly what was
/// reported — without adding a version (draft one with `POST …/reports` first; none yet is 404). Logged.
#[utoipa::path(get, path = "/v1/incidents/{id}/reports/{name}", tag = "incidents",
    params(("id" = String, Path, description = "Incident id (`INC-20261128-3F9A`)"),
        ("name" = String, Path, description = "`ppc-report.pdf`, `gdpr-notification.pdf` (only with data subjects \
            in the EU), `notice-to-individuals.pdf` or `public-statement.pdf`"),
        PurposeHeaders),
    security(("bearer" = [])),
    responses((status = 200, description = "The draft", content((String = "application/pdf"))),
        (status = 503, description = "The server has no usable font (`unavailable`)", body = crate::ErrorResponse),
        AuthResponses, PurposeResponses, VaultResponses))]
async fn pdf(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
) -> Result<impl IntoResponse, ApiError> {
    let id = incident_id(&p)?;
    let stem = draft_name(&p)?;
    let (bytes, stem, version) = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        let drafts = s.vault.incident_report_version(&a, &id, None).map_err(|e| match e {
            kura::vault::incidents::IncidentError::Invalid(m) => ApiError::new(StatusCode::NOT_FOUND, "not_found", m),
            other => other.into(),
        })?;
        let version = drafts.facts.version;
        let doc =
            drafts.documents.into_iter().find(|(name, _)| *name == stem).map(|(_, doc)| doc).ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    "no such draft for this incident (no EU data subjects)",
                )
            })?;
        Ok((render_pdf(&doc)?, stem, version))
    })
    .await?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{stem}-v{version}.pdf\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

fn render_pdf(doc: &Document) -> Result<Vec<u8>, ApiError> {
    use kura::render::document::Error;
    kura::render::document::to_pdf(doc, Path::new(kura::render::labels::DEFAULT_FONT)).map_err(|e| match e {
        // The server's installation lacks the font (Debian: `fonts-ipaexfont`).
        Error::Font { .. } => ApiError::unavailable(e.to_string()),
        // A statement holds a character the font cannot print; the message names the block, not the text.
        other => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "not_renderable", other.to_string()),
    })
}

/// Requests the notice list — the contact fields of every data subject of the incident — as a governed export
/// (security officers): purpose the incident id, kind `incident-notice`; fingerprinted, with a canary,
/// approved by a second security officer or a supervisor (`POST /v1/exports/{id}/approve`), downloaded once,
/// disposal attested. Logged.
#[utoipa::path(post, path = "/v1/incidents/{id}/notice-list", tag = "incidents",
    params(("id" = String, Path, description = "Incident id (`INC-20261128-3F9A`)"), PurposeHeaders),
    request_body = NoticeListIn, security(("bearer" = [])),
    responses((status = 201, description = "The export, waiting for approval", body = ExportOut), AuthResponses,
        BodyResponses, PurposeResponses, VaultResponses))]
async fn notice_list(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
    Json(body): Json<NoticeListIn>,
) -> Result<(StatusCode, Json<ExportOut>), ApiError> {
    let id = incident_id(&p)?;
    let format = super::exports::format(&body.format)?;
    let export = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        let collection = match body.collection {
            Some(c) => c,
            None => {
                let i = s.vault.incident(&a, &id)?;
                let mut all = i.scope.collections.into_iter();
                match (all.next(), all.next()) {
                    (Some(only), None) => only,
                    _ => return Err(invalid("the incident concerns several collections: name one in `collection`")),
                }
            }
        };
        Ok(s.vault.request_notice_list(&a, &id, &collection, body.fields, format, &body.recipient)?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(export.into())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incident_ids_are_checked_before_the_vault() {
        let ok = |id: &str| incident_id(&Params(vec![("id".to_owned(), id.to_owned())])).is_ok();
        assert!(ok("INC-20261128-3F9A"));
        for bad in ["", "1", "INC-2026112-3F9A", "INC-20261128-3f9a", "INC-20261128-3F9AB", "INC-2026112８-3F9A"] {
            assert!(!ok(bad), "{bad}");
        }
    }

    #[test]
    fn eu_subjects_tell_absent_from_null() {
        let change = |json: &str| crate::json::parse::<IncidentChange>(json.as_bytes()).map(|c| c.eu_subjects).ok();
        assert_eq!(change("{}"), Some(None));
        assert_eq!(change(r#"{"eu_subjects": null}"#), Some(Some(None)));
        assert_eq!(change(r#"{"eu_subjects": 3}"#), Some(Some(Some(3))));
        assert_eq!(change(r#"{"eu_subjects": -1}"#), None);
    }
}
