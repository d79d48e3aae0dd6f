//! Background term weights for small inputs: one Arabic article, or a few.
//!
//! The restatement model ([`super::RESTATE_MODEL`]) was fitted with term weights over a whole
//! feed (228,093 units of SaudiNewsNet). One article alone has too few units for its own term
//! statistics: a minister's name said twice weighs as much as the fact restated. Where the
//! input is mostly Arabic and has fewer than [`super::FEED_UNITS`] units, [`super::find`]
//! weighs terms by a background instead: the word frequencies of wordfreq's large Arabic list
//! (Wikipedia, subtitles, news, web text; CC-BY-SA 4.0, `src/passages/data/NOTICE`), bundled
//! in `data/background-ar.tsv.zst` and written by `benches/eval/make_background.py`.
//!
//! A term of frequency `f` (the frequencies of the words that normalize to it, summed) weighs
//! as if it were held by `f · WORDS_PER_UNIT · FEED_UNITS_EQUIVALENT` units of a feed that
//! size ([`Idf::from_frequencies`]), so that the weights and the model's scale
//! ([`Evidence::idf_scale`](super::Evidence)) are a feed's; then the input's own repetition
//! discounts it ([`OWN_WEIGHT_POWER`], [`Idf::discounted_by`]).
//!
//! The file is zstd of UTF-8 text: a magic line with the format version, a source line, a
//! line with the number of words and the xxh3-64 (seed 0) of the body, then `word<TAB>zipf`
//! lines. A file that does not decode, or whose header, count or checksum does not hold, is a
//! [`BackgroundError`]; [`super::find`] then keeps the input's own weights and logs why.

use std::sync::OnceLock;

use ahash::AHashMap;
use xxhash_rust::xxh3::xxh3_64;

use super::terms::Idf;
use super::Analyzer;
use crate::normalize::arabic::is_arabic_letter;

/// The bundled Arabic background (`data/background-ar.tsv.zst`).
pub const ARABIC: &[u8] = include_bytes!("data/background-ar.tsv.zst");

/// Where the bundled background comes from and its licence (CC-BY-SA 4.0, wordfreq's), to be
/// shipped with any build that holds [`ARABIC`] (`neardup --help` and the Python package's
/// `neardup.NOTICE` show it).
pub const NOTICE: &str = include_str!("data/NOTICE");

/// The format version [`Background::parse`] reads.
pub const FORMAT_VERSION: u32 = 1;

/// The units of the feed the weights are scaled to: SaudiNewsNet's, where the model was fitted.
pub const FEED_UNITS_EQUIVALENT: f64 = 228_093.0;

/// How much the input's own repetition discounts a background weight
/// ([`Idf::discounted_by`]): a term in many of the article's units (its topic, a list's
/// template: "التخلص من النفايات وردم المستنقعات" in each item of a list of municipal projects)
/// is weak evidence that two of them restate each other. On ar-restate dev, each article alone
/// (veto 0.2): 0 (no discount) P 0.481 R 0.619, 0.25 P 0.520 R 0.619, 0.5 P 0.565 R 0.619,
/// 0.75 and 1 P 0.545 R 0.571, 2 P 0.600 R 0.429 and one of the seed's four lost
/// (`benches/RESULTS.md`, twenty-first session).
pub const OWN_WEIGHT_POWER: f64 = 0.5;

/// The content words of a unit, on average, that turn a word frequency into the share of units
/// holding the word (SaudiNewsNet units hold 15-25 terms; 10, 20 and 40 give the same dev
/// figures, `benches/RESULTS.md`, twenty-first session).
pub const WORDS_PER_UNIT: f64 = 20.0;

const MAGIC: &str = "#neardup-background";

/// Why a background file was not read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BackgroundError {
    /// The bytes are not zstd, or not UTF-8 text.
    #[error("background: not a zstd-compressed UTF-8 file ({0})")]
    Encoding(String),
    /// The first line is not the magic line.
    #[error("background: line 1 is not `{MAGIC} <version>`")]
    Magic,
    /// A format version this build does not read.
    #[error("background: format version {found}, this build reads {FORMAT_VERSION}")]
    Version {
        /// The version the file says.
        found: String,
    },
    /// The header's word count or checksum line is missing or malformed.
    #[error("background: line {line}: {what}")]
    Header {
        /// The 1-based line.
        line: usize,
        /// What is wrong with it.
        what: &'static str,
    },
    /// A body line is not `word<TAB>zipf`.
    #[error("background: line {line}: expected `word<TAB>zipf`")]
    Line {
        /// The 1-based line.
        line: usize,
    },
    /// The body's words or checksum are not what the header says.
    #[error("background: the header says {expected}, the body has {found}")]
    Mismatch {
        /// What the header says (word count or checksum).
        expected: String,
        /// What the body has.
        found: String,
    },
}

/// Word frequencies of a background, as read from its file.
#[derive(Clone, Debug)]
pub struct Background {
    /// The source line (where the words come from, their licence).
    pub source: String,
    /// Each word and its frequency (a share of all words).
    pub words: Vec<(String, f64)>,
}

impl Background {
    /// Reads a background file ([the module's format](self)).
    pub fn parse(compressed: &[u8]) -> Result<Background, BackgroundError> {
        let raw = zstd::stream::decode_all(compressed)
            .map_err(|e| BackgroundError::Encoding(e.to_string()))?;
        let text = String::from_utf8(raw).map_err(|e| BackgroundError::Encoding(e.to_string()))?;
        let mut lines = text.split_inclusive('\n');
        let mut header = || lines.next().map(|l| l.trim_end_matches('\n')).unwrap_or("");
        let magic = header();
        let version = magic.strip_prefix(MAGIC).ok_or(BackgroundError::Magic)?.trim();
        if version != FORMAT_VERSION.to_string() {
            return Err(BackgroundError::Version { found: version.to_owned() });
        }
        let source = header()
            .strip_prefix("#source ")
            .ok_or(BackgroundError::Header { line: 2, what: "expected `#source ...`" })?
            .to_owned();
        let counts: Vec<&str> = header().split(' ').collect();
        let (count, digest) = match counts.as_slice() {
            ["#words", n, "xxh3", h] => (
                n.parse::<usize>()
                    .map_err(|_| BackgroundError::Header { line: 3, what: "word count" })?,
                u64::from_str_radix(h, 16)
                    .map_err(|_| BackgroundError::Header { line: 3, what: "checksum" })?,
            ),
            _ => {
                return Err(BackgroundError::Header {
                    line: 3,
                    what: "expected `#words <n> xxh3 <hex>`",
                })
            }
        };
        let head_len: usize = text.split_inclusive('\n').take(3).map(str::len).sum();
        let body = &text[head_len..];
        let found = xxh3_64(body.as_bytes());
        if found != digest {
            return Err(BackgroundError::Mismatch {
                expected: format!("xxh3 {digest:016x}"),
                found: format!("xxh3 {found:016x}"),
            });
        }
        let mut words = Vec::with_capacity(count.min(body.len() / 4));
        for (k, line) in body.lines().enumerate() {
            let line_no = k + 4;
            let (w, z) = line.split_once('\t').ok_or(BackgroundError::Line { line: line_no })?;
            let z: f64 = z.parse().map_err(|_| BackgroundError::Line { line: line_no })?;
            if w.is_empty() || !z.is_finite() {
                return Err(BackgroundError::Line { line: line_no });
            }
            words.push((w.to_owned(), 10f64.powf(z - 9.0)));
        }
        if words.len() != count {
            return Err(BackgroundError::Mismatch {
                expected: format!("{count} words"),
                found: format!("{} words", words.len()),
            });
        }
        Ok(Background { source, words })
    }

    /// The term weights of this background under `analyzer`'s terms: the frequencies of the
    /// words that make one term are summed.
    pub fn idf(&self, analyzer: &Analyzer) -> Idf {
        let mut freqs: AHashMap<u64, f64> = AHashMap::with_capacity(self.words.len());
        for (w, f) in &self.words {
            analyzer.for_each_term(w, |h, _| *freqs.entry(h).or_insert(0.0) += f);
        }
        Idf::from_frequencies(freqs, FEED_UNITS_EQUIVALENT, WORDS_PER_UNIT)
    }
}

/// The bundled Arabic background's term weights under the default analyzer's terms, read once.
pub fn arabic_idf(analyzer: &Analyzer) -> Result<&'static Idf, &'static BackgroundError> {
    static IDF: OnceLock<Result<Idf, BackgroundError>> = OnceLock::new();
    IDF.get_or_init(|| Background::parse(ARABIC).map(|b| b.idf(analyzer))).as_ref()
}

/// Whether `texts` are mostly Arabic: at least half of their letters are Arabic script.
pub fn mostly_arabic(texts: &[&str]) -> bool {
    let (mut arabic, mut letters) = (0usize, 0usize);
    for t in texts {
        for c in t.chars().filter(|c| c.is_alphabetic()) {
            letters += 1;
            arabic += usize::from(is_arabic_letter(c));
        }
    }
    letters > 0 && 2 * arabic >= letters
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passages::{find, BoilerplateRule, Kind, PassageParams, Restatement, Scope};

    fn compress(text: &str) -> Vec<u8> {
        zstd::stream::encode_all(text.as_bytes(), 3).unwrap()
    }

    fn file(body: &str) -> String {
        let words = body.lines().count();
        format!(
            "#neardup-background 1\n#source test\n#words {words} xxh3 {:016x}\n{body}",
            xxh3_64(body.as_bytes())
        )
    }

    #[test]
    fn the_bundled_background_reads_and_weighs_a_formula_under_a_name() {
        let b = Background::parse(ARABIC).expect("the bundled background reads");
        assert!(b.source.contains("wordfreq") && b.source.contains("CC-BY-SA"));
        assert!(b.words.len() > 100_000, "{} words", b.words.len());
        let a = Analyzer::default();
        let idf = arabic_idf(&a).expect("bundled");
        let weight = |w: &str| {
            let (hashes, _, _) = a.terms(w);
            idf.weight(hashes[0])
        };
        // A word of every article weighs less than a title, a title less than a name.
        assert!(weight("الحكومة") < weight("الشريفين"), "common under title");
        assert!(weight("الشريفين") < weight("حفتر"), "title under name");
        assert!(weight("حفتر") < idf.weight(0xdead_beef), "a name under an unseen term");
        assert!((idf.units() - FEED_UNITS_EQUIVALENT).abs() < 1e-9);
    }

    #[test]
    fn a_file_round_trips_and_each_defect_is_named() {
        let good = file("في\t7.54\nحفتر\t3.48\n");
        let b = Background::parse(&compress(&good)).unwrap();
        assert_eq!(b.words.len(), 2);
        assert!((b.words[1].1 - 10f64.powf(3.48 - 9.0)).abs() < 1e-15);
        assert!(matches!(Background::parse(b"not zstd"), Err(BackgroundError::Encoding(_))));
        let other = good.replacen("#neardup-background", "#other", 1);
        assert_eq!(Background::parse(&compress(&other)).unwrap_err(), BackgroundError::Magic);
        let v2 = good.replacen("background 1", "background 2", 1);
        assert!(matches!(
            Background::parse(&compress(&v2)),
            Err(BackgroundError::Version { found }) if found == "2"
        ));
        let tampered = good.replace("3.48", "3.49");
        assert!(matches!(
            Background::parse(&compress(&tampered)),
            Err(BackgroundError::Mismatch { .. })
        ));
        let bad_line = file("في\t7.54\nحفتر\n");
        assert_eq!(
            Background::parse(&compress(&bad_line)).unwrap_err(),
            BackgroundError::Line { line: 5 }
        );
        let count = good.replacen("#words 2", "#words 3", 1);
        assert!(matches!(
            Background::parse(&compress(&count)),
            Err(BackgroundError::Mismatch { expected, .. }) if expected == "3 words"
        ));
    }

    fn restated(params: PassageParams, texts: &[&str]) -> Vec<Restatement> {
        let analyzer = Analyzer::new(params);
        let report = find(&analyzer, texts, Scope::Doc, BoilerplateRule::default());
        report.restated.into_iter().filter(|r| r.kind == Kind::Restated).collect()
    }

    #[test]
    fn one_arabic_article_is_weighed_by_the_background_and_vetoed_by_the_model() {
        let seed = include_str!("../../seeds/000_f93aa94b4d3c9c3a.txt");
        let d = PassageParams::default();
        let with = restated(d, &[seed]);
        let own = restated(PassageParams { background: false, ..d }, &[seed]);
        let unvetoed = restated(PassageParams { background_veto: 0.0, ..d }, &[seed]);
        let all_vetoed = restated(PassageParams { background_veto: 1.01, ..d }, &[seed]);
        // The seed's four restatements, under either weights; the weights differ.
        assert_eq!(with.len(), 4, "{with:?}");
        assert_eq!(own.len(), 4, "{own:?}");
        assert!(with.iter().zip(&own).any(|(x, y)| x.similarity != y.similarity));
        // The veto only removes pairs the weighted soft Dice accepts.
        assert!(all_vetoed.is_empty(), "{all_vetoed:?}");
        assert!(unvetoed.len() >= with.len());
        for r in &with {
            assert!(unvetoed.iter().any(|u| u.a == r.a && u.b == r.b));
        }
    }

    #[test]
    fn english_keeps_its_own_weights() {
        let text = "The port authority said on Monday that container traffic rose by twelve \
            percent in the first quarter, the strongest growth since the terminal opened. \
            Officials expect more ships after the canal is deepened. Weather forecasters \
            warned of strong winds. Container traffic at the port climbed twelve percent in \
            the first quarter, the authority said Monday, its fastest growth since the \
            terminal opened.";
        let d = PassageParams::default();
        let with = restated(d, &[text]);
        let own = restated(PassageParams { background: false, ..d }, &[text]);
        assert_eq!(with.len(), 1, "{with:?}");
        assert_eq!(
            with.iter().map(|r| (r.a, r.b, r.similarity)).collect::<Vec<_>>(),
            own.iter().map(|r| (r.a, r.b, r.similarity)).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_term_the_article_repeats_weighs_less_than_the_background_says() {
        let a = Analyzer::default();
        let bg = arabic_idf(&a).expect("bundled");
        let text = "تم إنشاء مردم صحي لبلدية القليب. وتم التخلص من النفايات بالساحل. \
            وتم التخلص من النفايات في الأفلاج. وتم التخلص من النفايات في الخفجي.";
        let units = a.units(text);
        let own = Idf::new(&[units.as_slice()]);
        let blended = bg.discounted_by(&own, OWN_WEIGHT_POWER);
        let term = |w: &str| a.terms(w).0[0];
        let (repeated, once) = (term("النفايات"), term("القليب"));
        assert!(blended.weight(repeated) < bg.weight(repeated));
        assert!((blended.weight(once) - bg.weight(once)).abs() < 1e-12);
        assert_eq!(blended.units(), bg.units());
    }

    #[test]
    fn arabic_is_told_from_english_by_letters() {
        assert!(mostly_arabic(&["أعلن الجيش الليبي يوم 29 مايو"]));
        assert!(!mostly_arabic(&["The Libyan army said on 29 May"]));
        assert!(!mostly_arabic(&["1234 ..."]));
        assert!(mostly_arabic(&["قال حفتر إن GNA", "وأضاف"]));
        // Presentation forms (ﻗﺎﻝ ﺣﻔﺘﺮ: قال حفتر as contextual shapes) and Extended-A (ڡ ࢠ).
        assert!(mostly_arabic(&["\u{FED7}\u{FE8E}\u{FEDD} \u{FEA3}\u{FED4}\u{FE98}\u{FEAE} said"]));
        assert!(mostly_arabic(&["\u{08A0}\u{08A1}\u{08A2} ab"]));
    }
}
