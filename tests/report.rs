//! The review page, rendered in headless Chromium (issue 9): the seed's four restatements are
//! shown with their words marked, Arabic paragraphs are right-to-left, and a screenshot is saved
//! under `target/` as a CI artifact.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;

const CHROMIUM: &str = "/usr/bin/chromium";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn chromium(args: &[&str], url: &Path, profile: &Path) -> Option<String> {
    let out = Process::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", url.display()))
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn render(input: &Path, out: &Path) {
    Command::cargo_bin("neardup")
        .unwrap()
        .arg("report")
        .arg(input)
        .arg("-o")
        .arg(out)
        .assert()
        .success();
}

/// The restated items of a dumped DOM, as their inner HTML.
fn restated_items(dom: &str) -> Vec<&str> {
    dom.split("<div class=\"item restated\"")
        .skip(1)
        .map(|s| s.split("<div class=\"item ").next().unwrap_or(s))
        .collect()
}

fn have_chromium() -> bool {
    if Path::new(CHROMIUM).exists() {
        return true;
    }
    // CI installs Chromium (.ci/run); a developer machine may not have it.
    assert!(std::env::var_os("CI").is_none(), "CI must have {CHROMIUM}");
    eprintln!("skipping: {CHROMIUM} is not installed");
    false
}

#[test]
fn seed_report_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("seed.html");
    render(&root().join("seeds/000_f93aa94b4d3c9c3a.txt"), &html);
    let static_html = std::fs::read_to_string(&html).unwrap();
    assert!(
        !static_html.contains("http://") && !static_html.contains("https://"),
        "no external assets"
    );
    if !have_chromium() {
        return;
    }
    let dom = chromium(&["--dump-dom"], &html, &dir.path().join("profile")).unwrap();
    assert!(dom.contains("shown, page 1 of 1"), "the page's script ran");
    let items = restated_items(&dom);
    for (x, y) in [
        ("وافقت الفصائل الليبية", "قبلت الأطراف المتنازعة"),
        ("وحضر المؤتمر الأمين العام", "وفي المحادثات السابقة"),
        ("ويجب أن يكون الحدث", "ومن المفترض أن يكون"),
        ("وأشار المتحدث باسم", "وفي أكتوبر أعلن"),
    ] {
        let plain = |i: &str| i.replace("<mark>", "").replace("</mark>", "");
        let item = items.iter().find(|i| plain(i).contains(x) && plain(i).contains(y));
        let item = item.unwrap_or_else(|| panic!("restatement {x} / {y} not shown"));
        assert!(item.matches("<mark>").count() >= 10, "restatement {x} / {y} not highlighted");
        assert!(item.contains("<p dir=\"rtl\""), "Arabic passage not right-to-left");
    }
    // The screenshot is kept as a CI artifact.
    let shot = root().join("target/report-seed.png");
    chromium(
        &["--window-size=1400,1800", &format!("--screenshot={}", shot.display())],
        &html,
        &dir.path().join("profile2"),
    );
    assert!(
        std::fs::metadata(&shot).map(|m| m.len() > 10_000).unwrap_or(false),
        "no screenshot at {}",
        shot.display()
    );
}

#[test]
fn mixed_feed_report_directions() {
    let dir = tempfile::tempdir().unwrap();
    let html: PathBuf = dir.path().join("mixed.html");
    render(&root().join("fixtures/mixed_feed.jsonl"), &html);
    if !have_chromium() {
        return;
    }
    let dom = chromium(&["--dump-dom"], &html, &dir.path().join("profile")).unwrap();
    // Arabic paragraphs right-to-left, English ones left-to-right, in the same page.
    let rtl = dom
        .split("<p dir=\"rtl\"")
        .skip(1)
        .filter(|p| p.contains("حفتر") || p.contains("أمطار") || p.contains("امطار"))
        .count();
    let ltr = dom
        .split("<p dir=\"ltr\"")
        .skip(1)
        .filter(|p| p.contains("central bank") || p.contains("Heavy rain"))
        .count();
    assert!(rtl > 0 && ltr > 0, "rtl {rtl} ltr {ltr}");
    assert!(dom.contains("class=\"item group\""), "duplicate groups shown");
    assert!(dom.contains("class=\"item story\""), "stories shown");
    assert!(dom.contains("<mark"), "differences and matches marked");
}

/// The ids of each story the page shows (stories of two or more articles), each sorted.
fn shown_stories(html: &str) -> Vec<Vec<String>> {
    let section = html.split("<section id=\"stories\"").nth(1).expect("a stories section");
    let json = section
        .split("<script type=\"application/json\" class=\"data\">")
        .nth(1)
        .and_then(|s| s.split("</script>").next())
        .expect("the stories' data");
    let items: Vec<(f64, String)> = serde_json::from_str(json).unwrap();
    items
        .iter()
        .map(|(_, item)| {
            let mut ids: Vec<String> = item
                .split("<span class=\"meta\">")
                .skip(1)
                .filter_map(|m| m.split("</span>").next()?.split(" · ").nth(1).map(str::to_owned))
                .collect();
            ids.sort();
            ids
        })
        .collect()
}

/// Issue 20: `report` shows the stories `cluster` writes for one feed (one story pipeline),
/// here a dated feed with titles whose records are out of date order.
#[test]
fn report_shows_the_stories_of_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let all = std::fs::read_to_string(root().join("fixtures/stories.jsonl")).unwrap();
    // The headline as a title field, the rest as text; records in reverse order, so that
    // dates are out of input order.
    let mut lines: Vec<String> = all
        .lines()
        .map(|l| {
            let mut r: serde_json::Value = serde_json::from_str(l).unwrap();
            let text = r["text"].as_str().unwrap().to_owned();
            let (title, body) = text.split_once('\n').unwrap();
            r["title"] = title.into();
            r["text"] = body.into();
            r.to_string()
        })
        .collect();
    lines.reverse();
    // A reprint whose headlines were rewritten (`dedup` finds it on the bodies, not with the
    // titles), its later copy first.
    let body = "The municipality of Jeddah said teams removed the water from eleven tunnels after \
                the heavy rain and traffic returned to normal on the main roads before noon.";
    let reprint = |id: &str, hour: u32, text: &str, title: &str| {
        serde_json::json!({"id": id, "date": format!("2024-01-01T{hour:02}:00:00"),
            "text": text, "title": title})
        .to_string()
    };
    lines.insert(
        0,
        reprint(
            "b",
            9,
            &body.replace("heavy rain", "heavy rains"),
            "Traffic is back to normal in the Red Sea port as pumping teams empty the \
             underpasses that storms had filled with water, officials say, while residents \
             count the damage to their cars and shops",
        ),
    );
    lines.insert(
        7,
        reprint(
            "a",
            8,
            body,
            "Jeddah municipality announces that its emergency crews have finished draining \
             eleven flooded tunnels across the city after two days of heavy rain closed the \
             main roads and stranded hundreds of drivers overnight",
        ),
    );
    let feed = dir.path().join("feed.jsonl");
    std::fs::write(&feed, lines.join("\n") + "\n").unwrap();
    let flags = ["--date-field", "date", "--title-field", "title"];
    let out = Command::cargo_bin("neardup")
        .unwrap()
        .arg("cluster")
        .arg(&feed)
        .args(flags)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let mut from_cluster: Vec<Vec<String>> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| {
            let s: serde_json::Value = serde_json::from_str(l).unwrap();
            let mut ids: Vec<String> = s["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_str().unwrap().to_owned())
                .collect();
            ids.sort();
            ids
        })
        .filter(|m| m.len() > 1)
        .collect();
    let html = dir.path().join("report.html");
    Command::cargo_bin("neardup")
        .unwrap()
        .arg("report")
        .arg(&feed)
        .args(flags)
        .arg("-o")
        .arg(&html)
        .assert()
        .success();
    let mut from_report = shown_stories(&std::fs::read_to_string(&html).unwrap());
    assert!(from_cluster.len() >= 2, "the fixture has stories of several articles");
    from_cluster.sort();
    from_report.sort();
    assert_eq!(from_report, from_cluster);
    assert!(from_report.contains(&vec!["a".to_owned(), "b".to_owned()]), "{from_report:?}");
}
