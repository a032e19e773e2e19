//! chatrec-models: recommenders behind one [`Recommender`] trait, rating predictors behind
//! [`RatingPredictor`], their persisted form, and offline evaluation.
//!
//! Models work on dense indices (`u32` users and items, as assigned by
//! [`chatrec_core::IdMap`]); [`TrainedModel`] pairs a fitted model with the id maps so
//! that it can be saved and used later by external ids.

pub mod algorithms;
pub mod batch;
pub mod error;
pub mod eval;
pub mod params;
pub mod persist;
pub mod progress;
pub mod recommender;
pub mod registry;
pub mod topk;
pub mod train;

pub use error::ModelError;
pub use persist::TrainedModel;
pub use progress::{NoProgress, Progress};
pub use recommender::{RatingPredictor, Recommender, Scored};
pub use train::TrainSet;
