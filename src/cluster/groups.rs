//! Near-duplicate groups from verified pairs: the connected components of the pairs, each split
//! into stars so that every member is a verified duplicate of its group's center, and the kept
//! member of each group chosen by a policy.
//!
//! Grouping reads evidence through [`PairEvidence`], so the single-machine engine and the
//! distributed path ([`crate::dataflow`]) group alike from whatever holds their pairs.

use crate::cluster::UnionFind;
use crate::input::parse_timestamp;
use crate::verify::{Evidence, Pair, Thresholds};

/// Stars up to this size check every member as a possible kept document.
const MAX_KEPT_CHECK: usize = 64;

/// Which member of a group is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    /// The first in input order.
    First,
    /// The longest (ties: the first).
    Longest,
    /// The newest by date (ties and missing dates: the first).
    Newest,
}

/// What the keep policy may look at.
#[derive(Clone, Debug, Default)]
pub struct DocMeta {
    /// Text length in bytes.
    pub len: usize,
    /// Date, if any: ISO 8601 dates are compared as instants ([`parse_timestamp`]: UTC
    /// offsets applied), any other string as a string (so it should sort chronologically).
    pub date: Option<String>,
}

/// A duplicate group with its kept member.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// The kept document.
    pub kept: u32,
    /// All members (the kept one included) with their similarity to the kept one.
    pub members: Vec<(u32, f64)>,
}

/// What grouping needs to know of the documents and of any pair of them.
pub trait PairEvidence: Sync {
    /// The evidence for the pair `a`, `b`: the verified (or settled) evidence when it is a
    /// verified pair, else an estimate.
    fn evidence(&self, a: u32, b: u32) -> Evidence;
    /// The number of shingles of document `d`.
    fn size(&self, d: u32) -> u32;
}

/// The connected components of `pairs` over `n` documents: groups of two or more, each
/// sorted, ordered by first member.
pub fn components(n: usize, pairs: &[Pair]) -> Vec<Vec<u32>> {
    let mut uf = UnionFind::new(n);
    for p in pairs {
        uf.union(p.a, p.b);
    }
    uf.groups(2)
}

/// Calls `f(i, j)` for each verified pair (of `pairs`, sorted) whose two documents are both in
/// `docs` (sorted), with their positions in `docs`.
fn pairs_among(pairs: &[Pair], docs: &[u32], mut f: impl FnMut(usize, usize)) {
    for (i, &a) in docs.iter().enumerate() {
        let lo = pairs.partition_point(|p| p.a < a);
        for p in pairs[lo..].iter().take_while(|p| p.a == a) {
            if let Ok(j) = docs.binary_search(&p.b) {
                f(i, j);
            }
        }
    }
}

/// Connected components of the verified pairs (sorted) among `docs` (sorted).
fn components_among(pairs: &[Pair], docs: &[u32]) -> Vec<Vec<u32>> {
    let mut uf = UnionFind::new(docs.len());
    pairs_among(pairs, docs, |i, j| {
        uf.union(i as u32, j as u32);
    });
    uf.groups(2).into_iter().map(|g| g.into_iter().map(|i| docs[i as usize]).collect()).collect()
}

/// Verified-pair degree of each member of `docs` (sorted) within `docs`.
fn degrees(pairs: &[Pair], docs: &[u32]) -> Vec<u32> {
    let mut deg = vec![0u32; docs.len()];
    pairs_among(pairs, docs, |i, j| {
        deg[i] += 1;
        deg[j] += 1;
    });
    deg
}

/// True when `x` may be dropped in favour of `kept`: they resemble each other, or `x` is the
/// smaller and is contained in `kept` (its shingles, or its sentences rewritten). (A longer
/// article that contains a shorter one is not a duplicate *of* it.)
fn duplicate_of(ev: &impl PairEvidence, t: &Thresholds, x: u32, kept: u32) -> bool {
    let e = ev.evidence(x, kept);
    e.jaccard >= t.jaccard || (e.contained(t) && ev.size(x) <= ev.size(kept))
}

/// The member of `g` (non-empty) that the keep policy picks.
fn choose_kept(g: &[u32], meta: &[DocMeta], keep: Keep) -> u32 {
    let first = g[0];
    match keep {
        Keep::First => first,
        Keep::Longest => *g
            .iter()
            .min_by_key(|&&d| (std::cmp::Reverse(meta[d as usize].len), d))
            .unwrap_or(&first),
        Keep::Newest => {
            // ISO 8601 dates compare as instants (offsets applied) and come before any other
            // string, which compares as a string; a missing date comes last.
            let key = |d: u32| {
                let s = meta[d as usize].date.as_deref();
                (s.and_then(parse_timestamp), s)
            };
            *g.iter().min_by(|&&x, &&y| key(y).cmp(&key(x)).then(x.cmp(&y))).unwrap_or(&first)
        }
    }
}

/// Splits one connected component `g` (sorted) of the verified `pairs` (sorted) into
/// star-shaped groups: the member with the most verified duplicates (ties: the first) takes
/// its direct duplicates, and the rest is grouped again from its own verified pairs. Every
/// member of a star is then a verified duplicate of the group's center, so chains (A like B,
/// B like C, C like D) cannot merge unrelated articles beyond one step (members left alone,
/// below). The kept document is chosen among the star's members by the policy, from those that
/// every other member duplicates.
///
/// A member all of whose verified duplicates went to a star whose center it does not resemble
/// (a short wire item, reprinted whole in one article that a longer one then rewrites) would be
/// left in no group, though it has a verified duplicate. It joins the group of its most similar
/// verified duplicate, one step from that group's center, when it is no larger than the group's
/// kept document; otherwise it stays unique. So a longer article is never dropped for a shorter
/// kept document, and every member of a group is a verified duplicate of the center or of a
/// member that is.
pub fn split_component(
    g: Vec<u32>,
    pairs: &[Pair],
    t: &Thresholds,
    ev: &impl PairEvidence,
    meta: &[DocMeta],
    keep: Keep,
) -> Vec<Group> {
    let mut out: Vec<Group> = Vec::new();
    let all = g.clone();
    let mut work = vec![g];
    while let Some(g) = work.pop() {
        let deg = degrees(pairs, &g);
        let best = deg
            .iter()
            .enumerate()
            .max_by_key(|&(i, &d)| (d, std::cmp::Reverse(i)))
            .map_or(0, |(i, _)| i);
        let center = g[best];
        let mut star = vec![center];
        let mut rest = Vec::new();
        for &m in &g {
            if m != center {
                if ev.evidence(center, m).accepts(t) {
                    star.push(m);
                } else {
                    rest.push(m);
                }
            }
        }
        loosen(&mut star, &mut rest, pairs, ev);
        star.sort_unstable();
        // Only a member that every other member duplicates may be kept: when a roundup
        // contains several wire items, the roundup stays and the items go, never the
        // reverse. The center always qualifies; small stars are checked in full.
        let covers = |m: u32| star.iter().all(|&x| x == m || duplicate_of(ev, t, x, m));
        let eligible: Vec<u32> = if star.len() <= MAX_KEPT_CHECK {
            star.iter().copied().filter(|&m| covers(m)).collect()
        } else if covers(center) {
            vec![center]
        } else {
            Vec::new()
        };
        let kept = if eligible.is_empty() {
            // No member holds all the others: keep the largest.
            *star.iter().max_by_key(|&&m| (ev.size(m), std::cmp::Reverse(m))).unwrap_or(&center)
        } else {
            choose_kept(&eligible, meta, keep)
        };
        let members = star
            .iter()
            .map(|&m| (m, if m == kept { 1.0 } else { ev.evidence(kept, m).similarity() }))
            .collect();
        out.push(Group { kept, members });
        if rest.len() >= 2 {
            work.extend(components_among(pairs, &rest));
        }
    }
    attach_orphans(&all, pairs, ev, &mut out);
    out
}

/// A star member no more than this share of which lies in the center is held by a passage,
/// not as a copy (see `loosen`). Chosen on the reader-labelled SaudiNewsNet pairs (dev), where
/// 0.60-0.70 give the same groups, and cross-validated there (RESULTS.md, issue 21).
pub const WHOLE_IN_CENTER: f64 = 0.65;

/// Takes the *loose* members out of a star (`star[0]` is its center) but one: those whose link
/// to the center is a passage rather than a copy, because they carry the center (they are the
/// larger: a short wire item that several longer articles each reprint whole) or less than
/// [`WHOLE_IN_CENTER`] of them lies in it (two halves of a round-up). Two loose members share
/// only what each shares with the center, so the star is no evidence that they duplicate each
/// other: it keeps the loose member most similar to the center (ties: the first) and each loose
/// member verified against one it kept; the others go to `rest` (sorted, and kept sorted), to
/// be grouped again. Time: the star's size and its verified pairs.
fn loosen(star: &mut Vec<u32>, rest: &mut Vec<u32>, pairs: &[Pair], ev: &impl PairEvidence) {
    let center = star[0];
    let size = ev.size(center);
    let mut loose: Vec<(f64, u32)> = star[1..]
        .iter()
        .map(|&m| (ev.evidence(center, m).similarity(), m))
        .filter(|&(sim, m)| ev.size(m) > size || sim < WHOLE_IN_CENTER)
        .collect();
    if loose.len() < 2 {
        return;
    }
    loose.sort_unstable_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
    let mut members: Vec<u32> = loose.iter().map(|l| l.1).collect();
    members.sort_unstable();
    let mut partners: Vec<Vec<usize>> = vec![Vec::new(); members.len()];
    pairs_among(pairs, &members, |i, j| {
        partners[i].push(j);
        partners[j].push(i);
    });
    let at = |m: u32| members.binary_search(&m).unwrap_or(0);
    let mut kept = vec![false; members.len()];
    kept[at(loose[0].1)] = true;
    let mut out = Vec::new();
    for &(_, m) in &loose[1..] {
        let i = at(m);
        if partners[i].iter().any(|&j| kept[j]) {
            kept[i] = true;
        } else {
            out.push(m);
        }
    }
    if !out.is_empty() {
        out.sort_unstable();
        star.retain(|m| out.binary_search(m).is_err());
        rest.extend(out);
        rest.sort_unstable();
    }
}

/// Puts each member of `all` (a component, sorted) that no group of `out` holds into the group
/// of its most similar verified duplicate (ties: the lower document) when it is no larger than
/// that group's kept document.
fn attach_orphans(all: &[u32], pairs: &[Pair], ev: &impl PairEvidence, out: &mut [Group]) {
    let mut group_of: Vec<Option<usize>> = vec![None; all.len()];
    for (gi, g) in out.iter().enumerate() {
        for &(m, _) in &g.members {
            if let Ok(i) = all.binary_search(&m) {
                group_of[i] = Some(gi);
            }
        }
    }
    if group_of.iter().all(Option::is_some) {
        return;
    }
    let mut best: Vec<Option<(f64, u32)>> = vec![None; all.len()];
    pairs_among(pairs, all, |i, j| {
        for (o, p) in [(i, j), (j, i)] {
            if group_of[o].is_none() && group_of[p].is_some() {
                let sim = ev.evidence(all[o], all[p]).similarity();
                let better = best[o].is_none_or(|(s, q)| sim > s || (sim == s && all[p] < q));
                if better {
                    best[o] = Some((sim, all[p]));
                }
            }
        }
    });
    for (o, b) in best.iter().enumerate() {
        let Some((_, partner)) = *b else { continue };
        let Some(gi) = all.binary_search(&partner).ok().and_then(|p| group_of[p]) else {
            continue;
        };
        let g = &mut out[gi];
        if ev.size(all[o]) > ev.size(g.kept) {
            continue;
        }
        let sim = ev.evidence(g.kept, all[o]).similarity();
        g.members.push((all[o], sim));
        g.members.sort_unstable_by_key(|m| m.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Evidence from a fixed table: a pair not listed shares nothing.
    struct Table {
        pairs: Vec<Pair>,
        sizes: Vec<u32>,
    }

    impl PairEvidence for Table {
        fn evidence(&self, a: u32, b: u32) -> Evidence {
            let key = (a.min(b), a.max(b));
            self.pairs
                .iter()
                .find(|p| (p.a, p.b) == key)
                .map_or(Evidence::new(0.0, 0.0, 0), |p| p.evidence)
        }
        fn size(&self, d: u32) -> u32 {
            self.sizes[d as usize]
        }
    }

    /// A verified pair (for documents of equal size, containment is `2J / (1 + J)`: 0.75 at
    /// Jaccard 0.6).
    fn pair(a: u32, b: u32, jaccard: f64, containment: f64) -> Pair {
        Pair { a, b, evidence: Evidence::new(jaccard, containment, 4) }
    }

    const T: Thresholds =
        Thresholds { jaccard: 0.5, containment: 0.5, coverage: 2.0, anchored: false };

    #[test]
    fn a_chain_is_cut_at_its_center() {
        // 0 ~ 1 ~ 2 ~ 3 ~ 4 ~ 5 resemble in a chain only: no group may hold 0 and 4 together.
        let pairs: Vec<Pair> = (0..5).map(|i| pair(i, i + 1, 0.6, 0.75)).collect();
        let table = Table { pairs: pairs.clone(), sizes: vec![10; 6] };
        let meta = vec![DocMeta::default(); 6];
        let comps = components(6, &pairs);
        assert_eq!(comps, vec![vec![0, 1, 2, 3, 4, 5]]);
        let groups = split_component(comps[0].clone(), &pairs, &T, &table, &meta, Keep::First);
        for g in &groups {
            for &(m, _) in &g.members {
                assert!(m == g.kept || table.evidence(m, g.kept).accepts(&T), "{groups:?}");
            }
        }
        // The best-connected member (1, first of those of degree 2) takes its duplicates; the
        // rest (3, 4, 5) is grouped again around 4.
        let ids: Vec<Vec<u32>> =
            groups.iter().map(|g| g.members.iter().map(|m| m.0).collect()).collect();
        assert_eq!(ids, vec![vec![0, 1, 2], vec![3, 4, 5]], "{groups:?}");
    }

    #[test]
    fn a_member_left_alone_joins_its_duplicate() {
        // 0 ~ 1 ~ 2 ~ 3: the star of 1 takes 0 and 2; 3, whose one duplicate (2) went to it,
        // would be in no group: it joins 2's group, one step from the center.
        let pairs: Vec<Pair> = (0..3).map(|i| pair(i, i + 1, 0.6, 0.75)).collect();
        let table = Table { pairs: pairs.clone(), sizes: vec![10; 4] };
        let meta = vec![DocMeta::default(); 4];
        let groups = split_component(vec![0, 1, 2, 3], &pairs, &T, &table, &meta, Keep::First);
        assert_eq!(groups.len(), 1, "{groups:?}");
        let g = &groups[0];
        assert_eq!(g.members.iter().map(|m| m.0).collect::<Vec<_>>(), vec![0, 1, 2, 3]);
        assert_eq!(g.kept, 1, "the center: the only member that the star members all duplicate");
        // Its similarity is the one to the kept document (nothing verified: an estimate of 0).
        assert_eq!(g.members[3], (3, 0.0));
        // Of two duplicates in two groups, the more similar one's group takes it.
        let pairs = vec![
            pair(0, 1, 0.9, 0.9),
            pair(0, 2, 0.9, 0.9),
            pair(1, 5, 0.55, 0.71),
            pair(3, 4, 0.9, 0.9),
            pair(3, 6, 0.9, 0.9),
            pair(4, 5, 0.7, 0.82),
        ];
        let table = Table { pairs: pairs.clone(), sizes: vec![10; 7] };
        let meta = vec![DocMeta::default(); 7];
        let groups = split_component((0..7).collect(), &pairs, &T, &table, &meta, Keep::First);
        let with_5 = groups.iter().find(|g| g.members.iter().any(|m| m.0 == 5)).unwrap();
        // (5 resembles 4 best: Jaccard 0.7 against 0.55.)
        assert!(with_5.members.iter().any(|m| m.0 == 4), "{groups:?}");
        assert_eq!(groups.iter().map(|g| g.members.len()).sum::<usize>(), 7, "{groups:?}");
    }

    #[test]
    fn a_longer_article_left_alone_is_not_dropped() {
        // 0 is the center of reprints 1-3 and of 4, a trimmed copy; 5, a roundup ten times 4's
        // size, contains 4 and nothing else: it must stay unique, not be dropped for 0.
        let mut pairs: Vec<Pair> = (1..5).map(|i| pair(0, i, 0.9, 0.9)).collect();
        pairs.push(pair(4, 5, 0.1, 1.0));
        let table = Table { pairs: pairs.clone(), sizes: vec![100, 100, 100, 100, 30, 300] };
        let meta = vec![DocMeta::default(); 6];
        let groups = split_component((0..6).collect(), &pairs, &T, &table, &meta, Keep::First);
        assert_eq!(groups.len(), 1, "{groups:?}");
        assert_eq!(groups[0].members.iter().map(|m| m.0).collect::<Vec<_>>(), vec![0, 1, 2, 3, 4]);
    }

    /// The documents grouped with `d`.
    fn group_of(groups: &[Group], d: u32) -> Vec<u32> {
        groups
            .iter()
            .find(|g| g.members.iter().any(|m| m.0 == d))
            .map_or(vec![d], |g| g.members.iter().map(|m| m.0).collect())
    }

    #[test]
    fn articles_that_each_carry_one_item_are_not_one_group() {
        // 0, a short wire item, is reprinted whole in 1, 2 and 3, longer articles that share
        // nothing else; 4 is a copy of 1. Only 1 (the most similar) and its copy stay with 0.
        let pairs = vec![
            pair(0, 1, 0.3, 1.0),
            pair(0, 2, 0.25, 0.95),
            pair(0, 3, 0.2, 0.9),
            pair(0, 4, 0.3, 1.0),
            pair(1, 4, 0.95, 0.95),
        ];
        let table = Table { pairs: pairs.clone(), sizes: vec![30, 100, 120, 150, 100] };
        let meta = vec![DocMeta::default(); 5];
        let groups = split_component((0..5).collect(), &pairs, &T, &table, &meta, Keep::First);
        assert_eq!(group_of(&groups, 0), vec![0, 1, 4], "{groups:?}");
        assert_eq!(group_of(&groups, 2), vec![2], "{groups:?}");
        assert_eq!(group_of(&groups, 3), vec![3], "{groups:?}");
        // Copies of the item that are no larger than it are held whole: they all stay.
        let pairs: Vec<Pair> = (1..4).map(|i| pair(0, i, 0.9, 0.95)).collect();
        let table = Table { pairs: pairs.clone(), sizes: vec![100, 95, 90, 100] };
        let groups = split_component((0..4).collect(), &pairs, &T, &table, &meta, Keep::First);
        assert_eq!(group_of(&groups, 0), vec![0, 1, 2, 3], "{groups:?}");
    }

    #[test]
    fn two_halves_of_a_roundup_are_not_one_group() {
        // 0, a round-up, carries half of 1 and half of 2, which share nothing; 3 reprints 2.
        let pairs = vec![pair(0, 1, 0.15, 0.55), pair(0, 2, 0.15, 0.5), pair(2, 3, 0.9, 0.9)];
        let table = Table { pairs: pairs.clone(), sizes: vec![300, 100, 100, 100] };
        let meta = vec![DocMeta::default(); 4];
        let groups = split_component((0..4).collect(), &pairs, &T, &table, &meta, Keep::First);
        assert_eq!(group_of(&groups, 0), vec![0, 1], "{groups:?}");
        assert_eq!(group_of(&groups, 2), vec![2, 3], "{groups:?}");
    }

    #[test]
    fn the_roundup_is_kept_not_the_item_it_carries() {
        // 1 (a long roundup) contains 0 (a short item) whole; policy First would pick 0.
        let pairs = vec![pair(0, 1, 0.2, 1.0)];
        let table = Table { pairs: pairs.clone(), sizes: vec![20, 200] };
        let meta = vec![DocMeta::default(); 2];
        let groups = split_component(vec![0, 1], &pairs, &T, &table, &meta, Keep::First);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].kept, 1);
    }

    #[test]
    fn containment_without_anchors_neither_groups_nor_drops_where_anchors_count() {
        // 1 holds 70% of 0 in phrasing that no informative anchor marks (a template), and
        // 2 holds 0 whole: under anchored thresholds only the whole copy counts.
        let ev = |j, c| Evidence::new(j, c, 0);
        let pairs = vec![
            Pair { a: 0, b: 1, evidence: ev(0.3, 0.7) },
            Pair { a: 0, b: 2, evidence: ev(0.3, 1.0) },
        ];
        let table = Table { pairs: pairs.clone(), sizes: vec![20, 200, 200] };
        let meta = vec![DocMeta::default(); 3];
        let anchored = Thresholds { anchored: true, ..T };
        assert!(!duplicate_of(&table, &anchored, 0, 1));
        assert!(duplicate_of(&table, &anchored, 0, 2));
        assert!(duplicate_of(&table, &T, 0, 1), "whole-text evidence needs no anchor");
        let verified: Vec<Pair> =
            pairs.iter().filter(|p| p.evidence.accepts(&anchored)).copied().collect();
        assert_eq!(components(3, &verified), vec![vec![0, 2]]);
        let groups = split_component(vec![0, 2], &verified, &anchored, &table, &meta, Keep::First);
        let members: Vec<Vec<u32>> =
            groups.iter().map(|g| g.members.iter().map(|m| m.0).collect()).collect();
        assert_eq!(members, vec![vec![0, 2]], "{groups:?}");
    }

    #[test]
    fn keep_policies_pick_longest_and_newest() {
        let pairs = vec![pair(0, 1, 0.9, 0.9), pair(0, 2, 0.9, 0.9), pair(1, 2, 0.9, 0.9)];
        let table = Table { pairs: pairs.clone(), sizes: vec![50; 3] };
        let meta = vec![
            DocMeta { len: 10, date: Some("2015-08-02".into()) },
            DocMeta { len: 30, date: Some("2015-08-01".into()) },
            DocMeta { len: 20, date: Some("2015-08-03".into()) },
        ];
        let kept = |keep| split_component(vec![0, 1, 2], &pairs, &T, &table, &meta, keep)[0].kept;
        assert_eq!(kept(Keep::First), 0);
        assert_eq!(kept(Keep::Longest), 1);
        assert_eq!(kept(Keep::Newest), 2);
        // 15:30 at +03:00 is 12:30 UTC: earlier than 13:00Z although it sorts later as text.
        let meta = vec![
            DocMeta { len: 10, date: Some("2015-08-10T15:30:00+03:00".into()) },
            DocMeta { len: 10, date: Some("2015-08-10T13:00:00Z".into()) },
            DocMeta { len: 10, date: None },
        ];
        let kept = split_component(vec![0, 1, 2], &pairs, &T, &table, &meta, Keep::Newest)[0].kept;
        assert_eq!(kept, 1);
    }
}
