//! The error type of offline evaluation.

use thiserror::Error;

use crate::error::ModelError;

/// The CLI forms a split specification may take, quoted in parse errors.
pub const ACCEPTED_SPLIT_FORMS: &str =
    "user-ratio:RATIO (e.g. user-ratio:0.8), leave-last-out, leave-last-out:N, \
     temporal:RATIO (e.g. temporal:0.8), external:TRAIN_FILE,TEST_FILE";

/// Everything that can go wrong while splitting, evaluating, reporting or tuning.
#[derive(Debug, Error)]
pub enum EvalError {
    #[error("invalid split `{spec}`: {reason}; accepted forms: {ACCEPTED_SPLIT_FORMS}")]
    InvalidSplitSpec { spec: String, reason: String },
    #[error(
        "an external split is read from its files by the caller (chatrec-core import), \
         it cannot be computed from one data set"
    )]
    ExternalSplit,
    #[error("a temporal split needs timestamps, and all interactions have the same time")]
    NoTimestamps,
    #[error(
        "interaction (user {user}, item {item}) lies outside the data set \
         ({n_users} users, {n_items} items)"
    )]
    InteractionOutOfRange {
        user: u32,
        item: u32,
        n_users: usize,
        n_items: usize,
    },
    #[error("the {part} part of the split is empty: {reason}")]
    EmptySplit { part: &'static str, reason: String },
    #[error("shapes do not match: {0}")]
    ShapeMismatch(String),
    #[error("invalid cut-off list {0:?}: give one or more positive k values")]
    InvalidCutoffs(Vec<usize>),
    #[error("nothing to evaluate: {0}")]
    NothingToEvaluate(String),
    #[error("invalid search space: {0}")]
    InvalidSearchSpace(String),
    #[error("could not serialise the report: {0}")]
    Serialize(#[from] serde_json::Error),
    #[error(transparent)]
    Model(#[from] ModelError),
}
