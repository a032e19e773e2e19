//! all-MiniLM-L6-v2 in Rust against sentence-transformers: the reference vectors in
//! `tests/data/minilm_reference.json` come from `bench/embeddings/make_reference.py`.
//!
//! The model is looked up in `CHATREC_MINILM_DIR`, else `<workspace>/data/models/minilm`
//! (`chatrec models fetch minilm`). Without it these tests print a skip line and pass,
//! unless `CHATREC_REQUIRE_MODELS=1` (as in CI, which fetches the model first).

use std::path::{Path, PathBuf};

use chatrec_knowledge::dense::{cosine, dot};
use chatrec_knowledge::embed::{
    embed_catalog_detailed, EmbedError, EmbeddingCache, LazyMiniLm, MiniLm, TextEmbedder,
};
use chatrec_models::NoProgress;
use serde::Deserialize;

const MIN_COSINE: f32 = 0.9999;

#[derive(Deserialize)]
struct Reference {
    dim: usize,
    max_seq_length: usize,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    text: String,
    tokens: usize,
    vector: Vec<f32>,
}

fn reference() -> Reference {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/minilm_reference.json");
    let text = std::fs::read_to_string(&path).expect("the reference file is in the repository");
    serde_json::from_str(&text).expect("the reference file is valid JSON")
}

/// The model directory, or `None` (after printing why) when the test should be skipped.
fn model_dir(test: &str) -> Option<PathBuf> {
    let dir = match std::env::var_os("CHATREC_MINILM_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/models/minilm"),
    };
    match chatrec_knowledge::embed::minilm_model_id(&dir) {
        Ok(_) => Some(dir),
        Err(e) => {
            if std::env::var("CHATREC_REQUIRE_MODELS").as_deref() == Ok("1") {
                panic!("CHATREC_REQUIRE_MODELS=1 but the model is unavailable: {e}");
            }
            eprintln!(
                "skipping {test}: all-MiniLM-L6-v2 not found ({e}); run `chatrec models fetch \
                 minilm` or set CHATREC_MINILM_DIR (CHATREC_REQUIRE_MODELS=1 makes this a failure)"
            );
            None
        }
    }
}

#[test]
fn vectors_match_sentence_transformers_on_the_reference_sentences() {
    let Some(dir) = model_dir("vectors_match_sentence_transformers_on_the_reference_sentences")
    else {
        return;
    };
    let reference = reference();
    assert_eq!(reference.max_seq_length, 256);
    let model = MiniLm::load(&dir).unwrap();
    assert_eq!(model.model_id(), "all-MiniLM-L6-v2@53aa5117");
    assert_eq!(model.dim(), reference.dim);

    let texts: Vec<&str> = reference.cases.iter().map(|c| c.text.as_str()).collect();
    // Small batches so that several batches, padding and the length sort are exercised.
    let batched = model.with_batch_size(4);
    let together = batched.embed(&texts).unwrap();
    let mut worst = f32::INFINITY;
    for (i, case) in reference.cases.iter().enumerate() {
        assert_eq!(
            batched.token_ids(&case.text).unwrap().len(),
            case.tokens,
            "token count of case {i} ({:?})",
            truncate(&case.text)
        );
        let alone = batched.embed_one(&case.text).unwrap();
        for (how, got) in [("in a batch", together.row(i)), ("alone", &alone[..])] {
            let c = cosine(got, &case.vector);
            worst = worst.min(c);
            assert!(
                c >= MIN_COSINE,
                "case {i} {how} ({:?}): cosine {c} < {MIN_COSINE}",
                truncate(&case.text)
            );
            assert!(
                (dot(got, got) - 1.0).abs() < 1e-4,
                "case {i} is not unit length"
            );
        }
    }
    eprintln!(
        "all-MiniLM-L6-v2: min cosine against sentence-transformers over {} reference sentences: {worst:.7} (1 - min = {:.1e})",
        reference.cases.len(),
        1.0 - worst
    );
}

fn truncate(text: &str) -> String {
    text.chars().take(40).collect()
}

#[test]
fn a_cached_catalog_is_embedded_again_without_loading_the_model() {
    let Some(dir) = model_dir("a_cached_catalog_is_embedded_again_without_loading_the_model")
    else {
        return;
    };
    let texts: Vec<String> = reference()
        .cases
        .iter()
        .take(6)
        .map(|c| c.text.clone())
        .collect();
    let cache_dir = tempfile::tempdir().unwrap();

    let first = LazyMiniLm::new(&dir).unwrap();
    assert!(!first.is_loaded());
    let cache = EmbeddingCache::new(cache_dir.path());
    let a = embed_catalog_detailed(&first, &texts, Some(&cache), &NoProgress).unwrap();
    assert!(first.is_loaded());
    assert_eq!(a.embedded, 6);

    let second = LazyMiniLm::new(&dir).unwrap();
    let reopened = EmbeddingCache::new(cache_dir.path());
    let b = embed_catalog_detailed(&second, &texts, Some(&reopened), &NoProgress).unwrap();
    assert!(
        !second.is_loaded(),
        "every text was cached; the model must not be loaded"
    );
    assert_eq!((b.cached, b.embedded), (6, 0));
    assert_eq!(a.vectors, b.vectors);
}

#[test]
fn a_missing_model_names_the_directory_and_the_fix() {
    let empty = tempfile::tempdir().unwrap();
    let err = MiniLm::load(empty.path()).unwrap_err();
    assert!(matches!(err, EmbedError::ModelMissing { .. }));
    let message = err.to_string();
    assert!(
        message.contains(&empty.path().display().to_string()),
        "{message}"
    );
    assert!(message.contains("chatrec models fetch minilm"), "{message}");
}
