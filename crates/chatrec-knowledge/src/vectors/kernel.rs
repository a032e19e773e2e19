//! Dot-product kernels for vector search.
//!
//! Every kernel sums in the same order as [`crate::dense::dot`] (eight lane accumulators,
//! then a left-to-right sum, then the tail), so a score is bit-for-bit the same whichever
//! kernel computed it and whether or not the AVX version of it ran. That keeps exact search,
//! the HNSW rescoring and brute force in tests in exact agreement, ties included.

/// Lane accumulators per row; matches `dense::dot`.
const LANES: usize = 8;

#[inline(always)]
fn dot_body(a: &[f32], b: &[f32]) -> f32 {
    let (a8, a_tail) = a.as_chunks::<LANES>();
    let (b8, b_tail) = b.as_chunks::<LANES>();
    let mut acc = [0.0f32; LANES];
    for (ca, cb) in a8.iter().zip(b8) {
        for l in 0..LANES {
            acc[l] += ca[l] * cb[l];
        }
    }
    let mut sum: f32 = acc.iter().sum();
    for (x, y) in a_tail.iter().zip(b_tail) {
        sum += x * y;
    }
    sum
}

/// One query against four rows per pass: the query chunk is loaded once for four rows and
/// the four accumulator chains run independently, which hides the add latency.
#[inline(always)]
fn dot4_body(q: &[f32], r: [&[f32]; 4]) -> [f32; 4] {
    let (q8, q_tail) = q.as_chunks::<LANES>();
    let (r0, t0) = r[0].as_chunks::<LANES>();
    let (r1, t1) = r[1].as_chunks::<LANES>();
    let (r2, t2) = r[2].as_chunks::<LANES>();
    let (r3, t3) = r[3].as_chunks::<LANES>();
    let mut acc = [[0.0f32; LANES]; 4];
    for ((((cq, c0), c1), c2), c3) in q8.iter().zip(r0).zip(r1).zip(r2).zip(r3) {
        for l in 0..LANES {
            acc[0][l] += cq[l] * c0[l];
            acc[1][l] += cq[l] * c1[l];
            acc[2][l] += cq[l] * c2[l];
            acc[3][l] += cq[l] * c3[l];
        }
    }
    let mut out = [0.0f32; 4];
    for (j, tail) in [t0, t1, t2, t3].into_iter().enumerate() {
        let mut sum: f32 = acc[j].iter().sum();
        for (x, y) in q_tail.iter().zip(tail) {
            sum += x * y;
        }
        out[j] = sum;
    }
    out
}

/// The same sums with explicit 256-bit vectors: one register per row holds the eight lane
/// accumulators, so each lane adds exactly the products the portable code adds, in the same
/// order. (Left to the compiler, the four-row loop was vectorised across rows instead, with
/// a shuffle per product.) No fused multiply-add, which would round differently.
/// Two queries against four rows per pass: each row chunk is loaded once for two queries,
/// halving the row traffic of a batch search.
#[inline(always)]
fn dot2x4_body(q: [&[f32]; 2], r: [&[f32]; 4]) -> [[f32; 4]; 2] {
    [dot4_body(q[0], r), dot4_body(q[1], r)]
}

#[cfg(target_arch = "x86_64")]
mod avx {
    use std::arch::x86_64::{
        __m256, _mm256_add_ps, _mm256_loadu_ps, _mm256_mul_ps, _mm256_setzero_ps, _mm256_storeu_ps,
    };

    use super::LANES;

    #[inline(always)]
    fn load(chunk: &[f32; LANES]) -> __m256 {
        // SAFETY: `chunk` is eight readable floats; the load needs no alignment.
        unsafe { _mm256_loadu_ps(chunk.as_ptr()) }
    }

    #[inline(always)]
    fn finish(acc: __m256, a_tail: &[f32], b_tail: &[f32]) -> f32 {
        let mut lanes = [0.0f32; LANES];
        // SAFETY: `lanes` is eight writable floats; the store needs no alignment.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), acc) };
        let mut sum: f32 = lanes.iter().sum();
        for (x, y) in a_tail.iter().zip(b_tail) {
            sum += x * y;
        }
        sum
    }

    #[target_feature(enable = "avx")]
    pub(super) fn dot(a: &[f32], b: &[f32]) -> f32 {
        let (a8, a_tail) = a.as_chunks::<LANES>();
        let (b8, b_tail) = b.as_chunks::<LANES>();
        let mut acc = _mm256_setzero_ps();
        for (ca, cb) in a8.iter().zip(b8) {
            acc = _mm256_add_ps(acc, _mm256_mul_ps(load(ca), load(cb)));
        }
        finish(acc, a_tail, b_tail)
    }

    #[target_feature(enable = "avx")]
    pub(super) fn dot2x4(q: [&[f32]; 2], r: [&[f32]; 4]) -> [[f32; 4]; 2] {
        let (qa8, qa_tail) = q[0].as_chunks::<LANES>();
        let (qb8, qb_tail) = q[1].as_chunks::<LANES>();
        let (r0, t0) = r[0].as_chunks::<LANES>();
        let (r1, t1) = r[1].as_chunks::<LANES>();
        let (r2, t2) = r[2].as_chunks::<LANES>();
        let (r3, t3) = r[3].as_chunks::<LANES>();
        let mut a = [_mm256_setzero_ps(); 4];
        let mut b = [_mm256_setzero_ps(); 4];
        let chunks = qa8.iter().zip(qb8).zip(r0).zip(r1).zip(r2).zip(r3);
        for (((((ca, cb), c0), c1), c2), c3) in chunks {
            let (va, vb) = (load(ca), load(cb));
            for (j, c) in [c0, c1, c2, c3].into_iter().enumerate() {
                let vr = load(c);
                a[j] = _mm256_add_ps(a[j], _mm256_mul_ps(va, vr));
                b[j] = _mm256_add_ps(b[j], _mm256_mul_ps(vb, vr));
            }
        }
        let tails = [t0, t1, t2, t3];
        let mut out = [[0.0f32; 4]; 2];
        for j in 0..4 {
            out[0][j] = finish(a[j], qa_tail, tails[j]);
            out[1][j] = finish(b[j], qb_tail, tails[j]);
        }
        out
    }

    #[target_feature(enable = "avx")]
    pub(super) fn dot4(q: &[f32], r: [&[f32]; 4]) -> [f32; 4] {
        let (q8, q_tail) = q.as_chunks::<LANES>();
        let (r0, t0) = r[0].as_chunks::<LANES>();
        let (r1, t1) = r[1].as_chunks::<LANES>();
        let (r2, t2) = r[2].as_chunks::<LANES>();
        let (r3, t3) = r[3].as_chunks::<LANES>();
        let mut acc = [_mm256_setzero_ps(); 4];
        for ((((cq, c0), c1), c2), c3) in q8.iter().zip(r0).zip(r1).zip(r2).zip(r3) {
            let vq = load(cq);
            acc[0] = _mm256_add_ps(acc[0], _mm256_mul_ps(vq, load(c0)));
            acc[1] = _mm256_add_ps(acc[1], _mm256_mul_ps(vq, load(c1)));
            acc[2] = _mm256_add_ps(acc[2], _mm256_mul_ps(vq, load(c2)));
            acc[3] = _mm256_add_ps(acc[3], _mm256_mul_ps(vq, load(c3)));
        }
        [
            finish(acc[0], q_tail, t0),
            finish(acc[1], q_tail, t1),
            finish(acc[2], q_tail, t2),
            finish(acc[3], q_tail, t3),
        ]
    }
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn has_avx() -> bool {
    // The standard library caches the CPUID answer, so this is one relaxed load.
    std::arch::is_x86_feature_detected!("avx")
}

/// Dot product of two equally long slices (the shorter length wins otherwise).
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    #[cfg(target_arch = "x86_64")]
    if has_avx() {
        // SAFETY: the CPU supports AVX, the only requirement of `avx::dot`.
        return unsafe { avx::dot(a, b) };
    }
    dot_body(a, b)
}

/// Dot products of `q` with four rows, each as long as `q`.
#[inline]
pub fn dot4(q: &[f32], r: [&[f32]; 4]) -> [f32; 4] {
    let n = q.len();
    let r = [&r[0][..n], &r[1][..n], &r[2][..n], &r[3][..n]];
    #[cfg(target_arch = "x86_64")]
    if has_avx() {
        // SAFETY: the CPU supports AVX, the only requirement of `avx::dot4`.
        return unsafe { avx::dot4(q, r) };
    }
    dot4_body(q, r)
}

/// Dot products of two queries with four rows, each as long as the first query.
#[inline]
pub fn dot2x4(q: [&[f32]; 2], r: [&[f32]; 4]) -> [[f32; 4]; 2] {
    let n = q[0].len();
    let q = [q[0], &q[1][..n]];
    let r = [&r[0][..n], &r[1][..n], &r[2][..n], &r[3][..n]];
    #[cfg(target_arch = "x86_64")]
    if has_avx() {
        // SAFETY: the CPU supports AVX, the only requirement of `avx::dot2x4`.
        return unsafe { avx::dot2x4(q, r) };
    }
    dot2x4_body(q, r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dense;

    fn wave(n: usize, phase: f32) -> Vec<f32> {
        (0..n).map(|i| ((i as f32) * 0.37 + phase).sin()).collect()
    }

    #[test]
    fn kernels_agree_bit_for_bit_with_dense_dot() {
        for n in [0, 1, 7, 8, 9, 31, 384, 385] {
            let q = wave(n, 0.0);
            let rows: Vec<Vec<f32>> = (0..4).map(|j| wave(n, j as f32 + 1.0)).collect();
            let four = dot4(&q, [&rows[0], &rows[1], &rows[2], &rows[3]]);
            let q2 = wave(n, 7.0);
            let pair = dot2x4([&q, &q2], [&rows[0], &rows[1], &rows[2], &rows[3]]);
            for j in 0..4 {
                let reference = dense::dot(&q, &rows[j]);
                assert_eq!(dot(&q, &rows[j]).to_bits(), reference.to_bits(), "n={n}");
                assert_eq!(four[j].to_bits(), reference.to_bits(), "n={n} row {j}");
                assert_eq!(pair[0][j].to_bits(), reference.to_bits());
                assert_eq!(pair[1][j].to_bits(), dense::dot(&q2, &rows[j]).to_bits());
                // The portable bodies are what a CPU without AVX runs.
                assert_eq!(dot_body(&q, &rows[j]).to_bits(), reference.to_bits());
                let portable = dot4_body(&q, [&rows[0], &rows[1], &rows[2], &rows[3]]);
                assert_eq!(portable[j].to_bits(), reference.to_bits());
            }
        }
    }
}
