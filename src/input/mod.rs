//! Reading feeds: JSON lines, plain-text lines or whole text files, gzip- or zstd-compressed or
//! not, and Parquet files (the `parquet` feature: each row is read as a JSON object), from files,
//! folders of them or stdin.
//!
//! A source's kind is told by its content: gzip, zstd and Parquet by their magic bytes, the
//! format of the (decompressed) lines by the file's extension, else by its first byte (`{`:
//! JSONL). Bytes of no known kind (a NUL, or a tenth of them control bytes or invalid UTF-8, in
//! the first 8 KiB) are [`Error::NotAFeed`] unless `--format` says what they are. A folder stands
//! for the feed files under it (by extension, see [`is_feed_name`]) in sorted path order.
//!
//! A [`Corpus`] can be read any number of times (stdin is spooled to a temporary file on open),
//! which lets the pipeline make a counting pass, a fingerprinting pass and an output pass
//! without holding texts in memory. Every record keeps its raw bytes so the output can repeat
//! it byte for byte.

pub mod date;
mod lines;
#[cfg(feature = "parquet")]
mod parquet;
mod record;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;

use crate::error::{Error, Result};
pub use date::parse_timestamp;
use lines::LineBlocks;
pub use lines::RecordBytes;
pub use record::{Doc, Fields};

/// Ids that repeat an earlier record's id, tallied while a feed is read: outputs name records
/// by id, so a repeated id makes them ambiguous. Ids are kept as 64-bit hashes (8 bytes each).
#[derive(Debug, Default)]
pub struct RepeatedIds {
    seen: ahash::AHashSet<u64>,
    count: u64,
    first: Option<(String, u32, u64)>,
}

impl RepeatedIds {
    /// Notes the id (as JSON) of the record at `line` of source `source`.
    pub fn see(&mut self, id_json: &str, source: u32, line: u64) {
        if !self.seen.insert(xxhash_rust::xxh3::xxh3_64(id_json.as_bytes())) {
            self.count += 1;
            if self.first.is_none() {
                self.first = Some((id_json.to_owned(), source, line));
            }
        }
    }

    /// How many records repeated an earlier id.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The first record that repeated an id: its id (as JSON), source index and line.
    pub fn first(&self) -> Option<(&str, u32, u64)> {
        self.first.as_ref().map(|(id, s, l)| (id.as_str(), *s, *l))
    }
}

/// The UTF-8 byte order mark, skipped at the start of a source.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// How a source is split into documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line.
    Jsonl,
    /// One plain-text document per line.
    Lines,
    /// The whole file is one document.
    Text,
    /// A Parquet file: each row is one document, read as a JSON object of its columns.
    Parquet,
}

impl Format {
    /// Parses `jsonl`, `lines` or `text`.
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "jsonl" | "json" | "ndjson" => Some(Format::Jsonl),
            "lines" => Some(Format::Lines),
            "text" | "txt" => Some(Format::Text),
            "parquet" | "pq" => Some(Format::Parquet),
            _ => None,
        }
    }

    /// The format implied by a file name (`.jsonl`, `.ndjson`, `.json`, `.txt`, `.lines`,
    /// `.parquet`, each optionally followed by `.gz`, `.zst` or `.zstd`); text for anything else.
    pub fn from_path(path: &Path) -> Format {
        Format::known_from_path(path).unwrap_or(Format::Text)
    }

    /// The format a file name names, if it names one (see [`Format::from_path`]).
    pub fn known_from_path(path: &Path) -> Option<Format> {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let name =
            [".gz", ".zst", ".zstd"].iter().find_map(|c| name.strip_suffix(c)).unwrap_or(name);
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
        match ext.as_str() {
            "lines" => Some(Format::Lines),
            _ => Format::parse(&ext),
        }
    }
}

/// True for the file names a folder is read for: a name [`Format::known_from_path`] knows, not
/// hidden (no leading `.`).
pub fn is_feed_name(path: &Path) -> bool {
    let hidden = path.file_name().and_then(|n| n.to_str()).is_none_or(|n| n.starts_with('.'));
    !hidden && Format::known_from_path(path).is_some()
}

/// How a source's bytes are stored, told by its magic bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Plain,
    Gzip,
    Zstd,
    Parquet,
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
const PARQUET_MAGIC: &[u8] = b"PAR1";
/// Bytes looked at to tell a feed from binary data.
const SNIFF_BYTES: u64 = 8 << 10;

/// Options for reading.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// Forced format; `None` infers it per file (stdin: JSONL when it starts with `{`).
    pub format: Option<Format>,
    /// Field names for JSONL.
    pub fields: Fields,
    /// Records larger than this are errors (or skipped).
    pub max_doc_bytes: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions { format: None, fields: Fields::default(), max_doc_bytes: 64 << 20 }
    }
}

/// One source of a corpus.
#[derive(Debug)]
struct Source {
    /// The name shown in messages and ids (`-` for stdin).
    display: PathBuf,
    /// Where to read it from.
    path: PathBuf,
    format: Format,
    kind: Kind,
    /// Neither compressed nor Parquet: a record can be read again at its byte offset.
    seekable: bool,
    _spool: Option<tempfile::TempPath>,
}

impl Source {
    fn new(
        display: PathBuf,
        path: PathBuf,
        kind: Kind,
        format: Format,
        spool: Option<tempfile::TempPath>,
    ) -> Result<Source> {
        if kind == Kind::Parquet {
            #[cfg(feature = "parquet")]
            parquet::ParquetSource::open(&path, &display)?;
            #[cfg(not(feature = "parquet"))]
            return Err(Error::NotBuilt { path: display, what: "Parquet", feature: "parquet" });
        }
        let seekable = kind == Kind::Plain;
        Ok(Source { display, path, format, kind, seekable, _spool: spool })
    }
}

/// A record as read, before parsing.
#[derive(Debug, Clone)]
pub struct RawRecord {
    /// Position in the corpus, counting every record (valid or not) from 0.
    pub ordinal: u64,
    /// Index of the source.
    pub source: u32,
    /// 1-based line number (1 for text files).
    pub line: u64,
    /// Byte offset of the record in its source (after a byte order mark).
    pub offset: u64,
    /// The record's bytes without the line terminator (truncated when too long).
    pub bytes: RecordBytes,
    /// The full length when the record was longer than the limit.
    pub too_long: Option<usize>,
}

/// Where a record lies in its source: enough to read it again with [`Corpus::read_at`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordAt {
    /// Byte offset in the source.
    pub offset: u64,
    /// 1-based line number.
    pub line: u64,
    /// Length in bytes, without the line terminator.
    pub len: u32,
    /// Index of the source.
    pub source: u32,
}

impl RawRecord {
    /// Where this record lies, or `None` for a record over the size limit (never read again).
    pub fn at(&self) -> Option<RecordAt> {
        if self.too_long.is_some() {
            return None;
        }
        Some(RecordAt {
            offset: self.offset,
            line: self.line,
            len: u32::try_from(self.bytes.len()).ok()?,
            source: self.source,
        })
    }
}

/// A set of input sources, readable any number of times.
#[derive(Debug)]
pub struct Corpus {
    sources: Vec<Source>,
    opts: ReadOptions,
    /// Bytes of the sources (as stored: compressed bytes for compressed ones) read by the
    /// latest [`Corpus::for_each_batch`] pass so far.
    read: Arc<AtomicU64>,
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::Io { path: path.to_path_buf(), source }
}

/// Opens a file, transparently decompressing gzip (detected by its magic bytes).
/// Fills `buf` from `file` at `offset` (positioned reads, so threads can share the file),
/// returning how many bytes there were: fewer only at the end of the file.
fn read_full_at(file: &File, display: &Path, offset: u64, buf: &mut [u8]) -> Result<usize> {
    use std::os::unix::fs::FileExt;
    let mut got = 0;
    while got < buf.len() {
        match file.read_at(&mut buf[got..], offset + got as u64) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_err(display)(e)),
        }
    }
    Ok(got)
}

/// A reader that adds the bytes it reads to a counter (for progress).
struct Counting<R> {
    inner: R,
    counter: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The kind of the file at `path`, by its first bytes.
fn sniff_kind(path: &Path, display: &Path) -> Result<Kind> {
    let mut magic = [0u8; 4];
    let mut f = File::open(path).map_err(io_err(display))?;
    let mut got = 0;
    while got < magic.len() {
        match f.read(&mut magic[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_err(display)(e)),
        }
    }
    let magic = &magic[..got];
    Ok(if magic.starts_with(GZIP_MAGIC) {
        Kind::Gzip
    } else if magic.starts_with(ZSTD_MAGIC) {
        Kind::Zstd
    } else if magic.starts_with(PARQUET_MAGIC) {
        Kind::Parquet
    } else {
        Kind::Plain
    })
}

/// Opens a file of `kind` (not Parquet) as a stream of its decompressed bytes, counting the
/// file's bytes in `counter`.
fn open_stream(
    path: &Path,
    display: &Path,
    kind: Kind,
    counter: Option<&Arc<AtomicU64>>,
) -> Result<Box<dyn BufRead + Send>> {
    let file = File::open(path).map_err(io_err(display))?;
    let counter = counter.cloned().unwrap_or_default();
    let file = BufReader::with_capacity(1 << 20, Counting { inner: file, counter });
    Ok(match kind {
        Kind::Gzip => Box::new(BufReader::with_capacity(1 << 20, MultiGzDecoder::new(file))),
        Kind::Zstd => Box::new(BufReader::with_capacity(
            1 << 20,
            zstd::stream::read::Decoder::with_buffer(file).map_err(io_err(display))?,
        )),
        Kind::Plain | Kind::Parquet => Box::new(file),
    })
}

/// True when `head` (a source's first bytes, decompressed) is not text: it holds a NUL, or
/// more than a tenth of it is control bytes (other than tab, line ends, form feed and escape)
/// or invalid UTF-8. A character cut at the end of `head` is not counted.
fn looks_binary(head: &[u8]) -> bool {
    if head.contains(&0) {
        return true;
    }
    let controls = head
        .iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b)) || b == 0x7f)
        .count();
    let mut invalid = 0;
    let mut rest = head;
    while let Err(e) = std::str::from_utf8(rest) {
        let Some(n) = e.error_len() else { break };
        invalid += n;
        rest = &rest[e.valid_up_to() + n..];
    }
    (controls + invalid) * 10 > head.len()
}

/// The feed files under folder `dir`, recursively, in sorted path order.
fn folder_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries = Vec::new();
    for e in std::fs::read_dir(dir).map_err(io_err(dir))? {
        let e = e.map_err(io_err(dir))?;
        entries.push(e.path());
    }
    entries.sort();
    for p in entries {
        if p.is_dir() {
            folder_files(&p, out)?;
        } else if is_feed_name(&p) {
            out.push(p);
        }
    }
    Ok(())
}

/// What a source is: its kind by its magic bytes, then its format (forced, by its name, or by
/// its first byte), refusing binary data of no known kind unless the format is forced.
fn classify(
    path: &Path,
    display: &Path,
    named: Option<Format>,
    forced: Option<Format>,
) -> Result<(Kind, Format)> {
    let kind = sniff_kind(path, display)?;
    if kind == Kind::Parquet {
        return Ok((kind, Format::Parquet));
    }
    if forced == Some(Format::Parquet) || named == Some(Format::Parquet) {
        return Err(Error::NotAFeed { path: display.to_path_buf() });
    }
    if let Some(f) = forced {
        return Ok((kind, f));
    }
    let mut head = Vec::new();
    open_stream(path, display, kind, None)?
        .take(SNIFF_BYTES)
        .read_to_end(&mut head)
        .map_err(io_err(display))?;
    if looks_binary(&head) {
        return Err(Error::NotAFeed { path: display.to_path_buf() });
    }
    let format = named.unwrap_or_else(|| {
        let first = head.iter().find(|b| !b.is_ascii_whitespace());
        if first == Some(&b'{') || head.starts_with(b"\xEF\xBB\xBF{") {
            Format::Jsonl
        } else {
            Format::Text
        }
    });
    Ok((kind, format))
}

impl Corpus {
    /// Opens `inputs` (`-` is stdin, spooled to a temporary file; a folder stands for the feed
    /// files under it, in sorted path order).
    ///
    /// # Errors
    /// [`Error::Io`] when a file cannot be opened or stdin cannot be spooled,
    /// [`Error::NotAFeed`] for binary data of no known kind, [`Error::EmptyFolder`] for a folder
    /// with no feed file, [`Error::Parquet`] for a Parquet file whose footer cannot be read
    /// and [`Error::NotBuilt`] for Parquet in a build without the `parquet` feature.
    pub fn open(inputs: &[PathBuf], opts: ReadOptions) -> Result<Corpus> {
        let mut sources = Vec::new();
        for input in inputs {
            if input.as_os_str() == "-" {
                let stdin = Path::new("-");
                let mut tmp = tempfile::NamedTempFile::new().map_err(io_err(stdin))?;
                io::copy(&mut io::stdin().lock(), &mut tmp).map_err(io_err(stdin))?;
                let path = tmp.into_temp_path();
                let (kind, format) = classify(&path, stdin, None, opts.format)?;
                sources.push(Source::new(
                    stdin.into(),
                    path.to_path_buf(),
                    kind,
                    format,
                    Some(path),
                )?);
            } else if input.is_dir() {
                let mut files = Vec::new();
                folder_files(input, &mut files)?;
                if files.is_empty() {
                    return Err(Error::EmptyFolder { path: input.clone() });
                }
                for f in files {
                    let (kind, format) =
                        classify(&f, &f, Format::known_from_path(&f), opts.format)?;
                    sources.push(Source::new(f.clone(), f, kind, format, None)?);
                }
            } else {
                File::open(input).map_err(io_err(input))?;
                let (kind, format) =
                    classify(input, input, Format::known_from_path(input), opts.format)?;
                sources.push(Source::new(input.clone(), input.clone(), kind, format, None)?);
            }
        }
        Ok(Corpus { sources, opts, read: Arc::default() })
    }

    /// Bytes of the sources read so far by the latest pass of [`Corpus::for_each_batch`], as
    /// stored (compressed bytes for a compressed source): with [`Corpus::total_bytes`], how far
    /// a pass has come.
    pub fn bytes_read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }

    /// The sources' sizes in bytes as stored, added up (what a whole pass reads).
    pub fn total_bytes(&self) -> u64 {
        self.sources.iter().filter_map(|s| std::fs::metadata(&s.path).ok()).map(|m| m.len()).sum()
    }

    /// True when every source is a Parquet file.
    pub fn all_parquet(&self) -> bool {
        !self.sources.is_empty() && self.sources.iter().all(|s| s.kind == Kind::Parquet)
    }

    /// Writes the rows of a corpus of Parquet files (see [`Corpus::all_parquet`]) for which
    /// `keep(ordinal)` holds to the Parquet file `out`, with the inputs' schema (they must
    /// share one), zstd-compressed. Every row is a record, so ordinals count rows.
    ///
    /// # Errors
    /// [`Error::Parquet`] when an input cannot be read, its schema differs from the first one's
    /// or the output cannot be written; [`Error::InvalidParam`] when some source is not
    /// Parquet; [`Error::NotBuilt`] without the `parquet` feature.
    pub fn write_parquet(&self, out: &Path, keep: &dyn Fn(u64) -> bool) -> Result<()> {
        if !self.all_parquet() {
            return Err(Error::InvalidParam {
                name: "output",
                reason: format!(
                    "{} is Parquet, which needs every input to be Parquet",
                    out.display()
                ),
            });
        }
        #[cfg(feature = "parquet")]
        {
            let files: Vec<(PathBuf, PathBuf)> =
                self.sources.iter().map(|s| (s.path.clone(), s.display.clone())).collect();
            parquet::write_rows(&files, out, keep)
        }
        #[cfg(not(feature = "parquet"))]
        {
            let _ = keep;
            Err(Error::NotBuilt { path: out.to_path_buf(), what: "Parquet", feature: "parquet" })
        }
    }

    /// The read options.
    pub fn options(&self) -> &ReadOptions {
        &self.opts
    }

    /// The display name of source `i`.
    pub fn source_name(&self, i: u32) -> &Path {
        &self.sources[i as usize].display
    }

    /// True when every source can be read at a record's offset (no gzip): see
    /// [`Corpus::read_at`].
    pub fn seekable(&self) -> bool {
        self.sources.iter().all(|s| s.seekable)
    }

    /// Opens every source for [`Corpus::read_at`].
    ///
    /// # Errors
    /// [`Error::Io`] when a source cannot be opened.
    pub fn open_files(&self) -> Result<Vec<File>> {
        self.sources.iter().map(|s| File::open(&s.path).map_err(io_err(&s.display))).collect()
    }

    /// Reads the record `at` again from `files` (from [`Corpus::open_files`]) without scanning
    /// the source: its bytes at its offset, which must still end at a line end. Only for
    /// [`Corpus::seekable`] corpora.
    ///
    /// # Errors
    /// [`Error::Io`] on read errors, or when the record is no longer where it was (the input
    /// changed during the run).
    pub fn read_at(&self, files: &[File], ordinal: u64, at: &RecordAt) -> Result<RawRecord> {
        let src = &self.sources[at.source as usize];
        let changed = || Error::Io {
            path: src.display.clone(),
            source: io::Error::other(format!(
                "record at line {} is no longer where it was: the input changed during the run",
                at.line
            )),
        };
        if !src.seekable {
            return Err(Error::InvalidParam {
                name: "read_at",
                reason: format!(
                    "{} is compressed: records cannot be read by offset",
                    src.display.display()
                ),
            });
        }
        let len = at.len as usize;
        // The record and the byte after it, which must be a line end (or the end of the file).
        let mut buf = vec![0u8; len + 1];
        let got = read_full_at(&files[at.source as usize], &src.display, at.offset, &mut buf)?;
        let ends = got == len || (src.format != Format::Text && buf[len] == b'\n');
        if got < len || !ends {
            return Err(changed());
        }
        buf.truncate(len);
        Ok(RawRecord {
            ordinal,
            source: at.source,
            line: at.line,
            offset: at.offset,
            bytes: RecordBytes::from_vec(buf),
            too_long: None,
        })
    }

    /// Copies `len` bytes of source `source` from `offset` to `out`, in the kernel where it can
    /// (`std::io::copy` between a file and a file, pipe or socket uses `copy_file_range`,
    /// `sendfile` or `splice`, so the bytes need not pass through this process). Only for
    /// [`Corpus::seekable`] corpora; `files` comes from [`Corpus::open_files`].
    ///
    /// # Errors
    /// [`Error::Io`] naming the source when it ends before `offset + len` (it changed during
    /// the run) or cannot be read, or naming `<output>` when the copy fails.
    pub fn copy_range<W: io::Write + ?Sized>(
        &self,
        files: &[File],
        source: u32,
        offset: u64,
        len: u64,
        out: &mut W,
    ) -> Result<()> {
        use std::io::{Seek, SeekFrom};
        let src = &self.sources[source as usize];
        let mut file = &files[source as usize];
        file.seek(SeekFrom::Start(offset)).map_err(io_err(&src.display))?;
        let copied = io::copy(&mut file.take(len), out)
            .map_err(|e| Error::Io { path: "<output>".into(), source: e })?;
        if copied < len {
            return Err(Error::Io {
                path: src.display.clone(),
                source: io::Error::other("the input ended early: it changed during the run"),
            });
        }
        Ok(())
    }

    /// The length in bytes of source `i` as it is now (`None` where it cannot be told).
    pub fn source_len(&self, files: &[File], i: u32) -> Option<u64> {
        files.get(i as usize)?.metadata().ok().map(|m| m.len())
    }

    /// The format of source `i`.
    pub fn source_format(&self, i: u32) -> Format {
        self.sources[i as usize].format
    }

    /// Reads every record in order, handing them over in batches of up to `batch_docs` records
    /// or about `batch_bytes` bytes. With more than one thread in rayon's pool, the next batch
    /// is read by a task of the pool while `f` works on the current one on the calling thread
    /// (`rayon::in_place_scope`), so reading overlaps the work without a thread of its own;
    /// with one (`--threads 1`), batches are read and handed over in turn, so that one thread
    /// means one core.
    ///
    /// # Errors
    /// [`Error::Io`] on read errors, or whatever `f` returns.
    pub fn for_each_batch<F>(&self, batch_docs: usize, batch_bytes: usize, mut f: F) -> Result<()>
    where
        F: FnMut(&[RawRecord]) -> Result<()>,
    {
        let mut reader = BatchReader::new(self, batch_docs, batch_bytes);
        let mut current = reader.next_batch()?;
        let overlap = rayon::current_num_threads() > 1;
        while let Some(batch) = current {
            if overlap {
                let mut next = Ok(None);
                let done = rayon::in_place_scope(|s| {
                    s.spawn(|_| next = reader.next_batch());
                    f(&batch)
                });
                done?;
                current = next?;
            } else {
                f(&batch)?;
                current = reader.next_batch()?;
            }
        }
        Ok(())
    }

    /// Parses a raw record into a document.
    ///
    /// # Errors
    /// The record errors of [`Error`]: invalid UTF-8, malformed JSON, a bad text field, or a
    /// document over the size limit.
    pub fn parse<'a>(&self, raw: &'a RawRecord) -> Result<Doc<'a>> {
        let src = &self.sources[raw.source as usize];
        if let Some(len) = raw.too_long {
            return Err(Error::DocTooLarge {
                path: src.display.clone(),
                line: raw.line,
                len,
                max: self.opts.max_doc_bytes,
            });
        }
        record::parse(raw, src.format, &src.display, &self.opts.fields)
    }
}

/// The reading side of [`Corpus::for_each_batch`]: the corpus's records, a batch at a time.
struct BatchReader<'c> {
    corpus: &'c Corpus,
    batch_docs: usize,
    batch_bytes: usize,
    /// The next source to open.
    next_source: usize,
    /// The source being read by lines, with its line count and byte position.
    lines: Option<SourceLines>,
    /// Lines read and not yet made records.
    pending: std::collections::VecDeque<lines::Line>,
    /// The Parquet source being read, a row group at a time.
    #[cfg(feature = "parquet")]
    rows: Option<SourceRows>,
    ordinal: u64,
}

/// A Parquet source being read: the rows of its latest row group not yet made records.
#[cfg(feature = "parquet")]
struct SourceRows {
    source: u32,
    reader: parquet::ParquetSource,
    pending: std::collections::VecDeque<Vec<u8>>,
    /// Rows handed out so far.
    row: u64,
}

struct SourceLines {
    source: u32,
    reader: LineBlocks<Box<dyn BufRead + Send>>,
    line: u64,
    pos: u64,
}

impl<'c> BatchReader<'c> {
    fn new(corpus: &'c Corpus, batch_docs: usize, batch_bytes: usize) -> BatchReader<'c> {
        corpus.read.store(0, Ordering::Relaxed);
        BatchReader {
            corpus,
            batch_docs: batch_docs.max(1),
            batch_bytes,
            next_source: 0,
            lines: None,
            pending: Default::default(),
            #[cfg(feature = "parquet")]
            rows: None,
            ordinal: 0,
        }
    }

    /// The next batch, or `None` when every source has been read.
    fn next_batch(&mut self) -> Result<Option<Vec<RawRecord>>> {
        let cap = self.corpus.opts.max_doc_bytes;
        let mut batch: Vec<RawRecord> = Vec::new();
        let mut bytes = 0usize;
        loop {
            if batch.len() >= self.batch_docs || bytes >= self.batch_bytes {
                return Ok(Some(batch));
            }
            if let (Some(l), Some(src)) = (self.pending.pop_front(), self.lines.as_mut()) {
                src.line += 1;
                let mut offset = src.pos;
                src.pos += l.total as u64 + 1;
                let mut record = l.bytes;
                if src.line == 1 && record.starts_with(BOM) {
                    record.skip_front(BOM.len());
                    offset += BOM.len() as u64;
                }
                let format = self.corpus.sources[src.source as usize].format;
                if format == Format::Jsonl && record.iter().all(u8::is_ascii_whitespace) {
                    continue; // blank lines between JSON records are not records
                }
                bytes += record.len();
                batch.push(RawRecord {
                    ordinal: self.ordinal,
                    source: src.source,
                    line: src.line,
                    offset,
                    bytes: record,
                    too_long: (l.total > cap).then_some(l.total),
                });
                self.ordinal += 1;
                continue;
            }
            #[cfg(feature = "parquet")]
            if let Some(src) = self.rows.as_mut() {
                if let Some(mut row) = src.pending.pop_front() {
                    src.row += 1;
                    bytes += row.len();
                    let total = row.len();
                    row.truncate(cap.saturating_add(1));
                    batch.push(RawRecord {
                        ordinal: self.ordinal,
                        source: src.source,
                        line: src.row,
                        offset: src.row - 1,
                        bytes: RecordBytes::from_vec(row),
                        too_long: (total > cap).then_some(total),
                    });
                    self.ordinal += 1;
                    continue;
                }
                let display = &self.corpus.sources[src.source as usize].display;
                match src.reader.next_group(display)? {
                    Some((rows, size)) => {
                        src.pending.extend(rows);
                        self.corpus.read.fetch_add(size, Ordering::Relaxed);
                    }
                    None => self.rows = None,
                }
                continue;
            }
            if let Some(src) = self.lines.as_mut() {
                let display = &self.corpus.sources[src.source as usize].display;
                let mut found = Vec::new();
                if src.reader.next_lines(&mut found).map_err(io_err(display))? > 0 {
                    self.pending.extend(found);
                } else {
                    self.lines = None;
                }
                continue;
            }
            let Some(src) = self.corpus.sources.get(self.next_source) else {
                return Ok((!batch.is_empty()).then_some(batch));
            };
            let si = self.next_source as u32;
            self.next_source += 1;
            if src.kind == Kind::Parquet {
                #[cfg(feature = "parquet")]
                {
                    let reader = parquet::ParquetSource::open(&src.path, &src.display)?;
                    let pending = Default::default();
                    self.rows = Some(SourceRows { source: si, reader, pending, row: 0 });
                    continue;
                }
                #[cfg(not(feature = "parquet"))]
                return Err(Error::NotBuilt {
                    path: src.display.clone(),
                    what: "Parquet",
                    feature: "parquet",
                });
            }
            let mut reader =
                open_stream(&src.path, &src.display, src.kind, Some(&self.corpus.read))?;
            if src.format != Format::Text {
                let reader = LineBlocks::new(reader, cap);
                self.lines = Some(SourceLines { source: si, reader, line: 0, pos: 0 });
                continue;
            }
            let mut buf = Vec::new();
            let mut limited = (&mut reader).take((cap as u64).saturating_add(1));
            limited.read_to_end(&mut buf).map_err(io_err(&src.display))?;
            let mut total = buf.len();
            if total > cap {
                buf.truncate(cap);
                total +=
                    io::copy(&mut reader, &mut io::sink()).map_err(io_err(&src.display))? as usize;
            }
            let mut offset = 0;
            if buf.starts_with(BOM) {
                buf.drain(..BOM.len());
                offset = BOM.len() as u64;
            }
            bytes += buf.len();
            batch.push(RawRecord {
                ordinal: self.ordinal,
                source: si,
                line: 1,
                offset,
                bytes: RecordBytes::from_vec(buf),
                too_long: (total > cap).then_some(total),
            });
            self.ordinal += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_records(c: &Corpus) -> Vec<RawRecord> {
        let mut out = Vec::new();
        c.for_each_batch(2, 1 << 20, |b| {
            out.extend_from_slice(b);
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn records_read_again_at_their_offsets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.jsonl");
        // A byte order mark, CRLF, a blank line between records, no newline at the end.
        let data = "\u{feff}{\"text\":\"one\"}\r\n\n{\"text\":\"twö\"}\n{\"text\":\"three\"}";
        std::fs::write(&path, data).unwrap();
        let c = Corpus::open(std::slice::from_ref(&path), ReadOptions::default()).unwrap();
        assert!(c.seekable());
        let files = c.open_files().unwrap();
        let records = all_records(&c);
        assert_eq!(records.len(), 3);
        for r in &records {
            let again = c.read_at(&files, r.ordinal, &r.at().unwrap()).unwrap();
            assert_eq!(
                (again.bytes, again.line, again.ordinal),
                (r.bytes.clone(), r.line, r.ordinal)
            );
        }
        // The file changes under the run: the record is no longer where it was.
        std::fs::write(&path, "{\"text\":\"something else entirely\"}\n").unwrap();
        let files = c.open_files().unwrap();
        let err = c.read_at(&files, 2, &records[2].at().unwrap()).unwrap_err().to_string();
        assert!(err.contains("f.jsonl") && err.contains("changed during the run"), "{err}");
    }

    #[test]
    fn one_thread_reads_in_turn_and_alike() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.jsonl");
        let data: String = (0..7).map(|i| format!("{{\"text\":\"record {i}\"}}\n")).collect();
        std::fs::write(&path, data).unwrap();
        let c = Corpus::open(std::slice::from_ref(&path), ReadOptions::default()).unwrap();
        let key = |r: &RawRecord| (r.ordinal, r.line, r.offset, r.bytes.clone());
        let pooled =
            |threads: usize| rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let threaded: Vec<_> = pooled(2).install(|| all_records(&c)).iter().map(key).collect();
        let one = pooled(1);
        let inline: Vec<_> = one.install(|| all_records(&c)).iter().map(key).collect();
        assert_eq!(threaded.len(), 7);
        assert_eq!(inline, threaded);
        // An error from the consumer stops the reading and comes back as it was.
        for pool in [one, pooled(2)] {
            let mut batches = 0;
            let err = pool
                .install(|| {
                    c.for_each_batch(2, 1 << 20, |_| {
                        batches += 1;
                        Err(Error::InvalidParam { name: "test", reason: "stop".into() })
                    })
                })
                .unwrap_err();
            assert_eq!((batches, err.to_string().contains("stop")), (1, true), "{err}");
        }
    }

    #[test]
    fn gzip_sources_are_not_seekable() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.jsonl.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"{\"text\":\"one\"}\n").unwrap();
        std::fs::write(&path, gz.finish().unwrap()).unwrap();
        let c = Corpus::open(std::slice::from_ref(&path), ReadOptions::default()).unwrap();
        assert!(!c.seekable());
        assert_eq!(all_records(&c).len(), 1);
    }

    #[test]
    fn zstd_sources_are_read_and_not_seekable() {
        let dir = tempfile::tempdir().unwrap();
        // Named as nothing in particular: told by its magic bytes, JSONL by its first byte.
        let path = dir.path().join("shard-0001");
        let data = b"{\"text\":\"one\"}\n{\"text\":\"two\"}\n";
        let mut frames = zstd::encode_all(&data[..15], 1).unwrap();
        frames.extend(zstd::encode_all(&data[15..], 1).unwrap()); // two frames, one stream
        std::fs::write(&path, &frames).unwrap();
        let c = Corpus::open(std::slice::from_ref(&path), ReadOptions::default()).unwrap();
        assert!(!c.seekable());
        assert_eq!(c.source_format(0), Format::Jsonl);
        let texts: Vec<String> =
            all_records(&c).iter().map(|r| c.parse(r).unwrap().text.into_owned()).collect();
        assert_eq!(texts, ["one", "two"]);
        assert_eq!(c.bytes_read(), frames.len() as u64);
    }

    #[test]
    fn binary_is_told_from_text() {
        assert!(!looks_binary(b""));
        assert!(!looks_binary("plain text, Ünïcödé, عربي\tand\r\n lines\x0c".as_bytes()));
        // One bad byte in a line of JSON is that line's error, not binary data.
        assert!(!looks_binary(b"{\"text\":\"caf\xe9 au lait, a long enough line of text\"}\n"));
        // A character cut at the end of the sniffed bytes is not counted.
        assert!(!looks_binary(
            &"ab".repeat(10).into_bytes().into_iter().chain([0xd8]).collect::<Vec<u8>>()
        ));
        assert!(looks_binary(b"text with a \0 in it"));
        assert!(looks_binary(&[0xff; 64]));
        assert!(looks_binary(b"\x01\x02\x03abcdefg"));
    }

    #[test]
    fn folders_are_read_in_sorted_path_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("b/c")).unwrap();
        for (p, t) in
            [("b/c/z.jsonl", "3"), ("a.jsonl", "1"), ("b/a.txt", "2"), ("b/skip.bin", "x")]
        {
            let body =
                if p.ends_with(".txt") { t.to_owned() } else { format!("{{\"text\":\"{t}\"}}\n") };
            std::fs::write(root.join(p), body).unwrap();
        }
        std::fs::write(root.join(".hidden.jsonl"), "{\"text\":\"h\"}\n").unwrap();
        let c = Corpus::open(&[root.to_path_buf()], ReadOptions::default()).unwrap();
        let texts: Vec<String> =
            all_records(&c).iter().map(|r| c.parse(r).unwrap().text.into_owned()).collect();
        assert_eq!(texts, ["1", "2", "3"]);
        let err = Corpus::open(&[root.join("b/c/none")], ReadOptions::default()).unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err}");
        std::fs::create_dir(root.join("empty")).unwrap();
        let err = Corpus::open(&[root.join("empty")], ReadOptions::default()).unwrap_err();
        assert!(matches!(err, Error::EmptyFolder { .. }), "{err}");
        std::fs::write(root.join("blob"), [0u8, 1, 2, 3]).unwrap();
        let err = Corpus::open(&[root.join("blob")], ReadOptions::default()).unwrap_err();
        assert!(matches!(err, Error::NotAFeed { .. }), "{err}");
    }

    #[test]
    fn formats_from_paths() {
        assert_eq!(Format::from_path(Path::new("a/feed.json.zst")), Format::Jsonl);
        assert_eq!(Format::from_path(Path::new("a/feed.parquet")), Format::Parquet);
        assert_eq!(Format::known_from_path(Path::new("a/shard.zst")), None);
        assert_eq!(Format::from_path(Path::new("a/feed.jsonl.gz")), Format::Jsonl);
        assert_eq!(Format::from_path(Path::new("feed.lines")), Format::Lines);
        assert_eq!(Format::from_path(Path::new("seed.txt")), Format::Text);
    }
}
