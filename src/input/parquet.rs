//! Parquet sources (the `parquet` feature): each row becomes a JSON object, so the JSONL field
//! flags (`--text-field`, `--id-field`, ...) name its columns; rows are read one row group at a
//! time, so memory holds one row group's rows, not the file. Writing keeps the rows chosen by
//! ordinal with the input's schema, column by column, through the column readers and writers
//! (no Arrow).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parquet::basic::Compression;
use parquet::column::reader::ColumnReader;
use parquet::column::writer::ColumnWriter;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::record::reader::RowIter;
use parquet::schema::types::Type;

use crate::error::{Error, Result};

fn err(path: &Path) -> impl Fn(parquet::errors::ParquetError) -> Error + '_ {
    move |e| Error::Parquet { path: path.to_path_buf(), message: e.to_string() }
}

/// An open Parquet file and where its reading stands.
pub(super) struct ParquetSource {
    reader: SerializedFileReader<File>,
    next_group: usize,
}

impl std::fmt::Debug for ParquetSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetSource").field("next_group", &self.next_group).finish()
    }
}

impl ParquetSource {
    /// Opens `path` (its footer is read and checked).
    pub(super) fn open(path: &Path, display: &Path) -> Result<ParquetSource> {
        let file = File::open(path).map_err(|source| Error::Io { path: display.into(), source })?;
        let reader = SerializedFileReader::new(file).map_err(err(display))?;
        Ok(ParquetSource { reader, next_group: 0 })
    }

    /// The rows of the next row group as JSON objects, with the group's compressed size in
    /// bytes, or `None` after the last group.
    pub(super) fn next_group(&mut self, display: &Path) -> Result<Option<(Vec<Vec<u8>>, u64)>> {
        if self.next_group >= self.reader.num_row_groups() {
            return Ok(None);
        }
        let group = self.reader.get_row_group(self.next_group).map_err(err(display))?;
        self.next_group += 1;
        let size = group.metadata().compressed_size().max(0) as u64;
        let mut rows = Vec::with_capacity(group.metadata().num_rows().max(0) as usize);
        for row in RowIter::from_row_group(None, &*group).map_err(err(display))? {
            let row = row.map_err(err(display))?;
            let json = serde_json::to_vec(&row.to_json_value())
                .map_err(|e| Error::Parquet { path: display.into(), message: e.to_string() })?;
            rows.push(json);
        }
        Ok(Some((rows, size)))
    }
}

/// Writes the rows of the Parquet files `sources` (in order, numbered from 0 across them) for
/// which `keep(row)` holds to `out`, with the first file's schema (every file must have it),
/// zstd-compressed, one output row group per input row group.
///
/// # Errors
/// [`Error::Parquet`] naming the file whose schema differs or that cannot be read or written,
/// [`Error::Io`] when `out` cannot be created.
pub(super) fn write_rows(
    sources: &[(PathBuf, PathBuf)],
    out: &Path,
    keep: &dyn Fn(u64) -> bool,
) -> Result<()> {
    let mut readers = Vec::with_capacity(sources.len());
    for (path, display) in sources {
        readers.push(ParquetSource::open(path, display)?.reader);
    }
    let Some(first) = readers.first() else {
        return Err(Error::InvalidParam {
            name: "output",
            reason: "a Parquet output needs Parquet input".into(),
        });
    };
    let schema: Arc<Type> = first.metadata().file_metadata().schema_descr().root_schema_ptr();
    for (r, (_, display)) in readers.iter().zip(sources) {
        if r.metadata().file_metadata().schema_descr().root_schema() != &*schema {
            return Err(Error::Parquet {
                path: display.clone(),
                message:
                    "its schema differs from the first input's: one Parquet output needs one schema"
                        .into(),
            });
        }
    }
    let file = File::create(out).map_err(|source| Error::Io { path: out.into(), source })?;
    let props = Arc::new(
        WriterProperties::builder().set_compression(Compression::ZSTD(Default::default())).build(),
    );
    let mut writer = SerializedFileWriter::new(file, schema, props).map_err(err(out))?;
    let mut base = 0u64;
    for (r, (_, display)) in readers.iter().zip(sources) {
        for g in 0..r.num_row_groups() {
            let group = r.get_row_group(g).map_err(err(display))?;
            let rows = group.metadata().num_rows().max(0) as u64;
            let kept: Vec<bool> = (base..base + rows).map(keep).collect();
            base += rows;
            if !kept.contains(&true) {
                continue;
            }
            let mut rg = writer.next_row_group().map_err(err(out))?;
            for c in 0..group.num_columns() {
                let column = group.get_column_reader(c).map_err(err(display))?;
                let Some(mut w) = rg.next_column().map_err(err(out))? else {
                    return Err(Error::Parquet {
                        path: out.into(),
                        message: "fewer columns than the schema".into(),
                    });
                };
                copy_column(column, w.untyped(), &kept, display, out)?;
                w.close().map_err(err(out))?;
            }
            rg.close().map_err(err(out))?;
        }
    }
    writer.close().map_err(err(out))?;
    Ok(())
}

/// Copies the values of one column chunk whose rows are marked in `kept` (a row starts where
/// the repetition level is 0), levels included, so nested and optional columns keep their
/// shape.
fn copy_column(
    reader: ColumnReader,
    writer: &mut ColumnWriter<'_>,
    kept: &[bool],
    display: &Path,
    out: &Path,
) -> Result<()> {
    macro_rules! copy {
        ($r:expr, $w:expr) => {{
            let (mut values, mut defs, mut reps) = (Vec::new(), Vec::new(), Vec::new());
            let rows = kept.len();
            let mut read = 0;
            while read < rows {
                let (n, _, _) = $r
                    .read_records(rows - read, Some(&mut defs), Some(&mut reps), &mut values)
                    .map_err(err(display))?;
                if n == 0 {
                    break;
                }
                read += n;
            }
            let levels = defs.len().max(reps.len()).max(values.len());
            let has_def = !defs.is_empty();
            let has_rep = !reps.is_empty();
            let max_def = $w.get_descriptor().max_def_level();
            let (mut kv, mut kd, mut kr) = (Vec::new(), Vec::new(), Vec::new());
            let (mut row, mut vi) = (0usize, 0usize);
            for l in 0..levels {
                // A row starts at repetition level 0 (every level, in a column not repeated).
                if l > 0 && (!has_rep || reps[l] == 0) {
                    row += 1;
                }
                let is_value = !has_def || defs[l] == max_def;
                let keep_row = kept.get(row).copied().unwrap_or(false);
                if keep_row {
                    if has_def {
                        kd.push(defs[l]);
                    }
                    if has_rep {
                        kr.push(reps[l]);
                    }
                    if is_value {
                        kv.push(values[vi].clone());
                    }
                }
                if is_value {
                    vi += 1;
                }
            }
            $w.write_batch(&kv, has_def.then_some(&kd[..]), has_rep.then_some(&kr[..]))
                .map_err(err(out))?;
        }};
    }
    match (reader, writer) {
        (ColumnReader::BoolColumnReader(mut r), ColumnWriter::BoolColumnWriter(w)) => copy!(r, w),
        (ColumnReader::Int32ColumnReader(mut r), ColumnWriter::Int32ColumnWriter(w)) => {
            copy!(r, w)
        }
        (ColumnReader::Int64ColumnReader(mut r), ColumnWriter::Int64ColumnWriter(w)) => {
            copy!(r, w)
        }
        (ColumnReader::Int96ColumnReader(mut r), ColumnWriter::Int96ColumnWriter(w)) => {
            copy!(r, w)
        }
        (ColumnReader::FloatColumnReader(mut r), ColumnWriter::FloatColumnWriter(w)) => {
            copy!(r, w)
        }
        (ColumnReader::DoubleColumnReader(mut r), ColumnWriter::DoubleColumnWriter(w)) => {
            copy!(r, w)
        }
        (ColumnReader::ByteArrayColumnReader(mut r), ColumnWriter::ByteArrayColumnWriter(w)) => {
            copy!(r, w)
        }
        (
            ColumnReader::FixedLenByteArrayColumnReader(mut r),
            ColumnWriter::FixedLenByteArrayColumnWriter(w),
        ) => copy!(r, w),
        _ => {
            return Err(Error::Parquet {
                path: out.into(),
                message: "a column's type differs between reader and writer".into(),
            })
        }
    }
    Ok(())
}
