//! The manifest: the committed state of a store.
//!
//! ```text
//! magic "NDUPMAN\0" | version u32 | oldest reader u32 | params (64) | generation u64 |
//! next segment number u64 | next group id u64 | segment count u32 |
//! per segment: name length u16, name, document count u64, segment checksum u64 |
//! removed count u32 | per removed document: segment index u32, document u32 |
//! footer: body length u64 | XXH3-64 | "NDUPEND\0"
//! ```
//!
//! A commit writes `MANIFEST.tmp`, fsyncs it, renames it over `MANIFEST` and fsyncs the
//! directory, so a reader always sees one whole commit and a crash leaves the previous one.

use std::path::Path;

use super::format::*;
use super::segment::write_atomically;
use crate::error::{Result, StoreError};

/// One segment as the manifest lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentEntry {
    /// File name inside the store directory.
    pub name: String,
    /// Number of documents.
    pub docs: u64,
    /// The segment's own checksum (from its footer).
    pub checksum: u64,
}

/// The committed state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// The parameters every segment was made with.
    pub params: StoreParams,
    /// Incremented by every commit.
    pub generation: u64,
    /// Number of the next segment file.
    pub next_segment: u64,
    /// Next unused group id.
    pub next_group: u64,
    /// Live segments, oldest first.
    pub segments: Vec<SegmentEntry>,
    /// Removed documents: (segment index, document), sorted.
    pub removed: Vec<(u32, u32)>,
}

impl Manifest {
    /// An empty store's manifest.
    pub fn new(params: StoreParams) -> Manifest {
        Manifest {
            params,
            generation: 0,
            next_segment: 1,
            next_group: 0,
            segments: Vec::new(),
            removed: Vec::new(),
        }
    }

    /// Encodes with the footer.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(MANIFEST_MAGIC);
        b.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        b.extend_from_slice(&OLDEST_SUPPORTED_FORMAT_VERSION.to_le_bytes());
        b.extend_from_slice(&self.params.encode());
        for x in [self.generation, self.next_segment, self.next_group] {
            b.extend_from_slice(&x.to_le_bytes());
        }
        b.extend_from_slice(&(self.segments.len() as u32).to_le_bytes());
        for s in &self.segments {
            b.extend_from_slice(&(s.name.len() as u16).to_le_bytes());
            b.extend_from_slice(s.name.as_bytes());
            b.extend_from_slice(&s.docs.to_le_bytes());
            b.extend_from_slice(&s.checksum.to_le_bytes());
        }
        b.extend_from_slice(&(self.removed.len() as u32).to_le_bytes());
        for &(s, d) in &self.removed {
            b.extend_from_slice(&s.to_le_bytes());
            b.extend_from_slice(&d.to_le_bytes());
        }
        push_footer(&mut b);
        b
    }

    /// Decodes and checks a manifest read from `path` (checksum included: it is small).
    ///
    /// # Errors
    /// The [`StoreError`] for what is wrong.
    pub fn decode(b: &[u8], path: &Path) -> Result<Manifest> {
        let (body, sum) = check_frame(b, MANIFEST_MAGIC, "manifest", path)?;
        check_sum(b, body, sum, path)?;
        let corrupt = |what: &str| StoreError::Corrupt { path: path.into(), reason: what.into() };
        let mut at = 16;
        let need =
            |at: usize, n: usize| if at + n <= body { Ok(()) } else { Err(corrupt("ends early")) };
        need(at, PARAMS_LEN + 28)?;
        let params = StoreParams::decode(&b[at..at + PARAMS_LEN], path)?;
        at += PARAMS_LEN;
        let (generation, next_segment, next_group) =
            (u64_at(b, at), u64_at(b, at + 8), u64_at(b, at + 16));
        at += 24;
        let n = u32_at(b, at) as usize;
        at += 4;
        let mut segments = Vec::with_capacity(n.min(1 << 16));
        for _ in 0..n {
            need(at, 2)?;
            let len = u16::from_le_bytes([b[at], b[at + 1]]) as usize;
            at += 2;
            need(at, len + 16)?;
            let name = std::str::from_utf8(&b[at..at + len])
                .map_err(|_| corrupt("segment name"))?
                .to_owned();
            if name.contains('/') || name.starts_with('.') {
                return Err(corrupt("segment name").into());
            }
            at += len;
            segments.push(SegmentEntry { name, docs: u64_at(b, at), checksum: u64_at(b, at + 8) });
            at += 16;
        }
        need(at, 4)?;
        let r = u32_at(b, at) as usize;
        at += 4;
        need(at, r * 8)?;
        let removed = (0..r).map(|i| (u32_at(b, at + 8 * i), u32_at(b, at + 8 * i + 4))).collect();
        Ok(Manifest { params, generation, next_segment, next_group, segments, removed })
    }

    /// Commits this manifest into `dir` atomically and durably.
    ///
    /// # Errors
    /// [`crate::Error::Io`].
    pub fn commit(&self, dir: &Path) -> Result<()> {
        write_atomically(&dir.join("MANIFEST"), &self.encode())
    }
}
