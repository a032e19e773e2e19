//! Fitting the map on a trained ALS model and giving its cold or new items mapped factors.

use chatrec_models::algorithms::als::Als;
use chatrec_models::Recommender;

use super::ridge::{user_metric, ColdStartMap, MapOptions, MapSearch};
use super::ColdStartError;
use crate::dense::DenseMatrix;

/// The items of a fitted ALS model that have factors: ALS leaves exactly zero factors to
/// items without training interactions, so these are the warm items.
pub fn warm_items(als: &Als) -> Vec<u32> {
    let k = als.params().factors;
    als.item_factors()
        .chunks_exact(k)
        .enumerate()
        .filter(|(_, y)| y.iter().any(|&v| v != 0.0))
        .map(|(i, _)| i as u32)
        .collect()
}

impl ColdStartMap {
    /// Fits the map from `features` (one row per item of the model, cold ones included) to
    /// the factors of the model's warm items, choosing λ on held-out warm items. Unless
    /// `options.metric` says otherwise, errors are weighed by the users' factors
    /// ([`user_metric`]), so λ minimises the error of the scores users would see.
    pub fn fit_to_als(
        als: &Als,
        features: &DenseMatrix,
        options: &MapOptions,
    ) -> Result<(Self, MapSearch), ColdStartError> {
        if features.rows() != als.n_items() {
            return Err(ColdStartError::InvalidInput {
                name: "features".into(),
                reason: format!(
                    "{} feature rows for a model of {} items",
                    features.rows(),
                    als.n_items()
                ),
            });
        }
        let k = als.params().factors;
        let warm = warm_items(als);
        let mut x = DenseMatrix::zeros(0, features.dim());
        let mut y = DenseMatrix::zeros(0, k);
        for &item in &warm {
            let i = item as usize;
            x.push_row(features.row(i))?;
            y.push_row(&als.item_factors()[i * k..(i + 1) * k])?;
        }
        let mut options = options.clone();
        if options.metric.is_none() {
            options.metric = Some(user_metric(als.user_factors(), k)?);
        }
        ColdStartMap::fit_tuned(&x, &y, &options)
    }

    /// A copy of `als` in which each of `items` (indices of the model) takes the factors
    /// mapped from the matching row of `features`. Other items keep theirs.
    pub fn fill_items(
        &self,
        als: &Als,
        items: &[u32],
        features: &DenseMatrix,
    ) -> Result<Als, ColdStartError> {
        if features.rows() != items.len() {
            return Err(ColdStartError::InvalidInput {
                name: "features".into(),
                reason: format!("{} feature rows for {} items", features.rows(), items.len()),
            });
        }
        let k = self.check_model(als)?;
        let mapped = self.factors_for_rows(features)?;
        let mut factors = als.item_factors().to_vec();
        for (row, &item) in items.iter().enumerate() {
            let i = item as usize;
            if i >= als.n_items() {
                return Err(ColdStartError::InvalidInput {
                    name: "items".into(),
                    reason: format!("item {item} is not among the model's {}", als.n_items()),
                });
            }
            factors[i * k..(i + 1) * k].copy_from_slice(mapped.row(row));
        }
        Ok(als.with_item_factors(factors)?)
    }

    /// A copy of `als` with one new item per row of `features`, numbered from
    /// `als.n_items()` on, scored for every user without retraining.
    pub fn append_items(&self, als: &Als, features: &DenseMatrix) -> Result<Als, ColdStartError> {
        self.check_model(als)?;
        let mapped = self.factors_for_rows(features)?;
        let mut factors = als.item_factors().to_vec();
        factors.extend_from_slice(mapped.as_slice());
        Ok(als.with_item_factors(factors)?)
    }

    fn check_model(&self, als: &Als) -> Result<usize, ColdStartError> {
        let k = als.params().factors;
        if k != self.out_dim() {
            return Err(ColdStartError::InvalidInput {
                name: "model".into(),
                reason: format!(
                    "the map writes {} factors, the model has {k}",
                    self.out_dim()
                ),
            });
        }
        Ok(k)
    }
}
