//! Grouping verified pairs: union-find for near-duplicate groups.

pub mod union_find;

pub use union_find::UnionFind;
