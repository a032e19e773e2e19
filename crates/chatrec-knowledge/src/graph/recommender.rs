//! A knowledge-graph recommender: item-kNN where the item similarity comes from the graph
//! ([`super::similarity`]) instead of co-interactions (Sarwar et al. 2001's item-based
//! scheme over content features; as in Di Noia et al., "Linked open data to support
//! content-based recommender systems", I-SEMANTICS 2012).
//!
//! # Algorithm
//!
//! 1. Relation weights are given (`weights="directed_by=2,*=1"`, see
//!    [`RelationWeights`]) or learned (`weights="learned"`): a validation split is carved
//!    from the training data only (per user, 80% of each user's training interactions stay,
//!    the rest are validation, ChaCha8 seeded with the model seed), and a coordinate search
//!    over the levels [`WEIGHT_LEVELS`] for each relation in turn, starting from uniform
//!    weights, keeps a change when it raises the validation NDCG@10 of this recommender;
//!    at most `tune_passes` passes, stopping after a pass without a change.
//! 2. Every item keeps its `neighbours` most similar items under those weights.
//! 3. `score(u, i) = Σ_j sim(j, i)` over the user's training items `j` for which `i` is
//!    among `j`'s neighbours (each history item pushes score to its neighbours; a
//!    folded-in history uses its weights instead of 1).
//!
//! A user whose items have no neighbours in the graph (no history, or only unlinked items)
//! gets the items' training popularity scaled to `[0, 1]`. Items without graph facts get 0
//! from the graph; items absent from training can still be recommended when the graph
//! links them to the user's items, which is the point of this model for cold items.
//!
//! # Stored state
//!
//! `params` as JSON, with `weights` replaced by the weights actually used (learned ones
//! are written out), and tensors
//! - `sim_indptr` (u32, `n_items + 1`), `sim_indices` (u32, nnz), `sim_values` (f32, nnz):
//!   the neighbour lists, row `i` = neighbours of item `i`;
//! - `user_indptr` (u32, `n_users + 1`), `user_indices` (u32), `user_values` (f32): the
//!   binary training matrix, for scoring known users.
//!
//! [`KgRecommender::from_state`] scores from these alone; the graph is needed only to fit
//! and to attach evidence ([`KgRecommender::with_graph`]).
//!
//! # Determinism
//!
//! The only randomness is the validation split, seeded by the model seed. Similarities,
//! the search order (relations in name order, levels ascending) and the evaluation are
//! independent of the number of threads, so the same seed gives the same weights and
//! scores.

use std::sync::Arc;

use chatrec_core::{CsrMatrix, Interaction};
use chatrec_models::eval::{evaluate_ranking, relevant_matrix, validation_split, SplitSpec};
use chatrec_models::params::params_from_json;
use chatrec_models::persist::{csr_from_tensors, csr_tensors, ModelState};
use chatrec_models::topk::top_k;
use chatrec_models::{ModelError, NoProgress, Progress, Recommender, Scored, TrainSet};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::similarity::{ItemFeatures, KgSimilarity, RelationWeights};
use super::{Evidence, KnowledgeGraph};

pub const NAME: &str = "kg";

/// Weight levels tried for each relation when weights are learned.
pub const WEIGHT_LEVELS: [f32; 6] = [0.0, 0.25, 0.5, 1.0, 2.0, 4.0];

/// Share of each user's training interactions kept for fitting during weight learning.
const VALIDATION_TRAIN_RATIO: f64 = 0.8;

/// The cut-off of the validation metric.
const VALIDATION_K: usize = 10;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KgParams {
    /// Neighbours kept per item, at least 1.
    pub neighbours: usize,
    /// `learned` (tuned on validation data carved from training), `uniform`, or relation
    /// weights such as `*=1,directed_by=2,actor=0.5`.
    pub weights: String,
    /// Added to the cosine denominator; damps similarities of items with few facts.
    pub shrink: f32,
    /// Passes of the coordinate search when weights are learned, at least 1.
    pub tune_passes: usize,
    /// Whose neighbour lists link a history item `j` with a candidate `i`: `history` (`i`
    /// is among `j`'s neighbours) or `candidate` (`j` is among `i`'s neighbours).
    pub neighbours_of: NeighboursOf,
}

/// Whose neighbour lists connect a history item with a candidate item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NeighboursOf {
    /// A history item pushes score to its own neighbours.
    History,
    /// A history item counts for candidate `i` when it is among `i`'s neighbours.
    Candidate,
}

impl Default for KgParams {
    /// Chosen by validation NDCG@10 of learned weights on the ML-100K check in
    /// `tests/graph_ml100k.rs` (history 0.051, history with shrink 10: 0.017, candidate
    /// with shrink 10: 0.021); see `docs/knowledge-graph.md`.
    fn default() -> Self {
        KgParams {
            neighbours: 100,
            weights: "learned".into(),
            shrink: 0.0,
            tune_passes: 2,
            neighbours_of: NeighboursOf::History,
        }
    }
}

impl KgParams {
    fn learned(&self) -> bool {
        self.weights.trim() == "learned"
    }

    fn validate(&self) -> Result<Option<RelationWeights>, ModelError> {
        if self.neighbours == 0 {
            return Err(invalid("neighbours", "must be at least 1"));
        }
        if !(self.shrink.is_finite() && self.shrink >= 0.0) {
            return Err(invalid("shrink", "must be a finite number >= 0"));
        }
        if self.tune_passes == 0 {
            return Err(invalid("tune_passes", "must be at least 1"));
        }
        if self.learned() {
            return Ok(None);
        }
        RelationWeights::parse(&self.weights)
            .map(Some)
            .map_err(|e| invalid("weights", &e.to_string()))
    }
}

fn invalid(name: &str, reason: &str) -> ModelError {
    ModelError::InvalidParam {
        model: NAME.to_owned(),
        name: name.to_owned(),
        reason: reason.to_owned(),
    }
}

/// What weight learning found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TuneOutcome {
    pub weights: RelationWeights,
    /// Validation NDCG@10 with uniform weights (the starting point).
    pub uniform_ndcg: f64,
    /// Validation NDCG@10 with the learned weights.
    pub tuned_ndcg: f64,
    /// Validation NDCG@10 with each relation's weight set to 0 from the learned weights,
    /// as `(relation, ndcg)`: the lower, the more the relation matters.
    pub ablation: Vec<(String, f64)>,
    /// Weight settings evaluated.
    pub trials: usize,
}

/// The knowledge-graph recommender; see the module documentation.
pub struct KgRecommender {
    params: KgParams,
    seed: u64,
    graph: Option<Arc<KnowledgeGraph>>,
    weights: Option<RelationWeights>,
    outcome: Option<TuneOutcome>,
    /// Row `j`: the neighbours of item `j` with their similarities.
    neighbours: CsrMatrix,
    /// Row `j`: the items a history item `j` gives score to, per `params.neighbours_of`.
    push: CsrMatrix,
    user_items: CsrMatrix,
    fallback: Vec<f32>,
}

impl KgRecommender {
    /// An unfitted model over `graph`, which must have been loaded for the catalog whose
    /// items the training data indexes. `seed` drives the validation split of learning.
    pub fn new(params: KgParams, graph: Arc<KnowledgeGraph>, seed: u64) -> Self {
        KgRecommender {
            params,
            seed,
            graph: Some(graph),
            weights: None,
            outcome: None,
            neighbours: CsrMatrix::zeros(0, 0),
            push: CsrMatrix::zeros(0, 0),
            user_items: CsrMatrix::zeros(0, 0),
            fallback: Vec::new(),
        }
    }

    /// The fitted model saved by [`Recommender::state`]; it scores without the graph.
    pub fn from_state(state: &ModelState) -> Result<Self, ModelError> {
        if state.model != NAME {
            return Err(state.format_error(format!("expected a `{NAME}` model")));
        }
        let params: KgParams = params_from_json(NAME, &state.params)?;
        let weights = params.validate()?;
        let n_items = state
            .take_u32("sim_indptr")?
            .len()
            .checked_sub(1)
            .ok_or_else(|| state.format_error("tensor `sim_indptr` is empty".into()))?;
        let neighbours = csr_from_tensors(state, "sim", n_items)?;
        let user_items = csr_from_tensors(state, "user", n_items)?;
        Ok(KgRecommender {
            fallback: popularity(&user_items),
            push: push_matrix(&neighbours, params.neighbours_of),
            params,
            seed: 0,
            graph: None,
            weights,
            outcome: None,
            neighbours,
            user_items,
        })
    }

    /// Attaches a graph to a model loaded with [`KgRecommender::from_state`], so that
    /// [`KgRecommender::neighbours_with_evidence`] can give evidence.
    pub fn with_graph(mut self, graph: Arc<KnowledgeGraph>) -> Self {
        self.graph = Some(graph);
        self
    }

    pub fn params(&self) -> &KgParams {
        &self.params
    }

    /// The relation weights in use, once fitted (or loaded with explicit weights).
    pub fn weights(&self) -> Option<&RelationWeights> {
        self.weights.as_ref()
    }

    /// What weight learning found, after a fit with `weights="learned"`.
    pub fn tune_outcome(&self) -> Option<&TuneOutcome> {
        self.outcome.as_ref()
    }

    /// The `n` nearest neighbours of `item` from the fitted lists, with the graph's
    /// evidence for each. Evidence lists are empty when no graph is attached (a model
    /// from [`KgRecommender::from_state`] without [`KgRecommender::with_graph`]).
    pub fn neighbours_with_evidence(&self, item: u32, n: usize) -> Vec<(Scored, Vec<Evidence>)> {
        self.similar_items(item, n)
            .into_iter()
            .map(|s| {
                let evidence = self
                    .graph
                    .as_ref()
                    .map(|g| g.evidence(item, s.item))
                    .unwrap_or_default();
                (s, evidence)
            })
            .collect()
    }

    fn accumulate(&self, history: impl Iterator<Item = (u32, f32)>, out: &mut [f32]) {
        out.fill(0.0);
        let mut touched = false;
        for (j, w) in history {
            if j as usize >= self.push.n_rows() {
                continue;
            }
            for (i, sim) in self.push.row(j as usize) {
                out[i as usize] += w * sim;
                touched = true;
            }
        }
        if !touched {
            out.copy_from_slice(&self.fallback);
        }
    }

    /// Fits neighbour lists for `weights` and installs them with `user_items`.
    fn install(
        &mut self,
        graph: &Arc<KnowledgeGraph>,
        base: &ItemFeatures,
        weights: &RelationWeights,
        user_items: CsrMatrix,
    ) {
        let similarity =
            KgSimilarity::from_features(Arc::clone(graph), base, weights, self.params.shrink);
        self.neighbours = similarity.all_neighbours(self.params.neighbours);
        self.push = push_matrix(&self.neighbours, self.params.neighbours_of);
        self.fallback = popularity(&user_items);
        self.user_items = user_items;
        self.weights = Some(weights.clone());
    }

    /// Validation NDCG@10 of this model's configuration under `weights`.
    fn validation_ndcg(
        &self,
        graph: &Arc<KnowledgeGraph>,
        base: &ItemFeatures,
        weights: &RelationWeights,
        validation: &(TrainSet, CsrMatrix),
    ) -> Result<f64, ModelError> {
        let mut probe = KgRecommender::new(self.params.clone(), Arc::clone(graph), self.seed);
        probe.install(graph, base, weights, validation.0.matrix.clone());
        let report = evaluate_ranking(
            &probe,
            &validation.0,
            &validation.1,
            &[VALIDATION_K],
            &NoProgress,
        )
        .map_err(|e| ModelError::EmptyTrainingData(format!("validation for weights: {e}")))?;
        Ok(report
            .metrics
            .get(&format!("ndcg@{VALIDATION_K}"))
            .copied()
            .unwrap_or(0.0))
    }

    /// Coordinate search over relation weights on a validation split of `user_items`.
    fn learn_weights(
        &self,
        graph: &Arc<KnowledgeGraph>,
        base: &ItemFeatures,
        user_items: &CsrMatrix,
        progress: &dyn Progress,
    ) -> Result<TuneOutcome, ModelError> {
        let validation = carve_validation(user_items, self.seed)?;
        let relations: Vec<String> = base
            .active_relations()
            .into_iter()
            .map(|r| graph.relations()[r as usize].clone())
            .collect();
        let mut weights = RelationWeights::uniform();
        let uniform_ndcg = self.validation_ndcg(graph, base, &weights, &validation)?;
        let mut best = uniform_ndcg;
        let mut trials = 1;
        progress.start(
            "kg relation weights",
            (self.params.tune_passes * relations.len() * (WEIGHT_LEVELS.len() - 1)) as u64,
        );
        for _ in 0..self.params.tune_passes {
            let mut changed = false;
            for relation in &relations {
                let current = weights.get(relation);
                for &level in WEIGHT_LEVELS.iter().filter(|&&l| l != current) {
                    let mut candidate = weights.clone();
                    candidate.set(relation, level);
                    let ndcg = self.validation_ndcg(graph, base, &candidate, &validation)?;
                    trials += 1;
                    progress.advance(1);
                    // A change must pay for itself, so that ties keep the simpler weights.
                    if ndcg > best + 1e-6 {
                        best = ndcg;
                        weights = candidate;
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        progress.finish();
        let mut ablation = Vec::with_capacity(relations.len());
        for relation in &relations {
            if weights.get(relation) == 0.0 {
                ablation.push((relation.clone(), best));
                continue;
            }
            let mut without = weights.clone();
            without.set(relation, 0.0);
            let ndcg = self.validation_ndcg(graph, base, &without, &validation)?;
            trials += 1;
            ablation.push((relation.clone(), ndcg));
        }
        for relation in &relations {
            let w = weights.get(relation);
            weights.set(relation, w);
        }
        Ok(TuneOutcome {
            weights,
            uniform_ndcg,
            tuned_ndcg: best,
            ablation,
            trials,
        })
    }
}

/// Per-user validation holdout of the training matrix: (validation-train, relevant items).
fn carve_validation(
    user_items: &CsrMatrix,
    seed: u64,
) -> Result<(TrainSet, CsrMatrix), ModelError> {
    let interactions: Vec<Interaction> = (0..user_items.n_rows())
        .flat_map(|u| {
            user_items.row(u).map(move |(item, value)| Interaction {
                user: u as u32,
                item,
                value,
                timestamp: 0,
            })
        })
        .collect();
    let spec = SplitSpec::UserRatio {
        train_ratio: VALIDATION_TRAIN_RATIO,
    };
    let too_small = |e: chatrec_models::eval::EvalError| {
        ModelError::EmptyTrainingData(format!(
            "cannot carve a validation split to learn relation weights ({e}); give weights explicitly"
        ))
    };
    let split = validation_split(&interactions, &spec, seed).map_err(too_small)?;
    let (n_users, n_items) = (user_items.n_rows(), user_items.n_cols());
    let triplets: Vec<(u32, u32, f32)> =
        split.train.iter().map(|i| (i.user, i.item, 1.0)).collect();
    let train = TrainSet::from_matrix(CsrMatrix::from_triplets(n_users, n_items, &triplets));
    let relevant = relevant_matrix(n_users, n_items, &split.test, None).map_err(too_small)?;
    Ok((train, relevant))
}

fn push_matrix(neighbours: &CsrMatrix, neighbours_of: NeighboursOf) -> CsrMatrix {
    match neighbours_of {
        NeighboursOf::History => neighbours.clone(),
        NeighboursOf::Candidate => neighbours.transpose(),
    }
}

/// Training popularity of every item scaled to `[0, 1]`.
fn popularity(user_items: &CsrMatrix) -> Vec<f32> {
    let counts = user_items.col_counts();
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f32;
    counts.into_iter().map(|c| c as f32 / max).collect()
}

impl Recommender for KgRecommender {
    fn name(&self) -> &'static str {
        NAME
    }

    fn fit(&mut self, train: &TrainSet, progress: &dyn Progress) -> Result<(), ModelError> {
        let explicit = self.params.validate()?;
        let graph = self.graph.clone().ok_or_else(|| {
            invalid(
                "graph",
                "a model loaded from a file has no graph; attach one with with_graph to refit",
            )
        })?;
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
        if train.matrix.nnz() == 0 {
            return Err(ModelError::EmptyTrainingData(
                "no interactions to fit the knowledge-graph model".into(),
            ));
        }
        let user_items = train.matrix.map_values(|_| 1.0);
        let base = ItemFeatures::new(&graph);
        let weights = match explicit {
            Some(weights) => {
                self.outcome = None;
                weights
            }
            None => {
                let outcome = self.learn_weights(&graph, &base, &user_items, progress)?;
                let weights = outcome.weights.clone();
                self.outcome = Some(outcome);
                weights
            }
        };
        self.install(&graph, &base, &weights, user_items);
        Ok(())
    }

    fn n_users(&self) -> usize {
        self.user_items.n_rows()
    }

    fn n_items(&self) -> usize {
        self.neighbours.n_rows()
    }

    fn score_user(&self, user: u32, out: &mut [f32]) {
        if user as usize >= self.user_items.n_rows() {
            out.copy_from_slice(&self.fallback);
            return;
        }
        self.accumulate(self.user_items.row(user as usize), out);
    }

    fn score_history(&self, history: &[(u32, f32)], out: &mut [f32]) {
        let n = self.n_items();
        let mut clean: Vec<(u32, f32)> = history
            .iter()
            .copied()
            .filter(|&(i, w)| (i as usize) < n && w.is_finite() && w != 0.0)
            .collect();
        clean.sort_by_key(|&(i, _)| i);
        self.accumulate(clean.into_iter(), out);
    }

    fn score_users(&self, users: &[u32], out: &mut [f32]) {
        let n = self.n_items();
        out.par_chunks_exact_mut(n.max(1))
            .zip(users.par_iter())
            .for_each(|(row, &user)| self.score_user(user, row));
    }

    fn similar_items(&self, item: u32, n: usize) -> Vec<Scored> {
        if item as usize >= self.neighbours.n_rows() {
            return Vec::new();
        }
        let mut row = vec![f32::NEG_INFINITY; self.n_items()];
        for (j, sim) in self.neighbours.row(item as usize) {
            row[j as usize] = sim;
        }
        top_k(&row, n, |j| j == item)
    }

    fn state(&self) -> ModelState {
        let mut params = self.params.clone();
        if let Some(weights) = &self.weights {
            params.weights = weights.to_string();
        }
        let params = serde_json::to_value(&params).unwrap_or(serde_json::Value::Null);
        let mut state = ModelState::new(NAME, params);
        for t in csr_tensors("sim", &self.neighbours)
            .into_iter()
            .chain(csr_tensors("user", &self.user_items))
        {
            state = state.with(t);
        }
        state
    }
}
