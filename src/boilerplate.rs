//! Boilerplate lines: site footers, share buttons and bylines that recur across a feed.
//!
//! A line is boilerplate when it recurs verbatim (after trimming) in many documents of the
//! feed, or when at least half of its normalized word 3-grams come from such lines (a footer
//! reprinted with small edits). Such lines are removed before shingling, so two different articles that share a long
//! footer are not near-duplicates, and a reprint that gained its outlet's footer still matches
//! its source.
//!
//! Wire copy republished by a handful of outlets also repeats whole lines, so the bar depends on
//! the line's length: short lines (bylines, "Share", "إقرأ أيضاً") count as boilerplate from
//! `min_docs` documents on, long lines only from `long_factor × min_docs`. On the 16k-article
//! SaudiNewsNet feed, long lines held by 4–8 documents are reprinted news paragraphs, while
//! real footers recur in dozens to hundreds of documents. A long line below that bar is still
//! boilerplate when it sits inside a block of boilerplate lines ([`Boilerplate::is_in_block`]).

use ahash::{AHashMap, AHashSet};
use xxhash_rust::xxh3::xxh3_64;

use serde::Serialize;

use crate::segment::{self, Place, Span};
use crate::shingle::fmix64;

/// When a line counts as boilerplate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BoilerplateParams {
    /// A short line is boilerplate from this many documents on.
    pub min_docs: u32,
    /// Lines of at least this many characters are long.
    pub long_chars: usize,
    /// A long line needs `long_factor × min_docs` documents.
    pub long_factor: u32,
}

impl BoilerplateParams {
    /// The number of documents from which the line of `key` ([`line_key`]) is boilerplate.
    pub fn bar(&self, key: u64) -> u32 {
        if key & 1 == 1 {
            self.min_docs.saturating_mul(self.long_factor)
        } else {
            self.min_docs
        }
    }
}

impl Default for BoilerplateParams {
    fn default() -> Self {
        BoilerplateParams { min_docs: 5, long_chars: 100, long_factor: 4 }
    }
}

/// The key of a line: its hash, with the lowest bit set for long lines.
pub fn line_key(line: &str, p: &BoilerplateParams) -> u64 {
    let long = line.len() >= p.long_chars && line.chars().count() >= p.long_chars;
    (xxh3_64(line.as_bytes()) & !1) | long as u64
}

/// The distinct line keys of a document with the span of one occurrence, sorted by key.
pub fn doc_line_keys(text: &str, p: &BoilerplateParams) -> Vec<(u64, Span)> {
    let mut keys: Vec<(u64, Span)> =
        segment::lines(text).into_iter().map(|s| (line_key(&text[s.range()], p), s)).collect();
    keys.sort_unstable_by_key(|k| k.0);
    keys.dedup_by_key(|k| k.0);
    keys
}

/// Rows and width of the count-min sketch that screens out lines seen once.
const SKETCH_ROWS: usize = 4;
const SKETCH_WIDTH: usize = 1 << 22;

/// Counts, per line, the documents that hold it, and keeps the text of lines that reach the
/// boilerplate bar (so that near-verbatim copies can be recognised later).
///
/// Most lines of a feed occur once. A count-min sketch with conservative update (Cormode and
/// Muthukrishnan, 2005; 4 × 2²² one-byte counters, 16 MiB) absorbs them; only lines it has seen
/// at least twice get an exact counter. Memory thus grows with the number of *repeated* lines.
/// A sketch collision can only make a count too high, and only by a little.
#[derive(Debug, Default)]
pub struct LineCounter {
    sketch: Vec<u8>,
    counts: AHashMap<u64, u32>,
    texts: Vec<String>,
    params: BoilerplateParams,
}

impl LineCounter {
    /// An empty counter for `params`.
    pub fn new(params: BoilerplateParams) -> LineCounter {
        LineCounter {
            params,
            sketch: vec![0; SKETCH_ROWS * SKETCH_WIDTH],
            ..LineCounter::default()
        }
    }

    fn bar(&self, key: u64) -> u32 {
        self.params.bar(key)
    }

    /// Adds one to the sketch's counters of `key` (conservative update) and returns its
    /// estimate.
    fn sketch_add(&mut self, key: u64) -> u8 {
        if self.sketch.is_empty() {
            self.sketch = vec![0; SKETCH_ROWS * SKETCH_WIDTH];
        }
        let slots: [usize; SKETCH_ROWS] = std::array::from_fn(|r| {
            r * SKETCH_WIDTH
                + (fmix64(key ^ (r as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)) as usize
                    & (SKETCH_WIDTH - 1))
        });
        let min = slots.iter().map(|&i| self.sketch[i]).min().unwrap_or(0);
        let new = min.saturating_add(1);
        for &i in &slots {
            if self.sketch[i] < new {
                self.sketch[i] = new;
            }
        }
        new
    }

    /// Adds one document: its text and its distinct line keys with their spans (from
    /// [`doc_line_keys`]).
    pub fn add(&mut self, text: &str, keys: &[(u64, Span)]) {
        for &(k, span) in keys {
            let bar = self.bar(k);
            let reached = match self.counts.get_mut(&k) {
                Some(c) => {
                    *c += 1;
                    *c == bar
                }
                None => {
                    let est = self.sketch_add(k) as u32;
                    if est < 2 {
                        continue;
                    }
                    self.counts.insert(k, est);
                    est >= bar
                }
            };
            if reached {
                self.texts.push(text[span.range()].to_owned());
            }
        }
    }

    /// The boilerplate lines. `near` turns a line into its normalized word n-gram hashes;
    /// a line whose n-grams mostly come from boilerplate lines is boilerplate too.
    pub fn finish(self, near: &dyn Fn(&str, &mut Vec<u64>)) -> Boilerplate {
        let lines: AHashMap<u64, u32> = self
            .counts
            .iter()
            .filter(|&(&k, &c)| c >= self.bar(k))
            .map(|(&k, &c)| (k, c))
            .collect();
        let mut shingles = AHashSet::new();
        let mut buf = Vec::new();
        for t in &self.texts {
            buf.clear();
            near(t, &mut buf);
            shingles.extend(buf.iter().copied());
        }
        let block_candidates = self
            .counts
            .iter()
            .filter(|&(&k, &c)| k & 1 == 1 && c >= self.params.min_docs && c < self.bar(k))
            .map(|(&k, _)| k)
            .collect();
        Boilerplate { params: self.params, lines, shingles, block_candidates }
    }
}

impl Boilerplate {
    /// The boilerplate made from exact counts found elsewhere (a distributed run counts lines
    /// by key across processes): `lines` are the keys that reached their bar with their
    /// document counts, `texts` one text of each such line, `block_candidates` the long lines
    /// held by `min_docs` documents or more but fewer than their bar. `near` is as in
    /// [`LineCounter::finish`].
    pub fn from_counts(
        params: BoilerplateParams,
        lines: impl IntoIterator<Item = (u64, u32)>,
        texts: &[String],
        block_candidates: impl IntoIterator<Item = u64>,
        near: &dyn Fn(&str, &mut Vec<u64>),
    ) -> Boilerplate {
        let mut shingles = AHashSet::new();
        let mut buf = Vec::new();
        for t in texts {
            buf.clear();
            near(t, &mut buf);
            shingles.extend(buf.iter().copied());
        }
        Boilerplate {
            params,
            lines: lines.into_iter().collect(),
            shingles,
            block_candidates: block_candidates.into_iter().collect(),
        }
    }
}

/// The set of boilerplate lines of a feed, with their document counts, and the word n-grams
/// of those lines.
#[derive(Debug, Default, Clone)]
pub struct Boilerplate {
    params: BoilerplateParams,
    lines: AHashMap<u64, u32>,
    shingles: AHashSet<u64>,
    block_candidates: AHashSet<u64>,
}

impl Boilerplate {
    /// No boilerplate at all.
    pub fn none() -> Boilerplate {
        Boilerplate::default()
    }

    /// Number of distinct boilerplate lines.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// True when no line is boilerplate.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The number of documents holding `line`, if it is boilerplate.
    pub fn count(&self, line: &str) -> Option<u32> {
        self.lines.get(&line_key(line, &self.params)).copied()
    }

    /// True when the line (already trimmed) recurs verbatim across the feed.
    pub fn is_verbatim(&self, line: &str) -> bool {
        !self.lines.is_empty() && self.lines.contains_key(&line_key(line, &self.params))
    }

    /// True for a long line that recurs in `min_docs` documents or more (too few to be
    /// boilerplate on its own) and sits inside a block of boilerplate: the lines before and
    /// after it (or the end of the document) are boilerplate. A site's long copyright notice
    /// between its share buttons is caught this way even in a small feed, while a reprinted
    /// wire paragraph, which sits among the article's own lines, is not.
    pub fn is_in_block(
        &self,
        line: &str,
        prev_is_boilerplate: bool,
        next_is_boilerplate: bool,
    ) -> bool {
        prev_is_boilerplate
            && next_is_boilerplate
            && !self.block_candidates.is_empty()
            && self.block_candidates.contains(&line_key(line, &self.params))
    }

    /// True when at least half of a line's word n-grams (`shingles`, at least 3 of them) come
    /// from boilerplate lines: a footer reprinted with small edits.
    pub fn is_near(&self, shingles: &[u64]) -> bool {
        if self.shingles.is_empty() || shingles.len() < 3 {
            return false;
        }
        let hits = shingles.iter().filter(|s| self.shingles.contains(s)).count();
        hits * 2 >= shingles.len()
    }
}

/// How recurring lines are listed for a small feed ([`recurring_lines`]): the bar of
/// [`BoilerplateParams`] for short lines, with long lines never boilerplate, and a line told
/// twice in one document boilerplate too (a "Read also" between paragraphs).
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

impl BoilerplateRule {
    /// The line-counting parameters of the rule: short lines up to `max_chars` characters, and
    /// a bar no long line reaches.
    pub fn params(&self) -> BoilerplateParams {
        BoilerplateParams {
            min_docs: self.min_docs.max(2).min(u32::MAX as usize) as u32,
            long_chars: self.max_chars.saturating_add(1),
            long_factor: u32::MAX,
        }
    }
}

/// A recurring line with every place it appears.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BoilerplateLine {
    /// The line as it first appeared.
    pub text: String,
    /// How many times it appears.
    pub count: usize,
    /// Where, in the order of the feed.
    pub places: Vec<Place>,
}

/// The recurring lines of a feed held in memory, with their places: lines keyed by
/// [`line_key`] under [`BoilerplateRule::params`] that reach their bar of documents, or appear
/// twice in one document. Document numbers are indices in `texts`; lines are listed in the
/// order they first appear. This is the listing that `neardup passages` reports and leaves
/// out of its units; a streamed feed counts its lines with [`LineCounter`] under the same keys.
pub fn recurring_lines(texts: &[&str], rule: BoilerplateRule) -> Vec<BoilerplateLine> {
    struct Acc {
        line: BoilerplateLine,
        docs: u32,
        last_doc: Option<u32>,
        in_one: usize,
        max_in_one: usize,
    }
    let p = rule.params();
    let mut by_key: AHashMap<u64, Acc> = AHashMap::new();
    let mut order = Vec::new();
    for (d, text) in texts.iter().enumerate() {
        let d = d as u32;
        for span in segment::lines(text) {
            let line = &text[span.range()];
            let key = line_key(line, &p);
            if p.bar(key) == u32::MAX {
                continue;
            }
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
        .filter_map(|k| by_key.remove(&k).map(|a| (k, a)))
        .filter(|(k, a)| a.max_in_one >= 2 || a.docs >= p.bar(*k))
        .map(|(_, a)| a.line)
        .collect()
}

/// The label of a line: the words before its first colon, when they are at most six words
/// (and 60 bytes) and text follows the colon ("رابط الخبر بصحيفة الوئام: ..." , "Source: ...").
pub fn line_label(line: &str) -> Option<&str> {
    let colon = line.find(':')?;
    let label = line[..colon].trim();
    let rest = line[colon + 1..].trim();
    (colon <= 60 && !label.is_empty() && !rest.is_empty() && label.split_whitespace().count() <= 6)
        .then_some(label)
}

/// Line labels of a feed ([`line_label`]) that open lines in at least `min_docs` documents: an
/// outlet's standard lead-ins ("رابط الخبر بصحيفة الوئام:" before a restated headline), whose
/// words say nothing about what follows them.
pub fn recurring_labels(texts: &[&str], min_docs: usize) -> AHashSet<String> {
    let mut docs: AHashMap<&str, (usize, usize)> = AHashMap::new();
    for (d, text) in texts.iter().enumerate() {
        for span in segment::lines(text) {
            if let Some(label) = line_label(&text[span.range()]) {
                let e = docs.entry(label).or_insert((0, usize::MAX));
                if e.1 != d {
                    *e = (e.0 + 1, d);
                }
            }
        }
    }
    docs.into_iter().filter(|(_, (n, _))| *n >= min_docs).map(|(l, _)| l.to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_that_open_lines_in_many_documents_recur() {
        let texts: Vec<String> = (0..5)
            .map(|k| {
                format!(
                    "Story {k} opens here.\nRead the story: headline number {k}\nNote {k}: once"
                )
            })
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let labels = recurring_labels(&refs, 3);
        assert!(labels.contains("Read the story"), "{labels:?}");
        assert_eq!(labels.len(), 1, "{labels:?}");
        assert_eq!(line_label("No colon here"), None);
        assert_eq!(line_label("Trailing label:"), None);
    }

    #[test]
    fn recurring_short_lines_are_boilerplate_long_lines_need_more() {
        let p = BoilerplateParams { min_docs: 3, long_chars: 45, long_factor: 2 };
        let long = "a long wire paragraph that outlets reprint word for word";
        let footer = "all rights reserved by the daily courier";
        let mut c = LineCounter::new(p);
        for i in 0..4 {
            let text = format!("story {i}\nShare\n{long}\n{footer}");
            c.add(&text, &doc_line_keys(&text, &p));
        }
        let words = |t: &str, out: &mut Vec<u64>| {
            let w: Vec<&str> = t.split(' ').collect();
            out.extend(w.windows(2).map(|w| xxh3_64(w.join(" ").as_bytes())));
        };
        let b = c.finish(&words);
        assert_eq!(b.count("Share"), Some(4));
        assert!(b.is_verbatim("Share"));
        assert_eq!(b.count(long), None, "4 docs < 2 x 3 for a long line");
        assert!(!b.is_verbatim("story 9"));
        let mut edited = Vec::new();
        words("all rights reserved by the courier", &mut edited);
        assert!(b.is_near(&edited));
        let mut other = Vec::new();
        words("rights of the courier staff were reserved today", &mut other);
        assert!(!b.is_near(&other));
    }

    #[test]
    fn recurring_lines_lists_places_and_skips_long_lines() {
        let rule = BoilerplateRule { min_docs: 2, max_chars: 12 };
        let texts = ["Share\nfirst story\nRead also\nRead also", "Share\nsecond story", "other"];
        let found = recurring_lines(&texts, rule);
        let names: Vec<(&str, usize)> = found.iter().map(|b| (b.text.as_str(), b.count)).collect();
        assert_eq!(names, [("Share", 2), ("Read also", 2)]);
        assert_eq!(found[0].places[1], Place { doc: 1, start: 0, end: 5 });
        // A line longer than max_chars is never listed, however often it recurs.
        let long = ["a much longer line\nx", "a much longer line\ny"];
        assert!(recurring_lines(&long, rule).is_empty());
    }
}
