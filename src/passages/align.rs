//! Seeding, weighing and merging: unit pairs above the first cut are seeds, the restatement
//! model weighs them, and seeds adjacent in both documents merge into passage pairs.

use super::candidates::{across_pairs, exact_dice, posting_cap};
use super::model::{Evidence, RESTATE_MODEL};
use super::terms::Idf;
use super::units::{join_units, Unit};
use super::{Analyzer, Kind, MatchKind, Place, Restatement, FEED_UNITS};
use crate::segment::Span;

/// A seed: unit ranges `a0..=a1` and `b0..=b1`, their soft Dice, and once weighed, the
/// model's probability and the evidence.
#[derive(Clone, Copy, Debug)]
struct Seed {
    a0: usize,
    a1: usize,
    b0: usize,
    b1: usize,
    dice: f64,
    probability: f64,
    evidence: Option<Evidence>,
}

/// Merges seeds that overlap or are adjacent in both documents into passage pairs.
fn merge_seeds(
    mut seeds: Vec<Seed>,
    ua: &[Unit],
    ub: &[Unit],
    da: u32,
    db: u32,
) -> Vec<Restatement> {
    seeds.sort_by_key(|x| (x.a0, x.b0, x.a1, x.b1));
    let mut used = vec![false; seeds.len()];
    let mut out = Vec::new();
    for s in 0..seeds.len() {
        if used[s] {
            continue;
        }
        used[s] = true;
        let (i0, mut i1, j0, mut j1) = (seeds[s].a0, seeds[s].a1, seeds[s].b0, seeds[s].b1);
        let mut best = seeds[s];
        // Extend along the diagonal: a seed that starts inside or right after in both.
        while let Some(k) = (s + 1..seeds.len()).find(|&k| {
            let x = &seeds[k];
            !used[k] && x.a0 >= i0 && x.a0 <= i1 + 1 && x.b0 >= j0 && x.b0 <= j1 + 1
        }) {
            used[k] = true;
            i1 = i1.max(seeds[k].a1);
            j1 = j1.max(seeds[k].b1);
            if seeds[k].probability > best.probability {
                best = seeds[k];
            }
        }
        let evidence = best.evidence.unwrap_or_default();
        out.push(Restatement {
            kind: Kind::Restated,
            matched: MatchKind::of(&evidence),
            similarity: best.probability,
            evidence,
            a: Place { doc: da, start: ua[i0].span.start, end: ua[i1].span.end },
            b: Place { doc: db, start: ub[j0].span.start, end: ub[j1].span.end },
        });
    }
    out
}
/// Term weights as a function, for the comparisons of [`Analyzer::similarity`].
type Weights<'w> = &'w dyn Fn(u64) -> f64;

/// The units of one document and each unit joined with the next clause of its paragraph
/// ([`windows`]).
#[derive(Clone, Copy)]
struct Side<'u> {
    units: &'u [Unit],
    windows: &'u [Option<Unit>],
}

impl<'u> Side<'u> {
    /// Units `x..=y` (`y` is `x` or `x + 1`) as one unit.
    fn range(&self, x: usize, y: usize) -> std::borrow::Cow<'u, Unit> {
        match (x == y, &self.windows[x]) {
            (true, _) => std::borrow::Cow::Borrowed(&self.units[x]),
            (false, Some(w)) if y == x + 1 => std::borrow::Cow::Borrowed(w),
            _ => std::borrow::Cow::Owned(join_units(&self.units[x..=y])),
        }
    }
}

/// Each unit joined with the next one when both are in one paragraph (a window of two), once
/// per document rather than once per comparison.
fn windows(units: &[Unit]) -> Vec<Option<Unit>> {
    (0..units.len())
        .map(|k| {
            (k + 1 < units.len() && units[k + 1].paragraph == units[k].paragraph)
                .then(|| join_units(&units[k..=k + 1]))
        })
        .collect()
}

impl Analyzer {
    /// The best match between unit `i` of `ua` and unit `j` of `ub`, also trying each unit
    /// joined with the next clause of its paragraph (a sliding window of two), so that a
    /// sentence restated as two clauses, or two clauses restated as one, are seen whole.
    fn best_window(&self, a: Side<'_>, i: usize, b: Side<'_>, j: usize, idf: Weights<'_>) -> Seed {
        let (ua, ub) = (a.units, b.units);
        let seed =
            |a0, a1, b0, b1, dice| Seed { a0, a1, b0, b1, dice, probability: 0.0, evidence: None };
        let mut best = seed(i, i, j, j, self.similarity(&ua[i], &ub[j], idf));
        let next_a = i + 1 < ua.len() && ua[i + 1].paragraph == ua[i].paragraph;
        let next_b = j + 1 < ub.len() && ub[j + 1].paragraph == ub[j].paragraph;
        // A window counts only when it beats both of its units alone: a clause that matches
        // by itself is its own seed, and must not drag its neighbour in.
        if let (true, Some(w)) = (next_b && !(std::ptr::eq(ua, ub) && j + 1 == i), &b.windows[j]) {
            let sim = self.similarity(&ua[i], w, idf);
            if sim > best.dice && sim > self.similarity(&ua[i], &ub[j + 1], idf) {
                best = seed(i, i, j, j + 1, sim);
            }
        }
        if let (true, Some(w)) = (next_a && !(std::ptr::eq(ua, ub) && i + 1 >= j), &a.windows[i]) {
            let sim = self.similarity(w, &ub[j], idf);
            if sim > best.dice && sim > self.similarity(&ua[i + 1], &ub[j], idf) {
                best = seed(i, i + 1, j, j, sim);
            }
        }
        best
    }

    /// Weighs a seed that passed the first cut with the restatement model: true when the
    /// model's probability reaches `min_similarity`.
    fn weigh(&self, seed: &mut Seed, a: Side<'_>, b: Side<'_>, idf: &Idf, within: bool) -> bool {
        let (a, b) = (a.range(seed.a0, seed.a1), b.range(seed.b0, seed.b1));
        let e = self.evidence(&a, &b, idf);
        seed.evidence = Some(e);
        if idf.units() < FEED_UNITS {
            seed.probability = seed.dice;
            return seed.dice >= self.params.dice_threshold;
        }
        seed.probability = RESTATE_MODEL.probability(&e, within);
        seed.probability >= self.params.min_similarity
    }
}

impl Analyzer {
    /// Restatements inside one document: units at least two apart (a unit and the next are
    /// one sentence's clauses or a sentence and its sequel), in one paragraph or two. `skip`
    /// holds spans (boilerplate lines) whose units are left out; `idf` weighs terms.
    pub fn within(
        &self,
        doc: u32,
        text: &str,
        units: &[Unit],
        skip: &[Span],
        idf: &Idf,
    ) -> Vec<Restatement> {
        let idf_w = &|t| idf.weight(t);
        let eligible: Vec<bool> = units
            .iter()
            .map(|u| {
                u.terms.len() >= self.params.min_terms
                    && !skip.iter().any(|s| s.start <= u.span.start && u.span.end <= s.end)
            })
            .collect();
        let first_para = units.first().map(|u| u.paragraph);
        let wins = windows(units);
        let side = Side { units, windows: &wins };
        let mut seeds = Vec::new();
        let mut headlines = Vec::new();
        for i in 0..units.len() {
            if !eligible[i] {
                continue;
            }
            for j in i + 2..units.len() {
                if !eligible[j] {
                    continue;
                }
                if exact_dice(&units[i], &units[j], idf_w) < self.params.threshold / 2.0 {
                    continue;
                }
                let mut seed = self.best_window(side, i, side, j, idf_w);
                if seed.dice >= self.params.threshold
                    && self.weigh(&mut seed, side, side, idf, true)
                {
                    // A headline (the first paragraph: one short unit without a final stop)
                    // restated in the lead.
                    let is_headline = Some(units[i].paragraph) == first_para
                        && units.iter().filter(|u| u.paragraph == units[i].paragraph).count() == 1
                        && units[i].terms.len() <= 20
                        && !text[units[i].span.range()].ends_with(['.', '؟', '?', '!', '…'])
                        && units[j].paragraph <= units[i].paragraph + 3;
                    if is_headline {
                        headlines.push(seed);
                    } else {
                        seeds.push(seed);
                    }
                }
            }
        }
        let mut out = merge_seeds(seeds, units, units, doc, doc);
        if self.params.headlines {
            for mut r in merge_seeds(headlines, units, units, doc, doc) {
                r.kind = Kind::Headline;
                out.push(r);
            }
        }
        out
    }
}

impl Analyzer {
    /// Restatements between different documents. `docs[k]` holds the units of document
    /// number `k` and the spans to skip. Candidates come from an inverted index over the
    /// units' terms held by at most [`posting_cap`] units ([`across_pairs`]: the exact weighted
    /// Dice must reach half of the first cut), then every candidate is scored like
    /// a pair inside one document.
    pub fn across(&self, docs: &[(&[Unit], &[Span])], idf: &Idf) -> Vec<Restatement> {
        use rayon::prelude::*;
        // Unit index -> (doc, unit number).
        let mut where_: Vec<(u32, u32)> = Vec::new();
        let mut eligible: Vec<&Unit> = Vec::new();
        for (d, (units, skip)) in docs.iter().enumerate() {
            for (i, u) in units.iter().enumerate() {
                if u.terms.len() < self.params.min_terms
                    || skip.iter().any(|s| s.start <= u.span.start && u.span.end <= s.end)
                {
                    continue;
                }
                eligible.push(u);
                where_.push((d as u32, i as u32));
            }
        }
        let doc_of: Vec<u32> = where_.iter().map(|w| w.0).collect();
        let cands = across_pairs(
            &eligible,
            &doc_of,
            idf,
            posting_cap(idf, self.params.posting_share),
            self.params.threshold / 2.0,
        );
        let wins: Vec<Vec<Option<Unit>>> = docs.par_iter().map(|d| windows(d.0)).collect();
        let mut seeds: Vec<(u32, u32, Seed)> = cands
            .par_iter()
            .filter_map(|&(x, y)| {
                let ((da, ia), (db, ib)) = (where_[x as usize], where_[y as usize]);
                let a = Side { units: docs[da as usize].0, windows: &wins[da as usize] };
                let b = Side { units: docs[db as usize].0, windows: &wins[db as usize] };
                let mut seed = self.best_window(a, ia as usize, b, ib as usize, &|t| idf.weight(t));
                (seed.dice >= self.params.threshold && self.weigh(&mut seed, a, b, idf, false))
                    .then_some((da, db, seed))
            })
            .collect();
        seeds.sort_by_key(|x| (x.0, x.1, x.2.a0, x.2.b0));
        let mut out = Vec::new();
        for chunk in seeds.chunk_by(|x, y| (x.0, x.1) == (y.0, y.1)) {
            let (da, db) = (chunk[0].0, chunk[0].1);
            let pairs = chunk.iter().map(|s| s.2).collect();
            out.extend(merge_seeds(pairs, docs[da as usize].0, docs[db as usize].0, da, db));
        }
        out
    }
}
