//! Cold-start items on a small synthetic catalog built here: two tastes (space adventures
//! and romances) whose item texts share words within a taste, and users who each like
//! only one taste.

use std::sync::Arc;

use chatrec_core::{Catalog, CsrMatrix, Dataset, Interaction, Item};
use chatrec_knowledge::coldstart::{
    evaluate_cold_items, hide_items, warm_items, ColdStartEvalOptions, ColdStartMap, MapOptions,
};
use chatrec_knowledge::dense::DenseMatrix;
use chatrec_knowledge::embed::{catalog_texts, HashingEmbedder, TextEmbedder};
use chatrec_knowledge::item_text::item_text;
use chatrec_models::algorithms::als::{Als, AlsParams};
use chatrec_models::{NoProgress, Recommender, TrainSet};
use rand::seq::index::sample;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

const SPACE: [&str; 8] = [
    "space", "stars", "rocket", "galaxy", "alien", "planet", "robot", "orbit",
];
const ROMANCE: [&str; 8] = [
    "love", "romance", "paris", "wedding", "kiss", "heart", "dance", "letters",
];
const ITEMS_PER_TASTE: usize = 30;
const USERS_PER_TASTE: usize = 40;

fn item(id: usize, words: &[&str; 8]) -> Item {
    let pick = |j: usize| words[(id * 3 + j * 5) % 8];
    Item {
        id: format!("i{id}"),
        title: format!("{} {}", pick(0), pick(1)),
        year: None,
        categories: Vec::new(),
        text: format!("A story of {} and {}", pick(2), pick(3)),
    }
}

/// Items `0..30` are space, `30..60` romance; user `u` likes 12 random items of taste
/// `u % 2`.
fn dataset() -> Dataset {
    let mut catalog = Catalog::new();
    for id in 0..2 * ITEMS_PER_TASTE {
        let words = if id < ITEMS_PER_TASTE {
            &SPACE
        } else {
            &ROMANCE
        };
        catalog.upsert_item(item(id, words));
    }
    let mut interactions = Vec::new();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for u in 0..2 * USERS_PER_TASTE {
        let user = catalog.user_index_or_insert(&format!("u{u}"));
        let base = (u % 2) * ITEMS_PER_TASTE;
        for item in sample(&mut rng, ITEMS_PER_TASTE, 12) {
            interactions.push(Interaction {
                user,
                item: (base + item) as u32,
                value: 1.0,
                timestamp: 0,
            });
        }
    }
    Dataset {
        catalog,
        interactions,
        has_ratings: false,
        has_timestamps: false,
    }
}

fn embeddings(dataset: &Dataset, embedder: &dyn TextEmbedder) -> DenseMatrix {
    let texts = catalog_texts(&dataset.catalog);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    embedder.embed(&refs).unwrap()
}

fn fitted_als(train: &TrainSet) -> Als {
    let params = AlsParams {
        factors: 8,
        regularization: 1.0,
        ..AlsParams::default()
    };
    let mut als = Als::new(params, 7);
    als.fit(train, &NoProgress).unwrap();
    als
}

/// 1-based rank of `item` among the items `user` does not have.
fn rank_for(model: &Als, train: &TrainSet, user: usize, item: u32) -> usize {
    let list = model.recommend(user as u32, model.n_items(), train.matrix.row_indices(user));
    list.iter().position(|s| s.item == item).unwrap() + 1
}

#[test]
fn a_new_item_reaches_users_who_like_items_with_similar_text_and_not_the_others() {
    let data = dataset();
    let train = TrainSet::from_matrix(data.matrix());
    let als = fitted_als(&train);
    let embedder = HashingEmbedder::new(256);
    let features = embeddings(&data, &embedder);
    let (map, search) = ColdStartMap::fit_to_als(&als, &features, &MapOptions::default()).unwrap();
    assert!(
        search.error() < search.mean_error,
        "text must predict factors better than the mean: {search:?}"
    );

    let new_item = Item {
        id: "new".into(),
        title: "Rocket galaxy".into(),
        year: None,
        categories: Vec::new(),
        text: "A story of alien stars and a planet in orbit".into(),
    };
    let new_features = DenseMatrix::from_rows(
        embedder.dim(),
        &[embedder.embed_one(&item_text(&new_item, &[])).unwrap()],
    )
    .unwrap();
    let extended = map.append_items(&als, &new_features).unwrap();
    let new_index = als.n_items() as u32;
    assert_eq!(extended.n_items(), als.n_items() + 1);

    // Each user has 18 unseen items of their own taste and 30 of the other, 49 with the
    // new one: space fans get it in their top quarter, romance fans below every romance.
    for user in 0..2 * USERS_PER_TASTE {
        let rank = rank_for(&extended, &train, user, new_index);
        if user % 2 == 0 {
            assert!(rank <= 12, "space fan {user} ranks the space item {rank}");
        } else {
            assert!(rank > 18, "romance fan {user} ranks the space item {rank}");
        }
    }
    // A user folded in from space items also gets it early.
    let history: Vec<(u32, f32)> = (0..5).map(|i| (i, 1.0)).collect();
    let folded = extended.recommend_history(&history, 20, &[0, 1, 2, 3, 4]);
    assert!(folded.iter().any(|s| s.item == new_index));
}

#[test]
fn hidden_items_are_ranked_from_their_text_better_than_at_random() {
    let data = dataset();
    let embedder = HashingEmbedder::new(256);
    let text = embeddings(&data, &embedder);
    let options = ColdStartEvalOptions {
        hide: 0.2,
        seed: 3,
        k: 5,
        als_params: vec![
            ("factors".into(), "8".into()),
            ("regularization".into(), "1".into()),
        ],
        ..ColdStartEvalOptions::default()
    };
    let run = evaluate_cold_items(&data, &text, None, &options, &NoProgress).unwrap();
    assert_eq!(run.hidden_items, 12);
    let figure = |method: &str| {
        run.methods
            .iter()
            .find(|m| m.method == method)
            .unwrap_or_else(|| panic!("no {method} in {:?}", run.methods))
            .clone()
    };
    let mapped = figure("mapped (text)");
    let content = figure("content");
    let random = figure("random");
    assert!(
        mapped.cold_ndcg > random.cold_ndcg + 0.2,
        "{mapped:?} vs {random:?}"
    );
    assert!(
        content.cold_ndcg > random.cold_ndcg + 0.2,
        "{content:?} vs {random:?}"
    );
    // Popularity knows nothing of hidden items: among them its order is random.
    let popularity = figure("popularity");
    assert!(popularity.cold_ndcg < mapped.cold_ndcg);
    assert_eq!(
        run,
        evaluate_cold_items(&data, &text, None, &options, &NoProgress).unwrap(),
        "same seed, same run"
    );
}

#[test]
fn hiding_items_moves_all_their_interactions_to_test() {
    let data = dataset();
    let hidden = hide_items(&data.interactions, 0.25, 9).unwrap();
    assert_eq!(hidden.items.len(), 15);
    assert_eq!(
        hidden.train.len() + hidden.test.len(),
        data.interactions.len()
    );
    assert!(hidden
        .test
        .iter()
        .all(|i| hidden.items.binary_search(&i.item).is_ok()));
    assert!(hidden
        .train
        .iter()
        .all(|i| hidden.items.binary_search(&i.item).is_err()));
    assert_ne!(
        hidden.items,
        hide_items(&data.interactions, 0.25, 10).unwrap().items
    );
    assert!(hide_items(&data.interactions, 1.0, 9).is_err());
}

#[test]
fn items_without_interactions_are_not_warm_and_can_be_filled_in() {
    let data = dataset();
    // Item 59 is left out of training.
    let kept: Vec<(u32, u32, f32)> = data
        .interactions
        .iter()
        .filter(|i| i.item != 59)
        .map(|i| (i.user, i.item, 1.0))
        .collect();
    let train = TrainSet::from_matrix(CsrMatrix::from_triplets(
        data.n_users(),
        data.n_items(),
        &kept,
    ));
    let als = fitted_als(&train);
    assert!(!warm_items(&als).contains(&59));
    let features = embeddings(&data, &HashingEmbedder::new(128));
    let (map, _) = ColdStartMap::fit_to_als(&als, &features, &MapOptions::default()).unwrap();
    let row = DenseMatrix::from_rows(128, &[features.row(59)]).unwrap();
    let filled = map.fill_items(&als, &[59], &row).unwrap();
    assert_eq!(filled.n_items(), als.n_items());
    // Item 59 is a romance: romance fans now rank it above space fans.
    let romance = rank_for(&filled, &train, 1, 59);
    let space = rank_for(&filled, &train, 0, 59);
    assert!(romance < space, "romance fan {romance}, space fan {space}");
    assert!(map.fill_items(&als, &[99], &row).is_err());
    let wrong = Arc::new(DenseMatrix::zeros(1, 3));
    assert!(map.append_items(&als, &wrong).is_err());
}
