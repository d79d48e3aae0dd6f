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
