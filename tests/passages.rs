//! Restated passages: the seed article's four restatements (issue 3 acceptance) and
//! articles the tuning never saw.

use assert_cmd::Command;
use predicates::prelude::PredicateBooleanExt;
use serde_json::Value;

fn seed_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/000_f93aa94b4d3c9c3a.txt")
}

fn restated(args: &[&str], stdin: Option<&str>) -> Vec<(usize, usize, usize, usize)> {
    let mut cmd = Command::cargo_bin("neardup").unwrap();
    cmd.arg("passages").args(args).args(["--format", "json"]);
    if let Some(s) = stdin {
        cmd.write_stdin(s.to_owned());
    }
    let out = cmd.assert().success().get_output().stdout.clone();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["kind"] == "restated")
        .map(|v| {
            let n = |s: &str, k: &str| v[s][k].as_u64().unwrap() as usize;
            (n("a", "start"), n("a", "end"), n("b", "start"), n("b", "end"))
        })
        .collect()
}

/// True when some reported pair covers the starts of both sentences (in either order).
fn covers(pairs: &[(usize, usize, usize, usize)], text: &str, x: &str, y: &str) -> bool {
    let px = text.find(x).unwrap_or_else(|| panic!("{x} not in text"));
    let py = text.find(y).unwrap_or_else(|| panic!("{y} not in text"));
    let inside = |p: usize, s: usize, e: usize| s <= p && p < e;
    pairs.iter().any(|&(a0, a1, b0, b1)| {
        (inside(px, a0, a1) && inside(py, b0, b1)) || (inside(py, a0, a1) && inside(px, b0, b1))
    })
}

#[test]
fn seed_restatements_issue_3() {
    let text = std::fs::read_to_string(seed_path()).unwrap();
    let pairs = restated(&[seed_path().to_str().unwrap()], None);
    for (x, y) in [
        ("في 29 مايو 2018 ، وافقت الفصائل الليبية", "وفي 29 مايو عام2018، قبلت الأطراف المتنازعة"),
        ("وحضر المؤتمر الأمين العام لجامعة الدول العربية", "وفي المحادثات السابقة،شارك كل من"),
        (
            "ويجب أن يكون الحدث في باليرمو الخطوة التالية",
            "ومن المفترض أن يكون مؤتمر باليرمو الخطوة التالية",
        ),
        ("وأشار المتحدث باسم الكرملين ديمتري بيسكوف", "وفي أكتوبر أعلن المتحدث باسم الكرملين"),
    ] {
        assert!(covers(&pairs, &text, x, y), "missing restatement: {x} / {y}\n{pairs:?}");
    }
    for (x, y) in [
        ("تحاول روسيا انتهاج سياسة", "وكشفت الصحيفة"),
        ("وفي 12-13 نوفمبر، سيعقد مؤتمر دولي", "وأشار المتحدث"),
        ("إن زيارة قائد الجيش", "وقد وصل حفتر إلى موسكو"),
    ] {
        assert!(!covers(&pairs, &text, x, y), "topic-only pair reported: {x} / {y}");
    }
}

#[test]
fn boilerplate_inside_one_document_is_reported_once() {
    let out = Command::cargo_bin("neardup")
        .unwrap()
        .arg("passages")
        .arg(seed_path())
        .args(["--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let bp: Vec<Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["kind"] == "boilerplate")
        .collect();
    assert_eq!(bp.len(), 1);
    assert_eq!(bp[0]["text"], "إقرأ أيضاً");
    assert_eq!(bp[0]["count"], 2);
    assert_eq!(bp[0]["places"].as_array().unwrap().len(), 2);
}

/// An Arabic article written for this test: the budget paragraph comes back later in other
/// words; the other paragraphs only share the topic.
const UNSEEN_AR: &str = "أقر مجلس الوزراء الميزانية العامة للدولة للعام المقبل بإجمالي نفقات يبلغ 1250 مليار ريال، مع التركيز على قطاعات التعليم والصحة والإسكان.

وقال وزير المالية في مؤتمر صحفي إن الحكومة تتوقع نمو الاقتصاد غير النفطي بنسبة 4 في المائة، مشيراً إلى استمرار برامج الدعم للأسر المحتاجة.

وتعتزم الوزارة طرح سندات محلية جديدة خلال الربع الأول لتمويل العجز، بحسب بيان رسمي نشرته وكالة الأنباء.

ومن جهة أخرى، وافق المجلس على ميزانية الدولة للسنة القادمة بنفقات إجمالية قدرها 1250 مليار ريال، وأولى اهتماماً خاصاً بالتعليم والصحة وقطاع الإسكان.

وفي سياق منفصل، افتتح أمير المنطقة معرضاً للكتاب يشارك فيه أكثر من خمسمائة ناشر.";

#[test]
fn unseen_arabic_article() {
    let pairs = restated(&["-"], Some(UNSEEN_AR));
    assert!(
        covers(&pairs, UNSEEN_AR, "أقر مجلس الوزراء الميزانية", "وافق المجلس على ميزانية الدولة"),
        "{pairs:?}"
    );
    assert!(!covers(&pairs, UNSEEN_AR, "وقال وزير المالية", "وتعتزم الوزارة طرح سندات"));
    assert!(!covers(&pairs, UNSEEN_AR, "أقر مجلس الوزراء", "افتتح أمير المنطقة"));
    assert_eq!(pairs.len(), 1, "{pairs:?}");
}

#[test]
fn across_documents_in_a_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("f.jsonl");
    let a = "The port authority said on Monday that container traffic rose by twelve percent in the first quarter, the strongest growth since the terminal opened.\nOfficials expect more ships after the canal is deepened.";
    let b = "Weather forecasters warned of strong winds along the coast this weekend.\nContainer traffic at the port climbed twelve percent in the first quarter, the authority said Monday, its fastest growth since the terminal opened.";
    let c = "The city council approved a new bicycle lane network covering the old town and the university district.";
    let lines: Vec<String> = [("a", a), ("b", b), ("c", c)]
        .iter()
        .map(|(id, t)| serde_json::json!({"id": id, "text": t}).to_string())
        .collect();
    std::fs::write(&feed, lines.join("\n") + "\n").unwrap();
    let out = Command::cargo_bin("neardup")
        .unwrap()
        .arg("passages")
        .arg(&feed)
        .args(["--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let found: Vec<Value> =
        String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let restated: Vec<&Value> = found.iter().filter(|v| v["kind"] == "restated").collect();
    assert_eq!(restated.len(), 1, "{found:?}");
    let r = restated[0];
    assert_eq!((r["a"]["doc"].as_str(), r["b"]["doc"].as_str()), (Some("a"), Some("b")));
    let (s, e) =
        (r["b"]["start"].as_u64().unwrap() as usize, r["b"]["end"].as_u64().unwrap() as usize);
    assert!(b[s..e].starts_with("Container traffic"), "span {s}..{e}");
}

#[test]
fn pairs_scores_labelled_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let pairs = dir.path().join("pairs.jsonl");
    let docs = dir.path().join("docs.jsonl");
    let a = "The central bank raised interest rates by half a point on Tuesday, citing persistent inflation in food and energy prices.";
    let b = "On Tuesday the central bank lifted interest rates by half a point, pointing to persistent inflation in energy and food prices.";
    let c = "A new suspension bridge opened to traffic on Friday, linking the two halves of the old town across the river.";
    std::fs::write(
        &docs,
        [("a", a), ("b", b), ("c", c)]
            .iter()
            .map(|(i, t)| serde_json::json!({"id": i, "text": t}).to_string() + "\n")
            .collect::<String>(),
    )
    .unwrap();
    let lines = [
        serde_json::json!({"id1": "a", "id2": "b", "same": true}),
        serde_json::json!({"id1": "a", "id2": "c", "same": false}),
        serde_json::json!({"id1": "x", "id2": "y", "text1": b, "text2": c, "same": false}),
    ];
    std::fs::write(&pairs, lines.iter().map(|v| v.to_string() + "\n").collect::<String>()).unwrap();
    let out = Command::cargo_bin("neardup")
        .unwrap()
        .args(["pairs", "--measure", "passage", "--label-field", "same", "--pairs"])
        .arg(&pairs)
        .arg("--docs")
        .arg(&docs)
        .assert()
        .success()
        .get_output()
        .clone();
    let scored: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let decisions: Vec<bool> = scored.iter().map(|v| v["decision"].as_bool().unwrap()).collect();
    assert_eq!(decisions, [true, false, false]);
    assert!(scored[0]["similarity"].as_f64().unwrap() > scored[1]["similarity"].as_f64().unwrap());
    assert!(String::from_utf8_lossy(&out.stderr).contains("accuracy 1.0000"));

    // The story measure scores the same pairs by TF-IDF cosine.
    let out = Command::cargo_bin("neardup")
        .unwrap()
        .args(["pairs", "--measure", "story", "--pairs"])
        .arg(&pairs)
        .arg("--docs")
        .arg(&docs)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let story: Vec<Value> =
        String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(story[0]["similarity"].as_f64().unwrap() > story[1]["similarity"].as_f64().unwrap());
    // The default decision is clustering's threshold (cosine 0.25) on the root's scale.
    for v in &story {
        let s = v["similarity"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&s), "{v}");
        assert_eq!(v["decision"].as_bool().unwrap(), s >= 0.5, "{v}");
    }

    // A missing id is an error naming the line.
    std::fs::write(&pairs, "{\"id1\": \"a\", \"id2\": \"zzz\"}\n").unwrap();
    let err = Command::cargo_bin("neardup")
        .unwrap()
        .args(["pairs", "--pairs"])
        .arg(&pairs)
        .arg("--docs")
        .arg(&docs)
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8_lossy(&err).contains(":1:"), "{}", String::from_utf8_lossy(&err));
    Command::cargo_bin("neardup")
        .unwrap()
        .args(["pairs", "--measure", "story", "--pairs"])
        .arg(&pairs)
        .assert()
        .code(2);
}

#[test]
fn the_background_and_its_veto_are_flags() {
    let seed = seed_path();
    let seed = seed.to_str().unwrap();
    // The seed's four restatements under the background (the default) and under its own
    // weights; a veto of 1 leaves none of the pairs the soft Dice accepts.
    assert_eq!(restated(&[seed], None).len(), 4);
    assert_eq!(restated(&[seed, "--no-background"], None).len(), 4);
    assert!(restated(&[seed, "--background-veto", "1"], None).is_empty());
    Command::cargo_bin("neardup")
        .unwrap()
        .args(["passages", seed, "--background-veto", "1.5"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("--background-veto 1.5 is outside [0, 1]"));
}

#[test]
fn a_decision_flag_the_weights_do_not_use_is_named() {
    let seed = seed_path();
    let seed = seed.to_str().unwrap();
    // One Arabic article: the background decides, so --min-similarity (a feed's cut) is
    // unused and said so; --dice-threshold is used (1 leaves no pair); under its own
    // weights (--no-background) the veto is unused.
    let run = |args: &[&str]| {
        let out = Command::cargo_bin("neardup")
            .unwrap()
            .arg("passages")
            .args(args)
            .args(["-o", "/dev/null"])
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stderr).unwrap()
    };
    let e = run(&[seed, "--min-similarity", "0.9"]);
    assert!(e.contains("--min-similarity was set but not used"), "{e}");
    assert!(e.contains("decided under background weights"), "{e}");
    let e = run(&[seed, "--no-background", "--background-veto", "0.5"]);
    assert!(e.contains("--background-veto was set but not used"), "{e}");
    assert!(e.contains("decided under own weights"), "{e}");
    assert!(!run(&[seed]).contains("warning"));
    assert!(restated(&[seed, "--dice-threshold", "1"], None).is_empty());
    // The bundled background's source and licence are in the long help.
    Command::cargo_bin("neardup").unwrap().arg("--help").assert().success().stdout(
        predicates::str::contains("wordfreq")
            .and(predicates::str::contains("Attribution-ShareAlike")),
    );
    // `neardup report` takes the same flags.
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("r.html");
    Command::cargo_bin("neardup")
        .unwrap()
        .args(["report", seed, "--no-background", "--dice-threshold", "1", "-o"])
        .arg(&html)
        .assert()
        .success()
        .stderr(predicates::str::contains("0 restated passages"));
}
