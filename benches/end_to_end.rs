//! The whole engine on a seeded corpus, in memory.
#![allow(missing_docs)] // criterion_group! generates undocumented functions
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use neardup::dedup::{DedupConfig, Engine};

mod common;

fn bench(c: &mut Criterion) {
    let docs = common::corpus(5_000, 400, 7);
    let refs: Vec<&str> = docs.iter().map(String::as_str).collect();
    let mut g = c.benchmark_group("end_to_end");
    g.sample_size(10);
    g.throughput(Throughput::Elements(docs.len() as u64));
    let engine = Engine::new(DedupConfig::default()).unwrap();
    g.bench_function("dedup_texts/5k_docs", |b| {
        b.iter(|| engine.dedup_texts(&refs).unwrap().1.len())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
