//! The graded similarity of `neardup pairs --measure story`: how close two articles' stories
//! are, on a scale (SemEval-2022 Task 8's 1 = same story to 4 = unrelated), apart from the
//! same-story decision, which is `cluster`'s model.
//!
//! **Page phrases are no evidence.** A scraped news page carries its site's phrases (the
//! masthead's motto, a donation banner, the award the site won, a cast list under every item
//! of one series) beside the article. Two articles of one site share them whatever their
//! stories, so they lift the cosine of unrelated pages of that site. A word 3-gram that occurs
//! in at least [`PHRASE_SHARE`] of the collection's texts of one script (and in at least
//! [`PHRASE_MIN_TEXTS`] of them) is such a phrase: the words that lie in one are left out of
//! the vectors of the graded similarity ([`PagePhrases::strip`]). A text left with no word
//! (a page of navigation only), or a page template ([`Templates`]), says nothing of its story:
//! its pairs' similarity is unknown and reported as the mean of the known pairs of its script
//! ([`pair_similarities`]).
//!
//! Counting per script matters in a mixed collection: in the SemEval-2022 dev sample 148 of
//! 3,496 texts are Arabic, so a share of all texts would never reach an Arabic phrase. On that
//! sample (benches/RESULTS.md, "Sixteenth session — SemEval graded similarity") the rule lifts
//! Pearson with the label from 0.6976 to 0.6986 overall and from 0.6362 to 0.6705 for Arabic.

use ahash::AHashMap;
use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

use crate::normalize::arabic::is_arabic_letter;

use super::{story_similarity, weigh, DocFreqs, SparseVec, StoryParams, Templates};

/// Words per page phrase.
pub const PHRASE_WORDS: usize = 3;

/// Share of a script's texts a word 3-gram must occur in to be a page phrase: 2%. Chosen on
/// the SemEval-2022 dev pairs by 5-fold cross-validation over 2-4 words, shares 1-10% and
/// 2-5 texts (benches/RESULTS.md).
pub const PHRASE_SHARE: f64 = 0.02;

/// Texts a page phrase must occur in at least, whatever the share: 3 (a text and its
/// rewrite share their headline, which is no page phrase).
pub const PHRASE_MIN_TEXTS: u32 = 3;

/// The script a text is mostly written in (by letters), which page phrases are counted
/// within.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Script {
    /// No letters.
    None,
    /// Latin letters (below U+0250).
    Latin,
    /// The Arabic block (U+0600-U+06FF).
    Arabic,
    /// Cyrillic (U+0400-U+04FF).
    Cyrillic,
    /// CJK unified ideographs (U+4E00-U+9FFF).
    Han,
}

impl Script {
    /// The script of most of the letters of `text` (ties: the first in the order Arabic,
    /// Latin, Cyrillic, Han); Arabic as [`is_arabic_letter`] counts it.
    pub fn of(text: &str) -> Script {
        let mut counts = [0usize; 4];
        for c in text.chars() {
            let o = c as u32;
            let i = match o {
                _ if is_arabic_letter(c) => 0,
                _ if o < 0x250 && c.is_alphabetic() => 1,
                0x400..=0x4FF => 2,
                0x4E00..=0x9FFF => 3,
                _ => continue,
            };
            counts[i] += 1;
        }
        let best = (0..4).rev().max_by_key(|&i| counts[i]).unwrap_or(0);
        if counts[best] == 0 {
            return Script::None;
        }
        [Script::Arabic, Script::Latin, Script::Cyrillic, Script::Han][best]
    }
}

/// The words of a text: maximal runs of alphanumeric characters (and `_`), with their byte
/// spans and the XXH3-64 of the word lowercased.
fn words(text: &str) -> Vec<(usize, usize, u64)> {
    let mut out = Vec::new();
    let mut start = None;
    let mut word = String::new();
    let arabic = arabic_word_chars();
    for (i, c) in text.char_indices() {
        let o = c as u32;
        // The Arabic block has no case: its letters are taken as they are, by a table.
        let (is_word, caseless) = match o {
            0x600..=0x6FF => (arabic[(o - 0x600) as usize], true),
            _ => (c.is_alphanumeric() || c == '_', false),
        };
        if is_word {
            if start.is_none() {
                start = Some(i);
            }
            if caseless {
                word.push(c);
            } else if c.is_ascii() {
                word.push(c.to_ascii_lowercase());
            } else {
                word.extend(c.to_lowercase());
            }
        } else if let Some(s) = start.take() {
            out.push((s, i, xxh3_64(word.as_bytes())));
            word.clear();
        }
    }
    if let Some(s) = start {
        out.push((s, text.len(), xxh3_64(word.as_bytes())));
    }
    out
}

/// Which characters of the Arabic block (U+0600-U+06FF) are alphanumeric, by offset.
fn arabic_word_chars() -> &'static [bool; 256] {
    static TABLE: std::sync::OnceLock<[bool; 256]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = [false; 256];
        for (k, x) in t.iter_mut().enumerate() {
            *x = char::from_u32(0x600 + k as u32).is_some_and(char::is_alphanumeric);
        }
        t
    })
}

/// The key of a 3-gram of [`words`]: the XXH3-64 of its words' hashes.
fn gram_key(words: &[(usize, usize, u64)]) -> u64 {
    let mut b = [0u8; 8 * PHRASE_WORDS];
    for (k, w) in words.iter().enumerate() {
        b[8 * k..8 * k + 8].copy_from_slice(&w.2.to_le_bytes());
    }
    xxh3_64(&b)
}

/// The page phrases of a collection: word 3-grams that occur in [`PHRASE_SHARE`] of the
/// texts of their script, and in [`PHRASE_MIN_TEXTS`] at least.
#[derive(Debug, Default)]
pub struct PagePhrases {
    /// The phrases, by script and 3-gram key.
    phrases: ahash::AHashSet<(Script, u64)>,
}

impl PagePhrases {
    /// Counts the 3-grams of `texts` (each text once per 3-gram).
    pub fn of<'a>(texts: impl IntoIterator<Item = &'a str>) -> PagePhrases {
        let texts: Vec<&str> = texts.into_iter().collect();
        // Each text's distinct 3-grams with its script, in parallel; then all of them sorted
        // and counted by runs (a sort of a flat array instead of a hash map of every 3-gram).
        let scripts: Vec<Script> = texts.par_iter().map(|t| Script::of(t)).collect();
        let mut grams: Vec<(u64, Script)> = texts
            .par_iter()
            .zip(&scripts)
            .flat_map_iter(|(t, &s)| {
                let mut g: Vec<u64> = words(t).windows(PHRASE_WORDS).map(gram_key).collect();
                g.sort_unstable();
                g.dedup();
                g.into_iter().map(move |k| (k, s))
            })
            .collect();
        let mut texts_of: AHashMap<Script, u32> = AHashMap::new();
        for &s in &scripts {
            *texts_of.entry(s).or_insert(0) += 1;
        }
        grams.par_sort_unstable();
        let phrases = grams
            .chunk_by(|x, y| x == y)
            .filter(|run| {
                let c = u32::try_from(run.len()).unwrap_or(u32::MAX);
                let share = PHRASE_SHARE * f64::from(texts_of[&run[0].1]);
                c >= PHRASE_MIN_TEXTS && f64::from(c) >= share
            })
            .map(|run| (run[0].1, run[0].0))
            .collect();
        PagePhrases { phrases }
    }

    /// Page phrases found.
    pub fn len(&self) -> usize {
        self.phrases.len()
    }

    /// True when none was found.
    pub fn is_empty(&self) -> bool {
        self.phrases.is_empty()
    }

    /// `text` without the words that lie in a page phrase (what lies between words, line
    /// breaks included, is kept), and whether it had words and none is left.
    pub fn strip(&self, text: &str) -> (String, bool) {
        let s = Script::of(text);
        let w = words(text);
        let mut drop = vec![false; w.len()];
        if !self.phrases.is_empty() {
            for (i, g) in w.windows(PHRASE_WORDS).enumerate() {
                if self.phrases.contains(&(s, gram_key(g))) {
                    drop[i..i + PHRASE_WORDS].iter_mut().for_each(|d| *d = true);
                }
            }
        }
        let mut out = String::with_capacity(text.len());
        let mut pos = 0;
        for ((a, b, _), &d) in w.iter().zip(&drop) {
            out.push_str(&text[pos..*a]);
            if !d {
                out.push_str(&text[*a..*b]);
            }
            pos = *b;
        }
        out.push_str(&text[pos..]);
        let emptied = !w.is_empty() && drop.iter().all(|&d| d);
        (out, emptied)
    }
}

/// The graded similarity of each pair of texts: [`story_similarity`] of their TF-IDF vectors
/// (with `params`, document frequencies over `corpus`), page phrases of `corpus` left out
/// ([`PagePhrases`]). A pair with a page template ([`Templates`] of `corpus`) or a text left
/// without words gets the mean similarity of the other pairs whose first text is of its
/// script (of all other pairs when none is).
pub fn pair_similarities(corpus: &[&str], pairs: &[(&str, &str)], params: StoryParams) -> Vec<f64> {
    let phrases = PagePhrases::of(corpus.iter().copied());
    let v0 = super::Vectorizer::new(params);
    let forms: Vec<_> = corpus.par_iter().map(|t| v0.doc_forms(&phrases.strip(t).0)).collect();
    let mut freqs = DocFreqs::default();
    for f in forms {
        freqs.add(f);
    }
    let (v, df) = freqs.finish(params, None);
    let n = corpus.len() as f32;
    let vector = |t: &str| -> (SparseVec, bool) {
        let (s, emptied) = phrases.strip(t);
        let c = v.term_counts(None, &s);
        (weigh(c, |h| df.get(&h).copied().unwrap_or(1) as f32, n), emptied)
    };
    let templates = Templates::of(corpus.iter().copied());
    let (mut sims, unknown): (Vec<f64>, Vec<bool>) = pairs
        .par_iter()
        .map(|&(a, b)| {
            let ((va, ea), (vb, eb)) = (vector(a), vector(b));
            let u = ea || eb || templates.is_template(a) || templates.is_template(b);
            (story_similarity(&va, &vb), u)
        })
        .unzip();
    let mut known: AHashMap<Script, (f64, usize)> = AHashMap::new();
    let mut all = (0.0, 0usize);
    for ((s, &u), &(a, _)) in sims.iter().zip(&unknown).zip(pairs) {
        if !u {
            let k = known.entry(Script::of(a)).or_insert((0.0, 0));
            k.0 += s;
            k.1 += 1;
            all.0 += s;
            all.1 += 1;
        }
    }
    if all.1 > 0 {
        for ((s, &u), &(a, _)) in sims.iter_mut().zip(&unknown).zip(pairs) {
            if u {
                let (sum, c) = known.get(&Script::of(a)).copied().unwrap_or(all);
                *s = sum / c as f64;
            }
        }
    }
    sims
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_table_agrees_with_is_alphanumeric() {
        for (k, &x) in arabic_word_chars().iter().enumerate() {
            let c = char::from_u32(0x600 + k as u32).unwrap();
            assert_eq!(x, c.is_alphanumeric(), "{c:?}");
            assert_eq!(c.to_lowercase().collect::<String>(), c.to_string());
        }
        // Harakat are Alphabetic in Unicode: a vowelled word stays one word.
        assert_eq!(words("كَتب الولد").len(), 2);
    }

    #[test]
    fn scripts_are_told_apart() {
        assert_eq!(Script::of("Die Wahl in Köln"), Script::Latin);
        assert_eq!(Script::of("سعر الدولار اليوم"), Script::Arabic);
        assert_eq!(Script::of("Выборы"), Script::Cyrillic);
        assert_eq!(Script::of("新冠病毒"), Script::Han);
        assert_eq!(Script::of("2020 — 12"), Script::None);
        // Presentation forms (a PDF extraction's "قال") are Arabic letters too.
        assert_eq!(Script::of("\u{FED7}\u{FE8E}\u{FEDD} ab"), Script::Arabic);
    }

    #[test]
    fn phrases_of_many_texts_are_stripped_and_rare_ones_kept() {
        let mut texts: Vec<String> = (0..4)
            .map(|i| format!("Story number{i} about topic{i}\nSupport us donate today now"))
            .collect();
        texts.push("Another page without the banner".into());
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let p = PagePhrases::of(refs.iter().copied());
        let (s, emptied) = p.strip(refs[0]);
        assert_eq!(s, "Story number0 about topic0\n    ");
        assert!(!emptied);
        let (s, emptied) = p.strip("support us donate today now");
        assert_eq!(s.trim(), "");
        assert!(emptied);
        // A 3-gram of two texts is no page phrase.
        assert_eq!(p.strip(refs[4]).0, refs[4]);
    }

    #[test]
    fn phrases_are_counted_within_a_script() {
        // Three Arabic texts of 103 share a phrase: 3 of the 3 Arabic ones, not 2% of all.
        let mut texts: Vec<String> = (0..100).map(|i| format!("english text {i} here")).collect();
        for i in 0..3 {
            texts.push(format!("الحوار المتمدن تبرع للموقع خبر{i}"));
        }
        let p = PagePhrases::of(texts.iter().map(String::as_str));
        assert_eq!(p.strip("الحوار المتمدن تبرع للموقع خبر0").0.trim(), "خبر0");
    }
}
