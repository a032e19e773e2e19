//! Choosing the sentence embedder and getting the catalog's item vectors (from the on-disk
//! cache when possible), shared by every command that needs content vectors.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use chatrec_core::Catalog;
use chatrec_knowledge::dense::DenseMatrix;
use chatrec_knowledge::embed::{
    catalog_texts, embed_catalog, minilm_dir, EmbeddingCache, HashingEmbedder, LazyMiniLm,
    TextEmbedder,
};
use clap::{Args, ValueEnum};

use crate::progress::Bars;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EmbedderChoice {
    /// all-MiniLM-L6-v2 in-process (fetch it once with `chatrec models fetch minilm`).
    Minilm,
    /// Hashed words and trigrams: no model needed, no meaning beyond shared words.
    Hashing,
}

/// Flags of every command that embeds text.
#[derive(Debug, Clone, Args)]
pub struct EmbedderArgs {
    /// Sentence embedder for item texts and queries.
    #[arg(long, value_enum, default_value = "minilm")]
    pub embedder: EmbedderChoice,
    /// Directory with model.safetensors, tokenizer.json, config.json (default: DATA/models/minilm).
    #[arg(long)]
    pub model_dir: Option<PathBuf>,
    /// Embed everything again instead of reading and extending the vector cache.
    #[arg(long)]
    pub no_cache: bool,
}

/// Dimensions of the hashing embedder: enough to keep collisions rare for short item texts.
const HASHING_DIM: usize = 512;

pub fn embedder(args: &EmbedderArgs, data: &Path) -> Result<Arc<dyn TextEmbedder>> {
    Ok(match args.embedder {
        EmbedderChoice::Minilm => {
            let dir = args.model_dir.clone().unwrap_or_else(|| minilm_dir(data));
            Arc::new(LazyMiniLm::new(&dir)?)
        }
        EmbedderChoice::Hashing => Arc::new(HashingEmbedder::new(HASHING_DIM)),
    })
}

/// Unit vectors of every catalog item's text, in catalog order.
pub fn catalog_vectors(
    embedder: &dyn TextEmbedder,
    catalog: &Catalog,
    args: &EmbedderArgs,
    data: &Path,
    quiet: bool,
) -> Result<DenseMatrix> {
    let cache = (!args.no_cache && args.embedder == EmbedderChoice::Minilm)
        .then(|| EmbeddingCache::new(EmbeddingCache::default_dir(data)));
    let bars = Bars::new(quiet);
    embed_catalog(embedder, &catalog_texts(catalog), cache.as_ref(), &bars)
        .with_context(|| format!("cannot embed the catalog with {}", embedder.model_id()))
}
