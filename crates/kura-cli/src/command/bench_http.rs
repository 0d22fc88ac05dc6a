//! `kura bench http`: authorised, audited, decrypted single-record reads over HTTP on loopback, against the
//! same server answering the same records from a plain SQLite table (no policy, no decryption, no log).
//!
//! Both routes run in one server built by [`kura_http::app`] (same middleware, same bearer-token extractor
//! and cache, same rate limiter, plain HTTP on 127.0.0.1), so the ratio isolates what the vault adds. The
//! load generator is in-process: keep-alive HTTP/1.1 connections, each sending the next GET as soon as the
//! last answer arrived, timing every request. It checks statuses and, on a sample, that the record's name is
//! the one generated for that id. Also: the Cedar decision time the vault's per-combination cache saves.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use axum::extract::State;
use axum::http::StatusCode;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use kura::principal::{Kind, Principal, Role};
use kura::store::sqlite::SqliteStore;
use kura::vault::CardView;
use kura::Vault;
use kura_http::api::{ApiState, VaultTokens};
use kura_http::{ApiError, Caller, Hooks, Purpose};
use rand::{Rng, SeedableRng};
use secrecy::ExposeSecret;

use crate::cli::BenchArgs;

/// Employees in the dataset (fewer when `--employees` says so).
const EMPLOYEES: usize = 20_000;
/// Unmeasured time per endpoint before the rounds.
const WARM_UP: Duration = Duration::from_secs(2);
/// Measured time per round; the endpoints alternate, two rounds each.
const ROUND: Duration = Duration::from_secs(5);
const ROUNDS: usize = 2;
/// One answer in this many has its body parsed and its name checked.
const CHECK_EVERY: u64 = 50;
const COLLECTION: &str = "corporate-mobile";
const SERVICE: &str = "bench-desk";
const PURPOSE: &str = "BENCH-1";

pub fn run(a: &BenchArgs) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("kura-bench-http-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let result = run_in(a, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// The records both endpoints serve: ids as the vault assigned them, and the name each should carry.
struct Records {
    ids: Vec<String>,
    names: Vec<String>,
}

fn run_in(a: &BenchArgs, dir: &Path) -> Result<()> {
    let employees = a.employees.min(EMPLOYEES);
    let conns = a.connections.clamp(1, 1024);
    println!("-- HTTP reads: {employees} employees, {conns} keep-alive connections, loopback, no TLS");
    let t = Instant::now();
    let (vault, records, token, companies) = setup(dir, employees)?;
    let plain_db = dir.join("plain.db");
    println!("setup   vault, import, plain table, service `{SERVICE}`  {:.1} s", t.elapsed().as_secs_f64());

    cedar_figures(&vault, &companies)?;

    let vault = Arc::new(vault);
    // The server has the machine's worker threads, as `kura serve` would; the load generator runs on a
    // runtime of its own with one thread (it competes for the same cores, as wrk would).
    let server_rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let client_rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let addr = server_rt.block_on(async {
        let config = kura_http::Config {
            listen: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            rate_limit_per_second: 1_000_000,
            rate_limit_burst: 1_000_000,
            ..kura_http::Config::default()
        };
        config.validate()?;
        let routes = kura_http::api::routes(ApiState::new(Arc::clone(&vault), None))
            .route("/bench/plain/{id}", axum::routing::get(plain_record).with_state(Arc::new(plain_db)));
        let router = kura_http::app(routes, &config, Hooks::new(VaultTokens(Arc::clone(&vault))));
        let listener = kura_http::bind(&config).await?;
        let addr = listener.local_addr()?;
        tokio::spawn(listener.serve(router, async {
            let _ = stop_rx.await;
        }));
        anyhow::Ok(addr)
    })?;

    let records = Arc::new(records);
    let token: Arc<str> = Arc::from(format!("Bearer {}", token.expose_secret()));
    let target = |kind: Endpoint| Target { addr, kind, records: Arc::clone(&records), token: Arc::clone(&token) };
    let mut kura = Load::default();
    let mut plain = Load::default();
    client_rt.block_on(async {
        load(&target(Endpoint::Kura), WARM_UP, conns).await?;
        load(&target(Endpoint::Plain), WARM_UP, conns).await?;
        for _ in 0..ROUNDS {
            kura.add(load(&target(Endpoint::Kura), ROUND, conns).await?);
            plain.add(load(&target(Endpoint::Plain), ROUND, conns).await?);
        }
        anyhow::Ok(())
    })?;
    let _ = stop_tx.send(());
    drop(client_rt);
    drop(server_rt);

    kura.print("kura GET record", conns);
    plain.print("plain SQLite GET", conns);
    println!(
        "http    overhead (plain/kura req/s) = {:.2}x   errors: kura {}, plain {}; names checked: kura {}, plain {}",
        plain.rate() / kura.rate().max(1e-9),
        kura.errors,
        plain.errors,
        kura.checked,
        plain.checked
    );
    anyhow::ensure!(kura.errors == 0 && plain.errors == 0, "requests failed during the HTTP benchmark");

    direct_reads(&vault, &records, conns)?;
    Ok(())
}

fn setup(dir: &Path, employees: usize) -> Result<(Vault, Records, secrecy::SecretString, Vec<String>)> {
    let mut csv = Vec::new();
    let params = kura::generate::CorporateParams { companies: 72, employees, seed: 1 };
    kura::generate::corporate(&params, &mut csv, &mut |_| {})?;
    let mut reader = csv::Reader::from_reader(&csv[..]);
    let header: Vec<String> = reader.headers()?.iter().map(str::to_owned).collect();
    let rows: Vec<Vec<String>> =
        reader.records().map(|x| x.map(|r| r.iter().map(str::to_owned).collect())).collect::<Result<_, _>>()?;
    let column = |name: &str| header.iter().position(|h| h == name).with_context(|| format!("no `{name}` column"));
    let (name_col, company_col) = (column("user_name")?, column("company")?);

    let vault = super::bench::vault_in(dir, Box::new(SqliteStore::open(&dir.join("vault"), true)?))?;
    let custodian = super::bench::bench_access()?;
    let schema = vault.schema(COLLECTION)?;
    let parsed = kura::import::parse("bench.csv", &csv, &schema, kura::import::Encoding::Auto)?;
    anyhow::ensure!(parsed.rejects.is_empty(), "generated data has invalid rows");
    let written = vault.write(&custodian, COLLECTION, parsed.rows, &mut |_| {})?;
    anyhow::ensure!(written.ids.len() == rows.len(), "the import did not store every row");
    let ids: Vec<String> = written.ids.iter().map(ToString::to_string).collect();
    let names: Vec<String> = rows.iter().map(|r| r.get(name_col).cloned().unwrap_or_default()).collect();

    // The same rows, keyed by the same ids, in a plain table: what a server without protection reads.
    let conn = rusqlite::Connection::open(dir.join("plain.db"))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    let cols: Vec<String> = header.iter().map(|h| format!("{h} TEXT")).collect();
    conn.execute_batch(&format!("CREATE TABLE people (id TEXT PRIMARY KEY, {}) WITHOUT ROWID", cols.join(", ")))?;
    let placeholders: Vec<String> = (1..=header.len() + 1).map(|i| format!("?{i}")).collect();
    let sql = format!("INSERT INTO people (id, {}) VALUES ({})", header.join(", "), placeholders.join(", "));
    let tx = conn.unchecked_transaction()?;
    {
        let mut stmt = tx.prepare(&sql)?;
        for (id, row) in ids.iter().zip(&rows) {
            stmt.execute(rusqlite::params_from_iter(std::iter::once(id).chain(row)))?;
        }
    }
    tx.commit()?;
    drop(conn);

    // The service: an operator assigned to every company of the data, with a read token.
    let companies: std::collections::BTreeSet<String> =
        rows.iter().filter_map(|r| r.get(company_col).cloned()).collect();
    let service = Principal::new(SERVICE, Kind::Service, [Role::Operator].into(), None, companies)?;
    let canonical: Vec<String> = service.companies.iter().cloned().collect();
    vault.add_principal(&custodian, &service)?;
    let token = vault.issue_token(&custodian, SERVICE, vec!["records:read".to_owned()], kura::store::now() + 86_400)?;

    // The names the vault returns are the generated ones (checked here on a few, so that the checks during
    // the run compare like with like).
    let reader = vault.access(SERVICE, PURPOSE, "bench")?;
    for (id, name) in written.ids.iter().zip(&names).step_by(employees.max(10) / 10) {
        let r = vault.get(&reader, COLLECTION, *id, CardView::Masked)?;
        anyhow::ensure!(r.value("user_name") == Some(name.as_str()), "a record's name differs from the generated one");
    }
    Ok((vault, Records { ids, names }, token, canonical))
}

thread_local! {
    /// One read connection to the plain table per blocking thread.
    static PLAIN: RefCell<Option<rusqlite::Connection>> = const { RefCell::new(None) };
}

/// The baseline: the same authentication and purpose header as the vault's route, then one indexed read of
/// a plain row, answered in the vault's shape (every field `plain`).
async fn plain_record(
    State(db): State<Arc<PathBuf>>,
    caller: Caller,
    _purpose: Purpose,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<kura_http::Json<serde_json::Value>, ApiError> {
    caller.require_scope("records:read")?;
    let row = tokio::task::spawn_blocking(move || read_plain(&db, &id))
        .await
        .map_err(|_| ApiError::internal("plain read panicked"))?
        .map_err(|e| ApiError::internal(format!("plain read: {e}")))?;
    row.map(kura_http::Json).ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such record"))
}

fn read_plain(db: &Path, id: &str) -> rusqlite::Result<Option<serde_json::Value>> {
    PLAIN.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?);
        }
        let Some(conn) = slot.as_mut() else { return Ok(None) };
        let mut stmt = conn.prepare_cached("SELECT * FROM people WHERE id = ?1")?;
        let names: Vec<String> = stmt.column_names().into_iter().map(str::to_owned).collect();
        let mut rows = stmt.query([id])?;
        let Some(row) = rows.next()? else { return Ok(None) };
        let mut fields = serde_json::Map::new();
        for (i, name) in names.iter().enumerate().skip(1) {
            let value: Option<String> = row.get(i)?;
            fields.insert(name.clone(), serde_json::json!({ "value": value, "shown": "plain" }));
        }
        Ok(Some(serde_json::json!({ "id": id, "fields": fields })))
    })
}

#[derive(Debug, Clone, Copy)]
enum Endpoint {
    Kura,
    Plain,
}

struct Target {
    addr: SocketAddr,
    kind: Endpoint,
    records: Arc<Records>,
    token: Arc<str>,
}

impl Target {
    fn path(&self, id: &str) -> String {
        match self.kind {
            Endpoint::Kura => format!("/v1/collections/{COLLECTION}/records/{id}"),
            Endpoint::Plain => format!("/bench/plain/{id}"),
        }
    }
}

/// What one timed run (or several) saw.
#[derive(Debug, Default)]
struct Load {
    latencies_us: Vec<u32>,
    secs: f64,
    errors: u64,
    checked: u64,
}

impl Load {
    fn add(&mut self, other: Load) {
        self.latencies_us.extend(other.latencies_us);
        self.secs += other.secs;
        self.errors += other.errors;
        self.checked += other.checked;
    }

    fn rate(&self) -> f64 {
        self.latencies_us.len() as f64 / self.secs.max(1e-9)
    }

    fn percentile_ms(&mut self, p: usize) -> f64 {
        self.latencies_us.sort_unstable();
        let i = (self.latencies_us.len() * p / 100).min(self.latencies_us.len().saturating_sub(1));
        f64::from(self.latencies_us.get(i).copied().unwrap_or(0)) / 1000.0
    }

    fn print(&mut self, what: &str, conns: usize) {
        let (p50, p99) = (self.percentile_ms(50), self.percentile_ms(99));
        println!(
            "http    {what:<18} {conns} conns {:>8.0} req/s  p50 {p50:>5.2} ms  p99 {p99:>6.2} ms  ({} requests in {:.0} s)",
            self.rate(),
            self.latencies_us.len(),
            self.secs
        );
    }
}

/// `conns` connections sending GETs of random records for `time`.
async fn load(target: &Target, time: Duration, conns: usize) -> Result<Load> {
    let deadline = Instant::now() + time;
    let checks = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for conn in 0..conns {
        let t = Target {
            addr: target.addr,
            kind: target.kind,
            records: Arc::clone(&target.records),
            token: Arc::clone(&target.token),
        };
        let checks = Arc::clone(&checks);
        tasks.spawn(async move { connection(t, conn as u64, deadline, checks).await });
    }
    let mut out = Load::default();
    while let Some(joined) = tasks.join_next().await {
        out.add(joined.context("load connection panicked")??);
    }
    out.secs = start.elapsed().as_secs_f64();
    out.checked = checks.load(Ordering::Relaxed);
    Ok(out)
}

async fn connection(t: Target, seed: u64, deadline: Instant, checks: Arc<AtomicU64>) -> Result<Load> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ ((t.kind as u64) << 32));
    let mut out = Load::default();
    let mut sender = None;
    let mut n = 0u64;
    while Instant::now() < deadline {
        if sender.is_none() {
            let stream = tokio::net::TcpStream::connect(t.addr).await?;
            stream.set_nodelay(true)?;
            let (s, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(conn);
            sender = Some(s);
        }
        let Some(s) = sender.as_mut() else { continue };
        let i = rng.gen_range(0..t.records.ids.len());
        let id = t.records.ids.get(i).context("record index")?;
        let request = hyper::Request::get(t.path(id))
            .header("host", "127.0.0.1")
            .header("authorization", &*t.token)
            .header("kura-purpose", PURPOSE)
            .body(Empty::<Bytes>::new())?;
        let began = Instant::now();
        let answer = async {
            let response = s.send_request(request).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            anyhow::Ok((status, body))
        }
        .await;
        let elapsed = began.elapsed();
        n += 1;
        match answer {
            Ok((status, body)) if status == hyper::StatusCode::OK => {
                out.latencies_us.push(u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX));
                if n.is_multiple_of(CHECK_EVERY) {
                    let v: serde_json::Value = serde_json::from_slice(&body)?;
                    let name = v.pointer("/fields/user_name/value").and_then(serde_json::Value::as_str);
                    if name != t.records.names.get(i).map(String::as_str)
                        || v.get("id").and_then(serde_json::Value::as_str) != Some(id)
                    {
                        out.errors += 1;
                    }
                    checks.fetch_add(1, Ordering::Relaxed);
                }
            }
            Ok(_) => out.errors += 1,
            Err(_) => {
                out.errors += 1;
                sender = None;
            }
        }
    }
    Ok(out)
}

/// Cedar decisions, uncached: what each record read would cost without the vault's decision cache.
fn cedar_figures(vault: &Vault, companies: &[String]) -> Result<()> {
    let policy = kura::policy::Policy::default_policy()?;
    let who = vault.principal(SERVICE)?;
    let schema = vault.schema(COLLECTION)?;
    let why = kura::policy::Purpose { reference: PURPOSE, kind: kura::vault::DEFAULT_PURPOSE_KIND, order: None };
    let company = companies.first().context("no company")?;
    let fields: Vec<kura::policy::FieldRef<'_>> = schema
        .fields
        .iter()
        .map(|f| kura::policy::FieldRef {
            collection: &schema.name,
            name: &f.name,
            kind: f.kind,
            classification: f.classification,
            company,
            home: f.home,
        })
        .collect();
    let rounds = 300;
    let mut shown = [0usize; 3];
    let t = Instant::now();
    for _ in 0..rounds {
        for f in &fields {
            match policy.visibility(&who, f, &why) {
                kura::policy::Visibility::Plain => shown[0] += 1,
                kura::policy::Visibility::Masked => shown[1] += 1,
                kura::policy::Visibility::Hidden => shown[2] += 1,
            }
        }
    }
    let per_field = t.elapsed().as_secs_f64() * 1e6 / (rounds * fields.len()) as f64;
    let [p, m, h] = shown.map(|n| n / rounds);
    println!(
        "cedar   visibility, 1 field (uncached)   {per_field:>7.1} µs   (1–2 Cedar evaluations: plain, else masked; \
         {} companies on the principal)",
        who.companies.len()
    );
    println!(
        "cedar   per record, {} fields (uncached) {:>7.1} µs   ({p} plain, {m} masked, {h} hidden); the vault caches \
         decisions per (principal, purpose, collection, company), so a request pays this once per combination",
        fields.len(),
        per_field * fields.len() as f64
    );
    Ok(())
}

/// The same reads without HTTP, from as many threads as connections (each read one durable log entry,
/// group-committed): with the access built per read as the HTTP handler does (the principal loaded and
/// unsealed, its decision key formatted), and with one access reused; and the access alone.
fn direct_reads(vault: &Vault, records: &Records, conns: usize) -> Result<()> {
    let reads_per_thread = 150usize;
    let ids: Vec<kura::RecordId> =
        records.ids.iter().take(conns * reads_per_thread).map(|s| s.parse()).collect::<Result<_, _>>()?;
    let shared = vault.access(SERVICE, PURPOSE, "bench")?;
    let threads = |per_read_access: bool| -> Result<f64> {
        let t = Instant::now();
        std::thread::scope(|s| -> Result<()> {
            let handles: Vec<_> = ids
                .chunks(reads_per_thread)
                .map(|chunk| {
                    let shared = &shared;
                    s.spawn(move || -> Result<()> {
                        for id in chunk {
                            if per_read_access {
                                let access = vault.access(SERVICE, PURPOSE, "bench")?;
                                vault.get(&access, COLLECTION, *id, CardView::Masked)?;
                            } else {
                                vault.get(shared, COLLECTION, *id, CardView::Masked)?;
                            }
                        }
                        Ok(())
                    })
                })
                .collect();
            for h in handles {
                h.join().map_err(|_| anyhow::anyhow!("read thread panicked"))??;
            }
            Ok(())
        })?;
        Ok(ids.len() as f64 / t.elapsed().as_secs_f64())
    };
    let per_read = threads(true)?;
    let reused = threads(false)?;
    println!(
        "direct  vault.access + get, {conns} threads {per_read:>8.0} reads/s   (no HTTP; the access built per read, as the handler does)"
    );
    println!("direct  get, one access, {conns} threads    {reused:>8.0} reads/s   (no HTTP; the access built once)");
    let n = 2_000u32;
    let t = Instant::now();
    for _ in 0..n {
        vault.access(SERVICE, PURPOSE, "bench")?;
    }
    let access_us = t.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    let t = Instant::now();
    for _ in 0..n {
        vault.principal(SERVICE)?;
    }
    let principal_us = t.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    println!(
        "direct  vault.access, 1 thread   {access_us:>7.1} µs   (the principal's attributes reused for 2 s; loading \
         them anew — read, unseal, parse — takes {principal_us:.1} µs)"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_pick_from_sorted_latencies() {
        let mut l = Load { latencies_us: (1..=100).rev().map(|x| x * 1000).collect(), secs: 1.0, ..Load::default() };
        assert_eq!(l.percentile_ms(50), 51.0);
        assert_eq!(l.percentile_ms(99), 100.0);
        assert_eq!(l.rate(), 100.0);
    }
}
