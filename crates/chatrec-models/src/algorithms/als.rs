//! Implicit-feedback alternating least squares (ALS).
//!
//! The model of Hu, Koren & Volinsky, "Collaborative Filtering for Implicit Feedback
//! Datasets" (ICDM 2008): every user-item cell has a preference `p` (1 where the training
//! matrix stores an entry, 0 elsewhere) and a confidence `c = 1 + alpha * r`, where `r` is
//! 1.0 for every stored entry, or the stored value when `use_values` is set (entries with
//! a non-positive or non-finite value are then ignored). ALS minimises
//! `sum c (p - x_u . y_i)^2 + regularization * (|X|^2 + |Y|^2)` by alternately solving for
//! all user factors with the item factors fixed, and the reverse.
//!
//! Each solve uses `Y^T C_u Y = Y^T Y + Y^T (C_u - I) Y`: the Gram matrix `Y^T Y` is computed
//! once per half-iteration and only the user's own rows add to it. Instead of factorising
//! that k x k system per user, a few conjugate-gradient steps start from the previous
//! factors (Takács, Pilászy & Tikk, "Applications of the conjugate gradient method for
//! implicit feedback collaborative filtering", RecSys 2011), exactly as the `implicit`
//! library's CPU solver does; this costs `O(k^2 + nnz_u k)` per user and step.
//!
//! Folding in a new user ([`Recommender::score_history`]) solves the same system exactly
//! for the given history with a Cholesky factorisation, so a training user's own row gives
//! nearly the scores of [`Recommender::score_user`] (the fitted factors come from a few CG
//! steps against the item factors of the previous half-iteration). History entries with a
//! non-positive weight or an unknown item are ignored, repeated items add up, and weights
//! are strengths only under `use_values` (otherwise each entry counts as 1.0).
//!
//! Users and items without training interactions get zero factors. Unseen items therefore
//! score 0 for everyone and are never returned by `similar_items`; a user without training
//! interactions (or an empty history) is scored with the mean factors of the users that
//! have some, which ranks broadly liked items first.
//!
//! Determinism: the same parameters, seed and data give bit-identical factors under any
//! number of threads on one machine (the vector kernels use AVX2+FMA when the CPU has
//! them, which rounds differently from the portable path). The initial factors come from per-chunk random streams derived from
//! the seed; each user or item solve depends only on the fixed side and the Gram matrix;
//! the Gram matrix is summed over fixed row chunks in a fixed order.
//! [`Recommender::score_users`] multiplies fixed blocks of users by the item factors, so its
//! scores also do not depend on the thread count, but may differ from
//! [`Recommender::score_user`] in the last bits.
//!
//! Persisted tensors: `user_factors` `[n_users, factors]` and `item_factors`
//! `[n_items, factors]`, both f32 row-major. The seed is not persisted.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use chatrec_core::CsrMatrix;

use super::factor_similarity::{cosine_neighbours, row_norms};
use super::kernels::{self, KernelOp, Kernels, Portable};
use crate::error::ModelError;
use crate::params::params_from_json;
use crate::persist::{ModelState, Tensor};
use crate::progress::Progress;
use crate::recommender::{Recommender, Scored};
use crate::train::TrainSet;

pub const NAME: &str = "als";

/// Hyper-parameters of [`Als`]. The defaults were chosen for top-k ranking on
/// MovieLens-100K, tuned on a validation split carved from a training split: strong
/// regularisation (20 to 50) gave about 30% higher NDCG@10 there than `implicit`'s 0.01,
/// and 100 or more collapses towards popularity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlsParams {
    /// Number of latent factors per user and item.
    pub factors: usize,
    /// L2 penalty on every factor vector (not scaled by the number of interactions).
    pub regularization: f32,
    /// Confidence slope: an interaction of strength `r` has confidence `1 + alpha * r`.
    pub alpha: f32,
    /// Alternating passes over users and items.
    pub iterations: usize,
    /// Conjugate-gradient steps per user or item and pass.
    pub cg_steps: usize,
    /// Use stored interaction values as strengths instead of treating each entry as 1.0.
    pub use_values: bool,
}

impl Default for AlsParams {
    fn default() -> Self {
        AlsParams {
            factors: 64,
            regularization: 40.0,
            alpha: 4.0,
            iterations: 15,
            cg_steps: 3,
            use_values: false,
        }
    }
}

impl AlsParams {
    fn validate(&self) -> Result<(), ModelError> {
        let invalid = |name: &str, reason: &str| {
            Err(ModelError::InvalidParam {
                model: NAME.to_owned(),
                name: name.to_owned(),
                reason: reason.to_owned(),
            })
        };
        if self.factors == 0 {
            return invalid("factors", "must be at least 1");
        }
        if !(self.regularization.is_finite() && self.regularization >= 0.0) {
            return invalid("regularization", "must be a finite number >= 0");
        }
        if !(self.alpha.is_finite() && self.alpha > 0.0) {
            return invalid("alpha", "must be a finite number > 0");
        }
        if self.iterations == 0 {
            return invalid("iterations", "must be at least 1");
        }
        if self.cg_steps == 0 {
            return invalid("cg_steps", "must be at least 1");
        }
        Ok(())
    }

    /// `c - 1 = alpha * r` for one stored value, or `None` when the entry carries no
    /// preference.
    fn confidence_slope(&self, value: f32) -> Option<f32> {
        let strength = if self.use_values { value } else { 1.0 };
        (strength.is_finite() && strength > 0.0).then_some(self.alpha * strength)
    }
}

/// Implicit ALS; see the module documentation.
pub struct Als {
    params: AlsParams,
    seed: u64,
    n_users: usize,
    n_items: usize,
    /// `n_users x factors`, row-major.
    user_factors: Vec<f32>,
    /// `n_items x factors`, row-major.
    item_factors: Vec<f32>,
    derived: Derived,
}

/// Quantities computed from the factors once, after fitting or loading.
#[derive(Default)]
struct Derived {
    /// `Y^T Y` without regularisation, `factors x factors` row-major, for fold-in.
    item_gram: Vec<f32>,
    /// Euclidean norm of each item's factors, for cosine similarity.
    item_norms: Vec<f32>,
    /// Mean factors of the users with training interactions: the fallback user.
    mean_user: Vec<f32>,
}

/// Rows fitted per rayon task: large enough to reuse the solver's buffers, small enough to
/// balance heavy and light users.
const ROWS_PER_TASK: usize = 16;
/// Rows per partial Gram matrix; fixed so that the summation order never depends on threads.
const GRAM_CHUNK_ROWS: usize = 4096;
/// Users per block in batch scoring.
const SCORE_BLOCK_USERS: usize = 64;
/// Rows per random stream when initialising factors.
const INIT_CHUNK_ROWS: usize = 1024;
/// Squared residual norm below which a CG solve has converged.
const CG_TOLERANCE: f32 = 1e-20;
/// Standard deviation of the initial factors (as small as in `implicit`).
const INIT_SCALE: f32 = 0.01;

impl Als {
    /// An unfitted model.
    pub fn new(params: AlsParams, seed: u64) -> Self {
        Als {
            params,
            seed,
            n_users: 0,
            n_items: 0,
            user_factors: Vec::new(),
            item_factors: Vec::new(),
            derived: Derived::default(),
        }
    }

    /// The fitted model saved by [`Recommender::state`].
    pub fn from_state(state: &ModelState) -> Result<Self, ModelError> {
        if state.model != NAME {
            return Err(state.format_error(format!(
                "state of model `{}` given to `{NAME}`",
                state.model
            )));
        }
        let params: AlsParams = params_from_json(NAME, &state.params)?;
        params.validate()?;
        let k = params.factors;
        let (user_shape, user_factors) = state.take_f32("user_factors")?;
        let (item_shape, item_factors) = state.take_f32("item_factors")?;
        let n_users = check_factor_shape(state, "user_factors", &user_shape, &user_factors, k)?;
        let n_items = check_factor_shape(state, "item_factors", &item_shape, &item_factors, k)?;
        let mut model = Als {
            params,
            seed: 0,
            n_users,
            n_items,
            user_factors,
            item_factors,
            derived: Derived::default(),
        };
        model.derive();
        Ok(model)
    }

    pub fn params(&self) -> &AlsParams {
        &self.params
    }

    /// User factors, `n_users x factors` row-major.
    pub fn user_factors(&self) -> &[f32] {
        &self.user_factors
    }

    /// Item factors, `n_items x factors` row-major.
    pub fn item_factors(&self) -> &[f32] {
        &self.item_factors
    }

    /// A copy of this fitted model with `item_factors` (`rows x factors`, row-major) in place
    /// of its item factors; rows beyond the current items are new items. This is how items
    /// without interactions get factors from elsewhere (a cold-start map) without retraining:
    /// user factors are kept, so known users score the new rows at once, and fold-in uses the
    /// Gram matrix of the new item factors.
    pub fn with_item_factors(&self, item_factors: Vec<f32>) -> Result<Als, ModelError> {
        let k = self.factors();
        if self.n_users == 0 || !item_factors.len().is_multiple_of(k) {
            return Err(ModelError::InvalidParam {
                model: NAME.to_owned(),
                name: "item_factors".to_owned(),
                reason: format!(
                    "{} values are not whole rows of {k} factors for a fitted model",
                    item_factors.len()
                ),
            });
        }
        if item_factors.iter().any(|v| !v.is_finite()) {
            return Err(ModelError::Numerical {
                model: NAME.to_owned(),
                reason: "item factors must be finite".to_owned(),
            });
        }
        let mut model = Als {
            params: self.params.clone(),
            seed: self.seed,
            n_users: self.n_users,
            n_items: item_factors.len() / k,
            user_factors: self.user_factors.clone(),
            item_factors,
            derived: Derived::default(),
        };
        model.derive();
        Ok(model)
    }

    fn factors(&self) -> usize {
        self.params.factors
    }

    fn item_vector(&self, item: usize) -> &[f32] {
        let k = self.factors();
        &self.item_factors[item * k..(item + 1) * k]
    }

    /// The user's factors, or the fallback user for unknown users and users without
    /// training interactions (whose factors are exactly zero).
    fn user_vector(&self, user: u32) -> &[f32] {
        let k = self.factors();
        let user = user as usize;
        if user < self.n_users {
            let row = &self.user_factors[user * k..(user + 1) * k];
            if row.iter().any(|&v| v != 0.0) {
                return row;
            }
        }
        &self.derived.mean_user
    }

    fn derive(&mut self) {
        let k = self.factors();
        let mut item_gram = gram_matrix(&self.item_factors, k);
        item_gram.shrink_to_fit();
        let item_norms = row_norms(&self.item_factors, k);
        let mut mean_user = vec![0.0f32; k];
        let mut active = 0usize;
        for x in self.user_factors.chunks_exact(k) {
            if x.iter().any(|&v| v != 0.0) {
                Portable.axpy(&mut mean_user, 1.0, x);
                active += 1;
            }
        }
        if active > 0 {
            let scale = 1.0 / active as f32;
            mean_user.iter_mut().for_each(|v| *v *= scale);
        }
        self.derived = Derived {
            item_gram,
            item_norms,
            mean_user,
        };
    }

    /// Scores every item against the factor vector `x`.
    fn score_vector(&self, x: &[f32], out: &mut [f32]) {
        let k = self.factors();
        if x.len() != k {
            // Only an unfitted model has no fallback user.
            out.fill(0.0);
            return;
        }
        kernels::dispatch(ScoreRows {
            x,
            factors: &self.item_factors,
            out,
        });
    }

    /// The exact least-squares factors of a user with the given history (fold-in), or
    /// `None` when the history holds no usable item.
    fn fold_in(&self, history: &[(u32, f32)]) -> Option<Vec<f32>> {
        let k = self.factors();
        let mut entries: Vec<(u32, f32)> = history
            .iter()
            .filter(|&&(item, _)| (item as usize) < self.n_items)
            .copied()
            .collect();
        entries.sort_by_key(|&(item, _)| item);
        // Repeated items add up, as duplicates do in the training matrix.
        entries.dedup_by(|later, first| {
            if later.0 == first.0 {
                first.1 += later.1;
                true
            } else {
                false
            }
        });
        // A = Y^T Y + reg I + sum (c - 1) y y^T and b = sum c y, accumulated in f64 so the
        // factorisation stays accurate for large alpha.
        let mut a: Vec<f64> = self.derived.item_gram.iter().map(|&v| v as f64).collect();
        let mut b = vec![0.0f64; k];
        let mut used = 0;
        for &(item, value) in &entries {
            // A history weight is a strength even without use_values: zero or less is no
            // positive at all.
            if !(value.is_finite() && value > 0.0) {
                continue;
            }
            let Some(slope) = self.params.confidence_slope(value) else {
                continue;
            };
            let y = self.item_vector(item as usize);
            if self.derived.item_norms[item as usize] == 0.0 {
                continue;
            }
            used += 1;
            let slope = slope as f64;
            for (row, &ya) in a.chunks_exact_mut(k).zip(y) {
                let scaled = slope * ya as f64;
                for (cell, &yb) in row.iter_mut().zip(y) {
                    *cell += scaled * yb as f64;
                }
            }
            for (bi, &yi) in b.iter_mut().zip(y) {
                *bi += (1.0 + slope) * yi as f64;
            }
        }
        if used == 0 {
            return None;
        }
        let reg = self.params.regularization as f64;
        for d in 0..k {
            a[d * k + d] += reg;
        }
        let x = solve_spd(&mut a, &b, k);
        Some(x.into_iter().map(|v| v as f32).collect())
    }
}

fn check_factor_shape(
    state: &ModelState,
    name: &str,
    shape: &[usize],
    data: &[f32],
    k: usize,
) -> Result<usize, ModelError> {
    match shape {
        [rows, cols] if *cols == k && rows * cols == data.len() => Ok(*rows),
        _ => Err(state.format_error(format!(
            "tensor `{name}` has shape {shape:?}, expected [rows, {k}]"
        ))),
    }
}

impl Recommender for Als {
    fn name(&self) -> &'static str {
        NAME
    }

    fn fit(&mut self, train: &TrainSet, progress: &dyn Progress) -> Result<(), ModelError> {
        self.params.validate()?;
        let params = &self.params;
        let k = params.factors;
        let user_rows = WeightedRows::new(&train.matrix, params);
        if user_rows.weights.is_empty() {
            return Err(ModelError::EmptyTrainingData(
                "ALS needs at least one interaction with a positive strength".to_owned(),
            ));
        }
        let item_rows = WeightedRows::new(&train.matrix.transpose(), params);
        let (n_users, n_items) = (train.n_users(), train.n_items());
        let mut user_factors = random_factors(n_users, k, self.seed, 0);
        let mut item_factors = random_factors(n_items, k, self.seed, 1);
        let solver = CgSolver {
            factors: k,
            regularization: params.regularization,
            cg_steps: params.cg_steps,
        };
        progress.start("als", params.iterations as u64);
        for _ in 0..params.iterations {
            solver.solve_side(&mut user_factors, &user_rows, &item_factors);
            solver.solve_side(&mut item_factors, &item_rows, &user_factors);
            if user_factors
                .iter()
                .chain(&item_factors)
                .any(|v| !v.is_finite())
            {
                progress.finish();
                return Err(ModelError::Numerical {
                    model: NAME.to_owned(),
                    reason: "factors diverged to non-finite values; raise regularization"
                        .to_owned(),
                });
            }
            progress.advance(1);
        }
        progress.finish();
        self.n_users = n_users;
        self.n_items = n_items;
        self.user_factors = user_factors;
        self.item_factors = item_factors;
        self.derive();
        Ok(())
    }

    fn n_users(&self) -> usize {
        self.n_users
    }

    fn n_items(&self) -> usize {
        self.n_items
    }

    fn score_user(&self, user: u32, out: &mut [f32]) {
        self.score_vector(self.user_vector(user), out);
    }

    fn score_users(&self, users: &[u32], out: &mut [f32]) {
        let (k, n) = (self.factors(), self.n_items);
        if n == 0 {
            return;
        }
        let rows = users.len().min(out.len() / n);
        let items = MatRef::from_row_major_slice(&self.item_factors, n, k);
        out[..rows * n]
            .par_chunks_mut(SCORE_BLOCK_USERS * n)
            .zip(users[..rows].par_chunks(SCORE_BLOCK_USERS))
            .for_each(|(block_out, block_users)| {
                let m = block_users.len();
                let mut lhs = Vec::with_capacity(m * k);
                for &user in block_users {
                    lhs.extend_from_slice(self.user_vector(user));
                }
                let lhs = MatRef::from_row_major_slice(&lhs, m, k);
                let dst = MatMut::from_row_major_slice_mut(block_out, m, n);
                matmul(
                    dst,
                    Accum::Replace,
                    lhs,
                    items.transpose(),
                    1.0f32,
                    Par::Seq,
                );
            });
    }

    fn score_history(&self, history: &[(u32, f32)], out: &mut [f32]) {
        match self.fold_in(history) {
            Some(x) => self.score_vector(&x, out),
            None => self.score_vector(&self.derived.mean_user, out),
        }
    }

    fn similar_items(&self, item: u32, n: usize) -> Vec<Scored> {
        cosine_neighbours(
            &self.item_factors,
            &self.derived.item_norms,
            item as usize,
            n,
        )
    }

    fn state(&self) -> ModelState {
        let params = serde_json::to_value(&self.params).unwrap_or(serde_json::Value::Null);
        let k = self.factors();
        ModelState::new(NAME, params)
            .with(Tensor::f32(
                "user_factors",
                &[self.n_users, k],
                self.user_factors.clone(),
            ))
            .with(Tensor::f32(
                "item_factors",
                &[self.n_items, k],
                self.item_factors.clone(),
            ))
    }
}

/// One side of the training matrix as rows of `(column, c - 1)`.
struct WeightedRows {
    indptr: Vec<usize>,
    indices: Vec<u32>,
    weights: Vec<f32>,
}

impl WeightedRows {
    fn new(matrix: &CsrMatrix, params: &AlsParams) -> Self {
        let mut indptr = Vec::with_capacity(matrix.n_rows() + 1);
        let mut indices = Vec::with_capacity(matrix.nnz());
        let mut weights = Vec::with_capacity(matrix.nnz());
        indptr.push(0);
        for r in 0..matrix.n_rows() {
            for (c, v) in matrix.row(r) {
                if let Some(slope) = params.confidence_slope(v) {
                    indices.push(c);
                    weights.push(slope);
                }
            }
            indptr.push(indices.len());
        }
        WeightedRows {
            indptr,
            indices,
            weights,
        }
    }

    fn row(&self, r: usize) -> (&[u32], &[f32]) {
        let span = self.indptr[r]..self.indptr[r + 1];
        (&self.indices[span.clone()], &self.weights[span])
    }
}

/// Factors drawn from N(0, INIT_SCALE^2), one random stream per chunk of rows so that
/// initialisation is parallel and independent of the thread count.
fn random_factors(rows: usize, k: usize, seed: u64, side: u64) -> Vec<f32> {
    let mut factors = vec![0.0f32; rows * k];
    let normal = match Normal::new(0.0f32, INIT_SCALE) {
        Ok(normal) => normal,
        Err(e) => unreachable!("a positive constant standard deviation is valid: {e}"),
    };
    factors
        .par_chunks_mut(INIT_CHUNK_ROWS * k)
        .enumerate()
        .for_each(|(chunk, block)| {
            let mut rng = ChaCha8Rng::seed_from_u64(stream_seed(seed, side, chunk as u64));
            block.iter_mut().for_each(|v| *v = normal.sample(&mut rng));
        });
    factors
}

/// Mixes a seed with a stream tag and index (SplitMix64 finaliser), so that related
/// inputs give unrelated random streams.
pub(crate) fn stream_seed(seed: u64, tag: u64, index: u64) -> u64 {
    let mut z =
        seed ^ tag.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `F^T F` for a row-major `rows x k` matrix `F`, as a row-major `k x k` matrix. Partial
/// products over fixed chunks of rows run in parallel and are summed in chunk order.
fn gram_matrix(factors: &[f32], k: usize) -> Vec<f32> {
    let partials: Vec<Mat<f32>> = factors
        .par_chunks(GRAM_CHUNK_ROWS * k)
        .map(|chunk| {
            let f = MatRef::from_row_major_slice(chunk, chunk.len() / k, k);
            let mut gram = Mat::<f32>::zeros(k, k);
            matmul(
                gram.as_mut(),
                Accum::Replace,
                f.transpose(),
                f,
                1.0f32,
                Par::Seq,
            );
            gram
        })
        .collect();
    let mut out = vec![0.0f32; k * k];
    for partial in &partials {
        for (a, row) in out.chunks_exact_mut(k).enumerate() {
            for (b, cell) in row.iter_mut().enumerate() {
                *cell += partial[(a, b)];
            }
        }
    }
    out
}

/// Solves `A x = b` for a symmetric positive definite `k x k` matrix (row-major, destroyed)
/// by Cholesky factorisation. A non-positive pivot (singular system, possible only without
/// regularisation) is replaced by a tiny one, which keeps the result finite.
fn solve_spd(a: &mut [f64], b: &[f64], k: usize) -> Vec<f64> {
    let scale = (0..k).map(|d| a[d * k + d].abs()).fold(0.0f64, f64::max);
    let min_pivot = (scale * 1e-12).max(f64::MIN_POSITIVE);
    // Lower-triangular L with A = L L^T, stored in place of A's lower triangle.
    for j in 0..k {
        let mut diag = a[j * k + j];
        for p in 0..j {
            diag -= a[j * k + p] * a[j * k + p];
        }
        let pivot = diag.max(min_pivot).sqrt();
        a[j * k + j] = pivot;
        for i in j + 1..k {
            let mut v = a[i * k + j];
            for p in 0..j {
                v -= a[i * k + p] * a[j * k + p];
            }
            a[i * k + j] = v / pivot;
        }
    }
    let mut y = b.to_vec();
    for i in 0..k {
        for p in 0..i {
            y[i] -= a[i * k + p] * y[p];
        }
        y[i] /= a[i * k + i];
    }
    for i in (0..k).rev() {
        for p in i + 1..k {
            y[i] -= a[p * k + i] * y[p];
        }
        y[i] /= a[i * k + i];
    }
    y
}

/// The conjugate-gradient least-squares solver of one half-iteration.
struct CgSolver {
    factors: usize,
    regularization: f32,
    cg_steps: usize,
}

impl CgSolver {
    /// Updates every row of `target` given the `fixed` factors of the other side.
    fn solve_side(&self, target: &mut [f32], rows: &WeightedRows, fixed: &[f32]) {
        let k = self.factors;
        let mut gram = gram_matrix(fixed, k);
        for d in 0..k {
            gram[d * k + d] += self.regularization;
        }
        target
            .par_chunks_mut(ROWS_PER_TASK * k)
            .enumerate()
            .for_each(|(task, block)| {
                kernels::dispatch(SolveBlock {
                    solver: self,
                    block,
                    first_row: task * ROWS_PER_TASK,
                    rows,
                    fixed,
                    gram: &gram,
                })
            });
    }
}

/// CG solves for a block of consecutive rows, with work vectors shared by the block.
struct SolveBlock<'a> {
    solver: &'a CgSolver,
    block: &'a mut [f32],
    first_row: usize,
    rows: &'a WeightedRows,
    fixed: &'a [f32],
    gram: &'a [f32],
}

impl KernelOp for SolveBlock<'_> {
    type Output = ();

    #[inline(always)]
    fn run<K: Kernels>(self, kern: K) {
        let k = self.solver.factors;
        let mut r = vec![0.0f32; k];
        let mut p = vec![0.0f32; k];
        let mut ap = vec![0.0f32; k];
        for (offset, x) in self.block.chunks_exact_mut(k).enumerate() {
            let (indices, weights) = self.rows.row(self.first_row + offset);
            if indices.is_empty() {
                x.fill(0.0);
                continue;
            }
            // A few CG steps on (G + sum w y y^T) x = sum (1 + w) y, starting from x.
            // r = b - A x
            kern.matvec(self.gram, x, &mut r);
            r.iter_mut().for_each(|v| *v = -*v);
            kern.gather_update(&mut r, x, self.fixed, indices, |j, yx| {
                (1.0 + weights[j]) - weights[j] * yx
            });
            p.copy_from_slice(&r);
            let mut rs_old = kern.dot(&r, &r);
            if rs_old < CG_TOLERANCE {
                continue;
            }
            for _ in 0..self.solver.cg_steps {
                kern.matvec(self.gram, &p, &mut ap);
                kern.gather_update(&mut ap, &p, self.fixed, indices, |j, yp| weights[j] * yp);
                let curvature = kern.dot(&p, &ap);
                if curvature <= 0.0 || !curvature.is_finite() {
                    break;
                }
                let step = rs_old / curvature;
                kern.axpy(x, step, &p);
                kern.axpy(&mut r, -step, &ap);
                let rs_new = kern.dot(&r, &r);
                if rs_new < CG_TOLERANCE {
                    break;
                }
                let beta = rs_new / rs_old;
                kern.scale_add(&mut p, beta, &r);
                rs_old = rs_new;
            }
        }
    }
}

/// Writes `x . y_i` for every row `y_i` of `factors` into `out`.
pub(crate) struct ScoreRows<'a> {
    pub(crate) x: &'a [f32],
    pub(crate) factors: &'a [f32],
    pub(crate) out: &'a mut [f32],
}

impl KernelOp for ScoreRows<'_> {
    type Output = ();

    #[inline(always)]
    fn run<K: Kernels>(self, kern: K) {
        let k = self.x.len();
        for (score, y) in self.out.iter_mut().zip(self.factors.chunks_exact(k)) {
            *score = kern.dot(self.x, y);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::progress::NoProgress;
    use chatrec_core::synthetic::{
        generate_matrix, planted_blocks, planted_group, planted_range, SyntheticSpec,
    };

    /// Planted data with every user's last two items held out: (train, held-out items).
    pub(crate) fn planted_split(
        n_users: usize,
        n_items: usize,
        groups: usize,
        seed: u64,
    ) -> (TrainSet, Vec<Vec<u32>>) {
        let full = planted_blocks(n_users, n_items, groups, 0.4, seed);
        // Two items per user at positions spread over the block, so that no item is held out
        // by most of its users.
        let held: Vec<Vec<u32>> = (0..n_users)
            .map(|u| {
                let row = full.row_indices(u);
                let mut out = vec![row[(u * 7) % row.len()], row[(u * 7 + 3) % row.len()]];
                out.sort_unstable();
                out.dedup();
                out
            })
            .collect();
        let train = full.filter(|u, i, _| !held[u].contains(&i));
        (TrainSet::from_matrix(train), held)
    }

    fn power_law_train(seed: u64) -> TrainSet {
        TrainSet::from_matrix(generate_matrix(&SyntheticSpec {
            n_users: 300,
            n_items: 400,
            n_interactions: 9000,
            item_exponent: 0.8,
            user_exponent: 0.6,
            seed,
        }))
    }

    fn fitted(params: AlsParams, seed: u64, train: &TrainSet) -> Als {
        let mut model = Als::new(params, seed);
        model.fit(train, &NoProgress).unwrap();
        model
    }

    fn small_params() -> AlsParams {
        AlsParams {
            factors: 8,
            ..AlsParams::default()
        }
    }

    #[test]
    fn recovers_planted_groups() {
        let (n_users, n_items, groups) = (90, 120, 3);
        let (train, held) = planted_split(n_users, n_items, groups, 5);
        let model = fitted(small_params(), 1, &train);
        for (user, held_items) in held.iter().enumerate() {
            let block = planted_range(planted_group(user, n_users, groups), n_items, groups);
            let exclude = train.matrix.row_indices(user);
            let top = model.recommend(user as u32, 5, exclude);
            assert_eq!(top.len(), 5);
            assert!(
                top.iter().all(|s| block.contains(&(s.item as usize))),
                "user {user} got {top:?}, block {block:?}"
            );
            // Each held-out item beats almost every item of the other groups.
            let mut scores = vec![0.0; n_items];
            model.score_user(user as u32, &mut scores);
            let foreign: Vec<f32> = (0..n_items)
                .filter(|i| !block.contains(i))
                .map(|i| scores[i])
                .collect();
            for &item in held_items {
                let beaten = foreign
                    .iter()
                    .filter(|&&s| s < scores[item as usize])
                    .count();
                assert!(
                    beaten as f64 >= 0.9 * foreign.len() as f64,
                    "user {user}: held-out item {item} beats only {beaten} foreign items"
                );
            }
        }
        for item in [0u32, 50, 119] {
            let block = planted_range(
                planted_group(item as usize, n_items, groups),
                n_items,
                groups,
            );
            let similar = model.similar_items(item, 10);
            assert_eq!(similar.len(), 10);
            assert!(similar
                .iter()
                .all(|s| s.item != item && block.contains(&(s.item as usize))));
            assert!(similar.windows(2).all(|w| w[0].score >= w[1].score));
        }
    }

    #[test]
    fn fold_in_of_own_row_matches_known_user_scores() {
        let train = power_law_train(3);
        let model = fitted(
            AlsParams {
                factors: 16,
                iterations: 30,
                ..AlsParams::default()
            },
            2,
            &train,
        );
        let n = model.n_items();
        let (mut known, mut folded) = (vec![0.0; n], vec![0.0; n]);
        let mut users_checked = 0;
        let mut worst_diff = 0.0f32;
        for user in (0..300).step_by(7) {
            let history: Vec<(u32, f32)> = train.matrix.row(user).collect();
            if history.is_empty() {
                continue;
            }
            model.score_user(user as u32, &mut known);
            model.score_history(&history, &mut folded);
            let max_diff = known
                .iter()
                .zip(&folded)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(
                max_diff < 0.05,
                "user {user}: max score difference {max_diff}"
            );
            worst_diff = worst_diff.max(max_diff);
            let exclude = train.matrix.row_indices(user);
            let top_known: Vec<u32> = top_k_excluding_items(&known, 10, exclude);
            let top_folded: Vec<u32> = top_k_excluding_items(&folded, 10, exclude);
            let overlap = top_known.iter().filter(|i| top_folded.contains(i)).count();
            assert!(overlap >= 9, "user {user}: {top_known:?} vs {top_folded:?}");
            users_checked += 1;
        }
        assert!(users_checked > 30);
        eprintln!("largest fold-in score difference: {worst_diff}");
    }

    fn top_k_excluding_items(scores: &[f32], k: usize, exclude: &[u32]) -> Vec<u32> {
        crate::topk::top_k_excluding(scores, k, exclude)
            .iter()
            .map(|s| s.item)
            .collect()
    }

    #[test]
    fn state_round_trip_gives_identical_scores() {
        let train = power_law_train(4);
        let model = fitted(small_params(), 9, &train);
        let restored = Als::from_state(&model.state()).unwrap();
        assert_eq!(restored.n_users(), model.n_users());
        assert_eq!(restored.n_items(), model.n_items());
        assert_eq!(restored.params(), model.params());
        let n = model.n_items();
        let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
        for user in [0u32, 17, 299] {
            model.score_user(user, &mut a);
            restored.score_user(user, &mut b);
            assert_eq!(a, b);
        }
        let history = [(3u32, 1.0f32), (40, 1.0), (41, 2.0)];
        model.score_history(&history, &mut a);
        restored.score_history(&history, &mut b);
        assert_eq!(a, b);
        assert_eq!(model.similar_items(5, 7), restored.similar_items(5, 7));

        let mut wrong_shape = model.state();
        wrong_shape.tensors[1].shape = vec![n, 9];
        assert!(Als::from_state(&wrong_shape).is_err());
        let mut wrong_model = model.state();
        wrong_model.model = "bpr".to_owned();
        assert!(Als::from_state(&wrong_model).is_err());
    }

    #[test]
    fn same_seed_same_factors_under_any_thread_count() {
        let train = power_law_train(5);
        let fit_with_threads = |threads: usize, seed: u64| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| fitted(small_params(), seed, &train))
        };
        let one = fit_with_threads(1, 42);
        let two = fit_with_threads(2, 42);
        let three = fit_with_threads(3, 42);
        assert_eq!(one.user_factors(), two.user_factors());
        assert_eq!(one.item_factors(), two.item_factors());
        assert_eq!(one.item_factors(), three.item_factors());
        let other_seed = fit_with_threads(2, 43);
        assert_ne!(one.item_factors(), other_seed.item_factors());

        let users: Vec<u32> = (0..300).collect();
        let n = one.n_items();
        let mut batch_one = vec![0.0; users.len() * n];
        let mut batch_two = vec![0.0; users.len() * n];
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| one.score_users(&users, &mut batch_one));
        two.score_users(&users, &mut batch_two);
        assert_eq!(batch_one, batch_two);
    }

    #[test]
    fn batch_scores_match_single_user_scores() {
        let train = power_law_train(6);
        let model = fitted(small_params(), 1, &train);
        let users = [4u32, 0, 299, 4, 150];
        let n = model.n_items();
        let mut batch = vec![0.0; users.len() * n];
        model.score_users(&users, &mut batch);
        let mut single = vec![0.0; n];
        for (row, &user) in batch.chunks_exact(n).zip(&users) {
            model.score_user(user, &mut single);
            for (a, b) in row.iter().zip(&single) {
                assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn replaced_and_appended_item_factors_are_scored_without_refitting() {
        let train = power_law_train(7);
        let model = fitted(small_params(), 2, &train);
        let k = model.params().factors;
        let n = model.n_items();
        // Item 0 takes item 1's factors and a new item copies item 2's.
        let mut factors = model.item_factors().to_vec();
        factors.copy_within(k..2 * k, 0);
        factors.extend_from_slice(&model.item_factors()[2 * k..3 * k]);
        let extended = model.with_item_factors(factors).unwrap();
        assert_eq!(extended.n_items(), n + 1);
        assert_eq!(extended.user_factors(), model.user_factors());
        let mut before = vec![0.0; n];
        let mut after = vec![0.0; n + 1];
        for user in [0u32, 40, 299] {
            model.score_user(user, &mut before);
            extended.score_user(user, &mut after);
            assert_eq!(after[0], before[1]);
            assert_eq!(after[n], before[2]);
            assert_eq!(&after[1..n], &before[1..]);
        }
        assert!(model.with_item_factors(vec![0.0; k + 1]).is_err());
        assert!(model.with_item_factors(vec![f32::NAN; k]).is_err());
        assert!(Als::new(small_params(), 0)
            .with_item_factors(vec![0.0; k])
            .is_err());
    }

    #[test]
    fn users_and_items_without_interactions_are_handled() {
        // User 3 and item 5 have no interactions.
        let triplets = [
            (0, 0, 1.0),
            (0, 1, 1.0),
            (1, 1, 1.0),
            (1, 2, 1.0),
            (2, 3, 1.0),
            (2, 4, 1.0),
            (0, 4, 1.0),
        ];
        let train = TrainSet::from_matrix(CsrMatrix::from_triplets(4, 6, &triplets));
        let model = fitted(small_params(), 1, &train);
        let mut scores = vec![f32::NAN; 6];
        model.score_user(3, &mut scores);
        assert!(scores.iter().all(|s| s.is_finite()));
        assert!(scores[..5].iter().any(|&s| s != 0.0), "mean-user fallback");
        assert_eq!(scores[5], 0.0);
        let mut empty_history = vec![f32::NAN; 6];
        model.score_history(&[], &mut empty_history);
        assert_eq!(scores, empty_history);
        // Out-of-range and non-positive history entries are ignored.
        model.score_history(&[(99, 1.0), (2, 0.0)], &mut empty_history);
        assert_eq!(scores, empty_history);
        assert!(model.similar_items(5, 3).is_empty());
        assert!(model
            .similar_items(0, 10)
            .iter()
            .all(|s| s.item != 5 && s.item != 0));
        assert!(model.similar_items(99, 3).is_empty());
    }

    #[test]
    fn use_values_ignores_entries_without_positive_strength() {
        let base = [
            (0, 0, 5.0),
            (0, 1, 1.0),
            (1, 1, 3.0),
            (1, 2, 2.0),
            (2, 0, 4.0),
        ];
        let mut with_negative = base.to_vec();
        with_negative.push((2, 2, -1.0));
        let params = AlsParams {
            use_values: true,
            ..small_params()
        };
        let clean = fitted(
            params.clone(),
            3,
            &TrainSet::from_matrix(CsrMatrix::from_triplets(3, 3, &base)),
        );
        let noisy = fitted(
            params.clone(),
            3,
            &TrainSet::from_matrix(CsrMatrix::from_triplets(3, 3, &with_negative)),
        );
        assert_eq!(clean.item_factors(), noisy.item_factors());
        let unweighted = fitted(
            small_params(),
            3,
            &TrainSet::from_matrix(CsrMatrix::from_triplets(3, 3, &base)),
        );
        assert_ne!(clean.item_factors(), unweighted.item_factors());
    }

    #[test]
    fn invalid_params_and_empty_data_are_errors() {
        let train = power_law_train(1);
        let bad = [
            AlsParams {
                factors: 0,
                ..AlsParams::default()
            },
            AlsParams {
                regularization: -0.1,
                ..AlsParams::default()
            },
            AlsParams {
                regularization: f32::NAN,
                ..AlsParams::default()
            },
            AlsParams {
                alpha: 0.0,
                ..AlsParams::default()
            },
            AlsParams {
                iterations: 0,
                ..AlsParams::default()
            },
            AlsParams {
                cg_steps: 0,
                ..AlsParams::default()
            },
        ];
        for params in bad {
            let err = Als::new(params.clone(), 0)
                .fit(&train, &NoProgress)
                .unwrap_err();
            assert!(
                matches!(err, ModelError::InvalidParam { .. }),
                "{params:?}: {err}"
            );
        }
        let empty = TrainSet::from_matrix(CsrMatrix::zeros(5, 5));
        let err = Als::new(AlsParams::default(), 0)
            .fit(&empty, &NoProgress)
            .unwrap_err();
        assert!(matches!(err, ModelError::EmptyTrainingData(_)));
        let parsed: Result<AlsParams, _> =
            crate::params::parse_params(NAME, &[("factor".to_owned(), "3".to_owned())]);
        assert!(parsed.is_err());
    }

    #[test]
    fn spd_solver_solves_small_systems() {
        let mut a = vec![4.0, 1.0, 0.5, 1.0, 3.0, 0.2, 0.5, 0.2, 2.0];
        let original = a.clone();
        let b = [1.0, 2.0, 3.0];
        let x = solve_spd(&mut a, &b, 3);
        for row in 0..3 {
            let lhs: f64 = (0..3).map(|c| original[row * 3 + c] * x[c]).sum();
            assert!((lhs - b[row]).abs() < 1e-12);
        }
        let v: Vec<f32> = (0..37).map(|i| i as f32 * 0.5 - 3.0).collect();
        let w: Vec<f32> = (0..37).map(|i| (i % 5) as f32).collect();
        let naive: f32 = v.iter().zip(&w).map(|(a, b)| a * b).sum();
        assert!((Portable.dot(&v, &w) - naive).abs() < 1e-3);
    }

    /// Quality and speed on a real split, for manual checks:
    /// `CHATREC_SPLIT_DIR=/path cargo test --release -p chatrec-models --lib als::tests::split_benchmark -- --ignored --nocapture`
    /// The directory holds `train.tsv` and `test.tsv`: a first line `n_users<TAB>n_items`, then
    /// `user<TAB>item<TAB>value` lines with dense indices. Extra parameters come from
    /// `CHATREC_PARAMS` as `key=value,key=value`.
    #[test]
    #[ignore]
    fn split_benchmark() {
        let Some((train, test)) = bench::load_split() else {
            return;
        };
        let params: AlsParams = bench::params_from_env(NAME);
        for seed in 0..3 {
            let mut model = Als::new(params.clone(), seed);
            let report = bench::run(&mut model, &train, &test);
            eprintln!("als {params:?} seed {seed}: {report}");
        }
    }

    /// Helpers for the manual split benchmarks of the factor models.
    pub(crate) mod bench {
        use std::time::Instant;

        use super::*;

        pub(crate) fn load_split() -> Option<(TrainSet, CsrMatrix)> {
            let Ok(dir) = std::env::var("CHATREC_SPLIT_DIR") else {
                eprintln!("CHATREC_SPLIT_DIR is not set; skipping");
                return None;
            };
            let read = |name: &str| {
                let text = std::fs::read_to_string(format!("{dir}/{name}")).unwrap();
                let mut lines = text.lines();
                let header: Vec<usize> = lines
                    .next()
                    .unwrap()
                    .split('\t')
                    .map(|v| v.parse().unwrap())
                    .collect();
                let triplets: Vec<(u32, u32, f32)> = lines
                    .map(|line| {
                        let f: Vec<&str> = line.split('\t').collect();
                        (
                            f[0].parse().unwrap(),
                            f[1].parse().unwrap(),
                            f[2].parse().unwrap(),
                        )
                    })
                    .collect();
                CsrMatrix::from_triplets(header[0], header[1], &triplets)
            };
            Some((TrainSet::from_matrix(read("train.tsv")), read("test.tsv")))
        }

        pub(crate) fn params_from_env<P>(model: &str) -> P
        where
            P: serde::de::DeserializeOwned + serde::Serialize + Default,
        {
            let raw = std::env::var("CHATREC_PARAMS").unwrap_or_default();
            let pairs: Vec<(String, String)> = raw
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap();
                    (k.to_owned(), v.to_owned())
                })
                .collect();
            crate::params::parse_params(model, &pairs).unwrap()
        }

        /// Fits, recommends the top 50 for every user (excluding training items), and
        /// reports fit and recommendation time with recall@10 and NDCG@10.
        pub(crate) fn run(
            model: &mut dyn Recommender,
            train: &TrainSet,
            test: &CsrMatrix,
        ) -> String {
            let start = Instant::now();
            model.fit(train, &NoProgress).unwrap();
            let fit_time = start.elapsed();
            let users: Vec<u32> = (0..train.n_users() as u32).collect();
            let n = model.n_items();
            let mut scores = vec![0.0; users.len() * n];
            model.score_users(&users, &mut scores);
            let recs: Vec<Vec<u32>> = scores
                .par_chunks(n)
                .enumerate()
                .map(|(u, row)| {
                    crate::topk::top_k_excluding(row, 50, train.matrix.row_indices(u))
                        .iter()
                        .map(|s| s.item)
                        .collect()
                })
                .collect();
            let total = start.elapsed();
            let (recall, ndcg) = metrics(&recs, test);
            // The same users folded in from their training rows.
            let folded: Vec<Vec<u32>> = (0..train.n_users())
                .into_par_iter()
                .map(|u| {
                    let history: Vec<(u32, f32)> = train.matrix.row(u).collect();
                    model
                        .recommend_history(&history, 10, train.matrix.row_indices(u))
                        .iter()
                        .map(|s| s.item)
                        .collect()
                })
                .collect();
            let (fold_recall, fold_ndcg) = metrics(&folded, test);
            format!(
                "fit {:.3}s fit+top50 {:.3}s recall@10 {recall:.4} ndcg@10 {ndcg:.4} \
                 fold-in recall@10 {fold_recall:.4} ndcg@10 {fold_ndcg:.4}",
                fit_time.as_secs_f64(),
                total.as_secs_f64(),
            )
        }

        /// Mean recall@10 and NDCG@10 over the users with test items.
        fn metrics(recs: &[Vec<u32>], test: &CsrMatrix) -> (f64, f64) {
            let (mut recall, mut ndcg, mut counted) = (0.0, 0.0, 0);
            for (u, rec) in recs.iter().enumerate() {
                let relevant = test.row_indices(u);
                if relevant.is_empty() {
                    continue;
                }
                let hits: Vec<bool> = rec[..10].iter().map(|i| relevant.contains(i)).collect();
                recall += hits.iter().filter(|&&h| h).count() as f64 / relevant.len() as f64;
                let dcg: f64 = hits
                    .iter()
                    .enumerate()
                    .filter(|(_, &h)| h)
                    .map(|(r, _)| 1.0 / (r as f64 + 2.0).log2())
                    .sum();
                let ideal: f64 = (0..relevant.len().min(10))
                    .map(|r| 1.0 / (r as f64 + 2.0).log2())
                    .sum();
                ndcg += dcg / ideal;
                counted += 1;
            }
            (recall / counted as f64, ndcg / counted as f64)
        }
    }
}
