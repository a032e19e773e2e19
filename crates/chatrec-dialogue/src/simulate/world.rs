//! What a simulated user may know besides the conversation: the catalog, the knowledge
//! graph, its own ratings (training and held-out test), who liked what in the training
//! data, and which films are famous enough for anyone to name.

use std::collections::BTreeMap;
use std::sync::Arc;

use chatrec_core::{CsrMatrix, Interaction};

use crate::engine::Engine;

use super::SimulateError;

/// Share of the catalog, most-rated first, that any user may name as a reference film
/// ("by the director of Pulp Fiction") without having rated it.
pub const FAMOUS_SHARE: f64 = 0.15;

/// The engine plus the held-out data: everything the simulated users read. Built once and
/// shared by all conversations.
pub struct SimWorld {
    pub(crate) engine: Arc<Engine>,
    /// user x item of the held-out (test) interactions with their values.
    pub(crate) test: CsrMatrix,
    /// Per item: among the most-rated [`FAMOUS_SHARE`] of the catalog in training.
    pub(crate) famous: Vec<bool>,
    /// Items per category over the catalog.
    pub(crate) category_counts: BTreeMap<String, usize>,
    /// "Title (Year)" of every item, as replies write them.
    pub(crate) display_titles: Vec<String>,
}

impl SimWorld {
    /// The world of an engine built on the training part of a split, and that split's
    /// test part (same user and item indices as the engine's data).
    pub fn new(engine: Arc<Engine>, test: &[Interaction]) -> Result<Self, SimulateError> {
        let n_users = engine.interactions.n_rows();
        let n_items = engine.catalog.n_items();
        let mut triplets: Vec<(u32, u32, f32)> = Vec::with_capacity(test.len());
        for row in test {
            if row.user as usize >= n_users || row.item as usize >= n_items {
                return Err(SimulateError::OutOfRange {
                    user: row.user,
                    item: row.item,
                });
            }
            triplets.push((row.user, row.item, row.value));
        }
        // A repeated pair keeps its last value, as the importers do.
        triplets.sort_by_key(|&(u, i, _)| (u, i));
        let mut deduped: Vec<(u32, u32, f32)> = Vec::with_capacity(triplets.len());
        for t in triplets {
            match deduped.last_mut() {
                Some(last) if (last.0, last.1) == (t.0, t.1) => *last = t,
                _ => deduped.push(t),
            }
        }
        let test = CsrMatrix::from_triplets(n_users, n_items, &deduped);

        let mut by_count: Vec<u32> = (0..n_items as u32).collect();
        by_count.sort_by_key(|&i| (std::cmp::Reverse(engine.popularity[i as usize].0), i));
        let n_famous = ((n_items as f64 * FAMOUS_SHARE).ceil() as usize).min(n_items);
        let mut famous = vec![false; n_items];
        for &i in by_count.iter().take(n_famous) {
            if engine.popularity[i as usize].0 > 0 {
                famous[i as usize] = true;
            }
        }
        let mut category_counts = BTreeMap::new();
        for item in engine.catalog.items() {
            for c in &item.categories {
                *category_counts.entry(c.clone()).or_insert(0) += 1;
            }
        }
        let display_titles = engine
            .catalog
            .items()
            .iter()
            .map(|item| item.display_title())
            .collect();
        Ok(Self {
            engine,
            test,
            famous,
            category_counts,
            display_titles,
        })
    }

    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// The items the user rated in the held-out part, sorted.
    pub fn held_out(&self, user: u32) -> &[u32] {
        self.test.row_indices(user as usize)
    }

    /// The user's training interactions (item, value), what a known session starts from.
    pub(crate) fn train_row(&self, user: u32) -> impl Iterator<Item = (u32, f32)> + '_ {
        self.engine.interactions.row(user as usize)
    }

    /// The user's held-out interactions (item, value).
    pub(crate) fn test_row(&self, user: u32) -> impl Iterator<Item = (u32, f32)> + '_ {
        self.test.row(user as usize)
    }

    pub(crate) fn is_like(&self, value: f32) -> bool {
        self.engine.is_like(value)
    }

    /// Users who liked `item` in training, sorted.
    pub(crate) fn likers(&self, item: u32) -> &[u32] {
        self.engine.likers.row_indices(item as usize)
    }

    /// Cosine of two items' sets of likers in training (0 when either has none).
    pub(crate) fn co_liking(&self, a: u32, b: u32) -> f32 {
        let (x, y) = (self.likers(a), self.likers(b));
        if x.is_empty() || y.is_empty() {
            return 0.0;
        }
        let (mut i, mut j, mut both) = (0, 0, 0u32);
        while i < x.len() && j < y.len() {
            match x[i].cmp(&y[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    both += 1;
                    i += 1;
                    j += 1;
                }
            }
        }
        both as f32 / ((x.len() * y.len()) as f32).sqrt()
    }

    /// Items per category over the catalog (1 for an unseen category).
    pub(crate) fn category_count(&self, category: &str) -> usize {
        self.category_counts
            .get(category)
            .copied()
            .unwrap_or(1)
            .max(1)
    }
}
