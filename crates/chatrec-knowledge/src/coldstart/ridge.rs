//! Ridge regression from item content features to collaborative item factors.
//!
//! With features `X` (`n x d`, one row per warm item) and factors `Y` (`n x k`), both
//! centred on their means over the training items, the map is
//! `W = (Xc^T Xc + λ I)^-1 Xc^T Yc` and an item with features `x` gets the factors
//! `mean(Y) + (x - mean(X)) W`. The intercept is not penalised, so with nothing to go on
//! (λ large, or features like nothing seen) an item gets the mean factors of the warm items.
//! The `d x d` system is solved by a Cholesky factorisation in f64; the Gram matrix and
//! `Xc^T Yc` are computed once and reused for every candidate λ.
//!
//! λ is chosen on warm items held out of the fit (a seeded share), by the mean of
//! `e^T M e` over held-out items, `e` the error of the predicted factors. With `M` the
//! second-moment matrix of the user factors ([`user_metric`]) this is the mean squared
//! error of the predicted *scores* `x_u . y_i` over users, which is what ranking depends
//! on; without `M` it is the plain squared error of the factors. The chosen λ is then
//! refitted on every warm item.
//!
//! Determinism: the holdout comes from a ChaCha8 generator seeded by the options' seed;
//! every sum runs in a fixed order on one thread per output entry, so the map does not
//! depend on the number of threads.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::ColdStartError;
use crate::dense::DenseMatrix;

/// How [`ColdStartMap::fit_tuned`] chooses λ.
#[derive(Debug, Clone, PartialEq)]
pub struct MapOptions {
    /// Candidate ridge penalties, each > 0.
    pub lambdas: Vec<f32>,
    /// Share of the items held out to compare the candidates, in (0, 1).
    pub holdout: f64,
    /// Seed of the holdout draw.
    pub seed: u64,
    /// `k x k` weighting of factor errors (see [`user_metric`]); `None` weighs every factor
    /// alike.
    pub metric: Option<DenseMatrix>,
}

impl Default for MapOptions {
    /// λ from 0.1 to 1000 in half-decades: unit-length text embeddings of a thousand items
    /// put the best penalty of ML-100K in the middle of this range (docs/cold-start.md).
    fn default() -> Self {
        MapOptions {
            lambdas: vec![0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0],
            holdout: 0.2,
            seed: 0,
            metric: None,
        }
    }
}

/// One candidate λ and its held-out error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LambdaTrial {
    pub lambda: f32,
    pub error: f64,
}

/// What the λ search saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapSearch {
    /// Every candidate in the order given.
    pub trials: Vec<LambdaTrial>,
    /// The λ with the lowest held-out error (the first on ties).
    pub lambda: f32,
    /// Held-out error of giving every item the mean factors: what the features must beat.
    pub mean_error: f64,
    /// Items fitted and held out during the search.
    pub fitted_items: usize,
    pub held_out_items: usize,
}

impl MapSearch {
    /// The held-out error of the chosen λ.
    pub fn error(&self) -> f64 {
        self.trials
            .iter()
            .find(|t| t.lambda == self.lambda)
            .map_or(f64::NAN, |t| t.error)
    }
}

/// A fitted linear map from content features to collaborative factors.
#[derive(Debug, Clone, PartialEq)]
pub struct ColdStartMap {
    lambda: f32,
    feature_mean: Vec<f32>,
    factor_mean: Vec<f32>,
    /// `in_dim x out_dim`, row-major.
    weights: DenseMatrix,
}

impl ColdStartMap {
    /// Fits the map with penalty `lambda` (> 0) on `features` (one row per item) and
    /// `factors` (the same items' collaborative factors, in the same order).
    pub fn fit(
        features: &DenseMatrix,
        factors: &DenseMatrix,
        lambda: f32,
    ) -> Result<Self, ColdStartError> {
        check_inputs(features, factors)?;
        check_lambda(lambda)?;
        let rows: Vec<usize> = (0..features.rows()).collect();
        let system = NormalEquations::new(features, factors, &rows);
        system.solve(lambda)
    }

    /// Chooses λ among `options.lambdas` on held-out items, then fits every item with it.
    pub fn fit_tuned(
        features: &DenseMatrix,
        factors: &DenseMatrix,
        options: &MapOptions,
    ) -> Result<(Self, MapSearch), ColdStartError> {
        check_inputs(features, factors)?;
        if options.lambdas.is_empty() {
            return Err(invalid("lambdas", "give at least one candidate"));
        }
        for &lambda in &options.lambdas {
            check_lambda(lambda)?;
        }
        if !(options.holdout > 0.0 && options.holdout < 1.0) {
            return Err(invalid("holdout", "must lie strictly between 0 and 1"));
        }
        let k = factors.dim();
        if let Some(metric) = &options.metric {
            if metric.rows() != k || metric.dim() != k {
                return Err(invalid(
                    "metric",
                    &format!(
                        "must be {k} x {k} like the factors, is {} x {}",
                        metric.rows(),
                        metric.dim()
                    ),
                ));
            }
        }
        let n = features.rows();
        let held = ((options.holdout * n as f64).round() as usize).clamp(1, n - 1);
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(options.seed));
        let (held_out, fitted) = order.split_at(held);
        let mut fitted = fitted.to_vec();
        fitted.sort_unstable();
        let mut held_out = held_out.to_vec();
        held_out.sort_unstable();

        let system = NormalEquations::new(features, factors, &fitted);
        let error_of = |predict: &dyn Fn(&[f32]) -> Vec<f32>| -> f64 {
            let total: f64 = held_out
                .iter()
                .map(|&i| {
                    let predicted = predict(features.row(i));
                    let error: Vec<f64> = predicted
                        .iter()
                        .zip(factors.row(i))
                        .map(|(p, y)| (*p as f64) - (*y as f64))
                        .collect();
                    weighted_square(&error, options.metric.as_ref())
                })
                .sum();
            total / held_out.len() as f64
        };
        let mean_factors = system.factor_mean.clone();
        let mean_error = error_of(&|_| mean_factors.clone());
        let mut trials = Vec::with_capacity(options.lambdas.len());
        for &lambda in &options.lambdas {
            let map = system.solve(lambda)?;
            let error = error_of(&|x| map.apply(x));
            trials.push(LambdaTrial { lambda, error });
        }
        let best = trials
            .iter()
            .copied()
            .reduce(|best, t| if t.error < best.error { t } else { best })
            .map_or(options.lambdas[0], |t| t.lambda);
        let map = Self::fit(features, factors, best)?;
        Ok((
            map,
            MapSearch {
                trials,
                lambda: best,
                mean_error,
                fitted_items: fitted.len(),
                held_out_items: held_out.len(),
            },
        ))
    }

    /// The collaborative factors the map gives an item with these content features.
    pub fn factors_for(&self, features: &[f32]) -> Result<Vec<f32>, ColdStartError> {
        if features.len() != self.in_dim() {
            return Err(invalid(
                "features",
                &format!(
                    "the map was fitted on {} features, got {}",
                    self.in_dim(),
                    features.len()
                ),
            ));
        }
        Ok(self.apply(features))
    }

    /// [`ColdStartMap::factors_for`] of every row.
    pub fn factors_for_rows(&self, features: &DenseMatrix) -> Result<DenseMatrix, ColdStartError> {
        if features.dim() != self.in_dim() && !features.is_empty() {
            return Err(invalid(
                "features",
                &format!(
                    "the map was fitted on {} features, got {}",
                    self.in_dim(),
                    features.dim()
                ),
            ));
        }
        let rows: Vec<Vec<f32>> = features
            .iter_rows()
            .collect::<Vec<_>>()
            .par_iter()
            .map(|x| self.apply(x))
            .collect();
        Ok(DenseMatrix::from_rows(self.out_dim(), &rows)?)
    }

    /// The penalty the map was fitted with.
    pub fn lambda(&self) -> f32 {
        self.lambda
    }

    /// Number of content features the map reads.
    pub fn in_dim(&self) -> usize {
        self.feature_mean.len()
    }

    /// Number of factors the map writes.
    pub fn out_dim(&self) -> usize {
        self.factor_mean.len()
    }

    fn apply(&self, x: &[f32]) -> Vec<f32> {
        let mut out = self.factor_mean.clone();
        for (a, (&xa, &ma)) in x.iter().zip(&self.feature_mean).enumerate() {
            let centred = xa - ma;
            if centred == 0.0 {
                continue;
            }
            for (o, &w) in out.iter_mut().zip(self.weights.row(a)) {
                *o += centred * w;
            }
        }
        out
    }
}

/// The `k x k` second-moment matrix `mean_u x_u x_u^T` of the user factors that are not all
/// zero (users without training interactions have zero factors and are left out). As the
/// [`MapOptions::metric`], it makes the λ search minimise the squared error of scores.
pub fn user_metric(user_factors: &[f32], k: usize) -> Result<DenseMatrix, ColdStartError> {
    if k == 0 || !user_factors.len().is_multiple_of(k) {
        return Err(invalid(
            "user_factors",
            &format!("{} values are not rows of {k}", user_factors.len()),
        ));
    }
    let mut metric = vec![0.0f64; k * k];
    let mut active = 0usize;
    for x in user_factors.chunks_exact(k) {
        if x.iter().all(|&v| v == 0.0) {
            continue;
        }
        active += 1;
        for (row, &xa) in metric.chunks_exact_mut(k).zip(x) {
            for (cell, &xb) in row.iter_mut().zip(x) {
                *cell += xa as f64 * xb as f64;
            }
        }
    }
    let scale = 1.0 / active.max(1) as f64;
    Ok(DenseMatrix::from_vec(
        k,
        k,
        metric.into_iter().map(|v| (v * scale) as f32).collect(),
    )?)
}

fn weighted_square(error: &[f64], metric: Option<&DenseMatrix>) -> f64 {
    match metric {
        None => error.iter().map(|e| e * e).sum(),
        Some(m) => error
            .iter()
            .enumerate()
            .map(|(a, &ea)| {
                let row: f64 = m
                    .row(a)
                    .iter()
                    .zip(error)
                    .map(|(&mab, &eb)| mab as f64 * eb)
                    .sum();
                ea * row
            })
            .sum(),
    }
}

fn invalid(name: &str, reason: &str) -> ColdStartError {
    ColdStartError::InvalidInput {
        name: name.to_owned(),
        reason: reason.to_owned(),
    }
}

fn check_lambda(lambda: f32) -> Result<(), ColdStartError> {
    if lambda.is_finite() && lambda > 0.0 {
        Ok(())
    } else {
        Err(invalid(
            "lambda",
            &format!("{lambda} is not a finite number > 0"),
        ))
    }
}

fn check_inputs(features: &DenseMatrix, factors: &DenseMatrix) -> Result<(), ColdStartError> {
    if features.rows() != factors.rows() {
        return Err(invalid(
            "features",
            &format!(
                "{} feature rows for {} factor rows",
                features.rows(),
                factors.rows()
            ),
        ));
    }
    if features.rows() < 2 {
        return Err(invalid(
            "features",
            "at least two items with factors are needed",
        ));
    }
    if features.dim() == 0 || factors.dim() == 0 {
        return Err(invalid("features", "features and factors need columns"));
    }
    if features
        .as_slice()
        .iter()
        .chain(factors.as_slice())
        .any(|v| !v.is_finite())
    {
        return Err(invalid("features", "features and factors must be finite"));
    }
    Ok(())
}

/// `Xc^T Xc` and `Xc^T Yc` of a subset of rows, in f64, with the means that centre them.
struct NormalEquations {
    d: usize,
    k: usize,
    feature_mean: Vec<f32>,
    factor_mean: Vec<f32>,
    /// `d x d`, row-major.
    gram: Vec<f64>,
    /// `d x k`, row-major.
    cross: Vec<f64>,
}

impl NormalEquations {
    fn new(features: &DenseMatrix, factors: &DenseMatrix, rows: &[usize]) -> Self {
        let (d, k) = (features.dim(), factors.dim());
        let n = rows.len().max(1) as f64;
        let column_means = |m: &DenseMatrix, dim: usize| -> Vec<f64> {
            let mut mean = vec![0.0f64; dim];
            for &r in rows {
                for (acc, &v) in mean.iter_mut().zip(m.row(r)) {
                    *acc += v as f64;
                }
            }
            mean.iter_mut().for_each(|v| *v /= n);
            mean
        };
        let x_mean = column_means(features, d);
        let y_mean = column_means(factors, k);
        // Column-major centred copies, so that each output entry is one contiguous dot product.
        let centred_columns = |m: &DenseMatrix, mean: &[f64]| -> Vec<f64> {
            let dim = mean.len();
            let mut out = vec![0.0f64; dim * rows.len()];
            for (pos, &r) in rows.iter().enumerate() {
                for (c, &v) in m.row(r).iter().enumerate() {
                    out[c * rows.len() + pos] = v as f64 - mean[c];
                }
            }
            out
        };
        let xc = centred_columns(features, &x_mean);
        let yc = centred_columns(factors, &y_mean);
        let len = rows.len();
        fn column(m: &[f64], c: usize, len: usize) -> &[f64] {
            &m[c * len..(c + 1) * len]
        }
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
        let mut gram = vec![0.0f64; d * d];
        gram.par_chunks_mut(d).enumerate().for_each(|(a, row)| {
            let xa = column(&xc, a, len);
            for (b, cell) in row.iter_mut().enumerate().skip(a) {
                *cell = dot(xa, column(&xc, b, len));
            }
        });
        for a in 0..d {
            for b in 0..a {
                gram[a * d + b] = gram[b * d + a];
            }
        }
        let mut cross = vec![0.0f64; d * k];
        cross.par_chunks_mut(k).enumerate().for_each(|(a, row)| {
            let xa = column(&xc, a, len);
            for (c, cell) in row.iter_mut().enumerate() {
                *cell = dot(xa, column(&yc, c, len));
            }
        });
        NormalEquations {
            d,
            k,
            feature_mean: x_mean.into_iter().map(|v| v as f32).collect(),
            factor_mean: y_mean.into_iter().map(|v| v as f32).collect(),
            gram,
            cross,
        }
    }

    fn solve(&self, lambda: f32) -> Result<ColdStartMap, ColdStartError> {
        let (d, k) = (self.d, self.k);
        let mut a = self.gram.clone();
        for i in 0..d {
            a[i * d + i] += lambda as f64;
        }
        if !cholesky(&mut a, d) {
            return Err(ColdStartError::Numerical(format!(
                "the ridge system with λ = {lambda} is not positive definite"
            )));
        }
        let mut w = self.cross.clone();
        cholesky_solve(&a, &mut w, d, k);
        let weights = DenseMatrix::from_vec(d, k, w.into_iter().map(|v| v as f32).collect())?;
        Ok(ColdStartMap {
            lambda,
            feature_mean: self.feature_mean.clone(),
            factor_mean: self.factor_mean.clone(),
            weights,
        })
    }
}

/// Factorises a symmetric positive definite `d x d` matrix (row-major) in place into its
/// lower Cholesky factor; false when a pivot is not positive.
fn cholesky(a: &mut [f64], d: usize) -> bool {
    for j in 0..d {
        let row_j = &a[j * d..j * d + j];
        let diag = a[j * d + j] - row_j.iter().map(|v| v * v).sum::<f64>();
        if !(diag > 0.0 && diag.is_finite()) {
            return false;
        }
        let pivot = diag.sqrt();
        a[j * d + j] = pivot;
        let (upper, lower) = a.split_at_mut((j + 1) * d);
        let row_j = &upper[j * d..j * d + j];
        for row_i in lower.chunks_exact_mut(d) {
            let v = row_i[j]
                - row_i[..j]
                    .iter()
                    .zip(row_j)
                    .map(|(x, y)| x * y)
                    .sum::<f64>();
            row_i[j] = v / pivot;
        }
    }
    true
}

/// Solves `L L^T X = B` for `B` (`d x k`, row-major, overwritten by `X`).
fn cholesky_solve(l: &[f64], b: &mut [f64], d: usize, k: usize) {
    for i in 0..d {
        for p in 0..i {
            let lip = l[i * d + p];
            if lip != 0.0 {
                let (before, from_i) = b.split_at_mut(i * k);
                let bp = &before[p * k..(p + 1) * k];
                for (x, &y) in from_i[..k].iter_mut().zip(bp) {
                    *x -= lip * y;
                }
            }
        }
        let inv = 1.0 / l[i * d + i];
        b[i * k..(i + 1) * k].iter_mut().for_each(|x| *x *= inv);
    }
    for i in (0..d).rev() {
        for p in i + 1..d {
            let lpi = l[p * d + i];
            if lpi != 0.0 {
                let (upto_p, from_p) = b.split_at_mut(p * k);
                let bp = &from_p[..k];
                for (x, &y) in upto_p[i * k..(i + 1) * k].iter_mut().zip(bp) {
                    *x -= lpi * y;
                }
            }
        }
        let inv = 1.0 / l[i * d + i];
        b[i * k..(i + 1) * k].iter_mut().for_each(|x| *x *= inv);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` items with `d` features from a fixed pseudo-random sequence and factors that
    /// are an exact linear function of them plus a constant.
    fn linear_data(n: usize, d: usize) -> (DenseMatrix, DenseMatrix, Vec<f32>) {
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as f32 / (1u64 << 31) as f32) - 0.5
        };
        let true_w: Vec<f32> = (0..d * 2).map(|_| next()).collect();
        let mut x = DenseMatrix::zeros(n, d);
        let mut y = DenseMatrix::zeros(n, 2);
        for i in 0..n {
            let row: Vec<f32> = (0..d).map(|_| next()).collect();
            for c in 0..2 {
                y.row_mut(i)[c] = 0.5 + (0..d).map(|a| row[a] * true_w[a * 2 + c]).sum::<f32>();
            }
            x.row_mut(i).copy_from_slice(&row);
        }
        (x, y, true_w)
    }

    #[test]
    fn a_small_penalty_recovers_an_exact_linear_map() {
        let (x, y, _) = linear_data(60, 5);
        let map = ColdStartMap::fit(&x, &y, 1e-4).unwrap();
        for i in 0..x.rows() {
            let got = map.factors_for(x.row(i)).unwrap();
            for (g, e) in got.iter().zip(y.row(i)) {
                assert!((g - e).abs() < 1e-3, "{g} vs {e}");
            }
        }
    }

    #[test]
    fn a_huge_penalty_gives_the_mean_factors() {
        let (x, y, _) = linear_data(40, 4);
        let map = ColdStartMap::fit(&x, &y, 1e9).unwrap();
        let mean: Vec<f32> = (0..2)
            .map(|c| (0..40).map(|i| y.row(i)[c]).sum::<f32>() / 40.0)
            .collect();
        let got = map.factors_for(&[3.0, -2.0, 1.0, 0.0]).unwrap();
        for (g, m) in got.iter().zip(&mean) {
            assert!((g - m).abs() < 1e-3);
        }
    }

    #[test]
    fn the_search_prefers_small_penalties_for_clean_linear_data() {
        let (x, y, _) = linear_data(80, 6);
        let options = MapOptions {
            lambdas: vec![1000.0, 0.01, 10.0],
            seed: 3,
            ..MapOptions::default()
        };
        let (map, search) = ColdStartMap::fit_tuned(&x, &y, &options).unwrap();
        assert_eq!(search.lambda, 0.01);
        assert_eq!(map.lambda(), 0.01);
        assert_eq!(search.trials.len(), 3);
        assert!(search.error() < search.mean_error / 100.0);
        assert_eq!(search.held_out_items + search.fitted_items, 80);
        let again = ColdStartMap::fit_tuned(&x, &y, &options).unwrap();
        assert_eq!(again.0, map);
    }

    #[test]
    fn the_metric_weighs_errors() {
        let m = DenseMatrix::from_vec(2, 2, vec![2.0, 0.0, 0.0, 0.0]).unwrap();
        assert_eq!(weighted_square(&[1.0, 5.0], Some(&m)), 2.0);
        assert_eq!(weighted_square(&[1.0, 5.0], None), 26.0);
        let users = [1.0, 0.0, 0.0, 0.0, 0.0, 3.0];
        let metric = user_metric(&users, 2).unwrap();
        // The all-zero user is left out: mean of (1,0)(1,0)^T and (0,3)(0,3)^T.
        assert_eq!(metric.as_slice(), &[0.5, 0.0, 0.0, 4.5]);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let (x, y, _) = linear_data(10, 3);
        assert!(ColdStartMap::fit(&x, &y, 0.0).is_err());
        assert!(ColdStartMap::fit(&x, &y, f32::NAN).is_err());
        let short = DenseMatrix::zeros(9, 2);
        assert!(ColdStartMap::fit(&x, &short, 1.0).is_err());
        let map = ColdStartMap::fit(&x, &y, 1.0).unwrap();
        assert!(map.factors_for(&[1.0]).is_err());
        assert!(map.factors_for_rows(&DenseMatrix::zeros(2, 4)).is_err());
        let options = MapOptions {
            lambdas: vec![],
            ..MapOptions::default()
        };
        assert!(ColdStartMap::fit_tuned(&x, &y, &options).is_err());
        let wrong_metric = MapOptions {
            metric: Some(DenseMatrix::zeros(3, 3)),
            ..MapOptions::default()
        };
        assert!(ColdStartMap::fit_tuned(&x, &y, &wrong_metric).is_err());
    }

    #[test]
    fn cholesky_solves_a_small_system() {
        let mut a = vec![4.0, 1.0, 0.5, 1.0, 3.0, 0.2, 0.5, 0.2, 2.0];
        let original = a.clone();
        assert!(cholesky(&mut a, 3));
        let mut b = vec![1.0, 0.0, 2.0, 1.0, 3.0, -1.0];
        let rhs = b.clone();
        cholesky_solve(&a, &mut b, 3, 2);
        for row in 0..3 {
            for c in 0..2 {
                let lhs: f64 = (0..3).map(|p| original[row * 3 + p] * b[p * 2 + c]).sum();
                assert!((lhs - rhs[row * 2 + c]).abs() < 1e-12);
            }
        }
        let mut singular = vec![1.0, 1.0, 1.0, 1.0];
        assert!(!cholesky(&mut singular, 2));
    }
}
