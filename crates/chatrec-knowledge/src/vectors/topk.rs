//! A bounded best-`k` collector for streaming scores, with a total order so that the result
//! does not depend on how the rows were split among threads.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use super::Hit;

/// "Greater" means "better": higher score, or equal score and lower id.
pub(crate) fn better(a: &Hit, b: &Hit) -> Ordering {
    a.score.total_cmp(&b.score).then_with(|| b.id.cmp(&a.id))
}

#[derive(Debug, Clone, Copy)]
struct Entry(Hit);

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        better(&self.0, &other.0)
    }
}

/// Keeps the `k` best hits pushed so far; non-finite scores are dropped.
pub(crate) struct TopK {
    k: usize,
    // Min-heap through `Reverse`: the worst kept hit is on top, ready to be replaced.
    heap: BinaryHeap<Reverse<Entry>>,
}

impl TopK {
    pub(crate) fn new(k: usize) -> Self {
        Self {
            k,
            heap: BinaryHeap::with_capacity(k.saturating_add(1).min(1 << 16)),
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, id: u32, score: f32) {
        if !score.is_finite() || self.k == 0 {
            return;
        }
        let entry = Entry(Hit { id, score });
        if self.heap.len() < self.k {
            self.heap.push(Reverse(entry));
        } else if let Some(mut worst) = self.heap.peek_mut() {
            if entry > worst.0 {
                *worst = Reverse(entry);
            }
        }
    }

    /// The kept hits, best first.
    pub(crate) fn into_sorted(self) -> Vec<Hit> {
        let mut hits: Vec<Hit> = self.heap.into_iter().map(|r| r.0 .0).collect();
        sort_hits(&mut hits);
        hits
    }
}

/// Sorts best first: score descending, then id ascending.
pub(crate) fn sort_hits(hits: &mut [Hit]) {
    hits.sort_unstable_by(|a, b| better(b, a));
}

/// Merges per-chunk results into the overall best `k`.
pub(crate) fn merge(parts: impl IntoIterator<Item = Vec<Hit>>, k: usize) -> Vec<Hit> {
    let mut all: Vec<Hit> = parts.into_iter().flatten().collect();
    sort_hits(&mut all);
    all.truncate(k);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_best_with_ties_to_lower_id_and_drops_nan() {
        let mut top = TopK::new(3);
        for (id, score) in [
            (5, 1.0),
            (1, 2.0),
            (9, f32::NAN),
            (3, 2.0),
            (0, 1.0),
            (7, 3.0),
        ] {
            top.push(id, score);
        }
        let ids: Vec<u32> = top.into_sorted().iter().map(|h| h.id).collect();
        assert_eq!(ids, vec![7, 1, 3]);
    }

    #[test]
    fn merge_is_independent_of_the_split() {
        let hits: Vec<Hit> = (0..20)
            .map(|i| Hit {
                id: i,
                score: (i % 4) as f32,
            })
            .collect();
        let whole = merge([hits.clone()], 5);
        let split = merge([hits[10..].to_vec(), hits[..10].to_vec()], 5);
        assert_eq!(whole, split);
        assert_eq!(
            whole.iter().map(|h| h.id).collect::<Vec<_>>(),
            vec![3, 7, 11, 15, 19]
        );
    }
}
