//! Dedup and the story pass across processes and machines on Timely Dataflow.
//!
//! ```text
//! plan: the corpus cut into one share per worker (shard.rs) ─► count pass ─► global ordinals
//! boilerplate: line keys counted per share ─exchange by key─► summed ─► the boilerplate set
//!   broadcast; one holder of each line re-reads it and broadcasts its text
//! fingerprints per share: (band key, doc) (anchor, doc), signatures and metadata kept local
//! band keys ─exchange by key─► runs ─► candidates ─exchange by pair─► distinct, with shared
//! anchors ◄─exchange by pair─ anchor counts ◄─exchange by anchor─ anchors
//! candidates here ─ask the holders─► signatures (each once per asking worker) ─► estimate
//!   ─► accepted, rejected or borderline
//! borderline pairs here ─ask the holders─► they re-read the docs ─► shingle sets ─► exact
//! verified pairs ─broadcast─► components labelled on every worker (union-find)
//!   ─► pairs and members ─exchange by component─► star groups where the component lives
//! removed docs ─► their holders write their share's unique records; groups ─► worker 0
//! ```
//!
//! Every process runs the same binary with the same host file, worker count and parameters;
//! timely numbers the workers `process * workers + thread`. Documents are numbered by their
//! record ordinals in the whole corpus, so candidates, evidence and groups are the single
//! machine's ([`crate::dedup::Engine::resolve`], `settle`, `finish_groups`): the tests check
//! that they are identical, on one process and on three. Each worker reads only its share
//! (plus the few records it re-reads); the data exchanged are keys, signatures of candidates'
//! documents, shingle sets of borderline documents, the verified pairs and the records of
//! components, never whole texts. The stages hold their records in sorted vectors and meet
//! through plain timely exchanges: differential's arrangements cost more than the work here.
//!
//! The run is fail-stop. A worker whose step fails tells the others, and every worker stops
//! with an error naming it; a process that dies or falls silent is noticed by the liveness
//! channel of [`handshake()`] within [`handshake::SILENCE`]. Output files are written through
//! temporary files renamed into place once the groups are known.

mod driver;
pub mod handshake;
pub mod records;
pub mod shard;
pub mod stages;
pub mod stories;

use std::path::PathBuf;
use std::sync::Arc;

pub use handshake::{execute, handshake, read_hosts, Placement, Watch};

use crate::dedup::{DedupConfig, Group, Keep, Pair};
use crate::error::{Error, Result};
use crate::input::Corpus;
use crate::verify::VerifyMode;

/// A distributed dedup run's parameters.
#[derive(Clone, Debug)]
pub struct DedupJob {
    /// The engine's configuration ([`VerifyMode::Exact`] is not distributed).
    pub config: DedupConfig,
    /// Which member of a group is kept.
    pub keep: Keep,
    /// Skip invalid records (reported in [`DedupOutcome::warnings`]) instead of failing.
    pub skip_invalid: bool,
    /// Each worker writes its share's unique records to `OUTPUT.part-NNN` (and a manifest
    /// `OUTPUT.part-NNN.json`); `None` writes none.
    pub output: Option<PathBuf>,
}

/// Totals of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Records read (valid or not).
    pub records: u64,
    /// Invalid records skipped.
    pub invalid: u64,
    /// Valid records without a shingle.
    pub empty: u64,
    /// Documents removed as duplicates.
    pub duplicates: u64,
    /// Duplicate groups.
    pub groups: u64,
    /// Candidate pairs examined.
    pub candidates: u64,
    /// Borderline pairs settled on their shingle sets.
    pub settled: u64,
    /// Boilerplate lines.
    pub boilerplate_lines: u64,
}

/// What one worker did.
#[derive(Clone, Debug, Default)]
pub struct WorkerReport {
    /// The worker's index.
    pub worker: usize,
    /// Records in its share.
    pub records: u64,
    /// Seconds per stage, in order.
    pub stages: Vec<(&'static str, f64)>,
    /// Records this worker sent into each exchange, and their approximate bytes on the wire
    /// (the payload, without timely's framing).
    pub sent: Vec<(&'static str, u64, u64)>,
    /// The part it wrote: path, unique records, bytes.
    pub part: Option<(PathBuf, u64, u64)>,
}

/// What one process gets back.
#[derive(Debug, Default)]
pub struct DedupOutcome {
    /// Process 0: the groups, in the single machine's order, numbered by record ordinal.
    pub groups: Option<Vec<Group>>,
    /// Process 0: the verified pairs, sorted.
    pub pairs: Option<Vec<Pair>>,
    /// Process 0: the ids (raw JSON) of the documents in `groups` and `pairs`, sorted by
    /// document.
    pub ids: Vec<(u32, String)>,
    /// Process 0: the totals.
    pub stats: Option<RunStats>,
    /// This process's skipped records.
    pub warnings: Vec<String>,
    /// This process's workers.
    pub workers: Vec<WorkerReport>,
}

impl DedupOutcome {
    /// The id of document `d` (from [`DedupOutcome::ids`]).
    pub fn id(&self, d: u32) -> &str {
        match self.ids.binary_search_by_key(&d, |x| x.0) {
            Ok(i) => &self.ids[i].1,
            Err(_) => "null",
        }
    }
}

/// Runs dedup as this process's part of a distributed run (all processes call it alike).
/// `watch` comes from [`handshake()`] (or `Watch::default()` for one process).
///
/// # Errors
/// [`Error::InvalidParam`] for `--verify exact` or an engine that cannot be built; the read
/// and write errors of this process's share; [`Error::Worker`] when another worker failed;
/// [`Error::Peer`] when another process was lost.
pub fn dedup(
    place: &Placement,
    watch: &Watch,
    corpus: Arc<Corpus>,
    job: &DedupJob,
) -> Result<DedupOutcome> {
    if job.config.verify == VerifyMode::Exact {
        return Err(Error::InvalidParam {
            name: "verify",
            reason: "exact verification keeps every shingle set in memory and is not distributed: use auto (the default) or estimate".into(),
        });
    }
    let engine = Arc::new(crate::dedup::Engine::new(job.config.clone())?);
    let ctx = Arc::new(driver::Ctx { engine, corpus, job: job.clone(), watch: watch.clone() });
    let guards = execute(place, watch, move |worker| driver::work(worker, &ctx))?;
    let mut outcome = DedupOutcome::default();
    for w in join(guards, watch)? {
        outcome.warnings.extend(w.warnings);
        outcome.workers.push(w.report);
        if let Some(f) = w.finals {
            outcome.groups = Some(f.groups);
            outcome.pairs = Some(f.pairs);
            outcome.ids = f.ids;
            outcome.stats = Some(f.stats);
        }
    }
    Ok(outcome)
}

/// Waits for this process's workers and returns their results, or the run's error: the
/// first cause a worker names (rather than another worker's echo of it), or the lost process
/// when a worker thread broke off or a worker saw a peer go.
fn join<T: Send + 'static>(
    guards: timely::communication::WorkerGuards<Result<T>>,
    watch: &Watch,
) -> Result<Vec<T>> {
    let mut results = Vec::new();
    let mut first_error: Option<Error> = None;
    let mut panicked = false;
    for r in guards.join() {
        match r {
            Ok(Ok(w)) => results.push(w),
            Ok(Err(e)) => {
                // The worker that failed first names the cause; the others only echo it.
                let echo = is_echo(&e);
                if first_error.is_none() || (!echo && first_error.as_ref().is_some_and(is_echo)) {
                    first_error = Some(e);
                }
            }
            Err(e) => {
                panicked = true;
                first_error.get_or_insert(Error::InvalidParam {
                    name: "hosts",
                    reason: format!("a worker thread failed: {e}"),
                });
            }
        }
    }
    if panicked {
        // A process that died breaks timely's channels, and the workers stop on that before
        // the liveness channel reports the process: its loss, when it comes, is the cause.
        let until = std::time::Instant::now() + handshake::HEARTBEAT;
        while watch.lost().is_none() && std::time::Instant::now() < until {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
    // A worker's error names its cause; a lost peer seen by a worker is the lost process.
    if first_error.as_ref().is_some_and(|e| panicked || matches!(e, Error::Peer { .. })) {
        if let Some(lost) = watch.lost() {
            first_error = Some(lost);
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(results),
    }
}

fn is_echo(e: &Error) -> bool {
    matches!(e, Error::Worker { .. } | Error::Peer { .. })
}
