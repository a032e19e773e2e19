//! Descriptive statistics of a data set.
//!
//! * Density is `interactions / (users * items)`, sparsity `1 - density`.
//! * Per-user and per-item counts are summarised over every user and item of the catalog,
//!   those without interactions included (they count as 0; their number is reported too).
//!   The median of an even count is the mean of the two middle values.
//! * Long tail, after the Pareto principle: sort items by popularity (interaction count,
//!   most popular first, ties by index); the *head* is the shortest prefix whose items
//!   together hold at least 80% of all interactions, the *tail* is every other item. We
//!   report the head's share of items and the tail's share of interactions.
//! * The Gini coefficient of item popularity over all `n` catalog items, with counts
//!   `x_1 <= ... <= x_n` sorted ascending:
//!   `G = 2 * sum(i * x_i) / (n * sum(x_i)) - (n + 1) / n`; 0 when every item is equally
//!   popular, `(n - 1) / n` when one item has every interaction (Gini 1912; see e.g.
//!   Abdollahpouri et al., "Managing Popularity Bias in Recommender Systems", 2017).

use std::fmt;

use serde::Serialize;

use crate::dataset::Dataset;

/// Share of interactions that defines the popular head of the catalog.
pub const HEAD_INTERACTION_SHARE: f64 = 0.8;

/// min / median / mean / max of a count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Summary {
    pub min: usize,
    pub median: f64,
    pub mean: f64,
    pub max: usize,
}

impl Summary {
    /// Summarises `counts`; all zero when it is empty.
    pub fn of(counts: &[usize]) -> Self {
        if counts.is_empty() {
            return Summary::default();
        }
        let mut sorted = counts.to_vec();
        sorted.sort_unstable();
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2] as f64
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0
        };
        Summary {
            min: sorted[0],
            median,
            mean: sorted.iter().sum::<usize>() as f64 / n as f64,
            max: sorted[n - 1],
        }
    }
}

/// How many interactions have one rating value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RatingCount {
    pub rating: f32,
    pub count: usize,
}

/// Concentration of interactions on few items.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LongTail {
    /// Items in the head (the most popular items holding 80% of interactions).
    pub head_items: usize,
    /// `head_items / items`.
    pub head_item_share: f64,
    /// Share of interactions that fall on tail items.
    pub tail_interaction_share: f64,
    /// Gini coefficient of item popularity, in `[0, 1)`.
    pub gini: f64,
}

/// First and last interaction time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TimeSpan {
    /// Seconds since the Unix epoch.
    pub first: i64,
    pub last: i64,
    pub days: f64,
}

/// Statistics of a [`Dataset`], as computed by [`DatasetStats::compute`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatasetStats {
    pub users: usize,
    pub items: usize,
    pub interactions: usize,
    pub density: f64,
    pub sparsity: f64,
    pub interactions_per_user: Summary,
    pub interactions_per_item: Summary,
    /// Count per distinct rating, ascending; `None` when the data has no ratings.
    pub rating_histogram: Option<Vec<RatingCount>>,
    pub long_tail: LongTail,
    /// `None` when the data has no timestamps or no interactions.
    pub time_span: Option<TimeSpan>,
    pub users_without_interactions: usize,
    pub items_without_interactions: usize,
}

impl DatasetStats {
    pub fn compute(dataset: &Dataset) -> Self {
        let users = dataset.n_users();
        let items = dataset.n_items();
        let interactions = dataset.interactions.len();
        let mut per_user = vec![0usize; users];
        let mut per_item = vec![0usize; items];
        for event in &dataset.interactions {
            // Indices past the catalog would be a broken data set; count only what fits.
            if let Some(c) = per_user.get_mut(event.user as usize) {
                *c += 1;
            }
            if let Some(c) = per_item.get_mut(event.item as usize) {
                *c += 1;
            }
        }
        let cells = users as f64 * items as f64;
        let density = if cells > 0.0 {
            interactions as f64 / cells
        } else {
            0.0
        };
        DatasetStats {
            users,
            items,
            interactions,
            density,
            sparsity: 1.0 - density,
            interactions_per_user: Summary::of(&per_user),
            interactions_per_item: Summary::of(&per_item),
            rating_histogram: dataset.has_ratings.then(|| rating_histogram(dataset)),
            long_tail: long_tail(&per_item),
            time_span: if dataset.has_timestamps {
                time_span(dataset)
            } else {
                None
            },
            users_without_interactions: per_user.iter().filter(|&&c| c == 0).count(),
            items_without_interactions: per_item.iter().filter(|&&c| c == 0).count(),
        }
    }
}

fn rating_histogram(dataset: &Dataset) -> Vec<RatingCount> {
    let mut values: Vec<f32> = dataset.interactions.iter().map(|i| i.value).collect();
    values.sort_unstable_by(f32::total_cmp);
    let mut histogram: Vec<RatingCount> = Vec::new();
    for value in values {
        match histogram.last_mut() {
            Some(last) if last.rating.total_cmp(&value).is_eq() => last.count += 1,
            _ => histogram.push(RatingCount {
                rating: value,
                count: 1,
            }),
        }
    }
    histogram
}

/// Head/tail split and Gini coefficient of per-item interaction counts.
pub fn long_tail(per_item: &[usize]) -> LongTail {
    let total: usize = per_item.iter().sum();
    let n = per_item.len();
    if total == 0 || n == 0 {
        return LongTail::default();
    }
    let mut sorted = per_item.to_vec();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    let threshold = HEAD_INTERACTION_SHARE * total as f64;
    let mut cumulative = 0usize;
    let mut head_items = 0usize;
    for &count in &sorted {
        if cumulative as f64 >= threshold {
            break;
        }
        cumulative += count;
        head_items += 1;
    }
    // Ascending order for the Gini formula: reverse the descending sort.
    let weighted: f64 = sorted
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| (i + 1) as f64 * x as f64)
        .sum();
    let n_f = n as f64;
    let gini = 2.0 * weighted / (n_f * total as f64) - (n_f + 1.0) / n_f;
    LongTail {
        head_items,
        head_item_share: head_items as f64 / n_f,
        tail_interaction_share: (total - cumulative) as f64 / total as f64,
        gini: gini.max(0.0),
    }
}

fn time_span(dataset: &Dataset) -> Option<TimeSpan> {
    let first = dataset.interactions.iter().map(|i| i.timestamp).min()?;
    let last = dataset.interactions.iter().map(|i| i.timestamp).max()?;
    Some(TimeSpan {
        first,
        last,
        days: (last as f64 - first as f64) / 86_400.0,
    })
}

/// `YYYY-MM-DD` of a Unix time (UTC), by the civil-from-days algorithm of
/// H. Hinnant, <https://howardhinnant.github.io/date_algorithms.html>.
fn utc_date(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "min {}, median {}, mean {:.1}, max {}",
            self.min, self.median, self.mean, self.max
        )
    }
}

impl fmt::Display for DatasetStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "users          {}", self.users)?;
        writeln!(f, "items          {}", self.items)?;
        writeln!(f, "interactions   {}", self.interactions)?;
        writeln!(
            f,
            "density        {:.4}% (sparsity {:.4}%)",
            self.density * 100.0,
            self.sparsity * 100.0
        )?;
        writeln!(f, "per user       {}", self.interactions_per_user)?;
        writeln!(f, "per item       {}", self.interactions_per_item)?;
        writeln!(
            f,
            "no interaction {} users, {} items",
            self.users_without_interactions, self.items_without_interactions
        )?;
        writeln!(
            f,
            "long tail      {:.1}% of items ({}) hold 80% of interactions; \
             the tail gets {:.1}%; Gini {:.3}",
            self.long_tail.head_item_share * 100.0,
            self.long_tail.head_items,
            self.long_tail.tail_interaction_share * 100.0,
            self.long_tail.gini
        )?;
        if let Some(span) = &self.time_span {
            writeln!(
                f,
                "time span      {} to {} ({:.0} days)",
                utc_date(span.first),
                utc_date(span.last),
                span.days
            )?;
        }
        if let Some(histogram) = &self.rating_histogram {
            const SHOWN: usize = 20;
            writeln!(f, "ratings")?;
            let total = self.interactions.max(1) as f64;
            for bucket in histogram.iter().take(SHOWN) {
                writeln!(
                    f,
                    "  {:>6}  {:>10}  {:5.1}%",
                    bucket.rating,
                    bucket.count,
                    bucket.count as f64 * 100.0 / total
                )?;
            }
            if histogram.len() > SHOWN {
                writeln!(f, "  ... {} more values", histogram.len() - SHOWN)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Catalog, Item};
    use crate::dataset::Interaction;

    fn dataset(n_users: usize, n_items: usize, events: &[(u32, u32, f32, i64)]) -> Dataset {
        let mut catalog = Catalog::new();
        for i in 0..n_items {
            catalog.upsert_item(Item::bare(&format!("i{i}")));
        }
        for u in 0..n_users {
            catalog.user_index_or_insert(&format!("u{u}"));
        }
        Dataset {
            catalog,
            interactions: events
                .iter()
                .map(|&(user, item, value, timestamp)| Interaction {
                    user,
                    item,
                    value,
                    timestamp,
                })
                .collect(),
            has_ratings: true,
            has_timestamps: true,
        }
    }

    #[test]
    fn counts_density_and_summaries() {
        // Items: i0 has 3 events, i1 has 1, i2 none. Users: u0 has 2, u1 has 1, u2 has 1.
        let d = dataset(
            3,
            3,
            &[
                (0, 0, 4.0, 100),
                (1, 0, 5.0, 200),
                (2, 0, 4.0, 86_500),
                (0, 1, 1.0, 50),
            ],
        );
        let s = DatasetStats::compute(&d);
        assert_eq!((s.users, s.items, s.interactions), (3, 3, 4));
        assert!((s.density - 4.0 / 9.0).abs() < 1e-12);
        assert!((s.sparsity - 5.0 / 9.0).abs() < 1e-12);
        assert_eq!(
            s.interactions_per_user,
            Summary {
                min: 1,
                median: 1.0,
                mean: 4.0 / 3.0,
                max: 2
            }
        );
        assert_eq!(s.interactions_per_item.min, 0);
        assert_eq!(s.interactions_per_item.median, 1.0);
        assert_eq!(s.interactions_per_item.max, 3);
        assert_eq!(s.items_without_interactions, 1);
        assert_eq!(s.users_without_interactions, 0);
        let histogram = s.rating_histogram.clone().unwrap();
        let pairs: Vec<(f32, usize)> = histogram.iter().map(|b| (b.rating, b.count)).collect();
        assert_eq!(pairs, vec![(1.0, 1), (4.0, 2), (5.0, 1)]);
        let span = s.time_span.unwrap();
        assert_eq!((span.first, span.last), (50, 86_500));
        assert!((span.days - 86_450.0 / 86_400.0).abs() < 1e-12);
        // Head: i0 alone holds 3 of 4 = 75% < 80%, so i1 joins: 2 of 3 items, tail 0%.
        assert_eq!(s.long_tail.head_items, 2);
        assert!((s.long_tail.head_item_share - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(s.long_tail.tail_interaction_share, 0.0);
        // Ascending counts 0, 1, 3: G = 2*(1*0 + 2*1 + 3*3)/(3*4) - 4/3 = 22/12 - 16/12.
        assert!((s.long_tail.gini - 0.5).abs() < 1e-12);
        let text = s.to_string();
        assert!(text.contains("interactions   4"), "{text}");
        assert!(text.contains("1970-01-01 to 1970-01-02"), "{text}");
    }

    #[test]
    fn gini_bounds() {
        let equal = long_tail(&[5, 5, 5, 5]);
        assert!(equal.gini.abs() < 1e-12);
        assert_eq!(equal.head_items, 4);
        let concentrated = long_tail(&[0, 0, 0, 12]);
        assert!((concentrated.gini - 0.75).abs() < 1e-12);
        assert_eq!(concentrated.head_items, 1);
        assert!((concentrated.head_item_share - 0.25).abs() < 1e-12);
        assert_eq!(long_tail(&[]), LongTail::default());
        assert_eq!(long_tail(&[0, 0]), LongTail::default());
    }

    #[test]
    fn pareto_head_and_tail_share() {
        // Ten items with 2 events each except one with 80: the total is 98, and
        // 80 >= 0.8 * 98 = 78.4, so that item alone is the head.
        let mut counts = vec![2usize; 10];
        counts[3] = 80;
        let lt = long_tail(&counts);
        assert_eq!(lt.head_items, 1);
        assert!((lt.tail_interaction_share - 18.0 / 98.0).abs() < 1e-12);
    }

    #[test]
    fn no_ratings_no_times_no_histogram_no_span() {
        let mut d = dataset(1, 2, &[(0, 1, 1.0, 0)]);
        d.has_ratings = false;
        d.has_timestamps = false;
        let s = DatasetStats::compute(&d);
        assert!(s.rating_histogram.is_none());
        assert!(s.time_span.is_none());
        let empty = DatasetStats::compute(&Dataset::default());
        assert_eq!(empty.density, 0.0);
        assert_eq!(empty.interactions_per_user, Summary::default());
    }

    #[test]
    fn civil_dates() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(881_250_949), "1997-12-04");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(-86_400), "1969-12-31");
    }
}
