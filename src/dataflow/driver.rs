//! The driver: one worker's phases in order, each a small dataflow run to completion.
//!
//! Every phase is collective: each worker takes part even after a local failure (with nothing
//! to send and its error), so that nobody waits for it, and every worker then stops with the
//! failure. Waiting steps the dataflow with a timeout and consults the [`Watch`].

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ahash::AHashMap;
use rayon::prelude::*;
use timely::dataflow::operators::probe::Handle;
use timely::dataflow::InputHandleVec;
use timely::worker::Worker;

use super::records::{CompItem, DocInfo, EvBits, GroupOut, Judged, Meta, PairEv, PairOut, SigRec};
use super::shard::{self, Offsets, PieceCount, Plan};
use super::stages::{self, capture};
use super::{DedupJob, RunStats, Watch, WorkerReport};
use crate::boilerplate::{doc_line_keys, Boilerplate};
use crate::dedup::{DocFingerprint, DocMeta, Engine, Fingerprints, Group, Pair, Resolution};
use crate::error::{Error, Result};
use crate::input::{Corpus, Doc, RawRecord, RecordAt};
use crate::lsh::anchors::AnchorMatches;
use crate::lsh::{band_key, pack, unpack};
use crate::shingle::fmix64;
use crate::verify::{Decision, Evidence, TextSets, VerifyMode};

/// Records per batch of the shard reader.
const BATCH_DOCS: usize = 1024;
/// Bytes per batch of the shard reader.
const BATCH_BYTES: usize = 32 << 20;

/// What every worker shares.
pub(crate) struct Ctx {
    pub engine: Arc<Engine>,
    pub corpus: Arc<Corpus>,
    pub job: DedupJob,
    pub watch: Watch,
}

/// What worker 0 returns besides its report.
pub(crate) struct Finals {
    pub groups: Vec<Group>,
    pub pairs: Vec<Pair>,
    pub ids: Vec<(u32, String)>,
    pub stats: RunStats,
}

/// One worker's result.
pub(crate) struct WorkerResult {
    pub report: WorkerReport,
    pub warnings: Vec<String>,
    pub finals: Option<Finals>,
}

/// Steps the worker until `probe` has passed `t`, stopping when a process is lost.
fn run_until(worker: &mut Worker, probe: &Handle<u32>, t: u32, watch: &Watch) -> Result<()> {
    while probe.less_than(&t) {
        worker.step_or_park(Some(Duration::from_millis(50)));
        if let Some(e) = watch.lost() {
            // The run is over: nothing may wait on this dataflow's completion any more.
            for id in worker.installed_dataflows() {
                worker.drop_dataflow(id);
            }
            return Err(e);
        }
    }
    Ok(())
}

/// The collective exchange: every worker sends `mine` (or its failure); records go where
/// `route` sends them (every worker when `None`); returns what reached this worker. A failure
/// anywhere becomes an error everywhere (this worker's own error is returned as it was).
pub(super) fn exchange<T: timely::ExchangeData + Clone>(
    worker: &mut Worker,
    watch: &Watch,
    mine: Result<Vec<T>>,
    route: Option<stages::Route<T>>,
) -> Result<Vec<T>> {
    let got: Rc<RefCell<Vec<T>>> = Rc::new(RefCell::new(Vec::new()));
    let failed: Rc<RefCell<Vec<(usize, String)>>> = Rc::new(RefCell::new(Vec::new()));
    let probe = Handle::new();
    let mut data_in: InputHandleVec<u32, T> = InputHandleVec::new();
    let mut err_in: InputHandleVec<u32, (usize, String)> = InputHandleVec::new();
    worker.dataflow::<u32, _, _>(|scope| {
        capture(data_in.to_stream(scope), route, got.clone(), &probe);
        capture(err_in.to_stream(scope), None, failed.clone(), &probe);
    });
    let index = worker.index();
    let own = match mine {
        Ok(items) => {
            for x in items {
                data_in.send(x);
            }
            None
        }
        Err(e) => {
            err_in.send((index, e.to_string()));
            Some(e)
        }
    };
    data_in.advance_to(1);
    err_in.advance_to(1);
    drop((data_in, err_in));
    run_until(worker, &probe, 1, watch)?;
    if let Some(e) = own {
        return Err(e);
    }
    if let Some((w, reason)) = failed.borrow_mut().drain(..).min() {
        return Err(Error::Worker { worker: w, reason });
    }
    let out = std::mem::take(&mut *got.borrow_mut());
    Ok(out)
}

/// Routes to the worker `h` names, spread (timely takes the route modulo the workers).
pub(super) fn spread(h: u64) -> u64 {
    fmix64(h)
}

/// This worker's share of the corpus and where it lies.
pub(super) struct Share {
    plan: Plan,
    offsets: Offsets,
    mine: Vec<usize>,
    /// The first ordinal of the share.
    base: u64,
    /// Where each record of the share lies (indexed by ordinal - base).
    at: Vec<Option<RecordAt>>,
}

impl Share {
    /// Reads the share's records, with their global ordinals and line numbers, in batches.
    pub(super) fn read<F>(&self, corpus: &Corpus, f: F) -> Result<()>
    where
        F: FnMut(&[RawRecord]) -> Result<()>,
    {
        shard::read_pieces(
            corpus,
            &self.plan,
            &self.offsets,
            &self.mine,
            BATCH_DOCS,
            BATCH_BYTES,
            f,
        )
    }

    fn read_selected<F>(&self, corpus: &Corpus, wanted: &[u64], f: F) -> Result<()>
    where
        F: FnMut(&[RawRecord]) -> Result<()>,
    {
        shard::read_selected(
            corpus,
            &self.plan,
            &self.offsets,
            &self.mine,
            &self.at,
            self.base,
            wanted,
            f,
        )
    }
}

/// Parses a batch (in parallel), applying the invalid-record policy: skipped records come
/// back as `None` and, when `warnings` is given, are described there.
fn parse_batch<'a>(
    corpus: &Corpus,
    batch: &'a [RawRecord],
    skip_invalid: bool,
    warnings: Option<&mut Vec<String>>,
    invalid: &mut u64,
) -> Result<Vec<Option<Doc<'a>>>> {
    let parsed: Vec<_> = batch.par_iter().map(|r| corpus.parse(r)).collect();
    let mut docs = Vec::with_capacity(parsed.len());
    let mut warned = Vec::new();
    for p in parsed {
        match p {
            Ok(d) => docs.push(Some(d)),
            Err(e) if skip_invalid && e.is_record_error() => {
                warned.push(format!("skipped {e}"));
                *invalid += 1;
                docs.push(None);
            }
            Err(e) => return Err(e),
        }
    }
    if let Some(w) = warnings {
        w.extend(warned);
    }
    Ok(docs)
}

/// Phase 1: the plan and the count pass; every worker learns every piece's first ordinal.
pub(super) fn plan_share(worker: &mut Worker, corpus: &Corpus, watch: &Watch) -> Result<Share> {
    let peers = worker.peers();
    let plan = Plan::new(corpus, peers);
    let (plan, mine, counts) = match plan {
        Ok(plan) => {
            let mine = plan.of(worker.index());
            let counts: Result<Vec<(u64, PieceCount)>> = mine
                .iter()
                .map(|&i| Ok((i as u64, shard::count_piece(corpus, &plan.pieces[i])?)))
                .collect();
            (plan, mine, counts)
        }
        Err(e) => (Plan { pieces: Vec::new() }, Vec::new(), Err(e)),
    };
    let mut all = exchange(worker, watch, counts, None)?;
    all.sort_unstable();
    let counts: Vec<PieceCount> = all.into_iter().map(|(_, c)| c).collect();
    let offsets = Offsets::new(&plan, &counts);
    let base = mine.first().map_or(0, |&i| offsets.first[i]);
    let records: u64 = mine.iter().map(|&i| offsets.records[i]).sum();
    Ok(Share { plan, offsets, mine, base, at: vec![None; records as usize] })
}

/// Phase 2: the boilerplate lines. Each worker counts the distinct line keys of its documents;
/// the counts are summed by key; the owners of the keys decide and broadcast; one holder of
/// each boilerplate line reads it again and broadcasts its text.
fn boilerplate(
    worker: &mut Worker,
    ctx: &Ctx,
    share: &mut Share,
    warnings: &mut Vec<String>,
    invalid: &mut u64,
    sent: &mut Vec<(&'static str, u64, u64)>,
) -> Result<Boilerplate> {
    let index = worker.index() as u32;
    let params = ctx.engine.config().boilerplate;
    // key -> (documents, first document holding it)
    let mut local: AHashMap<u64, (u32, u64)> = AHashMap::new();
    let base = share.base;
    let mut at = std::mem::take(&mut share.at);
    let read = share.read(&ctx.corpus, |batch| {
        for r in batch {
            if let Some(slot) = r.ordinal.checked_sub(base).and_then(|i| at.get_mut(i as usize)) {
                *slot = r.at();
            }
        }
        let Some(p) = params else { return Ok(()) };
        let docs = parse_batch(&ctx.corpus, batch, ctx.job.skip_invalid, Some(warnings), invalid)?;
        let keys: Vec<Vec<u64>> = docs
            .par_iter()
            .map(|d| {
                d.as_ref().map_or_else(Vec::new, |d| {
                    doc_line_keys(&d.text, &p).into_iter().map(|(k, _)| k).collect()
                })
            })
            .collect();
        for (r, ks) in batch.iter().zip(keys) {
            for k in ks {
                local.entry(k).or_insert((0, r.ordinal)).0 += 1;
            }
        }
        Ok(())
    });
    share.at = at;
    let Some(p) = params else {
        exchange::<u8>(worker, &ctx.watch, read.map(|()| Vec::new()), None)?;
        return Ok(Boilerplate::none());
    };
    let counts: Result<Vec<(u64, u32, u32)>> =
        read.map(|()| local.iter().map(|(&k, &(n, _))| (k, n, index)).collect());
    if let Ok(c) = &counts {
        sent.push(("line keys", c.len() as u64, c.len() as u64 * 16));
    }
    let mut mine =
        exchange(worker, &ctx.watch, counts, Some(Box::new(|x: &(u64, u32, u32)| spread(x.0))))?;
    mine.sort_unstable();
    // (key, documents, supplier; u32::MAX: a block candidate, no text needed)
    let mut decided: Vec<(u64, u32, u32)> = Vec::new();
    for c in mine.chunk_by(|a, b| a.0 == b.0) {
        let k = c[0].0;
        let n: u32 = c.iter().map(|x| x.1).sum();
        if n >= p.bar(k) {
            decided.push((k, n, c[0].2));
        } else if k & 1 == 1 && n >= p.min_docs {
            decided.push((k, n, u32::MAX));
        }
    }
    drop(mine);
    let decided = exchange(worker, &ctx.watch, Ok(decided), None)?;
    // The texts this worker supplies: the first document holding each line, read again.
    let supply: ahash::AHashSet<(u64, u64)> = decided
        .iter()
        .filter(|x| x.2 == index)
        .filter_map(|x| local.get(&x.0).map(|&(_, d)| (d, x.0)))
        .collect();
    drop(local);
    let mut wanted: Vec<u64> = supply.iter().map(|x| x.0).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut texts: Vec<(u64, String)> = Vec::new();
    let found = share.read_selected(&ctx.corpus, &wanted, |batch| {
        for r in batch {
            let doc = ctx.corpus.parse(r)?;
            for (k, span) in doc_line_keys(&doc.text, &p) {
                if supply.contains(&(r.ordinal, k)) {
                    texts.push((k, doc.text[span.range()].to_owned()));
                }
            }
        }
        Ok(())
    });
    let mut texts = exchange(worker, &ctx.watch, found.map(|()| texts), None)?;
    texts.sort_unstable();
    let texts: Vec<String> = texts.into_iter().map(|(_, t)| t).collect();
    let lines = decided.iter().filter(|x| x.2 != u32::MAX).map(|x| (x.0, x.1));
    let block = decided.iter().filter(|x| x.2 == u32::MAX).map(|x| x.0);
    Ok(ctx.engine.boilerplate_from_counts(lines, &texts, block))
}

/// The fingerprints of a worker's share.
#[derive(Default)]
struct Prints {
    sigs: Vec<(u32, SigRec)>,
    /// [`stages::band_record`]s.
    bands: Vec<u128>,
    /// [`stages::anchor_record`]s.
    anchors: Vec<u64>,
    meta: Vec<(u32, Meta)>,
    /// Ordinals of the records read without error, sorted.
    valid: Vec<u32>,
    empty: u64,
}

/// Phase 3: reads the share again and fingerprints it.
fn fingerprint(
    ctx: &Ctx,
    share: &mut Share,
    bp: &Boilerplate,
    warnings: Option<&mut Vec<String>>,
    invalid: &mut u64,
) -> Result<Prints> {
    let mut out = Prints::default();
    let banding = ctx.engine.banding();
    let base = share.base;
    let mut at = std::mem::take(&mut share.at);
    let mut warnings = warnings;
    let read = share.read(&ctx.corpus, |batch| {
        let docs = parse_batch(
            &ctx.corpus,
            batch,
            ctx.job.skip_invalid,
            warnings.as_deref_mut(),
            invalid,
        )?;
        let texts: Vec<Option<&str>> = docs.iter().map(|d| d.as_ref().map(|d| &*d.text)).collect();
        let fps = ctx.engine.fingerprint_texts(&texts, bp);
        for ((r, doc), fp) in batch.iter().zip(&docs).zip(fps) {
            if let Some(slot) = r.ordinal.checked_sub(base).and_then(|i| at.get_mut(i as usize)) {
                *slot = r.at();
            }
            let Some(doc) = doc else { continue };
            let d = r.ordinal as u32;
            out.valid.push(d);
            out.meta.push((
                d,
                Meta {
                    len: doc.text.len() as u64,
                    date: doc.date.as_deref().map(str::to_owned),
                    id: doc.id_json.to_string(),
                },
            ));
            let Some(DocFingerprint { signature: Some(sig), anchors, size, figures }) = fp else {
                out.empty += 1;
                continue;
            };
            for band in 0..banding.bands {
                out.bands.push(stages::band_record(band_key(&sig, band, banding.rows), d));
            }
            out.anchors.extend(anchors.iter().map(|&a| stages::anchor_record(a, d)));
            out.sigs.push((d, SigRec { sig, size, figures }));
        }
        Ok(())
    });
    share.at = at;
    // Read in ordinal order already; looked up by document later.
    out.sigs.sort_unstable_by_key(|s| s.0);
    out.meta.sort_unstable_by_key(|m| m.0);
    read.map(|()| out)
}

/// What phase 4 leaves on this worker.
#[derive(Default)]
struct Judgement {
    judged: Vec<Judged>,
    anchor_pairs: Vec<(u64, u32)>,
    /// Informative counts of this worker's documents.
    informative: Vec<(u32, u32)>,
    candidates: u64,
}

/// Phase 4: candidates (LSH and anchors) and their verification on signatures. The band
/// keys and anchors are sorted by key where they meet; the candidates land on the worker their
/// pair hashes to, which asks the holders of their documents for the signatures (each once)
/// and judges every candidate there.
fn resolve(
    worker: &mut Worker,
    ctx: &Ctx,
    offsets: &Arc<Offsets>,
    prints: Result<&mut Prints>,
    sent: &mut Vec<(&'static str, u64, u64)>,
) -> Result<Judgement> {
    let cfg = ctx.engine.config().clone();
    let (max_df, min_shared) = (cfg.anchors.max_df as usize, cfg.anchors.min_shared);
    let t = ctx.engine.thresholds();
    let auto = cfg.verify == VerifyMode::Auto;
    let num_perm = cfg.num_perm;
    let judge = move |e: &Evidence, a: &DocInfo, b: &DocInfo| {
        let decision = if auto {
            e.decide(&t, num_perm, a.informative.min(b.informative))
        } else if e.accepts(&t) {
            Decision::Accept
        } else {
            Decision::Reject
        };
        (decision != Decision::Reject).then_some(decision == Decision::Borderline)
    };
    let lsh = Rc::new(RefCell::new(Vec::new()));
    let counts = Rc::new(RefCell::new(Vec::new()));
    let probe = Handle::new();
    let mut band_in: InputHandleVec<u32, u128> = InputHandleVec::new();
    let mut anchor_in: InputHandleVec<u32, u64> = InputHandleVec::new();
    let owners = offsets.clone();
    worker.dataflow::<u32, _, _>(|scope| {
        let runs = stages::band_candidates(band_in.to_stream(scope));
        let counts_out = stages::anchor_counts(anchor_in.to_stream(scope), max_df, min_shared);
        capture(runs, Some(Box::new(|&p: &u64| spread(p))), lsh.clone(), &probe);
        // Informative counts go to the document's holder, shared counts to the pair's judge.
        capture(
            counts_out,
            Some(Box::new(move |x: &(u8, u64, u32)| match x.0 {
                0 => owners.owner(x.1) as u64,
                _ => spread(x.1),
            })),
            counts.clone(),
            &probe,
        );
    });
    let failure = match prints {
        Ok(p) => {
            sent.push(("band keys", p.bands.len() as u64, p.bands.len() as u64 * 12));
            sent.push(("anchors", p.anchors.len() as u64, p.anchors.len() as u64 * 8));
            // Band keys and anchors are not needed after this: their memory goes now.
            for b in std::mem::take(&mut p.bands) {
                band_in.send(b);
            }
            for a in std::mem::take(&mut p.anchors) {
                anchor_in.send(a);
            }
            Ok(&*p)
        }
        Err(e) => Err(e),
    };
    band_in.advance_to(1);
    anchor_in.advance_to(1);
    drop((band_in, anchor_in));
    run_until(worker, &probe, 1, &ctx.watch)?;
    let (mut anchor_pairs, mut informative) = (Vec::new(), Vec::new());
    for (kind, key, n) in std::mem::take(&mut *counts.borrow_mut()) {
        match kind {
            0 => informative.push((key as u32, n)),
            _ => anchor_pairs.push((key, n)),
        }
    }
    anchor_pairs.sort_unstable();
    informative.sort_unstable();
    let candidates = stages::candidates(std::mem::take(&mut *lsh.borrow_mut()), &anchor_pairs);
    // The signatures the candidates here need, asked of their holders.
    let needed = documents_of(candidates.iter().map(|&(p, _)| p));
    let me = worker.index() as u32;
    let owners = offsets.clone();
    let asks = exchange(
        worker,
        &ctx.watch,
        failure.as_ref().map(|_| needed.iter().map(|&d| (d, me)).collect()).map_err(clone_err),
        Some(Box::new(move |x: &(u32, u32)| owners.owner(u64::from(x.0)) as u64)),
    )?;
    let prints = failure?;
    let info = |d: u32| -> Option<DocInfo> {
        let i = prints.sigs.binary_search_by_key(&d, |s| s.0).ok()?;
        let inf = informative.binary_search_by_key(&d, |x| x.0).map_or(0, |j| informative[j].1);
        Some(DocInfo { sig: prints.sigs[i].1.clone(), informative: inf })
    };
    let answers: Vec<(u32, u32, DocInfo)> =
        asks.iter().filter_map(|&(d, w)| Some((w, d, info(d)?))).collect();
    let np = num_perm as u64;
    sent.push(("signatures", answers.len() as u64, answers.len() as u64 * (np * 4 + 12)));
    let mut infos = exchange(
        worker,
        &ctx.watch,
        Ok(answers),
        Some(Box::new(|x: &(u32, u32, DocInfo)| u64::from(x.0))),
    )?;
    infos.sort_unstable_by_key(|x| x.1);
    let judged = stages::judge_candidates(&candidates, &infos, judge);
    Ok(Judgement { judged, anchor_pairs, informative, candidates: candidates.len() as u64 })
}

/// The distinct documents of packed pairs, sorted.
fn documents_of(pairs: impl Iterator<Item = u64>) -> Vec<u32> {
    let mut docs: Vec<u32> = pairs
        .flat_map(|p| {
            let (a, b) = unpack(p);
            [a, b]
        })
        .collect();
    docs.sort_unstable();
    docs.dedup();
    docs
}

/// Phase 5: the borderline pairs settled on the exact shingle sets of their documents. The
/// pairs stay where they were judged; that worker asks the holders of their documents for the
/// sets (each once), which they compute from the records they read again.
fn settle(
    worker: &mut Worker,
    ctx: &Ctx,
    share: &Share,
    bp: &Boilerplate,
    borderline: Vec<(u64, EvBits)>,
    sent: &mut Vec<(&'static str, u64, u64)>,
) -> Result<Vec<PairEv>> {
    let needed = documents_of(borderline.iter().map(|x| x.0));
    let me = worker.index() as u32;
    let owners = Arc::new(share.offsets.clone());
    sent.push(("borderline documents", needed.len() as u64, needed.len() as u64 * 8));
    let mut asks = exchange(
        worker,
        &ctx.watch,
        Ok(needed.iter().map(|&d| (d, me)).collect()),
        Some(Box::new(move |x: &(u32, u32)| owners.owner(u64::from(x.0)) as u64)),
    )?;
    asks.sort_unstable();
    let mut wanted: Vec<u64> = asks.iter().map(|x| u64::from(x.0)).collect();
    wanted.dedup();
    let mut sets: Vec<(u32, TextSets)> = Vec::with_capacity(wanted.len());
    let read = share.read_selected(&ctx.corpus, &wanted, |batch| {
        let docs: Vec<Doc<'_>> =
            batch.iter().map(|r| ctx.corpus.parse(r)).collect::<Result<Vec<_>>>()?;
        let texts: Vec<Option<&str>> = docs.iter().map(|d| Some(&*d.text)).collect();
        for (r, set) in batch.iter().zip(ctx.engine.exact_sets(&texts, bp)) {
            sets.push((r.ordinal as u32, set));
        }
        Ok(())
    });
    let answers = read.map(|()| {
        sets.sort_unstable_by_key(|x| x.0);
        let mut out: Vec<(u32, u32, TextSets)> = Vec::with_capacity(asks.len());
        for &(d, w) in &asks {
            if let Ok(i) = sets.binary_search_by_key(&d, |x| x.0) {
                out.push((w, d, sets[i].1.clone()));
            }
        }
        let bytes: u64 = out
            .iter()
            .map(|s| {
                (s.2.shingles.len() + s.2.sentences.words() + s.2.sentences.len()) as u64 * 4 + 20
            })
            .sum();
        sent.push(("shingle and sentence sets", out.len() as u64, bytes));
        out
    });
    let mut got = exchange(
        worker,
        &ctx.watch,
        answers,
        Some(Box::new(|x: &(u32, u32, TextSets)| u64::from(x.0))),
    )?;
    got.sort_unstable_by_key(|x| x.1);
    Ok(stages::settle_exact(&borderline, &got, &ctx.engine.thresholds()))
}

/// Phase 6: components of the verified pairs, and everything their grouping needs sent to the
/// worker that groups each. The verified pairs are few against the documents (13,769 pairs
/// for SaudiNewsNet's 15,988 documents), so every worker receives all of them and labels the
/// components itself ([`stages::component_labels`]); then each worker sends the pairs it holds
/// that lie inside a component, and the members it holds, to the component's grouper.
#[allow(clippy::too_many_arguments)]
fn gather_components(
    worker: &mut Worker,
    ctx: &Ctx,
    offsets: &Arc<Offsets>,
    prints: &Prints,
    judgement: &Judgement,
    verified: &[PairEv],
    settled: &[PairEv],
    sent: &mut Vec<(&'static str, u64, u64)>,
) -> Result<Vec<(u32, CompItem)>> {
    sent.push(("verified pairs", verified.len() as u64, verified.len() as u64 * 8));
    let all = exchange(worker, &ctx.watch, Ok(verified.iter().map(|p| p.pair).collect()), None)?;
    let labels = stages::component_labels(all);
    let label = |d: u32| labels.binary_search_by_key(&d, |x| x.0).ok().map(|i| labels[i].1);
    let inside = |p: u64| {
        let (a, b) = unpack(p);
        label(a).filter(|&la| label(b) == Some(la))
    };
    let mut items: Vec<(u32, CompItem)> = Vec::new();
    items.extend(verified.iter().filter_map(|&p| Some((inside(p.pair)?, CompItem::Verified(p)))));
    items.extend(settled.iter().filter_map(|&p| Some((inside(p.pair)?, CompItem::Settled(p)))));
    items.extend(
        judgement
            .anchor_pairs
            .iter()
            .filter_map(|&(p, n)| Some((inside(p)?, CompItem::Anchors(p, n)))),
    );
    let pairs = items.len() as u64;
    // The members this worker holds.
    let me = worker.index();
    let inf = &judgement.informative;
    for &(doc, label) in &labels {
        if offsets.owner(u64::from(doc)) != me {
            continue;
        }
        let Ok(i) = prints.sigs.binary_search_by_key(&doc, |s| s.0) else { continue };
        let Ok(j) = prints.meta.binary_search_by_key(&doc, |m| m.0) else { continue };
        let informative = inf.binary_search_by_key(&doc, |x| x.0).map_or(0, |k| inf[k].1);
        let info = DocInfo { sig: prints.sigs[i].1.clone(), informative };
        items.push((label, CompItem::Doc { doc, info, meta: prints.meta[j].1.clone() }));
    }
    let np = ctx.engine.config().num_perm as u64;
    let members = items.len() as u64 - pairs;
    sent.push(("component pairs", pairs, pairs * 32));
    sent.push(("members", members, members * (np * 4 + 64)));
    let mut out = exchange(
        worker,
        &ctx.watch,
        Ok(items),
        Some(Box::new(|x: &(u32, CompItem)| spread(u64::from(x.0)))),
    )?;
    out.sort_unstable();
    Ok(out)
}

/// Groups the components gathered here exactly as the single machine does
/// ([`Engine::finish_groups`]): local numbers follow the global order, so every tie breaks
/// the same way.
fn group_components(
    engine: &Engine,
    items: Vec<(u32, CompItem)>,
    keep: crate::dedup::Keep,
) -> Result<(Vec<GroupOut>, Vec<PairOut>)> {
    let mut docs: Vec<(u32, u32, DocInfo, Meta)> = Vec::new();
    let (mut verified, mut settled, mut anchors) = (Vec::new(), Vec::new(), Vec::new());
    for (label, item) in items {
        match item {
            CompItem::Doc { doc, info, meta } => docs.push((doc, label, info, meta)),
            CompItem::Verified(p) => verified.push(p),
            CompItem::Settled(p) => settled.push(p),
            CompItem::Anchors(p, n) => anchors.push((p, n)),
        }
    }
    docs.sort_unstable_by_key(|d| d.0);
    let global: Vec<u32> = docs.iter().map(|d| d.0).collect();
    let local = |d: u32| global.binary_search(&d).ok().map(|i| i as u32);
    let num_perm = engine.config().num_perm;
    let mut fps = Fingerprints::default();
    let mut meta = Vec::with_capacity(docs.len());
    let mut informative = Vec::with_capacity(docs.len());
    let mut components: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for (i, (_, label, info, m)) in docs.iter().enumerate() {
        let fp = DocFingerprint {
            signature: Some(info.sig.sig.clone()),
            anchors: Vec::new(),
            size: info.sig.size,
            figures: info.sig.figures.clone(),
        };
        fps.push(num_perm, Some(&fp))?;
        meta.push(DocMeta { len: m.len as usize, date: m.date.clone() });
        informative.push(info.informative);
        components.entry(*label).or_default().push(i as u32);
    }
    let to_local = |ps: &[PairEv]| -> Vec<Pair> {
        let mut out: Vec<Pair> = ps
            .iter()
            .filter_map(|p| {
                let (a, b) = unpack(p.pair);
                Some(Pair { a: local(a)?, b: local(b)?, evidence: Evidence::from(p.evidence) })
            })
            .collect();
        out.sort_by_key(|p| (p.a, p.b));
        out
    };
    let pairs = to_local(&verified);
    let settled = to_local(&settled);
    let mut anchor_pairs: Vec<(u64, u32)> = anchors
        .iter()
        .filter_map(|&(p, s)| {
            let (a, b) = unpack(p);
            Some((pack(local(a)?, local(b)?), s))
        })
        .collect();
    anchor_pairs.sort_unstable();
    let mut groups: Vec<Vec<u32>> = components.into_values().collect();
    groups.sort();
    let res = Resolution::from_parts(
        pairs,
        groups,
        0,
        AnchorMatches { informative, pairs: anchor_pairs },
    )
    .with_settled(settled);
    let groups = engine.finish_groups(&fps, &res, &meta, keep);
    let id = |l: u32| docs[l as usize].3.id.clone();
    let groups = groups
        .into_iter()
        .map(|g| GroupOut {
            kept: global[g.kept as usize],
            ids: g.members.iter().map(|&(m, _)| id(m)).collect(),
            members: g.members.iter().map(|&(m, s)| (global[m as usize], s.to_bits())).collect(),
        })
        .collect();
    let pairs = res
        .pairs
        .iter()
        .map(|p| PairOut {
            pair: PairEv {
                pair: pack(global[p.a as usize], global[p.b as usize]),
                evidence: EvBits::from(&p.evidence),
            },
            ids: (id(p.a), id(p.b)),
        })
        .collect();
    Ok((groups, pairs))
}

/// What goes to worker 0 at the end.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
enum Final {
    Group(GroupOut),
    Pair(PairOut),
    /// records, invalid, empty, candidates, settled.
    Stats(u64, u64, u64, u64, u64),
}

/// One worker's whole run.
pub(crate) fn work(worker: &mut Worker, ctx: &Ctx) -> Result<WorkerResult> {
    let index = worker.index();
    let mut report = WorkerReport { worker: index, ..WorkerReport::default() };
    let mut warnings = Vec::new();
    let mut invalid = 0u64;
    let mut clock = Instant::now();
    let mut lap = |report: &mut WorkerReport, name: &'static str| {
        report.stages.push((name, clock.elapsed().as_secs_f64()));
        fault_pause(name);
        clock = Instant::now();
    };
    let mut sent = Vec::new();

    let mut share = plan_share(worker, &ctx.corpus, &ctx.watch)?;
    report.records = share.at.len() as u64;
    lap(&mut report, "plan and count");
    let bp = boilerplate(worker, ctx, &mut share, &mut warnings, &mut invalid, &mut sent)?;
    lap(&mut report, "boilerplate");
    // Skipped records were described in the boilerplate pass, when it ran.
    let warn_here = ctx.engine.config().boilerplate.is_none();
    let mut invalid2 = 0u64;
    let mut prints =
        fingerprint(ctx, &mut share, &bp, warn_here.then_some(&mut warnings), &mut invalid2);
    if warn_here {
        invalid = invalid2;
    }
    lap(&mut report, "fingerprint");
    let offsets = Arc::new(share.offsets.clone());
    let judgement =
        resolve(worker, ctx, &offsets, prints.as_mut().map_err(|e| clone_err(e)), &mut sent);
    let prints = prints?;
    let judgement = judgement?;
    lap(&mut report, "candidates and verification");
    // Each with its estimate, whose shared anchors and figures decide whether its
    // containment counts.
    let borderline: Vec<(u64, EvBits)> =
        judgement.judged.iter().filter(|j| j.borderline).map(|j| (j.pair, j.evidence)).collect();
    let settled = settle(worker, ctx, &share, &bp, borderline, &mut sent)?;
    lap(&mut report, "settle");
    let t = ctx.engine.thresholds();
    let mut verified: Vec<PairEv> = judgement
        .judged
        .iter()
        .filter(|j| !j.borderline)
        .map(|j| PairEv { pair: j.pair, evidence: j.evidence })
        .collect();
    verified.extend(settled.iter().filter(|p| Evidence::from(p.evidence).accepts(&t)).copied());
    let items = gather_components(
        worker, ctx, &offsets, &prints, &judgement, &verified, &settled, &mut sent,
    )?;
    lap(&mut report, "components");
    let grouped = group_components(&ctx.engine, items, ctx.job.keep);
    let removed: Result<Vec<u32>> = grouped.as_ref().map_err(clone_err).map(|(groups, _)| {
        groups
            .iter()
            .flat_map(|g| g.members.iter().map(|m| m.0).filter(move |&m| m != g.kept))
            .collect()
    });
    let owners = offsets.clone();
    let removed = exchange(
        worker,
        &ctx.watch,
        removed,
        Some(Box::new(move |d: &u32| owners.owner(u64::from(*d)) as u64)),
    );
    let (groups, pairs) = grouped?;
    let mut removed = removed?;
    removed.sort_unstable();
    let mut finals: Vec<Final> = groups.into_iter().map(Final::Group).collect();
    finals.extend(pairs.into_iter().map(Final::Pair));
    finals.push(Final::Stats(
        report.records,
        invalid,
        prints.empty,
        judgement.candidates,
        settled.len() as u64,
    ));
    let finals = exchange(worker, &ctx.watch, Ok(finals), Some(Box::new(|_| 0)))?;
    lap(&mut report, "groups");
    // Every collective step is done: what is left is local.
    ctx.watch.finish();
    if let Some(out) = &ctx.job.output {
        let valid = &prints.valid;
        let keep = |o: u64| {
            let d = o as u32;
            valid.binary_search(&d).is_ok() && removed.binary_search(&d).is_err()
        };
        let mut name = out.clone().into_os_string();
        name.push(format!(".part-{index:03}"));
        let path = std::path::PathBuf::from(name);
        let (n, bytes) =
            shard::write_kept(&ctx.corpus, &share.plan, &share.offsets, &share.mine, &path, keep)?;
        let first = share.base;
        let manifest = serde_json::json!({
            "part": path.file_name().map(|n| n.to_string_lossy().into_owned()),
            "worker": index,
            "workers": worker.peers(),
            "records": { "first": first, "count": report.records },
            "unique_records": n,
            "bytes": bytes,
        });
        let mut mpath = path.clone().into_os_string();
        mpath.push(".json");
        let mpath = std::path::PathBuf::from(mpath);
        let mut tmp = mpath.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = std::path::PathBuf::from(tmp);
        let io = |p: &std::path::Path| {
            let p = p.to_path_buf();
            move |source| Error::Io { path: p, source }
        };
        std::fs::write(&tmp, format!("{manifest}\n")).map_err(io(&tmp))?;
        std::fs::rename(&tmp, &mpath).map_err(io(&mpath))?;
        report.part = Some((path, n, bytes));
        lap(&mut report, "write");
    }
    report.sent = sent;
    let finals = (index == 0).then(|| assemble(finals, bp.len() as u64));
    Ok(WorkerResult { report, warnings, finals })
}

/// The fault tests' hook: with `NEARDUP_FAULT_PAUSE=STAGE` in its environment, a process holds
/// after that stage (saying so on stderr) so that a test can kill it in the middle of a run.
fn fault_pause(stage: &str) {
    if std::env::var("NEARDUP_FAULT_PAUSE").is_ok_and(|s| s == stage) {
        eprintln!("neardup: paused after {stage} (NEARDUP_FAULT_PAUSE)");
        std::thread::sleep(Duration::from_secs(600));
    }
}

/// A stand-in for an error that is returned elsewhere (errors do not clone).
fn clone_err(e: &Error) -> Error {
    Error::InvalidParam { name: "read", reason: e.to_string() }
}

/// Worker 0: the groups in the single machine's order, the pairs sorted, the totals.
fn assemble(finals: Vec<Final>, boilerplate_lines: u64) -> Finals {
    let mut groups = Vec::new();
    let mut pairs = Vec::new();
    let mut ids: Vec<(u32, String)> = Vec::new();
    let mut stats = RunStats { boilerplate_lines, ..RunStats::default() };
    for f in finals {
        match f {
            Final::Group(g) => {
                ids.extend(g.members.iter().map(|m| m.0).zip(g.ids));
                groups.push(Group {
                    kept: g.kept,
                    members: g.members.into_iter().map(|(m, s)| (m, f64::from_bits(s))).collect(),
                });
            }
            Final::Pair(p) => {
                let (a, b) = unpack(p.pair.pair);
                ids.push((a, p.ids.0));
                ids.push((b, p.ids.1));
                pairs.push(Pair { a, b, evidence: Evidence::from(p.pair.evidence) });
            }
            Final::Stats(records, invalid, empty, candidates, settled) => {
                stats.records += records;
                stats.invalid += invalid;
                stats.empty += empty;
                stats.candidates += candidates;
                stats.settled += settled;
            }
        }
    }
    groups.sort_by_key(|g: &Group| g.members.first().map_or(0, |m| m.0));
    pairs.sort_by_key(|p| (p.a, p.b));
    ids.sort_unstable();
    ids.dedup_by_key(|x| x.0);
    stats.groups = groups.len() as u64;
    stats.duplicates = groups.iter().map(|g| g.members.len() as u64 - 1).sum();
    Finals { groups, pairs, ids, stats }
}
