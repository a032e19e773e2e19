//! Building the dialogue engine for `chatrec chat`: data, a trained model (trained and
//! saved on first use), the knowledge graph and semantic search when available.

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use chatrec_core::Dataset;
use chatrec_dialogue::{Engine, EngineOptions};
use chatrec_knowledge::embed::minilm_dir;
use chatrec_knowledge::search::CatalogSearch;
use chatrec_models::{Recommender, TrainedModel};

use crate::cli::ModelArgs;
use crate::cmd::knowledge::load_graph;
use crate::cmd::model::fit_and_save;
use crate::embedding::{catalog_vectors, embedder, EmbedderArgs, EmbedderChoice};

/// Where the model comes from.
pub struct ModelSource<'a> {
    /// A model file; trained from `train` and written here when it does not exist yet.
    pub file: &'a Path,
    pub train: &'a ModelArgs,
}

/// The model for `dataset`: read from the file, or trained on the whole data set and saved
/// there so the next start is instant. A file trained on other data is refused.
pub fn model_for(
    dataset: &Dataset,
    source: &ModelSource,
    quiet: bool,
) -> Result<Arc<dyn Recommender>> {
    if source.file.exists() {
        let trained = TrainedModel::load(source.file)
            .with_context(|| format!("cannot read the model {}", source.file.display()))?;
        check_same_ids(&trained, dataset, source.file)?;
        return Ok(Arc::from(trained.model));
    }
    if !quiet {
        eprintln!(
            "note: no model at {}; training `{}` on the data (once)",
            source.file.display(),
            source.train.model
        );
    }
    let saved = fit_and_save(dataset, source.train, source.file, quiet)?;
    if !quiet {
        eprintln!(
            "trained {} in {:.1}s; saved to {}",
            saved.description,
            saved.fit_seconds,
            source.file.display()
        );
    }
    Ok(Arc::from(saved.trained.model))
}

/// The model's item and user indices must be the data set's: the dialogue reads both.
fn check_same_ids(trained: &TrainedModel, dataset: &Dataset, file: &Path) -> Result<()> {
    let items = dataset.catalog.item_ids();
    let users = dataset.catalog.user_ids();
    let same_items = trained.items.len() == items.len()
        && (0..items.len() as u32).all(|i| trained.items.id(i) == items.id(i));
    let same_users = trained.users.len() <= users.len()
        && (0..trained.users.len() as u32).all(|u| trained.users.id(u) == users.id(u));
    if !same_items || !same_users {
        bail!(
            "{} was trained on other data ({} items, {} users; the data has {} items, {} users); \
             delete it or pass --model-file with a model trained on this data",
            file.display(),
            trained.items.len(),
            trained.users.len(),
            items.len(),
            users.len()
        );
    }
    Ok(())
}

/// The engine of `chatrec chat` and `bench dialogue`: the data set at `data`, the model
/// from `source` (trained and saved on first use), the knowledge graph and search.
pub fn load_engine(
    data: &Path,
    source: &ModelSource,
    options: EngineOptions,
    embedding: &EmbedderArgs,
    quiet: bool,
) -> Result<Engine> {
    let dataset = crate::data::load(data, &Default::default(), true)?;
    let model = model_for(&dataset, source, quiet)?;
    build_engine(data, dataset, model, options, embedding, quiet)
}

/// The engine over `dataset` and `model`, with the knowledge graph beside the data and
/// semantic search when the sentence-embedding model is there (else words only).
pub fn build_engine(
    data: &Path,
    dataset: Dataset,
    model: Arc<dyn Recommender>,
    options: EngineOptions,
    embedding: &EmbedderArgs,
    quiet: bool,
) -> Result<Engine> {
    let graph = load_graph(data, &dataset)?;
    let search = semantic_search(data, &dataset, embedding, quiet)?;
    let mut engine = Engine::new(dataset, model, options)?;
    if let Some(graph) = graph {
        engine = engine.with_graph(graph)?;
    }
    if let Some(search) = search {
        engine = engine.with_search(Arc::new(search));
    }
    Ok(engine)
}

fn semantic_search(
    data: &Path,
    dataset: &Dataset,
    args: &EmbedderArgs,
    quiet: bool,
) -> Result<Option<CatalogSearch>> {
    if args.embedder == EmbedderChoice::Minilm {
        let dir = args.model_dir.clone().unwrap_or_else(|| minilm_dir(data));
        if !dir.join("model.safetensors").is_file() {
            if !quiet {
                eprintln!(
                    "note: no sentence-embedding model in {}; free text is matched by words only \
                     (fetch it with `chatrec models fetch minilm`)",
                    dir.display()
                );
            }
            return Ok(None);
        }
    }
    let embedder = embedder(args, data)?;
    let vectors = catalog_vectors(embedder.as_ref(), &dataset.catalog, args, data, quiet)?;
    Ok(Some(CatalogSearch::new(
        &dataset.catalog,
        vectors,
        embedder,
    )?))
}
