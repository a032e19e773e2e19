//! A data set: a catalog plus the interactions between its users and items.

use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::sparse::CsrMatrix;

/// One user-item event: a rating, a click, a purchase.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    /// Dense user index into the catalog's users.
    pub user: u32,
    /// Dense item index into the catalog's items.
    pub item: u32,
    /// Rating or weight; 1.0 for implicit events that carry no value.
    pub value: f32,
    /// Seconds since the Unix epoch; 0 when the source has no time.
    pub timestamp: i64,
}

/// A catalog with its interactions. Each (user, item) pair occurs at most once: importers
/// keep the latest event of a pair.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub catalog: Catalog,
    pub interactions: Vec<Interaction>,
    /// Whether interaction values are explicit ratings (as opposed to implicit 1.0).
    pub has_ratings: bool,
    /// Whether interactions carry real timestamps.
    pub has_timestamps: bool,
}

impl Dataset {
    pub fn n_users(&self) -> usize {
        self.catalog.n_users()
    }

    pub fn n_items(&self) -> usize {
        self.catalog.n_items()
    }

    /// The user x item matrix of the given interactions with their values.
    pub fn matrix_of(&self, interactions: &[Interaction]) -> CsrMatrix {
        let triplets: Vec<(u32, u32, f32)> = interactions
            .iter()
            .map(|i| (i.user, i.item, i.value))
            .collect();
        CsrMatrix::from_triplets(self.n_users(), self.n_items(), &triplets)
    }

    /// The user x item matrix of all interactions with their values.
    pub fn matrix(&self) -> CsrMatrix {
        self.matrix_of(&self.interactions)
    }
}
