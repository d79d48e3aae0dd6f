//! `neardup passages`: restated passages inside documents and across a corpus, and the
//! boilerplate lines of the feed.

use std::io::{self, BufWriter, IsTerminal, Write};

use anyhow::{bail, Context, Result};

use super::args::{PassageFlags, PassagesArgs};
use super::config;
use super::feed::Feed;
use neardup::input::Corpus;
use neardup::passages::{self, Analyzer, BoilerplateRule, PassageParams, Place, Scope, Weights};

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
    let (analyzer, rule) = matching(&a.matching)?;
    let texts: Vec<&str> = docs.iter().map(|d| d.1.as_str()).collect();
    let scope = if scope == "corpus" { Scope::Corpus } else { Scope::Doc };
    let report = passages::find(&analyzer, &texts, scope, rule);
    warn_unused(&a.matching, report.weights);
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
            "neardup: {} documents, {} restated passage pairs ({} in-article, {} cross-article), {} boilerplate lines; decided under {} weights",
            docs.len(),
            report.in_article() + report.cross_article(),
            report.in_article(),
            report.cross_article(),
            boiler.len(),
            report.weights.name()
        );
    }
    Ok(())
}

/// The analyzer and boilerplate rule of the matching flags, checked.
pub(super) fn matching(f: &PassageFlags) -> Result<(Analyzer, BoilerplateRule)> {
    let params = PassageParams {
        threshold: f.threshold,
        min_similarity: f.min_similarity,
        dice_threshold: f.dice_threshold,
        min_terms: f.min_terms,
        headlines: f.headlines,
        background: !f.no_background,
        background_veto: f.background_veto,
        ..PassageParams::default()
    };
    // The library's check, its field named as the flag.
    match params.validate() {
        Err(neardup::Error::InvalidParam { name, reason }) => {
            bail!("--{} {reason}", name.replace('_', "-"))
        }
        other => other?,
    }
    let analyzer = Analyzer::new(params);
    let rule =
        BoilerplateRule { min_docs: f.boilerplate_min_docs, max_chars: f.boilerplate_max_chars };
    Ok((analyzer, rule))
}

/// A warning for each decision flag set away from its default that the run's term weights
/// did not use (`--min-similarity` applies to a feed, `--background-veto` to one Arabic
/// article or a few, `--dice-threshold` to small inputs).
pub(super) fn warn_unused(f: &PassageFlags, weights: Weights) {
    let d = PassageParams::default();
    let unused = [
        ("--min-similarity", f.min_similarity != d.min_similarity, weights != Weights::Feed),
        (
            "--background-veto",
            f.background_veto != d.background_veto,
            weights != Weights::Background,
        ),
        ("--dice-threshold", f.dice_threshold != d.dice_threshold, weights == Weights::Feed),
    ];
    for (name, set, idle) in unused {
        if set && idle {
            eprintln!(
                "neardup: warning: {name} was set but not used: the pairs were decided under {} weights",
                weights.name()
            );
        }
    }
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
