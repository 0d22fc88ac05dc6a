//! The embedded SQLite backend (the default).
//!
//! A vault directory holds `vault.db` (ciphertexts, blind-index tokens, tombstones) and `keyring.db`
//! (wrapped keys). Keeping the keyring in its own file means a copy of `vault.db` alone never contains the
//! keys that open it, and a subject key destroyed by erasure is gone from every later use of every backup.
//!
//! Durability and hygiene: WAL mode with `synchronous=FULL` (a commit is on disk before it returns),
//! `secure_delete` (freed pages are zeroed, so erased ciphertexts do not linger), temporary tables and
//! indexes in memory (no temp files). Writes that touch both files are ordered so a crash between the two
//! commits is harmless: new subject keys are committed before the records that need them (an orphan key is
//! unreadable noise), and on erasure the key is destroyed before the record (a record without a key is
//! already unreadable, and re-running the erasure completes it).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::{
    decode_tokens, encode_tokens, now, CollectionRow, DataKey, Erased, Error, RecordWrite, Store, StoredRecord,
    SubjectKey,
};
use crate::crypto::Token;

/// Ids per bulk statement (SQLite's default limit on parameters is 32,766).
const BULK: usize = 500;
use crate::id::{CollectionId, RecordId};

const VAULT_MIGRATIONS: &[&str] = &[
    include_str!("migrations/sqlite/0001_init.sql"),
    include_str!("migrations/sqlite/0002_principals.sql"),
    include_str!("migrations/sqlite/0003_documents.sql"),
];
const KEYRING_MIGRATIONS: &[&str] = &[include_str!("migrations/sqlite/keyring_0001_init.sql")];

/// The database file names inside a vault directory.
pub const VAULT_FILE: &str = "vault.db";
/// The keyring file name inside a vault directory.
pub const KEYRING_FILE: &str = "keyring.db";

/// A vault stored in SQLite files.
pub struct SqliteStore {
    vault: Mutex<Connection>,
    keyring: Mutex<Connection>,
    dir: PathBuf,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("dir", &self.dir).finish_non_exhaustive()
    }
}

fn configure(conn: &Connection) -> Result<(), Error> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "cache_size", -131072)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(())
}

fn migrate(conn: &mut Connection, migrations: &[&str]) -> Result<(), Error> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let supported = migrations.len() as i64;
    if current > supported {
        return Err(Error::TooNew { found: current, supported });
    }
    for (i, sql) in migrations.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

impl SqliteStore {
    /// Opens the vault in `dir`, creating its files (and the directory) when `create` is set.
    pub fn open(dir: &Path, create: bool) -> Result<SqliteStore, Error> {
        let io = |source| Error::Io { path: dir.to_owned(), source };
        if create {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let vault_path = dir.join(VAULT_FILE);
        if !create && !vault_path.exists() {
            return Err(Error::Io {
                path: vault_path,
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no vault here (run `kura init` first)"),
            });
        }
        let mut vault = Connection::open(&vault_path)?;
        configure(&vault)?;
        migrate(&mut vault, VAULT_MIGRATIONS)?;
        let mut keyring = Connection::open(dir.join(KEYRING_FILE))?;
        configure(&keyring)?;
        migrate(&mut keyring, KEYRING_MIGRATIONS)?;
        Ok(SqliteStore { vault: Mutex::new(vault), keyring: Mutex::new(keyring), dir: dir.to_owned() })
    }

    fn vault(&self) -> Result<MutexGuard<'_, Connection>, Error> {
        self.vault.lock().map_err(|_| Error::Poisoned)
    }

    fn keyring(&self) -> Result<MutexGuard<'_, Connection>, Error> {
        self.keyring.lock().map_err(|_| Error::Poisoned)
    }

    /// The files this store writes (databases, WAL and shared-memory files), for inspection.
    pub fn files(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for base in [VAULT_FILE, KEYRING_FILE, crate::audit::store::AUDIT_FILE] {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let p = self.dir.join(format!("{base}{suffix}"));
                if p.exists() {
                    out.push(p);
                }
            }
        }
        out
    }
}

fn record_id(b: Vec<u8>) -> Result<RecordId, Error> {
    RecordId::from_slice(&b).ok_or(Error::Corrupt("record id is not 16 bytes"))
}

/// A uniqueness violation means another writer got there first.
fn conflict(e: rusqlite::Error) -> Error {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => Error::Conflict,
        _ => Error::Sqlite(e),
    }
}

fn write_subject_keys(keyring: &mut Connection, records: &[RecordWrite]) -> Result<(), Error> {
    let tx = keyring.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        // A plain insert: a key is never silently replaced.
        let mut stmt = tx.prepare_cached("INSERT INTO subject_key(record_id, version, wrapped) VALUES (?1, ?2, ?3)")?;
        let mut keys: Vec<&SubjectKey> = records.iter().filter_map(|r| r.new_subject_key.as_ref()).collect();
        keys.sort_unstable_by_key(|k| k.record);
        for k in keys {
            stmt.execute(params![&k.record.0[..], k.version, k.wrapped]).map_err(conflict)?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// Inserts or replaces records and their index entries; returns the open transaction for the caller to commit.
fn write_records<'c>(
    vault: &'c mut Connection,
    c: CollectionId,
    records: &[RecordWrite],
    progress: &mut dyn FnMut(u64),
) -> Result<rusqlite::Transaction<'c>, Error> {
    let tx = vault.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut old_tokens =
            tx.prepare_cached("SELECT seq, tokens FROM record WHERE collection_id = ?1 AND id = ?2")?;
        let mut del_index = tx.prepare_cached(
            "DELETE FROM blind_index WHERE collection_id = ?1 AND field = ?2 AND token = ?3 AND seq = ?4",
        )?;
        let mut insert = tx.prepare_cached(
            "INSERT INTO record(collection_id, id, ext_token, key_version, fields, tokens, created, updated)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        )?;
        let mut update = tx.prepare_cached(
            "UPDATE record SET ext_token = ?3, key_version = ?4, fields = ?5, tokens = ?6, updated = ?7
             WHERE collection_id = ?1 AND id = ?2",
        )?;
        let t = now();
        let mut seqs: Vec<i64> = Vec::with_capacity(records.len());
        for (i, r) in records.iter().enumerate() {
            let id = &r.id.0[..];
            let tokens = encode_tokens(&r.tokens);
            if r.new_subject_key.is_some() {
                insert
                    .execute(params![c.0, id, &r.ext_token[..], r.key_version, r.fields, tokens, t])
                    .map_err(conflict)?;
                seqs.push(tx.last_insert_rowid());
            } else {
                // An update must find its record: if it vanished (erased meanwhile), nothing is written.
                let (seq, old): (i64, Vec<u8>) = old_tokens
                    .query_row(params![c.0, id], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()?
                    .ok_or(Error::Conflict)?;
                for (f, tok) in decode_tokens(&old)? {
                    del_index.execute(params![c.0, f, &tok[..], seq])?;
                }
                update
                    .execute(params![c.0, id, &r.ext_token[..], r.key_version, r.fields, tokens, t])
                    .map_err(conflict)?;
                seqs.push(seq);
            }
            if i % 1000 == 999 {
                progress(i as u64 / 2 + 1);
            }
        }
        // Index entries in key order: appends to the B-tree instead of random page splits.
        let mut entries: Vec<(u8, &Token, i64)> = records
            .iter()
            .zip(seqs.iter())
            .flat_map(|(r, seq)| r.tokens.iter().map(move |(f, t)| (*f, t, *seq)))
            .collect();
        entries.sort_unstable();
        // Many rows per statement: the per-statement overhead dominates such small rows.
        const ROWS: usize = 100;
        let multi = format!(
            "INSERT OR IGNORE INTO blind_index(collection_id, field, token, seq) VALUES {}",
            vec!["(?, ?, ?, ?)"; ROWS].join(", ")
        );
        let mut add_many = tx.prepare_cached(&multi)?;
        let mut add_one = tx.prepare_cached(
            "INSERT OR IGNORE INTO blind_index(collection_id, field, token, seq) VALUES (?1, ?2, ?3, ?4)",
        )?;
        let half = records.len() as u64 / 2;
        let per = (entries.len() / records.len().max(1)).max(1);
        let mut chunks = entries.chunks_exact(ROWS);
        for (n, chunk) in chunks.by_ref().enumerate() {
            for (i, (f, tok, seq)) in chunk.iter().enumerate() {
                add_many.raw_bind_parameter(i * 4 + 1, c.0)?;
                add_many.raw_bind_parameter(i * 4 + 2, f)?;
                add_many.raw_bind_parameter(i * 4 + 3, &tok[..])?;
                add_many.raw_bind_parameter(i * 4 + 4, seq)?;
            }
            add_many.raw_execute()?;
            if n % 80 == 79 {
                progress(half + ((n + 1) * ROWS / per) as u64 / 2);
            }
        }
        for (f, tok, seq) in chunks.remainder() {
            add_one.execute(params![c.0, f, &tok[..], seq])?;
        }
    }
    Ok(tx)
}

/// Deletes subject keys and checkpoints the keyring so no copy of them stays in its WAL. Returns how many
/// keys existed.
fn destroy_keys(keyring: &mut Connection, ids: &[Vec<u8>]) -> Result<u64, Error> {
    let tx = keyring.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut n = 0;
    {
        let mut stmt = tx.prepare_cached("DELETE FROM subject_key WHERE record_id = ?1")?;
        for id in ids {
            n += stmt.execute([id])? as u64;
        }
    }
    tx.commit()?;
    if n > 0 {
        checkpoint(keyring)?;
    }
    Ok(n)
}

/// Truncating WAL checkpoint, retried while readers hold old frames (secure_delete has zeroed the freed
/// cells in the pages the checkpoint writes back).
fn checkpoint(conn: &Connection) -> Result<(), Error> {
    for _ in 0..20 {
        let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
        if busy == 0 {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Ok(())
}

fn finish_erasure(vault: &mut Connection, c: i64, rid: &[u8]) -> Result<(), Error> {
    let tx = vault.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let row: Option<(i64, Vec<u8>)> = tx
        .query_row("SELECT seq, tokens FROM record WHERE collection_id = ?1 AND id = ?2", params![c, rid], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    if let Some((seq, tokens)) = row {
        for (f, tok) in decode_tokens(&tokens)? {
            tx.execute(
                "DELETE FROM blind_index WHERE collection_id = ?1 AND field = ?2 AND token = ?3 AND seq = ?4",
                params![c, f, &tok[..], seq],
            )?;
        }
        tx.execute("DELETE FROM record WHERE collection_id = ?1 AND id = ?2", params![c, rid])?;
    }
    tx.execute("UPDATE tombstone SET done = 1 WHERE collection_id = ?1 AND id = ?2", params![c, rid])?;
    tx.commit()?;
    checkpoint(vault)
}

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn meta(&self, key: &str) -> Result<Option<String>, Error> {
        Ok(self.vault()?.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<(), Error> {
        self.vault()?.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    fn create_collection(&self, name: &str, schema: &str, keys: &[DataKey]) -> Result<CollectionId, Error> {
        let mut vault = self.vault()?;
        let mut keyring = self.keyring()?;
        let exists: Option<i64> =
            vault.query_row("SELECT id FROM collection WHERE name = ?1", [name], |r| r.get(0)).optional()?;
        if exists.is_some() {
            return Err(Error::CollectionExists(name.to_owned()));
        }
        {
            let tx = keyring.transaction()?;
            // Keys left by an earlier attempt that crashed before the collection row was written are replaced.
            tx.execute("DELETE FROM data_key WHERE collection = ?1", [name])?;
            for k in keys {
                tx.execute(
                    "INSERT INTO data_key(collection, purpose, version, wrapped, created) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![name, k.purpose, k.version, k.wrapped, now()],
                )?;
            }
            tx.commit()?;
        }
        let tx = vault.transaction()?;
        tx.execute("INSERT INTO collection(name, schema, created) VALUES (?1, ?2, ?3)", params![name, schema, now()])?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(CollectionId(id))
    }

    fn collections(&self) -> Result<Vec<CollectionRow>, Error> {
        let vault = self.vault()?;
        let mut stmt = vault.prepare("SELECT id, name, schema FROM collection ORDER BY id")?;
        let rows = stmt
            .query_map([], |r| Ok(CollectionRow { id: CollectionId(r.get(0)?), name: r.get(1)?, schema: r.get(2)? }))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn data_keys(&self, collection: &str) -> Result<Vec<DataKey>, Error> {
        let keyring = self.keyring()?;
        let mut stmt = keyring.prepare(
            "SELECT purpose, version, wrapped FROM data_key WHERE collection = ?1 ORDER BY purpose, version",
        )?;
        let rows = stmt
            .query_map([collection], |r| Ok(DataKey { purpose: r.get(0)?, version: r.get(1)?, wrapped: r.get(2)? }))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn by_external(&self, c: CollectionId, tokens: &[Token]) -> Result<Vec<(Token, RecordId)>, Error> {
        let vault = self.vault()?;
        let any: bool =
            vault.query_row("SELECT EXISTS(SELECT 1 FROM record WHERE collection_id = ?1)", [c.0], |r| r.get(0))?;
        if !any {
            return Ok(Vec::new());
        }
        let mut stmt = vault.prepare_cached("SELECT id FROM record WHERE collection_id = ?1 AND ext_token = ?2")?;
        let mut out = Vec::new();
        for t in tokens {
            let id: Option<Vec<u8>> = stmt.query_row(params![c.0, &t[..]], |r| r.get(0)).optional()?;
            if let Some(id) = id {
                out.push((*t, record_id(id)?));
            }
        }
        Ok(out)
    }

    fn subject_keys(&self, ids: &[RecordId]) -> Result<Vec<SubjectKey>, Error> {
        let keyring = self.keyring()?;
        let mut out = Vec::with_capacity(ids.len());
        if let [id] = ids {
            let mut stmt = keyring.prepare_cached("SELECT version, wrapped FROM subject_key WHERE record_id = ?1")?;
            let row: Option<(u32, Vec<u8>)> = stmt.query_row([&id.0[..]], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
            if let Some((version, wrapped)) = row {
                out.push(SubjectKey { record: *id, version, wrapped });
            }
            return Ok(out);
        }
        for chunk in ids.chunks(BULK) {
            let marks = vec!["?"; chunk.len()].join(",");
            let mut stmt = keyring.prepare_cached(&format!(
                "SELECT record_id, version, wrapped FROM subject_key WHERE record_id IN ({marks})"
            ))?;
            let args: Vec<&dyn rusqlite::ToSql> = chunk.iter().map(|id| &id.0 as &dyn rusqlite::ToSql).collect();
            let rows = stmt.query_map(args.as_slice(), |r| {
                Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, u32>(1)?, r.get::<_, Vec<u8>>(2)?))
            })?;
            for row in rows {
                let (id, version, wrapped) = row?;
                let record = RecordId::from_slice(&id).ok_or(Error::Corrupt("a record id is not 16 bytes"))?;
                out.push(SubjectKey { record, version, wrapped });
            }
        }
        Ok(out)
    }

    fn write(&self, c: CollectionId, records: &[RecordWrite], progress: &mut dyn FnMut(u64)) -> Result<(), Error> {
        // Lock order everywhere: vault, then keyring.
        let mut vault = self.vault()?;
        let mut keyring = self.keyring()?;
        // The keyring file is written on a thread of its own while the records go into the vault file; its
        // commit is awaited before the records commit, so no committed record ever lacks its key.
        std::thread::scope(|scope| {
            let keyring: &mut Connection = &mut keyring;
            let keys_job = scope.spawn(move || write_subject_keys(keyring, records));
            let tx = write_records(&mut vault, c, records, progress)?;
            keys_job.join().map_err(|_| Error::Poisoned)??;
            tx.commit()?;
            progress(records.len() as u64);
            Ok(())
        })
    }

    fn record(&self, c: CollectionId, id: RecordId) -> Result<Option<StoredRecord>, Error> {
        let vault = self.vault()?;
        let mut stmt = vault
            .prepare_cached("SELECT key_version, fields, tokens FROM record WHERE collection_id = ?1 AND id = ?2")?;
        let row: Option<(u32, Vec<u8>, Vec<u8>)> =
            stmt.query_row(params![c.0, &id.0[..]], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).optional()?;
        row.map(|(key_version, fields, tokens)| {
            Ok(StoredRecord { id, key_version, fields, tokens: decode_tokens(&tokens)? })
        })
        .transpose()
    }

    fn records(&self, c: CollectionId, ids: &[RecordId]) -> Result<Vec<StoredRecord>, Error> {
        let vault = self.vault()?;
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(BULK) {
            let marks = vec!["?"; chunk.len()].join(",");
            let mut stmt = vault.prepare_cached(&format!(
                "SELECT id, key_version, fields, tokens FROM record WHERE collection_id = ? AND id IN ({marks})"
            ))?;
            let mut args: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(chunk.len() + 1);
            args.push(&c.0);
            args.extend(chunk.iter().map(|id| &id.0 as &dyn rusqlite::ToSql));
            let rows = stmt.query_map(args.as_slice(), |r| {
                Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, u32>(1)?, r.get::<_, Vec<u8>>(2)?, r.get::<_, Vec<u8>>(3)?))
            })?;
            for row in rows {
                let (id, key_version, fields, tokens) = row?;
                let id = RecordId::from_slice(&id).ok_or(Error::Corrupt("a record id is not 16 bytes"))?;
                out.push(StoredRecord { id, key_version, fields, tokens: decode_tokens(&tokens)? });
            }
        }
        Ok(out)
    }

    fn find(&self, c: CollectionId, field: u8, token: &Token) -> Result<Vec<RecordId>, Error> {
        let vault = self.vault()?;
        let mut stmt = vault.prepare_cached(
            "SELECT r.id FROM blind_index b JOIN record r ON r.seq = b.seq
             WHERE b.collection_id = ?1 AND b.field = ?2 AND b.token = ?3",
        )?;
        let rows = stmt.query_map(params![c.0, field, &token[..]], |r| r.get::<_, Vec<u8>>(0))?;
        rows.map(|r| record_id(r?)).collect()
    }

    fn erase(&self, c: CollectionId, id: RecordId) -> Result<Erased, Error> {
        let rid = &id.0[..];
        let mut vault = self.vault()?;
        let mut keyring = self.keyring()?;
        // 1. A pending tombstone, so that a crash at any later point is finished at the next start.
        {
            let tx = vault.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let live: bool = tx.query_row(
                "SELECT EXISTS(SELECT 1 FROM record WHERE collection_id = ?1 AND id = ?2)",
                params![c.0, rid],
                |r| r.get(0),
            )?;
            if !live {
                let before: Option<i64> = tx
                    .query_row(
                        "SELECT erased FROM tombstone WHERE collection_id = ?1 AND id = ?2",
                        params![c.0, rid],
                        |r| r.get(0),
                    )
                    .optional()?;
                return Ok(before.map_or(Erased::Unknown, Erased::Before));
            }
            tx.execute(
                "INSERT OR REPLACE INTO tombstone(collection_id, id, erased, done) VALUES (?1, ?2, ?3, 0)",
                params![c.0, rid, now()],
            )?;
            tx.commit()?;
        }
        // 2. Destroy the key: from this commit on, the subject's data is unreadable everywhere.
        destroy_keys(&mut keyring, &[id.0.to_vec()])?;
        // 3. Remove the ciphertexts and index entries, and close the tombstone.
        finish_erasure(&mut vault, c.0, rid)?;
        Ok(Erased::Now)
    }

    fn init_meta(&self, key: &str, value: &str) -> Result<String, Error> {
        let vault = self.vault()?;
        vault.execute("INSERT OR IGNORE INTO meta(key, value) VALUES (?1, ?2)", params![key, value])?;
        Ok(vault.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))?)
    }

    fn put_principal(&self, name: &str, sealed: &[u8], previous: Option<&[u8]>) -> Result<(), Error> {
        let vault = self.vault()?;
        if let Some(previous) = previous {
            let n = vault.execute(
                "UPDATE principal SET sealed = ?2 WHERE name = ?1 AND sealed = ?3",
                params![name, sealed, previous],
            )?;
            if n != 1 {
                return Err(Error::Conflict);
            }
        } else {
            vault.execute("INSERT INTO principal(name, sealed) VALUES (?1, ?2)", params![name, sealed]).map_err(
                |e| match e.sqlite_error_code() {
                    Some(rusqlite::ErrorCode::ConstraintViolation) => Error::PrincipalExists(name.to_owned()),
                    _ => Error::Sqlite(e),
                },
            )?;
        }
        Ok(())
    }

    fn principal(&self, name: &str) -> Result<Option<Vec<u8>>, Error> {
        Ok(self.vault()?.query_row("SELECT sealed FROM principal WHERE name = ?1", [name], |r| r.get(0)).optional()?)
    }

    fn put_document(&self, kind: &str, id: &str, sealed: &[u8], previous: Option<&[u8]>) -> Result<(), Error> {
        let vault = self.vault()?;
        let n = match previous {
            Some(previous) => vault.execute(
                "UPDATE document SET sealed = ?3 WHERE kind = ?1 AND id = ?2 AND sealed = ?4",
                params![kind, id, sealed, previous],
            )?,
            None => vault.execute(
                "INSERT OR IGNORE INTO document(kind, id, sealed) VALUES (?1, ?2, ?3)",
                params![kind, id, sealed],
            )?,
        };
        if n == 1 {
            Ok(())
        } else {
            Err(Error::Conflict)
        }
    }

    fn document(&self, kind: &str, id: &str) -> Result<Option<Vec<u8>>, Error> {
        Ok(self
            .vault()?
            .query_row("SELECT sealed FROM document WHERE kind = ?1 AND id = ?2", [kind, id], |r| r.get(0))
            .optional()?)
    }

    fn document_ids(&self, kind: &str) -> Result<Vec<String>, Error> {
        let vault = self.vault()?;
        let mut stmt = vault.prepare("SELECT id FROM document WHERE kind = ?1 ORDER BY id")?;
        let rows = stmt.query_map([kind], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn principal_names(&self) -> Result<Vec<String>, Error> {
        let vault = self.vault()?;
        let mut stmt = vault.prepare("SELECT name FROM principal ORDER BY name")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn open_log(&self) -> Result<Box<dyn crate::audit::store::LogStore>, crate::audit::store::Error> {
        Ok(Box::new(crate::audit::store::SqliteLog::open(&self.dir)?))
    }

    fn reapply_erasures(&self) -> Result<u64, Error> {
        let mut vault = self.vault()?;
        let mut keyring = self.keyring()?;
        let all: Vec<(i64, Vec<u8>, bool)> = {
            let mut stmt = vault.prepare("SELECT collection_id, id, done FROM tombstone")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        if all.is_empty() {
            return Ok(0);
        }
        let ids: Vec<Vec<u8>> = all.iter().map(|(_, id, _)| id.clone()).collect();
        let mut n = destroy_keys(&mut keyring, &ids)?;
        for (c, id, done) in &all {
            if !done {
                finish_erasure(&mut vault, *c, id)?;
                n += 1;
            }
        }
        Ok(n)
    }

    fn tombstone(&self, c: CollectionId, id: RecordId) -> Result<Option<i64>, Error> {
        Ok(self
            .vault()?
            .query_row(
                "SELECT erased FROM tombstone WHERE collection_id = ?1 AND id = ?2",
                params![c.0, &id.0[..]],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn count(&self, c: CollectionId) -> Result<u64, Error> {
        let n: i64 =
            self.vault()?.query_row("SELECT count(*) FROM record WHERE collection_id = ?1", [c.0], |r| r.get(0))?;
        Ok(n as u64)
    }

    fn record_ids(&self, c: CollectionId, limit: usize) -> Result<Vec<RecordId>, Error> {
        let vault = self.vault()?;
        let mut stmt = vault.prepare_cached("SELECT id FROM record WHERE collection_id = ?1 ORDER BY seq LIMIT ?2")?;
        let rows = stmt.query_map(params![c.0, limit as i64], |r| r.get::<_, Vec<u8>>(0))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(RecordId::from_slice(&r?).ok_or_else(|| Error::Corrupt("a record id is not 16 bytes"))?);
        }
        Ok(out)
    }
}
