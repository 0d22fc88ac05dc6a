-- kura vault (PostgreSQL). Holds ciphertexts, blind-index tokens and wrapped keys; no key, no plaintext.
CREATE TABLE kura_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE kura_collection (
    id      BIGSERIAL PRIMARY KEY,
    name    TEXT NOT NULL UNIQUE,
    schema  TEXT NOT NULL,
    created BIGINT NOT NULL
);

CREATE TABLE kura_record (
    collection_id BIGINT NOT NULL REFERENCES kura_collection(id),
    id            BYTEA NOT NULL,
    ext_token     BYTEA NOT NULL,
    key_version   INTEGER NOT NULL,
    fields        BYTEA NOT NULL,
    tokens        BYTEA NOT NULL,
    created       BIGINT NOT NULL,
    updated       BIGINT NOT NULL,
    PRIMARY KEY (collection_id, id),
    UNIQUE (collection_id, ext_token)
);

CREATE TABLE kura_blind_index (
    collection_id BIGINT NOT NULL,
    field         SMALLINT NOT NULL,
    token         BYTEA NOT NULL,
    record_id     BYTEA NOT NULL,
    PRIMARY KEY (collection_id, field, token, record_id)
);

-- Erased subjects: only the random id and the time; nothing derived from the person's values.
CREATE TABLE kura_tombstone (
    collection_id BIGINT NOT NULL,
    id            BYTEA NOT NULL,
    erased        BIGINT NOT NULL,
    PRIMARY KEY (collection_id, id)
);

-- The keyring. Exclude these two tables from long-retention backups (pg_dump --exclude-table) so that
-- erasing a subject key also erases the subject from the backups of the data.
CREATE TABLE kura_keyring_data_key (
    collection TEXT NOT NULL,
    purpose    TEXT NOT NULL,
    version    INTEGER NOT NULL,
    wrapped    BYTEA NOT NULL,
    created    BIGINT NOT NULL,
    PRIMARY KEY (collection, purpose, version)
);

CREATE TABLE kura_keyring_subject_key (
    record_id BYTEA PRIMARY KEY,
    version   INTEGER NOT NULL,
    wrapped   BYTEA NOT NULL
);
