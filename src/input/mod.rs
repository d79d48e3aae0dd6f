//! Reading feeds: JSON lines, plain-text lines or whole text files, from files or stdin,
//! gzip-compressed or not.
//!
//! A [`Corpus`] can be read any number of times (stdin is spooled to a temporary file on open),
//! which lets the pipeline make a counting pass, a fingerprinting pass and an output pass
//! without holding texts in memory. Every record keeps its raw bytes so the output can repeat
//! it byte for byte.

mod record;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use crate::error::{Error, Result};
pub use record::{Doc, Fields};

/// How a source is split into documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line.
    Jsonl,
    /// One plain-text document per line.
    Lines,
    /// The whole file is one document.
    Text,
}

impl Format {
    /// Parses `jsonl`, `lines` or `text`.
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "jsonl" | "json" | "ndjson" => Some(Format::Jsonl),
            "lines" => Some(Format::Lines),
            "text" | "txt" => Some(Format::Text),
            _ => None,
        }
    }

    /// The format implied by a file name (`.jsonl`, `.ndjson`, `.json`, `.txt`, `.lines`, each
    /// optionally followed by `.gz`); text for anything else.
    pub fn from_path(path: &Path) -> Format {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let name = name.strip_suffix(".gz").unwrap_or(name);
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
        match ext.as_str() {
            "lines" => Format::Lines,
            _ => Format::parse(&ext).unwrap_or(Format::Text),
        }
    }
}

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
    _spool: Option<tempfile::TempPath>,
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
    /// The record's bytes without the line terminator (truncated when too long).
    pub bytes: Vec<u8>,
    /// The full length when the record was longer than the limit.
    pub too_long: Option<usize>,
}

/// A set of input sources, readable any number of times.
#[derive(Debug)]
pub struct Corpus {
    sources: Vec<Source>,
    opts: ReadOptions,
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::Io { path: path.to_path_buf(), source }
}

/// Opens a file, transparently decompressing gzip (detected by its magic bytes).
fn open_maybe_gz(path: &Path) -> Result<Box<dyn BufRead>> {
    let mut file = BufReader::with_capacity(1 << 20, File::open(path).map_err(io_err(path))?);
    let magic = file.fill_buf().map_err(io_err(path))?;
    if magic.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(BufReader::with_capacity(1 << 20, MultiGzDecoder::new(file))))
    } else {
        Ok(Box::new(file))
    }
}

impl Corpus {
    /// Opens `inputs` (`-` is stdin, spooled to a temporary file).
    ///
    /// # Errors
    /// [`Error::Io`] when a file cannot be opened or stdin cannot be spooled.
    pub fn open(inputs: &[PathBuf], opts: ReadOptions) -> Result<Corpus> {
        let mut sources = Vec::new();
        for input in inputs {
            if input.as_os_str() == "-" {
                let stdin = Path::new("-");
                let mut tmp = tempfile::NamedTempFile::new().map_err(io_err(stdin))?;
                io::copy(&mut io::stdin().lock(), &mut tmp).map_err(io_err(stdin))?;
                let path = tmp.into_temp_path();
                let format = match opts.format {
                    Some(f) => f,
                    None => {
                        let mut head = Vec::new();
                        open_maybe_gz(&path)?
                            .take(4096)
                            .read_to_end(&mut head)
                            .map_err(io_err(stdin))?;
                        let first = head.iter().find(|b| !b.is_ascii_whitespace());
                        let bom_brace = head.starts_with(b"\xEF\xBB\xBF{");
                        if first == Some(&b'{') || bom_brace {
                            Format::Jsonl
                        } else {
                            Format::Text
                        }
                    }
                };
                sources.push(Source {
                    display: stdin.into(),
                    path: path.to_path_buf(),
                    format,
                    _spool: Some(path),
                });
            } else {
                File::open(input).map_err(io_err(input))?;
                let format = opts.format.unwrap_or_else(|| Format::from_path(input));
                sources.push(Source {
                    display: input.clone(),
                    path: input.clone(),
                    format,
                    _spool: None,
                });
            }
        }
        Ok(Corpus { sources, opts })
    }

    /// The read options.
    pub fn options(&self) -> &ReadOptions {
        &self.opts
    }

    /// The display name of source `i`.
    pub fn source_name(&self, i: u32) -> &Path {
        &self.sources[i as usize].display
    }

    /// The format of source `i`.
    pub fn source_format(&self, i: u32) -> Format {
        self.sources[i as usize].format
    }

    /// Reads every record in order, handing them over in batches of up to `batch_docs` records
    /// or about `batch_bytes` bytes. Reading runs on its own thread, one or two batches ahead of
    /// `f`, so that I/O and parsing overlap with the work done on each batch.
    ///
    /// # Errors
    /// [`Error::Io`] on read errors, or whatever `f` returns.
    pub fn for_each_batch<F>(&self, batch_docs: usize, batch_bytes: usize, mut f: F) -> Result<()>
    where
        F: FnMut(&[RawRecord]) -> Result<()>,
    {
        std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Vec<RawRecord>>>(2);
            scope.spawn(move || {
                let sent =
                    self.read_batches(batch_docs, batch_bytes, &mut |b| tx.send(Ok(b)).is_ok());
                if let Err(e) = sent {
                    let _ = tx.send(Err(e));
                }
            });
            for batch in rx {
                f(&batch?)?;
            }
            Ok(())
        })
    }

    /// The reading side of [`Corpus::for_each_batch`]: `emit` returns false to stop early.
    fn read_batches(
        &self,
        batch_docs: usize,
        batch_bytes: usize,
        emit: &mut dyn FnMut(Vec<RawRecord>) -> bool,
    ) -> Result<()> {
        let mut batch: Vec<RawRecord> = Vec::new();
        let mut bytes = 0usize;
        let mut ordinal = 0u64;
        let cap = self.opts.max_doc_bytes;
        for (si, src) in self.sources.iter().enumerate() {
            let mut reader = open_maybe_gz(&src.path)?;
            let mut line = 0u64;
            loop {
                let mut buf = Vec::new();
                let got = match src.format {
                    Format::Text => {
                        if line > 0 {
                            None
                        } else {
                            let mut limited = (&mut reader).take((cap as u64).saturating_add(1));
                            limited.read_to_end(&mut buf).map_err(io_err(&src.display))?;
                            let mut total = buf.len();
                            if total > cap {
                                buf.truncate(cap);
                                total += io::copy(&mut reader, &mut io::sink())
                                    .map_err(io_err(&src.display))?
                                    as usize;
                            }
                            Some(total)
                        }
                    }
                    Format::Jsonl | Format::Lines => read_line_capped(&mut reader, &mut buf, cap)
                        .map_err(io_err(&src.display))?,
                };
                let Some(total) = got else { break };
                line += 1;
                if line == 1 && buf.starts_with(b"\xEF\xBB\xBF") {
                    buf.drain(..3);
                }
                if src.format == Format::Jsonl && buf.iter().all(u8::is_ascii_whitespace) {
                    continue; // blank lines between JSON records are not records
                }
                bytes += buf.len();
                batch.push(RawRecord {
                    ordinal,
                    source: si as u32,
                    line,
                    bytes: buf,
                    too_long: (total > cap).then_some(total),
                });
                ordinal += 1;
                if batch.len() >= batch_docs || bytes >= batch_bytes {
                    if !emit(std::mem::take(&mut batch)) {
                        return Ok(());
                    }
                    bytes = 0;
                }
                if src.format == Format::Text {
                    break;
                }
            }
        }
        if !batch.is_empty() {
            emit(batch);
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

/// Reads one line (without `\n`) into `buf`, keeping at most `cap + 1` bytes but consuming the
/// whole line. Returns the line's full length, or `None` at end of input.
fn read_line_capped(
    r: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    cap: usize,
) -> io::Result<Option<usize>> {
    let mut total = 0usize;
    let mut any = false;
    loop {
        let avail = match r.fill_buf() {
            Ok(a) => a,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok(any.then_some(total));
        }
        any = true;
        let (chunk, used, done) = match memchr::memchr(b'\n', avail) {
            Some(i) => (&avail[..i], i + 1, true),
            None => (avail, avail.len(), false),
        };
        let room = cap.saturating_add(1).saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        total += chunk.len();
        r.consume(used);
        if done {
            return Ok(Some(total));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_lines() {
        let data = b"short\nthis line is long\nlast";
        let mut r: &[u8] = data;
        let mut buf = Vec::new();
        assert_eq!(read_line_capped(&mut r, &mut buf, 8).unwrap(), Some(5));
        buf.clear();
        assert_eq!(read_line_capped(&mut r, &mut buf, 8).unwrap(), Some(17));
        assert_eq!(buf.len(), 9);
        buf.clear();
        assert_eq!(read_line_capped(&mut r, &mut buf, 8).unwrap(), Some(4));
        buf.clear();
        assert_eq!(read_line_capped(&mut r, &mut buf, 8).unwrap(), None);
    }

    #[test]
    fn formats_from_paths() {
        assert_eq!(Format::from_path(Path::new("a/feed.jsonl.gz")), Format::Jsonl);
        assert_eq!(Format::from_path(Path::new("feed.lines")), Format::Lines);
        assert_eq!(Format::from_path(Path::new("seed.txt")), Format::Text);
    }
}
