//! The story vectors of a feed, one JSON line per article (`id` and `vec`, a list of
//! `[term, weight]` sorted by term): the input of the story-clustering experiments in
//! `benches/eval/` (what splits ECB+ stories, what an agreement feature would add).
//!
//! ```text
//! cargo run --release --example story_vectors -- FEED.jsonl [--stem-chars N] > vectors.jsonl
//! ```
//!
//! `FEED.jsonl` holds `id, text` (the first line of the text is its title). The vectors are
//! [`Vectorizer::vectors`]' at the default story parameters, the ones `neardup cluster` builds
//! for an undated feed without a title field.

mod support;

use std::io::Write;

use neardup::stories::{StoryParams, Vectorizer};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut params = StoryParams::default();
    match args.len() {
        2 => {}
        4 if args[2] == "--stem-chars" => match args[3].parse() {
            Ok(n) => params.stem_chars = n,
            Err(e) => {
                eprintln!("--stem-chars {}: {e}", args[3]);
                std::process::exit(2);
            }
        },
        _ => {
            eprintln!("usage: story_vectors FEED.jsonl [--stem-chars N]");
            std::process::exit(2);
        }
    }
    let docs = support::read_jsonl(&args[1]);
    let texts: Vec<(Option<&str>, &str)> =
        docs.iter().map(|d| (None, d["text"].as_str().unwrap_or(""))).collect();
    let vectors = Vectorizer::new(params).vectors(&texts);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (d, v) in docs.iter().zip(&vectors) {
        let line = serde_json::json!({"id": d["id"], "vec": v});
        if writeln!(out, "{line}").is_err() {
            std::process::exit(0);
        }
    }
}
