//! Units: sentences, and long Arabic sentences cut at their clause boundaries, with their
//! byte spans and content terms.

use ahash::AHashSet;

use super::terms::{skeleton_mask, TermSet};
use super::Analyzer;
use crate::boilerplate::line_label;
use crate::segment::{self, Span};

/// A unit of text: a sentence or clause.
#[derive(Clone, Debug)]
pub struct Unit {
    /// Byte span in the document.
    pub span: Span,
    /// Content terms (hashes of stemmed words), deduplicated.
    pub(super) terms: Vec<u64>,
    /// The consonant skeletons of the terms (same order), for soft matching, letter after
    /// letter in one buffer ([`Unit::skeleton`]).
    pub(super) letters: Vec<char>,
    /// Where each term's skeleton ends in `letters` (same order).
    pub(super) ends: Vec<u32>,
    /// The letters of each skeleton (same order) as a 64-bit set: two skeletons within one
    /// edit differ in at most two bits, which rules out most pairs before comparing letters.
    pub(super) masks: Vec<u64>,
    /// Whether each term (same order) is a number (digits, or a number word made digits).
    pub(super) numeric: Vec<bool>,
    /// The weight of each term (same order) under the feed's [`Idf`](super::Idf), once
    /// [`Idf::weigh`](super::Idf::weigh) has set them; empty before. Where a unit has them, they
    /// stand for the weights passed to a comparison.
    pub(super) weights: Vec<f64>,
    /// Index of the paragraph holding the unit.
    pub paragraph: usize,
    /// Index of the sentence holding the unit in its document: the clauses of one sentence
    /// share it ([`unit_spans`]).
    pub sentence: usize,
    /// Documents of the feed holding a unit with the same content terms (set by
    /// [`set_recurrence`]; 0 before): a sentence that recurs in many documents is a formula
    /// ("كما جرى استعراض مستجدات الأوضاع الإقليمية والدولية"), weak evidence that two of its
    /// copies restate one fact.
    pub(super) recurrence: u32,
    /// The unit opens with one of the feed's recurring line labels ([`without_label`]) in the
    /// document's last paragraph: an outlet's closing line such as "رابط الخبر بصحيفة الوئام:
    /// ‹headline›", which repeats the article's headline. (Labels inside an article, such as
    /// "وأضاف:", open quotes, not headlines.)
    pub(super) labelled: bool,
    /// The unit is among the first [`LEAD_UNITS`] of its document: the lead, which a
    /// headline restates.
    pub(super) lead: bool,
}

/// The first units of a document (two sentences, each possibly cut at one clause boundary)
/// are its lead.
pub const LEAD_UNITS: usize = 4;

/// The key of a unit's content: its terms, sorted (in `scratch`), hashed (in memory only).
fn content_key(terms: &[u64], scratch: &mut Vec<u64>) -> u64 {
    scratch.clear();
    scratch.extend_from_slice(terms);
    scratch.sort_unstable();
    scratch.iter().fold(0x9e37_79b9_7f4a_7c15u64, |h, &x| {
        (h ^ x).wrapping_mul(0x0100_0000_01b3).rotate_left(29)
    })
}

/// Sets each unit's [`Unit::recurrence`]: the number of documents (`docs[k]` holds document
/// `k`'s units) holding a unit with the same content terms.
pub fn set_recurrence(docs: &mut [Vec<Unit>]) {
    use ahash::AHashMap;
    let mut scratch = Vec::new();
    let keys: Vec<Vec<u64>> = docs
        .iter()
        .map(|us| us.iter().map(|u| content_key(&u.terms, &mut scratch)).collect())
        .collect();
    let mut count: AHashMap<u64, u32> = AHashMap::new();
    let mut seen: Vec<u64> = Vec::new();
    for ks in &keys {
        seen.clear();
        seen.extend_from_slice(ks);
        seen.sort_unstable();
        seen.dedup();
        for &k in &seen {
            *count.entry(k).or_insert(0) += 1;
        }
    }
    for (us, ks) in docs.iter_mut().zip(&keys) {
        for (u, k) in us.iter_mut().zip(ks) {
            u.recurrence = count.get(k).copied().unwrap_or(0);
        }
    }
}

/// Arabic number words (normalized, stemmed) and the digits they stand for.
pub(super) const NUMBER_WORDS: &[(&str, &str)] = &[
    ("واحد", "1"),
    ("اول", "1"),
    ("اثنان", "2"),
    ("اثنين", "2"),
    ("ثاني", "2"),
    ("ثلاثه", "3"),
    ("ثالث", "3"),
    ("اربعه", "4"),
    ("رابع", "4"),
    ("خمسه", "5"),
    ("خامس", "5"),
    ("سته", "6"),
    ("سادس", "6"),
    ("سبعه", "7"),
    ("سابع", "7"),
    ("ثمانيه", "8"),
    ("ثامن", "8"),
    ("تسعه", "9"),
    ("تاسع", "9"),
    ("عشره", "10"),
    ("عاشر", "10"),
    ("اثنتان", "2"),
    ("اثنتين", "2"),
    ("ثلاث", "3"),
    ("اربع", "4"),
    ("خمس", "5"),
    ("سبع", "7"),
    ("ثمان", "8"),
    ("تسع", "9"),
    ("عشرين", "20"),
    ("ثلاثين", "30"),
    ("اربعين", "40"),
    ("خمسين", "50"),
    ("ستين", "60"),
    ("سبعين", "70"),
    ("ثمانين", "80"),
    ("تسعين", "90"),
    ("مائه", "100"),
    ("مئه", "100"),
    ("one", "1"),
    ("first", "1"),
    ("two", "2"),
    ("second", "2"),
    ("three", "3"),
    ("third", "3"),
    ("four", "4"),
    ("five", "5"),
    ("six", "6"),
    ("seven", "7"),
    ("eight", "8"),
    ("eighth", "8"),
    ("nine", "9"),
    ("ten", "10"),
];

/// Where a unit lies: its byte span, and the paragraph and sentence holding it (numbered in
/// the document; a long Arabic sentence gives several units of one sentence).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnitSpan {
    /// Byte span in the document.
    pub span: Span,
    /// Index of the paragraph.
    pub paragraph: usize,
    /// Index of the sentence.
    pub sentence: usize,
}

/// Splits text into units with their spans, paragraph and sentence numbers.
pub fn unit_spans(text: &str) -> Vec<UnitSpan> {
    let mut out = Vec::new();
    let mut sentence = 0;
    for (paragraph, para) in segment::paragraphs(text).into_iter().enumerate() {
        for sent in segment::sentences_in(text, para) {
            let before = out.len();
            let mut start = sent.start;
            let s = &text[sent.range()];
            // Clause boundaries: an Arabic or Latin comma (or semicolon) followed by a word
            // that starts with the conjunction و or ف.
            for (i, c) in s.char_indices() {
                if matches!(c, '،' | ',' | '؛' | ';') {
                    let rest = s[i + c.len_utf8()..].trim_start();
                    let cut = sent.start + i + c.len_utf8();
                    if (rest.starts_with('و') || rest.starts_with('ف'))
                        && cut - start > 40
                        && sent.end - cut > 40
                    {
                        if let Some(span) = trim_span(text, start, cut) {
                            out.push(UnitSpan { span, paragraph, sentence });
                        }
                        start = cut;
                    }
                }
            }
            if let Some(span) = trim_span(text, start, sent.end) {
                out.push(UnitSpan { span, paragraph, sentence });
            }
            sentence += usize::from(out.len() > before);
        }
    }
    out
}

/// `text` after its line label ([`line_label`]) when the label is one of `labels`.
pub fn without_label<'t>(text: &'t str, labels: &AHashSet<String>) -> &'t str {
    if labels.is_empty() {
        return text;
    }
    match line_label(text) {
        Some(l) if labels.contains(l) => text.find(':').map_or(text, |c| &text[c + 1..]),
        _ => text,
    }
}

/// `text` after a list enumerator opening it: one or two digits and a dash, parenthesis or
/// full stop ("4 - البلوش", "2) تعيين"). A list's numbering is no figure of what the item
/// says: "4 - …" and "1 - …" would otherwise be numbers the other unit lacks.
pub fn without_enumerator(text: &str) -> &str {
    let t = text.trim_start();
    let digits = t.chars().take_while(|c| c.is_numeric()).count();
    if digits == 0 || digits > 2 {
        return text;
    }
    let rest = t[t.char_indices().nth(digits).map_or(t.len(), |(i, _)| i)..].trim_start();
    let mut chars = rest.chars();
    match (chars.next(), chars.next()) {
        (Some('-' | '–' | '—' | ')' | '.'), Some(next)) if next.is_whitespace() => {
            chars.as_str()
        }
        _ => text,
    }
}

/// The number of the list enumerator opening `text` ([`without_enumerator`]: "4 - ", "12) ",
/// "١ – "), if any.
pub fn enumerator(text: &str) -> Option<u32> {
    let t = text.trim_start();
    if without_enumerator(t).len() == t.len() {
        return None;
    }
    // Arabic-Indic digits read as the normalizer folds them.
    t.chars().take_while(|c| c.is_numeric()).try_fold(0u32, |n, c| {
        Some(n * 10 + crate::normalize::arabic::fold_char(c).unwrap_or(c).to_digit(10)?)
    })
}

/// What a unit's terms are taken from: its text after a list enumerator
/// ([`without_enumerator`]) and after one of the feed's recurring line labels
/// ([`without_label`]).
pub fn unit_content<'t>(text: &'t str, labels: &AHashSet<String>) -> &'t str {
    without_label(without_enumerator(text), labels)
}

fn trim_span(text: &str, start: usize, end: usize) -> Option<Span> {
    let s = &text[start..end];
    let t = s.trim_start();
    let lead = s.len() - t.len();
    let t = t.trim_end();
    (!t.is_empty()).then(|| Span { start: start + lead, end: start + lead + t.len() })
}

impl Analyzer {
    /// A whole text as one unit (all its content terms), spanning the text.
    pub fn text_unit(&self, text: &str) -> Unit {
        Unit::new(Span { start: 0, end: text.len() }, 0, self.term_set(text))
    }

    /// The content terms of `text` as compared (normalized, stemmed, number words made
    /// digits), in the order of [`Unit::terms`] of a unit of that text: for diagnostics.
    pub fn term_words(&self, text: &str) -> Vec<String> {
        let mut v = Vec::new();
        self.for_each_term(text, |_, w| v.push(w.to_owned()));
        v
    }

    /// The units of a document.
    pub fn units(&self, text: &str) -> Vec<Unit> {
        self.units_labelled(text, &AHashSet::new())
    }

    /// The units of a document, where a unit opening with one of the feed's recurring line
    /// labels ([`crate::boilerplate::recurring_labels`]) takes its terms from after the label:
    /// "رابط الخبر بصحيفة الوئام:" says nothing about the headline it introduces; nor does a
    /// list item's number ([`unit_content`]).
    pub fn units_labelled(&self, text: &str, labels: &AHashSet<String>) -> Vec<Unit> {
        let spans = unit_spans(text);
        let last = spans.last().map_or(0, |s| s.paragraph);
        spans
            .into_iter()
            .enumerate()
            .map(|(k, UnitSpan { span, paragraph, sentence })| {
                let t = &text[span.range()];
                let closing = without_label(t, labels).len() < t.len() && paragraph == last;
                let content = unit_content(t, labels);
                Unit::new(span, paragraph, self.term_set(content))
                    .in_sentence(sentence)
                    .with_roles(closing, k < LEAD_UNITS)
            })
            .collect()
    }
}

impl Unit {
    /// A unit of `span` in paragraph `paragraph` with the terms of [`Analyzer::terms`].
    pub(super) fn new(span: Span, paragraph: usize, terms: TermSet) -> Unit {
        let TermSet { hashes, letters, ends, numeric } = terms;
        let mut unit = Unit {
            span,
            terms: hashes,
            letters,
            ends,
            masks: Vec::new(),
            numeric,
            weights: Vec::new(),
            paragraph,
            sentence: 0,
            recurrence: 0,
            labelled: false,
            lead: false,
        };
        unit.masks = (0..unit.terms.len()).map(|k| skeleton_mask(unit.skeleton(k))).collect();
        unit
    }

    /// The unit as part of sentence number `sentence` of its document.
    pub(super) fn in_sentence(mut self, sentence: usize) -> Unit {
        self.sentence = sentence;
        self
    }

    /// The consonant skeleton of term `k`.
    #[inline]
    pub(super) fn skeleton(&self, k: usize) -> &[char] {
        &self.letters[super::terms::item_range(&self.ends, k)]
    }

    /// The unit marked as a labelled closing line (`labelled`: a recurring line label in the
    /// document's last paragraph) and as part of its document's lead (`lead`): what the
    /// `headline_lead` evidence reads.
    pub fn with_roles(mut self, labelled: bool, lead: bool) -> Unit {
        self.labelled = labelled;
        self.lead = lead;
        self
    }

    /// Whether the unit is a labelled closing line ([`Unit::with_roles`]).
    pub fn labelled(&self) -> bool {
        self.labelled
    }

    /// Whether the unit is part of its document's lead (the first [`LEAD_UNITS`] units).
    pub fn lead(&self) -> bool {
        self.lead
    }

    /// The weight of term `k` under `idf`, or the weight [`Idf::weigh`](super::Idf::weigh)
    /// set.
    #[inline]
    pub(super) fn weight(&self, k: usize, idf: &dyn Fn(u64) -> f64) -> f64 {
        match self.weights.get(k) {
            Some(&w) => w,
            None => idf(self.terms[k]),
        }
    }

    /// The total weight of the unit's terms (as [`Unit::weight`]).
    pub(super) fn total_weight(&self, idf: &dyn Fn(u64) -> f64) -> f64 {
        if self.weights.len() == self.terms.len() {
            self.weights.iter().sum()
        } else {
            self.terms.iter().map(|&t| idf(t)).sum()
        }
    }

    /// The number of documents holding a unit with the same content terms ([`set_recurrence`];
    /// 0 where it was not set).
    pub fn recurrence(&self) -> u32 {
        self.recurrence
    }

    /// The unit with its [`Unit::recurrence`] set to `n`.
    pub fn with_recurrence(mut self, n: u32) -> Unit {
        self.recurrence = n;
        self
    }

    /// The content terms (hashes of stemmed words), deduplicated.
    pub fn terms(&self) -> &[u64] {
        &self.terms
    }

    /// Consecutive units joined into one (union of terms; the span of all). `units` must not
    /// be empty.
    pub fn join(units: &[Unit]) -> Unit {
        join_units(units)
    }
}

/// The union of consecutive units, as one unit.
pub(super) fn join_units(units: &[Unit]) -> Unit {
    let first = &units[0];
    // Weights are kept where every unit has its own (as they stand for the comparison's).
    let weighed = units.iter().all(|u| u.weights.len() == u.terms.len());
    let terms: usize = units.iter().map(|u| u.terms.len()).sum();
    let letters: usize = units.iter().map(|u| u.letters.len()).sum();
    let mut out = Unit {
        span: first.span,
        terms: Vec::with_capacity(terms),
        letters: Vec::with_capacity(letters),
        ends: Vec::with_capacity(terms),
        masks: Vec::with_capacity(terms),
        numeric: Vec::with_capacity(terms),
        weights: Vec::with_capacity(if weighed { terms } else { 0 }),
        paragraph: first.paragraph,
        sentence: first.sentence,
        recurrence: first.recurrence,
        labelled: first.labelled,
        lead: first.lead,
    };
    for (n, u) in units.iter().enumerate() {
        if n > 0 {
            out.span.end = u.span.end;
            out.recurrence = out.recurrence.min(u.recurrence);
            out.labelled |= u.labelled;
        }
        for (k, &t) in u.terms.iter().enumerate() {
            if n == 0 || !out.terms.contains(&t) {
                out.terms.push(t);
                out.letters.extend_from_slice(u.skeleton(k));
                out.ends.push(out.letters.len() as u32);
                out.masks.push(u.masks[k]);
                out.numeric.push(u.numeric[k]);
                if weighed {
                    out.weights.push(u.weights[k]);
                }
            }
        }
    }
    out
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recurrence_counts_documents_holding_the_same_content() {
        let a = Analyzer::default();
        let formula =
            "كما جرى استعراض مستجدات الأوضاع الإقليمية والدولية والأمور ذات الاهتمام المشترك.";
        let texts = [
            format!("استقبل الأمير السفير الياباني في مكتبه بالرياض أمس. {formula} {formula}"),
            format!("التقى الوزير نظيره الفرنسي في باريس لبحث العلاقات. {formula}"),
            "افتتح وزير الصحة المستشفى الجديد في جدة بحضور المسؤولين.".to_owned(),
        ];
        let mut docs: Vec<Vec<Unit>> = texts.iter().map(|t| a.units(t)).collect();
        assert_eq!(docs[0].len(), 3);
        set_recurrence(&mut docs);
        // The formula is in two documents (twice in the first: counted once).
        assert_eq!(docs[0][1].recurrence(), 2);
        assert_eq!(docs[0][2].recurrence(), 2);
        assert_eq!(docs[0][0].recurrence(), 1);
        assert_eq!(docs[2][0].recurrence(), 1);
        assert_eq!(join_units(&docs[0][..2]).recurrence(), 1);
    }

    #[test]
    fn a_recurring_label_is_not_content() {
        let a = Analyzer::default();
        let labels: AHashSet<String> = ["رابط الخبر بصحيفة الوئام".to_owned()].into();
        let t = "رابط الخبر بصحيفة الوئام: سكان قرى غرب القصيم يعيشون ساعات طويلة في ظلام دامس";
        assert!(without_label(t, &labels).trim_start().starts_with("سكان"));
        assert_eq!(without_label("مصدر: خبر", &labels), "مصدر: خبر");
        let (with, without) = (a.units(t), a.units_labelled(t, &labels));
        assert_eq!(with[0].span, without[0].span);
        assert!(without[0].labelled() && !with[0].labelled() && without[0].lead());
        // A label inside the article (not its last paragraph) opens a quote, not a headline.
        let inside = format!("{t}\n\nوقال المتحدث إن الكهرباء ستعود خلال ساعات قليلة للقرى.");
        let u = a.units_labelled(&inside, &labels);
        assert!(!u[0].labelled() && !u[1].labelled(), "{u:?}");
        assert_eq!(with[0].terms().len(), without[0].terms().len() + 4);
    }

    #[test]
    fn a_list_number_is_not_a_figure() {
        assert_eq!(enumerator("4 - البلوش: يسكن البلوش"), Some(4));
        assert_eq!(enumerator(" 12) تعيين عضو"), Some(12));
        assert_eq!(enumerator("١٢ – من الناحية القومية"), Some(12));
        assert_eq!(enumerator("2015 - عام"), None);
        assert_eq!(enumerator("البلوش 4 - 5"), None);
        assert_eq!(without_enumerator("4 - البلوش: يسكن البلوش"), "البلوش: يسكن البلوش");
        assert_eq!(without_enumerator(" 12) تعيين عضو"), "تعيين عضو");
        assert_eq!(without_enumerator("١ – من الناحية القومية"), "من الناحية القومية");
        // Figures are kept: a decimal, a year, a count, a range.
        for t in ["3.5 مليون ريال", "2015 - عام", "10 متهمين", "15-20 شخصا", "5"]
        {
            assert_eq!(without_enumerator(t), t);
        }
        let a = Analyzer::default();
        let no = AHashSet::new();
        let u =
            a.units_labelled("4 - يسكن البلوش في محافظة سيستان وبلوجيستان جنوب شرقي إيران.", &no);
        assert!(u[0].numeric.iter().all(|&n| !n), "{u:?}");
        assert!(!u[0].labelled());
    }

    #[test]
    fn units_split_arabic_clauses() {
        let t = "في 29 مايو 2018 ، وافقت الفصائل الليبية على إجراء انتخابات رئاسية في البلاد، وحضر المؤتمر الأمين العام لجامعة الدول العربية أحمد أبو الغيط.";
        let u = unit_spans(t);
        assert_eq!(u.len(), 2, "{:?}", u.iter().map(|s| &t[s.span.range()]).collect::<Vec<_>>());
        assert!(t[u[1].span.range()].starts_with("وحضر"));
        assert_eq!((u[0].sentence, u[1].sentence), (0, 0), "clauses of one sentence");
        let two = unit_spans("وصل الوفد إلى الرياض صباح اليوم. وبدأ المباحثات مع المسؤولين.");
        assert_eq!(two.iter().map(|s| s.sentence).collect::<Vec<_>>(), [0, 1]);
    }
}
