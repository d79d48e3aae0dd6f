//! `neardup passages`: restated passages inside documents and across a corpus, and the
//! boilerplate lines of the feed.

use std::io::{self, BufWriter, IsTerminal, Write};

use anyhow::{bail, Context, Result};

use super::args::PassagesArgs;
use super::config;
use super::feed::Feed;
use neardup::input::Corpus;
use neardup::passages::{self, Analyzer, BoilerplateRule, PassageParams, Place, Scope};

/// Runs `neardup passages`.
pub fn run(a: &PassagesArgs) -> Result<()> {
    let mut inputs = a.input.inputs.clone();
    if inputs.is_empty() {
        inputs.push("-".into());
    }
    // `--format` names the output format (json, table) or the input format (jsonl, lines, text).
    let mut input = a.input.clone();
    let mut out_format = a.output_format.clone();
    if let Some(f @ ("json" | "table")) = input.format.as_deref() {
        out_format = Some(f.to_owned());
        input.format = None;
    }
    let corpus = Corpus::open(&inputs, config::read_options(&input)?)?;
    let mut feed = Feed::new(&corpus, input.skip_invalid);
    feed.warn = true;
    let mut docs: Vec<(String, String)> = Vec::new();
    feed.pass("reading", |_, batch| {
        for d in batch.iter().flatten() {
            docs.push((d.id_json.to_string(), d.text.to_string()));
        }
        Ok(())
    })?;
    let scope = match a.scope.as_deref() {
        None if docs.len() > 1 => "corpus",
        None => "doc",
        Some(s @ ("doc" | "corpus")) => s,
        Some(s) => bail!("--scope {s:?}: expected doc or corpus"),
    };
    let format = match out_format.as_deref() {
        None if io::stdout().is_terminal() => "table",
        None => "json",
        Some(f @ ("json" | "table")) => f,
        Some(f) => bail!("--format {f:?}: expected json or table"),
    };
    if !(a.threshold > 0.0 && a.threshold <= 1.0) {
        bail!("--threshold {} is outside (0, 1]", a.threshold);
    }
    if !(0.0..=1.0).contains(&a.background_veto) {
        bail!("--background-veto {} is outside [0, 1]", a.background_veto);
    }
    if !(0.0..=1.0).contains(&a.min_similarity) {
        bail!("--min-similarity {} is outside [0, 1]", a.min_similarity);
    }
    let analyzer = Analyzer::new(PassageParams {
        threshold: a.threshold,
        min_similarity: a.min_similarity,
        min_terms: a.min_terms,
        headlines: a.headlines,
        background: !a.no_background,
        background_veto: a.background_veto,
        ..PassageParams::default()
    });

    let texts: Vec<&str> = docs.iter().map(|d| d.1.as_str()).collect();
    let scope = if scope == "corpus" { Scope::Corpus } else { Scope::Doc };
    let rule =
        BoilerplateRule { min_docs: a.boilerplate_min_docs, max_chars: a.boilerplate_max_chars };
    let report = passages::find(&analyzer, &texts, scope, rule);
    let (found, boiler) = (&report.restated, &report.boilerplate);

    let stdout = io::stdout();
    let mut w: Box<dyn Write> = match &a.output {
        Some(p) => Box::new(BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(BufWriter::new(stdout.lock())),
    };
    let id = |doc: u32| docs[doc as usize].0.as_str();
    let place =
        |p: &Place| format!("{{\"doc\":{},\"start\":{},\"end\":{}}}", id(p.doc), p.start, p.end);
    if format == "json" {
        let text = |p: &Place| &docs[p.doc as usize].1[p.start..p.end];
        let pairs: Vec<(&str, &str)> = found.iter().map(|r| (text(&r.a), text(&r.b))).collect();
        let all = analyzer.aligned_pairs(&pairs);
        // Each record is made in one buffer, kept from record to record, then written.
        let mut line: Vec<u8> = Vec::new();
        let mut aligned: Vec<[&str; 2]> = Vec::new();
        let put_place = |line: &mut Vec<u8>, p: &Place| {
            write!(line, "{{\"doc\":{},\"start\":{},\"end\":{}}}", id(p.doc), p.start, p.end)
        };
        for (k, r) in found.iter().enumerate() {
            line.clear();
            aligned.clear();
            aligned.extend(all.pair(k).map(|(a, b, _)| [a, b]));
            write!(
                line,
                "{{\"kind\":\"{}\",\"match\":\"{}\",\"similarity\":{:.4},\"a\":",
                r.kind.name(),
                r.matched.name(),
                r.similarity,
            )?;
            put_place(&mut line, &r.a)?;
            line.extend_from_slice(b",\"b\":");
            put_place(&mut line, &r.b)?;
            line.extend_from_slice(b",\"evidence\":");
            r.evidence.write_json(&mut line)?;
            line.extend_from_slice(b",\"aligned\":");
            serde_json::to_writer(&mut line, &aligned)?;
            line.extend_from_slice(b"}\n");
            w.write_all(&line)?;
        }
        for b in boiler {
            let places: Vec<String> = b.places.iter().map(place).collect();
            writeln!(
                w,
                "{{\"kind\":\"boilerplate\",\"text\":{},\"count\":{},\"places\":[{}]}}",
                serde_json::to_string(&b.text)?,
                b.count,
                places.join(",")
            )?;
        }
    } else {
        for r in found {
            let ta = &docs[r.a.doc as usize].1[r.a.start..r.a.end];
            let tb = &docs[r.b.doc as usize].1[r.b.start..r.b.end];
            writeln!(
                w,
                "── {} {:.2}  {} [{}..{}]  ⇄  {} [{}..{}]",
                r.kind.name(),
                r.similarity,
                id(r.a.doc),
                r.a.start,
                r.a.end,
                id(r.b.doc),
                r.b.start,
                r.b.end
            )?;
            side_by_side(&mut w, ta, tb, 58)?;
        }
        for b in boiler {
            writeln!(w, "── boilerplate ×{}: \u{2068}{}\u{2069}", b.count, b.text)?;
        }
    }
    w.flush()?;
    if !a.quiet {
        eprintln!(
            "neardup: {} documents, {} restated passage pairs ({} in-article, {} cross-article), {} boilerplate lines",
            docs.len(),
            report.in_article() + report.cross_article(),
            report.in_article(),
            report.cross_article(),
            boiler.len()
        );
    }
    Ok(())
}

/// Wraps `text` to lines of at most `width` characters, at spaces where possible.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let n = line.chars().count();
        if n > 0 && n + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}

/// Two texts in columns. Each cell is a first-strong isolate (U+2068 … U+2069), so a
/// right-to-left cell keeps its own direction without reordering its neighbour.
fn side_by_side(w: &mut dyn Write, a: &str, b: &str, width: usize) -> io::Result<()> {
    let (la, lb) = (wrap(a, width), wrap(b, width));
    for i in 0..la.len().max(lb.len()) {
        let x = la.get(i).map_or("", String::as_str);
        let y = lb.get(i).map_or("", String::as_str);
        let pad = width.saturating_sub(x.chars().count());
        writeln!(w, "\u{2068}{x}\u{2069}{}  │  \u{2068}{y}\u{2069}", " ".repeat(pad))?;
    }
    Ok(())
}
