//! An Arabic clitic stemmer that keeps words whole: a clitic is stripped only when the feed
//! shows that what remains is a word of its own.
//!
//! Arabic attaches conjunctions (و "and", ف "so"), prepositions (ب "with", ل "for", ك "as")
//! and the article ال to the word that follows. A light stemmer that strips them by pattern
//! (Larkey, Ballesteros and Connell, "Light Stemming for Arabic Information Retrieval", 2007;
//! [`super::arabic::light_stem`]) also cuts letters that belong to the word: the place name
//! "بارق" becomes "ارق", "بن لادن" becomes "بن ادن", "وصول" (arrival) "صول", "وزير" (minister)
//! "زير". Here a single-letter clitic is stripped only in two cases:
//!
//! 1. a further clitic that is itself stripped follows it (و + ال in "والوزير", و + ب in
//!    "وبمكه"), or
//! 2. the remainder is a *known form*: it occurs on its own (as a whole word) in at least
//!    [`MIN_KNOWN`] documents of the feed, and in at least as many documents as the word with
//!    the clitic. "وفرنسا" → "فرنسا" (France is far more common alone than after "and"), but
//!    "فرنسا" stays whole, since "رنسا" is never seen alone; "بارق" stays whole unless "ارق"
//!    is a commoner word in the feed than "بارق".
//!
//! This is the corpus-based check of stemming decisions of Xu and Croft ("Corpus-Based
//! Stemming Using Cooccurrence of Word Variants", TOIS 1998), reduced to its simplest form:
//! the feed's own document frequencies are the dictionary. The article (ال and its compounds
//! بال، كال، لل) is stripped when at least three letters remain, or two that are a known form;
//! few words begin with it by chance ("الله" is kept whole). Without a lexicon
//! ([`Stemmer::default`]) only articles (and clitics before them) are stripped: names survive.
//!
//! Input words are folded ([`super::Mode::Auto`]); non-Arabic words come back unchanged.

use ahash::AHashMap;
use xxhash_rust::xxh3::xxh3_64;

/// The version of the stemming rules and of how stemmed Arabic terms are counted, recorded
/// where stemmed terms and their statistics are persisted. 1 was
/// [`super::arabic::light_stem`]; 2 this stemmer; 3 counts an Arabic term's document
/// frequency among the articles with Arabic words (`stories::DocFreqs::finish`), so a story
/// store of a mixed-language feed written by 2 is not continued with other statistics; 4
/// gives story terms 31 bits and marks figures with the 32nd (`stories::FIGURE_BIT`), so
/// every stored term changed.
pub const STEMMER_VERSION: u32 = 4;

/// Documents a remainder must occur in, as a word on its own, to be a known form.
pub const MIN_KNOWN: u32 = 3;

/// Words kept whole although they begin with an article.
const KEEP_WHOLE: &[&str] = &["الله", "اللهم"];

/// The key of a word form in a [`Lexicon`]: the high 32 bits of its XXH3-64 (seed 0).
pub fn form_key(form: &str) -> u32 {
    (xxh3_64(form.as_bytes()) >> 32) as u32
}

pub use super::arabic::is_arabic_word;

/// Document frequencies of folded word forms (by [`form_key`]): the feed's dictionary.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lexicon {
    counts: AHashMap<u32, u32>,
}

impl Lexicon {
    /// Counts one document: `forms` are its distinct folded words.
    pub fn add_doc<'a>(&mut self, forms: impl IntoIterator<Item = &'a str>) {
        for f in forms {
            *self.counts.entry(form_key(f)).or_insert(0) += 1;
        }
    }

    /// Adds `df` documents to the form with key `key`.
    pub fn add_key(&mut self, key: u32, df: u32) {
        let c = self.counts.entry(key).or_insert(0);
        *c = c.saturating_add(df);
    }

    /// The number of documents the folded word `form` occurs in.
    pub fn count(&self, form: &str) -> u32 {
        self.counts.get(&form_key(form)).copied().unwrap_or(0)
    }

    /// Every (key, document frequency), sorted by key (for persisting).
    pub fn entries(&self) -> Vec<(u32, u32)> {
        let mut v: Vec<(u32, u32)> = self.counts.iter().map(|(&k, &c)| (k, c)).collect();
        v.sort_unstable();
        v
    }

    /// The number of distinct forms.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// True when no form is known.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
}

/// The stemmer: rules plus the [`Lexicon`] that decides single-letter clitics.
#[derive(Clone, Debug, Default)]
pub struct Stemmer {
    lexicon: Lexicon,
}

fn letters(s: &str) -> usize {
    s.chars().count()
}

impl Stemmer {
    /// A stemmer that checks remainders against `lexicon`.
    pub fn new(lexicon: Lexicon) -> Stemmer {
        Stemmer { lexicon }
    }

    /// The lexicon.
    pub fn lexicon(&self) -> &Lexicon {
        &self.lexicon
    }

    /// True when `rest` (what remains of `word` without a clitic) is a known form.
    fn known(&self, rest: &str, word: &str) -> bool {
        if self.lexicon.is_empty() || letters(rest) < 3 {
            return false;
        }
        let r = self.lexicon.count(rest);
        r >= MIN_KNOWN && r >= self.lexicon.count(word)
    }

    /// The word without its article, when it has one that is stripped.
    fn strip_article<'a>(&self, w: &'a str) -> Option<&'a str> {
        if KEEP_WHOLE.contains(&w) {
            return None;
        }
        for article in ["بال", "كال", "لل", "ال"] {
            if let Some(rest) = w.strip_prefix(article) {
                let n = letters(rest);
                if n >= 3
                    || (n == 2 && !self.lexicon.is_empty() && self.lexicon.count(rest) >= MIN_KNOWN)
                {
                    return Some(rest);
                }
                return None;
            }
        }
        None
    }

    /// The word without an article or a preposition (ب، ل، ك).
    fn strip_inner<'a>(&self, w: &'a str) -> &'a str {
        if let Some(rest) = self.strip_article(w) {
            return rest;
        }
        for prep in ["ب", "ل", "ك"] {
            if let Some(rest) = w.strip_prefix(prep) {
                if self.known(rest, w) {
                    return rest;
                }
                break;
            }
        }
        w
    }

    /// The stem of a folded word: one conjunction (و، ف) and then one article or preposition
    /// stripped where the rules above allow.
    ///
    /// ```
    /// use neardup::normalize::stem::{Lexicon, Stemmer};
    /// let plain = Stemmer::default();
    /// assert_eq!(plain.stem("والمحادثات"), "محادثات");
    /// assert_eq!(plain.stem("بارق"), "بارق");
    /// assert_eq!(plain.stem("وصول"), "وصول");
    /// let mut lex = Lexicon::default();
    /// for _ in 0..5 {
    ///     lex.add_doc(["فرنسا"]);
    /// }
    /// lex.add_doc(["وفرنسا"]);
    /// let fed = Stemmer::new(lex);
    /// assert_eq!(fed.stem("وفرنسا"), "فرنسا");
    /// assert_eq!(fed.stem("فرنسا"), "فرنسا");
    /// assert_eq!(fed.stem("news"), "news");
    /// ```
    pub fn stem<'a>(&self, w: &'a str) -> &'a str {
        if !is_arabic_word(w) {
            return w;
        }
        if let Some(rest) = self.strip_article(w) {
            return rest;
        }
        if let Some(rest) = w.strip_prefix('و').or_else(|| w.strip_prefix('ف')) {
            let inner = self.strip_inner(rest);
            if inner.len() != rest.len() {
                return inner;
            }
            if self.known(rest, w) {
                return rest;
            }
            return w;
        }
        self.strip_inner(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::{Mode, Normalizer};

    fn fold(s: &str) -> String {
        Normalizer::new(Mode::Auto).normalize(s)
    }

    /// A lexicon from documents of folded words.
    fn lexicon(docs: &[&str]) -> Lexicon {
        let mut lex = Lexicon::default();
        for d in docs {
            let f = fold(d);
            let mut words: Vec<&str> = f.split(' ').collect();
            words.sort_unstable();
            words.dedup();
            lex.add_doc(words);
        }
        lex
    }

    // Issue 20: the light stemmer made "بارق" "ارق", "لادن" "ادن" and "وصول" "صول".
    #[test]
    fn names_and_words_survive() {
        let feed = [
            "سيول في بارق",
            "امطار على بارق",
            "محافظ بارق يزور",
            "زعيم القاعدة بن لادن",
            "مقتل بن لادن",
            "بن لادن في باكستان",
            "وصول الحجاج",
            "وصول الوفد",
            "وصول الامطار",
            "الارق مرض",
            "وزير الخارجية",
            "وزير الداخلية",
            "وزير المالية",
        ];
        let lex = lexicon(&feed);
        for s in [Stemmer::default(), Stemmer::new(lex)] {
            for w in ["بارق", "لادن", "وصول", "وزير", "فلسطين", "بريطانيا", "لبنان", "الله"]
            {
                assert_eq!(s.stem(&fold(w)), fold(w), "{w}");
            }
            // The article and the clitics before it go.
            assert_eq!(s.stem(&fold("والوزير")), fold("وزير"));
            assert_eq!(s.stem(&fold("بالرياض")), fold("رياض"));
            assert_eq!(s.stem(&fold("للمملكة")), fold("مملكة"));
            assert_eq!(s.stem(&fold("وبالتالي")), fold("تالي"));
        }
    }

    #[test]
    fn a_clitic_goes_when_the_rest_is_a_known_word() {
        let mut feed = vec!["فرنسا والمانيا"; 6];
        feed.extend(["زار وفرنسا", "ولبنان ومصر", "في لمصر", "مصر", "مصر", "مصر", "لبنان"]);
        feed.extend(["لبنان", "لبنان", "وزير", "وزير", "وزير", "زير"]);
        let lex = lexicon(&feed);
        let s = Stemmer::new(lex.clone());
        assert_eq!(s.stem(&fold("وفرنسا")), fold("فرنسا"));
        assert_eq!(s.stem(&fold("ولبنان")), fold("لبنان"));
        assert_eq!(s.stem(&fold("لمصر")), fold("مصر"));
        // Rare remainders, or rarer than the whole word, keep it whole.
        assert_eq!(s.stem(&fold("وزير")), fold("وزير"), "زير is rarer than وزير");
        assert_eq!(s.stem(&fold("فرنسا")), fold("فرنسا"));
        // Without the feed, the same words stay whole.
        let plain = Stemmer::default();
        assert_eq!(plain.stem(&fold("وفرنسا")), fold("وفرنسا"));
        assert_eq!(lex.count(&fold("مصر")), 3);
        assert_eq!(lex.entries().len(), lex.len());
    }

    #[test]
    fn non_arabic_and_short_words_unchanged() {
        let s = Stemmer::default();
        for w in ["news", "2018", "", "ال", "وال", "بن"] {
            assert_eq!(s.stem(w), w);
        }
    }
}
