//! `neardup pairs` through the real binary.

use std::collections::HashMap;
use std::path::Path;

use assert_cmd::Command;
use serde_json::{json, Value};

fn neardup() -> Command {
    Command::cargo_bin("neardup").unwrap()
}

/// A site's navigation line and donation banner, under each of its pages.
const NAV: &str = "Home Politics Economy Sports Weather Contact";
const BANNER: &str = "Support independent journalism: subscribe to the Riverside Herald \
                      newsletter and donate monthly to keep reporting free.";

/// A page of the site: its title, its article, then the navigation and the banner.
fn page(title: &str, body: &str) -> String {
    format!("{title}\n{body}\n{NAV}\n{BANNER}")
}

/// Writes the docs and pairs files into `dir`; returns their paths.
fn write_fixture(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let docs = [
        (
            "flood1",
            page(
                "Valencia flood closes the port",
                "Heavy rain flooded the streets of Valencia on Monday and the port closed \
                 its terminals as the river burst its banks near the harbour.",
            ),
        ),
        (
            "flood2",
            page(
                "Valencia port reopens after the flood",
                "The port of Valencia reopened its terminals on Wednesday, two days after \
                 the river flooded the harbour and the streets of the city.",
            ),
        ),
        (
            "chess",
            page(
                "Norwegian grandmaster wins the Oslo chess championship",
                "A young grandmaster won the rapid chess championship in Oslo after a \
                 tiebreak against the defending champion on Sunday evening.",
            ),
        ),
        (
            "tax",
            page(
                "Parliament in Berlin votes on the tax reform",
                "Lawmakers in Berlin approved a reform of the income tax that lowers rates \
                 for small businesses and raises the allowance for families.",
            ),
        ),
        // The site's navigation only, scraped instead of its article (on one line, so no
        // line of it recurs verbatim: it is no page template).
        ("nav", format!("{NAV} {BANNER}")),
        (
            "other1",
            "Mars rover finds ancient lake bed\nThe rover drilled into rock that formed in \
             a lake billions of years ago, scientists said."
                .to_owned(),
        ),
        (
            "other2",
            "Mars lake bed confirmed by the rover team\nScientists confirmed that the rock \
             the rover drilled formed in an ancient lake."
                .to_owned(),
        ),
        (
            "other3",
            "Coffee prices climb in Brazil\nA dry season pushed coffee prices higher as \
             growers in Brazil expect a smaller harvest."
                .to_owned(),
        ),
    ];
    let pairs = [
        ("flood1", "flood2"),
        ("chess", "tax"),
        ("flood1", "chess"),
        ("nav", "flood1"),
        ("other1", "other2"),
        ("other1", "other3"),
    ];
    let d = dir.join("docs.jsonl");
    let p = dir.join("pairs.jsonl");
    let lines: Vec<String> =
        docs.iter().map(|(id, text)| json!({"id": id, "text": text}).to_string()).collect();
    std::fs::write(&d, lines.join("\n") + "\n").unwrap();
    let lines: Vec<String> =
        pairs.iter().map(|(a, b)| json!({"id1": a, "id2": b}).to_string()).collect();
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    (d, p)
}

/// The similarity of each pair, by its ids.
fn story_similarities(dir: &Path) -> HashMap<(String, String), f64> {
    let (docs, pairs) = write_fixture(dir);
    let out = neardup()
        .args(["pairs", "--measure", "story", "--pairs"])
        .arg(&pairs)
        .arg("--docs")
        .arg(&docs)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let id = |k: &str| v[k].as_str().unwrap().to_owned();
            ((id("id1"), id("id2")), v["similarity"].as_f64().unwrap())
        })
        .collect()
}

fn sim(s: &HashMap<(String, String), f64>, a: &str, b: &str) -> f64 {
    s[&(a.to_owned(), b.to_owned())]
}

#[test]
fn a_sites_banner_does_not_make_its_pages_similar() {
    let dir = tempfile::tempdir().unwrap();
    let s = story_similarities(dir.path());
    // Two unrelated articles of one site share its navigation and banner (17 words), and
    // nothing else: their graded similarity is that of unrelated articles, not of one story.
    let unrelated_same_site = sim(&s, "chess", "tax");
    assert!(unrelated_same_site < 0.15, "chess/tax {unrelated_same_site}");
    assert!(sim(&s, "flood1", "chess") < 0.15, "{s:?}");
    // The banner does not hide the story the two flood reports share.
    let same_story = sim(&s, "flood1", "flood2");
    assert!(same_story > 0.3, "flood1/flood2 {same_story}");
    assert!(same_story > 3.0 * unrelated_same_site, "{s:?}");
}

#[test]
fn a_page_of_navigation_only_gets_the_mean_of_the_known_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let s = story_similarities(dir.path());
    // Every word of the navigation page lies in the site's phrases: its similarity to an
    // article of the site is unknown, reported as the mean of the other (Latin) pairs.
    let known: Vec<f64> =
        s.iter().filter(|(k, _)| k.0 != "nav" && k.1 != "nav").map(|(_, &v)| v).collect();
    let mean = known.iter().sum::<f64>() / known.len() as f64;
    let nav = sim(&s, "nav", "flood1");
    assert!((nav - mean).abs() < 1e-3, "nav/flood1 {nav}, mean {mean}");
}
