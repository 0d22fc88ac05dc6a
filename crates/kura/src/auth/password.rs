//! Password hashing for people: Argon2id, stored as a PHC string
//! (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`).
//!
//! Guarantees:
//! - new passwords are 12 to 1024 characters (Unicode code points, counted after normalisation); a clear
//!   error says which limit was missed, and never repeats the password;
//! - passwords are normalised to Unicode NFKC before hashing (NIST SP 800-63B), so a password typed with a
//!   full-width IME (`ｐａｓｓ`) or as composed or decomposed kana verifies the same on every device;
//! - each hash has a fresh 16-byte salt from the OS generator and a 32-byte output; the default cost is
//!   OWASP's minimum for Argon2id (19 MiB, 2 passes, 1 lane), and [`Hasher::new`] takes other parameters;
//! - [`verify`] compares the computed and stored outputs in constant time (the `password-hash` `Output`
//!   type compares with `subtle`), accepts only Argon2id version 19, and refuses stored parameters beyond
//!   [`MAX_M_KIB`] / [`MAX_T`] / [`MAX_P`], so a tampered hash cannot make a login allocate gigabytes;
//! - [`needs_rehash`] says when a stored hash is weaker than the current parameters, so the caller can rehash
//!   on the next successful login;
//! - [`Hasher::verify_absent`] does the same work as a verification, for a user that does not exist, so
//!   response time does not tell which accounts exist;
//! - the normalised copy of the password lives in a zeroising buffer. (The Argon2 working memory is the
//!   `argon2` crate's; it does not hold the password itself.)
//!
//! Lockout after repeated failures is [`super::lockout`]'s job, not this module's.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Version};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

/// Fewest characters in a new password.
pub const MIN_CHARS: usize = 12;
/// Most characters in a password.
pub const MAX_CHARS: usize = 1024;
/// Largest memory cost accepted, in KiB (1 GiB), for new hashes and for stored ones.
pub const MAX_M_KIB: u32 = 1024 * 1024;
/// Most passes accepted.
pub const MAX_T: u32 = 64;
/// Most lanes accepted.
pub const MAX_P: u32 = 64;
/// Length of the hash output in bytes.
const OUTPUT_LEN: usize = 32;
/// Length of a 16-byte salt in unpadded base64 (the PHC salt encoding).
const SALT_B64_LEN: usize = 22;

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Params {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl Default for Params {
    /// OWASP's minimum for Argon2id: 19 MiB, 2 passes, 1 lane (Password Storage Cheat Sheet).
    fn default() -> Self {
        Params { m_kib: 19 * 1024, t: 2, p: 1 }
    }
}

impl Params {
    /// Cheap parameters for tests only: a password hashed with these is easy to brute-force.
    pub fn dangerous_for_tests() -> Self {
        Params { m_kib: 64, t: 1, p: 1 }
    }

    fn argon2(self) -> Result<argon2::Params, argon2::Error> {
        argon2::Params::new(self.m_kib, self.t, self.p, Some(OUTPUT_LEN))
    }

    fn within_bounds(self) -> bool {
        self.m_kib <= MAX_M_KIB && self.t <= MAX_T && self.p <= MAX_P
    }
}

/// A password does not meet the length policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// Fewer than [`MIN_CHARS`] characters.
    #[error("password is too short: use at least {min} characters")]
    TooShort {
        /// The minimum.
        min: usize,
    },
    /// More than [`MAX_CHARS`] characters.
    #[error("password is too long: use at most {max} characters")]
    TooLong {
        /// The maximum.
        max: usize,
    },
}

/// Choosing hashing parameters failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParamsError {
    /// Outside Argon2's limits or kura's bounds.
    #[error("argon2 parameters m={m_kib} KiB, t={t}, p={p} are out of range")]
    Range {
        /// Memory in KiB.
        m_kib: u32,
        /// Passes.
        t: u32,
        /// Lanes.
        p: u32,
    },
}

/// Hashing a new password failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HashError {
    /// The password does not meet the length policy.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// Argon2 failed (out of memory, for instance).
    #[error("password hashing failed: {0}")]
    Argon2(String),
}

/// Verifying a password failed for a reason other than a wrong password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The stored hash is not a PHC string.
    #[error("stored password hash is not a valid phc string")]
    Malformed,
    /// The stored hash is not Argon2id version 19.
    #[error("stored password hash is not argon2id version 19")]
    Algorithm,
    /// The stored hash asks for parameters beyond the accepted bounds.
    #[error("stored password hash asks for argon2 parameters beyond the accepted bounds")]
    Parameters,
    /// Argon2 failed.
    #[error("password verification failed: {0}")]
    Argon2(String),
}

/// An Argon2id password hasher with fixed parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hasher {
    params: Params,
}

impl Default for Hasher {
    /// [`Params::default`].
    fn default() -> Self {
        Hasher { params: Params::default() }
    }
}

/// Checks the length policy for a new password.
pub fn check_policy(password: &SecretString) -> Result<(), PolicyError> {
    normalise(password).map(drop)
}

/// The NFKC form of `raw` in a zeroising buffer of exactly its size (measured first, so the buffer never
/// reallocates and leaves an unwiped copy behind).
fn nfkc(raw: &str) -> Zeroizing<String> {
    let len = raw.nfkc().map(char::len_utf8).sum();
    let mut out = Zeroizing::new(String::with_capacity(len));
    out.extend(raw.nfkc());
    out
}

/// The NFKC form of `password`, if it is [`MIN_CHARS`]..=[`MAX_CHARS`] characters long.
fn normalise(password: &SecretString) -> Result<Zeroizing<String>, PolicyError> {
    let raw = password.expose_secret();
    // Refuse more than 4 × MAX_CHARS bytes before normalising, so an oversized input costs nothing. (A typed
    // password that long has more than MAX_CHARS code points; only a contrived decomposed one could shrink
    // back under the limit through NFKC composition.)
    if raw.len() > 4 * MAX_CHARS {
        return Err(PolicyError::TooLong { max: MAX_CHARS });
    }
    let out = nfkc(raw);
    let chars = out.chars().count();
    if chars < MIN_CHARS {
        return Err(PolicyError::TooShort { min: MIN_CHARS });
    }
    if chars > MAX_CHARS {
        return Err(PolicyError::TooLong { max: MAX_CHARS });
    }
    Ok(out)
}

impl Hasher {
    /// A hasher with the given parameters, which must be within Argon2's limits and kura's bounds
    /// ([`MAX_M_KIB`], [`MAX_T`], [`MAX_P`]).
    pub fn new(params: Params) -> Result<Hasher, ParamsError> {
        if !params.within_bounds() || params.argon2().is_err() {
            return Err(ParamsError::Range { m_kib: params.m_kib, t: params.t, p: params.p });
        }
        Ok(Hasher { params })
    }

    /// The parameters new hashes get.
    pub fn params(&self) -> Params {
        self.params
    }

    fn argon2(&self) -> Result<Argon2<'static>, String> {
        let params = self.params.argon2().map_err(|e| e.to_string())?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// Hashes a new password (after checking the length policy) into a PHC string.
    pub fn hash(&self, password: &SecretString) -> Result<String, HashError> {
        let normalised = normalise(password)?;
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let argon = self.argon2().map_err(HashError::Argon2)?;
        let hash = argon.hash_password(normalised.as_bytes(), &salt).map_err(|e| HashError::Argon2(e.to_string()))?;
        Ok(hash.to_string())
    }

    /// Whether `password` matches the stored PHC string. A wrong password is `Ok(false)`; an error means the
    /// stored hash is unusable. The length minimum is not applied (a policy raised later must not lock out
    /// existing users); a password over the maximum cannot have been set, so it is `Ok(false)` at once.
    pub fn verify(&self, password: &SecretString, phc: &str) -> Result<bool, VerifyError> {
        let parsed = PasswordHash::new(phc).map_err(|_| VerifyError::Malformed)?;
        if parsed.algorithm != argon2::ARGON2ID_IDENT || parsed.version != Some(Version::V0x13 as u32) {
            return Err(VerifyError::Algorithm);
        }
        let stored = argon2::Params::try_from(&parsed).map_err(|_| VerifyError::Malformed)?;
        let stored = Params { m_kib: stored.m_cost(), t: stored.t_cost(), p: stored.p_cost() };
        if !stored.within_bounds() {
            return Err(VerifyError::Parameters);
        }
        // Not `normalise`: a password shorter than today's minimum may predate it and must still verify.
        let raw = password.expose_secret();
        if raw.len() > 4 * MAX_CHARS {
            return Ok(false);
        }
        let normalised = nfkc(raw);
        if normalised.chars().count() > MAX_CHARS {
            return Ok(false);
        }
        // The algorithm, version and parameters come from the stored hash; `Output` equality is constant-time.
        match Argon2::default().verify_password(normalised.as_bytes(), &parsed) {
            Ok(()) => Ok(true),
            Err(argon2::password_hash::Error::Password) => Ok(false),
            Err(e) => Err(VerifyError::Argon2(e.to_string())),
        }
    }

    /// Does the work of a verification with the current parameters and returns `false`: call it when the
    /// user does not exist, so that the response time does not reveal it.
    pub fn verify_absent(&self, password: &SecretString) -> bool {
        let bytes = password.expose_secret().as_bytes();
        let bytes = bytes.get(..bytes.len().min(4 * MAX_CHARS)).unwrap_or_default();
        let mut out = Zeroizing::new([0u8; OUTPUT_LEN]);
        if let Ok(argon) = self.argon2() {
            // The result is discarded: only the time spent matters.
            let _ = argon.hash_password_into(bytes, b"kura/absent-user", out.as_mut());
        }
        false
    }

    /// Whether a stored hash should be replaced on the next successful login: it is not Argon2id v19, cannot
    /// be read, or any of its memory, passes, lanes, output or salt length is below the current parameters.
    pub fn needs_rehash(&self, phc: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(phc) else {
            return true;
        };
        if parsed.algorithm != argon2::ARGON2ID_IDENT || parsed.version != Some(Version::V0x13 as u32) {
            return true;
        }
        let Ok(stored) = argon2::Params::try_from(&parsed) else {
            return true;
        };
        stored.m_cost() < self.params.m_kib
            || stored.t_cost() < self.params.t
            || stored.p_cost() < self.params.p
            || parsed.hash.is_none_or(|h| h.len() < OUTPUT_LEN)
            || parsed.salt.is_none_or(|s| s.len() < SALT_B64_LEN)
    }
}

/// Hashes a new password with the default parameters. See [`Hasher::hash`].
pub fn hash(password: &SecretString) -> Result<String, HashError> {
    Hasher::default().hash(password)
}

/// Verifies a password against a stored PHC string. See [`Hasher::verify`].
pub fn verify(password: &SecretString, phc: &str) -> Result<bool, VerifyError> {
    Hasher::default().verify(password, phc)
}

/// Whether a stored hash is weaker than the default parameters. See [`Hasher::needs_rehash`].
pub fn needs_rehash(phc: &str) -> bool {
    Hasher::default().needs_rehash(phc)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

    use super::*;

    fn pw(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    fn fast() -> Hasher {
        Hasher::new(Params::dangerous_for_tests()).unwrap()
    }

    /// Known answers from the Argon2 reference implementation's tests (phc-winner-argon2 `src/test.c`, CC0 1.0
    /// or Apache 2.0): Argon2id v19, salt `somesalt` (or `diffsalt`), 32-byte output.
    const REFERENCE: [(&str, &str); 6] = [
        ("password", "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"),
        ("password", "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc"),
        ("password", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"),
        ("password", "$argon2id$v=19$m=65536,t=1,p=1$c29tZXNhbHQ$9qWtwbpyPd3vm1rB1GThgPzZ3/ydHL92zKL+15XZypg"),
        ("differentpassword", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$C4TWUs9rDEvq7w3+J4umqA32aWKB1+DSiRuBfYxFj94"),
        ("password", "$argon2id$v=19$m=65536,t=2,p=1$ZGlmZnNhbHQ$vfMrBczELrFdWP0ZsfhWsRPaHppYdP3MVEMIVlqoFBw"),
    ];

    #[test]
    fn hash_and_verify() {
        let h = fast();
        let phc = h.hash(&pw("correct horse battery staple")).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{phc}");
        assert!(h.verify(&pw("correct horse battery staple"), &phc).unwrap());
        assert!(!h.verify(&pw("correct horse battery stapler"), &phc).unwrap());
        assert!(!h.verify(&pw("Correct horse battery staple"), &phc).unwrap());
        assert!(!h.verify(&pw(""), &phc).unwrap());
        // Fresh salt each time.
        assert_ne!(phc, h.hash(&pw("correct horse battery staple")).unwrap());
    }

    #[test]
    fn default_parameters_are_owasp_minimum() {
        let phc = hash(&pw("correct horse battery staple")).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify(&pw("correct horse battery staple"), &phc).unwrap());
        assert!(!verify(&pw("correct horse battery stable"), &phc).unwrap());
        assert!(!needs_rehash(&phc));
    }

    #[test]
    fn reference_known_answers() {
        let h = fast();
        for (password, phc) in REFERENCE {
            assert!(h.verify(&pw(password), phc).unwrap(), "{phc}");
            // Any other password, and the same hash with one output character changed, fail.
            assert!(!h.verify(&pw("passwore"), phc).unwrap(), "{phc}");
            let (head, output) = phc.rsplit_once('$').unwrap();
            let flipped = if output.starts_with('A') { "B" } else { "A" };
            let tampered = format!("{head}${flipped}{}", &output[1..]);
            assert!(!h.verify(&pw(password), &tampered).unwrap(), "{tampered}");
        }
        // These reference hashes are weaker than the defaults in memory or passes (or use an 8-byte salt).
        assert!(REFERENCE.iter().all(|(_, phc)| needs_rehash(phc)));
    }

    #[test]
    fn length_policy() {
        let h = fast();
        assert_eq!(h.hash(&pw("elevenchars")), Err(HashError::Policy(PolicyError::TooShort { min: 12 })));
        assert!(h.hash(&pw("twelve chars")).is_ok());
        // Characters, not bytes: 12 kanji are 36 bytes but 12 characters; 11 are too few.
        assert!(h.hash(&pw("蔵蔵蔵蔵蔵蔵蔵蔵蔵蔵蔵蔵")).is_ok());
        assert!(h.hash(&pw("蔵蔵蔵蔵蔵蔵蔵蔵蔵蔵蔵")).is_err());
        assert!(h.hash(&pw(&"a".repeat(1024))).is_ok());
        assert_eq!(h.hash(&pw(&"a".repeat(1025))), Err(HashError::Policy(PolicyError::TooLong { max: 1024 })));
        assert_eq!(h.hash(&pw(&"蔵".repeat(2000))), Err(HashError::Policy(PolicyError::TooLong { max: 1024 })));
        let e = h.hash(&pw("hunter2hunt")).unwrap_err().to_string();
        assert_eq!(e, "password is too short: use at least 12 characters");
        assert!(!e.contains("hunter2"));
        assert!(check_policy(&pw("long enough password")).is_ok());
        // An overlong password is simply wrong at verification.
        let phc = h.hash(&pw("correct horse battery staple")).unwrap();
        assert!(!h.verify(&pw(&"a".repeat(5000)), &phc).unwrap());
    }

    #[test]
    fn nfkc_normalisation() {
        let h = fast();
        // Full-width Latin, as typed with a Japanese IME in full-width mode.
        let phc = h.hash(&pw("ｃｏｒｒｅｃｔ ｈｏｒｓｅ")).unwrap();
        assert!(h.verify(&pw("correct horse"), &phc).unwrap());
        // Decomposed and composed kana (ガ = カ + U+3099).
        let phc = h.hash(&pw("ガガガガガガガガガガガガ")).unwrap();
        assert!(h.verify(&pw("\u{30AB}\u{3099}".repeat(12).as_str()), &phc).unwrap());
        // Half-width katakana.
        assert!(h.verify(&pw("ｶﾞｶﾞｶﾞｶﾞｶﾞｶﾞｶﾞｶﾞｶﾞｶﾞｶﾞｶﾞ"), &phc).unwrap());
    }

    #[test]
    fn shorter_than_policy_still_verifies() {
        // A hash made before the minimum was raised (made here directly with argon2).
        let salt = SaltString::from_b64("c29tZXNhbHRzb21lc2FsdA").unwrap();
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::dangerous_for_tests().argon2().unwrap());
        let phc = argon.hash_password(b"short", &salt).unwrap().to_string();
        assert!(fast().verify(&pw("short"), &phc).unwrap());
        assert!(!fast().verify(&pw("shorT"), &phc).unwrap());
    }

    #[test]
    fn stored_hash_errors() {
        let h = fast();
        let p = pw("correct horse battery staple");
        assert_eq!(h.verify(&p, ""), Err(VerifyError::Malformed));
        assert_eq!(h.verify(&p, "not a hash"), Err(VerifyError::Malformed));
        assert_eq!(h.verify(&p, "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ"), Ok(false), "no output");
        // argon2i / argon2d / version 16 / bcrypt are refused.
        let phc = h.hash(&p).unwrap();
        assert_eq!(h.verify(&p, &phc.replace("argon2id", "argon2i")), Err(VerifyError::Algorithm));
        assert_eq!(h.verify(&p, &phc.replace("argon2id", "argon2d")), Err(VerifyError::Algorithm));
        assert_eq!(h.verify(&p, &phc.replace("v=19", "v=16")), Err(VerifyError::Algorithm));
        assert_eq!(
            h.verify(&p, "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"),
            Err(VerifyError::Malformed)
        );
        // A tampered hash demanding 4 GiB is refused before any work.
        assert_eq!(h.verify(&p, &phc.replace("m=64", "m=4194304")), Err(VerifyError::Parameters));
        assert_eq!(h.verify(&p, &phc.replace("t=1", "t=1000")), Err(VerifyError::Parameters));
        // A tampered salt is just a mismatch.
        let (params, rest) = phc.rsplit_once('$').map(|(head, out)| (head.rsplit_once('$').unwrap(), out)).unwrap();
        let (head, salt) = params;
        let flipped = if salt.starts_with('A') { "B" } else { "A" };
        let tampered = format!("{head}${flipped}{}${rest}", &salt[1..]);
        assert_eq!(h.verify(&p, &tampered), Ok(false), "{tampered}");
    }

    #[test]
    fn rehash_when_weaker() {
        let strong = Hasher::new(Params { m_kib: 128, t: 2, p: 1 }).unwrap();
        let weak_phc = fast().hash(&pw("correct horse battery staple")).unwrap();
        let strong_phc = strong.hash(&pw("correct horse battery staple")).unwrap();
        assert!(strong.needs_rehash(&weak_phc));
        assert!(!strong.needs_rehash(&strong_phc));
        assert!(!fast().needs_rehash(&strong_phc), "stronger than current is fine");
        assert!(strong.needs_rehash(&strong_phc.replace("t=2", "t=1")));
        assert!(Hasher::new(Params { m_kib: 128, t: 2, p: 2 }).unwrap().needs_rehash(&strong_phc));
        assert!(strong.needs_rehash(&strong_phc.replace("argon2id", "argon2i")));
        assert!(strong.needs_rehash("garbage"));
        assert!(needs_rehash(&weak_phc), "default parameters are stronger than the test ones");
    }

    #[test]
    fn parameters_are_bounded() {
        assert!(Hasher::new(Params::default()).is_ok());
        assert!(Hasher::new(Params { m_kib: MAX_M_KIB + 1, t: 2, p: 1 }).is_err());
        assert!(Hasher::new(Params { m_kib: 19456, t: 0, p: 1 }).is_err());
        assert!(Hasher::new(Params { m_kib: 19456, t: 2, p: 0 }).is_err());
        assert!(Hasher::new(Params { m_kib: 19456, t: MAX_T + 1, p: 1 }).is_err());
        assert!(Hasher::new(Params { m_kib: 1, t: 1, p: 1 }).is_err(), "argon2 needs 8 KiB per lane");
    }

    #[test]
    fn absent_user_is_never_verified() {
        assert!(!fast().verify_absent(&pw("correct horse battery staple")));
        assert!(!fast().verify_absent(&pw(&"x".repeat(10_000))));
    }
}
