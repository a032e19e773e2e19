//! A pure content recommender: a user is the mean text embedding of the items they have,
//! and an item scores the cosine between that profile and its own embedding.
//!
//! Because the profile is a mean, its dot product with an item is the mean cosine between
//! the item and the user's items, i.e. content item-kNN over all of the user's items
//! (Lops, de Gemmis & Semeraro, "Content-based recommender systems", 2011). Every item
//! with an embedding is scored, whether or not anyone has it yet, which is what makes this
//! the baseline for cold items and the content part of the hybrid.
//!
//! A user without items (or an empty history) gets the mean profile of the users who have
//! some. Scores are deterministic; there is no randomness.
//!
//! # Stored state
//!
//! `params` is empty; tensors `embeddings` (`[n_items, dim]` f32) and the binary training
//! matrix as `user_indptr`, `user_indices`, `user_values`.

use std::sync::Arc;

use chatrec_core::CsrMatrix;
use chatrec_models::persist::{csr_from_tensors, csr_tensors, ModelState, Tensor};
use chatrec_models::topk::top_k;
use chatrec_models::{ModelError, Progress, Recommender, Scored, TrainSet};
use rayon::prelude::*;

use crate::dense::{dot, normalize, DenseMatrix};

pub const NAME: &str = "content";

/// See the module documentation.
pub struct ContentRecommender {
    /// Unit-length rows, one per item.
    embeddings: Arc<DenseMatrix>,
    user_items: CsrMatrix,
    /// Unit-length profile of each user; zero for users without items.
    profiles: DenseMatrix,
    /// Unit-length mean of the non-zero profiles.
    fallback: Vec<f32>,
}

impl ContentRecommender {
    /// An unfitted model over these item embeddings (one row per item of the training data
    /// it will be fitted on). Rows are used as given; embedders return unit-length rows.
    pub fn new(embeddings: Arc<DenseMatrix>) -> Self {
        let dim = embeddings.dim();
        ContentRecommender {
            embeddings,
            user_items: CsrMatrix::zeros(0, 0),
            profiles: DenseMatrix::zeros(0, dim),
            fallback: vec![0.0; dim],
        }
    }

    /// The fitted model saved by [`Recommender::state`].
    pub fn from_state(state: &ModelState) -> Result<Self, ModelError> {
        if state.model != NAME {
            return Err(state.format_error(format!("expected a `{NAME}` model")));
        }
        let (shape, data) = state.take_f32("embeddings")?;
        let [n_items, dim] = shape[..] else {
            return Err(state.format_error("tensor `embeddings` is not two-dimensional".into()));
        };
        let embeddings = DenseMatrix::from_vec(n_items, dim, data)
            .map_err(|e| state.format_error(format!("tensor `embeddings`: {e}")))?;
        let user_items = csr_from_tensors(state, "user", n_items)?;
        let mut model = ContentRecommender::new(Arc::new(embeddings));
        model.install(user_items);
        Ok(model)
    }

    /// The item embeddings the model scores with.
    pub fn embeddings(&self) -> &Arc<DenseMatrix> {
        &self.embeddings
    }

    fn install(&mut self, user_items: CsrMatrix) {
        let dim = self.embeddings.dim();
        let mut profiles = DenseMatrix::zeros(user_items.n_rows(), dim);
        (0..user_items.n_rows())
            .into_par_iter()
            .map(|u| self.profile(user_items.row(u)))
            .collect::<Vec<_>>()
            .into_iter()
            .enumerate()
            .for_each(|(u, p)| profiles.row_mut(u).copy_from_slice(&p));
        let mut fallback = vec![0.0f32; dim];
        for p in profiles.iter_rows() {
            for (f, &v) in fallback.iter_mut().zip(p) {
                *f += v;
            }
        }
        normalize(&mut fallback);
        self.user_items = user_items;
        self.profiles = profiles;
        self.fallback = fallback;
    }

    /// The unit-length weighted mean embedding of a history; zero when nothing in it is
    /// usable (unknown items, weights that are not positive).
    fn profile(&self, history: impl Iterator<Item = (u32, f32)>) -> Vec<f32> {
        let mut p = vec![0.0f32; self.embeddings.dim()];
        for (item, weight) in history {
            if (item as usize) >= self.embeddings.rows() || !(weight.is_finite() && weight > 0.0) {
                continue;
            }
            for (acc, &v) in p.iter_mut().zip(self.embeddings.row(item as usize)) {
                *acc += weight * v;
            }
        }
        normalize(&mut p);
        p
    }

    fn score_profile(&self, profile: &[f32], out: &mut [f32]) {
        let profile = if profile.iter().all(|&v| v == 0.0) {
            &self.fallback
        } else {
            profile
        };
        for (o, e) in out.iter_mut().zip(self.embeddings.iter_rows()) {
            *o = dot(profile, e);
        }
    }
}

impl Recommender for ContentRecommender {
    fn name(&self) -> &'static str {
        NAME
    }

    fn fit(&mut self, train: &TrainSet, _progress: &dyn Progress) -> Result<(), ModelError> {
        if self.embeddings.rows() != train.n_items() {
            return Err(ModelError::InvalidParam {
                model: NAME.to_owned(),
                name: "embeddings".to_owned(),
                reason: format!(
                    "{} item embeddings for {} items in the training data",
                    self.embeddings.rows(),
                    train.n_items()
                ),
            });
        }
        if train.matrix.nnz() == 0 {
            return Err(ModelError::EmptyTrainingData(
                "no interactions to build content profiles from".into(),
            ));
        }
        self.install(train.matrix.map_values(|_| 1.0));
        Ok(())
    }

    fn n_users(&self) -> usize {
        self.user_items.n_rows()
    }

    fn n_items(&self) -> usize {
        self.embeddings.rows()
    }

    fn score_user(&self, user: u32, out: &mut [f32]) {
        if (user as usize) < self.profiles.rows() {
            self.score_profile(self.profiles.row(user as usize), out);
        } else {
            self.score_profile(&self.fallback, out);
        }
    }

    fn score_users(&self, users: &[u32], out: &mut [f32]) {
        let n = self.n_items().max(1);
        out.par_chunks_exact_mut(n)
            .zip(users.par_iter())
            .for_each(|(row, &user)| self.score_user(user, row));
    }

    fn score_history(&self, history: &[(u32, f32)], out: &mut [f32]) {
        let profile = self.profile(history.iter().copied());
        self.score_profile(&profile, out);
    }

    fn similar_items(&self, item: u32, n: usize) -> Vec<Scored> {
        if item as usize >= self.n_items() {
            return Vec::new();
        }
        let query = self.embeddings.row(item as usize);
        let scores: Vec<f32> = self.embeddings.iter_rows().map(|e| dot(query, e)).collect();
        top_k(&scores, n, |i| i == item)
    }

    fn state(&self) -> ModelState {
        let mut state = ModelState::new(NAME, serde_json::json!({})).with(Tensor::f32(
            "embeddings",
            &[self.embeddings.rows(), self.embeddings.dim()],
            self.embeddings.as_slice().to_vec(),
        ));
        for t in csr_tensors("user", &self.user_items) {
            state = state.with(t);
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::{HashingEmbedder, TextEmbedder};
    use chatrec_models::NoProgress;

    const TEXTS: [&str; 6] = [
        "space adventure among the stars",
        "stars and space battles",
        "a rocket to the stars in space",
        "romantic comedy in paris",
        "a love story romance in paris",
        "romance and comedy of love",
    ];

    fn fitted() -> ContentRecommender {
        let e = HashingEmbedder::new(256).embed(&TEXTS).unwrap();
        let train = TrainSet::from_matrix(CsrMatrix::from_triplets(
            3,
            6,
            &[(0, 0, 1.0), (0, 1, 1.0), (1, 3, 1.0), (1, 4, 1.0)],
        ));
        let mut model = ContentRecommender::new(Arc::new(e));
        model.fit(&train, &NoProgress).unwrap();
        model
    }

    fn top(model: &ContentRecommender, user: u32, exclude: &[u32]) -> u32 {
        model.recommend(user, 1, exclude)[0].item
    }

    #[test]
    fn users_get_the_unseen_item_most_like_their_items() {
        let model = fitted();
        assert_eq!(top(&model, 0, &[0, 1]), 2);
        assert_eq!(top(&model, 1, &[3, 4]), 5);
        let history = model.recommend_history(&[(5, 1.0)], 1, &[5]);
        assert!(history[0].item == 3 || history[0].item == 4);
        assert!(model
            .similar_items(0, 2)
            .iter()
            .all(|s| s.item == 1 || s.item == 2));
    }

    #[test]
    fn users_without_items_get_the_mean_profile_and_state_round_trips() {
        let model = fitted();
        let mut a = vec![0.0; 6];
        model.score_user(2, &mut a);
        assert!(a.iter().all(|s| s.is_finite()) && a.iter().any(|&s| s != 0.0));
        let restored = ContentRecommender::from_state(&model.state()).unwrap();
        let mut b = vec![0.0; 6];
        for user in 0..3 {
            model.score_user(user, &mut a);
            restored.score_user(user, &mut b);
            assert_eq!(a, b);
        }
    }

    #[test]
    fn embeddings_must_match_the_items() {
        let e = HashingEmbedder::new(16).embed(&TEXTS[..2]).unwrap();
        let train = TrainSet::from_matrix(CsrMatrix::from_triplets(1, 3, &[(0, 0, 1.0)]));
        let mut model = ContentRecommender::new(Arc::new(e));
        assert!(model.fit(&train, &NoProgress).is_err());
    }
}
