//! The symmetric Tardos code: biases, codeword bits, accusation scores and the accusation threshold.
//!
//! - **Positions** are 64-bit numbers derived by HMAC from (record, field, channel) under the code
//!   generation's key, so the code is as long as the data: no table is stored.
//! - **Biases.** Position `i` has a bias `p_i` drawn once for the generation (AES-256 of `i` under the
//!   generation's bias key, read as a uniform number). Standard Tardos draws `p` from the arcsine density
//!   `∝ 1/sqrt(p(1-p))` on `[t, 1-t]`. A channel whose natural prior `q` is not ½ would then show 50/50
//!   frequencies, which look unnatural, so here `p` is drawn from the arcsine density on the interval
//!   `[q - w, q + w]` with `w = min(q, 1-q) - t`: the same shape, centred on the prior, so the average
//!   symbol frequency of every export equals `q`. For `q = ½` this is exactly the standard code with
//!   cutoff [`CUTOFF`].
//! - **Codeword bits.** Export `j` has bit `x_ji = [u_ji < p_i]`, `u_ji` = AES-256 of `i` under the
//!   export's secret (itself HMAC of the generation key and the export id), read as a uniform number.
//! - **Score** (Škorić et al., symmetric): for an observed symbol `y_i`, `g = sqrt((1-p)/p)` if
//!   `x = y = 1`, `sqrt(p/(1-p))` if `x = y = 0`, `-sqrt((1-p)/p)` if `x = 1, y = 0`, and
//!   `-sqrt(p/(1-p))` if `x = 0, y = 1`. Erased positions count 0. For an innocent export, whose bits
//!   are independent of what was leaked, each term has mean 0 and variance 1 whatever the attack.
//! - **Threshold.** The Chernoff bound on the innocent's score with the actual biases and symbols of this
//!   trace: `P(S ≥ Z) ≤ exp(-λZ) Π_i E[exp(λ g_i)]` for every `λ > 0`. [`threshold`] returns
//!   `Z = min_λ (Σ_i ln E[exp(λ g_i)] + ln(n/ε)) / λ` over a grid of λ, so that with `n` candidates the
//!   probability that any innocent reaches `Z` is at most `ε` (union bound). It is exact for the trace
//!   at hand and tighter than the generic `Z = 20ck` form or a Bernstein bound with the worst-case term
//!   size `sqrt((1-t)/t)`.

use std::f64::consts::FRAC_PI_2;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::crypto::SecretKey;

/// The bias cutoff `t`: no bias is closer than this to 0 or 1.
pub const CUTOFF: f64 = 0.02;

/// Default target probability of accusing any innocent export in one trace.
pub const DEFAULT_EPSILON: f64 = 1e-6;

/// A keyed pseudo-random function under a 32-byte key: HMAC-SHA-256 for inputs of any length ([`Prf::mac`]),
/// and AES-256 for the 64-bit inputs scored per candidate ([`Prf::uniform`]).
///
/// Scoring a trace costs one `uniform` per candidate export and observed position (10,000 exports × 140
/// positions for fourteen leaked rows), so that call is one AES block (a few nanoseconds with AES-NI)
/// rather than one HMAC (four SHA-256 compressions). AES is a pseudo-random permutation; on distinct
/// 64-bit inputs it is indistinguishable from a random function (PRP/PRF switching, advantage ≤ q²/2¹²⁹).
/// The AES key is derived from the PRF key by HMAC, so the two uses never share a key.
#[derive(Clone)]
pub struct Prf {
    mac: Hmac<Sha256>,
    block: aes::Aes256,
}

impl Prf {
    /// The PRF under `key`.
    pub fn new(key: &SecretKey) -> Prf {
        // HMAC zero-pads keys shorter than the hash's 64-byte block, so this is HMAC under the 32-byte key.
        let mut padded = zeroize::Zeroizing::new([0u8; 64]);
        for (d, s) in padded.iter_mut().zip(key.expose().iter()) {
            *d = *s;
        }
        let mac = <Hmac<Sha256> as hmac::digest::KeyInit>::new(&(*padded).into());
        let mut derive = mac.clone();
        derive.update(b"kura/prf/v2/aes-256");
        let mut aes_key = derive.finalize().into_bytes();
        let block = <aes::Aes256 as aes::cipher::KeyInit>::new(&aes_key);
        zeroize::Zeroize::zeroize(aes_key.as_mut_slice());
        Prf { mac, block }
    }

    /// A fresh MAC under the key, for longer inputs.
    pub fn mac(&self) -> Hmac<Sha256> {
        self.mac.clone()
    }

    /// A uniform number in `[0, 1)` for input `x`: the top 53 bits of AES-256 of `x` (zero-padded to one
    /// block).
    pub fn uniform(&self, x: u64) -> f64 {
        use aes::cipher::BlockEncrypt;
        let mut block = aes::Block::default();
        for (d, s) in block.iter_mut().zip(x.to_be_bytes()) {
            *d = s;
        }
        self.block.encrypt_block(&mut block);
        let mut b = [0u8; 8];
        for (d, s) in b.iter_mut().zip(block.iter()) {
            *d = *s;
        }
        (u64::from_be_bytes(b) >> 11) as f64 / (1u64 << 53) as f64
    }
}

impl std::fmt::Debug for Prf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Prf(..)")
    }
}

/// The bias for a uniform draw `u` on a channel with natural prior `prior` (see the module doc).
pub fn bias(u: f64, prior: f64) -> f64 {
    let w = (prior.min(1.0 - prior) - CUTOFF).max(0.0);
    let (lo, hi) = (prior - w, prior + w);
    let s = (FRAC_PI_2 * u).sin();
    (lo + (hi - lo) * s * s).clamp(CUTOFF.min(prior), (1.0 - CUTOFF).max(prior))
}

/// The symmetric Tardos score term for codeword bit `x` and observed symbol `y` at bias `p`.
pub fn term(p: f64, x: bool, y: bool) -> f64 {
    let up = ((1.0 - p) / p).sqrt();
    let down = (p / (1.0 - p)).sqrt();
    match (x, y) {
        (true, true) => up,
        (false, false) => down,
        (true, false) => -up,
        (false, true) => -down,
    }
}

/// One observed code position: its bias and the symbol read from the leak.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observed {
    /// The position's bias `p_i`.
    pub bias: f64,
    /// The symbol read.
    pub symbol: bool,
}

/// `ln E[exp(λ g)]` for an innocent bit at bias `p` against symbol `y`.
fn log_mgf(lambda: f64, p: f64, y: bool) -> f64 {
    // For y = 0 the roles of the two symbols swap.
    let p = if y { p } else { 1.0 - p };
    let a = lambda * ((1.0 - p) / p).sqrt();
    let b = -lambda * (p / (1.0 - p)).sqrt();
    let m = a.max(b);
    m + (p * (a - m).exp() + (1.0 - p) * (b - m).exp()).ln()
}

/// The score above which an export is accused: with `candidates` innocent exports, the probability that
/// any of them reaches it is at most `epsilon`. Infinite when nothing was observed.
pub fn threshold(observed: &[Observed], candidates: usize, epsilon: f64) -> f64 {
    Bound::new(observed).threshold(candidates, epsilon)
}

/// The innocent score's log moment-generating function on a grid of λ, for computing thresholds at
/// several (n, ε) for one trace.
#[derive(Debug, Clone)]
pub struct Bound {
    /// (λ, Σ_i ln E[exp(λ g_i)]).
    grid: Vec<(f64, f64)>,
}

impl Bound {
    /// λ from 0.002 by factors of 1.2 up to about 15; the optimum for realistic traces is near
    /// `sqrt(2 ln(n/ε) / m)`, well inside. Every λ gives a valid bound, so the grid only costs tightness
    /// (about 1% at this spacing).
    pub fn new(observed: &[Observed]) -> Bound {
        let mut grid = Vec::with_capacity(48);
        if observed.is_empty() {
            return Bound { grid };
        }
        let mut lambda = 0.002;
        while lambda < 15.0 {
            grid.push((lambda, observed.iter().map(|o| log_mgf(lambda, o.bias, o.symbol)).sum()));
            lambda *= 1.2;
        }
        Bound { grid }
    }

    /// The probability bound that any of `candidates` innocent exports scores `score` or more: the smallest
    /// `n · exp(Σ ln E[exp(λ g_i)] − λ·score)` over the grid, at most 1. This is the false-accusation
    /// probability a report states for an accused export.
    pub fn p_value(&self, score: f64, candidates: usize) -> f64 {
        let n = (candidates.max(1) as f64).ln();
        self.grid.iter().map(|&(l, k)| (n + k - l * score).exp()).fold(1.0, f64::min)
    }

    /// The threshold for `candidates` innocents and false-accusation probability `epsilon`.
    pub fn threshold(&self, candidates: usize, epsilon: f64) -> f64 {
        let log_target = (candidates.max(1) as f64 / epsilon).ln();
        self.grid.iter().map(|&(l, k)| (k + log_target) / l).fold(f64::INFINITY, f64::min)
    }
}

/// The score of codeword `bits` (one per observed position) against the observations.
pub fn score(observed: &[Observed], bits: impl IntoIterator<Item = bool>) -> f64 {
    observed.iter().zip(bits).map(|(o, x)| term(o.bias, x, o.symbol)).sum()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn terms_have_mean_zero_and_variance_one_for_innocents() {
        for p in [0.02, 0.1, 0.3, 0.5, 0.8, 0.98] {
            for y in [false, true] {
                let mean = p * term(p, true, y) + (1.0 - p) * term(p, false, y);
                let var = p * term(p, true, y).powi(2) + (1.0 - p) * term(p, false, y).powi(2);
                assert!(mean.abs() < 1e-12 && (var - 1.0).abs() < 1e-12, "{p} {y}");
            }
        }
    }

    #[test]
    fn biases_stay_in_range_and_average_to_the_prior() {
        let key = Prf::new(&SecretKey::from_bytes([7u8; 32]));
        for prior in [0.1, 0.2, 0.43, 0.5, 0.85] {
            let n = 20_000;
            let mut sum = 0.0;
            for i in 0..n {
                let p = bias(key.uniform(i), prior);
                assert!((CUTOFF..=1.0 - CUTOFF).contains(&p), "{p}");
                sum += p;
            }
            assert!((sum / n as f64 - prior).abs() < 0.01, "{prior}: {}", sum / n as f64);
        }
    }

    /// Simulated traces on bit vectors: the measured false-accusation rate of innocent exports stays under
    /// the target at every ε we can measure, and is zero at the default ε.
    #[test]
    fn innocent_scores_stay_under_the_threshold() {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let priors = [0.15, 0.2, 0.25, 0.4, 0.45, 0.5, 0.53, 0.615, 0.65, 0.7, 0.8, 0.85];
        let trials = 10_000;
        let m = 120;
        let (mut over_default, mut over_1e2, mut over_1e3, mut guilty_over) = (0, 0, 0, 0);
        for _ in 0..trials {
            let observed: Vec<Observed> = (0..m)
                .map(|i| {
                    let p = bias(rng.gen::<f64>(), priors[i % priors.len()]);
                    Observed { bias: p, symbol: rng.gen::<f64>() < p }
                })
                .collect();
            // The leaked symbols are the guilty codeword itself.
            let guilty = score(&observed, observed.iter().map(|o| o.symbol));
            let innocent_bits: Vec<bool> = observed.iter().map(|o| rng.gen::<f64>() < o.bias).collect();
            let innocent = score(&observed, innocent_bits);
            let bound = Bound::new(&observed);
            over_default += usize::from(innocent >= bound.threshold(1, DEFAULT_EPSILON));
            over_1e2 += usize::from(innocent >= bound.threshold(1, 1e-2));
            over_1e3 += usize::from(innocent >= bound.threshold(1, 1e-3));
            guilty_over += usize::from(guilty >= bound.threshold(1000, DEFAULT_EPSILON));
        }
        assert_eq!(over_default, 0);
        assert!(over_1e2 <= trials / 100, "{over_1e2}");
        assert!(over_1e3 <= trials / 1000 + 2, "{over_1e3}");
        // One leaker, 120 positions, 1,000 candidates: nearly always accused.
        assert!(guilty_over * 100 >= trials * 99, "{guilty_over}");
        eprintln!(
            "innocent ≥ Z: ε=1e-6 {over_default}/{trials}, ε=1e-3 {over_1e3}, ε=1e-2 {over_1e2}; \
             guilty accused (n=1000) {guilty_over}/{trials}"
        );
    }
}
