//! `chatrec eval-coldstart`, `chatrec add-item` and `chatrec eval-hybrid`: items known only
//! by their text, and the hybrid of collaborative, content and knowledge-graph scores.

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use chatrec_core::{Dataset, Item};
use chatrec_knowledge::coldstart::evaluation::{fit_best_als, MeanSd};
use chatrec_knowledge::coldstart::{
    evaluate_cold_items, summarise, ColdStartEvalOptions, ColdStartMap, ColdStartRun, MapOptions,
};
use chatrec_knowledge::dense::DenseMatrix;
use chatrec_knowledge::graph::KnowledgeGraph;
use chatrec_knowledge::hybrid::{HybridParams, HybridRecommender, HybridTuning, Normalise};
use chatrec_knowledge::item_text::item_text;
use chatrec_models::eval::runner::{evaluate_ranking, relevant_matrix};
use chatrec_models::eval::{split, SplitSpec};
use chatrec_models::registry::Task;
use chatrec_models::{Progress, Recommender, TrainSet};
use serde::Serialize;

use super::model::fit;
use crate::cli::{AddItemArgs, EvalColdStartArgs, EvalHybridArgs, NormaliseChoice};
use crate::embedding::{catalog_vectors, embedder};
use crate::output::write_file;
use crate::progress::Bars;

/// The split `chatrec eval` uses by default, so that `eval-hybrid` compares on the same one.
const EVAL_SPLIT: SplitSpec = SplitSpec::UserRatio { train_ratio: 0.8 };

fn graph_unless(
    no_graph: bool,
    data: &Path,
    dataset: &Dataset,
    quiet: bool,
) -> Result<Option<Arc<KnowledgeGraph>>> {
    if no_graph {
        return Ok(None);
    }
    let graph = super::knowledge::load_graph(data, dataset)?;
    if graph.is_none() && !quiet {
        eprintln!(
            "note: {} has no knowledge graph (.kg/.link); content only",
            data.display()
        );
    }
    Ok(graph)
}

fn mean_sd(m: &MeanSd) -> String {
    format!("{:.4} ± {:.4}", m.mean, m.sd)
}

pub fn eval_coldstart(args: &EvalColdStartArgs, quiet: bool) -> Result<()> {
    if args.seed.is_empty() {
        bail!("give at least one --seed");
    }
    let dataset = crate::data::load(&args.data, &Default::default(), quiet)?;
    let embedder = embedder(&args.embedding, &args.data)?;
    let text = catalog_vectors(
        embedder.as_ref(),
        &dataset.catalog,
        &args.embedding,
        &args.data,
        quiet,
    )?;
    let graph = graph_unless(args.no_graph, &args.data, &dataset, quiet)?;
    let bars = Bars::new(quiet);
    let mut runs: Vec<ColdStartRun> = Vec::with_capacity(args.seed.len());
    for &seed in &args.seed {
        let options = ColdStartEvalOptions {
            hide: args.hide,
            seed,
            k: args.k,
            ..ColdStartEvalOptions::default()
        };
        let run = evaluate_cold_items(&dataset, &text, graph.as_ref(), &options, &bars)
            .with_context(|| format!("cold-start run with seed {seed}"))?;
        let graph_note = match (run.kg_weight, &run.kg_search) {
            (Some(weight), Some(search)) => format!(
                "; with graph block weight {weight}: λ {} error {:.4}",
                search.lambda,
                search.error()
            ),
            _ => String::new(),
        };
        println!(
            "seed {seed}: {} items hidden, {} test interactions of {} users; text map λ {} \
             (held-out score error {:.4}, mean factors {:.4}){graph_note}",
            run.hidden_items,
            run.test_interactions,
            run.test_users,
            run.text_search.lambda,
            run.text_search.error(),
            run.text_search.mean_error,
        );
        runs.push(run);
    }
    let k = args.k;
    println!(
        "\ncold-start items on {}, {:.0}% of items hidden, {} seed(s), embedder {}; mean ± sd over seeds\n",
        args.data.display(),
        args.hide * 100.0,
        runs.len(),
        embedder.model_id()
    );
    println!(
        "| method | cold items Recall@{k} | cold items NDCG@{k} | all items Recall@{k} | all items NDCG@{k} |"
    );
    println!("|---|---|---|---|---|");
    for m in summarise(&runs) {
        println!(
            "| {} | {} | {} | {} | {} |",
            m.method,
            mean_sd(&m.cold_recall),
            mean_sd(&m.cold_ndcg),
            mean_sd(&m.all_recall),
            mean_sd(&m.all_ndcg)
        );
    }
    if let Some(path) = &args.json {
        write_file(path, &serde_json::to_string_pretty(&runs)?)?;
    }
    Ok(())
}

pub fn add_item(args: &AddItemArgs, quiet: bool) -> Result<()> {
    let dataset = crate::data::load(&args.data, &Default::default(), quiet)?;
    let catalog = &dataset.catalog;
    let embedder = embedder(&args.embedding, &args.data)?;
    let text = catalog_vectors(
        embedder.as_ref(),
        catalog,
        &args.embedding,
        &args.data,
        quiet,
    )?;
    let users: Vec<u32> = args
        .user
        .iter()
        .map(|id| {
            catalog
                .user_index(id)
                .with_context(|| format!("no user `{id}` in {}", args.data.display()))
        })
        .collect::<Result<_>>()?;
    let train = TrainSet::from_interactions(&dataset, &dataset.interactions);
    let bars = Bars::new(quiet);
    let als = fit_best_als(&train, &[], args.seed, &bars)?;
    let options = MapOptions {
        seed: args.seed,
        ..MapOptions::default()
    };
    let (map, search) = ColdStartMap::fit_to_als(&als, &text, &options)?;

    let item = Item {
        id: "new".into(),
        title: args.title.clone(),
        year: args.year,
        categories: args.genres.clone(),
        text: args.text.clone(),
    };
    let description = item_text(&item, &[]);
    let vector = embedder.embed_one(&description)?;
    let features = DenseMatrix::from_rows(vector.len(), &[vector])?;
    let model = map.append_items(&als, &features)?;
    let new = als.n_items() as u32;
    println!("new item: {description}");
    println!(
        "mapped to ALS factors by ridge regression on {} warm items' {} embeddings \
         (λ {}, held-out score error {:.4} against {:.4} for the mean item)",
        search.fitted_items + search.held_out_items,
        embedder.model_id(),
        search.lambda,
        search.error(),
        search.mean_error
    );

    let title = |i: u32| {
        if i == new {
            return format!("{} (new)", args.title);
        }
        let it = catalog.item(i);
        match it.year {
            Some(year) => format!("{} ({year})", it.title),
            None => it.title.clone(),
        }
    };
    println!("\nclosest catalog items in the collaborative space:");
    for (rank, s) in model.similar_items(new, args.n).iter().enumerate() {
        println!("{:>3}. {:<60} {:.3}", rank + 1, title(s.item), s.score);
    }

    // Rank of the new item among each user's unseen items (ties go to catalog items).
    let n_users = train.n_users();
    let all_users: Vec<u32> = (0..n_users as u32).collect();
    let n = model.n_items();
    let mut scores = vec![0.0f32; n_users * n];
    model.score_users(&all_users, &mut scores);
    let rank_of = |user: u32| -> (usize, usize) {
        let row = &scores[user as usize * n..(user as usize + 1) * n];
        let seen = train.matrix.row_indices(user as usize);
        let unseen = n - seen.len();
        let above = (0..n as u32 - 1)
            .filter(|i| seen.binary_search(i).is_err() && row[*i as usize] >= row[new as usize])
            .count();
        (above + 1, unseen)
    };
    if users.is_empty() {
        let mut ranked: Vec<(u32, usize, usize)> = all_users
            .iter()
            .filter(|&&u| train.matrix.row_nnz(u as usize) > 0)
            .map(|&u| {
                let (rank, of) = rank_of(u);
                (u, rank, of)
            })
            .collect();
        ranked.sort_by_key(|&(u, rank, _)| (rank, u));
        let mut ranks: Vec<usize> = ranked.iter().map(|r| r.1).collect();
        ranks.sort_unstable();
        let top10 = ranks.iter().filter(|&&r| r <= 10).count();
        println!(
            "\nit enters the top 10 of {top10} of {} users (median rank {}); the users it suits best:",
            ranks.len(),
            ranks.get(ranks.len() / 2).copied().unwrap_or(0)
        );
        // The user's own items nearest to the new one say why it suits them.
        let neighbours: Vec<u32> = model.similar_items(new, n).iter().map(|s| s.item).collect();
        for &(user, rank, of) in ranked.iter().take(args.n) {
            let seen = train.matrix.row_indices(user as usize);
            let liked: Vec<String> = neighbours
                .iter()
                .filter(|i| seen.binary_search(i).is_ok())
                .take(3)
                .map(|&i| title(i))
                .collect();
            println!(
                "  user {:<6} rank {rank:>4} of {of}  (has {})",
                catalog.user(user).id,
                liked.join("; ")
            );
        }
        return Ok(());
    }
    for user in users {
        let (rank, of) = rank_of(user);
        println!(
            "\nuser {}: the new item ranks {rank} of {of} unseen items; top {}:",
            catalog.user(user).id,
            args.n
        );
        let list = model.recommend(user, args.n, train.matrix.row_indices(user as usize));
        for (pos, s) in list.iter().enumerate() {
            println!("{:>3}. {:<60} {:.3}", pos + 1, title(s.item), s.score);
        }
    }
    Ok(())
}

/// One seed of `eval-hybrid`.
#[derive(Serialize)]
struct HybridRun {
    seed: u64,
    weights: String,
    tuning: Option<HybridTuning>,
    best_ndcg: f64,
    best_recall: f64,
    hybrid_ndcg: f64,
    hybrid_recall: f64,
    best_fit_seconds: f64,
    hybrid_fit_seconds: f64,
}

pub fn eval_hybrid(args: &EvalHybridArgs, quiet: bool) -> Result<()> {
    if args.seed.is_empty() {
        bail!("give at least one --seed");
    }
    let dataset = crate::data::load(&args.data, &Default::default(), quiet)?;
    let embedder = embedder(&args.embedding, &args.data)?;
    let text = Arc::new(catalog_vectors(
        embedder.as_ref(),
        &dataset.catalog,
        &args.embedding,
        &args.data,
        quiet,
    )?);
    let graph = graph_unless(args.no_graph, &args.data, &dataset, quiet)?;
    let params = HybridParams {
        weights: args.weights.clone(),
        normalise: match args.normalise {
            NormaliseChoice::Zscore => Normalise::Zscore,
            NormaliseChoice::Rrf => Normalise::Rrf,
        },
        ..HybridParams::default()
    };
    let bars = Bars::new(quiet);
    let k = 10;
    let metric = |report: &chatrec_models::eval::RankingReport, name: &str| {
        report
            .metrics
            .get(&format!("{name}@{k}"))
            .copied()
            .unwrap_or(f64::NAN)
    };
    let mut runs = Vec::with_capacity(args.seed.len());
    for &seed in &args.seed {
        // Exactly what `chatrec eval --model best --seed S` splits and fits.
        let parts = split(&dataset, &EVAL_SPLIT, seed).context("cannot split the data")?;
        let train = TrainSet::from_interactions(&dataset, &parts.train);
        let relevant = relevant_matrix(dataset.n_users(), dataset.n_items(), &parts.test, None)?;
        let best = fit("best", &[], seed, Task::Ranking, &train, &bars)?;
        let best_report = evaluate_ranking(best.model.as_ref(), &train, &relevant, &[k], &bars)?;

        let mut hybrid =
            HybridRecommender::new(params.clone(), Arc::clone(&text), graph.clone(), seed);
        let started = std::time::Instant::now();
        hybrid.fit(&train, &bars).context("cannot fit the hybrid")?;
        let hybrid_fit_seconds = started.elapsed().as_secs_f64();
        bars.finish();
        let hybrid_report = evaluate_ranking(&hybrid, &train, &relevant, &[k], &bars)?;
        let weights = hybrid
            .weights()
            .map_or_else(|| "-".to_owned(), |w| w.to_string());
        let run = HybridRun {
            seed,
            weights,
            tuning: hybrid.tuning().cloned(),
            best_ndcg: metric(&best_report, "ndcg"),
            best_recall: metric(&best_report, "recall"),
            hybrid_ndcg: metric(&hybrid_report, "ndcg"),
            hybrid_recall: metric(&hybrid_report, "recall"),
            best_fit_seconds: best.fit_seconds,
            hybrid_fit_seconds,
        };
        let validation = match &run.tuning {
            Some(t) => format!(
                "validation NDCG@{k}: {} alone {:.4}, content alone {:.4}{}, highest {:.4} at \
                 {}, chosen (one-SE rule) {:.4}; ",
                best.name,
                t.collaborative_ndcg,
                t.content_ndcg,
                t.knowledge_ndcg
                    .map_or_else(String::new, |g| format!(", graph alone {g:.4}")),
                t.highest_ndcg,
                t.highest_weights,
                t.validation_ndcg
            ),
            None => String::new(),
        };
        println!(
            "seed {seed}: weights (collaborative,content,graph) {}; {validation}test NDCG@{k} \
             {} {:.4} / hybrid {:.4}, Recall@{k} {:.4} / {:.4}",
            run.weights,
            best.name,
            run.best_ndcg,
            run.hybrid_ndcg,
            run.best_recall,
            run.hybrid_recall
        );
        runs.push(run);
    }
    let stat = |f: fn(&HybridRun) -> f64| MeanSd::of(&runs.iter().map(f).collect::<Vec<_>>());
    println!(
        "\nhybrid vs best on {}, split {EVAL_SPLIT}, {} seed(s), embedder {}, normalise {:?}, \
         weights {}; mean ± sd over seeds\n",
        args.data.display(),
        runs.len(),
        embedder.model_id(),
        params.normalise,
        args.weights
    );
    println!("| model | NDCG@{k} | Recall@{k} |\n|---|---|---|");
    println!(
        "| best | {} | {} |",
        mean_sd(&stat(|r| r.best_ndcg)),
        mean_sd(&stat(|r| r.best_recall))
    );
    println!(
        "| hybrid | {} | {} |",
        mean_sd(&stat(|r| r.hybrid_ndcg)),
        mean_sd(&stat(|r| r.hybrid_recall))
    );
    let wins = runs.iter().filter(|r| r.hybrid_ndcg > r.best_ndcg).count();
    let diff = stat(|r| r.hybrid_ndcg - r.best_ndcg);
    println!(
        "\nhybrid − best, NDCG@{k}: {:+.4} ± {:.4}; the hybrid is higher in {wins} of {} seeds",
        diff.mean,
        diff.sd,
        runs.len()
    );
    if let Some(path) = &args.json {
        write_file(path, &serde_json::to_string_pretty(&runs)?)?;
    }
    Ok(())
}
