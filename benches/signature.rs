//! MinHash signatures per document.
#![allow(missing_docs)] // criterion_group! generates undocumented functions
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use neardup::naive::SplitMix;
use neardup::shingle::HashScheme;
use neardup::signature::MinHasher;

fn bench(c: &mut Criterion) {
    let mut rng = SplitMix(3);
    let shingles: Vec<u64> = (0..500).map(|_| rng.next()).collect();
    let mut g = c.benchmark_group("signature");
    g.throughput(Throughput::Elements(1));
    for k in [64, 128, 256] {
        let h = MinHasher::new(k, 1).unwrap();
        let (mut bins, mut out) = (Vec::new(), vec![0u32; k]);
        g.bench_function(format!("oph_500_shingles/k{k}"), |b| {
            b.iter(|| h.sketch_into(&shingles, &mut bins, &mut out))
        });
    }
    // Scheme 2's hasher keys the (already mixed) shingle hashes without mixing them again.
    let h = MinHasher::with_scheme(128, 1, HashScheme::Rolling).unwrap();
    let (mut bins, mut out) = (Vec::new(), vec![0u32; 128]);
    g.bench_function("oph_500_shingles/k128_premixed", |b| {
        b.iter(|| h.sketch_into(&shingles, &mut bins, &mut out))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
