//! What a server answers from: the engine built from the active model version and the
//! store's catalog, swapped whole (never edited in place) when either changes, so a request
//! always sees one consistent model and catalog.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arc_swap::ArcSwapOption;
use chatrec_core::Dataset;
use chatrec_dialogue::Engine;
use chatrec_models::{Recommender, TrainedModel};
use chatrec_store::{EventId, ModelVersion, Store};
use serde_json::Value;

use crate::data::{read_events, Snapshot};
use crate::error::ServeError;

/// Builds the dialogue engine over a data set and model: the binary adds the knowledge
/// graph and semantic search it finds beside the data.
pub trait EngineFactory: Send + Sync {
    fn build(
        &self,
        dataset: Dataset,
        model: Arc<dyn Recommender>,
    ) -> Result<Engine, Box<dyn std::error::Error + Send + Sync>>;
}

/// The plain engine: collaborative model and catalog, words-only text matching.
pub struct PlainEngine;

impl EngineFactory for PlainEngine {
    fn build(
        &self,
        dataset: Dataset,
        model: Arc<dyn Recommender>,
    ) -> Result<Engine, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Engine::new(dataset, model, Default::default())?)
    }
}

/// One consistent view: engine, the model version it serves and the data it came from.
pub struct Live {
    pub engine: Arc<Engine>,
    pub version: ModelVersion,
    /// The store's data revision the catalog was read at.
    pub revision: i64,
    /// The last feedback event the model was trained on; later events are folded in.
    pub watermark: EventId,
    /// Registry name of the model ("als", "ease", …).
    pub model_name: String,
    /// Users the model learned but the store no longer has (forgotten): never served
    /// from what the model learned of them.
    pub absent_users: HashSet<u32>,
    /// Per user, items disliked in the events the model saw (training leaves dislikes out).
    pub dislikes: HashMap<u32, Vec<u32>>,
}

/// What a trained model version records about itself in its metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainedOn {
    pub last_event: EventId,
    pub has_ratings: bool,
}

impl TrainedOn {
    pub fn to_json(&self) -> Value {
        serde_json::json!({"last_event_id": self.last_event.0, "has_ratings": self.has_ratings})
    }

    fn from_metadata(metadata: &Value) -> TrainedOn {
        let trained_on = &metadata["trained_on"];
        TrainedOn {
            last_event: EventId(trained_on["last_event_id"].as_i64().unwrap_or(0)),
            has_ratings: trained_on["has_ratings"].as_bool().unwrap_or(false),
        }
    }
}

/// Reads the active model version and the data, and builds the engine (the expensive part
/// runs off the async threads).
pub async fn build(store: &dyn Store, factory: Arc<dyn EngineFactory>) -> Result<Live, ServeError> {
    let revision = store.data_revision().await?;
    let Some(active) = store.get_active_model().await? else {
        return Err(ServeError::NoModel);
    };
    let trained_on = TrainedOn::from_metadata(&active.info.metadata);
    let mut snapshot = Snapshot::read_catalog(store).await?;
    snapshot.events = read_events(store, EventId::START, Some(trained_on.last_event)).await?;
    let version = active.info.version;
    let model_name = active.info.metadata["model"]
        .as_str()
        .unwrap_or("unknown")
        .to_owned();
    let (engine, absent_users, dislikes) = tokio::task::spawn_blocking(move || {
        let trained = TrainedModel::from_bytes(&active.artifact)
            .map_err(|e| ServeError::Model(format!("model version {version}: {e}")))?;
        let serving =
            snapshot.serving_dataset(&trained, trained_on.last_event, trained_on.has_ratings);
        let model: Arc<dyn Recommender> = Arc::from(trained.model);
        let engine = factory
            .build(serving.dataset, model)
            .map_err(|e| ServeError::Model(format!("model version {version}: {e}")))?;
        let absent_users: HashSet<u32> = serving.absent_users.into_iter().collect();
        Ok::<_, ServeError>((
            engine.with_unavailable(&serving.unavailable_items),
            absent_users,
            serving.dislikes,
        ))
    })
    .await
    .map_err(|e| ServeError::Model(format!("building the engine failed: {e}")))??;
    Ok(Live {
        engine: Arc::new(engine),
        version,
        revision,
        watermark: trained_on.last_event,
        model_name,
        absent_users,
        dislikes,
    })
}

/// The current [`Live`], readable without locks by every request.
#[derive(Default)]
pub struct LiveCell {
    current: ArcSwapOption<Live>,
}

impl LiveCell {
    pub fn get(&self) -> Option<Arc<Live>> {
        self.current.load_full()
    }

    pub fn set(&self, live: Live) {
        self.current.store(Some(Arc::new(live)));
    }

    /// Whether the store has moved on from what is served: another active version or a
    /// changed catalog.
    pub async fn is_stale(&self, store: &dyn Store) -> Result<bool, ServeError> {
        let Some(current) = self.get() else {
            return Ok(true);
        };
        let active = store.active_model_version().await?;
        if active.map(|a| a.version) != Some(current.version) {
            return Ok(true);
        }
        Ok(store.data_revision().await? != current.revision)
    }
}
