//! Input and output formats through the real binary (issue 23): one feed as JSONL, zstd JSONL,
//! Parquet and a folder of gzip shards gives the same duplicate groups in every command; unique
//! records come out gzip-, zstd- or Parquet-encoded by the output's name; a config file gives
//! what its flags give; bytes of no known kind are a named error.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

fn neardup() -> Command {
    Command::cargo_bin("neardup").unwrap()
}

/// (exit code, stdout, stderr).
fn run(args: &[&std::ffi::OsStr]) -> (i32, Vec<u8>, String) {
    let out = neardup().args(args).output().unwrap();
    (out.status.code().unwrap(), out.stdout, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The feed's records as (id, text) pairs.
fn records(feed: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(feed)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (v["id"].as_str().unwrap().to_owned(), v["text"].as_str().unwrap().to_owned())
        })
        .collect()
}

/// Writes `rows` as a zstd-compressed Parquet file with `id` and `text` columns, in row groups
/// of `group_rows` rows.
#[cfg(feature = "parquet")]
fn write_parquet(path: &Path, rows: &[(String, String)], group_rows: usize) {
    use parquet::basic::Compression;
    use parquet::data_type::{ByteArray, ByteArrayType};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use std::sync::Arc;
    let schema = Arc::new(
        parquet::schema::parser::parse_message_type(
            "message doc { REQUIRED BYTE_ARRAY id (UTF8); REQUIRED BYTE_ARRAY text (UTF8); }",
        )
        .unwrap(),
    );
    let props = Arc::new(
        WriterProperties::builder().set_compression(Compression::ZSTD(Default::default())).build(),
    );
    let file = std::fs::File::create(path).unwrap();
    let mut w = SerializedFileWriter::new(file, schema, props).unwrap();
    for chunk in rows.chunks(group_rows) {
        let mut rg = w.next_row_group().unwrap();
        for col in 0..2 {
            let values: Vec<ByteArray> = chunk
                .iter()
                .map(|(id, text)| {
                    ByteArray::from(if col == 0 { id.as_str() } else { text.as_str() })
                })
                .collect();
            let mut c = rg.next_column().unwrap().unwrap();
            c.typed::<ByteArrayType>().write_batch(&values, None, None).unwrap();
            c.close().unwrap();
        }
        rg.close().unwrap();
    }
    w.close().unwrap();
}

/// The ids of a Parquet file's rows, in order.
#[cfg(feature = "parquet")]
fn parquet_ids(path: &Path) -> Vec<String> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let r = SerializedFileReader::new(std::fs::File::open(path).unwrap()).unwrap();
    r.get_row_iter(None)
        .unwrap()
        .map(|row| row.unwrap().to_json_value()["id"].as_str().unwrap().to_owned())
        .collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// The same feed in each form: (name, path).
fn feed_forms(dir: &Path) -> Vec<(&'static str, PathBuf)> {
    let feed = fixture("mixed_feed.jsonl");
    let bytes = std::fs::read(&feed).unwrap();
    let mut forms = vec![("jsonl", feed.clone())];
    let zst = dir.join("feed.jsonl.zst");
    std::fs::write(&zst, zstd::encode_all(&bytes[..], 3).unwrap()).unwrap();
    forms.push(("jsonl.zst", zst));
    // Shards in sorted path order read as the feed's order: 00/a, 00/b, 01/c (recursively).
    let shards = dir.join("shards");
    let lines: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
    let third = lines.len().div_ceil(3);
    for (i, (sub, name)) in
        [("00", "a.jsonl.gz"), ("00", "b.jsonl.gz"), ("01", "c.jsonl.gz")].into_iter().enumerate()
    {
        std::fs::create_dir_all(shards.join(sub)).unwrap();
        let part: Vec<u8> =
            lines.iter().skip(i * third).take(third).flat_map(|l| *l).copied().collect();
        std::fs::write(shards.join(sub).join(name), gzip(&part)).unwrap();
    }
    // Files that are not feed files are left out of a folder.
    std::fs::write(shards.join("README"), b"not a feed").unwrap();
    std::fs::write(shards.join(".hidden.jsonl"), b"{\"id\":\"hidden\",\"text\":\"x\"}\n").unwrap();
    forms.push(("folder of jsonl.gz", shards));
    #[cfg(feature = "parquet")]
    {
        let pq = dir.join("feed.parquet");
        write_parquet(&pq, &records(&feed), 8);
        forms.push(("parquet", pq));
    }
    forms
}

fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}

#[test]
fn every_form_of_a_feed_gives_the_same_groups() {
    let dir = tempfile::tempdir().unwrap();
    let forms = feed_forms(dir.path());
    assert_eq!(forms.len(), if cfg!(feature = "parquet") { 4 } else { 3 });
    let mut first: Option<(String, String, Vec<u8>)> = None;
    for (name, path) in &forms {
        let groups = dir.path().join("groups.jsonl");
        let pairs = dir.path().join("pairs.jsonl");
        let (code, out, err) = run(&[
            os("dedup"),
            path.as_os_str(),
            os("--groups"),
            groups.as_os_str(),
            os("--pairs"),
            pairs.as_os_str(),
        ]);
        assert_eq!(code, 0, "{name}: {err}");
        let g = std::fs::read_to_string(&groups).unwrap();
        let p = std::fs::read_to_string(&pairs).unwrap();
        assert!(g.lines().count() >= 2, "{name}: the fixture has duplicate groups: {g}");
        assert!(!err.contains("hidden"), "{name}: {err}");
        let ids: Vec<String> = out
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice::<serde_json::Value>(l).unwrap()["id"].to_string())
            .collect();
        match &first {
            None => first = Some((g, p, out)),
            Some((g0, p0, out0)) => {
                assert_eq!(&g, g0, "{name}: groups");
                assert_eq!(&p, p0, "{name}: pairs");
                let ids0: Vec<String> = out0
                    .split(|&b| b == b'\n')
                    .filter(|l| !l.is_empty())
                    .map(|l| {
                        serde_json::from_slice::<serde_json::Value>(l).unwrap()["id"].to_string()
                    })
                    .collect();
                assert_eq!(ids, ids0, "{name}: unique records");
            }
        }
    }
}

#[test]
fn every_command_reads_every_form() {
    let dir = tempfile::tempdir().unwrap();
    let forms = feed_forms(dir.path());
    for cmd in ["passages", "cluster"] {
        let mut first: Option<Vec<u8>> = None;
        for (name, path) in &forms {
            let (code, out, err) = run(&[os(cmd), path.as_os_str(), os("-q")]);
            assert_eq!(code, 0, "{cmd} {name}: {err}");
            assert!(!out.is_empty(), "{cmd} {name}");
            match &first {
                None => first = Some(out),
                Some(o) => assert_eq!(&out, o, "{cmd} {name}"),
            }
        }
    }
    let mut first: Option<Vec<u8>> = None;
    for (i, (name, path)) in forms.iter().enumerate() {
        let store = dir.path().join(format!("store{i}"));
        let (code, out, err) =
            run(&[os("index"), os("add"), path.as_os_str(), os("--store"), store.as_os_str()]);
        assert_eq!(code, 0, "index add {name}: {err}");
        match &first {
            None => first = Some(out),
            Some(o) => assert_eq!(&out, o, "index add {name}"),
        }
        let html = dir.path().join(format!("report{i}.html"));
        let (code, _, err) = run(&[os("report"), path.as_os_str(), os("-o"), html.as_os_str()]);
        assert_eq!(code, 0, "report {name}: {err}");
        assert!(std::fs::metadata(&html).unwrap().len() > 1000, "report {name}");
    }
}

#[test]
fn unique_records_compressed_by_the_output_name() {
    let dir = tempfile::tempdir().unwrap();
    let feed = fixture("mixed_feed.jsonl");
    let (code, plain, err) = run(&[os("dedup"), feed.as_os_str()]);
    assert_eq!(code, 0, "{err}");
    assert!(plain.len() < std::fs::read(&feed).unwrap().len(), "some records are duplicates");
    let gz = dir.path().join("u.jsonl.gz");
    let zst = dir.path().join("u.jsonl.zst");
    for out in [&gz, &zst] {
        let (code, stdout, err) = run(&[os("dedup"), feed.as_os_str(), os("-o"), out.as_os_str()]);
        assert_eq!((code, stdout.len()), (0, 0), "{err}");
    }
    let mut got = Vec::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(&gz).unwrap())
        .read_to_end(&mut got)
        .unwrap();
    assert_eq!(got, plain, "gzip output");
    let got = zstd::decode_all(std::fs::File::open(&zst).unwrap()).unwrap();
    assert_eq!(got, plain, "zstd output");
    // Compressed input (not seekable) to compressed output.
    let zin = dir.path().join("in.jsonl.zst");
    std::fs::write(&zin, zstd::encode_all(&std::fs::read(&feed).unwrap()[..], 3).unwrap()).unwrap();
    let (code, _, err) = run(&[os("dedup"), zin.as_os_str(), os("-o"), gz.as_os_str()]);
    assert_eq!(code, 0, "{err}");
    let mut got = Vec::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(&gz).unwrap())
        .read_to_end(&mut got)
        .unwrap();
    assert_eq!(got, plain, "zstd in, gzip out");
    // A Parquet output needs Parquet input: refused, exit 2.
    let pq = dir.path().join("u.parquet");
    let (code, _, err) = run(&[os("dedup"), feed.as_os_str(), os("-o"), pq.as_os_str()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("Parquet"), "{err}");
}

#[cfg(feature = "parquet")]
#[test]
fn parquet_in_parquet_out_keeps_the_schema_and_the_unique_rows() {
    let dir = tempfile::tempdir().unwrap();
    let feed = fixture("mixed_feed.jsonl");
    let (code, plain, err) = run(&[os("dedup"), feed.as_os_str()]);
    assert_eq!(code, 0, "{err}");
    let unique: Vec<String> = plain
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            serde_json::from_slice::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let pq = dir.path().join("feed.parquet");
    write_parquet(&pq, &records(&feed), 5);
    let out = dir.path().join("unique.parquet");
    let (code, _, err) = run(&[os("dedup"), pq.as_os_str(), os("-o"), out.as_os_str()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(parquet_ids(&out), unique);
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let schema = |p: &Path| {
        SerializedFileReader::new(std::fs::File::open(p).unwrap())
            .unwrap()
            .metadata()
            .file_metadata()
            .schema()
            .clone()
    };
    assert_eq!(schema(&out), schema(&pq));
    // The unique rows' texts are the input's.
    let again = dir.path().join("again.jsonl");
    let (code, _, err) = run(&[os("dedup"), out.as_os_str(), os("-o"), again.as_os_str()]);
    assert_eq!(code, 0, "{err}");
    let texts: Vec<(String, String)> = records(&again);
    let all = records(&feed);
    for (id, text) in &texts {
        assert!(all.iter().any(|(i, t)| i == id && t == text), "{id}");
    }
    assert_eq!(texts.len(), unique.len());
}

#[test]
fn random_bytes_are_a_named_error_in_every_command() {
    let dir = tempfile::tempdir().unwrap();
    // 4 KiB from a fixed-seed xorshift: no known magic, a NUL almost surely.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let bytes: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    let f = dir.path().join("blob.bin");
    std::fs::write(&f, &bytes).unwrap();
    let store = dir.path().join("store");
    let html = dir.path().join("r.html");
    for args in [
        vec![os("dedup"), f.as_os_str()],
        vec![os("passages"), f.as_os_str()],
        vec![os("cluster"), f.as_os_str()],
        vec![os("report"), f.as_os_str(), os("-o"), html.as_os_str()],
        vec![os("index"), os("add"), f.as_os_str(), os("--store"), store.as_os_str()],
    ] {
        let (code, _, err) = run(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains("blob.bin: not a JSONL, text, gzip, zstd or Parquet file"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    // The same bytes behind a gzip or zstd header, and in a folder, are named too.
    let gz = dir.path().join("blob.jsonl.gz");
    std::fs::write(&gz, gzip(&bytes)).unwrap();
    let zst = dir.path().join("blob.zst");
    std::fs::write(&zst, zstd::encode_all(&bytes[..], 1).unwrap()).unwrap();
    for p in [&gz, &zst] {
        let (code, _, err) = run(&[os("dedup"), p.as_os_str()]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("not a JSONL, text, gzip, zstd or Parquet file"), "{err}");
    }
    // A truncated Parquet file (magic, then garbage) is a named Parquet error.
    let pq = dir.path().join("bad.parquet");
    let mut b = b"PAR1".to_vec();
    b.extend_from_slice(&bytes[..100]);
    std::fs::write(&pq, b).unwrap();
    let (code, _, err) = run(&[os("dedup"), pq.as_os_str()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bad.parquet") && !err.contains("panicked"), "{err}");
    // A folder without feed files.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let (code, _, err) = run(&[os("dedup"), empty.as_os_str()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("empty") && err.contains("in this folder"), "{err}");
}

/// (exit code, groups, pairs, stdout) of `neardup dedup FEED ARGS --groups --pairs`.
fn dedup_outputs(dir: &Path, args: &[&str]) -> (i32, String, String, Vec<u8>, String) {
    let groups = dir.join("g.jsonl");
    let pairs = dir.join("p.jsonl");
    let _ = std::fs::remove_file(&groups);
    let _ = std::fs::remove_file(&pairs);
    let mut all: Vec<&std::ffi::OsStr> = vec![os("dedup")];
    all.extend(args.iter().map(|a| os(a)));
    all.extend([os("--groups"), groups.as_os_str(), os("--pairs"), pairs.as_os_str()]);
    let (code, out, err) = run(&all);
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    (code, read(&groups), read(&pairs), out, err)
}

#[test]
fn a_config_file_gives_what_its_flags_give() {
    let dir = tempfile::tempdir().unwrap();
    let feed = fixture("mixed_feed.jsonl");
    let feed = feed.to_str().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, "# nightly\nthreshold = 0.9\ncontainment = 0.95\n").unwrap();
    let cfg = cfg.to_str().unwrap();
    let by_flags =
        dedup_outputs(dir.path(), &[feed, "--threshold", "0.9", "--containment", "0.95"]);
    let by_file = dedup_outputs(dir.path(), &[feed, "--config", cfg]);
    let defaults = dedup_outputs(dir.path(), &[feed]);
    assert_eq!(by_flags.0, 0, "{}", by_flags.4);
    assert_eq!(by_file.0, 0, "{}", by_file.4);
    assert_eq!((&by_file.1, &by_file.2, &by_file.3), (&by_flags.1, &by_flags.2, &by_flags.3));
    // The settings matter on this feed: the defaults (0.5, 0.5) find more pairs.
    assert_ne!(defaults.2, by_flags.2, "the thresholds change the pairs");
    // The command line wins over the file.
    let over = dedup_outputs(dir.path(), &[feed, "--config", cfg, "--threshold", "0.5"]);
    let flags = dedup_outputs(dir.path(), &[feed, "--threshold", "0.5", "--containment", "0.95"]);
    assert_eq!((over.1, over.2), (flags.1, flags.2));
    // Inputs, switches and a global flag from the file; `--config` may come first.
    let cfg2 = dir.path().join("inputs.toml");
    std::fs::write(
        &cfg2,
        format!("inputs = [{feed:?}]\nthreshold = 0.9\ncontainment = 0.95\nno-boilerplate = false\nprogress = true\n"),
    )
    .unwrap();
    let (code, out, err) =
        run(&[os("--config"), cfg2.as_os_str(), os("dedup"), os("--threshold"), os("0.9")]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, by_flags.3);
    // The bundled example config is valid.
    let (code, _, err) =
        run(&[os("dedup"), os(feed), os("--config"), fixture("neardup.toml").as_os_str()]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn config_file_errors_name_the_key_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let feed = fixture("mixed_feed.jsonl");
    for (body, key, what) in [
        ("treshold = 0.9\n", "treshold", "unknown key"),
        ("threshold = \"high\"\n", "threshold", "invalid value"),
        ("threshold = true\n", "threshold", "is a boolean"),
        ("skip-invalid = 1\n", "skip-invalid", "expected true or false"),
        ("store = [\"a\", \"b\"]\n", "store", "is an array"),
        ("text-field = { name = \"x\" }\n", "text-field", "is a table"),
    ] {
        let cfg = dir.path().join("bad.toml");
        std::fs::write(&cfg, body).unwrap();
        let (code, _, err) = run(&[os("dedup"), feed.as_os_str(), os("--config"), cfg.as_os_str()]);
        assert_eq!(code, 2, "{body}: {err}");
        assert!(err.contains("bad.toml") && err.contains(&format!("`{key}`")), "{body}: {err}");
        assert!(err.contains(what), "{body}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // Not TOML; a missing file.
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, "threshold = = 1").unwrap();
    let (code, _, err) = run(&[os("dedup"), feed.as_os_str(), os("--config"), cfg.as_os_str()]);
    assert_eq!(code, 2);
    assert!(err.contains("bad.toml") && err.contains("TOML"), "{err}");
    let missing = dir.path().join("missing.toml");
    let (code, _, err) = run(&[os("dedup"), feed.as_os_str(), os("--config"), missing.as_os_str()]);
    assert_eq!(code, 2);
    assert!(err.contains("missing.toml"), "{err}");
    // A key of another subcommand is unknown here.
    std::fs::write(&cfg, "scope = \"doc\"\n").unwrap();
    let (code, _, err) = run(&[os("dedup"), feed.as_os_str(), os("--config"), cfg.as_os_str()]);
    assert_eq!(code, 2);
    assert!(err.contains("`scope`") && err.contains("neardup dedup"), "{err}");
}

#[test]
fn progress_lines_for_logs_and_quiet() {
    let feed = fixture("mixed_feed.jsonl");
    // stderr is a pipe here: no bars; --progress gives plain lines (the first comes after
    // PROGRESS_LINE_SECS, so a small feed shows none), -q silences the summary too.
    let (code, _, err) = run(&[os("dedup"), feed.as_os_str(), os("--progress")]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains('\r') && !err.contains('\u{1b}'), "{err:?}");
    let (code, _, err) = run(&[os("dedup"), feed.as_os_str(), os("--progress"), os("-q")]);
    assert_eq!((code, err.as_str()), (0, ""));
    // With lines due at every batch: one per pass, records and bytes counted.
    let out = neardup()
        .env("NEARDUP_PROGRESS_SECS", "0")
        .args([os("dedup"), feed.as_os_str(), os("--progress")])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let size = std::fs::metadata(&feed).unwrap().len() as f64 / 1e6;
    for pass in ["boilerplate", "fingerprint"] {
        let line = err.lines().find(|l| l.starts_with(&format!("neardup: {pass}: 21 records")));
        let line = line.unwrap_or_else(|| panic!("{pass}: {err}"));
        assert!(line.contains(&format!("of {size:.1} MB")), "{line}");
    }
    let out = neardup()
        .env("NEARDUP_PROGRESS_SECS", "0")
        .args([os("dedup"), feed.as_os_str(), os("--progress"), os("-q")])
        .output()
        .unwrap();
    assert!(out.stderr.is_empty());
}
