//! Loaders never panic on arbitrary bytes: whatever the content, they return Ok or Err.

use std::path::Path;

use chatrec_core::import::{
    load_delimited, load_json_lines, load_movielens_100k, load_movielens_latest, load_path,
    load_recbole, ImportOptions,
};
use proptest::prelude::*;

/// Bytes that are mostly the separators and digits the formats care about, so that many
/// cases get past the header and exercise the row parsers, plus arbitrary bytes.
fn content() -> impl Strategy<Value = Vec<u8>> {
    let structured = prop::collection::vec(
        prop::sample::select(b"0123456789,\t|;\n\r\"{}:.-e abNu_id".to_vec()),
        0..300,
    );
    let raw = prop::collection::vec(any::<u8>(), 0..300);
    prop_oneof![structured, raw]
}

fn options(strict: bool, min_rating: Option<f32>) -> ImportOptions {
    ImportOptions {
        strict,
        min_rating,
        mapping: None,
    }
}

fn check_dataset_invariants(
    result: Result<
        (chatrec_core::Dataset, chatrec_core::import::ImportReport),
        chatrec_core::import::ImportError,
    >,
) {
    if let Ok((d, report)) = result {
        assert_eq!(d.interactions.len(), report.interactions);
        assert!(!d.interactions.is_empty());
        for i in &d.interactions {
            assert!((i.user as usize) < d.n_users());
            assert!((i.item as usize) < d.n_items());
            assert!(i.value.is_finite());
        }
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn generic_loaders_never_panic(bytes in content(), strict in any::<bool>()) {
        let tmp = tempfile::tempdir().unwrap();
        for name in ["x.csv", "x.tsv", "x.jsonl"] {
            write(tmp.path(), name, &bytes);
        }
        let opts = options(strict, None);
        check_dataset_invariants(load_delimited(&tmp.path().join("x.csv"), None, &opts));
        check_dataset_invariants(load_delimited(&tmp.path().join("x.tsv"), Some(b'\t'), &opts));
        check_dataset_invariants(load_json_lines(&tmp.path().join("x.jsonl"), &opts));
        check_dataset_invariants(load_path(&tmp.path().join("x.csv"), &options(strict, Some(3.0))));
    }

    #[test]
    fn recbole_loader_never_panics(inter in content(), item in content(), user in content()) {
        let tmp = tempfile::tempdir().unwrap();
        let mut header_inter = b"user_id:token\titem_id:token\trating:float\n".to_vec();
        header_inter.extend_from_slice(&inter);
        write(tmp.path(), "a.inter", &header_inter);
        write(tmp.path(), "b.inter", &inter);
        write(tmp.path(), "b.item", &item);
        write(tmp.path(), "b.user", &user);
        check_dataset_invariants(load_recbole(tmp.path(), "a", &options(false, None)));
        check_dataset_invariants(load_recbole(tmp.path(), "b", &options(false, None)));
        check_dataset_invariants(load_recbole(tmp.path(), "b", &options(true, None)));
    }

    #[test]
    fn movielens_loaders_never_panic(data in content(), items in content(), users in content(), genres in content()) {
        let native = tempfile::tempdir().unwrap();
        write(native.path(), "u.data", &data);
        write(native.path(), "u.item", &items);
        write(native.path(), "u.user", &users);
        write(native.path(), "u.genre", &genres);
        check_dataset_invariants(load_movielens_100k(native.path(), &options(false, None)));
        std::fs::remove_file(native.path().join("u.genre")).unwrap();
        check_dataset_invariants(load_movielens_100k(native.path(), &options(false, None)));

        let latest = tempfile::tempdir().unwrap();
        let mut ratings = b"userId,movieId,rating,timestamp\n".to_vec();
        ratings.extend_from_slice(&data);
        write(latest.path(), "ratings.csv", &ratings);
        write(latest.path(), "movies.csv", &items);
        write(latest.path(), "tags.csv", &users);
        check_dataset_invariants(load_movielens_latest(latest.path(), &options(false, Some(1.0))));
        check_dataset_invariants(load_path(latest.path(), &options(true, None)));
    }
}
