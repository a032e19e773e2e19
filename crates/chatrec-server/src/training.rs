//! Training a model version from the store's data and publishing it, in the background with
//! progress for `POST /admin/train`, or in the foreground when a fresh server trains its
//! first model.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chatrec_models::registry::{self, Task};
use chatrec_models::{Progress, TrainSet, TrainedModel};
use chatrec_store::{now_ms, ModelVersion, NewModelVersion, Store};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::config::ModelConfig;
use crate::data::Snapshot;
use crate::error::ServeError;
use crate::live::TrainedOn;

/// What to train.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TrainSpec {
    /// Registry name (`best`, `als`, `ease`, …).
    pub model: String,
    /// Hyper-parameters over the model's defaults, as strings (`{"factors": "64"}`).
    #[serde(default)]
    pub params: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub seed: u64,
    /// Make it the version every server uses as soon as it is stored.
    #[serde(default = "yes")]
    pub activate: bool,
}

fn yes() -> bool {
    true
}

impl From<&ModelConfig> for TrainSpec {
    fn from(config: &ModelConfig) -> Self {
        TrainSpec {
            model: config.name.clone(),
            params: config.params.clone(),
            seed: config.seed,
            activate: true,
        }
    }
}

/// The outcome of one training run.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Trained {
    #[schema(value_type = i64)]
    pub version: ModelVersion,
    /// The registry name the spec resolved to.
    pub model: String,
    pub fit_seconds: f64,
    pub events: usize,
}

/// Reads the store's data, fits the model, stores it as a new version (activated when the
/// spec says so). `progress` sees the fitting phases.
pub async fn train_and_publish(
    store: &dyn Store,
    spec: &TrainSpec,
    progress: Arc<dyn Progress + Send + Sync>,
) -> Result<Trained, ServeError> {
    let snapshot = Snapshot::read(store).await?;
    if snapshot.events.is_empty() {
        return Err(ServeError::Training(
            "the store has no feedback events to learn from".into(),
        ));
    }
    let trained_on = TrainedOn {
        last_event: snapshot.last_event(),
        has_ratings: snapshot.has_ratings(),
    };
    let events = snapshot.events.len();
    let params: Vec<(String, String)> = spec
        .params
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let (name, params) = registry::resolve(&spec.model, &params, Task::Ranking);
    let seed = spec.seed;
    let fit_name = name.clone();
    let fit_params = params.clone();
    let (bytes, fit_seconds, n_items, n_users) = tokio::task::spawn_blocking(move || {
        let dataset = snapshot.training_dataset();
        let train = TrainSet::from_interactions(&dataset, &dataset.interactions);
        let mut model = registry::build(&fit_name, &fit_params, seed)
            .map_err(|e| ServeError::Training(e.to_string()))?;
        let started = Instant::now();
        model
            .fit(&train, progress.as_ref())
            .map_err(|e| ServeError::Training(format!("cannot fit `{fit_name}`: {e}")))?;
        progress.finish();
        let trained = TrainedModel {
            model,
            users: dataset.catalog.user_ids().clone(),
            items: dataset.catalog.item_ids().clone(),
        };
        let bytes = trained
            .to_bytes()
            .map_err(|e| ServeError::Training(e.to_string()))?;
        Ok::<_, ServeError>((
            bytes,
            started.elapsed().as_secs_f64(),
            dataset.n_items(),
            dataset.n_users(),
        ))
    })
    .await
    .map_err(|e| ServeError::Training(format!("the training task failed: {e}")))??;

    let metadata = json!({
        "model": name,
        "params": params.iter().cloned().collect::<HashMap<_, _>>(),
        "seed": seed,
        "trained_on": trained_on.to_json(),
        "items": n_items,
        "users": n_users,
        "events": events,
        "fit_seconds": fit_seconds,
        "trained_at_ms": now_ms(),
    });
    let version = store
        .put_model_version(&NewModelVersion {
            metadata,
            artifact: bytes,
        })
        .await?;
    if spec.activate {
        store.activate_model_version(version).await?;
    }
    Ok(Trained {
        version,
        model: name,
        fit_seconds,
        events,
    })
}

/// How far a background job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Running,
    Succeeded,
    Failed,
}

/// A training job as `GET /admin/jobs/{id}` shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobStatus {
    pub id: String,
    pub state: JobState,
    /// The phase being fitted ("fit", "epochs", …).
    pub phase: String,
    /// Fraction of the current phase done, in [0, 1].
    pub progress: f64,
    pub spec: TrainSpec,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Trained>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub started_at_ms: i64,
}

/// Progress of one job, updated from the fitting threads.
#[derive(Default)]
pub struct JobProgress {
    phase: Mutex<String>,
    len: AtomicU64,
    done: AtomicU64,
}

impl Progress for JobProgress {
    fn start(&self, phase: &str, len: u64) {
        if let Ok(mut current) = self.phase.lock() {
            *current = phase.to_owned();
        }
        self.done.store(0, Ordering::Relaxed);
        self.len.store(len, Ordering::Relaxed);
    }

    fn advance(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }
}

impl JobProgress {
    fn fraction(&self) -> f64 {
        let len = self.len.load(Ordering::Relaxed);
        if len == 0 {
            return 0.0;
        }
        (self.done.load(Ordering::Relaxed) as f64 / len as f64).min(1.0)
    }

    fn phase(&self) -> String {
        self.phase.lock().map(|p| p.clone()).unwrap_or_default()
    }
}

struct Job {
    status: JobStatus,
    progress: Arc<JobProgress>,
}

/// The training jobs this server started (jobs are per server; their model versions are
/// in the shared store).
#[derive(Default)]
pub struct Jobs {
    jobs: Mutex<HashMap<String, Job>>,
}

impl Jobs {
    /// Starts training in the background and returns the job id at once.
    pub fn start(self: &Arc<Self>, store: Arc<dyn Store>, spec: TrainSpec) -> String {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let progress = Arc::new(JobProgress::default());
        let status = JobStatus {
            id: id.clone(),
            state: JobState::Running,
            phase: "reading data".into(),
            progress: 0.0,
            spec: spec.clone(),
            result: None,
            error: None,
            started_at_ms: now_ms(),
        };
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.insert(
                id.clone(),
                Job {
                    status,
                    progress: progress.clone(),
                },
            );
        }
        let jobs = self.clone();
        let job_id = id.clone();
        tokio::spawn(async move {
            let outcome = train_and_publish(store.as_ref(), &spec, progress).await;
            if let Ok(mut all) = jobs.jobs.lock() {
                if let Some(job) = all.get_mut(&job_id) {
                    match outcome {
                        Ok(trained) => {
                            job.status.state = JobState::Succeeded;
                            job.status.result = Some(trained);
                        }
                        Err(error) => {
                            job.status.state = JobState::Failed;
                            job.status.error = Some(error.to_string());
                        }
                    }
                }
            }
        });
        id
    }

    pub fn status(&self, id: &str) -> Option<JobStatus> {
        let jobs = self.jobs.lock().ok()?;
        let job = jobs.get(id)?;
        let mut status = job.status.clone();
        if status.state == JobState::Running {
            let phase = job.progress.phase();
            if !phase.is_empty() {
                status.phase = phase;
            }
            status.progress = job.progress.fraction();
        } else {
            status.progress = 1.0;
        }
        Some(status)
    }
}
