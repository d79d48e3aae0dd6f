//! The stages, one function each over timely streams and differential collections.
//!
//! Band keys and anchors are the bulk of the exchange: they travel as plain streams, are held
//! until their time is complete and are then sorted ([`sorted_batches`]), 8 to 16 bytes a record
//! instead of a differential arrangement. Joins, distinct documents and the connected components
//! are differential's.

use std::cell::RefCell;
use std::rc::Rc;

use differential_dataflow::algorithms::graphs::propagate::propagate;
use differential_dataflow::VecCollection;
use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::{Exchange as Pact, Pipeline};
use timely::dataflow::operators::probe::Handle;
use timely::dataflow::operators::vec::Broadcast;
use timely::dataflow::operators::{Capability, Exchange, Operator, Probe};
use timely::dataflow::StreamVec;

use super::records::{CompItem, DocInfo, EvBits, Judged, Meta, PairEv, SigRec};
use crate::lsh::{pack, pairs_in_run, unpack};
use crate::verify;

/// A collection of the run (time: the phase, `u32`; differences: `isize`).
pub type Coll<'s, D> = VecCollection<'s, u32, D, isize>;

/// Routes records by `route`, holds them until their time is complete, then hands them to
/// `logic` sorted; what `logic` emits leaves as differential updates `(record, time, +1)`.
pub fn sorted_batches<'s, D, O>(
    stream: StreamVec<'s, u32, D>,
    name: &str,
    route: impl Fn(&D) -> u64 + 'static,
    mut logic: impl FnMut(Vec<D>, &mut Vec<O>) + 'static,
) -> StreamVec<'s, u32, (O, u32, isize)>
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
                let t = *cap.time();
                let mut session = output.session(&cap);
                for o in out {
                    session.give((o, t, 1isize));
                }
            }
        }
    })
}

/// Where a record goes: the worker number (mod the workers) from the record.
pub type Route<D> = Box<dyn Fn(&D) -> u64>;

/// The two outputs of [`anchor_counts`]: `(document, count)` and `(packed pair, count)`.
pub type AnchorCounts<'s> = (Coll<'s, (u32, u32)>, Coll<'s, (u64, u32)>);

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

/// LSH: runs of documents sharing a band key, linked as chain plus star ([`pairs_in_run`]);
/// `bands` holds `(band key, document)`.
pub fn band_candidates<'s>(bands: StreamVec<'s, u32, (u64, u32)>) -> Coll<'s, u64> {
    VecCollection::new(sorted_batches(
        bands,
        "BandRuns",
        |x: &(u64, u32)| x.0,
        |data, out| {
            let mut run = Vec::new();
            for chunk in data.chunk_by(|a, b| a.0 == b.0).filter(|c| c.len() > 1) {
                run.clear();
                run.extend(chunk.iter().map(|x| x.1));
                pairs_in_run(&run, out);
            }
        },
    ))
}

/// Anchors `(anchor, document)`: runs over the document-frequency cap `max_df` dropped, then
/// the informative count of each document `(document, count)` and the shared count of each
/// pair `(packed pair, count)` that shares at least `min_shared`, both summed by key in a second
/// sorted pass (routed by document and by pair).
pub fn anchor_counts<'s>(
    anchors: StreamVec<'s, u32, (u32, u32)>,
    max_df: usize,
    min_shared: u32,
) -> AnchorCounts<'s> {
    let runs = sorted_batches(
        anchors,
        "AnchorRuns",
        |x: &(u32, u32)| u64::from(x.0),
        move |data, out: &mut Vec<(u8, u64, u32)>| {
            // Summed here first, so that one record per document and per pair leaves.
            let (mut docs, mut pairs, mut run) = (Vec::new(), Vec::new(), Vec::new());
            for chunk in data.chunk_by(|a, b| a.0 == b.0).filter(|c| c.len() <= max_df) {
                docs.extend(chunk.iter().map(|x| x.1));
                if chunk.len() > 1 {
                    run.clear();
                    run.extend(chunk.iter().map(|x| x.1));
                    pairs_in_run(&run, &mut pairs);
                }
            }
            drop(data);
            docs.sort_unstable();
            out.extend(
                docs.chunk_by(|a, b| a == b).map(|c| (0u8, u64::from(c[0]), c.len() as u32)),
            );
            pairs.sort_unstable();
            out.extend(pairs.chunk_by(|a, b| a == b).map(|c| (1u8, c[0], c.len() as u32)));
        },
    );
    let counts = VecCollection::new(sorted_batches(
        runs,
        "AnchorCounts",
        |x: &((u8, u64, u32), u32, isize)| x.0 .1,
        move |data, out: &mut Vec<(u8, u64, u32)>| {
            for c in data.chunk_by(|a, b| (a.0 .0, a.0 .1) == (b.0 .0, b.0 .1)) {
                let (kind, key, _) = c[0].0;
                let n: u32 = c.iter().map(|x| x.0 .2).sum();
                if kind == 0 || n >= min_shared {
                    out.push((kind, key, n));
                }
            }
        },
    ));
    let informative = counts.clone().filter(|x| x.0 == 0).map(|(_, d, n)| (d as u32, n));
    let pairs = counts.filter(|x| x.0 == 1).map(|(_, p, n)| (p, n));
    (informative, pairs)
}

/// Signatures with their informative anchor counts (0 when none).
pub fn doc_infos<'s>(
    sigs: Coll<'s, (u32, SigRec)>,
    informative: Coll<'s, (u32, u32)>,
) -> Coll<'s, (u32, DocInfo)> {
    let keys = sigs.clone().map(|(d, _)| (d, ()));
    let none = keys.antijoin(informative.clone().map(|(d, _)| d)).map(|(d, ())| (d, 0u32));
    sigs.join_map(informative.concat(none), |&d, s, &informative| {
        (d, DocInfo { sig: s.clone(), informative })
    })
}

/// Verification: every candidate (LSH or anchors, distinct) with its shared anchor count,
/// joined with both documents, judged by `judge` (estimate, then `Some(borderline)` for a pair
/// accepted or borderline, `None` for one rejected) in the second join, so that only the
/// candidates with one signature are held, never both.
pub fn verification<'s>(
    lsh: Coll<'s, u64>,
    docs: Coll<'s, (u32, DocInfo)>,
    anchor_pairs: Coll<'s, (u64, u32)>,
    judge: impl Fn(&verify::Evidence, &DocInfo, &DocInfo) -> Option<bool> + 'static,
) -> (Coll<'s, u64>, Coll<'s, Judged>) {
    let candidates = lsh.concat(anchor_pairs.clone().map(|(p, _)| p)).distinct();
    let keyed = candidates.clone().map(|p| (p, ()));
    let shared = keyed.clone().join_map(anchor_pairs.clone(), |&p, &(), &s| (p, s));
    let unshared = keyed.antijoin(anchor_pairs.map(|(p, _)| p)).map(|(p, ())| (p, 0u32));
    let with_a = shared
        .concat(unshared)
        .map(|(p, s)| {
            let (a, b) = unpack(p);
            (a, (b, s))
        })
        .join_map(docs.clone(), |&a, &(b, s), xa| (b, (a, s, xa.clone())));
    let judged = with_a
        .join_map(docs, move |&b, (a, s, xa), xb| {
            let e = verify::estimate(
                &xa.sig.sig,
                &xb.sig.sig,
                *s,
                (xa.informative, xb.informative),
                (xa.sig.size, xb.sig.size),
            );
            judge(&e, xa, xb).map(|borderline| Judged {
                pair: pack(*a, b),
                evidence: EvBits::from(&e),
                borderline,
            })
        })
        .flat_map(|j| j);
    (candidates, judged)
}

/// The documents of the borderline pairs, sent to the workers that hold them (`owner`).
pub fn needed_docs<'s>(borderline: Coll<'s, u64>) -> Coll<'s, u32> {
    borderline
        .flat_map(|p| {
            let (a, b) = unpack(p);
            [a, b]
        })
        .distinct()
}

/// Exact evidence of the borderline pairs from the documents' shingle sets `(doc, set)`.
pub fn settle_exact<'s>(
    borderline: Coll<'s, u64>,
    sets: Coll<'s, (u32, Vec<u32>)>,
) -> Coll<'s, PairEv> {
    borderline.map(unpack).join_map(sets.clone(), |&a, &b, sa| (b, (a, sa.clone()))).join_map(
        sets,
        |&b, (a, sa), sb| PairEv {
            pair: pack(*a, b),
            evidence: EvBits::from(&verify::exact(sa, sb)),
        },
    )
}

/// Connected components of the verified pairs: each document in a pair with the least
/// document of its component (differential's `propagate`).
pub fn components<'s>(verified: Coll<'s, u64>) -> Coll<'s, (u32, u32)> {
    let edges = verified.map(unpack).flat_map(|(a, b)| [(a, b), (b, a)]);
    let nodes = edges.clone().map(|(a, _)| a).distinct().map(|a| (a, a));
    propagate(edges, nodes)
}

/// Everything the grouping of a component needs, keyed by its label: its members (with
/// signature, anchors and metadata), its verified pairs, the pairs settled exactly and the
/// anchor matches inside it.
pub fn component_items<'s>(
    labels: Coll<'s, (u32, u32)>,
    docs: Coll<'s, (u32, DocInfo)>,
    meta: Coll<'s, (u32, Meta)>,
    verified: Coll<'s, PairEv>,
    settled: Coll<'s, PairEv>,
    anchor_pairs: Coll<'s, (u64, u32)>,
) -> Coll<'s, (u32, CompItem)> {
    let members = labels
        .clone()
        .join_map(docs, |&d, &label, info| (d, (label, info.clone())))
        .join_map(meta, |&doc, (label, info), m| {
            (*label, CompItem::Doc { doc, info: info.clone(), meta: m.clone() })
        });
    // A pair whose two documents share a label, keyed by it.
    let inside = |pairs: Coll<'s, (u64, CompItem)>, labels: Coll<'s, (u32, u32)>| {
        pairs
            .map(|(p, x)| (unpack(p).0, (unpack(p).1, x)))
            .join_map(labels.clone(), |_, (b, x), &la| (*b, (x.clone(), la)))
            .join_map(labels, |_, (x, la), &lb| (*la, lb, x.clone()))
            .filter(|(la, lb, _)| la == lb)
            .map(|(l, _, x)| (l, x))
    };
    let v = verified.map(|p| (p.pair, CompItem::Verified(p)));
    let s = settled.map(|p| (p.pair, CompItem::Settled(p)));
    let a = anchor_pairs.map(|(p, n)| (p, CompItem::Anchors(p, n)));
    members.concat(inside(v.concat(s).concat(a), labels))
}
