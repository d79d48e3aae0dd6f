//! Normalization never panics and is idempotent, and the word path that skips writing the
//! normalized text (`for_each_word`, eight bytes at a time on ASCII) yields its words.
#![no_main]
use libfuzzer_sys::fuzz_target;
use neardup::normalize::{Mode, Normalizer};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    for mode in [Mode::None, Mode::Auto, Mode::Arabic] {
        let n = Normalizer::new(mode);
        let once = n.normalize(s);
        if mode == Mode::Auto {
            assert_eq!(n.normalize(&once), once, "not idempotent");
        }
        let mut words: Vec<Vec<u8>> = Vec::new();
        n.for_each_word(s, &mut String::new(), &mut Vec::new(), |w| words.push(w.to_vec()));
        let want: Vec<Vec<u8>> =
            once.split(' ').filter(|w| !w.is_empty()).map(|w| w.as_bytes().to_vec()).collect();
        assert_eq!(words, want, "for_each_word differs from normalize");
    }
});
