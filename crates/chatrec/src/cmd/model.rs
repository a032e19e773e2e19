//! Building and fitting models by name, shared by the training and evaluation commands.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use chatrec_core::Dataset;
use chatrec_models::params::split_pairs;
use chatrec_models::registry::{self, Task};
use chatrec_models::{Progress, Recommender, TrainSet, TrainedModel};

use crate::cli::ModelArgs;
use crate::progress::Bars;

/// A fitted model with what it took to fit it.
pub struct Fitted {
    pub model: Box<dyn Recommender>,
    /// The registry name (`best` resolved).
    pub name: String,
    pub params: Vec<(String, String)>,
    pub fit_seconds: f64,
}

/// Parses `key=value` arguments.
pub fn parse_pairs(raw: &[String]) -> Result<Vec<(String, String)>> {
    split_pairs(raw).map_err(anyhow::Error::msg)
}

/// Resolves `best` for the task, builds the model and fits it on `train`.
pub fn fit(
    name: &str,
    params: &[(String, String)],
    seed: u64,
    task: Task,
    train: &TrainSet,
    progress: &dyn Progress,
) -> Result<Fitted> {
    let (name, params) = registry::resolve(name, params, task);
    let mut model = registry::build(&name, &params, seed)?;
    let started = Instant::now();
    model
        .fit(train, progress)
        .with_context(|| format!("cannot fit model `{name}`"))?;
    progress.finish();
    Ok(Fitted {
        model,
        name,
        params,
        fit_seconds: started.elapsed().as_secs_f64(),
    })
}

/// A model fitted on a whole data set and written to a file.
pub struct SavedModel {
    pub trained: TrainedModel,
    /// `name k=v k=v` of the fitted model.
    pub description: String,
    pub fit_seconds: f64,
}

/// Fits `args` on every interaction of `dataset` and saves the model to `out`.
pub fn fit_and_save(
    dataset: &Dataset,
    args: &ModelArgs,
    out: &Path,
    quiet: bool,
) -> Result<SavedModel> {
    let train = TrainSet::from_interactions(dataset, &dataset.interactions);
    let params = parse_pairs(&args.params)?;
    let fitted = fit(
        &args.model,
        &params,
        args.seed,
        Task::Ranking,
        &train,
        &Bars::new(quiet),
    )?;
    let trained = TrainedModel {
        model: fitted.model,
        users: dataset.catalog.user_ids().clone(),
        items: dataset.catalog.item_ids().clone(),
    };
    trained
        .save(out)
        .with_context(|| format!("cannot save the model to {}", out.display()))?;
    Ok(SavedModel {
        trained,
        description: describe(&fitted.name, &fitted.params),
        fit_seconds: fitted.fit_seconds,
    })
}

/// `name k=v k=v` for display.
pub fn describe(name: &str, params: &[(String, String)]) -> String {
    let mut text = name.to_owned();
    for (k, v) in params {
        text.push_str(&format!(" {k}={v}"));
    }
    text
}
