//! Runs the real `neardup` binary on the bundled fixtures and on bad input.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

fn seed() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/000_f93aa94b4d3c9c3a.txt")
}

fn neardup() -> Command {
    Command::cargo_bin("neardup").unwrap()
}

/// Groups of two or more ids from a `--groups` file, as a set of sorted id lists.
fn groups_of(path: &Path) -> BTreeSet<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let kept = v["kept"].as_str().unwrap().to_owned();
            let mut ids: Vec<String> = v["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["id"].as_str().unwrap().to_owned())
                .collect();
            assert!(ids.contains(&kept), "the kept document is a member");
            ids.sort();
            ids
        })
        .collect()
}

/// The truth groups of a fixture (its `group` field), two or more members only.
fn truth_of(path: &Path) -> BTreeSet<Vec<String>> {
    let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for l in std::fs::read_to_string(path).unwrap().lines() {
        let v: Value = serde_json::from_str(l).unwrap();
        by.entry(v["group"].as_str().unwrap().to_owned())
            .or_default()
            .push(v["id"].as_str().unwrap().to_owned());
    }
    by.into_values()
        .filter(|g| g.len() > 1)
        .map(|mut g| {
            g.sort();
            g
        })
        .collect()
}

fn dedup_groups(input: &Path, extra: &[&str]) -> (BTreeSet<Vec<String>>, String) {
    let dir = tempfile::tempdir().unwrap();
    let groups = dir.path().join("groups.jsonl");
    let out = neardup()
        .arg("dedup")
        .arg(input)
        .arg("--groups")
        .arg(&groups)
        .args(extra)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    (groups_of(&groups), String::from_utf8(out).unwrap())
}

#[test]
fn english_feed_groups_match_truth() {
    let feed = fixture("en_feed.jsonl");
    let (groups, stdout) = dedup_groups(&feed, &[]);
    assert_eq!(groups, truth_of(&feed));
    // Unique records come out byte for byte: every output line is an input line.
    let input = std::fs::read_to_string(&feed).unwrap();
    let input_lines: BTreeSet<&str> = input.lines().collect();
    let out_lines: Vec<&str> = stdout.lines().collect();
    assert!(out_lines.iter().all(|l| input_lines.contains(l)));
    let removed: usize = groups.iter().map(|g| g.len() - 1).sum();
    assert_eq!(out_lines.len(), input.lines().count() - removed);
    // The round-up that contains two articles is the one kept.
    assert!(stdout.contains("\"en-roundup\"") && !stdout.contains("\"en-election\""));
}

#[test]
fn arabic_feed_with_variants_and_shared_footers() {
    let feed = fixture("ar_feed.jsonl");
    let (groups, _) = dedup_groups(&feed, &[]);
    assert_eq!(groups, truth_of(&feed));
    // Without boilerplate removal the shared footer makes unrelated articles look alike.
    let unrelated_max = |extra: &[&str]| {
        let dir = tempfile::tempdir().unwrap();
        let pairs = dir.path().join("pairs.jsonl");
        neardup()
            .arg("dedup")
            .arg(&feed)
            .arg("--pairs")
            .arg(&pairs)
            .args(["--threshold", "0.01"])
            .args(extra)
            .assert()
            .success();
        let truth = truth_of(&feed);
        let same = |a: &str, b: &str| {
            truth.iter().any(|g| g.iter().any(|x| x == a) && g.iter().any(|x| x == b))
        };
        std::fs::read_to_string(&pairs)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|v| !same(v["a"].as_str().unwrap(), v["b"].as_str().unwrap()))
            .map(|v| v["jaccard"].as_f64().unwrap())
            .fold(0.0, f64::max)
    };
    let with_bp = unrelated_max(&[]);
    let without = unrelated_max(&["--no-boilerplate"]);
    assert!(with_bp < 0.1 && without > with_bp + 0.1, "with {with_bp} without {without}");
}

#[test]
fn output_does_not_depend_on_thread_count() {
    let feed = fixture("mixed_feed.jsonl");
    let dir = tempfile::tempdir().unwrap();
    let mut outs = Vec::new();
    for t in ["1", "2", "3"] {
        let g = dir.path().join(format!("g{t}"));
        let p = dir.path().join(format!("p{t}"));
        let o = neardup()
            .args(["dedup", "--threads", t, "--groups"])
            .arg(&g)
            .arg("--pairs")
            .arg(&p)
            .arg(&feed)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        outs.push((o, std::fs::read(&g).unwrap(), std::fs::read(&p).unwrap()));
    }
    assert!(outs.windows(2).all(|w| w[0] == w[1]));
    assert!(!outs[0].1.is_empty());
}

#[test]
fn stdin_and_gzip_read_like_files() {
    let feed = fixture("en_feed.jsonl");
    let bytes = std::fs::read(&feed).unwrap();
    let (_, from_file) = dedup_groups(&feed, &[]);
    let from_stdin = neardup()
        .args(["dedup", "-"])
        .write_stdin(bytes.clone())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(String::from_utf8(from_stdin).unwrap(), from_file);

    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("feed.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut enc, &bytes).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let (_, from_gz) = dedup_groups(&gz, &[]);
    assert_eq!(from_gz, from_file);
}

#[test]
fn seed_article_alone_and_with_a_variant_copy() {
    let seed_text = std::fs::read_to_string(seed()).unwrap();
    let out = neardup().arg("dedup").arg(seed()).assert().success().get_output().stdout.clone();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        seed_text,
        "one text document comes back as it was"
    );

    // A copy with Arabic orthographic variants, tatweel and Arabic-Indic digits is a duplicate.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.txt");
    let variant = seed_text
        .replace('أ', "ا")
        .replace("2018", "٢٠١٨")
        .replace("حفتر", "حفـــتر")
        .replace("ة ", "ه ");
    std::fs::write(&copy, variant).unwrap();
    let groups = dir.path().join("g.jsonl");
    neardup().arg("dedup").arg(seed()).arg(&copy).arg("--groups").arg(&groups).assert().success();
    let g = groups_of(&groups);
    assert_eq!(g.len(), 1);
    assert_eq!(g.iter().next().unwrap().len(), 2);
}

#[test]
fn keep_policies() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("f.jsonl");
    let base = "The harbour authority approved a new ferry timetable on Monday that adds four daily crossings to the islands during the summer season and extends evening service.";
    let longer = format!("{base} Tickets go on sale next week.");
    let lines = [
        serde_json::json!({"id": "a", "text": base, "date": "2024-05-02"}),
        serde_json::json!({"id": "b", "text": longer, "date": "2024-05-01"}),
        serde_json::json!({"id": "c", "text": base, "date": "2024-05-03"}),
    ];
    std::fs::write(&feed, lines.iter().map(|v| v.to_string() + "\n").collect::<String>()).unwrap();
    for (keep, want) in [("first", "a"), ("longest", "b"), ("newest", "c")] {
        let g = dir.path().join(format!("{keep}.jsonl"));
        neardup()
            .arg("dedup")
            .arg(&feed)
            .args(["--keep", keep, "--date-field", "date", "--groups"])
            .arg(&g)
            .assert()
            .success();
        let v: Value =
            serde_json::from_str(std::fs::read_to_string(&g).unwrap().lines().next().unwrap())
                .unwrap();
        assert_eq!(v["kept"], want, "--keep {keep}");
    }
    neardup().arg("dedup").arg(&feed).args(["--keep", "newest"]).assert().code(2);
}

#[test]
fn exact_verification_and_char_shingles() {
    let feed = fixture("mixed_feed.jsonl");
    let truth = {
        let mut t = truth_of(&fixture("en_feed.jsonl"));
        t.extend(truth_of(&fixture("ar_feed.jsonl")));
        t
    };
    let (exact, _) = dedup_groups(&feed, &["--verify", "exact"]);
    assert_eq!(exact, truth);
    let (chars, _) =
        dedup_groups(&feed, &["--shingle", "char:5", "--no-containment", "--threshold", "0.6"]);
    assert!(
        chars.iter().all(|g| truth.iter().any(|t| g.iter().all(|id| t.contains(id)))),
        "{chars:?}"
    );
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Runs dedup on `bytes` as a JSONL file and returns (exit code, stderr).
fn run_bad(bytes: &[u8], extra: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "bad.jsonl", bytes);
    let out = neardup().arg("dedup").arg(&f).args(extra).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const GOOD: &str = "{\"id\":\"ok\",\"text\":\"a perfectly fine document\"}\n";

#[test]
fn invalid_utf8_names_file_and_line() {
    let mut bytes = GOOD.as_bytes().to_vec();
    bytes.extend_from_slice(b"{\"id\":\"x\",\"text\":\"bad \xc3\x28 byte\"}\n");
    let (code, _, err) = run_bad(&bytes, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("bad.jsonl:2") && err.contains("UTF-8"), "{err}");
    let (code, out, err) = run_bad(&bytes, &["--skip-invalid"]);
    assert_eq!(code, 0);
    assert_eq!(out, GOOD);
    assert!(err.contains("1 invalid skipped"), "{err}");
}

#[test]
fn malformed_json_names_file_and_line() {
    for bad in [
        "{\"text\": \"truncated",
        "{\"text\": \"x\"} trailing",
        "[1, 2]",
        "{\"text\": 42}",
        "{\"id\": \"no text\"}",
    ] {
        let input = format!("{GOOD}{bad}\n");
        let (code, _, err) = run_bad(input.as_bytes(), &[]);
        assert_eq!(code, 2, "{bad}");
        assert!(err.contains("bad.jsonl:2"), "{bad}: {err}");
        let (code, out, _) = run_bad(input.as_bytes(), &["--skip-invalid"]);
        assert_eq!((code, out.as_str()), (0, GOOD), "{bad}");
    }
}

#[test]
fn empty_documents_and_files_pass_through() {
    let input =
        format!("{GOOD}{{\"id\":\"e\",\"text\":\"\"}}\n{{\"id\":\"p\",\"text\":\"!!! ...\"}}\n");
    let (code, out, err) = run_bad(input.as_bytes(), &[]);
    assert_eq!(code, 0);
    assert_eq!(out, input, "empty documents are unique, never grouped");
    assert!(err.contains("2 empty"), "{err}");
    let (code, out, err) = run_bad(b"", &[]);
    assert_eq!((code, out.as_str()), (0, ""));
    assert!(err.contains("0 documents"), "{err}");
}

#[test]
fn oversized_documents_are_bounded() {
    let big = format!("{{\"id\":\"big\",\"text\":\"{}\"}}\n", "word ".repeat(2000));
    let input = format!("{GOOD}{big}");
    let (code, _, err) = run_bad(input.as_bytes(), &["--max-doc-bytes", "1000"]);
    assert_eq!(code, 2);
    assert!(err.contains("bad.jsonl:2") && err.contains("max-doc-bytes"), "{err}");
    let (code, out, _) = run_bad(input.as_bytes(), &["--max-doc-bytes", "1000", "--skip-invalid"]);
    assert_eq!((code, out.as_str()), (0, GOOD));
}

#[test]
fn bad_flags_and_missing_files_exit_2() {
    let feed = fixture("en_feed.jsonl");
    for args in [
        vec!["--threshold", "1.5"],
        vec!["--shingle", "word:0"],
        vec!["--normalize", "klingon"],
        vec!["--num-perm", "0"],
        vec!["--bands", "100", "--rows", "100"],
        vec!["--format", "xml"],
    ] {
        neardup().arg("dedup").arg(&feed).args(&args).assert().code(2);
    }
    let out = neardup()
        .args(["dedup", "/nonexistent/feed.jsonl"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8_lossy(&out).contains("/nonexistent/feed.jsonl"));
}

#[test]
fn crlf_and_bom_are_handled() {
    let input = format!("\u{FEFF}{}", GOOD.replace('\n', "\r\n"));
    let (code, out, _) = run_bad(input.as_bytes(), &[]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        GOOD.replace('\n', "\r\n"),
        "records are repeated as they came, without the BOM"
    );
}

#[test]
fn lines_format_and_ids() {
    let dir = tempfile::tempdir().unwrap();
    let text = "the committee approved the new budget for the coming year after a long debate\nsomething else entirely about football results and the league table\nthe committee approved the new budget for the coming year after a long debate\n";
    let f = write(dir.path(), "docs.lines", text.as_bytes());
    let g = dir.path().join("g.jsonl");
    let out = neardup()
        .arg("dedup")
        .arg(&f)
        .arg("--groups")
        .arg(&g)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(String::from_utf8(out).unwrap().lines().count(), 2);
    let v: Value = serde_json::from_str(std::fs::read_to_string(&g).unwrap().trim()).unwrap();
    let kept = v["kept"].as_str().unwrap();
    assert!(kept.ends_with("docs.lines:1"), "{kept}");
}

/// The output pass copies runs of kept records by byte range from plain files and splits
/// gzip input into lines again: both must write the same bytes, whatever the line ends,
/// blank lines, byte order mark, invalid records and a missing final newline.
#[test]
fn output_by_range_equals_output_by_lines() {
    let dir = tempfile::tempdir().unwrap();
    let en = std::fs::read_to_string(fixture("en_feed.jsonl")).unwrap();
    let mut feed = String::from("\u{FEFF}");
    for (i, line) in en.lines().enumerate() {
        feed.push_str(line);
        feed.push_str(match i % 4 {
            0 => "\r\n",
            1 => "\n\n",
            2 => "\n  \n",
            _ => "\n",
        });
        if i == 3 {
            feed.push_str("{\"id\":\"broken\",\"text\":\n");
        }
    }
    feed.push_str(en.lines().next().unwrap()); // a duplicate, without a final newline
    let plain = write(dir.path(), "feed.jsonl", feed.as_bytes());
    let gz = dir.path().join("feed.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut enc, feed.as_bytes()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let run = |input: &Path| dedup_groups(input, &["--skip-invalid", "-q"]).1;
    let (by_range, by_lines) = (run(&plain), run(&gz));
    assert_eq!(by_range, by_lines);
    assert!(
        by_range.contains("\r\n") && !by_range.contains("\n\n") && !by_range.contains("broken")
    );
    assert!(!by_range.starts_with('\u{FEFF}'));
    let kept = by_range.lines().count();
    assert!(kept > 0 && kept < en.lines().count() + 1, "the duplicate was dropped: {kept}");
}

/// The AVX-512 paths (where this machine has them) and the portable ones (`NEARDUP_PORTABLE`)
/// give the same unique records, groups and pairs, byte for byte.
#[test]
fn vector_and_portable_paths_agree() {
    for feed in ["en_feed.jsonl", "mixed_feed.jsonl"] {
        for shingle in ["word:5", "char:5"] {
            let run = |portable: &str| {
                let dir = tempfile::tempdir().unwrap();
                let (groups, pairs) = (dir.path().join("g.jsonl"), dir.path().join("p.jsonl"));
                let out = neardup()
                    .env("NEARDUP_PORTABLE", portable)
                    .arg("dedup")
                    .arg(fixture(feed))
                    .args(["--shingle", shingle, "--threshold", "0.5", "-q"])
                    .arg("--groups")
                    .arg(&groups)
                    .arg("--pairs")
                    .arg(&pairs)
                    .assert()
                    .success()
                    .get_output()
                    .stdout
                    .clone();
                let read = |p: &Path| std::fs::read_to_string(p).unwrap();
                (out, read(&groups), read(&pairs))
            };
            let (vector, portable) = (run("0"), run("1"));
            assert!(!vector.2.is_empty(), "{feed} {shingle}: no pairs to compare");
            assert_eq!(vector, portable, "{feed} {shingle}");
        }
    }
}

/// `--seed`'s help states the seed the code uses when the flag is left out (issue 21: it once
/// stated another, which a store built at defaults then refused).
#[test]
fn seed_help_states_the_default_seed() {
    let out = neardup().args(["dedup", "--help"]).output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    let want = format!("[default: {}]", neardup::shingle::DEFAULT_SEED);
    assert!(help.contains(&want), "{help}");
}

#[test]
fn repeated_ids_are_named_once_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.jsonl");
    std::fs::write(
        &feed,
        concat!(
            r#"{"id":"a","text":"the council approved the new budget for schools"}"#,
            "\n",
            r#"{"id":"b","text":"a storm closed the port for two days"}"#,
            "\n",
            r#"{"id":"a","text":"the council approved the new budget for schools today"}"#,
            "\n",
            r#"{"id":"a","text":"an unrelated line about football results"}"#,
            "\n",
        ),
    )
    .unwrap();
    let out = Command::cargo_bin("neardup")
        .unwrap()
        .arg("dedup")
        .arg(&feed)
        .args(["-o", "/dev/null"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    let warning = "2 records repeat an earlier record's id (first: id \"a\" at ";
    assert_eq!(err.matches(warning).count(), 1, "{err}");
    assert!(err.contains("feed.jsonl:3)"), "{err}");
}
