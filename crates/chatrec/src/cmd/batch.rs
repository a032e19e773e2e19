//! `chatrec batch-recommend` and `chatrec batch-predict`: the file-in, file-out contract
//! external evaluation tools rely on.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use chatrec_core::import::{read_pairs, ImportOptions};
use chatrec_models::batch::recommend_all;
use chatrec_models::registry::Task;
use chatrec_models::{Progress, TrainSet};

use super::model::{describe, fit, parse_pairs};
use crate::cli::{BatchPredictArgs, BatchRecommendArgs};
use crate::output::{write_file, AtomicFile};
use crate::progress::Bars;

pub fn recommend(args: &BatchRecommendArgs, quiet: bool) -> Result<()> {
    if args.n == 0 {
        bail!("-n must be at least 1");
    }
    // Every row of the file is excluded from the user's list, even rows below
    // --min-rating: the contract is "items the user has no training row for".
    let dataset = crate::data::load_with(&args.train, &ImportOptions::default(), quiet)?;
    let positives: Vec<_> = match args.min_rating {
        Some(min) => dataset
            .interactions
            .iter()
            .filter(|i| i.value >= min)
            .copied()
            .collect(),
        None => dataset.interactions.clone(),
    };
    if positives.is_empty() {
        bail!(
            "no interaction in {} is a positive (--min-rating {:?})",
            args.train.display(),
            args.min_rating
        );
    }
    let train = TrainSet::from_interactions(&dataset, &positives);
    let seen = dataset.matrix();
    let params = parse_pairs(&args.params)?;
    let bars = Bars::new(quiet);
    let fitted = fit(
        &args.model,
        &params,
        args.seed,
        Task::Ranking,
        &train,
        &bars,
    )?;

    let users: Vec<u32> = (0..dataset.n_users() as u32).collect();
    let started = Instant::now();
    bars.start("recommending", users.len() as u64);
    let lists = recommend_all(fitted.model.as_ref(), &users, args.n, &seen, &|done| {
        bars.advance(done as u64)
    });
    bars.finish();
    let recommend_seconds = started.elapsed().as_secs_f64();

    let user_ids = dataset.catalog.user_ids();
    let item_ids = dataset.catalog.item_ids();
    let mut file = AtomicFile::create(&args.out)?;
    let out = file.writer();
    let context = || format!("cannot write {}", args.out.display());
    writeln!(out, "user_id\titem_id\trank\tscore").with_context(context)?;
    for (&user, list) in users.iter().zip(&lists) {
        for (rank, scored) in list.iter().enumerate() {
            writeln!(
                out,
                "{}\t{}\t{}\t{}",
                user_ids.id(user),
                item_ids.id(scored.item),
                rank + 1,
                scored.score
            )
            .with_context(context)?;
        }
    }
    file.commit()?;
    write_timings(
        args.timings.as_deref(),
        fitted.fit_seconds,
        "recommend_seconds",
        recommend_seconds,
    )?;
    if !quiet {
        eprintln!(
            "{}: fitted in {:.2}s on {} positives; wrote top-{} for {} users to {}",
            describe(&fitted.name, &fitted.params),
            fitted.fit_seconds,
            positives.len(),
            args.n,
            users.len(),
            args.out.display()
        );
    }
    Ok(())
}

pub fn predict(args: &BatchPredictArgs, quiet: bool) -> Result<()> {
    let dataset = crate::data::load_with(&args.train, &ImportOptions::default(), quiet)?;
    if !dataset.has_ratings {
        bail!(
            "{} has no rating column; batch-predict needs ratings to learn from",
            args.train.display()
        );
    }
    let pairs = read_pairs(&args.pairs)
        .with_context(|| format!("cannot read pairs from {}", args.pairs.display()))?;
    let train = TrainSet::from_interactions(&dataset, &dataset.interactions);
    let params = parse_pairs(&args.params)?;
    let bars = Bars::new(quiet);
    let fitted = fit(&args.model, &params, args.seed, Task::Rating, &train, &bars)?;
    let Some(predictor) = fitted.model.as_rating_predictor() else {
        bail!(
            "model `{}` does not predict ratings; use mf, svdpp, knnbaseline, baseline or best",
            fitted.name
        );
    };

    let mut file = AtomicFile::create(&args.out)?;
    let out = file.writer();
    let context = || format!("cannot write {}", args.out.display());
    writeln!(out, "user_id\titem_id\tprediction").with_context(context)?;
    let (mut unknown_users, mut unknown_items) = (0usize, 0usize);
    let started = Instant::now();
    for (user_id, item_id) in &pairs {
        let user = dataset.catalog.user_index(user_id);
        let item = dataset.catalog.item_index(item_id);
        unknown_users += usize::from(user.is_none());
        unknown_items += usize::from(item.is_none());
        let prediction = predictor.predict(user, item);
        writeln!(out, "{user_id}\t{item_id}\t{prediction}").with_context(context)?;
    }
    let predict_seconds = started.elapsed().as_secs_f64();
    file.commit()?;
    write_timings(
        args.timings.as_deref(),
        fitted.fit_seconds,
        "predict_seconds",
        predict_seconds,
    )?;
    if !quiet {
        eprintln!(
            "{}: fitted in {:.2}s; wrote {} predictions to {} ({unknown_users} with an unknown user, {unknown_items} with an unknown item: fallback estimates)",
            describe(&fitted.name, &fitted.params),
            fitted.fit_seconds,
            pairs.len(),
            args.out.display()
        );
    }
    Ok(())
}

/// Writes `{fit_seconds, <phase>, total_seconds, peak_rss_mb}` for benchmark scripts, which
/// cannot see inside the process: timings exclude start-up, loading and writing files.
fn write_timings(
    path: Option<&Path>,
    fit_seconds: f64,
    phase: &str,
    phase_seconds: f64,
) -> Result<()> {
    let Some(path) = path else { return Ok(()) };
    let json = serde_json::json!({
        "fit_seconds": fit_seconds,
        phase: phase_seconds,
        "total_seconds": fit_seconds + phase_seconds,
        "peak_rss_mb": super::bench::peak_rss_mib(),
    });
    write_file(path, &serde_json::to_string_pretty(&json)?)
}
