//! Every registered model survives a save to a model file and a load, scoring exactly as
//! before; files from elsewhere are refused with a reason.

use chatrec_core::synthetic::planted_blocks;
use chatrec_core::IdMap;
use chatrec_models::registry::{self, MODELS};
use chatrec_models::{NoProgress, TrainSet, TrainedModel};

fn ids(prefix: &str, n: usize) -> IdMap {
    IdMap::from((0..n).map(|i| format!("{prefix}{i}")).collect::<Vec<_>>())
}

/// Planted blocks with ratings 1..=5 so that rating models have something to fit.
fn train_set() -> TrainSet {
    let matrix = planted_blocks(30, 24, 2, 0.5, 11);
    let rated = matrix.filter(|_, _, _| true);
    let with_ratings = chatrec_core::CsrMatrix::from_triplets(
        rated.n_rows(),
        rated.n_cols(),
        &(0..rated.n_rows())
            .flat_map(|u| {
                rated
                    .row_indices(u)
                    .iter()
                    .map(move |&i| (u as u32, i, 1.0 + ((u as u32 + i) % 5) as f32))
            })
            .collect::<Vec<_>>(),
    );
    TrainSet::from_matrix(with_ratings)
}

#[test]
fn every_model_round_trips_through_a_file() {
    let train = train_set();
    let dir = tempfile::tempdir().unwrap();
    for info in MODELS {
        let mut model = registry::build(info.name, &[], 5).unwrap();
        model.fit(&train, &NoProgress).unwrap();
        let trained = TrainedModel {
            model,
            users: ids("u", train.n_users()),
            items: ids("i", train.n_items()),
        };
        let path = dir.path().join(format!("{}.safetensors", info.name));
        trained.save(&path).unwrap();
        let loaded = TrainedModel::load(&path).unwrap_or_else(|e| panic!("{}: {e}", info.name));
        assert_eq!(loaded.model.name(), info.name);
        assert_eq!(loaded.items.id(3), "i3");
        assert_eq!(loaded.users.get("u7"), Some(7));
        let n = train.n_items();
        let (mut before, mut after) = (vec![0.0; n], vec![0.0; n]);
        for user in [0u32, 13, 29] {
            trained.model.score_user(user, &mut before);
            loaded.model.score_user(user, &mut after);
            assert_eq!(before, after, "{} user {user}", info.name);
        }
        trained
            .model
            .score_history(&[(2, 1.0), (5, 1.0)], &mut before);
        loaded
            .model
            .score_history(&[(2, 1.0), (5, 1.0)], &mut after);
        assert_eq!(before, after, "{} fold-in", info.name);
        assert_eq!(
            trained.model.similar_items(4, 5),
            loaded.model.similar_items(4, 5),
            "{} similar items",
            info.name
        );
        if let (Some(a), Some(b)) = (
            trained.model.as_rating_predictor(),
            loaded.model.as_rating_predictor(),
        ) {
            assert_eq!(a.predict(Some(1), Some(2)), b.predict(Some(1), Some(2)));
            assert_eq!(a.predict(None, Some(2)), b.predict(None, Some(2)));
        }
    }
}

#[test]
fn same_seed_same_model_for_every_model() {
    let train = train_set();
    for info in MODELS {
        let fit = || {
            let mut model = registry::build(info.name, &[], 21).unwrap();
            model.fit(&train, &NoProgress).unwrap();
            let mut scores = vec![0.0; train.n_items()];
            model.score_user(3, &mut scores);
            scores
        };
        assert_eq!(fit(), fit(), "{} is not deterministic", info.name);
    }
}

#[test]
fn foreign_and_damaged_files_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let not_safetensors = dir.path().join("junk.safetensors");
    std::fs::write(&not_safetensors, b"hello").unwrap();
    let err = TrainedModel::load(&not_safetensors)
        .err()
        .expect("junk is refused")
        .to_string();
    assert!(err.contains("junk.safetensors"), "{err}");

    let missing = dir.path().join("absent.safetensors");
    assert!(TrainedModel::load(&missing).is_err());

    // A valid safetensors file without chatrec metadata.
    let bytes = safetensors::serialize(
        vec![(
            "x",
            safetensors::tensor::TensorView::new(
                safetensors::Dtype::F32,
                vec![1],
                &[0, 0, 128, 63],
            )
            .unwrap(),
        )],
        &None,
    )
    .unwrap();
    let plain = dir.path().join("plain.safetensors");
    std::fs::write(&plain, bytes).unwrap();
    let err = TrainedModel::load(&plain)
        .err()
        .expect("plain file is refused")
        .to_string();
    assert!(err.contains("metadata"), "{err}");
}
