//! On-disk constants, the parameter block, and little-endian helpers.
//!
//! Every store file starts with an 8-byte magic number and a `u32` format version followed by
//! the oldest version able to read it, carries the full [`StoreParams`] block, and ends with a
//! footer: the body length, an XXH3-64 checksum of everything before the footer, and an end
//! magic. A reader checks the magic, the version range and the length on open; `verify`
//! recomputes the checksums.

use std::path::Path;

use crate::dedup::DedupConfig;
use crate::error::{Result, StoreError};
use crate::lsh::Banding;
use crate::normalize::{Mode, NORMALIZER_VERSION};
use crate::shingle::{HashScheme, ShingleKind, ShingleSpec};

/// Current format version of segments and manifests.
pub const FORMAT_VERSION: u32 = 2;
/// Oldest format version this build reads.
pub const OLDEST_SUPPORTED_FORMAT_VERSION: u32 = 1;
/// The oldest reader a segment written now names: version 2, since a version-1 build would
/// read its signatures but not its figures (section 11), and a query or compaction of it would
/// then lose them. Manifests and STORIES files, unchanged, still name version 1.
pub const SEGMENT_OLDEST_READER: u32 = 2;

/// Magic number of segment files.
pub const SEGMENT_MAGIC: &[u8; 8] = b"NDUPSEG\0";
/// Magic number of manifests.
pub const MANIFEST_MAGIC: &[u8; 8] = b"NDUPMAN\0";
/// Magic number closing every file.
pub const END_MAGIC: &[u8; 8] = b"NDUPEND\0";
/// Footer: body length, checksum, end magic.
pub const FOOTER_LEN: usize = 24;
/// Size of the encoded parameter block.
pub const PARAMS_LEN: usize = 64;

/// The parameters that produced a store's signatures. A query or an add with other
/// parameters would compare incomparable numbers, so it is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreParams {
    /// MinHash slots.
    pub num_perm: u32,
    /// Hash seed.
    pub seed: u64,
    /// Shingles.
    pub shingle: ShingleSpec,
    /// Normalization mode.
    pub normalize: Mode,
    /// [`NORMALIZER_VERSION`] at creation.
    pub normalizer_version: u32,
    /// The [`HashScheme`] id of the store's signatures and anchors.
    pub hash_id: u32,
    /// LSH bands.
    pub bands: u32,
    /// LSH rows per band.
    pub rows: u32,
    /// Anchor word n-gram size.
    pub anchor_n: u32,
    /// Anchor sampling modulus.
    pub anchor_mod: u32,
    /// Anchor sampling seed.
    pub anchor_seed: u64,
}

impl StoreParams {
    /// The parameters of a dedup configuration with its banding.
    pub fn from_config(cfg: &DedupConfig, banding: Banding) -> StoreParams {
        StoreParams {
            num_perm: cfg.num_perm as u32,
            seed: cfg.seed,
            shingle: cfg.shingle,
            normalize: cfg.normalize,
            normalizer_version: NORMALIZER_VERSION,
            hash_id: cfg.hash.id(),
            bands: banding.bands as u32,
            rows: banding.rows as u32,
            anchor_n: cfg.anchors.n as u32,
            anchor_mod: cfg.anchors.modulus,
            anchor_seed: cfg.anchors.seed,
        }
    }

    /// `cfg` with these parameters applied (thresholds and other run-time settings kept).
    pub fn apply(&self, cfg: &DedupConfig) -> DedupConfig {
        let mut c = cfg.clone();
        c.num_perm = self.num_perm as usize;
        c.seed = self.seed;
        c.shingle = self.shingle;
        c.normalize = self.normalize;
        c.banding = Some(Banding { bands: self.bands as usize, rows: self.rows as usize });
        c.anchors.n = self.anchor_n as usize;
        c.anchors.modulus = self.anchor_mod;
        c.anchors.seed = self.anchor_seed;
        // Checked by `decode`; a store made before the rolling scheme keeps hashing its way.
        c.hash = HashScheme::from_id(self.hash_id).unwrap_or_default();
        c
    }

    /// Checks that `other` may be used with a store made with `self`.
    ///
    /// # Errors
    /// [`StoreError::IncompatibleParams`] naming the first differing field and both values.
    pub fn check(&self, other: &StoreParams) -> Result<()> {
        let fields: [(&'static str, String, String); 11] = [
            ("num-perm", self.num_perm.to_string(), other.num_perm.to_string()),
            ("seed", self.seed.to_string(), other.seed.to_string()),
            ("shingle", self.shingle.to_string(), other.shingle.to_string()),
            ("normalize", self.normalize.name().into(), other.normalize.name().into()),
            (
                "normalizer-version",
                self.normalizer_version.to_string(),
                other.normalizer_version.to_string(),
            ),
            ("hash-id", self.hash_id.to_string(), other.hash_id.to_string()),
            ("bands", self.bands.to_string(), other.bands.to_string()),
            ("rows", self.rows.to_string(), other.rows.to_string()),
            ("anchor-ngram", self.anchor_n.to_string(), other.anchor_n.to_string()),
            ("anchor-mod", self.anchor_mod.to_string(), other.anchor_mod.to_string()),
            ("anchor-seed", self.anchor_seed.to_string(), other.anchor_seed.to_string()),
        ];
        match fields.into_iter().find(|(_, a, b)| a != b) {
            None => Ok(()),
            Some((field, store, given)) => {
                Err(StoreError::IncompatibleParams { field, store, given }.into())
            }
        }
    }

    /// The 64-byte encoding.
    pub fn encode(&self) -> [u8; PARAMS_LEN] {
        let mut b = [0u8; PARAMS_LEN];
        b[0..4].copy_from_slice(&self.num_perm.to_le_bytes());
        b[4..12].copy_from_slice(&self.seed.to_le_bytes());
        b[12] = match self.shingle.kind {
            ShingleKind::Word => 1,
            ShingleKind::Char => 2,
        };
        b[13] = self.shingle.n as u8;
        b[14] = match self.normalize {
            Mode::None => 0,
            Mode::Auto => 1,
            Mode::Arabic => 2,
        };
        b[16..20].copy_from_slice(&self.normalizer_version.to_le_bytes());
        b[20..24].copy_from_slice(&self.hash_id.to_le_bytes());
        b[24..28].copy_from_slice(&self.bands.to_le_bytes());
        b[28..32].copy_from_slice(&self.rows.to_le_bytes());
        b[32..36].copy_from_slice(&self.anchor_n.to_le_bytes());
        b[36..40].copy_from_slice(&self.anchor_mod.to_le_bytes());
        b[40..48].copy_from_slice(&self.anchor_seed.to_le_bytes());
        b
    }

    /// Decodes a parameter block read from `path`.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] for values no build writes.
    pub fn decode(b: &[u8], path: &Path) -> Result<StoreParams> {
        let bad = |reason: &str| StoreError::Corrupt {
            path: path.into(),
            reason: format!("parameter block: {reason}"),
        };
        if b.len() < PARAMS_LEN {
            return Err(bad("too short").into());
        }
        let kind = match b[12] {
            1 => ShingleKind::Word,
            2 => ShingleKind::Char,
            _ => return Err(bad("unknown shingle kind").into()),
        };
        let normalize = match b[14] {
            0 => Mode::None,
            1 => Mode::Auto,
            2 => Mode::Arabic,
            _ => return Err(bad("unknown normalization mode").into()),
        };
        let p = StoreParams {
            num_perm: u32_at(b, 0),
            seed: u64_at(b, 4),
            shingle: ShingleSpec { kind, n: b[13] as usize },
            normalize,
            normalizer_version: u32_at(b, 16),
            hash_id: u32_at(b, 20),
            bands: u32_at(b, 24),
            rows: u32_at(b, 28),
            anchor_n: u32_at(b, 32),
            anchor_mod: u32_at(b, 36),
            anchor_seed: u64_at(b, 40),
        };
        if p.num_perm == 0
            || p.bands == 0
            || p.rows == 0
            || p.bands * p.rows > p.num_perm
            || p.anchor_mod == 0
        {
            return Err(bad("inconsistent sizes").into());
        }
        if HashScheme::from_id(p.hash_id).is_none() {
            let reason =
                format!("hash scheme {} is unknown to this build (a newer one?)", p.hash_id);
            return Err(bad(&reason).into());
        }
        Ok(p)
    }
}

/// Reads a little-endian `u32` at `at` (the caller has checked the bounds).
#[inline]
pub fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Reads a little-endian `u64` at `at` (the caller has checked the bounds).
#[inline]
pub fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

/// Appends the footer (body length, checksum of `buf` so far, end magic) to `buf`.
pub fn push_footer(buf: &mut Vec<u8>) {
    let len = buf.len() as u64;
    let sum = xxhash_rust::xxh3::xxh3_64(buf);
    buf.extend_from_slice(&len.to_le_bytes());
    buf.extend_from_slice(&sum.to_le_bytes());
    buf.extend_from_slice(END_MAGIC);
}

/// Checks magic, version and footer of a whole file's bytes; returns the body length and the
/// stored checksum.
///
/// # Errors
/// [`StoreError::BadMagic`], [`StoreError::UnsupportedVersion`], [`StoreError::Truncated`].
pub fn check_frame(
    b: &[u8],
    magic: &[u8; 8],
    kind: &'static str,
    path: &Path,
) -> Result<(usize, u64)> {
    check_frame_up_to(b, magic, kind, path, FORMAT_VERSION)
}

/// [`check_frame`] for a file kind whose own newest version is `newest` (at least
/// [`FORMAT_VERSION`]): a file naming an oldest reader up to `newest` opens.
///
/// # Errors
/// As [`check_frame`].
pub fn check_frame_up_to(
    b: &[u8],
    magic: &[u8; 8],
    kind: &'static str,
    path: &Path,
    newest: u32,
) -> Result<(usize, u64)> {
    if b.len() < 16 || &b[..8] != magic {
        if b.len() >= 8 && &b[..8] == magic {
            return Err(StoreError::Truncated {
                path: path.into(),
                expected: 16 + FOOTER_LEN as u64,
                found: b.len() as u64,
            }
            .into());
        }
        return Err(StoreError::BadMagic { path: path.into(), kind }.into());
    }
    let version = u32_at(b, 8);
    let oldest_reader = u32_at(b, 12);
    if version < OLDEST_SUPPORTED_FORMAT_VERSION || oldest_reader > newest {
        return Err(StoreError::UnsupportedVersion {
            path: path.into(),
            found: version,
            supported: OLDEST_SUPPORTED_FORMAT_VERSION..=newest,
        }
        .into());
    }
    if b.len() < 16 + FOOTER_LEN || &b[b.len() - 8..] != END_MAGIC {
        return Err(StoreError::Truncated {
            path: path.into(),
            expected: 0,
            found: b.len() as u64,
        }
        .into());
    }
    let body = u64_at(b, b.len() - FOOTER_LEN) as usize;
    if body != b.len() - FOOTER_LEN {
        return Err(StoreError::Truncated {
            path: path.into(),
            expected: (body + FOOTER_LEN) as u64,
            found: b.len() as u64,
        }
        .into());
    }
    Ok((body, u64_at(b, b.len() - 16)))
}

/// Recomputes the checksum of a framed file.
///
/// # Errors
/// [`StoreError::ChecksumMismatch`] when the contents changed.
pub fn check_sum(b: &[u8], body: usize, stored: u64, path: &Path) -> Result<()> {
    let found = xxhash_rust::xxh3::xxh3_64(&b[..body]);
    if found != stored {
        return Err(
            StoreError::ChecksumMismatch { path: path.into(), expected: stored, found }.into()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::DedupConfig;
    use crate::lsh::Banding;

    #[test]
    fn params_keep_their_hash_scheme() {
        let banding = Banding { bands: 16, rows: 8 };
        for hash in [HashScheme::Chain, HashScheme::Rolling] {
            let cfg = DedupConfig { hash, ..DedupConfig::default() };
            let p = StoreParams::from_config(&cfg, banding);
            let back = StoreParams::decode(&p.encode(), Path::new("s")).unwrap();
            assert_eq!(back, p);
            assert_eq!(back.apply(&DedupConfig::default()).hash, hash);
        }
        let mut b = StoreParams::from_config(&DedupConfig::default(), banding).encode();
        b[20..24].copy_from_slice(&3u32.to_le_bytes());
        let err = StoreParams::decode(&b, Path::new("s")).unwrap_err().to_string();
        assert!(err.contains("hash scheme 3"), "{err}");
    }
}
