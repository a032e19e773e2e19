//! Weighting of interaction matrices for the neighbourhood models, and the sparse-matrix
//! plumbing the neighbourhood and closed-form models share (preparing the training matrix,
//! storing it as tensors, cleaning a fold-in history).
//!
//! # Weighting schemes
//!
//! The functions weight the rows of a matrix seen as text retrieval sees a term-document
//! matrix: each **row is a document** and each **column is a term**. Item-kNN weights the
//! item x user matrix (documents are items, terms are users), exactly as `implicit` does
//! in `TFIDFRecommender` and `BM25Recommender`, which call `tfidf_weight(counts.T)` and
//! `bm25_weight(counts.T, K1, B)` on the item x user matrix (B. Frederickson, implicit,
//! `implicit/nearest_neighbours.py`). With `N` rows and `df_c` stored entries in column `c`:
//!
//! - inverse document frequency: `idf_c = ln(N) - ln(1 + df_c)`. For item-kNN, `N` is the
//!   number of items and `df_c` the number of items user `c` interacted with, so heavy
//!   users count less. (It is negative for a column present in nearly every row, as in
//!   implicit.)
//! - TF-IDF: `x'_rc = sqrt(x_rc) * idf_c`. implicit's `TFIDFRecommender` then normalises
//!   each item to unit length, i.e. it ranks by cosine of the TF-IDF vectors.
//! - BM25 (Robertson et al., Okapi at TREC-3, 1994): with row length `len_r = sum_c x_rc`
//!   and `avg_len` its mean over **all** rows (empty rows included, as numpy's mean does),
//!   `norm_r = (1 - b) + b * len_r / avg_len` and
//!   `x'_rc = x_rc * (k1 + 1) / (k1 * norm_r + x_rc) * idf_c`.
//!   implicit's `BM25Recommender` defaults to `K1 = 1.2, B = 0.75` (the free function
//!   `bm25_weight` defaults to `K1 = 100, B = 0.8`) and ranks by the plain dot product of
//!   the weighted vectors, without normalising them.
//!
//! All arithmetic runs in f64 and is stored as f32; it is sequential and deterministic.

use chatrec_core::CsrMatrix;
use serde::{Deserialize, Serialize};

use crate::error::ModelError;
use crate::persist::{ModelState, Tensor};
use crate::train::TrainSet;

/// The weighting scheme as it appears in model parameters: `"none"`, `"tfidf"`, `"bm25"`.
/// BM25's constants are separate parameters (`bm25_k1`, `bm25_b`); see [`Weighting`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WeightingScheme {
    #[default]
    None,
    TfIdf,
    Bm25,
}

impl WeightingScheme {
    /// The full weighting, with BM25's constants when the scheme is BM25.
    pub fn with_bm25(self, k1: f32, b: f32) -> Weighting {
        match self {
            WeightingScheme::None => Weighting::None,
            WeightingScheme::TfIdf => Weighting::TfIdf,
            WeightingScheme::Bm25 => Weighting::Bm25 { k1, b },
        }
    }
}

/// A row weighting of a term-document matrix (rows are documents, columns are terms).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Weighting {
    /// Values unchanged.
    None,
    /// `sqrt(x) * idf`.
    TfIdf,
    /// BM25 with term-frequency saturation `k1` and length normalisation `b`.
    Bm25 { k1: f32, b: f32 },
}

impl Weighting {
    /// Checks the constants; `model` names the model in the error.
    pub fn validate(&self, model: &str) -> Result<(), ModelError> {
        if let Weighting::Bm25 { k1, b } = *self {
            if !(k1.is_finite() && k1 >= 0.0) {
                return Err(invalid(model, "bm25_k1", "must be a finite number >= 0"));
            }
            if !(b.is_finite() && (0.0..=1.0).contains(&b)) {
                return Err(invalid(model, "bm25_b", "must lie in [0, 1]"));
            }
        }
        Ok(())
    }

    /// Returns `matrix` with its rows weighted by this scheme.
    pub fn apply(&self, matrix: &CsrMatrix) -> CsrMatrix {
        FittedWeighting::fit(*self, matrix).apply(matrix)
    }
}

/// A weighting with the column and length statistics of one matrix, so that rows outside
/// that matrix (a folded-in user) are weighted exactly like its own rows.
#[derive(Debug, Clone)]
pub struct FittedWeighting {
    weighting: Weighting,
    /// `idf_c = ln(n_rows) - ln(1 + df_c)`.
    idf: Vec<f64>,
    /// Mean row sum over all rows.
    avg_len: f64,
}

impl FittedWeighting {
    /// Collects the statistics `weighting` needs from `matrix` (rows are documents).
    pub fn fit(weighting: Weighting, matrix: &CsrMatrix) -> Self {
        let n_rows = matrix.n_rows() as f64;
        let idf = match weighting {
            Weighting::None => Vec::new(),
            _ => matrix
                .col_counts()
                .into_iter()
                .map(|df| n_rows.ln() - (df as f64).ln_1p())
                .collect(),
        };
        let avg_len = if matrix.n_rows() == 0 {
            0.0
        } else {
            matrix.data().iter().map(|&x| x as f64).sum::<f64>() / n_rows
        };
        FittedWeighting {
            weighting,
            idf,
            avg_len,
        }
    }

    /// The weighted form of one row given as increasing `(column, value)` pairs; columns
    /// outside the fitted matrix are dropped.
    pub fn weight_row(&self, row: impl Iterator<Item = (u32, f32)> + Clone) -> Vec<(u32, f32)> {
        let n_cols = self.idf.len();
        match self.weighting {
            Weighting::None => row.collect(),
            Weighting::TfIdf => row
                .filter(|&(c, _)| (c as usize) < n_cols)
                .map(|(c, x)| (c, ((x as f64).sqrt() * self.idf[c as usize]) as f32))
                .collect(),
            Weighting::Bm25 { k1, b } => {
                let (k1, b) = (k1 as f64, b as f64);
                let len: f64 = row.clone().map(|(_, x)| x as f64).sum();
                // Without any length to compare with, every row counts as average.
                let relative_len = if self.avg_len > 0.0 {
                    len / self.avg_len
                } else {
                    1.0
                };
                let norm = (1.0 - b) + b * relative_len;
                row.filter(|&(c, _)| (c as usize) < n_cols)
                    .map(|(c, x)| {
                        let x = x as f64;
                        let denominator = k1 * norm + x;
                        let tf = if denominator != 0.0 {
                            x * (k1 + 1.0) / denominator
                        } else {
                            0.0
                        };
                        (c, (tf * self.idf[c as usize]) as f32)
                    })
                    .collect()
            }
        }
    }

    /// Every row of `matrix` weighted.
    pub fn apply(&self, matrix: &CsrMatrix) -> CsrMatrix {
        if self.weighting == Weighting::None {
            return matrix.clone();
        }
        let mut triplets = Vec::with_capacity(matrix.nnz());
        for r in 0..matrix.n_rows() {
            let row = matrix
                .row_indices(r)
                .iter()
                .copied()
                .zip(matrix.row_data(r).iter().copied());
            for (c, w) in self.weight_row(row) {
                triplets.push((r as u32, c, w));
            }
        }
        CsrMatrix::from_triplets(matrix.n_rows(), matrix.n_cols(), &triplets)
    }
}

/// TF-IDF weighting as in implicit's `tfidf_weight`: `x'_rc = sqrt(x_rc) * idf_c`.
pub fn tfidf_weight(matrix: &CsrMatrix) -> CsrMatrix {
    Weighting::TfIdf.apply(matrix)
}

/// BM25 weighting as in implicit's `bm25_weight`:
/// `x'_rc = x_rc * (k1 + 1) / (k1 * norm_r + x_rc) * idf_c` with
/// `norm_r = (1 - b) + b * len_r / avg_len`.
pub fn bm25_weight(matrix: &CsrMatrix, k1: f32, b: f32) -> CsrMatrix {
    Weighting::Bm25 { k1, b }.apply(matrix)
}

/// Euclidean length of every row.
pub fn row_norms(matrix: &CsrMatrix) -> Vec<f32> {
    (0..matrix.n_rows())
        .map(|r| {
            let sq: f64 = matrix.row_data(r).iter().map(|&x| (x as f64).powi(2)).sum();
            sq.sqrt() as f32
        })
        .collect()
}

pub(crate) fn invalid(model: &str, name: &str, reason: &str) -> ModelError {
    ModelError::InvalidParam {
        model: model.to_owned(),
        name: name.to_owned(),
        reason: reason.to_owned(),
    }
}

/// The user x item matrix a ranking model learns from: every stored entry becomes 1.0
/// unless `use_values`, in which case the values (ratings, counts) are kept and must be
/// positive and finite. Fails on a matrix with no entries.
pub(crate) fn interaction_matrix(
    model: &str,
    train: &TrainSet,
    use_values: bool,
) -> Result<CsrMatrix, ModelError> {
    let matrix = &train.matrix;
    if matrix.nnz() == 0 || matrix.n_rows() == 0 || matrix.n_cols() == 0 {
        return Err(ModelError::EmptyTrainingData(format!(
            "{model} needs at least one interaction"
        )));
    }
    if use_values {
        if let Some(bad) = matrix.data().iter().find(|v| !(v.is_finite() && **v > 0.0)) {
            return Err(invalid(
                model,
                "use_values",
                &format!("interaction values must be positive and finite, found {bad}"),
            ));
        }
        Ok(matrix.clone())
    } else {
        Ok(matrix.map_values(|_| 1.0))
    }
}

/// Checks that `n` fits the u32 indices and offsets stored in model files.
pub(crate) fn check_u32(model: &str, what: &str, n: usize) -> Result<(), ModelError> {
    if u32::try_from(n).is_err() {
        return Err(ModelError::InvalidParam {
            model: model.to_owned(),
            name: what.to_owned(),
            reason: format!("{n} exceeds the u32 range of the model file format"),
        });
    }
    Ok(())
}

pub(crate) use crate::persist::{csr_from_tensors, csr_tensors};

/// Checks the parameters every neighbourhood model shares: at least one neighbour, a
/// finite non-negative shrinkage, and a valid weighting.
pub(crate) fn validate_neighbourhood(
    model: &str,
    neighbours: usize,
    shrink: f32,
    weighting: Weighting,
) -> Result<(), ModelError> {
    if neighbours == 0 {
        return Err(invalid(model, "neighbours", "must be at least 1"));
    }
    if !(shrink.is_finite() && shrink >= 0.0) {
        return Err(invalid(model, "shrink", "must be a finite number >= 0"));
    }
    weighting.validate(model)
}

/// The tensor `dims` = `[n_users, n_items]`, for models whose other tensors do not imply both.
pub(crate) fn dims_tensor(n_users: usize, n_items: usize) -> Tensor {
    Tensor::u32("dims", vec![n_users as u32, n_items as u32])
}

/// Reads the `dims` tensor written by [`dims_tensor`].
pub(crate) fn dims_from_state(state: &ModelState) -> Result<(usize, usize), ModelError> {
    match state.take_u32("dims")?.as_slice() {
        &[n_users, n_items] => Ok((n_users as usize, n_items as usize)),
        _ => Err(state.format_error("tensor `dims` must hold [n_users, n_items]".into())),
    }
}

/// A fold-in history sorted by item with duplicates summed, without items outside
/// `0..n_items` (unknown to the model) and without non-finite or zero weights. Sorting makes
/// the scores independent of the order in which the conversation mentioned the items.
pub(crate) fn clean_history(history: &[(u32, f32)], n_items: usize) -> Vec<(u32, f32)> {
    let mut items: Vec<(u32, f32)> = history
        .iter()
        .copied()
        .filter(|&(i, w)| (i as usize) < n_items && w.is_finite() && w != 0.0)
        .collect();
    items.sort_by_key(|&(i, _)| i);
    let mut merged: Vec<(u32, f32)> = Vec::with_capacity(items.len());
    for (i, w) in items {
        match merged.last_mut() {
            Some(last) if last.0 == i => last.1 += w,
            _ => merged.push((i, w)),
        }
    }
    merged
}

/// Number of training interactions of every item, scaled to `[0, 1]`: the score given to a
/// user without history, so that such a user still gets the most popular items first.
pub(crate) fn popularity_fallback(user_items: &CsrMatrix) -> Vec<f32> {
    let counts = user_items.col_counts();
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f32;
    counts.into_iter().map(|c| c as f32 / max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 3 documents (rows) x 3 terms (columns).
    fn docs() -> CsrMatrix {
        CsrMatrix::from_triplets(
            3,
            3,
            &[
                (0, 0, 1.0),
                (0, 1, 4.0),
                (1, 1, 1.0),
                (2, 1, 2.0),
                (2, 2, 1.0),
            ],
        )
    }

    fn close(a: f32, b: f64) -> bool {
        (a as f64 - b).abs() < 1e-5 * b.abs().max(1.0)
    }

    #[test]
    fn tfidf_matches_the_implicit_formula() {
        let w = tfidf_weight(&docs());
        // Column 1 occurs in all 3 rows: idf = ln 3 - ln 4 < 0, as in implicit.
        let idf0 = 3f64.ln() - 2f64.ln();
        let idf1 = 3f64.ln() - 4f64.ln();
        assert!(close(w.get(0, 0), idf0));
        assert!(close(w.get(0, 1), 2.0 * idf1));
        assert!(close(w.get(2, 2), idf0));
        assert_eq!(w.nnz(), 5);
    }

    #[test]
    fn bm25_matches_the_implicit_formula() {
        let (k1, b) = (1.2f64, 0.75f64);
        let w = bm25_weight(&docs(), k1 as f32, b as f32);
        let avg = 9.0 / 3.0;
        let idf = |df: f64| 3f64.ln() - df.ln_1p();
        let expect = |x: f64, len: f64, df: f64| {
            let norm = (1.0 - b) + b * len / avg;
            x * (k1 + 1.0) / (k1 * norm + x) * idf(df)
        };
        assert!(close(w.get(0, 0), expect(1.0, 5.0, 1.0)));
        assert!(close(w.get(0, 1), expect(4.0, 5.0, 3.0)));
        assert!(close(w.get(1, 1), expect(1.0, 1.0, 3.0)));
        assert!(close(w.get(2, 2), expect(1.0, 3.0, 1.0)));
    }

    #[test]
    fn bm25_saturates_term_frequency_and_penalises_long_rows() {
        // Rows 0 and 1 have equal length; a larger count weighs more, but less than in
        // proportion.
        let m = CsrMatrix::from_triplets(
            4,
            3,
            &[
                (0, 0, 1.0),
                (0, 2, 3.0),
                (1, 0, 3.0),
                (1, 2, 1.0),
                (2, 1, 1.0),
            ],
        );
        let w = bm25_weight(&m, 1.2, 0.75);
        let (one, three) = (w.get(0, 0), w.get(1, 0));
        assert!(three > one && three < 3.0 * one, "{one} {three}");
        // The same count in a shorter row weighs more.
        let m = CsrMatrix::from_triplets(3, 3, &[(0, 0, 1.0), (0, 1, 1.0), (1, 0, 1.0)]);
        let w = bm25_weight(&m, 1.2, 0.75);
        assert!(w.get(1, 0) > w.get(0, 0));
    }

    #[test]
    fn scheme_serialises_as_lower_case_strings() {
        assert_eq!(
            serde_json::to_string(&WeightingScheme::TfIdf).unwrap(),
            r#""tfidf""#
        );
        let s: WeightingScheme = serde_json::from_str(r#""bm25""#).unwrap();
        assert_eq!(s.with_bm25(2.0, 0.5), Weighting::Bm25 { k1: 2.0, b: 0.5 });
        assert!(serde_json::from_str::<WeightingScheme>(r#""BM25x""#).is_err());
        assert!(Weighting::Bm25 { k1: 1.0, b: 1.5 }.validate("m").is_err());
        assert!(Weighting::Bm25 { k1: -1.0, b: 0.5 }.validate("m").is_err());
    }

    #[test]
    fn csr_tensors_round_trip_and_reject_damage() {
        let m = docs();
        let mut state = ModelState::new("x", serde_json::Value::Null);
        for t in csr_tensors("user", &m) {
            state = state.with(t);
        }
        assert_eq!(csr_from_tensors(&state, "user", 3).unwrap(), m);
        assert!(csr_from_tensors(&state, "user", 2).is_err());
        assert!(csr_from_tensors(&state, "sim", 3).is_err());
    }

    #[test]
    fn history_is_sorted_merged_and_filtered() {
        let h = clean_history(&[(3, 1.0), (1, 2.0), (3, 0.5), (9, 1.0), (2, f32::NAN)], 5);
        assert_eq!(h, vec![(1, 2.0), (3, 1.5)]);
    }
}
