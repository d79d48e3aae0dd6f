//! `neardup cluster` (stories) and `neardup eval clusters` (scores against a truth field).

use std::io::{self, BufWriter, Write};

use ahash::AHashMap;
use anyhow::{bail, Context, Result};
use rayon::prelude::*;

use super::args::{ClusterArgs, EvalClustersArgs};
use super::feed::Feed;
use neardup::cluster::metrics;
use neardup::dedup::{DedupConfig, Engine, Fingerprints};
use neardup::input::{parse_timestamp, RawRecord, RecordAt};
use neardup::normalize::NormalizedLines;
use neardup::store::stories::{StoryFileParams, StoryStore};
use neardup::stories::{
    self, cluster_onto, cosine, weigh, SparseVec, StoryParams, Term, Vectorizer, UNDATED,
};

/// What the clustering needs of each article.
pub struct Article {
    /// The id as raw JSON.
    pub id_json: String,
    /// The first non-blank line, at most 200 characters.
    pub title: String,
    /// The date as given.
    pub date: Option<String>,
    /// The date in seconds since 1970, when it parses.
    pub time: Option<i64>,
    /// The truth label (`eval clusters`).
    pub truth: Option<String>,
}

pub use neardup::stories::title_of;

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
/// ISO 8601 dates (those articles are undated: time is no evidence for them).
pub(crate) fn warn_dates(field: &str, articles: &[Article]) {
    if articles.is_empty() {
        return;
    }
    let dated = articles.iter().filter(|a| a.date.is_some()).count();
    if dated == 0 {
        eprintln!(
            "neardup: warning: no article has a date in field {field:?}: stories are formed \
             without time"
        );
        return;
    }
    let mut bad = articles.iter().filter(|a| a.date.is_some() && a.time.is_none());
    if let Some(first) = bad.next() {
        eprintln!(
            "neardup: warning: {} of {} articles have a {field:?} that is not an ISO 8601 date \
             (first: id {} with {:?}); they are taken as undated",
            bad.count() + 1,
            articles.len(),
            first.id_json,
            first.date.as_deref().unwrap_or_default()
        );
    }
}

/// What reading a feed yields: the articles, their vectors, their accepted near-duplicate
/// pairs (`None` without dedup), and the feed's own document frequencies and article count (without
/// the history's).
struct Read {
    articles: Vec<Article>,
    vectors: Vec<SparseVec>,
    dup_pairs: Option<Vec<(u32, u32)>>,
    own_df: AHashMap<Term, u32>,
    own_n: u64,
    /// The vectorizer of the second pass (its stemmer's lexicon: the history's and the feed's).
    vectorizer: Vectorizer,
}

/// Reads a feed in two passes, with near-duplicate detection at `dedup`'s defaults on the
/// way when `dedup` is set (boilerplate lines in the first pass, fingerprints in the second).
/// `history` adds a story store's term statistics to the feed's for the inverse document
/// frequencies.
fn read_articles(
    input: &super::args::InputArgs,
    params: &StoryParams,
    truth_field: Option<&str>,
    history: Option<&StoryStore>,
    dedup: bool,
) -> Result<Read> {
    let corpus = super::feed::open_corpus(input)?;
    let counter_v = Vectorizer::new(*params);
    let engine = if dedup {
        Some(Engine::new(DedupConfig::default()).context("configuring dedup")?)
    } else {
        None
    };
    let mut counter = engine.as_ref().map(Engine::line_counter);
    let mut feed = Feed::new(&corpus, input.skip_invalid);
    feed.warn = true;
    // Pass 1: document frequencies and the stemmer's lexicon (and boilerplate lines). Pass 2:
    // vectors, ids, titles, dates (and fingerprints).
    let mut freqs = stories::DocFreqs::default();
    feed.pass("counting terms", |_, docs| {
        let forms: Vec<_> =
            docs.par_iter().flatten().map(|d| counter_v.doc_forms(&d.text)).collect();
        for f in forms {
            freqs.add(f);
        }
        if let (Some(e), Some(c)) = (&engine, counter.as_mut()) {
            // Near-duplicates are found on the articles' own text, titles left out.
            let texts: Vec<Option<&str>> =
                docs.iter().map(|d| d.as_ref().map(|d| d.body())).collect();
            e.count_lines(&texts, c);
        }
        Ok(())
    })?;
    feed.warn = false;
    let bp = match (&engine, counter) {
        (Some(e), Some(c)) => e.boilerplate(c),
        _ => neardup::boilerplate::Boilerplate::none(),
    };
    let mut n = freqs.articles();
    let (vectorizer, mut df) = freqs.finish(*params, history.map(|h| &h.lexicon));
    let own_df = df.clone();
    let own_n = n;
    if let Some(h) = history {
        for &(t, d) in &h.df {
            *df.entry(t).or_insert(0) += d;
        }
        n += h.articles;
    }
    let mut out = Vec::new();
    let mut vectors = Vec::new();
    let mut fps = Fingerprints::default();
    let mut at: Vec<Option<RecordAt>> = Vec::new();
    // The record ordinal of each article (dedup numbers every record, valid or not).
    let mut ordinals: Vec<u32> = Vec::new();
    feed.pass("vectors", |raw, docs| {
        // Each article is normalized once, its title and its body apart: the body's lines
        // for its fingerprint (near-duplicates are found on the article's own text, as
        // `dedup` finds them without a title field) and both for its vector.
        type Parts = (Option<NormalizedLines>, NormalizedLines);
        let lines: Vec<Option<Parts>> = docs
            .par_iter()
            .map(|d| {
                d.as_ref().map(|d| {
                    (d.title().map(|t| vectorizer.lines_of(t)), vectorizer.lines_of(d.body()))
                })
            })
            .collect();
        if let Some(e) = &engine {
            let texts: Vec<Option<(&str, &NormalizedLines)>> = docs
                .iter()
                .zip(&lines)
                .map(|(d, l)| Some((d.as_ref()?.body(), &l.as_ref()?.1)))
                .collect();
            e.add_batch_normalized(&texts, &bp, &mut fps)?;
            at.extend(raw.iter().map(RawRecord::at));
        }
        let vecs: Vec<Option<SparseVec>> = docs
            .par_iter()
            .zip(&lines)
            .map(|(d, l)| {
                let (d, l) = (d.as_ref()?, l.as_ref()?);
                let title = d.title().zip(l.0.as_ref());
                Some(weigh(
                    vectorizer.term_counts_of_parts(title, (d.body(), &l.1)),
                    |t| df.get(&t).copied().unwrap_or(1) as f32,
                    n as f32,
                ))
            })
            .collect();
        for ((r, d), v) in raw.iter().zip(docs).zip(vecs) {
            let (Some(d), Some(v)) = (d, v) else { continue };
            let truth = match truth_field {
                None => None,
                Some(f) => {
                    let line = std::str::from_utf8(&r.bytes).unwrap_or("");
                    let value: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
                    match &value[f] {
                        serde_json::Value::Null => None,
                        serde_json::Value::String(s) => Some(s.clone()),
                        other => Some(other.to_string()),
                    }
                }
            };
            let date = d.date.as_deref().map(str::to_owned);
            out.push(Article {
                id_json: d.id_json.to_string(),
                title: title_of(&d.text),
                time: date.as_deref().and_then(parse_timestamp),
                date,
                truth,
            });
            vectors.push(v);
            ordinals.push(u32::try_from(r.ordinal).unwrap_or(u32::MAX));
        }
        Ok(())
    })?;
    if let Some(field) = &input.date_field {
        warn_dates(field, &out);
    }
    // The accepted near-duplicate pairs, as article indices (dedup numbers every record,
    // valid or not); `None` without dedup.
    let mut dup_pairs = None;
    if let Some(engine) = &engine {
        let mut res = engine.resolve(&mut fps)?;
        super::feed::settle(engine, &fps, &mut res, &corpus, &at, &bp, true)?;
        let mut article_of = vec![u32::MAX; fps.len()];
        for (i, &o) in ordinals.iter().enumerate() {
            if let Some(x) = article_of.get_mut(o as usize) {
                *x = i as u32;
            }
        }
        let of = |o: u32| article_of.get(o as usize).copied().unwrap_or(u32::MAX);
        dup_pairs = Some(
            res.pairs
                .iter()
                .map(|p| (of(p.a), of(p.b)))
                .filter(|&(a, b)| a != u32::MAX && b != u32::MAX)
                .collect(),
        );
    }
    Ok(Read { articles: out, vectors, dup_pairs, own_df, own_n, vectorizer })
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

/// The times of articles for the library ([`UNDATED`] where unknown).
pub fn times_of(articles: &[Article]) -> Vec<i64> {
    articles.iter().map(|a| a.time.unwrap_or(UNDATED)).collect()
}

/// Clusters articles into stories with the library's pipeline ([`stories::assign`]), with
/// each article's near-duplicate component (`groups`, empty for none): the distributed path.
pub fn assign(
    articles: &[Article],
    vectors: &[SparseVec],
    groups: &[u32],
    params: &StoryParams,
) -> Vec<u32> {
    stories::assign(vectors, &times_of(articles), groups, &with_time(params, articles))
}

/// The parameters with time as evidence at its default scale when the articles are dated and
/// no scale was given (`Some(0)`, from `--time-scale 0`, keeps time off).
pub fn with_time(params: &StoryParams, articles: &[Article]) -> StoryParams {
    if articles.iter().any(|a| a.time.is_some()) {
        params.dated()
    } else {
        *params
    }
}

/// The near-duplicate group of each article ([`stories::duplicate_groups`]: pairs within
/// the reprint gap when dated), or none without dedup.
pub fn groups_of(
    articles: &[Article],
    pairs: Option<&[(u32, u32)]>,
    params: &StoryParams,
) -> Vec<u32> {
    match pairs {
        Some(p) => stories::duplicate_groups(
            articles.len(),
            p,
            &times_of(articles),
            params.reprint_gap_secs,
        ),
        None => Vec::new(),
    }
}

/// Runs `neardup cluster`.
pub fn run(a: &ClusterArgs) -> Result<()> {
    #[cfg(feature = "distributed")]
    if let Some(hosts) = &a.dist.hosts {
        return super::distributed::run_cluster(a, hosts);
    }
    let mut params = params_of(a.threshold, a.window.as_deref(), a.title_weight, a.entity_weight)?;
    params.stem_chars = a.stem_chars;
    if a.stem_chars != 0 && a.store.is_some() {
        bail!("--stem-chars cannot be used with --store: the story store's terms are whole words");
    }
    if a.window.is_some() && a.input.date_field.is_none() {
        bail!("--window needs --date-field");
    }
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
    if let Some(t) = &a.time_scale {
        params.time_scale_secs = Some(parse_window(t)? as f64);
    }
    if let Some(g) = &a.reprint_gap {
        params.reprint_gap_secs = Some(parse_window(g)?);
    }
    let Read { articles, vectors, dup_pairs, own_df, own_n, vectorizer } =
        read_articles(&a.input, &params, None, history.as_ref(), !a.no_dedup)?;
    let params = with_time(&params, &articles);
    let groups = groups_of(&articles, dup_pairs.as_deref(), &params);
    let file_params = StoryFileParams::of(&params);
    if let (Some(h), Some(dir)) = (&history, &a.store) {
        if h.articles > 0 {
            h.params.check(&file_params).with_context(|| {
                format!("continuing the stories of {} with other parameters", dir.display())
            })?;
        }
    }
    let (stories, story_ids) = match &history {
        None => {
            let s = stories::assign(&vectors, &times_of(&articles), &groups, &params);
            let ids: Vec<u64> = (0..=s.iter().copied().max().unwrap_or(0) as u64).collect();
            (s, ids)
        }
        Some(h) => {
            let times = times_of(&articles);
            let order = stories::time_order(&times);
            let existing: Vec<_> = h.stories.iter().map(|(_, s)| s.clone()).collect();
            let timed = params.window_secs.is_some() || params.time_scale_secs.is_some();
            let (assignment, states) = cluster_onto(
                &existing,
                &vectors,
                &order,
                timed.then_some(times.as_slice()),
                (groups.len() == vectors.len()).then_some(groups.as_slice()),
                &params,
            );
            // Stored stories keep their ids; new ones take the next ones, in order of creation.
            let mut next = h.next_id;
            let ids: Vec<u64> = (0..states.len())
                .map(|s| match h.stories.get(s) {
                    Some((id, _)) => *id,
                    None => {
                        next += 1;
                        next - 1
                    }
                })
                .collect();
            let mut df: AHashMap<Term, u32> = h.df.iter().copied().collect();
            for (t, d) in own_df {
                *df.entry(t).or_insert(0) += d;
            }
            let mut df: Vec<(Term, u32)> = df.into_iter().collect();
            df.sort_unstable();
            let updated = StoryStore {
                params: file_params,
                next_id: next,
                articles: h.articles + own_n,
                df,
                stories: ids.iter().copied().zip(states).collect(),
                lexicon: vectorizer.lexicon().clone(),
            };
            if let Some(dir) = &a.store {
                updated
                    .save(dir)
                    .with_context(|| format!("saving the stories of {}", dir.display()))?;
            }
            (assignment, ids)
        }
    };
    drop(lock);
    write_stories(a, &vectorizer, &articles, &vectors, &stories, &story_ids)
}

/// Writes one JSON line per story: members, representative title, top terms, first and last
/// dates, near-duplicate pairs.
pub fn write_stories(
    a: &ClusterArgs,
    vectorizer: &Vectorizer,
    articles: &[Article],
    vectors: &[SparseVec],
    stories: &[u32],
    story_ids: &[u64],
) -> Result<()> {
    let mut members: Vec<Vec<usize>> = Vec::new();
    for (i, &s) in stories.iter().enumerate() {
        if members.len() <= s as usize {
            members.resize(s as usize + 1, Vec::new());
        }
        members[s as usize].push(i);
    }
    let stdout = io::stdout();
    let mut w: Box<dyn Write> = match &a.output {
        Some(p) => Box::new(BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(BufWriter::new(stdout.lock())),
    };
    for (sid, m) in members.iter().enumerate() {
        if m.is_empty() {
            continue; // a stored story with no article tonight
        }
        // Centroid, representative (closest member), top terms, dates, near-duplicates.
        let summary = stories::summarize(vectors, m);
        let (rep, centroid) = (summary.representative, summary.centroid);
        let terms = stories::surface_terms(vectorizer, &articles[rep].title, &centroid, 8);
        let dates: Vec<&str> = m.iter().filter_map(|&i| articles[i].date.as_deref()).collect();
        let first = dates
            .iter()
            .min()
            .map_or("null".to_owned(), |d| serde_json::to_string(d).unwrap_or_default());
        let last = dates
            .iter()
            .max()
            .map_or("null".to_owned(), |d| serde_json::to_string(d).unwrap_or_default());
        let mut near = Vec::new();
        if m.len() <= 200 {
            for (x, &i) in m.iter().enumerate() {
                if let Some(&j) =
                    m[..x].iter().find(|&&j| cosine(&vectors[i], &vectors[j]) >= a.near_duplicate)
                {
                    near.push(format!("[{},{}]", articles[i].id_json, articles[j].id_json));
                }
            }
        }
        let ids: Vec<&str> = m.iter().map(|&i| articles[i].id_json.as_str()).collect();
        writeln!(
            w,
            "{{\"story\":{},\"members\":[{}],\"title\":{},\"terms\":{},\"first\":{first},\"last\":{last},\"near_duplicates\":[{}]}}",
            story_ids[sid],
            ids.join(","),
            serde_json::to_string(&articles[rep].title)?,
            serde_json::to_string(&terms)?,
            near.join(",")
        )?;
    }
    w.flush()?;
    if !a.quiet {
        eprintln!(
            "neardup: {} articles in {} stories",
            articles.len(),
            members.iter().filter(|m| !m.is_empty()).count()
        );
    }
    Ok(())
}

/// Runs `neardup eval clusters`.
pub fn eval(a: &EvalClustersArgs) -> Result<()> {
    let params = params_of(a.threshold, None, a.title_weight, a.entity_weight)?;
    let Read { articles, vectors, dup_pairs, .. } =
        read_articles(&a.input, &params, Some(&a.truth_field), None, true)?;
    let params = with_time(&params, &articles);
    let groups = groups_of(&articles, dup_pairs.as_deref(), &params);
    let stories = stories::assign(&vectors, &times_of(&articles), &groups, &params);
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
