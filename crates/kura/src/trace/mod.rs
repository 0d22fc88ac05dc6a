//! Leak tracing: from what leaked to the export and the people it came from.
//!
//! [`parse`] reads a leak (CSV, TSV, JSON, a database dump or free text typed off letters) into rows of
//! classified values; [`guilt`] is the set-membership baseline (the Papadimitriou–Garcia-Molina guilt
//! model). The vault links the rows to records through its blind indexes and combines membership, canaries
//! and the notation fingerprint ([`crate::fingerprint::decode`]) into a verdict.

pub mod guilt;
pub mod parse;
