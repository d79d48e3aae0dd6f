//! Text normalization: the first stage of the pipeline.
//!
//! [`Normalizer`] turns raw text into a canonical token stream: words separated by single ASCII
//! spaces. Two texts that differ only in case, compatibility forms, punctuation, whitespace,
//! invisible format characters or Arabic orthographic variants normalize to the same string.
//!
//! The steps, in order (see [`unicode`] and [`arabic`] for the tables):
//!
//! 1. Unicode NFKC (Unicode Standard Annex #15), which also folds Arabic presentation forms
//!    (U+FB50–U+FDFF, U+FE70–U+FEFF) to their base letters.
//! 2. Case folding (full lowercase mapping, plus `ß` → `ss` and final sigma → sigma).
//! 3. Arabic folding: harakat and Quranic marks removed, tatweel removed, alef and hamza-carrier
//!    variants unified, Persian letters mapped, Arabic-Indic digits to ASCII.
//! 4. Tokenization: letters and combining marks form words, digits form numbers (a `.` or `,`
//!    between two digits stays inside the number, the Arabic decimal and thousands separators
//!    become `.` and `,`), a digit glued to a letter is split from it (`عام2018` → `عام 2018`),
//!    everything else (punctuation, symbols, whitespace) separates tokens.
//!
//! The result is idempotent: `normalize(normalize(x)) == normalize(x)` (a property test checks
//! it). Any change to the output for some input must bump [`NORMALIZER_VERSION`], which is
//! recorded in everything neardup persists.

pub mod arabic;
#[cfg(target_arch = "x86_64")]
mod fold64;
pub mod stem;
pub mod stopwords;
mod table;
pub mod unicode;

use std::borrow::Cow;

use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};
use unicode_segmentation::UnicodeSegmentation;

/// Version of the normalization output. Bump it whenever any input normalizes differently.
pub const NORMALIZER_VERSION: u32 = 1;

/// How much normalization to apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// No folding at all: the text is only split into Unicode words (UAX #29).
    None,
    /// NFKC, case folding, punctuation and Arabic orthographic folding. Arabic folding only
    /// touches Arabic-script characters, so this is safe for any language.
    Auto,
    /// [`Mode::Auto`] plus the light Arabic clitic stemmer ([`arabic::light_stem`]) on every
    /// Arabic word. Useful for matching restatements; too aggressive for exact reprints.
    Arabic,
}

impl Mode {
    /// Parses `none`, `auto` or `arabic`.
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "none" => Some(Mode::None),
            "auto" => Some(Mode::Auto),
            "arabic" => Some(Mode::Arabic),
            _ => None,
        }
    }

    /// The name accepted by [`Mode::parse`].
    pub fn name(self) -> &'static str {
        match self {
            Mode::None => "none",
            Mode::Auto => "auto",
            Mode::Arabic => "arabic",
        }
    }
}

/// Normalizes text into space-separated tokens. Cheap to copy; holds no buffers.
///
/// ```
/// use neardup::normalize::{Mode, Normalizer};
/// let n = Normalizer::new(Mode::Auto);
/// assert_eq!(n.normalize("وفي 29 مايو عام2018، قبلت الأطراف"), "وفي 29 مايو عام 2018 قبلت الاطراف");
/// assert_eq!(n.normalize("  The U.N. said: 3.5%!"), "the u n said 3.5");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Normalizer {
    mode: Mode,
}

impl Default for Normalizer {
    fn default() -> Self {
        Normalizer::new(Mode::Auto)
    }
}

impl Normalizer {
    /// A normalizer for the given mode.
    pub fn new(mode: Mode) -> Normalizer {
        Normalizer { mode }
    }

    /// The mode this normalizer applies.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Normalizes `text` into a new string.
    pub fn normalize(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        self.normalize_into(text, &mut out);
        out
    }

    /// Normalizes `text` into `out`, replacing its contents. Reusing `out` avoids allocation.
    pub fn normalize_into(&self, text: &str, out: &mut String) {
        self.normalize_with(text, out, fold_nfkc);
    }

    /// [`Normalizer::normalize`] by the general Unicode path alone (NFKC, then the fold through
    /// the Unicode property functions), without the table-driven and ASCII fast paths. The
    /// output is the same (proptests and the `normalize` fuzz target check it); this is the
    /// oracle they are held to, and slow.
    pub fn normalize_general(&self, text: &str) -> String {
        let mut out = String::new();
        self.normalize_with(text, &mut out, fold_nfkc_general);
        out
    }

    fn normalize_with(&self, text: &str, out: &mut String, fold: fn(&str, &mut String)) {
        out.clear();
        match self.mode {
            Mode::None => {
                for (i, w) in text.unicode_words().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(w);
                }
            }
            Mode::Auto | Mode::Arabic => {
                fold(text, out);
                // The stemmer leaves non-Arabic words alone, so ASCII output needs no pass.
                if self.mode == Mode::Arabic && !out.is_ascii() {
                    let mut stemmed = String::with_capacity(out.len());
                    for w in out.split(' ').map(arabic::light_stem).filter(|w| !w.is_empty()) {
                        if !stemmed.is_empty() {
                            stemmed.push(' ');
                        }
                        stemmed.push_str(w);
                    }
                    *out = stemmed;
                }
            }
        }
    }

    /// Calls `f` with each non-empty word of [`Normalizer::normalize`] of `text` split at
    /// spaces, in order, without writing the stemmed text: `scratch` receives the folded text
    /// and each word is stemmed as it is handed out (the stemmer returns part of its word,
    /// never a space, so the words are those of the joined stems).
    pub fn for_each_normalized_word<'s>(
        &self,
        text: &str,
        scratch: &'s mut String,
        mut f: impl FnMut(&'s str),
    ) {
        match self.mode {
            Mode::Auto | Mode::Arabic => {
                scratch.clear();
                fold_nfkc(text, scratch);
                let stem = self.mode == Mode::Arabic && !scratch.is_ascii();
                // The pieces of `split(' ')`, found byte by byte: words are a few letters,
                // shorter than a `memchr` call is worth.
                let mut rest: &str = scratch;
                loop {
                    let end = rest.bytes().position(|c| c == b' ').unwrap_or(rest.len());
                    let w = &rest[..end];
                    let w = if stem { arabic::light_stem(w) } else { w };
                    if !w.is_empty() {
                        f(w);
                    }
                    if end == rest.len() {
                        break;
                    }
                    rest = &rest[end + 1..];
                }
            }
            Mode::None => {
                self.normalize_into(text, scratch);
                for w in scratch.split(' ').filter(|w| !w.is_empty()) {
                    f(w);
                }
            }
        }
    }

    /// Calls `f` with each word of the normalized `text`, in order: the words of
    /// [`Normalizer::normalize`] split at spaces. ASCII text is tokenized without writing the
    /// normalized text (in [`Mode::Arabic`] too: the stemmer leaves ASCII words alone);
    /// otherwise `scratch` receives it. `word` is scratch.
    pub fn for_each_word(
        &self,
        text: &str,
        scratch: &mut String,
        word: &mut Vec<u8>,
        mut f: impl FnMut(&[u8]),
    ) {
        if matches!(self.mode, Mode::Auto | Mode::Arabic) && text.is_ascii() {
            unicode::ascii_words(text, word, f);
            return;
        }
        self.normalize_into(text, scratch);
        for w in scratch.split(' ').filter(|w| !w.is_empty()) {
            f(w.as_bytes());
        }
    }

    /// The normalized `text` as bytes, where it can be written out as fast as
    /// [`Normalizer::for_each_word`] tokenizes it: ASCII text on a processor with AVX-512, folded
    /// 64 bytes at a time into `buf`. Its words, split at spaces, are `for_each_word`'s. `None`
    /// elsewhere (then `buf` is left alone).
    pub fn folded_ascii<'b>(&self, text: &str, buf: &'b mut Vec<u8>) -> Option<&'b [u8]> {
        // Availability first: elsewhere `for_each_word` checks for ASCII itself.
        let wide = matches!(self.mode, Mode::Auto | Mode::Arabic)
            && unicode::wide_fold_available()
            && text.is_ascii()
            && unicode::fold_ascii_wide(text, buf);
        wide.then_some(&buf[..])
    }
}

/// The normalized words of each non-blank line of a text ([`crate::segment::lines`]), each
/// line normalized once for every stage that needs its words: the near-duplicate fingerprint
/// ([`crate::dedup::Engine::add_batch_normalized`]) and the story vector
/// ([`crate::stories::Vectorizer::term_counts_of_lines`]) of one article share it.
///
/// A line's words are those of [`Normalizer::normalize`] of the line, split at spaces (an
/// ASCII line may hold runs of spaces: split with empty words left out).
///
/// ```
/// use neardup::normalize::{Mode, NormalizedLines, Normalizer};
/// let mut lines = NormalizedLines::default();
/// Normalizer::new(Mode::Auto).normalize_lines("The Title\n\n  Body, text.\r\n", &mut lines);
/// assert_eq!(lines.len(), 2);
/// assert_eq!(lines.words(0).collect::<Vec<_>>(), ["the", "title"]);
/// assert_eq!(lines.words(1).collect::<Vec<_>>(), ["body", "text"]);
/// assert_eq!(&"The Title\n\n  Body, text.\r\n"[lines.span(1).range()], "Body, text.");
/// ```
#[derive(Clone, Debug, Default)]
pub struct NormalizedLines {
    text: String,
    lines: Vec<(crate::segment::Span, usize, usize)>,
    mode: Option<Mode>,
    word: Vec<u8>,
    /// Hash of the text the lines were cut from (their spans index it).
    source: u64,
}

impl NormalizedLines {
    /// The number of non-blank lines.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// True when the text has no non-blank line.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The place of line `i` in the raw text (trimmed).
    pub fn span(&self, i: usize) -> crate::segment::Span {
        self.lines[i].0
    }

    /// The normalized text of line `i`.
    pub fn line(&self, i: usize) -> &str {
        let (_, a, b) = self.lines[i];
        &self.text[a..b]
    }

    /// The words of line `i`.
    pub fn words(&self, i: usize) -> impl Iterator<Item = &str> {
        self.line(i).split(' ').filter(|w| !w.is_empty())
    }

    /// Every line's normalized text, the lines joined by spaces: the words of the whole text.
    pub fn all(&self) -> &str {
        &self.text
    }

    /// The mode the lines were normalized with (`None` before [`Normalizer::normalize_lines`]).
    pub fn mode(&self) -> Option<Mode> {
        self.mode
    }

    /// True when these are the lines of `text` (their spans index it): a caller that hands
    /// lines over with a text can be checked, and a mismatch normalized again.
    pub fn are_of(&self, text: &str) -> bool {
        self.mode.is_some() && self.source == xxhash_rust::xxh3::xxh3_64(text.as_bytes())
    }
}

impl Normalizer {
    /// Normalizes each non-blank line of `text` into `out` (replacing its contents): ASCII
    /// lines by the 64-byte fold where the processor has it ([`Normalizer::folded_ascii`]),
    /// the others by [`Normalizer::normalize_into`].
    pub fn normalize_lines(&self, text: &str, out: &mut NormalizedLines) {
        out.text.clear();
        out.lines.clear();
        out.mode = Some(self.mode);
        out.source = xxhash_rust::xxh3::xxh3_64(text.as_bytes());
        let mut norm = String::new();
        for span in crate::segment::lines(text) {
            let line = &text[span.range()];
            if !out.text.is_empty() {
                out.text.push(' ');
            }
            let start = out.text.len();
            match self.folded_ascii(line, &mut out.word) {
                // Folded ASCII is ASCII.
                Some(f) => out.text.push_str(std::str::from_utf8(f).unwrap_or_default()),
                None => {
                    self.normalize_into(line, &mut norm);
                    out.text.push_str(&norm);
                }
            }
            out.lines.push((span, start, out.text.len()));
        }
    }
}

/// NFKC followed by [`unicode::fold`], repeated until stable: ASCII text by the ASCII fold,
/// other text by the table-driven fold (`table.rs`) where every character allows it, the rest
/// by [`fold_nfkc_general`].
fn fold_nfkc(text: &str, out: &mut String) {
    if text.is_ascii() {
        unicode::fold_ascii(text, out);
        return;
    }
    if table::fold(text, out) {
        return;
    }
    fold_nfkc_general(text, out);
}

/// The general path, the oracle of the fast ones: NFKC followed by [`unicode::fold`], repeated
/// until stable (at most a few rounds; almost all texts need one).
fn fold_nfkc_general(text: &str, out: &mut String) {
    let mut input: Cow<str> = Cow::Borrowed(text);
    for round in 0..4 {
        let nfkc: Cow<str> = if needs_nfkc(&input) {
            Cow::Owned(input.nfkc().collect())
        } else {
            Cow::Borrowed(&*input)
        };
        unicode::fold(&nfkc, out);
        if round == 3 || !needs_nfkc(out) {
            return;
        }
        // Case folding produced a sequence NFKC would change: go round again.
        input = Cow::Owned(out.clone());
    }
}

fn needs_nfkc(s: &str) -> bool {
    if s.is_ascii() {
        return false;
    }
    match is_nfkc_quick(s.chars()) {
        IsNormalized::Yes => false,
        IsNormalized::No => true,
        IsNormalized::Maybe => !unicode_normalization::is_nfkc(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn auto(s: &str) -> String {
        Normalizer::new(Mode::Auto).normalize(s)
    }

    #[test]
    fn nfkc_folds_compatibility_forms() {
        assert_eq!(auto("ﬁne ＡＢＣ ①"), "fine abc 1");
        // Arabic presentation forms (lam-alef ligature) fold to base letters.
        assert_eq!(auto("\u{FEFB}"), "لا");
    }

    #[test]
    fn case_folding() {
        assert_eq!(auto("Straße ΟΔΟΣ"), "strasse οδοσ");
    }

    #[test]
    fn whitespace_and_punctuation_separate_tokens() {
        assert_eq!(auto("a\t\tb\r\n\nc — «d» (e)"), "a b c d e");
        assert_eq!(auto("قال، ثم؛ هل؟ «نعم»"), "قال ثم هل نعم");
    }

    #[test]
    fn numbers_keep_inner_separators() {
        assert_eq!(auto("1,000.5 and 6,06 mln."), "1,000.5 and 6,06 mln");
        // Arabic decimal (U+066B) and thousands (U+066C) separators, Arabic-Indic digits.
        assert_eq!(auto("٣٫٥ و ١٬٠٠٠"), "3.5 و 1,000");
        assert_eq!(auto("end. 2"), "end 2");
    }

    #[test]
    fn none_mode_only_splits_words() {
        let n = Normalizer::new(Mode::None);
        assert_eq!(n.normalize("Hello, World! أهلاً"), "Hello World أهلاً");
    }

    #[test]
    fn arabic_mode_stems_clitics() {
        let n = Normalizer::new(Mode::Arabic);
        assert_eq!(n.normalize("والمؤتمر بالرياض"), "موتمر رياض");
    }

    #[test]
    fn format_characters_are_invisible() {
        assert_eq!(auto("a\u{200D}b\u{200C}c\u{202B}d\u{FEFF}"), "abcd");
    }

    /// Every BMP character, alone and between neighbours that test its class, its joins and its
    /// NFKC behaviour (digits, number separators, letters of three scripts, a composing hamza, a
    /// fatha, a combining acute): the table-driven fold writes what the general path writes.
    #[test]
    fn every_bmp_character_folds_as_the_general_path() {
        let n = Normalizer::new(Mode::Auto);
        let contexts = [
            ("", ""),
            ("\u{0627}", "\u{0628}"),
            ("3", "4"),
            ("3", ""),
            ("x\u{064E}", "\u{0654}"),
            ("\u{0651}", "\u{064E}"),
            ("e", "\u{0301}"),
            ("e", "\u{0316}"),
            (". ", "\u{0300}x"),
            ("\u{0434}", "\u{0410}"),
            ("", "\u{0651}\u{064E}"),
            ("\u{0627}", "\u{064E}\u{0654}"),
            ("\u{00A0}", "\u{0301}"),
        ];
        let mut text = String::new();
        for cp in 0x80..0x1_0000u32 {
            let Some(c) = char::from_u32(cp) else { continue };
            for (before, after) in contexts {
                text.clear();
                text.push_str(before);
                text.push(c);
                text.push_str(after);
                assert_eq!(n.normalize(&text), n.normalize_general(&text), "{text:?}");
            }
        }
    }

    proptest! {
        /// The fast paths (ASCII, the table) against the general Unicode path, on any text, on
        /// Arabic with harakat, composing marks and presentation forms, and on Latin, Greek and
        /// Cyrillic with combining marks.
        #[test]
        fn fast_paths_match_the_general_path(
            s in "\\PC{0,64}|[\u{0600}-\u{06FF}\u{0750}-\u{077F}\u{08A0}-\u{08FF}\u{FB50}-\u{FDFF}\u{FE70}-\u{FEFF} 0-9a-zA-Z.,\u{200C}\u{200D}]{0,64}|[\u{00A0}-\u{052F}\u{0300}-\u{036F}\u{1E00}-\u{1FFF}\u{2000}-\u{206F} 0-9.,]{0,64}"
        ) {
            for mode in [Mode::Auto, Mode::Arabic] {
                let n = Normalizer::new(mode);
                prop_assert_eq!(n.normalize(&s), n.normalize_general(&s));
            }
        }

        #[test]
        fn for_each_word_yields_the_normalized_words(s in "[\\x00-\\x7f]{0,60}|\\PC{0,30}") {
            for mode in [Mode::None, Mode::Auto, Mode::Arabic] {
                let n = Normalizer::new(mode);
                let mut got: Vec<Vec<u8>> = Vec::new();
                n.for_each_word(&s, &mut String::new(), &mut Vec::new(), |w| got.push(w.to_vec()));
                let norm = n.normalize(&s);
                let want: Vec<Vec<u8>> =
                    norm.split(' ').filter(|w| !w.is_empty()).map(|w| w.as_bytes().to_vec()).collect();
                prop_assert_eq!(&got, &want);
                // Where the text comes out whole (ASCII, with AVX-512), it is the normalized one.
                if let Some(folded) = n.folded_ascii(&s, &mut Vec::new()) {
                    prop_assert_eq!(folded, norm.as_bytes());
                }
            }
        }

        #[test]
        fn idempotent(s in "\\PC{0,64}") {
            let once = auto(&s);
            prop_assert_eq!(auto(&once), once);
        }

        #[test]
        fn idempotent_arabic_heavy(s in "[\u{0600}-\u{06FF}\u{0750}-\u{077F}\u{FB50}-\u{FDFF}\u{FE70}-\u{FEFF} 0-9a-zA-Z.,]{0,64}") {
            let once = auto(&s);
            prop_assert_eq!(auto(&once), once.clone());
            let n = Normalizer::new(Mode::Arabic);
            let stemmed = n.normalize(&s);
            prop_assert!(!stemmed.contains("  "));
        }

        #[test]
        fn output_is_single_spaced_tokens(s in "\\PC{0,64}") {
            let out = auto(&s);
            prop_assert!(!out.starts_with(' ') && !out.ends_with(' ') && !out.contains("  "));
        }

        /// The shingler splits normalized text on spaces; for alphabetic scripts that must equal
        /// UAX #29 words. (UAX #29 splits CJK text into single ideographs; neardup keeps such
        /// runs whole and leaves them to character shingles.)
        #[test]
        fn spaces_are_word_boundaries(s in "[a-zA-Z0-9\u{00C0}-\u{024F}\u{0400}-\u{04FF}\u{0600}-\u{06FF} .,;:!?'\"()«»،؛؟\n-]{0,64}") {
            let out = auto(&s);
            let by_space: Vec<&str> = out.split(' ').filter(|w| !w.is_empty()).collect();
            let by_uax29: Vec<&str> = out.unicode_words().collect();
            prop_assert_eq!(by_space, by_uax29);
        }
    }
}
