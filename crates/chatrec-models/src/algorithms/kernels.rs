//! Vector kernels for the hot loops of the factor models, with a runtime choice of
//! instruction set.
//!
//! A hot loop is written once as a [`KernelOp`], generic over [`Kernels`]; [`dispatch`]
//! runs it with AVX2+FMA kernels inside a function compiled for those features when the
//! CPU has them, else with portable kernels. The two give equal results up to rounding
//! (FMA rounds once), so results are reproducible on one machine, not across CPUs with
//! different instruction sets.

/// Dot product and updates of `f32` vectors.
pub(crate) trait Kernels: Copy {
    /// `a . b` over the common length.
    fn dot(self, a: &[f32], b: &[f32]) -> f32;
    /// `y += alpha * x`.
    fn axpy(self, y: &mut [f32], alpha: f32, x: &[f32]);
    /// `y = beta * y + x`.
    fn scale_add(self, y: &mut [f32], beta: f32, x: &[f32]);

    /// Four dot products with one shared vector: `[a[0] . v, ..., a[3] . v]`.
    #[inline(always)]
    fn dot4(self, a: [&[f32]; 4], v: &[f32]) -> [f32; 4] {
        a.map(|row| self.dot(row, v))
    }

    /// `y += sum_j alpha[j] * x[j]`.
    #[inline(always)]
    fn axpy4(self, y: &mut [f32], alpha: [f32; 4], x: [&[f32]; 4]) {
        for (a, row) in alpha.into_iter().zip(x) {
            self.axpy(y, a, row);
        }
    }

    /// `out = M v` for a row-major `out.len() x v.len()` matrix `M`.
    #[inline(always)]
    fn matvec(self, m: &[f32], v: &[f32], out: &mut [f32]) {
        let k = v.len();
        let mut rows = m.chunks_exact(k);
        let mut outs = out.chunks_exact_mut(4);
        for block in &mut outs {
            let (Some(r0), Some(r1), Some(r2), Some(r3)) =
                (rows.next(), rows.next(), rows.next(), rows.next())
            else {
                return;
            };
            block.copy_from_slice(&self.dot4([r0, r1, r2, r3], v));
        }
        for (o, row) in outs.into_remainder().iter_mut().zip(rows) {
            *o = self.dot(row, v);
        }
    }

    /// `out += sum_i coef(i, y_i . v) * y_i` over the rows `y_i` of the row-major
    /// `factors` (width `v.len()`) listed in `rows`.
    #[inline(always)]
    fn gather_update(
        self,
        out: &mut [f32],
        v: &[f32],
        factors: &[f32],
        rows: &[u32],
        coef: impl Fn(usize, f32) -> f32,
    ) {
        let k = v.len();
        let row = |i: u32| &factors[i as usize * k..(i as usize + 1) * k];
        let mut groups = rows.chunks_exact(4);
        let mut first = 0;
        for group in &mut groups {
            let ys = [row(group[0]), row(group[1]), row(group[2]), row(group[3])];
            let dots = self.dot4(ys, v);
            let coefs = [
                coef(first, dots[0]),
                coef(first + 1, dots[1]),
                coef(first + 2, dots[2]),
                coef(first + 3, dots[3]),
            ];
            self.axpy4(out, coefs, ys);
            first += 4;
        }
        for (offset, &i) in groups.remainder().iter().enumerate() {
            let y = row(i);
            let c = coef(first + offset, self.dot(y, v));
            self.axpy(out, c, y);
        }
    }
}

/// A computation to run with the best available [`Kernels`]. `run` must be
/// `#[inline(always)]` so that it is compiled with the caller's instruction set.
pub(crate) trait KernelOp {
    type Output;
    fn run<K: Kernels>(self, kern: K) -> Self::Output;
}

/// Runs `op` with AVX2+FMA kernels when available, else portable ones.
pub(crate) fn dispatch<O: KernelOp>(op: O) -> O::Output {
    #[cfg(target_arch = "x86_64")]
    if let Some(token) = x86::Avx2Fma::detect() {
        return x86::run(token, op);
    }
    op.run(Portable)
}

/// Kernels in plain Rust, vectorised as far as the compiler manages for the target.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Portable;

/// Accumulator lanes of the portable dot product.
const LANES: usize = 8;

impl Kernels for Portable {
    #[inline(always)]
    fn dot(self, a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (a, b) = (&a[..n], &b[..n]);
        let mut acc = [0.0f32; LANES];
        let chunks_a = a.chunks_exact(LANES);
        let chunks_b = b.chunks_exact(LANES);
        let mut tail = 0.0f32;
        for (x, y) in chunks_a.remainder().iter().zip(chunks_b.remainder()) {
            tail += x * y;
        }
        for (x, y) in chunks_a.zip(chunks_b) {
            for j in 0..LANES {
                acc[j] += x[j] * y[j];
            }
        }
        let pairs = [
            acc[0] + acc[4],
            acc[1] + acc[5],
            acc[2] + acc[6],
            acc[3] + acc[7],
        ];
        (pairs[0] + pairs[2]) + (pairs[1] + pairs[3]) + tail
    }

    #[inline(always)]
    fn axpy(self, y: &mut [f32], alpha: f32, x: &[f32]) {
        for (yi, &xi) in y.iter_mut().zip(x) {
            *yi += alpha * xi;
        }
    }

    #[inline(always)]
    fn scale_add(self, y: &mut [f32], beta: f32, x: &[f32]) {
        for (yi, &xi) in y.iter_mut().zip(x) {
            *yi = beta * *yi + xi;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::{KernelOp, Kernels};

    /// Proof that the CPU supports AVX2 and FMA: only [`Avx2Fma::detect`] makes one.
    #[derive(Debug, Clone, Copy)]
    pub(crate) struct Avx2Fma {
        _private: (),
    }

    impl Avx2Fma {
        pub(crate) fn detect() -> Option<Self> {
            (is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"))
                .then_some(Avx2Fma { _private: () })
        }
    }

    pub(crate) fn run<O: KernelOp>(token: Avx2Fma, op: O) -> O::Output {
        // SAFETY: the token exists only when the CPU supports AVX2 and FMA.
        unsafe { run_avx2(token, op) }
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn run_avx2<O: KernelOp>(token: Avx2Fma, op: O) -> O::Output {
        op.run(token)
    }

    impl Kernels for Avx2Fma {
        #[inline(always)]
        fn dot(self, a: &[f32], b: &[f32]) -> f32 {
            // SAFETY: `self` proves AVX2 and FMA support.
            unsafe { dot(a, b) }
        }

        #[inline(always)]
        fn axpy(self, y: &mut [f32], alpha: f32, x: &[f32]) {
            // SAFETY: `self` proves AVX2 and FMA support.
            unsafe { axpy(y, alpha, x) }
        }

        #[inline(always)]
        fn scale_add(self, y: &mut [f32], beta: f32, x: &[f32]) {
            // SAFETY: `self` proves AVX2 and FMA support.
            unsafe { scale_add(y, beta, x) }
        }

        #[inline(always)]
        fn dot4(self, a: [&[f32]; 4], v: &[f32]) -> [f32; 4] {
            if a.iter().all(|row| row.len() == v.len()) && v.len().is_multiple_of(8) {
                // SAFETY: `self` proves AVX2 and FMA support; lengths were checked.
                unsafe { dot4(a, v) }
            } else {
                a.map(|row| self.dot(row, v))
            }
        }

        #[inline(always)]
        fn axpy4(self, y: &mut [f32], alpha: [f32; 4], x: [&[f32]; 4]) {
            if x.iter().all(|row| row.len() == y.len()) && y.len().is_multiple_of(8) {
                // SAFETY: `self` proves AVX2 and FMA support; lengths were checked.
                unsafe { axpy4(y, alpha, x) }
            } else {
                for (a, row) in alpha.into_iter().zip(x) {
                    self.axpy(y, a, row);
                }
            }
        }
    }

    /// Four dot products sharing `v`; every slice has the length of `v`, a multiple
    /// of 8.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn dot4(a: [&[f32]; 4], v: &[f32]) -> [f32; 4] {
        let n = v.len();
        let mut acc = [_mm256_setzero_ps(); 4];
        let mut i = 0;
        // SAFETY: i + 8 <= n and every row has length n.
        while i + 8 <= n {
            let shared = _mm256_loadu_ps(v.as_ptr().add(i));
            for (acc, row) in acc.iter_mut().zip(&a) {
                *acc = _mm256_fmadd_ps(_mm256_loadu_ps(row.as_ptr().add(i)), shared, *acc);
            }
            i += 8;
        }
        // Horizontal sums of the four accumulators at once.
        let pairs01 = _mm256_hadd_ps(acc[0], acc[1]);
        let pairs23 = _mm256_hadd_ps(acc[2], acc[3]);
        let quads = _mm256_hadd_ps(pairs01, pairs23);
        let sums = _mm_add_ps(
            _mm256_castps256_ps128(quads),
            _mm256_extractf128_ps(quads, 1),
        );
        let mut out = [0.0f32; 4];
        _mm_storeu_ps(out.as_mut_ptr(), sums);
        out
    }

    /// `y += sum_j alpha[j] * x[j]`; every slice has the length of `y`, a multiple of 8.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn axpy4(y: &mut [f32], alpha: [f32; 4], x: [&[f32]; 4]) {
        let n = y.len();
        let scales = alpha.map(|a| _mm256_set1_ps(a));
        let mut i = 0;
        // SAFETY: i + 8 <= n and every slice has length n.
        while i + 8 <= n {
            let target = y.as_mut_ptr().add(i);
            let mut acc = _mm256_loadu_ps(target);
            for (scale, row) in scales.iter().zip(&x) {
                acc = _mm256_fmadd_ps(*scale, _mm256_loadu_ps(row.as_ptr().add(i)), acc);
            }
            _mm256_storeu_ps(target, acc);
            i += 8;
        }
    }

    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn dot(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc = [_mm256_setzero_ps(); 4];
        let mut i = 0;
        // SAFETY (all loads): i + width <= n, within both slices.
        while i + 32 <= n {
            for (lane, acc) in acc.iter_mut().enumerate() {
                let offset = i + 8 * lane;
                *acc = _mm256_fmadd_ps(
                    _mm256_loadu_ps(pa.add(offset)),
                    _mm256_loadu_ps(pb.add(offset)),
                    *acc,
                );
            }
            i += 32;
        }
        while i + 8 <= n {
            acc[0] = _mm256_fmadd_ps(
                _mm256_loadu_ps(pa.add(i)),
                _mm256_loadu_ps(pb.add(i)),
                acc[0],
            );
            i += 8;
        }
        let sum = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
        let quad = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps(sum, 1));
        let pair = _mm_add_ps(quad, _mm_movehl_ps(quad, quad));
        let single = _mm_add_ss(pair, _mm_shuffle_ps(pair, pair, 1));
        let mut total = _mm_cvtss_f32(single);
        while i < n {
            total += a[i] * b[i];
            i += 1;
        }
        total
    }

    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn axpy(y: &mut [f32], alpha: f32, x: &[f32]) {
        let n = y.len().min(x.len());
        let (py, px) = (y.as_mut_ptr(), x.as_ptr());
        let scale = _mm256_set1_ps(alpha);
        let mut i = 0;
        // SAFETY: i + 8 <= n, within both slices.
        while i + 8 <= n {
            let updated = _mm256_fmadd_ps(
                scale,
                _mm256_loadu_ps(px.add(i)),
                _mm256_loadu_ps(py.add(i)),
            );
            _mm256_storeu_ps(py.add(i), updated);
            i += 8;
        }
        while i < n {
            y[i] += alpha * x[i];
            i += 1;
        }
    }

    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn scale_add(y: &mut [f32], beta: f32, x: &[f32]) {
        let n = y.len().min(x.len());
        let (py, px) = (y.as_mut_ptr(), x.as_ptr());
        let scale = _mm256_set1_ps(beta);
        let mut i = 0;
        // SAFETY: i + 8 <= n, within both slices.
        while i + 8 <= n {
            let updated = _mm256_fmadd_ps(
                scale,
                _mm256_loadu_ps(py.add(i)),
                _mm256_loadu_ps(px.add(i)),
            );
            _mm256_storeu_ps(py.add(i), updated);
            i += 8;
        }
        while i < n {
            y[i] = beta * y[i] + x[i];
            i += 1;
        }
    }
}
