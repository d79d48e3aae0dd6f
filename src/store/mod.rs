//! The signature store: an embedded, crash-safe, incremental index of fingerprints.
//!
//! A store is a directory:
//!
//! ```text
//! MANIFEST          the committed state (format in [`manifest`])
//! seg-000001.nds    immutable segments (format in [`segment`])
//! LOCK              held (flock) by the one writer
//! ```
//!
//! The design follows LevelDB and tantivy: segments are written once, under a temporary name,
//! fsynced and renamed; a commit then replaces the manifest the same way and fsyncs the
//! directory. A killed writer leaves the previous manifest, and its unfinished files are
//! removed by the next writer. Readers map the segments named by the manifest they read and
//! never see a partial commit. Any number of readers may run beside the one writer.
//!
//! Every file carries a magic number, its format version and the oldest version that reads it,
//! the full [`StoreParams`] block and an XXH3-64 checksum. Opening checks all but the segment
//! checksums (so that opening stays cheap); [`verify_dir`] checks everything and names each
//! damaged file.

pub mod format;
pub mod manifest;
pub mod segment;
pub mod stories;

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use ahash::{AHashMap, AHashSet};

pub use format::{StoreParams, FORMAT_VERSION, OLDEST_SUPPORTED_FORMAT_VERSION};
pub use manifest::{Manifest, SegmentEntry};
pub use segment::{NewDoc, Segment};

use crate::dedup::DocFingerprint;
use crate::error::{Error, Result, StoreError};
use crate::lsh::anchors::AnchorParams;
use crate::lsh::band_key;
use crate::verify::{self, Evidence, Thresholds};

/// A stored document that matches a query.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StoredMatch {
    /// Segment index (in manifest order).
    pub segment: u32,
    /// Document number in the segment.
    pub doc: u32,
    /// The evidence.
    pub evidence: Evidence,
}

/// A read-only view of the last committed state.
#[derive(Debug)]
pub struct SignatureStore {
    dir: PathBuf,
    manifest: Manifest,
    segments: Vec<Segment>,
    removed: AHashSet<(u32, u32)>,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io { path: path.into(), source }
}

fn read_manifest(dir: &Path) -> Result<Manifest> {
    let path = dir.join("MANIFEST");
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(StoreError::NotAStore { path: dir.into() }.into())
        }
        Err(e) => return Err(Error::Io { path, source: e }),
    };
    Manifest::decode(&bytes, &path)
}

impl SignatureStore {
    /// Opens the store in `dir` at its last commit.
    ///
    /// # Errors
    /// [`StoreError::NotAStore`], or the [`StoreError`] of the first damaged file.
    pub fn open(dir: &Path) -> Result<SignatureStore> {
        let manifest = read_manifest(dir)?;
        let mut segments = Vec::with_capacity(manifest.segments.len());
        for e in &manifest.segments {
            let path = dir.join(&e.name);
            let seg = Segment::open(&path)?;
            if seg.len() as u64 != e.docs || seg.checksum() != e.checksum {
                return Err(StoreError::Corrupt {
                    path,
                    reason: "does not match the manifest".into(),
                }
                .into());
            }
            manifest.params.check(seg.params())?;
            segments.push(seg);
        }
        let removed = manifest.removed.iter().copied().collect();
        Ok(SignatureStore { dir: dir.into(), manifest, segments, removed })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The committed manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The store's parameters.
    pub fn params(&self) -> &StoreParams {
        &self.manifest.params
    }

    /// The open segments.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Live (not removed) documents.
    pub fn len(&self) -> usize {
        self.segments.iter().map(Segment::len).sum::<usize>() - self.removed.len()
    }

    /// True when no document is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when document `doc` of segment `seg` was removed.
    pub fn is_removed(&self, seg: u32, doc: u32) -> bool {
        self.removed.contains(&(seg, doc))
    }

    /// Bytes on disk (manifest and segments).
    pub fn disk_bytes(&self) -> u64 {
        let m = std::fs::metadata(self.dir.join("MANIFEST")).map(|m| m.len()).unwrap_or(0);
        m + self.segments.iter().map(|s| s.file_len() as u64).sum::<u64>()
    }

    /// The stored documents that duplicate a fingerprint, best first.
    pub fn query(
        &self,
        fp: &DocFingerprint,
        t: &Thresholds,
        anchors: &AnchorParams,
    ) -> Vec<StoredMatch> {
        let Some(sig) = fp.signature.as_deref() else { return Vec::new() };
        let p = self.params();
        let keys: Vec<u64> =
            (0..p.bands as usize).map(|b| band_key(sig, b, p.rows as usize)).collect();
        let mut out = Vec::new();
        let mut hits = Vec::new();
        let mut stored = Vec::with_capacity(sig.len());
        let mut figures = Vec::new();
        for (si, seg) in self.segments.iter().enumerate() {
            hits.clear();
            for (b, &k) in keys.iter().enumerate() {
                seg.band_hits(b, k, &mut hits);
            }
            let band_docs = hits.len();
            if t.containment <= 1.0 {
                for &a in &fp.anchors {
                    seg.anchor_hits(a, anchors.max_df as usize, &mut hits);
                }
            }
            let mut shared: AHashMap<u32, u32> = AHashMap::new();
            for &d in &hits[band_docs..] {
                *shared.entry(d).or_insert(0) += 1;
            }
            let mut cands: Vec<u32> = hits[..band_docs].to_vec();
            cands.extend(shared.iter().filter(|&(_, &c)| c >= anchors.min_shared).map(|(&d, _)| d));
            cands.sort_unstable();
            cands.dedup();
            for d in cands {
                if d as usize >= seg.len() || self.is_removed(si as u32, d) {
                    continue;
                }
                seg.signature_into(d as usize, &mut stored);
                let s = shared.get(&d).copied().unwrap_or(0);
                seg.figures_into(d as usize, &mut figures);
                let e = verify::estimate(
                    sig,
                    &stored,
                    if s >= anchors.min_shared { s } else { 0 },
                    (fp.anchors.len() as u32, seg.anchor_count(d as usize)),
                    (fp.size, seg.size(d as usize)),
                    (&fp.figures, &figures),
                );
                if e.accepts(t) {
                    out.push(StoredMatch { segment: si as u32, doc: d, evidence: e });
                }
            }
        }
        out.sort_by(|a, b| {
            b.evidence
                .similarity()
                .total_cmp(&a.evidence.similarity())
                .then((a.segment, a.doc).cmp(&(b.segment, b.doc)))
        });
        out
    }

    /// The id (raw JSON) of a stored document.
    pub fn id_json(&self, seg: u32, doc: u32) -> &str {
        self.segments[seg as usize].id_json(doc as usize)
    }

    /// The stable group id of a stored document.
    pub fn group(&self, seg: u32, doc: u32) -> u64 {
        self.segments[seg as usize].group(doc as usize)
    }
}

/// One file's verdict from [`verify_dir`].
#[derive(Debug)]
pub struct FileCheck {
    /// The file.
    pub path: PathBuf,
    /// `None` when intact.
    pub problem: Option<Error>,
}

/// Checks every file of the store in `dir` in full (checksums included), each on its own, so
/// that one damaged segment does not hide the state of the others.
///
/// # Errors
/// Only when the manifest itself cannot be read; its damage is returned as the error.
pub fn verify_dir(dir: &Path) -> Result<Vec<FileCheck>> {
    let manifest = read_manifest(dir)?;
    let mut out = vec![FileCheck { path: dir.join("MANIFEST"), problem: None }];
    for e in &manifest.segments {
        let path = dir.join(&e.name);
        let problem = match Segment::open(&path) {
            Err(err) => Some(err),
            Ok(seg) => match seg.verify() {
                Err(err) => Some(err),
                Ok(()) if seg.checksum() != e.checksum || seg.len() as u64 != e.docs => Some(
                    StoreError::Corrupt {
                        path: path.clone(),
                        reason: "does not match the manifest".into(),
                    }
                    .into(),
                ),
                Ok(()) => manifest.params.check(seg.params()).err(),
            },
        };
        out.push(FileCheck { path, problem });
    }
    Ok(out)
}

/// Creates `dir` if needed and takes its writer lock (an flock on `dir/LOCK`, held until the
/// returned file is dropped or the process dies).
///
/// # Errors
/// [`StoreError::Locked`] when another process holds it; I/O errors.
pub fn lock_dir(dir: &Path) -> Result<File> {
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let lock_path = dir.join("LOCK");
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(io_err(&lock_path))?;
    match lock.try_lock() {
        Ok(()) => Ok(lock),
        Err(std::fs::TryLockError::WouldBlock) => {
            Err(StoreError::Locked { path: lock_path }.into())
        }
        Err(std::fs::TryLockError::Error(e)) => Err(Error::Io { path: lock_path, source: e }),
    }
}

/// The one writer of a store. Holds the store's lock until dropped.
#[derive(Debug)]
pub struct StoreWriter {
    _lock: File,
    store: SignatureStore,
}

impl StoreWriter {
    /// Opens the store in `dir` for writing, creating it with `params` when `dir` holds none.
    /// When it exists, `params` must agree with the store's (see [`StoreParams::check`]) unless
    /// `params` is `None`.
    ///
    /// # Errors
    /// [`StoreError::Locked`] when another process writes; [`StoreError::NotAStore`] when the
    /// store does not exist and `params` is `None`; a parameter mismatch; I/O errors.
    pub fn open(dir: &Path, params: Option<&StoreParams>) -> Result<StoreWriter> {
        let lock = lock_dir(dir)?;
        // The lock is an flock: it dies with its process, so a lock file left by a killed
        // writer is stale by construction and taking it above succeeds.
        if !dir.join("MANIFEST").exists() {
            match params {
                Some(p) => Manifest::new(*p).commit(dir)?,
                None => return Err(StoreError::NotAStore { path: dir.into() }.into()),
            }
        }
        let store = SignatureStore::open(dir)?;
        if let Some(p) = params {
            store.params().check(p)?;
        }
        let w = StoreWriter { _lock: lock, store };
        w.remove_orphans();
        Ok(w)
    }

    /// Files a killed writer left behind: temporary files and segments no manifest names.
    fn remove_orphans(&self) {
        let live: AHashSet<&str> =
            self.store.manifest.segments.iter().map(|s| s.name.as_str()).collect();
        if let Ok(entries) = std::fs::read_dir(&self.store.dir) {
            for e in entries.flatten() {
                let name = e.file_name();
                let name = name.to_string_lossy();
                let orphan = name.ends_with(".tmp")
                    || (name.starts_with("seg-")
                        && name.ends_with(".nds")
                        && !live.contains(&*name));
                if orphan {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }

    /// The committed state this writer builds on.
    pub fn store(&self) -> &SignatureStore {
        &self.store
    }

    /// Reserves `n` new group ids and returns the first. They are committed with the next
    /// [`StoreWriter::add`].
    pub fn reserve_groups(&mut self, n: u64) -> u64 {
        let first = self.store.manifest.next_group;
        self.store.manifest.next_group += n;
        first
    }

    fn commit(&mut self, manifest: Manifest) -> Result<()> {
        manifest.commit(&self.store.dir)?;
        self.store = SignatureStore::open(&self.store.dir)?;
        Ok(())
    }

    /// Writes `docs` as a new segment and commits it. When this returns, the documents are
    /// durable.
    ///
    /// # Errors
    /// I/O errors; the store then stays at its previous commit.
    pub fn add(&mut self, docs: &[NewDoc]) -> Result<()> {
        let mut m = self.store.manifest.clone();
        m.generation += 1;
        if !docs.is_empty() {
            let name = format!("seg-{:06}.nds", m.next_segment);
            let checksum = Segment::write(&self.store.dir.join(&name), &m.params, docs)?;
            m.next_segment += 1;
            m.segments.push(SegmentEntry { name, docs: docs.len() as u64, checksum });
        }
        self.commit(m)
    }

    /// Marks the documents with these ids (raw JSON, as stored) removed. Returns how many.
    ///
    /// # Errors
    /// I/O errors.
    pub fn remove(&mut self, ids: &[String]) -> Result<usize> {
        let wanted: AHashSet<&str> = ids.iter().map(String::as_str).collect();
        let mut m = self.store.manifest.clone();
        let mut n = 0;
        for (si, seg) in self.store.segments.iter().enumerate() {
            for d in 0..seg.len() {
                let key = (si as u32, d as u32);
                if wanted.contains(seg.id_json(d)) && !self.store.removed.contains(&key) {
                    m.removed.push(key);
                    n += 1;
                }
            }
        }
        m.removed.sort_unstable();
        m.generation += 1;
        self.commit(m)?;
        Ok(n)
    }

    /// Merges all segments into one, dropping removed documents, and deletes the old files.
    ///
    /// # Errors
    /// I/O errors; the store then stays at its previous commit.
    pub fn compact(&mut self) -> Result<()> {
        let mut docs = Vec::with_capacity(self.store.len());
        for (si, seg) in self.store.segments.iter().enumerate() {
            let mut anchors: Vec<Vec<u32>> = vec![Vec::new(); seg.len()];
            seg.for_each_anchor(|a, d| {
                if let Some(v) = anchors.get_mut(d as usize) {
                    v.push(a);
                }
            });
            for (d, anchors) in anchors.into_iter().enumerate() {
                if self.store.is_removed(si as u32, d as u32) {
                    continue;
                }
                let mut sig = Vec::new();
                seg.signature_into(d, &mut sig);
                let mut figures = Vec::new();
                seg.figures_into(d, &mut figures);
                let date = seg.date(d);
                docs.push(NewDoc {
                    id_json: seg.id_json(d).to_owned(),
                    date: (!date.is_empty()).then(|| date.to_owned()),
                    text_len: seg.text_len(d),
                    group: seg.group(d),
                    fp: DocFingerprint {
                        signature: Some(sig),
                        anchors,
                        size: seg.size(d),
                        figures,
                    },
                });
            }
        }
        let old: Vec<PathBuf> =
            self.store.segments.iter().map(|s| s.path().to_path_buf()).collect();
        let mut m = self.store.manifest.clone();
        m.generation += 1;
        m.segments.clear();
        m.removed.clear();
        if !docs.is_empty() {
            let name = format!("seg-{:06}.nds", m.next_segment);
            let checksum = Segment::write(&self.store.dir.join(&name), &m.params, &docs)?;
            m.next_segment += 1;
            m.segments.push(SegmentEntry { name, docs: docs.len() as u64, checksum });
        }
        self.commit(m)?;
        for p in old {
            let _ = std::fs::remove_file(p);
        }
        Ok(())
    }
}
