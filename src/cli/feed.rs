//! Reading a feed in passes: parsing, invalid-record policy and progress.

use std::io::{IsTerminal, Write};
use std::time::Instant;

use anyhow::Result;
use rayon::prelude::*;

use neardup::boilerplate::Boilerplate;
use neardup::dedup::{Engine, Fingerprints, Resolution};
use neardup::input::{Corpus, Doc, RawRecord, RecordAt, RepeatedIds};

/// Opens the inputs named by the flags (stdin when none).
pub fn open_corpus(input: &super::args::InputArgs) -> Result<Corpus> {
    let mut inputs = input.inputs.clone();
    if inputs.is_empty() {
        inputs.push("-".into());
    }
    Ok(Corpus::open(&inputs, super::config::read_options(input)?)?)
}

/// Pass 1 of the dedup pipeline: counts the feed's lines and returns its boilerplate. Skipped
/// records are warned about here (once). With boilerplate detection off nothing is read: the
/// stats are `None` and `feed.warn` stays on, so the next pass warns and counts instead.
pub fn boilerplate_pass(
    engine: &neardup::dedup::Engine,
    feed: &mut Feed<'_>,
) -> Result<(neardup::boilerplate::Boilerplate, Option<PassStats>)> {
    feed.warn = true;
    if engine.config().boilerplate.is_none() {
        return Ok((neardup::boilerplate::Boilerplate::none(), None));
    }
    let mut counter = engine.line_counter();
    let stats = feed.pass("boilerplate", |_, docs| {
        let texts: Vec<Option<&str>> = docs.iter().map(|d| d.as_ref().map(|d| &*d.text)).collect();
        engine.count_lines(&texts, &mut counter);
        Ok(())
    })?;
    feed.warn = false;
    Ok((engine.boilerplate(counter), Some(stats)))
}

/// The output pass: writes the records for which `keep(ordinal)` holds, byte for byte, to
/// `output` or stdout. Lines get their terminator back; a text document is its file's bytes.
/// Where every source is seekable and `at` (indexed by ordinal: every record of an earlier
/// pass) places every kept record, runs of adjacent kept records are copied as byte ranges
/// instead of being split into lines again; the output is the same.
///
/// The output's name says its form: `.gz` gzip, `.zst`/`.zstd` zstd (level 3), `.parquet`
/// the kept rows of Parquet input with the input's schema; anything else as it was read.
pub fn write_records(
    corpus: &Corpus,
    output: Option<&std::path::Path>,
    at: Option<&[Option<RecordAt>]>,
    keep: impl Fn(u64) -> bool,
) -> Result<()> {
    use anyhow::Context;
    use std::io::BufWriter;
    let create = |p: &std::path::Path| {
        std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))
    };
    let runs = at.and_then(|at| kept_runs(corpus, at, &keep));
    if let Some(p) = output {
        let kind = OutputKind::of(p);
        if kind == OutputKind::Parquet {
            corpus.write_parquet(p, &keep)?;
            return Ok(());
        }
        if kind != OutputKind::Plain {
            let file = BufWriter::with_capacity(1 << 20, create(p)?);
            let mut enc = match kind {
                OutputKind::Gzip => {
                    Encoder::Gz(flate2::write::GzEncoder::new(file, flate2::Compression::default()))
                }
                _ => Encoder::Zst(
                    zstd::stream::write::Encoder::new(file, 3)
                        .with_context(|| format!("creating {}", p.display()))?,
                ),
            };
            match &runs {
                Some(runs) => copy_runs(corpus, &corpus.open_files()?, runs, &mut enc)?,
                None => write_each(corpus, &keep, &mut enc)?,
            }
            enc.finish().with_context(|| format!("writing {}", p.display()))?;
            return Ok(());
        }
    }
    if let Some(runs) = runs {
        let files = corpus.open_files()?;
        return match output {
            Some(p) => copy_runs(corpus, &files, &runs, &mut create(p)?),
            None => copy_runs(corpus, &files, &runs, &mut std::io::stdout().lock()),
        };
    }
    let stdout = std::io::stdout();
    let mut out: Box<dyn Write> = match output {
        Some(p) => Box::new(BufWriter::with_capacity(1 << 20, create(p)?)),
        None => Box::new(BufWriter::with_capacity(1 << 20, stdout.lock())),
    };
    write_each(corpus, &keep, &mut out)?;
    out.flush().context("writing unique records")?;
    Ok(())
}

/// Refuses, before any pass, an output the corpus cannot fill: a `.parquet` output needs
/// Parquet input.
pub fn check_output(corpus: &Corpus, output: Option<&std::path::Path>) -> Result<()> {
    if let Some(p) = output {
        if OutputKind::of(p) == OutputKind::Parquet && !corpus.all_parquet() {
            anyhow::bail!(
                "--output {}: a Parquet output keeps the rows of Parquet input, and some input is not Parquet",
                p.display()
            );
        }
    }
    Ok(())
}

/// The form of an output file, by its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OutputKind {
    Plain,
    Gzip,
    Zstd,
    Parquet,
}

impl OutputKind {
    fn of(path: &std::path::Path) -> OutputKind {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_ascii_lowercase();
        if name.ends_with(".gz") {
            OutputKind::Gzip
        } else if name.ends_with(".zst") || name.ends_with(".zstd") {
            OutputKind::Zstd
        } else if name.ends_with(".parquet") {
            OutputKind::Parquet
        } else {
            OutputKind::Plain
        }
    }
}

/// A compressing output.
enum Encoder {
    Gz(flate2::write::GzEncoder<std::io::BufWriter<std::fs::File>>),
    Zst(zstd::stream::write::Encoder<'static, std::io::BufWriter<std::fs::File>>),
}

impl Encoder {
    /// Ends the compressed stream and flushes the file.
    fn finish(self) -> std::io::Result<()> {
        let mut file = match self {
            Encoder::Gz(e) => e.finish()?,
            Encoder::Zst(e) => e.finish()?,
        };
        file.flush()
    }
}

impl Write for Encoder {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Encoder::Gz(e) => e.write(buf),
            Encoder::Zst(e) => e.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Encoder::Gz(e) => e.flush(),
            Encoder::Zst(e) => e.flush(),
        }
    }
}

/// Writes the kept records one by one, as read in a pass over the corpus.
fn write_each<W: Write + ?Sized>(
    corpus: &Corpus,
    keep: &impl Fn(u64) -> bool,
    out: &mut W,
) -> Result<()> {
    let io = |e| neardup::Error::Io { path: "<output>".into(), source: e };
    let mut meter = Meter::new(corpus, "output", true);
    corpus.for_each_batch(BATCH_DOCS, BATCH_BYTES, |batch| {
        meter.add(batch.len() as u64);
        for r in batch.iter().filter(|r| keep(r.ordinal)) {
            out.write_all(&r.bytes).map_err(io)?;
            if corpus.source_format(r.source) != neardup::input::Format::Text {
                out.write_all(b"\n").map_err(io)?;
            }
        }
        Ok(())
    })?;
    Ok(())
}

/// Copies each run of kept records to `out` as one byte range (with the line end that follows
/// it in the source, where there is one), in the kernel where the platform allows.
fn copy_runs<W: Write>(
    corpus: &Corpus,
    files: &[std::fs::File],
    runs: &[Run],
    out: &mut W,
) -> Result<()> {
    use anyhow::Context;
    let lens: Vec<Option<u64>> =
        (0..files.len() as u32).map(|i| corpus.source_len(files, i)).collect();
    let io = |e| neardup::Error::Io { path: "<output>".into(), source: e };
    for run in runs {
        let lines = corpus.source_format(run.source) != neardup::input::Format::Text;
        // Every line but a source's last unterminated one is followed by its '\n'.
        let ended = lines && lens[run.source as usize].is_some_and(|n| run.end < n);
        let len = run.end - run.start + u64::from(ended);
        corpus.copy_range(files, run.source, run.start, len, out)?;
        if lines && !ended {
            out.write_all(b"\n").map_err(io)?;
        }
    }
    out.flush().context("writing unique records")?;
    Ok(())
}

/// A byte range of one source holding adjacent kept records (their line ends included, the
/// last one's excluded).
struct Run {
    source: u32,
    start: u64,
    end: u64,
}

/// The kept records as byte ranges, or `None` where some source cannot be read by offset or
/// some kept record has no known place.
fn kept_runs(
    corpus: &Corpus,
    at: &[Option<RecordAt>],
    keep: &impl Fn(u64) -> bool,
) -> Option<Vec<Run>> {
    if !corpus.seekable() {
        return None;
    }
    let mut runs: Vec<Run> = Vec::new();
    for (o, loc) in at.iter().enumerate() {
        if !keep(o as u64) {
            continue;
        }
        let loc = (*loc)?;
        let end = loc.offset + u64::from(loc.len);
        let text = corpus.source_format(loc.source) == neardup::input::Format::Text;
        match runs.last_mut() {
            // The next line starts right after this run's last line end.
            Some(r) if !text && r.source == loc.source && r.end + 1 == loc.offset => r.end = end,
            _ => runs.push(Run { source: loc.source, start: loc.offset, end }),
        }
    }
    Some(runs)
}

/// Records per batch handed to the parallel stages. Small enough that a batch just read
/// (about 3.5 MB of news text) is still in cache when it is parsed and fingerprinted, and
/// that reading the next batch on one core costs the other little waiting; large enough that
/// the per-batch work of the pool stays negligible. On the 100k peer corpus, against 4,096:
/// two threads 0.88 -> 0.83 s (1.73x -> 1.83x one thread), 126 -> 104 MB (`benches/RESULTS.md`).
pub const BATCH_DOCS: usize = 1024;
/// Bytes per batch.
pub const BATCH_BYTES: usize = 32 << 20;

/// How progress is shown on stderr.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgressMode {
    /// Nothing.
    Off,
    /// Bars, redrawn in place (stderr is a terminal).
    Bars,
    /// A plain line every [`PROGRESS_LINE_SECS`] seconds (`--progress`, for logs).
    Lines,
}

/// Seconds between two progress lines of [`ProgressMode::Lines`].
pub const PROGRESS_LINE_SECS: u64 = 5;

static PROGRESS: std::sync::OnceLock<ProgressMode> = std::sync::OnceLock::new();

/// Chooses how passes show progress, once per run: bars on a terminal, lines with
/// `--progress` elsewhere, nothing with `-q`.
pub fn set_progress(lines: bool, quiet: bool) {
    let mode = if quiet {
        ProgressMode::Off
    } else if std::io::stderr().is_terminal() {
        ProgressMode::Bars
    } else if lines {
        ProgressMode::Lines
    } else {
        ProgressMode::Off
    };
    let _ = PROGRESS.set(mode);
}

/// The progress mode of this run ([`ProgressMode::Off`] where none was set).
pub fn progress_mode() -> ProgressMode {
    PROGRESS.get().copied().unwrap_or(ProgressMode::Off)
}

/// A pass's progress: records, bytes read of the corpus's total, rate and time left, updated
/// once per batch.
pub struct Meter<'c> {
    corpus: &'c Corpus,
    label: String,
    mode: ProgressMode,
    bar: Option<indicatif::ProgressBar>,
    start: Instant,
    last_line: Instant,
    total: u64,
    records: u64,
    /// Seconds between lines.
    every: u64,
}

impl<'c> Meter<'c> {
    /// Starts showing the progress of pass `label` over `corpus` (`show`: false shows nothing).
    pub fn new(corpus: &'c Corpus, label: &str, show: bool) -> Meter<'c> {
        let mode = if show { progress_mode() } else { ProgressMode::Off };
        let total = if mode == ProgressMode::Off { 0 } else { corpus.total_bytes() };
        let bar = (mode == ProgressMode::Bars).then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(total),
                indicatif::ProgressDrawTarget::stderr(),
            );
            let style = indicatif::ProgressStyle::with_template(
                "{prefix:>12} [{bar:30}] {binary_bytes}/{binary_total_bytes} {msg} ({binary_bytes_per_sec}, ETA {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar.set_prefix(label.to_owned());
            bar
        });
        let now = Instant::now();
        Meter {
            corpus,
            label: label.to_owned(),
            mode,
            bar,
            start: now,
            last_line: now,
            total,
            records: 0,
            // A shorter interval for tests (hidden: not a user setting).
            every: std::env::var("NEARDUP_PROGRESS_SECS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(PROGRESS_LINE_SECS),
        }
    }

    /// Counts `records` more records read.
    pub fn add(&mut self, records: u64) {
        self.records += records;
        match self.mode {
            ProgressMode::Off => {}
            ProgressMode::Bars => {
                if let Some(bar) = &self.bar {
                    bar.set_position(self.corpus.bytes_read());
                    bar.set_message(format!("{} records", self.records));
                }
            }
            ProgressMode::Lines => {
                if self.last_line.elapsed().as_secs() < self.every {
                    return;
                }
                self.last_line = Instant::now();
                let secs = self.start.elapsed().as_secs_f64().max(1e-9);
                let read = self.corpus.bytes_read();
                let left = if read > 0 && self.total > read {
                    format!(", {:.0} s left", secs * (self.total - read) as f64 / read as f64)
                } else {
                    String::new()
                };
                eprintln!(
                    "neardup: {}: {} records, {:.1} of {:.1} MB ({:.0}%), {:.0} records/s{left}",
                    self.label,
                    self.records,
                    read as f64 / 1e6,
                    self.total as f64 / 1e6,
                    100.0 * read as f64 / self.total.max(1) as f64,
                    self.records as f64 / secs
                );
            }
        }
    }
}

impl Drop for Meter<'_> {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Counts of what a pass saw.
#[derive(Debug, Default, Clone, Copy)]
pub struct PassStats {
    /// Records read.
    pub records: u64,
    /// Invalid records skipped (with --skip-invalid).
    pub invalid: u64,
}

/// Parses batches in parallel and applies the invalid-record policy.
pub struct Feed<'a> {
    /// The corpus.
    pub corpus: &'a Corpus,
    /// Skip invalid records instead of failing.
    pub skip_invalid: bool,
    /// Print warnings for skipped records (only in one pass).
    pub warn: bool,
    /// Show progress on stderr.
    pub progress: bool,
}

impl<'a> Feed<'a> {
    /// A feed over `corpus`.
    pub fn new(corpus: &'a Corpus, skip_invalid: bool) -> Feed<'a> {
        let progress = progress_mode() != ProgressMode::Off;
        Feed { corpus, skip_invalid, warn: false, progress }
    }

    /// Reads the whole corpus; `f` gets each batch's raw records and parsed documents (`None`
    /// for skipped ones).
    pub fn pass<F>(&self, label: &str, mut f: F) -> Result<PassStats>
    where
        F: FnMut(&[RawRecord], &[Option<Doc<'_>>]) -> Result<()>,
    {
        let mut stats = PassStats::default();
        let mut meter = Meter::new(self.corpus, label, self.progress);
        let mut failure: Option<anyhow::Error> = None;
        let mut ids = self.warn.then(RepeatedIds::default);
        let outcome = self.corpus.for_each_batch(BATCH_DOCS, BATCH_BYTES, |batch| {
            let parsed: Vec<_> = batch.par_iter().map(|r| self.corpus.parse(r)).collect();
            let mut docs = Vec::with_capacity(parsed.len());
            for p in parsed {
                match p {
                    Ok(d) => docs.push(Some(d)),
                    Err(e) if self.skip_invalid && e.is_record_error() => {
                        if self.warn {
                            log::warn!("skipped: {e}");
                            eprintln!("neardup: warning: skipped {e}");
                        }
                        stats.invalid += 1;
                        docs.push(None);
                    }
                    Err(e) => return Err(e),
                }
            }
            stats.records += batch.len() as u64;
            if let Some(ids) = ids.as_mut() {
                for (r, d) in batch.iter().zip(&docs) {
                    if let Some(d) = d {
                        ids.see(&d.id_json, r.source, r.line);
                    }
                }
            }
            if let Err(e) = f(batch, &docs) {
                failure = Some(e);
                return Err(neardup::Error::InvalidParam {
                    name: "pass",
                    reason: "aborted".into(),
                });
            }
            meter.add(batch.len() as u64);
            Ok(())
        });
        drop(meter);
        if let Some(e) = failure {
            return Err(e);
        }
        outcome?;
        if let Some((id, source, line)) = ids.as_ref().and_then(RepeatedIds::first) {
            eprintln!(
                "neardup: warning: {} records repeat an earlier record's id (first: id {id} at \
                 {}:{line}); outputs that name records by id are ambiguous for them",
                ids.as_ref().map_or(0, RepeatedIds::count),
                self.corpus.source_name(source).display()
            );
        }
        Ok(stats)
    }
}

/// The text of `doc` that settling compares: without the prepended title when `body_only`.
fn compared_text<'d>(doc: &'d neardup::input::Doc<'_>, body_only: bool) -> &'d str {
    if body_only {
        doc.body()
    } else {
        &doc.text
    }
}

/// Settles `res`'s borderline pairs exactly ([`Engine::settle`]): their documents are read
/// again from `corpus` (by place where `at` allows, [`pass_selected`]) and their exact
/// shingle sets compared, for `dedup`. (`cluster` settles in the story pipeline, through
/// [`StoryReader`].)
pub fn settle(
    engine: &Engine,
    fps: &Fingerprints,
    res: &mut Resolution,
    corpus: &Corpus,
    at: &[Option<RecordAt>],
    bp: &Boilerplate,
) -> Result<()> {
    engine.settle(fps, res, neardup::dedup::EXACT_BUDGET, |docs| {
        let mut sets = vec![Default::default(); docs.len()];
        pass_selected(corpus, docs, at, false, |batch| {
            let texts: Vec<Option<&str>> = batch.iter().map(|&(_, t)| Some(t)).collect();
            for (&(d, _), set) in batch.iter().zip(engine.exact_sets(&texts, bp)) {
                if let Ok(i) = docs.binary_search(&d) {
                    sets[i] = set;
                }
            }
            Ok(())
        })?;
        Ok::<_, anyhow::Error>(sets)
    })
}

/// The story pipeline's reads of a corpus ([`neardup::stories::FeedReader`]): whole passes
/// through [`Feed`] (skipped records and repeated ids warned about in the first one only),
/// re-reads of the articles' bodies, titles left out, through [`pass_selected`].
pub struct StoryReader<'a> {
    feed: Feed<'a>,
    passes: usize,
    warn: bool,
}

impl<'a> StoryReader<'a> {
    /// A reader of `corpus` under the invalid-record policy `skip_invalid`.
    pub fn new(corpus: &'a Corpus, skip_invalid: bool) -> StoryReader<'a> {
        StoryReader { feed: Feed::new(corpus, skip_invalid), passes: 0, warn: true }
    }

    /// The reader without warnings, for a caller that read the corpus (and warned) before.
    pub fn quiet(mut self) -> StoryReader<'a> {
        self.warn = false;
        self
    }
}

impl neardup::stories::FeedReader for StoryReader<'_> {
    type Error = anyhow::Error;

    fn pass(
        &mut self,
        label: &str,
        f: &mut neardup::stories::articles::PassFn<'_, anyhow::Error>,
    ) -> Result<()> {
        self.feed.warn = self.warn && self.passes == 0;
        self.passes += 1;
        self.feed.pass(label, |raw, docs| f(raw, docs)).map(|_| ())
    }

    fn reread(
        &mut self,
        wanted: &[u32],
        at: &[Option<RecordAt>],
        f: &mut neardup::stories::articles::RereadFn<'_, anyhow::Error>,
    ) -> Result<()> {
        pass_selected(self.feed.corpus, wanted, at, true, f)
    }
}

/// Reads the records whose ordinals are in `wanted` (sorted) again and parses them, handing
/// each batch of them to `f` as `(ordinal, text)`. Where every source is seekable and `at`
/// (indexed by ordinal) says where each record lies, only those records are read, in
/// parallel; otherwise the corpus is scanned. They were read without error before: an error
/// now means the input changed during the run. With `body_only` the text handed over leaves
/// out the prepended title.
pub fn pass_selected<F>(
    corpus: &Corpus,
    wanted: &[u32],
    at: &[Option<RecordAt>],
    body_only: bool,
    mut f: F,
) -> Result<()>
where
    F: FnMut(&[(u32, &str)]) -> Result<()>,
{
    let located: Option<Vec<RecordAt>> =
        wanted.iter().map(|&d| at.get(d as usize).copied().flatten()).collect();
    if let (true, Some(located)) = (corpus.seekable(), located) {
        let files = corpus.open_files()?;
        for (ords, locs) in wanted.chunks(BATCH_DOCS).zip(located.chunks(BATCH_DOCS)) {
            let raws = ords
                .par_iter()
                .zip(locs)
                .map(|(&d, loc)| corpus.read_at(&files, u64::from(d), loc))
                .collect::<neardup::Result<Vec<RawRecord>>>()?;
            let parsed: Vec<_> = raws.par_iter().map(|r| corpus.parse(r)).collect();
            let mut docs = Vec::with_capacity(parsed.len());
            for (&d, p) in ords.iter().zip(&parsed) {
                match p {
                    Ok(doc) => docs.push((d, compared_text(doc, body_only))),
                    Err(e) => anyhow::bail!("{e} (the input changed during the run?)"),
                }
            }
            f(&docs)?;
        }
        return Ok(());
    }
    let mut failure: Option<anyhow::Error> = None;
    let mut next = 0usize;
    let outcome = corpus.for_each_batch(BATCH_DOCS, BATCH_BYTES, |batch| {
        let mut picked: Vec<&RawRecord> = Vec::new();
        for r in batch {
            while next < wanted.len() && u64::from(wanted[next]) < r.ordinal {
                next += 1;
            }
            if next < wanted.len() && u64::from(wanted[next]) == r.ordinal {
                picked.push(r);
            }
        }
        if picked.is_empty() {
            return Ok(());
        }
        let parsed: Vec<_> = picked.par_iter().map(|r| corpus.parse(r)).collect();
        let mut docs = Vec::with_capacity(parsed.len());
        for (r, p) in picked.iter().zip(&parsed) {
            match p {
                Ok(d) => docs.push((r.ordinal as u32, compared_text(d, body_only))),
                Err(e) => {
                    failure = Some(anyhow::anyhow!("{e} (the input changed during the run?)"));
                    return Err(neardup::Error::InvalidParam {
                        name: "pass",
                        reason: "aborted".into(),
                    });
                }
            }
        }
        if let Err(e) = f(&docs) {
            failure = Some(e);
            return Err(neardup::Error::InvalidParam { name: "pass", reason: "aborted".into() });
        }
        Ok(())
    });
    if let Some(e) = failure {
        return Err(e);
    }
    outcome?;
    Ok(())
}

/// A document read and fingerprinted, with what the store keeps of it.
#[derive(Debug)]
pub struct FedDoc {
    /// Position in the feed (all records, valid or not).
    pub ordinal: u64,
    /// The id as raw JSON.
    pub id_json: String,
    /// Its date, if a date field was given and present.
    pub date: Option<String>,
    /// Text length in bytes.
    pub text_len: u32,
    /// The fingerprint (`None` for skipped records).
    pub fp: Option<neardup::dedup::DocFingerprint>,
}

/// Reads the feed twice (boilerplate lines, then fingerprints) and hands the fingerprinted
/// documents to `f` in chunks of `chunk_docs`, for the store commands.
pub fn fingerprint_chunks<F>(
    engine: &neardup::dedup::Engine,
    corpus: &Corpus,
    skip_invalid: bool,
    chunk_docs: usize,
    mut f: F,
) -> Result<PassStats>
where
    F: FnMut(Vec<FedDoc>) -> Result<()>,
{
    let mut feed = Feed::new(corpus, skip_invalid);
    let (bp, first) = boilerplate_pass(engine, &mut feed)?;
    let mut out = Vec::new();
    let stats = feed.pass("fingerprint", |raw, docs| {
        let texts: Vec<Option<&str>> = docs.iter().map(|d| d.as_ref().map(|d| &*d.text)).collect();
        let fps = engine.fingerprint_texts(&texts, &bp);
        for ((r, d), fp) in raw.iter().zip(docs).zip(fps) {
            if let Some(d) = d {
                out.push(FedDoc {
                    ordinal: r.ordinal,
                    id_json: d.id_json.to_string(),
                    date: d.date.as_deref().map(str::to_owned),
                    text_len: d.text.len().min(u32::MAX as usize) as u32,
                    fp,
                });
            }
        }
        if out.len() >= chunk_docs {
            f(std::mem::take(&mut out))?;
        }
        Ok(())
    })?;
    if !out.is_empty() {
        f(out)?;
    }
    Ok(first.unwrap_or(stats))
}
