//! Which unit pairs are scored. A pair is worth soft matching only when the terms it shares
//! exactly already carry part of the first cut: their weighted Dice (exact matches only) must
//! reach half of [`PassageParams::threshold`](super::PassageParams::threshold). Soft matches
//! (spelling variants) and windows of two then refine the score of the pairs that pass.
//!
//! Across documents the pairs come from an inverted index over the feed's units: each term
//! held by at most [`posting_cap`] units has a posting list; a unit probes the lists of its
//! own indexed terms and adds up, per other unit, the weight of what they share. Terms held by
//! more units than the cap (titles, formulas, the feed's commonest words: little evidence by
//! feed-level IDF) are not indexed: a pair must share a rarer term to be found, and then the
//! common terms it shares count in its exact Dice (a merge of the two short sorted lists). Work and memory grow with the number of units times
//! their indexed terms, never with all pairs.

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

/// The weight of the terms two sorted lists share (the first list's weights).
fn shared_weight(a: &[(u64, f64)], b: &[(u64, f64)]) -> f64 {
    let (mut i, mut j, mut sum) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                sum += a[i].1;
                i += 1;
                j += 1;
            }
        }
    }
    sum
}

/// The most units a term may be held by and still be indexed: `per_units` of the feed's
/// units (a thousandth by default, [`PassageParams::posting_share`](super::PassageParams)),
/// and at least 64.
pub fn posting_cap(idf: &Idf, per_units: f64) -> u32 {
    ((idf.units() * per_units) as u32).max(64)
}

/// Candidate pairs of units (indices in `units`, the first smaller) of different documents
/// (`doc[k]` is the document of `units[k]`) that share a term held by at most `cap` units and
/// whose exact weighted Dice ([`exact_dice`]) reaches `min_dice`. Sorted.
pub fn across_pairs(
    units: &[&Unit],
    doc: &[u32],
    idf: &Idf,
    cap: u32,
    min_dice: f64,
) -> Vec<(u32, u32)> {
    let w = |t| idf.weight(t);
    // Each unit's indexed terms (as (term, weight)), the weight of its unindexed (common)
    // terms, and its total.
    let mut indexed: Vec<Vec<(u64, f64)>> = Vec::with_capacity(units.len());
    let mut common: Vec<Vec<(u64, f64)>> = Vec::with_capacity(units.len());
    let mut total = vec![0.0f64; units.len()];
    for (k, u) in units.iter().enumerate() {
        let (mut mine, mut rest) = (Vec::new(), Vec::new());
        for (i, &t) in u.terms.iter().enumerate() {
            let wt = u.weight(i, &w);
            total[k] += wt;
            if idf.df(t) <= cap {
                mine.push((t, wt));
            } else {
                rest.push((t, wt));
            }
        }
        rest.sort_unstable_by_key(|r| r.0);
        indexed.push(mine);
        common.push(rest);
    }
    // Postings in one array, by term; each unit's terms become ranges of it.
    let mut postings: Vec<(u64, u32)> = indexed
        .iter()
        .enumerate()
        .flat_map(|(k, ts)| ts.iter().map(move |&(t, _)| (t, k as u32)))
        .collect();
    postings.par_sort_unstable();
    let ranges: Vec<Vec<(u32, u32, f64)>> = indexed
        .par_iter()
        .map(|ts| {
            ts.iter()
                .map(|&(t, wt)| {
                    let lo = postings.partition_point(|p| p.0 < t);
                    let hi = lo + postings[lo..].partition_point(|p| p.0 <= t);
                    (lo as u32, hi as u32, wt)
                })
                .collect()
        })
        .collect();
    drop(indexed);
    let ids: Vec<u32> = postings.iter().map(|p| p.1).collect();
    drop(postings);
    // Probes: shared weight accumulated per other unit in a dense array (one per thread),
    // reset through the list of units touched.
    let mut out: Vec<(u32, u32)> = (0..units.len())
        .into_par_iter()
        .map_init(
            || (vec![0.0f64; units.len()], Vec::<u32>::new()),
            |(acc, touched), x| {
                for &(lo, hi, wt) in &ranges[x] {
                    // Postings are sorted by unit: only the units after `x` are probed.
                    let list = &ids[lo as usize..hi as usize];
                    let after = list.partition_point(|&y| y as usize <= x);
                    for &y in &list[after..] {
                        if doc[y as usize] != doc[x] {
                            if acc[y as usize] == 0.0 {
                                touched.push(y);
                            }
                            acc[y as usize] += wt;
                        }
                    }
                }
                let mut found = Vec::new();
                for &y in touched.iter() {
                    let y = y as usize;
                    let shared = acc[y] + shared_weight(&common[x], &common[y]);
                    acc[y] = 0.0;
                    if 2.0 * shared >= min_dice * (total[x] + total[y]) {
                        found.push((x as u32, y as u32));
                    }
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
