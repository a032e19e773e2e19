//! What a model is trained on.

use chatrec_core::{CsrMatrix, Dataset, Interaction};

/// Training interactions as a user x item matrix.
///
/// `matrix` holds the interaction values: ratings for explicit data, 1.0 for implicit
/// events. Ranking models treat every stored entry as a positive (and may use the value as
/// a weight when their parameters say so); rating predictors fit the values.
#[derive(Debug, Clone)]
pub struct TrainSet {
    pub matrix: CsrMatrix,
    /// Seconds since the epoch, parallel to `matrix.data()`; `None` without timestamps.
    pub timestamps: Option<Vec<i64>>,
}

impl TrainSet {
    /// A train set without timestamps.
    pub fn from_matrix(matrix: CsrMatrix) -> Self {
        TrainSet {
            matrix,
            timestamps: None,
        }
    }

    /// Builds the matrix of `interactions` over the data set's full user and item space,
    /// keeping timestamps when the data set has them.
    pub fn from_interactions(dataset: &Dataset, interactions: &[Interaction]) -> Self {
        let n_users = dataset.n_users();
        let n_items = dataset.n_items();
        let mut order: Vec<&Interaction> = interactions.iter().collect();
        order.sort_by_key(|i| (i.user, i.item));
        order.dedup_by_key(|i| (i.user, i.item));
        let triplets: Vec<(u32, u32, f32)> =
            order.iter().map(|i| (i.user, i.item, i.value)).collect();
        let matrix = CsrMatrix::from_triplets(n_users, n_items, &triplets);
        let timestamps = dataset
            .has_timestamps
            .then(|| order.iter().map(|i| i.timestamp).collect());
        TrainSet { matrix, timestamps }
    }

    pub fn n_users(&self) -> usize {
        self.matrix.n_rows()
    }

    pub fn n_items(&self) -> usize {
        self.matrix.n_cols()
    }
}
