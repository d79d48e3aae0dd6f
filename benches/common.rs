//! Seeded inputs shared by the benches.
#![allow(dead_code)]

use neardup::naive::SplitMix;

/// The seed article.
pub fn seed() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/000_f93aa94b4d3c9c3a.txt"))
        .unwrap()
}

const WORDS: &[&str] = &[
    "the",
    "minister",
    "said",
    "on",
    "tuesday",
    "that",
    "government",
    "would",
    "increase",
    "spending",
    "for",
    "schools",
    "and",
    "hospitals",
    "after",
    "protests",
    "in",
    "several",
    "cities",
    "across",
    "country",
    "officials",
    "reported",
    "police",
    "arrested",
    "people",
    "market",
    "prices",
    "rose",
    "percent",
    "قال",
    "الوزير",
    "إن",
    "الحكومة",
    "ستزيد",
    "الإنفاق",
    "على",
    "المدارس",
    "والمستشفيات",
];

/// `n` seeded documents of about `words` words; every fifth one is an edited copy of the one
/// before it.
pub fn corpus(n: usize, words: usize, seed: u64) -> Vec<String> {
    let mut rng = SplitMix(seed);
    let mut out: Vec<String> = Vec::with_capacity(n);
    for i in 0..n {
        if i % 5 == 4 {
            let prev: Vec<&str> = out[i - 1].split(' ').collect();
            let edited: Vec<&str> = prev
                .iter()
                .map(|w| if rng.next().is_multiple_of(20) { "edited" } else { w })
                .collect();
            out.push(edited.join(" "));
        } else {
            let doc: Vec<&str> =
                (0..words).map(|_| WORDS[(rng.next() % WORDS.len() as u64) as usize]).collect();
            out.push(doc.join(" "));
        }
    }
    out
}

/// About `words` words of seeded English prose: sentences of 6 to 20 of the ASCII words, each
/// starting with a capital and ending with a full stop, paragraphs of five sentences.
pub fn prose(words: usize, seed: u64) -> String {
    let ascii: Vec<&str> = WORDS.iter().copied().filter(|w| w.is_ascii()).collect();
    let mut rng = SplitMix(seed);
    let mut out = String::new();
    let (mut n, mut sentences) = (0, 0);
    while n < words {
        let len = 6 + (rng.next() % 15) as usize;
        for i in 0..len {
            let w = ascii[(rng.next() % ascii.len() as u64) as usize];
            if i == 0 {
                out.push_str(&w[..1].to_ascii_uppercase());
                out.push_str(&w[1..]);
            } else {
                out.push(' ');
                out.push_str(w);
            }
        }
        out.push('.');
        n += len;
        sentences += 1;
        out.push_str(if sentences % 5 == 0 { "\n\n" } else { " " });
    }
    out
}
