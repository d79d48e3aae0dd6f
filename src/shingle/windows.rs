//! Shingle windows eight at a time with AVX-512: XXH3-64 of every window of `n` bytes (4 to 8)
//! of ASCII text, and the rolling hash of word windows.
//!
//! XXH3 hashes an input of 4 to 8 bytes in closed form: its first and last four bytes make one
//! 64-bit word, which is keyed with the seed and the default secret and avalanched by two
//! multiplications. That is the same few operations for every window of a text, so on a
//! processor with AVX-512 (VBMI for the byte shuffle, DQ for 64-bit multiplication) eight
//! windows are hashed per step: one load of the text, one shuffle that lays each window's bytes
//! out as XXH3 reads them, then the avalanche on eight lanes. The values are XXH3's, bit for bit
//! (a test holds the vector path to `xxh3_64_with_seed`); elsewhere the windows go through
//! `xxh3_64_with_seed` one by one.
//!
//! Rolling word windows ([`rolling_windows`]) go eight at a time the same way: each window's value
//! is an xor of its rotated word hashes, taken directly, then `fmix64` on eight lanes.

use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Appends to `out` the XXH3-64 (under `seed`) of every window of `n` consecutive bytes of
/// `bytes`: `bytes.len() - n + 1` hashes, in order. `bytes` must be longer than `n`.
pub(super) fn xxh3_windows(bytes: &[u8], n: usize, seed: u64, out: &mut Vec<u64>) {
    debug_assert!(bytes.len() > n);
    #[cfg(target_arch = "x86_64")]
    if (4..=8).contains(&n) && x86::available() {
        x86::xxh3_windows_4to8(bytes, n, seed, out);
        return;
    }
    out.extend(bytes.windows(n).map(|w| xxh3_64_with_seed(w, seed)));
}

/// The rolling word windows of [`super::rolling_windows_into`] for `words.len() > m`, eight
/// windows at a time where the processor allows it: window `j`'s `x` is the xor of its `m` words
/// rotated by `rot * (m - 1 - i)` bits (what the O(1) update keeps), so eight windows take `m`
/// loads, rotations and xors, then [`super::fmix64`] of `x ^ key` on eight lanes. Returns false,
/// appending nothing, elsewhere.
pub(super) fn rolling_windows(
    key: u64,
    m: usize,
    rot: u32,
    words: &[u64],
    out: &mut Vec<u64>,
) -> bool {
    debug_assert!(words.len() > m && m >= 1);
    #[cfg(target_arch = "x86_64")]
    if x86::available() {
        x86::rolling_windows(key, m, rot, words, out);
        return true;
    }
    let _ = (key, m, rot, words, out);
    false
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod x86 {
    use std::arch::x86_64::*;

    /// XXH3's default secret, bytes 8..16 and 16..24: the key of its 4-to-8-byte path.
    const SECRET_8: u64 = u64::from_le_bytes([0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c]);
    const SECRET_16: u64 = u64::from_le_bytes([0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb]);
    /// XXH3's `rrmxmx` multiplier.
    const MUL: u64 = 0x9FB2_1C65_1E98_DF25;

    /// Whether the processor has the instructions and they may be used ([`crate::cpu`]).
    pub(super) fn available() -> bool {
        crate::cpu::avx512()
    }

    /// [`super::xxh3_windows`] for `4 <= n <= 8`; the caller has checked [`available`].
    pub(super) fn xxh3_windows_4to8(bytes: &[u8], n: usize, seed: u64, out: &mut Vec<u64>) {
        debug_assert!((4..=8).contains(&n) && bytes.len() > n && available());
        // SAFETY: `available()` found every feature the function is compiled for.
        unsafe { windows(bytes, n, seed, out) }
    }

    /// [`super::rolling_windows`]; the caller has checked [`available`].
    pub(super) fn rolling_windows(key: u64, m: usize, rot: u32, words: &[u64], out: &mut Vec<u64>) {
        debug_assert!(words.len() > m && m >= 1 && available());
        // SAFETY: `available()` found every feature the function is compiled for.
        unsafe { rolling(key, m, rot, words, out) }
    }

    #[target_feature(enable = "avx512f,avx512dq")]
    fn rolling(key: u64, m: usize, rot: u32, words: &[u64], out: &mut Vec<u64>) {
        let count = words.len() + 1 - m;
        out.reserve(count);
        let at = out.len();
        let key = _mm512_set1_epi64(key as i64);
        let c1 = _mm512_set1_epi64(0xff51_afd7_ed55_8ccd_u64 as i64);
        let c2 = _mm512_set1_epi64(0xc4ce_b9fe_1a85_ec53_u64 as i64);
        // SAFETY: window `j + lane` reads `words[j + lane + i]` for `i < m`, below
        // `count - 1 + m = words.len()` for the lanes of the mask; masked-off lanes are not
        // read or written. The stores go to the `count` slots reserved after `out`'s length,
        // which is set once they are all written (u64 has no drop).
        unsafe {
            let dst = out.as_mut_ptr().add(at);
            let mut j = 0;
            while j < count {
                let lanes: u8 = if count - j >= 8 { 0xff } else { (1u8 << (count - j)) - 1 };
                let mut x = _mm512_setzero_si512();
                for i in 0..m {
                    let w = _mm512_maskz_loadu_epi64(lanes, words.as_ptr().add(j + i).cast());
                    let by =
                        _mm512_set1_epi64(i64::from(rot.wrapping_mul((m - 1 - i) as u32) % 64));
                    x = _mm512_xor_si512(x, _mm512_rolv_epi64(w, by));
                }
                let mut k = _mm512_xor_si512(x, key);
                k = _mm512_xor_si512(k, _mm512_srli_epi64::<33>(k));
                k = _mm512_mullo_epi64(k, c1);
                k = _mm512_xor_si512(k, _mm512_srli_epi64::<33>(k));
                k = _mm512_mullo_epi64(k, c2);
                k = _mm512_xor_si512(k, _mm512_srli_epi64::<33>(k));
                _mm512_mask_storeu_epi64(dst.add(j).cast(), lanes, k);
                j += 8;
            }
            out.set_len(at + count);
        }
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vbmi")]
    fn windows(bytes: &[u8], n: usize, seed: u64, out: &mut Vec<u64>) {
        // XXH3_len_4to8_64b with the default secret.
        let seed = seed ^ (u64::from((seed as u32).swap_bytes()) << 32);
        let flip = (SECRET_8 ^ SECRET_16).wrapping_sub(seed);
        let count = bytes.len() + 1 - n;
        // Lane j, byte k of the shuffle: window j's last four bytes (the low half of the word
        // XXH3 reads), then its first four (the high half).
        let mut order = [0u8; 64];
        for (i, o) in order.iter_mut().enumerate() {
            let (j, k) = (i / 8, i % 8);
            *o = (if k < 4 { j + n - 4 + k } else { j + k - 4 }) as u8;
        }
        out.reserve(count);
        let at = out.len();
        // SAFETY: the loads are masked to the bytes of `bytes` (masked-off bytes are not read);
        // the stores are masked to the `count` slots reserved after `out`'s length, which is
        // set only once they are all written (u64 has no drop).
        unsafe {
            let order = _mm512_loadu_si512(order.as_ptr().cast());
            let flip = _mm512_set1_epi64(flip as i64);
            let mul = _mm512_set1_epi64(MUL as i64);
            let len = _mm512_set1_epi64(n as i64);
            let dst = out.as_mut_ptr().add(at);
            let mut i = 0;
            while i < count {
                let left = bytes.len() - i;
                let load = if left >= 64 { u64::MAX } else { (1u64 << left) - 1 };
                let text = _mm512_maskz_loadu_epi8(load, bytes.as_ptr().add(i).cast());
                let mut v = _mm512_xor_si512(_mm512_permutexvar_epi8(order, text), flip);
                let rot = _mm512_xor_si512(_mm512_rol_epi64::<49>(v), _mm512_rol_epi64::<24>(v));
                v = _mm512_mullo_epi64(_mm512_xor_si512(v, rot), mul);
                v = _mm512_xor_si512(v, _mm512_add_epi64(_mm512_srli_epi64::<35>(v), len));
                v = _mm512_mullo_epi64(v, mul);
                v = _mm512_xor_si512(v, _mm512_srli_epi64::<28>(v));
                let store = if count - i >= 8 { 0xff } else { (1u8 << (count - i)) - 1 };
                _mm512_mask_storeu_epi64(dst.add(i).cast(), store, v);
                i += 8;
            }
            out.set_len(at + count);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn windows_are_xxh3_of_each_window(
            text in proptest::collection::vec(any::<u8>(), 18..300),
            n in 1usize..=9,
            seed in any::<u64>(),
            start in 0usize..8,
        ) {
            // After something already in `out`, from every alignment of the text.
            let bytes = &text[start..];
            let mut out = vec![7u64];
            xxh3_windows(bytes, n, seed, &mut out);
            let want: Vec<u64> =
                std::iter::once(7).chain(bytes.windows(n).map(|w| xxh3_64_with_seed(w, seed))).collect();
            prop_assert_eq!(out, want);
        }
    }
}
