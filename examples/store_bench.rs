//! Store benchmark: open time and per-document query latency (signatures computed beforehand,
//! not timed) against an existing store.
//!
//! ```sh
//! cargo run --release --example store_bench -- STORE QUERIES.jsonl [N]
//! ```
use std::time::Instant;

use neardup::dedup::{DedupConfig, Engine};
use neardup::store::SignatureStore;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (dir, queries) = (std::path::Path::new(&args[1]), &args[2]);
    let n: usize = args.get(3).map_or(Ok(2000), |s| s.parse())?;
    let t = Instant::now();
    let store = SignatureStore::open(dir)?;
    let open_ms = t.elapsed().as_secs_f64() * 1e3;
    // Resident memory, anonymous (the process's own) and file-backed (mapped store pages,
    // reclaimable page cache), in MiB.
    let rss = || {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .unwrap_or(0)
                / 1024
        };
        format!("anon {} MiB, file {} MiB", field("RssAnon:"), field("RssFile:"))
    };
    eprintln!("rss after open: {}", rss());
    let engine = Engine::new(store.params().apply(&DedupConfig::default()))?;
    use std::io::BufRead;
    let texts: Vec<String> = std::io::BufReader::new(std::fs::File::open(queries)?)
        .lines()
        .take(n)
        .filter_map(|l| {
            serde_json::from_str::<serde_json::Value>(&l.ok()?).ok()?["text"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    let refs: Vec<Option<&str>> = texts.iter().map(|t| Some(t.as_str())).collect();
    let fps = engine.fingerprint_texts(&refs, &neardup::boilerplate::Boilerplate::none());
    eprintln!("rss after fingerprinting: {}", rss());
    let th = engine.thresholds();
    let mut lat = Vec::with_capacity(fps.len());
    let mut found = 0;
    for fp in fps.iter().flatten() {
        let t = Instant::now();
        let m = store.query(fp, &th, &engine.config().anchors);
        lat.push(t.elapsed().as_secs_f64() * 1e6);
        found += !m.is_empty() as usize;
    }
    eprintln!("rss after queries: {}", rss());
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p) as usize];
    println!(
        "{{\"documents\":{},\"disk_bytes\":{},\"bytes_per_doc\":{:.0},\"open_ms\":{open_ms:.2},\"queries\":{},\"with_match\":{found},\"p50_us\":{:.1},\"p99_us\":{:.1}}}",
        store.len(),
        store.disk_bytes(),
        store.disk_bytes() as f64 / store.len().max(1) as f64,
        lat.len(),
        pct(0.5),
        pct(0.99)
    );
    Ok(())
}
