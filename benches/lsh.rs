//! LSH banding and anchor matching over a seeded corpus of signatures.
#![allow(missing_docs)] // criterion_group! generates undocumented functions
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use neardup::lsh::anchors::{match_anchor_lists, AnchorParams};
use neardup::lsh::{band_candidates, Banding};
use neardup::naive::SplitMix;
use neardup::signature::MinHasher;

fn bench(c: &mut Criterion) {
    let n = 20_000;
    let k = 128;
    let h = MinHasher::new(k, 1).unwrap();
    let mut rng = SplitMix(9);
    let mut sigs = Vec::with_capacity(n * k);
    let mut anchors = Vec::with_capacity(n);
    let p = AnchorParams::default();
    for _ in 0..n {
        let words: Vec<u64> = (0..300).map(|_| rng.next() % 50_000).collect();
        sigs.extend(h.sketch(&words).unwrap());
        let mut a = Vec::new();
        p.sample_into(&words, &mut a);
        anchors.push(a);
    }
    let docs: Vec<u32> = (0..n as u32).collect();
    let mut g = c.benchmark_group("lsh");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("band_candidates/20k_docs_25x5", |b| {
        b.iter(|| band_candidates(&sigs, k, &docs, Banding { bands: 25, rows: 5 }))
    });
    g.bench_function("match_anchors/20k_docs", |b| b.iter(|| match_anchor_lists(&anchors, &p)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
