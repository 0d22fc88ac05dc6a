//! Authentication primitives: how people and service accounts prove who they are.
//!
//! This module holds the self-contained building blocks only — no storage, no policy, no HTTP. Each part
//! states its guarantees in its own documentation:
//!
//! - [`password`] — Argon2id password hashes in PHC string format (default 19 MiB, 2 passes, 1 lane —
//!   OWASP's minimum — overridable), a 12..=1024-character policy, NFKC normalisation, constant-time
//!   verification, bounded stored parameters, [`password::Hasher::needs_rehash`] to upgrade old hashes, and a
//!   dummy verification for unknown users. Errors: [`password::PolicyError`], [`password::ParamsError`],
//!   [`password::HashError`], [`password::VerifyError`].
//! - [`totp`] — RFC 6238 one-time codes (HMAC-SHA-1/256/512, 6 or 8 digits, 30 s steps), verified with a
//!   ±1 step window in constant time and with replay protection (a step at or before the last accepted one is
//!   refused); 20-byte random secrets and `otpauth://` provisioning URIs. Errors: [`totp::SecretError`],
//!   [`totp::DigitsError`], [`totp::VerifyError`], [`totp::UriError`].
//! - [`token`] — API tokens `kura_<id>_<secret>` for service accounts: 256-bit random secrets shown once,
//!   stored only as SHA-256, scoped, expiring and revocable; verified in constant time with distinct
//!   malformed / unknown / expired / revoked errors that never echo the token. Errors: [`token::TokenError`],
//!   [`token::IdError`].
//! - [`lockout`] — a pure, deterministic lockout policy: after 5 failures within 15 minutes, locks of 1, 5,
//!   15 minutes, then 1 hour; a success resets. Errors: [`lockout::PolicyError`].
//!
//! Common rules: no secret is ever printed by `Debug` or included in an error message; secrets live in
//! `secrecy`/`zeroize` types, in buffers allocated at their final size so no reallocated copy is left
//! behind; secret comparisons are constant-time (`subtle`); all randomness comes from the OS generator;
//! times are Unix seconds (`i64`, as [`crate::store::now`] returns) passed in by the caller, so every decision
//! is reproducible in tests.
//!
//! What callers must add (not here): log every login, failure and credential change (PCI DSS 10.2.1); apply
//! [`lockout`] before checking any credential; store TOTP secrets encrypted and the last accepted TOTP step
//! and lockout state atomically with each login.

mod base32;
pub mod lockout;
pub mod password;
pub mod token;
pub mod totp;

use secrecy::SecretString;

/// Concatenates `parts` into a [`SecretString`] allocated once at its exact size: `SecretString::from` boxes
/// the string, which reallocates (leaving an unwiped copy) whenever capacity exceeds length.
fn concat_secret(parts: &[&str]) -> SecretString {
    let len = parts.iter().map(|p| p.len()).sum();
    let mut out = String::with_capacity(len);
    for part in parts {
        out.push_str(part);
    }
    SecretString::from(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

    use secrecy::ExposeSecret;

    #[test]
    fn concat_secret_joins_parts() {
        let s = super::concat_secret(&["kura_", "ABC", "_", "xyz"]);
        assert_eq!(s.expose_secret(), "kura_ABC_xyz");
        assert!(!format!("{s:?}").contains("xyz"));
    }
}
