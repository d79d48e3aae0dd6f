//! # neardup
//!
//! Near-duplicate detection for news feeds: reprints, trimmed wire copy and articles set inside
//! longer ones, in Arabic, English and other languages, with boilerplate that does not count.
//!
//! The pipeline, one module per stage:
//!
//! ```text
//! input ─► normalize ─► segment ─► shingle ─► signature ─► lsh ─► verify ─► cluster
//!  (feeds)  (NFKC, case,  (lines,   (word/char  (one-perm   (bands,  (Jaccard,  (union-find,
//!           Arabic fold)  sentences) n-grams)    MinHash)    anchors) containment) kept doc)
//! ```
//!
//! [`dedup::Engine`] wires the stages together; [`boilerplate`] removes recurring lines first.
//! Beside near-duplicates:
//!
//! * [`passages`] finds passages restated inside one article or across a corpus, with byte
//!   spans, and the boilerplate lines of a feed;
//! * [`cluster::story`] groups related coverage into stories (TF-IDF, prefix-filter candidates,
//!   centroid assignment), scored by [`cluster::metrics`];
//! * [`store`] persists signatures (and stories) in an embedded, crash-safe, incremental store;
//! * [`report`] renders a self-contained HTML page for a person to review.
//!
//! ```
//! use neardup::dedup::{DedupConfig, Engine};
//!
//! let texts = [
//!     "وصل خليفة حفتر إلى موسكو وأجرى محادثات مع وزير الدفاع الروسي سيرجي شويجو حول الأزمة في ليبيا ومكافحة الإرهاب",
//!     "Heavy rain flooded several districts of the capital overnight and crews evacuated residents",
//!     "وصل خليفة حفتر الى موسكو و أجرى محادثات مع وزير الدفاع الروسى سيرجى شويجو حول الأزمة فى ليبيا ومكافحة الارهاب",
//! ];
//! let engine = Engine::new(DedupConfig::default())?;
//! let (_, groups) = engine.dedup_texts(&texts)?;
//! assert_eq!(groups.len(), 1);
//! assert_eq!(groups[0].kept, 0);
//! assert_eq!(groups[0].members[1].0, 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod boilerplate;
pub mod cluster;
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
mod cpu;
#[cfg(feature = "dataflow")]
pub mod dataflow;
pub mod dedup;
pub mod error;
pub mod input;
pub mod lsh;
pub mod naive;
pub mod normalize;
pub mod passages;
pub mod report;
pub mod segment;
pub mod shingle;
pub mod signature;
pub mod store;
pub mod stories;
pub mod verify;

pub use error::{Error, Result};
pub use normalize::{Normalizer, NORMALIZER_VERSION};
