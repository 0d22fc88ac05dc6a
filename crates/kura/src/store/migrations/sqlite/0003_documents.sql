-- Workflow documents (export requests, …): each sealed under the vault's authentication key, bound to its kind
-- and id, changed by compare-and-swap.
CREATE TABLE document (
    kind   TEXT NOT NULL,
    id     TEXT NOT NULL,
    sealed BLOB NOT NULL,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;
