//! The interfaces every model honours.

use serde::{Deserialize, Serialize};

use crate::error::ModelError;
use crate::persist::ModelState;
use crate::progress::Progress;
use crate::topk::top_k_excluding;
use crate::train::TrainSet;

/// An item with its score, as returned by recommendation and similarity queries.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    pub item: u32,
    pub score: f32,
}

/// A top-N recommender. Users and items are dense indices of the [`TrainSet`] it was fitted
/// on. Higher scores are better; scores are comparable within one user, not across users.
///
/// Implementations must be deterministic: the same parameters, seed and training data give
/// the same scores (each model documents what holds under several threads).
pub trait Recommender: Send + Sync {
    /// The registry name of the model ("als", "ease", ...).
    fn name(&self) -> &'static str;

    /// Learns from `train`, replacing whatever the model knew before.
    fn fit(&mut self, train: &TrainSet, progress: &dyn Progress) -> Result<(), ModelError>;

    /// Number of users the model was fitted on.
    fn n_users(&self) -> usize;

    /// Number of items the model scores.
    fn n_items(&self) -> usize;

    /// Writes the score of every item for a known user into `out` (length `n_items()`).
    /// `user` must be below `n_users()`.
    fn score_user(&self, user: u32, out: &mut [f32]);

    /// Writes the score of every item for a user described only by `(item, weight)` pairs,
    /// such as the items liked in a conversation. This folds the user in without
    /// retraining; weights are interaction strengths (1.0 for a plain positive).
    fn score_history(&self, history: &[(u32, f32)], out: &mut [f32]);

    /// The `n` items most similar to `item`, most similar first, without `item` itself.
    fn similar_items(&self, item: u32, n: usize) -> Vec<Scored>;

    /// Everything needed to rebuild the fitted model with [`crate::registry::from_state`].
    fn state(&self) -> ModelState;

    /// The model as a rating predictor, when it predicts ratings.
    fn as_rating_predictor(&self) -> Option<&dyn RatingPredictor> {
        None
    }

    /// Scores of all items for several known users at once: `out` holds `users.len()` rows
    /// of `n_items()` scores. Factor models override this with one matrix product; the
    /// default scores user by user.
    fn score_users(&self, users: &[u32], out: &mut [f32]) {
        let n = self.n_items();
        for (row, &user) in out.chunks_exact_mut(n).zip(users) {
            self.score_user(user, row);
        }
    }

    /// Scores of the given candidate items for a known user, in candidate order.
    fn score_candidates(&self, user: u32, candidates: &[u32]) -> Vec<f32> {
        let mut all = vec![0.0; self.n_items()];
        self.score_user(user, &mut all);
        candidates.iter().map(|&i| all[i as usize]).collect()
    }

    /// The `n` best items for a known user, skipping `exclude` (sorted ascending), such as
    /// the items the user already has.
    fn recommend(&self, user: u32, n: usize, exclude: &[u32]) -> Vec<Scored> {
        let mut scores = vec![0.0; self.n_items()];
        self.score_user(user, &mut scores);
        top_k_excluding(&scores, n, exclude)
    }

    /// The `n` best items for a folded-in user, skipping `exclude` (sorted ascending).
    fn recommend_history(&self, history: &[(u32, f32)], n: usize, exclude: &[u32]) -> Vec<Scored> {
        let mut scores = vec![0.0; self.n_items()];
        self.score_history(history, &mut scores);
        top_k_excluding(&scores, n, exclude)
    }
}

/// A model of explicit ratings.
pub trait RatingPredictor: Send + Sync {
    /// Predicted rating of `item` by `user`. Either may be `None` when it was not in the
    /// training data; the prediction then falls back to the best estimate available (item
    /// or user bias plus the global mean, or the global mean alone) and is never NaN.
    /// Predictions are clipped to the rating range seen in training.
    fn predict(&self, user: Option<u32>, item: Option<u32>) -> f32;
}
