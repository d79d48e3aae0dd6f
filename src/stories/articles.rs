//! Reading a feed for the story pipeline: two passes over the corpus give each article's
//! [`Article`] (id, title, date), its TF-IDF vector and, on the way, its accepted
//! near-duplicate pairs ([`ReadArticles`]).
//!
//! Pass 1 counts document frequencies and the stemmer's lexicon ([`DocFreqs`]) and, for
//! near-duplicate detection, the feed's lines (boilerplate). Pass 2 normalizes each article's
//! title and body once, for its fingerprint (on the body: near-duplicates are found on the
//! article's own text, as `dedup` finds them without a title field) and for its vector. The
//! borderline pairs are then settled on their bodies, read again ([`FeedReader::reread`]).
//! How records are read, skipped and shown in progress belongs to the caller, through
//! [`FeedReader`].

use ahash::AHashMap;
use rayon::prelude::*;

use super::{title_of, weigh, DocFreqs, SparseVec, StoryParams, Term, Vectorizer, UNDATED};
use crate::boilerplate::Boilerplate;
use crate::dedup::{DedupConfig, Engine, Fingerprints, EXACT_BUDGET};
use crate::input::{parse_timestamp, Doc, RawRecord, RecordAt};
use crate::normalize::NormalizedLines;
use crate::store::stories::StoryStore;

/// What a whole pass hands each batch to: its raw records and their parsed documents (`None`
/// for a record skipped as invalid).
pub type PassFn<'f, E> = dyn FnMut(&[RawRecord], &[Option<Doc<'_>>]) -> Result<(), E> + 'f;

/// What a re-read hands each batch to: `(ordinal, body)` of the records asked for.
pub type RereadFn<'f, E> = dyn FnMut(&[(u32, &str)]) -> Result<(), E> + 'f;

/// How the story pipeline reads a feed: whole passes in record order and a re-read of chosen
/// records. The command line implements it over its corpus (invalid-record policy, warnings
/// and progress); the pipeline calls [`FeedReader::pass`] twice and [`FeedReader::reread`]
/// at most once per settling round.
pub trait FeedReader {
    /// The error of a read (and of the pipeline's own steps, converted).
    type Error: From<crate::Error>;

    /// Reads every record once, in order; `f` gets each batch's raw records and parsed
    /// documents (`None` for a record skipped as invalid). `label` names the pass.
    ///
    /// # Errors
    /// A read error, or the first error `f` returns.
    fn pass(&mut self, label: &str, f: &mut PassFn<'_, Self::Error>) -> Result<(), Self::Error>;

    /// Reads the records whose ordinals are in `wanted` (sorted) again; `f` gets each batch
    /// of them as `(ordinal, body)`, the body without the prepended title
    /// ([`Doc::body`]). `at` (by ordinal) says where each record of the passes lies.
    ///
    /// # Errors
    /// A read error (the input changed during the run), or the first error `f` returns.
    fn reread(
        &mut self,
        wanted: &[u32],
        at: &[Option<RecordAt>],
        f: &mut RereadFn<'_, Self::Error>,
    ) -> Result<(), Self::Error>;
}

/// What the story pipeline keeps of each article.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Article {
    /// The id as raw JSON.
    pub id_json: String,
    /// The first non-blank line, at most 200 characters ([`title_of`]).
    pub title: String,
    /// The date as given.
    pub date: Option<String>,
    /// The date in seconds since 1970, when it parses.
    pub time: Option<i64>,
    /// The truth label (`eval clusters`), when a truth field was asked for.
    pub truth: Option<String>,
}

impl Article {
    /// An article from its id, title and date as written (the time parsed from the date).
    pub fn new(id_json: String, title: String, date: Option<String>) -> Article {
        Article {
            time: date.as_deref().and_then(parse_timestamp),
            id_json,
            title,
            date,
            truth: None,
        }
    }
}

/// The times of articles for the assignment ([`UNDATED`] where unknown).
pub fn times_of(articles: &[Article]) -> Vec<i64> {
    articles.iter().map(|a| a.time.unwrap_or(UNDATED)).collect()
}

/// A warning to show when the date field `field` is in no article, or holds values that are
/// not ISO 8601 dates (those articles are undated: time is no evidence for them); `None`
/// when every date given parses.
pub fn date_warning(field: &str, articles: &[Article]) -> Option<String> {
    if articles.is_empty() {
        return None;
    }
    if !articles.iter().any(|a| a.date.is_some()) {
        return Some(format!(
            "no article has a date in field {field:?}: stories are formed without time"
        ));
    }
    let mut bad = articles.iter().filter(|a| a.date.is_some() && a.time.is_none());
    let first = bad.next()?;
    Some(format!(
        "{} of {} articles have a {field:?} that is not an ISO 8601 date (first: id {} with \
         {:?}); they are taken as undated",
        bad.count() + 1,
        articles.len(),
        first.id_json,
        first.date.as_deref().unwrap_or_default()
    ))
}

/// A feed's own term statistics (without a story store's history): what a store adds to its
/// own after a run.
#[derive(Clone, Debug, Default)]
pub struct TermStats {
    /// Document frequency of each term over the feed's articles.
    pub df: AHashMap<Term, u32>,
    /// The feed's articles.
    pub articles: u64,
}

/// What reading a feed yields, the input of the assignment ([`super::StoryPipeline::assign`]).
#[derive(Debug)]
pub struct ReadArticles {
    /// The articles, in record order (skipped records left out).
    pub articles: Vec<Article>,
    /// Each article's TF-IDF vector.
    pub vectors: Vec<SparseVec>,
    /// The accepted near-duplicate pairs as article indices; `None` without dedup.
    pub duplicate_pairs: Option<Vec<(u32, u32)>>,
    /// The feed's own term statistics.
    pub own: TermStats,
    /// The vectorizer of the second pass (its stemmer's lexicon: the history's and the
    /// feed's), for the story terms shown.
    pub vectorizer: Vectorizer,
}

/// How to read a feed for stories.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// Find near-duplicates on the way, at `dedup`'s defaults (each component one story).
    pub dedup: bool,
    /// A field of each record whose value is the article's truth label (`eval clusters`).
    pub truth_field: Option<String>,
}

impl Default for ReadOptions {
    fn default() -> ReadOptions {
        ReadOptions { dedup: true, truth_field: None }
    }
}

/// The value of `field` in a JSON record, as a label (strings as they are, other values as
/// JSON; `None` when absent or null).
fn truth_of(record: &[u8], field: &str) -> Option<String> {
    let line = std::str::from_utf8(record).unwrap_or("");
    let value: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
    match &value[field] {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// An article's title and body, each normalized once.
struct Parts {
    title: Option<NormalizedLines>,
    body: NormalizedLines,
}

/// Reads a feed in two passes ([`FeedReader::pass`]), with near-duplicate detection on the
/// way when `opts.dedup` is set. `history` adds a story store's term statistics and lexicon
/// to the feed's for the inverse document frequencies and the stemmer.
///
/// # Errors
/// The reader's errors; dedup's ([`crate::Error`], converted).
pub fn read<R: FeedReader>(
    reader: &mut R,
    params: &StoryParams,
    opts: &ReadOptions,
    history: Option<&StoryStore>,
) -> Result<ReadArticles, R::Error> {
    let counter_v = Vectorizer::new(*params);
    let engine = if opts.dedup { Some(Engine::new(DedupConfig::default())?) } else { None };
    let mut counter = engine.as_ref().map(Engine::line_counter);
    // Pass 1: document frequencies and the stemmer's lexicon (and boilerplate lines).
    let mut freqs = DocFreqs::default();
    reader.pass("counting terms", &mut |_, docs| {
        let forms: Vec<_> =
            docs.par_iter().flatten().map(|d| counter_v.doc_forms(&d.text)).collect();
        for f in forms {
            freqs.add(f);
        }
        if let (Some(e), Some(c)) = (&engine, counter.as_mut()) {
            // Near-duplicates are found on the articles' own text, titles left out.
            let texts: Vec<Option<&str>> =
                docs.iter().map(|d| d.as_ref().map(|d| d.body())).collect();
            e.count_lines(&texts, c);
        }
        Ok(())
    })?;
    let bp = match (&engine, counter) {
        (Some(e), Some(c)) => e.boilerplate(c),
        _ => Boilerplate::none(),
    };
    let mut n = freqs.articles();
    let (vectorizer, mut df) = freqs.finish(*params, history.map(|h| &h.lexicon));
    let own = TermStats { df: df.clone(), articles: n };
    if let Some(h) = history {
        for &(t, d) in &h.df {
            *df.entry(t).or_insert(0) += d;
        }
        n += h.articles;
    }
    // Pass 2: vectors, ids, titles, dates (and fingerprints).
    let mut articles = Vec::new();
    let mut vectors = Vec::new();
    let mut fps = Fingerprints::default();
    let mut at: Vec<Option<RecordAt>> = Vec::new();
    // The record ordinal of each article (dedup numbers every record, valid or not).
    let mut ordinals: Vec<u32> = Vec::new();
    reader.pass("vectors", &mut |raw, docs| {
        let lines: Vec<Option<Parts>> = docs
            .par_iter()
            .map(|d| {
                d.as_ref().map(|d| Parts {
                    title: d.title().map(|t| vectorizer.lines_of(t)),
                    body: vectorizer.lines_of(d.body()),
                })
            })
            .collect();
        if let Some(e) = &engine {
            let texts: Vec<Option<(&str, &NormalizedLines)>> = docs
                .iter()
                .zip(&lines)
                .map(|(d, l)| Some((d.as_ref()?.body(), &l.as_ref()?.body)))
                .collect();
            e.add_batch_normalized(&texts, &bp, &mut fps)?;
            at.extend(raw.iter().map(RawRecord::at));
        }
        let vecs: Vec<Option<SparseVec>> = docs
            .par_iter()
            .zip(&lines)
            .map(|(d, l)| {
                let (d, l) = (d.as_ref()?, l.as_ref()?);
                let title = d.title().zip(l.title.as_ref());
                Some(weigh(
                    vectorizer.term_counts_of_parts(title, (d.body(), &l.body)),
                    |t| df.get(&t).copied().unwrap_or(1) as f32,
                    n as f32,
                ))
            })
            .collect();
        for ((r, d), v) in raw.iter().zip(docs).zip(vecs) {
            let (Some(d), Some(v)) = (d, v) else { continue };
            let mut article = Article::new(
                d.id_json.to_string(),
                title_of(&d.text),
                d.date.as_deref().map(str::to_owned),
            );
            article.truth = opts.truth_field.as_deref().and_then(|f| truth_of(&r.bytes, f));
            articles.push(article);
            vectors.push(v);
            ordinals.push(u32::try_from(r.ordinal).unwrap_or(u32::MAX));
        }
        Ok(())
    })?;
    // The accepted near-duplicate pairs, as article indices.
    let mut duplicate_pairs = None;
    if let Some(engine) = &engine {
        let mut res = engine.resolve(&mut fps)?;
        engine.settle(&fps, &mut res, EXACT_BUDGET, |docs| {
            let mut sets = vec![Default::default(); docs.len()];
            reader.reread(docs, &at, &mut |batch| {
                let texts: Vec<Option<&str>> = batch.iter().map(|&(_, t)| Some(t)).collect();
                for (&(d, _), set) in batch.iter().zip(engine.exact_sets(&texts, &bp)) {
                    if let Ok(i) = docs.binary_search(&d) {
                        sets[i] = set;
                    }
                }
                Ok(())
            })?;
            Ok::<_, R::Error>(sets)
        })?;
        let mut article_of = vec![u32::MAX; fps.len()];
        for (i, &o) in ordinals.iter().enumerate() {
            if let Some(x) = article_of.get_mut(o as usize) {
                *x = i as u32;
            }
        }
        let of = |o: u32| article_of.get(o as usize).copied().unwrap_or(u32::MAX);
        duplicate_pairs = Some(
            res.pairs
                .iter()
                .map(|p| (of(p.a), of(p.b)))
                .filter(|&(a, b)| a != u32::MAX && b != u32::MAX)
                .collect(),
        );
    }
    Ok(ReadArticles { articles, vectors, duplicate_pairs, own, vectorizer })
}

/// One article of a [`MemoryFeed`]: what a feed record holds for the story pipeline.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryRecord {
    /// The id as raw JSON (a string quoted, a number as written).
    pub id_json: String,
    /// The title, prepended to the body as `cluster --title-field` prepends it (`None` or
    /// empty: none).
    pub title: Option<String>,
    /// The article's own text.
    pub body: String,
    /// The date as written (ISO 8601 to count as a time).
    pub date: Option<String>,
}

impl MemoryRecord {
    /// The text as `cluster --title-field` reads the record: the title, a newline and the
    /// body, or the body alone without a title.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        match self.title.as_deref() {
            Some(t) if !t.is_empty() => std::borrow::Cow::Owned(format!("{t}\n{}", self.body)),
            _ => std::borrow::Cow::Borrowed(&self.body),
        }
    }
}

/// Records a [`MemoryFeed`] hands over per batch.
const MEMORY_BATCH: usize = 1024;

/// A feed held in memory ([`FeedReader`]): every record is valid and read as `cluster` reads
/// a JSONL record with the same fields (title prepended with a newline, near-duplicates found
/// on the body), so the pipeline run on it makes the stories `cluster` makes of those
/// records. Article `i` of the run is record `i`.
#[derive(Clone, Debug, Default)]
pub struct MemoryFeed {
    records: Vec<MemoryRecord>,
}

impl MemoryFeed {
    /// The feed of `records`, in this order.
    pub fn new(records: Vec<MemoryRecord>) -> MemoryFeed {
        MemoryFeed { records }
    }

    /// Its records.
    pub fn records(&self) -> &[MemoryRecord] {
        &self.records
    }

    /// The document of record `i` as the corpus parser makes it.
    fn doc(&self, i: usize) -> Doc<'_> {
        let r = &self.records[i];
        let text = r.text();
        let title_len = text.len() - r.body.len();
        Doc {
            id_json: std::borrow::Cow::Borrowed(&r.id_json),
            text,
            date: r.date.as_deref().map(std::borrow::Cow::Borrowed),
            title_len,
        }
    }
}

impl FeedReader for MemoryFeed {
    type Error = crate::Error;

    fn pass(&mut self, _label: &str, f: &mut PassFn<'_, crate::Error>) -> crate::Result<()> {
        for start in (0..self.records.len()).step_by(MEMORY_BATCH) {
            let end = (start + MEMORY_BATCH).min(self.records.len());
            // Records without bytes: the pipeline reads a record's bytes only for a truth
            // field, which a memory feed does not carry.
            let raw: Vec<RawRecord> = (start..end)
                .map(|i| RawRecord {
                    ordinal: i as u64,
                    source: 0,
                    line: i as u64 + 1,
                    offset: 0,
                    bytes: crate::input::RecordBytes::from_vec(Vec::new()),
                    too_long: None,
                })
                .collect();
            let docs: Vec<Option<Doc<'_>>> = (start..end).map(|i| Some(self.doc(i))).collect();
            f(&raw, &docs)?;
        }
        Ok(())
    }

    fn reread(
        &mut self,
        wanted: &[u32],
        _at: &[Option<RecordAt>],
        f: &mut RereadFn<'_, crate::Error>,
    ) -> crate::Result<()> {
        for chunk in wanted.chunks(MEMORY_BATCH) {
            let mut batch = Vec::with_capacity(chunk.len());
            for &o in chunk {
                let r = self.records.get(o as usize).ok_or_else(|| crate::Error::InvalidParam {
                    name: "reread",
                    reason: format!("record {o} is not in the feed of {}", self.records.len()),
                })?;
                batch.push((o, r.body.as_str()));
            }
            f(&batch)?;
        }
        Ok(())
    }
}
