//! Baseline estimates of explicit ratings: `b_ui = mu + b_u + b_i`.
//!
//! `mu` is the global mean rating, `b_u` and `b_i` are user and item deviations from it,
//! fitted by alternating least squares on the regularised squared error
//! `sum (r_ui - mu - b_u - b_i)^2 + reg_user * sum b_u^2 + reg_item * sum b_i^2`
//! (Koren, "Factor in the neighbors: scalable and accurate collaborative filtering", TKDD
//! 2010, section 2.1). As in Surprise's `BaselineOnly`, every epoch first sets each item bias
//! to its closed-form optimum given the user biases, `b_i = sum_u (r_ui - mu - b_u) /
//! (reg_item + |R(i)|)`, then each user bias given the item biases.
//!
//! The model predicts ratings on its own and is the base of
//! [`crate::algorithms::knn_baseline`]. Fallbacks: an unknown user gets `b_u = 0` and an
//! unknown item `b_i = 0`, so predictions fall back to `mu + b_i`, `mu + b_u` or `mu`.
//! [`RatingPredictor::predict`] clips to the rating range seen in training;
//! [`Recommender::score_user`] returns the unclipped estimate so that items predicted above
//! the top of the scale keep their order.
//!
//! A new user is folded in ([`Recommender::score_history`], weights are ratings) by the same
//! closed-form step: `b_u = sum (r - mu - b_i) / (reg_user + n)` over the history.
//!
//! The baseline has no notion of content; [`Recommender::similar_items`] returns the items of
//! most similar general appeal (closest item bias, score `-|b_i - b_j|`).
//!
//! Determinism: fitting uses no randomness; each bias is an independent sum evaluated in a
//! fixed order, so results are identical for any number of threads.
//!
//! Saved tensors: `rating_stats` f32 `[3]` = (global mean, lowest rating, highest rating),
//! `user_bias` f32 `[n_users]`, `item_bias` f32 `[n_items]`.

use chatrec_core::CsrMatrix;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ModelError;
use crate::params::params_from_json;
use crate::persist::{ModelState, Tensor};
use crate::progress::Progress;
use crate::recommender::{RatingPredictor, Recommender, Scored};
use crate::topk::top_k;
use crate::train::TrainSet;

pub const NAME: &str = "baseline";

/// Hyper-parameters of [`Baseline`]; defaults are those of Surprise's `BaselineOnly` (ALS).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BaselineParams {
    /// Regularisation of the item biases (Koren's lambda_2).
    pub reg_item: f32,
    /// Regularisation of the user biases (Koren's lambda_3).
    pub reg_user: f32,
    /// Number of alternating passes (items, then users).
    pub epochs: usize,
}

impl Default for BaselineParams {
    fn default() -> Self {
        BaselineParams {
            reg_item: 10.0,
            reg_user: 15.0,
            epochs: 10,
        }
    }
}

impl BaselineParams {
    pub(crate) fn validate(&self, model: &str) -> Result<(), ModelError> {
        non_negative(model, "reg_item", self.reg_item)?;
        non_negative(model, "reg_user", self.reg_user)?;
        if self.epochs == 0 {
            return Err(invalid(model, "epochs", "must be at least 1".into()));
        }
        Ok(())
    }
}

pub(crate) fn invalid(model: &str, name: &str, reason: String) -> ModelError {
    ModelError::InvalidParam {
        model: model.to_owned(),
        name: name.to_owned(),
        reason,
    }
}

pub(crate) fn non_negative(model: &str, name: &str, value: f32) -> Result<(), ModelError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(invalid(
            model,
            name,
            format!("must be a finite number >= 0, got {value}"),
        ))
    }
}

pub(crate) fn positive(model: &str, name: &str, value: f32) -> Result<(), ModelError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(invalid(
            model,
            name,
            format!("must be a finite number > 0, got {value}"),
        ))
    }
}

/// The global mean and the range of the training ratings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RatingScale {
    pub mean: f32,
    pub min: f32,
    pub max: f32,
}

impl RatingScale {
    /// The scale of an unfitted model: every prediction is 0.
    pub const UNFITTED: RatingScale = RatingScale {
        mean: 0.0,
        min: 0.0,
        max: 0.0,
    };

    /// Reads the scale of `matrix`, rejecting empty data and non-finite ratings.
    pub fn of(matrix: &CsrMatrix, model: &str) -> Result<Self, ModelError> {
        let data = matrix.data();
        if data.is_empty() {
            return Err(ModelError::EmptyTrainingData(format!(
                "{model} needs at least one rating"
            )));
        }
        if let Some(bad) = data.iter().find(|v| !v.is_finite()) {
            return Err(ModelError::Numerical {
                model: model.to_owned(),
                reason: format!("training ratings must be finite, found {bad}"),
            });
        }
        let sum: f64 = data.iter().map(|&v| f64::from(v)).sum();
        let min = data.iter().copied().fold(f32::INFINITY, f32::min);
        let max = data.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        Ok(RatingScale {
            mean: (sum / data.len() as f64) as f32,
            min,
            max,
        })
    }

    /// `estimate` clipped to the training range; the mean when the estimate is not a number.
    pub fn clip(&self, estimate: f32) -> f32 {
        if estimate.is_nan() {
            self.mean
        } else {
            estimate.clamp(self.min, self.max)
        }
    }

    pub fn tensor(&self) -> Tensor {
        Tensor::f32("rating_stats", &[3], vec![self.mean, self.min, self.max])
    }

    pub fn from_state(state: &ModelState) -> Result<Self, ModelError> {
        let (_, v) = state.take_f32("rating_stats")?;
        match v[..] {
            [mean, min, max] if mean.is_finite() && min <= max => {
                Ok(RatingScale { mean, min, max })
            }
            _ => Err(state.format_error("`rating_stats` must hold mean, min, max".into())),
        }
    }
}

/// Fitted baseline estimates, shared with the models built on them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BaselineEstimates {
    pub scale: RatingScale,
    pub user_bias: Vec<f32>,
    pub item_bias: Vec<f32>,
}

impl BaselineEstimates {
    pub fn unfitted() -> Self {
        BaselineEstimates {
            scale: RatingScale::UNFITTED,
            user_bias: Vec::new(),
            item_bias: Vec::new(),
        }
    }

    /// Fits the biases of `matrix` (users x items, values are ratings) by ALS.
    pub fn fit(
        matrix: &CsrMatrix,
        params: &BaselineParams,
        model: &str,
        progress: &dyn Progress,
    ) -> Result<Self, ModelError> {
        params.validate(model)?;
        let scale = RatingScale::of(matrix, model)?;
        let mu = f64::from(scale.mean);
        let by_item = matrix.transpose();
        let mut user_bias = vec![0f64; matrix.n_rows()];
        let mut item_bias = vec![0f64; matrix.n_cols()];
        let reg_item = f64::from(params.reg_item);
        let reg_user = f64::from(params.reg_user);
        progress.start("baseline ALS", params.epochs as u64);
        for _ in 0..params.epochs {
            item_bias.par_iter_mut().enumerate().for_each(|(i, b)| {
                let dev: f64 = by_item
                    .row(i)
                    .map(|(u, r)| f64::from(r) - mu - user_bias[u as usize])
                    .sum();
                *b = dev / (reg_item + by_item.row_nnz(i) as f64);
            });
            user_bias.par_iter_mut().enumerate().for_each(|(u, b)| {
                let dev: f64 = matrix
                    .row(u)
                    .map(|(i, r)| f64::from(r) - mu - item_bias[i as usize])
                    .sum();
                *b = dev / (reg_user + matrix.row_nnz(u) as f64);
            });
            progress.advance(1);
        }
        progress.finish();
        let to_f32 = |v: Vec<f64>| -> Vec<f32> { v.into_iter().map(|x| x as f32).collect() };
        Ok(BaselineEstimates {
            scale,
            user_bias: to_f32(user_bias),
            item_bias: to_f32(item_bias),
        })
    }

    pub fn user_bias(&self, user: Option<u32>) -> f32 {
        user.and_then(|u| self.user_bias.get(u as usize).copied())
            .unwrap_or(0.0)
    }

    pub fn item_bias(&self, item: Option<u32>) -> f32 {
        item.and_then(|i| self.item_bias.get(i as usize).copied())
            .unwrap_or(0.0)
    }

    /// `mu + b_u + b_i`, unclipped; unknown user or item contribute no bias.
    pub fn estimate(&self, user: Option<u32>, item: Option<u32>) -> f32 {
        self.scale.mean + self.user_bias(user) + self.item_bias(item)
    }

    /// The bias of a new user from `(item, rating)` pairs, as one ALS step with the item
    /// biases fixed. Items outside the model are ignored.
    pub fn fold_in_user_bias(&self, history: &[(u32, f32)], reg_user: f32) -> f32 {
        let mut dev = 0f64;
        let mut n = 0usize;
        for &(item, rating) in history {
            if let (Some(&b_i), true) = (self.item_bias.get(item as usize), rating.is_finite()) {
                dev += f64::from(rating) - f64::from(self.scale.mean) - f64::from(b_i);
                n += 1;
            }
        }
        if n == 0 {
            return 0.0;
        }
        (dev / (f64::from(reg_user) + n as f64)) as f32
    }

    pub fn tensors(&self) -> [Tensor; 3] {
        [
            self.scale.tensor(),
            Tensor::f32("user_bias", &[self.user_bias.len()], self.user_bias.clone()),
            Tensor::f32("item_bias", &[self.item_bias.len()], self.item_bias.clone()),
        ]
    }

    pub fn from_state(state: &ModelState) -> Result<Self, ModelError> {
        let scale = RatingScale::from_state(state)?;
        let (_, user_bias) = state.take_f32("user_bias")?;
        let (_, item_bias) = state.take_f32("item_bias")?;
        Ok(BaselineEstimates {
            scale,
            user_bias,
            item_bias,
        })
    }

    /// Items ordered by closeness of their bias to that of `item`.
    fn closest_bias(&self, item: u32, n: usize) -> Vec<Scored> {
        let Some(&target) = self.item_bias.get(item as usize) else {
            return Vec::new();
        };
        let scores: Vec<f32> = self
            .item_bias
            .iter()
            .map(|&b| -(b - target).abs())
            .collect();
        top_k(&scores, n, |j| j == item)
    }
}

/// Global mean plus user and item biases (Surprise's `BaselineOnly`).
#[derive(Debug, Clone)]
pub struct Baseline {
    params: BaselineParams,
    fitted: BaselineEstimates,
}

impl Baseline {
    /// An unfitted model. The fit uses no randomness, so `seed` is accepted for uniformity
    /// with the other models and not used.
    pub fn new(params: BaselineParams, _seed: u64) -> Self {
        Baseline {
            params,
            fitted: BaselineEstimates::unfitted(),
        }
    }

    /// A fitted model from [`Recommender::state`].
    pub fn from_state(state: &ModelState) -> Result<Self, ModelError> {
        let params: BaselineParams = params_from_json(NAME, &state.params)?;
        let fitted = BaselineEstimates::from_state(state)?;
        Ok(Baseline { params, fitted })
    }

    pub fn params(&self) -> &BaselineParams {
        &self.params
    }

    /// The global mean rating of the training data.
    pub fn global_mean(&self) -> f32 {
        self.fitted.scale.mean
    }

    pub fn user_bias(&self) -> &[f32] {
        &self.fitted.user_bias
    }

    pub fn item_bias(&self) -> &[f32] {
        &self.fitted.item_bias
    }

    fn fill(&self, user_bias: f32, out: &mut [f32]) {
        let base = self.fitted.scale.mean + user_bias;
        for (o, &b_i) in out.iter_mut().zip(&self.fitted.item_bias) {
            *o = base + b_i;
        }
    }
}

impl Recommender for Baseline {
    fn name(&self) -> &'static str {
        NAME
    }

    fn fit(&mut self, train: &TrainSet, progress: &dyn Progress) -> Result<(), ModelError> {
        self.fitted = BaselineEstimates::fit(&train.matrix, &self.params, NAME, progress)?;
        Ok(())
    }

    fn n_users(&self) -> usize {
        self.fitted.user_bias.len()
    }

    fn n_items(&self) -> usize {
        self.fitted.item_bias.len()
    }

    fn score_user(&self, user: u32, out: &mut [f32]) {
        self.fill(self.fitted.user_bias(Some(user)), out);
    }

    fn score_history(&self, history: &[(u32, f32)], out: &mut [f32]) {
        self.fill(
            self.fitted.fold_in_user_bias(history, self.params.reg_user),
            out,
        );
    }

    fn similar_items(&self, item: u32, n: usize) -> Vec<Scored> {
        self.fitted.closest_bias(item, n)
    }

    fn state(&self) -> ModelState {
        let params = serde_json::to_value(&self.params).unwrap_or_default();
        self.fitted
            .tensors()
            .into_iter()
            .fold(ModelState::new(NAME, params), ModelState::with)
    }

    fn as_rating_predictor(&self) -> Option<&dyn RatingPredictor> {
        Some(self)
    }
}

impl RatingPredictor for Baseline {
    fn predict(&self, user: Option<u32>, item: Option<u32>) -> f32 {
        self.fitted.scale.clip(self.fitted.estimate(user, item))
    }
}

/// Synthetic explicit-rating data with planted structure, shared by the tests of the
/// rating models.
#[cfg(test)]
pub(crate) mod planted {
    use chatrec_core::CsrMatrix;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, Normal};

    use crate::recommender::RatingPredictor;
    use crate::train::TrainSet;

    /// Ratings from known biases and rank-`rank` factors plus a little noise, on a 1..5
    /// scale, with a held-out test set.
    pub struct Planted {
        pub train: TrainSet,
        pub test: Vec<(u32, u32, f32)>,
    }

    pub fn planted(
        n_users: usize,
        n_items: usize,
        rank: usize,
        density: f64,
        seed: u64,
    ) -> Planted {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let unit = Normal::new(0.0f32, 1.0).expect("valid normal");
        let user_bias: Vec<f32> = (0..n_users).map(|_| 0.4 * unit.sample(&mut rng)).collect();
        let item_bias: Vec<f32> = (0..n_items).map(|_| 0.6 * unit.sample(&mut rng)).collect();
        let p: Vec<f32> = (0..n_users * rank)
            .map(|_| 0.7 * unit.sample(&mut rng))
            .collect();
        let q: Vec<f32> = (0..n_items * rank)
            .map(|_| 0.7 * unit.sample(&mut rng))
            .collect();
        let mut train = Vec::new();
        let mut test = Vec::new();
        for u in 0..n_users {
            for i in 0..n_items {
                if !rng.gen_bool(density) {
                    continue;
                }
                let dot: f32 = (0..rank).map(|f| p[u * rank + f] * q[i * rank + f]).sum();
                let noise = 0.1 * unit.sample(&mut rng);
                let r = (3.2 + user_bias[u] + item_bias[i] + dot + noise).clamp(1.0, 5.0);
                let entry = (u as u32, i as u32, r);
                if rng.gen_bool(0.2) {
                    test.push(entry);
                } else {
                    train.push(entry);
                }
            }
        }
        let matrix = CsrMatrix::from_triplets(n_users, n_items, &train);
        Planted {
            train: TrainSet::from_matrix(matrix),
            test,
        }
    }

    pub fn rmse(model: &dyn RatingPredictor, test: &[(u32, u32, f32)]) -> f32 {
        let sse: f64 = test
            .iter()
            .map(|&(u, i, r)| f64::from(model.predict(Some(u), Some(i)) - r).powi(2))
            .sum();
        (sse / test.len() as f64).sqrt() as f32
    }
}

#[cfg(test)]
mod tests {
    use super::planted::{planted, rmse};
    use super::*;
    use crate::progress::NoProgress;

    fn fitted(train: &TrainSet) -> Baseline {
        let mut model = Baseline::new(BaselineParams::default(), 0);
        model.fit(train, &NoProgress).unwrap();
        model
    }

    #[test]
    fn matches_closed_form_on_tiny_data() {
        // One user, one item, rating 5: mu = 5, so every bias is 0.
        let m = CsrMatrix::from_triplets(1, 1, &[(0, 0, 5.0)]);
        let model = fitted(&TrainSet::from_matrix(m));
        assert_eq!(model.predict(Some(0), Some(0)), 5.0);

        // Two users, one item rated 2 and 4: b_i = 0 (deviations cancel),
        // b_u = +-1 / (15 + 1).
        let m = CsrMatrix::from_triplets(2, 1, &[(0, 0, 2.0), (1, 0, 4.0)]);
        let model = fitted(&TrainSet::from_matrix(m));
        assert!((model.user_bias()[0] + 1.0 / 16.0).abs() < 1e-6);
        assert!((model.user_bias()[1] - 1.0 / 16.0).abs() < 1e-6);
        assert!(model.item_bias()[0].abs() < 1e-6);
    }

    #[test]
    fn beats_the_global_mean_on_planted_biases() {
        let data = planted(300, 200, 2, 0.2, 7);
        let model = fitted(&data.train);
        let mu = model.global_mean();
        let mean_rmse = (data.test.iter().map(|t| (t.2 - mu).powi(2)).sum::<f32>()
            / data.test.len() as f32)
            .sqrt();
        let ours = rmse(&model, &data.test);
        assert!(
            ours < 0.85 * mean_rmse,
            "baseline {ours} vs mean {mean_rmse}"
        );
    }

    #[test]
    fn fallbacks_are_the_documented_estimates() {
        let data = planted(50, 40, 2, 0.3, 1);
        let model = fitted(&data.train);
        let mu = model.global_mean();
        let (b_u, b_i) = (model.user_bias()[3], model.item_bias()[5]);
        let clip = |x: f32| x.clamp(1.0, 5.0);
        assert_eq!(model.predict(None, None), clip(mu));
        assert_eq!(model.predict(Some(3), None), clip(mu + b_u));
        assert_eq!(model.predict(None, Some(5)), clip(mu + b_i));
        // Out-of-range indices are unknown, not a panic.
        assert_eq!(model.predict(Some(10_000), Some(10_000)), clip(mu));
        for u in 0..50 {
            for i in 0..40 {
                let p = model.predict(Some(u), Some(i));
                assert!(p.is_finite() && (1.0..=5.0).contains(&p));
            }
        }
    }

    #[test]
    fn predictions_are_clipped_but_scores_are_not() {
        // A generous user and a loved item: mu + b_u + b_i exceeds the top rating.
        let m = CsrMatrix::from_triplets(
            3,
            3,
            &[
                (0, 0, 5.0),
                (0, 1, 5.0),
                (1, 0, 5.0),
                (1, 2, 1.0),
                (2, 2, 1.0),
                (2, 1, 3.0),
            ],
        );
        let params = BaselineParams {
            reg_item: 0.0,
            reg_user: 0.0,
            epochs: 20,
        };
        let mut model = Baseline::new(params, 0);
        model.fit(&TrainSet::from_matrix(m), &NoProgress).unwrap();
        let mut scores = vec![0.0; 3];
        model.score_user(0, &mut scores);
        let raw_max = scores.iter().copied().fold(f32::MIN, f32::max);
        assert!(raw_max > 5.0, "{scores:?}");
        assert!(model.predict(Some(0), Some(0)) <= 5.0);
        let raw_min = {
            model.score_user(2, &mut scores);
            scores.iter().copied().fold(f32::MAX, f32::min)
        };
        assert!(raw_min < 1.0, "{scores:?}");
        assert!(model.predict(Some(2), Some(2)) >= 1.0);
    }

    #[test]
    fn fold_in_matches_the_known_user_step() {
        let data = planted(80, 60, 2, 0.3, 3);
        let model = fitted(&data.train);
        // The last ALS pass sets b_u from the final item biases, exactly the fold-in step.
        let user = 11;
        let history: Vec<(u32, f32)> = data.train.matrix.row(user).collect();
        let (mut known, mut folded) = (vec![0.0; 60], vec![0.0; 60]);
        model.score_user(user as u32, &mut known);
        model.score_history(&history, &mut folded);
        for (a, b) in known.iter().zip(&folded) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }

    #[test]
    fn state_round_trip_and_determinism() {
        let data = planted(60, 50, 2, 0.3, 5);
        let model = fitted(&data.train);
        let again = fitted(&data.train);
        let back = Baseline::from_state(&model.state()).unwrap();
        let (mut a, mut b, mut c) = (vec![0.0; 50], vec![0.0; 50], vec![0.0; 50]);
        for u in 0..60 {
            model.score_user(u, &mut a);
            back.score_user(u, &mut b);
            again.score_user(u, &mut c);
            assert_eq!(a, b);
            assert_eq!(a, c);
        }
        assert_eq!(
            back.predict(Some(1), Some(2)),
            model.predict(Some(1), Some(2))
        );
        assert_eq!(back.params(), model.params());
        let similar = model.similar_items(4, 5);
        assert_eq!(similar.len(), 5);
        assert!(similar.iter().all(|s| s.item != 4));
        assert!(similar.windows(2).all(|w| w[0].score >= w[1].score));
    }

    #[test]
    fn invalid_params_and_empty_data_are_errors() {
        let data = planted(10, 10, 1, 0.5, 0);
        for params in [
            BaselineParams {
                reg_item: -1.0,
                ..Default::default()
            },
            BaselineParams {
                reg_user: f32::NAN,
                ..Default::default()
            },
            BaselineParams {
                epochs: 0,
                ..Default::default()
            },
        ] {
            let err = Baseline::new(params, 0).fit(&data.train, &NoProgress);
            assert!(
                matches!(err, Err(ModelError::InvalidParam { .. })),
                "{err:?}"
            );
        }
        let empty = TrainSet::from_matrix(CsrMatrix::zeros(3, 3));
        let err = Baseline::new(BaselineParams::default(), 0).fit(&empty, &NoProgress);
        assert!(matches!(err, Err(ModelError::EmptyTrainingData(_))));
    }
}
