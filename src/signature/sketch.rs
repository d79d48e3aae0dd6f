//! A MinHash signature that carries the parameters it was made with.
//!
//! A bare `&[u32]` compared with one made under another seed, slot count, shingle spec or
//! normalizer version gives a number, and the number is wrong. [`Sketch::jaccard`] checks
//! [`SketchParams`] first and returns [`Error::IncompatibleSketches`] naming the first field
//! that differs (sourmash's `check_compatible`).

use crate::error::{Error, Result};
use crate::normalize::Mode;
use crate::shingle::{HashScheme, ShingleSpec};

/// Everything that decides which slot values a text gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SketchParams {
    /// MinHash slots.
    pub num_perm: usize,
    /// Seed of shingle hashing and MinHash.
    pub seed: u64,
    /// The shingles hashed.
    pub shingle: ShingleSpec,
    /// The normalization mode.
    pub normalize: Mode,
    /// [`crate::NORMALIZER_VERSION`] of the build that made the sketch.
    pub normalizer_version: u32,
    /// The hashing scheme ([`HashScheme::id`]).
    pub hash: HashScheme,
}

impl SketchParams {
    /// The first field in which `self` and `other` differ, with both values.
    pub fn mismatch(&self, other: &SketchParams) -> Option<(&'static str, String, String)> {
        let fields: [(&'static str, String, String); 6] = [
            ("num_perm", self.num_perm.to_string(), other.num_perm.to_string()),
            ("seed", self.seed.to_string(), other.seed.to_string()),
            ("shingle", self.shingle.to_string(), other.shingle.to_string()),
            ("normalize", self.normalize.name().into(), other.normalize.name().into()),
            (
                "normalizer_version",
                self.normalizer_version.to_string(),
                other.normalizer_version.to_string(),
            ),
            ("hash_id", self.hash.id().to_string(), other.hash.id().to_string()),
        ];
        fields.into_iter().find(|(_, a, b)| a != b)
    }

    /// `Ok` when sketches made under `self` and `other` may be compared.
    ///
    /// # Errors
    /// [`Error::IncompatibleSketches`] naming the first differing field.
    pub fn check_compatible(&self, other: &SketchParams) -> Result<()> {
        match self.mismatch(other) {
            None => Ok(()),
            Some((field, ours, theirs)) => Err(Error::IncompatibleSketches { field, ours, theirs }),
        }
    }
}

/// A text's MinHash signature with its parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sketch {
    params: SketchParams,
    /// `None` when the text had no shingle.
    values: Option<Vec<u32>>,
}

impl Sketch {
    /// A sketch from its parts (`values` must hold `params.num_perm` slots when present).
    ///
    /// # Errors
    /// [`Error::InvalidParam`] when the slot count is not `params.num_perm`.
    pub fn new(params: SketchParams, values: Option<Vec<u32>>) -> Result<Sketch> {
        if let Some(v) = &values {
            if v.len() != params.num_perm {
                return Err(Error::InvalidParam {
                    name: "sketch",
                    reason: format!("{} slots for num_perm {}", v.len(), params.num_perm),
                });
            }
        }
        Ok(Sketch { params, values })
    }

    /// A sketch whose slot count is right by construction (the engine's).
    pub(crate) fn from_engine(params: SketchParams, values: Option<Vec<u32>>) -> Sketch {
        Sketch { params, values }
    }

    /// The parameters it was made with.
    pub fn params(&self) -> &SketchParams {
        &self.params
    }

    /// The slot values (`None` for a text without shingles).
    pub fn values(&self) -> Option<&[u32]> {
        self.values.as_deref()
    }

    /// The estimated Jaccard similarity of the two texts' shingle sets (0 when either had no
    /// shingle).
    ///
    /// # Errors
    /// [`Error::IncompatibleSketches`] when the sketches were made with different parameters.
    pub fn jaccard(&self, other: &Sketch) -> Result<f64> {
        self.params.check_compatible(&other.params)?;
        Ok(match (&self.values, &other.values) {
            (Some(a), Some(b)) => super::estimate_jaccard(a, b),
            _ => 0.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::{DedupConfig, Engine};

    const A: &str = "The central bank raised interest rates by half a point on Tuesday, citing persistent inflation in food and energy prices across the region.";
    const A2: &str = "The central bank raised interest rates by half a point on Tuesday, citing stubborn inflation in food and energy prices across the region.";

    #[test]
    fn same_params_compare() {
        let e = Engine::new(DedupConfig::default()).unwrap();
        let (a, b) = (e.sketch(A), e.sketch(A2));
        let j = a.jaccard(&b).unwrap();
        assert!(j > 0.5 && j < 1.0, "{j}");
        assert_eq!(a.jaccard(&a).unwrap(), 1.0);
    }

    #[test]
    fn different_params_are_a_typed_error() {
        let e = Engine::new(DedupConfig::default()).unwrap();
        let seeded = Engine::new(DedupConfig { seed: 7, ..DedupConfig::default() }).unwrap();
        let wide = Engine::new(DedupConfig { num_perm: 256, ..DedupConfig::default() }).unwrap();
        let chars =
            Engine::new(DedupConfig { shingle: ShingleSpec::char(5), ..DedupConfig::default() })
                .unwrap();
        for (other, want) in [(&seeded, "seed"), (&wide, "num_perm"), (&chars, "shingle")] {
            match e.sketch(A).jaccard(&other.sketch(A)) {
                Err(Error::IncompatibleSketches { field, .. }) => assert_eq!(field, want),
                r => panic!("{want}: {r:?}"),
            }
        }
        let mut p = *e.sketch(A).params();
        p.normalizer_version += 1;
        let old = Sketch::new(p, e.sketch(A).values().map(<[u32]>::to_vec)).unwrap();
        assert!(matches!(
            e.sketch(A).jaccard(&old),
            Err(Error::IncompatibleSketches { field: "normalizer_version", .. })
        ));
    }

    #[test]
    fn wrong_slot_count_is_refused() {
        let e = Engine::new(DedupConfig::default()).unwrap();
        let p = *e.sketch(A).params();
        assert!(matches!(Sketch::new(p, Some(vec![0; 3])), Err(Error::InvalidParam { .. })));
        let empty = e.sketch("");
        assert!(empty.values().is_none());
        assert_eq!(empty.jaccard(&e.sketch(A)).unwrap(), 0.0);
    }
}
