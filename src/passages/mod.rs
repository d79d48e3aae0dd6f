//! Restated passages and boilerplate, with byte spans.
//!
//! Document-level MinHash cannot see a paragraph told twice in other words: the seed article
//! restates its 29 May paragraph with other verbs and spellings (حفتر/هفتار, عام2018), and word
//! 5-gram Jaccard between the two is below 0.05. This module works on *units*: sentences, and
//! long Arabic sentences cut at their clause boundaries (a comma followed by the conjunction و
//! or ف), each with its byte span in the original text.
//!
//! Each unit becomes a bag of content terms: the text is normalized with the light Arabic
//! stemmer ([`crate::normalize::Mode::Arabic`]), stop words are dropped, number words become
//! digits (`الثامن` → `8`), and terms are weighted by inverse document frequency over the units
//! being compared (one Arabic article or a few: by a bundled background, [`background`]). Two units are compared by a weighted Dice coefficient with *soft matching*:
//! terms also match when their consonant skeletons (the word without the long vowels ا و ي)
//! are within one edit, which joins transliteration variants such as حفتر and هفتار.
//!
//! The pipeline follows the seed–extend–filter scheme of text-alignment systems (PAN shared
//! tasks; Sanchez-Perez, Sidorov and Gelbukh, 2014): unit pairs above the threshold are seeds,
//! seeds that are adjacent in both places are merged into one passage pair, and pairs that are
//! boilerplate, too short, the items of a list told in one template inside an article
//! ([`lists`]), or the headline restated in the lead are filtered out.
//!
//! One file per step: [`units`] cuts texts into units and gives them their terms, [`terms`]
//! weighs and aligns terms ([`Idf`], soft matching), [`background`] holds the term weights of
//! one Arabic article or a few (a bundled background's), [`model`] turns an alignment into
//! [`Evidence`] and a probability ([`RESTATE_MODEL`]; the paraphrase model of whole texts),
//! [`candidates`] picks the unit pairs worth scoring (exact shared weight, an inverted index
//! across documents), [`align`] seeds, weighs and merges unit pairs inside a document and across a feed, [`lists`]
//! tells a list's items inside one article (numbered, or told in one template), and
//! [`find`] here runs them in order. Boilerplate lines come from [`crate::boilerplate`].

pub mod align;
pub mod background;
pub mod candidates;
pub mod lists;
pub mod model;
pub mod terms;
pub mod units;

use ahash::AHashMap;
use serde::Serialize;

use crate::boilerplate::{recurring_labels, recurring_lines};
pub use crate::boilerplate::{BoilerplateLine, BoilerplateRule};
use crate::normalize::stopwords::StopWords;
use crate::normalize::{Mode, Normalizer};
pub use crate::segment::Place;
use crate::segment::Span;
pub use model::{
    Evidence, LogisticModel, RestateModel, FEATURES, PARAPHRASE_MODEL, RESTATE_FEATURES,
    RESTATE_MODEL,
};
pub use terms::{AlignedPairs, AlignedWords, Idf, TermMatch};
use units::NUMBER_WORDS;
pub use units::{
    set_recurrence, unit_content, unit_spans, without_enumerator, without_label, Unit, UnitSpan,
    LEAD_UNITS,
};

/// Default decision threshold of the passage measure on whole texts (`neardup pairs
/// --measure passage`): a text of a hundred words or more that reuses another (rewritten,
/// shortened) shares a smaller share of its terms than one restated sentence does. Chosen on
/// the Clough and Stevenson dev answers (reuse against non-reuse) by the rule that
/// `benches/eval/clough_loto.py` validates leave-one-task-out (the middle of the best-accuracy
/// plateau; 0.9868 on each task held out, thresholds 0.250-0.268 chosen on the other three),
/// applied to all four tasks.
pub const PAIR_THRESHOLD: f64 = 0.264;

/// Term weights over at least this many units are a feed's: the restatement model decides.
/// Below it (a document or a few), the weighted soft Dice decides (under the background's
/// weights, [`background`], with the model's veto).
pub const FEED_UNITS: f64 = 2000.0;

/// A line label ("رابط الخبر بصحيفة الوئام:") opening lines in this many documents is an
/// outlet's lead-in: its words are not a unit's content terms.
pub const LABEL_DOCS: usize = 20;

/// Parameters of passage matching.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PassageParams {
    /// Weighted soft Dice a unit pair must reach to be weighed by the restatement model (a
    /// cheap first cut; the decision is the model's).
    pub threshold: f64,
    /// Probability of the restatement model ([`RESTATE_MODEL`]) a unit pair must reach.
    pub min_similarity: f64,
    /// Weighted soft Dice a unit pair must reach where the term weights come from fewer than
    /// [`FEED_UNITS`] units (one article, a few): the model was calibrated with weights over
    /// a whole feed, and does not apply there.
    pub dice_threshold: f64,
    /// Weigh the terms of a small input (fewer than [`FEED_UNITS`] units) that is mostly
    /// Arabic by the bundled background ([`background`]) instead of its own units.
    pub background: bool,
    /// Under background weights, the restatement model's probability a pair the weighted
    /// soft Dice accepts ([`PassageParams::dice_threshold`]) must reach: the model vetoes
    /// pairs it weighs as unrelated (a shared name, a formula). The largest veto on a grid of
    /// 0.05 that keeps the seed article's four restatements (`benches/RESULTS.md`,
    /// twenty-first session).
    pub background_veto: f64,
    /// Units with fewer content terms are not compared.
    pub min_terms: usize,
    /// Report the headline restated in the lead (as kind `headline`).
    pub headlines: bool,
    /// Across documents, terms held by more than this share of the feed's units (and more
    /// than 64 units) find no candidate pairs ([`candidates::posting_cap`]). Smaller is
    /// faster and finds fewer pairs: on SaudiNewsNet, 1/4000 instead of the default 1/1000
    /// took 0.4x the CPU and found 2 fewer of the 71 restated pairs of ar-restate dev
    /// (`benches/RESULTS.md`, tenth session).
    pub posting_share: f64,
    /// Across documents, the exact weighted Dice (the terms they share, no soft matches) a
    /// unit pair must reach to be scored (at most [`PassageParams::threshold`]). On
    /// SaudiNewsNet, 0.25 scores a quarter of the pairs that half the first cut (0.15)
    /// scored, and ar-restate dev and pairs.dev score the same (`benches/RESULTS.md`,
    /// thirteenth session).
    pub across_dice: f64,
}

impl PassageParams {
    /// Checks the cuts: `threshold` in (0, 1]; `min_similarity`, `dice_threshold` and
    /// `background_veto` in [0, 1]. The error names the field.
    pub fn validate(&self) -> crate::Result<()> {
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return Err(crate::Error::InvalidParam {
                name: "threshold",
                reason: format!("{} is outside (0, 1]", self.threshold),
            });
        }
        for (name, v) in [
            ("min_similarity", self.min_similarity),
            ("dice_threshold", self.dice_threshold),
            ("background_veto", self.background_veto),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(crate::Error::InvalidParam {
                    name,
                    reason: format!("{v} is outside [0, 1]"),
                });
            }
        }
        Ok(())
    }

    /// The exact weighted Dice a unit pair of two documents must reach to be scored:
    /// [`PassageParams::across_dice`], at most the first cut.
    pub fn across_cut(&self) -> f64 {
        self.across_dice.min(self.threshold)
    }
}

impl Default for PassageParams {
    fn default() -> Self {
        PassageParams {
            threshold: 0.3,
            min_similarity: RESTATE_MODEL.threshold,
            dice_threshold: 0.42,
            background: true,
            background_veto: 0.2,
            min_terms: 5,
            headlines: false,
            posting_share: 1.0 / 1000.0,
            across_dice: 0.25,
        }
    }
}

/// Turns texts into units and compares them.
#[derive(Clone, Debug)]
pub struct Analyzer {
    params: PassageParams,
    normalizer: Normalizer,
    /// The normalized words that are no content term as they stand: stop words (`None`) and
    /// number words (`Some` of their digits), in one map so that a word is looked up once.
    lexicon: AHashMap<String, Option<&'static str>>,
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer::new(PassageParams::default())
    }
}

impl Analyzer {
    /// An analyzer with `params`.
    pub fn new(params: PassageParams) -> Analyzer {
        Analyzer {
            params,
            normalizer: Normalizer::new(Mode::Arabic),
            lexicon: lexicon(&StopWords::new(&Normalizer::new(Mode::Arabic))),
        }
    }

    /// The parameters.
    pub fn params(&self) -> &PassageParams {
        &self.params
    }
}

/// The words of [`Analyzer`]'s lexicon: the number words with their digits, then the stop
/// words (a stop word is dropped even where it is also a number word).
fn lexicon(stop: &StopWords) -> AHashMap<String, Option<&'static str>> {
    let mut m: AHashMap<String, Option<&'static str>> =
        NUMBER_WORDS.iter().map(|&(w, d)| (w.to_owned(), Some(d))).collect();
    for w in stop.iter() {
        m.insert(w.to_owned(), None);
    }
    m
}

/// What a passage pair is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A passage restated elsewhere.
    Restated,
    /// A headline restated in the lead.
    Headline,
}

impl Kind {
    /// The name in the output.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Restated => "restated",
            Kind::Headline => "headline",
        }
    }
}

/// How the two passages of a pair match.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchKind {
    /// The same words in the same order.
    Verbatim,
    /// One passage says the whole of the other, and more.
    Contained,
    /// The same content in other words.
    Reworded,
}

impl MatchKind {
    /// The name in the output.
    pub fn name(self) -> &'static str {
        match self {
            MatchKind::Verbatim => "verbatim",
            MatchKind::Contained => "contained",
            MatchKind::Reworded => "reworded",
        }
    }

    /// The kind of match that `e` shows.
    pub fn of(e: &Evidence) -> MatchKind {
        let exact = e.exact_terms == e.matched_terms;
        if exact && e.dice >= 0.95 && e.ordered >= 0.95 {
            MatchKind::Verbatim
        } else if e.coverage_a.max(e.coverage_b) >= 0.9 && e.coverage_a.min(e.coverage_b) < 0.75 {
            MatchKind::Contained
        } else {
            MatchKind::Reworded
        }
    }
}

/// Two passages that restate each other.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Restatement {
    /// Restated, or a headline restated in the lead.
    pub kind: Kind,
    /// How the passages match (of the best unit pair).
    pub matched: MatchKind,
    /// The restatement model's probability for the best unit pair of the passage pair (the
    /// weighted soft Dice where the term weights are not a feed's: see [`FEED_UNITS`]).
    pub similarity: f64,
    /// The alignment of the best unit pair.
    pub evidence: Evidence,
    /// The earlier passage.
    pub a: Place,
    /// The later passage.
    pub b: Place,
}
/// Which term weights, and so which decision, a [`find`] run used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Weights {
    /// A feed's own (at least [`FEED_UNITS`] units): the restatement model decides
    /// ([`PassageParams::min_similarity`]).
    Feed,
    /// One Arabic article or a few, weighed by the bundled background ([`background`]): the
    /// weighted soft Dice decides ([`PassageParams::dice_threshold`]) after the model's veto
    /// ([`PassageParams::background_veto`]).
    Background,
    /// A small input's own (another language, or the background switched off): the weighted
    /// soft Dice decides alone ([`PassageParams::dice_threshold`]).
    #[default]
    Own,
}

impl Weights {
    /// The name in the output.
    pub fn name(self) -> &'static str {
        match self {
            Weights::Feed => "feed",
            Weights::Background => "background",
            Weights::Own => "own",
        }
    }
}

/// Where to look for restatements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Inside each document only.
    Doc,
    /// Inside each document and across documents.
    Corpus,
}
/// What [`find`] reports: restated passage pairs (sorted by document and position) and the
/// boilerplate lines left out of them.
#[derive(Clone, Debug, Default)]
pub struct PassageReport {
    /// Restated passage pairs, sorted by first document, position, second document, position.
    pub restated: Vec<Restatement>,
    /// Recurring lines.
    pub boilerplate: Vec<BoilerplateLine>,
    /// The term weights the pairs were decided under (which of the parameters applied).
    pub weights: Weights,
}

impl PassageReport {
    /// Restated pairs inside one document.
    pub fn in_article(&self) -> usize {
        self.restated.iter().filter(|r| r.kind == Kind::Restated && r.a.doc == r.b.doc).count()
    }

    /// Restated pairs across two documents.
    pub fn cross_article(&self) -> usize {
        self.restated.iter().filter(|r| r.kind == Kind::Restated && r.a.doc != r.b.doc).count()
    }
}

/// A feed's units ready to be compared: each text's units (line labels left out of their
/// terms, recurrence over the feed set, term weights given), the term weights, and the line
/// labels found.
#[derive(Debug)]
pub struct FeedUnits {
    /// The units of each text, in text order.
    pub units: Vec<Vec<Unit>>,
    /// The term weights: the feed's own, or, for one Arabic article or a few, the bundled
    /// background's discounted by the input's own repetition ([`background`]).
    pub idf: Idf,
    /// The recurring line labels ([`crate::boilerplate::recurring_labels`]).
    pub labels: ahash::AHashSet<String>,
}

/// The first steps of [`find`] over `texts`: units, recurrence and term weights, for callers
/// (diagnostics, feature export) that must see what `find` compares.
pub fn feed_units(analyzer: &Analyzer, texts: &[&str]) -> FeedUnits {
    use rayon::prelude::*;
    let labels = recurring_labels(texts, LABEL_DOCS);
    let mut units: Vec<Vec<Unit>> =
        texts.par_iter().map(|t| analyzer.units_labelled(t, &labels)).collect();
    units::set_recurrence(&mut units);
    let refs: Vec<&[Unit]> = units.iter().map(Vec::as_slice).collect();
    let own = Idf::new(&refs);
    let idf = match small_input_weights(analyzer, texts, &own) {
        Some(background) => background.discounted_by(&own, background::OWN_WEIGHT_POWER),
        None => own,
    };
    units.par_iter_mut().for_each(|u| idf.weigh(u));
    FeedUnits { units, idf, labels }
}

/// The term weights of a small input ([`FEED_UNITS`]) that is mostly Arabic, where
/// [`PassageParams::background`] is set: the bundled background's ([`background`]). `None`
/// keeps the input's own weights (a feed; another language; the background switched off, or
/// unreadable, which is logged).
fn small_input_weights(analyzer: &Analyzer, texts: &[&str], own: &Idf) -> Option<&'static Idf> {
    if !analyzer.params.background || own.units() >= FEED_UNITS || !background::mostly_arabic(texts)
    {
        return None;
    }
    match background::arabic_idf(analyzer) {
        Ok(idf) => Some(idf),
        Err(e) => {
            log::warn!("{e}; weighing terms over the input's own units");
            None
        }
    }
}

/// The passage pipeline, the one entry point of `neardup passages` and `neardup report`:
/// boilerplate lines, units, term weights over all units of `texts`, restatements inside each
/// document and (with [`Scope::Corpus`]) across them. Document numbers are indices in `texts`.
pub fn find(
    analyzer: &Analyzer,
    texts: &[&str],
    scope: Scope,
    rule: BoilerplateRule,
) -> PassageReport {
    use rayon::prelude::*;
    let boilerplate = recurring_lines(texts, rule);
    let mut skip: Vec<Vec<Span>> = vec![Vec::new(); texts.len()];
    for b in &boilerplate {
        for p in &b.places {
            skip[p.doc as usize].push(Span { start: p.start, end: p.end });
        }
    }
    let FeedUnits { units, idf, .. } = feed_units(analyzer, texts);
    let idf = &idf;
    // What the fast soft match reads of each unit, made once for both passes.
    let aux: Vec<Vec<align::Aux>> = units.par_iter().map(|u| align::windows(u)).collect();
    let mut restated: Vec<Restatement> = (0..texts.len())
        .into_par_iter()
        .flat_map_iter(|d| {
            analyzer.within_windows(d as u32, texts[d], &units[d], &aux[d], &skip[d], idf)
        })
        .collect();
    if scope == Scope::Corpus && texts.len() > 1 {
        let per_doc: Vec<(&[Unit], &[Span])> =
            units.iter().zip(&skip).map(|(u, s)| (u.as_slice(), s.as_slice())).collect();
        restated.extend(analyzer.across_windows(&per_doc, &aux, idf));
    }
    align::sort_by_key_cheaply(&mut restated, |r| {
        (r.a.doc, r.a.start, r.b.doc, r.b.start, r.a.end, r.b.end)
    });
    PassageReport { restated, boilerplate, weights: idf.weights() }
}
