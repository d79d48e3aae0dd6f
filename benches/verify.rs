//! Candidate verification: estimated and exact.
#![allow(missing_docs)] // criterion_group! generates undocumented functions
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use neardup::naive::SplitMix;
use neardup::signature::{estimate_jaccard, MinHasher};
use neardup::verify::{exact, key_set};

fn bench(c: &mut Criterion) {
    let mut rng = SplitMix(5);
    let a: Vec<u64> = (0..400).map(|_| rng.next() % 1000).collect();
    let b: Vec<u64> = (0..400).map(|_| rng.next() % 1000).collect();
    let h = MinHasher::new(128, 1).unwrap();
    let (sa, sb) = (h.sketch(&a).unwrap(), h.sketch(&b).unwrap());
    let mut seta = a.clone();
    seta.sort_unstable();
    seta.dedup();
    let mut setb = b.clone();
    setb.sort_unstable();
    setb.dedup();
    let mut g = c.benchmark_group("verify");
    g.throughput(Throughput::Elements(1));
    g.bench_function("estimate_k128", |bch| bch.iter(|| estimate_jaccard(&sa, &sb)));
    g.bench_function("exact_400_shingles", |bch| bch.iter(|| exact(&seta, &setb)));
    // A borderline pair of char 5-gram key sets: about 3,000 keys each, Jaccard about 0.8.
    let shared: Vec<u32> = (0..2700).map(|_| rng.next() as u32).collect();
    let key_pair = |own: usize, rng: &mut SplitMix| {
        let mut s: Vec<u32> =
            shared.iter().copied().chain((0..own).map(|_| rng.next() as u32)).collect();
        s.sort_unstable();
        s.dedup();
        s
    };
    let (ka, kb) = (key_pair(300, &mut rng), key_pair(300, &mut rng));
    g.bench_function("exact_3000_keys_j08", |bch| bch.iter(|| exact(&ka, &kb)));
    g.finish();

    // The exact set of one document of char 5-grams (about 3,500 shingles): the settling
    // step's per-document cost after re-shingling.
    let doc: Vec<u64> = (0..3500).map(|_| rng.next()).collect();
    let mut tmp = Vec::new();
    let mut g = c.benchmark_group("exact_set");
    g.throughput(Throughput::Elements(doc.len() as u64));
    g.bench_function("key_set_3500", |bch| bch.iter(|| key_set(&doc, &mut tmp)));
    // As real text: about a third of a document's char windows repeat one before them.
    let repeats: Vec<u64> = (0..3500)
        .map(|i| if i % 3 == 2 { doc[(rng.next() % i as u64) as usize] } else { doc[i] })
        .collect();
    g.bench_function("key_set_3500_repeats", |bch| bch.iter(|| key_set(&repeats, &mut tmp)));
    // A document of word 5-grams.
    g.bench_function("key_set_500", |bch| bch.iter(|| key_set(&doc[..500], &mut tmp)));
    g.bench_function("sort_u64_3500", |bch| {
        bch.iter(|| {
            let mut v = doc.clone();
            v.sort_unstable();
            v.dedup();
            v
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
