//! Selecting the best `k` of many scores.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::recommender::Scored;

/// Orders by score, then by lower item index first, so ties break deterministically.
#[derive(Debug, Clone, Copy)]
struct HeapEntry(Scored);

impl PartialEq for HeapEntry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for HeapEntry {}
impl PartialOrd for HeapEntry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for HeapEntry {
    /// "Greater" means "better": higher score, or equal score and lower item index.
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .score
            .total_cmp(&other.0.score)
            .then_with(|| other.0.item.cmp(&self.0.item))
    }
}

/// The `k` best items by score, best first, skipping items for which `skip` is true and
/// non-finite scores. Ties go to the lower item index.
pub fn top_k(scores: &[f32], k: usize, skip: impl Fn(u32) -> bool) -> Vec<Scored> {
    if k == 0 {
        return Vec::new();
    }
    // A min-heap of the best k seen so far: Reverse ordering keeps the worst on top.
    let mut heap: BinaryHeap<std::cmp::Reverse<HeapEntry>> = BinaryHeap::with_capacity(k + 1);
    for (item, &score) in scores.iter().enumerate() {
        if !score.is_finite() {
            continue;
        }
        let item = item as u32;
        let entry = HeapEntry(Scored { item, score });
        if heap.len() < k {
            if !skip(item) {
                heap.push(std::cmp::Reverse(entry));
            }
        } else if let Some(worst) = heap.peek() {
            if entry > worst.0 && !skip(item) {
                heap.pop();
                heap.push(std::cmp::Reverse(entry));
            }
        }
    }
    let mut out: Vec<Scored> = heap.into_iter().map(|r| r.0 .0).collect();
    out.sort_by_key(|s| std::cmp::Reverse(HeapEntry(*s)));
    out
}

/// Like [`top_k`], with the items to skip given as a slice sorted ascending.
pub fn top_k_excluding(scores: &[f32], k: usize, sorted_exclude: &[u32]) -> Vec<Scored> {
    top_k(scores, k, |item| {
        sorted_exclude.binary_search(&item).is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_best_in_order_with_ties_to_lower_index() {
        let scores = [0.5, 2.0, f32::NAN, 2.0, -1.0, 3.0];
        let top = top_k(&scores, 3, |_| false);
        let items: Vec<u32> = top.iter().map(|s| s.item).collect();
        assert_eq!(items, vec![5, 1, 3]);
    }

    #[test]
    fn skips_excluded_and_handles_k_larger_than_n() {
        let scores = [0.5, 2.0, 1.0];
        let top = top_k_excluding(&scores, 10, &[1]);
        let items: Vec<u32> = top.iter().map(|s| s.item).collect();
        assert_eq!(items, vec![2, 0]);
        assert!(top_k(&scores, 0, |_| false).is_empty());
    }
}
