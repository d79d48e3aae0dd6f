//! For each labelled sentence pair of ar-restate, what the passage pipeline sees: the
//! pipeline's units that cover each labelled span, whether the pair can be a candidate (inside
//! one article: two units apart, in one paragraph or two; across: a shared term under the
//! posting cap, and the exact weighted Dice reaching `PassageParams::across_dice`; inside one
//! article half the first cut), the soft Dice, the
//! evidence and the restatement model's probability. The input of
//! `benches/eval/restate_errors.py`.
//!
//! ```text
//! cargo run --release --example restate_diagnose -- FEED.jsonl LABELS.jsonl > diag.jsonl
//! ```

mod support;

use std::collections::HashMap;
use std::io::Write;

use neardup::passages::candidates::{exact_dice, posting_cap};
use neardup::passages::{feed_units, Analyzer, FeedUnits, PassageParams, Unit, RESTATE_MODEL};
use serde_json::{json, Value};

/// Every unit of `units` that overlaps the span `s..e`, the most overlap first.
fn covering(units: &[Unit], s: usize, e: usize) -> Vec<usize> {
    let ov = |u: &Unit| u.span.end.min(e).saturating_sub(u.span.start.max(s));
    let mut v: Vec<usize> = (0..units.len()).filter(|&k| ov(&units[k]) > 0).collect();
    v.sort_by_key(|&k| std::cmp::Reverse(ov(&units[k])));
    v
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: restate_diagnose FEED.jsonl LABELS.jsonl");
        std::process::exit(2);
    }
    let docs = support::read_jsonl(&args[1]);
    let all: Vec<&str> = docs.iter().map(|d| d["text"].as_str().unwrap_or("")).collect();
    let labels = support::read_jsonl(&args[2]);
    let analyzer = Analyzer::default();
    let params = PassageParams::default();
    let index: HashMap<String, usize> = docs
        .iter()
        .enumerate()
        .filter_map(|(k, d)| Some((d["id"].as_str()?.to_owned(), k)))
        .collect();
    let FeedUnits { units, idf, .. } = feed_units(&analyzer, &all);
    let cap = posting_cap(&idf, params.posting_share);
    let w = |t| idf.weight(t);
    let mut out = std::io::stdout().lock();
    for l in &labels {
        let (Some(&da), Some(&db)) = (
            index.get(l["doc_a"].as_str().unwrap_or("")),
            index.get(l["doc_b"].as_str().unwrap_or("")),
        ) else {
            eprintln!("{}: document not found", l["pair_id"]);
            continue;
        };
        let span =
            |v: &Value| (v[0].as_u64().unwrap_or(0) as usize, v[1].as_u64().unwrap_or(0) as usize);
        let ((sa, ea), (sb, eb)) = (span(&l["a"]), span(&l["b"]));
        let (ca, cb) = (covering(&units[da], sa, ea), covering(&units[db], sb, eb));
        let (Some(&i), Some(&j)) = (ca.first(), cb.first()) else {
            eprintln!("{}: no unit", l["pair_id"]);
            continue;
        };
        let (ua, ub) = (&units[da][i], &units[db][j]);
        let within = da == db;
        let shares_indexed = ua.terms().iter().any(|t| ub.terms().contains(t) && idf.df(*t) <= cap);
        let ev = analyzer.evidence(ua, ub, &idf);
        let text_a = docs[da]["text"].as_str().unwrap_or("");
        let text_b = docs[db]["text"].as_str().unwrap_or("");
        let rec = json!({
            "pair_id": l["pair_id"], "kind": l["kind"], "label": l["label"],
            "units_a": ca.iter().map(|&k| [units[da][k].span.start, units[da][k].span.end]).collect::<Vec<_>>(),
            "units_b": cb.iter().map(|&k| [units[db][k].span.start, units[db][k].span.end]).collect::<Vec<_>>(),
            "unit_a": i, "unit_b": j,
            "para_a": ua.paragraph, "para_b": ub.paragraph,
            "terms_a": ua.terms().len(), "terms_b": ub.terms().len(),
            "unit_text_a": &text_a[ua.span.range()], "unit_text_b": &text_b[ub.span.range()],
            "shares_indexed": shares_indexed,
            "exact_dice": exact_dice(ua, ub, &w),
            "soft_dice": analyzer.similarity(ua, ub, &w),
            "evidence": ev,
            "probability": RESTATE_MODEL.probability(&ev, within),
            "aligned": analyzer.aligned_words(&text_a[ua.span.range()], &text_b[ub.span.range()]),
        });
        let _ = writeln!(out, "{rec}");
    }
}
