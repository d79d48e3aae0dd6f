//! `neardup dedup --hosts FILE --process-id I --workers W`: the dedup pipeline on Timely and
//! Differential Dataflow, across processes and machines. All engine code is in this module.
//!
//! ```text
//! every worker: read the feed, parse its shard (record ordinal mod workers) ─► fingerprints
//!   (doc, signature)  (band key, doc)  (anchor, doc)  (doc, id and metadata)
//! band keys ─exchange by key─► runs ─► candidate pairs          (lsh::pairs_in_run, capped)
//! anchors ─exchange by anchor─► df cap ─► shared counts ─► candidate pairs, informative counts
//! candidates ⋈ signatures (by a, then by b) ─► evidence ─► verified pairs    (verify::estimate)
//! verified edges ─► connected components: differential's `propagate` (iterative, min label)
//! components, their pairs and signatures ─► worker 0 ─► star-shaped groups, kept documents
//! worker 0 ─broadcast removed documents─► every worker writes its shard's unique records
//! ```
//!
//! Every process runs the same binary with the same host file and worker count; timely
//! connects them and numbers the workers `process * W + thread`. Document numbers are the
//! records' ordinals in the feed, as in the single-machine run, so the candidates, the
//! evidence and the groups are the same: the tests check that they are identical.
//!
//! The boilerplate pass (counting recurring lines) runs in every process over the whole feed
//! before the dataflow starts: it is exact but not divided among machines. Verification is
//! from signatures (`--verify estimate`); settling borderline pairs on their texts is not
//! distributed yet. The engine is fail-stop: a failed run is started again from its inputs
//! (nothing is written before the groups are known, and the outputs are replaced whole).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use differential_dataflow::algorithms::graphs::propagate::propagate;
use differential_dataflow::input::Input;
use differential_dataflow::VecCollection;
use timely::dataflow::channels::pact::Exchange as Pact;
use timely::dataflow::operators::probe::Handle;
use timely::dataflow::operators::vec::Broadcast;
use timely::dataflow::operators::{Capability, Exchange, Inspect, Operator, Probe};
use timely::dataflow::{InputHandleVec, StreamVec};

use super::args::DedupArgs;
use super::config;
use super::feed::{Feed, BATCH_BYTES, BATCH_DOCS};
use neardup::boilerplate::Boilerplate;
use neardup::dedup::{DocFingerprint, DocMeta, Engine, Fingerprints, Keep, Pair, Resolution};
use neardup::input::Corpus;
use neardup::lsh::anchors::AnchorMatches;
use neardup::lsh::{band_key, pack, pairs_in_run, unpack};
use neardup::verify::{self, Evidence, VerifyMode};

/// Where this process sits in the run.
#[derive(Clone, Debug)]
pub struct Placement {
    /// `host:port` of every process, in process order.
    pub hosts: Vec<String>,
    /// This process's index in `hosts`.
    pub process: usize,
    /// Worker threads per process (equal in every process).
    pub workers: usize,
}

/// Reads a host file: one `host:port` per line, in process order; blank lines and `#`
/// comments are ignored.
pub fn read_hosts(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the host file {}", path.display()))?;
    let mut hosts = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let ok = line
            .rsplit_once(':')
            .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok_and(|p| p > 0));
        if !ok {
            bail!("{}:{}: expected host:port, found {line:?}", path.display(), i + 1);
        }
        hosts.push(line.to_owned());
    }
    if hosts.is_empty() {
        bail!("{}: no hosts", path.display());
    }
    Ok(hosts)
}

impl Placement {
    /// From the command line.
    pub fn from_args(hosts: &Path, process: usize, workers: usize) -> Result<Placement> {
        let hosts = read_hosts(hosts)?;
        if process >= hosts.len() {
            bail!("--process-id {process} is not below the {} hosts of the host file", hosts.len());
        }
        if workers == 0 {
            bail!("--workers must be at least 1");
        }
        Ok(Placement { hosts, process, workers })
    }

    fn timely_config(&self) -> timely::Config {
        let communication = if self.hosts.len() == 1 {
            timely::CommunicationConfig::Process(self.workers)
        } else {
            timely::CommunicationConfig::Cluster {
                threads: self.workers,
                process: self.process,
                addresses: self.hosts.clone(),
                report: false,
                zerocopy: false,
            }
        };
        timely::Config { communication, worker: timely::WorkerConfig::default() }
    }
}

/// How long processes wait for each other at the start.
const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// Before timely connects the processes, process 0 checks that every process runs the same
/// version with the same host file, worker count and dedup parameters (`fingerprint`): timely
/// itself assumes equal worker counts and would fail obscurely on a mismatch. Process 0
/// listens on its own address; the others connect, send their line and read the verdict.
fn handshake(place: &Placement, fingerprint: &str) -> Result<()> {
    use std::io::{BufRead, BufReader};
    use std::net::{TcpListener, TcpStream};
    if place.hosts.len() == 1 {
        return Ok(());
    }
    let line = |process: usize| {
        format!(
            "neardup-handshake {} process={process} workers={} hosts={} params={fingerprint}\n",
            env!("CARGO_PKG_VERSION"),
            place.workers,
            xxhash_rust::xxh3::xxh3_64(place.hosts.join(",").as_bytes())
        )
    };
    let deadline = Instant::now() + HANDSHAKE_TIMEOUT;
    if place.process == 0 {
        let listener = TcpListener::bind(&place.hosts[0])
            .with_context(|| format!("listening on {}", place.hosts[0]))?;
        listener.set_nonblocking(true)?;
        let mine = line(0);
        let mut streams = Vec::new();
        let mut problems = Vec::new();
        while streams.len() + 1 < place.hosts.len() {
            match listener.accept() {
                Ok((stream, _)) => {
                    stream.set_nonblocking(false)?;
                    stream.set_read_timeout(Some(HANDSHAKE_TIMEOUT))?;
                    let mut theirs = String::new();
                    BufReader::new(&stream).read_line(&mut theirs)?;
                    let expected = theirs
                        .split_whitespace()
                        .find_map(|w| w.strip_prefix("process="))
                        .and_then(|p| p.parse::<usize>().ok())
                        .map(line);
                    if expected.as_deref() != Some(theirs.as_str()) {
                        problems.push(format!(
                            "process 0 has `{}`, a peer sent `{}`",
                            mine.trim(),
                            theirs.trim()
                        ));
                    }
                    streams.push(stream);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if Instant::now() > deadline {
                        bail!(
                            "only {} of {} processes arrived within {:?}",
                            streams.len() + 1,
                            place.hosts.len(),
                            HANDSHAKE_TIMEOUT
                        );
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(e) => return Err(e).context("accepting a peer"),
            }
        }
        // Closed before the verdict goes out: a peer that reads it and starts timely must not
        // reach this listener instead of timely's.
        drop(listener);
        let verdict = if problems.is_empty() {
            "ok\n".to_owned()
        } else {
            format!("{}\n", problems.join("; "))
        };
        for mut s in streams {
            let _ = s.write_all(verdict.as_bytes());
        }
        if !problems.is_empty() {
            bail!("the processes disagree: {}", problems.join("; "));
        }
        return Ok(());
    }
    let stream = loop {
        match TcpStream::connect(&place.hosts[0]) {
            Ok(s) => break s,
            Err(e) if Instant::now() > deadline => {
                return Err(e)
                    .with_context(|| format!("connecting to process 0 at {}", place.hosts[0]))
            }
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    };
    stream.set_read_timeout(Some(HANDSHAKE_TIMEOUT))?;
    (&stream).write_all(line(place.process).as_bytes())?;
    let mut verdict = String::new();
    BufReader::new(&stream).read_line(&mut verdict).context("waiting for process 0's verdict")?;
    if verdict.trim() != "ok" {
        bail!("the processes disagree: {}", verdict.trim());
    }
    Ok(())
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

/// A document's signature with its shingle count.
type SigRec = (Vec<u32>, u32);
/// A document's text length, date and id (raw JSON).
type Meta = (u64, Option<String>, String);
/// What worker 0 needs of a document in a component: label, signature, informative anchors,
/// metadata.
type CompDoc = (u32, SigRec, u32, Meta);
/// Evidence as exchangeable, ordered bits: (Jaccard, containment, shared anchors).
type EvBits = (u64, u64, u32);

fn bits(e: &Evidence) -> EvBits {
    (e.jaccard.to_bits(), e.containment.to_bits(), e.shared_anchors)
}

fn unbits(b: &EvBits) -> Evidence {
    Evidence { jaccard: f64::from_bits(b.0), containment: f64::from_bits(b.1), shared_anchors: b.2 }
}

/// One worker's shard, read and fingerprinted.
#[derive(Default)]
struct Shard {
    sigs: Vec<(u32, SigRec)>,
    bands: Vec<(u64, u32)>,
    anchors: Vec<(u32, u32)>,
    meta: Vec<(u32, Meta)>,
    /// Ordinals of the records that were read without error.
    valid: Vec<u32>,
    records: u64,
    invalid: u64,
    empty: u64,
}

/// Reads the feed and parses the records of this worker's shard (record ordinal mod `peers`),
/// handing each batch of them to `f` as `(ordinal, document)`. Invalid records are skipped
/// under `skip_invalid` (with a warning when `warn`), else the first one stops the read.
/// Returns the shard's record count and the invalid ones skipped.
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

fn read_shard(
    corpus: &Corpus,
    engine: &Engine,
    bp: &Boilerplate,
    skip_invalid: bool,
    warn: bool,
    index: usize,
    peers: usize,
) -> Result<Shard> {
    let mut shard = Shard::default();
    let banding = engine.banding();
    // The boilerplate pass, when it ran, has warned about skipped records already.
    let (records, invalid) = read_own(corpus, skip_invalid, warn, index, peers, |docs| {
        let texts: Vec<Option<&str>> = docs.iter().map(|(_, d)| Some(&*d.text)).collect();
        let fps = engine.fingerprint_texts(&texts, bp);
        for ((d, doc), fp) in docs.iter().zip(fps) {
            shard.valid.push(*d);
            shard.meta.push((
                *d,
                (
                    doc.text.len() as u64,
                    doc.date.as_deref().map(str::to_owned),
                    doc.id_json.to_string(),
                ),
            ));
            let Some(DocFingerprint { signature: Some(sig), anchors, size }) = fp else {
                shard.empty += 1;
                continue;
            };
            for band in 0..banding.bands {
                shard.bands.push((band_key(&sig, band, banding.rows), *d));
            }
            shard.anchors.extend(anchors.iter().map(|&a| (a, *d)));
            shard.sigs.push((*d, (sig, size)));
        }
    })?;
    (shard.records, shard.invalid) = (records, invalid);
    Ok(shard)
}

/// Routes records by `route`, holds them until their time is complete, then hands them to
/// `logic` sorted; what `logic` emits leaves as differential updates `(record, time, +1)`.
fn sorted_batches<'s, D, O>(
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

/// What worker 0 gathers.
#[derive(Default)]
struct Gathered {
    docs: BTreeMap<u32, (CompDoc, isize)>,
    pairs: BTreeMap<(u32, u32), (EvBits, isize)>,
    anchor_pairs: BTreeMap<u64, (u32, isize)>,
    candidates: isize,
    stats: Vec<(u64, u64, u64)>,
    errors: Vec<String>,
}

/// What every worker reports back to `run`.
struct WorkerOutcome {
    index: usize,
    summary: Option<String>,
    error: Option<String>,
}

/// Runs `neardup dedup` in distributed mode.
pub fn run(a: &DedupArgs, hosts: &Path) -> Result<()> {
    let start = Instant::now();
    let place = Placement::from_args(hosts, a.dist.process_id, a.dist.workers)?;
    let cfg = config::dedup_config(a)?;
    if cfg.verify != VerifyMode::Estimate {
        bail!(
            "--hosts verifies from signatures: pass --verify estimate (settling borderline pairs on their texts is not distributed yet)"
        );
    }
    if a.store.is_some() {
        bail!("--hosts cannot be combined with --store");
    }
    let Some(output) = a.output.clone() else {
        bail!("--hosts needs --output: each worker writes OUTPUT.part-NNN and its manifest");
    };
    let keep = config::keep(a)?;
    let fingerprint = params_fingerprint(&format!("dedup {cfg:?} {:?}", a.keep), &a.input);
    handshake(&place, &fingerprint)?;
    let engine = Arc::new(Engine::new(cfg).context("configuring dedup")?);
    let corpus = Arc::new(super::feed::open_corpus(&a.input)?);
    // Pass 1, replicated in every process: the boilerplate lines of the whole feed.
    let mut feed = Feed::new(&corpus, a.input.skip_invalid);
    feed.progress = false;
    let (bp, first) = super::feed::boilerplate_pass(&engine, &mut feed)?;
    let bp = Arc::new(bp);
    let job = Arc::new(Job {
        skip_invalid: a.input.skip_invalid,
        warn: first.is_none(),
        keep,
        output,
        groups: a.groups.clone(),
        pairs: a.pairs.clone(),
        workers: place.workers,
        process: place.process,
        quiet: a.quiet,
    });
    let guards = timely::execute(place.timely_config(), move |worker| {
        let outcome = work(worker, &engine, &corpus, &bp, &job);
        match outcome {
            Ok(summary) => WorkerOutcome { index: worker.index(), summary, error: None },
            Err(e) => WorkerOutcome {
                index: worker.index(),
                summary: None,
                error: Some(format!("{e:#}")),
            },
        }
    })
    .map_err(|e| anyhow::anyhow!("starting the dataflow on {hosts:?}: {e}"))?;
    let mut first_error = None;
    for r in guards.join() {
        match r {
            Ok(WorkerOutcome { summary, error: None, .. }) => {
                if let (Some(s), false) = (summary, a.quiet) {
                    eprintln!("{s}, {:.2} s", start.elapsed().as_secs_f64());
                }
            }
            Ok(WorkerOutcome { index, error: Some(e), .. }) => {
                first_error.get_or_insert(format!("worker {index}: {e}"));
            }
            Err(e) => {
                first_error.get_or_insert(format!("a worker failed: {e}"));
            }
        }
    }
    match first_error {
        Some(e) => bail!("{e}"),
        None => Ok(()),
    }
}

struct Job {
    skip_invalid: bool,
    /// Whether the shard read warns about skipped records (no boilerplate pass did).
    warn: bool,
    keep: Keep,
    output: PathBuf,
    groups: Option<PathBuf>,
    pairs: Option<PathBuf>,
    workers: usize,
    process: usize,
    quiet: bool,
}

/// One worker's part: read, build the dataflow, run it, finish on worker 0, write the shard.
fn work(
    worker: &mut timely::worker::Worker,
    engine: &Engine,
    corpus: &Corpus,
    bp: &Boilerplate,
    job: &Job,
) -> Result<Option<String>> {
    let index = worker.index();
    let peers = worker.peers();
    let started = Instant::now();
    let shard = read_shard(corpus, engine, bp, job.skip_invalid, job.warn, index, peers);
    let t_read = started.elapsed().as_secs_f64();
    let (shard, read_error) = match shard {
        Ok(s) => (s, None),
        // Keep taking part in the dataflow with nothing, so that the others do not wait;
        // the error reaches every worker and nobody writes output.
        Err(e) => (Shard::default(), Some(format!("{e:#}"))),
    };
    let cfg = engine.config().clone();
    let (max_df, min_shared) = (cfg.anchors.max_df as usize, cfg.anchors.min_shared as isize);
    let thresholds = engine.thresholds();

    let gathered = Rc::new(RefCell::new(Gathered::default()));
    let removed_seen: Rc<RefCell<Vec<u32>>> = Rc::new(RefCell::new(Vec::new()));
    let probe = Handle::new();
    let probe2 = Handle::new();
    let mut band_in: InputHandleVec<u32, (u64, u32)> = InputHandleVec::new();
    let mut anchor_in: InputHandleVec<u32, (u32, u32)> = InputHandleVec::new();
    let (mut sig_in, mut meta_in, mut stat_in, mut err_in, mut removed_in) = worker
        .dataflow::<u32, _, _>(|scope| {
            let (sig_in, sigs) = scope.new_collection::<(u32, SigRec), isize>();
            let (meta_in, meta) = scope.new_collection::<(u32, Meta), isize>();
            let (stat_in, stats) = scope.new_collection::<(usize, (u64, u64, u64)), isize>();
            let (err_in, errs) = scope.new_collection::<(usize, String), isize>();
            let (removed_in, removed) = scope.new_collection::<u32, isize>();

            // LSH: runs of documents sharing a band key (giant runs linked as chain + star). Band
            // keys and anchors are the bulk of the exchange: they are held as plain sorted
            // vectors (8-16 bytes a record), not as differential arrangements.
            let lsh = VecCollection::new(sorted_batches(
                band_in.to_stream(scope),
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
            ));

            // Anchors: document frequency cap, then informative counts (routed by document) and
            // shared counts (routed by pair), both summed in a second sorted pass.
            let anchor_runs = sorted_batches(
                anchor_in.to_stream(scope),
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
                        docs.chunk_by(|a, b| a == b)
                            .map(|c| (0u8, u64::from(c[0]), c.len() as u32)),
                    );
                    pairs.sort_unstable();
                    out.extend(pairs.chunk_by(|a, b| a == b).map(|c| (1u8, c[0], c.len() as u32)));
                },
            );
            let anchor_counts = VecCollection::new(sorted_batches(
                anchor_runs,
                "AnchorCounts",
                |x: &((u8, u64, u32), u32, isize)| x.0 .1,
                move |data, out: &mut Vec<(u8, u64, u32)>| {
                    for c in data.chunk_by(|a, b| (a.0 .0, a.0 .1) == (b.0 .0, b.0 .1)) {
                        let (kind, key, _) = c[0].0;
                        let n: u32 = c.iter().map(|x| x.0 .2).sum();
                        if kind == 0 || n as isize >= min_shared {
                            out.push((kind, key, n));
                        }
                    }
                },
            ));
            let informative =
                anchor_counts.clone().filter(|x| x.0 == 0).map(|(_, d, n)| (d as u32, n));
            let anchor_pairs = anchor_counts.filter(|x| x.0 == 1).map(|(_, p, n)| (p, n));

            // Signatures with their informative anchor counts (0 when none).
            let doc_keys = sigs.clone().map(|(d, _)| (d, ()));
            let no_inf =
                doc_keys.antijoin(informative.clone().map(|(d, _)| d)).map(|(d, ())| (d, 0u32));
            let inf = informative.concat(no_inf);
            let sigx = sigs.join(inf); // (d, (SigRec, informative))

            // Candidates, joined with both signatures and the shared anchor count.
            let candidates = lsh.concat(anchor_pairs.clone().map(|(p, _)| p)).distinct();
            let with_a = candidates
                .clone()
                .map(unpack)
                .join_map(sigx.clone(), |&a, &b, xa| (b, (a, xa.clone())));
            let both = with_a
                .join_map(sigx.clone(), |&b, (a, xa), xb| (pack(*a, b), (xa.clone(), xb.clone())));
            let shared =
                both.clone().join_map(anchor_pairs.clone(), |&p, x, &s| (p, (x.clone(), s)));
            let unshared =
                both.antijoin(anchor_pairs.clone().map(|(p, _)| p)).map(|(p, x)| (p, (x, 0u32)));
            let verified = shared
                .concat(unshared)
                .map(move |(p, ((((sa, na), ia), ((sb, nb), ib)), s))| {
                    (p, bits(&verify::estimate(&sa, &sb, s, (ia, ib), (na, nb))))
                })
                .filter(move |(_, e)| unbits(e).accepts(&thresholds));

            // Connected components: labels propagate to the least document number.
            let edges =
                verified.clone().map(|(p, _)| unpack(p)).flat_map(|(a, b)| [(a, b), (b, a)]);
            let nodes = edges.clone().map(|(a, _)| a).distinct().map(|a| (a, a));
            let labels = propagate(edges, nodes);

            // Gather at worker 0: component members with what grouping needs, their pairs,
            // the anchor matches inside components, counts and errors.
            let g = gathered.clone();
            labels
                .clone()
                .join_map(sigx, |&d, &label, (sig, inf)| (d, (label, sig.clone(), *inf)))
                .join_map(meta, |&d, (label, sig, inf), m| {
                    (d, (*label, sig.clone(), *inf, m.clone()))
                })
                .consolidate()
                .inner
                .exchange(|_| 0)
                .inspect(move |((d, doc), _t, r)| {
                    let mut g = g.borrow_mut();
                    g.docs.entry(*d).or_insert_with(|| (doc.clone(), 0)).1 += r;
                })
                .probe_with(&probe);
            let g = gathered.clone();
            verified
                .consolidate()
                .inner
                .exchange(|_| 0)
                .inspect(move |((p, e), _t, r)| {
                    let mut g = g.borrow_mut();
                    g.pairs.entry(unpack(*p)).or_insert((*e, 0)).1 += r;
                })
                .probe_with(&probe);
            let g = gathered.clone();
            anchor_pairs
                .map(|(p, s)| {
                    let (a, b) = unpack(p);
                    (a, (b, s))
                })
                .join_map(labels.clone(), |&a, &(b, s), &la| (b, (a, s, la)))
                .join_map(labels, |&b, &(a, s, la), &lb| (pack(a, b), s, la == lb))
                .filter(|(_, _, same)| *same)
                .map(|(p, s, _)| (p, s))
                .consolidate()
                .inner
                .exchange(|_| 0)
                .inspect(move |((p, s), _t, r)| {
                    let mut g = g.borrow_mut();
                    g.anchor_pairs.entry(*p).or_insert((*s, 0)).1 += r;
                })
                .probe_with(&probe);
            let g = gathered.clone();
            candidates
                .map(|_| ())
                .count()
                .inner
                .exchange(|_| 0)
                .inspect(move |(((), n), _t, r)| g.borrow_mut().candidates += n * r)
                .probe_with(&probe);
            let g = gathered.clone();
            stats
                .inner
                .exchange(|_| 0)
                .inspect(move |((_, s), _t, _r)| g.borrow_mut().stats.push(*s))
                .probe_with(&probe);
            // Errors reach every worker: nobody writes output after a failed read.
            let g = gathered.clone();
            errs.inner
                .broadcast()
                .inspect(move |((w, e), _t, _r)| {
                    g.borrow_mut().errors.push(format!("worker {w}: {e}"))
                })
                .probe_with(&probe);
            // Phase 2: the removed documents, from worker 0 to everyone.
            let seen = removed_seen.clone();
            removed
                .inner
                .broadcast()
                .inspect(move |(d, _t, r)| {
                    if *r > 0 {
                        seen.borrow_mut().push(*d);
                    }
                })
                .probe_with(&probe2);
            (sig_in, meta_in, stat_in, err_in, removed_in)
        });

    let (shard_records, band_count, anchor_count) =
        (shard.records, shard.bands.len(), shard.anchors.len());
    for s in shard.sigs {
        sig_in.insert(s);
    }
    for b in shard.bands {
        band_in.send(b);
    }
    for x in shard.anchors {
        anchor_in.send(x);
    }
    for m in shard.meta {
        meta_in.insert(m);
    }
    stat_in.insert((index, (shard.records, shard.invalid, shard.empty)));
    if let Some(e) = &read_error {
        err_in.insert((index, e.clone()));
    }
    for input in [
        &mut sig_in as &mut dyn Advance,
        &mut band_in,
        &mut anchor_in,
        &mut meta_in,
        &mut stat_in,
        &mut err_in,
        &mut removed_in,
    ] {
        input.advance_and_flush(1);
    }
    worker.step_while(|| probe.less_than(&1));

    let errors = gathered.borrow().errors.clone();
    if let Some(e) = errors.first() {
        removed_in.advance_and_flush(2);
        worker.step_while(|| probe2.less_than(&2));
        bail!("{e}");
    }

    let t_flow = started.elapsed().as_secs_f64() - t_read;
    let mut summary = None;
    let mut failed = None;
    if index == 0 {
        let g = std::mem::take(&mut *gathered.borrow_mut());
        match finish(engine, &g, job) {
            Ok((removed, line)) => {
                for d in removed {
                    removed_in.insert(d);
                }
                summary = Some(line);
            }
            Err(e) => {
                // Everyone must still pass phase 2; ABORT tells them to write nothing.
                removed_in.insert(ABORT);
                failed = Some(e);
            }
        }
    }
    removed_in.advance_and_flush(2);
    worker.step_while(|| probe2.less_than(&2));
    drop((sig_in, band_in, anchor_in, meta_in, stat_in, err_in, removed_in));
    if let Some(e) = failed {
        return Err(e);
    }
    let t_finish = started.elapsed().as_secs_f64() - t_read - t_flow;

    // Pass 3: this worker's unique records, in feed order.
    let mut removed = std::mem::take(&mut *removed_seen.borrow_mut());
    removed.sort_unstable();
    if removed.last() == Some(&ABORT) {
        bail!("worker 0 could not finish the groups");
    }
    write_part(corpus, &shard.valid, &removed, job, index, peers)?;
    if !job.quiet {
        eprintln!(
            "neardup: worker {index}: read and fingerprint {t_read:.2} s ({} records, {} band keys, {} anchors sent), dataflow {t_flow:.2} s, groups {t_finish:.2} s, write {:.2} s",
            shard_records,
            band_count,
            anchor_count,
            started.elapsed().as_secs_f64() - t_read - t_flow - t_finish
        );
    }
    Ok(summary)
}

/// The removed-document message that means "worker 0 failed: write nothing".
const ABORT: u32 = u32::MAX;

/// Advancing any of the input sessions.
trait Advance {
    fn advance_and_flush(&mut self, t: u32);
}

impl<D: timely::ExchangeData + Clone> Advance for InputHandleVec<u32, D> {
    fn advance_and_flush(&mut self, t: u32) {
        self.advance_to(t);
        self.flush();
    }
}

impl<D: differential_dataflow::ExchangeData> Advance
    for differential_dataflow::input::InputSession<u32, D, isize>
{
    fn advance_and_flush(&mut self, t: u32) {
        self.advance_to(t);
        self.flush();
    }
}

/// Worker 0: groups from the gathered components, exactly as the single-machine engine
/// makes them, written to `--groups` and `--pairs`. Returns the removed documents and the
/// summary line.
fn finish(engine: &Engine, g: &Gathered, job: &Job) -> Result<(Vec<u32>, String)> {
    let docs: Vec<(&u32, &CompDoc)> =
        g.docs.iter().filter(|(_, (_, r))| *r > 0).map(|(d, (doc, _))| (d, doc)).collect();
    // Local numbers follow the global order, so every tie breaks the same way.
    let global: Vec<u32> = docs.iter().map(|(d, _)| **d).collect();
    let local = |d: u32| global.binary_search(&d).ok().map(|i| i as u32);
    let num_perm = engine.config().num_perm;
    let mut fps = Fingerprints::default();
    let mut meta = Vec::with_capacity(docs.len());
    let mut informative = Vec::with_capacity(docs.len());
    let mut components: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for (i, (_, (label, (sig, size), inf, (len, date, _)))) in docs.iter().enumerate() {
        let fp = DocFingerprint { signature: Some(sig.clone()), anchors: Vec::new(), size: *size };
        fps.push(num_perm, Some(&fp))?;
        meta.push(DocMeta { len: *len as usize, date: date.clone() });
        informative.push(*inf);
        components.entry(*label).or_default().push(i as u32);
    }
    let mut pairs: Vec<Pair> = Vec::new();
    for (&(a, b), (e, r)) in &g.pairs {
        if *r > 0 {
            if let (Some(a), Some(b)) = (local(a), local(b)) {
                pairs.push(Pair { a, b, evidence: unbits(e) });
            }
        }
    }
    pairs.sort_by_key(|p| (p.a, p.b));
    let mut anchor_pairs: Vec<(u64, u32)> = g
        .anchor_pairs
        .iter()
        .filter(|(_, (_, r))| *r > 0)
        .filter_map(|(&p, &(s, _))| {
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
        g.candidates.max(0) as usize,
        AnchorMatches { informative, pairs: anchor_pairs },
    );
    let groups = engine.finish_groups(&fps, &res, &meta, job.keep);
    let id = |d: u32| docs[d as usize].1 .3 .2.as_str();
    if let Some(p) = &job.groups {
        super::dedup::write_groups(p, &groups, id)?;
    }
    if let Some(p) = &job.pairs {
        super::dedup::write_pairs(p, &res.pairs, id)?;
    }
    let mut removed = Vec::new();
    for gr in &groups {
        for &(m, _) in &gr.members {
            if m != gr.kept {
                removed.push(global[m as usize]);
            }
        }
    }
    let (records, invalid, empty) =
        g.stats.iter().fold((0, 0, 0), |acc, s| (acc.0 + s.0, acc.1 + s.1, acc.2 + s.2));
    let line = format!(
        "neardup: {records} documents ({invalid} invalid skipped, {empty} empty), {} duplicates in {} groups, {} candidates, {} processes x {} workers",
        removed.len(),
        groups.len(),
        res.candidates,
        g.stats.len() / job.workers.max(1),
        job.workers,
    );
    Ok((removed, line))
}

/// Writes `OUTPUT.part-NNN` (this worker's unique records, byte for byte, in feed order) and
/// `OUTPUT.part-NNN.json` (its manifest), each through a temporary file renamed into place.
fn write_part(
    corpus: &Corpus,
    valid: &[u32],
    removed: &[u32],
    job: &Job,
    index: usize,
    peers: usize,
) -> Result<()> {
    let name = |suffix: &str| {
        let mut s = job.output.clone().into_os_string();
        s.push(format!(".part-{index:03}{suffix}"));
        PathBuf::from(s)
    };
    let (path, tmp) = (name(""), name(".tmp"));
    let keep = |d: u32| {
        d as usize % peers == index
            && valid.binary_search(&d).is_ok()
            && removed.binary_search(&d).is_err()
    };
    super::feed::write_records(corpus, Some(&tmp), None, |o| keep(o as u32))?;
    let written = valid.iter().filter(|&&d| keep(d)).count();
    let bytes =
        std::fs::metadata(&tmp).with_context(|| format!("reading {}", tmp.display()))?.len();
    std::fs::rename(&tmp, &path).with_context(|| format!("renaming {}", tmp.display()))?;
    let manifest = serde_json::json!({
        "part": path.file_name().map(|n| n.to_string_lossy().into_owned()),
        "worker": index,
        "workers": peers,
        "process": job.process,
        "shard": format!("record ordinal % {peers} == {index}"),
        "unique_records": written,
        "bytes": bytes,
    });
    let mpath = name(".json");
    std::fs::write(&mpath, format!("{manifest}\n"))
        .with_context(|| format!("writing {}", mpath.display()))?;
    Ok(())
}

/// What a worker of the story clustering keeps of one article until the vectors are weighed.
struct ClusterDoc {
    ordinal: u32,
    counts: Vec<(neardup::cluster::story::Term, f32)>,
    id_json: String,
    title: String,
    date: Option<String>,
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
    let place = Placement::from_args(hosts, a.dist.process_id, a.dist.workers)?;
    let mut params = super::cluster::params_of(
        a.threshold,
        a.window.as_deref(),
        a.title_weight,
        a.entity_weight,
    )?;
    params.stem_chars = a.stem_chars;
    if a.window.is_some() && a.input.date_field.is_none() {
        bail!("--window needs --date-field");
    }
    if a.store.is_some() {
        bail!("--hosts cannot be combined with --store");
    }
    let fingerprint =
        params_fingerprint(&format!("cluster {params:?} {}", a.near_duplicate), &a.input);
    handshake(&place, &fingerprint)?;
    let corpus = Arc::new(super::feed::open_corpus(&a.input)?);
    let skip_invalid = a.input.skip_invalid;
    let guards = timely::execute(place.timely_config(), move |worker| {
        let vectorizer = Vectorizer::new(params);
        work_cluster(worker, &vectorizer, &corpus, skip_invalid).map_err(|e| format!("{e:#}"))
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
    let Some(mut sent) = gathered else {
        return Ok(()); // not process 0: worker 0 writes the stories
    };
    sent.sort_unstable_by_key(|(ordinal, _)| *ordinal);
    let mut articles = Vec::with_capacity(sent.len());
    let mut vectors = Vec::with_capacity(sent.len());
    for (_, (v, id_json, title, date)) in sent {
        vectors.push(v.into_iter().map(|(t, x)| (t, f32::from_bits(x))).collect());
        articles.push(super::cluster::Article {
            id_json,
            title,
            time: date.as_deref().and_then(super::cluster::parse_date),
            date,
            truth: None,
        });
    }
    let stories = super::cluster::assign(&articles, &vectors, &params);
    let ids: Vec<u64> = (0..=stories.iter().copied().max().unwrap_or(0) as u64).collect();
    super::cluster::write_stories(a, &params, &articles, &vectors, &stories, &ids)
}

/// One worker of the story clustering; worker 0 returns the gathered articles.
fn work_cluster(
    worker: &mut timely::worker::Worker,
    vectorizer: &neardup::cluster::story::Vectorizer,
    corpus: &Corpus,
    skip_invalid: bool,
) -> Result<Option<Vec<(u32, SentArticle)>>> {
    use ahash::AHashMap;
    let index = worker.index();
    let peers = worker.peers();
    let mut docs: Vec<ClusterDoc> = Vec::new();
    let read = read_own(corpus, skip_invalid, true, index, peers, |batch| {
        docs.extend(batch.iter().map(|(ordinal, d)| ClusterDoc {
            ordinal: *ordinal,
            counts: vectorizer.term_counts(None, &d.text),
            id_json: d.id_json.to_string(),
            title: super::cluster::title_of(&d.text),
            date: d.date.as_deref().map(str::to_owned),
        }));
    });
    let failure = read.err().map(|e| format!("{e:#}"));
    if failure.is_some() {
        docs.clear();
    }

    let df: Rc<RefCell<AHashMap<u32, u32>>> = Rc::new(RefCell::new(AHashMap::new()));
    let total = Rc::new(RefCell::new(0isize));
    let errors: Rc<RefCell<Vec<String>>> = Rc::new(RefCell::new(Vec::new()));
    let sent: Rc<RefCell<Vec<(u32, SentArticle)>>> = Rc::new(RefCell::new(Vec::new()));
    let (probe, probe2) = (Handle::new(), Handle::new());
    let (mut term_in, mut n_in, mut err_in, mut vec_in) = worker.dataflow::<u32, _, _>(|scope| {
        let (term_in, terms) = scope.new_collection::<u32, isize>();
        let (n_in, ns) = scope.new_collection::<(), isize>();
        let (err_in, errs) = scope.new_collection::<(usize, String), isize>();
        let (vec_in, vecs) = scope.new_collection::<(u32, SentArticle), isize>();
        // Document frequencies: summed by term, then known to every worker.
        let sink = df.clone();
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
        (term_in, n_in, err_in, vec_in)
    });

    // Phase 1: document frequencies (pre-summed per worker) and the number of articles.
    let mut local: AHashMap<u32, isize> = AHashMap::new();
    for d in &docs {
        for &(t, _) in &d.counts {
            *local.entry(t).or_insert(0) += 1;
        }
    }
    for (t, n) in local {
        term_in.update(t, n);
    }
    n_in.update((), docs.len() as isize);
    if let Some(e) = &failure {
        err_in.insert((index, e.clone()));
    }
    for input in [&mut term_in as &mut dyn Advance, &mut n_in, &mut err_in, &mut vec_in] {
        input.advance_and_flush(1);
    }
    worker.step_while(|| probe.less_than(&1));
    let failed = errors.borrow().first().cloned();

    // Phase 2: vectors weighed with the global statistics, sent to worker 0.
    if failed.is_none() {
        let df = df.borrow();
        let n = *total.borrow() as f32;
        for d in docs {
            let v = neardup::cluster::story::weigh(
                d.counts,
                |t| df.get(&t).copied().unwrap_or(1) as f32,
                n,
            );
            let v = v.into_iter().map(|(t, x)| (t, x.to_bits())).collect();
            vec_in.insert((d.ordinal, (v, d.id_json, d.title, d.date)));
        }
    }
    vec_in.advance_and_flush(2);
    worker.step_while(|| probe2.less_than(&2));
    drop((term_in, n_in, err_in, vec_in));
    if let Some(e) = failed {
        bail!("{e}");
    }
    Ok((index == 0).then(|| std::mem::take(&mut *sent.borrow_mut())))
}
