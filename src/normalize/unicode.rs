//! Case folding, character classes and tokenization of NFKC text.

use unicode_normalization::char::is_combining_mark;

use super::arabic;

/// What a character contributes to a token stream.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Class {
    Letter,
    Digit,
    Separator,
}

fn classify(c: char) -> Class {
    if c.is_ascii_digit() {
        Class::Digit
    } else if c.is_ascii_alphabetic() {
        Class::Letter
    } else if c.is_ascii() {
        Class::Separator
    } else if c.is_numeric() {
        Class::Digit
    } else if c.is_alphabetic() || is_combining_mark(c) {
        Class::Letter
    } else {
        Class::Separator
    }
}

/// True for characters that are dropped without leaving a word boundary: format controls
/// (zero-width joiners, bidirectional marks, byte order mark, soft hyphen), Arabic harakat and
/// tatweel.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{061C}')
        || arabic::is_removed(c)
}

/// Emits normalized tokens into `out`, tracking word boundaries.
struct Emitter<'a> {
    out: &'a mut String,
    prev: Class,
    /// A `.` or `,` seen right after a digit: kept only if a digit follows.
    pending_sep: Option<char>,
}

impl Emitter<'_> {
    #[inline]
    fn push(&mut self, c: char) {
        let class = classify(c);
        match class {
            Class::Separator => {
                if self.prev == Class::Digit && self.pending_sep.is_none() {
                    if let Some(sep) = number_separator(c) {
                        self.pending_sep = Some(sep);
                        return;
                    }
                }
                self.pending_sep = None;
                self.prev = Class::Separator;
            }
            Class::Digit | Class::Letter => {
                if let Some(sep) = self.pending_sep.take() {
                    if class == Class::Digit {
                        self.out.push(sep);
                        self.out.push(c);
                        return;
                    }
                    self.prev = Class::Separator;
                }
                let is_mark = class == Class::Letter && !c.is_ascii() && is_combining_mark(c);
                if is_mark && self.prev == Class::Separator {
                    return; // a mark with nothing to combine with is not a word (UAX #29)
                }
                let mark_continues = is_mark;
                if !self.out.is_empty() && !mark_continues && self.prev != class {
                    self.out.push(' ');
                }
                self.out.push(c);
                if !mark_continues {
                    self.prev = class;
                }
            }
        }
    }
}

/// Maps a separator that may sit inside a number to its canonical form.
fn number_separator(c: char) -> Option<char> {
    match c {
        '.' | '\u{066B}' => Some('.'),
        ',' | '\u{066C}' => Some(','),
        _ => None,
    }
}

/// [`fold`] for ASCII text, on bytes: with AVX-512 64 bytes at a time (`fold64.rs`), elsewhere
/// by [`fold_ascii_stretches`]. Proptests hold both to the general [`fold`] and to the
/// byte-by-byte version they replaced.
pub(crate) fn fold_ascii(text: &str, out: &mut String) {
    let mut buf = std::mem::take(out).into_bytes();
    buf.clear();
    buf.reserve(text.len());
    #[cfg(target_arch = "x86_64")]
    if super::fold64::available() {
        super::fold64::fold_into(text.as_bytes(), &mut buf);
        // Only ASCII bytes were written; the check cannot fail.
        *out = String::from_utf8(buf).unwrap_or_default();
        return;
    }
    fold_ascii_stretches(text.as_bytes(), &mut buf);
    *out = String::from_utf8(buf).unwrap_or_default();
}

/// The portable [`fold_ascii`], appending to the empty `buf`: the words of [`ascii_words`] (the
/// same token rules, found eight bytes at a time) joined by single spaces. Words that already
/// stand one space apart in the text go out as one stretch, copied whole and lowercased in place
/// when one of them holds a capital: prose is mostly such stretches, so the copies are long
/// ones rather than one per word.
pub(super) fn fold_ascii_stretches(bytes: &[u8], buf: &mut Vec<u8>) {
    debug_assert!(buf.is_empty());
    // The pending stretch of `bytes`, and whether it holds a capital.
    let (mut from, mut to, mut upper) = (0usize, 0usize, false);
    let flush = |buf: &mut Vec<u8>, from: usize, to: usize, upper: bool| {
        if from == to {
            return;
        }
        if !buf.is_empty() {
            buf.push(b' ');
        }
        let at = buf.len();
        buf.extend_from_slice(&bytes[from..to]);
        if upper {
            buf[at..].make_ascii_lowercase();
        }
    };
    ascii_word_spans(bytes, |start, end, up| {
        if to > from && start == to + 1 && bytes[to] == b' ' {
            to = end;
            upper |= up;
        } else {
            flush(buf, from, to, upper);
            (from, to, upper) = (start, end, up);
        }
    });
    flush(buf, from, to, upper);
}

/// The words of ASCII text after [`fold`], handed to `emit` one by one: with AVX-512 the text is
/// folded 64 bytes at a time into `buf` and cut at its spaces (`fold64.rs`), elsewhere by
/// [`ascii_words_in_place`]. Proptests check that the words are the folded text's.
pub(crate) fn ascii_words(text: &str, buf: &mut Vec<u8>, emit: impl FnMut(&[u8])) {
    #[cfg(target_arch = "x86_64")]
    if fold_ascii_wide(text, buf) {
        super::fold64::split_words(buf, emit);
        return;
    }
    ascii_words_in_place(text.as_bytes(), buf, emit);
}

/// Whether [`fold_ascii_wide`] folds here (a processor with AVX-512, `fold64.rs`).
pub(crate) fn wide_fold_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    return super::fold64::available();
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// [`fold`] of ASCII text into `buf` (replacing its contents) 64 bytes at a time, where
/// [`wide_fold_available`]; false, leaving `buf` alone, elsewhere.
pub(crate) fn fold_ascii_wide(text: &str, buf: &mut Vec<u8>) -> bool {
    debug_assert!(text.is_ascii());
    #[cfg(target_arch = "x86_64")]
    if super::fold64::available() {
        buf.clear();
        super::fold64::fold_into(text.as_bytes(), buf);
        return true;
    }
    let _ = (text, buf);
    false
}

/// The portable [`ascii_words`], without writing the folded text: runs of letters (lowercased
/// into `buf` only when they hold a capital; most words are handed over straight from `bytes`)
/// and numbers (digit runs joined by single `.` or `,`).
fn ascii_words_in_place(bytes: &[u8], buf: &mut Vec<u8>, mut emit: impl FnMut(&[u8])) {
    ascii_word_spans(bytes, |start, end, upper| {
        if upper {
            buf.clear();
            buf.extend(bytes[start..end].iter().map(u8::to_ascii_lowercase));
            emit(buf);
        } else {
            emit(&bytes[start..end]);
        }
    });
}

/// Where the words of [`ascii_words`] lie in `bytes`: `emit(start, end, holds_a_capital)` for
/// each, in order.
#[inline]
fn ascii_word_spans(bytes: &[u8], mut emit: impl FnMut(usize, usize, bool)) {
    let n = bytes.len();
    let mut i = 0;
    while i < n {
        let c = WORD_CLASS[bytes[i] as usize];
        if c == 0 {
            i += 1;
            continue;
        }
        let start = i;
        if c & LETTER != 0 {
            let (end, upper) = letter_run(bytes, i);
            i = end;
            emit(start, i, upper);
        } else {
            loop {
                while i < n && WORD_CLASS[bytes[i] as usize] & DIGIT != 0 {
                    i += 1;
                }
                if i + 1 < n
                    && matches!(bytes[i], b'.' | b',')
                    && WORD_CLASS[bytes[i + 1] as usize] & DIGIT != 0
                {
                    i += 1;
                    continue;
                }
                break;
            }
            emit(start, i, false);
        }
    }
}

/// [`WORD_CLASS`] bits: a letter, a capital letter, a digit (other bytes are 0).
const LETTER: u8 = 1;
const UPPER: u8 = 2;
const DIGIT: u8 = 4;

/// The class of every byte for [`ascii_words`]; bytes outside ASCII are 0 (never met there).
const WORD_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 128 {
        let c = i as u8;
        t[i] = if c.is_ascii_uppercase() {
            LETTER | UPPER
        } else if c.is_ascii_lowercase() {
            LETTER
        } else if c.is_ascii_digit() {
            DIGIT
        } else {
            0
        };
        i += 1;
    }
    t
};

/// The top bit of every byte of a word.
const HI: u64 = 0x8080_8080_8080_8080;

/// `b` in every byte of a word.
const fn splat(b: u8) -> u64 {
    b as u64 * 0x0101_0101_0101_0101
}

/// The end of the run of ASCII letters starting at `i`, and whether it holds a capital: eight
/// bytes at a time (SWAR), the last few one by one. On ASCII bytes (top bit clear), OR-ing
/// 0x20 lowercases letters and maps no other byte into `a..=z`, and adding `0x80 - lo` sets a
/// byte's top bit exactly when it is `>= lo`, with no carry between bytes. A capital is a
/// letter with bit 0x20 clear.
#[inline]
fn letter_run(bytes: &[u8], mut i: usize) -> (usize, bool) {
    let mut upper = 0u64;
    while let Some(c) = bytes.get(i..i + 8) {
        let x = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        let y = x | splat(0x20);
        let letter =
            y.wrapping_add(splat(0x80 - b'a')) & !y.wrapping_add(splat(0x80 - b'z' - 1)) & HI;
        let caps = letter & !((x & splat(0x20)) << 2);
        if letter != HI {
            // Bytes below the first non-letter's top bit are the run's.
            let stop = (!letter & HI).trailing_zeros();
            upper |= caps & ((1u64 << stop) - 1);
            return (i + (stop / 8) as usize, upper != 0);
        }
        upper |= caps;
        i += 8;
    }
    let mut up = upper != 0;
    while let Some(&b) = bytes.get(i) {
        let c = WORD_CLASS[b as usize];
        if c & LETTER == 0 {
            break;
        }
        up |= c & UPPER != 0;
        i += 1;
    }
    (i, up)
}

/// Case-folds, Arabic-folds and tokenizes NFKC text into `out` (cleared first). This is the
/// general path: the table-driven fold (`table.rs`) is built from [`fold_char`] and
/// [`char_class`] and held to this function byte for byte.
pub(crate) fn fold(text: &str, out: &mut String) {
    out.clear();
    let mut e = Emitter { out, prev: Class::Separator, pending_sep: None };
    for c in text.chars() {
        if c.is_ascii() {
            e.push(c.to_ascii_lowercase());
            continue;
        }
        fold_char(c, |m| e.push(m));
    }
}

/// What [`fold`] makes of one non-ASCII character: the characters it hands to the tokenizer,
/// in order (none for invisible ones, up to three for a lowercase expansion).
#[inline]
pub(crate) fn fold_char(c: char, mut push: impl FnMut(char)) {
    if is_invisible(c) {
        return;
    }
    if let Some(m) = arabic::fold_char(c) {
        push(m);
        return;
    }
    match c {
        'ß' | 'ẞ' => {
            push('s');
            push('s');
        }
        'ς' => push('σ'),
        _ if c.is_lowercase() || !c.is_alphabetic() => push(c),
        _ => {
            for l in c.to_lowercase() {
                push(if l == 'ς' { 'σ' } else { l });
            }
        }
    }
}

/// How the tokenizer of [`fold`] treats a character it is handed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum CharClass {
    /// Punctuation, symbols, whitespace: ends a word (a `.` or `,` may join a number).
    Separator,
    /// A letter: words are runs of them.
    Letter,
    /// A combining mark: continues the word before it, dropped after a separator.
    Mark,
    /// A digit: numbers are runs of them.
    Digit,
}

/// The class [`fold`]'s tokenizer gives `c`.
pub(crate) fn char_class(c: char) -> CharClass {
    match classify(c) {
        Class::Separator => CharClass::Separator,
        Class::Digit => CharClass::Digit,
        Class::Letter if !c.is_ascii() && is_combining_mark(c) => CharClass::Mark,
        Class::Letter => CharClass::Letter,
    }
}

/// The canonical form of a separator that may sit inside a number (`.` or `,`).
pub(crate) fn number_sep(c: char) -> Option<u8> {
    number_separator(c).map(|c| c as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The first [`fold_ascii`]: one byte at a time through byte classes (kept as an oracle).
    fn fold_ascii_bytewise(text: &str, out: &mut String) {
        let mut buf = std::mem::take(out).into_bytes();
        buf.clear();
        buf.resize(text.len() * 2, 0);
        let mut j = 0usize;
        let mut prev = 0u8; // class of the last emitted byte, 0 = separator
        let mut pending = 0u8; // a '.' or ',' right after a number, 0 = none
        for &b in text.as_bytes() {
            // 0 separator, 1 letter, 2 digit.
            let class = u8::from(b.is_ascii_alphabetic()) + 2 * u8::from(b.is_ascii_digit());
            if class == prev && pending == 0 {
                if class != 0 {
                    // The common case: a word or number goes on. Letters lowercase by one bit.
                    buf[j] = b | (class & 1) << 5;
                    j += 1;
                }
                continue;
            }
            if class == 0 {
                if prev == 2 && pending == 0 && (b == b'.' || b == b',') {
                    pending = b;
                } else {
                    pending = 0;
                    prev = 0;
                }
                continue;
            }
            if pending != 0 {
                if class == 2 {
                    // "3.5": the separator joins two digit runs.
                    buf[j] = pending;
                    buf[j + 1] = b;
                    j += 2;
                    pending = 0;
                    continue;
                }
                pending = 0;
                prev = 0;
            }
            if prev != class && j > 0 {
                buf[j] = b' ';
                j += 1;
            }
            buf[j] = b | (class & 1) << 5;
            j += 1;
            prev = class;
        }
        buf.truncate(j);
        // Only ASCII bytes were written; the check cannot fail.
        *out = String::from_utf8(buf).unwrap_or_default();
    }

    /// Each pattern at every offset around the first two 64-byte block ends.
    #[test]
    fn patterns_across_block_ends_fold_as_bytewise() {
        for pat in ["7.5", "7,5.2", "1..2", "x9", "9x", "Ab. Cd", "  ", "3.x", "x.3"] {
            for at in 0..140 {
                let filler: String =
                    "Lorem ipsum dolor sit amet ".chars().cycle().take(at).collect();
                let s = format!("{filler}{pat} tail");
                let (mut a, mut b) = (String::new(), String::new());
                fold_ascii(&s, &mut a);
                fold_ascii_bytewise(&s, &mut b);
                assert_eq!(a, b, "{s:?}");
            }
        }
    }

    proptest! {
        /// Short texts of any ASCII, word-like texts, and long texts (many 64-byte blocks, with
        /// numbers, joining marks, letters against digits and separator runs falling across
        /// block ends): the fold, and the portable stretch fold, give the byte-by-byte fold.
        #[test]
        fn fold_ascii_matches_the_bytewise_fold(
            s in "[\\x00-\\x7f]{0,80}|([A-Za-z0-9]{1,5}[ .,!\n]{1,2}){0,24}|([A-Za-z]{1,9}|[0-9]{1,4}|[.,]|[ \t\n!-]{1,3}){0,300}"
        ) {
            let (mut a, mut b) = (String::new(), String::new());
            fold_ascii(&s, &mut a);
            fold_ascii_bytewise(&s, &mut b);
            prop_assert_eq!(&a, &b);
            let mut c = Vec::new();
            fold_ascii_stretches(s.as_bytes(), &mut c);
            prop_assert_eq!(c, b.into_bytes());
        }

        #[test]
        fn ascii_words_match_the_folded_text(
            s in "[\\x00-\\x7f]{0,80}|([A-Za-z]{1,9}|[0-9]{1,4}|[.,]|[ \\t\\n!-]{1,3}){0,300}"
        ) {
            let mut folded = String::new();
            fold_ascii_bytewise(&s, &mut folded);
            let want: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
            let mut got: Vec<String> = Vec::new();
            ascii_words(&s, &mut Vec::new(), |w| got.push(String::from_utf8(w.to_vec()).unwrap()));
            prop_assert_eq!(&got, &want);
            got.clear();
            ascii_words_in_place(s.as_bytes(), &mut Vec::new(), |w| got.push(String::from_utf8(w.to_vec()).unwrap()));
            prop_assert_eq!(got, want);
        }

        #[test]
        fn ascii_fast_path_matches_general_fold(s in "[ -~\t\n]{0,80}") {
            let (mut a, mut b) = (String::new(), String::new());
            fold(&s, &mut a);
            fold_ascii(&s, &mut b);
            prop_assert_eq!(a, b);
        }
    }
}
