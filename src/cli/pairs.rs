//! `neardup pairs`: scores labelled pairs with one of neardup's measures.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};

use anyhow::{bail, Context, Result};
use serde_json::Value;

use super::args::PairsArgs;
use neardup::dedup::{DedupConfig, Engine};
use neardup::passages::{Analyzer, Idf, PassageParams, PAIR_THRESHOLD};
use neardup::stories::{weigh, DocFreqs, StoryParams, Vectorizer, UNDATED};

/// Texts of at most this many words are sentences for the passage measure.
const SENTENCE_WORDS: usize = 60;

/// One pair to score.
struct Item {
    id1: Value,
    id2: Value,
    text1: String,
    text2: String,
    /// The texts without the title prepended (`cluster` finds near-duplicates on these).
    body1: String,
    body2: String,
    time1: i64,
    time2: i64,
    label: Option<Value>,
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
    // id -> (text, with the title prepended when --title-field is given; time; the text
    // without the title)
    let docs: HashMap<String, (String, i64, String)> = match &a.docs {
        None => HashMap::new(),
        Some(p) => read_jsonl(p)?
            .into_iter()
            .filter_map(|(_, v)| {
                let id = match &v[&a.id_field] {
                    Value::String(s) => s.clone(),
                    Value::Null => return None,
                    other => other.to_string(),
                };
                let body = v[&a.text_field].as_str()?;
                let text = match a.title_field.as_ref().and_then(|f| v[f].as_str()) {
                    Some(t) => format!("{t}\n{body}"),
                    None => body.to_owned(),
                };
                let time = a
                    .date_field
                    .as_ref()
                    .and_then(|f| v[f].as_str())
                    .and_then(neardup::input::parse_timestamp)
                    .unwrap_or(UNDATED);
                Some((id, (text, time, body.to_owned())))
            })
            .collect(),
    };
    let key = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut items = Vec::new();
    for (line, v) in read_jsonl(&a.pairs)? {
        // (text, body)
        let text = |t: &str, id: &str| -> Result<(String, String)> {
            if let Some(s) = v[t].as_str() {
                return Ok((s.to_owned(), s.to_owned()));
            }
            let k = key(&v[id]);
            docs.get(&k).map(|d| (d.0.clone(), d.2.clone())).with_context(|| {
                format!("{}:{line}: no {t} and id {k:?} not found in --docs", a.pairs.display())
            })
        };
        let ((text1, body1), (text2, body2)) = (text("text1", "id1")?, text("text2", "id2")?);
        items.push(Item {
            id1: v["id1"].clone(),
            id2: v["id2"].clone(),
            text1,
            text2,
            body1,
            body2,
            time1: docs.get(&key(&v["id1"])).map_or(UNDATED, |d| d.1),
            time2: docs.get(&key(&v["id2"])).map_or(UNDATED, |d| d.1),
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
                docs.values().map(|d| d.0.as_str()).collect()
            };
            // The first pass over the texts (document frequencies, the stemmer's lexicon),
            // for a vectorizer with `p`.
            let first_pass = |p: StoryParams| {
                let v = Vectorizer::new(p);
                let mut freqs = DocFreqs::default();
                for t in &corpus {
                    freqs.add(v.doc_forms(t));
                }
                freqs.finish(p, None)
            };
            let n = corpus.len() as f32;
            let texts = || items.iter().flat_map(|it| [&it.text1, &it.text2]);
            // The graded similarity: page phrases left out, unknown for page templates.
            let pairs: Vec<(&str, &str)> =
                items.iter().map(|it| (it.text1.as_str(), it.text2.as_str())).collect();
            let graded = neardup::stories::graded::pair_similarities(&corpus, &pairs, params);
            // The decision is `cluster`'s: its vectors (whole words, its title and entity
            // weights), near-duplicates always one story, the cosine times the time factor
            // at its threshold (dated defaults when both articles are dated). The similarity
            // stays the graded measure above.
            let mut model = StoryParams::default();
            if let Some(t) = a.threshold {
                model.threshold = t;
                model.dated_threshold = t;
            }
            let (cv, cdf) = first_pass(model);
            let cvecs: Vec<_> = texts()
                .map(|t| {
                    weigh(cv.term_counts(None, t), |h| cdf.get(&h).copied().unwrap_or(1) as f32, n)
                })
                .collect();
            let engine = Engine::new(DedupConfig::default())?;
            let th = engine.text_thresholds();
            cvecs
                .chunks(2)
                .zip(&graded)
                .zip(&items)
                .map(|((c, &g), it)| {
                    // Near-duplicates on the articles' own texts, as `cluster` finds them.
                    let dup = engine.compare_texts(&it.body1, &it.body2).accepts(&th);
                    let dated = it.time1 != UNDATED && it.time2 != UNDATED;
                    let m = if dated { model.dated() } else { model };
                    let (_, same) = m.same_story((&c[0], it.time1), (&c[1], it.time2), dup);
                    (g, same)
                })
                .collect()
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
