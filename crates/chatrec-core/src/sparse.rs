//! Compressed sparse row matrices: the form interactions take when models read them.

use serde::{Deserialize, Serialize};

/// A compressed sparse row matrix of `f32` with `u32` column indices.
///
/// Within each row the column indices are strictly increasing, so a row is a sorted set
/// of columns with values. Built with [`CsrMatrix::from_triplets`], which sums duplicates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CsrMatrix {
    n_rows: usize,
    n_cols: usize,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    data: Vec<f32>,
}

impl CsrMatrix {
    /// An all-zero matrix of the given shape.
    pub fn zeros(n_rows: usize, n_cols: usize) -> Self {
        CsrMatrix {
            n_rows,
            n_cols,
            indptr: vec![0; n_rows + 1],
            indices: Vec::new(),
            data: Vec::new(),
        }
    }

    /// Builds a matrix from `(row, col, value)` triplets in any order; values at the same
    /// position are summed. Panics if a triplet lies outside the shape (a caller bug).
    pub fn from_triplets(n_rows: usize, n_cols: usize, triplets: &[(u32, u32, f32)]) -> Self {
        let mut counts = vec![0usize; n_rows + 1];
        for &(r, c, _) in triplets {
            assert!(
                (r as usize) < n_rows && (c as usize) < n_cols,
                "triplet ({r}, {c}) outside a {n_rows}x{n_cols} matrix"
            );
            counts[r as usize + 1] += 1;
        }
        for i in 0..n_rows {
            counts[i + 1] += counts[i];
        }
        let mut next = counts.clone();
        let mut cols = vec![0u32; triplets.len()];
        let mut vals = vec![0f32; triplets.len()];
        for &(r, c, v) in triplets {
            let slot = &mut next[r as usize];
            cols[*slot] = c;
            vals[*slot] = v;
            *slot += 1;
        }
        let mut indptr = Vec::with_capacity(n_rows + 1);
        let mut indices = Vec::with_capacity(triplets.len());
        let mut data = Vec::with_capacity(triplets.len());
        indptr.push(0);
        let mut row_buf: Vec<(u32, f32)> = Vec::new();
        for r in 0..n_rows {
            row_buf.clear();
            row_buf.extend(
                cols[counts[r]..counts[r + 1]]
                    .iter()
                    .copied()
                    .zip(vals[counts[r]..counts[r + 1]].iter().copied()),
            );
            row_buf.sort_unstable_by_key(|&(c, _)| c);
            for &(c, v) in &row_buf {
                if indices.len() > *indptr.last().unwrap_or(&0) && indices.last() == Some(&c) {
                    *data.last_mut().expect("data parallels indices") += v;
                } else {
                    indices.push(c);
                    data.push(v);
                }
            }
            indptr.push(indices.len());
        }
        CsrMatrix {
            n_rows,
            n_cols,
            indptr,
            indices,
            data,
        }
    }

    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// The column indices of row `r`, increasing.
    pub fn row_indices(&self, r: usize) -> &[u32] {
        &self.indices[self.indptr[r]..self.indptr[r + 1]]
    }

    /// The values of row `r`, parallel to [`Self::row_indices`].
    pub fn row_data(&self, r: usize) -> &[f32] {
        &self.data[self.indptr[r]..self.indptr[r + 1]]
    }

    /// Iterates over `(column, value)` of row `r`.
    pub fn row(&self, r: usize) -> impl Iterator<Item = (u32, f32)> + '_ {
        self.row_indices(r)
            .iter()
            .copied()
            .zip(self.row_data(r).iter().copied())
    }

    /// Number of entries in row `r`.
    pub fn row_nnz(&self, r: usize) -> usize {
        self.indptr[r + 1] - self.indptr[r]
    }

    /// Value at `(r, c)`, zero when not stored.
    pub fn get(&self, r: usize, c: u32) -> f32 {
        let cols = self.row_indices(r);
        match cols.binary_search(&c) {
            Ok(pos) => self.row_data(r)[pos],
            Err(_) => 0.0,
        }
    }

    pub fn indptr(&self) -> &[usize] {
        &self.indptr
    }

    pub fn indices(&self) -> &[u32] {
        &self.indices
    }

    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// The transpose, as another CSR matrix (that is, this matrix in CSC form).
    pub fn transpose(&self) -> CsrMatrix {
        let mut counts = vec![0usize; self.n_cols + 1];
        for &c in &self.indices {
            counts[c as usize + 1] += 1;
        }
        for i in 0..self.n_cols {
            counts[i + 1] += counts[i];
        }
        let mut next = counts.clone();
        let mut indices = vec![0u32; self.nnz()];
        let mut data = vec![0f32; self.nnz()];
        // Rows are visited in increasing order, so each transposed row comes out sorted.
        for r in 0..self.n_rows {
            for (c, v) in self.row(r) {
                let slot = &mut next[c as usize];
                indices[*slot] = r as u32;
                data[*slot] = v;
                *slot += 1;
            }
        }
        CsrMatrix {
            n_rows: self.n_cols,
            n_cols: self.n_rows,
            indptr: counts,
            indices,
            data,
        }
    }

    /// The same pattern with every value passed through `f`.
    pub fn map_values(&self, f: impl Fn(f32) -> f32) -> CsrMatrix {
        CsrMatrix {
            data: self.data.iter().map(|&v| f(v)).collect(),
            ..self.clone()
        }
    }

    /// Keeps only the entries for which `keep(row, col, value)` holds.
    pub fn filter(&self, keep: impl Fn(usize, u32, f32) -> bool) -> CsrMatrix {
        let mut indptr = Vec::with_capacity(self.n_rows + 1);
        let mut indices = Vec::new();
        let mut data = Vec::new();
        indptr.push(0);
        for r in 0..self.n_rows {
            for (c, v) in self.row(r) {
                if keep(r, c, v) {
                    indices.push(c);
                    data.push(v);
                }
            }
            indptr.push(indices.len());
        }
        CsrMatrix {
            n_rows: self.n_rows,
            n_cols: self.n_cols,
            indptr,
            indices,
            data,
        }
    }

    /// Number of entries in each column.
    pub fn col_counts(&self) -> Vec<usize> {
        let mut counts = vec![0usize; self.n_cols];
        for &c in &self.indices {
            counts[c as usize] += 1;
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triplets_are_sorted_and_duplicates_summed() {
        let m =
            CsrMatrix::from_triplets(3, 4, &[(1, 3, 1.0), (0, 2, 2.0), (1, 0, 5.0), (1, 3, 0.5)]);
        assert_eq!(m.nnz(), 3);
        assert_eq!(m.row_indices(1), &[0, 3]);
        assert_eq!(m.row_data(1), &[5.0, 1.5]);
        assert_eq!(m.row_nnz(2), 0);
        assert_eq!(m.get(0, 2), 2.0);
        assert_eq!(m.get(0, 1), 0.0);
    }

    #[test]
    fn transpose_twice_is_identity() {
        let m =
            CsrMatrix::from_triplets(3, 4, &[(1, 3, 1.0), (0, 2, 2.0), (2, 0, 5.0), (0, 0, 7.0)]);
        let t = m.transpose();
        assert_eq!(t.n_rows(), 4);
        assert_eq!(t.row_indices(0), &[0, 2]);
        assert_eq!(t.get(3, 1), 1.0);
        assert_eq!(t.transpose(), m);
        assert_eq!(m.col_counts(), vec![2, 0, 1, 1]);
    }

    #[test]
    fn filter_keeps_shape() {
        let m = CsrMatrix::from_triplets(2, 2, &[(0, 0, 1.0), (0, 1, 4.0), (1, 1, 2.0)]);
        let f = m.filter(|_, _, v| v >= 2.0);
        assert_eq!(f.nnz(), 2);
        assert_eq!(f.n_rows(), 2);
        assert_eq!(f.row_indices(0), &[1]);
    }
}
