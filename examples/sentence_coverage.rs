//! Sentence coverage ([`neardup::verify::coverage`]) of labelled article pairs, as `dedup`
//! measures it when it settles a pair on its texts (the feed's boilerplate left out), to read
//! the rewrite route's threshold against readers' labels.
//!
//! ```text
//! cargo run --release --example sentence_coverage -- DOCS.jsonl PAIRS.jsonl
//! ```
//!
//! `DOCS.jsonl` holds `id` and `text`; `PAIRS.jsonl` holds `pair_id`, `id1`, `id2` and `label`.
//! Prints one tab-separated line per pair: pair id, label, coverage, exact Jaccard and
//! containment of the shingle sets.

mod support;

use std::collections::HashMap;

use neardup::dedup::{DedupConfig, Engine};
use neardup::verify;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: sentence_coverage DOCS.jsonl PAIRS.jsonl");
        std::process::exit(2);
    }
    let docs = support::read_jsonl(&args[1]);
    let pairs = support::read_jsonl(&args[2]);
    let engine = Engine::new(DedupConfig::default()).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let field = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
    let texts: Vec<String> = docs.iter().map(|d| field(d, "text")).collect();
    let opt: Vec<Option<&str>> = texts.iter().map(|t| Some(t.as_str())).collect();
    let mut counter = engine.line_counter();
    engine.count_lines(&opt, &mut counter);
    let bp = engine.boilerplate(counter);
    let by_id: HashMap<String, usize> =
        docs.iter().enumerate().map(|(i, d)| (field(d, "id"), i)).collect();
    for p in &pairs {
        let (Some(&a), Some(&b)) = (by_id.get(&field(p, "id1")), by_id.get(&field(p, "id2")))
        else {
            eprintln!("{}: an article is not in {}", field(p, "pair_id"), args[1]);
            continue;
        };
        let sets = engine.exact_sets(&[opt[a], opt[b]], &bp);
        let e = verify::exact(&sets[0].shingles, &sets[1].shingles);
        println!(
            "{}\t{}\t{:.3}\t{:.3}\t{:.3}",
            field(p, "pair_id"),
            field(p, "label"),
            verify::coverage(&sets[0].sentences, &sets[1].sentences),
            e.jaccard,
            e.containment
        );
    }
}
