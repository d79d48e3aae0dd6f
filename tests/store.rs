//! The signature store: round trips, parameters, locking, corruption, compatibility, crashes.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use assert_cmd::Command;
use neardup::error::{Error, StoreError};
use neardup::store::{verify_dir, SignatureStore};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

fn neardup() -> Command {
    Command::cargo_bin("neardup").unwrap()
}

fn add(store: &Path, input: &Path) -> String {
    let out = neardup()
        .args(["index", "add", "--store"])
        .arg(store)
        .arg(input)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

fn lines(s: &str) -> Vec<Value> {
    s.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// `neardup index query` of `input` against `store`, which must succeed: its output lines.
fn query(store: &Path, input: &Path) -> Vec<Value> {
    let out = neardup()
        .args(["index", "query", "--store"])
        .arg(store)
        .arg(input)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    lines(&String::from_utf8(out).unwrap())
}

#[test]
fn add_then_query_round_trips_and_groups_stay_stable() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    add(&store, &fixture("en_feed.jsonl"));
    let s = SignatureStore::open(&store).unwrap();
    assert_eq!(s.len(), 12);
    // Every stored document is found again by a query with the same feed.
    // Issue 23: each input document once, its own stored copy among its matches (similarity
    // 1), and the other members of its story with their real, lower similarity.
    let docs = query(&store, &fixture("en_feed.jsonl"));
    assert_eq!(docs.len(), 12, "each input document once: {docs:?}");
    let mut stories = std::collections::BTreeSet::new();
    let mut below_one = 0;
    for d in &docs {
        let matches = d["matches"].as_array().unwrap();
        let own = matches.iter().find(|m| m["id"] == d["id"] && m["stored"] == true);
        let own = own.unwrap_or_else(|| panic!("{d}"));
        assert!(own["similarity"].as_f64().unwrap() > 0.99, "{d}");
        stories.insert(own["group"].as_u64().unwrap());
        for m in matches.iter().filter(|m| m["id"] != d["id"]) {
            let s = m["similarity"].as_f64().unwrap();
            assert!((0.5..=1.0).contains(&s), "{d}");
            below_one += usize::from(s < 0.9999);
        }
        let sims: Vec<f64> = matches.iter().map(|m| m["similarity"].as_f64().unwrap()).collect();
        assert!(sims.windows(2).all(|w| w[0] >= w[1]), "best first: {d}");
    }
    assert_eq!(stories.len(), 7, "one group per stored story: {docs:?}");
    assert!(below_one > 0, "reprints are scored, not all 1.0: {docs:?}");
    // A reprint added the next night joins its story's group id.
    let night2 = dir.path().join("night2.jsonl");
    let rates = std::fs::read_to_string(fixture("en_feed.jsonl"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .replace("\"en-rates\"", "\"en-rates-night2\"");
    std::fs::write(&night2, rates + "\n").unwrap();
    let report = lines(&add(&store, &night2));
    assert_eq!(report.len(), 1);
    let first_group = query(&store, &fixture("en_feed.jsonl"))
        .into_iter()
        .find(|d| d["id"] == "en-rates")
        .unwrap()["matches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "en-rates")
        .unwrap()["group"]
        .clone();
    assert_eq!(report[0]["group"], first_group);
    assert_eq!(SignatureStore::open(&store).unwrap().len(), 13);
}

#[test]
fn parameter_mismatch_is_refused_naming_both_values() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    add(&store, &fixture("en_feed.jsonl"));
    let err = neardup()
        .args(["index", "add", "--shingle", "char:5", "--store"])
        .arg(&store)
        .arg(fixture("ar_feed.jsonl"))
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(err).unwrap();
    assert!(err.contains("char:5") && err.contains("word:3"), "{err}");
    assert_eq!(SignatureStore::open(&store).unwrap().len(), 12, "nothing was added");
}

#[test]
fn a_second_writer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    add(&store, &fixture("en_feed.jsonl"));
    let holder = neardup::store::StoreWriter::open(&store, None).unwrap();
    let err = neardup()
        .args(["index", "add", "--store"])
        .arg(&store)
        .arg(fixture("ar_feed.jsonl"))
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(
        String::from_utf8_lossy(&err).contains("another writer"),
        "{}",
        String::from_utf8_lossy(&err)
    );
    // Readers are not blocked by the writer.
    query(&store, &fixture("ar_feed.jsonl"));
    drop(holder);
    // The lock dies with the last copy of its file descriptor. Another test of this binary that
    // spawns a process while `holder` was open hands the child a copy until the child's exec
    // closes it (close-on-exec), which on a loaded machine can outlive the drop above: retry
    // for a while, and fail only if the lock is never released.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let out = neardup()
            .args(["index", "add", "--store"])
            .arg(&store)
            .arg(fixture("ar_feed.jsonl"))
            .output()
            .unwrap();
        if out.status.success() {
            break;
        }
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            err.contains("another writer") && std::time::Instant::now() < deadline,
            "the lock was not released after the writer was dropped: {err}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn segment_of(store: &Path) -> PathBuf {
    store.join("seg-000001.nds")
}

fn fresh_store(dir: &Path) -> PathBuf {
    let store = dir.join("store");
    add(&store, &fixture("en_feed.jsonl"));
    store
}

#[test]
fn each_corruption_has_its_own_error() {
    let dir = tempfile::tempdir().unwrap();

    let store = fresh_store(&dir.path().join("magic"));
    let seg = segment_of(&store);
    let mut b = std::fs::read(&seg).unwrap();
    b[0] ^= 0xff;
    std::fs::write(&seg, &b).unwrap();
    assert!(matches!(SignatureStore::open(&store), Err(Error::Store(StoreError::BadMagic { .. }))));

    let store = fresh_store(&dir.path().join("version"));
    let seg = segment_of(&store);
    let mut b = std::fs::read(&seg).unwrap();
    b[8..12].copy_from_slice(&99u32.to_le_bytes());
    b[12..16].copy_from_slice(&99u32.to_le_bytes());
    std::fs::write(&seg, &b).unwrap();
    assert!(matches!(
        SignatureStore::open(&store),
        Err(Error::Store(StoreError::UnsupportedVersion { found: 99, .. }))
    ));

    let store = fresh_store(&dir.path().join("truncated"));
    let seg = segment_of(&store);
    let b = std::fs::read(&seg).unwrap();
    std::fs::write(&seg, &b[..b.len() - 100]).unwrap();
    assert!(matches!(
        SignatureStore::open(&store),
        Err(Error::Store(StoreError::Truncated { .. }))
    ));

    let store = fresh_store(&dir.path().join("flipped"));
    let seg = segment_of(&store);
    let mut b = std::fs::read(&seg).unwrap();
    let mid = b.len() / 2;
    b[mid] ^= 0x01;
    std::fs::write(&seg, &b).unwrap();
    let checks = verify_dir(&store).unwrap();
    let damaged: Vec<_> = checks.iter().filter(|c| c.problem.is_some()).collect();
    assert_eq!(damaged.len(), 1);
    assert_eq!(damaged[0].path, seg);
    assert!(matches!(damaged[0].problem, Some(Error::Store(StoreError::ChecksumMismatch { .. }))));
    let out = neardup()
        .args(["index", "verify", "--store"])
        .arg(&store)
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    assert!(String::from_utf8_lossy(&out).contains("DAMAGED"));

    let store = fresh_store(&dir.path().join("manifest"));
    let man = store.join("MANIFEST");
    let mut b = std::fs::read(&man).unwrap();
    let mid = b.len() / 2;
    b[mid] ^= 0x01;
    std::fs::write(&man, &b).unwrap();
    assert!(matches!(
        SignatureStore::open(&store),
        Err(Error::Store(StoreError::ChecksumMismatch { .. }))
    ));
}

/// A store written by format version 1, committed in `fixtures/store_v1/` (made with
/// `neardup index add --store fixtures/store_v1 fixtures/en_feed.jsonl`), must open and answer
/// in every later release.
#[test]
fn committed_v1_store_still_opens() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("store_v1");
    std::fs::create_dir(&copy).unwrap();
    for e in std::fs::read_dir(fixture("store_v1")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), copy.join(e.file_name())).unwrap();
    }
    assert!(verify_dir(&copy).unwrap().iter().all(|c| c.problem.is_none()));
    let s = SignatureStore::open(&copy).unwrap();
    assert_eq!(s.len(), 12);
    let docs = query(&copy, &fixture("en_feed.jsonl"));
    assert_eq!(docs.len(), 12);
    // Made before the rolling hash scheme (id 2), the store keeps hashing by its own (id 1):
    // the queried feed matches every stored story, and documents added now still do.
    assert_eq!(s.params().hash_id, 1);
    let mut stories = std::collections::BTreeSet::new();
    for d in &docs {
        let matches = d["matches"].as_array().unwrap();
        let own = matches.iter().find(|m| m["stored"] == true && m["id"] == d["id"]);
        stories.insert(own.unwrap_or_else(|| panic!("{d}"))["group"].as_u64().unwrap());
    }
    assert_eq!(stories.len(), 7);
    drop(s);
    let report = add(&copy, &fixture("en_feed.jsonl"));
    let added = lines(&report);
    assert!(
        !added.is_empty()
            && added.iter().all(|g| g["members"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["stored"] == true)),
        "{report}"
    );
    assert_eq!(SignatureStore::open(&copy).unwrap().params().hash_id, 1);
    // `index stats` tells the version of the data stored, not the binary's: the old segments
    // stay version 1 beside the new one.
    let stats = |store: &Path| -> Value {
        let out = neardup().args(["index", "stats", "--store"]).arg(store).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let st = stats(&copy);
    assert_eq!(st["format_version"], 1, "{st}");
    let versions = st["segment_format_versions"].as_object().unwrap();
    assert!(versions["1"].as_u64().unwrap() >= 1, "{st}");
    assert_eq!(versions["2"], 1, "{st}");
}

#[test]
fn remove_and_compact() {
    let dir = tempfile::tempdir().unwrap();
    let store = fresh_store(dir.path());
    add(&store, &fixture("ar_feed.jsonl"));
    assert_eq!(SignatureStore::open(&store).unwrap().segments().len(), 2);
    neardup()
        .args(["index", "remove", "--store"])
        .arg(&store)
        .args(["en-rates", "ar-visit"])
        .assert()
        .success();
    assert_eq!(SignatureStore::open(&store).unwrap().len(), 19);
    neardup().args(["index", "compact", "--store"]).arg(&store).assert().success();
    let s = SignatureStore::open(&store).unwrap();
    assert_eq!((s.len(), s.segments().len(), s.manifest().removed.len()), (19, 1, 0));
    let files: Vec<String> = std::fs::read_dir(&store)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.iter().filter(|f| f.ends_with(".nds")).count(), 1, "{files:?}");
}

/// Kills `index add` with SIGKILL at random moments, 50 times, and checks that the store
/// opens, verifies, and holds every batch whose `add` returned, each whole; a batch whose add
/// was killed is either absent or whole (it may have committed just before the kill).
#[test]
fn sigkill_loop_never_loses_or_tears_a_batch() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let mut rng = neardup::naive::SplitMix(77);
    let mut returned = Vec::new();
    let mut killed = Vec::new();
    let words = [
        "harbour", "budget", "storm", "vaccine", "league", "museum", "strike", "bridge", "harvest",
        "court",
    ];
    for batch in 0..50u64 {
        let feed = dir.path().join(format!("b{batch}.jsonl"));
        let mut text = String::new();
        for i in 0..200 {
            let body: Vec<&str> = (0..40).map(|_| words[(rng.next() % 10) as usize]).collect();
            text.push_str(
                &serde_json::json!({"id": format!("b{batch}-{i}"), "text": body.join(" ")})
                    .to_string(),
            );
            text.push('\n');
        }
        std::fs::write(&feed, text).unwrap();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_neardup"))
            .args(["index", "add", "--no-containment", "--threshold", "0.99", "--store"])
            .arg(&store)
            .arg(&feed)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let wait_ms = rng.next() % 40;
        std::thread::sleep(std::time::Duration::from_millis(wait_ms));
        match child.try_wait().unwrap() {
            Some(status) => {
                assert!(status.success());
                returned.push(batch);
            }
            None => {
                child.kill().unwrap();
                let status = child.wait().unwrap();
                if status.success() {
                    returned.push(batch);
                } else {
                    killed.push(batch);
                }
            }
        }
    }
    assert!(
        !killed.is_empty() && !returned.is_empty(),
        "kills {} returns {}",
        killed.len(),
        returned.len()
    );
    if !store.join("MANIFEST").exists() {
        assert!(returned.is_empty());
        return;
    }
    assert!(verify_dir(&store).unwrap().iter().all(|c| c.problem.is_none()));
    let s = SignatureStore::open(&store).unwrap();
    let mut per_batch = std::collections::BTreeMap::new();
    for seg in s.segments() {
        for d in 0..seg.len() {
            let id: String = serde_json::from_str(seg.id_json(d)).unwrap();
            let b: u64 = id[1..id.find('-').unwrap()].parse().unwrap();
            *per_batch.entry(b).or_insert(0) += 1;
        }
    }
    for b in &returned {
        assert_eq!(
            per_batch.get(b),
            Some(&200),
            "batch {b} returned but is not whole in the store"
        );
    }
    for (b, n) in &per_batch {
        assert_eq!(*n, 200, "batch {b} is torn");
        assert!(returned.contains(b) || killed.contains(b));
    }
}

#[test]
fn dedup_against_history() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let feed = fixture("en_feed.jsonl");
    let first = neardup()
        .arg("dedup")
        .arg(&feed)
        .arg("--store")
        .arg(&store)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let plain = neardup().arg("dedup").arg(&feed).assert().success().get_output().stdout.clone();
    assert_eq!(
        first.split(|&b| b == b'\n').count(),
        plain.split(|&b| b == b'\n').count(),
        "same unique count as without a store"
    );
    // The second night everything is already known.
    let second = neardup()
        .arg("dedup")
        .arg(&feed)
        .arg("--store")
        .arg(&store)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(second.is_empty(), "{}", String::from_utf8_lossy(&second));
    // Only the unique documents were stored, once.
    assert_eq!(
        SignatureStore::open(&store).unwrap().len(),
        String::from_utf8(first).unwrap().lines().count()
    );
}

/// A full disk, simulated with a file-size limit (`ulimit -f`, SIGXFSZ ignored so that the
/// write fails with EFBIG): `index add` stops with a clear error and exit code 2, and the store
/// stays at its previous commit, readable and verified.
#[test]
fn a_full_disk_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = fresh_store(dir.path());
    let before = SignatureStore::open(&store).unwrap().len();
    // A batch whose segment needs more than the 64 KiB limit.
    let big = dir.path().join("big.jsonl");
    let mut text = String::new();
    let mut rng = neardup::naive::SplitMix(3);
    let words = ["harbour", "budget", "storm", "vaccine", "league", "museum", "strike", "bridge"];
    for i in 0..400 {
        let body: Vec<&str> = (0..60).map(|_| words[(rng.next() % 8) as usize]).collect();
        text.push_str(
            &serde_json::json!({"id": format!("big-{i}"), "text": body.join(" ")}).to_string(),
        );
        text.push('\n');
    }
    std::fs::write(&big, text).unwrap();
    let script = format!(
        "trap '' XFSZ; ulimit -f 64; exec {} index add --store {} {}",
        env!("CARGO_BIN_EXE_neardup"),
        store.display(),
        big.display()
    );
    let out = std::process::Command::new("bash").args(["-c", &script]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("neardup: error") && err.to_lowercase().contains("too large"), "{err}");
    assert!(verify_dir(&store).unwrap().iter().all(|c| c.problem.is_none()));
    assert_eq!(SignatureStore::open(&store).unwrap().len(), before);
    // The next writer cleans up what the failed one left, and works.
    add(&store, &fixture("ar_feed.jsonl"));
    let leftovers: Vec<String> = std::fs::read_dir(&store)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A segment file deleted behind the store's back: every command names the missing file and
/// exits 2; a writer refuses to commit over it, so the manifest is not touched.
#[test]
fn a_deleted_segment_is_named_and_nothing_is_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let store = fresh_store(dir.path());
    let manifest = std::fs::read(store.join("MANIFEST")).unwrap();
    std::fs::remove_file(segment_of(&store)).unwrap();
    assert!(SignatureStore::open(&store).is_err());
    for args in [&["index", "query", "--store"][..], &["index", "add", "--store"][..]] {
        let out = neardup()
            .args(args)
            .arg(&store)
            .arg(fixture("ar_feed.jsonl"))
            .assert()
            .code(2)
            .get_output()
            .stderr
            .clone();
        let err = String::from_utf8_lossy(&out);
        assert!(err.contains("seg-000001.nds"), "{args:?}: {err}");
    }
    let out = neardup().args(["index", "verify", "--store"]).arg(&store).assert().code(2);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned()
        + &String::from_utf8_lossy(&out.get_output().stderr);
    assert!(text.contains("seg-000001.nds"), "{text}");
    assert_eq!(std::fs::read(store.join("MANIFEST")).unwrap(), manifest);
}

/// A LOCK file left by a writer that was killed holds no lock (flock dies with its process):
/// the next writer proceeds.
#[test]
fn a_stale_lock_file_does_not_block() {
    let dir = tempfile::tempdir().unwrap();
    let store = fresh_store(dir.path());
    // `-o`: the lock stays with flock itself, not with the sleep it runs.
    let mut holder = std::process::Command::new("flock")
        .arg("-o")
        .arg(store.join("LOCK"))
        .args(["sleep", "30"])
        .spawn()
        .expect("flock(1) from util-linux");
    // While the lock is held, a writer is refused...
    let mut refused = false;
    for _ in 0..50 {
        let out = neardup()
            .args(["index", "add", "--store"])
            .arg(&store)
            .arg(fixture("ar_feed.jsonl"))
            .output()
            .unwrap();
        if out.status.code() == Some(2)
            && String::from_utf8_lossy(&out.stderr).contains("another writer")
        {
            refused = true;
            break;
        }
        // flock may not have taken the lock yet; the add went through. Start over.
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(refused, "a held lock must refuse a second writer");
    // ...and once its holder is killed, the file stays but the lock is gone.
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert!(store.join("LOCK").exists());
    let before = SignatureStore::open(&store).unwrap().len();
    add(&store, &fixture("mixed_feed.jsonl"));
    assert!(SignatureStore::open(&store).unwrap().len() > before);
}

/// A store the writer may not write (a read-only directory): queries still answer, a writer
/// fails with an error naming the path, and the store is as it was. Root ignores permissions,
/// so as root the command runs as `nobody` (setpriv); elsewhere the directory is made read-only.
#[test]
fn a_read_only_store_answers_queries_and_refuses_writes() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let store = fresh_store(dir.path());
    let before = SignatureStore::open(&store).unwrap().len();
    let manifest = std::fs::read(store.join("MANIFEST")).unwrap();
    let root = std::process::Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    let set_mode = |p: &Path, mode: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    set_mode(dir.path(), 0o755);
    for e in std::fs::read_dir(&store).unwrap() {
        set_mode(&e.unwrap().path(), 0o444);
    }
    set_mode(&store, 0o555);
    let input = dir.path().join("in.jsonl");
    std::fs::copy(fixture("ar_feed.jsonl"), &input).unwrap();
    set_mode(&input, 0o644);
    let run = |cmd: &str| {
        let mut c = std::process::Command::new(if root { "setpriv" } else { "env" });
        if root {
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]);
        }
        c.arg(env!("CARGO_BIN_EXE_neardup"))
            .args(["index", cmd, "--store"])
            .arg(&store)
            .arg(&input)
            .output()
            .unwrap()
    };
    let q = run("query");
    assert!(q.status.success(), "query: {}", String::from_utf8_lossy(&q.stderr));
    let a = run("add");
    let err = String::from_utf8_lossy(&a.stderr);
    assert_eq!(a.status.code(), Some(2), "{err}");
    assert!(err.contains(&*store.to_string_lossy()) && !err.contains("panicked"), "{err}");
    set_mode(&store, 0o755);
    assert_eq!(std::fs::read(store.join("MANIFEST")).unwrap(), manifest);
    assert_eq!(SignatureStore::open(&store).unwrap().len(), before);
    assert!(verify_dir(&store).unwrap().iter().all(|c| c.problem.is_none()));
}

/// A stored template report is found inside a later article that carries it with its figures,
/// and not inside the report of another day, with other figures: the store keeps each
/// document's figures beside its signature (format version 2).
#[test]
fn a_stored_report_is_no_match_for_another_days_figures() {
    let mut x = 7u64;
    let mut word = move || -> String {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let v = (x >> 33) % 5000;
        [v % 26, v / 26 % 26, v / 676].iter().map(|&c| char::from(b'a' + c as u8)).collect()
    };
    let template: Vec<String> = (0..60).map(|_| word()).collect();
    let report = |figures: [&str; 3]| {
        let mut t = template.clone();
        for (i, f) in figures.iter().enumerate() {
            t.insert(10 + 20 * i, (*f).to_owned());
        }
        t.join(" ")
    };
    let mut long = |body: String| {
        let lead: Vec<String> = (0..150).map(|_| word()).collect();
        let tail: Vec<String> = (0..100).map(|_| word()).collect();
        format!("{} {body} {}", lead.join(" "), tail.join(" "))
    };
    let monday = report(["1467", "194.792", "584.376"]);
    let (copy, tuesday) = (long(monday.clone()), long(report(["1554", "209.020", "627.06"])));
    let dir = tempfile::tempdir().unwrap();
    let feed = |name: &str, docs: &[(&str, &str)]| {
        let p = dir.path().join(name);
        let text: String = docs
            .iter()
            .map(|(id, t)| serde_json::json!({"id": id, "text": t}).to_string() + "\n")
            .collect();
        std::fs::write(&p, text).unwrap();
        p
    };
    let store = dir.path().join("store");
    add(&store, &feed("night1.jsonl", &[("monday", &monday)]));
    let docs = query(&store, &feed("night2.jsonl", &[("copy", &copy), ("tuesday", &tuesday)]));
    let matches = |id: &str| -> Vec<String> {
        let d = docs.iter().find(|d| d["id"] == id).unwrap_or_else(|| panic!("{id}: {docs:?}"));
        d["matches"].as_array().unwrap().iter().map(|m| m["id"].to_string()).collect()
    };
    assert_eq!(matches("copy"), vec!["\"monday\"".to_owned()], "{docs:?}");
    assert!(matches("tuesday").is_empty(), "{docs:?}");
}
