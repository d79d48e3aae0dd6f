//! Hostile input through the real binary: each case has a defined result, never a panic.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn neardup() -> Command {
    Command::cargo_bin("neardup").unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// (exit code, stdout, stderr) of `neardup dedup FILE ARGS`.
fn dedup(file: &Path, args: &[&str]) -> (i32, String, String) {
    let out = neardup().arg("dedup").arg(file).args(args).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const GOOD: &str = "{\"id\":\"ok\",\"text\":\"a perfectly ordinary document about the weather\"}\n";

#[test]
fn invalid_utf8_forms_are_named_errors() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bad) in [
        ("lone continuation", &b"\x80abc"[..]),
        ("overlong", &b"\xc0\xafabc"[..]),
        ("surrogate", &b"\xed\xa0\x80abc"[..]),
    ] {
        let mut bytes = GOOD.as_bytes().to_vec();
        bytes.extend_from_slice(b"{\"id\":\"x\",\"text\":\"");
        bytes.extend_from_slice(bad);
        bytes.extend_from_slice(b"\"}\n");
        let f = write(dir.path(), "f.jsonl", &bytes);
        let (code, _, err) = dedup(&f, &[]);
        assert_eq!(code, 2, "{name}");
        assert!(err.contains("f.jsonl:2") && err.contains("UTF-8"), "{name}: {err}");
        let (code, out, err) = dedup(&f, &["--skip-invalid"]);
        assert_eq!((code, out.as_str()), (0, GOOD), "{name}");
        assert!(err.contains("1 invalid skipped"), "{name}: {err}");
        assert_eq!(err.matches("warning: skipped").count(), 1, "{name}: {err}");
        // Without boilerplate detection there is no line-counting pass: the fingerprint pass
        // warns and counts instead, once.
        let (code, out, err) = dedup(&f, &["--skip-invalid", "--no-boilerplate"]);
        assert_eq!((code, out.as_str()), (0, GOOD), "{name}");
        assert!(err.contains("1 invalid skipped"), "{name}: {err}");
        assert_eq!(err.matches("warning: skipped").count(), 1, "{name}: {err}");
    }
}

#[test]
fn malformed_json_shapes() {
    let dir = tempfile::tempdir().unwrap();
    // Deep nesting in the text field itself; deep nesting in a field neardup does not read is
    // skipped without recursion and the record is valid (see below).
    let deep = format!("{{\"text\":{}1{}}}", "[".repeat(10_000), "]".repeat(10_000));
    for (name, bad) in [
        ("duplicate text key", "{\"text\":\"a\",\"text\":\"b\"}".to_owned()),
        ("deeply nested", deep),
        ("null text", "{\"text\":null}".to_owned()),
        ("array text", "{\"text\":[\"a\"]}".to_owned()),
        ("not an object", "\"just a string\"".to_owned()),
    ] {
        let f = write(dir.path(), "f.jsonl", format!("{GOOD}{bad}\n").as_bytes());
        let (code, _, err) = dedup(&f, &[]);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(err.contains("f.jsonl:2"), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
}

#[test]
fn deep_nesting_in_an_unread_field_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!(
        "{{\"text\":\"a text\",\"deep\":{}1{}}}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let f = write(dir.path(), "f.jsonl", deep.as_bytes());
    let (code, out, err) = dedup(&f, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, deep);
}

#[test]
fn odd_but_valid_texts_pass_through() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        "nul\u{0}bytes\u{0}inside a sentence about the harbour",
        "\u{202E}bidi override\u{202C} and \u{2067}isolates\u{2069} in the harbour story",
        "zero\u{200D}width\u{200C}joiners in a harbour story",
        // Unlike the others, by its words too: two texts sharing two of three word 3-grams are
        // duplicates by containment.
        "e\u{301}\u{302}\u{303} combining sequences near the docks",
        "mixed scripts: harbour الميناء 港口 гавань",
        "\u{064E}\u{064F}\u{0650}\u{0651}\u{0652}",
        "\u{0640}\u{0640}\u{0640}\u{0640}",
    ];
    let mut text = String::new();
    for (i, c) in cases.iter().enumerate() {
        text.push_str(&serde_json::json!({"id": i, "text": c}).to_string());
        text.push('\n');
    }
    let f = write(dir.path(), "f.jsonl", text.as_bytes());
    let (code, out, err) = dedup(&f, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), cases.len(), "all unique, all passed through: {err}");
    assert!(err.contains("2 empty"), "only harakat or only tatweel normalize to nothing: {err}");
}

#[test]
fn duplicate_ids_are_kept_apart() {
    let dir = tempfile::tempdir().unwrap();
    let a = "The council approved the harbour budget after a long debate on Monday evening in the city hall.";
    let b =
        "A new museum of modern art opened downtown with works by local painters and sculptors.";
    let text = format!(
        "{}\n{}\n",
        serde_json::json!({"id": "same", "text": a}),
        serde_json::json!({"id": "same", "text": b})
    );
    let f = write(dir.path(), "f.jsonl", text.as_bytes());
    let (code, out, _) = dedup(&f, &[]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 2, "two different documents that share an id are both unique");
}

#[test]
fn a_huge_single_line_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    // 200 MB on one line: refused (--max-doc-bytes), read without holding it all, or skipped.
    let f = dir.path().join("huge.jsonl");
    {
        use std::io::Write;
        let mut w = std::io::BufWriter::new(std::fs::File::create(&f).unwrap());
        w.write_all(b"{\"id\":\"huge\",\"text\":\"").unwrap();
        let chunk = "word ".repeat(200_000);
        for _ in 0..200 {
            w.write_all(chunk.as_bytes()).unwrap();
        }
        w.write_all(b"\"}\n").unwrap();
        w.write_all(GOOD.as_bytes()).unwrap();
    }
    let (code, _, err) = dedup(&f, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("huge.jsonl:1") && err.contains("max-doc-bytes"), "{err}");
    let (code, out, _) = dedup(&f, &["--skip-invalid"]);
    assert_eq!((code, out.as_str()), (0, GOOD));
}

#[test]
fn many_one_word_documents() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::with_capacity(30 << 20);
    for i in 0..1_000_000u32 {
        text.push('w');
        text.push_str(&(i % 1000).to_string());
        text.push('\n');
    }
    let f = write(dir.path(), "words.lines", text.as_bytes());
    let out = neardup()
        .arg("dedup")
        .arg(&f)
        .args(["-o", "/dev/null"])
        .assert()
        .success()
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8_lossy(&out);
    // 1000 distinct words: every later copy is an exact duplicate of the first.
    assert!(
        err.contains("1000000 documents") && err.contains("999000 duplicates in 1000 groups"),
        "{err}"
    );
}

/// Records end at `\n` (or `\r\n`); a lone `\r` is inside a record. In a `lines` file it stays in
/// the document (and ends a line for boilerplate and passages); between two JSON records it
/// is trailing garbage after the first, named by file and line.
#[test]
fn lone_carriage_returns() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "cr.lines",
        b"first doc about the harbour budget\rsecond line of it\nanother doc about storms\r\n",
    );
    let (code, out, err) = dedup(&f, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "first doc about the harbour budget\rsecond line of it\nanother doc about storms\r\n"
    );
    assert!(err.contains("2 documents"), "{err}");
    let f = write(dir.path(), "cr.jsonl", b"{\"text\":\"a harbour story\"}\r{\"text\":\"b\"}\n");
    let (code, _, err) = dedup(&f, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("cr.jsonl:1") && err.contains("malformed JSON"), "{err}");
}
