//! `neardup dedup`: unique records out, duplicate groups and pairs with their evidence.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};

use super::args::DedupArgs;
use super::config;
use super::feed::Feed;
use neardup::dedup::{DocMeta, Engine, Fingerprints, Group, Pair};
use neardup::input::{RawRecord, RecordAt};

/// Document ids as raw JSON, stored back to back.
#[derive(Default)]
struct Ids {
    buf: String,
    ends: Vec<usize>,
}

impl Ids {
    fn push(&mut self, id: &str) {
        self.buf.push_str(id);
        self.ends.push(self.buf.len());
    }

    fn get(&self, d: u32) -> &str {
        let d = d as usize;
        let start = if d == 0 { 0 } else { self.ends[d - 1] };
        &self.buf[start..self.ends[d]]
    }
}

fn create(path: &Path) -> Result<BufWriter<File>> {
    let f = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    Ok(BufWriter::with_capacity(1 << 20, f))
}

/// Writes duplicate groups as JSON lines; `id` gives a document's id as raw JSON.
pub fn write_groups<'a>(path: &Path, groups: &[Group], id: impl Fn(u32) -> &'a str) -> Result<()> {
    let mut w = create(path)?;
    for (i, g) in groups.iter().enumerate() {
        write!(w, "{{\"group\":{i},\"kept\":{},\"members\":[", id(g.kept))?;
        for (j, &(m, sim)) in g.members.iter().enumerate() {
            let sep = if j > 0 { "," } else { "" };
            write!(w, "{sep}{{\"id\":{},\"similarity\":{:.4}}}", id(m), sim)?;
        }
        writeln!(w, "]}}")?;
    }
    w.flush().with_context(|| format!("writing {}", path.display()))
}

/// Writes verified pairs with their evidence as JSON lines.
pub fn write_pairs<'a>(path: &Path, pairs: &[Pair], id: impl Fn(u32) -> &'a str) -> Result<()> {
    let mut w = create(path)?;
    for pr in pairs {
        let e = pr.evidence;
        write!(
            w,
            "{{\"a\":{},\"b\":{},\"similarity\":{:.4},\"jaccard\":{:.4},\"containment\":{:.4},\"shared_anchors\":{}",
            id(pr.a),
            id(pr.b),
            e.similarity(),
            e.jaccard,
            e.containment,
            e.shared_anchors
        )?;
        // Sentence coverage is measured only for pairs settled on their texts.
        if e.coverage > 0.0 {
            write!(w, ",\"coverage\":{:.4}", e.coverage)?;
        }
        if e.figures_disagree {
            write!(w, ",\"figures_disagree\":true")?;
        }
        writeln!(w, "}}")?;
    }
    w.flush().with_context(|| format!("writing {}", path.display()))
}

/// Runs `neardup dedup`.
pub fn run(a: &DedupArgs) -> Result<()> {
    let start = Instant::now();
    if let Some(t) = a.threads {
        rayon::ThreadPoolBuilder::new().num_threads(t).build_global().context("--threads")?;
    }
    #[cfg(feature = "distributed")]
    if let Some(hosts) = &a.dist.hosts {
        return super::distributed::run(a, hosts);
    }
    if a.store.is_some() {
        return super::index::add_or_query(a, super::index::Mode::Dedup);
    }
    let cfg = config::dedup_config(a)?;
    let keep = config::keep(a)?;
    let engine = Engine::new(cfg).context("configuring dedup")?;
    let corpus = super::feed::open_corpus(&a.input)?;
    super::feed::check_output(&corpus, a.output.as_deref())?;
    let mut feed = Feed::new(&corpus, a.input.skip_invalid);
    let (bp, first) = super::feed::boilerplate_pass(&engine, &mut feed)?;

    // Pass 2: fingerprints, ids and metadata.
    let mut fps = Fingerprints::default();
    let mut ids = Ids::default();
    let mut meta: Vec<DocMeta> = Vec::new();
    let mut valid: Vec<bool> = Vec::new();
    let mut at: Vec<Option<RecordAt>> = Vec::new();
    let mut empty = 0u64;
    let second = feed.pass("fingerprint", |raw, docs| {
        let texts: Vec<Option<&str>> = docs.iter().map(|d| d.as_ref().map(|d| &*d.text)).collect();
        // The batch's ids and metadata are kept while its texts are fingerprinted (by whichever
        // thread is free first), not between batches while the other threads wait.
        let (added, ()) = rayon::join(
            || engine.add_batch(&texts, &bp, &mut fps),
            || {
                at.extend(raw.iter().map(RawRecord::at));
                for d in docs {
                    match d {
                        Some(d) => {
                            ids.push(&d.id_json);
                            meta.push(DocMeta {
                                len: d.text.len(),
                                date: d.date.as_deref().map(str::to_owned),
                            });
                            valid.push(true);
                        }
                        None => {
                            ids.push("null");
                            meta.push(DocMeta::default());
                            valid.push(false);
                        }
                    }
                }
            },
        );
        added?;
        Ok(())
    })?;
    let stats = first.unwrap_or(second);
    for d in 0..fps.len() as u32 {
        if valid[d as usize] && fps.signature(d).is_none() {
            empty += 1;
        }
    }

    let mut res = engine.resolve(&mut fps)?;
    // Borderline pairs: their texts are read again and compared exactly.
    super::feed::settle(&engine, &fps, &mut res, &corpus, &at, &bp)?;
    let groups = engine.finish_groups(&fps, &res, &meta, keep);
    let mut removed = vec![false; fps.len()];
    for g in &groups {
        for &(m, _) in &g.members {
            if m != g.kept {
                removed[m as usize] = true;
            }
        }
    }

    // Pass 3: unique records, byte for byte.
    super::feed::write_records(&corpus, a.output.as_deref(), Some(&at), |o| {
        valid[o as usize] && !removed[o as usize]
    })?;

    if let Some(p) = &a.groups {
        write_groups(p, &groups, |d| ids.get(d))?;
    }
    if let Some(p) = &a.pairs {
        write_pairs(p, &res.pairs, |d| ids.get(d))?;
    }

    if !a.quiet {
        let secs = start.elapsed().as_secs_f64();
        let dups = removed.iter().filter(|&&r| r).count();
        let b = engine.banding();
        eprintln!(
            "neardup: {} documents ({} invalid skipped, {} empty), {} duplicates in {} groups, {} boilerplate lines, {} candidates ({}x{} bands), {:.2} s, {:.0} documents/s",
            stats.records,
            stats.invalid,
            empty,
            dups,
            groups.len(),
            bp.len(),
            res.candidates,
            b.bands,
            b.rows,
            secs,
            stats.records as f64 / secs.max(1e-9)
        );
    }
    Ok(())
}
