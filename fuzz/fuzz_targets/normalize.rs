//! Normalization never panics and is idempotent.
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
    }
});
