//! `chatrec train`, `chatrec recommend`, `chatrec similar`, `chatrec models`.

use anyhow::{bail, Context, Result};
use chatrec_core::Dataset;
use chatrec_models::registry::{self, Task};
use chatrec_models::{Scored, TrainedModel};
use serde::Serialize;

use super::model::fit_and_save;
use crate::cli::{RecommendArgs, TrainArgs};

pub fn train(args: &TrainArgs, quiet: bool) -> Result<()> {
    let dataset = crate::data::load(&args.data, &args.import, quiet)?;
    let saved = fit_and_save(&dataset, &args.model, &args.out, quiet)?;
    println!(
        "trained {} on {} interactions in {:.2}s; saved to {}",
        saved.description,
        dataset.interactions.len(),
        saved.fit_seconds,
        args.out.display()
    );
    Ok(())
}

fn load_model(path: &std::path::Path) -> Result<TrainedModel> {
    if !path.exists() {
        bail!(
            "no model at {}; train one first: chatrec train --data data/ --out {}",
            path.display(),
            path.display()
        );
    }
    Ok(TrainedModel::load(path)?)
}

/// Loads the data set when present; titles and exclusions need it, ids alone do not.
fn load_optional_data(path: &std::path::Path, quiet: bool) -> Result<Option<Dataset>> {
    if !path.exists() {
        if !quiet {
            eprintln!(
                "note: {} not found; showing ids without titles",
                path.display()
            );
        }
        return Ok(None);
    }
    crate::data::load(path, &crate::cli::ImportArgs::default(), true).map(Some)
}

#[derive(Serialize)]
struct ShownItem {
    rank: usize,
    item_id: String,
    title: String,
    score: f32,
}

fn show(trained: &TrainedModel, data: Option<&Dataset>, list: &[Scored], json: bool) -> Result<()> {
    let shown: Vec<ShownItem> = list
        .iter()
        .enumerate()
        .map(|(rank, s)| {
            let item_id = trained.items.id(s.item).to_owned();
            let title = data
                .and_then(|d| d.catalog.item_index(&item_id).map(|i| d.catalog.item(i)))
                .map(|item| match item.year {
                    Some(year) => format!("{} ({year})", item.title),
                    None => item.title.clone(),
                })
                .unwrap_or_default();
            ShownItem {
                rank: rank + 1,
                item_id,
                title,
                score: s.score,
            }
        })
        .collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&shown)?);
    } else {
        for item in &shown {
            println!(
                "{:>3}. {:<8} {:<60} {:.4}",
                item.rank, item.item_id, item.title, item.score
            );
        }
    }
    Ok(())
}

pub fn recommend(args: &RecommendArgs, quiet: bool) -> Result<()> {
    let trained = load_model(&args.model_file)?;
    let data = load_optional_data(&args.data, quiet)?;
    let model = trained.model.as_ref();
    let list = match (&args.user, args.liked.is_empty()) {
        (Some(user_id), _) => {
            let user = trained.users.get(user_id).with_context(|| {
                format!(
                    "user `{user_id}` is not in the model; use --liked ITEM,ITEM for a new user"
                )
            })?;
            let mut seen: Vec<u32> = data
                .as_ref()
                .and_then(|d| d.catalog.user_index(user_id).map(|u| (d, u)))
                .map(|(d, u)| {
                    d.interactions
                        .iter()
                        .filter(|i| i.user == u)
                        .filter_map(|i| trained.items.get(d.catalog.item_ids().id(i.item)))
                        .collect()
                })
                .unwrap_or_default();
            seen.sort_unstable();
            model.recommend(user, args.n, &seen)
        }
        (None, false) => {
            let mut history = Vec::new();
            for id in &args.liked {
                let item = trained
                    .items
                    .get(id)
                    .with_context(|| format!("item `{id}` is not in the model"))?;
                history.push((item, 1.0));
            }
            let mut seen: Vec<u32> = history.iter().map(|&(i, _)| i).collect();
            seen.sort_unstable();
            model.recommend_history(&history, args.n, &seen)
        }
        (None, true) => {
            bail!("say who to recommend for: --user ID, or --liked ITEM,ITEM for a new user")
        }
    };
    show(&trained, data.as_ref(), &list, args.json)
}

pub fn list_models() -> Result<()> {
    for info in registry::MODELS {
        let task = match info.task {
            Task::Ranking => "ranking",
            Task::Rating => "rating",
        };
        println!("{:<12} [{task}] {}", info.name, info.summary);
        let defaults = registry::default_params(info.name)?;
        if let Some(object) = defaults.as_object() {
            let mut keys: Vec<_> = object.iter().collect();
            keys.sort_by(|a, b| a.0.cmp(b.0));
            let shown: Vec<String> = keys
                .iter()
                .map(|(k, v)| format!("{k}={}", display_param(v)))
                .collect();
            println!("{:<12} params: {}", "", shown.join(" "));
        }
    }
    let (rank_model, _) = registry::best_for(Task::Ranking);
    let (rate_model, _) = registry::best_for(Task::Rating);
    println!(
        "\n`best` means {rank_model} for recommendation and {rate_model} for rating prediction."
    );
    Ok(())
}

/// A parameter value as a user would type it: f32 parameters widened to JSON's f64 are
/// shown at f32 precision (0.02, not 0.019999999552965164), strings without quotes.
fn display_param(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) if n.is_f64() => {
            let wide = n.as_f64().unwrap_or(f64::NAN);
            let narrow = wide as f32;
            if (narrow as f64) == wide {
                format!("{narrow}")
            } else {
                format!("{wide}")
            }
        }
        other => other.to_string(),
    }
}
