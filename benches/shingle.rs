//! Shingling throughput on normalized text.
#![allow(missing_docs)] // criterion_group! generates undocumented functions
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use neardup::normalize::Normalizer;
use neardup::shingle::{HashScheme, ShingleSpec, Shingler, DEFAULT_SEED};

mod common;

fn bench(c: &mut Criterion) {
    let text = Normalizer::default().normalize(&common::seed());
    // English prose is ASCII: its char windows take the eight-lane XXH3 where the processor has
    // AVX-512 (the Arabic seed article's do not).
    let prose = Normalizer::default().normalize(&common::prose(600, 1));
    let word_and_char = [ShingleSpec::word(3), ShingleSpec::word(5), ShingleSpec::char(5)];
    for (group, input, specs) in
        [("shingle", &text, &word_and_char[..]), ("shingle_english", &prose, &word_and_char[1..])]
    {
        let mut g = c.benchmark_group(group);
        g.throughput(Throughput::Bytes(input.len() as u64));
        for &spec in specs {
            let s = Shingler::new(spec, DEFAULT_SEED);
            let (mut words, mut out) = (Vec::new(), Vec::new());
            g.bench_function(spec.to_string(), |b| {
                b.iter(|| {
                    out.clear();
                    s.shingles_into(input, &mut words, &mut out);
                })
            });
        }
        g.finish();
    }

    // Word hashes alone (XXH3 of each word; eight words at a time with AVX-512, one by one with
    // NEARDUP_PORTABLE=1), per word of English prose.
    let s = Shingler::new(ShingleSpec::word(5), DEFAULT_SEED);
    let mut hashes = Vec::new();
    s.word_hashes_into(&prose, &mut hashes);
    let mut g = c.benchmark_group("word_hashes");
    g.throughput(Throughput::Elements(hashes.len() as u64));
    g.bench_function("english_prose", |b| {
        b.iter(|| {
            hashes.clear();
            s.word_hashes_into(&prose, &mut hashes);
        })
    });
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
