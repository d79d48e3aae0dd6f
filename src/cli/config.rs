//! Turns flags into validated library configuration.

use anyhow::{bail, Context, Result};

use super::args::{DedupArgs, InputArgs};
use neardup::boilerplate::BoilerplateParams;
use neardup::dedup::{DedupConfig, Keep};
use neardup::input::{Fields, Format, ReadOptions};
use neardup::lsh::anchors::AnchorParams;
use neardup::lsh::Banding;
use neardup::normalize::Mode;
use neardup::shingle::ShingleSpec;
use neardup::store::StoreParams;
use neardup::verify::VerifyMode;

/// Read options from the input flags.
pub fn read_options(a: &InputArgs) -> Result<ReadOptions> {
    let format = match &a.format {
        None => None,
        Some(f) => Some(
            Format::parse(f)
                .with_context(|| format!("--format {f:?}: expected jsonl, lines or text"))?,
        ),
    };
    if a.max_doc_bytes == 0 || a.max_doc_bytes > 1 << 40 {
        bail!("--max-doc-bytes must be between 1 and 2^40");
    }
    Ok(ReadOptions {
        format,
        fields: Fields {
            text: a.text_field.clone(),
            id: a.id_field.clone(),
            title: a.title_field.clone(),
            date: a.date_field.clone(),
        },
        max_doc_bytes: a.max_doc_bytes,
    })
}

/// The engine configuration from `dedup` flags.
pub fn dedup_config(a: &DedupArgs) -> Result<DedupConfig> {
    let d = DedupConfig::default();
    let normalize = match &a.normalize {
        None => d.normalize,
        Some(n) => Mode::parse(n)
            .with_context(|| format!("--normalize {n:?}: expected auto, arabic or none"))?,
    };
    let shingle = match &a.shingle {
        None => d.shingle,
        Some(s) => ShingleSpec::parse(s).context("--shingle")?,
    };
    let (fp, fneg) = a
        .lsh_weights
        .split_once(',')
        .and_then(|(x, y)| Some((x.trim().parse::<f64>().ok()?, y.trim().parse::<f64>().ok()?)))
        .with_context(|| format!("--lsh-weights {:?}: expected FP,FN", a.lsh_weights))?;
    let verify = VerifyMode::parse(&a.verify)
        .with_context(|| format!("--verify {:?}: expected auto, estimate or exact", a.verify))?;
    if a.boilerplate_min_docs < 2 {
        bail!("--boilerplate-min-docs must be at least 2");
    }
    let containment = if a.no_containment { f64::INFINITY } else { a.containment };
    Ok(DedupConfig {
        normalize,
        shingle,
        num_perm: a.num_perm.unwrap_or(d.num_perm),
        seed: a.seed.unwrap_or(d.seed),
        threshold: a.threshold,
        containment,
        banding: a.bands.zip(a.rows).map(|(bands, rows)| Banding { bands, rows }),
        lsh_weights: (fp, fneg),
        lsh_min_recall: a.lsh_min_recall,
        anchors: AnchorParams {
            n: a.anchor_ngram.unwrap_or(d.anchors.n),
            modulus: a.anchor_mod.unwrap_or(d.anchors.modulus),
            max_df: a.anchor_max_df,
            min_shared: a.anchor_min_shared,
            ..d.anchors
        },
        verify,
        boilerplate: (!a.no_boilerplate).then_some(BoilerplateParams {
            min_docs: a.boilerplate_min_docs,
            ..BoilerplateParams::default()
        }),
        hash: d.hash,
    })
}

/// Refuses flags that contradict a store's parameters: each explicitly given parameter flag
/// must equal the store's value; flags left out take the store's value.
pub fn check_store_flags(a: &DedupArgs, cfg: &DedupConfig, store: &StoreParams) -> Result<()> {
    let conflict = |flag: &str, ours: String, theirs: String| -> Result<()> {
        if ours != theirs {
            bail!("--{flag} {ours} conflicts with the store, which was made with {flag} {theirs}");
        }
        Ok(())
    };
    if a.num_perm.is_some() {
        conflict("num-perm", cfg.num_perm.to_string(), store.num_perm.to_string())?;
    }
    if a.shingle.is_some() {
        conflict("shingle", cfg.shingle.to_string(), store.shingle.to_string())?;
    }
    if a.normalize.is_some() {
        conflict("normalize", cfg.normalize.name().into(), store.normalize.name().into())?;
    }
    if a.seed.is_some() {
        conflict("seed", cfg.seed.to_string(), store.seed.to_string())?;
    }
    if let Some(b) = cfg.banding {
        conflict("bands", b.bands.to_string(), store.bands.to_string())?;
        conflict("rows", b.rows.to_string(), store.rows.to_string())?;
    }
    if a.anchor_ngram.is_some() {
        conflict("anchor-ngram", cfg.anchors.n.to_string(), store.anchor_n.to_string())?;
    }
    if a.anchor_mod.is_some() {
        conflict("anchor-mod", cfg.anchors.modulus.to_string(), store.anchor_mod.to_string())?;
    }
    if cfg.verify == VerifyMode::Exact {
        bail!("--verify exact keeps shingle sets, which a store does not hold: use --verify estimate with --store");
    }
    Ok(())
}

/// The keep policy.
pub fn keep(a: &DedupArgs) -> Result<Keep> {
    Ok(match a.keep.as_str() {
        "first" => Keep::First,
        "longest" => Keep::Longest,
        "newest" => {
            if a.input.date_field.is_none() {
                bail!("--keep newest needs --date-field");
            }
            Keep::Newest
        }
        k => bail!("--keep {k:?}: expected first, longest or newest"),
    })
}
