//! Issue 8: the Timely/Differential path gives exactly the single-machine answer, with three
//! processes on 127.0.0.1.
#![cfg(feature = "distributed")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_neardup")
}

/// A generated feed: families of near-duplicates (word edits at several rates, some trimmed
/// into a longer article), unrelated documents, a shared footer line, an empty document.
fn corpus(dir: &Path, n_families: usize) -> PathBuf {
    let mut rng = neardup::naive::SplitMix(42);
    let vocab: Vec<String> = (0..3000).map(|i| format!("w{i}")).collect();
    let word = |rng: &mut neardup::naive::SplitMix| vocab[(rng.next() % 3000) as usize].clone();
    let mut docs: Vec<String> = Vec::new();
    for f in 0..n_families {
        let base: Vec<String> = (0..120).map(|_| word(&mut rng)).collect();
        docs.push(base.join(" "));
        for rate in [2u64, 5, 10, 20, 35][..(f % 5 + 1)].iter() {
            let v: Vec<String> = base
                .iter()
                .map(|w| if rng.next() % 100 < *rate { word(&mut rng) } else { w.clone() })
                .collect();
            let mut text = v.join(" ");
            if rng.next().is_multiple_of(3) {
                text.push_str("\nFollow us on Telegram and WhatsApp for the latest news");
            }
            docs.push(text);
        }
        if f % 6 == 1 {
            // A release of sentences and its rewrite (each sentence's end reordered): few
            // shingles in common, every sentence a counterpart: the rewrite route.
            let sentences: Vec<Vec<String>> =
                (0..12).map(|_| (0..10).map(|_| word(&mut rng)).collect()).collect();
            let release: Vec<String> = sentences.iter().map(|s| s.join(" ") + ".").collect();
            let rewrite: Vec<String> = sentences
                .iter()
                .map(|s| {
                    let mut r = s[..5].to_vec();
                    r.extend(s[5..].iter().rev().cloned());
                    r.join(" ") + "."
                })
                .collect();
            docs.push(release.join(" "));
            docs.push(rewrite.join(" "));
        }
        if f % 10 == 3 {
            // A template report (words of letters only, so that its figures are its own) and,
            // inside longer articles, the same report (a containment duplicate) and the
            // report of another day, with other figures: not a duplicate.
            let letters = |rng: &mut neardup::naive::SplitMix| -> String {
                let x = rng.next() % 5000;
                [x % 26, x / 26 % 26, x / 676].iter().map(|&c| char::from(b'a' + c as u8)).collect()
            };
            let template: Vec<String> = (0..60).map(|_| letters(&mut rng)).collect();
            let report = |figures: [&str; 3]| {
                let mut t = template.clone();
                for (i, f) in figures.iter().enumerate() {
                    t.insert(10 + 20 * i, (*f).to_owned());
                }
                t.join(" ")
            };
            let long = |rng: &mut neardup::naive::SplitMix, body: String| {
                let lead: Vec<String> = (0..150).map(|_| letters(rng)).collect();
                let tail: Vec<String> = (0..100).map(|_| letters(rng)).collect();
                format!("{} {body} {}", lead.join(" "), tail.join(" "))
            };
            let monday = report(["1467", "194.792", "584.376"]);
            let tuesday = report(["1554", "209.020", "627.06"]);
            docs.push(monday.clone());
            docs.push(long(&mut rng, monday));
            docs.push(long(&mut rng, tuesday));
        }
        if f.is_multiple_of(4) {
            // The family's text inside a longer article: a containment duplicate.
            let extra: Vec<String> = (0..200).map(|_| word(&mut rng)).collect();
            docs.push(format!("{} {}", base[..100].join(" "), extra.join(" ")));
        }
    }
    docs.push(String::new());
    // Shuffle so that families spread over every shard.
    for i in (1..docs.len()).rev() {
        docs.swap(i, (rng.next() % (i as u64 + 1)) as usize);
    }
    let path = dir.join("feed.jsonl");
    let mut text = String::new();
    for (i, d) in docs.iter().enumerate() {
        text.push_str(&serde_json::json!({"id": format!("doc-{i}"), "text": d}).to_string());
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// Starts `n` processes made by `make(i)` at once and checks that all succeed.
fn run_all(n: usize, make: impl Fn(usize) -> Command) {
    let children: Vec<_> = (0..n)
        .map(|i| {
            make(i)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        check(&c.wait_with_output().unwrap());
    }
}

fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<_> =
        (0..n).map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap()).collect();
    listeners.iter().map(|l| l.local_addr().unwrap().port()).collect()
}

/// Writes a host file of `n` free loopback ports at `path`.
fn write_hosts(path: &Path, n: usize) {
    let ports = free_ports(n);
    std::fs::write(path, ports.iter().map(|p| format!("127.0.0.1:{p}\n")).collect::<String>())
        .unwrap();
}

fn check(out: &Output) {
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `dedup` on `procs` processes of `workers` workers; returns the groups file of process 0
/// and the concatenated parts.
fn distributed(
    dir: &Path,
    feed: &Path,
    procs: usize,
    workers: usize,
    extra: &[&str],
) -> (String, Vec<String>) {
    let hosts = dir.join(format!("hosts-{procs}x{workers}"));
    write_hosts(&hosts, procs);
    let out = dir.join(format!("out-{procs}x{workers}"));
    let groups = dir.join(format!("groups-{procs}x{workers}"));
    run_all(procs, |i| {
        let mut c = Command::new(bin());
        c.arg("dedup")
            .arg(feed)
            .args(["--hosts"])
            .arg(&hosts)
            .args(["--process-id", &i.to_string(), "--workers", &workers.to_string(), "-o"])
            .arg(&out)
            .arg("--groups")
            .arg(&groups)
            .args(extra);
        c
    });
    let mut lines = Vec::new();
    for w in 0..procs * workers {
        let part = std::fs::read_to_string(format!("{}.part-{w:03}", out.display())).unwrap();
        let manifest: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(format!("{}.part-{w:03}.json", out.display())).unwrap(),
        )
        .unwrap();
        assert_eq!(manifest["unique_records"].as_u64().unwrap() as usize, part.lines().count());
        lines.extend(part.lines().map(str::to_owned));
    }
    (std::fs::read_to_string(groups).unwrap(), lines)
}

fn single(dir: &Path, feed: &Path, extra: &[&str]) -> (String, Vec<String>) {
    let groups = dir.join("groups-single");
    let out = Command::new(bin())
        .arg("dedup")
        .arg(feed)
        .arg("--groups")
        .arg(&groups)
        .args(extra)
        .output()
        .unwrap();
    check(&out);
    let lines = String::from_utf8(out.stdout).unwrap().lines().map(str::to_owned).collect();
    (std::fs::read_to_string(groups).unwrap(), lines)
}

/// The library engine in one process with three workers, against the single-machine engine on
/// the same texts (issue 22): the same groups, kept documents and similarities, at the default
/// flags (borderline pairs settled exactly) and with estimates only; the input as one file cut
/// into byte ranges and as four files.
#[test]
fn dataflow_in_one_process_gives_the_engine_groups() {
    use neardup::dataflow::{self, DedupJob, Placement, Watch};
    use neardup::dedup::{DedupConfig, Engine, Keep};
    use neardup::input::{Corpus, ReadOptions};
    use neardup::verify::VerifyMode;
    let dir = tempfile::tempdir().unwrap();
    let feed = corpus(dir.path(), 120);
    let text = std::fs::read_to_string(&feed).unwrap();
    let texts: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["text"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    // Four files of unequal length, in order.
    let lines: Vec<&str> = text.lines().collect();
    let mut files = Vec::new();
    for (i, chunk) in lines.chunks(lines.len() / 4 + 7).enumerate() {
        let p = dir.path().join(format!("part{i}.jsonl"));
        std::fs::write(&p, chunk.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
        files.push(p);
    }
    for verify in [VerifyMode::Auto, VerifyMode::Estimate] {
        let config = DedupConfig { verify, ..DedupConfig::default() };
        let engine = Engine::new(config.clone()).unwrap();
        let (res, want) = engine.dedup_texts(&refs).unwrap();
        assert!(want.len() > 50, "the corpus must have groups");
        // Each template report is found inside the article that carries its figures, never
        // inside the one of other figures: the figures travel with the signatures.
        let with = |f: &str| -> Vec<u32> {
            (0..refs.len() as u32).filter(|&i| refs[i as usize].contains(f)).collect()
        };
        let (monday, other) = (with("584.376"), with("627.06"));
        let short: Vec<u32> =
            monday.iter().copied().filter(|&i| refs[i as usize].len() < 600).collect();
        assert_eq!((short.len(), other.len()), (12, 12));
        let paired = |a: u32, b: u32| res.pairs.iter().any(|p| (p.a, p.b) == (a.min(b), a.max(b)));
        for &s in &short {
            assert!(monday.iter().any(|&c| c != s && paired(s, c)), "{verify:?}: copy of {s}");
            assert!(other.iter().all(|&o| !paired(s, o)), "{verify:?}: {s} and another day");
        }
        if verify == VerifyMode::Auto {
            assert!(!res.settled.is_empty(), "some pairs must be settled exactly");
        }
        for inputs in [vec![feed.clone()], files.clone()] {
            let corpus =
                std::sync::Arc::new(Corpus::open(&inputs, ReadOptions::default()).unwrap());
            let out = dir.path().join("lib-out");
            let job = DedupJob {
                config: config.clone(),
                keep: Keep::First,
                skip_invalid: false,
                output: Some(out.clone()),
            };
            let outcome =
                dataflow::dedup(&Placement::local(3), &Watch::default(), corpus, &job).unwrap();
            let got = outcome.groups.clone().unwrap();
            assert_eq!(got, want, "{verify:?}, {} inputs", inputs.len());
            let mut pairs = res.pairs.clone();
            pairs.sort_by_key(|p| (p.a, p.b));
            assert_eq!(outcome.pairs.clone().unwrap(), pairs, "{verify:?}");
            let stats = outcome.stats.unwrap();
            assert_eq!(stats.settled as usize, res.settled.len());
            assert_eq!(stats.candidates as usize, res.candidates);
            // The parts, in worker order, are the single machine's unique records.
            let removed: std::collections::BTreeSet<u32> = want
                .iter()
                .flat_map(|g| g.members.iter().map(|m| m.0).filter(move |&m| m != g.kept))
                .collect();
            let unique: String = lines
                .iter()
                .enumerate()
                .filter(|(i, _)| !removed.contains(&(*i as u32)))
                .map(|(_, l)| format!("{l}\n"))
                .collect();
            let parts: String = (0..3)
                .map(|w| std::fs::read_to_string(format!("{}.part-{w:03}", out.display())).unwrap())
                .collect();
            assert_eq!(parts, unique, "{verify:?}, {} inputs", inputs.len());
        }
    }
}

/// Issue 22's acceptance: three processes on loopback at the default flags (borderline pairs
/// settled where their documents are) give exactly the single-machine groups, and their parts,
/// in worker order, are the single machine's output byte for byte.
#[test]
fn three_processes_give_the_single_machine_groups() {
    let dir = tempfile::tempdir().unwrap();
    let feed = corpus(dir.path(), 120);
    // The corpus holds rewrites that only the sentence route finds.
    let pairs = dir.path().join("pairs.jsonl");
    let out = Command::new(bin())
        .arg("dedup")
        .arg(&feed)
        .args(["-q", "-o", "/dev/null", "--pairs"])
        .arg(&pairs)
        .output()
        .unwrap();
    check(&out);
    let rewrites = std::fs::read_to_string(&pairs).unwrap().matches("\"coverage\"").count();
    assert!(rewrites >= 10, "{rewrites} pairs found on their sentences");
    for flags in [&[][..], &["--verify", "estimate"][..]] {
        let (want_groups, want_lines) = single(dir.path(), &feed, flags);
        assert!(want_groups.lines().count() > 50, "the corpus must have groups: {want_groups}");
        for (procs, workers) in [(3, 1), (1, 2)] {
            let (groups, lines) = distributed(dir.path(), &feed, procs, workers, flags);
            assert_eq!(groups, want_groups, "{procs} x {workers} {flags:?}");
            assert_eq!(lines, want_lines, "{procs} x {workers} {flags:?}: the same unique records");
        }
    }
}

/// A process that never connects stops the others with an error naming it, well within a
/// minute, and no output appears.
#[test]
fn a_missing_process_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let feed = corpus(dir.path(), 5);
    let hosts = dir.path().join("hosts");
    write_hosts(&hosts, 3);
    let out = dir.path().join("out");
    let started = std::time::Instant::now();
    let children: Vec<_> = (0..2)
        .map(|i| {
            Command::new(bin())
                .arg("dedup")
                .arg(&feed)
                .arg("--hosts")
                .arg(&hosts)
                .args(["--process-id", &i.to_string(), "-o"])
                .arg(&out)
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains("process 2") && !err.contains("panicked"), "{err}");
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(45));
    assert!(!dir.path().join("out.part-000").exists());
}

/// A process killed in the middle of a run (held after its fingerprint pass, then killed):
/// the others stop within 30 s with an error naming it, and no output appears.
#[test]
fn a_process_killed_mid_run_is_named() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let feed = corpus(dir.path(), 20);
    let hosts = dir.path().join("hosts");
    write_hosts(&hosts, 3);
    let out = dir.path().join("out");
    let groups = dir.path().join("groups");
    let mut children: Vec<_> = (0..3)
        .map(|i| {
            let mut c = Command::new(bin());
            c.arg("dedup")
                .arg(&feed)
                .arg("--hosts")
                .arg(&hosts)
                .args(["--process-id", &i.to_string(), "-o"])
                .arg(&out)
                .arg("--groups")
                .arg(&groups)
                .stderr(std::process::Stdio::piped());
            if i == 1 {
                c.env("NEARDUP_FAULT_PAUSE", "fingerprint");
            }
            c.spawn().unwrap()
        })
        .collect();
    // Process 1 says when it holds; it is killed then, in the middle of the run.
    let mut held = std::io::BufReader::new(children[1].stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("paused after fingerprint") {
        line.clear();
        assert!(held.read_line(&mut line).unwrap() > 0, "process 1 ended before it held");
    }
    children[1].kill().unwrap();
    let killed = std::time::Instant::now();
    let _ = children[1].wait();
    for (i, c) in children.into_iter().enumerate().filter(|(i, _)| *i != 1) {
        let o = c.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "process {i}: {err}");
        assert!(err.contains("process 1") && !err.contains("panicked"), "process {i}: {err}");
    }
    assert!(killed.elapsed() < std::time::Duration::from_secs(30), "{:?}", killed.elapsed());
    for name in ["out.part-000", "out.part-002", "out.part-000.json", "groups"] {
        assert!(!dir.path().join(name).exists(), "{name} must not appear");
    }
}

#[test]
fn processes_that_disagree_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let feed = corpus(dir.path(), 5);
    let hosts = dir.path().join("hosts");
    write_hosts(&hosts, 2);
    let run = |i: usize, threshold: &str| {
        Command::new(bin())
            .arg("dedup")
            .arg(&feed)
            .arg("--hosts")
            .arg(&hosts)
            .args([
                "--process-id",
                &i.to_string(),
                "--verify",
                "estimate",
                "--threshold",
                threshold,
            ])
            .arg("-o")
            .arg(dir.path().join("out"))
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (run(0, "0.5"), run(1, "0.6"));
    for c in [a, b] {
        let out = c.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("disagree") && !err.contains("panicked"), "{err}");
    }
    // A bad host file is named.
    std::fs::write(&hosts, "127.0.0.1\n").unwrap();
    let out = Command::new(bin())
        .arg("dedup")
        .arg(&feed)
        .arg("--hosts")
        .arg(&hosts)
        .args(["--verify", "estimate", "-o", "/dev/null"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected host:port"));
}

/// `cluster --hosts` on three processes writes exactly the single-machine stories (English,
/// Arabic and mixed feeds).
#[test]
fn three_processes_give_the_single_machine_stories() {
    let dir = tempfile::tempdir().unwrap();
    let stories = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join("stories.jsonl");
    let arabic = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join("ar_feed.jsonl");
    let mixed = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join("mixed_feed.jsonl");
    let generated = corpus(dir.path(), 60);
    for (feed, extra) in [
        (stories.as_path(), &["--date-field", "date"][..]),
        // Arabic: the stemmer's lexicon is counted across the processes as on one machine.
        (arabic.as_path(), &["--title-field", "title"][..]),
        (mixed.as_path(), &[][..]),
        (stories.as_path(), &["--date-field", "date", "--window", "2d"][..]),
        (generated.as_path(), &[][..]),
    ] {
        let single = Command::new(bin()).arg("cluster").arg(feed).args(extra).output().unwrap();
        check(&single);
        assert!(!single.stdout.is_empty());
        let hosts = dir.path().join("hosts");
        write_hosts(&hosts, 3);
        let out = dir.path().join("stories.jsonl");
        let _ = std::fs::remove_file(&out);
        run_all(3, |i| {
            let mut c = Command::new(bin());
            c.arg("cluster")
                .arg(feed)
                .args(extra)
                .arg("--hosts")
                .arg(&hosts)
                .args(["--process-id", &i.to_string(), "-o"])
                .arg(&out);
            c
        });
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            String::from_utf8(single.stdout).unwrap(),
            "{feed:?} {extra:?}"
        );
    }
}

/// `cluster --hosts` reads each process's own piece of a feed: a malformed record in the last
/// piece stops every process with the input and its true line number, and under
/// `--skip-invalid` the stories are the single machine's.
#[test]
fn cluster_on_hosts_names_a_bad_line_of_its_piece() {
    let dir = tempfile::tempdir().unwrap();
    let good = corpus(dir.path(), 20);
    let text = std::fs::read_to_string(&good).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let bad_line = lines.len() - 3; // 1-based line of the malformed record, in the last piece
    let mut feed = String::new();
    for (i, l) in lines.iter().enumerate() {
        if i + 1 == bad_line {
            feed.push_str("{\"id\": \"broken\", \"text\": \n");
        }
        feed.push_str(l);
        feed.push('\n');
    }
    let path = dir.path().join("bad.jsonl");
    std::fs::write(&path, feed).unwrap();
    let hosts = dir.path().join("hosts");
    write_hosts(&hosts, 3);
    let out = dir.path().join("stories.jsonl");
    let spawn = |i: usize, extra: &[&str]| {
        Command::new(bin())
            .arg("cluster")
            .arg(&path)
            .args(["--no-dedup", "--hosts"])
            .arg(&hosts)
            .args(["--process-id", &i.to_string(), "-o"])
            .arg(&out)
            .args(extra)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let children: Vec<_> = (0..3).map(|i| spawn(i, &[])).collect();
    let where_ = format!("bad.jsonl:{bad_line}:");
    for c in children {
        let o = c.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(&where_), "{where_} not in {err}");
    }
    assert!(!out.exists(), "no stories are written after an error");
    run_all(3, |i| {
        let mut c = Command::new(bin());
        c.arg("cluster")
            .arg(&path)
            .args(["--no-dedup", "--skip-invalid", "--hosts"])
            .arg(&hosts)
            .args(["--process-id", &i.to_string(), "-o"])
            .arg(&out);
        c
    });
    let single = Command::new(bin())
        .arg("cluster")
        .arg(&path)
        .args(["--no-dedup", "--skip-invalid"])
        .output()
        .unwrap();
    check(&single);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), String::from_utf8(single.stdout).unwrap());
}
