//! Approximate search with an HNSW graph (the `hnsw_rs` crate).
//!
//! Determinism: `hnsw_rs` draws node levels from its own generator with a fixed seed, and
//! one thread inserting in a fixed order always builds the same graph. We insert in an order
//! shuffled by [`IndexOptions::seed`] (so the seed picks the graph, and ids sorted by topic
//! do not build a worse graph). With [`IndexOptions::parallel_build`] threads race while
//! linking nodes, so the graph, and rarely a search result, can differ between runs; the
//! crate documents this. Searching is deterministic for a given graph.

use hnsw_rs::anndists::dist::distances::Distance;
use hnsw_rs::hnsw::Hnsw;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use chatrec_models::Progress;

use super::exact::ExactIndex;
use super::kernel;
use super::topk::sort_hits;
use super::{prepare_queries, prepare_query, prepare_vectors, Hit, IndexOptions, VectorError};
use crate::dense::DenseMatrix;

/// Layers the graph may use; `hnsw_rs` caps it at 16, and with `m >= 2` levels above a
/// dozen have vanishing probability.
const MAX_LAYERS: usize = 16;
/// Insertions between two progress reports.
const PROGRESS_STEP: usize = 4096;
/// Ids sampled to estimate how selective a filter is.
const FILTER_SAMPLES: usize = 1024;
// Cost model for filtered searches, in units of one exact-scan dot product (about 0.1 µs
// at 384 floats streamed from memory). Measured with `chatrec bench vectors` at 10^5 and
// 10^6 vectors (2 cores): an unfiltered graph search costs about 0.3-0.4 ms plus 0.35-0.65 µs
// per link it follows (ef_search x 2m links), and a filtered walk costs about 1.2-2.2 times
// that divided by the allowed share.
/// One filter call (about 1.5 ns).
const FILTER_CALL_COST: f64 = 1.0 / 64.0;
/// Fixed cost of one graph search (descending the upper layers, allocating its heaps).
const WALK_BASE_COST: f64 = 3000.0;
/// One link followed on the bottom layer (pointer chasing through `hnsw_rs`'s nodes, its
/// visited set, one distance).
const WALK_LINK_COST: f64 = 5.0;
/// How much more than `1 / share` a filtered walk explores (the upper end of the measured
/// range, because the exact way also has recall 1 where the walk loses some).
const WALK_FILTER_FACTOR: f64 = 2.0;

/// `1 - dot` for unit vectors, with the shared kernel. The crate asserts that distances are
/// not negative, and rounding can make `1 - dot` of a vector with itself -1e-7, so it is
/// clamped at 0 (its own `DistDot` panics there).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct UnitDot;

impl Distance<f32> for UnitDot {
    fn eval(&self, a: &[f32], b: &[f32]) -> f32 {
        (1.0 - kernel::dot(a, b)).max(0.0)
    }
}

/// Approximate nearest rows through an HNSW graph; see the module docs.
pub struct HnswIndex {
    /// The vectors again, for rescoring hits with the exact kernel and for filtered
    /// searches that are cheaper done exactly. `hnsw_rs` keeps its own copy of each vector.
    exact: ExactIndex,
    graph: Hnsw<'static, f32, UnitDot>,
    m: usize,
    ef_construction: usize,
    ef_search: usize,
    parallel_build: bool,
    filtered_exact_below: Option<f64>,
}

impl std::fmt::Debug for HnswIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HnswIndex")
            .field("len", &self.exact.vectors().rows())
            .field("dim", &self.exact.vectors().dim())
            .field("m", &self.m)
            .field("ef_construction", &self.ef_construction)
            .field("ef_search", &self.ef_search)
            .field("parallel_build", &self.parallel_build)
            .field("filtered_exact_below", &self.filtered_exact_below)
            .finish()
    }
}

impl HnswIndex {
    /// Builds the graph over `vectors` (row `i` gets id `i`), whatever their number; rows
    /// are scaled to unit length where needed. Reports the phase "hnsw insert".
    pub fn build(
        vectors: DenseMatrix,
        opts: &IndexOptions,
        progress: &dyn Progress,
    ) -> Result<Self, VectorError> {
        opts.validate()?;
        let vectors = prepare_vectors(vectors)?;
        let n = vectors.rows();
        let graph = Hnsw::new(opts.m, n.max(1), MAX_LAYERS, opts.ef_construction, UnitDot);
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(opts.seed));
        progress.start("hnsw insert", n as u64);
        for block in order.chunks(PROGRESS_STEP) {
            let insert = |&id: &u32| graph.insert_slice((vectors.row(id as usize), id as usize));
            if opts.parallel_build {
                block.par_iter().for_each(insert);
            } else {
                block.iter().for_each(insert);
            }
            progress.advance(block.len() as u64);
        }
        progress.finish();
        Ok(Self {
            exact: ExactIndex::from_prepared(vectors),
            graph,
            m: opts.m,
            ef_construction: opts.ef_construction,
            ef_search: opts.ef_search,
            parallel_build: opts.parallel_build,
            filtered_exact_below: opts.filtered_exact_below,
        })
    }

    /// The indexed (unit-length) vectors; row `i` is id `i`.
    pub fn vectors(&self) -> &DenseMatrix {
        self.exact.vectors()
    }

    pub fn ef_search(&self) -> usize {
        self.ef_search
    }

    /// Changes the search breadth without rebuilding (at least 1).
    pub fn set_ef_search(&mut self, ef_search: usize) {
        self.ef_search = ef_search.max(1);
    }

    /// Changes when filtered searches go exact: below a fixed allowed share (clamped to
    /// 0..=1; 0 always walks the graph), or by estimated cost (`None`).
    pub fn set_filtered_exact_below(&mut self, share: Option<f64>) {
        self.filtered_exact_below = share.map(|s| if s.is_nan() { 0.0 } else { s.clamp(0.0, 1.0) });
    }

    /// The (approximately) best `k` rows for `query`, best first, ties to the lower id.
    /// Scores are the exact cosines.
    pub fn search(&self, query: &[f32], k: usize) -> Result<Vec<Hit>, VectorError> {
        let q = prepare_query(query, self.vectors().dim())?;
        Ok(self.search_prepared(&q, k))
    }

    /// Like [`Self::search`], among the ids for which `allow` is true only.
    ///
    /// Two ways: the exact engine scores only the allowed rows (cost: one filter call per
    /// row plus one dot product per allowed row), or the graph walk skips disallowed nodes
    /// and must pass about `ef_search / share` nodes to collect `ef_search` allowed ones
    /// (cost grows as the filter narrows, and `hnsw_rs`'s walk is slow per node). The share
    /// is estimated from 1,024 evenly spread ids, and the cheaper way is taken, unless
    /// `filtered_exact_below` fixes a share threshold. When the walk comes back with fewer
    /// than `k` hits, the exact engine answers instead, so a filtered search never returns
    /// fewer hits than exist.
    pub fn search_filtered(
        &self,
        query: &[f32],
        k: usize,
        allow: &(dyn Fn(u32) -> bool + Sync),
    ) -> Result<Vec<Hit>, VectorError> {
        let q = prepare_query(query, self.vectors().dim())?;
        if k == 0 || self.vectors().is_empty() {
            return Ok(Vec::new());
        }
        if is_zero(&q) || self.filter_goes_exact(self.allowed_share(allow), k) {
            return Ok(self.exact.search_prepared(&q, k, Some(allow)));
        }
        let filter = |id: &usize| u32::try_from(*id).is_ok_and(allow);
        let found = self.graph.search_filter(
            &q,
            k,
            self.ef_search.max(k),
            Some(&filter as &dyn hnsw_rs::filter::FilterT),
        );
        // The crate may keep its (disallowed) entry point among the results; check again.
        let hits = self.rescore(&q, found.iter().map(|nb| nb.d_id).filter(|&id| filter(&id)));
        if hits.len() < k {
            return Ok(self.exact.search_prepared(&q, k, Some(allow)));
        }
        Ok(hits)
    }

    /// [`Self::search`] for every row of `queries`, one query per thread at a time.
    pub fn search_batch(
        &self,
        queries: &DenseMatrix,
        k: usize,
    ) -> Result<Vec<Vec<Hit>>, VectorError> {
        let qs = prepare_queries(queries, self.vectors().dim())?;
        Ok((0..qs.rows())
            .into_par_iter()
            .map(|i| self.search_prepared(qs.row(i), k))
            .collect())
    }

    fn search_prepared(&self, q: &[f32], k: usize) -> Vec<Hit> {
        if k == 0 || self.vectors().is_empty() {
            return Vec::new();
        }
        if is_zero(q) {
            // Every row scores 0; the exact engine gives the deterministic answer (lowest ids).
            return self.exact.search_prepared(q, k, None);
        }
        let found = self.graph.search(q, k, self.ef_search.max(k));
        self.rescore(q, found.iter().map(|nb| nb.d_id))
    }

    /// Exact scores for the graph's hits, sorted best first with ties to the lower id.
    fn rescore(&self, q: &[f32], ids: impl Iterator<Item = usize>) -> Vec<Hit> {
        let vectors = self.vectors();
        let mut hits: Vec<Hit> = ids
            .filter(|&id| id < vectors.rows())
            .map(|id| Hit {
                id: id as u32,
                score: kernel::dot(q, vectors.row(id)),
            })
            .collect();
        sort_hits(&mut hits);
        hits.dedup_by_key(|h| h.id);
        hits
    }

    /// Whether a filter letting through `share` of the ids is cheaper searched exactly.
    fn filter_goes_exact(&self, share: f64, k: usize) -> bool {
        if let Some(threshold) = self.filtered_exact_below {
            return share < threshold;
        }
        let n = self.vectors().rows() as f64;
        let exact = n * FILTER_CALL_COST + share * n;
        let links = (self.ef_search.max(k) * 2 * self.m) as f64;
        let unfiltered = WALK_BASE_COST + links * WALK_LINK_COST;
        let walk = WALK_FILTER_FACTOR * unfiltered / share.max(1e-9);
        exact <= walk
    }

    /// Share of a fixed, evenly spread sample of ids that `allow` lets through.
    fn allowed_share(&self, allow: &(dyn Fn(u32) -> bool + Sync)) -> f64 {
        let n = self.vectors().rows();
        let samples = n.min(FILTER_SAMPLES);
        if samples == 0 {
            return 0.0;
        }
        let allowed = (0..samples)
            .filter(|&s| allow((s as u64 * n as u64 / samples as u64) as u32))
            .count();
        allowed as f64 / samples as f64
    }
}

fn is_zero(q: &[f32]) -> bool {
    q.iter().all(|&x| x == 0.0)
}
