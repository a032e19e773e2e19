//! An on-disk cache of sentence embeddings, so embedding the same catalog twice costs no
//! model call the second time.
//!
//! A vector is keyed by the model id (one file per model, so vectors of two models never
//! mix) and the SHA-256 of the exact text. The directory (by default
//! `<data>/cache/embeddings/`) holds one file per model, `<model id>.emb`:
//!
//! ```text
//! magic "CHRECEMB" | version u32 | dim u32 | count u64 | id_len u32 | model id (UTF-8)
//! count x ( sha256(text) [32 bytes] | dim x f32 )        all integers little-endian
//! ```
//!
//! A file is read once, on the first use of its model, and written whole under a temporary
//! name then renamed, so a crash leaves either the old file or the new one.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use sha2::{Digest, Sha256};

use super::EmbedError;
use crate::dense::DenseMatrix;

const MAGIC: &[u8; 8] = b"CHRECEMB";
const VERSION: u32 = 1;
const KEY_BYTES: usize = 32;
/// Guards against allocating absurd amounts for a damaged header.
const MAX_DIM: usize = 1 << 16;
const MAX_ID_BYTES: usize = 4096;

/// The cache key of a text: the SHA-256 of its UTF-8 bytes.
pub type TextKey = [u8; KEY_BYTES];

/// SHA-256 of `text`, the key under which its vector is cached.
pub fn text_key(text: &str) -> TextKey {
    Sha256::digest(text.as_bytes()).into()
}

/// The vectors of one model, as loaded from (and to be written to) its file.
#[derive(Debug, Default)]
struct ModelVectors {
    dim: usize,
    index: HashMap<TextKey, usize>,
    keys: Vec<TextKey>,
    data: Vec<f32>,
    dirty: bool,
}

impl ModelVectors {
    fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    fn insert(&mut self, key: TextKey, vector: &[f32]) {
        match self.index.get(&key) {
            Some(&i) => {
                let dim = self.dim;
                self.data[i * dim..(i + 1) * dim].copy_from_slice(vector);
            }
            None => {
                self.index.insert(key, self.keys.len());
                self.keys.push(key);
                self.data.extend_from_slice(vector);
            }
        }
        self.dirty = true;
    }
}

/// Embedding vectors cached on disk per model and text; safe to share between threads.
#[derive(Debug)]
pub struct EmbeddingCache {
    dir: PathBuf,
    models: Mutex<HashMap<String, ModelVectors>>,
}

impl EmbeddingCache {
    /// A cache in `dir`; nothing is read or created until it is used.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        EmbeddingCache {
            dir: dir.into(),
            models: Mutex::new(HashMap::new()),
        }
    }

    /// The default cache directory of a data directory: `data_dir/cache/embeddings`.
    pub fn default_dir(data_dir: &Path) -> PathBuf {
        data_dir.join("cache").join("embeddings")
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file that holds the vectors of `model_id`.
    pub fn file_for(&self, model_id: &str) -> PathBuf {
        let safe: String = model_id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._@-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.dir.join(format!("{safe}.emb"))
    }

    fn lock(&self) -> Result<MutexGuard<'_, HashMap<String, ModelVectors>>, EmbedError> {
        self.models.lock().map_err(|_| EmbedError::Cache {
            path: self.dir.display().to_string(),
            reason: "a thread panicked while using the cache".to_owned(),
        })
    }

    /// The loaded vectors of `model_id`, reading its file on first use.
    fn model<'a>(
        &self,
        models: &'a mut HashMap<String, ModelVectors>,
        model_id: &str,
        dim: usize,
    ) -> Result<&'a mut ModelVectors, EmbedError> {
        if !models.contains_key(model_id) {
            let path = self.file_for(model_id);
            let loaded = if path.is_file() {
                read_file(&path, model_id)?
            } else {
                ModelVectors {
                    dim,
                    ..ModelVectors::default()
                }
            };
            models.insert(model_id.to_owned(), loaded);
        }
        let vectors = models
            .get_mut(model_id)
            .ok_or_else(|| cache_error(&self.file_for(model_id), "vanished while loading"))?;
        if vectors.dim != dim {
            return Err(cache_error(
                &self.file_for(model_id),
                &format!(
                    "holds {}-dimensional vectors but the model gives {dim}; delete the file \
                     (it is only a cache)",
                    vectors.dim
                ),
            ));
        }
        Ok(vectors)
    }

    /// The cached vector of each key, `None` where there is none.
    pub fn lookup(
        &self,
        model_id: &str,
        dim: usize,
        keys: &[TextKey],
    ) -> Result<Vec<Option<Vec<f32>>>, EmbedError> {
        let mut models = self.lock()?;
        let vectors = self.model(&mut models, model_id, dim)?;
        Ok(keys
            .iter()
            .map(|k| vectors.index.get(k).map(|&i| vectors.row(i).to_vec()))
            .collect())
    }

    /// Adds (or replaces) vectors in memory; [`EmbeddingCache::save`] writes them out.
    pub fn insert(
        &self,
        model_id: &str,
        keys: &[TextKey],
        vectors: &DenseMatrix,
    ) -> Result<(), EmbedError> {
        if keys.len() != vectors.rows() {
            return Err(cache_error(
                &self.file_for(model_id),
                &format!("{} keys for {} vectors", keys.len(), vectors.rows()),
            ));
        }
        let mut models = self.lock()?;
        let cached = self.model(&mut models, model_id, vectors.dim())?;
        for (key, row) in keys.iter().zip(vectors.iter_rows()) {
            cached.insert(*key, row);
        }
        Ok(())
    }

    /// How many vectors of `model_id` the cache holds (after loading its file).
    pub fn len(&self, model_id: &str, dim: usize) -> Result<usize, EmbedError> {
        let mut models = self.lock()?;
        Ok(self.model(&mut models, model_id, dim)?.keys.len())
    }

    /// Writes every model with new vectors to its file, atomically.
    pub fn save(&self) -> Result<(), EmbedError> {
        let mut models = self.lock()?;
        for (model_id, vectors) in models.iter_mut().filter(|(_, v)| v.dirty) {
            let path = self.file_for(model_id);
            write_file(&self.dir, &path, model_id, vectors)?;
            vectors.dirty = false;
        }
        Ok(())
    }
}

fn cache_error(path: &Path, reason: &str) -> EmbedError {
    EmbedError::Cache {
        path: path.display().to_string(),
        reason: reason.to_owned(),
    }
}

fn damaged(path: &Path, what: &str) -> EmbedError {
    cache_error(
        path,
        &format!(
            "{what}; the file is damaged: delete it (it is only a cache) or run with --no-cache"
        ),
    )
}

fn read_exact<R: Read>(reader: &mut R, buf: &mut [u8], path: &Path) -> Result<(), EmbedError> {
    reader
        .read_exact(buf)
        .map_err(|e| damaged(path, &format!("cannot read it ({e})")))
}

fn read_u32<R: Read>(reader: &mut R, path: &Path) -> Result<u32, EmbedError> {
    let mut b = [0u8; 4];
    read_exact(reader, &mut b, path)?;
    Ok(u32::from_le_bytes(b))
}

fn read_file(path: &Path, model_id: &str) -> Result<ModelVectors, EmbedError> {
    let file = File::open(path).map_err(|e| cache_error(path, &format!("cannot open: {e}")))?;
    let file_len = file
        .metadata()
        .map_err(|e| cache_error(path, &format!("cannot stat: {e}")))?
        .len();
    let mut reader = BufReader::new(file);
    let mut magic = [0u8; 8];
    read_exact(&mut reader, &mut magic, path)?;
    if &magic != MAGIC {
        return Err(damaged(path, "it is not a chatrec embedding cache"));
    }
    let version = read_u32(&mut reader, path)?;
    if version != VERSION {
        return Err(damaged(path, &format!("unknown version {version}")));
    }
    let dim = read_u32(&mut reader, path)? as usize;
    let mut count = [0u8; 8];
    read_exact(&mut reader, &mut count, path)?;
    let count = u64::from_le_bytes(count);
    let id_len = read_u32(&mut reader, path)? as usize;
    if dim == 0 || dim > MAX_DIM || id_len > MAX_ID_BYTES {
        return Err(damaged(path, "implausible header"));
    }
    let mut id = vec![0u8; id_len];
    read_exact(&mut reader, &mut id, path)?;
    if id != model_id.as_bytes() {
        return Err(cache_error(
            path,
            &format!(
                "belongs to model `{}`, not `{model_id}`; delete it (it is only a cache)",
                String::from_utf8_lossy(&id)
            ),
        ));
    }
    let header = 8 + 4 + 4 + 8 + 4 + id_len as u64;
    let record = (KEY_BYTES + 4 * dim) as u64;
    if count
        .checked_mul(record)
        .and_then(|b| b.checked_add(header))
        != Some(file_len)
    {
        return Err(damaged(
            path,
            &format!("its size does not match {count} vectors of {dim} values"),
        ));
    }
    let count = count as usize;
    let mut vectors = ModelVectors {
        dim,
        index: HashMap::with_capacity(count),
        keys: Vec::with_capacity(count),
        data: Vec::with_capacity(count * dim),
        dirty: false,
    };
    let mut row = vec![0u8; 4 * dim];
    for i in 0..count {
        let mut key = [0u8; KEY_BYTES];
        read_exact(&mut reader, &mut key, path)?;
        read_exact(&mut reader, &mut row, path)?;
        vectors.data.extend(
            row.chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        );
        vectors.index.insert(key, i);
        vectors.keys.push(key);
    }
    Ok(vectors)
}

fn write_file(
    dir: &Path,
    path: &Path,
    model_id: &str,
    vectors: &ModelVectors,
) -> Result<(), EmbedError> {
    let io = |e: std::io::Error| cache_error(path, &format!("cannot write: {e}"));
    std::fs::create_dir_all(dir).map_err(io)?;
    let tmp = tempfile::Builder::new()
        .prefix(".emb-")
        .tempfile_in(dir)
        .map_err(io)?;
    {
        let mut out = BufWriter::new(tmp.as_file());
        out.write_all(MAGIC).map_err(io)?;
        out.write_all(&VERSION.to_le_bytes()).map_err(io)?;
        out.write_all(&(vectors.dim as u32).to_le_bytes())
            .map_err(io)?;
        out.write_all(&(vectors.keys.len() as u64).to_le_bytes())
            .map_err(io)?;
        out.write_all(&(model_id.len() as u32).to_le_bytes())
            .map_err(io)?;
        out.write_all(model_id.as_bytes()).map_err(io)?;
        for (i, key) in vectors.keys.iter().enumerate() {
            out.write_all(key).map_err(io)?;
            for x in vectors.row(i) {
                out.write_all(&x.to_le_bytes()).map_err(io)?;
            }
        }
        out.flush().map_err(io)?;
    }
    persist(tmp, path).map_err(io)
}

/// Syncs a finished temporary file and renames it to `path`. Temporary files are created
/// private (0600); the result gets the usual 0644 so other users and tools can read it.
pub(crate) fn persist(tmp: tempfile::NamedTempFile, path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(rows: &[&[f32]]) -> DenseMatrix {
        DenseMatrix::from_rows(rows[0].len(), rows).unwrap()
    }

    #[test]
    fn vectors_survive_a_reopen_and_unknown_texts_are_misses() {
        let dir = tempfile::tempdir().unwrap();
        let cache = EmbeddingCache::new(dir.path());
        let keys = [text_key("Alien (1979)."), text_key("Heat (1995).")];
        cache
            .insert("m@1", &keys, &matrix(&[&[1.0, 0.0], &[0.6, 0.8]]))
            .unwrap();
        cache.save().unwrap();

        let reopened = EmbeddingCache::new(dir.path());
        let found = reopened
            .lookup("m@1", 2, &[keys[1], text_key("Fargo (1996)."), keys[0]])
            .unwrap();
        assert_eq!(
            found,
            vec![Some(vec![0.6, 0.8]), None, Some(vec![1.0, 0.0])]
        );
        assert_eq!(reopened.len("m@1", 2).unwrap(), 2);
    }

    #[test]
    fn models_do_not_share_vectors() {
        let dir = tempfile::tempdir().unwrap();
        let cache = EmbeddingCache::new(dir.path());
        let key = [text_key("same text")];
        cache.insert("model-a@1", &key, &matrix(&[&[1.0]])).unwrap();
        cache.save().unwrap();
        let reopened = EmbeddingCache::new(dir.path());
        assert_eq!(reopened.lookup("model-b@1", 1, &key).unwrap(), vec![None]);
        assert_ne!(cache.file_for("model-a@1"), cache.file_for("model-b@1"));
    }

    #[test]
    fn a_truncated_file_is_reported_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let cache = EmbeddingCache::new(dir.path());
        cache
            .insert("m@1", &[text_key("x")], &matrix(&[&[0.5, 0.5, 0.5]]))
            .unwrap();
        cache.save().unwrap();
        let path = cache.file_for("m@1");
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        let err = EmbeddingCache::new(dir.path())
            .lookup("m@1", 3, &[text_key("x")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("damaged") && err.contains("--no-cache"),
            "{err}"
        );
    }

    #[test]
    fn a_dimension_change_is_an_error_not_a_silent_mix() {
        let dir = tempfile::tempdir().unwrap();
        let cache = EmbeddingCache::new(dir.path());
        cache
            .insert("m@1", &[text_key("x")], &matrix(&[&[1.0, 0.0]]))
            .unwrap();
        assert!(cache.lookup("m@1", 3, &[text_key("x")]).is_err());
    }

    #[test]
    fn saving_leaves_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let cache = EmbeddingCache::new(dir.path().join("nested"));
        cache
            .insert("m@1", &[text_key("x")], &matrix(&[&[1.0]]))
            .unwrap();
        cache.save().unwrap();
        let names: Vec<String> = std::fs::read_dir(dir.path().join("nested"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["m@1.emb".to_owned()]);
    }
}
