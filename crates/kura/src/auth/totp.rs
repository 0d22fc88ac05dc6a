//! Time-based one-time passwords (RFC 6238 TOTP over RFC 4226 HOTP): the second factor for people.
//!
//! Guarantees:
//! - codes are RFC 6238 codes: HMAC-SHA-1 (the default, what authenticator apps expect), HMAC-SHA-256 or
//!   HMAC-SHA-512, 6 or 8 digits, 30-second steps from the Unix epoch; checked against every RFC 6238
//!   Appendix B vector (`testdata/totp/rfc6238.txt`) and the RFC 4226 Appendix D HOTP values;
//! - [`Totp::verify`] accepts the current step and one step either side (clock drift), compares every
//!   candidate in constant time and looks at all of them whatever matches, so timing does not reveal which
//!   step (if any) matched;
//! - replay protection: `verify` takes the last step the caller accepted and refuses any code for a step at or
//!   before it, so a code — or an older code still inside the window — works at most once. The caller must
//!   store the returned step atomically with the login;
//! - secrets are 20 random bytes (RFC 4226's recommended 160 bits) from the OS generator, held in
//!   zeroising memory, never printed by `Debug`; the provisioning URI, which contains the secret, is returned
//!   as a [`SecretString`].
//!
//! A 6-digit code with a ±1 step window is guessed with probability 3 / 10⁶ per try: verification must sit
//! behind [`super::lockout`].

use std::fmt::Write as _;

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Sha256, Sha512};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroizing;

use super::base32;

/// Length of a step in seconds (RFC 6238's default; the only value authenticator apps agree on).
pub const STEP_SECS: u64 = 30;
/// Steps accepted either side of the current one.
pub const WINDOW: u64 = 1;
/// Length in bytes of a generated secret.
pub const SECRET_LEN: usize = 20;
/// Shortest secret accepted (RFC 4226 section 4: at least 128 bits).
pub const MIN_SECRET_LEN: usize = 16;
/// Longest secret accepted (HMAC-SHA-512's block size; longer keys would only be hashed down).
pub const MAX_SECRET_LEN: usize = 128;

/// The HMAC hash function.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// HMAC-SHA-1, RFC 6238's default and the one every authenticator app supports.
    #[default]
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

impl Algorithm {
    /// The name in an `otpauth://` URI.
    fn uri_name(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
        }
    }
}

/// The number of digits in a code (serialised as the number).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum Digits {
    /// Six digits (what authenticator apps show by default).
    #[default]
    Six,
    /// Eight digits.
    Eight,
}

impl Digits {
    /// The number of digits.
    pub fn count(self) -> usize {
        match self {
            Digits::Six => 6,
            Digits::Eight => 8,
        }
    }

    fn modulus(self) -> u32 {
        match self {
            Digits::Six => 1_000_000,
            Digits::Eight => 100_000_000,
        }
    }
}

/// A digit count other than 6 or 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DigitsError {
    /// Not 6 or 8.
    #[error("one-time codes have 6 or 8 digits, not {0}")]
    Unsupported(u8),
}

impl TryFrom<u8> for Digits {
    type Error = DigitsError;
    fn try_from(n: u8) -> Result<Self, Self::Error> {
        match n {
            6 => Ok(Digits::Six),
            8 => Ok(Digits::Eight),
            other => Err(DigitsError::Unsupported(other)),
        }
    }
}

impl From<Digits> for u8 {
    fn from(d: Digits) -> u8 {
        match d {
            Digits::Six => 6,
            Digits::Eight => 8,
        }
    }
}

/// A TOTP shared secret, zeroised on drop and never printed.
pub struct Secret(SecretSlice<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("totp::Secret([redacted])")
    }
}

/// A secret could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// Too short or too long.
    #[error("totp secret must be {MIN_SECRET_LEN} to {MAX_SECRET_LEN} bytes, not {0}")]
    Length(usize),
    /// Not base32.
    #[error("totp secret is not valid base32: {0}")]
    Base32(#[from] base32::DecodeError),
}

impl Secret {
    /// A fresh secret of [`SECRET_LEN`] random bytes.
    pub fn generate() -> Secret {
        use rand::RngCore;
        let mut bytes = vec![0u8; SECRET_LEN];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Secret(SecretSlice::from(bytes))
    }

    /// A secret from raw bytes ([`MIN_SECRET_LEN`]..=[`MAX_SECRET_LEN`] of them).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Secret, SecretError> {
        let bytes = Zeroizing::new(bytes);
        if !(MIN_SECRET_LEN..=MAX_SECRET_LEN).contains(&bytes.len()) {
            return Err(SecretError::Length(bytes.len()));
        }
        // An exact-capacity copy: boxing a vector with spare capacity would reallocate and leave the old
        // buffer unwiped. The caller's vector is wiped when `bytes` drops.
        let mut exact = Vec::with_capacity(bytes.len());
        exact.extend_from_slice(&bytes);
        Ok(Secret(SecretSlice::from(exact)))
    }

    /// A secret from its base32 form as an authenticator shows it: either case, padding optional, spaces
    /// between groups ignored.
    pub fn from_base32(text: &SecretString) -> Result<Secret, SecretError> {
        let compact = without_spaces(text.expose_secret());
        let bytes = base32::decode(&compact)?;
        Secret::from_bytes(bytes)
    }

    /// The secret in unpadded upper-case base32, for manual entry in an authenticator.
    pub fn to_base32(&self) -> SecretString {
        SecretString::from(base32::encode(self.0.expose_secret(), false))
    }
}

impl ExposeSecret<[u8]> for Secret {
    /// The raw secret bytes (for storing them encrypted).
    fn expose_secret(&self) -> &[u8] {
        self.0.expose_secret()
    }
}

/// Verifying a code failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// Not the expected number of ASCII digits.
    #[error("one-time code must be {0} digits")]
    Malformed(usize),
    /// The clock reads before 1970.
    #[error("system clock is before 1970")]
    Clock,
    /// The code is wrong, or too old or too far in the future.
    #[error("wrong one-time code")]
    Mismatch,
    /// The code is right for a step at or before the last accepted one: it was used already, or a newer
    /// code was. Worth an alert: someone else may hold the user's codes.
    #[error("one-time code was already used")]
    Replayed,
}

/// Building a provisioning URI failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UriError {
    /// The issuer or account name is empty.
    #[error("issuer and account name must not be empty")]
    Empty,
    /// The issuer or account name contains `:`, which separates them in the label.
    #[error("issuer and account name must not contain `:`")]
    Colon,
}

/// A TOTP credential: secret, hash function and number of digits (the step is always [`STEP_SECS`]).
#[derive(Debug)]
pub struct Totp {
    secret: Secret,
    algorithm: Algorithm,
    digits: Digits,
}

/// The step containing Unix time `now` (seconds), or `None` before 1970.
pub fn step_at(now: i64) -> Option<u64> {
    u64::try_from(now).ok().map(|t| t / STEP_SECS)
}

/// HMAC of `msg` under `key`.
fn hmac<M: Mac + hmac::digest::KeyInit>(key: &[u8], msg: &[u8]) -> Zeroizing<Vec<u8>> {
    #[expect(clippy::expect_used, reason = "HMAC accepts keys of every length")]
    // INVARIANT: RFC 2104 HMAC pads short keys and hashes long ones, so `new_from_slice` never fails for it.
    let mut mac = <M as Mac>::new_from_slice(key).expect("hmac accepts any key length");
    mac.update(msg);
    Zeroizing::new(mac.finalize().into_bytes().to_vec())
}

/// RFC 4226 section 5.3 dynamic truncation: 31 bits from the offset named by the last nibble.
fn truncate(mac: &[u8]) -> u32 {
    let offset = usize::from(mac.last().copied().unwrap_or(0) & 0x0f);
    // The MAC is at least 20 bytes and the offset at most 15, so four bytes are always there.
    mac.iter().skip(offset).take(4).fold(0u32, |acc, b| (acc << 8) | u32::from(*b)) & 0x7fff_ffff
}

impl Totp {
    /// A credential from a secret.
    pub fn new(secret: Secret, algorithm: Algorithm, digits: Digits) -> Totp {
        Totp { secret, algorithm, digits }
    }

    /// A new credential with a fresh secret, HMAC-SHA-1 and six digits: what every authenticator app reads.
    pub fn generate() -> Totp {
        Totp::new(Secret::generate(), Algorithm::Sha1, Digits::Six)
    }

    /// The secret (to store it, encrypted).
    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// The hash function.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The number of digits.
    pub fn digits(&self) -> Digits {
        self.digits
    }

    /// The code for a step, zero-padded to the number of digits.
    pub fn code(&self, step: u64) -> Zeroizing<String> {
        let key = self.secret.0.expose_secret();
        let msg = step.to_be_bytes();
        let mac = match self.algorithm {
            Algorithm::Sha1 => hmac::<Hmac<Sha1>>(key, &msg),
            Algorithm::Sha256 => hmac::<Hmac<Sha256>>(key, &msg),
            Algorithm::Sha512 => hmac::<Hmac<Sha512>>(key, &msg),
        };
        let value = truncate(&mac) % self.digits.modulus();
        let mut out = Zeroizing::new(String::with_capacity(self.digits.count()));
        // Writing to a String cannot fail; the capacity is exact, so nothing is reallocated.
        let _ = write!(out, "{value:0width$}", width = self.digits.count());
        out
    }

    /// Checks `presented` (digits; spaces, as apps display them, are ignored, and full-width digits count as
    /// ASCII ones) at Unix time `now` against the
    /// current step ± [`WINDOW`], refusing steps at or before `last_step`. Returns the step that matched,
    /// which the caller must store as the new `last_step`.
    pub fn verify(&self, presented: &str, now: i64, last_step: Option<u64>) -> Result<u64, VerifyError> {
        let digits = self.digits.count();
        let code = normalise_code(presented);
        if code.len() != digits || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(VerifyError::Malformed(digits));
        }
        let current = step_at(now).ok_or(VerifyError::Clock)?;
        let mut accepted = 0u64;
        let mut found = Choice::from(0);
        let mut replayed = Choice::from(0);
        // Every candidate is computed and compared whatever the outcome; the earliest fresh match wins.
        for step in current.saturating_sub(WINDOW)..=current.saturating_add(WINDOW) {
            let matches = self.code(step).as_bytes().ct_eq(code.as_bytes());
            let fresh = Choice::from(u8::from(last_step.is_none_or(|last| step > last)));
            let take = matches & fresh & !found;
            accepted.conditional_assign(&step, take);
            found |= matches & fresh;
            replayed |= matches & !fresh;
        }
        if bool::from(found) {
            Ok(accepted)
        } else if bool::from(replayed) {
            Err(VerifyError::Replayed)
        } else {
            Err(VerifyError::Mismatch)
        }
    }

    /// The `otpauth://totp/…` URI that authenticator apps read from a QR code (Google Authenticator key URI
    /// format): label `issuer:account`, the secret in unpadded base32, and the issuer, algorithm, digits and
    /// period parameters. It contains the secret.
    pub fn provisioning_uri(&self, issuer: &str, account: &str) -> Result<SecretString, UriError> {
        if issuer.is_empty() || account.is_empty() {
            return Err(UriError::Empty);
        }
        if issuer.contains(':') || account.contains(':') {
            return Err(UriError::Colon);
        }
        let issuer = percent_encode(issuer);
        let account = percent_encode(account);
        let secret = Zeroizing::new(base32::encode(self.secret.0.expose_secret(), false));
        let digits = self.digits.count().to_string();
        let period = STEP_SECS.to_string();
        Ok(super::concat_secret(&[
            "otpauth://totp/",
            &issuer,
            ":",
            &account,
            "?secret=",
            &secret,
            "&issuer=",
            &issuer,
            "&algorithm=",
            self.algorithm.uri_name(),
            "&digits=",
            &digits,
            "&period=",
            &period,
        ]))
    }
}

/// `text` without spaces, in a zeroising buffer allocated once.
fn without_spaces(text: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(text.len()));
    out.extend(text.chars().filter(|c| *c != ' '));
    out
}

/// A presented code with spaces removed and full-width digits (as a Japanese IME types them) made ASCII.
fn normalise_code(text: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(text.len()));
    for c in text.chars() {
        match c {
            ' ' | '\u{3000}' => {}
            '０'..='９' => out.push(char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')).unwrap_or(c)),
            _ => out.push(c),
        }
    }
    out
}

/// RFC 3986 percent-encoding of everything but the unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

    use super::*;

    const RFC6238: &str = include_str!("../../testdata/totp/rfc6238.txt");
    const RFC4226: &str = include_str!("../../testdata/totp/rfc4226.txt");

    fn totp(seed: &[u8], algorithm: Algorithm, digits: Digits) -> Totp {
        Totp::new(Secret::from_bytes(seed.to_vec()).unwrap(), algorithm, digits)
    }

    /// The RFC 6238 seeds: Appendix A's reference code uses a key as long as the hash output for SHA-256 and
    /// SHA-512 (the Appendix B text names only the 20-byte one).
    fn seed(algorithm: Algorithm) -> &'static [u8] {
        match algorithm {
            Algorithm::Sha1 => b"12345678901234567890",
            Algorithm::Sha256 => b"12345678901234567890123456789012",
            Algorithm::Sha512 => b"1234567890123456789012345678901234567890123456789012345678901234",
        }
    }

    struct Vector {
        time: i64,
        step: u64,
        code: &'static str,
        algorithm: Algorithm,
    }

    fn rfc6238_vectors() -> Vec<Vector> {
        let vectors: Vec<Vector> = RFC6238
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|line| {
                let f: Vec<&str> = line.split_whitespace().collect();
                assert_eq!(f.len(), 4, "{line}");
                Vector {
                    time: f[0].parse().unwrap(),
                    step: u64::from_str_radix(f[1], 16).unwrap(),
                    code: f[2],
                    algorithm: match f[3] {
                        "SHA1" => Algorithm::Sha1,
                        "SHA256" => Algorithm::Sha256,
                        "SHA512" => Algorithm::Sha512,
                        other => panic!("unknown mode {other}"),
                    },
                }
            })
            .collect();
        assert_eq!(vectors.len(), 18, "six times × three hash functions");
        vectors
    }

    #[test]
    fn rfc6238_appendix_b() {
        for v in rfc6238_vectors() {
            assert_eq!(step_at(v.time), Some(v.step), "T at {}", v.time);
            let t = totp(seed(v.algorithm), v.algorithm, Digits::Eight);
            assert_eq!(t.code(v.step).as_str(), v.code, "{:?} at {}", v.algorithm, v.time);
            // The six-digit code is the same value modulo 10⁶.
            let t6 = totp(seed(v.algorithm), v.algorithm, Digits::Six);
            assert_eq!(t6.code(v.step).as_str(), &v.code[2..], "{:?} at {} (6 digits)", v.algorithm, v.time);
            // And verification accepts it at that time.
            assert_eq!(t.verify(v.code, v.time, None), Ok(v.step));
        }
    }

    #[test]
    fn rfc4226_appendix_d() {
        let t = totp(seed(Algorithm::Sha1), Algorithm::Sha1, Digits::Six);
        let mut n = 0;
        for line in RFC4226.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            let (count, code) = line.split_once(' ').unwrap();
            assert_eq!(t.code(count.parse().unwrap()).as_str(), code.trim(), "count {count}");
            n += 1;
        }
        assert_eq!(n, 10);
    }

    #[test]
    fn window_is_one_step_either_side() {
        let t = Totp::generate();
        let now = 1_700_000_015; // in the middle of a step
        let step = step_at(now).unwrap();
        for delta in [-1i64, 0, 1] {
            let s = step.checked_add_signed(delta).unwrap();
            assert_eq!(t.verify(&t.code(s), now, None), Ok(s), "delta {delta}");
        }
        for delta in [-3i64, -2, 2, 3] {
            let s = step.checked_add_signed(delta).unwrap();
            // A code for a step outside the window may collide with one inside it (p ≈ 3·10⁻⁶); skip that case.
            let code = t.code(s);
            if (step - 1..=step + 1).any(|w| t.code(w) == code) {
                continue;
            }
            assert_eq!(t.verify(&code, now, None), Err(VerifyError::Mismatch), "delta {delta}");
        }
    }

    #[test]
    fn wrong_code_is_refused() {
        let t = totp(seed(Algorithm::Sha1), Algorithm::Sha1, Digits::Eight);
        // 59 s is step 1, code 94287082 (RFC 6238); flip each digit in turn.
        for i in 0..8 {
            let mut wrong: Vec<u8> = b"94287082".to_vec();
            wrong[i] = if wrong[i] == b'9' { b'0' } else { wrong[i] + 1 };
            let wrong = String::from_utf8(wrong).unwrap();
            assert_eq!(t.verify(&wrong, 59, None), Err(VerifyError::Mismatch), "{wrong}");
        }
        // The right code under another secret.
        let other = totp(b"12345678901234567891", Algorithm::Sha1, Digits::Eight);
        assert_eq!(other.verify("94287082", 59, None), Err(VerifyError::Mismatch));
        // The right secret with another hash function.
        let sha256 = totp(seed(Algorithm::Sha1), Algorithm::Sha256, Digits::Eight);
        assert_eq!(sha256.verify("94287082", 59, None), Err(VerifyError::Mismatch));
    }

    #[test]
    fn old_code_is_refused() {
        let t = totp(seed(Algorithm::Sha1), Algorithm::Sha1, Digits::Eight);
        // 94287082 is the code of step 1 (t = 30..59); at t = 120 (step 4) it is three steps old.
        assert_eq!(t.verify("94287082", 89, None), Ok(1), "one step late is within the window");
        assert_eq!(t.verify("94287082", 90, None), Err(VerifyError::Mismatch), "two steps late");
        assert_eq!(t.verify("94287082", 120, None), Err(VerifyError::Mismatch));
    }

    #[test]
    fn replayed_code_is_refused() {
        let t = Totp::generate();
        let now = 1_700_000_000;
        let step = step_at(now).unwrap();
        let code = t.code(step);
        let last = t.verify(&code, now, None).unwrap();
        assert_eq!(last, step);
        // The same code again, in the same step or the next one.
        assert_eq!(t.verify(&code, now, Some(last)), Err(VerifyError::Replayed));
        assert_eq!(t.verify(&code, now + 30, Some(last)), Err(VerifyError::Replayed));
        // The previous step's code, still inside the window, after a newer one was accepted.
        assert_eq!(t.verify(&t.code(step - 1), now, Some(last)), Err(VerifyError::Replayed));
        // The next step's code is fresh.
        assert_eq!(t.verify(&t.code(step + 1), now, Some(last)), Ok(step + 1));
        // After accepting a code one step ahead, the current step's code is refused too.
        assert_eq!(t.verify(&code, now, Some(step + 1)), Err(VerifyError::Replayed));
    }

    #[test]
    fn colliding_codes_take_the_earliest_fresh_step() {
        // With the RFC seed and 6 digits, steps 153567 and 153569 both have code 468457 (found by search).
        // At step 153568 both are inside the window: the earliest fresh one is accepted, so the later one
        // still works once, and after it nothing does.
        let t = totp(seed(Algorithm::Sha1), Algorithm::Sha1, Digits::Six);
        assert_eq!(t.code(153_567).as_str(), "468457");
        assert_eq!(t.code(153_569).as_str(), "468457");
        let now = 153_568 * 30;
        assert_eq!(t.verify("468457", now, None), Ok(153_567));
        assert_eq!(t.verify("468457", now, Some(153_567)), Ok(153_569));
        assert_eq!(t.verify("468457", now, Some(153_569)), Err(VerifyError::Replayed));
    }

    #[test]
    fn malformed_codes() {
        let t = Totp::generate();
        for bad in ["", "12345", "1234567", "12345a", "１２３４５", "-12345", "12345\n", "12345٦"] {
            assert_eq!(t.verify(bad, 1_700_000_000, None), Err(VerifyError::Malformed(6)), "{bad:?}");
        }
        assert_eq!(t.verify("123456", -1, None), Err(VerifyError::Clock));
        // Spaces as apps display them are fine.
        let code = t.code(step_at(1_700_000_000).unwrap());
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert!(t.verify(&spaced, 1_700_000_000, None).is_ok());
        // Full-width digits and an ideographic space, as typed with a Japanese IME.
        let wide: String = code.chars().map(|c| char::from_u32(u32::from(c) - 0x30 + 0xFF10).unwrap()).collect();
        let wide = format!("{}\u{3000}{}", &wide[..9], &wide[9..]);
        assert!(t.verify(&wide, 1_700_000_000, None).is_ok(), "{wide}");
    }

    #[test]
    fn first_steps_do_not_underflow() {
        let t = totp(seed(Algorithm::Sha1), Algorithm::Sha1, Digits::Eight);
        assert_eq!(t.verify(&t.code(0), 0, None), Ok(0));
        assert_eq!(t.verify("94287082", 0, None), Ok(1), "step 1 is inside the window at step 0");
        assert_eq!(t.verify(&t.code(0), 0, Some(0)), Err(VerifyError::Replayed));
        let end = i64::MAX;
        let last = step_at(end).unwrap();
        assert_eq!(t.verify(&t.code(last), end, None), Ok(last));
    }

    #[test]
    fn secrets() {
        let s = Secret::generate();
        assert_eq!(s.expose_secret().len(), SECRET_LEN);
        assert_ne!(s.expose_secret(), Secret::generate().expose_secret());
        assert_eq!(format!("{s:?}"), "totp::Secret([redacted])");
        let t = Totp::new(s, Algorithm::Sha1, Digits::Six);
        let b32 = t.secret().to_base32();
        assert!(!format!("{t:?}").contains(b32.expose_secret()));
        // Round trip through base32, as typed by a person: lower case, in groups.
        let typed: String = b32
            .expose_secret()
            .to_lowercase()
            .chars()
            .collect::<Vec<_>>()
            .chunks(4)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(" ");
        let back = Secret::from_base32(&SecretString::from(typed)).unwrap();
        assert_eq!(back.expose_secret(), t.secret().expose_secret());
        // The RFC seed in base32.
        let rfc = Secret::from_base32(&SecretString::from("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")).unwrap();
        assert_eq!(rfc.expose_secret(), seed(Algorithm::Sha1));
        assert_eq!(Secret::from_bytes(vec![0; 15]).unwrap_err(), SecretError::Length(15));
        assert_eq!(Secret::from_bytes(vec![0; 129]).unwrap_err(), SecretError::Length(129));
        assert!(matches!(Secret::from_base32(&SecretString::from("GEZDGNBVGY3TQOJ!")), Err(SecretError::Base32(_))));
    }

    #[test]
    fn settings_serialise_plainly() {
        assert_eq!(serde_json::to_string(&(Algorithm::Sha256, Digits::Eight)).unwrap(), r#"["sha256",8]"#);
        assert_eq!(serde_json::from_str::<Digits>("6").unwrap(), Digits::Six);
        assert!(serde_json::from_str::<Digits>("7").is_err());
        assert_eq!(Digits::try_from(7), Err(DigitsError::Unsupported(7)));
    }

    #[test]
    fn provisioning_uri() {
        let t = totp(seed(Algorithm::Sha1), Algorithm::Sha1, Digits::Six);
        let uri = t.provisioning_uri("kura", "alice@example.com").unwrap();
        assert_eq!(
            uri.expose_secret(),
            concat!(
                "otpauth://totp/kura:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
                "&issuer=kura&algorithm=SHA1&digits=6&period=30"
            )
        );
        let t = totp(seed(Algorithm::Sha512), Algorithm::Sha512, Digits::Eight);
        let uri = t.provisioning_uri("ACME 蔵", "山田 太郎").unwrap();
        assert!(uri
            .expose_secret()
            .starts_with("otpauth://totp/ACME%20%E8%94%B5:%E5%B1%B1%E7%94%B0%20%E5%A4%AA%E9%83%8E?secret="));
        assert!(uri.expose_secret().ends_with("&issuer=ACME%20%E8%94%B5&algorithm=SHA512&digits=8&period=30"));
        assert_eq!(t.provisioning_uri("a:b", "alice").unwrap_err(), UriError::Colon);
        assert_eq!(t.provisioning_uri("kura", "alice:x").unwrap_err(), UriError::Colon);
        assert_eq!(t.provisioning_uri("", "alice").unwrap_err(), UriError::Empty);
        assert!(!format!("{uri:?}").contains("GEZ"), "the uri is not printed by Debug");
    }
}
