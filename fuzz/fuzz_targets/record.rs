//! The input reader: any bytes as a JSONL, lines or text file give records or errors.
#![no_main]
use libfuzzer_sys::fuzz_target;
use neardup::input::{Corpus, Format, ReadOptions};

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("neardup-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("input");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    for format in [Format::Jsonl, Format::Lines, Format::Text] {
        let opts = ReadOptions { format: Some(format), max_doc_bytes: 1 << 16, ..ReadOptions::default() };
        let Ok(corpus) = Corpus::open(&[path.clone()], opts) else { continue };
        let _ = corpus.for_each_batch(64, 1 << 20, |batch| {
            for r in batch {
                let _ = corpus.parse(r);
            }
            Ok(())
        });
    }
});
