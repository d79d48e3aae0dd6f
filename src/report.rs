//! A self-contained HTML review page: duplicate groups, restated passages, stories and
//! boilerplate, for a person deciding what to drop or merge.
//!
//! The page has no external assets. Every text block carries its own direction (`dir="rtl"`
//! for Arabic, Hebrew and other right-to-left scripts, from its first strong character, like
//! the Unicode bidi algorithm's paragraph level) and `unicode-bidi: plaintext`, so mixed lines
//! and numbers render correctly. Matching words are wrapped in `<mark>`. A search box, a
//! similarity filter and pagination (50 items a page) keep it usable at 10k groups.

use std::fmt::Write;

use ahash::AHashSet;

use crate::passages::Analyzer;

/// One side of something shown: a document's id and a piece of its text.
#[derive(Clone, Debug)]
pub struct Excerpt {
    /// Document id (as shown).
    pub id: String,
    /// The text shown.
    pub text: String,
}

/// A duplicate group: the kept document and the others with their similarity.
#[derive(Clone, Debug)]
pub struct DupGroup {
    /// The kept document.
    pub kept: Excerpt,
    /// The other members and their similarity to the kept one.
    pub members: Vec<(Excerpt, f64)>,
}

/// Two passages that restate each other.
#[derive(Clone, Debug)]
pub struct Restated {
    /// The similarity.
    pub similarity: f64,
    /// First passage.
    pub a: Excerpt,
    /// Second passage.
    pub b: Excerpt,
    /// Byte spans, for reference.
    pub spans: ((usize, usize), (usize, usize)),
}

/// A story: dated member titles.
#[derive(Clone, Debug)]
pub struct StoryView {
    /// Representative title.
    pub title: String,
    /// Members: (date, id, title).
    pub members: Vec<(String, String, String)>,
}

/// Everything the page shows.
#[derive(Clone, Debug, Default)]
pub struct ReportData {
    /// Duplicate groups.
    pub groups: Vec<DupGroup>,
    /// Restated passages.
    pub restated: Vec<Restated>,
    /// Stories of two or more articles.
    pub stories: Vec<StoryView>,
    /// Boilerplate lines and their counts.
    pub boilerplate: Vec<(String, usize)>,
}

/// True for characters of right-to-left scripts (Hebrew, Arabic, Syriac, Thaana, NKo, …,
/// and the Arabic presentation forms).
fn is_rtl(c: char) -> bool {
    matches!(c, '\u{0590}'..='\u{08FF}' | '\u{FB1D}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}')
}

/// The direction of a paragraph from its first strong character.
pub fn direction(text: &str) -> &'static str {
    match text.chars().find(|c| c.is_alphabetic()) {
        Some(c) if is_rtl(c) => "rtl",
        _ => "ltr",
    }
}

/// HTML-escapes text.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// Escapes `text`, wrapping in `<mark>` each word whose content terms are all in `marked`
/// (stop words have none and are never marked), and returns it as paragraphs with their own
/// direction.
fn marked_paragraphs(text: &str, marked: &AHashSet<u64>, norm: &Analyzer, class: &str) -> String {
    let mut html = String::new();
    for para in text.split('\n').filter(|p| !p.trim().is_empty()) {
        let _ = write!(html, "<p dir=\"{}\" class=\"{class}\">", direction(para));
        let mut first = true;
        for word in para.split(' ') {
            if !first {
                html.push(' ');
            }
            first = false;
            let (terms, _, _) = norm.terms(word);
            if !terms.is_empty() && terms.iter().all(|t| marked.contains(t)) {
                let _ = write!(html, "<mark>{}</mark>", escape(word));
            } else {
                html.push_str(&escape(word));
            }
        }
        html.push_str("</p>");
    }
    html
}

/// The content terms of a text (Arabic-aware normalization, light stemming, no stop words).
fn words(text: &str, norm: &Analyzer) -> AHashSet<u64> {
    norm.terms(text).0.into_iter().collect()
}

const STYLE: &str = "body{font-family:system-ui,'Noto Naskh Arabic','Noto Sans',sans-serif;margin:0;background:#f6f6f4;color:#222}
header{position:sticky;top:0;background:#1f3a5f;color:#fff;padding:.6em 1em;display:flex;gap:1em;align-items:center;flex-wrap:wrap;z-index:2}
header input{padding:.3em;font-size:1em}main{padding:1em;max-width:1400px;margin:auto}
section{margin-bottom:2em}h2{border-bottom:2px solid #1f3a5f}
.item{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.7em;margin:.6em 0}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:1em}.side{border-left:3px solid #bbb;padding-left:.6em}
p{unicode-bidi:plaintext;margin:.3em 0;line-height:1.6}p[dir=rtl]{text-align:right}
mark{background:#ffe08a}mark.diff,.member mark{background:#f7b3b3}
.meta{color:#666;font-size:.85em}.pager button{margin:0 .2em}.hidden{display:none}";

const SCRIPT: &str = "const PAGE=50;const DATA={};
function load(){for(const sec of document.querySelectorAll('section[data-paged]')){
DATA[sec.id]=JSON.parse(sec.querySelector('script.data').textContent).map(([s,h])=>({s:s,h:h,t:null}));}refresh();}
function plain(it){if(it.t===null){const d=document.createElement('div');d.innerHTML=it.h;it.t=d.textContent.toLowerCase();}return it.t;}
function refresh(){const q=document.getElementById('q').value.toLowerCase();const min=parseFloat(document.getElementById('min').value);
document.getElementById('minv').textContent=min.toFixed(2);
for(const sec of document.querySelectorAll('section[data-paged]')){const items=DATA[sec.id]||[];
const shown=items.filter(it=>it.s>=min&&(!q||plain(it).includes(q)));
const pages=Math.max(1,Math.ceil(shown.length/PAGE));const p=Math.min(parseInt(sec.dataset.page||'0'),pages-1);sec.dataset.page=p;
sec.querySelector('.items').innerHTML=shown.slice(p*PAGE,(p+1)*PAGE).map(it=>it.h).join('');
sec.querySelector('.count').textContent=shown.length+' shown, page '+(p+1)+' of '+pages;}}
function page(id,d){const s=document.getElementById(id);s.dataset.page=Math.max(0,parseInt(s.dataset.page||'0')+d);refresh();}
document.addEventListener('DOMContentLoaded',load);";

/// Writes a section: its heading, pager, an empty list the script fills one page at a time,
/// and its items as JSON (`[similarity, html]`), so that the page stays light at 10k items.
fn section(h: &mut String, id: &str, heading: &str, items: &[(f64, String)]) {
    let _ = write!(
        h,
        "<section id=\"{id}\" data-paged><h2>{heading}</h2><div class=\"pager\"><button onclick=\"page('{id}',-1)\">previous</button><button onclick=\"page('{id}',1)\">next</button> <span class=\"count\"></span></div><div class=\"items\"></div><script type=\"application/json\" class=\"data\">"
    );
    let json: Vec<serde_json::Value> =
        items.iter().map(|(s, html)| serde_json::json!([(s * 1e4).round() / 1e4, html])).collect();
    // `</` inside a script element would end it: JSON allows the escaped form.
    h.push_str(&serde_json::to_string(&json).unwrap_or_default().replace("</", "<\\/"));
    h.push_str("</script></section>");
}

/// Renders the page.
pub fn render(data: &ReportData, title: &str) -> String {
    let norm = Analyzer::default();
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style><script>{SCRIPT}</script></head><body>",
        escape(title)
    );
    let _ = write!(
        h,
        "<header><strong>neardup report</strong><span>{} duplicate groups · {} restated passages · {} stories · {} boilerplate lines</span>\
         <input id=\"q\" type=\"search\" placeholder=\"search\" oninput=\"refresh()\">\
         <label>similarity ≥ <input id=\"min\" type=\"range\" min=\"0\" max=\"1\" step=\"0.05\" value=\"0\" oninput=\"refresh()\"> <span id=\"minv\">0</span></label></header><main>",
        data.groups.len(),
        data.restated.len(),
        data.stories.len(),
        data.boilerplate.len()
    );
    let mut items = Vec::new();
    for (i, g) in data.groups.iter().enumerate() {
        let min = g.members.iter().map(|m| m.1).fold(1.0, f64::min);
        let kept_words = words(&g.kept.text, &norm);
        let mut x = format!(
            "<div class=\"item group\"><div class=\"meta\">group {i} · kept <b>{}</b></div><div class=\"kept side\">{}</div>",
            escape(&g.kept.id),
            marked_paragraphs(&g.kept.text, &AHashSet::new(), &norm, "kept")
        );
        for (m, sim) in &g.members {
            // Words the member has and the kept one lacks: its differences.
            let diff: AHashSet<u64> =
                words(&m.text, &norm).difference(&kept_words).copied().collect();
            let _ = write!(
                x,
                "<details class=\"member side\" open><summary class=\"meta\">{} · similarity {sim:.2}</summary>{}</details>",
                escape(&m.id),
                marked_paragraphs(&m.text, &diff, &norm, "member")
            );
        }
        x.push_str("</div>");
        items.push((min, x));
    }
    section(&mut h, "duplicates", "Duplicate groups", &items);

    let items: Vec<(f64, String)> = data
        .restated
        .iter()
        .map(|r| {
            let (wa, wb) = (words(&r.a.text, &norm), words(&r.b.text, &norm));
            let shared: AHashSet<u64> = wa.intersection(&wb).copied().collect();
            let x = format!(
                "<div class=\"item restated\"><div class=\"meta\">similarity {:.2} · {} [{}..{}] ⇄ {} [{}..{}]</div><div class=\"pair\"><div class=\"side a\">{}</div><div class=\"side b\">{}</div></div></div>",
                r.similarity,
                escape(&r.a.id),
                r.spans.0 .0,
                r.spans.0 .1,
                escape(&r.b.id),
                r.spans.1 .0,
                r.spans.1 .1,
                marked_paragraphs(&r.a.text, &shared, &norm, "passage"),
                marked_paragraphs(&r.b.text, &shared, &norm, "passage")
            );
            (r.similarity, x)
        })
        .collect();
    section(&mut h, "restated", "Restated passages", &items);

    let items: Vec<(f64, String)> = data
        .stories
        .iter()
        .map(|s| {
            let mut x = format!(
                "<div class=\"item story\"><p dir=\"{}\"><b>{}</b></p><ol class=\"timeline\">",
                direction(&s.title),
                escape(&s.title)
            );
            for (date, id, title) in &s.members {
                let _ = write!(
                    x,
                    "<li><span class=\"meta\">{} · {}</span> <span dir=\"{}\">{}</span></li>",
                    escape(date),
                    escape(id),
                    direction(title),
                    escape(title)
                );
            }
            x.push_str("</ol></div>");
            (1.0, x)
        })
        .collect();
    section(&mut h, "stories", "Stories", &items);

    let items: Vec<(f64, String)> = data
        .boilerplate
        .iter()
        .map(|(text, count)| {
            (1.0, format!("<div class=\"item bp\"><p dir=\"{}\">{} <span class=\"meta\">× {count}</span></p></div>", direction(text), escape(text)))
        })
        .collect();
    section(&mut h, "boilerplate", "Boilerplate", &items);
    h.push_str("</main></body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direction_and_escaping() {
        assert_eq!(direction("«حفتر» في موسكو"), "rtl");
        assert_eq!(direction("2018 Haftar in Moscow"), "ltr");
        assert_eq!(direction("123 حفتر"), "rtl");
        assert_eq!(escape("<a href='x'>&</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;");
    }

    #[test]
    fn restatements_are_marked() {
        let data = ReportData {
            restated: vec![Restated {
                similarity: 0.6,
                a: Excerpt { id: "d".into(), text: "وصل حفتر إلى موسكو".into() },
                b: Excerpt { id: "d".into(), text: "حفتر يصل موسكو".into() },
                spans: ((0, 10), (20, 30)),
            }],
            ..ReportData::default()
        };
        let html = render(&data, "t");
        assert!(html.contains("<mark>حفتر<\\/mark>") && html.contains("<mark>موسكو<\\/mark>"));
        assert!(html.contains("dir=\\\"rtl\\\""), "{html}");
        assert!(!html.contains("<mark>وصل</mark>"));
    }
}
