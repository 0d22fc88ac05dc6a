//! Integration tests of the kura library, run against every storage backend.
//!
//! SQLite always runs. PostgreSQL runs when `KURA_TEST_POSTGRES` holds a URL (CI sets it); each test then
//! works in a schema of its own, dropped afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod alerts;
mod desk;
mod enforce;
mod exports;
mod import;
mod incidents;
mod principals;
mod stolen;
mod support;
mod trace;
mod vault;
