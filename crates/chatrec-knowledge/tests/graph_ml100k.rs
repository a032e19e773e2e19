//! The knowledge-graph recommender on the real MovieLens-100K with RecBole's Freebase graph.
//! Needs the data (never committed); run with
//!
//! ```text
//! CHATREC_ML100K_DIR=/path/to/ml-100k \
//!   cargo test -p chatrec-knowledge --test graph_ml100k -- --ignored --nocapture
//! ```
//!
//! Protocol as for the other models: per-user 80/20 random split (seed 42), full ranking
//! of all items excluding the user's training items, binary relevance of every test item.
//! Relation weights are learned on a validation split carved from the training part.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use chatrec_core::import::{load_path, ImportOptions};
use chatrec_knowledge::graph::{KgParams, KgRecommender, KnowledgeGraph};
use chatrec_models::eval::{evaluate_ranking, relevant_matrix, split, SplitSpec};
use chatrec_models::registry;
use chatrec_models::{NoProgress, Recommender, TrainSet};

fn data_dir() -> PathBuf {
    std::env::var_os("CHATREC_ML100K_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/ml-100k"))
        })
}

#[test]
#[ignore = "needs MovieLens-100K with its knowledge graph; set CHATREC_ML100K_DIR"]
fn kg_recommender_on_ml100k() {
    let dir = data_dir();
    let (dataset, _) = load_path(&dir, &ImportOptions::default()).expect("load ml-100k");
    let (graph, report) =
        KnowledgeGraph::load_dir(&dir, "ml-100k", &dataset.catalog).expect("load graph");
    println!("load report: {}", serde_json::to_string(&report).unwrap());
    assert_eq!(report.triples, 91_631);
    let graph = Arc::new(graph);

    let parts = split(&dataset, &SplitSpec::UserRatio { train_ratio: 0.8 }, 42).unwrap();
    let train = TrainSet::from_interactions(&dataset, &parts.train);
    let test = relevant_matrix(dataset.n_users(), dataset.n_items(), &parts.test, None).unwrap();

    let mut rows = Vec::new();
    for weights in ["uniform", "learned"] {
        let params = KgParams {
            weights: weights.into(),
            ..KgParams::default()
        };
        let mut model = KgRecommender::new(params, Arc::clone(&graph), 42);
        let started = Instant::now();
        model.fit(&train, &NoProgress).unwrap();
        let fit_s = started.elapsed().as_secs_f64();
        if let Some(outcome) = model.tune_outcome() {
            println!(
                "validation ndcg@10: uniform {:.4} -> learned {:.4} ({} trials)",
                outcome.uniform_ndcg, outcome.tuned_ndcg, outcome.trials
            );
            println!("learned weights: {}", outcome.weights);
            let mut ablation = outcome.ablation.clone();
            ablation.sort_by(|a, b| a.1.total_cmp(&b.1));
            for (relation, ndcg) in ablation {
                println!(
                    "  without {relation:<36} weight {:>4}: {ndcg:.4} ({:+.4})",
                    outcome.weights.get(&relation),
                    ndcg - outcome.tuned_ndcg
                );
            }
        }
        let r = evaluate_ranking(&model, &train, &test, &[10], &NoProgress).unwrap();
        rows.push((format!("kg weights={weights}"), r, fit_s));
    }
    for name in ["pop", "itemknn", "als"] {
        let mut model = registry::build(name, &[], 42).unwrap();
        let started = Instant::now();
        model.fit(&train, &NoProgress).unwrap();
        let fit_s = started.elapsed().as_secs_f64();
        let r = evaluate_ranking(model.as_ref(), &train, &test, &[10], &NoProgress).unwrap();
        rows.push((name.to_owned(), r, fit_s));
    }
    for (label, r, fit_s) in &rows {
        println!(
            "{label:<22} ndcg@10 {:.4}  recall@10 {:.4}  coverage@10 {:.3}  fit {fit_s:.2}s",
            r.metrics["ndcg@10"], r.metrics["recall@10"], r.coverage
        );
    }
    let kg = &rows[1].1;
    let popularity = &rows[2].1;
    assert!(kg.metrics["ndcg@10"] > 0.0);
    println!(
        "learned kg vs popularity ndcg@10: {:.4} vs {:.4}",
        kg.metrics["ndcg@10"], popularity.metrics["ndcg@10"]
    );
}

/// Configuration study on a validation split carved from the training part only.
#[test]
#[ignore = "needs MovieLens-100K with its knowledge graph; set CHATREC_ML100K_DIR"]
fn kg_configurations_on_ml100k_validation() {
    use chatrec_knowledge::graph::NeighboursOf;
    use chatrec_models::eval::validation_split;
    let dir = data_dir();
    let (dataset, _) = load_path(&dir, &ImportOptions::default()).expect("load ml-100k");
    let (graph, _) = KnowledgeGraph::load_dir(&dir, "ml-100k", &dataset.catalog).unwrap();
    let graph = Arc::new(graph);
    let parts = split(&dataset, &SplitSpec::UserRatio { train_ratio: 0.8 }, 42).unwrap();
    let val =
        validation_split(&parts.train, &SplitSpec::UserRatio { train_ratio: 0.8 }, 42).unwrap();
    let train = TrainSet::from_interactions(&dataset, &val.train);
    let test = relevant_matrix(dataset.n_users(), dataset.n_items(), &val.test, None).unwrap();
    for neighbours_of in [NeighboursOf::History, NeighboursOf::Candidate] {
        for neighbours in [20, 100, 400] {
            for shrink in [0.0, 1.0, 10.0] {
                let params = KgParams {
                    weights: "uniform".into(),
                    neighbours,
                    shrink,
                    neighbours_of,
                    ..KgParams::default()
                };
                let mut model = KgRecommender::new(params, Arc::clone(&graph), 42);
                model.fit(&train, &NoProgress).unwrap();
                let r = evaluate_ranking(&model, &train, &test, &[10], &NoProgress).unwrap();
                println!(
                    "{neighbours_of:?} k={neighbours:<4} shrink={shrink:<4} ndcg@10 {:.4} recall@10 {:.4} cov {:.3}",
                    r.metrics["ndcg@10"], r.metrics["recall@10"], r.coverage
                );
            }
        }
    }
}

#[test]
#[ignore = "needs MovieLens-100K with its knowledge graph; set CHATREC_ML100K_DIR"]
fn kg_neighbours_with_evidence_on_ml100k() {
    use chatrec_knowledge::graph::{KgSimilarity, RelationWeights};
    let dir = data_dir();
    let (dataset, _) = load_path(&dir, &ImportOptions::default()).expect("load ml-100k");
    let cat = &dataset.catalog;
    let (graph, _) = KnowledgeGraph::load_dir(&dir, "ml-100k", cat).unwrap();
    let graph = Arc::new(graph);
    let weights =
        RelationWeights::parse(&std::env::var("KG_WEIGHTS").unwrap_or_else(|_| "uniform".into()))
            .unwrap();
    let sim = KgSimilarity::new(Arc::clone(&graph), &weights, 0.0);
    for id in ["50", "1", "127", "174"] {
        let item = cat.item_index(id).unwrap();
        println!("{}:", cat.item(item).title);
        for (s, evidence) in sim.neighbours_with_evidence(item, 5) {
            let why: Vec<String> = evidence.iter().map(|e| e.describe(cat)).collect();
            println!(
                "  {:.3} {} — {}",
                s.score,
                cat.item(s.item).title,
                why.join("; ")
            );
        }
    }
}
