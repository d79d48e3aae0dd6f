//! Containment anchors: pairs of documents that share rare sampled shingles.
//!
//! A short wire item reprinted inside a long roundup has a small Jaccard similarity with it, but
//! almost all of the short item is *contained* in the roundup. Broder ("On the resemblance and
//! containment of documents", 1997) shows that keeping the shingles whose hash is `0 mod m`
//! (MOD-m sampling) gives samples `S(A)` with `S(A ∩ B) = S(A) ∩ S(B)`, so
//! `|S(A) ∩ S(B)| / |S(A)|` estimates the containment of `A` in `B` without bias, whatever the
//! lengths.
//!
//! Every document contributes its sampled word n-grams (*anchors*). Anchors are inverted by
//! sorting `(anchor, doc)` postings. An anchor held by more than `max_df` documents is common
//! phrasing or boilerplate and is ignored entirely: it neither links documents nor counts in
//! their sample size. For each remaining pair of documents the number of shared anchors is
//! counted exactly, and pairs with at least `min_shared` become candidates, scored by
//! [`containment`].

use std::io::{Read, Seek, SeekFrom, Write};

use rayon::prelude::*;

use crate::error::{Error, Result};

use super::{pack, pairs_in_run, unpack};
use crate::shingle::{combine, fmix64};

/// Parameters of anchor sampling and matching.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnchorParams {
    /// Word n-gram size of anchors.
    pub n: usize,
    /// Keep one shingle in `modulus` on average (MOD-m sampling).
    pub modulus: u32,
    /// Anchors held by more documents than this are ignored.
    pub max_df: u32,
    /// Pairs sharing fewer anchors are not candidates.
    pub min_shared: u32,
    /// Seed of the sampling hash.
    pub seed: u64,
}

impl Default for AnchorParams {
    fn default() -> Self {
        AnchorParams { n: 3, modulus: 4, max_df: 16, min_shared: 2, seed: 0x616e_6368 }
    }
}

impl AnchorParams {
    /// Appends the sorted, deduplicated anchors of a document given its word hashes.
    pub fn sample_into(&self, words: &[u64], out: &mut Vec<u32>) {
        let mut ngrams = Vec::with_capacity(words.len());
        if words.len() >= self.n {
            ngrams.extend(words.windows(self.n).map(|w| combine(self.seed, w)));
        }
        self.sample_ngrams_into(&ngrams, out);
    }

    /// Appends the sorted, deduplicated anchors among already hashed word n-grams (any
    /// stable n-gram hash; the engine reuses its shingle hashes when they are word n-grams of
    /// the anchor size).
    pub fn sample_ngrams_into(&self, ngrams: &[u64], out: &mut Vec<u32>) {
        let start = out.len();
        for &g in ngrams {
            let h = fmix64(g ^ self.seed);
            if (h as u32).is_multiple_of(self.modulus) {
                out.push((h >> 32) as u32);
            }
        }
        out[start..].sort_unstable();
        let mut tail = out.split_off(start);
        tail.dedup();
        out.extend(tail);
    }
}

/// The result of anchor matching.
#[derive(Debug, Default)]
pub struct AnchorMatches {
    /// Per document, the number of its anchors held by at most `max_df` documents.
    pub informative: Vec<u32>,
    /// Candidate pairs (packed with [`super::pack`], sorted) and their shared anchor counts.
    pub pairs: Vec<(u64, u32)>,
}

impl AnchorMatches {
    /// The containment estimate of the smaller sample in the larger, for a pair in `pairs`.
    pub fn containment(&self, a: u32, b: u32, shared: u32) -> f64 {
        containment(shared, self.informative[a as usize], self.informative[b as usize])
    }

    /// Looks up the shared count of a pair (`None` when it is not a candidate here).
    pub fn shared(&self, a: u32, b: u32) -> Option<u32> {
        let key = pack(a, b);
        self.pairs.binary_search_by_key(&key, |&(k, _)| k).ok().map(|i| self.pairs[i].1)
    }
}

/// `shared / min(size_a, size_b)`, or 0 when a sample is empty.
pub fn containment(shared: u32, size_a: u32, size_b: u32) -> f64 {
    let m = size_a.min(size_b);
    if m == 0 {
        0.0
    } else {
        (shared as f64 / m as f64).min(1.0)
    }
}

/// Number of partitions of the anchor postings (by the anchor's top bits).
const PARTITIONS: usize = 16;

/// Postings held in memory before they are spilled to temporary files (8 bytes each).
pub const DEFAULT_SPILL_ENTRIES: usize = 1 << 22;

/// `(anchor, doc)` postings, partitioned by anchor so that each partition can be sorted and
/// matched on its own, and spilled to anonymous temporary files once more than a budget of
/// them are held. Matching then needs memory for one partition at a time: a sixteenth of the
/// postings.
#[derive(Debug)]
pub struct Postings {
    parts: Vec<Vec<(u32, u32)>>,
    files: Vec<Option<std::fs::File>>,
    in_memory: usize,
    budget: usize,
}

impl Default for Postings {
    fn default() -> Self {
        Postings::new(DEFAULT_SPILL_ENTRIES)
    }
}

fn spill_err(source: std::io::Error) -> Error {
    Error::Io { path: "<anchor spill file>".into(), source }
}

impl Postings {
    /// Empty postings that spill past `budget` entries in memory.
    pub fn new(budget: usize) -> Postings {
        Postings {
            parts: vec![Vec::new(); PARTITIONS],
            files: (0..PARTITIONS).map(|_| None).collect(),
            in_memory: 0,
            budget,
        }
    }

    /// Adds the anchors of document `doc`.
    ///
    /// # Errors
    /// [`Error::Io`] when spilling to a temporary file fails.
    pub fn extend(&mut self, doc: u32, anchors: &[u32]) -> Result<()> {
        for &a in anchors {
            self.parts[(a >> 28) as usize].push((a, doc));
        }
        self.in_memory += anchors.len();
        if self.in_memory > self.budget {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> Result<()> {
        for (part, file) in self.parts.iter_mut().zip(self.files.iter_mut()) {
            if part.is_empty() {
                continue;
            }
            if file.is_none() {
                *file = Some(tempfile::tempfile().map_err(spill_err)?);
            }
            if let Some(f) = file {
                let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
                for &(a, d) in part.iter() {
                    w.write_all(&a.to_le_bytes()).map_err(spill_err)?;
                    w.write_all(&d.to_le_bytes()).map_err(spill_err)?;
                }
                w.flush().map_err(spill_err)?;
            }
            part.clear();
            part.shrink_to_fit();
        }
        self.in_memory = 0;
        Ok(())
    }

    /// Takes partition `i`: what was spilled, then what is in memory.
    fn take_partition(&mut self, i: usize) -> Result<Vec<(u32, u32)>> {
        let mut out = Vec::new();
        if let Some(mut f) = self.files[i].take() {
            f.seek(SeekFrom::Start(0)).map_err(spill_err)?;
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).map_err(spill_err)?;
            out.reserve(bytes.len() / 8 + self.parts[i].len());
            out.extend(bytes.chunks_exact(8).map(|c| {
                (
                    u32::from_le_bytes([c[0], c[1], c[2], c[3]]),
                    u32::from_le_bytes([c[4], c[5], c[6], c[7]]),
                )
            }));
        }
        out.append(&mut self.parts[i]);
        Ok(out)
    }
}

/// Matches documents through their anchors. `n_docs` bounds the document numbers.
///
/// # Errors
/// [`Error::Io`] when reading spilled postings fails.
pub fn match_anchors(
    mut postings: Postings,
    n_docs: usize,
    p: &AnchorParams,
) -> Result<AnchorMatches> {
    let mut informative = vec![0u32; n_docs];
    let mut instances: Vec<u64> = Vec::new();
    let mut run = Vec::new();
    for i in 0..PARTITIONS {
        let mut part = postings.take_partition(i)?;
        part.par_sort_unstable();
        for chunk in part.chunk_by(|a, b| a.0 == b.0) {
            if chunk.len() > p.max_df as usize {
                continue;
            }
            for &(_, d) in chunk {
                informative[d as usize] += 1;
            }
            if chunk.len() > 1 {
                run.clear();
                run.extend(chunk.iter().map(|&(_, d)| d));
                pairs_in_run(&run, &mut instances);
            }
        }
    }
    log::debug!("anchor matching: {} pair instances", instances.len());
    instances.par_sort_unstable();
    let pairs = instances
        .chunk_by(|a, b| a == b)
        .filter(|c| c.len() as u32 >= p.min_shared)
        .map(|c| (c[0], c.len() as u32))
        .collect();
    Ok(AnchorMatches { informative, pairs })
}

/// Convenience for tests and small inputs: matches documents given their anchor lists,
/// in memory.
pub fn match_anchor_lists(lists: &[Vec<u32>], p: &AnchorParams) -> AnchorMatches {
    let mut postings = Postings::new(usize::MAX);
    for (d, l) in lists.iter().enumerate() {
        // In-memory postings never spill, so this cannot fail.
        let _ = postings.extend(d as u32, l);
    }
    match_anchors(postings, lists.len(), p).unwrap_or_default()
}

/// The pairs of a match result, unpacked.
pub fn unpacked_pairs(m: &AnchorMatches) -> impl Iterator<Item = (u32, u32, u32)> + '_ {
    m.pairs.iter().map(|&(p, s)| {
        let (a, b) = unpack(p);
        (a, b, s)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::naive::SplitMix;

    fn words(rng: &mut SplitMix, n: usize) -> Vec<u64> {
        (0..n).map(|_| rng.next()).collect()
    }

    #[test]
    fn short_text_inside_long_text_is_contained() {
        let p = AnchorParams::default();
        let mut rng = SplitMix(1);
        let short = words(&mut rng, 150);
        let mut long = words(&mut rng, 600);
        long.splice(200..200, short.iter().copied());
        let unrelated = words(&mut rng, 400);
        let lists: Vec<Vec<u32>> = [&short, &long, &unrelated]
            .iter()
            .map(|w| {
                let mut out = Vec::new();
                p.sample_into(w, &mut out);
                out
            })
            .collect();
        let m = match_anchor_lists(&lists, &p);
        let pairs: Vec<_> = unpacked_pairs(&m).collect();
        assert_eq!(pairs.len(), 1);
        let (a, b, shared) = pairs[0];
        assert_eq!((a, b), (0, 1));
        assert!(m.containment(a, b, shared) > 0.95);
    }

    #[test]
    fn spilled_postings_match_like_in_memory_ones() {
        let p = AnchorParams { min_shared: 1, ..AnchorParams::default() };
        let mut rng = SplitMix(4);
        let lists: Vec<Vec<u32>> = (0..300)
            .map(|_| {
                let mut l: Vec<u32> =
                    (0..40).map(|_| (rng.next() % 2000) as u32 * 0x0020_0001).collect();
                l.sort_unstable();
                l.dedup();
                l
            })
            .collect();
        let in_memory = match_anchor_lists(&lists, &p);
        let mut spilled = Postings::new(100);
        for (d, l) in lists.iter().enumerate() {
            spilled.extend(d as u32, l).unwrap();
        }
        assert!(spilled.files.iter().any(Option::is_some), "the budget forces spills");
        let from_disk = match_anchors(spilled, lists.len(), &p).unwrap();
        assert_eq!(from_disk.pairs, in_memory.pairs);
        assert_eq!(from_disk.informative, in_memory.informative);
        assert!(!in_memory.pairs.is_empty());
    }

    #[test]
    fn common_anchors_are_ignored() {
        let p = AnchorParams { max_df: 2, min_shared: 1, ..AnchorParams::default() };
        let lists = vec![vec![1, 2], vec![1, 3], vec![1, 4], vec![2, 9]];
        let m = match_anchor_lists(&lists, &p);
        let pairs: Vec<_> = unpacked_pairs(&m).collect();
        assert_eq!(pairs, [(0, 3, 1)]);
        assert_eq!(m.informative, [1, 1, 1, 2]);
        assert_eq!(m.shared(3, 0), Some(1));
    }
}
