//! Stop words: function words that say nothing about what a text is about.
//!
//! One list serves every stage that weighs content terms (restated passages, stories). Entries
//! are written as they appear in text; [`StopWords::new`] normalizes them with the caller's
//! normalizer, so that they meet the words they are compared with (stemmed Arabic included).

use ahash::AHashSet;

use super::Normalizer;

/// Arabic function words.
pub const ARABIC: &[&str] = &[
    "في",
    "من",
    "علي",
    "الي",
    "عن",
    "ان",
    "او",
    "ما",
    "لا",
    "لم",
    "لن",
    "قد",
    "كان",
    "كانت",
    "هذا",
    "هذه",
    "ذلك",
    "تلك",
    "التي",
    "الذي",
    "الذين",
    "مع",
    "بعد",
    "قبل",
    "كل",
    "بين",
    "حيث",
    "حول",
    "هو",
    "هي",
    "هم",
    "انه",
    "ايضا",
    "اي",
    "ثم",
    "اذا",
    "عند",
    "غير",
    "منذ",
    "خلال",
    "كما",
    "تم",
    "يتم",
    "به",
    "بها",
    "له",
    "لها",
    "فيه",
    "فيها",
    "عليه",
    "عليها",
    "الا",
    "ولا",
    "وقد",
    "اما",
    "ليس",
    "بعض",
    "عدد",
    "نفس",
    "ذات",
    "يكون",
    "تكون",
    "هناك",
    "وهو",
    "وهي",
    "قال",
    "وقال",
];

/// Function words of English, German, Spanish, French, Turkish and Polish news.
pub const LATIN: &[&str] = &[
    "the", "a", "an", "and", "or", "of", "to", "in", "on", "at", "for", "with", "by", "from", "as",
    "is", "are", "was", "were", "be", "been", "it", "its", "that", "this", "these", "those", "he",
    "she", "they", "his", "her", "their", "has", "have", "had", "not", "but", "which", "who",
    "will", "would", "said", "says", "also", "than", "after", "before", "about", "into", "over",
    "there", "we", "you", "i", "our", "your", "them", "him", "up", "out", "more", "when", "what",
    "all", "can", "could", "one", "new", "if", "so", "no", "do", "did", "just", "s", "t", "der",
    "die", "das", "und", "den", "von", "zu", "mit", "ist", "im", "el", "la", "los", "las", "de",
    "que", "en", "y", "del", "se", "por", "un", "una", "le", "les", "des", "et", "il", "ve", "bir",
    "bu", "da", "w", "z", "na", "się", "nie", "o", "że",
];

/// The stop words in normalized form.
#[derive(Clone, Debug, Default)]
pub struct StopWords {
    words: AHashSet<String>,
}

impl StopWords {
    /// The lists normalized with `normalizer`.
    pub fn new(normalizer: &Normalizer) -> StopWords {
        let words = ARABIC
            .iter()
            .chain(LATIN)
            .flat_map(|w| normalizer.normalize(w).split(' ').map(str::to_owned).collect::<Vec<_>>())
            .filter(|w| !w.is_empty())
            .collect();
        StopWords { words }
    }

    /// True when the normalized word `w` is a stop word.
    pub fn contains(&self, w: &str) -> bool {
        self.words.contains(w)
    }

    /// The normalized stop words.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.words.iter().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::Mode;

    #[test]
    fn stemmed_forms_meet() {
        let n = Normalizer::new(Mode::Arabic);
        let s = StopWords::new(&n);
        for w in ["التي", "والتي", "the", "في"] {
            let norm = n.normalize(w);
            assert!(s.contains(&norm), "{w} -> {norm}");
        }
        assert!(!s.contains(&n.normalize("موسكو")));
    }
}
