//! Cold-start items: collaborative factors for items nobody has interacted with yet,
//! mapped from their content.
//!
//! A trained ALS model knows an item only through its factors, learned from interactions;
//! a new item has none. [`ColdStartMap`] learns a ridge regression from content features
//! (the item's text embedding, optionally with a hashed bag of its knowledge-graph facts,
//! see [`features`]) to the ALS factors of the warm items, as in Gantner et al.,
//! "Learning attribute-to-feature mappings for cold-start recommendations" (ICDM 2010).
//! A new item's mapped factors are then scored against the existing user factors like any
//! other item: [`ColdStartMap::append_items`] returns the ALS model with the new items
//! added, ready to recommend them without retraining.
//!
//! [`ContentRecommender`] is the pure-content alternative (user profile = mean embedding
//! of the user's items), and [`evaluation`] measures both on items hidden from training.
//! The reasoning and the measured figures are in docs/cold-start.md.

mod attach;
pub mod content;
pub mod evaluation;
pub mod features;
pub mod ridge;

use chatrec_models::eval::EvalError;
use chatrec_models::ModelError;
use thiserror::Error;

use crate::dense::ShapeError;
use crate::embed::EmbedError;

pub use attach::warm_items;
pub use content::ContentRecommender;
pub use evaluation::{
    evaluate_cold_items, hide_items, summarise, ColdStartEvalOptions, ColdStartRun, HiddenItems,
    MethodResult, MethodSummary,
};
pub use features::{concat_features, kg_features};
pub use ridge::{user_metric, ColdStartMap, LambdaTrial, MapOptions, MapSearch};

/// Everything that can go wrong when fitting or applying a cold-start map.
#[derive(Debug, Error)]
pub enum ColdStartError {
    #[error("invalid {name}: {reason}")]
    InvalidInput { name: String, reason: String },
    #[error("numerical failure in the cold-start map: {0}")]
    Numerical(String),
    #[error(transparent)]
    Shape(#[from] ShapeError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error(transparent)]
    Eval(#[from] EvalError),
}
