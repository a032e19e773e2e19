//! Model names, construction from parameters, reconstruction from saved state, and the
//! project's best defaults.

use crate::algorithms::{
    als, baseline, biased_mf, blend, bpr, ease, item_knn, knn_baseline, popularity, svdpp, user_knn,
};
use crate::error::ModelError;
use crate::params::parse_params;
use crate::persist::ModelState;
use crate::recommender::Recommender;

/// What a model is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// Top-N recommendation from implicit feedback.
    Ranking,
    /// Rating prediction (also usable for ranking).
    Rating,
}

/// A registered model: its name, what it does, and the grid `chatrec tune` searches.
pub struct ModelInfo {
    pub name: &'static str,
    pub task: Task,
    pub summary: &'static str,
    pub search_space: &'static [(&'static str, &'static [&'static str])],
}

/// Every model chatrec knows, in the order `chatrec models` lists them.
pub const MODELS: &[ModelInfo] = &[
    ModelInfo {
        name: popularity::NAME,
        task: Task::Ranking,
        summary: "most interacted items, optionally with exponential time decay",
        search_space: &[("half_life_days", &["0", "30", "90", "365"])],
    },
    ModelInfo {
        name: item_knn::NAME,
        task: Task::Ranking,
        summary:
            "item-item cosine with shrinkage, optional TF-IDF/BM25 weighting, top-K neighbours",
        search_space: &[
            ("neighbours", &["20", "50", "100", "200"]),
            ("shrink", &["0", "10", "50"]),
            ("weighting", &["none", "tfidf", "bm25"]),
        ],
    },
    ModelInfo {
        name: user_knn::NAME,
        task: Task::Ranking,
        summary: "user-user cosine with shrinkage over top-K neighbour users",
        search_space: &[
            ("neighbours", &["20", "50", "100", "200"]),
            ("shrink", &["0", "10", "50"]),
        ],
    },
    ModelInfo {
        name: als::NAME,
        task: Task::Ranking,
        summary: "implicit ALS with confidence weighting and a conjugate-gradient solver",
        search_space: &[
            ("factors", &["32", "64", "128"]),
            ("regularization", &["10", "20", "40", "80"]),
            ("alpha", &["1", "2", "4", "8"]),
        ],
    },
    ModelInfo {
        name: bpr::NAME,
        task: Task::Ranking,
        summary: "Bayesian personalised ranking matrix factorisation with sampled negatives",
        search_space: &[
            ("factors", &["32", "64", "128"]),
            ("learning_rate", &["0.01", "0.02", "0.05"]),
            ("regularization", &["0.001", "0.01", "0.1"]),
        ],
    },
    ModelInfo {
        name: ease::NAME,
        task: Task::Ranking,
        summary: "EASE: closed-form item-item model (Steck 2019)",
        search_space: &[(
            "lambda",
            &["50", "100", "200", "300", "400", "500", "750", "1000"],
        )],
    },
    ModelInfo {
        name: blend::NAME,
        task: Task::Ranking,
        summary: "weighted blend of per-user standardised scores of several models",
        search_space: &[(
            "weights",
            &[
                "1:0:0",
                "0.8:0.1:0.1",
                "0.6:0.2:0.2",
                "0.5:0.25:0.25",
                "0.6:0.4:0",
                "0.6:0:0.4",
            ],
        )],
    },
    ModelInfo {
        name: baseline::NAME,
        task: Task::Rating,
        summary: "baseline estimates mu + b_u + b_i (rating prediction)",
        search_space: &[
            ("reg_user", &["5", "10", "15", "25"]),
            ("reg_item", &["5", "10", "15", "25"]),
        ],
    },
    ModelInfo {
        name: biased_mf::NAME,
        task: Task::Rating,
        summary: "biased matrix factorisation trained by SGD (rating prediction)",
        search_space: &[
            ("factors", &["20", "50", "100"]),
            ("regularization", &["0.02", "0.05", "0.1"]),
            ("learning_rate", &["0.005", "0.01"]),
        ],
    },
    ModelInfo {
        name: svdpp::NAME,
        task: Task::Rating,
        summary: "SVD++: biased MF with implicit feedback from rated items (rating prediction)",
        search_space: &[
            ("factors", &["10", "20", "50"]),
            ("regularization", &["0.02", "0.05", "0.1"]),
        ],
    },
    ModelInfo {
        name: knn_baseline::NAME,
        task: Task::Rating,
        summary:
            "item kNN on baseline residuals with Pearson-baseline similarity (rating prediction)",
        search_space: &[
            ("neighbours", &["20", "40", "80"]),
            ("shrink", &["50", "100", "200"]),
        ],
    },
];

/// The name `best` stands for the model (and parameters) that measured best for a task.
pub const BEST: &str = "best";

/// The model and parameters `best` means for a task, chosen on validation splits carved
/// from training data (see docs/benchmarks.md): ALS beat EASE, the kNN models and every
/// blend of them for top-k accuracy; SVD++ beat the other rating models on RMSE.
pub fn best_for(task: Task) -> (&'static str, Vec<(String, String)>) {
    match task {
        Task::Ranking => (als::NAME, Vec::new()),
        Task::Rating => (svdpp::NAME, Vec::new()),
    }
}

/// Looks up a model by name.
pub fn info(name: &str) -> Result<&'static ModelInfo, ModelError> {
    MODELS
        .iter()
        .find(|m| m.name == name)
        .ok_or_else(|| ModelError::UnknownModel {
            name: name.to_owned(),
            available: available(),
        })
}

fn available() -> String {
    let mut names: Vec<&str> = MODELS.iter().map(|m| m.name).collect();
    names.push(BEST);
    names.join(", ")
}

/// Resolves `best` for the task; other names pass through with the given parameters.
/// Parameters given for `best` override the best model's own.
pub fn resolve(
    name: &str,
    params: &[(String, String)],
    task: Task,
) -> (String, Vec<(String, String)>) {
    if name == BEST {
        let (model, mut defaults) = best_for(task);
        for (k, v) in params {
            defaults.retain(|(dk, _)| dk != k);
            defaults.push((k.clone(), v.clone()));
        }
        (model.to_owned(), defaults)
    } else {
        (name.to_owned(), params.to_vec())
    }
}

/// Builds an unfitted model by name with `key=value` parameters over its defaults.
pub fn build(
    name: &str,
    params: &[(String, String)],
    seed: u64,
) -> Result<Box<dyn Recommender>, ModelError> {
    Ok(match name {
        popularity::NAME => Box::new(popularity::Popularity::new(
            parse_params(name, params)?,
            seed,
        )),
        item_knn::NAME => Box::new(item_knn::ItemKnn::new(parse_params(name, params)?, seed)),
        user_knn::NAME => Box::new(user_knn::UserKnn::new(parse_params(name, params)?, seed)),
        als::NAME => Box::new(als::Als::new(parse_params(name, params)?, seed)),
        bpr::NAME => Box::new(bpr::Bpr::new(parse_params(name, params)?, seed)),
        ease::NAME => Box::new(ease::Ease::new(parse_params(name, params)?, seed)),
        blend::NAME => Box::new(blend::Blend::new(parse_params(name, params)?, seed)),
        baseline::NAME => Box::new(baseline::Baseline::new(parse_params(name, params)?, seed)),
        biased_mf::NAME => Box::new(biased_mf::BiasedMf::new(parse_params(name, params)?, seed)),
        svdpp::NAME => Box::new(svdpp::SvdPp::new(parse_params(name, params)?, seed)),
        knn_baseline::NAME => Box::new(knn_baseline::KnnBaseline::new(
            parse_params(name, params)?,
            seed,
        )),
        _ => {
            return Err(ModelError::UnknownModel {
                name: name.to_owned(),
                available: available(),
            })
        }
    })
}

/// The default parameters of a model as JSON, for `chatrec models`.
pub fn default_params(name: &str) -> Result<serde_json::Value, ModelError> {
    fn json<P: serde::Serialize + Default>() -> serde_json::Value {
        serde_json::to_value(P::default()).unwrap_or(serde_json::Value::Null)
    }
    Ok(match name {
        popularity::NAME => json::<popularity::PopularityParams>(),
        item_knn::NAME => json::<item_knn::ItemKnnParams>(),
        user_knn::NAME => json::<user_knn::UserKnnParams>(),
        als::NAME => json::<als::AlsParams>(),
        bpr::NAME => json::<bpr::BprParams>(),
        ease::NAME => json::<ease::EaseParams>(),
        blend::NAME => json::<blend::BlendParams>(),
        baseline::NAME => json::<baseline::BaselineParams>(),
        biased_mf::NAME => json::<biased_mf::BiasedMfParams>(),
        svdpp::NAME => json::<svdpp::SvdPpParams>(),
        knn_baseline::NAME => json::<knn_baseline::KnnBaselineParams>(),
        _ => {
            return Err(ModelError::UnknownModel {
                name: name.to_owned(),
                available: available(),
            })
        }
    })
}

/// Rebuilds a fitted model from its saved state.
pub fn from_state(state: &ModelState) -> Result<Box<dyn Recommender>, ModelError> {
    Ok(match state.model.as_str() {
        popularity::NAME => Box::new(popularity::Popularity::from_state(state)?),
        item_knn::NAME => Box::new(item_knn::ItemKnn::from_state(state)?),
        user_knn::NAME => Box::new(user_knn::UserKnn::from_state(state)?),
        als::NAME => Box::new(als::Als::from_state(state)?),
        bpr::NAME => Box::new(bpr::Bpr::from_state(state)?),
        ease::NAME => Box::new(ease::Ease::from_state(state)?),
        blend::NAME => Box::new(blend::Blend::from_state(state)?),
        baseline::NAME => Box::new(baseline::Baseline::from_state(state)?),
        biased_mf::NAME => Box::new(biased_mf::BiasedMf::from_state(state)?),
        svdpp::NAME => Box::new(svdpp::SvdPp::from_state(state)?),
        knn_baseline::NAME => Box::new(knn_baseline::KnnBaseline::from_state(state)?),
        other => {
            return Err(state.format_error(format!(
                "unknown model `{other}` (written by a newer chatrec?); available: {}",
                available()
            )))
        }
    })
}
