//! The hybrid recommender on a small synthetic catalog built here: topics whose item texts
//! share words within a topic, and users with few interactions each, so that content has
//! something to add to collaborative filtering.

use std::sync::Arc;

use chatrec_core::{Catalog, CsrMatrix, Item};
use chatrec_knowledge::dense::DenseMatrix;
use chatrec_knowledge::embed::{catalog_texts, HashingEmbedder, TextEmbedder};
use chatrec_knowledge::hybrid::{HybridParams, HybridRecommender, Normalise};
use chatrec_models::registry::{self, Task};
use chatrec_models::{NoProgress, Recommender, TrainSet};
use rand::seq::index::sample;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Two words per topic; every item of a topic has both.
const WORDS: [&str; 40] = [
    "space",
    "rocket",
    "love",
    "paris",
    "ghost",
    "castle",
    "heist",
    "vault",
    "dragon",
    "sword",
    "jungle",
    "river",
    "robot",
    "factory",
    "pirate",
    "island",
    "detective",
    "murder",
    "horse",
    "desert",
    "wedding",
    "bride",
    "submarine",
    "ocean",
    "vampire",
    "night",
    "boxing",
    "ring",
    "chef",
    "kitchen",
    "piano",
    "concert",
    "soldier",
    "trench",
    "spy",
    "embassy",
    "zombie",
    "mall",
    "dinosaur",
    "volcano",
];
const TOPICS: usize = 20;
const ITEMS_PER_TOPIC: usize = 30;
const USERS: usize = 3000;

/// Item `i` belongs to topic `i / 30`; user `u` has 3 random items of topic `u % 20`. So
/// few interactions per item leave collaborative filtering little to learn from, while the
/// texts name the topic outright.
fn data() -> (TrainSet, DenseMatrix) {
    let mut catalog = Catalog::new();
    for id in 0..TOPICS * ITEMS_PER_TOPIC {
        let topic = id / ITEMS_PER_TOPIC;
        catalog.upsert_item(Item {
            id: format!("i{id}"),
            title: format!("The {} {}", WORDS[2 * topic], id),
            year: None,
            categories: Vec::new(),
            text: format!("A story of the {}", WORDS[2 * topic + 1]),
        });
    }
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut triplets = Vec::new();
    for u in 0..USERS {
        let base = (u % TOPICS) * ITEMS_PER_TOPIC;
        for item in sample(&mut rng, ITEMS_PER_TOPIC, 3) {
            triplets.push((u as u32, (base + item) as u32, 1.0));
        }
    }
    let train = TrainSet::from_matrix(CsrMatrix::from_triplets(
        USERS,
        TOPICS * ITEMS_PER_TOPIC,
        &triplets,
    ));
    let texts = catalog_texts(&catalog);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let embeddings = HashingEmbedder::new(256).embed(&refs).unwrap();
    (train, embeddings)
}

fn fitted(weights: &str, normalise: Normalise) -> (HybridRecommender, TrainSet) {
    let (train, embeddings) = data();
    let params = HybridParams {
        weights: weights.into(),
        normalise,
        ..HybridParams::default()
    };
    let mut model = HybridRecommender::new(params, Arc::new(embeddings), None, 42);
    model.fit(&train, &NoProgress).unwrap();
    (model, train)
}

#[test]
fn learned_weights_use_content_when_it_helps_on_validation() {
    for normalise in [Normalise::Zscore, Normalise::Rrf] {
        let (model, _) = fitted("learned", normalise);
        let tuning = model.tuning().unwrap().clone();
        assert!(tuning.validation_ndcg >= tuning.collaborative_ndcg);
        assert!(tuning.knowledge_ndcg.is_none());
        // Content names each user's topic; three interactions per user do not.
        assert!(
            tuning.weights.content > 0.0,
            "{normalise:?}: {tuning:?} should use content"
        );
        assert!(tuning.validation_ndcg > tuning.collaborative_ndcg);
        assert_eq!(model.weights(), Some(tuning.weights));
    }
}

#[test]
fn collaborative_weight_alone_scores_like_the_best_model() {
    let (model, train) = fitted("1,0,0", Normalise::Zscore);
    let (name, params) = registry::best_for(Task::Ranking);
    let mut best = registry::build(name, &params, 42).unwrap();
    best.fit(&train, &NoProgress).unwrap();
    let n = model.n_items();
    let (mut hybrid, mut alone) = (vec![0.0f32; n], vec![0.0f32; n]);
    for user in [0u32, 7, 99] {
        model.score_user(user, &mut hybrid);
        best.score_user(user, &mut alone);
        // The same scores, standardised: the same ranking up to rounding.
        let mean = alone.iter().sum::<f32>() / n as f32;
        let sd = (alone.iter().map(|s| (s - mean).powi(2)).sum::<f32>() / n as f32).sqrt();
        for (h, a) in hybrid.iter().zip(&alone) {
            assert!((h - (a - mean) / sd).abs() < 1e-3, "{h} vs {a}");
        }
    }
}

#[test]
fn state_round_trip_and_batch_scores_agree() {
    let (model, _) = fitted("1,0.5,0", Normalise::Zscore);
    let restored = HybridRecommender::from_state(&model.state()).unwrap();
    assert_eq!(restored.weights(), model.weights());
    let n = model.n_items();
    let users = [3u32, 0, 64];
    let mut batch = vec![0.0; users.len() * n];
    model.score_users(&users, &mut batch);
    let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
    for (row, &user) in batch.chunks_exact(n).zip(&users) {
        model.score_user(user, &mut a);
        restored.score_user(user, &mut b);
        assert_eq!(a, b);
        for (x, y) in row.iter().zip(&a) {
            assert!((x - y).abs() < 1e-4, "{x} vs {y}");
        }
    }
    // Someone folded in from three items of topic 0 gets the rest of topic 0 first.
    let top = model.recommend_history(&[(0, 1.0), (1, 1.0), (2, 1.0)], 5, &[0, 1, 2]);
    assert!(
        top.iter().all(|s| (s.item as usize) < ITEMS_PER_TOPIC),
        "{top:?}"
    );
}

#[test]
fn the_same_seed_gives_the_same_weights() {
    let (a, _) = fitted("learned", Normalise::Zscore);
    let (b, _) = fitted("learned", Normalise::Zscore);
    assert_eq!(a.tuning(), b.tuning());
}
