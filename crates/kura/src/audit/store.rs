//! Where the access log lives: entries, tree nodes, subject and principal indexes, signed checkpoints.
//!
//! SQLite keeps the log in `audit.db` of its own (so log appends never wait behind a data import, and the
//! log's durability settings are its own: WAL with fsync on every commit); PostgreSQL keeps `kura_audit_*`
//! tables. Appends take the log's write lock (`BEGIN IMMEDIATE`, or a PostgreSQL advisory lock), so several
//! kura processes can append to one log and sequence numbers stay dense.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::merkle::{self, Hash, Node, NodeId, Nodes};

/// A log storage operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// SQLite.
    #[error("audit log (sqlite): {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL.
    #[error("audit log (postgresql): {0}")]
    Postgres(#[from] postgres::Error),
    /// Tree arithmetic or a missing node.
    #[error("audit log tree: {0}")]
    Merkle(#[from] merkle::Error),
    /// Damaged rows.
    #[error("audit log is damaged: {0}")]
    Corrupt(String),
    /// Lock poisoned.
    #[error("audit log connection is unusable after an earlier failure")]
    Poisoned,
    /// Building the batch failed.
    #[error("audit entry could not be encoded: {0}")]
    Encode(String),
}

/// An entry as stored: the leaf data plus columns indexed for queries.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    /// Leaf index.
    pub seq: u64,
    /// Unix ms.
    pub time_ms: i64,
    /// Principal.
    pub principal: String,
    /// Leaf data (the entry's JSON).
    pub data: Vec<u8>,
    /// Subject commitments, for "who saw this person?".
    pub subjects: Vec<String>,
}

/// What an append writes.
pub type Batch = (Vec<StoredEntry>, Vec<Node>);

/// Builds a batch given the current tree size and read access to its nodes.
pub type Build<'a> = dyn FnMut(u64, &dyn Nodes) -> Result<Batch, Error> + 'a;

/// Storage of the access log.
pub trait LogStore: Send + Sync + std::fmt::Debug {
    /// Under the log's write lock: reads the size, calls `build`, stores what it returns, commits durably.
    /// Returns the new size.
    fn append(&self, build: &mut Build<'_>) -> Result<u64, Error>;
    /// Number of entries.
    fn size(&self) -> Result<u64, Error>;
    /// Stored node hashes (for proofs); missing ones are an error.
    fn nodes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, Error>;
    /// Entries `[from, from+limit)` as (seq, leaf data), in order, as stored.
    fn entries(&self, from: u64, limit: u64) -> Result<Vec<(u64, Vec<u8>)>, Error>;
    /// Stored nodes of one level with index `>= from`, in index order, at most `limit` (for verification).
    fn node_level(&self, level: u8, from: u64, limit: u64) -> Result<Vec<Node>, Error>;
    /// Entries `[from, from+limit)` with their indexed columns (`subjects` left empty), for verification.
    fn entry_rows(&self, from: u64, limit: u64) -> Result<Vec<StoredEntry>, Error>;
    /// Subject-index rows in (commitment, seq) order after `after`, for verification.
    fn subject_rows(&self, after: Option<(&str, u64)>, limit: u64) -> Result<Vec<(String, u64)>, Error>;
    /// Starts a consistent read snapshot on the reading connection (verification of a log being appended to).
    fn begin_snapshot(&self) -> Result<(), Error>;
    /// Ends the snapshot.
    fn end_snapshot(&self) -> Result<(), Error>;
    /// Entries naming this subject commitment.
    fn by_subject(&self, commitment: &str) -> Result<Vec<u64>, Error>;
    /// Entries by this principal within `[from_ms, to_ms)`.
    fn by_principal(&self, principal: &str, from_ms: i64, to_ms: i64) -> Result<Vec<u64>, Error>;
    /// Stores a signed checkpoint.
    fn put_checkpoint(&self, size: u64, note: &str) -> Result<(), Error>;
    /// Every stored checkpoint, oldest first.
    fn checkpoints(&self) -> Result<Vec<(u64, String)>, Error>;
}

/// Lets the tree functions read stored nodes through a [`LogStore`].
#[derive(Debug)]
pub struct StoreNodes<'a>(pub &'a dyn LogStore);

impl Nodes for StoreNodes<'_> {
    fn node(&self, level: u8, index: u64) -> Result<Hash, merkle::Error> {
        self.nodes(&[NodeId { level, index }])?.into_iter().next().ok_or(merkle::Error::MissingNode { level, index })
    }
    fn nodes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, merkle::Error> {
        self.0.nodes(ids).map_err(|e| match e {
            Error::Merkle(m) => m,
            other => merkle::Error::Storage(other.to_string().into()),
        })
    }
}

fn hash_of(b: &[u8]) -> Result<Hash, Error> {
    Hash::try_from(b).map_err(|_| Error::Corrupt("tree node hash is not 32 bytes".to_owned()))
}

// ---------------------------------------------------------------------------------------------------------
// SQLite

const SQLITE_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS audit_entry (
    seq       INTEGER PRIMARY KEY,
    time_ms   INTEGER NOT NULL,
    principal TEXT NOT NULL,
    data      BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_entry_principal ON audit_entry(principal, time_ms);
CREATE TABLE IF NOT EXISTS audit_node (
    level INTEGER NOT NULL,
    idx   INTEGER NOT NULL,
    hash  BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit_subject (
    commitment TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    PRIMARY KEY (commitment, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit_checkpoint (
    size INTEGER NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (size, note)
) WITHOUT ROWID;
";

/// The access log in `audit.db`.
pub struct SqliteLog {
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteLog").field("path", &self.path).finish_non_exhaustive()
    }
}

/// The log file name inside a vault directory.
pub const AUDIT_FILE: &str = "audit.db";

impl SqliteLog {
    /// Opens (creating if needed) the log in `dir`.
    pub fn open(dir: &Path) -> Result<SqliteLog, Error> {
        let path = dir.join(AUDIT_FILE);
        let open = || -> Result<Connection, Error> {
            let c = Connection::open(&path)?;
            c.pragma_update(None, "journal_mode", "WAL")?;
            c.pragma_update(None, "synchronous", "FULL")?;
            c.pragma_update(None, "temp_store", "MEMORY")?;
            c.busy_timeout(std::time::Duration::from_secs(30))?;
            Ok(c)
        };
        let writer = open()?;
        writer.execute_batch(SQLITE_SCHEMA)?;
        let reader = open()?;
        Ok(SqliteLog { writer: Mutex::new(writer), reader: Mutex::new(reader), path })
    }

    fn reader(&self) -> Result<MutexGuard<'_, Connection>, Error> {
        self.reader.lock().map_err(|_| Error::Poisoned)
    }
}

struct SqliteNodes<'a>(&'a Connection);

impl Nodes for SqliteNodes<'_> {
    fn node(&self, level: u8, index: u64) -> Result<Hash, merkle::Error> {
        let row: Option<Vec<u8>> = self
            .0
            .prepare_cached("SELECT hash FROM audit_node WHERE level = ?1 AND idx = ?2")
            .and_then(|mut s| s.query_row(params![level, index as i64], |r| r.get(0)).optional())
            .map_err(|e| merkle::Error::Storage(e.to_string().into()))?;
        let b = row.ok_or(merkle::Error::MissingNode { level, index })?;
        Hash::try_from(b.as_slice()).map_err(|_| merkle::Error::Storage("node hash is not 32 bytes".into()))
    }
}

/// `INSERT [OR IGNORE] INTO table(cols) VALUES (...), (...)` in statements of up to 64 rows.
fn insert_many<T>(
    tx: &rusqlite::Transaction<'_>,
    target: &str,
    columns: usize,
    rows: &[T],
    bind: impl Fn(&mut rusqlite::Statement<'_>, usize, &T) -> rusqlite::Result<()>,
) -> Result<(), Error> {
    const ROWS: usize = 64;
    let (verb, target) = match target.strip_prefix("OR IGNORE INTO ") {
        Some(t) => ("INSERT OR IGNORE INTO", t),
        None => ("INSERT INTO", target),
    };
    let one = format!("({})", vec!["?"; columns].join(", "));
    for chunk in rows.chunks(ROWS) {
        let sql = format!("{verb} {target} VALUES {}", vec![one.as_str(); chunk.len()].join(", "));
        let mut st = tx.prepare_cached(&sql)?;
        for (i, row) in chunk.iter().enumerate() {
            bind(&mut st, i * columns, row)?;
        }
        st.raw_execute()?;
    }
    Ok(())
}

fn u64_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

impl LogStore for SqliteLog {
    fn append(&self, build: &mut Build<'_>) -> Result<u64, Error> {
        let mut conn = self.writer.lock().map_err(|_| Error::Poisoned)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let size: i64 = tx.query_row("SELECT coalesce(max(seq) + 1, 0) FROM audit_entry", [], |r| r.get(0))?;
        let size = u64_of(size);
        let (entries, nodes) = build(size, &SqliteNodes(&tx))?;
        for (i, entry) in entries.iter().enumerate() {
            if entry.seq != size + i as u64 {
                return Err(Error::Corrupt("batch sequence numbers are not contiguous".to_owned()));
            }
        }
        // Many rows per statement: per-statement overhead dominates rows this small.
        insert_many(&tx, "audit_entry(seq, time_ms, principal, data)", 4, &entries, |st, base, e| {
            st.raw_bind_parameter(base + 1, e.seq as i64)?;
            st.raw_bind_parameter(base + 2, e.time_ms)?;
            st.raw_bind_parameter(base + 3, e.principal.as_str())?;
            st.raw_bind_parameter(base + 4, e.data.as_slice())
        })?;
        let subjects: Vec<(&str, i64)> =
            entries.iter().flat_map(|e| e.subjects.iter().map(move |c| (c.as_str(), e.seq as i64))).collect();
        insert_many(&tx, "OR IGNORE INTO audit_subject(commitment, seq)", 2, &subjects, |st, base, (c, seq)| {
            st.raw_bind_parameter(base + 1, *c)?;
            st.raw_bind_parameter(base + 2, *seq)
        })?;
        insert_many(&tx, "audit_node(level, idx, hash)", 3, &nodes, |st, base, n| {
            st.raw_bind_parameter(base + 1, n.level)?;
            st.raw_bind_parameter(base + 2, n.index as i64)?;
            st.raw_bind_parameter(base + 3, &n.hash[..])
        })?;
        tx.commit()?;
        Ok(size + entries.len() as u64)
    }

    fn size(&self) -> Result<u64, Error> {
        let n: i64 = self.reader()?.query_row("SELECT coalesce(max(seq) + 1, 0) FROM audit_entry", [], |r| r.get(0))?;
        Ok(u64_of(n))
    }

    fn nodes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, Error> {
        let conn = self.reader()?;
        let nodes = SqliteNodes(&conn);
        ids.iter().map(|id| nodes.node(id.level, id.index).map_err(Error::from)).collect()
    }

    fn entries(&self, from: u64, limit: u64) -> Result<Vec<(u64, Vec<u8>)>, Error> {
        let conn = self.reader()?;
        let mut stmt =
            conn.prepare_cached("SELECT seq, data FROM audit_entry WHERE seq >= ?1 ORDER BY seq LIMIT ?2")?;
        let rows = stmt.query_map(params![from as i64, limit as i64], |r| Ok((u64_of(r.get(0)?), r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn node_level(&self, level: u8, from: u64, limit: u64) -> Result<Vec<Node>, Error> {
        let conn = self.reader()?;
        let mut stmt = conn
            .prepare_cached("SELECT idx, hash FROM audit_node WHERE level = ?1 AND idx >= ?2 ORDER BY idx LIMIT ?3")?;
        let rows = stmt.query_map(params![level, from as i64, limit as i64], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (idx, hash) = row?;
            out.push(Node { level, index: u64_of(idx), hash: hash_of(&hash)? });
        }
        Ok(out)
    }

    fn entry_rows(&self, from: u64, limit: u64) -> Result<Vec<StoredEntry>, Error> {
        let conn = self.reader()?;
        let mut stmt = conn.prepare_cached(
            "SELECT seq, time_ms, principal, data FROM audit_entry WHERE seq >= ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![from as i64, limit as i64], |r| {
            Ok(StoredEntry {
                seq: u64_of(r.get(0)?),
                time_ms: r.get(1)?,
                principal: r.get(2)?,
                data: r.get(3)?,
                subjects: Vec::new(),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn subject_rows(&self, after: Option<(&str, u64)>, limit: u64) -> Result<Vec<(String, u64)>, Error> {
        let conn = self.reader()?;
        let (c, seq) = after.map_or(("", -1i64), |(c, s)| (c, s as i64));
        let mut stmt = conn.prepare_cached(
            "SELECT commitment, seq FROM audit_subject WHERE (commitment, seq) > (?1, ?2) ORDER BY commitment, seq LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![c, seq, limit as i64], |r| Ok((r.get(0)?, u64_of(r.get(1)?))))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn begin_snapshot(&self) -> Result<(), Error> {
        let conn = self.reader()?;
        conn.execute_batch("BEGIN DEFERRED")?;
        // The first read fixes the snapshot.
        conn.query_row("SELECT count(*) FROM audit_checkpoint", [], |_| Ok(()))?;
        Ok(())
    }

    fn end_snapshot(&self) -> Result<(), Error> {
        let conn = self.reader()?;
        if !conn.is_autocommit() {
            conn.execute_batch("COMMIT")?;
        }
        Ok(())
    }

    fn by_subject(&self, commitment: &str) -> Result<Vec<u64>, Error> {
        let conn = self.reader()?;
        let mut stmt = conn.prepare_cached("SELECT seq FROM audit_subject WHERE commitment = ?1 ORDER BY seq")?;
        let rows = stmt.query_map([commitment], |r| r.get::<_, i64>(0))?;
        Ok(rows.map(|r| r.map(u64_of)).collect::<Result<_, _>>()?)
    }

    fn by_principal(&self, principal: &str, from_ms: i64, to_ms: i64) -> Result<Vec<u64>, Error> {
        let conn = self.reader()?;
        let mut stmt = conn.prepare_cached(
            "SELECT seq FROM audit_entry WHERE principal = ?1 AND time_ms >= ?2 AND time_ms < ?3 ORDER BY seq",
        )?;
        let rows = stmt.query_map(params![principal, from_ms, to_ms], |r| r.get::<_, i64>(0))?;
        Ok(rows.map(|r| r.map(u64_of)).collect::<Result<_, _>>()?)
    }

    fn put_checkpoint(&self, size: u64, note: &str) -> Result<(), Error> {
        let conn = self.writer.lock().map_err(|_| Error::Poisoned)?;
        conn.execute("INSERT OR IGNORE INTO audit_checkpoint(size, note) VALUES (?1, ?2)", params![size as i64, note])?;
        Ok(())
    }

    fn checkpoints(&self) -> Result<Vec<(u64, String)>, Error> {
        let conn = self.reader()?;
        let mut stmt = conn.prepare_cached("SELECT size, note FROM audit_checkpoint ORDER BY size")?;
        let rows = stmt.query_map([], |r| Ok((u64_of(r.get(0)?), r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

// ---------------------------------------------------------------------------------------------------------
// PostgreSQL

const PG_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS kura_audit_entry (
    seq       BIGINT PRIMARY KEY,
    time_ms   BIGINT NOT NULL,
    principal TEXT NOT NULL,
    data      BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS kura_audit_entry_principal ON kura_audit_entry(principal, time_ms);
CREATE TABLE IF NOT EXISTS kura_audit_node (
    level SMALLINT NOT NULL,
    idx   BIGINT NOT NULL,
    hash  BYTEA NOT NULL,
    PRIMARY KEY (level, idx)
);
CREATE TABLE IF NOT EXISTS kura_audit_subject (
    commitment TEXT COLLATE \"C\" NOT NULL,
    seq        BIGINT NOT NULL,
    PRIMARY KEY (commitment, seq)
);
CREATE TABLE IF NOT EXISTS kura_audit_checkpoint (
    size BIGINT NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (size, note)
);
";

/// The access log in PostgreSQL.
pub struct PgLog {
    writer: Mutex<postgres::Client>,
    reader: Mutex<postgres::Client>,
}

impl std::fmt::Debug for PgLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgLog").finish_non_exhaustive()
    }
}

impl PgLog {
    /// Connects twice (appends and reads) and creates the tables if needed.
    pub fn open(url: &str) -> Result<PgLog, Error> {
        let mut writer = postgres::Client::connect(url, postgres::NoTls)?;
        // An acknowledged entry must be on disk, whatever the server's default.
        writer.batch_execute("SET synchronous_commit = on")?;
        writer.batch_execute("SELECT pg_advisory_lock(7365222)")?;
        let created = writer.batch_execute(PG_SCHEMA);
        writer.batch_execute("SELECT pg_advisory_unlock(7365222)")?;
        created?;
        let reader = postgres::Client::connect(url, postgres::NoTls)?;
        Ok(PgLog { writer: Mutex::new(writer), reader: Mutex::new(reader) })
    }

    fn reader(&self) -> Result<MutexGuard<'_, postgres::Client>, Error> {
        self.reader.lock().map_err(|_| Error::Poisoned)
    }
}

struct PgNodes<'a, 'b>(std::cell::RefCell<&'a mut postgres::Transaction<'b>>);

impl Nodes for PgNodes<'_, '_> {
    fn node(&self, level: u8, index: u64) -> Result<Hash, merkle::Error> {
        self.nodes(&[NodeId { level, index }])?.into_iter().next().ok_or(merkle::Error::MissingNode { level, index })
    }
    fn nodes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, merkle::Error> {
        let mut tx = self.0.try_borrow_mut().map_err(|_| merkle::Error::Storage("busy".into()))?;
        pg_nodes(&mut **tx, ids).map_err(|e| match e {
            Error::Merkle(m) => m,
            other => merkle::Error::Storage(other.to_string().into()),
        })
    }
}

fn pg_nodes(client: &mut impl postgres::GenericClient, ids: &[NodeId]) -> Result<Vec<Hash>, Error> {
    let levels: Vec<i16> = ids.iter().map(|i| i16::from(i.level)).collect();
    let idxs: Vec<i64> = ids.iter().map(|i| i.index as i64).collect();
    let rows = client.query(
        "SELECT n.hash FROM unnest($1::int2[], $2::int8[]) WITH ORDINALITY AS q(level, idx, ord)
         LEFT JOIN kura_audit_node n ON n.level = q.level AND n.idx = q.idx ORDER BY q.ord",
        &[&levels, &idxs],
    )?;
    rows.iter()
        .zip(ids)
        .map(|(r, id)| {
            let h: Option<Vec<u8>> = r.get(0);
            let h = h.ok_or(merkle::Error::MissingNode { level: id.level, index: id.index })?;
            hash_of(&h)
        })
        .collect()
}

impl LogStore for PgLog {
    fn append(&self, build: &mut Build<'_>) -> Result<u64, Error> {
        let mut client = self.writer.lock().map_err(|_| Error::Poisoned)?;
        let mut tx = client.transaction()?;
        tx.batch_execute("SELECT pg_advisory_xact_lock(7365223)")?;
        let size: i64 = tx.query_one("SELECT coalesce(max(seq) + 1, 0) FROM kura_audit_entry", &[])?.get(0);
        let size = u64_of(size);
        let (entries, nodes) = {
            let reader = PgNodes(std::cell::RefCell::new(&mut tx));
            build(size, &reader)?
        };
        for (i, e) in entries.iter().enumerate() {
            if e.seq != size + i as u64 {
                return Err(Error::Corrupt("batch sequence numbers are not contiguous".to_owned()));
            }
        }
        let seqs: Vec<i64> = entries.iter().map(|e| e.seq as i64).collect();
        let times: Vec<i64> = entries.iter().map(|e| e.time_ms).collect();
        let principals: Vec<&str> = entries.iter().map(|e| e.principal.as_str()).collect();
        let data: Vec<&[u8]> = entries.iter().map(|e| e.data.as_slice()).collect();
        tx.execute(
            "INSERT INTO kura_audit_entry(seq, time_ms, principal, data) SELECT * FROM unnest($1::int8[], $2::int8[], $3::text[], $4::bytea[])",
            &[&seqs, &times, &principals, &data],
        )?;
        let (sc, ss): (Vec<&str>, Vec<i64>) =
            entries.iter().flat_map(|e| e.subjects.iter().map(move |c| (c.as_str(), e.seq as i64))).unzip();
        tx.execute(
            "INSERT INTO kura_audit_subject(commitment, seq) SELECT * FROM unnest($1::text[], $2::int8[]) ON CONFLICT DO NOTHING",
            &[&sc, &ss],
        )?;
        let levels: Vec<i16> = nodes.iter().map(|n| i16::from(n.level)).collect();
        let idxs: Vec<i64> = nodes.iter().map(|n| n.index as i64).collect();
        let hashes: Vec<&[u8]> = nodes.iter().map(|n| &n.hash[..]).collect();
        tx.execute(
            "INSERT INTO kura_audit_node(level, idx, hash) SELECT * FROM unnest($1::int2[], $2::int8[], $3::bytea[])",
            &[&levels, &idxs, &hashes],
        )?;
        tx.commit()?;
        Ok(size + entries.len() as u64)
    }

    fn size(&self) -> Result<u64, Error> {
        let n: i64 = self.reader()?.query_one("SELECT coalesce(max(seq) + 1, 0) FROM kura_audit_entry", &[])?.get(0);
        Ok(u64_of(n))
    }

    fn nodes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, Error> {
        pg_nodes(&mut *self.reader()?, ids)
    }

    fn entries(&self, from: u64, limit: u64) -> Result<Vec<(u64, Vec<u8>)>, Error> {
        let rows = self.reader()?.query(
            "SELECT seq, data FROM kura_audit_entry WHERE seq >= $1 ORDER BY seq LIMIT $2",
            &[&(from as i64), &(limit as i64)],
        )?;
        Ok(rows.iter().map(|r| (u64_of(r.get(0)), r.get(1))).collect())
    }

    fn node_level(&self, level: u8, from: u64, limit: u64) -> Result<Vec<Node>, Error> {
        let rows = self.reader()?.query(
            "SELECT idx, hash FROM kura_audit_node WHERE level = $1 AND idx >= $2 ORDER BY idx LIMIT $3",
            &[&i16::from(level), &(from as i64), &(limit as i64)],
        )?;
        rows.iter()
            .map(|r| {
                let h: Vec<u8> = r.get(1);
                Ok(Node { level, index: u64_of(r.get(0)), hash: hash_of(&h)? })
            })
            .collect()
    }

    fn entry_rows(&self, from: u64, limit: u64) -> Result<Vec<StoredEntry>, Error> {
        let rows = self.reader()?.query(
            "SELECT seq, time_ms, principal, data FROM kura_audit_entry WHERE seq >= $1 ORDER BY seq LIMIT $2",
            &[&(from as i64), &(limit as i64)],
        )?;
        Ok(rows
            .iter()
            .map(|r| StoredEntry {
                seq: u64_of(r.get(0)),
                time_ms: r.get(1),
                principal: r.get(2),
                data: r.get(3),
                subjects: Vec::new(),
            })
            .collect())
    }

    fn subject_rows(&self, after: Option<(&str, u64)>, limit: u64) -> Result<Vec<(String, u64)>, Error> {
        let (c, seq) = after.map_or(("", -1i64), |(c, s)| (c, s as i64));
        let rows = self.reader()?.query(
            "SELECT commitment, seq FROM kura_audit_subject WHERE (commitment, seq) > ($1, $2) ORDER BY commitment, seq LIMIT $3",
            &[&c, &seq, &(limit as i64)],
        )?;
        Ok(rows.iter().map(|r| (r.get(0), u64_of(r.get(1)))).collect())
    }

    fn begin_snapshot(&self) -> Result<(), Error> {
        self.reader()?.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
        Ok(())
    }

    fn end_snapshot(&self) -> Result<(), Error> {
        self.reader()?.batch_execute("COMMIT")?;
        Ok(())
    }

    fn by_subject(&self, commitment: &str) -> Result<Vec<u64>, Error> {
        let rows = self
            .reader()?
            .query("SELECT seq FROM kura_audit_subject WHERE commitment = $1 ORDER BY seq", &[&commitment])?;
        Ok(rows.iter().map(|r| u64_of(r.get(0))).collect())
    }

    fn by_principal(&self, principal: &str, from_ms: i64, to_ms: i64) -> Result<Vec<u64>, Error> {
        let rows = self.reader()?.query(
            "SELECT seq FROM kura_audit_entry WHERE principal = $1 AND time_ms >= $2 AND time_ms < $3 ORDER BY seq",
            &[&principal, &from_ms, &to_ms],
        )?;
        Ok(rows.iter().map(|r| u64_of(r.get(0))).collect())
    }

    fn put_checkpoint(&self, size: u64, note: &str) -> Result<(), Error> {
        self.writer.lock().map_err(|_| Error::Poisoned)?.execute(
            "INSERT INTO kura_audit_checkpoint(size, note) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&(size as i64), &note],
        )?;
        Ok(())
    }

    fn checkpoints(&self) -> Result<Vec<(u64, String)>, Error> {
        let rows = self.reader()?.query("SELECT size, note FROM kura_audit_checkpoint ORDER BY size", &[])?;
        Ok(rows.iter().map(|r| (u64_of(r.get(0)), r.get(1))).collect())
    }
}
