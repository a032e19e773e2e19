//! Hyper-parameter search over a grid of candidate values.
//!
//! The search knows nothing about models: a [`SearchSpace`] lists candidate values per
//! parameter as strings (the `key=value` form the CLI and [`crate::params`] read), and the
//! caller's objective fits a model with one combination on a training part and scores it
//! on a validation part carved from training data only
//! ([`super::split::validation_split`]), so that test data never guides the choice.
//! Higher objective values are better; negate losses such as RMSE.
//!
//! Strategies: [`Strategy::Grid`] tries every combination, in odometer order (the last
//! parameter varies fastest); [`Strategy::Random`] tries `trials` distinct combinations
//! drawn uniformly without replacement from the grid (Bergstra & Bengio, 2012, random
//! search), all of them in random order when `trials` is at least the grid size.
//!
//! Determinism: the random draw comes from a ChaCha8 generator seeded with the strategy's
//! seed; trials run one after another in the drawn order, so the trial list is the same
//! for the same space and seed. The best trial is the highest score, the earliest on ties;
//! NaN scores rank below every number.

use std::cmp::Ordering;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::error::EvalError;

/// One parameter setting, `(name, value)`, as the CLI's `name=value`.
pub type Setting = (String, String);

/// Candidate values per parameter name, in the order combinations are enumerated.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SearchSpace(pub Vec<(String, Vec<String>)>);

impl SearchSpace {
    /// Parses CLI arguments of the form `name=v1,v2,v3`.
    pub fn from_args(args: &[String]) -> Result<Self, EvalError> {
        let mut params = Vec::with_capacity(args.len());
        for arg in args {
            let Some((name, values)) = arg.split_once('=') else {
                return Err(EvalError::InvalidSearchSpace(format!(
                    "`{arg}` is not of the form name=value1,value2,..."
                )));
            };
            let values: Vec<String> = values
                .split(',')
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .collect();
            params.push((name.trim().to_owned(), values));
        }
        let space = SearchSpace(params);
        space.validate()?;
        Ok(space)
    }

    /// Number of combinations; an error for a parameter without candidates, a repeated
    /// parameter or a grid too large to count.
    pub fn size(&self) -> Result<usize, EvalError> {
        self.validate()?;
        self.0.iter().try_fold(1usize, |acc, (_, values)| {
            acc.checked_mul(values.len()).ok_or_else(|| {
                EvalError::InvalidSearchSpace("the grid has too many combinations".into())
            })
        })
    }

    fn validate(&self) -> Result<(), EvalError> {
        for (i, (name, values)) in self.0.iter().enumerate() {
            if name.is_empty() {
                return Err(EvalError::InvalidSearchSpace(
                    "a parameter has an empty name".into(),
                ));
            }
            if values.is_empty() {
                return Err(EvalError::InvalidSearchSpace(format!(
                    "parameter `{name}` has no candidate values"
                )));
            }
            if self.0[..i].iter().any(|(earlier, _)| earlier == name) {
                return Err(EvalError::InvalidSearchSpace(format!(
                    "parameter `{name}` is listed twice"
                )));
            }
        }
        Ok(())
    }

    /// The combination at `index` of the odometer order (last parameter fastest).
    fn combination(&self, mut index: usize) -> Vec<Setting> {
        let mut out: Vec<Setting> = Vec::with_capacity(self.0.len());
        for (name, values) in self.0.iter().rev() {
            out.push((name.clone(), values[index % values.len()].clone()));
            index /= values.len();
        }
        out.reverse();
        out
    }
}

/// How combinations are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Strategy {
    /// Every combination.
    Grid,
    /// `trials` distinct combinations drawn with a generator seeded by `seed`.
    Random { trials: usize, seed: u64 },
}

/// One evaluated combination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trial {
    pub params: Vec<Setting>,
    pub score: f64,
}

/// All trials in the order they ran, and the best of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TuneResult {
    pub trials: Vec<Trial>,
    pub best: Trial,
}

/// Runs `objective` on the combinations chosen by `strategy` and returns every trial with
/// the best one. Stops at the first objective error and returns it.
pub fn search<E: From<EvalError>>(
    space: &SearchSpace,
    strategy: Strategy,
    objective: &mut dyn FnMut(&[Setting]) -> Result<f64, E>,
) -> Result<TuneResult, E> {
    let size = space.size()?;
    let order: Vec<usize> = match strategy {
        Strategy::Grid => (0..size).collect(),
        Strategy::Random { trials, seed } => {
            if trials == 0 {
                return Err(EvalError::InvalidSearchSpace(
                    "random search needs at least one trial".into(),
                )
                .into());
            }
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rand::seq::index::sample(&mut rng, size, trials.min(size)).into_vec()
        }
    };
    let mut trials: Vec<Trial> = Vec::with_capacity(order.len());
    let mut best_index = 0;
    for index in order {
        let params = space.combination(index);
        let score = objective(&params)?;
        trials.push(Trial { params, score });
        if better(score, trials[best_index].score) {
            best_index = trials.len() - 1;
        }
    }
    let best = trials[best_index].clone();
    Ok(TuneResult { trials, best })
}

/// Strictly better, with NaN below every number.
fn better(candidate: f64, incumbent: f64) -> bool {
    match (candidate.is_nan(), incumbent.is_nan()) {
        (true, _) => false,
        (false, true) => true,
        (false, false) => candidate.partial_cmp(&incumbent) == Some(Ordering::Greater),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space() -> SearchSpace {
        SearchSpace::from_args(&["factors=8,16,32".to_owned(), "reg=0.1, 1".to_owned()]).unwrap()
    }

    fn value(params: &[(String, String)], name: &str) -> f64 {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.parse().unwrap())
            .unwrap()
    }

    /// Peaks at factors = 16, reg = 1.
    fn objective(params: &[(String, String)]) -> Result<f64, EvalError> {
        Ok(-(value(params, "factors") - 16.0).abs() - (value(params, "reg") - 1.0).abs())
    }

    #[test]
    fn grid_tries_every_combination_in_odometer_order_and_finds_the_peak() {
        let result = search(&space(), Strategy::Grid, &mut objective).unwrap();
        let tried: Vec<String> = result
            .trials
            .iter()
            .map(|t| format!("{}/{}", t.params[0].1, t.params[1].1))
            .collect();
        assert_eq!(tried, ["8/0.1", "8/1", "16/0.1", "16/1", "32/0.1", "32/1"]);
        assert_eq!(
            result.best.params,
            vec![
                ("factors".to_owned(), "16".to_owned()),
                ("reg".to_owned(), "1".to_owned())
            ]
        );
        assert_eq!(result.best.score, 0.0);
    }

    #[test]
    fn random_search_draws_distinct_combinations_reproducibly() {
        let run = |seed| {
            search(
                &space(),
                Strategy::Random { trials: 4, seed },
                &mut objective,
            )
            .unwrap()
        };
        let a = run(9);
        assert_eq!(a.trials.len(), 4);
        let mut distinct: Vec<_> = a.trials.iter().map(|t| t.params.clone()).collect();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), 4);
        assert_eq!(a, run(9));
        // Asking for more trials than combinations runs the whole grid once.
        let all = search(
            &space(),
            Strategy::Random {
                trials: 50,
                seed: 1,
            },
            &mut objective,
        )
        .unwrap();
        assert_eq!(all.trials.len(), 6);
        assert_eq!(all.best.score, 0.0);
        // Over a few seeds the draw order changes.
        let orders: Vec<Vec<_>> = (0..5)
            .map(|s| run(s).trials.into_iter().map(|t| t.params).collect())
            .collect();
        assert!(orders.iter().any(|o| o != &orders[0]));
    }

    #[test]
    fn ties_go_to_the_earliest_and_nan_ranks_last() {
        let mut scores = [f64::NAN, 0.5, 0.5, f64::NAN].into_iter();
        let space = SearchSpace(vec![(
            "x".into(),
            vec!["a".into(), "b".into(), "c".into(), "d".into()],
        )]);
        let result = search(&space, Strategy::Grid, &mut |_| {
            Ok::<_, EvalError>(scores.next().unwrap())
        })
        .unwrap();
        assert_eq!(result.best.params[0].1, "b");
    }

    #[test]
    fn objective_errors_stop_the_search() {
        let mut calls = 0;
        let err = search(&space(), Strategy::Grid, &mut |_| {
            calls += 1;
            if calls == 2 {
                Err(EvalError::NothingToEvaluate("boom".into()))
            } else {
                Ok(1.0)
            }
        })
        .unwrap_err();
        assert!(err.to_string().contains("boom"));
        assert_eq!(calls, 2);
    }

    #[test]
    fn invalid_spaces_are_rejected() {
        assert!(SearchSpace::from_args(&["factors".to_owned()]).is_err());
        assert!(SearchSpace::from_args(&["factors=".to_owned()]).is_err());
        assert!(SearchSpace::from_args(&["a=1".to_owned(), "a=2".to_owned()]).is_err());
        let err = search(
            &space(),
            Strategy::Random { trials: 0, seed: 0 },
            &mut objective,
        );
        assert!(err.is_err());
        // No parameters: one trial with the defaults.
        let defaults = search(&SearchSpace::default(), Strategy::Grid, &mut |p| {
            Ok::<_, EvalError>(p.len() as f64)
        })
        .unwrap();
        assert_eq!(defaults.trials.len(), 1);
        assert!(defaults.best.params.is_empty());
    }
}
