//! Alerts: anomaly rules over the access log, and what kura does when one fires.

pub mod rules;
