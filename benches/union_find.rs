//! Union-find over seeded random pairs.
#![allow(missing_docs)] // criterion_group! generates undocumented functions
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use neardup::cluster::UnionFind;
use neardup::naive::SplitMix;

fn bench(c: &mut Criterion) {
    let n = 1_000_000u64;
    let mut rng = SplitMix(2);
    let pairs: Vec<(u32, u32)> =
        (0..n / 2).map(|_| ((rng.next() % n) as u32, (rng.next() % n) as u32)).collect();
    let mut g = c.benchmark_group("union_find");
    g.sample_size(10);
    g.throughput(Throughput::Elements(pairs.len() as u64));
    g.bench_function("1m_nodes_500k_pairs", |b| {
        b.iter(|| {
            let mut uf = UnionFind::new(n as usize);
            for &(a, b) in &pairs {
                uf.union(a, b);
            }
            uf.groups(2).len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
