//! all-MiniLM-L6-v2 run in-process: BERT from candle-transformers on the CPU in f32, the
//! WordPiece tokenizer from `tokenizer.json`, mean pooling over real tokens, L2
//! normalisation; the same pipeline as sentence-transformers, so the vectors agree with
//! its output (cosine >= 0.9999 on the reference sentences in `tests/data`).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use tokenizers::{Tokenizer, TruncationParams};

use super::fetch::{hex, sha256_file};
use super::{EmbedError, TextEmbedder};
use crate::dense::DenseMatrix;

/// Tokens per text, special tokens included: `max_seq_length` in the model's
/// `sentence_bert_config.json`. Longer texts are cut, as sentence-transformers does.
pub const MINILM_MAX_TOKENS: usize = 256;

/// Texts per forward pass unless [`MiniLm::with_batch_size`] says otherwise
/// (sentence-transformers' default too).
pub const MINILM_DEFAULT_BATCH: usize = 32;

/// Name in model ids; the first 8 hex digits of the weights' SHA-256 follow it.
const MODEL_NAME: &str = "all-MiniLM-L6-v2";

const WEIGHTS: &str = "model.safetensors";
const TOKENIZER: &str = "tokenizer.json";
const CONFIG: &str = "config.json";

/// The sentence-embedding model, loaded and ready. Cheap to share: `embed` takes `&self`
/// and may be called from several threads.
pub struct MiniLm {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
    id: String,
    dim: usize,
    batch_size: usize,
}

impl std::fmt::Debug for MiniLm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MiniLm")
            .field("id", &self.id)
            .field("dim", &self.dim)
            .field("batch_size", &self.batch_size)
            .finish_non_exhaustive()
    }
}

fn missing(dir: &Path, reason: String) -> EmbedError {
    EmbedError::ModelMissing {
        dir: dir.display().to_string(),
        reason,
    }
}

fn invalid(path: &Path, reason: impl std::fmt::Display) -> EmbedError {
    EmbedError::ModelInvalid {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

/// Fails with [`EmbedError::ModelMissing`] unless the three model files are in `dir`.
fn check_files(dir: &Path) -> Result<(), EmbedError> {
    if !dir.is_dir() {
        return Err(missing(dir, "the directory does not exist".to_owned()));
    }
    let absent: Vec<&str> = [WEIGHTS, TOKENIZER, CONFIG]
        .into_iter()
        .filter(|name| !dir.join(name).is_file())
        .collect();
    if !absent.is_empty() {
        return Err(missing(dir, format!("{} missing", absent.join(", "))));
    }
    Ok(())
}

fn model_id_from_digest(hex_digest: &str) -> String {
    format!("{MODEL_NAME}@{}", &hex_digest[..8.min(hex_digest.len())])
}

fn read_config(dir: &Path) -> Result<Config, EmbedError> {
    let path = dir.join(CONFIG);
    let text = std::fs::read_to_string(&path).map_err(|e| invalid(&path, e))?;
    serde_json::from_str(&text).map_err(|e| invalid(&path, e))
}

/// The model id of the weights in `dir` (e.g. `all-MiniLM-L6-v2@53aa5117`) without loading
/// them: hashing is all it costs.
pub fn minilm_model_id(dir: &Path) -> Result<String, EmbedError> {
    check_files(dir)?;
    Ok(model_id_from_digest(&sha256_file(&dir.join(WEIGHTS))?))
}

impl MiniLm {
    /// Loads the weights, tokenizer and config from `dir` (as written by
    /// `chatrec models fetch minilm`).
    pub fn load(dir: &Path) -> Result<MiniLm, EmbedError> {
        check_files(dir)?;
        let config = read_config(dir)?;

        let tokenizer_path = dir.join(TOKENIZER);
        let mut tokenizer =
            Tokenizer::from_file(&tokenizer_path).map_err(|e| invalid(&tokenizer_path, e))?;
        // tokenizer.json ships with truncation at 128 and fixed padding to 128, the
        // settings of a different pipeline; sentence-transformers cuts at 256 and pads to
        // the longest text of a batch, which `embed` does itself after sorting by length.
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MINILM_MAX_TOKENS,
                ..TruncationParams::default()
            }))
            .map_err(|e| invalid(&tokenizer_path, e))?;
        tokenizer.with_padding(None);

        let weights_path = dir.join(WEIGHTS);
        let bytes = std::fs::read(&weights_path).map_err(|e| invalid(&weights_path, e))?;
        let id = model_id_from_digest(&hex(&Sha256::digest(&bytes)));
        let device = Device::Cpu;
        let tensors = candle_core::safetensors::load_buffer(&bytes, &device)
            .map_err(|e| invalid(&weights_path, e))?;
        drop(bytes);
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &device);
        let model = BertModel::load(vb, &config).map_err(|e| invalid(&weights_path, e))?;
        Ok(MiniLm {
            model,
            tokenizer,
            device,
            id,
            dim: config.hidden_size,
            batch_size: MINILM_DEFAULT_BATCH,
        })
    }

    /// Texts per forward pass (at least 1). Larger batches amortise per-call overhead;
    /// smaller ones waste less on padding.
    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Token ids of `text` as the model sees them ([CLS] … [SEP], cut at
    /// [`MINILM_MAX_TOKENS`]).
    pub fn token_ids(&self, text: &str) -> Result<Vec<u32>, EmbedError> {
        let encoding = self
            .tokenizer
            .encode(text, true)
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        Ok(encoding.get_ids().to_vec())
    }

    /// One forward pass over texts of similar length: pads to the longest, runs BERT,
    /// averages the real tokens' states and writes unit vectors into `out` rows `rows`.
    fn embed_batch(&self, ids: &[&[u32]]) -> Result<Vec<f32>, EmbedError> {
        let inference = |e: candle_core::Error| EmbedError::Inference(e.to_string());
        let batch = ids.len();
        let len = ids.iter().map(|t| t.len()).max().unwrap_or(0).max(1);
        let mut input = vec![0u32; batch * len];
        let mut mask = vec![0u32; batch * len];
        for (b, tokens) in ids.iter().enumerate() {
            input[b * len..b * len + tokens.len()].copy_from_slice(tokens);
            mask[b * len..b * len + tokens.len()].fill(1);
        }
        let input_ids = Tensor::from_vec(input, (batch, len), &self.device).map_err(inference)?;
        let token_types = input_ids.zeros_like().map_err(inference)?;
        let attention = Tensor::from_vec(mask, (batch, len), &self.device).map_err(inference)?;
        let hidden = self
            .model
            .forward(&input_ids, &token_types, Some(&attention))
            .map_err(inference)?;
        let hidden: Vec<f32> = hidden
            .flatten_all()
            .and_then(|t| t.to_vec1())
            .map_err(inference)?;
        let dim = self.dim;
        if hidden.len() != batch * len * dim {
            return Err(EmbedError::Inference(format!(
                "the model returned {} values for a {batch} x {len} x {dim} batch",
                hidden.len()
            )));
        }
        let mut pooled = vec![0.0f32; batch * dim];
        for (b, (tokens, target)) in ids.iter().zip(pooled.chunks_exact_mut(dim)).enumerate() {
            let real = tokens.len().max(1);
            for t in 0..tokens.len() {
                let state = &hidden[(b * len + t) * dim..(b * len + t + 1) * dim];
                for (acc, x) in target.iter_mut().zip(state) {
                    *acc += x;
                }
            }
            for x in target.iter_mut() {
                *x /= real as f32;
            }
            crate::dense::normalize(target);
        }
        Ok(pooled)
    }
}

impl TextEmbedder for MiniLm {
    fn model_id(&self) -> &str {
        &self.id
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn embed(&self, texts: &[&str]) -> Result<DenseMatrix, EmbedError> {
        let mut out = DenseMatrix::zeros(texts.len(), self.dim);
        if texts.is_empty() {
            return Ok(out);
        }
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        // Texts of similar length share a batch, so little compute goes into padding;
        // rows are written back at their input positions.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| encodings[i].get_ids().len());
        // Whole batches run in parallel, each on one thread: on a few cores that beats
        // splitting every operation across threads, which spends its time in barriers
        // (see docs/embeddings.md on CANDLE_NUM_THREADS).
        let chunks: Vec<&[usize]> = order.chunks(self.batch_size).collect();
        let pooled: Vec<Vec<f32>> = chunks
            .par_iter()
            .map(|chunk| {
                let ids: Vec<&[u32]> = chunk.iter().map(|&i| encodings[i].get_ids()).collect();
                self.embed_batch(&ids)
            })
            .collect::<Result<_, _>>()?;
        for (chunk, vectors) in chunks.iter().zip(&pooled) {
            for (&row, v) in chunk.iter().zip(vectors.chunks_exact(self.dim)) {
                out.row_mut(row).copy_from_slice(v);
            }
        }
        Ok(out)
    }
}

/// A [`MiniLm`] that loads its weights on the first call to `embed`: the model id and
/// dimension are known up front (from a hash and the config), so a run whose texts are all
/// cached never pays for loading the model.
pub struct LazyMiniLm {
    dir: PathBuf,
    id: String,
    dim: usize,
    batch_size: usize,
    model: OnceLock<MiniLm>,
    loading: Mutex<()>,
}

impl std::fmt::Debug for LazyMiniLm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyMiniLm")
            .field("dir", &self.dir)
            .field("id", &self.id)
            .field("loaded", &self.is_loaded())
            .finish()
    }
}

impl LazyMiniLm {
    /// Checks that the model is in `dir` and computes its id; loads nothing else.
    pub fn new(dir: &Path) -> Result<LazyMiniLm, EmbedError> {
        let id = minilm_model_id(dir)?;
        let dim = read_config(dir)?.hidden_size;
        Ok(LazyMiniLm {
            dir: dir.to_path_buf(),
            id,
            dim,
            batch_size: MINILM_DEFAULT_BATCH,
            model: OnceLock::new(),
            loading: Mutex::new(()),
        })
    }

    /// Texts per forward pass once loaded (see [`MiniLm::with_batch_size`]).
    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// Whether the weights have been loaded (by an `embed` call or [`LazyMiniLm::get`]).
    pub fn is_loaded(&self) -> bool {
        self.model.get().is_some()
    }

    /// The loaded model, loading it now if needed.
    pub fn get(&self) -> Result<&MiniLm, EmbedError> {
        if let Some(model) = self.model.get() {
            return Ok(model);
        }
        // One loader at a time: a second caller waits instead of loading another copy.
        let _guard = self.loading.lock().unwrap_or_else(|p| p.into_inner());
        if self.model.get().is_none() {
            let model = MiniLm::load(&self.dir)?.with_batch_size(self.batch_size);
            if model.model_id() != self.id {
                return Err(invalid(
                    &self.dir.join(WEIGHTS),
                    "the weights changed on disk after the model id was computed",
                ));
            }
            let _ = self.model.set(model);
        }
        self.model
            .get()
            .ok_or_else(|| EmbedError::Inference("the model failed to initialise".to_owned()))
    }
}

impl TextEmbedder for LazyMiniLm {
    fn model_id(&self) -> &str {
        &self.id
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn embed(&self, texts: &[&str]) -> Result<DenseMatrix, EmbedError> {
        if texts.is_empty() {
            return Ok(DenseMatrix::zeros(0, self.dim));
        }
        self.get()?.embed(texts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn embedders_can_be_shared_between_threads() {
        assert_send_sync::<MiniLm>();
        assert_send_sync::<LazyMiniLm>();
    }

    #[test]
    fn model_id_names_the_model_and_a_short_digest() {
        assert_eq!(
            model_id_from_digest(
                "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
            ),
            "all-MiniLM-L6-v2@53aa5117"
        );
    }

    #[test]
    fn a_missing_model_says_how_to_fetch_it() {
        let dir = tempfile::tempdir().unwrap();
        let err = MiniLm::load(&dir.path().join("nowhere")).unwrap_err();
        assert!(matches!(err, EmbedError::ModelMissing { .. }));
        assert!(
            err.to_string().contains("chatrec models fetch minilm"),
            "{err}"
        );

        std::fs::write(dir.path().join(CONFIG), "{}").unwrap();
        let err = LazyMiniLm::new(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("model.safetensors, tokenizer.json missing"),
            "{err}"
        );
    }

    #[test]
    fn damaged_files_are_invalid_not_missing() {
        let dir = tempfile::tempdir().unwrap();
        for name in [WEIGHTS, TOKENIZER, CONFIG] {
            std::fs::write(dir.path().join(name), "not what it should be").unwrap();
        }
        let err = MiniLm::load(dir.path()).unwrap_err();
        assert!(matches!(err, EmbedError::ModelInvalid { .. }), "{err}");
    }
}
