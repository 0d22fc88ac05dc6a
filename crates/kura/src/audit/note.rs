//! C2SP signed notes with Ed25519 keys (<https://c2sp.org/signed-note>), the envelope of kura's checkpoints.
//!
//! A note is a text (valid UTF-8, ending in a newline, no ASCII control character other than newline), a
//! blank line, and one or more signature lines `— <key name> <base64(key id ‖ signature)>`. The format is the
//! one of Go's `golang.org/x/mod/sumdb/note`, so notes written here open with standard transparency-log
//! tooling and the other way round.
//!
//! What this module guarantees:
//! - [`open`] returns the text only when at least one signature by a known [`Verifier`] verifies, and every
//!   signature line whose key name *and* key id match a known verifier verifies (one bad signature from a
//!   known key rejects the whole note, as the specification recommends). Signatures by unknown keys — even
//!   ones sharing a name or a key id, but not both, with a known key — are ignored and counted.
//! - Malformed notes (no blank line before the signatures, no final newline, control characters, a bad
//!   signature line, bad base64, more than [`MAX_SIGNATURES`] signatures) are errors, never partial results.
//! - [`sign`] only writes notes that [`open`] accepts with the signers' verifiers.
//! - A [`Signer`]'s private key is never printed by `Debug`, is wiped on drop (`ed25519-dalek`'s `zeroize`),
//!   and leaves the process only through [`Signer::to_key_string`], which returns a [`Zeroizing`] string.
//!
//! Ed25519 signatures are checked with `verify_strict` (no small-order keys or signature points), which every
//! honest RFC 8032 signer satisfies.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// Signature type identifier of Ed25519 in key ids and key strings.
const ALG_ED25519: u8 = 0x01;
/// Start of every signature line: U+2014 EM DASH, then a space.
const SIG_PREFIX: &str = "\u{2014} ";
/// Start of a signer key string.
const PRIVATE_PREFIX: &str = "PRIVATE+KEY+";
/// Length of a standard base64 encoding of 33 bytes (`0x01 ‖ key`).
const KEY_B64_LEN: usize = 44;

/// Most signature lines [`open`] reads before rejecting a note (the limit of Go's implementation).
pub const MAX_SIGNATURES: usize = 100;

/// A note could not be signed or opened, or a key could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A key name is empty or holds a space, a `+` or a control character.
    #[error("invalid key name `{0}`: it must be non-empty, without spaces, `+` or control characters")]
    InvalidName(String),
    /// A verifier or signer key string does not have the `name+id+base64` shape.
    #[error("malformed {0} key string")]
    MalformedKey(&'static str),
    /// A key string names an algorithm other than Ed25519.
    #[error("unsupported signature algorithm 0x{0:02x}: only Ed25519 (0x01) is supported")]
    UnsupportedAlgorithm(u8),
    /// The public key is not a usable Ed25519 point.
    #[error("invalid ed25519 public key")]
    InvalidPublicKey,
    /// The key id in a key string is not the one computed from its name and public key.
    #[error("key id {stated} does not match key `{name}` (computed {computed})")]
    KeyIdMismatch {
        /// The key name.
        name: String,
        /// The id written in the key string.
        stated: KeyId,
        /// The id computed from the name and the key.
        computed: KeyId,
    },
    /// The text to sign is not valid note text.
    #[error("note text must end with a newline and contain no control character other than newline")]
    InvalidText,
    /// [`sign`] was given no signer.
    #[error("a note needs at least one signer")]
    NoSigners,
    /// [`sign`] was given the same key twice.
    #[error("duplicate signer `{0}`")]
    DuplicateSigner(String),
    /// The note does not follow the signed-note format.
    #[error("malformed note: {0}")]
    Malformed(&'static str),
    /// The note has more than [`MAX_SIGNATURES`] signature lines.
    #[error("note has more than {MAX_SIGNATURES} signatures")]
    TooManySignatures,
    /// Two known verifiers share a key name and key id but hold different keys.
    #[error("ambiguous key `{0}`: two known verifiers share its name and key id")]
    AmbiguousKey(String),
    /// A signature by a known key does not verify: the note was altered or signed by another key.
    #[error("invalid signature for key `{0}`")]
    InvalidSignature(String),
    /// No signature in the note comes from a known key.
    #[error("note has no signature from a known key ({unknown} from unknown keys)")]
    NoVerifiedSignature {
        /// How many signature lines came from unknown keys.
        unknown: usize,
    },
}

/// The 32-bit identifier of a key: the first four bytes, big-endian, of
/// SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ 32-byte Ed25519 public key).
///
/// An identifier, not a fingerprint: it is short enough to collide on purpose, which only ever costs the
/// attacker a failed verification, because the verifier holds the full public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(u32);

impl KeyId {
    /// The key id of the Ed25519 public key `public_key` under `name`.
    pub fn ed25519(name: &str, public_key: &[u8; 32]) -> KeyId {
        let digest = Sha256::new()
            .chain_update(name.as_bytes())
            .chain_update([b'\n', ALG_ED25519])
            .chain_update(public_key)
            .finalize();
        let mut id = [0u8; 4];
        for (out, byte) in id.iter_mut().zip(digest.iter()) {
            *out = *byte;
        }
        KeyId(u32::from_be_bytes(id))
    }

    /// The id as a number.
    pub const fn as_u32(self) -> u32 {
        self.0
    }

    /// The id as it is written at the start of a signature.
    pub const fn to_be_bytes(self) -> [u8; 4] {
        self.0.to_be_bytes()
    }

    /// Parses the 8 hexadecimal digits of a key string (either case, as Go does).
    fn parse_hex(hex: &str) -> Option<KeyId> {
        if hex.len() != 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(hex, 16).ok().map(KeyId)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}", self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({:08x})", self.0)
    }
}

/// Whether `name` is a key name by the specification: non-empty, no Unicode space, no `+`.
fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(|c: char| c == '+' || c.is_whitespace())
}

/// Checks the name of a key kura holds: a valid name and, stricter than the specification so that every note
/// signed here opens, no control character.
fn check_name(name: &str) -> Result<(), Error> {
    if !is_valid_name(name) || name.contains(char::is_control) {
        return Err(Error::InvalidName(name.to_owned()));
    }
    Ok(())
}

/// `name+id`, the way keys are named in messages.
fn key_label(name: &str, id: KeyId) -> String {
    format!("{name}+{id}")
}

/// Decodes the base64 part of a key string, `0x01 ‖ 32 key bytes`, into a buffer that is wiped on drop.
fn decode_key(b64: &str, kind: &'static str) -> Result<Zeroizing<[u8; 32]>, Error> {
    // Decoding into a fixed, zeroizing buffer leaves no stray copy of a private seed behind.
    let mut buf = Zeroizing::new([0u8; 48]);
    let len = STANDARD.decode_slice(b64, buf.as_mut()).map_err(|_| Error::MalformedKey(kind))?;
    let decoded = buf.get(..len).ok_or(Error::MalformedKey(kind))?;
    let (alg, key) = decoded.split_first().ok_or(Error::MalformedKey(kind))?;
    if *alg != ALG_ED25519 {
        return Err(Error::UnsupportedAlgorithm(*alg));
    }
    let mut out = Zeroizing::new([0u8; 32]);
    if key.len() != out.len() {
        return Err(Error::MalformedKey(kind));
    }
    out.copy_from_slice(key);
    Ok(out)
}

/// A private Ed25519 note-signing key with its name.
///
/// Never printed by `Debug`; the key material is wiped when the signer is dropped.
pub struct Signer {
    name: String,
    key_id: KeyId,
    key: SigningKey,
}

impl Signer {
    /// A new random key named `name`, from the operating system's random source.
    pub fn generate(name: &str) -> Result<Signer, Error> {
        check_name(name)?;
        let key = SigningKey::generate(&mut rand::rngs::OsRng);
        Ok(Signer::from_parts(name, key))
    }

    fn from_parts(name: &str, key: SigningKey) -> Signer {
        let key_id = KeyId::ed25519(name, key.verifying_key().as_bytes());
        Signer { name: name.to_owned(), key_id, key }
    }

    /// Reads a signer key string `PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 ‖ 32-byte seed)>`, checking
    /// that the key id matches the name and the key. The string is taken as is: trim a trailing newline first.
    pub fn from_key_string(key: &str) -> Result<Signer, Error> {
        const KIND: &str = "signer";
        let rest = key.strip_prefix(PRIVATE_PREFIX).ok_or(Error::MalformedKey(KIND))?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(hex), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(Error::MalformedKey(KIND));
        };
        check_name(name)?;
        let stated = KeyId::parse_hex(hex).ok_or(Error::MalformedKey(KIND))?;
        let seed = decode_key(b64, KIND)?;
        let signer = Signer::from_parts(name, SigningKey::from_bytes(&seed));
        if signer.key_id != stated {
            return Err(Error::KeyIdMismatch { name: name.to_owned(), stated, computed: signer.key_id });
        }
        Ok(signer)
    }

    /// The signer key string, in a buffer wiped on drop. Store it only where private keys belong.
    pub fn to_key_string(&self) -> Zeroizing<String> {
        let mut raw = Zeroizing::new([0u8; 33]);
        let seed = Zeroizing::new(self.key.to_bytes());
        for (out, byte) in raw.iter_mut().zip(std::iter::once(&ALG_ED25519).chain(seed.iter())) {
            *out = *byte;
        }
        // Encoding into a zeroizing buffer (not `encode_string`, whose chunk buffer stays on the stack) and
        // reserving the exact length up front leave no copy of the seed behind.
        let mut b64 = Zeroizing::new([0u8; KEY_B64_LEN]);
        #[expect(clippy::expect_used, reason = "33 bytes always encode to 44 base64 characters")]
        // INVARIANT: KEY_B64_LEN is the padded base64 length of 33 bytes.
        let written = STANDARD.encode_slice(raw.as_ref(), b64.as_mut()).expect("buffer fits 33 bytes");
        let encoded = b64.get(..written).and_then(|b| std::str::from_utf8(b).ok()).unwrap_or_default();
        let len = PRIVATE_PREFIX.len() + self.name.len() + 1 + 8 + 1 + KEY_B64_LEN;
        let mut out = Zeroizing::new(String::with_capacity(len));
        out.push_str(PRIVATE_PREFIX);
        out.push_str(&self.name);
        out.push('+');
        out.push_str(&self.key_id.to_string());
        out.push('+');
        out.push_str(encoded);
        out
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The matching public verifier.
    pub fn verifier(&self) -> Verifier {
        Verifier { name: self.name.clone(), key_id: self.key_id, key: self.key.verifying_key() }
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer").field("name", &self.name).field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

/// A public Ed25519 note-verification key with its name.
#[derive(Clone, PartialEq, Eq)]
pub struct Verifier {
    name: String,
    key_id: KeyId,
    key: VerifyingKey,
}

impl Verifier {
    /// Reads a verifier key string `<name>+<hex key id>+<base64(0x01 ‖ 32-byte public key)>`, checking that
    /// the key id matches the name and the key, and that the key is a usable Ed25519 point.
    pub fn from_key_string(key: &str) -> Result<Verifier, Error> {
        const KIND: &str = "verifier";
        let mut parts = key.splitn(3, '+');
        let (Some(name), Some(hex), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(Error::MalformedKey(KIND));
        };
        check_name(name)?;
        let stated = KeyId::parse_hex(hex).ok_or(Error::MalformedKey(KIND))?;
        let public = decode_key(b64, KIND)?;
        let computed = KeyId::ed25519(name, &public);
        if computed != stated {
            return Err(Error::KeyIdMismatch { name: name.to_owned(), stated, computed });
        }
        let key = VerifyingKey::from_bytes(&public).map_err(|_| Error::InvalidPublicKey)?;
        if key.is_weak() {
            return Err(Error::InvalidPublicKey);
        }
        Ok(Verifier { name: name.to_owned(), key_id: computed, key })
    }

    /// The verifier key string, safe to publish.
    pub fn to_key_string(&self) -> String {
        let mut raw = [0u8; 33];
        for (out, byte) in raw.iter_mut().zip(std::iter::once(&ALG_ED25519).chain(self.key.as_bytes())) {
            *out = *byte;
        }
        format!("{}+{}+{}", self.name, self.key_id, STANDARD.encode(raw))
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The 32-byte Ed25519 public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.to_bytes()
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Verifier").field(&self.to_key_string()).finish()
    }
}

/// A note whose signatures [`open`] checked.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Opened {
    /// The signed text, with its final newline.
    pub text: String,
    /// Names of the known keys whose signatures verified, in note order, each once.
    pub verified_by: Vec<String>,
    /// Signature lines from keys not among the known verifiers (ignored).
    pub unknown_signatures: usize,
}

/// Checks note text: ends with a newline, no control character other than newline.
fn check_text(text: &str) -> Result<(), Error> {
    if !text.ends_with('\n') || text.contains(|c: char| c < ' ' && c != '\n') {
        return Err(Error::InvalidText);
    }
    Ok(())
}

/// Signs `text` with every signer, in order, and returns the signed note.
///
/// `text` must end with a newline and contain no control character other than newline; it may contain
/// blank lines. Errors if there is no signer, more than [`MAX_SIGNATURES`], or the same key twice.
pub fn sign(text: &str, signers: &[&Signer]) -> Result<String, Error> {
    check_text(text)?;
    if signers.is_empty() {
        return Err(Error::NoSigners);
    }
    if signers.len() > MAX_SIGNATURES {
        return Err(Error::TooManySignatures);
    }
    let mut note = String::with_capacity(text.len() + 1 + signers.len() * 128);
    note.push_str(text);
    note.push('\n');
    for (i, signer) in signers.iter().enumerate() {
        if signers.iter().take(i).any(|other| other.name == signer.name && other.key_id == signer.key_id) {
            return Err(Error::DuplicateSigner(key_label(&signer.name, signer.key_id)));
        }
        let signature = signer.key.sign(text.as_bytes());
        let mut blob = Vec::with_capacity(4 + Signature::BYTE_SIZE);
        blob.extend_from_slice(&signer.key_id.to_be_bytes());
        blob.extend_from_slice(&signature.to_bytes());
        note.push_str(SIG_PREFIX);
        note.push_str(&signer.name);
        note.push(' ');
        STANDARD.encode_string(&blob, &mut note);
        note.push('\n');
    }
    Ok(note)
}

/// Parses `note` and verifies its signatures against `known`; see the module documentation for the rules.
pub fn open(note: &str, known: &[Verifier]) -> Result<Opened, Error> {
    if note.contains(|c: char| c < ' ' && c != '\n') {
        return Err(Error::Malformed("control character"));
    }
    // The text ends at the last blank line: the text itself may contain blank lines, signatures cannot.
    let split = note.rfind("\n\n").ok_or(Error::Malformed("no blank line before the signatures"))?;
    let text = note.get(..=split).ok_or(Error::Malformed("no text"))?;
    let signatures = note.get(split + 2..).ok_or(Error::Malformed("no signatures"))?;
    if signatures.is_empty() {
        return Err(Error::Malformed("no signatures"));
    }
    if !signatures.ends_with('\n') {
        return Err(Error::Malformed("the last signature line does not end with a newline"));
    }

    let mut verified_by: Vec<String> = Vec::new();
    let mut unknown = 0usize;
    for (count, line) in signatures.split_terminator('\n').enumerate() {
        if count >= MAX_SIGNATURES {
            return Err(Error::TooManySignatures);
        }
        let line = line.strip_prefix(SIG_PREFIX).ok_or(Error::Malformed("a signature line must start with `— `"))?;
        let (name, b64) =
            line.split_once(' ').ok_or(Error::Malformed("a signature line needs a key name and a signature"))?;
        if !is_valid_name(name) {
            return Err(Error::Malformed("invalid key name in a signature line"));
        }
        let blob = STANDARD.decode(b64).map_err(|_| Error::Malformed("a signature is not valid base64"))?;
        let (id, signature) = blob.split_first_chunk::<4>().ok_or(Error::Malformed("a signature is too short"))?;
        if signature.is_empty() {
            return Err(Error::Malformed("a signature is too short"));
        }
        let id = KeyId(u32::from_be_bytes(*id));

        let mut matching = known.iter().filter(|v| v.name == name && v.key_id == id);
        let Some(verifier) = matching.next() else {
            unknown += 1;
            continue;
        };
        if matching.any(|other| other.key != verifier.key) {
            return Err(Error::AmbiguousKey(key_label(name, id)));
        }
        let valid = Signature::from_slice(signature)
            .and_then(|signature| verifier.key.verify_strict(text.as_bytes(), &signature))
            .is_ok();
        if !valid {
            return Err(Error::InvalidSignature(key_label(name, id)));
        }
        if !verified_by.iter().any(|n| n == name) {
            verified_by.push(name.to_owned());
        }
    }
    if verified_by.is_empty() {
        return Err(Error::NoVerifiedSignature { unknown });
    }
    Ok(Opened { text: text.to_owned(), verified_by, unknown_signatures: unknown })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use proptest::prelude::*;

    // Vectors from golang.org/x/mod/sumdb/note (BSD-3-Clause); see testdata/c2sp/README.md.
    const PETER_SKEY: &str = include_str!("../../testdata/c2sp/PeterNeumann.signer");
    const PETER_VKEY: &str = include_str!("../../testdata/c2sp/PeterNeumann.verifier");
    const ENOCH_VKEY: &str = include_str!("../../testdata/c2sp/EnochRoot.verifier");
    const TEXT: &str = include_str!("../../testdata/c2sp/neumann.txt");
    const PETER_NOTE: &str = include_str!("../../testdata/c2sp/neumann-signed-by-peter.note");
    const BOTH_NOTE: &str = include_str!("../../testdata/c2sp/neumann-signed-by-peter-and-enoch.note");

    fn key(s: &str) -> &str {
        s.trim_end_matches('\n')
    }

    fn peter() -> Signer {
        Signer::from_key_string(key(PETER_SKEY)).unwrap()
    }

    fn peter_verifier() -> Verifier {
        Verifier::from_key_string(key(PETER_VKEY)).unwrap()
    }

    fn enoch_verifier() -> Verifier {
        Verifier::from_key_string(key(ENOCH_VKEY)).unwrap()
    }

    #[test]
    fn key_id_matches_go_vector() {
        let signer = peter();
        assert_eq!(signer.name(), "PeterNeumann");
        assert_eq!(signer.key_id().as_u32(), 0xc74f_20a3);
        assert_eq!(signer.key_id().to_string(), "c74f20a3");
        let verifier = peter_verifier();
        assert_eq!(KeyId::ed25519("PeterNeumann", &verifier.public_key()), signer.key_id());
        assert_eq!(signer.verifier(), verifier);
        assert_eq!(enoch_verifier().key_id().as_u32(), 0xaf0c_fe78);
    }

    #[test]
    fn key_strings_round_trip() {
        assert_eq!(peter().to_key_string().as_str(), key(PETER_SKEY));
        assert_eq!(peter().verifier().to_key_string(), key(PETER_VKEY));
        assert_eq!(enoch_verifier().to_key_string(), key(ENOCH_VKEY));
        let generated = Signer::generate("kura.example/log").unwrap();
        let again = Signer::from_key_string(&generated.to_key_string()).unwrap();
        assert_eq!(again.verifier(), generated.verifier());
        let verifier = Verifier::from_key_string(&generated.verifier().to_key_string()).unwrap();
        assert_eq!(verifier, generated.verifier());
    }

    #[test]
    fn sign_reproduces_go_note() {
        assert_eq!(sign(TEXT, &[&peter()]).unwrap(), PETER_NOTE);
    }

    #[test]
    fn open_go_notes() {
        let opened = open(PETER_NOTE, &[peter_verifier()]).unwrap();
        assert_eq!(opened.text, TEXT);
        assert_eq!(opened.verified_by, ["PeterNeumann"]);
        assert_eq!(opened.unknown_signatures, 0);

        let opened = open(BOTH_NOTE, &[peter_verifier()]).unwrap();
        assert_eq!(opened.verified_by, ["PeterNeumann"]);
        assert_eq!(opened.unknown_signatures, 1);

        let opened = open(BOTH_NOTE, &[enoch_verifier(), peter_verifier()]).unwrap();
        assert_eq!(opened.text, TEXT);
        assert_eq!(opened.verified_by, ["PeterNeumann", "EnochRoot"]);
        assert_eq!(opened.unknown_signatures, 0);

        assert_eq!(open(BOTH_NOTE, &[]), Err(Error::NoVerifiedSignature { unknown: 2 }));
        // The same verifier listed twice is not ambiguous.
        assert!(open(PETER_NOTE, &[peter_verifier(), peter_verifier()]).is_ok());
    }

    #[test]
    fn sign_then_open_with_generated_keys() {
        let a = Signer::generate("kura.example/a").unwrap();
        let b = Signer::generate("kura.example/b").unwrap();
        let text = "line one\n\nline three after a blank line\n";
        let note = sign(text, &[&a, &b]).unwrap();
        let opened = open(&note, &[b.verifier(), a.verifier()]).unwrap();
        assert_eq!(opened.text, text);
        assert_eq!(opened.verified_by, ["kura.example/a", "kura.example/b"]);
        let opened = open(&note, &[b.verifier()]).unwrap();
        assert_eq!((opened.verified_by.len(), opened.unknown_signatures), (1, 1));
    }

    #[test]
    fn rejects_note_signed_by_unknown_key() {
        let stranger = Signer::generate("Stranger").unwrap();
        let note = sign(TEXT, &[&stranger]).unwrap();
        assert_eq!(open(&note, &[peter_verifier()]), Err(Error::NoVerifiedSignature { unknown: 1 }));
    }

    #[test]
    fn rejects_note_signed_by_wrong_key_with_same_name() {
        let impostor = Signer::generate("PeterNeumann").unwrap();
        assert_ne!(impostor.key_id(), peter().key_id());
        let note = sign(TEXT, &[&impostor]).unwrap();
        // A different key id makes it an unknown key: ignored, so nothing verifies.
        assert_eq!(open(&note, &[peter_verifier()]), Err(Error::NoVerifiedSignature { unknown: 1 }));

        // Forging the key id as well makes it a known key whose signature fails: the note is rejected even
        // when a good signature is present too.
        let forged = Signer { name: "PeterNeumann".into(), key_id: peter().key_id(), key: impostor.key.clone() };
        let note = sign(TEXT, &[&forged]).unwrap();
        assert_eq!(open(&note, &[peter_verifier()]), Err(Error::InvalidSignature("PeterNeumann+c74f20a3".into())));
        let forged_line = note.rsplit_once("\n\n").unwrap().1;
        let both = format!("{PETER_NOTE}{forged_line}");
        assert_eq!(open(&both, &[peter_verifier()]), Err(Error::InvalidSignature("PeterNeumann+c74f20a3".into())));
    }

    #[test]
    fn rejects_tampered_text_and_signature() {
        let tampered = PETER_NOTE.replacen("cryptography", "cryptographY", 1);
        assert_eq!(open(&tampered, &[peter_verifier()]), Err(Error::InvalidSignature("PeterNeumann+c74f20a3".into())));
        let dropped_line = PETER_NOTE.replacen("then you don't know what your problem is.\n", "", 1);
        assert!(matches!(open(&dropped_line, &[peter_verifier()]), Err(Error::InvalidSignature(_))));
        // Go's case: four characters inserted into the signature.
        let (text, sig) = PETER_NOTE.split_once("\n\n").unwrap();
        let bad = format!("{text}\n\n{}ABCD{}", &sig[..60], &sig[60..]);
        assert!(matches!(open(&bad, &[peter_verifier()]), Err(Error::InvalidSignature(_))));
    }

    #[test]
    fn rejects_malformed_notes() {
        let sig_line = PETER_NOTE.rsplit_once("\n\n").unwrap().1;
        let v = [peter_verifier()];
        let malformed = [
            TEXT.to_owned(),
            format!("{TEXT}\n"),
            format!("{TEXT}\n{}", sig_line.trim_end_matches('\n')),
            format!("\x01{TEXT}\n{sig_line}"),
            format!("{TEXT}\r\n{sig_line}"),
            format!("{TEXT}\n{}", sig_line.replacen("PeterNeumann", "Bad Name", 1)),
            format!("{TEXT}\n{}", sig_line.replacen("PeterNeumann", "Peter+Neumann", 1)),
            format!("{TEXT}\n{sig_line}Unexpected line.\n"),
            format!("{TEXT}\n{}", sig_line.replacen('\u{2014}', "-", 1)),
            format!("{TEXT}\n{}", sig_line.replacen('=', "", 1)),
            format!("{TEXT}\n{}", sig_line.replacen("x08go", "x08g!", 1)),
            format!("{TEXT}\n\u{2014} PeterNeumann \n"),
            format!("{TEXT}\n\u{2014} PeterNeumann\n"),
            format!("{TEXT}\n\u{2014} PeterNeumann x08gow==\n"),
        ];
        for note in &malformed {
            assert!(matches!(open(note, &v), Err(Error::Malformed(_))), "accepted {note:?}");
        }
        // Long enough to parse (key id and one byte), so a known key's signature that fails.
        let short = format!("{TEXT}\n\u{2014} PeterNeumann x08go/Y=\n");
        assert!(matches!(open(&short, &v), Err(Error::InvalidSignature(_))));
    }

    #[test]
    fn rejects_more_than_100_signatures() {
        let sig_line = PETER_NOTE.rsplit_once("\n\n").unwrap().1;
        let v = [peter_verifier()];
        let at_limit = format!("{TEXT}\n{}", sig_line.repeat(MAX_SIGNATURES));
        assert_eq!(open(&at_limit, &v).unwrap().verified_by, ["PeterNeumann"]);
        let over = format!("{TEXT}\n{}", sig_line.repeat(MAX_SIGNATURES + 1));
        assert_eq!(open(&over, &v), Err(Error::TooManySignatures));
        assert_eq!(open(&over, &[]), Err(Error::TooManySignatures));
    }

    #[test]
    fn rejects_ambiguous_verifiers() {
        let other = Signer::generate("PeterNeumann").unwrap();
        let collision =
            Verifier { name: "PeterNeumann".into(), key_id: peter().key_id(), key: other.key.verifying_key() };
        assert_eq!(
            open(PETER_NOTE, &[peter_verifier(), collision]),
            Err(Error::AmbiguousKey("PeterNeumann+c74f20a3".into()))
        );
    }

    #[test]
    fn sign_rejects_bad_input() {
        let p = peter();
        assert_eq!(sign("no newline", &[&p]), Err(Error::InvalidText));
        assert_eq!(sign("", &[&p]), Err(Error::InvalidText));
        assert_eq!(sign("tab\there\n", &[&p]), Err(Error::InvalidText));
        assert_eq!(sign(TEXT, &[]), Err(Error::NoSigners));
        assert_eq!(sign(TEXT, &[&p, &peter()]), Err(Error::DuplicateSigner("PeterNeumann+c74f20a3".into())));
    }

    #[test]
    fn names_are_checked() {
        for name in ["", "a+b", "a b", "a\tb", "a\u{3000}b", "a\u{a0}b", "a\u{7f}b"] {
            assert!(matches!(Signer::generate(name), Err(Error::InvalidName(_))), "accepted {name:?}");
        }
        assert!(Signer::generate("kura.example/log-1").is_ok());
        assert!(Signer::generate("日本語").is_ok());
    }

    /// Every proper substring and every one-byte change of a key string is rejected (Go's tests).
    fn assert_mangled_rejected(good: &str, parse: impl Fn(&str) -> bool) {
        let b = good.as_bytes();
        for i in 0..=b.len() {
            for j in i + 1..=b.len() {
                if i != 0 || j != b.len() {
                    let s = std::str::from_utf8(&b[i..j]).unwrap();
                    assert!(!parse(s), "accepted {s:?}");
                }
            }
        }
        for i in 0..b.len() {
            let mut m = b.to_vec();
            m[i] += 1;
            let s = String::from_utf8(m).unwrap();
            assert!(!parse(&s), "accepted {s:?}");
        }
    }

    #[test]
    fn mangled_verifier_keys_are_rejected() {
        assert_mangled_rejected(key(PETER_VKEY), |s| Verifier::from_key_string(s).is_ok());
        // Go: wrong key length and unknown algorithm, each with a matching key id.
        let long = "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==";
        assert!(Verifier::from_key_string(long).is_err());
        let alg = "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
        assert_eq!(Verifier::from_key_string(alg), Err(Error::UnsupportedAlgorithm(0x65)));
    }

    #[test]
    fn mangled_signer_keys_are_rejected() {
        assert_mangled_rejected(key(PETER_SKEY), |s| Signer::from_key_string(s).is_ok());
    }

    #[test]
    fn uppercase_key_id_is_accepted_like_go() {
        let upper = key(PETER_VKEY).replacen("c74f20a3", "C74F20A3", 1);
        assert_eq!(Verifier::from_key_string(&upper).unwrap(), peter_verifier());
    }

    #[test]
    fn debug_never_shows_the_private_key() {
        let p = peter();
        let debug = format!("{p:?} {:#?}", p);
        let seed_b64 = key(PETER_SKEY).split_once("c74f20a3+").unwrap().1;
        assert!(!debug.contains(&seed_b64[1..12]));
        let seed_hex: String = p.key.to_bytes().iter().map(|b| format!("{b:02x}")).collect();
        assert!(!debug.contains(&seed_hex[..16]));
        let seed_bytes = format!("{:?}", &p.key.to_bytes()[..8]);
        assert!(!debug.contains(&seed_bytes[1..seed_bytes.len() - 1]));
        assert!(debug.contains("PeterNeumann") && debug.contains("c74f20a3"));
    }

    proptest! {
        #[test]
        fn prop_sign_open_round_trip(lines in prop::collection::vec("[^\\x00-\\x1f]{0,40}", 1..6)) {
            let text = lines.iter().map(|l| format!("{l}\n")).collect::<String>();
            let note = sign(&text, &[&peter()]).unwrap();
            let opened = open(&note, &[peter_verifier()]).unwrap();
            prop_assert_eq!(opened.text, text);
            prop_assert_eq!(opened.verified_by, vec!["PeterNeumann".to_owned()]);
        }

        #[test]
        fn prop_open_never_panics(note in "(?s).{0,300}") {
            let _ = open(&note, &[peter_verifier()]);
        }
    }
}
