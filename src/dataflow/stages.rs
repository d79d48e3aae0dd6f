//! The stages, one function each: over timely streams where records meet by key, over the
//! sorted records that reached a worker where they meet by document or pair.
//!
//! Band keys and anchors are the bulk of the exchange: they travel as plain streams, are held
//! until their time is complete and are then sorted ([`sorted_batches`]), 8 to 16 bytes a record
//! instead of a differential arrangement. The joins with signatures and shingle sets are
//! requests: the worker holding candidates asks the holders of their documents, once per
//! document ([`judge_candidates`], [`settle_exact`]).

use std::cell::RefCell;
use std::rc::Rc;

use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::{Exchange as Pact, Pipeline};
use timely::dataflow::operators::probe::Handle;
use timely::dataflow::operators::vec::Broadcast;
use timely::dataflow::operators::{Capability, Exchange, Operator, Probe};
use timely::dataflow::StreamVec;

use super::records::{DocInfo, EvBits, Judged, PairEv};
use crate::lsh::{pairs_in_run, unpack};
use crate::verify::{self, Evidence, TextSets, Thresholds};

/// Routes records by `route`, holds them until their time is complete, then hands them to
/// `logic` sorted; what `logic` emits leaves at the same time.
pub fn sorted_batches<'s, D, O>(
    stream: StreamVec<'s, u32, D>,
    name: &str,
    route: impl Fn(&D) -> u64 + 'static,
    mut logic: impl FnMut(Vec<D>, &mut Vec<O>) + 'static,
) -> StreamVec<'s, u32, O>
where
    D: timely::ExchangeData + Ord,
    O: timely::ExchangeData,
{
    stream.unary_frontier(Pact::new(move |x: &D| route(x)), name, |_cap, _info| {
        let mut queues: Vec<(Capability<u32>, Vec<D>)> = Vec::new();
        move |(input, frontier), output| {
            input.for_each_stamp(|cap, data| {
                if let Some(cap) = cap.retain_least(output.output_index()) {
                    let at = match queues.iter().position(|(c, _)| c.time() == cap.time()) {
                        Some(i) => i,
                        None => {
                            queues.push((cap, Vec::new()));
                            queues.len() - 1
                        }
                    };
                    for batch in data {
                        queues[at].1.append(batch);
                    }
                }
            });
            let mut i = 0;
            while i < queues.len() {
                if frontier.less_equal(queues[i].0.time()) {
                    i += 1;
                    continue;
                }
                let (cap, mut data) = queues.swap_remove(i);
                data.sort_unstable();
                let mut out = Vec::new();
                logic(data, &mut out);
                let mut session = output.session(&cap);
                for o in out {
                    session.give(o);
                }
            }
        }
    })
}

/// Where a record goes: the worker number (mod the workers) from the record.
pub type Route<D> = Box<dyn Fn(&D) -> u64>;

/// Collects what reaches this worker of `stream` (routed by `route`, or to every worker when
/// `route` is `None`) into `sink`; `probe` tells when it is all there.
pub fn capture<'s, D>(
    stream: StreamVec<'s, u32, D>,
    route: Option<Route<D>>,
    sink: Rc<RefCell<Vec<D>>>,
    probe: &Handle<u32>,
) where
    D: timely::ExchangeData + Clone,
{
    let stream = match route {
        Some(route) => stream.exchange(move |x: &D| route(x)),
        None => stream.broadcast(),
    };
    stream
        .unary::<CapacityContainerBuilder<Vec<()>>, _, _, _>(Pipeline, "Capture", |_cap, _info| {
            move |input, _output| {
                input.for_each(|_cap, data| sink.borrow_mut().append(data));
            }
        })
        .probe_with(probe);
}

/// A band record: the band key in the high 64 bits, the document in the low 32 (one integer
/// sorts faster than a tuple).
pub fn band_record(key: u64, doc: u32) -> u128 {
    (u128::from(key) << 32) | u128::from(doc)
}

/// An anchor record: the anchor in the high 32 bits, the document in the low 32.
pub fn anchor_record(anchor: u32, doc: u32) -> u64 {
    (u64::from(anchor) << 32) | u64::from(doc)
}

/// LSH: runs of documents sharing a band key, linked as chain plus star ([`pairs_in_run`]);
/// `bands` holds [`band_record`]s. The candidate pairs leave packed ([`crate::lsh::pack`]),
/// a pair once per band run that links it.
pub fn band_candidates<'s>(bands: StreamVec<'s, u32, u128>) -> StreamVec<'s, u32, u64> {
    sorted_batches(
        bands,
        "BandRuns",
        |x: &u128| (x >> 32) as u64,
        |data, out| {
            let mut run = Vec::new();
            for chunk in data.chunk_by(|a, b| a >> 32 == b >> 32).filter(|c| c.len() > 1) {
                run.clear();
                run.extend(chunk.iter().map(|&x| x as u32));
                pairs_in_run(&run, out);
            }
        },
    )
}

/// Anchors ([`anchor_record`]s): runs over the document-frequency cap `max_df` dropped, then
/// the informative count of each document, `(0, document, count)`, and the shared count of
/// each pair that shares at least `min_shared`, `(1, packed pair, count)`, both summed by key
/// in a second sorted pass (routed by the document and by the pair).
pub fn anchor_counts<'s>(
    anchors: StreamVec<'s, u32, u64>,
    max_df: usize,
    min_shared: u32,
) -> StreamVec<'s, u32, (u8, u64, u32)> {
    // A partial count: kind in bits 96.., key in 32..96, count in ..32.
    let partial = |kind: u8, key: u64, n: usize| {
        (u128::from(kind) << 96) | (u128::from(key) << 32) | n as u128
    };
    let runs = sorted_batches(
        anchors,
        "AnchorRuns",
        |x: &u64| x >> 32,
        move |data, out: &mut Vec<u128>| {
            // Summed here first, so that one record per document and per pair leaves.
            let (mut docs, mut pairs, mut run) = (Vec::new(), Vec::new(), Vec::new());
            for chunk in data.chunk_by(|a, b| a >> 32 == b >> 32).filter(|c| c.len() <= max_df) {
                docs.extend(chunk.iter().map(|&x| x as u32));
                if chunk.len() > 1 {
                    run.clear();
                    run.extend(chunk.iter().map(|&x| x as u32));
                    pairs_in_run(&run, &mut pairs);
                }
            }
            drop(data);
            docs.sort_unstable();
            out.extend(docs.chunk_by(|a, b| a == b).map(|c| partial(0, u64::from(c[0]), c.len())));
            pairs.sort_unstable();
            out.extend(pairs.chunk_by(|a, b| a == b).map(|c| partial(1, c[0], c.len())));
        },
    );
    sorted_batches(
        runs,
        "AnchorCounts",
        |x: &u128| (x >> 32) as u64,
        move |data, out: &mut Vec<(u8, u64, u32)>| {
            for c in data.chunk_by(|a, b| a >> 32 == b >> 32) {
                let (kind, key) = ((c[0] >> 96) as u8, (c[0] >> 32) as u64);
                let n: u32 = c.iter().map(|&x| x as u32).sum();
                if kind == 0 || n >= min_shared {
                    out.push((kind, key, n));
                }
            }
        },
    )
}

/// The distinct candidates that reached this worker, LSH pairs (`lsh`, repeats allowed) and
/// anchor pairs (`anchor_pairs`, sorted, one per pair), each with its shared anchor count (0
/// when none), sorted by pair.
pub fn candidates(mut lsh: Vec<u64>, anchor_pairs: &[(u64, u32)]) -> Vec<(u64, u32)> {
    lsh.extend(anchor_pairs.iter().map(|p| p.0));
    lsh.sort_unstable();
    lsh.dedup();
    lsh.into_iter()
        .map(|p| {
            let shared =
                anchor_pairs.binary_search_by_key(&p, |x| x.0).map_or(0, |i| anchor_pairs[i].1);
            (p, shared)
        })
        .collect()
}

/// Verification of the candidates `(pair, shared anchors)` on the signatures and informative
/// counts of their documents (`infos`: `(_, document, info)` sorted by document): the estimate
/// judged by `judge` (`Some(borderline)` for a pair accepted or borderline, `None` for one
/// rejected). A candidate whose document has no signature here is dropped.
pub fn judge_candidates(
    candidates: &[(u64, u32)],
    infos: &[(u32, u32, DocInfo)],
    judge: impl Fn(&verify::Evidence, &DocInfo, &DocInfo) -> Option<bool>,
) -> Vec<Judged> {
    let info = |d: u32| infos.binary_search_by_key(&d, |x| x.1).ok().map(|i| &infos[i].2);
    candidates
        .iter()
        .filter_map(|&(p, s)| {
            let (a, b) = unpack(p);
            let (xa, xb) = (info(a)?, info(b)?);
            let e = verify::estimate(
                &xa.sig.sig,
                &xb.sig.sig,
                s,
                (xa.informative, xb.informative),
                (xa.sig.size, xb.sig.size),
                (&xa.sig.figures, &xb.sig.figures),
            );
            judge(&e, xa, xb).map(|borderline| Judged {
                pair: p,
                evidence: EvBits::from(&e),
                borderline,
            })
        })
        .collect()
}

/// Exact evidence of the borderline pairs (sorted, each with its estimate, whose shared
/// anchors and figures stay with it) from their documents' sets (`sets`: `(_, document, sets)`
/// sorted by document), against thresholds `t` ([`verify::settle_pair`]); a pair without both
/// sets is left out.
pub fn settle_exact(
    borderline: &[(u64, EvBits)],
    sets: &[(u32, u32, TextSets)],
    t: &Thresholds,
) -> Vec<PairEv> {
    let set = |d: u32| sets.binary_search_by_key(&d, |x| x.1).ok().map(|i| &sets[i].2);
    borderline
        .iter()
        .filter_map(|&(p, estimate)| {
            let (a, b) = unpack(p);
            let evidence = verify::settle_pair(set(a)?, set(b)?, &Evidence::from(estimate), t);
            Some(PairEv { pair: p, evidence: EvBits::from(&evidence) })
        })
        .collect()
}

/// Connected components of the verified pairs (every pair of the run): each document in a
/// pair with the least document of its component, sorted by document.
pub fn component_labels(mut pairs: Vec<u64>) -> Vec<(u32, u32)> {
    pairs.sort_unstable();
    pairs.dedup();
    let mut docs: Vec<u32> = pairs
        .iter()
        .flat_map(|&p| {
            let (a, b) = unpack(p);
            [a, b]
        })
        .collect();
    docs.sort_unstable();
    docs.dedup();
    let index = |d: u32| docs.binary_search(&d).map_or(0, |i| i as u32);
    let mut uf = crate::cluster::union_find::UnionFind::new(docs.len());
    for &p in &pairs {
        let (a, b) = unpack(p);
        uf.union(index(a), index(b));
    }
    // Documents in increasing order: the first one met of a component is its least.
    let mut least = vec![u32::MAX; docs.len()];
    let mut out = Vec::with_capacity(docs.len());
    for (i, &d) in docs.iter().enumerate() {
        let root = uf.find(i as u32) as usize;
        if least[root] == u32::MAX {
            least[root] = d;
        }
        out.push((d, least[root]));
    }
    out
}
