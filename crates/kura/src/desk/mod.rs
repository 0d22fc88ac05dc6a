//! The service desk: orders from client companies (new lines, device changes, repairs, battery-pack
//! shipments, cancellations, address changes, inquiries), their progress and escalations, and access to
//! personal data bound to them.
//!
//! This module is the pure domain layer: no database, no clock, no I/O. Time is always passed in (Unix
//! seconds), so every function is deterministic.
//!
//! - [`order`] — orders, their status transition table, assignment, escalation and SLA;
//! - [`needs`] — which fields of the order's people each order type needs, each partner's narrower view and
//!   the SLA hours, from TOML validated against a collection's schema;
//! - [`bind`] — the access decision bound to an order: who may read which field of which person, when;
//!   break-glass requests;
//! - [`intake`] — orders arriving as a CSV file, checked whole before any is taken;
//! - [`simulate`] — a deterministic day at the desk, with the ground truth of what each order needed;
//! - [`report`] — orders by type, company and status, counts per hour, SLA compliance, escalations, backlog,
//!   and reads checked against what the orders needed; CSV and SVG output.
//!
//! What it guarantees: an order's history only moves along the transition table and forward in time;
//! `Done` and `Cancelled` are final; the access decision denies unless every condition holds; the same seed
//! gives the same day.

pub mod bind;
pub mod intake;
pub mod needs;
pub mod order;
pub mod report;
pub mod simulate;

pub use bind::{decide, BreakGlass, Decision, Reason};
pub use needs::Needs;
pub use order::{Escalation, Order, OrderId, OrderType, PartnerKind, Party, Priority, Status, Transition};
