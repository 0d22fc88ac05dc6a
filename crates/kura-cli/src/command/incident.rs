//! `kura incident`: open an incident, compute its exposure from the access log, see the reporting duties and
//! deadlines, state what kura cannot know, draft the reports to files, request the notice list, and raise
//! deadline alerts. Every rule is the library's (`kura::vault::incidents`, `kura::incident`); this module
//! parses times, reads the statements file, writes files and prints.

use kura::incident::drafts::jst_en as jst;
use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use kura::incident::duties::{self, Assessment, Duty};
use kura::incident::{Event, Scenario, Statements};
use kura::render::document::{self, Document};
use kura::vault::exports::Format;
use kura::vault::incidents::{Incident, NewIncident, Scope, Status, Update, NOTICE_KIND};

use crate::cli::{
    DraftFormatArg, Global, IncidentCmd, IncidentPurposeArg, IncidentStatusArg, NoticeFormatArg, PurposeArg,
    ScenarioArg,
};
use crate::open;

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;
/// Japan Standard Time, UTC+9.
const JST: i64 = 9 * HOUR;

pub fn run(g: &Global, c: IncidentCmd) -> Result<()> {
    match c {
        IncidentCmd::Open {
            mut collections,
            from_trace,
            title,
            principals,
            mut exports,
            from,
            to,
            detected_at,
            learned_at,
            unauthorised,
            scenario,
            copy,
            keys_separate,
            purpose,
        } => {
            let now = kura::store::now();
            let traced_at = match &from_trace {
                Some(path) => {
                    let t = from_trace_file(path)?;
                    collections.push(t.collection);
                    exports.extend(t.accused);
                    Some(t.at)
                }
                None => None,
            };
            let window = match (from, to) {
                (Some(f), Some(t)) => Some((time_arg("--from", &f)?, time_arg("--to", &t)?)),
                _ => None,
            };
            let detected_at =
                detected_at.as_deref().map(|t| time_arg("--detected-at", t)).transpose()?.or(traced_at).unwrap_or(now);
            let learned_at = learned_at.as_deref().map(|t| time_arg("--learned-at", t)).transpose()?.unwrap_or(now);
            if learned_at < detected_at {
                bail!("--learned-at is before --detected-at: the organisation cannot learn of an incident before it is detected");
            }
            let scenario = scenario.unwrap_or(if !copy.is_empty() || keys_separate {
                ScenarioArg::StolenDatabase
            } else if !exports.is_empty() {
                ScenarioArg::Export
            } else {
                ScenarioArg::Access
            });
            if keys_separate && scenario != ScenarioArg::StolenDatabase {
                bail!("--keys-separate is about a stolen database; add --scenario stolen-database");
            }
            if !copy.is_empty() && scenario != ScenarioArg::StolenDatabase {
                bail!("--copy names the files of a stolen database; add --scenario stolen-database");
            }
            let copy = match scenario {
                ScenarioArg::StolenDatabase if copy.is_empty() => own_files(g, keys_separate)?,
                _ => copy,
            };
            for f in &copy {
                anyhow::ensure!(f.is_file(), "`{}` is not a readable file of the copy", f.display());
            }
            let new = NewIncident {
                title,
                detected_at,
                learned_at,
                scenario: match scenario {
                    ScenarioArg::Access => Scenario::Access,
                    ScenarioArg::Export => Scenario::Export,
                    ScenarioArg::StolenDatabase => Scenario::StolenDatabase { keys_separate },
                },
                unauthorised_purpose: unauthorised,
                scope: Scope {
                    collections: collections.into_iter().collect(),
                    window,
                    principals: principals.into_iter().collect(),
                    exports: exports.into_iter().collect(),
                    copy,
                },
            };
            let s = session(g, &purpose)?;
            let i = s.vault.open_incident(&s.access, new)?;
            println!("{}", i.id);
            eprintln!(
                "opened; next: `kura incident exposure {id}`, `kura incident duties {id}`, `kura incident report {id} --out DIR`",
                id = i.id
            );
            s.close()
        }
        IncidentCmd::List { json, purpose } => {
            let s = session(g, &purpose)?;
            let all = s.vault.incidents(&s.access)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else if all.is_empty() {
                println!("no incidents");
            } else {
                for i in &all {
                    println!(
                        "{}  {:<8} {:<15} learned {}  {} report versions  {}",
                        i.id,
                        i.status.as_str(),
                        scenario_name(i.scenario),
                        jst(i.learned_at),
                        i.reports.len(),
                        i.title
                    );
                }
            }
            s.close()
        }
        IncidentCmd::Show { id, json, purpose } => {
            let s = for_incident(g, &id, &purpose)?;
            let i = s.vault.incident(&s.access, &id)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&i)?);
            } else {
                show(&i);
            }
            s.close()
        }
        IncidentCmd::Exposure { id, json, subjects, purpose } => {
            if let Some(path) = &subjects {
                anyhow::ensure!(!path.exists(), "`{}` exists (kura never overwrites a file)", path.display());
            }
            let s = for_incident(g, &id, &purpose)?;
            let a = s.vault.incident_exposure(&s.access, &id)?;
            if let Some(path) = &subjects {
                let mut text = String::new();
                for r in &a.subjects {
                    text.push_str(&r.to_string());
                    text.push('\n');
                }
                write_new(path, text.as_bytes())?;
                eprintln!("{} record ids written to `{}`", a.subjects.len(), path.display());
            }
            if json {
                let doc = serde_json::json!({
                    "id": id,
                    "exposure": &a.exposure,
                    "timeline": &a.timeline,
                });
                println!("{}", serde_json::to_string_pretty(&doc)?);
            } else {
                print_exposure(&id, &a.exposure, &a.timeline);
            }
            s.close()
        }
        IncidentCmd::Duties { id, json, purpose } => {
            let s = for_incident(g, &id, &purpose)?;
            let i = s.vault.incident(&s.access, &id)?;
            let (mut facts, _) = s.vault.incident_facts(&s.access, &id)?;
            facts.is_final = i.reports.last().is_some_and(|r| r.is_final);
            let a = duties::assess(&facts);
            if json {
                println!("{}", serde_json::to_string_pretty(&a)?);
            } else {
                print_duties(&a, &i, kura::store::now());
            }
            s.close()
        }
        IncidentCmd::Note { id, at, text, purpose } => {
            let at = time_arg("--at", &at)?;
            let s = for_incident(g, &id, &purpose)?;
            let i = s.vault.note_incident(&s.access, &id, at, &text)?;
            println!("{id}: note at {} added ({} notes)", jst(at), i.notes.len());
            s.close()
        }
        IncidentCmd::State { id, statements, unauthorised, eu, status, purpose } => {
            let given = statements.as_deref().map(read_statements).transpose()?;
            let eu_subjects = eu.as_deref().map(eu_arg).transpose()?;
            if given.is_none() && unauthorised.is_none() && eu_subjects.is_none() && status.is_none() {
                bail!("nothing to change: give --statements, --unauthorised, --eu or --status");
            }
            let s = for_incident(g, &id, &purpose)?;
            let mut update = Update::default();
            if let Some(given) = given {
                let mut current = s.vault.incident(&s.access, &id)?.statements;
                given.apply(&mut current);
                update.statements = Some(current);
            }
            update.unauthorised_purpose = unauthorised;
            update.eu_subjects = eu_subjects;
            update.status = status.map(|s| match s {
                IncidentStatusArg::Open => Status::Open,
                IncidentStatusArg::Reported => Status::Reported,
                IncidentStatusArg::Closed => Status::Closed,
            });
            let i = s.vault.update_incident(&s.access, &id, update)?;
            println!("{id}: {}", i.history.last().map(|c| c.what.as_str()).unwrap_or("changed"));
            let (present, absent) = statements_present(&i.statements);
            println!("statements present: {}", list_or_none(&present));
            println!("statements absent:  {}", list_or_none(&absent));
            s.close()
        }
        IncidentCmd::Report { id, out, is_final, format, font, purpose } => {
            report(g, &id, &out, is_final, &format, font, &purpose)
        }
        IncidentCmd::NoticeList { id, collection, fields, format, recipient } => {
            let format = match format {
                NoticeFormatArg::CsvUtf8 => Format::CsvUtf8,
                NoticeFormatArg::CsvShiftJis => Format::CsvShiftJis,
                NoticeFormatArg::Xlsx => Format::Xlsx,
            };
            // The request is bound to the incident's id as purpose and to the notice kind, whatever the session.
            let s = open::open_for(g, &id, NOTICE_KIND)?;
            let collection = match collection {
                Some(c) => c,
                None => {
                    let i = s.vault.incident(&s.access, &id)?;
                    match i.scope.collections.iter().collect::<Vec<_>>().as_slice() {
                        [only] => (*only).clone(),
                        _ => bail!("incident {id} concerns several collections; name one with --collection"),
                    }
                }
            };
            let e = s.vault.request_notice_list(&s.access, &id, &collection, fields, format, &recipient)?;
            println!("{}", e.id);
            eprintln!(
                "notice list of the people concerned requested as export {x} (purpose {id}, kind {NOTICE_KIND}).\n\
                 next, as for any export:\n  \
                 kura export approve {x} --purpose {id} --purpose-kind {NOTICE_KIND}    # a second security officer or a supervisor\n  \
                 kura export download {x} --purpose {id} --purpose-kind {NOTICE_KIND}   # you, once\n  \
                 kura export dispose {x} --purpose {id} --purpose-kind {NOTICE_KIND}    # when every copy is destroyed",
                x = e.id
            );
            s.close()
        }
        IncidentCmd::Deadlines { purpose } => {
            let s = session(g, &purpose)?;
            let raised = s.vault.check_incident_deadlines(kura::store::now())?;
            if raised.is_empty() {
                println!("no deadline alert raised (none due within a day or overdue, or already alerted)");
            } else {
                raised.iter().for_each(super::alerts::show);
            }
            s.close()
        }
    }
}

fn session(g: &Global, p: &PurposeArg) -> Result<open::Session> {
    open::open_for(g, &p.purpose, &p.purpose_kind)
}

/// A session for work on one incident: the purpose is the incident's id unless another is given.
fn for_incident(g: &Global, id: &str, p: &IncidentPurposeArg) -> Result<open::Session> {
    open::open_for(g, p.purpose.as_deref().unwrap_or(id), &p.purpose_kind)
}

/// The files of this vault as a thief of its directory would have them, for a stolen database without
/// `--copy`.
fn own_files(g: &Global, keys_separate: bool) -> Result<Vec<PathBuf>> {
    let config = open::read_config(&g.vault)?;
    if config.database != "sqlite" {
        bail!("this vault keeps its data in PostgreSQL, not in its directory: name the stolen files with --copy");
    }
    let files = kura::scan::walk(&g.vault).with_context(|| format!("cannot list `{}`", g.vault.display()))?;
    eprintln!(
        "no --copy given: the copy is taken to be this vault's own directory `{}` ({} files)",
        g.vault.display(),
        files.len()
    );
    let key_file = g.key_file.clone().unwrap_or(config.key_file);
    if keys_separate && files.iter().any(|f| same_file(f, &key_file)) {
        eprintln!(
            "warning: the key file `{}` is inside that directory, yet --keys-separate says the keys were kept apart",
            key_file.display()
        );
    }
    Ok(files)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------------------
// Times

/// Parses a time given on the command line (see [`parse_time`]), naming the option on failure.
fn time_arg(option: &str, s: &str) -> Result<i64> {
    parse_time(s).ok_or_else(|| {
        anyhow!(
            "{option} `{s}` is not a time: give RFC 3339 (`2026-11-28T10:00:00+09:00`, `2026-11-28T01:00:00Z`) \
             or `YYYY-MM-DD HH:MM` in Japan time"
        )
    })
}

/// RFC 3339 (`2026-11-28T10:00:00+09:00`, `…Z`, fractions of a second ignored) or `YYYY-MM-DD HH:MM[:SS]`
/// without an offset, taken as Japan time; seconds since the epoch.
fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    let date = s.get(..10)?;
    let sep = s.get(10..11)?;
    if !matches!(sep, "T" | "t" | " ") {
        return None;
    }
    let rest = s.get(11..)?;
    // The clock ends where the offset starts.
    let end = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
    let (clock, zone) = (rest.get(..end)?, rest.get(end..)?);
    let offset = match zone {
        "" => JST,
        "Z" | "z" => 0,
        _ => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let (h, m) = zone.get(1..)?.split_once(':')?;
            let (h, m) = (two_digits(h)?, two_digits(m)?);
            if h > 23 || m > 59 {
                return None;
            }
            sign * (h * HOUR + m * 60)
        }
    };
    let mut parts = date.split('-');
    let y: i64 = parts.next().filter(|p| p.len() == 4 && p.bytes().all(|b| b.is_ascii_digit()))?.parse().ok()?;
    let mo = two_digits(parts.next()?)?;
    let d = two_digits(parts.next()?)?;
    if parts.next().is_some() || !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
        return None;
    }
    let clock = clock.split_once('.').map_or(clock, |(c, _)| c);
    let mut hms = clock.split(':');
    let h = two_digits(hms.next()?)?;
    let mi = two_digits(hms.next()?)?;
    let sec = match hms.next() {
        Some(x) => two_digits(x)?,
        None => 0,
    };
    if hms.next().is_some() || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * DAY + h * HOUR + mi * 60 + sec - offset)
}

fn two_digits(s: &str) -> Option<i64> {
    if s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `3d 4h`, `5h 20m`, `12m`.
fn span(seconds: i64) -> String {
    let s = seconds.unsigned_abs();
    let (d, h, m) = (s / 86_400, s % 86_400 / 3_600, s % 3_600 / 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else {
        format!("{m}m")
    }
}

// ---------------------------------------------------------------------------------------------------------
// Statements

/// The statements file: every key optional, unknown keys refused; an empty string clears the item.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct StatementsFile {
    organisation: Option<String>,
    contact: Option<String>,
    cause: Option<String>,
    secondary_damage: Option<String>,
    response_to_individuals: Option<String>,
    publication: Option<String>,
    prevention: Option<String>,
    other: Option<String>,
    inquiry_desk: Option<String>,
}

impl StatementsFile {
    /// Overlays the items given on `s`.
    fn apply(self, s: &mut Statements) {
        let set = |slot: &mut Option<String>, v: Option<String>| {
            if let Some(v) = v {
                *slot = if v.trim().is_empty() { None } else { Some(v) };
            }
        };
        set(&mut s.organisation, self.organisation);
        set(&mut s.contact, self.contact);
        set(&mut s.cause, self.cause);
        set(&mut s.secondary_damage, self.secondary_damage);
        set(&mut s.response_to_individuals, self.response_to_individuals);
        set(&mut s.publication, self.publication);
        set(&mut s.prevention, self.prevention);
        set(&mut s.other, self.other);
        set(&mut s.inquiry_desk, self.inquiry_desk);
    }
}

/// What an incident takes from a trace's JSON report.
#[derive(Debug)]
struct Traced {
    collection: String,
    accused: Vec<String>,
    at: i64,
}

/// Reads `kura trace --json` output: `{"report": {"collection", "finding", "accused", "at", …}, …}`. The export
/// ids are checked by the vault when the incident is opened.
fn from_trace_file(path: &Path) -> Result<Traced> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    let doc: serde_json::Value = serde_json::from_str(&text)
        .map_err(|_| anyhow!("`{}` is not the JSON of `kura trace --json`", path.display()))?;
    let report = doc.get("report").unwrap_or(&doc);
    let collection = report.get("collection").and_then(|v| v.as_str());
    let at = report.get("at").and_then(serde_json::Value::as_i64);
    let accused: Option<Vec<String>> = report
        .get("accused")
        .and_then(|v| v.as_array())
        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect());
    match (collection, at, accused) {
        (Some(c), Some(at), Some(accused)) if !accused.is_empty() => {
            Ok(Traced { collection: c.to_owned(), accused, at })
        }
        (Some(_), Some(_), Some(_)) => bail!(
            "the trace in `{}` accused no export; open the incident with --principal, --export or a window instead",
            path.display()
        ),
        _ => bail!("`{}` is not the JSON of `kura trace --json`", path.display()),
    }
}

fn read_statements(path: &Path) -> Result<StatementsFile> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    // The parser's own message quotes the offending line, which may be a statement's text (a contact's name
    // or phone): only its position is shown.
    toml::from_str(&text).map_err(|e: toml::de::Error| {
        let at = e.span().map_or_else(String::new, |span| {
            let line = text.get(..span.start).map_or(1, |before| before.matches('\n').count() + 1);
            format!(" (line {line})")
        });
        // An unknown key is named (a key is not a statement); other messages may quote a value.
        let why = if e.message().starts_with("unknown field") {
            format!(": {}", e.message().lines().next().unwrap_or_default())
        } else {
            String::new()
        };
        anyhow::anyhow!(
            "`{}` is not a statements file{at}{why}; it holds TOML strings with the keys organisation, contact, \
             cause, secondary_damage, response_to_individuals, publication, prevention, other, inquiry_desk",
            path.display()
        )
    })
}

/// The statements' names, split into present and absent.
fn statements_present(s: &Statements) -> (Vec<&'static str>, Vec<&'static str>) {
    let items = [
        ("organisation", &s.organisation),
        ("contact", &s.contact),
        ("cause", &s.cause),
        ("secondary_damage", &s.secondary_damage),
        ("response_to_individuals", &s.response_to_individuals),
        ("publication", &s.publication),
        ("prevention", &s.prevention),
        ("other", &s.other),
        ("inquiry_desk", &s.inquiry_desk),
    ];
    let present = items.iter().filter(|(_, v)| v.is_some()).map(|(k, _)| *k).collect();
    let absent = items.iter().filter(|(_, v)| v.is_none()).map(|(k, _)| *k).collect();
    (present, absent)
}

fn list_or_none(items: &[&str]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

fn eu_arg(s: &str) -> Result<Option<u64>> {
    if s == "counted" {
        return Ok(None);
    }
    s.parse::<u64>().map(Some).map_err(|_| anyhow!("--eu `{s}`: give a number of people, or `counted`"))
}

// ---------------------------------------------------------------------------------------------------------
// Output

fn scenario_name(s: Scenario) -> &'static str {
    match s {
        Scenario::Access => "access",
        Scenario::Export => "export",
        Scenario::StolenDatabase { .. } => "stolen-database",
    }
}

fn show(i: &Incident) {
    println!("{}  {}", i.id, i.title);
    println!("status:     {}", i.status.as_str());
    let scenario = match i.scenario {
        Scenario::StolenDatabase { keys_separate: true } => "stolen-database (keys kept apart)".to_owned(),
        Scenario::StolenDatabase { keys_separate: false } => "stolen-database (keys with it)".to_owned(),
        other => scenario_name(other).to_owned(),
    };
    println!("scenario:   {scenario}");
    println!("unauthorised purpose: {}", if i.unauthorised_purpose { "yes" } else { "no" });
    println!("detected:   {}", jst(i.detected_at));
    println!("learned:    {}  (every deadline runs from here)", jst(i.learned_at));
    println!("opened:     {} by {}", jst(i.opened_at), i.opened_by);
    println!("scope:");
    println!("  collections: {}", join(&i.scope.collections));
    if let Some((from, to)) = i.scope.window {
        println!("  window:     {} – {}", jst(from), jst(to));
    } else {
        println!("  window:     none (the whole log)");
    }
    let names = |set: &BTreeSet<String>| if set.is_empty() { "none".to_owned() } else { join(set) };
    println!("  principals: {}", names(&i.scope.principals));
    println!("  exports:    {}", names(&i.scope.exports));
    if !i.scope.copy.is_empty() {
        println!("  copy:       {} files", i.scope.copy.len());
        for f in &i.scope.copy {
            println!("    {}", f.display());
        }
    }
    println!(
        "EU data subjects: {}",
        i.eu_subjects.map_or("counted from phone numbers".to_owned(), |n| format!("{n} (stated)"))
    );
    let (present, absent) = statements_present(&i.statements);
    println!("statements present: {}", list_or_none(&present));
    println!("statements absent:  {}", list_or_none(&absent));
    println!("notes ({}):", i.notes.len());
    for n in &i.notes {
        println!("  {}  {}", jst(n.at), n.text);
    }
    println!("report versions ({}):", i.reports.len());
    for r in &i.reports {
        println!(
            "  v{} {}  {} by {}  {} people  required: {}  facts sha256 {}",
            r.version,
            if r.is_final { "final      " } else { "preliminary" },
            jst(r.at),
            r.by,
            r.subjects,
            if r.required.is_empty() { "none".to_owned() } else { r.required.join(", ") },
            r.digest.get(..16).unwrap_or(&r.digest)
        );
    }
    if !i.alerted.is_empty() {
        println!("deadline alerts raised: {}", join(&i.alerted));
    }
    println!("history:");
    for c in &i.history {
        println!("  {}  {:<14} {}", jst(c.at), c.by, c.what);
    }
}

fn join(set: &BTreeSet<String>) -> String {
    set.iter().map(String::as_str).collect::<Vec<_>>().join(", ")
}

fn class_name(c: kura::schema::Classification) -> String {
    serde_json::to_value(c).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_else(|| format!("{c:?}"))
}

fn print_exposure(id: &str, x: &kura::incident::Exposure, timeline: &[Event]) {
    println!("{id}: exposure computed from the access log");
    println!("did view:          {} people (read or exported in scope)", x.subjects);
    println!("could have viewed: {} people (allowed to the principals in scope)", x.could_have_viewed);
    println!("EU data subjects:  {}", x.eu_subjects);
    println!("honey records:     {} (synthetic; not counted as people)", x.honey);
    println!("canaries:          {} (synthetic; in the exported files only)", x.canaries);
    if !x.readable_without_keys.is_empty() {
        println!("readable without the keys: {}", x.readable_without_keys.join(", "));
    }
    println!("by company:");
    if x.by_company.is_empty() {
        println!("  none");
    }
    for (c, n) in &x.by_company {
        println!("  {n:>8}  {c}");
    }
    println!("by class (a person counts under every class exposed):");
    if x.by_class.is_empty() {
        println!("  none");
    }
    for (c, n) in &x.by_class {
        println!("  {n:>8}  {}", class_name(*c));
    }
    println!("per field:");
    if x.fields.is_empty() {
        println!("  none");
    } else {
        println!("  {:<24} {:<10} {:>8} {:>8} {:>8}", "field", "class", "people", "plain", "masked");
    }
    for f in &x.fields {
        println!(
            "  {:<24} {:<10} {:>8} {:>8} {:>8}",
            f.name,
            class_name(f.classification),
            f.subjects,
            f.plain,
            f.subjects.saturating_sub(f.plain)
        );
    }
    println!("timeline:");
    if timeline.is_empty() {
        println!("  nothing in scope");
    }
    for e in timeline {
        println!("  {}  {}", jst(e.at), e.text);
    }
}

fn print_duties(a: &Assessment, i: &Incident, now: i64) {
    println!("{}: reporting duties (deadlines from {}, when the organisation learned of it)", i.id, jst(i.learned_at));
    for d in &a.duties {
        println!();
        println!("{} — {}", d.regime.en(), d.label.en);
        println!("  required: {}", if d.required { "yes" } else { "no" });
        if !d.grounds.is_empty() {
            let g: Vec<String> = d.grounds.iter().map(|g| format!("{} ({})", g.en(), g.rule())).collect();
            println!("  grounds:  {}", g.join("; "));
        }
        println!("  why:      {}", d.why.en);
        println!("  due:      {}", due(d, now));
        println!("  basis:    {}", d.basis);
        if let Some(v) = drafted(d, i) {
            println!("  drafted:  {v} (kura does not know whether it was sent)");
        }
    }
    println!();
    match a.exempt {
        Some(x) => println!("exemption: {} ({})", x.en(), x.basis()),
        None => println!("exemption: none"),
    }
}

/// The deadline in Japan time with the time left, or the rule's words.
fn due(d: &Duty, now: i64) -> String {
    match (d.due_at, d.remaining(now)) {
        (Some(at), Some(left)) if left < 0 => format!("{} — OVERDUE by {}; {}", jst(at), span(left), d.due_text.en),
        (Some(at), Some(left)) => format!("{} — {} left; {}", jst(at), span(left), d.due_text.en),
        _ => d.due_text.en.clone(),
    }
}

/// The report version that drafted a PPC step, if any.
fn drafted(d: &Duty, i: &Incident) -> Option<String> {
    if !d.required {
        return None;
    }
    match d.step {
        duties::Step::AppiPreliminary => i.reports.first().map(|r| format!("v{}", r.version)),
        duties::Step::AppiFinal => i.reports.iter().find(|r| r.is_final).map(|r| format!("v{}", r.version)),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------------------
// Report drafts

/// Every file stem a draft may be written under (`kura::incident::drafts::all`).
const STEMS: [&str; 4] = ["ppc-report", "gdpr-notification", "notice-to-individuals", "public-statement"];

fn extension(f: DraftFormatArg) -> &'static str {
    match f {
        DraftFormatArg::Md => "md",
        DraftFormatArg::Html => "html",
        DraftFormatArg::Pdf => "pdf",
    }
}

fn report(
    g: &Global,
    id: &str,
    out: &Path,
    is_final: bool,
    formats: &[DraftFormatArg],
    font: Option<PathBuf>,
    purpose: &IncidentPurposeArg,
) -> Result<()> {
    let formats: BTreeSet<DraftFormatArg> = formats.iter().copied().collect();
    anyhow::ensure!(!formats.is_empty(), "--format names no format: give md, html and/or pdf");
    let font = font.unwrap_or_else(|| PathBuf::from(kura::render::labels::DEFAULT_FONT));
    if formats.contains(&DraftFormatArg::Pdf) && !font.is_file() {
        bail!(
            "no font for the PDF at `{}`: install `fonts-ipaexfont`, name a Japanese TrueType/OpenType font with \
             --font, or leave pdf out of --format",
            font.display()
        );
    }
    if !out.is_dir() {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(out)
            .with_context(|| format!("cannot create the directory `{}`", out.display()))?;
    }
    let s = for_incident(g, id, purpose)?;
    // Checked before a version is drafted, so that a refusal costs no version number.
    let next = s.vault.incident(&s.access, id)?.reports.len() + 1;
    for stem in STEMS {
        for f in &formats {
            let path = out.join(format!("{id}-v{next}-{stem}.{}", extension(*f)));
            anyhow::ensure!(
                !path.exists(),
                "`{}` exists (kura never overwrites a file): choose another --out",
                path.display()
            );
        }
    }
    let drafts = s.vault.draft_incident_reports(&s.access, id, is_final)?;
    let version = drafts.facts.version;
    // Everything is rendered before anything is written.
    let mut files: Vec<(PathBuf, Vec<u8>, &Document)> = Vec::new();
    for (stem, doc) in &drafts.documents {
        for f in &formats {
            let bytes = match f {
                DraftFormatArg::Md => document::to_markdown(doc).into_bytes(),
                DraftFormatArg::Html => document::to_html(doc).into_bytes(),
                DraftFormatArg::Pdf => document::to_pdf(doc, &font)
                    .with_context(|| format!("cannot set the {stem} draft as PDF in `{}`", font.display()))?,
            };
            files.push((out.join(format!("{id}-v{version}-{stem}.{}", extension(*f))), bytes, doc));
        }
    }
    for (path, bytes, _) in &files {
        write_new_atomic(path, bytes)?;
        println!("{}", path.display());
    }
    println!(
        "version {version} ({}), {} people concerned",
        if is_final { "final report, 確報" } else { "preliminary, 速報" },
        drafts.facts.exposure.subjects
    );
    let mut blanks = 0;
    for (stem, doc) in &drafts.documents {
        let fills = doc.fills();
        blanks += fills.len();
        if !fills.is_empty() {
            println!("  {stem}: {} blanks to fill: {}", fills.len(), fills.join(" / "));
        }
    }
    if blanks == 0 {
        println!("no blanks left to fill");
    } else {
        println!(
            "{blanks} blanks left to fill: state them with `kura incident state {id} --statements FILE.toml` and draft again"
        );
    }
    let now = kura::store::now();
    let required: Vec<&Duty> = drafts.assessment.required().collect();
    if required.is_empty() {
        println!("no reporting duty is required");
    } else {
        println!("required duties:");
        for d in required {
            println!("  {} — {}: {}", d.regime.en(), d.label.en, due(d, now));
        }
    }
    if let Some(x) = drafts.assessment.exempt {
        println!("exemption: {} ({})", x.en(), x.basis());
    }
    s.close()
}

/// A new file readable by its owner only; an existing file is never replaced.
fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create `{}` (kura never overwrites a file)", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

/// Like [`write_new`], but the file appears whole or not at all: written to a temporary file beside it, then
/// linked to its name (which fails if the name exists) and the temporary name removed.
fn write_new_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    write_new(&tmp, bytes)?;
    let linked = std::fs::hard_link(&tmp, path);
    let removed = std::fs::remove_file(&tmp);
    linked.with_context(|| format!("cannot create `{}` (kura never overwrites a file)", path.display()))?;
    removed.with_context(|| format!("cannot remove the temporary file `{}`", tmp.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    #[test]
    fn times_in_rfc_3339_and_japan_time() {
        // 2026-11-28 10:00 JST = 01:00 UTC.
        let t = parse_time("2026-11-28T10:00:00+09:00").unwrap();
        assert_eq!(parse_time("2026-11-28T01:00:00Z"), Some(t));
        assert_eq!(parse_time("2026-11-28T01:00:00.250Z"), Some(t));
        assert_eq!(parse_time("2026-11-28 10:00"), Some(t));
        assert_eq!(parse_time("2026-11-27T20:00:00-05:00"), Some(t));
        assert_eq!(jst(t), "2026-11-28 10:00 JST");
        assert_eq!(t, 1_795_827_600);
        for bad in ["2026-11-28", "2026-13-01 10:00", "2026-02-29 10:00", "2026-11-28 25:00", "yesterday", ""] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
        assert!(parse_time("2028-02-29 00:00").is_some());
    }

    #[test]
    fn statements_file_refuses_unknown_keys_and_clears_with_empty() {
        assert!(toml::from_str::<StatementsFile>("colour = \"red\"").is_err());
        let f: StatementsFile = toml::from_str("cause = \"phishing\"\ncontact = \"\"").unwrap();
        let mut s = Statements { contact: Some("x".into()), other: Some("kept".into()), ..Statements::default() };
        f.apply(&mut s);
        assert_eq!(s.cause.as_deref(), Some("phishing"));
        assert_eq!(s.contact, None);
        assert_eq!(s.other.as_deref(), Some("kept"));
    }

    #[test]
    fn a_trace_report_gives_the_collection_the_accused_exports_and_the_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trace.json");
        let report = r#"{"report": {"collection": "corporate-mobile", "finding": "accused",
            "accused": ["4f1993d7-55bb-4835-8e5a-d2f7831424a8"], "at": 1795835731}, "proofs": []}"#;
        std::fs::write(&path, report).unwrap();
        let t = from_trace_file(&path).unwrap();
        assert_eq!((t.collection.as_str(), t.at), ("corporate-mobile", 1_795_835_731));
        assert_eq!(t.accused, vec!["4f1993d7-55bb-4835-8e5a-d2f7831424a8".to_owned()]);
        let none = r#"{"report": {"collection": "c", "finding": "not_attributable", "accused": [], "at": 1}}"#;
        std::fs::write(&path, none).unwrap();
        assert!(format!("{:#}", from_trace_file(&path).unwrap_err()).contains("accused no export"));
        std::fs::write(&path, "{\"hello\": 1}").unwrap();
        assert!(format!("{:#}", from_trace_file(&path).unwrap_err()).contains("is not the JSON"));
    }

    #[test]
    fn a_bad_statements_file_is_refused_without_its_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.toml");
        // A phone number written as a number, and a string left open: neither value may be printed.
        for text in ["cause = \"x\"\ncontact = 09012345678\n", "contact = \"山田 090-1234-5678\n"] {
            std::fs::write(&path, text).unwrap();
            let e = format!("{:#}", read_statements(&path).unwrap_err());
            assert!(!e.contains("9012345678") && !e.contains("山田") && !e.contains("1234"), "{e}");
            assert!(e.contains("(line 2)") || e.contains("(line 1)"), "{e}");
        }
        std::fs::write(&path, "colour = \"red\"\n").unwrap();
        let e = format!("{:#}", read_statements(&path).unwrap_err());
        assert!(e.contains("unknown field `colour`") && !e.contains("red"), "{e}");
    }
}
