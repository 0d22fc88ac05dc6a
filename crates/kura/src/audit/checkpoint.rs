//! C2SP transparency-log checkpoints (<https://c2sp.org/tlog-checkpoint>): the signed statement "the log
//! called *origin* has *size* entries and this Merkle root".
//!
//! The body is `<origin>\n<tree size>\n<base64 root hash>\n` followed by optional non-empty extension lines,
//! and is carried as a [signed note](super::note).
//!
//! What this module guarantees:
//! - [`Checkpoint::parse`] is strict: exactly one way to write a given checkpoint is accepted (decimal size
//!   without leading zeros or sign, canonical base64 of exactly 32 bytes, no empty line, no control character,
//!   a final newline), so `parse(body)?.to_body() == body` always holds.
//! - [`Checkpoint::sign`] refuses to sign what `parse` would not read back, and signs only with a key whose
//!   name is the origin.
//! - [`Checkpoint::open`] returns a checkpoint only if the note carries a valid signature by the given
//!   verifier, no invalid signature by it, and the verifier's key name is the checkpoint's origin — so a key
//!   for one log can never vouch for another log's tree.
//!
//! Whether a new checkpoint is *consistent* with an earlier one is not checked here: that needs the tree.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::note::{self, Signer, Verifier};

/// A checkpoint could not be parsed, signed or opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The body does not follow the checkpoint format.
    #[error("malformed checkpoint: {0}")]
    Malformed(&'static str),
    /// The tree size line is not a canonical decimal `u64`.
    #[error("invalid tree size `{0}`: expected a decimal number without leading zeros")]
    Size(String),
    /// The root hash line is not the canonical base64 of 32 bytes.
    #[error("invalid root hash `{0}`: expected base64 of 32 bytes")]
    Root(String),
    /// The signing or verifying key is not named after the checkpoint's origin.
    #[error("checkpoint origin `{origin}` does not match key name `{key}`")]
    OriginMismatch {
        /// The checkpoint's origin line.
        origin: String,
        /// The key's name.
        key: String,
    },
    /// The signed note around the checkpoint could not be signed or did not verify.
    #[error("checkpoint signature")]
    Note(#[from] note::Error),
}

/// A log's tree head: its origin, its size and its RFC 6962 root hash.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Checkpoint {
    /// Unique name of the log, e.g. `kura.example/vault-7`; also the name of the log's signing key.
    pub origin: String,
    /// Number of entries in the tree.
    pub size: u64,
    /// RFC 6962 Merkle tree hash of the first `size` entries.
    pub root: [u8; 32],
    /// Opaque extension lines, each non-empty, without their newline. Not auditable by monitors: avoid.
    pub extensions: Vec<String>,
}

/// Whether `line` holds a character a checkpoint line cannot: a newline or any other control character
/// below U+0020 (the signed-note rule).
fn has_control(line: &str) -> bool {
    line.contains(|c: char| c < ' ')
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    pub fn new(origin: impl Into<String>, size: u64, root: [u8; 32]) -> Checkpoint {
        Checkpoint { origin: origin.into(), size, root, extensions: Vec::new() }
    }

    /// The note text: origin, size, base64 root, extension lines, each ending in a newline.
    ///
    /// Fields that [`parse`](Self::parse) would reject (say an empty origin) are written as they are;
    /// [`sign`](Self::sign) checks them first.
    pub fn to_body(&self) -> String {
        let mut body = format!("{}\n{}\n{}\n", self.origin, self.size, STANDARD.encode(self.root));
        for line in &self.extensions {
            body.push_str(line);
            body.push('\n');
        }
        body
    }

    /// Reads a checkpoint body (the text of the note, not the signed note).
    pub fn parse(body: &str) -> Result<Checkpoint, Error> {
        let lines = body.strip_suffix('\n').ok_or(Error::Malformed("the body must end with a newline"))?;
        if lines.contains(|c: char| c < ' ' && c != '\n') {
            return Err(Error::Malformed("control character"));
        }
        let mut lines = lines.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next()) else {
            return Err(Error::Malformed("a checkpoint needs origin, tree size and root hash lines"));
        };
        check_origin(origin)?;
        let size = parse_size(size)?;
        let root = parse_root(root)?;
        let extensions = lines.map(str::to_owned).collect::<Vec<_>>();
        if extensions.iter().any(String::is_empty) {
            return Err(Error::Malformed("empty extension line"));
        }
        Ok(Checkpoint { origin: origin.to_owned(), size, root, extensions })
    }

    /// Checks that every field can be written so that [`parse`](Self::parse) reads it back.
    fn check(&self) -> Result<(), Error> {
        check_origin(&self.origin)?;
        if self.extensions.iter().any(|line| line.is_empty() || has_control(line)) {
            return Err(Error::Malformed("extension lines must be non-empty, without control characters"));
        }
        Ok(())
    }

    /// Signs the checkpoint as a signed note. The signer's key name must be the origin.
    pub fn sign(&self, signer: &Signer) -> Result<String, Error> {
        self.check()?;
        if signer.name() != self.origin {
            return Err(Error::OriginMismatch { origin: self.origin.clone(), key: signer.name().to_owned() });
        }
        Ok(note::sign(&self.to_body(), &[signer])?)
    }

    /// Opens a signed checkpoint: the note must verify with `verifier` (other signatures, such as witness
    /// cosignatures, are ignored), its text must parse, and its origin must be the verifier's key name.
    pub fn open(signed: &str, verifier: &Verifier) -> Result<Checkpoint, Error> {
        let opened = note::open(signed, std::slice::from_ref(verifier))?;
        let checkpoint = Checkpoint::parse(&opened.text)?;
        if checkpoint.origin != verifier.name() {
            return Err(Error::OriginMismatch { origin: checkpoint.origin, key: verifier.name().to_owned() });
        }
        Ok(checkpoint)
    }
}

/// The origin must be non-empty, without control characters, and without leading or trailing white space
/// (which would be invisible and make two origins look the same).
fn check_origin(origin: &str) -> Result<(), Error> {
    if origin.is_empty() || has_control(origin) || origin.trim() != origin {
        return Err(Error::Malformed("the origin must be non-empty, without surrounding spaces or control characters"));
    }
    Ok(())
}

fn parse_size(line: &str) -> Result<u64, Error> {
    let canonical =
        !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()) && (line == "0" || !line.starts_with('0'));
    // `u64::from_str` alone would accept a leading `+`; the digit check above rules it out.
    canonical.then(|| line.parse::<u64>().ok()).flatten().ok_or_else(|| Error::Size(line.to_owned()))
}

fn parse_root(line: &str) -> Result<[u8; 32], Error> {
    let mut root = [0u8; 32];
    // The standard engine rejects missing padding and non-zero trailing bits, so the encoding is canonical;
    // a 44-character line holds at most 33 bytes, and anything but 32 is refused.
    let mut buf = [0u8; 33];
    match STANDARD.decode_slice(line, &mut buf) {
        Ok(32) if line.len() == 44 => {
            for (out, byte) in root.iter_mut().zip(buf.iter()) {
                *out = *byte;
            }
            Ok(root)
        }
        _ => Err(Error::Root(line.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use proptest::prelude::*;
    use sha2::{Digest, Sha256};

    const GO_TREE: &str = include_str!("../../testdata/c2sp/go-sumdb-tree.checkpoint");
    const ORIGIN: &str = "kura.example/audit";

    fn sample() -> Checkpoint {
        Checkpoint::new(ORIGIN, 20_852_163, Sha256::digest(b"root").into())
    }

    #[test]
    fn parses_go_sumdb_tree_vector() {
        // golang.org/x/mod/sumdb/tlog TestParseTree: size 123456789012, root = RecordHash("hello world").
        let c = Checkpoint::parse(GO_TREE).unwrap();
        assert_eq!(c.origin, "go.sum database tree");
        assert_eq!(c.size, 123_456_789_012);
        let leaf: [u8; 32] = Sha256::new().chain_update([0u8]).chain_update(b"hello world").finalize().into();
        assert_eq!(c.root, leaf);
        assert!(c.extensions.is_empty());
        assert_eq!(c.to_body(), GO_TREE);
    }

    #[test]
    fn body_round_trip() {
        let mut c = sample();
        assert_eq!(Checkpoint::parse(&c.to_body()).unwrap(), c);
        c.extensions = vec!["— some extension".into(), "another".into()];
        let body = c.to_body();
        assert!(body.ends_with("\nanother\n"));
        assert_eq!(Checkpoint::parse(&body).unwrap(), c);
        let empty = Checkpoint::new(ORIGIN, 0, [0; 32]);
        assert_eq!(empty.to_body(), format!("{ORIGIN}\n0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"));
        assert_eq!(Checkpoint::parse(&empty.to_body()).unwrap(), empty);
        let max = Checkpoint::new(ORIGIN, u64::MAX, [0xff; 32]);
        assert_eq!(Checkpoint::parse(&max.to_body()).unwrap(), max);
    }

    #[test]
    fn sign_open_round_trip() {
        let signer = Signer::generate(ORIGIN).unwrap();
        let mut c = sample();
        c.extensions = vec!["ext".into()];
        let signed = c.sign(&signer).unwrap();
        assert!(signed.starts_with(&c.to_body()));
        assert_eq!(Checkpoint::open(&signed, &signer.verifier()).unwrap(), c);
        // A witness cosignature by another key is ignored.
        let witness = Signer::generate("witness.example").unwrap();
        let cosigned = note::sign(&c.to_body(), &[&signer, &witness]).unwrap();
        assert_eq!(Checkpoint::open(&cosigned, &signer.verifier()).unwrap(), c);
    }

    #[test]
    fn rejects_malformed_bodies() {
        let root = "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=";
        let malformed = [
            String::new(),
            "\n".into(),
            format!("o\n1\n{root}"),
            "o\n1\n".into(),
            "o\n".into(),
            format!("\n1\n{root}\n"),
            format!(" o\n1\n{root}\n"),
            format!("o \n1\n{root}\n"),
            format!("o\x01\n1\n{root}\n"),
            format!("o\n1\n{root}\n\n"),
            format!("o\n1\n{root}\next\n\nmore\n"),
            format!("o\r\n1\n{root}\n"),
        ];
        for body in &malformed {
            assert!(matches!(Checkpoint::parse(body), Err(Error::Malformed(_))), "accepted {body:?}");
        }
        for size in ["", "01", "00", "+1", "-1", "0xabcdef", "1 ", " 1", "1.0", "18446744073709551616", "١"] {
            let body = format!("o\n{size}\n{root}\n");
            assert_eq!(Checkpoint::parse(&body), Err(Error::Size(size.into())), "size {size:?}");
        }
        let short = STANDARD.encode([7u8; 31]);
        let long = STANDARD.encode([7u8; 33]);
        let unpadded = root.trim_end_matches('=');
        // Same bytes, non-zero trailing bits: not canonical.
        let trailing = root.replacen("Bb0=", "Bb1=", 1);
        for bad in
            [short.as_str(), &long, unpadded, &trailing, "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBTOOBIG=", "", "*"]
        {
            let body = format!("o\n1\n{bad}\n");
            assert_eq!(Checkpoint::parse(&body), Err(Error::Root(bad.into())), "root {bad:?}");
        }
    }

    #[test]
    fn sign_rejects_unwritable_or_misnamed_checkpoints() {
        let signer = Signer::generate(ORIGIN).unwrap();
        let mut c = sample();
        c.extensions = vec![String::new()];
        assert!(matches!(c.sign(&signer), Err(Error::Malformed(_))));
        c.extensions = vec!["two\nlines".into()];
        assert!(matches!(c.sign(&signer), Err(Error::Malformed(_))));
        let mut c = sample();
        c.origin = String::new();
        assert!(matches!(c.sign(&signer), Err(Error::Malformed(_))));
        let other = Signer::generate("kura.example/other").unwrap();
        assert_eq!(
            sample().sign(&other),
            Err(Error::OriginMismatch { origin: ORIGIN.into(), key: "kura.example/other".into() })
        );
    }

    #[test]
    fn open_rejects_wrong_keys_and_tampering() {
        let signer = Signer::generate(ORIGIN).unwrap();
        let signed = sample().sign(&signer).unwrap();

        let stranger = Signer::generate("kura.example/other").unwrap();
        assert!(matches!(
            Checkpoint::open(&signed, &stranger.verifier()),
            Err(Error::Note(note::Error::NoVerifiedSignature { unknown: 1 }))
        ));
        let same_name = Signer::generate(ORIGIN).unwrap();
        assert!(matches!(
            Checkpoint::open(&signed, &same_name.verifier()),
            Err(Error::Note(note::Error::NoVerifiedSignature { .. }))
        ));

        let tampered = signed.replacen("\n20852163\n", "\n20852162\n", 1);
        assert!(matches!(
            Checkpoint::open(&tampered, &signer.verifier()),
            Err(Error::Note(note::Error::InvalidSignature(_)))
        ));

        // A valid signature by a key named after another log does not vouch for this origin.
        let signed_by_other = note::sign(&sample().to_body(), &[&stranger]).unwrap();
        assert_eq!(
            Checkpoint::open(&signed_by_other, &stranger.verifier()),
            Err(Error::OriginMismatch { origin: ORIGIN.into(), key: "kura.example/other".into() })
        );

        // A signed note whose text is not a checkpoint.
        let not_a_checkpoint = note::sign("hello\n", &[&signer]).unwrap();
        assert!(matches!(Checkpoint::open(&not_a_checkpoint, &signer.verifier()), Err(Error::Malformed(_))));
    }

    fn arb_line() -> impl Strategy<Value = String> {
        "[^\\x00-\\x1f]{1,20}"
    }

    proptest! {
        #[test]
        fn prop_body_round_trip(
            origin in "[!-~][^\\x00-\\x1f]{0,20}[!-~]",
            size in any::<u64>(),
            root in any::<[u8; 32]>(),
            extensions in prop::collection::vec(arb_line(), 0..3),
        ) {
            let c = Checkpoint { origin, size, root, extensions };
            let body = c.to_body();
            let parsed = Checkpoint::parse(&body).unwrap();
            prop_assert_eq!(parsed.to_body(), body);
            prop_assert_eq!(parsed, c);
        }

        #[test]
        fn prop_parse_never_panics(body in "(?s).{0,200}") {
            if let Ok(c) = Checkpoint::parse(&body) {
                prop_assert_eq!(c.to_body(), body);
            }
        }
    }
}
