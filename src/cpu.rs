//! Which vector instructions neardup may use on this machine.
//!
//! A few steps have an AVX-512 path beside their portable one: the ASCII fold and its word cuts
//! (`normalize/fold64.rs`) and the hashing of character windows (`shingle/windows.rs`). Each
//! gives the portable path's output exactly (proptests hold them to it), and runs where the
//! processor has the instructions — unless the environment variable `NEARDUP_PORTABLE` is set
//! to anything but `0` or nothing, which keeps every step on its portable path: for
//! side-by-side measurements, and as a way round should a vector path ever be suspected.

use std::sync::OnceLock;

/// True when the AVX-512 paths may run: the processor has AVX-512 F, BW, DQ, VL, VBMI and VBMI2
/// (every feature any of them is compiled for) and `NEARDUP_PORTABLE` does not forbid them.
/// Checked once per process.
pub(crate) fn avx512() -> bool {
    static USE: OnceLock<bool> = OnceLock::new();
    *USE.get_or_init(|| !portable_forced() && avx512_detected())
}

/// True when the processor has every AVX-512 feature the vector paths are compiled for, whatever
/// `NEARDUP_PORTABLE` says: the condition for calling them safely. The vector-path tests call
/// them directly where this holds (and say they were skipped where it does not), so they are
/// tested in the portable run of the suite too.
pub(crate) fn avx512_detected() -> bool {
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(detect)
}

/// For tests of a vector path: whether it can run here; when not, says the test was skipped.
#[cfg(test)]
pub(crate) fn vector_test_can_run(test: &str) -> bool {
    let has = avx512_detected();
    if !has {
        eprintln!("{test}: skipped, this processor lacks AVX-512 (F, BW, DQ, VL, VBMI, VBMI2)");
    }
    has
}

fn portable_forced() -> bool {
    std::env::var_os("NEARDUP_PORTABLE").is_some_and(|v| !v.is_empty() && v != "0")
}

#[cfg(target_arch = "x86_64")]
fn detect() -> bool {
    is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512bw")
        && is_x86_feature_detected!("avx512dq")
        && is_x86_feature_detected!("avx512vl")
        && is_x86_feature_detected!("avx512vbmi")
        && is_x86_feature_detected!("avx512vbmi2")
}

#[cfg(not(target_arch = "x86_64"))]
fn detect() -> bool {
    false
}
