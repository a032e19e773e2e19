//! Ranking, beyond-accuracy and rating-error metrics.
//!
//! Per-user ranking metrics compare a ranked list `L` (best first, distinct items) with
//! the user's set `R` of relevant test items, under binary relevance `rel_i = [L_i ∈ R]`:
//!
//! - Precision@k = hits@k / k (a list shorter than k counts its missing places as misses);
//! - Recall@k = hits@k / |R|;
//! - NDCG@k = DCG@k / IDCG@k with DCG@k = Σ_{i≤k} rel_i / log2(i + 1) and IDCG@k the DCG of
//!   a perfect list, Σ_{i ≤ min(k, |R|)} 1 / log2(i + 1) (Järvelin & Kekäläinen, 2002);
//! - MAP@k = Σ_{i≤k} rel_i · Precision@i / min(k, |R|). Normalising by min(k, |R|) rather
//!   than |R| is RecBole's definition: a user with more relevant items than k can still
//!   reach 1;
//! - MRR@k = 1 / rank of the first relevant item within k, 0 without one;
//! - Hit@k = 1 when some relevant item is within k, else 0.
//!
//! All six lie in [0, 1]; with `R` empty they are 0. A run averages them over the users
//! that have test items (see `runner`). Over all users' lists:
//!
//! - item coverage@k = |∪_u L_u[..k]| / n_items;
//! - novelty@k = mean over users of the mean self-information −log2(pop_i / n_users) of
//!   their top-k items (Zhou et al., 2010), with pop_i the number of training users of
//!   item i, taken as at least 1 so that items unseen in training score log2(n_users);
//! - RMSE = sqrt(mean (pred − actual)²) and MAE = mean |pred − actual| over rated pairs.
//!
//! The formulas are written out in docs/metrics.md. Sums run in f64.

/// The per-user ranking metrics at one cut-off.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RankingMetrics {
    pub precision: f64,
    pub recall: f64,
    pub ndcg: f64,
    pub map: f64,
    pub mrr: f64,
    pub hit: f64,
}

/// Names of the per-user ranking metrics, in the order of [`RankingMetrics::values`]; a
/// report's keys are `name@k`.
pub const RANKING_METRIC_NAMES: [&str; 6] = ["precision", "recall", "ndcg", "map", "mrr", "hit"];

impl RankingMetrics {
    /// Metrics of `ranked` (best first, distinct) against `relevant` (sorted ascending,
    /// distinct) at cut-off `k`.
    pub fn compute(ranked: &[u32], relevant: &[u32], k: usize) -> Self {
        let hits = hit_flags(ranked, relevant);
        Self::from_hits(&hits, relevant.len(), k)
    }

    /// Metrics from hit flags (`hits[i]`: whether the item at rank `i + 1` is relevant)
    /// and the number of relevant items; computes the flags once for several cut-offs.
    pub fn from_hits(hits: &[bool], n_relevant: usize, k: usize) -> Self {
        RankingMetrics {
            precision: precision_at(hits, k),
            recall: recall_at(hits, n_relevant, k),
            ndcg: ndcg_at(hits, n_relevant, k),
            map: average_precision_at(hits, n_relevant, k),
            mrr: reciprocal_rank_at(hits, k),
            hit: hit_at(hits, k),
        }
    }

    /// The values in the order of [`RANKING_METRIC_NAMES`].
    pub fn values(&self) -> [f64; 6] {
        [
            self.precision,
            self.recall,
            self.ndcg,
            self.map,
            self.mrr,
            self.hit,
        ]
    }
}

/// `hits[i]` tells whether `ranked[i]` is in `relevant` (sorted ascending).
pub fn hit_flags(ranked: &[u32], relevant: &[u32]) -> Vec<bool> {
    ranked
        .iter()
        .map(|item| relevant.binary_search(item).is_ok())
        .collect()
}

fn hits_within(hits: &[bool], k: usize) -> &[bool] {
    &hits[..k.min(hits.len())]
}

fn count_hits(hits: &[bool], k: usize) -> usize {
    hits_within(hits, k).iter().filter(|&&h| h).count()
}

/// Hits in the first `k` places divided by `k`; 0 for `k == 0`.
pub fn precision_at(hits: &[bool], k: usize) -> f64 {
    if k == 0 {
        return 0.0;
    }
    count_hits(hits, k) as f64 / k as f64
}

/// Hits in the first `k` places divided by the number of relevant items.
pub fn recall_at(hits: &[bool], n_relevant: usize, k: usize) -> f64 {
    if n_relevant == 0 {
        return 0.0;
    }
    count_hits(hits, k) as f64 / n_relevant as f64
}

/// Binary-relevance NDCG with log2 discount; the ideal list holds min(k, |R|) hits.
pub fn ndcg_at(hits: &[bool], n_relevant: usize, k: usize) -> f64 {
    let ideal_hits = k.min(n_relevant);
    if ideal_hits == 0 {
        return 0.0;
    }
    let discount = |rank: usize| 1.0 / ((rank + 1) as f64).log2();
    let dcg: f64 = hits_within(hits, k)
        .iter()
        .enumerate()
        .filter(|(_, &h)| h)
        .map(|(i, _)| discount(i + 1))
        .sum();
    let idcg: f64 = (1..=ideal_hits).map(discount).sum();
    dcg / idcg
}

/// Sum of Precision@i over the ranks `i ≤ k` holding a hit, divided by min(k, |R|).
pub fn average_precision_at(hits: &[bool], n_relevant: usize, k: usize) -> f64 {
    let denominator = k.min(n_relevant);
    if denominator == 0 {
        return 0.0;
    }
    let mut seen = 0usize;
    let mut sum = 0.0;
    for (i, &hit) in hits_within(hits, k).iter().enumerate() {
        if hit {
            seen += 1;
            sum += seen as f64 / (i + 1) as f64;
        }
    }
    sum / denominator as f64
}

/// One over the rank of the first hit within `k`, 0 without a hit.
pub fn reciprocal_rank_at(hits: &[bool], k: usize) -> f64 {
    hits_within(hits, k)
        .iter()
        .position(|&h| h)
        .map_or(0.0, |i| 1.0 / (i + 1) as f64)
}

/// 1 when a hit lies within `k`, else 0.
pub fn hit_at(hits: &[bool], k: usize) -> f64 {
    if hits_within(hits, k).contains(&true) {
        1.0
    } else {
        0.0
    }
}

/// Share of the catalog's `n_items` that appear in the first `k` places of some list.
pub fn item_coverage<'a>(
    lists: impl IntoIterator<Item = &'a [u32]>,
    k: usize,
    n_items: usize,
) -> f64 {
    if n_items == 0 {
        return 0.0;
    }
    let mut seen = vec![false; n_items];
    let mut distinct = 0usize;
    for list in lists {
        for &item in &list[..k.min(list.len())] {
            if let Some(flag) = seen.get_mut(item as usize) {
                if !*flag {
                    *flag = true;
                    distinct += 1;
                }
            }
        }
    }
    distinct as f64 / n_items as f64
}

/// Self-information −log2(pop / n_users) of an item with `pop` training users (at least 1).
pub fn self_information(pop: usize, n_users: usize) -> f64 {
    if n_users == 0 {
        return 0.0;
    }
    let pop = pop.clamp(1, n_users);
    (n_users as f64 / pop as f64).log2()
}

/// Mean over non-empty lists of the mean self-information of their first `k` items;
/// `popularity[i]` is the number of training users of item `i` (items beyond its end count
/// as unseen).
pub fn novelty<'a>(
    lists: impl IntoIterator<Item = &'a [u32]>,
    k: usize,
    popularity: &[usize],
    n_users: usize,
) -> f64 {
    let mut total = 0.0;
    let mut counted = 0usize;
    for list in lists {
        let top = &list[..k.min(list.len())];
        if top.is_empty() {
            continue;
        }
        let sum: f64 = top
            .iter()
            .map(|&item| {
                self_information(popularity.get(item as usize).copied().unwrap_or(0), n_users)
            })
            .sum();
        total += sum / top.len() as f64;
        counted += 1;
    }
    if counted == 0 {
        0.0
    } else {
        total / counted as f64
    }
}

/// Root mean squared error of `(predicted, actual)` pairs; 0 for no pairs.
pub fn rmse(pairs: &[(f32, f32)]) -> f64 {
    if pairs.is_empty() {
        return 0.0;
    }
    let sum: f64 = pairs
        .iter()
        .map(|&(p, a)| {
            let e = f64::from(p) - f64::from(a);
            e * e
        })
        .sum();
    (sum / pairs.len() as f64).sqrt()
}

/// Mean absolute error of `(predicted, actual)` pairs; 0 for no pairs.
pub fn mae(pairs: &[(f32, f32)]) -> f64 {
    if pairs.is_empty() {
        return 0.0;
    }
    let sum: f64 = pairs
        .iter()
        .map(|&(p, a)| (f64::from(p) - f64::from(a)).abs())
        .sum();
    sum / pairs.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn hand_computed_example_at_five() {
        // ranked = [7, 3, 9, 1, 4], relevant = {1, 3, 8}: hits at ranks 2 and 4.
        // precision@5 = 2/5 = 0.4; recall@5 = 2/3.
        // DCG = 1/log2(3) + 1/log2(5) = 0.630930 + 0.430677 = 1.061606;
        // IDCG over min(5, 3) = 3 places = 1 + 0.630930 + 0.5 = 2.130930; NDCG = 0.498189.
        // AP: P@2 = 1/2, P@4 = 2/4 -> (0.5 + 0.5) / min(5, 3) = 1/3.
        // MRR = 1/2; hit = 1.
        let m = RankingMetrics::compute(&[7, 3, 9, 1, 4], &[1, 3, 8], 5);
        assert!(close(m.precision, 0.4));
        assert!(close(m.recall, 2.0 / 3.0));
        let dcg = 1.0 / 3f64.log2() + 1.0 / 5f64.log2();
        let idcg = 1.0 + 1.0 / 3f64.log2() + 0.5;
        assert!(close(m.ndcg, dcg / idcg));
        assert!((m.ndcg - 0.498189).abs() < 1e-6);
        assert!(close(m.map, 1.0 / 3.0));
        assert!(close(m.mrr, 0.5));
        assert!(close(m.hit, 1.0));
    }

    #[test]
    fn cut_off_smaller_than_relevant_set_normalises_by_k() {
        // ranked = [1, 2, 5], relevant = {1, 2, 3, 4}, k = 2: both places hit.
        // precision = 2/2 = 1; recall = 2/4 = 0.5; IDCG over min(2, 4) = 2 places equals
        // DCG -> NDCG = 1; AP = (1/1 + 2/2) / min(2, 4) = 1; MRR = 1.
        let m = RankingMetrics::compute(&[1, 2, 5], &[1, 2, 3, 4], 2);
        assert!(close(m.precision, 1.0));
        assert!(close(m.recall, 0.5));
        assert!(close(m.ndcg, 1.0));
        assert!(close(m.map, 1.0));
        assert!(close(m.mrr, 1.0));
    }

    #[test]
    fn short_list_counts_missing_places_as_misses() {
        // ranked = [5], relevant = {5}, k = 4: precision = 1/4, everything else 1.
        let m = RankingMetrics::compute(&[5], &[5], 4);
        assert!(close(m.precision, 0.25));
        assert!(close(m.recall, 1.0));
        assert!(close(m.ndcg, 1.0));
        assert!(close(m.map, 1.0));
        // A miss first: ranked = [2, 5], k = 1 sees only the miss.
        let m = RankingMetrics::compute(&[2, 5], &[5], 1);
        assert_eq!(m, RankingMetrics::default());
    }

    #[test]
    fn empty_relevant_set_scores_zero() {
        let m = RankingMetrics::compute(&[1, 2], &[], 2);
        assert_eq!(m, RankingMetrics::default());
    }

    #[test]
    fn coverage_and_novelty_by_hand() {
        // Lists [0, 1, 2] and [1, 3]; at k = 2 the distinct items are {0, 1, 3}: 3 of 8.
        let lists: [&[u32]; 2] = [&[0, 1, 2], &[1, 3]];
        assert!(close(item_coverage(lists, 2, 8), 3.0 / 8.0));
        assert!(close(item_coverage(lists, 3, 8), 4.0 / 8.0));
        // 8 users; popularity: item0 = 8, item1 = 2, item3 = 0 (unseen, taken as 1).
        // User A at k=2: (log2(8/8) + log2(8/2)) / 2 = (0 + 2) / 2 = 1.
        // User B: (log2(8/2) + log2(8/1)) / 2 = (2 + 3) / 2 = 2.5. Mean = 1.75.
        let popularity = [8, 2, 5, 0];
        assert!(close(novelty(lists, 2, &popularity, 8), 1.75));
    }

    #[test]
    fn rating_errors_by_hand() {
        // errors: +1, -2, 0 -> RMSE = sqrt((1 + 4 + 0) / 3) = sqrt(5/3); MAE = 3/3 = 1.
        let pairs = [(4.0, 3.0), (1.0, 3.0), (2.5, 2.5)];
        assert!(close(rmse(&pairs), (5.0f64 / 3.0).sqrt()));
        assert!(close(mae(&pairs), 1.0));
        assert_eq!(rmse(&[]), 0.0);
    }

    /// A ranked list of distinct items and a sorted relevant set over a small catalog, so
    /// that hits are common.
    fn ranked_and_relevant() -> impl Strategy<Value = (Vec<u32>, Vec<u32>, usize)> {
        (
            proptest::collection::vec(0u32..40, 0..30),
            proptest::collection::btree_set(0u32..40, 0..20),
            0usize..40,
        )
            .prop_map(|(raw, relevant, k)| {
                let mut seen = std::collections::HashSet::new();
                let ranked: Vec<u32> = raw.into_iter().filter(|i| seen.insert(*i)).collect();
                (ranked, relevant.into_iter().collect(), k)
            })
    }

    proptest! {
        #[test]
        fn ranking_metrics_stay_in_unit_interval((ranked, relevant, k) in ranked_and_relevant()) {
            let m = RankingMetrics::compute(&ranked, &relevant, k);
            for (name, value) in RANKING_METRIC_NAMES.iter().zip(m.values()) {
                prop_assert!((0.0..=1.0 + 1e-12).contains(&value), "{name} = {value}");
            }
            // Every metric is zero exactly when nothing relevant is within k.
            let any_hit = ranked.iter().take(k).any(|i| relevant.contains(i));
            prop_assert_eq!(m.hit == 1.0, any_hit);
            prop_assert_eq!(m.ndcg > 0.0, any_hit);
        }

        #[test]
        fn perfect_ranking_scores_one((_, relevant, k) in ranked_and_relevant()) {
            prop_assume!(!relevant.is_empty() && k > 0);
            let m = RankingMetrics::compute(&relevant, &relevant, k);
            prop_assert!((m.ndcg - 1.0).abs() < 1e-12);
            prop_assert!((m.map - 1.0).abs() < 1e-12);
            prop_assert!((m.mrr - 1.0).abs() < 1e-12);
            let expected_recall = k.min(relevant.len()) as f64 / relevant.len() as f64;
            prop_assert!((m.recall - expected_recall).abs() < 1e-12);
        }

        #[test]
        fn coverage_and_novelty_stay_in_bounds(
            lists in proptest::collection::vec(proptest::collection::vec(0u32..50, 0..12), 0..10),
            popularity in proptest::collection::vec(0usize..30, 0..50),
            n_users in 0usize..30,
            k in 0usize..15,
        ) {
            let slices: Vec<&[u32]> = lists.iter().map(|l| l.as_slice()).collect();
            let coverage = item_coverage(slices.iter().copied(), k, 50);
            prop_assert!((0.0..=1.0).contains(&coverage));
            let novelty = novelty(slices.iter().copied(), k, &popularity, n_users);
            prop_assert!(novelty >= 0.0 && novelty.is_finite());
            prop_assert!(novelty <= (n_users.max(1) as f64).log2() + 1e-12);
        }

        #[test]
        fn rating_errors_are_non_negative_and_ordered(
            pairs in proptest::collection::vec((-5.0f32..5.0, -5.0f32..5.0), 0..40),
        ) {
            let (r, m) = (rmse(&pairs), mae(&pairs));
            prop_assert!(r >= 0.0 && m >= 0.0);
            // The quadratic mean bounds the arithmetic mean of the absolute errors.
            prop_assert!(m <= r + 1e-9);
        }
    }
}
