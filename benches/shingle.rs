//! Shingling throughput on normalized text.
#![allow(missing_docs)] // criterion_group! generates undocumented functions
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use neardup::normalize::Normalizer;
use neardup::shingle::{HashScheme, ShingleSpec, Shingler, DEFAULT_SEED};

mod common;

fn bench(c: &mut Criterion) {
    let text = Normalizer::default().normalize(&common::seed());
    let mut g = c.benchmark_group("shingle");
    g.throughput(Throughput::Bytes(text.len() as u64));
    for spec in [ShingleSpec::word(3), ShingleSpec::word(5), ShingleSpec::char(5)] {
        let s = Shingler::new(spec, DEFAULT_SEED);
        let (mut words, mut out) = (Vec::new(), Vec::new());
        g.bench_function(spec.to_string(), |b| {
            b.iter(|| {
                out.clear();
                s.shingles_into(&text, &mut words, &mut out);
            })
        });
    }
    g.finish();

    // ASCII text: char windows take the eight-lane XXH3 where the processor has AVX-512.
    let prose = Normalizer::default().normalize(&common::prose(600, 1));
    let mut g = c.benchmark_group("shingle_english");
    g.throughput(Throughput::Bytes(prose.len() as u64));
    for spec in [ShingleSpec::word(5), ShingleSpec::char(5)] {
        let s = Shingler::new(spec, DEFAULT_SEED);
        let (mut words, mut out) = (Vec::new(), Vec::new());
        g.bench_function(spec.to_string(), |b| {
            b.iter(|| {
                out.clear();
                s.shingles_into(&prose, &mut words, &mut out);
            })
        });
    }
    g.finish();

    // Word windows alone, over hashed words: the two hash schemes side by side.
    let mut words = Vec::new();
    Shingler::new(ShingleSpec::word(5), DEFAULT_SEED).word_hashes_into(&text, &mut words);
    let mut g = c.benchmark_group("word_windows");
    g.throughput(Throughput::Elements(words.len() as u64));
    for (name, scheme) in [("chain_5", HashScheme::Chain), ("rolling_5", HashScheme::Rolling)] {
        let s = Shingler::with_scheme(ShingleSpec::word(5), DEFAULT_SEED, scheme);
        let mut out = Vec::new();
        g.bench_function(name, |b| {
            b.iter(|| {
                out.clear();
                s.windows_into(&words, &mut out);
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
