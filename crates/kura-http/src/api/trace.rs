//! Leak tracing: a security officer posts what leaked (CSV, TSV, JSON, an SQL dump or free text) and gets the
//! vault's report — the accused export or "not attributable", the candidates, the evidence per row — with
//! inclusion proofs of the accused export's history and of the trace itself against a checkpoint signed at once.
//!
//! The leaked text is personal data: it is parsed in memory, never logged, and never repeated in an error (the
//! parser's messages hold positions and counts only). The report holds record and export ids, field names and
//! counts, no values.

use axum::extract::{DefaultBodyLimit, State};
use kura::trace::parse::{self, Format};
use kura::vault::trace::{Options, Report};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::audit::ProofOut;
use super::errors::VaultResponses;
use super::{access, blocking, ApiState, Params, PurposeHeaders};
use crate::auth::{Caller, Purpose};
use crate::error::{AuthResponses, BodyResponses, PurposeResponses};
use crate::{ApiError, Json};

/// Largest request body of a trace (the leak, as JSON text): larger than the server's default limit, well below
/// the parser's own cap ([`parse::MAX_INPUT_BYTES`]).
pub const BODY_LIMIT_BYTES: usize = 8 * 1024 * 1024;

pub(super) fn routes(state: ApiState) -> OpenApiRouter {
    OpenApiRouter::new().routes(routes!(trace)).layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES)).with_state(state)
}

/// The layout of the leaked text.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LeakFormat {
    /// Sniffed from the content.
    #[default]
    Auto,
    /// Comma-separated values.
    Csv,
    /// Tab-separated values.
    Tsv,
    /// A JSON array of objects, an object with one array of objects, or JSON Lines.
    Json,
    /// SQL `INSERT` statements or PostgreSQL `COPY … FROM stdin` blocks.
    Dump,
    /// Free text, one person per block.
    Text,
}

impl From<LeakFormat> for Format {
    fn from(f: LeakFormat) -> Format {
        match f {
            LeakFormat::Auto => Format::Auto,
            LeakFormat::Csv => Format::Csv,
            LeakFormat::Tsv => Format::Tsv,
            LeakFormat::Json => Format::Json,
            LeakFormat::Dump => Format::SqlDump,
            LeakFormat::Text => Format::Text,
        }
    }
}

/// What leaked, and how sure an accusation must be.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TraceRequest {
    /// The leaked text as found (UTF-8; at most 8 MiB with the JSON around it).
    #[schema(min_length = 1)]
    pub input: String,
    /// Its layout (default `auto`).
    #[serde(default)]
    pub format: Option<LeakFormat>,
    /// The largest acceptable probability of accusing an innocent export (default 1e-6).
    #[schema(exclusive_minimum = 0.0, exclusive_maximum = 1.0)]
    pub epsilon: Option<f64>,
}

/// A trace's report, its Markdown rendering, and proofs of the log entries it rests on.
#[derive(Debug, Serialize, ToSchema)]
pub struct TraceOut {
    /// The report (`kura::vault::trace::Report`): `collection`, `by`, `at`, `epsilon`, `finding`
    /// (`accused` or `not-attributable`), `accused` (export ids), `basis`, `candidates` (per export: requester,
    /// approver, records, canaries, guilt, score, false-accusation bound, accused), `rows`, `linked`,
    /// `positions`, `threshold`, `nfkc`, `collapsed`, `evidence` (per leaked row: line, record id, matched
    /// fields, exports, canary), `steps` (the accused export's log entries) and `trace_entry` (the log entry of
    /// this trace). No personal values.
    #[schema(value_type = Object)]
    pub report: serde_json::Value,
    /// The report for people (Markdown).
    pub markdown: String,
    /// The signed checkpoint the proofs lead to (signed for this trace when the server has a signer), or null
    /// when nothing is signed.
    pub checkpoint: Option<String>,
    /// Inclusion proofs of every step's entry and of the trace's own entry, as far as the checkpoint covers
    /// them; each checks offline (`kura audit check-proof`).
    pub proofs: Vec<ProofOut>,
}

/// Whether the vault would let `a` trace (a security officer, not suspended, with `audit:read`). Only decides
/// whether the input is parsed before the vault is asked: the vault decides, and logs, either way.
fn may_trace(a: &kura::Access) -> bool {
    let who = a.who();
    who.roles.contains(&kura::principal::Role::SecurityOfficer) && !who.suspended && a.has_scope("audit:read")
}

/// Traces a leak to the export it came from (security officers). Logged, with every linked record; the
/// answer carries inclusion proofs against a checkpoint signed for it. The leaked text is never repeated.
#[utoipa::path(post, path = "/v1/collections/{collection}/trace", tag = "trace",
    params(("collection" = String, Path, description = "Collection"), PurposeHeaders), request_body = TraceRequest,
    security(("bearer" = [])),
    responses((status = 200, description = "The report", body = TraceOut),
        (status = 400, description = "The input could not be read (`invalid_input`: a position, never the text), \
            or the options are out of range (`invalid_trace`)", body = crate::ErrorResponse),
        AuthResponses, BodyResponses, PurposeResponses, VaultResponses))]
async fn trace(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
    Json(body): Json<TraceRequest>,
) -> Result<Json<TraceOut>, ApiError> {
    let collection = p.get("collection")?.to_owned();
    blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        let options = Options { epsilon: body.epsilon.unwrap_or(Options::default().epsilon), ..Options::default() };
        if !may_trace(&a) {
            // The vault refuses and logs the refusal; the leak is not even read for a caller it would refuse.
            s.vault.trace(&a, &collection, &[], options)?;
        }
        let parsed = parse::parse_report(body.input.as_bytes(), body.format.unwrap_or_default().into())
            .map_err(|e| ApiError::bad_request("invalid_input", e.to_string()))?;
        drop(body);
        let report = s.vault.trace(&a, &collection, &parsed.rows, options)?;
        Ok(Json(prove(&s, report)))
    })
    .await
}

/// Signs a checkpoint (when the server has a signer) and proves the report's entries against the newest one.
/// A failure to sign or prove is logged and leaves the proofs out: the trace is done and logged already.
fn prove(s: &ApiState, report: Report) -> TraceOut {
    let store = s.vault.audit_log().store();
    if let Some(dir) = &s.signer_dir {
        match s.vault.signer(dir) {
            Ok(signer) => {
                if let Err(e) = signer.sign(store) {
                    tracing::warn!(error = %e, "no checkpoint signed for a trace");
                }
            }
            Err(e) => tracing::warn!(error = %e, "no checkpoint signer for a trace"),
        }
    }
    let checkpoint = kura::audit::proof::newest_checkpoint(store).ok().map(|(_, note)| note);
    let mut proofs = Vec::new();
    if checkpoint.is_some() {
        for seq in report.steps.iter().map(|st| st.seq).chain([report.trace_entry]) {
            match kura::audit::proof::prove(store, seq) {
                Ok(p) => proofs.push(p.into()),
                Err(e) => tracing::warn!(seq, error = %e, "no inclusion proof for a trace"),
            }
        }
    }
    let markdown = report.to_markdown();
    let report = serde_json::to_value(&report).unwrap_or_default();
    TraceOut { report, markdown, checkpoint, proofs }
}
