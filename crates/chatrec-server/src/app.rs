//! The server's shared state: store, the live engine and how it is kept current, the
//! conversations held in memory, training jobs, keys and metrics.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chatrec_dialogue::Profile;
use chatrec_store::{EventId, Store};
use tokio::sync::Notify;

use crate::auth::Guard;
use crate::config::ServerConfig;
use crate::conversations::Conversations;
use crate::data::sentiment;
use crate::error::{ApiError, ApiResult, ServeError};
use crate::live::{self, EngineFactory, Live, LiveCell};
use crate::metrics::Metrics;
use crate::training::Jobs;

pub struct App {
    pub config: ServerConfig,
    pub store: Arc<dyn Store>,
    pub live: LiveCell,
    pub factory: Arc<dyn EngineFactory>,
    pub conversations: Conversations,
    pub jobs: Arc<Jobs>,
    pub metrics: Arc<Metrics>,
    pub guard: Arc<Guard>,
    /// Wakes the refresher at once (after this server activated a version or changed data).
    refresh: Notify,
}

impl App {
    /// The state over `store`, serving its active model version when it has one (else
    /// not ready until one is trained and activated).
    pub async fn new(
        config: ServerConfig,
        store: Arc<dyn Store>,
        factory: Arc<dyn EngineFactory>,
    ) -> Result<Arc<App>, ServeError> {
        config.validate()?;
        let app = Arc::new(App {
            guard: Arc::new(Guard::new(&config.auth, &config.limits)),
            conversations: Conversations::new(config.limits.sessions_in_memory),
            config,
            store,
            live: LiveCell::default(),
            factory,
            jobs: Arc::new(Jobs::default()),
            metrics: Arc::new(Metrics::default()),
            refresh: Notify::new(),
        });
        match app.refresh_if_stale().await {
            Ok(_) | Err(ServeError::NoModel) => {}
            Err(other) => return Err(other),
        }
        Ok(app)
    }

    /// The live engine, or 503 while no model version is active.
    pub fn live(&self) -> ApiResult<Arc<Live>> {
        self.live.get().ok_or_else(|| {
            ApiError::unavailable(
                "no model is active yet; train one with POST /admin/train and retry",
            )
        })
    }

    /// Rebuilds the engine when the store has a new active version or changed data;
    /// true when it did.
    pub async fn refresh_if_stale(&self) -> Result<bool, ServeError> {
        if !self.live.is_stale(self.store.as_ref()).await? {
            return Ok(false);
        }
        let fresh = live::build(self.store.as_ref(), self.factory.clone()).await?;
        self.metrics.model_version.set(fresh.version.0);
        self.live.set(fresh);
        Ok(true)
    }

    /// Asks the refresher to look now rather than at its next tick.
    pub fn refresh_soon(&self) {
        self.refresh.notify_one();
    }

    /// Keeps the engine current: every `refresh_interval_ms`, or at once when asked.
    /// Failures are logged and retried; the engine in use stays until a new one is built.
    pub fn spawn_refresher(self: &Arc<Self>) {
        let app = Arc::downgrade(self);
        let interval = Duration::from_millis(self.config.refresh_interval_ms);
        tokio::spawn(async move {
            loop {
                let Some(current) = app.upgrade() else { return };
                let _ = tokio::time::timeout(interval, current.refresh.notified()).await;
                match current.refresh_if_stale().await {
                    Ok(true) => {
                        if let Some(live) = current.live.get() {
                            tracing::info!(
                                version = live.version.0,
                                model = %live.model_name,
                                "serving a new model version or catalog"
                            );
                        }
                    }
                    Ok(false) | Err(ServeError::NoModel) => {}
                    Err(error) => tracing::warn!(%error, "cannot refresh the engine"),
                }
                current.guard.forget_idle_clients();
                current
                    .metrics
                    .sessions_in_memory
                    .set(current.conversations.len() as i64);
            }
        });
    }

    /// A user's profile for recommendations: their index in the model when it was trained
    /// on them, and as opinions what the model has not seen: their events after its
    /// training watermark (one index range read, usually empty) and their earlier
    /// dislikes, which training leaves out. `None` when the store knows nothing of them.
    pub async fn profile_of(&self, live: &Live, user_id: &str) -> ApiResult<Option<Profile>> {
        let engine = &live.engine;
        let user = engine
            .catalog()
            .user_index(user_id)
            .filter(|&u| (u as usize) < engine.interactions().n_rows())
            .filter(|u| !live.absent_users.contains(u));
        let unseen_after = if user.is_some() {
            live.watermark
        } else {
            EventId::START
        };
        let events = self
            .store
            .list_user_feedback_after(user_id, unseen_after)
            .await?;
        if user.is_none() && events.is_empty() && self.store.get_user(user_id).await?.is_none() {
            return Ok(None);
        }
        let mut latest: BTreeMap<u32, f32> = BTreeMap::new();
        if let Some(disliked) = user.and_then(|u| live.dislikes.get(&u)) {
            latest.extend(disliked.iter().map(|&item| (item, -1.0)));
        }
        for event in &events {
            if let Some(item) = engine.catalog().item_index(&event.item_id) {
                latest.insert(item, sentiment(event.kind, event.value));
            }
        }
        Ok(Some(Profile {
            user,
            opinions: latest.into_iter().collect(),
        }))
    }
}
