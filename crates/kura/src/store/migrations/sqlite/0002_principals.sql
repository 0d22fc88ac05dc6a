-- Principals: each record sealed under the vault's authentication key, bound to its name.
CREATE TABLE principal (
    name   TEXT PRIMARY KEY,
    sealed BLOB NOT NULL
) WITHOUT ROWID;
