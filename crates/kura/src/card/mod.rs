//! Payment card numbers (PANs): validation, brand, masking, and FF1 tokenisation.
//!
//! A PAN is never stored in the clear: the vault keeps it AEAD-encrypted under the card holder's key (so
//! erasure destroys it) and hands out a *token* instead — the same length, the same leading digits and last
//! four, a valid Luhn check digit, and the remaining middle digits encrypted with FF1 (NIST SP 800-38G, crate
//! `fpe`) under the collection's tokenisation key. Only callers allowed to detokenise get the PAN back.
//!
//! NIST requires an FF1 domain of at least 10^6, so at least six middle digits are encrypted: cards of 16–19
//! digits keep the full 6-digit BIN; shorter cards keep fewer leading digits (15-digit AmEx keeps 5, 14-digit
//! Diners 4, 13-digit Visa 3). The Luhn digit is kept valid by cycle-walking: FF1 is applied again until the
//! token passes Luhn, which is a permutation of the Luhn-valid numbers with the same kept digits, so
//! detokenisation (walking back with FF1⁻¹) is exact.

use aes::Aes256;
use fpe::ff1::{FlexibleNumeralString, FF1};

use crate::crypto::SecretKey;

/// Why a card number was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// Not made of digits (after removing spaces and hyphens).
    #[error("card number must contain only digits, spaces and hyphens")]
    NotDigits,
    /// Wrong number of digits.
    #[error("card number must have 12 to 19 digits (found {0})")]
    Length(usize),
    /// The Luhn check digit is wrong.
    #[error("card number fails the Luhn check (mistyped digit?)")]
    Luhn,
    /// FF1 failed (only on a malformed token).
    #[error("token could not be processed")]
    Token,
}

/// Card brands recognised from the BIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Brand {
    /// Visa (4).
    Visa,
    /// Mastercard (51–55, 2221–2720).
    Mastercard,
    /// American Express (34, 37).
    Amex,
    /// JCB (3528–3589).
    Jcb,
    /// Diners Club (300–305, 36, 38, 39).
    Diners,
    /// Discover (6011, 644–649, 65).
    Discover,
    /// UnionPay (62).
    UnionPay,
    /// Not recognised.
    Unknown,
}

impl Brand {
    /// Canonical upper-case name, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Brand::Visa => "VISA",
            Brand::Mastercard => "MASTERCARD",
            Brand::Amex => "AMEX",
            Brand::Jcb => "JCB",
            Brand::Diners => "DINERS",
            Brand::Discover => "DISCOVER",
            Brand::UnionPay => "UNIONPAY",
            Brand::Unknown => "UNKNOWN",
        }
    }
}

/// A validated PAN: 12–19 ASCII digits passing Luhn.
#[derive(Clone, PartialEq, Eq, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct Pan(String);

impl std::fmt::Debug for Pan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pan({})", self.masked())
    }
}

impl Pan {
    /// Parses a card number typed with optional spaces or hyphens.
    pub fn parse(raw: &str) -> Result<Pan, Error> {
        let mut digits = String::with_capacity(19);
        for c in raw.trim().chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '\u{3000}' => {}
                '０'..='９' => {
                    let d = (c as u32 - '０' as u32) as u8;
                    digits.push(char::from(b'0' + d));
                }
                _ => return Err(Error::NotDigits),
            }
        }
        if !(12..=19).contains(&digits.len()) {
            return Err(Error::Length(digits.len()));
        }
        if !luhn_valid(digits.as_bytes()) {
            return Err(Error::Luhn);
        }
        Ok(Pan(digits))
    }

    /// The digits.
    pub fn digits(&self) -> &str {
        &self.0
    }

    /// The brand, from the BIN.
    pub fn brand(&self) -> Brand {
        brand_of(&self.0)
    }

    /// The first six and last four digits shown, the rest as `•`, grouped in fours: `4111 11•• •••• 1111`.
    pub fn masked(&self) -> String {
        let n = self.0.len();
        let shown: String =
            self.0.chars().enumerate().map(|(i, c)| if i < 6 || i + 4 >= n { c } else { '•' }).collect();
        group4(&shown)
    }
}

/// Groups digits as printed on the card: 4-6-5 (15 digits, AmEx), 4-6-4 (14, Diners), else fours.
fn group4(s: &str) -> String {
    let n = s.chars().count();
    let breaks: &[usize] = match n {
        15 => &[4, 10],
        14 => &[4, 10],
        _ => &[],
    };
    let mut out = String::with_capacity(s.len() + 5);
    for (i, c) in s.chars().enumerate() {
        let brk = if breaks.is_empty() { i > 0 && i % 4 == 0 } else { breaks.contains(&i) };
        if brk {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// Luhn check over ASCII digits.
pub fn luhn_valid(digits: &[u8]) -> bool {
    luhn_sum(digits).is_multiple_of(10)
}

fn luhn_sum(digits: &[u8]) -> u32 {
    digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &b)| {
            let d = u32::from(b.wrapping_sub(b'0'));
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum()
}

/// The brand of a card number from its leading digits.
pub fn brand_of(digits: &str) -> Brand {
    let prefix = |n: usize| digits.get(..n).and_then(|p| p.parse::<u32>().ok()).unwrap_or(0);
    let (p1, p2, p3, p4) = (prefix(1), prefix(2), prefix(3), prefix(4));
    match () {
        _ if p1 == 4 => Brand::Visa,
        _ if (51..=55).contains(&p2) || (2221..=2720).contains(&p4) => Brand::Mastercard,
        _ if p2 == 34 || p2 == 37 => Brand::Amex,
        _ if (3528..=3589).contains(&p4) => Brand::Jcb,
        _ if (300..=305).contains(&p3) || p2 == 36 || p2 == 38 || p2 == 39 => Brand::Diners,
        _ if p4 == 6011 || (644..=649).contains(&p3) || p2 == 65 => Brand::Discover,
        _ if p2 == 62 => Brand::UnionPay,
        _ => Brand::Unknown,
    }
}

/// How many leading digits a token keeps for a PAN of `len` digits (at least 6 middle digits stay encrypted).
fn kept_prefix(len: usize) -> usize {
    len.saturating_sub(4 + 6).min(6)
}

/// FF1 tokeniser under one collection's tokenisation key.
pub struct Tokenizer {
    ff1: FF1<Aes256>,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokenizer(..)")
    }
}

/// At most this many cycle-walking steps; the expected number is 10, and 400 steps all failing has
/// probability 0.9^400 ≈ 5·10⁻¹⁹.
const MAX_WALK: usize = 400;

impl Tokenizer {
    /// A tokeniser under `key` (AES-256 FF1, radix 10).
    pub fn new(key: &SecretKey) -> Result<Tokenizer, Error> {
        let ff1 = FF1::<Aes256>::new(key.expose(), 10).map_err(|_| Error::Token)?;
        Ok(Tokenizer { ff1 })
    }

    /// The token of a PAN: same length, kept leading digits and last four, Luhn-valid, middle encrypted.
    pub fn tokenise(&self, pan: &Pan) -> Result<String, Error> {
        self.walk(pan.digits(), true)
    }

    /// The PAN of a token made by [`Tokenizer::tokenise`] under the same key.
    pub fn detokenise(&self, token: &str) -> Result<Pan, Error> {
        let t = Pan::parse(token)?;
        let digits = self.walk(t.digits(), false)?;
        Pan::parse(&digits)
    }

    fn walk(&self, digits: &str, forward: bool) -> Result<String, Error> {
        let n = digits.len();
        let keep = kept_prefix(n);
        let head = digits.get(..keep).ok_or(Error::Token)?;
        let middle = digits.get(keep..n - 4).ok_or(Error::Token)?;
        let tail = digits.get(n - 4..).ok_or(Error::Token)?;
        let tweak = format!("{head}|{tail}|{n}");
        let mut mid: Vec<u16> = middle.bytes().map(|b| u16::from(b - b'0')).collect();
        let mut out = String::with_capacity(n);
        for _ in 0..MAX_WALK {
            let ns = FlexibleNumeralString::from(mid);
            let next =
                if forward { self.ff1.encrypt(tweak.as_bytes(), &ns) } else { self.ff1.decrypt(tweak.as_bytes(), &ns) };
            mid = Vec::from(next.map_err(|_| Error::Token)?);
            out.clear();
            out.push_str(head);
            out.extend(mid.iter().map(|d| char::from(b'0' + (*d as u8))));
            out.push_str(tail);
            if luhn_valid(out.as_bytes()) {
                return Ok(out);
            }
        }
        Err(Error::Token)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use proptest::prelude::*;

    fn ff1_vector<C>(key_hex: &str, tweak_hex: &str, pt: &str, ct: &str)
    where
        C: aes::cipher::BlockCipher + aes::cipher::BlockEncrypt + aes::cipher::KeyInit + Clone,
    {
        let key = hex::decode(key_hex).unwrap();
        let tweak = hex::decode(tweak_hex).unwrap();
        let ff1 = FF1::<C>::new(&key, 10).unwrap();
        let ns = FlexibleNumeralString::from(pt.bytes().map(|b| u16::from(b - b'0')).collect::<Vec<_>>());
        let out: Vec<u16> = ff1.encrypt(&tweak, &ns).unwrap().into();
        let s: String = out.iter().map(|d| char::from(b'0' + *d as u8)).collect();
        assert_eq!(s, ct);
        let back: Vec<u16> = ff1.decrypt(&tweak, &FlexibleNumeralString::from(out)).unwrap().into();
        let s: String = back.iter().map(|d| char::from(b'0' + *d as u8)).collect();
        assert_eq!(s, pt);
    }

    /// NIST SP 800-38G FF1 samples 1, 2, 7 and 8 (radix 10); see `testdata/ff1/README.md`.
    #[test]
    fn nist_ff1_sample_vectors() {
        let text = include_str!("../../testdata/ff1/nist-ff1-radix10.txt");
        let mut n = 0;
        for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let [bits, key, tweak, pt, ct] = cols[..] else { panic!("bad line {line}") };
            let tweak = if tweak == "-" { "" } else { tweak };
            match bits {
                "128" => ff1_vector::<aes::Aes128>(key, tweak, pt, ct),
                "256" => ff1_vector::<aes::Aes256>(key, tweak, pt, ct),
                other => panic!("unknown key size {other}"),
            }
            n += 1;
        }
        assert_eq!(n, 4);
    }

    #[test]
    fn parse_and_brand() {
        assert_eq!(Pan::parse("4111 1111 1111 1111").unwrap().brand(), Brand::Visa);
        assert_eq!(Pan::parse("5555-5555-5555-4444").unwrap().brand(), Brand::Mastercard);
        assert_eq!(Pan::parse("378282246310005").unwrap().brand(), Brand::Amex);
        assert_eq!(Pan::parse("3530111333300000").unwrap().brand(), Brand::Jcb);
        assert_eq!(Pan::parse("6011111111111117").unwrap().brand(), Brand::Discover);
        assert_eq!(Pan::parse("2223003122003222").unwrap().brand(), Brand::Mastercard);
        assert_eq!(Pan::parse("4111111111111112"), Err(Error::Luhn));
        assert_eq!(Pan::parse("41111"), Err(Error::Length(5)));
        assert_eq!(Pan::parse("4111-1111-1111-111a"), Err(Error::NotDigits));
        assert_eq!(Pan::parse("4111111111111111").unwrap().masked(), "4111 11•• •••• 1111");
        assert_eq!(Pan::parse("378282246310005").unwrap().masked(), "3782 82•••• •0005");
        assert!(!format!("{:?}", Pan::parse("4111111111111111").unwrap()).contains("4111111111111111"));
    }

    #[test]
    fn token_keeps_bin_last4_and_luhn() {
        let t = Tokenizer::new(&SecretKey::generate()).unwrap();
        for raw in ["4111111111111111", "378282246310005", "30569309025904", "4222222222222", "6011000990139424"] {
            let pan = Pan::parse(raw).unwrap();
            let tok = t.tokenise(&pan).unwrap();
            assert_eq!(tok.len(), raw.len());
            let keep = kept_prefix(raw.len());
            assert_eq!(&tok[..keep], &raw[..keep]);
            assert_eq!(&tok[raw.len() - 4..], &raw[raw.len() - 4..]);
            assert!(luhn_valid(tok.as_bytes()));
            assert_ne!(tok, raw);
            assert_eq!(t.detokenise(&tok).unwrap(), pan);
        }
        assert_eq!(kept_prefix(16), 6);
        assert_eq!(kept_prefix(15), 5);
    }

    fn with_luhn(body: &str) -> String {
        (0..10u8).map(|d| format!("{body}{d}")).find(|s| luhn_valid(s.as_bytes())).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn tokenise_round_trip(body in "[1-9][0-9]{11,17}") {
            let pan = Pan::parse(&with_luhn(&body)).unwrap();
            let t = Tokenizer::new(&SecretKey::from_bytes([7; 32])).unwrap();
            let tok = t.tokenise(&pan).unwrap();
            prop_assert!(luhn_valid(tok.as_bytes()));
            prop_assert_eq!(t.detokenise(&tok).unwrap(), pan);
        }
    }
}
