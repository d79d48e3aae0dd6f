//! Arabic orthographic folding and a light clitic stemmer.
//!
//! Folding follows common practice in Arabic information retrieval (Larkey, Ballesteros and
//! Connell, "Light Stemming for Arabic Information Retrieval", 2007; the `light10` stemmer's
//! normalization step):
//!
//! | input | output |
//! |---|---|
//! | harakat and Quranic marks U+064B–U+065F, U+0670, U+06D6–U+06ED | removed |
//! | tatweel U+0640 | removed |
//! | أ إ آ ٱ (U+0623, U+0625, U+0622, U+0671) | ا |
//! | ى (alef maksura) | ي |
//! | ة (teh marbuta) | ه |
//! | ؤ | و |
//! | ئ | ي |
//! | Persian ک (U+06A9), ی (U+06CC) | ك, ي |
//! | Arabic-Indic digits U+0660–U+0669, Extended U+06F0–U+06F9 | 0–9 |

/// True for marks that folding removes: harakat, Quranic annotation marks, superscript alef and
/// tatweel.
pub fn is_removed(c: char) -> bool {
    matches!(c, '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{06D6}'..='\u{06ED}' | '\u{0640}')
}

/// The folded form of one Arabic-script character, or `None` when it is not changed here.
pub fn fold_char(c: char) -> Option<char> {
    Some(match c {
        '\u{0623}' | '\u{0625}' | '\u{0622}' | '\u{0671}' => '\u{0627}',
        '\u{0649}' => '\u{064A}',
        '\u{0629}' => '\u{0647}',
        '\u{0624}' => '\u{0648}',
        '\u{0626}' => '\u{064A}',
        '\u{06A9}' => '\u{0643}',
        '\u{06CC}' => '\u{064A}',
        '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
        '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
        _ => return None,
    })
}

/// True when the word starts with an Arabic letter of the base alphabet (hamza to yeh, as
/// [`fold_char`] leaves them): the words the stemmers strip.
pub fn is_arabic_word(word: &str) -> bool {
    word.chars().next().is_some_and(|c| ('\u{0621}'..='\u{064A}').contains(&c))
}

/// A letter of the Arabic script: the Arabic block, its Supplement and Extended-A, and the
/// presentation forms (the contextual shapes some PDF extractions and old encodings leave).
/// What "an Arabic text" counts, wherever the pipeline asks which script a text is in.
pub fn is_arabic_letter(c: char) -> bool {
    matches!(c,
        '\u{0600}'..='\u{06FF}'
        | '\u{0750}'..='\u{077F}'
        | '\u{08A0}'..='\u{08FF}'
        | '\u{FB50}'..='\u{FDFF}'
        | '\u{FE70}'..='\u{FEFF}')
}

/// Strips one proclitic conjunction (و، ف) and then one article or preposition (ال، بال، كال،
/// فال، لل، ب، ل) from a *normalized* Arabic word, keeping at least two letters after an article
/// and three after a single-letter clitic. Non-Arabic words come back unchanged.
///
/// This is deliberately light (prefixes only): it makes `والمؤتمر`, `المؤتمر` and `بالمؤتمر` meet
/// without conflating different roots.
///
/// ```
/// use neardup::normalize::arabic::light_stem;
/// assert_eq!(light_stem("والمحادثات"), "محادثات");
/// assert_eq!(light_stem("بالرياض"), "رياض");
/// assert_eq!(light_stem("ولد"), "ولد");
/// assert_eq!(light_stem("news"), "news");
/// ```
pub fn light_stem(word: &str) -> &str {
    if !is_arabic_word(word) {
        return word;
    }
    let letters = |s: &str| s.chars().count();
    let mut w = word;
    for conj in ["و", "ف"] {
        if let Some(rest) = w.strip_prefix(conj) {
            if letters(rest) >= 3 {
                w = rest;
            }
            break;
        }
    }
    for article in ["بال", "كال", "فال", "ال", "لل"] {
        if let Some(rest) = w.strip_prefix(article) {
            if letters(rest) >= 2 {
                return rest;
            }
        }
    }
    for prep in ["ب", "ل"] {
        if let Some(rest) = w.strip_prefix(prep) {
            if letters(rest) >= 3 {
                return rest;
            }
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use crate::normalize::{Mode, Normalizer};

    fn auto(s: &str) -> String {
        Normalizer::new(Mode::Auto).normalize(s)
    }

    #[test]
    fn harakat_and_quranic_marks_removed() {
        assert_eq!(auto("مُحَمَّدٌ"), "محمد");
        assert_eq!(auto("ذٰلِكَ"), "ذلك");
        assert_eq!(auto("الرَّحِيمِ\u{06DA}"), "الرحيم");
    }

    #[test]
    fn tatweel_removed() {
        assert_eq!(auto("الســـــلام"), "السلام");
    }

    #[test]
    fn alef_variants_unified() {
        assert_eq!(auto("أحمد إبراهيم آمن ٱلله"), "احمد ابراهيم امن الله");
    }

    #[test]
    fn alef_maksura_to_yeh() {
        assert_eq!(auto("مصطفى"), auto("مصطفي"));
    }

    #[test]
    fn teh_marbuta_to_heh() {
        assert_eq!(auto("مدينة"), "مدينه");
    }

    #[test]
    fn hamza_carriers() {
        assert_eq!(auto("مؤتمر رئيس"), "موتمر رييس");
    }

    #[test]
    fn persian_letters() {
        assert_eq!(auto("کتاب ایران"), "كتاب ايران");
    }

    #[test]
    fn arabic_indic_digits() {
        assert_eq!(auto("١٢٣ ۴۵۶"), "123 456");
    }

    #[test]
    fn digits_glued_to_letters_split() {
        assert_eq!(auto("عام2018"), "عام 2018");
        assert_eq!(auto("عام٢٠١٨م"), "عام 2018 م");
        assert_eq!(auto("covid19"), "covid 19");
    }

    #[test]
    fn arabic_punctuation() {
        assert_eq!(auto("أولاً، ثانياً؛ لماذا؟ «هنا»"), "اولا ثانيا لماذا هنا");
    }

    #[test]
    fn seed_variants_meet() {
        assert_eq!(auto("الإفريقية"), auto("الافريقيه"));
        assert_eq!(auto("عام2018"), auto("عام 2018"));
    }
}
