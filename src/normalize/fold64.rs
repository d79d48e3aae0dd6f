//! The ASCII fold ([`super::unicode::fold_ascii`]) 64 bytes at a time, with AVX-512.
//!
//! Byte by byte the fold is: a letter (lowercased), a digit, or a `.` or `,` between two digits
//! goes out, after a space when the byte before it went out and was of the other kind (letter
//! against number); the first byte of any other run goes out as one space when the byte before
//! it went out; a space left at the very end is dropped. Every part of that rule is a bit mask
//! over 64 bytes, with one bit carried from the block before, and one compress instruction
//! (VBMI2) writes the bytes that go out. Only a letter that touches a digit needs a byte
//! inserted, which a compress cannot do: such a block (rare in prose) goes byte by byte through
//! the same rule. A proptest holds the result to the byte-by-byte fold.
//!
//! Word shingles take their words from the folded text, cut at its spaces 64 bytes at a time
//! ([`split_words`]): cheaper than finding word ends one branch at a time in the raw text.

#![allow(unsafe_code)]

use std::arch::x86_64::*;

/// Whether the processor has the instructions and they may be used ([`crate::cpu`]).
pub(super) fn available() -> bool {
    crate::cpu::avx512()
}

/// What a block needs from the byte before it.
#[derive(Clone, Copy, Default)]
struct Carry {
    /// The byte's kind: 0 another byte, 1 a letter, 2 part of a number.
    kind: u8,
    /// Whether it is a digit (a `.` or `,` after one may join a number).
    digit: bool,
}

/// Appends the fold of ASCII `bytes` to `buf`. The caller has checked [`available`].
pub(super) fn fold_into(bytes: &[u8], buf: &mut Vec<u8>) {
    debug_assert!(crate::cpu::avx512_detected());
    let start = buf.len();
    // SAFETY: the caller found every feature the function is compiled for (`available()`; the
    // direct tests: `cpu::avx512_detected()`).
    unsafe { fold_blocks(bytes, buf) };
    if buf.len() > start && buf.last() == Some(&b' ') {
        buf.pop();
    }
}

#[target_feature(enable = "avx512f,avx512bw,avx512vbmi2")]
fn fold_blocks(bytes: &[u8], buf: &mut Vec<u8>) {
    let n = bytes.len();
    let mut carry = Carry::default();
    let mut i = 0;
    while i < n {
        let len = (n - i).min(64);
        let valid = mask_of(len);
        // SAFETY: both loads are masked to bytes inside `bytes` (masked-off bytes are not
        // read; with an empty mask the pointer may be one past the end).
        let (cur, next) = unsafe {
            let p = bytes.as_ptr().add(i);
            (
                _mm512_maskz_loadu_epi8(valid, p.cast()),
                _mm512_maskz_loadu_epi8(mask_of((n - i - 1).min(64)), p.add(1).cast()),
            )
        };
        let lower = _mm512_or_si512(cur, _mm512_set1_epi8(0x20));
        let letter = in_range(lower, b'a', b'z');
        let digit = in_range(cur, b'0', b'9');
        let digit_next = in_range(next, b'0', b'9');
        let mark = _mm512_cmpeq_epi8_mask(cur, _mm512_set1_epi8(b'.' as i8))
            | _mm512_cmpeq_epi8_mask(cur, _mm512_set1_epi8(b',' as i8));
        let joins = mark & (digit << 1 | u64::from(carry.digit)) & digit_next;
        let number = digit | joins;
        let letter_before = letter << 1 | u64::from(carry.kind == 1);
        let number_before = number << 1 | u64::from(carry.kind == 2);
        if (letter & number_before) | (number & letter_before) != 0 {
            bytewise(bytes, i, i + len, &mut carry, buf);
            i += len;
            continue;
        }
        let word = letter | number;
        let space = valid & !word & (letter_before | number_before);
        let keep = word | space;
        let out = _mm512_mask_blend_epi8(
            letter,
            _mm512_mask_blend_epi8(number, _mm512_set1_epi8(b' ' as i8), cur),
            lower,
        );
        let packed = _mm512_maskz_compress_epi8(keep, out);
        buf.reserve(64);
        let at = buf.len();
        // SAFETY: 64 bytes were reserved after the length; the first `keep.count_ones()` of
        // them are the packed bytes (ASCII, so `buf` stays valid text).
        unsafe {
            _mm512_storeu_si512(buf.as_mut_ptr().add(at).cast(), packed);
            buf.set_len(at + keep.count_ones() as usize);
        }
        let last = 1u64 << (len - 1);
        carry = Carry {
            kind: if letter & last != 0 {
                1
            } else if number & last != 0 {
                2
            } else {
                0
            },
            digit: digit & last != 0,
        };
        i += len;
    }
}

/// Calls `emit` with each word of folded text (words joined by single spaces). The caller has
/// checked [`available`].
pub(super) fn split_words(folded: &[u8], emit: impl FnMut(&[u8])) {
    debug_assert!(crate::cpu::avx512_detected());
    // SAFETY: the caller found every feature the function is compiled for (`available()`; the
    // direct tests: `cpu::avx512_detected()`).
    unsafe { split_blocks(folded, emit) }
}

#[target_feature(enable = "avx512f,avx512bw")]
fn split_blocks(folded: &[u8], mut emit: impl FnMut(&[u8])) {
    let n = folded.len();
    let (mut from, mut i) = (0, 0);
    while i < n {
        let len = (n - i).min(64);
        // SAFETY: the load is masked to bytes inside `folded`.
        let chunk = unsafe { _mm512_maskz_loadu_epi8(mask_of(len), folded.as_ptr().add(i).cast()) };
        let mut spaces = _mm512_cmpeq_epi8_mask(chunk, _mm512_set1_epi8(b' ' as i8));
        while spaces != 0 {
            let at = i + spaces.trailing_zeros() as usize;
            emit(&folded[from..at]);
            from = at + 1;
            spaces &= spaces - 1;
        }
        i += len;
    }
    if from < n {
        emit(&folded[from..]);
    }
}

/// The low `len` bits (`len <= 64`).
fn mask_of(len: usize) -> u64 {
    if len >= 64 {
        u64::MAX
    } else {
        (1u64 << len) - 1
    }
}

/// The bytes of `v` in `lo..=hi`.
#[target_feature(enable = "avx512f,avx512bw")]
fn in_range(v: __m512i, lo: u8, hi: u8) -> u64 {
    _mm512_cmpge_epu8_mask(v, _mm512_set1_epi8(lo as i8))
        & _mm512_cmple_epu8_mask(v, _mm512_set1_epi8(hi as i8))
}

/// The rule of the module doc, one byte at a time, for `bytes[from..to]`.
fn bytewise(bytes: &[u8], from: usize, to: usize, carry: &mut Carry, buf: &mut Vec<u8>) {
    for g in from..to {
        let b = bytes[g];
        let digit = b.is_ascii_digit();
        let kind = if b.is_ascii_alphabetic() {
            1
        } else if digit
            || (matches!(b, b'.' | b',')
                && carry.digit
                && bytes.get(g + 1).is_some_and(u8::is_ascii_digit))
        {
            2
        } else {
            0
        };
        if kind != 0 {
            if carry.kind != 0 && carry.kind != kind {
                buf.push(b' ');
            }
            buf.push(if kind == 1 { b | 0x20 } else { b });
        } else if carry.kind != 0 {
            buf.push(b' ');
        }
        *carry = Carry { kind, digit };
    }
}

/// The vector fold and word cuts called directly (not through the dispatchers, which take the
/// portable path under `NEARDUP_PORTABLE=1` or without AVX-512) against the portable fold:
/// skipped, with a line saying so, where the processor lacks the instructions.
#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    #[test]
    fn vector_fold_is_the_portable_fold() {
        if crate::cpu::vector_test_can_run("vector_fold_is_the_portable_fold") {
            fold_prop();
        }
    }

    proptest! {
        fn fold_prop(s in "[\\x00-\\x7f]{0,80}|([A-Za-z]{1,9}|[0-9]{1,4}|[.,]|[ \\t\\n!-]{1,3}){0,300}") {
            let mut got = b"x".to_vec();
            super::fold_into(s.as_bytes(), &mut got);
            let mut want = Vec::new();
            super::super::unicode::fold_ascii_stretches(s.as_bytes(), &mut want);
            prop_assert_eq!(&got[1..], &want[..]);
            let mut words: Vec<Vec<u8>> = Vec::new();
            super::split_words(&want, |w| words.push(w.to_vec()));
            let by_space: Vec<Vec<u8>> = want.split(|&b| b == b' ').filter(|w| !w.is_empty()).map(<[u8]>::to_vec).collect();
            prop_assert_eq!(words, by_space);
        }
    }
}
