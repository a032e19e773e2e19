//! Evaluation runs: full ranking of a fitted recommender against held-out items, and
//! rating error of a rating predictor.
//!
//! Ranking protocol ("full ranking", as RecBole's `mode: full`): every user with at least
//! one test item is evaluated; each is scored over all items, the items of their training
//! row are excluded, and the top max(ks) items are compared with their test items under
//! binary relevance. Users are scored in chunks with [`Recommender::score_users`] (one
//! matrix product for factor models) and chunks run on the rayon pool.
//!
//! Determinism: per-user results are collected in user order and summed sequentially, so
//! a report is bit-identical whatever the number of threads, provided the model's scores
//! are (ties in score go to the lower item index, see [`crate::topk`]).

use std::collections::BTreeMap;
use std::time::Instant;

use chatrec_core::{CsrMatrix, Interaction};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::error::EvalError;
use super::metrics::{self, RankingMetrics, RANKING_METRIC_NAMES};
use crate::progress::Progress;
use crate::recommender::{RatingPredictor, Recommender};
use crate::topk::top_k_excluding;
use crate::train::TrainSet;

/// At most this many scores are held per chunk of users (64 MiB of f32), so that large
/// catalogs score fewer users at a time.
const SCORE_BUFFER_FLOATS: usize = 16 << 20;
/// Users per chunk when the catalog is small enough.
const MAX_USERS_PER_CHUNK: usize = 256;

/// The outcome of a ranking evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankingReport {
    /// Model label (the registry name unless the caller sets another).
    pub model: String,
    /// Number of users evaluated (those with at least one test item).
    pub users: usize,
    /// The cut-offs, ascending.
    pub ks: Vec<usize>,
    /// Means over users of `precision@k`, `recall@k`, `ndcg@k`, `map@k`, `mrr@k`, `hit@k`,
    /// and the list-level `coverage@k` and `novelty@k`, for every k.
    pub metrics: BTreeMap<String, f64>,
    /// Item coverage at the largest k.
    pub coverage: f64,
    /// Novelty at the largest k.
    pub novelty: f64,
    /// Training time, filled in by the caller that trained the model.
    pub fit_seconds: Option<f64>,
    /// Wall time of the evaluation itself.
    pub eval_seconds: f64,
}

/// The outcome of a rating evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatingReport {
    pub rmse: f64,
    pub mae: f64,
    /// Number of rated pairs evaluated.
    pub n: usize,
}

/// Per-user outcome: metric values per cut-off and the recommended list.
struct UserResult {
    /// `ks.len()` groups of the six ranking metrics.
    values: Vec<f64>,
    top: Vec<u32>,
}

/// Evaluates `model`, fitted on `train`, by full ranking against `test` (user x item,
/// stored entries are the relevant items, values ignored) at every cut-off in `ks`.
pub fn evaluate_ranking(
    model: &dyn Recommender,
    train: &TrainSet,
    test: &CsrMatrix,
    ks: &[usize],
    progress: &dyn Progress,
) -> Result<RankingReport, EvalError> {
    let started = Instant::now();
    let mut ks = ks.to_vec();
    ks.sort_unstable();
    ks.dedup();
    let max_k = match ks.last() {
        Some(&k) if ks[0] > 0 => k,
        _ => return Err(EvalError::InvalidCutoffs(ks)),
    };
    let n_items = model.n_items();
    if train.n_items() != n_items || test.n_cols() != n_items {
        return Err(EvalError::ShapeMismatch(format!(
            "model scores {n_items} items, training data has {}, test data has {}",
            train.n_items(),
            test.n_cols()
        )));
    }
    if test.n_rows() > model.n_users() {
        return Err(EvalError::ShapeMismatch(format!(
            "test data has {} users, the model knows {}",
            test.n_rows(),
            model.n_users()
        )));
    }
    let users: Vec<u32> = (0..test.n_rows())
        .filter(|&u| test.row_nnz(u) > 0)
        .map(|u| u as u32)
        .collect();
    if users.is_empty() {
        return Err(EvalError::NothingToEvaluate(
            "no user has a test item".into(),
        ));
    }

    progress.start("evaluate", users.len() as u64);
    let chunk_len = (SCORE_BUFFER_FLOATS / n_items.max(1)).clamp(1, MAX_USERS_PER_CHUNK);
    let per_chunk: Vec<Vec<UserResult>> = users
        .par_chunks(chunk_len)
        .map(|chunk| {
            let results = rank_chunk(model, train, test, chunk, &ks, max_k);
            progress.advance(chunk.len() as u64);
            results
        })
        .collect();
    progress.finish();

    let results: Vec<UserResult> = per_chunk.into_iter().flatten().collect();
    let mut sums = vec![0.0f64; ks.len() * RANKING_METRIC_NAMES.len()];
    for result in &results {
        for (sum, value) in sums.iter_mut().zip(&result.values) {
            *sum += value;
        }
    }
    let n_users = results.len() as f64;
    let popularity = train.matrix.col_counts();
    let active_train_users = (0..train.n_users())
        .filter(|&u| train.matrix.row_nnz(u) > 0)
        .count();
    let lists = || results.iter().map(|r| r.top.as_slice());
    let mut report_metrics = BTreeMap::new();
    let (mut coverage, mut novelty) = (0.0, 0.0);
    for (k_index, &k) in ks.iter().enumerate() {
        for (m_index, name) in RANKING_METRIC_NAMES.iter().enumerate() {
            let sum = sums[k_index * RANKING_METRIC_NAMES.len() + m_index];
            report_metrics.insert(format!("{name}@{k}"), sum / n_users);
        }
        coverage = metrics::item_coverage(lists(), k, n_items);
        novelty = metrics::novelty(lists(), k, &popularity, active_train_users);
        report_metrics.insert(format!("coverage@{k}"), coverage);
        report_metrics.insert(format!("novelty@{k}"), novelty);
    }
    Ok(RankingReport {
        model: model.name().to_owned(),
        users: results.len(),
        ks,
        metrics: report_metrics,
        coverage,
        novelty,
        fit_seconds: None,
        eval_seconds: started.elapsed().as_secs_f64(),
    })
}

fn rank_chunk(
    model: &dyn Recommender,
    train: &TrainSet,
    test: &CsrMatrix,
    chunk: &[u32],
    ks: &[usize],
    max_k: usize,
) -> Vec<UserResult> {
    let n_items = model.n_items();
    let mut scores = vec![0.0f32; chunk.len() * n_items];
    model.score_users(chunk, &mut scores);
    chunk
        .iter()
        .zip(scores.chunks_exact(n_items.max(1)))
        .map(|(&user, row)| {
            let seen = if (user as usize) < train.n_users() {
                train.matrix.row_indices(user as usize)
            } else {
                &[]
            };
            let top: Vec<u32> = top_k_excluding(row, max_k, seen)
                .into_iter()
                .map(|s| s.item)
                .collect();
            let relevant = test.row_indices(user as usize);
            let hits = metrics::hit_flags(&top, relevant);
            let values = ks
                .iter()
                .flat_map(|&k| RankingMetrics::from_hits(&hits, relevant.len(), k).values())
                .collect();
            UserResult { values, top }
        })
        .collect()
}

/// Evaluates a rating predictor on `(user, item, rating)` test cases, where a user or item
/// unknown to the model is `None` (see [`rating_cases`]).
pub fn evaluate_rating(
    predictor: &dyn RatingPredictor,
    test: &[(Option<u32>, Option<u32>, f32)],
) -> Result<RatingReport, EvalError> {
    if test.is_empty() {
        return Err(EvalError::NothingToEvaluate("no rated test pairs".into()));
    }
    let pairs: Vec<(f32, f32)> = test
        .par_iter()
        .map(|&(user, item, rating)| (predictor.predict(user, item), rating))
        .collect();
    Ok(RatingReport {
        rmse: metrics::rmse(&pairs),
        mae: metrics::mae(&pairs),
        n: pairs.len(),
    })
}

/// Test cases for [`evaluate_rating`]: users and items without training interactions
/// become `None`, so that predictors use their cold-start fallback for them.
pub fn rating_cases(
    train: &TrainSet,
    test: &[Interaction],
) -> Vec<(Option<u32>, Option<u32>, f32)> {
    let item_counts = train.matrix.col_counts();
    let known_user =
        |u: u32| (u as usize) < train.n_users() && train.matrix.row_nnz(u as usize) > 0;
    let known_item = |i: u32| item_counts.get(i as usize).is_some_and(|&c| c > 0);
    test.iter()
        .map(|t| {
            (
                known_user(t.user).then_some(t.user),
                known_item(t.item).then_some(t.item),
                t.value,
            )
        })
        .collect()
}

/// The user x item matrix of relevant test items: every test interaction, or only those
/// rated at least `min_rating` when given (e.g. 4.0 on a 1–5 scale). Values are 1.
pub fn relevant_matrix(
    n_users: usize,
    n_items: usize,
    test: &[Interaction],
    min_rating: Option<f32>,
) -> Result<CsrMatrix, EvalError> {
    let mut triplets = Vec::with_capacity(test.len());
    for t in test {
        if t.user as usize >= n_users || t.item as usize >= n_items {
            return Err(EvalError::InteractionOutOfRange {
                user: t.user,
                item: t.item,
                n_users,
                n_items,
            });
        }
        let relevant = match min_rating {
            Some(min) => t.value >= min,
            None => true,
        };
        if relevant {
            triplets.push((t.user, t.item, 1.0));
        }
    }
    // Duplicate pairs would sum; relevance is binary, so reset them to 1.
    Ok(CsrMatrix::from_triplets(n_users, n_items, &triplets).map_values(|_| 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persist::ModelState;
    use crate::progress::NoProgress;
    use crate::recommender::Scored;
    use crate::ModelError;

    /// Scores come from a fixed user x item table.
    struct FixedScores {
        n_items: usize,
        table: Vec<f32>,
    }

    impl Recommender for FixedScores {
        fn name(&self) -> &'static str {
            "fixed"
        }
        fn fit(&mut self, _: &TrainSet, _: &dyn Progress) -> Result<(), ModelError> {
            Ok(())
        }
        fn n_users(&self) -> usize {
            self.table.len() / self.n_items
        }
        fn n_items(&self) -> usize {
            self.n_items
        }
        fn score_user(&self, user: u32, out: &mut [f32]) {
            let start = user as usize * self.n_items;
            out.copy_from_slice(&self.table[start..start + self.n_items]);
        }
        fn score_history(&self, _: &[(u32, f32)], out: &mut [f32]) {
            out.fill(0.0);
        }
        fn similar_items(&self, _: u32, _: usize) -> Vec<Scored> {
            Vec::new()
        }
        fn state(&self) -> ModelState {
            ModelState {
                model: "fixed".into(),
                params: serde_json::Value::Null,
                tensors: Vec::new(),
            }
        }
    }

    fn interaction(user: u32, item: u32, value: f32) -> Interaction {
        Interaction {
            user,
            item,
            value,
            timestamp: 0,
        }
    }

    /// 3 users x 5 items. Every user scores items in the order 0 > 1 > 2 > 3 > 4.
    /// user 0: trained on item 0, test {1, 4}; user 1: trained on item 1, test {3};
    /// user 2: trained on items 0 and 1, no test items (skipped).
    fn fixture() -> (FixedScores, TrainSet, CsrMatrix) {
        let row = [5.0, 4.0, 3.0, 2.0, 1.0];
        let model = FixedScores {
            n_items: 5,
            table: row.repeat(3),
        };
        let train = TrainSet::from_matrix(CsrMatrix::from_triplets(
            3,
            5,
            &[(0, 0, 1.0), (1, 1, 1.0), (2, 0, 1.0), (2, 1, 1.0)],
        ));
        let test = relevant_matrix(
            3,
            5,
            &[
                interaction(0, 1, 1.0),
                interaction(0, 4, 1.0),
                interaction(1, 3, 1.0),
            ],
            None,
        )
        .unwrap();
        (model, train, test)
    }

    #[test]
    fn ranking_report_matches_hand_computation() {
        let (model, train, test) = fixture();
        let report = evaluate_ranking(&model, &train, &test, &[2, 1], &NoProgress).unwrap();
        // user 0 ranks (excluding 0) [1, 2, 3, 4] -> top2 [1, 2], hits [T, F]
        // user 1 ranks (excluding 1) [0, 2, 3, 4] -> top2 [0, 2], hits [F, F]
        // precision@1 = (1 + 0) / 2 = 0.5; precision@2 = (1/2 + 0) / 2 = 0.25
        // recall@2 = (1/2 + 0) / 2 = 0.25; ndcg@2 user 0 = 1 / (1 + 1/log2 3), user 1 = 0
        // map@2 user 0 = (1/1) / min(2, 2) = 0.5; mrr@2 = (1 + 0) / 2; hit@2 = 0.5
        // coverage@2 = |{0, 1, 2}| / 5 = 0.6; coverage@1 = |{0, 1}| / 5 = 0.4
        // novelty: 3 active training users; pop(0) = 2, pop(1) = 2, pop(2) = 0 -> 1.
        //   @1: user 0 top [1]: log2(3/2); user 1 top [0]: log2(3/2) -> log2(1.5)
        //   @2: user 0 (log2 1.5 + log2 3) / 2; user 1 the same -> (log2 1.5 + log2 3) / 2
        assert_eq!(report.users, 2);
        assert_eq!(report.ks, vec![1, 2]);
        let m = &report.metrics;
        let close = |key: &str, expected: f64| {
            assert!(
                (m[key] - expected).abs() < 1e-12,
                "{key} = {} != {expected}",
                m[key]
            );
        };
        close("precision@1", 0.5);
        close("precision@2", 0.25);
        close("recall@2", 0.25);
        close("ndcg@2", 0.5 / (1.0 + 1.0 / 3f64.log2()));
        close("map@2", 0.25);
        close("mrr@2", 0.5);
        close("hit@2", 0.5);
        close("coverage@1", 0.4);
        close("coverage@2", 0.6);
        close("novelty@1", 1.5f64.log2());
        close("novelty@2", (1.5f64.log2() + 3f64.log2()) / 2.0);
        assert_eq!(report.coverage, m["coverage@2"]);
        assert_eq!(report.model, "fixed");
        assert_eq!(m.len(), 2 * 8);
    }

    #[test]
    fn training_items_are_never_recommended() {
        let (model, train, test) = fixture();
        // Item 0 has the best score; if it were not excluded for user 0 (who trained on
        // it) it would take rank 1 and hit@1 would be 0 for both users instead of 0.5.
        let report = evaluate_ranking(&model, &train, &test, &[1], &NoProgress).unwrap();
        assert_eq!(report.metrics["hit@1"], 0.5);
    }

    #[test]
    fn report_does_not_depend_on_thread_count() {
        let n_users = 700;
        let n_items = 40;
        // Pseudo-random but fixed scores and test items.
        let table: Vec<f32> = (0..n_users * n_items)
            .map(|i| ((i * 7919) % 1009) as f32)
            .collect();
        let model = FixedScores { n_items, table };
        let train_triplets: Vec<(u32, u32, f32)> = (0..n_users as u32)
            .map(|u| (u, u % n_items as u32, 1.0))
            .collect();
        let train =
            TrainSet::from_matrix(CsrMatrix::from_triplets(n_users, n_items, &train_triplets));
        let test: Vec<Interaction> = (0..n_users as u32)
            .flat_map(|u| [(u * 3 + 1) % 40, (u * 11 + 5) % 40].map(|i| interaction(u, i, 1.0)))
            .filter(|t| t.item != t.user % 40)
            .collect();
        let test = relevant_matrix(n_users, n_items, &test, None).unwrap();
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| evaluate_ranking(&model, &train, &test, &[5, 10], &NoProgress))
                .unwrap()
        };
        let one = run(1);
        let four = run(4);
        assert_eq!(one.metrics, four.metrics);
        assert_eq!(one.users, n_users);
    }

    #[test]
    fn rejects_bad_inputs() {
        let (model, train, test) = fixture();
        assert!(matches!(
            evaluate_ranking(&model, &train, &test, &[], &NoProgress),
            Err(EvalError::InvalidCutoffs(_))
        ));
        assert!(matches!(
            evaluate_ranking(&model, &train, &test, &[0, 5], &NoProgress),
            Err(EvalError::InvalidCutoffs(_))
        ));
        let wide = CsrMatrix::zeros(3, 6);
        assert!(matches!(
            evaluate_ranking(&model, &train, &wide, &[5], &NoProgress),
            Err(EvalError::ShapeMismatch(_))
        ));
        let empty = CsrMatrix::zeros(3, 5);
        assert!(matches!(
            evaluate_ranking(&model, &train, &empty, &[5], &NoProgress),
            Err(EvalError::NothingToEvaluate(_))
        ));
        assert!(relevant_matrix(2, 2, &[interaction(2, 0, 1.0)], None).is_err());
    }

    #[test]
    fn relevant_matrix_filters_by_rating_and_is_binary() {
        let test = [
            interaction(0, 1, 5.0),
            interaction(0, 2, 2.0),
            interaction(1, 0, 4.0),
            interaction(1, 0, 4.0),
        ];
        let m = relevant_matrix(2, 3, &test, Some(4.0)).unwrap();
        assert_eq!(m.row_indices(0), &[1]);
        assert_eq!(m.row_indices(1), &[0]);
        assert_eq!(m.row_data(1), &[1.0]);
        assert_eq!(relevant_matrix(2, 3, &test, None).unwrap().nnz(), 3);
    }

    /// Predicts the user index plus one, or 3 for unknown users.
    struct UserIndexPredictor;

    impl RatingPredictor for UserIndexPredictor {
        fn predict(&self, user: Option<u32>, _: Option<u32>) -> f32 {
            user.map_or(3.0, |u| u as f32 + 1.0)
        }
    }

    #[test]
    fn rating_report_by_hand() {
        // Training: user 0 rated item 0. Test: (0, 0, 2), (0, 1, 1), (1, 0, 5).
        // rating_cases: user 1 and item 1 are unknown.
        // Predictions: 1, 1, 3 -> errors -1, 0, -2 -> RMSE = sqrt(5/3), MAE = 1.
        let train = TrainSet::from_matrix(CsrMatrix::from_triplets(2, 2, &[(0, 0, 4.0)]));
        let test = [
            interaction(0, 0, 2.0),
            interaction(0, 1, 1.0),
            interaction(1, 0, 5.0),
        ];
        let cases = rating_cases(&train, &test);
        assert_eq!(
            cases,
            vec![
                (Some(0), Some(0), 2.0),
                (Some(0), None, 1.0),
                (None, Some(0), 5.0)
            ]
        );
        let report = evaluate_rating(&UserIndexPredictor, &cases).unwrap();
        assert_eq!(report.n, 3);
        assert!((report.rmse - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert!((report.mae - 1.0).abs() < 1e-12);
        assert!(evaluate_rating(&UserIndexPredictor, &[]).is_err());
    }
}

/// A manual check on MovieLens-100K (fetched locally, never committed): popularity
/// ranking under `user-ratio:0.8`. Writes the split and the report to
/// `$TMPDIR/chatrec-eval-ml100k/` so that an independent script can recompute the metrics.
#[cfg(test)]
mod ml100k_check {
    use super::*;
    use crate::eval::split::{split, SplitSpec};
    use crate::progress::NoProgress;
    use chatrec_core::{Catalog, Dataset};
    use std::fmt::Write as _;

    const INTER: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/ml-100k/ml-100k.inter"
    );

    fn load() -> Dataset {
        let text = std::fs::read_to_string(INTER).unwrap();
        let mut catalog = Catalog::new();
        let mut interactions = Vec::new();
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split('\t').collect();
            let user = catalog.user_index_or_insert(fields[0]);
            let item = catalog.item_index_or_insert(fields[1]);
            interactions.push(Interaction {
                user,
                item,
                value: fields[2].parse().unwrap(),
                timestamp: fields[3].parse::<f64>().unwrap() as i64,
            });
        }
        Dataset {
            catalog,
            interactions,
            has_ratings: true,
            has_timestamps: true,
        }
    }

    #[test]
    #[ignore = "needs MovieLens-100K in data/ml-100k (chatrec data fetch movielens-100k)"]
    fn popularity_on_movielens_100k() {
        let data = load();
        let spec: SplitSpec = "user-ratio:0.8".parse().unwrap();
        let parts = split(&data, &spec, 42).unwrap();
        let train = TrainSet::from_interactions(&data, &parts.train);
        let test = relevant_matrix(data.n_users(), data.n_items(), &parts.test, None).unwrap();
        let counts: Vec<f32> = train
            .matrix
            .col_counts()
            .iter()
            .map(|&c| c as f32)
            .collect();
        let model = tests_support::Popular(counts);
        let started = std::time::Instant::now();
        let report = evaluate_ranking(&model, &train, &test, &[5, 10, 20], &NoProgress).unwrap();
        println!("evaluated in {:?}", started.elapsed());
        println!("{}", crate::eval::report::text_table(&report));
        assert_eq!(report.users, 943);
        // Popularity on ML-100K is a weak but clearly non-random baseline.
        assert!(report.metrics["ndcg@10"] > 0.1 && report.metrics["ndcg@10"] < 0.5);

        let dir = std::env::temp_dir().join("chatrec-eval-ml100k");
        std::fs::create_dir_all(&dir).unwrap();
        for (name, rows) in [("train.tsv", &parts.train), ("test.tsv", &parts.test)] {
            let mut out = String::new();
            for i in rows.iter() {
                let _ = writeln!(out, "{}\t{}", i.user, i.item);
            }
            std::fs::write(dir.join(name), out).unwrap();
        }
        std::fs::write(
            dir.join("report.json"),
            serde_json::to_string_pretty(&report).unwrap(),
        )
        .unwrap();
        println!("wrote {}", dir.display());
    }

    mod tests_support {
        use crate::persist::ModelState;
        use crate::progress::Progress;
        use crate::recommender::{Recommender, Scored};
        use crate::train::TrainSet;
        use crate::ModelError;

        /// Scores every item by its number of training users.
        pub struct Popular(pub Vec<f32>);

        impl Recommender for Popular {
            fn name(&self) -> &'static str {
                "popular"
            }
            fn fit(&mut self, _: &TrainSet, _: &dyn Progress) -> Result<(), ModelError> {
                Ok(())
            }
            fn n_users(&self) -> usize {
                usize::MAX
            }
            fn n_items(&self) -> usize {
                self.0.len()
            }
            fn score_user(&self, _: u32, out: &mut [f32]) {
                out.copy_from_slice(&self.0);
            }
            fn score_history(&self, _: &[(u32, f32)], out: &mut [f32]) {
                out.copy_from_slice(&self.0);
            }
            fn similar_items(&self, _: u32, _: usize) -> Vec<Scored> {
                Vec::new()
            }
            fn state(&self) -> ModelState {
                ModelState {
                    model: "popular".into(),
                    params: serde_json::Value::Null,
                    tensors: Vec::new(),
                }
            }
        }
    }
}
