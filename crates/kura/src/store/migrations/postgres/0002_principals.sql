-- Principals: each record sealed under the vault's authentication key, bound to its name.
CREATE TABLE kura_principal (
    name   TEXT PRIMARY KEY,
    sealed BYTEA NOT NULL
);
