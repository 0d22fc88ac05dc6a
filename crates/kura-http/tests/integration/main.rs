//! Integration tests of the HTTP infrastructure: through the router without a socket (`oneshot`), and through
//! real servers on 127.0.0.1:0, plain and TLS.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod alerts;
mod api;
mod auth;
mod errors;
mod incidents;
mod orders;
mod serve;
mod support;
mod system;
