//! What flows between the stages: named records instead of nested tuples.

use serde::{Deserialize, Serialize};

use crate::verify::Evidence;

/// A document's signature, shingle count and figures.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SigRec {
    /// The MinHash signature.
    pub sig: Vec<u32>,
    /// Its number of shingles.
    pub size: u32,
    /// Its figures ([`crate::verify::figure_set`]).
    pub figures: Vec<u32>,
}

/// What verification and grouping know of a document: its signature and informative anchors.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DocInfo {
    /// Signature and size.
    pub sig: SigRec,
    /// Informative anchors (under the document-frequency cap); 0 when none.
    pub informative: u32,
}

/// What the keep policy and the output need of a document.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Meta {
    /// Text length in bytes.
    pub len: u64,
    /// Its date, if any.
    pub date: Option<String>,
    /// Its id as raw JSON.
    pub id: String,
}

/// Evidence as exchangeable, ordered bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EvBits {
    /// `f64` bits of the Jaccard resemblance.
    pub jaccard: u64,
    /// `f64` bits of the containment.
    pub containment: u64,
    /// Shared anchors.
    pub shared: u32,
    /// `f64` bits of the sentence coverage.
    pub coverage: u64,
    /// The figures of the two documents disagree.
    pub figures_disagree: bool,
}

impl From<&Evidence> for EvBits {
    fn from(e: &Evidence) -> EvBits {
        EvBits {
            jaccard: e.jaccard.to_bits(),
            containment: e.containment.to_bits(),
            shared: e.shared_anchors,
            coverage: e.coverage.to_bits(),
            figures_disagree: e.figures_disagree,
        }
    }
}

impl From<EvBits> for Evidence {
    fn from(b: EvBits) -> Evidence {
        Evidence {
            jaccard: f64::from_bits(b.jaccard),
            containment: f64::from_bits(b.containment),
            shared_anchors: b.shared,
            coverage: f64::from_bits(b.coverage),
            figures_disagree: b.figures_disagree,
        }
    }
}

/// A candidate pair (packed `a < b`, [`crate::lsh::pack`]) after verification on signatures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Judged {
    /// The packed pair.
    pub pair: u64,
    /// Its estimated evidence.
    pub evidence: EvBits,
    /// Too close to a threshold: to be settled on the exact shingle sets.
    pub borderline: bool,
}

/// A pair with its evidence (verified, or settled exactly).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PairEv {
    /// The packed pair.
    pub pair: u64,
    /// Its evidence.
    pub evidence: EvBits,
}

/// What the worker that groups a component receives, keyed by the component's label.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CompItem {
    /// A member with what grouping needs.
    Doc {
        /// Its number (record ordinal).
        doc: u32,
        /// Signature and anchors.
        info: DocInfo,
        /// Length, date, id.
        meta: Meta,
    },
    /// A verified pair inside the component.
    Verified(PairEv),
    /// A pair settled exactly (accepted or not) inside the component.
    Settled(PairEv),
    /// An anchor match inside the component: the packed pair and its shared count.
    Anchors(u64, u32),
}

/// A finished group, with its members' ids, on its way to the worker that writes the file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupOut {
    /// The kept document.
    pub kept: u32,
    /// Members (kept one included) with their similarity to the kept one, as `f64` bits.
    pub members: Vec<(u32, u64)>,
    /// The members' ids, in the order of `members`.
    pub ids: Vec<String>,
}

/// A verified pair with its documents' ids, for the pairs file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairOut {
    /// The pair and its evidence.
    pub pair: PairEv,
    /// The ids of `a` and `b`.
    pub ids: (String, String),
}
