//! `kura desk report`: the service desk's reports as CSV files and SVG charts.

use std::path::Path;

use anyhow::{Context, Result};
use kura::desk::report;

use crate::cli::{DeskCmd, Global};
use crate::open;

fn csv<T: serde::Serialize>(dir: &Path, name: &str, rows: &[T]) -> Result<()> {
    let f = std::fs::File::create_new(dir.join(name)).with_context(|| format!("cannot create `{name}`"))?;
    report::write_csv(rows, std::io::BufWriter::new(f)).map_err(|e| anyhow::anyhow!("{name}: {e}"))
}

/// Writes every report of `orders` and `reads` into the new directory `out`; returns the summary and audit.
pub(super) fn write_reports(
    out: &Path,
    orders: &[kura::desk::order::Order],
    needs: &kura::desk::needs::Needs,
    reads: &[report::Read],
    at: i64,
) -> Result<(report::Summary, report::ReadAudit)> {
    std::fs::create_dir(out).with_context(|| format!("cannot create `{}` (it must not exist)", out.display()))?;
    let summary = report::summary(orders, at);
    let audit = report::reads(orders, needs, reads);
    csv(out, "orders_by_type_company_status.csv", &summary.by_type_company_status)?;
    csv(out, "orders_per_hour.csv", &summary.per_hour)?;
    csv(out, "sla.csv", &summary.sla)?;
    csv(out, "escalations.csv", &summary.escalations)?;
    csv(out, "reads_per_type.csv", &audit.per_type)?;
    csv(out, "reads_per_principal.csv", &audit.per_principal)?;
    csv(out, "findings.csv", &audit.findings)?;
    for (name, svg) in report::charts(&summary, &audit) {
        std::fs::write(out.join(format!("{name}.svg")), svg)?;
    }
    Ok((summary, audit))
}

pub fn run(g: &Global, c: DeskCmd) -> Result<()> {
    match c {
        DeskCmd::Report { collection, out, purpose } => {
            anyhow::ensure!(!out.exists(), "`{}` exists; name a new directory", out.display());
            let s = open::open_for(g, &purpose.purpose, &purpose.purpose_kind)?;
            let orders: Vec<kura::desk::order::Order> = s
                .vault
                .orders(&s.access)?
                .into_iter()
                .filter(|o| o.collection == collection)
                .map(|o| o.order)
                .collect();
            let needs = s.vault.desk_needs(&collection)?;
            let reads = s.vault.desk_reads(&s.access)?;
            let (summary, audit) = write_reports(&out, &orders, &needs, &reads, kura::store::now())?;
            println!(
                "{} orders, backlog {}; {} reads of personal data, {} without need (findings); reports in {}",
                summary.orders,
                summary.backlog.open,
                reads.len(),
                audit.findings.len(),
                out.display()
            );
            s.close()
        }
    }
}
