//! Shingling: normalized text into stable 64-bit shingle hashes.
//!
//! * **Word n-grams**: the normalized text's words (which are its UAX #29 words, see
//!   [`crate::normalize`]) are hashed once each with XXH3-64 under the shingle seed, and each
//!   window of `n` consecutive word hashes is combined by an order-sensitive mix
//!   ([`combine`]). A text with fewer than `n` words yields one shingle of all its words.
//! * **Character n-grams**: every window of `n` consecutive characters of the normalized text
//!   (spaces included) is hashed with XXH3-64 under the seed. A shorter text yields one shingle.
//!
//! Both hashes are pure functions of the bytes, the seed and `n`: stable across runs,
//! versions and platforms, so they may be persisted. [`HASH_ID`] names this scheme in persisted
//! parameter blocks.

use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::error::{Error, Result};

/// Identifies the hashing scheme (XXH3-64 tokens, [`combine`] for word windows) in persisted
/// parameters. Any change to the hashes needs a new id.
pub const HASH_ID: u32 = 1;

/// The default seed for shingle hashing.
pub const DEFAULT_SEED: u64 = 0x6e65_6172_6475_7031; // "neardup1"

/// Word or character shingles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ShingleKind {
    /// Word n-grams.
    Word,
    /// Character n-grams.
    Char,
}

/// What to shingle: the kind and the n-gram size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ShingleSpec {
    /// Words or characters.
    pub kind: ShingleKind,
    /// The n-gram size, at least 1.
    pub n: usize,
}

impl ShingleSpec {
    /// Word n-grams of size `n`.
    pub const fn word(n: usize) -> ShingleSpec {
        ShingleSpec { kind: ShingleKind::Word, n }
    }

    /// Character n-grams of size `n`.
    pub const fn char(n: usize) -> ShingleSpec {
        ShingleSpec { kind: ShingleKind::Char, n }
    }

    /// Parses `word:N` or `char:N`.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] for anything else, or `N` outside 1..=64.
    pub fn parse(s: &str) -> Result<ShingleSpec> {
        let bad = |reason: String| Error::InvalidParam { name: "shingle", reason };
        let (kind, n) = s
            .split_once(':')
            .ok_or_else(|| bad(format!("expected word:N or char:N, got {s:?}")))?;
        let kind = match kind {
            "word" => ShingleKind::Word,
            "char" => ShingleKind::Char,
            _ => return Err(bad(format!("unknown kind {kind:?} in {s:?}"))),
        };
        let n: usize = n.parse().map_err(|_| bad(format!("bad size in {s:?}")))?;
        if !(1..=64).contains(&n) {
            return Err(bad(format!("size {n} outside 1..=64")));
        }
        Ok(ShingleSpec { kind, n })
    }
}

impl std::fmt::Display for ShingleSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            ShingleKind::Word => "word",
            ShingleKind::Char => "char",
        };
        write!(f, "{kind}:{}", self.n)
    }
}

/// The MurmurHash3 64-bit finalizer: a fast, stable bijective mix.
#[inline]
pub fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

/// Combines a window of token hashes into one shingle hash, order-sensitively: a multiply-xor
/// chain over the tokens (one multiplication each) and one final [`fmix64`].
#[inline]
pub fn combine(seed: u64, window: &[u64]) -> u64 {
    let mut h = seed ^ (window.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    for &t in window {
        h = (h ^ t).wrapping_mul(0xbf58_476d_1ce4_e5b9).rotate_left(31);
    }
    fmix64(h)
}

/// Turns normalized text into shingle hashes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shingler {
    spec: ShingleSpec,
    seed: u64,
}

impl Shingler {
    /// A shingler for `spec` with hash seed `seed`.
    pub fn new(spec: ShingleSpec, seed: u64) -> Shingler {
        Shingler { spec, seed }
    }

    /// The shingle specification.
    pub fn spec(&self) -> ShingleSpec {
        self.spec
    }

    /// The hash seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The hash of one word, as used inside word shingles.
    #[inline]
    pub fn word_hash(&self, word: &str) -> u64 {
        xxh3_64_with_seed(word.as_bytes(), self.seed)
    }

    /// The hash of one normalized word given as bytes.
    #[inline]
    pub fn word_hash_bytes(&self, word: &[u8]) -> u64 {
        xxh3_64_with_seed(word, self.seed)
    }

    /// Appends the hashes of each word of normalized `text` to `out`.
    pub fn word_hashes_into(&self, text: &str, out: &mut Vec<u64>) {
        // Words are short: a plain byte scan beats a memchr call per word.
        let seed = self.seed;
        out.extend(
            text.as_bytes()
                .split(|&b| b == b' ')
                .filter(|w| !w.is_empty())
                .map(|w| xxh3_64_with_seed(w, seed)),
        );
    }

    /// Appends the shingle hashes of normalized `text` to `out` (duplicates included). `words`
    /// is scratch space.
    pub fn shingles_into(&self, text: &str, words: &mut Vec<u64>, out: &mut Vec<u64>) {
        match self.spec.kind {
            ShingleKind::Word => {
                words.clear();
                self.word_hashes_into(text, words);
                self.windows_into(words, out);
            }
            ShingleKind::Char => self.char_shingles_into(text, out),
        }
    }

    /// Appends the word n-gram hashes over already hashed words.
    pub fn windows_into(&self, words: &[u64], out: &mut Vec<u64>) {
        let n = self.spec.n;
        if words.is_empty() {
            return;
        }
        if words.len() <= n {
            out.push(combine(self.seed, words));
            return;
        }
        out.extend(words.windows(n).map(|w| combine(self.seed, w)));
    }

    fn char_shingles_into(&self, text: &str, out: &mut Vec<u64>) {
        let n = self.spec.n;
        if text.is_empty() {
            return;
        }
        if text.is_ascii() {
            let b = text.as_bytes();
            if b.len() <= n {
                out.push(xxh3_64_with_seed(b, self.seed));
            } else {
                out.extend(b.windows(n).map(|w| xxh3_64_with_seed(w, self.seed)));
            }
            return;
        }
        // Byte offsets of the char boundaries, then hash each window of n chars.
        let bounds: Vec<usize> =
            text.char_indices().map(|(i, _)| i).chain(std::iter::once(text.len())).collect();
        let chars = bounds.len() - 1;
        if chars <= n {
            out.push(xxh3_64_with_seed(text.as_bytes(), self.seed));
            return;
        }
        let b = text.as_bytes();
        out.extend(
            (0..=chars - n).map(|i| xxh3_64_with_seed(&b[bounds[i]..bounds[i + n]], self.seed)),
        );
    }

    /// The sorted, deduplicated shingle set of normalized `text`.
    pub fn shingle_set(&self, text: &str) -> Vec<u64> {
        let mut words = Vec::new();
        let mut out = Vec::new();
        self.shingles_into(text, &mut words, &mut out);
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(spec: ShingleSpec, t: &str) -> Vec<u64> {
        Shingler::new(spec, DEFAULT_SEED).shingle_set(t)
    }

    #[test]
    fn short_text_yields_one_shingle() {
        assert_eq!(set(ShingleSpec::word(5), "a b").len(), 1);
        assert_eq!(set(ShingleSpec::char(5), "ab").len(), 1);
        assert_eq!(set(ShingleSpec::char(5), "حفتر").len(), 1);
        assert!(set(ShingleSpec::word(5), "").is_empty());
    }

    #[test]
    fn counts_windows() {
        assert_eq!(set(ShingleSpec::word(2), "a b c d").len(), 3);
        assert_eq!(set(ShingleSpec::char(3), "abcd").len(), 2);
        assert_eq!(set(ShingleSpec::char(3), "حفترن").len(), 3);
    }

    #[test]
    fn order_matters_and_seed_matters() {
        assert_ne!(set(ShingleSpec::word(2), "a b"), set(ShingleSpec::word(2), "b a"));
        let a = Shingler::new(ShingleSpec::word(2), 1).shingle_set("a b");
        let b = Shingler::new(ShingleSpec::word(2), 2).shingle_set("a b");
        assert_ne!(a, b);
    }

    /// Persisted hashes must never change: pin a few values.
    #[test]
    fn hashes_are_stable() {
        let s = Shingler::new(ShingleSpec::word(2), DEFAULT_SEED);
        let mut w = Vec::new();
        let mut out = Vec::new();
        s.shingles_into("hello world", &mut w, &mut out);
        assert_eq!(out, [combine(DEFAULT_SEED, &[s.word_hash("hello"), s.word_hash("world")])]);
        assert_eq!(xxh3_64_with_seed(b"hello", 0), 0x9555_e855_5c62_dcfd_u64);
        assert_eq!(fmix64(1), 0xb456_bcfc_34c2_cb2c);
    }

    #[test]
    fn parse_specs() {
        assert_eq!(ShingleSpec::parse("word:5").unwrap(), ShingleSpec::word(5));
        assert_eq!(ShingleSpec::parse("char:3").unwrap().to_string(), "char:3");
        assert!(ShingleSpec::parse("word:0").is_err());
        assert!(ShingleSpec::parse("byte:3").is_err());
        assert!(ShingleSpec::parse("word").is_err());
    }
}
