//! Item-based k-nearest-neighbours with baseline estimates (Surprise's `KNNBaseline` with
//! `pearson_baseline` similarity, item-based).
//!
//! Koren, "Factor in the neighbors: scalable and accurate collaborative filtering", TKDD
//! 2010, sections 2.1-2.2. With baselines `b_ui = mu + b_u + b_i` fitted by ALS
//! ([`crate::algorithms::baseline`]), the prediction is
//! `r_hat_ui = b_ui + sum_{j in S^k(i;u)} s_ij (r_uj - b_uj) / sum_{j in S^k(i;u)} s_ij`,
//! where `S^k(i;u)` are the `k` items rated by `u` most similar to `i` with `s_ij > 0`. With
//! fewer than `min_k` such neighbours, or none, the prediction is `b_ui`.
//!
//! The similarity is the Pearson correlation of baseline residuals over the users `U_ij` who
//! rated both items, shrunk towards 0 for small supports:
//! `s_ij = (|U_ij| - 1) / (|U_ij| - 1 + shrinkage) * sum e_ui e_uj /
//! sqrt(sum e_ui^2 sum e_uj^2)`, `e_ui = r_ui - b_ui`, sums over `U_ij`.
//! Only positive similarities can take part in a prediction, so only those are kept: per
//! item, sorted by decreasing similarity (ties: lower item index first), optionally cut to
//! `max_neighbors` (0 keeps all, which gives exactly Surprise's predictions). Rows are
//! computed in parallel with rayon, one item at a time over the item's raters.
//!
//! Fallbacks: an unknown item has no neighbours and `b_i = 0`, an unknown user `b_u = 0` and
//! no ratings, so predictions fall back to `mu + b_u`, `mu + b_i` or `mu`.
//! [`RatingPredictor::predict`] clips to the training range; [`Recommender::score_user`]
//! returns unclipped estimates. Fold-in ([`Recommender::score_history`], weights are
//! ratings) fits `b_u` of the new user by the closed-form ALS step
//! `b_u = sum (r - mu - b_i) / (reg_user + n)`, then predicts from the history's ratings
//! exactly as for a known user. [`Recommender::similar_items`] returns the stored neighbours.
//!
//! Determinism: no randomness; every similarity row is accumulated sequentially (f64) in a
//! fixed order by one thread, so results are identical for any number of threads.
//!
//! Saved tensors: `rating_stats` f32 `[3]` (mean, lowest, highest rating), `user_bias` f32
//! `[n_users]`, `item_bias` f32 `[n_items]`; the neighbour lists as CSR: `neighbor_indptr`
//! i64 `[n_items + 1]`, `neighbor_items` u32 `[nnz]`, `neighbor_sims` f32 `[nnz]`; and the
//! training ratings the predictions average, as CSR by user: `rating_indptr` i64
//! `[n_users + 1]`, `rating_items` u32 `[n_ratings]`, `rating_values` f32 `[n_ratings]`.

use chatrec_core::CsrMatrix;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::algorithms::baseline::{invalid, non_negative, BaselineEstimates, BaselineParams};
use crate::error::ModelError;
use crate::params::params_from_json;
use crate::persist::{ModelState, Tensor};
use crate::progress::{NoProgress, Progress};
use crate::recommender::{RatingPredictor, Recommender, Scored};
use crate::train::TrainSet;

pub const NAME: &str = "knnbaseline";

/// Hyper-parameters of [`KnnBaseline`]; defaults follow Surprise's `KNNBaseline` with
/// `pearson_baseline` similarity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KnnBaselineParams {
    /// Largest number of neighbours averaged in one prediction.
    pub k: usize,
    /// Fewest positive-similarity neighbours needed to use the neighbourhood at all.
    pub min_k: usize,
    /// Shrinkage of similarities with small support (Koren's lambda_4 in eq. 2.2).
    pub shrinkage: f32,
    /// Neighbours kept per item, most similar first; 0 keeps every positive similarity.
    pub max_neighbors: usize,
    /// Regularisation of the item biases of the baseline.
    pub reg_item: f32,
    /// Regularisation of the user biases of the baseline.
    pub reg_user: f32,
    /// ALS passes of the baseline.
    pub baseline_epochs: usize,
}

impl Default for KnnBaselineParams {
    fn default() -> Self {
        KnnBaselineParams {
            k: 40,
            min_k: 1,
            shrinkage: 100.0,
            max_neighbors: 0,
            reg_item: 10.0,
            reg_user: 15.0,
            baseline_epochs: 10,
        }
    }
}

impl KnnBaselineParams {
    fn baseline(&self) -> BaselineParams {
        BaselineParams {
            reg_item: self.reg_item,
            reg_user: self.reg_user,
            epochs: self.baseline_epochs,
        }
    }

    fn validate(&self) -> Result<(), ModelError> {
        if self.k == 0 {
            return Err(invalid(NAME, "k", "must be at least 1".into()));
        }
        if self.min_k > self.k {
            return Err(invalid(
                NAME,
                "min_k",
                format!("must not exceed k = {}", self.k),
            ));
        }
        non_negative(NAME, "shrinkage", self.shrinkage)?;
        if self.baseline_epochs == 0 {
            return Err(invalid(
                NAME,
                "baseline_epochs",
                "must be at least 1".into(),
            ));
        }
        self.baseline().validate(NAME)
    }
}

/// Per-item neighbour lists in CSR form, each sorted by decreasing similarity.
#[derive(Debug, Clone, Default, PartialEq)]
struct Neighbors {
    indptr: Vec<usize>,
    items: Vec<u32>,
    sims: Vec<f32>,
}

impl Neighbors {
    fn of(&self, item: usize) -> (&[u32], &[f32]) {
        match (self.indptr.get(item), self.indptr.get(item + 1)) {
            (Some(&a), Some(&b)) => (&self.items[a..b], &self.sims[a..b]),
            _ => (&[], &[]),
        }
    }
}

/// Scratch space for one similarity row.
struct RowAccumulator {
    support: Vec<u32>,
    products: Vec<f64>,
    squares_i: Vec<f64>,
    squares_j: Vec<f64>,
    touched: Vec<u32>,
}

impl RowAccumulator {
    fn new(n_items: usize) -> Self {
        RowAccumulator {
            support: vec![0; n_items],
            products: vec![0.0; n_items],
            squares_i: vec![0.0; n_items],
            squares_j: vec![0.0; n_items],
            touched: Vec::new(),
        }
    }
}

/// Positive shrunk pearson-baseline similarities of `item` to every other item.
fn similarity_row(
    item: usize,
    residuals: &CsrMatrix,
    by_item: &CsrMatrix,
    params: &KnnBaselineParams,
    acc: &mut RowAccumulator,
) -> Vec<(u32, f32)> {
    for (u, e_ui) in by_item.row(item) {
        let e_ui = f64::from(e_ui);
        for (j, e_uj) in residuals.row(u as usize) {
            let j_idx = j as usize;
            if acc.support[j_idx] == 0 {
                acc.touched.push(j);
            }
            let e_uj = f64::from(e_uj);
            acc.support[j_idx] += 1;
            acc.products[j_idx] += e_ui * e_uj;
            acc.squares_i[j_idx] += e_ui * e_ui;
            acc.squares_j[j_idx] += e_uj * e_uj;
        }
    }
    let shrinkage = f64::from(params.shrinkage);
    let mut row: Vec<(u32, f32)> = Vec::new();
    for &j in &acc.touched {
        let j_idx = j as usize;
        let support = f64::from(acc.support[j_idx]);
        let denominator = (acc.squares_i[j_idx] * acc.squares_j[j_idx]).sqrt();
        if j_idx != item && denominator > 0.0 && support > 1.0 {
            let sim =
                acc.products[j_idx] / denominator * (support - 1.0) / (support - 1.0 + shrinkage);
            if sim > 0.0 {
                row.push((j, sim as f32));
            }
        }
        acc.support[j_idx] = 0;
        acc.products[j_idx] = 0.0;
        acc.squares_i[j_idx] = 0.0;
        acc.squares_j[j_idx] = 0.0;
    }
    acc.touched.clear();
    row.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    if params.max_neighbors > 0 {
        row.truncate(params.max_neighbors);
    }
    row
}

/// Item-based KNN on baseline residuals with pearson-baseline similarity.
#[derive(Debug, Clone)]
pub struct KnnBaseline {
    params: KnnBaselineParams,
    baseline: BaselineEstimates,
    neighbors: Neighbors,
    ratings: CsrMatrix,
}

impl KnnBaseline {
    /// An unfitted model. The fit uses no randomness; `seed` is accepted for uniformity.
    pub fn new(params: KnnBaselineParams, _seed: u64) -> Self {
        KnnBaseline {
            params,
            baseline: BaselineEstimates::unfitted(),
            neighbors: Neighbors::default(),
            ratings: CsrMatrix::zeros(0, 0),
        }
    }

    /// A fitted model from [`Recommender::state`].
    pub fn from_state(state: &ModelState) -> Result<Self, ModelError> {
        let params: KnnBaselineParams = params_from_json(NAME, &state.params)?;
        let baseline = BaselineEstimates::from_state(state)?;
        let (n_users, n_items) = (baseline.user_bias.len(), baseline.item_bias.len());
        let indptr = |name: &str, rows: usize, nnz: usize| -> Result<Vec<usize>, ModelError> {
            let raw = state.take_i64(name)?;
            let ok = raw.len() == rows + 1
                && raw.first() == Some(&0)
                && raw.last().is_some_and(|&l| l as usize == nnz)
                && raw.windows(2).all(|w| w[0] <= w[1]);
            if !ok {
                return Err(state.format_error(format!("`{name}` is not a valid row index")));
            }
            Ok(raw.into_iter().map(|v| v as usize).collect())
        };
        let items = state.take_u32("neighbor_items")?;
        let (_, sims) = state.take_f32("neighbor_sims")?;
        if sims.len() != items.len() || items.iter().any(|&j| j as usize >= n_items) {
            return Err(state.format_error("neighbour lists are inconsistent".into()));
        }
        let neighbors = Neighbors {
            indptr: indptr("neighbor_indptr", n_items, items.len())?,
            items,
            sims,
        };
        let rated = state.take_u32("rating_items")?;
        let (_, values) = state.take_f32("rating_values")?;
        let rows = indptr("rating_indptr", n_users, rated.len())?;
        if values.len() != rated.len() || rated.iter().any(|&j| j as usize >= n_items) {
            return Err(state.format_error("training ratings are inconsistent".into()));
        }
        let mut triplets = Vec::with_capacity(rated.len());
        for u in 0..n_users {
            for e in rows[u]..rows[u + 1] {
                triplets.push((u as u32, rated[e], values[e]));
            }
        }
        Ok(KnnBaseline {
            params,
            ratings: CsrMatrix::from_triplets(n_users, n_items, &triplets),
            baseline,
            neighbors,
        })
    }

    pub fn params(&self) -> &KnnBaselineParams {
        &self.params
    }

    /// The stored neighbours of `item` with their similarities, most similar first.
    pub fn neighbors(&self, item: u32) -> (&[u32], &[f32]) {
        self.neighbors.of(item as usize)
    }

    /// Baseline plus the weighted mean residual of the user's `k` nearest rated neighbours
    /// of `item`; `residual(j)` is `Some(r_uj - b_uj)` for items the user rated.
    fn estimate_with(&self, base: f32, item: usize, residual: impl Fn(u32) -> Option<f32>) -> f32 {
        let (items, sims) = self.neighbors.of(item);
        let (mut weighted, mut total, mut found) = (0f32, 0f32, 0usize);
        for (&j, &s) in items.iter().zip(sims) {
            if let Some(e) = residual(j) {
                weighted += s * e;
                total += s;
                found += 1;
                if found == self.params.k {
                    break;
                }
            }
        }
        if found >= self.params.min_k.max(1) && total > 0.0 {
            base + weighted / total
        } else {
            base
        }
    }

    /// Unclipped scores of all items for a user with bias `user_bias` and ratings `rated`.
    fn fill(&self, user_bias: f32, rated: impl Iterator<Item = (u32, f32)>, out: &mut [f32]) {
        let base = self.baseline.scale.mean + user_bias;
        let item_bias = &self.baseline.item_bias;
        let mut residuals = vec![f32::NAN; item_bias.len()];
        for (j, r) in rated {
            if let Some(b_j) = item_bias.get(j as usize) {
                residuals[j as usize] = r - base - b_j;
            }
        }
        let residual = |j: u32| Some(residuals[j as usize]).filter(|e| !e.is_nan());
        out.par_iter_mut()
            .zip(item_bias.par_iter())
            .enumerate()
            .with_min_len(64)
            .for_each(|(i, (o, &b_i))| *o = self.estimate_with(base + b_i, i, residual));
    }

    fn estimate(&self, user: Option<u32>, item: Option<u32>) -> f32 {
        let base = self.baseline.estimate(user, item);
        let user = user.filter(|&u| (u as usize) < self.ratings.n_rows());
        let item = item.filter(|&i| (i as usize) < self.ratings.n_cols());
        let (Some(u), Some(i)) = (user, item) else {
            return base;
        };
        let u = u as usize;
        let (rated, values) = (self.ratings.row_indices(u), self.ratings.row_data(u));
        let user_base = self.baseline.scale.mean + self.baseline.user_bias[u];
        self.estimate_with(base, i as usize, |j| {
            rated
                .binary_search(&j)
                .ok()
                .map(|pos| values[pos] - user_base - self.baseline.item_bias[j as usize])
        })
    }
}

impl Recommender for KnnBaseline {
    fn name(&self) -> &'static str {
        NAME
    }

    fn fit(&mut self, train: &TrainSet, progress: &dyn Progress) -> Result<(), ModelError> {
        self.params.validate()?;
        let matrix = &train.matrix;
        let baseline = BaselineEstimates::fit(matrix, &self.params.baseline(), NAME, &NoProgress)?;
        let mu = baseline.scale.mean;
        let mut residual_triplets = Vec::with_capacity(matrix.nnz());
        for u in 0..matrix.n_rows() {
            let user_base = mu + baseline.user_bias[u];
            for (i, r) in matrix.row(u) {
                let e = r - user_base - baseline.item_bias[i as usize];
                residual_triplets.push((u as u32, i, e));
            }
        }
        let residuals =
            CsrMatrix::from_triplets(matrix.n_rows(), matrix.n_cols(), &residual_triplets);
        let by_item = residuals.transpose();
        let n_items = matrix.n_cols();
        progress.start("knnbaseline similarities", n_items as u64);
        let params = &self.params;
        let rows: Vec<Vec<(u32, f32)>> = (0..n_items)
            .into_par_iter()
            .map_init(
                || RowAccumulator::new(n_items),
                |acc, i| {
                    let row = similarity_row(i, &residuals, &by_item, params, acc);
                    progress.advance(1);
                    row
                },
            )
            .collect();
        progress.finish();
        let mut neighbors = Neighbors {
            indptr: Vec::with_capacity(n_items + 1),
            items: Vec::new(),
            sims: Vec::new(),
        };
        neighbors.indptr.push(0);
        for row in rows {
            for (j, s) in row {
                neighbors.items.push(j);
                neighbors.sims.push(s);
            }
            neighbors.indptr.push(neighbors.items.len());
        }
        self.baseline = baseline;
        self.neighbors = neighbors;
        self.ratings = matrix.clone();
        Ok(())
    }

    fn n_users(&self) -> usize {
        self.ratings.n_rows()
    }

    fn n_items(&self) -> usize {
        self.ratings.n_cols()
    }

    fn score_user(&self, user: u32, out: &mut [f32]) {
        let u = user as usize;
        if u < self.ratings.n_rows() {
            self.fill(self.baseline.user_bias[u], self.ratings.row(u), out);
        } else {
            self.fill(0.0, std::iter::empty(), out);
        }
    }

    fn score_history(&self, history: &[(u32, f32)], out: &mut [f32]) {
        let user_bias = self
            .baseline
            .fold_in_user_bias(history, self.params.reg_user);
        let rated = history.iter().copied().filter(|(_, r)| r.is_finite());
        self.fill(user_bias, rated, out);
    }

    fn similar_items(&self, item: u32, n: usize) -> Vec<Scored> {
        let (items, sims) = self.neighbors.of(item as usize);
        items
            .iter()
            .zip(sims)
            .take(n)
            .map(|(&item, &score)| Scored { item, score })
            .collect()
    }

    fn state(&self) -> ModelState {
        let params = serde_json::to_value(&self.params).unwrap_or_default();
        let as_i64 = |v: &[usize]| v.iter().map(|&x| x as i64).collect::<Vec<i64>>();
        let [scale, user_bias, item_bias] = self.baseline.tensors();
        let nnz = self.ratings.nnz();
        ModelState::new(NAME, params)
            .with(scale)
            .with(user_bias)
            .with(item_bias)
            .with(Tensor::i64(
                "neighbor_indptr",
                as_i64(&self.neighbors.indptr),
            ))
            .with(Tensor::u32("neighbor_items", self.neighbors.items.clone()))
            .with(Tensor::f32(
                "neighbor_sims",
                &[self.neighbors.sims.len()],
                self.neighbors.sims.clone(),
            ))
            .with(Tensor::i64("rating_indptr", as_i64(self.ratings.indptr())))
            .with(Tensor::u32("rating_items", self.ratings.indices().to_vec()))
            .with(Tensor::f32(
                "rating_values",
                &[nnz],
                self.ratings.data().to_vec(),
            ))
    }

    fn as_rating_predictor(&self) -> Option<&dyn RatingPredictor> {
        Some(self)
    }
}

impl RatingPredictor for KnnBaseline {
    fn predict(&self, user: Option<u32>, item: Option<u32>) -> f32 {
        self.baseline.scale.clip(self.estimate(user, item))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algorithms::baseline::planted::{planted, rmse};
    use crate::algorithms::baseline::Baseline;

    fn fitted(train: &TrainSet, params: KnnBaselineParams) -> KnnBaseline {
        let mut model = KnnBaseline::new(params, 0);
        model.fit(train, &NoProgress).unwrap();
        model
    }

    /// The similarity straight from its definition, over all user rows.
    fn brute_similarity(model: &KnnBaseline, m: &CsrMatrix, i: u32, j: u32) -> f64 {
        let b = &model.baseline;
        let (mut n, mut prod, mut sq_i, mut sq_j) = (0f64, 0f64, 0f64, 0f64);
        for u in 0..m.n_rows() {
            let (r_i, r_j) = (m.get(u, i), m.get(u, j));
            if r_i == 0.0 || r_j == 0.0 {
                continue;
            }
            let e_i = f64::from(r_i - b.estimate(Some(u as u32), Some(i)));
            let e_j = f64::from(r_j - b.estimate(Some(u as u32), Some(j)));
            n += 1.0;
            prod += e_i * e_j;
            sq_i += e_i * e_i;
            sq_j += e_j * e_j;
        }
        if n < 2.0 || sq_i * sq_j == 0.0 {
            return 0.0;
        }
        prod / (sq_i * sq_j).sqrt() * (n - 1.0) / (n - 1.0 + f64::from(model.params.shrinkage))
    }

    #[test]
    fn similarities_and_predictions_follow_the_definitions() {
        let data = planted(60, 25, 2, 0.5, 9);
        let params = KnnBaselineParams {
            k: 5,
            shrinkage: 10.0,
            ..Default::default()
        };
        let model = fitted(&data.train, params);
        let m = &data.train.matrix;
        for i in 0..25u32 {
            let (items, sims) = model.neighbors(i);
            assert!(sims.windows(2).all(|w| w[0] >= w[1]));
            for j in 0..25u32 {
                let want = brute_similarity(&model, m, i, j);
                let got = items.iter().position(|&x| x == j).map_or(0.0, |p| sims[p]);
                if i == j || want <= 0.0 {
                    assert_eq!(got, 0.0, "({i}, {j})");
                } else {
                    assert!(
                        (f64::from(got) - want).abs() < 1e-4,
                        "({i},{j}) {got} {want}"
                    );
                }
            }
        }
        // Prediction: baseline plus the weighted residual of the 5 most similar other
        // items the user rated.
        for u in 0..60u32 {
            for i in 0..25u32 {
                let mut rated: Vec<(f64, f64)> = m
                    .row(u as usize)
                    .filter(|&(j, _)| j != i)
                    .map(|(j, r)| {
                        let e = f64::from(r - model.baseline.estimate(Some(u), Some(j)));
                        (brute_similarity(&model, m, i, j), e)
                    })
                    .filter(|&(s, _)| s > 0.0)
                    .collect();
                rated.sort_by(|a, b| b.0.total_cmp(&a.0));
                rated.truncate(5);
                let total: f64 = rated.iter().map(|x| x.0).sum();
                let mut want = f64::from(model.baseline.estimate(Some(u), Some(i)));
                if total > 0.0 {
                    want += rated.iter().map(|x| x.0 * x.1).sum::<f64>() / total;
                }
                let want = (want as f32).clamp(1.0, 5.0);
                let got = model.predict(Some(u), Some(i));
                assert!((got - want).abs() < 1e-4, "({u}, {i}) {got} vs {want}");
            }
        }
    }

    #[test]
    fn neighbourhood_improves_on_the_baseline_for_planted_ratings() {
        let data = planted(300, 200, 3, 0.25, 11);
        let mut base = Baseline::new(BaselineParams::default(), 0);
        base.fit(&data.train, &NoProgress).unwrap();
        let model = fitted(&data.train, KnnBaselineParams::default());
        let (ours, theirs) = (rmse(&model, &data.test), rmse(&base, &data.test));
        assert!(ours < 0.85 * theirs, "knn {ours} vs baseline {theirs}");
    }

    #[test]
    fn fallbacks_are_the_documented_estimates() {
        let data = planted(40, 30, 2, 0.4, 2);
        let matrix = data.train.matrix.filter(|u, i, _| u != 3 && i != 4);
        let model = fitted(&TrainSet::from_matrix(matrix), KnnBaselineParams::default());
        let b = &model.baseline;
        let clip = |x: f32| x.clamp(b.scale.min, b.scale.max);
        assert_eq!(model.predict(None, None), clip(b.scale.mean));
        assert_eq!(
            model.predict(Some(0), None),
            clip(b.scale.mean + b.user_bias[0])
        );
        assert_eq!(
            model.predict(None, Some(0)),
            clip(b.scale.mean + b.item_bias[0])
        );
        assert_eq!(
            model.predict(Some(3), Some(0)),
            model.predict(None, Some(0))
        );
        assert_eq!(
            model.predict(Some(0), Some(4)),
            model.predict(Some(0), None)
        );
        assert_eq!(model.predict(Some(999), Some(999)), clip(b.scale.mean));
        assert!(model.similar_items(4, 5).is_empty());
        assert!(model.similar_items(999, 5).is_empty());
        let mut scores = vec![0.0; 30];
        model.score_user(3, &mut scores);
        assert!(scores.iter().all(|s| s.is_finite()));
        for u in 0..40 {
            for i in 0..30 {
                let p = model.predict(Some(u), Some(i));
                assert!(p.is_finite() && (1.0..=5.0).contains(&p), "{p}");
            }
        }
    }

    #[test]
    fn fold_in_matches_the_known_user() {
        let data = planted(80, 60, 2, 0.3, 3);
        let model = fitted(&data.train, KnnBaselineParams::default());
        let (mut known, mut folded) = (vec![0.0; 60], vec![0.0; 60]);
        for user in [0u32, 17, 42] {
            let history: Vec<(u32, f32)> = data.train.matrix.row(user as usize).collect();
            model.score_user(user, &mut known);
            model.score_history(&history, &mut folded);
            for (i, (a, b)) in known.iter().zip(&folded).enumerate() {
                assert!((a - b).abs() < 1e-4, "item {i}: {a} vs {b}");
                let p = model.predict(Some(user), Some(i as u32));
                assert!((p - a.clamp(1.0, 5.0)).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn similar_items_come_from_the_same_block() {
        let mut triplets = Vec::new();
        for u in 0..60u32 {
            for i in 0..40u32 {
                if (u * 7 + i * 3) % 5 == 0 {
                    continue;
                }
                let same = (u < 30) == (i < 20);
                let wobble = ((u + 2 * i) % 3) as f32 * 0.5;
                triplets.push((u, i, if same { 4.0 + wobble } else { 1.0 + wobble }));
            }
        }
        let train = TrainSet::from_matrix(CsrMatrix::from_triplets(60, 40, &triplets));
        let model = fitted(&train, KnnBaselineParams::default());
        let similar = model.similar_items(25, 10);
        assert_eq!(similar.len(), 10);
        assert!(
            similar.iter().all(|s| s.item >= 20 && s.item != 25),
            "{similar:?}"
        );
    }

    #[test]
    fn deterministic_across_threads_state_round_trip_and_truncation() {
        let data = planted(100, 80, 2, 0.3, 5);
        let model = fitted(&data.train, KnnBaselineParams::default());
        let single = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| fitted(&data.train, KnnBaselineParams::default()));
        assert_eq!(model.neighbors, single.neighbors);
        let back = KnnBaseline::from_state(&model.state()).unwrap();
        let (mut a, mut b) = (vec![0.0; 80], vec![0.0; 80]);
        for u in 0..100 {
            model.score_user(u, &mut a);
            back.score_user(u, &mut b);
            assert_eq!(a, b);
        }
        assert_eq!(back.similar_items(7, 5), model.similar_items(7, 5));

        let cut = fitted(
            &data.train,
            KnnBaselineParams {
                max_neighbors: 3,
                ..Default::default()
            },
        );
        for i in 0..80u32 {
            let (full, _) = model.neighbors(i);
            let (short, _) = cut.neighbors(i);
            assert_eq!(short, &full[..full.len().min(3)]);
        }

        let mut broken = model.state();
        for t in &mut broken.tensors {
            if t.name == "neighbor_indptr" {
                t.data = crate::persist::TensorData::I64(vec![0, 5]);
            }
        }
        assert!(KnnBaseline::from_state(&broken).is_err());
    }

    #[test]
    fn invalid_params_and_empty_data_are_errors() {
        let data = planted(10, 10, 1, 0.5, 0);
        let cases = [
            KnnBaselineParams {
                k: 0,
                ..Default::default()
            },
            KnnBaselineParams {
                min_k: 41,
                ..Default::default()
            },
            KnnBaselineParams {
                shrinkage: -1.0,
                ..Default::default()
            },
            KnnBaselineParams {
                reg_user: f32::INFINITY,
                ..Default::default()
            },
            KnnBaselineParams {
                baseline_epochs: 0,
                ..Default::default()
            },
        ];
        for params in cases {
            let err = KnnBaseline::new(params, 0).fit(&data.train, &NoProgress);
            assert!(
                matches!(err, Err(ModelError::InvalidParam { .. })),
                "{err:?}"
            );
        }
        let empty = TrainSet::from_matrix(CsrMatrix::zeros(3, 3));
        let err = KnnBaseline::new(KnnBaselineParams::default(), 0).fit(&empty, &NoProgress);
        assert!(matches!(err, Err(ModelError::EmptyTrainingData(_))));
    }
}
