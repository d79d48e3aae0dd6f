//! Obviously correct reference implementations, used as oracles by the tests.

use std::collections::{BTreeSet, HashMap, VecDeque};

/// Exact Jaccard similarity of two shingle collections (treated as sets).
pub fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let a: BTreeSet<_> = a.iter().collect();
    let b: BTreeSet<_> = b.iter().collect();
    if a.is_empty() && b.is_empty() {
        return 0.0;
    }
    a.intersection(&b).count() as f64 / a.union(&b).count() as f64
}

/// Connected components by breadth-first search, each sorted, sorted by first member.
pub fn components(n: usize, edges: &[(u32, u32)]) -> Vec<Vec<u32>> {
    let mut adj: HashMap<u32, Vec<u32>> = HashMap::new();
    for &(a, b) in edges {
        adj.entry(a).or_default().push(b);
        adj.entry(b).or_default().push(a);
    }
    let mut seen = vec![false; n];
    let mut out = Vec::new();
    for start in 0..n as u32 {
        if seen[start as usize] {
            continue;
        }
        seen[start as usize] = true;
        let mut comp = vec![start];
        let mut queue = VecDeque::from([start]);
        while let Some(x) = queue.pop_front() {
            for &y in adj.get(&x).map(Vec::as_slice).unwrap_or(&[]) {
                if !seen[y as usize] {
                    seen[y as usize] = true;
                    comp.push(y);
                    queue.push_back(y);
                }
            }
        }
        comp.sort_unstable();
        out.push(comp);
    }
    out
}

/// A tiny seeded generator for tests (SplitMix64).
pub struct SplitMix(pub u64);

impl SplitMix {
    /// The next pseudo-random value.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        crate::shingle::fmix64(self.0)
    }
}
