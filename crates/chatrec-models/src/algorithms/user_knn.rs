//! User-based k-nearest-neighbour recommender (Resnick et al., "GroupLens", CSCW 1994;
//! the top-N form of Herlocker et al., SIGIR 1999).
//!
//! # Algorithm
//!
//! 1. `X` is the user x item training matrix: 1.0 per interaction, or the stored values
//!    with `use_values=true`. Its rows are weighted ([`super::weighting`]: none, TF-IDF or
//!    BM25, documents = users, terms = items, so TF-IDF down-weights popular items), giving
//!    user vectors `a_u`.
//! 2. `sim(u, v) = a_u·a_v / (|a_u| |a_v| + shrink)` (cosine with shrinkage); every user
//!    keeps the `neighbours` other users of highest positive similarity, computed from one
//!    dense row of `A Aᵀ` per user, in parallel over users.
//! 3. `score(u, i) = Σ_{v ∈ N(u)} sim(u, v) · x_vi` with the values `x_vi` of `X`.
//!
//! Fold-in: the history is weighted with the training statistics (idf, mean length), its
//! similarity to every training user is computed on the fly, and the same aggregation
//! follows. A folded-in copy of a training user's row therefore finds that user as its
//! closest neighbour, while the known-user path leaves the user out of their own
//! neighbourhood; otherwise both paths are the same computation.
//!
//! A user (or history) with no neighbour gets the items' training popularity scaled to
//! `[0, 1]`. Items nobody interacted with score 0.
//!
//! `similar_items` is not user-based: it ranks items by the cosine with shrinkage of their
//! columns of `X` (unweighted), computed when asked.
//!
//! # Stored state
//!
//! `params` as JSON, and tensors
//! - `dims` (u32, 2): `[n_users, n_items]`;
//! - `sim_indptr` (u32, `n_users + 1`), `sim_indices` (u32), `sim_values` (f32): the
//!   neighbour users of each user with their similarities;
//! - `user_indptr` (u32, `n_users + 1`), `user_indices` (u32), `user_values` (f32): `X`.
//!
//! # Determinism
//!
//! No randomness; each user's neighbours are computed by one thread in a fixed order with
//! ties to the lower index, so results are identical for any number of threads.

use chatrec_core::CsrMatrix;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::item_knn::{all_nearest, nearest, Accumulator, SimilarityShape};
use super::weighting::{
    check_u32, clean_history, csr_from_tensors, csr_tensors, dims_from_state, dims_tensor,
    interaction_matrix, popularity_fallback, row_norms, validate_neighbourhood, FittedWeighting,
    WeightingScheme,
};
use crate::error::ModelError;
use crate::params::params_from_json;
use crate::persist::ModelState;
use crate::progress::Progress;
use crate::recommender::{Recommender, Scored};
use crate::train::TrainSet;

pub const NAME: &str = "userknn";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UserKnnParams {
    /// Neighbour users kept per user (k), at least 1.
    pub neighbours: usize,
    /// Shrinkage added to the cosine denominator.
    pub shrink: f32,
    /// Weighting of the user x item matrix before similarities: none, tfidf or bm25.
    pub weighting: WeightingScheme,
    /// BM25 term-frequency saturation.
    pub bm25_k1: f32,
    /// BM25 length normalisation in [0, 1].
    pub bm25_b: f32,
    /// Use interaction values (ratings, counts) instead of 1.0 per interaction.
    pub use_values: bool,
}

impl Default for UserKnnParams {
    /// Chosen on a validation split carved from the training part of an 80/20 per-user
    /// split of MovieLens-100K (NDCG@10), with the `ml100k` check in `item_knn.rs`.
    fn default() -> Self {
        UserKnnParams {
            neighbours: 50,
            shrink: 0.0,
            weighting: WeightingScheme::TfIdf,
            bm25_k1: 1.2,
            bm25_b: 0.75,
            use_values: false,
        }
    }
}

impl UserKnnParams {
    fn validate(&self) -> Result<(), ModelError> {
        validate_neighbourhood(
            NAME,
            self.neighbours,
            self.shrink,
            self.weighting.with_bm25(self.bm25_k1, self.bm25_b),
        )
    }
}

/// User-kNN model; see the module documentation.
pub struct UserKnn {
    params: UserKnnParams,
    n_items: usize,
    /// Row `u`: the neighbours of user `u` with their similarities.
    neighbours: CsrMatrix,
    user_items: CsrMatrix,
    // Derived at fit and load time from `user_items`:
    weighting: FittedWeighting,
    /// Weighted item x user matrix, to find the users sharing a history's items.
    item_users: CsrMatrix,
    user_norms: Vec<f32>,
    /// Unweighted item x user matrix and item norms, for `similar_items`.
    item_columns: CsrMatrix,
    item_norms: Vec<f32>,
    fallback: Vec<f32>,
}

impl UserKnn {
    /// An unfitted model. There is no randomness; `seed` is accepted for a uniform
    /// constructor across models.
    pub fn new(params: UserKnnParams, _seed: u64) -> Self {
        let weighting = params.weighting.with_bm25(params.bm25_k1, params.bm25_b);
        let empty = CsrMatrix::zeros(0, 0);
        UserKnn {
            params,
            n_items: 0,
            neighbours: empty.clone(),
            user_items: empty.clone(),
            weighting: FittedWeighting::fit(weighting, &empty),
            item_users: empty.clone(),
            user_norms: Vec::new(),
            item_columns: empty,
            item_norms: Vec::new(),
            fallback: Vec::new(),
        }
    }

    /// The fitted model saved by [`Recommender::state`].
    pub fn from_state(state: &ModelState) -> Result<Self, ModelError> {
        if state.model != NAME {
            return Err(state.format_error(format!("expected a `{NAME}` model")));
        }
        let params: UserKnnParams = params_from_json(NAME, &state.params)?;
        params.validate()?;
        let (n_users, n_items) = dims_from_state(state)?;
        let neighbours = csr_from_tensors(state, "sim", n_users)?;
        let user_items = csr_from_tensors(state, "user", n_items)?;
        if neighbours.n_rows() != n_users || user_items.n_rows() != n_users {
            return Err(state.format_error("matrices disagree with `dims`".into()));
        }
        let mut model = UserKnn::new(params, 0);
        model.prepare(user_items);
        model.neighbours = neighbours;
        Ok(model)
    }

    pub fn params(&self) -> &UserKnnParams {
        &self.params
    }

    /// Installs the training matrix and everything derived from it; returns the weighted
    /// user vectors.
    fn prepare(&mut self, user_items: CsrMatrix) -> CsrMatrix {
        let weighting = self
            .params
            .weighting
            .with_bm25(self.params.bm25_k1, self.params.bm25_b);
        self.weighting = FittedWeighting::fit(weighting, &user_items);
        let user_vectors = self.weighting.apply(&user_items);
        self.user_norms = row_norms(&user_vectors);
        self.item_users = user_vectors.transpose();
        self.item_columns = user_items.transpose();
        self.item_norms = row_norms(&self.item_columns);
        self.fallback = popularity_fallback(&user_items);
        self.n_items = user_items.n_cols();
        self.user_items = user_items;
        user_vectors
    }

    fn shape(&self) -> SimilarityShape<'_> {
        SimilarityShape {
            norms: Some(&self.user_norms),
            shrink: self.params.shrink,
        }
    }

    /// `Σ_v sim(v) · x_v` over the given neighbours, or the popularity fallback.
    fn aggregate(&self, neighbours: impl Iterator<Item = (u32, f32)>, out: &mut [f32]) {
        out.fill(0.0);
        let mut any = false;
        for (v, sim) in neighbours {
            any = true;
            for (i, x) in self.user_items.row(v as usize) {
                out[i as usize] += sim * x;
            }
        }
        if !any {
            out.copy_from_slice(&self.fallback);
        }
    }

    /// Fold-in with `exclude` left out of the neighbourhood (the known-user path excludes
    /// the user themself).
    fn score_vector(&self, history: &[(u32, f32)], exclude: Option<u32>, out: &mut [f32]) {
        let weighted = self.weighting.weight_row(history.iter().copied());
        let norm = weighted
            .iter()
            .map(|&(_, w)| (w as f64).powi(2))
            .sum::<f64>()
            .sqrt() as f32;
        let mut acc = Accumulator::new(self.user_items.n_rows());
        let neighbours = nearest(
            weighted.into_iter(),
            norm,
            &self.item_users,
            self.shape(),
            self.params.neighbours,
            exclude,
            &mut acc,
        );
        // The stored lists are sorted by user index; aggregate in the same order so that
        // both paths add in the same order.
        let mut neighbours = neighbours;
        neighbours.sort_unstable_by_key(|&(v, _)| v);
        self.aggregate(neighbours.into_iter(), out);
    }
}

impl Recommender for UserKnn {
    fn name(&self) -> &'static str {
        NAME
    }

    fn fit(&mut self, train: &TrainSet, progress: &dyn Progress) -> Result<(), ModelError> {
        self.params.validate()?;
        let user_items = interaction_matrix(NAME, train, self.params.use_values)?;
        check_u32(NAME, "n_items", train.n_items())?;
        check_u32(NAME, "n_users", train.n_users())?;
        check_u32(NAME, "interactions", user_items.nnz())?;
        let user_vectors = self.prepare(user_items);
        progress.start("user similarities", train.n_users() as u64);
        let neighbours = all_nearest(
            &user_vectors,
            self.shape(),
            self.params.neighbours,
            progress,
        );
        progress.finish();
        check_u32(NAME, "neighbour pairs", neighbours.nnz())?;
        self.neighbours = neighbours;
        Ok(())
    }

    fn n_users(&self) -> usize {
        self.user_items.n_rows()
    }

    fn n_items(&self) -> usize {
        self.n_items
    }

    fn score_user(&self, user: u32, out: &mut [f32]) {
        self.aggregate(self.neighbours.row(user as usize), out);
    }

    fn score_history(&self, history: &[(u32, f32)], out: &mut [f32]) {
        let history = clean_history(history, self.n_items);
        self.score_vector(&history, None, out);
    }

    fn score_users(&self, users: &[u32], out: &mut [f32]) {
        let n = self.n_items();
        out.par_chunks_exact_mut(n.max(1))
            .zip(users.par_iter())
            .for_each(|(row, &user)| self.score_user(user, row));
    }

    fn similar_items(&self, item: u32, n: usize) -> Vec<Scored> {
        if item as usize >= self.n_items || n == 0 {
            return Vec::new();
        }
        let shape = SimilarityShape {
            norms: Some(&self.item_norms),
            shrink: self.params.shrink,
        };
        let mut acc = Accumulator::new(self.n_items);
        let list = nearest(
            self.item_columns.row(item as usize),
            self.item_norms[item as usize],
            &self.user_items,
            shape,
            n,
            Some(item),
            &mut acc,
        );
        list.into_iter()
            .map(|(item, score)| Scored { item, score })
            .collect()
    }

    fn state(&self) -> ModelState {
        let params = serde_json::to_value(&self.params).unwrap_or(serde_json::Value::Null);
        let mut state =
            ModelState::new(NAME, params).with(dims_tensor(self.n_users(), self.n_items));
        for t in csr_tensors("sim", &self.neighbours)
            .into_iter()
            .chain(csr_tensors("user", &self.user_items))
        {
            state = state.with(t);
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use super::super::item_knn::best_of_row;
    use super::super::item_knn::test_support::*;
    use super::*;
    use crate::progress::NoProgress;

    fn fitted(params: UserKnnParams, train: &TrainSet) -> UserKnn {
        let mut model = UserKnn::new(params, 0);
        model.fit(train, &NoProgress).unwrap();
        model
    }

    fn configs() -> Vec<UserKnnParams> {
        [
            WeightingScheme::None,
            WeightingScheme::TfIdf,
            WeightingScheme::Bm25,
        ]
        .into_iter()
        .map(|weighting| UserKnnParams {
            weighting,
            neighbours: 8,
            ..UserKnnParams::default()
        })
        .collect()
    }

    #[test]
    fn recovers_planted_blocks() {
        let (train, held) = planted(12, 8);
        for params in configs() {
            assert_recovers(&fitted(params, &train), &train, &held, 5);
        }
    }

    #[test]
    fn neighbours_come_from_the_own_group() {
        let (train, _) = planted(12, 8);
        let model = fitted(UserKnnParams::default(), &train);
        for u in 0..24usize {
            assert!(model.neighbours.row_nnz(u) > 0);
            assert!(!model.neighbours.row_indices(u).contains(&(u as u32)));
            let best = best_of_row(&model.neighbours, u as u32, 1)[0].item as usize;
            assert_eq!(best / 12, u / 12, "user {u} has best neighbour {best}");
        }
    }

    #[test]
    fn known_user_path_equals_fold_in_without_the_user() {
        let (train, _) = planted(10, 7);
        for params in configs() {
            let model = fitted(params, &train);
            for u in [0u32, 7, 15] {
                let mut folded = vec![0.0; model.n_items()];
                model.score_vector(&row_history(&train, u), Some(u), &mut folded);
                assert_eq!(scores_of(&model, u), folded);
            }
        }
    }

    #[test]
    fn fold_in_equals_known_user_of_a_model_that_never_saw_the_user() {
        // Without weighting, removing user u changes no other user's vector, so folding in
        // u's row on that model must reproduce u's known-user scores exactly.
        let (train, _) = planted(10, 7);
        let params = UserKnnParams {
            weighting: WeightingScheme::None,
            ..UserKnnParams::default()
        };
        let full = fitted(params.clone(), &train);
        for u in [2u32, 11] {
            let without = TrainSet::from_matrix(train.matrix.filter(|r, _, _| r != u as usize));
            let model = fitted(params.clone(), &without);
            let mut history = row_history(&train, u);
            history.reverse();
            assert_eq!(scores_of(&full, u), history_scores(&model, &history));
        }
    }

    #[test]
    fn fitting_is_identical_for_any_thread_count() {
        let (train, _) = planted(30, 11);
        let fit_with = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| fitted(UserKnnParams::default(), &train).state())
        };
        assert_eq!(fit_with(1), fit_with(3));
    }

    #[test]
    fn state_round_trip_gives_identical_scores() {
        let (train, _) = planted(10, 7);
        for params in configs() {
            let model = fitted(params, &train);
            let back = UserKnn::from_state(&model.state()).unwrap();
            assert_eq!(back.params(), model.params());
            for u in 0..train.n_users() as u32 {
                assert_eq!(scores_of(&model, u), scores_of(&back, u));
            }
            let h = [(1u32, 1.0f32), (4, 1.0)];
            assert_eq!(history_scores(&model, &h), history_scores(&back, &h));
            assert_eq!(model.similar_items(3, 4), back.similar_items(3, 4));
        }
    }

    #[test]
    fn similar_items_are_column_cosines() {
        let (train, _) = planted(10, 7);
        let model = fitted(UserKnnParams::default(), &train);
        let sim = model.similar_items(0, 6);
        assert_eq!(sim.len(), 6);
        assert!(
            sim[..3].iter().all(|s| s.item < 7 && s.item != 0),
            "{sim:?}"
        );
        assert!(sim.windows(2).all(|w| w[0].score >= w[1].score));
        let a = model.item_columns.row(0).count() as f32;
        let i = sim[0].item as usize;
        let b = model.item_columns.row(i).count() as f32;
        let dot = (0..train.n_users())
            .filter(|&u| train.matrix.get(u, 0) > 0.0 && train.matrix.get(u, i as u32) > 0.0)
            .count() as f32;
        let expected = dot / (a.sqrt() * b.sqrt() + model.params.shrink);
        assert!((sim[0].score - expected).abs() < 1e-6);
        assert!(model.similar_items(99, 3).is_empty());
    }

    #[test]
    fn invalid_params_and_empty_data_are_errors() {
        let (train, _) = planted(4, 4);
        for params in [
            UserKnnParams {
                neighbours: 0,
                ..UserKnnParams::default()
            },
            UserKnnParams {
                shrink: f32::NAN,
                ..UserKnnParams::default()
            },
            UserKnnParams {
                weighting: WeightingScheme::Bm25,
                bm25_k1: -2.0,
                ..UserKnnParams::default()
            },
        ] {
            let err = UserKnn::new(params, 0)
                .fit(&train, &NoProgress)
                .unwrap_err();
            assert!(matches!(err, ModelError::InvalidParam { .. }), "{err}");
        }
        let empty = TrainSet::from_matrix(CsrMatrix::zeros(2, 2));
        assert!(matches!(
            UserKnn::new(UserKnnParams::default(), 0).fit(&empty, &NoProgress),
            Err(ModelError::EmptyTrainingData(_))
        ));
    }

    #[test]
    fn user_without_neighbours_gets_popular_items() {
        let m = CsrMatrix::from_triplets(3, 4, &[(0, 0, 1.0), (0, 1, 1.0), (1, 1, 1.0)]);
        let train = TrainSet::from_matrix(m);
        let model = fitted(UserKnnParams::default(), &train);
        assert_eq!(model.recommend(2, 1, &[])[0].item, 1);
        let s = history_scores(&model, &[(3, 1.0)]);
        assert_eq!(top_item(&s), 1);
        assert!(scores_of(&model, 0).iter().all(|s| s.is_finite()));
    }

    fn top_item(scores: &[f32]) -> usize {
        crate::topk::top_k(scores, 1, |_| false)[0].item as usize
    }
}
