//! The near-duplicate engine: the stages wired together.
//!
//! ```text
//! texts ─► boilerplate lines counted (pass 1)
//!       ─► strip boilerplate ─► normalize ─► word hashes ─┬► shingles ─► MinHash signature
//!                                                         └► anchors (MOD-m sampled n-grams)
//! signatures ─► LSH banding ──┐
//! anchors ─► shared counts ───┴► candidate pairs ─► verify ─► union-find ─► groups + kept
//! ```
//!
//! [`Engine`] holds the built stages; [`Fingerprints`] accumulates the per-document results in
//! columns (signatures as one flat `u32` array) so that memory grows with the number of
//! documents, not with their text; [`Engine::resolve`] finds and verifies pairs and groups them.

use rayon::prelude::*;

use crate::boilerplate::{Boilerplate, BoilerplateParams, LineCounter};
use crate::cluster::groups::{self, PairEvidence};
pub use crate::cluster::groups::{DocMeta, Group, Keep};
use crate::cluster::UnionFind;
use crate::error::{Error, Result};
use crate::lsh::anchors::{match_anchors, AnchorMatches, AnchorParams, Postings};
use crate::lsh::{band_candidates, optimal_banding, unpack, Banding};
use crate::normalize::{Mode, NormalizedLines, Normalizer};
use crate::segment;
use crate::shingle::{HashScheme, ShingleKind, ShingleSpec, Shingler, DEFAULT_SEED};
use crate::signature::{MinHasher, Sketch, SketchParams, DEFAULT_NUM_PERM};
pub use crate::verify::Pair;
use crate::verify::{self, Decision, Evidence, Thresholds, VerifyMode};

/// Default recall floor of the derived banding at the threshold ([`optimal_banding`]).
pub const DEFAULT_LSH_MIN_RECALL: f64 = 0.99;
/// Default Jaccard threshold, chosen on the reprints dev set (see `benches/RESULTS.md`).
pub const DEFAULT_THRESHOLD: f64 = 0.5;
/// Default containment threshold, chosen on the reprints dev set.
pub const DEFAULT_CONTAINMENT: f64 = 0.5;
/// Default sentence coverage threshold ([`verify::coverage`]) of the rewrite route, chosen on
/// the dev sets: the least of 0.65, 0.70, ..., 0.85 at which the reprints dev set keeps
/// pairwise precision 0.995; there the SaudiNewsNet dev pairs' recall is 0.955
/// (`benches/RESULTS.md`, issue 21).
pub const DEFAULT_COVERAGE: f64 = 0.75;

/// Default shingles.
pub const DEFAULT_SHINGLE: ShingleSpec = ShingleSpec::word(3);
/// Memory for the shingle sets of borderline pairs' documents in one re-read of the input
/// ([`Engine::settle`]'s budget, as `dedup` and `cluster` settle on a feed read from disk).
pub const EXACT_BUDGET: usize = 64 << 20;

/// Everything that shapes a dedup run.
#[derive(Clone, Debug, PartialEq)]
pub struct DedupConfig {
    /// Normalization mode.
    pub normalize: Mode,
    /// Shingles for the MinHash signature.
    pub shingle: ShingleSpec,
    /// MinHash slots.
    pub num_perm: usize,
    /// Seed of shingle hashing and MinHash.
    pub seed: u64,
    /// Jaccard threshold of verification; also tunes the LSH banding.
    pub threshold: f64,
    /// Containment threshold (above 1 disables the containment route).
    pub containment: f64,
    /// Sentence coverage threshold of the rewrite route, auto verification only (above 1
    /// disables it).
    pub coverage: f64,
    /// Anchor sampling for containment.
    pub anchors: AnchorParams,
    /// Explicit banding, or `None` to derive it from the threshold.
    pub banding: Option<Banding>,
    /// Weights of false positives and false negatives when deriving the banding.
    pub lsh_weights: (f64, f64),
    /// Least candidate probability of a pair at the threshold when deriving the banding.
    pub lsh_min_recall: f64,
    /// Verification mode.
    pub verify: VerifyMode,
    /// Boilerplate line detection, or `None` to keep every line.
    pub boilerplate: Option<BoilerplateParams>,
    /// How shingles and signatures are hashed (a store's own scheme when adding to it).
    pub hash: HashScheme,
}

impl Default for DedupConfig {
    fn default() -> Self {
        DedupConfig {
            normalize: Mode::Auto,
            shingle: DEFAULT_SHINGLE,
            num_perm: DEFAULT_NUM_PERM,
            seed: DEFAULT_SEED,
            threshold: DEFAULT_THRESHOLD,
            containment: DEFAULT_CONTAINMENT,
            coverage: DEFAULT_COVERAGE,
            anchors: AnchorParams::default(),
            banding: None,
            lsh_weights: (0.3, 0.7),
            lsh_min_recall: DEFAULT_LSH_MIN_RECALL,
            verify: VerifyMode::Auto,
            boilerplate: Some(BoilerplateParams::default()),
            hash: HashScheme::default(),
        }
    }
}

/// The built pipeline.
#[derive(Clone, Debug)]
pub struct Engine {
    cfg: DedupConfig,
    normalizer: Normalizer,
    shingler: Shingler,
    bp_shingler: Shingler,
    hasher: MinHasher,
    banding: Banding,
}

/// Reusable per-thread buffers.
#[derive(Default)]
struct Scratch {
    norm: String,
    word: Vec<u8>,
    joined: String,
    line_shingles: Vec<u64>,
    words: Vec<u64>,
    shingles: Vec<u64>,
    keys: Vec<u32>,
    bins: Vec<u64>,
    /// The lines `words` kept (boilerplate left out), unless `kept_all` (char shingles).
    kept: Vec<segment::Span>,
    /// `words` kept every line of the text.
    kept_all: bool,
    /// Set: `words` normalizes word-shingle text sentence by sentence and writes the
    /// sentences' sets here too ([`Engine::exact_sets`]).
    sentences: Option<verify::SentenceSets>,
    /// Scratch for one sentence's word and number keys.
    sentence_keys: (Vec<u32>, Vec<u32>),
}

/// One document's fingerprint, for callers that keep fingerprints themselves (the store).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocFingerprint {
    /// The MinHash signature (`None` when the document has no shingle).
    pub signature: Option<Vec<u32>>,
    /// Its anchors, sorted and deduplicated.
    pub anchors: Vec<u32>,
    /// Its number of shingles.
    pub size: u32,
    /// The keys of the figures its kept lines write ([`verify::figures_in`]), sorted and
    /// distinct ([`verify::figure_set`]).
    pub figures: Vec<u32>,
}

/// One document's fingerprint.
struct DocPrint {
    size: u32,
    has_sig: bool,
    anchors: Vec<u32>,
    figures: Vec<u32>,
    set: Vec<u32>,
}

/// Per-document fingerprints in columns, indexed by document number.
#[derive(Debug, Default)]
pub struct Fingerprints {
    num_perm: usize,
    sigs: Vec<u32>,
    has_sig: Vec<bool>,
    sizes: Vec<u32>,
    postings: Postings,
    sets: Vec<Vec<u32>>,
    /// Each document's figures (sorted, distinct): `figures[figure_ends[d - 1]..figure_ends[d]]`.
    figures: Vec<u32>,
    figure_ends: Vec<usize>,
}

impl Fingerprints {
    /// Number of documents.
    pub fn len(&self) -> usize {
        self.has_sig.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.has_sig.is_empty()
    }

    /// Appends one document's fingerprint as the next document number.
    ///
    /// # Errors
    /// [`Error::Io`] when anchor postings cannot be spilled.
    pub fn push(&mut self, num_perm: usize, fp: Option<&DocFingerprint>) -> Result<()> {
        self.num_perm = num_perm;
        let d = self.has_sig.len() as u32;
        match fp.and_then(|f| f.signature.as_deref().map(|s| (f, s))) {
            Some((f, sig)) => {
                self.sigs.extend_from_slice(sig);
                self.has_sig.push(true);
                self.sizes.push(f.size);
                self.postings.extend(d, &f.anchors)?;
                self.figures.extend_from_slice(&f.figures);
            }
            None => {
                self.sigs.extend(std::iter::repeat_n(u32::MAX, num_perm));
                self.has_sig.push(false);
                self.sizes.push(0);
            }
        }
        self.figure_ends.push(self.figures.len());
        Ok(())
    }

    /// The figures of document `d` (sorted, distinct; none for a document without signature).
    pub fn figures(&self, d: u32) -> &[u32] {
        let d = d as usize;
        let from = if d == 0 { 0 } else { self.figure_ends[d - 1] };
        &self.figures[from..self.figure_ends[d]]
    }

    /// The signature of document `d`, if it had any shingle.
    pub fn signature(&self, d: u32) -> Option<&[u32]> {
        let d = d as usize;
        self.has_sig[d].then(|| &self.sigs[d * self.num_perm..(d + 1) * self.num_perm])
    }
}

/// The outcome of [`Engine::resolve`].
#[derive(Debug, Default)]
pub struct Resolution {
    /// Verified pairs, sorted.
    pub pairs: Vec<Pair>,
    /// Groups of two or more documents, each sorted, ordered by first member.
    pub groups: Vec<Vec<u32>>,
    /// Candidate pairs examined.
    pub candidates: usize,
    /// Pairs too close to a threshold for the estimate, or rejected by it but sent to the
    /// rewrite route ([`verify::COVERAGE_FLOOR`]), still to be settled exactly
    /// ([`Engine::settle`]); sorted. Until then they stand on their estimate.
    pub borderline: Vec<Pair>,
    /// Pairs settled exactly, accepted or not, with their exact evidence; sorted.
    pub settled: Vec<Pair>,
    anchors: AnchorMatches,
}

impl Resolution {
    /// A resolution assembled from parts found elsewhere (the distributed path): the verified
    /// pairs (sorted), their connected components (each sorted, ordered by first member), the
    /// number of candidates, and the anchor matches that [`Engine::finish_groups`] consults
    /// for the pairs it judges itself.
    pub fn from_parts(
        pairs: Vec<Pair>,
        groups: Vec<Vec<u32>>,
        candidates: usize,
        anchors: AnchorMatches,
    ) -> Resolution {
        Resolution {
            pairs,
            groups,
            candidates,
            borderline: Vec::new(),
            settled: Vec::new(),
            anchors,
        }
    }

    /// The same with the pairs settled exactly (accepted or not, sorted), which
    /// [`Engine::finish_groups`] consults before any other evidence.
    pub fn with_settled(mut self, settled: Vec<Pair>) -> Resolution {
        self.settled = settled;
        self
    }
}

/// A resolution's evidence as grouping reads it.
struct Judged<'a> {
    engine: &'a Engine,
    fps: &'a Fingerprints,
    res: &'a Resolution,
}

impl PairEvidence for Judged<'_> {
    fn evidence(&self, a: u32, b: u32) -> Evidence {
        self.engine.pair_evidence(self.fps, self.res, a, b)
    }

    fn size(&self, d: u32) -> u32 {
        self.fps.sizes[d as usize]
    }
}

impl Engine {
    /// Builds the pipeline.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] for thresholds outside (0, 1], bad banding or MinHash sizes.
    pub fn new(cfg: DedupConfig) -> Result<Engine> {
        if !(cfg.threshold > 0.0 && cfg.threshold <= 1.0) {
            return Err(Error::InvalidParam {
                name: "threshold",
                reason: format!("{} is outside (0, 1]", cfg.threshold),
            });
        }
        if cfg.containment.is_nan() || cfg.containment <= 0.0 {
            return Err(Error::InvalidParam {
                name: "containment",
                reason: format!("{} must be positive", cfg.containment),
            });
        }
        if cfg.coverage.is_nan() || cfg.coverage <= 0.0 {
            return Err(Error::InvalidParam {
                name: "coverage",
                reason: format!("{} must be positive", cfg.coverage),
            });
        }
        if cfg.anchors.modulus == 0 || cfg.anchors.n == 0 || cfg.anchors.min_shared == 0 {
            return Err(Error::InvalidParam {
                name: "anchors",
                reason: "n, modulus and min_shared must be positive".into(),
            });
        }
        let hasher = MinHasher::with_scheme(cfg.num_perm, cfg.seed, cfg.hash)?;
        let banding = match cfg.banding {
            Some(b) => {
                b.validate(cfg.num_perm)?;
                b
            }
            None => optimal_banding(
                cfg.threshold,
                cfg.num_perm,
                cfg.lsh_weights.0,
                cfg.lsh_weights.1,
                cfg.lsh_min_recall,
            )?,
        };
        Ok(Engine {
            normalizer: Normalizer::new(cfg.normalize),
            shingler: Shingler::with_scheme(cfg.shingle, cfg.seed, cfg.hash),
            bp_shingler: Shingler::with_scheme(ShingleSpec::word(3), cfg.seed, cfg.hash),
            hasher,
            banding,
            cfg,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &DedupConfig {
        &self.cfg
    }

    /// The LSH banding in use.
    pub fn banding(&self) -> Banding {
        self.banding
    }

    /// The verification thresholds.
    pub fn thresholds(&self) -> Thresholds {
        Thresholds {
            jaccard: self.cfg.threshold,
            containment: self.cfg.containment,
            coverage: self.coverage(),
            anchored: true,
        }
    }

    /// The thresholds for evidence from two whole texts compared without anchors
    /// ([`Engine::compare_texts`]): containment counts without shared anchors.
    pub fn text_thresholds(&self) -> Thresholds {
        Thresholds { anchored: false, ..self.thresholds() }
    }

    /// The coverage threshold in force: the configured one in auto verification (the only
    /// mode that reads texts again), else above 1 (off).
    fn coverage(&self) -> f64 {
        if self.cfg.verify == VerifyMode::Auto && self.cfg.containment <= 1.0 {
            self.cfg.coverage
        } else {
            2.0
        }
    }

    /// A counter for pass 1.
    pub fn line_counter(&self) -> LineCounter {
        LineCounter::new(self.cfg.boilerplate.unwrap_or_default())
    }

    /// Pass 1: counts the lines of a batch of texts (`None` for skipped records).
    pub fn count_lines(&self, texts: &[Option<&str>], counter: &mut LineCounter) {
        let Some(p) = self.cfg.boilerplate else { return };
        let keys: Vec<_> = texts
            .par_iter()
            .map(|t| t.map(|t| crate::boilerplate::doc_line_keys(t, &p)).unwrap_or_default())
            .collect();
        for (t, k) in texts.iter().zip(&keys) {
            if let Some(t) = t {
                counter.add(t, k);
            }
        }
    }

    /// The boilerplate found by `counter` (none when disabled).
    pub fn boilerplate(&self, counter: LineCounter) -> Boilerplate {
        if self.cfg.boilerplate.is_none() {
            return Boilerplate::none();
        }
        counter.finish(&|line, out| {
            let norm = self.normalizer.normalize(line);
            self.bp_shingler.shingles_into(&norm, &mut Vec::new(), out);
        })
    }

    /// The boilerplate from exact line counts found elsewhere ([`Boilerplate::from_counts`]),
    /// with this engine's normalizer for near-verbatim lines; none when disabled.
    pub fn boilerplate_from_counts(
        &self,
        lines: impl IntoIterator<Item = (u64, u32)>,
        texts: &[String],
        block_candidates: impl IntoIterator<Item = u64>,
    ) -> Boilerplate {
        let Some(params) = self.cfg.boilerplate else { return Boilerplate::none() };
        Boilerplate::from_counts(params, lines, texts, block_candidates, &|line, out| {
            let norm = self.normalizer.normalize(line);
            self.bp_shingler.shingles_into(&norm, &mut Vec::new(), out);
        })
    }

    /// Normalizes `text` into word hashes (and, for character shingles, the joined normalized
    /// text), leaving out boilerplate lines. When every line is boilerplate, the whole text is
    /// used: a document made only of recurring lines is a duplicate, not an empty page.
    ///
    /// `pre`: the text's lines already normalized by this engine's normalizer (word shingles
    /// only): their words are hashed instead of normalizing the lines again. The words are the
    /// same, so is the fingerprint.
    ///
    /// With `s.sentences` set (word shingles only), each line is normalized sentence by
    /// sentence and the kept lines' sentence sets are written there: the words are the same
    /// (normalization maps characters within words, and sentences end at white space), so are
    /// the shingles, for one normalization instead of two.
    fn words(&self, text: &str, bp: &Boilerplate, s: &mut Scratch, pre: Option<&NormalizedLines>) {
        s.words.clear();
        s.joined.clear();
        s.kept.clear();
        s.kept_all = false;
        if let Some(sets) = s.sentences.as_mut() {
            sets.clear();
        }
        let chars = self.cfg.shingle.kind == ShingleKind::Char;
        let pre =
            pre.filter(|p| !chars && p.mode() == Some(self.normalizer.mode()) && p.are_of(text));
        if !bp.is_empty() {
            let spans = match pre {
                Some(p) => (0..p.len()).map(|i| p.span(i)).collect(),
                None => segment::lines(text),
            };
            let verbatim: Vec<bool> =
                spans.iter().map(|sp| bp.is_verbatim(&text[sp.range()])).collect();
            let mut prev_bp = false;
            for (i, span) in spans.iter().enumerate() {
                let line = &text[span.range()];
                let next_bp = verbatim.get(i + 1).copied().unwrap_or(true);
                if verbatim[i] || bp.is_in_block(line, prev_bp, next_bp) {
                    prev_bp = true;
                    continue;
                }
                let start = s.words.len();
                let mark = s.sentences.as_ref().map_or(0, verify::SentenceSets::len);
                if let Some(p) = pre {
                    self.shingler.word_hashes_of(p.line(i).as_bytes(), &mut s.words);
                } else if s.sentences.is_some() && !chars {
                    self.sentence_words(text, *span, s);
                } else if chars {
                    self.normalizer.normalize_into(line, &mut s.norm);
                    self.shingler.word_hashes_into(&s.norm, &mut s.words);
                } else {
                    self.hash_words(line, s);
                }
                s.line_shingles.clear();
                self.bp_shingler.windows_into(&s.words[start..], &mut s.line_shingles);
                prev_bp = bp.is_near(&s.line_shingles);
                if prev_bp {
                    s.words.truncate(start);
                    if let Some(sets) = s.sentences.as_mut() {
                        sets.truncate(mark);
                    }
                    continue;
                }
                s.kept.push(*span);
                if chars && !s.norm.is_empty() {
                    if !s.joined.is_empty() {
                        s.joined.push(' ');
                    }
                    s.joined.push_str(&s.norm);
                }
            }
            if !s.words.is_empty() {
                return;
            }
        }
        // Every line is kept (no boilerplate, or only boilerplate: a page of it).
        s.kept_all = true;
        if let Some(sets) = s.sentences.as_mut() {
            sets.clear();
        }
        if s.sentences.is_some() && !chars && pre.is_none() {
            for line in segment::lines(text) {
                self.sentence_words(text, line, s);
            }
        } else if chars {
            self.normalizer.normalize_into(text, &mut s.norm);
            // Word hashes serve the containment anchors only, here.
            if self.cfg.containment <= 1.0 {
                self.shingler.word_hashes_into(&s.norm, &mut s.words);
            }
            std::mem::swap(&mut s.joined, &mut s.norm);
        } else if let Some(p) = pre {
            self.shingler.word_hashes_of(p.all().as_bytes(), &mut s.words);
        } else {
            self.hash_words(text, s);
        }
    }

    /// Appends the hashes of the normalized words of the line `line` of `text` to `s.words`,
    /// normalizing it sentence by sentence, and adds the sentences' sets to `s.sentences`.
    fn sentence_words(&self, text: &str, line: segment::Span, s: &mut Scratch) {
        let Scratch { norm, word, words, sentences, sentence_keys, .. } = s;
        let Some(sets) = sentences.as_mut() else { return };
        for sentence in segment::sentences_in(text, line) {
            let sentence = &text[sentence.range()];
            self.push_sentence(sentence, (norm, word), sentence_keys, sets, |h| words.push(h));
        }
    }

    /// Adds `sentence` to `sets`: the keys of its normalized words of
    /// [`verify::MIN_WORD_CHARS`] characters or more, and of its numbers (words with a digit).
    /// `on_hash` gets each word's hash, in order; `scratch` and `keys` are scratch.
    fn push_sentence(
        &self,
        sentence: &str,
        scratch: (&mut String, &mut Vec<u8>),
        keys: &mut (Vec<u32>, Vec<u32>),
        sets: &mut verify::SentenceSets,
        mut on_hash: impl FnMut(u64),
    ) {
        let (words, numbers) = keys;
        words.clear();
        numbers.clear();
        self.normalizer.for_each_word(sentence, scratch.0, scratch.1, |w| {
            let hash = self.shingler.word_hash_bytes(w);
            on_hash(hash);
            let key = verify::set_key(hash);
            if w.iter().any(u8::is_ascii_digit) {
                numbers.push(key);
            }
            // Characters: the bytes that do not continue one.
            if w.iter().filter(|&&b| (b as i8) >= -0x40).count() >= verify::MIN_WORD_CHARS {
                words.push(key);
            }
        });
        sets.push(words, numbers);
    }

    /// Appends the hashes of the normalized words of `text` to `s.words`.
    fn hash_words(&self, text: &str, s: &mut Scratch) {
        if let Some(folded) = self.normalizer.folded_ascii(text, &mut s.word) {
            self.shingler.word_hashes_of(folded, &mut s.words);
            return;
        }
        if self.normalizer.mode() == Mode::Auto && !text.is_ascii() {
            // The normalized text is written anyway: its words are hashed eight at a time.
            self.normalizer.normalize_into(text, &mut s.norm);
            self.shingler.word_hashes_of(s.norm.as_bytes(), &mut s.words);
            return;
        }
        let words = &mut s.words;
        self.normalizer.for_each_word(text, &mut s.norm, &mut s.word, |w| {
            words.push(self.shingler.word_hash_bytes(w))
        });
    }

    /// The shingle hashes of `text` (boilerplate left out) into `s.shingles`, in text order.
    fn shingles(
        &self,
        text: &str,
        bp: &Boilerplate,
        s: &mut Scratch,
        pre: Option<&NormalizedLines>,
    ) {
        self.words(text, bp, s, pre);
        s.shingles.clear();
        match self.cfg.shingle.kind {
            ShingleKind::Word => self.shingler.windows_into(&s.words, &mut s.shingles),
            ShingleKind::Char => {
                self.shingler.shingles_into(&s.joined, &mut Vec::new(), &mut s.shingles)
            }
        }
    }

    /// What settling compares of texts (`None` for skipped records): the exact sets, the
    /// 32-bit keys of the shingles the signatures saw, sorted and deduplicated
    /// ([`verify::key_set`]), and where the coverage route is on, the sentence sets
    /// ([`verify::SentenceSets`]) of the lines they came from: the sentences
    /// ([`segment::sentences_in`]) of the lines that are not boilerplate, each as the keys of
    /// its normalized words of [`verify::MIN_WORD_CHARS`] characters or more.
    pub fn exact_sets(&self, texts: &[Option<&str>], bp: &Boilerplate) -> Vec<verify::TextSets> {
        let sentences = self.coverage() <= 1.0;
        let words = self.cfg.shingle.kind == ShingleKind::Word;
        texts
            .par_iter()
            .map_init(Scratch::default, |s, t| {
                let Some(t) = t else { return verify::TextSets::default() };
                s.sentences = (sentences && words).then(verify::SentenceSets::default);
                self.shingles(t, bp, s, None);
                let shingles = verify::key_set(&s.shingles, &mut s.keys);
                let sentences = match s.sentences.take() {
                    Some(sets) => sets,
                    None if sentences => self.sentences_of_kept(t, s),
                    None => Default::default(),
                };
                verify::TextSets { shingles, sentences }
            })
            .collect()
    }

    /// The sentence sets of the lines of `text` that the last [`Engine::words`] kept, each
    /// sentence normalized again (char shingles: `words` normalizes whole lines).
    fn sentences_of_kept(&self, text: &str, s: &mut Scratch) -> verify::SentenceSets {
        let mut out = verify::SentenceSets::default();
        let lines = if s.kept_all { segment::lines(text) } else { std::mem::take(&mut s.kept) };
        for &line in &lines {
            for sentence in segment::sentences_in(text, line) {
                let sentence = &text[sentence.range()];
                let scratch = (&mut s.norm, &mut s.word);
                self.push_sentence(sentence, scratch, &mut s.sentence_keys, &mut out, |_| {});
            }
        }
        out
    }

    /// Fingerprints one text, its MinHash signature into `sig` (`num_perm` slots, every one
    /// written).
    fn fingerprint(
        &self,
        text: &str,
        bp: &Boilerplate,
        s: &mut Scratch,
        sig: &mut [u32],
        pre: Option<&NormalizedLines>,
    ) -> DocPrint {
        self.shingles(text, bp, s, pre);
        let has_sig = self.hasher.sketch_into(&s.shingles, &mut s.bins, sig);
        let mut anchors = Vec::new();
        if self.cfg.containment <= 1.0 {
            if self.cfg.shingle == ShingleSpec::word(self.cfg.anchors.n)
                && s.words.len() >= self.cfg.anchors.n
            {
                self.cfg.anchors.sample_ngrams_into(&s.shingles, &mut anchors);
            } else {
                self.cfg.anchors.sample_into(&s.words, &mut anchors);
            }
        }
        let set = if self.cfg.verify == VerifyMode::Exact {
            verify::key_set(&s.shingles, &mut s.keys)
        } else {
            Vec::new()
        };
        let mut figures = Vec::new();
        if self.cfg.containment <= 1.0 || self.coverage() <= 1.0 {
            // The figures of the lines kept: a footer's phone number is no figure of the report.
            if s.kept_all {
                verify::figures_in(text, &mut figures);
            } else {
                for span in &s.kept {
                    verify::figures_in(&text[span.range()], &mut figures);
                }
            }
            verify::figure_set(&mut figures);
        }
        let size = s.shingles.len().min(u32::MAX as usize) as u32;
        DocPrint { size, has_sig, anchors, figures, set }
    }

    /// Fingerprints texts in parallel (`None` for skipped records).
    pub fn fingerprint_texts(
        &self,
        texts: &[Option<&str>],
        bp: &Boilerplate,
    ) -> Vec<Option<DocFingerprint>> {
        texts
            .par_iter()
            .map_init(Scratch::default, |s, t| {
                t.map(|t| {
                    let mut sig = vec![0u32; self.cfg.num_perm];
                    let p = self.fingerprint(t, bp, s, &mut sig, None);
                    DocFingerprint {
                        signature: p.has_sig.then_some(sig),
                        anchors: p.anchors,
                        size: p.size,
                        figures: p.figures,
                    }
                })
            })
            .collect()
    }

    /// Pass 2: fingerprints a batch of texts (`None` for records that were skipped) and
    /// appends them to `fps` as the next document numbers.
    ///
    /// # Errors
    /// [`Error::Io`] when anchor postings cannot be spilled to a temporary file.
    pub fn add_batch(
        &self,
        texts: &[Option<&str>],
        bp: &Boilerplate,
        fps: &mut Fingerprints,
    ) -> Result<()> {
        self.add_batch_with(texts.len(), |i| texts[i].map(|t| (t, None)), bp, fps)
    }

    /// [`Engine::add_batch`] for texts whose lines the caller has normalized already
    /// ([`Normalizer::normalize_lines`], with a normalizer of this engine's mode): their words
    /// are hashed without normalizing the text again, so a caller that needs the words too (the
    /// story vectors of `neardup cluster`) normalizes each text once. The fingerprints are
    /// those of [`Engine::add_batch`]; lines of another mode or of another text, or character
    /// shingles, are normalized again.
    ///
    /// # Errors
    /// [`Error::Io`] when anchor postings cannot be spilled to a temporary file.
    pub fn add_batch_normalized(
        &self,
        docs: &[Option<(&str, &NormalizedLines)>],
        bp: &Boilerplate,
        fps: &mut Fingerprints,
    ) -> Result<()> {
        self.add_batch_with(docs.len(), |i| docs[i].map(|(t, l)| (t, Some(l))), bp, fps)
    }

    fn add_batch_with<'t>(
        &self,
        n: usize,
        doc: impl Fn(usize) -> Option<(&'t str, Option<&'t NormalizedLines>)> + Sync,
        bp: &Boilerplate,
        fps: &mut Fingerprints,
    ) -> Result<()> {
        let k = self.cfg.num_perm;
        fps.num_perm = k;
        // The signatures go straight into their columns: the slots are filled in parallel
        // (skipped records keep u32::MAX), then each task writes its document's own slots.
        let start = fps.sigs.len();
        fps.sigs.par_extend(rayon::iter::repeat_n(u32::MAX, n * k));
        let prints: Vec<Option<DocPrint>> = fps.sigs[start..]
            .par_chunks_mut(k)
            .enumerate()
            .map_init(Scratch::default, |s, (i, sig)| {
                doc(i).map(|(t, pre)| self.fingerprint(t, bp, s, sig, pre))
            })
            .collect();
        for p in prints {
            let d = fps.has_sig.len() as u32;
            match p {
                Some(DocPrint { size, has_sig: true, anchors, figures, set }) => {
                    fps.sizes.push(size);
                    fps.has_sig.push(true);
                    fps.postings.extend(d, &anchors)?;
                    fps.figures.extend_from_slice(&figures);
                    if self.cfg.verify == VerifyMode::Exact {
                        fps.sets.push(set);
                    }
                }
                _ => {
                    fps.sizes.push(0);
                    fps.has_sig.push(false);
                    if self.cfg.verify == VerifyMode::Exact {
                        fps.sets.push(Vec::new());
                    }
                }
            }
            fps.figure_ends.push(fps.figures.len());
        }
        Ok(())
    }

    /// The evidence for `a`, `b` from their fingerprints: exact sets in exact mode, else the
    /// estimate; with the anchors they share and whether their figures disagree in every mode,
    /// so exact verification stays the reference that auto approximates, under the same rule
    /// for containment.
    fn evidence(&self, fps: &Fingerprints, anchors: &AnchorMatches, a: u32, b: u32) -> Evidence {
        let shared = anchors.shared(a, b).unwrap_or(0);
        let sizes = (fps.sizes[a as usize], fps.sizes[b as usize]);
        let figures = (fps.figures(a), fps.figures(b));
        if self.cfg.verify == VerifyMode::Exact {
            let mut e = verify::exact(&fps.sets[a as usize], &fps.sets[b as usize]);
            e.shared_anchors = shared;
            e.figures_disagree = verify::figures_disagree(figures.0, figures.1, sizes);
            return e;
        }
        let (Some(sa), Some(sb)) = (fps.signature(a), fps.signature(b)) else {
            return Evidence::new(0.0, 0.0, 0);
        };
        let (ia, ib) = (anchors.informative[a as usize], anchors.informative[b as usize]);
        verify::estimate(sa, sb, shared, (ia, ib), sizes, figures)
    }

    /// Finds candidates, verifies them and groups the duplicates. Consumes the anchor
    /// postings of `fps`.
    ///
    /// # Errors
    /// [`Error::Io`] when spilled anchor postings cannot be read back.
    pub fn resolve(&self, fps: &mut Fingerprints) -> Result<Resolution> {
        let docs: Vec<u32> = (0..fps.len() as u32).filter(|&d| fps.has_sig[d as usize]).collect();
        let lsh = band_candidates(&fps.sigs, self.cfg.num_perm, &docs, self.banding);
        let anchors =
            match_anchors(std::mem::take(&mut fps.postings), fps.len(), &self.cfg.anchors)?;
        let mut cands = lsh;
        cands.extend(anchors.pairs.iter().map(|&(p, _)| p));
        cands.par_sort_unstable();
        cands.dedup();
        let t = self.thresholds();
        let auto = self.cfg.verify == VerifyMode::Auto;
        let judged: Vec<(Pair, Decision)> = cands
            .par_iter()
            .filter_map(|&p| {
                let (a, b) = unpack(p);
                let evidence = self.evidence(fps, &anchors, a, b);
                let decision = if auto {
                    let samples =
                        anchors.informative[a as usize].min(anchors.informative[b as usize]);
                    evidence.decide(&t, self.cfg.num_perm, samples)
                } else if evidence.accepts(&t) {
                    Decision::Accept
                } else {
                    Decision::Reject
                };
                (decision != Decision::Reject).then_some((Pair { a, b, evidence }, decision))
            })
            .collect();
        // Borderline pairs stand on their estimate until `settle` replaces it.
        let borderline: Vec<Pair> =
            judged.iter().filter(|(_, d)| *d == Decision::Borderline).map(|(p, _)| *p).collect();
        let pairs: Vec<Pair> =
            judged.into_iter().map(|(p, _)| p).filter(|p| p.evidence.accepts(&t)).collect();
        let groups = groups::components(fps.len(), &pairs);
        Ok(Resolution {
            groups,
            pairs,
            borderline,
            settled: Vec::new(),
            candidates: cands.len(),
            anchors,
        })
    }

    /// Settles the borderline pairs of `res` exactly ([`VerifyMode::Auto`]). `fetch` gets a
    /// sorted list of document numbers and returns their sets ([`Engine::exact_sets`]),
    /// in that order; it is called once per chunk of pairs whose documents' sets fit in
    /// `budget_bytes`, the pairs taken component by component (a re-read of the input per
    /// chunk: one on small runs, six for char 5-grams on the 100k peer corpus with 64 MB).
    /// Accepted pairs and groups are then recomputed with the exact evidence.
    ///
    /// # Errors
    /// Whatever `fetch` returns, or [`Error::InvalidParam`] when it returns the wrong number
    /// of sets.
    pub fn settle<F, E>(
        &self,
        fps: &Fingerprints,
        res: &mut Resolution,
        budget_bytes: usize,
        mut fetch: F,
    ) -> std::result::Result<(), E>
    where
        F: FnMut(&[u32]) -> std::result::Result<Vec<verify::TextSets>, E>,
        E: From<Error>,
    {
        if res.borderline.is_empty() {
            return Ok(());
        }
        // Pairs are taken component by component (of the graph the borderline pairs make), so
        // that all the pairs of a document fall in one chunk wherever its component fits in one:
        // its text is then read and its set built once. In pair order, a document's pairs with
        // earlier documents lie far apart, and 14% of the documents fetched were fetched again
        // (char:5 on the 100k peer corpus: 32,639 fetched, 7 chunks).
        let mut uf = UnionFind::new(fps.len());
        for p in &res.borderline {
            uf.union(p.a, p.b);
        }
        let mut by_component: Vec<(u32, Pair)> =
            res.borderline.iter().map(|&p| (uf.find(p.a), p)).collect();
        by_component.par_sort_unstable_by_key(|&(c, p)| (c, p.a, p.b));
        let borderline: Vec<Pair> = by_component.into_iter().map(|(_, p)| p).collect();
        res.borderline = Vec::new();
        let mut settled: Vec<Pair> = Vec::with_capacity(borderline.len());
        let mut in_chunk = vec![false; fps.len()];
        let mut docs: Vec<u32> = Vec::new();
        let (mut bytes, mut start) = (0usize, 0usize);
        // Shingle keys, and about as many sentence word keys where they are kept.
        let per_key = if self.coverage() <= 1.0 { 8 } else { 4 };
        let cost = |d: u32| fps.sizes[d as usize] as usize * per_key + 72;
        let t = self.thresholds();
        for i in 0..=borderline.len() {
            let extra = borderline.get(i).map_or(0, |p| {
                [p.a, p.b].iter().filter(|&&d| !in_chunk[d as usize]).map(|&d| cost(d)).sum()
            });
            let last = i == borderline.len();
            if last || (bytes + extra > budget_bytes && i > start) {
                docs.sort_unstable();
                let sets = fetch(&docs)?;
                if sets.len() != docs.len() {
                    return Err(Error::InvalidParam {
                        name: "settle",
                        reason: format!("{} sets for {} documents", sets.len(), docs.len()),
                    }
                    .into());
                }
                let set_of = |d: u32| &sets[docs.binary_search(&d).unwrap_or(0)];
                settled.par_extend(borderline[start..i].par_iter().map(|p| Pair {
                    a: p.a,
                    b: p.b,
                    evidence: verify::settle_pair(set_of(p.a), set_of(p.b), &p.evidence, &t),
                }));
                for &d in &docs {
                    in_chunk[d as usize] = false;
                }
                docs.clear();
                (bytes, start) = (0, i);
                if last {
                    break;
                }
            }
            let p = borderline[i];
            for d in [p.a, p.b] {
                if !in_chunk[d as usize] {
                    in_chunk[d as usize] = true;
                    docs.push(d);
                    bytes += cost(d);
                }
            }
        }
        let key = |p: &Pair| (p.a, p.b);
        settled.par_sort_unstable_by_key(key);
        res.pairs.retain(|p| settled.binary_search_by_key(&key(p), key).is_err());
        res.pairs.extend(settled.iter().filter(|p| p.evidence.accepts(&t)).copied());
        res.pairs.par_sort_unstable_by_key(key);
        res.groups = groups::components(fps.len(), &res.pairs);
        res.settled = settled;
        Ok(())
    }

    /// The evidence for a pair: the settled evidence when it was settled, the verified one
    /// when it is a verified pair, else an estimate from the fingerprints.
    fn pair_evidence(&self, fps: &Fingerprints, res: &Resolution, a: u32, b: u32) -> Evidence {
        let key = (a.min(b), a.max(b));
        if let Ok(i) = res.settled.binary_search_by_key(&key, |p| (p.a, p.b)) {
            return res.settled[i].evidence;
        }
        match res.pairs.binary_search_by_key(&key, |p| (p.a, p.b)) {
            Ok(i) => res.pairs[i].evidence,
            Err(_) => self.evidence(fps, &res.anchors, key.0, key.1),
        }
    }

    /// Turns the union-find components into groups ([`groups::split_component`]): splits
    /// components so that every member is a verified duplicate of its group's center (or, left
    /// alone otherwise, of a member that is), chooses
    /// the kept member of each, and gives each member's similarity to the kept one. Groups come
    /// ordered by smallest member.
    pub fn finish_groups(
        &self,
        fps: &Fingerprints,
        res: &Resolution,
        meta: &[DocMeta],
        keep: Keep,
    ) -> Vec<Group> {
        let t = self.thresholds();
        let ev = Judged { engine: self, fps, res };
        let mut groups: Vec<Group> = res
            .groups
            .par_iter()
            .flat_map_iter(|g| groups::split_component(g.clone(), &res.pairs, &t, &ev, meta, keep))
            .collect();
        groups.sort_by_key(|g| g.members.first().map_or(0, |m| m.0));
        groups
    }

    /// The parameters that the sketches of this engine carry.
    pub fn sketch_params(&self) -> SketchParams {
        SketchParams {
            num_perm: self.cfg.num_perm,
            seed: self.cfg.seed,
            shingle: self.cfg.shingle,
            normalize: self.cfg.normalize,
            normalizer_version: crate::NORMALIZER_VERSION,
            hash: self.cfg.hash,
        }
    }

    /// The MinHash sketch of one text (no boilerplate removal), with its parameters, so that
    /// comparing it with a sketch made differently is an error ([`Sketch::jaccard`]).
    pub fn sketch(&self, text: &str) -> Sketch {
        let mut s = Scratch::default();
        let mut sig = vec![0u32; self.cfg.num_perm];
        let p = self.fingerprint(text, &Boilerplate::none(), &mut s, &mut sig, None);
        Sketch::from_engine(self.sketch_params(), p.has_sig.then_some(sig))
    }

    /// Exact evidence for two texts on their shingle sets (no boilerplate removal): the
    /// near-duplicate measure of `neardup pairs`.
    ///
    /// Figures count as in a feed: when the two disagree ([`verify::figures_disagree`]),
    /// containment short of a whole copy does not count.
    pub fn compare_texts(&self, a: &str, b: &str) -> Evidence {
        let set = |t: &str| {
            let mut shingles = Vec::new();
            self.shingler.shingles_into(
                &self.normalizer.normalize(t),
                &mut Vec::new(),
                &mut shingles,
            );
            verify::key_set(&shingles, &mut Vec::new())
        };
        let figures = |t: &str| {
            let mut f = Vec::new();
            verify::figures_in(t, &mut f);
            verify::figure_set(&mut f);
            f
        };
        let (sa, sb) = (set(a), set(b));
        let mut e = verify::exact(&sa, &sb);
        let sizes = (sa.len() as u32, sb.len() as u32);
        e.figures_disagree = verify::figures_disagree(&figures(a), &figures(b), sizes);
        e
    }

    /// Deduplicates in-memory texts end to end (boilerplate, fingerprints, groups), keeping
    /// the first member of each group.
    ///
    /// # Errors
    /// [`Error::Io`] when anchor postings must be spilled and the temporary file fails.
    pub fn dedup_texts(&self, texts: &[&str]) -> Result<(Resolution, Vec<Group>)> {
        let opt: Vec<Option<&str>> = texts.iter().map(|&t| Some(t)).collect();
        let mut counter = self.line_counter();
        self.count_lines(&opt, &mut counter);
        let bp = self.boilerplate(counter);
        let mut fps = Fingerprints::default();
        self.add_batch(&opt, &bp, &mut fps)?;
        let mut res = self.resolve(&mut fps)?;
        self.settle(&fps, &mut res, usize::MAX, |docs| {
            let some: Vec<Option<&str>> = docs.iter().map(|&d| Some(texts[d as usize])).collect();
            Ok::<_, Error>(self.exact_sets(&some, &bp))
        })?;
        let meta: Vec<DocMeta> =
            texts.iter().map(|t| DocMeta { len: t.len(), date: None }).collect();
        let groups = self.finish_groups(&fps, &res, &meta, Keep::First);
        Ok((res, groups))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "The central bank raised interest rates by half a point on Tuesday, citing persistent inflation in food and energy prices across the region.";
    const A2: &str = "The central bank raised interest rates by half a point on Tuesday, citing stubborn inflation in food and energy prices across the region.";
    const B: &str = "Heavy rain flooded several districts of the capital overnight, and emergency crews evacuated hundreds of residents from low lying neighbourhoods.";

    #[test]
    fn finds_the_reprint_only() {
        let e = Engine::new(DedupConfig::default()).unwrap();
        let (_, groups) = e.dedup_texts(&[A, B, A2]).unwrap();
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].kept, 0);
        assert_eq!(groups[0].members.iter().map(|m| m.0).collect::<Vec<_>>(), [0, 2]);
    }

    // Issue 20: the fingerprints of texts normalized once by the caller are those of the
    // texts themselves, boilerplate lines or not, Arabic or ASCII, one line or many.
    #[test]
    fn normalized_lines_give_the_same_fingerprints() {
        let footer = "Copyright The Daily Courier. All rights reserved.\nShare this article";
        let ar =
            "قال وزير الخارجية، إن المحادثات ستستأنف في الرياض يوم الأحد\r\n\nوأضاف: «نأمل» ١٢٣";
        let mut texts: Vec<String> = vec![
            A.into(),
            format!("{A}\n{footer}"),
            format!("{B}\n\n{footer}"),
            footer.into(),
            ar.into(),
            format!("{ar}\n{footer}"),
            "  \n ".into(),
            "ÉCOLE  naïve ﬁne ＡＢＣ\rsecond line".into(),
        ];
        for i in 0..6 {
            texts.push(format!("{}\n{footer}", [A, A2, B][i % 3]));
        }
        let n = Normalizer::new(Mode::Auto);
        for cfg in
            [DedupConfig::default(), DedupConfig { boilerplate: None, ..DedupConfig::default() }]
        {
            let e = Engine::new(cfg).unwrap();
            let opt: Vec<Option<&str>> = texts.iter().map(|t| Some(t.as_str())).collect();
            let mut counter = e.line_counter();
            e.count_lines(&opt, &mut counter);
            let bp = e.boilerplate(counter);
            let lines: Vec<NormalizedLines> = texts
                .iter()
                .map(|t| {
                    let mut l = NormalizedLines::default();
                    n.normalize_lines(t, &mut l);
                    l
                })
                .collect();
            let pre: Vec<Option<(&str, &NormalizedLines)>> =
                texts.iter().zip(&lines).map(|(t, l)| Some((t.as_str(), l))).collect();
            let (mut plain, mut shared) = (Fingerprints::default(), Fingerprints::default());
            e.add_batch(&opt, &bp, &mut plain).unwrap();
            e.add_batch_normalized(&pre, &bp, &mut shared).unwrap();
            assert_eq!(plain.sigs, shared.sigs);
            assert_eq!(plain.sizes, shared.sizes);
            assert_eq!(plain.has_sig, shared.has_sig);
            assert!(plain.has_sig.iter().filter(|&&h| h).count() >= 10);
        }
    }

    /// Issue 2, item 7: articles that share a long site footer are not duplicates.
    #[test]
    fn shared_footer_is_not_duplication() {
        let footer = "Copyright The Daily Courier. All rights reserved. This material may not be published, broadcast, rewritten or redistributed in any form.\nShare this article\nFollow us on Twitter";
        let words = [
            "cat", "rates", "rain", "match", "election", "fire", "storm", "trial", "bridge",
            "budget", "harvest", "strike", "museum", "vaccine", "festival", "drought",
        ];
        let mut rng = crate::naive::SplitMix(11);
        let texts: Vec<String> = (0..24)
            .map(|_| {
                let body: Vec<&str> = (0..12).map(|_| words[(rng.next() % 16) as usize]).collect();
                format!("{}\n{footer}", body.join(" "))
            })
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let e = Engine::new(DedupConfig::default()).unwrap();
        let (_, groups) = e.dedup_texts(&refs).unwrap();
        assert!(groups.is_empty(), "{groups:?}");
        let no_bp =
            Engine::new(DedupConfig { boilerplate: None, ..DedupConfig::default() }).unwrap();
        let (_, groups) = no_bp.dedup_texts(&refs).unwrap();
        assert!(!groups.is_empty(), "without boilerplate removal the footer dominates");
    }

    #[test]
    fn exact_mode_agrees_on_clear_cases() {
        let e = Engine::new(DedupConfig { verify: VerifyMode::Exact, ..DedupConfig::default() })
            .unwrap();
        let (res, groups) = e.dedup_texts(&[A, B, A2]).unwrap();
        assert_eq!(groups.len(), 1);
        let p = res.pairs[0];
        let sa = Shingler::new(DEFAULT_SHINGLE, DEFAULT_SEED);
        let n = Normalizer::default();
        let exact =
            verify::exact(&sa.shingle_set(&n.normalize(A)), &sa.shingle_set(&n.normalize(A2)));
        assert_eq!(
            (p.evidence.jaccard, p.evidence.containment),
            (exact.jaccard, exact.containment)
        );
        assert!(p.evidence.shared_anchors > 0, "exact mode counts anchors too: {p:?}");
    }

    /// Texts with a spread of edit rates, so that some pairs land near the threshold.
    fn edited_family(seed: u64) -> Vec<String> {
        let mut rng = crate::naive::SplitMix(seed);
        let mut out = Vec::new();
        for _ in 0..8 {
            let base: Vec<u64> = (0..80).map(|_| rng.next() % 400).collect();
            out.push(base.iter().map(|w| format!("w{w}")).collect::<Vec<_>>().join(" "));
            for rate in [3, 6, 9, 12, 15] {
                let v: Vec<String> = base
                    .iter()
                    .map(|&w| if rng.next() % 100 < rate { rng.next() % 400 + 1000 } else { w })
                    .map(|w| format!("w{w}"))
                    .collect();
                out.push(v.join(" "));
            }
        }
        out
    }

    #[test]
    fn a_cut_copy_of_a_story_reprinted_more_than_max_df_times_is_found() {
        // 20 outlets reprint one 400-word story, each under its own 30-word lead, and one more
        // prints its first 45%: every anchor of the story is held by more than `max_df` (16)
        // documents, so the cut copy shares no informative anchor with any other, yet it lies
        // whole in each. 50 unrelated texts around them.
        let mut rng = crate::naive::SplitMix(11);
        let mut words = |n: usize| -> Vec<String> {
            (0..n).map(|_| format!("w{}", rng.next() % 5000)).collect()
        };
        let story = words(400);
        let mut texts: Vec<String> =
            (0..20).map(|_| [words(30), story.clone()].concat().join(" ")).collect();
        texts.push(story[..180].join(" "));
        texts.extend((0..50).map(|_| words(300).join(" ")));
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let engine =
            Engine::new(DedupConfig { boilerplate: None, ..DedupConfig::default() }).unwrap();
        assert!(engine.config().anchors.max_df < 21);
        let (res, groups) = engine.dedup_texts(&refs).unwrap();
        let cut = 20u32;
        let with_cut = res.pairs.iter().filter(|p| p.a == cut || p.b == cut).count();
        assert_eq!(with_cut, 20, "the cut copy is contained in every reprint");
        assert!(groups.iter().any(|g| g.members.iter().any(|m| m.0 == cut)));
    }

    #[test]
    fn a_template_report_with_other_figures_is_no_copy_in_any_mode() {
        // A festival's daily count: one 60-word template, its figures of Monday in a short
        // item, of Monday again (a copy) or of Tuesday (another report) inside longer articles
        // of their own text. 40 unrelated texts around them.
        // Words of letters only: a digit in a word would be a figure of its own.
        let mut rng = crate::naive::SplitMix(5);
        let mut words = |n: usize| -> Vec<String> {
            (0..n)
                .map(|_| {
                    let x = rng.next() % 5000;
                    [x % 26, x / 26 % 26, x / 676]
                        .iter()
                        .map(|&c| char::from(b'a' + c as u8))
                        .collect()
                })
                .collect()
        };
        let template = words(60);
        let report = |figures: [&str; 3]| {
            let mut t = template.clone();
            for (i, f) in figures.iter().enumerate() {
                t.insert(10 + 20 * i, (*f).to_owned());
            }
            t
        };
        let monday = report(["1467", "194.792", "584.376"]);
        let tuesday = report(["1554", "209.020", "627.06"]);
        let mut texts = vec![
            monday.join(" "),
            [words(150), monday.clone(), words(100)].concat().join(" "),
            [words(150), tuesday, words(100)].concat().join(" "),
        ];
        texts.extend((0..40).map(|_| words(250).join(" ")));
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        for verify in [VerifyMode::Auto, VerifyMode::Exact] {
            let cfg = DedupConfig { boilerplate: None, verify, ..DedupConfig::default() };
            let (res, _) = Engine::new(cfg).unwrap().dedup_texts(&refs).unwrap();
            let pair = |b: u32| res.pairs.iter().find(|p| (p.a, p.b) == (0, b));
            let copy = pair(1).unwrap_or_else(|| panic!("{verify:?}: the copy is contained"));
            assert!(copy.evidence.jaccard < 0.5 && !copy.evidence.figures_disagree);
            assert!(pair(2).is_none(), "{verify:?}: another day's report: {:?}", res.pairs);
        }
        // Without the figures the two reports are the same: the second one is found too.
        let same = [template.join(" "), [words(150), template, words(100)].concat().join(" ")];
        let refs: Vec<&str> = same.iter().map(String::as_str).collect();
        let cfg = DedupConfig { boilerplate: None, ..DedupConfig::default() };
        let (res, _) = Engine::new(cfg).unwrap().dedup_texts(&refs).unwrap();
        assert_eq!(res.pairs.len(), 1);
    }

    #[test]
    fn auto_mode_settles_borderline_pairs_exactly() {
        let cfg = DedupConfig {
            threshold: 0.6,
            containment: 2.0,
            boilerplate: None,
            ..DedupConfig::default()
        };
        let texts = edited_family(5);
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let auto = Engine::new(cfg.clone()).unwrap();
        let exact = Engine::new(DedupConfig { verify: VerifyMode::Exact, ..cfg.clone() }).unwrap();
        let (ra, ga) = auto.dedup_texts(&refs).unwrap();
        let (re, ge) = exact.dedup_texts(&refs).unwrap();
        assert!(ra.settled.len() >= 5, "too few borderline pairs to test: {}", ra.settled.len());
        assert!(ra.borderline.is_empty());
        // Every settled pair carries its exact evidence and is accepted exactly when exact
        // verification accepts it.
        let t = auto.thresholds();
        for p in &ra.settled {
            let e = re.pairs.iter().find(|q| (q.a, q.b) == (p.a, p.b));
            assert_eq!(p.evidence.accepts(&t), e.is_some(), "{p:?}");
            if let Some(e) = e {
                assert_eq!(e.evidence, p.evidence);
            }
        }
        let ids = |r: &Resolution| r.pairs.iter().map(|p| (p.a, p.b)).collect::<Vec<_>>();
        assert_eq!(ids(&ra), ids(&re));
        let members =
            |g: &[Group]| g.iter().map(|g| g.members.iter().map(|m| m.0).collect()).collect();
        let (ma, me): (Vec<Vec<u32>>, Vec<Vec<u32>>) = (members(&ga), members(&ge));
        assert_eq!(ma, me);

        // Settling in many small chunks (one re-read each) gives the same answer.
        let opt: Vec<Option<&str>> = refs.iter().map(|&t| Some(t)).collect();
        let bp = Boilerplate::none();
        let mut fps = Fingerprints::default();
        auto.add_batch(&opt, &bp, &mut fps).unwrap();
        let mut res = auto.resolve(&mut fps).unwrap();
        let mut calls = 0;
        auto.settle(&fps, &mut res, 1, |docs| {
            calls += 1;
            let some: Vec<Option<&str>> = docs.iter().map(|&d| opt[d as usize]).collect();
            Ok::<_, Error>(auto.exact_sets(&some, &bp))
        })
        .unwrap();
        assert_eq!(calls, ra.settled.len());
        assert_eq!(ids(&res), ids(&ra));
        assert_eq!(res.settled, ra.settled);
    }

    /// A release, a rewrite of it (each sentence's opening kept, the rest reordered: few word
    /// 3-grams in common, every sentence with its counterpart) and unrelated texts.
    fn release_and_rewrite() -> Vec<String> {
        let word = |i: u64| {
            let mut w = String::new();
            let mut x = i + 26;
            while x > 0 {
                w.push((b'a' + (x % 26) as u8) as char);
                x /= 26;
            }
            w
        };
        let mut rng = crate::naive::SplitMix(11);
        let sentence = |rng: &mut crate::naive::SplitMix| -> Vec<String> {
            (0..12).map(|_| word(rng.next() % 5000)).collect()
        };
        let release: Vec<Vec<String>> = (0..14).map(|_| sentence(&mut rng)).collect();
        let rewrite: Vec<Vec<String>> = release
            .iter()
            .map(|s| {
                let mut r = s[..6].to_vec();
                r.extend(s[6..].iter().rev().cloned());
                r
            })
            .collect();
        let text =
            |ss: &[Vec<String>]| ss.iter().map(|s| s.join(" ") + ".").collect::<Vec<_>>().join(" ");
        let mut out = vec![text(&release), text(&rewrite)];
        for _ in 0..6 {
            let other: Vec<Vec<String>> = (0..14).map(|_| sentence(&mut rng)).collect();
            out.push(text(&other));
        }
        out
    }

    proptest::proptest! {
        /// Normalizing sentence by sentence gives the words of normalizing whole lines, and the
        /// sentence sets of normalizing each sentence again, boilerplate lines left out alike.
        #[test]
        fn sentence_by_sentence_words_are_the_line_words(
            pieces in proptest::collection::vec(0usize..PIECES.len(), 0..60),
        ) {
            let text: String = pieces.iter().map(|&i| PIECES[i]).collect();
            let e = Engine::new(DedupConfig::default()).unwrap();
            let footer = "Follow us on WhatsApp and Telegram for more news today";
            let feed: Vec<String> =
                (0..6).map(|i| format!("story number {i} here\n{footer}")).collect();
            let opt: Vec<Option<&str>> = feed.iter().map(|t| Some(t.as_str())).collect();
            let mut counter = e.line_counter();
            e.count_lines(&opt, &mut counter);
            let bp = e.boilerplate(counter);
            proptest::prop_assert!(!bp.is_empty());
            for text in [text.clone(), format!("{text}\n{footer}\n{text}"), footer.to_string()] {
                for bp in [&bp, &Boilerplate::none()] {
                    let mut plain = Scratch::default();
                    e.words(&text, bp, &mut plain, None);
                    let mut split = Scratch {
                        sentences: Some(verify::SentenceSets::default()),
                        ..Scratch::default()
                    };
                    e.words(&text, bp, &mut split, None);
                    proptest::prop_assert_eq!(&plain.words, &split.words, "{:?}", text);
                    let again = e.sentences_of_kept(&text, &mut plain);
                    proptest::prop_assert_eq!(split.sentences.as_ref(), Some(&again), "{:?}", text);
                }
            }
        }
    }

    /// Pieces of text for [`sentence_by_sentence_words_are_the_line_words`]: Arabic and Latin
    /// words, digits, sentence ends, abbreviations, quotes, line ends.
    const PIECES: &[&str] = &[
        "حفتر ",
        "هفتار",
        " الإفريقية",
        "عام2018",
        " ٨ ",
        "الثامن،",
        ". ",
        "؟ ",
        "! ",
        "… ",
        "\n",
        "\n\n",
        "3.5 ",
        "U.S. ",
        "Dr. ",
        "\"quoted.\" ",
        "(aside.) ",
        "Ünïcödé ",
        "ﻻ ",
        "ﷺ ",
        "word ",
        "WORD",
        "Straße ",
        "ΣΟΦΟΣ ",
        "e\u{301} ",
        " - ",
        "1,234 ",
        "Follow us on WhatsApp and Telegram for more news today",
    ];

    #[test]
    fn a_rewrite_is_found_on_its_sentences() {
        let texts = release_and_rewrite();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let on = Engine::new(DedupConfig { boilerplate: None, ..DedupConfig::default() }).unwrap();
        let (res, groups) = on.dedup_texts(&refs).unwrap();
        let pair = res.pairs.iter().find(|p| (p.a, p.b) == (0, 1)).expect("the rewrite is found");
        let e = pair.evidence;
        assert!(e.jaccard < 0.5 && e.containment < 0.5, "{e:?}: not a test of the route");
        assert_eq!(e.coverage, 1.0, "{e:?}");
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].members.iter().map(|m| m.0).collect::<Vec<_>>(), vec![0, 1]);
        // Off, or without the texts to read (estimate), the rewrite is not a duplicate.
        for cfg in [
            DedupConfig { coverage: 2.0, boilerplate: None, ..DedupConfig::default() },
            DedupConfig {
                verify: VerifyMode::Estimate,
                boilerplate: None,
                ..DedupConfig::default()
            },
        ] {
            let (res, groups) = Engine::new(cfg).unwrap().dedup_texts(&refs).unwrap();
            assert!(res.pairs.is_empty() && groups.is_empty(), "{:?}", res.pairs);
        }
        let bad = DedupConfig { coverage: f64::NAN, ..DedupConfig::default() };
        assert!(matches!(Engine::new(bad), Err(Error::InvalidParam { name: "coverage", .. })));
    }

    /// Issue 7: one boilerplate text in thousands of documents makes giant LSH buckets; the
    /// candidate count stays linear in the number of documents, not quadratic.
    #[test]
    fn giant_buckets_stay_linear() {
        let n = 3000;
        let texts: Vec<&str> = vec![A; n];
        let e = Engine::new(DedupConfig { boilerplate: None, ..DedupConfig::default() }).unwrap();
        let (res, groups) = e.dedup_texts(&texts).unwrap();
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].members.len(), n);
        assert!(res.candidates <= 2 * n * (e.banding().bands + 1), "{} candidates", res.candidates);
    }
}
