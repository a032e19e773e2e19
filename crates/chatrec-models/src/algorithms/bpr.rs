//! Bayesian personalised ranking with matrix factorisation (BPR-MF).
//!
//! Rendle, Freudenthaler, Gantner & Schmidt-Thieme, "BPR: Bayesian Personalized Ranking
//! from Implicit Feedback" (UAI 2009): for a user `u`, an item `i` it interacted with and a
//! sampled item `j` it did not, maximise `ln sigmoid(s_ui - s_uj)` with
//! `s_ui = b_i + x_u . y_i`, by stochastic gradient ascent with L2 regularisation
//! (`regularization` on every touched vector and bias). Every stored entry of the training
//! matrix is a positive; values are ignored.
//!
//! Training is stratified parallel SGD (DSGD; Gemulla, Nijkamp, Haas & Sismanis,
//! "Large-scale matrix factorization with distributed stochastic gradient descent",
//! KDD 2011). Each epoch, users and items are split into `blocks` blocks by a fresh seeded
//! permutation (fewer blocks when there would be under 64 items per block). An epoch
//! consists of `blocks` sub-epochs; in sub-epoch `s`, user block `a` is paired with item
//! block `(a + s) mod blocks`, so the strata of a sub-epoch touch disjoint users and items
//! and run in parallel without locks. A stratum visits its
//! positives `(u, i)` once, in a seeded random order, and draws each negative uniformly
//! from the items of the same item block that `u` has not interacted with; over the
//! epochs every item meets negatives from all blocks.
//!
//! Folding in a new user ([`Recommender::score_history`]) runs `fold_in_epochs` SGD epochs
//! on a user vector that starts at zero, with the item factors and biases fixed, negatives
//! drawn uniformly from the items outside the history, and a random stream seeded from the
//! history's items, so the same history always gives the same scores.
//!
//! Users without training interactions get zero factors, so they (and an empty history)
//! are scored by item bias alone, which ranks broadly liked items first.
//!
//! Determinism: the same parameters (including `blocks`), seed and data give bit-identical
//! factors under any number of threads, because each stratum's work depends only on its
//! own random stream (derived from the seed, epoch, sub-epoch and block) and on factors no
//! other stratum of the same sub-epoch touches. Results do depend on `blocks`, and, through
//! the vector kernels shared with ALS, on whether the CPU has AVX2 and FMA.
//!
//! Persisted tensors: `user_factors` `[n_users, factors]`, `item_factors`
//! `[n_items, factors]` (f32 row-major) and `item_bias` `[n_items]`. The seed is not
//! persisted.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use chatrec_core::CsrMatrix;

use super::factor_similarity::{cosine_neighbours, row_norms};
use super::kernels::{self, KernelOp, Kernels};
use crate::algorithms::als::stream_seed;
use crate::error::ModelError;
use crate::params::params_from_json;
use crate::persist::{ModelState, Tensor};
use crate::progress::Progress;
use crate::recommender::{Recommender, Scored};
use crate::train::TrainSet;

pub const NAME: &str = "bpr";

/// Hyper-parameters of [`Bpr`]. The defaults were chosen for top-k ranking on
/// MovieLens-100K (tuned on a validation split carved from a training split).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BprParams {
    /// Number of latent factors per user and item.
    pub factors: usize,
    /// SGD step size.
    pub learning_rate: f32,
    /// L2 penalty applied at every update to the touched factors and biases.
    pub regularization: f32,
    /// Passes over all training interactions.
    pub epochs: usize,
    /// Number of user and item blocks of stratified SGD: up to this many threads work at
    /// once. Results depend on it, never on the thread count; 1 is plain sequential SGD.
    /// Capped so that each item block holds at least 64 items.
    pub blocks: usize,
    /// Passes over the history when folding in a new user.
    pub fold_in_epochs: usize,
}

impl Default for BprParams {
    fn default() -> Self {
        BprParams {
            factors: 64,
            learning_rate: 0.02,
            regularization: 0.01,
            epochs: 100,
            blocks: 8,
            fold_in_epochs: 50,
        }
    }
}

impl BprParams {
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
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return invalid("learning_rate", "must be a finite number > 0");
        }
        if !(self.regularization.is_finite() && self.regularization >= 0.0) {
            return invalid("regularization", "must be a finite number >= 0");
        }
        if self.epochs == 0 {
            return invalid("epochs", "must be at least 1");
        }
        if self.blocks == 0 {
            return invalid("blocks", "must be at least 1");
        }
        Ok(())
    }
}

/// BPR-MF; see the module documentation.
pub struct Bpr {
    params: BprParams,
    seed: u64,
    n_users: usize,
    n_items: usize,
    /// `n_users x factors`, row-major.
    user_factors: Vec<f32>,
    /// `n_items x factors`, row-major.
    item_factors: Vec<f32>,
    item_bias: Vec<f32>,
    /// Euclidean norm of each item's factors, for cosine similarity.
    item_norms: Vec<f32>,
}

/// Random-stream tags.
const STREAM_INIT: u64 = 11;
const STREAM_PERMUTATION: u64 = 12;
const STREAM_STRATUM: u64 = 13;
const STREAM_FOLD_IN: u64 = 14;
/// Fewest items per block, so that every block offers enough distinct negatives.
const MIN_ITEMS_PER_BLOCK: usize = 64;
/// Draws per negative before a sample is skipped (its user has nearly the whole block).
const NEGATIVE_TRIES: usize = 32;

impl Bpr {
    /// An unfitted model.
    pub fn new(params: BprParams, seed: u64) -> Self {
        Bpr {
            params,
            seed,
            n_users: 0,
            n_items: 0,
            user_factors: Vec::new(),
            item_factors: Vec::new(),
            item_bias: Vec::new(),
            item_norms: Vec::new(),
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
        let params: BprParams = params_from_json(NAME, &state.params)?;
        params.validate()?;
        let k = params.factors;
        let (user_shape, user_factors) = state.take_f32("user_factors")?;
        let (item_shape, item_factors) = state.take_f32("item_factors")?;
        let (bias_shape, item_bias) = state.take_f32("item_bias")?;
        let n_users = factor_rows(state, "user_factors", &user_shape, &user_factors, k)?;
        let n_items = factor_rows(state, "item_factors", &item_shape, &item_factors, k)?;
        if bias_shape != [n_items] || item_bias.len() != n_items {
            return Err(state.format_error(format!(
                "tensor `item_bias` has shape {bias_shape:?}, expected [{n_items}]"
            )));
        }
        let mut model = Bpr {
            params,
            seed: 0,
            n_users,
            n_items,
            user_factors,
            item_factors,
            item_bias,
            item_norms: Vec::new(),
        };
        model.derive();
        Ok(model)
    }

    pub fn params(&self) -> &BprParams {
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

    pub fn item_bias(&self) -> &[f32] {
        &self.item_bias
    }

    fn derive(&mut self) {
        let k = self.params.factors;
        self.item_norms = row_norms(&self.item_factors, k);
    }

    /// Scores every item for the factor vector `x`: `b_i + x . y_i`.
    fn score_vector(&self, x: &[f32], out: &mut [f32]) {
        let k = self.params.factors;
        if x.len() != k {
            // Only an unfitted model has no factors.
            out.fill(0.0);
            return;
        }
        kernels::dispatch(ScoreWithBias {
            x,
            factors: &self.item_factors,
            bias: &self.item_bias,
            out,
        });
    }

    /// A user vector learned from `history` with the items fixed; zero when the history
    /// holds no usable item.
    fn fold_in(&self, history: &[(u32, f32)]) -> Vec<f32> {
        let mut positives: Vec<u32> = history
            .iter()
            .filter(|&&(item, weight)| {
                (item as usize) < self.n_items && weight.is_finite() && weight > 0.0
            })
            .map(|&(item, _)| item)
            .collect();
        positives.sort_unstable();
        positives.dedup();
        let mut x = vec![0.0f32; self.params.factors];
        if positives.is_empty() || positives.len() == self.n_items {
            return x;
        }
        let seed = positives
            .iter()
            .fold(stream_seed(0, STREAM_FOLD_IN, 0), |h, &i| {
                stream_seed(h, STREAM_FOLD_IN, i as u64)
            });
        kernels::dispatch(FoldIn {
            model: self,
            positives: &positives,
            x: &mut x,
            rng: ChaCha8Rng::seed_from_u64(seed),
        });
        x
    }
}

fn factor_rows(
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

impl Recommender for Bpr {
    fn name(&self) -> &'static str {
        NAME
    }

    fn fit(&mut self, train: &TrainSet, progress: &dyn Progress) -> Result<(), ModelError> {
        self.params.validate()?;
        let matrix = &train.matrix;
        if matrix.nnz() == 0 {
            return Err(ModelError::EmptyTrainingData(
                "BPR needs at least one interaction".to_owned(),
            ));
        }
        if matrix.n_cols() < 2 {
            return Err(ModelError::EmptyTrainingData(
                "BPR needs at least two items to rank".to_owned(),
            ));
        }
        let mut trainer = Trainer::new(&self.params, self.seed, matrix);
        progress.start("bpr", self.params.epochs as u64);
        for epoch in 0..self.params.epochs {
            trainer.epoch(epoch as u64);
            if !trainer.is_finite() {
                progress.finish();
                return Err(ModelError::Numerical {
                    model: NAME.to_owned(),
                    reason: "factors diverged to non-finite values; lower learning_rate".to_owned(),
                });
            }
            progress.advance(1);
        }
        progress.finish();
        let k = self.params.factors;
        let mut user_factors = trainer.user_factors;
        // Users without positives were never trained: zero makes them score by bias.
        for (user, x) in user_factors.chunks_exact_mut(k).enumerate() {
            if matrix.row_nnz(user) == 0 {
                x.fill(0.0);
            }
        }
        self.n_users = matrix.n_rows();
        self.n_items = matrix.n_cols();
        self.user_factors = user_factors;
        self.item_factors = trainer.item_factors;
        self.item_bias = trainer.item_bias;
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
        let k = self.params.factors;
        let user = user as usize;
        if user < self.n_users {
            self.score_vector(&self.user_factors[user * k..(user + 1) * k], out);
        } else {
            self.score_vector(&vec![0.0; k], out);
        }
    }

    fn score_users(&self, users: &[u32], out: &mut [f32]) {
        let n = self.n_items;
        if n == 0 {
            return;
        }
        out.par_chunks_mut(n)
            .zip(users.par_iter())
            .for_each(|(row, &user)| self.score_user(user, row));
    }

    fn score_history(&self, history: &[(u32, f32)], out: &mut [f32]) {
        let x = self.fold_in(history);
        self.score_vector(&x, out);
    }

    fn similar_items(&self, item: u32, n: usize) -> Vec<Scored> {
        cosine_neighbours(&self.item_factors, &self.item_norms, item as usize, n)
    }

    fn state(&self) -> ModelState {
        let params = serde_json::to_value(&self.params).unwrap_or(serde_json::Value::Null);
        let k = self.params.factors;
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
            .with(Tensor::f32(
                "item_bias",
                &[self.n_items],
                self.item_bias.clone(),
            ))
    }
}

/// Training state: factors in original order plus the per-epoch block layout.
struct Trainer<'a> {
    params: &'a BprParams,
    seed: u64,
    matrix: &'a CsrMatrix,
    user_factors: Vec<f32>,
    item_factors: Vec<f32>,
    item_bias: Vec<f32>,
}

impl<'a> Trainer<'a> {
    fn new(params: &'a BprParams, seed: u64, matrix: &'a CsrMatrix) -> Self {
        let k = params.factors;
        // Small uniform values in [-0.5, 0.5) / k, as in `implicit`.
        let mut rng = ChaCha8Rng::seed_from_u64(stream_seed(seed, STREAM_INIT, 0));
        let mut init = |rows: usize| -> Vec<f32> {
            (0..rows * k)
                .map(|_| (rng.gen::<f32>() - 0.5) / k as f32)
                .collect()
        };
        let user_factors = init(matrix.n_rows());
        let item_factors = init(matrix.n_cols());
        Trainer {
            params,
            seed,
            matrix,
            user_factors,
            item_factors,
            item_bias: vec![0.0; matrix.n_cols()],
        }
    }

    fn is_finite(&self) -> bool {
        self.user_factors
            .iter()
            .chain(&self.item_factors)
            .chain(&self.item_bias)
            .all(|v| v.is_finite())
    }

    /// One pass over all positives: permute into blocks, run the sub-epochs, restore order.
    fn epoch(&mut self, epoch: u64) {
        let k = self.params.factors;
        let (n_users, n_items) = (self.matrix.n_rows(), self.matrix.n_cols());
        let blocks = effective_blocks(self.params.blocks, n_items);
        let epoch_seed = stream_seed(self.seed, STREAM_PERMUTATION, epoch);
        let mut rng = ChaCha8Rng::seed_from_u64(epoch_seed);
        // Position -> id; block b holds positions block_bounds[b]..block_bounds[b + 1].
        let mut user_at: Vec<u32> = (0..n_users as u32).collect();
        user_at.shuffle(&mut rng);
        let mut item_at: Vec<u32> = (0..n_items as u32).collect();
        item_at.shuffle(&mut rng);
        let user_bounds = block_bounds(n_users, blocks);
        let item_bounds = block_bounds(n_items, blocks);
        let mut user_pos = vec![0u32; n_users];
        for (pos, &user) in user_at.iter().enumerate() {
            user_pos[user as usize] = pos as u32;
        }
        let mut item_pos = vec![0u32; n_items];
        for (pos, &item) in item_at.iter().enumerate() {
            item_pos[item as usize] = pos as u32;
        }

        // Positives bucketed by stratum (user block, item block), as local positions.
        let stratum_of = |user_block: usize, item_block: usize| user_block * blocks + item_block;
        let mut counts = vec![0usize; blocks * blocks + 1];
        for (user, &upos) in user_pos.iter().enumerate() {
            let user_block = block_of(upos as usize, n_users, blocks);
            for &item in self.matrix.row_indices(user) {
                let item_block = block_of(item_pos[item as usize] as usize, n_items, blocks);
                counts[stratum_of(user_block, item_block) + 1] += 1;
            }
        }
        for s in 0..blocks * blocks {
            counts[s + 1] += counts[s];
        }
        let mut next = counts.clone();
        let mut pairs = vec![(0u32, 0u32); self.matrix.nnz()];
        for (user, &upos) in user_pos.iter().enumerate() {
            let upos = upos as usize;
            let user_block = block_of(upos, n_users, blocks);
            for &item in self.matrix.row_indices(user) {
                let ipos = item_pos[item as usize] as usize;
                let item_block = block_of(ipos, n_items, blocks);
                let slot = &mut next[stratum_of(user_block, item_block)];
                pairs[*slot] = (
                    (upos - user_bounds[user_block]) as u32,
                    (ipos - item_bounds[item_block]) as u32,
                );
                *slot += 1;
            }
        }

        let mut users = permute_rows(&self.user_factors, &user_at, k);
        let mut items = permute_rows(&self.item_factors, &item_at, k);
        let mut bias = permute_rows(&self.item_bias, &item_at, 1);
        let mut stratum_pairs: Vec<Option<&mut [(u32, u32)]>> = Vec::with_capacity(blocks * blocks);
        let mut rest: &mut [(u32, u32)] = &mut pairs;
        for s in 0..blocks * blocks {
            let (head, tail) = rest.split_at_mut(counts[s + 1] - counts[s]);
            stratum_pairs.push(Some(head));
            rest = tail;
        }
        for sub_epoch in 0..blocks {
            let user_blocks = split_blocks(&mut users, &user_bounds, k);
            let mut item_blocks: Vec<_> = split_blocks(&mut items, &item_bounds, k)
                .into_iter()
                .zip(split_blocks(&mut bias, &item_bounds, 1))
                .enumerate()
                .collect();
            item_blocks.rotate_left(sub_epoch);
            let strata: Vec<Stratum> = user_blocks
                .into_iter()
                .zip(item_blocks)
                .enumerate()
                .map(
                    |(user_block, (users, (item_block, (items, bias))))| Stratum {
                        params: self.params,
                        matrix: self.matrix,
                        users,
                        items,
                        bias,
                        user_ids: &user_at[user_bounds[user_block]..user_bounds[user_block + 1]],
                        item_ids: &item_at[item_bounds[item_block]..item_bounds[item_block + 1]],
                        pairs: stratum_pairs[stratum_of(user_block, item_block)]
                            .take()
                            .unwrap_or_default(),
                        seed: stream_seed(
                            stream_seed(self.seed, STREAM_STRATUM, epoch),
                            sub_epoch as u64,
                            user_block as u64,
                        ),
                    },
                )
                .collect();
            strata.into_par_iter().for_each(kernels::dispatch);
        }
        unpermute_rows(&users, &user_at, k, &mut self.user_factors);
        unpermute_rows(&items, &item_at, k, &mut self.item_factors);
        unpermute_rows(&bias, &item_at, 1, &mut self.item_bias);
    }
}

/// The number of blocks actually used: at most `MIN_ITEMS_PER_BLOCK` items per block
/// fewer than asked when the catalog is small, since negatives come from the positive's
/// block. It depends on the data and parameters only, never on the thread count.
fn effective_blocks(blocks: usize, n_items: usize) -> usize {
    blocks.min(n_items / MIN_ITEMS_PER_BLOCK).max(1)
}

/// Start positions of `blocks` near-equal contiguous blocks of `n` positions, plus `n`.
fn block_bounds(n: usize, blocks: usize) -> Vec<usize> {
    (0..=blocks).map(|b| (b * n).div_ceil(blocks)).collect()
}

/// The block of a position under [`block_bounds`].
fn block_of(pos: usize, n: usize, blocks: usize) -> usize {
    pos * blocks / n
}

fn permute_rows(rows: &[f32], order: &[u32], width: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(rows.len());
    for &id in order {
        out.extend_from_slice(&rows[id as usize * width..(id as usize + 1) * width]);
    }
    out
}

fn unpermute_rows(permuted: &[f32], order: &[u32], width: usize, out: &mut [f32]) {
    for (row, &id) in permuted.chunks_exact(width).zip(order) {
        out[id as usize * width..(id as usize + 1) * width].copy_from_slice(row);
    }
}

fn split_blocks<'s>(data: &'s mut [f32], bounds: &[usize], width: usize) -> Vec<&'s mut [f32]> {
    let mut out = Vec::with_capacity(bounds.len() - 1);
    let mut rest = data;
    for pair in bounds.windows(2) {
        let (head, tail) = rest.split_at_mut((pair[1] - pair[0]) * width);
        out.push(head);
        rest = tail;
    }
    out
}

/// One (user block, item block) stratum of a sub-epoch.
struct Stratum<'a> {
    params: &'a BprParams,
    matrix: &'a CsrMatrix,
    users: &'a mut [f32],
    items: &'a mut [f32],
    bias: &'a mut [f32],
    /// Original ids of the block's users and items, by local position.
    user_ids: &'a [u32],
    item_ids: &'a [u32],
    /// Positives as (local user, local item).
    pairs: &'a mut [(u32, u32)],
    seed: u64,
}

impl KernelOp for Stratum<'_> {
    type Output = ();

    #[inline(always)]
    fn run<K: Kernels>(self, kern: K) {
        let k = self.params.factors;
        let (lr, reg) = (self.params.learning_rate, self.params.regularization);
        let n_items = self.item_ids.len();
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        self.pairs.shuffle(&mut rng);
        for &(local_user, local_pos) in self.pairs.iter() {
            let liked = self
                .matrix
                .row_indices(self.user_ids[local_user as usize] as usize);
            let Some(local_neg) = (0..NEGATIVE_TRIES)
                .map(|_| rng.gen_range(0..n_items))
                .find(|&j| liked.binary_search(&self.item_ids[j]).is_err())
            else {
                continue;
            };
            let (i, j) = (local_pos as usize, local_neg);
            let u = local_user as usize;
            let x = &mut self.users[u * k..(u + 1) * k];
            let (yi, yj) = two_rows(self.items, i, j, k);
            let margin = self.bias[i] - self.bias[j] + kern.dot(x, yi) - kern.dot(x, yj);
            // d/dmargin ln sigmoid(margin) = sigmoid(-margin).
            let z = 1.0 / (1.0 + margin.exp());
            sgd_step(x, yi, yj, z, lr, reg);
            self.bias[i] += lr * (z - reg * self.bias[i]);
            self.bias[j] += lr * (-z - reg * self.bias[j]);
        }
    }
}

/// The BPR update of one (user, positive, negative) triple with
/// `z = sigmoid(-margin)`: every vector moves along its gradient, computed from the values
/// before the step.
#[inline(always)]
fn sgd_step(x: &mut [f32], yi: &mut [f32], yj: &mut [f32], z: f32, lr: f32, reg: f32) {
    let k = x.len().min(yi.len()).min(yj.len());
    let (x, yi, yj) = (&mut x[..k], &mut yi[..k], &mut yj[..k]);
    for f in 0..k {
        let (xu, a, b) = (x[f], yi[f], yj[f]);
        x[f] = xu + lr * (z * (a - b) - reg * xu);
        yi[f] = a + lr * (z * xu - reg * a);
        yj[f] = b + lr * (-z * xu - reg * b);
    }
}

/// Mutable views of two different rows of a row-major matrix.
fn two_rows(data: &mut [f32], a: usize, b: usize, k: usize) -> (&mut [f32], &mut [f32]) {
    if a < b {
        let (head, tail) = data.split_at_mut(b * k);
        (&mut head[a * k..(a + 1) * k], &mut tail[..k])
    } else {
        let (head, tail) = data.split_at_mut(a * k);
        let (first, second) = (&mut tail[..k], &mut head[b * k..(b + 1) * k]);
        (first, second)
    }
}

/// SGD on one user vector with the items fixed.
struct FoldIn<'a> {
    model: &'a Bpr,
    /// Sorted, distinct, in range.
    positives: &'a [u32],
    x: &'a mut [f32],
    rng: ChaCha8Rng,
}

impl KernelOp for FoldIn<'_> {
    type Output = ();

    #[inline(always)]
    fn run<K: Kernels>(mut self, kern: K) {
        let model = self.model;
        let k = model.params.factors;
        let (lr, reg) = (model.params.learning_rate, model.params.regularization);
        let mut order = self.positives.to_vec();
        for _ in 0..model.params.fold_in_epochs {
            order.shuffle(&mut self.rng);
            for &i in &order {
                let Some(j) = (0..NEGATIVE_TRIES)
                    .map(|_| self.rng.gen_range(0..model.n_items as u32))
                    .find(|j| self.positives.binary_search(j).is_err())
                else {
                    continue;
                };
                let yi = &model.item_factors[i as usize * k..(i as usize + 1) * k];
                let yj = &model.item_factors[j as usize * k..(j as usize + 1) * k];
                let margin = model.item_bias[i as usize] - model.item_bias[j as usize]
                    + kern.dot(self.x, yi)
                    - kern.dot(self.x, yj);
                let z = 1.0 / (1.0 + margin.exp());
                for ((xf, &a), &b) in self.x.iter_mut().zip(yi).zip(yj) {
                    *xf += lr * (z * (a - b) - reg * *xf);
                }
            }
        }
    }
}

/// Writes `b_i + x . y_i` for every item into `out`.
struct ScoreWithBias<'a> {
    x: &'a [f32],
    factors: &'a [f32],
    bias: &'a [f32],
    out: &'a mut [f32],
}

impl KernelOp for ScoreWithBias<'_> {
    type Output = ();

    #[inline(always)]
    fn run<K: Kernels>(self, kern: K) {
        let k = self.x.len();
        for ((score, y), &b) in self
            .out
            .iter_mut()
            .zip(self.factors.chunks_exact(k))
            .zip(self.bias)
        {
            *score = b + kern.dot(self.x, y);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algorithms::als::tests::{bench, planted_split};
    use crate::progress::NoProgress;
    use crate::topk::top_k_excluding;
    use chatrec_core::synthetic::{generate_matrix, planted_group, planted_range, SyntheticSpec};

    fn small_params() -> BprParams {
        BprParams {
            factors: 16,
            epochs: 60,
            blocks: 4,
            ..BprParams::default()
        }
    }

    fn fitted(params: BprParams, seed: u64, train: &TrainSet) -> Bpr {
        let mut model = Bpr::new(params, seed);
        model.fit(train, &NoProgress).unwrap();
        model
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

    #[test]
    fn recovers_planted_groups_for_known_and_folded_in_users() {
        let (n_users, n_items, groups) = (90, 120, 3);
        let (train, held) = planted_split(n_users, n_items, groups, 5);
        let model = fitted(small_params(), 1, &train);
        let mut scores = vec![0.0; n_items];
        for (user, held_items) in held.iter().enumerate() {
            let block = planted_range(planted_group(user, n_users, groups), n_items, groups);
            let exclude = train.matrix.row_indices(user);
            let top = model.recommend(user as u32, 5, exclude);
            assert!(
                top.iter().all(|s| block.contains(&(s.item as usize))),
                "user {user} got {top:?}, block {block:?}"
            );
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
            // The same user folded in from its training row.
            let history: Vec<(u32, f32)> = train.matrix.row(user).collect();
            let folded = model.recommend_history(&history, 5, exclude);
            assert!(
                folded.iter().all(|s| block.contains(&(s.item as usize))),
                "folded-in user {user} got {folded:?}"
            );
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
        }
    }

    #[test]
    fn fold_in_is_deterministic_and_ignores_history_order() {
        let train = power_law_train(2);
        let model = fitted(small_params(), 3, &train);
        let n = model.n_items();
        let history = [(5u32, 1.0f32), (17, 1.0), (200, 2.0), (17, 1.0)];
        let reordered = [(200u32, 1.0f32), (17, 1.0), (5, 1.0)];
        let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
        model.score_history(&history, &mut a);
        model.score_history(&reordered, &mut b);
        assert_eq!(a, b);
        assert!(a.iter().all(|s| s.is_finite()));
        // Non-positive and out-of-range entries are ignored; nothing usable means bias only.
        model.score_history(&[(3, 0.0), (9999, 1.0)], &mut b);
        assert_eq!(b, model.item_bias());
        // The fold-in ranks the user's own training items high.
        let user = (0..300).max_by_key(|&u| train.matrix.row_nnz(u)).unwrap();
        let history: Vec<(u32, f32)> = train.matrix.row(user).collect();
        model.score_history(&history, &mut a);
        let top = top_k_excluding(&a, history.len(), &[]);
        let own = top
            .iter()
            .filter(|s| train.matrix.row_indices(user).contains(&s.item))
            .count();
        assert!(own * 2 > history.len(), "{own} of {}", history.len());
    }

    #[test]
    fn state_round_trip_gives_identical_scores() {
        let train = power_law_train(4);
        let model = fitted(small_params(), 9, &train);
        let restored = Bpr::from_state(&model.state()).unwrap();
        assert_eq!(restored.params(), model.params());
        assert_eq!(restored.n_users(), model.n_users());
        let n = model.n_items();
        let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
        for user in [0u32, 17, 299] {
            model.score_user(user, &mut a);
            restored.score_user(user, &mut b);
            assert_eq!(a, b);
        }
        let history = [(3u32, 1.0f32), (40, 1.0)];
        model.score_history(&history, &mut a);
        restored.score_history(&history, &mut b);
        assert_eq!(a, b);
        assert_eq!(model.similar_items(5, 7), restored.similar_items(5, 7));
        let mut broken = model.state();
        broken.tensors.retain(|t| t.name != "item_bias");
        assert!(Bpr::from_state(&broken).is_err());
    }

    #[test]
    fn same_seed_same_factors_under_any_thread_count() {
        let train = power_law_train(5);
        let fit_with_threads = |threads: usize, seed: u64| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| fitted(small_params(), seed, &train))
        };
        let one = fit_with_threads(1, 42);
        let two = fit_with_threads(2, 42);
        let four = fit_with_threads(4, 42);
        assert_eq!(one.user_factors(), two.user_factors());
        assert_eq!(one.item_factors(), four.item_factors());
        assert_eq!(one.item_bias(), four.item_bias());
        assert_ne!(one.item_factors(), fit_with_threads(2, 43).item_factors());
    }

    #[test]
    fn users_without_interactions_score_by_item_bias() {
        let triplets = [
            (0, 0, 1.0),
            (0, 1, 1.0),
            (1, 1, 1.0),
            (1, 2, 1.0),
            (2, 3, 1.0),
        ];
        let train = TrainSet::from_matrix(CsrMatrix::from_triplets(4, 5, &triplets));
        let model = fitted(small_params(), 1, &train);
        let mut scores = vec![f32::NAN; 5];
        model.score_user(3, &mut scores);
        assert_eq!(scores, model.item_bias());
        assert!(scores.iter().all(|s| s.is_finite()));
        // Item 4 was never seen: it was only ever a negative.
        assert!(scores[4] < scores[1]);
        model.score_user(99, &mut scores);
        assert_eq!(scores, model.item_bias());
    }

    #[test]
    fn invalid_params_and_empty_data_are_errors() {
        let train = power_law_train(1);
        let bad = [
            BprParams {
                factors: 0,
                ..BprParams::default()
            },
            BprParams {
                learning_rate: 0.0,
                ..BprParams::default()
            },
            BprParams {
                learning_rate: f32::INFINITY,
                ..BprParams::default()
            },
            BprParams {
                regularization: -1.0,
                ..BprParams::default()
            },
            BprParams {
                epochs: 0,
                ..BprParams::default()
            },
            BprParams {
                blocks: 0,
                ..BprParams::default()
            },
        ];
        for params in bad {
            let err = Bpr::new(params.clone(), 0)
                .fit(&train, &NoProgress)
                .unwrap_err();
            assert!(
                matches!(err, ModelError::InvalidParam { .. }),
                "{params:?}: {err}"
            );
        }
        let empty = TrainSet::from_matrix(CsrMatrix::zeros(3, 3));
        let err = Bpr::new(BprParams::default(), 0)
            .fit(&empty, &NoProgress)
            .unwrap_err();
        assert!(matches!(err, ModelError::EmptyTrainingData(_)));
        let one_item = TrainSet::from_matrix(CsrMatrix::from_triplets(2, 1, &[(0, 0, 1.0)]));
        assert!(Bpr::new(BprParams::default(), 0)
            .fit(&one_item, &NoProgress)
            .is_err());
    }

    #[test]
    fn small_catalogs_fall_back_to_fewer_blocks() {
        let triplets = [(0, 0, 1.0), (1, 1, 1.0), (2, 0, 1.0)];
        let train = TrainSet::from_matrix(CsrMatrix::from_triplets(3, 2, &triplets));
        let model = fitted(
            BprParams {
                blocks: 8,
                learning_rate: 0.1,
                epochs: 300,
                ..small_params()
            },
            1,
            &train,
        );
        let mut scores = vec![0.0; 2];
        model.score_user(0, &mut scores);
        assert!(scores[0] > scores[1]);
        model.score_user(1, &mut scores);
        assert!(scores[1] > scores[0]);
    }

    /// Quality and speed on a real split; see `als::tests::split_benchmark` for the setup.
    #[test]
    #[ignore]
    fn split_benchmark() {
        let Some((train, test)) = bench::load_split() else {
            return;
        };
        let params: BprParams = bench::params_from_env(NAME);
        for seed in 0..3 {
            let mut model = Bpr::new(params.clone(), seed);
            let report = bench::run(&mut model, &train, &test);
            eprintln!("bpr {params:?} seed {seed}: {report}");
        }
    }
}
