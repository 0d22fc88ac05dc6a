//! The PostgreSQL backend, selected by a `postgres://` URL.
//!
//! All tables are prefixed `kura_`; the keyring lives in `kura_keyring_*` tables, which should be excluded from
//! long-retention backups (`pg_dump --exclude-table 'kura_keyring_*'`) and backed up on their own schedule, so
//! that destroying a subject key also forgets the subject in the backups of the data. Bulk writes use one
//! statement per chunk (`unnest` of arrays) inside a single transaction, so an import is atomic and fast.
//!
//! A `search_path` can be chosen with the standard `options` URL parameter
//! (`postgres://host/db?options=-csearch_path%3Dmyschema`); the schema is created if missing.

use std::sync::{Mutex, MutexGuard};

use postgres::{Client, NoTls};

use super::{
    decode_tokens, encode_tokens, now, CollectionRow, DataKey, Erased, Error, RecordWrite, Store, StoredRecord,
    SubjectKey,
};
use crate::crypto::Token;
use crate::id::{CollectionId, RecordId};

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/postgres/0001_init.sql"),
    include_str!("migrations/postgres/0002_principals.sql"),
    include_str!("migrations/postgres/0003_documents.sql"),
];
const CHUNK: usize = 5000;

/// A vault stored in PostgreSQL.
pub struct PgStore {
    client: Mutex<Client>,
    url: secrecy::SecretString,
    url_without_password: String,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("url", &self.url_without_password).finish_non_exhaustive()
    }
}

/// Removes a password from a URL for display.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = url.get(s + 3..at).unwrap_or("");
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}@{}", url.get(..s + 3).unwrap_or(""), user, url.get(at + 1..).unwrap_or(""))
        }
        _ => url.to_owned(),
    }
}

fn search_path(url: &str) -> Option<String> {
    let q = url.split_once('?')?.1;
    q.split('&').find_map(|kv| {
        let v = kv.strip_prefix("options=")?;
        let v = v.replace("%3D", "=").replace("%3d", "=").replace("%20", " ");
        v.split_whitespace()
            .find_map(|o| o.strip_prefix("-csearch_path=").map(|s| s.split(',').next().unwrap_or("").to_owned()))
    })
}

impl PgStore {
    /// Connects and applies migrations.
    pub fn open(url: &str) -> Result<PgStore, Error> {
        let mut client = Client::connect(url, NoTls)?;
        if let Some(schema) = search_path(url) {
            if !schema.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || schema.is_empty() {
                return Err(Error::Corrupt("search_path schema name must be ASCII letters, digits and `_`"));
            }
            client.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))?;
        }
        migrate(&mut client)?;
        Ok(PgStore {
            client: Mutex::new(client),
            url: secrecy::SecretString::from(url.to_owned()),
            url_without_password: redact(url),
        })
    }

    fn client(&self) -> Result<MutexGuard<'_, Client>, Error> {
        self.client.lock().map_err(|_| Error::Poisoned)
    }
}

fn migrate(client: &mut Client) -> Result<(), Error> {
    let mut tx = client.transaction()?;
    // Serialise concurrent first starts.
    tx.batch_execute("SELECT pg_advisory_xact_lock(7365221)")?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS kura_migrations (version INTEGER PRIMARY KEY)")?;
    let current: i32 = tx.query_one("SELECT coalesce(max(version), 0) FROM kura_migrations", &[])?.get(0);
    let supported = MIGRATIONS.len() as i64;
    if i64::from(current) > supported {
        return Err(Error::TooNew { found: i64::from(current), supported });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        tx.batch_execute(sql)?;
        tx.execute("INSERT INTO kura_migrations(version) VALUES ($1)", &[&(i as i32 + 1)])?;
    }
    tx.commit()?;
    Ok(())
}

/// A uniqueness violation means another writer got there first.
fn conflict(e: postgres::Error) -> Error {
    if e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION) {
        Error::Conflict
    } else {
        Error::Postgres(e)
    }
}

fn record_id(b: &[u8]) -> Result<RecordId, Error> {
    RecordId::from_slice(b).ok_or(Error::Corrupt("record id is not 16 bytes"))
}

fn token_of(b: &[u8]) -> Result<Token, Error> {
    Token::try_from(b).map_err(|_| Error::Corrupt("token is not 16 bytes"))
}

impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgresql"
    }

    fn meta(&self, key: &str) -> Result<Option<String>, Error> {
        Ok(self.client()?.query_opt("SELECT value FROM kura_meta WHERE key = $1", &[&key])?.map(|r| r.get(0)))
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<(), Error> {
        self.client()?.execute(
            "INSERT INTO kura_meta(key, value) VALUES ($1, $2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            &[&key, &value],
        )?;
        Ok(())
    }

    fn create_collection(&self, name: &str, schema: &str, keys: &[DataKey]) -> Result<CollectionId, Error> {
        let mut client = self.client()?;
        let mut tx = client.transaction()?;
        if tx.query_opt("SELECT id FROM kura_collection WHERE name = $1", &[&name])?.is_some() {
            return Err(Error::CollectionExists(name.to_owned()));
        }
        tx.execute("DELETE FROM kura_keyring_data_key WHERE collection = $1", &[&name])?;
        for k in keys {
            tx.execute(
                "INSERT INTO kura_keyring_data_key(collection, purpose, version, wrapped, created) VALUES ($1, $2, $3, $4, $5)",
                &[&name, &k.purpose, &(k.version as i32), &k.wrapped, &now()],
            )?;
        }
        let id: i64 = tx
            .query_one(
                "INSERT INTO kura_collection(name, schema, created) VALUES ($1, $2, $3) RETURNING id",
                &[&name, &schema, &now()],
            )?
            .get(0);
        tx.commit()?;
        Ok(CollectionId(id))
    }

    fn collections(&self) -> Result<Vec<CollectionRow>, Error> {
        let rows = self.client()?.query("SELECT id, name, schema FROM kura_collection ORDER BY id", &[])?;
        Ok(rows
            .iter()
            .map(|r| CollectionRow { id: CollectionId(r.get(0)), name: r.get(1), schema: r.get(2) })
            .collect())
    }

    fn data_keys(&self, collection: &str) -> Result<Vec<DataKey>, Error> {
        let rows = self.client()?.query(
            "SELECT purpose, version, wrapped FROM kura_keyring_data_key WHERE collection = $1 ORDER BY purpose, version",
            &[&collection],
        )?;
        Ok(rows
            .iter()
            .map(|r| DataKey { purpose: r.get(0), version: r.get::<_, i32>(1) as u32, wrapped: r.get(2) })
            .collect())
    }

    fn by_external(&self, c: CollectionId, tokens: &[Token]) -> Result<Vec<(Token, RecordId)>, Error> {
        let mut client = self.client()?;
        let mut out = Vec::new();
        for chunk in tokens.chunks(CHUNK) {
            let arr: Vec<&[u8]> = chunk.iter().map(|t| &t[..]).collect();
            let rows = client.query(
                "SELECT ext_token, id FROM kura_record WHERE collection_id = $1 AND ext_token = ANY($2)",
                &[&c.0, &arr],
            )?;
            for r in rows {
                out.push((token_of(r.get(0))?, record_id(r.get(1))?));
            }
        }
        Ok(out)
    }

    fn subject_keys(&self, ids: &[RecordId]) -> Result<Vec<SubjectKey>, Error> {
        let mut client = self.client()?;
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK) {
            let arr: Vec<&[u8]> = chunk.iter().map(|t| &t.0[..]).collect();
            let rows = client.query(
                "SELECT record_id, version, wrapped FROM kura_keyring_subject_key WHERE record_id = ANY($1)",
                &[&arr],
            )?;
            for r in rows {
                out.push(SubjectKey {
                    record: record_id(r.get(0))?,
                    version: r.get::<_, i32>(1) as u32,
                    wrapped: r.get(2),
                });
            }
        }
        Ok(out)
    }

    fn write(&self, c: CollectionId, records: &[RecordWrite], progress: &mut dyn FnMut(u64)) -> Result<(), Error> {
        let mut client = self.client()?;
        let mut tx = client.transaction()?;
        let t = now();
        let mut done = 0u64;
        for chunk in records.chunks(CHUNK) {
            let (new, old): (Vec<&RecordWrite>, Vec<&RecordWrite>) =
                chunk.iter().partition(|r| r.new_subject_key.is_some());
            // Keys first, in the same transaction.
            let keys: Vec<&SubjectKey> = new.iter().filter_map(|r| r.new_subject_key.as_ref()).collect();
            let k_ids: Vec<&[u8]> = keys.iter().map(|k| &k.record.0[..]).collect();
            let k_ver: Vec<i32> = keys.iter().map(|k| k.version as i32).collect();
            let k_wr: Vec<&[u8]> = keys.iter().map(|k| &k.wrapped[..]).collect();
            // A plain insert: a key is never silently replaced.
            tx.execute(
                "INSERT INTO kura_keyring_subject_key(record_id, version, wrapped)
                 SELECT * FROM unnest($1::bytea[], $2::int4[], $3::bytea[])",
                &[&k_ids, &k_ver, &k_wr],
            )
            .map_err(conflict)?;
            for r in &old {
                // An update must find its record (locked): if it vanished, nothing is written.
                let row = tx
                    .query_opt(
                        "SELECT tokens FROM kura_record WHERE collection_id = $1 AND id = $2 FOR UPDATE",
                        &[&c.0, &&r.id.0[..]],
                    )?
                    .ok_or(Error::Conflict)?;
                for (f, tok) in decode_tokens(row.get(0))? {
                    tx.execute(
                        "DELETE FROM kura_blind_index WHERE collection_id = $1 AND field = $2 AND token = $3 AND record_id = $4",
                        &[&c.0, &i16::from(f), &&tok[..], &&r.id.0[..]],
                    )?;
                }
                tx.execute(
                    "UPDATE kura_record SET ext_token = $3, key_version = $4, fields = $5, tokens = $6, updated = $7
                     WHERE collection_id = $1 AND id = $2",
                    &[
                        &c.0,
                        &&r.id.0[..],
                        &&r.ext_token[..],
                        &(r.key_version as i32),
                        &r.fields,
                        &encode_tokens(&r.tokens),
                        &t,
                    ],
                )
                .map_err(conflict)?;
            }
            let ids: Vec<&[u8]> = new.iter().map(|r| &r.id.0[..]).collect();
            let ext: Vec<&[u8]> = new.iter().map(|r| &r.ext_token[..]).collect();
            let ver: Vec<i32> = new.iter().map(|r| r.key_version as i32).collect();
            let fields: Vec<&[u8]> = new.iter().map(|r| &r.fields[..]).collect();
            let tokens: Vec<Vec<u8>> = new.iter().map(|r| encode_tokens(&r.tokens)).collect();
            tx.execute(
                "INSERT INTO kura_record(collection_id, id, ext_token, key_version, fields, tokens, created, updated)
                 SELECT $1, i, e, v, f, t, $7, $7 FROM unnest($2::bytea[], $3::bytea[], $4::int4[], $5::bytea[], $6::bytea[]) AS u(i, e, v, f, t)",
                &[&c.0, &ids, &ext, &ver, &fields, &tokens, &t],
            )
            .map_err(conflict)?;
            let mut i_field = Vec::new();
            let mut i_token: Vec<&[u8]> = Vec::new();
            let mut i_rec: Vec<&[u8]> = Vec::new();
            for r in chunk {
                for (f, tok) in &r.tokens {
                    i_field.push(i16::from(*f));
                    i_token.push(&tok[..]);
                    i_rec.push(&r.id.0[..]);
                }
            }
            tx.execute(
                "INSERT INTO kura_blind_index(collection_id, field, token, record_id)
                 SELECT $1, * FROM unnest($2::int2[], $3::bytea[], $4::bytea[]) ON CONFLICT DO NOTHING",
                &[&c.0, &i_field, &i_token, &i_rec],
            )?;
            done += chunk.len() as u64;
            progress(done);
        }
        tx.commit()?;
        Ok(())
    }

    fn records(&self, c: CollectionId, ids: &[RecordId]) -> Result<Vec<StoredRecord>, Error> {
        let mut client = self.client()?;
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK) {
            let arr: Vec<&[u8]> = chunk.iter().map(|t| &t.0[..]).collect();
            let rows = client.query(
                "SELECT id, key_version, fields, tokens FROM kura_record WHERE collection_id = $1 AND id = ANY($2)",
                &[&c.0, &arr],
            )?;
            for r in rows {
                out.push(StoredRecord {
                    id: record_id(r.get(0))?,
                    key_version: r.get::<_, i32>(1) as u32,
                    fields: r.get(2),
                    tokens: decode_tokens(r.get(3))?,
                });
            }
        }
        Ok(out)
    }

    fn record(&self, c: CollectionId, id: RecordId) -> Result<Option<StoredRecord>, Error> {
        let row = self.client()?.query_opt(
            "SELECT key_version, fields, tokens FROM kura_record WHERE collection_id = $1 AND id = $2",
            &[&c.0, &&id.0[..]],
        )?;
        row.map(|r| {
            Ok(StoredRecord {
                id,
                key_version: r.get::<_, i32>(0) as u32,
                fields: r.get(1),
                tokens: decode_tokens(r.get(2))?,
            })
        })
        .transpose()
    }

    fn find(&self, c: CollectionId, field: u8, token: &Token) -> Result<Vec<RecordId>, Error> {
        let rows = self.client()?.query(
            "SELECT record_id FROM kura_blind_index WHERE collection_id = $1 AND field = $2 AND token = $3",
            &[&c.0, &i16::from(field), &&token[..]],
        )?;
        rows.iter().map(|r| record_id(r.get(0))).collect()
    }

    fn erase(&self, c: CollectionId, id: RecordId) -> Result<Erased, Error> {
        let rid = &id.0[..];
        let mut client = self.client()?;
        let mut tx = client.transaction()?;
        let row = tx.query_opt(
            "SELECT tokens FROM kura_record WHERE collection_id = $1 AND id = $2 FOR UPDATE",
            &[&c.0, &rid],
        )?;
        let Some(row) = row else {
            let before =
                tx.query_opt("SELECT erased FROM kura_tombstone WHERE collection_id = $1 AND id = $2", &[&c.0, &rid])?;
            return Ok(before.map_or(Erased::Unknown, |r| Erased::Before(r.get(0))));
        };
        tx.execute("DELETE FROM kura_keyring_subject_key WHERE record_id = $1", &[&rid])?;
        for (f, tok) in decode_tokens(row.get(0))? {
            tx.execute(
                "DELETE FROM kura_blind_index WHERE collection_id = $1 AND field = $2 AND token = $3 AND record_id = $4",
                &[&c.0, &i16::from(f), &&tok[..], &rid],
            )?;
        }
        tx.execute("DELETE FROM kura_record WHERE collection_id = $1 AND id = $2", &[&c.0, &rid])?;
        tx.execute(
            "INSERT INTO kura_tombstone(collection_id, id, erased) VALUES ($1, $2, $3)
             ON CONFLICT(collection_id, id) DO UPDATE SET erased = excluded.erased",
            &[&c.0, &rid, &now()],
        )?;
        tx.commit()?;
        Ok(Erased::Now)
    }

    fn tombstone(&self, c: CollectionId, id: RecordId) -> Result<Option<i64>, Error> {
        Ok(self
            .client()?
            .query_opt("SELECT erased FROM kura_tombstone WHERE collection_id = $1 AND id = $2", &[&c.0, &&id.0[..]])?
            .map(|r| r.get(0)))
    }

    fn init_meta(&self, key: &str, value: &str) -> Result<String, Error> {
        let mut client = self.client()?;
        client.execute("INSERT INTO kura_meta(key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING", &[&key, &value])?;
        Ok(client.query_one("SELECT value FROM kura_meta WHERE key = $1", &[&key])?.get(0))
    }

    fn put_principal(&self, name: &str, sealed: &[u8], previous: Option<&[u8]>) -> Result<(), Error> {
        let mut client = self.client()?;
        if let Some(previous) = previous {
            let n = client.execute(
                "UPDATE kura_principal SET sealed = $2 WHERE name = $1 AND sealed = $3",
                &[&name, &sealed, &previous],
            )?;
            if n != 1 {
                return Err(Error::Conflict);
            }
        } else {
            client.execute("INSERT INTO kura_principal(name, sealed) VALUES ($1, $2)", &[&name, &sealed]).map_err(
                |e| {
                    if e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION) {
                        Error::PrincipalExists(name.to_owned())
                    } else {
                        Error::Postgres(e)
                    }
                },
            )?;
        }
        Ok(())
    }

    fn principal(&self, name: &str) -> Result<Option<Vec<u8>>, Error> {
        Ok(self.client()?.query_opt("SELECT sealed FROM kura_principal WHERE name = $1", &[&name])?.map(|r| r.get(0)))
    }

    fn put_document(&self, kind: &str, id: &str, sealed: &[u8], previous: Option<&[u8]>) -> Result<(), Error> {
        let mut client = self.client()?;
        let n = match previous {
            Some(previous) => client.execute(
                "UPDATE kura_document SET sealed = $3 WHERE kind = $1 AND id = $2 AND sealed = $4",
                &[&kind, &id, &sealed, &previous],
            )?,
            None => client.execute(
                "INSERT INTO kura_document(kind, id, sealed) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                &[&kind, &id, &sealed],
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
            .client()?
            .query_opt("SELECT sealed FROM kura_document WHERE kind = $1 AND id = $2", &[&kind, &id])?
            .map(|r| r.get(0)))
    }

    fn document_ids(&self, kind: &str) -> Result<Vec<String>, Error> {
        Ok(self
            .client()?
            .query("SELECT id FROM kura_document WHERE kind = $1 ORDER BY id", &[&kind])?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn principal_names(&self) -> Result<Vec<String>, Error> {
        Ok(self
            .client()?
            .query("SELECT name FROM kura_principal ORDER BY name", &[])?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn open_log(&self) -> Result<Box<dyn crate::audit::store::LogStore>, crate::audit::store::Error> {
        use secrecy::ExposeSecret;
        Ok(Box::new(crate::audit::store::PgLog::open(self.url.expose_secret())?))
    }

    fn reapply_erasures(&self) -> Result<u64, Error> {
        // Erasure is one transaction here, so only keys restored from a keyring backup can need removing.
        let n = self
            .client()?
            .execute("DELETE FROM kura_keyring_subject_key k USING kura_tombstone t WHERE t.id = k.record_id", &[])?;
        Ok(n)
    }

    fn count(&self, c: CollectionId) -> Result<u64, Error> {
        let n: i64 =
            self.client()?.query_one("SELECT count(*) FROM kura_record WHERE collection_id = $1", &[&c.0])?.get(0);
        Ok(n as u64)
    }

    fn record_ids(&self, c: CollectionId, limit: usize) -> Result<Vec<RecordId>, Error> {
        let rows = self.client()?.query(
            "SELECT id FROM kura_record WHERE collection_id = $1 ORDER BY seq LIMIT $2",
            &[&c.0, &(limit as i64)],
        )?;
        rows.iter()
            .map(|r| {
                RecordId::from_slice(r.get::<_, &[u8]>(0)).ok_or_else(|| Error::Corrupt("a record id is not 16 bytes"))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    #[test]
    fn redacts_password() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u@h/db");
        assert_eq!(redact("postgres://h/db"), "postgres://h/db");
        assert_eq!(search_path("postgres://h/db?options=-csearch_path%3Dabc_1").as_deref(), Some("abc_1"));
    }
}
