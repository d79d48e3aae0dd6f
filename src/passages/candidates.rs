//! Which unit pairs are scored. A pair is worth soft matching only when the terms it shares
//! exactly already carry part of the first cut: their weighted Dice (exact matches only) must
//! reach half of [`PassageParams::threshold`](super::PassageParams::threshold) inside one
//! document, and [`PassageParams::across_dice`](super::PassageParams::across_dice) across
//! documents. Soft matches (spelling variants) and windows of two then refine the score of
//! the pairs that pass.
//!
//! Across documents the pairs come from an inverted index over the feed's units: each term
//! held by at most [`posting_cap`] units has a posting list; a unit probes the lists of its
//! own indexed terms and adds up, per other unit, the weight of what they share. Terms held by
//! more units than the cap (titles, formulas, the feed's commonest words: little evidence by
//! feed-level IDF) are not indexed: a pair must share a rarer term to be found, and then the
//! common terms it shares count in its exact Dice (summed over its list of common terms, see
//! [`across_pairs`]). Work and memory grow with the number of units times their indexed
//! terms, never with all pairs.

use rayon::prelude::*;

use super::units::Unit;
use super::Idf;

/// The exact weighted Dice of two units: twice the weight of the terms they share over the
/// weight of both (the weights `Idf::weigh` set, else `idf`).
pub fn exact_dice(a: &Unit, b: &Unit, idf: &dyn Fn(u64) -> f64) -> f64 {
    let (wa, wb) = (a.total_weight(idf), b.total_weight(idf));
    if wa == 0.0 || wb == 0.0 {
        return 0.0;
    }
    let shared: f64 = a
        .terms
        .iter()
        .enumerate()
        .filter(|(_, t)| b.terms.contains(t))
        .map(|(k, _)| a.weight(k, idf))
        .sum();
    2.0 * shared / (wa + wb)
}

/// The most units a term may be held by and still be indexed: `per_units` of the feed's
/// units (a thousandth by default, [`PassageParams::posting_share`](super::PassageParams)),
/// and at least 64. Under a background's weights (one article or a few, whose counts are the
/// background's, not the input's) every term is indexed, as it is over so few units anyway.
pub fn posting_cap(idf: &Idf, per_units: f64) -> u32 {
    if idf.background {
        return u32::MAX;
    }
    ((idf.units() * per_units) as u32).max(64)
}

/// Candidate pairs of units (indices in `units`, the first smaller) of different documents
/// (`doc[k]` is the document of `units[k]`) that share a term held by at most `cap` units and
/// whose exact weighted Dice ([`exact_dice`]) reaches `min_dice`. Sorted.
///
/// The common (unindexed) terms get dense numbers, and each unit a flat list of them sorted
/// by term and a 128-bit set of them. A probing unit spreads the weights of its common terms
/// over a dense array, so the common weight it shares with a unit reached through the
/// postings is a sum over that unit's list, in the order of a merge of the two sorted lists
/// (the same sum, bit for bit). That list is read only when the weight of the probing unit's
/// common terms in the other's set (at least the shared weight: summed over the bits both
/// sets hold, with a margin for the order of the sums) can still reach the cut, and that set
/// is read only when the lesser of the two units' whole common weight can.
pub fn across_pairs(
    units: &[&Unit],
    doc: &[u32],
    idf: &Idf,
    cap: u32,
    min_dice: f64,
) -> Vec<(u32, u32)> {
    use ahash::AHashMap;
    let w = |t| idf.weight(t);
    // Each unit's indexed terms (as (term, weight)), its common terms (dense numbers, sorted
    // by term) in one flat array, and its head: total weight, set of common terms, list.
    let mut indexed: Vec<Vec<(u64, f64)>> = Vec::with_capacity(units.len());
    let mut number: AHashMap<u64, u32> = AHashMap::new();
    let mut common_weight: Vec<f64> = Vec::new();
    let mut common: Vec<u32> = Vec::new();
    let mut head: Vec<Head> = Vec::with_capacity(units.len());
    let mut span: Vec<(u32, u32)> = Vec::with_capacity(units.len());
    let mut sorted: Vec<(u64, f64)> = Vec::new();
    for u in units {
        let mut mine = Vec::new();
        let mut total = 0.0;
        sorted.clear();
        for (i, &t) in u.terms.iter().enumerate() {
            let wt = u.weight(i, &w);
            total += wt;
            if idf.df(t) <= cap {
                mine.push((t, wt));
            } else {
                sorted.push((t, wt));
            }
        }
        sorted.sort_unstable_by_key(|r| r.0);
        let from = common.len() as u32;
        let mut set = [0u64; 2];
        let mut all = 0.0;
        for &(t, wt) in &sorted {
            all += wt;
            let next = number.len() as u32;
            let c = *number.entry(t).or_insert(next);
            if c == next {
                common_weight.push(wt);
            }
            common.push(c);
            let b = common_bit(c);
            set[b >> 6] |= 1 << (b & 63);
        }
        head.push(Head { total, common: all, set });
        span.push((from, common.len() as u32));
        indexed.push(mine);
    }
    drop(number);
    // Postings in one array, by term then unit, with the unit's document and the term's place
    // among the unit's indexed terms; each unit's terms become ranges of it, in its order of
    // terms: from just after the unit itself (only the units after it are probed) to the end
    // of the term's postings.
    let mut postings: Vec<(u64, u32, u32, u32)> = indexed
        .iter()
        .enumerate()
        .flat_map(|(k, ts)| {
            ts.iter().enumerate().map(move |(s, &(t, _))| (t, k as u32, doc[k], s as u32))
        })
        .collect();
    postings.par_sort_unstable();
    let mut first: Vec<u32> = Vec::with_capacity(units.len() + 1);
    first.push(0);
    for ts in &indexed {
        first.push(first[first.len() - 1] + ts.len() as u32);
    }
    let mut ranges: Vec<(u32, u32, f64)> = vec![(0, 0, 0.0); postings.len()];
    let mut lo = 0;
    for group in postings.chunk_by(|p, q| p.0 == q.0) {
        let hi = lo + group.len();
        for (at, &(_, k, _, s)) in group.iter().enumerate() {
            let wt = indexed[k as usize][s as usize].1;
            ranges[(first[k as usize] + s) as usize] = ((lo + at + 1) as u32, hi as u32, wt);
        }
        lo = hi;
    }
    drop(indexed);
    let ids: Vec<Posting> = postings
        .iter()
        .map(|p| Posting { unit: p.1, doc: p.2, head: head[p.1 as usize] })
        .collect();
    drop(postings);
    let list = |k: usize| &common[span[k].0 as usize..span[k].1 as usize];
    // Probes: shared weight accumulated per other unit in a dense array (one per task, a
    // few tasks per thread), reset through the list of units touched (each with the posting
    // that reached it first, which carries its head); the probing unit's common weights in
    // another.
    let tasks = 8 * rayon::current_num_threads().max(1);
    let mut out: Vec<(u32, u32)> = (0..units.len())
        .into_par_iter()
        .with_min_len(units.len().div_ceil(tasks).max(1))
        .map_init(
            || {
                let spread = vec![0.0f64; common_weight.len()];
                (vec![0.0f64; units.len()], Vec::<(u32, u32)>::new(), spread, [0.0f64; 128])
            },
            |(acc, touched, spread, by_bit), x| {
                let dx = doc[x];
                for &(lo, hi, wt) in &ranges[first[x] as usize..first[x + 1] as usize] {
                    for (at, p) in ids[lo as usize..hi as usize].iter().enumerate() {
                        if p.doc != dx {
                            let a = &mut acc[p.unit as usize];
                            if *a == 0.0 {
                                touched.push((p.unit, lo + at as u32));
                            }
                            *a += wt;
                        }
                    }
                }
                let hx = &head[x];
                for &c in list(x) {
                    let wc = common_weight[c as usize];
                    spread[c as usize] = wc;
                    by_bit[common_bit(c)] += wc;
                }
                // The heaviest bit of `x`, a little more (far above the error of any sum of
                // its terms): the bits both sets hold times it bound their sum over the bits.
                let heaviest = list(x).iter().fold(0.0f64, |m, &c| m.max(by_bit[common_bit(c)]))
                    * (1.0 + 1e-9);
                let mut found = Vec::new();
                for &(y, at) in touched.iter() {
                    let shared = std::mem::take(&mut acc[y as usize]);
                    // The head of `y` from the posting just read, not from anywhere in the
                    // feed's heads.
                    let hy = &ids[at as usize].head;
                    let need = min_dice * (hx.total + hy.total);
                    // At most the lesser common weight is shared (with a margin for the
                    // order of the sums).
                    if 2.0 * (shared + hx.common.min(hy.common)) + 1e-9 < need {
                        continue;
                    }
                    // The common terms of `x` in the set of `y`: a superset of those shared,
                    // summed by bit (the bits both sets hold, each with the weight of the
                    // terms of `x` on it; the margin covers the order of the sums).
                    // First by the count of the bits both hold (no sum over them), then by
                    // the sum: a pair ruled out by the first is ruled out by the second.
                    let bits =
                        (hx.set[0] & hy.set[0]).count_ones() + (hx.set[1] & hy.set[1]).count_ones();
                    if 2.0 * (shared + f64::from(bits) * heaviest) + 1e-9 < need {
                        continue;
                    }
                    let mut bound = 0.0;
                    for (half, (&sx, &sy)) in hx.set.iter().zip(&hy.set).enumerate() {
                        let mut both = sx & sy;
                        while both != 0 {
                            bound += by_bit[half << 6 | both.trailing_zeros() as usize];
                            both &= both - 1;
                        }
                    }
                    if 2.0 * (shared + bound) + 1e-9 < need {
                        continue;
                    }
                    // The common terms shared, in term order: absent ones add zero.
                    let mut both = 0.0;
                    for &c in list(y as usize) {
                        both += spread[c as usize];
                    }
                    if 2.0 * (shared + both) >= need {
                        found.push((x as u32, y));
                    }
                }
                for &c in list(x) {
                    spread[c as usize] = 0.0;
                    by_bit[common_bit(c)] = 0.0;
                }
                touched.clear();
                found
            },
        )
        .flatten_iter()
        .collect();
    out.par_sort_unstable();
    out
}

/// A unit in a term's postings: its number, its document, and a copy of its [`Head`], so
/// that a unit reached is weighed from the postings being read rather than from anywhere in
/// the feed's heads (that read was about half the probe's time).
struct Posting {
    unit: u32,
    doc: u32,
    head: Head,
}

/// What the probe reads of a unit reached through the postings (its list of common terms
/// apart: most units reached never need it).
#[derive(Clone, Copy)]
struct Head {
    /// The weight of all its terms.
    total: f64,
    /// The weight of its common terms.
    common: f64,
    /// Its common terms, as bits ([`common_bit`]).
    set: [u64; 2],
}

/// The bit of a common term (by its dense number) in a unit's 128-bit set.
#[inline]
fn common_bit(c: u32) -> usize {
    (c.wrapping_mul(0x9E37_79B9) >> 25) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passages::Analyzer;

    #[test]
    fn pairs_come_from_shared_rare_terms_only() {
        let a = Analyzer::default();
        let texts = [
            "the harbour authority reported container traffic rising twelve percent",
            "container traffic at the harbour rose twelve percent the authority reported",
            "the city council approved a bicycle lane network for the old town",
            "container traffic at the harbour rose twelve percent the authority reported",
        ];
        let mut units: Vec<Unit> = texts.iter().map(|t| a.text_unit(t)).collect();
        let idf = Idf::new(&[units.as_slice()]);
        idf.weigh(&mut units);
        let refs: Vec<&Unit> = units.iter().collect();
        // Documents 0 and 1 differ; units 1 and 3 are in one document and never paired.
        let pairs = across_pairs(&refs, &[0, 1, 2, 1], &idf, 64, 0.15);
        assert_eq!(pairs, [(0, 1), (0, 3)]);
        assert!(exact_dice(&units[0], &units[1], &|t| idf.weight(t)) > 0.5);
        assert_eq!(exact_dice(&units[0], &units[2], &|t| idf.weight(t)), 0.0);
        // With a cap of one unit no term is indexed, so nothing is paired.
        assert!(across_pairs(&refs, &[0, 1, 2, 1], &idf, 1, 0.15).is_empty());
    }
}
