//! `--hosts FILE --process-id I --workers W`: the flags of a distributed run turned into the
//! library's [`neardup::dataflow`] calls, and the outputs written. `dedup` runs entirely in
//! the library; `cluster` counts terms and document frequencies on the dataflow and assigns
//! stories with the single-machine function on worker 0.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use differential_dataflow::input::Input;
use timely::dataflow::operators::probe::Handle;
use timely::dataflow::operators::vec::Broadcast;
use timely::dataflow::operators::{Exchange, Inspect, Probe};

use super::args::DedupArgs;
use super::config;
use neardup::dataflow::{self, DedupJob, Placement};
use neardup::input::Corpus;
use neardup::stories;

/// This process's place, from the flags.
fn placement(hosts: &Path, process: usize, workers: usize) -> Result<Placement> {
    let list = dataflow::read_hosts(hosts)?;
    Ok(Placement::new(list, process, workers)?)
}

/// What every process must agree on besides the host file: the command's own parameters
/// (`what`, as Debug text) and how records are read. Input paths may differ between machines.
fn params_fingerprint(what: &str, input: &super::args::InputArgs) -> String {
    let text = format!(
        "{what} {:?} {:?} {:?} {:?} {:?} {:?} {}",
        input.format,
        input.text_field,
        input.id_field,
        input.title_field,
        input.date_field,
        input.skip_invalid,
        input.max_doc_bytes
    );
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()))
}

/// Opens the inputs of a distributed run: files only (every process reads its share of them).
fn open_inputs(input: &super::args::InputArgs) -> Result<Corpus> {
    if input.inputs.is_empty() || input.inputs.iter().any(|p| p.as_os_str() == "-") {
        bail!("--hosts reads its share of named input files: give the input paths (not stdin)");
    }
    super::feed::open_corpus(input)
}

/// A path's temporary sibling, renamed into place once written.
fn temp_of(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".tmp");
    PathBuf::from(s)
}

/// When a process of the run dies, timely's channel threads panic on the broken connections
/// (and so do the workers that use them); the run then stops with an error naming the
/// process, so their messages are left out.
fn quiet_channel_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let p = info.payload();
        let msg = p
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| p.downcast_ref::<&str>().copied())
            .unwrap_or("");
        let channel = ["timely communication error", "MergeQueue", "Send thread", "Recv thread"];
        if !channel.iter().any(|c| msg.starts_with(c)) {
            default(info);
        }
    }));
}

/// Runs `neardup dedup` in distributed mode.
pub fn run(a: &DedupArgs, hosts: &Path) -> Result<()> {
    let start = Instant::now();
    quiet_channel_panics();
    let place = placement(hosts, a.dist.process_id, a.dist.workers)?;
    let cfg = config::dedup_config(a)?;
    if a.store.is_some() {
        bail!("--hosts cannot be combined with --store");
    }
    let Some(output) = a.output.clone() else {
        bail!("--hosts needs --output: each worker writes OUTPUT.part-NNN and its manifest");
    };
    let keep = config::keep(a)?;
    let fingerprint = params_fingerprint(&format!("dedup {cfg:?} {:?}", a.keep), &a.input);
    let corpus = Arc::new(open_inputs(&a.input)?);
    let watch = dataflow::handshake(&place, &fingerprint)?;
    let job =
        DedupJob { config: cfg, keep, skip_invalid: a.input.skip_invalid, output: Some(output) };
    let outcome = dataflow::dedup(&place, &watch, corpus, &job)?;
    for w in &outcome.warnings {
        eprintln!("neardup: warning: {w}");
    }
    if let Some(groups) = &outcome.groups {
        if let Some(p) = &a.groups {
            let tmp = temp_of(p);
            super::dedup::write_groups(&tmp, groups, |d| outcome.id(d))?;
            std::fs::rename(&tmp, p).with_context(|| format!("renaming {}", tmp.display()))?;
        }
    }
    if let Some(pairs) = &outcome.pairs {
        if let Some(p) = &a.pairs {
            let tmp = temp_of(p);
            super::dedup::write_pairs(&tmp, pairs, |d| outcome.id(d))?;
            std::fs::rename(&tmp, p).with_context(|| format!("renaming {}", tmp.display()))?;
        }
    }
    if !a.quiet {
        for w in &outcome.workers {
            let stages: Vec<String> =
                w.stages.iter().map(|(n, s)| format!("{n} {s:.2} s")).collect();
            let sent: u64 = w.sent.iter().map(|s| s.2).sum();
            eprintln!(
                "neardup: worker {}: {} records; {}; sent {:.1} MB ({})",
                w.worker,
                w.records,
                stages.join(", "),
                sent as f64 / 1e6,
                w.sent
                    .iter()
                    .map(|(n, c, b)| format!("{n} {c} = {:.1} MB", *b as f64 / 1e6))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        if let Some(s) = &outcome.stats {
            eprintln!(
                "neardup: {} documents ({} invalid skipped, {} empty), {} duplicates in {} groups, {} boilerplate lines, {} candidates ({} settled exactly), {} processes x {} workers, {:.2} s",
                s.records,
                s.invalid,
                s.empty,
                s.duplicates,
                s.groups,
                s.boilerplate_lines,
                s.candidates,
                s.settled,
                place.hosts.len(),
                place.workers,
                start.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}

/// An article as sent to worker 0: its vector (weights as bits), id, title, date.
type SentArticle = (Vec<(u32, u32)>, String, String, Option<String>);

/// Runs `neardup cluster` in distributed mode. The data-parallel part runs on the engine:
/// reading and term counting per shard, document frequencies summed by term (exchange by
/// key) and broadcast, TF-IDF vectors weighed per shard. The online clustering is sequential
/// by nature (articles in time order, each compared with the stories so far): worker 0 runs
/// it on the gathered vectors, exactly as the single-machine command does, and writes the
/// stories.
pub fn run_cluster(a: &super::args::ClusterArgs, hosts: &Path) -> Result<()> {
    use neardup::cluster::story::Vectorizer;
    quiet_channel_panics();
    let place = placement(hosts, a.dist.process_id, a.dist.workers)?;
    let mut params = super::cluster::params_of(
        a.threshold,
        a.window.as_deref(),
        a.title_weight,
        a.entity_weight,
    )?;
    params.stem_chars = a.stem_chars;
    if let Some(t) = &a.time_scale {
        params.time_scale_secs = Some(super::cluster::parse_window(t)? as f64);
    }
    if let Some(g) = &a.reprint_gap {
        params.reprint_gap_secs = Some(super::cluster::parse_window(g)?);
    }
    if a.window.is_some() && a.input.date_field.is_none() {
        bail!("--window needs --date-field");
    }
    if a.store.is_some() {
        bail!("--hosts cannot be combined with --store");
    }
    let fingerprint =
        params_fingerprint(&format!("cluster {params:?} {}", a.near_duplicate), &a.input);
    let watch = dataflow::handshake(&place, &fingerprint)?;
    let corpus = Arc::new(super::feed::open_corpus(&a.input)?);
    let skip_invalid = a.input.skip_invalid;
    // Near-duplicates are one story, as on one machine: the distributed dedup at its defaults
    // gives the accepted pairs (on process 0), whose components keep their articles together.
    let components = if a.no_dedup {
        None
    } else {
        let job = DedupJob {
            config: neardup::dedup::DedupConfig::default(),
            keep: neardup::dedup::Keep::First,
            skip_invalid,
            output: None,
        };
        let outcome = dataflow::dedup(&place, &watch, Arc::clone(&corpus), &job)?;
        outcome.pairs.map(|pairs| pairs.iter().map(|p| (p.a, p.b)).collect::<Vec<(u32, u32)>>())
    };
    let guards = dataflow::execute(&place, &watch, move |worker| {
        work_cluster(worker, params, &corpus, skip_invalid).map_err(|e| format!("{e:#}"))
    })
    .map_err(|e| anyhow::anyhow!("starting the dataflow on {hosts:?}: {e}"))?;
    let mut gathered = None;
    for (w, r) in guards.join().into_iter().enumerate() {
        match r {
            Ok(Ok(Some(g))) => gathered = Some(g),
            Ok(Ok(None)) => {}
            Ok(Err(e)) => bail!("worker {w}: {e}"),
            Err(e) => bail!("a worker failed: {e}"),
        }
    }
    let Some((mut sent, lexicon)) = gathered else {
        return Ok(()); // not process 0: worker 0 writes the stories
    };
    sent.sort_unstable_by_key(|(ordinal, _)| *ordinal);
    let mut articles = Vec::with_capacity(sent.len());
    let mut vectors = Vec::with_capacity(sent.len());
    let mut article_of: ahash::AHashMap<u32, u32> = ahash::AHashMap::new();
    for (ordinal, (v, id_json, title, date)) in sent {
        article_of.insert(ordinal, articles.len() as u32);
        vectors.push(v.into_iter().map(|(t, x)| (t, f32::from_bits(x))).collect());
        articles.push(super::cluster::Article {
            id_json,
            title,
            time: date.as_deref().and_then(super::cluster::parse_date),
            date,
            truth: None,
        });
    }
    // Near-duplicates are one story as on one machine (within the reprint gap when dated).
    let pairs: Option<Vec<(u32, u32)>> = components.map(|pairs| {
        pairs.iter().filter_map(|(a, b)| Some((*article_of.get(a)?, *article_of.get(b)?))).collect()
    });
    let timed = super::cluster::with_time(&params, &articles);
    let groups = super::cluster::groups_of(&articles, pairs.as_deref(), &timed);
    let stories = super::cluster::assign(&articles, &vectors, &groups, &params);
    let ids: Vec<u64> = (0..=stories.iter().copied().max().unwrap_or(0) as u64).collect();
    // The stemmer's lexicon is the whole feed's, counted across the processes as on one machine.
    let vectorizer = Vectorizer::with_lexicon(params, lexicon);
    super::cluster::write_stories(a, &vectorizer, &articles, &vectors, &stories, &ids)
}

/// One worker of the story clustering; worker 0 returns the gathered articles and the
/// stemmer's lexicon.
///
/// Pass 1 counts the worker's share of the feed as one machine's first pass does
/// ([`stories::DocFreqs`]): term and Arabic word-form document frequencies, summed across the
/// workers by key and then known to every worker, so that each builds the same vectorizer
/// (lexicon) and weights. Pass 2 re-reads the share and sends each article's vector to worker 0.
fn work_cluster(
    worker: &mut timely::worker::Worker,
    params: stories::StoryParams,
    corpus: &Corpus,
    skip_invalid: bool,
) -> Result<Option<Gathered>> {
    use ahash::AHashMap;
    use neardup::cluster::story::Vectorizer;
    let index = worker.index();
    let peers = worker.peers();
    let counter = Vectorizer::new(params);
    let mut local = stories::DocFreqs::default();
    let read = read_own(corpus, skip_invalid, true, index, peers, |batch| {
        for (_, d) in batch {
            local.add(counter.doc_forms(&d.text));
        }
    });
    let failure = read.err().map(|e| format!("{e:#}"));
    if failure.is_some() {
        local = stories::DocFreqs::default();
    }

    type Forms = AHashMap<u64, (u32, Box<str>)>;
    let terms_seen: Rc<RefCell<AHashMap<u32, u32>>> = Rc::new(RefCell::new(AHashMap::new()));
    let forms_seen: Rc<RefCell<Forms>> = Rc::new(RefCell::new(AHashMap::new()));
    let total = Rc::new(RefCell::new(0isize));
    let errors: Rc<RefCell<Vec<String>>> = Rc::new(RefCell::new(Vec::new()));
    let sent: Rc<RefCell<Vec<(u32, SentArticle)>>> = Rc::new(RefCell::new(Vec::new()));
    let (probe, probe2) = (Handle::new(), Handle::new());
    let (mut term_in, mut form_in, mut n_in, mut err_in, mut vec_in) = worker
        .dataflow::<u32, _, _>(|scope| {
            let (term_in, terms) = scope.new_collection::<u32, isize>();
            let (form_in, forms) = scope.new_collection::<(u64, String), isize>();
            let (n_in, ns) = scope.new_collection::<(), isize>();
            let (err_in, errs) = scope.new_collection::<(usize, String), isize>();
            let (vec_in, vecs) = scope.new_collection::<(u32, SentArticle), isize>();
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
                .inspect(move |((w, e), _t, _r)| sink.borrow_mut().push(format!("worker {w}: {e}")))
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
            (term_in, form_in, n_in, err_in, vec_in)
        });

    // Phase 1: the first pass's counts (pre-summed per worker) and the number of articles.
    let (terms, forms, n) = local.into_parts();
    for (t, c) in terms {
        term_in.update(t, c as isize);
    }
    for (h, (c, f)) in forms {
        form_in.update((h, f.into_string()), c as isize);
    }
    n_in.update((), n as isize);
    if let Some(e) = &failure {
        err_in.insert((index, e.clone()));
    }
    for input in
        [&mut term_in as &mut dyn Advance, &mut form_in, &mut n_in, &mut err_in, &mut vec_in]
    {
        input.advance_and_flush(1);
    }
    worker.step_while(|| probe.less_than(&1));
    let failed = errors.borrow().first().cloned();
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
        let outcome = read_own(corpus, skip_invalid, false, index, peers, |batch| {
            for (ordinal, d) in batch {
                let v = neardup::cluster::story::weigh(
                    vectorizer.term_counts(None, &d.text),
                    |t| df.get(&t).copied().unwrap_or(1) as f32,
                    n,
                );
                let v = v.into_iter().map(|(t, x)| (t, x.to_bits())).collect();
                let title = super::cluster::title_of(&d.text);
                let date = d.date.as_deref().map(str::to_owned);
                vec_in.insert((*ordinal, (v, d.id_json.to_string(), title, date)));
            }
        });
        reread = outcome.err();
    }
    vec_in.advance_and_flush(2);
    worker.step_while(|| probe2.less_than(&2));
    drop((term_in, form_in, n_in, err_in, vec_in));
    if let Some(e) = failed {
        bail!("{e}");
    }
    if let Some(e) = reread {
        return Err(e.context("reading the input again"));
    }
    Ok((index == 0)
        .then(|| (std::mem::take(&mut *sent.borrow_mut()), vectorizer.lexicon().clone())))
}

/// What worker 0 of the story clustering returns: the articles' vectors by ordinal, and the
/// stemmer's lexicon.
type Gathered = (Vec<(u32, SentArticle)>, neardup::normalize::stem::Lexicon);

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

/// Reads the feed and parses the records of this worker's shard (record ordinal mod `peers`),
/// handing each batch of them to `f` as `(ordinal, document)`. Invalid records are skipped
/// under `skip_invalid` (with a warning when `warn`), else the first one stops the read.
fn read_own<F>(
    corpus: &Corpus,
    skip_invalid: bool,
    warn: bool,
    index: usize,
    peers: usize,
    mut f: F,
) -> Result<(u64, u64)>
where
    F: FnMut(&[(u32, neardup::input::Doc<'_>)]),
{
    use super::feed::{BATCH_BYTES, BATCH_DOCS};
    let (mut records, mut invalid) = (0u64, 0u64);
    let mut failure = None;
    let outcome = corpus.for_each_batch(BATCH_DOCS, BATCH_BYTES, |batch| {
        let mut docs = Vec::new();
        for r in batch.iter().filter(|r| r.ordinal % peers as u64 == index as u64) {
            records += 1;
            match corpus.parse(r) {
                Ok(d) => docs.push((r.ordinal as u32, d)),
                Err(e) if skip_invalid && e.is_record_error() => {
                    if warn {
                        eprintln!("neardup: warning: skipped {e}");
                    }
                    invalid += 1;
                }
                Err(e) => {
                    failure = Some(anyhow::Error::from(e));
                    return Err(neardup::Error::InvalidParam {
                        name: "read",
                        reason: "aborted".into(),
                    });
                }
            }
        }
        f(&docs);
        Ok(())
    });
    if let Some(e) = failure {
        return Err(e);
    }
    outcome?;
    Ok((records, invalid))
}
