//! Prints the restated passages of the seed article (a quick look, not a test).
use neardup::passages::{Analyzer, Idf};
fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| "seeds/000_f93aa94b4d3c9c3a.txt".into());
    let text = std::fs::read_to_string(path).unwrap();
    let a = Analyzer::default();
    let units = a.units(&text);
    let idf = Idf::new(&[&units]);
    for u in &units {
        println!(
            "[{}] {} terms: {}",
            u.paragraph,
            u.terms().len(),
            text[u.span.range()].chars().take(70).collect::<String>()
        );
    }
    for i in 0..units.len() {
        for j in i + 1..units.len() {
            let s = a.similarity(&units[i], &units[j], &|t| idf.weight(t));
            if s > 0.25 {
                println!(
                    "{s:.3} | {} | {}",
                    text[units[i].span.range()].chars().take(50).collect::<String>(),
                    text[units[j].span.range()].chars().take(50).collect::<String>()
                );
            }
        }
    }
    if units.len() > 4 {
        let j = neardup::passages::Unit::join(&units[3..5]);
        println!("joined 0 vs 3+4: {:.3}", a.similarity(&units[0], &j, &|t| idf.weight(t)));
    }
    for r in a.within(0, &text, &units, &[], &idf) {
        println!(
            "RESTATED {:.3}\n  A {}\n  B {}",
            r.similarity,
            &text[r.a.start..r.a.end],
            &text[r.b.start..r.b.end]
        );
    }
}
