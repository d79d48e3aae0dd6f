//! The shard reader: each worker reads only its share of the input, and records keep their
//! global ordinals, so that every number, group and output is the single machine's.
//!
//! ```text
//! sources laid end to end (bytes) ─► cut into `peers` equal ranges ─► pieces
//!   many sources (at least one per worker), compressed or whole-text ones: whole files,
//!     each to the worker whose range holds its first byte
//!   fewer sources than workers: byte ranges of a file, cut at line ends (a line belongs to
//!     the piece that holds its first byte)
//! count pass (own pieces: records, lines) ─► shared ─► each piece's first ordinal and line
//! ```
//!
//! A worker's pieces are adjacent in the corpus, so its ordinals are one range and the parts
//! it writes, taken in worker order, are the single machine's output. Whole sources are read
//! through the corpus API ([`Corpus::for_each_batch`] on a corpus of that source alone);
//! byte ranges of a line source are split here the way the corpus splits lines (byte order
//! mark on a source's first line skipped, blank JSONL lines not records, a line over the size
//! limit kept as an error record).

use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::Path;

use crate::error::{Error, Result};
use crate::input::{Corpus, Format, RawRecord, RecordAt, RecordBytes};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A worker's share of one source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Piece {
    /// The source's index in the corpus.
    pub source: u32,
    /// First byte (a line belongs to the piece holding its first byte).
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
    /// The whole source, read through the corpus API.
    pub whole: bool,
    /// The worker that reads it.
    pub worker: usize,
}

/// How the corpus is divided among the workers, in corpus order.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Every piece, in corpus order.
    pub pieces: Vec<Piece>,
}

/// What the count pass found in one piece.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct PieceCount {
    /// Records (every one, valid or not).
    pub records: u64,
    /// Lines (for line numbers in messages).
    pub lines: u64,
}

impl Plan {
    /// Divides `corpus` among `peers` workers (see the module docs).
    ///
    /// # Errors
    /// [`Error::Io`] when a source cannot be opened or measured.
    pub fn new(corpus: &Corpus, peers: usize) -> Result<Plan> {
        let peers = peers.max(1);
        let files = corpus.open_files()?;
        let mut sizes = Vec::with_capacity(files.len());
        for (i, f) in files.iter().enumerate() {
            let len = f.metadata().map_err(|source| Error::Io {
                path: corpus.source_name(i as u32).to_path_buf(),
                source,
            })?;
            sizes.push(len.len());
        }
        let total: u64 = sizes.iter().sum::<u64>().max(1);
        let bound = |w: usize| (total as u128 * w as u128 / peers as u128) as u64;
        let worker_at = |byte: u64| {
            // The last worker whose range starts at or before `byte`.
            (0..peers).rev().find(|&w| bound(w) <= byte).unwrap_or(0)
        };
        let split = files.len() < peers && corpus.seekable();
        let mut pieces = Vec::new();
        let mut base = 0u64;
        for (i, &len) in sizes.iter().enumerate() {
            let source = i as u32;
            let splittable = split && corpus.source_format(source) != Format::Text;
            if !splittable || len == 0 {
                pieces.push(Piece {
                    source,
                    start: 0,
                    end: len,
                    whole: true,
                    worker: worker_at(base),
                });
            } else {
                for w in 0..peers {
                    let (lo, hi) = (bound(w).max(base), bound(w + 1).min(base + len));
                    let hi = if w + 1 == peers { base + len } else { hi };
                    if lo < hi {
                        pieces.push(Piece {
                            source,
                            start: lo - base,
                            end: hi - base,
                            whole: false,
                            worker: w,
                        });
                    }
                }
            }
            base += len;
        }
        Ok(Plan { pieces })
    }

    /// The indices of `worker`'s pieces.
    pub fn of(&self, worker: usize) -> Vec<usize> {
        (0..self.pieces.len()).filter(|&i| self.pieces[i].worker == worker).collect()
    }
}

/// Each piece's first ordinal and first line, from every piece's count.
#[derive(Clone, Debug, Default)]
pub struct Offsets {
    /// First ordinal of each piece.
    pub first: Vec<u64>,
    /// Lines before each piece in its source.
    pub lines_before: Vec<u64>,
    /// Records in each piece.
    pub records: Vec<u64>,
    /// The worker of each piece.
    pub worker: Vec<usize>,
}

impl Offsets {
    /// From the plan and every piece's count (indexed like `plan.pieces`).
    pub fn new(plan: &Plan, counts: &[PieceCount]) -> Offsets {
        let mut o = Offsets::default();
        let (mut ordinal, mut line, mut source) = (0u64, 0u64, u32::MAX);
        for (p, c) in plan.pieces.iter().zip(counts) {
            if p.source != source {
                (line, source) = (0, p.source);
            }
            o.first.push(ordinal);
            o.lines_before.push(line);
            o.records.push(c.records);
            o.worker.push(p.worker);
            ordinal += c.records;
            line += c.lines;
        }
        o
    }

    /// Every record.
    pub fn total(&self) -> u64 {
        self.records.iter().sum()
    }

    /// The worker that holds record `ordinal`.
    pub fn owner(&self, ordinal: u64) -> usize {
        // The last piece that starts at or before it: an empty piece shares its first ordinal
        // with the next one, so the last such piece is the one that holds the record.
        let i = self.first.partition_point(|&f| f <= ordinal).saturating_sub(1);
        self.worker.get(i).copied().unwrap_or(0)
    }
}

/// Reads the line-split bytes of a byte range, as the corpus would.
struct RangeLines {
    reader: BufReader<File>,
    pos: u64,
    end: u64,
    buf: Vec<u8>,
}

impl RangeLines {
    fn open(path: &Path, start: u64, end: u64) -> Result<RangeLines> {
        let io = |source| Error::Io { path: path.to_path_buf(), source };
        let mut file = File::open(path).map_err(io)?;
        let from = start.saturating_sub(1);
        file.seek(SeekFrom::Start(from)).map_err(io)?;
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut pos = from;
        if start > 0 {
            // The line that holds byte start - 1 belongs to the piece before.
            let mut skip = Vec::new();
            pos += reader.read_until(b'\n', &mut skip).map_err(io)? as u64;
        }
        Ok(RangeLines { reader, pos, end, buf: Vec::new() })
    }

    /// The next line starting in the range: its offset and bytes without the `\n`.
    fn next(&mut self, path: &Path) -> Result<Option<(u64, &[u8])>> {
        if self.pos >= self.end {
            return Ok(None);
        }
        self.buf.clear();
        let n = self
            .reader
            .read_until(b'\n', &mut self.buf)
            .map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
        if n == 0 {
            return Ok(None);
        }
        let at = self.pos;
        self.pos += n as u64;
        if self.buf.last() == Some(&b'\n') {
            self.buf.pop();
        }
        Ok(Some((at, &self.buf)))
    }
}

fn is_blank(b: &[u8]) -> bool {
    b.iter().all(u8::is_ascii_whitespace)
}

/// A corpus of one source alone, for whole-source pieces.
fn sub_corpus(corpus: &Corpus, source: u32) -> Result<Corpus> {
    Corpus::open(&[corpus.source_name(source).to_path_buf()], corpus.options().clone())
}

/// The count pass over one piece.
///
/// # Errors
/// [`Error::Io`] on read errors.
pub fn count_piece(corpus: &Corpus, piece: &Piece) -> Result<PieceCount> {
    let mut c = PieceCount::default();
    if piece.whole {
        let sub = sub_corpus(corpus, piece.source)?;
        sub.for_each_batch(4096, 32 << 20, |b| {
            c.records += b.len() as u64;
            c.lines = b.last().map_or(c.lines, |r| r.line);
            Ok(())
        })?;
        return Ok(c);
    }
    let path = corpus.source_name(piece.source);
    let jsonl = corpus.source_format(piece.source) == Format::Jsonl;
    let mut lines = RangeLines::open(path, piece.start, piece.end)?;
    while let Some((at, bytes)) = lines.next(path)? {
        c.lines += 1;
        let bytes = if at == 0 { bytes.strip_prefix(BOM).unwrap_or(bytes) } else { bytes };
        if !(jsonl && is_blank(bytes)) {
            c.records += 1;
        }
    }
    Ok(c)
}

/// Reads the records of the pieces `mine` (indices into `plan.pieces`, in order) with their
/// global ordinals and line numbers, handing them to `f` in batches of up to `batch_docs`
/// records or about `batch_bytes` bytes.
///
/// # Errors
/// [`Error::Io`] on read errors, or whatever `f` returns.
pub fn read_pieces<F>(
    corpus: &Corpus,
    plan: &Plan,
    offsets: &Offsets,
    mine: &[usize],
    batch_docs: usize,
    batch_bytes: usize,
    mut f: F,
) -> Result<()>
where
    F: FnMut(&[RawRecord]) -> Result<()>,
{
    let cap = corpus.options().max_doc_bytes;
    for &i in mine {
        let piece = &plan.pieces[i];
        let first = offsets.first[i];
        if piece.whole {
            let sub = sub_corpus(corpus, piece.source)?;
            sub.for_each_batch(batch_docs, batch_bytes, |batch| {
                let moved: Vec<RawRecord> = batch
                    .iter()
                    .map(|r| RawRecord {
                        ordinal: r.ordinal + first,
                        source: piece.source,
                        ..r.clone()
                    })
                    .collect();
                f(&moved)
            })?;
            continue;
        }
        let path = corpus.source_name(piece.source);
        let jsonl = corpus.source_format(piece.source) == Format::Jsonl;
        let mut lines = RangeLines::open(path, piece.start, piece.end)?;
        let (mut ordinal, mut line) = (first, offsets.lines_before[i]);
        let mut batch: Vec<RawRecord> = Vec::new();
        let mut bytes_in = 0usize;
        while let Some((at, bytes)) = lines.next(path)? {
            line += 1;
            let (offset, bytes) = match bytes.strip_prefix(BOM) {
                Some(rest) if at == 0 => (BOM.len() as u64, rest),
                _ => (at, bytes),
            };
            if jsonl && is_blank(bytes) {
                continue;
            }
            let total = bytes.len();
            let kept = &bytes[..total.min(cap.saturating_add(1))];
            bytes_in += kept.len();
            batch.push(RawRecord {
                ordinal,
                source: piece.source,
                line,
                offset,
                bytes: RecordBytes::from_vec(kept.to_vec()),
                too_long: (total > cap).then_some(total),
            });
            ordinal += 1;
            if batch.len() >= batch_docs || bytes_in >= batch_bytes {
                f(&batch)?;
                batch.clear();
                bytes_in = 0;
            }
        }
        if !batch.is_empty() {
            f(&batch)?;
        }
    }
    Ok(())
}

/// Reads again the records `wanted` (sorted ordinals of this worker's pieces), by offset where
/// the corpus allows (`at`, indexed by `ordinal - at_base`), else by reading the pieces again.
///
/// # Errors
/// [`Error::Io`] on read errors or when a record is no longer where it was.
// The share (plan, offsets, pieces, record places) travels as parts: each caller holds them
// apart, and bundling them only for this call would copy the offsets.
#[allow(clippy::too_many_arguments)]
pub fn read_selected<F>(
    corpus: &Corpus,
    plan: &Plan,
    offsets: &Offsets,
    mine: &[usize],
    at: &[Option<RecordAt>],
    at_base: u64,
    wanted: &[u64],
    mut f: F,
) -> Result<()>
where
    F: FnMut(&[RawRecord]) -> Result<()>,
{
    let located: Option<Vec<RecordAt>> = wanted
        .iter()
        .map(|&d| d.checked_sub(at_base).and_then(|i| at.get(i as usize).copied().flatten()))
        .collect();
    if let (true, Some(located)) = (corpus.seekable(), located) {
        let files = corpus.open_files()?;
        for (ords, locs) in wanted.chunks(1024).zip(located.chunks(1024)) {
            let raws = ords
                .iter()
                .zip(locs)
                .map(|(&d, loc)| corpus.read_at(&files, d, loc))
                .collect::<Result<Vec<RawRecord>>>()?;
            f(&raws)?;
        }
        return Ok(());
    }
    let mut next = 0usize;
    read_pieces(corpus, plan, offsets, mine, 1024, 32 << 20, |batch| {
        let mut picked = Vec::new();
        for r in batch {
            while next < wanted.len() && wanted[next] < r.ordinal {
                next += 1;
            }
            if next < wanted.len() && wanted[next] == r.ordinal {
                picked.push(r.clone());
            }
        }
        if picked.is_empty() {
            Ok(())
        } else {
            f(&picked)
        }
    })
}

/// Writes the records of this worker's pieces for which `keep(ordinal)` holds to `path`
/// through a temporary file renamed into place, byte for byte as the single machine writes
/// them (lines get their `\n` back). Returns the number written and the bytes.
///
/// # Errors
/// [`Error::Io`] on read or write errors.
pub fn write_kept(
    corpus: &Corpus,
    plan: &Plan,
    offsets: &Offsets,
    mine: &[usize],
    path: &Path,
    keep: impl Fn(u64) -> bool,
) -> Result<(u64, u64)> {
    use std::io::Write;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| Error::Io { path: p, source }
    };
    let file = File::create(&tmp).map_err(io(&tmp))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let (mut n, mut bytes) = (0u64, 0u64);
    read_pieces(corpus, plan, offsets, mine, 1024, 32 << 20, |batch| {
        for r in batch.iter().filter(|r| keep(r.ordinal)) {
            out.write_all(&r.bytes).map_err(io(&tmp))?;
            bytes += r.bytes.len() as u64;
            if corpus.source_format(r.source) != Format::Text {
                out.write_all(b"\n").map_err(io(&tmp))?;
                bytes += 1;
            }
            n += 1;
        }
        Ok(())
    })?;
    out.flush().map_err(io(&tmp))?;
    drop(out);
    std::fs::rename(&tmp, path).map_err(io(path))?;
    Ok((n, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::ReadOptions;

    fn records(c: &Corpus) -> Vec<(u64, u32, u64, u64, Vec<u8>)> {
        let mut out = Vec::new();
        c.for_each_batch(3, 1 << 20, |b| {
            out.extend(b.iter().map(|r| (r.ordinal, r.source, r.line, r.offset, r.bytes.to_vec())));
            Ok(())
        })
        .unwrap();
        out
    }

    /// Every division of a corpus reads every record once, with the ordinal, line and offset
    /// the whole-corpus read gives it.
    #[test]
    fn pieces_read_the_corpus_once_with_global_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.jsonl");
        let b = dir.path().join("b.jsonl");
        let mut text = String::from("\u{feff}");
        for i in 0..40 {
            text.push_str(&format!("{{\"text\":\"record {i} {}\"}}\n", "x".repeat(i % 7)));
            if i % 9 == 0 {
                text.push_str("\n  \n");
            }
        }
        std::fs::write(&a, &text).unwrap();
        std::fs::write(&b, "{\"text\":\"last\"}\r\n{\"text\":\"no newline\"}").unwrap();
        for inputs in [vec![a.clone()], vec![a.clone(), b.clone()]] {
            let c = Corpus::open(&inputs, ReadOptions::default()).unwrap();
            let want = records(&c);
            for peers in [1, 2, 3, 5, 16] {
                let plan = Plan::new(&c, peers).unwrap();
                let counts: Vec<PieceCount> =
                    plan.pieces.iter().map(|p| count_piece(&c, p).unwrap()).collect();
                let offsets = Offsets::new(&plan, &counts);
                assert_eq!(offsets.total(), want.len() as u64);
                let mut got = Vec::new();
                for w in 0..peers {
                    let mine = plan.of(w);
                    read_pieces(&c, &plan, &offsets, &mine, 4, 1 << 20, |batch| {
                        for r in batch {
                            assert_eq!(offsets.owner(r.ordinal), w, "{peers} peers");
                        }
                        got.extend(
                            batch
                                .iter()
                                .map(|r| (r.ordinal, r.source, r.line, r.offset, r.bytes.to_vec())),
                        );
                        Ok(())
                    })
                    .unwrap();
                }
                assert_eq!(got, want, "{} inputs, {peers} peers", inputs.len());
            }
        }
    }
}
