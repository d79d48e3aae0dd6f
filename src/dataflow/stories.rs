//! The data-parallel part of story clustering across processes (`cluster --hosts`).
//!
//! ```text
//! pass 1 per share: term and Arabic word-form document frequencies (stories::DocFreqs)
//!   ─exchange by key─► summed ─broadcast─► the same lexicon and weights on every worker
//! pass 2 per share (read again): TF-IDF vectors ─exchange─► worker 0, in record order
//! ```
//!
//! The online clustering itself is sequential by nature (articles in time order, each
//! compared with the stories so far): worker 0 gets the vectors, and the caller assigns them
//! with the story pipeline ([`StoryVectors::into_read`], then
//! [`crate::stories::StoryPipeline::assign`]) exactly as on one machine. Every worker computes the
//! whole feed's counts, so the vectors are the single machine's bit for bit.

use std::sync::Arc;

use ahash::AHashMap;
use serde::{Deserialize, Serialize};

use super::driver::{exchange, plan_share, spread, Share};
use super::{execute, join, Placement, Watch};
use crate::error::Result;
use crate::input::{Corpus, Doc};
use crate::normalize::stem::Lexicon;
use crate::stories::articles::TermStats;
use crate::stories::{self, Article, ReadArticles, SparseVec, StoryParams, Vectorizer};

/// An article as sent to worker 0: its record ordinal, TF-IDF vector (weights as `f32` bits,
/// so that the record is ordered and hashable), id as raw JSON, title and date.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct StoryArticle {
    /// Record ordinal in the whole corpus.
    pub ordinal: u32,
    /// `(term, f32 bits)`, sorted by term.
    pub vector: Vec<(u32, u32)>,
    /// Id as raw JSON.
    pub id_json: String,
    /// Title ([`stories::title_of`] of the text).
    pub title: String,
    /// Date as written, if any.
    pub date: Option<String>,
}

impl StoryArticle {
    /// The vector with its weights as `f32`.
    pub fn weights(&self) -> SparseVec {
        self.vector.iter().map(|&(t, x)| (t, f32::from_bits(x))).collect()
    }
}

/// What process 0 gets back: every article of the feed in record order, and the stemmer's
/// lexicon the vectors were made with (for the story summaries).
#[derive(Debug)]
pub struct StoryVectors {
    /// The articles, by ordinal.
    pub articles: Vec<StoryArticle>,
    /// The whole feed's lexicon.
    pub lexicon: Lexicon,
}

impl StoryVectors {
    /// The articles as the story pipeline's input ([`crate::stories::StoryPipeline::assign`]),
    /// as one machine reads them: `pairs` are the accepted near-duplicate pairs by record
    /// ordinal (`None` without dedup), turned into article indices; `params` those the vectors
    /// were made with (the vectorizer's, for the terms shown).
    pub fn into_read(self, params: StoryParams, pairs: Option<&[(u32, u32)]>) -> ReadArticles {
        let mut articles = Vec::with_capacity(self.articles.len());
        let mut vectors = Vec::with_capacity(self.articles.len());
        let mut article_of: AHashMap<u32, u32> = AHashMap::new();
        for sent in self.articles {
            article_of.insert(sent.ordinal, articles.len() as u32);
            vectors.push(sent.weights());
            articles.push(Article::new(sent.id_json, sent.title, sent.date));
        }
        let duplicate_pairs = pairs.map(|pairs| {
            pairs
                .iter()
                .filter_map(|(a, b)| Some((*article_of.get(a)?, *article_of.get(b)?)))
                .collect()
        });
        ReadArticles {
            articles,
            vectors,
            duplicate_pairs,
            own: TermStats::default(),
            // The stemmer's lexicon is the whole feed's, counted across the processes.
            vectorizer: Vectorizer::with_lexicon(params, self.lexicon),
        }
    }
}

/// A first-pass count as it travels: a term's or an Arabic word form's document frequency,
/// or a number of articles.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
enum Count {
    /// `(term, articles)`.
    Term(u32, u32),
    /// `(XXH3-64 of the form, articles, the form)`.
    Form(u64, u32, String),
    /// Articles counted, and those of them with Arabic words.
    Articles(u64, u64),
}

impl Count {
    /// The worker that sums this key.
    fn route(&self) -> u64 {
        match self {
            Count::Term(t, _) => spread(u64::from(*t)),
            Count::Form(h, ..) => spread(*h),
            Count::Articles(..) => 0,
        }
    }
}

/// Computes the story vectors of `corpus` as this process's part of a distributed run (all
/// processes call it alike); process 0 gets them back, the others `None`.
///
/// # Errors
/// The read errors of a share (named by the worker that met them, [`crate::Error::Worker`] on the
/// others), or [`crate::Error::Peer`] when a process was lost.
pub fn story_vectors(
    place: &Placement,
    watch: &Watch,
    corpus: Arc<Corpus>,
    params: StoryParams,
    skip_invalid: bool,
) -> Result<Option<StoryVectors>> {
    let run = watch.clone();
    let guards =
        execute(place, watch, move |worker| work(worker, &run, params, &corpus, skip_invalid))?;
    Ok(join(guards, watch)?.into_iter().flatten().next())
}

/// One worker: the plan and count pass give global ordinals ([`plan_share`]); pass 1 counts
/// the share as one machine's first pass does ([`stories::DocFreqs`]), the counts are summed by
/// key and known to every worker, so that each builds the same vectorizer (lexicon) and
/// weights; pass 2 reads the share again and sends each article's vector to worker 0.
fn work(
    worker: &mut timely::worker::Worker,
    watch: &Watch,
    params: StoryParams,
    corpus: &Corpus,
    skip_invalid: bool,
) -> Result<Option<StoryVectors>> {
    let share = plan_share(worker, corpus, watch)?;
    let counter = Vectorizer::new(params);
    let mut local = stories::DocFreqs::default();
    let read = read_share(corpus, &share, skip_invalid, true, |batch| {
        for (_, d) in batch {
            local.add(counter.doc_forms(&d.text));
        }
    });
    let partial = read.map(|()| {
        let (terms, forms, n) = local.into_parts();
        let mut out: Vec<Count> = terms.into_iter().map(|(t, c)| Count::Term(t, c)).collect();
        out.extend(forms.into_iter().map(|(h, (c, f))| Count::Form(h, c, f.into_string())));
        out.push(Count::Articles(n[0], n[1]));
        out
    });
    let partial = exchange(worker, watch, partial, Some(Box::new(Count::route)))?;
    let summed = exchange(worker, watch, Ok(sum(partial)), None)?;
    let (mut terms, mut forms, mut total) =
        (AHashMap::new(), stories::FormCounts::new(), [0u64; 2]);
    for c in summed {
        match c {
            Count::Term(t, n) => {
                terms.insert(t, n);
            }
            Count::Form(h, n, f) => {
                forms.insert(h, (n, f.into_boxed_str()));
            }
            Count::Articles(n, a) => {
                total[0] += n;
                total[1] += a;
            }
        }
    }
    let (vectorizer, df) = stories::DocFreqs::from_parts(terms, forms, total).finish(params, None);

    let mut articles = Vec::new();
    let n = total[0] as f32;
    let read = read_share(corpus, &share, skip_invalid, false, |batch| {
        for (ordinal, d) in batch {
            let v = stories::weigh(
                vectorizer.term_counts(None, &d.text),
                |t| df.get(&t).copied().unwrap_or(1) as f32,
                n,
            );
            articles.push(StoryArticle {
                ordinal: *ordinal,
                vector: v.into_iter().map(|(t, x)| (t, x.to_bits())).collect(),
                id_json: d.id_json.to_string(),
                title: stories::title_of(&d.text),
                date: d.date.as_deref().map(str::to_owned),
            });
        }
    });
    let mut articles =
        exchange(worker, watch, read.map(|()| articles), Some(Box::new(|_: &StoryArticle| 0)))?;
    if worker.index() != 0 {
        return Ok(None);
    }
    articles.sort_unstable_by_key(|a| a.ordinal);
    Ok(Some(StoryVectors { articles, lexicon: vectorizer.lexicon().clone() }))
}

/// The counts that reached this worker, summed by key (terms and forms; articles in one).
fn sum(partial: Vec<Count>) -> Vec<Count> {
    let mut terms: AHashMap<u32, u32> = AHashMap::new();
    let mut forms: AHashMap<u64, (u32, String)> = AHashMap::new();
    let mut articles = [0u64; 2];
    for c in partial {
        match c {
            Count::Term(t, n) => *terms.entry(t).or_insert(0) += n,
            Count::Form(h, n, f) => forms.entry(h).or_insert((0, f)).0 += n,
            Count::Articles(n, a) => {
                articles[0] += n;
                articles[1] += a;
            }
        }
    }
    let mut out: Vec<Count> = terms.into_iter().map(|(t, n)| Count::Term(t, n)).collect();
    out.extend(forms.into_iter().map(|(h, (n, f))| Count::Form(h, n, f)));
    out.push(Count::Articles(articles[0], articles[1]));
    out
}

/// Reads this worker's share of the feed and parses it, handing each batch to `f` as
/// `(ordinal, document)`. Invalid records are skipped under `skip_invalid` (with a warning on
/// stderr when `warn`), else the first one stops the read with its error.
fn read_share<F>(
    corpus: &Corpus,
    share: &Share,
    skip_invalid: bool,
    warn: bool,
    mut f: F,
) -> Result<()>
where
    F: FnMut(&[(u32, Doc<'_>)]),
{
    share.read(corpus, |batch| {
        let mut docs = Vec::with_capacity(batch.len());
        for r in batch {
            match corpus.parse(r) {
                Ok(d) => docs.push((r.ordinal as u32, d)),
                Err(e) if skip_invalid && e.is_record_error() => {
                    if warn {
                        eprintln!("neardup: warning: skipped {e}");
                    }
                }
                Err(e) => return Err(e),
            }
        }
        f(&docs);
        Ok(())
    })
}
