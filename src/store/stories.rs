//! The story store: story centroids and term statistics carried from one `cluster --store`
//! run to the next, so that story ids stay stable from night to night.
//!
//! ```text
//! magic "NDUPSTO\0" | version u32 | oldest reader u32 | next story id u64 | articles seen u64 |
//! term count u64 | per term: term u32, document frequency u32 |
//! story count u64 | per story: id u64, size u32, last i64, term count u32,
//!                              per term: term u32, weight f32 |
//! footer: body length u64 | XXH3-64 | "NDUPEND\0"
//! ```
//!
//! The file (`STORIES` in the store directory) is replaced atomically (temporary file, fsync,
//! rename, directory fsync) and checked in full when read.

use std::path::Path;

use super::format::*;
use super::segment::write_atomically;
use crate::cluster::story::{StoryState, Term};
use crate::error::{Error, Result, StoreError};

/// Magic number of the story store.
pub const STORIES_MAGIC: &[u8; 8] = b"NDUPSTO\0";

/// Stories and term statistics.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoryStore {
    /// The next unused story id.
    pub next_id: u64,
    /// Articles seen so far (the N of inverse document frequency).
    pub articles: u64,
    /// Document frequency of each term, sorted by term.
    pub df: Vec<(Term, u32)>,
    /// Stories with their stable ids.
    pub stories: Vec<(u64, StoryState)>,
}

impl StoryStore {
    /// Encodes with the footer.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(STORIES_MAGIC);
        b.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        b.extend_from_slice(&OLDEST_SUPPORTED_FORMAT_VERSION.to_le_bytes());
        b.extend_from_slice(&self.next_id.to_le_bytes());
        b.extend_from_slice(&self.articles.to_le_bytes());
        b.extend_from_slice(&(self.df.len() as u64).to_le_bytes());
        for &(t, d) in &self.df {
            b.extend_from_slice(&t.to_le_bytes());
            b.extend_from_slice(&d.to_le_bytes());
        }
        b.extend_from_slice(&(self.stories.len() as u64).to_le_bytes());
        for (id, s) in &self.stories {
            b.extend_from_slice(&id.to_le_bytes());
            b.extend_from_slice(&s.size.to_le_bytes());
            b.extend_from_slice(&s.last.to_le_bytes());
            b.extend_from_slice(&(s.sum.len() as u32).to_le_bytes());
            for &(t, w) in &s.sum {
                b.extend_from_slice(&t.to_le_bytes());
                b.extend_from_slice(&w.to_le_bytes());
            }
        }
        push_footer(&mut b);
        b
    }

    /// Decodes and checks the bytes of `path`.
    ///
    /// # Errors
    /// The [`StoreError`] for what is wrong.
    pub fn decode(b: &[u8], path: &Path) -> Result<StoryStore> {
        let (body, sum) = check_frame(b, STORIES_MAGIC, "story store", path)?;
        check_sum(b, body, sum, path)?;
        let corrupt = || {
            Error::from(StoreError::Corrupt {
                path: path.into(),
                reason: "story store ends early".into(),
            })
        };
        let mut at = 16;
        let mut take = |n: usize| -> Result<usize> {
            if at + n > body {
                return Err(corrupt());
            }
            at += n;
            Ok(at - n)
        };
        let next_id = u64_at(b, take(8)?);
        let articles = u64_at(b, take(8)?);
        let terms = u64_at(b, take(8)?) as usize;
        let mut df = Vec::with_capacity(terms.min(body / 8));
        for _ in 0..terms {
            let o = take(8)?;
            df.push((u32_at(b, o), u32_at(b, o + 4)));
        }
        let n = u64_at(b, take(8)?) as usize;
        let mut stories = Vec::with_capacity(n.min(body / 24));
        for _ in 0..n {
            let o = take(24)?;
            let (id, size, last, k) = (
                u64_at(b, o),
                u32_at(b, o + 8),
                u64_at(b, o + 12) as i64,
                u32_at(b, o + 20) as usize,
            );
            let mut sum = Vec::with_capacity(k.min(body / 8));
            for _ in 0..k {
                let o = take(8)?;
                sum.push((
                    u32_at(b, o),
                    f32::from_le_bytes([b[o + 4], b[o + 5], b[o + 6], b[o + 7]]),
                ));
            }
            stories.push((id, StoryState { sum, last, size }));
        }
        Ok(StoryStore { next_id, articles, df, stories })
    }

    /// Loads `STORIES` from `dir`, or an empty store when there is none.
    ///
    /// # Errors
    /// I/O errors and damage.
    pub fn load(dir: &Path) -> Result<StoryStore> {
        let path = dir.join("STORIES");
        match std::fs::read(&path) {
            Ok(b) => StoryStore::decode(&b, &path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(StoryStore::default()),
            Err(e) => Err(Error::Io { path, source: e }),
        }
    }

    /// Saves into `dir` atomically and durably.
    ///
    /// # Errors
    /// I/O errors; the previous file then stays.
    pub fn save(&self, dir: &Path) -> Result<()> {
        write_atomically(&dir.join("STORIES"), &self.encode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let s = StoryStore {
            next_id: 7,
            articles: 42,
            df: vec![(1, 3), (9, 1)],
            stories: vec![(
                3,
                StoryState { sum: vec![(1, 0.5), (9, 1.5)], last: 1_700_000_000, size: 2 },
            )],
        };
        let b = s.encode();
        let p = Path::new("STORIES");
        assert_eq!(StoryStore::decode(&b, p).unwrap(), s);
        let mut bad = b.clone();
        bad[30] ^= 1;
        assert!(matches!(
            StoryStore::decode(&bad, p),
            Err(Error::Store(StoreError::ChecksumMismatch { .. }))
        ));
        assert!(matches!(
            StoryStore::decode(&b[..b.len() - 3], p),
            Err(Error::Store(StoreError::Truncated { .. }))
        ));
    }
}
