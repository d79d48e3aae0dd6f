//! `neardup._neardup`: the Python binding of the neardup engine.
//!
//! Thin: every algorithm is the library's. This file turns Python values into the library's
//! inputs (texts are copied out of Python strings while the GIL is held), runs the work with the
//! GIL released on rayon's pool, and turns results and errors back into Python objects. The
//! user-facing signatures and docstrings live in `neardup/__init__.py` and `__init__.pyi`.
//!
//! Two capabilities are still assembled from library parts by the CLI (`src/cli/passages.rs`,
//! `src/cli/cluster.rs`); their glue is repeated here in one function each ([`find_passages`],
//! [`assign_stories`]) so that it is one place to change when the library gains an entry point.

use std::path::{Path, PathBuf};

use ahash::AHashMap;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use rayon::prelude::*;

use neardup::boilerplate::{Boilerplate, BoilerplateParams};
use neardup::dedup::{DedupConfig, DocFingerprint, DocMeta, Engine, Fingerprints, Keep};
use neardup::input::{Corpus, Fields, Format, ReadOptions};
use neardup::lsh::band_key;
use neardup::normalize::Mode;
use neardup::passages::{Analyzer, BoilerplateRule, PassageParams, PassageReport, Scope};
use neardup::shingle::ShingleSpec;
use neardup::store::{verify_dir, NewDoc, SignatureStore, StoreParams, StoreWriter};
use neardup::stories::{StoryParams, Vectorizer, UNDATED};
use neardup::verify::{self, VerifyMode};
use neardup::Error;

/// Records handed to the parallel stages at a time (the CLI's batch size: a batch stays in
/// cache between its passes).
const BATCH: usize = 1024;

// ---------------------------------------------------------------------------------------------
// Errors: the library's message, in the class of `neardup.errors` that fits.

fn raise(py: Python<'_>, class: &str, msg: String) -> PyErr {
    match py.import("neardup.errors").and_then(|m| m.getattr(class)) {
        Ok(cls) => match cls.call1((msg.clone(),)) {
            Ok(e) => PyErr::from_value(e),
            Err(e) => e,
        },
        Err(_) => pyo3::exceptions::PyRuntimeError::new_err(msg),
    }
}

fn err(e: Error) -> PyErr {
    let class = match &e {
        Error::InvalidParam { .. } => "InvalidParameterError",
        Error::IncompatibleSketches { .. } => "IncompatibleParametersError",
        Error::InvalidUtf8 { .. }
        | Error::Json { .. }
        | Error::BadField { .. }
        | Error::DocTooLarge { .. } => "InvalidRecordError",
        Error::Io { .. } => "NeardupIOError",
        Error::Store(neardup::error::StoreError::IncompatibleParams { .. }) => {
            "IncompatibleParametersError"
        }
        Error::Store(neardup::error::StoreError::Locked { .. }) => "StoreLockedError",
        Error::Store(_) => "StoreError",
        _ => "NeardupError",
    };
    Python::with_gil(|py| raise(py, class, e.to_string()))
}

fn invalid(py: Python<'_>, name: &str, reason: String) -> PyErr {
    raise(py, "InvalidParameterError", format!("invalid parameter {name}: {reason}"))
}

// ---------------------------------------------------------------------------------------------
// Inputs.

/// The texts of `records`: an iterable of `str`, or of mappings with a string at `text_key`.
fn texts_of(py: Python<'_>, records: &Bound<'_, PyAny>, text_key: &str) -> PyResult<Vec<String>> {
    if records.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(
            "expected an iterable of texts or records, got one str (wrap it in a list)",
        ));
    }
    let mut out = Vec::with_capacity(records.len().unwrap_or(0));
    for (i, item) in records.try_iter()?.enumerate() {
        let item = item?;
        let text = if let Ok(s) = item.downcast::<PyString>() {
            s.to_cow()?.into_owned()
        } else if let Ok(d) = item.downcast::<PyDict>() {
            match d.get_item(text_key)? {
                None => {
                    return Err(raise(
                        py,
                        "InvalidRecordError",
                        format!("record {i}: field {text_key:?} is missing"),
                    ))
                }
                Some(v) => match v.downcast::<PyString>() {
                    Ok(s) => s.to_cow()?.into_owned(),
                    Err(_) => {
                        return Err(raise(
                            py,
                            "InvalidRecordError",
                            format!("record {i}: field {text_key:?} is not a string"),
                        ))
                    }
                },
            }
        } else {
            return Err(raise(
                py,
                "InvalidRecordError",
                format!(
                    "record {i}: expected a str or a dict with {text_key:?}, got {}",
                    item.get_type().name()?
                ),
            ));
        };
        out.push(text);
    }
    Ok(out)
}

/// The engine configuration from keyword arguments.
#[allow(clippy::too_many_arguments)]
fn config(
    py: Python<'_>,
    threshold: f64,
    containment: Option<f64>,
    shingle: &str,
    num_perm: usize,
    seed: Option<u64>,
    normalize: &str,
    boilerplate: bool,
    boilerplate_min_docs: u32,
    verify: &str,
) -> PyResult<DedupConfig> {
    let d = DedupConfig::default();
    let normalize = Mode::parse(normalize).ok_or_else(|| {
        invalid(py, "normalize", format!("{normalize:?}: expected auto, arabic or none"))
    })?;
    let shingle = ShingleSpec::parse(shingle).map_err(err)?;
    let verify = VerifyMode::parse(verify).ok_or_else(|| {
        invalid(py, "verify", format!("{verify:?}: expected auto, estimate or exact"))
    })?;
    if boilerplate && boilerplate_min_docs < 2 {
        return Err(invalid(py, "boilerplate_min_docs", "must be at least 2".into()));
    }
    Ok(DedupConfig {
        normalize,
        shingle,
        num_perm,
        seed: seed.unwrap_or(d.seed),
        threshold,
        containment: containment.unwrap_or(f64::INFINITY),
        verify,
        boilerplate: boilerplate.then_some(BoilerplateParams {
            min_docs: boilerplate_min_docs,
            ..BoilerplateParams::default()
        }),
        ..d
    })
}

fn keep_of(py: Python<'_>, keep: &str) -> PyResult<Keep> {
    match keep {
        "first" => Ok(Keep::First),
        "longest" => Ok(Keep::Longest),
        k => Err(invalid(py, "keep", format!("{k:?}: expected first or longest"))),
    }
}

// ---------------------------------------------------------------------------------------------
// Reading feeds with the library's reader (the CLI's): JSON lines, lines or text, gzip or not.

/// The texts of the records of `paths`, in order, read and parsed on rayon's pool.
fn read_corpus(paths: &[PathBuf], opts: ReadOptions) -> neardup::Result<Vec<String>> {
    let corpus = Corpus::open(paths, opts)?;
    let mut out = Vec::new();
    corpus.for_each_batch(BATCH, 32 << 20, |batch| {
        let parsed: Vec<neardup::Result<String>> =
            batch.par_iter().map(|r| corpus.parse(r).map(|d| d.text.into_owned())).collect();
        for p in parsed {
            out.push(p?);
        }
        Ok(())
    })?;
    Ok(out)
}

#[pyfunction]
#[pyo3(signature = (paths, *, text_key="text", format=None))]
fn read_texts(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    text_key: &str,
    format: Option<&str>,
) -> PyResult<Vec<String>> {
    let format = match format {
        None => None,
        Some(f) => Some(Format::parse(f).ok_or_else(|| {
            invalid(py, "format", format!("{f:?}: expected jsonl, lines or text"))
        })?),
    };
    let opts = ReadOptions {
        format,
        fields: Fields { text: text_key.to_owned(), ..Fields::default() },
        ..ReadOptions::default()
    };
    py.allow_threads(|| read_corpus(&paths, opts)).map_err(err)
}

// ---------------------------------------------------------------------------------------------
// dedup

/// A duplicate group: the kept document and every member with its similarity to it.
#[pyclass(frozen, get_all, module = "neardup")]
#[derive(Clone)]
struct Group {
    /// Index of the kept document.
    kept: u32,
    /// `(index, similarity to the kept one)`, the kept one included, in index order.
    members: Vec<(u32, f64)>,
}

#[pymethods]
impl Group {
    fn __repr__(&self) -> String {
        format!("Group(kept={}, members={:?})", self.kept, self.members)
    }

    fn __len__(&self) -> usize {
        self.members.len()
    }

    /// The indices of the members that are not kept (the ones a deduplicated corpus drops).
    fn duplicates(&self) -> Vec<u32> {
        self.members.iter().map(|m| m.0).filter(|&m| m != self.kept).collect()
    }
}

fn to_groups(groups: Vec<neardup::dedup::Group>) -> Vec<Group> {
    groups.into_iter().map(|g| Group { kept: g.kept, members: g.members }).collect()
}

/// The CLI's dedup pipeline over in-memory texts: boilerplate pass, fingerprints in batches,
/// candidates and verification, borderline pairs settled exactly, star-shaped groups.
fn run_dedup(engine: &Engine, texts: &[String], keep: Keep) -> neardup::Result<Vec<Group>> {
    let opt: Vec<Option<&str>> = texts.iter().map(|t| Some(t.as_str())).collect();
    let mut counter = engine.line_counter();
    if engine.config().boilerplate.is_some() {
        for chunk in opt.chunks(BATCH) {
            engine.count_lines(chunk, &mut counter);
        }
    }
    let bp = engine.boilerplate(counter);
    let mut fps = Fingerprints::default();
    for chunk in opt.chunks(BATCH) {
        engine.add_batch(chunk, &bp, &mut fps)?;
    }
    let mut res = engine.resolve(&mut fps)?;
    engine.settle(&fps, &mut res, usize::MAX, |docs| {
        let some: Vec<Option<&str>> = docs.iter().map(|&d| opt[d as usize]).collect();
        Ok::<_, Error>(engine.exact_sets(&some, &bp))
    })?;
    let meta: Vec<DocMeta> = texts.iter().map(|t| DocMeta { len: t.len(), date: None }).collect();
    Ok(to_groups(engine.finish_groups(&fps, &res, &meta, keep)))
}

#[pyfunction]
#[pyo3(signature = (texts, *, threshold, containment, coverage, shingle, num_perm, seed,
    normalize, boilerplate, boilerplate_min_docs, verify, keep, text_key))]
#[allow(clippy::too_many_arguments)]
fn dedup(
    py: Python<'_>,
    texts: &Bound<'_, PyAny>,
    threshold: f64,
    containment: Option<f64>,
    coverage: Option<f64>,
    shingle: &str,
    num_perm: usize,
    seed: Option<u64>,
    normalize: &str,
    boilerplate: bool,
    boilerplate_min_docs: u32,
    verify: &str,
    keep: &str,
    text_key: &str,
) -> PyResult<Vec<Group>> {
    let mut cfg = config(
        py,
        threshold,
        containment,
        shingle,
        num_perm,
        seed,
        normalize,
        boilerplate,
        boilerplate_min_docs,
        verify,
    )?;
    // None turns the rewrite route off, as `--coverage` above 1 does.
    cfg.coverage = coverage.unwrap_or(f64::INFINITY);
    let keep = keep_of(py, keep)?;
    let engine = Engine::new(cfg).map_err(err)?;
    let texts = texts_of(py, texts, text_key)?;
    py.allow_threads(|| run_dedup(&engine, &texts, keep)).map_err(err)
}

// ---------------------------------------------------------------------------------------------
// Deduplicator: streaming, with an in-memory band and anchor index for queries.

#[pyclass(module = "neardup")]
struct Deduplicator {
    engine: Engine,
    keep: Keep,
    prints: Vec<Option<DocFingerprint>>,
    lens: Vec<usize>,
    /// One map per band: band key -> documents.
    bands: Vec<AHashMap<u64, Vec<u32>>>,
    /// Anchor -> documents.
    anchors: AHashMap<u32, Vec<u32>>,
}

impl Deduplicator {
    fn fingerprints(&self, texts: &[String]) -> Vec<Option<DocFingerprint>> {
        let opt: Vec<Option<&str>> = texts.iter().map(|t| Some(t.as_str())).collect();
        opt.chunks(BATCH)
            .flat_map(|c| self.engine.fingerprint_texts(c, &Boilerplate::none()))
            .collect()
    }

    fn band_keys(&self, sig: &[u32]) -> Vec<u64> {
        let b = self.engine.banding();
        (0..b.bands).map(|i| band_key(sig, i, b.rows)).collect()
    }

    /// The seen documents that `fp` duplicates, best first.
    fn matches(&self, fp: &DocFingerprint) -> Vec<(u32, f64)> {
        let Some(sig) = fp.signature.as_deref() else { return Vec::new() };
        let cfg = self.engine.config();
        let t = self.engine.thresholds();
        let mut cands: Vec<u32> = Vec::new();
        for (b, k) in self.band_keys(sig).into_iter().enumerate() {
            if let Some(docs) = self.bands[b].get(&k) {
                cands.extend_from_slice(docs);
            }
        }
        let mut shared: AHashMap<u32, u32> = AHashMap::new();
        if t.containment <= 1.0 {
            for a in &fp.anchors {
                if let Some(docs) = self.anchors.get(a) {
                    if docs.len() <= cfg.anchors.max_df as usize {
                        for &d in docs {
                            *shared.entry(d).or_insert(0) += 1;
                        }
                    }
                }
            }
            cands.extend(
                shared.iter().filter(|&(_, &c)| c >= cfg.anchors.min_shared).map(|(&d, _)| d),
            );
        }
        cands.sort_unstable();
        cands.dedup();
        let mut out: Vec<(u32, f64)> = cands
            .into_iter()
            .filter_map(|d| {
                let other = self.prints[d as usize].as_ref()?;
                let s = shared.get(&d).copied().unwrap_or(0);
                let e = verify::estimate(
                    sig,
                    other.signature.as_deref()?,
                    if s >= cfg.anchors.min_shared { s } else { 0 },
                    (fp.anchors.len() as u32, other.anchors.len() as u32),
                    (fp.size, other.size),
                    (&fp.figures, &other.figures),
                );
                e.accepts(&t).then_some((d, e.similarity()))
            })
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }
}

#[pymethods]
impl Deduplicator {
    #[new]
    #[pyo3(signature = (*, threshold, containment, shingle, num_perm, seed, normalize, keep))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        threshold: f64,
        containment: Option<f64>,
        shingle: &str,
        num_perm: usize,
        seed: Option<u64>,
        normalize: &str,
        keep: &str,
    ) -> PyResult<Self> {
        let cfg = config(
            py,
            threshold,
            containment,
            shingle,
            num_perm,
            seed,
            normalize,
            false,
            5,
            "estimate",
        )?;
        let engine = Engine::new(cfg).map_err(err)?;
        let bands = vec![AHashMap::new(); engine.banding().bands];
        Ok(Deduplicator {
            engine,
            keep: keep_of(py, keep)?,
            prints: Vec::new(),
            lens: Vec::new(),
            bands,
            anchors: AHashMap::new(),
        })
    }

    #[pyo3(signature = (texts, *, text_key="text"))]
    fn add(
        &mut self,
        py: Python<'_>,
        texts: &Bound<'_, PyAny>,
        text_key: &str,
    ) -> PyResult<(usize, usize)> {
        let texts = texts_of(py, texts, text_key)?;
        let prints = py.allow_threads(|| self.fingerprints(&texts));
        let start = self.prints.len();
        for (i, fp) in prints.iter().enumerate() {
            let d = (start + i) as u32;
            let Some(f) = fp else { continue };
            let Some(sig) = f.signature.as_deref() else { continue };
            for (b, k) in self.band_keys(sig).into_iter().enumerate() {
                self.bands[b].entry(k).or_default().push(d);
            }
            for &a in &f.anchors {
                self.anchors.entry(a).or_default().push(d);
            }
        }
        self.prints.extend(prints);
        self.lens.extend(texts.iter().map(String::len));
        Ok((start, self.prints.len()))
    }

    fn query(&self, py: Python<'_>, text: &str) -> Vec<(u32, f64)> {
        let text = text.to_owned();
        py.allow_threads(|| {
            let fp = self.fingerprints(std::slice::from_ref(&text)).pop().flatten();
            fp.map(|fp| self.matches(&fp)).unwrap_or_default()
        })
    }

    fn groups(&self, py: Python<'_>) -> PyResult<Vec<Group>> {
        py.allow_threads(|| {
            let k = self.engine.config().num_perm;
            let mut fps = Fingerprints::default();
            for fp in &self.prints {
                fps.push(k, fp.as_ref())?;
            }
            let res = self.engine.resolve(&mut fps)?;
            let meta: Vec<DocMeta> =
                self.lens.iter().map(|&len| DocMeta { len, date: None }).collect();
            Ok(to_groups(self.engine.finish_groups(&fps, &res, &meta, self.keep)))
        })
        .map_err(err)
    }

    fn __len__(&self) -> usize {
        self.prints.len()
    }
}

// ---------------------------------------------------------------------------------------------
// Sketches

/// A MinHash sketch with its parameters.
#[pyclass(frozen, module = "neardup")]
struct Sketch(neardup::signature::Sketch);

#[pymethods]
impl Sketch {
    fn jaccard(&self, other: &Sketch) -> PyResult<f64> {
        self.0.jaccard(&other.0).map_err(err)
    }

    #[getter]
    fn values(&self) -> Option<Vec<u32>> {
        self.0.values().map(<[u32]>::to_vec)
    }

    #[getter]
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let p = self.0.params();
        let d = PyDict::new(py);
        d.set_item("num_perm", p.num_perm)?;
        d.set_item("seed", p.seed)?;
        d.set_item("shingle", p.shingle.to_string())?;
        d.set_item("normalize", p.normalize.name())?;
        d.set_item("normalizer_version", p.normalizer_version)?;
        d.set_item("hash_id", p.hash.id())?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        let p = self.0.params();
        format!(
            "Sketch(num_perm={}, seed={}, shingle={:?}, normalize={:?}, normalizer_version={})",
            p.num_perm,
            p.seed,
            p.shingle.to_string(),
            p.normalize.name(),
            p.normalizer_version
        )
    }
}

#[pyfunction]
#[pyo3(signature = (text, *, shingle, num_perm, seed, normalize))]
fn sketch(
    py: Python<'_>,
    text: &str,
    shingle: &str,
    num_perm: usize,
    seed: Option<u64>,
    normalize: &str,
) -> PyResult<Sketch> {
    let cfg = config(py, 0.5, None, shingle, num_perm, seed, normalize, false, 5, "estimate")?;
    let engine = Engine::new(cfg).map_err(err)?;
    Ok(Sketch(engine.sketch(text)))
}

// ---------------------------------------------------------------------------------------------
// Restated passages

/// A place in a document, offsets in characters (Python string indices).
struct Place {
    doc: u32,
    start: usize,
    end: usize,
}

/// One restated passage pair.
struct Found {
    kind: &'static str,
    matched: &'static str,
    similarity: f64,
    evidence: neardup::passages::Evidence,
    /// The aligned content words (a's, b's) and whether each match is exact.
    aligned: Vec<(String, String, bool)>,
    a: Place,
    b: Place,
}

/// Restated passage pairs and boilerplate lines, as the CLI's `passages` finds them.
struct Passages {
    restated: Vec<Found>,
    boilerplate: Vec<(String, usize, Vec<Place>)>,
    /// The weights that decided ([`neardup::passages::Weights`]).
    weights: &'static str,
}

/// `neardup passages`, as `src/cli/passages.rs` assembles it (one function, to follow the
/// library when it gains its own entry point). Offsets come back in characters.
fn find_passages(
    texts: &[String],
    across: bool,
    params: PassageParams,
    boilerplate_min_docs: usize,
    boilerplate_max_chars: usize,
) -> Passages {
    // The library's one passage pipeline, as `neardup passages` runs it.
    let analyzer = Analyzer::new(params);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let scope = if across { Scope::Corpus } else { Scope::Doc };
    let rule = BoilerplateRule { min_docs: boilerplate_min_docs, max_chars: boilerplate_max_chars };
    let PassageReport { restated: found, boilerplate: boiler, weights } =
        neardup::passages::find(&analyzer, &refs, scope, rule);
    // The aligned words of each record, as the CLI writes them (`aligned`).
    let text = |p: &neardup::passages::Place| &texts[p.doc as usize][p.start..p.end];
    let pairs: Vec<(&str, &str)> = found.iter().map(|r| (text(&r.a), text(&r.b))).collect();
    let aligned = analyzer.aligned_pairs(&pairs);
    let chars = |doc: u32, byte: usize| {
        let t = &texts[doc as usize];
        t.get(..byte.min(t.len())).map_or(0, |p| p.chars().count())
    };
    let place = |p: &neardup::passages::Place| Place {
        doc: p.doc,
        start: chars(p.doc, p.start),
        end: chars(p.doc, p.end),
    };
    Passages {
        restated: found
            .iter()
            .enumerate()
            .map(|(k, r)| Found {
                kind: r.kind.name(),
                matched: r.matched.name(),
                similarity: r.similarity,
                evidence: r.evidence,
                aligned: aligned.pair(k).map(|(a, b, e)| (a.to_owned(), b.to_owned(), e)).collect(),
                a: place(&r.a),
                b: place(&r.b),
            })
            .collect(),
        boilerplate: boiler
            .iter()
            .map(|b| (b.text.clone(), b.count, b.places.iter().map(place).collect()))
            .collect(),
        weights: weights.name(),
    }
}

fn place_dict<'py>(py: Python<'py>, p: &Place, text: &str) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("doc", p.doc)?;
    d.set_item("start", p.start)?;
    d.set_item("end", p.end)?;
    let s: String = text.chars().skip(p.start).take(p.end - p.start).collect();
    d.set_item("text", s)?;
    Ok(d)
}

#[pyfunction]
#[pyo3(signature = (texts, *, across, threshold, min_similarity, dice_threshold, min_terms,
    headlines, background, background_veto, boilerplate_min_docs, boilerplate_max_chars, text_key))]
#[allow(clippy::too_many_arguments)]
fn passages<'py>(
    py: Python<'py>,
    texts: &Bound<'py, PyAny>,
    across: bool,
    threshold: Option<f64>,
    min_similarity: Option<f64>,
    dice_threshold: Option<f64>,
    min_terms: Option<usize>,
    headlines: bool,
    background: bool,
    background_veto: Option<f64>,
    boilerplate_min_docs: usize,
    boilerplate_max_chars: usize,
    text_key: &str,
) -> PyResult<Bound<'py, PyList>> {
    let d = PassageParams::default();
    let texts = texts_of(py, texts, text_key)?;
    let params = PassageParams {
        threshold: threshold.unwrap_or(d.threshold),
        min_similarity: min_similarity.unwrap_or(d.min_similarity),
        dice_threshold: dice_threshold.unwrap_or(d.dice_threshold),
        min_terms: min_terms.unwrap_or(d.min_terms),
        headlines,
        background,
        background_veto: background_veto.unwrap_or(d.background_veto),
        ..d
    };
    params.validate().map_err(err)?;
    let found = py.allow_threads(|| {
        find_passages(&texts, across, params, boilerplate_min_docs, boilerplate_max_chars)
    });
    let out = PyList::empty(py);
    for f in &found.restated {
        let d = PyDict::new(py);
        d.set_item("kind", f.kind)?;
        d.set_item("matched", f.matched)?;
        d.set_item("similarity", f.similarity)?;
        d.set_item("a", place_dict(py, &f.a, &texts[f.a.doc as usize])?)?;
        d.set_item("b", place_dict(py, &f.b, &texts[f.b.doc as usize])?)?;
        // Every field of the evidence, as the CLI writes it.
        let e = PyDict::new(py);
        if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(f.evidence) {
            for (k, v) in fields {
                match v {
                    serde_json::Value::Bool(x) => e.set_item(k, x)?,
                    serde_json::Value::Number(n) if n.is_u64() => e.set_item(k, n.as_u64())?,
                    serde_json::Value::Number(n) => e.set_item(k, n.as_f64())?,
                    _ => e.set_item(k, py.None())?,
                }
            }
        }
        d.set_item("evidence", e)?;
        let aligned = PyList::empty(py);
        for (a, b, exact) in &f.aligned {
            aligned.append((a, b, *exact))?;
        }
        d.set_item("aligned", aligned)?;
        d.set_item("weights", found.weights)?;
        out.append(d)?;
    }
    for (text, count, places) in &found.boilerplate {
        let d = PyDict::new(py);
        d.set_item("kind", "boilerplate")?;
        d.set_item("text", text)?;
        d.set_item("count", *count)?;
        let ps = PyList::empty(py);
        for p in places {
            ps.append(place_dict(py, p, &texts[p.doc as usize])?)?;
        }
        d.set_item("places", ps)?;
        out.append(d)?;
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Stories

/// `neardup cluster` without a store and without near-duplicate groups: TF-IDF vectors, then
/// the library's story pipeline ([`neardup::stories::assign`]), time as evidence when any
/// article is dated (as the CLI does).
fn assign_stories(
    texts: &[String],
    titles: &[Option<String>],
    times: Option<&[Option<i64>]>,
    params: &StoryParams,
) -> Vec<u32> {
    let vectorizer = Vectorizer::new(*params);
    let docs: Vec<(Option<&str>, &str)> =
        texts.iter().zip(titles).map(|(x, t)| (t.as_deref(), x.as_str())).collect();
    let vectors = vectorizer.vectors(&docs);
    let times: Vec<i64> =
        (0..texts.len()).map(|i| times.and_then(|t| t[i]).unwrap_or(UNDATED)).collect();
    let params = if times.iter().any(|&t| t != UNDATED) { params.dated() } else { *params };
    neardup::stories::assign(&vectors, &times, &[], &params)
}

#[pyfunction]
#[pyo3(signature = (texts, titles, times, *, threshold, window_secs))]
fn cluster_stories(
    py: Python<'_>,
    texts: Vec<String>,
    titles: Vec<Option<String>>,
    times: Option<Vec<Option<i64>>>,
    threshold: Option<f64>,
    window_secs: Option<i64>,
) -> PyResult<Vec<u32>> {
    let threshold = threshold.unwrap_or(StoryParams::default().threshold);
    if !(threshold > 0.0 && threshold <= 1.0) {
        return Err(invalid(py, "threshold", format!("{threshold} is outside (0, 1]")));
    }
    if titles.len() != texts.len() || times.as_ref().is_some_and(|t| t.len() != texts.len()) {
        return Err(invalid(py, "records", "titles and times must match the texts".into()));
    }
    if window_secs.is_some() && times.is_none() {
        return Err(invalid(py, "window", "a window needs dates (date_key)".into()));
    }
    let params = StoryParams { threshold, window_secs, ..StoryParams::default() };
    Ok(py.allow_threads(|| assign_stories(&texts, &titles, times.as_deref(), &params)))
}

// ---------------------------------------------------------------------------------------------
// Store: the CLI's signature store directory.

#[pyclass(module = "neardup")]
struct Store {
    dir: PathBuf,
    /// The engine configuration: the store's parameters once it exists.
    cfg: DedupConfig,
}

fn io_of(dir: &Path) -> impl Fn(std::io::Error) -> PyErr + '_ {
    move |e| err(Error::Io { path: dir.to_path_buf(), source: e })
}

/// An id as raw JSON (what the store keeps): strings and integers.
fn id_json(py: Python<'_>, id: &Bound<'_, PyAny>, i: usize) -> PyResult<String> {
    if let Ok(s) = id.downcast::<PyString>() {
        return Ok(serde_json::Value::String(s.to_cow()?.into_owned()).to_string());
    }
    if let Ok(n) = id.extract::<i64>() {
        if !id.is_instance_of::<pyo3::types::PyBool>() {
            return Ok(n.to_string());
        }
    }
    Err(raise(py, "InvalidRecordError", format!("record {i}: the id must be a str or an int")))
}

/// Raw JSON back to a Python value (strings and numbers as themselves).
fn id_value(py: Python<'_>, raw: &str) -> PyResult<PyObject> {
    Ok(match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(serde_json::Value::String(s)) => s.into_pyobject(py)?.into_any().unbind(),
        Ok(serde_json::Value::Number(n)) if n.is_i64() => {
            n.as_i64().unwrap_or(0).into_pyobject(py)?.into_any().unbind()
        }
        _ => raw.into_pyobject(py)?.into_any().unbind(),
    })
}

/// A stored or new member of a reported group.
struct Member {
    id: String,
    similarity: f64,
    stored: bool,
}

/// `index add` for one batch, as `src/cli/index.rs` does it for one chunk: boilerplate of the
/// batch, fingerprints, matches in the store, star-shaped groups among the new documents; each
/// group takes the group id of its best stored match or a new one; every new document is stored.
fn add_batch(
    engine: &Engine,
    writer: &mut StoreWriter,
    ids: &[String],
    texts: &[String],
) -> neardup::Result<Vec<(u64, String, Vec<Member>)>> {
    let opt: Vec<Option<&str>> = texts.iter().map(|t| Some(t.as_str())).collect();
    let mut counter = engine.line_counter();
    for chunk in opt.chunks(BATCH) {
        engine.count_lines(chunk, &mut counter);
    }
    let bp = engine.boilerplate(counter);
    let prints: Vec<Option<DocFingerprint>> =
        opt.chunks(BATCH).flat_map(|c| engine.fingerprint_texts(c, &bp)).collect();
    let cfg = engine.config();
    let t = engine.thresholds();
    let store = writer.store();
    let stored: Vec<Vec<neardup::store::StoredMatch>> = prints
        .par_iter()
        .map(|fp| fp.as_ref().map(|fp| store.query(fp, &t, &cfg.anchors)).unwrap_or_default())
        .collect();
    let mut fps = Fingerprints::default();
    for fp in &prints {
        fps.push(cfg.num_perm, fp.as_ref())?;
    }
    let res = engine.resolve(&mut fps)?;
    let meta: Vec<DocMeta> = texts.iter().map(|t| DocMeta { len: t.len(), date: None }).collect();
    let groups = engine.finish_groups(&fps, &res, &meta, Keep::First);
    let mut in_group = vec![false; texts.len()];
    let mut comps: Vec<Vec<(usize, f64)>> = groups
        .iter()
        .map(|g| {
            let mut m = vec![(g.kept as usize, 1.0)];
            m.extend(g.members.iter().filter(|x| x.0 != g.kept).map(|x| (x.0 as usize, x.1)));
            for x in &m {
                in_group[x.0] = true;
            }
            m
        })
        .collect();
    comps.extend((0..texts.len()).filter(|&d| !in_group[d]).map(|d| vec![(d, 1.0)]));
    comps.sort_by_key(|m| m.iter().map(|x| x.0).min().unwrap_or(0));
    let mut report = Vec::new();
    let mut new_docs = Vec::new();
    for members in &comps {
        let best = members
            .iter()
            .filter_map(|&(m, _)| stored[m].first().copied())
            .max_by(|x, y| x.evidence.similarity().total_cmp(&y.evidence.similarity()));
        let group = match best {
            Some(b) => writer.store().group(b.segment, b.doc),
            None => writer.reserve_groups(1),
        };
        let store = writer.store();
        let mut lines = Vec::new();
        if let Some(b) = best {
            let id = store.id_json(b.segment, b.doc).to_owned();
            lines.push(Member { id, similarity: 1.0, stored: true });
        }
        for &(m, sim) in members {
            let sim = stored[m].first().map_or(sim, |s| s.evidence.similarity());
            lines.push(Member { id: ids[m].clone(), similarity: sim, stored: false });
            if let Some(fp) = prints[m].as_ref().filter(|f| f.signature.is_some()) {
                new_docs.push(NewDoc {
                    id_json: ids[m].clone(),
                    date: None,
                    text_len: texts[m].len().min(u32::MAX as usize) as u32,
                    group,
                    fp: fp.clone(),
                });
            }
        }
        if lines.len() >= 2 {
            report.push((group, lines[0].id.clone(), lines));
        }
    }
    writer.add(&new_docs)?;
    Ok(report)
}

#[pymethods]
impl Store {
    #[new]
    #[pyo3(signature = (path, *, threshold, containment, shingle, num_perm, seed, normalize))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        path: PathBuf,
        threshold: f64,
        containment: Option<f64>,
        shingle: Option<&str>,
        num_perm: Option<usize>,
        seed: Option<u64>,
        normalize: Option<&str>,
    ) -> PyResult<Self> {
        let cfg = config(
            py,
            threshold,
            containment,
            shingle.unwrap_or("word:3"),
            num_perm.unwrap_or(neardup::signature::DEFAULT_NUM_PERM),
            seed,
            normalize.unwrap_or("auto"),
            true,
            5,
            "estimate",
        )?;
        let engine = Engine::new(cfg.clone()).map_err(err)?;
        if path.join("MANIFEST").exists() {
            let s = SignatureStore::open(&path).map_err(err)?;
            // Parameters given explicitly must be the store's; the others come from it.
            let p = s.params();
            let ours = StoreParams::from_config(&cfg, engine.banding());
            let given = [
                ("num_perm", num_perm.is_some(), ours.num_perm.to_string(), p.num_perm.to_string()),
                ("shingle", shingle.is_some(), ours.shingle.to_string(), p.shingle.to_string()),
                ("seed", seed.is_some(), ours.seed.to_string(), p.seed.to_string()),
                (
                    "normalize",
                    normalize.is_some(),
                    ours.normalize.name().to_owned(),
                    p.normalize.name().to_owned(),
                ),
            ];
            for (field, explicit, g, s) in given {
                if explicit && g != s {
                    return Err(err(neardup::error::StoreError::IncompatibleParams {
                        field,
                        store: s,
                        given: g,
                    }
                    .into()));
                }
            }
            let cfg = p.apply(&cfg);
            return Ok(Store { dir: path, cfg });
        }
        std::fs::create_dir_all(&path).map_err(io_of(&path))?;
        let params = StoreParams::from_config(&cfg, engine.banding());
        // Creates the store (its manifest) now, so that the CLI can open it at once.
        py.allow_threads(|| StoreWriter::open(&path, Some(&params)).map(drop)).map_err(err)?;
        Ok(Store { dir: path, cfg })
    }

    /// Adds records (dicts with an id and a text, or `(id, text)` pairs): returns the groups
    /// found, stored documents included, as the CLI's `index add` reports them.
    #[pyo3(signature = (records, *, id_key="id", text_key="text"))]
    fn add<'py>(
        &self,
        py: Python<'py>,
        records: &Bound<'py, PyAny>,
        id_key: &str,
        text_key: &str,
    ) -> PyResult<Bound<'py, PyList>> {
        let mut ids = Vec::new();
        let mut texts = Vec::new();
        for (i, r) in records.try_iter()?.enumerate() {
            let r = r?;
            let (id, text) = if let Ok(d) = r.downcast::<PyDict>() {
                let missing = |k: &str| {
                    raise(py, "InvalidRecordError", format!("record {i}: field {k:?} is missing"))
                };
                (
                    d.get_item(id_key)?.ok_or_else(|| missing(id_key))?,
                    d.get_item(text_key)?.ok_or_else(|| missing(text_key))?,
                )
            } else if let Ok((id, text)) = r.extract::<(Bound<'py, PyAny>, Bound<'py, PyAny>)>() {
                (id, text)
            } else {
                return Err(raise(
                    py,
                    "InvalidRecordError",
                    format!("record {i}: expected a dict or an (id, text) pair"),
                ));
            };
            ids.push(id_json(py, &id, i)?);
            match text.downcast::<PyString>() {
                Ok(s) => texts.push(s.to_cow()?.into_owned()),
                Err(_) => {
                    return Err(raise(
                        py,
                        "InvalidRecordError",
                        format!("record {i}: field {text_key:?} is not a string"),
                    ))
                }
            }
        }
        let engine = Engine::new(self.cfg.clone()).map_err(err)?;
        let params = StoreParams::from_config(&self.cfg, engine.banding());
        let report = py
            .allow_threads(|| {
                let mut w = StoreWriter::open(&self.dir, Some(&params))?;
                add_batch(&engine, &mut w, &ids, &texts)
            })
            .map_err(err)?;
        let out = PyList::empty(py);
        for (group, kept, members) in report {
            let d = PyDict::new(py);
            d.set_item("group", group)?;
            d.set_item("kept", id_value(py, &kept)?)?;
            let ms = PyList::empty(py);
            for m in members {
                let md = PyDict::new(py);
                md.set_item("id", id_value(py, &m.id)?)?;
                md.set_item("similarity", m.similarity)?;
                md.set_item("stored", m.stored)?;
                ms.append(md)?;
            }
            d.set_item("members", ms)?;
            out.append(d)?;
        }
        Ok(out)
    }

    /// For each text, the stored documents it duplicates: `[(id, similarity)]`, best first.
    #[pyo3(signature = (texts, *, text_key="text"))]
    fn query<'py>(
        &self,
        py: Python<'py>,
        texts: &Bound<'py, PyAny>,
        text_key: &str,
    ) -> PyResult<Vec<Vec<(PyObject, f64)>>> {
        let texts = texts_of(py, texts, text_key)?;
        let engine = Engine::new(self.cfg.clone()).map_err(err)?;
        let found = py
            .allow_threads(|| {
                let store = SignatureStore::open(&self.dir)?;
                let opt: Vec<Option<&str>> = texts.iter().map(|t| Some(t.as_str())).collect();
                let mut counter = engine.line_counter();
                engine.count_lines(&opt, &mut counter);
                let bp = engine.boilerplate(counter);
                let t = engine.thresholds();
                let prints = engine.fingerprint_texts(&opt, &bp);
                let found: Vec<Vec<(String, f64)>> = prints
                    .par_iter()
                    .map(|fp| {
                        let Some(fp) = fp else { return Vec::new() };
                        store
                            .query(fp, &t, &engine.config().anchors)
                            .into_iter()
                            .map(|m| {
                                (
                                    store.id_json(m.segment, m.doc).to_owned(),
                                    m.evidence.similarity(),
                                )
                            })
                            .collect()
                    })
                    .collect();
                Ok::<_, Error>(found)
            })
            .map_err(err)?;
        found
            .into_iter()
            .map(|ms| ms.into_iter().map(|(id, s)| Ok((id_value(py, &id)?, s))).collect())
            .collect()
    }

    /// Checks every file's checksum: `[(path, problem or None)]`.
    fn verify(&self, py: Python<'_>) -> PyResult<Vec<(String, Option<String>)>> {
        let checks = py.allow_threads(|| verify_dir(&self.dir)).map_err(err)?;
        Ok(checks
            .into_iter()
            .map(|c| (c.path.display().to_string(), c.problem.map(|p| p.to_string())))
            .collect())
    }

    fn __len__(&self) -> PyResult<usize> {
        Ok(SignatureStore::open(&self.dir).map_err(err)?.len())
    }

    #[getter]
    fn path(&self) -> PathBuf {
        self.dir.clone()
    }

    #[getter]
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = SignatureStore::open(&self.dir).map_err(err)?;
        let p = s.params();
        let d = PyDict::new(py);
        d.set_item("num_perm", p.num_perm)?;
        d.set_item("seed", p.seed)?;
        d.set_item("shingle", p.shingle.to_string())?;
        d.set_item("normalize", p.normalize.name())?;
        d.set_item("normalizer_version", p.normalizer_version)?;
        d.set_item("bands", p.bands)?;
        d.set_item("rows", p.rows)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!("Store({:?})", self.dir.display().to_string())
    }
}

#[pymodule]
fn _neardup(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("NOTICE", neardup::passages::background::NOTICE)?;
    m.add_function(wrap_pyfunction!(dedup, m)?)?;
    m.add_function(wrap_pyfunction!(passages, m)?)?;
    m.add_function(wrap_pyfunction!(cluster_stories, m)?)?;
    m.add_function(wrap_pyfunction!(sketch, m)?)?;
    m.add_function(wrap_pyfunction!(read_texts, m)?)?;
    m.add_class::<Group>()?;
    m.add_class::<Deduplicator>()?;
    m.add_class::<Sketch>()?;
    m.add_class::<Store>()?;
    m.add("NORMALIZER_VERSION", neardup::NORMALIZER_VERSION)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
