//! chatrec-core: the data layer every other chatrec crate stands on.
//!
//! It owns identifiers ([`IdMap`]), the catalog of items and users ([`Catalog`]),
//! interactions and their sparse-matrix form ([`CsrMatrix`]), the [`Dataset`] that ties
//! them together, and importing data sets from files ([`import`]). It knows nothing of
//! models, dialogue, storage or HTTP.

pub mod catalog;
pub mod dataset;
pub mod fetch;
pub mod ids;
pub mod import;
pub mod sparse;
pub mod stats;
pub mod synthetic;

pub use catalog::{Catalog, Item, User};
pub use dataset::{Dataset, Interaction};
pub use ids::IdMap;
pub use sparse::CsrMatrix;
