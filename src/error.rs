//! The library's error type.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong in neardup's library code.
///
/// Computing stages (normalize, shingle, signature) are infallible once built; errors come from
/// parameters, I/O and decoding input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter is out of its valid range.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParam {
        /// The parameter's name as the user sees it.
        name: &'static str,
        /// Why it is invalid.
        reason: String,
    },
    /// An I/O error on a named file.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A record is not valid UTF-8.
    #[error("{}:{line}: invalid UTF-8 at byte {offset} of the line", path.display())]
    InvalidUtf8 {
        /// The input file (`-` for stdin).
        path: PathBuf,
        /// 1-based line number (the first line of the document for text input).
        line: u64,
        /// Byte offset of the first invalid byte within the record.
        offset: usize,
    },
    /// A JSON line could not be parsed.
    #[error("{}:{line}: malformed JSON: {message}", path.display())]
    Json {
        /// The input file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// The parser's message.
        message: String,
    },
    /// The text field is missing or not a string.
    #[error("{}:{line}: field {field:?} is {problem}", path.display())]
    BadField {
        /// The input file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// The field name.
        field: String,
        /// "missing" or "not a string".
        problem: &'static str,
    },
    /// Two sketches made with different parameters were compared
    /// ([`crate::signature::Sketch::jaccard`]).
    #[error("sketches differ in {field}: {ours} against {theirs}; they cannot be compared")]
    IncompatibleSketches {
        /// The first parameter that differs.
        field: &'static str,
        /// Its value in the first sketch.
        ours: String,
        /// Its value in the second.
        theirs: String,
    },
    /// An input holds bytes of no kind neardup reads (binary data).
    #[error("{}: not a JSONL, text, gzip, zstd or Parquet file", path.display())]
    NotAFeed {
        /// The input file (`-` for stdin).
        path: PathBuf,
    },
    /// A folder given as input holds no feed file.
    #[error("{}: no .jsonl, .ndjson, .json, .txt, .lines or .parquet file (optionally .gz, .zst) in this folder", path.display())]
    EmptyFolder {
        /// The folder.
        path: PathBuf,
    },
    /// A Parquet file cannot be read or written.
    #[error("{}: Parquet: {message}", path.display())]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The Parquet reader's or writer's message.
        message: String,
    },
    /// An input or output needs a cargo feature this build was made without.
    #[error("{}: {what} needs neardup built with the `{feature}` feature", path.display())]
    NotBuilt {
        /// The file.
        path: PathBuf,
        /// What it is.
        what: &'static str,
        /// The cargo feature.
        feature: &'static str,
    },
    /// A signature store problem.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A document is larger than the configured limit.
    #[error("{}:{line}: document is {len} bytes, over --max-doc-bytes {max}", path.display())]
    DocTooLarge {
        /// The input file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// The document's size in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A line of a host file is not `host:port`.
    #[error("{}:{line}: expected host:port, found {found:?}", path.display())]
    BadHost {
        /// The host file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What the line holds.
        found: String,
    },
    /// Another process of a distributed run failed, disagreed, or could not be reached.
    #[error("process {process} ({host}): {reason}")]
    Peer {
        /// The process's index in the host file.
        process: usize,
        /// Its `host:port`.
        host: String,
        /// What happened.
        reason: String,
    },
    /// Another worker of a distributed run failed; every worker stopped.
    #[error("worker {worker}: {reason}")]
    Worker {
        /// The failed worker's index (`process * workers + thread`).
        worker: usize,
        /// Its error, as that worker reported it.
        reason: String,
    },
}

/// Store errors, each with the file it concerns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The file does not start with the expected magic number.
    #[error("{}: not a neardup {kind} file (bad magic number)", path.display())]
    BadMagic {
        /// The file.
        path: PathBuf,
        /// What it should have been.
        kind: &'static str,
    },
    /// The format version is outside what this build reads.
    #[error("{}: format version {found} is not supported (this build reads {}..={})", path.display(), supported.start(), supported.end())]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// The version found.
        found: u32,
        /// The versions this build reads.
        supported: std::ops::RangeInclusive<u32>,
    },
    /// The file is shorter than its header says.
    #[error("{}: truncated ({found} bytes, expected {expected})", path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Expected length in bytes.
        expected: u64,
        /// Actual length in bytes.
        found: u64,
    },
    /// The checksum does not match the contents.
    #[error("{}: checksum mismatch (stored {expected:#018x}, computed {found:#018x}): the file is damaged", path.display())]
    ChecksumMismatch {
        /// The file.
        path: PathBuf,
        /// The checksum stored in the file.
        expected: u64,
        /// The checksum of the contents.
        found: u64,
    },
    /// A parameter differs between the store and the request.
    #[error("parameter {field} of the store is {store}, but {given} was asked for")]
    IncompatibleParams {
        /// The parameter.
        field: &'static str,
        /// The store's value.
        store: String,
        /// The requested value.
        given: String,
    },
    /// Another process is writing to the store.
    #[error("{}: another writer holds the store's lock", path.display())]
    Locked {
        /// The lock file.
        path: PathBuf,
    },
    /// The structure of a file is inconsistent.
    #[error("{}: corrupt: {reason}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The directory holds no store.
    #[error("{}: no neardup store here (no MANIFEST)", path.display())]
    NotAStore {
        /// The directory.
        path: PathBuf,
    },
}

impl Error {
    /// True when this error concerns one record of the input (and may be skipped).
    pub fn is_record_error(&self) -> bool {
        matches!(
            self,
            Error::InvalidUtf8 { .. }
                | Error::Json { .. }
                | Error::BadField { .. }
                | Error::DocTooLarge { .. }
        )
    }
}

/// A `Result` with neardup's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
