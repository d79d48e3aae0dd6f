//! The data-parallel part of story clustering across processes (`cluster --hosts`).
//!
//! ```text
//! pass 1 per share: term and Arabic word-form document frequencies (stories::DocFreqs)
//!   ─exchange by key─► summed ─broadcast─► the same lexicon and weights on every worker
//! pass 2 per share (read again): TF-IDF vectors ─exchange─► worker 0, in record order
//! ```
//!
//! The online clustering itself is sequential by nature (articles in time order, each
//! compared with the stories so far): worker 0 gets the vectors, and the caller runs
//! [`crate::stories::assign`] on them exactly as on one machine. Every worker computes the
//! whole feed's counts, so the vectors are the single machine's bit for bit.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use ahash::AHashMap;
use differential_dataflow::input::Input;
use serde::{Deserialize, Serialize};
use timely::dataflow::operators::probe::Handle;
use timely::dataflow::operators::vec::Broadcast;
use timely::dataflow::operators::{Exchange, Inspect, Probe};

use super::shard::{self, Offsets, PieceCount, Plan};
use super::{execute, Placement, Watch};
use crate::error::{Error, Result};
use crate::input::{Corpus, Doc};
use crate::normalize::stem::Lexicon;
use crate::stories::{self, SparseVec, StoryParams, Vectorizer};

/// Records per batch when reading a share.
const BATCH_DOCS: usize = 1024;
/// Bytes per batch when reading a share.
const BATCH_BYTES: usize = 32 << 20;

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

/// Computes the story vectors of `corpus` as this process's part of a distributed run (all
/// processes call it alike); process 0 gets them back, the others `None`.
///
/// # Errors
/// The read errors of a share (named by the worker that met them, [`Error::Worker`]), or
/// [`Error::Peer`] when a process was lost.
pub fn story_vectors(
    place: &Placement,
    watch: &Watch,
    corpus: Arc<Corpus>,
    params: StoryParams,
    skip_invalid: bool,
) -> Result<Option<StoryVectors>> {
    let guards = execute(place, watch, move |worker| work(worker, params, &corpus, skip_invalid))?;
    let mut gathered = None;
    let mut first_error = None;
    let mut panicked = false;
    for (w, r) in guards.join().into_iter().enumerate() {
        match r {
            Ok(Ok(Some(g))) => gathered = Some(g),
            Ok(Ok(None)) => {}
            Ok(Err(e)) => {
                first_error.get_or_insert(e);
            }
            Err(e) => {
                panicked = true;
                first_error.get_or_insert(Error::Worker { worker: w, reason: e });
            }
        }
    }
    match first_error {
        // A read error reaches every worker with its text: it is the cause, even when a
        // process that stopped on it first has closed its connections. A thread that broke
        // off names the lost process, when one was lost.
        Some(e) if panicked => Err(watch.lost().unwrap_or(e)),
        Some(e) => Err(e),
        None => Ok(gathered),
    }
}

/// One worker: pass 1 counts its share as one machine's first pass does
/// ([`stories::DocFreqs`]); the counts are summed by key and known to every worker, so that
/// each builds the same vectorizer (lexicon) and weights. Pass 2 reads the share again and
/// sends each article's vector to worker 0.
fn work(
    worker: &mut timely::worker::Worker,
    params: StoryParams,
    corpus: &Corpus,
    skip_invalid: bool,
) -> Result<Option<StoryVectors>> {
    let index = worker.index();
    let peers = worker.peers();
    // The plan and this worker's count pass: every worker learns every piece's first ordinal
    // (phase 0), so that records keep the single machine's ordinals and line numbers.
    let (plan, mine, own_counts) = match Plan::new(corpus, peers) {
        Ok(plan) => {
            let mine = plan.of(index);
            let counts: Result<Vec<(u64, PieceCount)>> = mine
                .iter()
                .map(|&i| Ok((i as u64, shard::count_piece(corpus, &plan.pieces[i])?)))
                .collect();
            (plan, mine, counts)
        }
        Err(e) => (Plan { pieces: Vec::new() }, Vec::new(), Err(e)),
    };
    let mut failure = None;
    let own_counts = own_counts.unwrap_or_else(|e| {
        failure = Some(e.to_string());
        Vec::new()
    });

    let terms_seen: Rc<RefCell<AHashMap<u32, u32>>> = Rc::new(RefCell::new(AHashMap::new()));
    let forms_seen: Rc<RefCell<stories::FormCounts>> = Rc::new(RefCell::new(AHashMap::new()));
    let total = Rc::new(RefCell::new(0isize));
    let errors: Rc<RefCell<Vec<(usize, String)>>> = Rc::new(RefCell::new(Vec::new()));
    let sent: Rc<RefCell<Vec<StoryArticle>>> = Rc::new(RefCell::new(Vec::new()));
    let counts_seen: Rc<RefCell<Vec<(u64, PieceCount)>>> = Rc::new(RefCell::new(Vec::new()));
    let (probe, probe2) = (Handle::new(), Handle::new());
    let (mut count_in, mut term_in, mut form_in, mut n_in, mut err_in, mut vec_in) = worker
        .dataflow::<u32, _, _>(|scope| {
            let (count_in, counts) = scope.new_collection::<(u64, PieceCount), isize>();
            let sink = counts_seen.clone();
            counts
                .inner
                .broadcast()
                .inspect(move |(c, _time, r)| {
                    if *r > 0 {
                        sink.borrow_mut().push(*c);
                    }
                })
                .probe_with(&probe);
            let (term_in, terms) = scope.new_collection::<u32, isize>();
            let (form_in, forms) = scope.new_collection::<(u64, String), isize>();
            let (n_in, ns) = scope.new_collection::<(), isize>();
            let (err_in, errs) = scope.new_collection::<(usize, String), isize>();
            let (vec_in, vecs) = scope.new_collection::<StoryArticle, isize>();
            // Document frequencies: summed by key, then known to every worker.
            let sink = terms_seen.clone();
            terms
                .count()
                .inner
                .broadcast()
                .inspect(move |((t, n), _time, r)| {
                    if *r > 0 {
                        sink.borrow_mut().insert(*t, *n as u32);
                    }
                })
                .probe_with(&probe);
            let sink = forms_seen.clone();
            forms
                .count()
                .inner
                .broadcast()
                .inspect(move |(((h, f), n), _time, r)| {
                    if *r > 0 {
                        sink.borrow_mut().insert(*h, (*n as u32, f.as_str().into()));
                    }
                })
                .probe_with(&probe);
            let sink = total.clone();
            ns.count()
                .inner
                .broadcast()
                .inspect(move |(((), n), _time, r)| *sink.borrow_mut() += n * r)
                .probe_with(&probe);
            let sink = errors.clone();
            errs.inner
                .broadcast()
                .inspect(move |(e, _t, _r)| sink.borrow_mut().push(e.clone()))
                .probe_with(&probe);
            let sink = sent.clone();
            vecs.inner
                .exchange(|_| 0)
                .inspect(move |(x, _t, r)| {
                    if *r > 0 {
                        sink.borrow_mut().push(x.clone());
                    }
                })
                .probe_with(&probe2);
            (count_in, term_in, form_in, n_in, err_in, vec_in)
        });

    // Phase 0: every piece's count.
    for c in own_counts {
        count_in.insert(c);
    }
    if let Some(e) = &failure {
        err_in.insert((index, e.clone()));
    }
    for input in [
        &mut count_in as &mut dyn Advance,
        &mut term_in,
        &mut form_in,
        &mut n_in,
        &mut err_in,
        &mut vec_in,
    ] {
        input.advance_and_flush(1);
    }
    worker.step_while(|| probe.less_than(&1));
    let mut counts = std::mem::take(&mut *counts_seen.borrow_mut());
    counts.sort_unstable();
    let counts: Vec<PieceCount> = counts.into_iter().map(|(_, c)| c).collect();
    let offsets = Offsets::new(&plan, &counts);
    let mut failed = errors.borrow().first().cloned();

    // Pass 1 over the share: the first pass's counts.
    let counter = Vectorizer::new(params);
    let mut local = stories::DocFreqs::default();
    if failed.is_none() {
        let read = read_share(corpus, &plan, &offsets, &mine, skip_invalid, true, |batch| {
            for (_, d) in batch {
                local.add(counter.doc_forms(&d.text));
            }
        });
        if let Err(e) = read {
            local = stories::DocFreqs::default();
            err_in.insert((index, e.to_string()));
        }
    }

    // Phase 1: the first pass's counts (pre-summed per worker) and the number of articles.
    let (terms, forms, n) = local.into_parts();
    for (t, c) in terms {
        term_in.update(t, c as isize);
    }
    for (h, (c, f)) in forms {
        form_in.update((h, f.into_string()), c as isize);
    }
    n_in.update((), n as isize);
    for input in [
        &mut count_in as &mut dyn Advance,
        &mut term_in,
        &mut form_in,
        &mut n_in,
        &mut err_in,
        &mut vec_in,
    ] {
        input.advance_and_flush(2);
    }
    worker.step_while(|| probe.less_than(&2));
    if failed.is_none() {
        failed = errors.borrow().first().cloned();
    }
    let total = (*total.borrow()).max(0) as u64;
    let freqs = stories::DocFreqs::from_parts(
        std::mem::take(&mut *terms_seen.borrow_mut()),
        std::mem::take(&mut *forms_seen.borrow_mut()),
        total,
    );
    let (vectorizer, df) = freqs.finish(params, None);

    // Phase 2: the share read again, vectors weighed with the global statistics, sent to
    // worker 0.
    let mut reread = None;
    if failed.is_none() {
        let n = total as f32;
        let outcome = read_share(corpus, &plan, &offsets, &mine, skip_invalid, false, |batch| {
            for (ordinal, d) in batch {
                let v = stories::weigh(
                    vectorizer.term_counts(None, &d.text),
                    |t| df.get(&t).copied().unwrap_or(1) as f32,
                    n,
                );
                vec_in.insert(StoryArticle {
                    ordinal: *ordinal,
                    vector: v.into_iter().map(|(t, x)| (t, x.to_bits())).collect(),
                    id_json: d.id_json.to_string(),
                    title: stories::title_of(&d.text),
                    date: d.date.as_deref().map(str::to_owned),
                });
            }
        });
        reread = outcome.err();
    }
    vec_in.advance_and_flush(3);
    worker.step_while(|| probe2.less_than(&3));
    drop((count_in, term_in, form_in, n_in, err_in, vec_in));
    if let Some((w, reason)) = failed {
        return Err(Error::Worker { worker: w, reason });
    }
    if let Some(e) = reread {
        return Err(e);
    }
    if index != 0 {
        return Ok(None);
    }
    let mut articles = std::mem::take(&mut *sent.borrow_mut());
    articles.sort_unstable_by_key(|a| a.ordinal);
    Ok(Some(StoryVectors { articles, lexicon: vectorizer.lexicon().clone() }))
}

/// Advancing any of the input sessions.
trait Advance {
    fn advance_and_flush(&mut self, t: u32);
}

impl<D: differential_dataflow::ExchangeData> Advance
    for differential_dataflow::input::InputSession<u32, D, isize>
{
    fn advance_and_flush(&mut self, t: u32) {
        self.advance_to(t);
        self.flush();
    }
}

/// Reads this worker's pieces of the feed (`mine`, with the plan's global ordinals) and
/// parses them, handing each batch to `f` as `(ordinal, document)`. Invalid records are
/// skipped under `skip_invalid` (with a warning on stderr when `warn`), else the first one
/// stops the read with its error.
fn read_share<F>(
    corpus: &Corpus,
    plan: &Plan,
    offsets: &Offsets,
    mine: &[usize],
    skip_invalid: bool,
    warn: bool,
    mut f: F,
) -> Result<()>
where
    F: FnMut(&[(u32, Doc<'_>)]),
{
    shard::read_pieces(corpus, plan, offsets, mine, BATCH_DOCS, BATCH_BYTES, |batch| {
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
