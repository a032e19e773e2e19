//! A weighted blend of several recommenders: each component's scores are standardised per
//! user (z-scores over all items), then summed with the blend's weights.
//!
//! Different models score on different scales (EASE's regression weights, ALS's
//! preference estimates, kNN's similarity sums), so raw scores cannot be added; per-user
//! z-scores put them on one scale while keeping each model's ranking. The weights are
//! chosen on a validation split carved from the training data (`chatrec tune --model blend
//! --space weights=...`), never on the test split.
//!
//! # Stored state
//!
//! `params`: the blend's parameters plus `component_params`, the parameters of each
//! component in order. Tensors: every component's tensors, renamed `<index>.<name>`.
//!
//! # Determinism
//!
//! Component `i` is built with seed `seed + i`; the blend adds nothing random, so it is
//! exactly as deterministic as its components.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ModelError;
use crate::params::params_from_json;
use crate::persist::{ModelState, Tensor};
use crate::progress::Progress;
use crate::recommender::{Recommender, Scored};
use crate::registry;
use crate::topk::top_k;
use crate::train::TrainSet;

pub const NAME: &str = "blend";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BlendParams {
    /// Component models, registry names separated by `,` or `:`; each uses its defaults.
    pub models: String,
    /// One weight per component, separated by `,` or `:` (the colon form fits in a
    /// comma-separated `chatrec tune --space` list).
    pub weights: String,
}

impl Default for BlendParams {
    /// The best blend on validation splits carved from MovieLens-100K training data
    /// (docs/benchmarks.md); ALS alone was as good, so `best` is ALS, not this.
    fn default() -> Self {
        BlendParams {
            models: "als,ease".into(),
            weights: "0.9,0.1".into(),
        }
    }
}

pub struct Blend {
    params: BlendParams,
    seed: u64,
    components: Vec<Box<dyn Recommender>>,
    weights: Vec<f32>,
}

fn invalid(name: &str, reason: String) -> ModelError {
    ModelError::InvalidParam {
        model: NAME.to_owned(),
        name: name.to_owned(),
        reason,
    }
}

impl BlendParams {
    /// The component names and their weights, checked against each other.
    fn parse(&self) -> Result<(Vec<String>, Vec<f32>), ModelError> {
        let models: Vec<String> = self
            .models
            .split([',', ':'])
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty())
            .collect();
        if models.is_empty() {
            return Err(invalid("models", "name at least one model".into()));
        }
        if models.iter().any(|m| m == NAME || m == registry::BEST) {
            return Err(invalid(
                "models",
                "a blend cannot contain `blend` or `best`".into(),
            ));
        }
        let weights = self
            .weights
            .split([',', ':'])
            .map(|w| {
                w.trim()
                    .parse::<f32>()
                    .ok()
                    .filter(|w| w.is_finite() && *w >= 0.0)
                    .ok_or_else(|| {
                        invalid("weights", format!("`{w}` is not a non-negative number"))
                    })
            })
            .collect::<Result<Vec<f32>, _>>()?;
        if weights.len() != models.len() {
            return Err(invalid(
                "weights",
                format!("{} weights for {} models", weights.len(), models.len()),
            ));
        }
        if weights.iter().all(|&w| w == 0.0) {
            return Err(invalid(
                "weights",
                "at least one weight must be positive".into(),
            ));
        }
        Ok((models, weights))
    }
}

/// Rewrites `scores` as z-scores; a constant vector becomes all zeros.
fn standardise(scores: &mut [f32]) {
    let n = scores.len().max(1) as f64;
    let mean = scores.iter().map(|&s| s as f64).sum::<f64>() / n;
    let var = scores
        .iter()
        .map(|&s| (s as f64 - mean).powi(2))
        .sum::<f64>()
        / n;
    let std = var.sqrt();
    if std <= f64::EPSILON {
        scores.iter_mut().for_each(|s| *s = 0.0);
    } else {
        scores
            .iter_mut()
            .for_each(|s| *s = ((*s as f64 - mean) / std) as f32);
    }
}

impl Blend {
    pub fn new(params: BlendParams, seed: u64) -> Self {
        Blend {
            params,
            seed,
            components: Vec::new(),
            weights: Vec::new(),
        }
    }

    pub fn from_state(state: &ModelState) -> Result<Self, ModelError> {
        let mut object = state
            .params
            .as_object()
            .cloned()
            .ok_or_else(|| state.format_error("blend params are not an object".into()))?;
        let component_params = match object.remove("component_params") {
            Some(Value::Array(list)) => list,
            _ => return Err(state.format_error("blend state lacks component_params".into())),
        };
        let params: BlendParams = params_from_json(NAME, &Value::Object(object))?;
        let (models, weights) = params.parse()?;
        if component_params.len() != models.len() {
            return Err(state.format_error("blend state has the wrong number of components".into()));
        }
        let mut components = Vec::with_capacity(models.len());
        for (index, (model, params)) in models.iter().zip(component_params).enumerate() {
            let prefix = format!("{index}.");
            let sub = ModelState {
                model: model.clone(),
                params,
                tensors: state
                    .tensors
                    .iter()
                    .filter_map(|t| {
                        t.name.strip_prefix(&prefix).map(|name| Tensor {
                            name: name.to_owned(),
                            ..t.clone()
                        })
                    })
                    .collect(),
            };
            components.push(registry::from_state(&sub)?);
        }
        Ok(Blend {
            params,
            seed: 0,
            components,
            weights,
        })
    }

    /// Adds the standardised scores of every component, weighted, into `out`.
    fn combine(&self, out: &mut [f32], mut score: impl FnMut(&dyn Recommender, &mut [f32])) {
        out.iter_mut().for_each(|s| *s = 0.0);
        let mut buffer = vec![0.0f32; out.len()];
        for (component, &weight) in self.components.iter().zip(&self.weights) {
            if weight == 0.0 {
                continue;
            }
            score(component.as_ref(), &mut buffer);
            for row in buffer.chunks_exact_mut(self.n_items().max(1)) {
                standardise(row);
            }
            for (o, &b) in out.iter_mut().zip(&buffer) {
                *o += weight * b;
            }
        }
    }
}

impl Recommender for Blend {
    fn name(&self) -> &'static str {
        NAME
    }

    fn fit(&mut self, train: &TrainSet, progress: &dyn Progress) -> Result<(), ModelError> {
        let (models, weights) = self.params.parse()?;
        let mut components = Vec::with_capacity(models.len());
        for (index, model) in models.iter().enumerate() {
            let mut component = registry::build(model, &[], self.seed.wrapping_add(index as u64))?;
            component.fit(train, progress)?;
            progress.finish();
            components.push(component);
        }
        self.components = components;
        self.weights = weights;
        Ok(())
    }

    fn n_users(&self) -> usize {
        self.components.first().map_or(0, |c| c.n_users())
    }

    fn n_items(&self) -> usize {
        self.components.first().map_or(0, |c| c.n_items())
    }

    fn score_user(&self, user: u32, out: &mut [f32]) {
        self.combine(out, |c, buf| c.score_user(user, buf));
    }

    fn score_users(&self, users: &[u32], out: &mut [f32]) {
        self.combine(out, |c, buf| c.score_users(users, buf));
    }

    fn score_history(&self, history: &[(u32, f32)], out: &mut [f32]) {
        self.combine(out, |c, buf| c.score_history(history, buf));
    }

    /// What the blend recommends to someone who liked only `item`.
    fn similar_items(&self, item: u32, n: usize) -> Vec<Scored> {
        if item as usize >= self.n_items() {
            return Vec::new();
        }
        let mut scores = vec![0.0; self.n_items()];
        self.score_history(&[(item, 1.0)], &mut scores);
        top_k(&scores, n, |i| i == item)
    }

    fn state(&self) -> ModelState {
        let mut params = serde_json::to_value(&self.params).unwrap_or(Value::Null);
        let mut tensors = Vec::new();
        let mut component_params = Vec::new();
        for (index, component) in self.components.iter().enumerate() {
            let state = component.state();
            component_params.push(state.params);
            tensors.extend(state.tensors.into_iter().map(|t| Tensor {
                name: format!("{index}.{}", t.name),
                ..t
            }));
        }
        if let Value::Object(object) = &mut params {
            object.insert("component_params".into(), Value::Array(component_params));
        }
        ModelState {
            model: NAME.to_owned(),
            params,
            tensors,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;
    use chatrec_core::synthetic::planted_blocks;

    fn params(models: &str, weights: &str) -> BlendParams {
        BlendParams {
            models: models.into(),
            weights: weights.into(),
        }
    }

    fn fitted(models: &str, weights: &str) -> (Blend, TrainSet) {
        let train = TrainSet::from_matrix(planted_blocks(40, 30, 2, 0.5, 3));
        let mut blend = Blend::new(params(models, weights), 7);
        blend.fit(&train, &NoProgress).expect("blend fits");
        (blend, train)
    }

    #[test]
    fn recommends_from_the_users_own_block() {
        let (blend, train) = fitted("itemknn,ease", "0.5,0.5");
        let n_items = train.n_items();
        let block_of_item = |i: u32| (i as usize * 2) / n_items;
        for user in 0..train.n_users() {
            let seen = train.matrix.row_indices(user);
            let Some(&first) = seen.first() else { continue };
            let block = block_of_item(first);
            let unseen_in_block = n_items / 2 - seen.len();
            let top = blend.recommend(user as u32, unseen_in_block.min(3), seen);
            for s in top {
                assert_eq!(
                    block_of_item(s.item),
                    block,
                    "user {user} got item {}",
                    s.item
                );
            }
        }
    }

    #[test]
    fn a_single_component_ranks_like_that_component() {
        let (blend, train) = fitted("ease", "1");
        let mut ease = registry::build("ease", &[], 7).expect("ease builds");
        ease.fit(&train, &NoProgress).expect("ease fits");
        for user in [0u32, 5, 17] {
            let a: Vec<u32> = blend
                .recommend(user, 5, &[])
                .iter()
                .map(|s| s.item)
                .collect();
            let b: Vec<u32> = ease
                .recommend(user, 5, &[])
                .iter()
                .map(|s| s.item)
                .collect();
            assert_eq!(a, b);
        }
    }

    #[test]
    fn state_round_trip_keeps_scores() {
        let (blend, _) = fitted("itemknn:pop", "0.7:0.3");
        let restored = Blend::from_state(&blend.state()).expect("state restores");
        let mut a = vec![0.0; blend.n_items()];
        let mut b = vec![0.0; blend.n_items()];
        for user in [0u32, 11, 39] {
            blend.score_user(user, &mut a);
            restored.score_user(user, &mut b);
            assert_eq!(a, b);
        }
        blend.score_history(&[(3, 1.0)], &mut a);
        restored.score_history(&[(3, 1.0)], &mut b);
        assert_eq!(a, b);
    }

    #[test]
    fn batch_scores_equal_single_user_scores() {
        let (blend, _) = fitted("itemknn,userknn", "0.5,0.5");
        let n = blend.n_items();
        let users = [2u32, 9, 30];
        let mut batch = vec![0.0; users.len() * n];
        blend.score_users(&users, &mut batch);
        let mut single = vec![0.0; n];
        for (row, &user) in batch.chunks_exact(n).zip(&users) {
            blend.score_user(user, &mut single);
            assert_eq!(row, single.as_slice());
        }
    }

    #[test]
    fn invalid_parameters_are_refused() {
        let train = TrainSet::from_matrix(planted_blocks(10, 10, 2, 0.5, 1));
        for (models, weights) in [
            ("ease,als", "1"),
            ("ease", "-1"),
            ("ease", "0"),
            ("blend", "1"),
            ("", ""),
            ("nosuchmodel", "1"),
        ] {
            let mut blend = Blend::new(params(models, weights), 0);
            assert!(
                blend.fit(&train, &NoProgress).is_err(),
                "models={models} weights={weights} should be refused"
            );
        }
    }

    #[test]
    fn standardise_gives_zero_mean_unit_variance() {
        let mut v = vec![1.0, 2.0, 3.0, 4.0];
        standardise(&mut v);
        let mean: f32 = v.iter().sum::<f32>() / 4.0;
        let var: f32 = v.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / 4.0;
        assert!(mean.abs() < 1e-6 && (var - 1.0).abs() < 1e-5);
        let mut flat = vec![2.0; 3];
        standardise(&mut flat);
        assert_eq!(flat, vec![0.0; 3]);
    }
}
