//! Model names, construction from parameters, and reconstruction from saved state.

use crate::error::ModelError;
use crate::persist::ModelState;
use crate::recommender::Recommender;

/// Rebuilds a fitted model from its saved state.
pub fn from_state(state: &ModelState) -> Result<Box<dyn Recommender>, ModelError> {
    Err(ModelError::UnknownModel {
        name: state.model.clone(),
        available: String::new(),
    })
}
