//! Most-popular recommender, optionally with exponential time decay: the non-personalised
//! baseline every personalised model must beat.
//!
//! # Algorithm
//!
//! The score of an item is its number of training interactions (each stored entry counts
//! 1, whatever its value). With `half_life_days = h > 0`, an interaction at time `t`
//! counts `0.5^((t_max - t) / h days)` instead, where `t_max` is the latest training
//! timestamp, so an interaction `h` days older than the newest one counts half. Decay
//! needs timestamps in the training data.
//!
//! Every user, known or folded in, gets the same scores: `score_history` ignores the
//! history (excluding already-known items is the caller's `exclude` list, as in
//! [`Recommender::recommend_history`]). `similar_items` is not personalised either: it
//! returns the most popular other items, whatever the query item. Items never seen in
//! training score 0.
//!
//! # Stored state
//!
//! `params` as JSON, and tensors `dims` (u32, 2): `[n_users, n_items]` and `scores`
//! (f32, `[n_items]`): the popularity of every item.
//!
//! # Determinism
//!
//! No randomness and a single sequential pass: results never depend on the thread count.

use serde::{Deserialize, Serialize};

use super::weighting::{check_u32, dims_from_state, dims_tensor, invalid};
use crate::error::ModelError;
use crate::params::params_from_json;
use crate::persist::{ModelState, Tensor};
use crate::progress::Progress;
use crate::recommender::{Recommender, Scored};
use crate::topk::top_k;
use crate::train::TrainSet;

pub const NAME: &str = "pop";

const SECONDS_PER_DAY: f64 = 86_400.0;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PopularityParams {
    /// Half-life of an interaction's weight in days; 0 counts every interaction fully.
    pub half_life_days: f64,
}

impl Default for PopularityParams {
    fn default() -> Self {
        PopularityParams {
            half_life_days: 0.0,
        }
    }
}

impl PopularityParams {
    fn validate(&self) -> Result<(), ModelError> {
        if !(self.half_life_days.is_finite() && self.half_life_days >= 0.0) {
            return Err(invalid(
                NAME,
                "half_life_days",
                "must be a finite number >= 0",
            ));
        }
        Ok(())
    }
}

/// Popularity model; see the module documentation.
pub struct Popularity {
    params: PopularityParams,
    n_users: usize,
    scores: Vec<f32>,
}

impl Popularity {
    /// An unfitted model. There is no randomness; `seed` is accepted for a uniform
    /// constructor across models.
    pub fn new(params: PopularityParams, _seed: u64) -> Self {
        Popularity {
            params,
            n_users: 0,
            scores: Vec::new(),
        }
    }

    /// The fitted model saved by [`Recommender::state`].
    pub fn from_state(state: &ModelState) -> Result<Self, ModelError> {
        if state.model != NAME {
            return Err(state.format_error(format!("expected a `{NAME}` model")));
        }
        let params: PopularityParams = params_from_json(NAME, &state.params)?;
        params.validate()?;
        let (n_users, n_items) = dims_from_state(state)?;
        let (_, scores) = state.take_f32("scores")?;
        if scores.len() != n_items || scores.iter().any(|s| !s.is_finite()) {
            return Err(
                state.format_error("tensor `scores` must hold one finite score per item".into())
            );
        }
        Ok(Popularity {
            params,
            n_users,
            scores,
        })
    }

    pub fn params(&self) -> &PopularityParams {
        &self.params
    }

    /// The popularity score of every item.
    pub fn scores(&self) -> &[f32] {
        &self.scores
    }
}

impl Recommender for Popularity {
    fn name(&self) -> &'static str {
        NAME
    }

    fn fit(&mut self, train: &TrainSet, progress: &dyn Progress) -> Result<(), ModelError> {
        self.params.validate()?;
        let matrix = &train.matrix;
        if matrix.nnz() == 0 {
            return Err(ModelError::EmptyTrainingData(format!(
                "{NAME} needs at least one interaction"
            )));
        }
        check_u32(NAME, "n_users", train.n_users())?;
        check_u32(NAME, "n_items", train.n_items())?;
        progress.start("popularity", matrix.nnz() as u64);
        let mut totals = vec![0.0f64; train.n_items()];
        if self.params.half_life_days > 0.0 {
            let timestamps = match &train.timestamps {
                Some(t) if t.len() == matrix.nnz() => t,
                Some(_) => {
                    return Err(invalid(
                        NAME,
                        "half_life_days",
                        "the training timestamps do not match the interactions",
                    ))
                }
                None => {
                    return Err(invalid(
                        NAME,
                        "half_life_days",
                        "time decay needs timestamps, and the training data has none; \
                         use half_life_days=0",
                    ))
                }
            };
            let latest = timestamps.iter().copied().max().unwrap_or(0);
            let half_life_seconds = self.params.half_life_days * SECONDS_PER_DAY;
            for (&item, &t) in matrix.indices().iter().zip(timestamps) {
                let age = (latest - t) as f64;
                totals[item as usize] += 0.5f64.powf(age / half_life_seconds);
            }
        } else {
            for &item in matrix.indices() {
                totals[item as usize] += 1.0;
            }
        }
        progress.advance(matrix.nnz() as u64);
        progress.finish();
        self.scores = totals.into_iter().map(|t| t as f32).collect();
        self.n_users = train.n_users();
        Ok(())
    }

    fn n_users(&self) -> usize {
        self.n_users
    }

    fn n_items(&self) -> usize {
        self.scores.len()
    }

    fn score_user(&self, _user: u32, out: &mut [f32]) {
        out.copy_from_slice(&self.scores);
    }

    fn score_history(&self, _history: &[(u32, f32)], out: &mut [f32]) {
        out.copy_from_slice(&self.scores);
    }

    fn similar_items(&self, item: u32, n: usize) -> Vec<Scored> {
        top_k(&self.scores, n, |j| j == item)
            .into_iter()
            .filter(|s| s.score > 0.0)
            .collect()
    }

    fn state(&self) -> ModelState {
        let params = serde_json::to_value(&self.params).unwrap_or(serde_json::Value::Null);
        ModelState::new(NAME, params)
            .with(dims_tensor(self.n_users, self.scores.len()))
            .with(Tensor::f32(
                "scores",
                &[self.scores.len()],
                self.scores.clone(),
            ))
    }
}

#[cfg(test)]
mod tests {
    use chatrec_core::CsrMatrix;

    use super::*;
    use crate::progress::NoProgress;

    const DAY: i64 = 86_400;

    /// Item 0: 3 old interactions; item 1: 2 recent ones; item 2: 1; item 3: never.
    fn train() -> TrainSet {
        let events = [
            (0u32, 0u32, 0i64),
            (1, 0, 0),
            (2, 0, DAY),
            (0, 1, 100 * DAY),
            (1, 1, 100 * DAY),
            (2, 2, 50 * DAY),
        ];
        let mut sorted = events.to_vec();
        sorted.sort_by_key(|&(u, i, _)| (u, i));
        let triplets: Vec<(u32, u32, f32)> = sorted.iter().map(|&(u, i, _)| (u, i, 5.0)).collect();
        TrainSet {
            matrix: CsrMatrix::from_triplets(3, 4, &triplets),
            timestamps: Some(sorted.iter().map(|&(_, _, t)| t).collect()),
        }
    }

    fn fitted(half_life_days: f64) -> Popularity {
        let mut model = Popularity::new(PopularityParams { half_life_days }, 0);
        model.fit(&train(), &NoProgress).unwrap();
        model
    }

    fn ranking(model: &Popularity) -> Vec<u32> {
        model.recommend(0, 4, &[]).iter().map(|s| s.item).collect()
    }

    #[test]
    fn ranks_by_interaction_count() {
        let model = fitted(0.0);
        assert_eq!(model.scores(), &[3.0, 2.0, 1.0, 0.0]);
        assert_eq!(ranking(&model), vec![0, 1, 2, 3]);
    }

    #[test]
    fn decay_favours_recent_interactions() {
        let model = fitted(10.0);
        assert_eq!(ranking(&model), vec![1, 2, 0, 3]);
        // Item 1's events are the newest: full weight each.
        assert!((model.scores()[1] - 2.0).abs() < 1e-6);
        // Item 2 is 50 days (5 half-lives) older than the newest event.
        assert!((model.scores()[2] - 0.5f32.powi(5)).abs() < 1e-7);
        // A very long half-life comes back to counting.
        assert_eq!(ranking(&fitted(1e6)), vec![0, 1, 2, 3]);
    }

    #[test]
    fn everyone_gets_the_same_scores_and_similar_items_are_popular_items() {
        let model = fitted(0.0);
        let mut a = vec![0.0; 4];
        let mut b = vec![0.0; 4];
        model.score_user(2, &mut a);
        model.score_history(&[(3, 1.0)], &mut b);
        assert_eq!(a, b);
        let excluded = model.recommend_history(&[(0, 1.0)], 2, &[0]);
        assert_eq!(excluded[0].item, 1);
        let similar: Vec<u32> = model.similar_items(0, 5).iter().map(|s| s.item).collect();
        assert_eq!(similar, vec![1, 2]);
    }

    #[test]
    fn state_round_trip_gives_identical_scores() {
        let model = fitted(10.0);
        let back = Popularity::from_state(&model.state()).unwrap();
        assert_eq!(back.scores(), model.scores());
        assert_eq!(back.n_users(), 3);
        assert_eq!(back.params(), model.params());
        let mut state = model.state();
        state.tensors.retain(|t| t.name != "dims");
        assert!(Popularity::from_state(&state).is_err());
    }

    #[test]
    fn invalid_params_missing_timestamps_and_empty_data_are_errors() {
        for h in [-1.0, f64::NAN, f64::INFINITY] {
            let err = Popularity::new(PopularityParams { half_life_days: h }, 0)
                .fit(&train(), &NoProgress)
                .unwrap_err();
            assert!(matches!(err, ModelError::InvalidParam { .. }), "{err}");
        }
        let no_time = TrainSet::from_matrix(train().matrix);
        let err = Popularity::new(
            PopularityParams {
                half_life_days: 7.0,
            },
            0,
        )
        .fit(&no_time, &NoProgress)
        .unwrap_err();
        assert!(err.to_string().contains("timestamps"), "{err}");
        let empty = TrainSet::from_matrix(CsrMatrix::zeros(2, 2));
        assert!(matches!(
            Popularity::new(PopularityParams::default(), 0).fit(&empty, &NoProgress),
            Err(ModelError::EmptyTrainingData(_))
        ));
    }
}
