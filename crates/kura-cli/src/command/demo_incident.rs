//! `kura demo`, the end: incident response. The traced export opens an incident; kura computes exactly whose
//! data left and which fields, lists the duties and deadlines, writes the report drafts and requests the
//! notice list under four eyes. The stolen token and the stolen copy of the database get their own incidents:
//! "did view" against "could have viewed", and what a copy without the keys exposes.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use kura::incident::duties::{Assessment, Regime};
use kura::incident::Scenario;
use kura::principal::{Kind, Principal, Role};
use kura::vault::exports::Format;
use kura::vault::incidents::{NewIncident, Scope, Update};
use kura::Vault;

use super::demo::step;
use super::demo_leak::Leak;

const C: &str = "corporate-mobile";

pub struct Cast<'a> {
    pub staff: &'a [Principal],
    pub officer: &'a Principal,
    /// The files a thief copied in the previous step.
    pub copy: &'a [PathBuf],
}

use kura::incident::drafts::jst_en as jst;

fn print_duties(a: &Assessment) {
    for regime in [Regime::Appi, Regime::Gdpr, Regime::Pci] {
        let required: Vec<_> = a.required().filter(|d| d.regime == regime).collect();
        if required.is_empty() {
            let why = a.duties.iter().find(|d| d.regime == regime).map(|d| d.why.en.clone()).unwrap_or_default();
            println!("     {}: no duty — {why}", regime.en());
            continue;
        }
        for d in required {
            let due = d.due_at.map_or_else(|| d.due_text.en.clone(), jst);
            println!("     {}: {} / {} — due {due} ({})", regime.en(), d.label.en, d.label.ja, d.basis);
        }
    }
    if let Some(e) = &a.exempt {
        println!("     exemption: {}", e.en());
    }
}

pub fn story(vault: &Vault, dir: &Path, cast: &Cast<'_>, leak: &Leak, n: u32) -> Result<()> {
    step(n, "incident response: the trace opens an incident; kura computes whose data left, the duties, the drafts");
    let admin = crate::open::custodian("DEMO-0050 incident response")?;
    let second = Principal::new("sec.second", Kind::Employee, [Role::SecurityOfficer].into(), None, [].into())?;
    vault.add_principal(&admin, &second)?;
    let officer = vault.access(&cast.officer.name, "DEMO-0050 incident response", "demo")?;
    let incident = vault.open_incident(
        &officer,
        NewIncident {
            title: "letters to employees' homes typed off a customer list".to_owned(),
            detected_at: leak.traced_at,
            learned_at: leak.traced_at,
            scenario: Scenario::Export,
            unauthorised_purpose: true,
            scope: Scope {
                collections: [C.to_owned()].into(),
                exports: [leak.export.clone()].into(),
                ..Scope::default()
            },
        },
    )?;
    let analysis = vault.incident_exposure(&officer, &incident.id)?;
    let x = &analysis.exposure;
    println!(
        "   incident {}: export {} — exactly {} people's data left the organisation ({} fields each, in the clear); \
         the requester could have viewed {}",
        incident.id,
        leak.export,
        x.subjects,
        x.fields.len(),
        x.could_have_viewed
    );
    let fields: Vec<String> = x.fields.iter().map(|f| format!("{} ({:?})", f.name, f.classification)).collect();
    println!("     fields: {}", fields.join(", ").to_lowercase());
    let companies: Vec<String> = x.by_company.iter().map(|(c, n)| format!("{c} {n}")).collect();
    println!("     by client company: {}; canaries in the file: {}", companies.join(", "), x.canaries);
    println!("   duties and deadlines (from when the organisation learned of it, {}):", jst(leak.traced_at));
    let mut update = Update::default();
    update.statements = Some(kura::incident::Statements {
        organisation: Some("株式会社デモ・モバイルサービス".to_owned()),
        inquiry_desk: Some("お客様相談窓口 0120-000-000（平日9時〜18時）".to_owned()),
        ..Default::default()
    });
    vault.update_incident(&officer, &incident.id, update)?;
    let drafts = vault.draft_incident_reports(&officer, &incident.id, false)?;
    print_duties(&drafts.assessment);
    let out = dir.join("incident");
    std::fs::create_dir_all(&out)?;
    let font = Path::new(kura::render::labels::DEFAULT_FONT);
    let mut written = Vec::new();
    let mut blanks = 0usize;
    for (stem, doc) in &drafts.documents {
        let base = format!("{}-v{}-{stem}", incident.id, drafts.facts.version);
        std::fs::write(out.join(format!("{base}.md")), kura::render::document::to_markdown(doc))?;
        std::fs::write(out.join(format!("{base}.html")), kura::render::document::to_html(doc))?;
        let pdf = kura::render::document::to_pdf(doc, font).with_context(|| format!("rendering {stem} as PDF"))?;
        std::fs::write(out.join(format!("{base}.pdf")), pdf)?;
        blanks += doc.fills().len();
        written.push(format!("{stem}.{{md,html,pdf}}"));
    }
    println!(
        "   report drafts v{} written to {}: {} — {} blanks left for a person to fill (cause, measures, contact…)",
        drafts.facts.version,
        out.display(),
        written.join(", "),
        blanks
    );
    let fields = vec!["user_name".to_owned(), "email".to_owned(), "company".to_owned()];
    let list = vault.request_notice_list(&officer, &incident.id, C, fields, Format::CsvUtf8, "notice mailing")?;
    let approver = vault
        .access(&second.name, "DEMO-0050 incident response", "demo")?
        .with_purpose(&incident.id)?
        .with_kind(kura::vault::incidents::NOTICE_KIND)?;
    vault.decide_export(&approver, &list.id, true, "")?;
    println!(
        "   notice list for the {} people: export {} requested by {}, approved by {} (four eyes), fingerprinted, \
         with a canary",
        analysis.subjects.len(),
        list.id,
        cast.officer.name,
        second.name
    );

    // The stolen token: what it did read against what it could have.
    let token = vault.open_incident(
        &officer,
        NewIncident {
            title: "client-portal API token used to copy records".to_owned(),
            detected_at: leak.traced_at,
            learned_at: leak.traced_at,
            scenario: Scenario::Access,
            unauthorised_purpose: true,
            scope: Scope {
                collections: [C.to_owned()].into(),
                principals: [leak.portal.clone()].into(),
                ..Scope::default()
            },
        },
    )?;
    let stolen = vault.incident_exposure(&officer, &token.id)?;
    let honey = match stolen.exposure.honey {
        0 => String::new(),
        n => format!(" (and {n} honey record(s), not people)"),
    };
    println!(
        "   incident {}: the stolen token of `{}` read {} people{honey} before it was stopped; it could have viewed \
         {} — the report says {}, not \"up to {} may have been viewed\"",
        token.id,
        leak.portal,
        stolen.exposure.subjects,
        stolen.exposure.could_have_viewed,
        stolen.exposure.subjects,
        stolen.exposure.could_have_viewed
    );

    // The stolen copy of the database.
    let copy = vault.open_incident(
        &officer,
        NewIncident {
            title: "copy of the database files taken".to_owned(),
            detected_at: leak.traced_at,
            learned_at: leak.traced_at,
            scenario: Scenario::StolenDatabase { keys_separate: true },
            unauthorised_purpose: true,
            scope: Scope { collections: [C.to_owned()].into(), copy: cast.copy.to_vec(), ..Scope::default() },
        },
    )?;
    let drafts = vault.draft_incident_reports(&officer, &copy.id, false)?;
    let x = &drafts.facts.exposure;
    println!(
        "   incident {}: the copied files of the previous step hold {} people, {} fields readable without the keys, \
         {} honey records and {} registered canaries that trip if the copy is ever used:",
        copy.id,
        x.could_have_viewed,
        x.readable_without_keys.len(),
        x.honey,
        x.canaries
    );
    print_duties(&drafts.assessment);
    if !x.readable_without_keys.is_empty() || drafts.assessment.exempt.is_none() {
        bail!("the stolen copy exposes fields without the keys");
    }
    let staff_count = cast.staff.len();
    println!("   every step above is in the access log under the incident ids ({staff_count} staff, 3 incidents)");
    Ok(())
}
