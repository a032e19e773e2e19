//! Vector search as callers rely on it: exact answers equal brute force, the HNSW index finds
//! nearly all of them, filters are never violated, and bad input gives typed errors.

use chatrec_knowledge::dense::{self, DenseMatrix};
use chatrec_knowledge::vectors::synthetic::ClusteredVectors;
use chatrec_knowledge::vectors::{
    recall, ExactIndex, Hit, HnswIndex, IndexKind, IndexOptions, VectorError, VectorIndex,
};
use chatrec_models::NoProgress;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random_unit(n: usize, dim: usize, seed: u64) -> DenseMatrix {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let data: Vec<f32> = (0..n * dim).map(|_| rng.gen_range(-1.0f32..1.0)).collect();
    let mut m = DenseMatrix::from_vec(n, dim, data).unwrap();
    m.normalize_rows();
    m
}

/// The reference answer: score every row with `dense::dot`, sort, keep `k`.
fn brute_force(
    vectors: &DenseMatrix,
    q: &[f32],
    k: usize,
    allow: impl Fn(u32) -> bool,
) -> Vec<Hit> {
    let mut all: Vec<Hit> = (0..vectors.rows())
        .filter(|&i| allow(i as u32))
        .map(|i| Hit {
            id: i as u32,
            score: dense::dot(q, vectors.row(i)),
        })
        .collect();
    all.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
    all.truncate(k);
    all
}

fn hnsw_options() -> IndexOptions {
    IndexOptions {
        exact_below: 0,
        m: 16,
        ef_construction: 100,
        ef_search: 64,
        ..IndexOptions::default()
    }
}

#[test]
fn exact_search_equals_brute_force_including_ties() {
    // 20_000 rows span several parallel chunks; duplicated rows create exact ties.
    let mut vectors = random_unit(20_000, 40, 1);
    for dup in [17_000, 5, 9_999] {
        let copy = vectors.row(123).to_vec();
        vectors.row_mut(dup).copy_from_slice(&copy);
    }
    let index = ExactIndex::new(vectors.clone()).unwrap();
    // 37 queries: two full blocks of the batch path and an odd one out.
    let queries = random_unit(37, 40, 2);
    for (qi, q) in queries.iter_rows().enumerate() {
        for k in [1, 10, 57] {
            assert_eq!(
                index.search(q, k).unwrap(),
                brute_force(&vectors, q, k, |_| true),
                "query {qi} k {k}"
            );
        }
    }
    // A query equal to the duplicated row finds all four copies, lowest id first.
    let top = index.search(vectors.row(123), 4).unwrap();
    assert_eq!(
        top.iter().map(|h| h.id).collect::<Vec<_>>(),
        vec![5, 123, 9_999, 17_000]
    );
    // The batch API gives the same lists as one search per query.
    let batch = index.search_batch(&queries, 10).unwrap();
    for (q, list) in queries.iter_rows().zip(&batch) {
        assert_eq!(list, &index.search(q, 10).unwrap());
    }
}

#[test]
fn hnsw_finds_at_least_95_percent_of_the_exact_top_10_on_clustered_data() {
    let mixture = ClusteredVectors::new(64, 40, 1.0, 3);
    let vectors = mixture.sample(4_000, 0);
    let queries = mixture.sample(200, 1);
    let exact = ExactIndex::new(vectors.clone()).unwrap();
    let index = VectorIndex::build(vectors, &hnsw_options(), &NoProgress).unwrap();
    assert_eq!(index.kind(), IndexKind::Hnsw);
    let approx = index.search_batch(&queries, 10).unwrap();
    let mut total = 0.0;
    for (q, found) in queries.iter_rows().zip(&approx) {
        let truth = exact.search(q, 10).unwrap();
        assert_eq!(found.len(), 10);
        // Hits carry the exact cosine, best first.
        for pair in found.windows(2) {
            assert!(pair[0].score >= pair[1].score);
        }
        for hit in found {
            assert_eq!(
                hit.score,
                dense::dot(q, exact.vectors().row(hit.id as usize))
            );
        }
        total += recall(found, &truth);
    }
    let mean = total / queries.rows() as f64;
    assert!(mean >= 0.95, "recall@10 = {mean}");
}

#[test]
fn serial_hnsw_builds_are_reproducible() {
    let mixture = ClusteredVectors::new(32, 10, 1.0, 4);
    let vectors = mixture.sample(1_500, 0);
    let queries = mixture.sample(30, 1);
    let a = HnswIndex::build(vectors.clone(), &hnsw_options(), &NoProgress).unwrap();
    let b = HnswIndex::build(vectors, &hnsw_options(), &NoProgress).unwrap();
    assert_eq!(
        a.search_batch(&queries, 10).unwrap(),
        b.search_batch(&queries, 10).unwrap()
    );
}

#[test]
fn filtered_search_never_returns_disallowed_ids() {
    let mixture = ClusteredVectors::new(32, 20, 1.0, 5);
    let vectors = mixture.sample(3_000, 0);
    let queries = mixture.sample(20, 1);
    let exact = ExactIndex::new(vectors.clone()).unwrap();
    let mut hnsw = HnswIndex::build(vectors.clone(), &hnsw_options(), &NoProgress).unwrap();
    // Broad (half), selective (1 in 50) and tiny (3 ids) filters.
    let filters: Vec<Box<dyn Fn(u32) -> bool + Sync>> = vec![
        Box::new(|id| id % 2 == 0),
        Box::new(|id| id % 50 == 7),
        Box::new(|id| [11, 2_000, 2_999].contains(&id)),
    ];
    // Both HNSW strategies: the graph walk (threshold 0) and the selectivity switch.
    for threshold in [Some(0.0), Some(0.05), None] {
        hnsw.set_filtered_exact_below(threshold);
        for allow in &filters {
            for q in queries.iter_rows() {
                let truth = brute_force(&vectors, q, 10, allow);
                assert_eq!(exact.search_filtered(q, 10, allow).unwrap(), truth);
                let found = hnsw.search_filtered(q, 10, allow).unwrap();
                assert!(found.iter().all(|h| allow(h.id)), "{found:?}");
                assert_eq!(found.len(), truth.len());
                assert!(recall(&found, &truth) >= 0.8);
            }
        }
    }
}

#[test]
fn empty_index_small_k_and_bad_queries() {
    let empty = VectorIndex::build(
        DenseMatrix::zeros(0, 8),
        &IndexOptions::default(),
        &NoProgress,
    )
    .unwrap();
    assert!(empty.is_empty());
    assert_eq!(empty.dim(), 8);
    assert!(empty.search(&[0.5; 8], 10).unwrap().is_empty());

    let vectors = random_unit(5, 8, 6);
    for opts in [IndexOptions::default(), hnsw_options()] {
        let index = VectorIndex::build(vectors.clone(), &opts, &NoProgress).unwrap();
        // k larger than the index gives every row, best first.
        let all = index.search(vectors.row(2), 10).unwrap();
        assert_eq!(all.len(), 5);
        assert_eq!(all[0].id, 2);
        assert!(index.search(vectors.row(2), 0).unwrap().is_empty());
        assert_eq!(
            index.search(&[1.0; 7], 3),
            Err(VectorError::DimMismatch {
                expected: 8,
                got: 7
            })
        );
        assert_eq!(
            index.search_filtered(&[1.0; 9], 3, &|_| true),
            Err(VectorError::DimMismatch {
                expected: 8,
                got: 9
            })
        );
        assert_eq!(
            index.search_batch(&DenseMatrix::zeros(2, 3), 3),
            Err(VectorError::DimMismatch {
                expected: 8,
                got: 3
            })
        );
        let mut nan = vec![0.1; 8];
        nan[3] = f32::NAN;
        assert_eq!(index.search(&nan, 3), Err(VectorError::NonFiniteQuery));
        // A zero query ties everything at 0: the lowest ids win.
        let zero = index.search(&[0.0; 8], 2).unwrap();
        assert_eq!(zero.iter().map(|h| h.id).collect::<Vec<_>>(), vec![0, 1]);
    }
}

#[test]
fn build_picks_the_engine_by_size_and_checks_its_input() {
    let vectors = random_unit(100, 8, 7);
    let opts = IndexOptions {
        exact_below: 100,
        ..IndexOptions::default()
    };
    assert_eq!(
        VectorIndex::build(random_unit(99, 8, 7), &opts, &NoProgress)
            .unwrap()
            .kind(),
        IndexKind::Exact
    );
    assert_eq!(
        VectorIndex::build(vectors.clone(), &opts, &NoProgress)
            .unwrap()
            .kind(),
        IndexKind::Hnsw
    );

    // Rows that are not unit length are normalised, so scores stay cosines.
    let mut scaled = vectors.clone();
    for x in scaled.row_mut(4) {
        *x *= 3.0;
    }
    let index = VectorIndex::build(scaled, &IndexOptions::default(), &NoProgress).unwrap();
    let top = index.search(vectors.row(4), 1).unwrap();
    assert_eq!(top[0].id, 4);
    assert!((top[0].score - 1.0).abs() < 1e-5);

    let mut bad = vectors;
    bad.row_mut(9)[0] = f32::INFINITY;
    assert_eq!(
        VectorIndex::build(bad, &IndexOptions::default(), &NoProgress).unwrap_err(),
        VectorError::NonFiniteVector { row: 9 }
    );
    let bad_m = IndexOptions {
        m: 300,
        ..IndexOptions::default()
    };
    assert!(matches!(
        VectorIndex::build(random_unit(3, 8, 8), &bad_m, &NoProgress),
        Err(VectorError::InvalidOptions(_))
    ));
}
