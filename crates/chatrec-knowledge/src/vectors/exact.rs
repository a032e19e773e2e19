//! Exact search: every allowed row is scored.

use rayon::prelude::*;

use super::kernel::{dot, dot2x4, dot4};
use super::topk::{merge, TopK};
use super::{prepare_queries, prepare_query, prepare_vectors, Hit, VectorError};
use crate::dense::DenseMatrix;

/// Rows per parallel task of a single search: large enough that the task overhead is
/// small, small enough that two cores share 10^5 rows evenly.
const CHUNK_ROWS: usize = 8192;
/// Queries that share one pass over the rows in a batch search.
const QUERY_BLOCK: usize = 16;
/// Rows scored against a whole query block before moving on: 256 rows of 384 floats
/// (384 KiB) stay in the L2 cache while the block's queries reuse them.
const TILE_ROWS: usize = 256;

/// Exact nearest rows by dot product; see the module docs of [`super`].
#[derive(Debug, Clone)]
pub struct ExactIndex {
    vectors: DenseMatrix,
}

type Allow<'a> = Option<&'a (dyn Fn(u32) -> bool + Sync)>;

impl ExactIndex {
    /// Indexes `vectors` (row `i` gets id `i`), scaling rows to unit length where needed.
    pub fn new(vectors: DenseMatrix) -> Result<Self, VectorError> {
        Ok(Self::from_prepared(prepare_vectors(vectors)?))
    }

    pub(crate) fn from_prepared(vectors: DenseMatrix) -> Self {
        Self { vectors }
    }

    /// The indexed (unit-length) vectors; row `i` is id `i`.
    pub fn vectors(&self) -> &DenseMatrix {
        &self.vectors
    }

    /// Gives the (unit-length) vectors back, e.g. to build an HNSW index without a copy.
    pub fn into_vectors(self) -> DenseMatrix {
        self.vectors
    }

    /// The best `k` rows for `query`, best first; ties go to the lower id.
    pub fn search(&self, query: &[f32], k: usize) -> Result<Vec<Hit>, VectorError> {
        let q = prepare_query(query, self.vectors.dim())?;
        Ok(self.search_prepared(&q, k, None))
    }

    /// Like [`Self::search`], among the ids for which `allow` is true only. Disallowed rows
    /// cost one call of `allow` and no dot product.
    pub fn search_filtered(
        &self,
        query: &[f32],
        k: usize,
        allow: &(dyn Fn(u32) -> bool + Sync),
    ) -> Result<Vec<Hit>, VectorError> {
        let q = prepare_query(query, self.vectors.dim())?;
        Ok(self.search_prepared(&q, k, Some(allow)))
    }

    /// [`Self::search`] for every row of `queries`. Blocks of queries share each pass over
    /// the rows, so a batch reads the rows from memory far fewer times than single searches.
    pub fn search_batch(
        &self,
        queries: &DenseMatrix,
        k: usize,
    ) -> Result<Vec<Vec<Hit>>, VectorError> {
        let qs = prepare_queries(queries, self.vectors.dim())?;
        let n_blocks = qs.rows().div_ceil(QUERY_BLOCK);
        if n_blocks < rayon::current_num_threads() {
            // Too few blocks to keep every thread busy: parallelise over rows instead.
            return Ok(qs
                .iter_rows()
                .map(|q| self.search_prepared(q, k, None))
                .collect());
        }
        let per_block: Vec<Vec<Vec<Hit>>> = (0..n_blocks)
            .into_par_iter()
            .map(|b| {
                let first = b * QUERY_BLOCK;
                let last = (first + QUERY_BLOCK).min(qs.rows());
                let mut tops: Vec<TopK> = (first..last).map(|_| TopK::new(k)).collect();
                let n = self.vectors.rows();
                let mut start = 0;
                while start < n {
                    let end = (start + TILE_ROWS).min(n);
                    // Queries go in pairs through the two-query kernel; an odd one alone.
                    let mut qi = first;
                    for pair in tops.chunks_mut(2) {
                        match pair {
                            [a, b] => {
                                let q = [qs.row(qi), qs.row(qi + 1)];
                                scan_pair_into(&self.vectors, start, end, q, [a, b]);
                            }
                            [a] => scan_into(&self.vectors, start, end, qs.row(qi), a, None),
                            _ => {}
                        }
                        qi += pair.len();
                    }
                    start = end;
                }
                tops.into_iter().map(TopK::into_sorted).collect()
            })
            .collect();
        Ok(per_block.into_iter().flatten().collect())
    }

    /// Search with an already checked, normalised query.
    pub(crate) fn search_prepared(&self, q: &[f32], k: usize, allow: Allow<'_>) -> Vec<Hit> {
        let n = self.vectors.rows();
        if k == 0 || n == 0 {
            return Vec::new();
        }
        let n_chunks = n.div_ceil(CHUNK_ROWS);
        if n_chunks == 1 {
            let mut top = TopK::new(k);
            scan_into(&self.vectors, 0, n, q, &mut top, allow);
            return top.into_sorted();
        }
        let parts: Vec<Vec<Hit>> = (0..n_chunks)
            .into_par_iter()
            .map(|c| {
                let start = c * CHUNK_ROWS;
                let end = (start + CHUNK_ROWS).min(n);
                let mut top = TopK::new(k);
                scan_into(&self.vectors, start, end, q, &mut top, allow);
                top.into_sorted()
            })
            .collect();
        merge(parts, k)
    }
}

/// Scores rows `start..end` that `allow` lets through and offers them to `top`. Allowed rows
/// are gathered four at a time for the four-row kernel.
fn scan_into(
    vectors: &DenseMatrix,
    start: usize,
    end: usize,
    q: &[f32],
    top: &mut TopK,
    allow: Allow<'_>,
) {
    let mut ids = [0usize; 4];
    let mut filled = 0;
    for i in start..end {
        if let Some(allow) = allow {
            if !allow(i as u32) {
                continue;
            }
        }
        ids[filled] = i;
        filled += 1;
        if filled == 4 {
            let scores = dot4(
                q,
                [
                    vectors.row(ids[0]),
                    vectors.row(ids[1]),
                    vectors.row(ids[2]),
                    vectors.row(ids[3]),
                ],
            );
            for (&id, score) in ids.iter().zip(scores) {
                top.push(id as u32, score);
            }
            filled = 0;
        }
    }
    for &id in &ids[..filled] {
        top.push(id as u32, dot(q, vectors.row(id)));
    }
}

/// Scores rows `start..end` against two queries at once and offers them to their tops.
fn scan_pair_into(
    vectors: &DenseMatrix,
    start: usize,
    end: usize,
    q: [&[f32]; 2],
    top: [&mut TopK; 2],
) {
    let [top_a, top_b] = top;
    let mut i = start;
    while i + 4 <= end {
        let rows = [
            vectors.row(i),
            vectors.row(i + 1),
            vectors.row(i + 2),
            vectors.row(i + 3),
        ];
        let [sa, sb] = dot2x4(q, rows);
        for j in 0..4 {
            top_a.push((i + j) as u32, sa[j]);
            top_b.push((i + j) as u32, sb[j]);
        }
        i += 4;
    }
    for id in i..end {
        top_a.push(id as u32, dot(q[0], vectors.row(id)));
        top_b.push(id as u32, dot(q[1], vectors.row(id)));
    }
}
