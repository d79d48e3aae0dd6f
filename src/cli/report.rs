//! `neardup report`: the review page.

use anyhow::{bail, Context, Result};

use super::args::ReportArgs;
use super::feed::{Feed, StoryReader};
use neardup::dedup::{DedupConfig, Engine};
use neardup::passages::{self, Kind, Scope};
use neardup::report::{render, DupGroup, Excerpt, ReportData, Restated, StoryView};
use neardup::stories::{StoryParams, StoryPipeline};

/// Runs `neardup report`.
pub fn run(a: &ReportArgs) -> Result<()> {
    let corpus = super::feed::open_corpus(&a.input)?;
    let mut feed = Feed::new(&corpus, a.input.skip_invalid);
    feed.warn = true;
    // (id as shown, text, date)
    let mut docs: Vec<(String, String, String)> = Vec::new();
    feed.pass("reading", |_, batch| {
        for d in batch.iter().flatten() {
            let id = serde_json::from_str::<String>(&d.id_json)
                .unwrap_or_else(|_| d.id_json.to_string());
            docs.push((id, d.text.to_string(), d.date.as_deref().unwrap_or("").to_owned()));
        }
        Ok(())
    })?;
    let texts: Vec<&str> = docs.iter().map(|d| d.1.as_str()).collect();
    let excerpt = |i: usize| Excerpt { id: docs[i].0.clone(), text: docs[i].1.clone() };

    // Duplicates.
    let engine = Engine::new(DedupConfig::default())?;
    let (_, dup_groups) = engine.dedup_texts(&texts)?;
    let groups = dup_groups
        .iter()
        .map(|g| DupGroup {
            kept: excerpt(g.kept as usize),
            members: g
                .members
                .iter()
                .filter(|m| m.0 != g.kept)
                .map(|&(m, s)| (excerpt(m as usize), s))
                .collect(),
        })
        .collect();

    // Restated passages and boilerplate.
    let (analyzer, rule) = super::passages::matching(&a.matching)?;
    let scope = if docs.len() > 1 { Scope::Corpus } else { Scope::Doc };
    let report = passages::find(&analyzer, &texts, scope, rule);
    super::passages::warn_unused(&a.matching, report.weights);
    let (found, boiler) = (&report.restated, &report.boilerplate);
    let restated = found
        .iter()
        .filter(|r| r.kind == Kind::Restated)
        .map(|r| Restated {
            similarity: r.similarity,
            a: Excerpt {
                id: docs[r.a.doc as usize].0.clone(),
                text: texts[r.a.doc as usize][r.a.start..r.a.end].to_owned(),
            },
            b: Excerpt {
                id: docs[r.b.doc as usize].0.clone(),
                text: texts[r.b.doc as usize][r.b.start..r.b.end].to_owned(),
            },
            spans: ((r.a.start, r.a.end), (r.b.start, r.b.end)),
        })
        .collect();

    // Stories of two or more articles: the story pipeline `cluster` runs, at its defaults
    // (the feed read again: bodies fingerprinted for near-duplicates, titles weighted as
    // titles, time order and time as evidence when dated), so that the page shows the
    // stories `cluster` writes.
    let stories = StoryPipeline::new(StoryParams::default())
        .run(&mut StoryReader::new(&corpus, a.input.skip_invalid).quiet(), None)?;
    if stories.articles.len() != docs.len() {
        bail!(
            "the input changed during the run: {} documents read, then {}",
            docs.len(),
            stories.articles.len()
        );
    }
    let first_line = |t: &str| {
        t.lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim()
            .chars()
            .take(160)
            .collect::<String>()
    };
    let stories = stories
        .summaries(None)
        .filter(|s| s.members.len() > 1)
        .map(|s| {
            let mut m = s.members;
            m.sort_by(|&x, &y| docs[x].2.cmp(&docs[y].2).then(x.cmp(&y)));
            StoryView {
                title: first_line(texts[s.representative]),
                members: m
                    .iter()
                    .map(|&i| (docs[i].2.clone(), docs[i].0.clone(), first_line(texts[i])))
                    .collect(),
            }
        })
        .collect();

    let data = ReportData {
        groups,
        restated,
        stories,
        boilerplate: boiler.iter().map(|b| (b.text.clone(), b.count)).collect(),
    };
    let html = render(
        &data,
        &format!(
            "neardup report: {}",
            a.input.inputs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        ),
    );
    std::fs::write(&a.output, html).with_context(|| format!("writing {}", a.output.display()))?;
    eprintln!(
        "neardup: report of {} documents written to {}: {} duplicate groups, {} restated passages, {} stories, {} boilerplate lines",
        docs.len(),
        a.output.display(),
        data.groups.len(),
        data.restated.len(),
        data.stories.len(),
        data.boilerplate.len()
    );
    Ok(())
}
