//! Command-line flags, as clap derive structs. Validation happens in [`super::config`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// neardup: near-duplicate detection for news feeds.
///
/// Exit codes: 0 on success (also when the output pipe closes early), 2 on any error (bad
/// input, bad flags, I/O failure). Errors name the file and line.
#[derive(Parser, Debug)]
#[command(name = "neardup", version, about, long_about = None, after_help = "Exit codes: 0 success, 2 error (the message names the file and line).", after_long_help = concat!("Exit codes: 0 success, 2 error (the message names the file and line).\n\nBundled data:\n", include_str!("../passages/data/NOTICE")))]
pub struct Cli {
    /// Read flags from a TOML file: keys are long flag names (`threshold = 0.9`,
    /// `text-field = "body"`, `skip-invalid = true`, `inputs = ["feed.jsonl"]`); flags given on
    /// the command line win. An unknown key or a value of the wrong type is an error.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Progress when stderr is not a terminal (a job's log): a plain line every few seconds.
    /// On a terminal, bars are shown without it; -q silences both.
    #[arg(long, global = true)]
    pub progress: bool,
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Deduplicate a feed: unique records to stdout, duplicate groups and pairs as JSON lines.
    Dedup(DedupArgs),
    /// Find restated passages inside documents and across a corpus, and recurring boilerplate.
    Passages(PassagesArgs),
    /// Score labelled pairs with a measure (near-dup, passage); report accuracy and F1.
    Pairs(PairsArgs),
    /// Write a self-contained HTML page to review duplicates, restated passages and stories.
    Report(ReportArgs),
    /// Cluster a feed into stories (related coverage of one event).
    Cluster(ClusterArgs),
    /// Evaluate: `eval clusters` scores story clustering against a truth field.
    #[command(subcommand)]
    Eval(EvalCommand),
    /// The persistent signature store: add, query, stats, verify, compact, remove.
    #[command(subcommand)]
    Index(IndexCommand),
}

/// Running across processes on Timely Dataflow (`dedup` and `cluster`).
#[cfg(feature = "distributed")]
#[derive(Args, Debug, Clone)]
pub struct DistArgs {
    /// Run across processes on Timely Dataflow: the host file, one host:port per process in
    /// process order (every process gets the same file and the same --workers)
    #[arg(long)]
    pub hosts: Option<PathBuf>,
    /// With --hosts: this process's index in the host file
    #[arg(long, default_value_t = 0)]
    pub process_id: usize,
    /// With --hosts: worker threads in each process (the same in every process)
    #[arg(long, default_value_t = 1)]
    pub workers: usize,
}

/// Input options shared by the subcommands that read feeds.
#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    /// Input files and folders (`-` for stdin; none means stdin). Gzip, zstd and Parquet are
    /// told by their magic bytes; a folder stands for its .jsonl, .ndjson, .json, .txt, .lines
    /// and .parquet files (optionally .gz/.zst), recursively, in sorted path order.
    pub inputs: Vec<PathBuf>,
    /// Input format: jsonl, lines (one document per line) or text (one document per file).
    /// Default: from the extension (.jsonl/.ndjson/.json, .lines, .txt), else jsonl when the
    /// content starts with `{`, else text. Parquet rows are read as JSON objects of their
    /// columns whatever this says.
    #[arg(long)]
    pub format: Option<String>,
    /// JSONL field (Parquet column) holding the text.
    #[arg(long, default_value = "text")]
    pub text_field: String,
    /// JSONL field (Parquet column) holding the id (FILE:LINE when absent; FILE:ROW for Parquet).
    #[arg(long, default_value = "id")]
    pub id_field: String,
    /// JSONL field (Parquet column) holding a title, prepended to the text.
    #[arg(long)]
    pub title_field: Option<String>,
    /// JSONL field (Parquet column) holding a date (ISO 8601 or anything that sorts
    /// chronologically).
    #[arg(long)]
    pub date_field: Option<String>,
    /// Skip invalid records with a warning instead of stopping with an error.
    #[arg(long)]
    pub skip_invalid: bool,
    /// Largest document accepted, in bytes.
    #[arg(long, default_value_t = 64 << 20)]
    pub max_doc_bytes: usize,
}

/// Flags of `neardup dedup`.
#[derive(Args, Debug)]
pub struct DedupArgs {
    /// Inputs and how to read them.
    #[command(flatten)]
    pub input: InputArgs,
    /// Distributed run (--hosts, --process-id, --workers).
    #[cfg(feature = "distributed")]
    #[command(flatten)]
    pub dist: DistArgs,
    /// Write unique records here instead of stdout: `.gz` gzip-, `.zst` zstd-compressed,
    /// `.parquet` (for Parquet input) the kept rows with the input's schema.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Write duplicate groups (JSON lines) here.
    #[arg(long)]
    pub groups: Option<PathBuf>,
    /// Write verified duplicate pairs (JSON lines) here.
    #[arg(long)]
    pub pairs: Option<PathBuf>,
    /// Jaccard threshold for duplicates (also tunes LSH).
    #[arg(long, default_value_t = neardup::dedup::DEFAULT_THRESHOLD)]
    pub threshold: f64,
    /// Containment threshold: a document this much contained in another is a duplicate.
    #[arg(long, default_value_t = neardup::dedup::DEFAULT_CONTAINMENT)]
    pub containment: f64,
    /// Do not use containment evidence (Jaccard only).
    #[arg(long)]
    pub no_containment: bool,
    /// Sentence coverage threshold of the rewrite route: a pair whose anchors put a quarter of
    /// the smaller document in the other, though its shingles fall short, is a duplicate when
    /// this share of its sentence words lies in sentences with a counterpart (word Dice 0.5) in
    /// the other. Auto verification with containment on only; above 1 disables it.
    #[arg(long, default_value_t = neardup::dedup::DEFAULT_COVERAGE)]
    pub coverage: f64,
    /// Containment anchors: word n-gram size [default: 3].
    #[arg(long)]
    pub anchor_ngram: Option<usize>,
    /// Containment anchors: keep one n-gram in M (MOD-M sampling) [default: 4].
    #[arg(long)]
    pub anchor_mod: Option<u32>,
    /// Containment anchors held by more documents than this are ignored as common.
    #[arg(long, default_value_t = 16)]
    pub anchor_max_df: u32,
    /// Containment needs at least this many shared anchors.
    #[arg(long, default_value_t = 2)]
    pub anchor_min_shared: u32,
    /// MinHash permutations (signature slots) [default: 128].
    #[arg(long)]
    pub num_perm: Option<usize>,
    /// Shingles: word:N or char:N [default: word:3].
    #[arg(long)]
    pub shingle: Option<String>,
    /// Normalization: auto, arabic (adds clitic stemming) or none [default: auto].
    #[arg(long)]
    pub normalize: Option<String>,
    /// LSH bands (with --rows; default: derived from the threshold).
    #[arg(long, requires = "rows")]
    pub bands: Option<usize>,
    /// LSH rows per band (with --bands).
    #[arg(long, requires = "bands")]
    pub rows: Option<usize>,
    /// Weights of false positives and false negatives when deriving bands: FP,FN.
    #[arg(long, default_value = "0.3,0.7")]
    pub lsh_weights: String,
    /// Least probability that a pair at the threshold becomes a candidate, when deriving bands
    #[arg(long, default_value_t = neardup::dedup::DEFAULT_LSH_MIN_RECALL)]
    pub lsh_min_recall: f64,
    /// Verification: auto (estimate, and pairs within three standard errors of a threshold
    /// settled exactly on their texts, read again), estimate (signatures only) or exact (every
    /// candidate on shingle sets kept in memory). With --store, auto decides pairs with stored
    /// documents from the estimate: the store holds no text
    #[arg(long, default_value = "auto")]
    pub verify: String,
    /// Which member of a group to keep: first, longest or newest (needs --date-field).
    #[arg(long, default_value = "first")]
    pub keep: String,
    /// Keep every line: no boilerplate detection.
    #[arg(long)]
    pub no_boilerplate: bool,
    /// A short line in this many documents is boilerplate (long lines need 4x).
    #[arg(long, default_value_t = 5)]
    pub boilerplate_min_docs: u32,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Hash seed (the help states the default, `neardup::shingle::DEFAULT_SEED`).
    #[arg(long, help = format!("Hash seed [default: {}].", neardup::shingle::DEFAULT_SEED))]
    pub seed: Option<u64>,
    /// Deduplicate against the signature store in DIR as well, and add the new unique
    /// documents to it. The store's parameters apply; a conflicting flag is an error.
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
    /// No summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Flags of `neardup passages`.
#[derive(Args, Debug)]
pub struct PassagesArgs {
    /// Inputs and how to read them.
    #[command(flatten)]
    pub input: InputArgs,
    /// Write results here instead of stdout.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// doc (restatements inside each document) or corpus (also across documents; the default
    /// when more than one document is read).
    #[arg(long)]
    pub scope: Option<String>,
    /// Output: json (one JSON line per result; the default when stdout is not a terminal) or
    /// table. `--format json` and `--format table` set this too (`--format jsonl|lines|text`
    /// sets the input format, as for dedup).
    #[arg(long)]
    pub output_format: Option<String>,
    /// No summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// How passages are matched.
    #[command(flatten)]
    pub matching: PassageFlags,
}

/// How `neardup passages` and `neardup report` match passages.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Passage matching")]
pub struct PassageFlags {
    /// First cut: weighted soft Dice of content terms a sentence or clause pair must reach to
    /// be weighed by the restatement model.
    #[arg(long, default_value_t = neardup::passages::PassageParams::default().threshold)]
    pub threshold: f64,
    /// Least probability of the restatement model for a reported pair (the record's
    /// `similarity`), where the term weights are a feed's (2,000 units or more).
    #[arg(long, default_value_t = neardup::passages::PassageParams::default().min_similarity)]
    pub min_similarity: f64,
    /// Sentences or clauses with fewer content terms are not compared.
    #[arg(long, default_value_t = neardup::passages::PassageParams::default().min_terms)]
    pub min_terms: usize,
    /// Also report a headline restated in the lead (kind "headline").
    #[arg(long)]
    pub headlines: bool,
    /// One Arabic article or a few (under 2,000 units): weigh terms by the input's own units,
    /// not by the bundled Arabic background (wordfreq's word frequencies).
    #[arg(long)]
    pub no_background: bool,
    /// One Arabic article or a few (under 2,000 units), and any small input: the weighted soft
    /// Dice a pair must reach (the decision where the term weights are not a feed's).
    #[arg(long, default_value_t = neardup::passages::PassageParams::default().dice_threshold)]
    pub dice_threshold: f64,
    /// Under the background's weights, the least probability of the restatement model for a
    /// pair the weighted soft Dice accepts (the model's veto).
    #[arg(long, default_value_t = neardup::passages::PassageParams::default().background_veto)]
    pub background_veto: f64,
    /// A short line in this many documents (or twice in one) is boilerplate.
    #[arg(long, default_value_t = 3)]
    pub boilerplate_min_docs: usize,
    /// Lines longer than this many characters are never boilerplate here.
    #[arg(long, default_value_t = 100)]
    pub boilerplate_max_chars: usize,
}

/// Flags of `neardup pairs`.
#[derive(Args, Debug)]
pub struct PairsArgs {
    /// JSONL of pairs: `id1`/`id2` (texts from --docs) or `text1`/`text2`.
    #[arg(long)]
    pub pairs: PathBuf,
    /// JSONL of documents holding the texts of `id1`/`id2`.
    #[arg(long)]
    pub docs: Option<PathBuf>,
    /// near-dup (exact Jaccard and containment on shingles), passage (restatement
    /// similarity) or story. Story: the decision is `cluster`'s own (a `cluster` run at its
    /// defaults over the --docs records, or the pairs' texts, puts the two in one story); the
    /// similarity is the square root of a TF-IDF cosine without the words of the site's
    /// phrases (word 3-grams in 2% and 3+ of the texts of one script), and a pair with a page
    /// template or a text left without words gets the mean of its script's known pairs.
    #[arg(long, default_value = "near-dup")]
    pub measure: String,
    /// Decision threshold (default: the measure's own).
    #[arg(long)]
    pub threshold: Option<f64>,
    /// Story measure: cut words to this many characters (0: whole words); the similarity only
    /// (the decision is `cluster`'s, with whole words)
    #[arg(long, default_value_t = neardup::cluster::story::PAIR_STEM_CHARS)]
    pub stem_chars: usize,
    /// Story measure: weight of first-line (title) terms in the similarity. 1 by default: a
    /// pair is compared text to text, whatever line comes first (`cluster`, which makes the
    /// decision, boosts titles, tuned on ECB+)
    #[arg(long, default_value_t = 1.0)]
    pub title_weight: f32,
    /// Story measure: weight of names (capitalized inside a sentence) and numbers in the
    /// similarity. 1 by default: capitals mark every German noun, not names
    #[arg(long, default_value_t = 1.0)]
    pub entity_weight: f32,
    /// A label field in the pairs file: prints accuracy, precision, recall, F1 (booleans) or
    /// Pearson correlation (numbers) on stderr.
    #[arg(long)]
    pub label_field: Option<String>,
    /// Story measure: the --docs field holding a title, prepended to the text (as `cluster`)
    #[arg(long)]
    pub title_field: Option<String>,
    /// Story measure: the --docs field holding a date; the decision then uses time as
    /// evidence at `cluster`'s dated defaults
    #[arg(long)]
    pub date_field: Option<String>,
    /// Text field in --docs.
    #[arg(long, default_value = "text")]
    pub text_field: String,
    /// Id field in --docs.
    #[arg(long, default_value = "id")]
    pub id_field: String,
    /// Write scores here instead of stdout.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Also write the passage measure's features (for training the model).
    #[arg(long, hide = true)]
    pub emit_features: bool,
}

/// `neardup index` subcommands.
#[derive(Subcommand, Debug)]
pub enum IndexCommand {
    /// Report which new documents duplicate stored ones or each other, then store them.
    Add(DedupArgs),
    /// Read-only: each input document once (one JSON line, in input order) with its matches:
    /// stored ones and input documents it duplicates, with similarity, Jaccard estimate and
    /// containment.
    Query(DedupArgs),
    /// Documents, segments, parameters and size of a store.
    Stats(StoreArg),
    /// Check every file of a store, checksums included; names each damaged file.
    Verify(StoreArg),
    /// Merge all segments into one and drop removed documents.
    Compact(StoreArg),
    /// Remove documents by id.
    Remove(RemoveArgs),
}

/// Just the store.
#[derive(Args, Debug)]
pub struct StoreArg {
    /// The store directory.
    #[arg(long, value_name = "DIR")]
    pub store: PathBuf,
}

/// Flags of `neardup index remove`.
#[derive(Args, Debug)]
pub struct RemoveArgs {
    /// The store directory.
    #[arg(long, value_name = "DIR")]
    pub store: PathBuf,
    /// Ids to remove (as they appear in the input: a string id, or a number).
    #[arg(required = true)]
    pub ids: Vec<String>,
}

/// Flags of `neardup cluster`.
#[derive(Args, Debug)]
pub struct ClusterArgs {
    /// Distributed run (--hosts, --process-id, --workers).
    #[cfg(feature = "distributed")]
    #[command(flatten)]
    pub dist: DistArgs,
    /// Inputs and how to read them.
    #[command(flatten)]
    pub input: InputArgs,
    /// Write stories here instead of stdout.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Cosine between an article and a story centroid needed to join the story (times the
    /// time factor with dates). Default 0.25, or 0.40 with --date-field
    #[arg(long)]
    pub threshold: Option<f64>,
    /// Only join stories active within this time (e.g. 3d, 12h; needs --date-field).
    #[arg(long)]
    pub window: Option<String>,
    /// Weight of title (first line) terms.
    #[arg(long, default_value_t = neardup::cluster::story::StoryParams::default().title_weight)]
    pub title_weight: f32,
    /// Weight of names (capitalized inside a sentence) and numbers.
    #[arg(long, default_value_t = neardup::cluster::story::StoryParams::default().entity_weight)]
    pub entity_weight: f32,
    /// Cut words to this many characters, a stemmer for any language (0: whole words; not
    /// with --store, whose terms are whole words)
    #[arg(long, default_value_t = 0)]
    pub stem_chars: usize,
    /// Keep stories in DIR (the `STORIES` file of a store directory): new articles join the
    /// stored stories or start new ones, and story ids stay stable from run to run.
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
    /// Time as evidence with --date-field: the Gaussian scale of the time factor on the
    /// similarity to a story, and the half-life of a story centroid's memory (e.g. 36h, 2d;
    /// 0 turns time off). Default 36h when --date-field is given
    #[arg(long)]
    pub time_scale: Option<String>,
    /// With --date-field, near-duplicates published at most this far apart are always one
    /// story (e.g. 48h, 2d); farther apart, a near-identical text is taken for a template
    /// report of another day and joins only on story evidence. Default 48h when
    /// --date-field is given; undated near-duplicates are always one story
    #[arg(long)]
    pub reprint_gap: Option<String>,
    /// With --date-field, figures as evidence: the similarity of an article to a story is
    /// multiplied by this when both carry one rare figure (a number of 3+ digits or written
    /// with a decimal or thousands separator, not a year); 1 turns it off
    #[arg(long, default_value_t = neardup::stories::DEFAULT_FIGURE_FACTOR)]
    pub figure_factor: f64,
    /// A figure counts as evidence when at most this share of the articles holds it (a figure
    /// of two articles always counts)
    #[arg(long, default_value_t = neardup::stories::DEFAULT_FIGURE_SHARE)]
    pub figure_share: f64,
    /// Do not run near-duplicate detection first (by default each dedup group is one story)
    #[arg(long)]
    pub no_dedup: bool,
    /// Members of a story this similar (cosine) to an earlier member are marked near-duplicates.
    #[arg(long, default_value_t = 0.8)]
    pub near_duplicate: f64,
    /// No summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `neardup eval` subcommands.
#[derive(Subcommand, Debug)]
pub enum EvalCommand {
    /// B-cubed precision/recall/F1, pairwise F1 and ARI of `cluster` against a truth field.
    Clusters(EvalClustersArgs),
}

/// Flags of `neardup eval clusters`.
#[derive(Args, Debug)]
pub struct EvalClustersArgs {
    /// Inputs and how to read them.
    #[command(flatten)]
    pub input: InputArgs,
    /// The JSONL field holding the true story of each article.
    #[arg(long)]
    pub truth_field: String,
    /// Clustering threshold (as for `cluster`).
    #[arg(long, default_value_t = neardup::cluster::story::StoryParams::default().threshold)]
    pub threshold: f64,
    /// Weight of title terms (as for `cluster`).
    #[arg(long, default_value_t = neardup::cluster::story::StoryParams::default().title_weight)]
    pub title_weight: f32,
    /// Weight of names and numbers (as for `cluster`).
    #[arg(long, default_value_t = neardup::cluster::story::StoryParams::default().entity_weight)]
    pub entity_weight: f32,
}

/// Flags of `neardup report`.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Inputs and how to read them.
    #[command(flatten)]
    pub input: InputArgs,
    /// The HTML file to write.
    #[arg(long, short)]
    pub output: PathBuf,
    /// No progress on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// How restated passages are matched (as `neardup passages`).
    #[command(flatten)]
    pub matching: PassageFlags,
}
