//! Immutable segments: signatures and their indexes as fixed-width little-endian columns.
//!
//! ```text
//! header (320 bytes)  magic "NDUPSEG\0" | version u32 | oldest reader u32 | params (64) |
//!                     doc count u64 | section table: 14 × (offset u64, length u64) | zeros
//! sections            0 signatures   n × num_perm × u32
//!                     1 sizes        n × u32 (shingles per document)
//!                     2 groups       n × u64 (stable group ids)
//!                     3 text lengths n × u32
//!                     4 id offsets   (n + 1) × u64 into section 5
//!                     5 ids          raw JSON of each id, back to back
//!                     6 bands        bands × n × (key u64, doc u32), sorted by key within a band
//!                     7 anchors      (anchor u32, doc u32), sorted
//!                     8 anchor count n × u32
//!                     9 date offsets (n + 1) × u64 into section 10
//!                    10 dates        UTF-8, back to back (empty: no date)
//!                    11 figures     (n + 1) × u32 ends into the keys that follow, then
//!                                   the keys u32 of each document's figures, sorted (format
//!                                   version 2; empty in segments written before: no figures)
//!                    12 band fences  bands × ceil(n / 512) × u64: every 512th key of each band
//!                    13 anchor fences ceil(m / 512) × u32: every 512th anchor
//! footer (24 bytes)   body length u64 | XXH3-64 of everything before | "NDUPEND\0"
//! ```
//!
//! A query reads the columns in place from a memory map: band keys and anchors are found by
//! binary search, so opening a segment builds nothing in memory.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use super::format::*;
use crate::dedup::DocFingerprint;
use crate::error::{Error, Result, StoreError};
use crate::lsh::band_key;

const SECTIONS: usize = 14;
/// Every `FENCE`-th key of a sorted column is repeated in a small fence column, so that a
/// lookup reads the fences and then one block of the big column (a page or two) instead of
/// binary-searching across the whole column.
const FENCE: usize = 512;
/// Header length.
pub const HEADER_LEN: usize = 320;

/// A document to be written into a segment.
#[derive(Clone, Debug)]
pub struct NewDoc {
    /// The id as raw JSON.
    pub id_json: String,
    /// Date, if known.
    pub date: Option<String>,
    /// Length of its text in bytes.
    pub text_len: u32,
    /// Its stable group id.
    pub group: u64,
    /// Its fingerprint (the signature must be present).
    pub fp: DocFingerprint,
}

/// An open, memory-mapped segment.
#[derive(Debug)]
pub struct Segment {
    path: PathBuf,
    map: Mmap,
    params: StoreParams,
    version: u32,
    n: usize,
    sections: [(usize, usize); SECTIONS],
    checksum: u64,
    body: usize,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io { path: path.into(), source }
}

impl Segment {
    /// Opens a segment: checks magic, version, length and section bounds (not the checksum;
    /// see [`Segment::verify`]).
    ///
    /// # Errors
    /// The [`StoreError`] for what is wrong, or [`Error::Io`].
    pub fn open(path: &Path) -> Result<Segment> {
        let file = File::open(path).map_err(io_err(path))?;
        // SAFETY: segments are immutable once committed: a writer creates each one under a
        // temporary name, fsyncs it and renames it into place, and nothing ever writes to,
        // truncates or renames over a committed segment (compaction writes new files and
        // unlinks old ones, which keeps existing maps valid on POSIX systems).
        #[allow(unsafe_code)]
        let map = unsafe { Mmap::map(&file) }.map_err(io_err(path))?;
        // Queries jump around the columns: read-around would page in megabytes per lookup.
        let _ = map.advise(memmap2::Advice::Random);
        let (body, checksum) = check_frame(&map, SEGMENT_MAGIC, "segment", path)?;
        if body < HEADER_LEN {
            return Err(StoreError::Truncated {
                path: path.into(),
                expected: (HEADER_LEN + FOOTER_LEN) as u64,
                found: map.len() as u64,
            }
            .into());
        }
        let params = StoreParams::decode(&map[16..16 + PARAMS_LEN], path)?;
        let version = u32_at(&map, 8);
        let n = u64_at(&map, 80) as usize;
        let mut sections = [(0usize, 0usize); SECTIONS];
        for (i, s) in sections.iter_mut().enumerate() {
            let off = u64_at(&map, 88 + 16 * i) as usize;
            let len = u64_at(&map, 96 + 16 * i) as usize;
            if off < HEADER_LEN || off.checked_add(len).is_none_or(|e| e > body) {
                return Err(StoreError::Corrupt {
                    path: path.into(),
                    reason: format!("section {i} out of bounds"),
                }
                .into());
            }
            *s = (off, len);
        }
        let k = params.num_perm as usize;
        let bands = params.bands as usize;
        // Bound the document count by what the file can hold before any size arithmetic.
        if n > body / (4 * k.max(1)) {
            return Err(StoreError::Corrupt {
                path: path.into(),
                reason: format!("document count {n} does not fit the file"),
            }
            .into());
        }
        let expect = [
            (0, n * k * 4),
            (1, n * 4),
            (2, n * 8),
            (3, n * 4),
            (4, (n + 1) * 8),
            (6, bands * n * 12),
            (8, n * 4),
            (9, (n + 1) * 8),
        ];
        for (i, len) in expect {
            if sections[i].1 != len {
                return Err(StoreError::Corrupt {
                    path: path.into(),
                    reason: format!("section {i} has {} bytes, expected {len}", sections[i].1),
                }
                .into());
            }
        }
        let fences = n.div_ceil(FENCE);
        if sections[12].1 != bands * fences * 8
            || sections[13].1 != (sections[7].1 / 8).div_ceil(FENCE) * 4
        {
            return Err(
                StoreError::Corrupt { path: path.into(), reason: "fence sections".into() }.into()
            );
        }
        let figures = sections[11].1;
        if figures != 0 && (figures < (n + 1) * 4 || !figures.is_multiple_of(4)) {
            return Err(StoreError::Corrupt {
                path: path.into(),
                reason: format!("figure section has {figures} bytes for {n} documents"),
            }
            .into());
        }
        if !sections[7].1.is_multiple_of(8) {
            return Err(StoreError::Corrupt {
                path: path.into(),
                reason: "anchor section length".into(),
            }
            .into());
        }
        let seg = Segment { path: path.into(), map, params, version, n, sections, checksum, body };
        // Offsets into the blobs must be monotone and in bounds.
        for (offs, blob) in [(4, 5), (9, 10)] {
            let last = seg.u64_in(offs, n) as usize;
            if last > seg.sections[blob].1 {
                return Err(StoreError::Corrupt {
                    path: path.into(),
                    reason: format!("section {offs} points past section {blob}"),
                }
                .into());
            }
        }
        Ok(seg)
    }

    /// Recomputes the checksum.
    ///
    /// # Errors
    /// [`StoreError::ChecksumMismatch`].
    pub fn verify(&self) -> Result<()> {
        check_sum(&self.map, self.body, self.checksum, &self.path)
    }

    /// The stored checksum.
    pub fn checksum(&self) -> u64 {
        self.checksum
    }

    /// The path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The parameters.
    pub fn params(&self) -> &StoreParams {
        &self.params
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.n
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The format version the segment was written in (its header's). A later version than
    /// [`FORMAT_VERSION`] opens only when it names this one among its readers.
    pub fn format_version(&self) -> u32 {
        self.version
    }

    /// Size of the file in bytes.
    pub fn file_len(&self) -> usize {
        self.map.len()
    }

    fn sec(&self, i: usize) -> &[u8] {
        let (o, l) = self.sections[i];
        &self.map[o..o + l]
    }

    fn u64_in(&self, sec: usize, i: usize) -> u64 {
        u64_at(self.sec(sec), i * 8)
    }

    /// The signature of document `d`, decoded into `out`.
    pub fn signature_into(&self, d: usize, out: &mut Vec<u32>) {
        let k = self.params.num_perm as usize;
        let s = &self.sec(0)[d * k * 4..(d + 1) * k * 4];
        out.clear();
        out.extend(s.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])));
    }

    /// Shingle count of document `d`.
    pub fn size(&self, d: usize) -> u32 {
        u32_at(self.sec(1), d * 4)
    }

    /// Stable group id of document `d`.
    pub fn group(&self, d: usize) -> u64 {
        self.u64_in(2, d)
    }

    /// Text length of document `d`.
    pub fn text_len(&self, d: usize) -> u32 {
        u32_at(self.sec(3), d * 4)
    }

    fn blob(&self, offs: usize, blob: usize, d: usize) -> &str {
        let (a, b) = (self.u64_in(offs, d) as usize, self.u64_in(offs, d + 1) as usize);
        let bytes = self.sec(blob);
        if a > b || b > bytes.len() {
            return "";
        }
        std::str::from_utf8(&bytes[a..b]).unwrap_or("")
    }

    /// The id of document `d` as raw JSON.
    pub fn id_json(&self, d: usize) -> &str {
        self.blob(4, 5, d)
    }

    /// The date of document `d` (empty when unknown).
    pub fn date(&self, d: usize) -> &str {
        self.blob(9, 10, d)
    }

    /// The figures of document `d` (sorted, distinct) into `out`: none in a segment written
    /// before format version 2, or where its ends do not fit the section.
    pub fn figures_into(&self, d: usize, out: &mut Vec<u32>) {
        out.clear();
        let s = self.sec(11);
        if s.is_empty() || d >= self.n {
            return;
        }
        let keys = &s[(self.n + 1) * 4..];
        let (a, b) = (u32_at(s, d * 4) as usize, u32_at(s, (d + 1) * 4) as usize);
        if a > b || b > keys.len() / 4 {
            return;
        }
        out.extend(
            keys[a * 4..b * 4]
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        );
    }

    /// Number of anchors of document `d`.
    pub fn anchor_count(&self, d: usize) -> u32 {
        u32_at(self.sec(8), d * 4)
    }

    /// Calls `f(anchor, doc)` for every anchor posting.
    pub fn for_each_anchor(&self, mut f: impl FnMut(u32, u32)) {
        for c in self.sec(7).chunks_exact(8) {
            f(
                u32::from_le_bytes([c[0], c[1], c[2], c[3]]),
                u32::from_le_bytes([c[4], c[5], c[6], c[7]]),
            );
        }
    }

    /// Documents whose band `band` has key `key`.
    pub fn band_hits(&self, band: usize, key: u64, out: &mut Vec<u32>) {
        let bytes = &self.sec(6)[band * self.n * 12..(band + 1) * self.n * 12];
        let nf = self.n.div_ceil(FENCE);
        let fences = &self.sec(12)[band * nf * 8..(band + 1) * nf * 8];
        // The first block whose first key is >= key; the run may start in the block before.
        let blk = partition_point(nf, |i| u64_at(fences, i * 8) < key).saturating_sub(1);
        let (from, to) = (blk * FENCE, ((blk + 2) * FENCE).min(self.n));
        let key_at = |i: usize| u64_at(bytes, i * 12);
        let mut i = from + partition_point(to - from, |j| key_at(from + j) < key);
        while i < self.n && key_at(i) == key {
            out.push(u32_at(bytes, i * 12 + 8));
            i += 1;
        }
    }

    /// Documents holding `anchor`, unless more than `max_df` do.
    pub fn anchor_hits(&self, anchor: u32, max_df: usize, out: &mut Vec<u32>) {
        let bytes = self.sec(7);
        let m = bytes.len() / 8;
        let fences = self.sec(13);
        let nf = fences.len() / 4;
        let blk = partition_point(nf, |i| u32_at(fences, i * 4) < anchor).saturating_sub(1);
        let (from, to) = (blk * FENCE, ((blk + 2) * FENCE).min(m));
        let lo = from + partition_point(to - from, |j| u32_at(bytes, (from + j) * 8) < anchor);
        let mut hi = lo;
        while hi < m && hi - lo <= max_df && u32_at(bytes, hi * 8) == anchor {
            hi += 1;
        }
        if hi - lo <= max_df {
            out.extend((lo..hi).map(|i| u32_at(bytes, i * 8 + 4)));
        }
    }

    /// Writes a segment of `docs` to `path` (through a temporary file, fsynced, renamed) and
    /// returns its checksum.
    ///
    /// # Errors
    /// [`Error::Io`].
    pub fn write(path: &Path, params: &StoreParams, docs: &[NewDoc]) -> Result<u64> {
        let n = docs.len();
        let k = params.num_perm as usize;
        let mut sections: Vec<Vec<u8>> = vec![Vec::new(); SECTIONS];
        for d in docs {
            let sig = d.fp.signature.as_deref().unwrap_or(&[]);
            for i in 0..k {
                sections[0]
                    .extend_from_slice(&sig.get(i).copied().unwrap_or(u32::MAX).to_le_bytes());
            }
            sections[1].extend_from_slice(&d.fp.size.to_le_bytes());
            sections[2].extend_from_slice(&d.group.to_le_bytes());
            sections[3].extend_from_slice(&d.text_len.to_le_bytes());
            sections[8].extend_from_slice(&(d.fp.anchors.len() as u32).to_le_bytes());
        }
        let mut end = 0u32;
        sections[11].extend_from_slice(&end.to_le_bytes());
        for d in docs {
            end += d.fp.figures.len() as u32;
            sections[11].extend_from_slice(&end.to_le_bytes());
        }
        for d in docs {
            sections[11].extend(d.fp.figures.iter().flat_map(|f| f.to_le_bytes()));
        }
        for (offs, blob, get) in [(4usize, 5usize, 0u8), (9, 10, 1)] {
            sections[offs].extend_from_slice(&0u64.to_le_bytes());
            for d in docs {
                let s = if get == 0 { d.id_json.as_str() } else { d.date.as_deref().unwrap_or("") };
                sections[blob].extend_from_slice(s.as_bytes());
                let end = sections[blob].len() as u64;
                sections[offs].extend_from_slice(&end.to_le_bytes());
            }
        }
        let rows = params.rows as usize;
        for band in 0..params.bands as usize {
            let mut keyed: Vec<(u64, u32)> = docs
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    (band_key(d.fp.signature.as_deref().unwrap_or(&[]), band, rows), i as u32)
                })
                .collect();
            keyed.sort_unstable();
            for (key, doc) in keyed {
                sections[6].extend_from_slice(&key.to_le_bytes());
                sections[6].extend_from_slice(&doc.to_le_bytes());
            }
        }
        for band in 0..params.bands as usize {
            let col = &sections[6][band * n * 12..(band + 1) * n * 12];
            let fences: Vec<u8> = (0..n.div_ceil(FENCE))
                .flat_map(|b| col[b * FENCE * 12..b * FENCE * 12 + 8].to_vec())
                .collect();
            sections[12].extend_from_slice(&fences);
        }
        let mut anchors: Vec<(u32, u32)> = docs
            .iter()
            .enumerate()
            .flat_map(|(i, d)| d.fp.anchors.iter().map(move |&a| (a, i as u32)))
            .collect();
        anchors.sort_unstable();
        for (i, &(a, d)) in anchors.iter().enumerate() {
            sections[7].extend_from_slice(&a.to_le_bytes());
            sections[7].extend_from_slice(&d.to_le_bytes());
            if i.is_multiple_of(FENCE) {
                sections[13].extend_from_slice(&a.to_le_bytes());
            }
        }

        let mut head = Vec::with_capacity(HEADER_LEN);
        head.extend_from_slice(SEGMENT_MAGIC);
        head.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        head.extend_from_slice(&SEGMENT_OLDEST_READER.to_le_bytes());
        head.extend_from_slice(&params.encode());
        head.extend_from_slice(&(n as u64).to_le_bytes());
        let mut off = HEADER_LEN as u64;
        for s in &sections {
            head.extend_from_slice(&off.to_le_bytes());
            head.extend_from_slice(&(s.len() as u64).to_le_bytes());
            off += s.len() as u64;
        }
        head.resize(HEADER_LEN, 0);
        // Stream the file out, hashing as it goes, instead of assembling it in memory.
        let mut parts: Vec<&[u8]> = vec![&head];
        parts.extend(sections.iter().map(Vec::as_slice));
        write_parts_atomically(path, &parts)
    }
}

/// Writes `parts` and the footer to `path` through a temporary file (fsync, rename, fsync of
/// the directory); returns the checksum.
fn write_parts_atomically(path: &Path, parts: &[&[u8]]) -> Result<u64> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = path.with_extension("tmp");
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut len = 0u64;
    let sum;
    {
        let f = File::create(&tmp).map_err(io_err(&tmp))?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
        for p in parts {
            hasher.update(p);
            len += p.len() as u64;
            w.write_all(p).map_err(io_err(&tmp))?;
        }
        sum = hasher.digest();
        w.write_all(&len.to_le_bytes()).map_err(io_err(&tmp))?;
        w.write_all(&sum.to_le_bytes()).map_err(io_err(&tmp))?;
        w.write_all(END_MAGIC).map_err(io_err(&tmp))?;
        let f =
            w.into_inner().map_err(|e| Error::Io { path: tmp.clone(), source: e.into_error() })?;
        f.sync_all().map_err(io_err(&tmp))?;
    }
    std::fs::rename(&tmp, path).map_err(io_err(path))?;
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_err(dir))?;
    Ok(sum)
}

/// The first index in `0..n` for which `pred` is false (`pred` must be monotone).
fn partition_point(n: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Writes `bytes` to `path` durably: a temporary file in the same directory, fsync, rename,
/// fsync of the directory.
///
/// # Errors
/// [`Error::Io`].
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = path.with_extension("tmp");
    {
        let mut f = File::create(&tmp).map_err(io_err(&tmp))?;
        f.write_all(bytes).map_err(io_err(&tmp))?;
        f.sync_all().map_err(io_err(&tmp))?;
    }
    std::fs::rename(&tmp, path).map_err(io_err(path))?;
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_err(dir))?;
    Ok(())
}
