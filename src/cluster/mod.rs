//! Grouping: union-find for near-duplicate groups, centroid clustering for stories, and the
//! scores used to tune them.

pub mod metrics;
pub mod story;
pub mod union_find;

pub use union_find::UnionFind;
