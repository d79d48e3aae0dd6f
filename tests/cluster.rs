//! Story clustering through the real binary.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

fn neardup() -> Command {
    Command::cargo_bin("neardup").unwrap()
}

#[test]
fn stories_fixture_is_clustered_by_event() {
    let out = neardup()
        .arg("cluster")
        .arg(fixture("stories.jsonl"))
        // Eight articles give weak document frequencies: the undated threshold (the dated
        // 0.40 was tuned on a feed of 16k).
        .args(["--date-field", "date", "--threshold", "0.25"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let stories: Vec<Value> =
        String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let members: Vec<Vec<String>> = stories
        .iter()
        .map(|s| {
            s["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_str().unwrap().to_owned())
                .collect()
        })
        .collect();
    // The two earthquakes (s0-s2 in Chile, s3-s5 in Japan) are different stories.
    let story_of = |id: &str| members.iter().position(|m| m.iter().any(|x| x == id)).unwrap();
    assert_eq!(story_of("s0"), story_of("s2"));
    assert_eq!(story_of("s3"), story_of("s5"));
    assert_ne!(story_of("s0"), story_of("s3"));
    for s in &stories {
        assert!(s["title"].is_string() && s["terms"].is_array());
        assert!(s["first"].as_str().unwrap() <= s["last"].as_str().unwrap());
    }
}

#[test]
fn eval_clusters_reports_scores() {
    let out = neardup()
        .args(["eval", "clusters", "--truth-field", "story"])
        .arg(fixture("stories.jsonl"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let s: Value = serde_json::from_str(String::from_utf8(out).unwrap().trim()).unwrap();
    assert!(s["bcubed_f1"].as_f64().unwrap() >= 0.9, "{s}");
    assert!(s["ari"].as_f64().unwrap() >= 0.8, "{s}");
    // A threshold that splits everything is measurably worse.
    let out = neardup()
        .args(["eval", "clusters", "--truth-field", "story", "--threshold", "0.99"])
        .arg(fixture("stories.jsonl"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let worse: Value = serde_json::from_str(String::from_utf8(out).unwrap().trim()).unwrap();
    assert!(worse["bcubed_recall"].as_f64().unwrap() < 0.5);
    neardup()
        .args(["eval", "clusters", "--truth-field", "nope"])
        .arg(fixture("stories.jsonl"))
        .assert()
        .code(2);
}

#[test]
fn window_needs_dates_and_splits_distant_articles() {
    neardup()
        .arg("cluster")
        .arg(fixture("stories.jsonl"))
        .args(["--window", "1d"])
        .assert()
        .code(2);
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("f.jsonl");
    let text = "Floods hit the river town of Cahors after three days of rain, firefighters said.";
    let lines = [
        serde_json::json!({"id": "a", "date": "2024-01-01", "text": text}),
        serde_json::json!({"id": "b", "date": "2024-01-02", "text": text}),
        serde_json::json!({"id": "c", "date": "2024-03-01", "text": text}),
    ];
    std::fs::write(&feed, lines.iter().map(|v| v.to_string() + "\n").collect::<String>()).unwrap();
    let run = |extra: &[&str]| {
        let out = neardup()
            .arg("cluster")
            .arg(&feed)
            .args(["--date-field", "date"])
            .args(extra)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let stories: Vec<Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        stories.iter().map(|s| s["members"].as_array().unwrap().len()).collect::<Vec<_>>()
    };
    // Issue 20: reprints are one story, whatever the window; with dates, only within the
    // reprint gap (48h): the same text two months on is a template report of another day.
    assert_eq!(run(&[]), [2, 1]);
    assert_eq!(run(&["--window", "3d"]), [2, 1], "near-duplicates a day apart stay one story");
    assert_eq!(run(&["--reprint-gap", "90d"]), [3], "bound whatever the dates");
    assert_eq!(run(&["--reprint-gap", "90d", "--window", "3d"]), [3]);
    assert_eq!(run(&["--window", "3d", "--no-dedup"]), [2, 1], "the March article starts anew");
    assert_eq!(run(&["--no-dedup"]), [2, 1], "time as evidence: two months apart");
}

/// Issue 5: with `--store`, a later night's articles join the stored stories and the story ids
/// stay stable; new events start new ids.
#[test]
fn story_ids_are_stable_across_nights() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("stories");
    let all = std::fs::read_to_string(fixture("stories.jsonl")).unwrap();
    let lines: Vec<&str> = all.lines().collect();
    let night = |name: &str, ls: &[&str]| {
        let p = dir.path().join(name);
        std::fs::write(&p, ls.join("\n") + "\n").unwrap();
        let out = neardup()
            .arg("cluster")
            .arg(&p)
            .arg("--store")
            .arg(&store)
            .args(["--date-field", "date"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .collect::<Vec<_>>()
    };
    let story_of = |stories: &[Value], id: &str| {
        stories
            .iter()
            .find(|s| s["members"].as_array().unwrap().iter().any(|m| m == id))
            .map(|s| s["story"].as_u64().unwrap())
    };
    // Night 1: the first article of each story. Night 2: the rest.
    let first: Vec<&str> = vec![lines[0], lines[3], lines[6], lines[9]];
    let rest: Vec<&str> =
        lines.iter().enumerate().filter(|(i, _)| i % 3 != 0).map(|(_, l)| *l).collect();
    let n1 = night("n1.jsonl", &first);
    let n2 = night("n2.jsonl", &rest);
    for (a, b) in [("s0", "s1"), ("s3", "s4"), ("s6", "s7"), ("s9", "s10")] {
        assert_eq!(story_of(&n1, a), story_of(&n2, b), "{b} joins {a}'s stored story");
    }
    let ids: std::collections::BTreeSet<u64> =
        n1.iter().map(|s| s["story"].as_u64().unwrap()).collect();
    assert_eq!(ids.len(), 4);
    // A damaged story file is an error naming it, and is left as it was.
    let path = store.join("STORIES");
    let mut b = std::fs::read(&path).unwrap();
    let mid = b.len() / 2;
    b[mid] ^= 1;
    std::fs::write(&path, &b).unwrap();
    let err = neardup()
        .arg("cluster")
        .arg(fixture("stories.jsonl"))
        .arg("--store")
        .arg(&store)
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8_lossy(&err).contains("STORIES"), "{}", String::from_utf8_lossy(&err));
    assert_eq!(std::fs::read(&path).unwrap(), b);
}

#[test]
fn dates_that_are_not_dates_are_named_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.jsonl");
    std::fs::write(
        &feed,
        concat!(
            r#"{"id":"a","text":"rain floods the coastal town overnight","date":"2015-08-01T08:00:00+03:00"}"#,
            "\n",
            r#"{"id":"b","text":"rain floods the coastal town overnight again","date":"2015-02-30"}"#,
            "\n",
        ),
    )
    .unwrap();
    let run = |field: &str| {
        let out =
            neardup().arg("cluster").arg(&feed).args(["--date-field", field]).output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stderr).unwrap()
    };
    let err = run("date");
    assert!(err.contains(r#"1 of 2 articles have a "date" that is not an ISO 8601 date"#), "{err}");
    assert!(err.contains(r#"id "b" with "2015-02-30""#), "{err}");
    let err = run("published");
    assert!(err.contains(r#"no article has a date in field "published""#), "{err}");
}

/// Issue 20: the near-duplicate groups `cluster` binds are `dedup`'s on the articles' own
/// text: a headline rewritten by each outlet does not keep a reprint out of its source's
/// story (with the titles glued to the text, these bodies' shingles fall below the bar).
#[test]
fn reprints_with_rewritten_headlines_are_one_story() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("f.jsonl");
    let body = "The municipality of Jeddah said teams removed the water from eleven tunnels after \
                the heavy rain and traffic returned to normal on the main roads before noon.";
    let other = "A camel festival opened in Taif with races, a market of local crafts and evening \
                 poetry readings that organizers expect to draw visitors from across the region.";
    let lines = [
        serde_json::json!({"id": "a", "date": "2024-01-01T08:00:00", "text": body,
            "title": "Jeddah municipality announces that its emergency crews have finished \
                      draining eleven flooded tunnels across the city after two days of heavy \
                      rain closed the main roads and stranded hundreds of drivers overnight"}),
        serde_json::json!({"id": "b", "date": "2024-01-01T09:00:00",
            "text": body.replace("heavy rain", "heavy rains"),
            "title": "Traffic is back to normal in the Red Sea port as pumping teams empty the \
                      underpasses that storms had filled with water, officials say, while \
                      residents count the damage to their cars and shops"}),
        serde_json::json!({"id": "c", "date": "2024-01-01T10:00:00", "text": other,
            "title": "Festival opens"}),
    ];
    std::fs::write(&feed, lines.iter().map(|v| v.to_string() + "\n").collect::<String>()).unwrap();
    // `dedup` finds a and b on their text; with the titles it does not.
    let dup_pairs = |title: bool| {
        let pairs = dir.path().join("pairs.jsonl");
        let mut cmd = neardup();
        cmd.arg("dedup").arg(&feed).arg("-q").args(["-o", "/dev/null", "--pairs"]).arg(&pairs);
        if title {
            cmd.args(["--title-field", "title"]);
        }
        cmd.assert().success();
        std::fs::read_to_string(&pairs).unwrap().lines().count()
    };
    assert_eq!(dup_pairs(false), 1);
    assert_eq!(dup_pairs(true), 0, "the headlines dilute the texts' shingles");
    for window in [None, Some("1h"), Some("3d")] {
        let mut cmd = neardup();
        cmd.arg("cluster").arg(&feed).args(["--date-field", "date", "--title-field", "title"]);
        // At a threshold of 1 only near-duplicates join one story.
        cmd.args(["--threshold", "1"]);
        if let Some(w) = window {
            cmd.args(["--window", w]);
        }
        let out = cmd.assert().success().get_output().stdout.clone();
        let stories: Vec<Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let members: Vec<Vec<&str>> = stories
            .iter()
            .map(|s| s["members"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect())
            .collect();
        assert!(members.contains(&vec!["a", "b"]), "window {window:?}: {members:?}");
        assert!(members.contains(&vec!["c"]), "window {window:?}: {members:?}");
    }
}

#[test]
fn time_flags_without_dates_are_refused() {
    // Without --date-field there is no time to weigh: --window and --time-scale (which would
    // also turn figures on as evidence) are errors, not silently another model.
    for flags in [["--window", "1d"], ["--time-scale", "12h"]] {
        let out = neardup()
            .arg("cluster")
            .arg(fixture("stories.jsonl"))
            .args(flags)
            .assert()
            .failure()
            .get_output()
            .stderr
            .clone();
        let err = String::from_utf8_lossy(&out);
        assert!(err.contains("needs --date-field"), "{flags:?}: {err}");
    }
}
