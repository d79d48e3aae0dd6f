//! Disjoint sets with union by size and path halving (Tarjan and van Leeuwen, 1984).

/// A union-find forest over `0..n`.
#[derive(Clone, Debug)]
pub struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    /// `n` singleton sets.
    pub fn new(n: usize) -> UnionFind {
        UnionFind { parent: (0..n as u32).collect(), size: vec![1; n] }
    }

    /// The representative of `x`'s set.
    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = p;
        }
        x
    }

    /// Merges the sets of `a` and `b`; returns false when they were already one.
    pub fn union(&mut self, a: u32, b: u32) -> bool {
        let (mut ra, mut rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        if self.size[ra as usize] < self.size[rb as usize] {
            std::mem::swap(&mut ra, &mut rb);
        }
        self.parent[rb as usize] = ra;
        self.size[ra as usize] += self.size[rb as usize];
        true
    }

    /// The sets with at least `min_size` members, each sorted ascending, ordered by their
    /// smallest member. Deterministic for a given set of unions, whatever their order.
    pub fn groups(&mut self, min_size: usize) -> Vec<Vec<u32>> {
        let n = self.parent.len();
        let mut slot_of_root = vec![u32::MAX; n];
        let mut groups: Vec<Vec<u32>> = Vec::new();
        for x in 0..n as u32 {
            let r = self.find(x);
            if self.size[r as usize] as usize >= min_size {
                let slot = &mut slot_of_root[r as usize];
                if *slot == u32::MAX {
                    *slot = groups.len() as u32;
                    groups.push(Vec::new());
                }
                groups[*slot as usize].push(x);
            }
        }
        groups
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::naive;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn matches_bfs_components(n in 1usize..60, raw in proptest::collection::vec((0u32..60, 0u32..60), 0..120)) {
            let edges: Vec<(u32, u32)> =
                raw.into_iter().filter(|&(a, b)| (a as usize) < n && (b as usize) < n).collect();
            let mut uf = UnionFind::new(n);
            for &(a, b) in &edges {
                uf.union(a, b);
            }
            let ours = uf.groups(1);
            prop_assert_eq!(ours, naive::components(n, &edges));
        }
    }

    #[test]
    fn min_size_filters_singletons() {
        let mut uf = UnionFind::new(5);
        uf.union(3, 1);
        assert_eq!(uf.groups(2), vec![vec![1, 3]]);
    }
}
