use thiserror::Error;

/// Everything that can go wrong when building, fitting, saving or loading a model.
#[derive(Debug, Error)]
pub enum ModelError {
    #[error("unknown model `{name}`; available: {available}")]
    UnknownModel { name: String, available: String },
    #[error("invalid parameter `{name}` for model `{model}`: {reason}")]
    InvalidParam {
        model: String,
        name: String,
        reason: String,
    },
    #[error("model `{0}` cannot predict ratings; use one of the rating models")]
    NotARatingModel(String),
    #[error("training data is empty: {0}")]
    EmptyTrainingData(String),
    #[error("numerical failure in {model}: {reason}")]
    Numerical { model: String, reason: String },
    #[error("model file {path}: {reason}")]
    Format { path: String, reason: String },
    #[error("I/O error on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}
