//! Row-major dense `f32` matrices: the common currency of embeddings, vector indexes and
//! the cold-start map. One row per item (or per query), all rows the same width.

use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
#[error("a {rows} x {dim} matrix needs {expected} values, got {got}")]
pub struct ShapeError {
    pub rows: usize,
    pub dim: usize,
    pub expected: usize,
    pub got: usize,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct DenseMatrix {
    rows: usize,
    dim: usize,
    data: Vec<f32>,
}

impl DenseMatrix {
    pub fn zeros(rows: usize, dim: usize) -> Self {
        Self {
            rows,
            dim,
            data: vec![0.0; rows * dim],
        }
    }

    pub fn from_vec(rows: usize, dim: usize, data: Vec<f32>) -> Result<Self, ShapeError> {
        let expected = rows * dim;
        if data.len() != expected {
            return Err(ShapeError {
                rows,
                dim,
                expected,
                got: data.len(),
            });
        }
        Ok(Self { rows, dim, data })
    }

    /// Stacks rows of equal width; an empty input gives a `0 x dim` matrix.
    pub fn from_rows<R: AsRef<[f32]>>(dim: usize, rows: &[R]) -> Result<Self, ShapeError> {
        let mut data = Vec::with_capacity(rows.len() * dim);
        for row in rows {
            let row = row.as_ref();
            if row.len() != dim {
                return Err(ShapeError {
                    rows: rows.len(),
                    dim,
                    expected: rows.len() * dim,
                    got: data.len() + row.len(),
                });
            }
            data.extend_from_slice(row);
        }
        Ok(Self {
            rows: rows.len(),
            dim,
            data,
        })
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    pub fn row_mut(&mut self, i: usize) -> &mut [f32] {
        &mut self.data[i * self.dim..(i + 1) * self.dim]
    }

    pub fn as_slice(&self) -> &[f32] {
        &self.data
    }

    pub fn into_vec(self) -> Vec<f32> {
        self.data
    }

    pub fn iter_rows(&self) -> impl ExactSizeIterator<Item = &[f32]> + '_ {
        // `max(1)` keeps `chunks_exact` valid for zero-width matrices, which have no data.
        self.data
            .chunks_exact(self.dim.max(1))
            .take(if self.dim == 0 { 0 } else { self.rows })
    }

    pub fn push_row(&mut self, row: &[f32]) -> Result<(), ShapeError> {
        if row.len() != self.dim {
            return Err(ShapeError {
                rows: self.rows + 1,
                dim: self.dim,
                expected: (self.rows + 1) * self.dim,
                got: self.data.len() + row.len(),
            });
        }
        self.data.extend_from_slice(row);
        self.rows += 1;
        Ok(())
    }

    /// Scales every row to unit length, so dot products are cosines; zero rows stay zero.
    pub fn normalize_rows(&mut self) {
        if self.dim == 0 {
            return;
        }
        for row in self.data.chunks_exact_mut(self.dim) {
            normalize(row);
        }
    }
}

pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Eight independent accumulators let the compiler vectorise without fast-math.
    let mut acc = [0.0f32; 8];
    let chunks = a.len() / 8 * 8;
    for (ca, cb) in a[..chunks].chunks_exact(8).zip(b[..chunks].chunks_exact(8)) {
        for k in 0..8 {
            acc[k] += ca[k] * cb[k];
        }
    }
    let mut sum: f32 = acc.iter().sum();
    for (x, y) in a[chunks..].iter().zip(&b[chunks..]) {
        sum += x * y;
    }
    sum
}

/// Scales `v` to unit length in place; a zero vector is left as it is.
pub fn normalize(v: &mut [f32]) {
    let norm = dot(v, v).sqrt();
    if norm > 0.0 {
        for x in v.iter_mut() {
            *x /= norm;
        }
    }
}

pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let denom = (dot(a, a) * dot(b, b)).sqrt();
    if denom > 0.0 {
        dot(a, b) / denom
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_and_shape_are_checked() {
        let m = DenseMatrix::from_rows(2, &[vec![1.0, 2.0], vec![3.0, 4.0]]).unwrap();
        assert_eq!(m.rows(), 2);
        assert_eq!(m.row(1), &[3.0, 4.0]);
        assert!(DenseMatrix::from_vec(2, 3, vec![0.0; 5]).is_err());
        assert!(DenseMatrix::from_rows(2, &[vec![1.0]]).is_err());
    }

    #[test]
    fn normalized_rows_have_unit_length_and_zero_rows_stay_zero() {
        let mut m = DenseMatrix::from_rows(3, &[vec![3.0, 4.0, 0.0], vec![0.0; 3]]).unwrap();
        m.normalize_rows();
        assert!((dot(m.row(0), m.row(0)) - 1.0).abs() < 1e-6);
        assert_eq!(m.row(1), &[0.0, 0.0, 0.0]);
    }

    #[test]
    fn dot_matches_naive_sum_on_odd_lengths() {
        let a: Vec<f32> = (0..19).map(|i| i as f32 * 0.5).collect();
        let b: Vec<f32> = (0..19).map(|i| 1.0 - i as f32 * 0.1).collect();
        let naive: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - naive).abs() < 1e-4);
        assert!((cosine(&a, &a) - 1.0).abs() < 1e-6);
    }
}
