//! Verification: a candidate pair becomes a duplicate only on evidence.
//!
//! Two kinds of evidence are weighed:
//!
//! * **resemblance**, the Jaccard similarity of the two shingle sets: estimated from the MinHash
//!   signatures ([`VerifyMode::Estimate`]), computed exactly on the shingle sets
//!   ([`VerifyMode::Exact`]), or estimated and then computed exactly for the pairs the estimate
//!   cannot decide ([`VerifyMode::Auto`], the default);
//! * **containment** of the smaller document in the larger: from the shared anchors
//!   ([`crate::lsh::anchors`]) by default, or exactly on the shingle sets in exact mode.
//!
//! A pair is a duplicate when its resemblance reaches the Jaccard threshold, or its containment
//! reaches the containment threshold (a reprint trimmed, or set inside a longer article).
//!
//! A third route serves rewrites: an outlet that runs a wire release reworded sentence by
//! sentence shares few word 5-grams with it, though nearly every sentence has its counterpart.
//! In auto mode a pair the estimate rejects, but whose anchors say at least [`COVERAGE_FLOOR`] of
//! the smaller document lies in the other, is settled on its texts: its **sentence coverage**
//! ([`coverage`]) is the share of the smaller document's sentence words in sentences that have a
//! counterpart in the other (word Dice at least [`SENTENCE_DICE`]), and a pair whose coverage
//! reaches the coverage threshold is a duplicate.

use serde::{Deserialize, Serialize};

/// How candidates are verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyMode {
    /// From signatures and anchors: no text is kept.
    Estimate,
    /// On the shingle sets, which are kept in memory (4 bytes per distinct shingle).
    Exact,
    /// From signatures and anchors where they decide the pair: a pair whose estimate lies
    /// within three standard errors of a threshold ([`margin`]) is settled exactly on the two
    /// texts' shingle sets, read again for that purpose.
    Auto,
}

impl VerifyMode {
    /// Parses `estimate`, `exact` or `auto`.
    pub fn parse(s: &str) -> Option<VerifyMode> {
        match s {
            "estimate" => Some(VerifyMode::Estimate),
            "exact" => Some(VerifyMode::Exact),
            "auto" => Some(VerifyMode::Auto),
            _ => None,
        }
    }
}

/// What the estimate says of a pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Clearly a duplicate.
    Accept,
    /// Clearly not.
    Reject,
    /// Too close to a threshold to tell from the estimate.
    Borderline,
}

/// Half-width of the band around threshold `t` inside which an estimate from `n` samples
/// cannot decide: three standard errors of a proportion, `3·sqrt(t(1-t)/n)`, plus 0.01 for
/// the shingle-count rounding. With 128 slots at `t = 0.8` this is 0.116; the chance that a
/// pair of true similarity on one side is estimated beyond the band on the other is 0.13%.
pub fn margin(t: f64, n: u32) -> f64 {
    let t = t.clamp(0.0, 1.0);
    3.0 * (t * (1.0 - t) / n.max(1) as f64).sqrt() + 0.01
}

/// The thresholds a pair must reach.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Thresholds {
    /// Jaccard resemblance.
    pub jaccard: f64,
    /// Containment of the smaller in the larger; above 1 disables the containment route.
    pub containment: f64,
    /// Sentence coverage ([`coverage`]), measured on the texts of pairs settled in auto mode;
    /// above 1 disables the coverage route.
    pub coverage: f64,
    /// Containment short of [`WHOLE_COPY`], and sentence coverage, count only for a pair whose
    /// documents share informative anchors (at least `min_shared` sampled n-grams held by at most
    /// `max_df` documents, [`crate::lsh::anchors`]): true for a feed, where anchors are
    /// sampled in every verification mode (a pair settled on its texts keeps its estimate's
    /// anchor count; `--verify exact` counts them beside its exact sets), false where evidence
    /// carries no anchor count (two texts compared whole, [`exact`]). Text two articles share that holds no
    /// informative anchor is phrasing more than `max_df` documents hold: a template ("the
    /// fourth relief plane lands in Aden" against "the fifth"), or a story reprinted by more
    /// than `max_df` outlets, whose copies resemble one another or contain one another whole.
    pub anchored: bool,
}

impl Thresholds {
    /// Whether a pair sharing `shared_anchors` informative anchors may count its containment
    /// short of [`WHOLE_COPY`] and its sentence coverage ([`Thresholds::anchored`]).
    pub fn anchor_rule_met(&self, shared_anchors: u32) -> bool {
        !self.anchored || shared_anchors > 0
    }
}

/// The containment from which a pair counts as contained without informative anchors
/// ([`Thresholds::anchored`]): a copy cut short of a story that more than `max_df` outlets
/// reprinted lies whole in the other, while two reports of one template share its formula but
/// not their names and figures (none of the 465 SaudiNewsNet template pairs the rule removes
/// reaches 0.95; `benches/RESULTS.md`, issue 21).
pub const WHOLE_COPY: f64 = 0.95;

/// The estimated containment (from shared anchors) from which a pair the estimate rejects is
/// settled on its sentences. The six labelled rewrites of the SaudiNewsNet dev pairs that no
/// other route finds lie at 0.28-0.60 (`benches/RESULTS.md`, issue 21).
pub const COVERAGE_FLOOR: f64 = 0.25;

/// The word Dice at which two sentences are counterparts ([`coverage`]).
pub const SENTENCE_DICE: f64 = 0.5;

/// Sentences with fewer distinct content words than this are left out of [`SentenceSets`].
pub const MIN_SENTENCE_WORDS: usize = 4;

/// Words of fewer characters than this are not content words of a sentence (particles,
/// prepositions and clitics of one or two letters).
pub const MIN_WORD_CHARS: usize = 3;

/// The evidence for one pair.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Evidence {
    /// Jaccard resemblance (estimated or exact).
    pub jaccard: f64,
    /// Containment of the smaller document in the larger (0 when unknown).
    pub containment: f64,
    /// Anchors the two documents share (0 in exact mode or when not measured; for a pair settled
    /// on its texts, its estimate's count).
    pub shared_anchors: u32,
    /// Sentence coverage of the smaller document in the other ([`coverage`]); 0 when not
    /// measured (only pairs settled on their texts are), and then left out of the output.
    #[serde(skip_serializing_if = "is_unmeasured")]
    pub coverage: f64,
    /// The figures of the two documents disagree ([`figures_disagree`]): the smaller carries
    /// two or more, the other some, and they share none. Containment and sentence coverage
    /// then do not count, only resemblance: a template report with other figures (a
    /// market report of another day, a festival's count of another morning) is another
    /// report, however much of its wording the other holds.
    #[serde(skip_serializing_if = "is_false")]
    pub figures_disagree: bool,
}

fn is_unmeasured(x: &f64) -> bool {
    *x == 0.0
}

fn is_false(x: &bool) -> bool {
    !*x
}

/// A verified duplicate pair.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Pair {
    /// Lower document number.
    pub a: u32,
    /// Higher document number.
    pub b: u32,
    /// The evidence.
    pub evidence: Evidence,
}

impl Evidence {
    /// Evidence of resemblance and containment only (no coverage measured).
    pub fn new(jaccard: f64, containment: f64, shared_anchors: u32) -> Evidence {
        Evidence { jaccard, containment, shared_anchors, coverage: 0.0, figures_disagree: false }
    }

    /// The reported similarity: the strongest of the kinds of evidence that count (only
    /// resemblance where the figures disagree, [`Evidence::figures_disagree`]).
    pub fn similarity(&self) -> f64 {
        if self.figures_disagree {
            return self.jaccard;
        }
        self.jaccard.max(self.containment).max(self.coverage)
    }

    /// True when the evidence reaches any threshold.
    pub fn accepts(&self, t: &Thresholds) -> bool {
        self.jaccard >= t.jaccard || self.contained(t)
    }

    /// True when the smaller document is contained in the other by `t`: its shingles or its
    /// sentences rewritten ([`coverage`]), where anchors are shared or not required
    /// ([`Thresholds::anchored`]); a copy held whole ([`WHOLE_COPY`]) needs no anchor.
    /// Figures that disagree ([`Evidence::figures_disagree`]) void containment and coverage
    /// whatever their value: the figures of the smaller are not in the other, so it is no
    /// copy held whole, and an estimate that says so missed them.
    pub fn contained(&self, t: &Thresholds) -> bool {
        if self.figures_disagree {
            return false;
        }
        let anchored = t.anchor_rule_met(self.shared_anchors);
        let shingles = t.containment <= 1.0
            && self.containment >= t.containment
            && (anchored || self.containment >= WHOLE_COPY);
        shingles || (anchored && t.coverage <= 1.0 && self.coverage >= t.coverage)
    }

    /// How an estimate from `num_perm` slots and `anchor_samples` informative anchors (the
    /// smaller side's) stands against the thresholds: accepted or rejected when clear of them
    /// by [`margin`], borderline otherwise. Containment only counts when anchors are shared
    /// and the figures do not disagree ([`Evidence::figures_disagree`]).
    pub fn decide(&self, t: &Thresholds, num_perm: usize, anchor_samples: u32) -> Decision {
        let mj = margin(t.jaccard, num_perm.min(u32::MAX as usize) as u32);
        let use_c = t.containment <= 1.0 && self.shared_anchors > 0 && !self.figures_disagree;
        let mc = margin(t.containment, anchor_samples);
        if self.jaccard >= t.jaccard + mj || (use_c && self.containment >= t.containment + mc) {
            Decision::Accept
        } else if self.jaccard < t.jaccard - mj && (!use_c || self.containment < t.containment - mc)
        {
            // A rewrite shares few n-grams, and its estimate is rejected: its sentences decide.
            if t.coverage <= 1.0 && use_c && self.containment >= COVERAGE_FLOOR {
                Decision::Borderline
            } else {
                Decision::Reject
            }
        } else {
            Decision::Borderline
        }
    }
}

/// The largest containment consistent with an estimated Jaccard similarity.
///
/// If the smaller set `S` (size ratio `ρ = |S| / |L|`) has a fraction `c` inside the larger
/// set `L`, then `J = cρ / (1 + ρ - cρ)`, so `c = J(1 + ρ) / (ρ(1 + J))`. The anchor estimate of
/// containment rests on few samples and on rare n-grams only; the MinHash estimate of `J` is
/// independent of it. Taking `J` three standard errors high (`sqrt(J(1-J)/k)`, with `J` at
/// least 0.05) plus 0.02 gives an upper bound that a genuine containment never exceeds, while
/// a pair that shares a few formulaic sentences is capped well below the threshold.
pub fn containment_bound(jaccard: f64, ratio: f64, num_perm: usize) -> f64 {
    if ratio <= 0.0 {
        return 1.0;
    }
    let j = jaccard.max(0.05);
    let upper = (jaccard + 3.0 * (j * (1.0 - j) / num_perm as f64).sqrt() + 0.02).min(1.0);
    (upper * (1.0 + ratio) / (ratio * (1.0 + upper))).min(1.0)
}

/// Evidence from fingerprints alone: the MinHash estimate of Jaccard, the anchor
/// containment (`shared` anchors out of `samples` informative ones on each side), capped by
/// [`containment_bound`] for the two documents' shingle counts `sizes`, and whether their
/// `figures` ([`figure_set`]) disagree ([`figures_disagree`]).
pub fn estimate(
    sig_a: &[u32],
    sig_b: &[u32],
    shared: u32,
    samples: (u32, u32),
    sizes: (u32, u32),
    figures: (&[u32], &[u32]),
) -> Evidence {
    let jaccard = crate::signature::estimate_jaccard(sig_a, sig_b);
    let containment = if shared > 0 {
        let (na, nb) = sizes;
        let ratio = na.min(nb) as f64 / na.max(nb).max(1) as f64;
        crate::lsh::anchors::containment(shared, samples.0, samples.1).min(containment_bound(
            jaccard,
            ratio,
            sig_a.len(),
        ))
    } else {
        0.0
    };
    let mut e = Evidence::new(jaccard, containment, shared);
    e.figures_disagree = figures_disagree(figures.0, figures.1, sizes);
    e
}

/// The key of a shingle in an exact set: the high half of its 64-bit hash.
///
/// Exact sets keep 32-bit keys: half the memory, and a radix sort of three passes
/// ([`key_set`]). Shingle hashes are fully mixed, so two distinct shingles of a pair share a key
/// with probability 2⁻³²: over the union `U` of two documents' sets about `|U|²/2³³` such
/// collisions are expected (0.006 for two 5,000-shingle documents), each moving the Jaccard
/// similarity by at most `1/|U|`.
#[inline]
pub fn set_key(shingle: u64) -> u32 {
    (shingle >> 32) as u32
}

/// The exact set of `shingles`: their keys ([`set_key`]) sorted and deduplicated. `tmp` is
/// scratch space.
///
/// Keys are uniformly spread, so two least-significant-digit radix passes on their top
/// `2b` bits (`b` about log₂ of the count, at most 11; a pass whose digit is the same for
/// every key is skipped) leave only keys that agree on all those bits out of order: about
/// `n²/2^(2b+1)` of them, one or two per document. An insertion pass puts them in place; should
/// it have to move many (keys crafted to share their top bits), a comparison sort finishes the
/// job instead. Duplicates are then dropped without branches. Short inputs are sorted by
/// comparison.
pub fn key_set(shingles: &[u64], tmp: &mut Vec<u32>) -> Vec<u32> {
    const MAX_BITS: u32 = 11;
    const BUCKETS: usize = 1 << MAX_BITS;
    let mut keys: Vec<u32> = shingles.iter().map(|&s| set_key(s)).collect();
    let n = keys.len();
    if n >= 64 {
        let bits = (usize::BITS - 1 - n.leading_zeros()).min(MAX_BITS);
        let mask = (1usize << bits) - 1;
        // Digit 1 is the top `bits` bits, digit 2 the next ones.
        let digit = |k: u32, p: u32| (k >> (32 - bits * p)) as usize & mask & (BUCKETS - 1);
        let mut counts = [[0u32; BUCKETS]; 2];
        for &k in &keys {
            counts[0][digit(k, 2)] += 1;
            counts[1][digit(k, 1)] += 1;
        }
        tmp.clear();
        tmp.resize(n, 0);
        for (p, c) in [2, 1].into_iter().zip(&counts) {
            let c = &c[..=mask];
            if c.iter().any(|&x| x as usize == n) {
                continue;
            }
            let mut next = [0u32; BUCKETS];
            let mut sum = 0;
            for (slot, &x) in next.iter_mut().zip(c) {
                *slot = sum;
                sum += x;
            }
            for &k in &keys {
                let d = digit(k, p);
                tmp[next[d] as usize] = k;
                next[d] += 1;
            }
            std::mem::swap(&mut keys, tmp);
        }
        insertion_finish(&mut keys, 8 * n);
    } else {
        keys.sort_unstable();
    }
    dedup_sorted(&mut keys);
    keys
}

/// Sorts `keys`, which are nearly sorted, by insertion; past `budget` moves the rest is left to
/// a comparison sort.
fn insertion_finish(keys: &mut [u32], budget: usize) {
    let mut moves = 0;
    for i in 1..keys.len() {
        let x = keys[i];
        if keys[i - 1] > x {
            let mut j = i;
            while j > 0 && keys[j - 1] > x {
                keys[j] = keys[j - 1];
                j -= 1;
            }
            keys[j] = x;
            moves += i - j;
            if moves > budget {
                keys.sort_unstable();
                return;
            }
        }
    }
}

/// Drops repeats from sorted `keys`. Every key is written, and the write position advances
/// when it differs from the one before: no branch to mispredict on the third of character
/// windows that repeat.
fn dedup_sorted(keys: &mut Vec<u32>) {
    let Some(&first) = keys.first() else { return };
    let (mut w, mut prev) = (1, first);
    for i in 1..keys.len() {
        let k = keys[i];
        keys[w] = k;
        w += usize::from(k != prev);
        prev = k;
    }
    keys.truncate(w);
}

/// Size of the intersection of two sorted, deduplicated sets.
///
/// A merge without branches on the comparisons (each step advances one side or both), which a
/// processor cannot predict; but each step waits for the one before (its loads need the indices
/// it moves), so a lone merge runs at the latency of a load and a compare. Large sets are cut at
/// the same values into four parts whose merges run interleaved in one loop: independent
/// chains the processor overlaps. A pair of 3,000-key sets: 8.1 -> 3.3 us (criterion
/// `verify/exact_3000_keys_j08`).
pub fn intersection_size<T: Ord + Copy>(a: &[T], b: &[T]) -> usize {
    if a.len().min(b.len()) < 16 * WAYS {
        return merge_count(a, b);
    }
    // Part k holds the values from a[a.len() * k / WAYS] (included) to the next cut.
    let mut i = [0usize; WAYS];
    let mut j = [0usize; WAYS];
    for k in 1..WAYS {
        i[k] = a.len() * k / WAYS;
        j[k] = b.partition_point(|&y| y < a[i[k]]);
    }
    let mut ends = [(a.len(), b.len()); WAYS];
    for k in 0..WAYS - 1 {
        ends[k] = (i[k + 1], j[k + 1]);
    }
    let mut n = 0;
    loop {
        // Each step moves an index by at most one: this many steps stay inside every part.
        let steps = (0..WAYS).map(|k| (ends[k].0 - i[k]).min(ends[k].1 - j[k])).min().unwrap_or(0);
        if steps == 0 {
            break;
        }
        for _ in 0..steps {
            for k in 0..WAYS {
                let (x, y) = (a[i[k]], b[j[k]]);
                n += usize::from(x == y);
                i[k] += usize::from(x <= y);
                j[k] += usize::from(y <= x);
            }
        }
    }
    for k in 0..WAYS {
        n += merge_count(&a[i[k]..ends[k].0], &b[j[k]..ends[k].1]);
    }
    n
}

/// The interleaved merges of [`intersection_size`].
const WAYS: usize = 4;

/// [`intersection_size`] by one merge.
fn merge_count<T: Ord + Copy>(a: &[T], b: &[T]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        n += usize::from(x == y);
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    n
}

/// Exact Jaccard and containment of two sorted, deduplicated shingle sets (of [`key_set`]'s
/// keys, or any other totally ordered keys).
pub fn exact<T: Ord + Copy>(a: &[T], b: &[T]) -> Evidence {
    let inter = intersection_size(a, b);
    let union = a.len() + b.len() - inter;
    let small = a.len().min(b.len());
    Evidence::new(
        if union == 0 { 0.0 } else { inter as f64 / union as f64 },
        if small == 0 { 0.0 } else { inter as f64 / small as f64 },
        0,
    )
}

/// A document's sentences as sets of content-word keys ([`set_key`] of the word hashes), in
/// text order, each with the keys of the numbers it holds: the input of [`coverage`].
/// Sentences of fewer than [`MIN_SENTENCE_WORDS`] distinct words are left out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentenceSets {
    /// End of each sentence's keys in `keys`.
    ends: Vec<u32>,
    /// The sentences' keys, each sentence's sorted and distinct.
    keys: Vec<u32>,
    /// End of each sentence's number keys in `numbers`.
    number_ends: Vec<u32>,
    /// The keys of the numbers (words with a digit) of each sentence, sorted and distinct.
    numbers: Vec<u32>,
}

impl SentenceSets {
    /// Adds a sentence from its word keys and the keys of its numbers (each in any order,
    /// repeats allowed; both are left sorted and deduplicated). A sentence of too few distinct
    /// words is not added.
    pub fn push(&mut self, words: &mut Vec<u32>, numbers: &mut Vec<u32>) {
        words.sort_unstable();
        words.dedup();
        if words.len() >= MIN_SENTENCE_WORDS {
            numbers.sort_unstable();
            numbers.dedup();
            self.keys.extend_from_slice(words);
            self.ends.push(self.keys.len() as u32);
            self.numbers.extend_from_slice(numbers);
            self.number_ends.push(self.numbers.len() as u32);
        }
    }

    /// Removes every sentence.
    pub fn clear(&mut self) {
        self.truncate(0);
    }

    /// Keeps the first `n` sentences.
    pub fn truncate(&mut self, n: usize) {
        if n < self.ends.len() {
            self.ends.truncate(n);
            self.number_ends.truncate(n);
            self.keys.truncate(self.ends.last().map_or(0, |&e| e as usize));
            self.numbers.truncate(self.number_ends.last().map_or(0, |&e| e as usize));
        }
    }

    /// The number of sentences kept.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when no sentence was kept.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The number of keys over all sentences (a word in two sentences counts twice).
    pub fn words(&self) -> usize {
        self.keys.len()
    }

    /// The sentences' key sets, in text order.
    pub fn iter(&self) -> impl Iterator<Item = &[u32]> + '_ {
        slices(&self.keys, &self.ends)
    }

    /// Each sentence's word keys and number keys, in text order.
    pub fn sentences(&self) -> impl Iterator<Item = (&[u32], &[u32])> + '_ {
        self.iter().zip(slices(&self.numbers, &self.number_ends))
    }
}

/// The runs of `keys` that `ends` delimit.
fn slices<'a>(keys: &'a [u32], ends: &'a [u32]) -> impl Iterator<Item = &'a [u32]> + 'a {
    let starts = std::iter::once(0).chain(ends.iter().copied());
    starts.zip(ends.iter().copied()).map(|(s, e)| &keys[s as usize..e as usize])
}

/// Sentence coverage of two documents: of the one with fewer sentence words (the first on a
/// tie), the share of its sentence words that lie in sentences with a counterpart in the
/// other: a sentence of word Dice at least [`SENTENCE_DICE`] whose numbers do not conflict
/// (when both hold numbers, they share one). A template filled with other figures ("the board
/// recommends a dividend of 143.5 million riyals" against "of 236 million") is not a
/// counterpart. 0 when either has no sentence.
pub fn coverage(a: &SentenceSets, b: &SentenceSets) -> f64 {
    let (small, large) = if b.words() < a.words() { (b, a) } else { (a, b) };
    if small.is_empty() || large.is_empty() {
        return 0.0;
    }
    // The larger document's keys with their sentences, sorted: each sentence of the smaller
    // counts its shared words with every sentence of the larger through them, in time linear in
    // the postings it meets rather than in the product of the sentence counts.
    let large_sentences: Vec<(&[u32], &[u32])> = large.sentences().collect();
    let mut postings: Vec<(u32, u32)> = large_sentences
        .iter()
        .enumerate()
        .flat_map(|(i, (words, _))| words.iter().map(move |&k| (k, i as u32)))
        .collect();
    postings.sort_unstable();
    let mut shared = vec![0u32; large_sentences.len()];
    let mut met: Vec<u32> = Vec::new();
    let mut covered = 0usize;
    for (s, sn) in small.sentences() {
        for &k in s {
            let from = postings.partition_point(|p| p.0 < k);
            for &(_, i) in postings[from..].iter().take_while(|p| p.0 == k) {
                if shared[i as usize] == 0 {
                    met.push(i);
                }
                shared[i as usize] += 1;
            }
        }
        // Dice >= d  <=>  2|s∩t| >= d(|s|+|t|); numbers must not conflict.
        let counterpart = met.iter().any(|&i| {
            let (t, tn) = large_sentences[i as usize];
            2.0 * f64::from(shared[i as usize]) >= SENTENCE_DICE * (s.len() + t.len()) as f64
                && (sn.is_empty() || tn.is_empty() || intersection_size(sn, tn) > 0)
        });
        for &i in &met {
            shared[i as usize] = 0;
        }
        met.clear();
        if counterpart {
            covered += s.len();
        }
    }
    covered as f64 / small.words() as f64
}

/// What settling compares of a document: its exact shingle set ([`key_set`]) and, where the
/// coverage route is on, its sentence sets.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextSets {
    /// The exact shingle set.
    pub shingles: Vec<u32>,
    /// The sentence sets (empty where the coverage route is off).
    pub sentences: SentenceSets,
}

/// The exact evidence of a settled pair: Jaccard and containment of the shingle sets, what
/// its estimate knew of the documents beyond their sets (the anchors they share, whether their
/// containment counts, [`Thresholds::anchored`], and whether their figures disagree,
/// [`Evidence::figures_disagree`]), and, when these do not reach `t`, the sentence coverage.
pub fn settle_pair(a: &TextSets, b: &TextSets, estimate: &Evidence, t: &Thresholds) -> Evidence {
    let mut e = exact(&a.shingles, &b.shingles);
    e.shared_anchors = estimate.shared_anchors;
    e.figures_disagree = estimate.figures_disagree;
    if t.coverage <= 1.0
        && t.anchor_rule_met(e.shared_anchors)
        && !e.figures_disagree
        && !e.accepts(t)
    {
        e.coverage = coverage(&a.sentences, &b.sentences);
    }
    e
}

/// A document keeps at most this many figures ([`figure_key`]); one with more keeps none, so
/// that no pair of it is ever found to disagree on figures it did not keep.
pub const MAX_FIGURES: usize = 64;

/// The seed of figure keys ([`figure_key`]): fixed, as the keys are persisted.
const FIGURE_SEED: u64 = 0x6669_6775_7265_7331; // "figures1"

/// The key of a normalized word when it is a figure: a number of three digits or more, or one
/// written with a decimal or thousands separator (`"1467"`, `"584.376"`, `"20,5"`), that is not
/// a year (1400-1450 of the Hijri calendar, 1900-2039). Separators and leading zeros are left
/// out of the key, so `"665,932,983"` and `"665.932.983"` are one figure; a group of four
/// digits or more after a separator is two numbers glued together (`"28,2005"`), no figure. Day numbers, list
/// numbers and counts of one or two digits are not figures: two reports of one event often
/// differ in them ("4 injured", "the 2nd").
pub fn figure_key(word: &[u8]) -> Option<u32> {
    let first = *word.first()?;
    if !first.is_ascii_digit()
        || !word.iter().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b','))
    {
        return None;
    }
    let mut digits = [0u8; 32];
    let mut n = 0usize;
    let mut separated = false;
    let mut part = 0usize;
    for &b in word {
        if !b.is_ascii_digit() {
            separated = true;
            part = 0;
            continue;
        }
        part += 1;
        if separated && part > 3 {
            // No group of a written number runs past three digits after a separator: two
            // numbers glued by a comma ("28,2005").
            return None;
        }
        if n > 0 || b != b'0' {
            *digits.get_mut(n)? = b;
            n += 1;
        }
    }
    let digits = &digits[..n];
    let year = !separated
        && n == 4
        && matches!(
            digits,
            [b'1', b'4', b'0'..=b'4', _]
                | [b'1', b'4', b'5', b'0']
                | [b'1', b'9', _, _]
                | [b'2', b'0', b'0'..=b'3', _]
        );
    if n == 0 || year || (n < 3 && !separated) {
        return None;
    }
    Some(set_key(xxhash_rust::xxh3::xxh3_64_with_seed(digits, FIGURE_SEED)))
}

/// Appends the keys of the figures ([`figure_key`]) that `text` writes, in text order: runs
/// of digits (ASCII, Arabic-Indic U+0660-U+0669 and Extended U+06F0-U+06F9, read as the
/// normalizer folds them) joined by a `.` or `,` (or the Arabic decimal and thousands
/// separators U+066B, U+066C) between two digits. A byte scan: most bytes of a text are no
/// digit, and an Arabic digit is two bytes, `D9 A0`-`D9 A9` or `DB B0`-`DB B9`.
pub fn figures_in(text: &str, out: &mut Vec<u32>) {
    let b = text.as_bytes();
    // The digit at `i` (its ASCII value and byte length), if one starts there.
    let digit = |i: usize| -> Option<(u8, usize)> {
        match *b.get(i)? {
            d @ b'0'..=b'9' => Some((d, 1)),
            0xD9 => {
                b.get(i + 1).filter(|&&x| (0xA0..=0xA9).contains(&x)).map(|&x| (x - 0xA0 + b'0', 2))
            }
            0xDB => {
                b.get(i + 1).filter(|&&x| (0xB0..=0xB9).contains(&x)).map(|&x| (x - 0xB0 + b'0', 2))
            }
            _ => None,
        }
    };
    let separator = |i: usize| -> usize {
        match b.get(i) {
            Some(b'.' | b',') => 1,
            Some(0xD9) if matches!(b.get(i + 1), Some(0xAB | 0xAC)) => 2,
            _ => 0,
        }
    };
    let mut word: Vec<u8> = Vec::with_capacity(32);
    let mut i = 0;
    while i < b.len() {
        i = next_digit_from(b, i);
        let Some((d, len)) = digit(i) else {
            i += 1;
            continue;
        };
        word.clear();
        word.push(d);
        i += len;
        loop {
            if let Some((d, len)) = digit(i) {
                word.push(d);
                i += len;
                continue;
            }
            let sep = separator(i);
            match (sep > 0).then(|| digit(i + sep)).flatten() {
                Some(_) => {
                    word.push(b'.');
                    i += sep;
                }
                None => break,
            }
        }
        out.extend(figure_key(&word));
    }
}

/// Bytes a chunk of [`next_digit_from`] covers: a multiple of the vector width of every
/// target, so the chunk test compiles to a few vector compares (SSE2 on the x86-64 baseline,
/// NEON on AArch64: no CPU dispatch).
const DIGIT_CHUNK: usize = 32;

/// Where [`figures_in`]'s scan goes on from `from`: a position `p >= from` with no digit
/// starting in `from..p` (an ASCII digit, or the lead byte `D9`/`DB` of an Arabic-Indic digit
/// followed by its second byte). Whole chunks with none are skipped at once, and `p` is the
/// first digit of the first chunk that holds one, or where the last, partial chunk begins (the
/// scan reads those bytes one by one). Most bytes of a text, and nearly every byte of an Arabic
/// one (whose letters share the lead byte `D9` with its digits), are no digit.
fn next_digit_from(b: &[u8], from: usize) -> usize {
    let mut i = from;
    while let Some(w) = b.get(i..i + DIGIT_CHUNK + 1) {
        let starts = |j: usize| {
            let (c, next) = (w[j], w[j + 1]);
            (c.wrapping_sub(b'0') < 10)
                | ((c == 0xD9) & (next.wrapping_sub(0xA0) < 10))
                | ((c == 0xDB) & (next.wrapping_sub(0xB0) < 10))
        };
        // No early exit: a branch-free fold over the chunk is what vectorizes.
        if (0..DIGIT_CHUNK).fold(false, |any, j| any | starts(j)) {
            return i + (0..DIGIT_CHUNK).position(starts).unwrap_or(0);
        }
        i += DIGIT_CHUNK;
    }
    i.min(b.len())
}

/// The figures of a document from the keys of its figure words ([`figure_key`], any order,
/// repeats allowed): sorted and distinct, or none when there are more than [`MAX_FIGURES`].
pub fn figure_set(keys: &mut Vec<u32>) {
    keys.sort_unstable();
    keys.dedup();
    if keys.len() > MAX_FIGURES {
        keys.clear();
    }
}

/// True when the figures of two documents disagree: the smaller document (by shingles; ties:
/// the first) carries two figures or more, the other at least one, and they share none
/// ([`Evidence::figures_disagree`]). Both are sorted and distinct ([`figure_set`]).
pub fn figures_disagree(a: &[u32], b: &[u32], sizes: (u32, u32)) -> bool {
    let (small, large) = if sizes.0 <= sizes.1 { (a, b) } else { (b, a) };
    small.len() >= 2 && !large.is_empty() && intersection_size(small, large) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::naive;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn exact_matches_oracle(mut a in proptest::collection::vec(0u64..50, 0..40),
                                mut b in proptest::collection::vec(0u64..50, 0..40)) {
            a.sort_unstable(); a.dedup(); b.sort_unstable(); b.dedup();
            let e = exact(&a, &b);
            prop_assert!((e.jaccard - naive::jaccard(&a, &b)).abs() < 1e-12);
            prop_assert!(e.containment >= e.jaccard);
        }

        #[test]
        fn interleaved_merges_count_the_intersection(
            a in proptest::collection::vec(0u32..600, 0..400),
            b in proptest::collection::vec(0u32..600, 0..400),
            shift in 0u32..300,
        ) {
            // Sets large enough for the cut into parts, overlapping in part (`shift` moves b's
            // range), against a count by binary search.
            let mut a = a;
            let mut b: Vec<u32> = b.iter().map(|&x| x + shift).collect();
            a.sort_unstable(); a.dedup(); b.sort_unstable(); b.dedup();
            let want = a.iter().filter(|x| b.binary_search(x).is_ok()).count();
            prop_assert_eq!(intersection_size(&a, &b), want);
            prop_assert_eq!(intersection_size(&b, &a), want);
        }

        #[test]
        fn key_sets_are_sorted_distinct_keys(
            shingles in proptest::collection::vec(any::<u64>(), 0..1200),
            repeat in 0usize..4,
            shape in 0u8..4,
        ) {
            // Repeated shingles; keys differing in few bytes (skipped radix passes); keys
            // sharing their top bits (left to the insertion pass, and past its budget).
            let top = |s: u64, bits: u32| s & (u64::MAX >> bits) | 0x5a5a_5a5a_0000_0000 & !(u64::MAX >> bits);
            let mut all: Vec<u64> = shingles.iter().map(|&s| match shape {
                0 => s,
                1 => s & 0x0000_0f0f_ffff_ffff,
                2 => top(s, 20),
                _ => top(s, 29),
            }).collect();
            all.extend(all.clone().iter().take(repeat * 20));
            let mut want: Vec<u32> = all.iter().map(|&s| set_key(s)).collect();
            want.sort_unstable();
            want.dedup();
            prop_assert_eq!(key_set(&all, &mut Vec::new()), want);
        }
    }

    #[test]
    fn containment_bound_is_consistent_with_jaccard() {
        // Containment c of a set in one 1/ratio times larger implies a Jaccard; the bound
        // at that Jaccard never falls below c.
        for &ratio in &[0.05, 0.2, 0.5, 0.8, 1.0] {
            for &c in &[0.3, 0.5, 0.7, 1.0] {
                let j = c * ratio / (1.0 + ratio - c * ratio);
                assert!(containment_bound(j, ratio, 128) >= c - 1e-9, "ratio {ratio} c {c}");
            }
        }
        // Two similar-sized articles with Jaccard 0.05 cannot be 55% contained.
        assert!(containment_bound(0.05, 0.44, 128) < 0.5);
    }

    /// Sentence sets of sentences given as word lists (every word a content word; those with
    /// a digit numbers too).
    fn sentence_sets(sentences: &[&str]) -> SentenceSets {
        let mut out = SentenceSets::default();
        for s in sentences {
            let key = |w: &str| set_key(xxhash_rust::xxh3::xxh3_64(w.as_bytes()));
            let mut words: Vec<u32> = s.split(' ').map(key).collect();
            let mut numbers: Vec<u32> =
                s.split(' ').filter(|w| w.bytes().any(|b| b.is_ascii_digit())).map(key).collect();
            out.push(&mut words, &mut numbers);
        }
        out
    }

    #[test]
    fn coverage_counts_sentences_with_a_counterpart() {
        let release = sentence_sets(&[
            "the emir received the ambassador in his office today",
            "they reviewed relations between both countries and ways to develop them",
            "the meeting was attended by several senior officials of the region",
        ]);
        // Reworded: each sentence keeps most of its words, in another order; one sentence is
        // the rewriter's own.
        let rewrite = sentence_sets(&[
            "in his office today the emir received the visiting ambassador",
            "both countries relations and ways to develop them were reviewed",
            "a spokesman said nothing about the talks afterwards",
            "too few",
        ]);
        assert_eq!(rewrite.len(), 3, "a sentence of fewer than four words is left out");
        let c = coverage(&release, &rewrite);
        // The rewrite has fewer words: two of its three sentences (19 of its 27 words) match.
        assert!((c - 19.0 / 27.0).abs() < 1e-12, "{c}");
        assert_eq!(coverage(&rewrite, &release), c, "symmetric");
        assert_eq!(coverage(&release, &SentenceSets::default()), 0.0);
        assert_eq!(coverage(&release, &release), 1.0);
    }

    proptest! {
        #[test]
        fn coverage_is_the_direct_count(
            a in proptest::collection::vec(proptest::collection::vec(0u32..40, 4..12), 0..12),
            b in proptest::collection::vec(proptest::collection::vec(0u32..40, 4..12), 0..12),
            nums in proptest::collection::vec(0u32..3, 0..24),
        ) {
            let build = |ss: &[Vec<u32>], off: usize| {
                let mut out = SentenceSets::default();
                for (i, s) in ss.iter().enumerate() {
                    let mut w = s.clone();
                    let n = nums.get(i + off).copied().unwrap_or(0);
                    let mut numbers: Vec<u32> = if n == 0 { Vec::new() } else { vec![100 + n] };
                    out.push(&mut w, &mut numbers);
                }
                out
            };
            let (sa, sb) = (build(&a, 0), build(&b, 12));
            // The definition: each sentence of the smaller against every sentence of the other.
            let (small, large) = if sb.words() < sa.words() { (&sb, &sa) } else { (&sa, &sb) };
            let want = if small.is_empty() || large.is_empty() { 0.0 } else {
                let covered: usize = small.sentences().filter(|(s, sn)| large.sentences().any(|(t, tn)| {
                    2.0 * intersection_size(s, t) as f64 >= SENTENCE_DICE * (s.len() + t.len()) as f64
                        && (sn.is_empty() || tn.is_empty() || intersection_size(sn, tn) > 0)
                })).map(|(s, _)| s.len()).sum();
                covered as f64 / small.words() as f64
            };
            prop_assert_eq!(coverage(&sa, &sb), want);
        }
    }

    #[test]
    fn a_template_with_other_figures_is_no_counterpart() {
        let a = sentence_sets(&["the board recommends a dividend of 143.5 million riyals"]);
        let b = sentence_sets(&["the board recommends a dividend of 236 million riyals"]);
        let same = sentence_sets(&["the board recommends a dividend of 143.5 million riyals now"]);
        let none = sentence_sets(&["the board recommends a dividend of many million riyals"]);
        assert_eq!(coverage(&a, &b), 0.0);
        assert_eq!(coverage(&a, &same), 1.0);
        assert_eq!(coverage(&a, &none), 1.0, "a sentence without numbers conflicts with none");
    }

    #[test]
    fn settling_measures_coverage_only_where_shingles_fall_short() {
        let t = Thresholds { jaccard: 0.5, containment: 0.5, coverage: 0.7, anchored: true };
        let sets = |shingles: Vec<u32>| TextSets {
            shingles,
            sentences: sentence_sets(&["one two three four five", "six seven eight nine ten"]),
        };
        let anchored = Evidence::new(0.1, 0.3, 5);
        let near = settle_pair(&sets((0..10).collect()), &sets((0..10).collect()), &anchored, &t);
        assert_eq!(near.coverage, 0.0, "accepted on its shingles");
        let rewrite =
            settle_pair(&sets((0..10).collect()), &sets((20..30).collect()), &anchored, &t);
        assert_eq!(rewrite.shared_anchors, 5, "the estimate's anchors stay with the pair");
        assert_eq!((rewrite.jaccard, rewrite.coverage), (0.0, 1.0));
        assert!(rewrite.accepts(&t));
        assert!(!rewrite.accepts(&Thresholds { coverage: 2.0, ..t }));
        let off = settle_pair(
            &sets((0..10).collect()),
            &sets((20..30).collect()),
            &anchored,
            &Thresholds { coverage: 2.0, ..t },
        );
        assert_eq!(off.coverage, 0.0);
        let unanchored = settle_pair(
            &sets((0..10).collect()),
            &sets((20..30).collect()),
            &Evidence::new(0.1, 0.3, 0),
            &t,
        );
        assert_eq!(unanchored.coverage, 0.0, "coverage cannot count without anchors");
        assert!(!unanchored.accepts(&t));
        let other_figures = Evidence { figures_disagree: true, ..anchored };
        let template =
            settle_pair(&sets((0..10).collect()), &sets((20..30).collect()), &other_figures, &t);
        assert!(template.figures_disagree, "the estimate's figures stay with the pair");
        assert_eq!(template.coverage, 0.0, "coverage cannot count with other figures");
        assert!(!template.accepts(&t));
    }

    #[test]
    fn figures_are_long_or_separated_numbers_that_are_not_years() {
        let key = |w: &str| figure_key(w.as_bytes());
        for figure in
            ["1467", "584.376", "20,5", "0.46", "136.12", "100", "1,596", "20.15", "14.35"]
        {
            assert!(key(figure).is_some(), "{figure}");
        }
        for not in
            ["17", "4", "2015", "1436", "1450", "1999", "2039", "007", "abc", "12a", "", "28,2005"]
        {
            assert_eq!(key(not), None, "{not}");
        }
        assert_eq!(key("665,932,983"), key("665.932.983"), "separators are not the figure");
        assert_eq!(key("20,5"), key("20.5"));
        assert_ne!(key("1467"), key("1554"));
        assert!(key("1451").is_some() && key("2040").is_some(), "no year: kept");
    }

    #[test]
    fn figures_are_read_from_text_as_the_normalizer_folds_digits() {
        let figures = |t: &str| {
            let mut out = Vec::new();
            figures_in(t, &mut out);
            out
        };
        let key = |w: &str| figure_key(w.as_bytes()).unwrap();
        assert_eq!(
            figures("بلغ عدد السيارات 1467 سيارة محملة بـ209.020 عبوة تزن 627.06 طن عام 2015"),
            vec![key("1467"), key("209020"), key("627.06")]
        );
        assert_eq!(figures("بنسبة ٢٠٫٥٪ و۱۲۳۴ حالة"), vec![key("20.5"), key("1234")]);
        assert_eq!(figures("665,932,983 riyals, 3. 14 and 12, 2015."), vec![key("665932983")]);
        assert!(figures("no digits here, nor ٫ alone").is_empty());
        // Figures at every offset of the skipping chunks, after Arabic letters (lead bytes D8
        // and D9, as the Arabic-Indic digits') and ASCII.
        for pad in 0..(3 * DIGIT_CHUNK) {
            for filler in ["ل", "ا", "x"] {
                let before = filler.repeat(pad);
                for (figure, as_key) in [("1467", "1467"), ("٢٠٫٥", "20.5"), ("۱۲۳۴", "1234")]
                {
                    let text = format!("{before}{figure} {before}");
                    assert_eq!(figures(&text), vec![key(as_key)], "{pad} {filler} {figure}");
                }
            }
        }
    }

    proptest! {
        /// The byte scan reads the figures the normalizer's words hold (the general path is the
        /// oracle): digits of three scripts, separators of two, letters glued to digits.
        #[test]
        fn figures_in_reads_the_normalizers_numbers(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("1"), Just("7"), Just("0"), Just("٣"), Just("۸"), Just("٠"), Just("."),
                    Just(","), Just("٫"), Just("٬"), Just(" "), Just("a"), Just("ب"), Just("é"),
                    Just("-"), Just("\n"),
                ],
                0..60,
            )
        ) {
            let text: String = parts.concat();
            let mut scanned = Vec::new();
            figures_in(&text, &mut scanned);
            figure_set(&mut scanned);
            let mut words = Vec::new();
            let n = crate::normalize::Normalizer::new(crate::normalize::Mode::Auto);
            n.for_each_word(&text, &mut String::new(), &mut Vec::new(), |w| {
                words.extend(figure_key(w));
            });
            figure_set(&mut words);
            prop_assert_eq!(scanned, words, "{:?}", text);
        }
    }

    #[test]
    fn figures_disagree_only_when_the_smaller_carries_two_and_shares_none() {
        let f = |ws: &[&str]| {
            let mut keys: Vec<u32> = ws.iter().filter_map(|w| figure_key(w.as_bytes())).collect();
            figure_set(&mut keys);
            keys
        };
        let monday = f(&["1467", "194.792", "584.376"]);
        let tuesday = f(&["1554", "209.020", "627.06", "204.732"]);
        assert!(figures_disagree(&monday, &tuesday, (40, 120)));
        assert!(figures_disagree(&tuesday, &monday, (120, 40)), "either order");
        let copy = f(&["1467", "194.792", "584.376", "2100"]);
        assert!(!figures_disagree(&monday, &copy, (40, 120)), "one figure carried is enough");
        assert!(!figures_disagree(&f(&["1467"]), &tuesday, (40, 120)), "one figure is not enough");
        assert!(!figures_disagree(&monday, &[], (40, 120)), "the other states no figure");
        // The smaller document decides: a long report with many figures and a short item
        // that states none of them.
        assert!(!figures_disagree(&f(&["150"]), &monday, (10, 400)));
        let many: Vec<String> = (0..=MAX_FIGURES).map(|i| format!("{}", 5000 + i * 7)).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(f(&many).is_empty(), "a document of more figures than it may keep keeps none");
        // Containment and coverage do not count, even an estimate of a whole copy (the
        // smaller's figures are not in the other); resemblance still does.
        let t = Thresholds { jaccard: 0.5, containment: 0.5, coverage: 0.7, anchored: true };
        let e = Evidence { figures_disagree: true, coverage: 0.9, ..Evidence::new(0.2, 0.8, 5) };
        assert!(!e.accepts(&t));
        assert!(!Evidence { containment: 1.0, ..e }.accepts(&t));
        assert_eq!(e.similarity(), 0.2, "the similarity reported is the one that counts");
        assert!(Evidence { jaccard: 0.6, ..e }.accepts(&t));
        assert!(Evidence { figures_disagree: false, ..e }.accepts(&t));
    }

    #[test]
    fn a_rejected_estimate_with_anchors_in_common_is_settled_on_its_sentences() {
        let t = Thresholds { jaccard: 0.5, containment: 0.5, coverage: 0.75, anchored: true };
        let e = |c, shared| Evidence::new(0.1, c, shared);
        assert_eq!(e(0.3, 3).decide(&t, 128, 400), Decision::Borderline);
        assert_eq!(e(0.2, 3).decide(&t, 128, 400), Decision::Reject, "under the floor");
        assert_eq!(e(0.3, 0).decide(&t, 128, 400), Decision::Reject, "no anchor shared");
        let off = Thresholds { coverage: 2.0, ..t };
        assert_eq!(e(0.3, 3).decide(&off, 128, 400), Decision::Reject);
    }

    #[test]
    fn acceptance_uses_either_route() {
        let t = Thresholds { jaccard: 0.5, containment: 0.7, coverage: 2.0, anchored: false };
        let e = |j, c| Evidence::new(j, c, 0);
        assert!(e(0.6, 0.0).accepts(&t));
        assert!(e(0.1, 0.8).accepts(&t));
        assert!(!e(0.4, 0.6).accepts(&t));
        let off = Thresholds { containment: 1.1, ..t };
        assert!(!e(0.1, 1.0).accepts(&off));
    }

    #[test]
    fn sampled_containment_counts_only_with_anchors_shared() {
        // Two template reports of other days share their fixed phrasing, which more than
        // `max_df` documents hold: no anchor, so their exact containment does not count.
        let t = Thresholds { jaccard: 0.5, containment: 0.5, coverage: 0.75, anchored: true };
        let template = Evidence::new(0.42, 0.79, 0);
        assert!(!template.accepts(&t));
        assert!(template.accepts(&Thresholds { anchored: false, ..t }), "whole-text comparison");
        assert!(Evidence::new(0.42, 0.79, 3).accepts(&t));
        assert!(Evidence::new(0.6, 0.0, 0).accepts(&t), "resemblance needs no anchor");
        // A truncated copy of a story reprinted by more than `max_df` outlets shares only
        // over-common anchors, but lies whole in the other.
        assert!(Evidence::new(0.45, 1.0, 0).accepts(&t));
        assert!(!Evidence::new(0.45, WHOLE_COPY - 0.01, 0).accepts(&t));
        // Nor do its sentences: template sentences with other ordinals ("fourth", "fifth")
        // cover each other.
        let template = Evidence { coverage: 0.8, ..template };
        assert!(!template.accepts(&t));
        assert!(Evidence { coverage: 0.8, ..Evidence::new(0.1, 0.3, 2) }.accepts(&t));
    }
}
