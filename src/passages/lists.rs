//! Lists inside one article: the items of a numbered list, and sentences told in one template
//! for each item of a list (a condolence formula after each caller, a cable of thanks for each
//! sender). A list's items are as many things, not one thing told again: [`super::align`]
//! compares no two items of one numbered list and drops the seeds among a list told in one
//! template.

use super::units::{enumerator, Unit};

/// The first and last of a run of units.
pub(super) type UnitRange = (usize, usize);

/// Inside one article, two units that share this many partners less one (units the seeds
/// match with both) are items of a list told in one template, not a restatement: with the
/// pair, four units or more that all match each other ("وعبر عن عزائه ومواساته لأسر الشهداء
/// ..." after each caller of a list; "وقدم سمو ... شكره وتقديره لـ X على مشاعره ..." for each
/// sender of a cable; "وصاحب السمو الأمير X بن Y" for each attendee). A fact is told twice in an
/// article, or three times (a triangle, kept). On ar-restate dev, one article at a time, this
/// drops 3 of the 10 wrong in-article pairs and none of the 13 right ones (`benches/RESULTS.md`,
/// twenty-second session); 3 of 2, 3, 4 was the best of that small grid.
pub const TEMPLATE_PARTNERS: usize = 3;

/// For each matched pair of unit runs inside one article (`a0..=a1` against `b0..=b1`, the
/// accepted seeds), whether it is an item pair of a list told in one template: its two sides
/// share [`TEMPLATE_PARTNERS`] - 1 partners or more (units the pairs match with both, neither
/// side's own; a run of adjacent units counts once). A fact told four times in one article
/// is taken for a list too: that is the price of the rule.
pub(super) fn template_items(seeds: &[(UnitRange, UnitRange)]) -> Vec<bool> {
    let mut partners: ahash::AHashMap<usize, ahash::AHashSet<usize>> = ahash::AHashMap::new();
    for &((a0, a1), (b0, b1)) in seeds {
        for x in a0..=a1 {
            for y in b0..=b1 {
                partners.entry(x).or_default().insert(y);
                partners.entry(y).or_default().insert(x);
            }
        }
    }
    let of = |x0: usize, x1: usize| -> ahash::AHashSet<usize> {
        (x0..=x1).flat_map(|x| partners.get(&x).into_iter().flatten().copied()).collect()
    };
    seeds
        .iter()
        .map(|&((a0, a1), (b0, b1))| {
            let (pa, pb) = (of(a0, a1), of(b0, b1));
            let inside = |u: &usize| (a0..=a1).contains(u) || (b0..=b1).contains(u);
            let shared: ahash::AHashSet<usize> =
                pa.intersection(&pb).copied().filter(|u| !inside(u)).collect();
            // A run of adjacent units is one partner: one telling of a fact, over two clauses or a
            // window of two.
            let partners = shared.iter().filter(|&&u| u == 0 || !shared.contains(&(u - 1))).count();
            partners + 1 >= TEMPLATE_PARTNERS
        })
        .collect()
}

/// For each unit, the numbered list it opens an item of, inside its document: a unit that
/// opens its sentence with an enumerator ([`enumerator`]) is an item; an item numbered no
/// higher than the list's last, or after a paragraph without an item, starts a new list
/// ("1 - ... 4 -", then "1 - ..." again).
/// `None` for a unit that is no item.
pub(super) fn list_items(text: &str, units: &[Unit]) -> Vec<Option<u32>> {
    let mut lists = 0u32;
    // The last item's number and paragraph.
    let mut last: Option<(u32, usize)> = None;
    let mut out = Vec::with_capacity(units.len());
    for (k, u) in units.iter().enumerate() {
        let opens = k == 0 || units[k - 1].sentence != u.sentence;
        let n = if opens { text.get(u.span.range()).and_then(enumerator) } else { None };
        out.push(n.map(|n| {
            // A new list where the numbers restart, or where a paragraph without an item lies
            // between (a stray "2." early in an article is no item of a list further down).
            if last.is_none_or(|(l, p)| n <= l || u.paragraph > p + 1) {
                lists += 1;
            }
            last = Some((n, u.paragraph));
            lists
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passages::{Analyzer, Place, Restatement};

    /// An article of `items` template sentences (one name apart), each after a sentence of its
    /// own, and one fact told twice; the restated pairs of `find`.
    fn template_list(items: usize) -> (String, Vec<Restatement>) {
        let names = ["Zorbin", "Quellat", "Mirvax", "Tondrel", "Plessik"];
        let fillers = [
            "Harvest yields doubled across northern valleys after irrigation canals reopened.",
            "Shipping lanes stayed closed while engineers inspected damaged harbour cranes.",
            "Teachers unions rejected proposed curriculum reforms during marathon negotiations.",
            "Archaeologists uncovered bronze tools beneath collapsed temple foundations nearby.",
            "Vaccination clinics extended opening hours ahead of winter influenza season.",
        ];
        let mut text = String::from(
            "Floodwaters breached seven levees near Dornvale overnight, displacing residents.\n\n",
        );
        for (name, filler) in names.iter().zip(&fillers).take(items) {
            text.push_str(filler);
            text.push(' ');
            text.push_str(&format!(
                "The governor warmly thanked {name} for generous heartfelt sympathy, wishing lasting health, safety, prosperity.\n\n"
            ));
        }
        text.push_str(
            "Overnight, seven Dornvale levees were breached by floodwaters, displacing residents.",
        );
        let found = crate::passages::find(
            &Analyzer::default(),
            &[text.as_str()],
            crate::passages::Scope::Doc,
            crate::passages::BoilerplateRule::default(),
        )
        .restated;
        (text, found)
    }

    #[test]
    fn a_fact_told_three_times_over_two_units_is_no_list() {
        let seed = |a0, a1, b0, b1| ((a0, a1), (b0, b1));
        // Told once as unit 1, then twice over two units (10-11, 20-21): a triangle whose
        // corners span two units each, kept whole.
        let seeds =
            [seed(1, 1, 10, 11), seed(1, 1, 20, 21), seed(10, 10, 20, 20), seed(11, 11, 21, 21)];
        assert_eq!(template_items(&seeds), [false; 4]);
        // Four single units that all match each other: a list, dropped whole.
        let items = [2, 6, 10, 14];
        let seeds: Vec<_> = items
            .iter()
            .flat_map(|&x| items.iter().filter(move |&&y| y > x).map(move |&y| seed(x, x, y, y)))
            .collect();
        assert_eq!(seeds.len(), 6);
        assert_eq!(template_items(&seeds), [true; 6]);
    }

    #[test]
    fn two_items_of_one_numbered_list_are_two_things() {
        // One list of workers (items 1 and 3: one template, other names), then a second list
        // (numbered from 1 again) whose first item retells the first list's first item.
        let text = "1 - Zorbin, an engineer of Dornvale nationality, hired for the northern harbour works.\n\
                    2 - Gilvane Orsk Tamberlin, surveyor, Kestrel national, joined the canal crews.\n\
                    3 - Tondrel, an engineer of Dornvale nationality, hired for the northern harbour works.\n\n\
                    The ministry also listed the contracts signed this spring.\n\
                    1 - Zorbin, engineer of Dornvale nationality, was hired for the harbour works in the north.\n\
                    2 - Brannic Holloway signed for dredging equipment.";
        let units = Analyzer::default().units(text);
        let items = list_items(text, &units);
        let lists: Vec<u32> = items.iter().flatten().copied().collect();
        assert_eq!(lists, [1, 1, 1, 2, 2], "{items:?}");
        // A stray number early in an article opens no list the later items join.
        let stray = "2. Stray opening remark about the harbour works today.\n\n\
                     A plain paragraph without any item in it at all.\n\n\
                     3 - Item three of the real list.\n\
                     4 - Item four of the real list.";
        let units = Analyzer::default().units(stray);
        let lists: Vec<u32> = list_items(stray, &units).into_iter().flatten().collect();
        assert_eq!(lists, [1, 2, 2]);
        let found = crate::passages::find(
            &Analyzer::default(),
            &[text],
            crate::passages::Scope::Doc,
            crate::passages::BoilerplateRule::default(),
        )
        .restated;
        let at = |needle: &str| text.find(needle).unwrap();
        let linked = |x: usize, y: usize| {
            found.iter().any(|r| r.a.start <= x && x < r.a.end && r.b.start <= y && y < r.b.end)
        };
        // Items 1 and 3 of the first list share all but the names: two workers, not one.
        assert!(!linked(at("1 - Zorbin"), at("3 - Tondrel")), "{found:?}");
        // The second list's first item retells the first list's: reported.
        assert!(linked(at("1 - Zorbin"), text.rfind("1 - Zorbin").unwrap()), "{found:?}");
    }

    #[test]
    fn four_items_of_one_template_are_a_list_not_restatements() {
        let is_template = |text: &str, p: &Place| text[p.start..p.end].contains("warmly thanked");
        let (text, found) = template_list(4);
        assert!(
            found.iter().any(|r| text[r.a.start..r.a.end].contains("Floodwaters")),
            "the fact told twice is found: {found:?}"
        );
        assert!(
            !found.iter().any(|r| is_template(&text, &r.a) && is_template(&text, &r.b)),
            "no two items of the list: {found:?}"
        );
        // Told three times, the template's pairs stay: only four units or more that all
        // match each other are a list.
        let (text, found) = template_list(3);
        assert!(
            found.iter().any(|r| is_template(&text, &r.a) && is_template(&text, &r.b)),
            "three items: {found:?}"
        );
    }
}
