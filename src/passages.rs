//! Restated passages and boilerplate, with byte spans.
//!
//! Document-level MinHash cannot see a paragraph told twice in other words: the seed article
//! restates its 29 May paragraph with other verbs and spellings (حفتر/هفتار, عام2018), and word
//! 5-gram Jaccard between the two is below 0.05. This module works on *units*: sentences, and
//! long Arabic sentences cut at their clause boundaries (a comma followed by the conjunction و
//! or ف), each with its byte span in the original text.
//!
//! Each unit becomes a bag of content terms: the text is normalized with the light Arabic
//! stemmer ([`crate::normalize::Mode::Arabic`]), stop words are dropped, number words become
//! digits (`الثامن` → `8`), and terms are weighted by inverse document frequency over the units
//! being compared. Two units are compared by a weighted Dice coefficient with *soft matching*:
//! terms also match when their consonant skeletons (the word without the long vowels ا و ي)
//! are within one edit, which joins transliteration variants such as حفتر and هفتار.
//!
//! The pipeline follows the seed–extend–filter scheme of text-alignment systems (PAN shared
//! tasks; Sanchez-Perez, Sidorov and Gelbukh, 2014): unit pairs above the threshold are seeds,
//! seeds that are adjacent in both places are merged into one passage pair, and pairs that are
//! boilerplate, too short, or the headline restated in the lead are filtered out.

use ahash::{AHashMap, AHashSet};
use serde::Serialize;
use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

use crate::normalize::stopwords::StopWords;
use crate::normalize::{Mode, Normalizer};
use crate::segment::{self, Span};

/// Default decision threshold of the passage measure on whole texts (`neardup pairs
/// --measure passage`): a text of a hundred words or more that reuses another (rewritten,
/// shortened) shares a smaller share of its terms than one restated sentence does. Chosen on
/// the Clough and Stevenson dev answers (reuse against non-reuse).
pub const PAIR_THRESHOLD: f64 = 0.27;

/// Term weights over at least this many units are a feed's: the restatement model decides.
/// Below it (a document or a few), the weighted soft Dice decides.
pub const FEED_UNITS: f64 = 2000.0;

/// Parameters of passage matching.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PassageParams {
    /// Weighted soft Dice a unit pair must reach to be weighed by the restatement model (a
    /// cheap first cut; the decision is the model's).
    pub threshold: f64,
    /// Probability of the restatement model ([`RESTATE_MODEL`]) a unit pair must reach.
    pub min_similarity: f64,
    /// Weighted soft Dice a unit pair must reach where the term weights come from fewer than
    /// [`FEED_UNITS`] units (one article, a few): the model was calibrated with weights over
    /// a whole feed, and does not apply there.
    pub dice_threshold: f64,
    /// Units with fewer content terms are not compared.
    pub min_terms: usize,
    /// Report the headline restated in the lead (as kind `headline`).
    pub headlines: bool,
}

impl Default for PassageParams {
    fn default() -> Self {
        PassageParams {
            threshold: 0.3,
            min_similarity: RESTATE_MODEL.threshold,
            dice_threshold: 0.42,
            min_terms: 5,
            headlines: false,
        }
    }
}

/// A unit of text: a sentence or clause.
#[derive(Clone, Debug)]
pub struct Unit {
    /// Byte span in the document.
    pub span: Span,
    /// Content terms (hashes of stemmed words), deduplicated.
    terms: Vec<u64>,
    /// Consonant skeleton of each term (same order), for soft matching.
    skeletons: Vec<Vec<char>>,
    /// Whether each term (same order) is a number (digits, or a number word made digits).
    numeric: Vec<bool>,
    /// Index of the paragraph holding the unit.
    pub paragraph: usize,
}

/// Arabic number words (normalized, stemmed) and the digits they stand for.
const NUMBER_WORDS: &[(&str, &str)] = &[
    ("واحد", "1"),
    ("اول", "1"),
    ("اثنان", "2"),
    ("اثنين", "2"),
    ("ثاني", "2"),
    ("ثلاثه", "3"),
    ("ثالث", "3"),
    ("اربعه", "4"),
    ("رابع", "4"),
    ("خمسه", "5"),
    ("خامس", "5"),
    ("سته", "6"),
    ("سادس", "6"),
    ("سبعه", "7"),
    ("سابع", "7"),
    ("ثمانيه", "8"),
    ("ثامن", "8"),
    ("تسعه", "9"),
    ("تاسع", "9"),
    ("عشره", "10"),
    ("عاشر", "10"),
    ("one", "1"),
    ("first", "1"),
    ("two", "2"),
    ("second", "2"),
    ("three", "3"),
    ("third", "3"),
    ("four", "4"),
    ("five", "5"),
    ("six", "6"),
    ("seven", "7"),
    ("eight", "8"),
    ("eighth", "8"),
    ("nine", "9"),
    ("ten", "10"),
];

/// Splits text into units with their spans and paragraph numbers.
pub fn unit_spans(text: &str) -> Vec<(Span, usize)> {
    let mut out = Vec::new();
    for (pi, para) in segment::paragraphs(text).into_iter().enumerate() {
        for sent in segment::sentences_in(text, para) {
            let mut start = sent.start;
            let s = &text[sent.range()];
            // Clause boundaries: an Arabic or Latin comma (or semicolon) followed by a word
            // that starts with the conjunction و or ف.
            for (i, c) in s.char_indices() {
                if matches!(c, '،' | ',' | '؛' | ';') {
                    let rest = s[i + c.len_utf8()..].trim_start();
                    let cut = sent.start + i + c.len_utf8();
                    if (rest.starts_with('و') || rest.starts_with('ف'))
                        && cut - start > 40
                        && sent.end - cut > 40
                    {
                        if let Some(sp) = trim_span(text, start, cut) {
                            out.push((sp, pi));
                        }
                        start = cut;
                    }
                }
            }
            if let Some(sp) = trim_span(text, start, sent.end) {
                out.push((sp, pi));
            }
        }
    }
    out
}

fn trim_span(text: &str, start: usize, end: usize) -> Option<Span> {
    let s = &text[start..end];
    let t = s.trim_start();
    let lead = s.len() - t.len();
    let t = t.trim_end();
    (!t.is_empty()).then(|| Span { start: start + lead, end: start + lead + t.len() })
}

/// The consonant skeleton of a normalized word: without ا و ي (long vowels and their carriers).
fn skeleton(word: &str) -> Vec<char> {
    word.chars().filter(|c| !matches!(c, 'ا' | 'و' | 'ي')).collect()
}

/// Levenshtein distance of at most one, for short char slices.
fn within_one_edit(a: &[char], b: &[char]) -> bool {
    let (a, b) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if b.len() - a.len() > 1 {
        return false;
    }
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    if a.len() == b.len() {
        a[prefix + 1.min(a.len() - prefix)..] == b[prefix + 1.min(b.len() - prefix)..]
    } else {
        a[prefix..] == b[prefix + 1..]
    }
}

/// Turns texts into units and compares them.
#[derive(Clone, Debug)]
pub struct Analyzer {
    params: PassageParams,
    normalizer: Normalizer,
    stop: StopWords,
    numbers: AHashMap<&'static str, &'static str>,
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer::new(PassageParams::default())
    }
}

impl Analyzer {
    /// An analyzer with `params`.
    pub fn new(params: PassageParams) -> Analyzer {
        Analyzer {
            params,
            normalizer: Normalizer::new(Mode::Arabic),
            stop: StopWords::new(&Normalizer::new(Mode::Arabic)),
            numbers: NUMBER_WORDS.iter().copied().collect(),
        }
    }

    /// The parameters.
    pub fn params(&self) -> &PassageParams {
        &self.params
    }

    /// The content terms of a piece of text, as (hash, skeleton, numeric), deduplicated.
    pub fn terms(&self, text: &str) -> (Vec<u64>, Vec<Vec<char>>, Vec<bool>) {
        let mut hashes = Vec::new();
        let mut skels = Vec::new();
        let mut numeric = Vec::new();
        self.for_each_term(text, |h, w| {
            hashes.push(h);
            skels.push(skeleton(w));
            numeric.push(
                w.as_bytes()[0].is_ascii_digit()
                    && w.bytes().all(|c| c.is_ascii_digit() || c == b'.' || c == b','),
            );
        });
        (hashes, skels, numeric)
    }

    /// Calls `f` with each distinct content term of `text`: its hash and its word.
    fn for_each_term(&self, text: &str, mut f: impl FnMut(u64, &str)) {
        let norm = self.normalizer.normalize(text);
        let mut seen = AHashSet::new();
        for w in norm.split(' ').filter(|w| !w.is_empty()) {
            if self.stop.contains(w)
                || (w.chars().count() < 2 && !w.chars().all(|c| c.is_ascii_digit()))
            {
                continue;
            }
            let w = self.numbers.get(w).copied().unwrap_or(w);
            let h = xxh3_64(w.as_bytes());
            if seen.insert(h) {
                f(h, w);
            }
        }
    }

    /// The aligned content terms of two texts (normalized and stemmed, as compared), in the
    /// order of `a`: the evidence of a reported pair.
    pub fn aligned_words(&self, a: &str, b: &str) -> Vec<AlignedWords> {
        let words = |t: &str| {
            let mut v = Vec::new();
            self.for_each_term(t, |_, w| v.push(w.to_owned()));
            v
        };
        let (wa, wb) = (words(a), words(b));
        let mut m = self.align(&self.text_unit(a), &self.text_unit(b));
        m.sort_by_key(|x| x.a);
        m.iter()
            .filter_map(|x| {
                Some(AlignedWords {
                    a: wa.get(x.a as usize)?.clone(),
                    b: wb.get(x.b as usize)?.clone(),
                    exact: x.exact,
                })
            })
            .collect()
    }

    /// A whole text as one unit (all its content terms), spanning the text.
    pub fn text_unit(&self, text: &str) -> Unit {
        let (terms, skeletons, numeric) = self.terms(text);
        Unit { span: Span { start: 0, end: text.len() }, terms, skeletons, numeric, paragraph: 0 }
    }

    /// The units of a document.
    pub fn units(&self, text: &str) -> Vec<Unit> {
        unit_spans(text)
            .into_iter()
            .map(|(span, paragraph)| {
                let (terms, skeletons, numeric) = self.terms(&text[span.range()]);
                Unit { span, terms, skeletons, numeric, paragraph }
            })
            .collect()
    }

    /// Weighted soft Dice similarity of two units under term weights `idf`.
    pub fn similarity(&self, a: &Unit, b: &Unit, idf: &dyn Fn(u64) -> f64) -> f64 {
        let (matched, wa, wb) = self.soft_match(a, b, idf);
        if wa == 0.0 || wb == 0.0 {
            return 0.0;
        }
        (2.0 * matched / (wa + wb)).min(1.0)
    }

    /// The weight of the terms of `a` matched in `b` (exactly or by skeleton), and the total
    /// weights of `a` and `b`.
    fn soft_match(&self, a: &Unit, b: &Unit, idf: &dyn Fn(u64) -> f64) -> (f64, f64, f64) {
        let wa: f64 = a.terms.iter().map(|&t| idf(t)).sum();
        let wb: f64 = b.terms.iter().map(|&t| idf(t)).sum();
        let bset: AHashMap<u64, usize> = b.terms.iter().enumerate().map(|(i, &t)| (t, i)).collect();
        let mut used = vec![false; b.terms.len()];
        let mut matched = 0.0;
        for (i, &t) in a.terms.iter().enumerate() {
            if let Some(&j) = bset.get(&t) {
                used[j] = true;
                matched += idf(t);
                continue;
            }
            let sa = &a.skeletons[i];
            if sa.len() < 3 {
                continue;
            }
            if let Some(j) = (0..b.terms.len()).find(|&j| {
                !used[j] && b.skeletons[j].len() >= 3 && within_one_edit(sa, &b.skeletons[j])
            }) {
                used[j] = true;
                matched += 0.5 * (idf(t) + idf(b.terms[j]));
            }
        }
        (matched, wa, wb)
    }

    /// Aligns the terms of `a` with those of `b`: each term of `a` to the same term of `b`, or
    /// else to the first unused term of `b` whose consonant skeleton is within one edit.
    pub fn align(&self, a: &Unit, b: &Unit) -> Vec<TermMatch> {
        let bset: AHashMap<u64, usize> = b.terms.iter().enumerate().map(|(i, &t)| (t, i)).collect();
        let mut used = vec![false; b.terms.len()];
        let mut out = Vec::new();
        for (i, &t) in a.terms.iter().enumerate() {
            if let Some(&j) = bset.get(&t) {
                used[j] = true;
                out.push(TermMatch { a: i as u32, b: j as u32, exact: true });
            }
        }
        for (i, &t) in a.terms.iter().enumerate() {
            if bset.contains_key(&t) || a.numeric[i] {
                continue;
            }
            let sa = &a.skeletons[i];
            if sa.len() < 3 {
                continue;
            }
            if let Some(j) = (0..b.terms.len()).find(|&j| {
                !used[j]
                    && !b.numeric[j]
                    && b.skeletons[j].len() >= 3
                    && within_one_edit(sa, &b.skeletons[j])
            }) {
                used[j] = true;
                out.push(TermMatch { a: i as u32, b: j as u32, exact: false });
            }
        }
        out
    }

    /// The evidence that unit `a` restates unit `b`, with term weights from `idf` (the feed's).
    pub fn evidence(&self, a: &Unit, b: &Unit, idf: &Idf) -> Evidence {
        let matches = self.align(a, b);
        let wa: f64 = a.terms.iter().map(|&t| idf.weight(t)).sum();
        let wb: f64 = b.terms.iter().map(|&t| idf.weight(t)).sum();
        let mut in_a = vec![false; a.terms.len()];
        let mut in_b = vec![false; b.terms.len()];
        let mut matched = 0.0;
        for m in &matches {
            in_a[m.a as usize] = true;
            in_b[m.b as usize] = true;
            matched +=
                0.5 * (idf.weight(a.terms[m.a as usize]) + idf.weight(b.terms[m.b as usize]));
        }
        let unmatched = |u: &Unit, hit: &[bool], numeric: bool| -> (usize, f64) {
            let mut n = 0;
            let mut top: f64 = 0.0;
            for (k, &t) in u.terms.iter().enumerate() {
                if !hit[k] && u.numeric[k] == numeric {
                    n += 1;
                    top = top.max(idf.weight(t));
                }
            }
            (n, top)
        };
        let (num_only_a, _) = unmatched(a, &in_a, true);
        let (num_only_b, _) = unmatched(b, &in_b, true);
        let (only_a, rare_a) = unmatched(a, &in_a, false);
        let (only_b, rare_b) = unmatched(b, &in_b, false);
        // Order agreement: the longest increasing run of `b` positions, in `a` order.
        let mut by_a: Vec<&TermMatch> = matches.iter().collect();
        by_a.sort_by_key(|m| m.a);
        let mut tails: Vec<u32> = Vec::new();
        for m in by_a {
            match tails.binary_search(&m.b) {
                Ok(_) => {}
                Err(k) if k == tails.len() => tails.push(m.b),
                Err(k) => tails[k] = m.b,
            }
        }
        let shared_numbers = matches.iter().filter(|m| a.numeric[m.a as usize]).count();
        Evidence {
            dice: if wa + wb > 0.0 { (2.0 * matched / (wa + wb)).min(1.0) } else { 0.0 },
            coverage_a: if wa > 0.0 { (matched / wa).min(1.0) } else { 0.0 },
            coverage_b: if wb > 0.0 { (matched / wb).min(1.0) } else { 0.0 },
            matched_terms: matches.len(),
            exact_terms: matches.iter().filter(|m| m.exact).count(),
            terms_a: a.terms.len(),
            terms_b: b.terms.len(),
            ordered: if matches.is_empty() {
                0.0
            } else {
                tails.len() as f64 / matches.len() as f64
            },
            numbers_disagree: num_only_a > 0 && num_only_b > 0,
            shared_numbers,
            rare_unmatched: rare_a.min(rare_b),
            unmatched_min: only_a.min(only_b),
            unmatched_max: only_a.max(only_b),
            idf_scale: (1.0 + idf.n).ln(),
        }
    }

    /// Features of a pair of texts for the paraphrase model ([`PARAPHRASE_MODEL`]): soft
    /// Dice and soft containment of content terms (weighted by `terms`), Jaccard of all words,
    /// Dice of word bigrams, length ratio, agreement of numbers, Dice of character 4-grams, then
    /// the word n-gram and alignment features of `overlap_features`, then the Dice of all words
    /// by stem, weighted by `word_idf` (an [`Idf`] over [`Analyzer::word_keys`]) and the word edit
    /// distance over the longer length.
    pub fn pair_features(&self, a: &str, b: &str, terms: &Idf, word_idf: &Idf) -> [f64; FEATURES] {
        let idf = &|t| terms.weight(t);
        let (ua, ub) = (self.text_unit(a), self.text_unit(b));
        let (matched, wa, wb) = self.soft_match(&ua, &ub, idf);
        let dice = if wa + wb > 0.0 { (2.0 * matched / (wa + wb)).min(1.0) } else { 0.0 };
        let contain = if wa.min(wb) > 0.0 { (matched / wa.min(wb)).min(1.0) } else { 0.0 };
        let plain = Normalizer::new(Mode::Auto);
        let (na, nb) = (plain.normalize(a), plain.normalize(b));
        let wa: Vec<&str> = na.split(' ').filter(|w| !w.is_empty()).collect();
        let wb: Vec<&str> = nb.split(' ').filter(|w| !w.is_empty()).collect();
        let set = |v: &[&str]| v.iter().map(|w| xxh3_64(w.as_bytes())).collect::<AHashSet<u64>>();
        let jac = |x: &AHashSet<u64>, y: &AHashSet<u64>| {
            let u = x.union(y).count();
            if u == 0 {
                1.0
            } else {
                x.intersection(y).count() as f64 / u as f64
            }
        };
        let dice_sets = |x: &AHashSet<u64>, y: &AHashSet<u64>| {
            let t = x.len() + y.len();
            if t == 0 {
                1.0
            } else {
                2.0 * x.intersection(y).count() as f64 / t as f64
            }
        };
        let words = jac(&set(&wa), &set(&wb));
        let bigrams = |v: &[&str]| {
            v.windows(2)
                .map(|w| xxh3_64(format!("{} {}", w[0], w[1]).as_bytes()))
                .collect::<AHashSet<u64>>()
        };
        let bi = dice_sets(&bigrams(&wa), &bigrams(&wb));
        let ratio = wa.len().min(wb.len()) as f64 / wa.len().max(wb.len()).max(1) as f64;
        let nums = |v: &[&str]| {
            v.iter()
                .filter(|w| w.bytes().all(|c| c.is_ascii_digit() || c == b'.' || c == b','))
                .map(|w| xxh3_64(w.as_bytes()))
                .collect::<AHashSet<u64>>()
        };
        let num = jac(&nums(&wa), &nums(&wb));
        let grams = |s: &str| {
            let c: Vec<char> = s.chars().collect();
            c.windows(4)
                .map(|w| xxh3_64(w.iter().collect::<String>().as_bytes()))
                .collect::<AHashSet<u64>>()
        };
        let chars = dice_sets(&grams(&na), &grams(&nb));
        let mut f = [0.0; FEATURES];
        f[..7].copy_from_slice(&[dice, contain, words, bi, ratio, num, chars]);
        f[7..18].copy_from_slice(&overlap_features(&wa, &wb));
        f[18] = stem_dice(&word_stems(&wa), &word_stems(&wb), word_idf);
        f[19] = word_edit_distance(&wa, &wb) as f64 / wa.len().max(wb.len()).max(1) as f64;
        f
    }

    /// The distinct keys of a text's words (all words, stop words included), for the [`Idf`]
    /// that weighs the stem Dice feature of [`Analyzer::pair_features`].
    pub fn word_keys(&self, text: &str) -> Vec<u64> {
        let norm = Normalizer::new(Mode::Auto).normalize(text);
        let words: Vec<&str> = norm.split(' ').filter(|w| !w.is_empty()).collect();
        let mut keys: Vec<u64> = words.iter().map(|w| word_key(w.as_bytes())).collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// The paraphrase model's probability that two texts restate each other.
    pub fn paraphrase_probability(&self, a: &str, b: &str, terms: &Idf, word_idf: &Idf) -> f64 {
        let f = self.pair_features(a, b, terms, word_idf);
        let z = PARAPHRASE_MODEL.bias
            + f.iter().zip(PARAPHRASE_MODEL.weights).map(|(x, w)| x * w).sum::<f64>();
        1.0 / (1.0 + (-z).exp())
    }
}

/// Word n-gram and alignment features of two word sequences (after `Mode::Auto`
/// normalization): for n = 1, 2, 3 the lesser and the greater share of each side's n-grams found
/// in the other (BLEU-like precisions, both ways); the number of distinct words of each side
/// missing from the other (what one sentence says that the other does not: the strongest
/// single signal on MSRP); the difference in length; the longest common subsequence over the
/// longer length; Jaccard of 5-character word prefixes (a stemmer for inflections).
fn overlap_features(a: &[&str], b: &[&str]) -> [f64; 11] {
    let grams = |v: &[&str], n: usize| -> AHashSet<u64> {
        v.windows(n).map(|w| xxh3_64(w.join(" ").as_bytes())).collect()
    };
    let mut f = [0.0; 11];
    for n in 1..=3 {
        let (x, y) = (grams(a, n), grams(b, n));
        let i = x.intersection(&y).count() as f64;
        let (pa, pb) = (i / x.len().max(1) as f64, i / y.len().max(1) as f64);
        f[2 * (n - 1)] = pa.min(pb);
        f[2 * (n - 1) + 1] = pa.max(pb);
    }
    let (x, y): (AHashSet<&str>, AHashSet<&str>) =
        (a.iter().copied().collect(), b.iter().copied().collect());
    f[6] = x.difference(&y).count() as f64;
    f[7] = y.difference(&x).count() as f64;
    f[8] = (a.len() as f64 - b.len() as f64).abs();
    let mut prev = vec![0usize; b.len() + 1];
    for wa in a {
        let mut cur = vec![0usize; b.len() + 1];
        for (j, wb) in b.iter().enumerate() {
            cur[j + 1] = if wa == wb { prev[j] + 1 } else { prev[j + 1].max(cur[j]) };
        }
        prev = cur;
    }
    f[9] = prev[b.len()] as f64 / a.len().max(b.len()).max(1) as f64;
    fn prefix<'w>(w: &&'w str) -> &'w str {
        match w.char_indices().nth(5) {
            Some((i, _)) => &w[..i],
            None => w,
        }
    }
    let (px, py): (AHashSet<&str>, AHashSet<&str>) =
        (a.iter().map(prefix).collect(), b.iter().map(prefix).collect());
    let u = px.union(&py).count();
    f[10] = if u == 0 { 1.0 } else { px.intersection(&py).count() as f64 / u as f64 };
    f
}

/// A text's distinct words as (word key, stem key) pairs: the word hashed whole, and cut to
/// its first five characters (a crude stemmer that joins inflections: "acquired"/"acquire",
/// "shares"/"share"). Both are hashed apart from content terms.
fn word_stems(words: &[&str]) -> Vec<(u64, u64)> {
    let mut keys: Vec<(u64, u64)> = words
        .iter()
        .map(|w| {
            let cut = w.char_indices().nth(5).map_or(w.len(), |(i, _)| i);
            (word_key(w.as_bytes()), word_key(&w.as_bytes()[..cut]))
        })
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The key of a word or stem in [`word_stems`] and [`Analyzer::word_keys`]: hashed with a seed
/// of its own, apart from content terms (in memory only, never persisted).
fn word_key(w: &[u8]) -> u64 {
    xxh3_64_with_seed(w, 0x5354_454d)
}

/// Dice of two texts' words by stem, each word weighted by `idf`: 1 minus the weight of the
/// words whose stem the other side lacks, over the weight of all words of both. Two empty
/// texts are equal (1).
fn stem_dice(a: &[(u64, u64)], b: &[(u64, u64)], idf: &Idf) -> f64 {
    let (sa, sb): (AHashSet<u64>, AHashSet<u64>) =
        (a.iter().map(|k| k.1).collect(), b.iter().map(|k| k.1).collect());
    let total: f64 = a.iter().chain(b).map(|k| idf.weight(k.0)).sum();
    if total == 0.0 {
        return 1.0;
    }
    let missing = |x: &[(u64, u64)], other: &AHashSet<u64>| {
        x.iter().filter(|k| !other.contains(&k.1)).map(|k| idf.weight(k.0)).sum::<f64>()
    };
    1.0 - (missing(a, &sb) + missing(b, &sa)) / total
}

/// Levenshtein distance between two word sequences (insertions, deletions and substitutions
/// of whole words).
fn word_edit_distance(a: &[&str], b: &[&str]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, wa) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, wb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j + 1] + 1).min(cur[j] + 1).min(prev[j] + usize::from(wa != wb));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Number of pair features.
pub const FEATURES: usize = 20;

/// A logistic model over [`Analyzer::pair_features`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogisticModel {
    /// One weight per feature.
    pub weights: [f64; FEATURES],
    /// The intercept.
    pub bias: f64,
}

/// Trained by `benches/eval/train_paraphrase.py` on the MSRP training split (news sentence
/// pairs labelled as paraphrases); the script prints these constants.
pub const PARAPHRASE_MODEL: LogisticModel = LogisticModel {
    weights: [
        1.16948, -0.29811, 1.03468, -0.270438, -2.06271, 0.368261, 2.07942, -0.79687, -0.586326,
        0.561773, -1.23597, -1.12587, -2.52573, 0.00839311, 0.00582101, -0.189448, 1.98861,
        2.16961, 4.23965, -2.70435,
    ],
    bias: -0.210429,
};

/// Two aligned terms: term `a` of one unit and term `b` of the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TermMatch {
    /// Index of the term in the first unit.
    pub a: u32,
    /// Index of the term in the second unit.
    pub b: u32,
    /// The same term (else: consonant skeletons within one edit).
    pub exact: bool,
}

/// Two aligned content terms of a reported pair, as compared (normalized and stemmed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AlignedWords {
    /// The term of the first passage.
    pub a: String,
    /// The term of the second passage.
    pub b: String,
    /// The same term (else a spelling variant).
    pub exact: bool,
}

/// What the alignment of two units shows: the features the restatement model weighs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Evidence {
    /// Weighted soft Dice of the two units' terms.
    pub dice: f64,
    /// Share of the first unit's term weight aligned.
    pub coverage_a: f64,
    /// Share of the second unit's term weight aligned.
    pub coverage_b: f64,
    /// Aligned term pairs.
    pub matched_terms: usize,
    /// Aligned pairs that are the same term.
    pub exact_terms: usize,
    /// Content terms of the first unit.
    pub terms_a: usize,
    /// Content terms of the second unit.
    pub terms_b: usize,
    /// Share of the aligned terms in the same order in both units.
    pub ordered: f64,
    /// Each unit holds a number the other lacks (a template with other figures).
    pub numbers_disagree: bool,
    /// Numbers both units hold.
    pub shared_numbers: usize,
    /// The lesser of the two units' rarest unaligned word weights (a name or place only one
    /// of them has, on both sides).
    pub rare_unmatched: f64,
    /// Unaligned words (not numbers) of the unit with fewer of them.
    pub unmatched_min: usize,
    /// Unaligned words (not numbers) of the unit with more of them.
    pub unmatched_max: usize,
    /// The weight of a term seen once in the feed, to put weights on one scale.
    pub idf_scale: f64,
}

/// Number of restatement model features ([`Evidence::features`]).
pub const RESTATE_FEATURES: usize = 14;

impl Evidence {
    /// The restatement model's features, in the order of `benches/eval/train_restate.py`:
    /// Dice, lesser and greater coverage, numbers disagree, numbers shared, rarest unaligned
    /// word (on one scale), order agreement, share of exact matches, log of the lesser term
    /// count, aligned terms (capped at 20, over 20), inside one article, log of the lesser and
    /// greater unaligned word counts, and the template signal (at most three words differ,
    /// times the rarest unaligned word).
    pub fn features(&self, within: bool) -> [f64; RESTATE_FEATURES] {
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        let rare = self.rare_unmatched / self.idf_scale.max(1e-9);
        [
            self.dice,
            self.coverage_a.min(self.coverage_b),
            self.coverage_a.max(self.coverage_b),
            flag(self.numbers_disagree),
            flag(self.shared_numbers > 0),
            rare,
            self.ordered,
            self.exact_terms as f64 / self.matched_terms.max(1) as f64,
            (1.0 + self.terms_a.min(self.terms_b) as f64).ln(),
            self.matched_terms.min(20) as f64 / 20.0,
            flag(within),
            (1.0 + self.unmatched_min as f64).ln(),
            (1.0 + self.unmatched_max as f64).ln(),
            flag(self.unmatched_max <= 3) * rare,
        ]
    }
}

/// The logistic restatement model over [`Evidence::features`], with its decision threshold.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RestateModel {
    /// One weight per feature.
    pub weights: [f64; RESTATE_FEATURES],
    /// The intercept.
    pub bias: f64,
    /// The default least probability of a restatement.
    pub threshold: f64,
}

impl RestateModel {
    /// The probability that a unit pair with evidence `e` is a restatement.
    pub fn probability(&self, e: &Evidence, within: bool) -> f64 {
        let z = self.bias
            + e.features(within).iter().zip(self.weights).map(|(x, w)| x * w).sum::<f64>();
        1.0 / (1.0 + (-z).exp())
    }
}

/// Fitted by `benches/eval/train_restate.py` on the ar-restate dev pairs (readers' labels of
/// real Arabic sentence pairs) with term weights over the whole SaudiNewsNet feed; the
/// threshold maximises F0.7 (precision weighed over recall) on the training pairs. The script
/// reports figures cross-validated by article.
pub const RESTATE_MODEL: RestateModel = RestateModel {
    weights: [
        1.28133, 0.977771, 1.53645, -0.709621, 0.135839, -0.0344275, 0.446332, 0.535955, 0.232327,
        1.46584, -0.619578, -0.194269, 0.0576686, -0.499682,
    ],
    bias: -4.40223,
    threshold: 0.5374,
};

/// One side of a passage pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Place {
    /// Document number (index in the input).
    pub doc: u32,
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// What a passage pair is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A passage restated elsewhere.
    Restated,
    /// A headline restated in the lead.
    Headline,
}

impl Kind {
    /// The name in the output.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Restated => "restated",
            Kind::Headline => "headline",
        }
    }
}

/// How the two passages of a pair match.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchKind {
    /// The same words in the same order.
    Verbatim,
    /// One passage says the whole of the other, and more.
    Contained,
    /// The same content in other words.
    Reworded,
}

impl MatchKind {
    /// The name in the output.
    pub fn name(self) -> &'static str {
        match self {
            MatchKind::Verbatim => "verbatim",
            MatchKind::Contained => "contained",
            MatchKind::Reworded => "reworded",
        }
    }

    /// The kind of match that `e` shows.
    pub fn of(e: &Evidence) -> MatchKind {
        let exact = e.exact_terms == e.matched_terms;
        if exact && e.dice >= 0.95 && e.ordered >= 0.95 {
            MatchKind::Verbatim
        } else if e.coverage_a.max(e.coverage_b) >= 0.9 && e.coverage_a.min(e.coverage_b) < 0.75 {
            MatchKind::Contained
        } else {
            MatchKind::Reworded
        }
    }
}

/// Two passages that restate each other.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Restatement {
    /// Restated, or a headline restated in the lead.
    pub kind: Kind,
    /// How the passages match (of the best unit pair).
    pub matched: MatchKind,
    /// The restatement model's probability for the best unit pair of the passage pair (the
    /// weighted soft Dice where the term weights are not a feed's: see [`FEED_UNITS`]).
    pub similarity: f64,
    /// The alignment of the best unit pair.
    pub evidence: Evidence,
    /// The earlier passage.
    pub a: Place,
    /// The later passage.
    pub b: Place,
}

/// A line that recurs across the feed (or within one document).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BoilerplateLine {
    /// The line as it first appeared.
    pub text: String,
    /// How many times it appears.
    pub count: usize,
    /// Where.
    pub places: Vec<Place>,
}

/// Inverse document frequencies of terms over a set of units.
#[derive(Debug, Default)]
pub struct Idf {
    df: AHashMap<u64, u32>,
    n: f64,
}

impl Idf {
    /// Counts keys given as one set per unit (each key at most once per set).
    pub fn from_key_sets<'k>(sets: impl IntoIterator<Item = &'k [u64]>) -> Idf {
        let mut df: AHashMap<u64, u32> = AHashMap::new();
        let mut n = 0u32;
        for set in sets {
            n += 1;
            for &k in set {
                *df.entry(k).or_insert(0) += 1;
            }
        }
        Idf { df, n: n.max(1) as f64 }
    }

    /// Counts the terms of `units` (each slice is one document's units).
    pub fn new(units: &[&[Unit]]) -> Idf {
        Idf::from_key_sets(units.iter().flat_map(|us| us.iter().map(|u| u.terms.as_slice())))
    }

    /// The number of units (or key sets) counted.
    pub fn units(&self) -> f64 {
        self.n
    }

    /// `ln(1 + N / df)`; unseen terms count as seen once.
    pub fn weight(&self, t: u64) -> f64 {
        let d = self.df.get(&t).copied().unwrap_or(1) as f64;
        (1.0 + self.n / d).ln()
    }

    /// True for terms in more than a twentieth of the units (and at least 20 of them).
    pub fn is_common(&self, t: u64) -> bool {
        let d = self.df.get(&t).copied().unwrap_or(0) as f64;
        d >= 20.0 && d > self.n / 20.0
    }
}

/// Recurring lines: short lines (at most `max_chars` characters) that appear at least twice
/// in one document, or in at least `min_docs` documents. `docs` holds `(doc number, text)`.
pub fn boilerplate_lines(
    docs: &[(u32, &str)],
    min_docs: usize,
    max_chars: usize,
) -> Vec<BoilerplateLine> {
    struct Acc {
        line: BoilerplateLine,
        docs: usize,
        last_doc: Option<u32>,
        in_one: usize,
        max_in_one: usize,
    }
    let mut by_key: AHashMap<u64, Acc> = AHashMap::new();
    let mut order = Vec::new();
    for &(d, text) in docs {
        for span in segment::lines(text) {
            let line = &text[span.range()];
            if line.chars().count() > max_chars {
                continue;
            }
            let key = xxh3_64(line.as_bytes());
            let e = by_key.entry(key).or_insert_with(|| {
                order.push(key);
                Acc {
                    line: BoilerplateLine { text: line.to_owned(), count: 0, places: Vec::new() },
                    docs: 0,
                    last_doc: None,
                    in_one: 0,
                    max_in_one: 0,
                }
            });
            if e.last_doc != Some(d) {
                e.docs += 1;
                e.last_doc = Some(d);
                e.in_one = 0;
            }
            e.in_one += 1;
            e.max_in_one = e.max_in_one.max(e.in_one);
            e.line.count += 1;
            e.line.places.push(Place { doc: d, start: span.start, end: span.end });
        }
    }
    order
        .into_iter()
        .filter_map(|k| by_key.remove(&k))
        .filter(|a| a.max_in_one >= 2 || a.docs >= min_docs.max(2))
        .map(|a| a.line)
        .collect()
}

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

impl Unit {
    /// The content terms (hashes of stemmed words), deduplicated.
    pub fn terms(&self) -> &[u64] {
        &self.terms
    }

    /// Consecutive units joined into one (union of terms; the span of all). `units` must not
    /// be empty.
    pub fn join(units: &[Unit]) -> Unit {
        join_units(units)
    }
}

/// The union of consecutive units, as one unit.
fn join_units(units: &[Unit]) -> Unit {
    let mut out = units[0].clone();
    for u in &units[1..] {
        out.span.end = u.span.end;
        for ((t, sk), &num) in u.terms.iter().zip(&u.skeletons).zip(&u.numeric) {
            if !out.terms.contains(t) {
                out.terms.push(*t);
                out.skeletons.push(sk.clone());
                out.numeric.push(num);
            }
        }
    }
    out
}

impl Analyzer {
    /// The best match between unit `i` of `ua` and unit `j` of `ub`, also trying each unit
    /// joined with the next clause of its paragraph (a sliding window of two), so that a
    /// sentence restated as two clauses, or two clauses restated as one, are seen whole.
    fn best_window(
        &self,
        ua: &[Unit],
        i: usize,
        ub: &[Unit],
        j: usize,
        idf: &dyn Fn(u64) -> f64,
    ) -> Seed {
        let seed =
            |a0, a1, b0, b1, dice| Seed { a0, a1, b0, b1, dice, probability: 0.0, evidence: None };
        let mut best = seed(i, i, j, j, self.similarity(&ua[i], &ub[j], idf));
        let next_a = i + 1 < ua.len() && ua[i + 1].paragraph == ua[i].paragraph;
        let next_b = j + 1 < ub.len() && ub[j + 1].paragraph == ub[j].paragraph;
        // A window counts only when it beats both of its units alone: a clause that matches
        // by itself is its own seed, and must not drag its neighbour in.
        if next_b && !(std::ptr::eq(ua, ub) && j + 1 == i) {
            let w = join_units(&ub[j..=j + 1]);
            let sim = self.similarity(&ua[i], &w, idf);
            if sim > best.dice && sim > self.similarity(&ua[i], &ub[j + 1], idf) {
                best = seed(i, i, j, j + 1, sim);
            }
        }
        if next_a && !(std::ptr::eq(ua, ub) && i + 1 >= j) {
            let w = join_units(&ua[i..=i + 1]);
            let sim = self.similarity(&w, &ub[j], idf);
            if sim > best.dice && sim > self.similarity(&ua[i + 1], &ub[j], idf) {
                best = seed(i, i + 1, j, j, sim);
            }
        }
        best
    }

    /// Weighs a seed that passed the first cut with the restatement model: true when the
    /// model's probability reaches `min_similarity`.
    fn weigh(&self, seed: &mut Seed, ua: &[Unit], ub: &[Unit], idf: &Idf, within: bool) -> bool {
        fn join(u: &[Unit], x: usize, y: usize) -> std::borrow::Cow<'_, Unit> {
            if x == y {
                std::borrow::Cow::Borrowed(&u[x])
            } else {
                std::borrow::Cow::Owned(join_units(&u[x..=y]))
            }
        }
        let (a, b) = (join(ua, seed.a0, seed.a1), join(ub, seed.b0, seed.b1));
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
    /// Restatements inside one document. `skip` holds spans (boilerplate lines) whose units are
    /// left out; `idf` weighs terms.
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
        let mut seeds = Vec::new();
        let mut headlines = Vec::new();
        for i in 0..units.len() {
            if !eligible[i] {
                continue;
            }
            for j in i + 2..units.len() {
                if !eligible[j] || units[j].paragraph == units[i].paragraph {
                    continue;
                }
                let mut seed = self.best_window(units, i, units, j, idf_w);
                if seed.dice >= self.params.threshold
                    && self.weigh(&mut seed, units, units, idf, true)
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
    /// number `k` and the spans to skip. Candidates come from LSH over MinHash signatures of
    /// the units' informative terms (64 slots, 32 bands of 2 rows: a unit pair sharing a
    /// quarter of its terms is found with probability 0.87), then every candidate is scored
    /// like a pair inside one document.
    pub fn across(&self, docs: &[(&[Unit], &[Span])], idf: &Idf) -> Vec<Restatement> {
        use crate::lsh::{band_candidates, unpack, Banding};
        use crate::signature::MinHasher;
        use rayon::prelude::*;
        const K: usize = 64;
        let hasher = match MinHasher::new(K, 0x7061_7373) {
            Ok(h) => h,
            Err(_) => return Vec::new(),
        };
        // Unit index -> (doc, unit number).
        let mut where_: Vec<(u32, u32)> = Vec::new();
        let mut sigs: Vec<u32> = Vec::new();
        let mut sig = vec![0u32; K];
        let mut bins = Vec::new();
        for (d, (units, skip)) in docs.iter().enumerate() {
            for (i, u) in units.iter().enumerate() {
                if u.terms.len() < self.params.min_terms
                    || skip.iter().any(|s| s.start <= u.span.start && u.span.end <= s.end)
                {
                    continue;
                }
                // Terms so common that they carry little evidence stay out of the signatures.
                let informative: Vec<u64> =
                    u.terms.iter().copied().filter(|&t| !idf.is_common(t)).collect();
                if informative.len() < 3 || !hasher.sketch_into(&informative, &mut bins, &mut sig) {
                    continue;
                }
                sigs.extend_from_slice(&sig);
                where_.push((d as u32, i as u32));
            }
        }
        let ids: Vec<u32> = (0..where_.len() as u32).collect();
        let cands = band_candidates(&sigs, K, &ids, Banding { bands: 32, rows: 2 });
        let mut seeds: Vec<(u32, u32, Seed)> = cands
            .par_iter()
            .filter_map(|&p| {
                let (x, y) = unpack(p);
                let ((da, ia), (db, ib)) = (where_[x as usize], where_[y as usize]);
                if da == db {
                    return None;
                }
                let (ua, ub) = (docs[da as usize].0, docs[db as usize].0);
                let mut seed =
                    self.best_window(ua, ia as usize, ub, ib as usize, &|t| idf.weight(t));
                (seed.dice >= self.params.threshold && self.weigh(&mut seed, ua, ub, idf, false))
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

/// Where to look for restatements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Inside each document only.
    Doc,
    /// Inside each document and across documents.
    Corpus,
}

/// How boilerplate lines are found ([`boilerplate_lines`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoilerplateRule {
    /// A short line in this many documents (or twice in one) is boilerplate.
    pub min_docs: usize,
    /// Lines longer than this many characters are never boilerplate.
    pub max_chars: usize,
}

impl Default for BoilerplateRule {
    fn default() -> Self {
        BoilerplateRule { min_docs: 3, max_chars: 100 }
    }
}

/// What [`find`] reports: restated passage pairs (sorted by document and position) and the
/// boilerplate lines left out of them.
#[derive(Clone, Debug, Default)]
pub struct PassageReport {
    /// Restated passage pairs, sorted by first document, position, second document, position.
    pub restated: Vec<Restatement>,
    /// Recurring lines.
    pub boilerplate: Vec<BoilerplateLine>,
}

impl PassageReport {
    /// Restated pairs inside one document.
    pub fn in_article(&self) -> usize {
        self.restated.iter().filter(|r| r.kind == Kind::Restated && r.a.doc == r.b.doc).count()
    }

    /// Restated pairs across two documents.
    pub fn cross_article(&self) -> usize {
        self.restated.iter().filter(|r| r.kind == Kind::Restated && r.a.doc != r.b.doc).count()
    }
}

/// The passage pipeline, the one entry point of `neardup passages` and `neardup report`:
/// boilerplate lines, units, term weights over all units of `texts`, restatements inside each
/// document and (with [`Scope::Corpus`]) across them. Document numbers are indices in `texts`.
pub fn find(
    analyzer: &Analyzer,
    texts: &[&str],
    scope: Scope,
    rule: BoilerplateRule,
) -> PassageReport {
    use rayon::prelude::*;
    let numbered: Vec<(u32, &str)> =
        texts.iter().enumerate().map(|(i, t)| (i as u32, *t)).collect();
    let boilerplate = boilerplate_lines(&numbered, rule.min_docs, rule.max_chars);
    let mut skip: Vec<Vec<Span>> = vec![Vec::new(); texts.len()];
    for b in &boilerplate {
        for p in &b.places {
            skip[p.doc as usize].push(Span { start: p.start, end: p.end });
        }
    }
    let units: Vec<Vec<Unit>> = texts.par_iter().map(|t| analyzer.units(t)).collect();
    let refs: Vec<&[Unit]> = units.iter().map(Vec::as_slice).collect();
    let idf = Idf::new(&refs);
    let mut restated: Vec<Restatement> = (0..texts.len())
        .into_par_iter()
        .flat_map_iter(|d| analyzer.within(d as u32, texts[d], &units[d], &skip[d], &idf))
        .collect();
    if scope == Scope::Corpus && texts.len() > 1 {
        let per_doc: Vec<(&[Unit], &[Span])> =
            units.iter().zip(&skip).map(|(u, s)| (u.as_slice(), s.as_slice())).collect();
        restated.extend(analyzer.across(&per_doc, &idf));
    }
    restated.sort_by_key(|r| (r.a.doc, r.a.start, r.b.doc, r.b.start, r.a.end, r.b.end));
    PassageReport { restated, boilerplate }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_edit() {
        let s = |x: &str| x.chars().collect::<Vec<_>>();
        assert!(within_one_edit(&s("حفتر"), &s("هفتر")));
        assert!(within_one_edit(&s("abc"), &s("abxc")));
        assert!(!within_one_edit(&s("abc"), &s("xyz")));
        assert!(within_one_edit(&s("abc"), &s("abc")));
    }

    #[test]
    fn units_split_arabic_clauses() {
        let t = "في 29 مايو 2018 ، وافقت الفصائل الليبية على إجراء انتخابات رئاسية في البلاد، وحضر المؤتمر الأمين العام لجامعة الدول العربية أحمد أبو الغيط.";
        let u = unit_spans(t);
        assert_eq!(u.len(), 2, "{:?}", u.iter().map(|(s, _)| &t[s.range()]).collect::<Vec<_>>());
        assert!(t[u[1].0.range()].starts_with("وحضر"));
    }

    #[test]
    fn number_words_and_spelling_variants_match() {
        let a = Analyzer::default();
        let idf = |_| 1.0;
        let x = a.units("وأكد في 8 نوفمبر أن الرئيس الروسي خليفة حفتر لن يأتي إلى إيطاليا مطلقا");
        let y = a.units("ليعود ويؤكد في الثامن نوفمبر أن خليفة هفتار بوتين لن يذهب إلى إيطاليا");
        assert!(a.similarity(&x[0], &y[0], &idf) > 0.5);
    }

    #[test]
    fn word_edit_distance_counts_whole_words() {
        assert_eq!(word_edit_distance(&["a", "b", "c"], &["a", "b", "c"]), 0);
        assert_eq!(word_edit_distance(&["a", "b", "c"], &["a", "x", "c"]), 1);
        assert_eq!(word_edit_distance(&["a", "b", "c"], &["b", "c"]), 1);
        assert_eq!(word_edit_distance(&[], &["a", "b"]), 2);
        assert_eq!(word_edit_distance(&["a", "b"], &["b", "a"]), 2);
    }

    #[test]
    fn stem_dice_joins_inflections_and_weighs_rare_words() {
        let a = Analyzer::default();
        let stems = |t: &str| {
            let n = Normalizer::new(Mode::Auto).normalize(t);
            word_stems(&n.split(' ').filter(|w| !w.is_empty()).collect::<Vec<_>>())
        };
        let texts =
            ["The company acquired shares", "The company acquires the share", "The rain fell"];
        let keys: Vec<Vec<u64>> = texts.iter().map(|t| a.word_keys(t)).collect();
        let idf = Idf::from_key_sets(keys.iter().map(Vec::as_slice));
        // Inflections share their five-letter stem (acquired/acquires, shares/share).
        assert_eq!(stem_dice(&stems(texts[0]), &stems(texts[1]), &idf), 1.0);
        assert!(stem_dice(&stems(texts[0]), &stems(texts[2]), &idf) < 0.2);
        assert_eq!(stem_dice(&stems("rain fell"), &stems("company shares"), &idf), 0.0);
        assert_eq!(stem_dice(&[], &[], &idf), 1.0);
        // Missing a rare word costs more than missing a common one.
        let common = stem_dice(
            &stems("the company acquired shares"),
            &stems("company acquired shares"),
            &idf,
        );
        let rare =
            stem_dice(&stems("the company acquired shares"), &stems("the acquired shares"), &idf);
        assert!(rare < common && common < 1.0, "{rare} {common}");
    }
}
