//! Train/test splits of interactions for offline evaluation.
//!
//! Four protocols, each named on the command line by a [`SplitSpec`] string:
//!
//! - `user-ratio:R` — per-user random holdout (RecBole's `RS: [0.8, 0.2]` with
//!   `group_by: user`). For a user with `n` interactions, the interactions are shuffled and
//!   the first `n_train = clamp(round(R * n), 1, n - 1)` go to training, the rest to test.
//!   A user with a single interaction keeps it in training. The clamp to `n - 1` gives
//!   every user with two or more interactions at least one test interaction, like
//!   RecBole's rule that moves one interaction to a non-empty split whose share rounds to
//!   zero (RecBole floors the test share instead of rounding the training share, so the
//!   two differ by one interaction for some `n`, e.g. `n = 8` at 0.8: 7 train in RecBole,
//!   6 here).
//! - `leave-last-out[:N]` — the latest `min(N, n - 1)` interactions of each user by
//!   timestamp go to test (RecBole's `LS: valid_and_test` order-by-time protocol); ties in
//!   time are broken by order in the input, so without timestamps it is the last `N` in
//!   input order.
//! - `temporal:R` — one global time cut: all interactions are ordered by `(timestamp,
//!   input position)` and the first `clamp(round(R * N), 1, N - 1)` of the `N` go to
//!   training. Every training interaction is then no later than every test interaction;
//!   events sharing the boundary timestamp are split by input order. Test users may have
//!   no training history (they are scored as cold users).
//! - `external:TRAIN,TEST` — two files, read by the caller with chatrec-core's importers;
//!   [`split`] rejects it.
//!
//! Determinism: every random choice comes from a ChaCha8 generator seeded with the split
//! seed and switched to the stream numbered by the user's dense index, so each user's
//! holdout depends only on (seed, user index, that user's interactions in input order).
//! Splitting is sequential; the result does not depend on the number of threads.
//! Both parts keep the input order of the interactions.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use chatrec_core::{Dataset, Interaction};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::error::EvalError;

/// How to divide interactions into training and test parts.
#[derive(Debug, Clone, PartialEq)]
pub enum SplitSpec {
    /// Per-user random holdout keeping `train_ratio` of each user's interactions in training.
    UserRatio { train_ratio: f64 },
    /// The latest `n` interactions of each user go to test.
    LeaveLastOut { n: usize },
    /// A global time cut at the `train_ratio` quantile of the timestamps.
    TemporalCut { train_ratio: f64 },
    /// Training and test data come from two files.
    External { train: PathBuf, test: PathBuf },
}

impl FromStr for SplitSpec {
    type Err = EvalError;

    /// Parses `user-ratio:0.8`, `leave-last-out`, `leave-last-out:2`, `temporal:0.8` or
    /// `external:TRAIN,TEST`.
    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let invalid = |reason: String| EvalError::InvalidSplitSpec {
            spec: spec.to_owned(),
            reason,
        };
        let (kind, arg) = match spec.trim().split_once(':') {
            Some((kind, arg)) => (kind.trim(), Some(arg.trim())),
            None => (spec.trim(), None),
        };
        match (kind, arg) {
            ("user-ratio", Some(arg)) => Ok(SplitSpec::UserRatio {
                train_ratio: parse_ratio(arg).map_err(invalid)?,
            }),
            ("temporal", Some(arg)) => Ok(SplitSpec::TemporalCut {
                train_ratio: parse_ratio(arg).map_err(invalid)?,
            }),
            ("leave-last-out", None) => Ok(SplitSpec::LeaveLastOut { n: 1 }),
            ("leave-last-out", Some(arg)) => match arg.parse::<usize>() {
                Ok(n) if n >= 1 => Ok(SplitSpec::LeaveLastOut { n }),
                _ => Err(invalid(format!(
                    "`{arg}` is not a positive number of interactions to leave out"
                ))),
            },
            ("external", Some(arg)) => match arg.split_once(',') {
                Some((train, test)) if !train.trim().is_empty() && !test.trim().is_empty() => {
                    Ok(SplitSpec::External {
                        train: PathBuf::from(train.trim()),
                        test: PathBuf::from(test.trim()),
                    })
                }
                _ => Err(invalid(
                    "an external split names two files separated by a comma".into(),
                )),
            },
            ("user-ratio" | "temporal", None) => {
                Err(invalid(format!("`{kind}` needs a training ratio")))
            }
            ("external", None) => Err(invalid("`external` needs two file names".into())),
            _ => Err(invalid(format!("unknown split kind `{kind}`"))),
        }
    }
}

fn parse_ratio(arg: &str) -> Result<f64, String> {
    match arg.parse::<f64>() {
        Ok(r) if r > 0.0 && r < 1.0 => Ok(r),
        _ => Err(format!(
            "training ratio `{arg}` must be a number strictly between 0 and 1"
        )),
    }
}

impl fmt::Display for SplitSpec {
    /// Writes the CLI form, which [`SplitSpec::from_str`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SplitSpec::UserRatio { train_ratio } => write!(f, "user-ratio:{train_ratio}"),
            SplitSpec::LeaveLastOut { n } => write!(f, "leave-last-out:{n}"),
            SplitSpec::TemporalCut { train_ratio } => write!(f, "temporal:{train_ratio}"),
            SplitSpec::External { train, test } => {
                write!(f, "external:{},{}", train.display(), test.display())
            }
        }
    }
}

/// Training and test interactions, each in input order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Split {
    pub train: Vec<Interaction>,
    pub test: Vec<Interaction>,
}

/// Splits the data set's interactions by `spec` (any variant but `External`).
///
/// Fails on interactions outside the catalog, on a temporal split of data without
/// timestamps, and when either part would be empty.
pub fn split(dataset: &Dataset, spec: &SplitSpec, seed: u64) -> Result<Split, EvalError> {
    let (n_users, n_items) = (dataset.n_users(), dataset.n_items());
    if let Some(bad) = dataset
        .interactions
        .iter()
        .find(|i| i.user as usize >= n_users || i.item as usize >= n_items)
    {
        return Err(EvalError::InteractionOutOfRange {
            user: bad.user,
            item: bad.item,
            n_users,
            n_items,
        });
    }
    if matches!(spec, SplitSpec::TemporalCut { .. }) && !dataset.has_timestamps {
        return Err(EvalError::NoTimestamps);
    }
    split_interactions(&dataset.interactions, spec, seed)
}

/// Carves a validation set out of training interactions only, for tuning: the same
/// protocols as [`split`], with a generator derived from `seed` so that the validation
/// holdout is not a replay of the test holdout's random choices.
pub fn validation_split(
    train: &[Interaction],
    spec: &SplitSpec,
    seed: u64,
) -> Result<Split, EvalError> {
    const VALIDATION_SALT: u64 = 0x5641_4c49_4441_5445; // "VALIDATE"
    split_interactions(train, spec, seed ^ VALIDATION_SALT)
}

fn split_interactions(
    interactions: &[Interaction],
    spec: &SplitSpec,
    seed: u64,
) -> Result<Split, EvalError> {
    if interactions.is_empty() {
        return Err(EvalError::EmptySplit {
            part: "training",
            reason: "there are no interactions to split".into(),
        });
    }
    let in_test = match spec {
        SplitSpec::UserRatio { train_ratio } => {
            check_ratio(spec, *train_ratio)?;
            user_ratio_mask(interactions, *train_ratio, seed)
        }
        SplitSpec::LeaveLastOut { n } => {
            if *n == 0 {
                return Err(EvalError::InvalidSplitSpec {
                    spec: spec.to_string(),
                    reason: "leave at least one interaction out".into(),
                });
            }
            leave_last_out_mask(interactions, *n)
        }
        SplitSpec::TemporalCut { train_ratio } => {
            check_ratio(spec, *train_ratio)?;
            let first = interactions[0].timestamp;
            if interactions.iter().all(|i| i.timestamp == first) {
                return Err(EvalError::NoTimestamps);
            }
            temporal_mask(interactions, *train_ratio)
        }
        SplitSpec::External { .. } => return Err(EvalError::ExternalSplit),
    };
    let mut out = Split::default();
    for (interaction, &test) in interactions.iter().zip(&in_test) {
        if test {
            out.test.push(*interaction);
        } else {
            out.train.push(*interaction);
        }
    }
    if out.test.is_empty() {
        return Err(EvalError::EmptySplit {
            part: "test",
            reason: format!(
                "`{spec}` leaves nothing out; every user has a single interaction \
                 (users keep their only interaction in training)"
            ),
        });
    }
    Ok(out)
}

fn check_ratio(spec: &SplitSpec, ratio: f64) -> Result<(), EvalError> {
    if ratio > 0.0 && ratio < 1.0 {
        Ok(())
    } else {
        Err(EvalError::InvalidSplitSpec {
            spec: spec.to_string(),
            reason: "the training ratio must lie strictly between 0 and 1".into(),
        })
    }
}

/// How many of `n` interactions stay in training at `ratio`: `round(ratio * n)` kept in
/// `1..=n-1`, and the single interaction when `n == 1`.
fn train_count(ratio: f64, n: usize) -> usize {
    if n <= 1 {
        return n;
    }
    let rounded = (ratio * n as f64).round() as usize;
    rounded.clamp(1, n - 1)
}

/// Positions of each user's interactions, grouped by user, in input order within a user.
fn positions_by_user(interactions: &[Interaction]) -> (Vec<usize>, Vec<usize>) {
    let n_users = interactions
        .iter()
        .map(|i| i.user as usize + 1)
        .max()
        .unwrap_or(0);
    let mut start = vec![0usize; n_users + 1];
    for i in interactions {
        start[i.user as usize + 1] += 1;
    }
    for u in 0..n_users {
        start[u + 1] += start[u];
    }
    let mut next = start.clone();
    let mut positions = vec![0usize; interactions.len()];
    for (pos, i) in interactions.iter().enumerate() {
        let slot = &mut next[i.user as usize];
        positions[*slot] = pos;
        *slot += 1;
    }
    (start, positions)
}

fn user_ratio_mask(interactions: &[Interaction], ratio: f64, seed: u64) -> Vec<bool> {
    let (start, mut positions) = positions_by_user(interactions);
    let mut in_test = vec![false; interactions.len()];
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for user in 0..start.len() - 1 {
        let group = &mut positions[start[user]..start[user + 1]];
        if group.len() < 2 {
            continue;
        }
        // One stream per user: the user's shuffle is independent of every other user.
        rng.set_stream(user as u64);
        rng.set_word_pos(0);
        group.shuffle(&mut rng);
        for &pos in &group[train_count(ratio, group.len())..] {
            in_test[pos] = true;
        }
    }
    in_test
}

fn leave_last_out_mask(interactions: &[Interaction], n: usize) -> Vec<bool> {
    let (start, mut positions) = positions_by_user(interactions);
    let mut in_test = vec![false; interactions.len()];
    for user in 0..start.len() - 1 {
        let group = &mut positions[start[user]..start[user + 1]];
        // Positions are increasing, so a stable sort by time breaks ties by input order.
        group.sort_by_key(|&pos| interactions[pos].timestamp);
        let held_out = n.min(group.len().saturating_sub(1));
        for &pos in &group[group.len() - held_out..] {
            in_test[pos] = true;
        }
    }
    in_test
}

fn temporal_mask(interactions: &[Interaction], ratio: f64) -> Vec<bool> {
    let mut order: Vec<usize> = (0..interactions.len()).collect();
    order.sort_by_key(|&pos| interactions[pos].timestamp);
    let mut in_test = vec![false; interactions.len()];
    for &pos in &order[train_count(ratio, order.len())..] {
        in_test[pos] = true;
    }
    in_test
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatrec_core::{Catalog, Item};

    fn interaction(user: u32, item: u32, timestamp: i64) -> Interaction {
        Interaction {
            user,
            item,
            value: 1.0,
            timestamp,
        }
    }

    /// User `u` has `counts[u]` interactions with items 0.., at times 100*u + item.
    fn dataset(counts: &[usize]) -> Dataset {
        let mut catalog = Catalog::new();
        let n_items = counts.iter().copied().max().unwrap_or(0);
        for item in 0..n_items {
            catalog.upsert_item(Item::bare(&format!("i{item}")));
        }
        let mut interactions = Vec::new();
        for (user, &count) in counts.iter().enumerate() {
            catalog.user_index_or_insert(&format!("u{user}"));
            for item in 0..count {
                interactions.push(interaction(
                    user as u32,
                    item as u32,
                    100 * user as i64 + item as i64,
                ));
            }
        }
        Dataset {
            catalog,
            interactions,
            has_ratings: false,
            has_timestamps: true,
        }
    }

    fn per_user_counts(interactions: &[Interaction], n_users: usize) -> Vec<usize> {
        let mut counts = vec![0; n_users];
        for i in interactions {
            counts[i.user as usize] += 1;
        }
        counts
    }

    #[test]
    fn parses_every_cli_form_and_round_trips_through_display() {
        let cases = [
            ("user-ratio:0.8", SplitSpec::UserRatio { train_ratio: 0.8 }),
            ("leave-last-out", SplitSpec::LeaveLastOut { n: 1 }),
            ("leave-last-out:2", SplitSpec::LeaveLastOut { n: 2 }),
            (
                "temporal:0.75",
                SplitSpec::TemporalCut { train_ratio: 0.75 },
            ),
            (
                "external:a.csv,b.csv",
                SplitSpec::External {
                    train: "a.csv".into(),
                    test: "b.csv".into(),
                },
            ),
        ];
        for (text, expected) in cases {
            let parsed: SplitSpec = text.parse().unwrap();
            assert_eq!(parsed, expected, "{text}");
            assert_eq!(parsed.to_string().parse::<SplitSpec>().unwrap(), expected);
        }
    }

    #[test]
    fn parse_errors_explain_and_list_accepted_forms() {
        for bad in [
            "user-ratio",
            "user-ratio:1.5",
            "user-ratio:0",
            "temporal:x",
            "leave-last-out:0",
            "external:onlyone",
            "random:0.8",
        ] {
            let err = bad.parse::<SplitSpec>().unwrap_err().to_string();
            assert!(err.contains(bad), "{err}");
            assert!(
                err.contains("leave-last-out:N") && err.contains("external:"),
                "{err}"
            );
        }
    }

    #[test]
    fn user_ratio_keeps_rounded_share_per_user_and_partitions_the_data() {
        // n=1 keeps it; n=2: round(1.6)=2 clamped to 1; n=5: 4; n=8: round(6.4)=6; n=10: 8.
        let data = dataset(&[1, 2, 5, 8, 10]);
        let spec = SplitSpec::UserRatio { train_ratio: 0.8 };
        let split = split(&data, &spec, 7).unwrap();
        assert_eq!(per_user_counts(&split.train, 5), vec![1, 1, 4, 6, 8]);
        assert_eq!(per_user_counts(&split.test, 5), vec![0, 1, 1, 2, 2]);
        let mut all: Vec<(u32, u32)> = split
            .train
            .iter()
            .chain(&split.test)
            .map(|i| (i.user, i.item))
            .collect();
        all.sort_unstable();
        let mut expected: Vec<(u32, u32)> =
            data.interactions.iter().map(|i| (i.user, i.item)).collect();
        expected.sort_unstable();
        assert_eq!(all, expected);
    }

    #[test]
    fn user_ratio_is_deterministic_per_seed_and_per_user() {
        let data = dataset(&[20, 20, 20]);
        let spec = SplitSpec::UserRatio { train_ratio: 0.5 };
        let a = split(&data, &spec, 1).unwrap();
        assert_eq!(a, split(&data, &spec, 1).unwrap());
        assert_ne!(a.test, split(&data, &spec, 2).unwrap().test);
        // A user's holdout does not depend on the other users in the data.
        let mut only_user_two = data.clone();
        only_user_two.interactions.retain(|i| i.user == 2);
        let b = split(&only_user_two, &spec, 1).unwrap();
        let a_user_two: Vec<Interaction> = a.test.into_iter().filter(|i| i.user == 2).collect();
        assert_eq!(a_user_two, b.test);
    }

    #[test]
    fn leave_last_out_takes_latest_with_ties_in_input_order() {
        let mut data = dataset(&[3, 1, 4]);
        // User 2: times 7, 9, 9, 1 -> latest two are the two at time 9; with n=1 the later
        // one in input order (item 2) goes.
        let times = [7, 9, 9, 1];
        for (i, t) in data
            .interactions
            .iter_mut()
            .filter(|i| i.user == 2)
            .zip(times)
        {
            i.timestamp = t;
        }
        let one = split(&data, &SplitSpec::LeaveLastOut { n: 1 }, 0).unwrap();
        let test: Vec<(u32, u32)> = one.test.iter().map(|i| (i.user, i.item)).collect();
        assert_eq!(test, vec![(0, 2), (2, 2)]);
        let three = split(&data, &SplitSpec::LeaveLastOut { n: 3 }, 0).unwrap();
        // User 0 has 3 interactions: only 2 can leave; user 1 keeps its single one.
        assert_eq!(per_user_counts(&three.test, 3), vec![2, 0, 3]);
        let user_two: Vec<u32> = three
            .test
            .iter()
            .filter(|i| i.user == 2)
            .map(|i| i.item)
            .collect();
        assert_eq!(user_two, vec![0, 1, 2]);
    }

    #[test]
    fn temporal_cut_puts_the_latest_share_in_test() {
        let data = dataset(&[4, 4, 2]); // 10 interactions, distinct times
        let split = split(&data, &SplitSpec::TemporalCut { train_ratio: 0.7 }, 0).unwrap();
        assert_eq!(split.train.len(), 7);
        assert_eq!(split.test.len(), 3);
        let latest_train = split.train.iter().map(|i| i.timestamp).max().unwrap();
        let earliest_test = split.test.iter().map(|i| i.timestamp).min().unwrap();
        assert!(latest_train <= earliest_test);
    }

    #[test]
    fn rejects_what_cannot_be_split() {
        let mut data = dataset(&[3, 3]);
        let external = "external:a,b".parse::<SplitSpec>().unwrap();
        assert!(matches!(
            split(&data, &external, 0),
            Err(EvalError::ExternalSplit)
        ));
        let singles = dataset(&[1, 1]);
        assert!(matches!(
            split(&singles, &SplitSpec::LeaveLastOut { n: 1 }, 0),
            Err(EvalError::EmptySplit { part: "test", .. })
        ));
        data.has_timestamps = false;
        assert!(matches!(
            split(&data, &SplitSpec::TemporalCut { train_ratio: 0.5 }, 0),
            Err(EvalError::NoTimestamps)
        ));
        data.interactions.push(interaction(9, 0, 0));
        assert!(matches!(
            split(&data, &SplitSpec::LeaveLastOut { n: 1 }, 0),
            Err(EvalError::InteractionOutOfRange { user: 9, .. })
        ));
    }

    #[test]
    fn validation_split_only_uses_training_interactions() {
        let data = dataset(&[10, 10, 10, 10]);
        let spec = SplitSpec::UserRatio { train_ratio: 0.8 };
        let outer = split(&data, &spec, 3).unwrap();
        let inner = validation_split(&outer.train, &spec, 3).unwrap();
        assert_eq!(inner.train.len() + inner.test.len(), outer.train.len());
        for i in inner.train.iter().chain(&inner.test) {
            assert!(outer.train.contains(i));
            assert!(!outer.test.contains(i));
        }
        assert_eq!(inner, validation_split(&outer.train, &spec, 3).unwrap());
    }
}
