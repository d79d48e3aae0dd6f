//! Shingle windows eight at a time with AVX-512: XXH3-64 of every window of `n` bytes (4 to 8)
//! of ASCII text, XXH3-64 of words, and the rolling hash of word windows.
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
//! Words ([`xxh3_words`]) go eight at a time too: their spans are cut from the text at its spaces
//! 64 bytes at a time, each lane's first (and, past eight bytes, last) eight bytes are picked by a
//! VBMI permutation from two loads of the text around the eight words, and each lane computes
//! XXH3's 1-to-3, 4-to-8 and 9-to-16-byte paths, keeping the one of its length: no branch on a
//! word's length, which mispredicts on prose.
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

/// Appends to `out` the XXH3-64 (under `seed`) of each word of `text`, a word being a non-empty
/// run of bytes between spaces: `text.split(' ')`, empty pieces left out. With AVX-512, words of
/// up to 16 bytes are hashed eight at a time (below); longer ones, and groups of eight words
/// spread over more than 128 bytes, one by one.
pub(super) fn xxh3_words(text: &[u8], seed: u64, out: &mut Vec<u64>) {
    #[cfg(target_arch = "x86_64")]
    if x86::available() && u32::try_from(text.len()).is_ok() {
        x86::xxh3_words(text, seed, out);
        return;
    }
    out.extend(
        text.split(|&b| b == b' ').filter(|w| !w.is_empty()).map(|w| xxh3_64_with_seed(w, seed)),
    );
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod x86 {
    use std::arch::x86_64::*;

    use xxhash_rust::xxh3::xxh3_64_with_seed;

    /// XXH3's `rrmxmx` multiplier.
    const MUL: u64 = 0x9FB2_1C65_1E98_DF25;
    /// The multiplier of XXH3's own avalanche.
    const AVALANCHE: u64 = 0x1656_6791_9E37_79F9;
    /// XXH64's second and third primes (its avalanche, which XXH3 uses for 1 to 3 bytes).
    const PRIME64_2: u64 = 0xC2B2_AE3D_27D4_EB4F;
    const PRIME64_3: u64 = 0x1656_67B1_9E37_79F9;
    /// The first 56 bytes of XXH3's default secret: the keys of its paths up to 16 bytes.
    const SECRET: [u8; 56] = [
        0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad,
        0x1c, 0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3,
        0x67, 0x1f, 0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc,
        0xff, 0x72, 0x21, 0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e,
    ];

    /// Whether the processor has the instructions and they may be used ([`crate::cpu`]).
    pub(super) fn available() -> bool {
        crate::cpu::avx512()
    }

    /// [`super::xxh3_windows`] for `4 <= n <= 8`; the caller has checked [`available`].
    pub(super) fn xxh3_windows_4to8(bytes: &[u8], n: usize, seed: u64, out: &mut Vec<u64>) {
        debug_assert!((4..=8).contains(&n) && bytes.len() > n && crate::cpu::avx512_detected());
        // SAFETY: the caller found every feature the function is compiled for (`available()`; the
        // direct tests: `cpu::avx512_detected()`).
        unsafe { windows(bytes, n, seed, out) }
    }

    /// [`super::rolling_windows`]; the caller has checked [`available`].
    pub(super) fn rolling_windows(key: u64, m: usize, rot: u32, words: &[u64], out: &mut Vec<u64>) {
        debug_assert!(words.len() > m && m >= 1 && crate::cpu::avx512_detected());
        // SAFETY: the caller found every feature the function is compiled for (`available()`; the
        // direct tests: `cpu::avx512_detected()`).
        unsafe { rolling(key, m, rot, words, out) }
    }

    /// [`super::xxh3_words`] for texts under 4 GiB; the caller has checked [`available`].
    pub(super) fn xxh3_words(text: &[u8], seed: u64, out: &mut Vec<u64>) {
        debug_assert!(u32::try_from(text.len()).is_ok() && crate::cpu::avx512_detected());
        // SAFETY: the caller found every feature the function is compiled for (`available()`; the
        // direct tests: `cpu::avx512_detected()`).
        unsafe { words(text, seed, out) }
    }

    /// The keys of XXH3's three paths for inputs of 1 to 16 bytes under one seed (default
    /// secret), and the seed itself for the words that go one by one.
    struct WordKeys {
        seed: u64,
        /// 1 to 3 bytes: `(secret[0..4] ^ secret[4..8]) + seed`.
        flip_1to3: u64,
        /// 4 to 8 bytes: `(secret[8..16] ^ secret[16..24]) - seed'`, `seed'` the seed with its
        /// low half's bytes swapped into its high half.
        flip_4to8: u64,
        /// 9 to 16 bytes, first and last eight bytes.
        flip_lo: u64,
        flip_hi: u64,
    }

    impl WordKeys {
        fn new(seed: u64) -> WordKeys {
            let s = |i: usize| u64::from_le_bytes(SECRET[i..i + 8].try_into().unwrap());
            let s32 =
                |i: usize| u64::from(u32::from_le_bytes(SECRET[i..i + 4].try_into().unwrap()));
            let seed_4to8 = seed ^ (u64::from((seed as u32).swap_bytes()) << 32);
            WordKeys {
                seed,
                flip_1to3: (s32(0) ^ s32(4)).wrapping_add(seed),
                flip_4to8: (s(8) ^ s(16)).wrapping_sub(seed_4to8),
                flip_lo: (s(24) ^ s(32)).wrapping_add(seed),
                flip_hi: (s(40) ^ s(48)).wrapping_sub(seed),
            }
        }
    }

    /// Cuts `text` at its spaces 64 bytes at a time, appending each word's span
    /// (`start | end << 32`) to `out`, then hashes the spans in place eight at a time: the
    /// hashing loop holds nothing else, so the processor overlaps one group's multiplications
    /// with the next group's.
    #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vbmi")]
    fn words(text: &[u8], seed: u64, out: &mut Vec<u64>) {
        let keys = WordKeys::new(seed);
        let n = text.len();
        let at = out.len();
        let (mut from, mut i) = (0usize, 0usize);
        while i < n {
            let len = (n - i).min(64);
            let load = low_bits(len);
            // SAFETY: the load is masked to bytes inside `text`.
            let block = unsafe { _mm512_maskz_loadu_epi8(load, text.as_ptr().add(i).cast()) };
            let mut spaces = _mm512_cmpeq_epi8_mask(block, _mm512_set1_epi8(b' ' as i8));
            while spaces != 0 {
                let end = i + spaces.trailing_zeros() as usize;
                if end > from {
                    out.push(from as u64 | (end as u64) << 32);
                }
                from = end + 1;
                spaces &= spaces - 1;
            }
            i += len;
        }
        if from < n {
            out.push(from as u64 | (n as u64) << 32);
        }
        for group in out[at..].chunks_mut(8) {
            hash_group(text, group, &keys);
        }
    }

    /// Replaces up to eight words' spans in `text` by their XXH3. Where they lie
    /// within 128 bytes, words of 1 to 16 bytes go through XXH3's three short paths on eight
    /// lanes (each lane keeps the path of its length), their bytes picked from two loads by one
    /// VBMI permutation each; longer words, and groups spread wider, one by one.
    #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vbmi")]
    fn hash_group(text: &[u8], spans: &mut [u64], keys: &WordKeys) {
        debug_assert!((1..=8).contains(&spans.len()));
        let lanes = (u16::MAX >> (16 - spans.len())) as u8;
        let set = |v: u64| _mm512_set1_epi64(v as i64);
        let (first_at, last) = (spans[0] as u32 as usize, spans[spans.len() - 1]);
        // The bytes the lanes read: from the first word's start to eight bytes past the last
        // word's start or to its end, whichever is further.
        let reach = ((last as u32 as usize) + 8).max((last >> 32) as usize) - first_at;
        if reach > 128 {
            for sp in spans {
                *sp =
                    xxh3_64_with_seed(&text[*sp as u32 as usize..(*sp >> 32) as usize], keys.seed);
            }
            return;
        }
        // SAFETY: the load is masked to the entries of `spans`.
        let sp = unsafe { _mm512_maskz_loadu_epi64(lanes, spans.as_ptr().cast()) };
        let start = _mm512_and_si512(sp, set(u64::from(u32::MAX)));
        let end = _mm512_srli_epi64::<32>(sp);
        let len = _mm512_sub_epi64(end, start);
        // The 128 bytes from the first word's start (zeros past the text's end), and each lane's
        // first and last eight bytes picked out of them: only the bytes of a lane's own word
        // count below.
        let window = &text[first_at..];
        let load = |from: usize| {
            let left = window.len().saturating_sub(from);
            if left == 0 {
                return _mm512_setzero_si512();
            }
            // SAFETY: the load is masked to bytes inside `window`.
            unsafe { _mm512_maskz_loadu_epi8(low_bits(left), window.as_ptr().add(from).cast()) }
        };
        let (low, high) = (load(0), load(64));
        let base = set(first_at as u64);
        let pick = |from: __m512i| {
            // Each lane's offset (below 128) copied to its eight bytes, plus 0..8.
            let offset = _mm512_shuffle_epi8(_mm512_sub_epi64(from, base), spread());
            let at = _mm512_add_epi8(offset, set(0x0706_0504_0302_0100));
            _mm512_permutex2var_epi8(low, at, high)
        };
        let first = pick(start);
        let last = pick(_mm512_sub_epi64(end, set(8)));
        let byte = set(0xff);
        let low32 = set(u64::from(u32::MAX));
        // Shifts by whole bytes, counts taken mod 64 (as the instruction would not: it gives
        // zero past 63, which the compiler would otherwise spend a compare and a blend on).
        let shift_bytes = |n: __m512i| {
            _mm512_srlv_epi64(first, _mm512_and_si512(_mm512_slli_epi64::<3>(n), set(63)))
        };
        // 1 to 3 bytes: the first, middle and last byte and the length, xxh64's avalanche.
        let c1 = _mm512_and_si512(first, byte);
        let c2 = _mm512_and_si512(shift_bytes(_mm512_srli_epi64::<1>(len)), byte);
        let c3 = _mm512_and_si512(shift_bytes(_mm512_sub_epi64(len, set(1))), byte);
        let combo = _mm512_or_si512(
            _mm512_or_si512(_mm512_slli_epi64::<16>(c1), _mm512_slli_epi64::<24>(c2)),
            _mm512_or_si512(c3, _mm512_slli_epi64::<8>(len)),
        );
        let mut a = _mm512_xor_si512(combo, set(keys.flip_1to3));
        a = _mm512_xor_si512(a, _mm512_srli_epi64::<33>(a));
        a = _mm512_mullo_epi64(a, set(PRIME64_2));
        a = _mm512_xor_si512(a, _mm512_srli_epi64::<29>(a));
        a = _mm512_mullo_epi64(a, set(PRIME64_3));
        a = _mm512_xor_si512(a, _mm512_srli_epi64::<32>(a));
        // 4 to 8 bytes: the first four bytes over the last four, `rrmxmx`.
        let input1 = _mm512_and_si512(first, low32);
        let input2 = _mm512_and_si512(shift_bytes(_mm512_sub_epi64(len, set(4))), low32);
        let mut b = _mm512_xor_si512(
            _mm512_add_epi64(input2, _mm512_slli_epi64::<32>(input1)),
            set(keys.flip_4to8),
        );
        let rot = _mm512_xor_si512(_mm512_rol_epi64::<49>(b), _mm512_rol_epi64::<24>(b));
        b = _mm512_mullo_epi64(_mm512_xor_si512(b, rot), set(MUL));
        b = _mm512_xor_si512(b, _mm512_add_epi64(_mm512_srli_epi64::<35>(b), len));
        b = _mm512_mullo_epi64(b, set(MUL));
        b = _mm512_xor_si512(b, _mm512_srli_epi64::<28>(b));
        // 9 to 16 bytes: the first and last eight, a folded 128-bit product, XXH3's avalanche.
        let lo = _mm512_xor_si512(first, set(keys.flip_lo));
        let hi = _mm512_xor_si512(last, set(keys.flip_hi));
        let swapped = _mm512_shuffle_epi8(lo, byte_swap());
        let mut c = _mm512_add_epi64(_mm512_add_epi64(len, swapped), hi);
        c = _mm512_add_epi64(c, _mm512_xor_si512(_mm512_mullo_epi64(lo, hi), mul_high(lo, hi)));
        c = _mm512_xor_si512(c, _mm512_srli_epi64::<37>(c));
        c = _mm512_mullo_epi64(c, set(AVALANCHE));
        c = _mm512_xor_si512(c, _mm512_srli_epi64::<32>(c));
        let mut h = _mm512_mask_mov_epi64(c, _mm512_cmple_epu64_mask(len, set(8)), b);
        h = _mm512_mask_mov_epi64(h, _mm512_cmple_epu64_mask(len, set(3)), a);
        let mut long = _mm512_mask_cmpgt_epu64_mask(lanes, len, set(16));
        while long != 0 {
            let j = long.trailing_zeros() as usize;
            let (s, e) = (spans[j] as u32 as usize, (spans[j] >> 32) as usize);
            h = _mm512_mask_set1_epi64(h, 1 << j, xxh3_64_with_seed(&text[s..e], keys.seed) as i64);
            long &= long - 1;
        }
        // SAFETY: the store is masked to the entries of `spans`.
        unsafe { _mm512_mask_storeu_epi64(spans.as_mut_ptr().cast(), lanes, h) };
    }

    /// The high 64 bits of each lane's 128-bit product, from four 32-bit multiplications.
    #[target_feature(enable = "avx512f")]
    fn mul_high(a: __m512i, b: __m512i) -> __m512i {
        let low32 = _mm512_set1_epi64(u32::MAX as i64);
        // The high halves moved down by a dword shuffle, not a shift: LLVM recognizes the
        // shift form as a 128-bit multiplication and, having no vector one, does it lane by lane
        // in general registers (eight extractions and insertions, 8 ns per group of eight).
        let (a_hi, b_hi) = (_mm512_shuffle_epi32::<0xF5>(a), _mm512_shuffle_epi32::<0xF5>(b));
        let ll = _mm512_mul_epu32(a, b);
        let lh = _mm512_mul_epu32(a, b_hi);
        let hl = _mm512_mul_epu32(a_hi, b);
        let hh = _mm512_mul_epu32(a_hi, b_hi);
        let mid = _mm512_add_epi64(
            _mm512_srli_epi64::<32>(ll),
            _mm512_add_epi64(_mm512_and_si512(lh, low32), _mm512_and_si512(hl, low32)),
        );
        _mm512_add_epi64(
            _mm512_add_epi64(hh, _mm512_srli_epi64::<32>(mid)),
            _mm512_add_epi64(_mm512_srli_epi64::<32>(lh), _mm512_srli_epi64::<32>(hl)),
        )
    }

    /// The mask of the first `len` bytes of a 64-byte block (all of them from 64 on).
    fn low_bits(len: usize) -> u64 {
        if len >= 64 {
            u64::MAX
        } else {
            (1u64 << len) - 1
        }
    }

    /// The shuffle that copies the low byte of each 64-bit lane to all its bytes.
    #[target_feature(enable = "avx512f")]
    fn spread() -> __m512i {
        let (lane, next) = (0, 0x0808_0808_0808_0808_i64);
        _mm512_set_epi64(next, lane, next, lane, next, lane, next, lane)
    }

    /// The shuffle that reverses the bytes of each 64-bit lane.
    #[target_feature(enable = "avx512f")]
    fn byte_swap() -> __m512i {
        let lane = 0x0001_0203_0405_0607_i64;
        let next = 0x0809_0a0b_0c0d_0e0f_i64;
        _mm512_set_epi64(next, lane, next, lane, next, lane, next, lane)
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
        let flip = WordKeys::new(seed).flip_4to8;
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
                let load = low_bits(left);
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

        #[test]
        fn words_are_xxh3_of_each_word(
            words in proptest::collection::vec("[a-z0-9.,]{0,20}", 0..70),
            spaces in proptest::collection::vec(1usize..3, 70),
            lead in 0usize..3,
            seed in any::<u64>(),
        ) {
            // Words of every length from 0 to 20 (0: runs of spaces), one or two spaces apart,
            // after leading spaces; the text's end falls anywhere in a block.
            let mut text = " ".repeat(lead);
            for (w, gap) in words.iter().zip(&spaces) {
                text.push_str(w);
                text.push_str(&" ".repeat(*gap));
            }
            text.pop();
            let bytes = text.as_bytes();
            let mut out = vec![7u64];
            xxh3_words(bytes, seed, &mut out);
            let want: Vec<u64> = std::iter::once(7)
                .chain(bytes.split(|&b| b == b' ').filter(|w| !w.is_empty()).map(|w| xxh3_64_with_seed(w, seed)))
                .collect();
            prop_assert_eq!(out, want);
        }
    }

    /// The vector paths, called directly (not through the dispatchers, which take the portable
    /// path under `NEARDUP_PORTABLE=1` or without AVX-512): skipped, with a line saying so,
    /// where the processor lacks the instructions.
    #[cfg(target_arch = "x86_64")]
    mod vector {
        use super::super::x86;
        use proptest::prelude::*;
        use xxhash_rust::xxh3::xxh3_64_with_seed;

        #[test]
        fn vector_windows_are_xxh3() {
            if crate::cpu::vector_test_can_run("vector_windows_are_xxh3") {
                windows_prop();
            }
        }

        #[test]
        fn vector_words_are_xxh3() {
            if crate::cpu::vector_test_can_run("vector_words_are_xxh3") {
                words_prop();
            }
        }

        #[test]
        fn vector_rolling_windows_are_their_definition() {
            if crate::cpu::vector_test_can_run("vector_rolling_windows_are_their_definition") {
                rolling_prop();
            }
        }

        proptest! {
            fn windows_prop(text in proptest::collection::vec(any::<u8>(), 9..300), n in 4usize..=8, seed in any::<u64>()) {
                let mut out = vec![7u64];
                x86::xxh3_windows_4to8(&text, n, seed, &mut out);
                let want: Vec<u64> = std::iter::once(7).chain(text.windows(n).map(|w| xxh3_64_with_seed(w, seed))).collect();
                prop_assert_eq!(out, want);
            }

            fn words_prop(text in proptest::collection::vec(prop_oneof![Just(b' '), any::<u8>()], 0..400), seed in any::<u64>()) {
                let mut out = vec![7u64];
                x86::xxh3_words(&text, seed, &mut out);
                let want: Vec<u64> = std::iter::once(7)
                    .chain(text.split(|&b| b == b' ').filter(|w| !w.is_empty()).map(|w| xxh3_64_with_seed(w, seed)))
                    .collect();
                prop_assert_eq!(out, want);
            }

            fn rolling_prop(words in proptest::collection::vec(any::<u64>(), 2..80), m in 1usize..9, key in any::<u64>(), rot in 1u32..64) {
                prop_assume!(words.len() > m);
                let mut out = vec![7u64];
                x86::rolling_windows(key, m, rot, &words, &mut out);
                let want: Vec<u64> = std::iter::once(7)
                    .chain(words.windows(m).map(|w| {
                        let x = w.iter().enumerate().fold(0u64, |x, (i, &v)| x ^ v.rotate_left(rot.wrapping_mul((m - 1 - i) as u32) % 64));
                        crate::shingle::fmix64(x ^ key)
                    }))
                    .collect();
                prop_assert_eq!(out, want);
            }
        }
    }
}
