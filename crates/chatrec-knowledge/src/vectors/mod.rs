//! Vector search over unit-length rows of a [`DenseMatrix`], similarity = dot product
//! (a cosine, since rows are L2-normalised).
//!
//! Two engines behind one [`VectorIndex`]:
//! - [`ExactIndex`]: every row is scored (rayon over row chunks, a four-rows-per-pass dot
//!   kernel, a small heap per chunk, merged). Recall 1, no build cost; the default below
//!   [`IndexOptions::exact_below`] vectors.
//! - [`HnswIndex`]: an HNSW graph from the `hnsw_rs` crate, for larger sets. Its hits are
//!   rescored with the same kernel, so scores equal the exact ones.
//!
//! Results are best first, ties broken by lower id, so the same data and query always give
//! the same list. See docs/vector-search.md for the measured speed and recall.

mod exact;
mod hnsw;
mod kernel;
pub mod synthetic;
mod topk;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use chatrec_models::Progress;

use crate::dense::{self, DenseMatrix};

pub use exact::ExactIndex;
pub use hnsw::HnswIndex;

/// One search result: a row id of the indexed matrix and its cosine with the query.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub id: u32,
    pub score: f32,
}

#[derive(Debug, Error, PartialEq)]
pub enum VectorError {
    #[error("the query has {got} values but the index holds {expected}-dimensional vectors")]
    DimMismatch { expected: usize, got: usize },
    #[error("the query contains a value that is not a finite number")]
    NonFiniteQuery,
    #[error("vector {row} contains a value that is not a finite number")]
    NonFiniteVector { row: usize },
    #[error("{rows} vectors do not fit 32-bit ids")]
    TooManyVectors { rows: usize },
    #[error("invalid vector index option: {0}")]
    InvalidOptions(String),
}

/// Which engine answers the searches of a [`VectorIndex`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IndexKind {
    Exact,
    Hnsw,
}

impl IndexKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IndexKind::Exact => "exact",
            IndexKind::Hnsw => "hnsw",
        }
    }
}

impl std::fmt::Display for IndexKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How [`VectorIndex::build`] chooses and builds its engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IndexOptions {
    /// Fewer vectors than this get the exact engine; at least this many get HNSW.
    pub exact_below: usize,
    /// HNSW links per node and layer (twice that on the bottom layer); 2..=255.
    pub m: usize,
    /// HNSW candidate list while inserting: higher builds slower and finds better links.
    pub ef_construction: usize,
    /// HNSW candidate list while searching (raised to `k` when smaller): the recall/speed
    /// knob. 128 gives recall@10 of 0.99 at 10^6 vectors; 64 drops to 0.93 there.
    pub ef_search: usize,
    /// Seeds the HNSW insertion order.
    pub seed: u64,
    /// Inserts into the HNSW graph from several threads: faster, but the graph then depends
    /// on thread timing, so results may differ slightly between runs.
    pub parallel_build: bool,
    /// A filtered HNSW search whose filter lets through less than this share of the vectors
    /// scores the allowed vectors exactly instead. `None` (the default) decides per search
    /// from the estimated cost of each way; see [`HnswIndex::search_filtered`].
    pub filtered_exact_below: Option<f64>,
}

impl Default for IndexOptions {
    fn default() -> Self {
        Self {
            exact_below: 50_000,
            m: 16,
            ef_construction: 100,
            ef_search: 128,
            seed: 42,
            parallel_build: false,
            filtered_exact_below: None,
        }
    }
}

impl IndexOptions {
    pub fn validate(&self) -> Result<(), VectorError> {
        // hnsw_rs stores the link count in a u8 and exits the process above 256.
        if !(2..=255).contains(&self.m) {
            return Err(VectorError::InvalidOptions(format!(
                "m must be between 2 and 255, got {}",
                self.m
            )));
        }
        if self.ef_construction == 0 || self.ef_search == 0 {
            return Err(VectorError::InvalidOptions(
                "ef_construction and ef_search must be at least 1".to_owned(),
            ));
        }
        if let Some(share) = self.filtered_exact_below {
            if !(0.0..=1.0).contains(&share) {
                return Err(VectorError::InvalidOptions(format!(
                    "filtered_exact_below is a share between 0 and 1, got {share}"
                )));
            }
        }
        Ok(())
    }
}

/// A searchable set of vectors, exact or approximate; see the module docs.
#[derive(Debug)]
pub enum VectorIndex {
    Exact(ExactIndex),
    Hnsw(HnswIndex),
}

impl VectorIndex {
    /// Indexes `vectors` (row `i` gets id `i`), exactly below `opts.exact_below` rows and
    /// with HNSW otherwise. Rows are scaled to unit length where they are not already.
    pub fn build(
        vectors: DenseMatrix,
        opts: &IndexOptions,
        progress: &dyn Progress,
    ) -> Result<Self, VectorError> {
        opts.validate()?;
        if vectors.rows() < opts.exact_below {
            Ok(VectorIndex::Exact(ExactIndex::new(vectors)?))
        } else {
            Ok(VectorIndex::Hnsw(HnswIndex::build(
                vectors, opts, progress,
            )?))
        }
    }

    /// The best `k` rows for `query`, best first (fewer when the index holds fewer).
    pub fn search(&self, query: &[f32], k: usize) -> Result<Vec<Hit>, VectorError> {
        match self {
            VectorIndex::Exact(index) => index.search(query, k),
            VectorIndex::Hnsw(index) => index.search(query, k),
        }
    }

    /// Like [`Self::search`], among the ids for which `allow` is true only.
    pub fn search_filtered(
        &self,
        query: &[f32],
        k: usize,
        allow: &(dyn Fn(u32) -> bool + Sync),
    ) -> Result<Vec<Hit>, VectorError> {
        match self {
            VectorIndex::Exact(index) => index.search_filtered(query, k, allow),
            VectorIndex::Hnsw(index) => index.search_filtered(query, k, allow),
        }
    }

    /// [`Self::search`] for every row of `queries`, in parallel; one list per query.
    pub fn search_batch(
        &self,
        queries: &DenseMatrix,
        k: usize,
    ) -> Result<Vec<Vec<Hit>>, VectorError> {
        match self {
            VectorIndex::Exact(index) => index.search_batch(queries, k),
            VectorIndex::Hnsw(index) => index.search_batch(queries, k),
        }
    }

    pub fn kind(&self) -> IndexKind {
        match self {
            VectorIndex::Exact(_) => IndexKind::Exact,
            VectorIndex::Hnsw(_) => IndexKind::Hnsw,
        }
    }

    /// The indexed (unit-length) vectors; row `i` is id `i`.
    pub fn vectors(&self) -> &DenseMatrix {
        match self {
            VectorIndex::Exact(index) => index.vectors(),
            VectorIndex::Hnsw(index) => index.vectors(),
        }
    }

    pub fn len(&self) -> usize {
        self.vectors().rows()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn dim(&self) -> usize {
        self.vectors().dim()
    }
}

/// Share of the ids of `exact` that `approx` also found (1 when `exact` is empty): recall@k
/// when both lists hold `k` hits.
pub fn recall(approx: &[Hit], exact: &[Hit]) -> f64 {
    if exact.is_empty() {
        return 1.0;
    }
    let found = exact
        .iter()
        .filter(|e| approx.iter().any(|a| a.id == e.id))
        .count();
    found as f64 / exact.len() as f64
}

/// Rows further than this from unit length are rescaled; closer rows are left bit-for-bit
/// as given, so callers with normalised embeddings get exactly their own dot products.
const UNIT_TOLERANCE: f32 = 1e-4;

/// Checks and normalises the vectors an index will hold.
fn prepare_vectors(mut vectors: DenseMatrix) -> Result<DenseMatrix, VectorError> {
    if u32::try_from(vectors.rows()).is_err() {
        return Err(VectorError::TooManyVectors {
            rows: vectors.rows(),
        });
    }
    for row in 0..vectors.rows() {
        let v = vectors.row_mut(row);
        if !v.iter().all(|x| x.is_finite()) {
            return Err(VectorError::NonFiniteVector { row });
        }
        let norm = kernel::dot(v, v).sqrt();
        if norm > 0.0 && (norm - 1.0).abs() > UNIT_TOLERANCE {
            dense::normalize(v);
        }
    }
    Ok(vectors)
}

/// Checks a query against the index width and returns it at unit length (a zero query
/// stays zero: every row then scores 0).
fn prepare_query(query: &[f32], dim: usize) -> Result<Vec<f32>, VectorError> {
    if query.len() != dim {
        return Err(VectorError::DimMismatch {
            expected: dim,
            got: query.len(),
        });
    }
    if !query.iter().all(|x| x.is_finite()) {
        return Err(VectorError::NonFiniteQuery);
    }
    let mut q = query.to_vec();
    let norm = kernel::dot(&q, &q).sqrt();
    if norm > 0.0 && (norm - 1.0).abs() > UNIT_TOLERANCE {
        dense::normalize(&mut q);
    }
    Ok(q)
}

/// [`prepare_query`] for every row of a query matrix.
fn prepare_queries(queries: &DenseMatrix, dim: usize) -> Result<DenseMatrix, VectorError> {
    if queries.dim() != dim && !queries.is_empty() {
        return Err(VectorError::DimMismatch {
            expected: dim,
            got: queries.dim(),
        });
    }
    let mut out = DenseMatrix::zeros(0, dim);
    for q in queries.iter_rows() {
        let q = prepare_query(q, dim)?;
        out.push_row(&q).map_err(|_| VectorError::DimMismatch {
            expected: dim,
            got: q.len(),
        })?;
    }
    Ok(out)
}
