//! `chatrec eval`, `chatrec compare`, `chatrec tune`.

use anyhow::{bail, Context, Result};
use chatrec_core::Dataset;
use chatrec_models::eval::report::{
    compare as markdown_table, rating_text, svg_bar_chart, text_table,
};
use chatrec_models::eval::runner::{
    evaluate_ranking, evaluate_rating, rating_cases, relevant_matrix, RankingReport, RatingReport,
};
use chatrec_models::eval::tune::{search, SearchSpace, Setting, Strategy};
use chatrec_models::eval::{split, validation_split, Split, SplitSpec};
use chatrec_models::registry::{self, Task};
use chatrec_models::{Progress, TrainSet};
use serde::Serialize;

use super::model::{describe, fit, parse_pairs};
use crate::cli::{CompareArgs, EvalArgs, ProtocolArgs, TuneArgs};
use crate::output::write_file;
use crate::progress::Bars;

/// A data set with its train/test split, ready for evaluation.
struct Prepared {
    dataset: Dataset,
    split: Split,
}

/// Loads the data and splits it (or reads an external train/test pair).
fn prepare(protocol: &ProtocolArgs, seed: u64, quiet: bool) -> Result<Prepared> {
    let spec: SplitSpec = protocol.split.parse().map_err(anyhow::Error::msg)?;
    if let SplitSpec::External { train, test } = &spec {
        return external(train, test, protocol, quiet);
    }
    let dataset = crate::data::load(&protocol.data, &protocol.import, quiet)?;
    let split = split(&dataset, &spec, seed).context("cannot split the data")?;
    Ok(Prepared { dataset, split })
}

/// Joins external train and test files into one id space: test users and items that the
/// training file lacks are added, so the evaluation counts them as misses rather than
/// silently dropping them.
fn external(
    train_path: &std::path::Path,
    test_path: &std::path::Path,
    protocol: &ProtocolArgs,
    quiet: bool,
) -> Result<Prepared> {
    let mut dataset = crate::data::load(train_path, &protocol.import, quiet)?;
    let test_data = crate::data::load(test_path, &protocol.import, quiet)?;
    let train = dataset.interactions.clone();
    let mut test = Vec::with_capacity(test_data.interactions.len());
    for row in &test_data.interactions {
        let mut mapped = *row;
        mapped.user = dataset
            .catalog
            .user_index_or_insert(test_data.catalog.user_ids().id(row.user));
        mapped.item = dataset
            .catalog
            .item_index_or_insert(test_data.catalog.item_ids().id(row.item));
        test.push(mapped);
    }
    dataset.interactions.extend_from_slice(&test);
    dataset.has_ratings &= test_data.has_ratings;
    dataset.has_timestamps &= test_data.has_timestamps;
    Ok(Prepared {
        dataset,
        split: Split { train, test },
    })
}

/// What `chatrec eval --json` writes: the ranking report, plus RMSE/MAE for rating models.
#[derive(Serialize)]
struct EvalOutput {
    #[serde(flatten)]
    ranking: RankingReport,
    params: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rating: Option<RatingReport>,
}

/// Fits one model on the split's training part and evaluates it on its test part.
fn evaluate_one(
    prepared: &Prepared,
    protocol: &ProtocolArgs,
    name: &str,
    params: &[(String, String)],
    seed: u64,
    quiet: bool,
) -> Result<EvalOutput> {
    let Prepared { dataset, split } = prepared;
    let train = TrainSet::from_interactions(dataset, &split.train);
    let bars = Bars::new(quiet);
    let fitted = fit(name, params, seed, Task::Ranking, &train, &bars)?;
    let relevant = relevant_matrix(
        dataset.n_users(),
        dataset.n_items(),
        &split.test,
        protocol.relevant_min_rating,
    )?;
    let mut ranking =
        evaluate_ranking(fitted.model.as_ref(), &train, &relevant, &protocol.k, &bars)?;
    bars.finish();
    ranking.model = fitted.name.clone();
    ranking.fit_seconds = Some(fitted.fit_seconds);
    let rating = match fitted.model.as_rating_predictor() {
        Some(predictor) if dataset.has_ratings => Some(evaluate_rating(
            predictor,
            &rating_cases(&train, &split.test),
        )?),
        _ => None,
    };
    Ok(EvalOutput {
        ranking,
        params: fitted.params,
        rating,
    })
}

pub fn eval(args: &EvalArgs, quiet: bool) -> Result<()> {
    let prepared = prepare(&args.protocol, args.model.seed, quiet)?;
    let params = parse_pairs(&args.model.params)?;
    let output = evaluate_one(
        &prepared,
        &args.protocol,
        &args.model.model,
        &params,
        args.model.seed,
        quiet,
    )?;
    println!(
        "{} on {} ({} train / {} test interactions, split {}, seed {})",
        describe(&output.ranking.model, &output.params),
        args.protocol.data.display(),
        prepared.split.train.len(),
        prepared.split.test.len(),
        args.protocol.split,
        args.model.seed
    );
    println!("{}", text_table(&output.ranking));
    if let Some(rating) = &output.rating {
        println!("{}", rating_text(&output.ranking.model, rating));
    }
    let llm_rerank = if args.llm.enabled() {
        let report =
            super::eval_llm::rerank_eval(args, &prepared.dataset, &prepared.split, &params, quiet)?;
        println!("{}", super::eval_llm::text(&report));
        Some(report)
    } else {
        None
    };
    if let Some(path) = &args.json {
        let mut json = serde_json::to_value(&output)?;
        if let Some(report) = &llm_rerank {
            json["llm_rerank"] = serde_json::to_value(report)?;
        }
        write_file(path, &serde_json::to_string_pretty(&json)?)?;
    }
    Ok(())
}

pub fn compare(args: &CompareArgs, quiet: bool) -> Result<()> {
    let names: Vec<String> = if args.models.is_empty() {
        registry::MODELS
            .iter()
            .filter(|m| m.task == Task::Ranking)
            .map(|m| m.name.to_owned())
            .collect()
    } else {
        args.models.clone()
    };
    for name in &names {
        if name != registry::BEST {
            registry::info(name)?;
        }
    }
    let prepared = prepare(&args.protocol, args.seed, quiet)?;
    let mut outputs = Vec::new();
    for name in &names {
        if !quiet {
            eprintln!("evaluating {name} ...");
        }
        outputs.push(evaluate_one(
            &prepared,
            &args.protocol,
            name,
            &[],
            args.seed,
            quiet,
        )?);
    }
    let reports: Vec<RankingReport> = outputs.iter().map(|o| o.ranking.clone()).collect();
    let headline: Vec<String> = args
        .protocol
        .k
        .iter()
        .flat_map(|k| ["precision", "recall", "ndcg", "map"].map(|m| format!("{m}@{k}")))
        .collect();
    let mut markdown = format!(
        "Data: {}, split {}, seed {}, full ranking over unseen items.\n\n{}",
        args.protocol.data.display(),
        args.protocol.split,
        args.seed,
        markdown_table(&reports, &headline)
    );
    let ratings: Vec<(&str, &RatingReport)> = outputs
        .iter()
        .filter_map(|o| o.rating.as_ref().map(|r| (o.ranking.model.as_str(), r)))
        .collect();
    if !ratings.is_empty() {
        markdown.push_str("\n| model | RMSE | MAE |\n|---|---|---|\n");
        for (model, r) in &ratings {
            markdown.push_str(&format!("| {model} | {:.4} | {:.4} |\n", r.rmse, r.mae));
        }
    }
    let chart_metrics: Vec<String> = ["precision", "recall", "ndcg"]
        .iter()
        .map(|m| format!("{m}@10"))
        .filter(|key| reports.iter().all(|r| r.metrics.contains_key(key)))
        .collect();
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    write_file(&args.out.join("compare.md"), &markdown)?;
    write_file(
        &args.out.join("compare.svg"),
        &svg_bar_chart(&reports, &chart_metrics),
    )?;
    write_file(
        &args.out.join("compare.json"),
        &serde_json::to_string_pretty(&outputs)?,
    )?;
    println!("{markdown}");
    println!(
        "wrote {}, compare.svg and compare.json",
        args.out.join("compare.md").display()
    );
    Ok(())
}

/// The score `tune` maximises: a ranking metric, or minus RMSE/MAE.
fn objective_value(output: &EvalOutput, metric: &str) -> Result<f64> {
    match metric {
        "rmse" | "mae" => {
            let Some(rating) = &output.rating else {
                bail!("metric `{metric}` needs a rating model and a data set with ratings");
            };
            Ok(-if metric == "rmse" {
                rating.rmse
            } else {
                rating.mae
            })
        }
        key => output.ranking.metrics.get(key).copied().with_context(|| {
            let mut known: Vec<&String> = output.ranking.metrics.keys().collect();
            known.sort();
            format!("unknown metric `{key}`; known: rmse, mae, {known:?}")
        }),
    }
}

#[derive(Serialize)]
struct TuneOutput {
    model: String,
    metric: String,
    validation_share: f64,
    trials: Vec<chatrec_models::eval::tune::Trial>,
    best_params: Vec<Setting>,
    best_validation_score: f64,
    test: EvalOutput,
}

pub fn tune(args: &TuneArgs, quiet: bool) -> Result<()> {
    let info = registry::info(&args.model)?;
    let space = if args.space.is_empty() {
        SearchSpace(
            info.search_space
                .iter()
                .map(|(k, values)| {
                    (
                        k.to_string(),
                        values.iter().map(|v| v.to_string()).collect(),
                    )
                })
                .collect(),
        )
    } else {
        SearchSpace::from_args(&args.space)?
    };
    if !(0.0..1.0).contains(&args.validation) || args.validation == 0.0 {
        bail!(
            "--validation must be a share between 0 and 1, got {}",
            args.validation
        );
    }
    let prepared = prepare(&args.protocol, args.seed, quiet)?;
    // Validation comes out of the training part only: the test part is never looked at
    // while choosing parameters.
    let inner = validation_split(
        &prepared.split.train,
        &SplitSpec::UserRatio {
            train_ratio: 1.0 - args.validation,
        },
        args.seed,
    )?;
    let validation = Prepared {
        dataset: prepared.dataset.clone(),
        split: inner,
    };
    let strategy = match args.trials {
        Some(trials) => Strategy::Random {
            trials,
            seed: args.seed,
        },
        None => Strategy::Grid,
    };
    let total = space.size()?;
    let mut done = 0usize;
    let result = search(
        &space,
        strategy,
        &mut |settings: &[Setting]| -> Result<f64> {
            let params = settings.to_vec();
            let output = evaluate_one(
                &validation,
                &args.protocol,
                &args.model,
                &params,
                args.seed,
                true,
            )?;
            let score = objective_value(&output, &args.metric)?;
            done += 1;
            if !quiet {
                eprintln!(
                    "[{done}/{}] {} -> {} {:.4}",
                    args.trials.unwrap_or(total).min(total),
                    describe(&args.model, &params),
                    args.metric,
                    score.abs()
                );
            }
            Ok(score)
        },
    )?;
    let best = result.best.params.clone();
    let test = evaluate_one(
        &prepared,
        &args.protocol,
        &args.model,
        &best,
        args.seed,
        quiet,
    )?;
    println!(
        "best on validation ({} trials): {} with {} {:.4}",
        result.trials.len(),
        describe(&args.model, &best),
        args.metric,
        result.best.score.abs()
    );
    println!(
        "the same parameters on the test split:\n{}",
        text_table(&test.ranking)
    );
    if let Some(rating) = &test.rating {
        println!("{}", rating_text(&args.model, rating));
    }
    if let Some(path) = &args.json {
        let output = TuneOutput {
            model: args.model.clone(),
            metric: args.metric.clone(),
            validation_share: args.validation,
            trials: result.trials.clone(),
            best_params: result.best.params.clone(),
            best_validation_score: result.best.score,
            test,
        };
        write_file(path, &serde_json::to_string_pretty(&output)?)?;
    }
    Ok(())
}
