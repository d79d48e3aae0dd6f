//! Terms and their similarity: content terms of a text, their weights over the feed
//! ([`Idf`]), and the soft matching that aligns the terms of two units.

use ahash::{AHashMap, AHashSet};
use serde::Serialize;
use xxhash_rust::xxh3::xxh3_64;

use super::units::Unit;
use super::Analyzer;

/// The consonant skeleton of a normalized word: without ا و ي (long vowels and their carriers).
pub(super) fn skeleton(word: &str) -> impl Iterator<Item = char> + '_ {
    word.chars().filter(|c| !matches!(c, 'ا' | 'و' | 'ي'))
}

/// Where item `k` lies in a buffer of items laid end to end, the end of each in `ends`.
#[inline]
pub(super) fn item_range(ends: &[u32], k: usize) -> std::ops::Range<usize> {
    let from = if k == 0 { 0 } else { ends[k - 1] as usize };
    from..ends[k] as usize
}

/// Per-thread buffers of [`Analyzer::for_each_term`]: the normalized text and the hashes seen
/// (a list, and a set for texts of many terms).
#[derive(Default)]
struct Scratch {
    norm: String,
    seen: Vec<u64>,
    set: AHashSet<u64>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

/// The hashes of a text's terms seen so far: a list scanned while it is short, a set beyond
/// (`big` says which; the set is the per-thread one, emptied, not made anew).
struct Distinct<'s> {
    small: &'s mut Vec<u64>,
    set: &'s mut AHashSet<u64>,
    big: bool,
}

impl Distinct<'_> {
    /// Whether `h` is new (then it is remembered).
    #[inline]
    fn insert(&mut self, h: u64) -> bool {
        if self.big {
            return self.set.insert(h);
        }
        if self.small.contains(&h) {
            return false;
        }
        self.small.push(h);
        if self.small.len() > 32 {
            self.set.clear();
            self.set.extend(self.small.iter().copied());
            self.big = true;
        }
        true
    }
}

/// The content terms of a text as a unit holds them: hashes, skeletons (letters of all terms
/// in one buffer, with each term's end), and whether each is a number.
#[derive(Clone, Default)]
pub(super) struct TermSet {
    pub(super) hashes: Vec<u64>,
    pub(super) letters: Vec<char>,
    pub(super) ends: Vec<u32>,
    pub(super) numeric: Vec<bool>,
}

thread_local! {
    static TERMS: std::cell::RefCell<TermSet> = std::cell::RefCell::default();
}

impl TermSet {
    fn clear(&mut self) {
        self.hashes.clear();
        self.letters.clear();
        self.ends.clear();
        self.numeric.clear();
    }

    /// Adds the term `w` of hash `h`.
    fn push(&mut self, h: u64, w: &str) {
        self.hashes.push(h);
        self.letters.extend(skeleton(w));
        self.ends.push(self.letters.len() as u32);
        self.numeric.push(is_number(w));
    }
}

/// Levenshtein distance of at most one, for short char slices.
#[inline]
pub(super) fn within_one_edit(a: &[char], b: &[char]) -> bool {
    let (a, b) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if b.len() - a.len() > 1 {
        return false;
    }
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    if a.len() == b.len() {
        same(&a[prefix + 1.min(a.len() - prefix)..], &b[prefix + 1.min(b.len() - prefix)..])
    } else {
        same(&a[prefix..], &b[prefix + 1..])
    }
}

/// `a == b` letter by letter (skeletons are a few letters: no call to `memcmp`).
#[inline]
fn same(a: &[char], b: &[char]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}
/// Whether a content term is a number (digits, with `.` or `,` between them).
fn is_number(w: &str) -> bool {
    w.as_bytes()[0].is_ascii_digit()
        && w.bytes().all(|c| c.is_ascii_digit() || c == b'.' || c == b',')
}

/// The content terms of a text as words, in one buffer (a text's words are not each a
/// `String`).
#[derive(Default)]
struct Words {
    text: String,
    ends: Vec<u32>,
}

thread_local! {
    static WORDS: std::cell::RefCell<Words> = std::cell::RefCell::default();
}

impl Words {
    /// Word `k`, if there is one.
    fn get(&self, k: usize) -> Option<&str> {
        (k < self.ends.len()).then(|| &self.text[item_range(&self.ends, k)])
    }
}

/// The aligned content terms of many pairs of texts ([`Analyzer::aligned_pairs`]): each
/// distinct text's words once, and each pair's alignment.
pub struct AlignedPairs {
    words: Vec<Words>,
    ids: Vec<(u32, u32)>,
    matches: Vec<Vec<TermMatch>>,
}

impl AlignedPairs {
    /// The number of pairs.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The aligned words of pair `k` (as [`Analyzer::aligned_words`]): the word of the first
    /// text, the word of the second, and whether they are the same term, in the order of the
    /// first text.
    pub fn pair(&self, k: usize) -> impl Iterator<Item = (&str, &str, bool)> + '_ {
        let (wa, wb) = (&self.words[self.ids[k].0 as usize], &self.words[self.ids[k].1 as usize]);
        self.matches[k]
            .iter()
            .filter_map(move |x| Some((wa.get(x.a as usize)?, wb.get(x.b as usize)?, x.exact)))
    }
}

/// The alignment of two texts given as [`Analyzer::worded_unit`]s (with their
/// [`long_terms`]), in the order of `a`.
fn aligned_of(a: (&Unit, u64), b: (&Unit, u64), an: &Analyzer) -> Vec<TermMatch> {
    let mut m = an.aligned_with(a, b);
    m.sort_by_key(|x| x.a);
    m
}

/// The aligned words of pair `k` of `all`, as owned words.
fn words_of(all: &AlignedPairs, k: usize) -> Vec<AlignedWords> {
    all.pair(k)
        .map(|(a, b, exact)| AlignedWords { a: a.to_owned(), b: b.to_owned(), exact })
        .collect()
}

impl Analyzer {
    /// The content terms of a piece of text, as (hash, skeleton, numeric), deduplicated.
    pub fn terms(&self, text: &str) -> (Vec<u64>, Vec<Vec<char>>, Vec<bool>) {
        let t = self.term_set(text);
        let skels = (0..t.ends.len()).map(|k| t.letters[item_range(&t.ends, k)].to_vec()).collect();
        (t.hashes, skels, t.numeric)
    }

    /// The content terms of a piece of text as a unit holds them ([`TermSet`]).
    pub(super) fn term_set(&self, text: &str) -> TermSet {
        // Built in per-thread buffers, then copied out at their exact sizes (one allocation
        // each, no growing).
        TERMS.with(|cell| {
            let mut t = cell.borrow_mut();
            t.clear();
            self.for_each_term(text, |h, w| t.push(h, w));
            t.clone()
        })
    }

    /// Calls `f` with each distinct content term of `text`: its hash and its word.
    pub(super) fn for_each_term(&self, text: &str, mut f: impl FnMut(u64, &str)) {
        SCRATCH.with(|cell| {
            let mut guard = cell.borrow_mut();
            let Scratch { norm, seen, set } = &mut *guard;
            let mut distinct = Distinct { small: seen, set, big: false };
            distinct.small.clear();
            self.normalizer.for_each_normalized_word(text, norm, |w| {
                // One letter is no content term, unless it is a digit (a figure).
                let mut chars = w.chars();
                let single = chars.next().is_some() && chars.next().is_none();
                if single && !w.as_bytes()[0].is_ascii_digit() {
                    return;
                }
                let w = match self.lexicon.get(w) {
                    None => w,
                    Some(None) => return,
                    Some(Some(digits)) => digits,
                };
                let h = xxh3_64(w.as_bytes());
                if distinct.insert(h) {
                    f(h, w);
                }
            });
        });
    }

    /// The aligned content terms of two texts (normalized and stemmed, as compared), in the
    /// order of `a`: the evidence of a reported pair.
    pub fn aligned_words(&self, a: &str, b: &str) -> Vec<AlignedWords> {
        words_of(&self.aligned_pairs(&[(a, b)]), 0)
    }

    /// [`Analyzer::aligned_words`] of each pair of texts, each distinct text normalized once
    /// (a passage restated in many documents is in many pairs), in parallel.
    pub fn aligned_words_all(&self, pairs: &[(&str, &str)]) -> Vec<Vec<AlignedWords>> {
        let all = self.aligned_pairs(pairs);
        (0..all.len()).map(|k| words_of(&all, k)).collect()
    }

    /// [`Analyzer::aligned_words_all`] with the words borrowed from one copy of each text's
    /// words ([`AlignedPairs::pair`]) rather than copied into each pair's.
    pub fn aligned_pairs(&self, pairs: &[(&str, &str)]) -> AlignedPairs {
        use rayon::prelude::*;
        let mut number: AHashMap<&str, u32> = AHashMap::new();
        let mut distinct: Vec<&str> = Vec::new();
        let mut id = |t| {
            *number.entry(t).or_insert_with(|| {
                distinct.push(t);
                distinct.len() as u32 - 1
            })
        };
        let ids: Vec<(u32, u32)> = pairs.iter().map(|&(a, b)| (id(a), id(b))).collect();
        let worded: Vec<(Words, Unit, u64)> = distinct
            .par_iter()
            .map(|t| {
                let (words, unit) = self.worded_unit(t);
                let soft = long_terms(&unit);
                (words, unit, soft)
            })
            .collect();
        let side = |k: u32| (&worded[k as usize].1, worded[k as usize].2);
        let matches = ids.par_iter().map(|&(x, y)| aligned_of(side(x), side(y), self)).collect();
        AlignedPairs { words: worded.into_iter().map(|w| w.0).collect(), ids, matches }
    }

    /// A whole text as one unit ([`Analyzer::text_unit`]) and its content terms as words, from
    /// one pass over its terms.
    fn worded_unit(&self, text: &str) -> (Words, Unit) {
        // Built in the per-thread buffers of `term_set` and `WORDS`, then copied out at their
        // exact sizes (one allocation each, no growing).
        let (words, t) = TERMS.with(|terms| {
            WORDS.with(|words| {
                let (mut t, mut words) = (terms.borrow_mut(), words.borrow_mut());
                t.clear();
                words.text.clear();
                words.ends.clear();
                self.for_each_term(text, |h, w| {
                    t.push(h, w);
                    words.text.push_str(w);
                    let end = words.text.len() as u32;
                    words.ends.push(end);
                });
                (Words { text: words.text.clone(), ends: words.ends.clone() }, t.clone())
            })
        });
        let span = crate::segment::Span { start: 0, end: text.len() };
        (words, Unit::new(span, 0, t))
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
    /// weights of `a` and `b`. Each term of `a` in order takes the same term of `b`, or else
    /// the first unused term of `b` whose skeleton is within one edit.
    pub(super) fn soft_match(
        &self,
        a: &Unit,
        b: &Unit,
        idf: &dyn Fn(u64) -> f64,
    ) -> (f64, f64, f64) {
        let (wa, wb) = (a.total_weight(idf), b.total_weight(idf));
        let mut buf = [false; 64];
        let mut big = Vec::new();
        let used = used_flags(&mut buf, &mut big, b.terms.len());
        let mut matched = 0.0;
        for (i, &t) in a.terms.iter().enumerate() {
            if let Some(j) = b.terms.iter().position(|&x| x == t) {
                used[j] = true;
                matched += a.weight(i, idf);
                continue;
            }
            if let Some(j) = soft_partner(a, i, b, used, false) {
                used[j] = true;
                matched += 0.5 * (a.weight(i, idf) + b.weight(j, idf));
            }
        }
        (matched, wa, wb)
    }

    /// [`Analyzer::align`] of `a` and `b`, the same matches in the same order, by their
    /// [`Relation`] where both have at most [`Relation::MAX`] terms (each term of `a` looked
    /// for in `b` once, the skeleton masks eight at a time where the processor can).
    pub(super) fn aligned(&self, a: &Unit, b: &Unit) -> Vec<TermMatch> {
        self.aligned_with((a, long_terms(a)), (b, long_terms(b)))
    }

    /// [`Analyzer::aligned`] of units given with their [`long_terms`].
    fn aligned_with(&self, (a, soft_a): (&Unit, u64), (b, soft_b): (&Unit, u64)) -> Vec<TermMatch> {
        if a.terms.len() > Relation::MAX || b.terms.len() > Relation::MAX {
            return self.align(a, b);
        }
        let mut rel = Relation::exact(a, b, term_bloom(&b.terms));
        rel.add_soft(a, b, soft_a, soft_b);
        rel.matches(a, b)
    }

    /// Aligns the terms of `a` with those of `b`: each term of `a` to the same term of `b`, or
    /// else to the first unused term of `b` whose consonant skeleton is within one edit.
    pub fn align(&self, a: &Unit, b: &Unit) -> Vec<TermMatch> {
        let mut buf = [false; 64];
        let mut big = Vec::new();
        let used = used_flags(&mut buf, &mut big, b.terms.len());
        let mut exact = [false; 64];
        let mut exact_big = Vec::new();
        let exact_in_a = used_flags(&mut exact, &mut exact_big, a.terms.len());
        let mut out = Vec::new();
        for (i, &t) in a.terms.iter().enumerate() {
            if let Some(j) = b.terms.iter().position(|&x| x == t) {
                used[j] = true;
                exact_in_a[i] = true;
                out.push(TermMatch { a: i as u32, b: j as u32, exact: true });
            }
        }
        for (i, &done) in exact_in_a.iter().enumerate() {
            if done || a.numeric[i] {
                continue;
            }
            if let Some(j) = soft_partner(a, i, b, used, true) {
                used[j] = true;
                out.push(TermMatch { a: i as u32, b: j as u32, exact: false });
            }
        }
        out
    }
}

/// `n` flags, all false: in `buf` when they fit, else in `big`.
pub(super) fn used_flags<'f>(
    buf: &'f mut [bool; 64],
    big: &'f mut Vec<bool>,
    n: usize,
) -> &'f mut [bool] {
    if n <= buf.len() {
        &mut buf[..n]
    } else {
        *big = vec![false; n];
        big
    }
}

/// The first unused term of `b` (not a number, with `no_numbers`) whose skeleton is within one
/// edit of the skeleton of term `i` of `a`; skeletons shorter than three letters match nothing.
#[inline]
fn soft_partner(a: &Unit, i: usize, b: &Unit, used: &[bool], no_numbers: bool) -> Option<usize> {
    let sa = a.skeleton(i);
    if sa.len() < 3 {
        return None;
    }
    let ma = a.masks[i];
    (0..b.terms.len()).find(|&j| {
        !used[j]
            && masks_near(ma, b.masks[j])
            && !(no_numbers && b.numeric[j])
            && b.skeleton(j).len() >= 3
            && within_one_edit(sa, b.skeleton(j))
    })
}

/// How the terms of one unit meet those of another, each of at most [`Relation::MAX`] terms:
/// for each term of the first, the same term in the second, or else the terms of the second
/// whose skeletons are within one edit (the test of [`soft_partner`]). The soft match of two
/// units, of a unit and a window of two, and of their parts are read off the relations of
/// the units ([`soft_matched`]) without comparing terms again.
pub(super) struct Relation {
    /// For each term of the first unit, one more than the index of the same term in the
    /// second; 0 for none.
    exact: [u8; Relation::MAX],
    /// For each term of the first unit without the same term in the second, the terms of the
    /// second (bits) whose skeletons are within one edit of its own.
    soft: [u64; Relation::MAX],
    /// The terms of the first unit (bits) with the same term in the second.
    pub(super) exact_rows: u64,
}

impl Relation {
    /// The most terms a unit may have to be related.
    pub(super) const MAX: usize = 64;

    /// The exact partners of the terms of `a` in `b` alone (no soft matches yet: see
    /// [`Relation::add_soft`]); a term outside `bloom_b` ([`term_bloom`] of `b`) has none, and
    /// is not searched for.
    pub(super) fn exact(a: &Unit, b: &Unit, bloom_b: [u64; 2]) -> Relation {
        let mut rel =
            Relation { exact: [0; Relation::MAX], soft: [0; Relation::MAX], exact_rows: 0 };
        for (r, &t) in a.terms.iter().enumerate() {
            if in_bloom(&bloom_b, t) {
                if let Some(c) = b.terms.iter().position(|&x| x == t) {
                    rel.exact[r] = c as u8 + 1;
                    rel.exact_rows |= 1 << r;
                }
            }
        }
        rel
    }

    /// The alignment of `a` with `b` (the units this relation was made of, soft matches
    /// added), as [`Analyzer::align`] makes it: each term's exact partner, then for each term
    /// without one (not a number) the first unused term of `b` (not a number) within one edit.
    pub(super) fn matches(&self, a: &Unit, b: &Unit) -> Vec<TermMatch> {
        let n = a.terms.len();
        let mut out = Vec::with_capacity(n);
        let mut used = 0u64;
        for r in 0..n {
            let e = self.exact[r];
            if e != 0 {
                used |= 1 << (e - 1);
                out.push(TermMatch { a: r as u32, b: u32::from(e) - 1, exact: true });
            }
        }
        let numbers_b = b
            .numeric
            .iter()
            .take(Relation::MAX)
            .enumerate()
            .fold(0u64, |m, (c, &x)| m | u64::from(x) << c);
        for r in 0..n {
            if self.exact[r] != 0 || a.numeric[r] {
                continue;
            }
            let near = self.soft[r] & !used & !numbers_b;
            if near != 0 {
                let c = near.trailing_zeros();
                used |= 1 << c;
                out.push(TermMatch { a: r as u32, b: c, exact: false });
            }
        }
        out
    }

    /// Adds the soft matches to a relation made by [`Relation::exact`]: for each term of `a`
    /// in `soft_a` without an exact partner, the terms of `b` in `soft_b` within one edit
    /// (`soft_a` and `soft_b`: the units' [`long_terms`]).
    pub(super) fn add_soft(&mut self, a: &Unit, b: &Unit, soft_a: u64, soft_b: u64) {
        if soft_b == 0 {
            return;
        }
        let rows = soft_a & !self.exact_rows;
        if near_masks::available() && b.masks.len() <= Relation::MAX {
            near_masks::add_soft_rows(self, a, b, rows, soft_b);
        } else {
            self.add_soft_rows(a, b, rows, soft_b, |m| near_portable(m, &b.masks));
        }
    }

    /// The row loop of [`Relation::add_soft`] for the rows `rows`, with `near` the near masks
    /// of a skeleton mask among those of `b` ([`near_portable`], [`near_masks::near`]).
    #[inline(always)]
    fn add_soft_rows(
        &mut self,
        a: &Unit,
        b: &Unit,
        mut rows: u64,
        soft_b: u64,
        near: impl Fn(u64) -> u64,
    ) {
        while rows != 0 {
            let r = rows.trailing_zeros() as usize;
            rows &= rows - 1;
            let sa = a.skeleton(r);
            let mut near = near(a.masks[r]) & soft_b;
            let mut bits = 0u64;
            while near != 0 {
                let c = near.trailing_zeros() as usize;
                near &= near - 1;
                if within_one_edit(sa, b.skeleton(c)) {
                    bits |= 1 << c;
                }
            }
            self.soft[r] = bits;
        }
    }
}

/// Whether two skeleton masks ([`skeleton_mask`]) differ in at most two bits (as
/// `(a ^ b).count_ones() <= 2`, without a population count: the baseline x86-64 target has
/// none, and the loop over a unit's masks then vectorizes).
#[inline]
pub(super) fn masks_near(a: u64, b: u64) -> bool {
    let x = a ^ b;
    let y = x & x.wrapping_sub(1);
    y & y.wrapping_sub(1) == 0
}

/// Bit `c` set when `masks[c]` is within two bits of `m` ([`masks_near`]); `masks` holds at
/// most 64 (the first 64 are read). The portable loop of [`near_masks::near`]: one flag byte
/// a mask (a loop the compiler vectorizes), then each eight flags packed into eight bits by
/// one multiplication (flag `k` of a little-endian word moves to bit `56 + k`; the partial
/// products never carry into each other), the same bits as [`near_by_fold`] (a test).
fn near_portable(m: u64, masks: &[u64]) -> u64 {
    let masks = &masks[..masks.len().min(64)];
    let mut flags = [0u8; 64];
    for (f, &mb) in flags.iter_mut().zip(masks) {
        *f = u8::from(masks_near(m, mb));
    }
    let mut out = 0u64;
    for (k, eight) in flags.chunks_exact(8).take(masks.len().div_ceil(8)).enumerate() {
        let x = u64::from_le_bytes([
            eight[0], eight[1], eight[2], eight[3], eight[4], eight[5], eight[6], eight[7],
        ]);
        out |= (x.wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * k);
    }
    out
}

/// [`near_portable`] as the fold over the masks it replaced: the test's oracle.
#[cfg(test)]
fn near_by_fold(m: u64, masks: &[u64]) -> u64 {
    masks.iter().take(64).enumerate().fold(0, |b, (c, &mb)| b | u64::from(masks_near(m, mb)) << c)
}

/// [`masks_near`] of one mask against at most 64 others, eight at a time (AVX-512 F): the
/// same bits as [`near_portable`] (a test holds it to it).
#[allow(unsafe_code)] // the AVX-512 path, as in `normalize::fold64`
mod near_masks {
    /// Whether [`near`] may run: the processor has AVX-512 and `NEARDUP_PORTABLE` does not
    /// forbid it.
    #[inline]
    pub(super) fn available() -> bool {
        cfg!(target_arch = "x86_64") && crate::cpu::avx512()
    }

    /// Bit `c` set when `masks[c]` is within two bits of `m` ([`super::masks_near`]); `masks`
    /// holds at most 64. The caller has checked [`available`]. (The test's entry to
    /// `near_avx512`; `add_soft_rows` inlines it.)
    #[cfg(test)]
    pub(super) fn near(m: u64, masks: &[u64]) -> u64 {
        debug_assert!(masks.len() <= 64);
        #[cfg(target_arch = "x86_64")]
        {
            debug_assert!(crate::cpu::avx512_detected());
            // SAFETY: the caller found AVX-512 F (`available()`; the test:
            // `cpu::avx512_detected()`).
            unsafe { near_avx512(m, &masks[..masks.len().min(64)]) }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = (m, masks);
            unreachable!("near_masks::near without AVX-512")
        }
    }

    /// [`super::Relation::add_soft`]'s row loop with the near masks of [`near`], inlined
    /// (`b` holds at most 64 terms). The caller has checked [`available`].
    #[inline]
    pub(super) fn add_soft_rows(
        rel: &mut super::Relation,
        a: &super::Unit,
        b: &super::Unit,
        rows: u64,
        soft_b: u64,
    ) {
        debug_assert!(b.masks.len() <= 64);
        #[cfg(target_arch = "x86_64")]
        {
            debug_assert!(crate::cpu::avx512_detected());
            // SAFETY: the caller found AVX-512 F (`available()`; the test:
            // `cpu::avx512_detected()`).
            unsafe { add_soft_avx512(rel, a, b, rows, soft_b) }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = (rel, a, b, rows, soft_b);
            unreachable!("near_masks::add_soft_rows without AVX-512")
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    fn add_soft_avx512(
        rel: &mut super::Relation,
        a: &super::Unit,
        b: &super::Unit,
        rows: u64,
        soft_b: u64,
    ) {
        let masks = &b.masks[..b.masks.len().min(64)];
        rel.add_soft_rows(a, b, rows, soft_b, |m| near_avx512(m, masks));
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn near_avx512(m: u64, masks: &[u64]) -> u64 {
        use std::arch::x86_64::*;
        let a = _mm512_set1_epi64(m as i64);
        let ones = _mm512_set1_epi64(-1);
        let n = masks.len();
        let mut out = 0u64;
        let mut k = 0;
        while k < n {
            let left = n - k;
            let valid: __mmask8 = if left >= 8 { 0xff } else { (1u8 << left) - 1 };
            // SAFETY: the load is masked to the lanes inside `masks` (masked-off lanes are not
            // read).
            let v = unsafe { _mm512_maskz_loadu_epi64(valid, masks.as_ptr().add(k).cast()) };
            // x & (x - 1) twice: zero when x has at most two bits set.
            let x = _mm512_xor_si512(a, v);
            let y = _mm512_and_si512(x, _mm512_add_epi64(x, ones));
            let z = _mm512_and_si512(y, _mm512_add_epi64(y, ones));
            out |= u64::from(_mm512_mask_testn_epi64_mask(valid, z, z)) << k;
            k += 8;
        }
        out
    }
}

/// A unit's terms as a 128-bit set (a term's top seven bits pick its bit): a term outside it
/// is not among them.
pub(super) fn term_bloom(terms: &[u64]) -> [u64; 2] {
    let mut b = [0u64; 2];
    for &t in terms {
        let k = (t >> 57) as usize;
        b[k >> 6] |= 1 << (k & 63);
    }
    b
}

/// Whether term `t` may be in the set `b` ([`term_bloom`]).
#[inline]
pub(super) fn in_bloom(b: &[u64; 2], t: u64) -> bool {
    let k = (t >> 57) as usize;
    b[k >> 6] >> (k & 63) & 1 == 1
}

/// Some terms of a unit, in order, as the rows of a soft match ([`soft_matched`]).
pub(super) struct Rows<'r> {
    /// The relation of the unit to the first unit of the other side.
    pub(super) to_first: &'r Relation,
    /// Its relation to the second unit of the other side, where that side is a window of two.
    pub(super) to_second: Option<&'r Relation>,
    /// Which terms of the unit take part (bits).
    pub(super) terms: u64,
    /// The weights of the unit's terms.
    pub(super) weights: &'r [f64],
}

/// The terms of `u` (the first [`Relation::MAX`]) whose skeletons have three letters or more,
/// as bits: the only ones soft matching pairs.
pub(super) fn long_terms(u: &Unit) -> u64 {
    (0..u.terms.len().min(Relation::MAX))
        .fold(0, |m, c| m | u64::from(u.skeleton(c).len() >= 3) << c)
}

/// All terms of a unit of `n` terms, as bits.
#[inline]
pub(super) fn all_terms(n: usize) -> u64 {
    if n == 0 {
        0
    } else {
        u64::MAX >> (64 - n)
    }
}

/// The weight matched by [`Analyzer::soft_match`] (bit for bit) of the terms `rows` (in
/// order: one unit, or a window of two as the first unit's terms then the second's new ones)
/// against a side whose terms are the first unit's (weights `first`) then, for a window of two,
/// the terms `second_new` of the second (weights `second`).
pub(super) fn soft_matched(
    rows: &[Rows<'_>],
    first: &[f64],
    second: &[f64],
    second_new: u64,
) -> f64 {
    let mut used = [0u64; 2];
    let mut matched = 0.0;
    for block in rows {
        let mut todo = block.terms;
        while todo != 0 {
            let r = todo.trailing_zeros() as usize;
            todo &= todo - 1;
            let w = block.weights[r];
            let e = block.to_first.exact[r];
            if e != 0 {
                used[0] |= 1 << (e - 1);
                matched += w;
                continue;
            }
            if let Some(rel) = block.to_second {
                let e = rel.exact[r];
                if e != 0 {
                    used[1] |= 1 << (e - 1);
                    matched += w;
                    continue;
                }
            }
            let near = block.to_first.soft[r] & !used[0];
            if near != 0 {
                let c = near.trailing_zeros() as usize;
                used[0] |= 1 << c;
                matched += 0.5 * (w + first[c]);
                continue;
            }
            if let Some(rel) = block.to_second {
                let near = rel.soft[r] & second_new & !used[1];
                if near != 0 {
                    let c = near.trailing_zeros() as usize;
                    used[1] |= 1 << c;
                    matched += 0.5 * (w + second[c]);
                }
            }
        }
    }
    matched
}

/// The weighted soft Dice of a matched weight and two total weights, as
/// [`Analyzer::similarity`].
#[inline]
pub(super) fn dice_of(matched: f64, wa: f64, wb: f64) -> f64 {
    if wa == 0.0 || wb == 0.0 {
        return 0.0;
    }
    (2.0 * matched / (wa + wb)).min(1.0)
}

/// The letters of a skeleton as a set of 64 bits (a letter's code point modulo 64: the
/// Arabic letters ء..ي fall on distinct bits). A substitution changes at most two bits, an
/// insertion or deletion at most one.
pub(super) fn skeleton_mask(skeleton: &[char]) -> u64 {
    skeleton.iter().fold(0, |m, &c| m | 1u64 << (c as u32 % 64))
}

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
/// Inverse document frequencies of terms over a set of units.
#[derive(Clone, Debug, Default)]
pub struct Idf {
    /// Per term: the units holding it, and its weight ([`Idf::weight`], computed once).
    df: AHashMap<u64, (u32, f64)>,
    pub(super) n: f64,
    /// The weight of a term seen once.
    unseen: f64,
    /// Whether the weights come from a background ([`Idf::from_frequencies`]).
    pub(super) background: bool,
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
        let n = n.max(1) as f64;
        let weight = |d: u32| (1.0 + n / d as f64).ln();
        let df = df.into_iter().map(|(k, d)| (k, (d, weight(d)))).collect();
        Idf { df, n, unseen: weight(1), background: false }
    }

    /// Counts the terms of `units` (each slice is one document's units).
    pub fn new(units: &[&[Unit]]) -> Idf {
        Idf::from_key_sets(units.iter().flat_map(|us| us.iter().map(|u| u.terms.as_slice())))
    }

    /// Term weights from a background's term frequencies (`freqs`: each term's share of the
    /// background's words), as if counted over `n` units of `per_unit` words each: a term of
    /// frequency `f` is held by `f * per_unit * n` units (at least one). Terms not in the
    /// background count as seen once.
    pub fn from_frequencies(
        freqs: impl IntoIterator<Item = (u64, f64)>,
        n: f64,
        per_unit: f64,
    ) -> Idf {
        let n = if n.is_finite() { n.max(1.0) } else { 1.0 };
        let weight = |d: u32| (1.0 + n / d as f64).ln();
        let df = freqs
            .into_iter()
            .map(|(k, f)| {
                let share = f * per_unit * n;
                let d = if share.is_finite() { share.round().clamp(1.0, n) as u32 } else { 1 };
                (k, (d, weight(d)))
            })
            .collect();
        Idf { df, n, unseen: weight(1), background: true }
    }

    /// These (background) weights of the terms of `own`'s units, each discounted by its
    /// weight in `own` relative to a term of one unit, raised to `power`:
    /// `w(t) · (w_own(t) / w_own(once))^power`. A term the input repeats across its units (the
    /// article's topic, a list's template) weighs less than the background alone says; a term
    /// of one unit keeps its background weight. The scale ([`Idf::units`]) stays this one's.
    pub fn discounted_by(&self, own: &Idf, power: f64) -> Idf {
        let df = own
            .df
            .iter()
            .map(|(&k, &(_, w))| {
                let d = self.df.get(&k).map_or(1, |e| e.0);
                (k, (d, self.weight(k) * (w / own.unseen).powf(power)))
            })
            .collect();
        Idf { df, n: self.n, unseen: self.unseen, background: self.background }
    }

    /// The number of units (or key sets) counted.
    pub fn units(&self) -> f64 {
        self.n
    }

    /// Which weights these are, and so which decision applies under them: a background's,
    /// a feed's (at least [`super::FEED_UNITS`] units), or a small input's own.
    pub fn weights(&self) -> super::Weights {
        if self.background {
            super::Weights::Background
        } else if self.n >= super::FEED_UNITS {
            super::Weights::Feed
        } else {
            super::Weights::Own
        }
    }

    /// `ln(1 + N / df)`; unseen terms count as seen once.
    pub fn weight(&self, t: u64) -> f64 {
        self.df.get(&t).map_or(self.unseen, |e| e.1)
    }

    /// Sets the term weights of `units` under these frequencies, once, so that comparisons
    /// read them instead of looking each term up.
    pub fn weigh(&self, units: &mut [Unit]) {
        for u in units {
            u.weights = u.terms.iter().map(|&t| self.weight(t)).collect();
        }
    }

    /// The number of units holding term `t`.
    pub fn df(&self, t: u64) -> u32 {
        self.df.get(&t).map_or(0, |e| e.0)
    }

    /// True for terms in more than a twentieth of the units (and at least 20 of them).
    pub fn is_common(&self, t: u64) -> bool {
        let d = self.df(t) as f64;
        d >= 20.0 && d > self.n / 20.0
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::passages::Analyzer;

    #[test]
    fn near_masks_are_the_portable_loop_s() {
        if !crate::cpu::vector_test_can_run("near_masks_are_the_portable_loop_s") {
            return;
        }
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for n in 0..=64 {
            let m = next() & next();
            // Masks near m (one or two bits flipped), equal, and far.
            let masks: Vec<u64> = (0..n)
                .map(|k| match k % 4 {
                    0 => m ^ (1 << (next() % 64)),
                    1 => m ^ (1 << (next() % 64)) ^ (1 << (next() % 64)),
                    2 => m,
                    _ => next(),
                })
                .collect();
            let portable = near_portable(m, &masks);
            assert_eq!(near_masks::near(m, &masks), portable, "n = {n}");
            assert!(n < 3 || portable & 0b111 == 0b111, "n = {n}: the near masks are near");
        }
    }

    #[test]
    fn near_portable_is_the_fold_over_the_masks() {
        // Masks near and far from one another, every count of masks up to 64.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for n in 0..=64 {
            for _ in 0..20 {
                let m = next() & next();
                let masks: Vec<u64> = (0..n)
                    .map(|_| match next() % 4 {
                        0 => m,
                        1 => m ^ (1 << (next() % 64)),
                        2 => m ^ (1 << (next() % 64)) ^ (1 << (next() % 64)),
                        _ => next(),
                    })
                    .collect();
                assert_eq!(near_portable(m, &masks), near_by_fold(m, &masks), "{n} {masks:?}");
            }
        }
    }

    #[test]
    fn add_soft_rows_are_the_portable_loop_s() {
        if !crate::cpu::vector_test_can_run("add_soft_rows_are_the_portable_loop_s") {
            return;
        }
        let a = Analyzer::default();
        let x = a.text_unit("وأكد في 8 نوفمبر أن الرئيس الروسي خليفة حفتر لن يأتي إلى إيطاليا مطلقا وقال المتحدث باسم الحكومة الإيطالية");
        let y = a.text_unit("ليعود ويؤكد في الثامن نوفمبر أن خليفة هفتار بوتين لن يذهب إلى ايطاليا وأوضح متحدث الحكومة الايطالية");
        let (sx, sy) = (long_terms(&x), long_terms(&y));
        let (mut wide, mut portable) = (
            Relation::exact(&x, &y, term_bloom(&y.terms)),
            Relation::exact(&x, &y, term_bloom(&y.terms)),
        );
        let rows = sx & !wide.exact_rows;
        near_masks::add_soft_rows(&mut wide, &x, &y, rows, sy);
        portable.add_soft_rows(&x, &y, rows, sy, |m| near_portable(m, &y.masks));
        assert_eq!(wide.soft, portable.soft);
        assert!(wide.soft.iter().any(|&b| b != 0), "spelling variants match softly");
    }

    #[test]
    fn aligned_by_relation_is_align() {
        let a = Analyzer::default();
        let texts = [
            "وأكد في 8 نوفمبر أن الرئيس الروسي خليفة حفتر لن يأتي إلى إيطاليا مطلقا",
            "ليعود ويؤكد في الثامن نوفمبر أن خليفة هفتار بوتين لن يذهب إلى إيطاليا",
            "ووافقت الفصائل الليبية في 29 مايو عام2018 على انتخابات رئاسية وبرلمانية 8",
            "The harbour authority reported container traffic rising twelve percent",
            "",
        ];
        let long: String = (0..70).map(|k| format!("word{k} ")).collect();
        let mut units: Vec<Unit> = texts.iter().map(|t| a.text_unit(t)).collect();
        units.push(a.text_unit(&long));
        units.push(a.text_unit(&format!("{} {}", texts[0], texts[2])));
        for x in &units {
            for y in &units {
                assert_eq!(a.aligned(x, y), a.align(x, y));
            }
        }
        assert!(a.aligned(&units[0], &units[1]).iter().any(|m| !m.exact));
    }

    #[test]
    fn one_edit() {
        let s = |x: &str| x.chars().collect::<Vec<_>>();
        assert!(within_one_edit(&s("حفتر"), &s("هفتر")));
        assert!(within_one_edit(&s("abc"), &s("abxc")));
        assert!(!within_one_edit(&s("abc"), &s("xyz")));
        assert!(within_one_edit(&s("abc"), &s("abc")));
    }

    #[test]
    fn aligned_words_of_many_pairs_are_each_pair_s() {
        let a = Analyzer::default();
        let x = "وأكد في 8 نوفمبر أن الرئيس الروسي خليفة حفتر لن يأتي إلى إيطاليا مطلقا";
        let y = "ليعود ويؤكد في الثامن نوفمبر أن خليفة هفتار بوتين لن يذهب إلى إيطاليا";
        let z = "The harbour authority reported container traffic rising twelve percent";
        let pairs = [(x, y), (y, x), (x, y), (z, x), (z, z), ("", x)];
        let all = a.aligned_words_all(&pairs);
        assert_eq!(all.len(), pairs.len());
        // Each pair as words and units made apart (the texts' terms, then the units).
        let words = |t: &str| {
            let mut v = Vec::new();
            a.for_each_term(t, |_, w| v.push(w.to_owned()));
            v
        };
        for (&(p, q), got) in pairs.iter().zip(&all) {
            let (wp, wq) = (words(p), words(q));
            let mut m = a.align(&a.text_unit(p), &a.text_unit(q));
            m.sort_by_key(|x| x.a);
            let want: Vec<AlignedWords> = m
                .iter()
                .map(|x| AlignedWords {
                    a: wp[x.a as usize].clone(),
                    b: wq[x.b as usize].clone(),
                    exact: x.exact,
                })
                .collect();
            assert_eq!(got, &want);
            assert_eq!(got, &a.aligned_words(p, q));
        }
        assert!(all[0].iter().any(|w| !w.exact) && all[0].iter().any(|w| w.exact));
        assert_eq!(all[4].len(), words(z).len());
        assert!(all[5].is_empty());
    }

    #[test]
    fn number_words_and_spelling_variants_match() {
        let a = Analyzer::default();
        let idf = |_| 1.0;
        let x = a.units("وأكد في 8 نوفمبر أن الرئيس الروسي خليفة حفتر لن يأتي إلى إيطاليا مطلقا");
        let y = a.units("ليعود ويؤكد في الثامن نوفمبر أن خليفة هفتار بوتين لن يذهب إلى إيطاليا");
        assert!(a.similarity(&x[0], &y[0], &idf) > 0.5);
    }
}
