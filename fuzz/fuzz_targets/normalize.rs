//! Normalization never panics and is idempotent; the fast paths (the ASCII fold, the
//! table-driven fold of other text) write what the general Unicode path
//! (`Normalizer::normalize_general`) writes; and the word path that skips writing the normalized
//! text (`for_each_word`, eight bytes at a time on ASCII) yields its words. ASCII text, which
//! takes the ASCII fold (64 bytes at a time with AVX-512), also folds as the general Unicode
//! fold does with a non-ASCII word appended. Word hashes (eight words at a time with AVX-512)
//! are each word's XXH3, on the normalized text and on the raw input alike.
#![no_main]
use libfuzzer_sys::fuzz_target;
use neardup::normalize::{Mode, Normalizer};
use neardup::shingle::{ShingleSpec, Shingler, DEFAULT_SEED};

/// `Shingler::word_hashes_of` against one `word_hash_bytes` call per space-separated word.
fn check_word_hashes(text: &[u8]) {
    let s = Shingler::new(ShingleSpec::word(5), DEFAULT_SEED);
    let mut got = Vec::new();
    s.word_hashes_of(text, &mut got);
    let want: Vec<u64> = text
        .split(|&b| b == b' ')
        .filter(|w| !w.is_empty())
        .map(|w| s.word_hash_bytes(w))
        .collect();
    assert_eq!(got, want, "word hashes differ from XXH3 per word");
}

fuzz_target!(|data: &[u8]| {
    check_word_hashes(data);
    let Ok(s) = std::str::from_utf8(data) else { return };
    for mode in [Mode::None, Mode::Auto, Mode::Arabic] {
        let n = Normalizer::new(mode);
        let once = n.normalize(s);
        assert_eq!(once, n.normalize_general(s), "a fast path differs from the general path");
        if mode == Mode::Auto {
            assert_eq!(n.normalize(&once), once, "not idempotent");
            if s.is_ascii() {
                let general = n.normalize(&format!("{s} é"));
                let want = if once.is_empty() { "é".to_owned() } else { format!("{once} é") };
                assert_eq!(general, want, "the ASCII fold differs from the general fold");
            }
        }
        let mut words: Vec<Vec<u8>> = Vec::new();
        n.for_each_word(s, &mut String::new(), &mut Vec::new(), |w| words.push(w.to_vec()));
        let want: Vec<Vec<u8>> =
            once.split(' ').filter(|w| !w.is_empty()).map(|w| w.as_bytes().to_vec()).collect();
        assert_eq!(words, want, "for_each_word differs from normalize");
        check_word_hashes(once.as_bytes());
    }
});
