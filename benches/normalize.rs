//! Normalization throughput.
#![allow(missing_docs)] // criterion_group! generates undocumented functions
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use neardup::normalize::{Mode, Normalizer};

mod common;

fn bench(c: &mut Criterion) {
    let seed = common::seed();
    let english = common::corpus(1, 600, 1).remove(0);
    let mut g = c.benchmark_group("normalize");
    for (name, text) in [("arabic_seed", &seed), ("mixed_synthetic", &english)] {
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
