//! Per-user score normalisation, so that scores of different models can be added.

use serde::{Deserialize, Serialize};

/// How each component's scores for one user are put on a common scale before weighting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Normalise {
    /// `(s - mean) / sd` over all items (as the `blend` model does); a row whose spread is
    /// within rounding error of its values becomes zeros.
    Zscore,
    /// Reciprocal rank fusion: `1 / (60 + rank)`, rank 1 for the best item (Cormack,
    /// Clarke & Büttcher, "Reciprocal rank fusion outperforms Condorcet and individual rank
    /// learning methods", SIGIR 2009). Only the order counts, and the top of each list
    /// counts most.
    Rrf,
}

/// The constant of reciprocal rank fusion, as in the paper.
const RRF_K: f32 = 60.0;

impl Normalise {
    /// Rewrites one user's scores in place.
    pub fn apply(self, scores: &mut [f32]) {
        match self {
            Normalise::Zscore => zscore(scores),
            Normalise::Rrf => rrf(scores),
        }
    }
}

fn zscore(scores: &mut [f32]) {
    let n = scores.len().max(1) as f64;
    let mean = scores.iter().map(|&s| s as f64).sum::<f64>() / n;
    let var = scores
        .iter()
        .map(|&s| (s as f64 - mean).powi(2))
        .sum::<f64>()
        / n;
    let sd = var.sqrt();
    // Relative to the scores' magnitude: a model may score on a tiny scale (ALS on very
    // sparse data) and still rank; only spreads within rounding error are flat.
    let scale = scores.iter().fold(0.0f64, |m, &s| m.max((s as f64).abs()));
    if sd.is_nan() || sd <= f64::EPSILON * scale || sd == 0.0 {
        scores.fill(0.0);
        return;
    }
    scores
        .iter_mut()
        .for_each(|s| *s = ((*s as f64 - mean) / sd) as f32);
}

fn rrf(scores: &mut [f32]) {
    let mut order: Vec<u32> = (0..scores.len() as u32).collect();
    // Best first, ties to the lower index, non-finite scores last: the order of `top_k`.
    let key = |s: f32| if s.is_finite() { s } else { f32::NEG_INFINITY };
    order.sort_by(|&a, &b| {
        key(scores[b as usize])
            .total_cmp(&key(scores[a as usize]))
            .then(a.cmp(&b))
    });
    let mut out = vec![0.0f32; scores.len()];
    for (rank, &item) in order.iter().enumerate() {
        out[item as usize] = 1.0 / (RRF_K + rank as f32 + 1.0);
    }
    scores.copy_from_slice(&out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zscores_have_zero_mean_and_unit_variance_and_flat_rows_become_zero() {
        let mut v = vec![1.0, 2.0, 3.0, 4.0];
        Normalise::Zscore.apply(&mut v);
        let mean: f32 = v.iter().sum::<f32>() / 4.0;
        let var: f32 = v.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / 4.0;
        assert!(mean.abs() < 1e-6 && (var - 1.0).abs() < 1e-5);
        let mut flat = vec![2.0; 3];
        Normalise::Zscore.apply(&mut flat);
        assert_eq!(flat, vec![0.0; 3]);
        // Tiny scores still rank.
        let mut tiny = vec![1e-20, 3e-20, 2e-20];
        Normalise::Zscore.apply(&mut tiny);
        assert!(tiny[1] > tiny[2] && tiny[2] > tiny[0]);
    }

    #[test]
    fn rrf_keeps_only_the_order() {
        let mut v = vec![0.5, 9.0, -3.0, 9.0];
        Normalise::Rrf.apply(&mut v);
        assert_eq!(v, vec![1.0 / 63.0, 1.0 / 61.0, 1.0 / 64.0, 1.0 / 62.0]);
    }
}
