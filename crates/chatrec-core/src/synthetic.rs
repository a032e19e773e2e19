//! Seeded synthetic data sets for tests and scale benchmarks.
//!
//! Two generators:
//!
//! - [`generate`] / [`generate_matrix`]: implicit feedback whose user activity and item
//!   popularity both follow power laws, as real interaction logs do (a few users and items
//!   account for a large share of the events). The user at activity rank `r` (0 = most
//!   active) gets a quota proportional to `(r + 1)^-user_exponent`, and every draw picks the
//!   item at popularity rank `r` with probability proportional to `(r + 1)^-item_exponent`
//!   (a Zipf law). Which user or item id holds which rank is a seeded random permutation, so
//!   activity does not follow the id order.
//! - [`planted_blocks`]: users and items split into groups where users only interact with
//!   items of their own group. Models must recover this structure, which makes it the data
//!   set for "does the model learn anything" tests (see its documentation for how to find
//!   the group of a user or item).
//!
//! Determinism: both generators give the same output for the same arguments on every run
//! and under any number of threads. [`generate`] splits the users into fixed chunks, each
//! with its own random stream derived from the seed and the chunk index, and writes each
//! chunk into its precomputed place in the output; threads only decide who computes a
//! chunk, never what it contains.
//!
//! Memory: [`generate`] allocates the output (8 bytes per pair), one quota per user, and
//! an alias table of 16 bytes per item; nothing else grows with the number of pairs.

use std::ops::Range;
use std::sync::Mutex;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, WeightedAliasIndex};

use crate::sparse::CsrMatrix;

/// The shape of a power-law implicit-feedback data set.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticSpec {
    pub n_users: usize,
    pub n_items: usize,
    /// Number of distinct (user, item) pairs to generate; capped at `n_users * n_items`.
    pub n_interactions: usize,
    /// Zipf exponent of item popularity: 0 = uniform, around 1 = typical of real logs.
    /// Negative or non-finite values are treated as 0.
    pub item_exponent: f64,
    /// Power-law exponent of user activity, with the same conventions as `item_exponent`.
    pub user_exponent: f64,
    pub seed: u64,
}

/// Users per chunk: the unit of parallel work and of random streams.
const USERS_PER_CHUNK: usize = 4096;
/// Rounds of "draw the missing items, drop duplicates" before a user's remaining quota is
/// filled deterministically. Only users holding a large share of the catalog need more.
const MAX_DRAW_ROUNDS: usize = 8;

/// Random-stream tags, so that different uses of one seed never share a stream.
const STREAM_ITEM_RANKS: u64 = 1;
const STREAM_USER_RANKS: u64 = 2;
const STREAM_USER_CHUNK: u64 = 3;
const STREAM_PLANTED: u64 = 4;

/// Unique `(user, item)` pairs with power-law user activity and item popularity, sorted by
/// user, then item.
///
/// Exactly `min(n_interactions, n_users * n_items)` pairs come back. When there are at
/// least as many interactions as users, every user gets at least one. A user whose quota
/// is a large part of the catalog first draws from the popularity law and then, if the
/// draws keep hitting items it already has, is topped up with its missing items in
/// popularity order, so generation time stays bounded for any spec.
///
/// Panics if `n_users` or `n_items` exceed the `u32` index range.
pub fn generate(spec: &SyntheticSpec) -> Vec<(u32, u32)> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    generate_with_threads(spec, threads)
}

/// [`generate`] as a matrix with every stored value 1.0.
pub fn generate_matrix(spec: &SyntheticSpec) -> CsrMatrix {
    to_matrix(spec.n_users, spec.n_items, &generate(spec))
}

/// The `n_users x n_items` matrix holding 1.0 at each pair (duplicates are summed).
/// Panics if a pair lies outside the shape.
pub fn to_matrix(n_users: usize, n_items: usize, pairs: &[(u32, u32)]) -> CsrMatrix {
    let triplets: Vec<(u32, u32, f32)> = pairs.iter().map(|&(u, i)| (u, i, 1.0)).collect();
    CsrMatrix::from_triplets(n_users, n_items, &triplets)
}

fn generate_with_threads(spec: &SyntheticSpec, threads: usize) -> Vec<(u32, u32)> {
    let (n_users, n_items) = (spec.n_users, spec.n_items);
    assert!(
        u32::try_from(n_users).is_ok() && u32::try_from(n_items).is_ok(),
        "synthetic data indices must fit in u32"
    );
    if n_users == 0 || n_items == 0 || spec.n_interactions == 0 {
        return Vec::new();
    }
    let item_by_rank = seeded_permutation(n_items, derive_seed(spec.seed, STREAM_ITEM_RANKS, 0));
    let mut item_weights = vec![0.0f64; n_items];
    for (rank, &item) in item_by_rank.iter().enumerate() {
        item_weights[item as usize] = power_law_weight(rank, spec.item_exponent);
    }
    // Weights lie in (0, 1], the first is 1 and the length fits in u32: the table is valid.
    let item_sampler = match WeightedAliasIndex::new(item_weights) {
        Ok(sampler) => sampler,
        Err(e) => unreachable!("power-law weights are always a valid distribution: {e}"),
    };
    let quotas = user_quotas(spec);
    let total: usize = quotas.iter().sum();
    let mut out = vec![(0u32, 0u32); total];

    // Each chunk's pairs go to a fixed slice of `out`, known from the quotas in advance.
    let mut work: Vec<(usize, &mut [(u32, u32)])> = Vec::new();
    let mut rest: &mut [(u32, u32)] = &mut out;
    for (chunk, users) in quotas.chunks(USERS_PER_CHUNK).enumerate() {
        let (head, tail) = rest.split_at_mut(users.iter().sum());
        work.push((chunk, head));
        rest = tail;
    }
    let work = Mutex::new(work.into_iter());
    let context = ChunkContext {
        quotas: &quotas,
        item_by_rank: &item_by_rank,
        item_sampler: &item_sampler,
        seed: spec.seed,
    };
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| loop {
                let next = work.lock().unwrap_or_else(|e| e.into_inner()).next();
                match next {
                    Some((chunk, slice)) => context.fill_chunk(chunk, slice),
                    None => break,
                }
            });
        }
    });
    out
}

struct ChunkContext<'a> {
    quotas: &'a [usize],
    item_by_rank: &'a [u32],
    item_sampler: &'a WeightedAliasIndex<f64>,
    seed: u64,
}

impl ChunkContext<'_> {
    fn fill_chunk(&self, chunk: usize, out: &mut [(u32, u32)]) {
        let mut rng = ChaCha8Rng::seed_from_u64(derive_seed(self.seed, STREAM_USER_CHUNK, chunk));
        let first_user = chunk * USERS_PER_CHUNK;
        let end_user = (first_user + USERS_PER_CHUNK).min(self.quotas.len());
        let mut items: Vec<u32> = Vec::new();
        let mut pos = 0;
        for user in first_user..end_user {
            let quota = self.quotas[user];
            self.draw_items(quota, &mut rng, &mut items);
            for (slot, &item) in out[pos..pos + quota].iter_mut().zip(&items) {
                *slot = (user as u32, item);
            }
            pos += quota;
        }
    }

    /// Fills `items` with exactly `quota` distinct items, sorted.
    fn draw_items(&self, quota: usize, rng: &mut ChaCha8Rng, items: &mut Vec<u32>) {
        items.clear();
        for _ in 0..MAX_DRAW_ROUNDS {
            if items.len() == quota {
                return;
            }
            let missing = quota - items.len();
            items.extend((0..missing).map(|_| self.item_sampler.sample(rng) as u32));
            items.sort_unstable();
            items.dedup();
        }
        if items.len() < quota {
            let mut extra = Vec::with_capacity(quota - items.len());
            for &item in self.item_by_rank {
                if items.len() + extra.len() == quota {
                    break;
                }
                if items.binary_search(&item).is_err() {
                    extra.push(item);
                }
            }
            items.extend(extra);
            items.sort_unstable();
        }
    }
}

/// How many items each user (by id) gets: proportional to its power-law weight, at least
/// one each when there are enough interactions, never more than the catalog, summing to
/// `min(n_interactions, n_users * n_items)`.
fn user_quotas(spec: &SyntheticSpec) -> Vec<usize> {
    let (n_users, n_items) = (spec.n_users, spec.n_items);
    let capacity = n_users.saturating_mul(n_items);
    let total = spec.n_interactions.min(capacity);
    let weights: Vec<f64> = (0..n_users)
        .map(|rank| power_law_weight(rank, spec.user_exponent))
        .collect();
    // Quotas by activity rank first; mapped to user ids at the end.
    let mut by_rank = vec![0usize; n_users];
    let mut remaining = total;
    if total >= n_users {
        by_rank.fill(1);
        remaining -= n_users;
    }
    // Proportional shares among users below the cap; flooring and capping leave a rest
    // that the next round spreads again, so each round assigns most of what is left.
    while remaining > 0 {
        let open_weight: f64 = by_rank
            .iter()
            .zip(&weights)
            .filter(|(&q, _)| q < n_items)
            .map(|(_, &w)| w)
            .sum();
        let mut assigned = 0;
        for (quota, &weight) in by_rank.iter_mut().zip(&weights) {
            if *quota < n_items {
                let share = (remaining as f64 * weight / open_weight).floor() as usize;
                let add = share.min(n_items - *quota).min(remaining - assigned);
                *quota += add;
                assigned += add;
            }
        }
        if assigned == 0 {
            // Every share floored to zero: hand out single items, most active first.
            for quota in by_rank.iter_mut() {
                if remaining == assigned {
                    break;
                }
                if *quota < n_items {
                    *quota += 1;
                    assigned += 1;
                }
            }
        }
        remaining -= assigned;
    }
    let user_by_rank = seeded_permutation(n_users, derive_seed(spec.seed, STREAM_USER_RANKS, 0));
    let mut quotas = vec![0usize; n_users];
    for (rank, &user) in user_by_rank.iter().enumerate() {
        quotas[user as usize] = by_rank[rank];
    }
    quotas
}

fn power_law_weight(rank: usize, exponent: f64) -> f64 {
    let exponent = if exponent.is_finite() && exponent > 0.0 {
        exponent
    } else {
        0.0
    };
    (rank as f64 + 1.0).powf(-exponent)
}

fn seeded_permutation(n: usize, seed: u64) -> Vec<u32> {
    let mut perm: Vec<u32> = (0..n as u32).collect();
    perm.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    perm
}

/// A seed for stream `tag`, part `index`, mixed with SplitMix64 so that neighbouring
/// seeds and indices give unrelated streams.
fn derive_seed(seed: u64, tag: u64, index: usize) -> u64 {
    let mut z = seed
        ^ tag.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (index as u64).wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A planted-structure data set: users and items are split into `n_groups` groups and
/// each user interacts only with items of its own group.
///
/// - Groups are contiguous, near-equal index ranges: user `u` is in group
///   [`planted_group`]`(u, n_users, n_groups)` and the items of group `g` are
///   [`planted_range`]`(g, n_items, n_groups)` (likewise for users).
/// - Each (user, item of its group) pair is present with probability `density` (clamped
///   to `[0, 1]`), independently; a user left without items gets one item of its group
///   chosen at random, so every user has at least one interaction.
/// - `n_groups` is clamped to `1..=min(n_users, n_items)`, so every group has users and
///   items. Stored values are 1.0.
///
/// Typical test use: fit on `planted_blocks(40, 60, 2, 0.5, seed)` with some entries held
/// out, then check that a user's best unseen items lie in its own group's item range.
pub fn planted_blocks(
    n_users: usize,
    n_items: usize,
    n_groups: usize,
    density: f64,
    seed: u64,
) -> CsrMatrix {
    if n_users == 0 || n_items == 0 {
        return CsrMatrix::zeros(n_users, n_items);
    }
    let n_groups = n_groups.clamp(1, n_users.min(n_items));
    let density = if density.is_nan() {
        0.0
    } else {
        density.clamp(0.0, 1.0)
    };
    let mut rng = ChaCha8Rng::seed_from_u64(derive_seed(seed, STREAM_PLANTED, 0));
    let mut triplets = Vec::new();
    for user in 0..n_users {
        let block = planted_range(planted_group(user, n_users, n_groups), n_items, n_groups);
        let before = triplets.len();
        for item in block.clone() {
            if rng.gen_bool(density) {
                triplets.push((user as u32, item as u32, 1.0f32));
            }
        }
        if triplets.len() == before {
            triplets.push((user as u32, rng.gen_range(block) as u32, 1.0));
        }
    }
    CsrMatrix::from_triplets(n_users, n_items, &triplets)
}

/// The group of `index` among `n` indices split into `n_groups` contiguous groups, as used
/// by [`planted_blocks`] (with `n_groups` already clamped as it describes).
pub fn planted_group(index: usize, n: usize, n_groups: usize) -> usize {
    ((index as u128 * n_groups as u128) / n.max(1) as u128) as usize
}

/// The indices of group `group` among `n` indices split into `n_groups` contiguous groups:
/// exactly the `i` with `planted_group(i, n, n_groups) == group`.
pub fn planted_range(group: usize, n: usize, n_groups: usize) -> Range<usize> {
    // The first index of group g is ceil(g * n / n_groups).
    let start = |g: usize| -> usize {
        let groups = n_groups.max(1) as u128;
        (((g as u128) * (n as u128)).div_ceil(groups) as usize).min(n)
    };
    start(group)..start(group + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(n_users: usize, n_items: usize, n_interactions: usize, seed: u64) -> SyntheticSpec {
        SyntheticSpec {
            n_users,
            n_items,
            n_interactions,
            item_exponent: 1.0,
            user_exponent: 1.0,
            seed,
        }
    }

    #[test]
    fn exact_count_of_unique_sorted_pairs_in_range() {
        let s = spec(3000, 500, 60_000, 7);
        let pairs = generate(&s);
        assert_eq!(pairs.len(), 60_000);
        assert!(pairs.windows(2).all(|w| w[0] < w[1]), "sorted and unique");
        assert!(pairs.iter().all(|&(u, i)| u < 3000 && i < 500));
        let mut per_user = vec![0usize; 3000];
        for &(u, _) in &pairs {
            per_user[u as usize] += 1;
        }
        assert!(per_user.iter().all(|&n| n >= 1), "every user has an item");
    }

    #[test]
    fn same_seed_same_pairs_under_any_thread_count() {
        let s = spec(10_000, 300, 50_000, 11);
        let one = generate_with_threads(&s, 1);
        assert_eq!(one, generate_with_threads(&s, 3));
        assert_eq!(one, generate(&s));
        let other = generate(&SyntheticSpec { seed: 12, ..s });
        assert_ne!(one, other);
    }

    #[test]
    fn popularity_and_activity_follow_the_exponents() {
        let skewed = generate(&spec(2000, 1000, 40_000, 3));
        let flat = generate(&SyntheticSpec {
            item_exponent: 0.0,
            user_exponent: 0.0,
            ..spec(2000, 1000, 40_000, 3)
        });
        // Share of interactions held by the 1% most popular items (and most active users).
        let top_share = |pairs: &[(u32, u32)], n: usize, key: fn(&(u32, u32)) -> u32| {
            let mut counts = vec![0usize; n];
            for p in pairs {
                counts[key(p) as usize] += 1;
            }
            counts.sort_unstable_by(|a, b| b.cmp(a));
            counts[..n / 100].iter().sum::<usize>() as f64 / pairs.len() as f64
        };
        let item_key: fn(&(u32, u32)) -> u32 = |p| p.1;
        let user_key: fn(&(u32, u32)) -> u32 = |p| p.0;
        let skewed_items = top_share(&skewed, 1000, item_key);
        let flat_items = top_share(&flat, 1000, item_key);
        assert!(skewed_items > 0.1, "zipf top 1% items hold {skewed_items}");
        assert!(flat_items < 0.03, "uniform top 1% items hold {flat_items}");
        let skewed_users = top_share(&skewed, 2000, user_key);
        let flat_users = top_share(&flat, 2000, user_key);
        assert!(skewed_users > 0.1, "top 1% users hold {skewed_users}");
        assert!(flat_users < 0.02, "uniform top 1% users hold {flat_users}");
    }

    #[test]
    fn saturated_spec_returns_every_pair() {
        let pairs = generate(&spec(20, 30, 10_000, 5));
        assert_eq!(pairs.len(), 600);
        let m = generate_matrix(&spec(20, 30, 10_000, 5));
        assert_eq!(m.nnz(), 600);
        assert!(m.data().iter().all(|&v| v == 1.0));
    }

    #[test]
    fn fewer_interactions_than_users_and_empty_specs() {
        let pairs = generate(&spec(100, 50, 10, 1));
        assert_eq!(pairs.len(), 10);
        assert!(generate(&spec(0, 50, 10, 1)).is_empty());
        assert!(generate(&spec(10, 0, 10, 1)).is_empty());
        assert!(generate(&spec(10, 10, 0, 1)).is_empty());
    }

    #[test]
    fn planted_blocks_keep_users_in_their_group() {
        let m = planted_blocks(50, 90, 3, 0.3, 9);
        assert_eq!((m.n_rows(), m.n_cols()), (50, 90));
        for user in 0..50 {
            let group = planted_group(user, 50, 3);
            let block = planted_range(group, 90, 3);
            assert!(m.row_nnz(user) >= 1);
            assert!(m
                .row_indices(user)
                .iter()
                .all(|&i| block.contains(&(i as usize))));
        }
        let density = m.nnz() as f64 / (50.0 * 30.0);
        assert!((0.2..0.4).contains(&density), "density {density}");
        assert_eq!(m, planted_blocks(50, 90, 3, 0.3, 9));
        assert_ne!(m, planted_blocks(50, 90, 3, 0.3, 10));
        // Zero density still gives every user one item.
        assert_eq!(planted_blocks(10, 10, 2, 0.0, 1).nnz(), 10);
    }

    #[test]
    fn planted_range_inverts_planted_group() {
        for (n, groups) in [(10, 3), (7, 7), (100, 6), (5, 1)] {
            let mut covered = 0;
            for g in 0..groups {
                let range = planted_range(g, n, groups);
                assert!(!range.is_empty());
                assert!(range.clone().all(|i| planted_group(i, n, groups) == g));
                covered += range.len();
            }
            assert_eq!(covered, n);
        }
    }

    /// Scale check: `cargo test --release -p chatrec-core synthetic -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn twenty_million_pairs_in_a_few_seconds() {
        let s = SyntheticSpec {
            n_users: 1_000_000,
            n_items: 100_000,
            n_interactions: 20_000_000,
            item_exponent: 1.0,
            user_exponent: 0.8,
            seed: 1,
        };
        let start = std::time::Instant::now();
        let pairs = generate(&s);
        let elapsed = start.elapsed();
        eprintln!("generated {} pairs in {elapsed:?}", pairs.len());
        assert_eq!(pairs.len(), 20_000_000);
        assert!(elapsed.as_secs_f64() < 10.0);
    }
}
