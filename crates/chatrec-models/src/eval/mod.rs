//! Offline evaluation: splits, metrics, runs, reports and tuning.

pub mod error;
pub mod metrics;
pub mod report;
pub mod runner;
pub mod split;
pub mod tune;

pub use error::EvalError;
pub use runner::{
    evaluate_ranking, evaluate_rating, rating_cases, relevant_matrix, RankingReport, RatingReport,
};
pub use split::{split, validation_split, Split, SplitSpec};
pub use tune::{search, SearchSpace, Setting, Strategy, Trial, TuneResult};
