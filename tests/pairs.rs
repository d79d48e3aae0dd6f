//! `neardup pairs` through the real binary.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{json, Value};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

fn neardup() -> Command {
    Command::cargo_bin("neardup").unwrap()
}

/// `neardup pairs --measure story --pairs PAIRS [--docs DOCS]`.
fn story_pairs(pairs: &Path, docs: Option<&Path>) -> Command {
    let mut c = neardup();
    c.args(["pairs", "--measure", "story", "--pairs"]).arg(pairs);
    if let Some(d) = docs {
        c.arg("--docs").arg(d);
    }
    c
}

fn json_lines(out: &[u8]) -> Vec<Value> {
    String::from_utf8(out.to_vec())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Issue 20, item 6: `pairs --measure story` decides with `cluster`'s model and threshold: on
/// every pair of a feed, its decision is whether `cluster` puts the two articles in one story
/// (dated and undated, with titles and without). The old decision compared the two articles
/// alone and split two pairs that `cluster` joins through their story's centroid.
#[test]
fn story_decisions_are_the_stories_of_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let feed = fixture("stories.jsonl");
    let ids: Vec<String> = std::fs::read_to_string(&feed)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["id"].as_str().unwrap().to_owned())
        .collect();
    let pairs = dir.path().join("pairs.jsonl");
    let mut all = String::new();
    for (i, a) in ids.iter().enumerate() {
        for b in &ids[i + 1..] {
            all += &format!("{}\n", serde_json::json!({"id1": a, "id2": b}));
        }
    }
    std::fs::write(&pairs, all).unwrap();
    for flags in [&["--date-field", "date"][..], &[], &["--threshold", "0.15"]] {
        let out = neardup()
            .arg("cluster")
            .arg(&feed)
            .args(flags)
            .arg("-q")
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let mut story: HashMap<String, usize> = HashMap::new();
        for (k, s) in json_lines(&out).iter().enumerate() {
            for m in s["members"].as_array().unwrap() {
                story.insert(m.as_str().unwrap().to_owned(), k);
            }
        }
        let out = story_pairs(&pairs, Some(&feed))
            .args(flags)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let decided = json_lines(&out);
        assert_eq!(decided.len(), ids.len() * (ids.len() - 1) / 2);
        let (mut together, mut apart) = (0, 0);
        for d in &decided {
            let (a, b) = (d["id1"].as_str().unwrap(), d["id2"].as_str().unwrap());
            let same = story[a] == story[b];
            assert_eq!(d["decision"].as_bool(), Some(same), "{flags:?}: {a} and {b}");
            if same {
                together += 1;
            } else {
                apart += 1;
            }
        }
        assert!(together > 0 && apart > 0, "{flags:?}: {together} together, {apart} apart");
    }
}

/// Pairs given by their texts are clustered as a feed of those texts, each once.
#[test]
fn story_decisions_of_texts_given_inline() {
    let dir = tempfile::tempdir().unwrap();
    let quake = "Strong earthquake shakes northern Chile\nA magnitude 7.1 earthquake struck near \
                 Antofagasta, cutting power to thousands of homes.";
    let quake2 = "Earthquake in northern Chile\nA magnitude 7.1 earthquake struck near \
                  Antofagasta, cutting power to thousands of homes, officials said.";
    let rates = "Central bank holds rates\nThe central bank kept its benchmark interest rate \
                 unchanged, citing slowing inflation and weak credit growth.";
    let pairs = dir.path().join("pairs.jsonl");
    let lines = [
        serde_json::json!({"id1": 1, "id2": 2, "text1": quake, "text2": quake2}),
        serde_json::json!({"id1": 1, "id2": 3, "text1": quake, "text2": rates}),
    ];
    std::fs::write(&pairs, lines.iter().map(|v| v.to_string() + "\n").collect::<String>()).unwrap();
    let out = story_pairs(&pairs, None).assert().success().get_output().stdout.clone();
    let d: Vec<Option<bool>> = json_lines(&out).iter().map(|v| v["decision"].as_bool()).collect();
    assert_eq!(d, [Some(true), Some(false)]);
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
    let out = story_pairs(&pairs, Some(&docs)).assert().success().get_output().stdout.clone();
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

#[test]
fn a_docs_record_without_text_is_an_error_naming_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs.jsonl");
    std::fs::write(
        &docs,
        "{\"id\": \"a\", \"text\": \"Flood waters rose in the valley on Monday.\"}\n\
         {\"text\": \"A record without an id is still an article of the feed.\"}\n\
         {\"id\": \"c\", \"text\": 7}\n",
    )
    .unwrap();
    let pairs = dir.path().join("pairs.jsonl");
    std::fs::write(&pairs, "{\"id1\": \"a\", \"id2\": \"a\"}\n").unwrap();
    let out = story_pairs(&pairs, Some(&docs)).assert().failure().get_output().stderr.clone();
    let err = String::from_utf8_lossy(&out);
    assert!(err.contains("docs.jsonl:3") && err.contains("\"text\""), "{err}");
}
