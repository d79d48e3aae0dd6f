//! The story store: story centroids and term statistics carried from one `cluster --store`
//! run to the next, so that story ids stay stable from night to night.
//!
//! ```text
//! magic "NDUPSTO\0" | version u32 | oldest reader u32 | next story id u64 | articles seen u64 |
//! term count u64 | per term: term u32, document frequency u32 |
//! story count u64 | per story: id u64, size u32, last i64, term count u32,
//!                              per term: term u32, weight f32 |
//! [parameters: "NDUPSPAR" | normalizer version u32 | stem chars u32 | title weight f32 |
//!  entity weight f32 | time scale f64 (0: off) | threshold f64] |
//! [lexicon: "NDUPSLEX" | stemmer version u32 | form count u64 |
//!  per form: form key u32, document frequency u32] |
//! [figures: "NDUPSFIG" | figure factor f64 (1: off) | figure share f64] |
//! footer: body length u64 | XXH3-64 | "NDUPEND\0"
//! ```
//!
//! The parameter block names what produced the sums (files written before it existed lack
//! it and read as [`StoryFileParams::LEGACY`]); continuing a store with other parameters is
//! [`StoreError::IncompatibleParams`] naming the field. The lexicon block carries the Arabic
//! word forms seen so far ([`crate::normalize::stem::Lexicon`]), so that the stemmer decides
//! a word tonight as it did on earlier nights, and the stemmer's version (files without the
//! block were stemmed by version 1, the light stemmer). Readers that predate the block stop
//! at the parameters and ignore it. The figures block carries the figure evidence of the run
//! ([`StoryParams::figure_factor`], [`StoryParams::figure_share`]); files without it read as
//! made without figures (factor 1, share 0). A file with it is version 3 and names 3 as its
//! oldest reader ([`STORIES_FIGURES_VERSION`]), so a reader that predates it refuses the file
//! by its version ([`StoreError::UnsupportedVersion`]) rather than calling it damaged.
//!
//! The file (`STORIES` in the store directory) is replaced atomically (temporary file, fsync,
//! rename, directory fsync) and checked in full when read.

use std::path::Path;

use super::format::*;
use super::segment::write_atomically;
use crate::error::{Error, Result, StoreError};
use crate::normalize::stem::{Lexicon, STEMMER_VERSION};
use crate::stories::{StoryParams, StoryState, Term};

/// Magic number of the story store.
pub const STORIES_MAGIC: &[u8; 8] = b"NDUPSTO\0";

/// Marks the parameter block.
const PARAMS_TAG: &[u8; 8] = b"NDUPSPAR";

/// Marks the lexicon block.
const LEXICON_TAG: &[u8; 8] = b"NDUPSLEX";

/// Marks the figures block.
const FIGURES_TAG: &[u8; 8] = b"NDUPSFIG";

/// The version of a story store that holds the figures block, and the oldest reader it names:
/// a reader that predates the block (it reads up to [`crate::store::FORMAT_VERSION`] 2) refuses
/// the file with [`StoreError::UnsupportedVersion`] instead of calling it damaged. A file
/// without the block is still written as version 2, oldest reader 1.
pub const STORIES_FIGURES_VERSION: u32 = 3;

/// The parameters that produced a story store's vectors and stories.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StoryFileParams {
    /// [`crate::NORMALIZER_VERSION`] of the terms.
    pub normalizer_version: u32,
    /// [`StoryParams::stem_chars`].
    pub stem_chars: u32,
    /// [`StoryParams::title_weight`].
    pub title_weight: f32,
    /// [`StoryParams::entity_weight`].
    pub entity_weight: f32,
    /// [`StoryParams::time_scale_secs`], 0 for none.
    pub time_scale_secs: f64,
    /// [`StoryParams::threshold`].
    pub threshold: f64,
    /// [`STEMMER_VERSION`] of the terms.
    pub stemmer_version: u32,
    /// The figure factor in effect ([`StoryParams::figure_boost`]: 1 when off or undated).
    pub figure_factor: f64,
    /// [`StoryParams::figure_share`] (0 when the factor is off).
    pub figure_share: f64,
}

impl StoryFileParams {
    /// What files without a parameter block were written with (normalizer 1, whole words,
    /// weights 2 and 3, no time, threshold 0.25).
    pub const LEGACY: StoryFileParams = StoryFileParams {
        normalizer_version: 1,
        stem_chars: 0,
        title_weight: 2.0,
        entity_weight: 3.0,
        time_scale_secs: 0.0,
        threshold: 0.25,
        stemmer_version: 1,
        figure_factor: 1.0,
        figure_share: 0.0,
    };

    /// The parameters of a run.
    pub fn of(p: &StoryParams) -> StoryFileParams {
        StoryFileParams {
            normalizer_version: crate::NORMALIZER_VERSION,
            stem_chars: p.stem_chars as u32,
            title_weight: p.title_weight,
            entity_weight: p.entity_weight,
            time_scale_secs: p.time_scale_secs.unwrap_or(0.0),
            threshold: p.threshold,
            stemmer_version: STEMMER_VERSION,
            figure_factor: p.figure_boost(),
            figure_share: if p.figure_boost() > 1.0 { p.figure_share } else { 0.0 },
        }
    }

    /// Checks that a run with `given` may continue a store made with `self`.
    ///
    /// # Errors
    /// [`StoreError::IncompatibleParams`] naming the first field that differs.
    pub fn check(&self, given: &StoryFileParams) -> Result<()> {
        let fields: [(&'static str, String, String); 9] = [
            (
                "normalizer version",
                self.normalizer_version.to_string(),
                given.normalizer_version.to_string(),
            ),
            ("stem chars", self.stem_chars.to_string(), given.stem_chars.to_string()),
            ("title weight", self.title_weight.to_string(), given.title_weight.to_string()),
            ("entity weight", self.entity_weight.to_string(), given.entity_weight.to_string()),
            ("time scale", self.time_scale_secs.to_string(), given.time_scale_secs.to_string()),
            ("threshold", self.threshold.to_string(), given.threshold.to_string()),
            (
                "stemmer version",
                self.stemmer_version.to_string(),
                given.stemmer_version.to_string(),
            ),
            ("figure factor", self.figure_factor.to_string(), given.figure_factor.to_string()),
            ("figure share", self.figure_share.to_string(), given.figure_share.to_string()),
        ];
        for (field, store, given) in fields {
            if store != given {
                return Err(StoreError::IncompatibleParams { field, store, given }.into());
            }
        }
        Ok(())
    }
}

/// Stories and term statistics.
#[derive(Clone, Debug, PartialEq)]
pub struct StoryStore {
    /// The parameters that produced it.
    pub params: StoryFileParams,
    /// The next unused story id.
    pub next_id: u64,
    /// Articles seen so far (the N of inverse document frequency).
    pub articles: u64,
    /// Document frequency of each term, sorted by term.
    pub df: Vec<(Term, u32)>,
    /// Stories with their stable ids.
    pub stories: Vec<(u64, StoryState)>,
    /// The Arabic word forms seen so far, for the stemmer.
    pub lexicon: Lexicon,
}

impl Default for StoryStore {
    fn default() -> StoryStore {
        StoryStore {
            params: StoryFileParams::LEGACY,
            next_id: 0,
            articles: 0,
            df: Vec::new(),
            stories: Vec::new(),
            lexicon: Lexicon::default(),
        }
    }
}

impl StoryStore {
    /// An empty store for parameters `params`.
    pub fn empty(params: StoryFileParams) -> StoryStore {
        StoryStore { params, ..StoryStore::default() }
    }

    /// Whether [`StoryStore::encode`] writes the figures block (which needs the lexicon block
    /// before it).
    fn has_figures_block(&self) -> bool {
        let p = &self.params;
        (p.stemmer_version != 1 || !self.lexicon.is_empty())
            && (p.figure_factor != 1.0 || p.figure_share != 0.0)
    }

    /// Encodes with the footer.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(STORIES_MAGIC);
        if self.has_figures_block() {
            b.extend_from_slice(&STORIES_FIGURES_VERSION.to_le_bytes());
            b.extend_from_slice(&STORIES_FIGURES_VERSION.to_le_bytes());
        } else {
            b.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
            b.extend_from_slice(&OLDEST_SUPPORTED_FORMAT_VERSION.to_le_bytes());
        }
        b.extend_from_slice(&self.next_id.to_le_bytes());
        b.extend_from_slice(&self.articles.to_le_bytes());
        b.extend_from_slice(&(self.df.len() as u64).to_le_bytes());
        for &(t, d) in &self.df {
            b.extend_from_slice(&t.to_le_bytes());
            b.extend_from_slice(&d.to_le_bytes());
        }
        b.extend_from_slice(&(self.stories.len() as u64).to_le_bytes());
        for (id, s) in &self.stories {
            b.extend_from_slice(&id.to_le_bytes());
            b.extend_from_slice(&s.size.to_le_bytes());
            b.extend_from_slice(&s.last.to_le_bytes());
            b.extend_from_slice(&(s.sum.len() as u32).to_le_bytes());
            for &(t, w) in &s.sum {
                b.extend_from_slice(&t.to_le_bytes());
                b.extend_from_slice(&w.to_le_bytes());
            }
        }
        let p = &self.params;
        b.extend_from_slice(PARAMS_TAG);
        b.extend_from_slice(&p.normalizer_version.to_le_bytes());
        b.extend_from_slice(&p.stem_chars.to_le_bytes());
        b.extend_from_slice(&p.title_weight.to_le_bytes());
        b.extend_from_slice(&p.entity_weight.to_le_bytes());
        b.extend_from_slice(&p.time_scale_secs.to_le_bytes());
        b.extend_from_slice(&p.threshold.to_le_bytes());
        if p.stemmer_version != 1 || !self.lexicon.is_empty() {
            b.extend_from_slice(LEXICON_TAG);
            b.extend_from_slice(&p.stemmer_version.to_le_bytes());
            let forms = self.lexicon.entries();
            b.extend_from_slice(&(forms.len() as u64).to_le_bytes());
            for (k, c) in forms {
                b.extend_from_slice(&k.to_le_bytes());
                b.extend_from_slice(&c.to_le_bytes());
            }
            if self.has_figures_block() {
                b.extend_from_slice(FIGURES_TAG);
                b.extend_from_slice(&p.figure_factor.to_le_bytes());
                b.extend_from_slice(&p.figure_share.to_le_bytes());
            }
        }
        push_footer(&mut b);
        b
    }

    /// Decodes and checks the bytes of `path`.
    ///
    /// # Errors
    /// The [`StoreError`] for what is wrong.
    pub fn decode(b: &[u8], path: &Path) -> Result<StoryStore> {
        let (body, sum) =
            check_frame_up_to(b, STORIES_MAGIC, "story store", path, STORIES_FIGURES_VERSION)?;
        check_sum(b, body, sum, path)?;
        let corrupt = || {
            Error::from(StoreError::Corrupt {
                path: path.into(),
                reason: "story store ends early".into(),
            })
        };
        let mut at = 16;
        let mut take = |n: usize| -> Result<usize> {
            if at + n > body {
                return Err(corrupt());
            }
            at += n;
            Ok(at - n)
        };
        let next_id = u64_at(b, take(8)?);
        let articles = u64_at(b, take(8)?);
        let terms = u64_at(b, take(8)?) as usize;
        let mut df = Vec::with_capacity(terms.min(body / 8));
        for _ in 0..terms {
            let o = take(8)?;
            df.push((u32_at(b, o), u32_at(b, o + 4)));
        }
        let n = u64_at(b, take(8)?) as usize;
        let mut stories = Vec::with_capacity(n.min(body / 24));
        for _ in 0..n {
            let o = take(24)?;
            let (id, size, last, k) = (
                u64_at(b, o),
                u32_at(b, o + 8),
                u64_at(b, o + 12) as i64,
                u32_at(b, o + 20) as usize,
            );
            let mut sum = Vec::with_capacity(k.min(body / 8));
            for _ in 0..k {
                let o = take(8)?;
                sum.push((
                    u32_at(b, o),
                    f32::from_le_bytes([b[o + 4], b[o + 5], b[o + 6], b[o + 7]]),
                ));
            }
            stories.push((id, StoryState { sum, last, size }));
        }
        let mut params = StoryFileParams::LEGACY;
        if take(0)? < body {
            let o = take(8 + 16 + 16)?;
            if &b[o..o + 8] != PARAMS_TAG {
                return Err(corrupt());
            }
            let f64_at = |o: usize| f64::from_bits(u64_at(b, o));
            let f32_at = |o: usize| f32::from_bits(u32_at(b, o));
            params = StoryFileParams {
                normalizer_version: u32_at(b, o + 8),
                stem_chars: u32_at(b, o + 12),
                title_weight: f32_at(o + 16),
                entity_weight: f32_at(o + 20),
                time_scale_secs: f64_at(o + 24),
                threshold: f64_at(o + 32),
                stemmer_version: 1,
                figure_factor: 1.0,
                figure_share: 0.0,
            };
        }
        let mut lexicon = Lexicon::default();
        if take(0)? < body {
            let o = take(8 + 4 + 8)?;
            if &b[o..o + 8] != LEXICON_TAG {
                return Err(corrupt());
            }
            params.stemmer_version = u32_at(b, o + 8);
            let forms = u64_at(b, o + 12);
            for _ in 0..forms {
                let o = take(8)?;
                lexicon.add_key(u32_at(b, o), u32_at(b, o + 4));
            }
        }
        if take(0)? < body {
            let o = take(8 + 16)?;
            if &b[o..o + 8] != FIGURES_TAG {
                return Err(corrupt());
            }
            params.figure_factor = f64::from_bits(u64_at(b, o + 8));
            params.figure_share = f64::from_bits(u64_at(b, o + 16));
        }
        if take(0)? != body {
            return Err(corrupt());
        }
        Ok(StoryStore { params, next_id, articles, df, stories, lexicon })
    }

    /// Loads `STORIES` from `dir`, or an empty store when there is none.
    ///
    /// # Errors
    /// I/O errors and damage.
    pub fn load(dir: &Path) -> Result<StoryStore> {
        let path = dir.join("STORIES");
        match std::fs::read(&path) {
            Ok(b) => StoryStore::decode(&b, &path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(StoryStore::default()),
            Err(e) => Err(Error::Io { path, source: e }),
        }
    }

    /// Saves into `dir` atomically and durably.
    ///
    /// # Errors
    /// I/O errors; the previous file then stays.
    pub fn save(&self, dir: &Path) -> Result<()> {
        write_atomically(&dir.join("STORIES"), &self.encode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let s = StoryStore {
            params: StoryFileParams { time_scale_secs: 3600.0, ..StoryFileParams::LEGACY },
            next_id: 7,
            articles: 42,
            df: vec![(1, 3), (9, 1)],
            stories: vec![(
                3,
                StoryState { sum: vec![(1, 0.5), (9, 1.5)], last: 1_700_000_000, size: 2 },
            )],
            lexicon: Lexicon::default(),
        };
        let mut with_lexicon = StoryStore {
            params: StoryFileParams { stemmer_version: STEMMER_VERSION, ..s.params },
            ..s.clone()
        };
        with_lexicon.lexicon.add_doc(["بارق", "فرنسا"]);
        with_lexicon.lexicon.add_doc(["فرنسا"]);
        let back = StoryStore::decode(&with_lexicon.encode(), Path::new("STORIES")).unwrap();
        assert_eq!(back, with_lexicon);
        assert_eq!(back.lexicon.count("فرنسا"), 2);
        let b = s.encode();
        let p = Path::new("STORIES");
        assert_eq!(StoryStore::decode(&b, p).unwrap(), s);
        let mut bad = b.clone();
        bad[30] ^= 1;
        assert!(matches!(
            StoryStore::decode(&bad, p),
            Err(Error::Store(StoreError::ChecksumMismatch { .. }))
        ));
        assert!(matches!(
            StoryStore::decode(&b[..b.len() - 3], p),
            Err(Error::Store(StoreError::Truncated { .. }))
        ));
    }

    #[test]
    fn other_parameters_are_a_named_error() {
        let stored = StoryFileParams::of(&StoryParams::default());
        assert!(stored.check(&stored).is_ok());
        let light = StoryFileParams { stemmer_version: 1, ..stored };
        assert!(matches!(
            light.check(&stored),
            Err(Error::Store(StoreError::IncompatibleParams { field: "stemmer version", .. }))
        ));
        let other = StoryFileParams { stem_chars: 4, ..stored };
        assert!(matches!(
            stored.check(&other),
            Err(Error::Store(StoreError::IncompatibleParams { field: "stem chars", .. }))
        ));
        let dated = StoryFileParams::of(&StoryParams::default().dated());
        assert!(matches!(
            stored.check(&dated),
            Err(Error::Store(StoreError::IncompatibleParams { field: "time scale", .. }))
        ));
        // The block travels with the file.
        let s = StoryStore::empty(dated);
        let p = Path::new("STORIES");
        assert_eq!(StoryStore::decode(&s.encode(), p).unwrap().params, dated);
    }

    #[test]
    fn figure_parameters_are_kept_and_checked() {
        let dated = StoryParams::default().dated();
        let params = StoryFileParams::of(&dated);
        assert_eq!(params.figure_factor, dated.figure_factor);
        assert!(params.figure_factor > 1.0, "figures are on in dated runs by default");
        let undated = StoryFileParams::of(&StoryParams::default());
        assert_eq!((undated.figure_factor, undated.figure_share), (1.0, 0.0), "off undated");
        let s = StoryStore { articles: 3, ..StoryStore::empty(params) };
        let back = StoryStore::decode(&s.encode(), Path::new("STORIES")).unwrap();
        assert_eq!(back.params, params);
        let other = StoryFileParams::of(&StoryParams { figure_factor: 2.0, ..dated });
        match back.params.check(&other) {
            Err(Error::Store(StoreError::IncompatibleParams { field, .. })) => {
                assert_eq!(field, "figure factor");
            }
            r => panic!("expected IncompatibleParams, got {r:?}"),
        }
        let other = StoryFileParams::of(&StoryParams { figure_share: 0.5, ..dated });
        assert!(back.params.check(&other).is_err());
        assert!(back.params.check(&params).is_ok());
    }

    #[test]
    fn a_file_with_figures_names_the_reader_that_knows_them() {
        let with = StoryStore::empty(StoryFileParams::of(&StoryParams::default().dated()));
        let b = with.encode();
        // Version and oldest reader: a reader of version 2 (no figures block) refuses the file
        // by its version, before it could misread the block as damage.
        assert_eq!(
            (u32_at(&b, 8), u32_at(&b, 12)),
            (STORIES_FIGURES_VERSION, STORIES_FIGURES_VERSION)
        );
        assert!(StoryStore::decode(&b, Path::new("STORIES")).is_ok());
        let without = StoryStore::empty(StoryFileParams::of(&StoryParams::default()));
        let b0 = without.encode();
        assert_eq!(
            (u32_at(&b0, 8), u32_at(&b0, 12)),
            (FORMAT_VERSION, OLDEST_SUPPORTED_FORMAT_VERSION)
        );
        // A file from a later version than this reader knows is a named error.
        let mut later = b.clone();
        later[12..16].copy_from_slice(&(STORIES_FIGURES_VERSION + 1).to_le_bytes());
        match StoryStore::decode(&later, Path::new("STORIES")) {
            Err(Error::Store(StoreError::UnsupportedVersion { found, .. })) => {
                assert_eq!(found, STORIES_FIGURES_VERSION)
            }
            r => panic!("expected UnsupportedVersion, got {r:?}"),
        }
        // Segments and manifests still stop at FORMAT_VERSION.
        let mut seg = b.clone();
        seg[..8].copy_from_slice(SEGMENT_MAGIC);
        assert!(check_frame(&seg, SEGMENT_MAGIC, "segment", Path::new("s")).is_err());
    }
}
