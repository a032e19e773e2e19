//! Title matching measured on the real MovieLens-100K catalog and on a synthetic catalog of
//! 10^5 titles for speed. Both are `#[ignore]`d: the first needs the data set at
//! data/ml-100k at the workspace root, or CHATREC_ML100K_DIR (fetch it with
//! `chatrec data fetch movielens-100k`, never commit it), the second takes a few seconds.
//! Run with `cargo test -p chatrec-knowledge --test titles_movielens -- --ignored --nocapture`.

use std::time::Instant;

use chatrec_core::{Catalog, Item};
use chatrec_knowledge::titles::{absent_queries, evaluate, perturbed_queries, TitleIndex};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[test]
#[ignore = "needs MovieLens-100K; set CHATREC_ML100K_DIR or fetch it into data/"]
fn movielens_100k_accuracy_and_calibration() {
    let loaded = chatrec_core::import::load_path(&ml100k_dir(), &Default::default());
    let (dataset, _) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => panic!("cannot load MovieLens-100K: {error}"),
    };
    let catalog = &dataset.catalog;
    let started = Instant::now();
    let index = TitleIndex::new(catalog);
    let build_ms = started.elapsed().as_secs_f64() * 1e3;
    let labelled = perturbed_queries(catalog, 42, 2000);
    let absent = absent_queries(catalog, 42, 1000);
    let report = evaluate(&index, &labelled, &absent);
    println!(
        "MovieLens-100K: {} items, index built in {build_ms:.1} ms",
        index.len()
    );
    println!(
        "{}",
        serde_json::to_string_pretty(&report).unwrap_or_default()
    );
    assert!(labelled.len() >= 1000);
    assert!(report.top1_accuracy >= 0.95, "{report:#?}");
}

/// Pronounceable pseudo-words so the synthetic vocabulary has realistic lengths.
fn pseudo_word(rng: &mut ChaCha8Rng) -> String {
    const ONSETS: &[&str] = &[
        "b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "br", "st",
        "tr", "gr", "ch", "sh",
    ];
    const VOWELS: &[&str] = &["a", "e", "i", "o", "u", "ai", "ou", "ea"];
    let syllables = rng.gen_range(1..=4);
    let mut word = String::new();
    for _ in 0..syllables {
        word.push_str(ONSETS.choose(rng).copied().unwrap_or("b"));
        word.push_str(VOWELS.choose(rng).copied().unwrap_or("a"));
    }
    if rng.gen_bool(0.5) {
        word.push_str(ONSETS.choose(rng).copied().unwrap_or("n"));
    }
    word
}

#[test]
#[ignore = "speed measurement, a few seconds"]
fn hundred_thousand_titles_speed() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let vocabulary: Vec<String> = (0..30_000).map(|_| pseudo_word(&mut rng)).collect();
    let stop_words = ["the", "of", "a", "and", "in", "to"];
    let mut catalog = Catalog::new();
    for i in 0..100_000u32 {
        let length = rng.gen_range(1..=5);
        let mut words: Vec<String> = Vec::with_capacity(length);
        for _ in 0..length {
            // Zipf-like word choice: frequent words are reused across many titles.
            let rank = (vocabulary.len() as f64 * rng.gen::<f64>().powi(3)) as usize;
            words.push(vocabulary[rank.min(vocabulary.len() - 1)].clone());
            if rng.gen_bool(0.15) {
                words.push(
                    stop_words
                        .choose(&mut rng)
                        .copied()
                        .unwrap_or("of")
                        .to_owned(),
                );
            }
        }
        let mut title: String = words.join(" ");
        if let Some(first) = title.get(..1) {
            title = first.to_uppercase() + &title[1..];
        }
        if rng.gen_bool(0.2) {
            title.push_str(", The");
        }
        catalog.upsert_item(Item {
            id: i.to_string(),
            title,
            year: Some(rng.gen_range(1920..=2020)),
            ..Item::default()
        });
    }
    let started = Instant::now();
    let index = TitleIndex::new(&catalog);
    let build_s = started.elapsed().as_secs_f64();
    let labelled = perturbed_queries(&catalog, 9, 2000);
    let absent = absent_queries(&catalog, 9, 1000);
    let report = evaluate(&index, &labelled, &absent);
    println!(
        "synthetic 10^5 titles: index built in {build_s:.2} s; top-1 {:.4} over {} queries; \
         absent confident {}/{} {:?}; mean query {:.1} µs; misses {:?}",
        report.top1_accuracy,
        report.queries,
        report.absent_confident,
        report.absent,
        report.absent_confident_examples,
        report.mean_query_micros,
        report.misses
    );
    assert!(report.mean_query_micros < 5_000.0, "{report:#?}");
}

fn ml100k_dir() -> std::path::PathBuf {
    std::env::var_os("CHATREC_ML100K_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/ml-100k"))
        })
}
