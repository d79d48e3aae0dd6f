//! Choosing the number of bands `b` and rows `r` from a similarity threshold.
//!
//! With `b` bands of `r` rows, two documents of Jaccard similarity `s` share at least one band
//! (become candidates) with probability `P(s) = 1 - (1 - s^r)^b`, the S-curve of Leskovec,
//! Rajaraman and Ullman, *Mining of Massive Datasets*, ch. 3.4. Given a threshold `t`, the
//! false-positive mass is `∫₀ᵗ P(s) ds` and the false-negative mass is `∫ₜ¹ (1 - P(s)) ds`;
//! [`optimal_banding`] picks the `(b, r)` with `b·r ≤ num_perm` that minimizes their weighted
//! sum, as datasketch's `MinHashLSH` does.

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

/// The banding that minimizes `fp_weight · FP + fn_weight · FN` at `threshold`.
///
/// # Errors
/// [`Error::InvalidParam`] when the threshold is outside (0, 1], a weight is negative or both
/// are zero, or `num_perm` is zero.
pub fn optimal_banding(
    threshold: f64,
    num_perm: usize,
    fp_weight: f64,
    fn_weight: f64,
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
    if num_perm == 0 {
        return Err(Error::InvalidParam { name: "num-perm", reason: "must be positive".into() });
    }
    let mut best = (f64::INFINITY, Banding { bands: 1, rows: 1 });
    for bands in 1..=num_perm {
        for rows in 1..=num_perm / bands {
            let bd = Banding { bands, rows };
            let fp = integrate(|s| bd.candidate_probability(s), 0.0, threshold);
            let fneg = integrate(|s| 1.0 - bd.candidate_probability(s), threshold, 1.0);
            let err = fp_weight * fp + fn_weight * fneg;
            if err < best.0 {
                best = (err, bd);
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
            let b = optimal_banding(t, 128, 0.5, 0.5).unwrap();
            assert!(b.bands * b.rows <= 128);
            // The S-curve's steepest point (1/b)^(1/r) sits near the threshold.
            let knee = (1.0 / b.bands as f64).powf(1.0 / b.rows as f64);
            assert!((knee - t).abs() < 0.12, "t {t} banding {b:?} knee {knee}");
        }
    }

    #[test]
    fn weighting_false_negatives_lowers_the_knee() {
        let even = optimal_banding(0.7, 128, 0.5, 0.5).unwrap();
        let recall = optimal_banding(0.7, 128, 0.1, 0.9).unwrap();
        assert!(recall.candidate_probability(0.6) > even.candidate_probability(0.6));
    }

    #[test]
    fn rejects_bad_input() {
        assert!(optimal_banding(0.0, 128, 0.5, 0.5).is_err());
        assert!(optimal_banding(1.5, 128, 0.5, 0.5).is_err());
        assert!(optimal_banding(0.5, 128, 0.0, 0.0).is_err());
        assert!(Banding { bands: 20, rows: 7 }.validate(128).is_err());
    }
}
