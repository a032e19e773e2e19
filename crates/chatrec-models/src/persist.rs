//! The on-disk form of a fitted model: one safetensors file.
//!
//! Format (version 1):
//! - tensors: the model's arrays (factors, similarity lists, biases, ...), little-endian,
//!   named by the model (documented in each model's module);
//! - metadata (string map in the safetensors header):
//!   - `format` = `chatrec-model`, `format_version` = `1`;
//!   - `model`: registry name; `params`: the hyper-parameters as JSON;
//!   - `users`, `items`: JSON arrays of external ids, position = dense index;
//!   - `created_by`: the chatrec version that wrote it.
//!
//! A model is written to a temporary file beside the target and renamed into place, so a
//! failed save never leaves a half-written model behind.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use chatrec_core::{CsrMatrix, IdMap};
use safetensors::tensor::{Dtype, TensorView};
use safetensors::SafeTensors;
use serde_json::Value;

use crate::error::ModelError;
use crate::recommender::Recommender;
use crate::registry;

pub const FORMAT: &str = "chatrec-model";
pub const FORMAT_VERSION: u32 = 1;

/// Values of one named array.
#[derive(Debug, Clone, PartialEq)]
pub enum TensorData {
    F32(Vec<f32>),
    U32(Vec<u32>),
    I64(Vec<i64>),
}

/// One named array with its shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    pub name: String,
    pub shape: Vec<usize>,
    pub data: TensorData,
}

impl Tensor {
    pub fn f32(name: &str, shape: &[usize], data: Vec<f32>) -> Self {
        Tensor {
            name: name.to_owned(),
            shape: shape.to_vec(),
            data: TensorData::F32(data),
        }
    }

    pub fn u32(name: &str, data: Vec<u32>) -> Self {
        Tensor {
            name: name.to_owned(),
            shape: vec![data.len()],
            data: TensorData::U32(data),
        }
    }

    pub fn i64(name: &str, data: Vec<i64>) -> Self {
        Tensor {
            name: name.to_owned(),
            shape: vec![data.len()],
            data: TensorData::I64(data),
        }
    }
}

/// A fitted model's parameters and arrays, independent of file layout.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelState {
    pub model: String,
    pub params: Value,
    pub tensors: Vec<Tensor>,
}

impl ModelState {
    pub fn new(model: &str, params: Value) -> Self {
        ModelState {
            model: model.to_owned(),
            params,
            tensors: Vec::new(),
        }
    }

    pub fn with(mut self, tensor: Tensor) -> Self {
        self.tensors.push(tensor);
        self
    }

    fn find(&self, name: &str) -> Result<&Tensor, ModelError> {
        self.tensors
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| self.format_error(format!("missing tensor `{name}`")))
    }

    /// The f32 tensor `name` with its shape.
    pub fn take_f32(&self, name: &str) -> Result<(Vec<usize>, Vec<f32>), ModelError> {
        let t = self.find(name)?;
        match &t.data {
            TensorData::F32(v) => Ok((t.shape.clone(), v.clone())),
            _ => Err(self.format_error(format!("tensor `{name}` is not f32"))),
        }
    }

    pub fn take_u32(&self, name: &str) -> Result<Vec<u32>, ModelError> {
        let t = self.find(name)?;
        match &t.data {
            TensorData::U32(v) => Ok(v.clone()),
            _ => Err(self.format_error(format!("tensor `{name}` is not u32"))),
        }
    }

    pub fn take_i64(&self, name: &str) -> Result<Vec<i64>, ModelError> {
        let t = self.find(name)?;
        match &t.data {
            TensorData::I64(v) => Ok(v.clone()),
            _ => Err(self.format_error(format!("tensor `{name}` is not i64"))),
        }
    }

    /// An error about this state's content, for model constructors to return.
    pub fn format_error(&self, reason: String) -> ModelError {
        ModelError::Format {
            path: format!("<{} model>", self.model),
            reason,
        }
    }
}

/// The tensors `{prefix}_indptr` (u32, rows + 1), `{prefix}_indices` (u32, nnz) and
/// `{prefix}_values` (f32, nnz) of a CSR matrix. Sizes must fit in u32
/// (models check that when fitting).
pub fn csr_tensors(prefix: &str, matrix: &CsrMatrix) -> [Tensor; 3] {
    [
        Tensor::u32(
            &format!("{prefix}_indptr"),
            matrix.indptr().iter().map(|&p| p as u32).collect(),
        ),
        Tensor::u32(&format!("{prefix}_indices"), matrix.indices().to_vec()),
        Tensor::f32(
            &format!("{prefix}_values"),
            &[matrix.nnz()],
            matrix.data().to_vec(),
        ),
    ]
}

/// Reads a CSR matrix written by [`csr_tensors`], checking its structure (offsets
/// non-decreasing, indices below `n_cols`, values finite) so that a damaged file gives an
/// error instead of a panic. `n_rows` is taken from the offsets.
pub fn csr_from_tensors(
    state: &ModelState,
    prefix: &str,
    n_cols: usize,
) -> Result<CsrMatrix, ModelError> {
    let indptr = state.take_u32(&format!("{prefix}_indptr"))?;
    let indices = state.take_u32(&format!("{prefix}_indices"))?;
    let (_, values) = state.take_f32(&format!("{prefix}_values"))?;
    let bad = |reason: &str| state.format_error(format!("matrix `{prefix}`: {reason}"));
    if indptr.is_empty() || indptr[0] != 0 {
        return Err(bad("offsets must start at 0"));
    }
    if indices.len() != values.len() || *indptr.last().unwrap_or(&0) as usize != indices.len() {
        return Err(bad("offsets, indices and values disagree in length"));
    }
    if indptr.windows(2).any(|w| w[0] > w[1]) {
        return Err(bad("offsets decrease"));
    }
    if indices.iter().any(|&c| c as usize >= n_cols) {
        return Err(bad("an index is out of range"));
    }
    if values.iter().any(|v| !v.is_finite()) {
        return Err(bad("a value is not finite"));
    }
    let n_rows = indptr.len() - 1;
    let mut triplets = Vec::with_capacity(indices.len());
    for r in 0..n_rows {
        for k in indptr[r] as usize..indptr[r + 1] as usize {
            triplets.push((r as u32, indices[k], values[k]));
        }
    }
    Ok(CsrMatrix::from_triplets(n_rows, n_cols, &triplets))
}

/// A fitted model with the external ids of its users and items.
pub struct TrainedModel {
    pub model: Box<dyn Recommender>,
    pub users: IdMap,
    pub items: IdMap,
}

impl TrainedModel {
    /// The model as the bytes of a safetensors file (what [`TrainedModel::save`] writes),
    /// for storing it elsewhere than in a file (a database).
    pub fn to_bytes(&self) -> Result<Vec<u8>, ModelError> {
        encode(&self.model.state(), &self.users, &self.items)
    }

    /// Reads a model from the bytes [`TrainedModel::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<TrainedModel, ModelError> {
        decode(bytes)
    }

    /// Writes the model to `path` atomically (temporary file, then rename).
    pub fn save(&self, path: &Path) -> Result<(), ModelError> {
        let bytes = self.to_bytes()?;
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let io_err = |source| ModelError::Io {
            path: path.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io_err)?;
        let tmp = dir.join(format!(
            ".{}.tmp-{}",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("model"),
            std::process::id()
        ));
        let result = (|| {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            std::fs::rename(&tmp, path)
        })();
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(io_err(e));
        }
        Ok(())
    }

    /// Reads a model written by [`TrainedModel::save`].
    pub fn load(path: &Path) -> Result<TrainedModel, ModelError> {
        let bytes = std::fs::read(path).map_err(|source| ModelError::Io {
            path: path.display().to_string(),
            source,
        })?;
        decode(&bytes).map_err(|e| match e {
            ModelError::Format { reason, .. } => ModelError::Format {
                path: path.display().to_string(),
                reason,
            },
            other => other,
        })
    }
}

fn format_error(reason: impl Into<String>) -> ModelError {
    ModelError::Format {
        path: String::new(),
        reason: reason.into(),
    }
}

fn encode(state: &ModelState, users: &IdMap, items: &IdMap) -> Result<Vec<u8>, ModelError> {
    let json = |v: &dyn erased::Json| v.to_json().map_err(|e| format_error(e.to_string()));
    let mut metadata = HashMap::new();
    metadata.insert("format".to_owned(), FORMAT.to_owned());
    metadata.insert("format_version".to_owned(), FORMAT_VERSION.to_string());
    metadata.insert("model".to_owned(), state.model.clone());
    metadata.insert("params".to_owned(), json(&state.params)?);
    metadata.insert("users".to_owned(), json(users)?);
    metadata.insert("items".to_owned(), json(items)?);
    metadata.insert(
        "created_by".to_owned(),
        format!("chatrec {}", env!("CARGO_PKG_VERSION")),
    );

    let raw: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = state
        .tensors
        .iter()
        .map(|t| {
            let (dtype, bytes) = match &t.data {
                TensorData::F32(v) => {
                    (Dtype::F32, v.iter().flat_map(|x| x.to_le_bytes()).collect())
                }
                TensorData::U32(v) => {
                    (Dtype::U32, v.iter().flat_map(|x| x.to_le_bytes()).collect())
                }
                TensorData::I64(v) => {
                    (Dtype::I64, v.iter().flat_map(|x| x.to_le_bytes()).collect())
                }
            };
            (t.name.clone(), dtype, t.shape.clone(), bytes)
        })
        .collect();
    let views = raw
        .iter()
        .map(|(name, dtype, shape, bytes)| {
            TensorView::new(*dtype, shape.clone(), bytes)
                .map(|view| (name.clone(), view))
                .map_err(|e| format_error(format!("tensor `{name}`: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    safetensors::serialize(views, &Some(metadata)).map_err(|e| format_error(e.to_string()))
}

fn decode(bytes: &[u8]) -> Result<TrainedModel, ModelError> {
    let (_, header) = SafeTensors::read_metadata(bytes)
        .map_err(|e| format_error(format!("not a safetensors file: {e}")))?;
    let meta = header
        .metadata()
        .as_ref()
        .ok_or_else(|| format_error("no chatrec metadata in the safetensors header"))?;
    let get = |key: &str| {
        meta.get(key)
            .ok_or_else(|| format_error(format!("metadata key `{key}` is missing")))
    };
    if get("format")? != FORMAT {
        return Err(format_error("not a chatrec model file"));
    }
    let version = get("format_version")?;
    if version != &FORMAT_VERSION.to_string() {
        return Err(format_error(format!(
            "format version {version} is not supported (this chatrec reads version {FORMAT_VERSION}); retrain the model"
        )));
    }
    let parse = |key: &str| -> Result<Value, ModelError> {
        serde_json::from_str(get(key)?).map_err(|e| format_error(format!("metadata `{key}`: {e}")))
    };
    let users: IdMap = serde_json::from_value(parse("users")?)
        .map_err(|e| format_error(format!("metadata `users`: {e}")))?;
    let items: IdMap = serde_json::from_value(parse("items")?)
        .map_err(|e| format_error(format!("metadata `items`: {e}")))?;
    let tensors = SafeTensors::deserialize(bytes).map_err(|e| format_error(e.to_string()))?;
    let mut state = ModelState::new(get("model")?, parse("params")?);
    let mut names: Vec<String> = tensors.names().into_iter().cloned().collect();
    names.sort();
    for name in names {
        let view = tensors
            .tensor(&name)
            .map_err(|e| format_error(e.to_string()))?;
        let data = view.data();
        let data = match view.dtype() {
            Dtype::F32 => TensorData::F32(
                data.chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            ),
            Dtype::U32 => TensorData::U32(
                data.chunks_exact(4)
                    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            ),
            Dtype::I64 => TensorData::I64(
                data.chunks_exact(8)
                    .map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                    .collect(),
            ),
            other => {
                return Err(format_error(format!(
                    "tensor `{name}` has unsupported type {other:?}"
                )))
            }
        };
        state.tensors.push(Tensor {
            name,
            shape: view.shape().to_vec(),
            data,
        });
    }
    let model = registry::from_state(&state)?;
    if model.n_items() != items.len() {
        return Err(format_error(format!(
            "model scores {} items but the file lists {} item ids",
            model.n_items(),
            items.len()
        )));
    }
    Ok(TrainedModel {
        model,
        users,
        items,
    })
}

/// Serialising values of different types to JSON strings through one closure.
mod erased {
    pub trait Json {
        fn to_json(&self) -> serde_json::Result<String>;
    }
    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> serde_json::Result<String> {
            serde_json::to_string(self)
        }
    }
}
