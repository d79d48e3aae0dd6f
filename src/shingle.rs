//! Shingling: normalized text into stable 64-bit shingle hashes.
//!
//! * **Word n-grams**: the normalized text's words (which are its UAX #29 words, see
//!   [`crate::normalize`]) are hashed once each with XXH3-64 under the shingle seed, and each
//!   window of `n` consecutive word hashes is combined order-sensitively, as the
//!   [`HashScheme`] says: a rotate-xor rolling hash updated in O(1) per window
//!   ([`rolling_windows_into`], the default) or, in stores made before it, a multiply-xor
//!   chain over the window ([`combine`]). A text with fewer than `n` words yields one shingle
//!   of all its words. Words, and rolling windows, are hashed eight at a time where the
//!   processor allows it (`src/shingle/windows.rs`), to the same values.
//! * **Character n-grams**: every window of `n` consecutive characters of the normalized text
//!   (spaces included) is hashed with XXH3-64 under the seed. A shorter text yields one shingle.
//!   Windows of ASCII text are hashed eight at a time where the processor allows it
//!   (`src/shingle/windows.rs`), to the same values.
//!
//! Both hashes are pure functions of the bytes, the seed and `n`: stable across runs,
//! versions and platforms, so they may be persisted. [`HASH_ID`] names this scheme in persisted
//! parameter blocks.

mod windows;

use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::error::{Error, Result};

/// Identifies the default hashing scheme in persisted parameters ([`HashScheme::id`]). Any
/// change to the hashes needs a new id, and the old scheme stays readable.
pub const HASH_ID: u32 = HashScheme::Rolling.id();

/// How word windows and signatures are hashed. A store keeps the scheme it was made with, so
/// signatures added later stay comparable with the ones it holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum HashScheme {
    /// Scheme 1: a word window is a multiply-xor chain over its word hashes ([`combine`]),
    /// and MinHash mixes every shingle hash again ([`fmix64`]).
    Chain,
    /// Scheme 2, the default: a word window is a rotate-xor rolling hash of its word hashes,
    /// updated in O(1) per window, with one [`fmix64`] ([`rolling_windows_into`]); MinHash takes
    /// the shingle hashes, mixed already, as they are.
    #[default]
    Rolling,
}

impl HashScheme {
    /// The persisted id.
    pub const fn id(self) -> u32 {
        match self {
            HashScheme::Chain => 1,
            HashScheme::Rolling => 2,
        }
    }

    /// The scheme of a persisted id (`None` for one this build does not know).
    pub fn from_id(id: u32) -> Option<HashScheme> {
        [HashScheme::Chain, HashScheme::Rolling].into_iter().find(|s| s.id() == id)
    }
}

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

/// Rotation between adjacent words of a rolling window. Odd, so no two positions of a window
/// of up to 64 words are rotated alike.
const ROLL: u32 = 23;

/// Appends the hash of every window of `n` consecutive `words` (one shingle of all of them when
/// there are at most `n`): `x` is the xor of the words rotated by `ROLL` (23) bits per position
/// from the window's end, kept up to date in O(1) per window (rotate, take out the word that
/// leaves, xor in the word that enters), and the shingle is [`fmix64`] of `x` keyed by the seed
/// and the window length. Order-sensitive: the same words in another order give another `x`
/// unless two of them differ in every bit.
pub fn rolling_windows_into(seed: u64, n: usize, words: &[u64], out: &mut Vec<u64>) {
    debug_assert!((1..=64).contains(&n));
    if words.is_empty() {
        return;
    }
    let m = n.min(words.len());
    let key = seed ^ (m as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    if words.len() > m && windows::rolling_windows(key, m, ROLL, words, out) {
        return;
    }
    rolling_windows_portable(key, n, m, words, out);
}

/// [`rolling_windows_into`] one window after the other, keyed by `key`.
fn rolling_windows_portable(key: u64, n: usize, m: usize, words: &[u64], out: &mut Vec<u64>) {
    let mut x = words[..m].iter().fold(0u64, |x, &w| x.rotate_left(ROLL) ^ w);
    out.reserve(words.len() + 1 - m);
    out.push(fmix64(x ^ key));
    let leave = ROLL * n as u32;
    for (&gone, &new) in words.iter().zip(&words[m..]) {
        x = x.rotate_left(ROLL) ^ gone.rotate_left(leave) ^ new;
        out.push(fmix64(x ^ key));
    }
}

/// Turns normalized text into shingle hashes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shingler {
    spec: ShingleSpec,
    seed: u64,
    scheme: HashScheme,
}

impl Shingler {
    /// A shingler for `spec` with hash seed `seed`, in the default [`HashScheme`].
    pub fn new(spec: ShingleSpec, seed: u64) -> Shingler {
        Shingler::with_scheme(spec, seed, HashScheme::default())
    }

    /// A shingler for `spec` with hash seed `seed` in `scheme`.
    pub fn with_scheme(spec: ShingleSpec, seed: u64, scheme: HashScheme) -> Shingler {
        Shingler { spec, seed, scheme }
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
        self.word_hashes_of(text.as_bytes(), out);
    }

    /// Appends the hashes of each word of normalized text given as bytes (words are the
    /// non-empty runs between spaces), eight at a time where the processor allows
    /// (`windows.rs`); each is [`Shingler::word_hash_bytes`] of its word.
    pub fn word_hashes_of(&self, text: &[u8], out: &mut Vec<u64>) {
        windows::xxh3_words(text, self.seed, out);
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
        if self.scheme == HashScheme::Rolling {
            return rolling_windows_into(self.seed, n, words, out);
        }
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
                windows::xxh3_windows(b, n, self.seed, out);
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

    /// Persisted hashes must never change: pin a few values, in both schemes.
    #[test]
    fn hashes_are_stable() {
        let shingles = |scheme| {
            let s = Shingler::with_scheme(ShingleSpec::word(2), DEFAULT_SEED, scheme);
            let (mut w, mut out) = (Vec::new(), Vec::new());
            s.shingles_into("hello big world", &mut w, &mut out);
            out
        };
        let s = Shingler::new(ShingleSpec::word(2), DEFAULT_SEED);
        let (hello, big) = (s.word_hash("hello"), s.word_hash("big"));
        assert_eq!(shingles(HashScheme::Chain)[0], combine(DEFAULT_SEED, &[hello, big]));
        assert_eq!(shingles(HashScheme::Chain), [0x64ab_7c0b_5aae_4d62, 0x1fd6_c844_c37f_14ea]);
        assert_eq!(shingles(HashScheme::Rolling), [0x212c_3710_007d_d074, 0xd2d5_4821_e2f7_3a80]);
        assert_eq!(xxh3_64_with_seed(b"hello", 0), 0x9555_e855_5c62_dcfd_u64);
        assert_eq!(fmix64(1), 0xb456_bcfc_34c2_cb2c);
        assert_eq!(HashScheme::from_id(HASH_ID), Some(HashScheme::Rolling));
        assert_eq!(HashScheme::from_id(1), Some(HashScheme::Chain));
        assert_eq!(HashScheme::from_id(3), None);
    }

    proptest::proptest! {
        /// The rolling update gives every window the hash computed from its words alone, and
        /// windows that differ (or hold the same words in another order) hash apart.
        #[test]
        fn rolling_windows_match_their_definition(
            words in proptest::collection::vec(0u64..6, 0..40), n in 1usize..8, seed: u64,
        ) {
            let words: Vec<u64> = words.iter().map(|&w| fmix64(w + 1)).collect();
            let mut got = Vec::new();
            rolling_windows_into(seed, n, &words, &mut got);
            let direct = |w: &[u64]| {
                let x = w.iter().fold(0u64, |x, &t| x.rotate_left(ROLL) ^ t);
                fmix64(x ^ seed ^ (w.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15))
            };
            let want: Vec<u64> = if words.len() <= n {
                words.is_empty().then(Vec::new).unwrap_or_else(|| vec![direct(&words)])
            } else {
                words.windows(n).map(direct).collect()
            };
            proptest::prop_assert_eq!(&got, &want);
            // The portable path too (the one above may be the vector one), after other content.
            let mut portable = vec![7];
            if !words.is_empty() {
                let m = n.min(words.len());
                let key = seed ^ (m as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                rolling_windows_portable(key, n, m, &words, &mut portable);
            }
            proptest::prop_assert_eq!(&portable[1..], &want[..]);
            let windows: Vec<&[u64]> = if words.len() <= n { vec![&words[..]] } else { words.windows(n).collect() };
            for (i, a) in windows.iter().enumerate() {
                for (j, b) in windows.iter().enumerate().skip(i + 1) {
                    proptest::prop_assert_eq!(a == b, got[i] == got[j]);
                }
            }
        }
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
