//! Seeded synthetic unit vectors for benchmarks and tests: a mixture of Gaussians on the
//! sphere.
//!
//! Each cluster has a centre drawn uniformly on the unit sphere; a point is its cluster's
//! centre plus isotropic Gaussian noise of norm about `spread`, rescaled to unit length.
//! With `spread = 1` a point has cosine about 0.7 with its centre and about 0.5 with another
//! point of its cluster, and about 0 with other clusters: roughly how sentence embeddings of
//! texts on one topic relate. Pure isotropic noise (one cluster, or a huge spread) is not a
//! realistic test: in 384 dimensions all pairwise cosines are then nearly equal, the "nearest"
//! neighbours are barely nearer than the rest, and every approximate index loses recall.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::dense::{self, DenseMatrix};

/// Rows generated from one random stream; the output does not depend on thread count.
const BLOCK_ROWS: usize = 1024;

/// A mixture of Gaussians on the unit sphere; [`Self::sample`] draws points from it.
#[derive(Debug, Clone)]
pub struct ClusteredVectors {
    centres: DenseMatrix,
    spread: f32,
    seed: u64,
}

impl ClusteredVectors {
    /// `clusters` centres (at least 1) of width `dim`, drawn from `seed`.
    pub fn new(dim: usize, clusters: usize, spread: f32, seed: u64) -> Self {
        let clusters = clusters.max(1);
        let mut rng = ChaCha8Rng::seed_from_u64(mix(seed, u64::MAX, 0));
        let mut centres = DenseMatrix::zeros(clusters, dim);
        for c in 0..clusters {
            let row = centres.row_mut(c);
            fill_gaussian(&mut rng, row);
            dense::normalize(row);
        }
        Self {
            centres,
            spread,
            seed,
        }
    }

    pub fn clusters(&self) -> usize {
        self.centres.rows()
    }

    pub fn dim(&self) -> usize {
        self.centres.dim()
    }

    /// `n` unit vectors; different `stream`s give independent draws from the same mixture
    /// (e.g. stream 0 for the indexed vectors, stream 1 for the queries).
    pub fn sample(&self, n: usize, stream: u64) -> DenseMatrix {
        let dim = self.dim();
        let mut data = vec![0.0f32; n * dim];
        if dim > 0 {
            let noise_scale = self.spread / (dim as f32).sqrt();
            data.par_chunks_mut(BLOCK_ROWS * dim)
                .enumerate()
                .for_each(|(block, chunk)| {
                    let mut rng = ChaCha8Rng::seed_from_u64(mix(self.seed, stream, block as u64));
                    for row in chunk.chunks_exact_mut(dim) {
                        let c = rng.gen_range(0..self.centres.rows());
                        fill_gaussian(&mut rng, row);
                        for (x, m) in row.iter_mut().zip(self.centres.row(c)) {
                            *x = m + noise_scale * *x;
                        }
                        dense::normalize(row);
                    }
                });
        }
        DenseMatrix::from_vec(n, dim, data).expect("the buffer holds n * dim values")
    }
}

/// Standard normal values by the Box–Muller transform (rand 0.8 has no normal sampler
/// without `rand_distr`).
fn fill_gaussian(rng: &mut ChaCha8Rng, out: &mut [f32]) {
    for pair in out.chunks_mut(2) {
        // 1 - u lies in (0, 1], so the logarithm is finite.
        let u1: f64 = 1.0 - rng.gen::<f64>();
        let u2: f64 = rng.gen::<f64>();
        let r = (-2.0 * u1.ln()).sqrt();
        let theta = std::f64::consts::TAU * u2;
        pair[0] = (r * theta.cos()) as f32;
        if let Some(second) = pair.get_mut(1) {
            *second = (r * theta.sin()) as f32;
        }
    }
}

/// Derives an independent seed per (seed, stream, block) with SplitMix64 steps.
fn mix(seed: u64, stream: u64, block: u64) -> u64 {
    let mut z = seed;
    for v in [stream, block] {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15).wrapping_add(v);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
    }
    z
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_unit_length_clustered_and_reproducible() {
        let mix_a = ClusteredVectors::new(64, 8, 1.0, 7);
        let a = mix_a.sample(300, 0);
        let b = ClusteredVectors::new(64, 8, 1.0, 7).sample(300, 0);
        assert_eq!(a, b);
        assert_ne!(a, mix_a.sample(300, 1));
        for row in a.iter_rows() {
            assert!((dense::dot(row, row) - 1.0).abs() < 1e-4);
        }
        // Every point is much closer to some centre than random directions are.
        let best: f32 = a
            .iter_rows()
            .map(|row| {
                mix_a
                    .centres
                    .iter_rows()
                    .map(|c| dense::dot(row, c))
                    .fold(f32::MIN, f32::max)
            })
            .fold(f32::MAX, f32::min);
        assert!(best > 0.5, "closest-centre cosine {best}");
    }
}
