//! A hybrid recommender: collaborative, content and knowledge-graph scores blended per user.
//!
//! # Algorithm
//!
//! Three components score every item for a user:
//! - *collaborative*: the project's best ranking model (`registry::best_for(Task::Ranking)`,
//!   ALS), built with the hybrid's seed and its default parameters;
//! - *content*: the user's mean text embedding against each item's
//!   ([`crate::coldstart::ContentRecommender`]);
//! - *knowledge graph*: [`crate::graph::KgRecommender`] with its default parameters
//!   (relation weights learned on its own validation split; when the hybrid's weights are
//!   learned too, the final fit reuses the relation weights of the validation fit), when a
//!   graph is given.
//!
//! Each component's scores for the user are normalised ([`Normalise`]: z-scores over all
//! items, or reciprocal rank fusion), then summed with the weights `c, t, g`.
//!
//! Weights are given (`weights="1,0.1,0"`) or learned (`weights="learned"`): a validation
//! split is carved from the training data only (per user, a `validation` share of each
//! user's training interactions, with `chatrec_models::eval::validation_split` and the
//! model seed), the components are fitted on the rest, and every pair of content and graph
//! weights from [`WEIGHT_LEVELS`] (the collaborative weight stays 1; only ratios matter) is
//! scored by the validation NDCG@10 of the blend, over at most
//! [`MAX_VALIDATION_SCORES`] scores per component (users drawn with the seed when there
//! are more). The chosen pair is the lightest (smallest content + graph weight) whose NDCG
//! is within one standard error of the highest, the error being that of the per-user
//! paired difference (the one-standard-error rule of Breiman et al., "Classification and
//! regression trees", 1984): a blend must beat the collaborative model alone (`1,0,0`) by
//! more than the noise of the validation split to be chosen. The components are then
//! refitted on all training data; those with weight 0 are left out.
//!
//! # Stored state
//!
//! `params`: the parameters with `weights` written out, plus `components`, a list of
//! `{kind, model, params}` (kind `collaborative`, `content` or `knowledge`). Tensors: each
//! component's tensors, renamed `<kind>.<name>`. [`HybridRecommender::from_state`] scores
//! from these alone; refitting needs the embeddings and graph of
//! [`HybridRecommender::new`].
//!
//! # Determinism
//!
//! The validation split, the user sample and every component derive from the seed; the
//! search evaluates users in parallel and sums them in user order. The same seed gives the
//! same weights and scores under any number of threads.

mod normalise;

use std::fmt;
use std::sync::Arc;

use chatrec_core::{CsrMatrix, Interaction};
use chatrec_models::eval::metrics::RankingMetrics;
use chatrec_models::eval::{relevant_matrix, validation_split, SplitSpec};
use chatrec_models::params::params_from_json;
use chatrec_models::persist::{ModelState, Tensor};
use chatrec_models::registry::{self, Task};
use chatrec_models::topk::{top_k, top_k_excluding};
use chatrec_models::{ModelError, Progress, Recommender, Scored, TrainSet};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::coldstart::ContentRecommender;
use crate::dense::DenseMatrix;
use crate::graph::{KgParams, KgRecommender, KnowledgeGraph};

pub use normalise::Normalise;

pub const NAME: &str = "hybrid";

/// Weights tried for the content and graph components when weights are learned.
/// The collaborative weight stays 1, so levels above 1 let the other components lead.
pub const WEIGHT_LEVELS: [f32; 12] = [0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0];

/// Scores held per component during weight learning (64 MiB of f32): caps the number of
/// validation users on large catalogs.
pub const MAX_VALIDATION_SCORES: usize = 16 << 20;

/// The cut-off of the validation metric.
const VALIDATION_K: usize = 10;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HybridParams {
    /// `learned` (on validation data carved from training), or the weights of the
    /// collaborative, content and knowledge-graph scores as `c,t,g` (`:` also separates).
    pub weights: String,
    /// Per-user normalisation of each component's scores: `zscore` or `rrf`.
    pub normalise: Normalise,
    /// Share of each user's training interactions held out when weights are learned.
    pub validation: f64,
}

impl Default for HybridParams {
    /// Learned z-score weights: z-scores beat reciprocal rank fusion on the validation
    /// splits of MovieLens-100K (docs/hybrid.md).
    fn default() -> Self {
        HybridParams {
            weights: "learned".into(),
            normalise: Normalise::Zscore,
            validation: 0.2,
        }
    }
}

/// The weight of each component.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HybridWeights {
    pub collaborative: f32,
    pub content: f32,
    pub knowledge: f32,
}

impl HybridWeights {
    /// Parses `c,t,g` (or `c:t:g`): three finite weights >= 0, not all 0.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let values: Vec<f32> = spec
            .split([',', ':'])
            .map(|w| {
                w.trim()
                    .parse::<f32>()
                    .ok()
                    .filter(|w| w.is_finite() && *w >= 0.0)
                    .ok_or_else(|| format!("`{}` is not a non-negative number", w.trim()))
            })
            .collect::<Result<_, _>>()?;
        let [collaborative, content, knowledge] = values[..] else {
            return Err(format!(
                "give three weights (collaborative, content, knowledge graph), got {}",
                values.len()
            ));
        };
        if collaborative + content + knowledge == 0.0 {
            return Err("at least one weight must be positive".into());
        }
        Ok(HybridWeights {
            collaborative,
            content,
            knowledge,
        })
    }

    fn of(&self, kind: Kind) -> f32 {
        match kind {
            Kind::Collaborative => self.collaborative,
            Kind::Content => self.content,
            Kind::Knowledge => self.knowledge,
        }
    }
}

impl fmt::Display for HybridWeights {
    /// The form [`HybridWeights::parse`] reads.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{},{},{}",
            self.collaborative, self.content, self.knowledge
        )
    }
}

/// What weight learning found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HybridTuning {
    pub weights: HybridWeights,
    /// Validation NDCG@10 of the chosen weights.
    pub validation_ndcg: f64,
    /// The weights with the highest validation NDCG@10, and that NDCG; the chosen weights
    /// are the lightest within one standard error of it.
    pub highest_weights: HybridWeights,
    pub highest_ndcg: f64,
    /// Validation NDCG@10 of each component alone.
    pub collaborative_ndcg: f64,
    pub content_ndcg: f64,
    pub knowledge_ndcg: Option<f64>,
    /// The graph component's relation weights, learned during the validation fit and
    /// reused by the final fit, so that its scores keep the distribution the weights were
    /// chosen for.
    pub relation_weights: Option<String>,
    /// Weight pairs evaluated.
    pub trials: usize,
    /// Users whose validation items were ranked.
    pub validation_users: usize,
}

/// The three kinds of component, in the order they are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Collaborative,
    Content,
    Knowledge,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Kind::Collaborative => "collaborative.",
            Kind::Content => "content.",
            Kind::Knowledge => "knowledge.",
        }
    }
}

/// How a component is described in the stored state.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ComponentEntry {
    kind: Kind,
    model: String,
    params: Value,
}

struct Component {
    kind: Kind,
    weight: f32,
    model: Box<dyn Recommender>,
}

/// The hybrid recommender; see the module documentation.
pub struct HybridRecommender {
    params: HybridParams,
    seed: u64,
    embeddings: Arc<DenseMatrix>,
    graph: Option<Arc<KnowledgeGraph>>,
    components: Vec<Component>,
    tuning: Option<HybridTuning>,
}

fn invalid(name: &str, reason: &str) -> ModelError {
    ModelError::InvalidParam {
        model: NAME.to_owned(),
        name: name.to_owned(),
        reason: reason.to_owned(),
    }
}

impl HybridParams {
    /// The explicit weights, or `None` when they are to be learned.
    fn validate(&self) -> Result<Option<HybridWeights>, ModelError> {
        if !(self.validation > 0.0 && self.validation < 1.0) {
            return Err(invalid("validation", "must lie strictly between 0 and 1"));
        }
        if self.weights.trim() == "learned" {
            return Ok(None);
        }
        HybridWeights::parse(&self.weights)
            .map(Some)
            .map_err(|e| invalid("weights", &e))
    }
}

impl HybridRecommender {
    /// An unfitted model. `embeddings` holds one text embedding per item of the training
    /// data it will be fitted on; `graph`, when given, must be loaded for the same catalog.
    pub fn new(
        params: HybridParams,
        embeddings: Arc<DenseMatrix>,
        graph: Option<Arc<KnowledgeGraph>>,
        seed: u64,
    ) -> Self {
        HybridRecommender {
            params,
            seed,
            embeddings,
            graph,
            components: Vec::new(),
            tuning: None,
        }
    }

    /// The fitted model saved by [`Recommender::state`].
    pub fn from_state(state: &ModelState) -> Result<Self, ModelError> {
        if state.model != NAME {
            return Err(state.format_error(format!("expected a `{NAME}` model")));
        }
        let mut object = state
            .params
            .as_object()
            .cloned()
            .ok_or_else(|| state.format_error("hybrid params are not an object".into()))?;
        let entries: Vec<ComponentEntry> = match object.remove("components") {
            Some(list) => serde_json::from_value(list)
                .map_err(|e| state.format_error(format!("hybrid components: {e}")))?,
            None => return Err(state.format_error("hybrid state lacks components".into())),
        };
        let params: HybridParams = params_from_json(NAME, &Value::Object(object))?;
        let weights = params.validate()?.ok_or_else(|| {
            state.format_error("a fitted hybrid stores its weights, not `learned`".into())
        })?;
        let mut components = Vec::with_capacity(entries.len());
        for entry in entries {
            let prefix = entry.kind.prefix();
            let sub = ModelState {
                model: entry.model.clone(),
                params: entry.params,
                tensors: state
                    .tensors
                    .iter()
                    .filter_map(|t| {
                        t.name.strip_prefix(prefix).map(|name| Tensor {
                            name: name.to_owned(),
                            ..t.clone()
                        })
                    })
                    .collect(),
            };
            let model: Box<dyn Recommender> = match entry.kind {
                Kind::Collaborative => registry::from_state(&sub)?,
                Kind::Content => Box::new(ContentRecommender::from_state(&sub)?),
                Kind::Knowledge => Box::new(KgRecommender::from_state(&sub)?),
            };
            components.push(Component {
                kind: entry.kind,
                weight: weights.of(entry.kind),
                model,
            });
        }
        if components.is_empty() {
            return Err(state.format_error("hybrid state has no components".into()));
        }
        Ok(HybridRecommender {
            params,
            seed: 0,
            embeddings: Arc::new(DenseMatrix::zeros(0, 0)),
            graph: None,
            components,
            tuning: None,
        })
    }

    pub fn params(&self) -> &HybridParams {
        &self.params
    }

    /// The weights in use, once fitted.
    pub fn weights(&self) -> Option<HybridWeights> {
        if self.components.is_empty() {
            return None;
        }
        let of = |kind: Kind| {
            self.components
                .iter()
                .find(|c| c.kind == kind)
                .map_or(0.0, |c| c.weight)
        };
        Some(HybridWeights {
            collaborative: of(Kind::Collaborative),
            content: of(Kind::Content),
            knowledge: of(Kind::Knowledge),
        })
    }

    /// What weight learning found, after a fit with `weights="learned"`.
    pub fn tuning(&self) -> Option<&HybridTuning> {
        self.tuning.as_ref()
    }

    /// Builds and fits the components of the given kinds on `train`. The graph component
    /// uses `relation_weights` when given, else learns its own; the relation weights it
    /// used are returned with the components.
    fn fit_components(
        &self,
        kinds: &[(Kind, f32)],
        train: &TrainSet,
        relation_weights: Option<&str>,
        progress: &dyn Progress,
    ) -> Result<(Vec<Component>, Option<String>), ModelError> {
        let mut out = Vec::with_capacity(kinds.len());
        let mut used_relation_weights = None;
        for &(kind, weight) in kinds {
            let model: Box<dyn Recommender> = match kind {
                Kind::Collaborative => {
                    let (name, params) = registry::best_for(Task::Ranking);
                    let mut model = registry::build(name, &params, self.seed)?;
                    model.fit(train, progress)?;
                    model
                }
                Kind::Content => {
                    let mut model = ContentRecommender::new(Arc::clone(&self.embeddings));
                    model.fit(train, progress)?;
                    Box::new(model)
                }
                Kind::Knowledge => {
                    let graph = self.graph.as_ref().ok_or_else(|| {
                        invalid("weights", "a knowledge-graph weight needs a graph")
                    })?;
                    let params = KgParams {
                        weights: relation_weights.unwrap_or("learned").to_owned(),
                        ..KgParams::default()
                    };
                    let mut model = KgRecommender::new(params, Arc::clone(graph), self.seed);
                    model.fit(train, progress)?;
                    used_relation_weights = model.weights().map(|w| w.to_string());
                    Box::new(model)
                }
            };
            progress.finish();
            out.push(Component {
                kind,
                weight,
                model,
            });
        }
        Ok((out, used_relation_weights))
    }

    /// Grid search of the content and graph weights on a validation split of `train`.
    fn learn_weights(
        &self,
        train: &TrainSet,
        progress: &dyn Progress,
    ) -> Result<HybridTuning, ModelError> {
        let (n_users, n_items) = (train.n_users(), train.n_items());
        let interactions: Vec<Interaction> = (0..n_users)
            .flat_map(|u| {
                train.matrix.row(u).map(move |(item, value)| Interaction {
                    user: u as u32,
                    item,
                    value,
                    timestamp: 0,
                })
            })
            .collect();
        let spec = SplitSpec::UserRatio {
            train_ratio: 1.0 - self.params.validation,
        };
        let too_small = |e: chatrec_models::eval::EvalError| {
            ModelError::EmptyTrainingData(format!(
                "cannot carve a validation split to learn the hybrid's weights ({e}); give weights explicitly"
            ))
        };
        let split = validation_split(&interactions, &spec, self.seed).map_err(too_small)?;
        let triplets: Vec<(u32, u32, f32)> = split
            .train
            .iter()
            .map(|i| (i.user, i.item, i.value))
            .collect();
        let fit_part = TrainSet::from_matrix(CsrMatrix::from_triplets(n_users, n_items, &triplets));
        let relevant = relevant_matrix(n_users, n_items, &split.test, None).map_err(too_small)?;
        let users = validation_users(&relevant, n_items, self.seed);

        let mut kinds = vec![(Kind::Collaborative, 1.0), (Kind::Content, 0.0)];
        if self.graph.is_some() {
            kinds.push((Kind::Knowledge, 0.0));
        }
        let (components, relation_weights) =
            self.fit_components(&kinds, &fit_part, None, progress)?;
        let scores: Vec<Vec<f32>> = components
            .iter()
            .map(|c| normalised_scores(c.model.as_ref(), &users, n_items, self.params.normalise))
            .collect();
        let graph_levels: &[f32] = if self.graph.is_some() {
            &WEIGHT_LEVELS
        } else {
            &WEIGHT_LEVELS[..1]
        };
        let probe = Probe {
            users: &users,
            scores: &scores,
            seen: &fit_part.matrix,
            relevant: &relevant,
            n_items,
        };
        // Every pair's per-user NDCG, in grid order (content outer, graph inner).
        let mut grid: Vec<(f32, f32, Vec<f64>)> = Vec::new();
        progress.start(
            "hybrid weights",
            (WEIGHT_LEVELS.len() * graph_levels.len()) as u64,
        );
        for &content in &WEIGHT_LEVELS {
            for &knowledge in graph_levels {
                grid.push((
                    content,
                    knowledge,
                    probe.per_user(&[1.0, content, knowledge]),
                ));
                progress.advance(1);
            }
        }
        progress.finish();
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
        let (highest, _) =
            grid.iter()
                .enumerate()
                .fold((0usize, f64::NEG_INFINITY), |(bi, bm), (i, t)| {
                    let m = mean(&t.2);
                    if m > bm {
                        (i, m)
                    } else {
                        (bi, bm)
                    }
                });
        // One-standard-error rule: the lightest blend (least content and graph weight)
        // whose validation NDCG is within one standard error of the highest, the error
        // taken over users of the paired difference. Gains smaller than the noise of the
        // validation split do not move the weights away from the collaborative model.
        let mut by_lightness: Vec<usize> = (0..grid.len()).collect();
        by_lightness.sort_by(|&a, &b| {
            let key = |i: usize| (grid[i].0 + grid[i].1, grid[i].0, grid[i].1);
            let (ka, kb) = (key(a), key(b));
            ka.0.total_cmp(&kb.0)
                .then(ka.1.total_cmp(&kb.1))
                .then(ka.2.total_cmp(&kb.2))
                .then(a.cmp(&b))
        });
        let top = &grid[highest].2;
        let chosen = by_lightness
            .into_iter()
            .find(|&i| {
                let diffs: Vec<f64> = top.iter().zip(&grid[i].2).map(|(a, b)| a - b).collect();
                let d = mean(&diffs);
                d <= standard_error(&diffs, d)
            })
            .unwrap_or(highest);
        let trials = grid.len();
        let weights = HybridWeights {
            collaborative: 1.0,
            content: grid[chosen].0,
            knowledge: grid[chosen].1,
        };
        Ok(HybridTuning {
            weights,
            validation_ndcg: mean(&grid[chosen].2),
            highest_weights: HybridWeights {
                collaborative: 1.0,
                content: grid[highest].0,
                knowledge: grid[highest].1,
            },
            highest_ndcg: mean(top),
            collaborative_ndcg: probe.ndcg(&[1.0, 0.0, 0.0]),
            content_ndcg: probe.ndcg(&[0.0, 1.0, 0.0]),
            knowledge_ndcg: self.graph.is_some().then(|| probe.ndcg(&[0.0, 0.0, 1.0])),
            relation_weights,
            trials,
            validation_users: users.len(),
        })
    }

    /// Adds the normalised, weighted scores of every component into `out`.
    fn combine(&self, out: &mut [f32], mut score: impl FnMut(&dyn Recommender, &mut [f32])) {
        out.fill(0.0);
        let n = self.n_items().max(1);
        let mut buffer = vec![0.0f32; out.len()];
        for component in &self.components {
            score(component.model.as_ref(), &mut buffer);
            buffer
                .par_chunks_mut(n)
                .for_each(|row| self.params.normalise.apply(row));
            for (o, &b) in out.iter_mut().zip(&buffer) {
                *o += component.weight * b;
            }
        }
    }
}

/// Users with validation items, at most [`MAX_VALIDATION_SCORES`] / `n_items` of them
/// (a seeded sample when there are more), ascending.
fn validation_users(relevant: &CsrMatrix, n_items: usize, seed: u64) -> Vec<u32> {
    let users: Vec<u32> = (0..relevant.n_rows() as u32)
        .filter(|&u| relevant.row_nnz(u as usize) > 0)
        .collect();
    let cap = (MAX_VALIDATION_SCORES / n_items.max(1)).max(1);
    if users.len() <= cap {
        return users;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut chosen: Vec<u32> = rand::seq::index::sample(&mut rng, users.len(), cap)
        .into_iter()
        .map(|i| users[i])
        .collect();
    chosen.sort_unstable();
    chosen
}

/// `users.len()` normalised rows of the model's scores.
fn normalised_scores(
    model: &dyn Recommender,
    users: &[u32],
    n_items: usize,
    normalise: Normalise,
) -> Vec<f32> {
    let mut scores = vec![0.0f32; users.len() * n_items];
    model.score_users(users, &mut scores);
    scores
        .par_chunks_mut(n_items.max(1))
        .for_each(|row| normalise.apply(row));
    scores
}

/// Precomputed validation scores, to score many weightings cheaply.
struct Probe<'a> {
    users: &'a [u32],
    /// One `users x n_items` matrix per component, in component order.
    scores: &'a [Vec<f32>],
    seen: &'a CsrMatrix,
    relevant: &'a CsrMatrix,
    n_items: usize,
}

impl Probe<'_> {
    /// Mean validation NDCG@10 of the weighted sum of the components.
    fn ndcg(&self, weights: &[f32]) -> f64 {
        let per_user = self.per_user(weights);
        per_user.iter().sum::<f64>() / per_user.len().max(1) as f64
    }

    /// Validation NDCG@10 of each user, in user order.
    fn per_user(&self, weights: &[f32]) -> Vec<f64> {
        let n = self.n_items;
        self.users
            .par_iter()
            .enumerate()
            .map_init(
                || vec![0.0f32; n],
                |row, (pos, &user)| {
                    row.fill(0.0);
                    for (matrix, &w) in self.scores.iter().zip(weights) {
                        if w == 0.0 {
                            continue;
                        }
                        for (r, &s) in row.iter_mut().zip(&matrix[pos * n..(pos + 1) * n]) {
                            *r += w * s;
                        }
                    }
                    let top: Vec<u32> =
                        top_k_excluding(row, VALIDATION_K, self.seen.row_indices(user as usize))
                            .iter()
                            .map(|s| s.item)
                            .collect();
                    RankingMetrics::compute(
                        &top,
                        self.relevant.row_indices(user as usize),
                        VALIDATION_K,
                    )
                    .ndcg
                },
            )
            .collect()
    }
}

/// Standard error of the mean of `values` (whose mean is `mean`); 0 for fewer than two.
fn standard_error(values: &[f64], mean: f64) -> f64 {
    let n = values.len();
    if n < 2 {
        return 0.0;
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    (var / n as f64).sqrt()
}

impl Recommender for HybridRecommender {
    fn name(&self) -> &'static str {
        NAME
    }

    fn fit(&mut self, train: &TrainSet, progress: &dyn Progress) -> Result<(), ModelError> {
        let explicit = self.params.validate()?;
        if self.embeddings.rows() != train.n_items() {
            return Err(invalid(
                "embeddings",
                &format!(
                    "{} item embeddings for {} items in the training data (a model loaded \
                     from a file cannot be refitted; build a new one)",
                    self.embeddings.rows(),
                    train.n_items()
                ),
            ));
        }
        if let Some(graph) = &self.graph {
            if graph.n_items() != train.n_items() {
                return Err(invalid(
                    "graph",
                    &format!(
                        "the graph was loaded for {} items but the training data has {}",
                        graph.n_items(),
                        train.n_items()
                    ),
                ));
            }
        }
        let (weights, relation_weights) = match explicit {
            Some(weights) => {
                self.tuning = None;
                (weights, None)
            }
            None => {
                let tuning = self.learn_weights(train, progress)?;
                let found = (tuning.weights, tuning.relation_weights.clone());
                self.tuning = Some(tuning);
                found
            }
        };
        let kinds: Vec<(Kind, f32)> = [Kind::Collaborative, Kind::Content, Kind::Knowledge]
            .into_iter()
            .map(|k| (k, weights.of(k)))
            .filter(|&(_, w)| w > 0.0)
            .collect();
        self.components = self
            .fit_components(&kinds, train, relation_weights.as_deref(), progress)?
            .0;
        Ok(())
    }

    fn n_users(&self) -> usize {
        self.components.first().map_or(0, |c| c.model.n_users())
    }

    fn n_items(&self) -> usize {
        self.components.first().map_or(0, |c| c.model.n_items())
    }

    fn score_user(&self, user: u32, out: &mut [f32]) {
        self.combine(out, |m, buf| m.score_user(user, buf));
    }

    fn score_users(&self, users: &[u32], out: &mut [f32]) {
        self.combine(out, |m, buf| m.score_users(users, buf));
    }

    fn score_history(&self, history: &[(u32, f32)], out: &mut [f32]) {
        self.combine(out, |m, buf| m.score_history(history, buf));
    }

    /// What the hybrid recommends to someone who liked only `item`.
    fn similar_items(&self, item: u32, n: usize) -> Vec<Scored> {
        if item as usize >= self.n_items() {
            return Vec::new();
        }
        let mut scores = vec![0.0; self.n_items()];
        self.score_history(&[(item, 1.0)], &mut scores);
        top_k(&scores, n, |i| i == item)
    }

    fn state(&self) -> ModelState {
        let mut params = self.params.clone();
        if let Some(weights) = self.weights() {
            params.weights = weights.to_string();
        }
        let mut params = serde_json::to_value(&params).unwrap_or(Value::Null);
        let mut tensors = Vec::new();
        let mut entries = Vec::with_capacity(self.components.len());
        for component in &self.components {
            let state = component.model.state();
            entries.push(ComponentEntry {
                kind: component.kind,
                model: state.model,
                params: state.params,
            });
            tensors.extend(state.tensors.into_iter().map(|t| Tensor {
                name: format!("{}{}", component.kind.prefix(), t.name),
                ..t
            }));
        }
        if let Value::Object(object) = &mut params {
            object.insert(
                "components".into(),
                serde_json::to_value(&entries).unwrap_or(Value::Null),
            );
        }
        ModelState {
            model: NAME.to_owned(),
            params,
            tensors,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::{HashingEmbedder, TextEmbedder};
    use chatrec_models::NoProgress;

    fn params(weights: &str) -> HybridParams {
        HybridParams {
            weights: weights.into(),
            ..HybridParams::default()
        }
    }

    #[test]
    fn weights_parse_and_print() {
        let w = HybridWeights::parse("1, 0.5:0").unwrap();
        assert_eq!((w.collaborative, w.content, w.knowledge), (1.0, 0.5, 0.0));
        assert_eq!(HybridWeights::parse(&w.to_string()).unwrap(), w);
        for bad in ["1,2", "0,0,0", "1,-1,0", "a,b,c", "1,1,1,1"] {
            assert!(HybridWeights::parse(bad).is_err(), "{bad}");
        }
        assert!(params("learned").validate().unwrap().is_none());
        let bad_share = HybridParams {
            validation: 1.0,
            ..HybridParams::default()
        };
        assert!(bad_share.validate().is_err());
    }

    #[test]
    fn a_graph_weight_without_a_graph_is_refused() {
        let e = HashingEmbedder::new(16).embed(&["a", "b", "c"]).unwrap();
        let train = TrainSet::from_matrix(CsrMatrix::from_triplets(
            2,
            3,
            &[(0, 0, 1.0), (0, 1, 1.0), (1, 1, 1.0), (1, 2, 1.0)],
        ));
        let mut model = HybridRecommender::new(params("1,0,1"), Arc::new(e), None, 1);
        assert!(model.fit(&train, &NoProgress).is_err());
    }
}
