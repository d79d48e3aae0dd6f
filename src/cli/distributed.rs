//! `--hosts FILE --process-id I --workers W`: the flags of a distributed run turned into the
//! library's [`neardup::dataflow`] calls, and the outputs written. `dedup` runs entirely in
//! the library; `cluster` counts terms and document frequencies on the dataflow and assigns
//! stories with the single-machine function on worker 0.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use super::args::DedupArgs;
use super::config;
use neardup::dataflow::{self, DedupJob, Placement};
use neardup::input::Corpus;

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

/// Runs `neardup cluster` in distributed mode: the distributed dedup gives the near-duplicate
/// pairs, the engine's story pass ([`dataflow::stories::story_vectors`]) the vectors, and
/// process 0 assigns them with the story pipeline exactly as the single-machine command does
/// ([`neardup::stories::StoryPipeline::assign`]), and writes the stories.
pub fn run_cluster(a: &super::args::ClusterArgs, hosts: &Path) -> Result<()> {
    quiet_channel_panics();
    let place = placement(hosts, a.dist.process_id, a.dist.workers)?;
    let params = super::cluster::cluster_params(a)?;
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
    let pairs = if a.no_dedup {
        None
    } else {
        let job = DedupJob {
            config: neardup::dedup::DedupConfig::default(),
            keep: neardup::dedup::Keep::First,
            skip_invalid,
            output: None,
        };
        // On the articles' own text, titles left out, as the single-machine `cluster` and
        // `dedup` without a title field find them.
        let bodies = match a.input.title_field {
            Some(_) => Arc::new(super::feed::open_corpus(&super::args::InputArgs {
                title_field: None,
                ..a.input.clone()
            })?),
            None => Arc::clone(&corpus),
        };
        let outcome = dataflow::dedup(&place, &watch, bodies, &job)?;
        outcome.pairs.map(|pairs| pairs.iter().map(|p| (p.a, p.b)).collect::<Vec<(u32, u32)>>())
    };
    let Some(gathered) =
        dataflow::stories::story_vectors(&place, &watch, corpus, params, skip_invalid)?
    else {
        return Ok(()); // not process 0: worker 0 writes the stories
    };
    let read = gathered.into_read(params, pairs.as_deref());
    super::cluster::warn_dates(a.input.date_field.as_deref(), &read.articles);
    let pipeline = neardup::stories::StoryPipeline::new(params);
    let stories = pipeline.assign(read, None)?;
    super::cluster::write_stories(a, &stories)
}
