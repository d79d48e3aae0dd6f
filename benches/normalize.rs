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
    // The Arabic fold: the table-driven path (above, `arabic_seed/auto`) against the general
    // Unicode path it is held to, and the seed in presentation forms (NFKC rewrites each
    // character alone: still the table).
    let n = Normalizer::new(Mode::Auto);
    g.throughput(Throughput::Bytes(seed.len() as u64));
    g.bench_function("arabic_seed/general_path", |b| b.iter(|| n.normalize_general(&seed)));
    let forms: String = seed
        .chars()
        .map(|c| match c {
            '\u{0627}' => '\u{FE8D}',
            '\u{0628}' => '\u{FE91}',
            '\u{0645}' => '\u{FEE3}',
            _ => c,
        })
        .collect();
    let mut out = String::new();
    g.throughput(Throughput::Bytes(forms.len() as u64));
    g.bench_function("arabic_presentation_forms/auto", |b| {
        b.iter(|| n.normalize_into(&forms, &mut out))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
