//! The fold of non-ASCII text through a table: one lookup per character instead of the Unicode
//! property walks of the general path ([`super::unicode::fold`] after NFKC).
//!
//! Every code point of the Basic Multilingual Plane gets one 64-bit entry, built the first
//! time its block of 256 is met, from the general path's own functions
//! ([`unicode::fold_char`], [`unicode::char_class`], the NFKC quick check and canonical
//! combining class of `unicode-normalization`): the table is the oracle's answers, written
//! down. An entry says what the fold hands the tokenizer for the character:
//!
//! - **map**: one character, with its token class (letter, combining mark, digit, separator)
//!   and, for a separator, the `.` or `,` it becomes inside a number;
//! - **drop**: nothing (format controls, harakat, tatweel);
//! - **multi**: several characters (`ß` → `ss`, a few lowercase expansions), asked of
//!   [`unicode::fold_char`] again when met;
//! - **general**: the character can change under NFKC, or decides whether its neighbours do,
//!   and the text takes the general path.
//!
//! A character is map, drop or multi when the general path's treatment of it does not depend
//! on its neighbours: it passes the NFKC quick check with Yes (a map or multi character must
//! also have combining class 0), or NFKC rewrites it on its own (its compatibility
//! decomposition is all starters that compose with nothing before them, as for the no-break
//! space, the ellipsis, and most Arabic presentation forms: the entry then holds the fold of
//! its NFKC form); and every character it becomes is quick-check Yes with class 0. Then the
//! NFKC of the text is the text with such characters rewritten, up to the order of dropped
//! marks, and the fold's output is its own NFKC (the general path's second round never runs),
//! so the general path writes what this one writes. Composing marks (such as U+0654 hamza
//! above), presentation forms whose decomposition ends in one, and marks the fold keeps with a
//! nonzero class are general: rare in news text. Characters outside the BMP are looked up by
//! computing their entry on the spot.
//!
//! Proptests, and the `normalize` fuzz target, hold this path to the general one byte for byte.

use std::sync::OnceLock;

use unicode_normalization::char::canonical_combining_class;
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

use super::unicode::{self, CharClass};

/// Entry kinds (bits 48..50).
const MAP: u64 = 0;
const DROP: u64 = 1;
const MULTI: u64 = 2;
const GENERAL: u64 = 3;

/// Token classes (bits 40..42): how [`Emitter::push`] treats the character.
const SEP: u8 = 0;
const LETTER: u8 = 1;
const MARK: u8 = 2;
const DIGIT: u8 = 3;

const fn pack(kind: u64, c: u32, class: u8, sep: u8) -> u64 {
    c as u64 | (class as u64) << 40 | (sep as u64) << 32 | kind << 48
}

fn class_code(c: CharClass) -> u8 {
    match c {
        CharClass::Separator => SEP,
        CharClass::Letter => LETTER,
        CharClass::Mark => MARK,
        CharClass::Digit => DIGIT,
    }
}

/// Whether `c` alone passes the NFKC quick check with Yes and has combining class 0.
fn stable_starter(c: char) -> bool {
    canonical_combining_class(c) == 0 && is_nfkc_quick(std::iter::once(c)) == IsNormalized::Yes
}

/// Whether NFKC may rewrite `c` on its own, without regard to its neighbours: its NFKC
/// decomposition is all starters (combining class 0) none of which may compose with a
/// character before it (quick check Maybe), and it composes into stable starters.
fn rewrites_alone(c: char) -> bool {
    canonical_combining_class(c) == 0
        && std::iter::once(c).nfkd().all(|x| {
            canonical_combining_class(x) == 0
                && is_nfkc_quick(std::iter::once(x)) != IsNormalized::Maybe
        })
        && std::iter::once(c).nfkc().all(stable_starter)
}

/// What the general path hands the tokenizer for `c` (non-ASCII) where it needs no
/// neighbours to decide: NFKC of `c` (when [`rewrites_alone`]; `c` itself when quick-check
/// Yes) folded character by character. False when `c` needs the general path.
fn outputs(c: char, mut push: impl FnMut(char)) -> bool {
    match is_nfkc_quick(std::iter::once(c)) {
        IsNormalized::Yes => unicode::fold_char(c, push),
        IsNormalized::No if rewrites_alone(c) => {
            for k in std::iter::once(c).nfkc() {
                if k.is_ascii() {
                    push(k.to_ascii_lowercase());
                } else {
                    unicode::fold_char(k, &mut push);
                }
            }
        }
        _ => return false,
    }
    true
}

/// The entry of one non-ASCII character (see the module doc), from the general path.
fn entry(c: char) -> u64 {
    let mut outs = ['\0'; 4];
    let mut n = 0;
    let known = outputs(c, |m| {
        if n < outs.len() {
            outs[n] = m;
        }
        n += 1;
    });
    if !known {
        return pack(GENERAL, 0, 0, 0);
    }
    if n == 0 {
        return pack(DROP, 0, 0, 0);
    }
    if n > outs.len() || !stable_starter(c) && !rewrites_alone(c) {
        return pack(GENERAL, 0, 0, 0);
    }
    if !outs[..n].iter().all(|&o| stable_starter(o)) {
        return pack(GENERAL, 0, 0, 0);
    }
    if n > 1 {
        return pack(MULTI, 0, 0, 0);
    }
    let o = outs[0];
    let class = class_code(unicode::char_class(o));
    let sep = if class == SEP { unicode::number_sep(o).unwrap_or(0) } else { 0 };
    pack(MAP, o as u32, class, sep)
}

/// The entries of the BMP, 256 code points a block, each block built when first needed.
static BLOCKS: [OnceLock<Box<[u64]>>; 256] = [const { OnceLock::new() }; 256];

fn build_block(hi: u32) -> Box<[u64]> {
    (0..256u32)
        .map(|lo| char::from_u32(hi << 8 | lo).map_or(pack(GENERAL, 0, 0, 0), entry))
        .collect()
}

/// The entries of U+0000–U+07FF (the two-byte UTF-8 range: Latin-1, Latin Extended, Greek,
/// Cyrillic, Hebrew, Arabic) in one array, looked up without a per-block check.
fn low_entries() -> &'static [u64] {
    static LOW: OnceLock<Box<[u64]>> = OnceLock::new();
    LOW.get_or_init(|| (0..8).flat_map(|hi| lookup_block(hi).iter().copied()).collect())
}

fn lookup_block(hi: u32) -> &'static [u64] {
    BLOCKS[hi as usize].get_or_init(|| build_block(hi))
}

#[inline]
fn lookup(c: char) -> u64 {
    let cp = c as u32;
    if cp < 0x1_0000 {
        let hi = cp >> 8;
        let block = BLOCKS[hi as usize].get_or_init(|| build_block(hi));
        block[(cp & 0xFF) as usize]
    } else {
        entry(c)
    }
}

/// The class and number-separator form of each ASCII byte (which the fold lowercases).
const ASCII: [(u8, u8); 128] = {
    let mut t = [(SEP, 0u8); 128];
    let mut i = 0;
    while i < 128 {
        let b = i as u8;
        t[i] = if b.is_ascii_alphabetic() {
            (LETTER, 0)
        } else if b.is_ascii_digit() {
            (DIGIT, 0)
        } else if b == b'.' || b == b',' {
            (SEP, b)
        } else {
            (SEP, 0)
        };
        i += 1;
    }
    t
};

/// The tokenizer of [`unicode::fold`] (its `Emitter`) on classes looked up in the table.
struct Emitter<'a> {
    out: &'a mut String,
    /// The class of the last character that went out (`SEP` at a word boundary; never `MARK`).
    prev: u8,
    /// A `.` or `,` seen right after a digit: kept only if a digit follows.
    pending: u8,
}

impl Emitter<'_> {
    #[inline(always)]
    fn push(&mut self, c: char, class: u8, sep: u8) {
        if class == SEP {
            if self.prev == DIGIT && self.pending == 0 && sep != 0 {
                self.pending = sep;
                return;
            }
            self.pending = 0;
            self.prev = SEP;
            return;
        }
        if self.pending != 0 {
            let p = std::mem::take(&mut self.pending);
            if class == DIGIT {
                self.out.push(char::from(p));
                self.out.push(c);
                return;
            }
            self.prev = SEP;
        }
        if class == MARK {
            // A mark continues the word before it; with nothing to combine with it is dropped.
            if self.prev != SEP {
                self.out.push(c);
            }
            return;
        }
        if self.prev != class && !self.out.is_empty() {
            self.out.push(' ');
        }
        self.out.push(c);
        self.prev = class;
    }
}

/// Folds and tokenizes `text` into `out` (cleared first) as the general path would, and returns
/// true; or returns false, `out` unspecified, when a character needs the general path.
pub(super) fn fold(text: &str, out: &mut String) -> bool {
    out.clear();
    let mut e = Emitter { out, prev: SEP, pending: 0 };
    let low = low_entries();
    for c in text.chars() {
        if c.is_ascii() {
            let (class, sep) = ASCII[c as usize];
            e.push(c.to_ascii_lowercase(), class, sep);
            continue;
        }
        let en = match low.get(c as usize) {
            Some(&en) => en,
            None => lookup(c),
        };
        match en >> 48 {
            MAP => {
                // A map entry holds a valid char in its low 32 bits.
                let m = char::from_u32(en as u32).unwrap_or(char::REPLACEMENT_CHARACTER);
                e.push(m, (en >> 40) as u8 & 3, (en >> 32) as u8);
            }
            DROP => {}
            MULTI => {
                outputs(c, |m| {
                    let class = class_code(unicode::char_class(m));
                    let sep = if class == SEP { unicode::number_sep(m).unwrap_or(0) } else { 0 };
                    e.push(m, class, sep);
                });
            }
            _ => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_letters_map_and_presentation_forms_go_general() {
        assert_eq!(lookup('\u{0623}') >> 48, MAP);
        assert_eq!(lookup('\u{0623}') as u32, 0x0627);
        assert_eq!(lookup('\u{064E}') >> 48, DROP);
        assert_eq!(lookup('\u{0654}') >> 48, GENERAL);
        // NFKC rewrites these alone: no-break space, the lam-alef ligature, a final form.
        assert_eq!(lookup('\u{00A0}'), pack(MAP, ' ' as u32, SEP, 0));
        assert_eq!(lookup('\u{FEFB}') >> 48, MULTI);
        assert_eq!(lookup('\u{FE8E}'), pack(MAP, 0x0627, LETTER, 0));
        // Its decomposition ends in a composing hamza, which marks after it may reorder around.
        assert_eq!(lookup('\u{FEF7}') >> 48, GENERAL);
        assert_eq!(lookup('ß') >> 48, MULTI);
        assert_eq!(lookup('\u{066B}') >> 32 & 0xFF, u64::from(b'.'));
    }
}
