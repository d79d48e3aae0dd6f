//! Candidate generation: LSH banding over MinHash signatures, and containment anchors.
//!
//! * [`band_candidates`] splits each signature into `b` bands of `r` slots, hashes each band,
//!   and reports pairs of documents that agree on a whole band (MMDS ch. 3.4). It runs one band
//!   at a time, sorting `(band key, doc)` pairs instead of building hash tables, so memory stays
//!   at 12 bytes per document per band in flight and the output is independent of thread count.
//! * [`anchors`] finds pairs that share rare sampled shingles, for containment (a short article
//!   inside a longer one), which Jaccard banding cannot see.

pub mod anchors;
pub mod tuning;

use rayon::prelude::*;

use crate::shingle::fmix64;
pub use tuning::{optimal_banding, Banding};

/// Above this many documents with one band key, a run is linked as a chain plus a star on its
/// first member instead of all pairs. Documents that agree on a whole band are near-identical,
/// so the groups come out the same, while the work stays linear.
pub const MAX_RUN_PAIRS: usize = 32;

/// The key of band `band` of a signature.
#[inline]
pub fn band_key(sig: &[u32], band: usize, rows: usize) -> u64 {
    let mut h = fmix64(band as u64 ^ 0x6261_6e64);
    for &v in &sig[band * rows..(band + 1) * rows] {
        h = (h ^ v as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29);
    }
    fmix64(h)
}

/// Emits candidate pairs for one run of documents that share a key.
pub fn pairs_in_run(run: &[u32], out: &mut Vec<u64>) {
    if run.len() <= MAX_RUN_PAIRS {
        for (i, &a) in run.iter().enumerate() {
            for &b in &run[i + 1..] {
                out.push(pack(a, b));
            }
        }
    } else {
        for w in run.windows(2) {
            out.push(pack(w[0], w[1]));
        }
        for &b in &run[2..] {
            out.push(pack(run[0], b));
        }
    }
}

/// Packs an unordered pair as `min << 32 | max`.
#[inline]
pub fn pack(a: u32, b: u32) -> u64 {
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    (lo as u64) << 32 | hi as u64
}

/// Unpacks a pair made by [`pack`].
#[inline]
pub fn unpack(p: u64) -> (u32, u32) {
    ((p >> 32) as u32, p as u32)
}

/// Candidate pairs (packed, sorted, deduplicated) among `docs`, whose signatures are rows of
/// `sigs` (`num_perm` slots each, indexed by document number).
pub fn band_candidates(sigs: &[u32], num_perm: usize, docs: &[u32], banding: Banding) -> Vec<u64> {
    let mut all: Vec<u64> = (0..banding.bands)
        .into_par_iter()
        .flat_map_iter(|band| {
            let mut keyed: Vec<(u64, u32)> = docs
                .iter()
                .map(|&d| {
                    let sig = &sigs[d as usize * num_perm..(d as usize + 1) * num_perm];
                    (band_key(sig, band, banding.rows), d)
                })
                .collect();
            keyed.sort_unstable();
            let mut out = Vec::new();
            let mut run = Vec::new();
            for chunk in keyed.chunk_by(|a, b| a.0 == b.0) {
                if chunk.len() > 1 {
                    run.clear();
                    run.extend(chunk.iter().map(|&(_, d)| d));
                    pairs_in_run(&run, &mut out);
                }
            }
            out
        })
        .collect();
    all.par_sort_unstable();
    all.dedup();
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::naive::SplitMix;
    use crate::signature::MinHasher;

    /// On a seeded synthetic corpus, LSH finds at least the S-curve's share of similar pairs.
    #[test]
    fn recall_matches_s_curve() {
        let k = 128;
        let h = MinHasher::new(k, 3).unwrap();
        let mut rng = SplitMix(5);
        let banding = Banding { bands: 16, rows: 8 };
        let pairs = 300;
        let mut sigs = Vec::new();
        let mut expected = 0.0;
        for p in 0..pairs {
            let base: Vec<u64> = (0..200).map(|_| rng.next()).collect();
            let keep = 150 + (p % 50);
            let mut other: Vec<u64> = base[..keep].to_vec();
            other.extend((keep..200).map(|_| rng.next()));
            let j = crate::naive::jaccard(&base, &other);
            expected += banding.candidate_probability(j);
            sigs.extend(h.sketch(&base).unwrap());
            sigs.extend(h.sketch(&other).unwrap());
        }
        let docs: Vec<u32> = (0..2 * pairs as u32).collect();
        let cands = band_candidates(&sigs, k, &docs, banding);
        let found = cands.iter().map(|&c| unpack(c)).filter(|&(a, b)| a % 2 == 0 && b == a + 1);
        let found = found.count() as f64;
        assert!(
            found >= expected - 3.0 * expected.sqrt() - 5.0,
            "found {found} expected {expected}"
        );
    }

    #[test]
    fn big_runs_stay_connected() {
        let run: Vec<u32> = (0..100).collect();
        let mut out = Vec::new();
        pairs_in_run(&run, &mut out);
        let edges: Vec<(u32, u32)> = out.iter().map(|&p| unpack(p)).collect();
        assert_eq!(crate::naive::components(100, &edges).len(), 1);
        assert!(out.len() < 200);
    }
}
