//! Normalization throughput.
#![allow(missing_docs)] // criterion_group! generates undocumented functions
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use neardup::normalize::{Mode, Normalizer};

mod common;

fn bench(c: &mut Criterion) {
    let seed = common::seed();
    let mixed = common::corpus(1, 600, 1).remove(0);
    // ASCII prose takes the byte-level fold (`fold_ascii`).
    let english = common::prose(600, 1);
    let mut g = c.benchmark_group("normalize");
    for (name, text) in
        [("arabic_seed", &seed), ("mixed_synthetic", &mixed), ("english_prose", &english)]
    {
        g.throughput(Throughput::Bytes(text.len() as u64));
        for mode in [Mode::Auto, Mode::Arabic] {
            let n = Normalizer::new(mode);
            let mut out = String::new();
            g.bench_function(format!("{name}/{}", mode.name()), |b| {
                b.iter(|| n.normalize_into(text, &mut out))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
