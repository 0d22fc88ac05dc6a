//! The stolen-files test: import generated data, close the vault, and scan every file it wrote (databases,
//! WAL, shared memory, journals, the key file) for every plaintext value and its canonical form.

use crate::support::{backends, consumer_csv, corporate_csv, import};

#[test]
fn database_files_hold_no_plaintext() {
    let fx = backends().remove(0);
    let vault = fx.create();
    let corp = corporate_csv(3000, 77);
    let cons = consumer_csv(1000, 78);
    import(&vault, "corporate-mobile", &corp);
    import(&vault, "consumer-wireless", &cons);
    // Scan while the WAL still holds the recent writes, and again after closing.
    let mut needles = Vec::new();
    for (name, csv) in [("corporate-mobile", &corp), ("consumer-wireless", &cons)] {
        let path = fx.dir.path().join(format!("{name}.csv"));
        std::fs::write(&path, csv).unwrap();
        needles.extend(kura::scan::needles_from_csv(&path, &kura::schema::builtin(name).unwrap()).unwrap());
    }
    assert!(needles.len() > 30_000, "needles: {}", needles.len());
    let open_files = kura::scan::walk(&fx.vault_dir()).unwrap();
    assert!(open_files.iter().any(|p| p.to_string_lossy().ends_with("-wal")), "WAL present while open: {open_files:?}");
    let mut all = open_files.clone();
    all.push(fx.key_path());
    let report = kura::scan::files(&all, needles.clone()).unwrap();
    assert!(report.hits.is_empty(), "plaintext found while open: {:?}", &report.hits[..report.hits.len().min(5)]);
    drop(vault);
    let closed = kura::scan::walk(&fx.vault_dir()).unwrap();
    let report = kura::scan::files(&closed, needles.clone()).unwrap();
    assert!(report.hits.is_empty(), "plaintext found after close: {:?}", &report.hits[..report.hits.len().min(5)]);
    // Control: the scanner does find the values where they are in the clear.
    let control = kura::scan::files(&[fx.dir.path().join("corporate-mobile.csv")], needles).unwrap();
    assert!(control.hits.len() > 10_000);
}
