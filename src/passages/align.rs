//! Seeding, weighing and merging: unit pairs above the first cut are seeds, the restatement
//! model weighs them, and seeds adjacent in both documents merge into passage pairs.

use super::candidates::{across_pairs, exact_dice, posting_cap};
use super::lists::{list_items, template_items, UnitRange};
use super::model::{Evidence, RESTATE_MODEL};
use super::terms::{
    all_terms, dice_of, in_bloom, long_terms, soft_matched, term_bloom, Idf, Relation, Rows,
};
use super::units::{join_units, Unit};
use super::{Analyzer, Kind, MatchKind, Place, Restatement, Weights};
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

/// `v.sort_by_key(key)` (a stable sort), moving each item once: the keys are sorted with
/// their places (ties by place, as a stable sort leaves them), then the items are put in that
/// order. For items large to move (seeds and restatements carry their [`Evidence`]).
pub(super) fn sort_by_key_cheaply<T, K: Ord>(v: &mut Vec<T>, key: impl Fn(&T) -> K) {
    let mut order: Vec<(K, usize)> = v.iter().enumerate().map(|(k, x)| (key(x), k)).collect();
    order.sort_unstable();
    let mut items: Vec<Option<T>> = v.drain(..).map(Some).collect();
    v.extend(order.into_iter().map(|(_, k)| items[k].take().expect("each place once")));
}

/// Keeps the seeds of two documents that are the best match (by the model's probability,
/// ties kept) of at least one of the units they cover, on either side: a unit that another
/// unit of the other document restates better is not also paired with a unit that has its
/// own better match there (a reprint's preamble against the next clause of the other copy).
fn best_of_either_side(seeds: &mut Vec<Seed>) {
    if seeds.len() < 2 {
        return;
    }
    let mut best_a: ahash::AHashMap<usize, f64> = ahash::AHashMap::new();
    let mut best_b: ahash::AHashMap<usize, f64> = ahash::AHashMap::new();
    for s in seeds.iter() {
        for i in s.a0..=s.a1 {
            let e = best_a.entry(i).or_insert(f64::NEG_INFINITY);
            *e = e.max(s.probability);
        }
        for j in s.b0..=s.b1 {
            let e = best_b.entry(j).or_insert(f64::NEG_INFINITY);
            *e = e.max(s.probability);
        }
    }
    seeds.retain(|s| {
        (s.a0..=s.a1).any(|i| s.probability >= best_a[&i])
            || (s.b0..=s.b1).any(|j| s.probability >= best_b[&j])
    });
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
            !used[k]
                && x.a0 >= i0
                && x.a0 <= i1 + 1
                && x.b0 >= j0
                && x.b0 <= j1 + 1
                && ua[x.a1].paragraph == ua[i0].paragraph
                && ub[x.b1].paragraph == ub[j0].paragraph
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

/// For each unit, the first and last unit of its sentence ([`Unit::sentence`]).
fn sentence_ranges(units: &[Unit]) -> Vec<UnitRange> {
    let mut out = Vec::with_capacity(units.len());
    for run in units.chunk_by(|x, y| x.sentence == y.sentence) {
        let first = out.len();
        out.extend(std::iter::repeat_n((first, first + run.len() - 1), run.len()));
    }
    out
}

/// Term weights as a function, for the comparisons of [`Analyzer::similarity`].
type WeightOf<'w> = &'w dyn Fn(u64) -> f64;

/// The units of one document and what the fast soft match reads of their windows (each unit
/// joined with the next clause of its paragraph, [`windows`]).
#[derive(Clone, Copy)]
struct Side<'u> {
    units: &'u [Unit],
    /// What the fast soft match reads of each unit ([`Aux`]).
    aux: &'u [Aux],
}

/// What [`fast_window`] reads of a unit besides its terms.
#[derive(Clone, Copy, Default)]
pub(super) struct Aux {
    /// Its terms whose skeletons can match softly ([`long_terms`]).
    soft: u64,
    /// The total weight of its terms (as [`Unit::total_weight`] sums them).
    total: f64,
    /// It can take the fast soft match ([`relatable`]).
    relatable: bool,
    /// Its terms as a [`term_bloom`].
    bloom: [u64; 2],
    /// It has a window: the next unit is in its paragraph.
    window: bool,
    /// Where it has a window: the terms (bits) of the next unit that it lacks (the window's
    /// terms are the unit's then these, as [`join_units`] makes them).
    fresh: u64,
    /// The total weight of its window.
    window_total: f64,
}

impl<'u> Side<'u> {
    /// Units `x..=y` as one unit.
    fn range(&self, x: usize, y: usize) -> std::borrow::Cow<'u, Unit> {
        if x == y {
            std::borrow::Cow::Borrowed(&self.units[x])
        } else {
            std::borrow::Cow::Owned(join_units(&self.units[x..=y]))
        }
    }
}

/// What [`fast_window`] reads of each unit and of its window (the unit joined with the next
/// one when both are in one paragraph, as [`join_units`] would make it; the window itself is
/// made only for a seed that spans it): once per document rather than once per comparison.
pub(super) fn windows(units: &[Unit]) -> Vec<Aux> {
    (0..units.len())
        .map(|k| {
            let u = &units[k];
            let mine = Aux {
                soft: long_terms(u),
                total: u.total_weight(&|_| 0.0),
                relatable: relatable(u),
                bloom: term_bloom(&u.terms),
                ..Aux::default()
            };
            let Some(next) = units.get(k + 1).filter(|n| n.paragraph == u.paragraph) else {
                return mine;
            };
            let fresh = || next.terms.iter().enumerate().filter(|(_, t)| !u.terms.contains(t));
            let weighed =
                u.weights.len() == u.terms.len() && next.weights.len() == next.terms.len();
            // The window's weights in its order (the unit's, then the next unit's new terms),
            // summed as `Unit::total_weight` sums them.
            let window_total = if weighed {
                u.weights.iter().chain(fresh().map(|(c, _)| &next.weights[c])).sum()
            } else {
                0.0
            };
            let bits =
                fresh().filter(|&(c, _)| c < Relation::MAX).fold(0u64, |m, (c, _)| m | 1 << c);
            Aux { window: true, fresh: bits, window_total, ..mine }
        })
        .collect()
}

/// Whether the exact weighted Dice of units `i` of `a` and `j` of `b` ([`exact_dice`]) reaches
/// `cut`, the same answer bit for bit: where both are weighed, a term of the first is looked
/// for in the second only where the second's [`term_bloom`] may hold it (a superset of those
/// shared: the same terms summed in the same order), with the totals the windows hold.
fn exact_reaches(
    a: Side<'_>,
    i: usize,
    b: Side<'_>,
    j: usize,
    cut: f64,
    idf: WeightOf<'_>,
) -> bool {
    let (x, y) = (&a.units[i], &b.units[j]);
    if x.weights.len() != x.terms.len() || y.weights.len() != y.terms.len() {
        return exact_dice(x, y, idf) >= cut;
    }
    // The totals as `exact_dice` sums them (`Unit::total_weight` of weighed units).
    let (wx, wy) = (a.aux[i].total, b.aux[j].total);
    if wx == 0.0 || wy == 0.0 {
        return 0.0 >= cut;
    }
    let bloom = &b.aux[j].bloom;
    let shared: f64 = x
        .terms
        .iter()
        .zip(&x.weights)
        .filter(|(&t, _)| in_bloom(bloom, t) && y.terms.contains(&t))
        .map(|(_, w)| w)
        .sum();
    2.0 * shared / (wx + wy) >= cut
}

/// Whether a unit can take the fast soft match of [`fast_window`]: weighed, and at most
/// [`Relation::MAX`] terms.
fn relatable(u: &Unit) -> bool {
    u.terms.len() <= Relation::MAX && u.weights.len() == u.terms.len()
}

/// [`Analyzer::best_window`] by the relations of the units ([`Relation`]): the same seed, bit
/// for bit, with each pair of units' terms compared once; with it, the relation of the two
/// units (soft matches included), which aligns them when the seed is the two units alone.
/// `None` where a unit involved has more than [`Relation::MAX`] terms or no weights: the slow
/// path.
fn fast_window(a: Side<'_>, i: usize, b: Side<'_>, j: usize) -> Option<(Seed, Relation)> {
    let (ua, ub) = (a.units, b.units);
    let same = std::ptr::eq(ua, ub);
    let win_b = b.aux[j].window && !(same && j + 1 == i);
    let win_a = a.aux[i].window && !(same && i + 1 >= j);
    if !a.aux[i].relatable
        || !b.aux[j].relatable
        || (win_b && !b.aux[j + 1].relatable)
        || (win_a && !a.aux[i + 1].relatable)
    {
        return None;
    }
    let (x, y) = (&ua[i], &ub[j]);
    let (ax, ay) = (&a.aux[i], &b.aux[j]);
    let (wx, wy) = (ax.total, ay.total);
    let seed =
        |a0, a1, b0, b1, dice| Seed { a0, a1, b0, b1, dice, probability: 0.0, evidence: None };
    let mut rel = Relation::exact(x, y, ay.bloom);
    let mut rel_b = win_b.then(|| Relation::exact(x, &ub[j + 1], b.aux[j + 1].bloom));
    let mut rel_a = win_a.then(|| Relation::exact(&ua[i + 1], y, ay.bloom));
    rel.add_soft(x, y, ax.soft, ay.soft);
    fn rows<'r>(to_first: &'r Relation, to_second: Option<&'r Relation>, u: &'r Unit) -> Rows<'r> {
        Rows { to_first, to_second, terms: all_terms(u.terms.len()), weights: &u.weights }
    }
    let one = soft_matched(&[rows(&rel, None, x)], &y.weights, &[], 0);
    let mut best = seed(i, i, j, j, dice_of(one, wx, wy));
    // A window counts only when it beats both of its units alone (as in `best_window`).
    if let Some(rel1) = &mut rel_b {
        let y1 = &ub[j + 1];
        rel1.add_soft(x, y1, ax.soft, b.aux[j + 1].soft);
        let m = soft_matched(&[rows(&rel, Some(rel1), x)], &y.weights, &y1.weights, ay.fresh);
        let sim = dice_of(m, wx, ay.window_total);
        if sim > best.dice {
            let alone = soft_matched(&[rows(rel1, None, x)], &y1.weights, &[], 0);
            if sim > dice_of(alone, wx, b.aux[j + 1].total) {
                best = seed(i, i, j, j + 1, sim);
            }
        }
    }
    if let Some(rel1) = &mut rel_a {
        let x1 = &ua[i + 1];
        rel1.add_soft(x1, y, a.aux[i + 1].soft, ay.soft);
        let m = soft_matched(
            &[
                rows(&rel, None, x),
                Rows { to_first: rel1, to_second: None, terms: ax.fresh, weights: &x1.weights },
            ],
            &y.weights,
            &[],
            0,
        );
        let sim = dice_of(m, ax.window_total, wy);
        if sim > best.dice {
            let alone = soft_matched(&[rows(rel1, None, x1)], &y.weights, &[], 0);
            if sim > dice_of(alone, a.aux[i + 1].total, wy) {
                best = seed(i, i + 1, j, j, sim);
            }
        }
    }
    Some((best, rel))
}

impl Analyzer {
    /// The best match between unit `i` of `ua` and unit `j` of `ub`, also trying each unit
    /// joined with the next clause of its paragraph (a sliding window of two), so that a
    /// sentence restated as two clauses, or two clauses restated as one, are seen whole.
    /// With the seed, the relation of units `i` and `j` where [`fast_window`] made one.
    fn best_window(
        &self,
        a: Side<'_>,
        i: usize,
        b: Side<'_>,
        j: usize,
        idf: WeightOf<'_>,
    ) -> (Seed, Option<Relation>) {
        match fast_window(a, i, b, j) {
            Some((s, rel)) => (s, Some(rel)),
            None => (self.slow_window(a, i, b, j, idf), None),
        }
    }

    /// [`Analyzer::best_window`] by [`Analyzer::similarity`] of each unit and window: for
    /// units [`fast_window`] does not take.
    fn slow_window(&self, a: Side<'_>, i: usize, b: Side<'_>, j: usize, idf: WeightOf<'_>) -> Seed {
        let (ua, ub) = (a.units, b.units);
        let seed =
            |a0, a1, b0, b1, dice| Seed { a0, a1, b0, b1, dice, probability: 0.0, evidence: None };
        let mut best = seed(i, i, j, j, self.similarity(&ua[i], &ub[j], idf));
        let next_a = i + 1 < ua.len() && ua[i + 1].paragraph == ua[i].paragraph;
        let next_b = j + 1 < ub.len() && ub[j + 1].paragraph == ub[j].paragraph;
        // A window counts only when it beats both of its units alone: a clause that matches
        // by itself is its own seed, and must not drag its neighbour in.
        if next_b && !(std::ptr::eq(ua, ub) && j + 1 == i) {
            let sim = self.similarity(&ua[i], &join_units(&ub[j..=j + 1]), idf);
            if sim > best.dice && sim > self.similarity(&ua[i], &ub[j + 1], idf) {
                best = seed(i, i, j, j + 1, sim);
            }
        }
        if next_a && !(std::ptr::eq(ua, ub) && i + 1 >= j) {
            let sim = self.similarity(&join_units(&ua[i..=i + 1]), &ub[j], idf);
            if sim > best.dice && sim > self.similarity(&ua[i + 1], &ub[j], idf) {
                best = seed(i, i + 1, j, j, sim);
            }
        }
        best
    }

    /// Weighs a seed that passed the first cut with the restatement model: true when the
    /// model's probability reaches `min_similarity`; never when the units' numbers conflict
    /// ([`Evidence::numbers_conflict`]) or their words refer to other numbers of people
    /// ([`Evidence::referents_conflict`]). `rel`, the relation of the seed's first units
    /// ([`Analyzer::best_window`]), aligns a seed of one unit on each side without comparing
    /// their terms again (the same alignment as [`Analyzer::align`]). `dropped`: the caller
    /// drops a rejected seed (never reads its evidence or probability).
    #[allow(clippy::too_many_arguments)]
    fn weigh(
        &self,
        seed: &mut Seed,
        a: Side<'_>,
        b: Side<'_>,
        idf: &Idf,
        within: bool,
        dropped: bool,
        rel: Option<&Relation>,
    ) -> bool {
        // A seed the model must reject is rejected before its order and substitutions are
        // found ([`Analyzer::evidence_or_rejected`]) where the caller drops it then (`dropped`:
        // its evidence and probability never read), under the probability the decision asks
        // of the model ([`Analyzer::model_cut`]).
        let cut = if dropped { self.model_cut(idf).map(|c| (c, within)) } else { None };
        let e = match rel {
            Some(rel) if seed.a0 == seed.a1 && seed.b0 == seed.b1 => {
                let (x, y) = (&a.units[seed.a0], &b.units[seed.b0]);
                // A relation is made of weighed units ([`relatable`]): their totals are the
                // windows' (`Unit::total_weight`, the sum `evidence_aligned` makes).
                let totals = (a.aux[seed.a0].total, b.aux[seed.b0].total);
                self.evidence_or_rejected(x, y, rel.matches(x, y), idf, Some(totals), cut)
            }
            _ => {
                let (a, b) = (a.range(seed.a0, seed.a1), b.range(seed.b0, seed.b1));
                self.evidence_or_rejected(&a, &b, self.aligned(&a, &b), idf, None, cut)
            }
        };
        let Some(e) = e else {
            seed.probability = 0.0;
            return false;
        };
        self.decide(seed, e, idf, within)
    }

    /// The probability of the restatement model below which [`Analyzer::decide`] rejects a
    /// seed under these weights: `min_similarity` under a feed's, the veto under a
    /// background's; none under a small input's own weights (the Dice decides alone).
    fn model_cut(&self, idf: &Idf) -> Option<f64> {
        match idf.weights() {
            Weights::Background => Some(self.params.background_veto),
            Weights::Feed => Some(self.params.min_similarity),
            Weights::Own => None,
        }
    }

    /// The decision of [`Analyzer::weigh`] on evidence `e` of `seed`.
    fn decide(&self, seed: &mut Seed, e: Evidence, idf: &Idf, within: bool) -> bool {
        seed.evidence = Some(e);
        if e.numbers_conflict() || e.referents_conflict() {
            seed.probability = 0.0;
            return false;
        }
        // The one cut of the model's probability, shared with the early rejection of `weigh`.
        match self.model_cut(idf) {
            // A feed's weights: the model decides.
            Some(cut) if !idf.background => {
                seed.probability = RESTATE_MODEL.probability(&e, within);
                seed.probability >= cut
            }
            // One article or a few under background weights (`super::background`): the
            // model vetoes what it weighs as unrelated, then the weighted soft Dice decides.
            Some(veto) if RESTATE_MODEL.probability(&e, within) < veto => {
                seed.probability = 0.0;
                false
            }
            // The Dice decides (after the veto, or under a small input's own weights).
            _ => {
                seed.probability = seed.dice;
                seed.dice >= self.params.dice_threshold
            }
        }
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
        self.within_windows(doc, text, units, &windows(units), skip, idf)
    }

    /// [`Analyzer::within`] with the units' [`windows`] made by the caller (once for both
    /// passes of [`super::find`]).
    pub(super) fn within_windows(
        &self,
        doc: u32,
        text: &str,
        units: &[Unit],
        aux: &[Aux],
        skip: &[Span],
        idf: &Idf,
    ) -> Vec<Restatement> {
        let idf_w = &|t| idf.weight(t);
        let skipped: Vec<bool> = units
            .iter()
            .map(|u| skip.iter().any(|s| s.start <= u.span.start && u.span.end <= s.end))
            .collect();
        let eligible: Vec<bool> = units
            .iter()
            .zip(&skipped)
            .map(|(u, &skipped)| u.terms.len() >= self.params.min_terms && !skipped)
            .collect();
        let first_para = units.first().map(|u| u.paragraph);
        // A headline (the first paragraph: one short unit without a final stop) restated in
        // the lead.
        let is_headline = |i: usize, j: usize| {
            Some(units[i].paragraph) == first_para
                && units.iter().filter(|u| u.paragraph == units[i].paragraph).count() == 1
                && units[i].terms.len() <= 20
                && !text[units[i].span.range()].ends_with(['.', '؟', '?', '!', '…'])
                && units[j].paragraph <= units[i].paragraph + 3
        };
        let sentence = sentence_ranges(units);
        // Two items of one numbered list are two things, not one told twice.
        let item = list_items(text, units);
        let same_list = |i: usize, j: usize| item[i].is_some() && item[i] == item[j];
        let side = Side { units, aux };
        let mut seeds = Vec::new();
        let mut headlines = Vec::new();
        // Sentence pairs to compare whole (those of a clause pair past the first cut, where
        // either sentence has more than one clause), with the best probability of their
        // clause pairs and windows. (Registering every pair past the exact cut instead cost
        // 3-6% of the feed's CPU and found no labelled pair more.)
        let mut whole: ahash::AHashMap<(UnitRange, UnitRange), f64> = ahash::AHashMap::new();
        for i in 0..units.len() {
            if !eligible[i] {
                continue;
            }
            for j in i + 2..units.len() {
                if !eligible[j] || same_list(sentence[i].0, sentence[j].0) {
                    continue;
                }
                if !exact_reaches(side, i, side, j, self.params.threshold / 2.0, idf_w) {
                    continue;
                }
                let (mut seed, rel) = self.best_window(side, i, side, j, idf_w);
                let weighed = seed.dice >= self.params.threshold;
                // The probability of a seed of two sentences of one clause each is read only
                // where the model takes it.
                let alone = sentence[i] == (i, i) && sentence[j] == (j, j);
                let taken =
                    weighed && self.weigh(&mut seed, side, side, idf, true, alone, rel.as_ref());
                if weighed && !alone {
                    let best = whole.entry((sentence[i], sentence[j])).or_insert(0.0);
                    *best = best.max(seed.probability);
                }
                if taken {
                    if is_headline(i, j) {
                        headlines.push(seed);
                    } else {
                        seeds.push(seed);
                    }
                }
            }
        }
        // Sentences compared whole, as readers compare them (and as the model was fitted): a
        // short sentence that restates a long one's clauses ("وقد تم تنفيذ حكم القتل قصاصًا
        // بالجاني ..." against the statement's first two clauses) matches no clause alone. As
        // with a window, the whole counts only when the model weighs it above each of its clause
        // pairs: a clause that matches by itself is its own seed, and must not drag its
        // neighbours in.
        let mut whole: Vec<_> = whole.into_iter().collect();
        whole.sort_unstable_by_key(|&(k, _)| k);
        for (((a0, a1), (b0, b1)), best) in whole {
            if a1 + 1 >= b0 || skipped[a0..=a1].iter().chain(&skipped[b0..=b1]).any(|&s| s) {
                continue;
            }
            let (x, y) = (side.range(a0, a1), side.range(b0, b1));
            let dice = self.similarity(&x, &y, idf_w);
            let mut seed = Seed { a0, a1, b0, b1, dice, probability: 0.0, evidence: None };
            if dice >= self.params.threshold
                && self.decide(&mut seed, self.evidence(&x, &y, idf), idf, true)
                && seed.probability > best
            {
                if is_headline(a0, b0) {
                    headlines.push(seed);
                } else {
                    seeds.push(seed);
                }
            }
        }
        // A list told in one template is as many things, not one told again.
        let ranges: Vec<(UnitRange, UnitRange)> =
            seeds.iter().map(|x| ((x.a0, x.a1), (x.b0, x.b1))).collect();
        let mut items = template_items(&ranges).into_iter();
        seeds.retain(|_| !items.next().unwrap_or(false));
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
    /// Dice must reach [`PassageParams::across_dice`](super::PassageParams)), then every
    /// candidate is scored like a pair inside one document.
    pub fn across(&self, docs: &[(&[Unit], &[Span])], idf: &Idf) -> Vec<Restatement> {
        use rayon::prelude::*;
        let aux: Vec<Vec<Aux>> = docs.par_iter().map(|d| windows(d.0)).collect();
        self.across_windows(docs, &aux, idf)
    }

    /// [`Analyzer::across`] with each document's [`windows`] made by the caller (`aux[k]`
    /// of document `k`).
    pub(super) fn across_windows(
        &self,
        docs: &[(&[Unit], &[Span])],
        aux: &[Vec<Aux>],
        idf: &Idf,
    ) -> Vec<Restatement> {
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
            self.params.across_cut(),
        );
        let mut seeds: Vec<(u32, u32, Seed)> = cands
            .par_iter()
            .filter_map(|&(x, y)| {
                let ((da, ia), (db, ib)) = (where_[x as usize], where_[y as usize]);
                let a = Side { units: docs[da as usize].0, aux: &aux[da as usize] };
                let b = Side { units: docs[db as usize].0, aux: &aux[db as usize] };
                let (mut seed, rel) =
                    self.best_window(a, ia as usize, b, ib as usize, &|t| idf.weight(t));
                (seed.dice >= self.params.threshold
                    && self.weigh(&mut seed, a, b, idf, false, true, rel.as_ref()))
                .then_some((da, db, seed))
            })
            .collect();
        sort_by_key_cheaply(&mut seeds, |x| (x.0, x.1, x.2.a0, x.2.b0));
        // Which units of each document take part (long enough, not boilerplate).
        let mut ok: Vec<Vec<bool>> = docs.iter().map(|d| vec![false; d.0.len()]).collect();
        for &(d, i) in &where_ {
            ok[d as usize][i as usize] = true;
        }
        let chunks: Vec<&[(u32, u32, Seed)]> =
            seeds.chunk_by(|x, y| (x.0, x.1) == (y.0, y.1)).collect();
        chunks
            .par_iter()
            .flat_map_iter(|chunk| {
                let (da, db) = (chunk[0].0 as usize, chunk[0].1 as usize);
                let a = Side { units: docs[da].0, aux: &aux[da] };
                let b = Side { units: docs[db].0, aux: &aux[db] };
                let mut pairs: Vec<Seed> = chunk.iter().map(|s| s.2).collect();
                self.extend_diagonal(&mut pairs, a, b, (&ok[da], &ok[db]), idf);
                best_of_either_side(&mut pairs);
                merge_seeds(pairs, a.units, b.units, da as u32, db as u32)
            })
            .collect()
    }

    /// Follows each seed of two documents along the diagonal: the unit pairs right after its
    /// end and right before its start in both documents are scored like candidates (the same
    /// exact Dice cut, window and model), and each one taken is followed in turn. A restated
    /// passage goes on clause by clause, and a clause of common words only (no term under the
    /// posting cap: "وتهدف إلى تنمية مهارات ... أعضاء الفريق") is never a candidate of the
    /// index by itself. `ok` says which units of each document take part.
    fn extend_diagonal(
        &self,
        seeds: &mut Vec<Seed>,
        a: Side<'_>,
        b: Side<'_>,
        ok: (&[bool], &[bool]),
        idf: &Idf,
    ) {
        let w = |t| idf.weight(t);
        let mut tried: ahash::AHashSet<(usize, usize)> = ahash::AHashSet::new();
        let covered = |s: &[Seed], i: usize, j: usize| {
            s.iter().any(|x| x.a0 <= i && i <= x.a1 && x.b0 <= j && j <= x.b1)
        };
        let mut frontier: Vec<Seed> = seeds.clone();
        while let Some(s) = frontier.pop() {
            let next = [(s.a1 + 1, s.b1 + 1), (s.a0.wrapping_sub(1), s.b0.wrapping_sub(1))];
            for (i, j) in next {
                if i >= a.units.len()
                    || j >= b.units.len()
                    || !ok.0[i]
                    || !ok.1[j]
                    || !tried.insert((i, j))
                    || covered(seeds, i, j)
                {
                    continue;
                }
                if !exact_reaches(a, i, b, j, self.params.across_cut(), &w) {
                    continue;
                }
                let (mut seed, rel) = self.best_window(a, i, b, j, &w);
                if seed.dice >= self.params.threshold
                    && self.weigh(&mut seed, a, b, idf, false, true, rel.as_ref())
                {
                    seeds.push(seed);
                    frontier.push(seed);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_rejected_early_only_under_the_model_cut_the_decision_uses() {
        let a = Analyzer::default();
        let p = a.params;
        let feed_sets: Vec<Vec<u64>> = (0..2000u64).map(|k| vec![k, k + 1]).collect();
        let feed = Idf::from_key_sets(feed_sets.iter().map(Vec::as_slice));
        let small = Idf::from_key_sets([[1u64, 2].as_slice(), [2, 3].as_slice()]);
        let background = Idf::from_frequencies([(1u64, 1e-4)], 228_093.0, 20.0);
        assert_eq!(a.model_cut(&feed), Some(p.min_similarity));
        // Under a background the Dice decides and the model only vetoes: the veto, not the
        // feed's cut (which would drop pairs the decision takes).
        assert_eq!(a.model_cut(&background), Some(p.background_veto));
        assert_eq!(a.model_cut(&small), None);
    }

    /// The units, term weights and restatements across documents of `texts`.
    fn across_of(an: &Analyzer, texts: &[String]) -> (Vec<Vec<Unit>>, Idf, Vec<Restatement>) {
        let mut docs: Vec<Vec<Unit>> = texts.iter().map(|t| an.units(t)).collect();
        let refs: Vec<&[Unit]> = docs.iter().map(Vec::as_slice).collect();
        let idf = Idf::new(&refs);
        for d in &mut docs {
            idf.weigh(d);
        }
        let per_doc: Vec<(&[Unit], &[Span])> =
            docs.iter().map(|d| (d.as_slice(), &[][..])).collect();
        let found = an.across(&per_doc, &idf);
        (docs, idf, found)
    }

    #[test]
    fn a_seed_is_followed_into_a_clause_of_common_words() {
        let an = Analyzer::default();
        let common = "harbour council traffic container rising authority reported weekly";
        // The common clause in 100 documents: its terms are past the posting cap.
        let mut texts: Vec<String> = (0..100)
            .map(|k| format!("Filler{k} item{k} note{k} entry{k} line{k}. {common}."))
            .collect();
        let restated = format!("Zorblax quintar vemmish plorbatt snazzle frimpish. {common}.");
        texts.push(restated.clone());
        texts.push(restated);
        let (docs, idf, found) = across_of(&an, &texts);
        let (x, y) = (100u32, 101u32);
        assert_eq!(docs[100].len(), 2, "{:?}", docs[100]);
        // The index never pairs the common clauses ...
        let units: Vec<&Unit> = docs.iter().flatten().collect();
        let doc: Vec<u32> =
            docs.iter().enumerate().flat_map(|(d, u)| vec![d as u32; u.len()]).collect();
        let cap = posting_cap(&idf, an.params().posting_share);
        assert!(docs[100][1].terms.iter().all(|&t| idf.df(t) > cap));
        let cands = across_pairs(&units, &doc, &idf, cap, an.params().across_dice);
        let at = |d: usize, i: usize| (docs[..d].iter().map(Vec::len).sum::<usize>() + i) as u32;
        assert!(cands.contains(&(at(100, 0), at(101, 0))));
        assert!(!cands.contains(&(at(100, 1), at(101, 1))));
        // ... but the seed of the rare clauses is followed into them: one passage, both
        // sentences on each side.
        let pair: Vec<&Restatement> =
            found.iter().filter(|r| (r.a.doc, r.b.doc) == (x, y)).collect();
        assert_eq!(pair.len(), 1, "{pair:?}");
        assert_eq!(
            (pair[0].a.start, pair[0].a.end),
            (docs[100][0].span.start, docs[100][1].span.end)
        );
        assert_eq!(
            (pair[0].b.start, pair[0].b.end),
            (docs[101][0].span.start, docs[101][1].span.end)
        );
        // A filler document shares the common clause only: no seed, no passage.
        assert!(found.iter().all(|r| r.a.doc >= 100 && r.b.doc >= 100), "{found:?}");
    }

    #[test]
    fn a_unit_pairs_only_where_it_is_the_better_match_of_one_side() {
        let seed = |a0, a1, b0, b1, probability| Seed {
            a0,
            a1,
            b0,
            b1,
            dice: probability,
            probability,
            evidence: None,
        };
        // Two copies of one decision: preamble 0 = 0 and item 1 = 1; item 1 also matches the
        // other copy's preamble (they name the same board), less well than either copy's own.
        // Unit 4 is told twice in the other document (5 and 6): both tellings stay, as does a
        // window (7..8 against 9) that is the best of its units.
        let mut seeds = vec![
            seed(0, 0, 0, 0, 0.95),
            seed(1, 1, 1, 1, 0.9),
            seed(1, 1, 0, 0, 0.6),
            seed(4, 4, 5, 5, 0.8),
            seed(4, 4, 6, 6, 0.7),
            seed(7, 8, 9, 9, 0.75),
            seed(8, 8, 9, 9, 0.7),
        ];
        best_of_either_side(&mut seeds);
        let kept: Vec<(usize, usize, usize, usize)> =
            seeds.iter().map(|s| (s.a0, s.a1, s.b0, s.b1)).collect();
        assert_eq!(kept, [(0, 0, 0, 0), (1, 1, 1, 1), (4, 4, 5, 5), (4, 4, 6, 6), (7, 8, 9, 9)]);
    }

    #[test]
    fn sorting_cheaply_is_the_stable_sort() {
        let mut x: Vec<(u32, u32)> = (0..200u32).map(|k| ((k * 7919) % 13, k)).collect();
        let mut y = x.clone();
        x.sort_by_key(|p| p.0);
        sort_by_key_cheaply(&mut y, |p| p.0);
        assert_eq!(x, y);
    }

    #[test]
    fn a_passage_ends_with_its_paragraph() {
        let an = Analyzer::default();
        let text = "Zorblax quintar vemmish plorbatt snazzle frimpish tolder.\n\n\
                    Gruntwick mellor spandle quiffet raskon blemmer drouth."
            .to_owned();
        let (docs, _, found) = across_of(&an, &[text.clone(), text]);
        assert_eq!(docs[0].len(), 2);
        assert_ne!(docs[0][0].paragraph, docs[0][1].paragraph);
        // Two seeds adjacent in both documents, one passage per paragraph.
        assert_eq!(found.len(), 2, "{found:?}");
        for (r, u) in found.iter().zip(&docs[0]) {
            assert_eq!((r.a.start, r.a.end), (u.span.start, u.span.end));
            assert_eq!((r.b.start, r.b.end), (u.span.start, u.span.end));
        }
    }

    #[test]
    fn a_sentence_of_two_clauses_is_compared_whole() {
        let an = Analyzer::default();
        // The last sentence tells the first one's four facts (the hospital, its beds, the
        // diseases, the villages) two to a clause in another arrangement: no clause pair and
        // no window of two reaches the decision's cut, the two sentences compared whole do.
        let text = "افتتحت الحكومة رسميا بحضور المحافظ مستشفى الملك خالد بسعة ثلاثمائة سرير \
                    جديد، ويعالج قسم الطوارئ والعيادات أمراض القلب والكلى لدى سكان القرى \
                    المجاورة طوال الأسبوع. وتحدث المواطنون عن أهمية الطرق السريعة في المنطقة \
                    الشرقية خلال فصل الصيف. وشهدت الأسواق التجارية إقبالا كبيرا من المتسوقين \
                    قبل حلول عيد الفطر. وأكد المدير التنفيذي بحضور المحافظ أن مستشفى الملك خالد \
                    متخصص في أمراض القلب والكلى، ويستقبل المبنى الحديث المكون من ثلاثمائة سرير جديد \
                    سكان القرى المجاورة كافة.";
        let mut units = an.units(text);
        let idf = Idf::new(&[&units[..]]);
        idf.weigh(&mut units);
        let sentences: Vec<usize> = units.iter().map(|u| u.sentence).collect();
        assert_eq!(sentences, [0, 0, 1, 2, 3, 3], "{units:?}");
        let w = |t| idf.weight(t);
        let alone: Vec<f64> = [(0, 4), (0, 5), (1, 4), (1, 5)]
            .iter()
            .map(|&(i, j)| an.similarity(&units[i], &units[j], &w))
            .collect();
        // One clause pair past the first cut (weighed), none at the decision's.
        assert!(alone.iter().any(|&d| d >= an.params.threshold), "{alone:?}");
        assert!(alone.iter().all(|&d| d < an.params.dice_threshold), "{alone:?}");
        let found = an.within(0, text, &units, &[], &idf);
        assert_eq!(found.len(), 1, "{found:?}");
        let r = &found[0];
        assert_eq!((r.a.start, r.a.end), (units[0].span.start, units[1].span.end));
        assert_eq!((r.b.start, r.b.end), (units[4].span.start, units[5].span.end));
    }

    #[test]
    fn clauses_that_match_alone_stay_clauses() {
        let an = Analyzer::default();
        // The last sentence tells the first one's two clauses in the other order, each clause
        // matching one alone: two passages of a clause each, not the sentences whole.
        let text = "أعلنت وزارة الصحة افتتاح مستشفى الملك خالد الجديد في محافظة الخرج بسعة \
                    ثلاثمائة سرير، ويضم المستشفى مركزا متخصصا لعلاج أمراض القلب والكلى لسكان \
                    القرى المجاورة. وتحدث المواطنون عن أهمية الطرق السريعة في المنطقة الشرقية \
                    خلال فصل الصيف. وشهدت الأسواق التجارية إقبالا كبيرا من المتسوقين قبل عيد \
                    الفطر. ويخدم مركز علاج أمراض القلب والكلى في المستشفى سكان القرى المجاورة، \
                    وكانت وزارة الصحة قد افتتحت مستشفى الملك خالد في محافظة الخرج بسعة ثلاثمائة \
                    سرير.";
        let mut units = an.units(text);
        let idf = Idf::new(&[&units[..]]);
        idf.weigh(&mut units);
        assert_eq!(units.iter().map(|u| u.sentence).collect::<Vec<_>>(), [0, 0, 1, 2, 3, 3]);
        let mut found: Vec<_> = an
            .within(0, text, &units, &[], &idf)
            .iter()
            .map(|r| ((r.a.start, r.a.end), (r.b.start, r.b.end)))
            .collect();
        found.sort_unstable();
        let span = |k: usize| (units[k].span.start, units[k].span.end);
        assert_eq!(found, [(span(0), span(5)), (span(1), span(4))]);
    }

    #[test]
    fn fast_window_is_the_slow_window_bit_for_bit() {
        let an = Analyzer::default();
        let texts = [
            "وأكد في 8 نوفمبر أن الرئيس الروسي خليفة حفتر لن يأتي إلى إيطاليا مطلقا، وقال المتحدث باسم الحكومة الإيطالية إن المؤتمر سيعقد في باليرمو. وأضاف أن الأطراف الليبية ستحضر.\n\nوفي 29 مايو 2018 وافقت الفصائل على إجراء انتخابات رئاسية، وحضر المؤتمر الأمين العام لجامعة الدول العربية.",
            "ليعود ويؤكد في الثامن نوفمبر أن خليفة هفتار بوتين لن يذهب إلى إيطاليا، وأوضح متحدث الحكومة الايطالية أن مؤتمر باليرمو سيعقد. وقال إن الاطراف الليبية ستشارك.\n\nووافقت الفصائل الليبية في 29 مايو عام2018 على انتخابات رئاسية وبرلمانية.",
            "The harbour authority reported container traffic rising twelve percent. Container traffic at the harbour rose by twelve percent, the authority reported, and ships waited longer.\n\nThe city council approved a bicycle lane network for the old town.",
            // The first sentence of the first text as one unit (no clause cut): a window of
            // two of the first text matches it best.
            "وأكد في 8 نوفمبر أن الرئيس الروسي خليفة حفتر لن يأتي إلى إيطاليا مطلقا وقال المتحدث باسم الحكومة الإيطالية إن المؤتمر سيعقد في باليرمو.",
        ];
        let mut docs: Vec<Vec<Unit>> = texts.iter().map(|t| an.units(t)).collect();
        let refs: Vec<&[Unit]> = docs.iter().map(Vec::as_slice).collect();
        let idf = Idf::new(&refs);
        for d in &mut docs {
            idf.weigh(d);
        }
        let made: Vec<Vec<Aux>> = docs.iter().map(|d| windows(d)).collect();
        let side = |k: usize| Side { units: &docs[k], aux: &made[k] };
        let w = |t| idf.weight(t);
        let mut compared = 0;
        let mut windowed = 0;
        for (da, db) in [(0, 1), (1, 0), (0, 0), (1, 1), (2, 2), (0, 2), (0, 3), (3, 0), (3, 1)] {
            for i in 0..docs[da].len() {
                for j in 0..docs[db].len() {
                    if da == db && j <= i {
                        continue;
                    }
                    let Some((fast, rel)) = fast_window(side(da), i, side(db), j) else {
                        panic!("docs {da} {db}, units {i} {j}: short units take the fast path");
                    };
                    let slow = an.slow_window(side(da), i, side(db), j, &w);
                    assert_eq!(
                        (fast.a0, fast.a1, fast.b0, fast.b1, fast.dice.to_bits()),
                        (slow.a0, slow.a1, slow.b0, slow.b1, slow.dice.to_bits()),
                        "docs {da} {db}, units {i} {j}"
                    );
                    // The relation aligns the two units as `align` does, match for match.
                    let (x, y) = (&docs[da][i], &docs[db][j]);
                    assert_eq!(rel.matches(x, y), an.align(x, y), "docs {da} {db}, units {i} {j}");
                    compared += 1;
                    windowed += usize::from(fast.a1 > fast.a0 || fast.b1 > fast.b0);
                }
            }
        }
        assert!(compared > 20 && windowed > 0, "{compared} {windowed}");
        // A unit of more terms than a relation holds takes the slow path.
        let long: String = (0..70).map(|k| format!("word{k} ")).collect();
        let mut big = vec![an.text_unit(&long)];
        idf.weigh(&mut big);
        let ba = windows(&big);
        let bs = Side { units: &big, aux: &ba };
        assert!(fast_window(bs, 0, side(2), 0).is_none());
    }
}
