//! Item similarity for factor models: cosine between item factor vectors.

use super::kernels::{Kernels, Portable};
use crate::recommender::Scored;
use crate::topk::top_k;

/// Euclidean norm of every `k`-wide row of a row-major factor matrix.
pub(crate) fn row_norms(factors: &[f32], k: usize) -> Vec<f32> {
    factors
        .chunks_exact(k.max(1))
        .map(|row| Portable.dot(row, row).sqrt())
        .collect()
}

/// The `n` items whose factors have the highest cosine with `item`'s, best first, without
/// `item` itself. Items with zero factors (never seen in training) are neither queried
/// nor returned.
pub(crate) fn cosine_neighbours(
    factors: &[f32],
    norms: &[f32],
    item: usize,
    n: usize,
) -> Vec<Scored> {
    let Some(&query_norm) = norms.get(item).filter(|&&norm| norm > 0.0) else {
        return Vec::new();
    };
    let k = factors.len() / norms.len().max(1);
    let query = &factors[item * k..(item + 1) * k];
    let similarities: Vec<f32> = factors
        .chunks_exact(k.max(1))
        .zip(norms)
        .map(|(row, &norm)| {
            if norm == 0.0 {
                f32::NAN
            } else {
                Portable.dot(query, row) / (query_norm * norm)
            }
        })
        .collect();
    // NaN marks items without factors, which top_k skips.
    top_k(&similarities, n, |other| other as usize == item)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbours_by_cosine_skip_self_and_zero_rows() {
        // Rows: item 0 (1,0), item 1 (2,0.1) nearly parallel, item 2 (0,1), item 3 zero.
        let factors = [1.0, 0.0, 2.0, 0.1, 0.0, 1.0, 0.0, 0.0];
        let norms = row_norms(&factors, 2);
        assert_eq!(norms[3], 0.0);
        let items: Vec<u32> = cosine_neighbours(&factors, &norms, 0, 5)
            .iter()
            .map(|s| s.item)
            .collect();
        assert_eq!(items, vec![1, 2]);
        assert!(cosine_neighbours(&factors, &norms, 3, 5).is_empty());
        assert!(cosine_neighbours(&factors, &norms, 9, 5).is_empty());
    }
}
