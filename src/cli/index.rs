//! `neardup index ...` and `neardup dedup --store`: deduplication against history.

use std::collections::HashSet;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use rayon::prelude::*;

use super::args::{DedupArgs, IndexCommand, RemoveArgs, StoreArg};
use super::config;
use super::feed::{fingerprint_chunks, FedDoc};
use neardup::dedup::{DocMeta, Engine, Fingerprints, Keep};
use neardup::store::{verify_dir, NewDoc, SignatureStore, StoreParams, StoreWriter, StoredMatch};

/// Runs an index subcommand.
pub fn run(cmd: &IndexCommand) -> Result<()> {
    match cmd {
        IndexCommand::Add(a) => add_or_query(a, Mode::Add),
        IndexCommand::Query(a) => add_or_query(a, Mode::Query),
        IndexCommand::Stats(s) => stats(s),
        IndexCommand::Verify(s) => verify(s),
        IndexCommand::Compact(s) => {
            let mut w = StoreWriter::open(&s.store, None)
                .with_context(|| format!("opening store {}", s.store.display()))?;
            let before = w.store().segments().len();
            w.compact()?;
            eprintln!(
                "neardup: compacted {before} segments into {}, {} documents",
                w.store().segments().len(),
                w.store().len()
            );
            Ok(())
        }
        IndexCommand::Remove(r) => remove(r),
    }
}

/// What to do with the input.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Report and store every new document.
    Add,
    /// Report only.
    Query,
    /// Report, write the unique records, store the unique ones (`dedup --store`).
    Dedup,
}

/// A group of new documents (one union-find component) and what it matched in the store.
struct Component {
    members: Vec<usize>,
    best_stored: Option<StoredMatch>,
    group: u64,
}

/// The store's parameters and the engine for a run against `dir`.
fn engine_for(a: &DedupArgs, dir: &Path) -> Result<(Engine, StoreParams, bool)> {
    let cfg = config::dedup_config(a)?;
    if dir.join("MANIFEST").exists() {
        let s = SignatureStore::open(dir)
            .with_context(|| format!("opening store {}", dir.display()))?;
        config::check_store_flags(a, &cfg, s.params())?;
        let cfg = s.params().apply(&cfg);
        return Ok((Engine::new(cfg)?, *s.params(), true));
    }
    config::check_store_flags(
        a,
        &cfg,
        &StoreParams::from_config(&cfg, Engine::new(cfg.clone())?.banding()),
    )?;
    let engine = Engine::new(cfg)?;
    let params = StoreParams::from_config(engine.config(), engine.banding());
    Ok((engine, params, false))
}

/// Documents handled per chunk by the store commands: each chunk is queried against the store,
/// deduplicated within itself and committed as one segment before the next is read, so memory
/// stays bounded and later chunks see earlier ones in the store.
const CHUNK_DOCS: usize = 250_000;

/// What one chunk produced.
struct ChunkOutcome {
    /// Ordinals of the documents found to be duplicates.
    duplicates: Vec<u64>,
    /// Groups reported.
    reported: usize,
    /// Documents stored.
    stored: usize,
}

/// `index add`, `index query` and `dedup --store`.
pub fn add_or_query(a: &DedupArgs, mode: Mode) -> Result<()> {
    let dir = a.store.as_deref().context("--store DIR is required")?;
    let (engine, params, exists) = engine_for(a, dir)?;
    let mut writer = match mode {
        Mode::Query => None,
        _ => Some(
            StoreWriter::open(dir, Some(&params))
                .with_context(|| format!("opening store {}", dir.display()))?,
        ),
    };
    let reader = match &writer {
        Some(_) => None,
        None if !exists => anyhow::bail!("{}: no neardup store here (no MANIFEST)", dir.display()),
        None => Some(SignatureStore::open(dir)?),
    };
    let corpus = super::feed::open_corpus(&a.input)?;
    if mode == Mode::Dedup {
        super::feed::check_output(&corpus, a.output.as_deref())?;
    }
    let stdout = io::stdout();
    let mut report: Box<dyn Write> = match (&a.groups, mode) {
        (Some(p), _) => Box::new(BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        (None, Mode::Dedup) => Box::new(io::sink()),
        (None, _) => Box::new(BufWriter::new(stdout.lock())),
    };
    let mut dropped: HashSet<u64> = HashSet::new();
    let mut valid: HashSet<u64> = HashSet::new();
    let (mut reported, mut stored_now, mut docs_seen) = (0usize, 0usize, 0usize);
    let stats = fingerprint_chunks(&engine, &corpus, a.input.skip_invalid, CHUNK_DOCS, |docs| {
        valid.extend(docs.iter().map(|d| d.ordinal));
        docs_seen += docs.len();
        let out = process_chunk(&engine, &mut writer, &reader, &docs, mode, &mut *report)
            .with_context(|| format!("writing to store {}", dir.display()))?;
        dropped.extend(out.duplicates.iter().copied());
        reported += out.reported;
        stored_now += out.stored;
        Ok(())
    })?;
    report.flush()?;
    drop(report);
    if mode == Mode::Dedup {
        // The unique records (not duplicates of the store nor of each other), byte for byte.
        super::feed::write_records(&corpus, a.output.as_deref(), None, |o| {
            valid.contains(&o) && !dropped.contains(&o)
        })?;
    }
    if !a.quiet {
        let verb = if mode == Mode::Query { "queried" } else { "added" };
        eprintln!(
            "neardup: {} documents ({} invalid skipped), {} duplicates in {} groups; {verb} {} documents; store holds {}",
            stats.records,
            stats.invalid,
            dropped.len(),
            reported,
            if mode == Mode::Query { docs_seen } else { stored_now },
            view(&writer, &reader).len(),
        );
    }
    Ok(())
}

/// Queries one chunk against the store, finds its internal duplicates, reports the groups and
/// (unless querying) commits its documents as a segment.
fn process_chunk(
    engine: &Engine,
    writer: &mut Option<StoreWriter>,
    reader: &Option<SignatureStore>,
    docs: &[FedDoc],
    mode: Mode,
    report: &mut dyn Write,
) -> Result<ChunkOutcome> {
    let cfg = engine.config();
    let t = engine.thresholds();
    let store = view(writer, reader);
    let stored: Vec<Vec<StoredMatch>> = docs
        .par_iter()
        .map(|d| d.fp.as_ref().map(|fp| store.query(fp, &t, &cfg.anchors)).unwrap_or_default())
        .collect();

    // Duplicates among the new documents.
    let mut fps = Fingerprints::default();
    for d in docs {
        fps.push(cfg.num_perm, d.fp.as_ref())?;
    }
    let res = engine.resolve(&mut fps)?;
    if mode == Mode::Query {
        return query_report(docs, &stored, &res.pairs, store, report);
    }
    // Star-shaped groups as `dedup` makes them (chains cut at one step), the kept document first; every
    // other document is a group of its own.
    let meta: Vec<DocMeta> =
        docs.iter().map(|d| DocMeta { len: d.text_len as usize, date: d.date.clone() }).collect();
    let groups = engine.finish_groups(&fps, &res, &meta, Keep::First);
    let mut in_group = vec![false; docs.len()];
    let mut member_lists: Vec<Vec<usize>> = groups
        .iter()
        .map(|g| {
            let mut m: Vec<usize> = vec![g.kept as usize];
            m.extend(g.members.iter().map(|x| x.0 as usize).filter(|&x| x != g.kept as usize));
            for &x in &m {
                in_group[x] = true;
            }
            m
        })
        .collect();
    member_lists.extend((0..docs.len()).filter(|&d| !in_group[d]).map(|d| vec![d]));
    member_lists.sort_by_key(|m| m.iter().copied().min().unwrap_or(0));
    let mut comps: Vec<Component> = member_lists
        .into_iter()
        .map(|members| {
            let best_stored = members
                .iter()
                .filter_map(|&m| stored[m].first().copied())
                .max_by(|x, y| x.evidence.similarity().total_cmp(&y.evidence.similarity()));
            Component { members, best_stored, group: 0 }
        })
        .collect();
    for c in &mut comps {
        c.group = c.best_stored.map_or(u64::MAX, |m| store.group(m.segment, m.doc));
    }
    if let Some(w) = writer.as_mut() {
        for c in comps.iter_mut().filter(|c| c.group == u64::MAX) {
            c.group = w.reserve_groups(1);
        }
    }
    let store = view(writer, reader);

    // Report: one line per group with two or more members, stored ones included.
    let mut duplicates = vec![false; docs.len()];
    let mut reported = 0;
    for c in &comps {
        let mut lines = Vec::new();
        let kept = match &c.best_stored {
            Some(m) => store.id_json(m.segment, m.doc).to_owned(),
            None => docs[c.members[0]].id_json.clone(),
        };
        if let Some(m) = &c.best_stored {
            lines.push(format!(
                "{{\"id\":{},\"similarity\":1.0000,\"stored\":true}}",
                store.id_json(m.segment, m.doc)
            ));
        }
        for (i, &m) in c.members.iter().enumerate() {
            let sim = match stored[m].first() {
                Some(s) => s.evidence.similarity(),
                None if i == 0 && c.best_stored.is_none() => 1.0,
                None => res
                    .pairs
                    .iter()
                    .filter(|p| p.a as usize == m || p.b as usize == m)
                    .map(|p| p.evidence.similarity())
                    .fold(0.0, f64::max),
            };
            if c.best_stored.is_some() || i > 0 {
                duplicates[m] = true;
            }
            lines.push(format!(
                "{{\"id\":{},\"similarity\":{sim:.4},\"stored\":false}}",
                docs[m].id_json
            ));
        }
        if lines.len() >= 2 {
            let group = if c.group == u64::MAX { "null".to_owned() } else { c.group.to_string() };
            writeln!(
                report,
                "{{\"group\":{group},\"kept\":{kept},\"members\":[{}]}}",
                lines.join(",")
            )?;
            reported += 1;
        }
    }

    // Store.
    let new_docs: Vec<NewDoc> = comps
        .iter()
        .flat_map(|c| c.members.iter().map(move |&m| (m, c.group)))
        .filter(|&(m, _)| docs[m].fp.as_ref().is_some_and(|f| f.signature.is_some()))
        .filter(|&(m, _)| mode == Mode::Add || !duplicates[m])
        .map(|(m, group)| to_new_doc(&docs[m], group))
        .collect();
    let stored_now = new_docs.len();
    if let Some(w) = writer.as_mut() {
        w.add(&new_docs)?;
    }
    Ok(ChunkOutcome {
        duplicates: docs
            .iter()
            .zip(&duplicates)
            .filter(|(_, &d)| d)
            .map(|(d, _)| d.ordinal)
            .collect(),
        reported,
        stored: if mode == Mode::Query { 0 } else { stored_now },
    })
}

/// `index query`'s report: one line per input document, in input order, with its matches
/// best first: the stored documents it duplicates (`"stored":true`) and the documents of the
/// input it duplicates (`"stored":false`), each with (stored ones) its story group, its similarity, Jaccard estimate from the
/// signatures (the store holds no text to settle it exactly) and containment.
fn query_report(
    docs: &[FedDoc],
    stored: &[Vec<StoredMatch>],
    pairs: &[neardup::dedup::Pair],
    store: &SignatureStore,
    report: &mut dyn Write,
) -> Result<ChunkOutcome> {
    let mut inner: Vec<Vec<(usize, neardup::verify::Evidence)>> = vec![Vec::new(); docs.len()];
    for p in pairs {
        inner[p.a as usize].push((p.b as usize, p.evidence));
        inner[p.b as usize].push((p.a as usize, p.evidence));
    }
    let mut duplicates = Vec::new();
    let mut reported = 0;
    for (i, d) in docs.iter().enumerate() {
        let mut matches: Vec<(f64, String)> = Vec::new();
        let line = |id: &str, e: &neardup::verify::Evidence, group: Option<u64>| {
            let stored = match group {
                Some(g) => format!("\"stored\":true,\"group\":{g}"),
                None => "\"stored\":false".to_owned(),
            };
            (
                e.similarity(),
                format!(
                    "{{\"id\":{id},{stored},\"similarity\":{:.4},\"jaccard\":{:.4},\"containment\":{:.4}}}",
                    e.similarity(),
                    e.jaccard,
                    e.containment
                ),
            )
        };
        for m in &stored[i] {
            let group = store.group(m.segment, m.doc);
            matches.push(line(store.id_json(m.segment, m.doc), &m.evidence, Some(group)));
        }
        for (j, e) in &inner[i] {
            matches.push(line(&docs[*j].id_json, e, None));
        }
        matches.sort_by(|x, y| y.0.total_cmp(&x.0));
        if !matches.is_empty() {
            duplicates.push(d.ordinal);
            reported += 1;
        }
        let list: Vec<String> = matches.into_iter().map(|m| m.1).collect();
        writeln!(report, "{{\"id\":{},\"matches\":[{}]}}", d.id_json, list.join(","))?;
    }
    Ok(ChunkOutcome { duplicates, reported, stored: 0 })
}

/// The committed state: the writer's, or the read-only one's.
fn view<'a>(
    writer: &'a Option<StoreWriter>,
    reader: &'a Option<SignatureStore>,
) -> &'a SignatureStore {
    match (writer, reader) {
        (Some(w), _) => w.store(),
        (None, Some(r)) => r,
        (None, None) => unreachable!("one of writer and reader is always open"),
    }
}

fn to_new_doc(d: &FedDoc, group: u64) -> NewDoc {
    NewDoc {
        id_json: d.id_json.clone(),
        date: d.date.clone(),
        text_len: d.text_len,
        group,
        fp: d.fp.clone().unwrap_or(neardup::dedup::DocFingerprint {
            signature: None,
            anchors: Vec::new(),
            size: 0,
            figures: Vec::new(),
        }),
    }
}

fn stats(s: &StoreArg) -> Result<()> {
    let store = SignatureStore::open(&s.store)
        .with_context(|| format!("opening store {}", s.store.display()))?;
    let p = store.params();
    let m = store.manifest();
    // The versions the stored data is in (not this binary's): a store made by an older
    // release keeps its segments' version until they are compacted.
    let mut versions = std::collections::BTreeMap::<u32, usize>::new();
    for seg in store.segments() {
        *versions.entry(seg.format_version()).or_default() += 1;
    }
    let oldest = versions.keys().next().copied().unwrap_or(neardup::store::FORMAT_VERSION);
    let versions: Vec<String> = versions.iter().map(|(v, n)| format!("\"{v}\":{n}")).collect();
    println!(
        "{{\"documents\":{},\"segments\":{},\"removed\":{},\"generation\":{},\"disk_bytes\":{},\"format_version\":{},\"segment_format_versions\":{{{}}},\"params\":{{\"num_perm\":{},\"seed\":{},\"shingle\":\"{}\",\"normalize\":\"{}\",\"normalizer_version\":{},\"hash_id\":{},\"bands\":{},\"rows\":{},\"anchor_ngram\":{},\"anchor_mod\":{}}}}}",
        store.len(),
        m.segments.len(),
        m.removed.len(),
        m.generation,
        store.disk_bytes(),
        oldest,
        versions.join(","),
        p.num_perm,
        p.seed,
        p.shingle,
        p.normalize.name(),
        p.normalizer_version,
        p.hash_id,
        p.bands,
        p.rows,
        p.anchor_n,
        p.anchor_mod
    );
    Ok(())
}

fn verify(s: &StoreArg) -> Result<()> {
    let checks =
        verify_dir(&s.store).with_context(|| format!("verifying store {}", s.store.display()))?;
    let mut bad = 0;
    for c in &checks {
        match &c.problem {
            None => println!("ok {}", c.path.display()),
            Some(e) => {
                bad += 1;
                println!("DAMAGED {}: {e}", c.path.display());
            }
        }
    }
    if bad > 0 {
        anyhow::bail!("{bad} damaged file(s) in {}", s.store.display());
    }
    Ok(())
}

fn remove(r: &RemoveArgs) -> Result<()> {
    let mut w = StoreWriter::open(&r.store, None)
        .with_context(|| format!("opening store {}", r.store.display()))?;
    // Ids are stored as raw JSON: accept both `abc` and `"abc"`, and numbers.
    let mut ids = Vec::new();
    for id in &r.ids {
        ids.push(id.clone());
        ids.push(serde_json::to_string(id)?);
    }
    let n = w.remove(&ids)?;
    eprintln!("neardup: removed {n} documents; store holds {}", w.store().len());
    Ok(())
}
