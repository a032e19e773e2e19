//! The real MovieLens-100K, when present locally. Ignored by default because the data set
//! may not be redistributed and is therefore not part of the repository; run with
//! `cargo test -p chatrec-core --test real_ml100k -- --ignored`.

use std::path::Path;

use chatrec_core::import::{load_path, ImportOptions};
use chatrec_core::stats::DatasetStats;

const RECBOLE_ML100K: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/ml-100k");

#[test]
#[ignore = "needs MovieLens-100K in data/ml-100k (chatrec data fetch movielens-100k)"]
fn real_movielens_100k_in_recbole_format() {
    let dir = Path::new(RECBOLE_ML100K);
    if !dir.is_dir() {
        eprintln!("skipped: {RECBOLE_ML100K} does not exist");
        return;
    }
    let started = std::time::Instant::now();
    let (d, report) = load_path(
        dir,
        &ImportOptions {
            strict: true,
            ..ImportOptions::default()
        },
    )
    .unwrap();
    eprintln!("loaded in {:?}: {report}", started.elapsed());
    assert_eq!(d.n_users(), 943);
    assert_eq!(d.n_items(), 1682);
    assert_eq!(d.interactions.len(), 100_000);
    assert_eq!(report.duplicates, 0);
    assert!(d.has_ratings && d.has_timestamps);
    let star_wars = d.catalog.item(d.catalog.item_index("50").unwrap());
    assert_eq!(star_wars.title, "Star Wars");
    assert_eq!(star_wars.year, Some(1977));
    assert_eq!(
        star_wars.categories,
        ["Action", "Adventure", "Romance", "Sci-Fi", "War"]
    );
    let user1 = d.catalog.user(d.catalog.user_index("1").unwrap());
    assert_eq!(user1.attributes["occupation"], "technician");

    let stats = DatasetStats::compute(&d);
    eprintln!("{stats}");
    assert_eq!(
        stats.interactions_per_user.min, 20,
        "ml-100k users have >= 20 ratings"
    );
    assert_eq!(stats.items_without_interactions, 0);
    let histogram: usize = stats
        .rating_histogram
        .as_ref()
        .unwrap()
        .iter()
        .map(|b| b.count)
        .sum();
    assert_eq!(histogram, 100_000);
}
