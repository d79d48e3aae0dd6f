//! `neardup pairs`: scores labelled pairs with one of neardup's measures.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};

use anyhow::{bail, Context, Result};
use serde_json::Value;

use super::args::PairsArgs;
use super::cluster::params_of;
use neardup::dedup::{DedupConfig, Engine};
use neardup::passages::{Analyzer, Idf, PassageParams, PAIR_THRESHOLD};
use neardup::stories::{MemoryFeed, MemoryRecord, StoryParams, StoryPipeline};

/// Texts of at most this many words are sentences for the passage measure.
const SENTENCE_WORDS: usize = 60;

/// One pair to score.
struct Item {
    id1: Value,
    id2: Value,
    text1: String,
    text2: String,
    /// The texts without the title prepended.
    body1: String,
    body2: String,
    /// The --docs records the texts come from (`None`: given in the pairs file).
    doc1: Option<usize>,
    doc2: Option<usize>,
    label: Option<Value>,
}

/// A --docs record: the article, and its id as pairs name it (empty for a record without
/// one: no pair can name it).
struct DocRecord {
    id: String,
    record: MemoryRecord,
}

/// The story decision of each pair ([`StoryPipeline::pair_decisions`]): the feed is the
/// --docs records in file order, then each distinct text given in the pairs file, once; its
/// stories are `cluster`'s at its defaults (`--threshold` replaces both thresholds, as in
/// `cluster`).
fn story_decisions<'a>(a: &PairsArgs, docs: &[DocRecord], items: &'a [Item]) -> Result<Vec<bool>> {
    let mut records: Vec<MemoryRecord> = docs.iter().map(|d| d.record.clone()).collect();
    // Texts given in the pairs file: one record each, after the --docs records.
    let mut inline: HashMap<&str, usize> = HashMap::new();
    let mut place = |doc: Option<usize>, text: &'a str, records: &mut Vec<MemoryRecord>| {
        doc.unwrap_or_else(|| {
            *inline.entry(text).or_insert_with(|| {
                records.push(MemoryRecord {
                    id_json: format!("\"pairs:{}\"", records.len()),
                    body: text.to_owned(),
                    ..MemoryRecord::default()
                });
                records.len() - 1
            })
        })
    };
    let mut pairs = Vec::with_capacity(items.len());
    for it in items {
        let x = place(it.doc1, &it.body1, &mut records);
        pairs.push((x, place(it.doc2, &it.body2, &mut records)));
    }
    let d = StoryParams::default();
    let pipeline =
        StoryPipeline::new(params_of(a.threshold, None, d.title_weight, d.entity_weight)?);
    Ok(pipeline.pair_decisions(&mut MemoryFeed::new(records), &pairs)?)
}

fn read_jsonl(path: &std::path::Path) -> Result<Vec<(u64, Value)>> {
    let f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in BufReader::new(f).lines().enumerate() {
        let line = line.with_context(|| format!("{}:{}: reading", path.display(), i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(&line)
            .with_context(|| format!("{}:{}: malformed JSON", path.display(), i + 1))?;
        out.push((i as u64 + 1, v));
    }
    Ok(out)
}

/// Runs `neardup pairs`.
pub fn run(a: &PairsArgs) -> Result<()> {
    let measure = a.measure.as_str();
    match measure {
        "near-dup" | "passage" | "story" => {}
        m => bail!("--measure {m:?}: expected near-dup, passage or story"),
    }
    // The --docs records in file order, and the last record of each id.
    let docs: Vec<DocRecord> = match &a.docs {
        None => Vec::new(),
        // Every record is an article of the feed, as in `cluster`: one without an id is
        // known by its place (FILE:LINE) and no pair can name it; one without a text is an
        // error naming its line.
        Some(p) => read_jsonl(p)?
            .into_iter()
            .map(|(line, v)| {
                let (id, id_json) = match &v[&a.id_field] {
                    Value::String(s) => (s.clone(), v[&a.id_field].to_string()),
                    Value::Null => {
                        let at = format!("{}:{line}", p.display());
                        (String::new(), Value::String(at).to_string())
                    }
                    other => (other.to_string(), other.to_string()),
                };
                let Some(body) = v[&a.text_field].as_str().map(str::to_owned) else {
                    bail!(
                        "{}:{line}: field {:?} is missing or not a string",
                        p.display(),
                        a.text_field
                    );
                };
                let title = a.title_field.as_ref().and_then(|f| v[f].as_str()).map(str::to_owned);
                let date = a.date_field.as_ref().and_then(|f| v[f].as_str()).map(str::to_owned);
                Ok(DocRecord { id, record: MemoryRecord { id_json, title, body, date } })
            })
            .collect::<Result<_>>()?,
    };
    let by_id: HashMap<&str, usize> = docs
        .iter()
        .enumerate()
        .filter(|(_, d)| !d.id.is_empty())
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
    let key = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut items = Vec::new();
    for (line, v) in read_jsonl(&a.pairs)? {
        // (text, body, the --docs record)
        let text = |t: &str, id: &str| -> Result<(String, String, Option<usize>)> {
            if let Some(s) = v[t].as_str() {
                return Ok((s.to_owned(), s.to_owned(), None));
            }
            let k = key(&v[id]);
            let i = by_id.get(k.as_str()).copied().with_context(|| {
                format!("{}:{line}: no {t} and id {k:?} not found in --docs", a.pairs.display())
            })?;
            let r = &docs[i].record;
            Ok((r.text().into_owned(), r.body.clone(), Some(i)))
        };
        let ((text1, body1, doc1), (text2, body2, doc2)) =
            (text("text1", "id1")?, text("text2", "id2")?);
        items.push(Item {
            id1: v["id1"].clone(),
            id2: v["id2"].clone(),
            text1,
            text2,
            body1,
            body2,
            doc1,
            doc2,
            label: a.label_field.as_ref().map(|f| v[f].clone()),
        });
    }

    let mut features: Vec<Vec<f64>> = Vec::new();
    let scores: Vec<(f64, bool)> = match measure {
        "near-dup" => {
            let mut cfg = DedupConfig::default();
            if let Some(t) = a.threshold {
                cfg.threshold = t;
            }
            let engine = Engine::new(cfg)?;
            let t = engine.text_thresholds();
            items
                .iter()
                .map(|it| {
                    let e = engine.compare_texts(&it.text1, &it.text2);
                    (e.similarity(), e.accepts(&t))
                })
                .collect()
        }
        "story" => {
            // TF-IDF cosine, with document frequencies over every text available: the
            // --docs collection, or the texts of the pairs.
            let params = StoryParams {
                stem_chars: a.stem_chars,
                title_weight: a.title_weight,
                entity_weight: a.entity_weight,
                ..StoryParams::default()
            };
            // Each id's text once, its last record's (with the title prepended).
            let doc_texts: Vec<String> =
                by_id.values().map(|&i| docs[i].record.text().into_owned()).collect();
            let corpus: Vec<&str> = if docs.is_empty() {
                // Each distinct text once: an article in several pairs is one document (for
                // the frequencies, and for the templates, whose lines must recur across texts).
                let mut seen = ahash::AHashSet::new();
                items
                    .iter()
                    .flat_map(|it| [it.text1.as_str(), it.text2.as_str()])
                    .filter(|t| seen.insert(*t))
                    .collect()
            } else {
                doc_texts.iter().map(String::as_str).collect()
            };
            // The graded similarity: page phrases left out, unknown for page templates.
            let pairs: Vec<(&str, &str)> =
                items.iter().map(|it| (it.text1.as_str(), it.text2.as_str())).collect();
            let graded = neardup::stories::graded::pair_similarities(&corpus, &pairs, params);
            // The decision is `cluster`'s: the story pipeline at its defaults runs on the
            // --docs records (or the pairs' texts), and a pair is one story when that run
            // puts its two articles in one. The similarity stays the graded measure above.
            let decisions = story_decisions(a, &docs, &items)?;
            graded.into_iter().zip(decisions).collect()
        }
        _ => {
            let params = PassageParams {
                threshold: a.threshold.unwrap_or(PAIR_THRESHOLD),
                ..PassageParams::default()
            };
            let analyzer = Analyzer::new(params);
            let units: Vec<_> = items
                .iter()
                .flat_map(|it| [analyzer.text_unit(&it.text1), analyzer.text_unit(&it.text2)])
                .collect();
            let idf = Idf::new(&[&units]);
            let keys: Vec<Vec<u64>> = items
                .iter()
                .flat_map(|it| [analyzer.word_keys(&it.text1), analyzer.word_keys(&it.text2)])
                .collect();
            let word_idf = Idf::from_key_sets(keys.iter().map(Vec::as_slice));
            items
                .iter()
                .map(|it| {
                    let f = analyzer.pair_features(&it.text1, &it.text2, &idf, &word_idf);
                    if a.emit_features {
                        features.push(f.to_vec());
                    }
                    // Sentences: the trained paraphrase model. Longer texts (text reuse):
                    // the weighted soft Dice, whose scale the model was not trained on.
                    let words = |t: &str| t.split_whitespace().count();
                    if words(&it.text1).max(words(&it.text2)) <= SENTENCE_WORDS {
                        let p =
                            analyzer.paraphrase_probability(&it.text1, &it.text2, &idf, &word_idf);
                        (p, p >= a.threshold.unwrap_or(0.5))
                    } else {
                        (f[0], f[0] >= params.threshold)
                    }
                })
                .collect()
        }
    };

    let stdout = io::stdout();
    let mut w: Box<dyn Write> = match &a.output {
        Some(p) => Box::new(BufWriter::new(
            File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(BufWriter::new(stdout.lock())),
    };
    for (i, (it, &(sim, dec))) in items.iter().zip(&scores).enumerate() {
        let extra = features.get(i).map(|f| format!(",\"features\":{f:?}")).unwrap_or_default();
        writeln!(
            w,
            "{{\"id1\":{},\"id2\":{},\"similarity\":{:.4},\"decision\":{}{extra}}}",
            it.id1, it.id2, sim, dec
        )?;
    }
    w.flush()?;

    if a.label_field.is_some() {
        report(&items, &scores);
    }
    Ok(())
}

/// Prints accuracy, precision, recall and F1 for boolean labels, Pearson for numeric ones.
fn report(items: &[Item], scores: &[(f64, bool)]) {
    let (mut tp, mut fp, mut fneg, mut tn) = (0u64, 0u64, 0u64, 0u64);
    let mut numeric = Vec::new();
    for (it, &(sim, dec)) in items.iter().zip(scores) {
        match &it.label {
            Some(Value::Bool(l)) => match (dec, *l) {
                (true, true) => tp += 1,
                (true, false) => fp += 1,
                (false, true) => fneg += 1,
                (false, false) => tn += 1,
            },
            Some(Value::Number(n)) => numeric.push((sim, n.as_f64().unwrap_or(0.0))),
            _ => {}
        }
    }
    let n = tp + fp + fneg + tn;
    if n > 0 {
        let p = tp as f64 / (tp + fp).max(1) as f64;
        let r = tp as f64 / (tp + fneg).max(1) as f64;
        let f1 = if p + r > 0.0 { 2.0 * p * r / (p + r) } else { 0.0 };
        eprintln!(
            "neardup: {n} labelled pairs: accuracy {:.4}, precision {p:.4}, recall {r:.4}, F1 {f1:.4}",
            (tp + tn) as f64 / n as f64
        );
    }
    if numeric.len() > 1 {
        let m = numeric.len() as f64;
        let (mx, my) = (
            numeric.iter().map(|x| x.0).sum::<f64>() / m,
            numeric.iter().map(|x| x.1).sum::<f64>() / m,
        );
        let cov: f64 = numeric.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
        let vx: f64 = numeric.iter().map(|(x, _)| (x - mx).powi(2)).sum();
        let vy: f64 = numeric.iter().map(|(_, y)| (y - my).powi(2)).sum();
        let pearson = if vx > 0.0 && vy > 0.0 { cov / (vx * vy).sqrt() } else { 0.0 };
        eprintln!("neardup: {} numeric labels: Pearson {pearson:.4}", numeric.len());
    }
}
