//! Embedding a whole catalog: one vector per item text, through the on-disk cache, with
//! progress. Texts already cached cost no model call at all, so with a lazy embedder
//! ([`super::LazyMiniLm`]) a fully cached catalog does not even load the model.

use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use chatrec_core::Catalog;
use chatrec_models::Progress;

use super::cache::{text_key, EmbeddingCache, TextKey};
use super::{EmbedError, TextEmbedder};
use crate::dense::DenseMatrix;
use crate::item_text::item_text;

/// Texts per call to the embedder: large enough for the model to sort by length and fill
/// its batches, small enough for the progress bar to move.
const CHUNK: usize = 256;

/// The text of every catalog item, in catalog order, as [`item_text`] builds it with no
/// facts (MovieLens-100K's knowledge graph has only opaque ids, which mean nothing to a
/// language model).
pub fn catalog_texts(catalog: &Catalog) -> Vec<String> {
    catalog
        .items()
        .iter()
        .map(|item| item_text(item, &[]))
        .collect()
}

/// What [`embed_catalog_detailed`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogEmbedding {
    /// One unit row per input text, in input order.
    pub vectors: DenseMatrix,
    /// Rows whose vectors came from the cache.
    pub cached: usize,
    /// Distinct texts the model embedded in this call.
    pub embedded: usize,
    /// Seconds spent in the embedder (zero when everything was cached).
    pub embed_seconds: f64,
}

/// Embeds `texts` (one row each, in order), taking what it can from `cache` and adding
/// what it computes to it. Equal texts are embedded once.
pub fn embed_catalog(
    embedder: &dyn TextEmbedder,
    texts: &[String],
    cache: Option<&EmbeddingCache>,
    progress: &dyn Progress,
) -> Result<DenseMatrix, EmbedError> {
    embed_catalog_detailed(embedder, texts, cache, progress).map(|done| done.vectors)
}

/// [`embed_catalog`] with counts of cached and newly embedded texts.
pub fn embed_catalog_detailed(
    embedder: &dyn TextEmbedder,
    texts: &[String],
    cache: Option<&EmbeddingCache>,
    progress: &dyn Progress,
) -> Result<CatalogEmbedding, EmbedError> {
    let model_id = embedder.model_id();
    let dim = embedder.dim();
    let mut vectors = DenseMatrix::zeros(texts.len(), dim);
    let keys: Vec<TextKey> = texts.iter().map(|t| text_key(t)).collect();

    let found = match cache {
        Some(cache) => cache.lookup(model_id, dim, &keys)?,
        None => vec![None; texts.len()],
    };
    let mut cached = 0;
    // Distinct missing texts, each with every row that needs its vector.
    let mut pending: HashMap<TextKey, Vec<usize>> = HashMap::new();
    let mut todo: Vec<usize> = Vec::new();
    for (row, hit) in found.into_iter().enumerate() {
        match hit {
            Some(v) => {
                vectors.row_mut(row).copy_from_slice(&v);
                cached += 1;
            }
            None => {
                let rows = pending.entry(keys[row]).or_default();
                if rows.is_empty() {
                    todo.push(row);
                }
                rows.push(row);
            }
        }
    }

    let mut embed_seconds = 0.0;
    if !todo.is_empty() {
        // Similar lengths side by side: each chunk then pads little inside the model.
        todo.sort_by_key(|&row| texts[row].len());
        progress.start("embedding item texts", todo.len() as u64);
        let started = Instant::now();
        let result = embed_pending(
            embedder,
            texts,
            &keys,
            &todo,
            &pending,
            cache,
            &mut vectors,
            progress,
        );
        embed_seconds = started.elapsed().as_secs_f64();
        progress.finish();
        // Whatever was embedded before a failure is kept, so a retry resumes from there.
        let saved = cache.map(EmbeddingCache::save).unwrap_or(Ok(()));
        result?;
        saved?;
    }
    Ok(CatalogEmbedding {
        vectors,
        cached,
        embedded: todo.len(),
        embed_seconds,
    })
}

#[allow(clippy::too_many_arguments)]
fn embed_pending(
    embedder: &dyn TextEmbedder,
    texts: &[String],
    keys: &[TextKey],
    todo: &[usize],
    pending: &HashMap<TextKey, Vec<usize>>,
    cache: Option<&EmbeddingCache>,
    vectors: &mut DenseMatrix,
    progress: &dyn Progress,
) -> Result<(), EmbedError> {
    let model_id = embedder.model_id();
    for chunk in todo.chunks(CHUNK) {
        let batch: Vec<&str> = chunk.iter().map(|&row| texts[row].as_str()).collect();
        let got = embedder.embed(&batch)?;
        if got.rows() != chunk.len() || got.dim() != vectors.dim() {
            return Err(EmbedError::Inference(format!(
                "{model_id} returned a {} x {} matrix for {} texts of dimension {}",
                got.rows(),
                got.dim(),
                chunk.len(),
                vectors.dim()
            )));
        }
        for (i, &row) in chunk.iter().enumerate() {
            for &target in pending.get(&keys[row]).map(Vec::as_slice).unwrap_or(&[]) {
                vectors.row_mut(target).copy_from_slice(got.row(i));
            }
        }
        if let Some(cache) = cache {
            let chunk_keys: Vec<TextKey> = chunk.iter().map(|&row| keys[row]).collect();
            cache.insert(model_id, &chunk_keys, &got)?;
        }
        progress.advance(chunk.len() as u64);
    }
    Ok(())
}

/// Writes item vectors as a safetensors file: tensor `embeddings` (F32, items x dim) and
/// metadata `model_id`, `item_ids` (a JSON array, row order). Written under a temporary
/// name and renamed, so readers never see half a file.
pub fn save_embeddings(
    path: &Path,
    vectors: &DenseMatrix,
    model_id: &str,
    item_ids: &[String],
) -> Result<(), EmbedError> {
    let fail = |reason: String| EmbedError::Io {
        context: format!("cannot write {}", path.display()),
        source: std::io::Error::other(reason),
    };
    if item_ids.len() != vectors.rows() {
        return Err(fail(format!(
            "{} item ids for {} vectors",
            item_ids.len(),
            vectors.rows()
        )));
    }
    let bytes = vectors.as_slice().len() * 4;
    let ids = serde_json::to_string(item_ids).map_err(|e| fail(e.to_string()))?;
    let header = serde_json::json!({
        "__metadata__": { "model_id": model_id, "item_ids": ids },
        "embeddings": {
            "dtype": "F32",
            "shape": [vectors.rows(), vectors.dim()],
            "data_offsets": [0, bytes],
        },
    });
    let mut header = serde_json::to_vec(&header).map_err(|e| fail(e.to_string()))?;
    // The format asks for the data to start 8-byte aligned; spaces are valid JSON padding.
    while !header.len().is_multiple_of(8) {
        header.push(b' ');
    }
    let io = |e: std::io::Error| EmbedError::Io {
        context: format!("cannot write {}", path.display()),
        source: e,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io)?;
    let tmp = tempfile::Builder::new()
        .prefix(".embeddings-")
        .tempfile_in(dir)
        .map_err(io)?;
    {
        let mut out = BufWriter::new(tmp.as_file());
        out.write_all(&(header.len() as u64).to_le_bytes())
            .map_err(io)?;
        out.write_all(&header).map_err(io)?;
        for x in vectors.as_slice() {
            out.write_all(&x.to_le_bytes()).map_err(io)?;
        }
        out.flush().map_err(io)?;
    }
    super::cache::persist(tmp, path).map_err(io)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use chatrec_models::NoProgress;

    use super::*;
    use crate::embed::HashingEmbedder;

    /// Counts the texts it is asked to embed, to prove the cache spares the model.
    struct Counting {
        inner: HashingEmbedder,
        calls: AtomicUsize,
        texts: AtomicUsize,
    }

    impl Counting {
        fn new() -> Self {
            Counting {
                inner: HashingEmbedder::new(32),
                calls: AtomicUsize::new(0),
                texts: AtomicUsize::new(0),
            }
        }
    }

    impl TextEmbedder for Counting {
        fn model_id(&self) -> &str {
            self.inner.model_id()
        }
        fn dim(&self) -> usize {
            self.inner.dim()
        }
        fn embed(&self, texts: &[&str]) -> Result<DenseMatrix, EmbedError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            self.texts.fetch_add(texts.len(), Ordering::SeqCst);
            self.inner.embed(texts)
        }
    }

    fn texts() -> Vec<String> {
        [
            "Alien (1979).",
            "Heat (1995).",
            "Alien (1979).",
            "Fargo (1996). Genres: Crime.",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    #[test]
    fn rows_follow_input_order_and_equal_texts_are_embedded_once() {
        let embedder = Counting::new();
        let done = embed_catalog_detailed(&embedder, &texts(), None, &NoProgress).unwrap();
        assert_eq!(done.vectors.rows(), 4);
        assert_eq!(done.embedded, 3);
        assert_eq!(embedder.texts.load(Ordering::SeqCst), 3);
        let direct = HashingEmbedder::new(32).embed(&["Heat (1995)."]).unwrap();
        assert_eq!(done.vectors.row(1), direct.row(0));
        assert_eq!(done.vectors.row(0), done.vectors.row(2));
    }

    #[test]
    fn a_second_run_over_the_same_catalog_makes_no_model_call() {
        let dir = tempfile::tempdir().unwrap();
        let first = Counting::new();
        let cache = EmbeddingCache::new(dir.path());
        let a = embed_catalog(&first, &texts(), Some(&cache), &NoProgress).unwrap();

        let second = Counting::new();
        let reopened = EmbeddingCache::new(dir.path());
        let done = embed_catalog_detailed(&second, &texts(), Some(&reopened), &NoProgress).unwrap();
        assert_eq!(second.calls.load(Ordering::SeqCst), 0);
        assert_eq!((done.cached, done.embedded), (4, 0));
        assert_eq!(done.vectors, a);
    }

    #[test]
    fn only_new_texts_reach_the_model() {
        let dir = tempfile::tempdir().unwrap();
        let cache = EmbeddingCache::new(dir.path());
        embed_catalog(&Counting::new(), &texts(), Some(&cache), &NoProgress).unwrap();
        let mut more = texts();
        more.push("Se7en (1995).".to_owned());
        let counting = Counting::new();
        let done = embed_catalog_detailed(&counting, &more, Some(&cache), &NoProgress).unwrap();
        assert_eq!(counting.texts.load(Ordering::SeqCst), 1);
        assert_eq!((done.cached, done.embedded), (4, 1));
    }

    #[test]
    fn an_empty_catalog_gives_an_empty_matrix() {
        let done = embed_catalog(&Counting::new(), &[], None, &NoProgress).unwrap();
        assert_eq!((done.rows(), done.dim()), (0, 32));
    }

    #[test]
    fn saved_embeddings_read_back_as_safetensors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out/items.safetensors");
        let vectors = HashingEmbedder::new(8).embed(&["a", "b", "c"]).unwrap();
        let ids: Vec<String> = ["1", "2", "3"].iter().map(|s| s.to_string()).collect();
        save_embeddings(&path, &vectors, "hashing-8", &ids).unwrap();
        let tensors = candle_core::safetensors::load(&path, &candle_core::Device::Cpu).unwrap();
        let back: Vec<Vec<f32>> = tensors["embeddings"].to_vec2().unwrap();
        assert_eq!(back.len(), 3);
        assert_eq!(back[2], vectors.row(2));
        assert!(save_embeddings(&path, &vectors, "hashing-8", &ids[..2]).is_err());
    }
}
