//! Recommendation algorithms, one module each.

pub mod als;
pub mod baseline;
pub mod biased_mf;
pub mod blend;
pub mod bpr;
pub mod ease;
mod factor_similarity;
pub mod item_knn;
pub(crate) mod kernels;
pub mod knn_baseline;
pub mod popularity;
pub mod svdpp;
pub mod user_knn;
pub mod weighting;
