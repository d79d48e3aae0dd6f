//! Evidence features of labelled sentence pairs, with term weights over a whole feed: the
//! input of `benches/eval/train_restate.py`, which calibrates the restatement model.
//!
//! ```text
//! cargo run --release --example restate_features -- FEED.jsonl LABELS.jsonl > features.jsonl
//! ```
//!
//! `FEED.jsonl` holds `id, text`; `LABELS.jsonl` holds `pair_id, kind, doc_a, a, doc_b, b,
//! label` with `a` and `b` byte spans (the ar-restate format).

mod support;

use std::collections::HashMap;
use std::io::Write;

use neardup::passages::{feed_units, unit_content, Analyzer, FeedUnits, Idf, Unit};
use rayon::prelude::*;
use serde_json::Value;

/// The unit of the labelled span `s..e` of `text`, whose pipeline units are `units`: it recurs
/// as often as the least recurring pipeline unit it holds, and is a closing line, or part of
/// the lead, where the pipeline unit most overlapping it is.
fn labelled_unit(
    analyzer: &Analyzer,
    text: &str,
    units: &[Unit],
    labels: &ahash::AHashSet<String>,
    (s, e): (usize, usize),
) -> Option<Unit> {
    let ov = |u: &Unit| u.span.end.min(e).saturating_sub(u.span.start.max(s));
    let inside = units.iter().filter(|u| 2 * ov(u) >= u.span.len().max(1));
    let best = units.iter().max_by_key(|u| ov(u));
    let recurrence = inside.map(Unit::recurrence).min().or(best.map(Unit::recurrence));
    let (closing, lead) = best.map_or((false, false), |u| (u.labelled(), u.lead()));
    Some(
        analyzer
            .text_unit(unit_content(text.get(s..e)?, labels))
            .with_recurrence(recurrence.unwrap_or(0))
            .with_roles(closing, lead),
    )
}

/// A labelled span (`[start, end]`).
fn span_of(v: &Value) -> Option<(usize, usize)> {
    Some((v[0].as_u64()? as usize, v[1].as_u64()? as usize))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: restate_features FEED.jsonl LABELS.jsonl");
        std::process::exit(2);
    }
    let docs = support::read_jsonl(&args[1]);
    let all: Vec<&str> = docs.iter().map(|d| d["text"].as_str().unwrap_or("")).collect();
    let labels = support::read_jsonl(&args[2]);
    let analyzer = Analyzer::default();
    let texts: HashMap<String, &str> = docs
        .iter()
        .filter_map(|d| Some((d["id"].as_str()?.to_owned(), d["text"].as_str()?)))
        .collect();
    let FeedUnits { units, idf, labels: line_labels } = feed_units(&analyzer, &all);
    let index: HashMap<&str, usize> =
        docs.iter().enumerate().filter_map(|(k, d)| Some((d["id"].as_str()?, k))).collect();
    let keys: Vec<Vec<u64>> = docs
        .par_iter()
        .flat_map_iter(|d| {
            let t = d["text"].as_str().unwrap_or("");
            analyzer
                .units(t)
                .into_iter()
                .map(|u| analyzer.word_keys(&t[u.span.range()]))
                .collect::<Vec<_>>()
        })
        .collect();
    let word_idf = Idf::from_key_sets(keys.iter().map(Vec::as_slice));
    if let Ok(path) = std::env::var("RESTATE_FEED_DUMP") {
        // Every unit of the feed with its terms as compared, for prototyping features.
        let mut f = std::io::BufWriter::new(
            std::fs::File::create(&path).unwrap_or_else(|e| panic!("{path}: {e}")),
        );
        for (k, d) in docs.iter().enumerate() {
            let t = d["text"].as_str().unwrap_or("");
            let us: Vec<Value> = units[k]
                .iter()
                .map(|u| {
                    serde_json::json!({"s": u.span.start, "e": u.span.end, "p": u.paragraph,
                        "w": analyzer.term_words(unit_content(&t[u.span.range()], &line_labels))})
                })
                .collect();
            let _ = writeln!(f, "{}", serde_json::json!({"id": d["id"], "units": us}));
        }
    }
    // RESTATE_LOCAL=1: the evidence as `find` sees it over the labelled documents alone (one
    // article, or the two of a cross pair): units and recurrence over those documents only, and
    // `feed_units`' weights for so small an input (the bundled background's, discounted, for
    // Arabic), where the weighted soft Dice decides (`FEED_UNITS`), with that Dice as `dice`:
    // what a model of small inputs would be fitted on (benches/RESULTS.md, twentieth and
    // twenty-first sessions: tried, not kept).
    let local = std::env::var("RESTATE_LOCAL").is_ok_and(|v| v == "1");
    let mut out = std::io::stdout().lock();
    for l in &labels {
        if local {
            let (da, db) = (l["doc_a"].as_str().unwrap_or(""), l["doc_b"].as_str().unwrap_or(""));
            let (Some(&ta), Some(&tb)) = (texts.get(da), texts.get(db)) else {
                eprintln!("{}: document not found", l["pair_id"]);
                continue;
            };
            let scope: Vec<&str> = if da == db { vec![ta] } else { vec![ta, tb] };
            let fu = feed_units(&analyzer, &scope);
            let side = |k: usize, t: &str, span: &Value| {
                labelled_unit(&analyzer, t, &fu.units[k], &fu.labels, span_of(span)?)
            };
            let (Some(a), Some(b)) =
                (side(0, ta, &l["a"]), side(usize::from(da != db), tb, &l["b"]))
            else {
                eprintln!("{}: unit not found", l["pair_id"]);
                continue;
            };
            let ev = analyzer.evidence(&a, &b, &fu.idf);
            let rec = serde_json::json!({
                "pair_id": l["pair_id"], "kind": l["kind"], "label": l["label"],
                "doc_a": l["doc_a"], "doc_b": l["doc_b"], "evidence": ev,
                "dice": analyzer.similarity(&a, &b, &|t| fu.idf.weight(t)),
            });
            let _ = writeln!(out, "{rec}");
            continue;
        }
        let side = |doc: &str, span: &Value| -> Option<(Unit, &str)> {
            let (t, &k, (st, en)) = (texts.get(doc)?, index.get(doc)?, span_of(span)?);
            let u = labelled_unit(&analyzer, t, &units[k], &line_labels, (st, en))?;
            Some((u, t.get(st..en)?))
        };
        let (Some((a, ta)), Some((b, tb))) = (
            side(l["doc_a"].as_str().unwrap_or(""), &l["a"]),
            side(l["doc_b"].as_str().unwrap_or(""), &l["b"]),
        ) else {
            eprintln!("{}: unit not found", l["pair_id"]);
            continue;
        };
        let ev = analyzer.evidence(&a, &b, &idf);
        let pf = analyzer.pair_features(ta, tb, &idf, &word_idf);
        let pp = analyzer.paraphrase_probability(ta, tb, &idf, &word_idf);
        let words = |t: &str| analyzer.term_words(unit_content(t, &line_labels));
        let weights = |u: &Unit| u.terms().iter().map(|&t| idf.weight(t)).collect::<Vec<f64>>();
        let matches: Vec<[u64; 3]> = analyzer
            .align(&a, &b)
            .iter()
            .map(|m| [u64::from(m.a), u64::from(m.b), u64::from(m.exact)])
            .collect();
        let rec = serde_json::json!({
            "pair_id": l["pair_id"], "kind": l["kind"], "label": l["label"],
            "doc_a": l["doc_a"], "doc_b": l["doc_b"], "evidence": ev, "pair_features": pf.to_vec(), "paraphrase": pp,
            "words_a": words(ta), "words_b": words(tb), "weights_a": weights(&a), "weights_b": weights(&b),
            "matches": matches,
        });
        let _ = writeln!(out, "{rec}");
    }
}
