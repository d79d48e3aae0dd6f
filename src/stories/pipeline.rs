//! The story pipeline, the one `cluster`, `report`, `eval clusters` and `cluster --hosts`
//! run: read the feed ([`super::articles::read`]: vectors and near-duplicate pairs), then
//! assign ([`StoryPipeline::assign`]: time as evidence when the articles are dated,
//! near-duplicate components kept whole, time order, stable ids against a story store), then
//! summarize ([`Stories::summaries`]: representative, terms shown, dates, near-duplicates).
//!
//! ```text
//! FeedReader ─read─► ReadArticles ─assign (+ StoryStore)─► Stories ─summaries─► StorySummary
//! ```
//!
//! `cluster --hosts` computes the [`ReadArticles`] on the dataflow
//! ([`crate::dataflow::stories::story_vectors`]) and assigns them here as one machine does.

use ahash::AHashMap;

use super::articles::{read, times_of, Article, FeedReader, ReadArticles, ReadOptions};
use super::{
    assign, cluster_onto, cosine, duplicate_groups, summarize, surface_terms, time_order,
    SparseVec, StoryParams, Term, Vectorizer,
};
use crate::store::stories::{StoryFileParams, StoryStore};

/// Terms shown per story ([`surface_terms`]).
pub const SHOWN_TERMS: usize = 8;

/// Stories larger than this list no near-duplicate member pairs ([`StorySummary`]): the
/// pairwise comparison would cost their size squared.
pub const NEAR_DUPLICATE_MAX_MEMBERS: usize = 200;

/// The story pipeline with its parameters as given (time is turned on at its default scale
/// when the feed turns out to be dated, [`StoryPipeline::effective`]).
#[derive(Clone, Debug)]
pub struct StoryPipeline {
    /// The story parameters.
    pub params: StoryParams,
    /// How the feed is read.
    pub read: ReadOptions,
}

/// The stories of a run: each article's story, the stories' ids, and what their summaries
/// need.
#[derive(Debug)]
pub struct Stories {
    /// The articles, in record order.
    pub articles: Vec<Article>,
    /// Their vectors.
    pub vectors: Vec<SparseVec>,
    /// The vectorizer that made them (for the terms shown).
    pub vectorizer: Vectorizer,
    /// Each article's story number (`0..ids.len()`).
    pub assignment: Vec<u32>,
    /// The id of each story number: `0..` on a fresh run; with a store, the stored stories'
    /// ids, then new ones in order of creation. A stored story may have no article tonight.
    pub ids: Vec<u64>,
    /// The parameters the assignment ran with.
    pub params: StoryParams,
    /// With a story store: its new state (the caller saves it).
    pub store: Option<StoryStore>,
}

/// What a story shows.
#[derive(Clone, Debug, PartialEq)]
pub struct StorySummary<'a> {
    /// Its id ([`Stories::ids`]).
    pub id: u64,
    /// Its articles (indices into [`Stories::articles`]), in record order.
    pub members: Vec<usize>,
    /// The member closest to the centroid ([`summarize`]).
    pub representative: usize,
    /// The words it is shown by ([`surface_terms`] of the representative's title).
    pub terms: Vec<String>,
    /// The earliest date of its members, as written (dates compared as strings).
    pub first: Option<&'a str>,
    /// The latest.
    pub last: Option<&'a str>,
    /// Member pairs `(later, earlier)` in record order whose vectors' cosine reaches the
    /// near-duplicate bar asked for: each member with the first earlier member that close.
    pub near_duplicates: Vec<(usize, usize)>,
}

impl StoryPipeline {
    /// The pipeline for `params`, reading with dedup on.
    pub fn new(params: StoryParams) -> StoryPipeline {
        StoryPipeline { params, read: ReadOptions::default() }
    }

    /// The parameters for `articles`: time as evidence at its default scale when some are
    /// dated and no scale was given ([`StoryParams::dated`]).
    pub fn effective(&self, articles: &[Article]) -> StoryParams {
        if articles.iter().any(|a| a.time.is_some()) {
            self.params.dated()
        } else {
            self.params
        }
    }

    /// Reads the feed ([`super::articles::read`]); `history` is the story store continued.
    ///
    /// # Errors
    /// The reader's errors and dedup's.
    pub fn read<R: FeedReader>(
        &self,
        reader: &mut R,
        history: Option<&StoryStore>,
    ) -> Result<ReadArticles, R::Error> {
        read(reader, &self.params, &self.read, history)
    }

    /// Reads the feed and assigns its stories: [`StoryPipeline::read`], then
    /// [`StoryPipeline::assign`].
    ///
    /// # Errors
    /// Those of both steps.
    pub fn run<R: FeedReader>(
        &self,
        reader: &mut R,
        history: Option<&StoryStore>,
    ) -> Result<Stories, R::Error> {
        let articles = self.read(reader, history)?;
        Ok(self.assign(articles, history)?)
    }

    /// Assigns the articles read to stories. Without `history`: [`assign`] (stories numbered
    /// in order of first appearance, ids `0..`). With a story store: the articles in time
    /// order onto its stories ([`cluster_onto`], no refinement), which keep their ids; new
    /// stories take the next ones; [`Stories::store`] is the store's new state (term
    /// statistics, lexicon, stories).
    ///
    /// # Errors
    /// [`crate::error::StoreError::IncompatibleParams`] when the store was made with other
    /// parameters.
    pub fn assign(
        &self,
        read: ReadArticles,
        history: Option<&StoryStore>,
    ) -> crate::Result<Stories> {
        let ReadArticles { articles, vectors, duplicate_pairs, own, vectorizer } = read;
        let params = self.effective(&articles);
        let times = times_of(&articles);
        let groups = match &duplicate_pairs {
            Some(p) => duplicate_groups(articles.len(), p, &times, params.reprint_gap_secs),
            None => Vec::new(),
        };
        let file_params = StoryFileParams::of(&params);
        let Some(h) = history else {
            let assignment = assign(&vectors, &times, &groups, &params);
            let ids = (0..=assignment.iter().copied().max().unwrap_or(0) as u64).collect();
            return Ok(Stories {
                articles,
                vectors,
                vectorizer,
                assignment,
                ids,
                params,
                store: None,
            });
        };
        if h.articles > 0 {
            h.params.check(&file_params)?;
        }
        let order = time_order(&times);
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
        for (t, d) in own.df {
            *df.entry(t).or_insert(0) += d;
        }
        let mut df: Vec<(Term, u32)> = df.into_iter().collect();
        df.sort_unstable();
        let store = StoryStore {
            params: file_params,
            next_id: next,
            articles: h.articles + own.articles,
            df,
            stories: ids.iter().copied().zip(states).collect(),
            lexicon: vectorizer.lexicon().clone(),
        };
        Ok(Stories { articles, vectors, vectorizer, assignment, ids, params, store: Some(store) })
    }
}

impl StoryPipeline {
    /// The story decision for each pair of articles (indices of the articles read, in record
    /// order; for a [`super::MemoryFeed`] the record indices): the pipeline runs on the whole
    /// feed ([`StoryPipeline::run`], no story store) and two articles are one story exactly
    /// when the run puts them in one, so `pairs --measure story` decides as `cluster` does
    /// on the same records: the same vectors and document frequencies, near-duplicate groups
    /// kept whole, time as evidence when the feed is dated, centroids rather than the two
    /// articles alone.
    ///
    /// # Errors
    /// Those of [`StoryPipeline::run`]; [`crate::Error::InvalidParam`] for an index past
    /// the articles read.
    pub fn pair_decisions<R: FeedReader>(
        &self,
        reader: &mut R,
        pairs: &[(usize, usize)],
    ) -> Result<Vec<bool>, R::Error> {
        let stories = self.run(reader, None)?;
        Ok(stories.together(pairs)?)
    }
}

impl Stories {
    /// The members of each story number, in record order (empty for a stored story with no
    /// article in this run).
    pub fn members(&self) -> Vec<Vec<usize>> {
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); self.ids.len()];
        for (i, &s) in self.assignment.iter().enumerate() {
            if members.len() <= s as usize {
                members.resize(s as usize + 1, Vec::new());
            }
            members[s as usize].push(i);
        }
        members
    }

    /// For each pair of articles (indices into [`Stories::articles`]): whether they are in
    /// one story.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParam`] for an index past the articles.
    pub fn together(&self, pairs: &[(usize, usize)]) -> crate::Result<Vec<bool>> {
        let n = self.assignment.len();
        pairs
            .iter()
            .map(|&(a, b)| match (self.assignment.get(a), self.assignment.get(b)) {
                (Some(x), Some(y)) => Ok(x == y),
                _ => Err(crate::Error::InvalidParam {
                    name: "pairs",
                    reason: format!("article {} is not among the {n} read", a.max(b)),
                }),
            })
            .collect()
    }

    /// The summary of each story with articles in this run, by story number. With
    /// `near_duplicate`, each story of at most [`NEAR_DUPLICATE_MAX_MEMBERS`] lists its
    /// members' pairs whose cosine reaches it.
    pub fn summaries(
        &self,
        near_duplicate: Option<f64>,
    ) -> impl Iterator<Item = StorySummary<'_>> + '_ {
        self.members()
            .into_iter()
            .enumerate()
            .filter(|(_, m)| !m.is_empty())
            .map(move |(s, m)| self.summary(s, m, near_duplicate))
    }

    /// The summary of story number `s` made of `members` (not empty).
    fn summary(&self, s: usize, members: Vec<usize>, near: Option<f64>) -> StorySummary<'_> {
        let summary = summarize(&self.vectors, &members);
        let rep = summary.representative;
        let terms = surface_terms(
            &self.vectorizer,
            &self.articles[rep].title,
            &summary.centroid,
            SHOWN_TERMS,
        );
        let dates = || members.iter().filter_map(|&i| self.articles[i].date.as_deref());
        let mut near_duplicates = Vec::new();
        if let Some(bar) = near {
            if members.len() <= NEAR_DUPLICATE_MAX_MEMBERS {
                for (x, &i) in members.iter().enumerate() {
                    if let Some(&j) = members[..x]
                        .iter()
                        .find(|&&j| cosine(&self.vectors[i], &self.vectors[j]) >= bar)
                    {
                        near_duplicates.push((i, j));
                    }
                }
            }
        }
        StorySummary {
            id: self.ids.get(s).copied().unwrap_or(s as u64),
            first: dates().min(),
            last: dates().max(),
            representative: rep,
            terms,
            near_duplicates,
            members,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Error, StoreError};

    /// Articles read by hand: `(id, date, text)`, vectors from their texts.
    fn read_of(params: StoryParams, docs: &[(&str, &str, &str)]) -> ReadArticles {
        let texts: Vec<(Option<&str>, &str)> = docs.iter().map(|d| (None, d.2)).collect();
        let v = Vectorizer::new(params);
        ReadArticles {
            articles: docs
                .iter()
                .map(|d| {
                    Article::new(
                        format!("{:?}", d.0),
                        super::super::title_of(d.2),
                        Some(d.1.into()),
                    )
                })
                .collect(),
            vectors: v.vectors(&texts),
            duplicate_pairs: None,
            own: Default::default(),
            vectorizer: v,
        }
    }

    const QUAKE: &str = "Strong earthquake shakes northern Chile\nA magnitude 7.1 earthquake \
                         struck near Antofagasta, cutting power to thousands of homes.";
    const QUAKE2: &str = "Earthquake in northern Chile\nA magnitude 7.1 earthquake struck near \
                          Antofagasta, cutting power to thousands of homes, officials said.";
    const RATES: &str = "Central bank holds rates\nThe central bank kept its benchmark interest \
                         rate unchanged, citing slowing inflation and weak credit growth.";

    #[test]
    fn summaries_show_dates_representatives_and_near_duplicates() {
        let p = StoryPipeline::new(StoryParams::default());
        let read = read_of(
            p.params,
            &[
                ("q2", "2024-03-02", QUAKE2),
                ("r", "2024-03-01", RATES),
                ("q1", "2024-03-01", QUAKE),
            ],
        );
        let stories = p.assign(read, None).unwrap();
        assert!(stories.params.time_scale_secs.is_some(), "dated: time is evidence");
        let all: Vec<StorySummary<'_>> = stories.summaries(Some(0.5)).collect();
        assert_eq!(all.len(), 2, "{all:?}");
        let quake = all.iter().find(|s| s.members == [0, 2]).expect("the two quake reports");
        assert_eq!((quake.first, quake.last), (Some("2024-03-01"), Some("2024-03-02")));
        assert!(quake.members.contains(&quake.representative));
        assert_eq!(quake.near_duplicates, [(2, 0)]);
        assert!(quake.terms.iter().any(|t| t.eq_ignore_ascii_case("earthquake")), "{quake:?}");
        assert!(stories.summaries(None).all(|s| s.near_duplicates.is_empty()));
    }

    #[test]
    fn a_store_keeps_ids_and_refuses_other_parameters() {
        let p = StoryPipeline::new(StoryParams::default());
        let night1 = read_of(p.params, &[("r", "2024-03-01", RATES), ("q1", "2024-03-01", QUAKE)]);
        let first = p.assign(night1, Some(&StoryStore::default())).unwrap();
        let store = first.store.clone().expect("the store's new state");
        assert_eq!(store.articles, 0, "no term statistics were read here");
        let ids1: Vec<u64> = first.summaries(None).map(|s| s.id).collect();
        let night2 = read_of(p.params, &[("q2", "2024-03-02", QUAKE2)]);
        let second = p.assign(night2, Some(&store)).unwrap();
        let quake_id = first.ids[first.assignment[1] as usize];
        assert_eq!(second.ids[second.assignment[0] as usize], quake_id, "{ids1:?}");
        let shown: Vec<u64> = second.summaries(None).map(|s| s.id).collect();
        assert_eq!(shown, [quake_id], "a stored story with no article tonight is not shown");
        // A store with articles and another threshold is refused, naming the field.
        let mut kept = store;
        kept.articles = 2;
        let other = StoryPipeline::new(StoryParams { dated_threshold: 0.9, ..p.params });
        let night2 = read_of(p.params, &[("q2", "2024-03-02", QUAKE2)]);
        match other.assign(night2, Some(&kept)) {
            Err(Error::Store(StoreError::IncompatibleParams { field, .. })) => {
                assert_eq!(field, "threshold");
            }
            r => panic!("expected IncompatibleParams, got {:?}", r.map(|s| s.ids)),
        }
    }

    #[test]
    fn pair_decisions_are_the_stories_of_a_run() {
        let rec = |id: &str, date: &str, text: &str| {
            let (title, body) = text.split_once('\n').unwrap();
            super::super::MemoryRecord {
                id_json: format!("{id:?}"),
                title: Some(title.into()),
                body: body.into(),
                date: Some(date.into()),
            }
        };
        let records = vec![
            rec("q1", "2024-03-01", QUAKE),
            rec("r", "2024-03-01", RATES),
            rec("q2", "2024-03-02", QUAKE2),
        ];
        let p = StoryPipeline::new(StoryParams::default());
        let run = p.run(&mut super::super::MemoryFeed::new(records.clone()), None).unwrap();
        assert_eq!(run.articles.len(), 3);
        assert_eq!(run.articles[0].title, "Strong earthquake shakes northern Chile");
        assert!(run.params.time_scale_secs.is_some(), "the dates were read");
        let pairs = [(0, 2), (0, 1), (1, 2)];
        let decided =
            p.pair_decisions(&mut super::super::MemoryFeed::new(records.clone()), &pairs).unwrap();
        assert_eq!(decided, [true, false, false]);
        assert_eq!(decided, run.together(&pairs).unwrap());
        // An index past the feed is an error naming it, not a panic.
        match p.pair_decisions(&mut super::super::MemoryFeed::new(records), &[(0, 3)]) {
            Err(Error::InvalidParam { name, reason }) => {
                assert_eq!(name, "pairs");
                assert!(reason.contains("article 3"), "{reason}");
            }
            r => panic!("expected InvalidParam, got {r:?}"),
        }
    }
}
