//! API tokens for service accounts: `kura_<id>_<secret>`.
//!
//! The id is 12 random base32 characters (60 bits, not secret: it names the token in storage, logs and
//! revocation); the secret is 32 random bytes from the OS generator in unpadded base64url (43 characters).
//! The `kura_` prefix lets secret scanners recognise a leaked token.
//!
//! Guarantees:
//! - the plaintext token exists once, as a [`SecretString`] returned by [`issue`], to be shown to the user a
//!   single time; kura stores only a [`StoredToken`]: the id, SHA-256 of the secret, the scopes, the expiry
//!   and the revocation time. A copy of the database does not yield usable tokens;
//! - a fast hash is the right one here: the secret is 256 uniformly random bits, so there is nothing to
//!   guess — a brute-force search needs ~2²⁵⁵ SHA-256 evaluations per token whatever the hash costs — and
//!   a slow hash (Argon2) would only make each API request expensive and hand attackers a denial-of-service
//!   lever. Slow hashes exist for low-entropy, human-chosen passwords;
//! - [`verify`] parses strictly (exactly one text per secret: canonical base64url, no padding, no trailing
//!   bits), compares the SHA-256 digests in constant time, and reports revocation and expiry only to a caller
//!   who presented the right secret; its errors distinguish malformed / unknown / expired / revoked and never
//!   contain any part of the token;
//! - `Debug` on a [`StoredToken`] shows neither the digest nor anything secret; secret bytes are held in
//!   zeroising buffers and every buffer holding them is allocated at its exact size.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::base32;

/// The prefix of every token.
pub const PREFIX: &str = "kura_";
/// Characters in a token id.
pub const ID_LEN: usize = 12;
/// Bytes in a token secret.
pub const SECRET_LEN: usize = 32;
/// Characters in an encoded secret (unpadded base64url of 32 bytes).
const SECRET_B64_LEN: usize = 43;
/// Characters in a whole token.
pub const TOKEN_LEN: usize = PREFIX.len() + ID_LEN + 1 + SECRET_B64_LEN;

/// A token id: 12 characters of the upper-case base32 alphabet.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TokenId(String);

/// A text is not a token id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// Wrong length or characters.
    #[error("api token id must be {ID_LEN} characters from `A`-`Z` and `2`-`7`")]
    Invalid,
}

impl TokenId {
    fn generate() -> TokenId {
        let mut raw = [0u8; ID_LEN];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        // 256 is a multiple of 32, so the low five bits of a uniform byte are uniform.
        TokenId(raw.iter().map(|b| base32::symbol_for(*b)).collect())
    }

    /// Parses a token id.
    pub fn parse(text: &str) -> Result<TokenId, IdError> {
        if text.len() == ID_LEN && text.bytes().all(base32::is_canonical_symbol) {
            Ok(TokenId(text.to_owned()))
        } else {
            Err(IdError::Invalid)
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TokenId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for TokenId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TokenId::parse(s)
    }
}

impl TryFrom<String> for TokenId {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        TokenId::parse(&s)
    }
}

impl From<TokenId> for String {
    fn from(id: TokenId) -> String {
        id.0
    }
}

/// What kura keeps of a token: never the secret, only its SHA-256.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredToken {
    /// The token id (the storage key).
    pub id: TokenId,
    /// SHA-256 of the 32 secret bytes (hex in serialised form).
    #[serde(with = "hex_digest")]
    pub secret_sha256: [u8; 32],
    /// What the token may be used for (interpreted by the policy layer).
    pub scopes: Vec<String>,
    /// Unix time (seconds) from which the token is refused.
    pub expires_at: i64,
    /// Unix time (seconds) of revocation; a revoked token is refused from then on.
    pub revoked_at: Option<i64>,
}

impl std::fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredToken")
            .field("id", &self.id)
            .field("scopes", &self.scopes)
            .field("expires_at", &self.expires_at)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}

impl StoredToken {
    /// Marks the token revoked at `now` (kept if it was revoked earlier).
    pub fn revoke(&mut self, now: i64) {
        self.revoked_at.get_or_insert(now);
    }

    /// Whether the token carries `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// Verifying a presented token failed. Messages never contain the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Not of the form `kura_<id>_<secret>`.
    #[error("malformed api token: expected `kura_<id>_<secret>`")]
    Malformed,
    /// No such token, or the secret is wrong (the two are not told apart).
    #[error("unknown api token")]
    Unknown,
    /// Past its expiry time.
    #[error("api token has expired")]
    Expired,
    /// Revoked.
    #[error("api token has been revoked")]
    Revoked,
}

/// A presented token, parsed.
struct Presented {
    id: TokenId,
    secret: Zeroizing<[u8; SECRET_LEN]>,
}

fn parse(presented: &str) -> Result<Presented, TokenError> {
    if presented.len() != TOKEN_LEN {
        return Err(TokenError::Malformed);
    }
    let rest = presented.strip_prefix(PREFIX).ok_or(TokenError::Malformed)?;
    // The id has no `_`; the secret may (base64url), so split at the first one.
    let (id, secret_b64) = rest.split_once('_').ok_or(TokenError::Malformed)?;
    let id = TokenId::parse(id).map_err(|_| TokenError::Malformed)?;
    if secret_b64.len() != SECRET_B64_LEN {
        return Err(TokenError::Malformed);
    }
    // `decode_slice` wants room for its estimate (33 bytes for 43 characters); exactly 32 must come out. The
    // engine refuses padding and non-zero trailing bits, so each secret has exactly one valid text.
    let mut buf = Zeroizing::new([0u8; SECRET_LEN + 1]);
    match URL_SAFE_NO_PAD.decode_slice(secret_b64, buf.as_mut()) {
        Ok(SECRET_LEN) => {}
        _ => return Err(TokenError::Malformed),
    }
    let mut secret = Zeroizing::new([0u8; SECRET_LEN]);
    for (out, b) in secret.iter_mut().zip(buf.iter()) {
        *out = *b;
    }
    Ok(Presented { id, secret })
}

fn digest(secret: &[u8; SECRET_LEN]) -> [u8; 32] {
    Sha256::digest(secret).into()
}

/// Issues a token. Returns the plaintext — show it once, never store it — and what to store.
pub fn issue(scopes: Vec<String>, expires_at: i64) -> (SecretString, StoredToken) {
    let id = TokenId::generate();
    let mut secret = Zeroizing::new([0u8; SECRET_LEN]);
    rand::rngs::OsRng.fill_bytes(secret.as_mut());
    let mut encoded = Zeroizing::new([0u8; SECRET_B64_LEN]);
    #[expect(clippy::expect_used, reason = "32 bytes always encode to 43 unpadded base64 characters")]
    // INVARIANT: SECRET_B64_LEN is the unpadded base64 length of SECRET_LEN bytes.
    let written = URL_SAFE_NO_PAD.encode_slice(secret.as_ref(), encoded.as_mut()).expect("buffer fits 32 bytes");
    let encoded = encoded.get(..written).and_then(|b| std::str::from_utf8(b).ok()).unwrap_or_default();
    let plaintext = super::concat_secret(&[PREFIX, id.as_str(), "_", encoded]);
    let stored = StoredToken { id, secret_sha256: digest(&secret), scopes, expires_at, revoked_at: None };
    (plaintext, stored)
}

/// The id of a presented token, to look its [`StoredToken`] up. Only [`TokenError::Malformed`] can occur;
/// when no token has this id, the caller should answer [`TokenError::Unknown`].
pub fn lookup_id(presented: &str) -> Result<TokenId, TokenError> {
    parse(presented).map(|p| p.id)
}

/// Checks a presented token against what was stored for its id, at Unix time `now` (seconds).
pub fn verify(presented: &str, stored: &StoredToken, now: i64) -> Result<(), TokenError> {
    let presented = parse(presented)?;
    let id_ok = presented.id.as_str().as_bytes().ct_eq(stored.id.as_str().as_bytes());
    let secret_ok = digest(&presented.secret).ct_eq(&stored.secret_sha256);
    // Revocation and expiry are reported only to someone who holds the secret.
    if !bool::from(id_ok & secret_ok) {
        return Err(TokenError::Unknown);
    }
    if stored.revoked_at.is_some() {
        return Err(TokenError::Revoked);
    }
    if now >= stored.expires_at {
        return Err(TokenError::Expired);
    }
    Ok(())
}

/// Serialises a digest as lower-case hex.
mod hex_digest {
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(digest: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(digest))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let text = String::deserialize(d)?;
        let mut out = [0u8; 32];
        hex::decode_to_slice(&text, &mut out).map_err(|_| D::Error::custom("expected 64 hex digits"))?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

    use super::*;
    use proptest::prelude::*;
    use secrecy::ExposeSecret;

    const NOW: i64 = 1_790_000_000;
    const DAY: i64 = 86_400;

    fn scopes() -> Vec<String> {
        vec!["records:read".to_owned()]
    }

    #[test]
    fn format() {
        let (token, stored) = issue(scopes(), NOW + DAY);
        let t = token.expose_secret();
        assert_eq!(t.len(), TOKEN_LEN);
        assert_eq!(TOKEN_LEN, 61);
        assert!(t.starts_with("kura_"));
        let id = &t[5..17];
        assert_eq!(id, stored.id.as_str());
        assert!(id.bytes().all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)));
        assert_eq!(&t[17..18], "_");
        let secret = URL_SAFE_NO_PAD.decode(&t[18..]).unwrap();
        assert_eq!(secret.len(), 32);
        assert_eq!(Sha256::digest(&secret).as_slice(), stored.secret_sha256);
        assert_eq!(lookup_id(t).unwrap(), stored.id);
        // Fresh each time.
        let (other, other_stored) = issue(scopes(), NOW + DAY);
        assert_ne!(other.expose_secret(), t);
        assert_ne!(other_stored.id, stored.id);
    }

    #[test]
    fn valid_token_verifies() {
        let (token, stored) = issue(scopes(), NOW + DAY);
        assert_eq!(verify(token.expose_secret(), &stored, NOW), Ok(()));
        assert!(stored.has_scope("records:read"));
        assert!(!stored.has_scope("records:write"));
    }

    #[test]
    fn expired() {
        let (token, stored) = issue(scopes(), NOW + DAY);
        assert_eq!(verify(token.expose_secret(), &stored, NOW + DAY - 1), Ok(()));
        assert_eq!(verify(token.expose_secret(), &stored, NOW + DAY), Err(TokenError::Expired));
        assert_eq!(verify(token.expose_secret(), &stored, NOW + 400 * DAY), Err(TokenError::Expired));
    }

    #[test]
    fn revoked() {
        let (token, mut stored) = issue(scopes(), NOW + DAY);
        stored.revoke(NOW);
        assert_eq!(stored.revoked_at, Some(NOW));
        stored.revoke(NOW + 10);
        assert_eq!(stored.revoked_at, Some(NOW), "first revocation time kept");
        assert_eq!(verify(token.expose_secret(), &stored, NOW + 1), Err(TokenError::Revoked));
        // Revoked and expired: revocation is reported.
        assert_eq!(verify(token.expose_secret(), &stored, NOW + 2 * DAY), Err(TokenError::Revoked));
    }

    #[test]
    fn wrong_secret_or_id_is_unknown_and_hides_status() {
        let (token, stored) = issue(scopes(), NOW + DAY);
        let (other, _) = issue(scopes(), NOW + DAY);
        assert_eq!(verify(other.expose_secret(), &stored, NOW), Err(TokenError::Unknown));
        // The right id with another token's secret.
        let mixed = format!("{}{}", &token.expose_secret()[..18], &other.expose_secret()[18..]);
        assert_eq!(verify(&mixed, &stored, NOW), Err(TokenError::Unknown));
        // The right secret under another id.
        let mixed = format!("{}{}", &other.expose_secret()[..18], &token.expose_secret()[18..]);
        assert_eq!(verify(&mixed, &stored, NOW), Err(TokenError::Unknown));
        // Without the secret, a revoked or expired token is just unknown.
        let mut revoked = stored.clone();
        revoked.revoke(NOW);
        assert_eq!(verify(&mixed, &revoked, NOW), Err(TokenError::Unknown));
        assert_eq!(verify(&mixed, &stored, NOW + 2 * DAY), Err(TokenError::Unknown));
    }

    #[test]
    fn tampered_tokens() {
        let (token, stored) = issue(scopes(), NOW + DAY);
        let t = token.expose_secret();
        // Change each character of the id and the secret in turn.
        for i in 5..t.len() {
            if i == 17 {
                continue;
            }
            let mut bytes = t.as_bytes().to_vec();
            bytes[i] = match bytes[i] {
                b'A' => b'B',
                b'2' => b'3',
                b'a' => b'b',
                b'0' => b'1',
                b'-' => b'_',
                b'_' => b'-',
                _ => b'A',
            };
            let tampered = String::from_utf8(bytes).unwrap();
            let result = verify(&tampered, &stored, NOW);
            assert!(matches!(result, Err(TokenError::Unknown | TokenError::Malformed)), "position {i}: {result:?}");
        }
    }

    #[test]
    fn malformed() {
        let (token, stored) = issue(scopes(), NOW + DAY);
        let t = token.expose_secret();
        let cases = [
            String::new(),
            "kura_".to_owned(),
            t[..t.len() - 1].to_owned(),
            format!("{t}A"),
            format!("KURA_{}", &t[5..]),
            format!("kurb_{}", &t[5..]),
            format!("kura_{}", t[5..17].to_lowercase()) + &t[17..],
            format!("kura_{}0{}", &t[5..16], &t[17..]),
            format!("kura_{}1{}", &t[5..16], &t[17..]),
            format!("{}-{}", &t[..17], &t[18..]),
            format!("{}={}", &t[..60], ""),
            format!("{}+{}", &t[..30], &t[31..]),
            format!("{}/{}", &t[..30], &t[31..]),
            format!(" {}", &t[1..]),
            format!("{}\u{e9}", &t[..59]),
        ];
        for case in &cases {
            assert_eq!(verify(case, &stored, NOW), Err(TokenError::Malformed), "{case:?}");
            assert_eq!(lookup_id(case), Err(TokenError::Malformed), "{case:?}");
        }
    }

    #[test]
    fn non_canonical_secret_is_malformed() {
        // The last of 43 base64 characters carries 4 bits and 2 zero bits; setting those is another text
        // for the same 32 bytes, which must not be accepted.
        let (token, stored) = issue(scopes(), NOW + DAY);
        let t = token.expose_secret();
        let last = t.as_bytes()[60];
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let index = alphabet.iter().position(|c| *c == last).unwrap();
        assert_eq!(index % 4, 0, "canonical: low two bits clear");
        let non_canonical = format!("{}{}", &t[..60], char::from(alphabet[index + 1]));
        assert_eq!(verify(&non_canonical, &stored, NOW), Err(TokenError::Malformed));
    }

    #[test]
    fn errors_and_debug_never_show_the_token() {
        let (token, stored) = issue(scopes(), NOW + DAY);
        let t = token.expose_secret();
        let secret_part = &t[18..];
        for e in [TokenError::Malformed, TokenError::Unknown, TokenError::Expired, TokenError::Revoked] {
            let text = e.to_string();
            assert!(!text.contains(secret_part) && !text.contains(stored.id.as_str()), "{text}");
        }
        let debug = format!("{stored:?}");
        assert!(!debug.contains(secret_part));
        assert!(!debug.contains(&hex::encode(stored.secret_sha256)));
        assert!(debug.contains(stored.id.as_str()));
        assert!(!format!("{token:?}").contains(secret_part));
    }

    #[test]
    fn stored_token_round_trips_through_serde() {
        let (token, mut stored) = issue(vec!["records:read".into(), "audit:read".into()], NOW + DAY);
        stored.revoke(NOW + 5);
        let json = serde_json::to_string(&stored).unwrap();
        assert!(json.contains(&hex::encode(stored.secret_sha256)));
        assert!(!json.contains(&token.expose_secret()[18..]));
        let back: StoredToken = serde_json::from_str(&json).unwrap();
        assert_eq!(back, stored);
        assert_eq!(verify(token.expose_secret(), &back, NOW), Err(TokenError::Revoked));
        // A bad id or digest is refused on load.
        let bad_id = json.replace(stored.id.as_str(), "not-an-id-00");
        assert!(serde_json::from_str::<StoredToken>(&bad_id).is_err());
        let bad_digest = json.replace(&hex::encode(stored.secret_sha256), "00");
        assert!(serde_json::from_str::<StoredToken>(&bad_digest).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_input_never_verifies(input in ".{0,80}") {
            let (_, stored) = issue(scopes(), NOW + DAY);
            prop_assert!(verify(&input, &stored, NOW).is_err());
        }

        #[test]
        fn issued_tokens_verify(expiry in 1i64..i64::MAX) {
            let (token, stored) = issue(Vec::new(), expiry);
            prop_assert_eq!(verify(token.expose_secret(), &stored, expiry - 1), Ok(()));
            prop_assert_eq!(verify(token.expose_secret(), &stored, expiry), Err(TokenError::Expired));
        }
    }
}
