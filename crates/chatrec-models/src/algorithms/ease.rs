//! EASE^R, the closed-form linear item-item model of H. Steck, "Embarrassingly Shallow
//! Autoencoders for Sparse Data", WWW 2019.
//!
//! # Algorithm
//!
//! With `X` the user x item training matrix (1.0 per interaction, or the stored values with
//! `use_values=true`), EASE learns the item x item weights `B` minimising
//! `|X - X B|² + λ |B|²` subject to `diag(B) = 0`, whose solution is
//!
//! ```text
//! G = Xᵀ X + λ I,   P = G⁻¹,   B_ij = -P_ij / P_jj  (i != j),   B_jj = 0.
//! ```
//!
//! `G` is accumulated sparsely in f64 (one row per item, in parallel over items), factored
//! by Cholesky (faer) and inverted in f64; `B` is stored in f32. Scores are
//! `score(u, ·) = x_u B`: each item `j` of the history adds `w_j · B[j, ·]`.
//!
//! Memory is quadratic in the number of items: about `16 n²` bytes at the peak of fitting
//! (two f64 matrices) and `4 n²` bytes for the fitted model, so fitting refuses more than
//! `max_items` items (20,000 by default, 6.4 GB at the peak).
//!
//! Items without training interactions get `B` rows and columns of zero, so they score 0.
//! A user or history with no items gets the items' training popularity scaled to `[0, 1]`.
//!
//! `similar_items(i)` ranks items `j` by `B[i, j]`, the weight with which a history of `i`
//! alone scores `j`: what EASE would recommend to someone who liked only `i`.
//!
//! # Stored state
//!
//! `params` as JSON, and tensors
//! - `weights` (f32, `[n_items, n_items]`, row-major): `B`, row `j` = the scores item `j`
//!   gives to every item;
//! - `user_indptr` (u32, `n_users + 1`), `user_indices` (u32), `user_values` (f32): `X`,
//!   to score known users.
//!
//! # Determinism
//!
//! No randomness. `G`, the per-user scores and the batched scores do not depend on the
//! thread count. The Cholesky factorisation and inverse use faer's global parallelism
//! setting; faer splits that work into blocks of fixed size, and the same thread count
//! gives bit-identical weights.

use chatrec_core::CsrMatrix;
use faer::linalg::matmul::matmul;
use faer::linalg::solvers::DenseSolveCore;
use faer::{Accum, MatMut, MatRef, Par, Side};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::weighting::{
    check_u32, clean_history, csr_from_tensors, csr_tensors, interaction_matrix, invalid,
    popularity_fallback,
};
use crate::error::ModelError;
use crate::params::params_from_json;
use crate::persist::{ModelState, Tensor};
use crate::progress::Progress;
use crate::recommender::{Recommender, Scored};
use crate::topk::top_k;
use crate::train::TrainSet;

pub const NAME: &str = "ease";

/// Users scored together by one dense matrix product in [`Recommender::score_users`].
const USERS_PER_BLOCK: usize = 64;

/// From this share of non-zero entries in a block of users on, one dense product with `B`
/// replaces adding rows of `B` one history item at a time; on MovieLens-100K (about 6%
/// non-zero) the product scored all users in about half the time.
const DENSE_PRODUCT_MIN_DENSITY: f64 = 0.02;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EaseParams {
    /// L2 regularisation λ added to the diagonal of `XᵀX`; must be > 0.
    pub lambda: f64,
    /// Dropout-style regularisation `p` of EDLAE (Steck, "Autoencoders that don't overfit
    /// towards the identity", NeurIPS 2020): item `i` additionally gets
    /// `p / (1 - p) · (XᵀX)_ii` on the diagonal, so popular items are shrunk more. 0 is
    /// plain EASE; must lie in `[0, 1)`.
    pub dropout: f64,
    /// Largest item count fitting accepts (memory grows with its square).
    pub max_items: usize,
    /// Use interaction values (ratings, counts) instead of 1.0 per interaction.
    pub use_values: bool,
}

impl Default for EaseParams {
    /// λ chosen on a validation split carved from the training part of an 80/20 per-user
    /// split of MovieLens-100K (NDCG@10), with the `ml100k` check in `item_knn.rs`.
    fn default() -> Self {
        EaseParams {
            lambda: 600.0,
            dropout: 0.0,
            max_items: 20_000,
            use_values: false,
        }
    }
}

impl EaseParams {
    fn validate(&self) -> Result<(), ModelError> {
        if !(self.lambda.is_finite() && self.lambda > 0.0) {
            return Err(invalid(NAME, "lambda", "must be a finite number > 0"));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(invalid(NAME, "dropout", "must lie in [0, 1)"));
        }
        Ok(())
    }
}

/// EASE^R model; see the module documentation.
pub struct Ease {
    params: EaseParams,
    n_items: usize,
    /// `B`, row-major `[n_items, n_items]`.
    weights: Vec<f32>,
    user_items: CsrMatrix,
    fallback: Vec<f32>,
}

impl Ease {
    /// An unfitted model. There is no randomness; `seed` is accepted for a uniform
    /// constructor across models.
    pub fn new(params: EaseParams, _seed: u64) -> Self {
        Ease {
            params,
            n_items: 0,
            weights: Vec::new(),
            user_items: CsrMatrix::zeros(0, 0),
            fallback: Vec::new(),
        }
    }

    /// The fitted model saved by [`Recommender::state`].
    pub fn from_state(state: &ModelState) -> Result<Self, ModelError> {
        if state.model != NAME {
            return Err(state.format_error(format!("expected a `{NAME}` model")));
        }
        let params: EaseParams = params_from_json(NAME, &state.params)?;
        params.validate()?;
        let (shape, weights) = state.take_f32("weights")?;
        let n_items = match shape.as_slice() {
            &[rows, cols] if rows == cols && rows * cols == weights.len() => rows,
            _ => return Err(state.format_error("tensor `weights` must be square".into())),
        };
        if weights.iter().any(|w| !w.is_finite()) {
            return Err(state.format_error("tensor `weights` holds a non-finite value".into()));
        }
        let user_items = csr_from_tensors(state, "user", n_items)?;
        Ok(Ease {
            fallback: popularity_fallback(&user_items),
            params,
            n_items,
            weights,
            user_items,
        })
    }

    pub fn params(&self) -> &EaseParams {
        &self.params
    }

    fn weight_row(&self, item: u32) -> &[f32] {
        let start = item as usize * self.n_items;
        &self.weights[start..start + self.n_items]
    }

    fn accumulate(&self, history: impl Iterator<Item = (u32, f32)>, out: &mut [f32]) {
        out.fill(0.0);
        let mut any = false;
        for (j, w) in history {
            any = true;
            for (o, &b) in out.iter_mut().zip(self.weight_row(j)) {
                *o += w * b;
            }
        }
        if !any {
            out.copy_from_slice(&self.fallback);
        }
    }

    /// Scores a block of users with one dense product `X_block · B`.
    fn score_block_dense(&self, users: &[u32], out: &mut [f32]) {
        let n = self.n_items;
        let mut dense = vec![0.0f32; users.len() * n];
        for (row, &u) in dense.chunks_exact_mut(n).zip(users) {
            for (i, x) in self.user_items.row(u as usize) {
                row[i as usize] = x;
            }
        }
        let lhs = MatRef::from_row_major_slice(&dense, users.len(), n);
        let rhs = MatRef::from_row_major_slice(&self.weights, n, n);
        let dst = MatMut::from_row_major_slice_mut(out, users.len(), n);
        matmul(dst, Accum::Replace, lhs, rhs, 1.0f32, Par::Seq);
        for (row, &u) in out.chunks_exact_mut(n).zip(users) {
            if self.user_items.row_nnz(u as usize) == 0 {
                row.copy_from_slice(&self.fallback);
            }
        }
    }
}

/// `Xᵀ X` as a dense row-major f64 matrix, one row per item in parallel.
fn gram(user_items: &CsrMatrix) -> Vec<f64> {
    let n = user_items.n_cols();
    let item_users = user_items.transpose();
    let mut g = vec![0.0f64; n * n];
    g.par_chunks_mut(n.max(1)).enumerate().for_each(|(i, row)| {
        for (u, xi) in item_users.row(i) {
            let xi = xi as f64;
            for (j, xj) in user_items.row(u as usize) {
                row[j as usize] += xi * xj as f64;
            }
        }
    });
    g
}

impl Recommender for Ease {
    fn name(&self) -> &'static str {
        NAME
    }

    fn fit(&mut self, train: &TrainSet, progress: &dyn Progress) -> Result<(), ModelError> {
        self.params.validate()?;
        let n = train.n_items();
        if n > self.params.max_items {
            return Err(invalid(
                NAME,
                "max_items",
                &format!(
                    "{n} items exceed max_items={}; EASE needs about {:.1} GB to fit \
                     (16 bytes per item pair); raise max_items if the machine has the memory, \
                     or use itemknn",
                    self.params.max_items,
                    16.0 * (n as f64).powi(2) / 1e9
                ),
            ));
        }
        let user_items = interaction_matrix(NAME, train, self.params.use_values)?;
        check_u32(NAME, "n_users", train.n_users())?;
        check_u32(NAME, "interactions", user_items.nnz())?;

        progress.start("ease: gram matrix", 1);
        let mut g = gram(&user_items);
        let popularity_share = self.params.dropout / (1.0 - self.params.dropout);
        for i in 0..n {
            g[i * n + i] += self.params.lambda + popularity_share * g[i * n + i];
        }
        progress.advance(1);
        progress.start("ease: cholesky and inverse", 1);
        // G is symmetric, so its row-major buffer is also its column-major form.
        let llt = MatRef::from_column_major_slice(&g, n, n)
            .llt(Side::Lower)
            .map_err(|e| ModelError::Numerical {
                model: NAME.to_owned(),
                reason: format!(
                    "Cholesky factorisation of XᵀX + λI failed ({e:?}); increase lambda"
                ),
            })?;
        drop(g);
        let p = llt.inverse();
        drop(llt);
        progress.advance(1);

        let diag: Vec<f64> = (0..n).map(|j| p[(j, j)]).collect();
        if diag.iter().any(|d| !(d.is_finite() && *d > 0.0)) {
            return Err(ModelError::Numerical {
                model: NAME.to_owned(),
                reason: "the inverse of XᵀX + λI has a non-positive diagonal; increase lambda"
                    .into(),
            });
        }
        let mut weights = vec![0.0f32; n * n];
        weights
            .par_chunks_mut(n.max(1))
            .enumerate()
            .for_each(|(i, row)| {
                // P is symmetric: row i of P is its column i, which is contiguous.
                for (j, b) in row.iter_mut().enumerate() {
                    if i != j {
                        *b = (-p[(j, i)] / diag[j]) as f32;
                    }
                }
            });
        progress.finish();
        self.fallback = popularity_fallback(&user_items);
        self.n_items = n;
        self.weights = weights;
        self.user_items = user_items;
        Ok(())
    }

    fn n_users(&self) -> usize {
        self.user_items.n_rows()
    }

    fn n_items(&self) -> usize {
        self.n_items
    }

    fn score_user(&self, user: u32, out: &mut [f32]) {
        self.accumulate(self.user_items.row(user as usize), out);
    }

    fn score_history(&self, history: &[(u32, f32)], out: &mut [f32]) {
        let history = clean_history(history, self.n_items);
        self.accumulate(history.into_iter(), out);
    }

    fn score_users(&self, users: &[u32], out: &mut [f32]) {
        let n = self.n_items;
        if n == 0 {
            return;
        }
        out.par_chunks_mut(USERS_PER_BLOCK * n)
            .zip(users.par_chunks(USERS_PER_BLOCK))
            .for_each(|(block, users)| {
                let nnz: usize = users
                    .iter()
                    .map(|&u| self.user_items.row_nnz(u as usize))
                    .sum();
                let density = nnz as f64 / (users.len() * n) as f64;
                if density >= DENSE_PRODUCT_MIN_DENSITY {
                    self.score_block_dense(users, block);
                } else {
                    for (row, &u) in block.chunks_exact_mut(n).zip(users) {
                        self.score_user(u, row);
                    }
                }
            });
    }

    fn similar_items(&self, item: u32, n: usize) -> Vec<Scored> {
        if item as usize >= self.n_items {
            return Vec::new();
        }
        top_k(self.weight_row(item), n, |j| j == item)
            .into_iter()
            .filter(|s| s.score > 0.0)
            .collect()
    }

    fn state(&self) -> ModelState {
        let params = serde_json::to_value(&self.params).unwrap_or(serde_json::Value::Null);
        let mut state = ModelState::new(NAME, params).with(Tensor::f32(
            "weights",
            &[self.n_items, self.n_items],
            self.weights.clone(),
        ));
        for t in csr_tensors("user", &self.user_items) {
            state = state.with(t);
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use super::super::item_knn::test_support::*;
    use super::*;
    use crate::progress::NoProgress;

    fn fitted(params: EaseParams, train: &TrainSet) -> Ease {
        let mut model = Ease::new(params, 0);
        model.fit(train, &NoProgress).unwrap();
        model
    }

    fn small() -> EaseParams {
        EaseParams {
            lambda: 5.0,
            ..EaseParams::default()
        }
    }

    #[test]
    fn recovers_planted_blocks() {
        let (train, held) = planted(12, 8);
        assert_recovers(&fitted(small(), &train), &train, &held, 5);
    }

    #[test]
    fn weights_solve_the_constrained_ridge_problem() {
        // Compare with a direct f64 computation on a tiny matrix: B = I - P diag(1/diag P).
        let m = CsrMatrix::from_triplets(
            4,
            3,
            &[
                (0, 0, 1.0),
                (0, 1, 1.0),
                (1, 1, 1.0),
                (1, 2, 1.0),
                (2, 0, 1.0),
                (3, 2, 1.0),
            ],
        );
        let train = TrainSet::from_matrix(m.clone());
        let lambda = 2.0;
        let model = fitted(
            EaseParams {
                lambda,
                ..EaseParams::default()
            },
            &train,
        );
        // G = XᵀX + λI for this X, inverted by the adjugate formula.
        let x = |u: usize, i: u32| m.get(u, i) as f64;
        let mut g = [[0.0f64; 3]; 3];
        for (i, row) in g.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = (0..4).map(|u| x(u, i as u32) * x(u, j as u32)).sum::<f64>();
                if i == j {
                    *v += lambda;
                }
            }
        }
        let det = g[0][0] * (g[1][1] * g[2][2] - g[1][2] * g[2][1])
            - g[0][1] * (g[1][0] * g[2][2] - g[1][2] * g[2][0])
            + g[0][2] * (g[1][0] * g[2][1] - g[1][1] * g[2][0]);
        let cof = |r: usize, c: usize| {
            let rows: Vec<usize> = (0..3).filter(|&k| k != r).collect();
            let cols: Vec<usize> = (0..3).filter(|&k| k != c).collect();
            let minor = g[rows[0]][cols[0]] * g[rows[1]][cols[1]]
                - g[rows[0]][cols[1]] * g[rows[1]][cols[0]];
            // The checkerboard of cofactor signs.
            [minor, -minor][(r + c) % 2]
        };
        let p = |i: usize, j: usize| cof(j, i) / det;
        for i in 0..3 {
            for j in 0..3 {
                let expected = if i == j { 0.0 } else { -p(i, j) / p(j, j) };
                let got = model.weights[i * 3 + j] as f64;
                assert!(
                    (got - expected).abs() < 1e-6,
                    "B[{i},{j}] {got} vs {expected}"
                );
            }
        }
    }

    #[test]
    fn fold_in_of_a_training_row_equals_the_known_user() {
        let (train, _) = planted(10, 7);
        let model = fitted(small(), &train);
        for u in [0u32, 9, 14] {
            let mut h = row_history(&train, u);
            h.reverse();
            assert_eq!(scores_of(&model, u), history_scores(&model, &h));
        }
    }

    #[test]
    fn batched_dense_scores_agree_with_single_scores() {
        let (train, _) = planted(40, 9);
        let model = fitted(small(), &train);
        let users: Vec<u32> = (0..train.n_users() as u32).rev().collect();
        let n = model.n_items();
        let mut batch = vec![0.0; users.len() * n];
        model.score_users(&users, &mut batch);
        for (row, &u) in batch.chunks_exact(n).zip(&users) {
            assert_close(row, &scores_of(&model, u), 1e-5);
        }
    }

    #[test]
    fn state_round_trip_gives_identical_scores() {
        let (train, _) = planted(10, 7);
        let model = fitted(small(), &train);
        let back = Ease::from_state(&model.state()).unwrap();
        assert_eq!(back.params(), model.params());
        for u in 0..train.n_users() as u32 {
            assert_eq!(scores_of(&model, u), scores_of(&back, u));
        }
        assert_eq!(model.similar_items(2, 3), back.similar_items(2, 3));
        let mut state = model.state();
        state.tensors.retain(|t| t.name != "weights");
        assert!(Ease::from_state(&state).is_err());
    }

    #[test]
    fn similar_items_come_from_the_same_block() {
        let (train, _) = planted(12, 8);
        let model = fitted(small(), &train);
        let sim = model.similar_items(9, 4);
        assert_eq!(sim.len(), 4);
        assert!(
            sim.iter().all(|s| (8..16).contains(&s.item) && s.item != 9),
            "{sim:?}"
        );
        assert!(model.similar_items(16, 4).is_empty());
    }

    #[test]
    fn invalid_params_too_many_items_and_empty_data_are_errors() {
        let (train, _) = planted(4, 4);
        for lambda in [0.0, -1.0, f64::NAN] {
            let err = Ease::new(
                EaseParams {
                    lambda,
                    ..EaseParams::default()
                },
                0,
            )
            .fit(&train, &NoProgress)
            .unwrap_err();
            assert!(matches!(err, ModelError::InvalidParam { .. }), "{err}");
        }
        let err = Ease::new(
            EaseParams {
                max_items: 7,
                ..EaseParams::default()
            },
            0,
        )
        .fit(&train, &NoProgress)
        .unwrap_err();
        assert!(err.to_string().contains("max_items"), "{err}");
        let empty = TrainSet::from_matrix(CsrMatrix::zeros(2, 2));
        assert!(matches!(
            Ease::new(EaseParams::default(), 0).fit(&empty, &NoProgress),
            Err(ModelError::EmptyTrainingData(_))
        ));
    }

    #[test]
    fn dropout_shrinks_popular_items_more_and_is_validated() {
        // Item 0 is in every row, item 1 in one: with dropout, item 0's own diagonal grows
        // with its popularity, so the weight others give it shrinks relative to plain EASE.
        let m = CsrMatrix::from_triplets(
            4,
            3,
            &[
                (0, 0, 1.0),
                (1, 0, 1.0),
                (2, 0, 1.0),
                (3, 0, 1.0),
                (0, 1, 1.0),
                (0, 2, 1.0),
                (1, 2, 1.0),
            ],
        );
        let train = TrainSet::from_matrix(m);
        let with = |dropout| {
            fitted(
                EaseParams {
                    lambda: 1.0,
                    dropout,
                    ..EaseParams::default()
                },
                &train,
            )
        };
        let (plain, dropped) = (with(0.0), with(0.5));
        assert!(dropped.weight_row(2)[0].abs() < plain.weight_row(2)[0].abs());
        for dropout in [-0.1, 1.0, f64::NAN] {
            let err = Ease::new(
                EaseParams {
                    dropout,
                    ..EaseParams::default()
                },
                0,
            )
            .fit(&train, &NoProgress)
            .unwrap_err();
            assert!(err.to_string().contains("dropout"), "{err}");
        }
    }

    #[test]
    fn unseen_items_score_zero_and_empty_users_get_popular_items() {
        let m = CsrMatrix::from_triplets(3, 4, &[(0, 0, 1.0), (0, 1, 1.0), (1, 1, 1.0)]);
        let train = TrainSet::from_matrix(m);
        let model = fitted(small(), &train);
        assert_eq!(scores_of(&model, 0)[3], 0.0);
        assert_eq!(model.recommend(2, 1, &[])[0].item, 1);
    }
}
