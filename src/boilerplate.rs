//! Boilerplate lines: site footers, share buttons and bylines that recur across a feed.
//!
//! A line is boilerplate when it recurs verbatim (after trimming) in many documents of the
//! feed. Such lines are removed before shingling, so two different articles that share a long
//! footer are not near-duplicates, and a reprint that gained its outlet's footer still matches
//! its source.
//!
//! Wire copy republished by a handful of outlets also repeats whole lines, so the bar depends on
//! the line's length: short lines (bylines, "Share", "إقرأ أيضاً") count as boilerplate from
//! `min_docs` documents on, long lines only from `long_factor × min_docs`. On the 16k-article
//! SaudiNewsNet feed, long lines held by 4–8 documents are reprinted news paragraphs, while
//! real footers recur in dozens to hundreds of documents.

use ahash::AHashMap;
use xxhash_rust::xxh3::xxh3_64;

use crate::segment;

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

/// The distinct line keys of a document, sorted.
pub fn doc_line_keys(text: &str, p: &BoilerplateParams) -> Vec<u64> {
    let mut keys: Vec<u64> =
        segment::lines(text).into_iter().map(|s| line_key(&text[s.range()], p)).collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Counts, per line, the documents that hold it.
#[derive(Debug, Default)]
pub struct LineCounter {
    counts: AHashMap<u64, u32>,
}

impl LineCounter {
    /// An empty counter.
    pub fn new() -> LineCounter {
        LineCounter::default()
    }

    /// Adds one document's distinct line keys (from [`doc_line_keys`]).
    pub fn add(&mut self, keys: &[u64]) {
        for &k in keys {
            *self.counts.entry(k).or_insert(0) += 1;
        }
    }

    /// The boilerplate lines under `p`.
    pub fn finish(self, p: BoilerplateParams) -> Boilerplate {
        let long_min = p.min_docs.saturating_mul(p.long_factor);
        let lines = self
            .counts
            .into_iter()
            .filter(|&(k, c)| c >= if k & 1 == 1 { long_min } else { p.min_docs })
            .collect();
        Boilerplate { params: p, lines }
    }
}

/// The set of boilerplate lines of a feed, with their document counts.
#[derive(Debug, Default, Clone)]
pub struct Boilerplate {
    params: BoilerplateParams,
    lines: AHashMap<u64, u32>,
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

    /// Writes `text` without its boilerplate lines into `out` (lines joined by `\n`) and
    /// returns the number of lines removed. When every line is boilerplate the whole text is
    /// kept: a document made only of recurring lines is a duplicate, not an empty page.
    pub fn strip_into(&self, text: &str, out: &mut String) -> usize {
        out.clear();
        if self.lines.is_empty() {
            out.push_str(text);
            return 0;
        }
        let mut removed = 0;
        for span in segment::lines(text) {
            let line = &text[span.range()];
            if self.lines.contains_key(&line_key(line, &self.params)) {
                removed += 1;
            } else {
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(line);
            }
        }
        if out.is_empty() {
            out.push_str(text);
            return 0;
        }
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recurring_short_lines_are_boilerplate_long_lines_need_more() {
        let p = BoilerplateParams { min_docs: 3, long_chars: 20, long_factor: 2 };
        let long = "a long wire paragraph that outlets reprint";
        let mut c = LineCounter::new();
        for i in 0..4 {
            let text = format!("story {i}\nShare\n{long}");
            c.add(&doc_line_keys(&text, &p));
        }
        let b = c.finish(p);
        assert_eq!(b.count("Share"), Some(4));
        assert_eq!(b.count(long), None, "4 docs < 2 x 3 for a long line");
        let mut out = String::new();
        assert_eq!(b.strip_into("story 9\r\nShare\n", &mut out), 1);
        assert_eq!(out, "story 9");
        assert_eq!(b.strip_into("Share", &mut out), 0);
        assert_eq!(out, "Share");
    }
}
