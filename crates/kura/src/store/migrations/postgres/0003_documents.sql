-- Workflow documents (export requests, …): each sealed under the vault's authentication key, bound to its kind
-- and id, changed by compare-and-swap.
CREATE TABLE kura_document (
    kind   TEXT NOT NULL,
    id     TEXT NOT NULL,
    sealed BYTEA NOT NULL,
    PRIMARY KEY (kind, id)
);
