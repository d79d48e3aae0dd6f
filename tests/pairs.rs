//! `neardup pairs` through the real binary.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

fn neardup() -> Command {
    Command::cargo_bin("neardup").unwrap()
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
        let out = neardup()
            .args(["pairs", "--measure", "story", "--pairs"])
            .arg(&pairs)
            .arg("--docs")
            .arg(&feed)
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
    let out = neardup()
        .args(["pairs", "--measure", "story", "--pairs"])
        .arg(&pairs)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let d: Vec<Option<bool>> = json_lines(&out).iter().map(|v| v["decision"].as_bool()).collect();
    assert_eq!(d, [Some(true), Some(false)]);
}
