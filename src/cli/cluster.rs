//! `neardup cluster` (stories) and `neardup eval clusters` (scores against a truth field):
//! the flags turned into the library's story pipeline ([`StoryPipeline`]) and its stories
//! written.

use std::io::{self, BufWriter, Write};

use anyhow::{bail, Context, Result};

use super::args::{ClusterArgs, EvalClustersArgs};
use super::feed::StoryReader;
use neardup::cluster::metrics;
use neardup::store::stories::StoryStore;
use neardup::stories::articles::date_warning;
use neardup::stories::{Article, ReadOptions, Stories, StoryParams, StoryPipeline};

/// Parses `3d`, `12h`, `30m`, `90s` or plain seconds.
pub fn parse_window(s: &str) -> Result<i64> {
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 =
        num.parse().with_context(|| format!("--window {s:?}: expected e.g. 3d, 12h, 30m"))?;
    Ok(n * match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => bail!("--window {s:?}: unit must be s, m, h or d"),
    })
}

/// Says on stderr when the date field given is in no article, or holds values that are not
/// ISO 8601 dates ([`date_warning`]).
pub(crate) fn warn_dates(field: Option<&str>, articles: &[Article]) {
    if let Some(w) = field.and_then(|f| date_warning(f, articles)) {
        eprintln!("neardup: warning: {w}");
    }
}

/// The story parameters from the flags.
pub fn params_of(
    threshold: impl Into<Option<f64>>,
    window: Option<&str>,
    title_weight: f32,
    entity_weight: f32,
) -> Result<StoryParams> {
    let given = threshold.into();
    let d = StoryParams::default();
    let threshold = given.unwrap_or(d.threshold);
    if !(threshold > 0.0 && threshold <= 1.0) {
        bail!("--threshold {threshold} is outside (0, 1]");
    }
    if !(title_weight > 0.0 && entity_weight > 0.0) {
        bail!("--title-weight and --entity-weight must be positive");
    }
    Ok(StoryParams {
        threshold,
        // A threshold given is the threshold, dated or not.
        dated_threshold: given.unwrap_or(d.dated_threshold),
        title_weight,
        entity_weight,
        window_secs: window.map(parse_window).transpose()?,
        ..StoryParams::default()
    })
}

/// The story parameters of `cluster` (with or without `--hosts`) from its flags.
pub fn cluster_params(a: &ClusterArgs) -> Result<StoryParams> {
    let mut params = params_of(a.threshold, a.window.as_deref(), a.title_weight, a.entity_weight)?;
    params.stem_chars = a.stem_chars;
    if a.window.is_some() && a.input.date_field.is_none() {
        bail!("--window needs --date-field");
    }
    if a.time_scale.is_some() && a.input.date_field.is_none() {
        bail!("--time-scale needs --date-field");
    }
    if let Some(t) = &a.time_scale {
        params.time_scale_secs = Some(parse_window(t)? as f64);
    }
    if let Some(g) = &a.reprint_gap {
        params.reprint_gap_secs = Some(parse_window(g)?);
    }
    if !(a.figure_factor >= 1.0 && a.figure_factor.is_finite()) {
        bail!("--figure-factor {} must be at least 1", a.figure_factor);
    }
    if !(0.0..=1.0).contains(&a.figure_share) {
        bail!("--figure-share {} is outside [0, 1]", a.figure_share);
    }
    params.figure_factor = a.figure_factor;
    params.figure_share = a.figure_share;
    Ok(params)
}

/// Runs `neardup cluster`.
pub fn run(a: &ClusterArgs) -> Result<()> {
    #[cfg(feature = "distributed")]
    if let Some(hosts) = &a.dist.hosts {
        return super::distributed::run_cluster(a, hosts);
    }
    if a.stem_chars != 0 && a.store.is_some() {
        bail!("--stem-chars cannot be used with --store: the story store's terms are whole words");
    }
    let params = cluster_params(a)?;
    // With a store: its lock, its stories and term statistics; stories keep their ids.
    let lock = a
        .store
        .as_deref()
        .map(neardup::store::lock_dir)
        .transpose()
        .context("opening the story store")?;
    let history = match &a.store {
        Some(dir) => Some(
            StoryStore::load(dir)
                .with_context(|| format!("reading the stories of {}", dir.display()))?,
        ),
        None => None,
    };
    let pipeline =
        StoryPipeline { params, read: ReadOptions { dedup: !a.no_dedup, truth_field: None } };
    // The corpus is closed once read: assigning needs only what the passes kept.
    let read = {
        let corpus = super::feed::open_corpus(&a.input)?;
        pipeline.read(&mut StoryReader::new(&corpus, a.input.skip_invalid), history.as_ref())?
    };
    warn_dates(a.input.date_field.as_deref(), &read.articles);
    let stories = pipeline.assign(read, history.as_ref()).with_context(|| {
        let dir = a.store.as_deref().unwrap_or(std::path::Path::new(""));
        format!("continuing the stories of {} with other parameters", dir.display())
    })?;
    if let (Some(store), Some(dir)) = (&stories.store, &a.store) {
        store.save(dir).with_context(|| format!("saving the stories of {}", dir.display()))?;
    }
    drop(lock);
    write_stories(a, &stories)
}

/// Writes one JSON line per story ([`Stories::summaries`]): members, representative title,
/// top terms, first and last dates, near-duplicate pairs.
pub fn write_stories(a: &ClusterArgs, stories: &Stories) -> Result<()> {
    let stdout = io::stdout();
    let mut w: Box<dyn Write> = match &a.output {
        Some(p) => Box::new(BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(BufWriter::new(stdout.lock())),
    };
    let articles = &stories.articles;
    let date = |d: Option<&str>| d.map_or(Ok("null".to_owned()), serde_json::to_string);
    let mut written = 0usize;
    for s in stories.summaries(Some(a.near_duplicate)) {
        let ids: Vec<&str> = s.members.iter().map(|&i| articles[i].id_json.as_str()).collect();
        let near: Vec<String> = s
            .near_duplicates
            .iter()
            .map(|&(i, j)| format!("[{},{}]", articles[i].id_json, articles[j].id_json))
            .collect();
        writeln!(
            w,
            "{{\"story\":{},\"members\":[{}],\"title\":{},\"terms\":{},\"first\":{},\"last\":{},\"near_duplicates\":[{}]}}",
            s.id,
            ids.join(","),
            serde_json::to_string(&articles[s.representative].title)?,
            serde_json::to_string(&s.terms)?,
            date(s.first)?,
            date(s.last)?,
            near.join(",")
        )?;
        written += 1;
    }
    w.flush()?;
    if !a.quiet {
        eprintln!("neardup: {} articles in {written} stories", articles.len());
    }
    Ok(())
}

/// Runs `neardup eval clusters`.
pub fn eval(a: &EvalClustersArgs) -> Result<()> {
    let params = params_of(a.threshold, None, a.title_weight, a.entity_weight)?;
    let pipeline = StoryPipeline {
        params,
        read: ReadOptions { dedup: true, truth_field: Some(a.truth_field.clone()) },
    };
    let corpus = super::feed::open_corpus(&a.input)?;
    let read = pipeline.read(&mut StoryReader::new(&corpus, a.input.skip_invalid), None)?;
    warn_dates(a.input.date_field.as_deref(), &read.articles);
    let Stories { articles, assignment: stories, .. } = pipeline.assign(read, None)?;
    let truth: Vec<String> = articles.iter().map(|x| x.truth.clone().unwrap_or_default()).collect();
    if truth.iter().all(String::is_empty) {
        bail!("no article has the truth field {:?}", a.truth_field);
    }
    let s = metrics::score(&stories, &truth);
    println!("{}", serde_json::to_string(&s)?);
    eprintln!(
        "neardup: {} articles, {} stories (truth {}): B-cubed P {:.4} R {:.4} F1 {:.4}, pairwise F1 {:.4}, ARI {:.4}",
        articles.len(),
        stories.iter().max().map_or(0, |&m| m + 1),
        truth.iter().collect::<std::collections::HashSet<_>>().len(),
        s.bcubed_precision,
        s.bcubed_recall,
        s.bcubed_f1,
        s.pair_f1,
        s.ari
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows() {
        assert_eq!(parse_window("3d").unwrap(), 259_200);
        assert!(parse_window("3w").is_err());
    }
}
