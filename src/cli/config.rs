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
    if a.max_doc_bytes == 0 {
        bail!("--max-doc-bytes must be positive");
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
    let normalize = Mode::parse(&a.normalize)
        .with_context(|| format!("--normalize {:?}: expected auto, arabic or none", a.normalize))?;
    let shingle = ShingleSpec::parse(&a.shingle).context("--shingle")?;
    let (fp, fneg) = a
        .lsh_weights
        .split_once(',')
        .and_then(|(x, y)| Some((x.trim().parse::<f64>().ok()?, y.trim().parse::<f64>().ok()?)))
        .with_context(|| format!("--lsh-weights {:?}: expected FP,FN", a.lsh_weights))?;
    let verify = match a.verify.as_str() {
        "estimate" => VerifyMode::Estimate,
        "exact" => VerifyMode::Exact,
        v => bail!("--verify {v:?}: expected estimate or exact"),
    };
    if a.boilerplate_min_docs < 2 {
        bail!("--boilerplate-min-docs must be at least 2");
    }
    let containment = if a.no_containment { f64::INFINITY } else { a.containment };
    Ok(DedupConfig {
        normalize,
        shingle,
        num_perm: a.num_perm,
        seed: a.seed,
        threshold: a.threshold,
        containment,
        banding: a.bands.zip(a.rows).map(|(bands, rows)| Banding { bands, rows }),
        lsh_weights: (fp, fneg),
        anchors: AnchorParams {
            n: a.anchor_ngram,
            modulus: a.anchor_mod,
            max_df: a.anchor_max_df,
            min_shared: a.anchor_min_shared,
            ..AnchorParams::default()
        },
        verify,
        boilerplate: (!a.no_boilerplate).then_some(BoilerplateParams {
            min_docs: a.boilerplate_min_docs,
            ..BoilerplateParams::default()
        }),
    })
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
