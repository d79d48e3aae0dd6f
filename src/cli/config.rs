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
        coverage: a.coverage,
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
    if a.coverage != neardup::dedup::DEFAULT_COVERAGE {
        eprintln!(
            "neardup: warning: --coverage has no effect with a store: it holds no text to settle rewrites on"
        );
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

/// The command line with the flags of a `--config FILE` (TOML) added: each key is a long flag
/// name of the subcommand (or `inputs` for its input files), each value a string, number,
/// boolean (a switch: `true` sets it) or array (a flag given several times). What the command
/// line gives wins; the file only fills what it leaves out. Without `--config` the arguments
/// come back as they were.
///
/// # Errors
/// The file cannot be read or is not TOML; a key that is no flag of the subcommand; a value of
/// the wrong type or one its flag refuses. Each names the file and the key.
pub fn with_config_file(argv: Vec<std::ffi::OsString>) -> Result<Vec<std::ffi::OsString>> {
    use clap::parser::ValueSource;
    use clap::CommandFactory;
    use std::ffi::OsString;
    let Some(path) = config_path(&argv) else { return Ok(argv) };
    let mut root = super::args::Cli::command();
    root.build();
    // What the user gave: a lenient parse (a required flag may come from the file).
    let matches = root.clone().ignore_errors(true).try_get_matches_from(&argv).ok();
    // The subcommand path and where it ends in `argv`.
    let (mut cmd, mut m, mut end, mut names) = (&root, matches.as_ref(), 0, Vec::new());
    let mut skip_value = false;
    for (i, tok) in argv.iter().enumerate().skip(1) {
        let t = tok.to_string_lossy();
        if skip_value {
            skip_value = false;
            continue;
        }
        if t == "--config" {
            skip_value = true;
            continue;
        }
        if t.starts_with('-') {
            continue;
        }
        match cmd.find_subcommand(&*t) {
            Some(sub) => {
                m = m.and_then(|m| m.subcommand_matches(sub.get_name()));
                names.push(sub.get_name().to_owned());
                cmd = sub;
                end = i;
            }
            None => break,
        }
    }
    if end == 0 || cmd.has_subcommands() {
        bail!(
            "--config {}: give a subcommand (e.g. `neardup dedup --config FILE`)",
            path.display()
        );
    }
    let shown = path.display();
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading --config {shown}"))?;
    let table: toml::Table =
        text.parse().with_context(|| format!("--config {shown}: not a valid TOML file"))?;
    let on_command_line = |id: &str| {
        m.is_some_and(|m| {
            m.try_contains_id(id).unwrap_or(false)
                && m.value_source(id) == Some(ValueSource::CommandLine)
        })
    };
    let (mut flags, mut positional) = (Vec::<OsString>::new(), Vec::<OsString>::new());
    // (key, arg id) of the values taken from the file.
    let mut from_file: Vec<(String, String)> = Vec::new();
    for (key, value) in &table {
        let arg = cmd
            .get_arguments()
            .find(|a| {
                a.get_long() == Some(key.as_str()) || (a.is_positional() && a.get_id() == key)
            })
            .filter(|a| a.get_id() != "config" && a.get_id() != "help" && a.get_id() != "version");
        let Some(arg) = arg else {
            bail!(
                "--config {shown}: unknown key `{key}`: `neardup {}` has no flag --{key}",
                names.join(" ")
            );
        };
        if on_command_line(arg.get_id().as_str()) {
            continue;
        }
        let wrong = |expected: &str| {
            anyhow::anyhow!(
                "--config {shown}: key `{key}` is {} {}, expected {expected}",
                article(value.type_str()),
                value.type_str()
            )
        };
        if !arg.get_action().takes_values() {
            match value {
                toml::Value::Boolean(true) => flags.push(format!("--{key}").into()),
                toml::Value::Boolean(false) => {}
                _ => return Err(wrong("true or false")),
            }
            continue;
        }
        let many = arg.get_num_args().is_some_and(|n| n.max_values() > 1)
            || matches!(arg.get_action(), clap::ArgAction::Append);
        let scalar = |v: &toml::Value| -> Result<String> {
            match v {
                toml::Value::String(s) => Ok(s.clone()),
                toml::Value::Integer(i) => Ok(i.to_string()),
                toml::Value::Float(f) => Ok(f.to_string()),
                _ => Err(wrong(if many {
                    "a string, a number or an array of them"
                } else {
                    "a string or a number"
                })),
            }
        };
        let values: Vec<String> = match value {
            toml::Value::Array(items) if many => items.iter().map(scalar).collect::<Result<_>>()?,
            v => vec![scalar(v)?],
        };
        from_file.push((key.clone(), arg.get_id().to_string()));
        for v in values {
            if arg.is_positional() {
                positional.push(v.into());
            } else {
                flags.push(format!("--{key}").into());
                flags.push(v.into());
            }
        }
    }
    let mut out: Vec<OsString> = argv[..=end].to_vec();
    out.extend(flags);
    out.extend(positional);
    out.extend(argv[end + 1..].iter().cloned());
    // A value the flag refuses is named by its key and the file; other errors are clap's.
    if let Err(e) = root.try_get_matches_from(&out) {
        use clap::error::{ContextKind, ContextValue};
        if let Some(ContextValue::String(bad)) = e.get(ContextKind::InvalidArg) {
            let (name, _) = bad.split_once(' ').unwrap_or((bad, ""));
            let named = |(key, id): &&(String, String)| {
                name == format!("--{key}")
                    || name.trim_matches(['[', ']', '<', '>', '.']).eq_ignore_ascii_case(id)
            };
            if let Some((key, _)) = from_file.iter().find(named) {
                let msg = e.to_string();
                let first = msg.lines().next().unwrap_or("").trim_start_matches("error: ");
                bail!("--config {shown}: key `{key}`: {first}");
            }
        }
    }
    Ok(out)
}

/// The value of `--config` (`--config FILE` or `--config=FILE`), if given.
fn config_path(argv: &[std::ffi::OsString]) -> Option<std::path::PathBuf> {
    let mut it = argv.iter().skip(1);
    while let Some(a) = it.next() {
        let s = a.to_string_lossy();
        if s == "--" {
            return None;
        }
        if s == "--config" {
            return it.next().map(Into::into);
        }
        if let Some(p) = s.strip_prefix("--config=") {
            return Some(p.into());
        }
    }
    None
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}
