//! Grouping: union-find for near-duplicate groups, centroid clustering for stories, and the
//! scores used to tune them.

pub mod groups;
pub mod metrics;
/// Story clustering, now [`crate::stories`] (kept under this name for existing callers).
pub use crate::stories as story;
pub mod union_find;

pub use union_find::UnionFind;
