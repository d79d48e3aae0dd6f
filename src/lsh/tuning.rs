//! Choosing the number of bands `b` and rows `r` from a similarity threshold.
//!
//! With `b` bands of `r` rows, two documents of Jaccard similarity `s` share at least one band
//! (become candidates) with probability `P(s) = 1 - (1 - s^r)^b`, the S-curve of Leskovec,
//! Rajaraman and Ullman, *Mining of Massive Datasets*, ch. 3.4. Given a threshold `t`, the
//! false-positive mass is `∫₀ᵗ P(s) ds` and the false-negative mass is `∫ₜ¹ (1 - P(s)) ds`;
//! [`optimal_banding`] picks the `(b, r)` with `b·r ≤ num_perm` that minimizes their weighted
//! sum, as datasketch's `MinHashLSH` does.
//!
//! That criterion alone leaves pairs *at* the threshold with a candidate probability near one
//! half (11 bands of 11 rows at 0.8 with 128 slots: `P(0.8) = 0.63`), because the mass just
//! above the threshold is small. An engine that verifies its candidates can afford false
//! positives, not misses, so the search is restricted to bandings with `P(t)` of at least
//! `min_recall` (0.99 by default in [`crate::dedup::DedupConfig`]): 21 x 6 at 0.8.

use crate::error::{Error, Result};

/// Bands and rows of an LSH index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Banding {
    /// Number of bands.
    pub bands: usize,
    /// Rows (signature slots) per band.
    pub rows: usize,
}

impl Banding {
    /// Probability that a pair of Jaccard similarity `s` becomes a candidate.
    pub fn candidate_probability(&self, s: f64) -> f64 {
        1.0 - (1.0 - s.powi(self.rows as i32)).powi(self.bands as i32)
    }

    /// Checks that the banding fits in `num_perm` slots.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] when `bands * rows > num_perm` or either is zero.
    pub fn validate(&self, num_perm: usize) -> Result<()> {
        if self.bands == 0 || self.rows == 0 || self.bands * self.rows > num_perm {
            return Err(Error::InvalidParam {
                name: "bands",
                reason: format!(
                    "{} bands x {} rows must be positive and fit in {num_perm} permutations",
                    self.bands, self.rows
                ),
            });
        }
        Ok(())
    }
}

/// Simpson's rule over `[a, b]` with 64 intervals.
fn integrate(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    const N: usize = 64;
    let h = (b - a) / N as f64;
    let mut sum = f(a) + f(b);
    for i in 1..N {
        sum += f(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    sum * h / 3.0
}

/// The banding that minimizes `fp_weight · FP + fn_weight · FN` at `threshold` among those
/// whose candidate probability at the threshold is at least `min_recall` (when none reaches
/// it, the one that comes closest).
///
/// # Errors
/// [`Error::InvalidParam`] when the threshold is outside (0, 1], a weight is negative or both
/// are zero, or `num_perm` is zero.
pub fn optimal_banding(
    threshold: f64,
    num_perm: usize,
    fp_weight: f64,
    fn_weight: f64,
    min_recall: f64,
) -> Result<Banding> {
    if !(threshold > 0.0 && threshold <= 1.0) {
        return Err(Error::InvalidParam {
            name: "threshold",
            reason: format!("{threshold} is outside (0, 1]"),
        });
    }
    if !(fp_weight >= 0.0 && fn_weight >= 0.0 && fp_weight + fn_weight > 0.0) {
        return Err(Error::InvalidParam {
            name: "lsh-weights",
            reason: format!("weights {fp_weight}, {fn_weight} must be >= 0 and not both 0"),
        });
    }
    if !(0.0..=1.0).contains(&min_recall) {
        return Err(Error::InvalidParam {
            name: "lsh-min-recall",
            reason: format!("{min_recall} is outside [0, 1]"),
        });
    }
    if num_perm == 0 {
        return Err(Error::InvalidParam { name: "num-perm", reason: "must be positive".into() });
    }
    // Ranked by (shortfall from the recall floor, weighted error).
    let mut best = ((f64::INFINITY, f64::INFINITY), Banding { bands: 1, rows: 1 });
    for bands in 1..=num_perm {
        for rows in 1..=num_perm / bands {
            let bd = Banding { bands, rows };
            let short = (min_recall - bd.candidate_probability(threshold)).max(0.0);
            let fp = integrate(|s| bd.candidate_probability(s), 0.0, threshold);
            let fneg = integrate(|s| 1.0 - bd.candidate_probability(s), threshold, 1.0);
            let rank = (short, fp_weight * fp + fn_weight * fneg);
            if rank < best.0 {
                best = (rank, bd);
            }
        }
    }
    Ok(best.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s_curve_crosses_near_threshold() {
        for t in [0.3, 0.5, 0.8, 0.9] {
            let b = optimal_banding(t, 128, 0.5, 0.5, 0.0).unwrap();
            assert!(b.bands * b.rows <= 128);
            // The S-curve's steepest point (1/b)^(1/r) sits near the threshold.
            let knee = (1.0 / b.bands as f64).powf(1.0 / b.rows as f64);
            assert!((knee - t).abs() < 0.12, "t {t} banding {b:?} knee {knee}");
        }
    }

    #[test]
    fn weighting_false_negatives_lowers_the_knee() {
        let even = optimal_banding(0.7, 128, 0.5, 0.5, 0.0).unwrap();
        let recall = optimal_banding(0.7, 128, 0.1, 0.9, 0.0).unwrap();
        assert!(recall.candidate_probability(0.6) > even.candidate_probability(0.6));
    }

    #[test]
    fn recall_floor_holds_at_the_threshold() {
        for t in [0.3, 0.5, 0.7, 0.8, 0.9, 0.95] {
            for k in [64, 128, 256] {
                let free = optimal_banding(t, k, 0.3, 0.7, 0.0).unwrap();
                let b = optimal_banding(t, k, 0.3, 0.7, 0.99).unwrap();
                assert!(b.bands * b.rows <= k);
                assert!(b.candidate_probability(t) >= 0.99, "t {t} k {k} {b:?}");
                assert!(free.candidate_probability(t) <= b.candidate_probability(t));
            }
        }
        // Unreachable floor: the closest banding (every slot its own band).
        let b = optimal_banding(0.01, 16, 0.3, 0.7, 1.0).unwrap();
        assert_eq!(b, Banding { bands: 16, rows: 1 });
    }

    #[test]
    fn rejects_bad_input() {
        assert!(optimal_banding(0.0, 128, 0.5, 0.5, 0.0).is_err());
        assert!(optimal_banding(1.5, 128, 0.5, 0.5, 0.0).is_err());
        assert!(optimal_banding(0.5, 128, 0.0, 0.0, 0.0).is_err());
        assert!(optimal_banding(0.5, 128, 0.5, 0.5, 1.5).is_err());
        assert!(Banding { bands: 20, rows: 7 }.validate(128).is_err());
    }
}
