//! Clustering quality against a truth partition: B-cubed precision, recall and F1 (Bagga and
//! Baldwin, 1998), pairwise precision/recall/F1, and the adjusted Rand index (Hubert and
//! Arabie, 1985).

use std::collections::HashMap;
use std::hash::Hash;

/// The scores of a clustering.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Scores {
    /// B-cubed precision.
    pub bcubed_precision: f64,
    /// B-cubed recall.
    pub bcubed_recall: f64,
    /// B-cubed F1.
    pub bcubed_f1: f64,
    /// Pairwise precision.
    pub pair_precision: f64,
    /// Pairwise recall.
    pub pair_recall: f64,
    /// Pairwise F1.
    pub pair_f1: f64,
    /// Adjusted Rand index.
    pub ari: f64,
}

fn c2(n: f64) -> f64 {
    n * (n - 1.0) / 2.0
}

fn f1(p: f64, r: f64) -> f64 {
    if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    }
}

/// Scores `predicted` against `truth` (one label per item, same length).
pub fn score<P: Eq + Hash + Clone, T: Eq + Hash + Clone>(predicted: &[P], truth: &[T]) -> Scores {
    let n = predicted.len();
    let mut cells: HashMap<(P, T), f64> = HashMap::new();
    let mut pred_sizes: HashMap<P, f64> = HashMap::new();
    let mut truth_sizes: HashMap<T, f64> = HashMap::new();
    for (p, t) in predicted.iter().zip(truth) {
        *cells.entry((p.clone(), t.clone())).or_insert(0.0) += 1.0;
        *pred_sizes.entry(p.clone()).or_insert(0.0) += 1.0;
        *truth_sizes.entry(t.clone()).or_insert(0.0) += 1.0;
    }
    // B-cubed: each item's precision is |its cluster ∩ its class| / |its cluster|.
    let (mut bp, mut br) = (0.0, 0.0);
    for ((p, t), &c) in &cells {
        bp += c * c / pred_sizes[p];
        br += c * c / truth_sizes[t];
    }
    let nf = n.max(1) as f64;
    let (bp, br) = (bp / nf, br / nf);
    let same_both: f64 = cells.values().map(|&c| c2(c)).sum();
    let same_pred: f64 = pred_sizes.values().map(|&c| c2(c)).sum();
    let same_truth: f64 = truth_sizes.values().map(|&c| c2(c)).sum();
    let pp = if same_pred > 0.0 { same_both / same_pred } else { 1.0 };
    let pr = if same_truth > 0.0 { same_both / same_truth } else { 1.0 };
    let expected = same_pred * same_truth / c2(nf).max(1.0);
    let max = (same_pred + same_truth) / 2.0;
    let ari = if (max - expected).abs() > 1e-12 {
        (same_both - expected) / (max - expected)
    } else {
        1.0
    };
    Scores {
        bcubed_precision: bp,
        bcubed_recall: br,
        bcubed_f1: f1(bp, br),
        pair_precision: pp,
        pair_recall: pr,
        pair_f1: f1(pp, pr),
        ari,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_and_known_cases() {
        let s = score(&[0, 0, 1, 1], &["a", "a", "b", "b"]);
        assert_eq!((s.bcubed_f1, s.pair_f1, s.ari), (1.0, 1.0, 1.0));
        // Everything in one cluster: B-cubed precision 0.5, recall 1.
        let s = score(&[0, 0, 0, 0], &["a", "a", "b", "b"]);
        assert!((s.bcubed_precision - 0.5).abs() < 1e-12 && s.bcubed_recall == 1.0);
        assert!(s.ari.abs() < 1e-12);
        // Known ARI value (sklearn: adjusted_rand_score([0,0,1,1,2,2],[0,0,1,2,2,2]) = 0.444...).
        let s = score(&[0, 0, 1, 1, 2, 2], &[0, 0, 1, 2, 2, 2]);
        assert!((s.ari - 0.4444444444).abs() < 1e-6, "{}", s.ari);
    }
}
