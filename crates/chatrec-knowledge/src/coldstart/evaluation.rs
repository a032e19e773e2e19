//! Offline evaluation of cold items: hide a share of the items from training entirely,
//! then ask every method to rank them for the users who had them.
//!
//! # Protocol
//!
//! 1. Of the items with at least one interaction, `round(hide * n)` are drawn uniformly
//!    (ChaCha8, seeded) and every interaction with them becomes test data; the rest is the
//!    training data. Hidden items are therefore unknown to every collaborative model.
//! 2. ALS is fitted with the project's best ranking parameters
//!    (`registry::best_for(Task::Ranking)`) on the training data.
//! 3. Each method scores every item for each user with a test interaction, and is measured
//!    twice with binary relevance of the user's hidden items:
//!    - *cold items*: only the hidden items are ranked (the question "which of the new
//!      items will this user like?"); nothing else is excluded, since the user has none of
//!      them in training;
//!    - *all items*: every item the user has not had in training is ranked, warm and cold
//!      together (the question "do new items reach the top of the normal list?").
//!
//! # Methods
//!
//! - `mapped (text)`: ALS factors for the hidden items from the ridge map of their text
//!   embeddings ([`super::ColdStartMap`], λ chosen on held-out warm items);
//! - `mapped (text+kg)`: the same with the hashed knowledge-graph block appended, its
//!   weight chosen with λ on held-out warm items (0 allowed, which falls back to text);
//! - `content`: the mean text embedding of the user's training items against each item's
//!   embedding ([`super::ContentRecommender`]);
//! - `kg`: the knowledge-graph recommender ([`crate::graph::KgRecommender`], learned
//!   relation weights), which can reach cold items through shared facts;
//! - `popularity`: training counts. A hidden item has no count, so among hidden items the
//!   order is a seeded random permutation (the same for every user), and in the all-items
//!   setting every hidden item ranks below every warm item that has a count;
//! - `random`: independent seeded random scores per user.
//!
//! Determinism: every random choice derives from the seed; users are evaluated in parallel
//! and summed in user order, so a run does not depend on the number of threads.

use std::sync::Arc;

use chatrec_core::{CsrMatrix, Dataset, Interaction};
use chatrec_models::algorithms::als::{self, Als, AlsParams};
use chatrec_models::eval::metrics::RankingMetrics;
use chatrec_models::eval::relevant_matrix;
use chatrec_models::params::parse_params;
use chatrec_models::registry::{self, Task};
use chatrec_models::topk::top_k;
use chatrec_models::{Progress, Recommender, TrainSet};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::features::{concat_features, kg_features};
use super::ridge::{ColdStartMap, MapOptions, MapSearch};
use super::{ColdStartError, ContentRecommender};
use crate::dense::DenseMatrix;
use crate::graph::{KgParams, KgRecommender, KnowledgeGraph};

/// What [`evaluate_cold_items`] does; the defaults are the documented protocol.
#[derive(Debug, Clone, PartialEq)]
pub struct ColdStartEvalOptions {
    /// Share of the items (with interactions) hidden from training, in (0, 1).
    pub hide: f64,
    pub seed: u64,
    /// Cut-off of Recall and NDCG.
    pub k: usize,
    /// Buckets of the hashed knowledge-graph features.
    pub kg_dim: usize,
    /// Candidate weights of the knowledge-graph block against the unit-length text block.
    pub kg_weights: Vec<f32>,
    /// Candidate ridge penalties.
    pub lambdas: Vec<f32>,
    /// ALS parameters over the best ranking defaults.
    pub als_params: Vec<(String, String)>,
}

impl Default for ColdStartEvalOptions {
    fn default() -> Self {
        ColdStartEvalOptions {
            hide: 0.2,
            seed: 42,
            k: 10,
            kg_dim: 256,
            kg_weights: vec![0.25, 0.5, 1.0],
            lambdas: MapOptions::default().lambdas,
            als_params: Vec::new(),
        }
    }
}

/// Interactions split by hiding items.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HiddenItems {
    /// The hidden items, ascending.
    pub items: Vec<u32>,
    /// Interactions with other items, in input order.
    pub train: Vec<Interaction>,
    /// Interactions with hidden items, in input order.
    pub test: Vec<Interaction>,
}

/// Hides `round(share * n)` of the `n` items that have interactions (at least one, and at
/// least one stays); see the module documentation.
pub fn hide_items(
    interactions: &[Interaction],
    share: f64,
    seed: u64,
) -> Result<HiddenItems, ColdStartError> {
    if !(share > 0.0 && share < 1.0) {
        return Err(ColdStartError::InvalidInput {
            name: "hide".into(),
            reason: format!("{share} is not a share strictly between 0 and 1"),
        });
    }
    let mut items: Vec<u32> = interactions.iter().map(|i| i.item).collect();
    items.sort_unstable();
    items.dedup();
    if items.len() < 2 {
        return Err(ColdStartError::InvalidInput {
            name: "interactions".into(),
            reason: "hiding items needs interactions with at least two items".into(),
        });
    }
    let n_hide = ((share * items.len() as f64).round() as usize).clamp(1, items.len() - 1);
    items.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let mut hidden = items[..n_hide].to_vec();
    hidden.sort_unstable();
    let (test, train) = interactions
        .iter()
        .partition(|i| hidden.binary_search(&i.item).is_ok());
    Ok(HiddenItems {
        items: hidden,
        train,
        test,
    })
}

/// Recall@k and NDCG@k of one method in both candidate settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodResult {
    pub method: String,
    /// Ranking only the hidden items.
    pub cold_recall: f64,
    pub cold_ndcg: f64,
    /// Ranking every item the user has not had in training.
    pub all_recall: f64,
    pub all_ndcg: f64,
}

/// One run of the protocol (one seed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColdStartRun {
    pub seed: u64,
    pub k: usize,
    pub hidden_items: usize,
    pub train_interactions: usize,
    pub test_interactions: usize,
    /// Users with at least one interaction with a hidden item.
    pub test_users: usize,
    /// The λ search of the text-only map.
    pub text_search: MapSearch,
    /// The chosen weight of the knowledge-graph block (0: text alone was best) and the λ
    /// search at that weight; `None` without a graph.
    pub kg_weight: Option<f32>,
    pub kg_search: Option<MapSearch>,
    pub methods: Vec<MethodResult>,
}

/// Runs the protocol once. `text` holds one text embedding per catalog item (index order)
/// and `graph`, when given, must be loaded for the same catalog.
pub fn evaluate_cold_items(
    dataset: &Dataset,
    text: &DenseMatrix,
    graph: Option<&Arc<KnowledgeGraph>>,
    options: &ColdStartEvalOptions,
    progress: &dyn Progress,
) -> Result<ColdStartRun, ColdStartError> {
    let (n_users, n_items) = (dataset.n_users(), dataset.n_items());
    if text.rows() != n_items {
        return Err(ColdStartError::InvalidInput {
            name: "text".into(),
            reason: format!("{} embeddings for {n_items} items", text.rows()),
        });
    }
    if options.k == 0 {
        return Err(ColdStartError::InvalidInput {
            name: "k".into(),
            reason: "the cut-off must be at least 1".into(),
        });
    }
    let seed = options.seed;
    let hidden = hide_items(&dataset.interactions, options.hide, seed)?;
    let train = TrainSet::from_interactions(dataset, &hidden.train);
    let test = relevant_matrix(n_users, n_items, &hidden.test, None)?;

    let als = fit_best_als(&train, &options.als_params, seed, progress)?;
    let map_options = MapOptions {
        lambdas: options.lambdas.clone(),
        seed,
        ..MapOptions::default()
    };
    let hidden_rows = |features: &DenseMatrix| -> Result<DenseMatrix, ColdStartError> {
        let rows: Vec<&[f32]> = hidden
            .items
            .iter()
            .map(|&i| features.row(i as usize))
            .collect();
        Ok(DenseMatrix::from_rows(features.dim(), &rows)?)
    };

    let (text_map, text_search) = ColdStartMap::fit_to_als(&als, text, &map_options)?;
    let mapped_text = text_map.fill_items(&als, &hidden.items, &hidden_rows(text)?)?;

    let mut scorers: Vec<(String, Box<dyn Recommender>)> = Vec::new();
    let mut kg_weight = None;
    let mut kg_search = None;
    if let Some(graph) = graph {
        let kg = kg_features(graph, options.kg_dim)?;
        let mut best: (f32, MapSearch, Option<ColdStartMap>) = (0.0, text_search.clone(), None);
        for &weight in options.kg_weights.iter().filter(|&&w| w > 0.0) {
            let features = concat_features(&[(text, 1.0), (&kg, weight)])?;
            let (map, search) = ColdStartMap::fit_to_als(&als, &features, &map_options)?;
            if search.error() < best.1.error() {
                best = (weight, search, Some(map));
            }
        }
        let (weight, search, map) = best;
        let model = match map {
            Some(map) => {
                let features = concat_features(&[(text, 1.0), (&kg, weight)])?;
                map.fill_items(&als, &hidden.items, &hidden_rows(&features)?)?
            }
            None => text_map.fill_items(&als, &hidden.items, &hidden_rows(text)?)?,
        };
        kg_weight = Some(weight);
        kg_search = Some(search);
        scorers.push(("mapped (text+kg)".into(), Box::new(model)));
    }
    scorers.push(("mapped (text)".into(), Box::new(mapped_text)));
    let mut content = ContentRecommender::new(Arc::new(text.clone()));
    content.fit(&train, progress)?;
    scorers.push(("content".into(), Box::new(content)));
    if let Some(graph) = graph {
        let mut kg = KgRecommender::new(KgParams::default(), Arc::clone(graph), seed);
        kg.fit(&train, progress)?;
        progress.finish();
        scorers.push(("kg".into(), Box::new(kg)));
    }

    let users: Vec<u32> = (0..n_users as u32)
        .filter(|&u| test.row_nnz(u as usize) > 0)
        .collect();
    let is_hidden = {
        let mut mask = vec![false; n_items];
        hidden.items.iter().for_each(|&i| mask[i as usize] = true);
        mask
    };
    let setup = Setup {
        train: &train,
        test: &test,
        users: &users,
        is_hidden: &is_hidden,
        k: options.k,
    };
    let mut methods: Vec<MethodResult> = scorers
        .iter()
        .map(|(name, model)| setup.measure(name, &|u, out| model.score_user(u, out)))
        .collect();
    let popularity = popularity_scores(&train.matrix, seed);
    methods.push(setup.measure("popularity", &|_, out| out.copy_from_slice(&popularity)));
    methods.push(setup.measure("random", &|u, out| random_scores(seed, u, out)));

    Ok(ColdStartRun {
        seed,
        k: options.k,
        hidden_items: hidden.items.len(),
        train_interactions: hidden.train.len(),
        test_interactions: hidden.test.len(),
        test_users: users.len(),
        text_search,
        kg_weight,
        kg_search,
        methods,
    })
}

/// ALS with the best ranking parameters (plus `overrides`), fitted on `train`.
pub fn fit_best_als(
    train: &TrainSet,
    overrides: &[(String, String)],
    seed: u64,
    progress: &dyn Progress,
) -> Result<Als, ColdStartError> {
    let (name, params) = registry::resolve(registry::BEST, overrides, Task::Ranking);
    if name != als::NAME {
        return Err(ColdStartError::InvalidInput {
            name: "model".into(),
            reason: format!("the cold-start map needs ALS factors, but `best` is `{name}`"),
        });
    }
    let params: AlsParams = parse_params(als::NAME, &params)?;
    let mut model = Als::new(params, seed);
    model.fit(train, progress)?;
    progress.finish();
    Ok(model)
}

/// Training counts plus a seeded jitter below 1, so items with equal counts (every hidden
/// item has none) come in a random order that is the same for every user.
fn popularity_scores(train: &CsrMatrix, seed: u64) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x504f_5055_4c41_5249); // "POPULARI"
    train
        .col_counts()
        .into_iter()
        .map(|c| c as f32 + rng.gen_range(0.0f32..0.5))
        .collect()
}

fn random_scores(seed: u64, user: u32, out: &mut [f32]) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5241_4e44_4f4d_0000); // "RANDOM"
    rng.set_stream(user as u64);
    out.iter_mut().for_each(|s| *s = rng.gen::<f32>());
}

/// Everything the two candidate settings need.
struct Setup<'a> {
    train: &'a TrainSet,
    test: &'a CsrMatrix,
    users: &'a [u32],
    is_hidden: &'a [bool],
    k: usize,
}

impl Setup<'_> {
    fn measure(&self, method: &str, score: &(dyn Fn(u32, &mut [f32]) + Sync)) -> MethodResult {
        let n_items = self.is_hidden.len();
        let per_user: Vec<[f64; 4]> = self
            .users
            .par_iter()
            .map_init(
                || vec![0.0f32; n_items],
                |scores, &user| {
                    score(user, scores);
                    let relevant = self.test.row_indices(user as usize);
                    let seen = self.train.matrix.row_indices(user as usize);
                    let ranked = |skip: &dyn Fn(u32) -> bool| -> Vec<u32> {
                        top_k(scores, self.k, skip).iter().map(|s| s.item).collect()
                    };
                    let cold = RankingMetrics::compute(
                        &ranked(&|i| !self.is_hidden[i as usize]),
                        relevant,
                        self.k,
                    );
                    let all = RankingMetrics::compute(
                        &ranked(&|i| seen.binary_search(&i).is_ok()),
                        relevant,
                        self.k,
                    );
                    [cold.recall, cold.ndcg, all.recall, all.ndcg]
                },
            )
            .collect();
        let mut sums = [0.0f64; 4];
        for values in &per_user {
            for (s, v) in sums.iter_mut().zip(values) {
                *s += v;
            }
        }
        let n = per_user.len().max(1) as f64;
        MethodResult {
            method: method.to_owned(),
            cold_recall: sums[0] / n,
            cold_ndcg: sums[1] / n,
            all_recall: sums[2] / n,
            all_ndcg: sums[3] / n,
        }
    }
}

/// Mean and sample standard deviation of one figure over runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanSd {
    pub mean: f64,
    pub sd: f64,
}

impl MeanSd {
    /// Mean and sample standard deviation (0 for a single value).
    pub fn of(values: &[f64]) -> Self {
        let n = values.len().max(1) as f64;
        let mean = values.iter().sum::<f64>() / n;
        let sd = if values.len() > 1 {
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        } else {
            0.0
        };
        MeanSd { mean, sd }
    }
}

/// One method over several runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodSummary {
    pub method: String,
    pub cold_recall: MeanSd,
    pub cold_ndcg: MeanSd,
    pub all_recall: MeanSd,
    pub all_ndcg: MeanSd,
}

/// Per-method means and standard deviations over runs, in the methods' order in the first
/// run.
pub fn summarise(runs: &[ColdStartRun]) -> Vec<MethodSummary> {
    let Some(first) = runs.first() else {
        return Vec::new();
    };
    first
        .methods
        .iter()
        .map(|m| {
            let pick = |f: fn(&MethodResult) -> f64| {
                let values: Vec<f64> = runs
                    .iter()
                    .filter_map(|r| r.methods.iter().find(|x| x.method == m.method))
                    .map(f)
                    .collect();
                MeanSd::of(&values)
            };
            MethodSummary {
                method: m.method.clone(),
                cold_recall: pick(|x| x.cold_recall),
                cold_ndcg: pick(|x| x.cold_ndcg),
                all_recall: pick(|x| x.all_recall),
                all_ndcg: pick(|x| x.all_ndcg),
            }
        })
        .collect()
}
