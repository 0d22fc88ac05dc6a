-- kura keyring (SQLite): wrapped keys only, in a file of its own so that backups of the vault database never
-- contain the keys that open it, and erasing a subject key forgets the subject in every backup.
CREATE TABLE data_key (
    collection TEXT NOT NULL,
    purpose    TEXT NOT NULL,
    version    INTEGER NOT NULL,
    wrapped    BLOB NOT NULL,
    created    INTEGER NOT NULL,
    PRIMARY KEY (collection, purpose, version)
) WITHOUT ROWID;

CREATE TABLE subject_key (
    record_id BLOB PRIMARY KEY,
    version   INTEGER NOT NULL,
    wrapped   BLOB NOT NULL
) WITHOUT ROWID;
