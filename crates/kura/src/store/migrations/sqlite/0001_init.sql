-- kura vault database (SQLite). Holds ciphertexts and blind-index tokens only; no key, no plaintext.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE collection (
    id      INTEGER PRIMARY KEY,
    name    TEXT NOT NULL UNIQUE,
    schema  TEXT NOT NULL,
    created INTEGER NOT NULL
);

-- One row per data subject. `fields` is a sequence of sealed field values; `tokens` lists the record's
-- blind-index entries so they can be removed without a secondary index. A rowid table, because rows are
-- around a kilobyte: appends stay dense, and the random record ids live in a small separate index.
CREATE TABLE record (
    seq           INTEGER PRIMARY KEY,
    collection_id INTEGER NOT NULL REFERENCES collection(id),
    id            BLOB NOT NULL,
    ext_token     BLOB NOT NULL,
    key_version   INTEGER NOT NULL,
    fields        BLOB NOT NULL,
    tokens        BLOB NOT NULL,
    created       INTEGER NOT NULL,
    updated       INTEGER NOT NULL
);
CREATE UNIQUE INDEX record_id ON record(collection_id, id);
CREATE UNIQUE INDEX record_ext ON record(collection_id, ext_token);

-- Blind-index entries point at the record's `seq` (a small integer) rather than its 16-byte id, which keeps
-- the ~7 entries per record compact.
CREATE TABLE blind_index (
    collection_id INTEGER NOT NULL,
    field         INTEGER NOT NULL,
    token         BLOB NOT NULL,
    seq           INTEGER NOT NULL,
    PRIMARY KEY (collection_id, field, token, seq)
) WITHOUT ROWID;

-- Erased subjects: only the random id, the time and whether the erasure finished (`done` = 0 while pending),
-- so an erased record reads as erased, and an erasure interrupted by a crash is finished at the next start.
-- Nothing derived from the person's values is kept.
CREATE TABLE tombstone (
    collection_id INTEGER NOT NULL,
    id            BLOB NOT NULL,
    erased        INTEGER NOT NULL,
    done          INTEGER NOT NULL,
    PRIMARY KEY (collection_id, id)
) WITHOUT ROWID;
