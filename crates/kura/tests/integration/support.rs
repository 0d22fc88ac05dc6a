//! Test fixtures: fresh vaults on each backend.

use std::path::{Path, PathBuf};

use kura::keys::keyfile::{KdfParams, KeyFile};
use kura::store::{postgres::PgStore, sqlite::SqliteStore, Store};
use kura::Vault;
use secrecy::SecretString;

pub const PASS: &str = "integration test passphrase";

/// Where a test vault lives; dropping it removes the PostgreSQL schema.
pub struct Fixture {
    pub backend: &'static str,
    pub dir: tempfile::TempDir,
    pub url: Option<String>,
    schema: Option<String>,
}

impl Fixture {
    pub fn store(&self) -> Box<dyn Store> {
        match &self.url {
            None => Box::new(SqliteStore::open(&self.dir.path().join("vault"), true).unwrap()),
            Some(url) => Box::new(PgStore::open(url).unwrap()),
        }
    }

    pub fn key_path(&self) -> PathBuf {
        self.dir.path().join("root.key")
    }

    /// Creates the vault and its key file, with a policy that permits everything: for tests of the vault's
    /// mechanics (storage, crypto, log). Policy enforcement is tested with [`Fixture::create_default`].
    pub fn create(&self) -> Vault {
        let vault = self.create_default();
        vault.set_policy(&custodian(), PERMIT_ALL).unwrap();
        vault
    }

    /// Creates the vault and its key file under the default policy.
    pub fn create_default(&self) -> Vault {
        let keys = KeyFile::create(&self.key_path(), "test", &pass(), KdfParams::dangerous_for_tests()).unwrap();
        Vault::create(self.store(), Box::new(keys)).unwrap()
    }

    /// Opens the vault again, as a new process would.
    pub fn open(&self) -> Vault {
        let keys = KeyFile::open(&self.key_path(), &pass()).unwrap();
        Vault::open(self.store(), Box::new(keys)).unwrap()
    }

    pub fn vault_dir(&self) -> PathBuf {
        self.dir.path().join("vault")
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let (Some(schema), Ok(base)) = (&self.schema, std::env::var("KURA_TEST_POSTGRES")) {
            if let Ok(mut c) = postgres::Client::connect(&base, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
            }
        }
    }
}

pub fn pass() -> SecretString {
    SecretString::from(PASS.to_owned())
}

/// One fixture per available backend.
pub fn backends() -> Vec<Fixture> {
    let mut out = vec![Fixture { backend: "sqlite", dir: tempfile::tempdir().unwrap(), url: None, schema: None }];
    if let Ok(base) = std::env::var("KURA_TEST_POSTGRES") {
        let schema = format!("kura_test_{}", uuid::Uuid::new_v4().simple());
        let sep = if base.contains('?') { "&" } else { "?" };
        out.push(Fixture {
            backend: "postgresql",
            dir: tempfile::tempdir().unwrap(),
            url: Some(format!("{base}{sep}options=-csearch_path%3D{schema}")),
            schema: Some(schema),
        });
    } else {
        eprintln!("note: KURA_TEST_POSTGRES is not set; PostgreSQL backend not tested here");
    }
    out
}

/// A generated corporate CSV of `n` rows.
pub fn corporate_csv(n: usize, seed: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let p = kura::generate::CorporateParams { companies: 12, employees: n, seed };
    kura::generate::corporate(&p, &mut out, &mut |_| {}).unwrap();
    out
}

/// A generated consumer CSV of `n` rows.
pub fn consumer_csv(n: usize, seed: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let p = kura::generate::ConsumerParams { count: n, seed };
    kura::generate::consumer(&p, &mut out, &mut |_| {}).unwrap();
    out
}

/// Creates the collection and imports a CSV; returns the parsed rows' count.
pub fn import(vault: &Vault, collection: &str, csv: &[u8]) -> usize {
    if vault.schema(collection).is_err() {
        vault.create_collection(&access(), kura::schema::builtin(collection).unwrap()).unwrap();
    }
    let schema = vault.schema(collection).unwrap();
    let parsed = kura::import::parse("test.csv", csv, &schema, kura::import::Encoding::Auto).unwrap();
    assert!(parsed.rejects.is_empty(), "generated rows rejected: {:?}", parsed.rejects.first());
    let n = parsed.rows.len();
    vault.write(&access(), collection, parsed.rows, &mut |_| {}).unwrap();
    n
}

/// Rows of a CSV as header → value maps.
pub fn rows(csv: &[u8]) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_reader(csv);
    let h: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    r.records().map(|rec| h.iter().cloned().zip(rec.unwrap().iter().map(str::to_owned)).collect()).collect()
}

/// A policy that permits every action: for tests of mechanics, never shipped.
pub const PERMIT_ALL: &str = "permit (principal, action, resource);";

/// A test principal holding every role (under [`PERMIT_ALL`] it may do anything).
pub fn access() -> kura::Access {
    access_as("tester", "TEST-1")
}

/// [`access`] under another name and purpose.
pub fn access_as(name: &str, purpose: &str) -> kura::Access {
    use kura::principal::{Kind, Role, Summary};
    let who = Summary {
        name: name.to_owned(),
        kind: Kind::Employee,
        roles: [Role::Operator, Role::Supervisor, Role::Auditor, Role::SecurityOfficer, Role::Administrator]
            .into_iter()
            .collect(),
        team: None,
        companies: Default::default(),
        suspended: false,
        password: true,
        totp: true,
        tokens: Vec::new(),
    };
    kura::Access::new(who, purpose, "test").unwrap()
}

/// The key holder, acting without a sign-in.
pub fn custodian() -> kura::Access {
    kura::Access::custodian("tester", "TEST-1", "test").unwrap()
}

#[allow(dead_code)]
pub fn path_exists(p: &Path) -> bool {
    p.exists()
}
