//! Segmentation: documents into lines, paragraphs and sentences, with byte spans into the
//! original text.
//!
//! Spans are half-open byte ranges `[start, end)` that always lie on UTF-8 character boundaries
//! and exclude surrounding whitespace, so `&text[span.range()]` is the segment itself.
//!
//! * **Lines** end at `\n`, `\r\n` or a lone `\r`; blank lines are skipped.
//! * **Paragraphs** are runs of non-blank lines separated by blank lines. A document without any
//!   blank line (common in JSON feeds, where each paragraph is one line) has one paragraph per
//!   line.
//! * **Sentences** end after `.`, `!`, `?`, `…`, the Arabic question mark `؟` and full stop `۔`,
//!   optionally followed by closing quotes or brackets, when whitespace or the end follows. A
//!   period between digits (`3.5`) or after a single letter (`U.S.`) does not end a sentence.
//!   Line ends always end a sentence.

use std::ops::Range;

/// A half-open byte range into a document's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// A span in one document of a feed: where a restated passage or a boilerplate line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Place {
    /// Document number (index in the input).
    pub doc: u32,
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The span as a range, for slicing.
    pub fn range(self) -> Range<usize> {
        self.start..self.end
    }

    /// Length in bytes.
    pub fn len(self) -> usize {
        self.end - self.start
    }

    /// True when the span covers no bytes.
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

/// Trims Unicode whitespace from both ends of `text[start..end]`.
fn trimmed(text: &str, start: usize, end: usize) -> Option<Span> {
    if start >= end {
        return None;
    }
    let s = &text[start..end];
    let t = s.trim_start();
    let lead = s.len() - t.len();
    let t = t.trim_end();
    if t.is_empty() {
        None
    } else {
        Some(Span { start: start + lead, end: start + lead + t.len() })
    }
}

/// The non-blank lines of `text`, trimmed.
pub fn lines(text: &str) -> Vec<Span> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut skip_lf = None;
    for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
        if skip_lf == Some(i) {
            start = i + 1;
            continue;
        }
        out.extend(trimmed(text, start, i));
        if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            skip_lf = Some(i + 1);
        }
        start = i + 1;
    }
    out.extend(trimmed(text, start, bytes.len()));
    out
}

/// The paragraphs of `text`: blocks separated by blank lines, or lines when there are none.
pub fn paragraphs(text: &str) -> Vec<Span> {
    let ls = lines(text);
    if ls.len() < 2 {
        return ls;
    }
    // A gap between two lines holding two line breaks means a blank line between them.
    let blank_between = |a: Span, b: Span| {
        let gap = &text.as_bytes()[a.end..b.start];
        let breaks = gap.iter().filter(|&&c| c == b'\n').count()
            + gap.iter().filter(|&&c| c == b'\r').count()
            - gap.windows(2).filter(|w| w == b"\r\n").count();
        breaks >= 2
    };
    if !ls.windows(2).any(|w| blank_between(w[0], w[1])) {
        return ls;
    }
    let mut out = Vec::new();
    let mut cur = ls[0];
    for w in ls.windows(2) {
        if blank_between(w[0], w[1]) {
            out.push(cur);
            cur = w[1];
        } else {
            cur.end = w[1].end;
        }
    }
    out.push(cur);
    out
}

fn is_terminator(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '…' | '؟' | '۔' | '。' | '！' | '？')
}

/// `c.is_alphanumeric()`, by table for ASCII and the Arabic block (most letters of the feeds
/// neardup reads: the generic lookup walks Unicode tables for each of them).
fn is_word_char(c: char) -> bool {
    static ARABIC: std::sync::OnceLock<[u64; 4]> = std::sync::OnceLock::new();
    let u = c as u32;
    if u < 0x80 {
        return c.is_ascii_alphanumeric();
    }
    if (0x600..0x700).contains(&u) {
        let table = ARABIC.get_or_init(|| {
            let mut t = [0u64; 4];
            for i in 0..256u32 {
                if char::from_u32(0x600 + i).is_some_and(char::is_alphanumeric) {
                    t[(i / 64) as usize] |= 1 << (i % 64);
                }
            }
            t
        });
        let i = u - 0x600;
        return table[(i / 64) as usize] >> (i % 64) & 1 == 1;
    }
    c.is_alphanumeric()
}

fn is_closer(c: char) -> bool {
    matches!(c, '"' | '\'' | '»' | '”' | '’' | ')' | ']' | '›' | '」')
}

/// The sentences inside `span` of `text` (use [`Span`] `0..text.len()` for the whole text).
pub fn sentences_in(text: &str, span: Span) -> Vec<Span> {
    let mut out = Vec::new();
    for line in lines(&text[span.range()]) {
        let base = span.start + line.start;
        let s = &text[base..span.start + line.end];
        let mut start = 0;
        let mut iter = s.char_indices().peekable();
        let mut prev_word_len = 0usize; // letters in the word before the current char
        let mut prev_char: Option<char> = None;
        while let Some((i, c)) = iter.next() {
            if is_terminator(c) {
                let mut end = i + c.len_utf8();
                // Swallow repeated terminators and closing quotes.
                while let Some(&(j, d)) = iter.peek() {
                    if is_terminator(d) || is_closer(d) {
                        end = j + d.len_utf8();
                        iter.next();
                    } else {
                        break;
                    }
                }
                let next = iter.peek().map(|&(_, d)| d);
                let at_space = next.is_none_or(char::is_whitespace);
                let decimal = c == '.'
                    && prev_char.is_some_and(|p| p.is_ascii_digit())
                    && next.is_some_and(|d| d.is_ascii_digit());
                let initial = c == '.' && prev_word_len == 1;
                if at_space && !decimal && !initial {
                    out.extend(trimmed(text, base + start, base + end));
                    start = end;
                }
                prev_word_len = 0;
            } else if is_word_char(c) {
                prev_word_len += 1;
            } else {
                prev_word_len = 0;
            }
            prev_char = Some(c);
        }
        out.extend(trimmed(text, base + start, base + s.len()));
    }
    out
}

/// The sentences of the whole text.
pub fn sentences(text: &str) -> Vec<Span> {
    sentences_in(text, Span { start: 0, end: text.len() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn word_chars_are_the_alphanumerics() {
        for c in (0..0x3000u32).filter_map(char::from_u32) {
            assert_eq!(is_word_char(c), c.is_alphanumeric(), "{c:?} U+{:04X}", c as u32);
        }
    }

    fn texts<'a>(text: &'a str, spans: &[Span]) -> Vec<&'a str> {
        spans.iter().map(|s| &text[s.range()]).collect()
    }

    #[test]
    fn lines_handle_all_line_ends() {
        let t = "a\r\nb\rc\n\n  d  \n";
        assert_eq!(texts(t, &lines(t)), ["a", "b", "c", "d"]);
    }

    #[test]
    fn paragraphs_split_on_blank_lines() {
        let t = "one\ntwo\n\nthree\r\n\r\nfour\nfive";
        assert_eq!(texts(t, &paragraphs(t)), ["one\ntwo", "three", "four\nfive"]);
        let t = "p1\np2\np3";
        assert_eq!(texts(t, &paragraphs(t)), ["p1", "p2", "p3"]);
    }

    #[test]
    fn sentences_latin() {
        let t = "The U.S. rose 3.5 percent. Did it? \"Yes!\" he said";
        assert_eq!(
            texts(t, &sentences(t)),
            ["The U.S. rose 3.5 percent.", "Did it?", "\"Yes!\"", "he said"]
        );
    }

    #[test]
    fn sentences_arabic() {
        let t = "وصل حفتر إلى موسكو. هل يحضر بوتين؟ لا\nسطر جديد";
        assert_eq!(
            texts(t, &sentences(t)),
            ["وصل حفتر إلى موسكو.", "هل يحضر بوتين؟", "لا", "سطر جديد"]
        );
    }

    #[test]
    fn seed_has_paragraphs() {
        let seed = include_str!("../seeds/000_f93aa94b4d3c9c3a.txt");
        let ps = paragraphs(seed);
        assert!(ps.len() >= 10, "{} paragraphs", ps.len());
        assert!(texts(seed, &ps).iter().any(|p| p.starts_with("في 29 مايو 2018")));
    }

    proptest! {
        #[test]
        fn spans_are_inside_and_on_boundaries(s in "\\PC{0,80}|[a. \\n\\r؟!]{0,40}") {
            for span in lines(&s).into_iter().chain(paragraphs(&s)).chain(sentences(&s)) {
                prop_assert!(span.start < span.end && span.end <= s.len());
                prop_assert!(s.is_char_boundary(span.start) && s.is_char_boundary(span.end));
                prop_assert_eq!(s[span.range()].trim(), &s[span.range()]);
            }
            let sents = sentences(&s);
            prop_assert!(sents.windows(2).all(|w| w[0].end <= w[1].start));
        }
    }
}
